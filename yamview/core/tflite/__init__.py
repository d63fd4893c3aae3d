"""Everything about .tflite files beyond running them, Qt-free: the model's TFLite metadata
(audio properties, label files per output head, score calibration), read and written, and graph
edits such as adding a trained classification head to YAMNet's embedding.

- :mod:`.metadata`: read/write metadata and the files packed after the flatbuffer.
- :mod:`.calibration`: per-class score calibration (the metadata's ScoreCalibrationOptions).
- :mod:`.graph`: unpack/pack the model flatbuffer; append a head to an inner tensor.
"""

from .calibration import CalibrationError, ScoreCalibration, Sigmoid
from .graph import GraphError, add_head
from .metadata import (
    AudioModelMetadata,
    Head,
    MetadataError,
    read_audio_model_metadata,
    write_audio_classifier_metadata,
)

__all__ = [
    "AudioModelMetadata",
    "CalibrationError",
    "GraphError",
    "Head",
    "MetadataError",
    "ScoreCalibration",
    "Sigmoid",
    "add_head",
    "read_audio_model_metadata",
    "write_audio_classifier_metadata",
]
