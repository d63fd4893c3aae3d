"""Label tracks: Audacity, Raven, CSV in; Audacity, Raven out; class mapping; bad files."""

from __future__ import annotations

import pytest

from yamview.core.labels_io import (
    Label, LabelError, detect_format, map_labels, read_audacity, read_csv_labels, read_labels,
    read_mapping, read_raven, write_audacity, write_raven,
)

CLASSES = ["Speech", "Dog", "Bark", "Rain", "Chicken, rooster", "Crying, sobbing"]


def write(path, text, encoding="utf-8"):
    path.write_bytes(text.encode(encoding) if isinstance(text, str) else text)
    return path


def triples(labels):
    return [(l.start, l.end, l.text) for l in labels]


def test_audacity_point_labels_frequency_rows_and_spaces(tmp_path):
    p = write(tmp_path / "a.txt", "0.5\t1.25\tdog bark\n\\\t100.0\t2000.0\n3\t3\tclick\n\n4.0\t5.5\t\n")
    assert triples(read_audacity(p)) == [(0.5, 1.25, "dog bark"), (3.0, 3.0, "click"), (4.0, 5.5, "")]
    assert [l.line for l in read_audacity(p)] == [1, 3, 5]
    # Hand-written with spaces instead of tabs; a BOM from Windows editors is fine too.
    q = write(tmp_path / "b.txt", "\ufeff1 2 Speech here\n")
    assert triples(read_audacity(q)) == [(1.0, 2.0, "Speech here")]


def test_raven_default_and_chosen_column_one_row_per_selection(tmp_path):
    text = ("Selection\tView\tChannel\tBegin Time (s)\tEnd Time (s)\tLow Freq (Hz)\tHigh Freq (Hz)\tAnnotation\tSpecies\n"
            "1\tWaveform 1\t1\t0.1\t0.9\t0\t8000\tdog\tCanis\n"
            "1\tSpectrogram 1\t1\t0.1\t0.9\t0\t8000\tdog\tCanis\n"
            "2\tSpectrogram 1\t1\t2.0\t3.5\t0\t8000\train\t\n")
    p = write(tmp_path / "t.selections.txt", text)
    assert triples(read_raven(p)) == [(0.1, 0.9, "dog"), (2.0, 3.5, "rain")]
    assert triples(read_raven(p, column="Species")) == [(0.1, 0.9, "Canis"), (2.0, 3.5, "")]
    assert detect_format(p) == "raven"
    assert triples(read_labels(p, column="Species"))[0] == (0.1, 0.9, "Canis")


def test_csv_with_and_without_header(tmp_path):
    plain = write(tmp_path / "p.csv", '0,1.5,Speech\n2,3,"Chicken, rooster"\n')
    assert triples(read_csv_labels(plain)) == [(0.0, 1.5, "Speech"), (2.0, 3.0, "Chicken, rooster")]
    headed = write(tmp_path / "h.csv", "label,end,start\nDog,4,3\n")
    assert triples(read_csv_labels(headed)) == [(3.0, 4.0, "Dog")]
    assert detect_format(plain) == "csv" and detect_format(headed) == "csv"
    assert detect_format(write(tmp_path / "x.txt", "1\t2\tDog\n")) == "audacity"


def test_mapping_by_name_and_by_table(tmp_path):
    labels = [Label(0, 1, "speech"), Label(1, 2, "Dog bark"), Label(2, 3, "DOG")]
    m = write(tmp_path / "map.csv", 'label,class\ndog bark,Dog\nDog Bark,bark\ndog bark,Dog\n')
    mapping = read_mapping(m, CLASSES)
    assert mapping == {"dog bark": [1, 2]}  # several rows per label; duplicates collapse
    assert map_labels(labels, CLASSES, mapping) == [(0,), (1, 2), (1,)]
    # The table wins over a same-named class: map "Rain" to Speech and it is Speech.
    assert map_labels([Label(0, 1, "rain")], CLASSES, {"Rain": [0]}) == [(0,)]


def test_mapping_errors_name_file_and_line(tmp_path):
    bad = write(tmp_path / "m.csv", "label,class\ndog,Dog\ncock,Chicken, rooster\n")
    with pytest.raises(LabelError, match=r"m\.csv, line 3: expected label,class, got 3 columns \(quote"):
        read_mapping(bad, CLASSES)
    bad = write(tmp_path / "m.csv", "dog,Wolf\n")
    with pytest.raises(LabelError, match=r"m\.csv, line 1: 'Wolf' is not a model class"):
        read_mapping(bad, CLASSES)


def test_unknown_labels_reported_with_line_and_names(tmp_path):
    p = write(tmp_path / "u.txt", "0\t1\tSpeech\n1\t2\tdoggo\n2\t3\tkitty\n3\t4\tdoggo\n")
    with pytest.raises(LabelError) as e:
        map_labels(read_audacity(p), CLASSES, source=p)
    msg = str(e.value)
    assert msg.startswith(f"{p}, line 2: label 'doggo' matches no model class")
    assert "2 unknown labels: 'doggo', 'kitty'" in msg and "mapping CSV" in msg


RAVEN_HEAD = "Selection\tView\tChannel\tBegin Time (s)\tEnd Time (s)\tAnnotation\n"
BAD_FILES = [
    # (name, format, content, expected message fragment)
    ("missing_col.txt", "raven", "Selection\tBegin Time (s)\tAnnotation\n1\t0.5\tdog\n",
     "line 1: missing column 'End Time (s)' (columns are: Selection, Begin Time (s), Annotation)"),
    ("missing_label_col.txt", "raven", RAVEN_HEAD.replace("Annotation", "Notes") + "1\tS\t1\t0\t1\tdog\n",
     "line 1: missing column 'Annotation'"),
    ("missing_csv.csv", "csv", "start,label\n0,dog\n", "line 1: missing column end"),
    ("one_col.txt", "audacity", "0\t1\tdog\n2.5\n", "line 2: expected start<TAB>end<TAB>label, got '2.5'"),
    ("negative.txt", "audacity", "0\t1\tdog\n-0.5\t1\tdog\n", "line 2: negative start time -0.5 s"),
    ("negative_raven.txt", "raven", RAVEN_HEAD + "1\tS\t1\t0\t-2\tdog\n", "line 2: negative end time -2 s"),
    ("backwards.csv", "csv", "0,1,dog\n5,4,dog\n", "line 2: end time 4 s is before start time 5 s"),
    ("not_number.txt", "audacity", "0\tabc\tdog\n", "line 1: end time 'abc' is not a number of seconds"),
    ("nan.txt", "audacity", "nan\t1\tdog\n", "line 1: start time 'nan' is not a finite time"),
    ("latin1.txt", "audacity", "0\t1\tdog\n1\t2\tc\u00e9line\n".encode("latin-1"),
     "line 2: not UTF-8 text (byte 0xe9)"),
    ("empty.txt", "audacity", "", "the file is empty"),
    ("blank.csv", "csv", "  \n\n", "the file is empty"),
    ("header_only.txt", "raven", RAVEN_HEAD, "no labels in the file"),
]


@pytest.mark.parametrize("name,fmt,content,needle", BAD_FILES, ids=[b[0] for b in BAD_FILES])
def test_bad_files_one_clear_message(tmp_path, name, fmt, content, needle):
    p = write(tmp_path / name, content)
    before = p.read_bytes()
    with pytest.raises(LabelError) as e:
        read_labels(p, fmt)
    msg = str(e.value)
    assert needle in msg and msg.startswith(str(p)), msg
    assert "\n" not in msg  # one message, one line
    assert p.read_bytes() == before and sorted(tmp_path.iterdir()) == [p]  # nothing changed
    with pytest.raises(LabelError) as auto:  # detecting the format gives the same message
        read_labels(p)
    assert str(auto.value) == msg


def test_missing_file(tmp_path):
    with pytest.raises(LabelError, match="no such file"):
        read_labels(tmp_path / "nope.txt")


def test_audacity_and_raven_writers_round_trip(tmp_path):
    labels = [Label(0.0, 1.5, "Speech"), Label(2.25, 2.25, "Bark"), Label(3.0, 10.125, "Chicken, rooster"),
              Label(11.0, 12.0, "tab\tinside")]
    write_audacity(tmp_path / "a.txt", labels)
    back = read_audacity(tmp_path / "a.txt")
    assert triples(back) == triples(labels[:3]) + [(11.0, 12.0, "tab inside")]
    write_raven(tmp_path / "r.txt", labels, scores=[0.9, 0.5, 0.25, 1.0])
    header, first = (tmp_path / "r.txt").read_text().splitlines()[:2]
    assert header == ("Selection\tView\tChannel\tBegin Time (s)\tEnd Time (s)\tLow Freq (Hz)\t"
                      "High Freq (Hz)\tAnnotation\tScore")
    assert first.split("\t")[-1] == "0.900000"
    assert triples(read_raven(tmp_path / "r.txt")) == triples(back)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt", "r.txt"]  # no temp files left


def test_raven_boxes_span_the_given_band(tmp_path):
    labels = [Label(0.5, 1.5, "Dog"), Label(2.0, 2.0, "Bark")]
    write_raven(tmp_path / "r.txt", labels, band=(0, 22050))
    rows = [line.split("\t") for line in (tmp_path / "r.txt").read_text().splitlines()]
    low, high = rows[0].index("Low Freq (Hz)"), rows[0].index("High Freq (Hz)")
    assert [(r[low], r[high]) for r in rows[1:]] == [("0", "22050"), ("0", "22050")]
    assert read_raven(tmp_path / "r.txt") == labels


def test_labels_outside_the_file_are_reported(tmp_path):
    from yamview.core.labels_io import outside_warnings

    path = tmp_path / "t.txt"
    path.write_text("1\t2\tdog\n79\t84\train\n90\t95\tsiren\n96\t99\tsiren\n", encoding="utf-8")
    labels = read_audacity(path)
    warn = outside_warnings(labels, 82.0, path)
    assert len(warn) == 2
    assert warn[0].startswith("2 labels start at or after the end of the file (82.00 s)") and "line 3" in warn[0]
    assert warn[1].startswith("1 label run past the end") and "'rain' 79-84 s" in warn[1]
    assert outside_warnings(labels[:1], 82.0, path) == []


def test_any_of_mapping_reads_and_writes_back(tmp_path):
    from yamview.core.labels_io import AnyOf, write_mapping

    classes = ["Dog", "Bark", "Chicken, rooster", "Rain"]
    path = tmp_path / "m.csv"
    path.write_text('label,class\ndog,Dog | Bark\nrooster,"Chicken, rooster"\nwet,Rain\nwet,Bark\n', encoding="utf-8")
    mapping = read_mapping(path, classes)
    assert isinstance(mapping["dog"], AnyOf) and tuple(mapping["dog"]) == (0, 1)
    assert mapping["wet"] == [3, 1] and not isinstance(mapping["wet"], AnyOf)
    out = map_labels([Label(0, 1, "Rain"), Label(0, 1, "dog"), Label(1, 2, "wet")], classes, mapping)
    assert out[0] == (3,) and isinstance(out[1], AnyOf) and out[2] == (3, 1)
    write_mapping(tmp_path / "back.csv", mapping, classes)
    assert read_mapping(tmp_path / "back.csv", classes) == mapping
    path.write_text("dog,Dog | Wolf\n", encoding="utf-8")
    with pytest.raises(LabelError, match="line 1: 'Wolf' is not a model class"):
        read_mapping(path, classes)
