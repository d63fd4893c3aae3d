"""Waveform of the last few seconds, min/max decimated to about one point pair per pixel."""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pyqtgraph as pg

from yamview.core.decimate import peak_decimate
from yamview.gui import palette
from yamview.gui.views.common import scrolling_plot
from yamview.gui.views.live import Tick


class Waveform:
    """A LiveView: the widget and its one curve, redrawn from the newest ``seconds`` each tick."""

    def __init__(self, seconds: float = 5.0, columns: int = 700) -> None:
        self.seconds, self.columns = seconds, columns
        self.widget = scrolling_plot(seconds)
        self.plot = self.widget.getPlotItem()
        self.plot.setYRange(-1, 1, padding=0.02)
        self.plot.setLabel("left", "amplitude")
        self.plot.getAxis("left").setTicks([[(-1, "-1"), (0, "0"), (1, "1")]])
        self.curve = pg.PlotDataItem(pen=pg.mkPen(palette.class_colour(0), width=1), skipFiniteCheck=True)
        self.plot.addItem(self.curve)
        self.widget.setToolTip("Waveform: the last seconds of input, newest on the right")
        self._x_cache: dict[tuple[int, float, int], np.ndarray] = {}
        self._drawn_total = -1  # ring position last drawn: no new audio, no redraw

    def set_classes(self, classes: Sequence[str]) -> None:
        pass  # samples only

    def on_scored(self, end: float, scores: np.ndarray) -> None:
        pass

    def on_tick(self, tick: Tick) -> None:
        if tick.ring is None or tick.ring.total == self._drawn_total:
            return
        self._drawn_total = tick.ring.total
        rate = tick.rate
        n = int(self.seconds * rate)
        samples = tick.ring.latest(n)
        x_idx, y = peak_decimate(samples, self.columns)
        key = (len(x_idx), self.seconds, rate)
        x = self._x_cache.get(key)
        if x is None:  # x positions never change for a given layout: compute once
            x = (x_idx * (n // self.columns) - (self.columns * (n // self.columns))) / rate
            self._x_cache = {key: x}
        self.curve.setData(x, y)

    def clear(self) -> None:
        self._drawn_total = -1
        self.curve.setData([], [])
