"""Top-N class bars, as on the TFLite Android example's results screen, made for a projector.

One row per class, best first: a bar in the class's own colour (stable across ranks), its name
on the bar and its score at the right. As in the Android example, only classes at or above the
score threshold are listed (a dashed line marks it). Pinned classes (the presenter's focus) come
in addition to the real top N, below it and marked with a pin, even at 0.

Every drawn frame is true on its own (a screenshot must never lie): each bar is exactly as long
as the score printed next to it and carries its class's name; there is no cross-fade, nothing
half-transparent and no bar without a name. Rows are drawn only when the scores change.

With a calibrated model's per-class thresholds each class is listed from its own threshold,
drawn as a tick on its row (instead of the one dashed line).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF

from yamview.core.smoothing import StableRanking
from yamview.gui import palette
from yamview.gui.views.live import Tick

SCORE_COLUMN = 1.13  # scores are written right of the bars (x up to 1.0), never on them
NAME_X = 0.012  # the name starts just inside the bar
BAR_HEIGHT = 0.78  # of a row
MIN_ROWS = 3  # a short list is laid out as at least this many rows: big, readable bars
PIN = "★ "  # marks a pinned class (as in the class timeline)
# Ranks closer than this do not swap at once: near-equal classes (often all near 0) would
# otherwise trade places every frame and the list would shimmer. A smaller lead that lasts
# RANK_HOLD seconds wins anyway, so a wrong order never stays visible longer than that.
RANK_HYSTERESIS = 0.005
RANK_HOLD = 1.0


class ClassBars:
    """A LiveView (and ClassRows): the newest frame's top classes; a frame's bars stay until the
    next frame replaces them."""

    def __init__(self, max_results: int = 5, threshold: float = 0.1) -> None:
        self.widget = pg.PlotWidget(background=palette.BACKGROUND)
        self.plot = self.widget.getPlotItem()
        self.plot.setMenuEnabled(False)
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.hideButtons()
        self.plot.disableAutoRange()
        self.plot.hideAxis("left")
        self.plot.invertY(True)  # row 0 (best) at the top
        self.plot.setXRange(0, SCORE_COLUMN, padding=0.005)
        bottom = self.plot.getAxis("bottom")
        bottom.setPen(palette.FOREGROUND)
        bottom.setTextPen(palette.FOREGROUND)
        bottom.setTicks([[(v, f"{v:g}") for v in (0, 0.25, 0.5, 0.75, 1.0)]])
        bottom.setLabel("score (0–1, each class on its own)")
        self.plot.addItem(pg.InfiniteLine(1.0, angle=90, pen=pg.mkPen(palette.GRID)))  # the 1.0 edge
        self.widget.setToolTip("Top classes for the newest frame: YAMNet's independent scores (0-1)")
        self.bars = pg.BarGraphItem(x0=[], y=[], height=[], width=[], brushes=[], pen=pg.mkPen(None))
        self.plot.addItem(self.bars)
        self.threshold_line = pg.InfiniteLine(angle=90, movable=False,
                                              pen=pg.mkPen(palette.FOREGROUND, width=1.5, style=Qt.PenStyle.DashLine))
        self.plot.addItem(self.threshold_line)
        # Per-class thresholds (a calibrated model's): one tick per row instead of the line.
        self.threshold_ticks = pg.ScatterPlotItem(symbol="|", size=26, brush=None,
                                                  pen=pg.mkPen(palette.FOREGROUND, width=2.5))
        self.threshold_ticks.setZValue(5)
        self.plot.addItem(self.threshold_ticks)
        self.class_thresholds: np.ndarray | None = None
        self.classes: list[str] = []
        self.details: list[str | None] = []  # a tooltip line per class (scientific names)
        self._names: list[pg.TextItem] = []
        self._scores_text: list[pg.TextItem] = []
        self._rows: list[int] = []  # class per row, as drawn
        self._drawn: tuple | None = None  # what the items show now: skip identical redraws
        self._scores = np.zeros(0, np.float32)
        self._placeholder = pg.TextItem("", color=palette.FOREGROUND, anchor=(0.5, 0.5))
        self.plot.addItem(self._placeholder)
        self.threshold = threshold
        self.pinned: set[int] = set()  # shown in addition to the top N (the presenter's focus)
        self._layout_rows = 0
        self._name_font = QFont()
        self._score_font = QFont()
        self._name_metrics = QFontMetricsF(self._name_font)
        self.set_max_results(max_results)
        self.set_threshold(threshold)
        self.widget.getViewBox().sigResized.connect(self._relayout)

    # -- configuration ----------------------------------------------------------------------------
    def set_classes(self, classes: Sequence[str]) -> None:
        self.classes = list(classes)
        self.details = []
        self._scores = np.zeros(len(classes), np.float32)
        self._ranking.reset()
        self._rows = []
        self.refresh()

    def set_class_details(self, details: Sequence[str | None]) -> None:
        """A line per class for its tooltip (BirdNET's scientific names); empty for none."""
        self.details = list(details)
        self._drawn = None
        self.refresh()

    def _tooltip(self, cls: int) -> str:
        """The full name (a long one is elided on its bar) and its detail line, if any."""
        detail = self.details[cls] if cls < len(self.details) else None
        return self.classes[cls] + (f"\n{detail}" if detail else "")

    def set_max_results(self, n: int) -> None:
        self.n = int(np.clip(n, 1, 10))
        self._ranking = StableRanking(self.n, hysteresis=RANK_HYSTERESIS, hold=RANK_HOLD)
        self._rows = []
        self.refilter()
        self.refresh()

    def set_pinned(self, indices) -> None:
        """Classes always shown (even at 0), after the top N and marked with a pin."""
        self.pinned = set(int(i) for i in indices)
        self.refilter()

    def set_threshold(self, threshold: float) -> None:
        self.threshold = float(threshold)
        self.threshold_line.setValue(self.threshold)
        self.refilter()

    def set_class_thresholds(self, thresholds: np.ndarray | None) -> None:
        """One threshold per class (a calibrated model's), or None for the global one."""
        self.class_thresholds = None if thresholds is None else np.asarray(thresholds, np.float32)
        self.threshold_line.setVisible(self.class_thresholds is None)
        self._drawn = None
        self.refilter()
        self.refresh()

    def _threshold_of(self, cls: int) -> float:
        thr = self.class_thresholds
        return float(thr[cls]) if thr is not None and cls < len(thr) else self.threshold

    def set_placeholder(self, text: str) -> None:
        """A message in place of the bars (no scores yet, model loading, stopped)."""
        if self._placeholder.textItem.toPlainText() != text:
            self._placeholder.setText(text)

    # -- layout -----------------------------------------------------------------------------------
    def _ensure_items(self, count: int) -> None:
        while len(self._names) < count:
            name = pg.TextItem("", color="#ffffff", anchor=(0, 0.5))
            score = pg.TextItem("", color=palette.FOREGROUND, anchor=(1, 0.5))
            name.setFont(self._name_font)
            score.setFont(self._score_font)
            for item in (name, score):
                item.setZValue(10)  # text above the bars and the threshold line
                self.plot.addItem(item)
            self._names.append(name)
            self._scores_text.append(score)

    def _relayout(self, *_) -> None:
        """Row count or size changed: fonts follow the row height, names are elided again."""
        rows = max(self._layout_rows, 1)
        self.plot.setYRange(-0.5, rows - 0.5, padding=0.02)
        self._placeholder.setPos(0.5, (rows - 1) / 2)
        height = max(1, self.widget.getViewBox().height())
        px = int(np.clip(height / rows * 0.42, 11, 64))
        self._name_font = QFont()
        self._name_font.setPixelSize(px)
        self._name_font.setBold(True)
        self._name_metrics = QFontMetricsF(self._name_font)
        self._score_font = QFont()
        self._score_font.setPixelSize(max(10, int(px * 0.85)))
        for name in self._names:
            name.setFont(self._name_font)
        for t in self._scores_text:
            t.setFont(self._score_font)
        ph = QFont()
        ph.setPixelSize(max(12, min(int(px * 0.6), 28)))
        self._placeholder.setFont(ph)
        self._drawn = None
        self.refresh()

    def _name_room(self) -> float:
        """Pixels a name may use: from its start to the 1.0 edge, where the score column begins."""
        vb = self.widget.getViewBox()
        (x0, x1), _ = vb.viewRange()
        return max(0.0, vb.width() * (1.0 - NAME_X) / max(x1 - x0, 1e-9) - 4)

    def _elide(self, text: str) -> str:
        return self._name_metrics.elidedText(text, Qt.TextElideMode.ElideRight, self._name_room())

    # -- data -------------------------------------------------------------------------------------
    def on_scored(self, end: float, scores: np.ndarray) -> None:
        self.show_scores(scores)

    def on_tick(self, tick: Tick) -> None:
        pass  # nothing moves between frames: drawn when the scores change

    def clear(self) -> None:
        pass  # the last frame's bars stay until the next frame (they are not on a time axis)

    def class_at(self, pos: QPoint) -> str | None:
        y = self.plot.getViewBox().mapSceneToView(self.widget.mapToScene(pos)).y()
        shown, row = self.shown(), int(round(y))
        return shown[row][0] if 0 <= row < len(shown) else None

    def show_scores(self, scores: np.ndarray, now: float | None = None) -> None:
        import time

        self._scores = np.asarray(scores, np.float32)
        if len(self._scores) != len(self.classes):
            return
        order = self._ranking.update(self._scores, time.monotonic() if now is None else now)
        top = [c for c in order if self._scores[c] >= self._threshold_of(c)]
        extra = sorted((c for c in self.pinned if c not in top and 0 <= c < len(self.classes)),
                       key=lambda c: -self._scores[c])
        self._rows = top + extra
        over = "its own threshold" if self.class_thresholds is not None else f"{self.threshold:.2f}"
        self.set_placeholder("" if self._rows else f"Nothing scores {over} or more")
        self.refresh()

    @property
    def animating(self) -> bool:
        """Nothing moves between frames: every drawn frame is final."""
        return False

    def shown(self) -> list[tuple[str, float]]:
        """(class, score) per row as currently drawn (for tests and the status line)."""
        return [(self.classes[c], float(self._scores[c])) for c in self._rows if 0 <= c < len(self.classes)]

    def rows(self) -> list[dict]:
        """Per drawn row: class, name text, score text, bar width in score units (for tests)."""
        out = []
        widths = iter(self.bars.opts.get("width", []))
        for r, c in enumerate(self._rows):
            score = float(self._scores[c])
            out.append({"cls": c, "row": r, "name": self._names[r].textItem.toPlainText(),
                        "score": self._scores_text[r].textItem.toPlainText(),
                        "width": float(next(widths)) if score > 0 else 0.0, "pinned": c in self.pinned})
        return out

    def refilter(self) -> None:
        """Apply a new threshold or pin list to the scores on screen (without waiting for a frame)."""
        if len(self._scores) and self.classes:
            self.show_scores(self._scores)

    def refresh(self) -> None:
        """Draw the rows (only when what they show changed: cheap, <= 20 bars)."""
        rows = self._rows if self.classes and len(self._scores) else []
        want = max(len(rows), min(self.n, MIN_ROWS))
        if want != self._layout_rows:
            self._layout_rows = want
            self._relayout()  # calls refresh again with the new fonts
            return
        key = (tuple(rows), tuple(np.round(self._scores[rows], 2)) if rows else ())
        if key == self._drawn:
            return
        self._drawn = key
        self._ensure_items(len(rows))
        ys, widths, brushes = [], [], []
        for r, (name_t, score_t) in enumerate(zip(self._names, self._scores_text)):
            if r >= len(rows):
                name_t.setText("")
                score_t.setText("")
                continue
            cls = rows[r]
            # The bar is as long as the printed score (rounded the same way): never longer or
            # shorter than what the number says, and no sliver for 0.00.
            score = round(float(self._scores[cls]), 2)
            if score > 0:
                ys.append(r)
                widths.append(score)
                brushes.append(pg.mkBrush(QColor(palette.class_colour(cls))))
            pin = PIN if cls in self.pinned else ""
            name_t.setText(pin + self._elide(self.classes[cls]))
            name_t.setToolTip(self._tooltip(cls))
            name_t.setPos(NAME_X, r)
            score_t.setText(f"{score:.2f}")
            score_t.setPos(SCORE_COLUMN, r)
        self.bars.setOpts(x0=np.zeros(len(ys)), y=np.array(ys, float), height=BAR_HEIGHT,
                          width=np.array(widths, float), brushes=brushes)
        if self.class_thresholds is not None:
            self.threshold_ticks.setData([self._threshold_of(c) for c in rows], list(range(len(rows))))
        else:
            self.threshold_ticks.setData([], [])

