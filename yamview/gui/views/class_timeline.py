"""Scrolling class timeline: a heat map of the top classes' scores over the spectrogram's seconds.

Each frame's scores are drawn from its centre time to the next frame's centre, on the same
relative time axis as the spectrogram, so a sound and the classes it triggers line up
vertically, and a change of hop (or a skipped frame) leaves no stripes or holes.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPoint

from yamview.core.smoothing import StableRanking
from yamview.gui.views.common import scrolling_plot
from yamview.gui.views.live import Tick

HISTORY = 512  # frames kept: 10 s at the smallest hop (0.1 s) is 100; at 0.01 s, 5 s
COLUMN_SECONDS = 0.025  # image resolution: fine enough for a 0.1 s hop, cheap to rebuild
MAX_FILL_SECONDS = 1.0  # a frame's colour never extends further (a stopped stream stays empty)
ROW_HYSTERESIS = 0.05  # rows (ranked by recent max) swap only for a clear difference


class ClassTimeline:
    """A LiveView (and ClassRows): recent scores of the top classes, on the spectrogram's time axis."""

    def __init__(self, seconds: float = 10.0, rows: int = 6, colormap: str = "viridis") -> None:
        self.seconds, self.rows = seconds, rows
        self.widget = scrolling_plot(seconds)
        self.plot = self.widget.getPlotItem()
        self.plot.invertY(True)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.image.setColorMap(pg.colormap.get(colormap))
        self.plot.addItem(self.image)
        self.widget.setToolTip("Class timeline: scores of the top classes at each frame's centre")
        self.labels: list[str] = []
        self._centres = np.full(HISTORY, -np.inf)
        self._scores: np.ndarray | None = None
        self._n = 0  # frames received
        self._shown: list[int] = []
        self.pinned: list[int] = []  # rows always shown first (the presenter's focus classes)
        self.hop = 0.4875
        self._ranking = StableRanking(rows, hysteresis=ROW_HYSTERESIS)
        self.set_rows(rows)

    def set_classes(self, classes: Sequence[str]) -> None:
        self.labels = list(classes)
        self._scores = np.zeros((HISTORY, len(classes)), np.float32)
        self.clear()

    def set_rows(self, rows: int) -> None:
        self.rows = int(rows)
        self.plot.setYRange(0, self.rows, padding=0)
        self._ranking.n = self.rows
        self._ranking.reset()
        self._shown = []

    def set_pinned(self, indices) -> None:
        self.pinned = [int(i) for i in indices]
        self._ranking.reset()
        self._shown = []

    def set_colormap(self, name: str) -> None:
        self.image.setColorMap(pg.colormap.get(name))

    def set_hop(self, hop_seconds: float) -> None:
        self.hop = float(hop_seconds)

    def clear(self) -> None:
        self._centres.fill(-np.inf)
        if self._scores is not None:
            self._scores.fill(0)
        self._n = 0
        self._shown = []
        self._ranking.reset()
        self.image.clear()
        self.plot.getAxis("left").setTicks([[]])

    def on_scored(self, centre: float, scores: np.ndarray) -> None:
        if self._scores is None or len(scores) != self._scores.shape[1]:
            return
        slot = self._n % HISTORY
        self._centres[slot] = centre
        self._scores[slot] = scores
        self._n += 1

    def shown_classes(self) -> list[str]:
        return [self.labels[i] for i in self._shown]

    def class_at(self, pos: QPoint) -> str | None:
        y = self.plot.getViewBox().mapSceneToView(self.widget.mapToScene(pos)).y()
        shown = self.shown_classes()
        row = int(y) if y >= 0 else -1
        return shown[row] if 0 <= row < len(shown) else None

    def on_tick(self, tick: Tick) -> None:
        """Redraw for stream time ``tick.now`` (the right edge of the plot)."""
        if tick.ring is None or self._scores is None or self._n == 0:
            return
        now = tick.now
        visible = self._centres > now - self.seconds
        if not visible.any():
            self.image.clear()
            return
        order = np.argsort(self._centres[visible], kind="stable")
        centres = self._centres[visible][order]
        recent = self._scores[visible][order]
        pinned = [i for i in self.pinned if 0 <= i < len(self.labels)][: self.rows]
        # Pinned rows first, then the strongest recent classes; rows swap only for a clear
        # difference in recent max, so the labels do not jitter from frame to frame.
        self._ranking.n = self.rows - len(pinned)
        self._ranking.hidden = set(pinned)
        shown = pinned + self._ranking.update(recent.max(axis=0))
        if shown != self._shown:  # ticks cost a relayout: only when the ranking changes
            self._shown = shown
            self.plot.getAxis("left").setTicks([[(r + 0.5, ("★ " if c in pinned else "") + _elide(self.labels[c]))
                                                 for r, c in enumerate(shown)]])
        n_cols = int(round(self.seconds / COLUMN_SECONDS))
        left = now - self.seconds
        # Each frame fills the columns from its centre to the next frame's centre (at most
        # MAX_FILL_SECONDS), whatever the hop was when it was scored: no stripes, no holes.
        first = np.floor((centres - left) / COLUMN_SECONDS).astype(int)
        cap = first + int(round(MAX_FILL_SECONDS / COLUMN_SECONDS))
        tail = first[-1] + max(1, int(round(self.hop / COLUMN_SECONDS)))
        last = np.minimum(np.append(first[1:], tail), cap)
        first, last = np.clip(first, 0, n_cols), np.clip(last, 0, n_cols)
        lengths = np.maximum(last - first, 0)
        img = np.zeros((len(shown), n_cols), np.float32)
        total = int(lengths.sum())
        if total:
            offsets = np.arange(total) - np.repeat(np.cumsum(lengths) - lengths, lengths)
            img[:, np.repeat(first, lengths) + offsets] = np.repeat(recent[:, shown], lengths, axis=0).T
        self.image.setImage(img, levels=(0.0, 1.0), autoLevels=False)
        self.image.setRect(-self.seconds, 0, self.seconds, len(shown))


def _elide(label: str, limit: int = 22) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"
