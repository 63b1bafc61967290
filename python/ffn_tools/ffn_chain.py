"""CLI: a chain of residual FFN blocks with nothing between them.

    python3 -m ffn_tools.ffn_chain --blocks 4 [--kind encoder|gated] \\
        [--tokens 8] [--dim 32] [--hidden 96] [--out-scale 0.2] [--seed 0] \\
        --out DIR

The shape FFN Fusion (Llama-Nemotron, 2025) works on, as a model would look
after its attention sublayers were removed: ``blocks`` pre-norm residual
blocks ``x = x + FFN_i(norm_i(x))`` on ``x`` of shape ``[1, T, D]``:

- ``encoder``: ``LayerNormalization`` (with scale and bias), ``MatMul + Add``,
  erf GELU written out (``Div``, ``Erf``, ``Add``, ``Mul``), ``MatMul + Add``;
- ``gated``: RMSNorm written out as torch exports it (``Pow``, ``ReduceMean``,
  ``Add``, ``Sqrt``, ``Div``, ``Mul``, weight ``Mul``) and a SwiGLU FFN
  without biases (SiLU as ``x * Sigmoid(x)``).

The down projections are scaled by ``out-scale`` so each block changes the
residual stream by a fraction of its size, as in trained models (where FFN
Fusion's parallelisation is a small change) rather than doubling it.

Writes ``model.onnx``, ``x.npy``, ``y_ref.npy`` (the chain in float64,
rounded to float32) and ``y_parallel.npy``: every block applied to the
chain's input, ``x + sum_i FFN_i(norm_i(x))``, which ``--ffn-fusion`` over
the whole chain computes exactly.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from typing import Dict, List, Optional

import numpy as np
import onnx
from onnx import TensorProto, helper

from ffn_tools.attention import DEFAULT_OPSET, _gelu_erf, _Graph, _linear, _ln

KINDS = ("encoder", "gated")


def build_params(kind: str, blocks: int, dim: int, hidden: int, out_scale: float, seed: int) -> List[Dict]:
    rng = np.random.default_rng(seed)

    def lin(i: int, o: int, scale: float = 1.0) -> np.ndarray:
        return (rng.standard_normal((i, o)) * scale / math.sqrt(i)).astype(np.float32)

    def vec(n: int, scale: float = 0.1, base: float = 0.0) -> np.ndarray:
        return (base + scale * rng.standard_normal(n)).astype(np.float32)

    params = []
    for _ in range(blocks):
        if kind == "encoder":
            params.append({"ln_s": vec(dim, 0.1, 1.0), "ln_b": vec(dim), "w1": lin(dim, hidden), "b1": vec(hidden),
                           "w2": lin(hidden, dim, out_scale), "b2": vec(dim, 0.1 * out_scale)})
        else:
            params.append({"rms": vec(dim, 0.1, 1.0), "wg": lin(dim, hidden), "wu": lin(dim, hidden),
                           "wd": lin(hidden, dim, out_scale)})
    return params


def onnx_model(kind: str, params: List[Dict], tokens: int, dim: int, eps: float,
               opset: int = DEFAULT_OPSET) -> onnx.ModelProto:
    g = _Graph()
    x = "x"
    for i, p in enumerate(params):
        name = f"block.{i}"
        last = i == len(params) - 1
        if kind == "encoder":
            n = g.op("LayerNormalization", [x, g.init(f"{name}.ln.weight", p["ln_s"]),
                                            g.init(f"{name}.ln.bias", p["ln_b"])],
                     f"{name}.ln", axis=-1, epsilon=eps)
            h = _gelu_erf(g, _linear(g, n, p["w1"], p["b1"], f"{name}.fc1"), f"{name}.act")
            f = _linear(g, h, p["w2"], p["b2"], f"{name}.fc2")
        else:
            sq = g.op("Pow", [x, g.f32(2.0)], f"{name}.norm")
            if opset >= 18:
                var = g.op("ReduceMean", [sq, g.i64([-1])], f"{name}.norm", keepdims=1)
            else:
                var = g.op("ReduceMean", [sq], f"{name}.norm", axes=[-1], keepdims=1)
            var = g.op("Add", [var, g.f32(eps)], f"{name}.norm")
            inv = g.op("Div", [g.f32(1.0), g.op("Sqrt", [var], f"{name}.norm")], f"{name}.norm")
            n = g.op("Mul", [g.init(f"{name}.norm.weight", p["rms"]), g.op("Mul", [x, inv], f"{name}.norm")],
                     f"{name}.norm")
            gate = g.op("MatMul", [n, g.init(f"{name}.gate.weight", p["wg"])], f"{name}.gate")
            up = g.op("MatMul", [n, g.init(f"{name}.up.weight", p["wu"])], f"{name}.up")
            silu = g.op("Mul", [gate, g.op("Sigmoid", [gate], f"{name}.act")], f"{name}.act")
            f = g.op("MatMul", [g.op("Mul", [silu, up], f"{name}.act"), g.init(f"{name}.down.weight", p["wd"])],
                     f"{name}.down")
        x = g.op("Add", [x, f], f"{name}.residual", output="y" if last else None)
    shape = [1, tokens, dim]
    graph = helper.make_graph(g.nodes, "ffn_chain", [helper.make_tensor_value_info("x", TensorProto.FLOAT, shape)],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, shape)], g.inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], producer_name="ffn_tools")
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def _block(kind: str, p: Dict, t: np.ndarray, eps: float) -> np.ndarray:
    from ffn_tools.reference import erf

    p = {k: v.astype(np.float64) for k, v in p.items()}
    if kind == "encoder":
        h = _ln(t, p["ln_s"], p["ln_b"], eps) @ p["w1"] + p["b1"]
        h = 0.5 * h * (1.0 + erf(h / math.sqrt(2.0)))
        return h @ p["w2"] + p["b2"]
    n = t / np.sqrt((t * t).mean(-1, keepdims=True) + eps) * p["rms"]
    gate, up = n @ p["wg"], n @ p["wu"]
    return (gate / (1.0 + np.exp(-gate)) * up) @ p["wd"]


def reference_forward(kind: str, params: List[Dict], x: np.ndarray, eps: float, parallel: bool = False) -> np.ndarray:
    """The chain (or, with ``parallel``, every block on the chain's input) in
    float64, rounded to float32 once."""
    x0 = x.astype(np.float64)
    t = x0
    for p in params:
        t = t + _block(kind, p, x0 if parallel else t, eps)
    return t.astype(np.float32)


def main(argv: Optional[List[str]] = None) -> int:
    p = argparse.ArgumentParser(prog="python3 -m ffn_tools.ffn_chain", description=__doc__.split("\n\n")[0])
    p.add_argument("--blocks", type=int, default=4, help="residual FFN blocks (default %(default)s)")
    p.add_argument("--kind", choices=KINDS, default="encoder", help="encoder (LayerNorm, GELU) or gated "
                   "(RMSNorm, SwiGLU)")
    p.add_argument("--tokens", type=int, default=8, help="tokens T (default %(default)s)")
    p.add_argument("--dim", type=int, default=32, help="model width D (default %(default)s)")
    p.add_argument("--hidden", type=int, default=96, help="hidden width H per block (default %(default)s)")
    p.add_argument("--out-scale", type=float, default=0.2,
                   help="scale of the down projections: how much each block changes x (default %(default)s)")
    p.add_argument("--eps", type=float, default=None, help="norm epsilon (default 1e-5 encoder, 1e-6 gated)")
    p.add_argument("--seed", type=int, default=0, help="seed of weights and input (default %(default)s)")
    p.add_argument("--out", required=True, help="output folder")
    args = p.parse_args(argv)
    if args.blocks < 1 or min(args.tokens, args.dim, args.hidden) < 1:
        p.error("--blocks, --tokens, --dim and --hidden must be positive")
    eps = args.eps if args.eps is not None else (1e-5 if args.kind == "encoder" else 1e-6)
    params = build_params(args.kind, args.blocks, args.dim, args.hidden, args.out_scale, args.seed)
    os.makedirs(args.out, exist_ok=True)
    onnx.save_model(onnx_model(args.kind, params, args.tokens, args.dim, eps), os.path.join(args.out, "model.onnx"))
    x = np.random.default_rng(args.seed + 1).standard_normal((1, args.tokens, args.dim)).astype(np.float32)
    np.save(os.path.join(args.out, "x.npy"), x)
    np.save(os.path.join(args.out, "y_ref.npy"), reference_forward(args.kind, params, x, eps))
    np.save(os.path.join(args.out, "y_parallel.npy"), reference_forward(args.kind, params, x, eps, parallel=True))
    desc = (f"{args.blocks} residual {args.kind} FFN blocks, x [1, {args.tokens}, {args.dim}], hidden {args.hidden}, "
            f"out-scale {args.out_scale:g}")
    with open(os.path.join(args.out, "spec.json"), "w") as f:
        json.dump({"description": desc, "blocks": args.blocks, "kind": args.kind}, f, indent=2)
        f.write("\n")
    print(f"{desc}: wrote model.onnx, x.npy, y_ref.npy, y_parallel.npy to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
