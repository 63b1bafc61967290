#!/usr/bin/env python3
"""Benchmark: the BERT-base FFN compiled by ffn vs numpy/OpenBLAS and onnxruntime.

Generates the BERT-base encoder FFN (T=128, D=768, H=3072, GELU erf, biases;
no norm or residual unless asked), compiles it with ``ffn-compile``, runs the
binary with ``--bench N`` under ``OMP_NUM_THREADS=2``, checks its output against
the numpy reference, and in the same run times

- numpy (float32) on its bundled OpenBLAS with 2 threads, with
  ``OPENBLAS_CORETYPE``/``OPENBLAS_L2_SIZE`` removed for that process only:
  the full FFN, and the two GEMMs with their biases alone (the BLAS share);
- onnxruntime on the equivalent ONNX model with ``intra_op_num_threads=2``.

Each figure is the median over N runs after a warm-up. The table shows
GFLOP/s (2 FLOPs per multiply-add, linear layers only) and the speedup of ffn
over each baseline, ``other_ms / ffn_ms`` (above 1: ffn is faster).

Usage (from anywhere)::

    python3 bench/bert_ffn.py                     # BERT-base, N=50
    python3 bench/bert_ffn.py --iters 100 --tokens 512
    python3 bench/bert_ffn.py --kind gated --dim 1024 --hidden 2816 --norm rms --residual
    python3 bench/bert_ffn.py --no-ffn            # baselines only
    python3 bench/bert_ffn.py --ffn-compile /path/to/ffn-compile -- -O3

Exit status: 0 on success, 1 when the ffn output's max_rel_error exceeds
``--rtol``, 2 when a tool is missing or fails.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO_ROOT, "python"))

from ffn_tools import benchmark, timing  # noqa: E402
from ffn_tools.gen import add_model_arguments, spec_from_args  # noqa: E402


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    add_model_arguments(p, tokens=128, dim=768, hidden=3072)
    p.add_argument("--iters", type=int, default=50, help="timed runs per implementation (default %(default)s)")
    p.add_argument("--threads", type=int, default=2, help="threads for every implementation (default %(default)s)")
    p.add_argument("--ffn-compile", default=os.path.join("build", "bin", "ffn-compile"),
                   help="ffn-compile binary; relative paths are taken from the repo root (default %(default)s)")
    p.add_argument("--compile-from", choices=["mlir", "onnx"], default="mlir",
                   help="compile model.mlir (default) or model.onnx")
    p.add_argument("--no-ffn", action="store_true", help="time the baselines only")
    p.add_argument("--rtol", type=float, default=1e-4, help="tolerance on the ffn output (default %(default)g)")
    p.add_argument("--work-dir", help="keep the generated files here (default: a temporary folder, removed)")
    p.add_argument("--json", help="also write the results as JSON to this file")
    p.add_argument("compile_args", nargs="*", help="extra ffn-compile arguments, after --")
    args = p.parse_args(argv)
    try:
        spec = spec_from_args(args)
    except ValueError as e:
        p.error(str(e))

    ffn_compile = None
    if not args.no_ffn:
        ffn_compile = args.ffn_compile
        if not os.path.isabs(ffn_compile):
            ffn_compile = os.path.join(REPO_ROOT, ffn_compile)

    warning = benchmark.load_warning()
    if warning:
        print(warning, file=sys.stderr)

    work_dir = os.path.abspath(args.work_dir) if args.work_dir else tempfile.mkdtemp(prefix="ffn-bench-")
    try:
        res = benchmark.run(spec, ffn_compile=ffn_compile, iters=args.iters, threads=args.threads,
                            work_dir=work_dir, compile_args=args.compile_args, compile_from=args.compile_from)
    except timing.ToolError as e:
        print(f"bert_ffn: error: {e}", file=sys.stderr)
        if ffn_compile is not None and "not found" in str(e):
            print("bert_ffn: (use --no-ffn to time the baselines alone)", file=sys.stderr)
        return 2
    finally:
        if not args.work_dir:
            benchmark.cleanup(work_dir)

    print()
    print(benchmark.report(res, args.threads))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(res.to_dict(), f, indent=2)
    err = res.errors.get("ffn vs reference")
    if err is not None and not err <= args.rtol:
        print(f"FAIL: ffn max_rel_error {err:.3e} > {args.rtol:g}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
