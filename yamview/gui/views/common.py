"""Plot set-up shared by the scrolling views: fixed ranges, no mouse, relative time axis."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QImage

from yamview.gui import palette

# Every scrolling plot gets the same left axis width, so their time axes line up pixel for pixel
# (a sound in the spectrogram sits right above the classes it triggered in the timeline).
LEFT_AXIS_WIDTH = 170


def scrolling_plot(seconds: float, ylabel: str | None = None, yunits: str | None = None) -> pg.PlotWidget:
    """A plot whose x axis is time relative to now (-seconds .. 0), fixed, with no auto-range."""
    w = pg.PlotWidget(background=palette.BACKGROUND)
    p = w.getPlotItem()
    p.setMenuEnabled(False)
    p.setMouseEnabled(x=False, y=False)
    p.hideButtons()
    p.disableAutoRange()
    p.setXRange(-seconds, 0, padding=0)
    # Second lines as one opaque curve under the data. pyqtgraph's showGrid() draws translucent
    # lines across the whole view, and blending them cost ~15 % of a core at 60 fps (measured).
    step = 1.0 if seconds <= 10 else 5.0
    xs = np.repeat(np.arange(-seconds + step, 0, step), 2)
    ys = np.tile([-1e9, 1e9], len(xs) // 2)
    grid = pg.PlotCurveItem(xs, ys, connect="pairs", pen=pg.mkPen(palette.GRID, width=1))
    grid.setZValue(-100)
    p.addItem(grid, ignoreBounds=True)
    for name in ("left", "bottom"):
        axis = p.getAxis(name)
        axis.setPen(palette.FOREGROUND)
        axis.setTextPen(palette.FOREGROUND)
    if ylabel:
        p.setLabel("left", ylabel, units=yunits)
    p.getAxis("bottom").setLabel("s (0 = now)")
    p.getAxis("left").setWidth(LEFT_AXIS_WIDTH)
    return w


COLOUR_BAR_AXIS_WIDTH = 58  # the same for every colour bar: the time axes above each other line up


def style_colour_bar(bar: pg.ColorBarItem, label: str) -> None:
    """A colour bar's value axis in the app's colours, with its unit."""
    axis = bar.axis
    axis.setPen(palette.FOREGROUND)
    axis.setTextPen(palette.FOREGROUND)
    axis.setLabel(label)
    axis.setWidth(COLOUR_BAR_AXIS_WIDTH)


class FastImage(pg.ImageItem):
    """An ImageItem whose rendered picture is kept as premultiplied ARGB32.

    pyqtgraph hands a colour-mapped image to Qt as an 8-bit indexed QImage, which the raster
    painter converts on every paint: measured 0.72 ms per paint of a 500x128 spectrogram, against
    0.13 ms for ARGB32 plus 0.13 ms to convert once per new picture. The scrolling views are
    painted at display rate, so this is most of their drawing cost.
    """

    def render(self, *args, **kwargs):
        super().render(*args, **kwargs)
        q = self.qimage
        if q is not None and q.format() != QImage.Format.Format_ARGB32_Premultiplied:
            self.qimage = q.convertToFormat(QImage.Format.Format_ARGB32_Premultiplied)
