"""Writes an ONNX model with BatchNormalization in its three layouts, its
inputs and onnxruntime's outputs; then checks a compiled model against them.

    make_batch_norm_model.py write DIR OPSET  DIR/model.onnx, DIR/<input>.npy,
                                              DIR/ref/<output>.npy
    make_batch_norm_model.py check DIR M      runs the compiled model M and
                                              compares (1e-4 relative)

The layouts: ``[N, C]``; tokens ``[B, T, C]`` through the exporter's
Transpose -> BatchNormalization -> Transpose; and ``[N, C, H, W]``.
"""

import os
import subprocess
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

INPUTS = {"a": (3, 6), "t": (2, 5, 6), "img": (2, 6, 3, 4)}
OUTPUTS = {"ya": (3, 6), "yt": (2, 5, 6), "yimg": (2, 6, 3, 4)}


def write(out_dir, opset):
    rng = np.random.default_rng(7)
    c = 6
    stats = {
        "s": (1 + 0.3 * rng.standard_normal(c)),
        "b": 0.2 * rng.standard_normal(c),
        "m": 0.5 * rng.standard_normal(c),
        "v": 0.3 + rng.random(c),
    }
    inits = [numpy_helper.from_array(v.astype(np.float32), k) for k, v in stats.items()]
    params = ["s", "b", "m", "v"]
    attrs = {"training_mode": 0} if opset >= 14 else {}
    nodes = [
        helper.make_node("BatchNormalization", ["a", *params], ["ya"], name="bn_2d", epsilon=1e-3, **attrs),
        helper.make_node("Transpose", ["t"], ["tc"], name="to_channels_first", perm=[0, 2, 1]),
        helper.make_node("BatchNormalization", ["tc", *params], ["tn"], name="bn_tokens"),
        helper.make_node("Transpose", ["tn"], ["yt"], name="to_channels_last", perm=[0, 2, 1]),
        helper.make_node("BatchNormalization", ["img", *params], ["yimg"], name="bn_4d", epsilon=1e-4),
    ]
    graph = helper.make_graph(
        nodes, "batch_norm",
        [helper.make_tensor_value_info(k, TensorProto.FLOAT, s) for k, s in INPUTS.items()],
        [helper.make_tensor_value_info(k, TensorProto.FLOAT, s) for k, s in OUTPUTS.items()], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    os.makedirs(os.path.join(out_dir, "ref"), exist_ok=True)
    onnx.save_model(model, os.path.join(out_dir, "model.onnx"))
    feed = {k: rng.standard_normal(s).astype(np.float32) for k, s in INPUTS.items()}
    for k, v in feed.items():
        np.save(os.path.join(out_dir, k + ".npy"), v)
    import onnxruntime as ort

    sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    for name, value in zip([o.name for o in sess.get_outputs()], sess.run(None, feed)):
        np.save(os.path.join(out_dir, "ref", name + ".npy"), value)


def check(out_dir, exe):
    got_dir = os.path.join(out_dir, "got")
    cmd = [exe, "--output-dir", got_dir]
    for k in INPUTS:
        cmd += ["--input", f"{k}={os.path.join(out_dir, k + '.npy')}"]
    os.makedirs(got_dir, exist_ok=True)
    subprocess.run(cmd, check=True)
    ok = True
    for name in OUTPUTS:
        ref = np.load(os.path.join(out_dir, "ref", name + ".npy"))
        got = np.load(os.path.join(got_dir, name + ".npy"))
        err = float(np.max(np.abs(ref - got)) / max(np.max(np.abs(ref)), 1e-30))
        status = "ok" if got.shape == ref.shape and err <= 1e-4 else "FAIL"
        ok &= status == "ok"
        print(f"{name}: max_rel_error {err:.3e} {status}")
    return 0 if ok else 1


if __name__ == "__main__":
    if sys.argv[1] == "write":
        write(sys.argv[2], int(sys.argv[3]))
        sys.exit(0)
    sys.exit(check(sys.argv[2], sys.argv[3]))
