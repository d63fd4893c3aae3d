"""Talk mode (issue 5), offscreen, with the real model and real audio.

The presenter view is shown as a normal 1920x1080 window (the offscreen screen is smaller);
full-screen placement on a chosen or second screen is tested in a subprocess whose offscreen
platform has two virtual screens. Files play with output_device="none" (clock-paced).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import numpy as np
import pytest

pytestmark = pytest.mark.gui

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor

from yamview.gui.app import make_app
from yamview.gui.main_window import MainWindow
from yamview.gui.presenter import talk as talk_module
from yamview.gui.presenter.config import PresenterConfig
from yamview.gui.settings import Settings

DOG = "esc10/001_Dog_bark__1-100032-A.ogg"
SPEECH_FAMILY = {"Speech", "Male speech, man speaking", "Female speech, woman speaking", "Child speech, kid speaking",
                 "Conversation", "Narration, monologue", "Babbling", "Speech synthesizer"}


@pytest.fixture()
def settings_path(tmp_path):
    return tmp_path / "yamview.ini"


def _settings(path, **values) -> Settings:
    s = Settings(path)
    for key, value in values.items():
        s.set(key, value)
    s.sync()
    return s


def _focus(*pairs) -> str:
    return json.dumps([{"label": label, "threshold": thr} for label, thr in pairs])


@pytest.fixture()
def make_window(qapp, qtbot, settings_path):
    make_app()
    windows = []

    def make(**values):
        w = MainWindow(_settings(settings_path, **values), output_device="none")
        qtbot.addWidget(w)
        w.resize(1280, 800)
        w.show()
        windows.append(w)
        qtbot.waitUntil(lambda: w.model_info is not None and w.talk.board is not None, timeout=30000)
        return w

    yield make
    for w in windows:
        w.close()


def present(w):
    w.talk.show_presenter(full_screen=False, size=(1920, 1080))
    return w.talk.presenter


def play(qtbot, w, path, frames=3, timeout=30000):
    assert w.open_file(str(path)), w.message()
    qtbot.waitUntil(lambda: w.frames_scored >= frames, timeout=timeout)


def watch(qtbot, seconds, check, step=20):
    """Call ``check`` about every display frame for ``seconds``."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        qtbot.wait(step)
        check()


def test_focus_classes_are_shown_even_at_zero(make_window, qtbot, corpus_dir):
    focus = [("Clapping", 0.3), ("Finger snapping", 0.3), ("Typing", 0.3)]
    w = make_window(**{"presenter/focus": _focus(*focus)})
    p = present(w)
    play(qtbot, w, corpus_dir / DOG, frames=4)
    qtbot.wait(300)
    board = w.talk.board
    names = [f for f, _ in focus]
    shown = board.shown()
    assert set(names) <= set(shown), shown
    assert len(shown) <= 5 + 3 and board.slots == 5 + 3  # top 5 besides the 3 focus classes
    for name in names:
        row = board.row(name)
        assert row.focus and row.value < 0.05 and row.count == 0 and not row.over
    # Painted: each focus class has a row on screen.
    drawn = {board.names[k] for _, k in p.view._hit}
    assert set(names) <= drawn
    # Pinned in the main window as well: bars and timeline.
    assert set(names) <= {n for n, _ in w.bars.shown()}
    qtbot.waitUntil(lambda: w.timeline.shown_classes()[:3] == names, timeout=5000)


def test_hidden_classes_are_never_shown(make_window, qtbot, audio_dir):
    # A low threshold, so that something besides the speech family scores over it.
    w = make_window(**{"presenter/hidden": json.dumps(["Speech", "Silence"]), "classify/threshold": 0.02})
    p = present(w)
    play(qtbot, w, audio_dir / "speech.wav", frames=3)
    seen = set()

    def check():
        seen.update(r.name for r in w.talk.board.rows)  # fading rows too

    watch(qtbot, 3.0, check)
    assert w.bars.shown()[0][0] == "Speech"  # the main window (not presenting) does show it
    assert seen, "the presenter showed nothing at all"
    assert not seen & (SPEECH_FAMILY | {"Silence"}), seen & (SPEECH_FAMILY | {"Silence"})
    assert "Hidden: Speech, Silence" in p.footer.text()


def test_focus_class_flashes_over_its_threshold_and_counts(make_window, qtbot, corpus_dir):
    w = make_window(**{"presenter/focus": _focus(("Dog", 0.5), ("Clapping", 0.3)),
                       "classify/hop_seconds": 0.25})
    p = present(w)
    play(qtbot, w, corpus_dir / DOG, frames=1)
    qtbot.waitUntil(lambda: w.talk.board.counts()["Dog"] >= 1, timeout=20000)
    # A real frame of the real model went over: the raw score is in the history.
    assert max(float(s.scores[w.model_info.classes.index("Dog")]) for s in w.talk.history) >= 0.5
    qtbot.wait(40)  # one display frame
    row = w.talk.board.row("Dog")
    assert row.flash > 0.5 and row.count == 1
    assert w.talk.board.counts()["Clapping"] == 0
    # The flash is painted: a bright frame around the row (its top edge takes the accent colour).
    p.view.repaint()
    rect = next(r for r, k in p.view._hit if w.talk.board.names[k] == "Dog")
    image = p.view.grab().toImage()
    pixel = image.pixelColor(int(rect.center().x()), int(rect.top()) + 2)
    track, accent = QColor(p.theme.track), QColor(p.theme.accent)

    def dist(a, b):
        return abs(a.red() - b.red()) + abs(a.green() - b.green()) + abs(a.blue() - b.blue())

    assert dist(pixel, accent) < dist(pixel, track), (pixel.name(), track.name(), accent.name())


def test_replay_shows_the_same_scores_that_were_live(make_window, qtbot, corpus_dir):
    w = make_window(**{"classify/hop_seconds": 0.1, "presenter/focus": _focus(("Dog", 0.5))})
    p = present(w)
    talk = w.talk
    fed = []  # (raw scores, live?, replay time)
    original = talk.board.feed

    def spy(scores, now, count=True):
        fed.append((np.array(scores, copy=True), count, talk.replay.time if talk.replay else None))
        original(scores, now, count)

    talk.board.feed = spy
    play(qtbot, w, corpus_dir / DOG, frames=1)
    qtbot.waitUntil(lambda: w.source.stream_time > 4.0, timeout=20000)
    live_count = talk.board.counts()["Dog"]
    qtbot.keyClick(w, Qt.Key.Key_Pause)
    frozen = talk.frozen
    assert frozen is not None and w.talk.freeze_action.isChecked()
    assert 3.5 < frozen.duration <= 10.0 and len(frozen.scored) >= 25
    live = [s for s, live_, _ in fed if live_]
    # The frozen frames are exactly frames that were live (same arrays, same order).
    stored = np.stack([s.scores for s in frozen.scored])
    first = next(i for i, s in enumerate(live) if np.array_equal(s, stored[0]))
    np.testing.assert_array_equal(np.stack(live[first:first + len(stored)]), stored)
    # Frozen: nothing moves.
    qtbot.wait(300)
    n_fed = len(fed)
    spectrum = p.strip.data.copy()
    qtbot.wait(300)
    assert len(fed) == n_fed and np.array_equal(p.strip.data, spectrum)

    fed.clear()
    talk.start_replay()
    qtbot.waitUntil(lambda: p.view.state == "replay", timeout=2000)
    qtbot.waitUntil(lambda: talk._replay_done, timeout=frozen.duration * 1000 + 15000)
    replayed = [(s, t) for s, live_, t in fed if not live_]
    assert [live_ for _, live_, _ in fed] == [False] * len(fed)  # replays are not counted
    np.testing.assert_array_equal(np.stack([s for s, _ in replayed]), stored)
    # In sync: each frame is shown when the replayed audio reaches the frame's end, not before.
    lags = [t - (s.end - frozen.t0) for (_, t), s in zip(replayed, frozen.scored) if t is not None]
    assert lags and min(lags) >= -1e-6, min(lags)
    assert np.median(lags) < 0.1, np.median(lags)
    assert talk.board.counts()["Dog"] == live_count
    assert p.strip.data.max() > -60  # the strip drew the replayed bark
    assert np.array_equal(w.bars._scores, stored[-1])  # main window bars end on the last stored frame

    talk.toggle_freeze()  # back to live
    assert talk.frozen is None and talk.replay is None and p.view.state == "live"
    qtbot.waitUntil(lambda: any(live_ for _, live_, _ in fed), timeout=10000)


def test_freeze_from_the_toolbar_and_presenter_keys(make_window, qtbot, audio_dir):
    w = make_window()
    play(qtbot, w, audio_dir / "meow_16k.wav", frames=2)
    w.talk.freeze_action.trigger()
    assert w.talk.frozen is not None and w.source.paused  # the file waits while frozen
    pos = w.source.position
    qtbot.wait(300)
    assert w.source.position == pytest.approx(pos, abs=0.02)
    w.talk.freeze_action.trigger()
    assert w.talk.frozen is None and not w.source.paused
    qtbot.waitUntil(lambda: w.source.position > pos + 0.1, timeout=5000)
    w.talk.freeze_action.trigger()
    qtbot.keyClick(w, Qt.Key.Key_Space)  # Start while frozen: the file plays again, so back to live
    qtbot.waitUntil(lambda: w.talk.frozen is None and not w.talk.freeze_action.isChecked(), timeout=2000)

    qtbot.keyClick(w, Qt.Key.Key_F5)
    p = w.talk.presenter
    assert p.isVisible() and p.isFullScreen() and w.talk.presenter_action.isChecked()
    qtbot.keyClick(p, Qt.Key.Key_Space)  # Space keeps its meaning in the presenter
    assert w.start_button.text() == "Start"
    qtbot.keyClick(p, Qt.Key.Key_Space)
    assert w.start_button.text() == "Stop"
    qtbot.keyClick(p, Qt.Key.Key_Pause)
    assert w.talk.frozen is not None
    qtbot.keyClick(p, Qt.Key.Key_Pause)
    assert w.talk.frozen is None
    qtbot.keyClick(p, Qt.Key.Key_Escape)
    assert not p.isVisible() and not w.talk.presenter_action.isChecked()


def test_rollup_shows_parent_categories_with_breadcrumbs(make_window, qtbot, corpus_dir):
    w = make_window(**{"presenter/rollup": True, "presenter/rollup_depth": 3, "presenter/hidden": "[]",
                       "classify/hop_seconds": 0.25})
    present(w)
    board = w.talk.board
    assert board.rollup and "Dog" in board.names and "Bark" not in board.names
    play(qtbot, w, corpus_dir / DOG, frames=1)
    qtbot.waitUntil(lambda: "Dog" in board.shown()[:3], timeout=20000)
    row = board.row("Dog")
    assert row.crumb == "Animal › Domestic animals, pets"
    # Its score is the max over Dog and every model class below it (Bark, Howl, Growling, …).
    raw = board.raw
    classes = w.model_info.classes
    members = [classes.index(n) for n in ["Dog", *w.talk.lo.descendants("Dog")] if n in classes]
    assert board.universe_scores(raw)[board.index["Dog"]] == pytest.approx(raw[members].max())
    assert "Roll-up · level 3" in w.talk.presenter.view.tags
    # Hovering a bar shows the category's AudioSet description.
    from html import escape

    from PySide6.QtCore import QEvent
    from PySide6.QtGui import QHelpEvent
    from PySide6.QtWidgets import QToolTip

    view = w.talk.presenter.view
    view.repaint()
    rect = next(r for r, k in view._hit if board.names[k] == "Dog")
    pos = rect.center().toPoint()
    view.event(QHelpEvent(QEvent.Type.ToolTip, pos, view.mapToGlobal(pos)))
    tip = QToolTip.text()
    assert "<b>Dog</b>" in tip and escape(w.talk.lo.description("Dog"))[:60] in tip


@pytest.mark.parametrize("problem", ["missing", "corrupt"])
def test_without_a_usable_ontology_the_app_says_so_and_keeps_working(make_window, qtbot, audio_dir, tmp_path,
                                                                     monkeypatch, problem):
    path = tmp_path / "ontology.json"
    if problem == "corrupt":
        path.write_text('[{"id": "/m/0", "name": "Animal", "child_ids": ["/m/missing"]')  # cut short
    monkeypatch.setattr(talk_module, "ONTOLOGY_PATH", str(path))
    w = make_window(**{"presenter/rollup": True})
    qtbot.waitUntil(lambda: "Ontology off" in w.message(), timeout=5000)
    assert w.talk.lo is None and not w.talk.board.rollup
    p = present(w)
    assert "Ontology off" in p.view.tags and "Ontology off" in p.footer.text()
    play(qtbot, w, audio_dir / "meow_16k.wav", frames=3)
    qtbot.waitUntil(lambda: "Cat" in w.talk.board.shown()[:3], timeout=10000)
    assert w.talk.board.row("Cat").crumb == ""
    w.talk.open_editor()
    editor = w.talk.editor
    assert not editor.rollup.isEnabled() and "Ontology off" in editor.note.text()
    editor.search.edit.setText("bark")
    assert editor.search.results()[0] == "Bark"  # search by name still works
    assert "No description" in editor.search.list.item(0).toolTip()


def test_class_search_pins_and_hides_with_descriptions(make_window, qtbot, ontology_path):
    w = make_window(**{"presenter/hidden": "[]"})
    w.talk.open_editor()
    e = w.talk.editor
    e.search.edit.setText("woof")  # only in Bark's description
    assert "Bark" in e.search.results()
    e.search.edit.setText("bark")
    assert e.search.results()[0] == "Bark"
    tip = e.search.list.item(0).toolTip()
    assert "Animal › Domestic animals, pets › Dog" in tip and "Principal communication sound" in tip
    e.search.list.setCurrentRow(0)
    e._add_selected(focus=True)
    assert w.talk.config.focus_classes() == ["Bark"]
    assert e.focus_table.rowCount() == 1 and e.search.list.item(0).text().startswith("★")
    bark = w.model_info.classes.index("Bark")
    assert bark in w.bars.pinned and bark in w.timeline.pinned
    e.search.edit.setText("music")
    e.search.list.setCurrentRow(0)
    label = e.search.selected()
    e._add_selected(focus=False)
    assert label in w.talk.config.hidden and label in w.talk.board.hidden_names
    w.talk.toggle_focus("Bark")  # unpin (as from a context menu)
    assert w.talk.config.focus_classes() == [] and not w.bars.pinned


def test_presenter_settings_round_trip(make_window, qtbot, settings_path, ontology_path):
    w = make_window()
    w.talk.open_editor()
    e = w.talk.editor
    e.theme.setCurrentIndex(e.theme.findData("light"))
    e.theme.activated.emit(e.theme.currentIndex())
    e.top_n.setValue(7)
    e.attack.setValue(120)
    e.release.setValue(1500)
    e.rollup.setChecked(True)
    e.depth.setValue(2)
    e.strip.setChecked(False)
    e.screen.addItem("projector-x", "projector-x")
    e.screen.setCurrentIndex(e.screen.count() - 1)
    e.screen.activated.emit(e.screen.currentIndex())
    w.talk.toggle_focus("Clapping")
    w.talk.toggle_focus("Typing")
    e.focus_table.cellWidget(0, 1).setValue(0.45)
    w.talk.toggle_hidden("Music")
    w.talk.toggle_hidden("Silence")  # was hidden by default: shown again
    expected = w.talk.config
    w.close()

    w2 = make_window()
    c = w2.talk.config
    assert c == expected
    assert (c.theme, c.top_n, c.attack, c.release, c.rollup, c.rollup_depth, c.spectrogram, c.screen) == (
        "light", 7, pytest.approx(0.12), pytest.approx(1.5), True, 2, False, "projector-x")
    assert [(f.name, f.threshold) for f in c.focus] == [("Clapping", pytest.approx(0.45)), ("Typing", 0.3)]
    assert c.hidden == ("Music",)
    p = present(w2)
    assert p.theme.name == "light" and not p.strip.widget.isVisible()
    assert w2.talk.board.rollup and w2.talk.board.slots == 7 + 2
    assert "not connected" in p.message()  # the saved screen is absent: says where it went instead


def test_damaged_presenter_lists_fall_back_with_a_message(make_window, qtbot):
    w = make_window(**{"presenter/focus": "{not json", "presenter/hidden": '[1, 2]'})
    qtbot.waitUntil(lambda: "could not be read" in w.message(), timeout=5000)
    assert w.talk.config.focus == () and w.talk.config.hidden == ("Silence",)


def test_snapshot_saves_a_png_and_says_where(make_window, qtbot, tmp_path, monkeypatch, audio_dir):
    monkeypatch.setenv("XDG_PICTURES_DIR", str(tmp_path / "Pictures"))
    w = make_window()
    qtbot.keyClick(w, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    main_shot = w.talk.last_snapshot
    assert main_shot.parent == tmp_path / "Pictures" / "yamview" and main_shot.suffix == ".png"
    assert str(main_shot) in w.statusBar().currentMessage()
    p = present(w)
    play(qtbot, w, audio_dir / "meow_16k.wav", frames=2)
    qtbot.keyClick(p, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    shot = w.talk.last_snapshot
    assert shot != main_shot and shot.name.startswith("yamview-presenter-")
    from PySide6.QtGui import QImage

    image = QImage(str(shot))
    assert (image.width(), image.height()) == (1920, 1080)
    assert str(shot) in p.message()


_SCREENS_SCRIPT = r"""
import sys
from yamview.gui.app import make_app
app = make_app()
from PySide6.QtCore import QTimer
from yamview.gui.main_window import MainWindow
from yamview.gui.settings import Settings
s = Settings(sys.argv[1])
s.set("presenter/screen", sys.argv[2])
w = MainWindow(s, output_device="none")
w.setScreen(app.screens()[0]); w.resize(1200, 700); w.show()
def poll():
    if w.talk.board is None:
        return
    w.talk.toggle_presenter()
    app.processEvents()
    p = w.talk.presenter
    g = p.geometry()
    print("presenter", p.screen().name(), g.width(), g.height(), p.isFullScreen(), w.talk._covers_main(), flush=True)
    w.close(); app.quit()
t = QTimer(); t.timeout.connect(poll); t.start(50)
QTimer.singleShot(40000, lambda: (print("timeout"), app.exit(3)))
sys.exit(app.exec())
"""


@pytest.mark.parametrize("chosen, expected", [("", "projector 1920 1080 True False"),
                                              ("main", "main 1280 800 True True")])
def test_presenter_goes_full_screen_on_the_second_or_chosen_screen(tmp_path, chosen, expected):
    config = tmp_path / "screens.json"
    config.write_text(json.dumps({"screens": [
        {"name": "main", "x": 0, "y": 0, "width": 1280, "height": 800, "logicalDpi": 96, "logicalBaseDpi": 96, "dpr": 1},
        {"name": "projector", "x": 1280, "y": 0, "width": 1920, "height": 1080, "logicalDpi": 96,
         "logicalBaseDpi": 96, "dpr": 1}]}))
    env = dict(os.environ, QT_QPA_PLATFORM=f"offscreen:configfile={config}")
    p = subprocess.run([sys.executable, "-c", _SCREENS_SCRIPT, str(tmp_path / "s.ini"), chosen],
                       capture_output=True, text=True, timeout=120, env=env)
    assert p.returncode == 0, p.stdout + p.stderr
    assert f"presenter {expected}" in p.stdout, p.stdout


def test_config_round_trip_without_qt_widgets(tmp_path):
    s = Settings(tmp_path / "c.ini")
    c, problem = PresenterConfig.load(s)
    assert problem is None and c.focus == () and c.hidden == ("Silence",)
    c = c.add_focus('Odd, "quoted" name', 0.25).add_hidden("Music").add_focus("Music")  # focus wins, leaves hidden
    c.save(s)
    s.sync()
    again, problem = PresenterConfig.load(Settings(tmp_path / "c.ini"))
    assert again == c and problem is None and "Music" not in again.hidden


def test_right_click_pins_and_hides_in_presenter_and_main_timeline(make_window, qtbot, monkeypatch, audio_dir):
    from PySide6.QtCore import QPointF
    from PySide6.QtGui import QContextMenuEvent

    w = make_window(**{"presenter/hidden": "[]"})
    p = present(w)
    board = w.talk.board
    play(qtbot, w, audio_dir / "meow_16k.wav", frames=3)
    qtbot.waitUntil(lambda: "Cat" in board.shown()[:3], timeout=10000)
    qtbot.wait(400)  # let the bars settle
    menus = []
    monkeypatch.setattr(w.talk, "exec_menu", lambda menu, pos: menus.append(menu))

    def actions():
        return {a.text(): a for a in menus[-1].actions()}

    rect = next(r for r, k in p.view._hit if board.names[k] == "Cat")
    pos = rect.center().toPoint()
    p.view.contextMenuEvent(QContextMenuEvent(QContextMenuEvent.Reason.Mouse, pos, p.view.mapToGlobal(pos)))
    actions()["Pin “Cat” (focus)"].trigger()
    cat = w.model_info.classes.index("Cat")
    assert w.talk.config.focus_classes() == ["Cat"]
    qtbot.waitUntil(lambda: board.row("Cat").focus, timeout=2000)  # next display frame
    assert cat in w.bars.pinned
    qtbot.waitUntil(lambda: w.timeline.shown_classes()[:1] == ["Cat"], timeout=5000)
    # Right-click on the main window's timeline, first row (the pinned Cat): unpin from there.
    tl = w.timeline
    scene = tl.plot.getViewBox().mapViewToScene(QPointF(-5.0, 0.5))
    w.talk._view_menu(tl, tl.widget.mapFromScene(scene))
    actions()["Unpin “Cat”"].trigger()
    assert w.talk.config.focus_classes() == [] and cat not in w.bars.pinned
    # Hide from the presenter: gone from its bars, still in the main window's.
    p.view.contextMenuEvent(QContextMenuEvent(QContextMenuEvent.Reason.Mouse, pos, p.view.mapToGlobal(pos)))
    name = next(n for n in actions() if n.startswith("Hide “"))[len("Hide “"):].split("”")[0]
    actions()[f"Hide “{name}” while presenting"].trigger()
    qtbot.wait(400)
    assert name in w.talk.config.hidden and name not in board.shown()


def _presenter_frames(model, corpus_dir):
    from yamview.core.analysis import analyze
    from yamview.core.audio import AudioFile

    out = []
    for code in ("001", "009", "004", "007"):
        clip = sorted((corpus_dir / "esc10").glob(f"{code}_*.ogg"))[0]
        out += [f.scores for f in analyze(AudioFile(clip), model, hop_seconds=0.25)]
    return out


def test_presenter_frames_mid_glide_have_no_overlapping_or_unnamed_rows(qapp, model, corpus_dir):
    """Grab frames while rows open, fold and move: each must be a true still picture."""
    from yamview.gui.presenter.board import Board, BoardConfig
    from yamview.gui.presenter.view import PresenterView

    board = Board(list(model.classes), config=BoardConfig(top_n=4, threshold=0.1))
    view = PresenterView()
    view.board = board
    view.resize(1280, 720)
    view.reference_height = 720
    view.show()
    t, checked, moving = 0.0, 0, 0
    for scores in _presenter_frames(model, corpus_dir):
        board.feed(scores, t)
        for _ in range(15):  # 0.25 s hop at 60 fps
            t += 1 / 60
            board.tick(t)
            in_motion = any(0.0 < r.h < 1.0 for r in board.rows)
            if not in_motion and checked % 4:  # every frame in motion, some calm ones
                checked += 1
                continue
            checked += 1
            moving += in_motion
            image = view.grab().toImage()
            hits = sorted(view._hit, key=lambda h: h[0].top())
            assert len(hits) == len([r for r in board.rows if r.h > 0])  # every row painted once
            for (a, _), (b, _) in zip(hits, hits[1:]):
                assert a.bottom() <= b.top() + 0.5, (a, b)  # no overlap
            for (rect, key), row in zip(hits, sorted((r for r in board.rows if r.h > 0), key=lambda r: r.y)):
                assert row.key == key and row.name  # each painted row is a named class with a score
                if rect.height() < 40:
                    continue
                colour = view._bar_colour(key, row)
                row_h = rect.height() / row.h  # before the squeeze (only vertical)
                y = int(rect.top() + rect.height() * 0.08)  # above the name, inside the bar
                line = [image.pixelColor(x, y) for x in range(int(rect.left()), int(rect.right()))]
                bar = [i for i, c in enumerate(line) if abs(c.red() - colour.red()) + abs(c.green() - colour.green())
                       + abs(c.blue() - colour.blue()) < 30]
                x0 = bar[0] if bar else 0  # where the bar starts
                track_w = rect.width() - x0
                radius = row_h * 0.16
                if row.value * track_w > 2 * radius:
                    # The rounded corners cut the sampled line at both ends by this much.
                    inset = radius * (1 - np.sqrt(1 - ((radius - row_h * 0.08) / radius) ** 2))
                    assert abs(len(bar) - (row.value * track_w - 2 * inset)) <= 4, (row.name, row.value, len(bar))
    assert moving > 20


def test_a_class_keeps_its_colour_when_roll_up_is_toggled(qapp, model, ontology_path):
    from yamview.core.ontology import Ontology
    from yamview.gui.presenter.board import Board, BoardConfig
    from yamview.gui.presenter.view import PresenterView

    lo = Ontology.load(ontology_path).for_classes(model.classes)
    board = Board(list(model.classes), lo, BoardConfig(top_n=5))
    view = PresenterView()
    view.board = board

    def colours():
        return {n: view._bar_colour(board.index[n], type("R", (), {"name": n})()).name()
                for n in ("Dog", "Animal", "Music") if n in board.index}

    flat = colours()
    assert len(set(flat.values())) == 3
    board.configure(BoardConfig(top_n=5, rollup=True, rollup_depth=2))
    rolled = colours()
    assert rolled and all(rolled[n] == flat[n] for n in rolled)  # same class, same colour
    board.configure(BoardConfig(top_n=5))
    assert colours() == flat


def test_presenter_says_stopped_not_live_while_nothing_listens(make_window, qtbot, audio_dir):
    w = make_window()
    p = present(w)
    qtbot.waitUntil(lambda: w.model_info is not None, timeout=30000)
    w.talk.redraw()
    assert p.view.state == "stopped"
    play(qtbot, w, audio_dir / "speech.wav", frames=2)
    w.talk.redraw()
    assert p.view.state == "live"
    w.stop()
    w.talk.redraw()
    assert p.view.state == "stopped"


def test_long_names_are_elided_before_the_score(qapp):
    from yamview.gui.presenter.board import Board, BoardConfig
    from yamview.gui.presenter.view import PresenterView

    long_name = "Livestock, farm animals, working animals"
    board = Board(["Speech", long_name], config=BoardConfig(top_n=2, attack=0.0, release=0.0))
    view = PresenterView()
    view.board = board
    view.resize(900, 500)
    view.reference_height = 1080  # big type in a small window: the name cannot fit
    view.show()
    board.feed(np.array([0.2, 0.9], np.float32), 0.0)
    board.tick(0.0)
    board.tick(1.0)
    drawn = []
    real = view._texts.get
    view._texts.get = lambda text, fid: (drawn.append((text, fid)), real(text, fid))[1]
    view.grab()
    names = [t for t, fid in drawn if fid == view.f_name]
    score = next(t for t, fid in drawn if fid == view.f_score and t == "0.90")
    assert score and any(n.endswith("…") and long_name.startswith(n[:-1]) for n in names), names
    metrics = view._texts.metrics(view.f_name)
    elided = next(n for n in names if n.endswith("…"))
    assert metrics.horizontalAdvance(elided) < view.width() - metrics.horizontalAdvance("0.90") - 40
