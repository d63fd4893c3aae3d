"""yamview.core.tflite: metadata read/write, score calibration and heads added to YAMNet's graph,
checked on the real model and real audio, and against MediaPipe's AudioClassifier where it is
installed (a test dependency: it is the consumer the exported files are for)."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from yamview.core.tflite import (
    CalibrationError,
    GraphError,
    Head,
    MetadataError,
    ScoreCalibration,
    Sigmoid,
    add_head,
    read_audio_model_metadata,
    write_audio_classifier_metadata,
)

EMBEDDING = "tower0/network/layer28/reduce_mean"


@pytest.fixture(scope="module")
def yamnet_bytes(model_path) -> bytes:
    return model_path.read_bytes()


@pytest.fixture(scope="module")
def speech_frame(audio_dir, yamnet_bytes) -> np.ndarray:
    samples, rate = sf.read(audio_dir / "speech.wav", dtype="float32")
    window = _input_length(yamnet_bytes)
    return samples[:window]


def _input_length(model: bytes) -> int:
    from ai_edge_litert.interpreter import Interpreter

    it = Interpreter(model_content=model)
    return int(np.prod(it.get_input_details()[0]["shape"]))


def _run(model: bytes, frame: np.ndarray):
    """All outputs plus the dequantised embedding, with the builtin interpreter."""
    from ai_edge_litert.interpreter import Interpreter

    it = Interpreter(model_content=model, experimental_preserve_all_tensors=True)
    it.allocate_tensors()
    it.set_tensor(it.get_input_details()[0]["index"], frame)
    it.invoke()
    outputs = [it.get_tensor(d["index"])[0] for d in it.get_output_details()]
    detail = next(d for d in it.get_tensor_details() if d["name"] == EMBEDDING)
    scale, zero = detail["quantization"]
    embedding = (it.get_tensor(detail["index"]).reshape(-1).astype(np.float32) - zero) * scale
    return outputs, embedding


def _head(classes: int = 3, seed: int = 0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(classes, 1024)).astype(np.float32) * 0.05, rng.normal(size=classes).astype(np.float32)


def test_reads_yamnets_own_metadata(yamnet_bytes):
    meta = read_audio_model_metadata(yamnet_bytes)
    assert meta.sample_rate == 16000 and meta.channels == 1
    assert len(meta.heads) == 1
    head = meta.heads[0]
    assert head.label_file == "yamnet_label_list.txt"
    assert len(head.classes) == 521 and head.classes[0] == "Speech"
    assert head.calibration is None


def test_added_head_equals_numpy_head_and_keeps_yamnet(yamnet_bytes, speech_frame):
    weights, bias = _head()
    two = add_head(yamnet_bytes, EMBEDDING, weights, bias, name="custom")
    (scores_before,), _ = _run(yamnet_bytes, speech_frame)
    (scores, custom), embedding = _run(two, speech_frame)
    np.testing.assert_array_equal(scores, scores_before)
    logits = weights @ embedding + bias
    expected = np.exp(logits - logits.max())
    expected /= expected.sum()
    np.testing.assert_allclose(custom, expected, atol=1e-6)
    assert abs(float(custom.sum()) - 1.0) < 1e-5


def test_sigmoid_head(yamnet_bytes, speech_frame):
    weights, bias = _head(2, seed=1)
    model = add_head(yamnet_bytes, EMBEDDING, weights, bias, name="mine", activation="sigmoid")
    (_, mine), embedding = _run(model, speech_frame)
    np.testing.assert_allclose(mine, 1 / (1 + np.exp(-(weights @ embedding + bias))), atol=1e-6)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"source": "no/such/tensor"}, "no tensor"),
        ({"weights": np.zeros((3, 10), np.float32)}, "1024 values"),
        ({"weights": np.full((3, 1024), np.nan, np.float32)}, "finite"),
        ({"activation": "relu"}, "activation"),
    ],
)
def test_bad_heads_are_refused(yamnet_bytes, kwargs, message):
    weights, bias = _head()
    args = {"source": EMBEDDING, "weights": weights, "bias": bias, "activation": "softmax"}
    args.update(kwargs)
    with pytest.raises(GraphError, match=message):
        add_head(yamnet_bytes, args["source"], args["weights"], args["bias"], name="x",
                 activation=args["activation"])


def test_not_a_model_is_refused():
    with pytest.raises(GraphError, match="not a TFLite model"):
        add_head(b"hello world, not a model", EMBEDDING, *_head(), name="x")


def _calibration(classes, speech=Sigmoid(1.0, 0.5, -1.0)) -> ScoreCalibration:
    sigmoids = list(ScoreCalibration.identity(len(classes)).sigmoids)
    sigmoids[classes.index("Speech")] = speech
    return ScoreCalibration("INVERSE_LOGISTIC", 0.0, tuple(sigmoids))


def test_metadata_round_trip_two_heads_and_calibration(yamnet_bytes):
    yamnet = read_audio_model_metadata(yamnet_bytes).heads[0]
    calibration = _calibration(yamnet.classes)
    two = add_head(yamnet_bytes, EMBEDDING, *_head(), name="custom")
    written = write_audio_classifier_metadata(
        two,
        [Head(yamnet.name, yamnet.classes, yamnet.label_file, calibration),
         Head("custom", ("doorbell", "kettle", "background"))],
    )
    back = read_audio_model_metadata(written)
    assert back.sample_rate == 16000 and back.name == "yamnet/classification"
    assert [h.name for h in back.heads] == ["scores", "custom"]
    assert back.heads[0].classes == yamnet.classes
    assert back.heads[1].classes == ("doorbell", "kettle", "background")
    assert back.heads[0].calibration == calibration
    assert back.heads[1].calibration is None


def test_calibration_file_has_one_line_per_class():
    calibration = ScoreCalibration("IDENTITY", 0.0, (Sigmoid(1, 1, 0), None, Sigmoid(1, 2, 3, 0.1)))
    text = calibration.to_file().decode()
    assert text.split("\n") == ["1.0,1.0,0.0", "", "1.0,2.0,3.0,0.1"]
    assert ScoreCalibration.parse(text, 3, "IDENTITY", 0.0) == calibration


@pytest.mark.parametrize(
    "text, message",
    [
        ("1,1,0\n1,1,0\n1,1,0\n", "4 lines for 3 classes"),
        ("1,1,0\n1,1\n1,1,0", "line 2: expected 3 or 4"),
        ("1,1,0\nnan,1,0\n1,1,0", "not a number"),
        ("1,1,0\n-1,1,0\n1,1,0", "scale must not be negative"),
        ("1,1,0\na,b,c\n1,1,0", "not a list of numbers"),
    ],
)
def test_bad_calibration_files(text, message):
    with pytest.raises(CalibrationError, match=message):
        ScoreCalibration.parse(text, 3, "INVERSE_LOGISTIC", 0.0)


def test_calibration_semantics():
    raw = np.array([[0.2, 0.2, 0.05, 0.9]], np.float32)
    calibration = ScoreCalibration(
        "INVERSE_LOGISTIC", 0.25,
        (Sigmoid(1, 1, 0), None, Sigmoid(1, 1, 0, min_score=0.1), Sigmoid(0.5, 2.0, -1.0)),
    )
    out = calibration.apply(raw)[0]
    assert out[0] == pytest.approx(0.2, abs=1e-6)  # 1,1,0 under INVERSE_LOGISTIC is the identity
    assert out[1] == 0.25 and out[2] == 0.25  # empty line, and below min_score: default score
    logit = np.log(0.9 / 0.1)
    assert out[3] == pytest.approx(0.5 / (1 + np.exp(-(2.0 * logit - 1.0))), rel=1e-6)


def test_calibration_that_does_not_fit_the_outputs_is_refused(yamnet_bytes):
    yamnet = read_audio_model_metadata(yamnet_bytes).heads[0]
    with pytest.raises(MetadataError, match="calibration for 3 classes"):
        write_audio_classifier_metadata(
            yamnet_bytes,
            [Head(yamnet.name, yamnet.classes, calibration=ScoreCalibration.identity(3))],
        )
    with pytest.raises(MetadataError, match="2 class names for 521"):
        write_audio_classifier_metadata(yamnet_bytes, [Head("scores", ("a", "b"))])


def test_mediapipe_loads_two_heads_with_calibration(yamnet_bytes, speech_frame, tmp_path):
    audio = pytest.importorskip("mediapipe.tasks.python.audio", reason="mediapipe not installed")
    from mediapipe.tasks.python.components.containers import audio_data
    from mediapipe.tasks.python.core import base_options

    yamnet = read_audio_model_metadata(yamnet_bytes).heads[0]
    calibration = _calibration(yamnet.classes)
    weights, bias = _head()
    model = write_audio_classifier_metadata(
        add_head(yamnet_bytes, EMBEDDING, weights, bias, name="custom"),
        [Head(yamnet.name, yamnet.classes, yamnet.label_file, calibration),
         Head("custom", ("doorbell", "kettle", "background"))],
    )
    path = tmp_path / "two_heads.tflite"
    path.write_bytes(model)
    (raw, custom), _ = _run(model, speech_frame)
    options = audio.AudioClassifierOptions(
        base_options=base_options.BaseOptions(model_asset_path=str(path)), max_results=-1
    )
    with audio.AudioClassifier.create_from_options(options) as classifier:
        result = classifier.classify(audio_data.AudioData.create_from_array(speech_frame, 16000))[0]
    heads = {c.head_name: {k.category_name: k.score for k in c.categories} for c in result.classifications}
    assert set(heads) == {"scores", "custom"}
    ours = calibration.apply(raw)
    for i, label in enumerate(yamnet.classes):
        assert heads["scores"][label] == pytest.approx(float(ours[i]), abs=1e-5)
    # The one calibrated class really moved (0.918 → about 0.55), as the formula says.
    assert heads["scores"]["Speech"] < float(raw[yamnet.classes.index("Speech")]) - 0.2
    for i, label in enumerate(("doorbell", "kettle", "background")):
        assert heads["custom"][label] == pytest.approx(float(custom[i]), abs=1e-5)
