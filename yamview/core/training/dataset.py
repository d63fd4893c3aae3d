"""A training set: a folder with one subfolder per class, plain audio files inside.

The same layout as Model Maker's ``from_folder`` and BirdNET-Analyzer's trainer, so a set can be
made by hand, by recording takes in the live window, or by cutting ranges out of a recording in
the inspector; all three end up as files here. Checks happen before any work, each problem with
one message that says what to change.
"""

from __future__ import annotations

import io
import os
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from yamview.core.audio import AudioError, AudioFile
from yamview.core.files import write_bytes

# Recommended in the UI and the README: a softmax head must pick one of its classes, so without a
# class for "everything else" every noise would be scored as one of the user's sounds.
BACKGROUND = "background"
BACKGROUND_HINT = (
    f"Add a '{BACKGROUND}' class (everyday sounds of the place without any of your sounds): "
    "without it every noise is scored as one of your classes."
)
# Fewer recordings than this per class: cross-validation says little, so the user is warned.
MIN_RECORDINGS = 3
# A frame that is mostly zero padding would teach the head "silence"; half a window is the least.
MIN_WINDOW_FRACTION = 0.5


class DatasetError(ValueError):
    """The training set cannot be used; the message says what to change."""


@dataclass(frozen=True)
class Recording:
    """One example file; its frames all belong to ``label`` and stay on one side of a split."""

    path: Path
    label: str
    duration: float


@dataclass
class TrainingSet:
    """The checked contents of a training-set folder."""

    root: Path
    classes: list[str]  # sorted, as the head's outputs will be
    recordings: list[Recording]
    warnings: list[str]

    def counts(self) -> dict[str, int]:
        """Recordings per class."""
        out = {c: 0 for c in self.classes}
        for r in self.recordings:
            out[r.label] += 1
        return out


def class_folders(root: Path) -> list[Path]:
    """Subfolders of ``root`` that name classes (hidden ones are not classes)."""
    return sorted((p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")),
                  key=lambda p: p.name.casefold())


def _audio_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith("."))


def load_training_set(root: str | os.PathLike, window_seconds: float,
                      reserved: Iterable[str] = ()) -> TrainingSet:
    """Read and check the set at ``root``; raises DatasetError with every problem found.

    ``window_seconds`` is the model's frame length (shorter files are refused); ``reserved`` are
    the base model's class names, which a user class may not take (the views show both heads).
    """
    root = Path(root)
    if not root.is_dir():
        raise DatasetError(f"{root} is not a folder (a training set is a folder with one "
                           "subfolder per class)")
    folders = class_folders(root)
    problems: list[str] = []
    by_key: dict[str, list[str]] = {}
    for f in folders:
        by_key.setdefault(f.name.casefold(), []).append(f.name)
    for names in by_key.values():
        if len(names) > 1:
            problems.append(f"class folders {' and '.join(repr(n) for n in names)} differ only by "
                            "case; merge them into one")
    taken = {r.casefold(): r for r in reserved}
    for f in folders:
        if f.name.casefold() in taken:
            problems.append(f"class {f.name!r} has the name of the base model's class "
                            f"{taken[f.name.casefold()]!r}; rename the folder (e.g. 'my {f.name}') "
                            "so the two can be told apart")
    recordings: list[Recording] = []
    for f in folders:
        files = _audio_files(f)
        if not files:
            problems.append(f"class folder {f.name!r} holds no audio files")
            continue
        for path in files:
            try:
                duration = AudioFile(path).duration()
            except AudioError as exc:
                problems.append(f"{path.relative_to(root)}: cannot be read: {exc}")
                continue
            if duration < MIN_WINDOW_FRACTION * window_seconds:
                problems.append(f"{path.relative_to(root)}: too short ({duration:.2f} s; an example "
                                f"needs at least {MIN_WINDOW_FRACTION * window_seconds:.2f} s)")
                continue
            recordings.append(Recording(path, f.name, duration))
    classes = [f.name for f in folders]
    if not problems:
        if not classes:
            problems.append(f"{root} has no class folders (one subfolder per class, audio "
                            "files inside)")
        elif len(classes) == 1:
            problems.append(f"only one class ({classes[0]!r}); a head needs at least two. "
                            + BACKGROUND_HINT)
    if not problems:
        counts = {c: 0 for c in classes}
        for r in recordings:
            counts[r.label] += 1
        for c, n in counts.items():
            if n < 2:
                problems.append(f"class {c!r} has only one recording; add at least one more (3 or "
                                "more recommended) so it can be tested on a recording it was not "
                                "trained on")
    if problems:
        raise DatasetError(_join(problems))
    counts = {c: 0 for c in classes}
    for r in recordings:
        counts[r.label] += 1
    warnings = [f"class {c!r} has only {n} recordings; with fewer than {MIN_RECORDINGS} the "
                "cross-validated figures say little about it" for c, n in counts.items()
                if n < MIN_RECORDINGS]
    if not any(c.casefold() in (BACKGROUND, "none", "none of these", "other") for c in classes):
        warnings.append(BACKGROUND_HINT)
    return TrainingSet(root, classes, recordings, warnings)


def _join(problems: list[str]) -> str:
    if len(problems) == 1:
        return problems[0]
    return f"{len(problems)} problems in the training set:\n  - " + "\n  - ".join(problems)


_BAD_NAME = re.compile(r"[/\\\x00-\x1f]")


def check_class_name(name: str, reserved: Iterable[str] = ()) -> str:
    """The class name, stripped; DatasetError when it cannot be a folder name or is taken."""
    name = name.strip()
    if not name or name in (".", "..") or name.startswith(".") or _BAD_NAME.search(name):
        raise DatasetError(f"{name!r} cannot be a class name (no slashes, no leading dot)")
    taken = {r.casefold(): r for r in reserved}
    if name.casefold() in taken:
        raise DatasetError(f"{name!r} is the name of the base model's class {taken[name.casefold()]!r}; "
                           f"choose another (e.g. 'my {name}')")
    return name


def save_example(root: str | os.PathLike, class_name: str, samples: np.ndarray, rate: int,
                 window_seconds: float, stem: str = "take", reserved: Iterable[str] = ()) -> Path:
    """Write ``samples`` as a new 16-bit WAV in the class's folder (created if needed); never
    overwrites. An existing folder whose name differs only by case is reused."""
    name = check_class_name(class_name, reserved)
    samples = np.asarray(samples, np.float32).reshape(-1)
    if len(samples) < MIN_WINDOW_FRACTION * window_seconds * rate:
        raise DatasetError(f"the example is too short ({len(samples) / rate:.2f} s; at least "
                           f"{MIN_WINDOW_FRACTION * window_seconds:.2f} s)")
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    folder = next((f for f in class_folders(root) if f.name.casefold() == name.casefold()), root / name)
    folder.mkdir(exist_ok=True)
    safe_stem = re.sub(r"[^\w.-]+", "_", stem).strip("_") or "take"
    base = f"{safe_stem}_{time.strftime('%Y%m%d-%H%M%S')}"
    path = folder / f"{base}.wav"
    n = 2
    while path.exists():
        path, n = folder / f"{base}-{n}.wav", n + 1
    data = io.BytesIO()
    sf.write(data, np.clip(samples, -1.0, 1.0), int(rate), format="WAV", subtype="PCM_16")
    write_bytes(path, data.getvalue())
    return path
