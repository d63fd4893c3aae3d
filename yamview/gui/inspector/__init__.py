"""The inspector: one recording on one shared time axis, against human labels (issue 4).

    window.py            InspectorWindow: layout, menus, toolbar, class views, wiring
    parts.py             what the window's mixins share, declared (InspectorParts)
    loading.py           opening a recording: the analysis job, progress, done / failed / cancelled
    refresh.py           class views, metrics, events, error regions (whole-matrix work, throttled)
    navigation.py        cursor, hover, selection, zoom (detail spectrogram), playback
    actions.py           labels and mapping, thresholds, error navigation, exports
    job.py               AnalysisJob (thread: cache or analysis + overview), Background jobs
    session.py           scores, labels, thresholds -> metrics, outcomes, events (no Qt)
    timeline.py          waveform, spectrogram, class heat map, score curves
    lanes.py             label, event and error lanes
    patch_view.py        the model's-eye view (the log-mel patch of the cursor's frame)
    metrics_table.py     per-class P/R/F1 with the threshold slider
    thresholds_table.py  per-class thresholds
    panels.py            class picking (top K, search, pins) and event settings
    player.py            playback with selection and loop
"""

from yamview.gui.inspector.window import InspectorWindow

__all__ = ["InspectorWindow"]
