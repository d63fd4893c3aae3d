"""The app's own events, exported and read back as human labels, score no errors on the same scores.

Real soundscape of corpus clips, real model; each export format and several hops. Events are
unions of frame cells and labels are matched against cells, so every frame an event came from is
labelled and no neighbour is.
"""

from __future__ import annotations

import pytest

from yamview.core import events, export, metrics
from yamview.core.analysis import analyze
from yamview.core.audio import AudioFile
from yamview.core.labels_io import map_labels, read_labels


def _round_trip(analysis, path, write, thr=0.3):
    found = events.events_from_analysis(analysis, thr)
    assert len(found) > 10
    assert all(0.0 <= e.start < e.end <= analysis.duration for e in found)  # clipped to the file
    write(path, found)
    labels = read_labels(path)
    assert len(labels) == len(found)
    classes = map_labels(labels, analysis.classes, None, path)
    truth = metrics.truth_matrix(labels, classes, analysis.starts, analysis.framing.window_seconds,
                                 len(analysis.classes), analysis.duration)
    m = metrics.evaluate(analysis.scores, truth, thr, analysis.classes)
    assert int(m.misses.sum()) == 0 and int(m.false_alarms.sum()) == 0
    assert int(m.hits.sum()) == int((analysis.scores >= thr).sum())
    return found


@pytest.mark.parametrize("fmt", ["audacity", "raven"])
def test_exported_events_read_back_as_labels_give_no_errors(scape_analysis, tmp_path, fmt):
    write = export.write_events_audacity if fmt == "audacity" else export.write_events_raven
    found = _round_trip(scape_analysis, tmp_path / f"events.{fmt}.txt", write)
    # The frame an event points at is one that fired for its class.
    for e in found:
        assert scape_analysis.scores[e.first, e.class_index] >= 0.3
        assert scape_analysis.scores[e.peak_frame, e.class_index] == pytest.approx(e.peak)
        assert e.first == 0 or scape_analysis.scores[e.first - 1, e.class_index] < 0.3


@pytest.mark.parametrize("hop", [0.975, 0.24375, 0.1])  # no overlap, 75 % and a fine hop
def test_round_trip_at_other_hops_on_a_corpus_clip(corpus_dir, model, tmp_path, hop):
    clip = AudioFile(corpus_dir / "esc10/009_Rooster__4-164021-A.ogg")
    a = analyze(clip, model, hop_seconds=hop).result()
    assert a.starts[-1] + a.framing.window_seconds > a.duration  # the last window runs past the end
    _round_trip(a, tmp_path / "events.txt", export.write_events_audacity, thr=0.1)
