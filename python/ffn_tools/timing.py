"""Timing of a generated model: numpy on OpenBLAS, onnxruntime, ffn binaries.

Every measurement runs in its own process, one after the other, so that the
thread pools of one (OpenBLAS's spinning workers, onnxruntime's pool, the
compiled binary's OpenMP team) never compete with another's and each gets
exactly the threads asked for:

- numpy runs in ``python3 -m ffn_tools.timing numpy`` with
  ``OPENBLAS_NUM_THREADS`` set before numpy is imported and with
  ``OPENBLAS_CORETYPE`` / ``OPENBLAS_L2_SIZE`` removed from its environment
  (some machines set them to work around old OpenBLAS builds; they slow a
  current numpy). The worker reports which OpenBLAS kernel it ran.
- onnxruntime runs in ``python3 -m ffn_tools.timing ort`` with
  ``intra_op_num_threads`` set.
- an ffn executable runs as ``OUT --input x=x.npy --bench N`` with
  ``OMP_NUM_THREADS`` set, and its own ``median_ms``/``min_ms`` lines are read.

Workers read a folder written by :func:`ffn_tools.gen.generate` and print one
JSON line with ``median_ms``, ``min_ms``, ``iterations`` and the output's
``max_rel_error`` against ``y_ref.npy``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Callable, Dict, List, Optional, Sequence, Tuple

PYTHON_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REPO_ROOT = os.path.dirname(PYTHON_DIR)


class ToolError(RuntimeError):
    """A measurement or tool invocation failed; the message says why."""


def add_bench_arguments(p: argparse.ArgumentParser, iters: int = 30, per: str = "binary") -> None:
    """The options every bench/ script shares: --iters, --threads,
    --ffn-compile, --work-dir and --json."""
    p.add_argument("--iters", type=int, default=iters, help=f"timed runs per {per} (default %(default)s)")
    p.add_argument("--threads", type=int, default=2, help=f"threads for every {per} (default %(default)s)")
    p.add_argument("--ffn-compile", default=os.path.join("build", "bin", "ffn-compile"),
                   help="ffn-compile binary; relative paths are taken from the repo root (default %(default)s)")
    p.add_argument("--work-dir", help="keep the generated files here (default: a temporary folder, removed)")
    p.add_argument("--json", help="also write the results as JSON to this file")


def start_bench(args: argparse.Namespace, prefix: str) -> Tuple[str, str, str]:
    """For the options of :func:`add_bench_arguments`: the ffn-compile path
    (relative ones from the repo root), the work folder (``--work-dir`` or a
    new temporary one) and the load average, which it prints."""
    ffn_compile = args.ffn_compile
    if not os.path.isabs(ffn_compile):
        ffn_compile = os.path.join(REPO_ROOT, ffn_compile)
    work_dir = os.path.abspath(args.work_dir) if args.work_dir else tempfile.mkdtemp(prefix=prefix)
    load = loadavg()
    print(f"load average before: {load} ({os.cpu_count()} cores); threads: {args.threads}; "
          f"N={args.iters}", flush=True)
    return ffn_compile, work_dir, load


def run_bench(args: argparse.Namespace, prefix: str, measure: Callable[[str, str], object]):
    """Runs a benchmark's measurements: ``measure(ffn_compile, work_dir)``
    with the checked ffn-compile path and the work folder of
    :func:`start_bench`, which is removed afterwards unless it was given with
    ``--work-dir``. Returns ``(result, load_before, load_after)``, or None
    after printing the error when a tool failed (``ToolError``)."""
    ffn_compile, work_dir, load_before = start_bench(args, prefix)
    try:
        result = measure(find_ffn_compile(ffn_compile), work_dir)
    except ToolError as e:
        print(f"error: {e}", file=sys.stderr)
        return None
    finally:
        if not args.work_dir:
            shutil.rmtree(work_dir, ignore_errors=True)
    return result, load_before, loadavg()


def loadavg() -> str:
    """The 1, 5 and 15 minute load averages, for benchmark headers ("?" if unknown)."""
    try:
        with open("/proc/loadavg") as f:
            return " ".join(f.read().split()[:3])
    except OSError:
        return "?"


def default_warmup(iters: int) -> int:
    """Warm-up runs before ``iters`` timed ones."""
    return max(5, iters // 10)


def time_callable(fn: Callable[[], object], iters: int, warmup: Optional[int] = None) -> Dict[str, float]:
    """Runs ``fn`` ``warmup`` times, then times ``iters`` runs one by one."""
    if warmup is None:
        warmup = default_warmup(iters)
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(iters):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1e3)
    return {"median_ms": statistics.median(times), "min_ms": min(times), "iterations": iters}


# ---------------------------------------------------------------------------
# Environments and subprocess workers
# ---------------------------------------------------------------------------

_BLAS_LOCAL_VARS = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")


def worker_env(threads: int, for_numpy: bool = False, base: Optional[Dict[str, str]] = None) -> Dict[str, str]:
    """The environment of a timing subprocess pinned to ``threads`` threads.

    ``for_numpy`` also removes ``OPENBLAS_CORETYPE`` and ``OPENBLAS_L2_SIZE``
    (only for that process: tests and other tools keep them).
    """
    env = dict(os.environ if base is None else base)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = str(threads)
    if for_numpy:
        for var in _BLAS_LOCAL_VARS:
            env.pop(var, None)
    pp = env.get("PYTHONPATH")
    env["PYTHONPATH"] = PYTHON_DIR + (os.pathsep + pp if pp else "")
    return env


def run_worker(which: str, model_dir: str, iters: int, threads: int, extra: Sequence[str] = ()) -> Dict:
    """Runs ``python3 -m ffn_tools.timing WHICH`` and returns its JSON result."""
    cmd = [sys.executable, "-m", "ffn_tools.timing", which, "--model-dir", model_dir,
           "--iters", str(iters), "--threads", str(threads), *extra]
    proc = subprocess.run(cmd, env=worker_env(threads, for_numpy=(which == "numpy")),
                          capture_output=True, text=True)
    if proc.returncode != 0:
        raise ToolError(f"{which} timing failed (exit {proc.returncode}):\n{proc.stderr.strip()}")
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if not lines:
        raise ToolError(f"{which} timing printed no result:\n{proc.stdout}\n{proc.stderr}")
    return json.loads(lines[-1])


def time_numpy(model_dir: str, iters: int = 50, threads: int = 2) -> Dict:
    """numpy (float32, OpenBLAS) on the model: full FFN and GEMM-only rows."""
    return run_worker("numpy", model_dir, iters, threads)


def time_onnxruntime(model_dir: str, iters: int = 50, threads: int = 2, save_output: Optional[str] = None) -> Dict:
    """onnxruntime (CPU provider) on ``model_dir/model.onnx``; optionally
    saves its output on ``x.npy`` to ``save_output``."""
    extra = ["--save-output", save_output] if save_output else []
    return run_worker("ort", model_dir, iters, threads, extra)


# ---------------------------------------------------------------------------
# ffn-compile and the compiled executable
# ---------------------------------------------------------------------------


def find_ffn_compile(path: str) -> str:
    """Checks that ``ffn-compile`` exists and is executable; returns its path."""
    if os.path.isfile(path) and os.access(path, os.X_OK):
        return path
    found = shutil.which(path) if os.sep not in path else None
    if found:
        return found
    raise ToolError(
        f"ffn-compile not found at '{path}'. Build the project first "
        "(cmake -S . -B build -G Ninja && ninja -C build ffn-compile), "
        "or pass its location with --ffn-compile."
    )


def compile_model(ffn_compile: str, model_path: str, out: str, extra_args: Sequence[str] = ()) -> float:
    """Compiles ``model_path`` to the executable ``out``; returns seconds taken."""
    cmd = [ffn_compile, model_path, "-o", out, *extra_args]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    elapsed = time.perf_counter() - t0
    if proc.returncode != 0 or not os.path.exists(out):
        raise ToolError(
            f"compilation failed (exit {proc.returncode}): {' '.join(cmd)}\n"
            f"{(proc.stderr or proc.stdout).strip()[-4000:]}"
        )
    return elapsed


_BENCH_LINE = re.compile(r"^\s*(iterations|median_ms|min_ms)\s*:\s*([-+0-9.eEinfa]+)\s*$")


def parse_bench_output(text: str) -> Dict[str, float]:
    """Reads the ``iterations:``, ``median_ms:``, ``min_ms:`` lines of ``--bench``."""
    result: Dict[str, float] = {}
    for line in text.splitlines():
        m = _BENCH_LINE.match(line)
        if m:
            key, value = m.groups()
            result[key] = int(float(value)) if key == "iterations" else float(value)
    return result


def run_ffn_exe(
    exe: str,
    inputs: Dict[str, str],
    output_dir: str,
    iters: Optional[int] = 50,
    threads: int = 2,
) -> Dict:
    """Runs a compiled model: ``exe --input NAME=FILE ... --output-dir DIR [--bench N]``.

    Returns the parsed ``--bench`` figures (when ``iters`` is given) and
    ``stdout``; raises :class:`ToolError` when it fails.
    """
    os.makedirs(output_dir, exist_ok=True)
    cmd = [os.path.abspath(exe)]
    for name, path in inputs.items():
        cmd += ["--input", f"{name}={path}"]
    cmd += ["--output-dir", output_dir]
    if iters:
        cmd += ["--bench", str(iters)]
    proc = subprocess.run(cmd, env=worker_env(threads), capture_output=True, text=True)
    if proc.returncode != 0:
        raise ToolError(f"running the compiled model failed (exit {proc.returncode}): {' '.join(cmd)}\n"
                        f"{(proc.stderr or proc.stdout).strip()[-4000:]}")
    result: Dict = {"stdout": proc.stdout}
    if iters:
        bench = parse_bench_output(proc.stdout + "\n" + proc.stderr)
        if "median_ms" not in bench:
            raise ToolError(f"no 'median_ms:' line in the output of {' '.join(cmd)}:\n{proc.stdout}")
        result.update(bench)
    return result


# ---------------------------------------------------------------------------
# Reporting
# ---------------------------------------------------------------------------


def fmt_ms(ms: float) -> str:
    """Milliseconds with 3 decimals, or 4 significant digits below 1 ms."""
    return f"{ms:.3f}" if ms >= 1 else f"{ms:.4g}"


def format_table(rows: List[Dict], flops: int, ffn_name: Optional[str] = "ffn") -> str:
    """A table of rows ``{"name", "median_ms", "min_ms"}``.

    GFLOP/s is ``flops / median``. When a row named ``ffn_name`` is present,
    the last column is ``other_ms / ffn_ms``: how many times faster the ffn
    binary is than that row (above 1: ffn is faster).
    """
    ffn_ms = next((r["median_ms"] for r in rows if r["name"] == ffn_name), None)
    head = f"{'implementation':<34} {'median ms':>10} {'min ms':>9} {'GFLOP/s':>9}"
    if ffn_ms:
        head += f" {'ffn speedup (x)':>16}"
    out = [head, "-" * len(head)]
    for r in rows:
        line = (f"{r['name']:<34} {fmt_ms(r['median_ms']):>10} {fmt_ms(r['min_ms']):>9}"
                f" {flops / r['median_ms'] / 1e6:>9.1f}")
        if ffn_ms:
            line += f" {r['median_ms'] / ffn_ms:>16.2f}"
        out.append(line)
    if ffn_ms:
        out.append("ffn speedup = other median ms / ffn median ms (above 1: ffn is faster)")
    return "\n".join(out)


# ---------------------------------------------------------------------------
# Workers (run in a subprocess by run_worker)
# ---------------------------------------------------------------------------


def openblas_info() -> Dict:
    """The OpenBLAS numpy uses: library, kernel (core name) and threads.

    Uses threadpoolctl when installed, else asks the loaded library directly.
    """
    try:
        from threadpoolctl import threadpool_info

        for pool in threadpool_info():
            if pool.get("internal_api") == "openblas":
                return {"library": pool.get("filepath"), "corename": pool.get("architecture"),
                        "threads": pool.get("num_threads"), "version": pool.get("version")}
    except ImportError:
        pass
    import ctypes

    libs = []
    with open("/proc/self/maps") as f:
        for line in f:
            path = line.split()[-1]
            if "openblas" in os.path.basename(path).lower() and path not in libs:
                libs.append(path)
    for path in libs:
        lib = ctypes.CDLL(path)
        info = {"library": path}
        for prefix, suffix in (("scipy_openblas", "64_"), ("openblas", "64_"), ("openblas", ""), ("scipy_openblas", "")):
            core = getattr(lib, f"{prefix}_get_corename{suffix}", None)
            nthr = getattr(lib, f"{prefix}_get_num_threads{suffix}", None)
            if core is not None:
                core.restype = ctypes.c_char_p
                info["corename"] = core().decode()
                if nthr is not None:
                    nthr.restype = ctypes.c_int
                    info["threads"] = nthr()
                return info
        return info
    return {}


def _load_dir(model_dir: str):
    import numpy as np

    from ffn_tools.gen import load_spec
    from ffn_tools.model import build_model

    spec = load_spec(model_dir)
    model = build_model(spec)
    x = np.load(os.path.join(model_dir, "x.npy"))
    ref = np.load(os.path.join(model_dir, "y_ref.npy"))
    return model, x, ref


def _numpy_worker(args: argparse.Namespace) -> Dict:
    import numpy as np  # imported after OPENBLAS_NUM_THREADS is in the environment

    from ffn_tools.compare import max_rel_error
    from ffn_tools.reference import Float32Runner

    try:  # OPENBLAS_NUM_THREADS already pins the pool; threadpoolctl makes sure
        from threadpoolctl import threadpool_limits

        threadpool_limits(args.threads, user_api="blas")
    except ImportError:
        pass
    model, x, ref = _load_dir(args.model_dir)
    full = Float32Runner(model)
    gemm = Float32Runner(model, gemm_only=True)
    err = max_rel_error(ref, full(x))
    t_full = time_callable(lambda: full(x), args.iters)
    t_gemm = time_callable(lambda: gemm(x), args.iters)
    return {"numpy_version": np.__version__, "openblas": openblas_info(), "max_rel_error": err,
            "full": t_full, "gemm_only": t_gemm, **t_full}


def _ort_worker(args: argparse.Namespace) -> Dict:
    import numpy as np
    import onnxruntime as ort

    from ffn_tools.compare import max_rel_error
    from ffn_tools.onnxgen import ort_session

    x = np.load(os.path.join(args.model_dir, "x.npy"))
    ref = np.load(os.path.join(args.model_dir, "y_ref.npy"))
    sess = ort_session(os.path.join(args.model_dir, "model.onnx"), threads=args.threads)
    feed = {sess.get_inputs()[0].name: x}
    y = sess.run(None, feed)[0]
    if args.save_output:
        np.save(args.save_output, y)
    t = time_callable(lambda: sess.run(None, feed), args.iters)
    return {"onnxruntime_version": ort.__version__, "max_rel_error": max_rel_error(ref, y), **t}


def main(argv: Optional[List[str]] = None) -> int:
    p = argparse.ArgumentParser(prog="python3 -m ffn_tools.timing",
                                description="timing worker (one measurement per process); prints one JSON line")
    p.add_argument("which", choices=["numpy", "ort"])
    p.add_argument("--model-dir", required=True, help="folder written by ffn_tools.gen")
    p.add_argument("--iters", type=int, default=50)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--save-output", help="ort: save the output on x.npy here")
    args = p.parse_args(argv)
    result = _numpy_worker(args) if args.which == "numpy" else _ort_worker(args)
    result["threads"] = args.threads
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
