"""What the windows share around their views: the message banner, menu actions, opening files
by drag and drop, remembered geometry, the "nothing was changed" message, pictures of widgets.

``WindowChrome`` is a mixin for a QMainWindow that has ``self.banner`` and ``self.settings``; it
gives every window the same message calls and the same file drops (``files_dropped`` decides
what a dropped file means to that window).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Callable

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence
from PySide6.QtWidgets import QHBoxLayout, QLabel, QMenu, QPushButton, QVBoxLayout, QWidget

from yamview.gui import palette

log = logging.getLogger(__name__)

AUDIO_FILTER = ("Audio files (*.wav *.flac *.ogg *.oga *.mp3 *.aiff *.aif *.au *.caf *.w64 *.opus);;"
                "All files (*)")

COLOURS = {"info": "#2d4a6b", "warning": "#6b5a1e", "error": "#6b2525"}


class Banner(QWidget):
    """The message strip at the top of a window: problems and hints stay visible without a modal
    dialog (on stage, a dialog would cover the demo), with an optional action button and a ✕."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        self.label = QLabel("")
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.button = QPushButton("")
        self.button.clicked.connect(self._act)
        self.close_button = QPushButton("✕")
        self.close_button.setFixedWidth(28)
        self.close_button.setToolTip("Dismiss this message")
        self.close_button.clicked.connect(lambda: self.show_message(""))
        row.addWidget(self.label, 1)
        row.addWidget(self.button)
        row.addWidget(self.close_button)
        self.kind = "info"
        self.callback = None
        self.setVisible(False)

    def show_message(self, text: str, kind: str = "info", action: str | None = None, callback=None) -> None:
        """Show ``text`` (empty: hide); ``action`` labels a button that calls ``callback``."""
        self.kind = kind
        self.label.setStyleSheet(f"background:{COLOURS.get(kind, COLOURS['info'])}; color:#ffffff;"
                                 "padding:6px 10px; border-radius:4px; font-size:14px;")
        self.label.setText(text)
        self.callback = callback
        self.button.setText(action or "")
        self.button.setVisible(bool(action))
        self.setVisible(bool(text))
        if text:
            log.info("banner (%s): %s", kind, text)

    def add(self, text: str, kind: str = "warning") -> None:
        """Say ``text`` as well, keeping what is shown (and its action) below it."""
        current = self.message()
        self.show_message(text + (f"\n{current}" if current else ""), kind, self.button.text() or None,
                          self.callback)

    def message(self) -> str:
        return self.label.text() if not self.isHidden() else ""

    def _act(self) -> None:
        if self.callback:
            self.callback()


def action(parent: QWidget, menu: QMenu | None, text: str, slot: Callable[[], object],
           shortcut: QKeySequence | QKeySequence.StandardKey | str | None = None,
           tip: str | None = None) -> QAction:
    """A QAction calling ``slot()`` (without Qt's ``checked`` argument), added to ``menu``."""
    a = QAction(text, parent)
    if shortcut is not None:
        a.setShortcut(QKeySequence(shortcut))
    if tip:
        a.setToolTip(tip)
        a.setStatusTip(tip)
    a.triggered.connect(lambda *_: slot())
    if menu is not None:
        menu.addAction(a)
    return a


def titled(title: str, widget: QWidget, big: bool = False) -> QWidget:
    """``widget`` under a small heading (the live window's views and panels)."""
    box = QWidget()
    layout = QVBoxLayout(box)
    layout.setContentsMargins(0, 2, 0, 2)
    layout.setSpacing(2)
    label = QLabel(title)
    label.setStyleSheet(f"color:{palette.FOREGROUND}; font-weight:600; font-size:{15 if big else 12}px;")
    layout.addWidget(label)
    layout.addWidget(widget, 1)
    return box


def open_failed(path: str | Path, reason: object) -> str:
    """The one message for a file a window cannot open: the window stays as it was."""
    return f"Cannot open {Path(path).name}: {reason}. Nothing was changed."


def fit_to_screen(window: QWidget, width: int, height: int) -> None:
    """Resize to ``width`` x ``height``, or to 90 % of a smaller screen (a laptop, a projector)."""
    screen = window.screen() or QGuiApplication.primaryScreen()
    if screen is not None:
        area = screen.availableGeometry()
        width, height = min(width, int(area.width() * 0.9)), min(height, int(area.height() * 0.9))
    window.resize(width, height)


def png_bytes(widget: QWidget) -> bytes:
    """``widget`` (with its children) as PNG data; empty if it cannot be grabbed."""
    pixmap = widget.grab()
    return b"" if pixmap.isNull() else encode_png(pixmap)


def encode_png(picture) -> bytes:
    """A QImage or QPixmap as PNG data (for the one file-writing path)."""
    data = QByteArray()
    buf = QBuffer(data)
    buf.open(QIODevice.OpenModeFlag.WriteOnly)
    picture.save(buf, "PNG")
    buf.close()
    return bytes(data.data())


class WindowChrome:
    """Mixin for the app's main windows (listed first, before QMainWindow).

    Needs ``self.banner`` (a Banner) and ``self.settings``; the window sets ``geometry_key`` and
    implements ``files_dropped(paths)``.
    """

    banner: Banner
    geometry_key = ""

    # -- messages ----------------------------------------------------------------------------
    def show_message(self, text: str, kind: str = "info", action: str | None = None,
                     callback: Callable[[], None] | None = None) -> None:
        self.banner.show_message(text, kind, action, callback)

    def clear_message(self) -> None:
        self.banner.show_message("")

    def message(self) -> str:
        return self.banner.message()

    def add_message(self, text: str, kind: str = "warning") -> None:
        """Say ``text`` too, keeping what the banner already says (and its button)."""
        self.banner.add(text, kind)

    # -- geometry ------------------------------------------------------------------------------
    def restore_geometry(self, width: int, height: int) -> None:
        """Where the window was last time, else ``width`` x ``height`` fitted to the screen."""
        geometry = self.settings.get_bytes(self.geometry_key)  # type: ignore[attr-defined]
        if geometry is None or not self.restoreGeometry(geometry):  # type: ignore[attr-defined]
            fit_to_screen(self, width, height)  # type: ignore[arg-type]

    def save_geometry(self) -> None:
        self.settings.set_bytes(self.geometry_key, self.saveGeometry())  # type: ignore[attr-defined]

    # -- drag and drop ---------------------------------------------------------------------------
    def files_dropped(self, paths: list[str]) -> None:
        raise NotImplementedError

    def dragEnterEvent(self, event) -> None:  # noqa: N802 (Qt naming)
        if event.mimeData().hasUrls() and any(u.isLocalFile() for u in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:  # noqa: N802
        paths = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if paths:
            event.acceptProposedAction()
            self.files_dropped(paths)
