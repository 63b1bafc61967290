"""Writes one ONNX model of patch-embedding convolutions (and Flatten), its
inputs and onnxruntime's outputs; then checks a compiled model's outputs
against them.

    make_conv_model.py write DIR    DIR/model.onnx, DIR/<input>.npy, DIR/ref/<output>.npy
    make_conv_model.py check DIR M  runs the compiled model M on the inputs and
                                    compares its outputs with the references

The cases: a ViT-style embedding (3 channels, 4x4 patches, bias) followed by
the exporter's Reshape + Transpose to tokens; a non-square kernel on an image
whose sides are not multiples of it (the output rounds down), without bias
and with auto_pad=VALID; one channel with 1x1 patches (a per-pixel linear
layer); two general convolutions (overlapping 3x3 windows with strides,
asymmetric pads and dilation; and a grouped one with auto_pad=SAME_UPPER);
and Flatten at axes 0, 1, 2 and -1.
"""

import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

INPUTS = {
    "img": (2, 3, 8, 12),
    "odd": (1, 2, 7, 9),
    "gray": (2, 1, 3, 5),
}


def build():
    rng = np.random.default_rng(7)
    n = helper.make_node

    def w(name, shape):
        return numpy_helper.from_array(rng.standard_normal(shape).astype(np.float32), name)

    inits = [
        w("w_vit", (5, 3, 4, 4)), w("b_vit", (5,)),
        w("w_odd", (3, 2, 2, 4)),
        w("w_gray", (4, 1, 1, 1)), w("b_gray", (4,)),
        w("w_gen", (6, 3, 3, 3)), w("b_gen", (6,)),
        w("w_grp", (6, 1, 3, 3)),
        numpy_helper.from_array(np.array([2, 5, -1], dtype=np.int64), "tok_shape"),
    ]
    nodes = [
        n("Conv", ["img", "w_vit", "b_vit"], ["conv_vit"], kernel_shape=[4, 4], strides=[4, 4],
          pads=[0, 0, 0, 0], dilations=[1, 1], group=1),
        n("Reshape", ["conv_vit", "tok_shape"], ["flat_vit"]),
        n("Transpose", ["flat_vit"], ["tokens"], perm=[0, 2, 1]),
        n("Conv", ["odd", "w_odd"], ["conv_odd"], strides=[2, 4], auto_pad="VALID"),
        n("Conv", ["gray", "w_gray", "b_gray"], ["conv_gray"], kernel_shape=[1, 1], strides=[1, 1]),
        n("Conv", ["img", "w_gen", "b_gen"], ["conv_general"], strides=[2, 1], pads=[1, 0, 2, 1],
          dilations=[1, 2]),
        n("Conv", ["img", "w_grp"], ["conv_group"], group=3, strides=[2, 2], auto_pad="SAME_UPPER"),
        n("Flatten", ["img"], ["flatten1"]),
        n("Flatten", ["img"], ["flatten0"], axis=0),
        n("Flatten", ["img"], ["flatten2"], axis=2),
        n("Flatten", ["img"], ["flatten_last"], axis=-1),
    ]
    outputs = ["conv_vit", "tokens", "conv_odd", "conv_gray", "conv_general", "conv_group", "flatten1", "flatten0", "flatten2",
               "flatten_last"]
    graph = helper.make_graph(
        nodes, "conv",
        [helper.make_tensor_value_info(k, TensorProto.FLOAT, s) for k, s in INPUTS.items()],
        [], initializer=inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)
    inferred = {vi.name: vi for vi in onnx.shape_inference.infer_shapes(model).graph.value_info}
    model.graph.output.extend(inferred[o] for o in outputs)
    onnx.checker.check_model(model)
    return model, outputs


def inputs():
    rng = np.random.default_rng(3)
    return {k: rng.standard_normal(s).astype(np.float32) for k, s in INPUTS.items()}


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
        return 0
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


if __name__ == "__main__":
    sys.exit(main())
