"""A read-only table model over a Python list: the inspector's events, error regions and matches.

A new list is one model reset, and Qt asks for a row's cells only while it is visible, so a list of
thousands of rows costs nothing until scrolled to. Subclasses name their columns (``HEADERS``)
and answer ``data``.
"""

from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt
from PySide6.QtWidgets import QTableView


class ListModel(QAbstractTableModel):
    HEADERS: tuple[str, ...] = ()

    def __init__(self) -> None:
        super().__init__()
        self.items: list = []

    def replace(self, items) -> None:
        self.beginResetModel()
        self.items = list(items)
        self.endResetModel()

    def rowCount(self, parent=QModelIndex()):  # noqa: N802 - Qt's name
        return 0 if parent.isValid() else len(self.items)

    def columnCount(self, parent=QModelIndex()):  # noqa: N802 - Qt's name
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802 - Qt's name
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.HEADERS[section]
        return None


def list_table(model: ListModel) -> QTableView:
    """A compact table of whole rows over ``model`` (no row numbers, 20 px rows)."""
    table = QTableView()
    table.setModel(model)
    table.verticalHeader().setVisible(False)
    table.verticalHeader().setDefaultSectionSize(20)
    table.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
    return table
