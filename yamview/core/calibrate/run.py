"""The whole calibration in one call, as the CLI and the inspector run it: recordings and their
labels → analysis (cached) → fit and held-out check."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from yamview.core.calibrate.dataset import (
    DatasetError,
    LabelledSet,
    Progress,
    find_recordings,
    load_set,
)
from yamview.core.calibrate.fit import MIN_LABELLED_FRAMES, HeldOut, Objective, held_out
from yamview.core.model import Model


@dataclass
class Calibration:
    """A finished run: the labelled set (kept for refits), the held-out result, what was said."""

    data: LabelledSet
    result: HeldOut
    notes: list[str]


def calibrate(paths: Sequence[str | os.PathLike], model: Model, labels: str | os.PathLike | None = None,
              mapping: Mapping[str, Sequence[int]] | None = None, objective: Objective | None = None,
              hop_seconds: float | None = None, use_cache: bool = True, jobs: int | None = None,
              min_frames: int = MIN_LABELLED_FRAMES, progress: Progress | None = None) -> Calibration:
    """Find the labelled recordings, analyse them, fit and check. Raises DatasetError (bad
    recordings or labels) or FitError (nothing to fit), each with one clear message."""
    if len(model.heads) > 1:  # one calibration file per output: fit one head at a time
        names = ", ".join(h.name for h in model.heads)
        raise DatasetError(f"{model.path.name} has {len(model.heads)} heads ({names}); calibrate one "
                           "at a time (--head NAME)")
    recordings, notes = find_recordings(paths, labels)
    data = load_set(recordings, model, mapping, hop_seconds=hop_seconds, use_cache=use_cache,
                    progress=progress, skipped=notes, jobs=jobs)
    return Calibration(data, held_out(data, objective, min_frames), notes)
