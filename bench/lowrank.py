#!/usr/bin/env python3
"""Benchmark: low-rank factorisation (--lowrank) of a BERT-base-size FFN.

The model is a BERT-base encoder FFN (T=128 tokens, D=768, H=3072, GELU,
biases; :mod:`ffn_tools.gen`) with random weights, or with ``--decay A``
weights whose singular values decay as ``i^-A`` (:mod:`ffn_tools.lowrank`;
random weights have a flat spectrum, so any truncation loses a lot). It is
compiled dense (-O2) and with each ``--lowrank`` setting (default ``rank:64``,
``rank:128``, ``rank:256``, ``flops:0.5``). One run measures, one after the
other and each in its own process with the same number of threads, the
median latency of every binary (``--bench N``), and prints per setting: the
FFN FLOPs kept (from the FFN report), the latency ratio dense / setting
(above 1: the factored binary is faster), the gain of the fused low-rank
kernel (both thin GEMMs in one thread tile of token rows, the default)
over the same setting compiled with ``--fuse-low-rank=false`` (separate
GEMMs), the error the compiler reported
(measured on its own random rows) and the error of the binary's output
against the dense binary's on the model's N(0, 1) input (both
``|y - y_dense| / |y_dense|``, Frobenius). The load average is printed before
and after: on a busy machine the figures are indicative only.

Usage::

    python3 bench/lowrank.py                                   # N=30
    python3 bench/lowrank.py --settings rank:32 flops:0.25 --iters 50
    python3 bench/lowrank.py --decay 1 --ffn-compile build-x/bin/ffn-compile

Exit status: 0 on success, 2 when a tool fails.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO_ROOT, "python"))

import numpy as np  # noqa: E402

from ffn_tools import timing  # noqa: E402
from ffn_tools.approx_check import l2_rel_error, reported_error  # noqa: E402
from ffn_tools.lowrank import gen  # noqa: E402
from ffn_tools.model import FFNSpec  # noqa: E402

DEFAULT_SETTINGS = ("rank:64", "rank:128", "rank:256", "flops:0.5")


def run_setting(model_dir: str, ffn_compile: str, setting: str, iters: int, threads: int,
                fused: bool = True) -> dict:
    """Compiles and times one setting ("dense" or a --lowrank value), with
    the low-rank pairs fused (the default) or apart."""
    tag = setting.replace(":", "_") + ("" if fused else "_apart")
    exe = os.path.join(model_dir, f"model_{tag}")
    report = os.path.join(model_dir, f"report_{tag}.json")
    args = ["-O2", f"--ffn-report={report}"]
    if setting != "dense":
        args.append(f"--lowrank={setting}")
    if not fused:
        args.append("--fuse-low-rank=false")
    result = {"setting": setting, "exe": exe}
    result["compile_s"] = timing.compile_model(ffn_compile, os.path.join(model_dir, "model.mlir"), exe, args)
    out_dir = os.path.join(model_dir, f"out_{tag}")
    r = timing.run_ffn_exe(exe, {"x": os.path.join(model_dir, "x.npy")}, out_dir, iters, threads)
    result["medians"] = [r["median_ms"]]
    result["y"] = os.path.join(out_dir, "y.npy")
    with open(report) as f:
        total = json.load(f)["total"]
    result["flops_kept"] = total["flops_after"] / total["flops_before"]
    result["reported_error"] = reported_error(report)
    return result


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--settings", nargs="+", default=list(DEFAULT_SETTINGS),
                   help="--lowrank values to compare with dense (default: %(default)s)")
    p.add_argument("--tokens", type=int, default=128)
    p.add_argument("--dim", type=int, default=768)
    p.add_argument("--hidden", type=int, default=3072)
    p.add_argument("--decay", type=float, help="singular values of the weights decay as i^-DECAY (default: random)")
    p.add_argument("--rounds", type=int, default=3,
                   help="timing rounds, every binary once per round in turn; the median of the rounds' medians "
                   "is kept (default %(default)s)")
    timing.add_bench_arguments(p, iters=30, per="binary")
    args = p.parse_args(argv)

    spec = FFNSpec(kind="encoder", tokens=args.tokens, dim=args.dim, hidden=args.hidden)

    def measure(ffn_compile: str, work_dir: str):
        results = []
        model_dir = os.path.join(work_dir, "model")
        gen(spec, model_dir, decay=args.decay)
        print(f"{spec.describe()}, weights: {'decay %g' % args.decay if args.decay else 'random'}", flush=True)
        aparts = {}
        for setting in ["dense"] + args.settings:
            print(f"{setting}: compiling and timing ...", flush=True)
            results.append(run_setting(model_dir, ffn_compile, setting, args.iters, args.threads))
            if setting != "dense":
                aparts[setting] = run_setting(model_dir, ffn_compile, setting, args.iters, args.threads, fused=False)
        # More rounds, the binaries taking turns: load changes hit them all.
        timed = results + list(aparts.values())
        for _ in range(args.rounds - 1):
            for r in timed:
                t = timing.run_ffn_exe(r["exe"], {"x": os.path.join(model_dir, "x.npy")},
                                       os.path.join(model_dir, "out_rounds"), args.iters, args.threads)
                r["medians"].append(t["median_ms"])
        for r in timed:
            r["ms"] = statistics.median(r.pop("medians"))
            del r["exe"]
        for r in results[1:]:
            r["apart_ms"] = aparts[r["setting"]]["ms"]
        dense = results[0]
        y_dense = np.load(dense["y"])
        for r in results:
            r["measured_error"] = l2_rel_error(y_dense, np.load(r["y"]))
            r["speedup"] = dense["ms"] / r["ms"]
            del r["y"]
        return results

    outcome = timing.run_bench(args, "ffn-lowrank-", measure)
    if outcome is None:
        return 2
    results, load_before, load_after = outcome

    head = (f"{'setting':<11} {'ms':>9} {'dense/this':>10} {'apart ms':>9} {'apart/this':>10}"
            f" {'FLOPs kept':>10} {'reported err':>12}"
            f" {'measured err':>12} {'compile s':>9}")
    print()
    print(head)
    print("-" * len(head))
    for r in results:
        rep = "-" if r["reported_error"] is None else f"{r['reported_error']:.3e}"
        apart = r.get("apart_ms")
        apart_cols = (f"{timing.fmt_ms(apart):>9} {apart / r['ms']:>10.2f}" if apart else f"{'-':>9} {'-':>10}")
        print(f"{r['setting']:<11} {timing.fmt_ms(r['ms']):>9} {r['speedup']:>10.2f} {apart_cols}"
              f" {r['flops_kept']:>10.3f}"
              f" {rep:>12} {r['measured_error']:>12.3e} {r['compile_s']:>9.1f}")
    print()
    print("dense/this = dense median ms / this median ms (above 1: faster than dense); apart = the same")
    print("setting with --fuse-low-rank=false (separate GEMMs), apart/this its time over the fused kernel's; errors are")
    print("|y - y_dense| / |y_dense|: reported by the compiler on its calibration rows, measured on x.npy")
    print(f"load average after: {load_after}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"load_before": load_before, "load_after": load_after, "threads": args.threads,
                       "iters": args.iters, "decay": args.decay, "results": results}, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
