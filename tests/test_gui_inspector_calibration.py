"""The inspector's Calibration tab on real labelled ESC-10 soundscapes: fit, before/after view,
export, the inspector then analysing with the calibrated model (marker, off switch, thresholds)."""

from __future__ import annotations

import numpy as np
import pytest

import soundscape

from yamview.core.calibrate import thresholds_path
from yamview.core.metrics import load_thresholds
from yamview.core.tflite import read_audio_model_metadata
from yamview.gui.app import make_app
from yamview.gui.inspector import InspectorWindow
from yamview.gui.settings import Settings

pytestmark = pytest.mark.gui

TIMEOUT = 180_000  # ms: analyses on a 2-core machine shared with other test runs


@pytest.fixture(scope="module")
def labelled(corpus_dir, tmp_path_factory):
    wavs, mapping = soundscape.build_labelled_set(corpus_dir, tmp_path_factory.mktemp("insp") / "set",
                                                  recordings=3, seed=3)
    return wavs[0].parent, mapping


@pytest.fixture(autouse=True)
def cache_dir(tmp_path, monkeypatch):
    path = tmp_path / "cache"
    monkeypatch.setenv("YAMVIEW_CACHE_DIR", str(path))
    return path


@pytest.fixture()
def inspector(qapp, qtbot, tmp_path):
    make_app()
    w = InspectorWindow(Settings(tmp_path / "inspector.ini"), output_device="none")
    qtbot.addWidget(w)
    w.resize(1600, 1000)
    w.show()
    yield w
    w.close()


def _open(qtbot, w, path, **kwargs):
    assert w.open_file(str(path), **kwargs), w.message()
    qtbot.waitUntil(lambda: w.session is not None and w.session.complete, timeout=TIMEOUT)


def test_calibrate_see_export_and_inspect_with_it(inspector, qtbot, labelled, tmp_path):
    w = inspector
    folder, mapping = labelled
    _open(qtbot, w, folder / "rec0.wav", labels=str(folder / "rec0.txt"), mapping=str(mapping))
    assert w.info.calibration == "" and not w.calibrated_box.isEnabled()

    panel = w.calibration_panel
    w.calibrate([str(folder)])
    assert w.tabs.currentWidget() is panel
    qtbot.waitUntil(lambda: panel.result is not None and not panel.busy, timeout=TIMEOUT)
    assert panel.analysed == (3, 3, "")  # progress counted every recording
    r = panel.result
    assert r.folds == 3
    assert panel.table.rowCount() == len(r.fit.classes) == 15
    text = panel.status.text()
    assert "held out: 3 folds by recording" in text and "mean F1" in text
    # The selected class's curves: PR before/after (+ operating points), reliability before/after.
    assert panel.selected_class() is not None and len(panel._curves) >= 4
    names = [panel.table.item(row, 0).text() for row in range(panel.table.rowCount())]
    row = names.index("Helicopter")
    panel.table.selectRow(row)
    assert "Helicopter" in panel.rel_plot.titleLabel.text
    after_f1 = float(panel.table.item(row, 9).text())
    assert after_f1 == pytest.approx(float(r.after.f1[panel.selected_class()]), abs=5e-4)

    # Another objective refits on the same analyses (no new analysis).
    panel.objective.setCurrentIndex(panel.objective.findData("precision"))
    qtbot.waitUntil(lambda: panel.result is not r and not panel.busy, timeout=TIMEOUT)
    assert panel.result.fit.objective.kind == "precision"

    out = tmp_path / "yamnet_calibrated.tflite"
    assert panel.export(str(out)) == str(out)
    meta = read_audio_model_metadata(out.read_bytes())
    assert meta.heads[0].calibration == panel.result.fit.calibration
    thresholds = load_thresholds(thresholds_path(out), list(meta.heads[0].classes))

    # The inspector now analyses with the calibrated model: marker, switch, its thresholds.
    qtbot.waitUntil(lambda: w.info is not None and w.info.calibration == "on" and w.session.complete,
                    timeout=TIMEOUT)
    assert w.calibrated_box.isEnabled() and w.calibrated_box.isChecked()
    assert "calibrated" in w.status_label.text()
    np.testing.assert_allclose(w.session.thresholds(), thresholds, rtol=1e-6)
    assert w.session.has_labels  # the labels stayed

    w.calibrated_box.setChecked(False)  # the off switch: raw scores again
    qtbot.waitUntil(lambda: w.info is not None and w.info.calibration == "off" and w.session.complete,
                    timeout=TIMEOUT)
    assert "calibration off" in w.status_label.text()


def test_unmapped_labels_are_one_message_and_change_nothing(inspector, qtbot, labelled, tmp_path):
    w = inspector
    folder, _ = labelled
    panel = w.calibration_panel
    w.calibrate([str(folder)])  # no mapping loaded: "dog bark" is no YAMNet class
    qtbot.waitUntil(lambda: "Calibration:" in w.message(), timeout=TIMEOUT)
    assert "matches no model class" in w.message() and "Nothing was written" in w.message()
    assert panel.result is None and not panel.export_button.isEnabled()
    assert w.isVisible() and not panel.busy
