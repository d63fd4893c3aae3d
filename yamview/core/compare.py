"""A/B: two models (or one model with other kernels, hop or head) on the frames of one file.

Everything is by class *name*, so a model with other class names (a custom head) compares on
the classes the two share. Everything is on A's frames: when B scored other frames (another
hop, or a model with another window such as BirdNET's 3 s), each A frame takes the B frame whose
centre is nearest to its own (``Comparison.aligned``); B's metrics are then those of B's scores
read on A's frames, so the two columns count the same frames against the same labels.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from yamview.core import metrics as metrics_mod
from yamview.core.analysis import Analysis
from yamview.core.events import thresholds_for


class CompareError(ValueError):
    """The two analyses cannot be compared frame by frame; the message says why."""


@dataclass
class Comparison:
    a: Analysis
    b: Analysis
    classes: list[str]  # the class names both models have, in A's order
    top_a: np.ndarray  # int [frames]: A's top class (index into A's classes)
    top_b: np.ndarray  # int [frames]: B's top class (index into B's classes)
    top_differs: np.ndarray  # bool [frames]: the top class names differ
    labelled_differs: np.ndarray  # bool [frames]: a labelled class is a hit for one, a miss for the other
    metrics_a: metrics_mod.Metrics | None  # on the shared classes, in ``classes`` order
    metrics_b: metrics_mod.Metrics | None
    aligned: bool = False  # B scored other frames: read at the B frame nearest each A frame

    @property
    def disagreement(self) -> np.ndarray:
        """bool [frames]: the disagreement lane."""
        return self.top_differs | self.labelled_differs

    @property
    def top1_agreement(self) -> float:
        return float(1.0 - self.top_differs.mean()) if len(self.top_differs) else math.nan

    @staticmethod
    def ms_per_frame(a: Analysis) -> float:
        """Inference time per frame (ms); NaN when unknown (a result loaded from an old cache)."""
        return 1000 * a.timings.inference / a.n_frames if a.n_frames and a.timings.inference else math.nan

    def rows(self) -> list[dict]:
        """Per class labelled or predicted by either model: P / R / F1 of A and B and B - A."""
        if self.metrics_a is None or self.metrics_b is None:
            return []
        ma, mb = self.metrics_a, self.metrics_b
        idx = sorted(set(ma.relevant().tolist()) | set(mb.relevant().tolist()),
                     key=lambda i: (-(ma.hits[i] + ma.misses[i]), -(ma.false_alarms[i] + mb.false_alarms[i]), i))
        out = []
        for i in idx:
            row = {"class": self.classes[i], "labelled": int(ma.hits[i] + ma.misses[i])}
            for key in ("precision", "recall", "f1"):
                va, vb = float(getattr(ma, key)[i]), float(getattr(mb, key)[i])
                row[f"{key}_a"], row[f"{key}_b"], row[f"d_{key}"] = va, vb, vb - va
            out.append(row)
        return out


def compare(a: Analysis, b: Analysis, truth: np.ndarray | None = None, thresholds=0.3,
            any_of: metrics_mod.AnyOfGroups | None = None) -> Comparison:
    """Compare ``b`` with ``a`` frame by frame; ``truth`` (bool [frames, A's classes]) adds the
    labelled lane and per-class metrics. ``thresholds`` is one value or one per A class."""
    if not a.n_frames or not b.n_frames:
        raise CompareError("one of the analyses has no frames")
    at = nearest_frames(a, b)
    aligned = not (a.n_frames == b.n_frames and a.framing.window_seconds == b.framing.window_seconds
                   and np.allclose(a.starts, b.starts))
    scores_b = b.scores[at] if aligned else b.scores
    index_b = {name: j for j, name in enumerate(b.classes)}
    shared = [i for i, name in enumerate(a.classes) if name in index_b]
    if not shared:
        raise CompareError("the two models have no class name in common")
    cols_a = np.array(shared, np.intp)
    cols_b = np.array([index_b[a.classes[i]] for i in shared], np.intp)
    names = [a.classes[i] for i in shared]
    top_a, top_b = a.scores.argmax(axis=1), scores_b.argmax(axis=1)
    names_a, names_b = np.array(a.classes, object), np.array(b.classes, object)
    top_differs = names_a[top_a] != names_b[top_b]
    labelled = np.zeros(a.n_frames, bool)
    ma = mb = None
    if truth is not None:
        thr = thresholds_for(thresholds, len(a.classes))[cols_a]
        sa, sb = a.scores[:, cols_a], scores_b[:, cols_b]
        # any-of labels are resolved in A's class space, then cut to the shared classes
        pred_a = a.scores >= thresholds_for(thresholds, len(a.classes))
        t_a = metrics_mod.resolve_truth(truth, pred_a, any_of)[:, cols_a]
        remap = {int(c): k for k, c in enumerate(cols_a)}
        groups = [(rows, tuple(remap[c] for c in cls if c in remap)) for rows, cls in (any_of or [])]
        groups = [(r, c) for r, c in groups if c]
        t = truth[:, cols_a]
        ma = metrics_mod.evaluate(sa, t, thr, names, any_of=groups)
        mb = metrics_mod.evaluate(sb, t, thr, names, any_of=groups)
        hit_a, hit_b = (sa >= thr) & t_a, (sb >= thr) & metrics_mod.resolve_truth(t, sb >= thr, groups)
        on = t_a.any(axis=0)
        labelled = (hit_a[:, on] != hit_b[:, on]).any(axis=1)
    return Comparison(a, b, names, top_a, top_b, top_differs, labelled, ma, mb, aligned)


def nearest_frames(a: Analysis, b: Analysis) -> np.ndarray:
    """int [A's frames]: for each A frame, the B frame whose centre is nearest (ties: the earlier)."""
    centre_a = a.starts + a.framing.window_seconds / 2
    centre_b = b.starts + b.framing.window_seconds / 2
    right = np.clip(np.searchsorted(centre_b, centre_a), 0, b.n_frames - 1)
    left = np.clip(right - 1, 0, b.n_frames - 1)
    return np.where(np.abs(centre_b[left] - centre_a) <= np.abs(centre_b[right] - centre_a), left, right)
