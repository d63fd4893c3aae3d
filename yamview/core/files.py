"""Generic file I/O for every writer and reader of the app: one write path, CSV cells, bounded reads.

Every file the app writes goes through ``write_atomic``: the content goes to a temporary sibling
of the target, which replaces the target only once complete, so a crash, an error or a full disk
never leaves a half-written file (or a clobbered old one). CSV cells that a spreadsheet would run
as a formula (``= + - @``) get a leading quote, except plain numbers; every CSV the app writes,
to a file or to stdout, goes through ``CsvWriter``.
"""

from __future__ import annotations

import csv
import errno
import os
import re
import stat
import tempfile
import time
from pathlib import Path
from typing import IO, Any, Callable, Iterable, Sequence

from yamview.core.limits import MAX_LINE_CHARS, MAX_TEXT_BYTES, describe_size

_FORMULA_START = ("=", "+", "-", "@")
_PLAIN_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
SHARED_MODE = 0o644  # mkstemp makes 0600; what the app writes is meant to be shared
# A temporary older than this belongs to a write (or download) that was killed: nothing will
# ever finish it. Younger ones may be another process writing right now.
STALE_TEMP_SECONDS = 3600.0

PathLike = str | os.PathLike


class UnreadableFile(Exception):
    """The file is not something we read; the message is the reason (without the path)."""


_KINDS = ((stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))


def check_regular(st: os.stat_result) -> None:
    """UnreadableFile unless ``st`` is a regular file."""
    if stat.S_ISDIR(st.st_mode):
        raise UnreadableFile("it is a folder, not a file")
    if not stat.S_ISREG(st.st_mode):
        kind = next((name for test, name in _KINDS if test(st.st_mode)), "not a regular file")
        raise UnreadableFile(f"it is {kind}, not a regular file")


def open_regular(path: str | os.PathLike) -> int:
    """An fd open for reading on ``path``, which must be a regular file.

    Opened non-blocking so that a FIFO is refused at once instead of waiting for a writer.
    """
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise UnreadableFile("no such file") from None
    except PermissionError:
        raise UnreadableFile("permission denied") from None
    except IsADirectoryError:
        raise UnreadableFile("it is a folder, not a file") from None
    except OSError as exc:
        raise UnreadableFile(exc.strerror or str(exc)) from None
    try:
        check_regular(os.fstat(fd))
    except BaseException:
        os.close(fd)
        raise
    return fd


def read_regular(path: str | os.PathLike, limit: int, what: str = "file") -> bytes:
    """All bytes of the regular file ``path``; UnreadableFile if it is not one or exceeds ``limit``.

    The size is checked before reading and again while reading (a file may grow, and /proc
    files report size 0), so at most ``limit + 1`` bytes are ever held.
    """
    fd = open_regular(path)
    with os.fdopen(fd, "rb") as f:
        size = os.fstat(fd).st_size
        if size > limit:
            raise UnreadableFile(f"{describe_size(size)} is more than the {describe_size(limit)} "
                                 f"limit for a {what}")
        try:
            data = f.read(limit + 1)
        except OSError as exc:
            if exc.errno == errno.EISDIR:
                raise UnreadableFile("it is a folder, not a file") from None
            raise UnreadableFile(exc.strerror or str(exc)) from None
    if len(data) > limit:
        raise UnreadableFile(f"more than the {describe_size(limit)} limit for a {what}")
    return data


class TextFileError(ValueError):
    """A text file cannot be read; the message names the file (and line, for bad bytes)."""


# -- writing -------------------------------------------------------------------------------------
def clean_stale_temps(folder: PathLike, name: str = "*", max_age: float = STALE_TEMP_SECONDS) -> list[Path]:
    """Remove ``.NAME.*.tmp`` / ``.part`` files older than ``max_age`` s from ``folder``."""
    removed = []
    now = time.time()
    for pattern in (f".{name}.*.tmp", f".{name}.*.part"):
        try:
            found = list(Path(folder).glob(pattern))
        except OSError:
            continue
        for p in found:
            try:
                st = p.lstat()
                if stat.S_ISREG(st.st_mode) and now - st.st_mtime > max_age:
                    p.unlink()
                    removed.append(p)
            except OSError:
                pass
    return removed


def write_atomic(path: PathLike, write: Callable[[IO[Any]], None], binary: bool = False) -> None:
    """Call ``write(f)`` on a temporary sibling of ``path``; on success it replaces ``path``.

    Text files are UTF-8 with ``\\n`` line ends on every platform. On any error (including one
    raised by ``write``) the temporary file is removed and ``path`` is untouched.
    """
    path = Path(path)
    clean_stale_temps(path.parent, path.name)
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
              empty: str | None = "the file is empty", limit: int = MAX_TEXT_BYTES) -> str:
    """The file as text: a regular file of at most ``limit`` bytes, UTF-8 (a BOM is fine), no
    line longer than MAX_LINE_CHARS and, unless ``empty`` is None, not blank.

    Any problem raises ``error`` with one message naming the file (and the line of a bad byte
    or an overlong line); ``empty`` is what that message says about a blank file.
    """
    try:
        data = read_regular(path, limit, "text file")
    except UnreadableFile as exc:
        raise error(f"{path}: {exc}") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise error(f"{path}, line {line}: not UTF-8 text (byte 0x{data[exc.start]:02x}); "
                    "save the file as UTF-8") from None
    if empty is not None and not text.strip():
        raise error(f"{path}: {empty}")
    for n, line in enumerate(text.splitlines(), 1):
        if len(line) > MAX_LINE_CHARS:
            raise error(f"{path}, line {n}: the line has {len(line)} characters, more than "
                        f"{MAX_LINE_CHARS}; not a text file of this kind?")
    return text
