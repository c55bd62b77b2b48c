"""SGD (torch.optim.SGD): momentum, dampening, nesterov, weight_decay, maximize."""
from .._tensor import wrap
from ..ops._dispatch import bump_version
from .optimizer import Optimizer, _check_lr, _to_float, _real
from . import _functional as F

__all__ = ["SGD"]


class SGD(Optimizer):
    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, *,
                 maximize=False, foreach=None, differentiable=False, fused=None):
        _check_lr(lr)
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                        nesterov=nesterov, maximize=maximize, foreach=foreach, differentiable=differentiable,
                        fused=fused)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, defaults)
        if fused and foreach:
            raise RuntimeError("`fused` and `foreach` cannot be `True` together.")

    def _group_setdefaults(self):
        return dict(nesterov=False, maximize=False, foreach=None, differentiable=False, fused=False)

    def _scalar_state_keys(self):
        return ()

    def step(self, closure=None):
        """Perform a single optimization step."""
        loss = self._closure(closure)
        for group in self.param_groups:
            lr = _to_float(group["lr"])
            momentum = group["momentum"]
            dampening = group["dampening"]
            weight_decay = _to_float(group["weight_decay"])
            nesterov = group["nesterov"]
            maximize = group["maximize"]
            for p in group["params"]:
                if p._grad is None:
                    continue
                pa, g = p._data, p._grad._data
                if pa.dtype.kind == "c":
                    pa, g = _real(pa), _real(g)
                dt = pa.dtype.type
                b1, b2 = self._scratch_for(p, pa, 2)
                d = F.eff_grad(g, pa, maximize, weight_decay, b1, dt)
                if momentum != 0:
                    state = self.state[p]
                    buf = state.get("momentum_buffer")
                    if buf is None:
                        arr = d.copy()
                        buf = wrap(arr.view(p._data.dtype) if p._data.dtype.kind == "c" else arr)
                        state["momentum_buffer"] = buf
                        ba = _real(buf._data)
                    else:
                        ba = _real(buf._data)
                        F._mul(ba, dt(momentum), out=ba)
                        F.add_scaled_(ba, d, 1 - dampening, b2, dt)
                    if nesterov:
                        F._mul(ba, dt(momentum), out=b2)
                        F._add(d, b2, out=b2)
                        d = b2
                    else:
                        d = ba
                tmp = d if (d is b1 or d is b2) else b1
                F.add_scaled_(pa, d, -lr, tmp, dt)
                bump_version(p)
        return loss
