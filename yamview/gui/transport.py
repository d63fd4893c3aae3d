"""The live window's source and the toolbar that drives it: picker, Start/Stop, position, Loop.

``Transport`` owns the current source (a microphone or a file played in real time) and decides
by the source's capabilities (``seekable``, ``pausable``, ``loopable``, ``duration``), never by
its type, what Start, Stop, the position slider and Loop do. The window hears about it through
signals and lends it a message strip (``TransportHost``).

Opening a device talks to the sound server, which can stop answering (measured: Start blocked
the GUI for 32 s with a frozen PulseAudio). So a source starts on a helper thread; the window
says what it is waiting for after half a second and offers to stop waiting. Stopping waits at
most STOP_TIMEOUT; a frozen device is then released in the background.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Callable, Protocol

from PySide6.QtCore import QObject, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QComboBox, QLabel, QPushButton, QSlider, QToolBar, QWidget

from yamview.core.audio import AudioError
from yamview.gui.chrome import open_failed
from yamview.gui.settings import Settings
from yamview.gui.source_picker import FILE, MIC, SourcePicker
from yamview.sources import devices
from yamview.sources.base import LiveSource
from yamview.sources.devices import DeviceError
from yamview.sources.microphone import Microphone
from yamview.sources.playback import FilePlayback

log = logging.getLogger(__name__)

# A dead or frozen device can hold its stream until it wakes: the GUI never waits longer.
STOP_TIMEOUT = 1.0
# After this long opening a device, the window says what it is waiting for (and offers Cancel).
SAY_WAITING_AFTER = 0.5
# After a microphone failed, look for it again this often (a rescan: only while nothing streams).
RECONNECT_SECONDS = 2.0


class TransportHost(Protocol):
    """What the transport needs from its window."""

    @property
    def rate(self) -> int: ...  # the model's sample rate: every source delivers at it

    @property
    def model_ready(self) -> bool: ...

    def show_message(self, text: str, kind: str = "info", action: str | None = None,
                     callback: Callable[[], None] | None = None) -> None: ...

    def clear_message(self) -> None: ...

    def message(self) -> str: ...


class _Bridge(QObject):
    """Carries callbacks from audio/pump threads to the GUI thread as queued signals."""

    source_error = Signal(str)
    source_finished = Signal()
    start_done = Signal(object, object, object)  # (source, ring origin, error message or None)


class Transport(SourcePicker, QObject):
    replacing = Signal()  # a new source (or none) is about to replace the current one
    replaced = Signal()  # ... and has: the views restart on its time base
    ring_changed = Signal(object, object)  # (the ring to score or None, ring.total of frame 0)
    started = Signal()
    stopped = Signal()  # by the user, an error, or the end of the file
    status = Signal(str)  # a line for the status bar

    def __init__(self, host: TransportHost, settings: Settings, output_device: str | None,
                 parent: QWidget) -> None:
        super().__init__(parent)
        self.host, self.settings, self.output_device = host, settings, output_device
        self.parent_widget = parent
        self.source: LiveSource | None = None
        self._bridge = _Bridge()
        self._bridge.source_error.connect(self._on_source_error)
        self._bridge.source_finished.connect(self._on_source_finished)
        self._bridge.start_done.connect(self._on_start_done)
        self._opening: LiveSource | None = None  # a source whose start() runs on a helper thread
        self._opening_since = 0.0
        self._waiting = QTimer(self)  # while opening: say what we wait for, once a second
        self._waiting.setInterval(1000)
        self._waiting.timeout.connect(self._say_waiting)

        self.start_button = QPushButton("Start")
        self.start_button.setToolTip("Start / stop listening (Space)")
        self.start_button.setMinimumWidth(90)
        self.start_button.clicked.connect(self.toggle)
        self.start_button.setEnabled(False)
        self.combo = QComboBox()
        self.combo.setMinimumWidth(260)
        self.combo.setToolTip("Input device (remembered by name), or the open file")
        self.combo.activated.connect(self._on_chosen)
        self.refresh_action = QAction("↻", parent)
        self.refresh_action.setToolTip("Look for input devices again")
        self.refresh_action.triggered.connect(lambda: self.refresh_devices(rescan=True))
        self.position = QSlider(Qt.Orientation.Horizontal)
        self.position.setRange(0, 1000)
        self.position.setMinimumWidth(200)
        self.position.setToolTip("Position in the file: drag to seek")
        self.position.sliderReleased.connect(self._seek_to_slider)
        self.position_label = QLabel("")
        self.position_label.setMinimumWidth(110)
        self.loop_button = QPushButton("Loop")
        self.loop_button.setCheckable(True)
        self.loop_button.setChecked(settings.get("source/loop"))
        self.loop_button.toggled.connect(self._on_loop)
        self._show_capabilities(None)
        self.lost_device: str | None = None  # a microphone that failed: reconnected once it is back
        self._reconnect = QTimer(self)
        self._reconnect.setInterval(int(RECONNECT_SECONDS * 1000))
        self._reconnect.timeout.connect(self._try_reconnect)

    def add_to(self, bar: QToolBar, middle: list[QAction]) -> None:
        """Start, the picker and ↻, then ``middle`` (the window's own actions), then position and Loop."""
        bar.addWidget(self.start_button)
        bar.addWidget(QLabel("  Source "))
        bar.addWidget(self.combo)
        bar.addAction(self.refresh_action)
        for a in middle:
            bar.addAction(a)
        bar.addSeparator()
        # Kept as toolbar actions: a widget in a toolbar is hidden through its action.
        self._seek_actions = [bar.addWidget(self.position), bar.addWidget(self.position_label)]
        self._loop_action = bar.addWidget(self.loop_button)
        self._show_capabilities(self.source)

    # == state =====================================================================================
    @property
    def running(self) -> bool:
        """Audio is flowing (a paused file is not running: Start resumes it). Not while the
        source is still being opened: its own thread may have it running a moment before this
        window has taken it over (and until then Space and Stop would be ignored)."""
        src = self.source
        return self._opening is None and src is not None and src.running and not src.paused

    @property
    def opening(self) -> bool:
        """A source is being opened (its device may be slow, or its sound server frozen)."""
        return self._opening is not None

    @property
    def has_choice(self) -> bool:
        return bool(self.combo.currentData())

    def _make_source(self) -> LiveSource:
        data = self.combo.currentData()
        if not data:
            raise DeviceError("No input device found. Open an audio file instead (Ctrl+O).")
        kind, value = data.split(":", 1)
        if kind == FILE:
            return self._make_playback(value)
        return Microphone(value, self.host.rate, on_error=self._bridge.source_error.emit)

    def _make_playback(self, path: str) -> FilePlayback:
        return FilePlayback(path, self.host.rate, output_device=self.output_device,
                            loop=self.loop_button.isChecked(), on_error=self._bridge.source_error.emit,
                            on_finished=self._bridge.source_finished.emit)

    def set_source(self, source: LiveSource | None) -> None:
        """Replace the source (stopping the old one); the views restart on its time base."""
        self.replacing.emit()
        if self._opening is not None:  # stop waiting for the old one (released when it answers)
            self._opening = None
            self._waiting.stop()
            self.start_button.setText("Start")
            self.start_button.setEnabled(True)
        if self.source is not None:
            self.source.stop(timeout=STOP_TIMEOUT)
        self.source = source
        self.ring_changed.emit(None, 0)
        self._show_capabilities(source)
        self.replaced.emit()

    def rebuild(self) -> None:
        """The same choice again, at a new rate (a model with another rate was loaded)."""
        if self.source is None:
            return
        was_running = self.running
        position = self.source.position if self.source.seekable else None
        try:
            new = self._make_source()
        except (DeviceError, AudioError) as exc:
            self.set_source(None)
            self.host.show_message(str(exc), "error")
            return
        self.set_source(new)
        if position:
            new.seek(position)
        if was_running:
            self.start()

    def open_file(self, path: str, start: bool = True) -> bool:
        """Switch to playing ``path``; a file that cannot be read changes nothing."""
        self._cancel_reconnect()
        try:
            playback = self._make_playback(path)
        except AudioError as exc:
            self.host.show_message(open_failed(path, exc), "error")
            return False
        except Exception as exc:
            log.exception("opening %s", path)
            self.host.show_message(open_failed(path, exc), "error")
            return False
        self.set_source(playback)
        self.settings.set("source/kind", "file")
        self.settings.set("source/file", str(path))
        self.refresh_devices()
        self.combo.setCurrentIndex(self.combo.findData(f"{FILE}:{path}"))
        self.host.clear_message()
        if start and self.host.model_ready:
            self.start()
        return True

    # == Start / Stop ==============================================================================
    def toggle(self) -> None:
        if self._opening is not None:
            return  # Start was pressed and the device is still opening
        if self.running:
            self.stop()
        else:
            self.start()

    def start(self) -> None:
        if self._opening is not None:
            return  # already starting: the outcome arrives by signal
        self._cancel_reconnect()  # the user's Start: no automatic reconnect after this
        self._start()

    def _start(self) -> None:
        if not self.host.model_ready:
            self.host.show_message("The model is still loading; Start will be available in a moment.", "info")
            return
        src = self.source
        if src is not None and src.seekable and src.finished:
            src.seek(0)
        if src is None or not src.pausable:  # a paused file resumes; anything else starts afresh
            try:
                self.set_source(self._make_source())
            except (DeviceError, AudioError) as exc:
                self.set_source(None)
                self.host.show_message(str(exc), "error", "Open file…", self.open_file_dialog)
                return
        src = self.source
        # Frame 0 starts where the ring ends now, before any new audio: the worker learns of
        # the ring only later (a queued call), when the pump may have written to it already.
        origin = src.ring.total
        if src.pausable and src.running and src.paused:
            src.resume()
            self._started(src, origin)
            return
        if src.releasing:
            self.host.show_message(f"{src.name} is still being released (its sound server is not "
                                   "answering); try again in a moment.", "warning")
            return
        # Opening talks to the sound server: on a helper thread, never on this one.
        self._opening, self._opening_since = src, time.monotonic()
        self.start_button.setText("Starting…")
        self.start_button.setEnabled(False)
        QTimer.singleShot(int(SAY_WAITING_AFTER * 1000), self._say_waiting)
        self._waiting.start()
        threading.Thread(target=self._open, args=(src, origin), name="source-open", daemon=True).start()

    def _open(self, src: LiveSource, origin: int) -> None:
        """On the helper thread: start ``src``; the outcome goes to the GUI thread by signal."""
        try:
            src.start()
            error = None
        except (DeviceError, AudioError) as exc:
            error = str(exc)
        except Exception as exc:  # reported in the window, never lost on a thread
            log.exception("starting %s", src.name)
            error = f"{type(exc).__name__}: {exc}"
        self._bridge.start_done.emit(src, origin, error)

    def _say_waiting(self) -> None:
        src = self._opening
        if src is None:
            self._waiting.stop()
            return
        waited = time.monotonic() - self._opening_since
        if waited < SAY_WAITING_AFTER:
            return
        self.host.show_message(f"Opening {src.name}: waiting for the sound server to answer "
                               f"({waited:.0f} s)…", "warning", "Stop waiting", self.cancel_opening)

    def cancel_opening(self) -> None:
        """Stop waiting for a device that does not open; it is closed whenever it answers."""
        src = self._opening
        if src is None:
            return
        self._opening = None
        self._waiting.stop()
        self.start_button.setText("Start")
        self.start_button.setEnabled(True)
        self.host.show_message(f"Gave up opening {src.name}: the sound server did not answer. "
                               "Pick another source, or press Start to try again.", "error",
                               "Open file…", self.open_file_dialog)

    @Slot(object, object, object)
    def _on_start_done(self, src: LiveSource, origin: int, error: str | None) -> None:
        if src is not self._opening:  # given up on, or replaced meanwhile: release it quietly
            if error is None:
                src.stop(timeout=0)
            return
        self._opening = None
        self._waiting.stop()
        self.start_button.setEnabled(True)
        if src is not self.source:
            src.stop(timeout=0)
            self.start_button.setText("Start")
            return
        if error is not None:
            self.start_button.setText("Start")
            if self.lost_device is not None:  # a reconnect attempt: quiet, the timer tries again
                return
            self.host.show_message(f"Cannot start {src.name}: {error}", "error", "Open file…",
                                   self.open_file_dialog)
            return
        self._started(src, origin)

    def _started(self, src: LiveSource, origin: int) -> None:
        self.ring_changed.emit(src.ring, origin)
        self.start_button.setText("Stop")
        if self.host.message().startswith(("No input device", "Cannot start", "Input stopped", "Opening ",
                                           "Gave up opening")):
            self.host.clear_message()
        if self.lost_device is not None:
            self.host.show_message(f"Reconnected to “{self.lost_device}”: listening again.", "info")
            self._cancel_reconnect()
        self.started.emit()

    def stop(self) -> None:
        src = self.source
        if src is not None:
            if src.pausable and src.running:
                src.pause()  # keep the position: Start resumes
            else:
                src.stop(timeout=STOP_TIMEOUT)
        self._stopped()

    def close(self) -> None:
        self._cancel_reconnect()
        if self.source is not None:
            self.source.stop(timeout=STOP_TIMEOUT)

    def _stopped(self) -> None:
        self.ring_changed.emit(None, 0)
        self.start_button.setText("Start")
        self.stopped.emit()

    def _on_source_error(self, message: str) -> None:
        data = self.combo.currentData() or ""
        self._stopped()
        self.refresh_devices()
        if data.startswith(f"{MIC}:"):  # a microphone: take it back by name as soon as it returns
            self.lost_device = data.split(":", 1)[1]
            self._reconnect.start()
            self.host.show_message(f"Input stopped: {message}. Listening resumes by itself when "
                                   f"“{self.lost_device}” is back; or pick another source.", "error",
                                   "Open file…", self.open_file_dialog)
            return
        self.host.show_message(f"Input stopped: {message}. Pick another source and press Start.", "error",
                               "Open file…", self.open_file_dialog)

    def _cancel_reconnect(self) -> None:
        self.lost_device = None
        self._reconnect.stop()

    def _try_reconnect(self) -> None:
        """Timer: is the lost microphone listed again (same name)? Then start it the usual way
        (opened on the helper thread); a failed attempt stays quiet and the timer tries again."""
        name = self.lost_device
        if name is None or self.running:
            self._cancel_reconnect()
            return
        if self._opening is not None or not self.host.model_ready:
            return
        if self.source is not None and self.source.releasing:
            return  # the dead stream is still being released: rescanning would wait for it
        if not devices.rescan(timeout=0):
            return
        found = devices.find_input_device(name)
        if found is None:
            return
        self.refresh_devices()
        index = self.combo.findData(f"{MIC}:{found.name}")
        if index < 0:
            return
        self.combo.setCurrentIndex(index)
        self.lost_device = found.name
        self._start()

    def _on_source_finished(self) -> None:
        self._stopped()
        src = self.source
        name = src.path.name if src is not None and src.path is not None else "the file"
        self.status.emit(f"Finished playing {name} · Start plays it again")

    # == position and Loop =========================================================================
    def _show_capabilities(self, source: LiveSource | None) -> None:
        """Position and Loop only for a source that has them (a file): hidden for a microphone,
        where a disabled slider and a checked Loop would still suggest they do something."""
        seekable = source is not None and source.seekable
        loopable = source is not None and source.loopable
        self.position.setEnabled(seekable)
        self.position_label.setEnabled(seekable)
        self.loop_button.setEnabled(loopable)
        for a in getattr(self, "_seek_actions", []):
            a.setVisible(seekable)
        if hasattr(self, "_loop_action"):
            self._loop_action.setVisible(loopable)

    def _on_loop(self, on: bool) -> None:
        self.settings.set("source/loop", on)
        if self.source is not None and self.source.loopable:
            self.source.loop = on

    def _seek_to_slider(self) -> None:
        src = self.source
        if src is not None and src.seekable and src.duration:
            src.seek(self.position.value() / 1000 * src.duration)

    def tick(self) -> None:
        """Display timer: move the position slider with the audio."""
        src = self.source
        if src is None or src.ring.total == 0 or not src.duration or src.position is None:
            return
        if not self.position.isSliderDown():
            self.position.setValue(int(1000 * src.position / src.duration))
        self.position_label.setText(f"{_clock(src.position)} / {_clock(src.duration)}")


def _clock(seconds: float) -> str:
    m, s = divmod(max(0.0, seconds), 60)
    return f"{int(m)}:{s:04.1f}"
