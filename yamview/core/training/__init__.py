"""Teach YAMNet new sounds, Qt-free: a training set (one folder per class) → every frame's
embedding (through the analysis cache) → a small head trained on them → cross-validation by
recording → a two-head .tflite (YAMNet's scores plus the user's classes).

- :mod:`.dataset`: read and check a training set; save new examples into it.
- :mod:`.embed`: per-frame embeddings of every recording, cached, with progress.
- :mod:`.head`: train the head; evaluate it with folds that never split a recording.
- :mod:`.export`: YAMNet plus the head as one .tflite file with metadata, written atomically.
"""

from .dataset import (
    BACKGROUND_HINT,
    DatasetError,
    Recording,
    TrainingSet,
    load_training_set,
    save_example,
)
from .embed import Embeddings, embed_training_set
from .export import check_base_model, export_model, two_head_model
from .head import Evaluation, TrainedHead, cross_validate, train_head

__all__ = [
    "BACKGROUND_HINT",
    "DatasetError",
    "Embeddings",
    "Evaluation",
    "Recording",
    "check_base_model",
    "TrainedHead",
    "TrainingSet",
    "cross_validate",
    "embed_training_set",
    "export_model",
    "load_training_set",
    "save_example",
    "train_head",
    "two_head_model",
]
