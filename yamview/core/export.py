"""Writers for everything the app exports, and the JSON loader.

Every write is atomic: a temporary file in the destination folder, renamed over the target only
once complete, so a crash or a full disk never leaves a half-written export (or a clobbered old
one). CSV cells that a spreadsheet would run as a formula (``= + - @``) get a leading quote,
except plain numbers.
"""

from __future__ import annotations

import contextlib
import csv
import json
import math
import os
import re
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Iterator, Sequence

import numpy as np

from yamview.core.analysis import Analysis
from yamview.core.framing import Framing
from yamview.core.labels_io import Label, write_audacity, write_raven

if TYPE_CHECKING:
    from yamview.core.events import Event
    from yamview.core.metrics import Metrics

JSON_FORMAT, JSON_VERSION = "yamview-analysis", 1
_FORMULA_START = ("=", "+", "-", "@")
_PLAIN_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


class ExportError(ValueError):
    """A JSON export cannot be loaded; the message says why."""


# -- atomic writes -------------------------------------------------------------------------------
@contextlib.contextmanager
def atomic_write(path: str | os.PathLike, mode: str = "w", encoding: str | None = "utf-8",
                 newline: str | None = None) -> Iterator:
    """Open a temporary sibling of ``path``; on success it replaces ``path``, on error it vanishes."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent or ".")
    try:
        binary = "b" in mode
        with os.fdopen(fd, mode, encoding=None if binary else encoding,
                       newline=None if binary else newline) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; an export is meant to be shared
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_text(path: str | os.PathLike, text: str) -> None:
    with atomic_write(path, newline="") as f:  # newline="": keep "\n" on Windows too
        f.write(text)


def escape_cell(value) -> str:
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


def write_csv(path: str | os.PathLike, header: Sequence, rows: Iterable[Sequence]) -> None:
    with atomic_write(path, newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow([escape_cell(h) for h in header])
        for row in rows:
            w.writerow([escape_cell(c) for c in row])


def _num(x: float, digits: int = 9) -> str:
    """A fixed-point number without trailing zeros (times: sub-sample exact, never 1e-05)."""
    return f"{x:.{digits}f}".rstrip("0").rstrip(".") or "0"


# -- scores ----------------------------------------------------------------------------------------
def write_scores_csv(path: str | os.PathLike, analysis: Analysis, classes: Sequence[int] | None = None) -> None:
    """``start_s, centre_s`` then one column per class (all, or the given indices)."""
    cols = np.arange(len(analysis.labels)) if classes is None else np.asarray(classes, np.intp)
    header = ["start_s", "centre_s"] + [analysis.labels[i] for i in cols]
    sub = analysis.scores[:, cols]

    def rows():
        for i in range(analysis.n_frames):
            # %.9g: enough digits for any float32 to read back exactly.
            yield [_num(analysis.starts[i]), _num(analysis.centres[i])] + ["%.9g" % x for x in sub[i].tolist()]

    write_csv(path, header, rows())


def write_json(
    path: str | os.PathLike,
    analysis: Analysis,
    labels: Sequence[Label] | None = None,
    events: Sequence["Event"] | None = None,
) -> None:
    """Parameters, model sha256, classes, optional human labels and events, every frame's scores.

    Scores are JSON numbers printed from the float32 value (as a double), which reads back to
    the identical float32: exact, and still readable by any tool.
    """
    fr = analysis.framing
    doc = {
        "format": JSON_FORMAT,
        "version": JSON_VERSION,
        "file": analysis.name,
        "duration_s": analysis.duration,
        "params": {**analysis.params(), "window_samples": fr.window, "hop_samples": fr.hop},
        "model": {"name": analysis.model_name, "sha256": analysis.model_sha256},
        "classes": list(analysis.labels),
        "labels": [{"start_s": l.start, "end_s": l.end, "text": l.text} for l in labels or []],
        "events": [{"class": e.label, "start_s": e.start, "end_s": e.end, "peak": e.peak} for e in events or []],
        "warnings": list(analysis.warnings),
        "frames": [
            {"index": i, "start_s": float(s), "centre_s": float(c), "scores": row}
            for i, (s, c, row) in enumerate(zip(analysis.starts, analysis.centres,
                                                analysis.scores.astype(np.float64).tolist()))
        ],
    }
    # dumps then one write: json.dump streams through the slower pure-Python encoder (~3x).
    text = json.dumps(doc, allow_nan=False, separators=(",", ":"))
    with atomic_write(path) as f:
        f.write(text)


def read_json(path: str | os.PathLike) -> tuple[Analysis, list[Label]]:
    """Reload a ``write_json`` file: the Analysis (identical scores and times) and its labels."""
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ExportError(f"{path}: not a readable JSON file ({exc})") from None
    if not isinstance(doc, dict) or doc.get("format") != JSON_FORMAT:
        raise ExportError(f"{path}: not a yamview analysis export")
    if doc.get("version", 0) > JSON_VERSION:
        raise ExportError(f"{path}: written by a newer yamview (version {doc['version']})")
    try:
        p, classes, frames = doc["params"], doc["classes"], doc["frames"]
        framing = Framing(window=int(p["window_samples"]), hop=int(p["hop_samples"]), rate=int(p["sample_rate"]))
        scores = np.array([f["scores"] for f in frames], dtype=np.float32).reshape(len(frames), len(classes))
        analysis = Analysis(
            name=doc["file"], labels=list(classes), scores=scores,
            starts=np.array([f["start_s"] for f in frames], np.float64),
            centres=np.array([f["centre_s"] for f in frames], np.float64),
            duration=float(doc["duration_s"]), model_name=doc["model"]["name"],
            model_sha256=doc["model"]["sha256"], kernels=p["kernels"], threads=int(p["threads"]),
            framing=framing, warnings=list(doc.get("warnings", [])),
        )
        labels = [Label(float(l["start_s"]), float(l["end_s"]), str(l["text"])) for l in doc.get("labels", [])]
    except (KeyError, TypeError, ValueError) as exc:
        raise ExportError(f"{path}: damaged analysis export ({type(exc).__name__}: {exc})") from None
    return analysis, labels


# -- events and metrics ----------------------------------------------------------------------------
def _event_labels(events: Sequence["Event"]) -> list[Label]:
    return [Label(e.start, e.end, e.label) for e in events]


def write_events_audacity(path: str | os.PathLike, events: Sequence["Event"]) -> None:
    write_audacity(path, _event_labels(events))


def write_events_raven(path: str | os.PathLike, events: Sequence["Event"]) -> None:
    """Raven selection table; ``Score`` is each event's peak score."""
    write_raven(path, _event_labels(events), [e.peak for e in events])


METRICS_COLUMNS = ["class", "threshold", "hits", "misses", "false_alarms", "true_negatives",
                   "precision", "recall", "f1"]


def write_metrics_csv(path: str | os.PathLike, metrics: "Metrics", classes: Sequence[int] | None = None) -> None:
    """One row per class (default: the classes labelled or predicted); undefined ratios empty."""

    def cell(v):
        if isinstance(v, float):
            return "" if math.isnan(v) else f"{v:.6g}"
        return v

    write_csv(path, METRICS_COLUMNS,
              ([cell(r[c]) for c in METRICS_COLUMNS] for r in metrics.rows(classes)))
