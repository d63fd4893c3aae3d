"""Build tiny real TFLite models in tests (no TensorFlow needed): flatbuffers per tflite/schema.fbs.

Used to check how yamview treats models other than YAMNet: another window length, no labels,
no metadata, a non-waveform input shape. The LiteRT interpreter runs them for real.
"""

from __future__ import annotations

import io
import zipfile

import flatbuffers
import numpy as np

FLOAT32, INT32 = 0, 2  # TensorType
RESHAPE, MEAN = 22, 40  # BuiltinOperator


def _int_vector(b: flatbuffers.Builder, values) -> int:
    b.StartVector(4, len(values), 4)
    for v in reversed(values):
        b.PrependInt32(int(v))
    return b.EndVector()


def _offset_vector(b: flatbuffers.Builder, offsets) -> int:
    b.StartVector(4, len(offsets), 4)
    for o in reversed(offsets):
        b.PrependUOffsetTRelative(o)
    return b.EndVector()


def _table(b: flatbuffers.Builder, fields: list[tuple[str, int, object]]) -> int:
    """fields: (kind, slot, value) with kind in offset/uint32/int32/int8/uint8."""
    b.StartObject(max(slot for _, slot, _ in fields) + 1)
    for kind, slot, value in fields:
        if kind == "offset":
            b.PrependUOffsetTRelativeSlot(slot, value, 0)
        elif kind == "uint32":
            b.PrependUint32Slot(slot, value, 0xFFFFFFFF)  # never equal the default: always written
        elif kind == "int32":
            b.PrependInt32Slot(slot, value, -(2**31))
        elif kind == "int8":
            b.PrependInt8Slot(slot, value, -128)
        elif kind == "uint8":
            b.PrependUint8Slot(slot, value, 255)
    return b.EndObject()


def build_model(input_shape, reshape_to, reduce_axis: int, labels: list[str] | None = None) -> bytes:
    """x(float32 input_shape) -> RESHAPE(reshape_to) -> MEAN(axis) -> scores.

    ``reshape_to=None`` skips the reshape. ``labels`` are appended as a zip, as TFLite Task
    models do (the flatbuffer ignores trailing bytes; zip readers find the central directory).
    """
    b = flatbuffers.Builder(1024)
    # buffers: 0 empty sentinel, 1 reshape shape, 2 mean axis
    datas = [b""]
    if reshape_to is not None:
        datas.append(np.asarray(reshape_to, np.int32).tobytes())
    datas.append(np.asarray([reduce_axis], np.int32).tobytes())
    buffers = []
    for d in datas:
        if d:
            vec = b.CreateByteVector(d)
            buffers.append(_table(b, [("offset", 0, vec)]))
        else:
            b.StartObject(1)
            buffers.append(b.EndObject())

    tensors_spec = [("input", list(input_shape), FLOAT32, 0)]
    ops = []
    cur = 0
    if reshape_to is not None:
        tensors_spec.append(("shape", [len(reshape_to)], INT32, 1))
        tensors_spec.append(("reshaped", list(reshape_to), FLOAT32, 0))
        ops.append((0, [cur, 1], [2]))
        cur = 2
    axis_buffer = len(datas) - 1
    reduced_shape = list(reshape_to if reshape_to is not None else input_shape)
    del reduced_shape[reduce_axis]
    tensors_spec.append(("axis", [1], INT32, axis_buffer))
    tensors_spec.append(("scores", reduced_shape, FLOAT32, 0))
    axis_t, out_t = len(tensors_spec) - 2, len(tensors_spec) - 1
    ops.append((1 if reshape_to is not None else 0, [cur, axis_t], [out_t]))

    tensors = []
    for name, shape, ttype, buf in tensors_spec:
        n = b.CreateString(name)
        s = _int_vector(b, shape)
        tensors.append(_table(b, [("offset", 0, s), ("uint8", 1, ttype), ("uint32", 2, buf), ("offset", 3, n)]))
    operators = []
    for opcode, ins, outs in ops:
        iv, ov = _int_vector(b, ins), _int_vector(b, outs)
        operators.append(_table(b, [("uint32", 0, opcode), ("offset", 1, iv), ("offset", 2, ov)]))
    codes = []
    for code in ([RESHAPE] if reshape_to is not None else []) + [MEAN]:
        codes.append(_table(b, [("int8", 0, code), ("int32", 2, 1), ("int32", 3, code)]))

    sg_name = b.CreateString("main")
    tv, iv, ov, opv = (_offset_vector(b, tensors), _int_vector(b, [0]), _int_vector(b, [out_t]),
                       _offset_vector(b, operators))
    subgraph = _table(b, [("offset", 0, tv), ("offset", 1, iv), ("offset", 2, ov), ("offset", 3, opv),
                          ("offset", 4, sg_name)])
    desc = b.CreateString("yamview test model")
    codes_v, sg_v, buf_v = _offset_vector(b, codes), _offset_vector(b, [subgraph]), _offset_vector(b, buffers)
    model = _table(b, [("uint32", 0, 3), ("offset", 1, codes_v), ("offset", 2, sg_v), ("offset", 3, desc),
                       ("offset", 4, buf_v)])
    b.Finish(model, file_identifier=b"TFL3")
    data = bytes(b.Output())
    if labels is not None:
        z = io.BytesIO()
        with zipfile.ZipFile(z, "w") as archive:
            archive.writestr("labels.txt", "\n".join(labels) + "\n")
        data += z.getvalue()
    return data


def tiny_classifier(
    window: int = 8000, classes: int = 4, labels: list[str] | None = None, rate: int | None = None
) -> bytes:
    """A waveform classifier: [window] -> [classes] (mean of each of ``classes`` equal chunks).

    With ``rate`` (and ``labels``) it carries real TFLite metadata, written by yamview's own
    writer; without, it is a bare model (labels, if any, zipped after it with no metadata).
    """
    if rate is None:
        return build_model([window], [classes, window // classes], 1, labels)
    from yamview.core.tflite import Head, write_audio_classifier_metadata

    bare = build_model([window], [classes, window // classes], 1)
    return write_audio_classifier_metadata(bare, [Head("scores", tuple(labels or ()))], sample_rate=rate)


def image_like_model() -> bytes:
    """A model whose input is [4, 2000]: not a mono waveform."""
    return build_model([4, 2000], None, 1)
