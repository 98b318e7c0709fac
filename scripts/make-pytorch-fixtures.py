#!/usr/bin/env python3
"""Writes the PyTorch round-trip fixtures under tests/data/pytorch/.

Small nn.Sequential models (MLPs with GELU, LeakyReLU, Tanh, Sigmoid, ReLU
and Softmax; a LeNet-5; CNNs with BatchNorm and pooling, in eval mode; a
LayerNorm MLP; a CNN behind reflection, replication and circular padding)
are built with fixed seeds, exported to ONNX with a dynamic
batch axis, and saved with an input batch and PyTorch's output for it:

  <model>_x.npy                       the input: float32, C order (np.save: format 1.0)
  <model>_y.npy                       PyTorch's output for <model>_x.npy
  <model>_<exporter><opset>.onnx      one file per export

and fixtures.txt, one line per export: "ONNX_FILE INPUT_NPY OUTPUT_NPY".
tests/onnx/test_pytorch_fixtures.c reads that list; the tests need neither
Python nor torch. The fixtures are committed; run this script again (with
torch, onnx and onnxscript installed) only to change them.

Exporters: torch >= 2.9 makes the torch.export-based ("dynamo") exporter the
default; it needs onnxscript and writes opset 18 or later. Models exported
with it ("dynamo18") are what a user of a current torch gets by default. The
TorchScript-based exporter (dynamo=False, deprecated but still shipped)
writes any opset from 7 and is what older code and older torch produce; it
is used for opsets 11, 13 and 17 ("ts11", "ts13", "ts17"), which between
them cover the attribute-to-input changes runt's reader handles (Softmax's
axis at 13, LayerNormalization from 17). Before opset 17 ONNX has no
LayerNormalization and the exporter spells nn.LayerNorm out in ReduceMean,
Pow and Sqrt, which runt does not read: the LayerNorm model is exported at
17 and 18 only. The TorchScript exporter spells ReflectionPad2d and
ReplicationPad2d's pads out in ConstantOfShape, Slice and Transpose, and
CircularPad2d in Slice and Concat, which runt does not read; the dynamo
exporter writes one Pad each (modes reflect, edge and wrap), so the padded
CNN is exported at 18 only. Constant folding is left on, as by
default, so a Conv followed by BatchNorm arrives folded into the Conv; the
models also keep a BatchNorm that cannot be folded (after a ReLU).

Outputs are computed by PyTorch on the CPU in float32 with deterministic
algorithms. Total size is kept well under 2 MB. --only NAME rewrites one
model's files and its lines of fixtures.txt and leaves the others as they
are (a model added later need not change the committed ones).
"""
import argparse
import os
import sys
import warnings

import numpy as np
import torch
from torch import nn

OPSETS_TS = (11, 13, 17)
OPSET_DYNAMO = 18
BATCH = 3


def mlp_gelu_tanh():
    return nn.Sequential(nn.Linear(16, 32), nn.GELU(), nn.Linear(32, 32), nn.Tanh(),
                         nn.Linear(32, 10)), (16,)


def mlp_leaky_sigmoid_softmax():
    return nn.Sequential(nn.Linear(20, 24), nn.LeakyReLU(0.1), nn.Linear(24, 24), nn.Sigmoid(),
                         nn.Linear(24, 12), nn.ReLU(), nn.Linear(12, 6),
                         nn.Softmax(dim=1)), (20,)


def lenet5():
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(16 * 5 * 5, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(),
        nn.Linear(84, 10)), (1, 28, 28)


def cnn_batchnorm_pool():
    return nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(),
        nn.MaxPool2d(2, stride=2),
        nn.Conv2d(8, 12, 3, stride=1, padding=1), nn.ReLU(), nn.BatchNorm2d(12),
        nn.AvgPool2d(2), nn.Conv2d(12, 16, 3), nn.Sigmoid(),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(16, 5)), (3, 16, 16)


def layernorm_mlp():
    return nn.Sequential(nn.Linear(24, 48), nn.LayerNorm(48), nn.GELU(), nn.Linear(48, 48),
                         nn.LayerNorm(48, eps=1e-3), nn.Tanh(), nn.Linear(48, 7)), (24,)


def cnn_reflect_edge_wrap_pad():
    return nn.Sequential(
        nn.ReflectionPad2d(2), nn.Conv2d(3, 8, 5), nn.ReLU(),
        nn.ReplicationPad2d((1, 2, 0, 1)), nn.Conv2d(8, 6, 3), nn.ReLU(),
        nn.CircularPad2d(1), nn.Conv2d(6, 4, 3), nn.Flatten(), nn.Linear(4 * 10 * 12, 5)), \
        (3, 11, 11)


EVERY_OPSET = [("ts", o) for o in OPSETS_TS] + [("dynamo", OPSET_DYNAMO)]

# name: (constructor, exports)
MODELS = {
    "mlp_gelu_tanh": (mlp_gelu_tanh, EVERY_OPSET),
    "mlp_leaky_sigmoid_softmax": (mlp_leaky_sigmoid_softmax, EVERY_OPSET),
    "lenet5": (lenet5, EVERY_OPSET),
    "cnn_batchnorm_pool": (cnn_batchnorm_pool, EVERY_OPSET),
    "layernorm_mlp": (layernorm_mlp, [("ts", 17), ("dynamo", OPSET_DYNAMO)]),
    "cnn_reflect_edge_wrap_pad": (cnn_reflect_edge_wrap_pad, [("dynamo", OPSET_DYNAMO)]),
}


def randomize_norms(model, gen):
    """Running statistics and affine parameters away from their defaults,
    so that BatchNorm and LayerNorm change their input."""
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, (nn.BatchNorm2d, nn.LayerNorm)):
                m.weight.copy_(torch.rand(m.weight.shape, generator=gen) + 0.5)
                m.bias.copy_(torch.rand(m.bias.shape, generator=gen) - 0.5)
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.copy_(torch.rand(m.running_mean.shape, generator=gen) - 0.5)
                m.running_var.copy_(torch.rand(m.running_var.shape, generator=gen) + 0.5)


def quiet_exporters():
    """The dynamo exporter logs its progress and torchvision's absence."""
    import logging
    logging.getLogger("torch.onnx").setLevel(logging.ERROR)
    logging.getLogger("torch.onnx._internal.exporter._registration").setLevel(logging.ERROR)


def export(model, x, path, exporter, opset):
    common = dict(input_names=["x"], output_names=["y"], opset_version=opset)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the TorchScript exporter's deprecation notice
        if exporter == "ts":
            torch.onnx.export(model, (x,), path, dynamo=False,
                              dynamic_axes={"x": {0: "batch"}, "y": {0: "batch"}}, **common)
        else:
            batch = torch.export.Dim("batch", min=1, max=1024)
            torch.onnx.export(model, (x,), path, dynamo=True, dynamic_shapes=({0: batch},),
                              external_data=False, verbose=False, **common)


def check_export(path, x, y):
    """The file is valid ONNX with a symbolic batch dim, and onnxruntime (when
    installed) agrees with PyTorch: a fixture is only as good as its export."""
    import onnx
    m = onnx.load(path)
    onnx.checker.check_model(m)
    dim0 = m.graph.input[0].type.tensor_type.shape.dim[0]
    if not dim0.dim_param:
        sys.exit("%s: the batch dim is not symbolic" % path)
    try:
        import onnxruntime as ort
    except ImportError:
        return
    got = ort.InferenceSession(path, providers=["CPUExecutionProvider"]).run(None, {"x": x})[0]
    err = np.abs(got - y).max() / max(np.abs(y).max(), 1e-6)
    if err > 1e-5:
        sys.exit("%s: onnxruntime differs from PyTorch by %g (normalized)" % (path, err))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    here = os.path.dirname(os.path.abspath(__file__))
    p.add_argument("--out", default=os.path.normpath(os.path.join(here, "..", "tests", "data",
                                                              "pytorch")))
    p.add_argument("--only", choices=sorted(MODELS), help="rewrite this model's fixtures alone")
    args = p.parse_args()
    os.makedirs(args.out, exist_ok=True)
    quiet_exporters()
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(1)
    lines = []
    for index, (name, (make, exports)) in enumerate(MODELS.items()):
        if args.only and name != args.only:
            continue
        torch.manual_seed(1000 + index)
        gen = torch.Generator().manual_seed(2000 + index)
        model, shape = make()
        randomize_norms(model, gen)
        model.eval()
        x = torch.rand((BATCH,) + shape, generator=gen) * 2 - 1
        with torch.no_grad():
            y = model(x)
        xn, yn = x.numpy().astype("<f4"), y.numpy().astype("<f4")
        np.save(os.path.join(args.out, name + "_x.npy"), xn)
        np.save(os.path.join(args.out, name + "_y.npy"), yn)
        for exporter, opset in exports:
            onnx_name = "%s_%s%d.onnx" % (name, exporter, opset)
            path = os.path.join(args.out, onnx_name)
            export(model, x, path, exporter, opset)
            check_export(path, xn, yn)
            lines.append("%s %s_x.npy %s_y.npy" % (onnx_name, name, name))
    listing = os.path.join(args.out, "fixtures.txt")
    header = ["# Written by scripts/make-pytorch-fixtures.py (torch %s): ONNX_FILE INPUT "
              "OUTPUT" % torch.__version__]
    if args.only:
        # The other models' lines stay, with the header that dated them; this
        # model's lines are replaced and say which torch wrote them.
        with open(listing, encoding="utf-8") as f:
            kept = [l.rstrip("\n") for l in f
                    if not l.startswith(args.only + "_") and
                    not l.startswith("# %s: " % args.only)]
        header, lines = kept, ["# %s: torch %s" % (args.only, torch.__version__)] + lines
    with open(listing, "w", encoding="utf-8") as f:
        f.write("\n".join(header + lines) + "\n")
    total = sum(os.path.getsize(os.path.join(args.out, n)) for n in os.listdir(args.out))
    exports = sum(1 for l in lines if not l.startswith("#"))
    print("wrote %d exports of %d models to %s (%d bytes in all)"
          % (exports, 1 if args.only else len(MODELS), args.out, total))
    return 0


if __name__ == "__main__":
    sys.exit(main())
