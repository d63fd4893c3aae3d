"""The inspector's Jobs setting: remembered, used by the next analysis, same scores."""

from __future__ import annotations

import numpy as np
import pytest

from yamview.core.analysis import analyze
from yamview.core.audio import AudioFile
from yamview.core.pool import usable_cores
from yamview.gui.app import make_app
from yamview.gui.inspector import InspectorWindow
from yamview.gui.settings import Settings

pytestmark = pytest.mark.gui

TIMEOUT = 120_000  # ms: a 2-core machine shared with other test runs


def test_jobs_setting_drives_the_analysis(qapp, qtbot, tmp_path, monkeypatch, model, audio_dir):
    monkeypatch.setenv("YAMVIEW_CACHE_DIR", str(tmp_path / "cache"))
    make_app()
    ini = tmp_path / "inspector.ini"
    clip = audio_dir / "meow_16k.wav"
    serial = analyze(AudioFile(clip), model, hop_seconds=0.4875, jobs=1).result()

    w = InspectorWindow(Settings(ini), output_device="none", use_cache=False)
    qtbot.addWidget(w)
    assert w.jobs_spin.value() == 0 and w.jobs_spin.text() == "auto"
    assert w.jobs_spin.maximum() == usable_cores()
    for jobs in (1, 2):
        w.jobs_spin.setValue(jobs)
        assert w.open_file(str(clip)), w.message()
        qtbot.waitUntil(lambda: w.session is not None and w.session.complete, timeout=TIMEOUT)
        assert w.session.analysis.jobs == min(jobs, usable_cores())
        assert np.array_equal(w.session.analysis.scores, serial.scores)
    w.close()

    again = InspectorWindow(Settings(ini), output_device="none", use_cache=False)
    qtbot.addWidget(again)
    assert again.jobs_spin.value() == min(2, usable_cores()) and again.model_spec.jobs == again.jobs_spin.value()
    again.close()
