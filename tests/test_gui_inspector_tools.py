"""Inspector tools on the real soundscape: the mapping editor, find more like this, PNG export."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("PySide6")

from test_gui_inspector import (  # noqa: E402,F401 - shared fixtures
    TIMEOUT, cache_dir, make_inspector, open_and_wait, opened, reference, scape)

from yamview.core import labels_io, metrics, similarity  # noqa: E402


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
    dog = ref.labels.index("Dog")
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
    assert w.session.truth()[matches[0].frame, ref.labels.index("Dog")]
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
