"""Instant replay: keep recent results, freeze the last seconds, play them back in sync.

- ``History`` keeps the Scored frames of the last ``seconds`` of stream time, as they were live.
- ``freeze(source, history)`` copies the newest ``REPLAY_SECONDS`` of audio out of the source's
  ring together with the frames that were live for them (``Frozen``).
- ``ReplayPlayer`` plays the frozen audio in real time through the same ``FilePlayback`` pipeline
  as a file (an output device when there is one, else paced by the clock) and hands back, as its
  stream time passes each frame's end, the *stored* frames: the very scores that were live, never
  recomputed. The audio goes through a temporary float WAV, removed on ``close()``.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from collections import deque
from dataclasses import dataclass
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

REPLAY_SECONDS = 10.0


class History:
    """Scored frames of the last ``seconds`` of stream time, oldest first."""

    def __init__(self, seconds: float = REPLAY_SECONDS + 5.0) -> None:
        self.seconds = float(seconds)
        self._items: deque = deque()

    def add(self, scored) -> None:
        items = self._items
        if items and scored.end < items[-1].end:  # the source restarted its time base
            items.clear()
        items.append(scored)
        while items and items[0].end < scored.end - self.seconds:
            items.popleft()

    def clear(self) -> None:
        self._items.clear()

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self):
        return iter(self._items)

    def between(self, t0: float, t1: float) -> list:
        """Frames whose last sample arrived in (t0, t1]: the ones that were live then."""
        return [s for s in self._items if t0 < s.end <= t1]


@dataclass
class Frozen:
    audio: np.ndarray  # mono float32 at ``rate``, a copy
    rate: int
    t0: float  # stream time of audio[0]
    t1: float  # stream time just after the last sample
    scored: list  # Scored frames live in (t0, t1], oldest first
    before: object = None  # the frame that was live at t0 (the replay starts from it), or None

    @property
    def duration(self) -> float:
        return len(self.audio) / self.rate


def freeze(source, history: History, seconds: float = REPLAY_SECONDS) -> Frozen:
    ring, rate = source.ring, source.rate
    total = ring.total
    n = int(min(round(seconds * rate), total, ring.capacity))
    audio = np.array(ring.latest(n), dtype=np.float32, copy=True)
    t1 = total / rate
    t0 = t1 - n / rate
    earlier = [s for s in history if s.end <= t0]
    return Frozen(audio, rate, t0, t1, history.between(t0, t1), earlier[-1] if earlier else None)


class ReplayPlayer:
    """Plays a ``Frozen`` once; ``due()`` returns the stored frames whose time has come."""

    def __init__(self, frozen: Frozen, output_device: str | None = None) -> None:
        self.frozen = frozen
        self.output_device = output_device
        self.source = None
        self._folder: Path | None = None
        self._next = 0

    @property
    def time(self) -> float:
        """Seconds of the frozen audio played so far."""
        return 0.0 if self.source is None else min(self.source.stream_time, self.frozen.duration)

    @property
    def finished(self) -> bool:
        src = self.source
        return src is not None and (src.finished or (not src.running and src.error is not None))

    def start(self) -> None:
        """Start from the beginning (again). Raises DeviceError/AudioError when it cannot play."""
        import soundfile as sf

        from yamview.sources.devices import DeviceError
        from yamview.sources.playback import FilePlayback

        self.stop()
        if self._folder is None:
            self._folder = Path(tempfile.mkdtemp(prefix="yamview-replay-"))
            sf.write(self._folder / "replay.wav", self.frozen.audio, self.frozen.rate, subtype="FLOAT")
        path = self._folder / "replay.wav"
        try:
            self.source = FilePlayback(path, self.frozen.rate, output_device=self.output_device, loop=False)
            self.source.name = "replay"
            self.source.start()
        except DeviceError as exc:  # no usable output device: replay silently, paced by the clock
            log.warning("replay through %r failed (%s); replaying silently", self.output_device, exc)
            self.source = FilePlayback(path, self.frozen.rate, output_device="none", loop=False)
            self.source.name = "replay"
            self.source.start()
        self._next = 0

    def due(self) -> list:
        """Stored frames whose last sample has now been replayed (all of them once finished)."""
        items = self.frozen.scored
        if self.source is None:
            return []
        limit = self.frozen.t0 + self.time + 1e-6
        done = self.finished
        out = []
        while self._next < len(items) and (done or items[self._next].end <= limit):
            out.append(items[self._next])
            self._next += 1
        return out

    def stop(self) -> None:
        if self.source is not None:
            self.source.stop()

    def close(self) -> None:
        self.stop()
        self.source = None
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)
            self._folder = None
