"""Calm, readable scores for the presenter view: attack/release smoothing and a stable ranking.

Raw per-frame scores flicker, and a plain sort makes two close classes trade places ten times a
second; on a projector both read as noise. Both helpers are cheap per frame (a few vector ops on
~521 floats, a loop over at most the N shown bars) and hold no Qt.
"""

from __future__ import annotations

import math
from typing import Iterable

import numpy as np


def _alpha(dt: float, tau: float) -> float:
    """Share of the gap closed in ``dt``: 1 - exp(-dt/tau).

    Derived from the time constant, not a per-frame factor, so 10 Hz and 20 Hz updates trace the
    same curve (exactly, for an input held between frames). tau = 0 means no smoothing.
    """
    return 1.0 if tau <= 0 else 1.0 - math.exp(-dt / tau)


class AttackRelease:
    """Exponential smoothing with its own time constant for rising and for falling scores.

    A short attack makes a clap show at once; a longer release lets the bar fall gently instead
    of blinking out. After ``attack_s`` a step up has covered 63 % (1 - 1/e) of its height.
    The state starts at 0 (bars grow in) and follows the number of classes it is given.
    """

    def __init__(self, attack_s: float = 0.05, release_s: float = 0.5) -> None:
        if attack_s < 0 or release_s < 0:
            raise ValueError("attack and release times must be >= 0 seconds")
        self.attack_s = float(attack_s)  # plain attributes: settings may change them live
        self.release_s = float(release_s)
        self.value: np.ndarray | None = None

    def reset(self, value: np.ndarray | None = None) -> None:
        """Forget the past (new model or source); ``value`` starts the state there, not at 0."""
        self.value = None if value is None else np.array(value, dtype=np.float32)

    def step(self, scores: np.ndarray, dt: float) -> np.ndarray:
        """Advance by ``dt`` seconds towards ``scores``; returns a copy of the smoothed scores."""
        x = np.asarray(scores, dtype=np.float32)
        if self.value is None or self.value.shape != x.shape:
            self.value = np.zeros_like(x)
        if dt > 0:  # dt <= 0 (a paused clock, a repeated frame): hold
            up = np.float32(_alpha(dt, self.attack_s))
            down = np.float32(_alpha(dt, self.release_s))
            gap = x - self.value
            self.value += np.where(gap > 0, up, down) * gap
        return self.value.copy()  # the view may scale or clip it; the state must not follow


class StableRanking:
    """The ordered class indices to show as bars, with hysteresis against swap storms.

    - Order: a class moves above its neighbour only when it scores more than ``hysteresis``
      (absolute) above it; a real lead change moves at once, in a single update.
    - Membership: shown are max(n, len(pinned)) bars. Pinned classes are always among them (even
      at score 0); free slots go to the best other classes, and a class outside takes the place
      of the weakest unpinned bar only when it beats it by more than ``hysteresis``. Empty slots
      fill at once.
    - Hidden classes are never shown; hidden wins over pinned.
    - Bounded: with ``hold`` seconds (and the clock passed to ``update``), a smaller lead (more
      than ``EVEN``) that lasted ``hold`` seconds also wins, so a visibly wrong order never stays
      longer than that. Without a clock the hysteresis alone decides.
    Pinned bars are ranked with the others by score; the view may split them out.
    """

    EVEN = 0.005  # leads smaller than this are a tie at two decimals: never worth a swap

    def __init__(
        self,
        n: int,
        hysteresis: float = 0.05,
        pinned: Iterable[int] = (),
        hidden: Iterable[int] = (),
        hold: float | None = None,
    ) -> None:
        self.n = int(n)
        self.hysteresis = float(hysteresis)
        self.pinned: set[int] = set(pinned)
        self.hidden: set[int] = set(hidden)
        self.hold = hold
        self.order: list[int] = []
        self._leads: dict[tuple[int, int], float] = {}  # (winner, loser) -> since when it leads

    def reset(self) -> None:
        self.order = []
        self._leads = {}

    def update(self, scores: np.ndarray, now: float | None = None) -> list[int]:
        s = np.asarray(scores, dtype=np.float32).reshape(-1)
        n_classes, h = len(s), max(self.hysteresis, 0.0)  # a negative margin would never settle
        leads: dict[tuple[int, int], float] = {}

        def beats(a: int, b: int) -> bool:
            """Whether ``a`` takes ``b``'s place: a clear lead at once, a small one after ``hold``."""
            if s[a] > s[b] + h:
                return True
            if now is None or self.hold is None or not s[a] > s[b] + min(self.EVEN, h):
                return False
            since = leads[(a, b)] = self._leads.get((a, b), now)
            return now - since >= self.hold
        valid = lambda i: 0 <= i < n_classes and i not in self.hidden  # noqa: E731
        pinned = sorted(i for i in self.pinned if valid(i))
        slots = max(self.n - len(pinned), 0)

        # Membership: keep last frame's unpinned bars (the best ones if there are now too many).
        kept = [i for i in self.order if valid(i) and i not in self.pinned]
        if len(kept) > slots:
            kept = sorted(kept, key=lambda i: -s[i])[:slots]
        # Challengers: only the best `slots` outsiders can matter, as each win uses up a slot.
        outside = np.ones(n_classes, dtype=bool)
        outside[[i for i in self.hidden if 0 <= i < n_classes] + pinned + kept] = False
        cand = np.flatnonzero(outside)
        k = min(slots, len(cand))
        if k:
            cand = cand[np.argpartition(-s[cand], k - 1)[:k]]
            cand = cand[np.argsort(-s[cand], kind="stable")]
        entrants: list[int] = []
        for c in cand.tolist():
            if len(kept) + len(entrants) < slots:
                entrants.append(c)
                continue
            weakest = min(kept, key=lambda i: s[i], default=None)
            if weakest is None or not beats(c, weakest):
                break  # challengers come best first: if this one fails, all later ones do
            kept.remove(weakest)
            entrants.append(c)

        # Order: survivors keep last frame's order; newcomers go where their score puts them.
        staying = set(pinned) | set(kept)
        order = [i for i in self.order if i in staying]
        for c in [i for i in pinned if i not in order] + entrants:
            pos = next((j for j, i in enumerate(order) if s[i] < s[c]), len(order))
            order.insert(pos, c)
        # Then swap neighbours only past the margin. Each swap lowers sum(position * score) by
        # more than the margin, so this ends; one update lets a clear leader climb all the way.
        swapped = True
        while swapped:
            swapped = False
            for j in range(len(order) - 1):
                if beats(order[j + 1], order[j]):
                    order[j], order[j + 1] = order[j + 1], order[j]
                    swapped = True
        self._leads = leads  # a lead that was interrupted starts counting again
        self.order = order
        return list(order)
