"""Teaching a new sound in the live window, end to end on a real capture device (the private
PulseAudio null sink of tests/pulse.py): record takes of a class while a real clip plays, train
in the dialog, export, and see the new class (marked as the user's) in the live bars."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

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


def _record_take(w, qtbot, pulse, clip, seconds: float = 3.0):
    """Hold the record button while ``clip`` plays into the capture device."""
    player = pulse.play(clip)
    qtbot.wait(300)  # the clip's first sound reaches the capture side
    start = w.source.stream_time
    w.teach.record_button.pressed.emit()
    qtbot.waitUntil(lambda: w.source.stream_time - start >= seconds, timeout=15000)
    before = set(Path(w.teach.folder).rglob("*.wav"))
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
    for clip in roosters[:3]:
        new = _record_take(w, qtbot, pulse, clip)
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
    assert USER_MARK + "my rooster" in w.bars.labels and "Chicken, rooster" in w.bars.labels

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
    assert USER_MARK + "my rooster" in w.timeline.labels and USER_MARK + "my rooster" in w.talk.labels
