"""Redrawing what depends on scores, labels and thresholds: the class views (heat map, curves),
and the whole-matrix work (metrics, outcomes, events, error regions), at most once a second while
the analysis runs.

A mixin of InspectorWindow; what it uses of the window is declared in ``InspectorParts``.
"""

from __future__ import annotations

from yamview.gui.inspector.parts import InspectorParts


class InspectorRefresh(InspectorParts):
    def shown_classes(self) -> list[int]:
        s = self.session
        if s is None:
            return []
        top = s.ranked(self.classes_panel.k, self.classes_panel.by)
        pinned = [c for c in self.classes_panel.pinned() if c not in top]
        return top + pinned

    def curve_classes(self) -> list[int]:
        chosen = self.classes_panel.curve_classes()
        if chosen:
            return chosen
        return self.session.ranked(3, self.classes_panel.by) if self.session else []

    def _refresh_classes(self) -> None:
        s = self.session
        if s is None:
            return
        self.heatmap.update(s, self.shown_classes(), set(self.classes_panel.pinned()))
        self.curves.update(s, self.curve_classes())

    def _on_classes_changed(self) -> None:
        self.settings.set("inspector/top_k", self.classes_panel.k)
        self.settings.set("inspector/rank_by", self.classes_panel.by)
        self._refresh_classes()
        self._refresh_thresholds_table()

    def _pin_and_show(self, cls: int) -> None:
        self.classes_panel.pin(cls)

    def error_scope(self) -> list[int] | None:
        if self.scope_combo.currentData() == "labelled" and self.session is not None:
            return self.session.labelled_classes()
        return None

    def _refresh_slow(self) -> None:
        """Metrics, outcomes, events: whole-matrix work, at most once a second while analysing."""
        s = self.session
        if s is None:
            return
        self.label_lane.update(s)
        self.error_lane.update(s, self.error_scope())
        found = s.cached_events()
        if found is None:
            version, compute = s.events_job()
            self.event_jobs.submit(s, compute)  # tagged with the session: results of another are dropped
        else:
            self._show_events(found)
        self.metrics_panel.show_metrics(s.metrics(), len(s.labels), s.label_source)
        self._refresh_regions()
        self.curves.set_threshold(s.default_threshold)
        self._refresh_thresholds_table()

    def _on_metric_selected(self, *_) -> None:
        if self.only_selected_action.isChecked():
            self._refresh_regions()

    def _refresh_regions(self) -> None:
        s = self.session
        if s is None or not s.has_labels:
            self.regions_panel.show_regions([], [], [], "no labels")
            return
        from yamview.core.framing import frame_cells

        regions = s.regions(self.region_scope())
        lo, hi = frame_cells(s.starts(), s.window_seconds, s.duration)
        spans = [(float(lo[r.first]), float(hi[r.last])) for r in regions]
        scope = self.scope_combo.currentText()
        only = self.region_scope()
        if only is not None and len(only) == 1 and self.only_selected_action.isChecked():
            scope = s.classes[only[0]]
        self.regions_panel.show_regions(regions, s.classes, spans, scope)

    def show_event(self, event) -> None:
        """Put the cursor on the frame that started ``event`` (its score is over the threshold)."""
        s = self.session
        if s is None:
            return
        frame = event.first if event.first >= 0 else s.frame_at(event.start)
        self.set_cursor(s.frame_centre(frame), reveal=True)

    def _relatives(self, classes: list[str]) -> object:
        """The ontology's ancestor/descendant relation over ``classes`` (None without it)."""
        from yamview.core import metrics
        from yamview.core.ontology import load_default

        if self._ontology is None:
            self._ontology = load_default() or False
        if not self._ontology:
            return None
        return metrics.relatives(self._ontology.for_classes(classes), len(classes))

    def _on_events(self, session, result) -> None:
        version, found = result
        if session is self.session and session.store_events(version, found):
            self._show_events(found)

    def _show_events(self, found) -> None:
        self.event_lane.update(self.session, found)
        if not self.analysing:
            self.events_panel.show_events(found)

    def events_current(self) -> bool:
        """True once the event lane and list show the events of today's thresholds and scores."""
        return self.session is not None and self.session.cached_events() is not None

    def _refresh_thresholds_table(self) -> None:
        s = self.session
        if s is None:
            return
        rows = set(s.overrides) | set(s.labelled_classes()) | set(self.shown_classes())
        m = s.metrics()
        if m is not None:
            rows |= set(m.order()[:40])
        order = sorted(rows, key=lambda c: s.classes[c].lower())
        self.thresholds_panel.set_rows(order, s.classes, s.thresholds(), set(s.overrides))
