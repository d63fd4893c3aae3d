"""Generic file I/O for every writer and reader of the app: one write path, CSV cells, bounded reads.

Every file the app writes goes through ``write_atomic``: the content goes to a temporary sibling
of the target, which replaces the target only once complete, so a crash, an error or a full disk
never leaves a half-written file (or a clobbered old one); devices, FIFOs and ``-`` are written
as streams, symlinks are followed, and a file's mode is kept. CSV cells that a spreadsheet would run
as a formula (``= + - @``) get a leading quote, except plain numbers; every CSV the app writes,
to a file or to stdout, goes through ``CsvWriter``.
"""

from __future__ import annotations

import csv
import errno
import glob
import io
import os
import re
import stat
import sys
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
    stem = name if name == "*" else glob.escape(name)
    for pattern in (f".{stem}.*.tmp", f".{stem}.*.part"):
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


STDOUT = "-"  # the path that means standard output


class OutputRefused(OSError):
    """An output path that must not be written (empty, a folder, an input of the same run)."""

    def __init__(self, message: str) -> None:
        super().__init__(errno.EINVAL, message)


def write_atomic(path: PathLike, write: Callable[[IO[Any]], None], binary: bool = False) -> None:
    """Call ``write(f)`` so that whatever sits at ``path`` is never destroyed half-way.

    - a regular file (or a new path) is written to a temporary sibling that replaces it only
      once complete, keeping the old file's mode (and owner, where allowed); on any error
      (including one raised by ``write``) the temporary is removed and ``path`` is untouched;
    - a symlink is followed: its target is replaced, the link stays;
    - ``-``, a character device (``/dev/stdout``, ``/dev/null``), a FIFO or a socket is written
      as a stream, never replaced by a file; a FIFO nobody reads is an error, not a hang;
    - an empty path or a folder is refused (OutputRefused).

    Text is UTF-8 with ``\\n`` line ends on every platform. Temporaries of killed writes to the
    same name are removed first (see ``clean_stale_temps``).
    """
    target = output_target(path)
    if target is None:
        _write_stream_stdout(write, binary)
        return
    try:
        st = os.stat(path)  # follows links, including /proc's (/dev/stdout -> pipe:[...])
    except FileNotFoundError:
        st = None
    if st is not None and not stat.S_ISREG(st.st_mode):
        _write_stream(Path(path), write, binary)
        return
    clean_stale_temps(target.parent, target.name)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb" if binary else "w", encoding=None if binary else "utf-8",
                       newline=None if binary else "") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, stat.S_IMODE(st.st_mode) if st is not None else SHARED_MODE)
        if st is not None and hasattr(os, "chown"):
            try:  # root replacing a user's file must not take it over
                os.chown(tmp, st.st_uid, st.st_gid)
            except OSError:
                pass
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def output_target(path: PathLike) -> Path | None:
    """Where a write to ``path`` lands: None for standard output, else the path with symlinks
    resolved. OutputRefused for an empty path or a folder."""
    text = os.fspath(path)
    if text == "":
        raise OutputRefused("an empty path; give a file name (or - for standard output)")
    if text == STDOUT:
        return None
    if os.path.isdir(text):
        raise OutputRefused(f"{text} is a folder; give a file name")
    return Path(os.path.realpath(text))  # follows a chain of links, even to a missing target


def _write_stream(target: Path, write: Callable[[IO[Any]], None], binary: bool) -> None:
    """Write into a device, FIFO or socket as it is (opening never blocks on a FIFO)."""
    flags = os.O_WRONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(target, flags)
    except OSError as exc:
        if exc.errno == errno.ENXIO:
            raise OSError(errno.ENXIO, f"nothing is reading the FIFO {target}") from None
        raise
    if hasattr(os, "set_blocking"):
        os.set_blocking(fd, True)  # writing may wait for the reader; opening must not
    with os.fdopen(fd, "wb" if binary else "w", encoding=None if binary else "utf-8",
                   newline=None if binary else "") as f:
        write(f)
        f.flush()


def _write_stream_stdout(write: Callable[[IO[Any]], None], binary: bool) -> None:
    """``-``: this process's standard output, as UTF-8 with ``\\n`` line ends; left open."""
    out = sys.stdout
    if out is None:
        raise OSError(errno.EBADF, "there is no standard output to write to")
    out.flush()
    buffer = getattr(out, "buffer", None)
    if buffer is None:  # a replaced stdout (tests, IDEs): text only
        if binary:
            raise OSError(errno.EINVAL, "standard output takes no binary data here")
        write(out)
        out.flush()
        return
    if binary:
        write(buffer)
        buffer.flush()
        return
    wrapper = io.TextIOWrapper(buffer, encoding="utf-8", newline="", write_through=True)
    try:
        write(wrapper)
        wrapper.flush()
    finally:
        wrapper.detach()  # stdout stays open for the rest of the program


def same_file(a: PathLike, b: PathLike) -> bool:
    """Whether two paths name the same file (through links; also when neither exists yet)."""
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.realpath(a) == os.path.realpath(b)


def check_outputs(outputs: Sequence[tuple[str, PathLike]], inputs: Sequence[tuple[str, PathLike]]) -> None:
    """OutputRefused when an output would overwrite an input of the same run or another output.

    ``outputs`` and ``inputs`` are (what, path) pairs, e.g. ("--export-csv", "x.csv") and
    ("the audio file", "x.wav"); standard output and devices are never compared.
    """
    seen: list[tuple[str, str]] = []
    for what, path in outputs:
        text = os.fspath(path)
        target = output_target(text)
        if target is None or (os.path.exists(text) and not os.path.isfile(text)):
            continue  # a stream (stdout, a device, a FIFO) overwrites nothing
        for other, source in inputs:
            if source and os.fspath(source) != STDOUT and same_file(target, source):
                raise OutputRefused(f"{what} {text} is {other}; an export never overwrites an input")
        for other, earlier in seen:
            if same_file(target, earlier):
                raise OutputRefused(f"{what} {text} is also the path of {other}")
        seen.append((what, text))


def write_text(path: PathLike, text: str) -> None:
    def write(f: IO[Any]) -> None:
        f.write(text)

    write_atomic(path, write)


def write_bytes(path: PathLike, data: bytes) -> None:
    def write(f: IO[Any]) -> None:
        f.write(data)

    write_atomic(path, write, binary=True)


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


def read_csv_rows(text: str, path: PathLike, error: type[Exception] = TextFileError) -> list[list[str]]:
    """The rows of CSV ``text`` (read from ``path``); a malformed one raises ``error`` naming it.

    Line ends are universal (a lone ``\\r`` too), as the csv module expects of its input.
    """
    try:
        return list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise error(f"{path}: not readable as CSV ({str(exc)[:80]})") from None


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
    for n, row in enumerate(text.splitlines(), 1):
        if len(row) > MAX_LINE_CHARS:
            raise error(f"{path}, line {n}: the line has {len(row)} characters, more than "
                        f"{MAX_LINE_CHARS}; not a text file of this kind?")
    return text
