#!/usr/bin/env python3
"""Big model: import and compile time and peak memory of a 12-layer BERT-base.

Generates a stack of BERT-base encoder layers with attention (default 12
layers, D=768, H=3072, 12 heads, T=128, batch 1; no embeddings: 85M
parameters, 340 MB of f32 weights) as one ONNX file with internal data
(``ffn_tools.gen_layer --kind bert``; its onnxruntime output is the
reference), then measures under ``/usr/bin/time -v``

- import: ``ffn-opt model.onnx -o /dev/null`` (the imported MLIR),
- compile: ``ffn-compile model.onnx --emit=exe`` (import, FFN passes, CPU
  code generation, LLVM, link),

printing each one's wall time and peak resident memory (max RSS) and the
ratio of the peak to the weights' size (the target is at most about 2), and
runs the compiled binary once against onnxruntime's output (max relative
error). Not part of the test suite (minutes, GBs); ``test/e2e`` has a small
2-layer variant. Timings on a shared machine are indicative only.

Usage::

    python3 bench/big_model.py                        # 12 layers
    python3 bench/big_model.py --layers 2 --work-dir /tmp/bert2
    python3 bench/big_model.py --bin build-x/bin      # tools of another build

Exit status: 0 on success, 1 when the error exceeds ``--rtol``, 2 when a tool
fails.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO_ROOT, "python"))


def timed(cmd, log_name: str, work: str):
    """Runs ``cmd`` under ``/usr/bin/time -v``; returns (wall s, max RSS MB)."""
    log = os.path.join(work, log_name)
    t0 = time.perf_counter()
    r = subprocess.run(["/usr/bin/time", "-v", "-o", log] + cmd, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, text=True)
    wall = time.perf_counter() - t0
    if r.returncode != 0:
        sys.stderr.write(r.stderr[-4000:])
        raise RuntimeError(f"{' '.join(cmd)} failed with exit code {r.returncode}")
    with open(log) as f:
        m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", f.read())
    return wall, int(m.group(1)) / 1024.0


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--layers", type=int, default=12, help="encoder layers (default %(default)s)")
    p.add_argument("--dim", type=int, default=768)
    p.add_argument("--hidden", type=int, default=3072)
    p.add_argument("--heads", type=int, default=12)
    p.add_argument("--tokens", type=int, default=128)
    p.add_argument("--bin", default=os.path.join("build", "bin"),
                   help="folder with ffn-opt and ffn-compile; relative to the repo root (default %(default)s)")
    p.add_argument("--rtol", type=float, default=1e-4, help="tolerance on the compiled output (default %(default)g)")
    p.add_argument("--work-dir", help="keep the files here (default: a temporary folder, removed)")
    args = p.parse_args(argv)

    from ffn_tools.attention import LayerSpec
    from ffn_tools.compare import max_rel_error
    from ffn_tools.gen_layer import generate
    import numpy as np

    tools = args.bin if os.path.isabs(args.bin) else os.path.join(REPO_ROOT, args.bin)
    ffn_opt, ffn_compile = os.path.join(tools, "ffn-opt"), os.path.join(tools, "ffn-compile")
    for tool in (ffn_opt, ffn_compile):
        if not os.access(tool, os.X_OK):
            print(f"error: {tool} not found (build first, or pass --bin)", file=sys.stderr)
            return 2
    if not os.access("/usr/bin/time", os.X_OK):
        print("error: /usr/bin/time (GNU time) is needed", file=sys.stderr)
        return 2
    work = args.work_dir or tempfile.mkdtemp(prefix="ffn-big-")
    os.makedirs(work, exist_ok=True)
    try:
        spec = LayerSpec(kind="bert", batch=1, tokens=args.tokens, dim=args.dim, heads=args.heads,
                         hidden=args.hidden, layers=args.layers)
        t0 = time.perf_counter()
        generate(spec, work, check=False)
        model = os.path.join(work, "model.onnx")
        weights_mb = os.path.getsize(model) / 2**20
        print(f"model: {spec.describe()}, {weights_mb:.1f} MB ONNX "
              f"(generated in {time.perf_counter() - t0:.1f} s)")
        try:
            imp = timed([ffn_opt, model, "-o", os.devnull], "import.time", work)
            exe = os.path.join(work, "m")
            comp = timed([ffn_compile, model, "--emit=exe", "-o", exe], "compile.time", work)
            subprocess.run([exe, "--input", f"x={os.path.join(work, 'x.npy')}", "--output-dir", work],
                           check=True, stdout=subprocess.DEVNULL)
        except (RuntimeError, subprocess.CalledProcessError) as e:
            print(f"error: {e}", file=sys.stderr)
            return 2
        err = max_rel_error(np.load(os.path.join(work, "y_ref.npy")), np.load(os.path.join(work, "y.npy")))
        print(f"import  (ffn-opt model.onnx):      {imp[0]:7.1f} s  peak RSS {imp[1]:7.0f} MB "
              f"({imp[1] / weights_mb:.2f}x the weights)")
        print(f"compile (ffn-compile --emit=exe):  {comp[0]:7.1f} s  peak RSS {comp[1]:7.0f} MB "
              f"({comp[1] / weights_mb:.2f}x the weights)")
        print(f"max_rel_error vs onnxruntime: {err:.3e}")
        return 0 if err <= args.rtol else 1
    finally:
        if not args.work_dir:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
