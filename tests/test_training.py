"""Teaching new sounds (yamview.core.training and `yamview train`), on real ESC-10 clips from
../shared/corpus with the real YAMNet: accuracy against YAMNet's own, the exported two-head model
against the sklearn head and against MediaPipe, bad training sets, multi-head classify."""

from __future__ import annotations

import csv
import io
import itertools
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from tflite_builder import tiny_classifier

from yamview.cli import main
from yamview.core import training
from yamview.core.analysis import analyze
from yamview.core.audio import AudioFile
from yamview.core.model import Model, ModelError
from yamview.core.training import DatasetError

pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory, monkeypatch):
    # One cache for the module: later tests reuse the embeddings of earlier ones, as users do.
    monkeypatch.setenv("YAMVIEW_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "training-cache"))


def _esc_class(path: Path) -> str:
    # "001_Dog_bark__1-100032-A.ogg" -> "my dog bark" (plain "Dog bark"-like names could
    # collide with YAMNet's classes, which the set refuses)
    return "my " + path.name.split("__")[0][4:].replace("_", " ").lower()


@pytest.fixture(scope="module")
def esc_set(corpus_dir, tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("esc10-set")
    for clip in sorted((corpus_dir / "esc10").glob("*.ogg")):
        folder = root / _esc_class(clip)
        folder.mkdir(exist_ok=True)
        shutil.copy(clip, folder / clip.name)
    return root


@pytest.fixture(scope="module")
def esc_embeddings(esc_set, model, tmp_path_factory):
    import os

    os.environ["YAMVIEW_CACHE_DIR"] = str(tmp_path_factory.getbasetemp() / "training-cache")
    tset = training.load_training_set(esc_set, model.window_seconds, model.classes)
    return tset, training.embed_training_set(tset, model)


def _yamnet_targets(corpus_dir: Path) -> dict[str, set[str]]:
    with open(corpus_dir / "labels.csv", newline="", encoding="utf-8") as f:
        return {Path(r["file"]).name: set(r["yamnet_target_classes"].split(";")) for r in csv.DictReader(f)
                if r["file"].startswith("esc10/")}


def test_trained_head_beats_yamnet_top1_on_held_out_recordings(esc_embeddings, corpus_dir, model):
    tset, emb = esc_embeddings
    assert len(tset.classes) == 10 and len(emb.recordings) == 50
    evaluation = training.cross_validate(emb, folds=5)
    # 5 clips per class, 5 folds by recording: each clip is judged by a head trained on the
    # other 4 of its class, never on its own frames.
    assert evaluation.folds == 5
    assert evaluation.confusion.sum() == 50 and evaluation.confusion.sum(axis=1).tolist() == [5] * 10
    targets = _yamnet_targets(corpus_dir)
    hits = 0
    for path in emb.recordings:
        analysis = analyze(AudioFile(path), model).result()
        hits += analysis.top(1)[0][0] in targets[Path(path).name]
    yamnet_top1 = hits / len(emb.recordings)
    assert evaluation.accuracy > yamnet_top1 + 0.3, (evaluation.accuracy, yamnet_top1)
    assert evaluation.accuracy >= 0.7
    report = evaluation.report()
    assert "5 folds by recording" in report and "confusion matrix" in report


def test_folds_never_split_a_recording(esc_embeddings):
    from sklearn.model_selection import StratifiedGroupKFold

    _, emb = esc_embeddings
    for train, test in StratifiedGroupKFold(5, shuffle=True, random_state=0).split(emb.x, emb.y, emb.groups):
        assert not set(emb.groups[train]) & set(emb.groups[test])


def test_embeddings_come_from_the_cache_the_second_time(esc_embeddings, model):
    tset, emb = esc_embeddings
    seen = []
    again = training.embed_training_set(tset, model, progress=lambda d, t, n: seen.append((d, t)))
    assert again.from_cache == 50
    np.testing.assert_array_equal(again.x, emb.x)
    assert seen[-1][0] == seen[-1][1] == len(emb.y)
    assert all(b[0] >= a[0] for a, b in itertools.pairwise(seen))  # progress only moves forward


@pytest.fixture(scope="module")
def exported(esc_embeddings, model, tmp_path_factory):
    _, emb = esc_embeddings
    head = training.train_head(emb)
    path = tmp_path_factory.mktemp("export") / "esc10.tflite"
    training.export_model(model, head, path)
    return head, path


def test_exported_second_output_equals_the_sklearn_head(esc_embeddings, exported, corpus_dir, model):
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from yamview.core.training.head import DEFAULT_C, balanced_weights

    _, emb = esc_embeddings
    head, path = exported
    pipeline = make_pipeline(StandardScaler(), LogisticRegression(C=DEFAULT_C, max_iter=2000))
    pipeline.fit(emb.x.astype(np.float64), emb.y,
                 logisticregression__sample_weight=balanced_weights(emb.y, emb.groups))
    two = Model(path)
    assert [h.name for h in two.heads] == ["scores", "custom"]
    clip = corpus_dir / "esc10" / "005_Clock_tick__1-21934-A.ogg"
    run = analyze(AudioFile(clip), two, embeddings=True).result()
    yamnet_part, custom_part = (part for _, part in two.split(run.scores))
    np.testing.assert_allclose(custom_part, pipeline.predict_proba(run.embeddings.astype(np.float64)), atol=2e-4)
    np.testing.assert_allclose(custom_part, head.predict_proba(run.embeddings), atol=1e-5)
    # YAMNet's own output is untouched by the added head.
    alone = analyze(AudioFile(clip), model).result()
    np.testing.assert_array_equal(yamnet_part, alone.scores)


def test_exported_model_loads_in_mediapipe_with_two_heads(exported, corpus_dir, model):
    audio = pytest.importorskip("mediapipe.tasks.python.audio", reason="mediapipe not installed")
    from mediapipe.tasks.python.components.containers import audio_data
    from mediapipe.tasks.python.core import base_options

    head, path = exported
    ours = Model(path)  # fast kernels, as the app runs
    samples = AudioFile(corpus_dir / "esc10" / "009_Rooster__1-26806-A.ogg").read(ours.sample_rate)
    frames = [samples[i:i + ours.window] for i in range(0, len(samples) - ours.window + 1, ours.window)]
    options = audio.AudioClassifierOptions(
        base_options=base_options.BaseOptions(model_asset_path=str(path)), max_results=-1)
    with audio.AudioClassifier.create_from_options(options) as classifier:
        results = classifier.classify(audio_data.AudioData.create_from_array(samples[:len(frames) * ours.window],
                                                                            ours.sample_rate))
    assert len(results) == len(frames) >= 4
    mean: dict[str, float] = {}
    for frame, result in zip(frames, results):
        heads = {c.head_name: {k.category_name: k.score for k in c.categories} for c in result.classifications}
        assert list(heads) == ["scores", "custom"]
        assert set(heads["custom"]) == set(head.classes)
        assert set(heads["scores"]) == set(model.classes)
        scores = ours.classify(frame)
        for label, score in zip(ours.classes, scores):
            h = "custom" if label in ours.user_classes() else "scores"
            assert heads[h][label] == pytest.approx(float(score), abs=1e-5)
        for label, score in heads["custom"].items():
            mean[label] = mean.get(label, 0.0) + score
    # The rooster clip is one the head was trained on: over the clip it should be recognised.
    assert max(mean, key=mean.get) == "my rooster"


def test_model_describes_heads_and_selects_one(exported, model):
    _, path = exported
    two = Model(path)
    assert two.n_classes == 531 and two.classes[:521] == model.classes
    assert two.user_classes() == set(two.heads[1].classes) and len(two.heads[1].classes) == 10
    assert two.head_of(0).name == "scores" and two.head_of(525).name == "custom"
    assert "2 heads (scores, custom)" in two.describe()
    only = Model(path, head="custom")
    assert only.classes == list(two.heads[1].classes) and only.heads[0].offset == 0
    frame = np.zeros(two.window, np.float32)
    np.testing.assert_allclose(only.classify(frame), two.classify(frame)[521:], atol=1e-6)
    assert Model(path, head="1").classes == only.classes
    assert only.reconfigured(threads=1).classes == only.classes
    with pytest.raises(ModelError, match="no head 'nope'.*0: scores, 1: custom"):
        Model(path, head="nope")
    assert model.user_classes() == set()


def test_cli_train_and_classify_both_heads(esc_set, tmp_path, capsys, corpus_dir):
    out = tmp_path / "mine.tflite"
    assert main(["train", str(esc_set), "-o", str(out), "--folds", "3", "--hop", "0.975"]) == 0
    printed = capsys.readouterr().out
    assert "3 folds by recording" in printed and "confusion matrix" in printed and out.is_file()
    clip = str(corpus_dir / "esc10" / "001_Dog_bark__1-100032-A.ogg")
    assert main(["classify", clip, "--model", str(out), "--format", "csv", "--top", "2"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert {r["head"] for r in rows} == {"scores", "custom"}
    assert all(r["class"].startswith("my ") for r in rows if r["head"] == "custom")
    assert main(["classify", clip, "--model", str(out), "--format", "json", "--head", "custom"]) == 0
    [item] = json.loads(capsys.readouterr().out)
    assert [h["head"] for h in item["heads"]] == ["custom"]
    assert item["heads"][0]["top_mean"][0]["class"] == "my dog bark"
    assert main(["classify", clip, "--model", str(out), "--head", "0"]) == 0
    table = capsys.readouterr().out
    assert "Dog" in table and "my dog bark" not in table and "head '" not in table
    assert main(["classify", clip, "--model", str(out)]) == 0
    table = capsys.readouterr().out
    assert "head 'scores'" in table and "head 'custom'" in table
    assert main(["classify", clip, "--model", str(out), "--head", "x"]) == 1
    assert "no head 'x'" in capsys.readouterr().err


def _small_set(root: Path, corpus_dir: Path, classes: dict[str, int]) -> Path:
    clips = sorted((corpus_dir / "esc10").glob("*.ogg"))
    for i, (name, n) in enumerate(classes.items()):
        folder = root / name
        folder.mkdir(parents=True)
        for clip in clips[5 * i:5 * i + n]:
            shutil.copy(clip, folder / clip.name)
    return root


def _bad(tmp_path, corpus_dir, make):
    root = tmp_path / "set"
    _small_set(root, corpus_dir, {"my a": 3, "my b": 3})
    make(root)
    return root


@pytest.mark.parametrize("make, message", [
    (lambda r: (r / "my empty").mkdir(), "class folder 'my empty' holds no audio files"),
    (lambda r: shutil.rmtree(r / "my b"), "only one class ('my a'); a head needs at least two"),
    (lambda r: [p.unlink() for p in sorted((r / "my b").iterdir())[1:]], "class 'my b' has only one recording"),
    (lambda r: (r / "my a" / "notes.wav").write_text("not audio"), "my a/notes.wav: cannot be read"),
    (lambda r: sf.write(r / "my a" / "blip.wav", np.zeros(1600, np.float32), 16000), "my a/blip.wav: too short"),
    (lambda r: shutil.copytree(r / "my a", r / "MY A"), "differ only by case"),
    (lambda r: shutil.copytree(r / "my a", r / "dog"), "class 'dog' has the name of the base model's class 'Dog'"),
])
def test_bad_training_sets_get_one_message_and_nothing_is_written(tmp_path, corpus_dir, capsys, make, message):
    root = _bad(tmp_path, corpus_dir, make)
    out = tmp_path / "model.tflite"
    out.write_bytes(b"the user's previous model")
    assert main(["train", str(root), "-o", str(out)]) == 1
    err = capsys.readouterr().err
    assert message in err
    assert out.read_bytes() == b"the user's previous model"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".model")] == []  # no temp left


def test_fewer_than_three_recordings_warns(tmp_path, corpus_dir, model):
    root = _small_set(tmp_path / "set", corpus_dir, {"my a": 2, "my b": 3, "background": 3})
    tset = training.load_training_set(root, model.window_seconds, model.classes)
    assert any("class 'my a' has only 2 recordings" in w for w in tset.warnings)
    assert not any("background" in w for w in tset.warnings)  # the recommended class is there
    no_bg = training.load_training_set(_small_set(tmp_path / "nobg", corpus_dir, {"my a": 3, "my b": 3}),
                                       model.window_seconds, model.classes)
    assert training.BACKGROUND_HINT in no_bg.warnings


def test_a_model_without_embedding_is_refused(tmp_path, corpus_dir, capsys):
    tiny = tmp_path / "tiny.tflite"
    tiny.write_bytes(tiny_classifier(window=15600, classes=3))
    root = _small_set(tmp_path / "set", corpus_dir, {"my a": 2, "my b": 2})
    out = tmp_path / "out.tflite"
    assert main(["train", str(root), "-o", str(out), "--model", str(tiny), "--rate", "16000"]) == 1
    assert "training needs YAMNet" in capsys.readouterr().err
    assert not out.exists()


def test_training_on_a_trained_model_is_refused(exported, esc_set, tmp_path, capsys):
    _, path = exported
    assert main(["train", str(esc_set), "-o", str(tmp_path / "x.tflite"), "--model", str(path)]) == 1
    assert "already has 2 heads" in capsys.readouterr().err


def test_usage_errors_exit_2(tmp_path, capsys):
    assert main(["train", str(tmp_path), "-o", str(tmp_path / "x.onnx")]) == 2
    with pytest.raises(SystemExit) as exc:
        main(["train", str(tmp_path)])  # no -o
    assert exc.value.code == 2
    capsys.readouterr()


def test_save_example_adds_files_without_overwriting(tmp_path, model):
    rng = np.random.default_rng(1)
    take = (0.1 * rng.standard_normal(model.sample_rate)).astype(np.float32)
    a = training.save_example(tmp_path, "Doorbell", take, model.sample_rate, model.window_seconds)
    b = training.save_example(tmp_path, "doorbell ", take, model.sample_rate, model.window_seconds)
    assert a.parent == b.parent == tmp_path / "Doorbell" and a != b  # same folder, new file
    back, rate = sf.read(b, dtype="float32")
    assert rate == model.sample_rate and np.max(np.abs(back - take)) < 1e-4
    with pytest.raises(DatasetError, match="too short"):
        training.save_example(tmp_path, "Doorbell", take[:1000], model.sample_rate, model.window_seconds)
    with pytest.raises(DatasetError, match="cannot be a class name"):
        training.save_example(tmp_path, "../up", take, model.sample_rate, model.window_seconds)
    with pytest.raises(DatasetError, match="base model's class 'Speech'"):
        training.save_example(tmp_path, "speech", take, model.sample_rate, model.window_seconds,
                              reserved=model.classes)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["Doorbell"]
