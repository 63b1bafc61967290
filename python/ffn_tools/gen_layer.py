"""CLI: generate a transformer layer with self-attention and its reference.

    python3 -m ffn_tools.gen_layer --kind bert|gpt2 [--batch 1] --tokens 8 \\
        --dim 32 --heads 4 --hidden 128 [--layers 1] [--causal where|add] \\
        [--opset 17] [--seed 0] --out DIR
    python3 -m ffn_tools.gen_layer --kind vit|llama [--image 32 --patch 8 \\
        --channels 3] [--dynamic] ... --out DIR

writes into DIR:

- ``model.onnx``  the layers as an ONNX graph (input ``x``, output ``y``),
  see :mod:`ffn_tools.attention` (bert, gpt2) and :mod:`ffn_tools.blocks`
  (vit, llama; ``--dynamic`` makes batch and, for llama, sequence symbolic)
- ``x.npy``       a seeded input ``[B, T, D]`` (vit: an image ``[B, C, S, S]``)
- ``y_ref.npy``   onnxruntime's output on it (the test reference)
- ``spec.json``   the layer description

onnxruntime's output is checked against a float64 numpy evaluation of the
same layers before it is written (``--no-check`` skips that), so a wrong
graph is caught here rather than in the compiler's tests.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from typing import List, Optional

import numpy as np

from ffn_tools import blocks
from ffn_tools.attention import (CAUSAL_FORMS, DEFAULT_OPSET, LAYER_KINDS, LayerSpec, build_input,
                                 build_params, onnx_model, reference_forward)


def generate(spec, out_dir: str, opset: int = DEFAULT_OPSET, check: bool = True,
             share_weights: bool = False) -> dict:
    """Writes the files listed in the module docstring; returns spec.json's
    contents. ``share_weights``: every layer uses the first layer's
    parameters (ALBERT-style), written as separate, identical initializers
    per layer as an exporter that duplicates shared tensors does."""
    import onnx

    from ffn_tools.compare import max_rel_error
    from ffn_tools.onnxgen import ort_session

    os.makedirs(out_dir, exist_ok=True)
    kind = blocks if isinstance(spec, blocks.BlockSpec) else None
    params = kind.build_params(spec) if kind else build_params(spec)
    if share_weights:
        layers = params["layers"] if isinstance(params, dict) else params
        layers = [layers[0]] * len(layers)
        params = dict(params, layers=layers) if isinstance(params, dict) else layers
    model = kind.onnx_model(spec, params, opset=opset) if kind else onnx_model(spec, params, opset=opset)
    path = os.path.join(out_dir, "model.onnx")
    onnx.save_model(model, path)
    x = kind.build_input(spec) if kind else build_input(spec)
    y = ort_session(path).run(None, {"x": x})[0]
    meta = {"spec": spec.to_dict(), "opset": opset, "description": spec.describe()}
    if share_weights:
        meta["share_weights"] = True
    if check:
        ref = kind.reference_forward(spec, params, x) if kind else reference_forward(spec, params, x)
        err = max_rel_error(ref, y)
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
    p = argparse.ArgumentParser(prog="python3 -m ffn_tools.gen_layer", description=__doc__.split("\n\n")[0])
    d = LayerSpec()
    p.add_argument("--kind", choices=LAYER_KINDS + blocks.BLOCK_KINDS, default=d.kind,
                   help="bert (post-norm), gpt2 (pre-norm, causal), vit (patch embedding + pre-norm layers) or "
                        "llama (RMSNorm, rotary, causal, SwiGLU)")
    p.add_argument("--batch", type=int, default=d.batch, help="batch B (default %(default)s)")
    p.add_argument("--tokens", type=int, default=d.tokens, help="tokens T (default %(default)s)")
    p.add_argument("--dim", type=int, default=d.dim, help="model width D (default %(default)s)")
    p.add_argument("--heads", type=int, default=d.heads, help="attention heads (default %(default)s)")
    p.add_argument("--hidden", type=int, default=d.hidden, help="FFN hidden width H (default %(default)s)")
    p.add_argument("--layers", type=int, default=d.layers, help="stacked layers (default %(default)s)")
    p.add_argument("--causal", choices=CAUSAL_FORMS, default=d.causal,
                   help="gpt2: causal mask by Where or by an additive mask (default %(default)s)")
    p.add_argument("--eps", type=float, default=None, help="norm epsilon (default 1e-5; vit, llama 1e-6)")
    b = blocks.BlockSpec()
    p.add_argument("--image", type=int, default=b.image, help="vit: image side (default %(default)s)")
    p.add_argument("--patch", type=int, default=b.patch, help="vit: patch side (default %(default)s)")
    p.add_argument("--channels", type=int, default=b.channels, help="vit: image channels (default %(default)s)")
    p.add_argument("--dynamic", action="store_true",
                   help="symbolic batch (and, but for vit, sequence) dimensions in the ONNX model")
    p.add_argument("--opset", type=int, default=DEFAULT_OPSET, help="ONNX opset (default %(default)s)")
    p.add_argument("--seed", type=int, default=d.seed, help="seed for weights and input (default %(default)s)")
    p.add_argument("--no-check", action="store_true", help="skip the numpy check of onnxruntime's output")
    p.add_argument("--share-weights", action="store_true",
                   help="all layers use the first layer's weights (ALBERT-style), as duplicated initializers")
    p.add_argument("--out", required=True, help="output folder")
    args = p.parse_args(argv)
    try:
        if args.kind in blocks.BLOCK_KINDS:
            spec = blocks.BlockSpec(kind=args.kind, batch=args.batch, tokens=args.tokens, dim=args.dim,
                                    heads=args.heads, hidden=args.hidden, layers=args.layers, image=args.image,
                                    channels=args.channels, patch=args.patch,
                                    eps=b.eps if args.eps is None else args.eps, dynamic=args.dynamic,
                                    seed=args.seed)
        else:
            spec = LayerSpec(kind=args.kind, batch=args.batch, tokens=args.tokens, dim=args.dim, heads=args.heads,
                             hidden=args.hidden, layers=args.layers, eps=d.eps if args.eps is None else args.eps,
                             causal=args.causal, seed=args.seed, dynamic=args.dynamic)
    except ValueError as e:
        p.error(str(e))
    t0 = time.perf_counter()
    meta = generate(spec, args.out, opset=args.opset, check=not args.no_check, share_weights=args.share_weights)
    check = meta.get("onnxruntime_vs_numpy")
    print(f"{spec.describe()}: wrote model.onnx, x.npy, y_ref.npy to {args.out}"
          + (f" (onnxruntime vs numpy {check:.1e})" if check is not None else "")
          + f" ({time.perf_counter() - t0:.2f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
