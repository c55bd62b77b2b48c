"""Raw-array update kernels shared by the optimizers.

Each helper mirrors one torch tensor op of the single-tensor optimizer code,
with the same order of floating-point operations: Python scalars are cast to
the array's dtype first (torch's opmath scalar), and every result is written
in place with ``out=`` into the state arrays or a reusable scratch array.
Array methods and ufuncs are used, so the same code runs on NumPy and CuPy.
"""
import numpy as np

_mul = np.multiply
_add = np.add
_sub = np.subtract
_div = np.divide


def eff_grad(g, p, maximize, weight_decay, buf, dt):
    """``grad = -grad if maximize``; ``grad = grad.add(param, alpha=weight_decay)`` (into buf when needed)."""
    if weight_decay != 0:
        _mul(p, dt(weight_decay), out=buf)
        if maximize:
            _sub(buf, g, out=buf)
        else:
            _add(buf, g, out=buf)
        return buf
    if maximize:
        np.negative(g, out=buf)
        return buf
    return g


def decayed_grad(g, p, maximize, weight_decay, decoupled, lr, buf, dt):
    """``eff_grad`` with the decay decoupled when asked for (AdamW's ``param.mul_(1 - lr * weight_decay)``,
    then the plain gradient) and added to the gradient (L2) otherwise."""
    if weight_decay != 0 and decoupled:
        _mul(p, dt(1 - lr * weight_decay), out=p)
        return eff_grad(g, p, maximize, 0, buf, dt)
    return eff_grad(g, p, maximize, weight_decay, buf, dt)


def lerp_(start, end, weight, tmp, dt):
    """``start.lerp_(end, weight)`` with a scalar weight (torch's two-sided formula)."""
    w = dt(weight)
    _sub(end, start, out=tmp)
    if abs(w) < 0.5:
        _mul(tmp, w, out=tmp)
        _add(start, tmp, out=start)
    else:
        _mul(tmp, w - dt(1), out=tmp)
        _add(end, tmp, out=start)


def mul_addcmul_sq_(v, beta, g, value, tmp, dt):
    """``v.mul_(beta).addcmul_(g, g, value=value)``."""
    _mul(v, dt(beta), out=v)
    _mul(g, dt(value), out=tmp)
    _mul(tmp, g, out=tmp)
    _add(v, tmp, out=v)


def addcdiv_(p, t1, t2, value, tmp, dt):
    """``p.addcdiv_(t1, t2, value=value)``: p + (value * t1) / t2 (tmp may be t1)."""
    _mul(t1, dt(value), out=tmp)
    _div(tmp, t2, out=tmp)
    _add(p, tmp, out=p)


def add_scaled_(p, t, alpha, tmp, dt):
    """``p.add_(t, alpha=alpha)`` (tmp may be t)."""
    if alpha == 1:
        _add(p, t, out=p)
    elif alpha == -1:
        _sub(p, t, out=p)
    else:
        _mul(t, dt(alpha), out=tmp)
        _add(p, tmp, out=p)
