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
