"""Per-class thresholds: YAMNet's scores are not calibrated across classes, so one global
threshold is not enough. Edit a class's threshold in the table (it then has its own, shown
bold); untick "own" to return it to the global slider's value. Saved to and loaded from CSV
(``class,threshold``) through yamview.core.metrics.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QHBoxLayout, QHeaderView, QLabel, QPushButton, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)


class ThresholdsPanel(QWidget):
    threshold_edited = Signal(int, object)  # class index, float or None (back to the global value)
    load_requested = Signal()
    save_requested = Signal()
    reset_requested = Signal()

    def __init__(self) -> None:
        super().__init__()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        note = QLabel("Scores are not calibrated across classes: give a class its own threshold by editing it. "
                      "Listed: labelled, shown, pinned and customised classes.")
        note.setWordWrap(True)
        layout.addWidget(note)
        self.table = QTableWidget(0, 3)
        self.table.setHorizontalHeaderLabels(["Class", "Threshold", "Own"])
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(20)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        self.table.itemChanged.connect(self._edited)
        layout.addWidget(self.table, 1)
        buttons = QHBoxLayout()
        for text, signal in (("Load CSV…", self.load_requested), ("Save CSV…", self.save_requested),
                             ("Reset all", self.reset_requested)):
            b = QPushButton(text)
            b.clicked.connect(signal.emit)
            buttons.addWidget(b)
        layout.addLayout(buttons)
        self.classes: list[int] = []
        self.error = QLabel("")
        self.error.setStyleSheet("color:#e15759;")
        layout.addWidget(self.error)
        self._values = np.zeros(0, np.float32)
        self._updating = False

    def set_rows(self, classes: list[int], names: list[str], thresholds: np.ndarray, own: set[int]) -> None:
        """Show ``classes``; rebuilt only when the list changes, else values refresh in place."""
        self._updating = True
        try:
            if classes != self.classes:
                self.classes = list(classes)
                self.table.setRowCount(len(classes))
                for r, c in enumerate(classes):
                    name = QTableWidgetItem(names[c])
                    name.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
                    self.table.setItem(r, 0, name)
                    value = QTableWidgetItem()
                    value.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                    self.table.setItem(r, 1, value)
                    check = QTableWidgetItem()
                    check.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsUserCheckable)
                    self.table.setItem(r, 2, check)
            bold = QFont()
            bold.setBold(True)
            for r, c in enumerate(self.classes):
                mine = c in own
                value = self.table.item(r, 1)
                value.setText(f"{float(thresholds[c]):.3f}")
                value.setFont(bold if mine else QFont())
                self.table.item(r, 0).setFont(bold if mine else QFont())
                self.table.item(r, 2).setCheckState(Qt.CheckState.Checked if mine else Qt.CheckState.Unchecked)
            self._values = np.asarray(thresholds, np.float32).copy()
        finally:
            self._updating = False

    def _edited(self, item: QTableWidgetItem) -> None:
        if self._updating:
            return
        cls = self.classes[item.row()]
        if item.column() == 2:
            if item.checkState() == Qt.CheckState.Unchecked:
                self.threshold_edited.emit(cls, None)
            else:
                self.threshold_edited.emit(cls, float(self._values[cls]))
            return
        if item.column() != 1:
            return
        try:
            value = float(item.text().replace(",", "."))
            if not 0.0 <= value <= 1.0:
                raise ValueError
        except ValueError:
            self.error.setText(f"'{item.text()}' is not a threshold between 0 and 1; kept "
                               f"{self._values[cls]:.3f}")
            self._updating = True
            item.setText(f"{self._values[cls]:.3f}")
            self._updating = False
            return
        self.error.setText("")
        self.threshold_edited.emit(cls, value)

    def row_of(self, cls: int) -> int | None:
        return self.classes.index(cls) if cls in self.classes else None
