"""CLI: compare an output with its reference.

    python3 -m ffn_tools.compare REF.npy GOT.npy [--rtol 1e-4]

prints ``max_rel_error: <value>`` where the relative error is
``max|ref - got| / max|ref|`` (DESIGN.md), and any shape or dtype mismatch.
Exits 1 when the error exceeds ``--rtol``, when the shapes or dtypes differ, or
when ``GOT`` holds NaN or infinity where ``REF`` does not; 0 otherwise.
"""

from __future__ import annotations

import argparse
import sys
from typing import List, Optional, Tuple

import numpy as np


def max_rel_error(ref: np.ndarray, got: np.ndarray) -> float:
    """``max|ref - got| / max|ref|``, computed in float64.

    Non-finite values in ``got`` where ``ref`` is finite give ``inf``. When
    ``ref`` is all zeros the absolute error is returned.
    """
    r = np.asarray(ref, dtype=np.float64)
    g = np.asarray(got, dtype=np.float64)
    if r.size == 0:
        return 0.0
    bad = ~np.isfinite(g) & np.isfinite(r)
    if np.any(bad):
        return float("inf")
    diff = np.abs(r - g)
    finite = np.isfinite(r)
    num = float(diff[finite].max()) if np.any(finite) else 0.0
    den = float(np.abs(r[finite]).max()) if np.any(finite) else 0.0
    return num / den if den > 0 else num


def compare(ref: np.ndarray, got: np.ndarray, rtol: float = 1e-4) -> Tuple[bool, List[str]]:
    """Compares two arrays; returns ``(ok, report lines)``."""
    lines: List[str] = []
    ok = True
    if ref.shape != got.shape:
        lines.append(f"shape mismatch: ref {ref.shape} vs got {got.shape}")
        ok = False
    if ref.dtype != got.dtype:
        lines.append(f"dtype mismatch: ref {ref.dtype} vs got {got.dtype}")
        ok = False
    if ref.shape == got.shape or ref.size == got.size:
        err = max_rel_error(ref, got.reshape(ref.shape))
    else:
        err = float("inf")
    lines.insert(0, f"max_rel_error: {err:.3e}")
    if not err <= rtol:
        lines.append(f"FAIL: max_rel_error {err:.3e} > rtol {rtol:g}")
        ok = False
    return ok, lines


def main(argv: Optional[List[str]] = None) -> int:
    p = argparse.ArgumentParser(prog="python3 -m ffn_tools.compare", description=__doc__.split("\n\n")[0])
    p.add_argument("ref", help="reference .npy")
    p.add_argument("got", help=".npy to check")
    p.add_argument("--rtol", type=float, default=1e-4, help="tolerance on max_rel_error (default %(default)g)")
    args = p.parse_args(argv)
    try:
        ref, got = np.load(args.ref), np.load(args.got)
    except (OSError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    ok, lines = compare(ref, got, args.rtol)
    print("\n".join(lines))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
