"""A/B compare: pick a second model (or the same model with the other kernels), see top-1
agreement, time per frame and per-class metric deltas against the labels; the disagreement lane
in the timeline shows where the two differ."""

from __future__ import annotations

import math

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QDoubleSpinBox, QHBoxLayout, QHeaderView, QLabel, QPushButton, QTableWidget, QTableWidgetItem, QVBoxLayout,
    QWidget)

COLUMNS = ["Class", "Lab.", "F1 A", "F1 B", "ΔP", "ΔR", "ΔF1"]


class _Number(QTableWidgetItem):
    """Sorts by value (NaN last), shows a fixed format."""

    def __init__(self, value: float, signed: bool = False, integer: bool = False) -> None:
        text = "–" if math.isnan(value) else (f"{int(value)}" if integer else f"{value:+.3f}" if signed
                                              else f"{value:.3f}")
        super().__init__(text)
        self.value = -math.inf if math.isnan(value) else value
        self.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if signed and not math.isnan(value) and abs(value) > 1e-9:
            self.setForeground(QColor("#59a14f" if value > 0 else "#e15759"))

    def __lt__(self, other) -> bool:
        return self.value < getattr(other, "value", -math.inf)


class ComparePanel(QWidget):
    # "model" (pick a file), "kernels" (same model, other kernels) or "hop" (same model, B's hop)
    compare_requested = Signal(str)

    def __init__(self) -> None:
        super().__init__()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        row = QHBoxLayout()
        pick = QPushButton("Compare with a model…")
        pick.setToolTip("A second .tflite model analyses the same frames (B); this one is A")
        pick.clicked.connect(lambda: self.compare_requested.emit("model"))
        row.addWidget(pick)
        kernels = QPushButton("…with the other kernels")
        kernels.setToolTip("The same model with the other kernels (fast XNNPACK vs reference builtin)")
        kernels.clicked.connect(lambda: self.compare_requested.emit("kernels"))
        row.addWidget(kernels)
        layout.addLayout(row)
        hop_row = QHBoxLayout()
        hop_row.addWidget(QLabel("B's hop"))
        self.hop = QDoubleSpinBox()
        self.hop.setRange(0.0, 10.0)
        self.hop.setDecimals(3)
        self.hop.setSingleStep(0.05)
        self.hop.setSuffix(" s")
        self.hop.setSpecialValueText("same as A")
        self.hop.setToolTip("B may score other frames: each of A's frames is then compared with B's "
                            "frame whose centre is nearest")
        hop_row.addWidget(self.hop)
        at_hop = QPushButton("…this model at B's hop")
        at_hop.setToolTip("The same model and kernels, framed at B's hop")
        at_hop.clicked.connect(lambda: self.compare_requested.emit("hop"))
        hop_row.addWidget(at_hop)
        hop_row.addStretch(1)
        layout.addLayout(hop_row)
        self.summary = QLabel("No comparison yet.")
        self.summary.setWordWrap(True)
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        layout.addWidget(self.summary)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(20)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        h = self.table.horizontalHeader()
        h.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for c in range(1, len(COLUMNS)):
            h.setSectionResizeMode(c, QHeaderView.ResizeMode.ResizeToContents)
        self.table.setToolTip("Per class, B minus A against the human labels; click a header to sort")
        layout.addWidget(self.table, 1)

    def show_comparison(self, c) -> None:
        ms = c.ms_per_frame
        self.summary.setText(
            f"A: <b>{c.a.model_name}</b> ({c.a.kernels}) · B: <b>{c.b.model_name}</b> ({c.b.kernels})<br>"
            f"top-1 agreement <b>{c.top1_agreement:.3f}</b> · {int(c.disagreement.sum())} of {c.a.n_frames} "
            f"frames disagree · time per frame A {ms(c.a):.2f} ms, B {ms(c.b):.2f} ms"
            + (f"<br>B scored other frames (every {c.b.framing.hop_seconds:.4g} s, "
               f"{c.b.framing.window_seconds:.3f} s windows): read at the one nearest each of A's"
               if c.aligned else ""))
        rows = c.rows()
        self.table.setSortingEnabled(False)
        self.table.setRowCount(len(rows))
        for i, r in enumerate(rows):
            self.table.setItem(i, 0, QTableWidgetItem(r["class"]))
            self.table.setItem(i, 1, _Number(r["labelled"], integer=True))
            self.table.setItem(i, 2, _Number(r["f1_a"]))
            self.table.setItem(i, 3, _Number(r["f1_b"]))
            for k, key in enumerate(("d_precision", "d_recall", "d_f1")):
                self.table.setItem(i, 4 + k, _Number(r[key], signed=True))
        self.table.setSortingEnabled(True)
        if not rows:
            self.summary.setText(self.summary.text() + "<br>Import labels for per-class deltas.")
