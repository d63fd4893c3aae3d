"""Audio devices, found by name.

Indexes are PortAudio's enumeration order and change when hardware is plugged in, so settings
remember a device's name and look it up again here. Everything returns an empty list / None when
there is no device or no PortAudio library at all: the app must still open (files work without
any sound hardware).
"""

from __future__ import annotations

import re
import threading
import weakref
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


# PortAudio is one per process. Closing a stream in one thread while another terminates
# PortAudio deadlocks inside the library (seen: a source releasing a dead device while the
# device list was re-read), and a stream that Pa_Terminate freed must never be closed again.
# So streams are opened and closed here, under one lock that rescan() holds as well.
_lock = threading.RLock()
_streams: weakref.WeakSet = weakref.WeakSet()  # open streams, closed by rescan() if still open


def open_stream(kind: str, **kwargs):
    """A new sounddevice ``InputStream`` (kind "input") or ``OutputStream`` (kind "output")."""
    sd = require_portaudio()
    with _lock:
        stream = (sd.InputStream if kind == "input" else sd.OutputStream)(**kwargs)
        _streams.add(stream)
        return stream


def close_stream(stream, drain: bool = False) -> None:
    """Stop (``drain``: after playing what is buffered; else at once) and close ``stream``.

    Idempotent and never raises: the device may be gone already. Blocks while another thread
    opens or closes a stream or re-initialises PortAudio, and while a frozen device holds the
    stream (it returns when the device wakes).
    """
    with _lock:
        _streams.discard(stream)
        if stream.closed:
            return
        try:
            stream.stop() if drain else stream.abort()
        except Exception:  # noqa: BLE001 - a dead device's stream may fail any way; close it anyway
            pass
        try:
            stream.close()
        except Exception:  # noqa: BLE001 - best effort: the stream is being discarded
            pass


def rescan(timeout: float | None = None) -> bool:
    """Re-enumerate devices (PortAudio lists them once, at initialisation).

    Closes every stream still open in this process first (their sources then report that their
    stream ended), and waits up to ``timeout`` (None: for as long as it takes) while a stream
    is being opened or closed. False when that wait timed out and nothing was done.
    """
    if sd is None:
        return True
    if not _lock.acquire(timeout=-1 if timeout is None else max(0.0, timeout)):
        return False
    try:
        for stream in list(_streams):
            close_stream(stream)
        sd._terminate()
        sd._initialize()
        return True
    finally:
        _lock.release()


# How long a device listing waits while a stream is being opened or closed (a frozen sound
# server can hold that for as long as it is frozen): then the last listing is given instead.
LIST_WAIT = 0.25
_last_listing: dict[str, list[DeviceInfo]] = {}


def _list(kind: str) -> list[DeviceInfo]:
    if sd is None:
        return []
    key = f"max_{kind}_channels"
    if not _lock.acquire(timeout=LIST_WAIT):  # not half-way through a rescan() or an open
        return list(_last_listing.get(kind, []))
    try:
        devices = sd.query_devices()
        hostapis = sd.query_hostapis()
    except Exception:  # noqa: BLE001 - PortAudio not initialised or broken: behave as "no devices"
        return []
    finally:
        _lock.release()
    out = []
    for d in devices:
        if d[key] > 0:
            api = hostapis[d["hostapi"]]["name"] if d["hostapi"] < len(hostapis) else "?"
            out.append(DeviceInfo(d["name"], d["index"], api, int(d[key]), float(d["default_samplerate"])))
    _last_listing[kind] = out
    return list(out)


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
    except Exception:  # noqa: BLE001 - no default device is an answer, not an error
        index = -1
    # PortAudio may name no default while devices exist: the first one is a fine fallback.
    return next((d for d in devices if d.index == index), devices[0])


def default_input_device() -> DeviceInfo | None:
    return _default("input", list_input_devices())


def default_output_device() -> DeviceInfo | None:
    return _default("output", list_output_devices())
