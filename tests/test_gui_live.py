"""The main window on a real capture device: a private PulseAudio null sink (see tests/pulse.py)."""

from __future__ import annotations

import signal

import pytest

from yamview.gui.app import make_app
from yamview.gui.main_window import MainWindow
from yamview.gui.settings import Settings

pytestmark = pytest.mark.gui


@pytest.fixture()
def live_window(pulse, qapp, qtbot, tmp_path):
    make_app()
    settings = Settings(tmp_path / "live.ini")
    settings.set("classify/hop_seconds", 0.25)
    w = MainWindow(settings, output_device="none")
    qtbot.addWidget(w)
    w.resize(1280, 800)
    w.show()
    qtbot.waitUntil(lambda: w.model_info is not None, timeout=20000)
    index = w.source_combo.findData("mic:pulse")
    assert index >= 0, [w.source_combo.itemText(i) for i in range(w.source_combo.count())]
    w.source_combo.setCurrentIndex(index)
    w.source_combo.activated.emit(index)
    yield w
    w.close()


def test_microphone_through_the_worker_hears_speech(live_window, pulse, qtbot, audio_dir):
    w = live_window
    w.start()  # opens the device on a helper thread
    qtbot.waitUntil(lambda: w.running, timeout=10000)
    assert w.message() == ""
    qtbot.waitUntil(lambda: w.source.stream_time > 0.3, timeout=5000)
    player = pulse.play(audio_dir / "speech.wav")
    seen = []

    def heard_speech():
        shown = w.bars.shown()
        if shown:
            seen.append(shown[0][0])
        return "Speech" in seen

    qtbot.waitUntil(heard_speech, timeout=10000)
    player.wait(10)
    assert w.source.device.name == "pulse"
    assert w.settings.get("source/device") == "pulse"  # remembered by name
    assert "Speech" in w.timeline.shown_classes()


def test_sound_server_dying_mid_stream_is_explained(live_window, pulse, qtbot, audio_dir, tmp_path):
    w = live_window
    w.start()
    qtbot.waitUntil(lambda: w.frames_scored >= 1, timeout=8000)
    pulse.signal_server(signal.SIGKILL)
    qtbot.waitUntil(lambda: "Input stopped" in w.message(), timeout=5000)
    assert w.start_button.text() == "Start" and not w.running
    assert w.banner.button.text() == "Open file…"
    # The window still works: a file plays through the same pipeline afterwards.
    assert w.open_file(str(audio_dir / "speech.wav"))
    n = w.frames_scored
    qtbot.waitUntil(lambda: w.frames_scored > n, timeout=8000)


def test_start_while_the_sound_server_is_frozen_never_blocks_the_window(live_window, pulse, qtbot):
    """Pressing Start with a frozen sound server once blocked the GUI for 32 s: now the window
    keeps running, says what it waits for, and can stop waiting; closing it stays bounded."""
    import time

    from PySide6.QtCore import QTimer

    w = live_window
    ticks = []
    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(time.monotonic()))
    timer.start(50)
    pulse.signal_server(signal.SIGSTOP)
    try:
        w.start()
        qtbot.waitUntil(lambda: "waiting for the sound server to answer" in w.message(), timeout=15000)
        assert w.message().startswith("Opening microphone pulse")
        assert w.start_button.text() == "Starting…" and not w.start_button.isEnabled()
        gaps = [b - a for a, b in zip(ticks, ticks[1:])]
        assert len(ticks) > 5 and max(gaps) < 2.0, "the event loop stalled"
        assert w.banner.button.text() == "Stop waiting"
        w.banner.button.click()
        assert "Gave up opening microphone pulse" in w.message()
        assert w.start_button.isEnabled() and w.start_button.text() == "Start"
        t0 = time.monotonic()
        w.close()
        assert time.monotonic() - t0 < 10.0, "closing waited for the frozen server"
    finally:
        timer.stop()
        pulse.signal_server(signal.SIGCONT)


def test_the_same_microphone_is_reconnected_when_it_comes_back(live_window, pulse, qtbot):
    """The sound server dies (a device unplugged) and comes back: listening resumes by itself."""
    w = live_window
    w.start()
    qtbot.waitUntil(lambda: w.frames_scored >= 1, timeout=8000)
    pulse.signal_server(signal.SIGKILL)
    qtbot.waitUntil(lambda: "Input stopped" in w.message(), timeout=5000)
    assert "resumes by itself" in w.message() and w.transport.lost_device == "pulse"
    assert not w.running
    qtbot.wait(2500)  # a reconnect attempt while the device is gone changes nothing
    assert not w.running and w.transport.lost_device == "pulse"
    # The fixture's restart briefly suspends the sink (it ends any stream open then): the window
    # waits meanwhile, then its own timer finds the device back.
    w.transport._reconnect.stop()
    pulse.restart()
    w.transport._reconnect.start()
    qtbot.waitUntil(lambda: w.running and "Reconnected" in w.message(), timeout=20000)
    assert w.source.device.name == "pulse" and w.transport.lost_device is None
    n = w.frames_scored
    qtbot.waitUntil(lambda: w.frames_scored > n, timeout=10000)  # scores flow again
    w.stop()  # nothing streaming when the fixture re-initialises PortAudio
    qtbot.waitUntil(lambda: w.transport._opening is None and not w.source.running, timeout=10000)
