"""Microphone: a sounddevice InputStream at the device's own rate, fed into the LiveSource pump."""

from __future__ import annotations

from typing import Any

from yamview.sources import devices
from yamview.sources.base import LiveSource
from yamview.sources.devices import DeviceError, DeviceInfo

MAX_CHANNELS = 2  # more would only be averaged away by the downmix


class Microphone(LiveSource):
    """Records ``device_name`` (None: the default input device) into ``ring`` at ``rate``.

    The stream runs at the device's native rate and channel count, because asking a device for
    16 kHz makes ALSA/PortAudio resample with a worse filter than soxr, or fails outright.
    """

    def __init__(self, device_name: str | None, rate: int, ring_seconds: float = 60.0, *,
                 block_seconds: float = 0.010, **kwargs) -> None:
        super().__init__(rate, ring_seconds, **kwargs)
        self.device_name = device_name
        self.block_seconds = float(block_seconds)
        self.device: DeviceInfo | None = None
        self._stream: Any = None  # a sounddevice.InputStream while open
        self._closing = False
        self.name = f"microphone {device_name or '(default)'}"

    @property
    def _device_label(self) -> str:
        return self.device.name if self.device is not None else str(self.device_name or "(default)")

    def _find(self) -> DeviceInfo:
        devices.require_portaudio()
        available = devices.list_input_devices()
        if not available:
            raise DeviceError("no input device found (is a microphone connected?)")
        if self.device_name is None:
            return devices.default_input_device() or available[0]
        device = devices.find_input_device(self.device_name)
        if device is None:
            names = ", ".join(repr(d.name) for d in available)
            raise DeviceError(f"input device {self.device_name!r} not found (unplugged?); available: {names}")
        return device

    def _prepare(self) -> tuple[int, int]:
        device = self._find()
        rate = int(round(device.default_samplerate))
        channels = max(1, min(MAX_CHANNELS, device.max_channels))
        try:
            self._stream = devices.open_stream(
                "input", device=device.index, samplerate=rate, channels=channels, dtype="float32",
                blocksize=max(1, int(round(rate * self.block_seconds))), latency="low",
                callback=self._callback, finished_callback=self._finished,
            )
        except Exception as exc:  # noqa: BLE001 - PortAudioError, or ValueError for a device that just vanished
            raise DeviceError(f"cannot open input device {device.name!r}: {exc}") from None
        self.device = device
        self._closing = False
        return rate, channels

    def _begin(self) -> None:
        try:
            self._stream.start()
        except Exception as exc:  # noqa: BLE001 - PortAudio's errors become one DeviceError
            raise DeviceError(f"cannot start input device {self._device_label!r}: {exc}") from None

    def _end(self) -> None:
        stream, self._stream = self._stream, None
        if stream is None:
            return
        self._closing = True  # tells _finished this stop was asked for
        devices.close_stream(stream)  # abort, not drain: a capture stream's buffers are not needed

    # Runs in PortAudio's thread: copy and count only (see base.py).
    def _callback(self, indata, frames, time_info, status) -> None:
        if status.input_overflow:
            self._overflows += 1
        self._capture(indata)

    # PortAudio calls this when the stream stops for any reason, e.g. the device was unplugged
    # or the sound server died (measured: PulseAudio killed -> called within ~2 ms).
    def _finished(self) -> None:
        if not self._closing:
            self._fail(f"input device {self._device_label!r} stopped: the stream ended unexpectedly (unplugged?)")
