"""A fixed-size ring of mono samples that hands out any recent window as one contiguous array.

Every sample is stored twice, at ``i`` and ``i + capacity`` of a ``2 * capacity`` array, so the
newest ``n <= capacity`` samples always sit in one slice: readers (waveform, spectrogram, model
frames) get a view with no concatenation and no copy, and the writer never allocates.

Threading: one writer, any number of readers. The writer puts the samples in place before it
advances ``total``, so a reader that reads ``total`` first never sees unwritten data. A returned
view stays valid until ``capacity - (total - start)`` more samples are written: copy it if you
keep it longer (with a 60 s ring and a 1 s window that is ~59 s).
"""

from __future__ import annotations

import time

import numpy as np


class RingBuffer:
    def __init__(self, capacity: int, dtype=np.float32) -> None:
        if int(capacity) <= 0:
            raise ValueError(f"capacity must be positive (got {capacity})")
        self._cap = int(capacity)
        # Zeros matter: slots never written read as silence, which is what latest() and
        # window() promise for the time before the first sample.
        self._buf = np.zeros(2 * self._cap, dtype=dtype)
        self._total = 0
        self.written_at = 0.0

    @property
    def capacity(self) -> int:
        return self._cap

    @property
    def total(self) -> int:
        """Samples ever written (monotonic; the absolute index of the next sample)."""
        return self._total

    @property
    def dtype(self) -> np.dtype:
        return self._buf.dtype

    def write(self, block: np.ndarray) -> None:
        block = np.asarray(block).reshape(-1)
        n = block.size
        if n == 0:
            return
        cap, buf = self._cap, self._buf
        if n > cap:  # only the tail can survive; the rest counts as written and overwritten
            self._total += n - cap
            block, n = block[n - cap :], cap
        start = self._total % cap
        end = start + n  # <= 2 * cap, so the primary copy is one slice
        buf[start:end] = block
        # The mirror: the part below ``cap`` is repeated above it and vice versa.
        if start < cap:
            head = min(end, cap)
            buf[start + cap : head + cap] = buf[start:head]
        if end > cap:
            buf[: end - cap] = buf[cap:end]
        self._total += n  # publish last
        self.written_at = time.perf_counter()  # when the newest samples arrived (latency probes)

    def latest(self, n: int) -> np.ndarray:
        """A contiguous view of the newest ``n`` samples, zeros before the first one written."""
        n = self._check(n)
        start = (self._total - n) % self._cap
        return self._buf[start : start + n]

    def window(self, end: int, n: int) -> np.ndarray | None:
        """Samples ``[end - n, end)`` by absolute index, zeros for negative indexes.

        None if part of it is not written yet (``end > total``) or already overwritten.
        """
        n = self._check(n)
        total = self._total
        if end > total or end - n < total - self._cap:
            return None
        start = (end - n) % self._cap
        return self._buf[start : start + n]

    def clear(self) -> None:
        """Forget everything (not while the writer is writing)."""
        self._buf.fill(0)
        self._total = 0

    def _check(self, n: int) -> int:
        n = int(n)
        if not 0 <= n <= self._cap:
            raise ValueError(f"window of {n} samples does not fit a ring of {self._cap}")
        return n
