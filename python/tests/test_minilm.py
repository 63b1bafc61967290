"""Tests of ffn_tools.minilm without the download: the safetensors parser,
the WordPiece tokenizer, and the BERT + pooling graph on a tiny synthetic
checkpoint (random weights written as safetensors, a toy vocabulary), whose
onnxruntime output must equal the float64 numpy forward pass.
"""

import json
import os
import struct
import sys
import tempfile
import unittest

TESTS_DIR = os.path.dirname(os.path.abspath(__file__))
PYTHON_DIR = os.path.dirname(TESTS_DIR)
if PYTHON_DIR not in sys.path:
    sys.path.insert(0, PYTHON_DIR)

import numpy as np  # noqa: E402

from ffn_tools import minilm  # noqa: E402
from ffn_tools.minilm import SafetensorsError, WordPieceTokenizer, read_safetensors, write_safetensors  # noqa: E402

try:
    import onnx  # noqa: F401
    import onnxruntime  # noqa: F401

    HAVE_ORT = True
except ImportError:
    HAVE_ORT = False


def _raw(header: dict, data: bytes = b"", length=None) -> bytes:
    text = json.dumps(header).encode()
    return struct.pack("<Q", len(text) if length is None else length) + text + data


class SafetensorsTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.path = os.path.join(self.tmp.name, "t.safetensors")

    def tearDown(self):
        self.tmp.cleanup()

    def _write(self, blob: bytes) -> str:
        with open(self.path, "wb") as f:
            f.write(blob)
        return self.path

    def test_hand_written_file(self):
        """A file laid out byte by byte as the format specifies."""
        a = np.arange(6, dtype="<f4").reshape(2, 3)
        b = np.array([7, -1], dtype="<i8")
        header = {"__metadata__": {"format": "pt"},
                  "b": {"dtype": "I64", "shape": [2], "data_offsets": [24, 40]},
                  "a": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]}}
        got = read_safetensors(self._write(_raw(header, a.tobytes() + b.tobytes())))
        self.assertEqual(sorted(got), ["a", "b"])
        np.testing.assert_array_equal(got["a"], a)
        self.assertEqual(got["a"].dtype, np.float32)
        np.testing.assert_array_equal(got["b"], b)
        self.assertEqual(got["b"].dtype, np.int64)

    def test_round_trip_and_selection(self):
        tensors = {"w": np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32),
                   "ids": np.array([[1, 2, 3]], dtype=np.int64), "s": np.array(2.5, dtype=np.float64),
                   "empty": np.zeros((0, 4), dtype=np.float16), "m": np.array([True, False])}
        write_safetensors(self.path, tensors, {"format": "np"})
        got = read_safetensors(self.path)
        self.assertEqual(set(got), set(tensors))
        for k, v in tensors.items():
            self.assertEqual(got[k].shape, v.shape, k)
            self.assertEqual(got[k].dtype, v.dtype, k)
            np.testing.assert_array_equal(got[k], v)
        self.assertEqual(list(read_safetensors(self.path, names=["ids"])), ["ids"])
        with self.assertRaisesRegex(SafetensorsError, "no tensor"):
            read_safetensors(self.path, names=["nope"])

    def test_bf16_is_widened(self):
        values = np.array([1.0, -2.5, 0.15625], dtype=np.float32)
        bits = (values.view(np.uint32) >> 16).astype("<u2")
        header = {"x": {"dtype": "BF16", "shape": [3], "data_offsets": [0, 6]}}
        got = read_safetensors(self._write(_raw(header, bits.tobytes())))["x"]
        self.assertEqual(got.dtype, np.float32)
        np.testing.assert_array_equal(got, values)

    def test_malformed_files_are_diagnosed(self):
        ok = {"x": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}
        cases = {
            "shorter than": b"\x01\x02",
            "exceeds the file": _raw(ok, b"\0" * 8, length=10 ** 6),
            "not JSON": struct.pack("<Q", 3) + b"{x]",
            "not a JSON object": _raw([1, 2]),
            "unknown dtype": _raw({"x": {"dtype": "F8", "shape": [2], "data_offsets": [0, 2]}}, b"\0" * 2),
            "needs dtype": _raw({"x": {"shape": [2]}}),
            "bad shape": _raw({"x": {"dtype": "F32", "shape": [-2], "data_offsets": [0, 8]}}, b"\0" * 8),
            "outside": _raw({"x": {"dtype": "F32", "shape": [2], "data_offsets": [0, 16]}}, b"\0" * 8),
            "expected": _raw({"x": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}}, b"\0" * 8),
            "overlap": _raw({"x": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
                             "y": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}, b"\0" * 12),
        }
        for why, blob in cases.items():
            with self.subTest(why):
                with self.assertRaisesRegex(SafetensorsError, why) as cm:
                    read_safetensors(self._write(blob))
                self.assertIn(self.path, str(cm.exception))
        with self.assertRaisesRegex(SafetensorsError, "cannot read"):
            read_safetensors(os.path.join(self.tmp.name, "missing.safetensors"))


VOCAB = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "cat", "sat", "on", "mat", "un", "##aff",
         "##able", "##s", ",", ".", "!", "'", "cafe", "hello", "world", "a", "##b", "中", "-"]


class TokenizerTest(unittest.TestCase):
    def setUp(self):
        self.tok = WordPieceTokenizer(VOCAB)
        self.ids = {t: i for i, t in enumerate(VOCAB)}

    def test_basic_tokens(self):
        self.assertEqual(self.tok.basic_tokens("Hello,  WORLD!\tThe\ncat's"),
                         ["hello", ",", "world", "!", "the", "cat", "'", "s"])
        self.assertEqual(self.tok.basic_tokens("Café  naïve"), ["cafe", "naive"])
        self.assertEqual(self.tok.basic_tokens("a中b"), ["a", "中", "b"])
        self.assertEqual(self.tok.basic_tokens("x\x00y\u200bz e-mail"), ["xyz", "e", "-", "mail"])
        self.assertEqual(self.tok.basic_tokens("   "), [])

    def test_wordpiece_longest_match_first(self):
        self.assertEqual(self.tok.wordpiece("unaffable"), ["un", "##aff", "##able"])
        self.assertEqual(self.tok.wordpiece("cats"), ["cat", "##s"])
        self.assertEqual(self.tok.wordpiece("ab"), ["a", "##b"])
        self.assertEqual(self.tok.wordpiece("catz"), ["[UNK]"])  # no piece for "z": the whole word
        self.assertEqual(self.tok.wordpiece("dog"), ["[UNK]"])
        self.assertEqual(WordPieceTokenizer(VOCAB, max_chars=3).wordpiece("cats"), ["[UNK]"])

    def test_encode_pads_and_masks(self):
        ids, mask = self.tok.encode("The cat sat on the mat.", 12)
        want = [self.ids[t] for t in ("[CLS]", "the", "cat", "sat", "on", "the", "mat", ".", "[SEP]")]
        self.assertEqual(ids.shape, (1, 12))
        self.assertEqual(ids.dtype, np.int64)
        self.assertEqual(ids[0].tolist(), want + [0, 0, 0])
        self.assertEqual(mask[0].tolist(), [1] * 9 + [0] * 3)
        self.assertEqual(mask.dtype, np.int64)

    def test_encode_truncates(self):
        ids, mask = self.tok.encode("the cat sat on the mat", 5)
        self.assertEqual(ids[0].tolist(), [self.ids[t] for t in ("[CLS]", "the", "cat", "sat", "[SEP]")])
        self.assertEqual(mask[0].tolist(), [1] * 5)
        with self.assertRaises(ValueError):
            self.tok.encode("the", 1)

    def test_vocab_needs_special_tokens(self):
        with self.assertRaises(ValueError):
            WordPieceTokenizer(["the", "cat"])

    def test_from_file(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "vocab.txt")
            with open(path, "w", encoding="utf-8") as f:
                f.write("\n".join(VOCAB) + "\n")
            tok = WordPieceTokenizer.from_file(path)
        self.assertEqual(tok.tokenize("Unaffable cats!"), ["un", "##aff", "##able", "cat", "##s", "!"])


def _tiny_checkpoint(folder: str, dim=8, heads=2, hidden=16, layers=2, positions=16, seed=0) -> None:
    """A BERT checkpoint in the all-MiniLM-L6-v2 file layout, random weights."""
    rng = np.random.default_rng(seed)
    r = lambda *s: (0.3 * rng.standard_normal(s)).astype(np.float32)  # noqa: E731
    t = {"embeddings.word_embeddings.weight": r(len(VOCAB), dim),
         "embeddings.position_embeddings.weight": r(positions, dim),
         "embeddings.token_type_embeddings.weight": r(2, dim),
         "embeddings.LayerNorm.weight": 1 + r(dim), "embeddings.LayerNorm.bias": r(dim),
         "embeddings.position_ids": np.arange(positions, dtype=np.int64)[None]}
    for i in range(layers):
        pre = f"encoder.layer.{i}."
        for name, (o, n) in {"attention.self.query": (dim, dim), "attention.self.key": (dim, dim),
                             "attention.self.value": (dim, dim), "attention.output.dense": (dim, dim),
                             "intermediate.dense": (hidden, dim), "output.dense": (dim, hidden)}.items():
            t[pre + name + ".weight"], t[pre + name + ".bias"] = r(o, n), r(o)
        for ln in ("attention.output.LayerNorm", "output.LayerNorm"):
            t[pre + ln + ".weight"], t[pre + ln + ".bias"] = 1 + r(dim), r(dim)
    write_safetensors(os.path.join(folder, "model.safetensors"), t, {"format": "pt"})
    with open(os.path.join(folder, "vocab.txt"), "w", encoding="utf-8") as f:
        f.write("\n".join(VOCAB) + "\n")
    config = {"model_type": "bert", "hidden_act": "gelu", "hidden_size": dim, "num_attention_heads": heads,
              "intermediate_size": hidden, "num_hidden_layers": layers, "layer_norm_eps": 1e-12,
              "max_position_embeddings": positions, "vocab_size": len(VOCAB)}
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(config, f)


@unittest.skipUnless(HAVE_ORT, "needs onnx and onnxruntime")
class GraphTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        _tiny_checkpoint(cls.tmp.name)
        cls.model = minilm.MiniLM(minilm.fetch(model_dir=cls.tmp.name))

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_onnx_graph_matches_numpy(self):
        from ffn_tools.onnxgen import ort_session

        tokens = 10
        proto = minilm.onnx_model(self.model, tokens)
        self.assertEqual([i.name for i in proto.graph.input], ["input_ids", "attention_mask"])
        self.assertEqual([o.name for o in proto.graph.output], ["sentence_embedding"])
        sess = ort_session(proto)
        feeds = self.model.encode(["The cat sat on the mat.", "Hello, world!", "un"], tokens)
        got = minilm.embed_onnxruntime(sess, feeds)
        ids = np.concatenate([f["input_ids"] for f in feeds])
        mask = np.concatenate([f["attention_mask"] for f in feeds])
        ref = minilm.reference_forward(self.model, ids, mask)
        self.assertEqual(got.shape, (3, 8))
        np.testing.assert_allclose(got, ref, rtol=0, atol=1e-5)
        np.testing.assert_allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)
        # Padding must not matter: the mask hides it.
        longer = minilm.embed_onnxruntime(ort_session(minilm.onnx_model(self.model, 14)),
                                          self.model.encode(["The cat sat on the mat."], 14))
        np.testing.assert_allclose(longer[0], got[0], atol=1e-5)

    def test_token_count_is_checked(self):
        with self.assertRaises(ValueError):
            minilm.onnx_model(self.model, 17)

    def test_incomplete_folder_is_diagnosed(self):
        with tempfile.TemporaryDirectory() as d:
            with self.assertRaisesRegex(minilm.MiniLMError, "no model.safetensors"):
                minilm.fetch(model_dir=d)


if __name__ == "__main__":
    unittest.main()
