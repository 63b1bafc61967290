"""Runs the Python unit tests under python/tests and writes a count summary.

usage: python3 python/tests/run_unittests.py [--json FILE]

The summary ({"passed", "failed", "skipped"}) lets scripts/test.sh fold these
tests into its one closing line with the lit results. Exits 1 on any failure.
"""

import argparse
import json
import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))  # the python/ folder


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", help="write the counts here")
    args = parser.parse_args()

    suite = unittest.defaultTestLoader.discover(HERE, pattern="test_*.py")
    result = unittest.TextTestRunner(verbosity=1).run(suite)
    failed = len(result.failures) + len(result.errors)
    skipped = len(result.skipped)
    counts = {
        "passed": result.testsRun - failed - skipped,
        "failed": failed,
        "skipped": skipped,
    }
    if args.json:
        with open(args.json, "w") as f:
            json.dump(counts, f)
    print("python unit tests: {passed} passed, {failed} failed, "
          "{skipped} skipped".format(**counts))
    return 0 if result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
