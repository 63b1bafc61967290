"""Runs a command and succeeds only if it exits with the given code.

usage: expect_exit.py CODE COMMAND [ARGS...]

`not` only tells zero from non-zero; the runtime's contract also tells usage
errors (2) from runtime errors (1). The command's output passes through.
"""

import subprocess
import sys

expected = int(sys.argv[1])
code = subprocess.call(sys.argv[2:])
if code != expected:
    sys.exit(f"expect_exit.py: {sys.argv[2]} exited with {code}, "
             f"expected {expected}")
