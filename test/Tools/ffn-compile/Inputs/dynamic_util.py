"""Helpers for the dynamic-shape lit tests: write .npy inputs of any shape and
check the outputs of the models in Inputs/dynamic-*.mlir against numpy.

usage:
  dynamic_util.py write FILE SHAPE [--dtype D] [--seed N]   SHAPE like 2x5x8
  dynamic_util.py check-add X Z B Y            y == x + z + b
  dynamic_util.py check-multi X SQ ROWS TOTAL  x*x, row sums, total sum
  dynamic_util.py check-ident X A B C          a == b == x, c == [1.5, -2]
"""

import argparse
import sys

import numpy as np


def parse_shape(text):
    return tuple(int(d) for d in text.split("x")) if text else ()


def expect(name, got, want, exact=False):
    if got.shape != want.shape or got.dtype != want.dtype:
        sys.exit(f"FAIL: {name} is {got.dtype} {list(got.shape)}, "
                 f"expected {want.dtype} {list(want.shape)}")
    ok = np.array_equal(got, want) if exact else np.allclose(
        got, want, rtol=1e-5, atol=1e-5)
    if not ok:
        sys.exit(f"FAIL: {name}: max difference "
                 f"{np.abs(got.astype(np.float64) - want).max()}")
    print(f"OK: {name} {list(got.shape)}")


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("write")
    p.add_argument("file")
    p.add_argument("shape")
    p.add_argument("--dtype", default="float32")
    p.add_argument("--seed", type=int, default=0)
    p = sub.add_parser("check-add")
    for name in ("x", "z", "b", "y"):
        p.add_argument(name)
    p = sub.add_parser("check-multi")
    for name in ("x", "sq", "rows", "total"):
        p.add_argument(name)
    p = sub.add_parser("check-ident")
    for name in ("x", "a", "b", "c"):
        p.add_argument(name)
    args = parser.parse_args()

    if args.cmd == "write":
        rng = np.random.default_rng(args.seed)
        shape = parse_shape(args.shape)
        if np.dtype(args.dtype).kind == "f":
            array = rng.standard_normal(shape).astype(args.dtype)
        else:
            array = rng.integers(-1000, 1000, shape).astype(args.dtype)
        np.save(args.file, array)
    elif args.cmd == "check-add":
        x, z, b = (np.load(f) for f in (args.x, args.z, args.b))
        expect("y", np.load(args.y), x + z + b)
    elif args.cmd == "check-multi":
        x = np.load(args.x)
        expect("sq", np.load(args.sq), x * x)
        expect("rows", np.load(args.rows), x.sum(axis=1))
        expect("total", np.load(args.total), np.array(x.sum(), np.float32))
    else:
        x = np.load(args.x)
        expect("a", np.load(args.a), x, exact=True)
        expect("b", np.load(args.b), x, exact=True)
        expect("c", np.load(args.c), np.array([1.5, -2.0], np.float32),
               exact=True)


if __name__ == "__main__":
    main()
