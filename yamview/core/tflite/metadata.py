"""Read and write a .tflite file's TFLite metadata and its packed files (label lists, calibration).

Layout of a model with metadata (as tflite-support and MediaPipe write it): the model flatbuffer
holds a ``TFLITE_METADATA`` entry pointing at a buffer that is itself a ``ModelMetadata``
flatbuffer (schema ``metadata_schema.fbs``, identifier ``M001``); the files the metadata names
(``yamnet_label_list.txt``, calibration files, ...) are a zip archive appended after the
flatbuffer, stored uncompressed because MediaPipe's reader takes them straight from the bytes.

This module is the only place that serialises metadata. It works on bytes, not paths: writing a
file is the caller's job (through the project's one write path).
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import flatbuffers
import numpy as np

from .vendor import metadata_schema_py_generated as meta_fb
from .calibration import CalibrationError, ScoreCalibration
from .graph import load_model, pack_model

METADATA_NAME = "TFLITE_METADATA"
_METADATA_IDENTIFIER = b"M001"
# The oldest metadata parser that understands everything written here (score calibration and
# audio properties are both in the 1.x schema; YAMNet's own file asks for 1.3.0).
MIN_PARSER_VERSION = "1.3.0"
# A packed file larger than this is not a label list or calibration file: refuse, don't read it.
MAX_PACKED_FILE_BYTES = 16 * 1024 * 1024

TRANSFORMATION_IDS = {
    "IDENTITY": meta_fb.ScoreTransformationType.IDENTITY,
    "LOG": meta_fb.ScoreTransformationType.LOG,
    "INVERSE_LOGISTIC": meta_fb.ScoreTransformationType.INVERSE_LOGISTIC,
}
_TRANSFORMATION_NAMES = {v: k for k, v in TRANSFORMATION_IDS.items()}


class MetadataError(ValueError):
    """The model's metadata (or a file it names) is unusable; the message says why."""


@dataclass(frozen=True)
class Head:
    """One classification output as metadata describes it (and as a writer is asked to)."""

    name: str
    classes: tuple[str, ...]  # from its TENSOR_AXIS_LABELS file
    label_file: str | None = None  # the packed file's name; derived from ``name`` when None
    calibration: ScoreCalibration | None = None
    description: str | None = None

    def label_file_name(self) -> str:
        return self.label_file or f"{_file_stem(self.name)}_labels.txt"

    def calibration_file_name(self) -> str:
        return f"{_file_stem(self.name)}_score_calibration.txt"


@dataclass(frozen=True)
class AudioModelMetadata:
    """What yamview reads from a model's metadata; fields are None/empty when not given."""

    name: str | None = None
    description: str | None = None
    sample_rate: int | None = None
    channels: int | None = None
    heads: tuple[Head, ...] = field(default_factory=tuple)


# --- reading -------------------------------------------------------------------------------


def read_metadata(model: bytes) -> meta_fb.ModelMetadataT | None:
    """The model's ``ModelMetadata`` object tree, or None when it has no metadata.

    Reads the model flatbuffer in place (no object tree of the whole model: that took ~80 ms for
    YAMNet, and every model load asks for its metadata).
    """
    root = _model_root(model)
    for i in range(root.MetadataLength()):
        entry = root.Metadata(i)
        if _text(entry.Name()) != METADATA_NAME:
            continue
        if entry.Buffer() >= root.BuffersLength():
            raise MetadataError("the model's metadata points at a buffer it does not have")
        buffer = root.Buffers(entry.Buffer())
        if buffer.DataLength() > 0:
            raw = buffer.DataAsNumpy().tobytes()
        elif buffer.Offset() > 1 and buffer.Size() > 0:  # models over 2 GB keep buffers outside
            raw = bytes(model[buffer.Offset(): buffer.Offset() + buffer.Size()])
        else:
            return None
        if not meta_fb.ModelMetadata.ModelMetadataBufferHasIdentifier(raw, 0):
            raise MetadataError("the model's TFLITE_METADATA buffer is not TFLite metadata")
        return meta_fb.ModelMetadataT.InitFromPackedBuf(raw, 0)
    return None


class _Window(io.RawIOBase):
    """A read-only file over ``data[:end]`` without copying it (zipfile needs seek and read)."""

    def __init__(self, data: memoryview, end: int) -> None:
        self._data, self._end, self._pos = data, end, 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = 0) -> int:
        base = {0: 0, 1: self._pos, 2: self._end}[whence]
        self._pos = max(0, min(self._end, base + offset))
        return self._pos

    def readinto(self, b) -> int:
        n = max(0, min(len(b), self._end - self._pos))
        b[:n] = self._data[self._pos : self._pos + n]
        self._pos += n
        return n


_EOCD = b"PK\x05\x06"  # a zip's end-of-central-directory record
_MAX_ARCHIVES = 8


def _archives(model: bytes) -> list[zipfile.ZipFile]:
    """Every zip archive appended to the model, the model's own (the first) first.

    zipfile alone sees only the last archive: one appended later would hide the model's own
    label file, and the model would lose its class names.
    """
    view = memoryview(model)
    found = []
    end = len(model)
    for _ in range(_MAX_ARCHIVES):
        at = model.rfind(_EOCD, 0, end)
        if at < 0:
            break
        comment = int.from_bytes(model[at + 20 : at + 22], "little")
        try:
            found.append(zipfile.ZipFile(_Window(view, min(len(model), at + 22 + comment))))
        except (zipfile.BadZipFile, ValueError, OSError, EOFError):
            pass
        end = at
    return found[::-1]


def packed_files(model: bytes, limit: int = MAX_PACKED_FILE_BYTES) -> dict[str, bytes]:
    """The files packed after the flatbuffer (name → bytes); {} when there are none.

    Each file is size-checked from the zip directory before it is read and read with that
    cap, so a hostile archive cannot make this allocate more than ``limit`` bytes per file.
    With several archives appended, a name in an earlier one (the model's own) wins.
    """
    files: dict[str, bytes] = {}
    for archive in _archives(model):
        with archive:
            for info in archive.infolist():
                if info.filename in files:
                    continue
                if info.file_size > limit:
                    raise MetadataError(
                        f"the model's packed file {info.filename[:80]!r} is {info.file_size:,} bytes "
                        f"(a label or calibration file is at most {limit:,})"
                    )
                try:
                    with archive.open(info) as f:
                        data = f.read(limit + 1)
                except (zipfile.BadZipFile, OSError, EOFError, RuntimeError, NotImplementedError) as exc:
                    raise MetadataError(f"the model's packed file {info.filename[:80]!r} cannot be "
                                        f"read ({str(exc)[:80]})") from None
                if len(data) > limit:
                    raise MetadataError(f"the model's packed file {info.filename[:80]!r} is more "
                                        f"than {limit:,} bytes")
                files[info.filename] = data
    return files


def read_audio_model_metadata(model: bytes) -> AudioModelMetadata:
    """Audio properties and every output head (class names, calibration) from a model's metadata.

    Raises CalibrationError when an output's score calibration is unusable (no file, the wrong
    number of lines, NaN values), MetadataError when other metadata is.
    """
    metadata = read_metadata(model)
    if metadata is None or not metadata.subgraphMetadata:
        return AudioModelMetadata()
    files = packed_files(model)
    subgraph = metadata.subgraphMetadata[0]
    rate = channels = None
    for tensor in (subgraph.inputTensorMetadata or [])[:1]:
        content = tensor.content
        if content is not None and content.contentPropertiesType == meta_fb.ContentProperties.AudioProperties:
            props = content.contentProperties
            rate = int(props.sampleRate) or None
            channels = int(props.channels) or None
    output_counts = _output_class_counts(model)
    heads = []
    for index, tensor in enumerate(subgraph.outputTensorMetadata or []):
        heads.append(_read_head(tensor, index, files, output_counts))
    return AudioModelMetadata(
        name=_text(metadata.name),
        description=_text(metadata.description),
        sample_rate=rate,
        channels=channels,
        heads=tuple(heads),
    )


def _read_head(
    tensor: meta_fb.TensorMetadataT, index: int, files: Mapping[str, bytes], counts: Sequence[int]
) -> Head:
    name = _text(tensor.name) or f"head {index}"
    classes: tuple[str, ...] = ()
    label_file = None
    calibration_file = None
    for f in tensor.associatedFiles or []:
        if f.type == meta_fb.AssociatedFileType.TENSOR_AXIS_LABELS and label_file is None:
            label_file = _text(f.name)
        elif f.type == meta_fb.AssociatedFileType.TENSOR_AXIS_SCORE_CALIBRATION:
            calibration_file = _text(f.name)
    if label_file is not None and label_file in files:
        classes = tuple(_decode(files[label_file], label_file).splitlines())
    calibration = None
    for unit in tensor.processUnits or []:
        if unit.optionsType != meta_fb.ProcessUnitOptions.ScoreCalibrationOptions:
            continue
        # MediaPipe looks for the calibration file on the output tensor's associated files.
        if calibration_file is None or calibration_file not in files:
            raise CalibrationError(f"output {name!r} asks for score calibration but has no calibration file")
        n_classes = counts[index] if index < len(counts) else len(classes)
        options = unit.options
        transformation = _TRANSFORMATION_NAMES.get(options.scoreTransformation)
        if transformation is None:
            raise CalibrationError(f"output {name!r}: unknown score transformation {options.scoreTransformation}")
        try:
            calibration = ScoreCalibration.parse(
                files[calibration_file], n_classes, transformation, options.defaultScore
            )
        except CalibrationError as e:
            raise CalibrationError(f"output {name!r}: {e}") from None
    return Head(name, classes, label_file, calibration, _text(tensor.description))


# --- writing -------------------------------------------------------------------------------


def with_metadata(model: bytes, metadata: meta_fb.ModelMetadataT, files: Mapping[str, bytes]) -> bytes:
    """``model`` with ``metadata`` as its TFLITE_METADATA and exactly ``files`` packed after it.

    Any previous metadata buffer and packed files are replaced.
    """
    if not metadata.minParserVersion:
        metadata.minParserVersion = MIN_PARSER_VERSION
    builder = flatbuffers.Builder(1024)
    builder.Finish(metadata.Pack(builder), _METADATA_IDENTIFIER)
    raw = builder.Output()

    model_t = load_model(model)
    from ai_edge_litert import (
        schema_py_generated as schema_fb,  # the runtime's own schema code
    )

    buffer = schema_fb.BufferT()
    buffer.data = np.frombuffer(bytes(raw), dtype=np.uint8)
    for entry in model_t.metadata or []:
        if _text(entry.name) == METADATA_NAME:
            model_t.buffers[entry.buffer] = buffer
            break
    else:
        model_t.buffers = list(model_t.buffers or [])
        model_t.buffers.append(buffer)
        entry = schema_fb.MetadataT()
        entry.name = METADATA_NAME
        entry.buffer = len(model_t.buffers) - 1
        model_t.metadata = list(model_t.metadata or []) + [entry]
    out = io.BytesIO()
    out.write(pack_model(model_t))
    if files:
        with zipfile.ZipFile(out, "a", compression=zipfile.ZIP_STORED) as archive:
            for name, data in files.items():
                archive.writestr(name, data)
    return out.getvalue()


def write_audio_classifier_metadata(
    model: bytes,
    heads: Sequence[Head],
    *,
    sample_rate: int | None = None,
    channels: int | None = None,
    name: str | None = None,
    description: str | None = None,
) -> bytes:
    """``model`` with metadata for an audio classifier: audio input properties and one entry per
    output head (its label file and, when given, its score calibration).

    What the model's existing metadata says is kept unless an argument replaces it (so YAMNet
    keeps its name, description, version and input description). ``heads`` must list every
    output, in the order of the model's outputs; each head's class names must match its class count.
    """
    counts = _output_class_counts(model)
    if len(heads) != len(counts):
        raise MetadataError(f"the model has {len(counts)} outputs but {len(heads)} heads were given")
    names = [h.name for h in heads]
    if len(set(names)) != len(names):
        raise MetadataError("two outputs would share one head name")
    for head, count in zip(heads, counts):
        if len(head.classes) != count:
            raise MetadataError(f"head {head.name!r} has {len(head.classes)} class names for {count} outputs")
        if head.calibration is not None and head.calibration.n_classes != count:
            raise MetadataError(f"head {head.name!r}: calibration for {head.calibration.n_classes} classes, {count} outputs")

    metadata = read_metadata(model) or meta_fb.ModelMetadataT()
    if name is not None:
        metadata.name = name
    if description is not None:
        metadata.description = description
    if not metadata.subgraphMetadata:
        metadata.subgraphMetadata = [meta_fb.SubGraphMetadataT()]
    subgraph = metadata.subgraphMetadata[0]
    inputs = subgraph.inputTensorMetadata or [meta_fb.TensorMetadataT()]
    audio_in = inputs[0]
    if not audio_in.name:
        audio_in.name = "audio_clip"
    props = _audio_properties(audio_in)
    if sample_rate is not None:
        props.sampleRate = int(sample_rate)
    if channels is not None:
        props.channels = int(channels)
    if not props.sampleRate:
        raise MetadataError("an audio classifier's metadata needs the input's sample rate")
    props.channels = props.channels or 1
    subgraph.inputTensorMetadata = inputs

    old_outputs = subgraph.outputTensorMetadata or []
    files: dict[str, bytes] = {}
    outputs = []
    for index, head in enumerate(heads):
        tensor = old_outputs[index] if index < len(old_outputs) else meta_fb.TensorMetadataT()
        outputs.append(_write_head(tensor, head, files))
    subgraph.outputTensorMetadata = outputs
    # Files named by the input or the model (descriptions, ...) stay packed too.
    existing = packed_files(model)
    for f in _all_associated_files(metadata):
        fname = _text(f.name)
        if fname and fname not in files and fname in existing:
            files[fname] = existing[fname]
    return with_metadata(model, metadata, files)


def _write_head(tensor: meta_fb.TensorMetadataT, head: Head, files: dict[str, bytes]) -> meta_fb.TensorMetadataT:
    tensor.name = head.name
    if head.description is not None:
        tensor.description = head.description
    if tensor.content is None:
        tensor.content = meta_fb.ContentT()
        tensor.content.contentPropertiesType = meta_fb.ContentProperties.FeatureProperties
        tensor.content.contentProperties = meta_fb.FeaturePropertiesT()
    kept = [
        f for f in (tensor.associatedFiles or [])
        if f.type not in (meta_fb.AssociatedFileType.TENSOR_AXIS_LABELS,
                          meta_fb.AssociatedFileType.TENSOR_AXIS_SCORE_CALIBRATION)
    ]
    label_file = meta_fb.AssociatedFileT()
    label_file.name = head.label_file_name()
    label_file.description = "Labels for the classes this output scores, one per line, in order."
    label_file.type = meta_fb.AssociatedFileType.TENSOR_AXIS_LABELS
    files[label_file.name] = "\n".join(head.classes).encode("utf-8")
    kept.insert(0, label_file)
    units = [
        u for u in (tensor.processUnits or [])
        if u.optionsType != meta_fb.ProcessUnitOptions.ScoreCalibrationOptions
    ]
    if head.calibration is not None:
        cal = meta_fb.AssociatedFileT()
        cal.name = head.calibration_file_name()
        cal.description = "Per-class score calibration: scale,slope,offset[,min_score] per line."
        cal.type = meta_fb.AssociatedFileType.TENSOR_AXIS_SCORE_CALIBRATION
        files[cal.name] = head.calibration.to_file()
        kept.append(cal)
        options = meta_fb.ScoreCalibrationOptionsT()
        options.scoreTransformation = TRANSFORMATION_IDS[head.calibration.transformation]
        options.defaultScore = float(head.calibration.default_score)
        unit = meta_fb.ProcessUnitT()
        unit.optionsType = meta_fb.ProcessUnitOptions.ScoreCalibrationOptions
        unit.options = options
        units.append(unit)
    tensor.associatedFiles = kept
    tensor.processUnits = units or None
    return tensor


def _audio_properties(tensor: meta_fb.TensorMetadataT) -> meta_fb.AudioPropertiesT:
    content = tensor.content
    if content is None or content.contentPropertiesType != meta_fb.ContentProperties.AudioProperties:
        content = meta_fb.ContentT()
        content.contentPropertiesType = meta_fb.ContentProperties.AudioProperties
        content.contentProperties = meta_fb.AudioPropertiesT()
        tensor.content = content
    return content.contentProperties


def _all_associated_files(metadata: meta_fb.ModelMetadataT) -> list[meta_fb.AssociatedFileT]:
    found = list(metadata.associatedFiles or [])
    for subgraph in metadata.subgraphMetadata or []:
        for tensor in (subgraph.inputTensorMetadata or []) + (subgraph.outputTensorMetadata or []):
            found += tensor.associatedFiles or []
    return found


def _output_class_counts(model: bytes) -> list[int]:
    """Classes per output (the last dimension of each output tensor) of the first subgraph."""
    subgraph = _model_root(model).Subgraphs(0)
    return [int(subgraph.Tensors(subgraph.Outputs(i)).ShapeAsNumpy()[-1])
            for i in range(subgraph.OutputsLength())]


def _model_root(model: bytes):
    """The model flatbuffer's root table, read in place; MetadataError if it is not a model."""
    from ai_edge_litert import schema_py_generated as schema_fb

    if len(model) < 8 or model[4:8] != b"TFL3":
        raise MetadataError("not a TFLite model (no TFL3 identifier)")
    try:
        root = schema_fb.Model.GetRootAs(model, 0)
        root.SubgraphsLength()
        return root
    except Exception as e:  # noqa: BLE001 - any flatbuffer failure is "this is not a model"
        raise MetadataError(f"the TFLite model cannot be read: {e}") from None


def _file_stem(name: str) -> str:
    stem = "".join(c if c.isalnum() or c in "-_" else "_" for c in name.strip()).strip("_")
    return stem or "head"


def _text(value: bytes | str | None) -> str | None:
    if value is None:
        return None
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


def _decode(data: bytes, name: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise MetadataError(f"the model's packed file {name!r} is not UTF-8 text") from None
