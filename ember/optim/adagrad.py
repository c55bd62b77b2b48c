"""Adagrad (torch.optim.Adagrad): lr_decay, weight_decay, initial_accumulator_value, maximize."""
import numpy as np

from .._device import xp_of
from .._tensor import wrap
from ..ops._dispatch import bump_version
from .optimizer import Optimizer, _check_lr, _check_nonneg, _init_state, _to_float, _real
from . import _functional as F

__all__ = ["Adagrad"]


def _full_like(p, value):
    a = p._data
    return wrap(xp_of(a).full(a.shape, complex(value, value) if a.dtype.kind == "c" else value, dtype=a.dtype))


class Adagrad(Optimizer):
    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10,
                 foreach=None, *, maximize=False, differentiable=False, fused=None):
        _check_lr(lr)
        _check_nonneg(lr_decay=lr_decay, weight_decay=weight_decay,
                      initial_accumulator_value=initial_accumulator_value, eps=eps)
        defaults = dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, foreach=foreach, maximize=maximize,
                        differentiable=differentiable, fused=fused)
        super().__init__(params, defaults)
        if fused and foreach:
            raise RuntimeError("`fused` and `foreach` cannot be `True` together.")
        for group in self.param_groups:
            for p in group["params"]:
                state = self.state[p]
                _init_state(state, p)
                state["sum"] = _full_like(p, initial_accumulator_value)

    def _group_setdefaults(self):
        return dict(foreach=None, maximize=False, differentiable=False, fused=None)

    def share_memory(self):
        pass

    def step(self, closure=None):
        """Perform a single optimization step."""
        loss = self._closure(closure)
        for group in self.param_groups:
            lr = _to_float(group["lr"])
            lr_decay, eps, weight_decay, maximize = (group["lr_decay"], group["eps"], group["weight_decay"],
                                                     group["maximize"])
            for p in group["params"]:
                if p._grad is None:
                    continue
                state = self.state[p]
                if len(state) == 0:
                    _init_state(state, p)
                    state["sum"] = _full_like(p, self.defaults["initial_accumulator_value"])
                pa, g, ssum = _real(p._data), _real(p._grad._data), _real(state["sum"]._data)
                dt = pa.dtype.type
                b1, b2 = self._scratch_for(p, pa, 2)
                st = state["step"]._data
                st += 1
                step = float(st)
                d = F.eff_grad(g, pa, maximize, weight_decay, b1, dt)
                clr = lr / (1 + (step - 1) * lr_decay)
                F._mul(d, d, out=b2)                  # state_sum.addcmul_(grad, grad, value=1)
                F._add(ssum, b2, out=ssum)
                np.sqrt(ssum, out=b2)
                F._add(b2, dt(eps), out=b2)
                F.addcdiv_(pa, d, b2, -clr, b1, dt)
                bump_version(p)
        return loss
