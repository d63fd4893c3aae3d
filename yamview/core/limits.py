"""How much yamview reads from files it did not write: the limits, in one place.

Every untrusted file (a model, a label track, a mapping or thresholds CSV, a JSON export, the
ontology) is read through ``files.read_regular`` with the limit of its kind. Messages quote user
input only through ``shorten``, so a 50 MB line cannot flood a terminal or a dialog.
docs/reliability.md lists every limit and timeout.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

MiB = 1 << 20
# A .tflite flatbuffer addresses at most 2 GB; YAMNet is 4 MB, big audio models a few 100 MB.
MAX_MODEL_BYTES = 1024 * MiB
# Files packed inside a model (label lists, calibration): core/tflite/metadata.MAX_PACKED_FILE_BYTES.
# Label tracks, mapping and thresholds CSVs: an hour of dense labels is ~1 MB.
MAX_TEXT_BYTES = 64 * MiB
MAX_LINE_CHARS = 64 * 1024
# A JSON export holds every frame's scores: ~20 MB per hour of audio at the default hop.
MAX_JSON_BYTES = 1024 * MiB
# Sample rates a real recording can have; a header outside is damaged (or hostile).
MIN_AUDIO_RATE, MAX_AUDIO_RATE = 1000, 768_000
ECHO_CHARS = 60  # characters of user input quoted back in one message
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def describe_size(n: int) -> str:
    return f"{n / MiB:.1f} MiB" if n >= MiB else f"{n} bytes"


def shorten(text: str, limit: int = ECHO_CHARS) -> str:
    """``text`` for a message: at most ``limit`` characters, saying how long it really was."""
    text = _CONTROL.sub(" ", str(text))  # one line: a quoted cell may hold line breaks
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text)} characters)"


def is_special_path(path: str | os.PathLike) -> bool:
    """A file under /proc or /sys: regular in name only (size 0, content made on reading)."""
    parts = Path(os.path.abspath(path)).parts
    return len(parts) > 1 and parts[1] in ("proc", "sys")
