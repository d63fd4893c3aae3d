"""The one interface every view of the live window implements, and the display tick it receives.

The live window (and talk mode, when it freezes or replays) keeps a list of ``LiveView`` objects
and calls the same four methods on each; adding a view is one module plus one line in that list.
Views are touched only on the GUI thread.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, Sequence, runtime_checkable

import numpy as np
from PySide6.QtCore import QPoint
from PySide6.QtWidgets import QWidget

from yamview.core.ring import RingBuffer
from yamview.sources.base import Level


@dataclass(frozen=True)
class Tick:
    """One display frame: the newest audio (``ring`` None when nothing is flowing), its rate,
    the stream time of its newest sample, and the input level (None when there is none to show,
    e.g. during a replay)."""

    ring: RingBuffer | None
    rate: int
    now: float = 0.0
    level: Level | None = None


def idle_tick(rate: int) -> Tick:
    """A display frame with no audio: animations still advance, nothing scrolls."""
    return Tick(None, rate)


@runtime_checkable
class LiveView(Protocol):
    widget: QWidget

    def set_classes(self, classes: Sequence[str]) -> None:
        """A model was loaded: these are its class names, in score order."""

    def on_scored(self, end: float, scores: np.ndarray) -> None:
        """A frame was scored; ``end`` is the stream time (s) of its window's last sample (views
        on a time axis draw a frame over the audio it added, up to its end)."""

    def on_tick(self, tick: Tick) -> None:
        """Display timer: draw what the newest audio and scores show."""

    def clear(self) -> None:
        """The time base changed (new source, freeze, replay): forget what is on screen."""


@runtime_checkable
class ClassRows(Protocol):
    """A live view that lists classes by row; talk mode's context menu pins or hides them."""

    widget: QWidget

    def class_at(self, pos: QPoint) -> str | None:
        """The class drawn at widget position ``pos``, if any."""

    def set_pinned(self, indices: Sequence[int]) -> None:
        """Classes always shown first (the presenter's focus classes)."""
