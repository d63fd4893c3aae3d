"""Per-class precision / recall / F1 and counts, with the global threshold slider above it.

Moving the slider re-evaluates every frame and class (numpy over [frames, classes], ~10 ms for
an hour) and the table follows at once. Above the per-class table, three averages: labelled
classes (micro and macro) and all classes (micro), since false alarms of unlabelled parent
classes (Animal, Silence) drag the all-class figure down. Any column sorts (click its header);
the first order is labelled classes first, then classes that only raised false alarms. "Len."
counts misses where an ancestor or descendant of the labelled class fired (the AudioSet
ontology), "Expl." false alarms of a relative of a labelled class: lenient hits, apart from the
exact counts.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QSortFilterProxyModel, Qt, Signal
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import (
    QHBoxLayout, QHeaderView, QLabel, QSlider, QTableView, QVBoxLayout, QWidget)

from yamview.core.metrics import Metrics

NO_LABELS = "Import human labels (Labels menu, or drop a label file) to see hits, misses and false alarms."
COLUMNS = ["Class", "Thr", "Hits", "Miss", "F.A.", "Prec", "Recall", "F1", "Len.", "L.Rec", "Expl."]
_COUNTS = (2, 3, 4, 8, 10)
SORT_ROLE = Qt.ItemDataRole.UserRole + 1


def _ratio(v: float) -> str:
    return "–" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:.3f}"


def _row(name, r) -> list:
    return [name, r.get("threshold", ""), r["hits"], r["misses"], r["false_alarms"], r["precision"],
            r["recall"], r["f1"], r.get("lenient_hits", ""), r.get("lenient_recall", math.nan),
            r.get("explained", "")]


class MetricsModel(QAbstractTableModel):
    """Per-class rows (``per_class``) or the average rows (``averages``)."""

    def __init__(self, averages: bool = False) -> None:
        super().__init__()
        self.averages = averages
        self.rows: list[list] = []
        self.classes: list[int | None] = []

    def set_metrics(self, m: Metrics | None) -> None:
        self.beginResetModel()
        self.rows, self.classes = [], []
        if m is not None and self.averages:
            labelled = m.labelled()
            mic, mac, every = m.micro(labelled), m.macro(labelled), m.micro()
            self.rows.append(_row(f"Labelled ({len(labelled)}) micro", mic))
            self.rows.append([f"Labelled ({len(labelled)}) macro", "", "", "", "", mac["precision"],
                              mac["recall"], mac["f1"], "", mac["lenient_recall"], ""])
            self.rows.append(_row("All classes micro", every))
            self.classes = [None, None, None]
        elif m is not None:
            order = m.order()
            for r, i in zip(m.rows(order), order):
                self.rows.append(_row(r["class"], r))
                self.classes.append(int(i))
        self.endResetModel()

    def rowCount(self, parent=QModelIndex()):  # noqa: N802
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent=QModelIndex()):  # noqa: N802
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return COLUMNS[section]
        if role == Qt.ItemDataRole.ToolTipRole and orientation == Qt.Orientation.Horizontal:
            return {"Len.": "lenient hits: misses where an ancestor or descendant of the labelled class fired",
                    "L.Rec": "lenient recall: (hits + lenient hits) / labelled frames",
                    "Expl.": "false alarms explained by a labelled relative (ancestor or descendant)"}.get(
                        COLUMNS[section])
        return None

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        value = self.rows[index.row()][index.column()]
        col = index.column()
        if role == SORT_ROLE:
            if col == 0:
                return str(value).lower()
            return -1.0 if value == "" or (isinstance(value, float) and math.isnan(value)) else float(value)
        if role == Qt.ItemDataRole.DisplayRole:
            if col == 0:
                return value
            if col == 1:
                return "" if value == "" else f"{value:.2f}"
            if col in _COUNTS:
                return str(value)
            return _ratio(value)
        if role == Qt.ItemDataRole.ToolTipRole and col == 0 and self.averages:
            return (f"{value}. micro: ratios of the summed counts; macro: the mean of the classes' own "
                    "ratios; labelled: only the classes the labels name")
        if role == Qt.ItemDataRole.TextAlignmentRole and col > 0:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.FontRole and self.averages and index.row() == 0:
            f = QFont()
            f.setBold(True)
            return f
        if role == Qt.ItemDataRole.ForegroundRole:
            if col == 3 and value:
                return QColor("#f28e2b")
            if col == 4 and value:
                return QColor("#e15759")
            if col in (8, 10) and value:
                return QColor("#9ad0f5")
        return None

    def value(self, row: int, column: str):
        return self.rows[row][COLUMNS.index(column)]


def _table(model, sortable: bool) -> QTableView:
    table = QTableView()
    if sortable:
        proxy = QSortFilterProxyModel(table)
        proxy.setSourceModel(model)
        proxy.setSortRole(SORT_ROLE)
        table.setModel(proxy)
        table.setSortingEnabled(True)
        table.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)  # model order first
    else:
        table.setModel(model)
    table.verticalHeader().setVisible(False)
    table.verticalHeader().setDefaultSectionSize(20)
    table.setAlternatingRowColors(True)
    small = table.font()
    small.setPointSizeF(small.pointSizeF() * 0.92)
    table.setFont(small)
    table.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QTableView.SelectionMode.SingleSelection)
    header = table.horizontalHeader()
    header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
    for c in range(1, len(COLUMNS)):
        header.setSectionResizeMode(c, QHeaderView.ResizeMode.ResizeToContents)
    return table


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
        self.averages = MetricsModel(averages=True)
        self.averages_table = _table(self.averages, sortable=False)
        self.averages_table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        t = self.averages_table
        # Three rows, whatever the font: header + rows + frame + a horizontal scroll bar's room.
        t.setFixedHeight(t.horizontalHeader().sizeHint().height() + 3 * t.verticalHeader().defaultSectionSize()
                         + 2 * t.frameWidth() + t.horizontalScrollBar().sizeHint().height())
        t.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.averages_table.setToolTip("Averages. Labelled classes: only the classes the labels name, so "
                                       "false alarms of unlabelled parents (Animal, Silence) do not hide them.")
        layout.addWidget(self.averages_table)
        self.model = MetricsModel()
        self.table = _table(self.model, sortable=True)
        self.table.doubleClicked.connect(self._activated)
        self.table.setToolTip("Frame counts per class; click a header to sort. Select a class to restrict N / P "
                              "to it (Navigate menu); double-click to pin it and draw its curve.")
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

    def _source_row(self, index) -> int:
        return self.table.model().mapToSource(index).row()

    def _activated(self, index) -> None:
        cls = self.model.classes[self._source_row(index)]
        if cls is not None:
            self.class_activated.emit(cls)

    def selected_class(self) -> int | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.classes[self._source_row(rows[0])] if rows else None

    def select_class(self, cls: int | None) -> None:
        self.table.clearSelection()
        if cls is not None and cls in self.model.classes:
            proxy = self.table.model()
            index = proxy.mapFromSource(self.model.index(self.model.classes.index(cls), 0))
            self.table.selectRow(index.row())

    def show_metrics(self, m: Metrics | None, labels: int = 0, source: str = "") -> None:
        keep = self.selected_class()
        self.model.set_metrics(m)
        self.averages.set_metrics(m)
        self.select_class(keep)
        if m is None:
            self.summary.setText(NO_LABELS)
            return
        t = m.micro()
        self.summary.setText(f"{labels} labels from {source} · {t['hits']} hits, {t['misses']} misses, "
                             f"{t['false_alarms']} false alarms (frame × class)")
