"""CLI: compile the model set at two optimisation levels and compare them.

    python3 -m ffn_tools.model_set --work DIR [--ffn-compile PATH] \\
        [--levels O0 O2] [--rtol 1e-5] [--only NAME ...] [--jobs 2] [--list]

For every model of :data:`MODEL_SET` (small sizes, so the whole set runs in
well under a minute): generate it with its generator, compile ``model.onnx``
at both levels (the second with ``--ffn-report``), run both executables on
the same seeded input and print one line per model::

    encoder  O0 vs O2  max_rel_error 1.2e-07  ffns 1  applied fold-norms,...

Exits 1 when a model's error exceeds ``--rtol`` (max|ref - got| / max|ref|,
as :mod:`ffn_tools.compare`), when the second level finds fewer FFNs than
the model declares, or when a rewrite the model declares was not applied.

Extending the set: append a :class:`ModelCase` with the generator's module
and arguments (its ``--out`` is added), the number of FFNs ``-O2`` must find
and the rewrites it must report.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from typing import List, Optional, Sequence, Tuple

import numpy as np

from ffn_tools.compare import max_rel_error


@dataclasses.dataclass(frozen=True)
class ModelCase:
    """One model of the set: how to generate it and what -O2 must do."""

    name: str
    generator: str  # a module run with ``python3 -m`` that writes model.onnx and x.npy
    args: Tuple[str, ...]
    ffns: int = 1  # FFNs the report must list at -O2 (at least)
    applied: Tuple[str, ...] = ()  # rewrites some FFN must list at -O2


MODEL_SET: List[ModelCase] = [
    ModelCase("encoder", "ffn_tools.gen",
              ("--kind", "encoder", "--norm", "layer", "--residual", "--tokens", "8", "--dim", "32",
               "--hidden", "96"),
              ffns=1, applied=("fold-norms", "permute-neurons")),
    ModelCase("gated", "ffn_tools.gen",
              ("--kind", "gated", "--norm", "rms", "--residual", "--tokens", "8", "--dim", "32",
               "--hidden", "80"),
              ffns=1, applied=("fold-norms", "permute-neurons", "fuse-horizontal")),
    ModelCase("bert", "ffn_tools.gen_layer",
              ("--kind", "bert", "--tokens", "8", "--dim", "32", "--heads", "4", "--hidden", "128"),
              ffns=1, applied=("permute-neurons",)),
    ModelCase("gpt2", "ffn_tools.gen_layer",
              ("--kind", "gpt2", "--tokens", "8", "--dim", "32", "--heads", "4", "--hidden", "128"),
              ffns=1, applied=("fold-norms", "permute-neurons")),
    ModelCase("vit", "ffn_tools.gen_layer",
              ("--kind", "vit", "--dim", "32", "--heads", "4", "--hidden", "128", "--image", "32",
               "--patch", "8"),
              ffns=1, applied=("fold-norms", "permute-neurons")),
    ModelCase("llama", "ffn_tools.gen_layer",
              ("--kind", "llama", "--tokens", "8", "--dim", "32", "--heads", "4", "--hidden", "96"),
              ffns=1, applied=("fold-norms", "permute-neurons", "fuse-horizontal")),
    # RePaViT-style: BatchNorm, GELU on a quarter of the hidden channels,
    # residual; -O2 folds the BatchNorm and reparameterises the block.
    ModelCase("repavit", "ffn_tools.repavit",
              ("--tokens", "8", "--dim", "32", "--hidden", "128", "--idle", "0.75"),
              ffns=1, applied=("fold-norms", "repavit-reparam", "fuse-horizontal")),
    # ALBERT-style: two layers with the same weights, written twice.
    ModelCase("bert-shared", "ffn_tools.gen_layer",
              ("--kind", "bert", "--tokens", "8", "--dim", "32", "--heads", "4", "--hidden", "128",
               "--layers", "2", "--share-weights"),
              ffns=2, applied=("permute-neurons", "dedup-weights")),
]


def _run(cmd: Sequence[str], **kw) -> subprocess.CompletedProcess:
    return subprocess.run(list(cmd), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **kw)


def check_case(case: ModelCase, work: str, ffn_compile: str, levels: Tuple[str, str],
               rtol: float) -> Tuple[bool, str]:
    """Generates, compiles, runs and compares one model; returns (ok, line)."""
    d = os.path.join(work, case.name)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    gen = _run([sys.executable, "-m", case.generator, *case.args, "--out", d])
    if gen.returncode:
        return False, f"{case.name}: generator failed:\n{gen.stdout}"
    outputs = []
    report = os.path.join(d, "report.json")
    for i, level in enumerate(levels):
        out = os.path.join(d, level)
        os.makedirs(out)
        cmd = [ffn_compile, f"-{level}", os.path.join(d, "model.onnx"), "-o", os.path.join(out, "model")]
        if i == 1:
            cmd.append(f"--ffn-report={report}")
        res = _run(cmd)
        if res.returncode:
            return False, f"{case.name}: ffn-compile -{level} failed:\n{res.stdout}"
        res = _run([os.path.join(out, "model"), "--input", f"x={os.path.join(d, 'x.npy')}", "--output-dir", out])
        if res.returncode:
            return False, f"{case.name}: the -{level} binary failed:\n{res.stdout}"
        outputs.append(np.load(os.path.join(out, "y.npy")))
    ref, got = outputs
    err = max_rel_error(ref, got) if ref.shape == got.shape else float("inf")
    with open(report) as f:
        ffns = json.load(f)["ffns"]
    applied = sorted({a for e in ffns for a in e["applied"]})
    line = (f"{case.name:<12} {levels[0]} vs {levels[1]}  max_rel_error {err:.2e}  ffns {len(ffns)}  "
            f"applied {','.join(applied) or '-'}")
    problems = []
    if not err <= rtol:
        problems.append(f"error {err:.2e} > rtol {rtol:g}")
    if len(ffns) < case.ffns:
        problems.append(f"{len(ffns)} FFN(s) found, expected {case.ffns}")
    missing = [a for a in case.applied if a not in applied]
    if missing:
        problems.append("not applied: " + ",".join(missing))
    if problems:
        return False, line + "  FAIL: " + "; ".join(problems)
    return True, line


def main(argv: Optional[List[str]] = None) -> int:
    p = argparse.ArgumentParser(prog="python3 -m ffn_tools.model_set", description=__doc__.split("\n\n")[0])
    p.add_argument("--work", help="scratch folder (one subfolder per model)")
    p.add_argument("--ffn-compile", default="ffn-compile", help="the compiler (default: from PATH)")
    p.add_argument("--levels", nargs=2, default=["O0", "O2"], metavar=("REF", "GOT"),
                   help="levels compared (default O0 O2)")
    p.add_argument("--rtol", type=float, default=1e-5, help="tolerance on max_rel_error (default %(default)g)")
    p.add_argument("--only", nargs="+", help="models to run (default: all)")
    p.add_argument("--jobs", type=int, default=2, help="models processed at once (default %(default)s)")
    p.add_argument("--list", action="store_true", help="list the models and exit")
    args = p.parse_args(argv)
    if args.list:
        for c in MODEL_SET:
            print(c.name, c.generator, " ".join(c.args))
        return 0
    if not args.work:
        p.error("--work is required")
    cases = MODEL_SET
    if args.only:
        unknown = set(args.only) - {c.name for c in MODEL_SET}
        if unknown:
            p.error("unknown model(s): " + ", ".join(sorted(unknown)))
        cases = [c for c in MODEL_SET if c.name in args.only]
    levels = tuple(level.lstrip("-") for level in args.levels)
    t0 = time.perf_counter()
    failed = 0
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        results = pool.map(lambda c: check_case(c, args.work, args.ffn_compile, levels, args.rtol), cases)
        for ok, line in results:  # in the order of the set
            print(line, flush=True)
            failed += not ok
    print(f"{len(cases) - failed} of {len(cases)} models agree ({time.perf_counter() - t0:.1f} s)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
