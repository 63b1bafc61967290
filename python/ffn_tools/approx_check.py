"""CLI: check what an approximate rewrite reported against what it measured.

    python3 -m ffn_tools.approx_check report R.json [--applied NAME] \\
        [--max-flops-ratio F] [--max-error E] [--min-error E]
    python3 -m ffn_tools.approx_check decreasing R1.json R2.json ...
    python3 -m ffn_tools.approx_check measured R.json DENSE.npy GOT.npy \\
        [--factor 2]

``report`` reads an ``ffn-compile --ffn-report=R.json`` file and checks every
FFN: NAME among its ``applied`` rewrites, ``flops_after / flops_before`` at
most F, its ``max_rel_error`` at most (at least) E. ``decreasing`` checks that
the report's error (:func:`report_max_error`) strictly decreases from file to file.
``measured`` compares the report's error with the relative error of
GOT against DENSE (two compiled binaries' outputs on the same inputs),
``‖got − dense‖₂ / ‖dense‖₂`` as the block evaluator measures it: the two
must agree within ``--factor`` either way. Each prints one line per check
and exits 1 when one fails.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import List, Optional

import numpy as np

from ffn_tools.compare import max_rel_error


def load_ffns(path: str) -> list:
    with open(path) as f:
        return json.load(f)["ffns"]


def report_max_error(report: dict) -> Optional[float]:
    """The error an ``--ffn-report`` JSON states: its total ``max_rel_error``
    (the model output's, once the compiler measures one), else the largest
    per-FFN one, else None (only exact rewrites ran)."""
    total = report.get("total", {}).get("max_rel_error")
    if total is not None:
        return total
    errors = [e["max_rel_error"] for e in report["ffns"] if e.get("max_rel_error") is not None]
    return max(errors) if errors else None


def reported_error(path: str) -> Optional[float]:
    """:func:`report_max_error` of the report in ``path``."""
    with open(path) as f:
        return report_max_error(json.load(f))


def l2_rel_error(ref: np.ndarray, got: np.ndarray) -> float:
    r = np.asarray(ref, dtype=np.float64)
    g = np.asarray(got, dtype=np.float64)
    den = float(np.linalg.norm(r))
    num = float(np.linalg.norm(r - g))
    return num / den if den > 0 else num


def check_report(args: argparse.Namespace) -> bool:
    ok = True
    ffns = load_ffns(args.report)
    if not ffns:
        print(f"FAIL: {args.report} lists no FFN")
        return False
    for e in ffns:
        ratio = e["flops_after"] / e["flops_before"] if e["flops_before"] else 1.0
        err = e["max_rel_error"]
        line = f"{e['name']}: applied={','.join(e['applied']) or '-'} flops_ratio={ratio:.4f} error={err}"
        bad = []
        if args.applied and args.applied not in e["applied"]:
            bad.append(f"{args.applied} not applied")
        if args.max_flops_ratio is not None and ratio > args.max_flops_ratio:
            bad.append(f"flops ratio above {args.max_flops_ratio}")
        if args.max_error is not None and (err is None or err > args.max_error):
            bad.append(f"error not at most {args.max_error}")
        if args.min_error is not None and (err is None or err < args.min_error):
            bad.append(f"error not at least {args.min_error}")
        print(line + ("" if not bad else "  FAIL: " + "; ".join(bad)))
        ok &= not bad
    return ok


def check_decreasing(args: argparse.Namespace) -> bool:
    errors = [reported_error(p) for p in args.reports]
    ok = None not in errors and all(a > b for a, b in zip(errors, errors[1:]))
    print("errors: " + " > ".join(f"{e:.4g}" if e is not None else "none" for e in errors)
          + ("" if ok else "  FAIL: not decreasing"))
    return ok


def check_measured(args: argparse.Namespace) -> bool:
    reported = reported_error(args.report)
    with open(args.report) as f:
        total = json.load(f).get("total", {}).get("max_rel_error")
    # A total is the compiler's measurement of the model's outputs on the
    # calibration inputs, max|ref - got| / max|ref| (DESIGN.md); per-FFN
    # errors are the L2 ones each rewrite measured.
    metric = max_rel_error if total is not None else l2_rel_error
    measured = metric(np.load(args.dense), np.load(args.got))
    if reported is None:
        print(f"measured {measured:.4g}  FAIL: the report states no error")
        return False
    ratio = reported / measured if measured > 0 else float("inf")
    ok = 1.0 / args.factor <= ratio <= args.factor
    print(f"reported {reported:.4g} measured {measured:.4g} ratio {ratio:.3f}"
          + ("" if ok else f"  FAIL: not within {args.factor}x"))
    return ok


def main(argv: Optional[List[str]] = None) -> int:
    p = argparse.ArgumentParser(prog="python3 -m ffn_tools.approx_check", description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("report", help="per-FFN checks of one report")
    r.add_argument("report")
    r.add_argument("--applied")
    r.add_argument("--max-flops-ratio", type=float)
    r.add_argument("--max-error", type=float)
    r.add_argument("--min-error", type=float)
    d = sub.add_parser("decreasing", help="reported errors strictly decrease")
    d.add_argument("reports", nargs="+")
    m = sub.add_parser("measured", help="reported error vs the error of two outputs")
    m.add_argument("report")
    m.add_argument("dense")
    m.add_argument("got")
    m.add_argument("--factor", type=float, default=2.0)
    args = p.parse_args(argv)
    check = {"report": check_report, "decreasing": check_decreasing, "measured": check_measured}[args.cmd]
    return 0 if check(args) else 1


if __name__ == "__main__":
    sys.exit(main())
