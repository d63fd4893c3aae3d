"""A calibrated model in the live window and talk mode: marker, off switch, per-class thresholds
(real model with a calibration in its metadata, real audio, real widgets offscreen)."""

from __future__ import annotations

import numpy as np
import pytest

from yamview.core.calibrate import thresholds_path
from yamview.core.metrics import save_thresholds
from yamview.core.tflite import (
    Head,
    ScoreCalibration,
    Sigmoid,
    read_audio_model_metadata,
    write_audio_classifier_metadata,
)
from yamview.gui.app import make_app
from yamview.gui.main_window import MainWindow
from yamview.gui.settings import Settings

pytestmark = pytest.mark.gui

SPEECH_SIGMOID = Sigmoid(1.0, 0.5, -3.0)  # speech.wav's Speech (raw ~0.9) → ~0.25 calibrated
SPEECH_THRESHOLD = 0.9  # out of reach of the calibrated Speech scores above
OTHER_THRESHOLD = 0.003  # a little under YAMNet's smallest non-zero score step (1/256)


@pytest.fixture(scope="module")
def calibrated_model(model_path, tmp_path_factory):
    data = model_path.read_bytes()
    head = read_audio_model_metadata(data).heads[0]
    sigmoids = list(ScoreCalibration.identity(len(head.classes)).sigmoids)
    sigmoids[head.classes.index("Speech")] = SPEECH_SIGMOID
    calibration = ScoreCalibration("INVERSE_LOGISTIC", 0.0, tuple(sigmoids))
    path = tmp_path_factory.mktemp("calibrated") / "yamnet_calibrated.tflite"
    path.write_bytes(write_audio_classifier_metadata(
        data, [Head(head.name, head.classes, head.label_file, calibration)]))
    thresholds = np.full(len(head.classes), OTHER_THRESHOLD, np.float32)
    thresholds[head.classes.index("Speech")] = SPEECH_THRESHOLD
    save_thresholds(thresholds_path(path), thresholds, head.classes)
    return path


@pytest.fixture()
def window(qapp, qtbot, tmp_path, calibrated_model):
    make_app()
    w = MainWindow(Settings(tmp_path / "yamview.ini"), output_device="none")
    qtbot.addWidget(w)
    w.resize(1280, 800)
    w.show()
    qtbot.waitUntil(lambda: w.model_info is not None, timeout=20000)
    yield w
    w.close()


def _names(w) -> set[str]:
    return {n for n, _ in w.bars.shown()}


def test_calibrated_model_marker_switch_and_per_class_thresholds(window, qtbot, calibrated_model, audio_dir):
    w = window
    assert w.model_info.calibration == "" and not w.controls.calibrate.isEnabled()
    assert "calibrated" not in w.view_titles["bars"].text()

    w._load_model(str(calibrated_model))
    qtbot.waitUntil(lambda: w.model_info.path == str(calibrated_model), timeout=20000)
    info = w.model_info
    assert info.calibration == "on" and info.thresholds is not None
    assert w.controls.calibrate.isEnabled() and w.controls.calibrate.isChecked()
    assert "calibrated" in w.view_titles["bars"].text() and "calibrated" in w.status_label.text()
    speech = info.classes.index("Speech")
    assert w.bars.class_thresholds[speech] == pytest.approx(SPEECH_THRESHOLD)
    assert not w.bars.threshold_line.isVisible()  # one tick per row instead

    assert w.open_file(str(audio_dir / "speech.wav"))
    qtbot.waitUntil(lambda: w.frames_scored >= 3, timeout=20000)
    # Speech scores < 0.5 calibrated: under its own threshold, so not listed even though it tops
    # the ranking; the others are listed from their own (low) thresholds, one tick per row.
    qtbot.waitUntil(lambda: len(w.bars.shown()) > 0, timeout=20000)
    assert "Speech" not in _names(w)
    assert w.bars._scores[speech] < 0.5 and w.bars._scores[speech] == w.bars._scores.max()
    assert all(score >= OTHER_THRESHOLD for _, score in w.bars.shown())
    ticks = w.bars.threshold_ticks.getData()[0]
    assert len(ticks) == len(w.bars.shown()) and np.allclose(ticks, OTHER_THRESHOLD)

    # The off switch: raw scores, the global threshold, Speech (raw ~0.9) back on top.
    frames = w.frames_scored
    w.controls.calibrate.setChecked(False)
    qtbot.waitUntil(lambda: w.model_info.calibration == "off", timeout=20000)
    assert "raw" in w.view_titles["bars"].text()
    assert w.bars.class_thresholds is None and w.bars.threshold_line.isVisible()
    qtbot.waitUntil(lambda: w.frames_scored >= frames + 2 and "Speech" in _names(w), timeout=20000)
    assert w.bars.shown()[0][0] == "Speech" and w.bars.shown()[0][1] > 0.5
    assert w.settings.get("model/calibrate") is False
    w.stop()


def test_talk_mode_uses_the_calibration(window, qtbot, calibrated_model):
    w = window
    w._load_model(str(calibrated_model))
    qtbot.waitUntil(lambda: w.model_info.calibration == "on", timeout=20000)
    talk = w.talk
    assert talk.calibration == "on"
    talk.set_config(talk.config.add_focus("Speech", 0.3))
    focus = next(f for f in talk.config.focus if f.name == "Speech")
    assert talk.board.threshold_of(focus) == pytest.approx(SPEECH_THRESHOLD)  # the fitted one
    talk.show_presenter(full_screen=False, size=(1280, 720))
    qtbot.waitUntil(lambda: talk.presenter is not None and talk.presenter.isVisible(), timeout=10000)
    assert "Calibrated" in talk.presenter.view.tags
    w.set_calibrated(False)
    qtbot.waitUntil(lambda: talk.calibration == "off", timeout=20000)
    assert talk.board.threshold_of(focus) == pytest.approx(0.3)  # the user's own again
    assert any("calibration off" in t for t in talk.presenter.view.tags)
    talk.leave_presenter()


def test_a_model_with_a_broken_calibration_is_refused_and_the_old_one_kept(window, qtbot, calibrated_model,
                                                                          tmp_path):
    from yamview.core.tflite.metadata import packed_files, read_metadata, with_metadata

    data = calibrated_model.read_bytes()
    files = packed_files(data)
    name = next(n for n in files if n.endswith("_score_calibration.txt"))
    files[name] = b"1.0,1.0,0.0\n" * 521  # a trailing newline: 522 lines for 521 classes
    bad = tmp_path / "broken_calibration.tflite"
    bad.write_bytes(with_metadata(data, read_metadata(data), files))
    w = window
    before = w.model_info
    w._load_model(str(bad))
    qtbot.waitUntil(lambda: "score calibration cannot be used" in w.message(), timeout=20000)
    assert "522 lines for 521 classes" in w.message() and "Still using" in w.message()
    assert w.model_info is before and w.isVisible()
