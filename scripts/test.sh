#!/usr/bin/env bash
# Sets up (installs dependencies, builds) and runs every ffn test: the lit
# suite behind `check-ffn` and the Python unit tests. Ends with one line
# "tests: N passed, M failed, K skipped".
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bash scripts/setup.sh

results=$(mktemp -d)
status=0
/usr/lib/llvm-22/bin/lit -sv --time-tests -o "$results/lit.json" build/test || status=$?
python3 python/tests/run_unittests.py --json "$results/py.json" || status=$?

python3 - "$results/lit.json" "$results/py.json" <<'PY'
import json, sys
passed = failed = skipped = 0
lit = json.load(open(sys.argv[1]))
for t in lit.get("tests", []):
    code = t["code"]
    # The ONNX conformance run's summary (test/Conformance/node-tests.test).
    for line in t.get("output", "").splitlines():
        if line.startswith("conformance: "):
            print(line)
    if code in ("PASS", "XFAIL"):
        passed += 1
    elif code in ("UNSUPPORTED", "SKIPPED", "EXCLUDED"):
        skipped += 1
    else:
        failed += 1
try:
    py = json.load(open(sys.argv[2]))
    passed += py["passed"]; failed += py["failed"]; skipped += py["skipped"]
except (OSError, ValueError, KeyError):
    failed += 1
print(f"tests: {passed} passed, {failed} failed, {skipped} skipped")
PY
exit $status
