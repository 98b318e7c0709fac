#!/usr/bin/env python3
"""Writes the ONNX project's backend node test cases for the ops runt reads.

Each case becomes OUT/<test_name>/model.onnx and
OUT/<test_name>/test_data_set_N/{input,output}_J.pb (serialized TensorProtos),
the layout of the `onnx` repository's onnx/backend/test/data/node. The
`onnx` wheel pinned below no longer ships that folder: its node cases are
built in memory by onnx.backend.test.loader.load_model_tests(kind="node"),
and are written here the way onnx's own `backend-test-tools generate-data`
writes them (tensor inputs and outputs only).

A case is written when every node of its graph has an op_type that runt's
ONNX reader maps: the table in runtime/onnx/onnx_ops.c (--ops-from), so that an op
added there is tested without editing this script. Whether runt then loads
the case (dtypes, ranks, attributes) is for the test driver to decide and
report. The cases left out are listed in OUT/excluded.txt with the op types
that kept them out (the driver prints their number).

Some cases also make the graph output optional statistics that runt does not
compute at inference (LayerNormalization's Mean and InvStdDev, MaxPool's
Indices, Dropout's mask, BatchNormalization's training statistics); runt
refuses those graphs. Each such case is written a second time as
<test_name>_first_output, the same node and data with only the first graph
output, so the output runt computes is still checked against ONNX's values.

When `onnx` cannot be imported, the script writes OUT/UNAVAILABLE with the
reason and exits 0: the driver then reports the conformance test as skipped
rather than failed (the C build must not need Python).

Output is rewritten only when the stamp (onnx version, op list, this
script's hash) changes, so repeated `ctest` runs cost one import.
"""
import argparse
import hashlib
import json
import os
import re
import shutil
import sys
import types

ONNX_VERSION = "1.23.2"  # the version whose node cases were checked with runt
STAMP = "stamp.json"
UNAVAILABLE = "UNAVAILABLE"
EXCLUDED = "excluded.txt"  # the cases not written, with the op types that kept them out


def reader_ops(path):
    """op_types of the mapping table in runtime/onnx/onnx_ops.c: {"Gemm", RUNT_OP_..."""
    with open(path, encoding="utf-8") as f:
        ops = re.findall(r'\{\s*"([A-Za-z0-9_]+)"\s*,\s*RUNT_OP_', f.read())
    if len(ops) < 10:
        sys.exit("onnx-node-data: found only %d op types in %s; has the table's form changed?"
                 % (len(ops), path))
    return sorted(set(ops))


def mark_unavailable(out, reason):
    if os.path.isdir(out):
        shutil.rmtree(out)
    os.makedirs(out)
    with open(os.path.join(out, UNAVAILABLE), "w", encoding="utf-8") as f:
        f.write(reason + "\n")
    print("onnx-node-data: %s; the ONNX node conformance test will be skipped" % reason)


# Ops whose outputs after the first are optional statistics (see above).
FIRST_OUTPUT_OPS = {"LayerNormalization", "MaxPool", "Dropout", "BatchNormalization"}


def first_output_variant(onnx, case):
    """The case with only its first graph output, or None."""
    g = case.model.graph
    if len(g.node) != 1 or g.node[0].op_type not in FIRST_OUTPUT_OPS or len(g.output) < 2:
        return None
    model = onnx.ModelProto()
    model.CopyFrom(case.model)
    del model.graph.output[1:]
    return types.SimpleNamespace(name=case.name + "_first_output", model=model,
                                 data_sets=[(i, o[:1]) for i, o in case.data_sets])


def case_ops(model):
    return {(n.domain or "ai.onnx", n.op_type) for n in model.graph.node}


def tensor_only(values, infos):
    return all(i.type.HasField("tensor_type") for i in infos[:len(values)])


def write_case(onnx, numpy_helper, case, out):
    case_dir = os.path.join(out, case.name)
    os.makedirs(case_dir)
    with open(os.path.join(case_dir, "model.onnx"), "wb") as f:
        f.write(case.model.SerializeToString())
    graph = case.model.graph
    for k, (inputs, outputs) in enumerate(case.data_sets):
        set_dir = os.path.join(case_dir, "test_data_set_%d" % k)
        os.makedirs(set_dir)
        for kind, values, infos in (("input", inputs, graph.input), ("output", outputs, graph.output)):
            for j, value in enumerate(values):
                if isinstance(value, onnx.TensorProto):
                    proto = value
                else:
                    proto = numpy_helper.from_array(value, infos[j].name)
                with open(os.path.join(set_dir, "%s_%d.pb" % (kind, j)), "wb") as f:
                    f.write(proto.SerializeToString())


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", required=True, help="folder to (re)write")
    p.add_argument("--ops-from", required=True, help="runtime/onnx/onnx_ops.c")
    p.add_argument("--force", action="store_true", help="rewrite even if the stamp matches")
    p.add_argument("--any-version", action="store_true",
                   help="use the installed onnx even if it is not %s (a machine that cannot "
                        "install the pinned one; the stamp records which)" % ONNX_VERSION)
    args = p.parse_args()

    ops = reader_ops(args.ops_from)
    try:
        import warnings
        warnings.simplefilter("ignore")  # the case modules divide by zero on purpose
        import onnx
        from onnx import numpy_helper
        from onnx.backend.test.loader import load_model_tests
    except Exception as e:  # ImportError, or a numpy the wheel was not built for
        mark_unavailable(args.out, "cannot import onnx %s (%s: %s); `pip install onnx==%s` "
                         "(scripts/install-deps does)" % (ONNX_VERSION, type(e).__name__, e,
                                                          ONNX_VERSION))
        return 0
    if onnx.__version__ != ONNX_VERSION and not args.any_version:
        mark_unavailable(args.out, "onnx %s is installed; the node cases were checked with "
                         "onnx %s (`pip install onnx==%s`)" % (onnx.__version__, ONNX_VERSION,
                                                              ONNX_VERSION))
        return 0

    with open(os.path.abspath(__file__), "rb") as f:
        script_hash = hashlib.sha256(f.read()).hexdigest()
    stamp = {"onnx": onnx.__version__, "ops": ops, "script": script_hash}
    stamp_path = os.path.join(args.out, STAMP)
    if not args.force and os.path.exists(stamp_path):
        with open(stamp_path, encoding="utf-8") as f:
            if json.load(f) == stamp:
                print("onnx-node-data: %s is up to date" % args.out)
                return 0

    allowed = {("ai.onnx", op) for op in ops}
    if os.path.isdir(args.out):
        shutil.rmtree(args.out)
    os.makedirs(args.out)
    written = 0
    excluded = []
    for case in sorted(load_model_tests(kind="node"), key=lambda c: c.name):
        if not case.model or not case.data_sets:
            continue
        if not case_ops(case.model) <= allowed:
            other = sorted(op if dom == "ai.onnx" else "%s:%s" % (dom, op)
                           for dom, op in case_ops(case.model) - allowed)
            excluded.append("%s: %s\n" % (case.name, " ".join(other)))
            continue
        g = case.model.graph
        if not all(tensor_only(i, g.input) and tensor_only(o, g.output)
                   for i, o in case.data_sets):
            continue
        write_case(onnx, numpy_helper, case, args.out)
        written += 1
        variant = first_output_variant(onnx, case)
        if variant:
            write_case(onnx, numpy_helper, variant, args.out)
            written += 1
    with open(os.path.join(args.out, EXCLUDED), "w", encoding="utf-8") as f:
        f.write("# node cases not written: the op types runt's reader does not map\n")
        f.writelines(excluded)
    with open(stamp_path, "w", encoding="utf-8") as f:
        json.dump(stamp, f, indent=1)
    print("onnx-node-data: wrote %d node cases (ops: %s) to %s; %d cases use other ops"
          % (written, " ".join(ops), args.out, len(excluded)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
