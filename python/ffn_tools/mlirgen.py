"""Writes test models as ``.mlir`` files in the ``ffn`` dialect.

The file holds one public ``func.func @main`` whose argument ``x`` and result
``y`` carry their graph names (``{ffn.name = "x"}``), the weights as
``arith.constant dense_resource<NAME>`` and their bytes in the trailing
``dialect_resources`` section (a 4-byte alignment header ``04000000`` then the
raw little-endian float32 data, hex encoded). The FFN itself is one
``ffn.mlp`` block; an optional pre-norm and residual add sit outside it::

    %n = ffn.layer_norm %x scale %ln_scale bias %ln_bias {epsilon = ...} : ...
    %y = ffn.mlp(%n, %w1, %b1, %w2, %b2) : (...) -> T { ... ffn.yield %o : T }
    %r = arith.addf %x, %y : T

Typical use::

    from ffn_tools.mlirgen import build_model, write_mlir
    model = build_model(kind="encoder", tokens=128, dim=768, hidden=3072)
    write_mlir(model, "model.mlir")

Blobs are hex-encoded per array with ``bytes.hex()``: a BERT-base FFN (about
19 MB of weights) is written in a fraction of a second.
"""

from __future__ import annotations

import os
from typing import Dict, Iterable, List, Sequence, Union

import numpy as np

from ffn_tools.model import FFNModel, FFNSpec, build_model, make_input, make_params  # noqa: F401 (re-exported)

__all__ = ["build_model", "tensor_type", "resource_blob", "mlir_text", "write_mlir", "FFNSpec", "FFNModel"]

#: The alignment header of a ``dense_resource`` blob (4 bytes, little endian).
_ALIGN_HEADER = (4).to_bytes(4, "little")


def tensor_type(shape: Sequence[int], elem: str = "f32") -> str:
    """``tensor<7x40xf32>`` for ``shape=(7, 40)``."""
    return "tensor<" + "".join(f"{d}x" for d in shape) + elem + ">"


def resource_blob(array: np.ndarray) -> str:
    """The quoted-string value of a float32 ``dense_resource`` blob."""
    data = np.ascontiguousarray(array, dtype="<f4").tobytes()
    return '"0x' + (_ALIGN_HEADER + data).hex().upper() + '"'


def _format_eps(eps: float) -> str:
    # MLIR float literals need a decimal point: 1.000000e-05.
    return f"{eps:.6e}"


def _body_lines(spec: FFNSpec, arg_names: Dict[str, str], types: Dict[str, str]) -> List[str]:
    """The ``ffn.mlp`` body (without the block header and terminator)."""
    T, Hs = tensor_type(spec.token_shape), tensor_type(spec.hidden_shape)
    lines: List[str] = []

    def linear(result: str, inp: str, inp_type: str, lin, out_type: str) -> str:
        operands = [inp, arg_names[lin.weight]]
        in_types = [inp_type, types[lin.weight]]
        if lin.bias:
            operands.append(arg_names[lin.bias])
            in_types.append(types[lin.bias])
        return f"    {result} = ffn.linear {', '.join(operands)} : ({', '.join(in_types)}) -> {out_type}"

    def act(result: str, inp: str) -> str:
        if spec.act == "gelu":
            return f"    {result} = ffn.gelu {inp} : {Hs}"
        if spec.act == "gelu_tanh":
            return f"    {result} = ffn.gelu {inp} approximate<tanh> : {Hs}"
        return f"    {result} = ffn.{spec.act} {inp} : {Hs}"

    lins = spec.linears()
    if spec.kind == "encoder":
        first, second = lins
        lines.append(linear("%h", "%a", T, first, Hs))
        lines.append(act("%g", "%h"))
        lines.append(linear("%o", "%g", Hs, second, T))
    else:
        gate, up, down = lins
        lines.append(linear("%g", "%a", T, gate, Hs))
        lines.append(linear("%u", "%a", T, up, Hs))
        lines.append(act("%s", "%g"))
        lines.append(f"    %m = arith.mulf %s, %u : {Hs}")
        lines.append(linear("%o", "%m", Hs, down, T))
    lines.append(f"    ffn.yield %o : {T}")
    return lines


def mlir_function_text(model: FFNModel, input_name: str = "x", output_name: str = "y") -> str:
    """The ``func.func @main`` of the model, without the resource section."""
    spec = model.spec
    p = model.params
    T = tensor_type(spec.token_shape)
    types = {name: tensor_type(arr.shape) for name, arr in p.items()}
    out: List[str] = [
        f'func.func @main(%x: {T} {{ffn.name = "{input_name}"}}) -> ({T} {{ffn.name = "{output_name}"}}) {{'
    ]

    # Pre-norm, outside the FFN block.
    ffn_input = "%x"
    for name in spec.norm_param_names():
        out.append(f"  %{name} = arith.constant dense_resource<{name}> : {types[name]}")
    if spec.norm == "layer":
        out.append(
            f"  %n = ffn.layer_norm %x scale %ln_scale bias %ln_bias {{epsilon = {_format_eps(spec.eps)} : f32}}"
            f" : ({T}, {types['ln_scale']}, {types['ln_bias']}) -> {T}"
        )
        ffn_input = "%n"
    elif spec.norm == "rms":
        out.append(
            f"  %n = ffn.rms_norm %x scale %rms_scale {{epsilon = {_format_eps(spec.eps)} : f32}}"
            f" : ({T}, {types['rms_scale']}) -> {T}"
        )
        ffn_input = "%n"

    # The FFN block.
    names = spec.mlp_param_names()
    for name in names:
        out.append(f"  %{name} = arith.constant dense_resource<{name}> : {types[name]}")
    operands = ", ".join([ffn_input] + [f"%{n}" for n in names])
    op_types = ", ".join([T] + [types[n] for n in names])
    out.append(f"  %y = ffn.mlp({operands}) : ({op_types}) -> {T} {{")
    arg_names = {n: f"%p_{n}" for n in names}
    block_args = ", ".join([f"%a: {T}"] + [f"{arg_names[n]}: {types[n]}" for n in names])
    out.append(f"  ^bb0({block_args}):")
    out.extend(_body_lines(spec, arg_names, types))
    out.append("  }")

    result = "%y"
    if spec.residual:
        out.append(f"  %r = arith.addf %x, %y : {T}")
        result = "%r"
    out.append(f"  return {result} : {T}")
    out.append("}")
    return "\n".join(out) + "\n"


def _resource_section(blobs: Iterable) -> Iterable[str]:
    """Yields the text of the ``dialect_resources`` section piece by piece."""
    items = list(blobs)
    yield "\n{-#\n  dialect_resources: {\n    builtin: {\n"
    for i, (name, arr) in enumerate(items):
        sep = "," if i + 1 < len(items) else ""
        yield f"      {name}: "
        yield resource_blob(arr)
        yield sep + "\n"
    yield "    }\n  }\n#-}\n"


def mlir_text(model: FFNModel, input_name: str = "x", output_name: str = "y") -> str:
    """The whole ``.mlir`` file as one string (fine for small models; use
    :func:`write_mlir` for large ones, which streams the blobs)."""
    names = model.spec.norm_param_names() + model.spec.mlp_param_names()
    return mlir_function_text(model, input_name, output_name) + "".join(
        _resource_section((n, model.params[n]) for n in names)
    )


def write_mlir(model: FFNModel, path: Union[str, os.PathLike], input_name: str = "x", output_name: str = "y") -> None:
    """Writes the model to ``path`` as an ``ffn``-dialect ``.mlir`` file."""
    names = model.spec.norm_param_names() + model.spec.mlp_param_names()
    with open(path, "w", encoding="ascii") as f:
        f.write(mlir_function_text(model, input_name, output_name))
        for piece in _resource_section((n, model.params[n]) for n in names):
            f.write(piece)
