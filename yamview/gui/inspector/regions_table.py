"""The error regions as a table: kind, class, start, end, frames (click one to go there).

A region is a run of frames with the same error kind (miss or false alarm) for one class, what
N / P step through; the table lists the regions of the current error scope.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QHeaderView, QLabel, QTableView, QVBoxLayout, QWidget

from yamview.core.metrics import MISS, Region
from yamview.gui.inspector.list_model import ListModel, list_table
from yamview.gui.inspector.lanes import FALSE_ALARM_COLOUR, MISS_COLOUR
from yamview.gui.inspector.timeline import format_time


class RegionsModel(ListModel):
    HEADERS = ("Kind", "Class", "Start", "End", "Frames")

    def __init__(self) -> None:
        super().__init__()
        self.classes: list[str] = []
        self.spans: list[tuple[float, float]] = []

    @property
    def regions(self) -> list[Region]:
        return self.items

    def set_regions(self, regions: list[Region], classes: list[str], spans: list[tuple[float, float]]) -> None:
        self.classes, self.spans = classes, spans
        self.replace(regions)




    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        r, col = self.regions[index.row()], index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            a, b = self.spans[index.row()]
            return ("miss" if r.kind == MISS else "false alarm", self.classes[r.class_index],
                    format_time(a, 2), format_time(b, 2), str(r.frames))[col]
        if role == Qt.ItemDataRole.ForegroundRole and col == 0:
            return QColor(MISS_COLOUR if r.kind == MISS else FALSE_ALARM_COLOUR)
        if role == Qt.ItemDataRole.TextAlignmentRole and col >= 2:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None


class RegionsPanel(QWidget):
    region_activated = Signal(object)  # Region

    def __init__(self) -> None:
        super().__init__()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        self.count = QLabel("Import human labels to list the error regions.")
        self.count.setWordWrap(True)
        layout.addWidget(self.count)
        self.model = RegionsModel()
        self.table = list_table(self.model)
        self.table.setSelectionMode(QTableView.SelectionMode.SingleSelection)
        h = self.table.horizontalHeader()
        h.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        for c in (0, 2, 3, 4):
            h.setSectionResizeMode(c, QHeaderView.ResizeMode.ResizeToContents)
        self.table.clicked.connect(lambda i: self.region_activated.emit(self.model.regions[i.row()]))
        layout.addWidget(self.table, 1)

    def show_regions(self, regions: list[Region], classes: list[str], spans, scope: str) -> None:
        misses = sum(r.kind == MISS for r in regions)
        self.count.setText(f"{len(regions)} error regions in {scope} ({misses} misses, "
                           f"{len(regions) - misses} false alarms) · N / P step through them · click one")
        self.model.set_regions(regions, classes, spans)

    def mark(self, region: Region | None) -> None:
        if region is not None and region in self.model.regions:
            row = self.model.regions.index(region)
            self.table.selectRow(row)
            self.table.scrollTo(self.model.index(row, 0))
