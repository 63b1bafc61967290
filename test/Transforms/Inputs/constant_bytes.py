"""Sums the bytes of the constant globals of LLVM IR files and checks their
ratio (test helper for ffn-dedup-weights).

usage: constant_bytes.py REF.ll GOT.ll --max-ratio R

prints ``constant_bytes: REF -> GOT (ratio X)`` and exits 1 when GOT / REF
exceeds R or no constant global is found.
"""

import argparse
import re
import sys

ELEMENT_BYTES = {"float": 4, "double": 8, "i8": 1, "i16": 2, "i32": 4, "i64": 8}
GLOBAL = re.compile(r"^@\S+ = .*?\b(?:constant|global) (\[.*?\]) ", re.M)
DIM = re.compile(r"\[(\d+) x ")


def constant_bytes(path):
    total = 0
    with open(path) as f:
        text = f.read()
    for m in GLOBAL.finditer(text):
        ty = m.group(1)
        size = 1
        for d in DIM.findall(ty):
            size *= int(d)
        elem = ty.replace("[", " ").replace("]", " ").split()[-1]
        total += size * ELEMENT_BYTES.get(elem, 0)
    return total


def main():
    p = argparse.ArgumentParser()
    p.add_argument("ref")
    p.add_argument("got")
    p.add_argument("--max-ratio", type=float, required=True)
    a = p.parse_args()
    ref, got = constant_bytes(a.ref), constant_bytes(a.got)
    ratio = got / ref if ref else float("inf")
    print(f"constant_bytes: {ref} -> {got} (ratio {ratio:.3f})")
    if not ref or ratio > a.max_ratio:
        print(f"FAIL: ratio {ratio:.3f} > {a.max_ratio}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
