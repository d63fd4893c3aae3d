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
    assert app.garbage_collector.timer.isActive()
    freed_on: list[str] = []
    _Cycle(freed_on)
    keep = [(i,) for i in range(2000)]  # past the young generation's threshold
    # Automatic collection is off (here and in the app), so only the app's timer frees it.
    qtbot.waitUntil(lambda: bool(freed_on), timeout=10_000)
    assert freed_on == [threading.main_thread().name] and len(keep) == 2000
