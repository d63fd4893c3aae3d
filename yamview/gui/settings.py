"""Typed access to QSettings, with every default in one place.

The settings file is the single source of truth: widgets are filled from it at start and write
back on change, never the other way round. A corrupt file is set aside (renamed) and the app
starts from defaults, saying so once. Every stored value is checked when the file is opened
(type, range, choices): an invalid one is removed, so its default applies, and ``problem``
lists every key that was reset. A hand-edited file can therefore never stop the app.
"""

from __future__ import annotations

import json
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QSettings

from yamview.gui.palette import COLORMAPS

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Key:
    name: str
    default: object
    kind: type
    low: float | None = None
    high: float | None = None
    choices: tuple | None = None


KEYS = {
    k.name: k
    for k in (
        Key("model/path", "", str),  # "" = YAMNet, found or fetched by yamview.core.assets
        Key("model/kernels", "fast", str, choices=("fast", "reference")),
        Key("model/threads", 1, int, 1, 64),
        # Interpreters scoring a whole file in parallel (inspector); 0 = one per usable core.
        Key("model/jobs", 0, int, 0, 256),
        # Apply a score calibration found in the model's metadata (off: raw scores, to compare).
        Key("model/calibrate", True, bool),
        Key("calibrate/folder", "", str),  # the last folder of labelled recordings calibrated on
        Key("classify/max_results", 5, int, 1, 10),
        Key("classify/threshold", 0.1, float, 0.0, 1.0),
        # Hops: 0 = not chosen, i.e. the default overlap (core.framing.DEFAULT_OVERLAP) of whatever
        # window the model has; a chosen hop is at least core.framing.MIN_HOP_SECONDS.
        Key("classify/hop_seconds", 0.0, float, 0.0, 10.0),
        Key("source/kind", "microphone", str, choices=("microphone", "file")),
        Key("source/device", "", str),  # input device NAME: indexes change when hardware does
        Key("source/file", "", str),
        Key("source/loop", True, bool),
        Key("spectrogram/scale", "mel", str, choices=("linear", "log", "mel")),
        Key("spectrogram/db_low", -90.0, float, -160.0, 0.0),
        Key("spectrogram/db_high", -10.0, float, -150.0, 20.0),
        Key("spectrogram/colormap", "inferno", str, choices=COLORMAPS),
        Key("timeline/colormap", "viridis", str, choices=COLORMAPS),
        # Teach a new sound: the training set (one subfolder of audio files per class)
        Key("teach/folder", "", str),
        # Inspector (whole-file analysis window)
        Key("inspector/hop_seconds", 0.0, float, 0.0, 10.0),
        Key("inspector/top_k", 10, int, 5, 30),
        Key("inspector/rank_by", "max", str, choices=("max", "mean")),
        Key("inspector/threshold", 0.3, float, 0.0, 1.0),
        Key("inspector/scale", "mel", str, choices=("linear", "log", "mel")),
        Key("inspector/folder", "", str),
        # Per recording (by resolved path): its label track and label -> class mapping, JSON
        # {path: {"labels": file, "format": f, "column": c, "mapping": {label: {"any_of"|"all_of": [class]}}}}
        Key("inspector/recordings", "{}", str),
        # Presenter view (talk mode): lists are JSON, parsed and checked by yamview.gui.presenter.config.
        # focus: [{"label": "Clapping", "threshold": 0.3}, ...], pinned in the presenter and the main views
        Key("presenter/focus", "[]", str),
        # Silence is never worth a bar on a projector; Speech stays visible (demo clips are often
        # speech): a presenter who talks over the demo adds it in the Classes dialog.
        Key("presenter/hidden", '["Silence"]', str),
        Key("presenter/top_n", 5, int, 1, 10),
        Key("presenter/attack_seconds", 0.12, float, 0.0, 5.0),
        Key("presenter/release_seconds", 0.6, float, 0.0, 10.0),
        Key("presenter/hysteresis", 0.05, float, 0.0, 0.5),
        Key("presenter/theme", "dark", str, choices=("dark", "light")),
        Key("presenter/screen", "", str),  # screen NAME; "" = a second screen when present
        Key("presenter/rollup", False, bool),
        Key("presenter/rollup_depth", 3, int, 1, 6),
        Key("presenter/spectrogram", True, bool),
    )
}


_MODEL_SETTINGS = "model_settings"


def default_path() -> Path:
    import platformdirs

    return Path(platformdirs.user_config_dir("yamview", appauthor=False)) / "yamview.ini"


class Settings:
    """Settings in an INI file (``path``; the user config folder by default)."""

    def __init__(self, path: str | os.PathLike | None = None) -> None:
        self.path = Path(path) if path else default_path()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.problem: str | None = None
        self.reset_keys: list[str] = []  # keys whose stored value was invalid (now defaults)
        self._qs = QSettings(str(self.path), QSettings.Format.IniFormat)
        if self._qs.status() != QSettings.Status.NoError:
            self._set_aside("it could not be parsed")
        else:
            self._validate()

    def _validate(self) -> None:
        """Check every stored value now (not when a widget first asks): reset the bad ones."""
        for name in KEYS:
            if self._qs.contains(name):
                self.get(name)
        if self.reset_keys:
            self._qs.sync()

    def _set_aside(self, why: str) -> None:
        backup = self.path.with_name(f"{self.path.name}.corrupt-{time.strftime('%Y%m%d-%H%M%S')}")
        del self._qs
        try:
            os.replace(self.path, backup)
            where = f"; the old file was kept as {backup}"
        except OSError:
            where = ""
        self.problem = f"Settings file {self.path} was unreadable ({why}); defaults restored{where}."
        log.warning(self.problem)
        self._qs = QSettings(str(self.path), QSettings.Format.IniFormat)

    def get(self, name: str):
        key = KEYS[name]
        raw = self._qs.value(name, key.default)
        try:
            if key.kind is bool:
                value = raw if isinstance(raw, bool) else str(raw).lower() in ("true", "1", "yes")
            else:
                value = key.kind(raw)
        except (TypeError, ValueError):
            return self._bad(key, raw)
        if key.low is not None and not key.low <= value <= key.high:
            return self._bad(key, raw)
        if key.choices is not None and value not in key.choices:
            return self._bad(key, raw)
        return value

    def _bad(self, key: Key, raw):
        log.warning("setting %s=%.60r is invalid; using the default %r", key.name, raw, key.default)
        self._qs.remove(key.name)  # the default from now on, and no second warning
        if key.name not in self.reset_keys:
            self.reset_keys.append(key.name)
        shown = ", ".join(f"{k} (now {KEYS[k].default!r})" for k in self.reset_keys)
        self.problem = f"Invalid settings were reset to their defaults: {shown}."
        return key.default

    def set(self, name: str, value) -> None:
        if name not in KEYS:
            raise KeyError(name)
        self._qs.setValue(name, value)

    # Answers for models without metadata (rate, class names, activation), per model sha256:
    # the same file never asks twice, wherever it is moved.
    def model_settings(self, sha256: str):
        from yamview.core.tflite.model_settings import ModelSettings, ModelSettingsError

        raw = self._qs.value(f"{_MODEL_SETTINGS}/{sha256}")
        if raw is None:
            return None
        try:
            return ModelSettings.from_json(json.loads(str(raw)), "stored model settings")
        except (ValueError, ModelSettingsError) as exc:
            log.warning("ignoring stored settings of model %s: %s", sha256[:12], exc)
            return None

    def set_model_settings(self, sha256: str, settings) -> None:
        self._qs.setValue(f"{_MODEL_SETTINGS}/{sha256}", json.dumps(settings.to_json()))

    def model_settings_book(self) -> dict:
        """Every stored model's settings, by sha256 (for the inference worker)."""
        self._qs.beginGroup(_MODEL_SETTINGS)
        keys = self._qs.childKeys()
        self._qs.endGroup()
        book = {k: self.model_settings(k) for k in keys}
        return {k: v for k, v in book.items() if v is not None}

    # Window geometry and splitter state are opaque Qt blobs.
    def get_bytes(self, name: str):
        return self._qs.value(name)

    def set_bytes(self, name: str, value) -> None:
        self._qs.setValue(name, value)

    def reset(self) -> None:
        """Forget every stored value: each key reads its default again."""
        self._qs.clear()
        self._qs.sync()
        self.problem = None
        self.reset_keys = []

    def sync(self) -> None:
        self._qs.sync()
