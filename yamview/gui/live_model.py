"""The live window's model: loading it off the GUI thread, showing what it is, and failing well.

A mixin of MainWindow (like the inspector's parts). It uses these of the window: ``settings``,
``controls``, ``views``, ``talk``, ``bars``, ``timeline``, ``view_titles``, ``busy``,
``status_label``, ``transport``, ``model_details``, ``source``, ``running``, ``start_button``,
the signals ``request_model`` / ``request_hop``, ``show_message`` / ``clear_message`` and
``_idle_hint``; it owns ``model_info`` and ``_pending_model``.

The worker's signals must reach these methods through slots of MainWindow itself: PySide6 queues
a signal from another thread to the GUI thread only for a QObject's own slots, and a mixin's
method would run on the worker's thread (it did: a crash in the first refactor's test run).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QFileDialog

from yamview.gui.controls import OPEN_MODEL_ITEM
from yamview.gui.teach import marked
from yamview.gui.worker import ModelInfo


class LiveModel:
    def _load_model(self, path: str) -> None:
        self._pending_model = path
        self.busy.setVisible(True)
        self.status_label.setText("Loading model…")
        self.request_model.emit(path, self.controls.kernels.currentData(), self.controls.threads.value(),
                                self.controls.calibrate.isChecked())

    def _reload_model(self) -> None:
        if self.model_info is not None:
            self._load_model(self._pending_model or "")

    def _on_model_chosen(self, data: str) -> None:
        if data == OPEN_MODEL_ITEM:
            path, _ = QFileDialog.getOpenFileName(self, "Open a TFLite audio classifier", "",
                                                  "TFLite models (*.tflite);;All files (*)")
            if not path:
                self._restore_model_choice()
                return
            data = path
        self._load_model(data)

    def _restore_model_choice(self) -> None:
        if self.model_info is not None:
            self.controls.show_model(self.settings.get("model/path"), Path(self.model_info.path).name)

    def model_loaded(self, info: ModelInfo) -> None:
        old = self.model_info
        self.model_info = info
        self.busy.setVisible(False)
        self.settings.set("model/path", self._pending_model or "")
        self.controls.show_model(self._pending_model or "", Path(info.path).name)
        self.controls.set_window_seconds(info.window / info.sample_rate)
        shown = marked(info.classes, info.user_classes)  # the user's trained classes marked ✎
        for view in self.views:
            view.set_classes(shown)
        self.talk.set_classes(shown)
        self.bars.set_class_details(info.scientific_names)
        self.talk.set_class_details(info.scientific_names)
        self._show_calibration(info)
        self.timeline.set_hop(self.controls.hop_seconds())
        self.request_hop.emit(self.controls.hop_seconds())
        self.start_button.setEnabled(True)
        self.bars.set_placeholder(self._idle_hint() if not self.running else "Listening…")
        self._update_status()
        self.model_details.loaded(info)
        if info.warnings:
            self.show_message("Model: " + "; ".join(info.warnings), "warning")
        elif old is not None and old.path != info.path:
            self.clear_message()
        if old is not None and old.sample_rate != info.sample_rate:
            self.transport.rebuild()  # the ring runs at the model's rate

    def set_calibrated(self, on: bool) -> None:
        """Switch the model's score calibration on or off (reloads it; remembered)."""
        self.controls.calibrate.setChecked(bool(on))

    def _show_calibration(self, info: ModelInfo) -> None:
        """The "calibrated" marker on the bars' title, the switch, and per-class thresholds."""
        self.controls.show_calibration(info.calibration)
        self.bars.set_class_thresholds(info.thresholds)
        self.talk.set_calibration(info.calibration, info.thresholds)
        title = self.view_titles.get("bars")
        if title is not None:
            note = {"on": " · calibrated", "off": " · raw (calibration off)"}.get(info.calibration, "")
            per_class = " · per-class thresholds" if info.thresholds is not None else ""
            title.setText(f"Top classes{note}{per_class}")
            title.setToolTip("Scores calibrated per class by the model's metadata; untick "
                             "Calibration on the right to compare with raw scores"
                             if info.calibration else "")

    def model_progress(self, text: str) -> None:
        if self.model_info is None or self.busy.isVisible():  # only while a load is pending
            self.status_label.setText(text)

    def model_failed(self, message: str) -> None:
        self.busy.setVisible(False)
        if self.model_info is None:
            self.bars.set_placeholder("No model")
            self.status_label.setText("No model loaded")
            self.show_message(message + " — choose another model in the panel on the right.", "error")
        else:
            self.show_message(f"{message}. Still using {Path(self.model_info.path).name}.", "error")
            self._pending_model = self.settings.get("model/path")
            self._restore_model_choice()
            self._update_status()  # not "Loading model…" forever: the old model is the one in use

    def worker_failed(self, message: str) -> None:
        self.show_message(f"{message}. yamview keeps running; details are in the log.", "error")

    def _update_status(self) -> None:
        if self.model_info is None:
            return
        i = self.model_info
        src = ""
        if self.source is not None:
            src = f" · {self.source.name}"
        calibrated = {"on": " · calibrated", "off": " · calibration off"}.get(i.calibration, "")
        self.status_label.setText(
            f"{i.name}{calibrated} · {i.window / i.sample_rate:.3f} s window · hop {self.controls.hop_seconds():.3g} s · "
            f"{i.kernels} kernels · {i.threads} thread{'s' if i.threads > 1 else ''}{src}"
        )
