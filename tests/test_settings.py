"""Settings that cannot stop the app: every stored value is checked when the file is opened, an
invalid one is reset to its default, and the banner names every key that was reset."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.gui

from yamview.gui import palette
from yamview.gui.settings import KEYS, Settings

BAD = {  # key -> a hand-edited value that once stopped the app or was silently misused
    "spectrogram/colormap": "no-such-map",
    "timeline/colormap": "rainbow'); DROP",
    "model/threads": "many",
    "classify/threshold": "nan",
    "spectrogram/db_low": "1e999",
    "model/kernels": "gpu",
}


def write_ini(path, values):
    lines = {}
    for key, value in values.items():
        group, name = key.split("/")
        lines.setdefault(group, []).append(f"{name}={value}")
    path.write_text("".join(f"[{g}]\n" + "\n".join(v) + "\n" for g, v in lines.items()))


def test_every_invalid_key_is_reset_and_listed(tmp_path):
    ini = tmp_path / "yamview.ini"
    write_ini(ini, {**BAD, "classify/max_results": "7", "spectrogram/scale": "log"})
    s = Settings(ini)
    assert sorted(s.reset_keys) == sorted(BAD)
    for key in BAD:
        assert key in s.problem
        assert s.get(key) == KEYS[key].default
    assert s.get("classify/max_results") == 7 and s.get("spectrogram/scale") == "log"  # valid ones kept
    again = Settings(ini)  # the bad values were removed from the file: no second warning
    assert again.reset_keys == [] and again.problem is None
    assert again.get("classify/max_results") == 7


def test_unknown_colormap_falls_back():
    assert palette.colormap("no-such-map").name == palette.colormap(palette.COLORMAPS[0]).name
    assert set(palette.COLORMAPS) >= {KEYS["spectrogram/colormap"].default, KEYS["timeline/colormap"].default}


def test_windows_open_with_invalid_settings_and_say_which(qapp, qtbot, tmp_path):
    from yamview.gui.inspector import InspectorWindow
    from yamview.gui.main_window import MainWindow

    ini = tmp_path / "yamview.ini"
    write_ini(ini, BAD)
    settings = Settings(ini)
    live = MainWindow(settings, output_device="none")
    qtbot.addWidget(live)
    message = live.message()
    assert "Invalid settings were reset to their defaults" in message
    assert all(key in message for key in BAD)
    assert live.controls.colormap.currentText() == KEYS["spectrogram/colormap"].default
    inspector = InspectorWindow(settings, output_device="none")
    qtbot.addWidget(inspector)
    assert all(key in inspector.message() for key in BAD)
    live.close()
    inspector.close()
