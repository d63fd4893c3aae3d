"""Lanes under the timeline: human labels, detected events, and the error lane.

Labels and events are spans drawn by one ``SpanItem`` each (only the visible spans are painted,
so thousands of them cost nothing off screen). The error lane is an image of per-frame outcomes
(hit / miss / false alarm) for the classes with the most errors, max-reduced when zoomed out so
a single wrong frame is never hidden.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetrics, QPen

from yamview.gui import palette
from yamview.gui.inspector.session import (
    DISPLAY_FALSE_ALARM, DISPLAY_HIT, DISPLAY_MISS, Session, error_display)
from yamview.gui.inspector.timeline import ClassAxis, _View, draw_frame_columns

HIT_COLOUR, MISS_COLOUR, FALSE_ALARM_COLOUR = "#59a14f", "#f28e2b", "#e15759"
UNMAPPED_COLOUR = "#8a909c"


class SpanItem(pg.GraphicsObject):
    """Coloured boxes ``[start, end] x [row, row + 1]`` with their text when it fits."""

    def __init__(self) -> None:
        super().__init__()
        self.start = np.zeros(0)
        self.end = np.zeros(0)
        self.row = np.zeros(0, np.int64)
        self.colours: list[QColor] = []
        self.keys = np.zeros(0, np.int64)
        self.texts: list[str] = []
        self._rect = QRectF()
        self.font = QFont()
        self.font.setPointSizeF(8.5)

    def set_spans(self, start, end, row, colours, texts) -> None:
        self.prepareGeometryChange()
        self.start = np.asarray(start, np.float64)
        self.end = np.asarray(end, np.float64)
        self.row = np.asarray(row, np.int64)
        self.colours, self.texts = list(colours), list(texts)
        self.keys = np.array([c.rgba() for c in self.colours], np.int64)
        if len(self.start):
            rows = int(self.row.max()) + 1
            self._rect = QRectF(float(self.start.min()) - 1, 0, float(self.end.max() - self.start.min()) + 2, rows)
        else:
            self._rect = QRectF()
        self.update()

    def __len__(self) -> int:
        return len(self.start)

    def boundingRect(self):  # noqa: N802
        return self._rect

    def paint(self, p, *args):
        vb = self.getViewBox()
        if vb is None or not len(self.start):
            return
        (x0, x1), _ = vb.viewRange()
        vis = np.flatnonzero((self.end >= x0) & (self.start <= x1))
        if not len(vis):
            return
        tr = p.transform()  # scale and translation only (pyqtgraph views never rotate)
        sx, dx, sy, dy = tr.m11(), tr.dx(), tr.m22(), tr.dy()
        a, b = self.start[vis] * sx + dx, self.end[vis] * sx + dx
        narrow = b - a < 2  # point labels and very short spans stay visible: 2 px
        mid = (a + b) / 2
        a, b = np.where(narrow, mid - 1, a), np.where(narrow, mid + 1, b)
        rows, keys = self.row[vis], self.keys[vis]
        # Zoomed out, thousands of spans share a few pixels: merge touching spans of one row and
        # colour into runs and draw those (an hour's events: ~20 ms as spans, ~1 ms as runs).
        order = np.lexsort((a, rows))
        big = 1e7 * rows[order]  # rows apart, so one running maximum serves every row
        ra, rb, rk = a[order] + big, b[order] + big, keys[order]
        reach = np.maximum.accumulate(rb)
        new = np.ones(len(ra), bool)
        new[1:] = (rows[order][1:] != rows[order][:-1]) | (rk[1:] != rk[:-1]) | (ra[1:] > reach[:-1] + 1)
        first = np.flatnonzero(new)
        run_a, run_b = ra[first], np.maximum.reduceat(rb, first)
        run_rows = rows[order][first]
        run_a, run_b = run_a - 1e7 * run_rows, run_b - 1e7 * run_rows
        p.save()
        p.resetTransform()
        border = QPen(QColor(255, 255, 255, 70))
        border.setCosmetic(True)
        p.setPen(border)
        for k, i in enumerate(vis[order][first]):
            y0, y1 = (run_rows[k] + 0.12) * sy + dy, (run_rows[k] + 0.88) * sy + dy
            p.setBrush(QBrush(self.colours[i]))
            p.drawRect(QRectF(run_a[k], min(y0, y1), run_b[k] - run_a[k], abs(y1 - y0)))
        # Text in the visible part of each wide enough span, so a long span's name stays
        # readable when zoomed in.
        view = tr.mapRect(QRectF(x0, 0, x1 - x0, 1))
        left, right = view.left(), view.right()
        ta, tb = np.maximum(a, left), np.minimum(b, right)
        wide = np.flatnonzero(tb - ta > 24)
        if len(wide):
            p.setFont(self.font)
            metrics = QFontMetrics(self.font)
            dark_text, light_text = QPen(QColor("#0e0f12")), QPen(QColor("#ffffff"))
            for j in wide[:500]:
                i = vis[j]
                if not self.texts[i]:
                    continue
                y0, y1 = (rows[j] + 0.12) * sy + dy, (rows[j] + 0.88) * sy + dy
                t = QRectF(ta[j] + 3, min(y0, y1), tb[j] - ta[j] - 6, abs(y1 - y0))
                p.setPen(dark_text if self.colours[i].lightnessF() > 0.55 else light_text)
                text = metrics.elidedText(self.texts[i], Qt.TextElideMode.ElideRight, int(t.width()))
                p.drawText(t, int(Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft), text)
        p.restore()


def pack_rows(start: np.ndarray, end: np.ndarray, gap: float = 0.0) -> np.ndarray:
    """Greedy lane packing: each span goes to the first row free at its start."""
    order = np.argsort(start, kind="stable")
    rows = np.zeros(len(start), np.int64)
    ends: list[float] = []
    for i in order:
        for r, e in enumerate(ends):
            if start[i] >= e + gap:
                rows[i], ends[r] = r, end[i]
                break
        else:
            rows[i] = len(ends)
            ends.append(end[i])
    return rows


class LabelLane(_View):
    """Human labels, coloured by the model class they map to; overlapping labels stack."""

    title = "Labels"

    def __init__(self) -> None:
        super().__init__()
        self.plot.invertY(True)
        self.plot.getAxis("left").setTicks([[]])
        self.spans = SpanItem()
        self.plot.addItem(self.spans)
        self.plot.setYRange(0, 1, padding=0)
        self.rows = 0

    def update(self, session: Session) -> None:
        labels = session.labels
        start = np.array([l.start for l in labels], np.float64)
        end = np.array([l.end for l in labels], np.float64)
        rows = pack_rows(start, end) if len(labels) else np.zeros(0, np.int64)
        colours = [palette.class_colour(cls[0]) if cls else QColor(UNMAPPED_COLOUR) for cls in session.label_classes]
        self.spans.set_spans(start, end, rows, colours, [l.text for l in labels])
        self.rows = int(rows.max()) + 1 if len(rows) else 0
        self.plot.setYRange(0, max(1, self.rows), padding=0)

    def clear(self) -> None:
        self.spans.set_spans([], [], [], [], [])
        self.rows = 0


class EventLane(_View):
    """Detected events, one row per class (the classes with the most event time first)."""

    title = "Events"
    max_rows = 8

    def __init__(self) -> None:
        self.axis = ClassAxis(8.0)
        super().__init__(self.axis)
        self.plot.invertY(True)
        self.spans = SpanItem()
        self.plot.addItem(self.spans)
        self.classes: list[int] = []
        self.plot.setYRange(0, 1, padding=0)

    def update(self, session: Session, events: list) -> None:
        total: dict[int, float] = {}
        for e in events:
            total[e.class_index] = total.get(e.class_index, 0.0) + e.duration
        self.classes = sorted(total, key=lambda c: (-total[c], c))[: self.max_rows]
        row_of = {c: r for r, c in enumerate(self.classes)}
        shown = [e for e in events if e.class_index in row_of]
        self.spans.set_spans([e.start for e in shown], [e.end for e in shown],
                             [row_of[e.class_index] for e in shown],
                             [palette.class_colour(e.class_index) for e in shown],
                             [f"{e.class_name} {e.peak:.2f}" for e in shown])
        self.axis.set_names([session.classes[c] for c in self.classes])
        self.plot.setYRange(0, max(1, len(self.classes)), padding=0)
        hidden = len(total) - len(self.classes)
        self.widget.setToolTip(f"{len(events)} events in {len(total)} classes"
                               + (f" ({hidden} classes with less event time not drawn)" if hidden > 0 else ""))

    def clear(self) -> None:
        self.spans.set_spans([], [], [], [], [])
        self.classes = []
        self.axis.set_names([])


def _error_lut() -> np.ndarray:
    lut = np.zeros((4, 4), np.uint8)
    lut[0] = (31, 35, 43, 255)
    for code, colour in ((DISPLAY_HIT, HIT_COLOUR), (DISPLAY_MISS, MISS_COLOUR),
                         (DISPLAY_FALSE_ALARM, FALSE_ALARM_COLOUR)):
        c = QColor(colour)
        lut[code] = (c.red(), c.green(), c.blue(), 255)
    return lut


class ErrorLane(_View):
    """Per frame and class: hit (green), miss (orange), false alarm (red)."""

    title = "Errors"
    max_rows = 8

    def __init__(self) -> None:
        self.axis = ClassAxis(8.0)
        super().__init__(self.axis)
        self.plot.invertY(True)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.image.setLookupTable(_error_lut())
        self.plot.addItem(self.image)
        self.plot.setYRange(0, 1, padding=0)
        self.classes: list[int] = []
        self._data: np.ndarray | None = None
        self._session: Session | None = None
        self.vb.sigXRangeChanged.connect(lambda *_: self.render())
        self.vb.sigResized.connect(lambda *_: self.render())

    def update(self, session: Session, scope: list[int] | None = None) -> None:
        """Rows: the classes with the most errors (within ``scope`` when given)."""
        codes = session.outcomes()
        self._session = session
        if codes is None:
            self.clear()
            return
        ranked = session.error_classes()
        if scope is not None:
            keep = set(scope)
            ranked = [c for c in ranked if c in keep]
        self.classes = ranked[: self.max_rows]
        self._data = error_display(codes[:, self.classes].T) if self.classes else None
        self.axis.set_names([session.classes[c] for c in self.classes])
        self.plot.setYRange(0, max(1, len(self.classes)), padding=0)
        self.render()

    def render(self) -> None:
        draw_frame_columns(self.image, self.vb, self._data, self._session, levels=(0, 4))

    def clear(self) -> None:
        self._data, self.classes = None, []
        self.axis.set_names([])
        self.image.clear()


DISAGREE_COLOUR = "#b07aa1"


class DisagreementLane(_View):
    """A/B compare: frames where the two models' top class differs, and where a labelled class
    is a hit for one model and a miss for the other. Shown once a comparison exists."""

    title = "A/B"

    def __init__(self) -> None:
        self.axis = ClassAxis(8.0)
        super().__init__(self.axis)
        self.plot.invertY(True)
        self.image = pg.ImageItem(axisOrder="row-major")
        lut = np.zeros((2, 4), np.uint8)
        lut[0] = (31, 35, 43, 255)
        c = QColor(DISAGREE_COLOUR)
        lut[1] = (c.red(), c.green(), c.blue(), 255)
        self.image.setLookupTable(lut)
        self.plot.addItem(self.image)
        self.plot.setYRange(0, 2, padding=0)
        self._data: np.ndarray | None = None
        self._session: Session | None = None
        self.vb.sigXRangeChanged.connect(lambda *_: self.render())
        self.vb.sigResized.connect(lambda *_: self.render())

    def update(self, session: Session, comparison) -> None:
        self._session = session
        rows = [comparison.top_differs]
        names = ["top class differs"]
        if comparison.metrics_a is not None:
            rows.append(comparison.labelled_differs)
            names.append("labelled hit/miss differs")
        self._data = np.array(rows, np.uint8)
        self.axis.set_names(names)
        self.plot.setYRange(0, len(rows), padding=0)
        self.render()

    def render(self) -> None:
        draw_frame_columns(self.image, self.vb, self._data, self._session, levels=(0, 2))

    def clear(self) -> None:
        self._data = None
        self.axis.set_names([])
        self.image.clear()
