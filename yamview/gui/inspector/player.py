"""Playback for the inspector: play from a time, play a selection, loop; report the position.

Wraps FilePlayback (real-time, seekable; with output device "none" it is paced by the clock and
silent). A 30 ms timer reads the position for the cursor and ends (or loops) a selection.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, Qt, QTimer, Signal

from yamview.core.model import FALLBACK_SAMPLE_RATE
from yamview.sources.playback import FilePlayback

log = logging.getLogger(__name__)


class _Bridge(QObject):
    finished = Signal()
    error = Signal(str)


class Player(QObject):
    position_changed = Signal(float)
    state_changed = Signal(str)  # "playing", "paused", "stopped"
    failed = Signal(str)

    def __init__(self, output_device: str | None = None, parent=None) -> None:
        super().__init__(parent)
        self.output_device = output_device
        self.path: str | None = None
        self.rate = FALLBACK_SAMPLE_RATE  # until a file is set
        self.source: FilePlayback | None = None
        self.loop = False
        self.range: tuple[float, float] | None = None  # playing a selection
        self._bridge = _Bridge()
        self._bridge.finished.connect(self._on_finished)
        self._bridge.error.connect(self._on_error)
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(30)
        self._timer.timeout.connect(self._tick)

    @property
    def playing(self) -> bool:
        s = self.source
        return s is not None and s.running and not s.paused

    @property
    def position(self) -> float:
        return self.source.position if self.source is not None else 0.0

    def set_file(self, path: str | None, rate: int = FALLBACK_SAMPLE_RATE) -> None:
        self.stop()
        self.source = None
        self.path, self.rate = path, rate

    def _ensure(self) -> FilePlayback:
        if self.source is None:
            self.source = FilePlayback(self.path, self.rate, output_device=self.output_device, loop=False,
                                       ring_seconds=30.0, on_finished=self._bridge.finished.emit,
                                       on_error=self._bridge.error.emit)
        return self.source

    def play(self, start: float, end: float | None = None) -> bool:
        """Play from ``start`` (to ``end``, then stop or loop back to ``start``)."""
        if self.path is None:
            return False
        try:
            src = self._ensure()
            self.range = (start, end) if end is not None else None
            src.loop = self.loop and end is None
            src.seek(start)
            if src.running:
                src.resume()
            else:
                src.start()
        except Exception as exc:  # noqa: BLE001 - DeviceError, AudioError: said, nothing else changes
            log.warning("playback failed: %s", exc)
            self.failed.emit(f"Cannot play: {exc}")
            return False
        self._timer.start()
        self.state_changed.emit("playing")
        return True

    def pause(self) -> None:
        if self.source is not None and self.source.running:
            self.source.pause()
        self._timer.stop()
        self.state_changed.emit("paused")

    def stop(self) -> None:
        self._timer.stop()
        if self.source is not None:
            self.source.stop()
        self.range = None
        self.state_changed.emit("stopped")

    def set_loop(self, on: bool) -> None:
        self.loop = bool(on)
        if self.source is not None and self.range is None:
            self.source.loop = self.loop

    def seek(self, t: float) -> None:
        if self.source is not None and self.source.running:
            if self.range is not None and not (self.range[0] <= t < self.range[1]):
                self.range = None  # a click outside the selection plays on from there
                self.source.loop = self.loop
            self.source.seek(t)

    def _tick(self) -> None:
        src = self.source
        if src is None:
            return
        pos = src.position
        if self.range is not None and pos >= self.range[1]:
            if self.loop:
                src.seek(self.range[0])
                pos = self.range[0]
            else:
                self.pause()
                src.seek(self.range[1])
                pos = self.range[1]
        self.position_changed.emit(pos)

    def _on_finished(self) -> None:
        self._timer.stop()
        self.position_changed.emit(self.position)
        self.state_changed.emit("stopped")

    def _on_error(self, message: str) -> None:
        self._timer.stop()
        self.failed.emit(f"Playback stopped: {message}")
        self.state_changed.emit("stopped")

    def close(self) -> None:
        self._timer.stop()
        if self.source is not None:
            self.source.stop()
            self.source = None
