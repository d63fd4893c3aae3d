"""A labelled set: recordings with human labels, analysed, as per-frame raw scores and truth.

A recording's labels are given explicitly, or sit beside it with the same stem: ``rec.txt``
(Audacity), ``rec.csv`` or ``rec.Table.1.selections.txt`` (Raven). Every label file is read and
mapped to model classes before any audio is analysed, so a bad label costs no analysis time.
Frames are labelled by the one rule in :mod:`yamview.core.metrics` (``truth_matrix``).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from yamview.core.analysis import Analysis
from yamview.core.audio import AUDIO_EXTENSIONS, AudioError, AudioFile
from yamview.core.framing import Framing
from yamview.core.labels_io import AnyOf, Label, LabelError, map_labels, read_labels
from yamview.core.metrics import truth_matrix
from yamview.core.model import Model

log = logging.getLogger(__name__)

# A label may end this far after the recording's last sample (editors round label edges).
END_TOLERANCE_SECONDS = 0.1


class DatasetError(ValueError):
    """The labelled set cannot be used; the message names the file and says why."""


@dataclass(frozen=True)
class Recording:
    """One audio file and the label file that belongs to it."""

    audio: Path
    labels: Path


@dataclass
class LabelledRecording:
    """One analysed recording: raw scores and which frames its labels mark, per class."""

    name: str
    scores: np.ndarray  # float32 [frames, classes], the model's raw (uncalibrated) scores
    truth: np.ndarray  # bool [frames, classes]
    duration: float


@dataclass
class LabelledSet:
    """Recordings of one model's classes, ready for fitting."""

    recordings: list[LabelledRecording]
    classes: list[str]  # the model's class names, in output order
    labelled: list[int]  # classes some label maps to, in class order
    framing: Framing
    skipped: list[str]  # recordings found without labels (said, not fitted)

    @property
    def n_frames(self) -> int:
        return sum(len(r.scores) for r in self.recordings)

    def positives(self) -> np.ndarray:
        """int [classes]: labelled frames per class over all recordings."""
        return sum((r.truth.sum(axis=0) for r in self.recordings), np.zeros(len(self.classes), np.int64))


def label_files_beside(audio: Path) -> list[Path]:
    """The label files that sit beside ``audio`` with its stem (Audacity, CSV, Raven)."""
    stem = audio.name[: -len(audio.suffix)] if audio.suffix else audio.name
    found = [audio.with_name(f"{stem}.txt"), audio.with_name(f"{stem}.csv")]
    found += sorted(audio.parent.glob(f"{_glob_escape(stem)}.Table.*.selections.txt"))
    return [p for p in found if p.is_file()]


def _glob_escape(text: str) -> str:
    return "".join(f"[{c}]" if c in "*?[" else c for c in text)


def find_recordings(paths: Sequence[str | os.PathLike], labels: str | os.PathLike | None = None
                    ) -> tuple[list[Recording], list[str]]:
    """(recordings, notes) from files and folders (searched recursively).

    ``labels`` goes with a single recording path; otherwise each recording's labels must sit
    beside it. Audio in a folder without labels beside it is skipped with a note; a recording
    given by name without labels, or with two label files, is a DatasetError.
    """
    if labels is not None and (len(paths) != 1 or Path(paths[0]).is_dir()):
        raise DatasetError("--labels goes with exactly one recording; for several, put each "
                           "recording's labels beside it (rec.wav + rec.txt)")
    found: list[Recording] = []
    notes: list[str] = []
    seen: set[Path] = set()
    for given in paths:
        path = Path(given)
        if not path.exists():
            raise DatasetError(f"{given}: no such file or folder")
        if path.is_dir():
            audio_files = sorted(p for p in path.rglob("*")
                                 if p.is_file() and p.suffix.lower() in AUDIO_EXTENSIONS)
            if not audio_files:
                raise DatasetError(f"{given}: no audio files in this folder")
            for audio in audio_files:
                beside = label_files_beside(audio)
                if not beside:
                    notes.append(f"{audio}: no labels beside it (rec.txt, rec.csv or "
                                 "rec.Table.1.selections.txt); skipped")
                    continue
                _add(found, seen, audio, _one(audio, beside))
        else:
            if labels is not None:
                _add(found, seen, path, Path(labels))
                continue
            beside = label_files_beside(path)
            if not beside:
                raise DatasetError(f"{given}: no labels for this recording (give --labels FILE, or "
                                   "put rec.txt / rec.csv / rec.Table.1.selections.txt beside it)")
            _add(found, seen, path, _one(path, beside))
    if not found:
        raise DatasetError("no labelled recordings found")
    return found, notes


def _one(audio: Path, beside: list[Path]) -> Path:
    if len(beside) > 1:
        names = ", ".join(p.name for p in beside)
        raise DatasetError(f"{audio}: more than one label file beside it ({names}); keep one")
    return beside[0]


def _add(found: list[Recording], seen: set[Path], audio: Path, labels: Path) -> None:
    key = audio.resolve()
    if key not in seen:  # a file named twice (or inside a folder also given) counts once
        seen.add(key)
        found.append(Recording(audio, labels))


def read_label_tracks(recordings: Iterable[Recording], classes: Sequence[str],
                      mapping: Mapping[str, Sequence[int]] | None = None
                      ) -> list[tuple[list[Label], list[tuple[int, ...]]]]:
    """Every recording's labels and their class indices; the first problem is a DatasetError."""
    tracks = []
    for rec in recordings:
        try:
            labels = read_labels(rec.labels)
            mapped = map_labels(labels, classes, mapping, source=rec.labels)
        except LabelError as exc:
            raise DatasetError(str(exc)) from None
        for lab, cls in zip(labels, mapped):
            if isinstance(cls, AnyOf):  # "any one of them is right" says nothing about each class
                where = f"{rec.labels}, line {lab.line}" if lab.line else str(rec.labels)
                names = " | ".join(classes[i] for i in cls)
                raise DatasetError(f"{where}: label '{lab.text}' maps to any one of {names}; a "
                                   "calibration is fitted per class, so map the label to each class "
                                   "it means on its own label,class row")
        tracks.append((labels, mapped))
    return tracks


def _check_inside(labels: Sequence[Label], duration: float, path: Path) -> None:
    for lab in labels:
        if lab.start >= duration or lab.end > duration + END_TOLERANCE_SECONDS:
            where = f"{path}, line {lab.line}" if lab.line else str(path)
            raise DatasetError(f"{where}: label '{lab.text}' ({lab.start:g}–{lab.end:g} s) lies "
                               f"outside the recording, which is {duration:.2f} s long")


Progress = Callable[[int, int, str], None]  # (recordings done, total, name of the next one)


def analysed(audio: AudioFile, model: Model, hop_seconds: float | None, use_cache: bool,
             jobs: int | None = None) -> Analysis:
    """The analysis of ``audio`` through the results cache (a hit is instant; a miss is stored)."""
    from yamview.core.cache import CachedAnalysis

    job = CachedAnalysis(audio, model, hop_seconds, use_cache=use_cache, name=audio.name, jobs=jobs)
    if job.cached is not None:
        return job.cached
    result = job.run().result()
    try:
        job.store(result)
    except OSError as exc:  # a cache is a shortcut: failing to fill it is no error
        log.warning("cannot write the results cache: %s", exc)
    return result


def load_set(recordings: Sequence[Recording], model: Model,
             mapping: Mapping[str, Sequence[int]] | None = None, hop_seconds: float | None = None,
             use_cache: bool = True, progress: Progress | None = None,
             skipped: Sequence[str] = (), jobs: int | None = None) -> LabelledSet:
    """Read all labels (checked first), then analyse each recording with ``model``'s raw scores.

    A model that carries a calibration is run with it off: a fit starts from the raw scores.
    Interrupted runs resume: every finished recording is in the results cache. ``jobs``:
    interpreters scoring in parallel (None: one per core).
    """
    raw = model.reconfigured(calibrate=False) if model.calibrated else model
    tracks = read_label_tracks(recordings, raw.classes, mapping)
    framing = Framing.create(raw.window, raw.sample_rate, hop_seconds=hop_seconds)
    out: list[LabelledRecording] = []
    for i, (rec, (labels, label_classes)) in enumerate(zip(recordings, tracks)):
        if progress is not None:
            progress(i, len(recordings), str(rec.audio))
        try:
            audio = AudioFile(rec.audio)
            _check_inside(labels, audio.duration(), rec.labels)
            result = analysed(audio, raw, hop_seconds, use_cache, jobs)
        except AudioError as exc:
            raise DatasetError(f"cannot read '{rec.audio}': {exc}") from None
        truth = truth_matrix(labels, label_classes, result.starts, framing.window_seconds,
                             len(raw.classes), result.duration)
        out.append(LabelledRecording(str(rec.audio), result.scores, truth, result.duration))
    if progress is not None:
        progress(len(recordings), len(recordings), "")
    labelled = sorted({c for _, classes in tracks for cs in classes for c in cs})
    return LabelledSet(out, list(raw.classes), labelled, framing, list(skipped))
