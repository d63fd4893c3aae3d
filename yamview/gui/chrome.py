"""What the windows share around their views: size on first start, pictures of widgets."""

from __future__ import annotations

from PySide6.QtCore import QBuffer, QByteArray, QIODevice
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QWidget


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
    if pixmap.isNull():
        return b""
    data = QByteArray()
    buf = QBuffer(data)
    buf.open(QIODevice.OpenModeFlag.WriteOnly)
    pixmap.save(buf, "PNG")
    buf.close()
    return bytes(data.data())
