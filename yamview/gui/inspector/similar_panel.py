"""Find more like this: frames ranked by cosine similarity of YAMNet embeddings.

The query is the selection (or the cursor's frame); the search covers this recording, plus the
other recordings analysed in this window, plus a chosen folder (analysed through the cache, on a
background thread). Each hit: score, recording, time; click to go there, Play to hear it, and
"Add as label" to label the selected hits with a chosen class.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox, QCompleter, QHBoxLayout, QHeaderView, QLabel, QPushButton, QSpinBox, QVBoxLayout, QWidget)

from yamview.core.similarity import Match
from yamview.gui.inspector.list_model import ListModel, list_table
from yamview.gui.inspector.timeline import format_time

SCOPES = (("this", "this recording"), ("session", "+ recordings opened here"), ("folder", "+ a folder…"))


class MatchesModel(ListModel):
    HEADERS = ("Score", "Recording", "Time")

    def __init__(self) -> None:
        super().__init__()
        self.names: list[str] = []

    @property
    def matches(self) -> list[Match]:
        return self.items

    def set_matches(self, matches: list[Match], names: list[str]) -> None:
        self.names = names
        self.replace(matches)




    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        m, col = self.matches[index.row()], index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return (f"{m.score:.3f}", Path(self.names[m.source]).name, format_time(m.start, 2))[col]
        if role == Qt.ItemDataRole.ToolTipRole and col == 1:
            return self.names[m.source]
        if role == Qt.ItemDataRole.TextAlignmentRole and col != 1:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None


class SimilarPanel(QWidget):
    search_requested = Signal(str, int)  # scope key, how many
    match_activated = Signal(object)  # Match: go there
    play_requested = Signal(object)  # Match
    add_requested = Signal(list, str)  # [Match], class name

    def __init__(self) -> None:
        super().__init__()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        row = QHBoxLayout()
        self.find_button = QPushButton("Find more like this")
        self.find_button.setToolTip("Rank every frame by cosine similarity of YAMNet's embeddings to the selection "
                                    "(Shift+drag) or the cursor's frame")
        self.find_button.clicked.connect(self._find)
        row.addWidget(self.find_button)
        self.scope = QComboBox()
        for key, text in SCOPES:
            self.scope.addItem(text, key)
        row.addWidget(self.scope, 1)
        self.limit = QSpinBox()
        self.limit.setRange(5, 500)
        self.limit.setValue(50)
        self.limit.setToolTip("How many hits to list")
        row.addWidget(self.limit)
        layout.addLayout(row)
        self.status = QLabel("Select a range (Shift+drag) or put the cursor on a frame, then Find.")
        self.status.setWordWrap(True)
        layout.addWidget(self.status)
        self.model = MatchesModel()
        self.table = list_table(self.model)
        h = self.table.horizontalHeader()
        h.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        for c in (0, 2):
            h.setSectionResizeMode(c, QHeaderView.ResizeMode.ResizeToContents)
        self.table.clicked.connect(lambda i: self.match_activated.emit(self.model.matches[i.row()]))
        self.table.doubleClicked.connect(lambda i: self.play_requested.emit(self.model.matches[i.row()]))
        layout.addWidget(self.table, 1)
        actions = QHBoxLayout()
        self.play_button = QPushButton("▶ Play")
        self.play_button.setToolTip("Play the selected hit's frame (double-click a row does the same)")
        self.play_button.clicked.connect(self._play)
        actions.addWidget(self.play_button)
        actions.addWidget(QLabel("Label as"))
        self.class_box = QComboBox()
        self.class_box.setEditable(True)
        self.class_box.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.class_box.setToolTip("The class the selected hits are labelled with")
        actions.addWidget(self.class_box, 1)
        self.add_button = QPushButton("Add as label")
        self.add_button.setToolTip("Add the selected hits (frames of this recording) as human labels of this class")
        self.add_button.clicked.connect(self._add)
        actions.addWidget(self.add_button)
        layout.addLayout(actions)

    def set_classes(self, classes: list[str]) -> None:
        self.class_box.clear()
        self.class_box.addItems(classes)
        completer = QCompleter(classes, self.class_box)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        self.class_box.setCompleter(completer)

    def _find(self) -> None:
        self.search_requested.emit(self.scope.currentData(), self.limit.value())

    def selected(self) -> list[Match]:
        return [self.model.matches[i.row()] for i in self.table.selectionModel().selectedRows()]

    def _play(self) -> None:
        chosen = self.selected()
        if chosen:
            self.play_requested.emit(chosen[0])

    def _add(self) -> None:
        chosen = self.selected()
        if chosen:
            self.add_requested.emit(chosen, self.class_box.currentText())

    def show_matches(self, matches: list[Match], names: list[str], what: str) -> None:
        self.model.set_matches(matches, names)
        recordings = len({m.source for m in matches})
        self.status.setText(f"{len(matches)} frames most like {what}, from {recordings} recording"
                            f"{'s' * (recordings != 1)} · click: go · double-click or Play: hear it")
