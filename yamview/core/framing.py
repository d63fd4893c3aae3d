"""Window and hop arithmetic, and a streaming framer.

Frame ``i`` covers samples ``[i*hop, i*hop + window)``. Frames continue until every sample is
covered (or, with a hop longer than the window, while a frame still starts inside the stream);
the last one is zero-padded past the end, and a clip shorter than one window yields one padded
frame (as YAMNet's own framing does).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterator

import numpy as np

MIN_HOP_SECONDS = 0.010
# The Android example's overlap choices.
OVERLAPS = (0.0, 0.25, 0.5, 0.75)
DEFAULT_OVERLAP = 0.5


@dataclass(frozen=True)
class Framing:
    """How a stream at ``rate`` is cut into ``window``-sample frames every ``hop`` samples."""

    window: int
    hop: int
    rate: int

    def __post_init__(self) -> None:
        if self.window < 1 or self.rate < 1:
            raise ValueError("window and rate must be positive")
        if self.hop < max(1, round(MIN_HOP_SECONDS * self.rate)):
            raise ValueError(f"hop must be at least {MIN_HOP_SECONDS * 1000:.0f} ms")

    @classmethod
    def create(
        cls,
        window: int,
        rate: int,
        hop_seconds: float | None = None,
        overlap: float | None = None,
    ) -> "Framing":
        """From a hop in seconds, or an overlap fraction in [0, 1) (default 50 %)."""
        if hop_seconds is not None and overlap is not None:
            raise ValueError("give a hop or an overlap, not both")
        if hop_seconds is None:
            overlap = DEFAULT_OVERLAP if overlap is None else float(overlap)
            if not 0.0 <= overlap < 1.0:
                raise ValueError(f"overlap must be in [0, 1), got {overlap}")
            hop = round(window * (1.0 - overlap))
        else:
            if not math.isfinite(hop_seconds) or hop_seconds < MIN_HOP_SECONDS:
                raise ValueError(f"hop must be at least {MIN_HOP_SECONDS} s, got {hop_seconds}")
            hop = round(hop_seconds * rate)
        return cls(window=window, hop=hop, rate=rate)

    @property
    def hop_seconds(self) -> float:
        return self.hop / self.rate

    @property
    def window_seconds(self) -> float:
        return self.window / self.rate

    @property
    def overlap(self) -> float:
        return max(0.0, 1.0 - self.hop / self.window)

    def count(self, n_samples: int) -> int:
        """Frames needed to cover ``n_samples`` (0 for an empty stream).

        No frame starts at or past the end: with a hop longer than the window the samples
        between two frames are simply not scored, rather than adding a frame of padding.
        """
        if n_samples <= 0:
            return 0
        covering = 1 + math.ceil(max(0, n_samples - self.window) / self.hop)
        return min(covering, 1 + (n_samples - 1) // self.hop)

    def starts(self, n_frames: int) -> np.ndarray:
        """Start time of each frame, seconds."""
        return np.arange(n_frames, dtype=np.float64) * self.hop / self.rate

    def centres(self, n_frames: int) -> np.ndarray:
        """Centre time of each frame, seconds: where a frame's score belongs on a time axis."""
        return self.starts(n_frames) + self.window / (2 * self.rate)


class Framer:
    """Cuts a stream of blocks into frames, keeping only the samples later frames still need."""

    def __init__(self, framing: Framing) -> None:
        self.framing = framing
        self._buf = np.zeros(0, np.float32)
        self._base = 0  # absolute sample index of _buf[0]
        self._next = 0  # absolute start of the next frame
        self.samples_in = 0
        self.frames_out = 0

    def push(self, block: np.ndarray) -> Iterator[np.ndarray]:
        """Frames completed by ``block`` (each a fresh float32 array of ``window`` samples)."""
        w, hop = self.framing.window, self.framing.hop
        self._buf = np.concatenate((self._buf, np.asarray(block, np.float32)))
        self.samples_in += len(block)
        while self._next + w <= self._base + len(self._buf):
            i = self._next - self._base
            yield self._buf[i : i + w].copy()
            self._next += hop
            self.frames_out += 1
        drop = min(self._next - self._base, len(self._buf))
        if drop > 0:
            self._buf = self._buf[drop:]
            self._base += drop

    def finish(self) -> Iterator[np.ndarray]:
        """The zero-padded frames that cover the rest of the stream."""
        w, hop = self.framing.window, self.framing.hop
        total = self.framing.count(self.samples_in)
        while self.frames_out < total:
            i = self._next - self._base
            frame = np.zeros(w, np.float32)
            part = self._buf[max(i, 0) : i + w]
            frame[: len(part)] = part
            yield frame
            self._next += hop
            self.frames_out += 1


def frame_cells(starts: np.ndarray, window: float, duration: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Each frame's *cell*: the stretch of time nearer its centre than any other frame's centre.

    (lo, hi) float64 [frames]. With overlapping or touching windows the cells tile the file:
    cell ``i`` ends where cell ``i+1`` begins (halfway between centres), the first starts at the
    first window's start and the last ends at the last window's end. With gaps between windows
    (hop > window) a cell is the window itself. Everything is clipped to ``[0, duration]``.

    Events are unions of cells and labels are matched against cells (see metrics), so an event
    exported as a label and read back labels exactly the frames that made it, never a neighbour.
    """
    starts = np.asarray(starts, dtype=np.float64)
    n = len(starts)
    if n == 0:
        return np.zeros(0), np.zeros(0)
    hop = float(starts[1] - starts[0]) if n > 1 else window
    half = min(hop, window) / 2
    centres = starts + window / 2
    lo, hi = centres - half, centres + half
    if hop <= window:
        hi[:-1] = lo[1:]  # exactly shared edges: no sliver of overlap from float rounding
        lo[0], hi[-1] = starts[0], starts[-1] + window
    if duration is not None:
        np.clip(lo, 0.0, duration, out=lo)
        np.clip(hi, 0.0, duration, out=hi)
    return lo, hi


class NewestFrame:
    """Which frame of a live stream to score next: always the newest complete one.

    Frames start at ``origin`` (the ring's sample count when the source started) every ``hop``
    samples. A scorer that falls behind (slow kernels, a busy machine) jumps to the newest
    complete frame instead of working through a backlog, and ``skipped`` counts the frames it
    jumped over. No Qt, no clock: the caller passes the ring's sample count.
    """

    def __init__(self) -> None:
        self.framing: Framing | None = None
        self.origin = 0
        self.next_index = 0
        self.skipped = 0

    def restart(self, origin: int) -> None:
        """A (new) source: frame 0 starts at sample ``origin``."""
        self.origin, self.next_index, self.skipped = int(origin), 0, 0

    def reframe(self, framing: Framing, total: int | None = None) -> None:
        """A new window or hop. With ``total`` (audio is flowing), the frame grid restarts at the
        newest complete window, so times stay on the stream's clock."""
        old, self.framing = self.framing, framing
        if old is not None and total is not None and old != framing:
            self.origin = max(self.origin, total - framing.window)
            self.next_index = 0

    def take(self, total: int) -> tuple[int, int] | None:
        """(index, start sample) of the newest complete frame not taken yet, or None.

        ``total`` is the number of samples the stream has delivered so far.
        """
        fr = self.framing
        if fr is None:
            return None
        available = total - self.origin
        if available < fr.window:
            return None
        newest = (available - fr.window) // fr.hop
        if newest < self.next_index:
            return None
        if newest > self.next_index:
            self.skipped += newest - self.next_index  # late: jump, never build a backlog
        self.next_index = newest + 1
        return newest, self.origin + newest * fr.hop

    def drop(self) -> None:
        """The frame just taken could not be scored: move on (do not retry it forever)."""
        self.next_index += 1
