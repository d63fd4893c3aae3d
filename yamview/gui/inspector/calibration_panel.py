"""The inspector's Calibration tab: fit the model on labelled recordings, see before/after per
class, export the calibrated model.

The work is :func:`yamview.core.calibrate.calibrate` on a background thread (recordings analysed
through the results cache, so a second run is quick). The tab shows, per labelled class, held-out
precision / recall / F1 before (raw scores, one threshold for all classes) and after (calibrated
scores, the class's fitted threshold), and for the selected class its precision/recall curve and
reliability diagram. Every failure is one message in the window's banner; nothing is written
until Export.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from yamview.core.calibrate import (
    Calibration,
    Objective,
    held_out,
    write_calibrated_model,
)
from yamview.core.calibrate.fit import HeldOut
from yamview.core.calibrate.report import REPORT_SUFFIXES, heading, write_report
from yamview.core.training.head import import_sklearn
from yamview.gui import palette
from yamview.gui.inspector.job import Background, ModelSpec, load_model

BEFORE_COLOUR, AFTER_COLOUR = "#9a9a9a", "#4e9bf5"
COLUMNS = ["Class", "Frames", "Before thr", "P", "R", "F1", "After thr", "P", "R", "F1", "Note"]


class CalibrationPanel(QWidget):
    message = Signal(str, str)  # text, kind: for the window's banner
    use_model = Signal(str)  # an exported calibrated model the user wants to inspect with

    def __init__(self, spec: Callable[[], ModelSpec], mapping: Callable[[], dict | None],
                 folder: Callable[[], str], parent=None) -> None:
        super().__init__(parent)
        self._spec, self._mapping, self._folder = spec, mapping, folder
        self.run: Calibration | None = None
        self.result: HeldOut | None = None
        self.model = None  # the model the calibration was fitted for
        self.jobs = Background("yamview-calibrate")
        self.jobs.done.connect(self._on_done)
        self.jobs.failed.connect(self._on_failed)
        self.busy = False
        # (recordings analysed, of how many, the one being analysed): written by the job's
        # thread, read by a timer here (no signal per recording across threads).
        self.analysed: tuple[int, int, str] | None = None
        self._poll = QTimer(self)
        self._poll.setInterval(250)
        self._poll.timeout.connect(self._show_progress)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        row = QHBoxLayout()
        self.start_button = QPushButton("Calibrate on recordings…")
        self.start_button.setToolTip("Choose a folder of recordings with their labels beside them "
                                     "(rec.wav + rec.txt Audacity / rec.csv / rec.Table.1.selections.txt "
                                     "Raven); the label → class mapping loaded here is used")
        self.start_button.clicked.connect(self.choose_folder)
        row.addWidget(self.start_button)
        self.objective = QComboBox()
        self.objective.addItem("best F1", "f1")
        self.objective.addItem("precision ≥", "precision")
        self.objective.addItem("recall ≥", "recall")
        self.objective.setToolTip("What each class's threshold is chosen for")
        self.target = QDoubleSpinBox()
        self.target.setRange(0.05, 1.0)
        self.target.setSingleStep(0.05)
        self.target.setValue(0.9)
        self.target.setEnabled(False)
        self.objective.currentIndexChanged.connect(self._on_objective)
        self.target.valueChanged.connect(self._on_objective)
        row.addWidget(self.objective)
        row.addWidget(self.target)
        layout.addLayout(row)
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)
        self.progress.setVisible(False)
        layout.addWidget(self.progress)
        self.status = QLabel("Fit per-class score calibration and thresholds on your labelled "
                             "recordings; the figures are held out (fit on some recordings, "
                             "scored on the others).")
        self.status.setWordWrap(True)
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        layout.addWidget(self.status)

        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for c in range(2, 10):
            item = self.table.horizontalHeaderItem(c)
            item.setToolTip("held-out precision / recall / F1 " +
                            ("before: raw scores, one threshold for all classes" if c < 6 else
                             "after: calibrated scores, the class's fitted threshold"))
        self.table.itemSelectionChanged.connect(self._show_selected)
        layout.addWidget(self.table, 2)

        plots = QHBoxLayout()
        self.pr_widget = _plot("Precision / recall (held out)", "recall", "precision")
        self.rel_widget = _plot("Reliability (held out)", "mean predicted score", "observed rate")
        self.pr_plot, self.rel_plot = self.pr_widget.getPlotItem(), self.rel_widget.getPlotItem()
        self.rel_plot.plot([0, 1], [0, 1], pen=pg.mkPen("#6b7280", width=1, style=Qt.PenStyle.DashLine))
        plots.addWidget(self.pr_widget)
        plots.addWidget(self.rel_widget)
        layout.addLayout(plots, 2)
        self._curves: list = []
        legend = QLabel(f"<span style='color:{BEFORE_COLOUR}'>■</span> before (raw)  "
                        f"<span style='color:{AFTER_COLOUR}'>■</span> after (calibrated)  "
                        "● operating point at the threshold")
        legend.setTextFormat(Qt.TextFormat.RichText)
        layout.addWidget(legend)

        buttons = QHBoxLayout()
        self.export_button = QPushButton("Export calibrated model…")
        self.export_button.setToolTip("The model with the calibration in its own metadata (MediaPipe "
                                      "applies it too) and its per-class thresholds as NAME.thresholds.csv")
        self.export_button.clicked.connect(lambda: self.export())
        self.report_button = QPushButton("Save report…")
        self.report_button.setToolTip("The before/after figures: HTML (with the curves) or CSV")
        self.report_button.clicked.connect(lambda: self.save_report())
        for b in (self.export_button, self.report_button):
            b.setEnabled(False)
            buttons.addWidget(b)
        layout.addLayout(buttons)

    # == running ===================================================================================
    def objective_value(self) -> Objective:
        kind = self.objective.currentData()
        return Objective() if kind == "f1" else Objective(kind, float(self.target.value()))

    def choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Labelled recordings (labels beside each)",
                                                  self._folder())
        if folder:
            self.calibrate([folder])

    def calibrate(self, paths: list[str]) -> None:
        """Analyse ``paths`` (folders or recordings with labels beside them) and fit, off the GUI
        thread; the result or one message arrives later."""
        spec, mapping, objective = self._spec(), self._mapping(), self.objective_value()
        self._set_busy(True, f"Analysing the labelled recordings in {', '.join(Path(p).name for p in paths)}…")
        self.analysed = None

        def progress(done: int, total: int, name: str) -> None:
            self.analysed = (done, total, name)

        import_sklearn()  # on the GUI thread, before the worker fits (see import_sklearn)
        self.jobs.submit("calibrate", _calibrate, paths, spec, mapping, objective, progress)

    def _show_progress(self) -> None:
        if self.analysed is None or not self.busy:
            return
        done, total, name = self.analysed
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)
        if done < total:
            self.status.setText(f"Analysing {done + 1} of {total}: {Path(name).name} (results are "
                                "cached: a second run, or one after a cancel, goes faster)")
        else:
            self.status.setText("Fitting and checking…")

    def _on_objective(self, *_) -> None:
        self.target.setEnabled(self.objective.currentData() != "f1")
        if self.run is not None and not self.busy:
            self._set_busy(True, f"Fitting for {self.objective_value()}…")
            self.jobs.submit("refit", _refit, self.run, self.objective_value())

    def _set_busy(self, busy: bool, text: str = "") -> None:
        self.busy = busy
        self.progress.setRange(0, 0)  # indeterminate until the first recording is counted
        self.progress.setVisible(busy)
        if busy:
            self._poll.start()
        else:
            self._poll.stop()
        self.start_button.setEnabled(not busy)
        if text:
            self.status.setText(text)

    def _on_done(self, tag, result) -> None:
        self._set_busy(False)
        if tag == "calibrate":
            self.run, self.model = result
        else:
            self.run = result
        self.show_result(self.run)

    def _on_failed(self, tag, message: str) -> None:
        self._set_busy(False, f"Not calibrated: {message}")
        self.message.emit(f"Calibration: {message}. Nothing was written.", "error")

    # == showing ===================================================================================
    def show_result(self, run: Calibration) -> None:
        r = self.result = run.result
        lines = heading(r) + [
            (f"mean F1 over the calibrated classes: before {_num(r.mean_f1('before'))}, "
            f"after {_num(r.mean_f1('after'))} · {len(run.data.recordings)} recordings, "
            f"{run.data.n_frames} frames · fit {r.fit.seconds * 1000:.0f} ms")]
        left = [c for c in r.fit.classes if c.sigmoid is None]
        if left:
            lines.append("left as is: " + "; ".join(f"{c.name} ({c.note.removeprefix('left as is: ')})"
                                                    for c in left))
        lines += run.notes[:3] + r.notes
        self.status.setText("\n".join(lines))
        self.table.setSortingEnabled(False)
        self.table.setRowCount(len(r.fit.classes))
        for row, c in enumerate(r.fit.classes):
            i = c.index
            fitted = c.sigmoid is not None
            values = [c.name, c.labelled_frames,
                      r.before.thresholds[i], r.before.precision[i], r.before.recall[i], r.before.f1[i],
                      r.after.thresholds[i] if fitted else math.nan,
                      r.after.precision[i] if fitted else math.nan,
                      r.after.recall[i] if fitted else math.nan, r.after.f1[i] if fitted else math.nan,
                      c.note]
            for col, v in enumerate(values):
                item = _Item(v)
                if col == 0:
                    item.setData(Qt.ItemDataRole.UserRole, i)
                if col == 9 and fitted and not math.isnan(v) and not math.isnan(r.before.f1[i]):
                    better = v > r.before.f1[i] + 1e-9
                    item.setForeground(pg.mkColor("#59a14f" if better else "#e15759"))
                self.table.setItem(row, col, item)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        for b in (self.export_button, self.report_button):
            b.setEnabled(True)
        if r.fit.classes:
            self.table.selectRow(0)

    def selected_class(self) -> int | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        return self.table.item(rows[0].row(), 0).data(Qt.ItemDataRole.UserRole)

    def _show_selected(self) -> None:
        for plot, item in self._curves:
            plot.removeItem(item)
        self._curves = []
        r, c = self.result, self.selected_class()
        if r is None or c is None:
            return
        cv = r.curves[c]
        for colour, (rec, prec), m in ((BEFORE_COLOUR, cv.pr_before, r.before),
                                       (AFTER_COLOUR, cv.pr_after, r.after)):
            self._add(self.pr_plot.plot(rec, prec, pen=pg.mkPen(colour, width=2)), self.pr_plot)
            if not (math.isnan(m.recall[c]) or math.isnan(m.precision[c])):
                dot = pg.ScatterPlotItem([m.recall[c]], [m.precision[c]], size=10, brush=pg.mkBrush(colour),
                                         pen=pg.mkPen("#ffffff"))
                self._add(dot, self.pr_plot)
        for colour, (mean, observed, n) in ((BEFORE_COLOUR, cv.reliability_before),
                                            (AFTER_COLOUR, cv.reliability_after)):
            ok = n > 0
            self._add(self.rel_plot.plot(mean[ok], observed[ok], pen=pg.mkPen(colour, width=2),
                                         symbol="o", symbolSize=7, symbolBrush=colour, symbolPen=None),
                      self.rel_plot)
        name = r.fit.classes[[x.index for x in r.fit.classes].index(c)].name
        self.pr_plot.setTitle(f"Precision / recall · {name}", color=palette.FOREGROUND, size="10pt")
        self.rel_plot.setTitle(f"Reliability · {name} (Brier {cv.brier_before:.3f} → {cv.brier_after:.3f})",
                               color=palette.FOREGROUND, size="10pt")

    def _add(self, item, plot) -> None:
        if item.scene() is None:
            plot.addItem(item)
        self._curves.append((plot, item))

    # == writing ===================================================================================
    def export(self, path: str | None = None) -> str | None:
        """Write the calibrated model (+ thresholds CSV beside it); returns its path, or None."""
        if self.result is None or self.model is None:
            return None
        if path is None:
            start = str(Path(self._folder()) / f"{Path(self.model.path).stem}_calibrated.tflite")
            path, _ = QFileDialog.getSaveFileName(self, "Export the calibrated model", start,
                                                  "TFLite models (*.tflite)")
            if not path:
                return None
        try:
            out, thresholds = write_calibrated_model(path, self.model, self.result.fit.calibration,
                                                     self.result.fit.thresholds)
        except (ValueError, OSError) as exc:
            text = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            self.message.emit(f"Cannot export the calibrated model: {text}. Nothing was written.", "error")
            return None
        self.message.emit(f"Wrote {out.name} (calibration in its metadata) and {thresholds.name} "
                          "beside it; the inspector now uses it (untick Calibrated to compare; live "
                          "window: Model ▸ Open .tflite model).", "info")
        self.use_model.emit(str(out))
        return str(out)

    def save_report(self, path: str | None = None) -> bool:
        if self.result is None:
            return False
        if path is None:
            start = str(Path(self._folder()) / "calibration_report.html")
            path, _ = QFileDialog.getSaveFileName(self, "Save the calibration report", start,
                                                  "HTML (*.html);;CSV (*.csv)")
            if not path:
                return False
        if Path(path).suffix.lower() not in REPORT_SUFFIXES:
            path += ".html"
        try:
            written = write_report(path, self.result)
        except (ValueError, OSError) as exc:
            self.message.emit(f"Cannot save the report: {exc}. Nothing was written.", "error")
            return False
        self.message.emit("Saved " + ", ".join(p.name for p in written), "info")
        return True

    def close(self) -> bool:
        self.jobs.shutdown()
        return super().close()


def _calibrate(paths, spec: ModelSpec, mapping, objective: Objective, progress=None, stale=lambda: False):
    from yamview.core.calibrate import calibrate

    model = load_model(spec)
    run = calibrate(paths, model, mapping=mapping, objective=objective, jobs=spec.jobs or None,
                    progress=progress)
    return run, model


def _refit(run: Calibration, objective: Objective, stale=lambda: False) -> Calibration:
    return Calibration(run.data, held_out(run.data, objective), run.notes)


def _num(v: float) -> str:
    return "–" if v is None or math.isnan(v) else f"{v:.3f}"


class _Item(QTableWidgetItem):
    """A cell that sorts numbers as numbers (NaN last) and shows a dash for NaN."""

    def __init__(self, value) -> None:
        self.value = value
        text = _num(float(value)) if isinstance(value, (float, np.floating)) else str(value)
        super().__init__(text)
        if not isinstance(value, str):
            self.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)

    def __lt__(self, other) -> bool:
        a, b = self.value, getattr(other, "value", None)
        if isinstance(a, str) or isinstance(b, str):
            return str(a) < str(b)
        a = -math.inf if a is None or math.isnan(a) else a
        b = -math.inf if b is None or math.isnan(b) else b
        return a < b


def _plot(title: str, xlabel: str, ylabel: str) -> pg.PlotWidget:
    widget = pg.PlotWidget(background=palette.BACKGROUND)
    plot = widget.getPlotItem()
    plot.setTitle(title, color=palette.FOREGROUND, size="10pt")
    plot.setLabel("bottom", xlabel)
    plot.setLabel("left", ylabel)
    plot.setXRange(0, 1, padding=0.02)
    plot.setYRange(0, 1, padding=0.02)
    plot.setMouseEnabled(x=False, y=False)
    plot.setMenuEnabled(False)
    plot.hideButtons()
    plot.showGrid(x=True, y=True, alpha=palette.GRID_ALPHA)
    widget.setMinimumHeight(180)
    return widget
