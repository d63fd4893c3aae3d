"""Presenter themes: high-contrast colours for a dark hall (dark) and a bright room (light).

Bars keep each class's own hue (palette.class_colour, the same as the main window, so the eye can
follow a bar while it glides to another row), but its lightness is fixed per theme so the text
drawn over it always has the contrast of text on the plain track.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtGui import QColor

from yamview.gui import palette


@dataclass(frozen=True)
class Theme:
    name: str
    background: str
    track: str  # the empty part of a bar
    text: str
    dim: str  # breadcrumbs, hints
    accent: str  # focus marker and flash
    flash_text: str  # text on a fully flashed row
    live: str
    frozen: str
    replay: str
    bar_lightness: float
    bar_saturation: float
    spectrogram_colormap: str
    threshold: str  # the focus threshold tick
    spectrogram_colours: tuple = ()  # low -> high; empty: the named pyqtgraph colormap

    def bar_colour(self, cls: int) -> QColor:
        c = palette.class_colour(cls)
        h, s, _, _ = c.getHslF()
        out = QColor()
        out.setHslF(max(h, 0.0), min(max(s, 0.35), self.bar_saturation), self.bar_lightness)
        return out


DARK = Theme(
    name="dark", background="#0b0e14", track="#1a1f2a", text="#f5f7fa", dim="#9aa3b5",
    accent="#ffc83d", flash_text="#10131a", live="#3ecf6e", frozen="#ffb020", replay="#5aa9ff",
    bar_lightness=0.36, bar_saturation=0.62, spectrogram_colormap="inferno", threshold="#ffc83d",
)
LIGHT = Theme(
    name="light", background="#f7f7f3", track="#e3e6ec", text="#11141a", dim="#4f5766",
    accent="#f0a000", flash_text="#11141a", live="#15803d", frozen="#b45309", replay="#1d4ed8",
    bar_lightness=0.76, bar_saturation=0.75, spectrogram_colormap="magma", threshold="#b45309",
    # Paper white to ink: quiet parts blend with the page, loud parts read as dark marks.
    spectrogram_colours=("#f7f7f3", "#c9d9ea", "#6e9cc9", "#2f5f9a", "#0f2a52", "#070f1f"),
)
THEMES = {t.name: t for t in (DARK, LIGHT)}


def theme(name: str) -> Theme:
    return THEMES.get(name, DARK)
