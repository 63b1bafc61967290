"""Unit tests of ffn_tools.model_set (the -O0 vs -O2 model set): the set is
well formed and every generator accepts its arguments. The compilation
itself runs in test/e2e/model-set-o0-vs-o2.test against the built tools."""

import contextlib
import importlib
import io
import unittest

from ffn_tools import model_set


class ModelSetTest(unittest.TestCase):
    def test_names_unique(self):
        names = [c.name for c in model_set.MODEL_SET]
        self.assertEqual(len(names), len(set(names)))

    def test_generators_parse_their_arguments(self):
        for case in model_set.MODEL_SET:
            with self.subTest(case=case.name):
                module = importlib.import_module(case.generator)
                # --help exits after parsing; bad options exit with 2 first.
                with self.assertRaises(SystemExit) as cm, contextlib.redirect_stdout(io.StringIO()):
                    module.main([*case.args, "--out", "unused", "--help"])
                self.assertEqual(cm.exception.code, 0)

    def test_expected_rewrites_are_known(self):
        known = {"fold-norms", "repavit-reparam", "permute-neurons", "fuse-horizontal", "dedup-weights"}
        for case in model_set.MODEL_SET:
            self.assertLessEqual(set(case.applied), known, case.name)
            self.assertGreaterEqual(case.ffns, 1, case.name)


if __name__ == "__main__":
    unittest.main()
