# Exports the Conv2d(C, C, 3x3, padding 1) models the comparison times, with
# PyTorch (run in an empty folder; cmp.sh reads them from /tmp/models).
import torch

torch.manual_seed(0)
for c, hw in ((16, 32), (32, 32), (64, 32), (128, 32), (64, 16), (64, 64)):
    conv = torch.nn.Conv2d(c, c, 3, padding=1)
    torch.onnx.export(conv, torch.randn(1, c, hw, hw), f"conv{c}_{hw}.onnx", input_names=["x"],
                      output_names=["y"], dynamo=False)
