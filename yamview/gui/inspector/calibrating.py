"""The inspector and score calibration: the Calibrate actions, the Calibrated switch, a calibrated
model's per-class thresholds, and inspecting with an exported calibrated model.

A mixin of InspectorWindow; what it uses of the window is declared in ``InspectorParts``. The
fit itself and the before/after view live in ``calibration_panel.CalibrationPanel``.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING

from yamview.gui import palette
from yamview.gui.inspector.parts import InspectorParts

if TYPE_CHECKING:
    from PySide6.QtWidgets import QCheckBox, QSplitter, QTabWidget

    from yamview.gui.inspector.calibration_panel import CalibrationPanel
    from yamview.gui.inspector.job import JobInfo


class InspectorCalibration(InspectorParts):
    calibration_panel: CalibrationPanel
    calibrated_box: QCheckBox
    tabs: QTabWidget
    splitter: QSplitter
    side: QSplitter
    _sizes_before_calibration: tuple[list[int], list[int]] | None = None

    def _on_tab(self, index: int) -> None:
        """The before/after table and plots need room: the Calibration tab widens the side panel
        (and the patch view gives up height); leaving it restores the layout the user had."""
        on = self.tabs.widget(index) is self.calibration_panel
        if on and self._sizes_before_calibration is None:
            self._sizes_before_calibration = (self.splitter.sizes(), self.side.sizes())
            total, height = sum(self.splitter.sizes()), sum(self.side.sizes())
            self.splitter.setSizes([total - int(total * 0.52), int(total * 0.52)])
            self.side.setSizes([int(height * 0.22), height - int(height * 0.22)])
        elif not on and self._sizes_before_calibration is not None:
            outer, side = self._sizes_before_calibration
            self._sizes_before_calibration = None
            self.splitter.setSizes(outer)
            self.side.setSizes(side)

    def _calibration_folder(self) -> str:
        return (self.settings.get("calibrate/folder") or self.settings.get("inspector/folder")
                or str(Path.home()))

    def calibrate_dialog(self) -> None:
        self.tabs.setCurrentWidget(self.calibration_panel)
        self.calibration_panel.choose_folder()

    def calibrate(self, paths: list[str]) -> None:
        """Calibrate on ``paths`` (folders, or recordings with labels beside them), in the tab."""
        first = Path(paths[0])
        self.settings.set("calibrate/folder", str(first.parent if first.is_file() else first))
        self.tabs.setCurrentWidget(self.calibration_panel)
        self.calibration_panel.calibrate(paths)

    def _show_calibration(self, info: JobInfo) -> None:
        """The switch follows the model; a calibrated model's per-class thresholds take over."""
        box = self.calibrated_box
        box.blockSignals(True)
        box.setChecked(info.calibration == "on")  # ticked only while scores are calibrated
        box.blockSignals(False)
        box.setEnabled(bool(info.calibration))
        box.setToolTip("Scores calibrated per class by the model's metadata; untick to analyse with "
                       "the raw scores" if info.calibration else
                       "The model has no score calibration in its metadata (Calibrate ▸ Calibrate on "
                       "labelled recordings makes one)")
        box.setStyleSheet(f"color:{palette.ACCENT}; font-weight:600;" if info.calibration == "on" else "")
        if info.thresholds is not None and self.session is not None:
            self.session.set_thresholds(info.thresholds)

    def _on_calibrated(self, on: bool) -> None:
        self.settings.set("model/calibrate", bool(on))
        self.model_spec = dataclasses.replace(self.model_spec, calibrate=bool(on))
        if self.path is not None:
            self.open_file(self.path)

    def use_model(self, path: str) -> None:
        """Inspect with the model at ``path`` from now on (e.g. a calibrated export)."""
        self.model_spec = dataclasses.replace(self.model_spec, path=path, calibrate=True)
        self.model = None
        if self.path is not None:
            self.open_file(self.path)
