"""Unit tests of the conformance runner's pieces that need no compiler: the
expected-failure file, the opset plan, shape operands and the comparison."""

import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import numpy as np
from onnx import TensorProto, helper

from ffn_tools import conformance


def model(nodes, opset, inputs=("x",)):
    graph = helper.make_graph(
        nodes, "g",
        [helper.make_tensor_value_info(i, TensorProto.FLOAT, [2]) for i in inputs],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2])])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])


class XfailFileTest(unittest.TestCase):
    def write(self, text):
        f = tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False)
        f.write(text)
        f.close()
        self.addCleanup(os.unlink, f.name)
        return f.name

    def test_entries_and_comments(self):
        path = self.write("# comment\n\ntest_a why it fails\ntest_b  other reason\n")
        self.assertEqual(conformance.read_xfail(path),
                         {"test_a": "why it fails", "test_b": "other reason"})

    def test_entry_without_reason_is_rejected(self):
        with self.assertRaisesRegex(ValueError, "has no reason"):
            conformance.read_xfail(self.write("test_a\n"))

    def test_duplicate_is_rejected(self):
        with self.assertRaisesRegex(ValueError, "listed twice"):
            conformance.read_xfail(self.write("test_a x\ntest_a y\n"))


class OpsetPlanTest(unittest.TestCase):
    def test_supported_opset_is_kept(self):
        m = model([helper.make_node("Relu", ["x"], ["y"])], 17)
        self.assertEqual(conformance.plan_opset(m, {"Relu"}, 13, 21), (17, None))

    def test_old_opset_is_skipped(self):
        m = model([helper.make_node("Relu", ["x"], ["y"])], 11)
        opset, reason = conformance.plan_opset(m, {"Relu"}, 13, 21)
        self.assertIsNone(opset)
        self.assertIn("made for opset 11", reason)

    def test_newer_opset_without_changes_imports_at_21(self):
        m = model([helper.make_node("Add", ["x", "x"], ["y"])], 25)
        self.assertEqual(conformance.plan_opset(m, {"Add"}, 13, 21), (21, None))

    def test_changed_op_is_skipped(self):
        m = model([helper.make_node("Range", ["x", "x", "x"], ["y"])], 27)
        opset, reason = conformance.plan_opset(m, {"Range"}, 13, 21)
        self.assertIsNone(opset)
        self.assertIn("Range-27", reason)

    def test_inert_attribute_only_when_unset(self):
        plain = model([helper.make_node("Cast", ["x"], ["y"], to=1)], 25)
        self.assertEqual(conformance.plan_opset(plain, {"Cast"}, 13, 21), (21, None))
        rounded = model([helper.make_node("Cast", ["x"], ["y"], to=1,
                                          round_mode="up")], 25)
        self.assertIsNone(conformance.plan_opset(rounded, {"Cast"}, 13, 21)[0])


class ShapeInputsTest(unittest.TestCase):
    def test_shape_operand_inputs(self):
        m = model([helper.make_node("Reshape", ["x", "s"], ["y"])], 17,
                  inputs=("x", "s"))
        self.assertEqual(conformance.shape_inputs(m.graph), {"s"})


class CompareTest(unittest.TestCase):
    def test_dtype_must_match(self):
        why = conformance._compare("y", np.zeros(2, np.float32),
                                   np.zeros(2, np.float64), 1e-3, 1e-7)
        self.assertIn("dtype", why)

    def test_tolerance(self):
        expected = np.array([1.0, 2.0], np.float32)
        self.assertIsNone(conformance._compare("y", expected, expected * 1.0001,
                                               1e-3, 1e-7))
        self.assertIn("differs", conformance._compare("y", expected, expected * 1.01,
                                                      1e-3, 1e-7))

    def test_integers_are_exact(self):
        self.assertIn("1 of 2", conformance._compare(
            "y", np.array([1, 2]), np.array([1, 3]), 1e-3, 1e-7))


if __name__ == "__main__":
    unittest.main()
