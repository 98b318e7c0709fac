#!/usr/bin/env python3
"""int8 error of runt, PyTorch and ONNX Runtime on the same seed MLPs.

For each seed1 model (the Linear stacks of runt's zoo, no activations) this
builds one set of weights (nn.Linear's default initialisation, seeded), one
set of 64 batch-1 inputs (torch.randn, as the seed scripts feed them) and
measures each runtime's dynamic int8 quantization against f32 with the metric
of tests/backends/cpu/test_cpu_int8.c: ||y8 - y|| / ||y||, pooled over the 64
inputs, where y is the f32 output in float64.

  runt      `runt run MODEL.onnx --dtype int8` (cpu backend, default size
            rule: Linears with fewer than 16384 weights stay f32), one
            process per input so each inference quantizes its own input
  PyTorch   torch.ao.quantization.quantize_dynamic on nn.Linear (qint8,
            default qconfig of the current quantized engine)
  ORT       onnxruntime.quantization.quantize_dynamic on the MatMul + Add
            model runt reads (QInt8 weights, per tensor, its default; and
            per channel)

    python3 scripts/int8-error-peers.py --runt build/runt [--out FILE.md]

Prints a markdown table (and writes it to --out). Needs torch, onnx and
onnxruntime (pip).
"""
import argparse
import logging
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnx
import onnxruntime as ort
import torch
from onnx import TensorProto, helper, numpy_helper
from onnxruntime.quantization import QuantType, quantize_dynamic

MODELS = {
    "seed1_model1": [1000, 10, 1000, 1],
    "seed1_model2": [1000, 1000, 1],
    "seed1_model3": [100] * 11,
    "seed1_model4": [100, 500, 100],
    "seed1_model5": [1000, 10],
}
INPUTS = 64


def torch_mlp(widths, seed):
    torch.manual_seed(seed)
    layers = [torch.nn.Linear(a, b) for a, b in zip(widths[:-1], widths[1:])]
    return torch.nn.Sequential(*layers).eval()


def onnx_mlp(model, widths, path):
    """The MLP as MatMul + Add (quantize_dynamic leaves Gemm in float)."""
    nodes, inits, prev = [], [], "x"
    for i, layer in enumerate(model):
        w = layer.weight.detach().numpy().T.copy()  # [in, out]
        b = layer.bias.detach().numpy().copy()
        inits += [numpy_helper.from_array(w, f"w{i}"), numpy_helper.from_array(b, f"b{i}")]
        nodes += [helper.make_node("MatMul", [prev, f"w{i}"], [f"m{i}"]),
                  helper.make_node("Add", [f"m{i}", f"b{i}"], [f"h{i}"])]
        prev = f"h{i}"
    nodes[-1].output[0] = "y"
    graph = helper.make_graph(
        nodes, "mlp", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, widths[0]])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, widths[-1]])], inits)
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    m.ir_version = 8
    onnx.save(m, path)


def relative_error(outs, refs):
    e2 = sum(float(np.sum((o.astype(np.float64) - r) ** 2)) for o, r in zip(outs, refs))
    r2 = sum(float(np.sum(r * r)) for r in refs)
    return (e2 / r2) ** 0.5


def ort_outputs(path, xs):
    o = ort.SessionOptions()
    o.intra_op_num_threads = 1
    s = ort.InferenceSession(path, o, providers=["CPUExecutionProvider"])
    return [s.run(None, {"x": x})[0] for x in xs]


def runt_outputs(runt, path, xs, tmp):
    outs = []
    for i, x in enumerate(xs):
        xi, yi = os.path.join(tmp, f"x{i}.npy"), os.path.join(tmp, f"y{i}.npy")
        np.save(xi, x)
        r = subprocess.run([runt, "run", path, "--input", xi, "--output", yi, "--backend", "cpu",
                            "--dtype", "int8"], capture_output=True, text=True)
        if r.returncode != 0:
            sys.exit(f"int8-error-peers: runt run failed on {path}: {r.stderr.strip()}")
        outs.append(np.load(yi))
    return outs


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runt", required=True, help="the runt program (build/runt)")
    ap.add_argument("--out", help="also write the table to this file")
    a = ap.parse_args()
    torch.set_num_threads(1)
    logging.getLogger().setLevel(logging.ERROR)  # quantize_dynamic's pre-processing advice
    rows = ["| model | runt | PyTorch quantize_dynamic | ORT per tensor | ORT per channel |",
            "|---|---:|---:|---:|---:|"]
    with tempfile.TemporaryDirectory() as tmp:
        for seed, (name, widths) in enumerate(MODELS.items()):
            model = torch_mlp(widths, seed)
            g = torch.Generator().manual_seed(1000 + seed)
            xs_t = [torch.randn(1, widths[0], generator=g) for _ in range(INPUTS)]
            xs = [x.numpy() for x in xs_t]
            with torch.no_grad():
                m64 = torch_mlp(widths, seed).double()
                refs = [m64(x.double()).numpy() for x in xs_t]
                q = torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear},
                                                           dtype=torch.qint8)
                torch_err = relative_error([q(x).numpy() for x in xs_t], refs)
            f32 = os.path.join(tmp, f"{name}.onnx")
            onnx_mlp(model, widths, f32)
            errs = [relative_error(runt_outputs(a.runt, f32, xs, tmp), refs), torch_err]
            for per_channel in (False, True):
                q8 = os.path.join(tmp, f"{name}_q{int(per_channel)}.onnx")
                quantize_dynamic(f32, q8, weight_type=QuantType.QInt8, per_channel=per_channel)
                errs.append(relative_error(ort_outputs(q8, xs), refs))
            rows.append(f"| {name} | " + " | ".join(f"{100 * e:.2f} %" for e in errs) + " |")
    table = "\n".join(rows)
    print(f"int8 relative error ||y8 - y|| / ||y|| against f64, {INPUTS} torch.randn inputs, "
          f"batch 1; torch {torch.__version__} (engine {torch.backends.quantized.engine}), "
          f"onnxruntime {ort.__version__}\n\n{table}")
    if a.out:
        with open(a.out, "w") as f:
            f.write(table + "\n")


if __name__ == "__main__":
    main()
