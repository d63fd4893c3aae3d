"""The presenter's top-level window: the bars view, an optional spectrogram strip, a hint line."""

from __future__ import annotations

import time

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from yamview.core.model import FALLBACK_SAMPLE_RATE
from yamview.gui.presenter.themes import DARK, Theme
from yamview.gui.presenter.view import STRIP_SHARE, PresenterView
from yamview.gui.views.spectrogram import SpectrogramView


class PresenterWindow(QWidget):
    """The top-level window: bars, optional spectrogram strip, a hint/message line."""

    closed = Signal()

    def __init__(self, rate: int = FALLBACK_SAMPLE_RATE, scale: str = "mel", db_range=(-90.0, -10.0)) -> None:
        super().__init__(None, Qt.WindowType.Window)
        self.setWindowTitle("yamview — presenter")
        self.setObjectName("presenter")
        self.view = PresenterView()
        self.strip = SpectrogramView(rate, seconds=10.0, scale=scale, db_range=db_range, colour_bar=False)
        plot = self.strip.plot
        plot.getAxis("left").setLabel("")
        plot.getAxis("bottom").setLabel("")
        self._strip_ticks()
        self.strip.widget.setToolTip("")
        self.footer = QLabel("")
        self.footer.setTextFormat(Qt.TextFormat.PlainText)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.strip.widget)
        layout.addWidget(self.footer)
        self._hint = ""
        self._message = ""
        self._message_until = 0.0
        self.theme = DARK
        self.set_theme(DARK)
        self._layout_sizes()

    def configure_strip(self, rate: int) -> None:
        self.strip.configure(rate, self.strip.scale_name)
        self._strip_ticks()

    def _strip_ticks(self) -> None:
        """Few, round frequencies: readable from afar (the main window's axis is denser)."""
        scale = self.strip.spec.scale
        ticks = [(float(scale.to_axis(hz)), f"{hz // 1000}k" if hz >= 1000 else str(hz))
                 for hz in (250, 1000, 4000) if scale.fmin < hz < scale.fmax * 0.9]
        self.strip.axis.setTicks([ticks])
        self.strip.plot.getAxis("bottom").setTicks([[(float(-s), f"−{s} s" if s else "now") for s in range(10, -1, -2)]])

    def set_theme(self, theme: Theme) -> None:
        import pyqtgraph as pg

        self.theme = theme
        self.view.set_theme(theme)
        self.setStyleSheet(f"QWidget#presenter {{ background: {theme.background}; }}")
        self.strip.widget.setBackground(theme.background)
        for name in ("left", "bottom"):
            axis = self.strip.plot.getAxis(name)
            axis.setPen(pg.mkPen(theme.dim))
            axis.setTextPen(pg.mkPen(theme.dim))
        if theme.spectrogram_colours:
            cmap = pg.ColorMap(np.linspace(0.0, 1.0, len(theme.spectrogram_colours)), list(theme.spectrogram_colours))
            self.strip.image.setColorMap(cmap)
        else:
            self.strip.set_colormap(theme.spectrogram_colormap)
        self._style_footer()

    def set_strip_visible(self, on: bool) -> None:
        self.strip.widget.setVisible(on)

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._layout_sizes()

    def _layout_sizes(self) -> None:
        h = max(self.height(), 200)
        self.view.reference_height = h
        self.strip.widget.setFixedHeight(round(h * STRIP_SHARE))
        px = self.view.name_px()
        f = QFont()
        f.setPixelSize(max(11, round(px * 0.34)))
        for name in ("left", "bottom"):
            axis = self.strip.plot.getAxis(name)
            axis.setStyle(tickFont=f, tickTextOffset=max(4, round(px * 0.12)))
        self.strip.plot.getAxis("left").setWidth(round(px * 2.0))
        self.strip.plot.getAxis("bottom").setHeight(round(px * 0.75))
        self._style_footer()

    def _style_footer(self) -> None:
        px = self.view.name_px()
        th = self.theme
        self.footer.setStyleSheet(f"background:{th.background}; color:{th.dim}; font-size:{max(12, round(px * 0.56))}px;"
                                  f"padding:{round(px * 0.15)}px {round(px * 0.75)}px;")

    def set_hint(self, text: str) -> None:
        if text != self._hint:
            self._hint = text
            self._show_footer()

    def show_message(self, text: str, seconds: float = 6.0) -> None:
        """A message in the hint line for ``seconds`` (0: until replaced)."""
        self._message = text
        self._message_until = time.monotonic() + seconds if seconds else float("inf")
        self._show_footer()

    def message(self) -> str:
        return self._message if time.monotonic() < self._message_until else ""

    def tick_footer(self) -> None:
        if self._message and time.monotonic() >= self._message_until:
            self._message = ""
            self._show_footer()

    def _show_footer(self) -> None:
        text = self._message or self._hint
        if self.footer.text() != text:
            self.footer.setText(text)

    def closeEvent(self, event) -> None:  # noqa: N802
        self.closed.emit()
        super().closeEvent(event)
