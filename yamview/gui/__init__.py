"""The Qt desktop app. Import PySide6 before pyqtgraph so pyqtgraph never picks PyQt."""

import os

os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")

import PySide6  # noqa: F401  (binding choice must happen before pyqtgraph's import)
