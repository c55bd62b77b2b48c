"""Adamax (torch.optim.Adamax): Adam with the infinity norm."""
import numpy as np

from ..ops._dispatch import bump_version
from .optimizer import Optimizer, _check_common, _init_state, _to_float, _real
from . import _functional as F

__all__ = ["Adamax"]


class Adamax(Optimizer):
    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, foreach=None, *,
                 maximize=False, differentiable=False, capturable=False):
        _check_common(lr, betas, eps, weight_decay)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, foreach=foreach,
                        maximize=maximize, differentiable=differentiable, capturable=capturable)
        super().__init__(params, defaults)

    def _group_setdefaults(self):
        return dict(foreach=None, maximize=False, differentiable=False, capturable=False)

    def step(self, closure=None):
        """Perform a single optimization step."""
        loss = self._closure(closure)
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            lr = _to_float(group["lr"])
            eps, weight_decay, maximize = group["eps"], group["weight_decay"], group["maximize"]
            for p in group["params"]:
                if p._grad is None:
                    continue
                state = self.state[p]
                if len(state) == 0:
                    _init_state(state, p, "exp_avg", "exp_inf")
                pa, g = _real(p._data), _real(p._grad._data)
                m, u = _real(state["exp_avg"]._data), _real(state["exp_inf"]._data)
                dt = pa.dtype.type
                b1, b2 = self._scratch_for(p, pa, 2)
                st = state["step"]._data
                st += 1
                d = F.eff_grad(g, pa, maximize, weight_decay, b1, dt)
                F.lerp_(m, d, 1 - beta1, b2, dt)
                F._mul(u, dt(beta2), out=u)           # max(exp_inf * beta2, |grad| + eps)
                np.abs(d, out=b2)
                F._add(b2, dt(eps), out=b2)
                np.maximum(u, b2, out=u)
                bias_correction = 1 - beta1 ** float(st)
                clr = lr / bias_correction
                F.addcdiv_(pa, m, u, -clr, b2, dt)
                bump_version(p)
        return loss
