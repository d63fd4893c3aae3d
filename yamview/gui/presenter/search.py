"""Class search: every model class, filtered as you type, with its AudioSet description as tooltip.

With the ontology, ``ClassOntology.search`` ranks names that start with the text first, then
names containing it, then descriptions containing it ("woof" finds Bark). Without it, a plain
case-insensitive substring match over the names.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLineEdit, QListWidget, QListWidgetItem, QMenu, QVBoxLayout, QWidget

from yamview.core.ontology import ClassOntology
from yamview.gui.presenter.board import BREADCRUMB_SEPARATOR
from yamview.gui.presenter.view import class_tooltip

FOCUS_MARK = "★ "
HIDDEN_MARK = "⊘ "


def search_classes(classes: list[str], lo: ClassOntology | None, text: str) -> list[int]:
    if lo is not None:
        return lo.search(text)
    needle = text.strip().lower()
    if not needle:
        return list(range(len(classes)))
    hits = [(0 if name.lower().startswith(needle) else 1, name.lower(), i)
            for i, name in enumerate(classes) if needle in name.lower()]
    return [i for _, _, i in sorted(hits)]


def name_tooltip(name: str, lo: ClassOntology | None) -> str:
    if lo is None:
        return class_tooltip(name, "", "")
    try:
        crumb = BREADCRUMB_SEPARATOR.join(lo.path(name)[:-1])
        return class_tooltip(name, crumb, lo.description(name))
    except KeyError:
        return class_tooltip(name, "", "")


class ClassSearch(QWidget):
    focus_toggled = Signal(str)  # pin / unpin (focus list)
    hide_toggled = Signal(str)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.classes: list[str] = []
        self.lo: ClassOntology | None = None
        self.focus: set[str] = set()
        self.hidden: set[str] = set()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.edit = QLineEdit()
        self.edit.setClearButtonEnabled(True)
        self.edit.textChanged.connect(self.refresh)
        self.list = QListWidget()
        self.list.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.list.customContextMenuRequested.connect(self._menu)
        self.list.itemDoubleClicked.connect(lambda item: self.focus_toggled.emit(item.data(Qt.ItemDataRole.UserRole)))
        layout.addWidget(self.edit)
        layout.addWidget(self.list, 1)

    def set_classes(self, classes: list[str], lo: ClassOntology | None) -> None:
        self.classes, self.lo = list(classes), lo
        what = "name or description" if lo is not None else "name"
        self.edit.setPlaceholderText(f"Search {len(self.classes)} classes by {what}…")
        self.refresh()

    def set_marks(self, focus, hidden) -> None:
        self.focus, self.hidden = set(focus), set(hidden)
        self.refresh()

    def results(self) -> list[str]:
        return [self.list.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.list.count())]

    def selected(self) -> str | None:
        item = self.list.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item is not None else None

    def refresh(self, *_) -> None:
        current = self.selected()
        self.list.setUpdatesEnabled(False)
        self.list.clear()
        for i in search_classes(self.classes, self.lo, self.edit.text()):
            name = self.classes[i]
            mark = FOCUS_MARK if name in self.focus else HIDDEN_MARK if name in self.hidden else ""
            item = QListWidgetItem(mark + name)
            item.setData(Qt.ItemDataRole.UserRole, name)
            item.setToolTip(name_tooltip(name, self.lo))
            self.list.addItem(item)
            if name == current:
                self.list.setCurrentItem(item)
        self.list.setUpdatesEnabled(True)

    def _menu(self, pos) -> None:
        item = self.list.itemAt(pos)
        if item is None:
            return
        name = item.data(Qt.ItemDataRole.UserRole)
        menu = QMenu(self)
        menu.addAction(("Unpin " if name in self.focus else "Pin (focus) ") + name,
                       lambda: self.focus_toggled.emit(name))
        menu.addAction(("Show " if name in self.hidden else "Hide ") + name, lambda: self.hide_toggled.emit(name))
        menu.exec(self.list.viewport().mapToGlobal(pos))
