"""Tests of bench/compression.py, the compression benchmark harness, with a
stand-in ``ffn-compile`` (no real compiler, no download).

The stand-in lists ``--lowrank`` in its ``--help`` but not ``--block-diag``
or ``--ffn-width``; it "compiles" a model into a script that runs it with
onnxruntime and scales the output by ``1 + E`` for ``--lowrank=energy:E``
(so the harness's measured error is known), writes an ``--ffn-report`` JSON
with FLOPs scaled by E, and fails on ``energy:0.5``. The harness must skip
the missing flags with a note, report the failing configuration in its row,
and fill the other rows from the report and its own measurements.
"""

import contextlib
import io
import json
import os
import stat
import sys
import tempfile
import textwrap
import unittest

TESTS_DIR = os.path.dirname(os.path.abspath(__file__))
PYTHON_DIR = os.path.dirname(TESTS_DIR)
REPO_ROOT = os.path.dirname(PYTHON_DIR)
if PYTHON_DIR not in sys.path:
    sys.path.insert(0, PYTHON_DIR)

try:
    import onnx  # noqa: F401
    import onnxruntime  # noqa: F401

    HAVE_ORT = True
except ImportError:
    HAVE_ORT = False

FAKE = textwrap.dedent('''\
    #!{python}
    import json, os, stat, sys
    args = sys.argv[1:]
    if "--help" in args or "--help-hidden" in args:
        print("OPTIONS:\\n  -O <uint>  - level\\n  --lowrank=<string>  - low-rank\\n"
              "  --ffn-report[=<FILE.json>]  - report")
        sys.exit(0)
    model, out = args[0], args[args.index("-o") + 1]
    energy = 1.0
    for a in args:
        if a.startswith("--lowrank=energy:"):
            energy = float(a.split(":")[1])
    if energy == 0.5:
        print("error: lowrank: SVD failed on node fc1", file=sys.stderr)
        sys.exit(1)
    report = [a.split("=", 1)[1] for a in args if a.startswith("--ffn-report=")][0]
    with open(report, "w") as f:
        json.dump({{"ffns": [{{"name": "fc1", "applied": ["lowrank"] if energy < 1 else []}}],
                   "total": {{"flops_before": 1000, "flops_after": int(1000 * energy),
                             "params_before": 10, "params_after": 10,
                             "max_rel_error": None if energy == 1 else 1 - energy}}}}, f)
    with open(out, "w") as f:
        f.write("#!{python}\\nimport sys\\nsys.argv[1:1] = [%r, %r]\\nexec(open(%r).read())\\n"
                % (os.path.abspath(model), 1 - energy, {runner!r}))
    os.chmod(out, 0o755)
''')

RUNNER = textwrap.dedent('''\
    import sys, os
    import numpy as np
    import onnxruntime as ort
    model, err = sys.argv[1], float(sys.argv[2])
    args = sys.argv[3:]
    feed, out_dir, bench = {}, ".", None
    for i, a in enumerate(args):
        if a == "--input":
            name, path = args[i + 1].split("=", 1)
            feed[name] = np.load(path)
        elif a == "--output-dir":
            out_dir = args[i + 1]
        elif a == "--bench":
            bench = int(args[i + 1])
    sess = ort.InferenceSession(model, providers=["CPUExecutionProvider"])
    y = sess.run(None, feed)[0]
    np.save(os.path.join(out_dir, sess.get_outputs()[0].name + ".npy"), y * (1 + err))
    if bench:
        print("iterations: %d\\nmedian_ms: %f\\nmin_ms: %f" % (bench, 2.0 - err, 1.5))
''')


@unittest.skipUnless(HAVE_ORT, "needs onnx and onnxruntime")
class CompressionBenchTest(unittest.TestCase):
    def setUp(self):
        sys.path.insert(0, os.path.join(REPO_ROOT, "bench"))
        import compression

        self.bench = compression
        self.tmp = tempfile.TemporaryDirectory()
        runner = os.path.join(self.tmp.name, "runner.py")
        with open(runner, "w") as f:
            f.write(RUNNER)
        self.fake = os.path.join(self.tmp.name, "ffn-compile")
        with open(self.fake, "w") as f:
            f.write(FAKE.format(python=sys.executable, runner=runner))
        os.chmod(self.fake, os.stat(self.fake).st_mode | stat.S_IXUSR)
        self.saved = dict(compression.LAYER_MODELS)
        compression.LAYER_MODELS["bert"] = ("--kind", "bert", "--tokens", "4", "--dim", "16", "--heads", "2",
                                            "--hidden", "32")

    def tearDown(self):
        self.bench.LAYER_MODELS.clear()
        self.bench.LAYER_MODELS.update(self.saved)
        sys.path.remove(os.path.join(REPO_ROOT, "bench"))
        self.tmp.cleanup()

    def test_flag_detection(self):
        text = "  --lowrank=<string>  - x\n  -O <uint>\n  --ffn-report[=<FILE>]\n  --lowrank-foo - y\n"
        self.assertEqual(self.bench.flag_name("--lowrank=energy:0.5"), "lowrank")
        self.assertIsNone(self.bench.flag_name("-O2"))
        self.assertEqual(self.bench.missing_flags(["-O2", "--lowrank=rank:4", "--ffn-report=x"], text), [])
        self.assertEqual(self.bench.missing_flags(["--block-diag=4", "--low=1"], text), ["--block-diag", "--low"])

    def test_table_from_a_run(self):
        out = os.path.join(self.tmp.name, "compression.md")
        js = os.path.join(self.tmp.name, "r.json")
        with contextlib.redirect_stdout(io.StringIO()):
            status = self.bench.main(["--models", "bert", "--ffn-compile", self.fake, "--iters", "2", "--inputs", "2",
                                      "--configs", "lowrank-e0.5", "lowrank-e0.9", "block-diag-4",
                                      "--extra=--lowrank=energy:0.99", "--out", out, "--json", js,
                                      "--work-dir", os.path.join(self.tmp.name, "work")])
        self.assertEqual(status, 1)  # one configuration failed
        with open(out) as f:
            text = f.read()
        rows = {line.split("|")[1].strip(): [c.strip() for c in line.split("|")[1:-1]]
                for line in text.splitlines() if line.startswith("| ")}
        self.assertIn("`--block-diag` is not a flag", text)
        self.assertIn("threads", text)
        self.assertIn("skipped: ffn-compile has no --block-diag", rows["block-diag-4"][-1])
        self.assertIn("compile failed (exit 1): error: lowrank: SVD failed on node fc1", rows["lowrank-e0.5"][-1])
        dense, low = rows["dense"], rows["lowrank-e0.9"]
        # flags, FLOPs kept, params kept, reported error, ms, vs dense, vs ort, mean, max
        self.assertEqual(dense[2:7], ["100.0%", "100.0%", "-", "2.000", "1.00"])
        self.assertEqual(low[2:7], ["90.0%", "100.0%", "1.00e-01", "1.900", "0.95"])
        self.assertAlmostEqual(float(low[8]), 0.1, places=5)   # measured relative error, mean
        self.assertAlmostEqual(float(low[9]), 0.1, places=5)   # and max
        self.assertLess(float(dense[9]), 1e-6)
        self.assertEqual(rows["lowrank=energy:0.99"][2], "99.0%")
        with open(js) as f:
            data = json.load(f)
        self.assertEqual([r["label"] for r in data["results"][0]["rows"]],
                         ["dense", "lowrank-e0.5", "lowrank-e0.9", "block-diag-4", "lowrank=energy:0.99"])


if __name__ == "__main__":
    unittest.main()
