"""Scrolling class timeline: a heat map of the top classes' scores over the spectrogram's seconds.

Alignment: a frame's colour sits at the END of the window it scored, over the audio that frame
added (from the previous frame's end to its own end). So the timeline's right edge is the
spectrogram's right edge (the newest audio), and a sound's classes light up from where the sound
starts in the spectrogram until one window (the model's window) after it, never before it. A
change of hop or a skipped frame leaves no stripes or holes.

The image is built in absolute stream time and only moved as time passes: it is rebuilt when a
frame arrives or the rows change, not at every display frame.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPoint

from yamview.core.smoothing import StableRanking
from yamview.gui import palette
from yamview.gui.views.common import FastImage, scrolling_plot, style_colour_bar
from yamview.gui.views.live import Tick

HISTORY = 512  # frames kept: 10 s at the smallest hop (0.1 s) is 100; at 0.01 s, 5 s
COLUMN_SECONDS = 0.025  # image resolution: fine enough for a 0.1 s hop, cheap to rebuild
MAX_FILL_SECONDS = 1.0  # a frame's colour never reaches further back (after a stall: a gap)
ROW_HYSTERESIS = 0.05  # rows (ranked by recent max) swap only for a clear difference
ROW_HOLD = 2.0  # ... or for a smaller lead that lasted this long (seconds of stream time)


class ClassTimeline:
    """A LiveView (and ClassRows): recent scores of the top classes, on the spectrogram's time axis."""

    def __init__(self, seconds: float = 10.0, rows: int = 6, colormap: str = "viridis") -> None:
        self.seconds, self.top_rows = seconds, rows
        self.widget = scrolling_plot(seconds)
        self.plot = self.widget.getPlotItem()
        self.plot.invertY(True)
        self.image = FastImage(axisOrder="row-major")
        self.plot.addItem(self.image)
        # The legend: which colour means which score.
        self.legend = pg.ColorBarItem(values=(0.0, 1.0), colorMap=palette.colormap(colormap), interactive=False,
                                      width=12)
        self.legend.setImageItem(self.image, insert_in=self.plot)
        style_colour_bar(self.legend, "score")
        self.widget.setToolTip("Class timeline: each frame's scores at the end of the audio it scored "
                               "(a sound's classes light up from its start, for up to one window)")
        self.classes: list[str] = []
        self._ends = np.full(HISTORY, -np.inf)
        self._scores: np.ndarray | None = None
        self._n = 0  # frames received
        self._shown: list[int] = []
        self.pinned: list[int] = []  # rows shown first, in addition to the top rows (the presenter's focus)
        self.hop = 0.0  # the live hop, from set_hop() once a model is loaded
        self._ranking = StableRanking(rows, hysteresis=ROW_HYSTERESIS, hold=ROW_HOLD)
        self._built: tuple | None = None  # (frames, rows, first column) of the image on screen
        self.builds = 0  # image rebuilds (tests, benchmark)
        self.set_rows(rows)

    @property
    def rows(self) -> int:
        return self.top_rows + len(self.pinned)

    def set_classes(self, classes: Sequence[str]) -> None:
        """A model (re)load: the history stays when the classes are the same ones."""
        if list(classes) == self.classes and self._scores is not None:
            return
        self.classes = list(classes)
        self._scores = np.zeros((HISTORY, len(classes)), np.float32)
        self.clear()

    def set_rows(self, rows: int) -> None:
        """Rows for the top classes (pinned ones come in addition)."""
        self.top_rows = int(rows)
        self._rows_changed()

    def set_pinned(self, indices) -> None:
        self.pinned = [int(i) for i in indices]
        self._rows_changed()

    def _rows_changed(self) -> None:
        self.plot.setYRange(0, self.rows, padding=0)
        self._ranking.n = self.top_rows
        self._ranking.reset()
        self._shown = []
        self._built = None

    def set_colormap(self, name: str) -> None:
        self.image.setColorMap(palette.colormap(name))
        self.legend.setColorMap(palette.colormap(name))

    def set_hop(self, hop_seconds: float) -> None:
        self.hop = float(hop_seconds)

    def clear(self) -> None:
        self._ends.fill(-np.inf)
        if self._scores is not None:
            self._scores.fill(0)
        self._n = 0
        self._shown = []
        self._ranking.reset()
        self._built = None
        self.image.clear()
        self.plot.getAxis("left").setTicks([[]])

    def on_scored(self, end: float, scores: np.ndarray) -> None:
        """One frame: ``end`` is the stream time of its window's last sample."""
        if self._scores is None or len(scores) != self._scores.shape[1]:
            return
        slot = self._n % HISTORY
        self._ends[slot] = end
        self._scores[slot] = scores
        self._n += 1

    def shown_classes(self) -> list[str]:
        return [self.classes[i] for i in self._shown]

    def class_at(self, pos: QPoint) -> str | None:
        y = self.plot.getViewBox().mapSceneToView(self.widget.mapToScene(pos)).y()
        shown = self.shown_classes()
        row = int(y) if y >= 0 else -1
        return shown[row] if 0 <= row < len(shown) else None

    def on_tick(self, tick: Tick) -> None:
        if tick.ring is not None:  # no audio flowing: nothing scrolls
            self.update(tick.now)

    def update(self, now: float) -> None:
        """Show stream time ``now`` at the right edge: rebuild on new frames, else only scroll."""
        if self._scores is None or self._n == 0:
            return
        first_col = int(np.floor((now - self.seconds) / COLUMN_SECONDS))
        built = self._built
        # The image spans one view plus a second of margin, so it only needs moving in between.
        margin = int(round(1.0 / COLUMN_SECONDS))
        if built is None or built[0] != self._n or first_col < built[2] or first_col > built[2] + margin:
            self._build(now, first_col)
        # Moved in whole columns (40 steps a second): a move is a repaint, and finer steps would
        # not show (a column is about a screen pixel).
        x = self._built[2] * COLUMN_SECONDS - (first_col * COLUMN_SECONDS + self.seconds)
        if x != self.image.pos().x():
            self.image.setPos(x, 0)

    def _build(self, now: float, first_col: int) -> None:
        self.builds += 1
        visible = self._ends > now - self.seconds - MAX_FILL_SECONDS
        if not visible.any():
            self.image.clear()
            self._built = (self._n, self.rows, first_col)
            return
        order = np.argsort(self._ends[visible], kind="stable")
        ends = self._ends[visible][order]
        recent = self._scores[visible][order]
        pinned = [i for i in self.pinned if 0 <= i < len(self.classes)]
        # Pinned rows first, then the strongest recent classes; rows swap only for a clear
        # difference in recent max (or a lasting smaller one), so the labels do not jitter.
        self._ranking.n = self.top_rows
        self._ranking.hidden = set(pinned)
        in_view = ends > now - self.seconds
        shown = pinned + self._ranking.update(recent[in_view].max(axis=0) if in_view.any() else recent[-1], now)
        if shown != self._shown:  # ticks cost a relayout: only when the ranking changes
            self._shown = shown
            self.plot.getAxis("left").setTicks([[(r + 0.5, ("★ " if c in pinned else "") + _elide(self.classes[c]))
                                                 for r, c in enumerate(shown)]])
        n_cols = int(round(self.seconds / COLUMN_SECONDS)) + int(round(1.0 / COLUMN_SECONDS)) + 1
        # Each frame fills the columns from the previous frame's end to its own end (at most
        # MAX_FILL_SECONDS), whatever the hop was when it was scored: no stripes, no holes.
        last = np.round(ends / COLUMN_SECONDS).astype(int) - first_col
        prev = np.append(last[0] - max(1, int(round(self.hop / COLUMN_SECONDS))), last[:-1])
        first = np.maximum(prev, last - int(round(MAX_FILL_SECONDS / COLUMN_SECONDS)))
        first, last = np.clip(first, 0, n_cols), np.clip(last, 0, n_cols)
        lengths = np.maximum(last - first, 0)
        img = np.zeros((len(shown), n_cols), np.float32)
        total = int(lengths.sum())
        if total:
            offsets = np.arange(total) - np.repeat(np.cumsum(lengths) - lengths, lengths)
            img[:, np.repeat(first, lengths) + offsets] = np.repeat(recent[:, shown], lengths, axis=0).T
        self.image.setImage(img, levels=(0.0, 1.0), autoLevels=False)
        self.image.setRect(0, 0, n_cols * COLUMN_SECONDS, len(shown))
        self._built = (self._n, self.rows, first_col)


def _elide(label: str, limit: int = 22) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"
