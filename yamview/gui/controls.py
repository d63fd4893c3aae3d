"""The settings panel, mirroring the Android example's bottom sheet, plus the inference readout.

It reads its initial values from Settings and writes every change back, then emits one signal
per setting so the window can apply it live.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from yamview.core.framing import DEFAULT_OVERLAP, OVERLAPS
from yamview.core.model import max_threads
from yamview.gui.settings import Settings
from yamview.gui.views.spectrogram import COLORMAPS

YAMNET_ITEM = "YAMNet (built in)"
OPEN_MODEL_ITEM = "Open .tflite model…"
CUSTOM_HOP = "Custom hop"


class Controls(QWidget):
    model_chosen = Signal(str)  # "" = YAMNet; a path; OPEN_MODEL_ITEM asks the window for a file
    kernels_changed = Signal(str)
    threads_changed = Signal(int)
    calibrate_changed = Signal(bool)
    max_results_changed = Signal(int)
    threshold_changed = Signal(float)
    hop_changed = Signal(float)
    scale_changed = Signal(str)
    colormap_changed = Signal(str)
    db_range_changed = Signal(float, float)

    def __init__(self, settings: Settings, parent=None) -> None:
        super().__init__(parent)
        self.settings = settings
        self.window_seconds: float | None = None  # the model's window, once one is loaded
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)

        model_box = QGroupBox("Model")
        form = QFormLayout(model_box)
        self.model = QComboBox()
        self.model.addItem(YAMNET_ITEM, "")
        path = settings.get("model/path")
        if path:
            self.model.addItem(path.rsplit("/", 1)[-1], path)
            self.model.setCurrentIndex(1)
        self.model.addItem(OPEN_MODEL_ITEM, OPEN_MODEL_ITEM)
        self.model.setToolTip("YAMNet, or any TFLite audio classifier (mono float32 waveform in)")
        self.model.activated.connect(self._on_model)
        form.addRow("Model", self.model)
        self.kernels = QComboBox()
        self.kernels.addItem("Fast (XNNPACK)", "fast")
        self.kernels.addItem("Reference (exact)", "reference")
        self.kernels.setToolTip("Fast: XNNPACK, ~3x quicker. Reference: builtin kernels, Google's exact test values")
        self.kernels.setCurrentIndex(self.kernels.findData(settings.get("model/kernels")))
        self.kernels.currentIndexChanged.connect(lambda _: self._emit("model/kernels", self.kernels.currentData(), self.kernels_changed))
        form.addRow("Kernels", self.kernels)
        self.threads = QSpinBox()
        self.threads.setRange(1, max_threads())
        self.threads.setValue(min(settings.get("model/threads"), max_threads()))
        self.threads.setToolTip("Inference threads (at most the number of CPU cores)")
        self.threads.valueChanged.connect(lambda v: self._emit("model/threads", v, self.threads_changed))
        form.addRow("Threads", self.threads)
        self.calibrate = QCheckBox("Calibrated scores")
        self.calibrate.setChecked(bool(settings.get("model/calibrate")))
        self.calibrate.setEnabled(False)  # until a model with a calibration is loaded
        self.calibrate.setToolTip("This model has no score calibration in its metadata")
        self.calibrate.toggled.connect(lambda v: self._emit("model/calibrate", bool(v), self.calibrate_changed))
        form.addRow("Calibration", self.calibrate)
        outer.addWidget(model_box)

        cls_box = QGroupBox("Classification")
        form = QFormLayout(cls_box)
        self.max_results = QSpinBox()
        self.max_results.setRange(1, 10)
        self.max_results.setValue(settings.get("classify/max_results"))
        self.max_results.setToolTip("How many classes the bars list (1-10), best first")
        self.max_results.valueChanged.connect(lambda v: self._emit("classify/max_results", v, self.max_results_changed))
        form.addRow("Max results", self.max_results)
        self.threshold = QDoubleSpinBox()
        self.threshold.setRange(0.0, 1.0)
        self.threshold.setSingleStep(0.05)
        self.threshold.setDecimals(2)
        self.threshold.setValue(settings.get("classify/threshold"))
        self.threshold.setToolTip("Only classes scoring at least this much are listed (dashed line on the bars)")
        self.threshold.valueChanged.connect(lambda v: self._emit("classify/threshold", v, self.threshold_changed))
        form.addRow("Score threshold", self.threshold)
        hop_row = QHBoxLayout()
        self.overlap = QComboBox()
        for o in OVERLAPS:
            self.overlap.addItem(f"{o:.0%}", o)
        self.overlap.addItem(CUSTOM_HOP, None)
        self.overlap.setToolTip("Overlap of consecutive windows (hop = window x (1 - overlap))")
        self.hop = QDoubleSpinBox()
        self.hop.setRange(0.1, 10.0)  # the maximum becomes the model's window once it is known
        self.hop.setSingleStep(0.025)
        self.hop.setDecimals(3)
        self.hop.setSuffix(" s")
        self.hop.setToolTip("Time between frames: smaller = smoother, more CPU")
        hop_row.addWidget(self.overlap)
        hop_row.addWidget(self.hop)
        form.addRow("Overlap / hop", hop_row)
        self._sync_hop_widgets(settings.get("classify/hop_seconds"))
        self.overlap.activated.connect(self._on_overlap)
        self.hop.valueChanged.connect(self._on_hop)
        outer.addWidget(cls_box)

        view_box = QGroupBox("Spectrogram")
        form = QFormLayout(view_box)
        self.scale = QComboBox()
        self.scale.addItems(["mel", "log", "linear"])
        self.scale.setCurrentText(settings.get("spectrogram/scale"))
        self.scale.setToolTip("Frequency axis: mel (like YAMNet's own input), log, or linear")
        self.scale.currentTextChanged.connect(lambda v: self._emit("spectrogram/scale", v, self.scale_changed))
        form.addRow("Frequency scale", self.scale)
        self.colormap = QComboBox()
        self.colormap.addItems(list(COLORMAPS))
        cm = settings.get("spectrogram/colormap")
        self.colormap.setCurrentText(cm if cm in COLORMAPS else COLORMAPS[0])
        self.colormap.setToolTip("Colours of the spectrogram (quiet to loud)")
        self.colormap.currentTextChanged.connect(lambda v: self._emit("spectrogram/colormap", v, self.colormap_changed))
        form.addRow("Colormap", self.colormap)
        db_row = QHBoxLayout()
        self.db_low = QSpinBox()
        self.db_low.setRange(-160, -10)
        self.db_low.setValue(int(settings.get("spectrogram/db_low")))
        self.db_high = QSpinBox()
        self.db_high.setRange(-100, 20)
        self.db_high.setValue(int(settings.get("spectrogram/db_high")))
        self.db_low.setToolTip("Level drawn darkest (dBFS): raise it to hide background noise")
        self.db_high.setToolTip("Level drawn brightest (dBFS)")
        for w in (self.db_low, self.db_high):
            w.setSuffix(" dB")
            w.valueChanged.connect(self._on_db)
            db_row.addWidget(w)
        form.addRow("Range", db_row)
        outer.addWidget(view_box)

        self.readout = QLabel("Inference: –")
        self.readout.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.readout.setToolTip("Time the model took for the last frame, and the mean; frames skipped when inference fell behind")
        outer.addWidget(self.readout)
        outer.addStretch(1)

    # -- helpers -------------------------------------------------------------------------------
    def show_settings(self, s: Settings) -> None:
        """Show ``s`` (e.g. just reset to the defaults); each change is signalled as if made here."""
        self.max_results.setValue(s.get("classify/max_results"))
        self.threshold.setValue(s.get("classify/threshold"))
        self.set_hop(s.get("classify/hop_seconds"))
        self.scale.setCurrentText(s.get("spectrogram/scale"))
        self.colormap.setCurrentText(s.get("spectrogram/colormap"))
        self.db_low.setValue(int(s.get("spectrogram/db_low")))
        self.db_high.setValue(int(s.get("spectrogram/db_high")))
        self.threads.setValue(s.get("model/threads"))
        self.calibrate.setChecked(bool(s.get("model/calibrate")))
        self.kernels.setCurrentIndex(self.kernels.findData(s.get("model/kernels")))

    def _emit(self, key: str, value, signal) -> None:
        self.settings.set(key, value)
        signal.emit(value)

    def hop_seconds(self) -> float:
        """The chosen hop, else the default overlap of the model's window (0 before a model)."""
        hop = float(self.settings.get("classify/hop_seconds"))
        if hop > 0:
            return hop
        return round((self.window_seconds or 0.0) * (1 - DEFAULT_OVERLAP), 6)

    def _sync_hop_widgets(self, hop: float) -> None:
        if hop <= 0:  # not chosen: the default overlap
            self.overlap.setCurrentIndex(OVERLAPS.index(DEFAULT_OVERLAP))
            if self.window_seconds:
                self.hop.blockSignals(True)
                self.hop.setValue(self.hop_seconds())
                self.hop.blockSignals(False)
            return
        self.hop.blockSignals(True)
        self.hop.setValue(hop)
        self.hop.blockSignals(False)
        index = self.overlap.count() - 1
        for i, o in enumerate(OVERLAPS):
            if self.window_seconds and abs(self.window_seconds * (1 - o) - hop) < 5e-4:
                index = i
        self.overlap.setCurrentIndex(index)

    def set_window_seconds(self, seconds: float) -> None:
        """A model with another window length changes what each overlap means."""
        self.window_seconds = seconds
        self.hop.setMaximum(max(0.1, seconds))
        self.overlap.setToolTip(f"Overlap of consecutive {seconds:.3g} s windows (hop = window x (1 - overlap))")
        self._sync_hop_widgets(float(self.settings.get("classify/hop_seconds")))

    def _on_overlap(self, index: int) -> None:
        overlap = self.overlap.itemData(index)
        if overlap is None or not self.window_seconds:  # "Custom hop": the spin box takes over
            self.hop.setFocus()
            return
        self.set_hop(round(self.window_seconds * (1 - overlap), 6))

    def _on_hop(self, value: float) -> None:
        self.set_hop(float(value))

    def set_hop(self, hop: float) -> None:
        self.settings.set("classify/hop_seconds", hop)
        self._sync_hop_widgets(hop)
        self.hop_changed.emit(hop)

    def _on_db(self, _=None) -> None:
        low, high = float(self.db_low.value()), float(self.db_high.value())
        self.settings.set("spectrogram/db_low", low)
        self.settings.set("spectrogram/db_high", high)
        self.db_range_changed.emit(low, high)

    def _on_model(self, index: int) -> None:
        self.model_chosen.emit(self.model.itemData(index))

    def show_model(self, path: str, name: str) -> None:
        """Select the model that is actually loaded (after success, or to undo a failed choice)."""
        index = self.model.findData(path)
        if index < 0:
            index = self.model.count() - 1  # before "Open .tflite model…"
            self.model.insertItem(index, name, path)
        self.model.setCurrentIndex(index)

    def show_calibration(self, state: str) -> None:
        """The loaded model's calibration: "" none, "on" applied, "off" switched off."""
        self.calibrate.setEnabled(bool(state))
        self.calibrate.setToolTip(
            "Scores are calibrated per class by the model's metadata (yamview calibrate); "
            "untick to compare with the raw scores" if state else
            "This model has no score calibration in its metadata (make one: yamview calibrate, "
            "or Calibrate in the inspector)")

    def show_inference(self, last_ms: float, mean_ms: float, skipped: int) -> None:
        self.readout.setText(f"Inference: {last_ms:.1f} ms (mean {mean_ms:.1f} ms) · skipped {skipped}")
