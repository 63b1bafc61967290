"""One benchmark run: generate, compile, run, check, and time the baselines.

Shared by ``bench/bert_ffn.py`` and :mod:`ffn_tools.example`. The steps:

1. generate the model folder (:func:`ffn_tools.gen.generate`);
2. compile ``model.mlir`` (or ``model.onnx``) with ``ffn-compile``;
3. run the executable with ``--bench N`` and ``OMP_NUM_THREADS`` threads and
   compare its ``y.npy`` with the numpy reference (and with onnxruntime's
   output on the same input);
4. time numpy on OpenBLAS and onnxruntime, each in its own process with the
   same number of threads.

All timings are medians over N runs after a warm-up, in milliseconds.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence

import numpy as np

from ffn_tools import timing
from ffn_tools.compare import max_rel_error
from ffn_tools.gen import generate
from ffn_tools.model import FFNSpec

REPO_ROOT = os.path.dirname(timing.PYTHON_DIR)
DEFAULT_FFN_COMPILE = os.path.join(REPO_ROOT, "build", "bin", "ffn-compile")


@dataclass
class BenchResult:
    """Everything one run measured."""

    spec: FFNSpec
    work_dir: str
    rows: List[Dict] = field(default_factory=list)  # name, median_ms, min_ms
    errors: Dict[str, float] = field(default_factory=dict)  # name -> max_rel_error
    compile_s: Optional[float] = None
    openblas: Dict = field(default_factory=dict)

    def row(self, name: str) -> Optional[Dict]:
        return next((r for r in self.rows if r["name"] == name), None)

    def to_dict(self) -> Dict:
        return {"spec": self.spec.to_dict(), "flops": self.spec.flops(), "rows": self.rows,
                "errors": self.errors, "compile_s": self.compile_s, "openblas": self.openblas}


def load_warning() -> Optional[str]:
    """A warning when the machine is busy (timings would be unreliable)."""
    try:
        load1 = os.getloadavg()[0]
    except OSError:
        return None
    cores = os.cpu_count() or 1
    if load1 > 0.5 * cores:
        return (f"warning: load average {load1:.2f} on {cores} cores before the run: another process "
                "is using the CPU, timings will be noisy")
    return None


class Logger:
    """Prints numbered progress lines."""

    def __init__(self, quiet: bool = False):
        self.quiet = quiet

    def __call__(self, msg: str) -> None:
        if not self.quiet:
            print(msg, flush=True)


def run(
    spec: FFNSpec,
    ffn_compile: Optional[str] = DEFAULT_FFN_COMPILE,
    iters: int = 50,
    threads: int = 2,
    work_dir: Optional[str] = None,
    compile_args: Sequence[str] = (),
    compile_from: str = "mlir",
    baselines: Sequence[str] = ("numpy", "onnxruntime"),
    log: Optional[Logger] = None,
) -> BenchResult:
    """Runs the benchmark; ``ffn_compile=None`` measures the baselines only.

    Raises :class:`ffn_tools.timing.ToolError` (with a readable message) when
    ``ffn-compile`` is missing, compilation fails or the binary fails.
    """
    log = log or Logger()
    if ffn_compile is not None:
        ffn_compile = timing.find_ffn_compile(ffn_compile)  # fail before generating anything
    if work_dir is None:
        work_dir = tempfile.mkdtemp(prefix="ffn-bench-")
    res = BenchResult(spec=spec, work_dir=work_dir)

    t0 = time.perf_counter()
    generate(spec, work_dir)
    log(f"generated {spec.describe()} in {work_dir} ({time.perf_counter() - t0:.1f} s)")
    ref = np.load(os.path.join(work_dir, "y_ref.npy"))

    if ffn_compile is not None:
        model_path = os.path.join(work_dir, f"model.{compile_from}")
        exe = os.path.join(work_dir, "model")
        log(f"compiling {os.path.basename(model_path)} with {ffn_compile} {' '.join(compile_args)}".rstrip())
        res.compile_s = timing.compile_model(ffn_compile, model_path, exe, compile_args)
        log(f"  compiled in {res.compile_s:.1f} s")
        out_dir = os.path.join(work_dir, "ffn_out")
        log(f"running the compiled model: --bench {iters}, OMP_NUM_THREADS={threads}")
        r = timing.run_ffn_exe(exe, {"x": os.path.join(work_dir, "x.npy")}, out_dir, iters, threads)
        y_path = os.path.join(out_dir, "y.npy")
        if not os.path.exists(y_path):
            raise timing.ToolError(f"the compiled model wrote no {y_path}")
        got = np.load(y_path)
        if got.shape != ref.shape:
            raise timing.ToolError(f"the compiled model's output has shape {got.shape}, expected {ref.shape}")
        res.errors["ffn vs reference"] = max_rel_error(ref, got)
        res.rows.append({"name": "ffn", "median_ms": r["median_ms"], "min_ms": r.get("min_ms", r["median_ms"])})

    if "numpy" in baselines:
        log(f"timing numpy (float32, OpenBLAS, {threads} threads)")
        r = timing.time_numpy(work_dir, iters, threads)
        res.openblas = r.get("openblas", {})
        res.errors["numpy float32 vs reference"] = r["max_rel_error"]
        res.rows.append({"name": "numpy (full FFN)", **_times(r["full"])})
        res.rows.append({"name": "numpy (GEMMs+bias only)", **_times(r["gemm_only"])})

    if "onnxruntime" in baselines:
        log(f"timing onnxruntime (CPU, intra_op_num_threads={threads})")
        ort_out = os.path.join(work_dir, "y_onnxruntime.npy")
        r = timing.time_onnxruntime(work_dir, iters, threads, save_output=ort_out)
        res.errors["onnxruntime vs reference"] = r["max_rel_error"]
        res.rows.append({"name": "onnxruntime", **_times(r)})
        if ffn_compile is not None:
            got = np.load(os.path.join(work_dir, "ffn_out", "y.npy"))
            res.errors["ffn vs onnxruntime"] = max_rel_error(np.load(ort_out), got)
    return res


def _times(r: Dict) -> Dict:
    return {"median_ms": r["median_ms"], "min_ms": r["min_ms"]}


def report(res: BenchResult, threads: int) -> str:
    """The human-readable summary: accuracy lines, table and ratios."""
    spec = res.spec
    lines = [f"model: {spec.describe()}",
             f"FLOPs: {spec.flops() / 1e9:.3f} GFLOP (2 per multiply-add, linear layers only); threads: {threads}"]
    if res.openblas:
        ob = res.openblas
        lines.append(f"numpy's OpenBLAS: kernel {ob.get('corename', '?')}, {ob.get('threads', '?')} threads")
    for name, err in res.errors.items():
        lines.append(f"max_rel_error ({name}): {err:.3e}")
    lines.append("")
    lines.append(timing.format_table(res.rows, spec.flops()))
    ffn = res.row("ffn")
    if ffn:
        lines.append("")
        for other in ("numpy (GEMMs+bias only)", "numpy (full FFN)", "onnxruntime"):
            r = res.row(other)
            if r:
                ratio = r["median_ms"] / ffn["median_ms"]
                word = "faster" if ratio >= 1 else "slower"
                factor = ratio if ratio >= 1 else 1 / ratio
                lines.append(f"ffn/{other}: speedup {ratio:.2f} (= {other} ms / ffn ms; ffn is {factor:.2f}x {word})")
    return "\n".join(lines)


def cleanup(work_dir: str) -> None:
    shutil.rmtree(work_dir, ignore_errors=True)
