"""An ONNX graph as a PyTorch eager module.

The bench's peers run one definition of each model: the ONNX file runt wrote
(runt_model_save_onnx). For PyTorch that file is turned into an nn.Module here
by interpreting its graph with torch.nn.functional and torch ops, so there is
no second, hand-written copy of any model that could drift from runt's.

Covered: the ai.onnx ops runt reads (runtime/onnx/onnx_ops.c), with the attribute
semantics of opsets 13 to 20: Gemm, MatMul, Add, Sub, Mul, Div, Relu,
LeakyRelu, Clip, Sigmoid, Tanh, Erf, Gelu, Softmax, Conv, MaxPool,
AveragePool, GlobalAveragePool, Pad (constant), Flatten, Reshape, Identity,
Dropout, BatchNormalization, LayerNormalization, Constant. Anything else
raises NotImplementedError naming the node.

Constant inputs (weights, shapes, pads, bounds) are read once when the module
is built; weights become buffers, and what they select (a Reshape's shape, a
Gemm's transposes) is settled then, not on every call.
"""

import math

import numpy as np
import onnx
import onnx.numpy_helper
import torch
import torch.nn.functional as F


def _attrs(node):
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def _s(v):
    return v.decode() if isinstance(v, bytes) else v


class _Node:
    """One ONNX node as a callable on tensors (inputs in ONNX order)."""

    def __init__(self, name, inputs, outputs, fn):
        self.name, self.inputs, self.outputs, self.fn = name, inputs, outputs, fn


def _window(a, x, kernel=None):
    """kernel, strides, dilations, pads (ONNX order: begins then ends, auto_pad
    resolved on x's spatial size) of a Conv or pool node on x."""
    k = list(a.get("kernel_shape", []) if kernel is None else kernel)
    n = x.dim() - 2
    strides = list(a.get("strides", [1] * n))
    dilations = list(a.get("dilations", [1] * n))
    pads = list(a.get("pads", [0] * (2 * n)))
    auto_pad = _s(a.get("auto_pad", "NOTSET")) or "NOTSET"
    if auto_pad != "NOTSET":
        pads = _auto_pads(list(x.shape[2:]), k, strides, dilations, auto_pad)
    return k, strides, dilations, pads


def _auto_pads(size, k, strides, dilations, auto_pad, ceil_mode=0):
    """Pads for SAME_UPPER / SAME_LOWER / VALID from the input's spatial size."""
    n = len(size)
    if auto_pad == "VALID":
        return [0] * (2 * n)
    begins, ends = [], []
    for i in range(n):
        out = -(-size[i] // strides[i])  # ceil(in / stride)
        span = (k[i] - 1) * dilations[i] + 1
        total = max(0, (out - 1) * strides[i] + span - size[i])
        small, big = total // 2, total - total // 2
        begins.append(small if auto_pad == "SAME_UPPER" else big)
        ends.append(big if auto_pad == "SAME_UPPER" else small)
    return begins + ends


def _torch_pad_list(pads):
    """ONNX pads (begin of each axis, then end of each) to F.pad's order (last axis first)."""
    n = len(pads) // 2
    out = []
    for axis in reversed(range(n)):
        out += [pads[axis], pads[n + axis]]
    return out


def _symmetric(pads):
    n = len(pads) // 2
    return all(pads[i] == pads[n + i] for i in range(n))


def _torch_pool_pads(pads, k):
    """The per-axis padding PyTorch's pools take for these ONNX pads, or None
    where they take none that matches (asymmetric, or over half the kernel)."""
    n = len(pads) // 2
    if _symmetric(pads) and all(2 * pads[i] <= k[i] for i in range(n)):
        return pads[:n]
    return None


def _conv(a, w, b):
    group = a.get("group", 1)

    def run(x, *_):
        _, strides, dilations, pads = _window(a, x, a.get("kernel_shape", w.shape[2:]))
        conv = F.conv1d if x.dim() == 3 else F.conv2d
        n = len(pads) // 2
        if _symmetric(pads):
            return conv(x, w, b, strides, pads[:n], dilations, group)
        return conv(F.pad(x, _torch_pad_list(pads)), w, b, strides, 0, dilations, group)

    return run


def _max_pool(a):
    ceil_mode = bool(a.get("ceil_mode", 0))

    def run(x):
        k, strides, dilations, pads = _window(a, x)
        pool = F.max_pool1d if x.dim() == 3 else F.max_pool2d
        torch_pads = _torch_pool_pads(pads, k)
        if torch_pads is not None:
            return pool(x, k, strides, torch_pads, dilations, ceil_mode)
        x = F.pad(x, _torch_pad_list(pads), value=-math.inf)
        return pool(x, k, strides, 0, dilations, ceil_mode)

    return run


def _avg_pool(a):
    ceil_mode = bool(a.get("ceil_mode", 0))
    include = bool(a.get("count_include_pad", 0))

    def run(x):
        k, strides, dilations, pads = _window(a, x)
        if any(d != 1 for d in dilations):
            raise NotImplementedError("AveragePool with dilations")
        pool = F.avg_pool1d if x.dim() == 3 else F.avg_pool2d
        torch_pads = _torch_pool_pads(pads, k)
        if torch_pads is not None:
            return pool(x, k, strides, torch_pads, ceil_mode, include)
        # Asymmetric pads: pool the zero-padded input, then divide by the
        # count of taps that ONNX counts (all, or those inside the input).
        xp = F.pad(x, _torch_pad_list(pads))
        total = pool(xp, k, strides, 0, ceil_mode, True) * float(np.prod(k))
        if include:
            ones = torch.ones_like(xp[:1, :1])
        else:
            ones = F.pad(torch.ones_like(x[:1, :1]), _torch_pad_list(pads))
        count = pool(ones, k, strides, 0, ceil_mode, True) * float(np.prod(k))
        return total / count

    return run


def _reshape(shape, allowzero):
    def run(x, *_):
        dims = [int(d) for d in shape]
        if not allowzero:
            dims = [x.shape[i] if d == 0 else d for i, d in enumerate(dims)]
        return x.reshape(dims)

    return run


def _flatten(axis):
    def run(x):
        ax = axis + x.dim() if axis < 0 else axis
        outer = int(np.prod(x.shape[:ax])) if ax > 0 else 1
        return x.reshape(outer, -1)

    return run


def _gemm(a, b, c):
    alpha, beta = a.get("alpha", 1.0), a.get("beta", 1.0)
    trans_a, trans_b = a.get("transA", 0), a.get("transB", 0)
    if b is not None and not trans_a and alpha == 1.0 and beta == 1.0:
        # nn.Linear's own path: weight [out, in], settled once.
        w = (b if trans_b else b.t()).contiguous()
        return lambda x, *_: F.linear(x, w, c)

    def run(x, bb, *rest):
        bb = b if b is not None else bb
        x = x.t() if trans_a else x
        bb = bb.t() if trans_b else bb
        y = torch.matmul(x, bb) * alpha if alpha != 1.0 else torch.matmul(x, bb)
        cc = c if c is not None else (rest[0] if rest else None)
        return y if cc is None else y + beta * cc

    return run


def _layer_norm(a):
    axis, eps = a.get("axis", -1), a.get("epsilon", 1e-5)

    def run(x, scale, bias=None):
        ax = axis + x.dim() if axis < 0 else axis
        shape = tuple(x.shape[ax:])
        if tuple(scale.shape) == shape and (bias is None or tuple(bias.shape) == shape):
            return F.layer_norm(x, shape, scale, bias, eps)
        dims = tuple(range(ax, x.dim()))
        mean = x.mean(dims, keepdim=True)
        var = ((x - mean) ** 2).mean(dims, keepdim=True)
        y = (x - mean) / torch.sqrt(var + eps) * scale
        return y if bias is None else y + bias

    return run


class OnnxModule(torch.nn.Module):
    """An nn.Module computing the ONNX graph of model (a ModelProto or a path),
    its weights on device."""

    def __init__(self, model, device="cpu"):
        super().__init__()
        if not isinstance(model, onnx.ModelProto):
            model = onnx.load(model)
        g = model.graph
        self.opset = next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), 0)
        # Constants live on the device from the start: the node closures hold
        # tensors derived from them (a transposed weight), which a later
        # .to(device) would not move.
        self.consts = {}
        for t in g.initializer:
            arr = np.array(onnx.numpy_helper.to_array(t), copy=True)
            self.consts[t.name] = torch.from_numpy(arr).to(device)
        self.device = device
        known = set(self.consts)
        self.input_names = [i.name for i in g.input if i.name not in known]
        self.output_names = [o.name for o in g.output]
        self.nodes = [n for n in (self._compile(n) for n in g.node) if n is not None]

    def _const(self, node, i):
        if i >= len(node.input) or not node.input[i]:
            return None
        if node.input[i] not in self.consts:
            raise NotImplementedError("%s (%s): input %d ('%s') must be a constant"
                                      % (node.name, node.op_type, i, node.input[i]))
        return self.consts[node.input[i]]

    def _value(self, node, i):
        """A constant input as a tensor, or None when it is computed at run time."""
        if i >= len(node.input) or not node.input[i]:
            return None
        return self.consts.get(node.input[i])

    def _compile(self, node):
        op, a = node.op_type, _attrs(node)
        if node.domain not in ("", "ai.onnx"):
            raise NotImplementedError("%s: domain %s" % (node.name, node.domain))
        fn = None
        simple = {"MatMul": torch.matmul, "Add": torch.add, "Sub": torch.sub, "Mul": torch.mul,
                  "Div": torch.div, "Relu": F.relu, "Sigmoid": torch.sigmoid, "Tanh": torch.tanh,
                  "Erf": torch.erf, "Identity": lambda x: x}
        if op in simple:
            fn = simple[op]
        elif op == "Dropout":
            fn = lambda x, *_: x  # inference: the identity
        elif op == "LeakyRelu":
            alpha = a.get("alpha", 0.01)
            fn = lambda x: F.leaky_relu(x, alpha)
        elif op == "Clip":
            lo, hi = self._const(node, 1), self._const(node, 2)
            lo = -math.inf if lo is None else float(lo)
            hi = math.inf if hi is None else float(hi)
            fn = lambda x, *_: torch.clamp(x, lo, hi)
        elif op == "Gelu":
            approx = _s(a.get("approximate", "none"))
            fn = lambda x: F.gelu(x, approximate=approx)
        elif op == "Softmax":
            if self.opset < 13:
                raise NotImplementedError("%s: Softmax before opset 13" % node.name)
            axis = a.get("axis", -1)
            fn = lambda x: F.softmax(x, axis)
        elif op == "Gemm":
            fn = _gemm(a, self._value(node, 1), self._value(node, 2))
        elif op == "Conv":
            fn = _conv(a, self._const(node, 1), self._value(node, 2))
        elif op == "MaxPool":
            fn = _max_pool(a)
        elif op == "AveragePool":
            fn = _avg_pool(a)
        elif op == "GlobalAveragePool":
            fn = lambda x: x.mean(tuple(range(2, x.dim())), keepdim=True)
        elif op == "Pad":
            if _s(a.get("mode", "constant")) != "constant" or len(node.input) > 3:
                raise NotImplementedError("%s: Pad other than constant mode on all axes" % node.name)
            pads = [int(p) for p in self._const(node, 1)]
            v = self._const(node, 2)
            value = 0.0 if v is None else float(v)
            fn = lambda x, *_: F.pad(x, _torch_pad_list(pads), value=value)
        elif op == "Flatten":
            fn = _flatten(a.get("axis", 1))
        elif op == "Reshape":
            fn = _reshape(self._const(node, 1).tolist(), a.get("allowzero", 0))
        elif op == "BatchNormalization":
            eps = a.get("epsilon", 1e-5)
            s, b, m, v = (self._const(node, i) for i in range(1, 5))
            fn = lambda x, *_: F.batch_norm(x, m, v, s, b, False, 0.0, eps)
        elif op == "LayerNormalization":
            fn = _layer_norm(a)
        elif op == "Constant":
            t = a.get("value")
            arr = onnx.numpy_helper.to_array(t) if t is not None else np.array(
                a.get("value_float", a.get("value_floats", a.get("value_int", a.get("value_ints")))))
            self.consts[node.output[0]] = torch.from_numpy(np.array(arr, copy=True)).to(self.device)
            return None
        else:
            raise NotImplementedError("%s: op %s is not interpreted" % (node.name or "?", op))
        return _Node(node.name, list(node.input), list(node.output), fn)

    def forward(self, *inputs):
        env = dict(self.consts)
        env.update(zip(self.input_names, inputs))
        for n in self.nodes:
            args = [env[i] if i else None for i in n.inputs]
            while args and args[-1] is None:
                args.pop()
            env[n.outputs[0]] = n.fn(*args)
        outs = tuple(env[o] for o in self.output_names)
        return outs[0] if len(outs) == 1 else outs
