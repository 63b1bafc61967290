"""Unit tests of ffn_tools.dynamic_check (the dynamic-shape model set): the
set is well formed, every generator accepts its arguments and writes symbolic
dimensions the sizes cover, and input shapes are filled in by dimension name.
The compilation itself runs in test/e2e/dynamic-model-set.test."""

import contextlib
import importlib
import io
import os
import tempfile
import unittest

import numpy as np
import onnx
from onnx import TensorProto, helper

from ffn_tools import dynamic_check


class DynamicCheckTest(unittest.TestCase):
    def test_names_unique(self):
        names = [c.name for c in dynamic_check.DYNAMIC_SET]
        self.assertEqual(len(names), len(set(names)))

    def test_generators_parse_their_arguments(self):
        for case in dynamic_check.DYNAMIC_SET:
            with self.subTest(case=case.name):
                self.assertIn("--dynamic", case.args)
                self.assertGreaterEqual(len(case.sizes), 2)
                module = importlib.import_module(case.generator)
                with self.assertRaises(SystemExit) as cm, contextlib.redirect_stdout(io.StringIO()):
                    module.main([*case.args, "--out", "unused", "--help"])
                self.assertEqual(cm.exception.code, 0)

    def _model(self, path):
        x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", "seq", 4])
        m = helper.make_tensor_value_info("m", TensorProto.INT64, ["batch", "seq"])
        y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", "seq", 4])
        graph = helper.make_graph([helper.make_node("Identity", ["x"], ["y"])], "g", [x, m], [y])
        onnx.save_model(helper.make_model(graph), path)

    def test_input_shapes_by_dimension_name(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "model.onnx")
            self._model(path)
            shapes = dynamic_check._input_shapes(path, {"batch": 2, "seq": 7})
            self.assertEqual(shapes["x"], ([2, 7, 4], np.dtype(np.float32)))
            self.assertEqual(shapes["m"], ([2, 7], np.dtype(np.int64)))
            with self.assertRaisesRegex(ValueError, "no size for dimension 'seq'"):
                dynamic_check._input_shapes(path, {"batch": 2})

    def test_sizes_cover_each_generated_model(self):
        # The symbolic names each generator writes must all have sizes.
        for case in dynamic_check.DYNAMIC_SET:
            with self.subTest(case=case.name), tempfile.TemporaryDirectory() as d:
                module = importlib.import_module(case.generator)
                with contextlib.redirect_stdout(io.StringIO()):
                    module.main([*case.args, "--out", d, "--no-check"]
                                if case.generator == "ffn_tools.gen_layer" else [*case.args, "--out", d])
                for sizes in case.sizes:
                    dynamic_check._input_shapes(os.path.join(d, "model.onnx"), sizes)


if __name__ == "__main__":
    unittest.main()
