"""CLI: generate a test model and its reference data.

    python3 -m ffn_tools.gen --kind encoder --tokens 7 --dim 40 --hidden 100 \\
        [--batch B] [--act gelu|gelu_tanh|relu|silu] [--no-bias] \\
        [--norm none|layer|rms] [--residual] [--seed 0] --out DIR

writes into DIR:

- ``model.mlir``  the model in the ffn dialect (input ``x``, output ``y``)
- ``model.onnx``  the same model as an ONNX graph
- ``x.npy``       a seeded input
- ``y_ref.npy``   the reference output on it (numpy, float64 rounded to float32)
- ``spec.json``   the model description (regenerates the same weights)
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from typing import List, Optional

import numpy as np

from ffn_tools.mlirgen import write_mlir
from ffn_tools.model import ACTIVATIONS, KINDS, NORMS, FFNModel, FFNSpec, build_model
from ffn_tools.onnxgen import DEFAULT_OPSET, write_onnx
from ffn_tools.reference import reference_forward


def add_model_arguments(p: argparse.ArgumentParser, **defaults) -> None:
    """Adds the model-shape options shared by the CLIs and benchmarks."""
    d = dict(kind="encoder", tokens=7, dim=40, hidden=100, norm="none")
    d.update(defaults)
    p.add_argument("--kind", choices=KINDS, default=d["kind"], help="encoder (BERT/ViT/GPT-2) or gated (Llama)")
    p.add_argument("--tokens", type=int, default=d["tokens"], help="tokens T (default %(default)s)")
    p.add_argument("--dim", type=int, default=d["dim"], help="model width D (default %(default)s)")
    p.add_argument("--hidden", type=int, default=d["hidden"], help="hidden width H (default %(default)s)")
    p.add_argument("--batch", type=int, default=d.get("batch"), help="batch B: x is [B, T, D] (default: x is [T, D])")
    p.add_argument("--act", choices=ACTIVATIONS, default=None, help="activation (default: gelu for encoder, silu for gated)")
    p.add_argument("--no-bias", action="store_true", help="encoder without biases (gated never has biases)")
    p.add_argument("--norm", choices=NORMS, default=d["norm"], help="pre-norm (default %(default)s)")
    p.add_argument("--eps", type=float, default=None, help="norm epsilon (default 1e-5 layer, 1e-6 rms)")
    p.add_argument("--residual", action="store_true", default=d.get("residual", False), help="y = x + FFN(norm(x))")
    p.add_argument("--seed", type=int, default=0, help="seed for weights and input (default 0)")


def spec_from_args(args: argparse.Namespace) -> FFNSpec:
    """The :class:`FFNSpec` the options of :func:`add_model_arguments` describe."""
    bias = None
    if args.kind == "encoder":
        bias = not args.no_bias
    return FFNSpec(
        kind=args.kind,
        tokens=args.tokens,
        dim=args.dim,
        hidden=args.hidden,
        batch=args.batch,
        act=args.act,
        bias=bias,
        norm=args.norm,
        residual=args.residual,
        eps=args.eps,
        seed=args.seed,
    )


def generate(
    spec: FFNSpec,
    out_dir: str,
    opset: int = DEFAULT_OPSET,
    dynamic_batch: bool = False,
    dynamic: bool = False,
    write_model_onnx: bool = True,
) -> FFNModel:
    """Builds the model and writes the files listed in the module docstring."""
    os.makedirs(out_dir, exist_ok=True)
    model = build_model(spec)
    write_mlir(model, os.path.join(out_dir, "model.mlir"))
    if write_model_onnx:
        write_onnx(model, os.path.join(out_dir, "model.onnx"), opset=opset, dynamic_batch=dynamic_batch,
                   dynamic_tokens=dynamic)
    np.save(os.path.join(out_dir, "x.npy"), model.x)
    np.save(os.path.join(out_dir, "y_ref.npy"), reference_forward(model))
    meta = {"spec": spec.to_dict(), "flops": spec.flops(), "params": spec.num_params(), "description": spec.describe()}
    with open(os.path.join(out_dir, "spec.json"), "w") as f:
        json.dump(meta, f, indent=2, sort_keys=True)
        f.write("\n")
    return model


def load_spec(model_dir: str) -> FFNSpec:
    """Reads ``spec.json`` written by :func:`generate`."""
    with open(os.path.join(model_dir, "spec.json")) as f:
        return FFNSpec.from_dict(json.load(f)["spec"])


def main(argv: Optional[List[str]] = None) -> int:
    p = argparse.ArgumentParser(prog="python3 -m ffn_tools.gen", description=__doc__.split("\n\n")[0])
    add_model_arguments(p)
    p.add_argument("--opset", type=int, default=DEFAULT_OPSET, help="ONNX opset (default %(default)s)")
    p.add_argument("--dynamic-batch", action="store_true", help="ONNX: first dimension of x and y symbolic")
    p.add_argument("--dynamic", action="store_true",
                   help="ONNX: every dimension of x and y but the last symbolic (batch, seq)")
    p.add_argument("--out", required=True, help="output folder")
    args = p.parse_args(argv)
    try:
        spec = spec_from_args(args)
    except ValueError as e:
        p.error(str(e))
    t0 = time.perf_counter()
    generate(spec, args.out, opset=args.opset, dynamic_batch=args.dynamic_batch, dynamic=args.dynamic)
    print(f"{spec.describe()}: wrote model.mlir, model.onnx, x.npy, y_ref.npy to {args.out} "
          f"({time.perf_counter() - t0:.2f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
