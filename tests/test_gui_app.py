"""The application object: garbage collection stays on the GUI thread."""

from __future__ import annotations

import threading

import pytest

from yamview.gui.app import make_app

pytestmark = pytest.mark.gui


class _Cycle:
    """An object in a reference cycle: only the cycle collector frees it."""

    def __init__(self, freed_on: list[str]) -> None:
        self.me = self
        self.freed_on = freed_on

    def __del__(self) -> None:
        self.freed_on.append(threading.current_thread().name)


def test_cyclic_garbage_is_collected_by_the_apps_timer_on_the_gui_thread(qapp, qtbot):
    app = make_app()
    collector = app.garbage_collector
    assert collector.timer.isActive()
    freed_on: list[str] = []
    _Cycle(freed_on)
    # The timer collects once allocations pass the threshold; frees elsewhere in the suite
    # lower that count, so a zero threshold makes the next tick collect, whatever ran before.
    threshold, collector.threshold = collector.threshold, (0, 0, 0)
    try:
        # Automatic collection is off (here and in the app), so only the app's timer frees it.
        qtbot.waitUntil(lambda: bool(freed_on), timeout=10_000)
    finally:
        collector.threshold = threshold
    assert freed_on == [threading.main_thread().name]


def test_a_closed_window_is_deleted_when_the_next_one_opens(qapp, qtbot, tmp_path, audio_dir):
    import shiboken6

    from yamview.gui.app import Windows
    from yamview.gui.settings import Settings

    windows = Windows(Settings(tmp_path / "w.ini"), output_device="none")
    first = windows.inspect(str(audio_dir / "speech.wav"))
    qtbot.waitUntil(lambda: first.session is not None and first.session.complete, timeout=60_000)
    assert windows.current() is first  # the parent of an error dialog
    first.close()
    assert windows.current() is None and shiboken6.isValid(first)
    second = windows.inspect(str(audio_dir / "meow_16k.wav"))
    # Nothing else deleted a closed window: each kept its memory until the app quit.
    qtbot.waitUntil(lambda: not shiboken6.isValid(first), timeout=10_000)
    assert windows.inspectors == [second] and windows.current() is second
    qtbot.waitUntil(lambda: second.session is not None and second.session.complete, timeout=60_000)
    second.close()
