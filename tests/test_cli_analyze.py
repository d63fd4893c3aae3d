"""`yamview analyze`: summary, events, metrics, exports, the cache, and bad inputs."""

from __future__ import annotations

import csv

import numpy as np
import pytest

from yamview.cli import main
from yamview.core import analysis as analysis_module
from yamview.core import cache, export
from yamview.core.audio import AudioFile
from yamview.core.labels_io import read_audacity, read_raven



@pytest.fixture
def cdir(tmp_path, monkeypatch):
    d = tmp_path / "cache"
    monkeypatch.setenv(cache.ENV_VAR, str(d))
    return d


def run(capsys, *args):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def test_full_run_prints_and_exports(capsys, cdir, tmp_path, scape):
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    code, out, err = run(
        capsys, "analyze", scape.wav, "--labels", scape.labels_txt, "--mapping", scape.mapping_csv,
        "--metrics", "--threshold", "0.4", "--export-csv", out_dir / "s.csv", "--export-json", out_dir / "a.json",
        "--export-audacity", out_dir / "e.txt", "--export-raven", out_dir / "e.selections.txt",
        "--export-metrics", out_dir / "m.csv")
    assert code == 0, err
    assert "49 frames" in out and "hop 0.4875 s" in out
    assert "events (" in out and "metrics per class" in out and "micro-average" in out
    metric_lines = {l.rsplit("  ", 1)[-1]: l.split() for l in out.splitlines() if l.startswith("  0.400")}
    assert int(metric_lines["Speech"][1]) >= 8  # hits column
    assert sorted(p.name for p in out_dir.iterdir()) == ["a.json", "e.selections.txt", "e.txt", "m.csv", "s.csv"]
    a, labels = export.read_json(out_dir / "a.json")
    assert [(l.start, l.end, l.text) for l in labels] == scape.segments
    aud, rav = read_audacity(out_dir / "e.txt"), read_raven(out_dir / "e.selections.txt")
    assert [l.text for l in aud] == [l.text for l in rav] and "Speech" in {l.text for l in aud}
    event_lines = out.split("events (")[1].split("metrics per class")[0].strip().splitlines()[2:]
    assert len(event_lines) == len(aud)
    assert len(list(csv.reader(open(out_dir / "s.csv")))) == 1 + a.n_frames
    assert any(r["class"] == "Speech" for r in csv.DictReader(open(out_dir / "m.csv")))
    assert len(list(cdir.iterdir())) == 1  # the result was cached


def test_second_run_comes_from_cache(capsys, cdir, scape, monkeypatch):
    code, first, _ = run(capsys, "analyze", scape.wav, "--threshold", "0.5")
    assert code == 0

    def no_analysis(*a, **k):
        raise AssertionError("analysed again despite the cache")

    monkeypatch.setattr(cache, "analyze", no_analysis)  # the one cached-analysis flow
    code, second, _ = run(capsys, "analyze", scape.wav, "--threshold", "0.5")
    assert code == 0 and second == first
    with pytest.raises(AssertionError, match="analysed again"):  # another hop: a miss
        main(["analyze", str(scape.wav), "--hop", "0.25"])


def test_per_class_thresholds_file(capsys, cdir, tmp_path, scape):
    thr = tmp_path / "thr.csv"
    thr.write_text("class,threshold\nSpeech,1.0\n")
    code, out, _ = run(capsys, "analyze", scape.wav, "--thresholds", thr, "--threshold", "0.5", "--no-cache")
    events = out.split("events (")[1]
    assert code == 0 and "per-class CSV" in out
    assert " Speech\n" not in events and "Dog" in events
    assert not cdir.exists()  # --no-cache writes nothing


@pytest.mark.parametrize("content,needle", [
    ("0\t1\tSpeech\n2\t1\tSpeech\n", "line 2: end time 1 s is before start time 2 s"),
    ("0\t1\tSpeech\n-1\t1\tSpeech\n", "line 2: negative start time"),
    ("0\t1\tSpeech\n1\t2\tnot a sound class\n", "line 2: label 'not a sound class' matches no model class"),
    (b"0\t1\tSpeech\n1\t2\tb\xe9b\xe9\n", "line 2: not UTF-8"),
    ("", "the file is empty"),
])
def test_bad_labels_fail_before_any_work(capsys, cdir, tmp_path, scape, content, needle):
    bad = tmp_path / "truth.txt"
    bad.write_bytes(content.encode() if isinstance(content, str) else content)
    out_csv = tmp_path / "scores.csv"
    code, out, err = run(capsys, "analyze", scape.wav, "--labels", bad, "--metrics", "--export-csv", out_csv)
    assert code == 1
    assert err.strip().count("\n") == 0 and needle in err and str(bad) in err  # one clear line
    assert out == "" and not out_csv.exists() and not cdir.exists()  # nothing changed


def test_bad_raven_column_and_mapping(capsys, cdir, tmp_path, scape):
    raven = tmp_path / "t.txt"
    raven.write_text("Selection\tBegin Time (s)\tEnd Time (s)\tSpecies\n1\t0\t5\tdoggo\n")
    code, _, err = run(capsys, "analyze", scape.wav, "--labels", raven)
    assert code == 1 and "missing column 'Annotation'" in err
    code, out, err = run(capsys, "analyze", scape.wav, "--labels", raven, "--label-column", "Species",
                         "--mapping", scape.mapping_csv, "--no-cache")
    assert code == 1 and "label 'doggo' matches no model class" in err
    mapping = tmp_path / "map.csv"
    mapping.write_text("doggo,Dog\n")
    code, out, err = run(capsys, "analyze", scape.wav, "--labels", raven, "--label-column", "Species",
                         "--label-format", "raven", "--mapping", mapping, "--metrics", "--no-cache")
    assert code == 0, err
    dog = next(l for l in out.splitlines() if l.endswith("  Dog") and l.startswith("  0.300"))
    assert int(dog.split()[1]) + int(dog.split()[2]) == 10  # labelled frames of the 0-5 s label


def test_usage_errors(capsys, cdir, scape, tmp_path):
    code, _, err = run(capsys, "analyze", scape.wav, "--metrics")
    assert code == 2 and "--metrics" in err
    with pytest.raises(SystemExit) as e:
        main(["analyze", str(scape.wav), "--hop", "0.001"])
    assert e.value.code == 2
    with pytest.raises(SystemExit) as e:
        main(["analyze", str(scape.wav), "--threshold", "2"])
    assert e.value.code == 2
    code, _, err = run(capsys, "analyze", tmp_path / "missing.wav")
    assert code == 1 and "cannot read" in err
    code, _, err = run(capsys, "analyze", scape.wav, "--export-csv", tmp_path / "no" / "dir" / "x.csv")
    assert code == 1 and "cannot write" in err


def test_json_export_matches_fresh_analysis(capsys, cdir, tmp_path, audio_dir, model):
    code, _, _ = run(capsys, "analyze", audio_dir / "speech.wav", "--export-json", tmp_path / "s.json")
    assert code == 0
    a, _ = export.read_json(tmp_path / "s.json")
    fresh = analysis_module.analyze(AudioFile(audio_dir / "speech.wav"), model).result()
    assert np.array_equal(a.scores, fresh.scores)


def test_metrics_print_labelled_averages_and_lenient_counts(capsys, cdir, scape):
    code, out, err = run(capsys, "analyze", scape.wav, "--labels", scape.labels_txt, "--mapping",
                         scape.mapping_csv, "--metrics")
    assert code == 0, err
    lines = out.splitlines()
    labelled = next(l for l in lines if "(labelled classes (9), micro-average)" in l).split()
    everything = next(l for l in lines if "(all classes, micro-average)" in l).split()
    assert next(l for l in lines if "(labelled classes, macro-average)" in l)
    # hits are the same, the false alarms of unlabelled parents only count in "all classes"
    assert labelled[0] == everything[0] and int(labelled[2]) < int(everything[2])
    assert float(labelled[3]) > float(everything[3])  # precision
    assert "len." in out and "ancestor or descendant" in out
    animal = next(l for l in lines if l.startswith("  0.300") and l.endswith("  Animal")).split()
    assert int(animal[3]) > 0 and int(animal[9]) > 0  # false alarms, some explained by a labelled child


def test_json_records_event_settings_and_mapping_raven_spans_the_band(capsys, cdir, tmp_path, scape):
    import json

    th = tmp_path / "thr.csv"
    th.write_text("class,threshold\nDog,0.6\n", encoding="utf-8")
    code, _, err = run(capsys, "analyze", scape.wav, "--labels", scape.labels_txt, "--mapping", scape.mapping_csv,
                       "--threshold", "0.35", "--thresholds", th, "--smooth", "3", "--min-duration", "0.5",
                       "--merge-gap", "1.0", "--export-json", tmp_path / "a.json", "--export-raven", tmp_path / "r.txt")
    assert code == 0, err
    settings = json.loads((tmp_path / "a.json").read_text())["settings"]
    assert settings["threshold"] == 0.35 and settings["class_thresholds"] == {"Dog": pytest.approx(0.6)}
    assert (settings["smoothing_frames"], settings["min_duration_s"], settings["merge_gap_s"]) == (3, 0.5, 1.0)
    assert settings["mapping"]["dog bark"] == {"all_of": ["Dog", "Bark"]}
    rows = (tmp_path / "r.txt").read_text().splitlines()
    assert all(r.split("\t")[5:7] == ["0", "8000"] for r in rows[1:])  # a 16 kHz file: 0 to 8 kHz


def test_labels_past_the_end_warn(capsys, cdir, tmp_path, scape):
    truth = tmp_path / "t.txt"
    truth.write_text(scape.labels_txt.read_text() + "30\t35\tSpeech\n", encoding="utf-8")
    code, _, err = run(capsys, "analyze", scape.wav, "--labels", truth, "--mapping", scape.mapping_csv)
    assert code == 0
    assert "warning: 1 label start at or after the end of the file" in err and "line 7" in err


def test_compare_prints_agreement_time_and_deltas(capsys, cdir, scape, model_path, tmp_path):
    code, out, err = run(capsys, "analyze", scape.wav, "--labels", scape.labels_txt, "--mapping",
                         scape.mapping_csv, "--compare", model_path, "--kernels", "fast")
    assert code == 0, err
    assert "top-1 agreement 1.000" in out and "time per frame A" in out
    assert "dF1" in out and next(l for l in out.splitlines() if l.endswith("  Speech") and "+0.000" in l)
    code, _, err = run(capsys, "analyze", scape.wav, "--compare", tmp_path / "missing.tflite")
    assert code == 1 and "cannot load --compare model" in err


def test_compare_at_another_hop(capsys, cdir, scape, model_path):
    code, out, err = run(capsys, "analyze", scape.wav, "--labels", scape.labels_txt, "--mapping",
                         scape.mapping_csv, "--compare", model_path, "--compare-hop", "0.3")
    assert code == 0, err
    assert "B scored other frames" in out and "every 0.3 s" in out
    agreement = float(out.split("top-1 agreement ")[1].split(";")[0])
    assert 0.6 < agreement < 1.0
    with pytest.raises(SystemExit) as e:
        run(capsys, "analyze", scape.wav, "--compare", model_path, "--compare-hop", "0")
    assert e.value.code == 2 and "--compare-hop" in capsys.readouterr().err
