"""The model wrapper against Google's published YAMNet values and against odd models."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from tflite_builder import image_like_model, tiny_classifier
from yamview.core.tflite.model_settings import ModelSettings
from yamview.core.model import MissingSettingsError, Kernels, Model, ModelError, max_threads

WINDOW = 15600


def score(model, labels_scores, name):
    return float(labels_scores[model.classes.index(name)])


def test_describes_yamnet(model):
    assert model.window == WINDOW
    assert model.sample_rate == 16000  # from the model's own metadata
    assert model.n_classes == 521 == len(model.classes)
    assert model.classes[0] == "Speech" and model.classes[-1] == "Field recording"
    assert model.warnings == []
    assert len(model.sha256) == 64


def test_speech_first_frame_reference_kernels_match_google(reference_model, audio_dir):
    x, rate = sf.read(audio_dir / "speech.wav", dtype="float32")
    assert rate == 16000
    s = reference_model.classify(x[:WINDOW])
    order = np.argsort(-s)
    assert reference_model.classes[order[0]] == "Speech"
    assert score(reference_model, s, "Speech") == pytest.approx(0.917969, abs=1e-5)
    assert score(reference_model, s, "Inside, small room") == pytest.approx(0.058594, abs=1e-5)
    assert score(reference_model, s, "Silence") == pytest.approx(0.011719, abs=1e-5)


def test_speech_first_frame_fast_kernels_top1(model, audio_dir):
    x, _ = sf.read(audio_dir / "speech.wav", dtype="float32")
    s = model.classify(x[:WINDOW])
    assert model.classes[int(np.argmax(s))] == "Speech"
    assert s.dtype == np.float32 and s.shape == (521,)


@pytest.mark.parametrize("kernels", ["fast", "reference"])
def test_zeros_are_silence(model, kernels):
    m = model.reconfigured(kernels=kernels)
    s = m.classify(np.zeros(WINDOW, np.float32))
    assert m.classes[int(np.argmax(s))] == "Silence"
    assert score(m, s, "Silence") == pytest.approx(0.800781, abs=1e-5)


def test_meow_first_frame_is_cat(model, audio_dir):
    x, _ = sf.read(audio_dir / "meow_16k.wav", dtype="float32")
    s = model.classify(x[:WINDOW])
    assert model.classes[int(np.argmax(s))] == "Cat"


def test_extras_give_embedding_and_log_mel(model, audio_dir):
    m = model.reconfigured(kernels="reference", extras=True)
    x, _ = sf.read(audio_dir / "speech.wav", dtype="float32")
    out = m.classify_frame(x[:WINDOW])
    assert out.embedding.shape == (1024,) and out.embedding.dtype == np.float32
    assert out.log_mel.shape == (96, 64)
    # Extras must not change the scores.
    np.testing.assert_array_equal(out.scores, model.reconfigured(kernels="reference").classify(x[:WINDOW]))
    # The embedding is a dequantized ReLU output: non-negative, not all zero.
    assert out.embedding.min() >= 0 and out.embedding.max() > 0
    # Frames that sound different give different embeddings.
    silence = m.classify_frame(np.zeros(WINDOW, np.float32)).embedding
    assert np.linalg.norm(out.embedding - silence) > 1.0


def test_threads_are_capped(model_path):
    with pytest.raises(ModelError, match="threads must be between 1 and"):
        Model(model_path, threads=max_threads() + 1)
    assert Model(model_path, threads=max_threads()).threads == max_threads()


def test_frame_of_wrong_length_is_refused(model):
    with pytest.raises(ValueError, match="15600 samples"):
        model.classify(np.zeros(100, np.float32))


def test_other_classifier_with_labels(tmp_path):
    p = tmp_path / "tiny.tflite"
    p.write_bytes(tiny_classifier(8000, 4, labels=["low", "mid", "high", "top"], rate=8000))
    m = Model(p)
    assert (m.window, m.n_classes, m.classes, m.sample_rate) == (8000, 4, ["low", "mid", "high", "top"], 8000)
    assert m.warnings == []
    x = np.repeat(np.array([0.1, 0.2, 0.3, 0.4], np.float32), 2000)
    np.testing.assert_allclose(m.classify(x), [0.1, 0.2, 0.3, 0.4], atol=1e-6)


def test_bare_model_without_a_rate_names_the_flag(tmp_path):
    p = tmp_path / "bare.tflite"
    p.write_bytes(tiny_classifier(8000, 4))
    with pytest.raises(MissingSettingsError, match=r"does not state its sample rate: pass --rate HZ") as e:
        Model(p)
    assert e.value.missing == ("sample_rate",)


def test_classifier_without_labels_is_numbered(tmp_path):
    p = tmp_path / "nolabels.tflite"
    p.write_bytes(tiny_classifier(8000, 4))
    m = Model(p, settings=ModelSettings(sample_rate=16000))
    assert m.classes == ["class 0", "class 1", "class 2", "class 3"]
    assert m.setting_origins["sample_rate"] == "given"
    assert any("no label file" in w for w in m.warnings)


def test_label_file_that_does_not_fit_is_refused(tmp_path):
    p = tmp_path / "mismatch.tflite"
    p.write_bytes(tiny_classifier(8000, 4))
    labels = tmp_path / "two.txt"
    labels.write_text("a\nb\n")
    with pytest.raises(ModelError, match="two.txt has 2 lines but the model has 4 outputs"):
        Model(p, settings=ModelSettings(sample_rate=16000, labels_file=str(labels)))


@pytest.mark.parametrize(
    "content, message",
    [
        (b"", "not a TFLite model"),
        (b"hello, I am text renamed to .tflite\n" * 10, "not a TFLite model"),
    ],
)
def test_not_tflite(tmp_path, content, message):
    p = tmp_path / "bad.tflite"
    p.write_bytes(content)
    with pytest.raises(ModelError, match=message):
        Model(p)


def test_corrupt_model(tmp_path, model_path):
    data = bytearray(model_path.read_bytes()[:200_000])  # truncated: the header survives
    p = tmp_path / "truncated.tflite"
    p.write_bytes(bytes(data))
    with pytest.raises(ModelError, match="cannot load model truncated.tflite"):
        Model(p)


def test_unexpected_input_shape(tmp_path):
    p = tmp_path / "image.tflite"
    p.write_bytes(image_like_model())
    with pytest.raises(ModelError, match=r"expects input shape \[4, 2000\]"):
        Model(p)


def test_missing_and_folder_model(tmp_path):
    with pytest.raises(ModelError, match="not found"):
        Model(tmp_path / "nope.tflite")
    with pytest.raises(ModelError, match="folder"):
        Model(tmp_path)


def test_kernels_parse():
    assert Kernels("reference") is Kernels.REFERENCE
    with pytest.raises(ValueError):
        Kernels("gpu")
