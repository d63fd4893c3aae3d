"""What talk mode uses of the live window, declared: its views, its source, a few services."""

from __future__ import annotations

from typing import Callable, Protocol, Sequence

from PySide6.QtGui import QAction, QScreen
from PySide6.QtWidgets import QStatusBar

from yamview.gui.settings import Settings
from yamview.gui.views.live import LiveView


class LiveWindow(Protocol):
    """What talk mode uses of the live window: its views, its source, a few window services."""

    settings: Settings
    views: list[LiveView]
    output_device: str | None

    @property
    def source(self): ...  # the current source (None, a microphone, a file) or None

    @property
    def running(self) -> bool: ...

    @property
    def rate(self) -> int: ...

    def toggle(self) -> None: ...  # start / stop (Space)

    def set_calibrated(self, on: bool) -> None: ...  # the model's score calibration on or off

    def message(self) -> str: ...

    def show_message(self, text: str, kind: str = "info", action: str | None = None,
                     callback: Callable[[], None] | None = None) -> None: ...

    def add_message(self, text: str, kind: str = "warning") -> None: ...  # keeps what is shown

    def add_actions(self, actions: Sequence[QAction], menu_order: Sequence[QAction]) -> None: ...

    def statusBar(self) -> QStatusBar: ...  # noqa: N802 (Qt naming)

    def screen(self) -> QScreen: ...

    def activateWindow(self) -> None: ...  # noqa: N802
