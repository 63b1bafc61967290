#!/usr/bin/env python3
"""Benchmark: pruned FFN weights (--sparsity) against the dense FFN and onnxruntime.

The BERT-base-size encoder FFN (T=128, D=768, H=3072, GELU, biases;
:mod:`ffn_tools.gen`) with random dense weights is compiled dense (-O2) and
with each ``--sparsity`` pattern asked for. One run measures, one after the
other and each in its own process with the same number of threads, every
binary's median latency (``--bench``) and onnxruntime's on the dense ONNX
model. Per pattern it prints the FFN FLOPs the report gives, the speedup
over the dense binary and over onnxruntime, how much of the FLOP saving the
kernel realises, and the error the compiler reported next to the one
measured against the dense binary. Patterns the compiler keeps on the dense
kernel (2:4, unstructured above 20% kept: the compressed-row kernel would be
slower) show FLOP x 1.00. Random weights are full-rank noise: the errors
show the mechanics, not what trained weights give. On a busy machine the
figures are indicative only (the load average is printed).

Usage::

    python3 bench/sparsity.py
    python3 bench/sparsity.py --patterns block:32x32:0.5 unstructured:0.9 --tokens 1
    python3 bench/sparsity.py --ffn-compile build-x/bin/ffn-compile --iters 50

Exit status: 0 on success, 2 when a tool fails.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO_ROOT, "python"))
sys.path.insert(0, os.path.join(REPO_ROOT, "bench"))

from block_diag import generate_ffn, print_table, run_variant  # noqa: E402
from ffn_tools import timing  # noqa: E402

DEFAULT_PATTERNS = ["2:4", "block:32x32:0.5", "block:32x32:0.75", "block:16x16:0.75",
                    "unstructured:0.5", "unstructured:0.8", "unstructured:0.9", "unstructured:0.95"]


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--patterns", nargs="+", default=DEFAULT_PATTERNS,
                   help="--sparsity values (default: %(default)s)")
    p.add_argument("--tokens", type=int, default=128)
    p.add_argument("--dim", type=int, default=768)
    p.add_argument("--hidden", type=int, default=3072)
    timing.add_bench_arguments(p, iters=30, per="binary")
    args = p.parse_args(argv)

    def measure(ffn_compile: str, work_dir: str):
        model_dir = generate_ffn(args, work_dir)
        ort = timing.time_onnxruntime(model_dir, args.iters, args.threads)
        results = [run_variant("dense", ["-O2"], model_dir, ffn_compile, args.iters, args.threads)]
        for pattern in args.patterns:
            results.append(run_variant(pattern, [f"--sparsity={pattern}"], model_dir, ffn_compile, args.iters,
                                       args.threads))
        return results, ort

    outcome = timing.run_bench(args, "ffn-sparsity-", measure)
    if outcome is None:
        return 2
    (results, ort), load_before, load_after = outcome

    print_table(results, load_after, ort_ms=ort["median_ms"])
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"load_before": load_before, "load_after": load_after, "threads": args.threads,
                       "iters": args.iters, "onnxruntime_ms": ort["median_ms"],
                       "results": [{k: v for k, v in r.items() if k != "y"} for r in results]}, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
