#!/usr/bin/env python3
"""Benchmark: FFN Fusion (--ffn-fusion=N) latency on a chain of residual FFN blocks.

A chain of ``--blocks`` residual FFN blocks with nothing between them,
``x_{i+1} = x_i + F_i(norm_i(x_i))`` (:mod:`ffn_tools.ffn_chain`; default 8
BERT-base-size encoder blocks, D=768, H=3072, LayerNorm and erf GELU, or
``--kind gated``: RMSNorm and SwiGLU), is generated as ONNX for each token
count T and compiled unfused (-O2, no flag) and with ``--ffn-fusion=N`` for
each N asked for (default 2, 4, 8). FFN Fusion turns each run of N blocks
into one wide FFN on the run's first input, ``x_0 + sum_i F_i(norm_i(x_0))``:
the FLOPs stay the same, the number of sequential GEMM pairs drops from
``blocks`` to ``blocks / N``. That should pay most at small T (decode-like),
where each GEMM is small.

Every binary's output on ``x.npy`` is checked against its exact reference
(float64, rounded once): the unfused chain against ``y_ref.npy``; a fused
binary against the chain with each run the compiler reports (``fused into``
in ``--ffn-report``) computed in parallel, which for N = blocks is
``y_parallel.npy``. Next to it the script prints the approximation's error,
the fused binary's output against the unfused binary's, both on ``y`` and on
the residual update ``y - x`` (the compiler measures its error on the
latter, per fused run, on its own random rows; the largest is printed as
``err reported``).

Timing: for each T, after all binaries are built, the binaries and
onnxruntime (on the same, unfused ``model.onnx``, with the same threads)
take turns, ``--rounds`` times; each turn is one process with ``--iters``
timed runs and the median of the rounds' medians is printed. Speedups are
``unfused ms / variant ms`` and ``onnxruntime ms / variant ms`` from the
same run. The load average is printed before and after the timing; with
``--wait-load L`` the script first waits (at most ``--wait-max`` seconds)
for the 1-minute load average to drop to L. On a busy machine the figures
are indicative only. Weights are random (``--out-scale`` sets how much each
block changes x), so the errors show the mechanics, not what trained
weights give.

Usage::

    python3 bench/fusion_runs.py                                # 8 encoder blocks, T = 1 8 128, N = 2 4 8
    python3 bench/fusion_runs.py --kind gated --tokens 1 16
    python3 bench/fusion_runs.py --dim 64 --hidden 256 --blocks 4 --tokens 1 8 --fusion 2 4
    python3 bench/fusion_runs.py --wait-load 1.5 --iters 50 --rounds 5 --json out.json

Exit status: 0 on success, 1 when a binary's output does not match its
reference (above ``--tol``), 2 when a tool fails.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import re
import statistics
import sys
import time

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO_ROOT, "python"))

import numpy as np  # noqa: E402

from ffn_tools import ffn_chain, timing  # noqa: E402
from ffn_tools.compare import max_rel_error  # noqa: E402

_BLOCK = re.compile(r"block\.(\d+)\.")


def block_index(ffn_name: str) -> int:
    m = _BLOCK.search(ffn_name)
    if not m:
        raise timing.ToolError(f"cannot tell the block of the reported FFN '{ffn_name}'")
    return int(m.group(1))


def fused_runs(report: dict, blocks: int):
    """The runs of blocks the compiler fused, from its ``--ffn-report``
    JSON: each FFN reported ``fused into NAME`` joins NAME's run; every other
    FFN starts its own (a run of one: not fused)."""
    names = {e["name"]: block_index(e["name"]) for e in report["ffns"]}
    head = {}
    for e in report["ffns"]:
        into = [a[len("fused into "):] for a in e.get("applied", []) if a.startswith("fused into ")]
        head[names[e["name"]]] = names[into[0]] if into else names[e["name"]]
    if sorted(head) != list(range(blocks)):
        raise timing.ToolError(f"the report lists blocks {sorted(head)}, expected 0..{blocks - 1}")
    runs = {}
    for b in range(blocks):
        runs.setdefault(head[b], []).append(b)
    runs = [runs[h] for h in sorted(runs)]
    for r in runs:
        if r != list(range(r[0], r[-1] + 1)):
            raise timing.ToolError(f"reported run {r} is not consecutive")
    return runs


def runs_reference(kind: str, params, x: np.ndarray, eps: float, runs) -> np.ndarray:
    """The chain with every run's blocks applied to the run's input, in
    float64, rounded to float32 once (what --ffn-fusion computes exactly)."""
    t = x.astype(np.float64)
    for run in runs:
        t = t + sum(ffn_chain._block(kind, params[i], t, eps) for i in run)
    return t.astype(np.float32)


def reported_error(report: dict):
    errs = [e["max_rel_error"] for e in report["ffns"] if e.get("max_rel_error") is not None]
    return max(errs) if errs else None


def wait_for_load(limit: float, max_wait: float) -> str:
    t0 = time.time()
    while True:
        load1 = os.getloadavg()[0]
        if load1 <= limit:
            break
        if time.time() - t0 >= max_wait:
            print(f"load average still {load1:.2f} after {max_wait:.0f} s; timing anyway", flush=True)
            break
        print(f"load average {load1:.2f} > {limit}; waiting ...", flush=True)
        time.sleep(20)
    return timing.loadavg()


def build_case(tokens: int, args, ffn_compile: str, work_dir: str) -> dict:
    """Generates the chain for T=tokens, compiles every variant, runs each
    once and checks its output; returns the variants (no timing yet)."""
    model_dir = os.path.join(work_dir, f"t{tokens}")
    eps = 1e-5 if args.kind == "encoder" else 1e-6
    with contextlib.redirect_stdout(io.StringIO()):
        ffn_chain.main(["--blocks", str(args.blocks), "--kind", args.kind, "--tokens", str(tokens),
                        "--dim", str(args.dim), "--hidden", str(args.hidden), "--out-scale", str(args.out_scale),
                        "--eps", str(eps), "--seed", str(args.seed), "--out", model_dir])
    params = ffn_chain.build_params(args.kind, args.blocks, args.dim, args.hidden, args.out_scale, args.seed)
    model = os.path.join(model_dir, "model.onnx")
    x = np.load(os.path.join(model_dir, "x.npy"))
    y_ref = np.load(os.path.join(model_dir, "y_ref.npy"))
    y_par = np.load(os.path.join(model_dir, "y_parallel.npy"))
    variants = []
    for n in [None, *args.fusion]:
        tag = "unfused" if n is None else f"N={n}"
        exe = os.path.join(model_dir, f"model_{'unfused' if n is None else f'n{n}'}")
        report_path = exe + ".report.json"
        flags = [f"--ffn-report={report_path}"] + ([] if n is None else [f"--ffn-fusion={n}"])
        compile_s = timing.compile_model(ffn_compile, model, exe, flags)
        with open(report_path) as f:
            report = json.load(f)
        runs = fused_runs(report, args.blocks)
        out_dir = exe + ".out"
        timing.run_ffn_exe(exe, {"x": os.path.join(model_dir, "x.npy")}, out_dir, iters=None, threads=args.threads)
        y = np.load(os.path.join(out_dir, "y.npy"))
        if n is None:
            if len(runs) != args.blocks:
                raise timing.ToolError(f"T={tokens}: the unfused build fused blocks: {runs}")
            ref, ref_name = y_ref, "y_ref"
        elif len(runs) == 1:
            ref, ref_name = y_par, "y_parallel"
        else:
            ref, ref_name = runs_reference(args.kind, params, x, eps, runs), "runs in parallel"
        variants.append({"variant": tag, "fusion": n, "exe": exe, "compile_s": compile_s,
                         "runs": [len(r) for r in runs], "ref": ref_name, "err_ref": max_rel_error(ref, y),
                         "reported_error": None if n is None else reported_error(report), "y": y})
        print(f"  T={tokens} {tag:<8} compiled in {compile_s:5.1f} s, runs {variants[-1]['runs']}, "
              f"error vs {ref_name} {variants[-1]['err_ref']:.1e}", flush=True)
    base = variants[0]["y"]
    for v in variants:
        v["err_y"] = max_rel_error(base, v["y"])
        v["err_delta"] = max_rel_error(base - x, v["y"] - x)
        v["ok"] = v["err_ref"] <= args.tol
        del v["y"]
    return {"tokens": tokens, "model_dir": model_dir, "variants": variants}


def time_case(case: dict, args) -> None:
    """The variants and onnxruntime take turns, ``args.rounds`` times."""
    model_dir = case["model_dir"]
    x = os.path.join(model_dir, "x.npy")
    medians = {v["variant"]: [] for v in case["variants"]}
    ort = []
    for _ in range(args.rounds):
        for v in case["variants"]:
            r = timing.run_ffn_exe(v["exe"], {"x": x}, os.path.join(model_dir, "bench"), iters=args.iters,
                                   threads=args.threads)
            medians[v["variant"]].append(r["median_ms"])
        ort.append(timing.time_onnxruntime(model_dir, args.iters, args.threads)["median_ms"])
    for v in case["variants"]:
        v["ms"] = statistics.median(medians[v["variant"]])
        v["round_ms"] = medians[v["variant"]]
    case["ort_ms"] = statistics.median(ort)
    case["ort_round_ms"] = ort


def print_table(cases, args) -> None:
    print()
    print(f"{args.blocks} residual {args.kind} FFN blocks, D={args.dim} H={args.hidden}, out-scale {args.out_scale:g}; "
          f"{args.threads} threads, median of {args.rounds} rounds of --bench {args.iters}")
    print("| T | variant | steps | median ms | vs unfused | vs onnxruntime | err vs exact ref | err y vs unfused "
          "| err y-x vs unfused | err reported |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for c in cases:
        unfused = c["variants"][0]["ms"]
        print(f"| {c['tokens']} | onnxruntime | {args.blocks} | {timing.fmt_ms(c['ort_ms'])} | "
              f"{unfused / c['ort_ms']:.2f} | 1.00 | - | - | - | - |")
        for v in c["variants"]:
            rep = "-" if v["reported_error"] is None else f"{v['reported_error']:.1e}"
            ok = "" if v["ok"] else " MISMATCH"
            print(f"| {c['tokens']} | {v['variant']} | {len(v['runs'])} | {timing.fmt_ms(v['ms'])} | "
                  f"{unfused / v['ms']:.2f} | {c['ort_ms'] / v['ms']:.2f} | {v['err_ref']:.1e}{ok} | "
                  f"{v['err_y']:.1e} | {v['err_delta']:.1e} | {rep} |")
    print()
    print("steps = sequential FFNs after fusion; vs X = X median ms / variant median ms (above 1: variant faster);")
    print("errors are max|ref - got| / max|ref|: 'exact ref' is y_ref (unfused), or the chain with the reported runs")
    print("in parallel (fused; y_parallel.npy for one run); 'vs unfused' compares with the unfused binary's output,")
    print("on y and on the residual update y - x; 'reported' is the largest per-run error from --ffn-report.")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--blocks", type=int, default=8, help="residual FFN blocks in the chain (default %(default)s)")
    p.add_argument("--kind", choices=ffn_chain.KINDS, default="encoder",
                   help="encoder (LayerNorm, GELU, biases) or gated (RMSNorm, SwiGLU) (default %(default)s)")
    p.add_argument("--tokens", type=int, nargs="+", default=[1, 8, 128], help="token counts T (default: 1 8 128)")
    p.add_argument("--dim", type=int, default=768)
    p.add_argument("--hidden", type=int, default=3072)
    p.add_argument("--fusion", type=int, nargs="+",
                   help="--ffn-fusion values N, 2..blocks (default: the powers of 2 below blocks, and blocks: "
                   "2 4 8 for 8 blocks)")
    p.add_argument("--out-scale", type=float, default=0.2, help="ffn_chain --out-scale (default %(default)s)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--rounds", type=int, default=3, help="turns each binary and onnxruntime take (default %(default)s)")
    p.add_argument("--tol", type=float, default=1e-4,
                   help="largest accepted error of a binary against its exact reference (default %(default)s)")
    p.add_argument("--wait-load", type=float, help="before timing, wait for the 1-minute load average to drop to this")
    p.add_argument("--wait-max", type=float, default=600, help="wait at most this many seconds (default %(default)s)")
    timing.add_bench_arguments(p, iters=30, per="binary and turn")
    args = p.parse_args(argv)
    if args.fusion is None:
        args.fusion = [2 ** i for i in range(1, args.blocks.bit_length()) if 2 ** i < args.blocks] + [args.blocks]
    if args.blocks < 2 or any(n < 2 or n > args.blocks for n in args.fusion):
        p.error("--blocks must be at least 2 and every --fusion value in 2..blocks")

    def measure(ffn_compile: str, work_dir: str):
        print(f"generating, compiling and checking ({len(args.tokens)} x {1 + len(args.fusion)} builds) ...",
              flush=True)
        cases = [build_case(t, args, ffn_compile, work_dir) for t in args.tokens]
        if args.wait_load is not None:
            load_timing = wait_for_load(args.wait_load, args.wait_max)
        else:
            load_timing = timing.loadavg()
        print(f"timing; load average: {load_timing}", flush=True)
        for c in cases:
            time_case(c, args)
        return cases, load_timing

    outcome = timing.run_bench(args, "ffn-fusion-runs-", measure)
    if outcome is None:
        return 2
    (cases, load_timing), load_before, load_after = outcome

    print_table(cases, args)
    print(f"load average before timing: {load_timing}; after: {load_after}")
    bad = [f"T={c['tokens']} {v['variant']}" for c in cases for v in c["variants"] if not v["ok"]]
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"args": {k: v for k, v in vars(args).items()}, "load_before": load_before,
                       "load_timing": load_timing, "load_after": load_after,
                       "cases": [{**{k: v for k, v in c.items() if k != "model_dir"},
                                  "variants": [{k: v for k, v in var.items() if k != "exe"}
                                               for var in c["variants"]]} for c in cases]}, f, indent=2)
    if bad:
        print(f"error: output does not match its reference (> {args.tol:g}): {', '.join(bad)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
