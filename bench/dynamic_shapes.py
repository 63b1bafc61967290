#!/usr/bin/env python3
"""Benchmark: one build for every token count against builds pinned to each.

The model is a BERT-base encoder FFN block (D=768, H=3072, GELU, biases,
LayerNorm, residual; :mod:`ffn_tools.gen`) whose ONNX input is
``x: [batch, seq, 768]`` with both dimensions symbolic. It is compiled once
without ``--shape`` (the dynamic build) and once per token count T with
``--shape x=1xTx768`` (the pinned builds). For each T the two binaries run
in alternating rounds (``--bench N``, each in its own process with the same
threads), then onnxruntime on the same ONNX file and input. Printed per T:
the median latencies, dynamic / pinned (above 1: the dynamic build is
slower) and onnxruntime / dynamic (above 1: the dynamic build is faster),
and the dynamic binary's error against the pinned one's output.

Usage::

    python3 bench/dynamic_shapes.py                       # T = 1 32 100 128, N=50, 3 rounds
    python3 bench/dynamic_shapes.py --tokens 1 512 --iters 20

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
from ffn_tools.compare import max_rel_error  # noqa: E402
from ffn_tools.gen import generate  # noqa: E402
from ffn_tools.model import FFNSpec  # noqa: E402


def measure(args: argparse.Namespace, ffn_compile: str, work: str) -> list:
    rows = []
    dynamic_exe = None
    for t in args.tokens:
        d = os.path.join(work, f"t{t}")
        spec = FFNSpec(kind="encoder", tokens=t, batch=1, dim=768, hidden=3072, norm="layer", residual=True)
        generate(spec, d, dynamic=True)
        model = os.path.join(d, "model.onnx")
        if dynamic_exe is None:
            # The weights depend on the seed and sizes only: one dynamic
            # build serves every T.
            dynamic_exe = os.path.join(work, "dynamic_exe")
            timing.compile_model(ffn_compile, model, dynamic_exe, ["-O2"])
        pinned = os.path.join(d, "pinned_exe")
        timing.compile_model(ffn_compile, model, pinned, ["-O2", "--shape", f"x=1x{t}x768"])
        x = {"x": os.path.join(d, "x.npy")}
        times = {"dynamic": [], "pinned": []}
        for _ in range(args.rounds):
            for name, exe in (("dynamic", dynamic_exe), ("pinned", pinned)):
                r = timing.run_ffn_exe(exe, x, os.path.join(d, name), args.iters, args.threads)
                times[name].append(r["median_ms"])
        ort = timing.time_onnxruntime(d, iters=args.iters, threads=args.threads)
        err = max_rel_error(np.load(os.path.join(d, "pinned", "y.npy")),
                            np.load(os.path.join(d, "dynamic", "y.npy")))
        dyn, pin = statistics.median(times["dynamic"]), statistics.median(times["pinned"])
        rows.append({"tokens": t, "dynamic_ms": dyn, "pinned_ms": pin, "onnxruntime_ms": ort["median_ms"],
                     "dynamic_over_pinned": dyn / pin, "onnxruntime_over_dynamic": ort["median_ms"] / dyn,
                     "dynamic_vs_pinned_error": err})
        print(f"T={t:<5} pinned {pin:8.3f} ms  dynamic {dyn:8.3f} ms  dynamic/pinned {dyn / pin:5.2f}  "
              f"onnxruntime {ort['median_ms']:8.3f} ms  onnxruntime/dynamic {ort['median_ms'] / dyn:5.2f}  "
              f"error {err:.1e}", flush=True)
    return rows


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    timing.add_bench_arguments(p, iters=50)
    p.add_argument("--tokens", type=int, nargs="+", default=[1, 32, 100, 128], help="token counts T")
    p.add_argument("--rounds", type=int, default=3, help="alternating rounds of the two builds (default 3)")
    args = p.parse_args(argv)
    done = timing.run_bench(args, "ffn-dynamic-", lambda fc, work: measure(args, fc, work))
    if done is None:
        return 2
    rows, before, after = done
    print(f"load average after: {after}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"rows": rows, "load_before": before, "load_after": after}, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
