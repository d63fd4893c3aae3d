"""Human label tracks in and out: Audacity label tracks, Raven selection tables, plain CSV.

Every reader returns ``list[Label]`` or raises ``LabelError`` with one message that names the file
and the line, so a GUI can show it in one dialog and keep whatever labels it had before.
Label text maps to model classes by exact display name (case-insensitive) or by a user table.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Mapping, Sequence

from yamview.core.files import read_csv_rows, read_text, write_csv, write_text
from yamview.core.limits import shorten

FORMATS = ("audacity", "raven", "csv")
RAVEN_BEGIN, RAVEN_END, RAVEN_LABEL = "Begin Time (s)", "End Time (s)", "Annotation"
BIRDNET_LABEL = "Common Name"  # BirdNET-Analyzer's Raven tables: the species' common name
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


def first_line(path: str | os.PathLike) -> str:
    """The first non-blank line (e.g. a Raven header), read through the same checks."""
    return next(line for line in _read_text(path).splitlines() if line.strip())


def _time(cell: str, what: str, path, line: int) -> float:
    try:
        value = float(cell.strip())
    except ValueError:
        raise LabelError(f"{_where(path, line)}: {what} '{shorten(cell.strip())}' is not a number of seconds") from None
    if not math.isfinite(value):
        raise LabelError(f"{_where(path, line)}: {what} '{shorten(cell.strip())}' is not a finite time")
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
            raise LabelError(f"{_where(path, n)}: expected start<TAB>end<TAB>label, got '{shorten(raw.strip())}'")
        labels.append(_label(cells[0], cells[1], "\t".join(cells[2:]), path, n))
    return _nonempty(labels, path)


def read_raven(path: str | os.PathLike, column: str = RAVEN_LABEL) -> list[Label]:
    """A Raven selection table (tab-separated, header row); ``column`` holds the label text.

    Raven lists each selection once per view (waveform, spectrogram): rows repeating a
    ``Selection`` number are read once. BirdNET-Analyzer's tables name the species in
    ``Common Name`` (no ``Annotation``): that column is used then, and its ``nocall`` rows skipped.
    """
    lines = _read_text(path).splitlines()
    start_at = next(i for i, l in enumerate(lines) if l.strip())
    header = [h.strip() for h in lines[start_at].split("\t")]
    skip = set()
    if column == RAVEN_LABEL and column not in header and BIRDNET_LABEL in header:
        column, skip = BIRDNET_LABEL, {"nocall"}
    missing = [c for c in (RAVEN_BEGIN, RAVEN_END, column) if c not in header]
    if missing:
        raise LabelError(f"{_where(path, start_at + 1)}: missing column{'s' * (len(missing) > 1)} "
                         f"{', '.join(repr(m) for m in missing)} (columns are: {shorten(', '.join(header))})")
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
        if text.strip() in skip:
            continue
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
    rows = [(n, r) for n, r in enumerate(read_csv_rows(_read_text(path), path, LabelError), 1)
            if any(c.strip() for c in r)]
    cols = {"start": 0, "end": 1, "label": 2}
    if rows and not (len(rows[0][1]) >= 2 and _is_number(rows[0][1][0]) and _is_number(rows[0][1][1])):
        n, head = rows.pop(0)
        names = [h.strip().lower() for h in head]
        missing = []
        for key, accepted in _CSV_COLUMNS.items():
            hit = next((names.index(a) for a in accepted if a in names), None)
            if hit is None:
                missing.append(key)
            else:
                cols[key] = hit
        if missing:
            raise LabelError(f"{_where(path, n)}: missing column{'s' * (len(missing) > 1)} "
                             f"{', '.join(missing)} (header is: {shorten(', '.join(head))}); expected start,end,label")
    labels = []
    for n, row in rows:
        if len(row) <= max(cols["start"], cols["end"]):
            raise LabelError(f"{_where(path, n)}: expected start,end,label, got '{shorten(','.join(row))}'")
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


def outside_warnings(labels: Sequence[Label], duration: float, source: str | os.PathLike = "labels") -> list[str]:
    """Warnings for labels that lie past the end of a ``duration``-second file, or run past it.

    Such labels usually belong to another recording (or to the untruncated file): say so, once.
    """
    after = [l for l in labels if l.start >= duration]
    across = [l for l in labels if l.start < duration < l.end]
    out = []
    for group, what in ((after, "start at or after"), (across, "run past")):
        if group:
            first = group[0]
            where = _where(source, first.line)
            many = f"{len(group)} labels" if len(group) > 1 else "1 label"
            out.append(f"{many} {what} the end of the file ({duration:.2f} s), first: {where}: "
                       f"'{first.text}' {first.start:g}-{first.end:g} s; are these the labels of this "
                       "recording?")
    return out


# -- class mapping -------------------------------------------------------------------------------
ANY_OF_SEPARATOR = "|"


class AnyOf(tuple):
    """A label's classes when any one of them firing is right ("Dog | Bark"), not all of them.

    A tuple of class indices like any other mapping, so code that only lists a label's classes
    (colours, the labelled set) needs no change; metrics.any_of_groups resolves it per frame.
    """


def read_mapping(path: str | os.PathLike, classes: Sequence[str]) -> dict[str, list[int] | AnyOf]:
    """A ``label,class`` CSV (header optional) -> {label.lower(): class indices}.

    Several rows for one label: the label means all of those classes. A class cell listing
    classes separated by ``|`` ("Dog | Bark"): any one of them is right (an ``AnyOf``).
    Class names must be model classes (case-insensitive); names with commas need CSV quotes.
    """
    index = {c.lower(): i for i, c in enumerate(classes)}
    mapping: dict[str, list[int]] = {}
    any_of: set[str] = set()
    rows = read_csv_rows(_read_text(path), path, LabelError)
    for n, row in enumerate(rows, 1):
        if not any(c.strip() for c in row):
            continue
        if n == 1 and [c.strip().lower() for c in row[:2]] == ["label", "class"]:
            continue
        if len(row) != 2:
            hint = " (quote class names that contain commas)" if len(row) > 2 else ""
            raise LabelError(f"{_where(path, n)}: expected label,class, got {len(row)} columns{hint}")
        label = row[0].strip()
        names = [c.strip() for c in row[1].split(ANY_OF_SEPARATOR)]
        if len(names) > 1:
            any_of.add(label.lower())
        targets = mapping.setdefault(label.lower(), [])
        for cls in names:
            if cls.lower() not in index:
                raise LabelError(f"{_where(path, n)}: '{shorten(cls)}' is not a model class")
            if index[cls.lower()] not in targets:
                targets.append(index[cls.lower()])
    if not mapping:
        raise LabelError(f"{path}: no label,class rows")
    return {k: AnyOf(v) if k in any_of else v for k, v in mapping.items()}


def mapping_rows(mapping: Mapping[str, Sequence[int]], classes: Sequence[str]) -> list[tuple[str, str]]:
    """(label, class cell) rows that ``read_mapping`` reads back to ``mapping``."""
    rows = []
    for label, targets in mapping.items():
        if isinstance(targets, AnyOf):
            rows.append((label, f" {ANY_OF_SEPARATOR} ".join(classes[i] for i in targets)))
        else:
            rows += [(label, classes[i]) for i in targets]
    return rows


def parse_classes(text: str, classes: Sequence[str]) -> list[int] | AnyOf:
    """A mapping cell typed by a person: "Dog | Bark" (any of), "Dog; Bark" (all of) or one class.

    Empty text is no class ([]); a name the model lacks is a LabelError saying which.
    """
    index = {c.lower(): i for i, c in enumerate(classes)}
    any_of = ANY_OF_SEPARATOR in text
    names = [n.strip() for n in text.replace(ANY_OF_SEPARATOR, ";").split(";") if n.strip()]
    missing = [n for n in names if n.lower() not in index]
    if missing:
        raise LabelError(f"'{missing[0]}' is not a model class")
    idx = list(dict.fromkeys(index[n.lower()] for n in names))
    return AnyOf(idx) if any_of and len(idx) > 1 else idx


def format_classes(targets: Sequence[int], classes: Sequence[str]) -> str:
    """The inverse of ``parse_classes``."""
    sep = f" {ANY_OF_SEPARATOR} " if isinstance(targets, AnyOf) else "; "
    return sep.join(classes[i] for i in targets)


def mapping_names(mapping: Mapping[str, Sequence[int]], classes: Sequence[str]) -> dict[str, dict[str, list[str]]]:
    """The mapping by class name, as JSON: {label: {"all_of" | "any_of": [class, ...]}}."""
    return {k: {"any_of" if isinstance(v, AnyOf) else "all_of": [classes[i] for i in v]} for k, v in mapping.items()}


def mapping_from_names(names: Mapping[str, Mapping[str, Sequence[str]]], classes: Sequence[str]) -> dict:
    """The inverse of ``mapping_names``; a class the model lacks is a LabelError."""
    index = {c.lower(): i for i, c in enumerate(classes)}
    out: dict[str, list[int] | AnyOf] = {}
    for label, spec in names.items():
        kind, members = next(iter(spec.items()))
        missing = [m for m in members if m.lower() not in index]
        if missing:
            raise LabelError(f"mapping of '{label}': '{missing[0]}' is not a model class")
        idx = [index[m.lower()] for m in members]
        out[label.lower()] = AnyOf(idx) if kind == "any_of" else idx
    return out


def write_mapping(path: str | os.PathLike, mapping: Mapping[str, Sequence[int]], classes: Sequence[str]) -> None:
    write_csv(path, ["label", "class"], mapping_rows(mapping, classes))


def map_labels(
    labels: Iterable[Label],
    classes: Sequence[str],
    mapping: Mapping[str, Sequence[int]] | None = None,
    source: str | os.PathLike = "labels",
    strict: bool = True,
) -> list[tuple[int, ...]]:
    """Class indices of each label: the mapping table if it names the label, else the class of
    the same display name. A label matching nothing is a LabelError naming ``source`` and lines
    (``strict``), or maps to no class (``()``: the inspector lets the user map it in place).
    """
    index = {c.lower(): i for i, c in enumerate(classes)}
    mapping = {k.lower(): v for k, v in (mapping or {}).items()}
    out, unknown = [], []
    for lab in labels:
        key = lab.text.strip().lower()
        if key in mapping:
            targets = mapping[key]
            hit = AnyOf(targets) if isinstance(targets, AnyOf) else tuple(targets)
        else:
            hit = (index[key],) if key in index else ()
        if not hit:
            unknown.append(lab)
        out.append(hit)
    if unknown and strict:
        first = unknown[0]
        names = sorted({u.text for u in unknown})
        more = f" ({len(names)} unknown labels: {', '.join(repr(x) for x in names[:_MAX_LISTED])}" \
               f"{', ...' if len(names) > _MAX_LISTED else ''})" if len(names) > 1 else ""
        raise LabelError(f"{_where(source, first.line)}: label '{shorten(first.text)}' matches no model class{more}; "
                         "use a class name or add it to a mapping CSV (label,class)")
    return out


# -- writers -------------------------------------------------------------------------------------
def _tsv_text(text: str) -> str:
    # A tab or newline inside label text would break the row structure of both formats.
    return " ".join(text.replace("\t", " ").splitlines())


def format_audacity(labels: Iterable[Label]) -> str:
    return "".join(f"{l.start:.6f}\t{l.end:.6f}\t{_tsv_text(l.text)}\n" for l in labels)


def format_raven(labels: Iterable[Label], scores: Sequence[float] | None = None,
                 band: tuple[float, float] = (0.0, 0.0)) -> str:
    """One row per selection (Spectrogram view, channel 1); ``band`` is Low/High Freq (Hz).

    Raven draws a selection as a box over that band: exports pass the file's whole band (0 to
    Nyquist) since a classifier's label has no band of its own, and a 0-0 box is invisible.
    """
    low, high = (f"{f:.6g}" for f in band)
    lines = ["\t".join(RAVEN_HEADER)]
    for i, l in enumerate(labels):
        score = f"{scores[i]:.6f}" if scores is not None else ""
        lines.append(f"{i + 1}\tSpectrogram 1\t1\t{l.start:.6f}\t{l.end:.6f}\t{low}\t{high}\t{_tsv_text(l.text)}\t{score}")
    return "\n".join(lines) + "\n"


def write_audacity(path: str | os.PathLike, labels: Iterable[Label]) -> None:
    write_text(path, format_audacity(labels))


def write_raven(path: str | os.PathLike, labels: Iterable[Label], scores: Sequence[float] | None = None,
                band: tuple[float, float] = (0.0, 0.0)) -> None:
    write_text(path, format_raven(labels, scores, band))
