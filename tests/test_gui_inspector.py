"""The inspector, offscreen, with the real model on a soundscape of real corpus clips.

Expected values come from yamview.core directly (analyze, truth_matrix, outcomes, evaluate),
never from the window, so each test checks what the window shows against an independent result.
Playback runs with output_device="none": paced by the clock, silent.
"""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

pytestmark = pytest.mark.gui

from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent

from yamview.core import export, labels_io, metrics
from yamview.core.analysis import analyze
from yamview.core.audio import AudioFile
from yamview.gui.app import make_app
from yamview.gui.inspector import InspectorWindow
from yamview.gui.settings import Settings

import soundscape

TIMEOUT = 120_000  # ms: a 2-core machine shared with other test runs


@pytest.fixture(autouse=True)
def cache_dir(tmp_path, monkeypatch):
    path = tmp_path / "cache"
    monkeypatch.setenv("YAMVIEW_CACHE_DIR", str(path))
    return path


@pytest.fixture(scope="module")
def scape(corpus_dir, tmp_path_factory):
    return soundscape.build(corpus_dir, tmp_path_factory.mktemp("scape"))


@pytest.fixture(scope="module")
def reference(scape, model):
    """The soundscape's analysis straight from the core, at the inspector's default hop."""
    return analyze(AudioFile(scape.wav), model, hop_seconds=0.4875).result()


@pytest.fixture()
def make_inspector(qapp, qtbot, tmp_path):
    make_app()
    windows = []

    def make():
        w = InspectorWindow(Settings(tmp_path / "inspector.ini"), output_device="none")
        qtbot.addWidget(w)
        w.resize(1600, 1000)
        w.show()
        windows.append(w)
        return w

    yield make
    for w in windows:
        w.close()


def open_and_wait(qtbot, w, path):
    assert w.open_file(str(path)), w.message()
    qtbot.waitUntil(lambda: w.session is not None and w.session.complete, timeout=TIMEOUT)
    return w.session


@pytest.fixture()
def opened(make_inspector, qtbot, scape):
    w = make_inspector()
    open_and_wait(qtbot, w, scape.wav)
    return w


@pytest.fixture()
def labelled(opened, scape):
    w = opened
    assert w.load_mapping(str(scape.mapping_csv)), w.message()
    assert w.import_labels(str(scape.labels_txt)), w.message()
    return w


def truth_for(scape, ref):
    labels = labels_io.read_audacity(scape.labels_txt)
    mapping = labels_io.read_mapping(scape.mapping_csv, ref.classes)
    classes = labels_io.map_labels(labels, ref.classes, mapping)
    return metrics.truth_matrix(labels, classes, ref.starts, ref.framing.window_seconds, len(ref.classes),
                                ref.duration)


def expected_frame(t, ref):
    fr = ref.framing
    return int(min(max(round((t - fr.window_seconds / 2) / fr.hop_seconds), 0), ref.n_frames - 1))


# -- opening, analysis, views --------------------------------------------------------------------------
def test_open_fills_every_view_with_the_analysis(opened, reference):
    w, ref = opened, reference
    s = w.session
    assert s.n == ref.n_frames
    np.testing.assert_allclose(s.scores, ref.scores, atol=1e-5)
    # Heat map: the top K by max score, the image holds their scores.
    k = w.classes_panel.k
    top = [int(i) for i in np.argsort(-ref.max(), kind="stable")[:k]]
    assert w.heatmap.shown[:k] == top
    assert w.heatmap.image.image is not None and w.heatmap.image.image.max() > 0.9
    assert w.heatmap.axis.names[0].endswith(ref.classes[top[0]])
    # Overview waveform and spectrogram cover the whole file.
    x, y = w.waveform.curve.getData()
    assert x[-1] == pytest.approx(ref.duration, abs=0.05) and np.abs(y).max() > 0.3
    img = w.spectrogram.image.image
    assert img is not None and img.max() > -40
    # Score curves at frame centres.
    cx, cy = next(iter(w.curves.curves.values())).getData()
    np.testing.assert_allclose(cx, ref.centres)
    assert all(a.isEnabled() for a in w.export_actions)
    assert "frames" in w.status_label.text()


def test_zooming_one_view_moves_all(opened, qtbot):
    w = opened
    shown = [v for v in w.views if v.widget.isVisible()]  # the A/B lane waits for a comparison
    assert len(shown) == 7
    w.heatmap.plot.setXRange(5.0, 8.0, padding=0)
    for v in shown:
        assert v.vb.viewRange()[0] == pytest.approx([5.0, 8.0], abs=1e-6), type(v).__name__
    # Zoom with the wheel on the bottom lane: all others follow it.
    w.error_lane.vb.scaleBy(x=0.5, center=QPointF(6.5, 0))
    expected = w.error_lane.vb.viewRange()[0]
    assert expected[1] - expected[0] == pytest.approx(1.5, abs=1e-6)
    for v in shown:
        assert v.vb.viewRange()[0] == pytest.approx(expected, abs=1e-6)
    # Pan by dragging the spectrogram: the same.
    w.spectrogram.vb.translateBy(x=2.0)
    expected = w.spectrogram.vb.viewRange()[0]
    assert expected[0] == pytest.approx(7.75, abs=1e-6)
    for v in shown:
        assert v.vb.viewRange()[0] == pytest.approx(expected, abs=1e-6)


def test_cursor_readout_shows_time_and_the_frames_top_classes(opened, reference, qtbot):
    w, ref = opened, reference
    for t in (1.3, 7.77, 16.2, ref.duration - 0.2):
        w.set_cursor(t)
        i = expected_frame(t, ref)
        text = w.cursor_readout()
        assert f"Cursor {t:.3f} s" in text and f"frame {i} " in text
        order = np.argsort(-ref.scores[i], kind="stable")[:3]
        for c in order:
            assert f"<b>{ref.classes[c]}</b> {ref.scores[i, c]:.3f}" in text, (t, text)
        # The scored window is drawn on the spectrogram at the cursor's frame.
        r = w.spectrogram.window_rect.rect()
        assert r.left() == pytest.approx(ref.starts[i]) and r.width() == pytest.approx(0.975)


def test_click_sets_the_cursor_and_hover_reads_out(opened, reference, qtbot):
    w, ref = opened, reference
    vb = w.heatmap.vb
    t = 9.5
    scene = vb.mapViewToScene(QPointF(t, 1.5))
    pos = w.heatmap.widget.mapFromScene(scene)
    qtbot.mouseClick(w.heatmap.widget.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    seconds_per_px = (vb.viewRange()[0][1] - vb.viewRange()[0][0]) / vb.width()
    assert w.cursor_time == pytest.approx(t, abs=2 * seconds_per_px)
    assert w.cursor_frame == expected_frame(w.cursor_time, ref)
    # Hover over the spectrogram: time, frequency and the top classes there.
    svb = w.spectrogram.vb
    hz = 1000.0
    y = float(w.spectrogram.scale.to_axis(hz))
    w.spectrogram.widget.scene().sigMouseMoved.emit(svb.mapViewToScene(QPointF(12.0, y)))
    text = w.hover.text()
    i = expected_frame(12.0, ref)
    top = ref.classes[int(np.argmax(ref.scores[i]))]
    assert "12.000 s" in text and "1.00 kHz" in text and top in text


def test_models_eye_view_is_the_patch_the_model_scored(opened, reference, qtbot):
    w, ref = opened, reference
    w.set_cursor(16.0)
    i = expected_frame(16.0, ref)
    qtbot.waitUntil(lambda: w.patch_view.patch is not None and w.patch_view.patch.frame == i, timeout=TIMEOUT)
    p = w.patch_view.patch
    assert p.log_mel.shape == (96, 64)
    # Re-scoring the decoded frame gives the analysis's scores: it is the same input.
    np.testing.assert_allclose(p.scores, ref.scores[i], atol=1e-5)
    assert ref.classes[int(np.argmax(ref.scores[i]))] in w.patch_view.top.text()
    assert f"frame {i}" in w.patch_view.title.text()


def test_models_eye_view_of_a_resampled_file(make_inspector, qtbot, corpus_dir, model):
    clip = corpus_dir / "esc10" / "009_Rooster__4-164021-A.ogg"  # 44.1 kHz: resampled to 16 kHz
    ref = analyze(AudioFile(clip), model, hop_seconds=0.4875).result()
    w = make_inspector()
    open_and_wait(qtbot, w, clip)
    i = 5
    w.set_cursor(ref.centres[i])
    qtbot.waitUntil(lambda: w.patch_view.patch is not None and w.patch_view.patch.frame == i, timeout=TIMEOUT)
    np.testing.assert_allclose(w.patch_view.patch.scores, ref.scores[i], atol=2e-3)


def test_spectrogram_scales_and_detail_when_zoomed(opened, qtbot):
    w = opened
    for kind, rows in (("linear", 257), ("log", 192), ("mel", 192)):
        w.scale_combo.setCurrentText(kind)
        assert w.spectrogram.scale.kind == kind and w.spectrogram.image.image.shape[0] == rows
    w.waveform.plot.setXRange(2.0, 3.0, padding=0)
    qtbot.waitUntil(lambda: w.detail is not None, timeout=TIMEOUT)
    d = w.detail
    assert d.t0 <= 2.0 and d.t1 >= 3.0
    assert d.overview.column_seconds < w.job.overview.column_seconds
    assert w.spectrogram.detail.isVisible() and not w.waveform.curve.isVisible()
    w.zoom_fit()
    qtbot.waitUntil(lambda: not w.spectrogram.detail.isVisible(), timeout=TIMEOUT)
    assert w.waveform.curve.isVisible()


# -- classes -------------------------------------------------------------------------------------------
def test_class_search_pins_any_class(opened, reference, qtbot):
    w = opened
    w.classes_panel.search.setText("cock-a-doodle")
    w.classes_panel.search.returnPressed.emit()
    c = ref_index(reference, "Crowing, cock-a-doodle-doo")
    assert c in w.classes_panel.pinned()
    assert c in w.heatmap.shown and c in w.curves.curves
    w.classes_panel.search.setText("Zebra stampede")
    w.classes_panel.search.returnPressed.emit()
    assert "No class named" in w.message()
    w.classes_panel.top_k.setValue(5)
    w.classes_panel.rank_by.setCurrentIndex(w.classes_panel.rank_by.findData("mean"))
    top = [int(i) for i in np.argsort(-reference.mean(), kind="stable")[:5]]
    assert w.heatmap.shown[:5] == top and len(w.heatmap.shown) == 5 + (c not in top)


def ref_index(ref, name):
    return ref.classes.index(name)


def test_double_click_on_a_heat_map_row_toggles_its_curve(opened, qtbot):
    w = opened
    row = 4
    cls = w.heatmap.shown[row]
    assert cls not in w.curves.curves
    w.heatmap.vb.clicked.emit(3.0, row + 0.5, True)
    assert cls in w.classes_panel.curve_classes() and cls in w.curves.curves
    w.heatmap.vb.clicked.emit(3.0, row + 0.5, True)
    assert cls not in w.classes_panel.curve_classes() and cls not in w.curves.curves


def test_another_overlap_analyses_again_and_keeps_the_labels(labelled, qtbot):
    w = labelled
    n = w.session.n
    w.overlap_combo.setCurrentIndex(w.overlap_combo.findData(0.75))
    w.overlap_combo.activated.emit(w.overlap_combo.currentIndex())
    qtbot.waitUntil(lambda: w.session is not None and w.session.complete, timeout=TIMEOUT)
    assert w.session.hop_seconds == pytest.approx(0.24375) and w.session.n > 1.8 * n
    assert len(w.session.labels) == 5 and w.session.metrics() is not None


# -- labels, errors, thresholds ------------------------------------------------------------------------
def test_labels_draw_a_lane_and_fill_the_metrics_table(opened, scape, reference, qtbot):
    w = opened
    # Without the mapping the labels are not class names: imported unmapped, to be mapped in place.
    assert w.import_labels(str(scape.labels_txt))
    assert "3 labels match no model class: map them in the Mapping tab" in w.message()  # rain is a class
    assert w.session.label_classes.count(()) == 3 and w.mapping_panel.table.rowCount() == 5
    assert w.load_mapping(str(scape.mapping_csv))
    assert w.import_labels(str(scape.labels_txt)), w.message()
    assert len(w.label_lane.spans) == 5 and w.label_lane.spans.texts == [s[2] for s in scape.segments]
    truth = truth_for(scape, reference)
    m = metrics.evaluate(reference.scores, truth, 0.3, reference.classes)
    table, averages = w.metrics_panel.model, w.metrics_panel.averages
    assert averages.value(2, "Hits") == int(m.hits.sum()) and averages.value(2, "F.A.") == int(m.false_alarms.sum())
    labelled = m.labelled()
    assert averages.value(0, "F.A.") == sum(int(m.false_alarms[c]) for c in labelled)
    assert averages.value(1, "Recall") == pytest.approx(np.mean([m.recall[c] for c in labelled]))
    for r in range(len(table.rows)):
        c = table.classes[r]
        assert table.value(r, "Hits") == m.hits[c] and table.value(r, "Miss") == m.misses[c]
    assert "5 labels" in w.metrics_panel.summary.text()
    # The error lane shows the classes with errors, coloured per outcome.
    assert w.error_lane.classes and w.error_lane.image.image is not None


def test_n_and_p_jump_by_error_region_listed_in_the_errors_tab(labelled, scape, reference, qtbot):
    w, ref = labelled, reference
    # Labels loaded: the error scope starts at the labelled classes.
    assert w.scope_combo.currentData() == "labelled"
    labelled_classes = sorted({c for cls in w.session.label_classes for c in cls})
    codes = metrics.outcomes(ref.scores, truth_for(scape, ref), 0.3)
    regions = metrics.error_regions(codes, labelled_classes)
    assert len(regions) >= 3
    assert w.regions_panel.model.regions == regions
    w.set_cursor(0.0)
    w.setFocus()
    visited = []
    for _ in range(min(6, len(regions))):
        qtbot.keyClick(w, Qt.Key.Key_N)
        visited.append(w.current_region)
        assert w.cursor_frame == w.current_region.first
        assert w.cursor_time == pytest.approx(ref.centres[w.cursor_frame])
    assert visited == regions[: len(visited)]
    qtbot.keyClick(w, Qt.Key.Key_P)
    assert w.current_region == regions[len(visited) - 2]
    # A long miss is one step: the selection spans the whole region.
    longest = max(regions, key=lambda r: r.frames)
    w.goto_region(longest)
    a, b = w.selection()
    assert b - a == pytest.approx(longest.frames * ref.framing.hop_seconds, abs=ref.framing.window_seconds)
    # All classes: more regions, including the unlabelled parents' false alarms.
    w.scope_combo.setCurrentIndex(w.scope_combo.findData("all"))
    assert w.regions_panel.model.regions == metrics.error_regions(codes)
    # Only the class selected in the metrics table.
    rooster = ref.classes.index("Crowing, cock-a-doodle-doo")
    w.only_selected_action.setChecked(True)
    w.metrics_panel.select_class(rooster)
    only = metrics.error_regions(codes, [rooster])
    assert only and w.regions_panel.model.regions == only
    w.set_cursor(0.0)
    assert w.goto_error(1) == only[0]
    # Clicking a row of the Errors tab goes there.
    w.regions_panel.table.clicked.emit(w.regions_panel.model.index(len(only) - 1, 0))
    assert w.current_region == only[-1] and w.cursor_frame == only[-1].first


def test_metrics_table_sorts_by_any_column(labelled, qtbot):
    w = labelled
    table = w.metrics_panel.table
    f1 = metrics_table_column("F1")
    table.sortByColumn(f1, Qt.SortOrder.DescendingOrder)
    proxy = table.model()
    values = [proxy.index(r, f1).data(metrics_table_sort_role()) for r in range(proxy.rowCount())]
    assert values == sorted(values, reverse=True) and len(values) > 5
    table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
    names = [proxy.index(r, 0).data() for r in range(proxy.rowCount())]
    assert names == sorted(names, key=str.lower)
    # Selecting still names the right class after sorting.
    table.selectRow(0)
    assert w.session.classes[w.metrics_panel.selected_class()] == names[0]


def metrics_table_column(name):
    from yamview.gui.inspector.metrics_table import COLUMNS

    return COLUMNS.index(name)


def metrics_table_sort_role():
    from yamview.gui.inspector.metrics_table import SORT_ROLE

    return SORT_ROLE


def test_clicking_an_event_shows_the_frame_that_produced_it(opened, reference, qtbot):
    w, ref = opened, reference
    qtbot.waitUntil(lambda: w.events_panel.rows() > 0, timeout=TIMEOUT)
    for row in range(min(8, w.events_panel.rows())):
        ev = w.events_panel.model.events[row]
        w.events_panel.table.clicked.emit(w.events_panel.model.index(row, 0))
        assert w.cursor_frame == ev.first
        assert ref.scores[w.cursor_frame, ev.class_index] >= 0.3
        assert ev.class_index in [c for c, _ in w.session.top(w.cursor_frame, 521) if _ >= 0.3]


def test_labels_and_mapping_come_back_when_the_recording_is_reopened(make_inspector, qtbot, scape):
    w = make_inspector()
    assert w.open_file(str(scape.wav), labels=str(scape.labels_txt), mapping=str(scape.mapping_csv))
    qtbot.waitUntil(lambda: w.session is not None and w.session.complete, timeout=TIMEOUT)
    assert len(w.session.labels) == 5 and w.mapping_source == "mapping.csv"
    w.close()
    again = make_inspector()  # a new window, same settings file: as after a restart
    open_and_wait(qtbot, again, scape.wav)
    assert len(again.session.labels) == 5 and again.session.metrics() is not None
    assert again.mapping is not None and set(again.mapping) == set(scape.mapping) - {"Speech"}
    again.clear_labels()
    third = make_inspector()
    open_and_wait(qtbot, third, scape.wav)
    assert not third.session.has_labels  # cleared labels stay cleared


def test_threshold_slider_and_per_class_thresholds_update_the_table(labelled, scape, reference, qtbot, tmp_path):
    w, ref = labelled, reference
    truth = truth_for(scape, ref)
    w.metrics_panel.slider.setValue(60)
    m = metrics.evaluate(ref.scores, truth, 0.6, ref.classes)
    table = w.metrics_panel.model
    averages = w.metrics_panel.averages
    assert averages.value(2, "Hits") == int(m.hits.sum()) and averages.value(2, "Miss") == int(m.misses.sum())
    assert w.curves.threshold.value() == pytest.approx(0.6)
    # Own threshold for Dog, edited in the thresholds table.
    dog = ref.classes.index("Dog")
    row = w.thresholds_panel.row_of(dog)
    assert row is not None
    w.thresholds_panel.table.item(row, 1).setText("0.95")
    thr = np.full(len(ref.classes), 0.6, np.float32)
    thr[dog] = 0.95
    m2 = metrics.evaluate(ref.scores, truth, thr, ref.classes)
    r = table.classes.index(dog)
    assert table.value(r, "Thr") == pytest.approx(0.95)
    assert table.value(r, "Hits") == m2.hits[dog] and table.value(r, "Miss") == m2.misses[dog]
    # A bad value is refused with a message, the threshold stays.
    w.thresholds_panel.table.item(row, 1).setText("1.7")
    assert "not a threshold" in w.thresholds_panel.error.text() and w.session.overrides[dog] == pytest.approx(0.95)
    # Save, reset, load: the same per-class thresholds come back.
    path = tmp_path / "thr.csv"
    assert w.save_thresholds(str(path))
    w._reset_thresholds()
    assert not w.session.overrides
    assert w.load_thresholds(str(path))
    assert w.session.overrides == {dog: pytest.approx(0.95)}
    bad = tmp_path / "bad_thr.csv"
    bad.write_text("class,threshold\nDog,2\n")
    assert not w.load_thresholds(str(bad)) and "outside [0, 1]" in w.message()
    assert w.session.overrides == {dog: pytest.approx(0.95)}


def test_events_follow_the_detector_settings(opened, reference, qtbot):
    w = opened
    qtbot.waitUntil(w.events_current, timeout=TIMEOUT)
    from yamview.core.events import events_from_analysis

    expected = events_from_analysis(reference, 0.3)
    assert len(w.session.events()) == len(expected)
    assert len(w.event_lane.spans) > 0 and w.events_panel.rows() == len(expected)
    w.events_panel.min_duration.setValue(3.0)
    qtbot.waitUntil(w.events_current, timeout=TIMEOUT)
    longer = events_from_analysis(reference, 0.3, min_duration=3.0)
    assert w.events_panel.rows() == len(longer) < len(expected)
    assert all(e.duration >= 3.0 - 1e-9 for e in w.session.events())


def test_bad_label_files_give_one_message_and_change_nothing(labelled, tmp_path):
    w = labelled
    before = list(w.session.labels)
    spans = list(w.label_lane.spans.texts)
    bad = {
        "missing_columns.txt": ("Selection\tBegin Time (s)\tNotes\n1\t0.5\tx\n", "raven", "missing column"),
        "negative.txt": ("-1.0\t2.0\tSpeech\n", None, "negative start time"),
        "backwards.txt": ("3.0\t2.0\tSpeech\n", None, "before start time"),
        "latin1.txt": (b"1.0\t2.0\tCaf\xe9\n", None, "not UTF-8"),
        "empty.txt": ("", None, "empty"),
    }
    for name, (content, fmt, words) in bad.items():
        path = tmp_path / name
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
        assert not w.import_labels(str(path), fmt=fmt), name
        assert words in w.message() and name in w.message() and "Nothing was changed" in w.message(), w.message()
        assert w.session.labels == before and w.label_lane.spans.texts == spans
    assert not w.load_mapping(str(tmp_path / "missing_mapping.csv"))
    assert "no such file" in w.message()
    # Unknown label text is no error: it is imported unmapped, for the Mapping tab.
    unknown = tmp_path / "unknown.txt"
    unknown.write_text("1.0\t2.0\tUnicorn song\n")
    assert w.import_labels(str(unknown)) and w.session.label_classes == [()]
    assert "1 labels match no model class" in w.message() and w.mapping_panel.keys == ["unicorn song"]


def test_raven_table_with_its_own_label_column(opened, tmp_path):
    w = opened
    path = tmp_path / "raven.txt"
    path.write_text("Selection\tView\tChannel\tBegin Time (s)\tEnd Time (s)\tSpecies\n"
                    "1\tSpectrogram 1\t1\t10.5\t14.0\tSpeech\n", encoding="utf-8")
    assert not w.import_labels(str(path))  # the default column, Annotation, is missing
    assert "Annotation" in w.message()
    assert w.import_labels(str(path), column="Species"), w.message()
    assert [l.text for l in w.session.labels] == ["Speech"] and len(w.label_lane.spans) == 1


# -- exports ---------------------------------------------------------------------------------------------
def test_exports_write_files(labelled, reference, tmp_path):
    w, ref = labelled, reference
    out = tmp_path / "out"
    out.mkdir()
    assert w.export("csv", str(out / "all.csv"))
    rows = list(csv.reader(open(out / "all.csv", encoding="utf-8")))
    assert len(rows) == ref.n_frames + 1 and len(rows[0]) == 2 + len(ref.classes)
    assert w.export("csv", str(out / "shown.csv"), shown_only=True)
    header = next(csv.reader(open(out / "shown.csv", encoding="utf-8")))
    assert set(header[2:]) == {ref.classes[c] for c in set(w.shown_classes()) | set(w.curve_classes())}
    assert w.export("json", str(out / "a.json"))
    back, labels = export.read_json(out / "a.json")
    np.testing.assert_array_equal(back.scores, w.session.scores)
    assert len(labels) == 5 and json.loads((out / "a.json").read_text())["model"]["sha256"] == ref.model_sha256
    assert w.export("audacity", str(out / "ev.txt"))
    assert len(labels_io.read_audacity(out / "ev.txt")) == len(w.session.events())
    assert w.export("raven", str(out / "ev.selections.txt"))
    raven = labels_io.read_raven(out / "ev.selections.txt")
    assert [l.text for l in raven] == [e.class_name for e in w.session.events()]
    assert w.export("metrics", str(out / "metrics.csv"))
    mrows = list(csv.DictReader(open(out / "metrics.csv", encoding="utf-8")))
    assert {r["class"] for r in mrows} == {ref.classes[c] for c in w.session.metrics().relevant()}
    assert w.export_png(str(out / "views.png"))
    data = (out / "views.png").read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000
    assert not list(out.glob(".*.tmp"))  # atomic writes leave no temporaries
    # A folder that does not exist: one message, nothing written.
    assert not w.export("json", str(tmp_path / "nowhere" / "a.json"))
    assert "Cannot write" in w.message()


# -- cache, cancel ------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def long_file(scape, tmp_path_factory):
    """~8 minutes (the soundscape 20 times): long enough to cancel mid-analysis."""
    import soundfile as sf

    x, rate = sf.read(scape.wav, dtype="float32")
    path = tmp_path_factory.mktemp("long") / "long.flac"
    sf.write(path, np.tile(x, 20), rate, subtype="PCM_16")
    return path


def test_cancel_leaves_no_cache_entry_and_reopening_hits_the_cache(make_inspector, qtbot, long_file, cache_dir):
    w = make_inspector()
    assert w.open_file(str(long_file))
    qtbot.waitUntil(lambda: w.session is not None and w.session.n > 20, timeout=TIMEOUT)
    assert w.progress.isVisible() and w.cancel_button.isVisible() and w.analysing
    w.cancel_button.click()
    # The thread ends before its "cancelled" signal reaches the GUI thread: wait for both.
    qtbot.waitUntil(lambda: not w.analysing and "cancelled" in w.status_label.text(), timeout=TIMEOUT)
    assert not w.session.complete
    assert w.session.n < w.session.expected
    assert not cache_dir.exists() or not list(cache_dir.iterdir())  # no entry, no overview, no temporary
    assert not any(a.isEnabled() for a in w.export_actions)
    # Analyse it for real: the entry appears; a new window then reads it instead of analysing.
    s = open_and_wait(qtbot, w, long_file)
    assert not w.info.from_cache
    assert len(list(cache_dir.glob("*.npz"))) == 2  # scores + overview
    w2 = make_inspector()
    s2 = open_and_wait(qtbot, w2, long_file)
    assert w2.info.from_cache and w2.analysis_s < 5.0
    np.testing.assert_array_equal(s2.scores, s.scores)
    assert w2.spectrogram.image.image is not None and w2.waveform.curve.getData()[0] is not None


def test_bad_audio_file_changes_nothing(opened, tmp_path):
    w = opened
    session = w.session
    bad = tmp_path / "notes.wav"
    bad.write_text("not audio\n" * 50)
    assert not w.open_file(str(bad))
    assert "Cannot open notes.wav" in w.message() and "Nothing was changed" in w.message()
    assert w.session is session and w.session.complete


# -- playback -----------------------------------------------------------------------------------------
def test_playback_moves_the_cursor_and_a_selection_loops(opened, qtbot):
    w = opened
    assert w.play_from(4.0)
    qtbot.waitUntil(lambda: w.cursor_time > 4.3, timeout=10_000)
    assert w.player.playing and w.play_button.text().startswith("❚❚")
    w.toggle_play()
    assert not w.player.playing
    paused = w.cursor_time
    qtbot.wait(300)
    assert w.cursor_time == pytest.approx(paused, abs=0.05)
    # A selection, looped: the cursor stays inside and wraps around.
    w.loop_box.setChecked(True)
    w.set_selection(10.0, 10.6)
    w.play_selection()
    seen = []
    for _ in range(60):
        qtbot.wait(30)
        seen.append(w.cursor_time)
    w.toggle_play()
    assert all(9.99 <= t <= 10.65 for t in seen), seen
    assert any(b < a for a, b in zip(seen, seen[1:]))  # wrapped at least once
    # Without loop, the selection plays once and stops at its end.
    w.loop_box.setChecked(False)
    w.play_selection()
    qtbot.waitUntil(lambda: not w.player.playing, timeout=5000)
    assert w.cursor_time == pytest.approx(10.6, abs=0.05)


# -- ways in ------------------------------------------------------------------------------------------
def _drop(w, path):
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    w.dropEvent(QDropEvent(QPointF(100, 100), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                           Qt.KeyboardModifier.NoModifier))


def test_drop_a_recording_then_its_labels(make_inspector, qtbot, scape):
    w = make_inspector()
    _drop(w, scape.wav)
    qtbot.waitUntil(lambda: w.session is not None and w.session.complete, timeout=TIMEOUT)
    assert w.load_mapping(str(scape.mapping_csv))
    _drop(w, scape.labels_txt)
    assert len(w.session.labels) == 5 and len(w.label_lane.spans) == 5


def test_main_window_opens_an_inspector(qapp, qtbot, tmp_path, scape):
    from yamview.gui.app import Windows

    make_app()
    windows = Windows(Settings(tmp_path / "main.ini"), output_device="none")
    main = windows.live()
    qtbot.addWidget(main)
    from PySide6.QtGui import QAction

    actions = [a for a in main.findChildren(QAction) if a.shortcut().toString() == "Ctrl+I"]
    assert [a.text() for a in actions] == ["&Inspect a recording…"]
    inspector = main.open_inspector(str(scape.wav))
    try:
        qtbot.waitUntil(lambda: inspector.session is not None and inspector.session.complete, timeout=TIMEOUT)
        assert inspector.isVisible() and inspector in windows.inspectors
    finally:
        inspector.close()
        main.close()


def test_yamview_file_opens_the_inspector(qapp, qtbot, monkeypatch, scape):
    """`yamview FILE` -> run_app(FILE): the inspector, analysing FILE (event loop stubbed)."""
    import sys

    from PySide6.QtWidgets import QApplication

    from yamview.gui import app as app_module

    monkeypatch.setattr(app_module, "setup_logging", lambda debug=False: app_module.log_dir() / "test.log")
    monkeypatch.setattr(app_module, "install_qt_message_handler", lambda: None)
    monkeypatch.setattr(QApplication, "exec", lambda self: 0)
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    assert app_module.run_app(str(scape.wav)) == 0
    windows = [x for x in QApplication.topLevelWidgets() if isinstance(x, InspectorWindow) and x.isVisible()]
    assert windows and windows[-1].path == str(scape.wav)
    for x in windows:
        qtbot.waitUntil(lambda: not x.analysing, timeout=TIMEOUT)
        x.close()


def test_live_view_from_the_inspector(qapp, qtbot, tmp_path):
    from yamview.gui.app import Windows
    from yamview.gui.inspector import InspectorWindow
    from yamview.gui.main_window import MainWindow
    from yamview.gui.settings import Settings

    windows = Windows(Settings(tmp_path / "i.ini"), output_device="none")
    insp = InspectorWindow(windows.settings, output_device="none", show_live=windows.live)
    qtbot.addWidget(insp)
    insp.show()
    live = insp.show_live_view()
    qtbot.addWidget(live)
    assert isinstance(live, MainWindow) and live.isVisible()
    assert insp.show_live_view() is live  # raised, not duplicated
    live.close()


def test_a_file_that_resamples_to_nothing_says_too_short(make_inspector, qtbot, tmp_path):
    import soundfile as sf

    path = tmp_path / "one.wav"
    sf.write(path, np.full(1, 0.5, np.float32), 48000)  # one sample at 48 kHz: none at 16 kHz
    w = make_inspector()
    w.open_file(str(path))
    qtbot.waitUntil(lambda: "too short" in w.message(), timeout=TIMEOUT)
    assert "no audio samples at the model's 16000 Hz" in w.message()
    assert w.status_label.text() == "Analysis failed"
    for _ in range(20):  # the timers keep running: nothing may divide by the zero frames
        qtbot.wait(20)


def test_menus_every_entry_connected_and_export_menu_is_the_format_table(labelled, tmp_path, monkeypatch):
    """Each menu entry does something; the Export menu has one entry per row of export.FORMATS
    (plus the shown-classes variants), and choosing one writes that format where the user says."""
    from PySide6.QtCore import QMetaMethod
    from PySide6.QtWidgets import QFileDialog

    w = labelled
    menus = {a.text(): a.menu() for a in w.menuBar().actions()}
    entries = [a for m in menus.values() for a in m.actions() if a.text()]
    triggered = QMetaMethod.fromSignal(entries[0].triggered)
    assert len(entries) >= 15 and [a.text() for a in entries if not a.isSignalConnected(triggered)] == []
    in_menu = {a.text(): a for a in menus["&Export"].actions() if a.text()}
    rows = [f.menu for f in export.FORMATS] + [f.shown_menu for f in export.FORMATS if f.shown_menu]
    assert [r for r in rows if r not in in_menu] == []
    for fmt in export.FORMATS:
        target = tmp_path / f"from-menu.{fmt.suffix}"
        monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, t=target, **k: (str(t), ""))
        in_menu[fmt.menu].trigger()
        assert target.is_file() and target.stat().st_size > 0, (fmt.key, w.message())


def test_export_onto_the_recording_or_its_labels_is_refused(opened, scape, tmp_path):
    w = opened
    before = scape.wav.read_bytes()
    assert not w.export("csv", path=str(scape.wav))
    assert "is the recording; an export never overwrites an input" in w.message()
    assert scape.wav.read_bytes() == before
    labels = tmp_path / "truth.txt"
    labels.write_text(scape.labels_txt.read_text())
    assert w.load_mapping(str(scape.mapping_csv)), w.message()
    assert w.import_labels(str(labels)), w.message()
    assert not w.export("audacity", path=str(labels))
    assert "is the labels file" in w.message()
    assert labels.read_text() == scape.labels_txt.read_text()
    assert w.export("audacity", path=str(tmp_path / "events.txt"))


def test_the_cache_bound_and_its_policy_are_shown(opened, cache_dir):
    w = opened
    from yamview.core import cache

    u = cache.usage()
    assert u.files >= 1 and u.folder == cache_dir
    assert w.cache_label.text() == f"Cache {u.bytes / 2**20:.0f} of {u.limit / 2**20:.0f} MB"
    tip = w.cache_label.toolTip()
    assert "least recently used are removed" in tip and cache.MAX_ENV_VAR in tip and str(cache_dir) in tip
