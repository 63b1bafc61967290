#!/usr/bin/env bash
# Installs what ffn needs to build and test, idempotently: Debian's LLVM/MLIR 22
# and build tools through apt, and onnx/onnxruntime/numpy through pip.
# Safe to run repeatedly; it skips what is already present.
set -euo pipefail

APT_PACKAGES=(
  llvm-22-dev libmlir-22-dev mlir-22-tools llvm-22-tools clang-22 lld-22
  libomp-22-dev ninja-build cmake libonnx-dev protobuf-compiler libprotobuf-dev
  liblapacke-dev libopenblas-dev libclang-rt-22-dev
)
PIP_PACKAGES=(numpy onnx onnxruntime)

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" \
    || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: apt installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

PY=${PYTHON:-python3}
if ! "$PY" -c "import numpy, onnx, onnxruntime" 2>/dev/null; then
  echo "install-deps: pip installing ${PIP_PACKAGES[*]}"
  "$PY" -m pip install -q "${PIP_PACKAGES[@]}"
fi
echo "install-deps: done"
