"""Ask for what a bare model's file does not say (sample rate, class names, activation).

Shown when a model cannot load without a sample rate, or loads with numbered classes; what the
user answers is remembered per model sha256 (:meth:`Settings.set_model_settings`), so the same
file never asks twice, wherever it is moved. The CLI's equivalents are --rate, --labels-file and
--activation, or a sidecar ``<model>.yamview.json`` beside the file.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from yamview.core.tflite.model_settings import (
    ACTIVATIONS,
    MAX_SAMPLE_RATE,
    MIN_SAMPLE_RATE,
    ModelSettings,
)

_ACTIVATION_TEXT = {
    "none": "none — the outputs already are scores",
    "sigmoid": "sigmoid — outputs are logits, classes independent (BirdNET)",
    "softmax": "softmax — outputs are logits of one-of-N classes",
}


class ModelSettingsDialog(QDialog):
    """A small form; ``settings()`` gives what the user entered."""

    def __init__(self, model_path: str, reason: str, known: ModelSettings | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Model details — {Path(model_path).name}")
        self._folder = str(Path(model_path).parent)
        known = known or ModelSettings()
        self.intro = intro = QLabel(
            f"<b>{Path(model_path).name}</b> does not carry TFLite metadata that says everything "
            f"yamview needs.<br>{reason}<br>yamview remembers your answer for this model file."
        )
        intro.setWordWrap(True)

        self.rate = QSpinBox()
        self.rate.setRange(0, MAX_SAMPLE_RATE)
        self.rate.setSpecialValueText("— required —")
        self.rate.setSuffix(" Hz")
        self.rate.setSingleStep(1000)
        self.rate.setValue(known.sample_rate or 0)
        self.rate.setToolTip("The sample rate the model was trained on (YAMNet 16000, BirdNET 48000)")
        self.labels_file = QLineEdit(known.labels_file or "")
        self.labels_file.setPlaceholderText("a text file, one class name per line (optional)")
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        names_row = QHBoxLayout()
        names_row.addWidget(self.labels_file, 1)
        names_row.addWidget(browse)
        self.activation = QComboBox()
        for key in ACTIVATIONS:
            self.activation.addItem(_ACTIVATION_TEXT[key], key)
        self.activation.setCurrentIndex(max(0, ACTIVATIONS.index(known.activation or "none")))

        form = QFormLayout()
        form.addRow("Sample rate", self.rate)
        form.addRow("Class names", names_row)
        form.addRow("Scores", self.activation)
        self.problem = QLabel("")
        self.problem.setStyleSheet("color: #b00020")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self._accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.problem)
        layout.addWidget(self.buttons)

    def _browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Class names, one per line", self._folder,
                                              "Text files (*.txt *.csv);;All files (*)")
        if path:
            self.labels_file.setText(path)

    def _accept(self) -> None:
        if self.rate.value() < MIN_SAMPLE_RATE:
            self.problem.setText(f"Enter the model's sample rate ({MIN_SAMPLE_RATE:,}–{MAX_SAMPLE_RATE:,} Hz).")
            return
        label_file = self.labels_file.text().strip()
        if label_file and not Path(label_file).is_file():
            self.problem.setText(f"No such file: {label_file}")
            return
        self.accept()

    def settings(self) -> ModelSettings:
        return ModelSettings(self.rate.value() or None, self.labels_file.text().strip() or None,
                             self.activation.currentData())
