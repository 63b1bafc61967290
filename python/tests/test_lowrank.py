"""Tests of ffn_tools.lowrank: the helpers the --lowrank tests and bench use.

Truncation gives exactly the requested rank, the decaying spectrum keeps the
singular vectors and the norm, the attributes ffn-lowrank prints are parsed,
and the numpy block error is zero when nothing is truncated and grows as the
rank falls.
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

from ffn_tools import approx_check, lowrank  # noqa: E402
from ffn_tools.model import FFNSpec, build_model  # noqa: E402


class LowRankTest(unittest.TestCase):
    def test_truncate_rank(self):
        w = np.random.default_rng(0).standard_normal((20, 12)).astype(np.float32)
        for r in (1, 3, 12):
            self.assertEqual(np.linalg.matrix_rank(lowrank.truncate(w, r).astype(np.float64), tol=1e-4), r)
        np.testing.assert_allclose(lowrank.truncate(w, 12), w, rtol=1e-4, atol=1e-5)

    def test_decay_keeps_norm_and_vectors(self):
        w = np.random.default_rng(1).standard_normal((16, 8)).astype(np.float32)
        d = lowrank.with_decay(w, 1.0)
        self.assertAlmostEqual(float(np.linalg.norm(d)), float(np.linalg.norm(w)), places=3)
        s = np.linalg.svd(d.astype(np.float64), compute_uv=False)
        np.testing.assert_allclose(s / s[0], 1.0 / np.arange(1, 9), rtol=1e-4)

    def test_read_attrs(self):
        text = ('%0 = ffn.mlp(%a) {ffn.applied = ["lowrank"], ffn.lowrank_ranks = array<i64: 6, -1>, '
                'ffn.rel_error = 1.5E-7 : f64} : (tensor<2xf32>) -> tensor<2xf32> {\n'
                '%1 = ffn.mlp(%b) {ffn.lowrank_ranks = array<i64: -1>} : (tensor<2xf32>) -> tensor<2xf32> {\n')
        self.assertEqual(lowrank.read_lowrank_attrs(text),
                         [{"ranks": [6, -1], "rel_error": 1.5e-7}, {"ranks": [-1], "rel_error": None}])

    def test_numpy_block_error(self):
        spec = FFNSpec(kind="gated", tokens=4, dim=8, hidden=24)
        params = build_model(spec).params
        self.assertEqual(lowrank.numpy_block_error(spec, params, [-1, -1, -1], rows=64), 0.0)
        errors = [lowrank.numpy_block_error(spec, params, [r, r, r], rows=256) for r in (1, 4, 7)]
        self.assertTrue(errors[0] > errors[1] > errors[2] > 0.0, errors)

    def test_reported_error_falls_back_to_ffns(self):
        report = {"total": {"max_rel_error": None, "flops_before": 4, "flops_after": 2},
                  "ffns": [{"max_rel_error": 0.1}, {"max_rel_error": None}, {"max_rel_error": 0.3}]}
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "r.json")
            with open(path, "w") as f:
                json.dump(report, f)
            self.assertEqual(approx_check.reported_error(path), 0.3)


if __name__ == "__main__":
    unittest.main()
