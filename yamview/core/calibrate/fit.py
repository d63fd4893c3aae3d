"""Fit per-class score calibration and thresholds on a labelled set, and check them held out.

Per labelled class, on the frames inside vs outside that class's labels:
- a Platt-style sigmoid on the logit of the raw score (TFLite's INVERSE_LOGISTIC transformation):
  ``calibrated = 1 / (1 + exp(-(slope * logit(score) + offset)))``, a logistic regression with
  one feature, so calibrated scores estimate how often such a frame really is that class
  (a monotonic map: per class it reorders nothing, it puts the scores on one common scale);
- a threshold on the calibrated score for the user's objective (best F1, or the most recall at a
  target precision, or the most precision at a target recall).
Classes with too few labelled frames (or too few frames without them) are left as they are: their
calibration line is the identity (``1,1,0``), their threshold the global one.

"Before" is YAMNet as it ships with one global threshold for every class, chosen for the same
objective on the same training frames (pooled over the labelled classes), so the comparison is
with the best a single threshold can do. The held-out check fits on some recordings and scores
the others (folds by recording, never by frame: neighbouring frames overlap and would leak).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np

from yamview.core.calibrate.dataset import LabelledSet
from yamview.core.metrics import Metrics, evaluate
from yamview.core.tflite.calibration import (
    IDENTITY_SIGMOID,
    ScoreCalibration,
    Sigmoid,
    transform,
)

TRANSFORMATION = "INVERSE_LOGISTIC"
MIN_LABELLED_FRAMES = 10  # per class in the training recordings, and as many unlabelled ones
MAX_FOLDS = 5
RELIABILITY_BINS = 10
L2_C = 1.0  # inverse strength of the slope's L2 penalty (scikit-learn's default C)


class FitError(ValueError):
    """Nothing can be fitted (the message says why)."""


@dataclass(frozen=True)
class Objective:
    """What a threshold is chosen for: ``f1``, or a target ``precision`` or ``recall``."""

    kind: str = "f1"
    target: float | None = None

    @classmethod
    def parse(cls, text: str) -> Objective:
        """``f1``, ``precision=P`` or ``recall=R`` with 0 < P, R <= 1; ValueError otherwise."""
        text = text.strip().lower()
        if text == "f1":
            return cls()
        kind, sep, value = text.partition("=")
        if sep and kind.strip() in ("precision", "recall"):
            try:
                target = float(value)
            except ValueError:
                target = math.nan
            if 0.0 < target <= 1.0:
                return cls(kind.strip(), target)
            raise ValueError(f"the {kind.strip()} target must be a number in (0, 1], got {value!r}")
        raise ValueError(f"unknown objective {text!r}: use f1, precision=P or recall=R")

    def __str__(self) -> str:
        return "best F1" if self.kind == "f1" else f"{self.kind} {self.target:g}"

    def choose(self, scores: np.ndarray, truth: np.ndarray) -> tuple[float, bool]:
        """(threshold, target met) for ``score >= threshold`` on these frames.

        The threshold sits halfway between the chosen score and the next lower one, so it keeps
        the training frames' decisions and does not sit on one frame's exact score.
        """
        order = np.argsort(-scores, kind="stable")
        s, y = scores[order].astype(np.float64), truth[order]
        # Candidate cut after each distinct score (predicted = the first k frames).
        last = np.r_[np.flatnonzero(np.diff(s) != 0), len(s) - 1]
        tp = np.cumsum(y)[last].astype(np.float64)
        k = (last + 1).astype(np.float64)
        positives = float(y.sum())
        precision = tp / k
        recall = tp / positives if positives else np.zeros_like(tp)
        if self.kind == "f1":
            f1 = np.divide(2 * precision * recall, precision + recall,
                           out=np.zeros_like(tp), where=precision + recall > 0)
            i, met = int(np.argmax(f1)), True
        elif self.kind == "precision":
            ok = precision >= float(self.target or 0) - 1e-12
            met = bool(ok.any())
            i = int(np.flatnonzero(ok)[np.argmax(recall[ok])]) if met else int(np.argmax(precision))
        else:
            ok = recall >= float(self.target or 0) - 1e-12
            met = bool(ok.any())
            i = int(np.flatnonzero(ok)[np.argmax(precision[ok])]) if met else len(last) - 1
        chosen = s[last[i]]
        below = s[last[i] + 1] if last[i] + 1 < len(s) else chosen - 1e-3
        return float(np.clip((chosen + below) / 2, 0.0, 1.0)), met


@dataclass
class ClassFit:
    """One class's result: its calibration line (None: left as is) and threshold."""

    index: int
    name: str
    labelled_frames: int
    sigmoid: Sigmoid | None
    threshold: float
    note: str = ""  # why it was left as is, or that the objective's target was not reached


@dataclass
class Fit:
    """A calibration for every class, thresholds for every class, and what was done per class."""

    calibration: ScoreCalibration
    thresholds: np.ndarray  # float32 [classes], on calibrated scores
    global_threshold: float  # the "before" threshold: one for all classes on raw scores
    classes: list[ClassFit]  # the labelled classes, fitted or not
    objective: Objective
    seconds: float = 0.0

    @property
    def fitted(self) -> list[ClassFit]:
        return [c for c in self.classes if c.sigmoid is not None]


def logistic_regression(x: np.ndarray, y: np.ndarray, c: float = L2_C) -> tuple[float, float]:
    """(slope, offset) of scikit-learn's ``LogisticRegression(C=c)`` on one feature: the slope's
    small L2 penalty keeps a perfectly separable class finite; the intercept is not penalised."""
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=c, tol=1e-8, max_iter=1000).fit(np.asarray(x, np.float64).reshape(-1, 1), y)
    return float(model.coef_[0, 0]), float(model.intercept_[0])


def _platt(raw: np.ndarray, truth: np.ndarray) -> Sigmoid:
    slope, offset = logistic_regression(transform(raw, TRANSFORMATION), truth)
    return Sigmoid(1.0, slope, offset)


def fit(data: LabelledSet, objective: Objective | None = None,
        min_frames: int = MIN_LABELLED_FRAMES, recordings: list[int] | None = None) -> Fit:
    """Fit on ``data`` (or only its ``recordings`` by index); FitError if no class can be fitted."""
    t0 = time.perf_counter()
    objective = objective or Objective()
    chosen = [data.recordings[i] for i in (range(len(data.recordings)) if recordings is None else recordings)]
    raw = np.concatenate([r.scores for r in chosen])
    truth = np.concatenate([r.truth for r in chosen])
    n_frames, n_classes = raw.shape
    labelled = data.labelled
    if not labelled:
        raise FitError("no label maps to a model class")
    global_thr, _ = objective.choose(raw[:, labelled].ravel(), truth[:, labelled].ravel())
    sigmoids: list[Sigmoid] = [IDENTITY_SIGMOID] * n_classes
    thresholds = np.full(n_classes, global_thr, np.float32)
    results = []
    for c in labelled:
        pos = int(truth[:, c].sum())
        neg = n_frames - pos
        name = data.classes[c]
        if pos < min_frames or neg < min_frames:
            what = f"{pos} labelled frames" if pos < min_frames else f"only {neg} frames without it"
            results.append(ClassFit(c, name, pos, None, global_thr,
                                    f"left as is: {what} (needs {min_frames})"))
            continue
        sigmoid = _platt(raw[:, c], truth[:, c])
        calibrated = ScoreCalibration(TRANSFORMATION, 0.0, (sigmoid,)).apply(raw[:, c:c + 1])[:, 0]
        thr, met = objective.choose(calibrated, truth[:, c])
        sigmoids[c] = sigmoid
        thresholds[c] = thr
        note = "" if met else f"{objective} not reached on the training frames"
        results.append(ClassFit(c, name, pos, sigmoid, thr, note))
    if not any(r.sigmoid is not None for r in results):
        reasons = "; ".join(f"{r.name}: {r.note}" for r in results[:5])
        raise FitError(f"no class has enough labelled frames to fit ({reasons})")
    calibration = ScoreCalibration(TRANSFORMATION, 0.0, tuple(sigmoids))
    return Fit(calibration, thresholds, global_thr, results, objective, time.perf_counter() - t0)


# -- held-out check --------------------------------------------------------------------------------
@dataclass
class Curves:
    """One class's held-out curves, before (raw) and after (calibrated)."""

    pr_before: tuple[np.ndarray, np.ndarray]  # (recall, precision)
    pr_after: tuple[np.ndarray, np.ndarray]
    reliability_before: tuple[np.ndarray, np.ndarray, np.ndarray]  # (mean predicted, observed, n)
    reliability_after: tuple[np.ndarray, np.ndarray, np.ndarray]
    brier_before: float
    brier_after: float


@dataclass
class HeldOut:
    """Held-out before/after figures per labelled class, and the final fit on all recordings."""

    fit: Fit  # on every recording: what gets exported
    before: Metrics  # raw scores, one global threshold per fold
    after: Metrics  # calibrated scores, per-class thresholds per fold
    curves: dict[int, Curves]
    folds: int  # 0: fewer than two recordings, figures are in-sample
    classes: list[int]  # the labelled classes the figures are about
    notes: list[str] = field(default_factory=list)

    @property
    def in_sample(self) -> bool:
        return self.folds == 0

    def mean_f1(self, which: str) -> float:
        """Mean F1 over the fitted classes (NaN counts as 0: a class never found is a miss)."""
        m = self.before if which == "before" else self.after
        fitted = [c.index for c in self.fit.fitted]
        return float(np.mean(np.nan_to_num(m.f1[fitted]))) if fitted else math.nan


def folds_by_recording(n: int, k: int = MAX_FOLDS) -> list[list[int]]:
    """Recording indices split into ``min(k, n)`` folds of near-equal size (round robin)."""
    k = min(k, n)
    return [list(range(i, n, k)) for i in range(k)]


def held_out(data: LabelledSet, objective: Objective | None = None,
             min_frames: int = MIN_LABELLED_FRAMES, max_folds: int = MAX_FOLDS) -> HeldOut:
    """Fit on all recordings but one fold, score that fold; every recording is held out once.

    With a single recording there is nothing to hold out: the figures are in-sample, and say so.
    """
    objective = objective or Objective()
    final = fit(data, objective, min_frames)
    n = len(data.recordings)
    notes = []
    pieces = []  # per held-out recording: (raw, calibrated, before_pred, after_pred, truth)
    if n < 2:
        folds = 0
        notes.append("one recording only: the figures are in-sample, not held out "
                     "(give two or more recordings for a held-out check)")
        rec = data.recordings[0]
        pieces.append(_score(rec.scores, rec.truth, final))
    else:
        splits = folds_by_recording(n, max_folds)
        folds = len(splits)
        for test in splits:
            train = [i for i in range(n) if i not in test]
            try:
                fold_fit = fit(data, objective, min_frames, train)
            except FitError:  # this fold's training part is too small: its recordings stay raw
                fold_fit = _unfitted(data, objective, train)
            for i in test:
                rec = data.recordings[i]
                pieces.append(_score(rec.scores, rec.truth, fold_fit))
    raw = np.concatenate([p[0] for p in pieces])
    cal = np.concatenate([p[1] for p in pieces])
    before_pred = np.concatenate([p[2] for p in pieces])
    after_pred = np.concatenate([p[3] for p in pieces])
    truth = np.concatenate([p[4] for p in pieces])
    # Decisions made per fold, so evaluate them as 0/1 scores at threshold 0.5.
    before = evaluate(before_pred.astype(np.float32), truth, 0.5, data.classes)
    after = evaluate(after_pred.astype(np.float32), truth, 0.5, data.classes)
    before.thresholds = np.full(len(data.classes), final.global_threshold, np.float32)
    after.thresholds = final.thresholds.copy()
    classes = [c.index for c in final.classes]
    curves = {c: _curves(raw[:, c], cal[:, c], truth[:, c]) for c in classes}
    return HeldOut(final, before, after, curves, folds, classes, notes)


def _unfitted(data: LabelledSet, objective: Objective, train: list[int]) -> Fit:
    raw = np.concatenate([data.recordings[i].scores for i in train])
    truth = np.concatenate([data.recordings[i].truth for i in train])
    lab = data.labelled
    thr, _ = objective.choose(raw[:, lab].ravel(), truth[:, lab].ravel())
    n = raw.shape[1]
    return Fit(ScoreCalibration.identity(n), np.full(n, thr, np.float32), thr, [], objective)


def _score(raw: np.ndarray, truth: np.ndarray, f: Fit):
    cal = f.calibration.apply(raw)
    return raw, cal, raw >= f.global_threshold, cal >= f.thresholds, truth


def pr_curve(scores: np.ndarray, truth: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(recall, precision) at every distinct threshold, from the highest score down."""
    order = np.argsort(-scores, kind="stable")
    s, y = scores[order], truth[order]
    last = np.r_[np.flatnonzero(np.diff(s) != 0), len(s) - 1]
    tp = np.cumsum(y)[last].astype(np.float64)
    positives = max(1.0, float(y.sum()))
    return tp / positives, tp / (last + 1)


def reliability(scores: np.ndarray, truth: np.ndarray, bins: int = RELIABILITY_BINS
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per equal-width score bin: mean predicted score, observed rate of the class, frame count
    (NaN for empty bins). A calibrated class lies on the diagonal."""
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(scores, edges[1:-1]), 0, bins - 1)
    count = np.bincount(which, minlength=bins).astype(np.float64)
    mean = np.bincount(which, weights=scores, minlength=bins)
    hits = np.bincount(which, weights=truth.astype(np.float64), minlength=bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        return mean / count, hits / count, count.astype(np.int64)


def _curves(raw: np.ndarray, cal: np.ndarray, truth: np.ndarray) -> Curves:
    y = truth.astype(np.float64)
    return Curves(pr_curve(raw, truth), pr_curve(cal, truth), reliability(raw, truth),
                  reliability(cal, truth), float(np.mean((raw - y) ** 2)), float(np.mean((cal - y) ** 2)))
