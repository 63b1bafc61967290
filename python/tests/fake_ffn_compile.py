#!/usr/bin/env python3
"""A stand-in for ``ffn-compile`` that lets the benchmark scripts be tested
without the real compiler.

``fake_ffn_compile.py MODEL -o OUT`` writes ``OUT`` as a small executable that
follows the contract of a compiled model (``OUT --input x=FILE.npy
[--output-dir DIR] [--bench N]``): it evaluates the model in float32 numpy,
from the ``spec.json`` that ``ffn_tools.gen`` wrote beside MODEL, writes
``DIR/y.npy`` and prints ``iterations:``, ``median_ms:``, ``min_ms:``.
``--fake-error E`` makes the binary add a relative error E to its output.
"""

import argparse
import os
import stat
import sys

PYTHON_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def compile_main(argv):
    p = argparse.ArgumentParser()
    p.add_argument("model")
    p.add_argument("-o", dest="out", required=True)
    p.add_argument("--fake-error", type=float, default=0.0)
    args, _ = p.parse_known_args(argv)
    model_dir = os.path.dirname(os.path.abspath(args.model))
    with open(args.out, "w") as f:
        f.write(f"#!/bin/sh\nexec {sys.executable} {os.path.abspath(__file__)} --run {model_dir} "
                f"{args.fake_error} \"$@\"\n")
    os.chmod(args.out, os.stat(args.out).st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return 0


def run_main(argv):
    sys.path.insert(0, PYTHON_DIR)
    import numpy as np

    from ffn_tools.gen import load_spec
    from ffn_tools.model import build_model
    from ffn_tools.reference import Float32Runner
    from ffn_tools.timing import time_callable

    model_dir, fake_error = argv[0], float(argv[1])
    p = argparse.ArgumentParser()
    p.add_argument("--input", action="append", default=[])
    p.add_argument("--output-dir", default=".")
    p.add_argument("--bench", type=int)
    args = p.parse_args(argv[2:])
    inputs = dict(s.split("=", 1) for s in args.input)
    x = np.load(inputs["x"])
    run = Float32Runner(build_model(load_spec(model_dir)))
    y = run(x).copy()
    y += np.float32(fake_error) * np.abs(y).max()
    os.makedirs(args.output_dir, exist_ok=True)
    np.save(os.path.join(args.output_dir, "y.npy"), y)
    if args.bench:
        t = time_callable(lambda: run(x), args.bench, warmup=1)
        print(f"iterations: {args.bench}\nmedian_ms: {t['median_ms']:.4f}\nmin_ms: {t['min_ms']:.4f}")
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--run":
        sys.exit(run_main(sys.argv[2:]))
    sys.exit(compile_main(sys.argv[1:]))
