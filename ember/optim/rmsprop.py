"""RMSprop (torch.optim.RMSprop): alpha, momentum, centered, weight_decay, maximize."""
import numpy as np

from ..ops._dispatch import bump_version
from .optimizer import Optimizer, _check_lr, _check_nonneg, _init_state, _to_float, _real, _zeros_like
from . import _functional as F

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False,
                 capturable=False, foreach=None, maximize=False, differentiable=False):
        _check_lr(lr)
        _check_nonneg(eps=eps, momentum=momentum, weight_decay=weight_decay, alpha=alpha)
        defaults = dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps, centered=centered,
                        weight_decay=weight_decay, capturable=capturable, foreach=foreach, maximize=maximize,
                        differentiable=differentiable)
        super().__init__(params, defaults)

    def _group_setdefaults(self):
        return dict(momentum=0, centered=False, foreach=None, maximize=False, differentiable=False,
                    capturable=False)

    def step(self, closure=None):
        """Perform a single optimization step."""
        loss = self._closure(closure)
        for group in self.param_groups:
            lr = _to_float(group["lr"])
            alpha, eps, weight_decay = group["alpha"], group["eps"], group["weight_decay"]
            momentum, centered, maximize = group["momentum"], group["centered"], group["maximize"]
            for p in group["params"]:
                if p._grad is None:
                    continue
                state = self.state[p]
                if len(state) == 0:
                    _init_state(state, p, "square_avg")
                    if momentum > 0:
                        state["momentum_buffer"] = _zeros_like(p)
                    if centered:
                        state["grad_avg"] = _zeros_like(p)
                pa, g, sq = _real(p._data), _real(p._grad._data), _real(state["square_avg"]._data)
                dt = pa.dtype.type
                b1, b2 = self._scratch_for(p, pa, 2)
                state["step"]._data += 1
                d = F.eff_grad(g, pa, maximize, weight_decay, b1, dt)
                F.mul_addcmul_sq_(sq, alpha, d, 1 - alpha, b2, dt)
                if centered:
                    ga = _real(state["grad_avg"]._data)
                    F.lerp_(ga, d, 1 - alpha, b2, dt)
                    F._mul(ga, ga, out=b2)            # square_avg.addcmul(grad_avg, grad_avg, value=-1)
                    F._sub(sq, b2, out=b2)
                    np.sqrt(b2, out=b2)
                else:
                    np.sqrt(sq, out=b2)
                F._add(b2, dt(eps), out=b2)
                if momentum > 0:
                    buf = _real(state["momentum_buffer"]._data)
                    F._mul(buf, dt(momentum), out=buf)
                    F._div(d, b2, out=b2)              # buf.addcdiv_(grad, avg)
                    F._add(buf, b2, out=buf)
                    F.add_scaled_(pa, buf, -lr, b2, dt)
                else:
                    F.addcdiv_(pa, d, b2, -lr, b1, dt)
                bump_version(p)
        return loss
