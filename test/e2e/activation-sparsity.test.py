"""Compiles each model folder of activation-sparsity.test with
--activation-sparsity=always and =never, runs both and compares them with
onnxruntime's output (y_ref.npy) and with each other at 1e-5 relative.
Usage: activation-sparsity.test.py FFN_COMPILE WORK_DIR CASE...; exits 1 on a mismatch."""

import os
import subprocess
import sys

import numpy as np

from ffn_tools.compare import max_rel_error

RTOL = 1e-5


def main(argv):
    ffn_compile, work, cases = argv[1], argv[2], argv[3:]
    ok = True
    for case in cases:
        d = os.path.join(work, case)
        outputs = {}
        for mode in ("always", "never"):
            exe = os.path.join(d, mode)
            subprocess.run([ffn_compile, os.path.join(d, "model.onnx"), "-o", exe,
                            f"--activation-sparsity={mode}"], check=True)
            out = os.path.join(d, "out_" + mode)
            os.makedirs(out, exist_ok=True)
            subprocess.run([exe, "--input", "x=" + os.path.join(d, "x.npy"), "--output-dir", out],
                           check=True, stdout=subprocess.DEVNULL)
            outputs[mode] = np.load(os.path.join(out, "y.npy"))
        ref = np.load(os.path.join(d, "y_ref.npy"))
        for name, ref_y, got in (("always vs onnxruntime", ref, outputs["always"]),
                                 ("never vs onnxruntime", ref, outputs["never"]),
                                 ("always vs never", outputs["never"], outputs["always"])):
            err = max_rel_error(ref_y, got)
            good = ref_y.shape == got.shape and err <= RTOL
            ok &= good
            print(f"{case}: {name}: max_rel_error {err:.2e} {'ok' if good else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
