"""Tests of ffn_tools: model generation, MLIR and ONNX writers, the numpy
reference, the CLIs and the benchmark plumbing.

Standard-library unittest only. Run with any of::

    python3 -m pytest python/tests
    python3 -m unittest discover -s python/tests
    python3 python/tests/test_mlirgen.py

Tests that need ``build/bin/ffn-opt`` skip when it is absent. The benchmark
scripts are exercised with ``fake_ffn_compile.py`` instead of the real
compiler.
"""

import io
import itertools
import math
import os
import re
import subprocess
import sys
import tempfile
import time
import unittest
from contextlib import redirect_stdout

TESTS_DIR = os.path.dirname(os.path.abspath(__file__))
PYTHON_DIR = os.path.dirname(TESTS_DIR)
REPO_ROOT = os.path.dirname(PYTHON_DIR)
if PYTHON_DIR not in sys.path:
    sys.path.insert(0, PYTHON_DIR)

import numpy as np  # noqa: E402

from ffn_tools import compare as compare_mod  # noqa: E402
from ffn_tools import gen, timing  # noqa: E402
from ffn_tools.mlirgen import build_model, mlir_text, resource_blob, write_mlir  # noqa: E402
from ffn_tools.model import ACTIVATIONS, NORMS, FFNSpec  # noqa: E402
from ffn_tools.onnxgen import onnx_model, run_onnxruntime  # noqa: E402
from ffn_tools.reference import Float32Runner, erf, reference_forward  # noqa: E402

FFN_OPT = os.path.join(REPO_ROOT, "build", "bin", "ffn-opt")
FAKE_COMPILE = os.path.join(TESTS_DIR, "fake_ffn_compile.py")
SMALL = dict(tokens=7, dim=40, hidden=100)


def all_small_specs():
    """Every structural variant, on the small shape."""
    for act, bias, norm, residual, batch in itertools.product(
        ACTIVATIONS, (True, False), NORMS, (False, True), (None, 2)
    ):
        yield FFNSpec(kind="encoder", act=act, bias=bias, norm=norm, residual=residual, batch=batch, **SMALL)
    for act, norm, residual, batch in itertools.product(ACTIVATIONS, NORMS, (False, True), (None, 3)):
        yield FFNSpec(kind="gated", act=act, norm=norm, residual=residual, batch=batch, **SMALL)


def rel_err(ref, got):
    return compare_mod.max_rel_error(ref, got)


def parse_resources(text):
    """name -> float32 array from the dialect_resources section."""
    out = {}
    for name, hexdata in re.findall(r'^\s*(\w+): "0x([0-9A-Fa-f]+)"', text, re.M):
        raw = bytes.fromhex(hexdata)
        assert raw[:4] == b"\x04\x00\x00\x00", name
        out[name] = np.frombuffer(raw[4:], dtype="<f4")
    return out


class ErfTest(unittest.TestCase):
    def test_matches_math_erf(self):
        xs = np.concatenate([np.linspace(-9, 9, 40001), [0.0, -0.0, 1e-12, 2.999999, 3.0, 3.000001, 27.0]])
        ref = np.array([math.erf(v) for v in xs])
        got = erf(xs)
        err = np.abs(got - ref) / np.maximum(np.abs(ref), 1e-300)
        self.assertLess(err.max(), 1e-13)

    def test_special_values(self):
        got = erf(np.array([np.inf, -np.inf, np.nan]))
        self.assertEqual(got[0], 1.0)
        self.assertEqual(got[1], -1.0)
        self.assertTrue(np.isnan(got[2]))

    def test_fast_enough(self):
        x = np.random.default_rng(0).standard_normal(400_000) * 3
        t0 = time.perf_counter()
        erf(x)
        self.assertLess(time.perf_counter() - t0, 5.0)


class SpecTest(unittest.TestCase):
    def test_defaults_by_kind(self):
        e = FFNSpec(kind="encoder")
        g = FFNSpec(kind="gated")
        self.assertEqual((e.act, e.bias), ("gelu", True))
        self.assertEqual((g.act, g.bias), ("silu", False))
        self.assertEqual(FFNSpec(norm="layer").eps, 1e-5)
        self.assertEqual(FFNSpec(norm="rms").eps, 1e-6)

    def test_rejects_bad_specs(self):
        with self.assertRaises(ValueError):
            FFNSpec(kind="gated", bias=True)
        with self.assertRaises(ValueError):
            FFNSpec(act="tanh")
        with self.assertRaises(ValueError):
            FFNSpec(tokens=0)

    def test_flops_and_roundtrip(self):
        s = FFNSpec(tokens=128, dim=768, hidden=3072)
        self.assertEqual(s.flops(), 2 * 128 * 768 * 3072 * 2)
        self.assertEqual(FFNSpec(kind="gated", tokens=4, dim=8, hidden=16, batch=2).flops(), 2 * 8 * 8 * 16 * 3)
        self.assertEqual(FFNSpec.from_dict(s.to_dict()), s)

    def test_seeded(self):
        a, b = build_model(seed=3, **SMALL), build_model(seed=3, **SMALL)
        c = build_model(seed=4, **SMALL)
        np.testing.assert_array_equal(a.params["w1"], b.params["w1"])
        np.testing.assert_array_equal(a.x, b.x)
        self.assertFalse(np.array_equal(a.params["w1"], c.params["w1"]))

    def test_weight_scale(self):
        m = build_model(tokens=4, dim=512, hidden=2048)
        self.assertAlmostEqual(float(m.params["w1"].std()), 1 / math.sqrt(512), delta=0.002)
        self.assertAlmostEqual(float(m.params["w2"].std()), 1 / math.sqrt(2048), delta=0.001)
        self.assertEqual(m.params["w1"].dtype, np.float32)


class NumericsTest(unittest.TestCase):
    """onnxruntime and the float32 numpy runner agree with the reference."""

    def test_every_variant(self):
        for spec in all_small_specs():
            with self.subTest(spec=spec.describe()):
                m = build_model(spec)
                ref = reference_forward(m)
                self.assertEqual(ref.shape, spec.token_shape)
                self.assertEqual(ref.dtype, np.float32)
                got = run_onnxruntime(onnx_model(m), m.x)
                self.assertLess(rel_err(ref, got), 1e-5)
                self.assertLess(rel_err(ref, Float32Runner(m)(m.x)), 1e-5)

    def test_opset18_and_dynamic_batch(self):
        spec = FFNSpec(kind="gated", norm="rms", residual=True, batch=2, **SMALL)
        m = build_model(spec)
        model = onnx_model(m, opset=18, dynamic_batch=True)
        self.assertEqual(model.graph.input[0].type.tensor_type.shape.dim[0].dim_param, "batch")
        self.assertLess(rel_err(reference_forward(m), run_onnxruntime(model, m.x)), 1e-5)
        x5 = np.random.default_rng(1).standard_normal((5, 7, 40)).astype(np.float32)
        self.assertLess(rel_err(reference_forward(m, x5), run_onnxruntime(model, x5)), 1e-5)

    def test_onnx_ops_are_the_exported_ones(self):
        def ops(**kw):
            return [n.op_type for n in onnx_model(build_model(**SMALL, **kw)).graph.node]

        self.assertEqual(ops(), ["MatMul", "Add", "Div", "Erf", "Add", "Mul", "Mul", "MatMul", "Add"])
        self.assertIn("Tanh", ops(act="gelu_tanh"))
        self.assertIn("LayerNormalization", ops(norm="layer"))
        self.assertEqual(ops(kind="gated", norm="rms", residual=True)[:6],
                         ["Pow", "ReduceMean", "Add", "Sqrt", "Div", "Mul"])
        self.assertIn("Sigmoid", ops(kind="gated"))
        self.assertEqual(ops(residual=True)[-1], "Add")

    def test_bert_size(self):
        m = build_model(tokens=128, dim=768, hidden=3072, norm="layer", residual=True)
        ref = reference_forward(m)
        self.assertLess(rel_err(ref, run_onnxruntime(onnx_model(m), m.x)), 1e-5)


class MlirTextTest(unittest.TestCase):
    def test_blob_encoding(self):
        a = np.array([1.0, -2.5, 0.1], dtype=np.float32)
        blob = resource_blob(a)
        self.assertTrue(blob.startswith('"0x04000000'))
        self.assertEqual(np.frombuffer(bytes.fromhex(blob[3:-1])[4:], "<f4").tolist(), a.tolist())

    def test_resources_hold_the_weights(self):
        for spec in (FFNSpec(norm="layer", **SMALL), FFNSpec(kind="gated", norm="rms", **SMALL)):
            m = build_model(spec)
            res = parse_resources(mlir_text(m))
            self.assertEqual(sorted(res), sorted(m.params))
            for name, arr in m.params.items():
                np.testing.assert_array_equal(res[name], arr.ravel())

    def test_structure(self):
        text = mlir_text(build_model(norm="layer", residual=True, batch=2, **SMALL))
        func = text.split("{-#")[0]
        self.assertIn('func.func @main(%x: tensor<2x7x40xf32> {ffn.name = "x"}) -> '
                      '(tensor<2x7x40xf32> {ffn.name = "y"})', func)
        self.assertIn("ffn.layer_norm %x scale %ln_scale bias %ln_bias {epsilon = 1.000000e-05 : f32}", func)
        self.assertEqual(func.count("ffn.mlp("), 1)
        self.assertIn("ffn.gelu %h : tensor<2x7x100xf32>", func)
        self.assertIn("%r = arith.addf %x, %y : tensor<2x7x40xf32>", func)
        self.assertIn("return %r", func)
        text = mlir_text(build_model(act="gelu_tanh", bias=False, **SMALL)).split("{-#")[0]
        self.assertIn("approximate<tanh>", text)
        self.assertIn("ffn.linear %a, %p_w1 : (tensor<7x40xf32>, tensor<100x40xf32>) -> tensor<7x100xf32>", text)
        text = mlir_text(build_model(kind="gated", **SMALL)).split("{-#")[0]
        self.assertIn("%m = arith.mulf %s, %u : tensor<7x100xf32>", text)

    def test_bert_size_written_fast(self):
        m = build_model(tokens=128, dim=768, hidden=3072)
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "m.mlir")
            t0 = time.perf_counter()
            write_mlir(m, path)
            elapsed = time.perf_counter() - t0
            size = os.path.getsize(path)
        self.assertLess(elapsed, 5.0)
        n = sum(a.size for a in m.params.values())
        self.assertGreater(size, 8 * n)

    @unittest.skipUnless(os.access(FFN_OPT, os.X_OK), "build/bin/ffn-opt not built")
    def test_ffn_opt_parses_every_variant(self):
        with tempfile.TemporaryDirectory() as d:
            for i, spec in enumerate(all_small_specs()):
                path = os.path.join(d, f"m{i}.mlir")
                write_mlir(build_model(spec), path)
                proc = subprocess.run([FFN_OPT, path, "--mlir-elide-resource-strings-if-larger=16"],
                                      capture_output=True, text=True)
                self.assertEqual(proc.returncode, 0, f"{spec.describe()}:\n{proc.stderr[-2000:]}")

    @unittest.skipUnless(os.access(FFN_OPT, os.X_OK), "build/bin/ffn-opt not built")
    def test_ffn_opt_keeps_the_weights(self):
        m = build_model(kind="gated", norm="rms", residual=True, **SMALL)
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "m.mlir")
            write_mlir(m, path)
            out = subprocess.run([FFN_OPT, path], capture_output=True, text=True, check=True).stdout
        res = parse_resources(out)
        for name, arr in m.params.items():
            np.testing.assert_array_equal(res[name], arr.ravel())


class CliTest(unittest.TestCase):
    def test_gen_writes_consistent_files(self):
        with tempfile.TemporaryDirectory() as d:
            with redirect_stdout(io.StringIO()):
                rc = gen.main(["--kind", "encoder", "--tokens", "5", "--dim", "16", "--hidden", "32",
                               "--batch", "2", "--act", "silu", "--no-bias", "--norm", "rms", "--residual",
                               "--seed", "7", "--out", d])
            self.assertEqual(rc, 0)
            for f in ("model.mlir", "model.onnx", "x.npy", "y_ref.npy", "spec.json"):
                self.assertTrue(os.path.exists(os.path.join(d, f)), f)
            x, y = np.load(os.path.join(d, "x.npy")), np.load(os.path.join(d, "y_ref.npy"))
            self.assertEqual(x.shape, (2, 5, 16))
            self.assertEqual(y.dtype, np.float32)
            spec = gen.load_spec(d)
            self.assertEqual((spec.act, spec.bias, spec.norm, spec.seed), ("silu", False, "rms", 7))
            self.assertLess(rel_err(y, run_onnxruntime(os.path.join(d, "model.onnx"), x)), 1e-5)

    def test_gen_as_module(self):
        with tempfile.TemporaryDirectory() as d:
            proc = subprocess.run([sys.executable, "-m", "ffn_tools.gen", "--kind", "gated", "--out", d],
                                  cwd=PYTHON_DIR, capture_output=True, text=True)
            self.assertEqual(proc.returncode, 0, proc.stderr)
            self.assertTrue(os.path.exists(os.path.join(d, "model.mlir")))

    def _compare(self, ref, got, *extra):
        with tempfile.TemporaryDirectory() as d:
            rp, gp = os.path.join(d, "r.npy"), os.path.join(d, "g.npy")
            np.save(rp, ref)
            np.save(gp, got)
            buf = io.StringIO()
            with redirect_stdout(buf):
                rc = compare_mod.main([rp, gp, *extra])
        return rc, buf.getvalue()

    def test_compare(self):
        ref = np.array([[1.0, -4.0], [2.0, 0.5]], np.float32)
        rc, out = self._compare(ref, ref)
        self.assertEqual(rc, 0)
        self.assertIn("max_rel_error: 0.000e+00", out)
        got = ref.copy()
        got[0, 0] = 1.0008  # 2e-4 relative to max|ref| = 4
        rc, out = self._compare(ref, got)
        self.assertEqual(rc, 1)
        self.assertIn("max_rel_error: 2.000e-04", out)
        self.assertEqual(self._compare(ref, got, "--rtol", "3e-4")[0], 0)

    def test_compare_mismatches(self):
        ref = np.ones((2, 3), np.float32)
        rc, out = self._compare(ref, np.ones((3, 2), np.float32))
        self.assertEqual(rc, 1)
        self.assertIn("shape mismatch", out)
        rc, out = self._compare(ref, np.ones((2, 3), np.float64))
        self.assertEqual(rc, 1)
        self.assertIn("dtype mismatch", out)
        rc, out = self._compare(ref, np.ones((4,), np.float32))
        self.assertEqual(rc, 1)
        self.assertIn("max_rel_error: inf", out)
        bad = ref.copy()
        bad[1, 1] = np.nan
        self.assertEqual(self._compare(ref, bad)[0], 1)


class TimingTest(unittest.TestCase):
    def test_parse_bench_output(self):
        r = timing.parse_bench_output("hello\niterations: 50\nmedian_ms: 6.25\nmin_ms: 5.5\n")
        self.assertEqual(r, {"iterations": 50, "median_ms": 6.25, "min_ms": 5.5})

    def test_worker_env(self):
        env = timing.worker_env(2, for_numpy=True, base={"OPENBLAS_CORETYPE": "Haswell", "OPENBLAS_L2_SIZE": "1"})
        self.assertNotIn("OPENBLAS_CORETYPE", env)
        self.assertNotIn("OPENBLAS_L2_SIZE", env)
        self.assertEqual(env["OPENBLAS_NUM_THREADS"], "2")
        self.assertIn("OPENBLAS_CORETYPE", timing.worker_env(2, base={"OPENBLAS_CORETYPE": "Haswell"}))

    def test_table(self):
        rows = [{"name": "ffn", "median_ms": 2.0, "min_ms": 1.9}, {"name": "onnxruntime", "median_ms": 5.0, "min_ms": 4.0}]
        table = timing.format_table(rows, flops=4_000_000_000)
        self.assertIn("2000.0", table)  # GFLOP/s of ffn
        self.assertIn("2.50", table)  # onnxruntime ms / ffn ms

    def test_baseline_workers(self):
        with tempfile.TemporaryDirectory() as d:
            gen.generate(FFNSpec(tokens=8, dim=32, hidden=64, norm="layer"), d)
            r = timing.time_numpy(d, iters=3, threads=1)
            self.assertLess(r["max_rel_error"], 1e-5)
            self.assertGreater(r["gemm_only"]["median_ms"], 0)
            self.assertIn("corename", r["openblas"])
            out = os.path.join(d, "y_ort.npy")
            r = timing.time_onnxruntime(d, iters=3, threads=1, save_output=out)
            self.assertLess(r["max_rel_error"], 1e-5)
            self.assertTrue(os.path.exists(out))


class ScriptsTest(unittest.TestCase):
    """bench/bert_ffn.py and scripts/example.sh, driven by a fake compiler."""

    SIZE = ["--tokens", "8", "--dim", "32", "--hidden", "64", "--iters", "3"]

    def run_script(self, cmd, env=None):
        full_env = dict(os.environ, **(env or {}))
        return subprocess.run(cmd, capture_output=True, text=True, env=full_env, cwd=tempfile.gettempdir())

    def test_bench_with_fake_compiler(self):
        proc = self.run_script([sys.executable, os.path.join(REPO_ROOT, "bench", "bert_ffn.py"), *self.SIZE,
                                "--ffn-compile", FAKE_COMPILE])
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
        for s in ("max_rel_error (ffn vs reference)", "ffn/onnxruntime: speedup", "ffn/numpy (full FFN)"):
            self.assertIn(s, proc.stdout)

    def test_bench_fails_on_error(self):
        proc = self.run_script([sys.executable, os.path.join(REPO_ROOT, "bench", "bert_ffn.py"), *self.SIZE,
                                "--ffn-compile", FAKE_COMPILE, "--", "--fake-error", "1e-3"])
        self.assertEqual(proc.returncode, 1)

    def test_bench_without_compiler(self):
        proc = self.run_script([sys.executable, os.path.join(REPO_ROOT, "bench", "bert_ffn.py"), *self.SIZE,
                                "--ffn-compile", "/nonexistent/ffn-compile"])
        self.assertEqual(proc.returncode, 2)
        self.assertIn("ffn-compile not found", proc.stderr)

    def test_example_script(self):
        script = os.path.join(REPO_ROOT, "scripts", "example.sh")
        proc = self.run_script(["bash", script, *self.SIZE], env={"FFN_COMPILE": FAKE_COMPILE})
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
        self.assertIn("max_rel_error (ffn vs onnxruntime)", proc.stdout)
        self.assertIn("example: PASS", proc.stdout)
        proc = self.run_script(["bash", script, *self.SIZE], env={"FFN_COMPILE": "/nonexistent"})
        self.assertEqual(proc.returncode, 2)


if __name__ == "__main__":
    unittest.main()
