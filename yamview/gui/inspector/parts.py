"""The inspector window's shared state: what its mixins (loading, navigation, actions) read and
call on the window, declared in one place.

``InspectorWindow`` builds these parts; each mixin inherits ``InspectorParts`` so its needs are
written down (and checked by a type checker) instead of found by reading the window.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PySide6.QtCore import QTimer
    from PySide6.QtGui import QAction
    from PySide6.QtWidgets import QComboBox, QLabel, QProgressBar, QPushButton, QWidget

    from yamview.core.model import Model
    from yamview.core.overview import Detail
    from yamview.gui.inspector.job import AnalysisJob, Background, JobInfo, ModelSpec
    from yamview.gui.inspector.lanes import ErrorLane, EventLane, LabelLane
    from yamview.gui.inspector.metrics_table import MetricsPanel
    from yamview.gui.inspector.panels import ClassesPanel, EventsPanel
    from yamview.gui.inspector.patch_view import PatchComputer, PatchView
    from yamview.gui.inspector.player import Player
    from yamview.gui.inspector.regions_table import RegionsPanel
    from yamview.gui.inspector.session import Session
    from yamview.gui.inspector.thresholds_table import ThresholdsPanel
    from yamview.gui.inspector.timeline import CurvesView, HeatMapView, SpectrogramView, WaveformView
    from yamview.gui.settings import Settings


class InspectorParts:
    """Attributes and methods the inspector's mixins share (InspectorWindow provides them)."""

    # what is open
    settings: Settings
    path: str | None
    session: Session | None
    info: JobInfo | None
    job: AnalysisJob | None
    model: Model | None
    model_spec: ModelSpec
    use_cache: bool
    hop_seconds: float | None
    mapping: dict | None
    mapping_source: str
    current_region: object | None
    raven_column: str
    # cursor and detail
    cursor_time: float
    cursor_frame: int | None
    detail: Detail | None
    first_pixels_s: float | None
    analysis_s: float | None
    # views and panels
    views: list
    waveform: WaveformView
    spectrogram: SpectrogramView
    heatmap: HeatMapView
    curves: CurvesView
    label_lane: LabelLane
    event_lane: EventLane
    error_lane: ErrorLane
    views_box: QWidget
    readout: QLabel
    hover: QLabel
    patch_view: PatchView
    classes_panel: ClassesPanel
    metrics_panel: MetricsPanel
    events_panel: EventsPanel
    thresholds_panel: ThresholdsPanel
    regions_panel: RegionsPanel
    only_selected_action: QAction
    scope_combo: QComboBox
    # toolbar and status bar
    play_button: QPushButton
    time_label: QLabel
    scale_combo: QComboBox
    overlap_combo: QComboBox
    progress: QProgressBar
    cancel_button: QPushButton
    status_label: QLabel
    # background work
    player: Player
    patch_jobs: Background
    detail_jobs: Background
    event_jobs: Background
    _ontology: object | None
    _patch_computer: PatchComputer
    _tick_timer: QTimer
    _detail_timer: QTimer

    if TYPE_CHECKING:  # methods of the window (or of another mixin) that a mixin calls
        def show_message(self, text: str, kind: str = "info") -> None: ...
        def clear_message(self) -> None: ...
        def setWindowTitle(self, title: str) -> None: ...  # noqa: N802 (Qt naming)
        def shown_classes(self) -> list[int]: ...
        def curve_classes(self) -> list[int]: ...
        def error_scope(self) -> list[int] | None: ...
        def region_scope(self) -> list[int] | None: ...
        @property
        def analysing(self) -> bool: ...
        def _refresh_classes(self) -> None: ...
        def _refresh_slow(self) -> None: ...
        def _set_loaded(self, complete: bool) -> None: ...
        def _apply_event_params(self) -> None: ...
        def open_file(self, path: str, hop_seconds: float | None = None, labels: str | None = None,
                      mapping: str | None = None) -> bool: ...
        def import_labels(self, path: str, fmt: str | None = None, column: str | None = None,
                          interactive: bool = False) -> bool: ...
        def load_mapping(self, path: str) -> bool: ...
        def restore_labels(self) -> bool: ...
        def _relatives(self, classes: list[str]) -> object: ...
        def set_cursor(self, t: float, reveal: bool = False, seek: bool = True) -> None: ...
        def zoom_fit(self) -> None: ...
        def _schedule_detail(self) -> None: ...
        def _show_calibration(self, info: JobInfo) -> None: ...
