"""Ctrl+S: save the current view as a PNG in the user's Pictures folder (…/Pictures/yamview)."""

from __future__ import annotations

import time
from pathlib import Path

from yamview.core.files import write_bytes
from yamview.gui.chrome import png_bytes


def pictures_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_pictures_dir()) / "yamview"


def save_snapshot(widget, folder: Path | None = None, prefix: str = "yamview") -> Path:
    """Grab ``widget`` (with its children) and write a timestamped PNG; returns its path.

    Raises OSError with a readable message when the folder or file cannot be written.
    """
    folder = Path(folder) if folder is not None else pictures_dir()
    folder.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y-%m-%d_%H-%M-%S")
    path = folder / f"{prefix}-{stamp}.png"
    n = 2
    while path.exists():  # two snapshots in one second
        path = folder / f"{prefix}-{stamp}-{n}.png"
        n += 1
    data = png_bytes(widget)
    if not data:
        raise OSError(f"could not write {path}")
    write_bytes(path, data)
    return path
