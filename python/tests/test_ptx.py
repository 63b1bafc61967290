"""Unit tests of ffn_tools.ptx: decoding the PTX MLIR embeds in gpu.binary."""

import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from ffn_tools import ptx  # noqa: E402


class UnescapeTest(unittest.TestCase):
    def test_hex_escapes_and_backslash(self):
        text = 'x = "a\\0Ab\\09c\\22d\\\\e" tail'
        start = text.index('"') + 1
        value, end = ptx.unescape_mlir_string(text, start)
        self.assertEqual(value, 'a\nb\tc"d\\e')
        self.assertEqual(text[end:], " tail")

    def test_unterminated(self):
        with self.assertRaises(ValueError):
            ptx.unescape_mlir_string('"abc', 1)


class ExtractTest(unittest.TestCase):
    MLIR = (
        'gpu.binary @k0  [#gpu.object<#nvvm.target<chip = "sm_90">, '
        'properties = {O = 3 : i32}, assembly = ".version 8.0\\0A.target sm_90\\0A">]\n'
        'gpu.binary @k1  [#gpu.object<#nvvm.target<chip = "sm_90">, "P\\EDU\\BA">]\n'
        'gpu.binary @k2  [#gpu.object<#nvvm.target<chip = "sm_80">, '
        'assembly = ".target sm_80\\0A">]\n')

    def test_only_modules_with_assembly(self):
        modules = ptx.extract_ptx(self.MLIR)
        self.assertEqual([name for name, _ in modules], ["k0", "k2"])
        self.assertEqual(modules[0][1], ".version 8.0\n.target sm_90\n")
        self.assertEqual(modules[1][1], ".target sm_80\n")

    def test_cli_writes_files_and_fails_without_ptx(self):
        with tempfile.TemporaryDirectory() as tmp:
            src = os.path.join(tmp, "in.mlir")
            with open(src, "w") as f:
                f.write(self.MLIR)
            out = os.path.join(tmp, "out")
            self.assertEqual(ptx.main([src, "--out", out]), 0)
            self.assertEqual(sorted(os.listdir(out)), ["k0.ptx", "k2.ptx"])
            with open(src, "w") as f:
                f.write("module {}\n")
            self.assertEqual(ptx.main([src, "--out", out]), 1)


if __name__ == "__main__":
    unittest.main()
