"""Writes one ONNX model that exercises the importer's data-movement, shape
and attention ops on run-time data, its inputs, and onnxruntime's outputs;
then checks a compiled model's outputs against them.

    make_op_model.py write DIR    DIR/model.onnx, DIR/<input>.npy, DIR/ref/<output>.npy
    make_op_model.py check DIR M  runs the compiled model M on the inputs and
                                  compares its outputs with the references
"""

import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

INPUTS = {
    "x": (2, 3, 4),
    "a": (3,),
    "b": (2, 3),
    "p": (2, 1, 3, 4),
    "v": (5, 4, 2),
    "r": (4,),
    "x3": (2, 3, 5),
    "w": (5, 3),
}


def i64(name, values):
    return numpy_helper.from_array(np.array(values, dtype=np.int64), name)


def build():
    n = helper.make_node
    inits = [
        i64("idx", [[2, 0], [-1, 2]]),
        i64("last", -1),
        i64("ids", [2, 0, 2]),
        numpy_helper.from_array(np.arange(12, dtype=np.float32).reshape(3, 4) / 7, "table"),
        i64("st", [0, 1]), i64("en", [100, 4]), i64("ax", [2, 1]), i64("sp", [2, 1]),
        i64("sizes", [1, 2]),
        i64("shape432", [4, 3, 2]),
        i64("shape_e", [4, 1, 3]),
        i64("ax02", [0, 2]),
        i64("shape23", [2, 3]),
        numpy_helper.from_array(np.array(-1e9, dtype=np.float32), "neg"),
        numpy_helper.from_array(np.tril(np.ones((3, 4), dtype=bool)), "causal"),
    ]
    nodes = [
        n("Gather", ["x", "idx"], ["gather_generic"], axis=2),
        n("Gather", ["x", "last"], ["gather_scalar"], axis=1),
        n("Gather", ["table", "ids"], ["gather_embed"]),
        n("Slice", ["x", "st", "en", "ax", "sp"], ["slice_step"]),
        n("Split", ["x", "sizes"], ["split0", "split1"], axis=1),
        n("Concat", ["split1", "split0"], ["concat"], axis=1),
        n("Equal", ["a", "b"], ["eq"]),
        n("Cast", ["eq"], ["eq_float"], to=TensorProto.FLOAT),
        n("Where", ["eq", "b", "neg"], ["where_rt"]),
        n("Where", ["causal", "x", "neg"], ["where_mask"]),
        n("Expand", ["b", "shape_e"], ["expand"]),
        n("Softmax", ["x"], ["softmax_axis1"], axis=1),
        n("Transpose", ["x"], ["transpose"]),
        n("MatMul", ["p", "v"], ["matmul_bcast"]),
        n("MatMul", ["r", "v"], ["matmul_vec"]),
        n("MatMul", ["x3", "w"], ["matmul_rows"]),
        n("Reshape", ["x", "shape432"], ["reshape"]),
        n("Unsqueeze", ["reshape", "ax02"], ["unsq"]),
        n("Squeeze", ["unsq", "ax02"], ["squeezed"]),
        n("ConstantOfShape", ["shape23"], ["half"],
          value=numpy_helper.from_array(np.array([0.5], dtype=np.float32))),
        n("Add", ["b", "half"], ["cos_add"]),
    ]
    outputs = ["gather_generic", "gather_scalar", "gather_embed", "slice_step", "concat", "split0",
               "split1", "eq_float", "where_rt", "where_mask", "expand", "softmax_axis1", "transpose",
               "matmul_bcast", "matmul_vec", "matmul_rows", "reshape", "squeezed", "cos_add"]
    graph = helper.make_graph(
        nodes, "ops",
        [helper.make_tensor_value_info(k, TensorProto.FLOAT, s) for k, s in INPUTS.items()],
        [], initializer=inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)
    # The outputs' shapes, as exporters declare them, from shape inference.
    inferred = {vi.name: vi for vi in onnx.shape_inference.infer_shapes(model).graph.value_info}
    model.graph.output.extend(inferred[o] for o in outputs)
    onnx.checker.check_model(model)
    return model, outputs


def inputs():
    rng = np.random.default_rng(3)
    data = {k: rng.standard_normal(s).astype(np.float32) for k, s in INPUTS.items()}
    # Equal needs equal elements: a few of b repeat a.
    data["b"][0, 0] = data["a"][0]
    data["b"][1, 2] = data["a"][2]
    return data


def main():
    mode, d = sys.argv[1], sys.argv[2]
    if mode == "write":
        import onnxruntime as ort

        model, outputs = build()
        os.makedirs(os.path.join(d, "ref"), exist_ok=True)
        onnx.save_model(model, os.path.join(d, "model.onnx"))
        data = inputs()
        for k, v in data.items():
            np.save(os.path.join(d, k + ".npy"), v)
        sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
        for name, value in zip(outputs, sess.run(outputs, data)):
            np.save(os.path.join(d, "ref", name + ".npy"), value)
    else:
        import subprocess

        from ffn_tools.compare import compare  # PYTHONPATH from lit

        got_dir = os.path.join(d, "out")
        os.makedirs(got_dir, exist_ok=True)
        args = [sys.argv[3]]
        for k in INPUTS:
            args += ["--input", f"{k}={os.path.join(d, k)}.npy"]
        subprocess.check_call(args + ["--output-dir", got_dir])
        _, outputs = build()
        failed = 0
        for name in outputs:
            ref = np.load(os.path.join(d, "ref", name + ".npy"))
            got = np.load(os.path.join(got_dir, name + ".npy"))
            ok, lines = compare(ref, got, 1e-5)
            print(f"{name}: {'ok' if ok else 'FAIL'} {' '.join(lines)}")
            failed += not ok
        print(f"{len(outputs) - failed} passed, {failed} failed")
        return 1 if failed else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
