"""Train a classification head on frame embeddings and evaluate it by recording.

The head is scikit-learn's multinomial LogisticRegression on standardised embeddings; the
standardisation is folded into the weights afterwards, so the exported head is one dense layer
plus softmax on the raw embedding: exactly what ``tflite.add_head`` appends to the graph.

Balance: every recording weighs the same within its class, and every class the same in all,
whatever the number and length of its recordings (a 60 s take must not outvote five 2 s ones).
Evaluation: folds never split a recording (StratifiedGroupKFold), so the figures say how the head
does on recordings it has never heard, not on neighbouring frames of the same take.
"""

from __future__ import annotations

import importlib

import math
import time
import warnings
from dataclasses import dataclass, field

import numpy as np

from .embed import Embeddings

# Inverse regularisation strength on standardised features. Measured on ESC-10 (4 training clips
# per class, 5-fold by recording): 0.01..1 all within 2 points; smaller C generalises better with
# few recordings and trains faster.
DEFAULT_C = 0.1
ACTIVATION = "softmax"


@dataclass(frozen=True)
class TrainedHead:
    """A dense layer for the embedding: ``softmax(weights @ embedding + bias)``."""

    classes: tuple[str, ...]
    weights: np.ndarray  # float32 [classes, embedding size]
    bias: np.ndarray  # float32 [classes]
    train_seconds: float = 0.0
    frames: int = 0

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        """Scores per frame (float32 [frames, classes]), as the exported model computes them."""
        logits = np.asarray(x, np.float32) @ self.weights.T + self.bias
        logits -= logits.max(axis=-1, keepdims=True)
        e = np.exp(logits)
        return (e / e.sum(axis=-1, keepdims=True)).astype(np.float32)



def import_sklearn() -> None:
    """Import scikit-learn (and scipy under it) now, on the calling thread.

    The GUI calls this on its own thread before it fits on a worker thread: importing scipy's
    extension modules on a worker thread while Qt runs once crashed the process (a segfault
    inside the import, seen in the test suite). Imported once, later imports are free.
    """
    for name in ("sklearn.linear_model", "sklearn.model_selection", "sklearn.preprocessing"):
        importlib.import_module(name)


def balanced_weights(y: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Per-frame weights: recordings equal within a class, classes equal overall, mean 1."""
    w = np.zeros(len(y), np.float64)
    classes = np.unique(y)
    for c in classes:
        in_class = y == c
        recs = np.unique(groups[in_class])
        for g in recs:
            frames = in_class & (groups == g)
            w[frames] = 1.0 / (len(recs) * frames.sum())
    return w * (len(y) / w.sum())


def train_head(emb: Embeddings, c: float = DEFAULT_C, train: np.ndarray | None = None) -> TrainedHead:
    """Fit the head on all frames (or the frames where ``train`` is True)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler
    from threadpoolctl import threadpool_limits

    t0 = time.perf_counter()
    mask = np.ones(len(emb.y), bool) if train is None else train
    x, y, g = emb.x[mask].astype(np.float64), emb.y[mask], emb.groups[mask]
    scaler = StandardScaler().fit(x)
    clf = LogisticRegression(C=c, max_iter=2000)
    # One BLAS thread: on a busy machine a thread pool made each fit 20-50x slower (measured
    # 5 s vs 0.2 s for 500 frames); a fit this small gains nothing from threads anyway.
    with warnings.catch_warnings(), threadpool_limits(1):
        # A few thousand iterations reach a head as good as a converged one; don't alarm users.
        warnings.simplefilter("ignore", category=UserWarning)
        from sklearn.exceptions import ConvergenceWarning

        warnings.simplefilter("ignore", category=ConvergenceWarning)
        clf.fit(scaler.transform(x), y, sample_weight=balanced_weights(y, g))
    # Fold the scaler into the dense layer: w·((x-μ)/σ)+b = (w/σ)·x + (b - (w/σ)·μ).
    scale = np.where(scaler.scale_ > 0, scaler.scale_, 1.0)
    coef = clf.coef_ / scale
    intercept = clf.intercept_ - coef @ scaler.mean_
    n = len(emb.classes)
    weights = np.zeros((n, x.shape[1]), np.float64)
    bias = np.full(n, -1e4, np.float64)  # a class absent from this fold's training: never picked
    if len(clf.classes_) == 2:  # sklearn keeps one row for two classes: logits are (-z/2, z/2)
        coef = np.vstack([-coef[0] / 2, coef[0] / 2])
        intercept = np.array([-intercept[0] / 2, intercept[0] / 2])
    weights[clf.classes_] = coef
    bias[clf.classes_] = intercept
    return TrainedHead(tuple(emb.classes), weights.astype(np.float32), bias.astype(np.float32),
                       time.perf_counter() - t0, int(mask.sum()))


@dataclass
class Evaluation:
    """Cross-validated figures; a recording's prediction is the mean of its frames' scores."""

    classes: list[str]
    folds: int
    accuracy: float  # recordings
    frame_accuracy: float
    confusion: np.ndarray  # int [true class, predicted class], recordings
    precision: np.ndarray  # per class (NaN when never predicted)
    recall: np.ndarray  # per class
    predictions: np.ndarray  # int [recordings]
    warnings: list[str] = field(default_factory=list)

    def report(self) -> str:
        """The figures as text (the CLI prints it; the GUI shows the same numbers)."""
        width = max(8, *(len(c) for c in self.classes))
        lines = [(f"cross-validation, {self.folds} folds by recording: accuracy "
                  f"{100 * self.accuracy:.1f} % of recordings ({100 * self.frame_accuracy:.1f} % of frames)"),
                 f"  {'class':<{width}}  {'prec':>5}  {'recall':>6}  recordings"]
        for i, c in enumerate(self.classes):
            lines.append(f"  {c:<{width}}  {_pct(self.precision[i])}  {_pct(self.recall[i]):>6}  "
                         f"{int(self.confusion[i].sum())}")
        lines.append("confusion matrix (rows: true class, columns: predicted; recordings)")
        short = [c[:6] for c in self.classes]
        lines.append(f"  {'':<{width}}  " + " ".join(f"{s:>6}" for s in short))
        for i, c in enumerate(self.classes):
            lines.append(f"  {c:<{width}}  " + " ".join(f"{int(v):>6}" for v in self.confusion[i]))
        return "\n".join(lines)


def _pct(v: float) -> str:
    return "    -" if math.isnan(v) else f"{100 * v:4.0f}%"


def cross_validate(emb: Embeddings, folds: int = 5, c: float = DEFAULT_C, seed: int = 0) -> Evaluation:
    """Stratified folds of whole recordings; each recording is tested once, by a head trained
    without it."""
    from sklearn.model_selection import StratifiedGroupKFold

    n_rec = len(emb.recordings)
    per_class = np.bincount(emb.recording_labels, minlength=len(emb.classes))
    k = max(2, min(int(folds), int(per_class.max())))
    notes = []
    if k != folds:
        notes.append(f"{k} folds instead of {folds}: no class has more than {int(per_class.max())} recordings")
    splitter = StratifiedGroupKFold(n_splits=k, shuffle=True, random_state=seed)
    predictions = np.full(n_rec, -1)
    frame_hits = 0
    for train, test in splitter.split(emb.x, emb.y, emb.groups):
        mask = np.zeros(len(emb.y), bool)
        mask[train] = True
        head = train_head(emb, c, mask)
        proba = head.predict_proba(emb.x[test])
        frame_hits += int((proba.argmax(axis=1) == emb.y[test]).sum())
        for g in np.unique(emb.groups[test]):
            predictions[g] = int(proba[emb.groups[test] == g].mean(axis=0).argmax())
    n = len(emb.classes)
    confusion = np.zeros((n, n), int)
    for t, p in zip(emb.recording_labels, predictions):
        confusion[t, p] += 1
    with np.errstate(invalid="ignore", divide="ignore"):
        precision = np.diag(confusion) / confusion.sum(axis=0)
        recall = np.diag(confusion) / confusion.sum(axis=1)
    return Evaluation(list(emb.classes), k, float(np.trace(confusion) / n_rec), frame_hits / len(emb.y),
                      confusion, precision, recall, predictions, notes)
