"""Tests of ffn_tools.repavit: the RePaViT-style channel-idle FFN generator.

The ONNX graph (Slice and Split forms, with and without BatchNorm and
residual, static and symbolic dimensions) must compute what the float64 numpy
reference computes, and the reparameterised form the compiler derives
(``W2a act(W1a x + b1a) + (I + W2l W1l) x + c``) must equal the model.
"""

import os
import sys
import tempfile
import unittest

TESTS_DIR = os.path.dirname(os.path.abspath(__file__))
PYTHON_DIR = os.path.dirname(TESTS_DIR)
if PYTHON_DIR not in sys.path:
    sys.path.insert(0, PYTHON_DIR)

import numpy as np  # noqa: E402

from ffn_tools import repavit  # noqa: E402

try:
    import onnx  # noqa: F401
    import onnxruntime  # noqa: F401

    HAVE_ORT = True
except ImportError:
    HAVE_ORT = False


class SpecTest(unittest.TestCase):
    def test_active_channels(self):
        self.assertEqual(repavit.RepavitSpec(hidden=128, idle=0.75).active, 32)
        self.assertEqual(repavit.RepavitSpec(hidden=96, idle=0.5).active, 48)

    def test_rejects_degenerate_ratios(self):
        for idle in (0.0, 1.0, 0.999):
            with self.assertRaises(ValueError):
                repavit.RepavitSpec(hidden=16, idle=idle)
        with self.assertRaises(ValueError):
            repavit.RepavitSpec(form="gather")

    def test_reparameterised_form_equals_model(self):
        """The algebra ffn-repavit-reparam implements, in float64."""
        for residual in (True, False):
            spec = repavit.RepavitSpec(tokens=6, dim=12, hidden=48, bn=False, residual=residual, seed=4)
            p = repavit.build_params(spec)
            x = repavit.build_input(spec)
            ref = repavit.reference_forward(spec, p, x)
            k = spec.active
            w1, b1, w2, b2 = (p[n].astype(np.float64) for n in ("w1", "b1", "w2", "b2"))
            h = x.astype(np.float64) @ w1[:k].T + b1[:k]
            act = 0.5 * h * (1 + np.vectorize(__import__("math").erf)(h / np.sqrt(2)))
            m = w2[:, k:] @ w1[k:] + (np.eye(spec.dim) if residual else 0)
            c = w2[:, k:] @ b1[k:] + b2
            got = act @ w2[:, :k].T + x.astype(np.float64) @ m.T + c
            np.testing.assert_allclose(got, ref, rtol=1e-10, atol=1e-10)


@unittest.skipUnless(HAVE_ORT, "needs onnx and onnxruntime")
class GenerateTest(unittest.TestCase):
    def test_forms_match_reference(self):
        with tempfile.TemporaryDirectory() as tmp:
            for i, (form, dynamic, opset) in enumerate([("slice", False, 17), ("split", True, 18)]):
                spec = repavit.RepavitSpec(batch=2, tokens=3, dim=8, hidden=32, form=form, seed=i)
                meta = repavit.generate(spec, os.path.join(tmp, str(i)), opset=opset, dynamic=dynamic)
                self.assertLessEqual(meta["onnxruntime_vs_numpy"], 1e-5)
                model = onnx.load(os.path.join(tmp, str(i), "model.onnx"))
                ops = [n.op_type for n in model.graph.node]
                self.assertIn("BatchNormalization", ops)
                self.assertIn("Slice" if form == "slice" else "Split", ops)
                dims = model.graph.input[0].type.tensor_type.shape.dim
                self.assertEqual(dims[0].dim_param == "batch", dynamic)


if __name__ == "__main__":
    unittest.main()
