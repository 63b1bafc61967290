"""GPU checks for machines without the compiler: build a bundle here, run it there.

    python3 -m ffn_tools.gpu_bundle make DIR [--ffn-compile build/bin/ffn-compile]
    python3 -m ffn_tools.gpu_bundle check DIR [--out RESULTS_DIR]

``make`` (on the build machine, no GPU needed) generates the model set and the
GPU test models, compiles each with ``--target=cuda`` and with the CPU target,
runs the CPU binaries and stores, per case, the GPU executable, its inputs, the
generator's reference outputs (numpy or onnxruntime) and the CPU outputs. It
also stores BERT-base-size FFN executables for timing.

``check`` (on the GPU machine, which needs only Python with numpy, plus
PyTorch for the cuBLAS baseline) runs every GPU executable, compares its
outputs with the reference and with the CPU build (``max|ref - got| /
max|ref|``, the tolerance of ``test/GPU/e2e``: 1e-3), times the FFN
executables with ``--bench`` and times the same FFN in PyTorch (cuBLAS), strict
FP32 and TF32. It prints a summary and writes ``results.json``.

This is what the ``test/GPU/e2e`` lit tests check, repackaged for a GPU
machine that cannot run the compiler (its LLVM/MLIR libraries are not there).
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from typing import Dict, List, Optional, Sequence

import numpy as np

from ffn_tools.compare import max_rel_error
from ffn_tools.model_set import MODEL_SET

RTOL = 1e-3

# Extra e2e cases of test/GPU/e2e: (name, generator, args, extra ffn-compile flags).
E2E_CASES = [
    ("e2e-encoder-T33", "ffn_tools.gen",
     ("--kind", "encoder", "--tokens", "33", "--dim", "64", "--hidden", "256"), ()),
    ("e2e-gated-sm80", "ffn_tools.gen",
     ("--kind", "gated", "--tokens", "16", "--dim", "64", "--hidden", "160"), ("--gpu-arch=sm_80",)),
    ("e2e-bert-layer", "ffn_tools.gen_layer",
     ("--kind", "bert", "--tokens", "16", "--dim", "64", "--heads", "4", "--hidden", "256"), ()),
    ("e2e-gpt2-layer", "ffn_tools.gen_layer",
     ("--kind", "gpt2", "--tokens", "16", "--dim", "64", "--heads", "4", "--hidden", "256"), ()),
]

# Approximate rewrites on the GPU: (name, generator, args, flags, compare
# with the generator's reference). Approximate outputs differ from the dense
# reference by design, so those are compared with the CPU build of the same
# flags only; the exactly block-diagonal model matches its reference too.
APPROX_CASES = [
    ("approx-blockdiag-exact", "ffn_tools.blockdiag", ("--blocks", "4"), ("--block-diag=4",), True),
    ("approx-blockdiag-k2", "ffn_tools.gen",
     ("--kind", "encoder", "--tokens", "32", "--dim", "64", "--hidden", "256"), ("--block-diag=2",), False),
    ("approx-lowrank", "ffn_tools.gen",
     ("--kind", "encoder", "--tokens", "32", "--dim", "64", "--hidden", "256"), ("--lowrank=rank:16",), False),
    ("approx-width", "ffn_tools.gen",
     ("--kind", "gated", "--tokens", "32", "--dim", "64", "--hidden", "160"), ("--ffn-width=0.5",), False),
    # The GPU keeps pruned weights dense; the CPU build packs them.
    ("approx-sparsity-exact", "ffn_tools.sparse", ("--pattern", "2:4", "--exact"), ("--sparsity=2:4",), True),
    ("approx-sparsity-block", "ffn_tools.gen",
     ("--kind", "encoder", "--tokens", "32", "--dim", "64", "--hidden", "256"),
     ("--sparsity=block:16x16:0.5",), False),
]

# Timed FFNs: BERT-base size (D=768, H=3072, GELU, biases), as (tokens, GEMM
# mode). Each executable embeds 19 MB of weights and the device tool carries
# at most 64 MiB, hence three.
BENCH_CASES = ((128, "generated"), (128, "cublas"), (2048, "generated"), (2048, "cublas"))
# Bench cases above this many tokens store no input or reference (the
# input is drawn on the GPU machine); the T=128 ones check the numbers.
BENCH_STORE_MAX_TOKENS = 512
BENCH_DIM, BENCH_HIDDEN = 768, 3072
# --gpu-gemm modes every correctness case is built in.
GEMM_MODES = ("cublas", "generated")


def _run(cmd: Sequence[str], **kw) -> subprocess.CompletedProcess:
    return subprocess.run(list(cmd), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **kw)


def _must(cmd: Sequence[str], **kw) -> str:
    res = _run(cmd, **kw)
    if res.returncode:
        raise RuntimeError(f"command failed ({res.returncode}): {' '.join(cmd)}\n{res.stdout}")
    return res.stdout


def _input_names(exe: str) -> List[str]:
    """Input names from the executable's --help (lines '  NAME: dtype [shape]' after 'inputs')."""
    names, section = [], None
    for line in _must([exe, "--help"]).splitlines():
        if line.startswith("inputs"):
            section = "in"
        elif line.startswith("outputs") or line.startswith("options"):
            section = None
        elif section == "in" and line.startswith("  ") and ":" in line:
            names.append(line.strip().split(":")[0])
    return names


def _input_args(d: str, inputs: Dict[str, str]) -> List[str]:
    return [a for k, v in inputs.items() for a in ("--input", f"{k}={os.path.join(d, v)}")]


def _make_case(root: str, name: str, generator: str, args: Sequence[str], flags: Sequence[str],
               ffn_compile: str, bench: Optional[dict] = None, use_refs: bool = True) -> dict:
    d = os.path.join(root, name)
    work = os.path.join(root, "_work", name)
    for p in (d, work):
        shutil.rmtree(p, ignore_errors=True)
        os.makedirs(p)
    _must([sys.executable, "-m", generator, *args, "--out", work])
    model = os.path.join(work, "model.onnx")
    if not os.path.exists(model):
        model = os.path.join(work, "model.mlir")
    _must([ffn_compile, model, "--target=cuda", *flags, "-o", os.path.join(d, "model")])
    inputs = {}
    for n in _input_names(os.path.join(d, "model")):
        src = os.path.join(work, f"{n}.npy")
        shutil.copy(src, os.path.join(d, f"in_{n}.npy"))
        inputs[n] = f"in_{n}.npy"
    refs = {}
    for ref in glob.glob(os.path.join(work, "*_ref.npy")) if use_refs else []:
        out = os.path.basename(ref)[: -len("_ref.npy")]
        shutil.copy(ref, os.path.join(d, f"ref_{out}.npy"))
        refs[out] = f"ref_{out}.npy"
    case = {"name": name, "inputs": inputs, "refs": refs, "cpu": {}}
    if bench is not None and bench["tokens"] > BENCH_STORE_MAX_TOKENS:
        for n in list(inputs):
            os.remove(os.path.join(d, inputs.pop(n)))
        case["random_inputs"] = {n: [bench["tokens"], bench["dim"]] for n in _input_names(os.path.join(d, "model"))}
        for f in refs.values():
            os.remove(os.path.join(d, f))
        refs.clear()
    if bench is None:
        # The CPU build of the same model: the GPU must agree with it too.
        cpu_dir = os.path.join(work, "cpu")
        os.makedirs(cpu_dir)
        cpu_flags = [f for f in flags if not f.startswith("--gpu-")]
        _must([ffn_compile, model, *cpu_flags, "-o", os.path.join(cpu_dir, "model")])
        _must([os.path.join(cpu_dir, "model"), *_input_args(d, inputs), "--output-dir", cpu_dir])
        for out in glob.glob(os.path.join(cpu_dir, "*.npy")):
            base = os.path.basename(out)[:-4]
            shutil.copy(out, os.path.join(d, f"cpu_{base}.npy"))
            case["cpu"][base] = f"cpu_{base}.npy"
    else:
        case["bench"] = bench
    shutil.rmtree(work)
    return case


def make(root: str, ffn_compile: str, bench: bool, only: Optional[List[str]] = None) -> int:
    os.makedirs(root, exist_ok=True)
    cases = []
    todo = []
    for mode in GEMM_MODES:
        gemm = (f"--gpu-gemm={mode}",)
        todo += [(f"{mode}-set-{c.name}", c.generator, c.args, gemm, None) for c in MODEL_SET]
        todo += [(f"{mode}-{name}", gen, args, flags + gemm, None) for name, gen, args, flags in E2E_CASES]
        todo += [(f"{mode}-{name}", gen, args, flags + gemm, None, refs)
                 for name, gen, args, flags, refs in APPROX_CASES]
    if bench:
        for t, mode in BENCH_CASES:
            meta = {"tokens": t, "dim": BENCH_DIM, "hidden": BENCH_HIDDEN, "act": "gelu"}
            todo.append((f"bench-ffn-T{t}-{mode}", "ffn_tools.gen",
                         ("--kind", "encoder", "--tokens", str(t), "--dim", str(BENCH_DIM),
                          "--hidden", str(BENCH_HIDDEN)), (f"--gpu-gemm={mode}",), meta))
    if only:
        todo = [t for t in todo if any(o in t[0] for o in only)]
    for name, gen, args, flags, meta, *refs in todo:
        try:
            cases.append(_make_case(root, name, gen, args, flags, ffn_compile, bench=meta,
                                    use_refs=refs[0] if refs else True))
            print("made", name, flush=True)
        except RuntimeError as e:  # a compile failure is a result too
            print(f"FAILED to make {name}: {e}", flush=True)
            cases.append({"name": name, "make_error": str(e)[-2000:]})
    # The executables need the OpenMP runtime they were linked with.
    libdir = os.path.join(root, "lib")
    os.makedirs(libdir, exist_ok=True)
    built = next(c for c in cases if "make_error" not in c)
    ldd = _must(["ldd", os.path.join(root, built["name"], "model")])
    for line in ldd.splitlines():
        if "libomp" in line and "=>" in line:
            shutil.copy(line.split("=>")[1].split()[0], libdir)
    shutil.rmtree(os.path.join(root, "_work"), ignore_errors=True)
    with open(os.path.join(root, "manifest.json"), "w") as f:
        json.dump({"cases": cases, "rtol": RTOL}, f, indent=1)
    print(f"bundle: {len(cases)} cases in {root}")
    return 0


def _bench_exe(exe: str, args: List[str], iters: int) -> Dict[str, float]:
    out = _must([exe, *args, "--bench", str(iters)])
    vals = dict(line.split(": ") for line in out.splitlines() if ": " in line)
    return {"median_ms": float(vals["median_ms"]), "min_ms": float(vals["min_ms"])}


def _torch_ffn(meta: dict, iters: int) -> Dict[str, float]:
    """The same FFN in PyTorch on the GPU (cuBLAS GEMMs): device-only and host-to-host times."""
    import torch

    t, d, h = meta["tokens"], meta["dim"], meta["hidden"]
    g = torch.Generator().manual_seed(0)
    w1, b1 = torch.randn(h, d, generator=g) * d ** -0.5, torch.randn(h, generator=g)
    w2, b2 = torch.randn(d, h, generator=g) * h ** -0.5, torch.randn(d, generator=g)
    x_host = torch.randn(t, d, generator=g).pin_memory()
    dev = [p.cuda() for p in (w1, b1, w2, b2)]
    gelu = torch.nn.GELU()

    def ffn(x):
        return torch.nn.functional.linear(gelu(torch.nn.functional.linear(x, dev[0], dev[1])), dev[2], dev[3])

    res = {}
    for mode in ("fp32", "tf32"):
        torch.backends.cuda.matmul.allow_tf32 = mode == "tf32"
        x = x_host.cuda()
        for _ in range(10):
            ffn(x)
        torch.cuda.synchronize()
        times = []
        for _ in range(iters):
            start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            start.record()
            ffn(x)
            end.record()
            end.synchronize()
            times.append(start.elapsed_time(end))
        res[f"torch_{mode}_device_ms"] = statistics.median(times)
        times = []
        for _ in range(iters):
            t0 = time.perf_counter()
            ffn(x_host.cuda(non_blocking=True)).cpu()
            times.append((time.perf_counter() - t0) * 1e3)
        res[f"torch_{mode}_host_ms"] = statistics.median(times)
    torch.backends.cuda.matmul.allow_tf32 = False
    return res


def check(root: str, out_dir: str, iters: int) -> int:
    try:
        with open(os.path.join(root, "manifest.json")) as f:
            manifest = json.load(f)
    except (OSError, ValueError) as e:
        print(f"gpu-bundle: {root} is not a bundle made by 'make' (manifest.json: {e})", file=sys.stderr)
        return 2
    os.makedirs(out_dir, exist_ok=True)
    results, failed = [], 0
    for case in manifest["cases"]:
        if "make_error" in case:
            failed += 1
            results.append(case)
            print(f"{case['name']:<28} FAIL: could not be built: {case['make_error'][-300:]}", flush=True)
            continue
        d = os.path.join(root, case["name"])
        exe = os.path.join(d, "model")
        run_dir = os.path.join(out_dir, "_outputs", case["name"])
        os.makedirs(run_dir, exist_ok=True)
        args = _input_args(d, case["inputs"])
        for n, shape in case.get("random_inputs", {}).items():
            path = os.path.join(run_dir, f"in_{n}.npy")
            np.save(path, np.random.default_rng(0).standard_normal(shape, dtype=np.float32))
            args += ["--input", f"{n}={path}"]
        r = {"name": case["name"]}
        t0 = time.perf_counter()
        res = _run([exe, *args, "--output-dir", run_dir])
        r["first_run_s"] = time.perf_counter() - t0
        if res.returncode:
            r["error"] = res.stdout[-2000:]
            failed += 1
            results.append(r)
            print(f"{case['name']:<28} FAIL: exit {res.returncode}: {res.stdout.strip()[-500:]}", flush=True)
            continue
        errs = {}
        for kind in ("refs", "cpu"):
            for out, f in case[kind].items():
                got_path = os.path.join(run_dir, f"{out}.npy")
                if not os.path.exists(got_path):
                    errs[f"{kind}:{out}"] = float("inf")
                    continue
                ref, got = np.load(os.path.join(d, f)), np.load(got_path)
                errs[f"{kind}:{out}"] = max_rel_error(ref, got) if ref.shape == got.shape else float("inf")
        r["errors"] = errs
        # Cases without references (large timed ones) are checked for running only.
        ok = all(e <= manifest["rtol"] for e in errs.values()) and (errs or "random_inputs" in case)
        line = f"{case['name']:<28} " + "  ".join(f"{k} {v:.2e}" for k, v in errs.items())
        if "bench" in case:
            r.update(_bench_exe(exe, args, iters))
            line += f"  ffn-gpu median {r['median_ms']:.3f} ms"
            try:
                r.update(_torch_ffn(case["bench"], iters))
                line += "  " + "  ".join(f"{k} {v:.3f}" for k, v in r.items() if k.startswith("torch_"))
            except Exception as e:  # PyTorch missing or failing: report, go on
                r["torch_error"] = repr(e)
                line += f"  torch: {e!r}"
        if not ok:
            failed += 1
            line += f"  FAIL (rtol {manifest['rtol']:g})"
        print(line, flush=True)
        results.append(r)
    shutil.rmtree(os.path.join(out_dir, "_outputs"), ignore_errors=True)
    with open(os.path.join(out_dir, "results.json"), "w") as f:
        json.dump({"cases": results, "failed": failed}, f, indent=1)
    print(f"gpu-bundle: {len(results) - failed} passed, {failed} failed")
    return 1 if failed else 0


def main(argv: Optional[List[str]] = None) -> int:
    p = argparse.ArgumentParser(prog="python3 -m ffn_tools.gpu_bundle", description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    m = sub.add_parser("make", help="build the bundle (no GPU needed)")
    m.add_argument("dir")
    m.add_argument("--ffn-compile", default="ffn-compile")
    m.add_argument("--no-bench", action="store_true", help="leave out the BERT-base-size FFN executables")
    m.add_argument("--only", nargs="+", help="cases whose name contains one of these")
    c = sub.add_parser("check", help="run the bundle on a GPU machine")
    c.add_argument("dir")
    c.add_argument("--out", default=".", help="where results.json goes")
    c.add_argument("--iters", type=int, default=50, help="timed iterations (default %(default)s)")
    a = p.parse_args(argv)
    if a.cmd == "make":
        if not shutil.which(a.ffn_compile):
            print(f"gpu-bundle: ffn-compile not found: {a.ffn_compile}", file=sys.stderr)
            return 2
        return make(a.dir, a.ffn_compile, not a.no_bench, a.only)
    return check(a.dir, a.out, a.iters)


if __name__ == "__main__":
    sys.exit(main())
