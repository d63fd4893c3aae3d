"""Shared fixtures: the real model and real audio from ../shared (never copied into git)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

# Qt must not look for a screen; set before any test imports Qt.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
sys.path.insert(0, str(Path(__file__).resolve().parent))  # tests/ helpers (tflite_builder, pulse)


def _need(path: Path) -> Path:
    if not path.exists():
        pytest.fail(f"test data missing: {path} (the workplace's ../shared folder)")
    return path


@pytest.fixture(scope="session")
def shared() -> Path:
    return _need(SHARED)


@pytest.fixture(scope="session")
def audio_dir(shared) -> Path:
    return _need(shared / "audio")


@pytest.fixture(scope="session")
def corpus_dir(shared) -> Path:
    return _need(shared / "corpus")


@pytest.fixture(scope="session")
def model_path() -> Path:
    from yamview.core import assets

    return assets.ensure("yamnet", allow_download=False)


@pytest.fixture(scope="session")
def model(model_path):
    from yamview.core.model import Model

    return Model(model_path)


@pytest.fixture(scope="session")
def reference_model(model):
    return model.reconfigured(kernels="reference")
