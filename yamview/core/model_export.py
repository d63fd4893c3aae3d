"""Write a loaded model back out as a self-describing .tflite: TFLite metadata with its audio
properties, label file and score activation, so MediaPipe's AudioClassifier (and the TFLite
Android example) load it and report the same scores yamview shows."""

from __future__ import annotations

from yamview.core.model import Model, ModelError
from yamview.core.tflite import Head, ScoreCalibration, Sigmoid, write_audio_classifier_metadata
from yamview.core.tflite.graph import GraphError
from yamview.core.tflite.metadata import MetadataError


def with_metadata(model: Model) -> bytes:
    """``model``'s bytes with metadata stating what yamview resolved for it.

    A sigmoid over logits becomes a score calibration (IDENTITY transformation, ``1,1,0`` per
    class: 1 / (1 + exp(-x))), which is how TFLite metadata says "apply a sigmoid". A softmax
    has no such form and is refused rather than silently dropped.
    """
    if model.activation == "softmax":
        raise ModelError(
            "TFLite metadata cannot express a softmax over the outputs; export the model "
            "without it (activation none) or add the softmax to the graph itself"
        )
    if model.setting_origins.get("labels_file") is None and model.setting_origins.get("classes") is None:
        raise ModelError(
            f"{model.path.name} has no class names to write: pass --labels-file FILE "
            "(one name per line, in output order)"
        )
    calibration = model.calibration
    if model.activation == "sigmoid":
        calibration = ScoreCalibration("IDENTITY", 0.0, (Sigmoid(1.0, 1.0, 0.0),) * model.n_classes)
    classes = tuple(model.class_name(i) for i in range(model.n_classes))
    head = Head(model.output_name, classes, calibration=calibration)
    try:
        return write_audio_classifier_metadata(
            model.data, [head], sample_rate=model.sample_rate, channels=1, name=model.name,
        )
    except (MetadataError, GraphError) as exc:
        raise ModelError(f"cannot write metadata for {model.path.name}: {exc}") from None
