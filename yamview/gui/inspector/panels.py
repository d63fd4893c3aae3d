"""Side panels: which classes the heat map and curves show, and the event detector's settings."""

from __future__ import annotations

from PySide6.QtCore import QStringListModel, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox, QCompleter, QDoubleSpinBox, QFormLayout, QHBoxLayout, QHeaderView, QLabel, QLineEdit,
    QListWidget, QListWidgetItem, QPushButton, QSpinBox, QVBoxLayout, QWidget)

from yamview.gui.inspector.list_model import ListModel, list_table
from yamview.gui import palette
from yamview.gui.inspector.timeline import format_time


class ClassesPanel(QWidget):
    """Top K and its ranking, a search box over every class, the pinned classes.

    A pinned class always has a heat-map row; ticked pinned classes get a score curve (with none
    ticked, the curves show the top three classes).
    """

    changed = Signal()
    pin_failed = Signal(str)

    def __init__(self, top_k: int = 10, rank_by: str = "max") -> None:
        super().__init__()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        form = QFormLayout()
        self.top_k = QSpinBox()
        self.top_k.setRange(5, 30)
        self.top_k.setValue(top_k)
        self.top_k.setToolTip("Classes in the heat map (besides the pinned ones)")
        form.addRow("Top classes", self.top_k)
        self.rank_by = QComboBox()
        self.rank_by.addItem("max score (short sounds count)", "max")
        self.rank_by.addItem("mean score (what lasts)", "mean")
        self.rank_by.setCurrentIndex(max(0, self.rank_by.findData(rank_by)))
        form.addRow("Ranked by", self.rank_by)
        layout.addLayout(form)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search all classes, Enter pins…")
        self.search.setClearButtonEnabled(True)
        self._names = QStringListModel()
        self.completer = QCompleter(self._names, self)
        self.completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.completer.setFilterMode(Qt.MatchFlag.MatchContains)
        self.completer.setMaxVisibleItems(14)
        self.search.setCompleter(self.completer)
        self.completer.activated.connect(self.pin_name)
        self.search.returnPressed.connect(lambda: self.pin_name(self.search.text()))
        layout.addWidget(self.search)
        layout.addWidget(QLabel("Pinned (ticked: draw its score curve)"))
        self.pinned_list = QListWidget()
        self.pinned_list.itemChanged.connect(lambda _: self.changed.emit())
        layout.addWidget(self.pinned_list, 1)
        row = QHBoxLayout()
        unpin = QPushButton("Unpin")
        unpin.clicked.connect(self.unpin_selected)
        clear = QPushButton("Unpin all")
        clear.clicked.connect(self.unpin_all)
        row.addWidget(unpin)
        row.addWidget(clear)
        layout.addLayout(row)
        self.classes: list[str] = []
        self.top_k.valueChanged.connect(lambda _: self.changed.emit())
        self.rank_by.currentIndexChanged.connect(lambda _: self.changed.emit())

    def set_classes(self, classes: list[str]) -> None:
        if classes != self.classes:
            self.classes = list(classes)
            self._names.setStringList(self.classes)
            self.pinned_list.clear()

    @property
    def k(self) -> int:
        return self.top_k.value()

    @property
    def by(self) -> str:
        return self.rank_by.currentData()

    def pinned(self) -> list[int]:
        return [self.pinned_list.item(r).data(Qt.ItemDataRole.UserRole) for r in range(self.pinned_list.count())]

    def curve_classes(self) -> list[int]:
        return [self.pinned_list.item(r).data(Qt.ItemDataRole.UserRole) for r in range(self.pinned_list.count())
                if self.pinned_list.item(r).checkState() == Qt.CheckState.Checked]

    def pin_name(self, name: str) -> bool:
        low = name.strip().lower()
        index = next((i for i, c in enumerate(self.classes) if c.lower() == low), None)
        if index is None:
            hits = [i for i, c in enumerate(self.classes) if low and low in c.lower()]
            index = hits[0] if len(hits) == 1 else None
            if index is None:
                self.pin_failed.emit(f"No class named '{name.strip()}'" if not hits else
                                     f"'{name.strip()}' matches {len(hits)} classes; pick one from the list")
                return False
        self.pin(index)
        self.search.clear()
        return True

    def pin(self, index: int, curve: bool = True) -> None:
        for r in range(self.pinned_list.count()):
            item = self.pinned_list.item(r)
            if item.data(Qt.ItemDataRole.UserRole) == index:
                item.setCheckState(Qt.CheckState.Checked if curve else item.checkState())
                return
        item = QListWidgetItem(self.classes[index])
        item.setData(Qt.ItemDataRole.UserRole, int(index))
        item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
        item.setForeground(palette.class_colour(index))
        self.pinned_list.blockSignals(True)
        item.setCheckState(Qt.CheckState.Checked if curve else Qt.CheckState.Unchecked)
        self.pinned_list.addItem(item)
        self.pinned_list.blockSignals(False)
        self.changed.emit()

    def toggle_curve(self, index: int) -> None:
        """Heat-map double-click: pin the class with its curve, or toggle the curve."""
        for r in range(self.pinned_list.count()):
            item = self.pinned_list.item(r)
            if item.data(Qt.ItemDataRole.UserRole) == index:
                on = item.checkState() != Qt.CheckState.Checked
                item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)
                return
        self.pin(index)

    def unpin_selected(self) -> None:
        for item in self.pinned_list.selectedItems():
            self.pinned_list.takeItem(self.pinned_list.row(item))
        self.changed.emit()

    def unpin_all(self) -> None:
        self.pinned_list.clear()
        self.changed.emit()


class EventsModel(ListModel):
    """The events as a table model: a new list is one reset, rows are drawn only when visible."""

    HEADERS = ("Start", "End", "Peak", "Class")

    @property
    def events(self) -> list:
        return self.items

    def set_events(self, events: list) -> None:
        self.replace(events)




    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        e, col = self.events[index.row()], index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return (format_time(e.start, 2), format_time(e.end, 2), f"{e.peak:.2f}", e.class_name)[col]
        if role == Qt.ItemDataRole.TextAlignmentRole and col < 3:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ForegroundRole and col == 3:
            return palette.class_colour(e.class_index)
        return None


class EventsPanel(QWidget):
    """Smoothing, minimum duration and merge gap; the list of events (click one to go there)."""

    params_changed = Signal()
    event_activated = Signal(object)  # the Event

    def __init__(self) -> None:
        super().__init__()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        form = QFormLayout()
        self.smoothing = QSpinBox()
        self.smoothing.setRange(1, 25)
        self.smoothing.setSuffix(" frames")
        self.smoothing.setToolTip("Moving average of the scores before thresholding (1: none)")
        self.min_duration = QDoubleSpinBox()
        self.min_duration.setRange(0, 60)
        self.min_duration.setSingleStep(0.25)
        self.min_duration.setSuffix(" s")
        self.min_duration.setToolTip("Drop events shorter than this")
        self.merge_gap = QDoubleSpinBox()
        self.merge_gap.setRange(0, 60)
        self.merge_gap.setSingleStep(0.25)
        self.merge_gap.setSuffix(" s")
        self.merge_gap.setToolTip("Merge events of one class separated by less than this")
        form.addRow("Smoothing", self.smoothing)
        form.addRow("Min duration", self.min_duration)
        form.addRow("Merge gap", self.merge_gap)
        layout.addLayout(form)
        self.count = QLabel("")
        self.count.setWordWrap(True)
        layout.addWidget(self.count)
        self.model = EventsModel()
        self.table = list_table(self.model)
        h = self.table.horizontalHeader()
        for c in range(3):
            h.setSectionResizeMode(c, QHeaderView.ResizeMode.Interactive)
            h.resizeSection(c, 64 if c < 2 else 44)
        h.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.table.clicked.connect(self._clicked)
        layout.addWidget(self.table, 1)
        for w in (self.smoothing, self.min_duration, self.merge_gap):
            w.valueChanged.connect(lambda _: self.params_changed.emit())

    def show_events(self, events: list) -> None:
        classes = len({e.class_index for e in events})
        self.count.setText(f"{len(events)} events in {classes} classes (threshold from the Metrics and "
                           "Thresholds tabs) · click one to go there")
        self.model.set_events(events)

    def rows(self) -> int:
        return self.model.rowCount()

    def _clicked(self, index) -> None:
        if index.isValid():
            self.event_activated.emit(self.model.events[index.row()])
