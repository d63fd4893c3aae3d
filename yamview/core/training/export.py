"""The trained model as one .tflite file: YAMNet's graph and outputs unchanged, the head as a
second output on the embedding, and metadata naming both heads with their label files (what
MediaPipe's AudioClassifier and the TFLite Android example read)."""

from __future__ import annotations

import os
from pathlib import Path

from yamview.core.files import write_bytes
from yamview.core.model import EMBEDDING_TENSOR, Model
from yamview.core.tflite import (
    GraphError,
    Head,
    MetadataError,
    add_head,
    read_audio_model_metadata,
    write_audio_classifier_metadata,
)

from .dataset import DatasetError
from .head import ACTIVATION, TrainedHead

DEFAULT_HEAD_NAME = "custom"


def check_base_model(base: Model) -> None:
    """DatasetError unless ``base`` can take a trained head (one head of its own so far)."""
    if len(base.all_heads) > 1:
        raise DatasetError(f"{base.path.name} already has {len(base.all_heads)} heads; train on the "
                           "base model (YAMNet), not on a trained one")


def two_head_model(base: Model, head: TrainedHead, name: str = DEFAULT_HEAD_NAME) -> bytes:
    """The bytes of ``base`` plus ``head`` as a new output named ``name``."""
    check_base_model(base)
    data = base.data
    if name in {h.name for h in base.all_heads}:
        raise DatasetError(f"the base model already has a head called {name!r}")
    try:
        existing = read_audio_model_metadata(data).heads
        first = existing[0] if existing else Head(base.all_heads[0].name, tuple(base.classes))
        graph = add_head(data, EMBEDDING_TENSOR, head.weights, head.bias, name=name, activation=ACTIVATION)
        return write_audio_classifier_metadata(
            graph,
            [first, Head(name, tuple(head.classes),
                         description="Classes trained in yamview on YAMNet's embedding.")],
            sample_rate=base.sample_rate, channels=1,
        )
    except (GraphError, MetadataError) as exc:
        raise DatasetError(f"cannot add a head to {base.path.name}: {exc}") from None


def export_model(base: Model, head: TrainedHead, path: str | os.PathLike,
                 name: str = DEFAULT_HEAD_NAME) -> Path:
    """Write the two-head model to ``path`` atomically (a failure leaves ``path`` untouched)."""
    data = two_head_model(base, head, name)
    path = Path(path)
    write_bytes(path, data)
    return path
