"""Colours: a stable colour per class, and the app's dark theme for plots."""

from __future__ import annotations

from PySide6.QtGui import QColor

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


def class_colour(index: int) -> QColor:
    """The same class always gets the same colour, whatever its rank."""
    return QColor(_CLASS_COLOURS[index % len(_CLASS_COLOURS)])
