"""The main window: wires a source, the inference worker and the views.

Data flow: Source (audio thread -> pump -> ring buffer) -> InferenceWorker (QThread, signals)
-> views. A display timer pulls waveform, spectrogram and level from the ring at screen rate,
positioned by stream time; scores arrive by signal and go to the bars and the timeline.
Every failure ends in the banner at the top, never in a crash.
"""

from __future__ import annotations

import logging
import time
from typing import Callable, Sequence

from PySide6.QtCore import Qt, QTimer, Signal, Slot
from PySide6.QtGui import QAction, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractSpinBox, QApplication, QLabel, QLineEdit, QMainWindow, QSplitter, QToolBar, QVBoxLayout, QWidget)

from yamview.core.model import FALLBACK_SAMPLE_RATE
from yamview.gui.chrome import Banner, WindowChrome, action, titled
from yamview.gui.controls import Controls
from yamview.gui.presenter import TalkMode
from yamview.gui.live_model import LiveModel
from yamview.gui.live_keys import SpaceKey, shortcuts_box
from yamview.gui.live_status import build_status_bar
from yamview.gui.model_details import ModelDetails
from yamview.gui.settings import Settings
from yamview.gui.teach import TeachPanel, TrainDialog
from yamview.gui.transport import Transport
from yamview.gui.views.class_bars import ClassBars
from yamview.gui.views.class_timeline import ClassTimeline
from yamview.gui.views.level_meter import LevelMeter
from yamview.gui.views.live import LiveView, Tick, idle_tick
from yamview.gui.views.registry import live_views
from yamview.gui.views.spectrogram import SpectrogramView
from yamview.gui.views.waveform import Waveform
from yamview.gui.worker import InferenceWorker, ModelInfo, Scored, WorkerThread

log = logging.getLogger(__name__)

DISPLAY_FPS = 60
class MainWindow(WindowChrome, LiveModel, QMainWindow):
    # The live views (made from views/registry.py; these names wire the controls to them).
    waveform: Waveform
    spectrogram: SpectrogramView
    timeline: ClassTimeline
    bars: ClassBars
    level: LevelMeter

    geometry_key = "window/geometry"

    # Requests to the worker: queued across threads, so they run on the worker's thread.
    request_model = Signal(str, str, int, bool)
    request_model_settings = Signal(object)  # {sha256: ModelSettings} the user gave for bare models
    request_hop = Signal(float)
    request_ring = Signal(object, object)  # (ring or None, ring.total where frame 0 starts)

    def __init__(self, settings: Settings | None = None, output_device: str | None = None,
                 open_inspector: Callable[[str | None], object] | None = None) -> None:
        super().__init__()
        self.settings = settings or Settings()
        self._open_inspector = open_inspector  # given by the app, which owns every window
        self.output_device = output_device  # "none": file playback paced by the clock, silent
        self.setWindowTitle("yamview — what YAMNet hears")
        self.setAcceptDrops(True)
        self.model_info: ModelInfo | None = None
        self._pending_model: str | None = None
        self._inference_ms: list[float] = []
        self.frames_scored = 0
        self.latencies_ms: list[float] = []  # sample-in-ring -> bars drawn, beyond the hop schedule
        self.transport = Transport(self, self.settings, output_device, self)
        self._build_ui()
        t = self.transport
        t.replaced.connect(self._on_source_replaced)
        t.ring_changed.connect(self.request_ring.emit)
        t.started.connect(self._on_started)
        t.stopped.connect(self.level.reset)
        t.status.connect(self.status_label.setText)
        self._build_worker()
        self.talk = TalkMode(self)  # presenter view, focus/hide lists, freeze/replay, snapshots (issue 5)
        t.replacing.connect(self.talk.source_changed)
        self._display = QTimer(self)
        self._display.setTimerType(Qt.TimerType.PreciseTimer)
        self._display.setInterval(int(1000 / DISPLAY_FPS))
        self._display.timeout.connect(self.redraw)
        self._display.start()

        self.restore_geometry(1280, 800)
        t.refresh_devices()
        if self.settings.problem:  # more important than the device hint: first, keeping both
            self.banner.add(self.settings.problem)
        self._load_model(self.settings.get("model/path"))

    # == construction ==============================================================================
    def _build_ui(self) -> None:
        s = self.settings
        file_menu = self.menuBar().addMenu("&File")
        open_item = action(self, file_menu, "&Open audio file…", self.open_file_dialog, QKeySequence.StandardKey.Open)
        inspect_item = action(self, file_menu, "&Inspect a recording…", lambda: self.open_inspector(), "Ctrl+I")
        file_menu.addSeparator()
        self.model_details = ModelDetails(self)
        self.model_details.add_actions(file_menu)
        file_menu.addSeparator()
        action(self, file_menu, "&Reset settings to defaults…", self.reset_settings)
        file_menu.addSeparator()
        action(self, file_menu, "&Quit", self.close, QKeySequence.StandardKey.Quit)
        self.view_menu = self.menuBar().addMenu("&View")  # talk mode adds its entries here
        action(self, self.view_menu, "&Full screen", self.toggle_full_screen, "F11")
        help_menu = self.menuBar().addMenu("&Help")
        action(self, help_menu, "&Keyboard shortcuts", self.show_shortcuts, "F1")
        help_menu.addAction("&About yamview", self.show_about)
        bar = self.transport_bar = QToolBar("Transport")
        bar.setObjectName("transport")
        bar.setMovable(False)
        self.addToolBar(bar)
        # The toolbar shows the menu's own actions (shorter titles): one action, one shortcut.
        open_item.setIconText("Open file…")
        open_item.setToolTip("Play an audio file through the same pipeline (Ctrl+O, or drop a file)")
        inspect_item.setIconText("Inspect file…")
        inspect_item.setToolTip("Open a recording in the inspector: whole-file timeline, labels, errors (Ctrl+I)")
        inspect_item.setEnabled(self._open_inspector is not None)
        self.transport.add_to(bar, [open_item, inspect_item])

        central = QWidget()
        outer = QVBoxLayout(central)
        outer.setContentsMargins(6, 4, 6, 4)
        self.banner = Banner()
        outer.addWidget(self.banner)

        self.controls = Controls(s)
        placed = live_views(s, FALLBACK_SAMPLE_RATE)
        self.views: list[LiveView] = [p.view for p in placed]  # what every tick and frame reaches
        for p in placed:  # named too, for the controls wired to them below
            setattr(self, p.name, p.view)
        self.bars.set_placeholder("Loading model…")

        left = QSplitter(Qt.Orientation.Vertical)
        right = QSplitter(Qt.Orientation.Vertical)
        self.view_titles: dict[str, QLabel] = {}  # the bars' title carries the "calibrated" marker
        for p in placed:
            if p.place in ("left", "right"):
                column = left if p.place == "left" else right
                box = titled(p.title, p.view.widget, big=p.place == "right")
                self.view_titles[p.name] = box.findChild(QLabel)
                column.addWidget(box)
                column.setStretchFactor(column.count() - 1, p.stretch)
        right.addWidget(self.controls)
        right.setStretchFactor(right.count() - 1, 2)
        self.teach = TeachPanel(self)  # record examples of the user's own sounds, train (issue 14)
        self.teach.train_requested.connect(self.open_train_dialog)
        right.addWidget(self.teach)
        right.setStretchFactor(right.count() - 1, 0)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(left)
        self.splitter.addWidget(right)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        outer.addWidget(self.splitter, 1)
        self.setCentralWidget(central)

        build_status_bar(self, placed)

        c = self.controls
        c.model_chosen.connect(self._on_model_chosen)
        c.kernels_changed.connect(lambda _: self._reload_model())
        c.threads_changed.connect(lambda _: self._reload_model())
        c.calibrate_changed.connect(lambda _: self._reload_model())
        c.max_results_changed.connect(self._on_max_results)
        c.threshold_changed.connect(self._on_threshold)
        c.hop_changed.connect(self._on_hop)
        c.scale_changed.connect(self.spectrogram.set_scale)
        c.colormap_changed.connect(self.spectrogram.set_colormap)
        c.db_range_changed.connect(self.spectrogram.set_db_range)

        QShortcut(QKeySequence(Qt.Key.Key_Space), self, self.toggle, context=Qt.ShortcutContext.WindowShortcut)
        # Space starts/stops from anywhere in the window except where it types (a spin box or a
        # button with the focus would otherwise take it: it did after changing any control).
        self._space = SpaceKey(self)
        QApplication.instance().installEventFilter(self._space)

    def _build_worker(self) -> None:
        self.worker = InferenceWorker(self.settings.get("classify/hop_seconds"))
        self.worker_thread = WorkerThread(self.worker)
        self.request_model.connect(self.worker.load_model)
        self.request_model_settings.connect(self.worker.set_model_settings_book)
        self.worker.model_needs_settings.connect(self.model_details.ask_missing)
        self.request_hop.connect(self.worker.set_hop)
        self.request_ring.connect(self.worker.set_ring)
        self.worker.scored.connect(self._on_scored)
        self.worker.model_loaded.connect(self._on_model_loaded)
        self.worker.model_failed.connect(self._on_model_failed)
        self.worker.model_progress.connect(self._on_model_progress)
        self.request_model_settings.emit(self.settings.model_settings_book())
        # Bound methods of this GUI-thread object, never lambdas: a lambda connected to a worker
        # signal runs on the worker's thread, and touching widgets there crashes.
        self.worker.failed.connect(self._on_worker_failed)

    # == messages (WindowChrome) and mode actions ==================================================
    def add_actions(self, toolbar: Sequence[QAction], menu: Sequence[QAction]) -> None:
        """Actions of a mode (talk mode) in the transport toolbar and the View menu."""
        self.transport_bar.addSeparator()
        for a in toolbar:
            self.transport_bar.addAction(a)
        self.view_menu.addSeparator()
        for a in menu:
            self.view_menu.addAction(a)

    # == the worker's signals (from its threads: slots of this QObject run on the GUI thread) =======
    @Slot(object)
    def _on_model_loaded(self, info: ModelInfo) -> None:
        self.model_loaded(info)

    @Slot(str)
    def _on_model_failed(self, message: str) -> None:
        self.model_failed(message)

    @Slot(str)
    def _on_model_progress(self, text: str) -> None:
        self.model_progress(text)

    @Slot(str)
    def _on_worker_failed(self, message: str) -> None:
        self.worker_failed(message)

    # == sources (the transport owns them) ========================================================
    @property
    def rate(self) -> int:
        return self.model_info.sample_rate if self.model_info else FALLBACK_SAMPLE_RATE

    @property
    def model_ready(self) -> bool:
        return self.model_info is not None

    @property
    def source(self):
        return self.transport.source

    @property
    def running(self) -> bool:
        """Audio is flowing (a paused file is not running: Start resumes it)."""
        return self.transport.running

    @property
    def source_combo(self):
        return self.transport.combo

    @property
    def start_button(self):
        return self.transport.start_button

    def toggle(self) -> None:
        self.transport.toggle()

    def start(self) -> None:
        self.transport.start()

    def stop(self) -> None:
        self.transport.stop()

    def open_file(self, path: str, start: bool = True) -> bool:
        return self.transport.open_file(path, start)

    def open_file_dialog(self) -> None:
        self.transport.open_file_dialog()

    def _idle_hint(self) -> str:
        """What the empty bars say while nothing plays: the next step for this user."""
        if self.model_info is None:
            return "Loading model…"
        if not self.transport.has_choice:
            return "Open an audio file (Ctrl+O) to begin"
        return "Press Start (Space)"

    def _on_source_replaced(self) -> None:
        for view in self.views:
            view.clear()
        self._update_status()

    def _on_started(self) -> None:
        self._inference_ms.clear()
        self.bars.set_placeholder("Listening… first scores after one window")
        self._update_status()

    # == worker results and drawing =================================================================
    @Slot(object)
    def _on_scored(self, s: Scored) -> None:
        if self.source is None or not self.source.running:
            return
        self.frames_scored += 1
        self.talk.on_scored(s)
        if not self.talk.frozen:  # frozen: the views hold (or replay) what was live
            for view in self.views:
                view.on_scored(s.end, s.scores)
        self._inference_ms.append(s.inference_ms)
        if len(self._inference_ms) > 200:
            del self._inference_ms[:100]
        mean = sum(self._inference_ms) / len(self._inference_ms)
        self.controls.show_inference(s.inference_ms, mean, s.skipped)
        # Latency beyond the hop schedule: from the frame's last sample reaching the ring to its
        # bars being set (they are painted at the next display frame).
        self.latencies_ms.append((time.perf_counter() - s.entered_at) * 1000)
        if len(self.latencies_ms) > 1000:
            del self.latencies_ms[:500]

    def redraw(self) -> None:
        """Display tick: pull the newest audio from the ring; everything placed by stream time."""
        if self.talk.redraw():  # frozen, replaying, or under a full-screen presenter
            return
        src = self.source
        live = src is not None and src.ring.total > 0 and src.running
        tick = Tick(src.ring, src.rate, src.stream_time, src.level) if live else idle_tick(self.rate)
        for view in self.views:
            view.on_tick(tick)
        self.transport.tick()
        self._show_losses(src)

    def _show_losses(self, src) -> None:
        text = src.losses() if src is not None else ""
        if text != self.losses_label.text():
            self.losses_label.setText(text)
            self.losses_label.setVisible(bool(text))

    # == other handlers ==============================================================================
    def _on_max_results(self, n: int) -> None:
        self.bars.set_max_results(n)
        self.timeline.set_rows(n)

    def _on_threshold(self, threshold: float) -> None:
        self.bars.set_threshold(threshold)
        if self.talk.board is not None:  # the presenter lists the same classes
            self.talk.board.set_threshold(threshold)

    def _on_hop(self, hop: float) -> None:
        self.request_hop.emit(hop)
        self.timeline.set_hop(hop)
        self._update_status()

    def about_box(self):
        from yamview.gui.about import make_about_box

        return make_about_box(self, self.model_info.name if self.model_info else None)

    def show_about(self) -> None:
        self.about_box().exec()

    def shortcuts_box(self):
        return shortcuts_box(self)

    def show_shortcuts(self) -> None:
        self.shortcuts_box().exec()

    def open_inspector(self, path: str | None = None):
        """An inspector window on ``path`` (or asking for a file), opened by the app."""
        return self._open_inspector(path) if self._open_inspector is not None else None

    def reset_settings(self) -> None:
        """Every setting back to its default (after asking): the window restarts its controls."""
        from PySide6.QtWidgets import QMessageBox

        answer = QMessageBox.question(self, "Reset settings",
                                      "Reset every yamview setting to its default?\n"
                                      "(Model, kernels, thresholds, hop, views, presenter lists.)")
        if answer != QMessageBox.StandardButton.Yes:
            return
        self.settings.reset()
        self.controls.show_settings(self.settings)
        self.talk.reload_config()  # pinned and hidden classes too, at once
        if self.settings.get("model/path") != (self._pending_model or ""):
            self._load_model(self.settings.get("model/path"))
        self.show_message("Settings reset to their defaults.", "info")

    # == teaching new sounds =======================================================================
    def open_train_dialog(self) -> TrainDialog:
        """Train on the teach panel's training set; an exported model is loaded at once."""
        dialog = TrainDialog(self.teach.folder, self.controls.hop_seconds(), self)
        self.train_dialog = dialog  # reachable for tests; replaced by the next one
        dialog.model_exported.connect(self._load_model)
        dialog.open()
        dialog.start()
        return dialog

    def keyPressEvent(self, event) -> None:  # noqa: N802 - hold R to record a take
        if self._take_key(event):
            self.teach.key_event(True)
            return
        super().keyPressEvent(event)

    def keyReleaseEvent(self, event) -> None:  # noqa: N802
        if self._take_key(event):
            self.teach.key_event(False)
            return
        super().keyReleaseEvent(event)

    def _take_key(self, event) -> bool:

        typing = isinstance(self.focusWidget(), (QLineEdit, QAbstractSpinBox))
        return event.key() == Qt.Key.Key_R and not event.isAutoRepeat() and not typing

    def toggle_full_screen(self) -> None:
        self.showNormal() if self.isFullScreen() else self.showFullScreen()

    def files_dropped(self, paths: list[str]) -> None:
        self.open_file(paths[0])

    def closeEvent(self, event) -> None:  # noqa: N802
        QApplication.instance().removeEventFilter(self._space)
        self._display.stop()
        self.talk.close()
        self.transport.close()
        self.worker_thread.stop()
        self.save_geometry()
        self.settings.sync()
        super().closeEvent(event)
