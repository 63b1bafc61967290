"""Description of a transformer FFN test model and its seeded parameters.

A model is ``y = [x +] FFN(norm(x))`` on token activations ``x`` of shape
``[T, D]`` or ``[B, T, D]``, where

- the *encoder* FFN (BERT, ViT, GPT-2) is ``act(x W1ᵀ + b1) W2ᵀ + b2`` with
  ``act`` one of ``gelu`` (erf form), ``gelu_tanh``, ``relu``, ``silu`` and
  the biases optional;
- the *gated* FFN (Llama) is ``(act(x Wgᵀ) * (x Wuᵀ)) Wdᵀ`` without biases,
  ``act`` being ``silu`` unless asked otherwise;
- ``norm`` is nothing, LayerNorm (scale and bias) or RMSNorm (scale);
- the residual add is optional.

Weights follow PyTorch: a linear layer's weight is ``[out, in]``. They are
drawn from a seeded normal distribution scaled like trained layers (standard
deviation ``1/sqrt(in_features)``), so activations keep unit scale through the
network and errors are measured on realistic magnitudes.

The MLIR writer (:mod:`ffn_tools.mlirgen`), the ONNX writer
(:mod:`ffn_tools.onnxgen`) and the numpy reference
(:mod:`ffn_tools.reference`) all read an :class:`FFNModel`, so the three
describe exactly the same computation.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

import numpy as np

KINDS = ("encoder", "gated")
ACTIVATIONS = ("gelu", "gelu_tanh", "relu", "silu")
NORMS = ("none", "layer", "rms")

#: Default epsilon per norm (BERT's LayerNorm uses 1e-12, PyTorch's default
#: is 1e-5; Llama's RMSNorm uses 1e-6 or 1e-5).
DEFAULT_EPS = {"layer": 1e-5, "rms": 1e-6}


@dataclass(frozen=True)
class Linear:
    """One linear layer of the FFN: weight ``[out_features, in_features]``."""

    weight: str
    bias: Optional[str]
    in_features: int
    out_features: int


@dataclass(frozen=True)
class FFNSpec:
    """Shape and structure of a test model.

    ``act`` and ``bias`` default by ``kind`` (encoder: GELU with biases;
    gated: SiLU without biases). ``eps`` defaults by ``norm``.
    """

    kind: str = "encoder"
    tokens: int = 7
    dim: int = 40
    hidden: int = 100
    batch: Optional[int] = None
    act: Optional[str] = None
    bias: Optional[bool] = None
    norm: str = "none"
    residual: bool = False
    eps: Optional[float] = None
    seed: int = 0

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {self.kind!r}")
        if self.norm not in NORMS:
            raise ValueError(f"norm must be one of {NORMS}, got {self.norm!r}")
        act = self.act or ("gelu" if self.kind == "encoder" else "silu")
        if act not in ACTIVATIONS:
            raise ValueError(f"act must be one of {ACTIVATIONS}, got {act!r}")
        bias = self.bias
        if bias is None:
            bias = self.kind == "encoder"
        if bias and self.kind == "gated":
            raise ValueError("the gated FFN has no biases")
        for field in ("tokens", "dim", "hidden"):
            if getattr(self, field) < 1:
                raise ValueError(f"{field} must be positive")
        if self.batch is not None and self.batch < 1:
            raise ValueError("batch must be positive")
        eps = self.eps
        if eps is None and self.norm != "none":
            eps = DEFAULT_EPS[self.norm]
        object.__setattr__(self, "act", act)
        object.__setattr__(self, "bias", bool(bias))
        object.__setattr__(self, "eps", eps)

    # -- shapes ---------------------------------------------------------------

    @property
    def lead_shape(self) -> Tuple[int, ...]:
        """The token dimensions: ``(T,)`` or ``(B, T)``."""
        if self.batch is None:
            return (self.tokens,)
        return (self.batch, self.tokens)

    @property
    def token_shape(self) -> Tuple[int, ...]:
        """Shape of the input ``x`` and the output ``y``."""
        return self.lead_shape + (self.dim,)

    @property
    def hidden_shape(self) -> Tuple[int, ...]:
        """Shape of the FFN's hidden activation."""
        return self.lead_shape + (self.hidden,)

    @property
    def num_tokens(self) -> int:
        """Total number of token rows (``B*T``)."""
        return int(np.prod(self.lead_shape))

    # -- structure ------------------------------------------------------------

    def linears(self) -> List[Linear]:
        """The FFN's linear layers in evaluation order."""
        D, H = self.dim, self.hidden
        if self.kind == "encoder":
            return [
                Linear("w1", "b1" if self.bias else None, D, H),
                Linear("w2", "b2" if self.bias else None, H, D),
            ]
        return [Linear("wg", None, D, H), Linear("wu", None, D, H), Linear("wd", None, H, D)]

    def mlp_param_names(self) -> List[str]:
        """Parameters of the FFN block in ``ffn.mlp`` operand order."""
        names: List[str] = []
        for lin in self.linears():
            names.append(lin.weight)
            if lin.bias:
                names.append(lin.bias)
        return names

    def norm_param_names(self) -> List[str]:
        """Parameters of the pre-norm (empty when there is none)."""
        if self.norm == "layer":
            return ["ln_scale", "ln_bias"]
        if self.norm == "rms":
            return ["rms_scale"]
        return []

    def flops(self) -> int:
        """FLOPs of the linear layers, a multiply-add counting 2 (DESIGN.md)."""
        return sum(2 * self.num_tokens * lin.in_features * lin.out_features for lin in self.linears())

    def num_params(self) -> int:
        """Number of FFN parameters (weights and biases, norm excluded)."""
        n = 0
        for lin in self.linears():
            n += lin.in_features * lin.out_features + (lin.out_features if lin.bias else 0)
        return n

    def describe(self) -> str:
        """A one-line human description."""
        shape = "x".join(str(d) for d in self.token_shape)
        parts = [f"{self.kind} FFN", f"x:{shape}", f"H={self.hidden}", self.act]
        if self.kind == "encoder":
            parts.append("bias" if self.bias else "no-bias")
        if self.norm != "none":
            parts.append(f"{self.norm}-norm(eps={self.eps:g})")
        if self.residual:
            parts.append("residual")
        return ", ".join(parts)

    def to_dict(self) -> dict:
        """JSON-serialisable form (round-trips through :meth:`from_dict`)."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "FFNSpec":
        fields = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in fields})

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True)


@dataclass
class FFNModel:
    """A spec with its parameters (float32, PyTorch layout) and a sample input."""

    spec: FFNSpec
    params: Dict[str, np.ndarray]
    x: np.ndarray

    def mlp_params(self) -> List[Tuple[str, np.ndarray]]:
        return [(n, self.params[n]) for n in self.spec.mlp_param_names()]

    def norm_params(self) -> List[Tuple[str, np.ndarray]]:
        return [(n, self.params[n]) for n in self.spec.norm_param_names()]


def make_params(spec: FFNSpec) -> Dict[str, np.ndarray]:
    """Draws the model's parameters from ``spec.seed`` (deterministic).

    Weights ``[out, in]`` ~ N(0, 1/in); biases ~ N(0, 0.05²); LayerNorm and
    RMSNorm scales ~ 1 + N(0, 0.1²), LayerNorm bias ~ N(0, 0.05²) — away from
    the identity so that a compiler folding the norm is actually tested.
    """
    weight_seed, _ = np.random.SeedSequence(spec.seed).spawn(2)
    rng = np.random.default_rng(weight_seed)
    params: Dict[str, np.ndarray] = {}
    D = spec.dim
    if spec.norm == "layer":
        params["ln_scale"] = (1.0 + 0.1 * rng.standard_normal(D)).astype(np.float32)
        params["ln_bias"] = (0.05 * rng.standard_normal(D)).astype(np.float32)
    elif spec.norm == "rms":
        params["rms_scale"] = (1.0 + 0.1 * rng.standard_normal(D)).astype(np.float32)
    for lin in spec.linears():
        w = rng.standard_normal((lin.out_features, lin.in_features), dtype=np.float32)
        w *= np.float32(1.0 / np.sqrt(lin.in_features))
        params[lin.weight] = w
        if lin.bias:
            params[lin.bias] = (0.05 * rng.standard_normal(lin.out_features)).astype(np.float32)
    return params


def make_input(spec: FFNSpec) -> np.ndarray:
    """A seeded standard-normal input ``x`` of ``spec.token_shape`` (float32)."""
    _, input_seed = np.random.SeedSequence(spec.seed).spawn(2)
    rng = np.random.default_rng(input_seed)
    return rng.standard_normal(spec.token_shape, dtype=np.float32)


def build_model(spec: Optional[FFNSpec] = None, **kwargs) -> FFNModel:
    """Builds a model from a spec, or from :class:`FFNSpec` keyword arguments.

    >>> m = build_model(kind="gated", tokens=4, dim=8, hidden=16)
    >>> m.x.shape, m.params["wg"].shape
    ((4, 8), (16, 8))
    """
    if spec is None:
        spec = FFNSpec(**kwargs)
    elif kwargs:
        spec = dataclasses.replace(spec, **kwargs)
    return FFNModel(spec=spec, params=make_params(spec), x=make_input(spec))
