"""Generic file I/O for every writer and reader of the app: one write path, CSV cells, text.

Every file the app writes goes through ``write_atomic``: the content goes to a temporary sibling
of the target, which replaces the target only once complete, so a crash, an error or a full disk
never leaves a half-written file (or a clobbered old one). CSV cells that a spreadsheet would run
as a formula (``= + - @``) get a leading quote, except plain numbers; every CSV the app writes,
to a file or to stdout, goes through ``CsvWriter``.
"""

from __future__ import annotations

import csv
import os
import re
import tempfile
from pathlib import Path
from typing import IO, Any, Callable, Iterable, Sequence

_FORMULA_START = ("=", "+", "-", "@")
_PLAIN_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
SHARED_MODE = 0o644  # mkstemp makes 0600; what the app writes is meant to be shared

PathLike = str | os.PathLike


class TextFileError(ValueError):
    """A text file cannot be read; the message names the file (and line, for bad bytes)."""


# -- writing -------------------------------------------------------------------------------------
def write_atomic(path: PathLike, write: Callable[[IO[Any]], None], binary: bool = False) -> None:
    """Call ``write(f)`` on a temporary sibling of ``path``; on success it replaces ``path``.

    Text files are UTF-8 with ``\\n`` line ends on every platform. On any error (including one
    raised by ``write``) the temporary file is removed and ``path`` is untouched.
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb" if binary else "w", encoding=None if binary else "utf-8",
                       newline=None if binary else "") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, SHARED_MODE)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_text(path: PathLike, text: str) -> None:
    write_atomic(path, lambda f: f.write(text))


def write_bytes(path: PathLike, data: bytes) -> None:
    write_atomic(path, lambda f: f.write(data), binary=True)


# -- CSV -------------------------------------------------------------------------------------------
def escape_cell(value: object) -> str:
    """Text for one CSV cell; a leading ``= + - @`` is defused with a quote unless it is a number."""
    text = str(value)
    if text.startswith(_FORMULA_START) and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


def unescape_cell(text: str) -> str:
    """The inverse of ``escape_cell`` (for reading our own CSVs back)."""
    if text.startswith("'") and text[1:].startswith(_FORMULA_START):
        return text[1:]
    return text


class CsvWriter:
    """CSV rows with escaped cells and ``\\n`` line ends onto any text stream (a file, stdout)."""

    def __init__(self, stream: IO[str]) -> None:
        self._csv = csv.writer(stream, lineterminator="\n")

    def row(self, cells: Iterable[object]) -> None:
        self._csv.writerow([escape_cell(c) for c in cells])


def write_csv(path: PathLike, header: Sequence, rows: Iterable[Sequence]) -> None:
    def write(f: IO[str]) -> None:
        w = CsvWriter(f)
        w.row(header)
        for row in rows:
            w.row(row)

    write_atomic(path, write)


# -- reading ---------------------------------------------------------------------------------------
def read_text(path: PathLike, error: type[Exception] = TextFileError,
              empty: str | None = "the file is empty") -> str:
    """The file as text: UTF-8 (a BOM is fine) and, unless ``empty`` is None, not blank.

    Any problem raises ``error`` with one message naming the file (and the line of a bad byte);
    ``empty`` is what that message says about a blank file.
    """
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise error(f"{path}: no such file") from None
    except OSError as exc:
        raise error(f"{path}: cannot read ({exc.strerror or exc})") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise error(f"{path}, line {line}: not UTF-8 text (byte 0x{data[exc.start]:02x}); "
                    "save the file as UTF-8") from None
    if empty is not None and not text.strip():
        raise error(f"{path}: {empty}")
    return text
