"""Teaching a new sound in the live window, end to end on a real capture device (the private
PulseAudio null sink of tests/pulse.py): record takes of a class while a real clip plays, train
in the dialog, export, and see the new class (marked as the user's) in the live bars."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from PySide6.QtCore import Qt

from yamview.gui.app import make_app
from yamview.gui.main_window import MainWindow
from yamview.gui.settings import Settings
from yamview.gui.teach import USER_MARK

pytestmark = [pytest.mark.gui, pytest.mark.slow]


@pytest.fixture()
def live_window(pulse, qapp, qtbot, tmp_path, monkeypatch):
    monkeypatch.setenv("YAMVIEW_CACHE_DIR", str(tmp_path / "cache"))
    make_app()
    settings = Settings(tmp_path / "live.ini")
    settings.set("classify/hop_seconds", 0.25)
    w = MainWindow(settings, output_device="none")
    qtbot.addWidget(w)
    w.resize(1280, 800)
    w.show()
    qtbot.waitUntil(lambda: w.model_info is not None, timeout=20000)
    index = w.source_combo.findData("mic:pulse")
    assert index >= 0
    w.source_combo.setCurrentIndex(index)
    w.source_combo.activated.emit(index)
    yield w
    w.close()


def _record_take(w, qtbot, pulse, clip, seconds: float = 3.0, key: bool = False):
    """Hold the record button (or the R key) while ``clip`` plays into the capture device."""
    player = pulse.play(clip)
    qtbot.wait(300)  # the clip's first sound reaches the capture side
    start = w.source.stream_time
    if key:
        w.start_button.setFocus()
        qtbot.keyPress(w, Qt.Key.Key_R)
    else:
        w.teach.record_button.pressed.emit()
    qtbot.waitUntil(lambda: w.source.stream_time - start >= seconds, timeout=15000)
    before = set(Path(w.teach.folder).rglob("*.wav"))
    if key:
        qtbot.keyRelease(w, Qt.Key.Key_R)
    else:
        w.teach.record_button.released.emit()
    player.wait(15)
    after = set(Path(w.teach.folder).rglob("*.wav"))
    return after - before


def test_record_train_export_and_see_the_new_class_in_the_bars(live_window, pulse, qtbot, tmp_path, corpus_dir):
    w = live_window
    esc = corpus_dir / "esc10"
    roosters = sorted(esc.glob("009_Rooster__*.ogg"))
    dataset = tmp_path / "my sounds"
    # The other class is made by hand, as a user may: a folder of files.
    (dataset / "my dog").mkdir(parents=True)
    for clip in sorted(esc.glob("001_Dog_bark__*.ogg"))[:3]:
        shutil.copy(clip, dataset / "my dog" / clip.name)
    w.teach.set_folder(str(dataset))
    assert not w.teach.train_button.isEnabled()  # one class: nothing to train yet

    # Recording without a running source is refused with one message, nothing written.
    w.teach.class_name.setText("my rooster")
    w.teach.record_button.pressed.emit()
    w.teach.record_button.released.emit()
    assert "Start the microphone" in w.message()
    assert not (dataset / "my rooster").exists()

    w.start()
    qtbot.waitUntil(lambda: w.source.stream_time > 0.3, timeout=5000)
    takes = []
    for i, clip in enumerate(roosters[:3]):
        new = _record_take(w, qtbot, pulse, clip, key=i == 2)  # the third take: holding R
        assert len(new) == 1, w.message()
        takes += new
    for take in takes:
        samples, rate = sf.read(take, dtype="float32")
        assert rate == w.rate and len(samples) >= 2.5 * rate
        assert np.sqrt(np.mean(samples ** 2)) > 1e-3  # the device's real sound, not silence
        assert take.parent == dataset / "my rooster"
    assert "my rooster 3" in w.teach.counts_label.text() and "background" in w.teach.counts_label.text()
    assert w.teach.train_button.isEnabled()
    w.stop()

    dialog = w.open_train_dialog()
    qtbot.waitUntil(lambda: dialog.result is not None or dialog.error is not None, timeout=180000)
    assert dialog.error is None, dialog.error
    assert dialog.progress.value() == dialog.progress.maximum() > 0
    assert dialog.confusion.rowCount() == 2
    assert [dialog.confusion.verticalHeaderItem(i).text() for i in range(2)] == ["my dog", "my rooster"]
    assert "Accuracy on recordings it was not trained on" in dialog.figures.text()
    assert "background" in dialog.figures.text()  # the recommended class is missing: said so
    model_path = tmp_path / "mine.tflite"
    assert dialog.export(str(model_path))
    qtbot.waitUntil(lambda: w.model_info is not None and bool(w.model_info.user_classes), timeout=30000)
    assert set(w.model_info.user_classes) == {"my dog", "my rooster"}
    assert USER_MARK + "my rooster" in w.bars.classes and "Chicken, rooster" in w.bars.classes
    # Talk mode's focus list takes the user's class like any other: pinned in the bars.
    w.talk.toggle_focus(USER_MARK + "my dog")
    assert w.talk.config.focus_classes() == [USER_MARK + "my dog"]
    assert w.bars.classes.index(USER_MARK + "my dog") in w.bars.pinned

    w.start()
    qtbot.waitUntil(lambda: w.source.stream_time > 0.3, timeout=5000)
    player = pulse.play(roosters[3])  # a rooster recording the head was not trained on
    seen = set()

    def heard_mine():
        seen.update(name for name, _ in w.bars.shown())
        return USER_MARK + "my rooster" in seen

    qtbot.waitUntil(heard_mine, timeout=15000)
    player.wait(15)
    # The class timeline and talk mode list the same marked classes (the focus list can pick them).
    assert USER_MARK + "my rooster" in w.timeline.classes and USER_MARK + "my rooster" in w.talk.classes


# -- the inspector: a range or a human label of a recording into the training set -----------------
@pytest.fixture()
def inspector(qapp, qtbot, tmp_path, monkeypatch, corpus_dir):
    from yamview.gui.inspector.window import InspectorWindow

    monkeypatch.setenv("YAMVIEW_CACHE_DIR", str(tmp_path / "cache"))
    make_app()
    w = InspectorWindow(Settings(tmp_path / "inspector.ini"), output_device="none")
    qtbot.addWidget(w)
    w.resize(1280, 800)
    w.show()
    clip = corpus_dir / "esc10" / "001_Dog_bark__1-100032-A.ogg"
    assert w.open_file(str(clip)), w.message()
    qtbot.waitUntil(lambda: w.session is not None and w.session.complete, timeout=120000)
    yield w, clip
    w.close()


def test_inspector_adds_a_selection_or_a_label_region_to_the_training_set(inspector, tmp_path):
    from yamview.core.audio import AudioFile
    from yamview.gui.teach import inspector_range

    w, clip = inspector
    dataset = tmp_path / "set"
    w.set_selection(0.0, 0.0)  # nothing selected, no labels: one message, nothing written
    assert w.add_to_training_set("my dog", str(dataset)) is None
    assert "Select a time range" in w.message() and not dataset.exists()

    w.set_selection(1.0, 3.0)
    path = w.add_to_training_set("my dog", str(dataset))
    assert path is not None and path.parent == dataset / "my dog"
    saved, rate = sf.read(path, dtype="float32")
    whole = AudioFile(clip).read(rate)
    assert rate == 16000 and len(saved) == 2 * rate
    assert np.max(np.abs(saved - whole[rate:3 * rate])) < 1e-3  # the very samples of the range (PCM16)

    # A YAMNet class name is refused (both heads would show it), nothing written.
    assert w.add_to_training_set("dog", str(dataset)) is None
    assert "base model's class 'Dog'" in w.message()
    assert sorted(p.name for p in dataset.iterdir()) == ["my dog"]

    labels = tmp_path / "labels.txt"
    labels.write_text("0.5\t2.0\tBark\n")
    assert w.import_labels(str(labels)), w.message()
    w.set_selection(0.0, 0.0)
    w.set_cursor(1.2)
    assert inspector_range(w) == (0.5, 2.0, "Bark")  # the label under the cursor, its text
    path = w.add_to_training_set("my dog", str(dataset))
    assert sf.info(path).duration == pytest.approx(1.5, abs=1e-3)
    assert len(list((dataset / "my dog").iterdir())) == 2


def test_inspector_with_a_trained_model_shows_and_exports_the_users_classes(qapp, qtbot, tmp_path,
                                                                           monkeypatch, corpus_dir, model):
    from yamview.core import training
    from yamview.gui.inspector.job import ModelSpec
    from yamview.gui.inspector.window import InspectorWindow

    monkeypatch.setenv("YAMVIEW_CACHE_DIR", str(tmp_path / "cache"))
    esc = corpus_dir / "esc10"
    for name, pattern in (("my dog", "001_Dog_bark__*.ogg"), ("my rooster", "009_Rooster__*.ogg")):
        (tmp_path / "set" / name).mkdir(parents=True)
        for clip in sorted(esc.glob(pattern))[:3]:
            shutil.copy(clip, tmp_path / "set" / name / clip.name)
    tset = training.load_training_set(tmp_path / "set", model.window_seconds, model.classes)
    head = training.train_head(training.embed_training_set(tset, model))
    trained = training.export_model(model, head, tmp_path / "mine.tflite")

    make_app()
    w = InspectorWindow(Settings(tmp_path / "inspector.ini"), output_device="none",
                        model_spec=ModelSpec(str(trained)))
    qtbot.addWidget(w)
    w.show()
    assert w.open_file(str(sorted(esc.glob("009_Rooster__*.ogg"))[4])), w.message()  # never trained on
    qtbot.waitUntil(lambda: w.session is not None and w.session.complete, timeout=120000)
    classes = list(w.session.classes)
    assert len(classes) == 523 and classes[-2:] == ["my dog", "my rooster"]
    assert w.session.user_classes == {"my dog", "my rooster"}
    w.classes_panel.pin(classes.index("my rooster"))  # the user's class, pinned into the heat map
    qtbot.waitUntil(lambda: USER_MARK + "my rooster" in " ".join(w.heatmap.axis.names), timeout=5000)
    mine = w.session.scores[:, -2:]
    assert np.allclose(mine.sum(axis=1), 1.0, atol=1e-4)  # the trained head's softmax
    # The inspector shows what the model file computes, both heads (the core's analysis of it).
    from yamview.core.analysis import analyze
    from yamview.core.audio import AudioFile
    from yamview.core.model import Model

    ref = analyze(AudioFile(w.path), Model(trained), hop_seconds=w.session.framing.hop_seconds).result()
    np.testing.assert_allclose(w.session.scores, ref.scores, atol=1e-5)
    out = tmp_path / "scores.csv"
    assert w.export("csv", str(out)), w.message()
    header = out.read_text().splitlines()[0]
    assert "my rooster" in header and "Speech" in header
    w.close()


def test_train_dialog_says_what_is_wrong_with_a_bad_training_set(qapp, qtbot, tmp_path, corpus_dir,
                                                                 monkeypatch):
    from yamview.gui.teach import TrainDialog

    monkeypatch.setenv("YAMVIEW_CACHE_DIR", str(tmp_path / "cache"))
    (tmp_path / "set" / "my dog").mkdir(parents=True)
    for clip in sorted((corpus_dir / "esc10").glob("001_Dog_bark__*.ogg"))[:2]:
        shutil.copy(clip, tmp_path / "set" / "my dog" / clip.name)
    dialog = TrainDialog(str(tmp_path / "set"))
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.start()
    qtbot.waitUntil(lambda: dialog.error is not None or dialog.result is not None, timeout=60000)
    assert dialog.result is None and "only one class" in dialog.error
    assert "background" in dialog.error  # the message recommends the class that is missing
    assert "Not trained" in dialog.status.text() and not dialog.export_button.isEnabled()
    assert not dialog.export(str(tmp_path / "x.tflite")) and not (tmp_path / "x.tflite").exists()
