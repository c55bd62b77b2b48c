# Autograd behaviour written against PyTorch; each result an R line.
import json
import numpy as np
import torch


def R(name, v):
    if isinstance(v, torch.Tensor):
        v = v.detach().tolist()
    print('R', name, json.dumps(v), flush=True)


rng = np.random.default_rng(1)
w = torch.tensor(rng.standard_normal((4, 3)), requires_grad=True)
x = torch.tensor(rng.standard_normal((5, 4)))
h = (x @ w).tanh()
loss = (h * h).mean() + w.pow(2).sum() * 0.01
loss.backward()
R('loss', loss.item())
R('w.grad', w.grad)
R('grad_fn', loss.grad_fn.name())

w.grad = None
g, = torch.autograd.grad((x @ w).sigmoid().sum(), w, create_graph=True)
(g * g).sum().backward()
R('double_backward', w.grad)

a = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
b = a * 1
b[:2] if False else None
v = b.narrow(0, 0, 2)
v.mul_(torch.tensor([5.0, 7.0]))
(b * b).sum().backward()
R('copyslices', a.grad)

y = torch.ones(3, requires_grad=True)
z = y * 2
z.register_hook(lambda g: g * 3)
z.retain_grad()
z.sum().backward()
R('hook_y', y.grad)
R('hook_z', z.grad)


class Cube(torch.autograd.Function):
    @staticmethod
    def forward(ctx, t):
        ctx.save_for_backward(t)
        return t ** 3

    @staticmethod
    def backward(ctx, gout):
        t, = ctx.saved_tensors
        return 3 * t ** 2 * gout


c = torch.tensor([1.0, -2.0], requires_grad=True)
Cube.apply(c).sum().backward()
R('function', c.grad)
R('function_name', Cube.apply(c).grad_fn.name())

with torch.no_grad():
    R('no_grad', (c * 2).requires_grad)
try:
    torch.ones(2, requires_grad=True).add_(1)
except RuntimeError as e:
    R('leaf_inplace_error', str(e))
