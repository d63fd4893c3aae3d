"""Write a calibrated model: the model file with the calibration in its own metadata, and its
per-class thresholds as ``<model>.thresholds.csv`` beside it.

TFLite metadata has a place for a score calibration but none for per-class thresholds, so they
travel beside the model (``class,threshold`` per line, the format ``--thresholds`` and the
inspector already read). yamview picks that file up whenever it loads the model.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import numpy as np

from yamview.core.metrics import ThresholdError, load_thresholds
from yamview.core.model import Model
from yamview.core.tflite import (
    Head,
    MetadataError,
    ScoreCalibration,
    read_audio_model_metadata,
    write_audio_classifier_metadata,
)


class ExportError(ValueError):
    """The calibrated model cannot be written (message says why); nothing was written."""


def thresholds_path(model_path: str | os.PathLike) -> Path:
    """``calibrated.tflite`` → ``calibrated.thresholds.csv``."""
    p = Path(model_path)
    return p.with_name(f"{p.stem}.thresholds.csv")


def thresholds_beside(model: Model, default: float) -> np.ndarray | None:
    """The per-class thresholds saved beside ``model``'s file, or None when there are none.

    A file that is there but unusable is a ThresholdError (one message, naming file and line).
    """
    path = thresholds_path(model.path)
    if not path.is_file():
        return None
    return load_thresholds(path, model.classes, default=default)


def calibrated_model(model: Model, calibration: ScoreCalibration) -> bytes:
    """``model``'s bytes with ``calibration`` on the head the model scores (its only one, or the
    one chosen with ``head``); any calibration that head had is replaced, everything else in the
    metadata kept."""
    try:
        heads = list(read_audio_model_metadata(model.data).heads)
        if not heads:  # a bare model: describe its score output from what the loader knows
            heads = [Head("scores", tuple(model.classes))]
        names = [h.name for h in heads]
        target = names.index(model.heads[0].name) if model.heads[0].name in names else 0
        if not heads[target].classes:
            heads[target] = dataclasses.replace(heads[target], classes=tuple(model.classes))
        heads[target] = dataclasses.replace(heads[target], calibration=calibration)
        return write_audio_classifier_metadata(model.data, heads, sample_rate=model.sample_rate)
    except (MetadataError, ValueError) as exc:
        raise ExportError(f"cannot add the calibration to {model.path.name}: {exc}") from None


def write_calibrated_model(out: str | os.PathLike, model: Model, calibration: ScoreCalibration,
                           thresholds: np.ndarray) -> tuple[Path, Path]:
    """Write the model and its thresholds CSV; returns both paths.

    Both are built in memory first and each is written atomically; if the model cannot be
    written, a thresholds file this call created is removed again, so no half export remains.
    """
    from yamview.core.files import write_bytes
    from yamview.core.metrics import save_thresholds

    out = Path(out)
    if out.exists() and out.resolve() == Path(model.path).resolve():
        raise ExportError(f"{out}: that is the model being calibrated; write the calibrated "
                          "model to another file")
    if out.suffix.lower() != ".tflite":
        raise ExportError(f"{out}: a model file needs the .tflite suffix (MediaPipe and yamview "
                          "look for it)")
    if not out.parent.is_dir():
        raise ExportError(f"{out}: the folder {out.parent} does not exist")
    data = calibrated_model(model, calibration)
    csv_path = thresholds_path(out)
    existed = csv_path.exists()
    save_thresholds(csv_path, thresholds, model.classes)
    try:
        write_bytes(out, data)
    except BaseException:
        if not existed:
            csv_path.unlink(missing_ok=True)
        raise
    return out, csv_path


__all__ = ["ExportError", "ThresholdError", "calibrated_model", "thresholds_beside",
           "thresholds_path", "write_calibrated_model"]
