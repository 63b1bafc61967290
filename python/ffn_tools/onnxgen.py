"""Writes test models as ONNX graphs, in the form PyTorch's exporter emits.

The graph computes exactly what :mod:`ffn_tools.mlirgen` writes and
:mod:`ffn_tools.reference` evaluates, with the ops real exports use, so it
serves both as onnxruntime's input (reference and speed baseline) and as
importer test input:

- linear: ``MatMul`` with the transposed weight ``Wᵀ`` (``[in, out]``) as an
  initializer, then ``Add`` of the bias;
- GELU (erf): ``Div(x, √2) → Erf → Add(1) → Mul(x) → Mul(0.5)``;
- GELU (tanh): ``Pow(x, 3) → Mul(0.044715) → Add(x) → Mul(√(2/π)) → Tanh →
  Add(1) → Mul(x) → Mul(0.5)``;
- ReLU: ``Relu``; SiLU: ``Mul(x, Sigmoid(x))``;
- LayerNorm: ``LayerNormalization`` (opset 17), axis -1;
- RMSNorm: ``Pow(x, 2) → ReduceMean(-1) → Add(eps) → Sqrt → Div(x, ·) → Mul(scale)``;
- residual: ``Add(x, ·)``.

The default opset is 17 (the newest the Debian onnx library's schemas know);
with ``opset >= 18`` ReduceMean takes its axes as an input, as the standard
requires.
"""

from __future__ import annotations

import math
import os
from typing import List, Optional, Union

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from ffn_tools.model import FFNModel

DEFAULT_OPSET = 17
#: IR version matching opset 17/18; onnxruntime rejects IR versions newer
#: than it knows, which the onnx package's default may be.
DEFAULT_IR_VERSION = 8


class _GraphBuilder:
    """Accumulates nodes and initializers with unique names."""

    def __init__(self) -> None:
        self.nodes: List[onnx.NodeProto] = []
        self.inits: List[onnx.TensorProto] = []
        self._count = 0
        self._scalars = {}

    def fresh(self, hint: str) -> str:
        self._count += 1
        return f"{hint}_{self._count}"

    def node(self, op: str, inputs: List[str], hint: str, output: Optional[str] = None, **attrs) -> str:
        out = output or self.fresh(hint)
        self.nodes.append(helper.make_node(op, inputs, [out], name=self.fresh(f"{hint}/{op}"), **attrs))
        return out

    def init(self, name: str, array: np.ndarray) -> str:
        self.inits.append(numpy_helper.from_array(np.ascontiguousarray(array), name))
        return name

    def scalar(self, value: float, dtype=np.float32) -> str:
        """A shared scalar constant initializer (shape ``[]``)."""
        key = (float(value), np.dtype(dtype).str)
        if key not in self._scalars:
            name = f"const_{len(self._scalars)}"
            self._scalars[key] = self.init(name, np.array(value, dtype=dtype))
        return self._scalars[key]


def _linear(g: _GraphBuilder, x: str, weight: np.ndarray, bias: Optional[np.ndarray], name: str) -> str:
    wt = g.init(f"{name}.weight_t", np.ascontiguousarray(weight.T))
    y = g.node("MatMul", [x, wt], f"{name}/matmul")
    if bias is not None:
        b = g.init(f"{name}.bias", bias)
        y = g.node("Add", [y, b], f"{name}/bias")
    return y


def _activation(g: _GraphBuilder, act: str, h: str) -> str:
    if act == "gelu":
        t = g.node("Div", [h, g.scalar(math.sqrt(2.0))], "gelu")
        t = g.node("Erf", [t], "gelu")
        t = g.node("Add", [t, g.scalar(1.0)], "gelu")
        t = g.node("Mul", [h, t], "gelu")
        return g.node("Mul", [t, g.scalar(0.5)], "gelu")
    if act == "gelu_tanh":
        t = g.node("Pow", [h, g.scalar(3.0)], "gelu_tanh")
        t = g.node("Mul", [t, g.scalar(0.044715)], "gelu_tanh")
        t = g.node("Add", [h, t], "gelu_tanh")
        t = g.node("Mul", [t, g.scalar(math.sqrt(2.0 / math.pi))], "gelu_tanh")
        t = g.node("Tanh", [t], "gelu_tanh")
        t = g.node("Add", [t, g.scalar(1.0)], "gelu_tanh")
        t = g.node("Mul", [h, t], "gelu_tanh")
        return g.node("Mul", [t, g.scalar(0.5)], "gelu_tanh")
    if act == "relu":
        return g.node("Relu", [h], "relu")
    if act == "silu":
        s = g.node("Sigmoid", [h], "silu")
        return g.node("Mul", [h, s], "silu")
    raise ValueError(f"unknown activation {act!r}")


def _rms_norm(g: _GraphBuilder, x: str, scale: np.ndarray, eps: float, opset: int) -> str:
    sq = g.node("Pow", [x, g.scalar(2.0)], "rms_norm")
    if opset >= 18:
        axes = g.init("rms_norm.axes", np.array([-1], dtype=np.int64))
        ms = g.node("ReduceMean", [sq, axes], "rms_norm", keepdims=1)
    else:
        ms = g.node("ReduceMean", [sq], "rms_norm", axes=[-1], keepdims=1)
    t = g.node("Add", [ms, g.scalar(eps)], "rms_norm")
    t = g.node("Sqrt", [t], "rms_norm")
    t = g.node("Div", [x, t], "rms_norm")
    s = g.init("rms_norm.weight", scale)
    return g.node("Mul", [t, s], "rms_norm")


def onnx_model(
    model: FFNModel,
    input_name: str = "x",
    output_name: str = "y",
    opset: int = DEFAULT_OPSET,
    dynamic_batch: bool = False,
    dynamic_tokens: bool = False,
) -> onnx.ModelProto:
    """Builds the ONNX graph of ``model``.

    ``dynamic_batch`` makes the first dimension of ``x`` and ``y`` symbolic
    (``dim_param = "batch"``), as exporters do with ``dynamic_axes``;
    ``dynamic_tokens`` makes every dimension but the feature one symbolic
    (``batch`` and ``seq``, or ``tokens`` for a 2-D ``x``).
    """
    spec, p = model.spec, model.params
    g = _GraphBuilder()
    x = input_name
    if spec.norm == "layer":
        ln_s = g.init("layer_norm.weight", p["ln_scale"])
        ln_b = g.init("layer_norm.bias", p["ln_bias"])
        n = g.node("LayerNormalization", [x, ln_s, ln_b], "layer_norm", axis=-1, epsilon=float(spec.eps))
    elif spec.norm == "rms":
        n = _rms_norm(g, x, p["rms_scale"], spec.eps, opset)
    else:
        n = x

    lins = spec.linears()
    bias = lambda lin: p[lin.bias] if lin.bias else None  # noqa: E731
    if spec.kind == "encoder":
        first, second = lins
        h = _linear(g, n, p[first.weight], bias(first), "fc1")
        a = _activation(g, spec.act, h)
        o = _linear(g, a, p[second.weight], bias(second), "fc2")
    else:
        gate, up, down = lins
        gh = _linear(g, n, p[gate.weight], None, "gate_proj")
        uh = _linear(g, n, p[up.weight], None, "up_proj")
        m = g.node("Mul", [_activation(g, spec.act, gh), uh], "gated")
        o = _linear(g, m, p[down.weight], None, "down_proj")

    if spec.residual:
        g.node("Add", [x, o], "residual", output=output_name)
    else:
        # The last node computed ``o``: let it produce the graph output.
        assert g.nodes[-1].output[0] == o
        g.nodes[-1].output[0] = output_name

    shape: List[Union[int, str]] = list(spec.token_shape)
    if dynamic_batch:
        shape[0] = "batch"
    if dynamic_tokens:
        names = ["tokens"] if len(shape) == 2 else ["batch", "seq"][-(len(shape) - 1):]
        shape[:-1] = names
    graph = helper.make_graph(
        g.nodes,
        f"ffn_{spec.kind}",
        [helper.make_tensor_value_info(input_name, TensorProto.FLOAT, shape)],
        [helper.make_tensor_value_info(output_name, TensorProto.FLOAT, shape)],
        initializer=g.inits,
    )
    m = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", opset)],
        ir_version=DEFAULT_IR_VERSION if opset <= 18 else 9 if opset <= 20 else 10,
        producer_name="ffn_tools.onnxgen",
    )
    onnx.checker.check_model(m)
    return m


def write_onnx(model: FFNModel, path: Union[str, os.PathLike], **kwargs) -> onnx.ModelProto:
    """Writes the model's ONNX graph to ``path`` (weights inside the file)."""
    m = onnx_model(model, **kwargs)
    onnx.save_model(m, os.fspath(path))
    return m


def ort_session(model_or_path, threads: int = 2):
    """An onnxruntime CPU session with ``threads`` intra-op threads.

    Accepts a path or an in-memory :class:`onnx.ModelProto`.
    """
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    so.log_severity_level = 3
    src = model_or_path.SerializeToString() if isinstance(model_or_path, onnx.ModelProto) else os.fspath(model_or_path)
    return ort.InferenceSession(src, so, providers=["CPUExecutionProvider"])


def run_onnxruntime(model_or_path, x: np.ndarray, threads: int = 2, input_name: str = "x") -> np.ndarray:
    """Runs the model once on ``x`` and returns its single output."""
    sess = ort_session(model_or_path, threads)
    return sess.run(None, {input_name: x})[0]
