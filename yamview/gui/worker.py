"""InferenceWorker: a QObject living on its own QThread, scoring the newest window every hop.

It polls the source's ring buffer with a fine timer; it never queues a backlog: when it falls
behind (slow kernels, a busy machine) it jumps to the newest complete frame and counts the
frames it skipped. Model loads and setting changes arrive as queued slot calls, so they apply
live on the worker's own thread, and results leave only through signals.

Loading a model reads a file (which may be a slow network share) or downloads one: that runs on
a daemon thread of its own, so neither the worker's thread nor the GUI thread ever waits for
it, and closing the window never hangs on a load that does not finish.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PySide6.QtCore import QMetaObject, QObject, Qt, QThread, QTimer, Signal, Slot

from yamview.core import assets
from yamview.core.framing import MIN_HOP_SECONDS, Framing, NewestFrame
from yamview.core.model import MissingSettingsError, Model, ModelError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Scored:
    """One frame's result as it leaves the worker."""

    index: int  # frame number since the source started (start sample = index * hop)
    start: float  # stream time of the frame's first sample, seconds
    centre: float  # stream time of the frame's centre: where its scores are drawn
    end: float  # stream time of its last sample: when it could first be computed
    scores: np.ndarray  # float32 [n_classes]
    inference_ms: float
    skipped: int  # frames skipped so far (worker fell behind and jumped ahead)
    entered_at: float = 0.0  # perf_counter() when the frame's last sample reached the ring
    emitted_at: float = 0.0  # perf_counter() when emitted (latency measurement)


@dataclass(frozen=True)
class ModelInfo:
    name: str
    path: str
    classes: list
    window: int
    sample_rate: int
    kernels: str
    threads: int
    warnings: list
    sha256: str
    numbered: bool = False  # no class names anywhere: the classes are "class 0", "class 1", ...
    scientific_names: list = field(default_factory=list)  # per class, BirdNET-style names only
    user_classes: frozenset = frozenset()  # classes of a head the user trained (marked in views)
    calibration: str = ""  # "" none in the model; "on": scores calibrated; "off": switched off
    # Per-class thresholds saved beside a calibrated model (float32 [classes]), used while on.
    thresholds: np.ndarray | None = None


class InferenceWorker(QObject):
    scored = Signal(object)  # Scored
    model_loaded = Signal(object)  # ModelInfo
    model_failed = Signal(str)
    # A bare model lacks a setting only the user can give: (path, sha256, message).
    model_needs_settings = Signal(str, str, str)
    failed = Signal(str)  # an exception while scoring: shown, the worker keeps going
    model_progress = Signal(str)  # what the model load is waiting for (e.g. a download)
    _load_result = Signal(int, str, object)  # (load number, kind, payload) from the loader thread

    def __init__(self, hop_seconds: float = 0.0) -> None:  # 0: the model's default overlap
        super().__init__()
        self._loads = 0  # number of the newest load asked for: older results are dropped
        self._load_result.connect(self._adopt)
        self._model: Model | None = None
        self._ring = None
        self._hop_seconds = hop_seconds
        self._frames = NewestFrame()  # which frame to score next (core, tested without Qt)
        self._timer: QTimer | None = None
        self._errors_in_a_row = 0
        self._settings_book: dict = {}  # model sha256 -> ModelSettings the user gave

    # -- lifetime (runs on the worker thread) -----------------------------------------------
    @Slot()
    def setup(self) -> None:
        """Called once the object lives on its thread: the timer must be created there."""
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(3)  # poll: a new frame waits at most 3 ms for the worker
        self._timer.timeout.connect(self._tick)
        self._timer.start()

    @Slot()
    def shutdown(self) -> None:
        """Stop the timer here, on its own thread, then end the thread's event loop."""
        if self._timer is not None:
            self._timer.stop()
        self._ring = None
        self.thread().quit()

    # -- configuration (queued calls from the GUI thread) -----------------------------------------
    @Slot(object)
    def set_model_settings_book(self, book: dict) -> None:
        self._settings_book = dict(book)

    @Slot(str, str, int, bool)
    def load_model(self, path: str, kernels: str, threads: int, calibrate: bool = True) -> None:
        """Load (or reload with other kernels/threads/calibration) a model on a loader thread.

        ``path`` "" means YAMNet, found locally or fetched (a download must not freeze the GUI).
        ``calibrate`` False ignores a score calibration in the model's metadata (raw scores).
        The result arrives back on this thread (``_adopt``); a newer request wins.
        """
        self._loads += 1
        args = (self._loads, path, kernels, threads, self._model, dict(self._settings_book), calibrate)
        threading.Thread(target=self._load, args=args, name="yamview-model-load", daemon=True).start()

    def _load(self, number: int, path: str, kernels: str, threads: int, current, book: dict,
              calibrate: bool = True) -> None:
        """On the loader thread: only reads files and builds the model; results go by signal."""
        def progress(done: int, total: int | None) -> None:
            of = f" of {total / 1e6:.1f}" if total else ""
            self.model_progress.emit(f"Downloading the model: {done / 1e6:.1f}{of} MB")

        try:
            if not path:
                path = str(assets.ensure("yamnet", progress=progress))
            sha = assets.sha256_of(Path(path)) if Path(path).is_file() else ""
            settings = book.get(sha)
            if (current is not None and str(current.path) == path
                    and current.sha256 == sha and current.settings == settings):
                model = current.reconfigured(kernels=kernels, threads=threads, calibrate=calibrate)
            else:
                model = Model(path, kernels=kernels, threads=threads, settings=settings,
                              calibrate=calibrate)
            thresholds, problem = _thresholds_beside(model)
        except MissingSettingsError as exc:
            self._load_result.emit(number, "settings", (path, sha, str(exc)))
            return
        except (ModelError, assets.AssetError) as exc:
            self._load_result.emit(number, "failed", str(exc))
            return
        except Exception as exc:
            log.exception("model load failed")
            self._load_result.emit(number, "failed", f"cannot load model {path}: {exc}")
            return
        self._load_result.emit(number, "loaded", (model, thresholds, problem))

    @Slot(int, str, object)
    def _adopt(self, number: int, kind: str, payload) -> None:
        if number != self._loads:
            return  # a newer load was asked for meanwhile
        if kind == "settings":
            self.model_needs_settings.emit(*payload)
            return
        if kind == "failed":
            self.model_failed.emit(payload)
            return
        model, thresholds, problem = payload
        self._model = model
        self._reframe()
        state = "" if model.calibration is None else "on" if model.calibrated else "off"
        self.model_loaded.emit(
            ModelInfo(model.name, str(model.path), list(model.classes), model.window, model.sample_rate,
                      model.kernels.value, model.threads, list(model.warnings) + problem, model.sha256,
                      numbered=not ({"classes", "labels_file"} & set(model.setting_origins)),
                      scientific_names=list(model.scientific_names),
                      user_classes=frozenset(model.user_classes()),
                      calibration=state, thresholds=thresholds)
        )

    @Slot(float)
    def set_hop(self, hop_seconds: float) -> None:
        self._hop_seconds = hop_seconds
        self._reframe()

    @Slot(object, object)
    def set_ring(self, ring, origin: int) -> None:
        """Attach a source's ring buffer (None detaches); frame 0 starts at ``origin`` (a
        ``ring.total`` read before the source started writing)."""
        self._ring = ring
        self._frames.restart(int(origin) if ring is not None else 0)

    @property
    def skipped(self) -> int:
        return self._frames.skipped

    def _reframe(self) -> None:
        if self._model is None:
            return
        hop = max(MIN_HOP_SECONDS, self._hop_seconds) if self._hop_seconds > 0 else None
        framing = Framing.create(self._model.window, self._model.sample_rate, hop_seconds=hop)
        self._frames.reframe(framing, self._ring.total if self._ring is not None else None)

    # -- the loop -------------------------------------------------------------------------------
    @Slot()
    def _tick(self) -> None:
        try:
            self._score_newest()
        except Exception as exc:  # noqa: BLE001 - reported to the window; the worker keeps going
            self._errors_in_a_row += 1
            log.error("inference failed: %s", traceback.format_exc())
            if self._errors_in_a_row in (1, 10, 100):  # say it, but do not flood the window
                self.failed.emit(f"inference failed: {exc}")
            self._frames.drop()
        else:
            self._errors_in_a_row = 0

    def _score_newest(self) -> None:
        ring, model, framing = self._ring, self._model, self._frames.framing
        if ring is None or model is None or framing is None:
            return
        taken = self._frames.take(ring.total)
        if taken is None:
            return
        newest, start = taken
        # Polled every few ms while the pump writes every ~10 ms: the write that completed this
        # frame is the newest one, so its time is when the frame's last sample arrived.
        entered_at = ring.written_at
        samples = ring.window(start + framing.window, framing.window)
        if samples is None:  # overwritten already (the worker was stalled for a long time)
            return
        t0 = time.perf_counter()
        scores = model.classify(samples)
        ms = (time.perf_counter() - t0) * 1000
        rate = framing.rate
        self.scored.emit(
            Scored(
                index=newest,
                start=start / rate,
                centre=(start + framing.window / 2) / rate,
                end=(start + framing.window) / rate,
                scores=scores,
                inference_ms=ms,
                skipped=self.skipped,
                entered_at=entered_at,
                emitted_at=time.perf_counter(),
            )
        )


def _thresholds_beside(model: Model) -> tuple[np.ndarray | None, list[str]]:
    """A calibrated model's per-class thresholds from beside its file (while the calibration is
    on), and a warning when that file is unusable (the model still loads)."""
    from yamview.core.calibrate import thresholds_beside
    from yamview.core.metrics import ThresholdError

    if not model.calibrated:
        return None, []
    try:
        return thresholds_beside(model, default=0.5), []
    except ThresholdError as exc:
        return None, [f"per-class thresholds not used: {exc}"]


class _PythonThread(QThread):
    """A QThread whose event loop runs inside a Python ``run()``.

    Slots called on a thread Python did not start get a fresh Python thread state per call
    (PySide's PyGILState_Ensure), created and dropped again every tick. Running the loop from
    Python keeps one state for the thread's life, and with it the trace hook that coverage and
    debuggers hand Python's own threads (threading.settrace), taken over here.
    """

    def run(self) -> None:
        hook = threading.gettrace()
        if hook is not None:
            sys.settrace(hook)
        self.exec()


class WorkerThread:
    """Owns the QThread and the worker; the GUI talks to the worker only through signals."""

    def __init__(self, worker: InferenceWorker) -> None:
        self.worker = worker
        self.thread = _PythonThread()
        self.thread.setObjectName("yamview-inference")
        worker.moveToThread(self.thread)
        # Queued: runs inside the thread's event loop (after run() set it up), not before it.
        self.thread.started.connect(worker.setup, Qt.ConnectionType.QueuedConnection)
        self.thread.start()

    def stop(self, timeout: float = 2.0) -> bool:
        """End the thread, waiting at most ``timeout`` s (the GUI thread never waits longer).

        The worker's timer is stopped on its own thread (a timer stopped from another thread is
        an error in Qt) by a queued call, which then ends the thread's event loop. True when the
        thread has finished.
        """
        if not self.thread.isRunning():
            return True
        # Queued, not blocking: the worker may be busy; shutdown() ends the loop when it runs.
        QMetaObject.invokeMethod(self.worker, "shutdown", Qt.ConnectionType.QueuedConnection)
        if self.thread.wait(int(timeout * 1000)):
            return True
        log.warning("inference thread still busy after %.1f s; leaving it to finish", timeout)
        _busy_threads.append(self)  # keep the QThread alive until it ends (never destroyed running)
        self.thread.finished.connect(lambda: _busy_threads.remove(self) if self in _busy_threads else None)
        return False


_busy_threads: list[WorkerThread] = []
