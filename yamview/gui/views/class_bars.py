"""Top-N class bars, as on the TFLite Android example's results screen, made for a projector.

One row per class, best first: a bar in the class's own colour (stable across ranks), its name
on the bar and its score at the right. As in the Android example, only classes at or above the
score threshold are listed (a dashed line marks it); a class that leaves a row fades out under
the one that takes its place instead of vanishing.
"""

from __future__ import annotations

import time
from typing import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QColor, QFont

from yamview.core.smoothing import StableRanking
from yamview.gui import palette
from yamview.gui.views.live import Tick

FADE_SECONDS = 0.35
SCORE_COLUMN = 1.13  # scores are written right of the bars (x up to 1.0), never on them
# Ranks closer than this do not swap: near-equal classes (often all near 0) would otherwise
# trade places every frame and the list would shimmer.
RANK_HYSTERESIS = 0.005


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
        self.plot.addItem(pg.InfiniteLine(1.0, angle=90, pen=pg.mkPen(palette.GRID)))  # the 1.0 edge
        self.widget.setToolTip("Top classes for the newest frame: YAMNet's independent scores (0-1)")
        self.bars = pg.BarGraphItem(x0=[], y=[], height=[], width=[], brushes=[], pen=pg.mkPen(None))
        self.plot.addItem(self.bars)
        self.threshold_line = pg.InfiniteLine(angle=90, movable=False,
                                              pen=pg.mkPen(palette.FOREGROUND, width=1.5, style=Qt.PenStyle.DashLine))
        self.plot.addItem(self.threshold_line)
        self.labels: list[str] = []
        self._names: list[pg.TextItem] = []
        self._scores_text: list[pg.TextItem] = []
        self._rows: list[dict] = []
        self._scores = np.zeros(0, np.float32)
        self._placeholder = pg.TextItem("", color=palette.FOREGROUND, anchor=(0.5, 0.5))
        self.plot.addItem(self._placeholder)
        self.threshold = threshold
        self.pinned: set[int] = set()  # always among the bars (the presenter's focus classes)
        self.set_max_results(max_results)
        self.set_threshold(threshold)
        self.widget.getViewBox().sigResized.connect(self._resize_fonts)

    # -- configuration ----------------------------------------------------------------------------
    def set_classes(self, classes: Sequence[str]) -> None:
        self.labels = list(classes)
        self._scores = np.zeros(len(classes), np.float32)
        self._ranking.reset()
        for row in self._rows:
            row.update(cls=-1, prev=-1, since=0.0)
        self.refresh()

    def set_max_results(self, n: int) -> None:
        n = int(np.clip(n, 1, 10))
        for item in self._names + self._scores_text:
            self.plot.removeItem(item)
        self._names, self._scores_text, self._rows = [], [], []
        for _ in range(n):
            name = pg.TextItem("", color="#ffffff", anchor=(0, 0.5))
            score = pg.TextItem("", color=palette.FOREGROUND, anchor=(1, 0.5))
            for item in (name, score):
                item.setZValue(10)  # text above the bars and the threshold line
                self.plot.addItem(item)
            self._names.append(name)
            self._scores_text.append(score)
            self._rows.append({"cls": -1, "prev": -1, "since": 0.0})
        self.n = n
        self._ranking = StableRanking(n, hysteresis=RANK_HYSTERESIS, pinned=self.pinned)
        self.plot.setYRange(-0.5, n - 0.5, padding=0.02)
        self._placeholder.setPos(0.5, (n - 1) / 2)
        self._resize_fonts()
        self.refresh()

    def set_pinned(self, indices) -> None:
        """Classes always shown (even at 0), ranked with the others by score."""
        self.pinned = set(int(i) for i in indices)
        self._ranking.pinned = set(self.pinned)

    def set_threshold(self, threshold: float) -> None:
        self.threshold = float(threshold)
        self.threshold_line.setValue(self.threshold)
        self.refilter()

    def set_placeholder(self, text: str) -> None:
        """A message in place of the bars (no scores yet, model loading, stopped)."""
        self._placeholder.setText(text)

    def _resize_fonts(self, *_) -> None:
        height = max(1, self.widget.getViewBox().height())
        px = int(np.clip(height / max(self.n, 1) * 0.42, 11, 64))
        name_font = QFont()
        name_font.setPixelSize(px)
        name_font.setBold(True)
        score_font = QFont()
        score_font.setPixelSize(max(10, int(px * 0.85)))
        for name in self._names:
            name.setFont(name_font)
        for t in self._scores_text:
            t.setFont(score_font)
        ph = QFont()
        ph.setPixelSize(max(12, int(px * 0.8)))
        self._placeholder.setFont(ph)

    # -- data -------------------------------------------------------------------------------------
    def on_scored(self, centre: float, scores: np.ndarray) -> None:
        self.show_scores(scores)

    def on_tick(self, tick: Tick) -> None:
        if self.animating:  # a fade in progress: advance it (with or without audio)
            self.refresh()

    def clear(self) -> None:
        pass  # the last frame's bars stay until the next frame (they are not on a time axis)

    def class_at(self, pos: QPoint) -> str | None:
        y = self.plot.getViewBox().mapSceneToView(self.widget.mapToScene(pos)).y()
        shown, row = self.shown(), int(round(y))
        return shown[row][0] if 0 <= row < len(shown) else None

    def show_scores(self, scores: np.ndarray) -> None:
        self._scores = np.asarray(scores, np.float32)
        now = time.monotonic()
        shown = [c for c in self._ranking.update(self._scores)
                 if self._scores[c] >= self.threshold or c in self.pinned]  # pinned: even at 0
        shown += [-1] * (self.n - len(shown))  # empty rows: nothing else reached the threshold
        for row, cls in zip(self._rows, shown):
            if cls != row["cls"]:
                row.update(prev=row["cls"], cls=cls, since=now)
        self._placeholder.setText("" if shown[0] >= 0 else f"Nothing scores {self.threshold:.2f} or more")
        self.refresh()

    @property
    def animating(self) -> bool:
        now = time.monotonic()
        return any(r["prev"] >= 0 and now - r["since"] < FADE_SECONDS for r in self._rows)

    def shown(self) -> list[tuple[str, float]]:
        """(label, score) per row as currently drawn (for tests and the status line)."""
        return [(self.labels[r["cls"]], float(self._scores[r["cls"]])) for r in self._rows
                if 0 <= r["cls"] < len(self.labels)]

    def refilter(self) -> None:
        """Apply a new threshold to the scores on screen (without waiting for the next frame)."""
        if len(self._scores) and self.labels:
            self.show_scores(self._scores)

    def refresh(self) -> None:
        """Redraw bars and texts for the current scores and fade state (cheap: <= 20 bars)."""
        if not self.labels or not len(self._scores):
            self.bars.setOpts(x0=[], y=[], height=[], width=[], brushes=[])
            for item in self._names + self._scores_text:
                item.setText("")
            return
        now = time.monotonic()
        ys, widths, brushes = [], [], []
        for r, (row, name_t, score_t) in enumerate(zip(self._rows, self._names, self._scores_text)):
            t = min(1.0, (now - row["since"]) / FADE_SECONDS) if row["prev"] >= 0 else 1.0
            # The leaving class's bar fades out behind the arriving one, which is drawn at once
            # (readable immediately); only the arriving name is written: two would be unreadable.
            for cls, alpha in ((row["prev"], 1.0 - t), (row["cls"], 1.0)):
                if cls < 0 or alpha <= 0.01:
                    continue
                score = float(self._scores[cls])
                colour = QColor(palette.class_colour(cls))
                colour.setAlphaF(alpha)
                ys.append(r)
                widths.append(max(score, 0.004))
                brushes.append(pg.mkBrush(colour))
            cls = row["cls"]
            name_t.setText(self.labels[cls] if cls >= 0 else "")
            name_t.setPos(0.012, r)
            name_t.setOpacity(0.6 + 0.4 * t)
            score_t.setText(f"{self._scores[cls]:.2f}" if cls >= 0 else "")
            score_t.setPos(SCORE_COLUMN, r)
        self.bars.setOpts(x0=np.zeros(len(ys)), y=np.array(ys, float), height=0.78,
                          width=np.array(widths, float), brushes=brushes)

