"""Live audio sources (no Qt): a microphone or a file played in real time, both delivering mono
samples at the model's rate into a RingBuffer through the same pipeline (see base.py)."""

from yamview.sources.base import Level, LiveSource
from yamview.sources.devices import (
    DeviceError,
    DeviceInfo,
    default_input_device,
    default_output_device,
    find_input_device,
    find_output_device,
    list_input_devices,
    list_output_devices,
)
from yamview.sources.microphone import Microphone
from yamview.sources.playback import FilePlayback

__all__ = [
    "DeviceError", "DeviceInfo", "FilePlayback", "Level", "LiveSource", "Microphone",
    "default_input_device", "default_output_device", "find_input_device", "find_output_device",
    "list_input_devices", "list_output_devices",
]
