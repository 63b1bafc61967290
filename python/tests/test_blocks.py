"""Unit tests of ffn_tools.blocks: the ViT and Llama generators' graphs and
their numpy reference against onnxruntime."""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

try:
    import numpy as np
    import onnx  # noqa: F401

    from ffn_tools import blocks
except ImportError:  # pragma: no cover
    blocks = None


@unittest.skipIf(blocks is None, "needs numpy and onnx")
class BlocksTest(unittest.TestCase):
    def test_spec_validation(self):
        with self.assertRaises(ValueError):
            blocks.BlockSpec(kind="vit", image=30, patch=8)
        with self.assertRaises(ValueError):
            blocks.BlockSpec(kind="llama", dim=12, heads=4)  # odd head size
        with self.assertRaises(ValueError):
            blocks.BlockSpec(kind="bert")

    def test_vit_graph(self):
        spec = blocks.BlockSpec(kind="vit", batch=2, image=16, patch=4, dim=16, heads=2, hidden=32,
                                dynamic=True)
        m = blocks.onnx_model(spec)
        ops = [n.op_type for n in m.graph.node]
        self.assertEqual(ops.count("Conv"), 1)
        conv = next(n for n in m.graph.node if n.op_type == "Conv")
        attrs = {a.name: list(a.ints) for a in conv.attribute if a.ints}
        self.assertEqual(attrs["kernel_shape"], [4, 4])
        self.assertEqual(attrs["strides"], [4, 4])
        dims = m.graph.input[0].type.tensor_type.shape.dim
        self.assertEqual(dims[0].dim_param, "batch")
        self.assertEqual([d.dim_value for d in dims[1:]], [3, 16, 16])
        out = m.graph.output[0].type.tensor_type.shape.dim
        self.assertEqual([d.dim_value for d in out[1:]], [17, 16])

    def test_llama_graph(self):
        spec = blocks.BlockSpec(kind="llama", layers=2, tokens=5, dim=16, heads=2, hidden=24, dynamic=True)
        m = blocks.onnx_model(spec, opset=18)
        ops = [n.op_type for n in m.graph.node]
        self.assertEqual(ops.count("Sigmoid"), 2)  # SiLU per block
        self.assertEqual(ops.count("Neg"), 4)  # rotate_half of q and k per block
        self.assertNotIn("LayerNormalization", ops)
        dims = m.graph.input[0].type.tensor_type.shape.dim
        self.assertEqual([d.dim_param for d in dims[:2]], ["batch", "sequence"])

    def test_reference_matches_onnxruntime(self):
        try:
            from ffn_tools.onnxgen import ort_session
        except ImportError:  # pragma: no cover
            self.skipTest("needs onnxruntime")
        import tempfile
        for spec in (blocks.BlockSpec(kind="vit", image=8, patch=4, dim=8, heads=2, hidden=16),
                     blocks.BlockSpec(kind="llama", tokens=4, dim=8, heads=2, hidden=16)):
            params = blocks.build_params(spec)
            x = blocks.build_input(spec)
            with tempfile.TemporaryDirectory() as d:
                path = os.path.join(d, "model.onnx")
                onnx.save_model(blocks.onnx_model(spec, params), path)
                y = ort_session(path).run(None, {"x": x})[0]
            ref = blocks.reference_forward(spec, params, x)
            self.assertEqual(y.shape, ref.shape)
            np.testing.assert_allclose(y, ref, rtol=1e-4, atol=1e-5)


if __name__ == "__main__":
    unittest.main()
