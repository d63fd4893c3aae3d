"""The inspector window: one recording, every view on one time axis, where and why YAMNet errs.

Data flow: AnalysisJob (thread: cache or analysis, decoding once for scores and overview)
-> pulled by a 50 ms timer (half the views per tick) into the Session (scores, labels, thresholds -> metrics, outcomes,
events) -> views. The cursor ties them together: readout, scored-window rectangle, model's-eye
patch, playback position. Every failure ends in the banner, and a bad input changes nothing.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from pathlib import Path
from typing import Callable

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QFileDialog, QLabel, QMainWindow, QProgressBar,
    QPushButton, QSizePolicy, QSpinBox, QSplitter, QTabWidget, QToolBar, QVBoxLayout, QWidget)

from yamview.core import export, labels_io
from yamview.core.audio import AudioError, AudioFile
from yamview.core.pool import usable_cores
from yamview.gui import palette
from yamview.gui.banner import Banner
from yamview.gui.chrome import fit_to_screen
from yamview.core import overview as ov
from yamview.gui.inspector.actions import InspectorActions
from yamview.gui.inspector.job import AnalysisJob, Background, JobInfo, ModelSpec
from yamview.gui.inspector.lanes import FALSE_ALARM_COLOUR, HIT_COLOUR, MISS_COLOUR, ErrorLane, EventLane, LabelLane
from yamview.gui.inspector.metrics_table import MetricsPanel
from yamview.gui.inspector.panels import ClassesPanel, EventsPanel
from yamview.gui.inspector.patch_view import PatchComputer, PatchView
from yamview.gui.inspector.regions_table import RegionsPanel
from yamview.gui.inspector.session import Session
from yamview.gui.inspector.thresholds_table import ThresholdsPanel
from yamview.gui.inspector.timeline import (
    CurvesView, HeatMapView, SpectrogramView, WaveformView, format_time)
from yamview.gui.settings import Settings

log = logging.getLogger(__name__)

AUDIO_FILTER = ("Audio files (*.wav *.flac *.ogg *.oga *.mp3 *.aiff *.aif *.au *.caf *.w64 *.opus);;"
                "All files (*)")
LABEL_SUFFIXES = {".txt", ".tsv", ".csv"}
TICK_MS = 50  # a tick draws half the views: each view shows arriving data every 100 ms
SLOW_EVERY_S = 1.0  # metrics, outcomes and events while the analysis runs
OVERLAPS = ((0.5, "50 %"), (0.75, "75 %"), (0.9, "90 %"), (0.0, "none"))


class InspectorWindow(InspectorActions, QMainWindow):
    def __init__(self, settings: Settings | None = None, output_device: str | None = None,
                 model_spec: ModelSpec | None = None, use_cache: bool = True,
                 show_live: Callable[[], object] | None = None) -> None:
        super().__init__()
        self._show_live = show_live  # given by the app, which owns every window
        self.settings = settings or Settings()
        s = self.settings
        self.model_spec = model_spec or ModelSpec(s.get("model/path"), s.get("model/kernels"),
                                                  s.get("model/threads"), s.get("model/jobs"),
                                                  s.model_settings_book())
        self.use_cache = use_cache
        self.hop_seconds = s.get("inspector/hop_seconds")
        self.setWindowTitle("yamview inspector")
        self.setAcceptDrops(True)
        self.path: str | None = None
        self.job: AnalysisJob | None = None
        self.session: Session | None = None
        self.info: JobInfo | None = None
        self.model = None
        self.mapping: dict | None = None
        self.mapping_source = ""
        self.current_region = None
        self._pending_labels: tuple[str, str | None] | None = None  # from `yamview FILE --labels`
        self._ontology = None  # loaded on the first recording (lenient counts)
        self.raven_column = labels_io.RAVEN_LABEL
        self.cursor_time = 0.0
        self.cursor_frame: int | None = None
        self.first_pixels_s: float | None = None
        self.analysis_s: float | None = None
        self._open_t0 = 0.0
        self._last_slow = 0.0
        self._ticks = 0
        self._keep_labels = None
        self._detail_key = None
        self.detail = None
        self._patch_computer = PatchComputer()
        self.patch_jobs = Background("yamview-patch")
        self.patch_jobs.done.connect(self._on_patch)
        self.patch_jobs.failed.connect(self._on_background_failed)
        self.detail_jobs = Background("yamview-detail")
        self.detail_jobs.done.connect(self._on_detail)
        self.detail_jobs.failed.connect(self._on_background_failed)
        self.event_jobs = Background("yamview-events")
        self.event_jobs.done.connect(self._on_events)
        self.event_jobs.failed.connect(self._on_background_failed)
        from yamview.gui.inspector.player import Player

        self.output_device = output_device
        self.player = Player(output_device, self)
        self.player.position_changed.connect(self._on_play_position)
        self.player.state_changed.connect(self._on_play_state)
        self.player.failed.connect(lambda m: self.show_message(m, "error"))

        self._build_ui()
        self._tick_timer = QTimer(self)
        self._tick_timer.setInterval(TICK_MS)
        self._tick_timer.timeout.connect(self._tick)
        self._detail_timer = QTimer(self)
        self._detail_timer.setSingleShot(True)
        self._detail_timer.setInterval(150)
        self._detail_timer.timeout.connect(self._request_detail)
        geometry = s.get_bytes("inspector/geometry")
        if geometry is None or not self.restoreGeometry(geometry):
            fit_to_screen(self, 1600, 1000)

    # == construction =============================================================================
    def _build_ui(self) -> None:
        s = self.settings
        self.waveform = WaveformView()
        self.spectrogram = SpectrogramView(s.get("inspector/scale"), colormap=s.get("spectrogram/colormap"))
        self.heatmap = HeatMapView(s.get("timeline/colormap"))
        self.curves = CurvesView()
        self.label_lane = LabelLane()
        self.event_lane = EventLane()
        self.error_lane = ErrorLane()
        self.views = [self.waveform, self.spectrogram, self.heatmap, self.curves,
                      self.label_lane, self.event_lane, self.error_lane]
        master = self.views[0].plot
        for v in self.views:
            if v.plot is not master:
                v.plot.setXLink(master)
            v.vb.clicked.connect(lambda t, y, double, v=v: self._on_click(v, t, y, double))
            v.vb.selecting.connect(self._on_selecting)
            v.cursor.sigDragged.connect(self._on_cursor_dragged)
            v.widget.scene().sigMouseMoved.connect(lambda pos, v=v: self._on_hover(v, pos))
        self.error_lane.plot.showAxis("bottom", True)
        master.getViewBox().sigXRangeChanged.connect(self._on_range_changed)

        stack = QSplitter(Qt.Orientation.Vertical)
        stack.setChildrenCollapsible(False)
        sizes = []
        for v, h in zip(self.views, (76, 184, 210, 100, 56, 112, 130)):
            v.widget.setMinimumHeight(34)
            stack.addWidget(v.widget)
            sizes.append(h)
        stack.setSizes(sizes)
        self.stack = stack

        self.readout = QLabel("Open a recording: File ▸ Open (Ctrl+O), drop it here, or run  yamview FILE")
        self.readout.setTextFormat(Qt.TextFormat.RichText)
        self.readout.setStyleSheet(f"color:{palette.FOREGROUND}; font-size:13px; padding:2px 4px 0 4px;")
        self.hover = QLabel("")
        self.hover.setTextFormat(Qt.TextFormat.RichText)
        self.hover.setStyleSheet("color:#aab0bb; font-size:12px; padding:0 4px 2px 4px;")
        self.hover.setText("Hover: move the mouse over the views · click sets the cursor · double-click plays · "
                           "Shift+drag selects · wheel zooms")
        self.views_box = QWidget()
        vl = QVBoxLayout(self.views_box)
        vl.setContentsMargins(0, 0, 0, 0)
        vl.setSpacing(0)
        for label in (self.readout, self.hover):
            label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
            vl.addWidget(label)
        vl.addWidget(stack, 1)

        self.patch_view = PatchView()
        self.classes_panel = ClassesPanel(s.get("inspector/top_k"), s.get("inspector/rank_by"))
        self.classes_panel.changed.connect(self._on_classes_changed)
        self.classes_panel.pin_failed.connect(lambda m: self.show_message(m, "warning"))
        self.metrics_panel = MetricsPanel(s.get("inspector/threshold"))
        self.metrics_panel.threshold_changed.connect(self._on_threshold)
        self.metrics_panel.class_activated.connect(self._pin_and_show)
        self.metrics_panel.table.selectionModel().selectionChanged.connect(self._on_metric_selected)
        self.thresholds_panel = ThresholdsPanel()
        self.thresholds_panel.threshold_edited.connect(self._on_class_threshold)
        self.thresholds_panel.load_requested.connect(self.load_thresholds)
        self.thresholds_panel.save_requested.connect(self.save_thresholds)
        self.thresholds_panel.reset_requested.connect(self._reset_thresholds)
        self.events_panel = EventsPanel()
        self.events_panel.params_changed.connect(self._on_event_params)
        self.events_panel.event_activated.connect(self.show_event)
        self.regions_panel = RegionsPanel()
        self.regions_panel.region_activated.connect(self.goto_region)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.metrics_panel, "Metrics")
        self.tabs.addTab(self.classes_panel, "Classes")
        self.tabs.addTab(self.thresholds_panel, "Thresholds")
        self.tabs.addTab(self.events_panel, "Events")
        self.tabs.addTab(self.regions_panel, "Errors")
        side = QSplitter(Qt.Orientation.Vertical)
        side.addWidget(self.patch_view)
        side.addWidget(self.tabs)
        side.setSizes([330, 600])

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(self.views_box)
        self.splitter.addWidget(side)
        self.splitter.setStretchFactor(0, 4)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([1160, 440])

        central = QWidget()
        outer = QVBoxLayout(central)
        outer.setContentsMargins(6, 4, 6, 4)
        self.banner = Banner()
        outer.addWidget(self.banner)
        outer.addWidget(self.splitter, 1)
        self.setCentralWidget(central)

        status = self.statusBar()
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setMaximumWidth(220)
        self.progress.setVisible(False)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setVisible(False)
        self.cancel_button.clicked.connect(self.cancel_analysis)
        self.status_label = QLabel("")
        status.addWidget(self.progress)
        status.addWidget(self.cancel_button)
        status.addWidget(self.status_label, 1)
        self._build_menus()
        self._build_toolbar()
        self._set_loaded(False)

    def _action(self, menu, text, slot, shortcut=None, tip=None) -> QAction:
        a = QAction(text, self)
        if shortcut:
            a.setShortcut(QKeySequence(shortcut))
        if tip:
            a.setToolTip(tip)
            a.setStatusTip(tip)
        a.triggered.connect(lambda *_: slot())
        menu.addAction(a)
        return a

    def show_live_view(self):
        """Raise the live window, or open one (through the app, which owns every window)."""
        return self._show_live() if self._show_live is not None else None

    def _build_menus(self) -> None:
        bar = self.menuBar()
        f = bar.addMenu("&File")
        self.open_action = self._action(f, "&Open recording…", self.open_file_dialog, QKeySequence.StandardKey.Open)
        live = self._action(f, "&Live view", self.show_live_view, "Ctrl+L",
                            "The live window: microphone or file playback with scrolling views")
        live.setEnabled(self._show_live is not None)
        f.addSeparator()
        self._action(f, "&Close window", self.close, QKeySequence.StandardKey.Close)

        lab = bar.addMenu("&Labels")
        self.import_action = self._action(lab, "&Import labels…", self.import_labels_dialog, "Ctrl+Shift+L",
                                          "Audacity label track, Raven selection table or CSV (start,end,label)")
        self._action(lab, "Raven label &column…", self._ask_raven_column)
        self._action(lab, "Load class &mapping…", self.load_mapping_dialog, None,
                     "A CSV of label,class rows mapping label text to model classes")
        self._action(lab, "&Clear labels", self.clear_labels)

        ex = bar.addMenu("&Export")
        self.export_actions = []
        for fmt in export.FORMATS:
            self.export_actions.append(self._action(ex, fmt.menu, lambda k=fmt.key: self.export(k)))
            if fmt.shown_menu:
                self.export_actions.append(
                    self._action(ex, fmt.shown_menu, lambda k=fmt.key: self.export(k, shown_only=True)))
        ex.addSeparator()
        self._action(ex, "&PNG of the views…", lambda: self.export_png())
        th = bar.addMenu("&Thresholds")
        self._action(th, "&Load per-class thresholds…", lambda: self.load_thresholds())
        self._action(th, "&Save per-class thresholds…", lambda: self.save_thresholds())
        self._action(th, "&Reset to the global threshold", self._reset_thresholds)

        nav = bar.addMenu("&Navigate")
        self._action(nav, "&Next error region", lambda: self.goto_error(1), "N",
                     "The next run of frames with one error kind for one class (a miss or a false alarm)")
        self._action(nav, "&Previous error region", lambda: self.goto_error(-1), "P")
        self.only_selected_action = self._action(
            nav, "N / P: only the class &selected in Metrics", lambda: self._refresh_slow(), None,
            "Step only through the errors of the class selected in the metrics table")
        self.only_selected_action.setCheckable(True)
        self._action(nav, "Zoom to &fit", self.zoom_fit, "Ctrl+0")
        self._action(nav, "Zoom to &selection", self.zoom_selection, "Ctrl+E")
        self._action(nav, "Cursor: next frame", lambda: self.step_frame(1), "Ctrl+Right")
        self._action(nav, "Cursor: previous frame", lambda: self.step_frame(-1), "Ctrl+Left")
        play = bar.addMenu("&Play")
        self._action(play, "Play / &pause from the cursor", self.toggle_play)
        QShortcut(QKeySequence(Qt.Key.Key_Space), self, self.toggle_play)
        self._action(play, "Play the &selection", self.play_selection, "Shift+Space")

    def _build_toolbar(self) -> None:
        bar = QToolBar("Inspector")
        bar.setObjectName("inspector-tools")
        bar.setMovable(False)
        self.addToolBar(bar)
        bar.addAction(self.open_action)
        bar.addAction(self.import_action)
        bar.addSeparator()
        self.play_button = QPushButton("▶ Play")
        self.play_button.setToolTip("Play from the cursor / pause (Space); double-click a view to play from there")
        self.play_button.clicked.connect(self.toggle_play)
        self.play_button.setMinimumWidth(84)
        bar.addWidget(self.play_button)
        self.play_sel_button = QPushButton("Play selection")
        self.play_sel_button.setToolTip("Shift+drag on any view selects a range (Shift+Space plays it)")
        self.play_sel_button.clicked.connect(self.play_selection)
        bar.addWidget(self.play_sel_button)
        self.loop_box = QCheckBox("Loop")
        self.loop_box.toggled.connect(self.player.set_loop)
        bar.addWidget(self.loop_box)
        self.time_label = QLabel("")
        self.time_label.setMinimumWidth(150)
        self.time_label.setStyleSheet("padding-left:8px;")
        bar.addWidget(self.time_label)
        bar.addSeparator()
        bar.addWidget(QLabel(" Spectrogram "))
        self.scale_combo = QComboBox()
        self.scale_combo.addItems(["mel", "log", "linear"])
        self.scale_combo.setCurrentText(self.settings.get("inspector/scale"))
        self.scale_combo.currentTextChanged.connect(self._on_scale)
        bar.addWidget(self.scale_combo)
        bar.addWidget(QLabel("  Overlap "))
        self.overlap_combo = QComboBox()
        for fraction, text in OVERLAPS:
            self.overlap_combo.addItem(text, fraction)
        self.overlap_combo.setToolTip("Overlap of consecutive frames (hop = window × (1 − overlap)); "
                                      "changing it analyses the file again (results are cached per hop)")
        self.overlap_combo.activated.connect(self._on_overlap)
        bar.addWidget(self.overlap_combo)
        bar.addWidget(QLabel("  Jobs "))
        self.jobs_spin = QSpinBox()
        self.jobs_spin.setRange(0, usable_cores())
        self.jobs_spin.setSpecialValueText("auto")
        self.jobs_spin.setValue(min(self.model_spec.jobs, usable_cores()))
        self.jobs_spin.setToolTip("Interpreters scoring the file in parallel (auto: one per CPU core); "
                                  "same scores with any number, used from the next analysis")
        self.jobs_spin.valueChanged.connect(self._on_jobs)
        bar.addWidget(self.jobs_spin)
        bar.addWidget(QLabel("  Errors in "))
        self.scope_combo = QComboBox()
        self.scope_combo.addItem("all classes", "all")
        self.scope_combo.addItem("labelled classes", "labelled")
        self.scope_combo.setToolTip("Which classes the error lane and N / P consider")
        self.scope_combo.currentIndexChanged.connect(lambda _: self._refresh_slow())
        bar.addWidget(self.scope_combo)
        fit = QAction("Fit", self)
        fit.setToolTip("Show the whole file (Ctrl+0); wheel zooms, drag pans")
        fit.triggered.connect(self.zoom_fit)
        bar.addAction(fit)
        legend = QLabel(f"   <span style='color:{HIT_COLOUR}'>■</span> hit  "
                        f"<span style='color:{MISS_COLOUR}'>■</span> miss  "
                        f"<span style='color:{FALSE_ALARM_COLOUR}'>■</span> false alarm")
        legend.setTextFormat(Qt.TextFormat.RichText)
        bar.addWidget(legend)

    def _set_loaded(self, complete: bool) -> None:
        for a in self.export_actions:
            a.setEnabled(complete)

    # == messages ===================================================================================
    def show_message(self, text: str, kind: str = "info") -> None:
        self.banner.show_message(text, kind)

    def clear_message(self) -> None:
        self.banner.show_message("")

    def message(self) -> str:
        return self.banner.message()

    # == opening and analysis ========================================================================
    def open_file_dialog(self) -> None:
        folder = self.settings.get("inspector/folder") or str(Path.home())
        path, _ = QFileDialog.getOpenFileName(self, "Inspect a recording", folder, AUDIO_FILTER)
        if path:
            self.open_file(path)

    def open_file(self, path: str, hop_seconds: float | None = None, labels: str | None = None,
                  mapping: str | None = None) -> bool:
        """Analyse ``path`` (or take it from the cache); a file that cannot be read changes nothing.

        ``labels`` (and a ``mapping`` CSV) are imported once the recording is ready; without them
        the labels and mapping last used with this recording come back."""
        try:
            audio = AudioFile(path)
        except AudioError as exc:
            self.show_message(f"Cannot open {Path(path).name}: {exc}. Nothing was changed.", "error")
            return False
        except Exception as exc:  # noqa: BLE001
            log.exception("opening %s", path)
            self.show_message(f"Cannot open {Path(path).name}: {exc}. Nothing was changed.", "error")
            return False
        same = self.path is not None and Path(self.path).resolve() == Path(path).resolve()
        self._keep_labels = (self.session.labels, self.session.label_source) if same and self.session and \
            self.session.has_labels else None
        self._cancel_job()
        if hop_seconds is not None:
            self.hop_seconds = hop_seconds
        self.path = str(path)
        self._pending_labels = (labels, mapping) if labels else None
        self.current_region = None
        self.settings.set("inspector/folder", str(Path(path).parent))
        self.player.set_file(self.path)
        self.session, self.info, self.cursor_frame = None, None, None
        for v in self.views:
            v.clear()
        self.patch_view.clear()
        self._detail_key = None
        self.detail = None
        self._set_loaded(False)
        self.setWindowTitle(f"yamview inspector — {Path(path).name}")
        self.clear_message()
        self.first_pixels_s = self.analysis_s = None
        self._open_t0 = time.perf_counter()
        self.job = AnalysisJob(self.path, self.model_spec, self.hop_seconds, self.model, self.use_cache)
        self.job.ready.connect(self._on_ready)
        self.job.finished.connect(self._on_finished)
        self.job.failed.connect(self._on_failed)
        self.job.cancelled.connect(self._on_cancelled)
        self.job.start()
        self.progress.setValue(0)
        self.progress.setVisible(True)
        self.cancel_button.setVisible(True)
        self.cancel_button.setEnabled(True)
        self.status_label.setText(f"Opening {audio.describe()}…")
        self._last_slow = 0.0
        self._tick_timer.start()
        return True

    def _cancel_job(self) -> None:
        job, self.job = self.job, None
        self._tick_timer.stop()
        if job is not None:
            for sig in (job.ready, job.finished, job.failed, job.cancelled):
                try:
                    sig.disconnect()
                except (RuntimeError, TypeError):
                    pass
            job.cancel()
            if not job.wait(5.0):  # still scoring a frame: its model must not be shared
                log.warning("analysis of %s did not stop within 5 s", job.path)
                self.model = None

    def cancel_analysis(self) -> None:
        if self.job is not None and self.job.running:
            self.job.cancel()
            self.cancel_button.setEnabled(False)
            self.status_label.setText("Cancelling…")

    @property
    def analysing(self) -> bool:
        return self.job is not None and self.job.running

    def _on_ready(self, job: AnalysisJob, info: JobInfo) -> None:
        if job is not self.job:
            return
        self.info = info
        self.model = self.job.model
        self.session = Session(info.classes, info.framing, info.duration, info.path)
        self.session.scientific_names = info.scientific_names
        self.session.set_default_threshold(self.metrics_panel.threshold)
        self.session.set_related(self._relatives(info.classes))
        self._apply_event_params()
        self.classes_panel.set_classes(info.classes)
        self.patch_view.set_classes(info.classes)
        self.player.set_file(info.path, info.framing.rate)
        self.spectrogram.set_scale(self.scale_combo.currentText(), info.framing.rate)
        self._select_overlap(info.framing)
        end = info.duration
        for v in self.views:
            v.vb.setLimits(xMin=-0.02 * end, xMax=end * 1.02 + 0.1, minXRange=0.05)
        self.zoom_fit()
        self._last_slow = time.perf_counter()
        if self._keep_labels is not None:
            labels, source = self._keep_labels
            try:
                classes = labels_io.map_labels(labels, info.classes, self.mapping, source=source)
                self.session.set_labels(labels, classes, source)
            except labels_io.LabelError as exc:
                self.show_message(f"{exc}. Labels were cleared.", "warning")
        elif self._pending_labels is not None:
            labels, mapping = self._pending_labels
            if not mapping or self.load_mapping(mapping):
                self.import_labels(labels)
        else:
            self.restore_labels()
        self._keep_labels = self._pending_labels = None
        where = "from the cache" if info.from_cache else f"analysing with {info.model_name}"
        self.status_label.setText(f"{Path(info.path).name} · {format_time(info.duration, 1)} · "
                                  f"hop {info.framing.hop_seconds:.4g} s · {where}…")

    def _tick(self) -> None:
        job, s = self.job, self.session
        if job is None or s is None:
            return
        # One share of the work per tick, so one pass never repaints every view (a GUI stall is
        # what one pass computes and paints): audio views and class views on alternate ticks;
        # once a second the whole-matrix work (metrics, lanes) takes an audio tick's place.
        self._ticks += 1
        now = time.perf_counter()
        if self._ticks % 2 == 0:
            if job.scores is not None and job.n_frames > s.n:
                s.update_scores(job.scores, job.n_frames)
            self._refresh_classes()
        elif now - self._last_slow >= SLOW_EVERY_S or not job.running:
            self._last_slow = now
            self._refresh_slow()
        elif job.overview is not None:
            self.waveform.update(job.overview)
            self.spectrogram.update(job.overview)
        self.progress.setValue(int(1000 * job.progress()))
        if self.first_pixels_s is None and (s.n > 0 or (job.overview is not None and job.overview.cols_done)):
            self.first_pixels_s = now - self._open_t0
        if self.cursor_frame is None and s.n > 0 and self._ticks % 2:
            self.set_cursor(self.cursor_time)

    def _on_finished(self, job: AnalysisJob, analysis) -> None:
        if job is not self.job or self.session is None:
            return
        self._tick_timer.stop()
        s = self.session
        s.finish(analysis)
        self.job.scores = None  # the session holds the result; the job's buffer can go
        self.analysis_s = time.perf_counter() - self._open_t0
        self._draw_all()
        if self.first_pixels_s is None:  # from the cache: everything at once
            self.first_pixels_s = self.analysis_s
        self.progress.setVisible(False)
        self.cancel_button.setVisible(False)
        self._set_loaded(True)
        how = "from the cache" if self.info.from_cache else f"analysed in {self.analysis_s:.1f} s"
        warn = f" · {len(analysis.warnings)} warning(s)" if analysis.warnings else ""
        self.status_label.setText(f"{Path(self.path).name} · {format_time(s.duration, 1)} · {s.n} frames, hop "
                                  f"{s.hop_seconds:.4g} s · {self.info.model_name} ({self.info.kernels}) · {how}{warn}")
        if analysis.warnings:
            self.show_message("Input: " + "; ".join(analysis.warnings), "warning")
        self.set_cursor(self.cursor_time)
        self._schedule_detail()

    def _draw_all(self) -> None:
        job, s = self.job, self.session
        if job is None or s is None:
            return
        if job.scores is not None and job.n_frames > s.n:
            s.update_scores(job.scores, job.n_frames)
        if job.overview is not None:
            self.waveform.update(job.overview)
            self.spectrogram.update(job.overview)
        self._refresh_classes()
        self._refresh_slow()

    def _on_failed(self, job: AnalysisJob, message: str) -> None:
        if job is not self.job:
            return
        self._tick_timer.stop()
        self.progress.setVisible(False)
        self.cancel_button.setVisible(False)
        self.show_message(message, "error")
        self.status_label.setText("Analysis failed")

    def _on_cancelled(self, job: AnalysisJob) -> None:
        if job is not self.job:
            return
        self._tick_timer.stop()
        self._draw_all()  # every view shows the frames scored before the cancel
        self.progress.setVisible(False)
        self.cancel_button.setVisible(False)
        n = self.session.n if self.session else 0
        self.status_label.setText(f"Analysis cancelled after {n} frames; nothing was cached. "
                                  "Open the file again to restart.")
        self.show_message("Analysis cancelled: the views show the frames scored so far; exports need a "
                          "complete analysis.", "info")

    # == drawing ======================================================================================
    def shown_classes(self) -> list[int]:
        s = self.session
        if s is None:
            return []
        top = s.ranked(self.classes_panel.k, self.classes_panel.by)
        pinned = [c for c in self.classes_panel.pinned() if c not in top]
        return top + pinned

    def curve_classes(self) -> list[int]:
        chosen = self.classes_panel.curve_classes()
        if chosen:
            return chosen
        return self.session.ranked(3, self.classes_panel.by) if self.session else []

    def _refresh_classes(self) -> None:
        s = self.session
        if s is None:
            return
        self.heatmap.update(s, self.shown_classes(), set(self.classes_panel.pinned()))
        self.curves.update(s, self.curve_classes())

    def _on_classes_changed(self) -> None:
        self.settings.set("inspector/top_k", self.classes_panel.k)
        self.settings.set("inspector/rank_by", self.classes_panel.by)
        self._refresh_classes()
        self._refresh_thresholds_table()

    def _pin_and_show(self, cls: int) -> None:
        self.classes_panel.pin(cls)

    def error_scope(self) -> list[int] | None:
        if self.scope_combo.currentData() == "labelled" and self.session is not None:
            return self.session.labelled_classes()
        return None

    def _refresh_slow(self) -> None:
        """Metrics, outcomes, events: whole-matrix work, at most once a second while analysing."""
        s = self.session
        if s is None:
            return
        self.label_lane.update(s)
        self.error_lane.update(s, self.error_scope())
        found = s.cached_events()
        if found is None:
            version, compute = s.events_job()
            self.event_jobs.submit(s, compute)  # tagged with the session: results of another are dropped
        else:
            self._show_events(found)
        self.metrics_panel.show_metrics(s.metrics(), len(s.labels), s.label_source)
        self._refresh_regions()
        self.curves.set_threshold(s.default_threshold)
        self._refresh_thresholds_table()

    def _on_metric_selected(self, *_) -> None:
        if self.only_selected_action.isChecked():
            self._refresh_regions()

    def _refresh_regions(self) -> None:
        s = self.session
        if s is None or not s.has_labels:
            self.regions_panel.show_regions([], [], [], "no labels")
            return
        from yamview.core.framing import frame_cells

        regions = s.regions(self.region_scope())
        lo, hi = frame_cells(s.starts(), s.window_seconds, s.duration)
        spans = [(float(lo[r.first]), float(hi[r.last])) for r in regions]
        scope = self.scope_combo.currentText()
        only = self.region_scope()
        if only is not None and len(only) == 1 and self.only_selected_action.isChecked():
            scope = s.classes[only[0]]
        self.regions_panel.show_regions(regions, s.classes, spans, scope)

    def show_event(self, event) -> None:
        """Put the cursor on the frame that started ``event`` (its score is over the threshold)."""
        s = self.session
        if s is None:
            return
        frame = event.first if event.first >= 0 else s.frame_at(event.start)
        self.set_cursor(s.frame_centre(frame), reveal=True)

    def _relatives(self, classes):
        """The ontology's ancestor/descendant relation over ``classes`` (None without it)."""
        from yamview.core import metrics
        from yamview.core.ontology import load_default

        if self._ontology is None:
            self._ontology = load_default() or False
        if not self._ontology:
            return None
        return metrics.relatives(self._ontology.for_labels(classes), len(classes))

    def _on_events(self, session, result) -> None:
        version, found = result
        if session is self.session and session.store_events(version, found):
            self._show_events(found)

    def _show_events(self, found) -> None:
        self.event_lane.update(self.session, found)
        if not self.analysing:
            self.events_panel.show_events(found)

    def events_current(self) -> bool:
        """True once the event lane and list show the events of today's thresholds and scores."""
        return self.session is not None and self.session.cached_events() is not None

    def _refresh_thresholds_table(self) -> None:
        s = self.session
        if s is None:
            return
        rows = set(s.overrides) | set(s.labelled_classes()) | set(self.shown_classes())
        m = s.metrics()
        if m is not None:
            rows |= set(m.order()[:40])
        order = sorted(rows, key=lambda c: s.classes[c].lower())
        self.thresholds_panel.set_rows(order, s.classes, s.thresholds(), set(s.overrides))

    # == cursor, hover, selection ===========================================================================
    def set_cursor(self, t: float, reveal: bool = False, seek: bool = True) -> None:
        s = self.session
        end = s.duration if s is not None else 0.0
        t = float(min(max(t, 0.0), end)) if end else max(0.0, float(t))
        self.cursor_time = t
        for v in self.views:
            v.set_cursor(t)
        if reveal:
            self.reveal(t)
        if seek and self.player.playing:
            self.player.seek(t)
        self.time_label.setText(f"{format_time(t, 2)} / {format_time(end, 1)}" if end else "")
        if s is None or s.n == 0:
            self.cursor_frame = None
            self.spectrogram.show_window(None)
            return
        i = s.frame_at(t)
        a, _ = s.frame_span(i)
        self.spectrogram.show_window(a, s.window_seconds)
        tops = " · ".join(f"<b>{_esc(s.classes[c])}</b> {v:.3f}" for c, v in s.top(i, 3))
        self.readout.setText(f"<span style='color:#ffd166'>Cursor {t:.3f} s</span> · frame {i} "
                             f"({a:.3f}–{a + s.window_seconds:.3f} s, drawn at {s.frame_centre(i):.3f} s) · {tops}")
        if i != self.cursor_frame:
            self.cursor_frame = i
            if self.model is not None:
                self.patch_jobs.submit((self.path, i), self._patch_computer, self.path, self.model, i,
                                       s.framing.hop)

    def cursor_readout(self) -> str:
        return self.readout.text()

    def step_frame(self, step: int) -> None:
        s = self.session
        if s is None or s.n == 0:
            return
        i = s.frame_at(self.cursor_time)
        j = min(max(i + step, 0), s.n - 1)
        self.set_cursor(s.frame_centre(j), reveal=True)

    def reveal(self, t: float) -> None:
        (x0, x1), _ = self.waveform.vb.viewRange()
        if not x0 <= t <= x1:
            w = x1 - x0
            self.waveform.plot.setXRange(t - 0.25 * w, t + 0.75 * w, padding=0)

    def _on_click(self, view, t: float, y: float, double: bool) -> None:
        if double and view is self.heatmap:  # double-click a class row: its curve on / off
            cls = self.heatmap.row_at(y)
            if cls is not None:
                self.classes_panel.toggle_curve(cls)
            return
        self.set_cursor(t)
        if double:
            self.play_from(t)

    def _on_cursor_dragged(self, line) -> None:
        self.set_cursor(line.value())

    def _on_hover(self, v, pos) -> None:
        s = self.session
        if not v.vb.sceneBoundingRect().contains(pos):
            return
        p = v.vb.mapSceneToView(pos)
        t = float(p.x())
        parts = [f"<span style='color:#d8dce3'>{t:.3f} s</span>"]
        if v is self.spectrogram:
            hz = self.spectrogram.frequency_at(p.y())
            parts.append(f"{hz / 1000:.2f} kHz" if hz >= 999.5 else f"{hz:.0f} Hz")
        if s is not None and s.n:
            i = s.frame_at(t)
            if v is self.heatmap and (c := self.heatmap.row_at(p.y())) is not None:
                parts.append(f"{_esc(s.classes[c])} {s.scores[i, c]:.3f}")
            parts.append(", ".join(f"{_esc(s.classes[c])} {x:.2f}" for c, x in s.top(i, 3)))
        self.hover.setText("Hover: " + " · ".join(parts))

    def _on_selecting(self, a: float, b: float, finished: bool) -> None:
        self.set_selection(a, b)

    def set_selection(self, a: float, b: float) -> None:
        region = self.waveform.selection
        region.setRegion((a, b))
        region.setVisible(b > a)

    def selection(self) -> tuple[float, float] | None:
        region = self.waveform.selection
        if not region.isVisible():
            return None
        a, b = region.getRegion()
        return (a, b) if b > a else None

    # == zoom and detail ===========================================================================
    def zoom_fit(self) -> None:
        end = self.session.duration if self.session else 1.0
        self.waveform.plot.setXRange(0, max(end, 0.1), padding=0.01)

    def zoom_selection(self) -> None:
        sel = self.selection()
        if sel:
            self.waveform.plot.setXRange(*sel, padding=0.02)

    def _on_range_changed(self, *_) -> None:
        self._schedule_detail()

    def _schedule_detail(self) -> None:
        self._detail_timer.start()

    def _request_detail(self) -> None:
        job = self.job
        if job is None or job.overview is None or self.path is None or self.session is None:
            return
        overview = job.overview
        (x0, x1), _ = self.spectrogram.vb.viewRange()
        px = max(100, int(self.spectrogram.vb.width()))
        span = max(1e-3, x1 - x0)
        need = overview.column_seconds > 1.5 * span / px and span <= 900
        detail = self.detail
        if not need:
            if detail is not None:
                self._show_detail(None)
            return
        if detail is not None and detail.t0 <= x0 and detail.t1 >= min(x1, self.session.duration) and \
                detail.overview.column_seconds <= 2 * span / px:
            self._show_detail(detail)
            return
        a, b = max(0.0, x0 - 0.25 * span), min(self.session.duration, x1 + 0.25 * span)
        key = (self.path, round(a, 4), round(b, 4), px)
        if key == self._detail_key:
            return
        self._detail_key = key
        columns = int(px * 1.5 * (b - a) / span)
        self.detail_jobs.submit(key, _detail_job, self.path, self.session.framing.rate, a, b, columns)

    def _on_detail(self, key, detail) -> None:
        if key != self._detail_key:
            return
        self.detail = detail
        self._show_detail(detail)

    def _show_detail(self, detail) -> None:
        self.detail = detail
        self.spectrogram.set_detail(detail)
        self.waveform.set_detail(detail)
        covered = False
        if detail is not None:
            (x0, x1), _ = self.waveform.vb.viewRange()
            covered = detail.t0 <= x0 and detail.t1 >= x1
        self.waveform.show_overview_curve(not covered)

    # == patch ===================================================================================
    def _on_patch(self, tag, patch) -> None:
        if tag == (self.path, self.cursor_frame):
            self.patch_view.show_patch(patch)

    def _on_background_failed(self, tag, message: str) -> None:
        self.show_message(f"{message}", "warning")

    # == playback ===================================================================================
    def play_from(self, t: float, end: float | None = None) -> bool:
        if self.path is None:
            return False
        return self.player.play(t, end)

    def toggle_play(self) -> None:
        if self.player.playing:
            self.player.pause()
        else:
            self.play_from(self.cursor_time)

    def play_selection(self) -> None:
        sel = self.selection()
        if sel is None:
            self.play_from(self.cursor_time)
            return
        self.set_cursor(sel[0], seek=False)
        self.play_from(sel[0], sel[1])

    def _on_play_position(self, t: float) -> None:
        self.set_cursor(t, seek=False)
        (x0, x1), _ = self.waveform.vb.viewRange()
        if self.player.playing and not x0 <= t <= x1:
            w = x1 - x0
            self.waveform.plot.setXRange(t - 0.05 * w, t + 0.95 * w, padding=0)

    def _on_play_state(self, state: str) -> None:
        self.play_button.setText("❚❚ Pause" if state == "playing" else "▶ Play")

    # == other handlers ==============================================================================
    def _on_scale(self, kind: str) -> None:
        self.settings.set("inspector/scale", kind)
        self.spectrogram.set_scale(kind)

    def _select_overlap(self, framing) -> None:
        overlap = 1 - framing.hop / framing.window
        best = min(range(self.overlap_combo.count()), key=lambda i: abs(self.overlap_combo.itemData(i) - overlap))
        self.overlap_combo.setCurrentIndex(best)

    def _on_jobs(self, jobs: int) -> None:
        self.settings.set("model/jobs", jobs)
        self.model_spec = dataclasses.replace(self.model_spec, jobs=jobs)

    def _on_overlap(self, index: int) -> None:
        if self.info is None or self.path is None:
            return
        fr = self.info.framing
        hop = round(fr.window * (1 - self.overlap_combo.itemData(index))) / fr.rate
        if abs(hop - fr.hop_seconds) < 1e-9:
            return
        self.settings.set("inspector/hop_seconds", hop)
        self.open_file(self.path, hop_seconds=hop)

    def dragEnterEvent(self, event) -> None:  # noqa: N802
        if event.mimeData().hasUrls() and any(u.isLocalFile() for u in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:  # noqa: N802
        files = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if not files:
            return
        event.acceptProposedAction()
        path = files[0]
        if Path(path).suffix.lower() in LABEL_SUFFIXES and self.session is not None:
            self.import_labels(path, interactive=True)
        else:
            self.open_file(path)

    def closeEvent(self, event) -> None:  # noqa: N802
        self._cancel_job()
        self._detail_timer.stop()
        self.player.close()
        self.patch_jobs.shutdown()
        self.detail_jobs.shutdown()
        self.event_jobs.shutdown()
        self.settings.set_bytes("inspector/geometry", self.saveGeometry())
        self.settings.sync()
        super().closeEvent(event)


def _detail_job(path, rate, a, b, columns, *, stale):
    return ov.compute_detail(path, rate, a, b, columns, stale)


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

