"""Colours: a stable colour per class, and the app's dark theme for plots."""

from __future__ import annotations

from PySide6.QtGui import QColor

# Qualitative colours readable on a dark background (Tableau 20 reordered so neighbours differ).
_CLASS_COLOURS = [
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7",
    "#9c755f", "#bab0ac", "#a0cbe8", "#ffbe7d", "#ff9d9a", "#86bcb6", "#8cd17d", "#f1ce63",
    "#d4a6c8", "#fabfd2", "#d7b5a6", "#79706e",
]

BACKGROUND = "#15171c"
FOREGROUND = "#d8dce3"
GRID_ALPHA = 0.15
ACCENT = "#f28e2b"
WARNING = "#e15759"


def class_colour(index: int) -> QColor:
    """The same class always gets the same colour, whatever its rank."""
    return QColor(_CLASS_COLOURS[index % len(_CLASS_COLOURS)])
