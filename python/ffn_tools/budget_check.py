"""CLI: check the error budget of the approximate rewrites on the model set.

    python3 -m ffn_tools.budget_check --work DIR [--ffn-compile PATH] \\
        [--only NAME ...] [--jobs 2]

For every case of :data:`CASES` (a model of ``ffn_tools.model_set`` or of
:data:`EXTRA_MODELS`, the approximate flags asked for and the budgets tried): generate the model,
compile it with ``-O0`` (the reference: the graph as given), then once per
budget ``E`` with the flags plus ``--max-rel-error=E --calibration x=x.npy
--ffn-report``; run each binary on ``x.npy`` and print one line per build::

    bert  E=5e-02  measured 3.1e-02  reported 3.1e-02  flops 0.81  width=0.9 ...

A build fails the check when the error a user measures (the binary against
the ``-O0`` binary, ``max|ref - got| / max|ref|``) exceeds ``E``, when the
report's total error is not within 2x of that measured error (both below
1e-5 also agree), or, for budgets marked ``must_compress``, when no FFN FLOP
was saved (a budget that backs everything off passes trivially otherwise).
Exits 1 when any build fails.
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
from ffn_tools.model_set import MODEL_SET

# Errors below this are rounding: measured and reported need not be within
# 2x of each other there.
ROUNDING = 1e-5


@dataclasses.dataclass(frozen=True)
class BudgetCase:
    """A model of the set, the approximate flags, and the budgets tried."""

    model: str
    flags: Tuple[str, ...]
    budgets: Tuple[float, ...]
    # Budgets at which some FFN FLOPs must be saved.
    must_compress: Tuple[float, ...] = ()


#: Models outside the model set: name -> (generator module, arguments).
EXTRA_MODELS = {
    "chain-encoder": ("ffn_tools.ffn_chain", ("--blocks", "4", "--kind", "encoder")),
    "chain-gated": ("ffn_tools.ffn_chain", ("--blocks", "4", "--kind", "gated")),
    "chain-6": ("ffn_tools.ffn_chain", ("--blocks", "6", "--kind", "encoder", "--dim", "64", "--hidden", "128")),
}

# Random weights are full-rank noise: every rewrite costs a lot of error on
# them, so the budgets here are loose and the flags aggressive.
CASES: List[BudgetCase] = [
    BudgetCase("encoder", ("--ffn-width=0.25", "--lowrank=rank:2"), (0.02, 0.3), must_compress=(0.3,)),
    BudgetCase("encoder", ("--block-diag=4",), (0.5,)),
    BudgetCase("encoder", ("--sparsity=block:16x16:0.75",), (0.5,), must_compress=(0.5,)),
    BudgetCase("gated", ("--sparsity=2:4",), (0.05, 0.6)),
    BudgetCase("gated", ("--ffn-width=0.25", "--lowrank=rank:2"), (0.05,)),
    BudgetCase("bert", ("--ffn-width=0.25", "--lowrank=energy:0.5"), (0.05,)),
    BudgetCase("gpt2", ("--ffn-width=0.25",), (0.05,)),
    BudgetCase("vit", ("--lowrank=flops:0.3",), (0.05,)),
    BudgetCase("llama", ("--ffn-width=0.25",), (0.1,), must_compress=(0.1,)),
    BudgetCase("bert-shared", ("--ffn-width=0.25", "--lowrank=rank:2"), (0.1,)),
    BudgetCase("chain-encoder", ("--ffn-fusion=4",), (0.03,)),
    BudgetCase("chain-gated", ("--ffn-fusion=4", "--ffn-width=0.5"), (0.05,)),
    BudgetCase("chain-6", ("--ffn-fusion=auto",), (0.02, 0.04)),
]


def _run(cmd: Sequence[str]) -> subprocess.CompletedProcess:
    return subprocess.run(list(cmd), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _compile_and_run(ffn_compile: str, d: str, name: str, extra: Sequence[str]) -> Tuple[Optional[np.ndarray], str]:
    out = os.path.join(d, name)
    os.makedirs(out, exist_ok=True)
    res = _run([ffn_compile, os.path.join(d, "model.onnx"), "-o", os.path.join(out, "model"), *extra])
    if res.returncode:
        return None, f"ffn-compile {' '.join(extra)} failed:\n{res.stdout}"
    res = _run([os.path.join(out, "model"), "--input", f"x={os.path.join(d, 'x.npy')}", "--output-dir", out])
    if res.returncode:
        return None, f"the {name} binary failed:\n{res.stdout}"
    return np.load(os.path.join(out, "y.npy")), ""


def check_case(index: int, case: BudgetCase, work: str, ffn_compile: str) -> Tuple[bool, List[str]]:
    """Generates, compiles and checks one case; returns (ok, lines)."""
    if case.model in EXTRA_MODELS:
        generator, gen_args = EXTRA_MODELS[case.model]
    else:
        model = next(m for m in MODEL_SET if m.name == case.model)
        generator, gen_args = model.generator, model.args
    d = os.path.join(work, f"{index}-{case.model}")
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    gen = _run([sys.executable, "-m", generator, *gen_args, "--out", d])
    if gen.returncode:
        return False, [f"{case.model}: generator failed:\n{gen.stdout}"]
    ref, why = _compile_and_run(ffn_compile, d, "O0", ["-O0"])
    if ref is None:
        return False, [f"{case.model}: {why}"]
    ok, lines = True, []
    for budget in case.budgets:
        report = os.path.join(d, f"report-{budget:g}.json")
        got, why = _compile_and_run(
            ffn_compile, d, f"E{budget:g}",
            [*case.flags, f"--max-rel-error={budget:g}", "--calibration", f"x={os.path.join(d, 'x.npy')}",
             f"--ffn-report={report}"])
        if got is None:
            ok = False
            lines.append(f"{case.model}: {why}")
            continue
        measured = max_rel_error(ref, got) if ref.shape == got.shape else float("inf")
        with open(report) as f:
            rep = json.load(f)
        total = rep["total"]
        reported = total["max_rel_error"]
        flops = total["flops_after"] / total["flops_before"] if total["flops_before"] else 1.0
        settings = sorted({e.get("setting") or "-" for e in rep["ffns"]})
        line = (f"{case.model:<12} {' '.join(case.flags):<36} E={budget:<6g} measured {measured:.2e}  "
                f"reported {'-' if reported is None else f'{reported:.2e}'}  flops {flops:.2f}  "
                f"settings {'; '.join(settings)}")
        problems = []
        if not measured <= budget:
            problems.append(f"measured {measured:.2e} > budget {budget:g}")
        if reported is None:
            problems.append("the report states no total error")
        elif not (max(measured, reported) < ROUNDING or reported / 2 <= measured <= 2 * reported):
            problems.append(f"reported {reported:.2e} is not within 2x of measured {measured:.2e}")
        if budget in case.must_compress and not flops < 1.0:
            problems.append("no FFN FLOP saved")
        if problems:
            ok = False
            line += "  FAIL: " + "; ".join(problems)
        lines.append(line)
    return ok, lines


def main(argv: Optional[List[str]] = None) -> int:
    p = argparse.ArgumentParser(prog="python3 -m ffn_tools.budget_check", description=__doc__.split("\n\n")[0])
    p.add_argument("--work", required=True, help="scratch folder (one subfolder per case)")
    p.add_argument("--ffn-compile", default="ffn-compile", help="the compiler (default: from PATH)")
    p.add_argument("--only", nargs="+", help="models to run (default: all)")
    p.add_argument("--jobs", type=int, default=2, help="cases processed at once (default %(default)s)")
    args = p.parse_args(argv)
    cases = list(enumerate(CASES))
    if args.only:
        unknown = set(args.only) - {c.model for c in CASES}
        if unknown:
            p.error("unknown model(s): " + ", ".join(sorted(unknown)))
        cases = [(i, c) for i, c in cases if c.model in args.only]
    t0 = time.perf_counter()
    failed = builds = 0
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        results = pool.map(lambda ic: check_case(ic[0], ic[1], args.work, args.ffn_compile), cases)
        for (_, case), (ok, lines) in zip(cases, results):
            for line in lines:
                print(line, flush=True)
            failed += not ok
            builds += len(case.budgets)
    print(f"{len(cases) - failed} of {len(cases)} cases within budget, {builds} builds "
          f"({time.perf_counter() - t0:.1f} s)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
