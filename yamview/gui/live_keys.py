"""The live window's keys: the shortcut sheet, and Space for Start/Stop from any control."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import (
    QAbstractSpinBox, QApplication, QComboBox, QLineEdit, QMainWindow, QMessageBox, QPlainTextEdit, QTextEdit,
    QWidget)

# Every key of the live window and talk mode (Help ▸ Keyboard shortcuts; the menus show them too).
SHORTCUTS = (
    ("Space", "Start / stop listening (anywhere but a text field)"),
    ("Ctrl+O", "Open an audio file"),
    ("Ctrl+I", "Inspect a recording"),
    ("F5", "Presenter view (talk mode); Esc leaves it"),
    ("Pause (F in the presenter)", "Freeze the last 10 s; again: back to live"),
    ("Ctrl+R (R in the presenter)", "Replay the frozen 10 s"),
    ("Ctrl+S", "Save a snapshot (PNG) of the window in front"),
    ("R (hold, main window)", "Record an example for Teach a new sound"),
    ("F11", "Full screen"),
    ("F1", "This list"),
    ("Ctrl+Q", "Quit"),
)


class SpaceKey(QObject):
    """Space for Start/Stop wherever the focus is in the window, except in a text field: spin
    boxes, buttons and lists would otherwise take it (a spin box has the focus right after any
    setting was changed)."""

    def __init__(self, window: QMainWindow) -> None:
        super().__init__(window)
        self.window = window

    def eventFilter(self, obj, event) -> bool:  # noqa: N802
        if event.type() != QEvent.Type.ShortcutOverride or event.key() != Qt.Key.Key_Space:
            return False
        if event.modifiers() not in (Qt.KeyboardModifier.NoModifier, Qt.KeyboardModifier.KeypadModifier):
            return False
        focus = QApplication.focusWidget()
        if focus is None or focus.window() is not self.window or typing_text(focus):
            return False
        event.ignore()  # not claimed by the focused widget: the window's Space shortcut runs
        return True


def typing_text(widget: QWidget) -> bool:
    """Whether Space types into ``widget`` (a text field, not a number field)."""
    if isinstance(widget, (QTextEdit, QPlainTextEdit)):
        return not widget.isReadOnly()
    if isinstance(widget, QLineEdit):
        parent = widget.parentWidget()
        if isinstance(parent, QAbstractSpinBox):
            return False
        if isinstance(parent, QComboBox):
            return parent.isEditable()
        return not widget.isReadOnly()
    return False


def shortcuts_box(parent: QWidget) -> QMessageBox:
    """Help ▸ Keyboard shortcuts: every key of the live window and talk mode."""
    box = QMessageBox(QMessageBox.Icon.NoIcon, "Keyboard shortcuts", "", QMessageBox.StandardButton.Close, parent)
    rows = "".join(f"<tr><td><b>{k}</b></td><td>&nbsp;&nbsp;{what}</td></tr>" for k, what in SHORTCUTS)
    box.setTextFormat(Qt.TextFormat.RichText)
    box.setText(f"<table>{rows}</table>")
    return box
