"""Background work for the inspector: the whole-file analysis, and small on-demand jobs.

``AnalysisJob`` runs on a Python thread: cache lookup (file hash), model load, then either the
cached result or a fresh analysis whose decoded blocks also feed the overview (waveform envelope
and spectrogram), so the file is decoded once. Progress is *pulled*: the window's display timer
reads ``n_frames`` / ``scores`` / ``overview`` (written before their counters move), so the GUI
thread never receives a signal per frame. Only start, end, failure and cancellation are signals.

``Background`` is a one-thread executor where the newest request wins (the model's-eye patch
and the detail spectrogram: stale requests are dropped, not queued).
"""

from __future__ import annotations

import logging
import threading
import time
import traceback
from concurrent.futures import ThreadPoolExecutor
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
from PySide6.QtCore import QObject, Signal

from yamview.core import assets, cache
from yamview.core.analysis import Analysis
from yamview.core.audio import AudioError, AudioFile
from yamview.core.cache import CachedAnalysis
from yamview.core.framing import Framing
from yamview.core.model import Model, ModelError
from yamview.core.tflite.model_settings import ModelSettings
from yamview.core import overview as ov

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ModelSpec:
    path: str  # "" = YAMNet (found or fetched)
    kernels: str = "fast"
    threads: int = 1
    jobs: int = 0  # interpreters in parallel for the whole-file analysis; 0 = one per core
    # What the user told yamview about bare models (rate, class names), by model sha256.
    settings_book: Mapping[str, ModelSettings] = field(default_factory=dict, compare=False)
    calibrate: bool = True  # apply a score calibration in the model's metadata (off: raw scores)


@dataclass(frozen=True)
class JobInfo:
    """What the views need before the first frame: classes, time base, where results come from."""

    path: str
    classes: list
    framing: Framing
    duration: float
    from_cache: bool
    model_path: str
    model_name: str
    kernels: str
    scientific_names: list = field(default_factory=list)  # per class; BirdNET-style names only
    user_classes: frozenset = frozenset()  # classes of a head the user trained (marked ✎)
    calibration: str = ""  # "" the model has none; "on" calibrated scores; "off" switched off
    thresholds: np.ndarray | None = None  # per-class, saved beside a calibrated model (while on)


class _Tap:
    """An AudioFile whose decoded blocks also feed the overview (on the decode thread)."""

    def __init__(self, audio: AudioFile, overview: ov.Overview) -> None:
        self.audio, self.overview = audio, overview
        self.name = audio.name
        self.report = audio.report

    def duration(self) -> float:
        return self.audio.duration()

    def blocks(self, rate: int):
        return ov.blocks_into(self.overview, self.audio.blocks(rate))


def load_model(spec: ModelSpec) -> Model:
    path = spec.path or str(assets.ensure("yamnet"))
    settings = spec.settings_book.get(assets.sha256_of(Path(path))) if spec.settings_book else None
    return Model(path, kernels=spec.kernels, threads=spec.threads, settings=settings,
                 calibrate=spec.calibrate)


class AnalysisJob(QObject):
    """One file's analysis. Create, connect, ``start()``; ``cancel()`` from the GUI thread."""

    # Each signal carries the job, so a window can ignore the news of a job it has replaced.
    ready = Signal(object, object)  # job, JobInfo: classes and time base known, views can be laid out
    finished = Signal(object, object)  # job, Analysis
    failed = Signal(object, str)  # job, message
    cancelled = Signal(object)  # job

    def __init__(self, path: str, spec: ModelSpec, hop_seconds: float | None, model: Model | None = None,
                 use_cache: bool = True) -> None:
        super().__init__()
        self.path, self.spec, self.hop_seconds = str(path), spec, hop_seconds
        self.model = model if model is not None and _matches(model, spec) else None
        self.use_cache = use_cache
        self.info: JobInfo | None = None
        self.scores: np.ndarray | None = None  # rows < n_frames are final
        self.n_frames = 0
        self.expected = 0
        self.overview: ov.Overview | None = None
        self.total_samples = 0
        self.phase = "starting"
        self.timings: dict[str, float] = {}
        self._cancel = threading.Event()
        self._run = None
        self._thread = threading.Thread(target=self._work, name="yamview-inspect", daemon=True)

    # -- GUI side ---------------------------------------------------------------------------
    def start(self) -> None:
        self._t0 = time.perf_counter()
        self._thread.start()

    def cancel(self) -> None:
        self._cancel.set()
        run = self._run
        if run is not None:
            run.cancel()

    @property
    def cancelled_requested(self) -> bool:
        return self._cancel.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        if self._thread.is_alive():
            self._thread.join(timeout)
        return not self._thread.is_alive()

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def progress(self) -> float:
        """0..1: frames scored (or, for a cached result without overview, audio decoded)."""
        if self.phase == "analysing" and self.expected:
            return min(1.0, self.n_frames / self.expected)
        if self.phase == "overview" and self.total_samples and self.overview is not None:
            return min(1.0, self.overview.samples / self.total_samples)
        return 1.0 if self.phase == "done" else 0.0

    # -- worker thread --------------------------------------------------------------------------
    def _work(self) -> None:
        try:
            self._analyse()
        except AudioError as exc:
            self.phase = "failed"
            self.failed.emit(self, f"Cannot read {self.path}: {exc}")
        except (ModelError, assets.AssetError) as exc:
            self.phase = "failed"
            self.failed.emit(self, f"Cannot load the model: {exc}")
        except Exception as exc:  # noqa: BLE001 - reported in the window, never a crash
            self.phase = "failed"
            log.error("analysis of %s failed:\n%s", self.path, traceback.format_exc())
            self.failed.emit(self, f"Analysis of {self.path} failed: {exc}")

    def _mark(self, name: str) -> None:
        self.timings[name] = time.perf_counter() - self._t0

    def _analyse(self) -> None:
        audio = AudioFile(self.path)
        if self.model is None:
            self.phase = "loading model"
            self.model = load_model(self.spec)
        model = self.model
        self.total_samples = int(round(audio.duration() * model.sample_rate))
        self.phase = "hashing"
        # Embeddings (free at inference, 4 KB a frame) for "find more like this".
        lookup = CachedAnalysis(audio, model, self.hop_seconds, self.use_cache, name=self.path,
                                jobs=self.spec.jobs or None, embeddings=model.can_embed)
        framing = lookup.framing
        self.expected = framing.count(self.total_samples)
        analysis, overview = lookup.cached, None
        if lookup.content is not None:
            side = ov.sidecar_path(cache.cache_dir(), lookup.content, model.sample_rate)
            overview = ov.load(side) if analysis is not None else None
        self._mark("cache lookup")
        if self._cancel.is_set():
            self._end_cancelled()
            return
        if analysis is not None:
            self.scores, self.n_frames = analysis.scores, analysis.n_frames
        self.overview = overview or ov.Overview(model.sample_rate, self.total_samples)
        self.info = JobInfo(self.path, list(model.classes), framing, audio.duration(), analysis is not None,
                            str(model.path), model.name, model.kernels.value, list(model.scientific_names),
                            frozenset(model.user_classes()), *_calibration(model))
        self.ready.emit(self, self.info)

        if analysis is None:
            self.phase = "analysing"
            run = lookup.run(_Tap(audio, self.overview))
            self._run = run
            if self._cancel.is_set():
                run.cancel()
            buf = np.zeros((max(1, self.expected) + 1, model.n_classes), np.float32)
            self.scores = buf
            for frame in run:
                i = frame.index
                if i >= len(buf):  # the duration was an estimate: grow, then publish
                    grown = np.zeros((2 * len(buf), buf.shape[1]), np.float32)
                    grown[:i] = buf[:i]
                    buf = self.scores = grown
                buf[i] = frame.scores
                self.n_frames = i + 1
                if i == 0:
                    self._mark("first frame")
            if self._cancel.is_set() or run.cancelled:
                self._end_cancelled()
                return
            analysis = run.result()
            self.overview.finish()
            self._mark("analysis")
            self._store(lookup, analysis)
        elif overview is None:
            self.phase = "overview"  # scores were cached (e.g. by `yamview analyze`), pictures not
            for block in audio.blocks(model.sample_rate):
                if self._cancel.is_set():
                    self._end_cancelled()
                    return
                self.overview.push(block)
            self.overview.finish()
            self._store(lookup, None)
        self.phase = "done"
        self._mark("done")
        self.finished.emit(self, analysis)

    def _store(self, lookup: CachedAnalysis, analysis: Analysis | None) -> None:
        """File the new analysis (if any) and the overview beside it."""
        if self._cancel.is_set():
            return
        try:
            if analysis is not None:
                lookup.store(analysis)
            if lookup.content is not None:
                ov.save(self.overview, ov.sidecar_path(cache.cache_dir(), lookup.content, self.model.sample_rate))
        except OSError as exc:  # a cache is a shortcut: failing to fill it is not an error
            log.warning("cannot write the results cache: %s", exc)

    def _end_cancelled(self) -> None:
        self.phase = "cancelled"
        self.cancelled.emit(self)


def _matches(model: Model, spec: ModelSpec) -> bool:
    if spec.path and str(model.path) != spec.path:
        return False
    return (model.kernels.value == spec.kernels and model.threads == spec.threads
            and model.calibrate == spec.calibrate)


def _calibration(model: Model) -> tuple[str, np.ndarray | None]:
    """The model's calibration state, and its per-class thresholds beside it while calibrated
    (an unusable thresholds file is logged and left out: the scores are still right)."""
    from yamview.core.calibrate import thresholds_beside
    from yamview.core.metrics import ThresholdError

    if model.calibration is None:
        return "", None
    if not model.calibrated:
        return "off", None
    try:
        return "on", thresholds_beside(model, default=0.5)
    except ThresholdError as exc:
        log.warning("per-class thresholds not used: %s", exc)
        return "on", None


class Background(QObject):
    """A single worker thread; each ``submit`` supersedes the previous request.

    ``fn(*args, stale=...)`` runs on the worker; ``stale()`` turns true once a newer request
    exists, so long jobs can give up early. Results arrive in the GUI thread via ``done``.
    """

    done = Signal(object, object)  # tag, result
    failed = Signal(object, str)  # tag, message

    def __init__(self, name: str) -> None:
        super().__init__()
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)
        self._gen = 0
        self._lock = threading.Lock()
        self.closed = False

    def submit(self, tag, fn: Callable, *args) -> None:
        if self.closed:
            return
        with self._lock:
            self._gen += 1
            gen = self._gen
        self._pool.submit(self._call, gen, tag, fn, args)

    def _call(self, gen: int, tag, fn, args) -> None:
        stale = lambda: gen != self._gen or self.closed  # noqa: E731
        if stale():
            return
        try:
            result = fn(*args, stale=stale)
        except Exception as exc:  # noqa: BLE001 - shown, the inspector keeps going
            log.error("background job %r failed:\n%s", tag, traceback.format_exc())
            if not stale():
                self.failed.emit(tag, str(exc))
            return
        if not stale() and result is not None:
            self.done.emit(tag, result)

    def shutdown(self) -> None:
        self.closed = True
        self._pool.shutdown(wait=True, cancel_futures=True)
