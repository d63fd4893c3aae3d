"""Edit a .tflite graph: unpack/pack the model flatbuffer and append a classification head.

A head is a small dense layer on an inner tensor of the model (for YAMNet its 1024-D embedding
``tower0/network/layer28/reduce_mean``, int8). It is added as new operators at the end of the
graph, so the model gains an output and keeps the ones it has, unchanged:

    inner tensor ─(DEQUANTIZE if quantised)→ RESHAPE [1, D] → FULLY_CONNECTED → SOFTMAX|LOGISTIC

Uses the flatbuffer object API that ships with the runtime (``ai_edge_litert``), so yamview needs
no TensorFlow to make a model that LiteRT, MediaPipe and the Android example run.
"""

from __future__ import annotations

import flatbuffers
import numpy as np
from ai_edge_litert import schema_py_generated as schema_fb

_MODEL_IDENTIFIER = b"TFL3"
ACTIVATIONS = {"softmax": schema_fb.BuiltinOperator.SOFTMAX, "sigmoid": schema_fb.BuiltinOperator.LOGISTIC}


class GraphError(ValueError):
    """The model cannot be edited as asked (message says why)."""


def load_model(model: bytes) -> schema_fb.ModelT:
    """The model flatbuffer as an object tree (packed files after it are ignored)."""
    if len(model) < 8 or model[4:8] != _MODEL_IDENTIFIER:
        raise GraphError("not a TFLite model (no TFL3 identifier)")
    try:
        return schema_fb.ModelT.InitFromPackedBuf(model, 0)
    except Exception as e:  # noqa: BLE001 - any flatbuffer failure is "this is not a model"
        raise GraphError(f"the TFLite model cannot be read: {e}") from None


def pack_model(model_t: schema_fb.ModelT) -> bytes:
    builder = flatbuffers.Builder(1024 * 1024)
    builder.Finish(model_t.Pack(builder), _MODEL_IDENTIFIER)
    return bytes(builder.Output())


def tensor_index(model_t: schema_fb.ModelT, name: str) -> int:
    """Index of the tensor called ``name`` in the first subgraph; GraphError when absent."""
    for i, tensor in enumerate(model_t.subgraphs[0].tensors):
        if _text(tensor.name) == name:
            return i
    raise GraphError(f"the model has no tensor {name!r}")


def add_head(
    model: bytes,
    source_tensor: str,
    weights: np.ndarray,
    bias: np.ndarray,
    *,
    name: str,
    activation: str = "softmax",
) -> bytes:
    """``model`` with one more output: ``activation(flatten(source) @ weights.T + bias)``.

    ``weights`` is (classes, features) as in FULLY_CONNECTED, ``bias`` (classes,). The new
    output's tensor is called ``name``. Packed files (metadata's label lists) are dropped: write
    the metadata afterwards.
    """
    if activation not in ACTIVATIONS:
        raise GraphError(f"unknown head activation {activation!r} (softmax or sigmoid)")
    weights = np.ascontiguousarray(weights, dtype=np.float32)
    bias = np.ascontiguousarray(bias, dtype=np.float32)
    if weights.ndim != 2 or bias.shape != (weights.shape[0],):
        raise GraphError("a head needs weights of shape (classes, features) and bias (classes,)")
    if not (np.isfinite(weights).all() and np.isfinite(bias).all()):
        raise GraphError("the head's weights are not all finite numbers")
    model_t = load_model(model)
    subgraph = model_t.subgraphs[0]
    source = tensor_index(model_t, source_tensor)
    features = int(np.prod(subgraph.tensors[source].shape))
    if features != weights.shape[1]:
        raise GraphError(
            f"tensor {source_tensor!r} has {features} values but the head expects {weights.shape[1]}"
        )
    classes = weights.shape[0]
    edit = _GraphEdit(model_t)
    x = source
    if subgraph.tensors[source].type != schema_fb.TensorType.FLOAT32:
        x = edit.tensor(f"{name}/dequantize", subgraph.tensors[source].shape)
        edit.op(schema_fb.BuiltinOperator.DEQUANTIZE, [source], [x], version=2)
    shape = edit.tensor(f"{name}/flat_shape", [2], np.array([1, features], np.int32), schema_fb.TensorType.INT32)
    flat = edit.tensor(f"{name}/flat", [1, features])
    reshape = schema_fb.ReshapeOptionsT()
    reshape.newShape = [1, features]
    edit.op(schema_fb.BuiltinOperator.RESHAPE, [x, shape], [flat],
            schema_fb.BuiltinOptions.ReshapeOptions, reshape)
    w = edit.tensor(f"{name}/weights", [classes, features], weights)
    b = edit.tensor(f"{name}/bias", [classes], bias)
    logits = edit.tensor(f"{name}/logits", [1, classes])
    dense = schema_fb.FullyConnectedOptionsT()
    dense.fusedActivationFunction = schema_fb.ActivationFunctionType.NONE
    edit.op(schema_fb.BuiltinOperator.FULLY_CONNECTED, [flat, w, b], [logits],
            schema_fb.BuiltinOptions.FullyConnectedOptions, dense)
    out = edit.tensor(name, [1, classes])
    if activation == "softmax":
        options = schema_fb.SoftmaxOptionsT()
        options.beta = 1.0
        edit.op(ACTIVATIONS[activation], [logits], [out], schema_fb.BuiltinOptions.SoftmaxOptions, options)
    else:
        edit.op(ACTIVATIONS[activation], [logits], [out])
    subgraph.outputs = list(subgraph.outputs) + [out]
    for signature in model_t.signatureDefs or []:
        tensor_map = schema_fb.TensorMapT()
        tensor_map.name = name
        tensor_map.tensorIndex = out
        signature.outputs = list(signature.outputs or []) + [tensor_map]
    return pack_model(model_t)


class _GraphEdit:
    """Appends tensors, buffers and operators to the first subgraph of a model."""

    def __init__(self, model_t: schema_fb.ModelT) -> None:
        self.model = model_t
        self.subgraph = model_t.subgraphs[0]
        self.subgraph.tensors = list(self.subgraph.tensors)
        self.subgraph.operators = list(self.subgraph.operators or [])
        self.model.buffers = list(self.model.buffers or [])
        self.model.operatorCodes = list(self.model.operatorCodes or [])

    def tensor(self, name: str, shape: list[int], data: np.ndarray | None = None,
               dtype: int = schema_fb.TensorType.FLOAT32) -> int:
        buffer = schema_fb.BufferT()
        if data is not None:
            buffer.data = np.frombuffer(np.ascontiguousarray(data).tobytes(), dtype=np.uint8)
        self.model.buffers.append(buffer)
        tensor = schema_fb.TensorT()
        tensor.name = name
        tensor.shape = np.array(shape, dtype=np.int32)
        tensor.type = dtype
        tensor.buffer = len(self.model.buffers) - 1
        self.subgraph.tensors.append(tensor)
        return len(self.subgraph.tensors) - 1

    def op(self, code: int, inputs: list[int], outputs: list[int], options_type: int = 0,
           options: object = None, version: int = 1) -> None:
        operator = schema_fb.OperatorT()
        operator.opcodeIndex = self._opcode(code, version)
        operator.inputs = np.array(inputs, dtype=np.int32)
        operator.outputs = np.array(outputs, dtype=np.int32)
        operator.builtinOptionsType = options_type
        operator.builtinOptions = options
        self.subgraph.operators.append(operator)

    def _opcode(self, code: int, version: int) -> int:
        for i, existing in enumerate(self.model.operatorCodes):
            if max(existing.builtinCode, existing.deprecatedBuiltinCode) == code:
                existing.version = max(existing.version, version)
                return i
        opcode = schema_fb.OperatorCodeT()
        opcode.builtinCode = code
        # Codes above 127 live only in builtinCode; old readers look at the deprecated byte.
        opcode.deprecatedBuiltinCode = min(code, schema_fb.BuiltinOperator.PLACEHOLDER_FOR_GREATER_OP_CODES)
        opcode.version = version
        self.model.operatorCodes.append(opcode)
        return len(self.model.operatorCodes) - 1


def _text(value: bytes | str | None) -> str | None:
    if value is None:
        return None
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value
