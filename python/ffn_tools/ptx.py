"""CLI: extract the PTX of every GPU module in lowered MLIR, and check it.

    python3 -m ffn_tools.ptx LOWERED.mlir --out DIR [--ptxas PATH --arch sm_90]

``LOWERED.mlir`` is the output of ``ffn-opt --ffn-lower-to-nvvm=format=isa``:
each ``gpu.binary`` holds its module's PTX as an escaped ``assembly``
string. The PTX is written to ``DIR/<module>.ptx``; with ``--ptxas`` each file
is assembled for ``--arch`` and the tool prints ``ptxas ok: <module>`` per
module and ``modules: N``. Exits 1 when there is no module or ptxas rejects
one (its messages are printed).
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from typing import List, Tuple

_BINARY = re.compile(r"gpu\.binary\s+@([A-Za-z0-9_$.]+)")


def unescape_mlir_string(text: str, start: int) -> Tuple[str, int]:
    """Decodes the MLIR string literal whose first character (after the
    opening quote) is ``text[start]``; returns it and the index past the
    closing quote. MLIR escapes bytes as ``\\XX`` and a backslash as ``\\\\``.
    """
    out = bytearray()
    i = start
    while i < len(text):
        c = text[i]
        if c == '"':
            return out.decode("utf-8", errors="replace"), i + 1
        if c == "\\":
            nxt = text[i + 1]
            if nxt in "\\\"":
                out += nxt.encode()
                i += 2
                continue
            if nxt == "n":
                out += b"\n"
                i += 2
                continue
            if nxt == "t":
                out += b"\t"
                i += 2
                continue
            out.append(int(text[i + 1:i + 3], 16))
            i += 3
            continue
        out += c.encode("utf-8")
        i += 1
    raise ValueError("unterminated string literal")


def extract_ptx(mlir: str) -> List[Tuple[str, str]]:
    """(module name, PTX) of every gpu.binary with an ``assembly`` object."""
    modules = []
    for match in _BINARY.finditer(mlir):
        key = mlir.find('assembly = "', match.end())
        nxt = _BINARY.search(mlir, match.end())
        if key < 0 or (nxt and key > nxt.start()):
            continue
        ptx, _ = unescape_mlir_string(mlir, key + len('assembly = "'))
        modules.append((match.group(1), ptx))
    return modules


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mlir")
    parser.add_argument("--out", required=True, help="folder for the .ptx files")
    parser.add_argument("--ptxas", help="assemble every module with this ptxas")
    parser.add_argument("--arch", default="sm_90")
    args = parser.parse_args(argv)

    with open(args.mlir, encoding="utf-8") as f:
        modules = extract_ptx(f.read())
    if not modules:
        print(f"error: no gpu.binary with PTX in {args.mlir} "
              "(lower with format=isa)", file=sys.stderr)
        return 1
    os.makedirs(args.out, exist_ok=True)
    failed = 0
    for name, ptx in modules:
        path = os.path.join(args.out, name + ".ptx")
        with open(path, "w", encoding="utf-8") as f:
            f.write(ptx)
        if not args.ptxas:
            continue
        proc = subprocess.run(
            [args.ptxas, "-arch=" + args.arch, path, "-o", path + ".cubin"],
            capture_output=True, text=True)
        if proc.returncode != 0:
            failed += 1
            print(f"ptxas failed: {name}\n{proc.stdout}{proc.stderr}")
        else:
            print(f"ptxas ok: {name}")
    print(f"modules: {len(modules)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
