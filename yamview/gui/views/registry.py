"""The live window's views, in one list: adding a view is its module plus one row here.

Each row makes a view (from the settings) and says where the window puts it: ``left`` (stacked,
titled, sharing the time axis), ``right`` (above the controls) or ``status`` (the status bar).
The window reaches each view by ``name`` only to wire its own controls to it.
"""

from __future__ import annotations

from dataclasses import dataclass

from yamview.gui.settings import Settings
from yamview.gui.views.class_bars import ClassBars
from yamview.gui.views.class_timeline import ClassTimeline
from yamview.gui.views.level_meter import LevelMeter
from yamview.gui.views.live import LiveView
from yamview.gui.views.spectrogram import SpectrogramView
from yamview.gui.views.waveform import Waveform


@dataclass(frozen=True)
class Placed:
    name: str
    view: LiveView
    place: str  # "left", "right" or "status"
    title: str
    stretch: int = 1


def live_views(s: Settings, rate: int) -> list[Placed]:
    """Every live view, made for ``rate`` (until a model says otherwise) and the settings."""
    return [
        Placed("waveform", Waveform(seconds=5.0), "left", "Waveform · last 5 s", 2),
        Placed("spectrogram", SpectrogramView(rate, seconds=10.0, scale=s.get("spectrogram/scale"),
                                              db_range=(s.get("spectrogram/db_low"), s.get("spectrogram/db_high")),
                                              colormap=s.get("spectrogram/colormap")),
               "left", "Spectrogram · last 10 s", 4),
        Placed("timeline", ClassTimeline(seconds=10.0, rows=s.get("classify/max_results"),
                                         colormap=s.get("timeline/colormap")),
               "left", "Class timeline · same 10 s", 3),
        Placed("bars", ClassBars(max_results=s.get("classify/max_results"), threshold=s.get("classify/threshold")),
               "right", "Top classes", 3),
        Placed("level", LevelMeter(), "status", "Input"),
    ]
