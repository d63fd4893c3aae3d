"""Talk mode's presenter window: made on first use, styled from the presenter settings, placed
full screen on the configured (or another) screen, left with Esc.

A mixin of TalkMode; the attributes it uses are declared below.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtGui import QGuiApplication

from yamview.gui.presenter.themes import theme as theme_named

if TYPE_CHECKING:
    from yamview.gui.presenter.host import LiveWindow
    from PySide6.QtGui import QAction

    from yamview.core.ontology import ClassOntology
    from yamview.gui.presenter.board import Board
    from yamview.gui.presenter.config import PresenterConfig

KEYS_HINT = "Esc leave · Space start/stop · Pause freeze · R replay · Ctrl+S snapshot · right-click a bar: pin / hide"


class Presenting:
    w: LiveWindow
    config: PresenterConfig
    board: Board | None
    lo: ClassOntology | None
    presenter: object | None
    presenter_action: QAction
    ontology_message: str | None
    calibration: str

    @property
    def presenting(self) -> bool:
        return self.presenter is not None and self.presenter.isVisible()

    def toggle_presenter(self) -> None:
        if self.presenting:
            self.leave_presenter()
        else:
            self.show_presenter()

    def _ensure_presenter(self):
        if self.presenter is None:
            from yamview.gui.presenter.window import PresenterWindow

            s = self.w.settings
            p = PresenterWindow(self.w.rate, s.get("spectrogram/scale"),
                                (s.get("spectrogram/db_low"), s.get("spectrogram/db_high")))
            p.view.board = self.board
            p.view.context_requested.connect(self._presenter_menu)
            p.closed.connect(self._presenter_closed)
            self._shortcuts(p, main=False)
            self.presenter = p
        self._style_presenter()
        return self.presenter

    def _style_presenter(self) -> None:
        p, c = self.presenter, self.config
        if p.theme.name != c.theme:
            p.set_theme(theme_named(c.theme))
        p.set_strip_visible(c.spectrogram)
        tags = []
        if c.rollup and self.lo is not None:
            tags.append(f"Roll-up · level {c.rollup_depth}")
        if self.lo is None and self.ontology_message:
            tags.append("Ontology off")
        if self.calibration:
            tags.append("Calibrated" if self.calibration == "on" else "Raw scores (calibration off)")
        p.view.tags = tags
        hidden = ", ".join(c.hidden)
        p.set_hint((f"Hidden: {hidden}    ·    " if hidden else "") + KEYS_HINT)

    def target_screen(self):
        """The configured screen by name; else a screen other than the main window's; else that one."""
        screens = QGuiApplication.screens()
        if self.config.screen:
            for s in screens:
                if s.name() == self.config.screen:
                    return s
        main = self.w.screen()
        others = [s for s in screens if s is not main]
        return others[0] if others else main

    def _place_presenter(self) -> None:
        p = self.presenter
        screen = self.target_screen()
        if p.isFullScreen():
            p.showNormal()
        p.setScreen(screen)
        p.setGeometry(screen.geometry())
        p.showFullScreen()

    def show_presenter(self, full_screen: bool = True, size: tuple[int, int] | None = None) -> None:
        """F5. ``full_screen=False`` with ``size`` shows a normal window (screenshots, tests)."""
        p = self._ensure_presenter()
        if full_screen:
            self._place_presenter()
        else:
            if size:
                p.resize(*size)
            p.show()
        p.raise_()
        p.activateWindow()
        self.presenter_action.setChecked(True)
        if self.config.screen and self.target_screen().name() != self.config.screen:
            p.show_message(f"Screen {self.config.screen!r} is not connected; showing on {self.target_screen().name()}.")
        if self.lo is None and self.ontology_message:
            p.show_message(self.ontology_message, 12.0)
            self._add_banner(self.ontology_message)

    def leave_presenter(self) -> None:
        if not self.presenting:
            return
        self.presenter.hide()
        self.presenter_action.setChecked(False)
        self.w.activateWindow()

    def _presenter_closed(self) -> None:
        self.presenter_action.setChecked(False)

    def _covers_main(self) -> bool:
        p = self.presenter
        return p is not None and p.isVisible() and p.isFullScreen() and p.screen() is self.w.screen()

