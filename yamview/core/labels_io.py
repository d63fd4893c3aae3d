"""Human label tracks in and out: Audacity label tracks, Raven selection tables, plain CSV.

Every reader returns ``list[Label]`` or raises ``LabelError`` with one message that names the file
and the line, so a GUI can show it in one dialog and keep whatever labels it had before.
Label text maps to model classes by exact display name (case-insensitive) or by a user table.
"""

from __future__ import annotations

import csv
import io
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Mapping, Sequence

from yamview.core.files import read_text, write_text

FORMATS = ("audacity", "raven", "csv")
RAVEN_BEGIN, RAVEN_END, RAVEN_LABEL = "Begin Time (s)", "End Time (s)", "Annotation"
RAVEN_HEADER = ("Selection", "View", "Channel", RAVEN_BEGIN, RAVEN_END,
                "Low Freq (Hz)", "High Freq (Hz)", RAVEN_LABEL, "Score")
# Accepted CSV header names (lower case), first is what we write.
_CSV_COLUMNS = {"start": ("start", "begin", "onset", "start_s"),
                "end": ("end", "stop", "offset", "end_s"),
                "label": ("label", "annotation", "class", "text")}
_MAX_LISTED = 3  # unknown labels listed by name in one message


class LabelError(Exception):
    """A label or mapping file cannot be used; the message names the file and line."""


@dataclass(frozen=True)
class Label:
    """One human label: seconds from the start of the file; a point label has start == end."""

    start: float
    end: float
    text: str
    line: int | None = field(default=None, compare=False, repr=False)  # for error messages


def _where(path, line: int | None) -> str:
    return f"{path}, line {line}" if line else f"{path}"


def _read_text(path: str | os.PathLike) -> str:
    return read_text(path, LabelError, empty="the file is empty (no labels)")


def _time(cell: str, what: str, path, line: int) -> float:
    try:
        value = float(cell.strip())
    except ValueError:
        raise LabelError(f"{_where(path, line)}: {what} '{cell.strip()}' is not a number of seconds") from None
    if not math.isfinite(value):
        raise LabelError(f"{_where(path, line)}: {what} '{cell.strip()}' is not a finite time")
    if value < 0:
        raise LabelError(f"{_where(path, line)}: negative {what} {value:g} s")
    return value


def _label(start: str, end: str, text: str, path, line: int) -> Label:
    a, b = _time(start, "start time", path, line), _time(end, "end time", path, line)
    if b < a:
        raise LabelError(f"{_where(path, line)}: end time {b:g} s is before start time {a:g} s")
    return Label(a, b, text.strip(), line)


def _nonempty(labels: list[Label], path) -> list[Label]:
    if not labels:
        raise LabelError(f"{path}: no labels in the file")
    return labels


# -- readers -------------------------------------------------------------------------------------
def read_audacity(path: str | os.PathLike) -> list[Label]:
    """``start<TAB>end<TAB>label`` per line; ``\\``-rows (Audacity's frequency ranges) skipped."""
    labels = []
    for n, raw in enumerate(_read_text(path).splitlines(), 1):
        if not raw.strip() or raw.startswith("\\"):
            continue
        cells = raw.split("\t")
        if len(cells) < 2:
            # Hand-written tracks sometimes use spaces; Audacity itself always writes tabs.
            cells = raw.split(None, 2)
        if len(cells) < 2:
            raise LabelError(f"{_where(path, n)}: expected start<TAB>end<TAB>label, got '{raw.strip()}'")
        labels.append(_label(cells[0], cells[1], "\t".join(cells[2:]), path, n))
    return _nonempty(labels, path)


def read_raven(path: str | os.PathLike, column: str = RAVEN_LABEL) -> list[Label]:
    """A Raven selection table (tab-separated, header row); ``column`` holds the label text.

    Raven lists each selection once per view (waveform, spectrogram): rows repeating a
    ``Selection`` number are read once.
    """
    lines = _read_text(path).splitlines()
    start_at = next(i for i, l in enumerate(lines) if l.strip())
    header = [h.strip() for h in lines[start_at].split("\t")]
    missing = [c for c in (RAVEN_BEGIN, RAVEN_END, column) if c not in header]
    if missing:
        raise LabelError(f"{_where(path, start_at + 1)}: missing column{'s' * (len(missing) > 1)} "
                         f"{', '.join(repr(m) for m in missing)} (columns are: {', '.join(header)})")
    ib, ie, il = header.index(RAVEN_BEGIN), header.index(RAVEN_END), header.index(column)
    isel = header.index("Selection") if "Selection" in header else None
    seen: set[str] = set()
    labels = []
    for n in range(start_at + 2, len(lines) + 1):
        cells = lines[n - 1].split("\t")
        if not lines[n - 1].strip():
            continue
        if len(cells) <= max(ib, ie):
            raise LabelError(f"{_where(path, n)}: {len(cells)} columns, the header has {len(header)}")
        if isel is not None and cells[isel].strip():
            if cells[isel].strip() in seen:
                continue
            seen.add(cells[isel].strip())
        text = cells[il] if il < len(cells) else ""
        labels.append(_label(cells[ib], cells[ie], text, path, n))
    return _nonempty(labels, path)


def _is_number(cell: str) -> bool:
    try:
        float(cell)
        return True
    except ValueError:
        return False


def read_csv_labels(path: str | os.PathLike) -> list[Label]:
    """``start,end,label`` rows; an optional header names the columns (any order)."""
    rows = [(n, r) for n, r in enumerate(csv.reader(io.StringIO(_read_text(path))), 1) if any(c.strip() for c in r)]
    cols = {"start": 0, "end": 1, "label": 2}
    if rows and not (len(rows[0][1]) >= 2 and _is_number(rows[0][1][0]) and _is_number(rows[0][1][1])):
        n, head = rows.pop(0)
        names = [h.strip().lower() for h in head]
        missing = []
        for key, accepted in _CSV_COLUMNS.items():
            hit = next((names.index(a) for a in accepted if a in names), None)
            if hit is None:
                missing.append(key)
            cols[key] = hit
        if missing:
            raise LabelError(f"{_where(path, n)}: missing column{'s' * (len(missing) > 1)} "
                             f"{', '.join(missing)} (header is: {', '.join(head)}); expected start,end,label")
    labels = []
    for n, row in rows:
        if len(row) <= max(cols["start"], cols["end"]):
            raise LabelError(f"{_where(path, n)}: expected start,end,label, got '{','.join(row)}'")
        text = row[cols["label"]] if cols["label"] < len(row) else ""
        labels.append(_label(row[cols["start"]], row[cols["end"]], text, path, n))
    return _nonempty(labels, path)


def detect_format(path: str | os.PathLike) -> str:
    """'raven', 'audacity' or 'csv', from the first line's content, else from the extension."""
    text = _read_text(path)
    first = next(l for l in text.splitlines() if l.strip())
    if RAVEN_BEGIN in first:
        return "raven"
    if "\t" in first:
        return "audacity"
    if "," in first:
        return "csv"
    return "csv" if Path(path).suffix.lower() == ".csv" else "audacity"


def read_labels(path: str | os.PathLike, fmt: str | None = None, column: str = RAVEN_LABEL) -> list[Label]:
    """Read any supported track; ``fmt`` None detects it; ``column`` is Raven's label column."""
    fmt = fmt or detect_format(path)
    if fmt == "audacity":
        return read_audacity(path)
    if fmt == "raven":
        return read_raven(path, column)
    if fmt == "csv":
        return read_csv_labels(path)
    raise ValueError(f"unknown label format {fmt!r}; use one of {', '.join(FORMATS)}")


# -- class mapping -------------------------------------------------------------------------------
def read_mapping(path: str | os.PathLike, classes: Sequence[str]) -> dict[str, list[int]]:
    """A ``label,class`` CSV (header optional, several rows per label) -> {label.lower(): [class index]}.

    Class names must be model classes (case-insensitive); names with commas need CSV quotes.
    """
    index = {c.lower(): i for i, c in enumerate(classes)}
    mapping: dict[str, list[int]] = {}
    rows = list(csv.reader(io.StringIO(_read_text(path))))
    for n, row in enumerate(rows, 1):
        if not any(c.strip() for c in row):
            continue
        if n == 1 and [c.strip().lower() for c in row[:2]] == ["label", "class"]:
            continue
        if len(row) != 2:
            hint = " (quote class names that contain commas)" if len(row) > 2 else ""
            raise LabelError(f"{_where(path, n)}: expected label,class, got {len(row)} columns{hint}")
        label, cls = row[0].strip(), row[1].strip()
        if cls.lower() not in index:
            raise LabelError(f"{_where(path, n)}: '{cls}' is not a model class")
        targets = mapping.setdefault(label.lower(), [])
        if index[cls.lower()] not in targets:
            targets.append(index[cls.lower()])
    if not mapping:
        raise LabelError(f"{path}: no label,class rows")
    return mapping


def map_labels(
    labels: Iterable[Label],
    classes: Sequence[str],
    mapping: Mapping[str, Sequence[int]] | None = None,
    source: str | os.PathLike = "labels",
) -> list[tuple[int, ...]]:
    """Class indices of each label: the mapping table if it names the label, else the class of
    the same display name. A label matching nothing is a LabelError naming ``source`` and lines.
    """
    index = {c.lower(): i for i, c in enumerate(classes)}
    mapping = {k.lower(): v for k, v in (mapping or {}).items()}
    out, unknown = [], []
    for lab in labels:
        key = lab.text.strip().lower()
        hit = tuple(mapping[key]) if key in mapping else ((index[key],) if key in index else ())
        if not hit:
            unknown.append(lab)
        out.append(hit)
    if unknown:
        first = unknown[0]
        names = sorted({u.text for u in unknown})
        more = f" ({len(names)} unknown labels: {', '.join(repr(x) for x in names[:_MAX_LISTED])}" \
               f"{', ...' if len(names) > _MAX_LISTED else ''})" if len(names) > 1 else ""
        raise LabelError(f"{_where(source, first.line)}: label '{first.text}' matches no model class{more}; "
                         "use a class name or add it to a mapping CSV (label,class)")
    return out


# -- writers -------------------------------------------------------------------------------------
def _tsv_text(text: str) -> str:
    # A tab or newline inside label text would break the row structure of both formats.
    return " ".join(text.replace("\t", " ").splitlines())


def format_audacity(labels: Iterable[Label]) -> str:
    return "".join(f"{l.start:.6f}\t{l.end:.6f}\t{_tsv_text(l.text)}\n" for l in labels)


def format_raven(labels: Iterable[Label], scores: Sequence[float] | None = None) -> str:
    """One row per selection (Spectrogram view, channel 1); frequencies 0 (YAMNet has no band)."""
    lines = ["\t".join(RAVEN_HEADER)]
    for i, l in enumerate(labels):
        score = f"{scores[i]:.6f}" if scores is not None else ""
        lines.append(f"{i + 1}\tSpectrogram 1\t1\t{l.start:.6f}\t{l.end:.6f}\t0\t0\t{_tsv_text(l.text)}\t{score}")
    return "\n".join(lines) + "\n"


def write_audacity(path: str | os.PathLike, labels: Iterable[Label]) -> None:
    write_text(path, format_audacity(labels))


def write_raven(path: str | os.PathLike, labels: Iterable[Label], scores: Sequence[float] | None = None) -> None:
    write_text(path, format_raven(labels, scores))
