"""The presenter's classes-and-settings dialog: class search, focus list, hide list, options.

Every change is written to the settings at once and applied live (the dialog is not modal: the
presenter view keeps running while you edit), so there is no OK/Cancel to forget.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from yamview.gui.presenter.search import ClassSearch, name_tooltip


class PresenterEditor(QDialog):
    def __init__(self, talk, parent=None) -> None:
        super().__init__(parent)
        self.talk = talk
        self.setWindowTitle("Presenter: classes and settings")
        self.setModal(False)
        self.resize(1100, 720)
        self._updating = False

        self.search = ClassSearch()
        self.search.focus_toggled.connect(self._toggle_focus)
        self.search.hide_toggled.connect(self._toggle_hidden)
        add_focus = QPushButton("Pin as focus ★")
        add_focus.setToolTip("Always show this class; it flashes over its threshold and its detections are counted")
        add_focus.clicked.connect(lambda: self._add_selected(focus=True))
        add_hidden = QPushButton("Hide ⊘")
        add_hidden.setToolTip("Never show this class (nor the classes below it) while presenting")
        add_hidden.clicked.connect(lambda: self._add_selected(focus=False))
        left = QWidget()
        lv = QVBoxLayout(left)
        lv.setContentsMargins(0, 0, 0, 0)
        lv.addWidget(QLabel("<b>All classes</b> — hover for the AudioSet description; double-click pins"))
        lv.addWidget(self.search, 1)
        row = QHBoxLayout()
        row.addWidget(add_focus)
        row.addWidget(add_hidden)
        lv.addLayout(row)

        self.focus_table = QTableWidget(0, 3)
        self.focus_table.setHorizontalHeaderLabels(["Focus class (pinned)", "Threshold", "Detections"])
        self.focus_table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.focus_table.verticalHeader().setVisible(False)
        self.focus_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.focus_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        remove_focus = QPushButton("Unpin")
        remove_focus.clicked.connect(self._remove_focus)
        reset_counts = QPushButton("Reset counts")
        reset_counts.clicked.connect(self._reset_counts)
        self.hidden_list = QListWidget()
        remove_hidden = QPushButton("Show again")
        remove_hidden.clicked.connect(self._remove_hidden)

        right = QWidget()
        rv = QVBoxLayout(right)
        rv.setContentsMargins(0, 0, 0, 0)
        rv.addWidget(QLabel("<b>Focus</b>: always shown, flash over the threshold, detections counted"))
        rv.addWidget(self.focus_table, 3)
        row = QHBoxLayout()
        row.addWidget(remove_focus)
        row.addWidget(reset_counts)
        row.addStretch(1)
        rv.addLayout(row)
        rv.addWidget(QLabel("<b>Hidden</b>: never shown while presenting (with the classes below them)"))
        rv.addWidget(self.hidden_list, 2)
        row = QHBoxLayout()
        row.addWidget(remove_hidden)
        row.addStretch(1)
        rv.addLayout(row)

        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(left)
        split.addWidget(right)
        split.setStretchFactor(0, 1)
        split.setStretchFactor(1, 1)

        box = QGroupBox("Presenter view")
        form = QFormLayout(box)
        self.theme = QComboBox()
        self.theme.addItem("Dark (dark hall, projector)", "dark")
        self.theme.addItem("Light (bright room)", "light")
        self.theme.activated.connect(lambda _: self._set(theme=self.theme.currentData()))
        form.addRow("Theme", self.theme)
        self.screen = QComboBox()
        self.screen.activated.connect(lambda _: self._set(screen=self.screen.currentData()))
        form.addRow("Screen", self.screen)
        self.top_n = QSpinBox()
        self.top_n.setRange(1, 10)
        self.top_n.setToolTip("Bars for the best classes, besides the focus classes")
        self.top_n.valueChanged.connect(lambda v: self._set(top_n=int(v)))
        form.addRow("Top classes", self.top_n)
        smooth = QHBoxLayout()
        self.attack = QSpinBox()
        self.attack.setRange(0, 5000)
        self.attack.setSingleStep(10)
        self.attack.setSuffix(" ms attack")
        self.attack.setToolTip("Time for a bar to rise 63 % of the way to a higher score")
        self.attack.valueChanged.connect(lambda v: self._set(attack=v / 1000))
        self.release = QSpinBox()
        self.release.setRange(0, 10000)
        self.release.setSingleStep(50)
        self.release.setSuffix(" ms release")
        self.release.setToolTip("Time for a bar to fall 63 % of the way to a lower score")
        self.release.valueChanged.connect(lambda v: self._set(release=v / 1000))
        smooth.addWidget(self.attack)
        smooth.addWidget(self.release)
        form.addRow("Smoothing", smooth)
        rollup = QHBoxLayout()
        self.rollup = QCheckBox("Roll up to AudioSet categories, level")
        self.rollup.toggled.connect(lambda on: self._set(rollup=bool(on)))
        self.depth = QSpinBox()
        self.depth.setRange(1, 6)
        self.depth.setToolTip("1 = the 7 top categories (Animal, Music, …); 3 = e.g. Animal › Domestic animals, pets › Dog")
        self.depth.valueChanged.connect(lambda v: self._set(rollup_depth=int(v)))
        rollup.addWidget(self.rollup)
        rollup.addWidget(self.depth)
        rollup.addStretch(1)
        form.addRow("Roll-up", rollup)
        self.strip = QCheckBox("Spectrogram strip under the bars")
        self.strip.toggled.connect(lambda on: self._set(spectrogram=bool(on)))
        form.addRow("", self.strip)
        self.note = QLabel("")
        self.note.setWordWrap(True)
        form.addRow("", self.note)

        close = QPushButton("Close")
        close.clicked.connect(self.close)
        outer = QVBoxLayout(self)
        outer.addWidget(split, 1)
        outer.addWidget(box)
        bottom = QHBoxLayout()
        bottom.addStretch(1)
        bottom.addWidget(close)
        outer.addLayout(bottom)
        self.refresh()

    # -- filling from the config ---------------------------------------------------------------
    def refresh(self) -> None:
        """Show the talk mode's current config and classes (called after any change)."""
        self._updating = True
        try:
            t, c = self.talk, self.talk.config
            if self.search.classes != t.classes or self.search.lo is not t.lo:
                self.search.set_classes(t.classes, t.lo)
            self.search.set_marks(c.focus_classes(), c.hidden)
            counts = t.board.counts() if t.board is not None else {}
            known = set(t.classes)
            self.focus_table.setRowCount(0)  # drops the old rows' spin boxes too
            self.focus_table.setRowCount(len(c.focus))
            for r, f in enumerate(c.focus):
                item = QTableWidgetItem(f.name if f.name in known or not known else f"{f.name} (not in this model)")
                item.setData(Qt.ItemDataRole.UserRole, f.name)
                item.setToolTip(name_tooltip(f.name, t.lo))
                self.focus_table.setItem(r, 0, item)
                spin = QDoubleSpinBox()
                spin.setRange(0.01, 1.0)
                spin.setSingleStep(0.05)
                spin.setDecimals(2)
                fitted = t.class_thresholds.get(f.name)
                spin.setValue(f.threshold if fitted is None else fitted)
                if fitted is not None:  # the calibrated model's threshold is in use
                    spin.setEnabled(False)
                    spin.setToolTip("The calibrated model's threshold for this class "
                                    "(switch the calibration off to use your own)")
                spin.valueChanged.connect(lambda v, name=f.name: self._threshold(name, v))
                self.focus_table.setCellWidget(r, 1, spin)
                self.focus_table.setItem(r, 2, QTableWidgetItem(str(counts.get(f.name, 0))))
            self.hidden_list.clear()
            for name in c.hidden:
                item = QListWidgetItem(name if name in known or not known else f"{name} (not in this model)")
                item.setData(Qt.ItemDataRole.UserRole, name)
                item.setToolTip(name_tooltip(name, t.lo))
                self.hidden_list.addItem(item)
            self.theme.setCurrentIndex(max(0, self.theme.findData(c.theme)))
            self.screen.clear()
            self.screen.addItem("Automatic (a second screen when present)", "")
            for s in QGuiApplication.screens():
                g = s.geometry()
                self.screen.addItem(f"{s.name()} ({g.width()}x{g.height()})", s.name())
            if c.screen and self.screen.findData(c.screen) < 0:
                self.screen.addItem(f"{c.screen} (not connected)", c.screen)
            self.screen.setCurrentIndex(max(0, self.screen.findData(c.screen)))
            self.top_n.setValue(c.top_n)
            self.attack.setValue(round(c.attack * 1000))
            self.release.setValue(round(c.release * 1000))
            self.rollup.setChecked(c.rollup)
            self.depth.setValue(c.rollup_depth)
            self.strip.setChecked(c.spectrogram)
            ok = t.lo is not None
            self.rollup.setEnabled(ok)
            self.depth.setEnabled(ok)
            self.note.setText("" if ok else (t.ontology_message or "Ontology off: no descriptions or roll-up."))
        finally:
            self._updating = False

    # -- edits ---------------------------------------------------------------------------------
    def _set(self, **changes) -> None:
        if not self._updating:
            self.talk.set_config(self.talk.config.with_(**changes))

    def _toggle_focus(self, name: str) -> None:
        self.talk.toggle_focus(name)

    def _toggle_hidden(self, name: str) -> None:
        self.talk.toggle_hidden(name)

    def _add_selected(self, focus: bool) -> None:
        name = self.search.selected()
        if name is None:
            return
        c = self.talk.config
        self.talk.set_config(c.add_focus(name) if focus else c.add_hidden(name))

    def _threshold(self, name: str, value: float) -> None:
        if not self._updating:
            self.talk.set_config(self.talk.config.set_threshold(name, value), refresh_editor=False)

    def _remove_focus(self) -> None:
        row = self.focus_table.currentRow()
        if row >= 0:
            name = self.focus_table.item(row, 0).data(Qt.ItemDataRole.UserRole)
            self.talk.set_config(self.talk.config.remove_focus(name))

    def _remove_hidden(self) -> None:
        item = self.hidden_list.currentItem()
        if item is not None:
            self.talk.set_config(self.talk.config.remove_hidden(item.data(Qt.ItemDataRole.UserRole)))

    def _reset_counts(self) -> None:
        if self.talk.board is not None:
            self.talk.board.reset_counts()
        self.refresh()
