"""Edit the label -> class mapping in place: one row per distinct label text, applied at once.

Each row: the label text, how many labels carry it, the classes it maps to (typed, with
completion: "Dog | Bark" means any of them, "Dog; Bark" all of them) and the ontology's
suggestions for the text (choosing one maps the label to it). Unmapped labels are listed first.
"""

from __future__ import annotations

from collections import Counter

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QComboBox, QCompleter, QHeaderView, QLabel, QLineEdit, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from yamview.core import labels_io

HINT = ("Type classes (completion offers the model's classes): 'Dog | Bark' = any of them, 'Dog; Bark' = all "
        "of them. Changes apply at once.")


class MappingPanel(QWidget):
    edited = Signal(str, object)  # label text (lower case), class indices (list or AnyOf)

    def __init__(self) -> None:
        super().__init__()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        self.info = QLabel("Import labels to map their text to model classes.")
        self.info.setWordWrap(True)
        layout.addWidget(self.info)
        self.table = QTableWidget(0, 4)
        self.table.setHorizontalHeaderLabels(["Label", "n", "Classes", "Suggestions"])
        self.table.verticalHeader().setVisible(False)
        h = self.table.horizontalHeader()
        h.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        h.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        h.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        h.setSectionResizeMode(3, QHeaderView.ResizeMode.Interactive)
        h.resizeSection(3, 150)
        layout.addWidget(self.table, 1)
        self.error = QLabel("")
        self.error.setStyleSheet("color:#e15759;")
        self.error.setWordWrap(True)
        layout.addWidget(self.error)
        self.classes: list[str] = []
        self.keys: list[str] = []

    def show_labels(self, labels, label_classes, classes: list[str], suggest=None) -> None:
        """Rows for the distinct texts of ``labels`` (unmapped first); ``suggest(text)`` -> indices."""
        self.classes = classes
        counts = Counter(l.text.strip().lower() for l in labels)
        first = {}
        for lab, cls in zip(labels, label_classes):
            first.setdefault(lab.text.strip().lower(), (lab.text.strip(), cls))
        self.keys = sorted(first, key=lambda k: (bool(first[k][1]), k))
        self.table.setRowCount(len(self.keys))
        completer = QCompleter(classes, self)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        for row, key in enumerate(self.keys):
            text, cls = first[key]
            name = QTableWidgetItem(text)
            name.setFlags(name.flags() & ~Qt.ItemFlag.ItemIsEditable)
            if not cls:
                name.setForeground(QColor("#f28e2b"))
            self.table.setItem(row, 0, name)
            n = QTableWidgetItem(str(counts[key]))
            n.setFlags(n.flags() & ~Qt.ItemFlag.ItemIsEditable)
            self.table.setItem(row, 1, n)
            edit = QLineEdit(labels_io.format_classes(cls, classes))
            edit.setPlaceholderText("not mapped: type or pick a class")
            edit.setCompleter(completer)
            edit.setToolTip(HINT)
            edit.editingFinished.connect(lambda row=row, edit=edit: self._typed(row, edit.text()))
            self.table.setCellWidget(row, 2, edit)
            box = QComboBox()
            box.addItem("—")
            for i in (suggest(text) if suggest else []):
                box.addItem(classes[i], i)
            box.setToolTip("Classes whose names or AudioSet descriptions match the label text")
            box.activated.connect(lambda index, row=row, box=box: self._picked(row, box, index))
            self.table.setCellWidget(row, 3, box)
        unmapped = sum(1 for k in self.keys if not first[k][1])
        self.info.setText((f"{unmapped} label text{'s' * (unmapped != 1)} match no class: map "
                           f"{'them' if unmapped != 1 else 'it'} below. " if unmapped else "") + HINT)
        self.error.setText("")

    def _typed(self, row: int, text: str) -> None:
        try:
            targets = labels_io.parse_classes(text, self.classes)
        except labels_io.LabelError as exc:
            self.error.setText(f"{self.keys[row]!r}: {exc}; the mapping was not changed.")
            return
        self.error.setText("")
        self.edited.emit(self.keys[row], targets)

    def _picked(self, row: int, box: QComboBox, index: int) -> None:
        cls = box.itemData(index)
        if cls is None:
            return
        edit = self.table.cellWidget(row, 2)
        edit.setText(self.classes[cls])
        self._typed(row, edit.text())

    def row_of(self, text: str) -> int | None:
        key = text.strip().lower()
        return self.keys.index(key) if key in self.keys else None
