import torch
torch.manual_seed(0)
lin = torch.nn.Linear(1024, 1024)
torch.onnx.export(lin, torch.randn(1, 1024), "lin1024.onnx", input_names=["x"], output_names=["y"],
                  dynamic_axes={"x": {0: "b"}, "y": {0: "b"}}, dynamo=False)
for c in (16, 32, 64, 128):
    conv = torch.nn.Conv2d(c, c, 3, padding=1)
    torch.onnx.export(conv, torch.randn(1, c, 32, 32), f"conv{c}.onnx", input_names=["x"], output_names=["y"], dynamo=False)
