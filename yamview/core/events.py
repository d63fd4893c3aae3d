"""Thresholded scores become events: smooth, threshold, merge close runs, drop short ones.

All steps are numpy over [frames, classes]; Python only loops over the (few) events found.
An event spans its frames' cells (``framing.frame_cells``): from halfway between its first frame's
centre and the previous frame's centre to halfway after its last frame's centre, clipped to the
file. Not window to window: windows overlap, so window edges reach half a window into frames
that did not fire, and an exported event read back as a label would claim them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from yamview.core.framing import frame_cells

# Slack for float seconds: hop arithmetic like 2 * hop vs window must not decide a merge.
_EPS = 1e-9


@dataclass(frozen=True)
class Event:
    """One class active from ``start`` to ``end`` (seconds); ``peak`` is the highest raw score.

    ``first``..``last`` are the frames it spans and ``peak_frame`` the one with the peak score
    (-1 when unknown): a view jumping to an event shows the frame that produced it.
    """

    class_index: int
    class_name: str
    start: float
    end: float
    peak: float
    first: int = field(default=-1, compare=False)
    last: int = field(default=-1, compare=False)
    peak_frame: int = field(default=-1, compare=False)

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
    class_names: Sequence[str] | None = None,
    smoothing: int = 1,
    min_duration: float = 0.0,
    merge_gap: float = 0.0,
    classes: Sequence[int] | None = None,
    duration: float | None = None,
) -> list[Event]:
    """Events per class, sorted by start time then class.

    scores: [frames, classes]; starts: frame start times (s); window: frame length (s).
    A frame is active for a class when its smoothed score >= the class's threshold. Runs of active
    frames become events; events of one class whose gap is shorter than ``merge_gap`` are merged;
    then events shorter than
    ``min_duration`` are dropped. ``classes`` limits the search to those class indices;
    ``duration`` (s) clips events to the file (the last window is zero-padded past its end).
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

    lo, hi = frame_cells(starts, window, duration)
    t0 = lo[row_b]
    t1 = hi[row_e - 1]
    # Merge a run into the previous one of the same class when the gap is short enough.
    gap = np.empty_like(t0)
    gap[0], gap[1:] = np.inf, t0[1:] - t1[:-1]
    same = np.concatenate(([False], col_b[1:] == col_b[:-1]))
    new = ~(same & (gap < merge_gap - _EPS))
    group = np.flatnonzero(new)
    g_col = col_b[group]
    g_first = row_b[group]
    g_last = np.append(row_e[group[1:] - 1], row_e[-1]) - 1
    g_t0, g_t1 = lo[g_first], hi[g_last]

    keep = np.flatnonzero((g_t1 - g_t0) >= min_duration - _EPS)
    names = class_names if class_names is not None else [f"class {i}" for i in range(c)]
    events = []
    for k in keep:
        j, a, b = int(g_col[k]), int(g_first[k]), int(g_last[k])
        run = np.where(active[a : b + 1, j], raw[a : b + 1, j], -np.inf)  # not the merged gaps
        p = int(np.argmax(run))
        events.append(Event(int(cols[j]), names[int(cols[j])], float(g_t0[k]), float(g_t1[k]),
                            float(run[p]), a, b, a + p))
    events.sort(key=lambda e: (e.start, e.class_index))
    return events


def events_from_analysis(analysis, threshold, **kwargs) -> list[Event]:
    """``find_events`` on an Analysis (frame starts and the model window come from it)."""
    kwargs.setdefault("duration", analysis.duration)
    return find_events(analysis.scores, analysis.starts, analysis.framing.window_seconds,
                       threshold, class_names=analysis.classes, **kwargs)
