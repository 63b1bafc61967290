"""Writes a model whose run-time boolean mask is materialised in a buffer
(Equal -> Transpose -> Where and Cast), its inputs and numpy's outputs, to
the folder given as the only argument."""

import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper

out = sys.argv[1]
S, P = [2, 37, 64], [2, 64, 37]
graph = helper.make_graph(
    [helper.make_node("Equal", ["x", "y"], ["m"]),
     helper.make_node("Transpose", ["m"], ["mt"], perm=[0, 2, 1]),
     helper.make_node("Where", ["mt", "a", "b"], ["z"]),
     helper.make_node("Cast", ["mt"], ["c"], to=TensorProto.FLOAT)],
    "bool_buffer",
    [helper.make_tensor_value_info("x", TensorProto.FLOAT, S),
     helper.make_tensor_value_info("y", TensorProto.FLOAT, S),
     helper.make_tensor_value_info("a", TensorProto.FLOAT, P),
     helper.make_tensor_value_info("b", TensorProto.FLOAT, P)],
    [helper.make_tensor_value_info("z", TensorProto.FLOAT, P),
     helper.make_tensor_value_info("c", TensorProto.FLOAT, P)])
onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]),
          os.path.join(out, "model.onnx"))
rng = np.random.default_rng(1)
x = rng.integers(0, 3, S).astype(np.float32)
y = rng.integers(0, 3, S).astype(np.float32)
a = rng.standard_normal(P).astype(np.float32)
b = rng.standard_normal(P).astype(np.float32)
for name, value in zip("xyab", (x, y, a, b)):
    np.save(os.path.join(out, name + ".npy"), value)
mask = (x == y).transpose(0, 2, 1)
np.save(os.path.join(out, "z_ref.npy"), np.where(mask, a, b))
np.save(os.path.join(out, "c_ref.npy"), mask.astype(np.float32))
