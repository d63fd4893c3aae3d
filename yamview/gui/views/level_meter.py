"""Input level meter (dBFS) with peak hold and a clipping lamp."""

from __future__ import annotations

import time
from typing import Sequence

import numpy as np
from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QPainter
from PySide6.QtWidgets import QSizePolicy, QWidget

from yamview.gui import palette
from yamview.gui.views.live import Tick

FLOOR_DB = -60.0
CLIP_HOLD_SECONDS = 2.0
PEAK_HOLD_SECONDS = 1.5  # the peak tick stays put this long, so short transients can be read


class LevelMeter(QWidget):
    """A LiveView of the input level (the widget is itself)."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.widget = self
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setMinimumWidth(160)
        self.setToolTip("Input level (dBFS): bar = RMS, tick = peak (held 1.5 s); CLIP lights when samples hit full scale")
        self.rms_db = self.peak_db = self.hold_db = FLOOR_DB
        self._hold_at = -1e9
        self._clip_at = -1e9
        self._clips_seen = 0

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(240, 22)

    def set_classes(self, classes: Sequence[str]) -> None:
        pass

    def on_scored(self, end: float, scores: np.ndarray) -> None:
        pass

    def on_tick(self, tick: Tick) -> None:
        if tick.level is not None:
            lv = tick.level
            self.set_level(lv.peak_db, lv.rms_db, lv.clipped)

    def clear(self) -> None:
        self.reset()

    def set_level(self, peak_db: float, rms_db: float, clipped_total: int) -> None:
        self.peak_db, self.rms_db = float(peak_db), float(rms_db)
        now = time.monotonic()
        if self.peak_db >= self.hold_db or now - self._hold_at > PEAK_HOLD_SECONDS:
            self.hold_db, self._hold_at = self.peak_db, now
        if clipped_total > self._clips_seen:
            self._clip_at = time.monotonic()
        self._clips_seen = clipped_total
        self.update()

    def reset(self) -> None:
        self.rms_db = self.peak_db = self.hold_db = FLOOR_DB
        self._hold_at = self._clip_at = -1e9
        self._clips_seen = 0
        self.update()

    @property
    def clipping(self) -> bool:
        return time.monotonic() - self._clip_at < CLIP_HOLD_SECONDS

    def _x(self, db: float, width: float) -> float:
        return max(0.0, min(1.0, (db - FLOOR_DB) / -FLOOR_DB)) * width

    def paintEvent(self, event) -> None:  # noqa: N802
        p = QPainter(self)
        lamp_w = 44
        bar = QRectF(0, 3, self.width() - lamp_w - 6, self.height() - 6)
        p.fillRect(bar, QColor("#262a33"))
        x = self._x(self.rms_db, bar.width())
        colour = QColor("#59a14f") if self.rms_db < -12 else QColor("#edc948") if self.rms_db < -3 else QColor(palette.WARNING)
        p.fillRect(QRectF(bar.left(), bar.top(), x, bar.height()), colour)
        px = self._x(self.hold_db, bar.width())
        p.fillRect(QRectF(bar.left() + px - 1, bar.top(), 2, bar.height()), QColor(palette.FOREGROUND))
        lamp = QRectF(self.width() - lamp_w, 3, lamp_w, self.height() - 6)
        p.fillRect(lamp, QColor(palette.WARNING) if self.clipping else QColor("#262a33"))
        f = QFont()
        f.setPixelSize(max(9, int(self.height() * 0.5)))
        f.setBold(True)
        p.setFont(f)
        p.setPen(QColor("#ffffff") if self.clipping else QColor("#6b7280"))
        p.drawText(lamp, Qt.AlignmentFlag.AlignCenter, "CLIP")
        p.end()
