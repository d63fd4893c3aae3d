"""A/B compare on the same frames: real model twice (fast vs reference kernels), real soundscape."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from yamview.core import compare, metrics
from yamview.core.analysis import analyze
from yamview.core.audio import AudioFile
from yamview.core.labels_io import map_labels, read_audacity, read_mapping


@pytest.fixture(scope="module")
def truth(scape, scape_analysis, model):
    labels = read_audacity(scape.labels_txt)
    classes = map_labels(labels, model.classes, read_mapping(scape.mapping_csv, model.classes))
    a = scape_analysis
    return metrics.truth_matrix(labels, classes, a.starts, a.framing.window_seconds, model.n_classes, a.duration)


@pytest.fixture(scope="module")
def reference(scape, reference_model):
    return analyze(AudioFile(scape.wav), reference_model).result()


def test_a_model_agrees_with_itself(scape_analysis, truth):
    c = compare.compare(scape_analysis, scape_analysis, truth)
    assert c.top1_agreement == 1.0 and not c.disagreement.any()
    assert all(r["d_recall"] == 0 or math.isnan(r["d_recall"]) for r in c.rows())


def test_fast_and_reference_kernels_differ_where_scores_differ(scape_analysis, reference, truth, model):
    a, b = scape_analysis, reference
    c = compare.compare(a, b, truth, 0.3)
    top_a, top_b = a.scores.argmax(1), b.scores.argmax(1)
    assert np.array_equal(c.top_differs, top_a != top_b)
    assert c.top1_agreement == pytest.approx(float(np.mean(top_a == top_b)))
    assert c.top1_agreement > 0.8
    # The labelled lane, by hand: a labelled class is a hit for one model and a miss for the other.
    hand = np.zeros(a.n_frames, bool)
    for i in range(a.n_frames):
        for k in np.flatnonzero(truth[i]):
            hand[i] |= (a.scores[i, k] >= 0.3) != (b.scores[i, k] >= 0.3)
    assert np.array_equal(c.labelled_differs, hand)
    ma = metrics.evaluate(a.scores, truth, 0.3, model.classes)
    mb = metrics.evaluate(b.scores, truth, 0.3, model.classes)
    rows = {r["class"]: r for r in c.rows()}
    for name in ("Dog", "Speech", "Rain"):
        i = model.classes.index(name)
        assert rows[name]["recall_a"] == pytest.approx(ma.recall[i])
        assert rows[name]["d_f1"] == pytest.approx(mb.f1[i] - ma.f1[i])
    assert c.ms_per_frame(a) > 0 and c.ms_per_frame(b) > 0


def test_another_hop_is_read_on_a_frames(scape, scape_analysis, model, truth):
    """The same model at another hop: each A frame is compared with the B frame whose centre is
    nearest (checked by hand), so the lanes and metrics count A's frames."""
    a = scape_analysis
    b = analyze(AudioFile(scape.wav), model, hop_seconds=0.3).result()
    assert b.n_frames != a.n_frames
    c = compare.compare(a, b, truth, 0.3)
    assert c.aligned and len(c.disagreement) == a.n_frames
    centres_b = b.starts + b.framing.window_seconds / 2
    for i, centre in enumerate(a.starts + a.framing.window_seconds / 2):
        j = int(np.argmin(np.abs(centres_b - centre)))
        assert c.top_b[i] == b.scores[j].argmax()
    # The same model a few tens of milliseconds apart mostly agrees, but not everywhere.
    assert 0.6 < c.top1_agreement < 1.0
    assert {r["class"] for r in c.rows()} >= {"Dog", "Rain"}


def test_nothing_to_compare(scape_analysis):
    empty = dataclasses.replace(scape_analysis, starts=scape_analysis.starts[:0],
                                scores=scape_analysis.scores[:0])
    with pytest.raises(compare.CompareError, match="no frames"):
        compare.compare(scape_analysis, empty)
