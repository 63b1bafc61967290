"""The end-to-end example behind ``scripts/example.sh``.

Generates a BERT-base encoder layer's FFN block — LayerNorm, the FFN
(768 → 3072 → 768, GELU erf, biases) and the residual add, on 128 tokens —
compiles it with ``build/bin/ffn-compile``, runs the binary, compares its
output with onnxruntime's on the same input (and with the numpy reference),
and prints the speed of both.

    python3 -m ffn_tools.example [--tokens 128 --dim 768 --hidden 3072 ...]
        [--iters 20] [--threads 2] [--ffn-compile build/bin/ffn-compile]
        [--work-dir DIR] [--rtol 1e-4]

Exits 0 when both errors are within ``--rtol`` (1e-4), 1 when not, 2 when a
tool is missing or fails.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from typing import List, Optional

from ffn_tools import benchmark, timing
from ffn_tools.timing import fmt_ms
from ffn_tools.gen import add_model_arguments, spec_from_args


def main(argv: Optional[List[str]] = None) -> int:
    p = argparse.ArgumentParser(prog="python3 -m ffn_tools.example", description=__doc__.split("\n\n")[0])
    add_model_arguments(p, tokens=128, dim=768, hidden=3072, norm="layer", residual=True)
    p.add_argument("--iters", type=int, default=20, help="timed runs (default %(default)s)")
    p.add_argument("--threads", type=int, default=2, help="threads for ffn and onnxruntime (default %(default)s)")
    p.add_argument("--ffn-compile", default=os.path.join("build", "bin", "ffn-compile"),
                   help="ffn-compile; relative paths are taken from the repo root (default %(default)s)")
    p.add_argument("--compile-from", choices=["mlir", "onnx"], default="mlir",
                   help="compile model.mlir (default) or model.onnx")
    p.add_argument("--work-dir", help="keep the generated files here (default: a temporary folder, removed)")
    p.add_argument("--rtol", type=float, default=1e-4, help="accepted max_rel_error (default %(default)g)")
    args = p.parse_args(argv)
    try:
        spec = spec_from_args(args)
    except ValueError as e:
        p.error(str(e))
    ffn_compile = args.ffn_compile
    if not os.path.isabs(ffn_compile):
        ffn_compile = os.path.join(benchmark.REPO_ROOT, ffn_compile)

    print(f"example: {spec.describe()}")
    warning = benchmark.load_warning()
    if warning:
        print(warning)
    work_dir = os.path.abspath(args.work_dir) if args.work_dir else tempfile.mkdtemp(prefix="ffn-example-")
    try:
        res = benchmark.run(spec, ffn_compile=ffn_compile, iters=args.iters, threads=args.threads,
                            work_dir=work_dir, compile_from=args.compile_from, baselines=("onnxruntime",))
    except timing.ToolError as e:
        print(f"example: error: {e}", file=sys.stderr)
        return 2
    finally:
        if not args.work_dir:
            benchmark.cleanup(work_dir)

    ffn, ort = res.row("ffn"), res.row("onnxruntime")
    err_ort = res.errors["ffn vs onnxruntime"]
    err_ref = res.errors["ffn vs reference"]
    ratio = ort["median_ms"] / ffn["median_ms"]
    gflop = spec.flops() / 1e9
    print()
    print(f"max_rel_error (ffn vs onnxruntime): {err_ort:.3e}")
    print(f"max_rel_error (ffn vs numpy float64 reference): {err_ref:.3e}")
    print(f"ffn:         median {fmt_ms(ffn['median_ms'])} ms  ({gflop / ffn['median_ms'] * 1e3:.1f} GFLOP/s)")
    print(f"onnxruntime: median {fmt_ms(ort['median_ms'])} ms  ({gflop / ort['median_ms'] * 1e3:.1f} GFLOP/s)")
    word = "faster" if ratio >= 1 else "slower"
    print(f"speedup (onnxruntime ms / ffn ms): {ratio:.2f}  -> ffn is {max(ratio, 1 / ratio):.2f}x {word}"
          f" than onnxruntime ({args.threads} threads each)")
    if not (err_ort <= args.rtol and err_ref <= args.rtol):
        print(f"example: FAIL (max_rel_error above {args.rtol:g})")
        return 1
    print(f"example: PASS (max_rel_error within {args.rtol:g})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
