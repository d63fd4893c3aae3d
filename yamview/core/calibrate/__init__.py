"""Calibrate a model on labelled recordings, Qt-free: labelled set → per-class Platt fit and
thresholds → held-out before/after figures → a model with the calibration in its metadata.

- :mod:`.dataset`: find recordings and their labels, analyse them (through the results cache).
- :mod:`.fit`: the fit, the threshold objective, the held-out check, PR and reliability curves.
- :mod:`.report`: the before/after table as text, CSV (+ curves) or HTML.
- :mod:`.export`: the calibrated model file and its thresholds CSV beside it.
- :mod:`.run`: all of it in one call (the CLI and the inspector use it).
"""

from .dataset import DatasetError, LabelledSet, Recording, find_recordings, load_set
from .export import (
    ExportError,
    thresholds_beside,
    thresholds_path,
    write_calibrated_model,
)
from .fit import FitError, HeldOut, Objective, fit, held_out
from .run import Calibration, calibrate

__all__ = [
    "Calibration",
    "DatasetError",
    "ExportError",
    "FitError",
    "HeldOut",
    "LabelledSet",
    "Objective",
    "Recording",
    "calibrate",
    "find_recordings",
    "fit",
    "held_out",
    "load_set",
    "thresholds_beside",
    "thresholds_path",
    "write_calibrated_model",
]
