"""Moving around a recording in the inspector: the cursor and its readout, hover, selection,
zoom with a finer spectrogram of the zoomed range, and playback.

A mixin of InspectorWindow; what it uses of the window is declared in ``InspectorParts``.
"""

from __future__ import annotations

from yamview.core import overview as ov
from yamview.gui.inspector.parts import InspectorParts
from yamview.gui.inspector.timeline import format_time


class InspectorNavigation(InspectorParts):
    _detail_key: tuple | None

    # == cursor, hover, selection ======================================================================
    def set_cursor(self, t: float, reveal: bool = False, seek: bool = True) -> None:
        s = self.session
        end = s.duration if s is not None else 0.0
        t = float(min(max(t, 0.0), end)) if end else max(0.0, float(t))
        self.cursor_time = t
        for v in self.views:
            v.set_cursor(t)
        if reveal:
            self.reveal(t)
        if seek and self.player.playing:
            self.player.seek(t)
        self.time_label.setText(f"{format_time(t, 2)} / {format_time(end, 1)}" if end else "")
        if s is None or s.n == 0:
            self.cursor_frame = None
            self.spectrogram.show_window(None)
            return
        i = s.frame_at(t)
        a, _ = s.frame_span(i)
        self.spectrogram.show_window(a, s.window_seconds)
        tops = " · ".join(f"<b>{_esc(s.classes[c])}</b> {v:.3f}" for c, v in s.top(i, 3))
        self.readout.setText(f"<span style='color:#ffd166'>Cursor {t:.3f} s</span> · frame {i} "
                             f"({a:.3f}–{a + s.window_seconds:.3f} s, drawn at {s.frame_centre(i):.3f} s) · {tops}")
        if i != self.cursor_frame:
            self.cursor_frame = i
            if self.model is not None:
                self.patch_jobs.submit((self.path, i), self._patch_computer, self.path, self.model, i,
                                       s.framing.hop)

    def cursor_readout(self) -> str:
        return self.readout.text()

    def step_frame(self, step: int) -> None:
        s = self.session
        if s is None or s.n == 0:
            return
        i = s.frame_at(self.cursor_time)
        j = min(max(i + step, 0), s.n - 1)
        self.set_cursor(s.frame_centre(j), reveal=True)

    def reveal(self, t: float) -> None:
        (x0, x1), _ = self.waveform.vb.viewRange()
        if not x0 <= t <= x1:
            w = x1 - x0
            self.waveform.plot.setXRange(t - 0.25 * w, t + 0.75 * w, padding=0)

    def _on_click(self, view, t: float, y: float, double: bool) -> None:
        if double and view is self.heatmap:  # double-click a class row: its curve on / off
            cls = self.heatmap.row_at(y)
            if cls is not None:
                self.classes_panel.toggle_curve(cls)
            return
        self.set_cursor(t)
        if double:
            self.play_from(t)

    def _on_cursor_dragged(self, line) -> None:
        self.set_cursor(line.value())

    def _on_hover(self, v, pos) -> None:
        s = self.session
        if not v.vb.sceneBoundingRect().contains(pos):
            return
        p = v.vb.mapSceneToView(pos)
        t = float(p.x())
        parts = [f"<span style='color:#d8dce3'>{t:.3f} s</span>"]
        if v is self.spectrogram:
            hz = self.spectrogram.frequency_at(p.y())
            parts.append(f"{hz / 1000:.2f} kHz" if hz >= 999.5 else f"{hz:.0f} Hz")
        if s is not None and s.n:
            i = s.frame_at(t)
            if v is self.heatmap and (c := self.heatmap.row_at(p.y())) is not None:
                parts.append(f"{_esc(s.classes[c])} {s.scores[i, c]:.3f}")
            parts.append(", ".join(f"{_esc(s.classes[c])} {x:.2f}" for c, x in s.top(i, 3)))
        self.hover.setText("Hover: " + " · ".join(parts))

    def _on_selecting(self, a: float, b: float, finished: bool) -> None:
        self.set_selection(a, b)

    def set_selection(self, a: float, b: float) -> None:
        region = self.waveform.selection
        region.setRegion((a, b))
        region.setVisible(b > a)

    def selection(self) -> tuple[float, float] | None:
        region = self.waveform.selection
        if not region.isVisible():
            return None
        a, b = region.getRegion()
        return (a, b) if b > a else None

    # == zoom and detail ===========================================================================
    def zoom_fit(self) -> None:
        end = self.session.duration if self.session else 1.0
        self.waveform.plot.setXRange(0, max(end, 0.1), padding=0.01)

    def zoom_selection(self) -> None:
        sel = self.selection()
        if sel:
            self.waveform.plot.setXRange(*sel, padding=0.02)

    def _on_range_changed(self, *_) -> None:
        self._schedule_detail()

    def _schedule_detail(self) -> None:
        self._detail_timer.start()

    def _request_detail(self) -> None:
        job = self.job
        if job is None or job.overview is None or self.path is None or self.session is None:
            return
        overview = job.overview
        (x0, x1), _ = self.spectrogram.vb.viewRange()
        px = max(100, int(self.spectrogram.vb.width()))
        span = max(1e-3, x1 - x0)
        need = overview.column_seconds > 1.5 * span / px and span <= 900
        detail = self.detail
        if not need:
            if detail is not None:
                self._show_detail(None)
            return
        if detail is not None and detail.t0 <= x0 and detail.t1 >= min(x1, self.session.duration) and \
                detail.overview.column_seconds <= 2 * span / px:
            self._show_detail(detail)
            return
        a, b = max(0.0, x0 - 0.25 * span), min(self.session.duration, x1 + 0.25 * span)
        key = (self.path, round(a, 4), round(b, 4), px)
        if key == self._detail_key:
            return
        self._detail_key = key
        columns = int(px * 1.5 * (b - a) / span)
        self.detail_jobs.submit(key, _detail_job, self.path, self.session.framing.rate, a, b, columns)

    def _on_detail(self, key, detail) -> None:
        if key != self._detail_key:
            return
        self.detail = detail
        self._show_detail(detail)

    def _show_detail(self, detail) -> None:
        self.detail = detail
        self.spectrogram.set_detail(detail)
        self.waveform.set_detail(detail)
        covered = False
        if detail is not None:
            (x0, x1), _ = self.waveform.vb.viewRange()
            covered = detail.t0 <= x0 and detail.t1 >= x1
        self.waveform.show_overview_curve(not covered)

    # == playback ===================================================================================
    def play_from(self, t: float, end: float | None = None) -> bool:
        if self.path is None:
            return False
        return self.player.play(t, end)

    def toggle_play(self) -> None:
        if self.player.playing:
            self.player.pause()
        else:
            self.play_from(self.cursor_time)

    def play_selection(self) -> None:
        sel = self.selection()
        if sel is None:
            self.play_from(self.cursor_time)
            return
        self.set_cursor(sel[0], seek=False)
        self.play_from(sel[0], sel[1])

    def _on_play_position(self, t: float) -> None:
        self.set_cursor(t, seek=False)
        (x0, x1), _ = self.waveform.vb.viewRange()
        if self.player.playing and not x0 <= t <= x1:
            w = x1 - x0
            self.waveform.plot.setXRange(t - 0.05 * w, t + 0.95 * w, padding=0)

    def _on_play_state(self, state: str) -> None:
        self.play_button.setText("❚❚ Pause" if state == "playing" else "▶ Play")

def _detail_job(path, rate, a, b, columns, *, stale):
    return ov.compute_detail(path, rate, a, b, columns, stale)


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
