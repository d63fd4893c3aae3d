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


# -- the results screen: every drawn frame must be true on its own --------------------------------

def _real_frames(model, corpus_dir, codes=("001", "009", "004", "002", "007"), hop=0.25):
    """Scores of real ESC-10 clips played one after the other: the ranking changes often."""
    from yamview.core.analysis import analyze
    from yamview.core.audio import AudioFile

    out = []
    for code in codes:
        clip = sorted((corpus_dir / "esc10").glob(f"{code}_*.ogg"))[0]
        out += [f.scores for f in analyze(AudioFile(clip), model, hop_seconds=hop)]
    return out


def _near(qcolor, rgb, tol=40) -> bool:
    return all(abs(a - b) <= tol for a, b in zip((qcolor.red(), qcolor.green(), qcolor.blue()), rgb))


def _check_bars_frame(bars, image) -> None:
    """Each row: one bar, as long as its printed score, in its class's colour, with its name."""
    from PySide6.QtCore import QPointF

    from yamview.gui import palette
    from yamview.gui.views.class_bars import BAR_HEIGHT

    vb = bars.widget.getViewBox()
    ratio = image.devicePixelRatio() or 1.0

    def px(x, y):
        p = bars.widget.mapFromScene(vb.mapViewToScene(QPointF(x, y)))
        return p.x() * ratio, p.y() * ratio

    class_rgb = [tuple(palette.class_colour(i).getRgb()[:3]) for i in range(20)]
    rows = bars.rows()
    assert len(rows) == len(bars.shown())
    drawn_widths = list(bars.bars.opts["width"])
    assert len(drawn_widths) == sum(1 for r in rows if r["width"] > 0)  # no extra (ghost) bars
    for r in rows:
        label = bars.classes[r["cls"]]
        assert r["name"].lstrip("★ ").rstrip("…") and label.startswith(r["name"].lstrip("★ ").rstrip("…"))
        assert r["score"] == f"{bars._scores[r['cls']]:.2f}"  # the printed score ...
        assert r["width"] == pytest.approx(float(r["score"]), abs=1e-6)  # ... is the bar's length
        x_left, y_top = px(0.0, r["row"] - BAR_HEIGHT / 2)
        x_end, _ = px(float(r["score"]), r["row"])
        x_one, _ = px(1.0, r["row"])
        y = int(y_top + 2)  # just inside the bar's top edge, above the name
        colour = tuple(palette.class_colour(r["cls"]).getRgb()[:3])
        x_thr, _ = px(bars.threshold, r["row"])
        line = [image.pixelColor(x, y) for x in range(int(x_left), int(x_one) - 2)]
        # The dashed threshold line is drawn over the bars: its pixels do not end a bar.
        run = next((i for i, c in enumerate(line) if not _near(c, colour) and abs(x_left + i - x_thr) > 2),
                   len(line))
        if r["width"] > 0:
            assert abs(run - (x_end - x_left)) <= 3, (label, run, x_end - x_left)
        # Right of the bar: no other class's colour (no ghost of a departing class).
        for c in line[int(x_end - x_left) + 3 :]:
            assert not any(_near(c, rgb, 12) for rgb in class_rgb), (label, c.getRgb())


def test_bars_equal_their_printed_scores_in_every_frame_of_a_real_stream(app, model, corpus_dir):
    from yamview.gui.views.class_bars import ClassBars

    bars = ClassBars(max_results=5, threshold=0.05)
    bars.widget.resize(640, 420)
    bars.widget.show()
    bars.set_classes(list(model.classes))
    changes, last = 0, None
    t = 0.0
    for scores in _real_frames(model, corpus_dir):
        t += 0.25
        bars.show_scores(scores, now=t)
        app.processEvents()
        image = bars.widget.grab().toImage()
        _check_bars_frame(bars, image)
        order = [n for n, _ in bars.shown()]
        changes += order != last
        last = order
    assert changes > 5  # the ranking did change while we looked


def test_bars_are_the_real_top_n_with_pinned_classes_extra_and_marked(app):
    from yamview.gui.views.class_bars import PIN, ClassBars

    long_name = "Livestock, farm animals, working animals"
    classes = ["Speech", "Music", long_name, "Dog", "Cat", "Bird"]
    bars = ClassBars(max_results=2, threshold=0.1)
    bars.widget.resize(420, 300)
    bars.widget.show()
    bars.set_classes(classes)
    bars.set_pinned([3, 0])  # Dog (silent) and Speech (0.5: not in the top 2)
    bars.show_scores(np.array([0.5, 0.7, 0.9, 0.0, 0.2, 0.0], np.float32), now=0.0)
    app.processEvents()
    rows = bars.rows()
    # The real top 2, then the pinned ones (best first), marked.
    assert [classes[r["cls"]] for r in rows] == [long_name, "Music", "Speech", "Dog"]
    assert rows[2]["name"] == PIN + "Speech" and rows[3]["name"] == PIN + "Dog" and rows[3]["score"] == "0.00"
    assert rows[3]["width"] == 0 and len(bars.bars.opts["width"]) == 3  # no ghost bar under 0.00
    assert rows[0]["name"].endswith("…") and len(rows[0]["name"]) < len(long_name)  # elided
    from PySide6.QtGui import QFontMetricsF

    assert QFontMetricsF(bars._names[0].textItem.font()).horizontalAdvance(rows[0]["name"]) <= bars._name_room()
    _check_bars_frame(bars, bars.widget.grab().toImage())
    bars.show_scores(np.array([0.95, 0.7, 0.9, 0.0, 0.2, 0.0], np.float32), now=1.0)
    assert [classes[r["cls"]] for r in bars.rows()] == ["Speech", long_name, "Dog"]
    assert bars.rows()[0]["name"] == PIN + "Speech"  # a pinned class in the top N is marked too


def test_bars_use_big_text_when_few_rows_show(app):
    from yamview.gui.views.class_bars import ClassBars

    bars = ClassBars(max_results=10, threshold=0.3)
    bars.widget.resize(500, 600)
    bars.widget.show()
    bars.set_classes(["a", "b", "c", "d"])
    bars.show_scores(np.array([0.9, 0.5, 0.0, 0.0], np.float32))
    app.processEvents()
    assert bars._names[0].textItem.font().pixelSize() >= 40  # laid out as 3 rows, not 10


def test_timeline_colours_each_frame_at_the_end_of_its_window_and_survives_a_reload(app):
    from yamview.gui.views.class_timeline import COLUMN_SECONDS, ClassTimeline

    t = ClassTimeline(seconds=10.0, rows=2)
    t.set_classes(["a", "b", "c"])
    t.set_hop(0.5)
    for end in np.arange(1.0, 6.01, 0.5):  # "a" only in the frame ending at 4.0 s
        t.on_scored(float(end), np.array([0.9 if end == 4.0 else 0.0, 0.1, 0.0], np.float32))
    t.update(now=6.0)
    img, (x0, _) = t.image.image, (t.image.pos().x(), 0)
    cols = np.flatnonzero(img[0] > 0.5)
    lit = (x0 + cols[0] * COLUMN_SECONDS, x0 + (cols[-1] + 1) * COLUMN_SECONDS)
    # The frame's colour covers the audio it added, from the previous frame's end to its end:
    # relative to now (6.0 s) that is -2.5 .. -2.0 s, right under that audio in the spectrogram.
    assert lit == pytest.approx((-2.5, -2.0), abs=COLUMN_SECONDS)
    assert not (img[:, cols[-1] + 1 :] > 0.5).any()
    t.update(now=6.3)  # time passes without a frame: the image only moves
    builds = t.builds
    t.update(now=6.4)
    assert t.builds == builds and t.image.pos().x() == pytest.approx(x0 - 0.4, abs=COLUMN_SECONDS)
    t.set_classes(["a", "b", "c"])  # a model reload (threads, kernels): same classes
    t.update(now=6.4)
    assert (t.image.image[0] > 0.5).any() and t.shown_classes()[0] == "a"
    t.set_pinned([2])  # a pinned class is shown in addition: the top rows stay
    t.update(now=6.5)
    assert t.shown_classes() == ["c", "a", "b"]


def test_axes_have_units_and_colour_bars(app):
    from yamview.gui.views.class_bars import ClassBars
    from yamview.gui.views.class_timeline import ClassTimeline
    from yamview.gui.views.spectrogram import SpectrogramView

    spec = SpectrogramView(16000, db_range=(-80.0, -20.0))
    assert spec.plot.getAxis("left").labelText == "Hz" and spec.plot.getAxis("bottom").labelText.startswith("s")
    assert spec.colour_bar.levels() == (-80.0, -20.0) and "dB" in spec.colour_bar.axis.labelText
    spec.set_db_range(-70, -30)
    assert spec.colour_bar.levels() == (-70.0, -30.0) and spec.image.levels.tolist() == [-70.0, -30.0]
    tl = ClassTimeline()
    assert "score" in tl.legend.axis.labelText and tl.plot.getAxis("bottom").labelText.startswith("s")
    assert "score" in ClassBars().plot.getAxis("bottom").labelText
