"""Inspector tools on the real soundscape: the mapping editor, find more like this, PNG export."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("PySide6")

from test_gui_inspector import (  # noqa: F401 - shared fixtures
    TIMEOUT, cache_dir, make_inspector, open_and_wait, opened, reference, scape)

from yamview.core import labels_io, metrics, similarity


def test_mapping_editor_maps_unknown_labels_at_once_with_suggestions(opened, scape, reference, qtbot):
    w, ref = opened, reference
    assert w.import_labels(str(scape.labels_txt))
    panel = w.mapping_panel
    row = panel.row_of("dog bark")
    box = panel.table.cellWidget(row, 3)
    suggestions = [box.itemText(i) for i in range(1, box.count())]
    assert suggestions[:2] == ["Bark", "Dog"]  # from the AudioSet names and descriptions
    assert w.session.label_classes.count(()) == 3  # "rain" is a class name already
    box.activated.emit(suggestions.index("Dog") + 1)
    qtbot.waitUntil(lambda: w.session.label_classes.count(()) == 2, timeout=TIMEOUT)
    dog = ref.classes.index("Dog")
    assert w.mapping["dog bark"] == [dog] and w.metrics_panel.model.classes  # metrics appear at once
    m = w.session.metrics()
    assert m.hits[dog] + m.misses[dog] >= 8
    # Typed: any of two classes; a class the model lacks is refused with a message.
    edit = panel.table.cellWidget(panel.row_of("rooster"), 2)
    edit.setText("Chicken, rooster | Crowing, cock-a-doodle-doo")
    edit.editingFinished.emit()
    qtbot.waitUntil(lambda: isinstance(w.mapping.get("rooster"), labels_io.AnyOf), timeout=TIMEOUT)
    edit = panel.table.cellWidget(panel.row_of("rain"), 2)
    edit.setText("Rain on Mars")
    edit.editingFinished.emit()
    assert "'Rain on Mars' is not a model class" in panel.error.text() and "rain" not in w.mapping


def test_find_more_like_this_lists_ranks_jumps_plays_and_adds_labels(opened, scape, reference, qtbot, corpus_dir):
    w, ref = opened, reference
    a = w.session.analysis
    assert a.embeddings is not None and a.embeddings.shape == (ref.n_frames, 1024)
    a0 = scape.segments[0][0]
    w.set_selection(a0, a0 + 1.5)  # the start of the dog barks
    assert w.find_similar("this", 10)
    panel = w.similar_panel
    matches = panel.model.matches
    frames = similarity.frames_in(a.centres, a0, a0 + 1.5)
    want = similarity.rank(similarity.query_vector(a.embeddings, frames), [a], 10, exclude=(0, frames))
    assert matches == want and len(matches) == 10
    assert panel.model.index(0, 0).data() == f"{matches[0].score:.3f}"
    # Click: the cursor goes to the hit's frame.
    panel.table.clicked.emit(panel.model.index(2, 0))
    assert w.cursor_frame == matches[2].frame
    # Add two hits as labels of a chosen class: they count at once.
    panel.table.selectRow(0)
    panel.class_box.setCurrentText("Dog")
    panel.add_button.click()
    assert len(w.session.labels) == 1 and w.session.labels[0].text == "Dog"
    assert w.session.truth()[matches[0].frame, ref.classes.index("Dog")]
    # Other recordings opened in this window are searched too.
    other = corpus_dir / "esc10/001_Dog_bark__1-100032-A.ogg"
    open_and_wait(qtbot, w, other)
    open_and_wait(qtbot, w, scape.wav)
    assert len(w.analysed) == 2
    w.set_selection(a0, a0 + 1.5)
    assert w.find_similar("session", 200)
    names = {panel.model.names[m.source] for m in panel.model.matches}
    assert str(other) in names


def test_png_export_has_the_file_name_threshold_legend_and_no_hover_line(opened, scape, qtbot, tmp_path):
    from PySide6.QtGui import QImage

    w = opened
    w.hover.setText("Hover: 1.234 s · Dog 0.9")
    path = tmp_path / "views.png"
    assert w.export_png(str(path))
    header = w.png_header_text()
    assert scape.wav.name in header and "threshold 0.30" in header and "hit" in header and "false alarm" in header
    assert "Hover" not in header
    img = QImage(str(path))
    assert img.width() > 800 and img.height() > 600
    # The legend's colours are in the picture.
    colours = {img.pixelColor(x, y).name() for x in range(0, img.width(), 3) for y in range(0, 60, 2)}
    from yamview.gui.inspector.lanes import FALSE_ALARM_COLOUR, HIT_COLOUR, MISS_COLOUR

    assert {HIT_COLOUR.lower(), MISS_COLOUR.lower(), FALSE_ALARM_COLOUR.lower()} <= colours


def test_ab_compare_with_the_other_kernels(opened, scape, reference, qtbot, reference_model):
    from yamview.core.analysis import analyze
    from yamview.core.audio import AudioFile

    w, a = opened, reference
    assert w.load_mapping(str(scape.mapping_csv)) and w.import_labels(str(scape.labels_txt))
    assert not w.disagreement_lane.widget.isVisible()
    assert w.compare_with("kernels")
    qtbot.waitUntil(lambda: w.comparison is not None, timeout=TIMEOUT)
    b = analyze(AudioFile(scape.wav), reference_model, hop_seconds=0.4875).result()
    c = w.comparison
    assert c.b.kernels == "reference" and c.a.kernels == "fast"
    np.testing.assert_array_equal(c.top_differs, a.scores.argmax(1) != b.scores.argmax(1))
    assert f"{c.top1_agreement:.3f}" in w.compare_panel.summary.text()
    assert w.disagreement_lane.widget.isVisible() and w.disagreement_lane.axis.names == [
        "top class differs", "labelled hit/miss differs"]
    table = w.compare_panel.table
    rows = {table.item(r, 0).text(): r for r in range(table.rowCount())}
    assert "Dog" in rows and "Speech" in rows
    truth = w.session.truth()
    ma = metrics.evaluate(a.scores, truth, 0.3, a.classes)
    mb = metrics.evaluate(b.scores, truth, 0.3, a.classes)
    dog = a.classes.index("Dog")
    assert table.item(rows["Dog"], 6).text() == f"{mb.f1[dog] - ma.f1[dog]:+.3f}"
    # Another recording drops the comparison.
    open_and_wait(qtbot, w, scape.wav)
    assert w.comparison is None and not w.disagreement_lane.widget.isVisible()


def test_models_eye_view_has_a_colour_bar_and_hz_on_its_band_axis(opened, qtbot):
    from yamview.gui.inspector.patch_view import LOG_MEL_LEVELS

    w = opened
    w.set_cursor(5.0)
    qtbot.waitUntil(lambda: w.patch_view.patch is not None, timeout=TIMEOUT)
    bar = w.patch_view.colour_bar
    assert tuple(bar.levels()) == LOG_MEL_LEVELS
    ticks = dict((label, pos) for pos, label in w.patch_view.plot.getAxis("left")._tickLevels[0])
    # HTK mel scale from 125 to 7500 Hz over 64 bands: 1 kHz sits at band ~27.5, by hand.
    import math

    mel = lambda f: 1127 * math.log(1 + f / 700)  # noqa: E731
    assert ticks["1k"] == pytest.approx(64 * (mel(1000) - mel(125)) / (mel(7500) - mel(125)))
    assert ticks["125"] == 0 and ticks["7.5k"] == pytest.approx(64)


def test_lenient_columns_and_labels_past_the_end(opened, scape, reference, tmp_path):
    from yamview.core.ontology import load_default

    w, ref = opened, reference
    assert w.load_mapping(str(scape.mapping_csv)) and w.import_labels(str(scape.labels_txt))
    related = metrics.relatives(load_default().for_classes(ref.classes), len(ref.classes))
    m = metrics.evaluate(ref.scores, w.session.truth(), 0.3, ref.classes, related=related)
    table = w.metrics_panel.model
    animal = table.classes.index(ref.classes.index("Animal"))
    assert table.value(animal, "Expl.") == m.explained[ref.classes.index("Animal")] > 0
    assert w.metrics_panel.averages.value(0, "Len.") == sum(int(m.lenient_hits[c]) for c in m.labelled())
    # Labels of a longer recording: imported, with a warning naming the first one past the end.
    truth = tmp_path / "longer.txt"
    truth.write_text(scape.labels_txt.read_text() + "30\t35\tSpeech\n", encoding="utf-8")
    assert w.import_labels(str(truth))
    assert "1 label start at or after the end of the file" in w.message() and "line 7" in w.message()


def test_find_more_like_this_in_a_folder(opened, scape, qtbot, corpus_dir, tmp_path):
    import shutil

    w = opened
    folder = tmp_path / "recordings"
    folder.mkdir()
    for name in ("001_Dog_bark__1-100032-A.ogg", "002_Rain__3-132852-A.ogg", "009_Rooster__1-26806-A.ogg"):
        shutil.copy(corpus_dir / "esc10" / name, folder / name)
    (folder / "notes.txt").write_text("not audio")
    a0 = scape.segments[0][0]
    w.set_selection(a0, a0 + 1.5)
    assert w.find_similar("folder", 300, folder=str(folder))
    qtbot.waitUntil(lambda: len(w.similar_sources) == 4, timeout=TIMEOUT)
    names = [x.name for x in w.similar_sources[1:]]
    assert sorted(names) == sorted(str(p) for p in folder.glob("*.ogg"))
    best = {}
    for m in w.similar_panel.model.matches:
        best.setdefault(m.source, m.score)
    dog = names.index(str(folder / "001_Dog_bark__1-100032-A.ogg")) + 1
    rain = names.index(str(folder / "002_Rain__3-132852-A.ogg")) + 1
    assert best[dog] > best[rain]  # another dog is more like the dog than rain is


def test_ab_compare_at_another_hop(opened, reference, qtbot, model):
    """The same model at B's hop: read on A's frames (nearest centre), as the core computes it."""
    from yamview.core.analysis import analyze
    from yamview.core.audio import AudioFile
    from yamview.core.compare import compare

    w, a = opened, reference
    assert not w.compare_with("hop")  # B's hop still "same as A": nothing to compare, said so
    assert "B's hop" in w.message()
    w.compare_panel.hop.setValue(0.3)
    assert w.compare_with("hop")
    qtbot.waitUntil(lambda: w.comparison is not None, timeout=TIMEOUT)
    c = w.comparison
    assert c.aligned and c.b.framing.hop_seconds == pytest.approx(0.3)
    b = analyze(AudioFile(w.path), model, hop_seconds=0.3).result()
    np.testing.assert_array_equal(c.top_differs, compare(a, b).top_differs)
    assert "read at the one nearest" in w.compare_panel.summary.text()
    assert w.disagreement_lane.axis.names == ["top class differs"]  # no labels: one row
    assert w.disagreement_lane.widget.isVisible()
