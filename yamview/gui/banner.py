"""The message strip at the top of a window: problems and hints stay visible without a modal
dialog (on stage, a dialog would cover the demo), with an optional action button and a close ✕."""

from __future__ import annotations

import logging

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QWidget

log = logging.getLogger(__name__)

COLOURS = {"info": "#2d4a6b", "warning": "#6b5a1e", "error": "#6b2525"}


class Banner(QWidget):
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
