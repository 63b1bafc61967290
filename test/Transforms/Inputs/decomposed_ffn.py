"""Writes a transformer FFN layer in the decomposed form the ONNX importer emits.

    python decomposed_ffn.py --kind encoder|gated --act gelu|gelu_tanh|silu|relu
        --norm layer|rms|none [--tokens T --dim D --hidden H --seed S] --out DIR

DIR/model.mlir holds ``func.func @main(x) -> y`` computing
``y = x + FFN(norm(x))`` with every piece that exporters decompose written out
as the importer writes it: elementwise ``arith``/``math`` ops on equal shapes,
scalars as splat constants, per-feature vectors (biases, norm weights) as
``linalg.broadcast`` of a resource blob, ReduceMean as a ``linalg.reduce`` sum
divided by N and expanded back to ``[T, 1]``, per-row values collapsed and
broadcast back along the features, Sigmoid as ``1 / (1 + exp(-x))`` and
MatMul as a bias-free ``ffn.linear`` followed by the bias ``Add``. It is the
input of ``ffn-raise`` in the rewrite-equivalence tests: compiled before and
after raising, it must give the same outputs.

DIR/x.npy is a random input and DIR/y_ref.npy the float64 numpy reference.
"""

from __future__ import annotations

import argparse
import math
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "..", "python"))
from ffn_tools.mlirgen import resource_blob, tensor_type  # noqa: E402


class Emitter:
    """Accumulates the body of @main with fresh SSA names."""

    def __init__(self, tokens: int):
        self.lines: list[str] = []
        self.blobs: dict[str, np.ndarray] = {}
        self.counter = 0
        self.tokens = tokens

    def fresh(self, hint: str) -> str:
        self.counter += 1
        return f"%{hint}{self.counter}"

    def emit(self, hint: str, text: str) -> str:
        name = self.fresh(hint)
        self.lines.append(f"  {name} = {text}")
        return name

    # Constants -------------------------------------------------------------
    def splat(self, value: float, shape) -> str:
        return self.emit("c", f"arith.constant dense<{value:.17e}> : {tensor_type(shape)}")

    def blob(self, key: str, array: np.ndarray) -> str:
        self.blobs[key] = array.astype(np.float32)
        return self.emit(key, f"arith.constant dense_resource<{key}> : {tensor_type(array.shape)}")

    # Broadcasts ------------------------------------------------------------
    def per_feature(self, vector: str, features: int) -> str:
        """A [D] vector broadcast to [T, D] (numpy: bias + x)."""
        full = (self.tokens, features)
        init = self.emit("e", f"tensor.empty() : {tensor_type(full)}")
        return self.emit(
            "bf",
            f"linalg.broadcast ins({vector} : {tensor_type((features,))}) "
            f"outs({init} : {tensor_type(full)}) dimensions = [0]")

    def per_row(self, row: str, features: int) -> str:
        """A [T, 1] value collapsed and broadcast to [T, D]."""
        t = self.tokens
        flat = self.emit(
            "rc", f"tensor.collapse_shape {row} [[0, 1]] : {tensor_type((t, 1))} into {tensor_type((t,))}")
        init = self.emit("e", f"tensor.empty() : {tensor_type((t, features))}")
        return self.emit(
            "br",
            f"linalg.broadcast ins({flat} : {tensor_type((t,))}) "
            f"outs({init} : {tensor_type((t, features))}) dimensions = [1]")

    # Ops -------------------------------------------------------------------
    def binary(self, op: str, a: str, b: str, shape) -> str:
        return self.emit("v", f"{op} {a}, {b} : {tensor_type(shape)}")

    def unary(self, op: str, a: str, shape) -> str:
        return self.emit("v", f"{op} {a} : {tensor_type(shape)}")

    def reduce_mean(self, x: str, features: int) -> str:
        """ReduceMean(x, axes=[-1], keepdims=1): [T, D] -> [T, 1]."""
        t = self.tokens
        zero = self.emit("z", "arith.constant 0.000000e+00 : f32")
        empty = self.emit("e", f"tensor.empty() : {tensor_type((t,))}")
        init = self.emit("i", f"linalg.fill ins({zero} : f32) outs({empty} : {tensor_type((t,))}) -> {tensor_type((t,))}")
        name = self.fresh("sum")
        self.lines.append(
            f"  {name} = linalg.reduce ins({x} : {tensor_type((t, features))}) "
            f"outs({init} : {tensor_type((t,))}) dimensions = [1]\n"
            f"    (%in: f32, %acc: f32) {{\n"
            f"      %s = arith.addf %in, %acc : f32\n"
            f"      linalg.yield %s : f32\n"
            f"    }}")
        count = self.splat(float(features), (t,))
        mean = self.binary("arith.divf", name, count, (t,))
        return self.emit(
            "m", f"tensor.expand_shape {mean} [[0, 1]] output_shape [{t}, 1] : "
            f"{tensor_type((t,))} into {tensor_type((t, 1))}")

    def linear(self, x: str, in_features: int, weight: str, out_features: int, bias: str | None) -> str:
        t = self.tokens
        h = self.emit(
            "h", f"ffn.linear {x}, {weight} : ({tensor_type((t, in_features))}, "
            f"{tensor_type((out_features, in_features))}) -> {tensor_type((t, out_features))}")
        if bias is None:
            return h
        return self.binary("arith.addf", h, self.per_feature(bias, out_features), (t, out_features))


def emit_activation(e: Emitter, act: str, x: str, shape) -> str:
    """The decomposed activations torch.onnx.export writes (opset < 20)."""
    if act == "relu":
        return e.unary("ffn.relu", x, shape)
    if act == "gelu":
        # Div(x, 1.4142135), Erf, Add(., 1), Mul(x, .), Mul(., 0.5)
        d = e.binary("arith.divf", x, e.splat(1.4142135381698608, shape), shape)
        erf = e.unary("math.erf", d, shape)
        p = e.binary("arith.addf", erf, e.splat(1.0, shape), shape)
        m = e.binary("arith.mulf", x, p, shape)
        return e.binary("arith.mulf", m, e.splat(0.5, shape), shape)
    if act == "gelu_tanh":
        # GPT-2: 0.5 * x * (1 + tanh(sqrt(2/pi) * (x + 0.044715 * pow(x, 3))))
        half = e.binary("arith.mulf", e.splat(0.5, shape), x, shape)
        cube = e.binary("math.powf", x, e.splat(3.0, shape), shape)
        inner = e.binary("arith.mulf", e.splat(0.044715, shape), cube, shape)
        s = e.binary("arith.addf", x, inner, shape)
        z = e.binary("arith.mulf", e.splat(0.7978845608028654, shape), s, shape)
        th = e.unary("math.tanh", z, shape)
        p = e.binary("arith.addf", e.splat(1.0, shape), th, shape)
        return e.binary("arith.mulf", half, p, shape)
    if act == "silu":
        # Mul(x, Sigmoid(x)) with Sigmoid = 1 / (1 + exp(-x))
        n = e.unary("arith.negf", x, shape)
        ex = e.unary("math.exp", n, shape)
        one = e.splat(1.0, shape)
        den = e.binary("arith.addf", one, ex, shape)
        sig = e.binary("arith.divf", one, den, shape)
        return e.binary("arith.mulf", x, sig, shape)
    raise ValueError(act)


def emit_norm(e: Emitter, norm: str, x: str, dim: int, params) -> str:
    t = e.tokens
    full, row = (t, dim), (t, 1)
    if norm == "none":
        return x
    if norm == "layer":
        # Older exports: ReduceMean, Sub, Pow, ReduceMean, Add, Sqrt, Div, Mul, Add.
        mean = e.reduce_mean(x, dim)
        d = e.binary("arith.subf", x, e.per_row(mean, dim), full)
        sq = e.binary("math.powf", d, e.splat(2.0, full), full)
        var = e.reduce_mean(sq, dim)
        v = e.binary("arith.addf", var, e.splat(params["eps"], row), row)
        s = e.unary("math.sqrt", v, row)
        n = e.binary("arith.divf", d, e.per_row(s, dim), full)
        g = e.binary("arith.mulf", n, e.per_feature(e.blob("ln_scale", params["ln_scale"]), dim), full)
        return e.binary("arith.addf", g, e.per_feature(e.blob("ln_bias", params["ln_bias"]), dim), full)
    # Llama: Pow, ReduceMean, Add, Sqrt, Reciprocal, Mul(x, .), Mul(w, .).
    sq = e.binary("math.powf", x, e.splat(2.0, full), full)
    ms = e.reduce_mean(sq, dim)
    v = e.binary("arith.addf", ms, e.splat(params["eps"], row), row)
    s = e.unary("math.sqrt", v, row)
    r = e.binary("arith.divf", e.splat(1.0, row), s, row)
    n = e.binary("arith.mulf", x, e.per_row(r, dim), full)
    return e.binary("arith.mulf", e.per_feature(e.blob("rms_scale", params["rms_scale"]), dim), n, full)


def reference(args, params, x: np.ndarray) -> np.ndarray:
    x = x.astype(np.float64)
    p = {k: v.astype(np.float64) for k, v in params.items() if isinstance(v, np.ndarray)}
    eps = params["eps"]
    if args.norm == "layer":
        mu = x.mean(-1, keepdims=True)
        var = ((x - mu) ** 2).mean(-1, keepdims=True)
        n = (x - mu) / np.sqrt(var + eps) * p["ln_scale"] + p["ln_bias"]
    elif args.norm == "rms":
        n = x / np.sqrt((x * x).mean(-1, keepdims=True) + eps) * p["rms_scale"]
    else:
        n = x

    def act(h):
        if args.act == "relu":
            return np.maximum(h, 0.0)
        if args.act == "gelu":
            from math import erf
            return 0.5 * h * (1.0 + np.vectorize(erf)(h / math.sqrt(2.0)))
        if args.act == "gelu_tanh":
            return 0.5 * h * (1.0 + np.tanh(math.sqrt(2.0 / math.pi) * (h + 0.044715 * h ** 3)))
        return h / (1.0 + np.exp(-h))

    if args.kind == "encoder":
        h = act(n @ p["w1"].T + p["b1"])
        f = h @ p["w2"].T + p["b2"]
    else:
        f = (act(n @ p["wg"].T) * (n @ p["wu"].T)) @ p["wd"].T
    return (x + f).astype(np.float32)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kind", choices=["encoder", "gated"], required=True)
    ap.add_argument("--act", choices=["gelu", "gelu_tanh", "silu", "relu"], required=True)
    ap.add_argument("--norm", choices=["layer", "rms", "none"], default="none")
    ap.add_argument("--tokens", type=int, default=8)
    ap.add_argument("--dim", type=int, default=32)
    ap.add_argument("--hidden", type=int, default=64)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", required=True)
    args = ap.parse_args(argv)

    rng = np.random.default_rng(args.seed)
    t, d, hdim = args.tokens, args.dim, args.hidden

    def rand(*shape, scale=1.0):
        return (rng.standard_normal(shape) * scale).astype(np.float32)

    params = {"eps": 1e-5 if args.norm == "layer" else 1e-6}
    if args.norm == "layer":
        params["ln_scale"] = 1.0 + rand(d, scale=0.1)
        params["ln_bias"] = rand(d, scale=0.1)
    elif args.norm == "rms":
        params["rms_scale"] = 1.0 + rand(d, scale=0.1)
    if args.kind == "encoder":
        params.update(w1=rand(hdim, d, scale=d ** -0.5), b1=rand(hdim, scale=0.1),
                      w2=rand(d, hdim, scale=hdim ** -0.5), b2=rand(d, scale=0.1))
    else:
        params.update(wg=rand(hdim, d, scale=d ** -0.5), wu=rand(hdim, d, scale=d ** -0.5),
                      wd=rand(d, hdim, scale=hdim ** -0.5))

    e = Emitter(t)
    n = emit_norm(e, args.norm, "%x", d, params)
    if args.kind == "encoder":
        h = e.linear(n, d, e.blob("w1", params["w1"]), hdim, e.blob("b1", params["b1"]))
        a = emit_activation(e, args.act, h, (t, hdim))
        f = e.linear(a, hdim, e.blob("w2", params["w2"]), d, e.blob("b2", params["b2"]))
    else:
        g = e.linear(n, d, e.blob("wg", params["wg"]), hdim, None)
        u = e.linear(n, d, e.blob("wu", params["wu"]), hdim, None)
        a = emit_activation(e, args.act, g, (t, hdim))
        m = e.binary("arith.mulf", a, u, (t, hdim))
        f = e.linear(m, hdim, e.blob("wd", params["wd"]), d, None)
    y = e.binary("arith.addf", "%x", f, (t, d))

    tt = tensor_type((t, d))
    text = [f'func.func @main(%x: {tt} {{ffn.name = "x"}}) -> ({tt} {{ffn.name = "y"}}) {{']
    text += e.lines
    text.append(f"  return {y} : {tt}")
    text.append("}")
    text.append("")
    text.append("{-#\n  dialect_resources: {\n    builtin: {")
    items = list(e.blobs.items())
    for i, (key, arr) in enumerate(items):
        sep = "," if i + 1 < len(items) else ""
        text.append(f"      {key}: {resource_blob(arr)}{sep}")
    text.append("    }\n  }\n#-}")

    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "model.mlir"), "w") as f:
        f.write("\n".join(text) + "\n")
    x = rand(t, d)
    np.save(os.path.join(args.out, "x.npy"), x)
    np.save(os.path.join(args.out, "y_ref.npy"), reference(args, params, x))
    return 0


if __name__ == "__main__":
    sys.exit(main())
