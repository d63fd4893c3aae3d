"""A pool of interpreters: frames scored in parallel, one interpreter per thread, in frame order.

LiteRT releases the GIL inside ``invoke()`` (measured: a pure-Python loop keeps ~90 % of its
speed beside a thread that invokes YAMNet non-stop), so threads holding one interpreter each use
the cores without the copies and start-up of processes. An interpreter is not thread-safe, so
each worker owns one: the caller's model plus ``jobs - 1`` siblings with the same kernels,
threads and extras, which therefore compute bit-identical scores.

Whichever worker is free pulls the next frame from a stream (a core that the machine lends to
something else does not hold the others up), decoding it if the stream decodes lazily; results
come back in frame order. A stream has at most ``window`` frames pulled but not handed out, so
memory stays flat for any length. Several streams (files) may share one pool: the workers take
their frames in turn.
"""

from __future__ import annotations

import collections
import os
import queue
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

import numpy as np

from yamview.core.model import FrameOutput, Model

# What a worker computes for one frame. Scores only, or scores plus the model's extras
# (embedding, log-mel patch); a caller that needs other per-frame outputs passes its own.
Infer = Callable[[Model, np.ndarray], FrameOutput]

_POLL = 0.05  # seconds between checks for a cancel while waiting: bounds how late a stop is seen


def scores_only(model: Model, samples: np.ndarray) -> FrameOutput:
    return FrameOutput(model.classify(samples))


def with_extras(model: Model, samples: np.ndarray) -> FrameOutput:
    return model.classify_frame(samples)


def usable_cores() -> int:
    """Cores this process may run on (its CPU affinity), not merely the machine's count."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # not on Linux
        return max(1, os.cpu_count() or 1)


def default_jobs(threads: int = 1) -> int:
    """One interpreter per usable core (interpreters with ``threads`` threads share them)."""
    return max(1, usable_cores() // max(1, threads))


class _Stream:
    """One caller's frames: where they come from, where results go, how far ahead it may run."""

    def __init__(self, frames: Iterable[np.ndarray], infer: Infer, window: int) -> None:
        self.source = iter(frames)
        self.infer = infer
        self.window = window
        # One worker at a time pulls from the source (a generator is not re-entrant); the
        # caller takes it last, so after map() ends nothing is inside the source any more.
        self.pulling = threading.Lock()
        self.ready: collections.deque[tuple[int, np.ndarray]] = collections.deque()  # pulled, not yet scored
        self.results: queue.SimpleQueue = queue.SimpleQueue()
        self.stopped = threading.Event()
        self.sent = 0  # frames pulled from the source (by the worker holding ``pulling``)
        self.done = 0  # frames handed to the caller (by the caller's thread only)
        self.exhausted = False

    def may_pull(self) -> bool:
        return not (self.exhausted or self.stopped.is_set()) and self.sent - self.done < self.window


class _Ended:
    """A stream's source has no more frames (put with index = frames sent), maybe by failing."""

    def __init__(self, error: BaseException | None = None) -> None:
        self.error = error


class InterpreterPool:
    """``jobs`` worker threads, each with its own interpreter of ``model``.

    Workers *pull*: a free worker reads ahead from a stream's source itself (decoding when the
    source decodes lazily) or scores a frame already read. Reading comes first, while the
    stream's window has room: a source's blocks are decoded one after another, so keeping that
    chain busy is what keeps every worker fed. So decoding needs no thread of its own, and
    ``jobs`` threads keep ``jobs`` cores busy (a third, decoding thread beside two workers
    fought them for two cores: 0.83x the speed of one job on a 44.1 kHz FLAC at hop 0.975 s).

    The caller's ``model`` is the first worker's interpreter while the pool is open. Use as a
    context manager, or call ``close()``; ``close(wait=False)`` is safe from any thread.
    """

    def __init__(self, model: Model, jobs: int) -> None:
        if jobs < 1:
            raise ValueError(f"jobs must be at least 1 (got {jobs})")
        self.model = model
        self.jobs = int(jobs)
        self.models = [model] + [model.reconfigured() for _ in range(self.jobs - 1)]
        self._streams: list[_Stream] = []
        self._turn = 0  # round robin over streams, so several files progress together
        self._ready = threading.Condition()  # guards the streams' ``ready``; signals new work
        self._closed = threading.Event()
        self._threads = [
            threading.Thread(target=self._work, args=(m,), name=f"yamview-pool-{i}", daemon=True)
            for i, m in enumerate(self.models)
        ]
        for t in self._threads:
            t.start()

    @property
    def threads(self) -> list[threading.Thread]:
        return list(self._threads)

    def __enter__(self):  # returns Self (typing.Self needs Python 3.11)
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self, wait: bool = True) -> None:
        """Stop the workers: each ends after its current frame (or within a poll when idle)."""
        self._closed.set()
        self._wake()
        if wait:
            for t in self._threads:
                if t is not threading.current_thread():
                    t.join()

    def _wake(self) -> None:
        with self._ready:
            self._ready.notify_all()

    def _claim(self) -> tuple[_Stream, tuple[int, np.ndarray] | None] | None:
        """Work for a free worker: (stream, None) to read from its source, which this worker
        then holds, or (stream, (index, samples)) to score; None after a poll without work."""
        with self._ready:
            streams = self._streams[self._turn:] + self._streams[: self._turn]
            for k, stream in enumerate(streams):
                if stream.may_pull() and stream.pulling.acquire(blocking=False):
                    if stream.may_pull():  # still, now that no other worker can pull
                        self._turn = (self._turn + k + 1) % len(streams)
                        return stream, None
                    stream.pulling.release()
            for stream in streams:
                if stream.ready and not stream.stopped.is_set():
                    return stream, stream.ready.popleft()
            self._ready.wait(_POLL)
        return None

    def _work(self, model: Model) -> None:
        while not self._closed.is_set():
            work = self._claim()
            if work is None:
                continue
            stream, frame = work
            if frame is None:
                self._pull(stream)
                continue
            index, samples = frame
            t = time.perf_counter()
            try:
                out: FrameOutput | BaseException = stream.infer(model, samples)
            except BaseException as exc:  # noqa: BLE001 - handed to the caller, raised there
                out = exc
            stream.results.put((index, out, time.perf_counter() - t))

    def _pull(self, stream: _Stream) -> None:
        """Read one frame from ``stream``'s source (held by this worker) into its ready frames."""
        try:
            samples = next(stream.source, None)
            ended = _Ended() if samples is None else None
        except BaseException as exc:  # noqa: BLE001 - raised by the caller after the frames before it
            samples, ended = None, _Ended(exc)
        with self._ready:
            if samples is not None:
                stream.ready.append((stream.sent, samples))
                stream.sent += 1
            else:
                stream.exhausted = True
                stream.results.put((stream.sent, ended, 0.0))
            stream.pulling.release()
            self._ready.notify_all()

    def map(
        self,
        frames: Iterable[np.ndarray],
        infer: Infer = scores_only,
        cancel: threading.Event | None = None,
        window: int | None = None,
    ) -> Iterator[tuple[FrameOutput, float]]:
        """Score ``frames``; yield (output, seconds of inference) per frame, in frame order.

        The workers pull ``frames`` (on their threads); at most ``window`` (default 4 x jobs:
        enough read-ahead that decoding never waits for scoring) are pulled but not yet handed
        out. When ``cancel`` is set the iteration ends within a
        poll interval and no further frame is pulled. When the iteration ends (or is left),
        no worker is inside ``frames`` any more, so the caller may close it.
        """
        cancel = cancel or threading.Event()
        stream = _Stream(frames, infer, max(1, window or 4 * self.jobs))
        pending: dict[int, tuple[FrameOutput | BaseException, float]] = {}
        total: int | None = None  # frames the source gave, once it ended
        failure: BaseException | None = None  # raised by the source (e.g. decoding)
        with self._ready:
            self._streams.append(stream)
            self._ready.notify_all()
        try:
            while True:
                while stream.done != total and stream.done not in pending:
                    got = self._receive(stream, cancel)
                    if got is None:
                        return
                    index, out, seconds = got
                    if isinstance(out, _Ended):
                        total, failure = index, out.error
                    else:
                        pending[index] = (out, seconds)
                if stream.done == total:
                    if failure is not None:
                        raise failure
                    return
                out, seconds = pending.pop(stream.done)
                stream.done += 1
                self._wake()  # room for one more frame of this stream
                if isinstance(out, BaseException):
                    raise out
                yield out, seconds
        finally:
            stream.stopped.set()
            with self._ready:
                self._streams.remove(stream)
            with stream.pulling:  # wait out a worker still inside the source (one frame's pull)
                pass

    def _receive(self, stream: _Stream, cancel: threading.Event):
        """The next (index, output, seconds) of ``stream``; None when cancelled first."""
        while not cancel.is_set():
            try:
                return stream.results.get(timeout=_POLL)
            except queue.Empty:
                self._check_open(cancel)
        return None

    def _check_open(self, cancel: threading.Event) -> None:
        # A cancel closes a run's own pool: that is a stop, not an error.
        if self._closed.is_set() and not cancel.is_set():
            raise RuntimeError("the interpreter pool is closed")


T = TypeVar("T")
R = TypeVar("R")


def map_in_order(
    fn: Callable[[T], R], items: Iterable[T], workers: int
) -> Iterator[tuple[T, R | None, BaseException | None]]:
    """(item, result, error) for each item, in the items' order, ``workers`` items at a time.

    Items (e.g. files) run on daemon threads; an item that raises yields its error and the others
    go on. Results wait to be taken in order, at most ``2 x workers`` items ahead, so memory stays
    bounded for any number of items. With one worker everything runs on the caller's thread.
    """
    items = list(items)
    if workers <= 1 or len(items) <= 1:
        for item in items:
            try:
                result = fn(item)
            except Exception as exc:  # noqa: BLE001 - the item's error, handed to the caller
                yield item, None, exc
            else:
                yield item, result, None
        return
    outcomes: list[tuple[R | None, BaseException | None] | None] = [None] * len(items)
    ready = [threading.Event() for _ in items]
    ahead = threading.Semaphore(2 * workers)  # taken but not yet handed out
    lock = threading.Lock()
    taken = 0
    stop = threading.Event()

    def work() -> None:
        nonlocal taken
        while not stop.is_set():
            if not ahead.acquire(timeout=_POLL):
                continue
            with lock:
                i, taken = taken, taken + 1
            if i >= len(items) or stop.is_set():
                return
            try:
                outcomes[i] = (fn(items[i]), None)
            except Exception as exc:  # noqa: BLE001 - the item's error, handed to the caller
                outcomes[i] = (None, exc)
            ready[i].set()

    threads = [threading.Thread(target=work, name=f"yamview-item-{k}", daemon=True)
               for k in range(min(workers, len(items)))]
    for t in threads:
        t.start()
    try:
        for i, item in enumerate(items):
            while not ready[i].wait(_POLL):
                pass
            outcome = outcomes[i]
            outcomes[i] = None
            assert outcome is not None
            yield item, outcome[0], outcome[1]
            ahead.release()
    finally:
        stop.set()  # a caller that leaves early (Ctrl+C): no new items start
