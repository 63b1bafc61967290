#!/usr/bin/env python3
"""Benchmark: whole-FFN fusion (--fuse-ffn=always) against the unfused code.

For each token count T, generates the BERT-base encoder FFN (D=768, H=3072,
GELU, biases), compiles it twice, with ``--fuse-ffn=always`` and
``--fuse-ffn=never``, and in the same run measures for each binary:

- the median latency of its ``--bench N`` loop (the two binaries alternate,
  ``--rounds`` times, and the median of the rounds' medians is printed);
- the peak resident memory of one plain run (``/usr/bin/time``),
  which holds the weights, the input and output, and, unfused, the
  ``[T, H]`` intermediate;
- the largest difference between their outputs (fusion keeps the reduction
  order, so it is expected to be zero).

Usage:
    python3 bench/ffn_fusion.py [--tokens 128 512 2048] [--iters 20]
        [--threads 2] [--ffn-compile build/bin/ffn-compile]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "python"))

import numpy as np  # noqa: E402

from ffn_tools import gen, timing  # noqa: E402
from ffn_tools.benchmark import load_warning  # noqa: E402
from ffn_tools.model import FFNSpec  # noqa: E402

MODES = ("always", "never")


def peak_rss_kib(cmd, env) -> int:
    """Runs ``cmd`` under ``/usr/bin/time`` and returns its peak RSS in KiB.

    (``wait4`` from Python would also count the Python image the child was
    forked from, before it executed ``cmd``.)
    """
    if not os.access("/usr/bin/time", os.X_OK):
        raise timing.ToolError("/usr/bin/time is needed to measure peak memory (apt install time)")
    proc = subprocess.run(["/usr/bin/time", "-f", "maxrss_kib: %M", *cmd], env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise timing.ToolError(f"{' '.join(cmd)} failed: {proc.stderr[-2000:]}")
    for line in proc.stderr.splitlines():
        if line.startswith("maxrss_kib:"):
            return int(line.split()[1])
    raise timing.ToolError(f"no peak memory figure from /usr/bin/time: {proc.stderr[-2000:]}")


def measure(tokens: int, args, work: str) -> dict:
    model_dir = os.path.join(work, f"t{tokens}")
    spec = FFNSpec(kind="encoder", tokens=tokens, dim=args.dim, hidden=args.hidden)
    gen.generate(spec, model_dir, write_model_onnx=False)
    x = os.path.join(model_dir, "x.npy")
    exes, outs = {}, {}
    for mode in MODES:
        exes[mode] = os.path.join(model_dir, f"ffn-{mode}")
        timing.compile_model(args.ffn_compile, os.path.join(model_dir, "model.mlir"), exes[mode],
                             [f"--fuse-ffn={mode}"])
        out_dir = os.path.join(model_dir, f"out-{mode}")
        timing.run_ffn_exe(exes[mode], {"x": x}, out_dir, iters=None, threads=args.threads)
        outs[mode] = np.load(os.path.join(out_dir, "y.npy"))
    env = timing.worker_env(args.threads)
    rss = {m: peak_rss_kib([exes[m], "--input", f"x={x}", "--output-dir", os.path.join(model_dir, f"out-{m}")], env)
           for m in MODES}
    medians = {m: [] for m in MODES}
    for _ in range(args.rounds):
        for mode in MODES:
            r = timing.run_ffn_exe(exes[mode], {"x": x}, os.path.join(model_dir, "bench"), iters=args.iters,
                                   threads=args.threads)
            medians[mode].append(r["median_ms"])
    ms = {m: statistics.median(v) for m, v in medians.items()}
    return {
        "tokens": tokens,
        "intermediate_mib": tokens * args.hidden * 4 / 2**20,
        "ms": ms,
        "rss_mib": {m: v / 1024 for m, v in rss.items()},
        "max_abs_diff": float(np.max(np.abs(outs["always"] - outs["never"]))),
    }


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--tokens", type=int, nargs="+", default=[128, 512, 2048])
    p.add_argument("--dim", type=int, default=768)
    p.add_argument("--hidden", type=int, default=3072)
    p.add_argument("--iters", type=int, default=20)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--ffn-compile", default=os.path.join(os.path.dirname(HERE), "build", "bin", "ffn-compile"))
    args = p.parse_args(argv)
    args.ffn_compile = timing.find_ffn_compile(args.ffn_compile)
    warning = load_warning()
    if warning:
        print(warning)
    print(f"encoder FFN D={args.dim} H={args.hidden}, {args.threads} threads, "
          f"median of {args.rounds} rounds of --bench {args.iters}")
    print("| T | [T,H] MiB | fused ms | unfused ms | fused speedup | fused peak RSS MiB | unfused peak RSS MiB "
          "| max |diff| |")
    print("|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory(prefix="ffn-fusion-") as work:
        for t in args.tokens:
            r = measure(t, args, work)
            print(f"| {t} | {r['intermediate_mib']:.1f} | {r['ms']['always']:.2f} | {r['ms']['never']:.2f} "
                  f"| {r['ms']['never'] / r['ms']['always']:.2f} | {r['rss_mib']['always']:.1f} "
                  f"| {r['rss_mib']['never']:.1f} | {r['max_abs_diff']:.1e} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
