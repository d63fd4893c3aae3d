"""LiveSource: audio arriving in real time, turned into mono samples at the model's rate.

One pipeline for the microphone and for file playback:

    producer (PortAudio callback, or the playback clock)
        copies raw native-rate frames into a preallocated FIFO (~2 s) and counts overflows
    pump thread (every ~10 ms)
        takes the new frames -> sanitize -> level meter -> downmix -> soxr resample -> ring

The producer does nothing else because a PortAudio callback has a hard deadline and holds the
GIL: any Python work there (resampling, numpy temporaries) turns into dropouts. The pump may
allocate and take its time; the FIFO absorbs up to ~2 s of lateness before frames are dropped.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from yamview.core.audio import InputReport, Resampler, downmix, sanitize
from yamview.core.ring import RingBuffer

log = logging.getLogger(__name__)

FLOOR_DB = -120.0  # what silence reads as on the meter
CLIP_LEVEL = 0.999  # a sample this loud is counted as clipped
MIN_RING_SECONDS = 30.0  # the views and the live timeline look back this far


@dataclass(frozen=True)
class Level:
    """The input level over the last ~50 ms, in dBFS, plus clipped samples since start()."""

    peak_db: float = FLOOR_DB
    rms_db: float = FLOOR_DB
    clipped: int = 0


def _db(amplitude: float) -> float:
    return 20.0 * math.log10(amplitude) if amplitude > 1e-6 else FLOOR_DB


class FrameFifo:
    """Single-producer / single-consumer FIFO of [frames, channels] float32, preallocated.

    Each side moves only its own counter, and moves it after the data is in place, so the
    two threads need no lock. A write that does not fit is dropped whole and reported (the
    consumer fell behind); overwriting the oldest frames instead would race with the reader.
    """

    def __init__(self, frames: int, channels: int) -> None:
        self.buf = np.zeros((int(frames), int(channels)), dtype=np.float32)
        self.capacity = int(frames)
        self.written = 0  # producer's counter
        self.read = 0  # consumer's counter
        self.dropped = 0  # frames the producer had to drop (the consumer fell behind)
        self.last_write = time.monotonic()
        # Every write attempt, including dropped ones: the producer is alive even when the
        # consumer is the one that stalled (a full FIFO is not a silent device).
        self.last_attempt = self.last_write

    @property
    def available(self) -> int:
        return self.written - self.read

    def write(self, block: np.ndarray) -> bool:
        n = len(block)
        self.last_attempt = time.monotonic()
        if n > self.capacity - (self.written - self.read):
            self.dropped += n
            return False
        i = self.written % self.capacity
        k = min(n, self.capacity - i)
        self.buf[i : i + k] = block[:k]
        if k < n:
            self.buf[: n - k] = block[k:]
        self.written += n
        self.last_write = time.monotonic()
        return True

    def read_into(self, out: np.ndarray) -> int:
        n = min(self.written - self.read, len(out))
        i = self.read % self.capacity
        k = min(n, self.capacity - i)
        out[:k] = self.buf[i : i + k]
        if k < n:
            out[k:n] = self.buf[: n - k]
        self.read += n
        return n


class LiveSource:
    """Base class: subclasses implement ``_prepare``, ``_begin`` and ``_end`` (see below).

    ``on_error(message)`` and ``on_state(state)`` are called from a non-GUI thread; ``state`` is
    one of "running", "paused", "stopped", "finished", "error". They must only hand the news
    on (e.g. emit a Qt signal): the device is still being released while on_error runs, so a
    start() from inside it does nothing.
    """

    name = "live source"
    pump_interval = 0.010  # seconds between pump passes
    stall_timeout = 1.0  # no audio for this long while running = the device died quietly
    pump_late = 0.5  # a pump pass this late means this process was not running (busy, suspended)
    first_block_timeout = 5.0  # some devices (Bluetooth, a fresh PulseAudio) start slowly

    def __init__(
        self,
        rate: int,
        ring_seconds: float = 60.0,
        *,
        capture_seconds: float = 2.0,
        on_error: Callable[[str], None] | None = None,
        on_state: Callable[[str], None] | None = None,
    ) -> None:
        if int(rate) <= 0:
            raise ValueError(f"rate must be positive (got {rate})")
        if ring_seconds < MIN_RING_SECONDS:
            raise ValueError(f"ring must hold at least {MIN_RING_SECONDS:.0f} s (got {ring_seconds})")
        self.rate = int(rate)
        self.ring = RingBuffer(int(round(ring_seconds * self.rate)))
        self.capture_seconds = float(capture_seconds)
        self.on_error = on_error
        self.on_state = on_state
        self.error: str | None = None
        self.report = InputReport()  # NaN/Inf and out-of-range samples repaired by the pump
        self.native_rate: int | None = None
        self.channels: int | None = None
        self._overflows = 0  # counted by the producer (PortAudio flags, full FIFO)
        self.pump_stalls = 0  # pump passes that came more than pump_late s late
        self.longest_pump_stall = 0.0  # seconds
        self._level = Level()
        self._lock = threading.RLock()  # start/stop/teardown
        self._running = False  # what callers see: False from the moment an error is known
        self._live = False  # streams/threads exist and need tearing down
        self._fail_lock = threading.Lock()
        self._failing = False
        self._teardown: threading.Thread | None = None  # releasing after an error
        self._fifo: FrameFifo | None = None
        self._resampler: Resampler | None = None
        self._pump: threading.Thread | None = None
        self._pump_stop = threading.Event()

    # -- capabilities: callers ask these, never the source's type ----------------------------
    seekable = False  # seek(); position and duration are known
    pausable = False  # pause() / resume() keep the position
    loopable = False  # ``loop`` starts again at the end

    @property
    def path(self) -> Path | None:
        """The file played, or None (a microphone)."""
        return None

    @property
    def duration(self) -> float | None:
        """Seconds, or None when the source has no end (a microphone)."""
        return None

    @property
    def position(self) -> float | None:
        """Seconds into the source of the audio now playing, or None (a microphone)."""
        return None

    @property
    def paused(self) -> bool:
        return False

    @property
    def finished(self) -> bool:
        """Played to the end (only a source with a duration ends)."""
        return False

    @property
    def loop(self) -> bool:
        return False

    @loop.setter
    def loop(self, on: bool) -> None:
        if on:
            raise NotImplementedError(f"{self.name} cannot loop")

    def pause(self) -> None:
        raise NotImplementedError(f"{self.name} cannot pause")

    def resume(self) -> None:
        raise NotImplementedError(f"{self.name} cannot pause")

    def seek(self, seconds: float) -> None:
        raise NotImplementedError(f"{self.name} cannot seek")

    # -- public ------------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self._running

    @property
    def stream_time(self) -> float:
        """Seconds of audio written to the ring since it was created."""
        return self.ring.total / self.rate

    @property
    def overflows(self) -> int:
        """Capture blocks lost since start(): the FIFO was full, or the device flagged an overflow."""
        return self._overflows

    @property
    def dropped_seconds(self) -> float:
        """Audio lost since start() because processing fell behind (full FIFO), in seconds."""
        fifo = self._fifo
        return fifo.dropped / self.native_rate if fifo is not None and self.native_rate else 0.0

    def losses(self) -> str:
        """What was lost since start(), for a status line; "" when nothing was."""
        if not self._overflows:
            return ""
        lost = self.dropped_seconds
        amount = f"{lost:.1f} s of audio" if lost >= 0.05 else "audio"
        blocks = f"{self._overflows} block{'s' * (self._overflows != 1)}"
        if self.pump_stalls:
            why = f"processing stalled for up to {self.longest_pump_stall:.1f} s"
        elif lost:
            why = "processing fell behind"
        else:
            why = "the device reported overruns"
        return f"lost {amount} ({blocks}: {why})"

    @property
    def level(self) -> Level:
        return self._level

    def start(self) -> None:
        self._wait_teardown(None)  # a device that died must be released before reopening
        with self._lock:
            if self._live:
                return
            self.error = None
            self._failing = False
            native_rate, channels = self._prepare()  # may raise DeviceError / AudioError
            self._live = True  # from here on _end() must run, whatever fails
            try:
                self.native_rate, self.channels = int(native_rate), int(channels)
                pump = self._setup_pipeline(int(native_rate), int(channels))
                self._running = True
                pump.start()
                self._begin()
            except BaseException:
                self._shutdown()
                raise
        if self._running:  # an immediate failure has already reported "error"
            self._emit_state("running")

    def stop(self, timeout: float | None = None) -> bool:
        """Stop and release the device, waiting at most ``timeout`` s (None: as long as it takes).

        A frozen device (a sound server that stopped answering) holds its stream until it
        wakes: with a timeout the release goes on in the background and this returns False,
        the source no longer running. After an error the source is already releasing in the
        background: then this only waits for that. True when everything is released.
        """
        if self._teardown is not None:
            return self._wait_teardown(timeout)
        if timeout is None:
            if self._shutdown():
                self._emit_state("stopped")
            return True
        if not self._live:
            return True
        self._running = False  # stopped for every caller from now on, released or not
        self._teardown = threading.Thread(target=self._stop_teardown, name="source-release", daemon=True)
        self._teardown.start()
        return self._wait_teardown(timeout)

    @property
    def releasing(self) -> bool:
        """The device is still being released in the background (it may be frozen)."""
        thread = self._teardown
        return thread is not None and thread.is_alive()

    # -- for subclasses ----------------------------------------------------------------------
    def _prepare(self) -> tuple[int, int]:
        """Open what is needed without starting it; return (native rate, channels)."""
        raise NotImplementedError

    def _begin(self) -> None:
        """Start producing into ``self._fifo``."""
        raise NotImplementedError

    def _end(self) -> None:
        """Stop producing and release streams/threads. Idempotent; never runs in a callback."""
        raise NotImplementedError

    def _exhausted(self) -> bool:
        """True once the producer will write nothing more (end of a file)."""
        return False

    def _delivery_expected(self) -> bool:
        """False while silence from the producer is normal (paused)."""
        return True

    def _stall_message(self) -> str:
        return "input device stopped delivering audio"

    def _end_of_source(self) -> None:
        """Runs in a helper thread once the pump has put the last sample in the ring."""
        if self._shutdown():
            self._emit_state("finished")

    def _capture(self, frames: np.ndarray) -> None:
        """Producer side: hand raw frames to the pump (callback-safe: copy and count only)."""
        fifo = self._fifo
        assert fifo is not None  # producers run only between _setup_pipeline() and teardown
        if not fifo.write(frames):
            self._overflows += 1

    def _fail(self, message: str) -> None:
        """The stream died: from any thread (callbacks too). Stops in a helper thread."""
        with self._fail_lock:
            if self._failing or not self._running:
                return
            self._failing = True
        self.error = message
        self._running = False
        self._pump_stop.set()  # the pump keeps what was captured, then ends
        log.warning("%s: %s", self.name, message)
        self._teardown = threading.Thread(target=self._fail_teardown, name="source-teardown", daemon=True)
        self._teardown.start()

    def _emit_state(self, state: str) -> None:
        self._call(self.on_state, state)

    def _call(self, callback, *args) -> None:
        if callback is None:
            return
        try:
            callback(*args)
        except Exception:  # a broken listener must not kill the audio threads
            log.exception("%s: callback %r failed", self.name, callback)

    # -- internals ---------------------------------------------------------------------------
    def _setup_pipeline(self, native_rate: int, channels: int) -> threading.Thread:
        """Build the FIFO, the resampler and the level meter for one start(); returns the pump."""
        frames = max(1024, int(self.capture_seconds * native_rate))
        self._fifo = FrameFifo(frames, channels)
        self._overflows, self.pump_stalls, self.longest_pump_stall = 0, 0, 0.0  # counted per start()
        self._work = np.zeros_like(self._fifo.buf)  # the pump's copy of the frames it takes
        self._resampler = Resampler(native_rate, self.rate)  # a soxr stream cannot restart
        level_frames = max(1, int(0.05 * native_rate))
        self._peaks = RingBuffer(level_frames)
        self._powers = RingBuffer(level_frames)
        self._clipped = 0
        self._level = Level()
        self._pump_stop.clear()
        self._pump = threading.Thread(target=self._pump_loop, name=f"{type(self).__name__}-pump", daemon=True)
        return self._pump

    def _shutdown(self) -> bool:
        """Stop producer then pump (which drains and flushes). False if it was not running."""
        with self._lock:
            if not self._live:
                return False
            self._running = self._live = False
            try:
                self._end()
            finally:
                self._pump_stop.set()
                if self._pump is not None and self._pump is not threading.current_thread() and self._pump.is_alive():
                    self._pump.join()
                self._pump = None
            return True

    def _stop_teardown(self) -> None:
        if self._shutdown():
            self._emit_state("stopped")

    def _fail_teardown(self) -> None:
        # Report first, release second: closing a frozen device blocks until it wakes
        # (measured: abort() on a SIGSTOPped PulseAudio stream waits for SIGCONT).
        self._emit_state("error")
        self._call(self.on_error, self.error)
        self._shutdown()

    def _wait_teardown(self, timeout: float | None) -> bool:
        thread = self._teardown
        if thread is None:
            return True
        if thread is not threading.current_thread():
            thread.join(timeout)
        if thread.is_alive():
            return False
        self._teardown = None
        return True

    def _pump_loop(self) -> None:
        fifo = self._fifo
        assert fifo is not None  # the pump is made by _setup_pipeline(), with its FIFO
        try:
            quiet_since = time.monotonic()  # when delivery last became expected
            last_pass = quiet_since
            first = True
            while not self._pump_stop.wait(self.pump_interval):
                now = time.monotonic()
                late = now - last_pass - self.pump_interval
                last_pass = now
                if late > self.pump_late:
                    # This process did not run (a busy machine, the GIL held, a suspend): the
                    # device's silence meanwhile says nothing about the device.
                    self.pump_stalls += 1
                    self.longest_pump_stall = max(self.longest_pump_stall, late)
                    quiet_since = now
                    log.warning("%s: audio processing stalled for %.1f s", self.name, late)
                self._pump_once()
                if self._exhausted() and fifo.available == 0:
                    self._flush()
                    threading.Thread(target=self._end_of_source, name="source-end", daemon=True).start()
                    return
                now = time.monotonic()
                if not self._delivery_expected():
                    quiet_since = now
                    continue
                first = first and fifo.written == 0
                limit = self.first_block_timeout if first else self.stall_timeout
                if now - max(fifo.last_attempt, quiet_since) > limit:
                    self._fail(self._stall_message())
            self._pump_once()  # producers are stopped by now: keep what they delivered
            self._flush()
        except Exception as exc:  # a bug here must surface, not freeze the views silently
            log.exception("%s: pump failed", self.name)
            self._fail(f"audio processing failed: {exc}")

    def _pump_once(self) -> None:
        fifo, resampler = self._fifo, self._resampler
        assert fifo is not None and resampler is not None  # set up before the pump starts
        n = fifo.read_into(self._work)
        if n == 0:
            return
        x = sanitize(self._work[:n], self.report)
        magnitude = np.abs(x)
        self._clipped += int(np.count_nonzero(magnitude >= CLIP_LEVEL))
        self._peaks.write(magnitude.max(axis=1))
        self._powers.write(np.einsum("ij,ij->i", x, x) / x.shape[1])
        k = self._peaks.capacity
        self._level = Level(
            _db(float(self._peaks.latest(k).max())),
            _db(math.sqrt(float(self._powers.latest(k).mean()))),
            self._clipped,
        )
        self.ring.write(resampler.push(downmix(x)))

    def _flush(self) -> None:
        """The resampler holds back a few ms of filter delay: push them out at the end."""
        if self._resampler is not None:
            self.ring.write(self._resampler.push(np.zeros(0, np.float32), last=True))
            self._resampler = None
