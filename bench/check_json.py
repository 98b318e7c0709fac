#!/usr/bin/env python3
"""Checks a `runt bench --json` file against the contract in DESIGN.md.

    python3 bench/check_json.py FILE.json

Exit status 0 when the file is valid JSON with exactly the contract's keys,
nesting and types (a number, or null where the contract allows "not
applicable"); otherwise 1, with one line per problem on stderr.
"""

import json
import math
import sys

NUM, INT, STR, NUM_OR_NULL = "number", "integer", "string", "number or null"

DEVICE = {
    "backend": STR, "name": STR, "peak_gflops": NUM, "peak_int8_gops": NUM_OR_NULL,
    "bandwidth_gbps": {"l1": NUM_OR_NULL, "l2": NUM_OR_NULL, "l3": NUM_OR_NULL,
                       "dram": NUM_OR_NULL},
    "launch_us": NUM, "h2d_gbps": NUM_OR_NULL, "d2h_gbps": NUM_OR_NULL,
}
RESULT = {
    "suite": STR, "model": STR, "backend": STR, "dtype": STR,
    "batch": INT, "params": INT, "flops": INT, "bytes": INT, "layers": INT, "launches": INT,
    "median_us": NUM, "p10_us": NUM, "p90_us": NUM, "first_run_us": NUM,
    "h2d_us": NUM_OR_NULL, "d2h_us": NUM_OR_NULL, "gflops": NUM, "gbps": NUM,
    "predicted_us": NUM,
    "peer": {"torch_us": NUM_OR_NULL, "onnxruntime_us": NUM_OR_NULL},
}
# Keys added after the contract was fixed: checked when present, not required,
# so older JSON files still pass.
OPTIONAL = {
    "create_us": NUM_OR_NULL,        # runt_session_create on the host clock
    "torch_graph_us": NUM_OR_NULL,   # peer: PyTorch CUDA-graph replay (device backends)
    "bound": STR,                    # the prediction's largest term (bench/cost_model.h)
    "math": STR,                     # the session's math mode: f32, tf32 or bf16
    "err_vs_f32": NUM_OR_NULL,       # ||y - y_f32|| / ||y_f32|| against the same backend's f32 row
    "terms_us": None,                # the prediction split by bound: checked in check_meaning
    "suites": None,                  # summary: within_15pct per suite: checked in check_meaning
}
SUITES = ("seeds", "sweep", "zoo", "model")
SUITE_SUMMARY = {"rows": INT, "within_15pct": NUM_OR_NULL}
# What "bound" may say: compute, a memory level (device: a GPU's own memory),
# dispatch, or the copies of inputs and outputs.
BOUNDS = {"compute", "L1", "L2", "L3", "DRAM", "device", "dispatch", "copy"}
SUMMARY = {
    "within_15pct": NUM_OR_NULL,
    "spearman": {"params": NUM_OR_NULL, "flops": NUM_OR_NULL, "bytes": NUM_OR_NULL,
                 "predicted": NUM_OR_NULL},
}
TOP = {
    "runt_version": STR,
    "host": {"cpu": STR, "threads": INT, "os": STR},
    "devices": [DEVICE],
    "results": [RESULT],
    "summary": None,  # keyed by backend, checked below
}
SEED_MODELS = {"seed0_simple", "seed0_complex", "seed0_relu", "seed1_model1", "seed1_model2",
               "seed1_model3", "seed1_model4", "seed1_model5"}


def type_ok(value, kind):
    is_num = isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind == STR:
        return isinstance(value, str)
    if kind == INT:
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == NUM:
        return is_num and math.isfinite(value)
    return value is None or (is_num and math.isfinite(value))


def object_items(value, where, problems):
    """value's items where it is an object; otherwise none, and a problem."""
    if isinstance(value, dict):
        return value.items()
    problems.append(f"{where}: expected an object")
    return ()


def check(value, schema, where, problems):
    if isinstance(schema, dict):
        if not isinstance(value, dict):
            problems.append(f"{where}: expected an object")
            return
        for key in schema:
            if key not in value:
                problems.append(f"{where}: missing key '{key}'")
        for key in value:
            if key in schema:
                if schema[key] is not None:
                    check(value[key], schema[key], f"{where}.{key}", problems)
            elif key in OPTIONAL:
                if OPTIONAL[key] is not None:
                    check(value[key], OPTIONAL[key], f"{where}.{key}", problems)
            else:
                problems.append(f"{where}: key '{key}' is not in the contract")
    elif isinstance(schema, list):
        if not isinstance(value, list):
            problems.append(f"{where}: expected an array")
            return
        for i, item in enumerate(value):
            check(item, schema[0], f"{where}[{i}]", problems)
    elif not type_ok(value, schema):
        problems.append(f"{where}: {value!r} is not a {schema}")


def check_terms(terms, where, problems):
    """A row's prediction by bound: an object of bound names to non-negative
    microseconds."""
    for key, value in object_items(terms, where, problems):
        if key not in BOUNDS:
            problems.append(f"{where}: {key!r} is none of {sorted(BOUNDS)}")
        elif not type_ok(value, NUM) or value < 0:
            problems.append(f"{where}.{key}: {value!r} is not a non-negative number")


def check_suites(suites, where, problems):
    """The summary's per-suite share: suite name -> {rows, within_15pct}."""
    for name, entry in object_items(suites, where, problems):
        if name not in SUITES:
            problems.append(f"{where}: suite {name!r} is none of {list(SUITES)}")
        check(entry, SUITE_SUMMARY, f"{where}.{name}", problems)
        if not isinstance(entry, dict):
            continue
        share = entry.get("within_15pct")
        if type_ok(share, NUM) and not 0 <= share <= 1:
            problems.append(f"{where}.{name}.within_15pct: {share!r} is not a share in [0, 1]")
        if type_ok(entry.get("rows"), INT) and entry["rows"] < 1:
            problems.append(f"{where}.{name}.rows: a suite with no measured rows is left out")


def check_meaning(doc, problems):
    backends = {d.get("backend") for d in doc.get("devices", []) if isinstance(d, dict)}
    for i, r in enumerate(doc.get("results", [])):
        if not isinstance(r, dict):
            continue
        where = f"results[{i}]"
        if r.get("backend") not in backends:
            problems.append(f"{where}: backend {r.get('backend')!r} has no device entry")
        if r.get("dtype") not in ("f32", "int8"):
            problems.append(f"{where}: dtype {r.get('dtype')!r}")
        if r.get("suite") not in SUITES:
            problems.append(f"{where}: suite {r.get('suite')!r}")
        if r.get("suite") == "seeds" and r.get("model") not in SEED_MODELS:
            problems.append(f"{where}: {r.get('model')!r} is not a seeds model name")
        if "math" in r and r["math"] not in ("f32", "tf32", "bf16"):
            problems.append(f"{where}: math {r['math']!r}")
        err = r.get("err_vs_f32")
        if err is not None and type_ok(err, NUM) and err < 0:
            problems.append(f"{where}: err_vs_f32 {err} is negative")
        if err is not None and r.get("dtype") == "f32" and r.get("math", "f32") == "f32":
            problems.append(f"{where}: the f32 row is its own reference, err_vs_f32 must be null")
        if "bound" in r and isinstance(r["bound"], str) and r["bound"] not in BOUNDS:
            problems.append(f"{where}: bound {r['bound']!r} is none of {sorted(BOUNDS)}")
        if "terms_us" in r:
            check_terms(r["terms_us"], f"{where}.terms_us", problems)
        if "suites" in r:
            problems.append(f"{where}: key 'suites' belongs to the summary")
        try:
            if not r["p10_us"] <= r["median_us"] <= r["p90_us"]:
                problems.append(f"{where}: p10 <= median <= p90 does not hold")
        except (KeyError, TypeError):
            pass
    summary = doc.get("summary")
    if not isinstance(summary, dict):
        problems.append("summary: expected an object")
        return
    for backend, entry in summary.items():
        if backend not in backends:
            problems.append(f"summary.{backend}: no device entry for it")
        check(entry, SUMMARY, f"summary.{backend}", problems)
        if isinstance(entry, dict) and "suites" in entry:
            check_suites(entry["suites"], f"summary.{backend}.suites", problems)
        if isinstance(entry, dict) and "terms_us" in entry:
            problems.append(f"summary.{backend}: key 'terms_us' belongs to a result")
    for b in backends:
        if b not in summary:
            problems.append(f"summary: missing backend '{b}'")


def main(argv):
    if len(argv) != 2:
        print("usage: check_json.py FILE.json", file=sys.stderr)
        return 2
    try:
        with open(argv[1], encoding="utf-8") as f:
            doc = json.load(f)
    except (OSError, ValueError) as e:
        print(f"{argv[1]}: {e}", file=sys.stderr)
        return 1
    problems = []
    check(doc, TOP, "$", problems)
    if isinstance(doc, dict):
        check_meaning(doc, problems)
    for p in problems:
        print(f"{argv[1]}: {p}", file=sys.stderr)
    if not problems:
        print(f"{argv[1]}: matches the bench JSON contract "
              f"({len(doc['results'])} results, {len(doc['devices'])} devices)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
