"""Adadelta (torch.optim.Adadelta): rho, eps, weight_decay, maximize."""
import numpy as np

from ..ops._dispatch import bump_version
from .optimizer import Optimizer, _check_lr, _check_nonneg, _init_state, _to_float, _real
from . import _functional as F

__all__ = ["Adadelta"]


class Adadelta(Optimizer):
    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, foreach=None, *, capturable=False,
                 maximize=False, differentiable=False):
        _check_lr(lr)
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        _check_nonneg(eps=eps, weight_decay=weight_decay)
        defaults = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize,
                        capturable=capturable, foreach=foreach, differentiable=differentiable)
        super().__init__(params, defaults)

    def _group_setdefaults(self):
        return dict(foreach=None, maximize=False, differentiable=False, capturable=False)

    def step(self, closure=None):
        """Perform a single optimization step."""
        loss = self._closure(closure)
        for group in self.param_groups:
            lr = _to_float(group["lr"])
            rho, eps, weight_decay, maximize = group["rho"], group["eps"], group["weight_decay"], group["maximize"]
            for p in group["params"]:
                if p._grad is None:
                    continue
                state = self.state[p]
                if len(state) == 0:
                    _init_state(state, p, "square_avg", "acc_delta")
                pa, g = _real(p._data), _real(p._grad._data)
                sq, acc = _real(state["square_avg"]._data), _real(state["acc_delta"]._data)
                dt = pa.dtype.type
                b1, b2, b3 = self._scratch_for(p, pa, 3)
                state["step"]._data += 1
                d = F.eff_grad(g, pa, maximize, weight_decay, b1, dt)
                F.mul_addcmul_sq_(sq, rho, d, 1 - rho, b2, dt)
                e = dt(eps)
                F._add(sq, e, out=b2)                 # std = square_avg.add(eps).sqrt_()
                np.sqrt(b2, out=b2)
                F._add(acc, e, out=b3)                # delta = acc_delta.add(eps).sqrt_()
                np.sqrt(b3, out=b3)
                F._div(b3, b2, out=b3)                # delta.div_(std).mul_(grad)
                F._mul(b3, d, out=b3)
                F.mul_addcmul_sq_(acc, rho, b3, 1 - rho, b2, dt)
                F.add_scaled_(pa, b3, -lr, b2, dt)
                bump_version(p)
        return loss
