"""CLI: compile the model set with dynamic shapes once, run it at several sizes.

    python3 -m ffn_tools.dynamic_check --work DIR [--ffn-compile PATH] \\
        [--only NAME ...] [--rtol 1e-4] [--list]

For every model of :data:`DYNAMIC_SET`: generate it with its symbolic
dimensions (``dim_param``: batch, sequence), compile it once at ``-O2``
without ``--shape`` (with ``--ffn-report``), then run the one executable on
seeded random inputs of several sizes for those dimensions and compare each
output with onnxruntime's on the same input. One line per model::

    bert  inputs 1x1x32 2x7x32 3x33x32  max_rel_error 3.35e-07  ffns 1  applied permute-neurons

Exits 1 when an output's error exceeds ``--rtol`` (max|ref - got| / max|ref|,
as :mod:`ffn_tools.compare`), when an output's shape differs, when the
report lists another number of FFNs than the model has, or when a rewrite
the model lists (the ones ``-O2`` applies with static shapes) is missing.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import shutil
import subprocess
import sys
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from ffn_tools.compare import max_rel_error


@dataclasses.dataclass(frozen=True)
class DynamicCase:
    """One model: its generator (a module run with ``python3 -m``, given
    ``--out``), its FFN count, and the sizes its symbolic dimensions take."""

    name: str
    generator: str
    args: Tuple[str, ...]
    ffns: int = 1
    #: Each entry assigns every symbolic dimension a size (by name).
    sizes: Tuple[Dict[str, int], ...] = ()
    #: Rewrites some FFN must list at -O2 (as with static shapes).
    applied: Tuple[str, ...] = ()


_TOKENS = ({"batch": 1, "seq": 1, "sequence": 1, "tokens": 1},
           {"batch": 2, "seq": 7, "sequence": 7, "tokens": 7},
           {"batch": 3, "seq": 33, "sequence": 33, "tokens": 33})
_BATCH = ({"batch": 1}, {"batch": 2}, {"batch": 5})

DYNAMIC_SET: List[DynamicCase] = [
    DynamicCase("encoder", "ffn_tools.gen",
                ("--kind", "encoder", "--norm", "layer", "--residual", "--batch", "2", "--tokens", "8",
                 "--dim", "32", "--hidden", "96", "--dynamic"), applied=("fold-norms", "permute-neurons"), sizes=_TOKENS),
    DynamicCase("gated", "ffn_tools.gen",
                ("--kind", "gated", "--norm", "rms", "--residual", "--batch", "2", "--tokens", "8",
                 "--dim", "32", "--hidden", "80", "--dynamic"), applied=("fold-norms", "permute-neurons", "fuse-horizontal"), sizes=_TOKENS),
    DynamicCase("bert", "ffn_tools.gen_layer",
                ("--kind", "bert", "--tokens", "8", "--dim", "32", "--heads", "4", "--hidden", "128",
                 "--dynamic"), applied=("permute-neurons",), sizes=_TOKENS),
    DynamicCase("bert-2layers", "ffn_tools.gen_layer",
                ("--kind", "bert", "--tokens", "8", "--dim", "32", "--heads", "4", "--hidden", "128",
                 "--layers", "2", "--dynamic"), ffns=2, applied=("permute-neurons",), sizes=_TOKENS),
    # GPT-2 and Llama slice their position buffers (2x --tokens rows) to the
    # sequence length: the sizes run must stay within them.
    DynamicCase("gpt2", "ffn_tools.gen_layer",
                ("--kind", "gpt2", "--tokens", "20", "--dim", "32", "--heads", "4", "--hidden", "128",
                 "--dynamic"), applied=("fold-norms", "permute-neurons"), sizes=_TOKENS),
    DynamicCase("vit", "ffn_tools.gen_layer",
                ("--kind", "vit", "--dim", "32", "--heads", "4", "--hidden", "128", "--image", "32",
                 "--patch", "8", "--dynamic"), applied=("fold-norms", "permute-neurons"), sizes=_BATCH),
    DynamicCase("llama", "ffn_tools.gen_layer",
                ("--kind", "llama", "--tokens", "20", "--dim", "32", "--heads", "4", "--hidden", "96",
                 "--dynamic"), applied=("fold-norms", "permute-neurons", "fuse-horizontal"), sizes=_TOKENS),
    DynamicCase("repavit", "ffn_tools.repavit",
                ("--tokens", "8", "--dim", "32", "--hidden", "128", "--idle", "0.75", "--dynamic"),
                applied=("fold-norms", "repavit-reparam", "fuse-horizontal"), sizes=_TOKENS),
]


def _run(cmd: Sequence[str]) -> subprocess.CompletedProcess:
    return subprocess.run(list(cmd), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _input_shapes(model_path: str, sizes: Dict[str, int]) -> Dict[str, Tuple[List[int], np.dtype]]:
    """Each graph input's shape with its symbolic dimensions set from `sizes`."""
    import onnx
    from onnx import helper

    model = onnx.load(model_path, load_external_data=False)
    inits = {i.name for i in model.graph.initializer}
    shapes = {}
    for inp in model.graph.input:
        if inp.name in inits:
            continue
        t = inp.type.tensor_type
        dims = []
        for d in t.shape.dim:
            if d.HasField("dim_value"):
                dims.append(d.dim_value)
            elif d.dim_param in sizes:
                dims.append(sizes[d.dim_param])
            else:
                raise ValueError(f"input {inp.name!r}: no size for dimension {d.dim_param!r}")
        shapes[inp.name] = (dims, np.dtype(helper.tensor_dtype_to_np_dtype(t.elem_type)))
    return shapes


def check_case(case: DynamicCase, work: str, ffn_compile: str, rtol: float) -> Tuple[bool, str]:
    """Generates, compiles once, runs at each size; returns (ok, line)."""
    import onnxruntime as ort

    d = os.path.join(work, case.name)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    gen = _run([sys.executable, "-m", case.generator, *case.args, "--out", d])
    if gen.returncode:
        return False, f"{case.name}: generator failed:\n{gen.stdout}"
    model = os.path.join(d, "model.onnx")
    exe = os.path.join(d, "model")
    report = os.path.join(d, "report.json")
    res = _run([ffn_compile, "-O2", model, "-o", exe, f"--ffn-report={report}"])
    if res.returncode:
        return False, f"{case.name}: ffn-compile failed:\n{res.stdout}"
    with open(report) as f:
        entries = json.load(f)["ffns"]
    ffns = len(entries)
    applied = sorted({a for e in entries for a in e["applied"]})
    sess = ort.InferenceSession(model, providers=["CPUExecutionProvider"])
    out_names = [o.name for o in sess.get_outputs()]
    rng = np.random.default_rng(0)
    worst, tried, problems = 0.0, [], []
    for i, sizes in enumerate(case.sizes):
        shapes = _input_shapes(model, sizes)
        run_dir = os.path.join(d, f"run{i}")
        os.makedirs(run_dir, exist_ok=True)
        feeds, args = {}, [exe, "--output-dir", run_dir]
        for name, (shape, dtype) in shapes.items():
            x = rng.standard_normal(shape).astype(dtype)
            feeds[name] = x
            path = os.path.join(run_dir, f"{name}.npy")
            np.save(path, x)
            args += ["--input", f"{name}={path}"]
        label = "x".join(str(v) for v in shapes[next(iter(shapes))][0])
        tried.append(label)
        res = _run(args)
        if res.returncode:
            problems.append(f"{label}: the binary failed: {res.stdout.strip()}")
            continue
        for name, ref in zip(out_names, sess.run(None, feeds)):
            got = np.load(os.path.join(run_dir, f"{name}.npy"))
            if got.shape != ref.shape:
                problems.append(f"{label}: output {name} has shape {list(got.shape)}, "
                                f"onnxruntime's {list(ref.shape)}")
                continue
            err = max_rel_error(ref, got)
            worst = max(worst, err)
            if not err <= rtol:
                problems.append(f"{label}: output {name} error {err:.2e} > rtol {rtol:g}")
    if ffns != case.ffns:
        problems.append(f"{ffns} FFN(s) found, expected {case.ffns}")
    missing = [a for a in case.applied if a not in applied]
    if missing:
        problems.append("not applied: " + ",".join(missing))
    line = (f"{case.name:<13} inputs {' '.join(tried)}  max_rel_error {worst:.2e}  ffns {ffns}  "
            f"applied {','.join(applied) or '-'}")
    if problems:
        return False, line + "  FAIL: " + "; ".join(problems)
    return True, line


def main(argv: Optional[List[str]] = None) -> int:
    p = argparse.ArgumentParser(prog="python3 -m ffn_tools.dynamic_check", description=__doc__.split("\n\n")[0])
    p.add_argument("--work", help="scratch folder (one subfolder per model)")
    p.add_argument("--ffn-compile", default="ffn-compile", help="the compiler (default: from PATH)")
    p.add_argument("--rtol", type=float, default=1e-4, help="tolerance on max_rel_error (default %(default)g)")
    p.add_argument("--only", nargs="+", metavar="NAME", help="check only these models")
    p.add_argument("--list", action="store_true", help="list the models and exit")
    args = p.parse_args(argv)
    names = [c.name for c in DYNAMIC_SET]
    if args.list:
        print("\n".join(names))
        return 0
    if not args.work:
        p.error("--work is required")
    unknown = [n for n in args.only or [] if n not in names]
    if unknown:
        p.error(f"unknown model(s) {', '.join(unknown)}; known: {', '.join(names)}")
    cases = [c for c in DYNAMIC_SET if not args.only or c.name in args.only]
    os.makedirs(args.work, exist_ok=True)
    failed = 0
    for case in cases:
        ok, line = check_case(case, args.work, args.ffn_compile, args.rtol)
        print(line, flush=True)
        failed += not ok
    print(f"{len(cases) - failed} of {len(cases)} models match onnxruntime at every size")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
