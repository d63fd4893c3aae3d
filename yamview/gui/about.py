"""Help > About yamview: version, model, licenses and the app icon."""

from __future__ import annotations

import platform

from PySide6 import __version__ as pyside_version
from PySide6.QtCore import Qt
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from yamview import __version__


def about_html(model_name: str | None) -> str:
    model = model_name or "not loaded"
    return (
        f"<h3>yamview {__version__}</h3>"
        "<p>See what Google's YAMNet sound classifier hears.</p>"
        f"<p><b>Model:</b> {model}</p>"
        "<p><b>Licenses</b><br>"
        "yamview: Apache-2.0<br>"
        "YAMNet model: Apache-2.0 (Google)<br>"
        "AudioSet ontology (class names and descriptions): CC BY-SA 4.0 (Google)</p>"
        f"<p><small>Qt for Python {pyside_version} · Python {platform.python_version()}</small></p>"
    )


def make_about_box(parent: QWidget | None, model_name: str | None) -> QMessageBox:
    box = QMessageBox(parent)
    box.setWindowTitle("About yamview")
    box.setTextFormat(Qt.TextFormat.RichText)
    box.setText(about_html(model_name))
    icon = QApplication.windowIcon() if QApplication.instance() else QIcon()
    if not icon.isNull():
        box.setIconPixmap(icon.pixmap(96, 96))
    box.setStandardButtons(QMessageBox.StandardButton.Ok)
    return box
