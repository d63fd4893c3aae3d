"""Talk mode's context menus (main window views and the presenter): pin or hide a class, freeze,
replay, presenter settings.

A mixin of TalkMode; the attributes it uses are declared below.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QMenu

if TYPE_CHECKING:
    from yamview.gui.presenter.host import LiveWindow
    from yamview.core.ontology import ClassOntology
    from yamview.gui.presenter.board import Board
    from yamview.gui.presenter.config import PresenterConfig
    from yamview.gui.views.live import ClassRows


class TalkMenus:
    w: LiveWindow
    config: PresenterConfig
    classes: list[str]
    board: Board | None
    lo: ClassOntology | None
    frozen: object | None
    presenter: object | None
    calibration: str

    def exec_menu(self, menu: QMenu, global_pos) -> None:
        """Show a context menu (tests replace this to pick an action without a modal loop)."""
        menu.exec(global_pos)

    def _class_menu(self, menu: QMenu, name: str) -> None:
        c = self.config
        if name in self.classes:
            if name in c.focus_classes():
                menu.addAction(f"Unpin “{name}”", lambda: self.toggle_focus(name))
            else:
                menu.addAction(f"Pin “{name}” (focus)", lambda: self.toggle_focus(name))
        menu.addAction(f"Hide “{name}” while presenting", lambda: self.toggle_hidden(name))

    def _common_menu(self, menu: QMenu) -> None:
        menu.addAction("Classes and presenter settings…", self.open_editor)
        # The window's own actions: the menu shows the keys that work here (Pause, Ctrl+R).
        freeze = menu.addAction("Back to live" if self.frozen is not None else "Freeze the last 10 s",
                                self.toggle_freeze)
        freeze.setShortcut(self.freeze_action.shortcut())
        replay = menu.addAction("Replay the last 10 s", self.start_replay)
        replay.setShortcut(self.replay_action.shortcut())
        menu.addAction(self.snapshot_action)
        if self.calibration:  # the same switch as the live window's: compare with raw scores
            a = menu.addAction("Calibrated scores", lambda: self.w.set_calibrated(self.calibration != "on"))
            a.setCheckable(True)
            a.setChecked(self.calibration == "on")

    def _view_menu(self, view: ClassRows, pos) -> None:
        """Right-click on a live view that lists classes: pin or hide the one under the mouse."""
        menu = QMenu(self.w)
        name = view.class_at(pos)
        if name is not None:
            self._class_menu(menu, name)
            menu.addSeparator()
        self._common_menu(menu)
        self.exec_menu(menu, view.widget.mapToGlobal(pos))

    def _presenter_menu(self, key, global_pos) -> None:
        menu = QMenu(self.presenter)
        if key is not None and self.board is not None:
            self._class_menu(menu, self.board.names[key])
            menu.addSeparator()
        c = self.config
        menu.addAction("Light theme" if c.theme == "dark" else "Dark theme",
                       lambda: self.set_config(c.with_(theme="light" if c.theme == "dark" else "dark")))
        a = menu.addAction("Roll up to AudioSet categories",
                           lambda: self.set_config(self.config.with_(rollup=not self.config.rollup)))
        a.setCheckable(True)
        a.setChecked(c.rollup)
        a.setEnabled(self.lo is not None)
        a = menu.addAction("Spectrogram strip",
                           lambda: self.set_config(self.config.with_(spectrogram=not self.config.spectrogram)))
        a.setCheckable(True)
        a.setChecked(c.spectrogram)
        menu.addAction("Reset detection counts", lambda: self.board and self.board.reset_counts())
        menu.addSeparator()
        self._common_menu(menu)
        menu.addAction("Snapshot (Ctrl+S)", self.snapshot)
        menu.addAction("Leave presenter (Esc)", self.leave_presenter)
        self.exec_menu(menu, global_pos)

