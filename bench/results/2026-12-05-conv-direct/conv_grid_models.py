import torch, itertools
shapes=[]
for c,hw,k in itertools.product([3,8,16,32,64,128],[8,16,32,56],[1,3,5]):
    if c*hw*hw*c*k*k*2 > 4e8: continue
    shapes.append((c,hw,k))
for c,hw,k in shapes:
    m=torch.nn.Conv2d(c, max(c,8), k, padding=k//2 if k>1 else 0)
    torch.onnx.export(m, torch.randn(1,c,hw,hw), f"c{c}_hw{hw}_k{k}.onnx", opset_version=17, dynamo=False)
print(len(shapes))
