"""The presenter window: big bars drawn with QPainter, a spectrogram strip, a hint line.

QPainter rather than pyqtgraph for the bars: a projector view is mostly text, and QStaticText
keeps every string's layout cached, so a 1920x1080 frame of ~10 bars costs a few ms (see
benchmarks/bench_presenter.py). Sizes follow the window height: class names are 48 px tall at
1080 px and scale with it.
"""

from __future__ import annotations

import time
from collections import deque


from PySide6.QtCore import QEvent, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPen, QStaticText, QTransform
from PySide6.QtWidgets import QToolTip, QWidget

from yamview.gui.presenter.board import Board, Row
from yamview.gui.presenter.themes import DARK, Theme

NAME_PX_AT_1080 = 48
MAX_NAME_SCALE = 1.6  # with few rows, names grow up to this many times the base size
MIN_LAYOUT_ROWS = 3  # one or two rows are laid out as big as three, not as one huge bar
FONT_STEP = 4  # px: font sizes change in steps (text layouts are cached per size)
STRIP_SHARE = 0.2  # of the window height, for the spectrogram strip


def _mix(a: QColor, b: QColor, t: float) -> QColor:
    t = min(max(t, 0.0), 1.0)
    return QColor.fromRgbF(a.redF() + (b.redF() - a.redF()) * t, a.greenF() + (b.greenF() - a.greenF()) * t,
                           a.blueF() + (b.blueF() - a.blueF()) * t)


class _Texts:
    """QStaticText per (string, font): the layout is done once, drawing is a blit of glyphs."""

    def __init__(self) -> None:
        self._cache: dict[tuple[str, int], QStaticText] = {}
        self._fonts: list[QFont] = []
        self._metrics: list[QFontMetricsF] = []

    def font(self, px: int, bold: bool = False) -> int:
        f = QFont()
        f.setPixelSize(max(6, int(px)))
        f.setBold(bold)
        f.setHintingPreference(QFont.HintingPreference.PreferNoHinting)
        self._fonts.append(f)
        self._metrics.append(QFontMetricsF(f))
        return len(self._fonts) - 1

    def reset(self) -> None:
        self._cache.clear()
        self._fonts.clear()
        self._metrics.clear()

    def qfont(self, fid: int) -> QFont:
        return self._fonts[fid]

    def metrics(self, fid: int) -> QFontMetricsF:
        return self._metrics[fid]

    def get(self, text: str, fid: int) -> QStaticText:
        key = (text, fid)
        st = self._cache.get(key)
        if st is None:
            if len(self._cache) > 4000:  # bounded: scores are 0.00..1.00, names a few hundred
                self._cache.clear()
            st = QStaticText(text)
            st.setTextFormat(Qt.TextFormat.PlainText)
            st.setPerformanceHint(QStaticText.PerformanceHint.AggressiveCaching)
            st.prepare(QTransform(), self._fonts[fid])
            self._cache[key] = st
        return st

    def elide(self, text: str, fid: int, width: float, mode=Qt.TextElideMode.ElideLeft) -> str:
        key = (f"\x00elide{int(width)}:{int(mode.value)}\x00{text}", fid)
        hit = self._cache.get(key)
        if hit is not None:
            return hit.text()
        out = self._metrics[fid].elidedText(text, mode, max(0.0, width))
        self._cache[key] = QStaticText(out)
        return out


class PresenterView(QWidget):
    """Header (state, source) and the bars of a ``Board``; paints ``board.rows`` as they are."""

    context_requested = Signal(object, object)  # row key or None, global QPoint

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.setAttribute(Qt.WidgetAttribute.WA_NoSystemBackground)
        self.setMouseTracking(False)
        self.board: Board | None = None
        self.theme: Theme = DARK
        self.state = "live"  # live | stopped | frozen | replay
        self.state_detail = ""  # "3.2 / 10.0 s"
        self.source_name = ""
        self.tags: list[str] = []
        self.placeholder = "Press Space to start listening"
        self.reference_height = 1080  # the window height fonts scale with
        self.paint_ms: deque[float] = deque(maxlen=2000)
        self.frames = 0
        self._texts = _Texts()
        self._font_key = None
        self._hit: list[tuple[QRectF, int]] = []
        self._colours: dict[int, QColor] = {}

    # -- configuration ---------------------------------------------------------------------------
    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        self._colours.clear()
        self.update()

    def name_px(self) -> int:
        return max(14, round(NAME_PX_AT_1080 * self.reference_height / 1080))

    def _fonts(self, name_px: int, base: int | None = None) -> None:
        base = name_px if base is None else base  # the header and hints keep the window's size
        key = (name_px, base)
        if key == self._font_key:
            return
        self._font_key = key
        t = self._texts
        t.reset()
        self.f_name = t.font(name_px, bold=True)
        self.f_crumb = t.font(round(name_px * 0.62))
        self.f_score = t.font(round(name_px * 0.8), bold=True)
        self.f_count = t.font(round(name_px * 0.62), bold=True)
        self.f_header = t.font(round(base * 0.62), bold=True)
        self.f_small = t.font(round(base * 0.56))

    # -- painting --------------------------------------------------------------------------------
    def paintEvent(self, event) -> None:  # noqa: N802
        t0 = time.perf_counter()
        p = QPainter(self)
        th = self.theme
        w, h = self.width(), self.height()
        p.fillRect(0, 0, w, h, QColor(th.background))
        base = self.name_px()
        margin = round(base * 0.75)
        header_h = round(base * 1.5)
        board = self.board
        self._hit = []
        top = header_h + round(base * 0.25)
        area = h - top - round(base * 0.2)
        rows = board.rows if board is not None else []
        # Use the room: the rows on screen (at least MIN_LAYOUT_ROWS) share the height. Their
        # heights open and close smoothly, so the layout follows without jumps; fonts change in
        # steps of FONT_STEP px so a transition does not re-lay out text every frame.
        stacked = max(sum(r.h for r in rows), min(MIN_LAYOUT_ROWS, board.slots if board is not None else 1))
        pitch = area / max(stacked, 1e-6)
        name_px = int(min(pitch / 1.9, base * MAX_NAME_SCALE)) // FONT_STEP * FONT_STEP
        name_px = max(12, name_px)
        self._fonts(name_px, base)
        self._paint_header(p, margin, header_h, w)
        if board is None or not rows:
            p.setPen(QColor(th.dim))
            p.setFont(self._texts.qfont(self.f_name))
            p.drawText(QRectF(0, top, w, area), Qt.AlignmentFlag.AlignCenter, self.placeholder)
            p.end()
            self._count(t0)
            return
        row_h = pitch * 0.84
        stripe = round(name_px * 0.18)
        x0 = margin + stripe + round(name_px * 0.2)
        track_w = w - x0 - margin
        p.setPen(Qt.PenStyle.NoPen)
        p.setClipRect(QRectF(0, top, w, h - top))
        for r in rows:
            y = top + r.y * pitch
            if r.h <= 0.0 or y > h:
                continue
            # A row opening or folding shut is drawn whole, squeezed to its height: name and
            # score stay on it, and it never covers its neighbours.
            if r.h >= 1.0:  # at rest (nearly always): no transform, cached text layouts draw fastest
                self._paint_row(p, r, margin, stripe, x0, y, track_w, row_h, name_px)
                continue
            p.save()
            p.translate(0, y)
            p.scale(1.0, r.h)
            self._paint_row(p, r, margin, stripe, x0, 0.0, track_w, row_h, name_px)
            p.restore()
        for r in rows:  # where each row is, for the mouse (right-click, tooltips)
            if r.h > 0.0:
                y = top + r.y * pitch
                self._hit.append((QRectF(margin, y, x0 + track_w - margin, row_h * r.h), r.key))
        p.end()
        self._count(t0)

    def _count(self, t0: float) -> None:
        self.paint_ms.append((time.perf_counter() - t0) * 1000)
        self.frames += 1

    def _paint_header(self, p: QPainter, margin: int, header_h: int, w: int) -> None:
        th, t = self.theme, self._texts
        colour = {"live": th.live, "frozen": th.frozen, "replay": th.replay, "stopped": th.dim}.get(self.state, th.live)
        label = {"live": "LIVE", "frozen": "FROZEN", "replay": "REPLAY", "stopped": "STOPPED"}.get(
            self.state, self.state.upper())
        if self.state_detail:
            label += f"  {self.state_detail}"
        st = t.get(label, self.f_header)
        size = st.size()
        pill_h = size.height() * 1.35
        dot = pill_h * 0.42
        pill_w = size.width() + dot + pill_h * 0.95
        y = (header_h - pill_h) / 2
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor(colour))
        p.drawRoundedRect(QRectF(margin, y, pill_w, pill_h), pill_h / 2, pill_h / 2)
        p.setBrush(QColor(th.background))
        if self.state == "frozen":  # a pause sign
            bw = dot * 0.32
            p.drawRect(QRectF(margin + pill_h * 0.4, y + (pill_h - dot) / 2, bw, dot))
            p.drawRect(QRectF(margin + pill_h * 0.4 + dot - bw, y + (pill_h - dot) / 2, bw, dot))
        elif self.state == "stopped":  # a stop square: "LIVE" only while listening
            p.drawRect(QRectF(margin + pill_h * 0.4, y + (pill_h - dot) / 2, dot, dot))
        elif self.state == "replay":  # a play triangle
            from PySide6.QtGui import QPolygonF

            cx, cy = margin + pill_h * 0.4, y + pill_h / 2
            p.drawPolygon(QPolygonF([QPointF(cx, cy - dot / 2), QPointF(cx + dot * 0.9, cy),
                                     QPointF(cx, cy + dot / 2)]))
        else:
            p.drawEllipse(QRectF(margin + pill_h * 0.4, y + (pill_h - dot) / 2, dot, dot))
        p.setPen(QColor(th.background))
        p.setFont(t.qfont(self.f_header))
        p.drawStaticText(QPointF(margin + pill_h * 0.4 + dot + pill_h * 0.3, y + (pill_h - size.height()) / 2), st)

        p.setPen(QColor(th.dim))
        x = margin + pill_w + header_h * 0.4
        title = "What YAMNet hears" + (f"  ·  {self.source_name}" if self.source_name else "")
        right = "   ".join(self.tags)
        p.setFont(t.qfont(self.f_small))
        rs = t.get(right, self.f_small) if right else None
        rw = rs.size().width() if rs else 0
        title = t.elide(title, self.f_header, w - x - margin - rw - header_h * 0.4) if title else title
        if title:
            ts = t.get(title, self.f_header)
            p.setFont(t.qfont(self.f_header))
            p.drawStaticText(QPointF(x, (header_h - ts.size().height()) / 2), ts)
        if rs is not None:
            p.setFont(t.qfont(self.f_small))
            p.drawStaticText(QPointF(w - margin - rw, (header_h - rs.size().height()) / 2), rs)

    def _bar_colour(self, key: int, r: Row) -> QColor:
        c = self._colours.get(r.name)
        if c is None:
            c = self._colours[r.name] = self.theme.bar_colour(self._colour_index(r.name))
        return c

    def _colour_index(self, name: str) -> int:
        """A class keeps its colour for the session, with or without roll-up: a model class has
        the main window's colour (its class index); a roll-up category that is no model class
        gets one from its name (stable across runs too)."""
        import zlib

        board = self.board
        index = getattr(board, "class_indices", None) or {}
        if name in index:
            return index[name]
        return zlib.crc32(name.encode())

    def _paint_row(self, p: QPainter, r: Row, margin: int, stripe: int, x0: float, y: float,
                   track_w: float, row_h: float, name_px: int) -> None:
        th, t = self.theme, self._texts
        # Every row is opaque, text included: a still frame never shows a half-faded name.
        text_alpha = 1.0
        radius = row_h * 0.16
        accent = QColor(th.accent)
        flash = r.flash if r.focus else 0.0
        track = QColor(th.track)
        if flash > 0.01:  # a warm glow on the empty part; the text keeps its contrast
            track = _mix(track, accent, 0.28 * flash)
        rect = QRectF(x0, y, track_w, row_h)
        p.setOpacity(r.alpha)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(track)
        p.drawRoundedRect(rect, radius, radius)
        fw = track_w * min(max(r.value, 0.0), 1.0)
        if fw >= radius:  # a sliver narrower than the corner would read as a marker, not a score
            rr = min(radius, fw / 2)
            p.setBrush(self._bar_colour(r.key, r))
            p.drawRoundedRect(QRectF(x0, y, fw, row_h), rr, rr)
        if r.focus:
            p.setBrush(accent)
            p.drawRoundedRect(QRectF(margin, y, stripe, row_h), stripe / 2, stripe / 2)
            if r.threshold is not None:  # ticks at the threshold, top and bottom
                tx = x0 + track_w * r.threshold
                tick = max(2.0, name_px * 0.07)
                p.setBrush(QColor(th.threshold))
                p.drawRect(QRectF(tx - tick / 2, y, tick, row_h * 0.22))
                p.drawRect(QRectF(tx - tick / 2, y + row_h * 0.78, tick, row_h * 0.22))
            if flash > 0.01:  # the flash: a bright frame around the row, pulsing while over
                bw = max(3.0, name_px * 0.11)
                pen = QPen(accent, bw)
                pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
                p.setOpacity(r.alpha * min(flash, 1.0))
                p.setPen(pen)
                p.setBrush(Qt.BrushStyle.NoBrush)
                p.drawRoundedRect(rect.adjusted(bw / 2, bw / 2, -bw / 2, -bw / 2), radius, radius)
                p.setPen(Qt.PenStyle.NoPen)
        p.setOpacity(r.alpha * text_alpha)
        text = QColor(th.text)
        pad = name_px * 0.45

        # Right: score, and for focus rows the detection count.
        score = t.get(f"{r.value:.2f}", self.f_score)
        ss = score.size()
        sx = x0 + track_w - pad - ss.width()
        p.setPen(text)
        p.setFont(t.qfont(self.f_score))
        p.drawStaticText(QPointF(sx, y + (row_h - ss.height()) / 2), score)
        right_edge = sx
        if r.focus:
            count = t.get(f"×{r.count}", self.f_count)
            cs = count.size()
            bh = cs.height() * 1.15
            bw = cs.width() + bh * 0.7
            bx = sx - pad - bw
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(accent)
            p.drawRoundedRect(QRectF(bx, y + (row_h - bh) / 2, bw, bh), bh / 2, bh / 2)
            p.setPen(QColor(th.flash_text))
            p.setFont(t.qfont(self.f_count))
            p.drawStaticText(QPointF(bx + bh * 0.35, y + (row_h - cs.height()) / 2), count)
            right_edge = bx

        # Left: the name (elided before the score column), then the breadcrumb on its baseline.
        shown = t.elide(r.name, self.f_name, right_edge - pad - (x0 + pad), Qt.TextElideMode.ElideRight)
        name = t.get(shown, self.f_name)
        ns = name.size()
        nm = t.metrics(self.f_name)
        ny = y + (row_h - ns.height()) / 2
        p.setPen(text)
        p.setFont(t.qfont(self.f_name))
        p.drawStaticText(QPointF(x0 + pad, ny), name)
        if r.crumb:
            cx = x0 + pad + ns.width() + name_px * 0.45
            room = right_edge - pad - cx
            if room > name_px * 2:
                crumb = t.elide(r.crumb, self.f_crumb, room)
                cst = t.get(crumb, self.f_crumb)
                cy = ny + nm.ascent() - t.metrics(self.f_crumb).ascent()
                p.setPen(text)  # on the bar's colour: the dim grey was unreadable from afar
                p.setOpacity(0.85)
                p.setFont(t.qfont(self.f_crumb))
                p.drawStaticText(QPointF(cx, cy), cst)
        p.setOpacity(1.0)

    # -- interaction -----------------------------------------------------------------------------
    def key_at(self, pos) -> int | None:
        for rect, key in reversed(self._hit):
            if rect.contains(QPointF(pos)):
                return key
        return None

    def contextMenuEvent(self, event) -> None:  # noqa: N802
        self.context_requested.emit(self.key_at(event.pos()), event.globalPos())

    def event(self, event) -> bool:
        if event.type() == QEvent.Type.ToolTip and self.board is not None:
            key = self.key_at(event.pos())
            if key is None:
                QToolTip.hideText()
            else:
                QToolTip.showText(event.globalPos(), class_tooltip(self.board.names[key], self.board.crumb(key),
                                                                   self.board.description(key)), self)
            return True
        return super().event(event)


def class_tooltip(name: str, crumb: str, description: str) -> str:
    """Rich-text tooltip: name, path, AudioSet description (Qt wraps rich text)."""
    from html import escape

    parts = [f"<b>{escape(name)}</b>"]
    if crumb:
        parts.append(f"<i>{escape(crumb)}</i>")
    parts.append(escape(description) if description else "<i>No description (ontology off or class unknown)</i>")
    return "<p style='max-width:480px'>" + "<br>".join(parts) + "</p>"
