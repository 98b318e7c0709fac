#!/usr/bin/env python3
"""Writes the quantized-model fixtures of tests/data/quant (committed).

Float models are built with onnx.helper (no torch needed): MLPs written as
MatMul + Add (onnxruntime's quantize_dynamic leaves Gemm in float, and
torch.onnx.export writes nn.Linear as Gemm), one with a 3-D input, and a
small CNN. They are quantized by onnxruntime.quantization:

  *_dyn_*   quantize_dynamic: DynamicQuantizeLinear, MatMulInteger /
            ConvInteger, Cast, Mul [, Add]; weights QInt8 (s8) or QUInt8 (u8),
            per tensor or per channel (_pc)
  *_qdq_*   quantize_static in QDQ format with a MinMax calibration on random
            data: QuantizeLinear / DequantizeLinear around MatMul and Conv;
            activations QInt8 (s8) or QUInt8 (u8)

Each fixture directory holds model.onnx, input.npy and output.npy:
onnxruntime's output (CPU provider, default graph optimizations, one thread)
for that input; and step.txt, one quantization step of the output: the last
QuantizeLinear's scale (QDQ), or the last layer's x_scale * w_scale, the value
of one unit of its int32 accumulator (quantize_dynamic; x_scale as
onnxruntime computed it for this input). The tests state their tolerance in
these steps. MANIFEST.txt records the versions, each model's node list and
the largest difference between onnxruntime with and without graph
optimizations.

    python3 scripts/make-quant-fixtures.py [--out tests/data/quant]

Pinned: onnx==1.23.2, onnxruntime==1.31.1, numpy 2 (the versions the
committed files were made with; others may quantize differently).
"""
import argparse
import os
import shutil
import sys
import tempfile

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper
from onnxruntime.quantization import (CalibrationDataReader, QuantFormat, QuantType,
                                      quantize_dynamic, quantize_static)

SEED = 20240611


def float_model(name, nodes, x_shape, y_shape, weights):
    graph = helper.make_graph(
        nodes, name,
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, x_shape)],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, y_shape)],
        [numpy_helper.from_array(a, n) for n, a in weights.items()])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def mlp(rng, sizes, x_shape, y_shape, name):
    """MatMul + Add per layer, Relu between layers."""
    nodes, weights, h = [], {}, "x"
    for i in range(len(sizes) - 1):
        w, b = "W%d" % i, "b%d" % i
        weights[w] = rng.normal(0, 1 / np.sqrt(sizes[i]), (sizes[i], sizes[i + 1])).astype(np.float32)
        weights[b] = rng.normal(0, 0.1, sizes[i + 1]).astype(np.float32)
        last = i == len(sizes) - 2
        nodes += [helper.make_node("MatMul", [h, w], ["mm%d" % i]),
                  helper.make_node("Add", ["mm%d" % i, b], ["y" if last else "a%d" % i])]
        if not last:
            nodes.append(helper.make_node("Relu", ["a%d" % i], ["h%d" % i]))
            h = "h%d" % i
    return float_model(name, nodes, x_shape, y_shape, weights)


def cnn(rng):
    """Conv 3x3 pad 1, Relu, Conv 3x3 stride 2 pad 1, Relu, Flatten, MatMul + Add."""
    w = {"W1": rng.normal(0, 0.3, (8, 3, 3, 3)), "b1": rng.normal(0, 0.1, 8),
         "W2": rng.normal(0, 0.15, (8, 8, 3, 3)), "b2": rng.normal(0, 0.1, 8),
         "W3": rng.normal(0, 0.1, (128, 10)), "b3": rng.normal(0, 0.1, 10)}
    w = {k: v.astype(np.float32) for k, v in w.items()}
    nodes = [helper.make_node("Conv", ["x", "W1", "b1"], ["c1"], pads=[1, 1, 1, 1]),
             helper.make_node("Relu", ["c1"], ["r1"]),
             helper.make_node("Conv", ["r1", "W2", "b2"], ["c2"], strides=[2, 2], pads=[1, 1, 1, 1]),
             helper.make_node("Relu", ["c2"], ["r2"]),
             helper.make_node("Flatten", ["r2"], ["f"]),
             helper.make_node("MatMul", ["f", "W3"], ["m"]),
             helper.make_node("Add", ["m", "b3"], ["y"])]
    return float_model("cnn", nodes, ["batch", 3, 8, 8], ["batch", 10], w)


class RandomReader(CalibrationDataReader):
    def __init__(self, rng, shape, count=16):
        self.data = iter([{"x": rng.normal(0, 1, shape).astype(np.float32)} for _ in range(count)])

    def get_next(self):
        return next(self.data, None)


def run_ort(path, x, optimize):
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.graph_optimization_level = (ort.GraphOptimizationLevel.ORT_ENABLE_ALL if optimize
                                   else ort.GraphOptimizationLevel.ORT_DISABLE_ALL)
    sess = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
    return sess.run(None, {"x": x})[0]


def output_step(path, x):
    """One quantization step of the model's output (see the module comment)."""
    model = onnx.load(path)
    inits = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    nodes = list(model.graph.node)
    quant = [n for n in nodes if n.op_type == "QuantizeLinear"]
    if quant:
        return float(inits[quant[-1].input[1]].max())
    dql = [n for n in nodes if n.op_type == "DynamicQuantizeLinear"][-1]
    x_scale = dql.output[1]
    mul = [n for n in nodes if n.op_type == "Mul" and x_scale in n.input][-1]
    w_scale = inits[[i for i in mul.input if i != x_scale][0]]
    model.graph.output.append(helper.make_tensor_value_info(x_scale, TensorProto.FLOAT, []))
    with tempfile.TemporaryDirectory() as tmp:
        probe = os.path.join(tmp, "probe.onnx")
        onnx.save(model, probe)
        sess = ort.InferenceSession(probe, providers=["CPUExecutionProvider"])
        xs = sess.run([x_scale], {"x": x})[0]
    return float(np.float32(xs) * np.float32(w_scale.max()))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--out", default=os.path.join(here, "..", "tests", "data", "quant"))
    args = ap.parse_args()
    rng = np.random.default_rng(SEED)
    floats = {
        "mlp": (mlp(rng, [48, 64, 10], ["batch", 48], ["batch", 10], "mlp"), (4, 48)),
        "mlp3d": (mlp(rng, [48, 64, 10], ["batch", 5, 48], ["batch", 5, 10], "mlp3d"), (2, 5, 48)),
        "cnn": (cnn(rng), (2, 3, 8, 8)),
    }
    dyn = lambda **kw: lambda src, dst, shape: quantize_dynamic(src, dst, **kw)
    qdq = lambda **kw: lambda src, dst, shape: quantize_static(
        src, dst, RandomReader(rng, shape), quant_format=QuantFormat.QDQ, **kw)
    fixtures = [
        ("mlp_dyn_s8", "mlp", "quantize_dynamic(weight_type=QInt8)", dyn(weight_type=QuantType.QInt8)),
        ("mlp_dyn_s8_pc", "mlp", "quantize_dynamic(weight_type=QInt8, per_channel=True)",
         dyn(weight_type=QuantType.QInt8, per_channel=True)),
        ("mlp_dyn_u8", "mlp", "quantize_dynamic(weight_type=QUInt8)", dyn(weight_type=QuantType.QUInt8)),
        ("mlp3d_dyn_s8", "mlp3d", "quantize_dynamic(weight_type=QInt8)", dyn(weight_type=QuantType.QInt8)),
        ("cnn_dyn_s8", "cnn", "quantize_dynamic(weight_type=QInt8)", dyn(weight_type=QuantType.QInt8)),
        ("mlp_qdq_s8", "mlp", "quantize_static(QDQ, activation_type=QInt8, weight_type=QInt8)",
         qdq(activation_type=QuantType.QInt8, weight_type=QuantType.QInt8)),
        ("mlp_qdq_u8", "mlp", "quantize_static(QDQ, activation_type=QUInt8, weight_type=QInt8)",
         qdq(activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8)),
        ("cnn_qdq_pc", "cnn", "quantize_static(QDQ, QInt8/QInt8, per_channel=True)",
         qdq(activation_type=QuantType.QInt8, weight_type=QuantType.QInt8, per_channel=True)),
    ]
    if os.path.isdir(args.out):
        shutil.rmtree(args.out)
    os.makedirs(args.out)
    manifest = ["Quantized-model fixtures written by scripts/make-quant-fixtures.py",
                "onnx %s, onnxruntime %s, numpy %s" % (onnx.__version__, ort.__version__,
                                                       np.__version__), ""]
    with tempfile.TemporaryDirectory() as tmp:
        for name, base, how, quantize in fixtures:
            model, shape = floats[base]
            src = os.path.join(tmp, base + ".onnx")
            onnx.save(model, src)
            out_dir = os.path.join(args.out, name)
            os.makedirs(out_dir)
            dst = os.path.join(out_dir, "model.onnx")
            quantize(src, dst, shape)
            x = rng.normal(0, 1, shape).astype(np.float32)
            y = run_ort(dst, x, True)
            y_plain = run_ort(dst, x, False)
            np.save(os.path.join(out_dir, "input.npy"), x)
            np.save(os.path.join(out_dir, "output.npy"), y.astype(np.float32))
            step = output_step(dst, x)
            with open(os.path.join(out_dir, "step.txt"), "w", encoding="utf-8") as f:
                f.write("%.9g\n" % step)
            q = onnx.load(dst)
            manifest += ["%s: %s of %s, input %s" % (name, how, base, list(shape)),
                         "  nodes: " + " ".join(n.op_type for n in q.graph.node),
                         "  output step %.6g; onnxruntime optimized vs unoptimized: max "
                         "|difference| %g" % (step, float(np.abs(y - y_plain).max())), ""]
    with open(os.path.join(args.out, "MANIFEST.txt"), "w", encoding="utf-8") as f:
        f.write("\n".join(manifest))
    print("\n".join(manifest))


if __name__ == "__main__":
    sys.exit(main())
