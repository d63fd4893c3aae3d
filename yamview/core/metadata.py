"""Read the few TFLite metadata fields yamview needs, straight from the flatbuffer.

A .tflite file is a flatbuffer (schema ``tflite/schema.fbs``); models made for the TFLite Task
library carry a second flatbuffer, ``TFLITE_METADATA`` (schema ``metadata_schema.fbs``), with the
audio sample rate and the name of the label file. The full generated schema code lives in
tflite-support, which does not install on current Python/numpy, so this module walks only the
fields below with the ``flatbuffers`` runtime. Field numbers are the schemas' field order.
"""

from __future__ import annotations

from dataclasses import dataclass

import flatbuffers
from flatbuffers.table import Table

# tflite/schema.fbs: table Model
_MODEL_BUFFERS = 4
_MODEL_METADATA = 6
# table Metadata { name: string; buffer: uint; }
_META_NAME, _META_BUFFER = 0, 1
# table Buffer { data: [ubyte]; offset: ulong; size: ulong; }
_BUFFER_DATA, _BUFFER_OFFSET, _BUFFER_SIZE = 0, 1, 2
# metadata_schema.fbs: table ModelMetadata
_MM_NAME, _MM_SUBGRAPHS = 0, 3
# table SubGraphMetadata { name; description; input_tensor_metadata; output_tensor_metadata; }
_SG_INPUTS, _SG_OUTPUTS = 2, 3
# table TensorMetadata { name; description; dimension_names; content; process_units; stats;
#                        associated_files; }
_TM_CONTENT, _TM_FILES = 3, 6
# table Content { content_properties: ContentProperties (union: type slot, value slot); range }
_CONTENT_TYPE, _CONTENT_VALUE = 0, 1
_AUDIO_PROPERTIES = 4  # union ContentProperties { FeatureProperties, ImageProperties,
#                          BoundingBoxProperties, AudioProperties }
# table AudioProperties { sample_rate: uint; channels: uint; }
_AP_RATE, _AP_CHANNELS = 0, 1
# table AssociatedFile { name: string; description: string; type: AssociatedFileType; }
_AF_NAME, _AF_TYPE = 0, 2
_TENSOR_AXIS_LABELS = 2


@dataclass(frozen=True)
class AudioMetadata:
    """What the model's metadata says about its audio input and label file (None: not given)."""

    model_name: str | None = None
    sample_rate: int | None = None
    channels: int | None = None
    label_file: str | None = None


def _slot(field: int) -> int:
    return 4 + 2 * field


def _root(buf: bytes | bytearray | memoryview, pos: int = 0) -> Table:
    return Table(buf, pos + flatbuffers.encode.Get(flatbuffers.packer.uoffset, buf, pos))


def _scalar(t: Table, field: int, flags, default=0):
    o = t.Offset(_slot(field))
    return t.Get(flags, o + t.Pos) if o else default


def _string(t: Table, field: int) -> str | None:
    o = t.Offset(_slot(field))
    return t.String(o + t.Pos).decode("utf-8", "replace") if o else None


def _tables(t: Table, field: int) -> list[Table]:
    o = t.Offset(_slot(field))
    if not o:
        return []
    start = t.Vector(o)
    return [Table(t.Bytes, t.Indirect(start + 4 * i)) for i in range(t.VectorLen(o))]


def _sub_table(t: Table, field: int) -> Table | None:
    o = t.Offset(_slot(field))
    return Table(t.Bytes, t.Indirect(o + t.Pos)) if o else None


def _metadata_buffer(model: bytes) -> bytes | None:
    """The raw TFLITE_METADATA flatbuffer inside a .tflite file, or None."""
    root = _root(model)
    buffers = _tables(root, _MODEL_BUFFERS)
    for meta in _tables(root, _MODEL_METADATA):
        if _string(meta, _META_NAME) != "TFLITE_METADATA":
            continue
        index = _scalar(meta, _META_BUFFER, flatbuffers.number_types.Uint32Flags)
        if index >= len(buffers):
            return None
        buf = buffers[index]
        o = buf.Offset(_slot(_BUFFER_DATA))
        if o:
            start = buf.Vector(o)
            return bytes(model[start : start + buf.VectorLen(o)])
        # Models over 2 GB keep buffers outside the flatbuffer, addressed by offset and size.
        offset = _scalar(buf, _BUFFER_OFFSET, flatbuffers.number_types.Uint64Flags)
        size = _scalar(buf, _BUFFER_SIZE, flatbuffers.number_types.Uint64Flags)
        return bytes(model[offset : offset + size]) if offset > 1 else None
    return None


def read_audio_metadata(model: bytes) -> AudioMetadata:
    """Sample rate, channels and label file name from a model's metadata; empty when it has none.

    Never raises on a model without metadata; a malformed metadata block also yields an empty
    result, since the interpreter (not this reader) is the judge of whether the model is valid.
    """
    try:
        raw = _metadata_buffer(model)
        if raw is None:
            return AudioMetadata()
        root = _root(raw)
        name = _string(root, _MM_NAME)
        rate = channels = label_file = None
        for subgraph in _tables(root, _MM_SUBGRAPHS)[:1]:
            for tensor in _tables(subgraph, _SG_INPUTS)[:1]:
                content = _sub_table(tensor, _TM_CONTENT)
                if content is not None and _scalar(
                    content, _CONTENT_TYPE, flatbuffers.number_types.Uint8Flags
                ) == _AUDIO_PROPERTIES:
                    props = _sub_table(content, _CONTENT_VALUE)
                    if props is not None:
                        rate = _scalar(props, _AP_RATE, flatbuffers.number_types.Uint32Flags) or None
                        channels = (
                            _scalar(props, _AP_CHANNELS, flatbuffers.number_types.Uint32Flags) or None
                        )
            for tensor in _tables(subgraph, _SG_OUTPUTS)[:1]:
                for f in _tables(tensor, _TM_FILES):
                    kind = _scalar(f, _AF_TYPE, flatbuffers.number_types.Int8Flags)
                    if kind == _TENSOR_AXIS_LABELS and label_file is None:
                        label_file = _string(f, _AF_NAME)
        return AudioMetadata(name, rate, channels, label_file)
    except Exception:  # noqa: BLE001 - any parse failure means "no usable metadata"
        return AudioMetadata()
