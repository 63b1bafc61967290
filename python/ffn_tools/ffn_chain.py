"""CLI: a chain of residual FFN blocks with nothing between them.

    python3 -m ffn_tools.ffn_chain --blocks 4 [--kind encoder|gated] \\
        [--tokens 8] [--dim 32] [--hidden 96] [--out-scale 0.2[,S...]] \\
        [--runs L[,L...]] [--seed 0] --out DIR

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
Fusion's parallelisation is a small change) rather than doubling it. One
scale per block (``0.02,0.02,1.5``) makes chains whose blocks depend on each
other unevenly, for ``--ffn-fusion=auto`` to find the runs.

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
from typing import Dict, List, Optional, Union

import numpy as np
import onnx
from onnx import TensorProto, helper

from ffn_tools.attention import DEFAULT_OPSET, _gelu_erf, _Graph, _linear, _ln

KINDS = ("encoder", "gated")


def build_params(kind: str, blocks: int, dim: int, hidden: int, out_scales: Union[float, List[float]],
                 seed: int) -> List[Dict]:
    """The blocks' parameters; ``out_scales``: one down-projection scale, or
    one per block."""
    if isinstance(out_scales, (int, float)):
        out_scales = [float(out_scales)] * blocks
    rng = np.random.default_rng(seed)

    def lin(i: int, o: int, scale: float = 1.0) -> np.ndarray:
        return (rng.standard_normal((i, o)) * scale / math.sqrt(i)).astype(np.float32)

    def vec(n: int, scale: float = 0.1, base: float = 0.0) -> np.ndarray:
        return (base + scale * rng.standard_normal(n)).astype(np.float32)

    params = []
    for b in range(blocks):
        out_scale = out_scales[b]
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


def reference_forward(kind: str, params: List[Dict], x: np.ndarray, eps: float, parallel: bool = False,
                      runs: Optional[List[int]] = None) -> np.ndarray:
    """The chain in float64, rounded to float32 once: block by block, or cut
    into runs of the lengths ``runs`` whose blocks all read the run's input
    (``parallel``: one run of every block)."""
    if runs is None:
        runs = [len(params)] if parallel else [1] * len(params)
    if sum(runs) != len(params) or min(runs) < 1:
        raise ValueError(f"runs {runs} do not cut a chain of {len(params)} blocks")
    t = x.astype(np.float64)
    start = 0
    for n in runs:
        t0 = t
        for p in params[start:start + n]:
            t = t + _block(kind, p, t0, eps)
        start += n
    return t.astype(np.float32)


def main(argv: Optional[List[str]] = None) -> int:
    p = argparse.ArgumentParser(prog="python3 -m ffn_tools.ffn_chain", description=__doc__.split("\n\n")[0])
    p.add_argument("--blocks", type=int, default=4, help="residual FFN blocks (default %(default)s)")
    p.add_argument("--kind", choices=KINDS, default="encoder", help="encoder (LayerNorm, GELU) or gated "
                   "(RMSNorm, SwiGLU)")
    p.add_argument("--tokens", type=int, default=8, help="tokens T (default %(default)s)")
    p.add_argument("--dim", type=int, default=32, help="model width D (default %(default)s)")
    p.add_argument("--hidden", type=int, default=96, help="hidden width H per block (default %(default)s)")
    p.add_argument("--out-scale", default="0.2",
                   help="scale of the down projections: how much each block changes x; one, or one per block "
                   "(default %(default)s)")
    p.add_argument("--runs", default=None, help="also write y_runs.npy, the chain cut into runs of these lengths "
                   "(e.g. 3,3)")
    p.add_argument("--eps", type=float, default=None, help="norm epsilon (default 1e-5 encoder, 1e-6 gated)")
    p.add_argument("--seed", type=int, default=0, help="seed of weights and input (default %(default)s)")
    p.add_argument("--out", required=True, help="output folder")
    args = p.parse_args(argv)
    if args.blocks < 1 or min(args.tokens, args.dim, args.hidden) < 1:
        p.error("--blocks, --tokens, --dim and --hidden must be positive")
    eps = args.eps if args.eps is not None else (1e-5 if args.kind == "encoder" else 1e-6)
    try:
        scales = [float(v) for v in args.out_scale.split(",")]
        runs = [int(v) for v in args.runs.split(",")] if args.runs else None
    except ValueError:
        p.error("--out-scale takes numbers and --runs integers, comma separated")
    if len(scales) == 1:
        scales *= args.blocks
    if len(scales) != args.blocks:
        p.error(f"--out-scale gives {len(scales)} scales for {args.blocks} blocks")
    if runs is not None and (sum(runs) != args.blocks or min(runs) < 1):
        p.error(f"--runs {args.runs} does not cut {args.blocks} blocks into runs")
    params = build_params(args.kind, args.blocks, args.dim, args.hidden, scales, args.seed)
    os.makedirs(args.out, exist_ok=True)
    onnx.save_model(onnx_model(args.kind, params, args.tokens, args.dim, eps), os.path.join(args.out, "model.onnx"))
    x = np.random.default_rng(args.seed + 1).standard_normal((1, args.tokens, args.dim)).astype(np.float32)
    np.save(os.path.join(args.out, "x.npy"), x)
    np.save(os.path.join(args.out, "y_ref.npy"), reference_forward(args.kind, params, x, eps))
    np.save(os.path.join(args.out, "y_parallel.npy"), reference_forward(args.kind, params, x, eps, parallel=True))
    written = "model.onnx, x.npy, y_ref.npy, y_parallel.npy"
    if runs is not None:
        np.save(os.path.join(args.out, "y_runs.npy"), reference_forward(args.kind, params, x, eps, runs=runs))
        written += ", y_runs.npy"
    desc = (f"{args.blocks} residual {args.kind} FFN blocks, x [1, {args.tokens}, {args.dim}], hidden {args.hidden}, "
            f"out-scale {args.out_scale}")
    with open(os.path.join(args.out, "spec.json"), "w") as f:
        json.dump({"description": desc, "blocks": args.blocks, "kind": args.kind}, f, indent=2)
        f.write("\n")
    print(f"{desc}: wrote {written} to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
