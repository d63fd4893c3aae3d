"""What the inspector does to its recording besides drawing it: human labels and the class
mapping, per-class thresholds and event settings, error navigation, and every export.

A mixin of InspectorWindow; what it uses of the window is declared in ``InspectorParts``. Every
reader runs to completion before anything changes, so a bad file is one message and no change;
every writer goes through yamview.core.files (temporary file, then rename); the exports
are the rows of yamview.core.export.FORMATS.
"""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QFileDialog, QInputDialog, QWidget

from yamview.core import export, files, labels_io
from yamview.core.labels_io import Label
from yamview.core import metrics as metrics_mod
from yamview.gui.chrome import encode_png, png_bytes
from yamview.gui.inspector.parts import InspectorParts

LABEL_FILTER = "Label tracks (*.txt *.tsv *.csv);;All files (*)"


class InspectorActions(InspectorParts):
    # == labels =====================================================================================
    def import_labels_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Import human labels", self.settings.get("inspector/folder"),
                                              LABEL_FILTER)
        if path:
            self.import_labels(path, interactive=True)

    def import_labels(self, path: str, fmt: str | None = None, column: str | None = None,
                      interactive: bool = False) -> bool:
        """Read, map and draw a label track; any problem is one message and changes nothing."""
        s = self.session
        if s is None:
            self.show_message("Open a recording first, then import its labels.", "warning")
            return False
        column = column or self.raven_column
        try:
            fmt = fmt or labels_io.detect_format(path)
            if fmt == "raven" and interactive:
                column = self._raven_column_for(path, column)
                if column is None:
                    return False
            labels = labels_io.read_labels(path, fmt, column)
            classes = labels_io.map_labels(labels, s.classes, self.mapping, source=path, strict=False)
        except labels_io.LabelError as exc:
            self.show_message(f"Labels not imported: {exc}. Nothing was changed.", "error")
            return False
        if fmt == "raven":
            self.raven_column = column
        self.added_labels = []
        s.set_labels(labels, classes, Path(path).name)
        self.input_files["the labels file"] = path
        self.clear_message()
        warnings = labels_io.outside_warnings(labels, s.duration, Path(path).name)
        if warnings:
            self.show_message("Labels imported, but " + " ".join(warnings), "warning")
        self.scope_combo.setCurrentIndex(self.scope_combo.findData("labelled"))  # their errors first
        self.remember_labels(path)
        self._after_labels_changed()
        self.status_label.setText(f"{len(labels)} labels from {Path(path).name}"
                                  + (f" (mapping {self.mapping_source})" if self.mapping else ""))
        return True

    def _raven_column_for(self, path: str, wanted: str) -> str | None:
        try:
            header = [h.strip() for h in labels_io.first_line(path).split("\t")]
        except labels_io.LabelError:
            return wanted  # the reader says what is wrong with the file
        if wanted in header:
            return wanted
        choices = [h for h in header if h not in (labels_io.RAVEN_BEGIN, labels_io.RAVEN_END)]
        if not choices:
            return wanted
        item, ok = QInputDialog.getItem(self, "Raven label column", f"{Path(path).name} has no '{wanted}' column. "
                                        "Which column holds the label text?", choices, 0, False)
        return item if ok else None

    def _ask_raven_column(self) -> None:
        text, ok = QInputDialog.getText(self, "Raven label column",
                                        "Column of a Raven selection table that holds the label text:",
                                        text=self.raven_column)
        if ok and text.strip():
            self.raven_column = text.strip()

    def load_mapping_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Load a label → class mapping",
                                              self.settings.get("inspector/folder"), "CSV (*.csv);;All files (*)")
        if path:
            self.load_mapping(path)

    def load_mapping(self, path: str) -> bool:
        s = self.session
        if s is None:
            self.show_message("Open a recording first, then load a class mapping.", "warning")
            return False
        try:
            mapping = labels_io.read_mapping(path, s.classes)
            classes = labels_io.map_labels(s.labels, s.classes, mapping, source=s.label_source,
                                           strict=False) if s.labels else None
        except labels_io.LabelError as exc:
            self.show_message(f"Mapping not loaded: {exc}. Nothing was changed.", "error")
            return False
        self.mapping, self.mapping_source = mapping, Path(path).name
        self.input_files["the mapping file"] = path
        if classes is not None:
            s.set_labels(s.labels, classes, s.label_source)
            self._after_labels_changed()
        self.remember_labels(None)
        self.clear_message()
        self.status_label.setText(f"Mapping {Path(path).name}: {len(mapping)} labels")
        return True

    # -- per recording: the labels and mapping last used come back when it is reopened -----------
    MAX_REMEMBERED = 200

    def _recordings(self) -> dict:
        try:
            data = json.loads(self.settings.get("inspector/recordings"))
            return data if isinstance(data, dict) else {}
        except ValueError:
            return {}

    def remember_labels(self, path: str | None) -> None:
        """Store this recording's label file and (current, possibly edited) mapping."""
        if self.path is None or self.session is None:
            return
        data = self._recordings()
        key = str(Path(self.path).resolve())
        entry = data.pop(key, {})
        if path is not None:
            entry.update(labels=str(Path(path).resolve()), column=self.raven_column)
        entry["mapping"] = labels_io.mapping_names(self.mapping or {}, self.session.classes)
        entry["added"] = [[l.start, l.end, l.text] for l in self.added_labels]
        data[key] = entry  # most recent last; the oldest are dropped
        self.settings.set("inspector/recordings", json.dumps(dict(list(data.items())[-self.MAX_REMEMBERED:])))

    def forget_labels(self) -> None:
        if self.path is not None:
            data = self._recordings()
            if data.pop(str(Path(self.path).resolve()), None) is not None:
                self.settings.set("inspector/recordings", json.dumps(data))

    def restore_labels(self) -> bool:
        """Reload the labels and mapping last used with this recording, if any."""
        entry = self._recordings().get(str(Path(self.path).resolve())) if self.path else None
        if not entry or self.session is None:
            return False
        try:
            self.mapping = labels_io.mapping_from_names(entry.get("mapping", {}), self.session.classes) or None
        except (labels_io.LabelError, AttributeError, StopIteration, TypeError):
            self.mapping = None
        self.mapping_source = "remembered" if self.mapping else ""
        labels = entry.get("labels")
        if not labels:
            return False
        if not Path(labels).is_file():
            self.show_message(f"The labels last used with this recording ({labels}) are gone.", "warning")
            return False
        if entry.get("column"):
            self.raven_column = entry["column"]
        if not self.import_labels(labels):
            return False
        added = [Label(float(a), float(b), str(t)) for a, b, t in entry.get("added", [])]
        if added:
            s = self.session
            classes = labels_io.map_labels(added, s.classes, self.mapping, strict=False)
            s.set_labels(s.labels + added, list(s.label_classes) + classes, s.label_source)
            self.added_labels = added
            self._after_labels_changed()
        return True

    def clear_labels(self) -> None:
        self.forget_labels()
        self.input_files.pop("the labels file", None)
        self.added_labels = []
        if self.session is not None:
            self.session.clear_labels()
            self.metrics_panel.show_metrics(None)
            self.mapping_panel.show_labels([], [], self.session.classes)
            self._refresh_slow()

    # == thresholds and events ========================================================================
    def _on_threshold(self, value: float) -> None:
        self.settings.set("inspector/threshold", value)
        if self.session is not None:
            self.session.set_default_threshold(value)
            self._refresh_slow()

    def _on_class_threshold(self, cls: int, value) -> None:
        if self.session is not None:
            self.session.set_threshold(cls, value)
            self._refresh_slow()

    def _reset_thresholds(self) -> None:
        if self.session is not None:
            self.session.clear_thresholds()
            self._refresh_slow()

    def load_thresholds(self, path: str | None = None) -> bool:
        s = self.session
        if s is None:
            return False
        if path is None:
            path, _ = QFileDialog.getOpenFileName(self, "Load per-class thresholds",
                                                  self.settings.get("inspector/folder"), "CSV (*.csv);;All files (*)")
            if not path:
                return False
        try:
            values = metrics_mod.load_thresholds(path, s.classes, default=s.default_threshold)
        except metrics_mod.ThresholdError as exc:
            self.show_message(f"Thresholds not loaded: {exc}. Nothing was changed.", "error")
            return False
        s.set_thresholds(values)
        self._refresh_slow()
        self.status_label.setText(f"{len(s.overrides)} per-class thresholds from {Path(path).name}")
        return True

    def save_thresholds(self, path: str | None = None) -> bool:
        s = self.session
        if s is None:
            return False
        path = path or self._save_path("Save per-class thresholds", "thresholds.csv", "CSV (*.csv)")
        if not path:
            return False
        return self._write(path, lambda p: metrics_mod.save_thresholds(p, s.thresholds(), s.classes))

    def _apply_event_params(self) -> None:
        p = self.events_panel
        if self.session is not None:
            self.session.set_event_params(p.smoothing.value(), p.min_duration.value(), p.merge_gap.value())

    def _on_event_params(self) -> None:
        self._apply_event_params()
        self._refresh_slow()

    # == errors =====================================================================================
    def region_scope(self) -> list[int] | None:
        """The classes N / P consider: the error scope, or only the class selected in the
        metrics table when Navigate ▸ "only the selected class" is on."""
        if self.only_selected_action.isChecked():
            cls = self.metrics_panel.selected_class()
            if cls is not None:
                return [cls]
        return self.error_scope()

    def goto_error(self, step: int):
        """Move the cursor to the next (step 1) or previous (-1) error region: a run of frames
        with the same error kind for one class. Returns the Region, or None."""
        s = self.session
        if s is None or s.n == 0:
            return None
        if not s.has_labels:
            self.show_message("Import human labels first: errors are frames where the model and the labels "
                              "disagree.", "info")
            return None
        regions = s.regions(self.region_scope())
        here = self.current_region
        if here in regions and self.cursor_frame == here.first:
            k = regions.index(here) + step  # regions starting on the same frame are stepped one by one
            target = regions[k] if 0 <= k < len(regions) else None
        else:
            i = s.frame_at(self.cursor_time)
            if step > 0 and self.cursor_time < s.frame_centre(0) - 1e-9:
                i = -1
            if step < 0 and self.cursor_time > s.frame_centre(s.n - 1) + 1e-9:
                i = s.n
            target = metrics_mod.next_region(regions, i, step)
        if target is None:
            self.status_label.setText("No more errors " + ("after" if step > 0 else "before") + " the cursor")
            return None
        self.goto_region(target)
        return target

    def goto_region(self, r: metrics_mod.Region) -> None:
        s = self.session
        self.current_region = r
        self.set_cursor(s.frame_centre(r.first), reveal=True)
        a, b = self.region_span(r)
        self.set_selection(a, b)
        kind = "miss" if r.kind == metrics_mod.MISS else "false alarm"
        self.status_label.setText(f"{kind}: {s.classes[r.class_index]}, frames {r.first}–{r.last} "
                                  f"({a:.2f}–{b:.2f} s, {r.frames} frame{'s' * (r.frames > 1)})")
        self.regions_panel.mark(r)

    def region_span(self, r: metrics_mod.Region) -> tuple[float, float]:
        """Seconds from the region's first frame's cell to its last's (as events span them)."""
        from yamview.core.framing import frame_cells

        s = self.session
        lo, hi = frame_cells(s.starts(), s.window_seconds, s.duration)
        return float(lo[r.first]), float(hi[r.last])

    # == exports ======================================================================================
    def _save_path(self, title: str, name: str, filt: str) -> str | None:
        base = Path(self.path).stem if self.path else "yamview"
        folder = self.settings.get("inspector/folder") or str(Path.home())
        path, _ = QFileDialog.getSaveFileName(self, title, str(Path(folder) / f"{base}.{name}"), filt)
        return path or None

    @property
    def input_files(self) -> dict[str, str]:
        """What this window read (recording, labels, mapping): never overwritten by an export."""
        if not hasattr(self, "_input_files"):
            self._input_files: dict[str, str] = {}
        return self._input_files

    def _write(self, path: str, write) -> bool:
        # An hour's scores as CSV or JSON take ~0.6 s: say so with the cursor.
        inputs = [("the recording", self.path)] if self.path else []
        inputs += list(self.input_files.items())
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            files.check_outputs([("the export", path)], inputs)
            write(path)
        except OSError as exc:
            self.show_message(f"Cannot write {path}: {exc.strerror or exc}. Nothing was written.", "error")
            return False
        finally:
            QApplication.restoreOverrideCursor()
        self.status_label.setText(f"Wrote {path}")
        return True

    def _complete(self):
        s = self.session
        if s is None or s.analysis is None:
            self.show_message("Exports need a complete analysis.", "warning")
            return None
        return s

    def export(self, key: str, path: str | None = None, shown_only: bool = False) -> bool:
        """Write the export format ``key`` (a row of ``export.FORMATS``), asking for a path if none."""
        fmt = export.export_format(key)
        s = self._complete()
        if s is None:
            return False
        m = s.metrics() if fmt.needs_labels else None
        if fmt.needs_labels and m is None:
            self.show_message("Import human labels first: metrics compare the model with them.", "warning")
            return False
        path = path or self._save_path(f"Export {fmt.what}", fmt.suffix, fmt.file_filter)
        if not path:
            return False
        classes = sorted(set(self.shown_classes()) | set(self.curve_classes())) if shown_only else None
        settings = export.event_settings(s.classes, s.thresholds(), s.default_threshold, s.smoothing,
                                         s.min_duration, s.merge_gap, self.mapping if s.labels else None)
        data = export.Exportable(s.analysis, s.labels or None, s.events(), m, classes, settings,
                                 s.scientific_names)
        return self._write(path, lambda p: fmt.write(p, data))

    def png_header_text(self) -> str:
        """What the PNG's header says: recording, threshold, model, and the outcome legend."""
        s = self.session
        name = Path(self.path).name if self.path else ""
        parts = [name]
        if s is not None:
            own = f" ({len(s.overrides)} classes with their own)" if s.overrides else ""
            parts.append(f"threshold {s.default_threshold:.2f}{own}")
            if self.info is not None:
                parts.append(f"{self.info.model_name} ({self.info.kernels}), hop {s.hop_seconds:.4g} s")
            if s.has_labels:
                parts.append(f"labels {s.label_source}")
        return "  ·  ".join(p for p in parts if p) + "      ■ hit   ■ miss   ■ false alarm"

    def export_png(self, path: str | None = None, widget: QWidget | None = None) -> bool:
        """The views (not the hover read-out) under a header naming the recording, the threshold
        and the hit / miss / false-alarm colours, so the picture explains itself."""
        path = path or self._save_path("Save a picture of the views", "png", "PNG (*.png)")
        if not path:
            return False
        data = png_bytes(widget) if widget is not None else self._views_png()
        return self._write(path, lambda p: files.write_bytes(p, data))


    def _views_png(self) -> bytes:
        from PySide6.QtCore import QRect
        from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPixmap

        from yamview.gui import palette
        from yamview.gui.inspector.lanes import FALSE_ALARM_COLOUR, HIT_COLOUR, MISS_COLOUR

        views = self.stack.grab()
        font = QFont()
        font.setPointSize(11)
        line = QFontMetrics(font).height() + 12
        out = QPixmap(views.width(), views.height() + line)
        out.fill(QColor(palette.BACKGROUND))
        p = QPainter(out)
        p.drawPixmap(0, line, views)
        p.setFont(font)
        p.setPen(QColor(palette.FOREGROUND))
        text = self.png_header_text().rsplit("      ", 1)[0]
        p.drawText(QRect(8, 0, views.width() - 16, line), int(Qt.AlignmentFlag.AlignVCenter), text)
        metrics = QFontMetrics(font)
        x = views.width() - 8 - metrics.horizontalAdvance("■ hit   ■ miss   ■ false alarm") - 30
        for colour, word in ((HIT_COLOUR, "hit"), (MISS_COLOUR, "miss"), (FALSE_ALARM_COLOUR, "false alarm")):
            p.fillRect(x, line // 2 - 6, 12, 12, QColor(colour))
            p.setPen(QColor(palette.FOREGROUND))
            p.drawText(x + 16, 0, 200, line, int(Qt.AlignmentFlag.AlignVCenter), word)
            x += 16 + metrics.horizontalAdvance(word) + 18
        p.end()
        return encode_png(out)
