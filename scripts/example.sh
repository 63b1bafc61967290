#!/usr/bin/env bash
# The main example: a BERT-base encoder layer's FFN block (LayerNorm, FFN
# 768 -> 3072 -> 768 with GELU, residual add; 128 tokens), compiled with
# build/bin/ffn-compile from its ONNX export (model.onnx), run, checked against onnxruntime on the same input
# (fails if max_rel_error > 1e-4) and timed against it with 2 threads each.
#
# Assumes the dependencies are installed (scripts/install-deps.sh) and the
# project is built in build/. Extra arguments go to python3 -m ffn_tools.example,
# e.g. scripts/example.sh --tokens 512 --iters 50, or --kind gated --norm rms.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY="${PYTHON:-python3}"
FFN_COMPILE="${FFN_COMPILE:-$ROOT/build/bin/ffn-compile}"

if [ ! -x "$FFN_COMPILE" ]; then
  echo "example.sh: $FFN_COMPILE not found; build the project first (cmake -S . -B build -G Ninja && ninja -C build)" >&2
  exit 2
fi
export PYTHONPATH="$ROOT/python${PYTHONPATH:+:$PYTHONPATH}"
exec "$PY" -m ffn_tools.example --ffn-compile "$FFN_COMPILE" --compile-from onnx "$@"
