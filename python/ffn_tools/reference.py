"""Numpy reference of the test models, and a float32 numpy implementation.

:func:`reference_forward` evaluates a model in float64 and rounds the result
to float32 once: it is the accuracy reference (float32 round-off of the
compiled code and of onnxruntime is then measured against a value that has
almost none of its own).

:class:`Float32Runner` is the same computation in float32 with preallocated
buffers, as a careful numpy user would write it: it is the "numpy on
OpenBLAS" speed baseline of the benchmarks.

numpy has no ``erf``, and ``math.erf`` through ``np.vectorize`` is far too
slow for the hundreds of thousands of hidden activations of a real FFN, so
:func:`erf` is a vectorised float64 implementation (power series near zero,
continued fraction in the tails) accurate to a few units in the last place
of float64.
"""

from __future__ import annotations

import math
from typing import Dict, Optional

import numpy as np

from ffn_tools.model import FFNModel, FFNSpec

_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_GELU_TANH_COEFF = 0.044715

# Below this |x| the power series is used, above it the continued fraction.
_ERF_SWITCH = 3.0


def _erf_series(x: np.ndarray) -> np.ndarray:
    """erf for |x| < 3 by ``2/sqrt(pi) e^{-x²} Σ (2x²)^n x / (2n+1)!!``.

    All terms are positive, so there is no cancellation; the term ratio is
    ``2x²/(2n+3)``, which for |x| < 3 makes 100 terms more than enough.
    """
    x2 = x * x
    term = x.copy()
    total = x.copy()
    for n in range(120):
        term *= 2.0 * x2 / (2 * n + 3)
        total += term
        if not np.any(np.abs(term) > 1e-17 * np.abs(total)):
            break
    return _TWO_OVER_SQRT_PI * np.exp(-x2) * total


def _erfc_cf(x: np.ndarray) -> np.ndarray:
    """erfc for x >= 3 by its continued fraction, evaluated backwards.

    ``erfc(x) = e^{-x²}/sqrt(pi) / (x + (1/2)/(x + 1/(x + (3/2)/(x + ...))))``
    """
    k = x.copy()
    for n in range(80, 0, -1):
        k = x + (0.5 * n) / k
    return np.exp(-x * x) / (math.sqrt(math.pi) * k)


def erf(x) -> np.ndarray:
    """Vectorised error function in float64 (relative error ~1e-15)."""
    x = np.asarray(x, dtype=np.float64)
    ax = np.abs(x)
    out = np.empty_like(ax)
    small = ax < _ERF_SWITCH
    if np.any(small):
        out[small] = _erf_series(ax[small])
    big = ~small
    if np.any(big):
        out[big] = 1.0 - _erfc_cf(ax[big])
    # NaNs fall in neither branch's arithmetic sense; keep them NaN.
    out[np.isnan(x)] = np.nan
    return np.copysign(out, x)


def activation(name: str, h: np.ndarray) -> np.ndarray:
    """Applies a named activation in ``h``'s dtype (use float64 for reference)."""
    if name == "gelu":
        return 0.5 * h * (1.0 + erf(h / math.sqrt(2.0)).astype(h.dtype))
    if name == "gelu_tanh":
        return 0.5 * h * (1.0 + np.tanh(_SQRT_2_OVER_PI * (h + _GELU_TANH_COEFF * h * h * h)))
    if name == "relu":
        return np.maximum(h, 0)
    if name == "silu":
        return h / (1.0 + np.exp(-h))
    raise ValueError(f"unknown activation {name!r}")


def layer_norm(x: np.ndarray, scale: np.ndarray, bias: np.ndarray, eps: float) -> np.ndarray:
    """LayerNorm over the last axis with the biased variance (as ONNX/PyTorch)."""
    mean = x.mean(axis=-1, keepdims=True)
    centred = x - mean
    var = (centred * centred).mean(axis=-1, keepdims=True)
    return centred / np.sqrt(var + eps) * scale + bias


def rms_norm(x: np.ndarray, scale: np.ndarray, eps: float) -> np.ndarray:
    """RMSNorm over the last axis (Llama)."""
    ms = (x * x).mean(axis=-1, keepdims=True)
    return x / np.sqrt(ms + eps) * scale


def _norm(spec: FFNSpec, p: Dict[str, np.ndarray], x: np.ndarray) -> np.ndarray:
    if spec.norm == "layer":
        return layer_norm(x, p["ln_scale"], p["ln_bias"], spec.eps)
    if spec.norm == "rms":
        return rms_norm(x, p["rms_scale"], spec.eps)
    return x


def _linear(x: np.ndarray, w: np.ndarray, b: Optional[np.ndarray]) -> np.ndarray:
    y = x @ w.T
    if b is not None:
        y = y + b
    return y


def ffn_forward(spec: FFNSpec, params: Dict[str, np.ndarray], x: np.ndarray) -> np.ndarray:
    """``[x +] FFN(norm(x))`` in the dtype of ``x`` and ``params``."""
    n = _norm(spec, params, x)
    lins = spec.linears()
    get = lambda name: None if name is None else params[name]  # noqa: E731
    if spec.kind == "encoder":
        first, second = lins
        h = activation(spec.act, _linear(n, params[first.weight], get(first.bias)))
        o = _linear(h, params[second.weight], get(second.bias))
    else:
        gate, up, down = lins
        m = activation(spec.act, _linear(n, params[gate.weight], None)) * _linear(n, params[up.weight], None)
        o = _linear(m, params[down.weight], None)
    return x + o if spec.residual else o


def reference_forward(model: FFNModel, x: Optional[np.ndarray] = None) -> np.ndarray:
    """The model's output on ``x`` (default: the model's own input), computed
    in float64 from the float32 parameters and rounded to float32."""
    if x is None:
        x = model.x
    p64 = {k: v.astype(np.float64) for k, v in model.params.items()}
    return ffn_forward(model.spec, p64, np.asarray(x, dtype=np.float64)).astype(np.float32)


# ---------------------------------------------------------------------------
# float32 numpy implementation (speed baseline)
# ---------------------------------------------------------------------------

# Abramowitz & Stegun 7.1.26: |error| < 1.5e-7 in erf, i.e. float32 level.
_AS_P = np.float32(0.3275911)
_AS_A = [np.float32(c) for c in (0.254829592, -0.284496736, 1.421413741, -1.453152027, 1.061405429)]


def _gelu_erf_f32_inplace(h: np.ndarray, z: np.ndarray, t: np.ndarray, poly: np.ndarray) -> None:
    """GELU(erf) in float32, in place in ``h``, with three scratch buffers.

    ``gelu(x) = x * Φ(x)`` with ``Φ(x) = 1 - 0.5 erfc(x/√2)`` for x >= 0 and
    ``Φ(x) = 0.5 erfc(|x|/√2)`` for x < 0; erfc from A&S 7.1.26.
    """
    np.abs(h, out=z)
    z *= np.float32(1.0 / math.sqrt(2.0))
    np.multiply(z, _AS_P, out=t)
    t += np.float32(1.0)
    np.reciprocal(t, out=t)  # t = 1 / (1 + p|z|)
    np.square(z, out=z)
    np.negative(z, out=z)
    np.exp(z, out=z)  # z = exp(-z²)
    a1, a2, a3, a4, a5 = _AS_A
    np.multiply(t, a5, out=poly)  # Horner: poly = t(a1 + t(a2 + ... t a5))
    for a in (a4, a3, a2, a1):
        poly += a
        poly *= t
    np.multiply(poly, z, out=z)
    z *= np.float32(0.5)  # z = 0.5 erfc(|x|/√2)
    np.subtract(np.float32(1.0), z, out=t)
    np.copyto(t, z, where=h < 0)  # t = Φ(x)
    h *= t


class Float32Runner:
    """The model in float32 numpy, buffers and transposed weights prepared once.

    ``gemm_only=True`` evaluates only the linear layers with their biases
    (norm, activation and residual skipped): the BLAS share of the work, a
    lower bound for any numpy implementation.
    """

    def __init__(self, model: FFNModel, gemm_only: bool = False):
        spec = model.spec
        self.spec = spec
        self.gemm_only = gemm_only
        p = model.params
        rows = spec.num_tokens
        self._wt = {lin.weight: np.ascontiguousarray(p[lin.weight].T) for lin in spec.linears()}
        self._p = p
        self._h = np.empty((rows, spec.hidden), np.float32)
        self._u = np.empty((rows, spec.hidden), np.float32) if spec.kind == "gated" else None
        self._t1 = np.empty((rows, spec.hidden), np.float32)
        self._t2 = np.empty((rows, spec.hidden), np.float32)
        self._t3 = np.empty((rows, spec.hidden), np.float32) if spec.act == "gelu" else None
        self._o = np.empty((rows, spec.dim), np.float32)

    def _act(self, h: np.ndarray) -> None:
        act = self.spec.act
        if act == "gelu":
            _gelu_erf_f32_inplace(h, self._t1, self._t2, self._t3)
        elif act == "gelu_tanh":
            t = self._t1
            np.multiply(h, h, out=t)
            t *= np.float32(_GELU_TANH_COEFF)
            t += np.float32(1.0)
            t *= h
            t *= np.float32(_SQRT_2_OVER_PI)
            np.tanh(t, out=t)
            t += np.float32(1.0)
            t *= np.float32(0.5)
            h *= t
        elif act == "relu":
            np.maximum(h, np.float32(0), out=h)
        elif act == "silu":
            t = self._t1
            np.negative(h, out=t)
            np.exp(t, out=t)
            t += np.float32(1.0)
            np.divide(h, t, out=h)
        else:  # pragma: no cover - FFNSpec validates
            raise ValueError(act)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        spec, p = self.spec, self._p
        x2 = x.reshape(spec.num_tokens, spec.dim)
        n = x2
        if not self.gemm_only and spec.norm == "layer":
            n = layer_norm(x2, p["ln_scale"], p["ln_bias"], np.float32(spec.eps)).astype(np.float32, copy=False)
        elif not self.gemm_only and spec.norm == "rms":
            n = rms_norm(x2, p["rms_scale"], np.float32(spec.eps)).astype(np.float32, copy=False)
        lins = spec.linears()
        h, o = self._h, self._o
        if spec.kind == "encoder":
            first, second = lins
            np.matmul(n, self._wt[first.weight], out=h)
            if first.bias:
                h += p[first.bias]
            if not self.gemm_only:
                self._act(h)
            np.matmul(h, self._wt[second.weight], out=o)
            if second.bias:
                o += p[second.bias]
        else:
            gate, up, down = lins
            np.matmul(n, self._wt[gate.weight], out=h)
            np.matmul(n, self._wt[up.weight], out=self._u)
            if not self.gemm_only:
                self._act(h)
                h *= self._u
            np.matmul(h, self._wt[down.weight], out=o)
        out = o
        if spec.residual and not self.gemm_only:
            out = o + x2
        return out.reshape(spec.token_shape)
