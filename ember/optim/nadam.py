"""NAdam (torch.optim.NAdam): Adam with Nesterov momentum (momentum_decay, decoupled_weight_decay)."""
import numpy as np

from ..ops._dispatch import bump_version
from .optimizer import Optimizer, _check_common, _check_nonneg, _to_float, _real, _step_tensor, _zeros_like
from . import _functional as F

__all__ = ["NAdam"]


class NAdam(Optimizer):
    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, momentum_decay=4e-3,
                 decoupled_weight_decay=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False):
        _check_common(lr, betas, eps, weight_decay)
        _check_nonneg(momentum_decay=momentum_decay)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, momentum_decay=momentum_decay,
                        decoupled_weight_decay=decoupled_weight_decay, maximize=maximize, foreach=foreach,
                        capturable=capturable, differentiable=differentiable)
        super().__init__(params, defaults)

    def _group_setdefaults(self):
        return dict(maximize=False, foreach=None, capturable=False, differentiable=False,
                    decoupled_weight_decay=False)

    def _scalar_state_keys(self):
        return ("step", "mu_product")

    def step(self, closure=None):
        """Perform a single optimization step."""
        loss = self._closure(closure)
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            lr = _to_float(group["lr"])
            eps, weight_decay, maximize = group["eps"], group["weight_decay"], group["maximize"]
            momentum_decay, decoupled = group["momentum_decay"], group["decoupled_weight_decay"]
            for p in group["params"]:
                if p._grad is None:
                    continue
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _step_tensor(0.0)
                    state["mu_product"] = _step_tensor(1.0)
                    state["exp_avg"] = _zeros_like(p)
                    state["exp_avg_sq"] = _zeros_like(p)
                pa, g = _real(p._data), _real(p._grad._data)
                m, v = _real(state["exp_avg"]._data), _real(state["exp_avg_sq"]._data)
                mu_product = state["mu_product"]._data
                dt = pa.dtype.type
                b1, b2 = self._scratch_for(p, pa, 2)
                st = state["step"]._data
                st += 1
                step = float(st)
                bias_correction2 = 1 - beta2 ** step
                d = F.decayed_grad(g, pa, maximize, weight_decay, decoupled, lr, b1, dt)
                mu = beta1 * (1.0 - 0.5 * (0.96 ** (step * momentum_decay)))
                mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((step + 1) * momentum_decay)))
                np.multiply(mu_product, mu_product.dtype.type(mu), out=mu_product)   # mu_product *= mu
                F.lerp_(m, d, 1 - beta1, b2, dt)
                F.mul_addcmul_sq_(v, beta2, d, 1 - beta2, b2, dt)
                F._div(v, dt(bias_correction2), out=b2)    # denom = exp_avg_sq.div(bc2).sqrt()
                np.sqrt(b2, out=b2)
                mu_prod = float(mu_product)
                mu_product_next = mu_prod * mu_next
                F._add(b2, dt(eps), out=b2)
                F.addcdiv_(pa, d, b2, (-lr * (1.0 - mu) / (1.0 - mu_prod)), b1, dt)
                F.addcdiv_(pa, m, b2, (-lr * mu_next) / (1.0 - mu_product_next), b1, dt)
                bump_version(p)
        return loss
