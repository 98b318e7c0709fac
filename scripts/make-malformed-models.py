#!/usr/bin/env python3
"""Writes tests/data/malformed/: ONNX files that are each broken in one way,
and MANIFEST.tsv mapping each to the status runt must return and a piece of
the message it must give (tests/runtime/test_malformed_models.c checks both).

The files are written with a small protobuf encoder of its own, not with the
onnx package: most of them cannot be expressed through onnx's API (a length
past the end, a bad wire type, a cut varint), and the script runs anywhere
Python 3 does. Every case starts from one valid model (x[1,4] -> MatMul W[4,3]
-> Add B[3] -> Relu -> y), checked to load by the same test, and changes one
thing.

Usage: scripts/make-malformed-models.py [OUT_DIR]   (default tests/data/malformed)
"""
import os
import struct
import sys

# ---------------------------------------------------------------- encoding


def varint(v):
    v &= (1 << 64) - 1  # negative int64: two's complement, 10 bytes
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        if v:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def tag(number, wire):
    return varint(number << 3 | wire)


def f_varint(number, v):
    return tag(number, 0) + varint(v)


def f_bytes(number, payload):
    if isinstance(payload, str):
        payload = payload.encode()
    return tag(number, 2) + varint(len(payload)) + payload


def f_float(number, v):
    return tag(number, 5) + struct.pack("<f", v)


FLOAT, UINT8, INT8, INT32, INT64, BFLOAT16 = 1, 2, 3, 6, 7, 16

# ------------------------------------------------------------- ONNX pieces


def dims_msg(dims):
    out = b""
    for d in dims:
        if isinstance(d, str):
            out += f_bytes(1, f_bytes(2, d))
        else:
            out += f_bytes(1, f_varint(1, d))
    return out


def value_info(name, elem=FLOAT, dims=(1, 4), with_type=True):
    out = f_bytes(1, name)
    if with_type:
        tensor_type = f_varint(1, elem) + f_bytes(2, dims_msg(dims))
        out += f_bytes(2, f_bytes(1, tensor_type))
    return out


def tensor(name, dims, values=None, dtype=FLOAT, raw=None, extra=b""):
    out = b"".join(f_varint(1, d) for d in dims) + f_varint(2, dtype) + f_bytes(8, name)
    if raw is None and values is not None:
        raw = struct.pack("<%df" % len(values), *values)
    if raw is not None:
        out += f_bytes(9, raw)
    return out + extra


def attr_float(name, v):
    return f_bytes(1, name) + f_float(2, v) + f_varint(20, 1)


def attr_ints(name, vals):
    return f_bytes(1, name) + b"".join(f_varint(8, v) for v in vals) + f_varint(20, 7)


def attr_string(name, s):
    return f_bytes(1, name) + f_bytes(4, s) + f_varint(20, 3)


def node(op, inputs, outputs, name="", attrs=(), domain=None):
    out = b"".join(f_bytes(1, i) for i in inputs) + b"".join(f_bytes(2, o) for o in outputs)
    if name:
        out += f_bytes(3, name)
    out += f_bytes(4, op)
    out += b"".join(f_bytes(5, a) for a in attrs)
    if domain is not None:
        out += f_bytes(7, domain)
    return out


W = [0.5, -0.25, 1.0, 0.75, -1.0, 0.125, 0.25, 0.5, -0.5, 1.5, -0.75, 0.25]
B = [0.1, -0.2, 0.3]


def graph(nodes=None, inits=None, inputs=None, outputs=None, extra=b""):
    if nodes is None:
        nodes = [node("MatMul", ["x", "W"], ["h"], "mm"), node("Add", ["h", "B"], ["a"], "add"),
                 node("Relu", ["a"], ["y"], "relu")]
    if inits is None:
        inits = [tensor("W", [4, 3], W), tensor("B", [3], B)]
    if inputs is None:
        inputs = [value_info("x")]
    if outputs is None:
        outputs = [value_info("y", dims=(1, 3))]
    return (b"".join(f_bytes(1, n) for n in nodes) + f_bytes(2, "g") +
            b"".join(f_bytes(5, t) for t in inits) + b"".join(f_bytes(11, i) for i in inputs) +
            b"".join(f_bytes(12, o) for o in outputs) + extra)


def opset(version=17, domain=""):
    return f_bytes(8, (f_bytes(1, domain) if domain else b"") + f_varint(2, version))


def model(g=None, opsets=None, ir=8):
    if g is None:
        g = graph()
    if opsets is None:
        opsets = [opset()]
    return f_varint(1, ir) + f_bytes(2, "make-malformed-models") + f_bytes(7, g) + b"".join(opsets)


def external(location, offset=None, length=None):
    out = f_bytes(13, f_bytes(1, "location") + f_bytes(2, location))
    if offset is not None:
        out += f_bytes(13, f_bytes(1, "offset") + f_bytes(2, str(offset)))
    if length is not None:
        out += f_bytes(13, f_bytes(1, "length") + f_bytes(2, str(length)))
    return out + f_varint(14, 1)


def with_w(t):
    return graph(inits=[t, tensor("B", [3], B)])


# ------------------------------------------------------------------- cases

VALID = model()
GRAPH_AT = VALID.index(tag(7, 2))  # the graph field's tag
GRAPH_BODY = VALID.index(graph(), GRAPH_AT)
FIRST_NODE_BODY = GRAPH_BODY + len(tag(1, 2)) + len(varint(len(node("MatMul", ["x", "W"], ["h"], "mm"))))

CASES = []  # (file, bytes, status, message piece, what)


def case(name, data, status, piece, what):
    CASES.append((name + ".onnx", data, status, piece, what))


case("valid", VALID, "RUNT_OK", "", "the model every other case breaks")
# Truncations at field boundaries and inside fields.
case("empty", b"", "RUNT_E_BAD_MODEL", "has no graph", "zero bytes")
case("cut_after_ir_version", VALID[:GRAPH_AT - len(f_bytes(2, "make-malformed-models"))],
     "RUNT_E_BAD_MODEL", "has no graph", "only ir_version survives")
case("cut_before_opset", VALID[:VALID.rindex(tag(8, 2))], "RUNT_E_BAD_MODEL",
     "imports no opset", "ends after the graph")
case("cut_in_graph_tag", VALID[:GRAPH_AT + 1], "RUNT_E_BAD_MODEL", "runs past the end",
     "ends after the graph's tag, before its length")
case("cut_in_graph", VALID[:GRAPH_BODY + 20], "RUNT_E_BAD_MODEL", "runs past the end",
     "ends 20 bytes into the graph")
case("cut_in_node", VALID[:FIRST_NODE_BODY + 3], "RUNT_E_BAD_MODEL", "runs past the end",
     "ends 3 bytes into the first node")
case("cut_in_varint", f_varint(1, 8) + tag(7, 2) + b"\xff\xff", "RUNT_E_BAD_MODEL",
     "varint runs past the end", "a length varint whose continuation bit promises more")
# Wire-level damage.
case("wire_type_mismatch", f_bytes(1, "8") + VALID[2:], "RUNT_E_BAD_MODEL",
     "ModelProto.ir_version: wire type 2", "ir_version sent as bytes")
case("wire_type_invalid", VALID + tag(30, 7), "RUNT_E_BAD_MODEL", "not a protobuf wire type",
     "a field with wire type 7")
case("length_past_end", f_varint(1, 8) + tag(7, 2) + varint(1 << 40) + b"\x0a",
     "RUNT_E_BAD_MODEL", "runs past the end", "a graph length of 2^40 bytes")
case("varint_too_long", f_varint(1, 8) + tag(1, 0) + b"\xff" * 10 + b"\x01", "RUNT_E_BAD_MODEL",
     "does not fit in 64 bits", "an 11-byte varint")
case("group_end_alone", VALID + tag(9, 4), "RUNT_E_BAD_MODEL", "group end without a group start",
     "a stray END_GROUP tag")
case("groups_nested_deep", VALID + tag(9, 3) * 100, "RUNT_E_LIMIT", "nested more than 64 deep",
     "100 nested START_GROUP tags")
case("nul_in_name", model(graph(nodes=[node("MatMul", ["x", "W"], ["h"], "m\0m"),
                                       node("Add", ["h", "B"], ["a"]), node("Relu", ["a"], ["y"])])),
     "RUNT_E_BAD_MODEL", "string holds a NUL byte", "a node name with a NUL byte")
# Dims and data.
case("dim_negative", model(with_w(tensor("W", [4, -3], W))), "RUNT_E_BAD_MODEL",
     "dims may not be negative", "an initializer dim of -3")
case("dims_overflow", model(with_w(tensor("W", [1 << 40, 1 << 40, 1 << 40], raw=b""))),
     "RUNT_E_LIMIT", "max_weight_bytes", "dims whose product overflows int64")
case("dims_huge_no_data", model(with_w(tensor("W", [4, 1 << 31], raw=b""))), "RUNT_E_LIMIT",
     "max_weight_bytes", "32 GiB of weights declared, no data")
case("input_huge", model(graph(inputs=[value_info("x", dims=(1, 1 << 33))])), "RUNT_E_LIMIT",
     "max_tensor_elements", "a graph input of 2^33 elements")
case("raw_data_short", model(with_w(tensor("W", [4, 3], W[:11]))), "RUNT_E_BAD_MODEL",
     "raw_data holds 44 bytes, its dims need 48", "raw_data one float short of its dims")
case("raw_and_typed", model(with_w(tensor("W", [4, 3], W, extra=f_bytes(4, struct.pack("<12f", *W)))))
     , "RUNT_E_BAD_MODEL", "has both raw_data and float_data", "both raw_data and float_data")
case("typed_field_wrong", model(with_w(tensor("W", [4, 3], raw=None, extra=f_bytes(7, b"".join(
    varint(i) for i in range(12)))))), "RUNT_E_BAD_MODEL", "has int64_data, which a f32 tensor",
    "a float tensor's values in int64_data")
case("dtype_unsupported", model(with_w(tensor("W", [4, 3], raw=b"\0" * 24, dtype=BFLOAT16))),
     "RUNT_E_UNSUPPORTED", "data type BFLOAT16 (16) is not supported", "a bfloat16 initializer")
case("dtype_unknown", model(with_w(tensor("W", [4, 3], raw=b"\0" * 48, dtype=99))),
     "RUNT_E_UNSUPPORTED", "data type unknown (99)", "data_type 99")
case("data_location_bad", model(with_w(tensor("W", [4, 3], W, extra=f_varint(14, 7)))),
     "RUNT_E_BAD_MODEL", "data_location 7 is neither", "data_location 7")
case("segmented", model(with_w(tensor("W", [4, 3], W, extra=f_bytes(3, f_varint(1, 0))))),
     "RUNT_E_UNSUPPORTED", "segmented tensors", "a TensorProto.segment")
case("sparse_initializer", model(graph(extra=f_bytes(15, b""))), "RUNT_E_UNSUPPORTED",
     "sparse initializers are not supported", "a sparse_initializer")
# Graph inputs.
case("input_elem_type_unknown", model(graph(inputs=[value_info("x", elem=99)])),
     "RUNT_E_UNSUPPORTED", "element type unknown (99)", "graph input of element type 99")
case("input_without_type", model(graph(inputs=[value_info("x", with_type=False)])),
     "RUNT_E_BAD_MODEL", "graph input 'x' has no type", "a graph input with no type")
case("input_symbolic_dim", model(graph(inputs=[value_info("x", dims=(1, "width"))])),
     "RUNT_E_UNSUPPORTED", "dim 1 is symbolic ('width')", "a symbolic dim other than the batch")
case("input_seven_dims", model(graph(inputs=[value_info("x", dims=(1,) * 7)])),
     "RUNT_E_UNSUPPORTED", "more than 6 dims", "a graph input of rank 7")
case("input_listed_twice", model(graph(inputs=[value_info("x"), value_info("x")])),
     "RUNT_E_BAD_MODEL", "graph input 'x' is listed twice", "one graph input declared twice")
# Names and structure.
case("missing_input", model(graph(nodes=[node("MatMul", ["x", "V"], ["h"], "mm"),
                                         node("Add", ["h", "B"], ["a"], "add"),
                                         node("Relu", ["a"], ["y"], "relu")])),
     "RUNT_E_BAD_MODEL", "input 1 ('V') is not a graph input", "a node reads a name nobody defines")
case("dangling_output", model(graph(outputs=[value_info("y", dims=(1, 3)), value_info("z")])),
     "RUNT_E_BAD_MODEL", "graph output 'z' is not produced by any node", "a graph output nobody makes")
case("cycle", model(graph(nodes=[node("Add", ["h2", "B"], ["h1"], "a1"),
                                 node("Relu", ["h1"], ["h2"], "r1"),
                                 node("Relu", ["h2"], ["y"], "r2")])),
     "RUNT_E_BAD_MODEL", "input 0 ('h2') is not a graph input", "two nodes that read each other")
case("duplicate_output", model(graph(nodes=[node("MatMul", ["x", "W"], ["h"], "mm"),
                                            node("Relu", ["x"], ["h"], "dup"),
                                            node("Add", ["h", "B"], ["a"], "add"),
                                            node("Relu", ["a"], ["y"], "relu")])),
     "RUNT_E_BAD_MODEL", "output 0 ('h') is already defined", "two nodes write one name")
case("duplicate_initializer", model(graph(inits=[tensor("W", [4, 3], W), tensor("W", [4, 3], W),
                                                 tensor("B", [3], B)])),
     "RUNT_E_BAD_MODEL", "two initializers are named 'W'", "an initializer name used twice")
case("unnamed_initializer", model(graph(inits=[tensor("", [4, 3], W), tensor("B", [3], B)])),
     "RUNT_E_BAD_MODEL", "initializer has no name", "an initializer without a name")
case("shape_mismatch", model(with_w(tensor("W", [5, 3], W + [0.0, 0.0, 0.0]))), "RUNT_E_SHAPE",
     "inner dimensions differ: 4 vs 5", "MatMul of [1,4] by [5,3]")
# Attributes, ops, opsets.
case("attr_wrong_type", model(graph(nodes=[
    node("Gemm", ["x", "W", "B"], ["a"], "gemm", attrs=[attr_string("alpha", "two")]),
    node("Relu", ["a"], ["y"], "relu")])), "RUNT_E_BAD_MODEL",
    "attribute 'alpha' has type STRING, expected FLOAT", "Gemm's alpha given as a string")
case("attr_value_bad", model(graph(nodes=[
    node("Gemm", ["x", "W", "B"], ["a"], "gemm", attrs=[attr_ints("transB", [1, 2])]),
    node("Relu", ["a"], ["y"], "relu")])), "RUNT_E_BAD_MODEL",
    "attribute 'transB' has type INTS, expected INT", "Gemm's transB given as a list")
case("op_unsupported", model(graph(nodes=[node("MatMul", ["x", "W"], ["h"], "mm"),
                                          node("Add", ["h", "B"], ["a"], "add"),
                                          node("Hardmax", ["a"], ["y"], "hm")])),
     "RUNT_E_UNSUPPORTED", "op_type 'Hardmax' is not supported", "an op runt does not implement")
case("op_other_domain", model(graph(nodes=[node("MatMul", ["x", "W"], ["h"], "mm"),
                                           node("Add", ["h", "B"], ["a"], "add"),
                                           node("Relu", ["a"], ["y"], "relu", domain="com.example")]),
                              opsets=[opset(), opset(1, "com.example")]),
     "RUNT_E_UNSUPPORTED", "of domain 'com.example' is not supported", "a node of a custom domain")
case("opset_too_old", model(opsets=[opset(3)]), "RUNT_E_UNSUPPORTED",
     "opset 3 is not supported", "ai.onnx opset 3")
case("opset_too_new", model(opsets=[opset(99)]), "RUNT_E_UNSUPPORTED",
     "opset 99 is not supported", "ai.onnx opset 99")
case("opset_zero", model(opsets=[opset(0)]), "RUNT_E_BAD_MODEL", "opset version 0 is invalid",
     "ai.onnx opset 0")
# External data.
case("external_escapes_dotdot", model(with_w(tensor("W", [4, 3], extra=external("../w.bin")))),
     "RUNT_E_BAD_MODEL", "leaves the model's directory", "location ../w.bin")
case("external_escapes_absolute", model(with_w(tensor("W", [4, 3], extra=external("/etc/passwd")))),
     "RUNT_E_BAD_MODEL", "leaves the model's directory", "location /etc/passwd")
case("external_escapes_nested", model(with_w(tensor("W", [4, 3], extra=external("a/../../w.bin")))),
     "RUNT_E_BAD_MODEL", "leaves the model's directory", "location a/../../w.bin")
case("external_missing_file", model(with_w(tensor("W", [4, 3], extra=external("absent.bin")))),
     "RUNT_E_IO", "cannot open external data", "a data file that does not exist")
case("external_past_end", model(with_w(tensor("W", [4, 3], extra=external("short.bin", 8, 48)))),
     "RUNT_E_BAD_MODEL", "runs past the end of", "offset 8 + length 48 in a 16-byte file")
case("external_no_location", model(with_w(tensor("W", [4, 3], extra=f_varint(14, 1)))),
     "RUNT_E_BAD_MODEL", "external data without a location", "EXTERNAL with no location")
# Found by fuzz_onnx_load: a "location" entry without a value reached memchr
# with a NULL pointer (undefined behaviour, reported by UBSan).
case("external_location_no_value", model(with_w(tensor("W", [4, 3], extra=f_bytes(
    13, f_bytes(1, "location")) + f_varint(14, 1)))), "RUNT_E_BAD_MODEL",
    "external data location is empty", "a location key with no value")
case("external_offset_text", model(with_w(tensor("W", [4, 3], extra=external("short.bin", "x1")))),
     "RUNT_E_BAD_MODEL", "is not a decimal number", "an offset that is not a number")


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "tests", "data", "malformed")
    os.makedirs(out, exist_ok=True)
    for name in os.listdir(out):
        if name.endswith(".onnx"):
            os.remove(os.path.join(out, name))
    with open(os.path.join(out, "short.bin"), "wb") as f:
        f.write(bytes(range(16)))
    lines = ["# Malformed ONNX models, written by scripts/make-malformed-models.py.",
             "# file<TAB>expected status<TAB>piece of the message<TAB>what is wrong"]
    for name, data, status, piece, what in CASES:
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)
        lines.append("\t".join([name, status, piece, what]))
    with open(os.path.join(out, "MANIFEST.tsv"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("%d cases in %s" % (len(CASES), out))


if __name__ == "__main__":
    main()
