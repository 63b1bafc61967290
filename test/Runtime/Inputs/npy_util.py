"""Helpers for the runtime's lit tests: write .npy files (well-formed or
hostile), raw float32 files, and check a model's outputs against numpy.

usage:
  npy_util.py inputs DIR                 x.npy [2,3] and bias.npy [3] in DIR
  npy_util.py write FILE SHAPE [--dtype D] [--fortran] [--version M] [--nan]
  npy_util.py raw-header FILE DICT [--version M] [--data-bytes N]
                                  [--header-len N]
  npy_util.py check-add X.npy BIAS.npy Y.npy      y == x + bias
  npy_util.py to-raw FILE.npy FILE.bin            raw little-endian float32
  npy_util.py check-add-raw X.bin BIAS.bin Y.bin  the same check on raw files
"""

import argparse
import struct
import sys

import numpy as np


def parse_shape(text):
    return tuple(int(d) for d in text.split("x")) if text else ()


def sample(shape, seed):
    rng = np.random.default_rng(seed)
    return rng.standard_normal(shape).astype(np.float32)


def cmd_inputs(args):
    np.save(f"{args.dir}/x.npy", sample((2, 3), 1))
    np.save(f"{args.dir}/bias.npy", sample((3,), 2))


def cmd_write(args):
    array = sample(parse_shape(args.shape), 3).astype(args.dtype)
    if args.fortran:
        array = np.asfortranarray(array)
    if args.nan:
        array.flat[0] = np.nan
    with open(args.file, "wb") as f:
        np.lib.format.write_array(f, array, version=(args.version, 0))


def cmd_raw_header(args):
    """Writes an .npy file with an arbitrary header dict, for hostile input."""
    header = args.dict.encode("latin1")
    length = args.header_len if args.header_len is not None else len(header)
    size_format = "<H" if args.version == 1 else "<I"
    with open(args.file, "wb") as f:
        f.write(b"\x93NUMPY" + bytes([args.version, 0]))
        f.write(struct.pack(size_format, length))
        f.write(header)
        f.write(b"\0" * args.data_bytes)


def check_add(x, bias, y):
    expected = x + bias
    if y.shape != expected.shape or y.dtype != np.float32:
        sys.exit(f"FAIL: got {y.dtype} {y.shape}, "
                 f"expected float32 {expected.shape}")
    if not np.array_equal(y, expected):
        sys.exit(f"FAIL: max difference {np.abs(y - expected).max()}")
    print(f"OK: y == x + bias, shape {list(y.shape)}")


def cmd_check_add(args):
    check_add(np.load(args.x), np.load(args.bias), np.load(args.y))


def cmd_to_raw(args):
    np.load(args.npy).astype("<f4").tofile(args.bin)


def cmd_check_add_raw(args):
    x = np.fromfile(args.x, dtype="<f4").reshape(2, 3)
    bias = np.fromfile(args.bias, dtype="<f4")
    y = np.fromfile(args.y, dtype="<f4").reshape(2, 3)
    check_add(x, bias, y)


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("inputs")
    p.add_argument("dir")
    p.set_defaults(func=cmd_inputs)
    p = sub.add_parser("write")
    p.add_argument("file")
    p.add_argument("shape")
    p.add_argument("--dtype", default="<f4")
    p.add_argument("--fortran", action="store_true")
    p.add_argument("--version", type=int, default=1)
    p.add_argument("--nan", action="store_true")
    p.set_defaults(func=cmd_write)
    p = sub.add_parser("raw-header")
    p.add_argument("file")
    p.add_argument("dict")
    p.add_argument("--version", type=int, default=1)
    p.add_argument("--data-bytes", type=int, default=0)
    p.add_argument("--header-len", type=int)
    p.set_defaults(func=cmd_raw_header)
    p = sub.add_parser("check-add")
    p.add_argument("x")
    p.add_argument("bias")
    p.add_argument("y")
    p.set_defaults(func=cmd_check_add)
    p = sub.add_parser("to-raw")
    p.add_argument("npy")
    p.add_argument("bin")
    p.set_defaults(func=cmd_to_raw)
    p = sub.add_parser("check-add-raw")
    p.add_argument("x")
    p.add_argument("bias")
    p.add_argument("y")
    p.set_defaults(func=cmd_check_add_raw)
    args = parser.parse_args()
    args.func(args)


if __name__ == "__main__":
    main()
