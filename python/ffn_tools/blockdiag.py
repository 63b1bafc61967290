"""CLI: generate an FFN whose weights are block-diagonal after permutations.

    python3 -m ffn_tools.blockdiag --blocks 4 --kind encoder --tokens 16 \\
        --dim 64 --hidden 256 [--act ...] [--no-bias] [--seed 0] --out DIR

The model is :mod:`ffn_tools.gen`'s, with every FFN weight masked so that,
after a random permutation of the input channels, of the hidden neurons and
of the output channels, it is block-diagonal with ``--blocks`` blocks: input
channel ``i``, neuron ``j`` and output channel ``o`` each belong to one of K
groups, and ``W1[j, i]`` (gated: ``Wg``, ``Wu``) is kept only when ``i`` and
``j`` share a group, ``W2[o, j]`` (gated: ``Wd``) only when ``o`` and ``j``
do. The kept entries are scaled by sqrt(K) so that activations keep their
scale. Writes the same files as ``ffn_tools.gen`` (``model.mlir``,
``model.onnx``, ``x.npy``, ``y_ref.npy``, ``spec.json``, the latter with the
groups under ``"block_diag"``).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Dict, List, Optional

import numpy as np

from ffn_tools.gen import add_model_arguments, spec_from_args
from ffn_tools.mlirgen import write_mlir
from ffn_tools.model import FFNModel, build_model
from ffn_tools.onnxgen import DEFAULT_OPSET, write_onnx
from ffn_tools.reference import reference_forward


def random_groups(n: int, blocks: int, rng: np.random.Generator) -> np.ndarray:
    """A group in [0, blocks) for each of ``n`` channels, ``n / blocks`` per
    group, in a random order."""
    if n % blocks:
        raise ValueError(f"{blocks} blocks do not divide {n} channels")
    return rng.permutation(np.arange(n) // (n // blocks))


def make_block_diagonal(model: FFNModel, blocks: int, seed: int) -> Dict[str, List[int]]:
    """Masks the FFN weights of ``model`` in place; returns the groups."""
    spec = model.spec
    rng = np.random.default_rng([seed, 0xB10C])
    g_in = random_groups(spec.dim, blocks, rng)
    g_hidden = random_groups(spec.hidden, blocks, rng)
    g_out = random_groups(spec.dim, blocks, rng)
    up_mask = g_hidden[:, None] == g_in[None, :]
    down_mask = g_out[:, None] == g_hidden[None, :]
    scale = np.float32(np.sqrt(blocks))
    names = ("w1", "w2") if spec.kind == "encoder" else ("wg", "wu", "wd")
    for name in names:
        w = model.params[name]
        mask = down_mask if name in ("w2", "wd") else up_mask
        model.params[name] = np.where(mask, w * scale, np.float32(0)).astype(np.float32)
    return {"in": g_in.tolist(), "hidden": g_hidden.tolist(), "out": g_out.tolist()}


def main(argv: Optional[List[str]] = None) -> int:
    p = argparse.ArgumentParser(prog="python3 -m ffn_tools.blockdiag", description=__doc__.split("\n\n")[0])
    add_model_arguments(p, dim=64, hidden=256, tokens=16)
    p.add_argument("--blocks", type=int, default=4, help="diagonal blocks K (default %(default)s)")
    p.add_argument("--opset", type=int, default=DEFAULT_OPSET, help="ONNX opset (default %(default)s)")
    p.add_argument("--out", required=True, help="output folder")
    args = p.parse_args(argv)
    if args.blocks < 1:
        p.error("--blocks must be at least 1")
    try:
        spec = spec_from_args(args)
        model = build_model(spec)
        groups = make_block_diagonal(model, args.blocks, args.seed)
    except ValueError as e:
        p.error(str(e))
    os.makedirs(args.out, exist_ok=True)
    write_mlir(model, os.path.join(args.out, "model.mlir"))
    write_onnx(model, os.path.join(args.out, "model.onnx"), opset=args.opset)
    np.save(os.path.join(args.out, "x.npy"), model.x)
    np.save(os.path.join(args.out, "y_ref.npy"), reference_forward(model))
    meta = {"spec": spec.to_dict(), "flops": spec.flops(), "params": spec.num_params(),
            "description": spec.describe(), "block_diag": {"blocks": args.blocks, **groups}}
    with open(os.path.join(args.out, "spec.json"), "w") as f:
        json.dump(meta, f, indent=2, sort_keys=True)
        f.write("\n")
    print(f"{spec.describe()}, block-diagonal with {args.blocks} blocks after permutation: "
          f"wrote model.mlir, model.onnx, x.npy, y_ref.npy to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
