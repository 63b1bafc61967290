"""ReLU FFNs with a chosen fraction of zero activations, for
``--activation-sparsity`` tests and benchmarks.

    python3 -m ffn_tools.actsparse --tokens 1 --dim 64 --hidden 256 \\
        --zero-fraction 0.9 --out DIR

writes ``DIR/model.onnx`` (the encoder FFN ``relu(x W1ᵀ + b1) W2ᵀ + b2`` as
PyTorch exports it, :mod:`ffn_tools.onnxgen`), ``model.mlir``, ``x.npy``,
``y_ref.npy`` (onnxruntime's output on ``x``), ``spec.json`` and prints
``zero_fraction: F``, the fraction of the hidden activations that are exactly
zero on ``x``.

The weights are :mod:`ffn_tools.model`'s (N(0, 1/in)); only the first bias is
shifted. With ``x`` ~ N(0, 1) every pre-activation is close to N(b1_j, 1), so
a shift of ``-Φ⁻¹(F)`` makes about a fraction F of the activations zero (as
in trained ReLU models such as OPT, where 90% and more are). ``all`` (F = 1)
and ``none`` (F = 0) shift by ∓50: every activation is zero, or none is.

``--kind gated`` writes a gated FFN instead (``relu(x Wgᵀ + bg) * (x Wuᵀ)``
then the down projection; ``--drelu``: ``relu`` on the up projection too, as
TurboSparse's dReLU), with the shift on the gate's bias; only
``model.onnx``, ``x.npy``, ``y_ref.npy`` and ``spec.json`` are written.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
from typing import List, Optional

import numpy as np

from ffn_tools.mlirgen import write_mlir
from ffn_tools.model import FFNModel, build_model
from ffn_tools.onnxgen import run_onnxruntime, write_onnx

#: Bias shift giving no (or every) zero activation: pre-activations are
#: about N(0, 1), so ±50 is never crossed.
EXTREME_SHIFT = 50.0


def bias_shift(zero_fraction: float) -> float:
    """The shift of b1 that makes about ``zero_fraction`` of the
    activations zero."""
    if zero_fraction <= 0.0:
        return EXTREME_SHIFT
    if zero_fraction >= 1.0:
        return -EXTREME_SHIFT
    return -statistics.NormalDist().inv_cdf(zero_fraction)


def build(tokens: int, dim: int, hidden: int, zero_fraction: float, seed: int = 0,
          batch: Optional[int] = None) -> FFNModel:
    """The ReLU encoder FFN with its first bias shifted."""
    model = build_model(kind="encoder", act="relu", tokens=tokens, dim=dim, hidden=hidden,
                        batch=batch, seed=seed)
    first = model.spec.linears()[0]
    model.params[first.bias] = (model.params[first.bias] +
                                np.float32(bias_shift(zero_fraction))).astype(np.float32)
    return model


def measured_zero_fraction(model: FFNModel) -> float:
    """The fraction of exactly zero hidden activations on ``model.x``
    (float32, as the compiled code computes them)."""
    first = model.spec.linears()[0]
    w, b = model.params[first.weight], model.params[first.bias]
    x = model.x.reshape(-1, model.spec.dim)
    h = np.maximum(x @ w.T + b, np.float32(0))
    return float(np.mean(h == 0))


def skipped_fraction(model: FFNModel) -> float:
    """The fraction of hidden neurons that are zero for every token of
    ``model.x``: the neurons the sparse lowering skips."""
    first = model.spec.linears()[0]
    w, b = model.params[first.weight], model.params[first.bias]
    x = model.x.reshape(-1, model.spec.dim)
    h = np.maximum(x @ w.T + b, np.float32(0))
    return float(np.mean(np.all(h == 0, axis=0)))


def generate(out_dir: str, tokens: int, dim: int, hidden: int, zero_fraction: float,
             seed: int = 0, batch: Optional[int] = None, threads: int = 1) -> dict:
    """Writes the files listed in the module docstring; returns the
    ``spec.json`` contents."""
    os.makedirs(out_dir, exist_ok=True)
    model = build(tokens, dim, hidden, zero_fraction, seed, batch)
    onnx_path = os.path.join(out_dir, "model.onnx")
    write_onnx(model, onnx_path)
    write_mlir(model, os.path.join(out_dir, "model.mlir"))
    np.save(os.path.join(out_dir, "x.npy"), model.x)
    np.save(os.path.join(out_dir, "y_ref.npy"), run_onnxruntime(onnx_path, model.x, threads=threads))
    meta = {"spec": model.spec.to_dict(), "flops": model.spec.flops(), "params": model.spec.num_params(),
            "description": model.spec.describe(), "target_zero_fraction": zero_fraction,
            "zero_fraction": measured_zero_fraction(model), "skipped_fraction": skipped_fraction(model)}
    with open(os.path.join(out_dir, "spec.json"), "w") as f:
        json.dump(meta, f, indent=2, sort_keys=True)
        f.write("\n")
    return meta


def generate_gated(out_dir: str, tokens: int, dim: int, hidden: int, zero_fraction: float,
                   seed: int = 0, drelu: bool = False, threads: int = 1) -> dict:
    """A gated FFN ``(relu(x Wgᵀ + bg) * u) Wdᵀ`` with ``u = x Wuᵀ``, or
    ``u = relu(x Wuᵀ)`` with ``drelu`` (TurboSparse's dReLU), as ONNX; the
    gate bias ``bg`` is the shift that makes about ``zero_fraction`` of the
    gate's activations zero. Writes ``model.onnx``, ``x.npy``, ``y_ref.npy``
    (onnxruntime) and ``spec.json``."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    from ffn_tools.onnxgen import DEFAULT_IR_VERSION, DEFAULT_OPSET

    os.makedirs(out_dir, exist_ok=True)
    rng = np.random.default_rng(seed)
    scale = np.float32(1.0 / np.sqrt(dim))
    wg = rng.standard_normal((hidden, dim), dtype=np.float32) * scale
    wu = rng.standard_normal((hidden, dim), dtype=np.float32) * scale
    wd = rng.standard_normal((dim, hidden), dtype=np.float32) * np.float32(1.0 / np.sqrt(hidden))
    bg = np.full(hidden, bias_shift(zero_fraction), dtype=np.float32)
    x = rng.standard_normal((tokens, dim), dtype=np.float32)
    inits = [numpy_helper.from_array(np.ascontiguousarray(a), n)
             for n, a in (("gate.weight_t", wg.T), ("gate.bias", bg), ("up.weight_t", wu.T),
                          ("down.weight_t", wd.T))]
    nodes = [helper.make_node("MatMul", ["x", "gate.weight_t"], ["g0"], name="gate_proj/MatMul"),
             helper.make_node("Add", ["g0", "gate.bias"], ["g1"], name="gate_proj/Add"),
             helper.make_node("Relu", ["g1"], ["g"], name="gate_act/Relu"),
             helper.make_node("MatMul", ["x", "up.weight_t"], ["u0"], name="up_proj/MatMul")]
    up = "u0"
    if drelu:
        nodes.append(helper.make_node("Relu", ["u0"], ["u"], name="up_act/Relu"))
        up = "u"
    nodes += [helper.make_node("Mul", ["g", up], ["m"], name="gated/Mul"),
              helper.make_node("MatMul", ["m", "down.weight_t"], ["y"], name="down_proj/MatMul")]
    graph = helper.make_graph(nodes, "ffn_gated_relu",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [tokens, dim])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [tokens, dim])],
                              initializer=inits)
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", DEFAULT_OPSET)],
                          ir_version=DEFAULT_IR_VERSION, producer_name="ffn_tools.actsparse")
    onnx.checker.check_model(m)
    onnx_path = os.path.join(out_dir, "model.onnx")
    onnx.save_model(m, onnx_path)
    np.save(os.path.join(out_dir, "x.npy"), x)
    np.save(os.path.join(out_dir, "y_ref.npy"), run_onnxruntime(onnx_path, x, threads=threads))
    gate = np.maximum(x @ wg.T + bg, np.float32(0))
    hid = gate * (np.maximum(x @ wu.T, 0) if drelu else x @ wu.T)
    meta = {"kind": "gated", "drelu": drelu, "tokens": tokens, "dim": dim, "hidden": hidden,
            "target_zero_fraction": zero_fraction, "zero_fraction": float(np.mean(hid == 0)),
            "skipped_fraction": float(np.mean(np.all(hid == 0, axis=0)))}
    with open(os.path.join(out_dir, "spec.json"), "w") as f:
        json.dump(meta, f, indent=2, sort_keys=True)
        f.write("\n")
    return meta


def _fraction(text: str) -> float:
    if text == "all":
        return 1.0
    if text == "none":
        return 0.0
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"zero fraction {text} is not in [0, 1]")
    return value


def main(argv: Optional[List[str]] = None) -> int:
    p = argparse.ArgumentParser(prog="python3 -m ffn_tools.actsparse", description=__doc__.split("\n\n")[0])
    p.add_argument("--tokens", type=int, default=1, help="tokens T (default %(default)s)")
    p.add_argument("--batch", type=int, help="batch B: x is [B, T, D] (default: x is [T, D])")
    p.add_argument("--dim", type=int, default=64, help="model width D (default %(default)s)")
    p.add_argument("--hidden", type=int, default=256, help="hidden width H (default %(default)s)")
    p.add_argument("--zero-fraction", type=_fraction, default=0.9,
                   help="target fraction of zero activations in [0, 1], or all / none (default %(default)s)")
    p.add_argument("--kind", choices=["encoder", "gated"], default="encoder",
                   help="encoder (ReLU, biases) or gated (ReLU on the gate, bias on the gate only; "
                   "--drelu: ReLU on the up projection too) (default %(default)s)")
    p.add_argument("--drelu", action="store_true", help="gated: dReLU, relu(gate) * relu(up)")
    p.add_argument("--seed", type=int, default=0, help="seed for weights and input (default %(default)s)")
    p.add_argument("--out", required=True, help="output folder")
    args = p.parse_args(argv)
    if args.kind == "gated":
        if args.batch is not None:
            p.error("--batch applies to --kind encoder")
        meta = generate_gated(args.out, args.tokens, args.dim, args.hidden, args.zero_fraction, args.seed,
                              args.drelu)
        desc = f"gated {'dReLU' if args.drelu else 'ReLU'} FFN, x:{args.tokens}x{args.dim}, H={args.hidden}"
    else:
        if args.drelu:
            p.error("--drelu applies to --kind gated")
        meta = generate(args.out, args.tokens, args.dim, args.hidden, args.zero_fraction, args.seed, args.batch)
        desc = meta["description"]
    print(f"{desc}: zero_fraction: {meta['zero_fraction']:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
