"""``yamview --self-test``: prove that this install (source tree or app bundle) works.

Loads the model, classifies a generated 440 Hz sine (YAMNet must say "Sine wave"), checks that
PortAudio loads (in a bundle: the bundled copy), plays half a second of the tone through the
live pipeline (reporting dropped capture blocks), builds the main window offscreen with a copy of
the user's settings (read through the app's own checks), waits for its model, renders it and
checks the picture. Prints one line and returns 0, or ``yamview self-test: FAILED: <reason>``
and 1. Never changes the user's settings, never downloads anything.
"""

from __future__ import annotations

import logging
import os
import re
import sys
import tempfile
import time
from pathlib import Path

log = logging.getLogger(__name__)

EXPECTED_CLASS = "Sine wave"
TONE_HZ, TONE_SECONDS, TONE_AMPLITUDE = 440.0, 3.0, 0.5
MODEL_WAIT_S = 30.0
LIVE_SECONDS = 0.5


class SelfTestFailure(Exception):
    """One check failed; the message is the reason, for a person."""


def run_self_test() -> int:
    # Before Qt is imported: no screen needed (an explicit QT_QPA_PLATFORM is respected).
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")
    started = time.perf_counter()
    try:
        parts = _run()
    except SelfTestFailure as exc:
        _emit(f"yamview self-test: FAILED: {exc}")
        return 1
    except Exception as exc:
        log.debug("self-test crashed", exc_info=True)
        _emit(f"yamview self-test: FAILED: {type(exc).__name__}: {exc}")
        return 1
    parts.append(f"{time.perf_counter() - started:.1f} s")
    _emit(f"yamview self-test: ok ({', '.join(parts)})")
    return 0


def _run() -> list[str]:
    model = _load_model()
    top_name, top_score = _classify_tone(model)
    portaudio = _check_portaudio()
    live = _check_live_pipeline(model)
    size = _render_window()
    return [f"model {model.name}", f"{top_name} {top_score:.2f}", portaudio, live, f"window rendered {size}"]


def _check_live_pipeline(model) -> str:
    """Play a short tone through the live pipeline (clock-paced, silent): what the ring received,
    and how many capture blocks were dropped on the way (a loaded machine drops some)."""
    import numpy as np
    import soundfile as sf

    from yamview.sources.playback import FilePlayback

    rate = model.sample_rate
    with tempfile.TemporaryDirectory(prefix="yamview-selftest-") as tmp:
        path = Path(tmp) / "tone.wav"
        t = np.arange(int(LIVE_SECONDS * rate)) / rate
        sf.write(path, (TONE_AMPLITUDE * np.sin(2 * np.pi * TONE_HZ * t)).astype(np.float32), rate)
        source = FilePlayback(path, rate, output_device="none")
        source.start()
        deadline = time.monotonic() + LIVE_SECONDS + 10.0
        while not source.finished and source.error is None and time.monotonic() < deadline:
            time.sleep(0.02)
        source.stop(timeout=5.0)
    if source.error is not None:
        raise SelfTestFailure(f"the live pipeline failed: {source.error}")
    if not source.finished:
        raise SelfTestFailure(f"the live pipeline played {source.stream_time:.2f} s of a "
                              f"{LIVE_SECONDS} s tone in {LIVE_SECONDS + 10:.0f} s")
    dropped = source.overflows
    return f"live {source.stream_time:.1f} s, {dropped} block{'s' * (dropped != 1)} dropped"


def _load_model():
    from yamview.core import assets
    from yamview.core.model import Model, ModelError

    try:
        return Model(assets.ensure("yamnet", allow_download=False))
    except (assets.AssetError, ModelError) as exc:
        raise SelfTestFailure(f"cannot load model: {exc}") from None


def _classify_tone(model) -> tuple[str, float]:
    import numpy as np

    from yamview.core.analysis import analyze
    from yamview.core.audio import ArraySource

    rate = model.sample_rate
    t = np.arange(int(TONE_SECONDS * rate)) / rate
    tone = (TONE_AMPLITUDE * np.sin(2 * np.pi * TONE_HZ * t)).astype(np.float32)
    result = analyze(ArraySource(tone, rate, name="440 Hz sine"), model).result()
    top = result.top(1, "mean")
    if not top:
        raise SelfTestFailure("the model returned no scores for a 440 Hz sine")
    name, score = top[0]
    if name != EXPECTED_CLASS:
        raise SelfTestFailure(f"a 440 Hz sine was classified as '{name}' ({score:.2f}), "
                              f"expected '{EXPECTED_CLASS}'")
    return name, score


def _check_portaudio() -> str:
    """PortAudio must load; in a bundle it must be the bundle's own copy (the runtime hook)."""
    from yamview.sources import devices

    if devices.portaudio_error():
        raise SelfTestFailure(devices.portaudio_error())
    import sounddevice

    library = str(getattr(sounddevice, "_libname", "") or "")
    bundle = getattr(sys, "_MEIPASS", None)
    where = ""
    if bundle:
        inside = Path(os.path.realpath(library)).is_relative_to(os.path.realpath(bundle))
        if not inside:
            raise SelfTestFailure(f"PortAudio was loaded from {library or '?'}, not from the bundle "
                                  f"({bundle}): the runtime hook did not work")
        where = " (bundled)"
    text = sounddevice.get_portaudio_version()[1]
    match = re.search(r"V?(\d+\.\d+(?:\.\d+)?)", text)
    return f"PortAudio {match.group(1) if match else text}{where}"


def _render_window() -> str:
    from yamview.gui.app import install_qt_message_handler, make_app

    app = make_app()
    install_qt_message_handler()
    if not log.isEnabledFor(logging.DEBUG):  # offscreen Qt warns about things no screen has
        logging.getLogger("qt").setLevel(logging.ERROR)
    icon = app.windowIcon()
    if icon.isNull() or icon.pixmap(64, 64).isNull():
        raise SelfTestFailure("the app icon (yamview/resources/yamview.svg) is missing or Qt cannot draw SVG")

    from yamview.gui.main_window import MainWindow

    with tempfile.TemporaryDirectory(prefix="yamview-selftest-", ignore_cleanup_errors=True) as tmp:
        settings = _user_settings_copy(Path(tmp))
        window = MainWindow(settings, output_device="none")
        window.resize(1280, 800)  # the offscreen "screen" is small; render the usual layout
        try:
            window.show()
            deadline = time.monotonic() + MODEL_WAIT_S
            while window.model_info is None:
                app.processEvents()
                if window.status_label.text() == "No model loaded":
                    raise SelfTestFailure(f"the window could not load the model: {window.message()}")
                if time.monotonic() > deadline:
                    raise SelfTestFailure(f"the window had no model after {MODEL_WAIT_S:.0f} s")
                time.sleep(0.005)
            for _ in range(5):
                app.processEvents()
            image = window.grab().toImage()
            _check_picture(image)
            if window.about_box().iconPixmap().isNull():
                raise SelfTestFailure("the about box has no icon")
            size = f"{image.width()}x{image.height()}"
        finally:
            window.close()
            app.processEvents()
    if settings.reset_keys:
        return f"{size}, settings: {len(settings.reset_keys)} invalid reset ({', '.join(settings.reset_keys)})"
    return size


def _user_settings_copy(folder: Path):
    """The user's settings, read through the app's own read path (and its checks), from a copy:
    a settings file that would stop the app fails the self-test, and the user's file is never
    changed."""
    from yamview.core.files import UnreadableFile, read_regular, write_bytes
    from yamview.gui.settings import Settings, default_path

    copy = folder / "yamview.ini"
    try:
        write_bytes(copy, read_regular(default_path(), 16 << 20, "settings file"))
    except UnreadableFile as exc:
        if str(exc) != "no such file":
            raise SelfTestFailure(f"cannot read the settings file {default_path()}: {exc}") from None
    return Settings(copy)


def _check_picture(image) -> None:
    """The rendered window is a real picture: not empty, not one flat colour."""
    import numpy as np
    from PySide6.QtGui import QImage

    if image.isNull() or image.width() < 200 or image.height() < 200:
        raise SelfTestFailure(f"the window rendered as an empty image ({image.width()}x{image.height()})")
    rgb = image.convertToFormat(QImage.Format.Format_RGB32)
    pixels = np.frombuffer(rgb.constBits(), np.uint32, rgb.bytesPerLine() * rgb.height() // 4)
    pixels = pixels.reshape(rgb.height(), -1)[:, : rgb.width()]
    colours = len(np.unique(pixels[::2, ::2]))
    if colours < 16:
        raise SelfTestFailure(f"the rendered window has only {colours} colours: nothing was drawn")


def _emit(line: str) -> None:
    """Print the result line; a windowed Windows app has no stdout, so use the parent console."""
    out = sys.stdout
    if out is None and sys.platform == "win32":  # pragma: no cover - Windows bundle only
        try:
            import ctypes

            ctypes.windll.kernel32.AttachConsole(-1)  # ATTACH_PARENT_PROCESS
            out = open("CONOUT$", "w", encoding="utf-8")
        except OSError:
            out = None
    if out is not None:
        print(line, file=out, flush=True)
