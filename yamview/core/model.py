"""A TFLite audio classifier: load, describe, classify one frame.

YAMNet is the default, but nothing here is YAMNet-specific: window length comes from the input
tensor, the sample rate and label file from the model's metadata, class names from the zip archive
that Task-library models append to the flatbuffer. A per-class score calibration in the
metadata (ScoreCalibrationOptions) is applied to every score, as MediaPipe applies it, unless the
model is loaded with ``calibrate=False`` (to compare with the raw scores).
"""

from __future__ import annotations

import contextlib
import enum
import hashlib
import logging
import os
import sys
import tempfile
import threading
import warnings
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from yamview.core.files import UnreadableFile, read_regular
from yamview.core.limits import MAX_MODEL_BYTES
from yamview.core.tflite import model_settings
from yamview.core.tflite.calibration import CalibrationError
from yamview.core.tflite.graph import GraphError
from yamview.core.tflite.metadata import MetadataError, read_audio_model_metadata
from yamview.core.tflite.model_settings import ModelSettings

if TYPE_CHECKING:
    from yamview.core.tflite import ScoreCalibration

log = logging.getLogger(__name__)

# For views drawn before any model has loaded (YAMNet's rate); a loaded model always states its own.
FALLBACK_SAMPLE_RATE = 16000

# Inner YAMNet tensors, readable after invoke() with experimental_preserve_all_tensors.
LOG_MEL_TENSOR = "log_mel_spectrogram"
EMBEDDING_TENSOR = "tower0/network/layer28/reduce_mean"


class ModelError(Exception):
    """The model file cannot be used; the message says why, for a person."""


class MissingSettingsError(ModelError):
    """A bare model lacks a setting (its sample rate) that only the user can give.

    ``missing`` names the settings (``sample_rate``): the GUI asks for them in a dialog, the CLI
    names the flag.
    """

    def __init__(self, message: str, missing: tuple[str, ...]) -> None:
        super().__init__(message)
        self.missing = missing


class Kernels(str, enum.Enum):
    """Which CPU kernels run the model.

    ``fast`` lets the runtime apply its default XNNPACK delegate (~3x faster); ``reference`` uses
    the builtin kernels, which reproduce Google's published YAMNet test values exactly.
    """

    FAST = "fast"
    REFERENCE = "reference"


def _runtime():
    """The TFLite interpreter module: ai_edge_litert, else the older tflite_runtime."""
    try:
        from ai_edge_litert import interpreter
    except ImportError:
        try:
            from tflite_runtime import interpreter  # type: ignore[no-redef, unused-ignore]
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise ModelError(
                "no TFLite runtime installed: pip install ai-edge-litert (or tflite-runtime)"
            ) from exc
    return interpreter


_stderr_lock = threading.Lock()


@contextlib.contextmanager
def _native_stderr_to_log():
    """Route what the C++ runtime prints on fd 2 into our log during model creation.

    LiteRT prints "INFO: Created TensorFlow Lite XNNPACK delegate" on every load, which would
    clutter CLI output; its real errors also arrive as exceptions, so nothing is lost by logging.
    """
    with _stderr_lock, tempfile.TemporaryFile() as capture:
        try:
            sys.stderr.flush()
            saved = os.dup(2)
        except (OSError, ValueError):  # no usable fd 2 (some GUI launchers): nothing to route
            yield
            return
        os.dup2(capture.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            capture.seek(0)
            for line in capture.read().decode("utf-8", "replace").splitlines():
                if line.strip():
                    (log.debug if line.startswith("INFO:") else log.warning)("runtime: %s", line)


def max_threads() -> int:
    """Threads are capped at the core count: oversubscribing was measured 30x slower."""
    return max(1, os.cpu_count() or 1)


@dataclass(frozen=True)
class OutputHead:
    """One classification output of the model; its classes fill the slots ``offset .. offset +
    size`` of ``Model.classes`` and of every score vector (YAMNet's own head comes first)."""

    name: str
    classes: tuple[str, ...]
    output: int  # the interpreter's tensor index
    offset: int

    @property
    def size(self) -> int:
        return len(self.classes)


@dataclass(frozen=True)
class FrameOutput:
    """Everything the model computed for one frame; extras are None unless asked for."""

    scores: np.ndarray  # float32 [n_classes]
    embedding: np.ndarray | None = None  # float32 [1024] for YAMNet
    log_mel: np.ndarray | None = None  # float32 [96, 64] for YAMNet


class Model:
    """One loaded TFLite audio classifier.

    Not thread-safe: one interpreter per thread. ``reconfigured`` makes a sibling with other
    kernels, threads or calibration from the same bytes without re-reading the file.
    """

    def __init__(
        self,
        path: str | os.PathLike,
        kernels: Kernels | str = Kernels.FAST,
        threads: int = 1,
        extras: bool = False,
        *,
        settings: ModelSettings | None = None,
        calibrate: bool = True,
        head: str | int | None = None,
        _data: bytes | None = None,
        _sha256: str | None = None,
    ) -> None:
        self.path = Path(path)
        self.kernels = Kernels(kernels)
        if not 1 <= int(threads) <= max_threads():
            raise ModelError(f"threads must be between 1 and {max_threads()} (got {threads})")
        self.threads = int(threads)
        self.extras = bool(extras)
        self.settings = settings
        self.calibrate = bool(calibrate)
        self.head = head
        if _data is None:
            try:
                _data = read_regular(self.path, MAX_MODEL_BYTES, "model")
            except UnreadableFile as exc:
                if str(exc) == "no such file":
                    raise ModelError(f"model file not found: {self.path}") from None
                raise ModelError(f"cannot read model {self.path}: {exc}") from None
        self._data = _data
        self.sha256 = _sha256 or hashlib.sha256(_data).hexdigest()
        self._interpreter = self._make_interpreter()
        self._describe()

    # -- loading ---------------------------------------------------------------------------
    def _make_interpreter(self):
        runtime = _runtime()
        if len(self._data) < 8 or self._data[4:8] != b"TFL3":
            raise ModelError(f"{self.path.name} is not a TFLite model (no TFL3 identifier)")
        kwargs = {"model_content": self._data, "num_threads": self.threads}
        if self.kernels is Kernels.REFERENCE:
            kwargs["experimental_op_resolver_type"] = (
                runtime.OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES
            )
        if self.extras:
            kwargs["experimental_preserve_all_tensors"] = True
        try:
            with warnings.catch_warnings(), _native_stderr_to_log():
                # The runtime warns that preserving tensors costs memory: we asked for it.
                warnings.simplefilter("ignore", UserWarning)
                interpreter = runtime.Interpreter(**kwargs)
                interpreter.allocate_tensors()
        except (ValueError, RuntimeError) as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise ModelError(f"cannot load model {self.path.name}: {first}") from None
        return interpreter

    def _describe(self) -> None:
        interp = self._interpreter
        inputs, outputs = interp.get_input_details(), interp.get_output_details()
        if len(inputs) != 1 or len(outputs) < 1:
            raise ModelError(
                f"{self.path.name} has {len(inputs)} inputs and {len(outputs)} outputs; "
                "an audio classifier has one waveform input and one score output"
            )
        inp, out = inputs[0], outputs[0]
        in_shape = [int(d) for d in inp["shape"]]
        # A waveform input is [N] or [1, N]; anything else is some other kind of model.
        if not (len(in_shape) == 1 or (len(in_shape) == 2 and in_shape[0] == 1)) or in_shape[-1] < 2:
            raise ModelError(
                f"{self.path.name} expects input shape {in_shape}; an audio classifier takes a "
                "mono waveform of shape [samples] or [1, samples]"
            )
        if inp["dtype"] != np.float32:
            raise ModelError(
                f"{self.path.name} expects {np.dtype(inp['dtype']).name} input; yamview feeds "
                "float32 waveforms in [-1, 1]"
            )
        out_shape = [int(d) for d in out["shape"]]
        if not out_shape or int(np.prod(out_shape)) != out_shape[-1]:
            raise ModelError(
                f"{self.path.name} outputs shape {out_shape}; expected one score per class"
            )
        self._in_index, self._in_shape = inp["index"], in_shape
        self._out_index = out["index"]
        self.output_name = str(out["name"]) or "scores"
        self.window = in_shape[-1]
        self.n_classes = out_shape[-1]

        try:
            meta = read_audio_model_metadata(self._data)
            resolved = model_settings.resolve(
                self.path, self._data, self.window, self.n_classes, meta.sample_rate,
                list(meta.heads[0].classes) if meta.heads and meta.heads[0].classes else None,
                self.settings,
            )
        except model_settings.MissingModelSettings as exc:
            raise MissingSettingsError(str(exc), exc.missing) from None
        except CalibrationError as exc:  # MediaPipe refuses such a model too
            raise ModelError(f"{self.path.name}: its score calibration cannot be used: {exc}") from None
        except (model_settings.ModelSettingsError, MetadataError, GraphError) as exc:
            raise ModelError(str(exc)) from None
        self.name = meta.name or self.path.stem
        self.sample_rate = resolved.sample_rate
        self.activation = resolved.activation
        # A score calibration in the metadata is part of the model, as MediaPipe applies it.
        self.calibration: ScoreCalibration | None = meta.heads[0].calibration if meta.heads else None
        if self.calibration is not None and resolved.origins.get("activation") != "given":
            self.activation = "none"  # e.g. BirdNET recognised by shape, with yamview's metadata
        if self.calibration is not None and self.activation != "none":
            raise ModelError(
                f"{self.path.name} calibrates its scores in its metadata; an activation "
                f"({self.activation}) on top would apply twice (use activation none)"
            )
        self.all_heads, post = self._read_heads(outputs, meta.heads, resolved.classes)
        self.heads = self._select_heads(self.all_heads)
        self._post = [post[self.all_heads.index(h)] for h in self.heads]
        if self.heads[0].output != self._out_index:  # one head chosen, not the first
            self.heads = (replace(self.heads[0], offset=0),)
            self.calibration = next((d.calibration for d in meta.heads if d.name == self.heads[0].name), None)
        self.classes = [name for h in self.heads for name in h.classes]
        self.n_classes = len(self.classes)
        self._score_buffer = np.zeros(self.n_classes, np.float32)
        self.recognised = resolved.recognised
        self.setting_origins = resolved.origins
        self.warnings: list[str] = list(resolved.warnings)
        # BirdNET-style "Scientific_Common" names: views show the common name (``classes``),
        # tooltips and exports add the scientific one. Trained heads have plain names.
        self.scientific_names: list[str | None] = (
            list(resolved.scientific_names) if self.heads[0].output == self._out_index else []
        )
        self.scientific_names += [None] * (self.n_classes - len(self.scientific_names))
        for w in self.warnings:  # shown by the caller (CLI line, GUI banner): log only
            log.debug(w)

        self._extra_index: dict[str, int] = {}
        self._embedding_quant = (1.0, 0)
        self._embedding_size = 0
        details = self._interpreter.get_tensor_details()
        # Named even without extras (its values are only kept with them): can this model embed?
        self.can_embed = any(d["name"] == EMBEDDING_TENSOR for d in details)
        if self.extras:
            for d in details:
                if d["name"] in (LOG_MEL_TENSOR, EMBEDDING_TENSOR):
                    self._extra_index[d["name"]] = d["index"]
                    if d["name"] == EMBEDDING_TENSOR:
                        self._embedding_size = int(np.prod(d["shape"]))
                        scale, zero = d["quantization"]
                        self._embedding_quant = (float(scale) or 1.0, int(zero))

    def _read_heads(self, outputs: list[dict], described, first_classes: list[str]):
        """The first output, plus every later output the metadata names with class names (a trained
        head); outputs it does not describe (say, an embedding output) are not heads."""
        first = outputs[0]
        first_name = described[0].name if described and described[0].name else self.output_name
        heads = [OutputHead(first_name, tuple(first_classes), first["index"], 0)]
        post: list[Callable[[np.ndarray], np.ndarray]] = [self._first_head_scores]
        offset = len(first_classes)
        for i, out in enumerate(outputs[1:], start=1):
            info = described[i] if i < len(described) else None
            shape = [int(d) for d in out["shape"]]
            if info is None or not info.classes or not shape or shape[-1] != len(info.classes) \
                    or int(np.prod(shape)) != shape[-1] or out["dtype"] != np.float32:
                continue
            heads.append(OutputHead(info.name or f"output {i}", tuple(info.classes), out["index"], offset))
            # A trained head ends in its own softmax/sigmoid; only a calibration may follow.
            post.append(info.calibration.apply if info.calibration is not None and self.calibrate else np.copy)
            offset += len(info.classes)
        return tuple(heads), post

    def _select_heads(self, heads: tuple[OutputHead, ...]) -> tuple[OutputHead, ...]:
        """All heads, or the one ``head`` names (by name, or by its index among the heads)."""
        if self.head is None:
            return heads
        chosen = [h for h in heads if h.name == str(self.head)]
        if not chosen and str(self.head).isdigit() and int(self.head) < len(heads):
            chosen = [heads[int(self.head)]]
        if not chosen:
            names = ", ".join(f"{i}: {h.name}" for i, h in enumerate(heads))
            raise ModelError(f"{self.path.name} has no head {str(self.head)!r} (its heads are {names})")
        return (chosen[0],)

    def head_of(self, class_index: int) -> OutputHead:
        """The head that scores class ``class_index`` of ``classes``."""
        for h in reversed(self.heads):
            if class_index >= h.offset:
                return h
        raise IndexError(class_index)

    def user_classes(self) -> set[str]:
        """Class names of every head after the model's first: classes a user trained (the views
        mark them)."""
        first = self.all_heads[0]
        return {name for h in self.heads if h.output != first.output for name in h.classes}

    def split(self, scores: np.ndarray) -> list[tuple[OutputHead, np.ndarray]]:
        """``scores`` (any leading shape, classes last) cut into each head's part."""
        return [(h, scores[..., h.offset:h.offset + h.size]) for h in self.heads]

    def reconfigured(
        self, kernels: Kernels | str | None = None, threads: int | None = None, extras: bool | None = None,
        calibrate: bool | None = None,
    ) -> Model:
        return Model(
            self.path,
            kernels=self.kernels if kernels is None else kernels,
            threads=self.threads if threads is None else threads,
            extras=self.extras if extras is None else extras,
            settings=self.settings,
            calibrate=self.calibrate if calibrate is None else calibrate,
            head=self.head,
            _data=self._data,
            _sha256=self.sha256,
        )

    # -- description -------------------------------------------------------------------------
    @property
    def data(self) -> bytes:
        """The model file's bytes, as loaded."""
        return self._data

    @property
    def window_seconds(self) -> float:
        return self.window / self.sample_rate

    @property
    def calibrated(self) -> bool:
        """True when scores come out calibrated (the metadata has a calibration, and it is on)."""
        return self.calibrate and self.calibration is not None

    @property
    def scores_id(self) -> str:
        """Identifies the scores this model gives: its file's sha256, marked when calibrated
        (the same file gives other scores with its calibration off; caches must tell them apart)."""
        scores_id = f"{self.sha256}+calibrated" if self.calibrated else self.sha256
        # One head of several gives other score columns than the whole model.
        return scores_id if self.head is None else f"{scores_id}+head={self.heads[0].name}"

    @property
    def has_embedding(self) -> bool:
        return EMBEDDING_TENSOR in self._extra_index

    @property
    def embedding_size(self) -> int:
        """Length of one frame's embedding (1024 for YAMNet); 0 without the embedding tensor."""
        return self._embedding_size

    def with_embeddings(self) -> "Model":
        """This model if it already yields embeddings, else a sibling that does.

        Raises ModelError for a model that has no embedding tensor (not YAMNet-like).
        """
        model = self if self.extras else self.reconfigured(extras=True)
        if not model.has_embedding:
            raise ModelError(f"{self.path.name} has no embedding tensor ({EMBEDDING_TENSOR})")
        return model

    @property
    def has_log_mel(self) -> bool:
        return LOG_MEL_TENSOR in self._extra_index

    def describe(self) -> str:
        heads = f" in {len(self.heads)} heads ({', '.join(h.name for h in self.heads)})" \
            if len(self.heads) > 1 else ""
        return (
            f"{self.name}: {self.window} samples ({self.window_seconds:.3f} s) at "
            f"{self.sample_rate} Hz, {self.n_classes} classes{heads}, {self.kernels.value} kernels, "
            f"{self.threads} thread{'s' if self.threads > 1 else ''}"
            + (", calibrated" if self.calibrated else
               ", calibration off" if self.calibration is not None else "")
        )

    # -- inference -----------------------------------------------------------------------------
    def _invoke(self, frame: np.ndarray) -> None:
        if frame.shape != (self.window,):
            raise ValueError(f"frame must have {self.window} samples, got shape {frame.shape}")
        data = np.ascontiguousarray(frame, dtype=np.float32)
        if len(self._in_shape) == 2:
            data = data.reshape(1, -1)
        self._interpreter.set_tensor(self._in_index, data)
        self._interpreter.invoke()

    def classify(self, frame: np.ndarray) -> np.ndarray:
        """Scores (float32 [n_classes], a copy) for one window of mono audio at ``sample_rate``:
        every head's classes in the order of ``classes`` (``split`` cuts them per head); calibrated
        when the model carries a calibration and ``calibrate`` is on."""
        self._invoke(frame)
        return self._scores()

    def _scores(self) -> np.ndarray:
        if len(self.heads) == 1:
            return self._post[0](self._interpreter.get_tensor(self.heads[0].output).reshape(-1))
        out = self._score_buffer
        for h, post in zip(self.heads, self._post):
            out[h.offset:h.offset + h.size] = post(self._interpreter.get_tensor(h.output).reshape(-1))
        return out.copy()

    def _first_head_scores(self, raw: np.ndarray) -> np.ndarray:
        if self.calibrated:
            assert self.calibration is not None
            return self.calibration.apply(raw)  # a new float32 array
        return model_settings.activate(raw, self.activation) if self.activation != "none" else raw.copy()

    def class_name(self, index: int) -> str:
        """The class's full name as the model's label file has it ("Scientific_Common")."""
        scientific = self.scientific_names[index]
        return f"{scientific}_{self.classes[index]}" if scientific else self.classes[index]

    def classify_frame(self, frame: np.ndarray) -> FrameOutput:
        """Scores plus, when the model was loaded with ``extras``, embedding and log-mel patch."""
        self._invoke(frame)
        scores = self._scores()
        embedding = log_mel = None
        if EMBEDDING_TENSOR in self._extra_index:
            raw = self._interpreter.get_tensor(self._extra_index[EMBEDDING_TENSOR]).reshape(-1)
            scale, zero = self._embedding_quant
            embedding = (raw.astype(np.float32) - zero) * scale if raw.dtype != np.float32 else raw.copy()
        if LOG_MEL_TENSOR in self._extra_index:
            log_mel = self._interpreter.get_tensor(self._extra_index[LOG_MEL_TENSOR]).copy()
        return FrameOutput(scores, embedding, log_mel)
