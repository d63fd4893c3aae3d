"""Talk mode: the presenter window, focus/hide lists, freeze and instant replay, snapshots.

``TalkMode(window)`` attaches to a live window: anything with the ``LiveWindow`` interface (host.py;
talk mode uses nothing else of it). The window forwards each Scored frame (``on_scored``), its
display tick (``redraw``: returns True when the main views must not draw live, because they are
frozen, replaying or hidden under a full-screen presenter), model loads (``set_classes``) and
source changes (``source_changed``). Freeze and replay drive the window's live views through the
same ``LiveView`` interface the window uses. Everything else lives here (the presenter window in
presenting.py, context menus in menus.py): toolbar
actions, shortcuts (F5 presenter, Esc leave, Pause freeze, R replay, Ctrl+S snapshot; Space keeps
start/stop in both windows), context menus to pin or hide a class, and the settings dialog.

One display timer (the main window's, 60 fps) drives both windows: no second timer competing
for the GUI thread.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from pathlib import Path

from typing import Sequence

from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence, QShortcut
from PySide6.QtWidgets import QLabel

from yamview.core.ontology import ClassOntology, load_default, unmatched_message
from yamview.gui.presenter import replay as replay_mod
from yamview.gui.presenter.board import Board
from yamview.gui.presenter.config import PresenterConfig
from yamview.gui.presenter.host import LiveWindow
from yamview.gui.presenter.menus import TalkMenus
from yamview.gui.presenter.presenting import Presenting
from yamview.gui.presenter.snapshot import save_snapshot
from yamview.gui.views.live import ClassRows, Tick, idle_tick

log = logging.getLogger(__name__)

# None: the ontology found by yamview.core.assets (models/ontology.json, set-up copies it there).
# Tests point it at a missing or corrupt file.
ONTOLOGY_PATH: str | None = None



class TalkMode(Presenting, TalkMenus, QObject):
    def __init__(self, window: LiveWindow) -> None:
        super().__init__(window)
        self.w = window
        self.settings = window.settings
        self.config, problem = PresenterConfig.load(self.settings)
        self.classes: list[str] = []
        self.calibration = ""  # the model's: "" none, "on" calibrated scores, "off" switched off
        self.class_thresholds: dict[str, float] = {}  # a calibrated model's, while on
        self.class_details: dict[str, str] = {}  # the model's own line per class (scientific names)
        self.lo: ClassOntology | None = None
        self.board: Board | None = None
        self.history = replay_mod.History()
        self.frozen: replay_mod.Frozen | None = None
        self.replay: replay_mod.ReplayPlayer | None = None
        self.presenter = None  # PresenterWindow, made on first use
        self.editor = None
        self.ontology_message: str | None = None
        self.tick_ms: deque[float] = deque(maxlen=2000)  # GUI time of redraw() (benchmark)
        self._paused_source = None  # a file paused by freeze: resumed by unfreeze
        self._replay_done = False
        self._presenter_look: tuple | None = None  # what the presenter shows now (repaint on change)
        self._messages = []
        self.ontology = load_default(ONTOLOGY_PATH, report=self._ontology_off)
        if problem:
            self._messages.append(problem)
        self._install()
        if self._messages:
            QTimer.singleShot(0, self._announce)

    # == set-up ======================================================================================
    def _ontology_off(self, message: str) -> None:
        self.ontology_message = message
        self._messages.append(message + " The app works without it.")

    def _announce(self) -> None:
        for text in self._messages:
            self._add_banner(text)
        self._messages = []

    def _add_banner(self, text: str, kind: str = "warning") -> None:
        """Add a line to the main window's banner, keeping what it already says (and its button)."""
        if text not in self.w.message():
            self.w.add_message(text, kind)

    def _install(self) -> None:
        w = self.w
        self.freeze_action = QAction("❚❚ Freeze", w)
        self.freeze_action.setCheckable(True)
        self.freeze_action.setToolTip("Freeze the last 10 s with the scores that were live (Pause); again: back to live")
        self.freeze_action.setShortcut(QKeySequence(Qt.Key.Key_Pause))  # the menus show the keys
        self.freeze_action.triggered.connect(lambda _=False: self.toggle_freeze())
        self.replay_action = QAction("▶ Replay", w)
        self.replay_action.setToolTip("Replay the frozen 10 s with their scores (Ctrl+R; R in the presenter view)")
        self.replay_action.setShortcut(QKeySequence("Ctrl+R"))
        self.replay_action.triggered.connect(lambda _=False: self.start_replay())
        self.presenter_action = QAction("Presenter", w)
        self.presenter_action.setCheckable(True)
        self.presenter_action.setToolTip("Full-screen presenter view for talks (F5; Esc leaves)")
        self.presenter_action.setShortcut(QKeySequence(Qt.Key.Key_F5))
        self.presenter_action.triggered.connect(lambda _=False: self.toggle_presenter())
        self.classes_action = QAction("Classes…", w)
        self.classes_action.setToolTip("Search all classes; pin (focus) or hide them; presenter settings")
        self.classes_action.triggered.connect(lambda _=False: self.open_editor())
        self.snapshot_action = QAction("Save snapshot", w)
        self.snapshot_action.setToolTip("Save a PNG of the window in front (Ctrl+S)")
        self.snapshot_action.setShortcut(QKeySequence(QKeySequence.StandardKey.Save))
        self.snapshot_action.triggered.connect(lambda _=False: self.snapshot())
        # In the toolbar, and in the menu where keyboard users look (with their keys).
        w.add_actions([self.freeze_action, self.replay_action, self.presenter_action, self.classes_action],
                      [self.presenter_action, self.freeze_action, self.replay_action, self.snapshot_action,
                       self.classes_action])
        self._shortcuts(w, main=True)
        # A lasting sign in the main window while its views are frozen or replaying.
        self.state_sign = QLabel("")
        self.state_sign.setVisible(False)
        w.statusBar().addPermanentWidget(self.state_sign)
        for view in w.views:
            if isinstance(view, ClassRows):  # right-click a class: pin or hide it
                view.widget.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
                view.widget.customContextMenuRequested.connect(lambda pos, v=view: self._view_menu(v, pos))

    def _shortcuts(self, widget, main: bool) -> None:
        keys = [(Qt.Key.Key_Escape, self.leave_presenter)]  # the main window's actions carry the rest
        if not main:  # the presenter: the same keys, and single letters (no text field there)
            keys += [(Qt.Key.Key_F5, self.toggle_presenter), (Qt.Key.Key_Pause, self.toggle_freeze),
                     (QKeySequence.StandardKey.Save, self.snapshot), (QKeySequence("Ctrl+R"), self.start_replay),
                     (Qt.Key.Key_Space, self.w.toggle), (Qt.Key.Key_R, self.start_replay),
                     (Qt.Key.Key_F, self.toggle_freeze)]
        for key, slot in keys:
            seq = QKeySequence(key)
            QShortcut(seq, widget, slot, context=Qt.ShortcutContext.WindowShortcut)

    # == model, source, config =======================================================================
    def set_class_details(self, details: Sequence[str | None]) -> None:
        """A line per class for tooltips (BirdNET's scientific names), by class name."""
        self.class_details = {name: d for name, d in zip(self.classes, details) if d}
        if self.board is not None:
            self.board.details = self.class_details

    def set_classes(self, classes: Sequence[str]) -> None:
        self.classes = list(classes)
        self.lo = None
        if self.ontology is not None:
            self.lo = self.ontology.for_classes(self.classes)
            note = unmatched_message(self.lo)
            if note:
                log.info(note)
        self.board = Board(self.classes, self.lo, self.config.board(self.settings.get("classify/threshold")))
        self.board.class_thresholds = self.class_thresholds
        self.board.details = self.class_details
        self.history.clear()
        if self.frozen is not None:
            self.unfreeze()
        if self.presenter is not None:
            self.presenter.view.board = self.board
            self.presenter.configure_strip(self.w.rate)
        self._apply_pins()
        self._refresh_editor()

    def set_calibration(self, state: str, thresholds=None) -> None:
        """The loaded model's calibration ("" none, "on", "off") and, while on, its per-class
        thresholds: the header says "Calibrated", focus classes count over their fitted threshold."""
        self.calibration = state
        self.class_thresholds = ({} if thresholds is None else
                                 {name: float(t) for name, t in zip(self.classes, thresholds)})
        if self.board is not None:
            self.board.class_thresholds = self.class_thresholds
        if self.presenter is not None:
            self._style_presenter()
        self._refresh_editor()

    def source_changed(self) -> None:
        if self.frozen is not None:
            self._paused_source = None
            self.unfreeze()
        self.history.clear()
        if self.board is not None:
            self.board.reset()
        if self.presenter is not None:
            self.presenter.strip.clear()

    def reload_config(self) -> None:
        """Settings were reset: the presenter lists (pins, hidden) and options follow at once."""
        config, _ = PresenterConfig.load(self.settings)
        self.set_config(config)

    def set_config(self, config: PresenterConfig, refresh_editor: bool = True) -> None:
        """Apply and persist new presenter settings."""
        old = self.config
        self.config = config
        config.save(self.settings)
        if self.board is not None:
            self.board.configure(config.board(self.settings.get("classify/threshold")))
        if self.presenter is not None:
            self._style_presenter()
            if config.screen != old.screen and self.presenter.isVisible() and self.presenter.isFullScreen():
                self._place_presenter()
        self._apply_pins()
        if refresh_editor:
            self._refresh_editor()

    def toggle_focus(self, name: str) -> None:
        c = self.config
        self.set_config(c.remove_focus(name) if name in c.focus_classes() else c.add_focus(name))

    def toggle_hidden(self, name: str) -> None:
        c = self.config
        self.set_config(c.remove_hidden(name) if name in c.hidden else c.add_hidden(name))

    def _apply_pins(self) -> None:
        """Focus classes are pinned in the main window's bars and timeline too."""
        index = {name: i for i, name in enumerate(self.classes)}
        pinned = [index[f] for f in self.config.focus_classes() if f in index]
        for view in self.w.views:
            if isinstance(view, ClassRows):
                view.set_pinned(pinned)

    def _refresh_editor(self) -> None:
        if self.editor is not None:
            self.editor.refresh()

    def open_editor(self) -> None:
        from yamview.gui.presenter.editor import PresenterEditor

        # On the laptop's screen, unless the presenter covers it (one screen): then above the presenter.
        parent = self.presenter if self._covers_main() else self.w
        if self.editor is None:
            self.editor = PresenterEditor(self, parent)
        elif self.editor.parent() is not parent:
            self.editor.setParent(parent, self.editor.windowFlags())
        self.editor.refresh()
        self.editor.show()
        self.editor.raise_()
        self.editor.activateWindow()

    # == live data ===================================================================================
    def on_scored(self, s) -> None:
        self.history.add(s)
        if self.board is not None and self.frozen is None:
            self.board.feed(s.scores, time.monotonic())

    def redraw(self) -> bool:
        """Display tick. True: the main window must not draw its views live this frame."""
        t0 = time.perf_counter()
        now = time.monotonic()
        paused = self._paused_source
        if self.frozen is not None and paused is not None and paused.running and not paused.paused:
            self.unfreeze()  # Space (Start) resumed the file we paused: the user wants live
        p = self.presenter
        showing = p is not None and p.isVisible()
        covered = self._covers_main()
        if self.replay is not None:
            self._replay_tick(now, draw_main=not covered)
        if showing and self.board is not None:
            if self.frozen is None or self.replay is not None:
                self.board.tick(now)
            self._update_presenter(p)
        self.tick_ms.append((time.perf_counter() - t0) * 1000)
        return self.frozen is not None or covered

    def _replay_tick(self, now: float, draw_main: bool) -> None:
        w, r, fz = self.w, self.replay, self.frozen
        for s in r.due():
            if self.board is not None:
                self.board.feed(s.scores, now, count=False)
            for view in w.views:
                view.on_scored(s.end - fz.t0, s.scores)
        src = r.source
        live = draw_main and src is not None and src.ring.total > 0
        tick = Tick(src.ring, src.rate, r.time) if live else idle_tick(w.rate)
        for view in w.views:
            view.on_tick(tick)
        if r.finished and not self._replay_done:
            self._replay_done = True
            self._say_state()

    def _sync_state(self) -> None:
        sign = ""
        if self.replay is not None and not self._replay_done:
            sign = "▶ REPLAY of the frozen seconds · Pause: back to live"
        elif self.frozen is not None:
            sign = "❚❚ FROZEN · the views hold the last seconds · Pause: back to live"
        if self.state_sign.text() != sign:
            self.state_sign.setText(sign)
            self.state_sign.setStyleSheet("background:#ffb020; color:#10131a; font-weight:700; padding:1px 8px;")
            self.state_sign.setVisible(bool(sign))
        if self.presenter is None:
            return
        v = self.presenter.view
        if self.replay is not None and not self._replay_done:
            v.state = "replay"
            v.state_detail = f"{self.replay.time:4.1f} / {self.frozen.duration:.1f} s"
        elif self.frozen is not None:
            v.state, v.state_detail = "frozen", f"last {self.frozen.duration:.0f} s"
        else:
            v.state, v.state_detail = ("live" if self.w.running else "stopped"), ""

    def _update_presenter(self, p) -> None:
        v = p.view
        self._sync_state()
        src = self.replay.source if self.replay is not None else (self.w.source if self.frozen is None else None)
        if self.config.spectrogram and src is not None and src.ring.total > 0:
            p.strip.on_tick(Tick(src.ring, src.rate))
        src = self.w.source
        name = ""
        if src is not None:
            name = src.path.name if src.path is not None else src.name
        v.source_name = name
        if self.board is None:
            v.placeholder = "Loading model…"
        elif not self.w.running and self.frozen is None:
            v.placeholder = "Press Space to start listening"
        else:
            v.placeholder = f"Listening… nothing scores {self.board.config.threshold:.2f} or more"
        # Repaint only when something visible changed (a settled board stays still on stage and
        # costs nothing): values to a thousandth, positions to a thousandth of a row.
        rows = self.board.rows if self.board is not None else []
        look = (v.state, v.state_detail, v.source_name, v.placeholder, tuple(v.tags), id(v.board),
                tuple((r.key, round(r.y, 3), round(r.h, 3), round(r.value, 3), round(r.flash, 2), r.count, r.over)
                      for r in rows))
        if look != self._presenter_look:
            self._presenter_look = look
            v.update()
        p.tick_footer()

    # == freeze and replay ===========================================================================
    def toggle_freeze(self) -> None:
        if self.frozen is not None:
            self.unfreeze()
        else:
            self.freeze()

    def freeze(self) -> bool:
        src = self.w.source
        if src is None or src.ring.total == 0:
            self._say("Nothing to freeze yet: start listening first (Space).")
            self.freeze_action.setChecked(False)
            return False
        if src.pausable and self.w.running:
            src.pause()  # the file waits; a microphone keeps listening in the background
            self._paused_source = src
        self.frozen = replay_mod.freeze(src, self.history)
        self._replay_done = False
        self.freeze_action.setChecked(True)
        self._say_state()
        return True

    def start_replay(self) -> None:
        if self.frozen is None and not self.freeze():
            return
        if self.replay is not None:
            self.replay.close()
        w = self.w
        self.replay = replay_mod.ReplayPlayer(self.frozen, w.output_device)
        try:
            self.replay.start()
        except Exception as exc:
            log.exception("replay failed")
            self.replay = None
            self._say(f"Replay failed: {exc}")
            return
        self._replay_done = False
        if self.board is not None:  # start from what was live when the frozen seconds began
            before = self.frozen.before
            self.board.reset(before.scores if before is not None else None)
        for view in w.views:
            view.clear()
        if self.presenter is not None:
            self.presenter.strip.clear()
        self._say_state()

    def unfreeze(self) -> None:
        w = self.w
        if self.replay is not None:
            self.replay.close()
            self.replay = None
        was_frozen = self.frozen is not None
        self.frozen = None
        self.freeze_action.setChecked(False)
        if not was_frozen:
            return
        # Back to live: the views catch up from the live ring and the kept history.
        for view in w.views:
            view.clear()
        for s in self.history:
            for view in w.views:
                view.on_scored(s.end, s.scores)
        if self.presenter is not None:
            self.presenter.strip.clear()
        src, self._paused_source = self._paused_source, None
        if src is not None and src is w.source and src.running and src.paused:
            src.resume()
        self._say_state()

    def _say_state(self) -> None:
        if self.frozen is None:
            text = "Live again."
        elif self.replay is not None and not self._replay_done:
            text = f"Replaying the frozen {self.frozen.duration:.1f} s with the scores that were live."
        else:
            text = (f"Frozen: the last {self.frozen.duration:.1f} s ({len(self.frozen.scored)} frames). "
                    "Replay plays them again; Pause or Freeze returns to live.")
        self.w.statusBar().showMessage(text, 8000)
        self._sync_state()
        if self.presenter is not None:
            self.presenter.show_message(text, 5.0)
            self.presenter.view.update()

    def _say(self, text: str) -> None:
        self.w.statusBar().showMessage(text, 8000)
        if self.presenting:
            self.presenter.show_message(text, 6.0)

    # == snapshot ====================================================================================
    def snapshot(self) -> Path | None:
        target = self.presenter if self.presenting else self.w
        try:
            path = save_snapshot(target, prefix="yamview-presenter" if target is self.presenter else "yamview")
        except OSError as exc:
            self.w.show_message(f"Snapshot not saved: {exc}", "error")
            return None
        text = f"Snapshot saved to {path}"
        self.w.statusBar().showMessage(text, 15000)
        if self.presenting:
            self.presenter.show_message(text, 6.0)
        log.info(text)
        self.last_snapshot = path
        return path

    # == shutdown ====================================================================================
    def close(self) -> None:
        if self.replay is not None:
            self.replay.close()
            self.replay = None
        if self.editor is not None:
            self.editor.close()
        if self.presenter is not None:
            self.presenter.close()
