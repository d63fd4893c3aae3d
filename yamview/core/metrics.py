"""Frames against human labels: hits, misses, false alarms, precision / recall / F1 per class.

The labelled rule (one place, used by every count):
    each frame stands for its *cell* (``framing.frame_cells``): the stretch of time nearer its
    centre than any other frame's centre (at 50 % overlap, the middle half of its window, the
    first and last cells reaching to the file's ends). Frame i is *labelled* with class c when a
    label mapped to c overlaps its cell by at least half of the shorter of the two (label or
    cell). A point label (start == end) labels the frame whose cell contains its instant.
For long labels this is "the frame's centre lies inside the label", as with windows; a short
call labels the frame nearest to it. Cells tile the file, so an event (a union of cells, see
events.py) exported as a label and read back labels exactly the frames that made it: the
app's own exports round-trip with no errors. Then, per frame and class, with
``predicted = score >= threshold``:
    hit = labelled and predicted, miss = labelled and not predicted,
    false alarm = not labelled and predicted, true negative = neither.

Two readings of "right" besides the exact one:
    any of: a label mapped to ``AnyOf`` classes ("Dog | Bark") is a hit on the frames where any
        one of them fires (those that fire are hits, the others are not misses); where none
        fires it is one miss, on its first class.
    lenient (ontology-aware): a miss is a *lenient hit* when a relative of the labelled class
        (an ancestor or descendant in the AudioSet ontology, e.g. Vehicle for Helicopter) fires
        on that frame; a false alarm is *explained* when a relative of it is labelled there.
        Both are counted apart from the exact counts, which they never change.

The truth matrix is built once per label set; ``evaluate`` is pure numpy over [frames, classes]
so a GUI can rerun it on every move of a threshold slider.
"""

from __future__ import annotations

import bisect
import math
import os
from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np

from yamview.core.events import thresholds_for
from yamview.core.files import read_csv_rows, read_text, unescape_cell, write_csv
from yamview.core.framing import frame_cells
from yamview.core.labels_io import AnyOf, Label
from yamview.core.limits import shorten

# Outcome codes: predicted + 2 * labelled, so one add builds the whole [frames, classes] map.
TRUE_NEGATIVE, FALSE_ALARM, MISS, HIT = 0, 1, 2, 3


class ThresholdError(ValueError):
    """A thresholds CSV cannot be used; the message names the file and line."""


def label_frames(label: Label, starts: np.ndarray, window: float, duration: float | None = None) -> np.ndarray:
    """bool [frames]: the frames ``label`` labels under the rule in the module docstring."""
    return _labelled(label, *frame_cells(starts, window, duration))


def _labelled(label: Label, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    overlap = np.minimum(label.end, hi) - np.maximum(label.start, lo)
    need = 0.5 * np.minimum(label.end - label.start, hi - lo)
    # 1e-9 s slack: a label edge written as 5.0 must match a cell edge computed as 10 * 0.5.
    return overlap >= need - 1e-9


def truth_matrix(
    labels: Sequence[Label],
    label_classes: Sequence[Sequence[int]],
    starts: np.ndarray,
    window: float,
    n_classes: int,
    duration: float | None = None,
) -> np.ndarray:
    """bool [frames, classes]; ``label_classes[k]`` are the class indices of ``labels[k]``.

    ``AnyOf`` labels are left out: they depend on the scores (``any_of_groups``, ``evaluate``).
    """
    truth = np.zeros((len(starts), n_classes), bool)
    lo, hi = frame_cells(starts, window, duration)
    for lab, cls in zip(labels, label_classes):  # a loop over labels, vectorised over frames
        if len(cls) and not isinstance(cls, AnyOf):
            rows = _labelled(lab, lo, hi)
            truth[np.ix_(rows, np.asarray(cls, np.intp))] = True
    return truth


AnyOfGroups = list[tuple[np.ndarray, tuple[int, ...]]]


def any_of_groups(
    labels: Sequence[Label],
    label_classes: Sequence[Sequence[int]],
    starts: np.ndarray,
    window: float,
    duration: float | None = None,
) -> AnyOfGroups:
    """(frames it labels: bool [frames], its classes) for every ``AnyOf`` label."""
    lo, hi = frame_cells(starts, window, duration)
    return [(_labelled(lab, lo, hi), tuple(cls)) for lab, cls in zip(labels, label_classes)
            if isinstance(cls, AnyOf) and len(cls)]


def resolve_truth(truth: np.ndarray, pred: np.ndarray, any_of: AnyOfGroups | None) -> np.ndarray:
    """``truth`` plus the any-of labels, given what was predicted (see the module docstring)."""
    if not any_of:
        return truth
    out = truth.copy()
    for rows, cls in any_of:
        rows = rows[: len(pred)]
        idx = np.asarray(cls, np.intp)
        fired = pred[rows][:, idx]
        sub = fired.copy()
        sub[~fired.any(axis=1), 0] = True  # none fired: one miss, on the first class
        out[np.ix_(np.flatnonzero(rows), idx)] |= sub
    return out


def outcomes(scores: np.ndarray, truth: np.ndarray, thresholds, any_of: AnyOfGroups | None = None) -> np.ndarray:
    """int8 [frames, classes] of TRUE_NEGATIVE / FALSE_ALARM / MISS / HIT (for the error lane)."""
    pred = np.asarray(scores) >= thresholds_for(thresholds, truth.shape[1])
    truth = resolve_truth(truth, pred, any_of)
    return pred.astype(np.int8) + 2 * truth.astype(np.int8)


@dataclass(frozen=True)
class Region:
    """A run of frames ``first``..``last`` with the same error ``kind`` (MISS or FALSE_ALARM)
    for one class: what N / P step through, one mistake at a time."""

    kind: int
    class_index: int
    first: int
    last: int

    @property
    def frames(self) -> int:
        return self.last - self.first + 1


def error_regions(codes: np.ndarray, classes: Sequence[int] | None = None) -> list[Region]:
    """Every error region of ``codes`` (optionally only those classes), by first frame then class."""
    cols = np.arange(codes.shape[1]) if classes is None else np.asarray(classes, np.intp)
    out = []
    for kind in (MISS, FALSE_ALARM):
        on = codes[:, cols] == kind
        busy = np.flatnonzero(on.any(axis=0))  # only columns with errors: cheap for 521 classes
        if not len(busy):
            continue
        edges = np.diff(np.pad(on[:, busy], ((1, 1), (0, 0))).astype(np.int8), axis=0)
        col_b, row_b = np.nonzero(edges.T == 1)
        _, row_e = np.nonzero(edges.T == -1)
        out += [Region(kind, int(cols[busy[c]]), int(a), int(b) - 1) for c, a, b in zip(col_b, row_b, row_e)]
    out.sort(key=lambda r: (r.first, r.class_index, r.kind))
    return out


def next_region(regions: Sequence[Region], frame: int, step: int = 1) -> Region | None:
    """The first region starting after ``frame`` (step 1), or the last starting before it (-1)."""
    firsts = [r.first for r in regions]
    if step > 0:
        i = bisect.bisect_right(firsts, frame)
        return regions[i] if i < len(regions) else None
    i = bisect.bisect_left(firsts, frame) - 1
    return regions[i] if i >= 0 else None


def next_error(codes: np.ndarray, frame: int, step: int = 1, classes: Sequence[int] | None = None) -> int | None:
    """The next (step=1) or previous (step=-1) frame after ``frame`` with a miss or false alarm."""
    sub = codes if classes is None else codes[:, np.asarray(classes, np.intp)]
    bad = np.flatnonzero(((sub == MISS) | (sub == FALSE_ALARM)).any(axis=1))
    if step > 0:
        i = np.searchsorted(bad, frame, side="right")
        return int(bad[i]) if i < len(bad) else None
    i = np.searchsorted(bad, frame, side="left") - 1
    return int(bad[i]) if i >= 0 else None


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """num / den, NaN where den == 0 (undefined, not zero: the table shows a dash)."""
    out = np.full(num.shape, np.nan)
    np.divide(num, den, out=out, where=den > 0)
    return out


@dataclass
class Metrics:
    """Per-class counts (int [classes]) and ratios (float [classes], NaN when undefined)."""

    classes: list[str]
    thresholds: np.ndarray
    hits: np.ndarray
    misses: np.ndarray
    false_alarms: np.ndarray
    true_negatives: np.ndarray
    precision: np.ndarray
    recall: np.ndarray
    f1: np.ndarray
    # Ontology-aware counts (zeros without an ontology): misses a relative covered, false alarms
    # a labelled relative explains.
    lenient_hits: np.ndarray = None  # type: ignore[assignment]  # None: zeros, set below
    explained: np.ndarray = None  # type: ignore[assignment]

    def __post_init__(self) -> None:
        zero = np.zeros(len(self.classes), np.int64)
        if self.lenient_hits is None:
            self.lenient_hits = zero
        if self.explained is None:
            self.explained = zero.copy()

    def labelled(self) -> list[int]:
        """Classes with labelled frames (hits or misses), in class order."""
        return [int(i) for i in np.flatnonzero(self.hits + self.misses > 0)]

    def relevant(self) -> np.ndarray:
        """Class indices that were labelled or predicted somewhere: the rows worth showing."""
        return np.flatnonzero(self.hits + self.misses + self.false_alarms > 0)

    def order(self) -> list[int]:
        """The rows to show, in the one order every table uses: labelled classes first (most
        labelled frames first), then classes that only raised false alarms."""
        return sorted((int(i) for i in self.relevant()),
                      key=lambda i: (-(self.hits[i] + self.misses[i]), -self.false_alarms[i], i))

    def micro(self, classes: Sequence[int] | None = None) -> dict:
        """Totals over all classes (or the given ones), and the precision / recall / F1 of those
        totals; ``lenient_*`` count lenient hits and explained false alarms as right."""
        idx = slice(None) if classes is None else np.asarray(classes, np.intp)
        tp, fn, fp = (int(x[idx].sum()) for x in (self.hits, self.misses, self.false_alarms))
        lh, ex = int(self.lenient_hits[idx].sum()), int(self.explained[idx].sum())
        p, r, f = _prf(tp, tp + fp, tp, tp + fn)
        lp, lr, lf = _prf(tp + ex, tp + fp, tp + lh, tp + fn)
        return {"hits": tp, "misses": fn, "false_alarms": fp, "precision": p, "recall": r, "f1": f,
                "lenient_hits": lh, "explained": ex, "lenient_precision": lp, "lenient_recall": lr,
                "lenient_f1": lf}

    def macro(self, classes: Sequence[int]) -> dict:
        """Unweighted means of the per-class precision, recall and F1 over ``classes`` (classes
        where a ratio is undefined are left out of that mean); NaN for no classes."""
        idx = np.asarray(classes, np.intp)
        out: dict[str, float] = {"classes": len(idx)}
        for name, values in (("precision", self.precision), ("recall", self.recall), ("f1", self.f1),
                             ("lenient_recall", self.lenient_recall()), ("lenient_precision", self.lenient_precision())):
            v = values[idx]
            v = v[~np.isnan(v)]
            out[name] = float(v.mean()) if len(v) else math.nan
        return out

    def lenient_recall(self) -> np.ndarray:
        return _ratio(self.hits + self.lenient_hits, self.hits + self.misses)

    def lenient_precision(self) -> np.ndarray:
        return _ratio(self.hits + self.explained, self.hits + self.false_alarms)

    def rows(self, classes: Sequence[int] | None = None) -> list[dict]:
        """One dict per class (default: the relevant ones), in class order."""
        idx = self.relevant() if classes is None else classes
        lp, lr = self.lenient_precision(), self.lenient_recall()
        return [
            {"class": self.classes[i], "threshold": float(self.thresholds[i]),
             "hits": int(self.hits[i]), "misses": int(self.misses[i]),
             "false_alarms": int(self.false_alarms[i]), "true_negatives": int(self.true_negatives[i]),
             "precision": float(self.precision[i]), "recall": float(self.recall[i]), "f1": float(self.f1[i]),
             "lenient_hits": int(self.lenient_hits[i]), "explained": int(self.explained[i]),
             "lenient_precision": float(lp[i]), "lenient_recall": float(lr[i])}
            for i in idx
        ]


def _prf(tp_p: int, pred: int, tp_r: int, true: int) -> tuple[float, float, float]:
    """Precision tp_p / pred, recall tp_r / true, F1 of the two; NaN where undefined."""
    p = tp_p / pred if pred else math.nan
    r = tp_r / true if true else math.nan
    f = math.nan if math.isnan(p) or math.isnan(r) else (2 * p * r / (p + r) if p + r else 0.0)
    return p, r, f


def relatives(lo, n_classes: int) -> np.ndarray:
    """bool [classes, classes]: [c, r] when r is an ancestor or a descendant of c (not c itself),
    from a ``ClassOntology``; a symmetric relation, since c is then a descendant or ancestor of r."""
    rel = np.zeros((n_classes, n_classes), bool)
    index = {name: i for i, name in enumerate(lo.classes[:n_classes])}
    for c, name in enumerate(lo.classes[:n_classes]):
        for other in (*lo.ancestors(name), *lo.descendants(name)):
            r = index.get(other)
            if r is not None and r != c:
                rel[c, r] = rel[r, c] = True
    return rel


def evaluate(scores: np.ndarray, truth: np.ndarray, thresholds, classes: Sequence[str],
             any_of: AnyOfGroups | None = None, related: np.ndarray | None = None) -> Metrics:
    """Counts and P/R/F1 per class; ``thresholds`` is one float or one per class.

    ``any_of`` from ``any_of_groups``; ``related`` (from ``relatives``) adds the lenient counts.
    """
    thr = thresholds_for(thresholds, truth.shape[1])
    pred = np.asarray(scores) >= thr
    truth = resolve_truth(truth, pred, any_of)
    tp = np.count_nonzero(pred & truth, axis=0)
    fn = np.count_nonzero(truth, axis=0) - tp
    fp = np.count_nonzero(pred, axis=0) - tp
    tn = truth.shape[0] - tp - fn - fp
    precision, recall = _ratio(tp, tp + fp), _ratio(tp, tp + fn)
    # F1 is 0 when both are defined and 0 (all wrong), NaN when either is undefined.
    f1 = np.where(np.isnan(precision) | np.isnan(recall), np.nan, 0.0)
    np.divide(2 * precision * recall, precision + recall, out=f1, where=precision + recall > 0)
    lenient = _lenient(pred, truth, related) if related is not None else (None, None)
    return Metrics(list(classes), thr, tp, fn, fp, tn, precision, recall, f1, *lenient)


def _lenient(pred: np.ndarray, truth: np.ndarray, related: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(lenient hits, explained false alarms) per class; only labelled classes' columns are
    touched, so a slider can rerun it on an hour of frames."""
    n = truth.shape[1]
    lenient, explained = np.zeros(n, np.int64), np.zeros(n, np.int64)
    labelled = np.flatnonzero(truth.any(axis=0))
    if not len(labelled):
        return lenient, explained
    for c in labelled:
        near = pred[:, related[c]].any(axis=1)
        lenient[c] = np.count_nonzero(truth[:, c] & ~pred[:, c] & near)
    # A false alarm of r is explained where a labelled relative of r is labelled.
    rel_labelled = truth[:, labelled].astype(np.int32) @ related[labelled].astype(np.int32) > 0
    explained[:] = np.count_nonzero(pred & ~truth & rel_labelled, axis=0)
    return lenient, explained


def label_best(scores: np.ndarray, labels: Sequence[Label], starts: np.ndarray, window: float,
               duration: float | None = None) -> list[tuple[int, float]]:
    """Per label: (class index, mean score) of the best class over the frames it labels;
    (-1, nan) for a label too short to label any frame."""
    out = []
    for lab in labels:
        rows = label_frames(lab, starts, window, duration)
        if not rows.any():
            out.append((-1, math.nan))
            continue
        mean = scores[rows].mean(axis=0)
        best = int(np.argmax(mean))
        out.append((best, float(mean[best])))
    return out


# -- per-class thresholds ----------------------------------------------------------------------------
def thresholds_from(values: Mapping[str, float], classes: Sequence[str], default: float = 0.5) -> np.ndarray:
    """float32 [classes] from {class name: threshold} (names any case); others get ``default``."""
    index = {name.lower(): i for i, name in enumerate(classes)}
    thr = np.full(len(classes), default, np.float32)
    for name, value in values.items():
        if name.lower() not in index:
            raise ThresholdError(f"'{name}' is not a model class")
        thr[index[name.lower()]] = value
    return thr


def thresholds_dict(thresholds, classes: Sequence[str], default: float | None = None) -> dict[str, float]:
    """{class name: threshold}; with ``default``, only the classes that differ from it."""
    thr = thresholds_for(thresholds, len(classes))
    return {n: float(t) for n, t in zip(classes, thr) if default is None or not np.isclose(t, default)}


def save_thresholds(path: str | os.PathLike, thresholds, classes: Sequence[str]) -> None:
    """``class,threshold`` for every class, written atomically."""
    thr = thresholds_for(thresholds, len(classes))
    write_csv(path, ["class", "threshold"], ([name, f"{float(t):.6g}"] for name, t in zip(classes, thr)))


def load_thresholds(path: str | os.PathLike, classes: Sequence[str], default: float = 0.5) -> np.ndarray:
    """float32 [classes]: the file's value for the classes it lists, ``default`` for the rest."""
    text = read_text(path, ThresholdError)
    index = {name.lower(): i for i, name in enumerate(classes)}
    thr = np.full(len(classes), default, np.float32)
    for n, row in enumerate(read_csv_rows(text, path, ThresholdError), 1):
        if not any(c.strip() for c in row):
            continue
        if n == 1 and [c.strip().lower() for c in row[:2]] == ["class", "threshold"]:
            continue
        if len(row) != 2:
            raise ThresholdError(f"{path}, line {n}: expected class,threshold, got {len(row)} columns")
        name = unescape_cell(row[0].strip())
        if name.lower() not in index:
            raise ThresholdError(f"{path}, line {n}: '{shorten(name)}' is not a model class")
        try:
            value = float(row[1])
        except ValueError:
            raise ThresholdError(f"{path}, line {n}: threshold '{shorten(row[1])}' is not a number") from None
        if not 0.0 <= value <= 1.0:
            raise ThresholdError(f"{path}, line {n}: threshold {value:g} is outside [0, 1]")
        thr[index[name.lower()]] = value
    return thr
