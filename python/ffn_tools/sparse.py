"""CLI: generate an FFN and prune its weights by magnitude with numpy.

    python3 -m ffn_tools.sparse --pattern 2:4 --kind encoder --tokens 16 \\
        --dim 64 --hidden 256 [--exact] [--seed 0] --out DIR

The model is :mod:`ffn_tools.gen`'s. ``--pattern`` takes ffn-compile's
``--sparsity`` forms: ``N:M`` (in every group of M consecutive input
channels of an output row the N largest magnitudes stay), ``block:BxB:R``
(each block row of the ``[out, in]`` weight keeps its ``round((1-R) in/B)``
blocks of largest norm) and ``unstructured:R`` (the fraction R of smallest
magnitudes goes). This is an implementation independent of the compiler's,
for checking it.

Writes ``model.mlir``, ``model.onnx``, ``x.npy``, ``y_ref.npy`` (the model's
output) and ``y_pruned.npy`` (the output with every FFN weight pruned).
With ``--exact`` the model's own weights are pruned first, so that pruning
them again changes nothing and the two outputs are equal.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import List, Optional

import numpy as np

from ffn_tools.gen import add_model_arguments, spec_from_args
from ffn_tools.mlirgen import write_mlir
from ffn_tools.model import build_model
from ffn_tools.onnxgen import DEFAULT_OPSET, write_onnx
from ffn_tools.reference import reference_forward


def prune(w: np.ndarray, pattern: str) -> np.ndarray:
    """``w`` ``[out, in]`` with the entries ``pattern`` drops set to 0."""
    out, cols = w.shape
    parts = pattern.split(":")
    mag = np.abs(w.astype(np.float64))
    keep = np.zeros(w.shape, dtype=bool)
    if parts[0] == "block":
        bo, bi = (int(v) for v in parts[1].split("x"))
        ratio = float(parts[2])
        norms = (mag ** 2).reshape(out // bo, bo, cols // bi, bi).sum(axis=(1, 3))
        count = min(max(int(np.floor((1 - ratio) * (cols // bi) + 0.5)), 1), cols // bi)
        # Stable: among equal norms the lower block index wins.
        order = np.argsort(-norms, axis=1, kind="stable")[:, :count]
        for r in range(out // bo):
            for c in order[r]:
                keep[r * bo:(r + 1) * bo, c * bi:(c + 1) * bi] = True
    elif parts[0] == "unstructured":
        ratio = float(parts[1])
        count = int(np.floor((1 - ratio) * w.size + 0.5))
        order = np.argsort(-mag.ravel(), kind="stable")[:count]
        keep.ravel()[order] = True
    else:
        n, m = int(parts[0]), int(parts[1])
        groups = mag.reshape(out, cols // m, m)
        order = np.argsort(-groups, axis=2, kind="stable")[:, :, :n]
        k = np.zeros(groups.shape, dtype=bool)
        np.put_along_axis(k, order, True, axis=2)
        keep = k.reshape(out, cols)
    return np.where(keep, w, np.float32(0)).astype(np.float32)


WEIGHTS = {"encoder": ("w1", "w2"), "gated": ("wg", "wu", "wd")}


def main(argv: Optional[List[str]] = None) -> int:
    p = argparse.ArgumentParser(prog="python3 -m ffn_tools.sparse", description=__doc__.split("\n\n")[0])
    add_model_arguments(p, dim=64, hidden=256, tokens=16)
    p.add_argument("--pattern", required=True, help="N:M, block:BxB:RATIO or unstructured:RATIO")
    p.add_argument("--exact", action="store_true", help="prune the model's own weights first")
    p.add_argument("--opset", type=int, default=DEFAULT_OPSET, help="ONNX opset (default %(default)s)")
    p.add_argument("--out", required=True, help="output folder")
    args = p.parse_args(argv)
    try:
        spec = spec_from_args(args)
        model = build_model(spec)
        names = WEIGHTS[spec.kind]
        if args.exact:
            for name in names:
                model.params[name] = prune(model.params[name], args.pattern)
        y_ref = reference_forward(model)
        dense = {name: model.params[name] for name in names}
        for name in names:
            model.params[name] = prune(dense[name], args.pattern)
        y_pruned = reference_forward(model)
        model.params.update(dense)
    except (ValueError, KeyError) as e:
        p.error(str(e))
    os.makedirs(args.out, exist_ok=True)
    write_mlir(model, os.path.join(args.out, "model.mlir"))
    write_onnx(model, os.path.join(args.out, "model.onnx"), opset=args.opset)
    np.save(os.path.join(args.out, "x.npy"), model.x)
    np.save(os.path.join(args.out, "y_ref.npy"), y_ref)
    np.save(os.path.join(args.out, "y_pruned.npy"), y_pruned)
    err = float(np.linalg.norm(y_pruned - y_ref) / max(np.linalg.norm(y_ref), 1e-30))
    print(f"{spec.describe()}, {args.pattern}{' (pre-pruned)' if args.exact else ''}: "
          f"pruned output relative L2 error {err:.3e}; wrote model.mlir, model.onnx, x.npy, "
          f"y_ref.npy, y_pruned.npy to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
