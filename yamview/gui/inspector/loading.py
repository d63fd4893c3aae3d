"""Opening a recording in the inspector: the analysis job, pulled progress, done / failed /
cancelled, and a new overlap (which analyses again).

A mixin of InspectorWindow; what it uses of the window is declared in ``InspectorParts``.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

from PySide6.QtWidgets import QFileDialog

from yamview.core import cache, labels_io
from yamview.core.audio import AudioError, AudioFile
from yamview.gui.chrome import AUDIO_FILTER, open_failed
from yamview.gui.inspector.job import AnalysisJob, JobInfo
from yamview.gui.inspector.parts import InspectorParts
from yamview.gui.inspector.session import Session
from yamview.gui.inspector.timeline import format_time

log = logging.getLogger(__name__)

SLOW_EVERY_S = 1.0  # metrics, outcomes and events while the analysis runs


class InspectorLoading(InspectorParts):
    _keep_labels: tuple | None
    _pending_labels: tuple[str, str | None] | None
    _last_slow: float
    _ticks: int
    _open_t0: float
    _detail_key: tuple | None

    def open_file_dialog(self) -> None:
        folder = self.settings.get("inspector/folder") or str(Path.home())
        path, _ = QFileDialog.getOpenFileName(self, "Inspect a recording", folder, AUDIO_FILTER)
        if path:
            self.open_file(path)

    def open_file(self, path: str, hop_seconds: float | None = None, labels: str | None = None,
                  mapping: str | None = None) -> bool:
        """Analyse ``path`` (or take it from the cache); a file that cannot be read changes nothing.

        ``labels`` (and a ``mapping`` CSV) are imported once the recording is ready; without them
        the labels and mapping last used with this recording come back."""
        try:
            audio = AudioFile(path)
        except AudioError as exc:
            self.show_message(open_failed(path, exc), "error")
            return False
        except Exception as exc:
            log.exception("opening %s", path)
            self.show_message(open_failed(path, exc), "error")
            return False
        same = self.path is not None and Path(self.path).resolve() == Path(path).resolve()
        self._keep_labels = (self.session.labels, self.session.label_source) if same and self.session and \
            self.session.has_labels else None
        self._cancel_job()
        if hop_seconds is not None:
            self.hop_seconds = hop_seconds
        self.path = str(path)
        self._pending_labels = (labels, mapping) if labels else None
        self.current_region = None
        self.added_labels = []
        self.settings.set("inspector/folder", str(Path(path).parent))
        self.player.set_file(self.path)
        self.session, self.info, self.cursor_frame = None, None, None
        for v in self.views:
            v.clear()
        self.disagreement_lane.widget.setVisible(False)  # a comparison belongs to one recording
        self.comparison = None
        self.patch_view.clear()
        self._detail_key = None
        self.detail = None
        self._set_loaded(False)
        self.setWindowTitle(f"yamview inspector — {Path(path).name}")
        self.clear_message()
        self.first_pixels_s = self.analysis_s = None
        self._open_t0 = time.perf_counter()
        self.job = AnalysisJob(self.path, self.model_spec, self.hop_seconds, self.model, self.use_cache)
        self.job.ready.connect(self._on_ready)
        self.job.finished.connect(self._on_finished)
        self.job.failed.connect(self._on_failed)
        self.job.cancelled.connect(self._on_cancelled)
        self.job.start()
        self.progress.setValue(0)
        self.progress.setVisible(True)
        self.cancel_button.setVisible(True)
        self.cancel_button.setEnabled(True)
        self.status_label.setText(f"Opening {audio.describe()}…")
        self._last_slow = 0.0
        self._tick_timer.start()
        return True

    def _cancel_job(self) -> None:
        job, self.job = self.job, None
        self._tick_timer.stop()
        if job is not None:
            for sig in (job.ready, job.finished, job.failed, job.cancelled):
                try:
                    sig.disconnect()
                except (RuntimeError, TypeError):
                    pass
            job.cancel()
            if not job.wait(5.0):  # still scoring a frame: its model must not be shared
                log.warning("analysis of %s did not stop within 5 s", job.path)
                self.model = None

    def cancel_analysis(self) -> None:
        if self.job is not None and self.job.running:
            self.job.cancel()
            self.cancel_button.setEnabled(False)
            self.status_label.setText("Cancelling…")

    @property
    def analysing(self) -> bool:
        return self.job is not None and self.job.running

    def _on_ready(self, job: AnalysisJob, info: JobInfo) -> None:
        if job is not self.job:
            return
        self.info = info
        self.model = self.job.model
        self.session = Session(info.classes, info.framing, info.duration, info.path)
        self.session.user_classes = info.user_classes  # marked in the heat map's rows
        self.session.scientific_names = info.scientific_names
        self.session.set_default_threshold(self.metrics_panel.threshold)
        self.session.set_related(self._relatives(info.classes))
        self._apply_event_params()
        self.classes_panel.set_classes(info.classes)
        self.similar_panel.set_classes(info.classes)
        self.patch_view.set_classes(info.classes)
        self.player.set_file(info.path, info.framing.rate)
        self.spectrogram.set_scale(self.scale_combo.currentText(), info.framing.rate)
        self._select_overlap(info.framing)
        end = info.duration
        for v in self.views:
            v.vb.setLimits(xMin=-0.02 * end, xMax=end * 1.02 + 0.1, minXRange=0.05)
        self.zoom_fit()
        self._last_slow = time.perf_counter()
        if self._keep_labels is not None:
            labels, source = self._keep_labels
            try:
                classes = labels_io.map_labels(labels, info.classes, self.mapping, source=source, strict=False)
                self.session.set_labels(labels, classes, source)
            except labels_io.LabelError as exc:
                self.show_message(f"{exc}. Labels were cleared.", "warning")
        elif self._pending_labels is not None:
            labels, mapping = self._pending_labels
            if not mapping or self.load_mapping(mapping):
                self.import_labels(labels)
        else:
            self.restore_labels()
        self._keep_labels = self._pending_labels = None
        self._show_calibration(info)
        where = "from the cache" if info.from_cache else f"analysing with {info.model_name}"
        where += {"on": " · calibrated", "off": " · calibration off"}.get(info.calibration, "")
        self.status_label.setText(f"{Path(info.path).name} · {format_time(info.duration, 1)} · "
                                  f"hop {info.framing.hop_seconds:.4g} s · {where}…")

    def _tick(self) -> None:
        job, s = self.job, self.session
        if job is None or s is None:
            return
        # One share of the work per tick, so one pass never repaints every view (a GUI stall is
        # what one pass computes and paints): audio views and class views on alternate ticks;
        # once a second the whole-matrix work (metrics, lanes) takes an audio tick's place.
        self._ticks += 1
        now = time.perf_counter()
        if self._ticks % 2 == 0:
            if job.scores is not None and job.n_frames > s.n:
                s.update_scores(job.scores, job.n_frames)
            self._refresh_classes()
        elif now - self._last_slow >= SLOW_EVERY_S or not job.running:
            self._last_slow = now
            self._refresh_slow()
        elif job.overview is not None:
            self.waveform.update(job.overview)
            self.spectrogram.update(job.overview)
        self.progress.setValue(int(1000 * job.progress()))
        if self.first_pixels_s is None and (s.n > 0 or (job.overview is not None and job.overview.cols_done)):
            self.first_pixels_s = now - self._open_t0
        if self.cursor_frame is None and s.n > 0 and self._ticks % 2:
            self.set_cursor(self.cursor_time)

    def _on_finished(self, job: AnalysisJob, analysis) -> None:
        if job is not self.job or self.session is None:
            return
        self._tick_timer.stop()
        s = self.session
        s.finish(analysis)
        if analysis.embeddings is not None:
            self.analysed[str(Path(self.path).resolve())] = analysis
        self.job.scores = None  # the session holds the result; the job's buffer can go
        self.analysis_s = time.perf_counter() - self._open_t0
        self._draw_all()
        if self.first_pixels_s is None:  # from the cache: everything at once
            self.first_pixels_s = self.analysis_s
        self.progress.setVisible(False)
        self.cancel_button.setVisible(False)
        self._set_loaded(True)
        how = "from the cache" if self.info.from_cache else f"analysed in {self.analysis_s:.1f} s"
        how += {"on": " · calibrated scores", "off": " · calibration off (raw)"}.get(self.info.calibration, "")
        warn = f" · {len(analysis.warnings)} warning(s)" if analysis.warnings else ""
        self.status_label.setText(f"{Path(self.path).name} · {format_time(s.duration, 1)} · {s.n} frames, hop "
                                  f"{s.hop_seconds:.4g} s · {self.info.model_name} ({self.info.kernels}) · {how}{warn}")
        if analysis.warnings:
            self.show_message("Input: " + "; ".join(analysis.warnings), "warning")
        self.show_cache_usage()
        self.set_cursor(self.cursor_time)
        self._schedule_detail()

    def show_cache_usage(self) -> None:
        if not self.use_cache:
            self.cache_label.setText("")
            return
        u = cache.usage()
        self.cache_label.setText(f"Cache {u.bytes / 2**20:.0f} of {u.limit / 2**20:.0f} MB")
        self.cache_label.setToolTip(u.describe()[0].upper() + u.describe()[1:] + ".")

    def _draw_all(self) -> None:
        job, s = self.job, self.session
        if job is None or s is None:
            return
        if job.scores is not None and job.n_frames > s.n:
            s.update_scores(job.scores, job.n_frames)
        if job.overview is not None:
            self.waveform.update(job.overview)
            self.spectrogram.update(job.overview)
        self._refresh_classes()
        self._refresh_slow()

    def _on_failed(self, job: AnalysisJob, message: str) -> None:
        if job is not self.job:
            return
        self._tick_timer.stop()
        self.progress.setVisible(False)
        self.cancel_button.setVisible(False)
        self.show_message(message, "error")
        self.status_label.setText("Analysis failed")

    def _on_cancelled(self, job: AnalysisJob) -> None:
        if job is not self.job:
            return
        self._tick_timer.stop()
        self._draw_all()  # every view shows the frames scored before the cancel
        self.progress.setVisible(False)
        self.cancel_button.setVisible(False)
        n = self.session.n if self.session else 0
        self.status_label.setText(f"Analysis cancelled after {n} frames; nothing was cached. "
                                  "Open the file again to restart.")
        self.show_message("Analysis cancelled: the views show the frames scored so far; exports need a "
                          "complete analysis.", "info")

    def _select_overlap(self, framing) -> None:
        overlap = 1 - framing.hop / framing.window
        best = min(range(self.overlap_combo.count()), key=lambda i: abs(self.overlap_combo.itemData(i) - overlap))
        self.overlap_combo.setCurrentIndex(best)

    def _on_overlap(self, index: int) -> None:
        if self.info is None or self.path is None:
            return
        fr = self.info.framing
        hop = round(fr.window * (1 - self.overlap_combo.itemData(index))) / fr.rate
        if abs(hop - fr.hop_seconds) < 1e-9:
            return
        self.settings.set("inspector/hop_seconds", hop)
        self.open_file(self.path, hop_seconds=hop)
