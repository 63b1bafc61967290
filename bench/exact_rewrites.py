#!/usr/bin/env python3
"""Benchmark: what the exact FFN rewrites of -O2 buy, against -O0 and onnxruntime.

Cases (each generated as ONNX, compiled from the ONNX file):

- ``repavit-384`` / ``repavit-768``: a RePaViT-style ViT FFN (T=197 tokens,
  batch 1, D=384 or 768, H=4D, GELU on a quarter of the hidden channels,
  BatchNorm before it, residual; :mod:`ffn_tools.repavit`). -O2 folds the
  BatchNorm, reparameterises the block (8D^2 -> 3D^2 multiply-adds per token)
  and fuses the two linears reading x;
- ``llama``: the Llama-style gated block (RMSNorm, SwiGLU, residual;
  :mod:`ffn_tools.gen` ``--kind gated``), where -O2 folds the RMSNorm scale and
  fuses the gate and up projections.

For each case one run measures, one after the other and each in its own
process with the same number of threads: the ffn binary at ``-O2``, the ffn
binary at ``-O0`` (the graph as imported, no FFN rewrites), and onnxruntime on
the original ONNX model. It prints the median latencies, the ratios
``-O0 / -O2`` and ``onnxruntime / -O2`` (above 1: -O2 is faster), the FLOPs
the FFN report gives before and after the rewrites, and the output errors
(-O2 vs -O0, -O2 vs onnxruntime). The load average is printed before and
after: on a busy machine the figures are indicative only.

Usage::

    python3 bench/exact_rewrites.py                    # all cases, N=30
    python3 bench/exact_rewrites.py --cases repavit-384 --iters 50
    python3 bench/exact_rewrites.py --ffn-compile build-x/bin/ffn-compile

Exit status: 0 on success, 1 when an output error exceeds its tolerance
(1e-5 for -O2 vs -O0, 1e-4 vs onnxruntime), 2 when a tool fails.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO_ROOT, "python"))

import numpy as np  # noqa: E402

from ffn_tools import timing  # noqa: E402
from ffn_tools.compare import max_rel_error  # noqa: E402

CASES = ("repavit-384", "repavit-768", "llama")


def generate_case(name: str, work_dir: str, tokens: int) -> str:
    """Writes the case's model folder (model.onnx, x.npy, y_ref.npy, spec.json)."""
    model_dir = os.path.join(work_dir, name)
    if name.startswith("repavit-"):
        from ffn_tools.repavit import RepavitSpec, generate

        dim = int(name.split("-")[1])
        generate(RepavitSpec(batch=1, tokens=tokens, dim=dim, hidden=4 * dim, idle=0.75), model_dir)
    elif name == "llama":
        from ffn_tools.gen import generate
        from ffn_tools.model import FFNSpec

        generate(FFNSpec(kind="gated", tokens=128, dim=1024, hidden=2816, norm="rms", residual=True), model_dir)
    else:
        raise ValueError(f"unknown case {name!r}")
    return model_dir


def run_case(name: str, model_dir: str, ffn_compile: str, iters: int, threads: int) -> dict:
    ref = np.load(os.path.join(model_dir, "y_ref.npy"))
    x = os.path.join(model_dir, "x.npy")
    result = {"case": name}
    outputs = {}
    for level in ("-O2", "-O0"):
        tag = level[1:]
        exe = os.path.join(model_dir, f"model_{tag}")
        report = os.path.join(model_dir, f"report_{tag}.json")
        args = [level] + ([f"--ffn-report={report}"] if level == "-O2" else [])
        result[f"compile_s_{tag}"] = timing.compile_model(ffn_compile, os.path.join(model_dir, "model.onnx"), exe,
                                                          args)
        out_dir = os.path.join(model_dir, f"out_{tag}")
        r = timing.run_ffn_exe(exe, {"x": x}, out_dir, iters, threads)
        result[f"ms_{tag}"] = r["median_ms"]
        outputs[tag] = np.load(os.path.join(out_dir, "y.npy"))
        if level == "-O2":
            with open(report) as f:
                rep = json.load(f)
            result["ffns"] = len(rep["ffns"])
            result["flops_before"] = rep["total"]["flops_before"]
            result["flops_after"] = rep["total"]["flops_after"]
            result["applied"] = []
            for entry in rep["ffns"]:
                result["applied"] += [a for a in entry["applied"] if a not in result["applied"]]
    r = timing.time_onnxruntime(model_dir, iters, threads)
    result["ms_ort"] = r["median_ms"]
    result["err_O2_vs_O0"] = max_rel_error(outputs["O0"], outputs["O2"])
    result["err_O2_vs_ort"] = max_rel_error(ref, outputs["O2"])
    return result


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--cases", nargs="+", choices=CASES, default=list(CASES), help="cases to run (default: all)")
    p.add_argument("--tokens", type=int, default=197, help="RePaViT tokens T (default %(default)s, ViT at 224 px)")
    timing.add_bench_arguments(p, iters=30, per="implementation")
    args = p.parse_args(argv)

    def measure(ffn_compile: str, work_dir: str):
        results = []
        for name in args.cases:
            model_dir = generate_case(name, work_dir, args.tokens)
            print(f"{name}: generated, compiling and timing ...", flush=True)
            results.append(run_case(name, model_dir, ffn_compile, args.iters, args.threads))
        return results

    outcome = timing.run_bench(args, "ffn-exact-", measure)
    if outcome is None:
        return 2
    results, load_before, load_after = outcome

    head = (f"{'case':<13} {'-O2 ms':>9} {'-O0 ms':>9} {'ort ms':>9} {'O0/O2':>7} {'ort/O2':>7}"
            f" {'FLOPs before':>13} {'FLOPs after':>12} {'ratio':>6} {'err O2~O0':>10} {'err O2~ort':>10}")
    print()
    print(head)
    print("-" * len(head))
    ok = True
    for r in results:
        print(f"{r['case']:<13} {timing.fmt_ms(r['ms_O2']):>9} {timing.fmt_ms(r['ms_O0']):>9}"
              f" {timing.fmt_ms(r['ms_ort']):>9} {r['ms_O0'] / r['ms_O2']:>7.2f} {r['ms_ort'] / r['ms_O2']:>7.2f}"
              f" {r['flops_before']:>13} {r['flops_after']:>12} {r['flops_before'] / r['flops_after']:>6.2f}"
              f" {r['err_O2_vs_O0']:>10.2e} {r['err_O2_vs_ort']:>10.2e}")
        ok &= r["err_O2_vs_O0"] <= 1e-5 and r["err_O2_vs_ort"] <= 1e-4
    print()
    for r in results:
        print(f"{r['case']}: {r['ffns']} FFN(s), -O2 applied {', '.join(r['applied']) or 'nothing'}")
    print("O0/O2 and ort/O2 = other median ms / -O2 median ms (above 1: -O2 is faster)")
    print(f"load average after: {load_after}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"load_before": load_before, "load_after": load_after, "threads": args.threads,
                       "iters": args.iters, "results": results}, f, indent=2)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
