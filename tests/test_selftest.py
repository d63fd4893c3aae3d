"""``yamview --self-test`` from source, and the files that make the double-click app: icon,
desktop entry, AppStream metainfo, about box, PortAudio runtime hook. (CI also builds the
bundle and runs its self-test: bash scripts/dev.sh bundle.)"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from yamview import __version__

ROOT = Path(__file__).resolve().parents[1]
RESOURCES = ROOT / "yamview" / "resources"
OK_LINE = re.compile(
    r"yamview self-test: ok \(model yamnet/classification, Sine wave 0\.\d\d, PortAudio [\d.]+, "
    r"live 0\.5 s, \d+ blocks? dropped, window rendered \d+x\d+, \d+\.\d s\)"
)


def run_self_test(tmp_path, **env_extra):
    env = {k: v for k, v in os.environ.items() if k not in ("YAMVIEW_MODEL", "YAMVIEW_ONTOLOGY")}
    # Fresh user folders: the self-test must write no settings, logs or models there.
    env.update({f"XDG_{kind}_HOME": str(tmp_path / kind.lower()) for kind in ("CONFIG", "DATA", "STATE", "CACHE")})
    env.update(QT_QPA_PLATFORM="offscreen", **env_extra)
    return subprocess.run([sys.executable, "-m", "yamview", "--self-test"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)


def test_self_test_from_source_passes_with_one_line(tmp_path):
    result = run_self_test(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 1, result.stdout
    assert OK_LINE.fullmatch(lines[0]), lines[0]
    written = [p for p in tmp_path.rglob("*") if "yamview" in p.name and p.parent != tmp_path]
    assert not written, f"the self-test wrote yamview files into the user's folders: {written}"


def test_broken_model_fails_with_the_reason(tmp_path):
    bad = tmp_path / "bad.tflite"
    bad.write_bytes(b"this is not a TFLite model at all")
    result = run_self_test(tmp_path, YAMVIEW_MODEL=str(bad))
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        "yamview self-test: FAILED: cannot load model: bad.tflite is not a TFLite model (no TFL3 identifier)"
    ]


def test_a_model_that_is_not_yamnet_fails_the_tone_check(tmp_path):
    """A valid classifier that cannot say "Sine wave" fails the classification step."""
    from tflite_builder import tiny_classifier  # tests/ is on sys.path (conftest)

    model = tmp_path / "other.tflite"
    model.write_bytes(tiny_classifier(classes=4, labels=["alpha", "beta", "gamma", "delta"], rate=16000))
    result = run_self_test(tmp_path, YAMVIEW_MODEL=str(model))
    assert result.returncode == 1
    line = result.stdout.strip()
    assert line.startswith("yamview self-test: FAILED: a 440 Hz sine was classified as "), line
    assert line.endswith("expected 'Sine wave'"), line


def test_desktop_file_validates():
    tool = shutil.which("desktop-file-validate")
    if tool is None:
        pytest.skip("desktop-file-validate is not installed (Debian/Ubuntu: desktop-file-utils)")
    result = subprocess.run([tool, str(RESOURCES / "yamview.desktop")], capture_output=True, text=True)
    assert result.returncode == 0 and not (result.stdout + result.stderr).strip(), result.stdout + result.stderr


def test_metainfo_matches_the_app():
    root = ET.parse(RESOURCES / "io.github.yamview.metainfo.xml").getroot()
    assert root.get("type") == "desktop-application"
    assert root.findtext("launchable") == "yamview.desktop"
    assert root.findtext("project_license") == "Apache-2.0"
    versions = [r.get("version") for r in root.iter("release")]
    assert __version__ in versions, f"add a <release version=\"{__version__}\"> to the metainfo"


def test_metainfo_validates():
    tool = shutil.which("appstreamcli")
    if tool is None:
        pytest.skip("appstreamcli is not installed (Debian/Ubuntu: appstream)")
    result = subprocess.run([tool, "validate", "--no-net", str(RESOURCES / "io.github.yamview.metainfo.xml")],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.gui
def test_icon_renders_at_16_and_256_px(qapp):
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    renderer = QSvgRenderer(str(RESOURCES / "yamview.svg"))
    assert renderer.isValid()
    for size in (16, 256):
        image = QImage(size, size, QImage.Format.Format_ARGB32)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        renderer.render(painter)
        painter.end()
        centre = image.pixelColor(size // 2, size // 2)  # the accent bar
        corner = image.pixelColor(0, 0)  # outside the rounded tile
        assert centre.alpha() == 255 and centre.red() > 200, (size, centre.name())
        assert corner.alpha() < 64, (size, corner.alpha())


@pytest.mark.gui
def test_help_about_shows_version_model_licenses_and_icon(qapp, qtbot, tmp_path):
    from yamview.gui.app import make_app
    from yamview.gui.main_window import MainWindow
    from yamview.gui.settings import Settings

    make_app()
    w = MainWindow(Settings(tmp_path / "yamview.ini"), output_device="none")
    qtbot.addWidget(w)
    qtbot.waitUntil(lambda: w.model_info is not None, timeout=20000)
    menus = {a.text().replace("&", ""): a.menu() for a in w.menuBar().actions()}
    assert "About yamview" in [a.text().replace("&", "") for a in menus["Help"].actions()]
    box = w.about_box()
    text = box.text()
    for part in (f"yamview {__version__}", "yamnet/classification", "Apache-2.0", "CC BY-SA 4.0"):
        assert part in text
    assert not box.iconPixmap().isNull()
    w.close()


def test_runtime_hook_points_sounddevice_at_the_bundled_portaudio(tmp_path):
    """In a bundle, find_library("portaudio") answers with the bundle's copy; other names as before."""
    lib = tmp_path / "libportaudio.so.2"
    lib.write_bytes(b"")
    code = (
        "import sys, runpy, ctypes.util\n"
        f"sys._MEIPASS = {str(tmp_path)!r}\n"
        "before = ctypes.util.find_library('c')\n"
        f"runpy.run_path({str(ROOT / 'packaging' / 'rthook_portaudio.py')!r})\n"
        "print(ctypes.util.find_library('portaudio'))\n"
        "print(ctypes.util.find_library('c') == before)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    if not sys.platform.startswith("linux"):
        pytest.skip("the hook's Linux branch")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [str(lib), "True"]


def test_self_test_reads_the_users_settings_through_the_app_and_leaves_them(tmp_path):
    """A settings file that would have stopped the app (an unknown colormap raised out of the
    window's constructor) passes, says what it reset, and is not changed."""
    ini = tmp_path / "config" / "yamview" / "yamview.ini"
    ini.parent.mkdir(parents=True)
    text = "[spectrogram]\ncolormap=no-such-map\n[model]\nthreads=many\n"
    ini.write_text(text)
    result = run_self_test(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "settings: 2 invalid reset (model/threads, spectrogram/colormap)" in result.stdout
    assert ini.read_text() == text
