"""A model's audio settings — sample rate, class names, score activation — and where they come from.

A model with TFLite metadata (YAMNet, anything ``yamview export-model`` wrote) states its rate and
class names itself. A bare ``.tflite`` (BirdNET, most research models) does not; then, in order:
1. the model's metadata, for whatever it states;
2. a sidecar ``<model stem>.yamview.json`` beside the model file;
3. recognised files: BirdNET's ``*_Labels.txt`` beside the model, and its input/output shapes;
4. explicit settings (CLI flags ``--rate``, ``--labels-file``, ``--activation``, or the GUI's
   dialog, remembered per model sha256) — these win over 1–3, with a warning where they
   contradict the metadata.
A rate found nowhere is an error that names the flag (:class:`MissingModelSettings`).
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

import numpy as np

from yamview.core.files import UnreadableFile, read_regular

from .graph import load_model

ACTIVATIONS = ("none", "sigmoid", "softmax")
SIDECAR_SUFFIX = ".yamview.json"
MIN_SAMPLE_RATE, MAX_SAMPLE_RATE = 1000, 768_000
MAX_LABEL_FILE_BYTES = 16 * 1024 * 1024
MAX_SIDECAR_BYTES = 64 * 1024
_MAX_LABEL_CHARS = 500

# BirdNET GLOBAL 6K (v2.4): 3 s at 48 kHz in, 6522 logits out; class names "Scientific name_Common name".
_BIRDNET = {"window": 144_000, "classes": 6522}
_BIRDNET_RATE, _BIRDNET_ACTIVATION = 48_000, "sigmoid"
# "Genus species_Common name": a binomial (optionally with a subspecies) before the underscore.
_SPECIES = re.compile(r"^([A-Z][a-z]+(?: [a-z][a-z-]+){1,2})_(.+)$")

# Graph ops whose output already is a probability: adding an activation on top makes no sense.
_SOFTMAX_OP, _LOGISTIC_OP = 25, 14


class ModelSettingsError(ValueError):
    """A setting is invalid (bad rate, label file that does not fit, ...); the message says why."""


class MissingModelSettings(ModelSettingsError):
    """The model does not say what yamview needs and nothing else did; ``missing`` names it."""

    def __init__(self, message: str, missing: tuple[str, ...]) -> None:
        super().__init__(message)
        self.missing = missing


@dataclass(frozen=True)
class ModelSettings:
    """Settings given for a model from outside its file; None means "not given"."""

    sample_rate: int | None = None
    labels_file: str | None = None
    activation: str | None = None

    def __post_init__(self) -> None:
        if self.sample_rate is not None:
            check_sample_rate(self.sample_rate)
        if self.activation is not None and self.activation not in ACTIVATIONS:
            raise ModelSettingsError(
                f"unknown activation {self.activation!r} (one of: {', '.join(ACTIVATIONS)})"
            )

    def over(self, base: ModelSettings) -> ModelSettings:
        """These settings, with ``base`` filling what they leave out."""
        return ModelSettings(
            **{f.name: getattr(self, f.name) if getattr(self, f.name) is not None else getattr(base, f.name)
               for f in fields(self)}
        )

    def is_empty(self) -> bool:
        return all(getattr(self, f.name) is None for f in fields(self))

    def to_json(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) is not None}

    @classmethod
    def from_json(cls, data: object, where: str) -> ModelSettings:
        if not isinstance(data, dict):
            raise ModelSettingsError(f"{where}: expected a JSON object with sample_rate, labels_file, activation")
        unknown = sorted(set(data) - {f.name for f in fields(cls)})
        if unknown:
            raise ModelSettingsError(f"{where}: unknown setting {unknown[0][:40]!r}")
        rate = data.get("sample_rate")
        if rate is not None and (isinstance(rate, bool) or not isinstance(rate, int)):
            raise ModelSettingsError(f"{where}: sample_rate must be a whole number of Hz")
        for key in ("labels_file", "activation"):
            if data.get(key) is not None and not isinstance(data[key], str):
                raise ModelSettingsError(f"{where}: {key} must be text")
        try:
            return cls(rate, data.get("labels_file"), data.get("activation"))
        except ModelSettingsError as e:
            raise ModelSettingsError(f"{where}: {e}") from None


@dataclass(frozen=True)
class ResolvedSettings:
    """What a loaded model uses, with the origin of each value (for the UI and warnings)."""

    sample_rate: int
    classes: list[str]  # display names, one per class
    scientific_names: list[str | None]  # BirdNET-style names: the scientific part, else None
    activation: str
    origins: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    recognised: str | None = None


def check_sample_rate(rate: int) -> int:
    if not MIN_SAMPLE_RATE <= int(rate) <= MAX_SAMPLE_RATE:
        raise ModelSettingsError(
            f"sample rate {rate} Hz is outside {MIN_SAMPLE_RATE:,}–{MAX_SAMPLE_RATE:,} Hz"
        )
    return int(rate)


def sidecar_path(model_path: str | os.PathLike) -> Path:
    path = Path(model_path)
    return path.with_name(path.stem + SIDECAR_SUFFIX)


def read_sidecar(model_path: str | os.PathLike) -> ModelSettings | None:
    """The sidecar's settings (labels_file made absolute), None when there is no sidecar."""
    path = sidecar_path(model_path)
    if not path.exists():
        return None
    text = _read_bounded(path, MAX_SIDECAR_BYTES, "settings file")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise ModelSettingsError(f"{path.name}: not valid JSON (line {e.lineno}: {e.msg})") from None
    settings = ModelSettings.from_json(data, path.name)
    if settings.labels_file is not None:
        settings = replace(settings, labels_file=str((path.parent / settings.labels_file).resolve()))
    return settings


def sidecar_text(settings: ModelSettings, model_path: str | os.PathLike) -> str:
    """The sidecar file's content: labels_file relative to the model's folder where possible."""
    data = settings.to_json()
    if "labels_file" in data:
        folder = Path(model_path).resolve().parent
        label_file = Path(data["labels_file"]).resolve()
        data["labels_file"] = str(label_file.relative_to(folder)) if label_file.is_relative_to(folder) else str(label_file)
    return json.dumps(data, indent=2) + "\n"


def read_label_file(path: str | os.PathLike, n_classes: int) -> list[str]:
    """One class name per line; exactly ``n_classes`` non-empty lines, else ModelSettingsError."""
    text = _read_bounded(Path(path), MAX_LABEL_FILE_BYTES, "label file")
    lines = [line.strip() for line in text.splitlines()]
    while lines and not lines[-1]:
        lines.pop()
    if len(lines) != n_classes:
        raise ModelSettingsError(
            f"{Path(path).name} has {len(lines):,} lines but the model has {n_classes:,} outputs"
        )
    for number, line in enumerate(lines, 1):
        if not line:
            raise ModelSettingsError(f"{Path(path).name}: line {number} is empty")
        if len(line) > _MAX_LABEL_CHARS:
            raise ModelSettingsError(f"{Path(path).name}: line {number} is {len(line):,} characters long")
    return lines


def split_species(name: str) -> tuple[str, str | None]:
    """("Common name", "Scientific name") for BirdNET-style class names; (name, None) otherwise."""
    match = _SPECIES.match(name)
    return (match.group(2), match.group(1)) if match else (name, None)


def graph_activation(model: bytes) -> str | None:
    """'softmax' or 'sigmoid' when the model's (first) output is made by such an op, else None."""
    model_t = load_model(model)
    subgraph = model_t.subgraphs[0]
    out = int(subgraph.outputs[0])
    for op in subgraph.operators or []:
        if out in [int(i) for i in op.outputs]:
            code = model_t.operatorCodes[op.opcodeIndex]
            builtin = max(code.builtinCode, code.deprecatedBuiltinCode)
            return {_SOFTMAX_OP: "softmax", _LOGISTIC_OP: "sigmoid"}.get(builtin)
    return None


def activate(scores: np.ndarray, activation: str) -> np.ndarray:
    """Scores after the activation (float32), over the last axis."""
    if activation == "none":
        return scores
    x = np.asarray(scores, dtype=np.float64)
    if activation == "sigmoid":
        out = np.exp(-np.logaddexp(0.0, -x))
    else:
        z = np.exp(x - x.max(axis=-1, keepdims=True))
        out = z / z.sum(axis=-1, keepdims=True)
    return out.astype(np.float32)


def recognise(model_path: Path, window: int, n_classes: int) -> tuple[ModelSettings, str | None]:
    """Settings for files yamview knows by their shape and neighbours (BirdNET), else empty."""
    label_file = _label_file_beside(model_path, n_classes)
    if window == _BIRDNET["window"] and n_classes == _BIRDNET["classes"]:
        return ModelSettings(_BIRDNET_RATE, label_file, _BIRDNET_ACTIVATION), "BirdNET GLOBAL 6K"
    return ModelSettings(labels_file=label_file), None


def _label_file_beside(model_path: Path, n_classes: int) -> str | None:
    """A ``*_Labels.txt`` next to the model with one line per output (BirdNET's convention)."""
    folder = model_path.parent
    try:
        candidates = sorted(p for p in folder.glob("*_Labels.txt") if p.is_file())
    except OSError:
        return None
    # Prefer the one sharing the model's name prefix (BirdNET_GLOBAL_6K_V2.4_...).
    candidates.sort(key=lambda p: -len(os.path.commonprefix([p.name, model_path.name])))
    for path in candidates[:8]:
        try:
            read_label_file(path, n_classes)
        except ModelSettingsError:
            continue
        return str(path)
    return None


def resolve(
    model_path: Path,
    model: bytes,
    window: int,
    n_classes: int,
    metadata_rate: int | None,
    metadata_classes: list[str] | None,
    explicit: ModelSettings | None = None,
) -> ResolvedSettings:
    """Every setting from the first place that gives it (see the module docstring)."""
    explicit = explicit or ModelSettings()
    sidecar = read_sidecar(model_path)
    found, recognised = recognise(model_path, window, n_classes)
    origins: dict[str, str] = {}
    warnings: list[str] = []
    layers = [
        ("the model's metadata", ModelSettings(metadata_rate and check_sample_rate(metadata_rate))),
        (sidecar_path(model_path).name, sidecar or ModelSettings()),
        (f"recognised as {recognised}" if recognised else "files beside the model", found),
    ]
    chosen = ModelSettings()
    for origin, layer in layers:
        for f in fields(layer):
            if getattr(chosen, f.name) is None and getattr(layer, f.name) is not None:
                origins[f.name] = origin
        chosen = chosen.over(layer)
    for f in fields(explicit):
        value = getattr(explicit, f.name)
        if value is None:
            continue
        if f.name == "sample_rate" and metadata_rate and value != metadata_rate:
            warnings.append(
                f"{model_path.name}: its metadata says {metadata_rate} Hz; using {value} Hz as asked"
            )
        origins[f.name] = "given"
    chosen = explicit.over(chosen)

    if chosen.sample_rate is None:
        raise MissingModelSettings(
            f"{model_path.name} does not state its sample rate: pass --rate HZ (or put "
            f'{{"sample_rate": HZ}} in {sidecar_path(model_path).name} beside the model)',
            ("sample_rate",),
        )
    classes: list[str] | None = None
    if chosen.labels_file is not None and (origins.get("labels_file") == "given" or not metadata_classes):
        classes = read_label_file(chosen.labels_file, n_classes)
    elif metadata_classes is not None and len(metadata_classes) == n_classes:
        classes = list(metadata_classes)
        origins["classes"] = "the model's metadata"
    elif metadata_classes is not None:
        warnings.append(
            f"label file has {len(metadata_classes)} names for {n_classes} outputs; classes are numbered"
        )
    if classes is None:
        if metadata_classes is None:
            warnings.append(
                f"{model_path.name} has no label file; classes are numbered "
                "(pass --labels-file FILE, one name per line)"
            )
        classes = [f"class {i}" for i in range(n_classes)]

    activation = chosen.activation or "none"
    already = graph_activation(model)
    if activation != "none" and already is not None:
        raise ModelSettingsError(
            f"{model_path.name} already ends in a {already}: its scores are probabilities, "
            f"a {activation} on top would distort them (use activation none)"
        )
    if activation == "softmax" and recognised and _BIRDNET_ACTIVATION == "sigmoid":
        raise ModelSettingsError(
            f"{recognised} scores {n_classes:,} species independently; a softmax would make "
            "them compete for one unit of probability (use sigmoid)"
        )
    display, scientific = zip(*(split_species(name) for name in classes)) if classes else ((), ())
    if len(set(display)) != len(display):  # keep names unique: fall back to the full names
        display, scientific = tuple(classes), (None,) * len(classes)
    return ResolvedSettings(
        check_sample_rate(chosen.sample_rate), list(display), list(scientific), activation,
        origins, warnings, recognised,
    )


def _read_bounded(path: Path, limit: int, what: str) -> str:
    try:
        data = read_regular(path, limit, what)
    except UnreadableFile as e:
        if str(e) == "no such file":
            raise ModelSettingsError(f"{what} not found: {path}") from None
        raise ModelSettingsError(f"cannot read {what} {path}: {e}") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ModelSettingsError(f"{what} {path.name} is not UTF-8 text") from None
