"""FilePlayback: a file played in real time and fed into the same pipeline as a microphone.

Three threads, so that neither the player nor the UI ever waits for the decoder:

    reader   decodes ahead (native rate, all channels) into a bounded queue (~1 s)
    player   the OutputStream callback, or a clock thread when there is no output device;
             takes one block, plays it, and copies the same frames into the capture FIFO
    pump     (base.py) downmix, resample, ring

Seek and loop changes can make queued audio stale. Every queued block carries the reader
generation and the "lap" (pass through the file) it was decoded in; changing position bumps the
generation so anything decoded before is dropped, and turning loop off drops blocks of laps
after the one playing.
"""

from __future__ import annotations

import os
import threading
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import soundfile as sf

from yamview.core.audio import AudioFile
from yamview.sources import devices
from yamview.sources.base import LiveSource
from yamview.sources.devices import DeviceError, DeviceInfo

_EOF = object()  # queued after the last block when loop is off


@dataclass
class _Block:
    start: int  # file frame of data[0]
    data: np.ndarray  # [frames, channels] float32
    lap: int


class FilePlayback(LiveSource):
    """Plays ``path`` through ``output_device`` (None: the default, "none": no device, paced by
    the clock) and captures what it plays into ``ring`` at ``rate``.

    stop() then start() continues from ``position``; start() after the end plays from 0.
    """

    decode_frames = 4096  # per read: ~90 ms at 44.1 kHz
    ahead_seconds = 1.0  # decoded but not yet played, at most: memory does not grow with the file

    def __init__(self, path: str | os.PathLike, rate: int, output_device: str | None = None,
                 loop: bool = False, ring_seconds: float = 60.0, *, block_seconds: float = 0.010,
                 on_finished: Callable[[], None] | None = None, **kwargs) -> None:
        self.file = AudioFile(path)  # AudioError with the reason, before anything else happens
        super().__init__(rate, ring_seconds, **kwargs)
        self.name = f"playback of {self.file.path.name}"
        self.output_device = output_device
        self.on_finished = on_finished
        self.block = max(1, int(round(self.file.rate * block_seconds)))
        self.output: DeviceInfo | None = None  # the device playing, None when clock-paced
        self.underruns = 0
        self._loop = bool(loop)
        self._paused = False
        self._finished = False
        self._ended = False  # the player has put the last frame into the FIFO
        self._start_frame = 0
        self._pos = 0
        self._cond = threading.Condition()  # guards everything between reader and player
        self._queue: deque = deque()
        self._queued = 0
        self._gen = 0
        self._seek_to: int | None = None
        self._at_eof = False
        self._reader_lap = self._player_lap = 0
        self._cur: _Block | None = None
        self._cur_off = 0
        self._seek_gen = 0  # bumped by seek(): the player then drops the block it is playing
        self._dropped_gen = 0  # the last _seek_gen the player has acted on
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self._stream = None
        self._play = np.zeros((self.block, self.file.channels), np.float32)

    seekable = pausable = loopable = True

    # -- public ------------------------------------------------------------------------------
    @property
    def path(self) -> Path:
        return self.file.path

    @property
    def duration(self) -> float:
        return self.file.duration()

    @property
    def position(self) -> float:
        """Seconds into the file of the audio being played."""
        return self._pos / self.file.rate

    @property
    def finished(self) -> bool:
        return self._finished

    @property
    def paused(self) -> bool:
        return self._paused

    def pause(self) -> None:
        self._paused = True
        if self.running:
            self._emit_state("paused")

    def resume(self) -> None:
        self._paused = False
        if self.running:
            self._emit_state("running")

    @property
    def loop(self) -> bool:
        return self._loop

    @loop.setter
    def loop(self, on: bool) -> None:
        with self._cond:
            on = bool(on)
            if on == self._loop:
                return
            self._loop = on
            if on and self._at_eof and self._queue and self._queue[-1] is _EOF:
                self._queue.pop()  # not played to the end yet: carry on into the next lap
                self._at_eof = False
                self._reader_lap += 1
                self._seek_to = 0
            elif not on and self._reader_lap != self._player_lap:
                # The reader already wrapped: keep the rest of this lap, drop the next one.
                self._queue = deque(b for b in self._queue if b.lap == self._player_lap)
                self._queued = sum(len(b.data) for b in self._queue)
                self._queue.append(_EOF)
                self._at_eof = True
                self._seek_to = None
                self._gen += 1  # whatever the reader is decoding now belongs to the next lap
                self._reader_lap = self._player_lap
            self._cond.notify_all()

    def seek(self, seconds: float) -> None:
        frame = int(round(min(max(0.0, float(seconds)), self.duration) * self.file.rate))
        with self._cond:
            self._gen += 1
            self._seek_gen += 1  # the player drops the block it is in the middle of
            self._queue.clear()
            self._queued = 0
            self._seek_to = frame
            self._at_eof = False
            self._reader_lap += 1
            self._player_lap = self._reader_lap
            self._pos = self._start_frame = frame
            self._cond.notify_all()

    # -- LiveSource hooks ----------------------------------------------------------------------
    def _prepare(self) -> tuple[int, int]:
        self.output = self._pick_output()
        self._finished = self._ended = self._paused = False  # start() always plays
        self._stopping.clear()
        self.seek(self._start_frame / self.file.rate)
        if self.output is not None:
            channels = min(max(self.file.channels, 2), self.output.max_channels)
            try:
                self._stream = devices.open_stream(
                    "output", device=self.output.index, samplerate=self.file.rate, channels=channels,
                    dtype="float32", blocksize=self.block, callback=self._out_callback,
                    finished_callback=self._out_finished,
                )
            except Exception as exc:  # noqa: BLE001 - PortAudio's errors become one DeviceError
                raise DeviceError(f"cannot play {self.file.rate} Hz audio on {self.output.name!r}: {exc}") from None
        return self.file.rate, self.file.channels

    def _pick_output(self) -> DeviceInfo | None:
        name = self.output_device
        if name is not None and name.strip().lower() == "none":
            return None
        if name is None:
            return devices.default_output_device()  # None when there is none: clock-paced
        devices.require_portaudio()
        device = devices.find_output_device(name)
        if device is None:
            raise DeviceError(f"output device {name!r} not found (unplugged?)")
        return device

    def _begin(self) -> None:
        self._spawn(self._reader_loop, "reader")
        with self._cond:  # start with audio queued, or the first blocks would be underruns
            self._cond.wait_for(lambda: self._queue or self.error, timeout=2.0)
        if self._stream is not None:
            self._stream.start()
        else:
            self._spawn(self._clock_loop, "clock")

    def _end(self) -> None:
        self._stopping.set()
        with self._cond:
            self._cond.notify_all()
        stream, self._stream = self._stream, None
        if stream is not None:
            # Draining lets the device play what it has buffered; after the end of the file
            # that is the audible tail. Otherwise cut at once.
            devices.close_stream(stream, drain=self._ended and not self.error)
        for thread in self._threads:
            if thread is not threading.current_thread():
                thread.join()
        self._threads.clear()
        self._start_frame = 0 if self._ended else self._pos

    def _exhausted(self) -> bool:
        return self._ended

    def _delivery_expected(self) -> bool:
        return not (self._paused or self._ended)

    def _stall_message(self) -> str:
        return f"output device {self.output.name!r} stopped playing" if self.output else "playback clock stalled"

    def _end_of_source(self) -> None:
        if self._shutdown():
            self._finished = True
            self._emit_state("finished")
            self._call(self.on_finished)

    # -- reader --------------------------------------------------------------------------------
    def _spawn(self, target, what: str) -> None:
        thread = threading.Thread(target=target, name=f"playback-{what}", daemon=True)
        self._threads.append(thread)
        thread.start()

    def _reader_loop(self) -> None:
        ahead = int(self.ahead_seconds * self.file.rate)
        pos = 0
        try:
            with sf.SoundFile(self.file.path) as f:
                while True:
                    with self._cond:
                        self._cond.wait_for(lambda: self._stopping.is_set() or self._seek_to is not None
                                            or not (self._at_eof or self._queued >= ahead))
                        if self._stopping.is_set():
                            return
                        target, self._seek_to = self._seek_to, None
                        gen, lap = self._gen, self._reader_lap
                    if target is not None:
                        pos = f.seek(min(target, self.file.frames))
                    data = f.read(self.decode_frames, dtype="float32", always_2d=True)
                    with self._cond:
                        if gen != self._gen:
                            continue  # a seek or loop change made this block stale
                        if len(data):
                            self._queue.append(_Block(pos, data, lap))
                            self._queued += len(data)
                            pos += len(data)
                        elif self._loop and pos > 0:  # pos == 0: nothing decodes, do not spin
                            self._reader_lap += 1
                            self._seek_to = 0
                        else:
                            self._queue.append(_EOF)
                            self._at_eof = True
                        self._cond.notify_all()
        except Exception as exc:  # noqa: BLE001 - libsndfile error mid-file: reported, never a crash
            self._fail(f"decoding {self.file.path.name} failed at {pos / self.file.rate:.2f} s: {exc}")

    # -- player (OutputStream callback or clock thread) ----------------------------------------
    def _pull(self, n: int) -> tuple[int, bool]:
        """Fill ``self._play[:n]`` from the queue; (frames filled, end of file reached)."""
        out, got, eof = self._play, 0, False
        with self._cond:
            if self._seek_gen != self._dropped_gen:
                self._cur, self._dropped_gen = None, self._seek_gen
            while got < n:
                if self._cur is None:
                    if not self._queue:
                        break
                    item = self._queue.popleft()
                    if item is _EOF:
                        eof = True
                        break
                    self._queued -= len(item.data)
                    self._cur, self._cur_off, self._player_lap = item, 0, item.lap
                take = min(n - got, len(self._cur.data) - self._cur_off)
                out[got : got + take] = self._cur.data[self._cur_off : self._cur_off + take]
                got += take
                self._cur_off += take
                self._pos = self._cur.start + self._cur_off
                if self._cur_off == len(self._cur.data):
                    self._cur = None
            self._cond.notify_all()  # room in the queue: wake the reader
        return got, eof

    def _produce(self, n: int) -> np.ndarray:
        """One block for the device: played frames also go to the capture FIFO."""
        got, eof = self._pull(n)
        self._play[got:n] = 0
        if eof:
            if got:
                self._capture(self._play[:got])
            self._ended = True  # only now: the pump finishes once the FIFO is empty
        else:
            if got < n:  # the reader fell behind (e.g. right after a seek): silence is played
                self.underruns += 1
            self._capture(self._play[:n])
        return self._play[:n]

    def _out_callback(self, outdata, frames, time_info, status) -> None:
        if status.output_underflow:
            self.underruns += 1
        if self._paused or self._ended:
            outdata.fill(0)
            return
        block = self._produce(frames)
        if outdata.shape[1] == block.shape[1] or block.shape[1] == 1:
            outdata[:] = block  # same layout, or mono broadcast to every output channel
        else:
            outdata[:] = block.mean(axis=1, keepdims=True)

    def _out_finished(self) -> None:
        if not self._stopping.is_set():
            name = self.output.name if self.output is not None else "(default)"
            self._fail(f"output device {name!r} stopped unexpectedly (unplugged?)")

    def _clock_loop(self) -> None:
        # Deadlines are k * period after a fixed origin, not "now + period", so sleep jitter
        # does not accumulate: stream_time stays locked to the wall clock.
        period = self.block / self.file.rate
        deadline = time.monotonic()
        while not self._stopping.wait(max(0.0, deadline - time.monotonic())):
            if self._ended:
                return
            if self._paused:
                deadline = time.monotonic() + period  # restart the grid on resume, no burst
                continue
            self._produce(self.block)
            deadline += period
            if time.monotonic() - deadline > 0.5:  # the process was suspended: skip, do not burst
                deadline = time.monotonic()
