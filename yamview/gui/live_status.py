"""The live window's status bar: model loading, the status line, lost audio, the level meter."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QMainWindow, QProgressBar

from yamview.gui import palette


def build_status_bar(w: QMainWindow, placed) -> None:
    """Fill ``w``'s status bar; sets ``w.busy``, ``w.status_label`` and ``w.losses_label``.
    ``placed`` are the registered live views: those placed in "status" go at its right end."""
    status = w.statusBar()
    w.busy = QProgressBar()
    w.busy.setRange(0, 0)  # indeterminate: model loading
    w.busy.setMaximumWidth(120)
    w.status_label = QLabel("Loading model…")
    status.addWidget(w.busy)
    status.addWidget(w.status_label, 1)
    # Audio the pipeline lost (capture blocks dropped while processing stalled): never silent.
    w.losses_label = QLabel("")
    w.losses_label.setStyleSheet(f"color:{palette.WARNING}; font-weight:600;")
    w.losses_label.setToolTip("Capture blocks dropped since Start because audio processing fell "
                             "behind or stalled (a busy machine), or the device reported overruns")
    w.losses_label.setVisible(False)
    status.addWidget(w.losses_label)
    for p in placed:
        if p.place == "status":
            status.addPermanentWidget(QLabel(p.title))
            status.addPermanentWidget(p.view.widget)

