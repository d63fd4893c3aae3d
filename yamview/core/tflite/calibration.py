"""Per-class score calibration as TFLite metadata defines it (``ScoreCalibrationOptions``).

One sigmoid per class, applied to the model's raw score ``x``::

    calibrated = scale / (1 + exp(-(slope * g(x) + offset)))

where ``g`` is the score transformation (IDENTITY ``x``, LOG ``log x``, INVERSE_LOGISTIC
``log x - log(1 - x)``). The parameters travel in an associated file of type
TENSOR_AXIS_SCORE_CALIBRATION: one line per class, ``scale,slope,offset[,min_score]``.

Semantics follow MediaPipe's ScoreCalibrationCalculator, the consumer that matters (the
Android example and MediaPipe's AudioClassifier run it), so yamview shows the scores they show:
- an empty line, or a score below ``min_score``, gives ``default_score`` (NOT the raw score);
- logs are "clamped" below 1e-16 so that 0 and 1 stay finite;
- the result is clipped to ``[0, scale]``.
To leave a class unchanged under INVERSE_LOGISTIC, write ``1,1,0`` (sigmoid(logit(x)) = x), which
is what :meth:`ScoreCalibration.identity_line` gives.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

TRANSFORMATIONS = ("IDENTITY", "LOG", "INVERSE_LOGISTIC")
_LOG_MINIMUM = 1e-16


class CalibrationError(ValueError):
    """A score-calibration file or its parameters are unusable (message says why)."""


@dataclass(frozen=True)
class Sigmoid:
    """One class's calibration parameters (one line of the calibration file)."""

    scale: float
    slope: float
    offset: float
    min_score: float | None = None

    def line(self) -> str:
        parts = [self.scale, self.slope, self.offset]
        if self.min_score is not None:
            parts.append(self.min_score)
        return ",".join(repr(float(p)) for p in parts)


IDENTITY_SIGMOID = Sigmoid(1.0, 1.0, 0.0)


@dataclass(frozen=True)
class ScoreCalibration:
    """A whole output's calibration: transformation, default score and one entry per class.

    ``sigmoids[i] is None`` is an empty line: class ``i`` then scores ``default_score``.
    """

    transformation: str
    default_score: float
    sigmoids: tuple[Sigmoid | None, ...]

    def __post_init__(self) -> None:
        if self.transformation not in TRANSFORMATIONS:
            raise CalibrationError(
                f"unknown score transformation {self.transformation!r} "
                f"(expected one of {', '.join(TRANSFORMATIONS)})"
            )
        if not math.isfinite(self.default_score):
            raise CalibrationError("the calibration's default score is not a finite number")
        for i, s in enumerate(self.sigmoids):
            if s is None:
                continue
            values = [s.scale, s.slope, s.offset] + ([s.min_score] if s.min_score is not None else [])
            if not all(math.isfinite(v) for v in values):
                raise CalibrationError(f"calibration line {i + 1} has a value that is not a number")
            if s.scale < 0:
                raise CalibrationError(f"calibration line {i + 1}: the scale must not be negative")

    @property
    def n_classes(self) -> int:
        return len(self.sigmoids)

    @classmethod
    def identity(cls, n_classes: int, transformation: str = "INVERSE_LOGISTIC") -> ScoreCalibration:
        """A calibration that changes nothing (under INVERSE_LOGISTIC) — a start to edit."""
        return cls(transformation, 0.0, (IDENTITY_SIGMOID,) * n_classes)

    def to_file(self) -> bytes:
        """The associated file: exactly one line per class, no trailing newline.

        MediaPipe splits on '\\n', so a trailing newline would count as one more (empty) class.
        """
        return "\n".join("" if s is None else s.line() for s in self.sigmoids).encode("ascii")

    @classmethod
    def parse(
        cls, text: bytes | str, n_classes: int, transformation: str, default_score: float
    ) -> ScoreCalibration:
        """Read a TENSOR_AXIS_SCORE_CALIBRATION file; raises CalibrationError with a clear reason."""
        if isinstance(text, bytes):
            try:
                text = text.decode("ascii")
            except UnicodeDecodeError:
                raise CalibrationError("the score-calibration file is not plain text") from None
        lines = text.split("\n")
        if len(lines) != n_classes:
            raise CalibrationError(
                f"the score-calibration file has {len(lines)} lines for {n_classes} classes "
                "(it needs exactly one line per class, and no trailing empty line)"
            )
        sigmoids: list[Sigmoid | None] = []
        for number, line in enumerate(lines, 1):
            line = line.strip()
            if not line:
                sigmoids.append(None)
                continue
            fields = line.split(",")
            if len(fields) not in (3, 4):
                raise CalibrationError(
                    f"score-calibration line {number}: expected 3 or 4 numbers, got {len(fields)}"
                )
            try:
                values = [float(f) for f in fields]
            except ValueError:
                raise CalibrationError(
                    f"score-calibration line {number}: {line[:60]!r} is not a list of numbers"
                ) from None
            sigmoids.append(Sigmoid(values[0], values[1], values[2], values[3] if len(values) == 4 else None))
        return cls(transformation, float(default_score), tuple(sigmoids))

    def apply(self, scores: np.ndarray) -> np.ndarray:
        """Calibrated scores for raw ``scores`` of shape (..., n_classes), as MediaPipe computes."""
        x = np.asarray(scores, dtype=np.float64)
        if x.shape[-1] != self.n_classes:
            raise CalibrationError(
                f"calibration for {self.n_classes} classes applied to {x.shape[-1]} scores"
            )
        p = self._params()
        g = _transform(x, self.transformation)
        z = p["slope"] * g + p["offset"]
        # Numerically stable logistic; the clip mirrors MediaPipe's cap to [0, scale].
        sig = np.exp(-np.logaddexp(0.0, -z))  # 1 / (1 + exp(-z)) without overflow
        out = np.clip(p["scale"] * sig, 0.0, p["scale"])
        default = (~p["present"]) | (x < p["min_score"])
        out = np.where(default, self.default_score, out)
        return out.astype(np.float32)

    def _params(self) -> dict[str, np.ndarray]:
        cached = getattr(self, "_cache", None)
        if cached is not None:
            return cached
        n = self.n_classes
        present = np.array([s is not None for s in self.sigmoids])
        scale = np.array([s.scale if s else 0.0 for s in self.sigmoids])
        slope = np.array([s.slope if s else 0.0 for s in self.sigmoids])
        offset = np.array([s.offset if s else 0.0 for s in self.sigmoids])
        min_score = np.array(
            [s.min_score if s and s.min_score is not None else -np.inf for s in self.sigmoids]
        )
        params = {"present": present, "scale": scale, "slope": slope, "offset": offset,
                  "min_score": min_score}
        assert all(v.shape == (n,) for v in params.values())
        object.__setattr__(self, "_cache", params)  # frozen dataclass: a derived, private cache
        return params


def _clamped_log(x: np.ndarray) -> np.ndarray:
    # MediaPipe's ClampedLog: log(x) above the threshold, mirrored below it (keeps order, finite).
    safe = np.maximum(x, _LOG_MINIMUM)
    below = 2.0 * np.log(_LOG_MINIMUM) - np.log(np.maximum(2.0 * _LOG_MINIMUM - x, _LOG_MINIMUM))
    return np.where(x < _LOG_MINIMUM, below, np.log(safe))


def _transform(x: np.ndarray, transformation: str) -> np.ndarray:
    if transformation == "IDENTITY":
        return x
    if transformation == "LOG":
        return _clamped_log(x)
    return _clamped_log(x) - _clamped_log(1.0 - x)


def transform(scores: np.ndarray, transformation: str) -> np.ndarray:
    """g(score) exactly as :meth:`ScoreCalibration.apply` computes it (what a fit works on)."""
    if transformation not in TRANSFORMATIONS:
        raise CalibrationError(f"unknown score transformation {transformation!r}")
    return _transform(np.asarray(scores, dtype=np.float64), transformation)
