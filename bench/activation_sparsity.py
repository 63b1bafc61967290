#!/usr/bin/env python3
"""Benchmark: exact activation sparsity (--activation-sparsity) of ReLU FFNs
at decode-style token counts.

The models are ReLU encoder FFNs (``relu(x W1ᵀ + b1) W2ᵀ + b2``; default
BERT-base D=768, H=3072 and D=1024, H=4096) with random weights whose first
bias is shifted so that about 50%, 90% and 97% of the hidden activations are
exactly zero (:mod:`ffn_tools.actsparse`; trained ReLU models such as OPT show
90% and more), plus 0% (the sparse kernel with every neuron active: what its
loops cost without any skipping), at T = 1, 2, 4 and 8 tokens. Each is written as ONNX, compiled
with ``--activation-sparsity=never`` (dense) and ``always``, and timed, one
process after the other with the same number of threads, together with
onnxruntime on the same ONNX model. The script prints, per case, the measured
fraction of zero activations (of all T x H) and of skipped neurons (zero for
every token, so fewer at larger T), the
median latencies, the ratios dense / sparse and onnxruntime / sparse (above 1:
the sparse binary is faster) and the largest relative error of the sparse
output against the dense binary's and against onnxruntime's. The load average
is printed before and after: on a busy machine the figures are indicative
only.

Usage::

    python3 bench/activation_sparsity.py                       # N=200
    python3 bench/activation_sparsity.py --shapes 768x3072 --tokens 1 --iters 500
    python3 bench/activation_sparsity.py --ffn-compile build-x/bin/ffn-compile

Exit status: 0 on success, 1 when an output is off by more than 1e-5
relative, 2 when a tool fails.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO_ROOT, "python"))

import numpy as np  # noqa: E402

from ffn_tools import actsparse, timing  # noqa: E402
from ffn_tools.compare import max_rel_error  # noqa: E402

DEFAULT_SHAPES = ("768x3072", "1024x4096")
DEFAULT_TOKENS = (1, 2, 4, 8)
DEFAULT_FRACTIONS = (0.0, 0.5, 0.9, 0.97)
#: Largest relative error accepted between the sparse and dense outputs.
RTOL = 1e-5


def run_case(model_dir: str, ffn_compile: str, iters: int, threads: int) -> dict:
    """Compiles the model in ``model_dir`` dense and sparse and times both
    and onnxruntime."""
    result = {}
    x = os.path.join(model_dir, "x.npy")
    outputs = {}
    for mode in ("never", "always"):
        exe = os.path.join(model_dir, f"model_{mode}")
        result[f"compile_s_{mode}"] = timing.compile_model(
            ffn_compile, os.path.join(model_dir, "model.onnx"), exe, [f"--activation-sparsity={mode}"])
        out_dir = os.path.join(model_dir, f"out_{mode}")
        r = timing.run_ffn_exe(exe, {"x": x}, out_dir, iters, threads)
        result[f"ms_{mode}"] = r["median_ms"]
        outputs[mode] = np.load(os.path.join(out_dir, "y.npy"))
    ort = timing.time_onnxruntime(model_dir, iters, threads)
    result["ms_ort"] = ort["median_ms"]
    ref = np.load(os.path.join(model_dir, "y_ref.npy"))
    result["err_vs_dense"] = max_rel_error(outputs["never"], outputs["always"])
    result["err_vs_ort"] = max_rel_error(ref, outputs["always"])
    return result


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--shapes", nargs="+", default=list(DEFAULT_SHAPES), help="DxH model and hidden widths "
                   "(default: %(default)s)")
    p.add_argument("--tokens", nargs="+", type=int, default=list(DEFAULT_TOKENS),
                   help="token counts T (default: %(default)s)")
    p.add_argument("--zero-fractions", nargs="+", type=float, default=list(DEFAULT_FRACTIONS),
                   help="target fractions of zero activations (default: %(default)s)")
    timing.add_bench_arguments(p, iters=200, per="binary")
    args = p.parse_args(argv)
    try:
        shapes = [tuple(int(v) for v in s.lower().split("x")) for s in args.shapes]
        if any(len(s) != 2 or min(s) < 1 for s in shapes):
            raise ValueError
    except ValueError:
        p.error(f"bad --shapes {args.shapes}: each is DxH, e.g. 768x3072")
    ffn_compile, work_dir, _ = timing.start_bench(args, "ffn-actsparse-")
    try:
        ffn_compile = timing.find_ffn_compile(ffn_compile)
    except timing.ToolError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2

    header = (f"{'D':>5} {'H':>5} {'T':>2} {'zero':>6} {'skipped':>7} {'dense_ms':>9} {'sparse_ms':>9} {'ort_ms':>8} "
              f"{'dense/sparse':>12} {'ort/sparse':>10} {'err_dense':>9} {'err_ort':>9}")
    print(header, flush=True)
    rows = []
    bad = False
    try:
        for d, h in shapes:
            for frac in args.zero_fractions:
                for t in args.tokens:
                    model_dir = os.path.join(work_dir, f"d{d}_h{h}_z{frac}_t{t}")
                    meta = actsparse.generate(model_dir, t, d, h, frac, threads=args.threads)
                    r = run_case(model_dir, ffn_compile, args.iters, args.threads)
                    r.update({"dim": d, "hidden": h, "tokens": t, "target_zero_fraction": frac,
                              "zero_fraction": meta["zero_fraction"],
                              "skipped_fraction": meta["skipped_fraction"]})
                    rows.append(r)
                    bad |= not (r["err_vs_dense"] <= RTOL and r["err_vs_ort"] <= RTOL)
                    print(f"{d:>5} {h:>5} {t:>2} {r['zero_fraction']:>6.3f} {r['skipped_fraction']:>7.3f} {timing.fmt_ms(r['ms_never']):>9} "
                          f"{timing.fmt_ms(r['ms_always']):>9} {timing.fmt_ms(r['ms_ort']):>8} "
                          f"{r['ms_never'] / r['ms_always']:>12.2f} {r['ms_ort'] / r['ms_always']:>10.2f} "
                          f"{r['err_vs_dense']:>9.1e} {r['err_vs_ort']:>9.1e}", flush=True)
    except timing.ToolError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    finally:
        if not args.work_dir:
            shutil.rmtree(work_dir, ignore_errors=True)
    print(f"load average after: {timing.loadavg()}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"threads": args.threads, "iters": args.iters, "rows": rows}, f, indent=2)
            f.write("\n")
    if bad:
        print(f"error: an output is off by more than {RTOL:g} relative", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
