"""Scrolling class timeline: a heat map of the top classes' scores over the spectrogram's seconds.

Each frame's scores are drawn at its centre time, on the same relative time axis as the
spectrogram, so a sound and the classes it triggers line up vertically.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg

from yamview.gui import palette
from yamview.gui.views.common import scrolling_plot

HISTORY = 512  # frames kept: 10 s at the smallest hop (0.1 s) is 100; at 0.01 s, 5 s


class ClassTimeline:
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
        self.set_rows(rows)

    def set_labels(self, labels: list[str]) -> None:
        self.labels = list(labels)
        self._scores = np.zeros((HISTORY, len(labels)), np.float32)
        self.clear()

    def set_rows(self, rows: int) -> None:
        self.rows = int(rows)
        self.plot.setYRange(0, self.rows, padding=0)
        self._shown = []

    def set_pinned(self, indices) -> None:
        self.pinned = [int(i) for i in indices]
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
        self.image.clear()
        self.plot.getAxis("left").setTicks([[]])

    def add(self, centre: float, scores: np.ndarray) -> None:
        if self._scores is None or len(scores) != self._scores.shape[1]:
            return
        slot = self._n % HISTORY
        self._centres[slot] = centre
        self._scores[slot] = scores
        self._n += 1

    def shown_classes(self) -> list[str]:
        return [self.labels[i] for i in self._shown]

    def update(self, now: float) -> None:
        """Redraw for stream time ``now`` (the right edge of the plot)."""
        if self._scores is None or self._n == 0:
            return
        visible = self._centres > now - self.seconds
        if not visible.any():
            self.image.clear()
            return
        recent = self._scores[visible]
        pinned = [i for i in self.pinned if 0 <= i < len(self.labels)][: self.rows]
        order = np.argsort(-recent.max(axis=0), kind="stable")
        if pinned:
            order = order[~np.isin(order, pinned)]
        shown = pinned + [int(i) for i in order[: self.rows - len(pinned)]]
        if shown != self._shown:  # ticks cost a relayout: only when the ranking changes
            self._shown = shown
            self.plot.getAxis("left").setTicks([[(r + 0.5, ("★ " if c in pinned else "") + _elide(self.labels[c]))
                                                 for r, c in enumerate(shown)]])
        n_cols = max(1, int(round(self.seconds / self.hop)))
        col_dt = self.seconds / n_cols
        left = now - self.seconds
        img = np.zeros((len(shown), n_cols), np.float32)
        cols = np.floor((self._centres[visible] - left) / col_dt).astype(int)
        ok = (cols >= 0) & (cols < n_cols)
        img[:, cols[ok]] = recent[ok][:, shown].T
        self.image.setImage(img, levels=(0.0, 1.0), autoLevels=False)
        self.image.setRect(-self.seconds, 0, self.seconds, len(shown))


def _elide(label: str, limit: int = 22) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"
