"""QApplication set-up: style, logging to a rotating file, one exception dialog, the window."""

from __future__ import annotations

import gc
import logging
import logging.handlers
import sys
import traceback
from pathlib import Path

import platformdirs

log = logging.getLogger("yamview")


def log_dir() -> Path:
    return Path(platformdirs.user_log_dir("yamview", appauthor=False))


def setup_logging(debug: bool = False) -> Path:
    """Log to a rotating file in the user log folder (and stderr with --debug)."""
    folder = log_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "yamview.log"
    handler = logging.handlers.RotatingFileHandler(path, maxBytes=1_000_000, backupCount=3, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if debug else logging.INFO)
    return path


def install_qt_message_handler() -> None:
    from PySide6.QtCore import QtMsgType, qInstallMessageHandler

    levels = {QtMsgType.QtDebugMsg: logging.DEBUG, QtMsgType.QtInfoMsg: logging.INFO,
              QtMsgType.QtWarningMsg: logging.WARNING, QtMsgType.QtCriticalMsg: logging.ERROR,
              QtMsgType.QtFatalMsg: logging.CRITICAL}

    def handler(kind, context, message):
        logging.getLogger("qt").log(levels.get(kind, logging.WARNING), message)

    qInstallMessageHandler(handler)


class ExceptionDialog:
    """Uncaught exceptions: logged, then one dialog at a time (no cascade), the app keeps running."""

    def __init__(self, parent_getter, log_path: Path) -> None:
        self.parent_getter, self.log_path = parent_getter, log_path
        self._showing = False

    def __call__(self, kind, value, tb) -> None:
        if issubclass(kind, KeyboardInterrupt):
            sys.__excepthook__(kind, value, tb)
            return
        text = "".join(traceback.format_exception(kind, value, tb))
        log.error("uncaught exception:\n%s", text)
        if self._showing:
            return
        from PySide6.QtWidgets import QMessageBox

        self._showing = True
        try:
            box = QMessageBox(self.parent_getter())
            box.setIcon(QMessageBox.Icon.Warning)
            box.setWindowTitle("yamview: something went wrong")
            box.setText(f"{kind.__name__}: {value}\n\nyamview keeps running. Details are in {self.log_path}.")
            box.setDetailedText(text)
            box.exec()
        finally:
            self._showing = False


def make_app(argv=None):
    import yamview.gui  # noqa: F401  (selects PySide6 for pyqtgraph)
    import pyqtgraph as pg
    from PySide6.QtGui import QIcon, QPalette, QColor
    from PySide6.QtWidgets import QApplication

    from yamview.gui import palette

    pg.setConfigOptions(antialias=False, imageAxisOrder="row-major", foreground=palette.FOREGROUND)
    app = QApplication.instance() or QApplication(list(argv or sys.argv[:1]))
    app.setApplicationName("yamview")
    app.setOrganizationName("yamview")
    app.setDesktopFileName("yamview")
    app.setStyle("Fusion")
    pal = QPalette()
    for role, colour in (
        (QPalette.ColorRole.Window, "#1d2026"), (QPalette.ColorRole.WindowText, palette.FOREGROUND),
        (QPalette.ColorRole.Base, "#15171c"), (QPalette.ColorRole.AlternateBase, "#23262d"),
        (QPalette.ColorRole.Text, palette.FOREGROUND), (QPalette.ColorRole.Button, "#2a2e36"),
        (QPalette.ColorRole.ButtonText, palette.FOREGROUND), (QPalette.ColorRole.Highlight, "#4e79a7"),
        (QPalette.ColorRole.HighlightedText, "#ffffff"), (QPalette.ColorRole.ToolTipBase, "#2a2e36"),
        (QPalette.ColorRole.ToolTipText, palette.FOREGROUND), (QPalette.ColorRole.PlaceholderText, "#8a909c"),
    ):
        pal.setColor(role, QColor(colour))
    app.setPalette(pal)
    # Fusion draws a checked button almost like an unchecked one on a dark palette: make toggles
    # (Loop, Freeze) visibly on.
    app.setStyleSheet(
        "QPushButton:checked, QToolButton:checked { background: #4e79a7; color: #ffffff;"
        " border: 1px solid #a0cbe8; border-radius: 3px; }"
    )
    icon = resource_path("yamview.svg")
    if icon is not None:
        app.setWindowIcon(QIcon(str(icon)))
    collect_garbage_on_gui_thread(app)
    return app


def collect_garbage_on_gui_thread(app) -> None:
    """Python's cycle collector runs on whichever thread happens to allocate. When it frees a Qt
    object on a worker thread, the object's destructor holds Qt's lock while it waits for the
    GIL, and the GUI thread, holding the GIL, waits for that lock: both stop for good (seen in
    CI: a model loading on the inspector's background thread, a QMenu going on the GUI thread).
    pyqtgraph's collector turns automatic collection off and collects on a GUI-thread timer."""
    from pyqtgraph.util.garbage_collector import GarbageCollector

    if getattr(app, "garbage_collector", None) is None:
        app.garbage_collector = GarbageCollector(interval=1.0)


def resource_path(name: str) -> Path | None:
    """A file of the package's resources (source tree, wheel or app bundle), or None."""
    from yamview.core.assets import resources_dir

    path = resources_dir() / name
    return path if path.exists() else None


class Windows:
    """The app's top-level windows. Each window gets a callback to open the other kind, so the
    live window and the inspector never import each other."""

    def __init__(self, settings=None, output_device: str | None = None) -> None:
        from yamview.gui.settings import Settings

        self.settings = settings or Settings()
        self.output_device = output_device
        self.live_windows: list = []
        self.inspectors: list = []

    def live(self):
        """Raise the live window, or open one (``yamview FILE`` starts with the inspector only)."""
        from yamview.gui.main_window import MainWindow

        for w in self.live_windows:
            if w.isVisible():
                w.raise_()
                w.activateWindow()
                return w
        self._forget_closed()
        window = MainWindow(self.settings, output_device=self.output_device, open_inspector=self.inspect)
        self.live_windows = [window]
        window.show()
        return window

    def inspect(self, path: str | None = None, labels: str | None = None, mapping: str | None = None):
        """A new inspector window (kept alive here), on ``path`` or asking for a file; ``labels``
        (and a ``mapping`` CSV) are imported once the recording is open."""
        from yamview.gui.inspector import InspectorWindow

        self._forget_closed()
        window = InspectorWindow(self.settings, output_device=self.output_device, show_live=self.live)
        self.inspectors.append(window)
        window.show()
        if path:
            window.open_file(path, labels=labels, mapping=mapping)
        else:
            window.open_file_dialog()
        return window


    def _forget_closed(self) -> None:
        """Delete closed windows before a new one needs the memory. Nothing deleted a closed
        window, and each kept ~50 MB (measured: 12 inspectors opened and closed in turn took RSS
        from 230 to 760 MB). Qt deletes them when control is back in the event loop; the Python
        side they leave in reference cycles is collected just after."""
        from PySide6.QtCore import QTimer

        closed = [w for w in self.live_windows + self.inspectors if not w.isVisible()]
        self.live_windows = [w for w in self.live_windows if w.isVisible()]
        self.inspectors = [w for w in self.inspectors if w.isVisible()]
        for window in closed:
            window.deleteLater()
        if closed:
            QTimer.singleShot(500, gc.collect)

    def current(self):
        """The newest open window (the parent for an error dialog), or None."""
        shown = [w for w in self.live_windows + self.inspectors if w.isVisible()]
        return shown[-1] if shown else None


def run_app(file: str | None = None, debug: bool = False, labels: str | None = None,
            mapping: str | None = None) -> int:
    log_path = setup_logging(debug)
    app = make_app()
    install_qt_message_handler()
    windows = Windows()
    # `yamview FILE`: the recording opens in the inspector
    if file:
        windows.inspect(file, labels, mapping)
    else:
        windows.live()
    sys.excepthook = ExceptionDialog(windows.current, log_path)
    return app.exec()
