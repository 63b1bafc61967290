# -*- Python -*-
# lit configuration of the ffn regression suite.

import os
import subprocess

import lit.formats
import lit.util
from lit.llvm import llvm_config
from lit.llvm.subst import ToolSubst

config.name = "FFN"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".test", ".onnxtext"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.ffn_obj_root, "test")
config.excludes = ["Inputs", "CMakeLists.txt", "README.md", "lit.cfg.py",
                   "lit.site.cfg.py"]

llvm_config.use_default_substitutions()
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)
llvm_config.with_environment("PATH", config.ffn_tools_dir, append_path=True)
# The Python helpers import the project's python/ package.
llvm_config.with_environment(
    "PYTHONPATH", os.path.join(config.ffn_src_root, "python"), append_path=True)
# numpy/onnxruntime use all cores by default; keep test runs predictable.
config.environment["OMP_NUM_THREADS"] = os.environ.get("OMP_NUM_THREADS", "2")

# lit's default %python is the interpreter lit runs under (Debian's, without
# numpy); the tests need the configured one.
config.substitutions = [s for s in config.substitutions if s[0] != "%python"]
config.substitutions.append(("%python", '"%s"' % config.python_executable))
config.substitutions.append(("%ffn_src_root", config.ffn_src_root))
config.substitutions.append(("%cc", config.c_compiler))
config.substitutions.append(
    ("%ffn_runtime_include", os.path.join(config.ffn_src_root, "runtime", "include")))

tool_dirs = [config.ffn_tools_dir, config.llvm_tools_dir]
tools = ["ffn-opt", "ffn-compile", "ffn-import-fuzzer", "FileCheck", "not", "count"]
llvm_config.add_tool_substitutions(
    [ToolSubst(t, unresolved="ignore") for t in tools], tool_dirs)

# Features: numpy for the end-to-end tests, onnxruntime for reference runs.
def _python_has(module):
    try:
        subprocess.check_call(
            [config.python_executable, "-c", "import " + module],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return True
    except (OSError, subprocess.CalledProcessError):
        return False

if _python_has("numpy"):
    config.available_features.add("numpy")
if _python_has("onnxruntime"):
    config.available_features.add("onnxruntime")
if os.path.exists(os.path.join(config.ffn_tools_dir, "ffn-compile")):
    config.available_features.add("ffn-compile")
if os.path.exists(os.path.join(config.ffn_tools_dir, "ffn-import-fuzzer")):
    config.available_features.add("fuzzer")

# The GPU target: `cuda` when the build found the CUDA toolkit (compile-only
# tests: GPU IR, PTX, ptxas), `cuda-device` when a GPU is also visible
# (test/GPU/e2e runs the binaries).
if getattr(config, "ffn_have_cuda", "OFF").upper() in ("ON", "TRUE", "1"):
    config.available_features.add("cuda")
    config.substitutions.append(("%cuda_toolkit", config.ffn_cuda_toolkit))
    config.substitutions.append(
        ("%ptxas", os.path.join(config.ffn_cuda_toolkit, "bin", "ptxas")))
    config.substitutions.append(
        ("%ffn_cuda_runtime",
         os.path.join(config.ffn_obj_root, "lib", "libffn_cuda_runtime.a")))
    try:
        subprocess.check_call(["nvidia-smi", "-L"], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, timeout=30)
        config.available_features.add("cuda-device")
    except (OSError, subprocess.CalledProcessError, subprocess.TimeoutExpired):
        pass
