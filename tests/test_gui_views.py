"""Views on their own: geometry and behaviour that the whole-window tests cannot pin down."""

from __future__ import annotations

import numpy as np
import pytest

pytestmark = pytest.mark.gui


@pytest.fixture()
def app(qapp):
    from yamview.gui.app import make_app

    return make_app()


def test_timeline_has_no_stripes_after_a_hop_change_or_skips(app):
    from yamview.gui.views.class_timeline import ClassTimeline

    t = ClassTimeline(seconds=10.0, rows=2)
    t.set_labels(["a", "b", "c"])
    on = np.array([0.9, 0.2, 0.0], np.float32)
    centres = list(np.arange(0.4875, 5.0, 0.4875))  # hop 0.4875 s ...
    centres += list(np.arange(centres[-1] + 0.1, 8.0, 0.1))  # ... then 0.1 s
    centres += [8.6]  # one skipped frame
    for c in centres:
        t.add(float(c), on)
    t.update(now=9.0)
    img = t.image.image
    row = img[0]
    filled = np.flatnonzero(row > 0)
    assert t.shown_classes() == ["a", "b"]
    assert filled.size and np.all(row[filled[0] : filled[-1] + 1] > 0)  # contiguous: no stripes
    assert row[filled[0]] == pytest.approx(0.9)


def test_bars_list_only_classes_over_the_threshold(app):
    from yamview.gui.views.class_bars import ClassBars

    bars = ClassBars(max_results=5, threshold=0.3)
    bars.set_labels(["Speech", "Music", "Dog", "Cat", "Bird", "Car"])
    bars.show_scores(np.array([0.9, 0.5, 0.31, 0.29, 0.05, 0.0], np.float32))
    assert [n for n, _ in bars.shown()] == ["Speech", "Music", "Dog"]
    bars.set_threshold(0.6)  # applies to what is on screen at once
    assert [n for n, _ in bars.shown()] == ["Speech"]
    bars.show_scores(np.zeros(6, np.float32))
    assert bars.shown() == [] and "Nothing scores 0.60" in bars._placeholder.textItem.toPlainText()
