"""Tests of ffn_tools.blockdiag (FFNs block-diagonal after permutations) and
ffn_tools.approx_check (checks of approximate-rewrite reports).

The masked weights must be exactly block-diagonal once the channels and
neurons are sorted by group, the model written to disk must compute what its
numpy reference says (onnxruntime, 1e-5), and the report checks must fail
where they should.
"""

import json
import os
import sys
import tempfile
import unittest

TESTS_DIR = os.path.dirname(os.path.abspath(__file__))
PYTHON_DIR = os.path.dirname(TESTS_DIR)
if PYTHON_DIR not in sys.path:
    sys.path.insert(0, PYTHON_DIR)

import numpy as np  # noqa: E402

from ffn_tools import approx_check, blockdiag  # noqa: E402
from ffn_tools.model import build_model  # noqa: E402

try:
    import onnxruntime  # noqa: F401

    HAVE_ORT = True
except ImportError:
    HAVE_ORT = False


def off_block_energy(w, rows, cols, blocks):
    """Energy of ``w`` outside the diagonal blocks once its rows and columns
    are sorted by group."""
    w = w[np.argsort(rows, kind="stable")][:, np.argsort(cols, kind="stable")].astype(np.float64)
    rb, cb = w.shape[0] // blocks, w.shape[1] // blocks
    for g in range(blocks):
        w[g * rb:(g + 1) * rb, g * cb:(g + 1) * cb] = 0.0
    return float((w ** 2).sum())


class BlockDiagTest(unittest.TestCase):
    def test_encoder_weights_block_diagonal(self):
        model = build_model(kind="encoder", tokens=4, dim=16, hidden=48)
        groups = blockdiag.make_block_diagonal(model, 4, seed=1)
        g_in, g_h, g_out = (np.array(groups[k]) for k in ("in", "hidden", "out"))
        for g in (g_in, g_h, g_out):
            self.assertEqual(sorted(np.bincount(g).tolist()), [len(g) // 4] * 4)
        self.assertEqual(off_block_energy(model.params["w1"], g_h, g_in, 4), 0.0)
        self.assertEqual(off_block_energy(model.params["w2"], g_out, g_h, 4), 0.0)
        # The permutation is not the identity: the test would not find it.
        self.assertFalse(np.array_equal(g_in, np.sort(g_in)))
        self.assertGreater(np.count_nonzero(model.params["w1"]), 0)

    def test_gated_weights_masked(self):
        model = build_model(kind="gated", tokens=4, dim=8, hidden=16)
        groups = blockdiag.make_block_diagonal(model, 2, seed=0)
        g_in, g_h, g_out = (np.array(groups[k]) for k in ("in", "hidden", "out"))
        for name in ("wg", "wu"):
            self.assertEqual(off_block_energy(model.params[name], g_h, g_in, 2), 0.0)
        self.assertEqual(off_block_energy(model.params["wd"], g_out, g_h, 2), 0.0)

    def test_blocks_must_divide(self):
        model = build_model(kind="encoder", tokens=4, dim=10, hidden=48)
        with self.assertRaises(ValueError):
            blockdiag.make_block_diagonal(model, 4, seed=0)

    @unittest.skipUnless(HAVE_ORT, "onnxruntime not installed")
    def test_cli_onnx_matches_reference(self):
        import onnxruntime as ort

        with tempfile.TemporaryDirectory() as d:
            self.assertEqual(blockdiag.main(["--blocks", "2", "--tokens", "3", "--dim", "8", "--hidden", "16",
                                             "--out", d]), 0)
            sess = ort.InferenceSession(os.path.join(d, "model.onnx"), providers=["CPUExecutionProvider"])
            x = np.load(os.path.join(d, "x.npy"))
            y = sess.run(None, {"x": x})[0]
            ref = np.load(os.path.join(d, "y_ref.npy"))
            self.assertLess(np.abs(y - ref).max() / np.abs(ref).max(), 1e-5)
            with open(os.path.join(d, "spec.json")) as f:
                self.assertEqual(json.load(f)["block_diag"]["blocks"], 2)


class ApproxCheckTest(unittest.TestCase):
    def write_report(self, d, name, error, before=100, after=25, applied=("block-diag",)):
        path = os.path.join(d, name)
        with open(path, "w") as f:
            json.dump({"ffns": [{"name": "ffn0", "applied": list(applied), "flops_before": before,
                                 "flops_after": after, "max_rel_error": error}]}, f)
        return path

    def test_report_checks(self):
        with tempfile.TemporaryDirectory() as d:
            r = self.write_report(d, "r.json", 1e-8)
            self.assertEqual(approx_check.main(["report", r, "--applied", "block-diag", "--max-flops-ratio", "0.35",
                                                "--max-error", "1e-6"]), 0)
            self.assertEqual(approx_check.main(["report", r, "--max-flops-ratio", "0.2"]), 1)
            self.assertEqual(approx_check.main(["report", r, "--applied", "lowrank"]), 1)
            self.assertEqual(approx_check.main(["report", r, "--max-error", "1e-9"]), 1)
            none = self.write_report(d, "none.json", None)
            self.assertEqual(approx_check.main(["report", none, "--max-error", "1"]), 1)

    def test_decreasing(self):
        with tempfile.TemporaryDirectory() as d:
            a, b, c = (self.write_report(d, f"{n}.json", e) for n, e in (("a", 0.9), ("b", 0.8), ("c", 0.8)))
            self.assertEqual(approx_check.main(["decreasing", a, b]), 0)
            self.assertEqual(approx_check.main(["decreasing", a, b, c]), 1)

    def test_measured(self):
        with tempfile.TemporaryDirectory() as d:
            dense = np.ones((4, 4), dtype=np.float32)
            got = dense * 1.1  # relative error 0.1
            np.save(os.path.join(d, "dense.npy"), dense)
            np.save(os.path.join(d, "got.npy"), got)
            args = [os.path.join(d, "dense.npy"), os.path.join(d, "got.npy")]
            self.assertEqual(approx_check.main(["measured", self.write_report(d, "ok.json", 0.15), *args]), 0)
            self.assertEqual(approx_check.main(["measured", self.write_report(d, "hi.json", 0.25), *args]), 1)
            self.assertEqual(approx_check.main(["measured", self.write_report(d, "lo.json", 0.04), *args]), 1)


if __name__ == "__main__":
    unittest.main()
