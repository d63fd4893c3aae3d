"""What the presenter view shows, frame by frame, as plain data (no Qt: testable on its own).

``Board`` turns the model's raw scores into rows to paint:

- the *universe* of candidates: the model's classes, or (roll-up) AudioSet categories at a chosen
  depth scored as the max of every model class at or below them, plus the focus classes;
- hidden classes (and, with the ontology, every class below them) score 0 and are never ranked,
  so "Speech" hidden also keeps "Conversation" and the "Human voice" roll-up quiet;
- focus classes are pinned (always shown, even at 0), count detections (rising edges of the raw
  score over their threshold, re-armed below ``REARM`` x threshold) and flash;
- scores are smoothed with ``AttackRelease`` at the display rate, so bars move every frame
  instead of jumping at the hop rate; ``StableRanking`` orders them with hysteresis, bounded in
  time: a lead of more than ``hysteresis`` swaps at once, a smaller one (over 0.005) once it has
  lasted ``hold`` seconds, so a visibly wrong order never stays longer than that;
- free (non-focus) rows are those whose smoothed score is at or above the user's score threshold,
  or a calibrated model's per-class threshold (the same as in the main window); focus rows stay,
  with their own thresholds;
- motion without lies: rows are stacked, each with a height from 0 to 1. A row that arrives
  opens (0 -> 1) over ``GLIDE_SECONDS``, a row that goes folds shut (1 -> 0), and a row that
  changes rank folds shut at its old place while it opens at its new one; the rows in between
  slide by exactly the amounts the others open and close. So rows never overlap, and every row
  on screen, at every instant, carries its name and its current score (cubic ease in-out,
  positions from the clock, so the motion does not depend on when frames are painted).

Times are plain seconds from any monotonic clock, passed in: tests drive it by hand.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from yamview.core.ontology import ClassOntology
from yamview.core.smoothing import AttackRelease, StableRanking

GLIDE_SECONDS = 0.25
HOLD_SECONDS = 1.0  # the longest a smaller lead waits before it swaps (see StableRanking)
REARM = 0.8  # a focus class counts again once its score fell below REARM x threshold
FLASH_DECAY = 0.45  # seconds: the flash after a detection fades with this time constant
PULSE_HZ = 1.5  # while over threshold the row pulses at this rate
BREADCRUMB_SEPARATOR = " › "


@dataclass(frozen=True)
class Focus:
    name: str  # a model class (or, with roll-up, an AudioSet category)
    threshold: float = 0.3


@dataclass(frozen=True)
class BoardConfig:
    top_n: int = 5  # free rows besides the focus classes
    focus: tuple[Focus, ...] = ()
    hidden: tuple[str, ...] = ()
    attack: float = 0.12
    release: float = 0.6
    hysteresis: float = 0.05
    rollup: bool = False
    rollup_depth: int = 3
    threshold: float = 0.1  # free rows: the user's score threshold (main window control)
    hold: float = HOLD_SECONDS


@dataclass
class Row:
    """One bar as drawn this frame."""

    key: int  # index in the board's universe
    name: str
    crumb: str  # breadcrumb of the parents ("Animal › Domestic animals, pets"), "" without ontology
    value: float  # smoothed score, 0..1
    y: float  # top of the row in row units (0 = top), fractional while rows open or close
    h: float = 1.0  # height in row units: 0..1 while opening or folding shut
    alpha: float = 1.0  # kept 1: nothing on screen is half-transparent
    leaving: bool = False  # folding shut (gone, or moved to another rank)
    focus: bool = False
    over: bool = False  # raw score over the focus threshold now
    flash: float = 0.0  # 0..1 highlight intensity
    count: int = 0  # detections since the counts were reset
    threshold: float | None = None


@dataclass
class _Slot:
    """One stacked row: its height goes from h0 to h1 over GLIDE_SECONDS from t0."""

    key: int
    h0: float
    h1: float
    t0: float

    def height(self, now: float) -> float:
        return self.h0 + (self.h1 - self.h0) * _ease((now - self.t0) / GLIDE_SECONDS)

    def done(self, now: float) -> bool:
        return now - self.t0 >= GLIDE_SECONDS


def _staying(old: list[int], new: list[int]) -> set[int]:
    """The most keys of ``old`` that keep their relative order in ``new`` (a longest increasing
    subsequence of their new positions): these slide, every other key folds and reopens."""
    where = {k: i for i, k in enumerate(new)}
    seq = [k for k in old if k in where]
    best: list[list[int]] = []  # best[j]: a chain of length j+1 ending with the smallest position
    for k in seq:
        pos = where[k]
        j = next((j for j, chain in enumerate(best) if where[chain[-1]] >= pos), len(best))
        chain = (best[j - 1] if j else []) + [k]
        if j == len(best):
            best.append(chain)
        else:
            best[j] = chain
    return set(best[-1]) if best else set()


def _ease(u: float) -> float:
    """Cubic ease in-out on [0, 1]: starts and ends at rest, so a glide has no visible jerk."""
    if u <= 0:
        return 0.0
    if u >= 1:
        return 1.0
    return 4 * u * u * u if u < 0.5 else 1 - (-2 * u + 2) ** 3 / 2


@dataclass
class _FocusState:
    focus: Focus
    key: int
    over: bool = False
    armed: bool = True
    count: int = 0
    rise: float = -1e9  # time of the last rising edge
    fall: float = -1e9  # time it went under
    flash_at_fall: float = 0.0


def rollup_categories(lo: ClassOntology, depth: int) -> list[str]:
    """AudioSet categories shown by a roll-up at ``depth``: for every model class, its ancestor
    ``depth`` levels from the root along its primary path (or itself when it is shallower).

    Sorted by file order of the ontology so the list is stable.
    """
    wanted = set()
    for name, ok in zip(lo.classes, lo.matched):
        if not ok:
            continue
        path = lo.path(name)
        wanted.add(path[min(depth, len(path)) - 1])
    return [name for name in lo.rollup_names if name in wanted]


class Board:
    def __init__(self, classes: Sequence[str], ontology: ClassOntology | None = None,
                 config: BoardConfig | None = None) -> None:
        self.classes = list(classes)
        self.lo = ontology
        self.config = config or BoardConfig()
        # A calibrated model's per-class thresholds (class name -> threshold): they replace the
        # focus list's own thresholds while calibrated scores are shown.
        self.class_thresholds: dict[str, float] = {}
        # The model's own line per class (BirdNET's scientific names), shown where AudioSet has none.
        self.details: dict[str, str] = {}
        self.smoother = AttackRelease(self.config.attack, self.config.release)
        self.ranking = StableRanking(1)
        self.rows: list[Row] = []
        self.raw: np.ndarray | None = None  # the newest raw model scores fed
        self._slots: list[_Slot] = []
        self.order: list[int] = []
        self._last_tick: float | None = None
        self._current = None  # universe scores of the newest feed
        self._free_shown: set[int] = set()
        self._cut = False
        self.configure(self.config)

    # -- configuration ---------------------------------------------------------------------------
    def configure(self, config: BoardConfig) -> None:
        """Apply new settings; the smoothing state survives when the universe stays the same."""
        old_names = getattr(self, "names", None)
        old_counts = {f.focus.name: f.count for f in getattr(self, "_focus", [])}
        self.config = config
        self.smoother.attack_s, self.smoother.release_s = float(config.attack), float(config.release)
        class_indices = {name: i for i, name in enumerate(self.classes)}
        self.class_indices = class_indices

        # Hidden: the listed classes and (with the ontology) every model class below them.
        hidden_names = set(config.hidden)
        if self.lo is not None:
            for name in config.hidden:
                if name in self.lo.ontology or name in class_indices:
                    hidden_names.update(self.lo.descendants(name))
        self.hidden_names = hidden_names
        self._mask = np.array(sorted(class_indices[n] for n in hidden_names if n in class_indices), dtype=np.intp)

        focus = [f for f in config.focus if f.name in class_indices]
        self.rollup = bool(config.rollup and self.lo is not None)
        if self.rollup:
            cats = rollup_categories(self.lo, max(1, int(config.rollup_depth)))
            names = cats + [f.name for f in focus if f.name not in set(cats)]
            where = {n: i for i, n in enumerate(self.lo.rollup_names)}
            self._gather = np.array([where[n] for n in names], dtype=np.intp)
        else:
            names = list(self.classes)
            self._gather = None
        self.names = names
        self.index = {n: i for i, n in enumerate(names)}
        self._crumbs: dict[int, str] = {}
        self._focus = [_FocusState(f, self.index[f.name]) for f in focus]
        for fs in self._focus:
            fs.count = old_counts.get(fs.focus.name, 0)
        self._focus_by_key = {fs.key: fs for fs in self._focus}
        pinned = [fs.key for fs in self._focus]
        hidden = [i for n, i in self.index.items() if n in hidden_names]
        n = max(1, int(config.top_n)) + len(set(pinned) - set(hidden))
        self.ranking = StableRanking(n, hysteresis=config.hysteresis, pinned=pinned, hidden=hidden,
                                     hold=config.hold)
        if names != old_names:
            self.smoother.reset()
            self._slots = []
            self._free_shown = set()
            self._current = None
            if self.raw is not None:
                self._current = self._universe(self.raw)

    @property
    def slots(self) -> int:
        """Rows the ranking can show (focus classes plus the free top-N)."""
        return self.ranking.n

    def crumb(self, key: int) -> str:
        c = self._crumbs.get(key)
        if c is None:
            c = ""
            if self.lo is not None:
                name = self.names[key]
                try:
                    c = BREADCRUMB_SEPARATOR.join(self.lo.path(name)[:-1])
                except KeyError:
                    c = ""
            self._crumbs[key] = c
        return c

    def description(self, key: int) -> str:
        """AudioSet's description of the class, else the model's own detail (a scientific name)."""
        detail = self.details.get(self.names[key], "")
        if self.lo is None:
            return detail
        try:
            return self.lo.ontology.description(self.names[key]) or detail
        except KeyError:
            return detail

    def reset_counts(self) -> None:
        for fs in self._focus:
            fs.count = 0

    def counts(self) -> dict[str, int]:
        return {fs.focus.name: fs.count for fs in self._focus}

    def reset(self, scores: np.ndarray | None = None) -> None:
        """Forget smoothing, ranking and motion; ``scores`` (raw) become the starting values.

        The next frame is a cut: bars appear at their places at once, nothing glides or fades in
        (a replay starts from what was live then, like a film cut, not from an empty board).
        """
        self.ranking.reset()
        self._slots = []
        self._free_shown = set()
        self._last_tick = None
        self._cut = scores is not None
        self.raw = None if scores is None else np.asarray(scores, np.float32)
        self._current = None if scores is None else self._universe(self.raw)
        self.smoother.reset(self._current)

    # -- data ------------------------------------------------------------------------------------
    def _universe(self, raw: np.ndarray) -> np.ndarray:
        s = np.asarray(raw, np.float32)
        if self._mask.size:
            s = s.copy()
            s[self._mask] = 0.0
        if self._gather is not None:
            _, rolled = self.lo.rollup(s)
            return rolled[self._gather]
        return s

    def threshold_of(self, focus: Focus) -> float:
        """The focus class's threshold: the calibrated model's for that class, else the user's."""
        return self.class_thresholds.get(focus.name, focus.threshold)

    def universe_scores(self, raw: np.ndarray) -> np.ndarray:
        """The board's per-candidate scores for one raw frame (hidden zeroed, rolled up)."""
        return self._universe(raw)

    def feed(self, scores: np.ndarray, now: float, count: bool = True) -> None:
        """A frame's raw scores arrive (live, or from a replay with ``count=False``)."""
        self.raw = np.asarray(scores, np.float32)
        if len(self.raw) != len(self.classes):
            return
        self._current = self._universe(self.raw)
        for fs in self._focus:
            value = float(self._current[fs.key])
            thr = self.threshold_of(fs.focus)
            over = value >= thr
            if over and fs.armed:
                fs.armed = False
                fs.rise = now
                if count:
                    fs.count += 1
            elif value < thr * REARM:
                fs.armed = True
            if fs.over and not over:
                fs.fall = now
                fs.flash_at_fall = self._flash(fs, now)
            fs.over = over

    def _flash(self, fs: _FocusState, now: float) -> float:
        if fs.over:
            phase = (now - fs.rise) * PULSE_HZ
            return float(0.6 + 0.4 * (0.5 + 0.5 * np.cos(2 * np.pi * phase)))
        since_rise = now - fs.rise
        after_rise = np.exp(-since_rise / FLASH_DECAY) if since_rise >= 0 else 0.0
        after_fall = fs.flash_at_fall * np.exp(-(now - fs.fall) / FLASH_DECAY) if now >= fs.fall else 0.0
        return float(max(after_rise, after_fall))

    def tick(self, now: float) -> list[Row]:
        """Advance smoothing and motion to ``now``; returns (and keeps in ``rows``) what to draw."""
        dt = 1 / 60 if self._last_tick is None else min(max(now - self._last_tick, 0.0), 0.25)
        self._last_tick = now
        if self._current is None:  # nothing heard yet: only the focus classes, at 0
            values = np.zeros(len(self.names), np.float32)
            hidden = self.ranking.hidden
            order = [fs.key for fs in self._focus if fs.key not in hidden]
        else:
            values = self.smoother.step(self._current, dt)
            order = self._floor(self.ranking.update(values, now), values)

        cut, self._cut = self._cut, False
        self._restack(order, now, cut)
        rows, y = [], 0.0
        growing = set(order)
        for slot in self._slots:
            key, h = slot.key, slot.height(now)
            fs = self._focus_by_key.get(key)
            rows.append(Row(
                key=key, name=self.names[key], crumb=self.crumb(key), value=float(values[key]),
                y=y, h=h, leaving=slot.h1 == 0.0 or key not in growing, focus=fs is not None,
                over=bool(fs and fs.over), flash=self._flash(fs, now) if fs else 0.0,
                count=fs.count if fs else 0, threshold=self.threshold_of(fs.focus) if fs else None,
            ))
            y += h
        self.rows = rows
        self.order = order
        return rows

    def _restack(self, order: list[int], now: float, cut: bool) -> None:
        """Fold and open slots so that the open ones list ``order``, top to bottom."""
        slots = [s for s in self._slots if not (s.h1 == 0.0 and s.done(now))]  # folded: gone
        live = [s for s in slots if s.h1 == 1.0]
        if [s.key for s in live] != order:
            keep = _staying([s.key for s in live], order)
            for s in live:
                if s.key not in keep:  # gone, or moving: fold shut where it is
                    s.h0, s.h1, s.t0 = s.height(now), 0.0, now
            by_key = {s.key: s for s in live if s.key in keep}
            anchor = -1  # index in ``slots`` after which the next key of ``order`` goes
            for key in order:
                s = by_key.get(key)
                if s is None:
                    s = _Slot(key, 1.0, 1.0, now) if cut else _Slot(key, 0.0, 1.0, now)
                    slots.insert(anchor + 1, s)
                anchor = slots.index(s)
        if cut:  # a cut: everything at its place at once
            slots = [s for s in slots if s.h1 == 1.0]
            for s in slots:
                s.h0 = s.h1 = 1.0
        self._slots = slots

    def _floor(self, order: list[int], values: np.ndarray) -> list[int]:
        """Free bars only at or over their threshold — a calibrated model's own for its class,
        else the user's — as in the main window's bars; focus classes always stay."""
        out, shown = [], set()
        floor = max(float(self.config.threshold), 0.005)  # 0.00 would list every silent class
        per_class = self.class_thresholds
        for key in order:
            if key in self._focus_by_key:
                out.append(key)
            elif values[key] >= (per_class.get(self.names[key], floor) if per_class else floor):
                out.append(key)
                shown.add(key)
        self._free_shown = shown
        return out

    # -- queries (tests, status) -----------------------------------------------------------------
    def shown(self) -> list[str]:
        """Names of the ranked rows (not the fading-out ones), top first."""
        return [self.names[k] for k in getattr(self, "order", [])]

    def row(self, name: str) -> Row | None:
        """The row of ``name`` (the opening one while a class moves between ranks)."""
        return next((r for r in self.rows if r.name == name and not r.leaving),
                    next((r for r in self.rows if r.name == name), None))

    def set_threshold(self, threshold: float) -> None:
        """The user's score threshold changed (free rows follow it from the next tick)."""
        from dataclasses import replace

        self.config = replace(self.config, threshold=float(threshold))


__all__ = ["BREADCRUMB_SEPARATOR", "Board", "BoardConfig", "Focus", "Row", "rollup_categories"]
