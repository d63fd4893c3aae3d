"""The transport's source picker: input devices by name, the last file, the file dialog.

A mixin of Transport (GUI thread only: the combo box, the ↻ button and menu actions call it).
It uses the transport's ``combo``, ``settings``, ``host``, ``source``, ``running``,
``set_source``, ``open_file``, ``start`` and ``_cancel_reconnect``.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QFileDialog

from yamview.gui.chrome import AUDIO_FILTER
from yamview.sources import devices

# How a choice in the picker is remembered: "<kind>:<device name or file path>".
MIC, FILE = "mic", "file"


class SourcePicker:
    def refresh_devices(self, rescan: bool = False) -> None:
        """List input devices. ``rescan`` asks PortAudio again (new hardware), which closes every
        open stream: only when nothing is streaming, and not while a dead device's stream is
        still being released (that can block until the device is back: never on this thread)."""
        if rescan and (self.source is None or not self.source.running):
            if not devices.rescan(timeout=0):
                self.host.show_message("An audio device is still being released; refresh again in a moment.",
                                       "warning")
        current = self.combo.currentData()
        self.combo.clear()
        inputs = devices.list_input_devices()
        for d in inputs:
            self.combo.addItem(f"Microphone: {d.name}", f"{MIC}:{d.name}")
        file = self.settings.get("source/file")
        if self.source is not None and self.source.path is not None:
            file = str(self.source.path)
        if file:
            self.combo.addItem(f"File: {Path(file).name}", f"{FILE}:{file}")
        if not inputs:
            self.combo.insertItem(0, "No input device found", None)
        wanted = current
        if not wanted:
            kind = self.settings.get("source/kind")
            wanted = f"{FILE}:{file}" if kind == "file" and file else f"{MIC}:{self.settings.get('source/device')}"
        index = self.combo.findData(wanted)
        if index < 0 and wanted.startswith(f"{MIC}:"):
            default = devices.default_input_device()
            index = self.combo.findData(f"{MIC}:{default.name}") if default else -1
        self.combo.setCurrentIndex(max(index, 0))
        if inputs and self.host.message().startswith("No input device"):
            self.host.clear_message()  # ↻ found one: the old warning no longer holds
        if not inputs and self.source is None and not self.combo.currentData():
            problem = devices.portaudio_error()
            detail = f" ({problem})" if problem else ""
            self.host.show_message(f"No input device found{detail}. Open an audio file to see what YAMNet hears.",
                                   "warning", "Open file…", self.open_file_dialog)

    def _on_chosen(self, index: int) -> None:
        data = self.combo.itemData(index)
        if not data:
            return
        self._cancel_reconnect()  # the user chose: no automatic switch back
        kind, value = data.split(":", 1)
        was_running = self.running
        if kind == FILE:
            self.open_file(value)
            return
        self.set_source(None)
        self.settings.set("source/kind", "microphone")
        self.settings.set("source/device", value)
        if was_running:
            self.start()

    def open_file_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.parent_widget, "Open an audio file", self._last_folder(),
                                              AUDIO_FILTER)
        if path:
            self.open_file(path)

    def _last_folder(self) -> str:
        last = self.settings.get("source/file")
        return str(Path(last).parent) if last else str(Path.home())
