"""Presenter settings: one dataclass, read from and written to QSettings (yamview.gui.settings).

The focus and hide lists are stored as JSON strings; a damaged value falls back to the default
and says so once (``problem``), like every other setting.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, replace

from yamview.gui.presenter.board import BoardConfig, Focus
from yamview.gui.settings import KEYS, Settings

log = logging.getLogger(__name__)

THEMES = ("dark", "light")


@dataclass(frozen=True)
class PresenterConfig:
    focus: tuple[Focus, ...]
    hidden: tuple[str, ...]
    top_n: int = 5
    attack: float = 0.12
    release: float = 0.6
    hysteresis: float = 0.05
    theme: str = "dark"
    screen: str = ""
    rollup: bool = False
    rollup_depth: int = 3
    spectrogram: bool = True

    def board(self, threshold: float = 0.1) -> BoardConfig:
        """The board's settings; ``threshold`` is the user's score threshold (main window)."""
        return BoardConfig(top_n=self.top_n, focus=self.focus, hidden=self.hidden, attack=self.attack,
                           release=self.release, hysteresis=self.hysteresis, rollup=self.rollup,
                           rollup_depth=self.rollup_depth, threshold=float(threshold))

    def with_(self, **changes) -> "PresenterConfig":
        return replace(self, **changes)

    # -- lists ---------------------------------------------------------------------------------
    def focus_classes(self) -> list[str]:
        return [f.name for f in self.focus]

    def add_focus(self, name: str, threshold: float = 0.3) -> "PresenterConfig":
        """Focus ``name`` (it leaves the hide list: a class cannot be both)."""
        if name in self.focus_classes():
            return self
        return replace(self, focus=self.focus + (Focus(name, threshold),),
                       hidden=tuple(h for h in self.hidden if h != name))

    def remove_focus(self, name: str) -> "PresenterConfig":
        return replace(self, focus=tuple(f for f in self.focus if f.name != name))

    def set_threshold(self, name: str, threshold: float) -> "PresenterConfig":
        return replace(self, focus=tuple(Focus(f.name, float(threshold)) if f.name == name else f
                                         for f in self.focus))

    def add_hidden(self, name: str) -> "PresenterConfig":
        if name in self.hidden:
            return self
        return replace(self, hidden=self.hidden + (name,),
                       focus=tuple(f for f in self.focus if f.name != name))

    def remove_hidden(self, name: str) -> "PresenterConfig":
        return replace(self, hidden=tuple(h for h in self.hidden if h != name))

    # -- persistence ---------------------------------------------------------------------------
    @classmethod
    def load(cls, settings: Settings) -> tuple["PresenterConfig", str | None]:
        """(config, problem): problem says which stored list was unreadable (defaults used)."""
        problems = []
        focus = _parse_focus(settings.get("presenter/focus"))
        if focus is None:
            problems.append("focus list")
            focus = _parse_focus(KEYS["presenter/focus"].default)
        hidden = _parse_hidden(settings.get("presenter/hidden"))
        if hidden is None:
            problems.append("hide list")
            hidden = _parse_hidden(KEYS["presenter/hidden"].default)
        config = cls(
            focus=tuple(focus), hidden=tuple(hidden),
            top_n=settings.get("presenter/top_n"),
            attack=settings.get("presenter/attack_seconds"),
            release=settings.get("presenter/release_seconds"),
            hysteresis=settings.get("presenter/hysteresis"),
            theme=settings.get("presenter/theme"),
            screen=settings.get("presenter/screen"),
            rollup=settings.get("presenter/rollup"),
            rollup_depth=settings.get("presenter/rollup_depth"),
            spectrogram=settings.get("presenter/spectrogram"),
        )
        problem = None
        if problems:
            problem = f"The presenter's {' and '.join(problems)} in the settings could not be read; defaults used."
            log.warning(problem)
        return config, problem

    def save(self, settings: Settings) -> None:
        # The class name's key stays "label", as saved settings have it.
        settings.set("presenter/focus", json.dumps([{"label": f.name, "threshold": round(f.threshold, 4)}
                                                    for f in self.focus]))
        settings.set("presenter/hidden", json.dumps(list(self.hidden)))
        settings.set("presenter/top_n", int(self.top_n))
        settings.set("presenter/attack_seconds", float(self.attack))
        settings.set("presenter/release_seconds", float(self.release))
        settings.set("presenter/hysteresis", float(self.hysteresis))
        settings.set("presenter/theme", self.theme)
        settings.set("presenter/screen", self.screen)
        settings.set("presenter/rollup", bool(self.rollup))
        settings.set("presenter/rollup_depth", int(self.rollup_depth))
        settings.set("presenter/spectrogram", bool(self.spectrogram))


def _parse_focus(text: str) -> list[Focus] | None:
    try:
        data = json.loads(text)
    except (TypeError, ValueError):
        return None
    if not isinstance(data, list):
        return None
    out, seen = [], set()
    for item in data:
        if isinstance(item, str):
            name, thr = item, 0.3
        elif isinstance(item, dict) and isinstance(item.get("label"), str):
            name, thr = item["label"], item.get("threshold", 0.3)
        else:
            return None
        try:
            thr = float(thr)
        except (TypeError, ValueError):
            return None
        if name not in seen:
            seen.add(name)
            out.append(Focus(name, min(max(thr, 0.0), 1.0)))
    return out


def _parse_hidden(text: str) -> list[str] | None:
    try:
        data = json.loads(text)
    except (TypeError, ValueError):
        return None
    if not isinstance(data, list) or not all(isinstance(x, str) for x in data):
        return None
    return list(dict.fromkeys(data))
