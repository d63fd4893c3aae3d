"""The main window, offscreen, with the real model, real files, real widgets.

File sources run with output_device="none": paced by the clock into the same pipeline as a
microphone (this machine has no sound card).
"""

from __future__ import annotations

import shutil
import time

import numpy as np
import pytest

pytestmark = pytest.mark.gui

from yamview.core.framing import Framing
from yamview.gui.app import make_app
from yamview.gui.main_window import MainWindow
from yamview.gui.settings import Settings
from yamview.sources import devices


@pytest.fixture()
def settings_path(tmp_path):
    return tmp_path / "yamview.ini"


@pytest.fixture()
def make_window(qapp, qtbot, settings_path):
    make_app()
    windows = []

    def make(path=None, wait_model=True):
        w = MainWindow(Settings(path or settings_path), output_device="none")
        qtbot.addWidget(w)
        w.resize(1280, 800)
        w.show()
        windows.append(w)
        if wait_model:
            qtbot.waitUntil(lambda: w.model_info is not None, timeout=20000)
        return w

    yield make
    for w in windows:
        w.close()


def play(qtbot, w, path, frames=3, timeout=20000):
    assert w.open_file(str(path)), w.message()
    qtbot.waitUntil(lambda: w.frames_scored >= frames, timeout=timeout)


def test_window_is_visible_before_the_model_has_loaded(make_window, qtbot):
    w = make_window(wait_model=False)
    assert w.isVisible() and w.model_info is None
    assert not w.start_button.isEnabled() and w.busy.isVisible()
    qtbot.waitUntil(lambda: w.model_info is not None, timeout=20000)
    assert w.start_button.isEnabled() and not w.busy.isVisible()
    assert w.model_info.sample_rate == 16000 and len(w.model_info.classes) == 521


def test_speech_file_gives_speech_top1_and_views_change(make_window, qtbot, audio_dir):
    w = make_window()
    spec_before = w.spectrogram.data.copy()
    play(qtbot, w, audio_dir / "speech.wav", frames=4)
    assert w.bars.shown()[0][0] == "Speech"
    assert w.timeline.shown_classes()[0] == "Speech"
    # The views really drew: spectrogram columns filled, waveform curve has the audio, heat map set.
    qtbot.waitUntil(lambda: not np.array_equal(w.spectrogram.data, spec_before), timeout=5000)
    assert w.spectrogram.data.max() > -60
    x, y = w.waveform.curve.getData()
    assert len(y) > 1000 and np.abs(y).max() > 0.1
    img = w.timeline.image.image
    assert img is not None and img.max() > 0.5
    qtbot.waitUntil(lambda: w.level.hold_db > -20, timeout=5000)  # speech peaks reach the meter
    assert "Inference:" in w.controls.readout.text() and "ms" in w.controls.readout.text()


def test_meow_gives_cat_in_top3(make_window, qtbot, audio_dir):
    w = make_window()
    play(qtbot, w, audio_dir / "meow_16k.wav", frames=1)
    cats = []
    deadline = time.monotonic() + 8
    while time.monotonic() < deadline and not cats:
        qtbot.wait(100)
        cats = [n for n, _ in w.bars.shown()[:3] if n == "Cat"]
    assert cats, w.bars.shown()


def test_grabbed_pixels_change_while_playing(make_window, qtbot, corpus_dir):
    w = make_window()
    play(qtbot, w, corpus_dir / "esc10" / "001_Dog_bark__1-100032-A.ogg", frames=1)
    a = w.spectrogram.widget.grab().toImage()
    qtbot.waitUntil(lambda: w.spectrogram.widget.grab().toImage() != a, timeout=5000)  # it scrolled


def test_settings_round_trip(make_window, qtbot, settings_path):
    w = make_window()
    c = w.controls
    c.max_results.setValue(7)
    c.threshold.setValue(0.35)
    c.overlap.setCurrentIndex(3)
    c.overlap.activated.emit(3)  # 75 %
    c.scale.setCurrentText("log")
    c.kernels.setCurrentIndex(c.kernels.findData("reference"))
    qtbot.waitUntil(lambda: w.model_info.kernels == "reference", timeout=20000)
    assert w.bars.n == 7 and w.bars.threshold == pytest.approx(0.35)  # applied live, not only saved
    w.close()
    w2 = make_window(settings_path)
    c2 = w2.controls
    assert c2.max_results.value() == 7 and w2.bars.n == 7
    assert c2.threshold.value() == pytest.approx(0.35) and w2.bars.threshold == pytest.approx(0.35)
    assert c2.hop_seconds() == pytest.approx(0.24375) and c2.overlap.currentText() == "75%"
    assert c2.scale.currentText() == "log" and w2.spectrogram.scale_name == "log"
    assert w2.model_info.kernels == "reference"


def test_corrupt_settings_fall_back_to_defaults_with_a_message(make_window, settings_path):
    settings_path.write_bytes(b"[classify]\nmax_results=\xff\xfe\x00garbage\x00\n[[[\n")
    w = make_window()
    assert w.controls.max_results.value() == 5
    assert "reset" in w.message() or "unreadable" in w.message()


def test_bad_file_changes_nothing(make_window, qtbot, audio_dir, tmp_path):
    w = make_window()
    play(qtbot, w, audio_dir / "speech.wav", frames=1)
    source = w.source
    bad = tmp_path / "notes.wav"
    bad.write_text("not audio at all\n" * 100)
    assert not w.open_file(str(bad))
    assert "Cannot open notes.wav" in w.message() and "Nothing was changed" in w.message()
    assert w.source is source and w.source.running
    n = w.frames_scored
    qtbot.waitUntil(lambda: w.frames_scored > n, timeout=5000)  # still classifying


@pytest.fixture()
def no_input_device(monkeypatch):
    """A machine without a microphone, also where the test machine has one."""
    monkeypatch.setattr(devices, "list_input_devices", lambda: [])
    monkeypatch.setattr(devices, "default_input_device", lambda: None)


def test_missing_input_device_is_explained(no_input_device, make_window, qtbot):
    w = make_window()
    assert "No input device found" in w.message()
    assert w.banner.button.isVisible() and w.banner.button.text() == "Open file…"
    w.start()  # Space on a machine without a microphone
    assert "No input device" in w.message() and w.isVisible()


def test_unloadable_model_keeps_the_old_one(make_window, qtbot, tmp_path):
    w = make_window()
    bad = tmp_path / "broken.tflite"
    bad.write_bytes(b"definitely not a model" * 100)
    w._load_model(str(bad))
    qtbot.waitUntil(lambda: "not a TFLite model" in w.message(), timeout=10000)
    assert "Still using" in w.message()
    assert w.model_info.name == "yamnet/classification"
    assert w.controls.model.currentData() == ""
    # The status line names the model in use again (it said "Loading model…" forever).
    assert "Loading" not in w.status_label.text() and "yamnet/classification" in w.status_label.text()
    assert not w.busy.isVisible()


def test_other_model_with_other_window(make_window, qtbot, tmp_path, audio_dir):
    from tflite_builder import tiny_classifier

    path = tmp_path / "tiny.tflite"
    path.write_bytes(tiny_classifier(8000, 4))
    (tmp_path / "tiny.yamview.json").write_text('{"sample_rate": 16000}')  # a bare model's sidecar
    w = make_window()
    w._load_model(str(path))
    qtbot.waitUntil(lambda: w.model_info.window == 8000, timeout=10000)
    assert w.controls.window_seconds == pytest.approx(0.5)
    assert "no label file" in w.message()  # the model's warning is shown
    play(qtbot, w, audio_dir / "speech.wav", frames=2)
    assert {n for n, _ in w.bars.shown()} <= {"class 0", "class 1", "class 2", "class 3"}


class _FailingRing:
    """A ring that breaks on read: stands in for any exception inside the worker."""

    def __init__(self, ring):
        self._ring = ring

    @property
    def total(self):
        return self._ring.total

    @property
    def written_at(self):
        return self._ring.written_at

    def window(self, end, n):
        raise RuntimeError("simulated failure in the worker")


def test_worker_exception_is_shown_and_the_app_keeps_running(make_window, qtbot, audio_dir):
    w = make_window()
    play(qtbot, w, audio_dir / "meow_16k.wav", frames=1)
    w.request_ring.emit(_FailingRing(w.source.ring), w.source.ring.total)
    qtbot.waitUntil(lambda: "simulated failure" in w.message(), timeout=5000)
    w.request_ring.emit(w.source.ring, w.source.ring.total)
    n = w.frames_scored
    qtbot.waitUntil(lambda: w.frames_scored > n, timeout=5000)


def test_worker_skips_instead_of_queueing(make_window, qtbot, audio_dir):
    """Reference kernels on 2 threads and a 10 ms hop cannot keep up: frames are skipped, not queued."""
    w = make_window()
    w.request_hop.emit(0.01)
    play(qtbot, w, audio_dir / "speech.wav", frames=10)
    qtbot.wait(500)
    assert w.worker.skipped > 0
    # No backlog: the newest result is about one window behind the stream.
    assert w.latencies_ms[-1] < 200


def test_space_toggles_and_pause_keeps_position(make_window, qtbot, audio_dir):
    from PySide6.QtCore import Qt

    w = make_window()
    play(qtbot, w, audio_dir / "meow_16k.wav", frames=1)
    qtbot.keyClick(w, Qt.Key.Key_Space)
    assert w.start_button.text() == "Start"
    pos = w.source.position
    qtbot.wait(400)
    assert w.source.position == pytest.approx(pos, abs=0.05)
    qtbot.keyClick(w, Qt.Key.Key_Space)
    assert w.start_button.text() == "Stop"
    qtbot.waitUntil(lambda: w.source.position > pos + 0.2, timeout=3000)


def test_drop_a_file(make_window, qtbot, audio_dir):
    from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
    from PySide6.QtGui import QDropEvent

    w = make_window()
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(audio_dir / "two_heads.wav"))])
    event = QDropEvent(QPointF(100, 100), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                       Qt.KeyboardModifier.NoModifier)
    w.dropEvent(event)
    assert w.source is not None and w.source.file.path.name == "two_heads.wav"
    assert "two_heads.wav" in w.source_combo.currentText()


@pytest.mark.skipif(shutil.which("xvfb-run") is None, reason="xvfb-run not installed (apt install xvfb xauth)")
def test_real_window_under_xvfb(tmp_path, audio_dir):
    import subprocess
    import sys

    script = f"""
import sys
from yamview.gui.app import make_app
app = make_app()
from yamview.gui.main_window import MainWindow
from yamview.gui.settings import Settings
from PySide6.QtCore import QTimer
w = MainWindow(Settings({str(tmp_path / 's.ini')!r}), output_device="none")
w.resize(1280, 800); w.show()
state = {{"opened": False}}
def poll():
    if w.model_info and not state["opened"]:
        state["opened"] = w.open_file({str(audio_dir / 'speech.wav')!r})
    if w.frames_scored >= 3:
        print("platform", app.platformName(), "top", w.bars.shown()[0][0], "visible", w.isVisible())
        w.grab().save({str(tmp_path / 'xvfb.png')!r})
        w.close(); app.quit()
t = QTimer(); t.timeout.connect(poll); t.start(50)
QTimer.singleShot(30000, lambda: (print("timeout"), app.exit(3)))
sys.exit(app.exec())
"""
    env = {k: v for k, v in __import__("os").environ.items() if k != "QT_QPA_PLATFORM"}
    env["QT_QPA_PLATFORM"] = "xcb"
    p = subprocess.run(["xvfb-run", "-a", "-s", "-screen 0 1280x800x24", sys.executable, "-c", script],
                       capture_output=True, text=True, timeout=90, env=env)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "platform xcb top Speech visible True" in p.stdout
    assert (tmp_path / "xvfb.png").stat().st_size > 10_000


def test_first_scores_cover_the_first_window(make_window, qtbot, audio_dir):
    from PySide6.QtCore import Qt, QTimer

    w = make_window()
    got = []  # appended on the worker thread (a direct connection): list.append is thread-safe
    w.worker.scored.connect(got.append, type=Qt.ConnectionType.DirectConnection)
    # The worker thread is busy (as on a loaded machine) while the file starts: the source
    # writes its first blocks before the worker hears of the new ring.
    QTimer.singleShot(0, w.worker, lambda: time.sleep(0.3))
    play(qtbot, w, audio_dir / "speech.wav", frames=1)
    first = got[0]
    # Frame 0 is the file's first window (0.975 s): not later, not padded. (A worker that the
    # machine holds up for longer than a hop jumps to the newest window, as live scoring must,
    # and counts the frames it skipped: then the first frame is that one, on the same grid.)
    info = w.model_info
    hop = Framing.create(info.window, info.sample_rate, hop_seconds=w.controls.hop_seconds() or None).hop_seconds
    assert first.index == first.skipped
    assert first.start == pytest.approx(first.index * hop, abs=1e-9)
    assert first.end - first.start == pytest.approx(15600 / 16000)
    assert first.entered_at <= first.emitted_at


def test_f11_toggles_full_screen(make_window, qtbot):
    from PySide6.QtCore import Qt

    w = make_window()
    qtbot.keyClick(w, Qt.Key.Key_F11)
    qtbot.waitUntil(w.isFullScreen, timeout=3000)
    qtbot.keyClick(w, Qt.Key.Key_F11)
    qtbot.waitUntil(lambda: not w.isFullScreen(), timeout=3000)


def test_menus_reach_every_toolbar_command(make_window, qtbot):
    from PySide6.QtCore import QMetaMethod
    from PySide6.QtWidgets import QWidgetAction

    w = make_window()
    assert [a.text() for a in w.menuBar().actions()] == ["&File", "&View", "&Help"]
    entries = [a for menu in w.menuBar().actions() for a in menu.menu().actions() if a.text()]
    view = [a.text() for a in w.view_menu.actions() if a.text()]
    assert "&Full screen" in view and "Presenter" in view and "❚❚ Freeze" in view
    # Every command on the toolbar is the very action a menu holds (one action, one shortcut);
    # the ↻ beside the device picker only re-reads that picker's list.
    commands = [a for a in w.transport_bar.actions()
                if a.text() and not isinstance(a, QWidgetAction) and a is not w.transport.refresh_action]
    assert len(commands) >= 6
    assert [a.iconText() for a in commands if a not in entries] == []
    # ... and every menu entry does something when chosen.
    triggered = QMetaMethod.fromSignal(entries[0].triggered)
    assert [a.text() for a in entries if not a.isSignalConnected(triggered)] == []


def test_reset_settings(make_window, qtbot, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    w = make_window()
    w.controls.max_results.setValue(9)
    w.controls.scale.setCurrentText("linear")
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    w.reset_settings()
    assert w.controls.max_results.value() == 5 and w.bars.n == 5
    assert w.settings.get("spectrogram/scale") == "mel" and w.spectrogram.scale_name == "mel"
    assert "reset" in w.message()


def test_idle_hint_says_the_next_step_without_a_microphone(no_input_device, make_window, audio_dir):
    w = make_window()
    assert w._idle_hint() == "Open an audio file (Ctrl+O) to begin"
    w.open_file(str(audio_dir / "two_heads.wav"), start=False)
    assert w._idle_hint() == "Press Start (Space)"
    assert "No input device" not in w.message()


def test_idle_hint_says_the_next_step_with_a_microphone(pulse, make_window):
    w = make_window()
    assert w.source_combo.currentData().startswith("mic:")
    assert w._idle_hint() == "Press Start (Space)"
    assert "No input device" not in w.message()


def test_lost_audio_is_shown_in_the_status_line(make_window, qtbot, audio_dir):
    w = make_window()
    play(qtbot, w, audio_dir / "meow_16k.wav", frames=1)
    assert not w.losses_label.isVisible()
    src = w.source
    real, stalled = src._pump_once, []

    def slow_once():  # hold the pump up once, as a busy machine would
        if not stalled:
            stalled.append(True)
            time.sleep(3.0)
        real()

    src._pump_once = slow_once
    qtbot.waitUntil(lambda: "processing stalled for up to" in w.losses_label.text(), timeout=20000)
    assert w.losses_label.isVisible() and w.losses_label.text().startswith("lost ")
    assert "Input stopped" not in w.message()  # a stall of our own is not a dead device


# -- state that never lies, keys -------------------------------------------------------------------

def test_reset_settings_clears_the_presenter_lists_at_once(make_window, qtbot, settings_path, monkeypatch):
    import json

    from PySide6.QtWidgets import QMessageBox

    Settings(settings_path).set("presenter/focus", json.dumps([{"label": "Dog", "threshold": 0.3}]))
    w = make_window()
    qtbot.waitUntil(lambda: w.talk.board is not None, timeout=10000)
    dog = w.model_info.classes.index("Dog")
    assert dog in w.bars.pinned and w.talk.config.focus_classes() == ["Dog"]
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    w.reset_settings()
    assert w.talk.config.focus_classes() == [] and not w.bars.pinned and not w.timeline.pinned
    assert "Dog" not in w.talk.board.index or not w.talk.board.row("Dog")


def test_frozen_main_window_shows_a_lasting_sign(make_window, qtbot, audio_dir):
    w = make_window()
    play(qtbot, w, audio_dir / "speech.wav", frames=2)
    assert not w.talk.state_sign.isVisible()
    assert w.talk.freeze()
    assert w.talk.state_sign.isVisible() and "FROZEN" in w.talk.state_sign.text()
    qtbot.wait(300)
    assert w.talk.state_sign.isVisible()  # lasting: not a status message that times out
    w.talk.start_replay()
    assert "REPLAY" in w.talk.state_sign.text()
    w.talk.unfreeze()
    assert not w.talk.state_sign.isVisible()


def test_file_position_and_loop_only_for_a_file(no_input_device, make_window, qtbot, audio_dir):
    w = make_window()
    t = w.transport
    assert not any(a.isVisible() for a in t._seek_actions + [t._loop_action])  # no source
    assert w.open_file(str(audio_dir / "speech.wav"), start=False)
    assert all(a.isVisible() for a in t._seek_actions + [t._loop_action])
    t.set_source(None)  # back to the (microphone) picker
    assert not any(a.isVisible() for a in t._seek_actions + [t._loop_action])


def test_no_input_device_warning_goes_when_refresh_finds_one(no_input_device, make_window, monkeypatch):
    w = make_window()
    assert "No input device found" in w.message()
    found = devices.DeviceInfo(name="USB microphone", index=0, hostapi="ALSA", max_channels=1,
                               default_samplerate=48000.0)
    monkeypatch.setattr(devices, "list_input_devices", lambda: [found])
    monkeypatch.setattr(devices, "rescan", lambda timeout=0: True)
    w.transport.refresh_devices(rescan=True)
    assert "No input device" not in w.message()
    assert w.source_combo.currentText() == "Microphone: USB microphone"


def test_space_starts_and_stops_from_a_spin_box_but_types_in_text(make_window, qtbot, audio_dir):
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QLineEdit

    w = make_window()
    assert w.open_file(str(audio_dir / "speech.wav"), start=False)
    w.activateWindow()
    qtbot.waitUntil(lambda: w.isActiveWindow(), timeout=5000)
    spin = w.controls.threshold
    spin.setFocus()
    qtbot.waitUntil(spin.hasFocus, timeout=3000)
    qtbot.keyClick(spin.lineEdit(), Qt.Key.Key_Space)  # right after changing a setting
    qtbot.waitUntil(lambda: w.running, timeout=5000)
    qtbot.keyClick(spin.lineEdit(), Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: not w.running, timeout=5000)
    text = QLineEdit(w)  # a text field types the space instead
    text.show()
    text.setFocus()
    qtbot.waitUntil(text.hasFocus, timeout=3000)
    qtbot.keyClick(text, Qt.Key.Key_Space)
    assert text.text() == " " and not w.running


def test_menus_list_the_keys_and_a_shortcut_sheet(make_window):
    from PySide6.QtGui import QKeySequence

    w = make_window()
    keys = {a.text(): a.shortcut().toString() for a in w.view_menu.actions() if not a.isSeparator()}
    presenter = next(k for k in keys if "Presenter" in k)
    freeze = next(k for k in keys if "Freeze" in k)
    replay = next(k for k in keys if "Replay" in k)
    snapshot = next(k for k in keys if "snapshot" in k.lower())
    assert keys[presenter] == "F5" and keys[freeze] == "Pause" and keys[replay] == "Ctrl+R"
    assert keys[snapshot] == QKeySequence(QKeySequence.StandardKey.Save).toString() == "Ctrl+S"
    help_menu = next(m.menu() for m in w.menuBar().actions() if m.text() == "&Help")
    sheet = next(a for a in help_menu.actions() if "Keyboard shortcuts" in a.text())
    assert sheet.shortcut().toString() == "F1"
    text = w.shortcuts_box().text()
    for key in ("Space", "F5", "Pause", "Ctrl+R", "Ctrl+S", "F11", "Esc"):
        assert key in text, key
