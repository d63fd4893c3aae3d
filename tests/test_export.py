"""Exports: scores CSV, JSON (exact reload), events as Audacity / Raven (round trips), metrics
CSV; atomic writes; formula escaping."""

from __future__ import annotations

import csv
import dataclasses
import json

import numpy as np
import pytest

from yamview.core import export, files, metrics
from yamview.core.events import events_from_analysis
from yamview.core.labels_io import map_labels, read_audacity, read_mapping, read_raven



@pytest.fixture(scope="module")
def analysis(scape_analysis):
    return scape_analysis


@pytest.fixture(scope="module")
def events(analysis):
    return events_from_analysis(analysis, 0.4, smoothing=2, merge_gap=0.5)


def only(folder):
    return sorted(p.name for p in folder.iterdir())


def test_json_reloads_to_identical_scores(tmp_path, analysis, scape, events):
    labels = read_audacity(scape.labels_txt)
    path = tmp_path / "a.json"
    export.write_json(path, analysis, labels, events)
    doc = json.loads(path.read_text())
    assert doc["model"]["sha256"] == analysis.model_sha256 == \
        "10c95ea3eb9a7bb4cb8bddf6feb023250381008177ac162ce169694d05c317de"
    assert doc["params"]["hop_seconds"] == 0.4875 and doc["params"]["window_samples"] == 15600
    assert len(doc["frames"]) == analysis.n_frames and len(doc["events"]) == len(events)
    back, back_labels = export.read_json(path)
    assert back.scores.dtype == np.float32
    assert np.array_equal(back.scores, analysis.scores)  # bit-exact, not approximately
    assert back.scores.tobytes() == np.ascontiguousarray(analysis.scores).tobytes()
    assert np.array_equal(back.starts, analysis.starts) and np.array_equal(back.centres, analysis.centres)
    assert back.framing == analysis.framing and back.classes == analysis.classes
    assert (back.model_sha256, back.kernels, back.duration) == (analysis.model_sha256, analysis.kernels, analysis.duration)
    assert back_labels == labels
    assert back.top(3) == analysis.top(3)


def test_json_exact_for_arbitrary_float32(tmp_path, analysis):
    rng = np.random.default_rng(1)
    noisy = dataclasses.replace(analysis, scores=rng.random(analysis.scores.shape, dtype=np.float32) / 3)
    export.write_json(tmp_path / "n.json", noisy)
    assert np.array_equal(export.read_json(tmp_path / "n.json")[0].scores, noisy.scores)


@pytest.mark.parametrize("text,needle", [("{", "not a readable JSON"), ('{"format": "x"}', "not a yamview"),
                                         ('{"format": "yamview-analysis", "version": 1}', "damaged")])
def test_json_loader_errors(tmp_path, text, needle):
    (tmp_path / "bad.json").write_text(text)
    with pytest.raises(export.ExportError, match=needle):
        export.read_json(tmp_path / "bad.json")


def test_events_round_trip_audacity_and_raven(tmp_path, events):
    assert len(events) >= 10
    export.write_events_audacity(tmp_path / "ev.txt", events)
    export.write_events_raven(tmp_path / "ev.selections.txt", events)
    for back in (read_audacity(tmp_path / "ev.txt"), read_raven(tmp_path / "ev.selections.txt")):
        assert [l.text for l in back] == [e.class_name for e in events]
        assert [l.start for l in back] == pytest.approx([e.start for e in events], abs=1e-6)
        assert [l.end for l in back] == pytest.approx([e.end for e in events], abs=1e-6)
    rows = list(csv.DictReader(open(tmp_path / "ev.selections.txt"), delimiter="\t"))
    assert [float(r["Score"]) for r in rows] == pytest.approx([e.peak for e in events], abs=1e-6)
    assert [r["Selection"] for r in rows] == [str(i + 1) for i in range(len(events))]
    assert only(tmp_path) == ["ev.selections.txt", "ev.txt"]


def test_scores_csv_all_and_selected_classes(tmp_path, analysis):
    export.write_scores_csv(tmp_path / "all.csv", analysis)
    rows = list(csv.reader(open(tmp_path / "all.csv")))
    assert rows[0][:3] == ["start_s", "centre_s", "Speech"] and len(rows[0]) == 2 + len(analysis.classes)
    assert len(rows) == 1 + analysis.n_frames
    assert rows[2][:2] == ["0.4875", "0.975"]
    got = np.array([r[2:] for r in rows[1:]], dtype=np.float32)
    assert np.array_equal(got, analysis.scores)  # %.9g reads back exactly
    pick = [analysis.classes.index("Dog"), analysis.classes.index("Speech")]
    export.write_scores_csv(tmp_path / "two.csv", analysis, pick)
    rows = list(csv.reader(open(tmp_path / "two.csv")))
    assert rows[0] == ["start_s", "centre_s", "Dog", "Speech"]
    assert np.array_equal(np.array([r[2:] for r in rows[1:]], np.float32), analysis.scores[:, pick])


def test_metrics_csv(tmp_path, analysis, scape, model):
    labels = read_audacity(scape.labels_txt)
    classes = map_labels(labels, model.classes, read_mapping(scape.mapping_csv, model.classes))
    truth = metrics.truth_matrix(labels, classes, analysis.starts, analysis.framing.window_seconds, model.n_classes)
    m = metrics.evaluate(analysis.scores, truth, 0.3, model.classes)
    export.write_metrics_csv(tmp_path / "m.csv", m)
    rows = list(csv.DictReader(open(tmp_path / "m.csv")))
    assert list(rows[0]) == export.METRICS_COLUMNS
    by_class = {r["class"]: r for r in rows}
    speech = model.classes.index("Speech")
    assert int(by_class["Speech"]["hits"]) == m.hits[speech]
    assert float(by_class["Speech"]["recall"]) == pytest.approx(m.recall[speech], abs=1e-6)
    fa_only = next(r for r in rows if int(r["hits"]) + int(r["misses"]) == 0)
    assert fa_only["recall"] == "" and fa_only["f1"] == ""  # undefined, not zero


def test_class_names_escaped_in_scores_csv(tmp_path, analysis):
    odd = dataclasses.replace(analysis, classes=["=HYPERLINK(1)"] + analysis.classes[1:])
    export.write_scores_csv(tmp_path / "s.csv", odd, [0, 1])
    assert (tmp_path / "s.csv").read_text().splitlines()[0].split(",")[2] == "'=HYPERLINK(1)"


def test_json_write_is_atomic(tmp_path, analysis, monkeypatch):
    target = tmp_path / "out.json"
    target.write_text("old")

    def full_disk(fd):  # the data went into the temp file, then the flush to disk fails
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(files.os, "fsync", full_disk)
    with pytest.raises(OSError, match="No space"):
        export.write_json(target, analysis)
    assert target.read_text() == "old" and only(tmp_path) == ["out.json"]  # old file kept, no temp


def test_every_format_in_the_table_writes(tmp_path, analysis, events, scape, model):
    """Each row of FORMATS writes a non-empty file; the metrics row refuses without labels."""
    labels = read_audacity(scape.labels_txt)
    classes = map_labels(labels, model.classes, read_mapping(scape.mapping_csv, model.classes))
    truth = metrics.truth_matrix(labels, classes, analysis.starts, analysis.framing.window_seconds,
                                 len(analysis.classes))
    m = metrics.evaluate(analysis.scores, truth, 0.4, analysis.classes)
    data = export.Exportable(analysis, labels, events, m)
    keys = [f.key for f in export.FORMATS]
    assert len(set(keys)) == len(keys) and {"csv", "json", "audacity", "raven", "metrics"} <= set(keys)
    for fmt in export.FORMATS:
        fmt.write(tmp_path / f"x.{fmt.suffix}", data)
        assert (tmp_path / f"x.{fmt.suffix}").stat().st_size > 0
    assert [f.key for f in export.FORMATS if f.needs_labels] == ["metrics"]
    with pytest.raises(ValueError, match="human labels"):
        export.export_format("metrics").write(tmp_path / "no.csv", export.Exportable(analysis))
