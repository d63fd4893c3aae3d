"""Teach a new sound in the app: collect examples into a training set, train, export, use.

``TeachPanel`` (live window): a training-set folder, a class name, and a button held while the
sound plays (or the R key held): each take is cut from the source's ring and saved as a WAV in
that class's folder. ``TrainDialog``: embeds every example on a Python thread (progress bar),
shows the cross-validated figures and confusion matrix, and exports the two-head model, which the
window can load at once. ``add_range_to_training_set`` is the inspector's "Add to training set
as <class>". All the work is yamview.core.training; this module only drives it.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
)

from yamview.core import training
from yamview.core.training.dataset import class_folders
from yamview.core.training.head import import_sklearn

log = logging.getLogger(__name__)

# Classes the user trained are marked in the live views (bars, timeline, talk mode).
USER_MARK = "✎ "
FOLDER_KEY = "teach/folder"


def marked(classes, user_classes) -> list[str]:
    """Display names: a user's class gets the mark, YAMNet's stay as they are."""
    return [USER_MARK + name if name in user_classes else name for name in classes]


def class_counts(root: str | Path) -> dict[str, int]:
    """Audio files per class folder (what the panel shows; the full check runs on Train)."""
    root = Path(root)
    if not root.is_dir():
        return {}
    return {f.name: sum(1 for p in f.iterdir() if p.is_file() and not p.name.startswith("."))
            for f in class_folders(root)}


class TeachPanel(QGroupBox):
    """Record examples of a class into the training set; open the Train dialog."""

    train_requested = Signal()

    def __init__(self, window, parent=None) -> None:
        super().__init__("Teach a new sound", parent)
        self.window = window  # the live window: source, rate, model, messages
        self._start: int | None = None  # ring.total when the button went down
        self.setToolTip("Record examples of your own sound, train a head on YAMNet's embedding, "
                        "and see your classes beside YAMNet's")
        layout = QVBoxLayout(self)
        row = QHBoxLayout()
        self.folder_label = QLabel()
        self.folder_label.setWordWrap(True)
        choose = QPushButton("Folder…")
        choose.setToolTip("The training set: a folder with one subfolder of audio files per class")
        choose.clicked.connect(self.choose_folder)
        row.addWidget(self.folder_label, 1)
        row.addWidget(choose)
        layout.addLayout(row)
        row = QHBoxLayout()
        self.class_name = QLineEdit()
        self.class_name.setPlaceholderText("class name (e.g. doorbell, background), Enter")
        self.class_name.setToolTip("The class this take belongs to. Record a 'background' class "
                                   "too: everyday sounds of the place without your sound.")
        self.record_button = QPushButton("● Hold to record (R)")
        self.record_button.setToolTip("Hold while the sound plays (or hold R); each take is saved "
                                      "as a WAV in the class's folder")
        # Enter leaves the field, so holding R records instead of typing an r.
        self.class_name.returnPressed.connect(self.record_button.setFocus)
        self.record_button.pressed.connect(self.begin_take)
        self.record_button.released.connect(self.end_take)
        row.addWidget(self.class_name, 1)
        row.addWidget(self.record_button)
        layout.addLayout(row)
        self.counts_label = QLabel()
        self.counts_label.setWordWrap(True)
        layout.addWidget(self.counts_label)
        self.train_button = QPushButton("Train…")
        self.train_button.setToolTip("Train on every example of the training set, check it on "
                                     "recordings it was not trained on, export a .tflite")
        self.train_button.clicked.connect(self.train_requested.emit)
        layout.addWidget(self.train_button)
        self.refresh()

    # -- training set ----------------------------------------------------------------------------
    @property
    def folder(self) -> str:
        return self.window.settings.get(FOLDER_KEY)

    def set_folder(self, path: str) -> None:
        self.window.settings.set(FOLDER_KEY, str(path))
        self.refresh()

    def choose_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Training set folder (one subfolder per class)",
                                                self.folder or str(Path.home()))
        if path:
            self.set_folder(path)

    def refresh(self) -> None:
        folder = self.folder
        self.folder_label.setText(f"Training set: {folder}" if folder else "Training set: none chosen yet")
        counts = class_counts(folder) if folder else {}
        if counts:
            text = " · ".join(f"{name} {n}" for name, n in counts.items())
            if not any(n.casefold() in ("background", "none", "none of these", "other") for n in counts):
                text += "<br><i>Tip: add a <b>background</b> class (the place without your sounds).</i>"
        else:
            text = ("Type a class name, then hold the button while the sound plays. "
                    "Record a <b>background</b> class too (recommended).")
        self.counts_label.setText(text)
        self.train_button.setEnabled(len(counts) >= 2)

    # -- takes -------------------------------------------------------------------------------------
    @Slot()
    def begin_take(self) -> None:
        src = self.window.source
        if src is None or not src.running:
            self.window.show_message("Start the microphone (or a file) first: a take is cut from "
                                     "what is playing.", "warning")
            return
        self._start = src.ring.total

    @Slot()
    def end_take(self) -> Path | None:
        start, self._start = self._start, None
        src = self.window.source
        if start is None or src is None:
            return None
        end = src.ring.total
        n = min(end - start, src.ring.capacity)
        samples = np.array(src.ring.window(end, n), np.float32) if n > 0 else np.zeros(0, np.float32)
        return self.save_take(samples, src.rate)

    def save_take(self, samples: np.ndarray, rate: int, stem: str = "take") -> Path | None:
        """Save ``samples`` under the typed class; one message on any problem."""
        info = self.window.model_info
        if info is None:  # its window says how long a take must be, and its classes which names are taken
            self.window.show_message("Wait until the model has loaded, then record again.", "info")
            return None
        window_seconds = info.window / info.sample_rate
        reserved = [c for c in info.classes if c not in info.user_classes]
        return save_to_training_set(self.window, self.folder, self.class_name.text(), samples, rate,
                                    stem, window_seconds, reserved, after=self.refresh)

    def key_event(self, pressed: bool) -> None:
        """The window forwards R (auto-repeat filtered out) while the class field is not typing."""
        if pressed:
            self.record_button.setDown(True)
            self.begin_take()
        else:
            self.record_button.setDown(False)
            self.end_take()


def save_to_training_set(window, folder: str, class_name: str, samples: np.ndarray, rate: int,
                         stem: str, window_seconds: float, reserved, after=None) -> Path | None:
    """One path for the live window and the inspector: checks, writes, tells the user.
    ``reserved``: the base model's class names, which a user class may not take."""
    if not folder:
        window.show_message("Choose a training-set folder first (Teach a new sound → Folder…).", "warning")
        return None
    if not class_name.strip():
        window.show_message("Type the class name first (e.g. doorbell, or background).", "warning")
        return None
    try:
        path = training.save_example(folder, class_name, samples, rate, window_seconds,
                                     stem=stem, reserved=reserved)
    except training.DatasetError as exc:
        window.show_message(f"Example not saved: {exc}", "warning")
        return None
    except OSError as exc:
        window.show_message(f"Example not saved: cannot write in {folder}: {exc.strerror or exc}", "error")
        return None
    n = sum(1 for p in path.parent.iterdir() if p.is_file())
    window.show_message(f"Saved {len(samples) / rate:.1f} s as '{path.parent.name}' "
                        f"({n} example{'s' * (n != 1)}): {path.name}", "info")
    if after is not None:
        after()
    return path


class _Relay(QObject):
    """Carries the training thread's news to the dialog (queued onto the GUI thread)."""

    progress = Signal(int, int, str)
    finished = Signal(object)  # (TrainingSet, Evaluation, TrainedHead, Model) or an error text


class TrainDialog(QDialog):
    """Train on the training set, show how it does on held-out recordings, export."""

    model_exported = Signal(str)

    def __init__(self, folder: str, hop_seconds: float | None = None, parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Train your classes")
        self.folder, self.hop_seconds = folder, hop_seconds
        self.result = None
        self.error: str | None = None
        self._cancel = threading.Event()
        self._thread: threading.Thread | None = None
        layout = QVBoxLayout(self)
        self.status = QLabel(f"Training set: {folder}")
        self.status.setWordWrap(True)
        layout.addWidget(self.status)
        self.progress = QProgressBar()
        self.progress.setFormat("embedding %p %")
        layout.addWidget(self.progress)
        self.figures = QLabel()
        self.figures.setWordWrap(True)
        self.figures.setTextFormat(Qt.TextFormat.RichText)
        layout.addWidget(self.figures)
        self.confusion = QTableWidget()
        self.confusion.setToolTip("Recordings by true class (rows) and predicted class (columns), "
                                  "each predicted by a head trained without it")
        layout.addWidget(self.confusion, 1)
        self.report = QPlainTextEdit()
        self.report.setReadOnly(True)
        self.report.setFont(QFont("monospace"))
        self.report.setMaximumHeight(120)
        layout.addWidget(self.report)
        buttons = QDialogButtonBox()
        self.export_button = buttons.addButton("Export and use…", QDialogButtonBox.ButtonRole.AcceptRole)
        self.export_button.setEnabled(False)
        self.export_button.setToolTip("Write YAMNet plus your head as one .tflite (MediaPipe and the "
                                      "Android example load it) and switch the app to it")
        self.export_button.clicked.connect(self.export_dialog)
        close = buttons.addButton(QDialogButtonBox.StandardButton.Close)
        close.clicked.connect(self.reject)
        layout.addWidget(buttons)
        self.relay = _Relay()
        self.relay.progress.connect(self._on_progress)
        self.relay.finished.connect(self._on_finished)
        self.resize(760, 620)

    def start(self) -> None:
        import_sklearn()  # on the GUI thread, before the worker fits (see import_sklearn)
        self._thread = threading.Thread(target=self._work, name="yamview-train", daemon=True)
        self._thread.start()

    def _work(self) -> None:
        from yamview.core import assets
        from yamview.core.model import Model, ModelError

        try:
            model = Model(assets.ensure("yamnet"))
            tset = training.load_training_set(self.folder, model.window_seconds, model.classes)
            emb = training.embed_training_set(tset, model, self.hop_seconds,
                                              progress=self.relay.progress.emit, cancel=self._cancel)
            evaluation = training.cross_validate(emb)
            head = training.train_head(emb)
            self.relay.finished.emit((tset, evaluation, head, model, emb))
        except training.embed.Cancelled:
            self.relay.finished.emit("Training cancelled.")
        except (training.DatasetError, ModelError, assets.AssetError) as exc:
            self.relay.finished.emit(str(exc))
        except Exception as exc:  # shown, the app stays up
            log.exception("training failed")
            self.relay.finished.emit(f"Training failed: {exc}")

    @Slot(int, int, str)
    def _on_progress(self, done: int, total: int, name: str) -> None:
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)
        if name:
            self.status.setText(f"Embedding {name}…")

    @Slot(object)
    def _on_finished(self, outcome) -> None:
        if isinstance(outcome, str):
            self.error = outcome
            self.status.setText(f"<b>Not trained:</b> {outcome}".replace("\n", "<br>"))
            self.progress.setRange(0, 1)
            self.progress.setValue(0)
            return
        tset, evaluation, head, model, emb = outcome
        self.result = (tset, evaluation, head, model)
        self.progress.setValue(self.progress.maximum())
        self.status.setText(f"{len(tset.classes)} classes, {len(tset.recordings)} recordings, "
                            f"{len(emb.y)} frames (hop {emb.hop_seconds:.3g} s); head trained in "
                            f"{head.train_seconds:.2f} s")
        warn = "".join(f"<br><span style='color:#b06000'>⚠ {w}</span>" for w in tset.warnings + evaluation.warnings)
        self.figures.setText(
            f"<b>Accuracy on recordings it was not trained on: {100 * evaluation.accuracy:.0f} %</b> "
            f"({evaluation.folds} folds by recording; {100 * evaluation.frame_accuracy:.0f} % of "
            f"single frames){warn}")
        self._show_confusion(evaluation)
        self.report.setPlainText(evaluation.report())
        self.export_button.setEnabled(True)

    def _show_confusion(self, ev) -> None:
        n = len(ev.classes)
        t = self.confusion
        t.setRowCount(n)
        t.setColumnCount(n + 2)
        t.setHorizontalHeaderLabels([*ev.classes, "precision", "recall"])
        t.setVerticalHeaderLabels(ev.classes)
        for i in range(n):
            total = max(1, int(ev.confusion[i].sum()))
            for j in range(n):
                v = int(ev.confusion[i, j])
                item = QTableWidgetItem(str(v))
                item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                if v:
                    good = i == j
                    alpha = int(60 + 160 * v / total)
                    item.setBackground(QColor(40, 160, 70, alpha) if good else QColor(210, 60, 40, alpha))
                t.setItem(i, j, item)
            for k, value in enumerate((ev.precision[i], ev.recall[i])):
                item = QTableWidgetItem("–" if np.isnan(value) else f"{100 * value:.0f} %")
                item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                t.setItem(i, n + k, item)
        t.resizeColumnsToContents()

    def export_dialog(self) -> None:
        default = str(Path(self.folder).with_name(Path(self.folder).name + ".tflite"))
        path, _ = QFileDialog.getSaveFileName(self, "Export the trained model", default,
                                              "TFLite models (*.tflite)")
        if path:
            self.export(path)

    def export(self, path: str) -> bool:
        if self.result is None:
            return False
        if not path.lower().endswith(".tflite"):
            path += ".tflite"
        _, _, head, model = self.result
        try:
            training.export_model(model, head, path)
        except (training.DatasetError, OSError) as exc:
            self.status.setText(f"<b>Not exported:</b> {exc}")
            return False
        self.status.setText(f"Exported {path}: YAMNet's scores plus your {len(head.classes)} classes.")
        self.model_exported.emit(path)
        self.accept()
        return True

    def done(self, result: int) -> None:  # closing cancels a running training
        self._cancel.set()
        super().done(result)


def inspector_range(inspector) -> tuple[float, float, str] | None:
    """What the inspector would add: the selection, else the human label under the cursor;
    with the label text as the suggested class (a label inside the selection names it too)."""
    session = inspector.session
    labels = list(session.labels) if session is not None else []
    sel = inspector.selection()
    if sel is not None:
        a, b = sel
        inside = [lb for lb in labels if lb.start < b and lb.end > a]
        return a, b, inside[0].text if len(inside) == 1 else ""
    t = getattr(inspector, "cursor_time", 0.0)
    under = [lb for lb in labels if lb.start <= t <= lb.end and lb.end > lb.start]
    if under:
        return under[0].start, under[0].end, under[0].text
    return None


def add_to_training_set(inspector, class_name: str | None = None, folder: str | None = None) -> Path | None:
    """The inspector's "Add to training set as <class>": asks what it must, saves one WAV."""
    from PySide6.QtWidgets import QInputDialog

    info = inspector.info
    if info is None or inspector.path is None:
        inspector.show_message("Open a recording first.", "warning")
        return None
    found = inspector_range(inspector)
    if found is None:
        inspector.show_message("Select a time range (drag on the waveform), or put the cursor in a "
                               "human label, then add it to the training set.", "warning")
        return None
    a, b, suggested = found
    folder = folder or inspector.settings.get(FOLDER_KEY)
    if not folder:
        folder = QFileDialog.getExistingDirectory(inspector, "Training set folder (one subfolder per class)",
                                                  str(Path.home()))
        if not folder:
            return None
        inspector.settings.set(FOLDER_KEY, folder)
    if class_name is None:
        class_name, ok = QInputDialog.getText(
            inspector, "Add to training set",
            f"Class of {a:.2f}–{b:.2f} s (a 'background' class is recommended too):", text=suggested)
        if not ok:
            return None
    rate = info.framing.rate
    return add_range_to_training_set(inspector, inspector.path, a, b, folder, class_name, rate,
                                     info.framing.window_seconds, list(info.classes))


def add_range_to_training_set(window, audio_path: str, start: float, end: float, folder: str,
                              class_name: str, rate: int, window_seconds: float, reserved) -> Path | None:
    """Cut ``start..end`` seconds of ``audio_path`` (at ``rate``) into the training set."""
    from yamview.core.audio import AudioError, AudioFile

    try:
        audio = AudioFile(audio_path)
        blocks, need, got = [], round((end - start) * rate), 0
        for block in audio.blocks(rate, start=start):
            blocks.append(block[: need - got])
            got += len(blocks[-1])
            if got >= need:
                break
    except AudioError as exc:
        window.show_message(f"Example not saved: cannot read {audio_path}: {exc}", "warning")
        return None
    samples = np.concatenate(blocks) if blocks else np.zeros(0, np.float32)
    return save_to_training_set(window, folder, class_name, samples, rate, Path(audio_path).stem,
                                window_seconds, reserved)
