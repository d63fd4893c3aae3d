"""Plot set-up shared by the scrolling views: fixed ranges, no mouse, relative time axis."""

from __future__ import annotations

import pyqtgraph as pg

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
    p.showGrid(x=True, y=False, alpha=palette.GRID_ALPHA)
    for name in ("left", "bottom"):
        axis = p.getAxis(name)
        axis.setPen(palette.FOREGROUND)
        axis.setTextPen(palette.FOREGROUND)
    if ylabel:
        p.setLabel("left", ylabel, units=yunits)
    p.getAxis("bottom").setHeight(22)
    p.getAxis("left").setWidth(LEFT_AXIS_WIDTH)
    return w
