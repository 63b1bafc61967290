"""Writes the binary ONNX models of the importer tests (what the text syntax
cannot say: raw_data, node names, external data, broken files).

    make_model.py raw-data OUT.onnx
    make_model.py external DIR LOCATION [--offset N] [--data-file PATH]
    make_model.py truncated OUT.onnx
"""

import argparse
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

W = np.arange(6, dtype=np.float32).reshape(2, 3) + 1  # [[1, 2, 3], [4, 5, 6]]
B = np.array([0.5, -0.5, 0.25], dtype=np.float32)


def linear_model(inits):
    """y = MatMul(x, W) + b with named nodes, as exporters write them."""
    nodes = [
        helper.make_node("MatMul", ["x", "W"], ["h"], name="fc1/MatMul"),
        helper.make_node("Add", ["h", "b"], ["y"], name="fc1/Add"),
    ]
    graph = helper.make_graph(
        nodes, "linear",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [4, 2])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [4, 3])],
        initializer=inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)],
                             ir_version=8)


def external_tensor(name, array, location, offset):
    t = TensorProto()
    t.name = name
    t.data_type = TensorProto.FLOAT
    t.dims.extend(array.shape)
    t.data_location = TensorProto.EXTERNAL
    for key, value in (("location", location), ("offset", str(offset)),
                       ("length", str(array.nbytes))):
        entry = t.external_data.add()
        entry.key, entry.value = key, value
    return t


def main():
    p = argparse.ArgumentParser()
    p.add_argument("kind", choices=["raw-data", "external", "truncated"])
    p.add_argument("out")
    p.add_argument("location", nargs="?")
    p.add_argument("--offset", type=int, default=0)
    p.add_argument("--data-file", help="where to write the data (default: "
                   "LOCATION in DIR; 'none' writes nothing)")
    args = p.parse_args()

    if args.kind == "raw-data":
        m = linear_model([numpy_helper.from_array(W, "W"),
                          numpy_helper.from_array(B, "b")])
        assert m.graph.initializer[0].HasField("raw_data")
        onnx.save(m, args.out)
    elif args.kind == "truncated":
        data = linear_model([numpy_helper.from_array(W, "W"),
                             numpy_helper.from_array(B, "b")]).SerializeToString()
        with open(args.out, "wb") as f:
            f.write(data[: len(data) // 2])
    else:
        os.makedirs(args.out, exist_ok=True)
        # W at the given offset, b right after it at an unaligned offset (the
        # importer copies what it cannot map aligned).
        b_offset = args.offset + W.nbytes + 2
        m = linear_model([external_tensor("W", W, args.location, args.offset),
                          external_tensor("b", B, args.location, b_offset)])
        onnx.save(m, os.path.join(args.out, "model.onnx"))
        data_file = args.data_file or os.path.join(args.out, args.location)
        if data_file != "none":
            blob = bytearray(b_offset + B.nbytes)
            blob[args.offset:args.offset + W.nbytes] = W.tobytes()
            blob[b_offset:] = B.tobytes()
            os.makedirs(os.path.dirname(os.path.abspath(data_file)), exist_ok=True)
            with open(data_file, "wb") as f:
                f.write(bytes(blob))


if __name__ == "__main__":
    main()
