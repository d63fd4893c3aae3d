"""Scrolling spectrogram of the last seconds: only columns made complete by new audio are computed."""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pyqtgraph as pg

from yamview.core.spectrum import Spectrogram
from yamview.gui import palette
from yamview.gui.views.common import LEFT_AXIS_WIDTH, FastImage, scrolling_plot, style_colour_bar
from yamview.gui.views.live import Tick

COLORMAPS = palette.COLORMAPS
_NICE_HZ = (50, 100, 200, 500, 1000, 2000, 4000, 8000, 16000, 24000)


class FrequencyAxis(pg.AxisItem):
    """Left axis in Hz whatever the scale: ticks at round frequencies placed on the scale."""

    def __init__(self) -> None:
        super().__init__("left")
        self.freq_scale = None

    def tickValues(self, minVal, maxVal, size):  # noqa: N802, N803 (Qt naming)
        if self.freq_scale is None:
            return super().tickValues(minVal, maxVal, size)
        sc = self.freq_scale
        if sc.kind == "linear":
            step = 1000 if sc.fmax <= 8000 else 2000
            candidates = list(np.arange(0, sc.fmax + 1, step))
        else:
            candidates = [f for f in _NICE_HZ if sc.fmin <= f <= sc.fmax]
        lo, hi = sc.axis_range
        span = max(hi - lo, 1e-9)
        # Keep labels apart (at least ~18 px) and off the very top edge, where they would be cut.
        min_gap = span * max(18.0 / max(size, 1.0), 0.04)
        kept, last = [], None
        for f in candidates:
            v = float(sc.to_axis(f))
            if v > hi - span * 0.03 or (last is not None and v - last < min_gap):
                continue
            kept.append(v)
            last = v
        return [(None, kept)]

    def tickStrings(self, values, scale, spacing):  # noqa: N802
        if self.freq_scale is None:
            return super().tickStrings(values, scale, spacing)
        out = []
        for v in values:
            hz = float(self.freq_scale.from_axis(v))
            out.append(f"{hz / 1000:g}k" if hz >= 1000 else f"{hz:.0f}")
        return out


class SpectrogramView:
    """A LiveView: each tick appends the columns new audio completed, and scrolls."""

    def __init__(self, rate: int, seconds: float = 10.0, scale: str = "mel",
                 db_range: tuple[float, float] = (-90.0, -10.0), colormap: str = "inferno",
                 colour_bar: bool = True) -> None:
        self.seconds = seconds
        self.axis = FrequencyAxis()
        self.widget = scrolling_plot(seconds)
        self.plot = self.widget.getPlotItem()
        self.plot.setAxisItems({"left": self.axis})
        self.axis.setWidth(LEFT_AXIS_WIDTH)
        self.axis.setPen(palette.FOREGROUND)
        self.axis.setTextPen(palette.FOREGROUND)
        self.plot.setLabel("left", "Hz")
        self.image = FastImage(axisOrder="row-major")
        self.plot.addItem(self.image)
        # The dB colour bar: which colour means how loud (follows the dB range control).
        self.colour_bar = pg.ColorBarItem(values=db_range, colorMap=palette.colormap(colormap), interactive=False,
                                          width=12)
        self.colour_bar.setImageItem(self.image, insert_in=self.plot if colour_bar else None)
        style_colour_bar(self.colour_bar, "dB")
        self.widget.setToolTip("Spectrogram of the last seconds (newest on the right)")
        self.db_range = db_range
        self.colormap = colormap
        self.image.setColorMap(palette.colormap(colormap))
        self.configure(rate, scale)

    def configure(self, rate: int, scale: str) -> None:
        """(Re)build for a sample rate and frequency scale; the history restarts."""
        self.rate = rate
        # 20 ms columns: 500 across 10 s, about one per screen pixel of a typical window. Finer
        # columns would be averaged away by the display scaling and cost painting time.
        self.spec = Spectrogram(rate, hop=rate // 50, scale=scale)
        self.scale_name = scale
        self.n_cols = int(self.seconds * rate / self.spec.hop)
        self.data = np.full((self.spec.rows, self.n_cols), self.db_range[0], np.float32)
        self._next = None  # absolute sample index where the next column starts
        self.axis.freq_scale = self.spec.scale
        lo, hi = self.spec.scale.axis_range
        self.plot.setYRange(lo, hi, padding=0)
        self._draw()  # setRect scales by the current image size: set the image first
        self.image.setRect(-self.seconds, lo, self.seconds, hi - lo)
        self.axis.picture = None
        self.axis.update()

    def set_scale(self, scale: str) -> None:
        if scale != self.scale_name:
            self.configure(self.rate, scale)

    def set_db_range(self, low: float, high: float) -> None:
        self.db_range = (float(low), float(max(high, low + 1)))
        self.colour_bar.setLevels(self.db_range)
        self._draw()

    def set_colormap(self, name: str) -> None:
        self.colormap = name
        self.colour_bar.setColorMap(palette.colormap(name))

    def clear(self) -> None:
        self.data.fill(self.db_range[0])
        self._next = None
        self._draw()

    def _draw(self) -> None:
        self.image.setImage(self.data, levels=self.db_range, autoLevels=False)

    def set_classes(self, classes: Sequence[str]) -> None:
        pass  # samples only

    def on_scored(self, end: float, scores: np.ndarray) -> None:
        pass

    def on_tick(self, tick: Tick) -> None:
        ring, rate = tick.ring, tick.rate
        if ring is None:
            return
        if rate != self.rate:
            self.configure(rate, self.scale_name)
        hop, nfft = self.spec.hop, self.spec.nfft
        total = ring.total
        newest_start = (total - nfft) // hop * hop  # start of the newest complete column
        if newest_start < 0:
            return
        if self._next is None or newest_start - self._next > self.n_cols * hop:
            self._next = max(0, newest_start - (self.n_cols - 1) * hop)  # first call or a long stall
        if newest_start < self._next:
            return
        n_new = (newest_start - self._next) // hop + 1
        samples = ring.window(newest_start + nfft, (n_new - 1) * hop + nfft)
        if samples is None:
            self._next = None
            return
        cols = self.spec.columns(samples)
        k = min(cols.shape[1], self.n_cols)
        self.data[:, :-k] = self.data[:, k:]
        self.data[:, -k:] = cols[:, -k:]
        self._next = newest_start + hop
        self._draw()
