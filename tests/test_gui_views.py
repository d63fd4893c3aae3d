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
    from yamview.core.ring import RingBuffer
    from yamview.gui.views.class_timeline import ClassTimeline
    from yamview.gui.views.live import Tick

    ring = RingBuffer(16000)
    t = ClassTimeline(seconds=10.0, rows=2)
    t.set_classes(["a", "b", "c"])
    on = np.array([0.9, 0.2, 0.0], np.float32)
    centres = list(np.arange(0.4875, 5.0, 0.4875))  # hop 0.4875 s ...
    centres += list(np.arange(centres[-1] + 0.1, 8.0, 0.1))  # ... then 0.1 s
    centres += [8.6]  # one skipped frame
    for c in centres:
        t.on_scored(float(c), on)
    t.on_tick(Tick(ring, 16000, now=9.0))
    img = t.image.image
    row = img[0]
    filled = np.flatnonzero(row > 0)
    assert t.shown_classes() == ["a", "b"]
    assert filled.size and np.all(row[filled[0] : filled[-1] + 1] > 0)  # contiguous: no stripes
    assert row[filled[0]] == pytest.approx(0.9)


def test_bars_list_only_classes_over_the_threshold(app):
    from yamview.gui.views.class_bars import ClassBars

    bars = ClassBars(max_results=5, threshold=0.3)
    bars.set_classes(["Speech", "Music", "Dog", "Cat", "Bird", "Car"])
    bars.show_scores(np.array([0.9, 0.5, 0.31, 0.29, 0.05, 0.0], np.float32))
    assert [n for n, _ in bars.shown()] == ["Speech", "Music", "Dog"]
    bars.set_threshold(0.6)  # applies to what is on screen at once
    assert [n for n, _ in bars.shown()] == ["Speech"]
    bars.show_scores(np.zeros(6, np.float32))
    assert bars.shown() == [] and "Nothing scores 0.60" in bars._placeholder.textItem.toPlainText()


def test_every_registered_view_follows_the_live_view_protocol(app, tmp_path):
    """The registry's views take the four calls the window and talk mode make, and draw from them."""
    from yamview.core.ring import RingBuffer
    from yamview.gui.settings import Settings
    from yamview.gui.views.live import ClassRows, LiveView, Tick, idle_tick
    from yamview.gui.views.registry import live_views

    rate = 16000
    placed = live_views(Settings(tmp_path / "v.ini"), rate)
    names = [p.name for p in placed]
    assert len(set(names)) == len(names) and {p.place for p in placed} <= {"left", "right", "status"}
    ring = RingBuffer(rate * 12)
    t = np.arange(rate * 11) / rate
    ring.write((0.5 * np.sin(2 * np.pi * 1000 * t)).astype(np.float32))
    classes = ["Speech", "Music", "Dog"]
    for p in placed:
        v = p.view
        assert isinstance(v, LiveView), p.name
        v.set_classes(classes)
        if isinstance(v, ClassRows):
            v.set_pinned([2])
        for k in range(20):
            v.on_scored(10.0 - 0.5 * k, np.array([0.9, 0.4, 0.0], np.float32))
        v.on_tick(Tick(ring, rate, now=11.0, level=None))
        v.on_tick(idle_tick(rate))
    views = {p.name: p.view for p in placed}
    assert views["spectrogram"].data.max() > -40  # the tone reached the picture
    assert np.abs(views["waveform"].curve.getData()[1]).max() == pytest.approx(0.5, abs=0.01)
    assert views["timeline"].shown_classes()[0] == "Dog"  # pinned first
    assert views["bars"].shown()[0][0] == "Speech"
    for v in views.values():
        v.clear()
    assert views["bars"].shown()[0][0] == "Speech"  # the bars keep the last frame through clear()
    assert views["spectrogram"].data.max() == views["spectrogram"].db_range[0]
    assert len(views["waveform"].curve.getData()[0] or []) == 0
