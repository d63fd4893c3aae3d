"""Audio devices, found by name.

Indexes are PortAudio's enumeration order and change when hardware is plugged in, so settings
remember a device's name and look it up again here. Everything returns an empty list / None when
there is no device or no PortAudio library at all: the app must still open (files work without
any sound hardware).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

try:  # sounddevice raises OSError at import when libportaudio is missing
    import sounddevice as sd

    _IMPORT_ERROR: str | None = None
except OSError as exc:  # pragma: no cover - depends on the machine
    sd = None
    _IMPORT_ERROR = f"PortAudio library not found ({exc}); install libportaudio2"
except ImportError as exc:  # pragma: no cover - a bundle built without it
    sd = None
    _IMPORT_ERROR = f"the sounddevice module is missing ({exc})"


class DeviceError(Exception):
    """An audio device cannot be used; the message is the reason, for a person."""


@dataclass(frozen=True)
class DeviceInfo:
    name: str
    index: int
    hostapi: str
    max_channels: int  # input channels for an input device, output channels for an output one
    default_samplerate: float


def portaudio_error() -> str | None:
    """Why PortAudio is unavailable, or None when it loaded."""
    return _IMPORT_ERROR


def require_portaudio():
    """The sounddevice module, or DeviceError saying why audio is unavailable."""
    if sd is None:
        raise DeviceError(f"audio system unavailable: {_IMPORT_ERROR}")
    return sd


def rescan() -> None:
    """Re-enumerate devices (PortAudio lists them once, at initialisation).

    Closes every open stream of this process: call it only with all sources stopped.
    """
    if sd is None:
        return
    sd._terminate()
    sd._initialize()


def _list(kind: str) -> list[DeviceInfo]:
    if sd is None:
        return []
    key = f"max_{kind}_channels"
    try:
        devices = sd.query_devices()
        hostapis = sd.query_hostapis()
    except Exception:  # PortAudio not initialised or broken: behave as "no devices"
        return []
    out = []
    for d in devices:
        if d[key] > 0:
            api = hostapis[d["hostapi"]]["name"] if d["hostapi"] < len(hostapis) else "?"
            out.append(DeviceInfo(d["name"], d["index"], api, int(d[key]), float(d["default_samplerate"])))
    return out


def list_input_devices() -> list[DeviceInfo]:
    return _list("input")


def list_output_devices() -> list[DeviceInfo]:
    return _list("output")


# ALSA appends "(hw:card,device)", whose numbers follow plug-in order: ignore it when matching.
_HW_SUFFIX = re.compile(r"\s*\((hw|plughw):\d+,\d+\)\s*$")


def _find(devices: list[DeviceInfo], name: str) -> DeviceInfo | None:
    for key in (lambda s: s, lambda s: s.casefold(), lambda s: _HW_SUFFIX.sub("", s).casefold()):
        wanted = key(name)
        for d in devices:
            if key(d.name) == wanted:
                return d
    return None


def find_input_device(name: str) -> DeviceInfo | None:
    return _find(list_input_devices(), name)


def find_output_device(name: str) -> DeviceInfo | None:
    return _find(list_output_devices(), name)


def _default(kind: str, devices: list[DeviceInfo]) -> DeviceInfo | None:
    if not devices:
        return None
    try:  # honours sd.default.device, else PortAudio's default
        index = sd.query_devices(kind=kind)["index"]
    except Exception:
        index = -1
    # PortAudio may name no default while devices exist: the first one is a fine fallback.
    return next((d for d in devices if d.index == index), devices[0])


def default_input_device() -> DeviceInfo | None:
    return _default("input", list_input_devices())


def default_output_device() -> DeviceInfo | None:
    return _default("output", list_output_devices())
