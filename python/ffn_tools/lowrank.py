"""Low-rank factorisation (``--lowrank``): test models and independent checks.

    python3 -m ffn_tools.lowrank gen [gen options] [--weight-rank R] [--decay A] --out DIR
    python3 -m ffn_tools.lowrank numpy-error DIR OUT.mlir [--rows N]

- ``gen`` writes the files of :mod:`ffn_tools.gen` (``model.mlir``, ``x.npy``,
  ``y_ref.npy``, ``spec.json``) plus ``params.npz``. ``--decay A`` gives
  every FFN weight singular values decaying as ``i^-A`` (same singular
  vectors and Frobenius norm), a spectrum like trained weights have, where
  random weights have a flat one; ``--weight-rank R`` then truncates every
  FFN weight to exactly rank R, so that a factorisation at rank R is exact.
- ``numpy-error`` reads the ranks (``ffn.lowrank_ranks``) and the error
  (``ffn.rel_error``) that ``ffn-lowrank`` wrote into ``OUT.mlir``, truncates
  the model's weights to those ranks in numpy and measures the relative error
  ``|y_r - y| / |y|`` (Frobenius) of the FFN block on N rows of N(0, 1)
  inputs, independently of the compiler's block evaluator. Prints both;
  exits 1 when they differ by more than ``--rtol`` (relative).

Checks of the report against compiled binaries are
:mod:`ffn_tools.approx_check`'s, shared by every approximate rewrite.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from typing import Dict, List, Optional, Sequence

import numpy as np

from ffn_tools.approx_check import l2_rel_error
from ffn_tools.gen import add_model_arguments, generate, load_spec, spec_from_args
from ffn_tools.mlirgen import write_mlir
from ffn_tools.model import FFNModel, FFNSpec, build_model
from ffn_tools.reference import ffn_forward, reference_forward


def truncate(w: np.ndarray, rank: int) -> np.ndarray:
    """``w`` (float32) truncated to its best rank-``rank`` approximation."""
    u, s, vt = np.linalg.svd(w.astype(np.float64), full_matrices=False)
    r = max(0, min(rank, s.size))
    return ((u[:, :r] * s[:r]) @ vt[:r]).astype(np.float32)


def weight_names(spec: FFNSpec) -> List[str]:
    """The FFN weights in the order of the linears in the ``ffn.mlp`` body."""
    return [lin.weight for lin in spec.linears()]


def with_decay(w: np.ndarray, alpha: float) -> np.ndarray:
    """``w`` with singular values ``c i^-alpha`` (i = 1, 2, ...), ``c`` keeping
    its Frobenius norm; same singular vectors."""
    u, s, vt = np.linalg.svd(w.astype(np.float64), full_matrices=False)
    d = np.arange(1, s.size + 1, dtype=np.float64) ** -alpha
    d *= np.linalg.norm(s) / np.linalg.norm(d)
    return ((u * d) @ vt).astype(np.float32)


def shaped_model(spec: FFNSpec, rank: Optional[int] = None, decay: Optional[float] = None) -> FFNModel:
    """The model of ``spec`` with every FFN weight given a decaying spectrum
    and/or truncated to rank ``rank``."""
    model = build_model(spec)
    for name in weight_names(spec):
        if decay is not None:
            model.params[name] = with_decay(model.params[name], decay)
        if rank is not None:
            model.params[name] = truncate(model.params[name], rank)
    return model


def gen(spec: FFNSpec, out_dir: str, weight_rank: Optional[int] = None, decay: Optional[float] = None) -> FFNModel:
    """Writes the model folder (see the module docstring)."""
    model = generate(spec, out_dir, write_model_onnx=False)
    if weight_rank is not None or decay is not None:
        model = shaped_model(spec, weight_rank, decay)
        write_mlir(model, os.path.join(out_dir, "model.mlir"))
        np.save(os.path.join(out_dir, "y_ref.npy"), reference_forward(model))
    np.savez(os.path.join(out_dir, "params.npz"), **model.params)
    return model


def read_lowrank_attrs(mlir_text: str) -> List[Dict]:
    """``{"ranks": [...], "rel_error": float | None}`` per factored block."""
    blocks = []
    for line in mlir_text.splitlines():
        m = re.search(r"ffn\.lowrank_ranks = array<i64(?::\s*([-0-9, ]*))?>", line)
        if not m:
            continue
        ranks = [int(v) for v in (m.group(1) or "").split(",") if v.strip()]
        e = re.search(r"ffn\.rel_error = ([-+0-9.eE]+) : f64", line)
        blocks.append({"ranks": ranks, "rel_error": float(e.group(1)) if e else None})
    return blocks


def numpy_block_error(spec: FFNSpec, params: Dict[str, np.ndarray], ranks: Sequence[int], rows: int,
                      seed: int = 1234) -> float:
    """Relative error of the FFN block (no norm, no residual) when its weights
    are truncated to ``ranks`` (-1: dense), on ``rows`` N(0, 1) rows."""
    block = FFNSpec(kind=spec.kind, tokens=rows, dim=spec.dim, hidden=spec.hidden, act=spec.act, bias=spec.bias)
    x = np.random.default_rng(seed).standard_normal((rows, spec.dim))
    dense = {k: v.astype(np.float64) for k, v in params.items()}
    factored = dict(dense)
    for name, r in zip(weight_names(spec), ranks):
        if r >= 0:
            factored[name] = truncate(params[name], r).astype(np.float64)
    return l2_rel_error(ffn_forward(block, dense, x), ffn_forward(block, factored, x))


def _load_params(model_dir: str, spec: FFNSpec) -> Dict[str, np.ndarray]:
    path = os.path.join(model_dir, "params.npz")
    if os.path.exists(path):
        with np.load(path) as f:
            return {k: f[k] for k in f.files}
    return build_model(spec).params


def main(argv: Optional[List[str]] = None) -> int:
    p = argparse.ArgumentParser(prog="python3 -m ffn_tools.lowrank", description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("gen", help="write a model folder, optionally with exactly low-rank weights")
    add_model_arguments(g)
    g.add_argument("--weight-rank", type=int, help="truncate every FFN weight to this rank")
    g.add_argument("--decay", type=float, help="singular values of every FFN weight decay as i^-DECAY")
    g.add_argument("--out", required=True)
    n = sub.add_parser("numpy-error", help="the factored block's error in numpy vs the compiler's")
    n.add_argument("model_dir")
    n.add_argument("mlir")
    n.add_argument("--rows", type=int, default=8192)
    n.add_argument("--rtol", type=float, default=0.1)
    args = p.parse_args(argv)

    if args.cmd == "gen":
        try:
            spec = spec_from_args(args)
        except ValueError as e:
            p.error(str(e))
        gen(spec, args.out, args.weight_rank, args.decay)
        print(f"{spec.describe()}, weight rank {args.weight_rank or 'full'}, decay {args.decay}: wrote {args.out}")
        return 0
    # numpy-error
    spec = load_spec(args.model_dir)
    with open(args.mlir) as f:
        blocks = read_lowrank_attrs(f.read())
    if len(blocks) != 1 or blocks[0]["rel_error"] is None:
        print(f"FAIL: expected one factored block, found {blocks}")
        return 1
    ranks, compiler = blocks[0]["ranks"], blocks[0]["rel_error"]
    ours = numpy_block_error(spec, _load_params(args.model_dir, spec), ranks, args.rows)
    print(f"ranks: {ranks}")
    print(f"compiler_error: {compiler:.4e}")
    print(f"numpy_error: {ours:.4e}")
    if not abs(compiler - ours) <= args.rtol * ours:
        print(f"FAIL: differ by more than {args.rtol:g} relative")
        return 1
    print("agree")
    return 0


if __name__ == "__main__":
    sys.exit(main())
