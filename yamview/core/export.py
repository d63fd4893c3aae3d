"""Writers for everything the app exports, the table of export formats, and the JSON loader.

Every write goes through ``yamview.core.files`` (atomic, CSV cells escaped). ``FORMATS`` is the
one list of export formats: the CLI's ``--export-KEY`` flags and the inspector's Export menu are
both made from it, so a new format is one writer plus one row.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from yamview.core.analysis import Analysis
from yamview.core.events import Event
from yamview.core.files import UnreadableFile, read_regular, write_csv, write_text
from yamview.core.limits import MAX_JSON_BYTES, shorten
from yamview.core.framing import Framing
from yamview.core.labels_io import Label, mapping_names, write_audacity, write_raven
from yamview.core.metrics import Metrics, thresholds_dict

JSON_FORMAT, JSON_VERSION = "yamview-analysis", 1


class ExportError(ValueError):
    """A JSON export cannot be loaded; the message says why."""


def _num(x: float, digits: int = 9) -> str:
    """A fixed-point number without trailing zeros (times: sub-sample exact, never 1e-05)."""
    return f"{x:.{digits}f}".rstrip("0").rstrip(".") or "0"


# -- scores ----------------------------------------------------------------------------------------
def write_scores_csv(path: str | os.PathLike, analysis: Analysis, classes: Sequence[int] | None = None) -> None:
    """``start_s, centre_s`` then one column per class (all, or the given indices)."""
    cols = np.arange(len(analysis.classes)) if classes is None else np.asarray(classes, np.intp)
    header = ["start_s", "centre_s"] + [analysis.classes[i] for i in cols]
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
    events: Sequence[Event] | None = None,
    settings: dict | None = None,
) -> None:
    """Parameters, model sha256, classes, optional human labels and events, every frame's scores.

    ``settings`` (from ``event_settings``) records how the events and metrics were made, so the
    export holds everything needed to reproduce them.

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
        "classes": list(analysis.classes),
        "labels": [{"start_s": l.start, "end_s": l.end, "text": l.text} for l in labels or []],
        "events": [{"class": e.class_name, "start_s": e.start, "end_s": e.end, "peak": e.peak} for e in events or []],
        "settings": settings or {},
        "warnings": list(analysis.warnings),
        "frames": [
            {"index": i, "start_s": float(s), "centre_s": float(c), "scores": row}
            for i, (s, c, row) in enumerate(zip(analysis.starts, analysis.centres,
                                                analysis.scores.astype(np.float64).tolist()))
        ],
    }
    # dumps then one write: json.dump streams through the slower pure-Python encoder (~3x).
    write_text(path, json.dumps(doc, allow_nan=False, separators=(",", ":")))


def event_settings(classes: Sequence[str], thresholds, default: float, smoothing: int, min_duration: float,
                   merge_gap: float, mapping: dict | None = None) -> dict:
    """The event and metric parameters as JSON: default threshold plus the classes that differ,
    smoothing (frames), minimum duration and merge gap (s), label -> classes mapping."""
    return {
        "threshold": float(default),
        "class_thresholds": thresholds_dict(thresholds, classes, default),
        "smoothing_frames": int(smoothing),
        "min_duration_s": float(min_duration),
        "merge_gap_s": float(merge_gap),
        "mapping": mapping_names(mapping or {}, classes),
    }


def read_json(path: str | os.PathLike) -> tuple[Analysis, list[Label]]:
    """Reload a ``write_json`` file: the Analysis (identical scores and times) and its labels."""
    try:
        doc = json.loads(read_regular(path, MAX_JSON_BYTES, "JSON export").decode("utf-8"))
    except UnreadableFile as exc:
        raise ExportError(f"{path}: {exc}") from None
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise ExportError(f"{path}: not a readable JSON file ({shorten(str(exc))})") from None
    if not isinstance(doc, dict) or doc.get("format") != JSON_FORMAT:
        raise ExportError(f"{path}: not a yamview analysis export")
    if doc.get("version", 0) > JSON_VERSION:
        raise ExportError(f"{path}: written by a newer yamview (version {doc['version']})")
    try:
        p, classes, frames = doc["params"], doc["classes"], doc["frames"]
        framing = Framing(window=int(p["window_samples"]), hop=int(p["hop_samples"]), rate=int(p["sample_rate"]))
        scores = np.array([f["scores"] for f in frames], dtype=np.float32).reshape(len(frames), len(classes))
        analysis = Analysis(
            name=doc["file"], classes=list(classes), scores=scores,
            starts=np.array([f["start_s"] for f in frames], np.float64),
            centres=np.array([f["centre_s"] for f in frames], np.float64),
            duration=float(doc["duration_s"]), model_name=doc["model"]["name"],
            model_sha256=doc["model"]["sha256"], kernels=p["kernels"], threads=int(p["threads"]),
            framing=framing, warnings=list(doc.get("warnings", [])),
        )
        labels = [Label(float(l["start_s"]), float(l["end_s"]), str(l["text"])) for l in doc.get("labels", [])]
    except (KeyError, TypeError, ValueError) as exc:
        raise ExportError(f"{path}: damaged analysis export ({type(exc).__name__}: {shorten(str(exc))})") from None
    return analysis, labels


# -- events and metrics ----------------------------------------------------------------------------
def _event_labels(events: Sequence[Event]) -> list[Label]:
    return [Label(e.start, e.end, e.class_name) for e in events]


def write_events_audacity(path: str | os.PathLike, events: Sequence[Event]) -> None:
    write_audacity(path, _event_labels(events))


def write_events_raven(path: str | os.PathLike, events: Sequence[Event],
                       band: tuple[float, float] = (0.0, 0.0),
                       scientific_names: Sequence[str | None] = (), source: str = "") -> None:
    """Raven selection table; ``Score`` is each event's peak score, ``band`` the boxes' Hz.

    For a model with BirdNET-style class names the table takes BirdNET-Analyzer's own columns
    (Common Name, Species Code, Confidence, Begin Path, File Offset), the format its users'
    tools read, plus the scientific name.
    """
    if any(scientific_names):
        write_text(path, format_birdnet_raven(events, scientific_names, band, source))
    else:
        write_raven(path, _event_labels(events), [e.peak for e in events], band)


BIRDNET_RAVEN_HEADER = ("Selection", "View", "Channel", "Begin Time (s)", "End Time (s)", "Low Freq (Hz)",
                        "High Freq (Hz)", "Common Name", "Species Code", "Confidence", "Begin Path",
                        "File Offset (s)", "Scientific Name")


def format_birdnet_raven(events: Sequence[Event], scientific_names: Sequence[str | None],
                         band: tuple[float, float], source: str) -> str:
    # Species Code is an eBird code in BirdNET-Analyzer; yamview has no code list: left empty.
    low, high = (f"{f:.6g}" for f in band)
    rows = ["\t".join(BIRDNET_RAVEN_HEADER)]
    for i, e in enumerate(events, 1):
        scientific = scientific_names[e.class_index] if e.class_index < len(scientific_names) else None
        cells = [i, "Spectrogram 1", 1, f"{e.start:.6f}", f"{e.end:.6f}", low, high, e.class_name, "",
                 f"{e.peak:.4f}", source, f"{e.start:.6f}", scientific or ""]
        rows.append("\t".join(str(c).replace("\t", " ") for c in cells))
    return "\n".join(rows) + "\n"


def full_band(analysis: Analysis) -> tuple[float, float]:
    """0 to the file's Nyquist frequency (the model's when the file's rate is unknown)."""
    return 0.0, (analysis.source_rate or analysis.framing.rate) / 2


METRICS_COLUMNS = ["class", "threshold", "hits", "misses", "false_alarms", "true_negatives",
                   "precision", "recall", "f1"]


def write_metrics_csv(path: str | os.PathLike, metrics: Metrics, classes: Sequence[int] | None = None) -> None:
    """One row per class (default: the classes labelled or predicted); undefined ratios empty."""

    def cell(v):
        if isinstance(v, float):
            return "" if math.isnan(v) else f"{v:.6g}"
        return v

    write_csv(path, METRICS_COLUMNS,
              ([cell(r[c]) for c in METRICS_COLUMNS] for r in metrics.rows(classes)))


# -- the format table --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Exportable:
    """What an export may draw on: the analysis and, when there are any, labels, events, metrics."""

    analysis: Analysis
    labels: Sequence[Label] | None = None
    events: Sequence[Event] = ()
    metrics: Metrics | None = None
    classes: Sequence[int] | None = None  # score columns to write (None: every class)
    settings: dict | None = None  # how events and metrics were made (``event_settings``)
    scientific_names: Sequence[str | None] = ()  # per class (BirdNET-style names), else empty


@dataclass(frozen=True)
class ExportFormat:
    key: str  # the CLI flag is --export-KEY
    what: str  # "Export <what>" is the save dialog's title
    menu: str  # Export menu entry (with its & mnemonic)
    help: str  # CLI help
    suffix: str  # default file name: <recording stem>.<suffix>
    file_filter: str
    write: Callable[[str | os.PathLike, Exportable], None]
    needs_labels: bool = False  # needs human labels (metrics compare the model with them)
    shown_menu: str | None = None  # a second menu entry writing only the classes on screen


def _metrics_csv(path: str | os.PathLike, x: Exportable) -> None:
    if x.metrics is None:
        raise ValueError("the metrics export needs human labels")
    write_metrics_csv(path, x.metrics, x.metrics.order())


FORMATS: tuple[ExportFormat, ...] = (
    ExportFormat("csv", "per-frame scores", "Scores CSV, &all classes…", "per-frame scores of every class",
                 "scores.csv", "CSV (*.csv)", lambda p, x: write_scores_csv(p, x.analysis, x.classes),
                 shown_menu="Scores CSV, &shown classes…"),
    ExportFormat("json", "analysis as JSON", "&JSON (parameters, model, frames)…",
                 "parameters, model sha256, classes, labels, events, every frame's scores", "json", "JSON (*.json)",
                 lambda p, x: write_json(p, x.analysis, x.labels or None, x.events, x.settings)),
    ExportFormat("audacity", "events as an Audacity label track", "Events as &Audacity labels…",
                 "events as an Audacity label track", "events.txt", "Text (*.txt)",
                 lambda p, x: write_events_audacity(p, x.events)),
    ExportFormat("raven", "events as a Raven selection table", "Events as &Raven table…",
                 "events as a Raven selection table", "selections.txt", "Raven selection table (*.txt)",
                 lambda p, x: write_events_raven(p, x.events, full_band(x.analysis), x.scientific_names,
                                                 x.analysis.name)),
    ExportFormat("metrics", "the metrics table", "&Metrics CSV…", "the metrics table as CSV (needs --labels)",
                 "metrics.csv", "CSV (*.csv)", _metrics_csv, needs_labels=True),
)


def export_format(key: str) -> ExportFormat:
    return next(f for f in FORMATS if f.key == key)
