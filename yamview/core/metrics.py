"""Frames against human labels: hits, misses, false alarms, precision / recall / F1 per class.

The labelled rule (one place, used by every count):
    frame i, whose window is [start_i, start_i + window], is *labelled* with class c when a label
    mapped to c overlaps that window by at least half of the shorter of the two (label or window).
    A point label (start == end) labels the frames whose window contains its instant.
Half of the shorter one means a long label claims the frames it mostly covers (a window
straddling the label's edge by a sliver is not counted), and a short call inside a window still
labels it. Then, per frame and class, with ``predicted = score >= threshold``:
    hit = labelled and predicted, miss = labelled and not predicted,
    false alarm = not labelled and predicted, true negative = neither.

The truth matrix is built once per label set; ``evaluate`` is pure numpy over [frames, classes]
so a GUI can rerun it on every move of a threshold slider.
"""

from __future__ import annotations

import csv
import io
import math
import os
from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np

from yamview.core.events import thresholds_for
from yamview.core.files import read_text, unescape_cell, write_csv
from yamview.core.labels_io import Label

# Outcome codes: predicted + 2 * labelled, so one add builds the whole [frames, classes] map.
TRUE_NEGATIVE, FALSE_ALARM, MISS, HIT = 0, 1, 2, 3


class ThresholdError(ValueError):
    """A thresholds CSV cannot be used; the message names the file and line."""


def label_frames(label: Label, starts: np.ndarray, window: float) -> np.ndarray:
    """bool [frames]: the frames ``label`` labels under the rule in the module docstring."""
    starts = np.asarray(starts, dtype=np.float64)
    overlap = np.minimum(label.end, starts + window) - np.maximum(label.start, starts)
    need = 0.5 * min(label.end - label.start, window)
    # 1e-9 s slack: a label edge computed as 5.0 must match a frame edge of 10 * 0.5.
    return overlap >= need - 1e-9


def truth_matrix(
    labels: Sequence[Label],
    label_classes: Sequence[Sequence[int]],
    starts: np.ndarray,
    window: float,
    n_classes: int,
) -> np.ndarray:
    """bool [frames, classes]; ``label_classes[k]`` are the class indices of ``labels[k]``."""
    truth = np.zeros((len(starts), n_classes), bool)
    for lab, cls in zip(labels, label_classes):  # a loop over labels, vectorised over frames
        if len(cls):
            truth[np.ix_(label_frames(lab, starts, window), np.asarray(cls, np.intp))] = True
    return truth


def outcomes(scores: np.ndarray, truth: np.ndarray, thresholds) -> np.ndarray:
    """int8 [frames, classes] of TRUE_NEGATIVE / FALSE_ALARM / MISS / HIT (for the error lane)."""
    pred = np.asarray(scores) >= thresholds_for(thresholds, truth.shape[1])
    return pred.astype(np.int8) + 2 * truth.astype(np.int8)


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

    labels: list[str]
    thresholds: np.ndarray
    hits: np.ndarray
    misses: np.ndarray
    false_alarms: np.ndarray
    true_negatives: np.ndarray
    precision: np.ndarray
    recall: np.ndarray
    f1: np.ndarray

    def relevant(self) -> np.ndarray:
        """Class indices that were labelled or predicted somewhere: the rows worth showing."""
        return np.flatnonzero(self.hits + self.misses + self.false_alarms > 0)

    def order(self) -> list[int]:
        """The rows to show, in the one order every table uses: labelled classes first (most
        labelled frames first), then classes that only raised false alarms."""
        return sorted((int(i) for i in self.relevant()),
                      key=lambda i: (-(self.hits[i] + self.misses[i]), -self.false_alarms[i], i))

    def micro(self) -> dict:
        """Totals over all classes, and the precision / recall / F1 of those totals."""
        tp, fn, fp = int(self.hits.sum()), int(self.misses.sum()), int(self.false_alarms.sum())
        p = tp / (tp + fp) if tp + fp else math.nan
        r = tp / (tp + fn) if tp + fn else math.nan
        f = math.nan if math.isnan(p) or math.isnan(r) else (2 * p * r / (p + r) if p + r else 0.0)
        return {"hits": tp, "misses": fn, "false_alarms": fp, "precision": p, "recall": r, "f1": f}

    def rows(self, classes: Sequence[int] | None = None) -> list[dict]:
        """One dict per class (default: the relevant ones), in class order."""
        idx = self.relevant() if classes is None else classes
        return [
            {"class": self.labels[i], "threshold": float(self.thresholds[i]),
             "hits": int(self.hits[i]), "misses": int(self.misses[i]),
             "false_alarms": int(self.false_alarms[i]), "true_negatives": int(self.true_negatives[i]),
             "precision": float(self.precision[i]), "recall": float(self.recall[i]), "f1": float(self.f1[i])}
            for i in idx
        ]


def evaluate(scores: np.ndarray, truth: np.ndarray, thresholds, labels: Sequence[str]) -> Metrics:
    """Counts and P/R/F1 per class; ``thresholds`` is one float or one per class."""
    thr = thresholds_for(thresholds, truth.shape[1])
    pred = np.asarray(scores) >= thr
    tp = np.count_nonzero(pred & truth, axis=0)
    fn = np.count_nonzero(truth, axis=0) - tp
    fp = np.count_nonzero(pred, axis=0) - tp
    tn = truth.shape[0] - tp - fn - fp
    precision, recall = _ratio(tp, tp + fp), _ratio(tp, tp + fn)
    # F1 is 0 when both are defined and 0 (all wrong), NaN when either is undefined.
    f1 = np.where(np.isnan(precision) | np.isnan(recall), np.nan, 0.0)
    np.divide(2 * precision * recall, precision + recall, out=f1, where=precision + recall > 0)
    return Metrics(list(labels), thr, tp, fn, fp, tn, precision, recall, f1)


def label_best(scores: np.ndarray, labels: Sequence[Label], starts: np.ndarray, window: float) -> list[tuple[int, float]]:
    """Per label: (class index, mean score) of the best class over the frames it labels;
    (-1, nan) for a label too short to label any frame."""
    out = []
    for lab in labels:
        rows = label_frames(lab, starts, window)
        if not rows.any():
            out.append((-1, math.nan))
            continue
        mean = scores[rows].mean(axis=0)
        best = int(np.argmax(mean))
        out.append((best, float(mean[best])))
    return out


# -- per-class thresholds ----------------------------------------------------------------------------
def thresholds_from(values: Mapping[str, float], labels: Sequence[str], default: float = 0.5) -> np.ndarray:
    """float32 [classes] from {class name: threshold} (names any case); others get ``default``."""
    index = {name.lower(): i for i, name in enumerate(labels)}
    thr = np.full(len(labels), default, np.float32)
    for name, value in values.items():
        if name.lower() not in index:
            raise ThresholdError(f"'{name}' is not a model class")
        thr[index[name.lower()]] = value
    return thr


def thresholds_dict(thresholds, labels: Sequence[str], default: float | None = None) -> dict[str, float]:
    """{class name: threshold}; with ``default``, only the classes that differ from it."""
    thr = thresholds_for(thresholds, len(labels))
    return {n: float(t) for n, t in zip(labels, thr) if default is None or not np.isclose(t, default)}


def save_thresholds(path: str | os.PathLike, thresholds, labels: Sequence[str]) -> None:
    """``class,threshold`` for every class, written atomically."""
    thr = thresholds_for(thresholds, len(labels))
    write_csv(path, ["class", "threshold"], ([name, f"{float(t):.6g}"] for name, t in zip(labels, thr)))


def load_thresholds(path: str | os.PathLike, labels: Sequence[str], default: float = 0.5) -> np.ndarray:
    """float32 [classes]: the file's value for the classes it lists, ``default`` for the rest."""
    text = read_text(path, ThresholdError)
    index = {name.lower(): i for i, name in enumerate(labels)}
    thr = np.full(len(labels), default, np.float32)
    for n, row in enumerate(csv.reader(io.StringIO(text)), 1):
        if not any(c.strip() for c in row):
            continue
        if n == 1 and [c.strip().lower() for c in row[:2]] == ["class", "threshold"]:
            continue
        if len(row) != 2:
            raise ThresholdError(f"{path}, line {n}: expected class,threshold, got {len(row)} columns")
        name = unescape_cell(row[0].strip())
        if name.lower() not in index:
            raise ThresholdError(f"{path}, line {n}: '{name}' is not a model class")
        try:
            value = float(row[1])
        except ValueError:
            raise ThresholdError(f"{path}, line {n}: threshold '{row[1]}' is not a number") from None
        if not 0.0 <= value <= 1.0:
            raise ThresholdError(f"{path}, line {n}: threshold {value:g} is outside [0, 1]")
        thr[index[name.lower()]] = value
    return thr
