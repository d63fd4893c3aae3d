"""Shared fixtures: the real model and real audio from ../shared (never copied into git)."""

from __future__ import annotations

import gc
import os
import sys
from pathlib import Path

import pytest

# Qt must not look for a screen; set before any test imports Qt.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
sys.path.insert(0, str(Path(__file__).resolve().parent))  # tests/ helpers (tflite_builder, pulse)

SLOW_TIMEOUT = 900  # seconds, for tests marked slow (pyproject.toml sets the default timeout)


def pytest_collection_modifyitems(items):
    for item in items:
        if item.get_closest_marker("slow") and not item.get_closest_marker("timeout"):
            item.add_marker(pytest.mark.timeout(SLOW_TIMEOUT))


# As in the app (yamview.gui.app.collect_garbage_on_gui_thread): Python's cycle collector must
# not run on a worker thread while Qt objects are garbage, or it can deadlock with the GUI
# thread. Automatic collection is off for the session; collections run here, on the main
# thread: after every test that used Qt in full (its windows go now, not tests later), after
# the others the young generations, and in full every 25 tests.
@pytest.fixture(scope="session", autouse=True)
def _no_automatic_garbage_collection():
    gc.disable()
    yield
    gc.enable()


_tests_done = 0


@pytest.fixture(autouse=True)
def _collect_garbage_on_the_main_thread(request):
    global _tests_done
    yield
    _tests_done += 1
    used_qt = request.node.get_closest_marker("gui") or {"qtbot", "qapp"} & set(request.fixturenames)
    gc.collect(2 if used_qt or _tests_done % 25 == 0 else 1)


# Without ../shared (audio, corpus) the tests that need it skip, saying why; CI, which always
# has it, sets YAMVIEW_REQUIRE_TEST_DATA=1 so that a missing folder fails instead.
def _missing(what: str) -> None:
    if os.environ.get("YAMVIEW_REQUIRE_TEST_DATA"):
        pytest.fail(f"test data missing: {what}")
    pytest.skip(f"test data missing: {what}")


def _need(path: Path) -> Path:
    if not path.exists():
        _missing(f"{path} (the ../shared folder beside the project: see README, Tests)")
    return path


@pytest.fixture(scope="session")
def shared() -> Path:
    return _need(SHARED)


@pytest.fixture(scope="session")
def audio_dir(shared) -> Path:
    return _need(shared / "audio")


@pytest.fixture(scope="session")
def corpus_dir(shared) -> Path:
    return _need(shared / "corpus")


@pytest.fixture(scope="session")
def model_path() -> Path:
    from yamview.core import assets

    return assets.ensure("yamnet", allow_download=False)


@pytest.fixture(scope="session")
def ontology_path() -> Path:
    """The AudioSet ontology: set-up fetches it, but the app (and most tests) run without it."""
    from yamview.core import assets

    try:
        return assets.ensure("ontology", allow_download=False)
    except assets.AssetError as exc:
        _missing(f"the AudioSet ontology ({exc})")


@pytest.fixture(scope="session")
def model(model_path):
    from yamview.core.model import Model

    return Model(model_path)


@pytest.fixture(scope="session")
def scape(corpus_dir, tmp_path_factory):
    """A soundscape of corpus clips with its own Audacity labels (see tests/soundscape.py)."""
    import soundscape

    return soundscape.build(corpus_dir, tmp_path_factory.mktemp("scape"))


@pytest.fixture(scope="session")
def scape_analysis(scape, model):
    from yamview.core.analysis import analyze
    from yamview.core.audio import AudioFile

    return analyze(AudioFile(scape.wav), model).result()


@pytest.fixture(scope="session")
def reference_model(model):
    return model.reconfigured(kernels="reference")


@pytest.fixture
def pulse():
    """A private PulseAudio with a null sink; sounddevice sees it as the input device "pulse".

    PortAudio lists devices once, at Pa_Initialize (sounddevice's import), so the server's
    variables must be in the environment before PortAudio looks. We set them in os.environ
    (which also updates the C environment libpulse reads) and re-initialise PortAudio in this
    process: measured ~35 ms, and "pulse" appears. A subprocess would work too, but then the
    test could not assert on the live Microphone object. Teardown re-initialises again, so
    later tests see the machine's real (here: no) devices. Pa_Terminate closes every open
    stream, so nothing else may be streaming while this fixture sets up or tears down.
    """
    from pulse import PulseServer, PulseUnavailable

    from yamview.sources import devices

    server = PulseServer()
    try:
        server.start()
    except PulseUnavailable as exc:
        if "not installed" in str(exc):
            pytest.skip(str(exc))
        pytest.fail(str(exc))
    saved = {key: os.environ.get(key) for key in server.env}
    os.environ.update(server.env)
    try:
        devices.rescan()
        if devices.find_input_device("pulse") is None:
            pytest.skip("PortAudio lists no 'pulse' device: ALSA's pulse plugin missing (apt install libasound2-plugins)")
        yield server
    finally:
        server.stop()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        devices.rescan()
