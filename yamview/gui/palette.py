"""Colours: a stable colour per class, and the app's dark theme for plots."""

from __future__ import annotations

import logging

import pyqtgraph as pg
from PySide6.QtGui import QColor

log = logging.getLogger(__name__)

# The colormaps offered for spectrograms and score heat maps (perceptually uniform).
COLORMAPS = ("inferno", "viridis", "magma", "plasma", "cividis", "CET-L16")

# Qualitative colours, each dark enough for bold white text on it (contrast >= 3:1, WCAG's
# level for large text) and ordered so neighbours differ.
_CLASS_COLOURS = [
    "#4e79a7", "#e15759", "#59a14f", "#b07aa1", "#9c755f", "#d37295", "#2f8f8a", "#c4661f",
    "#6b6ecf", "#8c6d31", "#3c7fb1", "#a55194", "#637939", "#ad494a", "#5254a3", "#7b4173",
    "#d6604d", "#4393c3", "#35978f", "#8073ac",
]

BACKGROUND = "#15171c"
FOREGROUND = "#d8dce3"
GRID = "#2a2e36"  # opaque: translucent grid lines are expensive to blend at 60 fps
GRID_ALPHA = 0.15  # for static plots, where translucent grid lines cost nothing per frame
ACCENT = "#f28e2b"
WARNING = "#e15759"


def colormap(name: str, fallback: str = COLORMAPS[0]) -> pg.ColorMap:
    """pyqtgraph's colormap ``name``; an unknown name (a hand-edited setting) gives ``fallback``
    with a log line, never an exception out of a window's constructor."""
    try:
        return pg.colormap.get(name)
    except Exception:  # noqa: BLE001 - pyqtgraph raises FileNotFoundError, KeyError, ValueError...
        log.warning("unknown colormap %r; using %s", str(name)[:60], fallback)
        return pg.colormap.get(fallback)


def class_colour(index: int) -> QColor:
    """The same class always gets the same colour, whatever its rank."""
    return QColor(_CLASS_COLOURS[index % len(_CLASS_COLOURS)])
