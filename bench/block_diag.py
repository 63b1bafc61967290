#!/usr/bin/env python3
"""Benchmark: block-diagonal FFN weights (--block-diag=K) against the dense FFN.

The BERT-base-size encoder FFN (T=128, D=768, H=3072, GELU, biases;
:mod:`ffn_tools.gen`) with random dense weights is compiled dense (-O2) and
with ``--block-diag=K`` for K = 2, 4, 8 (by default). One run measures, one
after the other and each in its own process with the same number of threads,
every binary's median latency (``--bench``). It prints, per K: the FFN FLOPs
the report gives and their fraction of the dense ones, the latency and the
speedup over dense (``dense ms / K ms``), the speedup the FLOPs alone would
give (``K``), how much of it the kernel realises (speedup / FLOP speedup),
and the relative error the compiler reported next to the one measured
against the dense binary's output. Random weights are full-rank noise, so
the errors are large; they show the mechanics, not what trained weights
give. The load average is printed before and after: on a busy machine the
figures are indicative only.

Usage::

    python3 bench/block_diag.py                         # K = 2 4 8, N=30
    python3 bench/block_diag.py --blocks 4 --iters 50
    python3 bench/block_diag.py --ffn-compile build-x/bin/ffn-compile

Exit status: 0 on success, 2 when a tool fails.
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
from ffn_tools.approx_check import l2_rel_error  # noqa: E402


def generate_ffn(args, work_dir: str, write_model_onnx: bool = True) -> str:
    """Generates the encoder FFN of ``args.tokens``, ``args.dim`` and
    ``args.hidden`` (random weights) in ``work_dir/bert-ffn``; returns that
    folder."""
    from ffn_tools.gen import generate
    from ffn_tools.model import FFNSpec

    model_dir = os.path.join(work_dir, "bert-ffn")
    generate(FFNSpec(kind="encoder", tokens=args.tokens, dim=args.dim, hidden=args.hidden), model_dir,
             write_model_onnx=write_model_onnx)
    print(f"T={args.tokens} D={args.dim} H={args.hidden}: generated; compiling and timing ...", flush=True)
    return model_dir


def run_variant(tag: str, flags, model_dir: str, ffn_compile: str, iters: int, threads: int) -> dict:
    exe = os.path.join(model_dir, f"model_{tag}")
    report = os.path.join(model_dir, f"report_{tag}.json")
    compile_s = timing.compile_model(ffn_compile, os.path.join(model_dir, "model.mlir"), exe,
                                     [*flags, f"--ffn-report={report}"])
    out_dir = os.path.join(model_dir, f"out_{tag}")
    r = timing.run_ffn_exe(exe, {"x": os.path.join(model_dir, "x.npy")}, out_dir, iters, threads)
    with open(report) as f:
        rep = json.load(f)
    errors = [e["max_rel_error"] for e in rep["ffns"] if e["max_rel_error"] is not None]
    return {"variant": tag, "compile_s": compile_s, "ms": r["median_ms"], "min_ms": r["min_ms"],
            "flops_before": rep["total"]["flops_before"], "flops_after": rep["total"]["flops_after"],
            "reported_error": max(errors) if errors else None,
            "y": np.load(os.path.join(out_dir, "y.npy"))}


def print_table(results, load_after: str, ort_ms=None) -> None:
    """Prints one row per variant against the first (dense) one, and fills
    in each result's ratios; with ``ort_ms`` (onnxruntime's median on the
    dense model, same run) also each variant's speedup over onnxruntime."""
    dense = results[0]
    head = (f"{'variant':<22} {'FFN FLOPs':>12} {'kept':>6} {'median ms':>10} {'min ms':>8} {'speedup':>8}"
            f" {'FLOP x':>7} {'realised':>9} {'vs ORT':>7} {'err reported':>13} {'err measured':>13}")
    print()
    print(head)
    print("-" * len(head))
    for r in results:
        kept = r["flops_after"] / dense["flops_after"]
        speedup = dense["ms"] / r["ms"]
        flop_x = 1.0 / kept
        measured = l2_rel_error(dense["y"], r["y"])
        r.update(kept=kept, speedup=speedup, flop_speedup=flop_x, realised=speedup / flop_x,
                 measured_error=measured, vs_ort=(ort_ms / r["ms"]) if ort_ms else None)
        rep = "-" if r["reported_error"] is None else f"{r['reported_error']:.3e}"
        vs_ort = "-" if r["vs_ort"] is None else f"{r['vs_ort']:.2f}"
        print(f"{r['variant']:<22} {r['flops_after']:>12} {kept:>6.3f} {timing.fmt_ms(r['ms']):>10}"
              f" {timing.fmt_ms(r['min_ms']):>8} {speedup:>8.2f} {flop_x:>7.2f} {r['realised']:>9.2f}"
              f" {vs_ort:>7} {rep:>13} {measured:>13.3e}")
    print()
    print("speedup = dense median ms / variant median ms; FLOP x = dense FLOPs / variant FLOPs;")
    print("realised = speedup / FLOP x (1.00: the kernel turns every saved FLOP into saved time);")
    if ort_ms:
        print(f"vs ORT = onnxruntime's median on the dense model ({timing.fmt_ms(ort_ms)} ms) / variant median ms;")
    print("errors: ||y - y_dense|| / ||y_dense|| (reported: the compiler's measurement on its own random rows)")
    print(f"load average after: {load_after}")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--blocks", type=int, nargs="+", default=[2, 4, 8], help="K values (default: 2 4 8)")
    p.add_argument("--tokens", type=int, default=128)
    p.add_argument("--dim", type=int, default=768)
    p.add_argument("--hidden", type=int, default=3072)
    timing.add_bench_arguments(p, iters=30, per="binary")
    args = p.parse_args(argv)

    def measure(ffn_compile: str, work_dir: str):
        model_dir = generate_ffn(args, work_dir, write_model_onnx=False)
        results = [run_variant("dense", ["-O2"], model_dir, ffn_compile, args.iters, args.threads)]
        for k in args.blocks:
            results.append(run_variant(f"K={k}", [f"--block-diag={k}"], model_dir, ffn_compile, args.iters,
                                       args.threads))
        return results

    outcome = timing.run_bench(args, "ffn-blockdiag-", measure)
    if outcome is None:
        return 2
    results, load_before, load_after = outcome

    print_table(results, load_after)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"load_before": load_before, "load_after": load_after, "threads": args.threads,
                       "iters": args.iters,
                       "results": [{k: v for k, v in r.items() if k != "y"} for r in results]}, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
