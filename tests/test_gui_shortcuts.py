"""Every action of the live window and the inspector has its own key (no ambiguous shortcuts)."""

from __future__ import annotations

from collections import Counter

import pytest

pytest.importorskip("PySide6")

from PySide6.QtGui import QAction, QKeySequence, QShortcut

from yamview.gui.app import make_app
from yamview.gui.inspector import InspectorWindow
from yamview.gui.main_window import MainWindow
from yamview.gui.settings import Settings


def keys_of(window) -> Counter:
    """Every key sequence bound in ``window`` (actions and shortcuts), counted."""
    found: Counter = Counter()
    for action in window.findChildren(QAction):
        for seq in action.shortcuts():
            if not seq.isEmpty():
                found[seq.toString(QKeySequence.SequenceFormat.PortableText)] += 1
    for shortcut in window.findChildren(QShortcut):
        for seq in shortcut.keys():
            if not seq.isEmpty():
                found[seq.toString(QKeySequence.SequenceFormat.PortableText)] += 1
    return found


@pytest.mark.parametrize("kind", ["inspector", "live"])
def test_no_two_actions_share_a_key(qapp, qtbot, tmp_path, kind):
    make_app()
    if kind == "inspector":
        w = InspectorWindow(Settings(tmp_path / "i.ini"), output_device="none", show_live=lambda: None)
    else:
        w = MainWindow(Settings(tmp_path / "m.ini"), output_device="none")
    qtbot.addWidget(w)
    keys = keys_of(w)
    assert len(keys) >= 8  # the menus really were searched
    assert [k for k, n in keys.items() if n > 1] == []
    if kind == "inspector":
        assert keys["Ctrl+L"] == 1 and keys["Ctrl+Shift+L"] == 1  # live view, import labels
    w.close()
