"""`yamview calibrate` on real labelled soundscapes, `classify --model` on its export, bad inputs."""

from __future__ import annotations

import csv

import numpy as np
import pytest
import soundscape

from yamview.cli import main
from yamview.core import cache
from yamview.core.analysis import analyze
from yamview.core.audio import AudioFile
from yamview.core.model import Model
from yamview.core.tflite import read_audio_model_metadata


@pytest.fixture(scope="module")
def labelled(corpus_dir, tmp_path_factory):
    wavs, mapping = soundscape.build_labelled_set(corpus_dir, tmp_path_factory.mktemp("cli") / "set",
                                                  recordings=3, seed=7)
    return wavs[0].parent, mapping


@pytest.fixture(autouse=True)
def cdir(tmp_path, monkeypatch):
    d = tmp_path / "cache"
    monkeypatch.setenv(cache.ENV_VAR, str(d))
    return d


def run(capsys, *args):
    try:
        code = main([str(a) for a in args])
    except SystemExit as exc:  # argparse's usage errors
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


def test_calibrate_writes_model_thresholds_and_report(capsys, labelled, tmp_path, model, cdir):
    folder, mapping = labelled
    out = tmp_path / "yamnet_calibrated.tflite"
    code, text, err = run(capsys, "calibrate", folder, "--mapping", mapping, "-o", out,
                          "--report", tmp_path / "report.csv")
    assert code == 0, err
    assert "held out: 3 folds by recording" in text
    assert "mean F1 over calibrated classes: before" in text
    table = [line for line in text.splitlines() if line.rstrip().endswith(("Helicopter", "Chainsaw"))]
    assert len(table) == 2
    meta = read_audio_model_metadata(out.read_bytes())
    assert meta.heads[0].calibration is not None
    assert (tmp_path / "yamnet_calibrated.thresholds.csv").is_file()
    rows = list(csv.DictReader((tmp_path / "report.csv").read_text(encoding="utf-8").splitlines()))
    assert {r["class"] for r in rows} >= {"Helicopter", "Chainsaw", "Dog", "Rain"}
    assert all(0 <= float(r["after_threshold"]) <= 1 for r in rows)
    curves = list(csv.DictReader((tmp_path / "report.curves.csv").read_text(encoding="utf-8").splitlines()))
    assert {(r["curve"], r["stage"]) for r in curves} == {
        ("pr", "before"), ("pr", "after"), ("reliability", "before"), ("reliability", "after")}
    assert len(list(cdir.iterdir())) == 3  # each recording's analysis is cached: a rerun resumes

    # classify with the export prints calibrated scores: the model's own, not the raw ones.
    wav = folder / "rec0.wav"
    code, text, err = run(capsys, "classify", wav, "--model", out, "--format", "csv", "--top", "3")
    assert code == 0, err
    expected = analyze(AudioFile(wav), Model(out), keep_scores=False).result().top(3)
    got = [(r["class"], float(r["score"])) for r in csv.DictReader(text.splitlines()) if r["kind"] == "mean"]
    assert [n for n, _ in got] == [n for n, _ in expected]
    np.testing.assert_allclose([s for _, s in got], [s for _, s in expected], atol=1e-6)
    raw = analyze(AudioFile(wav), model, keep_scores=False).result().top(3)
    assert [round(s, 3) for _, s in raw] != [round(s, 3) for _, s in expected]
    code, text, _ = run(capsys, "classify", wav, "--model", out)
    assert "calibrated scores" in text
    code, text, _ = run(capsys, "classify", wav, "--model", out, "--no-calibration")
    assert code == 0 and "calibrated" not in text


def test_html_report(capsys, labelled, tmp_path):
    folder, mapping = labelled
    code, text, err = run(capsys, "calibrate", folder, "--mapping", mapping, "--objective",
                          "precision=0.9", "--report", tmp_path / "r.html")
    assert code == 0, err
    assert "objective: precision 0.9" in text
    page = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert page.count("<svg") == 2 * page.count("<section>") and "reliability" in page
    assert "Helicopter" in page


def test_analyze_uses_the_thresholds_beside_a_calibrated_model(capsys, labelled, tmp_path):
    folder, mapping = labelled
    out = tmp_path / "cal.tflite"
    assert run(capsys, "calibrate", folder, "--mapping", mapping, "-o", out)[0] == 0
    code, text, err = run(capsys, "analyze", folder / "rec1.wav", "--model", out)
    assert code == 0, err
    assert "+ per-class CSV" in text


@pytest.mark.parametrize("args, code, message", [
    (["--objective", "f2"], 2, "unknown objective"),
    (["--report", "r.pdf"], 2, "a report is FILE.csv or FILE.html"),
    (["-o", "model.bin"], 2, "needs the .tflite suffix"),
    (["-o", "no/such/dir/m.tflite"], 1, "does not exist"),
])
def test_bad_options(capsys, labelled, tmp_path, monkeypatch, args, code, message):
    folder, mapping = labelled
    monkeypatch.chdir(tmp_path)
    got, _, err = run(capsys, "calibrate", folder, "--mapping", mapping, *args)
    assert got == code and message in err
    assert not any(p.suffix in (".tflite", ".csv", ".pdf", ".bin") for p in tmp_path.rglob("*"))


def test_unmapped_labels_write_nothing_and_keep_an_old_export(capsys, labelled, tmp_path):
    folder, _ = labelled
    out = tmp_path / "cal.tflite"
    out.write_bytes(b"an older export")
    code, _, err = run(capsys, "calibrate", folder, "-o", out, "--report", tmp_path / "r.csv")
    assert code == 1
    assert "matches no model class" in err and "mapping" in err
    assert err.count("\n") == 1  # one clear message
    assert out.read_bytes() == b"an older export"
    assert not (tmp_path / "r.csv").exists() and not (tmp_path / "cal.thresholds.csv").exists()


def test_one_recording_with_labels_option(capsys, labelled, tmp_path):
    folder, mapping = labelled
    labels = folder / "rec0.txt"  # Audacity
    code, text, err = run(capsys, "calibrate", folder / "rec0.wav", "--labels", labels,
                          "--mapping", mapping, "--min-frames", "5")
    assert code == 0, err
    assert "in-sample" in text
    code, _, err = run(capsys, "calibrate", folder, "--labels", labels)
    assert code == 2 and "--labels goes with exactly one recording" in err
