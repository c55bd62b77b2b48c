"""Adam (torch.optim.Adam): amsgrad, weight_decay (L2 or decoupled), maximize."""
from .._tensor import Tensor
from ..ops._dispatch import bump_version
from .optimizer import Optimizer, _check_common, _init_state, _to_float, _real, _zeros_like
from . import _functional as F

__all__ = ["Adam"]


class Adam(Optimizer):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False, *,
                 foreach=None, maximize=False, capturable=False, differentiable=False, fused=None,
                 decoupled_weight_decay=False):
        if isinstance(lr, Tensor):
            if foreach and not capturable:
                raise ValueError("lr as a Tensor is not supported for capturable=False and foreach=True")
        _check_common(lr, betas, eps, weight_decay)
        if not ((isinstance(betas[0], float) and isinstance(betas[1], float))
                or (isinstance(betas[0], Tensor) and isinstance(betas[1], Tensor))):
            raise ValueError("betas must be either both floats or both Tensors")
        for i, b in enumerate(betas):
            if isinstance(b, Tensor):
                if not capturable and foreach:
                    raise ValueError(f"betas[{i}] as a Tensor is not supported for capturable=False and foreach=True")
                if b.numel() != 1:
                    raise ValueError(f"Tensor betas[{i}] must be 1-element")
        betas = tuple(b.squeeze() if isinstance(b, Tensor) and b.dim() != 0 else b for b in betas)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad, maximize=maximize,
                        foreach=foreach, capturable=capturable, differentiable=differentiable, fused=fused,
                        decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, defaults)
        if fused and foreach:
            raise RuntimeError("`fused` and `foreach` cannot be `True` together.")

    def _group_setdefaults(self):
        return dict(amsgrad=False, maximize=False, foreach=None, capturable=False, differentiable=False,
                    decoupled_weight_decay=False, fused=None)

    def step(self, closure=None):
        """Perform a single optimization step."""
        loss = self._closure(closure)
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            beta1, beta2 = _to_float(beta1), _to_float(beta2)
            lr = _to_float(group["lr"])
            weight_decay = group["weight_decay"]
            eps = group["eps"]
            amsgrad = group["amsgrad"]
            maximize = group["maximize"]
            decoupled = group["decoupled_weight_decay"]
            state_of = self.state
            for p in group["params"]:
                if p._grad is None:
                    continue
                state = state_of[p]
                if len(state) == 0:
                    _init_state(state, p, "exp_avg", "exp_avg_sq")
                    if amsgrad:
                        state["max_exp_avg_sq"] = _zeros_like(p)
                pa, g = p._data, p._grad._data
                m, v = state["exp_avg"]._data, state["exp_avg_sq"]._data
                if pa.dtype.kind == "c":
                    pa, g, m, v = _real(pa), _real(g), _real(m), _real(v)
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
                step_size = lr / bias_correction1
                bias_correction2_sqrt = bias_correction2 ** 0.5

                if amsgrad:
                    vmax = _real(state["max_exp_avg_sq"]._data)
                    F.np.maximum(vmax, v, out=vmax)
                    v = vmax
                F.np.sqrt(v, out=b2)
                F._div(b2, dt(bias_correction2_sqrt), out=b2)
                F._add(b2, dt(eps), out=b2)
                F.addcdiv_(pa, m, b2, -step_size, b1, dt)
                bump_version(p)
        return loss
