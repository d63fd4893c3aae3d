"""The inspector's tools beyond labels and exports: find more like this, the mapping editor and
A/B compare with a second model. A mixin of InspectorWindow, like InspectorActions."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QFileDialog

from yamview.core import labels_io, similarity
from yamview.core.framing import frame_cells
from yamview.core.labels_io import Label

log = logging.getLogger(__name__)
AUDIO_SUFFIXES = {".wav", ".flac", ".ogg", ".oga", ".mp3", ".aiff", ".aif", ".au", ".caf", ".w64", ".opus"}
MAX_FOLDER_FILES = 200


def analyse_folder(folder: str, model, hop_seconds, use_cache: bool, *, stale) -> list:
    """Analyses (with embeddings) of the audio files in ``folder``, through the cache; a file that
    cannot be read is skipped (logged). Runs on a background thread with its own interpreter."""
    from yamview.core.audio import AudioError, AudioFile
    from yamview.core.cache import CachedAnalysis

    found = []
    paths = sorted(p for p in Path(folder).iterdir() if p.suffix.lower() in AUDIO_SUFFIXES)[:MAX_FOLDER_FILES]
    for path in paths:
        if stale():
            return []
        try:
            job = CachedAnalysis(AudioFile(path), model, hop_seconds, use_cache, name=str(path), embeddings=True,
                                 jobs=1)
            analysis = job.cached or job.run().result()
            if job.cached is None:
                job.store(analysis)
            found.append(analysis)
        except (AudioError, OSError, ValueError) as exc:
            log.warning("find more like this: skipping %s (%s)", path, exc)
    return found


class InspectorTools:
    # == find more like this =========================================================================
    def _query_frames(self):
        s = self.session
        sel = self.selection()
        if sel is not None:
            frames = similarity.frames_in(s.centres(), *sel)
            return frames, f"{sel[0]:.2f}–{sel[1]:.2f} s"
        i = s.frame_at(self.cursor_time)
        return np.array([i]), f"frame {i} ({s.frame_centre(i):.2f} s)"

    def find_similar(self, scope: str = "this", limit: int = 50, folder: str | None = None) -> bool:
        s = self.session
        a = s.analysis if s is not None else None
        if a is None or a.embeddings is None:
            self.show_message("Find more like this needs a complete analysis with embeddings (YAMNet).", "info")
            return False
        frames, what = self._query_frames()
        self._similar_query = (similarity.query_vector(a.embeddings, frames), frames, what, limit)
        sources = [a]
        if scope in ("session", "folder"):
            sources += [x for p, x in self.analysed.items() if p != self.path]
        if scope == "folder":
            folder = folder or QFileDialog.getExistingDirectory(self, "Search a folder of recordings",
                                                                self.settings.get("inspector/folder"))
            if not folder:
                return False
            model = self.model.reconfigured(threads=1)  # interpreters are not shared between threads
            self.similar_panel.status.setText(f"Analysing the recordings in {folder}…")
            self.folder_jobs.submit(("folder", sources), analyse_folder, folder, model,
                                    s.framing.hop_seconds, self.use_cache)
            return True
        self._show_similar(sources)
        return True

    def _on_folder(self, tag, analyses) -> None:
        _, sources = tag
        known = {x.name for x in sources}
        self._show_similar(sources + [x for x in analyses if x.name not in known])

    def _show_similar(self, sources) -> None:
        q, frames, what, limit = self._similar_query
        matches = similarity.rank(q, sources, limit=limit, exclude=(0, frames))
        self.similar_sources = sources
        self.similar_panel.show_matches(matches, [x.name for x in sources], what)

    def _match_span(self, m) -> tuple[float, float]:
        a = self.similar_sources[m.source]
        lo, hi = frame_cells(a.starts, a.framing.window_seconds, a.duration)
        return float(lo[m.frame]), float(hi[m.frame])

    def goto_match(self, m) -> None:
        if m.source == 0:
            self.set_cursor(m.centre, reveal=True)
            self.set_selection(*self._match_span(m))
            return
        path = self.similar_sources[m.source].name
        if self.open_file(path):  # another recording: open it there
            self.cursor_time = m.centre

    def play_match(self, m) -> None:
        if m.source != 0:
            self.goto_match(m)
            return
        a = self.similar_sources[0]
        self.play_from(float(a.starts[m.frame]), float(a.starts[m.frame]) + a.framing.window_seconds)

    def add_matches_as_labels(self, matches, class_name: str) -> int:
        """Label the hits of this recording with ``class_name``; returns how many were added."""
        s = self.session
        cls = s.find_class(class_name) if s is not None else None
        if cls is None:
            self.show_message(f"'{class_name}' is not a model class: pick one from the list.", "warning")
            return 0
        mine = [m for m in matches if m.source == 0]
        if not mine:
            self.show_message("Only hits in this recording can become its labels.", "info")
            return 0
        added = [Label(*self._match_span(m), s.classes[cls]) for m in mine]
        self.added_labels += added
        labels = s.labels + added
        classes = list(s.label_classes) + [(cls,)] * len(added)
        s.set_labels(labels, classes, s.label_source or "added here")
        self.remember_labels(None)
        self._after_labels_changed()
        self.status_label.setText(f"{len(added)} label{'s' * (len(added) > 1)} '{s.classes[cls]}' added")
        return len(added)

    # == the mapping editor =========================================================================
    def apply_mapping(self, key: str, targets) -> None:
        """Map label text ``key`` to ``targets`` (class indices, a list or AnyOf) and re-score."""
        s = self.session
        if s is None:
            return
        mapping = dict(self.mapping or {})
        if targets:
            mapping[key.lower()] = targets
        else:
            mapping.pop(key.lower(), None)
        self.mapping = mapping or None
        self.mapping_source = "edited here"
        s.set_labels(s.labels, labels_io.map_labels(s.labels, s.classes, self.mapping, strict=False), s.label_source)
        self.remember_labels(None)
        # Not now: the editor's own widget is still in the signal that brought us here.
        QTimer.singleShot(0, self._after_labels_changed)

    def _after_labels_changed(self) -> None:
        s = self.session
        if s is None:
            return
        self._refresh_slow()
        self.mapping_panel.show_labels(s.labels, s.label_classes, s.classes, self._suggest)
        unmapped = sum(1 for c in s.label_classes if not c)
        if unmapped:
            self.show_message(f"{unmapped} labels match no model class: map them in the Mapping tab "
                              "(they count nowhere until then).", "warning")

    def _suggest(self, text: str) -> list[int]:
        if not self._ontology:
            return []
        key = tuple(self.session.classes)
        if getattr(self, "_class_ontology_key", None) != key:
            self._class_ontology = self._ontology.for_classes(list(key))
            self._class_ontology_key = key
        return self._class_ontology.suggest(text)


def analyse_with(path: str, model_b, hop_seconds, use_cache: bool, *, stale):
    """Model B's analysis of the recording (through the cache), on a background thread."""
    from yamview.core.audio import AudioFile
    from yamview.core.cache import CachedAnalysis

    job = CachedAnalysis(AudioFile(path), model_b, hop_seconds, use_cache, name=path, jobs=1)
    if job.cached is not None:
        return job.cached
    analysis = job.run().result()
    job.store(analysis)
    return analysis


class InspectorCompare:
    """A/B: a second model (or this one at another hop) on this recording (a mixin of InspectorWindow)."""

    def compare_with(self, how: str = "model", model_path: str | None = None) -> bool:
        from yamview.core.model import Model, ModelError

        s = self.session
        if s is None or s.analysis is None or self.model is None:
            self.show_message("Compare needs a complete analysis: open a recording and let it finish.", "info")
            return False
        try:
            hop_b = self.compare_panel.hop.value() or s.framing.hop_seconds
            if how == "hop" and hop_b == s.framing.hop_seconds:
                self.show_message("Set B's hop to another value than A's to compare the two framings.", "info")
                return False
            if how == "kernels":
                other = "reference" if self.model.kernels.value == "fast" else "fast"
                model_b = self.model.reconfigured(kernels=other, threads=1)
            elif how == "hop":
                model_b = self.model.reconfigured(threads=1)
            else:
                if model_path is None:
                    model_path, _ = QFileDialog.getOpenFileName(self, "Model B", "", "TFLite models (*.tflite)")
                    if not model_path:
                        return False
                model_b = Model(model_path, kernels=self.model.kernels, threads=1)
        except ModelError as exc:
            self.show_message(f"Cannot compare: {exc}", "error")
            return False
        self.compare_panel.summary.setText(f"Analysing with B = {model_b.name} ({model_b.kernels.value})…")
        self.compare_jobs.submit(self.path, analyse_with, self.path, model_b, hop_b, self.use_cache)
        return True

    def _on_compared(self, path, other) -> None:
        from yamview.core.compare import CompareError, compare

        s = self.session
        if path != self.path or s is None or s.analysis is None:
            return
        try:
            truth = s.truth() if s.has_labels else None
            self.comparison = compare(s.analysis, other, truth, s.thresholds(), s.any_of() if truth is not None
                                      else None)
        except CompareError as exc:
            self.show_message(f"Cannot compare: {exc}", "error")
            return
        self.compare_panel.show_comparison(self.comparison)
        self.disagreement_lane.update(s, self.comparison)
        self.disagreement_lane.widget.setVisible(True)
