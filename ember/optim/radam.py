"""RAdam (torch.optim.RAdam): rectified Adam (decoupled_weight_decay)."""
import numpy as np

from ..ops._dispatch import bump_version
from .optimizer import Optimizer, _check_common, _init_state, _to_float, _real
from . import _functional as F

__all__ = ["RAdam"]


class RAdam(Optimizer):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 decoupled_weight_decay=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False):
        _check_common(lr, betas, eps, weight_decay)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, maximize=maximize, foreach=foreach,
                        capturable=capturable, decoupled_weight_decay=decoupled_weight_decay,
                        differentiable=differentiable)
        super().__init__(params, defaults)

    def _group_setdefaults(self):
        return dict(foreach=None, maximize=False, differentiable=False, decoupled_weight_decay=False,
                    capturable=False)

    def step(self, closure=None):
        """Perform a single optimization step."""
        loss = self._closure(closure)
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            lr = _to_float(group["lr"])
            eps, weight_decay, maximize = group["eps"], group["weight_decay"], group["maximize"]
            decoupled = group["decoupled_weight_decay"]
            for p in group["params"]:
                if p._grad is None:
                    continue
                state = self.state[p]
                if len(state) == 0:
                    _init_state(state, p, "exp_avg", "exp_avg_sq")
                pa, g = _real(p._data), _real(p._grad._data)
                m, v = _real(state["exp_avg"]._data), _real(state["exp_avg_sq"]._data)
                dt = pa.dtype.type
                b1, b2 = self._scratch_for(p, pa, 2)
                st = state["step"]._data
                st += 1
                step = float(st)
                d = F.decayed_grad(g, pa, maximize, weight_decay, decoupled, lr, b1, dt)
                F.lerp_(m, d, 1 - beta1, b2, dt)
                F.mul_addcmul_sq_(v, beta2, d, 1 - beta2, b2, dt)
                bias_correction1 = 1 - beta1 ** step
                bias_correction2 = 1 - beta2 ** step
                F._div(m, dt(bias_correction1), out=b2)   # bias_corrected_exp_avg
                rho_inf = 2 / (1 - beta2) - 1
                rho_t = rho_inf - 2 * step * (beta2 ** step) / bias_correction2
                F._mul(b2, dt(lr), out=b2)
                if rho_t > 5.0:
                    np.sqrt(v, out=b1)                    # adaptive lr: bc2 ** 0.5 / (sqrt(v) + eps)
                    F._add(b1, dt(eps), out=b1)
                    np.reciprocal(b1, out=b1)
                    F._mul(b1, dt(bias_correction2 ** 0.5), out=b1)
                    F._mul(b2, b1, out=b2)
                    rect = ((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
                    F._mul(b2, dt(rect), out=b2)
                F._sub(pa, b2, out=pa)
                bump_version(p)
        return loss
