"""The inspector window: one recording, every view on one time axis, where and why YAMNet errs.

This module builds the window (views, panels, menus, toolbar); the mixins do the rest:
loading.py (opening, the analysis job), refresh.py (class views, metrics, events, error regions),
navigation.py (cursor, zoom, playback), actions.py (labels, thresholds, errors, exports).
parts.py declares what they share.

Data flow: AnalysisJob (thread: cache or analysis, decoding once for scores and overview)
-> pulled by a 50 ms timer (half the views per tick) into the Session (scores, labels, thresholds -> metrics, outcomes,
events) -> views. The cursor ties them together: readout, scored-window rectangle, model's-eye
patch, playback position. Every failure ends in the banner, and a bad input changes nothing.
"""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path
from typing import Callable

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QLabel, QMainWindow, QProgressBar,
    QPushButton, QSizePolicy, QSpinBox, QSplitter, QTabWidget, QToolBar, QVBoxLayout, QWidget)

from yamview.core import export, labels_io
from yamview.core.pool import usable_cores
from yamview.gui import palette
from yamview.gui.chrome import Banner, WindowChrome, action
from yamview.gui.inspector.actions import InspectorActions
from yamview.gui.inspector.calibrating import InspectorCalibration
from yamview.gui.inspector.calibration_panel import CalibrationPanel
from yamview.gui.inspector.job import AnalysisJob, Background, JobInfo, ModelSpec
from yamview.gui.inspector.loading import InspectorLoading
from yamview.gui.inspector.navigation import InspectorNavigation
from yamview.gui.inspector.refresh import InspectorRefresh
from yamview.gui.inspector.lanes import (
    FALSE_ALARM_COLOUR, HIT_COLOUR, MISS_COLOUR, DisagreementLane, ErrorLane, EventLane, LabelLane)
from yamview.gui.inspector.metrics_table import MetricsPanel
from yamview.gui.inspector.panels import ClassesPanel, EventsPanel
from yamview.gui.inspector.patch_view import PatchComputer, PatchView
from yamview.gui.inspector.mapping_panel import MappingPanel
from yamview.gui.inspector.regions_table import RegionsPanel
from yamview.gui.inspector.similar_panel import SimilarPanel
from yamview.gui.inspector.compare_panel import ComparePanel
from yamview.gui.inspector.tools import InspectorCompare, InspectorTools
from yamview.gui.inspector.session import Session
from yamview.gui.inspector.thresholds_table import ThresholdsPanel
from yamview.gui.inspector.timeline import CurvesView, HeatMapView, SpectrogramView, WaveformView
from yamview.gui.settings import Settings

log = logging.getLogger(__name__)

LABEL_SUFFIXES = {".txt", ".tsv", ".csv"}
TICK_MS = 50  # a tick draws half the views: each view shows arriving data every 100 ms
OVERLAPS = ((0.5, "50 %"), (0.75, "75 %"), (0.9, "90 %"), (0.0, "none"))


class InspectorWindow(InspectorLoading, InspectorNavigation, InspectorRefresh, InspectorActions, InspectorTools,
                      InspectorCompare, InspectorCalibration, WindowChrome,
                      QMainWindow):
    geometry_key = "inspector/geometry"

    def __init__(self, settings: Settings | None = None, output_device: str | None = None,
                 model_spec: ModelSpec | None = None, use_cache: bool = True,
                 show_live: Callable[[], object] | None = None) -> None:
        super().__init__()
        self._show_live = show_live  # given by the app, which owns every window
        self.settings = settings or Settings()
        s = self.settings
        self.model_spec = model_spec or ModelSpec(s.get("model/path"), s.get("model/kernels"),
                                                  s.get("model/threads"), s.get("model/jobs"),
                                                  s.model_settings_book(), s.get("model/calibrate"))
        self.use_cache = use_cache
        self.hop_seconds = s.get("inspector/hop_seconds") or None  # None: the default overlap
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
        self._ontology = None  # loaded on the first recording (lenient counts, mapping suggestions)
        self.analysed: dict = {}  # path -> Analysis with embeddings, for "find more like this"
        self.added_labels: list = []  # labels added here (from similar frames)
        self.similar_sources: list = []
        self._similar_query = None
        self.comparison = None
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
        self.compare_jobs = Background("yamview-compare")
        self.compare_jobs.done.connect(self._on_compared)
        self.compare_jobs.failed.connect(self._on_background_failed)
        self.folder_jobs = Background("yamview-folder")
        self.folder_jobs.done.connect(self._on_folder)
        self.folder_jobs.failed.connect(self._on_background_failed)
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
        if s.problem:  # e.g. invalid values reset to defaults: said once, in the first window
            self.banner.add(s.problem)
        self._tick_timer = QTimer(self)
        self._tick_timer.setInterval(TICK_MS)
        self._tick_timer.timeout.connect(self._tick)
        self._detail_timer = QTimer(self)
        self._detail_timer.setSingleShot(True)
        self._detail_timer.setInterval(150)
        self._detail_timer.timeout.connect(self._request_detail)
        self.restore_geometry(1600, 1000)

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
        self.disagreement_lane = DisagreementLane()  # shown once an A/B comparison exists
        self.views = [self.waveform, self.spectrogram, self.heatmap, self.curves,
                      self.label_lane, self.event_lane, self.error_lane, self.disagreement_lane]
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
        for v, h in zip(self.views, (76, 184, 210, 100, 56, 112, 130, 50)):
            v.widget.setMinimumHeight(34)
            stack.addWidget(v.widget)
            sizes.append(h)
        stack.setSizes(sizes)
        self.stack = stack
        self.disagreement_lane.widget.setVisible(False)

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
        self.mapping_panel = MappingPanel()
        self.mapping_panel.edited.connect(self.apply_mapping)
        self.tabs.addTab(self.mapping_panel, "Mapping")
        self.similar_panel = SimilarPanel()
        self.similar_panel.search_requested.connect(lambda scope, n: self.find_similar(scope, n))
        self.similar_panel.match_activated.connect(self.goto_match)
        self.similar_panel.play_requested.connect(self.play_match)
        self.similar_panel.add_requested.connect(self.add_matches_as_labels)
        self.tabs.addTab(self.similar_panel, "Similar")
        self.compare_panel = ComparePanel()
        self.compare_panel.compare_requested.connect(lambda how: self.compare_with(how))
        self.tabs.addTab(self.compare_panel, "A/B")
        self.calibration_panel = CalibrationPanel(lambda: self.model_spec, lambda: self.mapping,
                                                  self._calibration_folder)
        self.calibration_panel.message.connect(self.show_message)
        self.calibration_panel.use_model.connect(self.use_model)
        self.tabs.addTab(self.calibration_panel, "Calibration")
        side = self.side = QSplitter(Qt.Orientation.Vertical)
        side.addWidget(self.patch_view)
        side.addWidget(self.tabs)
        side.setSizes([330, 600])
        self.tabs.currentChanged.connect(self._on_tab)

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
        # The results cache is bounded: how full it is, and what happens beyond (tooltip).
        self.cache_label = QLabel("")
        status.addPermanentWidget(self.cache_label)
        self._build_menus()
        self._build_toolbar()
        self._set_loaded(False)

    def show_live_view(self):
        """Raise the live window, or open one (through the app, which owns every window)."""
        return self._show_live() if self._show_live is not None else None

    def add_to_training_set(self, class_name: str | None = None, folder: str | None = None):
        """Labels → Add to training set as…: the selection (or the label under the cursor)."""
        from yamview.gui.teach import add_to_training_set

        return add_to_training_set(self, class_name, folder)

    def _build_menus(self) -> None:
        bar = self.menuBar()
        f = bar.addMenu("&File")
        self.open_action = action(self, f, "&Open recording…", self.open_file_dialog, QKeySequence.StandardKey.Open)
        live = action(self, f, "&Live view", self.show_live_view, "Ctrl+L",
                            "The live window: microphone or file playback with scrolling views")
        live.setEnabled(self._show_live is not None)
        f.addSeparator()
        action(self, f, "&Close window", self.close, QKeySequence.StandardKey.Close)

        lab = bar.addMenu("&Labels")
        self.import_action = action(self, lab, "&Import labels…", self.import_labels_dialog, "Ctrl+Shift+L",
                                          "Audacity label track, Raven selection table or CSV (start,end,label)")
        action(self, lab, "Raven label &column…", self._ask_raven_column)
        action(self, lab, "Load class &mapping…", self.load_mapping_dialog, None,
                     "A CSV of label,class rows mapping label text to model classes")
        action(self, lab, "&Clear labels", self.clear_labels)
        lab.addSeparator()
        action(self, lab, "&Add to training set as…", self.add_to_training_set, "Ctrl+T",
               "Save the selected range (or the human label under the cursor) as an example of a "
               "class of your own: Teach a new sound in the live window trains on it")

        ex = bar.addMenu("&Export")
        self.export_actions = []
        for fmt in export.FORMATS:
            self.export_actions.append(action(self, ex, fmt.menu, lambda k=fmt.key: self.export(k)))
            if fmt.shown_menu:
                self.export_actions.append(
                    action(self, ex, fmt.shown_menu, lambda k=fmt.key: self.export(k, shown_only=True)))
        ex.addSeparator()
        action(self, ex, "&PNG of the views…", lambda: self.export_png())
        cal = bar.addMenu("&Calibrate")
        action(self, cal, "&Calibrate on labelled recordings…", self.calibrate_dialog, None,
               "Fit per-class score calibration and thresholds on a folder of recordings with their "
               "labels beside them; before/after per class in the Calibration tab")
        action(self, cal, "&Export calibrated model…", lambda: self.calibration_panel.export())
        action(self, cal, "Save calibration &report…", lambda: self.calibration_panel.save_report())
        th = bar.addMenu("&Thresholds")
        action(self, th, "&Load per-class thresholds…", lambda: self.load_thresholds())
        action(self, th, "&Save per-class thresholds…", lambda: self.save_thresholds())
        action(self, th, "&Reset to the global threshold", self._reset_thresholds)

        nav = bar.addMenu("&Navigate")
        action(self, nav, "&Next error region", lambda: self.goto_error(1), "N",
               "The next run of frames with one error kind for one class (a miss or a false alarm)")
        action(self, nav, "&Previous error region", lambda: self.goto_error(-1), "P")
        self.only_selected_action = action(
            self, nav, "N / P: only the class &selected in Metrics", lambda: self._refresh_slow(), None,
            "Step only through the errors of the class selected in the metrics table")
        self.only_selected_action.setCheckable(True)
        action(self, nav, "Zoom to &fit", self.zoom_fit, "Ctrl+0")
        action(self, nav, "Zoom to &selection", self.zoom_selection, "Ctrl+E")
        action(self, nav, "Cursor: next frame", lambda: self.step_frame(1), "Ctrl+Right")
        action(self, nav, "Cursor: previous frame", lambda: self.step_frame(-1), "Ctrl+Left")
        play = bar.addMenu("&Play")
        action(self, play, "Play / &pause from the cursor", self.toggle_play)
        QShortcut(QKeySequence(Qt.Key.Key_Space), self, self.toggle_play)
        action(self, play, "Play the &selection", self.play_selection, "Shift+Space")

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
        self.calibrated_box = QCheckBox("Calibrated")
        self.calibrated_box.setEnabled(False)  # until a model with a calibration is loaded
        self.calibrated_box.setToolTip("The model has no score calibration in its metadata")
        self.calibrated_box.toggled.connect(self._on_calibrated)
        bar.addWidget(self.calibrated_box)
        bar.addAction(action(self, None, "Fit", self.zoom_fit,
                             tip="Show the whole file (Ctrl+0); wheel zooms, drag pans"))
        legend = QLabel(f"   <span style='color:{HIT_COLOUR}'>■</span> hit  "
                        f"<span style='color:{MISS_COLOUR}'>■</span> miss  "
                        f"<span style='color:{FALSE_ALARM_COLOUR}'>■</span> false alarm")
        legend.setTextFormat(Qt.TextFormat.RichText)
        bar.addWidget(legend)

    def _set_loaded(self, complete: bool) -> None:
        for a in self.export_actions:
            a.setEnabled(complete)

    # == patch ===================================================================================
    def _on_patch(self, tag, patch) -> None:
        if tag == (self.path, self.cursor_frame):
            self.patch_view.show_patch(patch)

    def _on_background_failed(self, tag, message: str) -> None:
        self.show_message(f"{message}", "warning")

    # == other handlers ==============================================================================
    def _on_scale(self, kind: str) -> None:
        self.settings.set("inspector/scale", kind)
        self.spectrogram.set_scale(kind)

    def _on_jobs(self, jobs: int) -> None:
        self.settings.set("model/jobs", jobs)
        self.model_spec = dataclasses.replace(self.model_spec, jobs=jobs)

    def files_dropped(self, paths: list[str]) -> None:
        path = paths[0]
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
        self.folder_jobs.shutdown()
        self.compare_jobs.shutdown()
        self.calibration_panel.jobs.shutdown()
        self.save_geometry()
        self.settings.sync()
        super().closeEvent(event)
