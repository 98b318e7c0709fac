# Exports the Linear(K, N) models the comparison times, with PyTorch (run in
# /tmp/models; cmp.sh reads them from there). Linear(144, 16) is the sweep's
# convlin_c16 (the im2col product of Conv2d(16, 16, 3x3)).
import torch

torch.manual_seed(0)
for k, n in ((144, 16), (64, 16), (256, 16), (512, 16), (1000, 16), (144, 12), (144, 8),
             (1000, 8), (1000, 4), (1024, 1024)):
    lin = torch.nn.Linear(k, n)
    torch.onnx.export(lin, torch.randn(1, k), f"lin{k}x{n}.onnx", input_names=["x"],
                      output_names=["y"], dynamic_axes={"x": {0: "b"}, "y": {0: "b"}},
                      dynamo=False)
