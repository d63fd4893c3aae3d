"""The model's-eye view: the 96x64 log-mel patch YAMNet scored for the frame under the cursor.

The patch is the model's own ``log_mel_spectrogram`` tensor, read out of the interpreter after
scoring that one frame again (``Model(extras=True)``), with the samples decoded exactly as the
whole-file pass decoded them. Computed on demand, off the GUI thread, newest request wins.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from yamview.gui import palette
from yamview.core.overview import frame_samples

LOG_MEL_LEVELS = (-6.0, 2.5)  # YAMNet's log(mel + 0.001): silence is -6.9
# YAMNet's mel filterbank (its params.py: mel_min_hz, mel_max_hz, HTK mel scale); the model file
# states the band count (the tensor's shape) but not the edges, so they are named here.
YAMNET_MEL_BANDS, YAMNET_MEL_HZ = 64, (125.0, 7500.0)
HZ_TICKS = (125, 250, 500, 1000, 2000, 4000, 7500)


def _mel(hz: float) -> float:
    return 1127.0 * np.log1p(hz / 700.0)


def band_position(hz: float, bands: int = YAMNET_MEL_BANDS, edges: tuple[float, float] = YAMNET_MEL_HZ) -> float:
    """Where ``hz`` lies on the patch's band axis (0 = bottom of the lowest band)."""
    lo, hi = _mel(edges[0]), _mel(edges[1])
    return bands * (_mel(hz) - lo) / (hi - lo)


def hz_ticks(bands: int = YAMNET_MEL_BANDS) -> list[tuple[float, str]]:
    return [(band_position(f, bands), f"{f / 1000:g}k" if f >= 1000 else f"{f:g}") for f in HZ_TICKS]


@dataclass
class Patch:
    frame: int
    start: float
    end: float
    log_mel: np.ndarray | None  # [patch frames, mel bands]
    scores: np.ndarray


class PatchComputer:
    """Lives on the background thread: owns the extras interpreter (not thread-safe)."""

    def __init__(self) -> None:
        self._model = None
        self._key = None

    def __call__(self, path: str, model, frame: int, hop: int, *, stale) -> Patch | None:
        key = (str(model.path), model.kernels.value)
        if self._model is None or self._key != key:
            self._model, self._key = model.reconfigured(extras=True, threads=1), key
        samples = frame_samples(path, model.sample_rate, frame * hop, model.window)
        if stale():
            return None
        out = self._model.classify_frame(samples)
        start = frame * hop / model.sample_rate
        return Patch(frame, start, start + model.window / model.sample_rate, out.log_mel, out.scores)


class PatchView(QWidget):
    def __init__(self, top_n: int = 5) -> None:
        super().__init__()
        self.top_n = top_n
        self.patch: Patch | None = None
        self.classes: list[str] = []
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(4)
        self.title = QLabel("Model's-eye view")
        self.title.setStyleSheet(f"color:{palette.FOREGROUND}; font-weight:600; font-size:13px;")
        layout.addWidget(self.title)
        self.plot_widget = pg.PlotWidget(background=palette.BACKGROUND)
        p = self.plot_widget.getPlotItem()
        p.setMenuEnabled(False)
        p.setMouseEnabled(x=False, y=False)
        p.hideButtons()
        for name in ("left", "bottom"):
            axis = p.getAxis(name)
            axis.setPen(palette.FOREGROUND)
            axis.setTextPen(palette.FOREGROUND)
        p.setLabel("bottom", "patch frame (10 ms)", color=palette.FOREGROUND)
        p.setLabel("left", "Hz (mel bands)", color=palette.FOREGROUND)
        p.getAxis("left").setTicks([hz_ticks()])
        self.image = pg.ImageItem(axisOrder="row-major")
        cmap = pg.colormap.get("magma")
        self.image.setColorMap(cmap)
        p.addItem(self.image)
        # What a colour means: log(mel energy + 0.001), on fixed levels so frames compare.
        self.colour_bar = pg.ColorBarItem(values=LOG_MEL_LEVELS, colorMap=cmap, interactive=False, width=12,
                                          label="log mel")
        self.colour_bar.setImageItem(self.image, insert_in=p)
        for axis in ("right", "left"):
            if self.colour_bar.getAxis(axis) is not None:
                self.colour_bar.getAxis(axis).setTextPen(palette.FOREGROUND)
        p.setXRange(0, 96, padding=0)
        p.setYRange(0, 64, padding=0)
        self.plot = p
        self.plot_widget.setMinimumHeight(170)
        self.plot_widget.setToolTip("The exact log-mel patch (96 frames x 64 mel bands) the model scored for "
                                    "the frame under the cursor: its own log_mel_spectrogram tensor")
        layout.addWidget(self.plot_widget, 1)
        self.top = QLabel("")
        self.top.setTextFormat(Qt.TextFormat.RichText)
        self.top.setStyleSheet(f"color:{palette.FOREGROUND}; font-size:12px;")
        layout.addWidget(self.top)

    def set_classes(self, classes: list[str]) -> None:
        self.classes = list(classes)

    def show_patch(self, patch: Patch) -> None:
        self.patch = patch
        self.title.setText(f"Model's-eye view · frame {patch.frame} · {patch.start:.3f}–{patch.end:.3f} s")
        if patch.log_mel is not None:
            img = np.ascontiguousarray(patch.log_mel.T, np.float32)  # rows: mel bands, low at the bottom
            self.image.setImage(img, levels=LOG_MEL_LEVELS, autoLevels=False)
            self.image.setRect(0, 0, img.shape[1], img.shape[0])
            self.plot.setXRange(0, img.shape[1], padding=0)
            self.plot.setYRange(0, img.shape[0], padding=0)
            self.plot.getAxis("left").setTicks([hz_ticks(img.shape[0])] if img.shape[0] == YAMNET_MEL_BANDS
                                               else None)
            self.plot.setLabel("left", "Hz (mel bands)" if img.shape[0] == YAMNET_MEL_BANDS else "mel band",
                               color=palette.FOREGROUND)
        else:  # only YAMNet-style models expose their log-mel input tensor
            self.image.clear()
            self.title.setText(self.title.text() + " · this model exposes no log-mel input")
        self.top.setText(self._top_html(patch.scores))

    def _top_html(self, scores: np.ndarray) -> str:
        order = np.argsort(-scores, kind="stable")[: self.top_n]
        rows = []
        for i in order:
            name = self.classes[i] if i < len(self.classes) else f"class {i}"
            pct = max(1, int(round(float(scores[i]) * 100)))
            colour = palette.class_colour(int(i)).name()
            rows.append(
                f"<tr><td style='padding-right:8px'>{_esc(name)}</td>"
                f"<td style='padding-right:6px' align='right'>{scores[i]:.3f}</td>"
                f"<td width='120'><table cellspacing='0' cellpadding='0' width='{pct}%'><tr>"
                f"<td bgcolor='{colour}' height='9'></td></tr></table></td></tr>")
        return "<table cellspacing='0' cellpadding='1'>" + "".join(rows) + "</table>"

    def clear(self, message: str = "Model's-eye view") -> None:
        self.patch = None
        self.title.setText(message)
        self.image.clear()
        self.top.setText("")


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
