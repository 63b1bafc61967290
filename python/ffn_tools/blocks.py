"""ViT and Llama blocks as ONNX graphs, in the form ``torch.onnx.export``
emits them, and their numpy reference (the model set's vision and gated
members; BERT and GPT-2 are in :mod:`ffn_tools.attention`).

- ``vit``: an image ``x`` of shape ``[B, C, S, S]`` is embedded by a ``Conv``
  with kernel and stride ``patch`` (``pads``/``dilations``/``group`` written
  out as exporters do), flattened to ``[B, D, N]`` by ``Reshape`` to a shape
  computed at run time (``Slice(Shape(·))`` + ``Concat`` with ``-1``, what
  ``.flatten(2)`` exports to) and transposed to tokens ``[B, N, D]``; a class
  token ``[1, 1, D]`` is ``Expand``-ed to the batch and concatenated in
  front; the position embedding ``[1, N + 1, D]`` is added. Then ``layers``
  pre-norm encoder layers (``LayerNormalization``, attention with Q/K/V
  ``MatMul + Add`` and heads as in BERT, output projection, residual;
  ``LayerNormalization``, the erf-GELU FFN, residual) and a final
  ``LayerNormalization``. Output ``y`` is ``[B, N + 1, D]``.
- ``llama``: ``layers`` Llama blocks on ``x`` of shape ``[B, T, D]``: RMSNorm
  decomposed as ``Pow``/``ReduceMean``/``Add``/``Sqrt``/``Div(1, ·)``/``Mul``
  and the weight ``Mul``; Q/K/V ``MatMul`` without bias, heads; rotary
  embeddings from precomputed ``cos``/``sin`` tables (initializers of
  ``max_positions`` rows, ``Slice``-d to the sequence and ``Gather``-ed by
  ``Range`` position ids), ``rotate_half`` by ``Slice``/``Neg``/``Concat``;
  scores ``MatMul(q, Transpose(k))`` divided by ``sqrt(head_dim)`` plus a
  causal additive mask (``finfo.min`` above the diagonal) sliced from a
  constant buffer; ``Softmax``; output projection; residual; RMSNorm; the
  SwiGLU FFN (``down(silu(gate(x)) * up(x))``, SiLU as ``x * Sigmoid(x)``);
  residual.

``dynamic`` makes the batch (and for ``llama`` the sequence) dimensions of
``x`` and ``y`` symbolic (``dim_param``), as ``dynamic_axes`` exports do.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Dict, List, Optional

import numpy as np
import onnx
from onnx import TensorProto, helper

from ffn_tools.attention import (DEFAULT_OPSET, INT64_MAX, _dim, _gelu_erf, _Graph, _linear, _ln, _merge_heads,
                                 _softmax, _split_heads)

BLOCK_KINDS = ("vit", "llama")


@dataclass(frozen=True)
class BlockSpec:
    """Shape and structure of a ViT or a Llama block stack."""

    kind: str = "vit"
    batch: int = 1
    #: llama: sequence length (vit: derived from the image and patch sizes)
    tokens: int = 8
    dim: int = 32
    heads: int = 4
    hidden: int = 128
    layers: int = 1
    #: vit: image side, channels and patch side
    image: int = 32
    channels: int = 3
    patch: int = 8
    eps: float = 1e-6
    dynamic: bool = False
    seed: int = 0

    def __post_init__(self) -> None:
        if self.kind not in BLOCK_KINDS:
            raise ValueError(f"kind must be one of {BLOCK_KINDS}, got {self.kind!r}")
        for name in ("batch", "tokens", "dim", "heads", "hidden", "layers", "image", "channels", "patch"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be positive")
        if self.dim % self.heads:
            raise ValueError(f"dim {self.dim} is not a multiple of heads {self.heads}")
        if self.kind == "vit" and self.image % self.patch:
            raise ValueError(f"image {self.image} is not a multiple of patch {self.patch}")
        if self.kind == "llama" and self.head_dim % 2:
            raise ValueError(f"rotary embeddings need an even head size, got {self.head_dim}")

    @property
    def head_dim(self) -> int:
        return self.dim // self.heads

    @property
    def patches(self) -> int:
        return (self.image // self.patch) ** 2

    @property
    def seq(self) -> int:
        """Tokens the encoder layers see."""
        return self.patches + 1 if self.kind == "vit" else self.tokens

    @property
    def max_positions(self) -> int:
        """Rows of Llama's rotary tables and causal mask buffer."""
        return max(2 * self.tokens, 16)

    @property
    def input_shape(self) -> List[int]:
        if self.kind == "vit":
            return [self.batch, self.channels, self.image, self.image]
        return [self.batch, self.tokens, self.dim]

    @property
    def output_shape(self) -> List[int]:
        return [self.batch, self.seq, self.dim]

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    def describe(self) -> str:
        shape = "x".join(map(str, self.input_shape))
        return (f"{self.layers}x {self.kind} block, x [{shape}]{' (dynamic)' if self.dynamic else ''}, "
                f"D {self.dim}, {self.heads} heads, hidden {self.hidden}")


def build_params(spec: BlockSpec) -> Dict[str, object]:
    """Seeded parameters: ``layers`` (a dict per layer, linear weights in ONNX
    ``[in, out]`` layout) and the embedding/rotary tensors."""
    rng = np.random.default_rng(spec.seed)
    d, h = spec.dim, spec.hidden

    def lin(i: int, o: int) -> np.ndarray:
        return (rng.standard_normal((i, o)) / math.sqrt(i)).astype(np.float32)

    def vec(n: int, scale: float = 0.1, base: float = 0.0) -> np.ndarray:
        return (base + scale * rng.standard_normal(n)).astype(np.float32)

    params: Dict[str, object] = {}
    layers = []
    for _ in range(spec.layers):
        p = {}
        if spec.kind == "vit":
            for name in ("q", "k", "v", "o"):
                p[f"w{name}"], p[f"b{name}"] = lin(d, d), vec(d)
            p["w1"], p["b1"] = lin(d, h), vec(h)
            p["w2"], p["b2"] = lin(h, d), vec(d)
            for ln in ("ln1", "ln2"):
                p[f"{ln}_s"], p[f"{ln}_b"] = vec(d, base=1.0), vec(d)
        else:
            for name in ("q", "k", "v", "o"):
                p[f"w{name}"] = lin(d, d)
            p["wg"], p["wu"], p["wd"] = lin(d, h), lin(d, h), lin(h, d)
            p["rms1"], p["rms2"] = vec(d, base=1.0), vec(d, base=1.0)
        layers.append(p)
    params["layers"] = layers
    if spec.kind == "vit":
        c, k = spec.channels, spec.patch
        params["conv_w"] = (rng.standard_normal((d, c, k, k)) / math.sqrt(c * k * k)).astype(np.float32)
        params["conv_b"] = vec(d)
        params["cls"] = vec(d, scale=0.5).reshape(1, 1, d)
        params["pos"] = (0.5 * rng.standard_normal((1, spec.seq, d))).astype(np.float32)
        params["lnf_s"], params["lnf_b"] = vec(d, base=1.0), vec(d)
    else:
        hd = spec.head_dim
        inv_freq = 1.0 / (10000.0 ** (np.arange(0, hd, 2, dtype=np.float64) / hd))
        freqs = np.outer(np.arange(spec.max_positions, dtype=np.float64), inv_freq)
        emb = np.concatenate([freqs, freqs], axis=-1)
        params["cos"], params["sin"] = np.cos(emb).astype(np.float32), np.sin(emb).astype(np.float32)
    return params


def build_input(spec: BlockSpec) -> np.ndarray:
    rng = np.random.default_rng(spec.seed + 1000)
    return rng.standard_normal(spec.input_shape).astype(np.float32)


#: ONNX graph


def _attention_core(g: _Graph, spec: BlockSpec, qh: str, kt: str, vh: str, mask: Optional[str], hint: str) -> str:
    """``softmax(q kᵀ / sqrt(d) [+ mask]) v`` on heads (``kt`` transposed)."""
    s = g.op("MatMul", [qh, kt], hint)
    s = g.op("Div", [s, g.f32(math.sqrt(spec.head_dim))], hint)
    if mask:
        s = g.op("Add", [s, mask], hint)
    pr = g.op("Softmax", [s], hint, axis=-1)
    return g.op("MatMul", [pr, vh], hint)


def _vit_embeddings(g: _Graph, spec: BlockSpec, x: str, params) -> str:
    hint = "embeddings"
    k = spec.patch
    conv = g.op("Conv", [x, g.init("embeddings.patch_embeddings.projection.weight", params["conv_w"]),
                         g.init("embeddings.patch_embeddings.projection.bias", params["conv_b"])],
                "embeddings.patch_embeddings.projection", dilations=[1, 1], group=1, kernel_shape=[k, k],
                pads=[0, 0, 0, 0], strides=[k, k])
    # .flatten(2): Reshape to Concat(Shape(conv)[:2], [-1]).
    lead = g.op("Slice", [g.op("Shape", [conv], hint), g.i64([0]), g.i64([2]), g.i64([0])], hint)
    flat = g.op("Reshape", [conv, g.op("Concat", [lead, g.i64([-1])], hint, axis=0)], hint)
    tokens = g.op("Transpose", [flat], hint, perm=[0, 2, 1])
    # cls_token.expand(B, -1, -1)
    shape = g.op("Concat", [_dim(g, x, 0, hint), g.i64([1]), g.i64([1])], hint, axis=0)
    cls = g.op("Expand", [g.init("embeddings.cls_token", params["cls"]), shape], hint)
    t = g.op("Concat", [cls, tokens], hint, axis=1)
    return g.op("Add", [t, g.init("embeddings.position_embeddings", params["pos"])], hint)


def _vit_layer(g: _Graph, spec: BlockSpec, x: str, p, i: int) -> str:
    pre = f"encoder.layer.{i}"
    hint = f"{pre}.attention"

    def ln(t: str, key: str, name: str) -> str:
        return g.op("LayerNormalization", [t, g.init(f"{name}.weight", p[f"{key}_s"]),
                                           g.init(f"{name}.bias", p[f"{key}_b"])],
                    name, axis=-1, epsilon=float(spec.eps))

    n1 = ln(x, "ln1", f"{pre}.layernorm_before")
    q = _linear(g, n1, p["wq"], p["bq"], f"{hint}.query")
    k = _linear(g, n1, p["wk"], p["bk"], f"{hint}.key")
    v = _linear(g, n1, p["wv"], p["bv"], f"{hint}.value")
    qh = _split_heads(g, spec, q, [0, 2, 1, 3], f"{hint}.q")
    kt = _split_heads(g, spec, k, [0, 2, 3, 1], f"{hint}.k")
    vh = _split_heads(g, spec, v, [0, 2, 1, 3], f"{hint}.v")
    c = _merge_heads(g, spec, _attention_core(g, spec, qh, kt, vh, None, hint), hint)
    a = _linear(g, c, p["wo"], p["bo"], f"{hint}.output.dense")
    h = g.op("Add", [a, x], pre)
    n2 = ln(h, "ln2", f"{pre}.layernorm_after")
    f = _linear(g, n2, p["w1"], p["b1"], f"{pre}.intermediate.dense")
    f = _gelu_erf(g, f, f"{pre}.intermediate.gelu")
    f = _linear(g, f, p["w2"], p["b2"], f"{pre}.output.dense")
    return g.op("Add", [f, h], f"{pre}.output")


def _rms_norm(g: _Graph, spec: BlockSpec, x: str, weight: np.ndarray, name: str, opset: int) -> str:
    """``weight * (x * rsqrt(mean(x^2) + eps))`` as torch exports it."""
    sq = g.op("Pow", [x, g.f32(2.0)], name)
    if opset >= 18:
        var = g.op("ReduceMean", [sq, g.i64([-1])], name, keepdims=1)
    else:
        var = g.op("ReduceMean", [sq], name, axes=[-1], keepdims=1)
    var = g.op("Add", [var, g.f32(spec.eps)], name)
    inv = g.op("Div", [g.f32(1.0), g.op("Sqrt", [var], name)], name)
    t = g.op("Mul", [x, inv], name)
    return g.op("Mul", [g.init(f"{name}.weight", weight), t], name)


def _rotate_half(g: _Graph, spec: BlockSpec, t: str, hint: str) -> str:
    half = spec.head_dim // 2
    x1 = g.op("Slice", [t, g.i64([0]), g.i64([half]), g.i64([-1]), g.i64([1])], hint)
    x2 = g.op("Slice", [t, g.i64([half]), g.i64([INT64_MAX]), g.i64([-1]), g.i64([1])], hint)
    return g.op("Concat", [g.op("Neg", [x2], hint), x1], hint, axis=-1)


def _llama_block(g: _Graph, spec: BlockSpec, x: str, p, params, i: int, opset: int, out: Optional[str]) -> str:
    pre = f"model.layers.{i}"
    hint = f"{pre}.self_attn"
    n1 = _rms_norm(g, spec, x, p["rms1"], f"{pre}.input_layernorm", opset)
    q = g.op("MatMul", [n1, g.init(f"{hint}.q_proj.weight", p["wq"])], f"{hint}.q_proj")
    k = g.op("MatMul", [n1, g.init(f"{hint}.k_proj.weight", p["wk"])], f"{hint}.k_proj")
    v = g.op("MatMul", [n1, g.init(f"{hint}.v_proj.weight", p["wv"])], f"{hint}.v_proj")
    qh = _split_heads(g, spec, q, [0, 2, 1, 3], f"{hint}.q")
    kh = _split_heads(g, spec, k, [0, 2, 1, 3], f"{hint}.k")
    vh = _split_heads(g, spec, v, [0, 2, 1, 3], f"{hint}.v")
    # cos = cos_cached[:seq_len][position_ids].unsqueeze(1), the same for sin;
    # position_ids = arange(seq_len).unsqueeze(0).
    seq = _dim(g, vh, 2, f"{hint}.rotary")
    pos = g.op("Unsqueeze", [g.op("Range", [g.i64(0), g.op("Squeeze", [seq, g.i64([0])], hint), g.i64(1)],
                                  hint), g.i64([0])], hint)
    tables = []
    for name in ("cos", "sin"):
        cached = g.init(f"{pre}.self_attn.rotary_emb.{name}_cached", params[name])
        t = g.op("Slice", [cached, g.i64([0]), seq, g.i64([0])], f"{hint}.rotary")
        t = g.op("Gather", [t, pos], f"{hint}.rotary", axis=0)
        tables.append(g.op("Unsqueeze", [t, g.i64([1])], f"{hint}.rotary"))
    cos, sin = tables

    def rope(t: str) -> str:
        return g.op("Add", [g.op("Mul", [t, cos], hint),
                            g.op("Mul", [_rotate_half(g, spec, t, hint), sin], hint)], hint)

    qr, kr = rope(qh), rope(kh)
    kt = g.op("Transpose", [kr], hint, perm=[0, 1, 3, 2])
    # The causal mask: an additive [1, 1, T, T] slice of a constant buffer.
    n = spec.max_positions
    buf = np.where(np.tril(np.ones((n, n), dtype=bool)), 0.0, np.finfo(np.float32).min)
    buf = g.init(f"{hint}.causal_mask", buf.astype(np.float32).reshape(1, 1, n, n))
    ends = g.op("Concat", [seq, seq], hint, axis=0)
    mask = g.op("Slice", [buf, g.i64([0, 0]), ends, g.i64([2, 3])], hint)
    c = _merge_heads(g, spec, _attention_core(g, spec, qr, kt, vh, mask, hint), hint)
    a = g.op("MatMul", [c, g.init(f"{hint}.o_proj.weight", p["wo"])], f"{hint}.o_proj")
    h = g.op("Add", [x, a], pre)
    n2 = _rms_norm(g, spec, h, p["rms2"], f"{pre}.post_attention_layernorm", opset)
    mlp = f"{pre}.mlp"
    gate = g.op("MatMul", [n2, g.init(f"{mlp}.gate_proj.weight", p["wg"])], f"{mlp}.gate_proj")
    act = g.op("Mul", [gate, g.op("Sigmoid", [gate], f"{mlp}.act_fn")], f"{mlp}.act_fn")
    up = g.op("MatMul", [n2, g.init(f"{mlp}.up_proj.weight", p["wu"])], f"{mlp}.up_proj")
    f = g.op("MatMul", [g.op("Mul", [act, up], mlp), g.init(f"{mlp}.down_proj.weight", p["wd"])],
             f"{mlp}.down_proj")
    return g.op("Add", [h, f], pre, output=out)


def onnx_model(spec: BlockSpec, params=None, opset: int = DEFAULT_OPSET,
               input_name: str = "x", output_name: str = "y") -> onnx.ModelProto:
    """The ONNX graph of ``spec`` (``params`` from :func:`build_params`)."""
    params = params if params is not None else build_params(spec)
    g = _Graph()
    t = input_name
    if spec.kind == "vit":
        t = _vit_embeddings(g, spec, t, params)
        for i, p in enumerate(params["layers"]):
            t = _vit_layer(g, spec, t, p, i)
        t = g.op("LayerNormalization", [t, g.init("layernorm.weight", params["lnf_s"]),
                                        g.init("layernorm.bias", params["lnf_b"])],
                 "layernorm", output=output_name, axis=-1, epsilon=float(spec.eps))
    else:
        for i, p in enumerate(params["layers"]):
            out = output_name if i == spec.layers - 1 else None
            t = _llama_block(g, spec, t, p, params, i, opset, out)
    in_shape: List[object] = list(spec.input_shape)
    out_shape: List[object] = list(spec.output_shape)
    if spec.dynamic:
        in_shape[0] = out_shape[0] = "batch"
        if spec.kind == "llama":
            in_shape[1] = out_shape[1] = "sequence"
    graph = helper.make_graph(
        g.nodes, f"{spec.kind}_block",
        [helper.make_tensor_value_info(input_name, TensorProto.FLOAT, in_shape)],
        [helper.make_tensor_value_info(output_name, TensorProto.FLOAT, out_shape)],
        initializer=g.inits)
    m = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", opset)],
        ir_version=8 if opset <= 18 else 9 if opset <= 20 else 10,
        producer_name="ffn_tools.blocks")
    onnx.checker.check_model(m)
    return m


#: numpy reference (float64)


def _heads(spec: BlockSpec, t):
    B, T, _ = t.shape
    return t.reshape(B, T, spec.heads, spec.head_dim).transpose(0, 2, 1, 3)


def _merge(spec: BlockSpec, c):
    B, _, T, _ = c.shape
    return c.transpose(0, 2, 1, 3).reshape(B, T, spec.dim)


def _rms(x, w, eps):
    return w * (x / np.sqrt((x * x).mean(-1, keepdims=True) + eps))


def reference_forward(spec: BlockSpec, params, x: np.ndarray) -> np.ndarray:
    """The block evaluated in float64, rounded to float32 once."""
    from ffn_tools.reference import erf

    f64 = lambda a: np.asarray(a, dtype=np.float64)  # noqa: E731
    layers = [{k: f64(v) for k, v in p.items()} for p in params["layers"]]
    t = f64(x)
    scale = 1.0 / math.sqrt(spec.head_dim)
    if spec.kind == "vit":
        B, C, S, _ = t.shape
        k, m = spec.patch, S // spec.patch
        patches = t.reshape(B, C, m, k, m, k).transpose(0, 2, 4, 1, 3, 5).reshape(B, m * m, C * k * k)
        tokens = patches @ f64(params["conv_w"]).reshape(spec.dim, -1).T + f64(params["conv_b"])
        cls = np.broadcast_to(f64(params["cls"]), (B, 1, spec.dim))
        t = np.concatenate([cls, tokens], axis=1) + f64(params["pos"])
        for p in layers:
            n1 = _ln(t, p["ln1_s"], p["ln1_b"], spec.eps)
            q, kk, v = (_heads(spec, n1 @ p[f"w{n}"] + p[f"b{n}"]) for n in "qkv")
            c = _merge(spec, _softmax(q @ kk.transpose(0, 1, 3, 2) * scale) @ v)
            t = t + c @ p["wo"] + p["bo"]
            f = _ln(t, p["ln2_s"], p["ln2_b"], spec.eps) @ p["w1"] + p["b1"]
            f = 0.5 * f * (1.0 + erf(f / math.sqrt(2.0)))
            t = t + f @ p["w2"] + p["b2"]
        t = _ln(t, f64(params["lnf_s"]), f64(params["lnf_b"]), spec.eps)
    else:
        T = t.shape[1]
        cos, sin = f64(params["cos"])[:T], f64(params["sin"])[:T]
        half = spec.head_dim // 2

        def rope(h):
            rot = np.concatenate([-h[..., half:], h[..., :half]], axis=-1)
            return h * cos + rot * sin

        keep = np.tril(np.ones((T, T), dtype=bool))
        for p in layers:
            n1 = _rms(t, p["rms1"], spec.eps)
            q, kk, v = (_heads(spec, n1 @ p[f"w{n}"]) for n in "qkv")
            s = rope(q) @ rope(kk).transpose(0, 1, 3, 2) * scale
            s = np.where(keep, s, -np.inf)
            t = t + _merge(spec, _softmax(s) @ v) @ p["wo"]
            n2 = _rms(t, p["rms2"], spec.eps)
            gate = n2 @ p["wg"]
            t = t + (gate / (1.0 + np.exp(-gate)) * (n2 @ p["wu"])) @ p["wd"]
    return t.astype(np.float32)
