"""The held-out before/after figures as a text table, a CSV (plus its curves) or one HTML page.

The HTML page is self-contained (inline SVG, no scripts): per class the precision/recall curve
and the reliability diagram (mean predicted score vs observed rate per score bin), before and
after calibration, next to the table.
"""

from __future__ import annotations

import html
import math
import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from yamview.core.calibrate.fit import HeldOut

REPORT_COLUMNS = [
    "class", "labelled_frames", "status", "before_threshold", "before_precision", "before_recall",
    "before_f1", "after_threshold", "after_precision", "after_recall", "after_f1",
    "brier_before", "brier_after", "slope", "offset", "note",
]
CURVE_COLUMNS = ["class", "curve", "stage", "x", "y", "frames"]
REPORT_SUFFIXES = (".csv", ".html", ".htm")


def _num(v: float, digits: int = 3) -> str:
    return "" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:.{digits}f}"


def rows(result: HeldOut) -> Iterator[dict]:
    """One dict per labelled class (REPORT_COLUMNS), in the order of the fit."""
    b, a = result.before, result.after
    for c in result.fit.classes:
        i = c.index
        cv = result.curves[i]
        yield {
            "class": c.name, "labelled_frames": c.labelled_frames,
            "status": "calibrated" if c.sigmoid is not None else "left as is",
            "before_threshold": float(b.thresholds[i]), "before_precision": float(b.precision[i]),
            "before_recall": float(b.recall[i]), "before_f1": float(b.f1[i]),
            "after_threshold": float(a.thresholds[i]), "after_precision": float(a.precision[i]),
            "after_recall": float(a.recall[i]), "after_f1": float(a.f1[i]),
            "brier_before": cv.brier_before, "brier_after": cv.brier_after,
            "slope": c.sigmoid.slope if c.sigmoid else math.nan,
            "offset": c.sigmoid.offset if c.sigmoid else math.nan,
            "note": c.note,
        }


def heading(result: HeldOut) -> list[str]:
    f = result.fit
    where = ("in-sample (one recording)" if result.in_sample
             else f"held out: {result.folds} folds by recording, each recording scored by a fit "
                  "on the others")
    return [
        f"calibration check, {where}",
        (f"objective: {f.objective}; before: raw scores, one threshold {f.global_threshold:.3f} "
         "for every class; after: calibrated scores, per-class thresholds"),
    ]


def format_table(result: HeldOut) -> str:
    """The before/after table the CLI prints."""
    lines = heading(result)
    lines.append(f"  {'frames':>6}  {'before':>5} {'P':>5} {'R':>5} {'F1':>5}   "
                 f"{'after':>5} {'P':>5} {'R':>5} {'F1':>5}  class")
    for r in rows(result):
        def m(k: str, r: dict = r) -> str:
            return f"{_num(r[k]) or '-':>5}"

        after = (f"{m('after_threshold')} {m('after_precision')} {m('after_recall')} {m('after_f1')}"
                 if r["status"] == "calibrated" else f"{'(left as is)':>23}")
        note = f"  [{r['note']}]" if r["note"] else ""
        lines.append(f"  {r['labelled_frames']:>6}  {m('before_threshold')} {m('before_precision')} "
                     f"{m('before_recall')} {m('before_f1')}   {after}  {r['class']}{note}")
    lines.append(f"  mean F1 over calibrated classes: before {_num(result.mean_f1('before'))}, "
                 f"after {_num(result.mean_f1('after'))}")
    lines += [f"  note: {n}" for n in result.notes]
    return "\n".join(lines)


def curves_path(report: str | os.PathLike) -> Path:
    """Where the CSV report's curves go: ``report.curves.csv`` beside it."""
    p = Path(report)
    return p.with_name(f"{p.stem}.curves.csv")


def write_report(path: str | os.PathLike, result: HeldOut) -> list[Path]:
    """Write the report (CSV, plus its curves beside it, or HTML by suffix); the paths written."""
    from yamview.core.files import write_csv, write_text

    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in REPORT_SUFFIXES:
        raise ValueError(f"{path}: a report is .csv or .html")
    if suffix == ".csv":
        table = [[_cell(r[k]) for k in REPORT_COLUMNS] for r in rows(result)]
        curves = list(_curve_rows(result))
        write_csv(path, REPORT_COLUMNS, table)
        write_csv(curves_path(path), CURVE_COLUMNS, curves)
        return [path, curves_path(path)]
    write_text(path, format_html(result))
    return [path]


def _cell(v) -> object:
    if isinstance(v, float):
        return "" if math.isnan(v) else f"{v:.6g}"
    return v


def _curve_rows(result: HeldOut) -> Iterator[list]:
    for c in result.fit.classes:
        cv = result.curves[c.index]
        for stage, (rec, prec) in (("before", cv.pr_before), ("after", cv.pr_after)):
            for x, y in zip(rec, prec):
                yield [c.name, "pr", stage, f"{x:.6g}", f"{y:.6g}", ""]
        for stage, (mean, obs, n) in (("before", cv.reliability_before), ("after", cv.reliability_after)):
            for x, y, k in zip(mean, obs, n):
                if k:
                    yield [c.name, "reliability", stage, f"{x:.6g}", f"{y:.6g}", int(k)]


# -- HTML --------------------------------------------------------------------------------------------
_SIZE, _PAD = 220, 28
_BEFORE, _AFTER = "#9a9a9a", "#1f6fd1"


def _svg_plot(title: str, xlabel: str, ylabel: str, series: list[tuple[str, np.ndarray, np.ndarray, bool]],
              diagonal: bool = False) -> str:
    """A small square plot on [0, 1]²: (colour, x, y, dots) series."""
    s, p = _SIZE, _PAD

    def xy(x: float, y: float) -> str:
        return f"{p + x * (s - 2 * p):.1f},{s - p - y * (s - 2 * p):.1f}"

    parts = [f'<svg width="{s}" height="{s}" viewBox="0 0 {s} {s}" role="img">',
             f"<title>{html.escape(title)}</title>",
             f'<rect x="{p}" y="{p}" width="{s - 2 * p}" height="{s - 2 * p}" fill="none" stroke="#ccc"/>']
    if diagonal:
        parts.append(f'<polyline points="{xy(0, 0)} {xy(1, 1)}" stroke="#ccc" stroke-dasharray="4 3" fill="none"/>')
    for colour, x, y, dots in series:
        ok = np.isfinite(x) & np.isfinite(y)
        pts = " ".join(xy(float(a), float(b)) for a, b in zip(x[ok], y[ok]))
        if pts:
            parts.append(f'<polyline points="{pts}" stroke="{colour}" stroke-width="1.6" fill="none"/>')
            if dots:
                parts += [f'<circle cx="{q.split(",")[0]}" cy="{q.split(",")[1]}" r="2.5" fill="{colour}"/>'
                          for q in pts.split()]
    parts += [f'<text x="{s / 2}" y="{s - 6}" font-size="11" text-anchor="middle">{xlabel}</text>',
              (f'<text x="10" y="{s / 2}" font-size="11" text-anchor="middle" '
               f'transform="rotate(-90 10 {s / 2})">{ylabel}</text>'),
              f'<text x="{s / 2}" y="16" font-size="12" text-anchor="middle">{html.escape(title)}</text>',
              "</svg>"]
    return "".join(parts)


def format_html(result: HeldOut) -> str:
    head = "".join(f"<p>{html.escape(line)}</p>" for line in heading(result))
    cols = ["class", "labelled_frames", "status", "before_threshold", "before_precision",
            "before_recall", "before_f1", "after_threshold", "after_precision", "after_recall",
            "after_f1", "brier_before", "brier_after", "note"]
    table = ["<table><tr>" + "".join(f"<th>{col.replace('_', ' ')}</th>" for col in cols) + "</tr>"]
    for r in rows(result):
        cells = []
        for col in cols:
            v = r[col]
            cells.append(f"<td>{html.escape(_num(v) if isinstance(v, float) else str(v))}</td>")
        table.append("<tr>" + "".join(cells) + "</tr>")
    table.append("</table>")
    plots = []
    for c in result.fit.classes:
        cv = result.curves[c.index]
        pr = _svg_plot("precision / recall", "recall", "precision",
                       [(_BEFORE, *cv.pr_before, False), (_AFTER, *cv.pr_after, False)])
        rel = _svg_plot("reliability", "mean predicted score", "observed rate",
                        [(_BEFORE, cv.reliability_before[0], cv.reliability_before[1], True),
                         (_AFTER, cv.reliability_after[0], cv.reliability_after[1], True)], diagonal=True)
        plots.append(f"<section><h3>{html.escape(c.name)}</h3>{pr}{rel}</section>")
    notes = "".join(f"<p>note: {html.escape(n)}</p>" for n in result.notes)
    legend = (f'<p><span style="color:{_BEFORE}">&#9632; before (raw YAMNet)</span> &nbsp; '
              f'<span style="color:{_AFTER}">&#9632; after (calibrated)</span></p>')
    style = ("body{font-family:sans-serif;margin:1.5em}table{border-collapse:collapse}"
             "td,th{border:1px solid #ddd;padding:2px 6px;text-align:right}"
             "section{display:inline-block;margin:0 1em 1em 0}h3{margin:.2em 0;font-size:14px}")
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>yamview calibration report"
            f"</title><style>{style}</style></head><body><h1>Calibration report</h1>{head}"
            f"{''.join(table)}{notes}{legend}{''.join(plots)}</body></html>\n")
