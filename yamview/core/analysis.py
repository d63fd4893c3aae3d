"""Whole-source analysis: every frame's scores, as they are computed, then one result object."""

from __future__ import annotations

import dataclasses
import queue
import threading
import time
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field

import numpy as np

from yamview.core.audio import InputReport, Source, TooShort
from yamview.core.framing import Framer, Framing
from yamview.core.model import FrameOutput, Model
from yamview.core.pool import InterpreterPool, default_jobs, scores_only, with_extras


@dataclass(frozen=True)
class Frame:
    """One scored window: index, start and centre time (s), its scores and optional extras."""

    index: int
    start: float
    centre: float
    scores: np.ndarray
    embedding: np.ndarray | None = None
    log_mel: np.ndarray | None = None


@dataclass
class Timings:
    """Where the time of one analysis went (seconds)."""

    decode: float = 0.0  # decode + downmix + resample (the source's work)
    inference: float = 0.0  # summed over the pool's workers: more than wall with several jobs
    wall: float = 0.0


@dataclass
class Analysis:
    """The scores of a whole source: ``scores[i]`` belongs to frame ``i``."""

    name: str
    classes: list[str]
    scores: np.ndarray  # float32 [n_frames, n_classes]
    starts: np.ndarray  # seconds
    centres: np.ndarray  # seconds
    duration: float  # seconds of audio analysed
    model_name: str
    model_sha256: str
    kernels: str
    threads: int
    framing: Framing
    jobs: int = 1  # interpreters that scored it (the scores do not depend on it)
    embeddings: np.ndarray | None = None  # float32 [n_frames, embedding size] when asked for
    warnings: list[str] = field(default_factory=list)
    timings: Timings = field(default_factory=Timings)
    # Running aggregates, set when the run did not keep per-frame scores (memory stays flat).
    mean_scores: np.ndarray | None = None
    max_scores: np.ndarray | None = None
    source_rate: int | None = None  # the file's own rate (its band is 0 to source_rate / 2)

    @property
    def n_frames(self) -> int:
        return int(len(self.starts))

    def mean(self) -> np.ndarray:
        """The official file score: mean over frames."""
        if self.mean_scores is not None:
            return self.mean_scores
        return self.scores.mean(axis=0) if self.n_frames else np.zeros(len(self.classes), np.float32)

    def max(self) -> np.ndarray:
        if self.max_scores is not None:
            return self.max_scores
        return self.scores.max(axis=0) if self.n_frames else np.zeros(len(self.classes), np.float32)

    def top(self, n: int = 5, by: str = "mean", threshold: float = 0.0) -> list[tuple[str, float]]:
        """The ``n`` best classes by mean or max score, keeping those >= ``threshold``."""
        agg = {"mean": self.mean, "max": self.max}[by]()
        return top_classes(agg, self.classes, n, threshold)

    def params(self) -> dict:
        return {
            "hop_seconds": self.framing.hop_seconds,
            "window_seconds": self.framing.window_seconds,
            "sample_rate": self.framing.rate,
            "kernels": self.kernels,
            "threads": self.threads,
            "model": self.model_name,
            "model_sha256": self.model_sha256,
        }


def top_classes(scores: np.ndarray, classes: list[str], n: int, threshold: float = 0.0) -> list[tuple[str, float]]:
    """(class, score) of the ``n`` highest scores >= ``threshold``, best first (stable ties)."""
    order = np.argsort(-scores, kind="stable")[: max(0, n)]
    return [(classes[i], float(scores[i])) for i in order if scores[i] >= threshold]


class _Rows:
    """A growing float32 matrix with amortised appends (no list of rows, no final copy spike)."""

    def __init__(self, width: int, capacity: int = 256) -> None:
        self._data = np.empty((max(1, capacity), width), np.float32)
        self.n = 0

    def append(self, row: np.ndarray) -> None:
        if self.n == len(self._data):
            grown = np.empty((2 * len(self._data), self._data.shape[1]), np.float32)
            grown[: self.n] = self._data
            self._data = grown
        self._data[self.n] = row
        self.n += 1

    def array(self) -> np.ndarray:
        # A view, not a copy: copying doubled the peak memory of a long file (15 MB of scores
        # per hour of audio). The unused tail rows were never written, so they take no RAM.
        return self._data[: self.n]


_END = object()


class AnalysisRun:
    """Iterate to receive frames as they are scored; ``result()`` gives the whole Analysis.

    With one interpreter, decoding and resampling run on a helper thread, overlapping inference
    (both release the GIL), so the pipeline costs about the larger of the two rather than their
    sum. With ``jobs > 1`` (or a shared ``pool``) a pool of interpreters, one per thread, pulls
    the frames (decoding as it goes) and scores them; they still arrive here in frame order with
    the same scores as one interpreter.
    """

    def __init__(self, source: Source, model: Model, framing: Framing, embeddings: bool = False,
                 keep_scores: bool = True, jobs: int = 1, pool: InterpreterPool | None = None) -> None:
        if framing.window != model.window or framing.rate != model.sample_rate:
            raise ValueError("framing does not match the model's window and rate")
        if jobs < 1:
            raise ValueError(f"jobs must be at least 1 (got {jobs})")
        if embeddings:
            model = model.with_embeddings()
        if pool is not None and pool.model is not model:
            raise ValueError("the pool runs another model (or one without the embeddings asked for)")
        self.source, self.model, self.framing = source, model, framing
        self._shared_pool = pool
        self._pool: InterpreterPool | None = None  # the run's own, while it runs
        self.jobs = pool.jobs if pool is not None else int(jobs)
        self.keep_embeddings = embeddings
        # keep_scores=False: only running sum and max, so memory does not grow with the file.
        self._scores = _Rows(model.n_classes, self._capacity_hint()) if keep_scores else None
        self._sum = np.zeros(model.n_classes, np.float64)
        self._max = np.full(model.n_classes, -np.inf, np.float32)
        self._n = 0
        self._embeddings = _Rows(model.embedding_size, self._capacity_hint()) if self.keep_embeddings else None
        self._framer = Framer(framing)
        self.nonfinite_scores = 0
        self._cancel = threading.Event()  # the user asked to stop
        self._stop = threading.Event()  # the decoder must stop (cancel, error, or early exit)
        self._result: Analysis | None = None
        self.timings = Timings()
        self._iterator = self._run()

    def _capacity_hint(self) -> int:
        d = self.source.duration()
        return self.framing.count(int(d * self.framing.rate)) + 1 if d else 256

    @property
    def expected_frames(self) -> int | None:
        d = self.source.duration()
        return self.framing.count(int(round(d * self.framing.rate))) if d else None

    def cancel(self) -> None:
        """Stop soon, from any thread: the decoder, and the run's own pool workers after the
        frame each is scoring (they do not wait for the iterating thread)."""
        self._cancel.set()
        self._stop.set()
        pool = self._pool
        if pool is not None:
            pool.close(wait=False)

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def __iter__(self) -> Iterator[Frame]:
        return self._iterator

    def _decoded(self) -> Generator[np.ndarray, None, None]:
        """The source's blocks at the model's rate, until the end or a stop; times the decoding.

        Only the source's own work counts as decode time, not the waits of whoever consumes the
        blocks (when decoding leads inference, those would make decode look as slow as wall).
        """
        blocks = None
        try:
            t = time.perf_counter()
            blocks = iter(self.source.blocks(self.framing.rate))
            while not self._stop.is_set():
                block = next(blocks, None)
                self.timings.decode += time.perf_counter() - t
                if block is None:
                    return
                yield block
                t = time.perf_counter()
        finally:
            close = getattr(blocks, "close", None)
            if close is not None:
                close()  # a generator stopped early closes its file now, on this thread

    def _decode(self, out: "queue.Queue") -> None:
        try:
            for block in self._decoded():
                out.put(block)
        except BaseException as exc:  # noqa: BLE001 - re-raised on the consuming thread
            out.put(exc)
        finally:
            out.put(_END)

    def _blocks(self) -> Iterator[np.ndarray]:
        q: queue.Queue = queue.Queue(maxsize=8)  # bounded: memory stays flat when decode leads
        worker = threading.Thread(target=self._decode, args=(q,), name="yamview-decode", daemon=True)
        worker.start()
        try:
            while (item := q.get()) is not _END:
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            self._stop.set()  # the consumer left early (or is done): let the decoder stop
            while worker.is_alive():  # drain so the decoder can see the cancel and stop
                try:
                    q.get(timeout=0.05)
                except queue.Empty:
                    pass
            worker.join()

    def _infer(self) -> Callable[[Model, np.ndarray], FrameOutput]:
        """What each frame needs computed: scores, plus embedding/log-mel when asked for."""
        return with_extras if self.keep_embeddings or self.model.extras else scores_only

    def _record(self, index: int, out: FrameOutput, seconds: float) -> Frame:
        self.timings.inference += seconds
        if not np.isfinite(out.scores).all():  # a broken model: NaN must not reach exports or means
            self.nonfinite_scores += int(out.scores.size - np.count_nonzero(np.isfinite(out.scores)))
            out = dataclasses.replace(out, scores=np.nan_to_num(out.scores, nan=0.0, posinf=1.0, neginf=0.0))
        self._n += 1
        if self._scores is not None:
            self._scores.append(out.scores)
        else:
            self._sum += out.scores
            np.maximum(self._max, out.scores, out=self._max)
        if self._embeddings is not None and out.embedding is not None:
            self._embeddings.append(out.embedding)
        start = index * self.framing.hop / self.framing.rate
        return Frame(index, start, start + self.framing.window_seconds / 2, out.scores, out.embedding,
                     out.log_mel)

    @property
    def _pooled(self) -> bool:
        return self.jobs > 1 or self._shared_pool is not None

    def _frames(self) -> Generator[np.ndarray, None, None]:
        # One interpreter: decoding runs on a thread of its own, overlapping inference. A pool's
        # workers pull the frames themselves, so whichever worker is free decodes the next
        # block: no third thread competes with two workers for two cores.
        for block in self._decoded() if self._pooled else self._blocks():
            yield from self._framer.push(block)
            if self._cancel.is_set():
                return
        yield from self._framer.finish()

    def _scored(self, frames: Iterator[np.ndarray]) -> Generator[tuple[FrameOutput, float], None, None]:
        """(output, inference seconds) per frame, in order: on this thread, or by a pool."""
        infer = self._infer()
        if not self._pooled:  # one interpreter, on this thread
            for samples in frames:
                t = time.perf_counter()
                out = infer(self.model, samples)
                yield out, time.perf_counter() - t
            return
        pool = self._shared_pool
        if pool is None:
            pool = self._pool = InterpreterPool(self.model, self.jobs)
            if self._cancel.is_set():  # cancelled while the pool started
                pool.close(wait=False)
        try:
            yield from pool.map(frames, infer, self._cancel)
        finally:
            if pool is not self._shared_pool:
                pool.close()
                self._pool = None

    def _run(self) -> Iterator[Frame]:
        t0 = time.perf_counter()
        frames = self._frames()
        scored = self._scored(frames)
        try:
            for index, (out, seconds) in enumerate(scored):
                yield self._record(index, out, seconds)
                if self._cancel.is_set():
                    return
        finally:
            scored.close()  # stops the pool's workers, then the decoder, on this thread
            frames.close()
        if self._cancel.is_set():
            return
        self.timings.wall = time.perf_counter() - t0
        self._result = self._build()

    def _build(self) -> Analysis:
        n = self._n
        if n == 0:  # the source resampled to nothing: a result of zero scores would mislead
            raise TooShort(self.framing.rate)
        summary = {}
        if self._scores is None:
            summary = {"mean_scores": (self._sum / max(n, 1)).astype(np.float32),
                       "max_scores": self._max if n else np.zeros_like(self._max)}
        report: InputReport | None = getattr(self.source, "report", None)
        warnings = list(getattr(self.model, "warnings", []))
        if report is not None:
            warnings += report.warnings()
        if self.nonfinite_scores:
            warnings.append(f"the model returned {self.nonfinite_scores} NaN/Inf scores, set to 0")
        return Analysis(
            name=self.source.name,
            classes=list(self.model.classes),
            scores=self._scores.array() if self._scores is not None
            else np.zeros((0, self.model.n_classes), np.float32),
            starts=self.framing.starts(n),
            centres=self.framing.centres(n),
            duration=self._framer.samples_in / self.framing.rate,
            model_name=self.model.name,
            model_sha256=self.model.sha256,
            kernels=self.model.kernels.value,
            threads=self.model.threads,
            framing=self.framing,
            jobs=self.jobs,
            embeddings=self._embeddings.array() if self._embeddings is not None else None,
            warnings=warnings,
            timings=self.timings,
            source_rate=getattr(self.source, "rate", None),
            **summary,
        )

    def result(self) -> Analysis:
        """Run to the end (if not already) and return the Analysis; raises if cancelled."""
        for _ in self._iterator:
            pass
        if self._result is None:
            raise RuntimeError("analysis was cancelled")
        return self._result


def analyze(
    source: Source,
    model: Model,
    hop_seconds: float | None = None,
    overlap: float | None = None,
    embeddings: bool = False,
    keep_scores: bool = True,
    jobs: int | None = None,
    pool: InterpreterPool | None = None,
) -> AnalysisRun:
    """Score ``source`` frame by frame with ``model``; iterate the run, or call ``result()``.

    ``embeddings=True`` also keeps each frame's embedding (``Analysis.embeddings``, float32
    [n_frames, 1024] for YAMNet): the model's inner representation, for similarity search and for
    training new heads. It costs no measurable inference time. ``keep_scores=False`` keeps only the mean and max per class (``Analysis.scores`` is then
    empty): memory stays flat however long the source is. ``jobs`` interpreters score frames in
    parallel (default: one per usable core; 1 scores on the iterating thread, as before); or
    pass a ``pool`` shared by several runs (many files at once).
    """
    framing = Framing.create(model.window, model.sample_rate, hop_seconds=hop_seconds, overlap=overlap)
    if jobs is None:
        jobs = default_jobs(model.threads)
    return AnalysisRun(source, model, framing, embeddings, keep_scores, jobs, pool)
