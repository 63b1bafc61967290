"""Transformer layers with self-attention as ONNX graphs, in the form
``torch.onnx.export`` emits them, and their numpy reference.

Two layer kinds, stacked ``layers`` times on an input ``x`` of shape
``[B, T, D]``:

- ``bert``: a post-norm BERT encoder layer. Q/K/V as ``MatMul + Add``; heads
  split by ``Reshape`` to a shape computed at run time
  (``Shape → Gather → Unsqueeze → Concat``, what ``x.view(B, T, h, d)``
  exports to) and ``Transpose``; scores ``MatMul(q, kᵀ)``, ``Div`` by
  ``sqrt(d)``, plus the extended attention mask ``(1 - mask) * -10000`` of an
  all-ones mask made by ``ConstantOfShape``; ``Softmax``; ``MatMul`` with V;
  ``Transpose`` back and ``Reshape`` to ``[B, T, D]`` (the shape from
  ``Slice(Shape(·))`` and ``Concat``); the output projection, the residual and
  ``LayerNormalization``; then the FFN (``MatMul``, ``Add``, erf GELU
  decomposed, ``MatMul``, ``Add``), the residual and ``LayerNormalization``.
- ``gpt2``: a pre-norm GPT-2 block. ``LayerNormalization``; one QKV
  projection ``[D, 3D]`` and ``Split`` (the ``split`` input before opset 18,
  ``num_outputs`` from 18 on); heads as above; scores divided by
  ``Sqrt(Cast(Slice(Shape(v))))``; the causal mask sliced from a constant
  lower-triangular bool buffer (``Shape``/``Gather``/``Sub``/``Slice``) and
  applied with ``Where(mask, scores, finfo.min)`` (``causal="where"``) or as an
  additive ``-1e9`` float mask (``causal="add"``); ``Softmax``; the output
  projection and the residual; then ``LayerNormalization``, the FFN with the
  tanh GELU decomposed (``Pow``/``Mul``/``Add``/``Tanh``) and the residual.

Weights are seeded and scaled like trained layers (standard deviation
``1/sqrt(in_features)``). :func:`reference_forward` evaluates the same layers
in float64 with numpy; the test reference is onnxruntime's output, checked
against it when the files are written.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Dict, List, Optional

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

LAYER_KINDS = ("bert", "gpt2")
CAUSAL_FORMS = ("where", "add")
DEFAULT_OPSET = 17
INT64_MAX = np.iinfo(np.int64).max


@dataclass(frozen=True)
class LayerSpec:
    """Shape and structure of a stack of attention layers."""

    kind: str = "bert"
    batch: int = 1
    tokens: int = 8
    dim: int = 32
    heads: int = 4
    hidden: int = 128
    layers: int = 1
    eps: float = 1e-5
    causal: str = "where"
    seed: int = 0
    #: Batch and sequence symbolic (``dim_param`` ``batch``, ``sequence``) in
    #: the ONNX model, as ``dynamic_axes`` exports do.
    dynamic: bool = False

    def __post_init__(self) -> None:
        if self.kind not in LAYER_KINDS:
            raise ValueError(f"kind must be one of {LAYER_KINDS}, got {self.kind!r}")
        if self.causal not in CAUSAL_FORMS:
            raise ValueError(f"causal must be one of {CAUSAL_FORMS}, got {self.causal!r}")
        for name in ("batch", "tokens", "dim", "heads", "hidden", "layers"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be positive")
        if self.dim % self.heads:
            raise ValueError(f"dim {self.dim} is not a multiple of heads {self.heads}")

    @property
    def head_dim(self) -> int:
        return self.dim // self.heads

    @property
    def max_positions(self) -> int:
        """Size of GPT-2's causal mask buffer (larger than the sequence)."""
        return max(2 * self.tokens, 16)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    def describe(self) -> str:
        return (f"{self.layers}x {self.kind} layer, x [{self.batch}, {self.tokens}, {self.dim}]"
                f"{' (dynamic)' if self.dynamic else ''}, {self.heads} heads, hidden {self.hidden}")


def build_params(spec: LayerSpec) -> List[Dict[str, np.ndarray]]:
    """Seeded parameters per layer; linear weights in ONNX ``[in, out]`` layout."""
    rng = np.random.default_rng(spec.seed)
    d, h = spec.dim, spec.hidden

    def lin(i: int, o: int) -> np.ndarray:
        return (rng.standard_normal((i, o)) / math.sqrt(i)).astype(np.float32)

    def vec(n: int, scale: float = 0.1, base: float = 0.0) -> np.ndarray:
        return (base + scale * rng.standard_normal(n)).astype(np.float32)

    layers = []
    for _ in range(spec.layers):
        p = {}
        if spec.kind == "bert":
            for name in ("q", "k", "v", "o"):
                p[f"w{name}"], p[f"b{name}"] = lin(d, d), vec(d)
        else:
            p["wqkv"], p["bqkv"] = lin(d, 3 * d), vec(3 * d)
            p["wo"], p["bo"] = lin(d, d), vec(d)
        p["w1"], p["b1"] = lin(d, h), vec(h)
        p["w2"], p["b2"] = lin(h, d), vec(d)
        for ln in ("ln1", "ln2"):
            p[f"{ln}_s"], p[f"{ln}_b"] = vec(d, base=1.0), vec(d)
        layers.append(p)
    return layers


def build_input(spec: LayerSpec) -> np.ndarray:
    rng = np.random.default_rng(spec.seed + 1000)
    return rng.standard_normal((spec.batch, spec.tokens, spec.dim)).astype(np.float32)


class _Graph:
    """Accumulates named nodes and initializers."""

    def __init__(self) -> None:
        self.nodes: List[onnx.NodeProto] = []
        self.inits: List[onnx.TensorProto] = []
        self._count = 0
        self._consts: Dict[tuple, str] = {}

    def fresh(self, hint: str) -> str:
        self._count += 1
        return f"{hint}_{self._count}"

    def op(self, op: str, inputs: List[str], hint: str, outputs: int = 1, output: Optional[str] = None, **attrs):
        outs = [output] if output else [self.fresh(f"{hint}/{op}_out") for _ in range(outputs)]
        self.nodes.append(helper.make_node(op, inputs, outs, name=self.fresh(f"{hint}/{op}"), **attrs))
        return outs[0] if outputs == 1 else outs

    def init(self, name: str, array: np.ndarray) -> str:
        self.inits.append(numpy_helper.from_array(np.ascontiguousarray(array), name))
        return name

    def const(self, array, dtype, node: bool = False) -> str:
        """A shared constant: an initializer, or a Constant node (as exporters
        write small shape constants)."""
        array = np.array(array, dtype=dtype)
        key = (array.tobytes(), array.shape, array.dtype.str, node)
        if key not in self._consts:
            if node:
                name = self.fresh("const")
                self.nodes.append(helper.make_node(
                    "Constant", [], [name], name=self.fresh("Constant"),
                    value=numpy_helper.from_array(array, name + "_value")))
            else:
                name = self.init(f"c{len(self._consts)}", array)
            self._consts[key] = name
        return self._consts[key]

    def i64(self, values, node: bool = True) -> str:
        return self.const(values, np.int64, node)

    def f32(self, value) -> str:
        return self.const(value, np.float32)


def _linear(g: _Graph, x: str, w: np.ndarray, b: np.ndarray, name: str) -> str:
    y = g.op("MatMul", [x, g.init(f"{name}.weight", w)], name)
    return g.op("Add", [y, g.init(f"{name}.bias", b)], name)


def _dim(g: _Graph, t: str, axis: int, hint: str) -> str:
    """``Unsqueeze(Gather(Shape(t), axis), [0])``: one dimension as a 1-D
    tensor, computed at run time as exporters do."""
    s = g.op("Shape", [t], hint)
    d = g.op("Gather", [s, g.i64(axis)], hint, axis=0)
    return g.op("Unsqueeze", [d, g.i64([0])], hint)


def _split_heads(g: _Graph, spec: LayerSpec, t: str, perm: List[int], hint: str) -> str:
    """``t.view(B, T, h, d).permute(perm)``."""
    shape = g.op("Concat", [_dim(g, t, 0, hint), _dim(g, t, 1, hint),
                            g.i64([spec.heads]), g.i64([spec.head_dim])], hint, axis=0)
    return g.op("Transpose", [g.op("Reshape", [t, shape], hint)], hint, perm=perm)


def _merge_heads(g: _Graph, spec: LayerSpec, c: str, hint: str) -> str:
    """``c.transpose(1, 2).reshape(B, T, D)``, the shape from a slice of the
    run-time shape."""
    t = g.op("Transpose", [c], hint, perm=[0, 2, 1, 3])
    bt = g.op("Slice", [g.op("Shape", [t], hint), g.i64([0]), g.i64([2])], hint)
    shape = g.op("Concat", [bt, g.i64([spec.dim])], hint, axis=0)
    return g.op("Reshape", [t, shape], hint)


def _layer_norm(g: _Graph, spec: LayerSpec, x: str, p, ln: str, name: str) -> str:
    return g.op("LayerNormalization", [x, g.init(f"{name}.weight", p[f"{ln}_s"]),
                                       g.init(f"{name}.bias", p[f"{ln}_b"])],
                name, axis=-1, epsilon=float(spec.eps))


def _gelu_erf(g: _Graph, h: str, hint: str) -> str:
    t = g.op("Div", [h, g.f32(math.sqrt(2.0))], hint)
    t = g.op("Erf", [t], hint)
    t = g.op("Add", [t, g.f32(1.0)], hint)
    t = g.op("Mul", [h, t], hint)
    return g.op("Mul", [t, g.f32(0.5)], hint)


def _gelu_tanh(g: _Graph, h: str, hint: str) -> str:
    t = g.op("Pow", [h, g.f32(3.0)], hint)
    t = g.op("Mul", [t, g.f32(0.044715)], hint)
    t = g.op("Add", [h, t], hint)
    t = g.op("Mul", [t, g.f32(math.sqrt(2.0 / math.pi))], hint)
    t = g.op("Tanh", [t], hint)
    t = g.op("Add", [t, g.f32(1.0)], hint)
    t = g.op("Mul", [h, t], hint)
    return g.op("Mul", [t, g.f32(0.5)], hint)


def _bert_layer(g: _Graph, spec: LayerSpec, x: str, p, i: int, out: Optional[str],
                mask: Optional[str] = None, prefix: str = "layer") -> str:
    """One post-norm BERT layer. ``mask``: the extended additive attention
    mask ``[B, 1, 1, T]`` computed once by the caller (as ``BertModel`` does
    from its ``attention_mask`` input); without it, the mask of an all-ones
    ``attention_mask`` is built here."""
    pre = f"{prefix}.{i}"
    q = _linear(g, x, p["wq"], p["bq"], f"{pre}.attention.query")
    k = _linear(g, x, p["wk"], p["bk"], f"{pre}.attention.key")
    v = _linear(g, x, p["wv"], p["bv"], f"{pre}.attention.value")
    qh = _split_heads(g, spec, q, [0, 2, 1, 3], f"{pre}.attention.q")
    kh = _split_heads(g, spec, k, [0, 2, 3, 1], f"{pre}.attention.k")
    vh = _split_heads(g, spec, v, [0, 2, 1, 3], f"{pre}.attention.v")
    hint = f"{pre}.attention"
    s = g.op("MatMul", [qh, kh], hint)
    s = g.op("Div", [s, g.f32(math.sqrt(spec.head_dim))], hint)
    if mask is None:
        # The extended attention mask of an all-ones mask: [B, 1, 1, T] zeros.
        mshape = g.op("Concat", [_dim(g, x, 0, hint), _dim(g, x, 1, hint)], hint, axis=0)
        ones = g.op("ConstantOfShape", [mshape], hint,
                    value=numpy_helper.from_array(np.array([1.0], dtype=np.float32)))
        m = g.op("Unsqueeze", [ones, g.i64([1, 2])], hint)
        m = g.op("Sub", [g.f32(1.0), m], hint)
        mask = g.op("Mul", [m, g.f32(-10000.0)], hint)
    s = g.op("Add", [s, mask], hint)
    pr = g.op("Softmax", [s], hint, axis=-1)
    c = g.op("MatMul", [pr, vh], hint)
    c = _merge_heads(g, spec, c, hint)
    a = _linear(g, c, p["wo"], p["bo"], f"{pre}.attention.output.dense")
    a = g.op("Add", [a, x], hint)
    h1 = _layer_norm(g, spec, a, p, "ln1", f"{pre}.attention.output.LayerNorm")
    f = _linear(g, h1, p["w1"], p["b1"], f"{pre}.intermediate.dense")
    f = _gelu_erf(g, f, f"{pre}.intermediate.gelu")
    f = _linear(g, f, p["w2"], p["b2"], f"{pre}.output.dense")
    f = g.op("Add", [f, h1], f"{pre}.output")
    return g.op("LayerNormalization", [f, g.init(f"{pre}.output.LayerNorm.weight", p["ln2_s"]),
                                       g.init(f"{pre}.output.LayerNorm.bias", p["ln2_b"])],
                f"{pre}.output.LayerNorm", output=out, axis=-1, epsilon=float(spec.eps))


def _gpt2_block(g: _Graph, spec: LayerSpec, x: str, p, i: int, opset: int, out: Optional[str]) -> str:
    pre = f"h.{i}"
    hint = f"{pre}.attn"
    n1 = _layer_norm(g, spec, x, p, "ln1", f"{pre}.ln_1")
    qkv = _linear(g, n1, p["wqkv"], p["bqkv"], f"{pre}.attn.c_attn")
    if opset >= 18:
        q, k, v = g.op("Split", [qkv], hint, outputs=3, axis=2, num_outputs=3)
    else:
        q, k, v = g.op("Split", [qkv, g.i64([spec.dim] * 3)], hint, outputs=3, axis=2)
    qh = _split_heads(g, spec, q, [0, 2, 1, 3], f"{hint}.q")
    kh = _split_heads(g, spec, k, [0, 2, 3, 1], f"{hint}.k")
    vh = _split_heads(g, spec, v, [0, 2, 1, 3], f"{hint}.v")
    s = g.op("MatMul", [qh, kh], hint)
    # attn_weights / value.size(-1) ** 0.5, from the run-time shape.
    dh = g.op("Slice", [g.op("Shape", [vh], hint), g.i64([-1]), g.i64([INT64_MAX])], hint)
    scale = g.op("Sqrt", [g.op("Cast", [dh], hint, to=TensorProto.FLOAT)], hint)
    s = g.op("Div", [s, scale], hint)
    # bias[:, :, klen - qlen : klen, :klen] of the lower-triangular buffer.
    n = spec.max_positions
    tril = np.tril(np.ones((n, n), dtype=bool)).reshape(1, 1, n, n)
    qlen = g.op("Gather", [g.op("Shape", [qh], hint), g.i64(2)], hint, axis=0)
    klen = g.op("Gather", [g.op("Shape", [kh], hint), g.i64(3)], hint, axis=0)
    start = g.op("Unsqueeze", [g.op("Sub", [klen, qlen], hint), g.i64([0])], hint)
    kend = g.op("Unsqueeze", [klen, g.i64([0])], hint)
    if spec.causal == "where":
        buf = g.init(f"{pre}.attn.bias", tril)
        starts = g.op("Concat", [start, g.i64([0])], hint, axis=0)
        ends = g.op("Concat", [kend, kend], hint, axis=0)
        causal = g.op("Slice", [buf, starts, ends, g.i64([2, 3])], hint)
        s = g.op("Where", [causal, s, g.f32(np.finfo(np.float32).min)], hint)
    else:
        add = np.where(tril, 0.0, -1e9).astype(np.float32)
        buf = g.init(f"{pre}.attn.mask", add)
        starts = g.op("Concat", [start, g.i64([0])], hint, axis=0)
        ends = g.op("Concat", [kend, kend], hint, axis=0)
        mask = g.op("Slice", [buf, starts, ends, g.i64([2, 3]), g.i64([1, 1])], hint)
        s = g.op("Add", [s, mask], hint)
    pr = g.op("Softmax", [s], hint, axis=-1)
    c = g.op("MatMul", [pr, vh], hint)
    c = _merge_heads(g, spec, c, hint)
    a = _linear(g, c, p["wo"], p["bo"], f"{pre}.attn.c_proj")
    h = g.op("Add", [x, a], f"{pre}")
    n2 = _layer_norm(g, spec, h, p, "ln2", f"{pre}.ln_2")
    f = _linear(g, n2, p["w1"], p["b1"], f"{pre}.mlp.c_fc")
    f = _gelu_tanh(g, f, f"{pre}.mlp.act")
    f = _linear(g, f, p["w2"], p["b2"], f"{pre}.mlp.c_proj")
    return g.op("Add", [h, f], f"{pre}", output=out)


def onnx_model(spec: LayerSpec, params=None, opset: int = DEFAULT_OPSET,
               input_name: str = "x", output_name: str = "y") -> onnx.ModelProto:
    """The ONNX graph of ``spec`` (``params`` from :func:`build_params`)."""
    params = params if params is not None else build_params(spec)
    g = _Graph()
    t = input_name
    for i, p in enumerate(params):
        out = output_name if i == spec.layers - 1 else None
        if spec.kind == "bert":
            t = _bert_layer(g, spec, t, p, i, out)
        else:
            t = _gpt2_block(g, spec, t, p, i, opset, out)
    shape: List[object] = ["batch", "sequence", spec.dim] if spec.dynamic else [spec.batch, spec.tokens, spec.dim]
    graph = helper.make_graph(
        g.nodes, f"{spec.kind}_attention",
        [helper.make_tensor_value_info(input_name, TensorProto.FLOAT, shape)],
        [helper.make_tensor_value_info(output_name, TensorProto.FLOAT, shape)],
        initializer=g.inits)
    m = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", opset)],
        ir_version=8 if opset <= 18 else 9 if opset <= 20 else 10,
        producer_name="ffn_tools.attention")
    onnx.checker.check_model(m)
    return m


#: numpy reference (float64)


def _ln(x, s, b, eps):
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * s + b


def _softmax(s):
    e = np.exp(s - s.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def _attention(spec: LayerSpec, q, k, v, causal: bool):
    B, T, _ = q.shape
    split = lambda t: t.reshape(B, T, spec.heads, spec.head_dim).transpose(0, 2, 1, 3)  # noqa: E731
    qh, kh, vh = split(q), split(k), split(v)
    s = qh @ kh.transpose(0, 1, 3, 2) / math.sqrt(spec.head_dim)
    if causal:
        keep = np.tril(np.ones((T, T), dtype=bool))
        s = np.where(keep, s, np.finfo(np.float32).min if spec.causal == "where" else s - 1e9)
    c = _softmax(s) @ vh
    return c.transpose(0, 2, 1, 3).reshape(B, T, spec.dim)


def reference_forward(spec: LayerSpec, params, x: np.ndarray) -> np.ndarray:
    """The layers evaluated in float64, rounded to float32 once."""
    from ffn_tools.reference import erf

    t = x.astype(np.float64)
    P = [{k: v.astype(np.float64) for k, v in p.items()} for p in params]
    for p in P:
        if spec.kind == "bert":
            q, k, v = (t @ p[f"w{n}"] + p[f"b{n}"] for n in "qkv")
            a = _attention(spec, q, k, v, causal=False) @ p["wo"] + p["bo"]
            h1 = _ln(a + t, p["ln1_s"], p["ln1_b"], spec.eps)
            f = h1 @ p["w1"] + p["b1"]
            f = 0.5 * f * (1.0 + erf(f / math.sqrt(2.0)))
            t = _ln(f @ p["w2"] + p["b2"] + h1, p["ln2_s"], p["ln2_b"], spec.eps)
        else:
            n1 = _ln(t, p["ln1_s"], p["ln1_b"], spec.eps)
            qkv = n1 @ p["wqkv"] + p["bqkv"]
            q, k, v = np.split(qkv, 3, axis=-1)
            h = t + _attention(spec, q, k, v, causal=True) @ p["wo"] + p["bo"]
            f = _ln(h, p["ln2_s"], p["ln2_b"], spec.eps) @ p["w1"] + p["b1"]
            f = 0.5 * f * (1.0 + np.tanh(math.sqrt(2.0 / math.pi) * (f + 0.044715 * f ** 3)))
            t = h + f @ p["w2"] + p["b2"]
    return t.astype(np.float32)
