#!/usr/bin/env python3
"""Conv2d(C, C, 3x3, pad 1, bias) on a 1 x C x 32 x 32 input, C = 16..128, as
ONNX files in /tmp/runt-conv/ for 2026-11-22c-conv-before-after.sh (the
bench's conv_c* sweep cases, which `runt bench --model` cannot name)."""
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

os.makedirs("/tmp/runt-conv", exist_ok=True)
rng = np.random.default_rng(0)
for c in (16, 32, 64, 128):
    w = (rng.standard_normal((c, c, 3, 3)) / np.sqrt(9 * c)).astype(np.float32)
    b = rng.standard_normal(c).astype(np.float32)
    node = helper.make_node("Conv", ["x", "w", "b"], ["y"], kernel_shape=[3, 3], pads=[1, 1, 1, 1])
    graph = helper.make_graph(
        [node], "conv", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, c, 32, 32])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, c, 32, 32])],
        [numpy_helper.from_array(w, "w"), numpy_helper.from_array(b, "b")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, f"/tmp/runt-conv/conv_c{c}.onnx")
