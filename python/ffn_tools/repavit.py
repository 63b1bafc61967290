"""CLI: generate a RePaViT-style channel-idle FFN as ONNX, with its reference.

    python3 -m ffn_tools.repavit [--batch 1] --tokens 8 --dim 32 --hidden 128 \\
        [--idle 0.75] [--form slice|split] [--act gelu|relu] [--no-bn] \\
        [--no-residual] [--dynamic] [--opset 17] [--seed 0] --out DIR

The model (RePaViT, "channel idle"):

    n = BatchNorm(x)                          # token form, see below
    h = n W1ᵀ + b1                            # [B, T, H]
    y = concat(act(h[..., :k]), h[..., k:]) W2ᵀ + b2   [+ x]

with ``k = round((1 - idle) * H)`` active channels. BatchNorm over the
channels of tokens is exported as PyTorch does it for a ``[B, T, C]`` tensor:
``Transpose(0, 2, 1) → BatchNormalization → Transpose(0, 2, 1)``. The hidden
channels are split by two ``Slice`` nodes (``--form slice``) or one ``Split``
(``--form split``), and joined by ``Concat``. GELU is exported in its erf
form. ``--dynamic`` makes the batch and sequence dimensions symbolic
(``dim_param`` ``batch`` and ``tokens``); compile it with ``--shape``.

writes into DIR:

- ``model.onnx``  the graph (input ``x``, output ``y``)
- ``x.npy``       a seeded input ``[B, T, D]``
- ``y_ref.npy``   onnxruntime's output on it (the test reference)
- ``spec.json``   the model description

onnxruntime's output is checked against a float64 numpy evaluation before it
is written (``--no-check`` skips that).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import os
import sys
import time
from dataclasses import dataclass
from typing import Dict, List, Optional

import numpy as np

FORMS = ("slice", "split")
ACTIVATIONS = ("gelu", "relu")
DEFAULT_OPSET = 17
DEFAULT_IR_VERSION = 8


@dataclass(frozen=True)
class RepavitSpec:
    """Shape and structure of a channel-idle FFN model."""

    batch: int = 1
    tokens: int = 8
    dim: int = 32
    hidden: int = 128
    idle: float = 0.75
    form: str = "slice"
    act: str = "gelu"
    bn: bool = True
    residual: bool = True
    eps: float = 1e-5
    seed: int = 0

    def __post_init__(self) -> None:
        if self.form not in FORMS:
            raise ValueError(f"form must be one of {FORMS}, got {self.form!r}")
        if self.act not in ACTIVATIONS:
            raise ValueError(f"act must be one of {ACTIVATIONS}, got {self.act!r}")
        for name in ("batch", "tokens", "dim", "hidden"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be positive")
        if not 0.0 < self.idle < 1.0:
            raise ValueError(f"idle must be in (0, 1), got {self.idle}")
        if not 0 < self.active < self.hidden:
            raise ValueError(f"idle ratio {self.idle} leaves {self.active} of {self.hidden} channels active; "
                             "need at least one active and one idle channel")

    @property
    def active(self) -> int:
        """Hidden channels the activation is applied to (the first ones)."""
        return int(round((1.0 - self.idle) * self.hidden))

    def flops(self) -> int:
        """FLOPs of the linears (2 per multiply-add) as exported."""
        return 2 * self.batch * self.tokens * 2 * self.dim * self.hidden

    def describe(self) -> str:
        return (f"RePaViT FFN B={self.batch} T={self.tokens} D={self.dim} H={self.hidden} "
                f"active={self.active} ({self.form}, {self.act}{', BatchNorm' if self.bn else ''}"
                f"{', residual' if self.residual else ''})")

    def to_dict(self) -> Dict:
        return dataclasses.asdict(self)


def build_params(spec: RepavitSpec) -> Dict[str, np.ndarray]:
    """Seeded weights (PyTorch ``[out, in]`` layout) and BatchNorm statistics."""
    rng = np.random.default_rng(spec.seed)
    d, h = spec.dim, spec.hidden
    f32 = np.float32
    p = {
        "w1": (rng.standard_normal((h, d)) / math.sqrt(d)).astype(f32),
        "b1": (0.1 * rng.standard_normal(h)).astype(f32),
        "w2": (rng.standard_normal((d, h)) / math.sqrt(h)).astype(f32),
        "b2": (0.1 * rng.standard_normal(d)).astype(f32),
    }
    if spec.bn:
        p["bn_scale"] = (1.0 + 0.2 * rng.standard_normal(d)).astype(f32)
        p["bn_bias"] = (0.1 * rng.standard_normal(d)).astype(f32)
        p["bn_mean"] = (0.2 * rng.standard_normal(d)).astype(f32)
        p["bn_var"] = (0.5 + rng.random(d)).astype(f32)
    return p


def build_input(spec: RepavitSpec) -> np.ndarray:
    rng = np.random.default_rng(spec.seed + 1)
    return rng.standard_normal((spec.batch, spec.tokens, spec.dim)).astype(np.float32)


def _erf(x: np.ndarray) -> np.ndarray:
    return np.vectorize(math.erf, otypes=[np.float64])(x)


def reference_forward(spec: RepavitSpec, p: Dict[str, np.ndarray], x: np.ndarray) -> np.ndarray:
    """The model in float64 numpy."""
    p64 = {k: v.astype(np.float64) for k, v in p.items()}
    x64 = x.astype(np.float64)
    n = x64
    if spec.bn:
        n = (x64 - p64["bn_mean"]) / np.sqrt(p64["bn_var"] + spec.eps) * p64["bn_scale"] + p64["bn_bias"]
    h = n @ p64["w1"].T + p64["b1"]
    k = spec.active
    a = h[..., :k]
    a = 0.5 * a * (1.0 + _erf(a / math.sqrt(2.0))) if spec.act == "gelu" else np.maximum(a, 0.0)
    y = np.concatenate([a, h[..., k:]], axis=-1) @ p64["w2"].T + p64["b2"]
    if spec.residual:
        y = y + x64
    return y


def onnx_model(spec: RepavitSpec, p: Dict[str, np.ndarray], opset: int = DEFAULT_OPSET, dynamic: bool = False):
    """The ONNX graph of the model (weights inside)."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    nodes: List = []
    inits: List = []

    def init(name: str, array: np.ndarray) -> str:
        inits.append(numpy_helper.from_array(np.ascontiguousarray(array), name))
        return name

    def node(op: str, inputs: List[str], out: str, **attrs) -> str:
        nodes.append(helper.make_node(op, inputs, [out], name=f"{out}/{op}", **attrs))
        return out

    k, h_dim = spec.active, spec.hidden
    t = "x"
    if spec.bn:
        t = node("Transpose", [t], "bn/to_channels_first", perm=[0, 2, 1])
        t = node("BatchNormalization",
                 [t, init("bn.weight", p["bn_scale"]), init("bn.bias", p["bn_bias"]),
                  init("bn.running_mean", p["bn_mean"]), init("bn.running_var", p["bn_var"])],
                 "bn/norm", epsilon=spec.eps)
        t = node("Transpose", [t], "bn/to_channels_last", perm=[0, 2, 1])
    h = node("MatMul", [t, init("fc1.weight_t", p["w1"].T)], "fc1/matmul")
    h = node("Add", [h, init("fc1.bias", p["b1"])], "fc1/bias")
    if spec.form == "slice":
        axes = init("slice.axes", np.array([-1], dtype=np.int64))
        act_in = node("Slice", [h, init("slice.active_start", np.array([0], dtype=np.int64)),
                                init("slice.active_end", np.array([k], dtype=np.int64)), axes], "split/active")
        idle = node("Slice", [h, init("slice.idle_start", np.array([k], dtype=np.int64)),
                              init("slice.idle_end", np.array([h_dim], dtype=np.int64)), axes], "split/idle")
    else:
        sizes = init("split.sizes", np.array([k, h_dim - k], dtype=np.int64))
        act_in, idle = "split/active", "split/idle"
        nodes.append(helper.make_node("Split", [h, sizes], [act_in, idle], name="split/Split", axis=-1))
    if spec.act == "gelu":
        s2 = init("gelu.sqrt2", np.array(math.sqrt(2.0), dtype=np.float32))
        one = init("gelu.one", np.array(1.0, dtype=np.float32))
        half = init("gelu.half", np.array(0.5, dtype=np.float32))
        g = node("Div", [act_in, s2], "gelu/div")
        g = node("Erf", [g], "gelu/erf")
        g = node("Add", [g, one], "gelu/add")
        g = node("Mul", [act_in, g], "gelu/mul")
        a = node("Mul", [g, half], "gelu/half")
    else:
        a = node("Relu", [act_in], "relu")
    c = node("Concat", [a, idle], "concat", axis=-1)
    y = node("MatMul", [c, init("fc2.weight_t", p["w2"].T)], "fc2/matmul")
    if spec.residual:
        y = node("Add", [y, init("fc2.bias", p["b2"])], "fc2/bias")
        node("Add", ["x", y], "y")
    else:
        node("Add", [y, init("fc2.bias", p["b2"])], "y")
    dims = ["batch", "tokens", spec.dim] if dynamic else [spec.batch, spec.tokens, spec.dim]
    graph = helper.make_graph(nodes, "repavit_ffn",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, dims)],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, dims)], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)],
                              producer_name="ffn_tools.repavit")
    model.ir_version = DEFAULT_IR_VERSION
    onnx.checker.check_model(model)
    return model


def generate(spec: RepavitSpec, out_dir: str, opset: int = DEFAULT_OPSET, dynamic: bool = False,
             check: bool = True) -> dict:
    """Writes the files listed in the module docstring; returns spec.json's
    contents."""
    import onnx

    from ffn_tools.compare import max_rel_error
    from ffn_tools.onnxgen import ort_session

    os.makedirs(out_dir, exist_ok=True)
    params = build_params(spec)
    path = os.path.join(out_dir, "model.onnx")
    onnx.save_model(onnx_model(spec, params, opset=opset, dynamic=dynamic), path)
    x = build_input(spec)
    y = ort_session(path).run(None, {"x": x})[0]
    meta = {"spec": spec.to_dict(), "opset": opset, "dynamic": dynamic, "description": spec.describe(),
            "flops": spec.flops(), "active_channels": spec.active}
    if check:
        err = max_rel_error(reference_forward(spec, params, x), y)
        meta["onnxruntime_vs_numpy"] = err
        if not err <= 1e-4:
            raise RuntimeError(f"onnxruntime and the numpy reference differ: {err:.3e}")
    np.save(os.path.join(out_dir, "x.npy"), x)
    np.save(os.path.join(out_dir, "y_ref.npy"), y)
    with open(os.path.join(out_dir, "spec.json"), "w") as f:
        json.dump(meta, f, indent=2, sort_keys=True)
        f.write("\n")
    return meta


def main(argv: Optional[List[str]] = None) -> int:
    p = argparse.ArgumentParser(prog="python3 -m ffn_tools.repavit", description=__doc__.split("\n\n")[0])
    d = RepavitSpec()
    p.add_argument("--batch", type=int, default=d.batch, help="batch B (default %(default)s)")
    p.add_argument("--tokens", type=int, default=d.tokens, help="tokens T (default %(default)s)")
    p.add_argument("--dim", type=int, default=d.dim, help="model width D (default %(default)s)")
    p.add_argument("--hidden", type=int, default=d.hidden, help="hidden width H (default %(default)s)")
    p.add_argument("--idle", type=float, default=d.idle, help="idle channel ratio (default %(default)s)")
    p.add_argument("--form", choices=FORMS, default=d.form, help="Slice pair or one Split (default %(default)s)")
    p.add_argument("--act", choices=ACTIVATIONS, default=d.act, help="activation (default %(default)s)")
    p.add_argument("--no-bn", action="store_true", help="no BatchNorm before the FFN")
    p.add_argument("--no-residual", action="store_true", help="y = FFN(BN(x)) without + x")
    p.add_argument("--eps", type=float, default=d.eps, help="BatchNorm epsilon (default %(default)s)")
    p.add_argument("--dynamic", action="store_true", help="symbolic batch and sequence dimensions")
    p.add_argument("--opset", type=int, default=DEFAULT_OPSET, help="ONNX opset (default %(default)s)")
    p.add_argument("--seed", type=int, default=d.seed, help="seed for weights and input (default %(default)s)")
    p.add_argument("--no-check", action="store_true", help="skip the numpy check of onnxruntime's output")
    p.add_argument("--out", required=True, help="output folder")
    args = p.parse_args(argv)
    try:
        spec = RepavitSpec(batch=args.batch, tokens=args.tokens, dim=args.dim, hidden=args.hidden, idle=args.idle,
                           form=args.form, act=args.act, bn=not args.no_bn, residual=not args.no_residual,
                           eps=args.eps, seed=args.seed)
    except ValueError as e:
        p.error(str(e))
    t0 = time.perf_counter()
    meta = generate(spec, args.out, opset=args.opset, dynamic=args.dynamic, check=not args.no_check)
    check = meta.get("onnxruntime_vs_numpy")
    print(f"{spec.describe()}: wrote model.onnx, x.npy, y_ref.npy to {args.out}"
          + (f" (onnxruntime vs numpy {check:.1e})" if check is not None else "")
          + f" ({time.perf_counter() - t0:.2f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
