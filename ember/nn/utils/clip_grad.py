"""Gradient clipping (in place on .grad)."""
import warnings

import numpy as np

from ..._tensor import Tensor, wrap
from ...autograd.grad_mode import no_grad

__all__ = ["clip_grad_norm_", "clip_grad_norm", "clip_grad_value_"]


def _grads(parameters):
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    return [p.grad for p in parameters if p.grad is not None]


def _xp(a):
    if a.__class__ is np.ndarray:
        return np
    from ..._device import xp_of
    return xp_of(a)


def _total_norm(grads, norm_type):
    """The norm of all gradients together, as a 0-d tensor (float32 unless the grads are wider)."""
    if norm_type == float("inf"):
        norms = [_xp(g._data).abs(g._data).max() if g._data.size else 0.0 for g in grads]
        total = max(float(n) for n in norms)
    else:
        total = 0.0
        for g in grads:
            a = g._data
            xp = _xp(a)
            if norm_type == 2:
                s = float(xp.vdot(a.ravel(), a.ravel()).real) if a.size else 0.0
            elif norm_type == 1:
                s = float(xp.abs(a).sum())
            elif norm_type == 0:
                s = float((a != 0).sum())
            else:
                s = float((xp.abs(a).astype(np.float64) ** norm_type).sum())
            total += s
        if norm_type == 0 or norm_type == 1:
            pass
        elif norm_type == 2:
            total = total ** 0.5
        else:
            total = total ** (1.0 / norm_type)
    return total


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    else:
        parameters = list(parameters)
    grads = [p.grad for p in parameters if p.grad is not None]
    max_norm = float(max_norm)
    norm_type = float(norm_type)
    dtype = grads[0]._data.dtype if grads else np.float32
    if len(grads) == 0:
        return wrap(np.asarray(0.0, dtype=np.float32))
    total = _total_norm(grads, norm_type)
    total_arr = np.asarray(total, dtype=np.result_type(*[g._data.dtype for g in grads]))
    if error_if_nonfinite and not np.isfinite(total):
        raise RuntimeError(f"The total norm of order {norm_type} for gradients from `parameters` is non-finite, "
                           "so it cannot be clipped. To disable this error and scale the gradients by the "
                           "non-finite norm anyway, set `error_if_nonfinite=False`")
    clip_coef = max_norm / (float(total_arr) + 1e-6)
    clip_coef_clamped = min(clip_coef, 1.0)
    with no_grad():
        from ...ops._dispatch import bump_version
        for g in grads:
            a = g._data
            a *= a.dtype.type(clip_coef_clamped)
            bump_version(g)
    out = total_arr
    if grads[0]._data.__class__ is not np.ndarray:
        out = _xp(grads[0]._data).asarray(out)
    return wrap(out)


def clip_grad_norm(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    warnings.warn("`torch.nn.utils.clip_grad_norm` is now deprecated in favor of `torch.nn.utils.clip_grad_norm_`.",
                  FutureWarning, stacklevel=2)
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite, foreach)


def clip_grad_value_(parameters, clip_value, foreach=None):
    clip_value = float(clip_value)
    with no_grad():
        from ...ops._dispatch import bump_version
        for g in _grads(parameters):
            a = g._data
            _xp(a).clip(a, -clip_value, clip_value, out=a)
            bump_version(g)
