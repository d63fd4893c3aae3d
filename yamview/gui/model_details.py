"""The live window's handling of what a model file does not say, and of writing it down.

- A bare model that cannot load without a sample rate: ask (ModelSettingsDialog), remember the
  answer per model sha256, load again; cancelling keeps the previous model.
- A model that loads with numbered classes: ask once for a class-name file.
- File ▸ Model details… edits the current model's answers; File ▸ Save model with metadata…
  writes a copy with TFLite metadata (``yamview export-model`` in the window), off the GUI thread.
"""

from __future__ import annotations

import threading
from pathlib import Path
from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtWidgets import QFileDialog

from yamview.core.tflite.model_settings import ModelSettings
from yamview.gui.chrome import action
from yamview.gui.model_settings_dialog import ModelSettingsDialog

class ModelDetails(QObject):
    _saved = Signal(str, str)  # message, kind: from the export thread to the GUI thread

    def __init__(self, window) -> None:  # the live MainWindow (not imported: it imports us)
        super().__init__(window)
        self.window = window
        self.settings = window.settings
        self.dialog: ModelSettingsDialog | None = None  # the last one shown (tests reach it)
        self._saved.connect(self._on_saved)

    def add_actions(self, menu) -> None:
        self.details_action = action(self.window, menu, "Model &details…", self.edit_current)
        self.save_action = action(self.window, menu, "&Save model with metadata…",
                                  lambda: self.save_with_metadata())

    def book(self) -> dict:
        return self.settings.model_settings_book()

    # -- asking ------------------------------------------------------------------------------
    @Slot(str, str, str)
    def ask_missing(self, path: str, sha256: str, message: str) -> None:
        """The worker could not load ``path`` without a sample rate."""
        self._ask(path, sha256, "It does not state its sample rate.",
                  on_cancel=lambda: self.window._on_model_failed(message))

    def loaded(self, info) -> None:  # a worker.ModelInfo
        if info.numbered and self.settings.model_settings(info.sha256) is None:
            self._ask(info.path, info.sha256, "It has no class names: choose a file with one name "
                      "per line (or keep the classes numbered).")

    def edit_current(self) -> None:
        info = self.window.model_info
        if info is None:
            return
        self._ask(info.path, info.sha256, "Change what yamview assumes about it.")

    def _ask(self, path: str, sha256: str, reason: str, on_cancel=None) -> None:
        dialog = self.dialog = ModelSettingsDialog(path, reason, self.settings.model_settings(sha256), self.window)

        def done(result: int) -> None:
            if result == ModelSettingsDialog.DialogCode.Accepted:
                self.settings.set_model_settings(sha256, dialog.settings())
                self.window.request_model_settings.emit(self.book())
                self.window._load_model(path)
            elif on_cancel is not None:
                on_cancel()
            elif self.settings.model_settings(sha256) is None:  # asked once: don't nag again
                self.settings.set_model_settings(sha256, ModelSettings())

        dialog.finished.connect(done)
        dialog.open()  # window-modal, not a nested event loop: the GUI keeps running

    # -- writing metadata --------------------------------------------------------------------
    def save_with_metadata(self, target: str | None = None) -> None:
        info = self.window.model_info
        if info is None:
            return
        if target is None:
            suggestion = str(Path(info.path).with_name(Path(info.path).stem + "_metadata.tflite"))
            target, _ = QFileDialog.getSaveFileName(self.window, "Save model with metadata", suggestion,
                                                    "TFLite models (*.tflite)")
            if not target:
                return
        if Path(target).resolve() == Path(info.path).resolve():
            self.window.show_message("The copy would overwrite the model itself: choose another name.", "error")
            return
        settings = self.settings.model_settings(info.sha256)
        self.window.show_message(f"Writing {Path(target).name}…", "info")
        threading.Thread(target=self._write, args=(info.path, settings, target), daemon=True,
                         name="model-metadata").start()

    def _write(self, path: str, settings: ModelSettings | None, target: str) -> None:
        from yamview.core.files import write_bytes
        from yamview.core.model import Model, ModelError
        from yamview.core.model_export import with_metadata

        try:
            model = Model(path, settings=settings)
            write_bytes(target, with_metadata(model))
        except ModelError as exc:
            self._saved.emit(str(exc), "error")
        except OSError as exc:
            self._saved.emit(f"Cannot write {target}: {exc.strerror or exc}", "error")
        else:
            self._saved.emit(f"Saved {Path(target).name}: {model.sample_rate} Hz, {model.n_classes} "
                             "classes with names; MediaPipe and the TFLite Android example load it.", "info")

    @Slot(str, str)
    def _on_saved(self, message: str, kind: str) -> None:
        self.window.show_message(message, kind)
