"""What the inspector knows about one file, and everything derived from it (no Qt here).

Scores arrive in batches while the analysis runs; rankings, the truth matrix, metrics, outcomes
and events are derived on demand and cached until something they depend on changes (scores,
labels, thresholds, event parameters). The views only read from here.
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np

from yamview.core import events as events_mod
from yamview.core import metrics as metrics_mod
from yamview.core.analysis import Analysis
from yamview.core.framing import Framing
from yamview.core.labels_io import Label

DEFAULT_THRESHOLD = 0.3
# Display codes for the error lane: ordered so a max over several frames keeps the worst.
DISPLAY_TN, DISPLAY_HIT, DISPLAY_MISS, DISPLAY_FALSE_ALARM = 0, 1, 2, 3
_TO_DISPLAY = np.zeros(4, np.uint8)
_TO_DISPLAY[[metrics_mod.TRUE_NEGATIVE, metrics_mod.HIT, metrics_mod.MISS, metrics_mod.FALSE_ALARM]] = [
    DISPLAY_TN, DISPLAY_HIT, DISPLAY_MISS, DISPLAY_FALSE_ALARM]


class Session:
    def __init__(self, classes: Sequence[str], framing: Framing, duration: float, name: str = "") -> None:
        self.classes = list(classes)
        self.user_classes: frozenset = frozenset()  # classes of a head the user trained
        self.scientific_names: list = []  # per class, for BirdNET-style names (exports, tooltips)
        self.framing = framing
        self.duration = float(duration)
        self.name = name
        self.expected = framing.count(int(round(duration * framing.rate)))
        self.scores = np.zeros((0, len(self.classes)), np.float32)
        self.n = 0
        self.analysis: Analysis | None = None
        self._sum = np.zeros(len(self.classes), np.float64)
        self._max = np.zeros(len(self.classes), np.float32)
        self.labels: list[Label] = []
        self.label_classes: list[tuple[int, ...]] = []
        self.label_source = ""
        self._truth: np.ndarray | None = None  # bool [frames >= n, classes]
        self._any_of: metrics_mod.AnyOfGroups = []  # "any of these classes" labels
        self.related: np.ndarray | None = None  # ontology relation for lenient counts (or None)
        self.default_threshold = DEFAULT_THRESHOLD
        self.overrides: dict[int, float] = {}
        self.smoothing, self.min_duration, self.merge_gap = 1, 0.0, 0.0
        self._version = 0
        self._derived: dict[str, tuple[int, object]] = {}

    # -- scores ---------------------------------------------------------------------------------
    @property
    def n_classes(self) -> int:
        return len(self.classes)

    @property
    def complete(self) -> bool:
        return self.analysis is not None

    def update_scores(self, scores: np.ndarray, n: int) -> None:
        """``scores`` holds at least ``n`` valid rows; rows already seen must not change."""
        if n < self.n:
            raise ValueError("frames never go away")
        if n > self.n:
            new = scores[self.n : n]
            self._sum += new.sum(axis=0, dtype=np.float64)
            np.maximum(self._max, new.max(axis=0), out=self._max)
            self.n = n
            self._changed()
        self.scores = scores

    def finish(self, analysis: Analysis) -> None:
        self.analysis = analysis
        self.scores, self.n = analysis.scores, analysis.n_frames
        # What was analysed: shorter than the header said for a damaged file, whose last frame
        # (and its cell) then ends earlier.
        resized = analysis.duration != self.duration or self.expected != self.n
        self.duration, self.expected = analysis.duration, self.n
        self._sum = analysis.scores.sum(axis=0, dtype=np.float64)
        self._max = analysis.max().astype(np.float32)
        if self._truth is not None and (resized or len(self._truth) < self.n):
            self._build_truth()
        self._changed()

    def _changed(self) -> None:
        self._version += 1

    def mean(self) -> np.ndarray:
        return (self._sum / max(1, self.n)).astype(np.float32)

    def max(self) -> np.ndarray:
        return self._max

    def ranked(self, k: int, by: str = "max") -> list[int]:
        """The ``k`` best classes by mean or max score so far (stable ties)."""
        if self.n == 0:
            return []
        agg = self.max() if by == "max" else self.mean()
        return [int(i) for i in np.argsort(-agg, kind="stable")[:k]]

    def starts(self) -> np.ndarray:
        return self.framing.starts(self.n)

    def centres(self) -> np.ndarray:
        return self.framing.centres(self.n)

    @property
    def window_seconds(self) -> float:
        return self.framing.window_seconds

    @property
    def hop_seconds(self) -> float:
        return self.framing.hop_seconds

    def frame_at(self, t: float) -> int | None:
        """The frame whose centre is nearest ``t`` (where its scores are drawn), or None."""
        if self.n == 0 or not math.isfinite(t):
            return None
        i = round((t - self.window_seconds / 2) / self.hop_seconds)
        return int(min(max(i, 0), self.n - 1))

    def frame_span(self, i: int) -> tuple[float, float]:
        start = i * self.hop_seconds
        return start, start + self.window_seconds

    def frame_centre(self, i: int) -> float:
        return i * self.hop_seconds + self.window_seconds / 2

    def top(self, i: int, k: int = 3) -> list[tuple[int, float]]:
        row = self.scores[i]
        order = np.argsort(-row, kind="stable")[:k]
        return [(int(c), float(row[c])) for c in order]

    def find_class(self, name: str) -> int | None:
        low = name.strip().lower()
        for i, c in enumerate(self.classes):
            if c.lower() == low:
                return i
        return None

    # -- thresholds ---------------------------------------------------------------------------
    def thresholds(self) -> np.ndarray:
        thr = np.full(self.n_classes, self.default_threshold, np.float32)
        for i, v in self.overrides.items():
            thr[i] = v
        return thr

    def set_default_threshold(self, value: float) -> None:
        value = float(min(max(value, 0.0), 1.0))
        if value != self.default_threshold:
            self.default_threshold = value
            self._changed()

    def set_threshold(self, cls: int, value: float | None) -> None:
        """A class's own threshold; None returns it to the default."""
        if value is None:
            self.overrides.pop(cls, None)
        else:
            self.overrides[int(cls)] = float(min(max(value, 0.0), 1.0))
        self._changed()

    def clear_thresholds(self) -> None:
        """Every class back to the default threshold."""
        self.overrides = {}
        self._changed()

    def set_thresholds(self, values: np.ndarray) -> None:
        """All at once (a loaded CSV): classes that differ from the default get their own."""
        values = np.asarray(values, np.float32)
        self.overrides = {int(i): float(values[i]) for i in
                          np.flatnonzero(~np.isclose(values, self.default_threshold))}
        self._changed()

    # -- labels ---------------------------------------------------------------------------------
    def set_labels(self, labels: list[Label], label_classes: list[tuple[int, ...]], source: str = "") -> None:
        self.labels, self.label_classes, self.label_source = list(labels), list(label_classes), source
        self._build_truth()
        self._changed()

    def clear_labels(self) -> None:
        self.labels, self.label_classes, self.label_source = [], [], ""
        self._truth, self._any_of = None, []
        self._changed()

    def any_of(self) -> metrics_mod.AnyOfGroups:
        """The "any of these classes" labels (``metrics.any_of_groups``)."""
        return self._any_of

    def set_related(self, related: np.ndarray | None) -> None:
        """The ontology's ancestor/descendant relation (``metrics.relatives``): lenient counts."""
        self.related = related
        self._changed()

    @property
    def has_labels(self) -> bool:
        return bool(self.labels)

    def _build_truth(self) -> None:
        # For every frame the file will have, so arriving frames need no recomputation.
        frames = max(self.expected, self.n)
        args = (self.labels, self.label_classes, self.framing.starts(frames), self.window_seconds)
        self._truth = metrics_mod.truth_matrix(*args, self.n_classes, self.duration)
        self._any_of = metrics_mod.any_of_groups(*args, self.duration)

    def truth(self) -> np.ndarray | None:
        if self._truth is None:
            return None
        if len(self._truth) < self.n:
            self._build_truth()
        return self._truth[: self.n]

    def labelled_classes(self) -> list[int]:
        return sorted({c for cls in self.label_classes for c in cls})

    # -- derived, cached ------------------------------------------------------------------------
    def _cached(self, name: str, compute):
        hit = self._derived.get(name)
        if hit is not None and hit[0] == self._version:
            return hit[1]
        value = compute()
        self._derived[name] = (self._version, value)
        return value

    def metrics(self) -> metrics_mod.Metrics | None:
        if self._truth is None or self.n == 0:
            return None
        return self._cached("metrics", lambda: metrics_mod.evaluate(
            self.scores[: self.n], self.truth(), self.thresholds(), self.classes, self._any_of, self.related))

    def outcomes(self) -> np.ndarray | None:
        """int8 [frames, classes] of metrics.TRUE_NEGATIVE / FALSE_ALARM / MISS / HIT."""
        if self._truth is None or self.n == 0:
            return None
        return self._cached("outcomes", lambda: metrics_mod.outcomes(
            self.scores[: self.n], self.truth(), self.thresholds(), self._any_of))

    def error_classes(self, limit: int | None = None) -> list[int]:
        """Classes with misses or false alarms, most errors first (then labelled-only classes)."""
        m = self.metrics()
        if m is None:
            return []
        errors = m.misses + m.false_alarms
        idx = [int(i) for i in m.relevant()]
        idx.sort(key=lambda i: (-int(errors[i]), -int(m.hits[i]), i))
        return idx[:limit] if limit else idx

    def next_error(self, frame: int, step: int = 1, classes: Sequence[int] | None = None) -> int | None:
        codes = self.outcomes()
        if codes is None:
            return None
        return metrics_mod.next_error(codes, frame, step, classes)

    def regions(self, classes: Sequence[int] | None = None) -> list[metrics_mod.Region]:
        """Error regions (runs of one error kind for one class), optionally of some classes only."""
        codes = self.outcomes()
        if codes is None:
            return []
        key = "regions" if classes is None else f"regions{tuple(classes)}"
        return self._cached(key, lambda: metrics_mod.error_regions(codes, classes))

    def set_event_params(self, smoothing: int | None = None, min_duration: float | None = None,
                         merge_gap: float | None = None) -> None:
        if smoothing is not None:
            self.smoothing = max(1, int(smoothing))
        if min_duration is not None:
            self.min_duration = max(0.0, float(min_duration))
        if merge_gap is not None:
            self.merge_gap = max(0.0, float(merge_gap))
        self._changed()

    def events(self) -> list[events_mod.Event]:
        if self.n == 0:
            return []
        return self._cached("events", lambda: self.events_job()[1]()[1])

    def events_job(self):
        """(version, compute) where ``compute()`` -> (version, events) from a snapshot of today's
        inputs, safe on another thread: frames already scored never change, the rest is copied.
        An hour at a low threshold takes ~0.1-0.2 s, too long for the GUI thread while it draws."""
        version, n = self._version, self.n
        scores, starts, thr = self.scores[:n], self.starts(), self.thresholds()
        window, class_names = self.window_seconds, list(self.classes)
        smoothing, min_duration, merge_gap = self.smoothing, self.min_duration, self.merge_gap
        duration = self.duration

        def compute(*, stale=lambda: False):
            return version, events_mod.find_events(scores, starts, window, thr, class_names=class_names, smoothing=smoothing,
                                                   min_duration=min_duration, merge_gap=merge_gap, duration=duration)

        return version, compute

    def cached_events(self) -> list[events_mod.Event] | None:
        hit = self._derived.get("events")
        return hit[1] if hit is not None and hit[0] == self._version else None

    def store_events(self, version: int, found: list[events_mod.Event]) -> bool:
        """Keep events computed elsewhere, if nothing changed since their snapshot."""
        if version != self._version:
            return False
        self._derived["events"] = (version, found)
        return True


def error_display(codes: np.ndarray) -> np.ndarray:
    """Outcome codes -> display codes (TN < hit < miss < false alarm), uint8."""
    return _TO_DISPLAY[codes]


def column_max(img: np.ndarray, first_x: float, dx: float, x0: float, x1: float, px: int):
    """The columns of ``img`` (column i spans ``first_x + i*dx`` .. ``+dx``) visible in ``[x0, x1]``,
    max-reduced to at most about ``px`` columns so a one-frame peak survives zooming out.

    Returns (image [rows, m], left x, width) or None when nothing is visible. The reduction grid
    is aligned to multiples of the factor, so panning does not make columns shimmer.
    """
    rows, n = img.shape
    if n == 0 or dx <= 0:
        return None
    i0 = max(0, int(math.floor((x0 - first_x) / dx)) - 1)
    i1 = min(n, int(math.ceil((x1 - first_x) / dx)) + 1)
    if i1 <= i0:
        return None
    f = max(1, (i1 - i0) // max(1, px))
    if f > 1:
        i0 = i0 // f * f
        m = -(-(i1 - i0) // f)
        sub = img[:, i0 : min(n, i0 + m * f)]
        if sub.shape[1] < m * f:
            sub = np.concatenate((sub, np.zeros((rows, m * f - sub.shape[1]), img.dtype)), axis=1)
        out = sub.reshape(rows, m, f).max(axis=2)
        return np.ascontiguousarray(out), first_x + i0 * dx, m * f * dx
    return np.ascontiguousarray(img[:, i0:i1]), first_x + i0 * dx, (i1 - i0) * dx
