# Tensor creation, views, promotion and printing, written against PyTorch; each result an R line.
import json
import numpy as np
import torch


def R(name, v):
    if isinstance(v, torch.Tensor):
        v = v.detach().tolist()
    print('R', name, json.dumps(v), flush=True)


rng = np.random.default_rng(0)
a = torch.tensor(rng.standard_normal((3, 4)).astype(np.float32))
R('repr', repr(a))
R('repr_int', repr(torch.arange(12).view(3, 4)))
R('repr_grad', repr(torch.ones(2, requires_grad=True) * 2))
R('shape', list(a.t().shape))
R('stride', list(a.t().stride()))
R('contig', a.t().is_contiguous())
R('promote_int_float', str((torch.tensor([1, 2]) + 1.5).dtype))
R('promote_int32_scalar', str((torch.tensor([1, 2], dtype=torch.int32) * 3).dtype))
R('promote_0d', str((torch.tensor(2.0, dtype=torch.float64) * torch.ones(2)).dtype))
R('div_int', torch.tensor([3, 4]) / 2)
R('floordiv', torch.tensor([-7, 7]) // 2)
R('mod', torch.tensor([-7, 7]) % 3)
R('view_chain', a.view(2, 6).transpose(0, 1).reshape(3, 4))
R('expand', torch.arange(3.).unsqueeze(1).expand(3, 2))
R('split', [t.tolist() for t in torch.arange(10).split(3)])
R('chunk', [t.tolist() for t in torch.arange(10).chunk(4)])
R('unbind', [t.tolist() for t in torch.eye(2).unbind(1)])
R('linspace', torch.linspace(-1, 1, 5))
R('arange_f', torch.arange(0, 1, 0.25))
R('cat', torch.cat([torch.ones(2, 1), torch.zeros(2, 2)], dim=1))
R('stack', torch.stack([torch.ones(2), torch.zeros(2)], dim=1))
R('clamp', a.clamp(-0.5, 0.5))
R('where', torch.where(a > 0, a, torch.zeros_like(a)))
R('matmul', a @ a.t())
R('sum_mean', [a.sum().item(), a.mean().item()])
x = a.clone()
x.mul_(2).add_(1)
R('inplace', x)
R('version', x._version)
R('item', torch.tensor([[2.5]]).item())
R('tolist', torch.tensor([[1, 2], [3, 4]]).tolist())
R('dtype_str', str(torch.float32))
R('size_repr', repr(torch.zeros(2, 3).shape))
R('type', torch.zeros(2, dtype=torch.int64).type())
