"""ONNX backend node tests through the whole ffn compiler.

The onnx package generates its backend node tests (one small model per op
variant, with inputs and expected outputs) in memory; this runner selects
every test whose graph uses only ops the importer claims (the list comes from
`ffn-opt --list-onnx-ops`, the importer's own op table), compiles each with
`ffn-compile --emit=exe`, runs the executable on the test's inputs and
compares its outputs with the expected ones: same dtype, same shape, values
within the test's rtol/atol (numbers) or equal (integers, booleans).

Tests made for an opset outside the importer's range are imported at the
newest opset the importer reads when none of their ops changed after it
(checked against the onnx schemas); otherwise they are skipped with the
reason. Tests listed in the expected-failure file (one name per line, then
its reason) are expected to fail; an unexpected failure or an unexpected pass
makes the run fail.

    python3 -m ffn_tools.conformance [--ffn-compile PATH] [--jobs N]
        [--filter REGEX] [--xfail FILE] [-v]

Ends with `conformance: N passed, M failed, X expected failures, S skipped`
(M counts unexpected passes too) and exits 1 when M > 0.
"""

import argparse
import collections
import concurrent.futures
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import warnings

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEFAULT_XFAIL = os.path.join(ROOT, "test", "Conformance", "xfail.txt")
DEFAULT_RTOL = 1e-3
DEFAULT_ATOL = 1e-7
COMPILE_TIMEOUT_S = 300
RUN_TIMEOUT_S = 120


# Operands the importer needs to know at import, because they determine
# shapes (the compiled code has static shapes): node tests pass them as graph
# inputs; the runner makes such inputs initializers holding the test's values
# (as onnx-mlir's backend tests do in their constant-input mode).
SHAPE_OPERANDS = {
    "ConstantOfShape": {0},
    "Expand": {1},
    "Range": {0, 1, 2},
    "ReduceL2": {1},
    "ReduceMean": {1},
    "ReduceSum": {1},
    "ReduceSumSquare": {1},
    "Reshape": {1},
    "Slice": {1, 2, 3, 4},
    "Split": {1},
    "Squeeze": {1},
    "Unsqueeze": {1},
}


def shape_inputs(graph):
    """Names of graph inputs that feed a shape operand of some node."""
    inputs = {i.name for i in graph.input}
    names = set()
    for n in graph.node:
        for index in SHAPE_OPERANDS.get(n.op_type, ()):
            if index < len(n.input) and n.input[index] in inputs:
                names.add(n.input[index])
    return names


def claimed_ops(ffn_opt):
    """({op type: (min opset, max opset)}, {element type names}) from
    `ffn-opt --list-onnx-ops`."""
    out = subprocess.run([ffn_opt, "--list-onnx-ops"], check=True,
                         capture_output=True, text=True).stdout
    ops, dtypes = {}, set()
    for line in out.splitlines():
        name, _, rest = line.partition(" ")
        if name == "dtypes":
            dtypes = set(rest.split())
            continue
        low, _, high = rest.partition("-")
        ops[name] = (int(low), int(high))
    if not ops or not dtypes:
        raise RuntimeError(f"{ffn_opt} --list-onnx-ops printed no ops or dtypes")
    return ops, dtypes


def unclaimed_dtype(graph, dtypes):
    """The first graph input or output type the importer does not take."""
    import onnx
    for value in list(graph.input) + list(graph.output):
        if not value.type.HasField("tensor_type"):
            return f"'{value.name}' is not a tensor"
        name = onnx.TensorProto.DataType.Name(value.type.tensor_type.elem_type)
        if name not in dtypes:
            return f"element type {name}"
    return None


def read_xfail(path):
    """{test name: reason} from an expected-failure file."""
    entries = {}
    if not path:
        return entries
    with open(path) as f:
        for number, line in enumerate(f, 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            name, _, reason = line.partition(" ")
            reason = reason.strip()
            if not reason:
                raise ValueError(f"{path}:{number}: '{name}' has no reason")
            if name in entries:
                raise ValueError(f"{path}:{number}: '{name}' is listed twice")
            entries[name] = reason
    return entries


def collect_cases():
    from onnx.backend.test.case import node
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import numpy as np
        with np.errstate(all="ignore"):
            return node.collect_testcases(None)


def default_opset(model):
    for opset in model.opset_import:
        if opset.domain in ("", "ai.onnx"):
            return opset.version
    return None


# Attributes added after opset 21 that change nothing for the element types
# the importer takes, as long as a node does not set them.
INERT_NEW_ATTRIBUTES = {
    ("Cast", "round_mode"): "rounding of float8/float4 results only",
}


def _same_signature(a, b, set_attrs=()):
    """Whether two schemas of an op differ at most in their type lists (and in
    inert attributes that no node sets)."""
    def attrs(s):
        return {name: (a.type, a.required, a.default_value.SerializeToString())
                for name, a in s.attributes.items()
                if (s.name, name) not in INERT_NEW_ATTRIBUTES or name in set_attrs}

    def params(ps):
        return [(p.name, p.option) for p in ps]
    return (attrs(a) == attrs(b) and params(a.inputs) == params(b.inputs)
            and params(a.outputs) == params(b.outputs))


def plan_opset(model, ops, low, high):
    """(opset to import the model at, None) or (None, reason to skip)."""
    import onnx.defs
    opset = default_opset(model)
    if opset is None:
        return None, "imports no opset of the default domain"
    if opset < low:
        return None, f"made for opset {opset} < {low}"
    if opset <= high:
        return opset, None
    for op in sorted(ops):
        try:
            at_test = onnx.defs.get_schema(op, opset)
            at_high = onnx.defs.get_schema(op, high)
        except onnx.defs.SchemaError:
            return None, f"{op} has no schema at opset {high}"
        set_attrs = {a.name for n in model.graph.node if n.op_type == op
                     for a in n.attribute}
        if (at_test.since_version > high
                and not _same_signature(at_test, at_high, set_attrs)):
            return None, (f"made for opset {opset}; {op}-{at_test.since_version} "
                          f"differs from {op}-{at_high.since_version} beyond types")
    return high, None


def graph_ops(graph):
    """(op types, domains) of a graph's nodes, subgraphs included."""
    types, domains = set(), set()
    for n in graph.node:
        types.add(n.op_type)
        domains.add(n.domain or "")
        for attr in n.attribute:
            subgraphs = list(attr.graphs) + ([attr.g] if attr.HasField("g") else [])
            for g in subgraphs:
                t, d = graph_ops(g)
                types |= t
                domains |= d
    return types, domains


def _compare(name, expected, actual, rtol, atol):
    """None when `actual` matches `expected`, else why not."""
    import numpy as np
    if actual.dtype != expected.dtype:
        return f"output '{name}' has dtype {actual.dtype}, expected {expected.dtype}"
    if actual.shape != expected.shape:
        return (f"output '{name}' has shape {actual.shape}, "
                f"expected {expected.shape}")
    if expected.dtype.kind in "fc":
        try:
            np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol)
        except AssertionError as e:
            lines = [l.strip() for l in str(e).splitlines() if l.strip()]
            detail = "; ".join(l for l in lines if l.startswith(("Mismatched", "Max")))
            return f"output '{name}' differs (rtol={rtol}, atol={atol}): {detail}"
        return None
    if not np.array_equal(actual, expected):
        diff = int(np.count_nonzero(actual != expected))
        return f"output '{name}' differs in {diff} of {expected.size} elements"
    return None


def _tail(text, lines=6):
    text = text.strip().splitlines()
    return " | ".join(text[-lines:]) if text else "(no output)"


def run_case(case, opset, ffn_compile, workdir, opt_level, constant_shapes):
    """'pass' or 'fail: reason' for one test."""
    import numpy as np
    import onnx
    import onnx.numpy_helper
    model = onnx.ModelProto()
    model.CopyFrom(case.model)
    for entry in model.opset_import:
        if entry.domain in ("", "ai.onnx"):
            entry.version = opset
    folder = os.path.join(workdir, case.name)
    os.makedirs(folder, exist_ok=True)
    model_path = os.path.join(folder, "model.onnx")
    onnx.save(model, model_path)
    exe = os.path.join(folder, "model")

    def compile_model():
        try:
            r = subprocess.run([ffn_compile, model_path, "-o", exe, f"-O{opt_level}"],
                               capture_output=True, text=True,
                               timeout=COMPILE_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            return f"compile: timed out after {COMPILE_TIMEOUT_S} s"
        if r.returncode != 0:
            return "compile: " + _tail(r.stderr + r.stdout)
        return None

    initializers = {t.name for t in model.graph.initializer}
    input_names = [i.name for i in model.graph.input if i.name not in initializers]
    output_names = [o.name for o in model.graph.output]
    constants = shape_inputs(model.graph) if constant_shapes else set()
    for index, (inputs, outputs) in enumerate(case.data_sets):
        if len(inputs) != len(input_names) or len(outputs) != len(output_names):
            return "the test data do not match the graph's inputs and outputs"
        if constants:
            # One model per data set: the shape operands are baked in.
            del model.graph.initializer[len(initializers):]
            for name, value in zip(input_names, inputs):
                if name in constants:
                    if not isinstance(value, onnx.TensorProto):
                        value = onnx.numpy_helper.from_array(np.asarray(value), name)
                    model.graph.initializer.append(value)
            onnx.save(model, model_path)
            compiled = compile_model()
            if compiled:
                return compiled
        elif index == 0:
            compiled = compile_model()
            if compiled:
                return compiled
        args = [exe]
        for i, (name, value) in enumerate(zip(input_names, inputs)):
            if name in constants:
                continue
            if isinstance(value, onnx.TensorProto):
                value = onnx.numpy_helper.to_array(value)
            if isinstance(value, np.generic):  # a 0-d tensor read back as a numpy scalar
                value = np.asarray(value)
            if not isinstance(value, np.ndarray):
                return f"input '{name}' is a {type(value).__name__}, not a tensor"
            path = os.path.join(folder, f"in{index}_{i}.npy")
            np.save(path, value)
            args += ["--input", f"{name}={path}"]
        out_dir = os.path.join(folder, f"out{index}")
        os.makedirs(out_dir, exist_ok=True)
        args += ["--output-dir", out_dir]
        env = dict(os.environ, OMP_NUM_THREADS="1")
        try:
            r = subprocess.run(args, capture_output=True, text=True, env=env,
                               timeout=RUN_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            return f"run: timed out after {RUN_TIMEOUT_S} s"
        if r.returncode != 0:
            return f"run (exit {r.returncode}): " + _tail(r.stderr + r.stdout)
        rtol = case.rtol if case.rtol is not None else DEFAULT_RTOL
        atol = case.atol if case.atol is not None else DEFAULT_ATOL
        for name, expected in zip(output_names, outputs):
            if isinstance(expected, onnx.TensorProto):
                expected = onnx.numpy_helper.to_array(expected)
            expected = np.asarray(expected)
            try:
                actual = np.load(os.path.join(out_dir, name + ".npy"))
            except (OSError, ValueError) as e:
                return f"output '{name}' cannot be read: {e}"
            why = _compare(name, expected, actual, rtol, atol)
            if why:
                return why
    return "pass"


def main(argv=None):
    p = argparse.ArgumentParser(
        prog="python3 -m ffn_tools.conformance", description=__doc__.split("\n\n")[0])
    p.add_argument("--ffn-compile", default=os.path.join(ROOT, "build", "bin", "ffn-compile"),
                   help="ffn-compile to test (default: build/bin/ffn-compile)")
    p.add_argument("--ffn-opt", help="ffn-opt that lists the claimed ops "
                   "(default: next to ffn-compile)")
    p.add_argument("--jobs", "-j", type=int, default=2, help="parallel tests (default 2)")
    p.add_argument("--filter", help="run only tests whose name matches this regex")
    p.add_argument("--xfail", default=DEFAULT_XFAIL,
                   help="expected-failure list (default test/Conformance/xfail.txt; "
                        "'' for none)")
    p.add_argument("-O", dest="opt_level", default="2", choices="0123",
                   help="optimisation level to compile at (default 2)")
    p.add_argument("--no-constant-shapes", dest="constant_shapes",
                   action="store_false",
                   help="pass shape operands (Reshape's shape, Slice's starts, "
                        "...) as run-time inputs, as the tests do, instead of "
                        "as initializers")
    p.add_argument("--keep", help="keep every test's model, data and executable here")
    p.add_argument("--list", action="store_true",
                   help="list the selected tests and their status, do not run")
    p.add_argument("-v", "--verbose", action="store_true", help="print every result")
    args = p.parse_args(argv)

    ffn_opt = args.ffn_opt or os.path.join(os.path.dirname(args.ffn_compile), "ffn-opt")
    started = time.monotonic()
    ops, dtypes = claimed_ops(ffn_opt)
    low = min(v[0] for v in ops.values())
    high = max(v[1] for v in ops.values())
    xfail = read_xfail(args.xfail)
    pattern = re.compile(args.filter) if args.filter else None

    selected, skipped = [], collections.Counter()
    for case in collect_cases():
        if case.model is None or (pattern and not pattern.search(case.name)):
            continue
        types, domains = graph_ops(case.model.graph)
        if not types <= set(ops) or not domains <= {"", "ai.onnx"}:
            continue
        opset, reason = plan_opset(case.model, types, low, high)
        dtype = unclaimed_dtype(case.model.graph, dtypes)
        if opset is not None and dtype:
            opset, reason = None, f"{dtype} at the graph boundary (not claimed)"
        if opset is not None:
            for op in types:
                if not ops[op][0] <= opset <= ops[op][1]:
                    opset, reason = None, f"{op} is claimed for opsets {ops[op][0]}-{ops[op][1]}"
        if opset is None:
            skipped[reason] += 1
            if args.verbose:
                print(f"SKIP {case.name}: {reason}")
            continue
        selected.append((case, opset))

    stale = sorted(set(xfail) - {c.name for c, _ in selected})
    with_constants = sum(1 for c, _ in selected if shape_inputs(c.model.graph))
    if args.list:
        for case, opset in selected:
            print(f"{case.name} opset {opset}" + (" (xfail)" if case.name in xfail else ""))
        return 0

    workdir = args.keep or tempfile.mkdtemp(prefix="ffn-conformance-")
    os.makedirs(workdir, exist_ok=True)
    counts = collections.Counter()
    try:
        with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
            futures = {pool.submit(run_case, case, opset, args.ffn_compile, workdir,
                                   args.opt_level, args.constant_shapes): case.name
                       for case, opset in selected}
            for future in concurrent.futures.as_completed(futures):
                name = futures[future]
                try:
                    result = future.result()
                except Exception as e:  # a runner bug must not hide the others
                    result = f"runner error: {type(e).__name__}: {e}"
                if not args.keep:
                    shutil.rmtree(os.path.join(workdir, name), ignore_errors=True)
                expected_fail = name in xfail
                if result == "pass" and not expected_fail:
                    counts["passed"] += 1
                    if args.verbose:
                        print(f"PASS {name}")
                elif result == "pass":
                    counts["failed"] += 1
                    print(f"XPASS {name}: passes but is listed as expected to fail "
                          f"({xfail[name]})")
                elif expected_fail:
                    counts["xfail"] += 1
                    if args.verbose:
                        print(f"XFAIL {name}: {result}")
                else:
                    counts["failed"] += 1
                    print(f"FAIL {name}: {result}")
                sys.stdout.flush()
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)

    if stale and not pattern:
        for name in stale:
            print(f"STALE {name}: listed in {args.xfail} but not a selected test")
        counts["failed"] += len(stale)
    for reason, count in sorted(skipped.items(), key=lambda kv: (-kv[1], kv[0])):
        print(f"skipped {count}: {reason}")
    if args.constant_shapes and with_constants:
        print(f"{with_constants} tests run with their shape operands as "
              "initializers (the importer needs shapes at import)")
    print(f"claimed ops: {len(ops)} (opsets {low}-{high}); "
          f"{time.monotonic() - started:.0f} s with {args.jobs} jobs")
    print(f"conformance: {counts['passed']} passed, {counts['failed']} failed, "
          f"{counts['xfail']} expected failures, {sum(skipped.values())} skipped")
    return 1 if counts["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
