"""The whole-file views on one time axis: waveform, spectrogram, class heat map, score curves.

Every plot uses ``TimeViewBox`` (wheel and drag zoom/pan time only, Shift+drag selects a range,
a click sets the cursor) and is x-linked to the first, so zooming any of them moves all.
Scores are drawn at frame centres: heat-map column i spans centre_i ± hop/2.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QPen
from PySide6.QtWidgets import QGraphicsRectItem

from yamview.core.model import FALLBACK_SAMPLE_RATE
from yamview.core.overview import NFFT, Detail, Overview
from yamview.core.spectrum import FrequencyScale
from yamview.gui import palette
from yamview.gui.inspector.session import Session, column_max
from yamview.gui.views.spectrogram import FrequencyAxis

LEFT_AXIS_WIDTH = 178  # every plot: time axes line up pixel for pixel
CURSOR_COLOUR = "#ffd166"
CURVE_WIDTH = 1  # a hairline: wider pens go through the stroker (~3 ms per curve per paint)
SELECTION_BRUSH = (120, 170, 255, 45)
DISPLAY_ROWS = 192  # spectrogram rows for log / mel scales
N_BINS = NFFT // 2 + 1


class TimeAxis(pg.AxisItem):
    """Seconds as 12.5 s, 1:02.5 or 1:02:03 depending on the span."""

    def tickStrings(self, values, scale, spacing):  # noqa: N802 (Qt naming)
        out = []
        decimals = 0 if spacing >= 1 else (1 if spacing >= 0.1 else (2 if spacing >= 0.01 else 3))
        for v in values:
            out.append(format_time(v, decimals))
        return out


def format_time(t: float, decimals: int = 2) -> str:
    sign = "-" if t < 0 else ""
    t = abs(t)
    if t < 60:
        return f"{sign}{t:.{decimals}f}"
    h, rest = divmod(t, 3600)
    m, s = divmod(rest, 60)
    width = 3 + decimals if decimals else 2
    sec = f"{s:0{width}.{decimals}f}"
    return f"{sign}{int(h)}:{int(m):02d}:{sec}" if h else f"{sign}{int(m)}:{sec}"


class TimeViewBox(pg.ViewBox):
    """Time-only mouse: wheel/drag zoom and pan x; Shift+drag selects; click sets the cursor."""

    clicked = Signal(float, float, bool)  # time, y, double click
    selecting = Signal(float, float, bool)  # start, end, drag finished

    def __init__(self) -> None:
        super().__init__(enableMenu=False)
        self.setMouseEnabled(x=True, y=False)

    def mouseClickEvent(self, ev):  # noqa: N802
        if ev.button() == Qt.MouseButton.LeftButton:
            ev.accept()
            p = self.mapSceneToView(ev.scenePos())
            self.clicked.emit(float(p.x()), float(p.y()), bool(ev.double()))
        else:
            super().mouseClickEvent(ev)

    def mouseDragEvent(self, ev, axis=None):  # noqa: N802
        if ev.button() == Qt.MouseButton.LeftButton and ev.modifiers() & Qt.KeyboardModifier.ShiftModifier:
            ev.accept()
            a = float(self.mapSceneToView(ev.buttonDownScenePos()).x())
            b = float(self.mapSceneToView(ev.scenePos()).x())
            self.selecting.emit(min(a, b), max(a, b), bool(ev.isFinish()))
        else:
            super().mouseDragEvent(ev, axis)


def time_plot(title: str, left_axis: pg.AxisItem | None = None) -> tuple[pg.PlotWidget, pg.PlotItem, TimeViewBox]:
    vb = TimeViewBox()
    axes = {"bottom": TimeAxis("bottom")}
    if left_axis is not None:
        axes["left"] = left_axis
    w = pg.PlotWidget(background=palette.BACKGROUND, viewBox=vb, axisItems=axes)
    p = w.getPlotItem()
    p.setMenuEnabled(False)
    p.hideButtons()
    p.disableAutoRange()
    for name in ("left", "bottom"):
        axis = p.getAxis(name)
        axis.setPen(palette.FOREGROUND)
        axis.setTextPen(palette.FOREGROUND)
    left = p.getAxis("left")
    left.setWidth(LEFT_AXIS_WIDTH)
    left.setLabel(title, color=palette.FOREGROUND, **{"font-size": "9pt", "font-weight": "600"})
    p.getAxis("bottom").setHeight(22)
    p.showAxis("bottom", False)
    p.layout.setContentsMargins(0, 2, 8, 0)
    return w, p, vb


def cursor_line() -> pg.InfiniteLine:
    # A 1 px pen: wider ones go through Qt's stroker, ~0.3 ms per line per paint, 7 lines.
    line = pg.InfiniteLine(pos=0, angle=90, movable=True, pen=pg.mkPen(CURSOR_COLOUR, width=1),
                           hoverPen=pg.mkPen(CURSOR_COLOUR, width=3))
    line.setZValue(50)
    return line


class _View:
    """Common parts: the plot, its cursor line; subclasses add their items."""

    title = ""

    def __init__(self, left_axis: pg.AxisItem | None = None) -> None:
        self.widget, self.plot, self.vb = time_plot(self.title, left_axis)
        self.cursor = cursor_line()
        self.plot.addItem(self.cursor, ignoreBounds=True)

    def set_cursor(self, t: float) -> None:
        self.cursor.blockSignals(True)
        self.cursor.setValue(t)
        self.cursor.blockSignals(False)


class WaveformView(_View):
    title = "Waveform"

    def __init__(self) -> None:
        super().__init__()
        self.plot.setYRange(-1, 1, padding=0.04)
        self.plot.getAxis("left").setTicks([[(-1, "-1"), (0, "0"), (1, "1")]])
        pen = pg.mkPen(palette.class_colour(0), width=1)
        self.curve = pg.PlotDataItem(pen=pen, skipFiniteCheck=True)
        self.curve.setDownsampling(auto=True, method="peak")
        self.curve.setClipToView(True)
        self.detail_curve = pg.PlotDataItem(pen=pen, skipFiniteCheck=True)
        self.detail_curve.setClipToView(True)
        self.plot.addItem(self.curve)
        self.plot.addItem(self.detail_curve)
        self.selection = pg.LinearRegionItem(values=(0, 0), brush=pg.mkBrush(*SELECTION_BRUSH),
                                             pen=pg.mkPen((120, 170, 255, 160)), movable=True)
        self.selection.setZValue(-5)
        self.selection.setVisible(False)
        self.plot.addItem(self.selection, ignoreBounds=True)
        self._bins = -1

    def update(self, overview: Overview) -> None:
        if overview.bins_done == self._bins:
            return
        self._bins = overview.bins_done
        x, y = overview.envelope()
        self.curve.setData(x, y)

    def set_detail(self, detail: Detail | None) -> None:
        if detail is None:
            self.detail_curve.setData([], [])
            self.curve.setVisible(True)
            return
        x, y = detail.overview.envelope()
        self.detail_curve.setData(x, y)

    def show_overview_curve(self, visible: bool) -> None:
        self.curve.setVisible(visible)

    def clear(self) -> None:
        self._bins = -1
        self.curve.setData([], [])
        self.detail_curve.setData([], [])
        self.selection.setVisible(False)


class SpectrogramView(_View):
    """Overview image (whole file, bounded columns) plus a detail image for a zoomed range."""

    title = "Spectrogram · Hz"

    def __init__(self, scale: str = "mel", db_range=(-105.0, -25.0), colormap: str = "inferno") -> None:
        self.axis = FrequencyAxis()
        super().__init__(self.axis)
        self.db_range = db_range
        cmap = palette.colormap(colormap)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.detail = pg.ImageItem(axisOrder="row-major")
        for item in (self.image, self.detail):
            item.setColorMap(cmap)
            self.plot.addItem(item)
        self.detail.setZValue(1)
        self.window_rect = QGraphicsRectItem()
        pen = QPen(QColor("#ffffff"))
        pen.setCosmetic(True)
        pen.setWidthF(1.5)
        pen.setStyle(Qt.PenStyle.DashLine)
        self.window_rect.setPen(pen)
        self.window_rect.setZValue(40)
        self.window_rect.setVisible(False)
        self.plot.addItem(self.window_rect, ignoreBounds=True)
        self.scale_name = scale
        self.rate = FALLBACK_SAMPLE_RATE  # until a file is open
        self._ov: Overview | None = None
        self._detail: Detail | None = None
        self._img: np.ndarray | None = None
        self._drawn = 0
        self.set_scale(scale)

    def set_scale(self, kind: str, rate: int | None = None) -> None:
        self.scale_name = kind
        self.rate = rate or self.rate
        self.scale = FrequencyScale.create(kind, self.rate)
        self.matrix = self.scale.row_matrix(N_BINS, self.rate, DISPLAY_ROWS)
        self.axis.freq_scale = self.scale
        lo, hi = self.scale.axis_range
        self.plot.setYRange(lo, hi, padding=0)
        self.axis.picture = None
        self.axis.update()
        self._img, self._drawn = None, 0
        if self._ov is not None:
            self.update(self._ov)
        if self._detail is not None:
            self.set_detail(self._detail)

    def _rows(self) -> int:
        return N_BINS if self.matrix is None else DISPLAY_ROWS

    def _rect(self, start: float, seconds: float) -> QRectF:
        lo, hi = self.scale.axis_range
        if self.matrix is None:  # linear: rows are FFT bins, centred on their frequency
            step = self.rate / 2 / (N_BINS - 1)
            return QRectF(start, -step / 2, seconds, hi + step)
        row = (hi - lo) / (DISPLAY_ROWS - 1)
        return QRectF(start, lo - row / 2, seconds, hi - lo + row)

    def update(self, overview: Overview) -> None:
        """Draw the columns finished since the last call (the rest of the file stays dark)."""
        if overview is not self._ov:
            self._ov, self._img, self._drawn = overview, None, 0
        cap = overview.power.shape[1]
        if self._img is None or self._img.shape[1] != cap:
            old = self._img
            self._img = np.full((self._rows(), cap), self.db_range[0] - 20, np.float32)
            if old is not None and self._drawn:
                self._img[:, : self._drawn] = old[:, : self._drawn]
            else:
                self._drawn = 0
        done = overview.cols_done
        if done == self._drawn and self.image.image is not None:
            return
        if done > self._drawn:
            self._img[:, self._drawn : done] = overview.db(self._drawn, done, self.matrix)
            self._drawn = done
        self.image.setImage(self._img, levels=self.db_range, autoLevels=False)
        self.image.setRect(self._rect(overview.start, cap * overview.column_seconds))

    def set_detail(self, detail: Detail | None) -> None:
        self._detail = detail
        if detail is None or detail.overview.cols_done == 0:  # an empty range has nothing to draw
            self.detail.clear()
            self.detail.setVisible(False)
            return
        d = detail.overview
        self.detail.setImage(np.ascontiguousarray(d.db(matrix=self.matrix)), levels=self.db_range, autoLevels=False)
        self.detail.setRect(self._rect(d.start, d.cols_done * d.column_seconds))
        self.detail.setVisible(True)

    def show_window(self, start: float | None, seconds: float = 0.0) -> None:
        if start is None:
            self.window_rect.setVisible(False)
            return
        lo, hi = self.scale.axis_range
        self.window_rect.setRect(QRectF(start, lo, seconds, hi - lo))
        self.window_rect.setVisible(True)

    def frequency_at(self, y: float) -> float:
        return float(self.scale.from_axis(y))

    def clear(self) -> None:
        self._ov, self._img, self._drawn, self._detail = None, None, 0, None
        self.image.clear()
        self.detail.clear()
        self.window_rect.setVisible(False)


class ClassAxis(pg.AxisItem):
    """Left axis naming the rows of a class image (row 0 at the top)."""

    def __init__(self, point_size: float = 9.0) -> None:
        super().__init__("left")
        self.names: list[str] = []
        font = QFont()
        font.setPointSizeF(point_size)
        self.setStyle(tickFont=font, tickTextOffset=4)
        self.setTicks([[]])  # no numbers before there are names

    def set_names(self, names: list[str]) -> None:
        if names != self.names:
            self.names = list(names)
            self.setTicks([[(r + 0.5, elide(n)) for r, n in enumerate(self.names)]])


def elide(label: str, limit: int = 24) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


class HeatMapView(_View):
    """Scores of the top-K classes (plus pinned ones) at every frame centre."""

    title = "Classes"

    def __init__(self, colormap: str = "viridis") -> None:
        self.axis = ClassAxis()
        super().__init__(self.axis)
        self.plot.invertY(True)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.image.setColorMap(palette.colormap(colormap))
        self.plot.addItem(self.image)
        self.pin_marks = pg.ScatterPlotItem()
        self.shown: list[int] = []
        self._session: Session | None = None
        self._n = -1
        self._data: np.ndarray | None = None
        self.vb.sigXRangeChanged.connect(lambda *_: self.render())
        self.vb.sigResized.connect(lambda *_: self.render())

    def update(self, session: Session, shown: list[int], pinned: set[int]) -> None:
        from yamview.gui.teach import USER_MARK

        mine = session.user_classes
        names = [("• " if c in pinned else "") + (USER_MARK if session.classes[c] in mine else "")
                 + session.classes[c] for c in shown]
        changed = shown != self.shown or session.n != self._n or session is not self._session
        self._session = session
        self.axis.set_names(names)
        self.plot.setYRange(0, max(1, len(shown)), padding=0)
        if not changed:
            return
        self.shown, self._n = list(shown), session.n
        self._data = np.ascontiguousarray(session.scores[: session.n, shown].T) if shown else None
        self.render()

    def render(self) -> None:
        draw_frame_columns(self.image, self.vb, self._data, self._session, levels=(0.0, 1.0))

    def row_at(self, y: float) -> int | None:
        r = int(math.floor(y))
        return self.shown[r] if 0 <= r < len(self.shown) else None

    def clear(self) -> None:
        self._session, self._data, self.shown, self._n = None, None, [], -1
        self.axis.set_names([])
        self.image.clear()


class CurvesView(_View):
    """Score curves of the selected classes, with the threshold line."""

    title = "Scores"

    def __init__(self) -> None:
        super().__init__()
        self.plot.setYRange(0, 1, padding=0.03)
        self.plot.getAxis("left").setTicks([[(0, "0"), (0.5, "0.5"), (1, "1")]])
        # Opaque grid lines at 0.5 and 1 (a translucent showGrid() over the whole view costs ~10 ms a paint).
        grid = pg.PlotCurveItem([-1e9, 1e9, -1e9, 1e9], [0.5, 0.5, 1.0, 1.0], connect="pairs",
                                pen=pg.mkPen("#2a2e36", width=1))
        grid.setZValue(-100)
        self.plot.addItem(grid, ignoreBounds=True)
        self.threshold = pg.InfiniteLine(pos=0.3, angle=0, movable=False,
                                         pen=pg.mkPen("#aaaaaa", width=1, style=Qt.PenStyle.DashLine))
        self.plot.addItem(self.threshold, ignoreBounds=True)
        self.legend = pg.LegendItem(offset=(-8, 4), labelTextColor=palette.FOREGROUND, labelTextSize="9pt",
                                    brush=pg.mkBrush(21, 23, 28, 200), verSpacing=-6)
        self.legend.setParentItem(self.vb)
        self.curves: dict[int, pg.PlotDataItem] = {}
        self._n = -1

    def update(self, session: Session, classes: list[int]) -> None:
        if list(self.curves) != list(classes):
            for c in list(self.curves):
                self.plot.removeItem(self.curves.pop(c))
            self.legend.clear()
            for c in classes:
                item = pg.PlotDataItem(pen=pg.mkPen(palette.class_colour(c), width=CURVE_WIDTH), skipFiniteCheck=True,
                                       name=elide(session.classes[c], 28))
                item.setDownsampling(auto=True, method="peak")
                item.setClipToView(True)
                self.plot.addItem(item)
                self.legend.addItem(item, item.name())
                self.curves[c] = item
            self._n = -1
        if session.n == self._n:
            return
        self._n = session.n
        x = session.centres()
        for c, item in self.curves.items():
            item.setData(x, session.scores[: session.n, c])

    def set_threshold(self, value: float) -> None:
        self.threshold.setValue(value)

    def clear(self) -> None:
        for c in list(self.curves):
            self.plot.removeItem(self.curves.pop(c))
        self.legend.clear()
        self._n = -1


def draw_frame_columns(image: pg.ImageItem, vb: pg.ViewBox, data, session, levels) -> None:
    """Draw ``data`` [rows, frames] with frame i centred on its frame's centre time, max-reduced
    to about one column per pixel of the visible range (a one-frame peak survives zooming out)."""
    if session is None or data is None or not data.size:
        image.clear()
        return
    (x0, x1), _ = vb.viewRange()
    first = session.window_seconds / 2 - session.hop_seconds / 2
    out = column_max(data, first, session.hop_seconds, x0, x1, max(50, int(vb.width())))
    if out is None:
        image.clear()
        return
    img, left, width = out
    image.setImage(img, levels=levels, autoLevels=False)
    image.setRect(QRectF(left, 0, width, img.shape[0]))
