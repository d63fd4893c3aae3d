"""Per-class precision / recall / F1 and counts, with the global threshold slider above it.

Moving the slider re-evaluates every frame and class (numpy over [frames, classes], ~10 ms for
an hour) and the table follows at once. Labelled classes come first, then classes that only
raised false alarms; the first row is the micro-average over all classes.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt, Signal
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import (
    QHBoxLayout, QHeaderView, QLabel, QSlider, QTableView, QVBoxLayout, QWidget)

from yamview.core.metrics import Metrics

NO_LABELS = "Import human labels (Labels menu, or drop a label file) to see hits, misses and false alarms."
COLUMNS = ["Class", "Thr", "Hits", "Miss", "F.A.", "Prec", "Recall", "F1"]


def _ratio(v: float) -> str:
    return "–" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:.3f}"


class MetricsModel(QAbstractTableModel):
    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list] = []
        self.classes: list[int | None] = []

    def set_metrics(self, m: Metrics | None) -> None:
        self.beginResetModel()
        self.rows, self.classes = [], []
        if m is not None:
            t = m.micro()
            self.rows.append(["All (micro avg.)", "", t["hits"], t["misses"], t["false_alarms"],
                              t["precision"], t["recall"], t["f1"]])
            self.classes.append(None)
            order = m.order()
            for r, i in zip(m.rows(order), order):
                self.rows.append([r["class"], r["threshold"], r["hits"], r["misses"], r["false_alarms"],
                                  r["precision"], r["recall"], r["f1"]])
                self.classes.append(int(i))
        self.endResetModel()

    def rowCount(self, parent=QModelIndex()):  # noqa: N802
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent=QModelIndex()):  # noqa: N802
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return COLUMNS[section]
        return None

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        value = self.rows[index.row()][index.column()]
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if col == 0:
                return value
            if col == 1:
                return "" if value == "" else f"{value:.2f}"
            if col in (2, 3, 4):
                return str(value)
            return _ratio(value)
        if role == Qt.ItemDataRole.TextAlignmentRole and col > 0:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.FontRole and index.row() == 0:
            f = QFont()
            f.setBold(True)
            return f
        if role == Qt.ItemDataRole.ForegroundRole:
            if col == 3 and value:
                return QColor("#f28e2b")
            if col == 4 and value:
                return QColor("#e15759")
        return None

    def value(self, row: int, column: str):
        return self.rows[row][COLUMNS.index(column)]


class MetricsPanel(QWidget):
    threshold_changed = Signal(float)
    class_activated = Signal(int)

    def __init__(self, threshold: float = 0.3) -> None:
        super().__init__()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        row = QHBoxLayout()
        row.addWidget(QLabel("Threshold"))
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, 100)
        self.slider.setValue(int(round(threshold * 100)))
        self.slider.setToolTip("Score at or above which a class counts as detected (classes with their own "
                               "threshold in the Thresholds tab keep it)")
        self.value_label = QLabel(f"{threshold:.2f}")
        self.value_label.setMinimumWidth(36)
        row.addWidget(self.slider, 1)
        row.addWidget(self.value_label)
        layout.addLayout(row)
        self.summary = QLabel(NO_LABELS)
        self.summary.setWordWrap(True)
        layout.addWidget(self.summary)
        self.model = MetricsModel()
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(20)
        self.table.setAlternatingRowColors(True)
        small = self.table.font()
        small.setPointSizeF(small.pointSizeF() * 0.92)
        self.table.setFont(small)
        self.table.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for c in range(1, len(COLUMNS)):
            header.setSectionResizeMode(c, QHeaderView.ResizeMode.ResizeToContents)
        self.table.doubleClicked.connect(self._activated)
        self.table.setToolTip("Frame counts per class. Double-click a class to pin it and draw its curve.")
        layout.addWidget(self.table, 1)
        self.slider.valueChanged.connect(self._slid)

    @property
    def threshold(self) -> float:
        return self.slider.value() / 100

    def set_threshold(self, value: float) -> None:
        self.slider.setValue(int(round(value * 100)))

    def _slid(self, v: int) -> None:
        self.value_label.setText(f"{v / 100:.2f}")
        self.threshold_changed.emit(v / 100)

    def _activated(self, index) -> None:
        cls = self.model.classes[index.row()]
        if cls is not None:
            self.class_activated.emit(cls)

    def show_metrics(self, m: Metrics | None, labels: int = 0, source: str = "") -> None:
        self.model.set_metrics(m)
        if m is None:
            self.summary.setText(NO_LABELS)
            return
        t = m.micro()
        self.summary.setText(f"{labels} labels from {source} · {t['hits']} hits, {t['misses']} misses, "
                             f"{t['false_alarms']} false alarms (frame × class)")
