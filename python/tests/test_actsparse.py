"""Tests of ffn_tools.actsparse (ReLU FFNs with a chosen fraction of zero
activations, for --activation-sparsity).

The bias shift must give about the requested fraction of zero activations
(exactly all or none at the extremes), the files written must agree with a
numpy float64 forward pass of the same weights (onnxruntime's y_ref, 1e-5),
and the gated variant likewise.
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

from ffn_tools import actsparse  # noqa: E402
from ffn_tools.compare import max_rel_error  # noqa: E402

try:
    import onnxruntime  # noqa: F401

    HAVE_ORT = True
except ImportError:
    HAVE_ORT = False


class ZeroFractionTest(unittest.TestCase):
    def test_shift_gives_the_fraction(self):
        # 64 tokens x 512 neurons: the measured fraction is within a few
        # points of the target.
        for target in (0.5, 0.9, 0.97):
            model = actsparse.build(tokens=64, dim=128, hidden=512, zero_fraction=target)
            got = actsparse.measured_zero_fraction(model)
            self.assertLess(abs(got - target), 0.05, f"target {target}: measured {got}")

    def test_extremes_are_exact(self):
        self.assertEqual(actsparse.measured_zero_fraction(actsparse.build(8, 32, 64, 1.0)), 1.0)
        self.assertEqual(actsparse.measured_zero_fraction(actsparse.build(8, 32, 64, 0.0)), 0.0)

    def test_skipped_is_at_most_zero_fraction(self):
        # A neuron is skipped only when it is zero for every token.
        model = actsparse.build(tokens=8, dim=64, hidden=256, zero_fraction=0.9)
        self.assertLessEqual(actsparse.skipped_fraction(model), actsparse.measured_zero_fraction(model))
        one = actsparse.build(tokens=1, dim=64, hidden=256, zero_fraction=0.9)
        self.assertEqual(actsparse.skipped_fraction(one), actsparse.measured_zero_fraction(one))


@unittest.skipUnless(HAVE_ORT, "onnxruntime is not installed")
class GenerateTest(unittest.TestCase):
    def test_encoder_files_agree_with_numpy(self):
        with tempfile.TemporaryDirectory() as d:
            meta = actsparse.generate(d, tokens=3, dim=24, hidden=80, zero_fraction=0.9, seed=2)
            model = actsparse.build(3, 24, 80, 0.9, seed=2)
            p = {k: v.astype(np.float64) for k, v in model.params.items()}
            first, second = model.spec.linears()
            x = np.load(os.path.join(d, "x.npy")).astype(np.float64)
            h = np.maximum(x @ p[first.weight].T + p[first.bias], 0)
            y = h @ p[second.weight].T + p[second.bias]
            self.assertLess(max_rel_error(y, np.load(os.path.join(d, "y_ref.npy"))), 1e-5)
            with open(os.path.join(d, "spec.json")) as f:
                self.assertEqual(json.load(f)["zero_fraction"], meta["zero_fraction"])
            self.assertTrue(os.path.exists(os.path.join(d, "model.mlir")))

    def test_gated_drelu_zero_fraction(self):
        with tempfile.TemporaryDirectory() as d:
            relu = actsparse.generate_gated(d, tokens=16, dim=32, hidden=128, zero_fraction=0.5)
            drelu = actsparse.generate_gated(d, tokens=16, dim=32, hidden=128, zero_fraction=0.5, drelu=True)
            # dReLU zeroes the up projection's negative half as well.
            self.assertGreater(drelu["zero_fraction"], relu["zero_fraction"] + 0.1)
            self.assertTrue(np.all(np.isfinite(np.load(os.path.join(d, "y_ref.npy")))))


if __name__ == "__main__":
    unittest.main()
