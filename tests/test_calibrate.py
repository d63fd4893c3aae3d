"""Calibration on labelled recordings (yamview.core.calibrate): real ESC-10 soundscapes with their
labels, the real model; the exported model read back by yamview and run by MediaPipe."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf
import soundscape

from yamview.core.calibrate import (
    DatasetError,
    FitError,
    Objective,
    find_recordings,
    fit,
    held_out,
    load_set,
    thresholds_path,
    write_calibrated_model,
)
from yamview.core.calibrate.fit import (
    folds_by_recording,
    logistic_regression,
    reliability,
)
from yamview.core.labels_io import read_mapping
from yamview.core.metrics import evaluate, load_thresholds
from yamview.core.model import Model, ModelError
from yamview.core.tflite import ScoreCalibration, Sigmoid, read_audio_model_metadata
from yamview.core.tflite.calibration import transform
from yamview.core.tflite.metadata import packed_files, read_metadata, with_metadata


@pytest.fixture(scope="module")
def esc10_set(corpus_dir, tmp_path_factory):
    """Five soundscapes, each a different clip of every ESC-10 class in its own order; labels
    beside each in Audacity, CSV and Raven format; and the label → class mapping."""
    wavs, mapping = soundscape.build_labelled_set(corpus_dir, tmp_path_factory.mktemp("esc10") / "set")
    return wavs[0].parent, mapping


@pytest.fixture(scope="module")
def data(esc10_set, model):
    folder, mapping = esc10_set
    recordings, notes = find_recordings([folder])
    assert notes == []
    return load_set(recordings, model, read_mapping(mapping, model.classes), use_cache=False)


@pytest.fixture(scope="module")
def result(data):
    return held_out(data)


def test_folder_finds_every_recording_with_its_labels_in_all_three_formats(esc10_set, data):
    folder, _ = esc10_set
    recordings, _ = find_recordings([folder])
    assert [r.audio.name for r in recordings] == [f"rec{i}.wav" for i in range(5)]
    assert {r.labels.name.split(".", 1)[1] for r in recordings} == {"txt", "csv", "Table.1.selections.txt"}
    # Every recording holds one clip of each ESC-10 class: 10 labels → 15 mapped classes.
    assert len(data.labelled) == 15
    assert all(r.truth[:, data.labelled].any(axis=0).all() for r in data.recordings)


def test_fit_raises_held_out_f1_over_one_global_threshold(result):
    assert result.folds == 5 and not result.in_sample
    assert len(result.fit.fitted) == 15
    before, after = result.mean_f1("before"), result.mean_f1("after")
    assert after > before + 0.03, (before, after)
    # Calibrated scores are closer to what happened (Brier score, mean over classes).
    brier_before = np.mean([c.brier_before for c in result.curves.values()])
    brier_after = np.mean([c.brier_after for c in result.curves.values()])
    assert brier_after < brier_before
    # The weak classes of YAMNet gain most: they score low, and one threshold misses them.
    names = {c.name: c.index for c in result.fit.classes}
    for weak in ("Helicopter", "Tick"):
        i = names[weak]
        assert result.after.f1[i] > result.before.f1[i] + 0.1, weak


def test_held_out_scores_each_recording_with_a_fit_that_never_saw_it(data, result):
    folds = folds_by_recording(len(data.recordings))
    assert sorted(i for f in folds for i in f) == list(range(len(data.recordings)))
    hits = np.zeros(len(data.classes), int)
    for test in folds:
        train = [i for i in range(len(data.recordings)) if i not in test]
        f = fit(data, recordings=train)
        for i in test:
            rec = data.recordings[i]
            hits += ((f.calibration.apply(rec.scores) >= f.thresholds) & rec.truth).sum(axis=0)
    np.testing.assert_array_equal(hits, result.after.hits)
    # Fitted on everything, the same frames would look better than held out: no leak.
    everything = fit(data)
    cal = np.concatenate([everything.calibration.apply(r.scores) for r in data.recordings])
    truth = np.concatenate([r.truth for r in data.recordings])
    in_sample = evaluate(cal, truth, everything.thresholds, data.classes)
    fitted = [c.index for c in everything.fitted]
    assert np.nanmean(in_sample.f1[fitted]) > result.mean_f1("after")


def test_platt_fit_matches_the_observed_rate_on_its_frames(data):
    """At a logistic fit's optimum (intercept unpenalised) the predicted probabilities add up to
    the number of positive frames: the calibrated scores are right on average, class by class."""
    raw = np.concatenate([r.scores for r in data.recordings])
    truth = np.concatenate([r.truth for r in data.recordings])
    for c in data.labelled[:6]:
        x = transform(raw[:, c], "INVERSE_LOGISTIC")
        slope, offset = logistic_regression(x, truth[:, c])
        p = 1 / (1 + np.exp(-(slope * x + offset)))
        assert p.sum() == pytest.approx(truth[:, c].sum(), rel=1e-3, abs=0.05)
        assert slope > 0  # a higher raw score never means a lower probability


@pytest.mark.parametrize("text", ["precision=0.8", "recall=0.8"])
def test_objective_targets_hold_on_the_training_frames(data, text):
    objective = Objective.parse(text)
    f = fit(data, objective)
    cal = np.concatenate([f.calibration.apply(r.scores) for r in data.recordings])
    truth = np.concatenate([r.truth for r in data.recordings])
    m = evaluate(cal, truth, f.thresholds, data.classes)
    for c in f.fitted:
        value = m.precision[c.index] if objective.kind == "precision" else m.recall[c.index]
        if c.note:  # the target was out of reach, and the fit says so
            assert "not reached" in c.note
        else:
            assert value >= 0.8, c.name
    assert sum(not c.note for c in f.fitted) >= 10


@pytest.mark.parametrize("text", ["f2", "precision=1.5", "recall=", "precision=x", "accuracy=0.5"])
def test_bad_objectives_are_refused(text):
    with pytest.raises(ValueError, match="objective|target"):
        Objective.parse(text)


def test_classes_with_too_few_labelled_frames_are_left_as_is_and_said(data):
    counts = data.positives()
    cut = int(np.median(counts[data.labelled])) + 1
    f = fit(data, min_frames=cut)
    left = [c for c in f.classes if c.sigmoid is None]
    assert left and len(left) < len(f.classes)
    for c in left:
        assert c.labelled_frames < cut and "left as is" in c.note and str(cut) in c.note
        assert f.calibration.sigmoids[c.index] == Sigmoid(1.0, 1.0, 0.0)  # unchanged scores
        assert f.thresholds[c.index] == pytest.approx(f.global_threshold)
    raw = data.recordings[0].scores
    np.testing.assert_allclose(f.calibration.apply(raw)[:, left[0].index], raw[:, left[0].index], atol=1e-6)


def test_no_class_with_enough_frames_is_one_clear_error(data):
    with pytest.raises(FitError, match="no class has enough labelled frames"):
        fit(data, min_frames=10_000)


def test_one_recording_is_in_sample_and_says_so(data):
    single = type(data)(data.recordings[:1], data.classes, data.labelled, data.framing, [])
    r = held_out(single, min_frames=5)
    assert r.in_sample and any("in-sample" in n for n in r.notes)


def test_reliability_bins():
    scores = np.array([0.05, 0.05, 0.95, 0.95, 0.55])
    truth = np.array([False, False, True, False, True])
    mean, observed, n = reliability(scores, truth, bins=10)
    assert n.tolist() == [2, 0, 0, 0, 0, 1, 0, 0, 0, 2]
    assert observed[0] == 0 and observed[9] == 0.5 and observed[5] == 1
    assert mean[9] == pytest.approx(0.95) and np.isnan(mean[1])


# -- export ----------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def exported(result, model, tmp_path_factory):
    out = tmp_path_factory.mktemp("export") / "yamnet_calibrated.tflite"
    write_calibrated_model(out, model, result.fit.calibration, result.fit.thresholds)
    return out


def test_exported_metadata_round_trips(exported, result, model):
    meta = read_audio_model_metadata(exported.read_bytes())
    original = read_audio_model_metadata(model.data)
    assert meta.name == original.name and meta.sample_rate == original.sample_rate
    assert len(meta.heads) == 1
    assert meta.heads[0].classes == original.heads[0].classes
    assert meta.heads[0].calibration == result.fit.calibration
    thresholds = load_thresholds(thresholds_path(exported), model.classes)
    np.testing.assert_allclose(thresholds, result.fit.thresholds, rtol=1e-5)


def test_exported_model_is_applied_on_load(exported, result, model, audio_dir):
    frame = sf.read(audio_dir / "speech.wav", dtype="float32")[0][: model.window]
    loaded = Model(exported)
    assert loaded.calibrated and "calibrated" in loaded.describe()
    raw = model.classify(frame)
    np.testing.assert_allclose(loaded.classify(frame), result.fit.calibration.apply(raw), atol=1e-6)
    off = loaded.reconfigured(calibrate=False)
    assert not off.calibrated and off.scores_id != loaded.scores_id
    np.testing.assert_array_equal(off.classify(frame), raw)


def test_mediapipe_gives_yamviews_calibrated_scores(exported, data, model):
    audio = pytest.importorskip("mediapipe.tasks.python.audio", reason="mediapipe not installed")
    from mediapipe.tasks.python.components.containers import audio_data
    from mediapipe.tasks.python.core import base_options

    samples, rate = sf.read(data.recordings[0].name, dtype="float32")
    chunks = 6
    samples = samples[: chunks * model.window]
    options = audio.AudioClassifierOptions(
        base_options=base_options.BaseOptions(model_asset_path=str(exported)), max_results=-1)
    with audio.AudioClassifier.create_from_options(options) as classifier:
        results = classifier.classify(audio_data.AudioData.create_from_array(samples, rate))
    assert len(results) == chunks
    ours = Model(exported)
    moved = 0
    for k, res in enumerate(results):
        theirs = {c.category_name: c.score for c in res.classifications[0].categories}
        frame = samples[k * model.window:(k + 1) * model.window]
        mine = ours.classify(frame)
        for i, label in enumerate(ours.classes):
            assert theirs[label] == pytest.approx(float(mine[i]), abs=1e-5), (k, label)
        moved += int(np.sum(np.abs(mine - model.classify(frame)) > 0.01))
    assert moved > 0  # the calibration really changed scores, in both


def _with_calibration_file(model_bytes: bytes, text: bytes) -> bytes:
    files = packed_files(model_bytes)
    name = next(n for n in files if n.endswith("_score_calibration.txt"))
    files[name] = text
    return with_metadata(model_bytes, read_metadata(model_bytes), files)


def test_a_calibration_in_any_models_metadata_is_applied_on_load(model, tmp_path, audio_dir):
    from yamview.core.tflite import Head, write_audio_classifier_metadata

    head = read_audio_model_metadata(model.data).heads[0]
    sigmoids = list(ScoreCalibration.identity(len(head.classes)).sigmoids)
    sigmoids[head.classes.index("Speech")] = Sigmoid(1.0, 0.5, -1.0)
    calibration = ScoreCalibration("INVERSE_LOGISTIC", 0.0, tuple(sigmoids))
    path = tmp_path / "hand_made.tflite"
    path.write_bytes(write_audio_classifier_metadata(
        model.data, [Head(head.name, head.classes, head.label_file, calibration)]))
    frame = sf.read(audio_dir / "speech.wav", dtype="float32")[0][: model.window]
    loaded = Model(path)
    speech = loaded.classes.index("Speech")
    raw = float(model.classify(frame)[speech])
    assert raw == pytest.approx(0.918, abs=0.1)
    x = np.log(raw / (1 - raw))
    assert float(loaded.classify(frame)[speech]) == pytest.approx(1 / (1 + np.exp(-(0.5 * x - 1.0))), abs=1e-6)
    assert float(Model(path, calibrate=False).classify(frame)[speech]) == pytest.approx(raw, abs=1e-7)


@pytest.mark.parametrize("text, message", [
    (b"1.0,1.0,0.0\n" * 521, "522 lines for 521 classes"),
    (b"\n".join([b"1.0,1.0,0.0"] * 520 + [b"nan,1,0"]), "not a number"),
])
def test_bad_calibration_in_a_models_metadata_is_one_clear_error(exported, tmp_path, text, message):
    bad = tmp_path / "bad.tflite"
    bad.write_bytes(_with_calibration_file(exported.read_bytes(), text))
    with pytest.raises(ModelError, match=f"score calibration cannot be used.*{message}"):
        Model(bad)


def test_export_refuses_to_overwrite_the_model_it_calibrates(result, model, tmp_path):
    from yamview.core.calibrate import ExportError

    copy = tmp_path / "yamnet.tflite"
    copy.write_bytes(model.data)
    source = Model(copy)
    with pytest.raises(ExportError, match="the model being calibrated"):
        write_calibrated_model(copy, source, result.fit.calibration, result.fit.thresholds)
    assert copy.read_bytes() == model.data
    assert not thresholds_path(copy).exists()


# -- bad labelled sets -----------------------------------------------------------------------------
def test_labels_for_classes_the_model_lacks_ask_for_a_mapping(esc10_set, model):
    folder, _ = esc10_set
    recordings, _ = find_recordings([folder])
    with pytest.raises(DatasetError, match="matches no model class.*mapping"):
        load_set(recordings, model, None, use_cache=False)


def test_a_label_outside_the_recording_is_refused(tmp_path, audio_dir, model):
    wav = tmp_path / "speech.wav"
    wav.write_bytes((audio_dir / "speech.wav").read_bytes())
    (tmp_path / "speech.txt").write_text("0.5\t2.0\tSpeech\n9.0\t10.0\tSpeech\n", encoding="utf-8")
    recordings, _ = find_recordings([wav])
    with pytest.raises(DatasetError, match=r"speech.txt, line 2: .*outside the recording, which is 4.27 s"):
        load_set(recordings, model, use_cache=False)


def test_folder_problems(tmp_path, audio_dir):
    d = tmp_path / "set"
    d.mkdir()
    (d / "a.wav").write_bytes((audio_dir / "speech.wav").read_bytes())
    (d / "b.wav").write_bytes((audio_dir / "speech.wav").read_bytes())
    (d / "a.txt").write_text("0\t1\tSpeech\n", encoding="utf-8")
    recordings, notes = find_recordings([d])
    assert [r.audio.name for r in recordings] == ["a.wav"]
    assert len(notes) == 1 and "b.wav: no labels beside it" in notes[0]
    (d / "a.csv").write_text("start,end,label\n0,1,Speech\n", encoding="utf-8")
    with pytest.raises(DatasetError, match="more than one label file beside it"):
        find_recordings([d])
    with pytest.raises(DatasetError, match="--labels goes with exactly one recording"):
        find_recordings([d], labels=d / "a.txt")
    with pytest.raises(DatasetError, match="no such file or folder"):
        find_recordings([tmp_path / "missing"])
    with pytest.raises(DatasetError, match="no labels for this recording"):
        find_recordings([d / "b.wav"])


def test_any_of_mappings_are_refused_with_a_hint(esc10_set, model, tmp_path):
    folder, _ = esc10_set
    mapping = tmp_path / "any_of.csv"
    rows = [f'"{text}","{" | ".join(classes)}"' for text, classes in soundscape.ESC10.values()]
    mapping.write_text("label,class\n" + "\n".join(rows) + "\n", encoding="utf-8")
    recordings, _ = find_recordings([folder])
    with pytest.raises(DatasetError, match="maps to any one of .*its own label,class row"):
        load_set(recordings, model, read_mapping(mapping, model.classes), use_cache=False)


def test_a_model_with_two_heads_is_calibrated_one_head_at_a_time(model, tmp_path, esc10_set):
    from yamview.core.calibrate import calibrate
    from yamview.core.calibrate.export import calibrated_model
    from yamview.core.tflite import Head, add_head, write_audio_classifier_metadata

    yamnet = read_audio_model_metadata(model.data).heads[0]
    rng = np.random.default_rng(0)
    weights = rng.normal(size=(3, 1024)).astype(np.float32) * 0.05
    two = write_audio_classifier_metadata(
        add_head(model.data, "tower0/network/layer28/reduce_mean", weights, np.zeros(3, np.float32),
                 name="custom"),
        [Head(yamnet.name, yamnet.classes, yamnet.label_file), Head("custom", ("a", "b", "c"))])
    path = tmp_path / "two_heads.tflite"
    path.write_bytes(two)
    with pytest.raises(DatasetError, match="has 2 heads .*calibrate one at a time"):
        calibrate([esc10_set[0]], Model(path))
    # With one head chosen, its calibration lands on that head's output, the other stays as is.
    custom = Model(path, head="custom")
    calibration = ScoreCalibration("INVERSE_LOGISTIC", 0.0, (Sigmoid(1.0, 2.0, 0.5),) * 3)
    heads = read_audio_model_metadata(calibrated_model(custom, calibration)).heads
    assert heads[1].name == "custom" and heads[1].calibration == calibration
    assert heads[0].calibration is None and heads[0].classes == yamnet.classes
