"""Thresholded scores become events: smooth, threshold, merge close runs, drop short ones.

All steps are numpy over [frames, classes]; Python only loops over the (few) events found.
An event spans from the start of its first frame to the end of its last frame's window.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

# Slack for float seconds: hop arithmetic like 2 * 0.4875 vs 0.975 must not decide a merge.
_EPS = 1e-9


@dataclass(frozen=True)
class Event:
    """One class active from ``start`` to ``end`` (seconds); ``peak`` is the highest raw score."""

    class_index: int
    label: str
    start: float
    end: float
    peak: float

    @property
    def duration(self) -> float:
        return self.end - self.start


def smooth(scores: np.ndarray, k: int) -> np.ndarray:
    """Centred moving average over ``k`` frames along axis 0, same shape.

    At the edges the mean is over the frames that exist (no zero padding), so a sound at the very
    start of a file is not weakened. ``k`` <= 1 returns the scores unchanged.
    """
    scores = np.asarray(scores, dtype=np.float32)
    k = int(k)
    if k <= 1 or len(scores) == 0:
        return scores
    n = len(scores)
    cs = np.zeros((n + 1,) + scores.shape[1:], np.float64)  # float64: no drift on long files
    np.cumsum(scores, axis=0, out=cs[1:])
    i = np.arange(n)
    hi = np.minimum(i + k // 2 + 1, n)
    lo = np.maximum(i - (k - 1) // 2, 0)
    count = (hi - lo).reshape((n,) + (1,) * (scores.ndim - 1))
    return ((cs[hi] - cs[lo]) / count).astype(np.float32)


def thresholds_for(threshold: float | Sequence[float] | np.ndarray, n_classes: int) -> np.ndarray:
    """A global threshold or one per class, as float32 [n_classes]."""
    t = np.asarray(threshold, dtype=np.float32)
    if t.ndim == 0:
        return np.full(n_classes, float(t), np.float32)
    if t.shape != (n_classes,):
        raise ValueError(f"need one threshold per class ({n_classes}), got shape {t.shape}")
    return t


def find_events(
    scores: np.ndarray,
    starts: np.ndarray,
    window: float,
    threshold: float | Sequence[float] | np.ndarray,
    labels: Sequence[str] | None = None,
    smoothing: int = 1,
    min_duration: float = 0.0,
    merge_gap: float = 0.0,
    classes: Sequence[int] | None = None,
) -> list[Event]:
    """Events per class, sorted by start time then class.

    scores: [frames, classes]; starts: frame start times (s); window: frame length (s).
    A frame is active for a class when its smoothed score >= the class's threshold. Runs of active
    frames become events; events of one class whose gap is shorter than ``merge_gap`` (or that
    overlap, which overlapping windows cause) are merged; then events shorter than
    ``min_duration`` are dropped. ``classes`` limits the search to those class indices.
    """
    scores = np.asarray(scores, dtype=np.float32)
    starts = np.asarray(starts, dtype=np.float64)
    n, c = scores.shape
    if len(starts) != n:
        raise ValueError(f"{len(starts)} start times for {n} frames")
    cols = np.arange(c) if classes is None else np.asarray(classes, dtype=np.intp)
    if n == 0 or len(cols) == 0:
        return []
    thr = thresholds_for(threshold, c)[cols]
    raw = scores[:, cols]
    active = smooth(raw, smoothing) >= thr

    # Run edges per column: +1 where a run begins, -1 one past its end. Column-major order
    # groups each class's runs together, sorted by time.
    edges = np.diff(np.pad(active, ((1, 1), (0, 0))).astype(np.int8), axis=0)
    col_b, row_b = np.nonzero(edges.T == 1)
    _, row_e = np.nonzero(edges.T == -1)  # same order: k-th begin pairs with k-th end
    if len(row_b) == 0:
        return []

    # Peak raw score of each run in one reduceat over the class-major flattened scores.
    flat = np.append(raw.T.ravel(), np.float32(0))
    bounds = np.column_stack((col_b * n + row_b, col_b * n + row_e)).ravel()
    peak = np.maximum.reduceat(flat, bounds)[::2]

    t0 = starts[row_b]
    t1 = starts[row_e - 1] + window
    # Merge a run into the previous one of the same class when the gap is short enough.
    gap = np.empty_like(t0)
    gap[0], gap[1:] = np.inf, t0[1:] - t1[:-1]
    same = np.concatenate(([False], col_b[1:] == col_b[:-1]))
    new = ~(same & (gap < merge_gap - _EPS))
    group = np.flatnonzero(new)
    g_col = col_b[group]
    g_t0 = t0[group]
    g_t1 = np.maximum.reduceat(t1, group)
    g_peak = np.maximum.reduceat(peak, group)

    keep = (g_t1 - g_t0) >= min_duration - _EPS
    names = labels if labels is not None else [f"class {i}" for i in range(c)]
    events = [
        Event(int(cols[k]), names[int(cols[k])], float(a), float(b), float(p))
        for k, a, b, p in zip(g_col[keep], g_t0[keep], g_t1[keep], g_peak[keep])
    ]
    events.sort(key=lambda e: (e.start, e.class_index))
    return events


def events_from_analysis(analysis, threshold, **kwargs) -> list[Event]:
    """``find_events`` on an Analysis (frame starts and the model window come from it)."""
    return find_events(analysis.scores, analysis.starts, analysis.framing.window_seconds,
                       threshold, labels=analysis.labels, **kwargs)
