"""Normalization ops: batch_norm, layer_norm, group_norm, instance_norm, rms_norm, local_response_norm.

batch/layer/group norm share one fused node shape: the input is viewed as a "stat view" whose
``axes`` are reduced to a mean and an inverse std (biased variance), the normalized values are
scaled and shifted by an optional per-feature weight and bias, all on raw arrays in one forward.
The backward is written with ember ops, so ``create_graph=True`` works: when grad mode is on during
backward the statistics are recomputed from the input as ember ops (so the double backward sees
their dependence on x); otherwise the forward's saved mean / inverse std are used directly.

The ``torch.*`` functions live in ``__all__``; the ``torch.nn.functional`` flavours (with their
Python-side argument checks) are the ``F_*`` functions, re-exported by ``ember.nn.functional``.
"""
import math
import numbers

import numpy as np

from .. import _dtype
from ..autograd.graph import Node, STATE
from .._tensor import wrap
from ._dispatch import apply, bump_version
from ._util import dtype_name

__all__ = ["batch_norm", "layer_norm", "group_norm", "instance_norm", "rms_norm", "native_batch_norm",
           "native_layer_norm"]
TENSOR_METHODS = ""
INPLACE = ""

_bf16 = _dtype.bfloat16.np


def _xp(a):
    if a.__class__ is np.ndarray:
        return np
    from .._device import xp_of
    return xp_of(a)


def _acc(a):
    """The dtype the statistics are computed in (half types compute in float32)."""
    return np.dtype(np.float32) if a.dtype == np.float16 or a.dtype == _bf16 else a.dtype


def _check_float(x, kernel):
    d = x._data.dtype
    if d.kind not in "fc" and d != _bf16:
        raise NotImplementedError(f'"{kernel}" not implemented for \'{dtype_name(d)}\'')


def _list_str(shape):
    return "[" + ", ".join(str(int(s)) for s in shape) + "]"


def _size_repr(shape):
    return f"torch.Size({_list_str(shape)})"


def _rmean(a, axes):
    """Mean over axes with keepdims; a reduction over the last axis runs as an einsum (several times faster
    than NumPy's pairwise reduction over short rows)."""
    if axes == (a.ndim - 1,) and a.dtype.kind == "f" and a.shape[-1] > 0:
        d = a.shape[-1]
        r = _xp(a).einsum("ij->i", a.reshape(-1, d))
        r *= a.dtype.type(1.0 / d)
        return r.reshape(a.shape[:-1] + (1,))
    return a.mean(axis=axes, keepdims=True)


# -- the shared fused node --------------------------------------------------------------------------

class _AffineNorm(Node):
    """Normalize a stat view over ``axes``, then an optional per-feature affine.

    forward(x, [weight], [bias], cfg); cfg = (has_w, has_b, stat_shape, axes, wshape, waxes, eps, fixed, sink):
    ``fixed`` is None for batch statistics or (mean, invstd) arrays for fixed (running) ones; ``sink``
    (a list or None) receives (mean, biased var, invstd) for the caller's running-stat update.
    """
    __slots__ = ("has_w", "has_b", "stat_shape", "axes", "wshape", "waxes", "eps", "mean", "invstd",
                 "batch_stats", "x_shape")
    SAVES_INPUTS = True

    def forward(self, *args):
        x = args[0]
        has_w, has_b, stat_shape, axes, wshape, waxes, eps, fixed, sink = args[-1]
        w = args[1] if has_w else None
        b = args[1 + has_w] if has_b else None
        self.has_w, self.has_b, self.stat_shape, self.axes = has_w, has_b, stat_shape, axes
        self.wshape, self.waxes, self.eps, self.x_shape = wshape, waxes, eps, x.shape
        xp = _xp(x)
        acc = _acc(x)
        xs = x.reshape(stat_shape)
        if xs.dtype != acc:
            xs = xs.astype(acc)
        var = None
        if fixed is None:
            self.batch_stats = True
            if xs.size:
                mean = _rmean(xs, axes)
                xc = xs - mean
                var = _rmean(xc * xc, axes)
            else:
                kshape = tuple(1 if i in axes else s for i, s in enumerate(stat_shape))
                mean = xp.full(kshape, np.nan, dtype=acc)
                var = mean.copy()
                xc = xs.copy()
            invstd = 1 / xp.sqrt(var + acc.type(eps))
            xc *= invstd
        else:
            self.batch_stats = False
            mean = fixed[0].astype(acc, copy=False)
            invstd = fixed[1].astype(acc, copy=False)
            xc = xs - mean
            xc *= invstd
        self.mean, self.invstd = mean, invstd
        if sink is not None:
            sink.extend((mean, var, invstd))
        y = xc.reshape(x.shape)
        if w is not None:
            w = w.reshape(wshape)
            if w.dtype == y.dtype:
                y *= w
            else:
                y = y * w
        if b is not None:
            b = b.reshape(wshape)
            if b.dtype == y.dtype:
                y += b
            else:
                y = y + b
        if y.dtype != x.dtype:
            y = y.astype(x.dtype)
        return y

    def backward(self, g):
        return _affine_norm_backward(self, g)


def _sum_axes(t, axes):
    return t.sum(axes) if axes else t


def _cast(t, like):
    return t if t._data.dtype == like._data.dtype else t.to(like.dtype)


def _raw_backward(node, g, x, w, b, need_x, need_w, need_b):
    """The same formulas on raw arrays (no graph needed: create_graph=False)."""
    stat_shape, axes, x_shape, waxes = node.stat_shape, node.axes, node.x_shape, node.waxes
    acc = node.invstd.dtype
    xs = x._data.reshape(stat_shape)
    xhat = xs - node.mean
    if xhat.dtype != acc:
        xhat = xhat.astype(acc)
    xhat *= node.invstd
    ga = g._data if g._data.dtype == acc else g._data.astype(acc)
    gx = gw = gb = None
    if need_w:
        gw = (ga * xhat.reshape(x_shape))
        gw = wrap(gw.sum(axis=waxes).astype(w._data.dtype, copy=False) if waxes else
                  gw.astype(w._data.dtype, copy=False))
    if need_b:
        gb = wrap(ga.sum(axis=waxes).astype(b._data.dtype, copy=False) if waxes else
                  ga.astype(b._data.dtype, copy=True))
    if need_x:
        gxs = (ga * w._data.reshape(node.wshape) if w is not None else ga).reshape(stat_shape)
        if node.batch_stats:
            m1 = _rmean(gxs, axes)
            m2 = _rmean(gxs * xhat, axes)
            r = gxs - m1
            xhat *= m2
            r -= xhat
            r *= node.invstd
        else:
            r = gxs * node.invstd
        gx = wrap(r.reshape(x_shape).astype(x._data.dtype, copy=False))
    out = [gx]
    if node.has_w:
        out.append(gw)
    if node.has_b:
        out.append(gb)
    return tuple(out)


def _affine_norm_backward(node, g):
    inputs = node.inputs
    x = inputs[0]
    w = inputs[1] if node.has_w else None
    b = inputs[1 + node.has_w] if node.has_b else None
    edges = node.next_edges
    need_x = edges[0] is not None
    need_w = node.has_w and edges[1] is not None
    need_b = node.has_b and edges[1 + node.has_w] is not None
    if not STATE.grad_enabled and not g._requires_grad:
        return _raw_backward(node, g, x, w, b, need_x, need_w, need_b)
    stat_shape, axes, x_shape = node.stat_shape, node.axes, node.x_shape
    acc = _dtype._from_np[node.invstd.dtype]
    xs = x.reshape(stat_shape)
    if xs._data.dtype != node.invstd.dtype:
        xs = xs.to(acc)
    if g._data.dtype != node.invstd.dtype:
        g = g.to(acc)
    if node.batch_stats and STATE.grad_enabled:
        # create_graph: the statistics as ember ops of x, so the double backward sees their dependence on x
        mean = xs.mean(axes, keepdim=True)
        xc = xs - mean
        invstd = ((xc * xc).mean(axes, keepdim=True) + node.eps).rsqrt()
    else:
        xc = xs - wrap(node.mean)
        invstd = wrap(node.invstd)
    xhat = xc * invstd
    gx = gw = gb = None
    if need_w:
        gw = _cast(_sum_axes(g * xhat.reshape(x_shape), node.waxes), w)
    if need_b:
        gb = _cast(_sum_axes(g, node.waxes), b)
    if need_x:
        gxh = g * w.reshape(node.wshape) if w is not None else g
        gxs = gxh.reshape(stat_shape)
        if node.batch_stats:
            gx = invstd * (gxs - gxs.mean(axes, keepdim=True) - xhat * (gxs * xhat).mean(axes, keepdim=True))
        else:
            gx = gxs * invstd
        gx = _cast(gx.reshape(x_shape), x)
    out = [gx]
    if node.has_w:
        out.append(gw)
    if node.has_b:
        out.append(gb)
    return tuple(out)


class NativeBatchNormBackward0(_AffineNorm):
    __slots__ = ()


class NativeLayerNormBackward0(_AffineNorm):
    __slots__ = ()


class NativeGroupNormBackward0(_AffineNorm):
    __slots__ = ()


def _inputs(x, weight, bias):
    ins = [x]
    if weight is not None:
        ins.append(weight)
    if bias is not None:
        ins.append(bias)
    return tuple(ins)


def _norm(cls, x, weight, bias, stat_shape, axes, wshape, waxes, eps, fixed=None):
    """Run the fused node; returns (out, mean, var, invstd) raw stats (var None for fixed stats)."""
    sink = []
    cfg = (weight is not None, bias is not None, stat_shape, axes, wshape, waxes, float(eps), fixed, sink)
    out = apply(cls, _inputs(x, weight, bias), cfg)
    return out, sink[0], sink[1], sink[2]


# -- batch_norm ----------------------------------------------------------------------------------------

def _check_numel(name, t, c):
    if t is not None and t._data.size != c:
        raise RuntimeError(f"{name} should contain {c} elements not {t._data.size}")


def _batch_norm_impl(input, weight, bias, running_mean, running_var, training, momentum, eps):
    _check_float(input, "batch_norm")
    shape = input._data.shape
    nd = len(shape)
    if nd < 2:
        from ._util import wrap_dim
        wrap_dim(1, nd)  # torch's IndexError
    c = shape[1]
    if not training:
        if running_mean is None:
            raise RuntimeError("running_mean must be defined in evaluation mode")
        if running_var is None:
            raise RuntimeError("running_var must be defined in evaluation mode")
    _check_numel("running_mean", running_mean, c)
    _check_numel("running_var", running_var, c)
    _check_numel("weight", weight, c)
    _check_numel("bias", bias, c)
    n_, s = shape[0], math.prod(shape[2:])
    stat_shape = (n_, c, s)
    wshape = (1, c) + (1,) * (nd - 2)
    waxes = (0,) + tuple(range(2, nd))
    if not training:
        rm, rv = running_mean._data, running_var._data
        xp = _xp(rv)
        acc = _acc(input._data)
        invstd = 1 / xp.sqrt(rv.astype(acc, copy=False) + acc.type(eps))
        fixed = (rm.reshape(1, c, 1), invstd.reshape(1, c, 1))
        out, mean, _, invstd = _norm(NativeBatchNormBackward0, input, weight, bias, stat_shape, (0, 2), wshape,
                                     waxes, eps, fixed)
        return out, wrap(xp.empty(0, dtype=acc)), wrap(xp.empty(0, dtype=acc))
    out, mean, var, invstd = _norm(NativeBatchNormBackward0, input, weight, bias, stat_shape, (0, 2), wshape,
                                   waxes, eps)
    if running_mean is not None or running_var is not None:
        n = n_ * s
        m = 0.0 if momentum is None else float(momentum)
        if running_mean is not None:
            rm = running_mean._data
            rm *= (1 - m)
            rm += (mean.reshape(c) * m).astype(rm.dtype, copy=False)  # torch's kernel: no version bump
        if running_var is not None:
            rv = running_var._data
            unbiased = var.reshape(c) * (n / (n - 1)) if n > 1 else var.reshape(c) * np.inf
            rv *= (1 - m)
            rv += (unbiased * m).astype(rv.dtype, copy=False)
    return out, wrap(mean.reshape(c)), wrap(invstd.reshape(c))


def batch_norm(input, weight, bias, running_mean, running_var, training, momentum, eps, cudnn_enabled=True):
    return _batch_norm_impl(input, weight, bias, running_mean, running_var, training, momentum, eps)[0]


def native_batch_norm(input, weight, bias, running_mean, running_var, training, momentum, eps):
    return _batch_norm_impl(input, weight, bias, running_mean, running_var, training, momentum, eps)


def _verify_batch_size(size, as_list=False):
    size_prods = size[0]
    for i in range(len(size) - 2):
        size_prods *= size[i + 2]
    if size_prods == 1:
        shown = _list_str(size) if as_list else _size_repr(size)
        raise ValueError(f"Expected more than 1 value per channel when training, got input size {shown}")


def F_batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1,
                 eps=1e-5):
    if training:
        _verify_batch_size(tuple(input._data.shape))
    if training and eps <= 0.0:
        raise ValueError(f"batch_norm eps must be positive during training, but got {eps}")
    elif eps < 0.0:
        raise ValueError(f"batch_norm eps must be non-negative, but got {eps}")
    if (running_mean is None) != (running_var is None):
        raise ValueError("running_mean and running_var must either both be None or neither be None")
    return batch_norm(input, weight, bias, running_mean, running_var, training, momentum, eps)


# -- layer_norm -----------------------------------------------------------------------------------------

def _norm_shape(normalized_shape):
    if isinstance(normalized_shape, numbers.Integral):
        return (int(normalized_shape),)
    return tuple(int(s) for s in normalized_shape)


def _check_layer_norm(input, ns, weight, bias, sep=", "):
    if len(ns) == 0:
        raise RuntimeError("Expected normalized_shape to be at least 1-dimensional, i.e., containing at least one "
                           "element, but got normalized_shape = []")
    if weight is not None and tuple(weight._data.shape) != ns:
        raise RuntimeError(f"Expected weight to be of same shape as normalized_shape, but got weight of shape "
                           f"{_list_str(weight._data.shape)} and normalized_shape = {_list_str(ns)}")
    if bias is not None and tuple(bias._data.shape) != ns:
        raise RuntimeError(f"Expected bias to be of same shape as normalized_shape, but got bias of shape "
                           f"{_list_str(bias._data.shape)} and normalized_shape = {_list_str(ns)}")
    shape = tuple(input._data.shape)
    k = len(ns)
    if len(shape) < k or shape[len(shape) - k:] != ns:
        exp = "[*" + sep + ", ".join(str(s) for s in ns) + "]"
        raise RuntimeError(f"Given normalized_shape={_list_str(ns)}, expected input with shape {exp}, but got "
                           f"input of size{_list_str(shape)}")


def _layer_norm_impl(input, normalized_shape, weight, bias, eps):
    ns = _norm_shape(normalized_shape)
    _check_layer_norm(input, ns, weight, bias)
    _check_float(input, "LayerNormKernelImpl")
    shape = input._data.shape
    k = len(ns)
    lead = shape[:len(shape) - k]
    stat_shape = (math.prod(lead), math.prod(ns))
    out, mean, _, invstd = _norm(NativeLayerNormBackward0, input, weight, bias, stat_shape, (1,), ns,
                                 tuple(range(len(lead))), eps)
    kshape = lead + (1,) * k
    return out, wrap(mean.reshape(kshape)), wrap(invstd.reshape(kshape))


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5, cudnn_enable=True):
    return _layer_norm_impl(input, normalized_shape, weight, bias, eps)[0]


def native_layer_norm(input, normalized_shape, weight, bias, eps):
    return _layer_norm_impl(input, normalized_shape, weight, bias, eps)


F_layer_norm = layer_norm


# -- group_norm -----------------------------------------------------------------------------------------

def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5, cudnn_enabled=True):
    shape = tuple(input._data.shape)
    nd = len(shape)
    if nd < 2:
        from ._util import wrap_dim
        wrap_dim(1, nd)
    n, c = shape[0], shape[1]
    if num_groups <= 0 or c % num_groups != 0:
        raise RuntimeError(f"Expected number of channels in input to be divisible by num_groups, but got input of "
                           f"shape {_list_str(shape)} and num_groups={num_groups}")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and (t._data.ndim != 1 or t._data.size != c):
            raise RuntimeError(f"Expected {name} to be a vector of size equal to the number of channels in input, "
                               f"but got {name} of shape {_list_str(t._data.shape)} and input of shape "
                               f"{_list_str(shape)}")
    _check_float(input, "GroupNormKernelImpl")
    g = num_groups
    stat_shape = (n, g, (c // g) * math.prod(shape[2:]))
    wshape = (1, c) + (1,) * (nd - 2)
    waxes = (0,) + tuple(range(2, nd))
    return _norm(NativeGroupNormBackward0, input, weight, bias, stat_shape, (2,), wshape, waxes, eps)[0]


def F_group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    if input._data.ndim < 2:
        raise RuntimeError(f"Expected at least 2 dimensions for input tensor but received {input._data.ndim}")
    shape = tuple(input._data.shape)
    _verify_batch_size([shape[0] * shape[1] // num_groups, num_groups] + list(shape[2:]), as_list=True)
    return group_norm(input, num_groups, weight, bias, eps)


# -- instance_norm ----------------------------------------------------------------------------------

def instance_norm(input, weight, bias, running_mean, running_var, use_input_stats, momentum, eps,
                  cudnn_enabled=True):
    shape = tuple(input._data.shape)
    if len(shape) < 2:
        from ._util import wrap_dim
        wrap_dim(1, len(shape))
    b, c = shape[0], shape[1]
    x = input.reshape((1, b * c) + shape[2:])
    w = weight.repeat(b) if weight is not None else None
    bb = bias.repeat(b) if bias is not None else None
    rm = running_mean.repeat(b) if running_mean is not None else None
    rv = running_var.repeat(b) if running_var is not None else None
    out = batch_norm(x, w, bb, rm, rv, use_input_stats, momentum, eps)
    if running_mean is not None:
        running_mean._data[...] = rm._data.reshape(b, c).mean(axis=0).astype(running_mean._data.dtype, copy=False)
        bump_version(running_mean)
    if running_var is not None:
        running_var._data[...] = rv._data.reshape(b, c).mean(axis=0).astype(running_var._data.dtype, copy=False)
        bump_version(running_var)
    return out.view(shape)


def F_instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None, use_input_stats=True,
                    momentum=0.1, eps=1e-5):
    if use_input_stats:
        shape = tuple(input._data.shape)
        size_prods = 1
        for i in range(2, len(shape)):
            size_prods *= shape[i]
        if size_prods == 1:
            raise ValueError(f"Expected more than 1 spatial element when training, got input size "
                             f"{_size_repr(shape)}")
    return instance_norm(input, weight, bias, running_mean, running_var, use_input_stats, momentum, eps)


# -- rms_norm (composite, as torch's CPU kernel) ------------------------------------------------------

def rms_norm(input, normalized_shape, weight=None, eps=None):
    ns = _norm_shape(normalized_shape)
    _check_layer_norm(input, ns, weight, None, sep="")
    _check_float(input, "rms_norm")
    nd = input._data.ndim
    dims = tuple(range(nd - len(ns), nd))
    x = input
    d = input._data.dtype
    up = d == np.float16 or d == _bf16
    if up:
        x = input.float()
    if eps is None:
        eps = float(np.finfo(x._data.dtype).eps)
    r = (x.pow(2).mean(dims, keepdim=True) + eps).rsqrt()
    out = x.mul(r)
    if up:
        out = out.to(input.dtype)
    if weight is not None:
        out = out.mul(weight)
    return out


F_rms_norm = rms_norm


# -- local_response_norm (composite, as torch.nn.functional) -----------------------------------------

def F_local_response_norm(input, size, alpha=1e-4, beta=0.75, k=1.0):
    from .shape import cat
    nd = input._data.ndim
    if nd < 3:
        raise ValueError(f"Expected 3D or higher dimensionality                          input (got {nd} dimensions)")
    if input._data.size == 0:
        return input
    sq = input.mul(input)
    shape = tuple(input._data.shape)
    c = shape[1]
    before, after = size // 2, (size - 1) // 2
    parts = []
    if before:
        parts.append(sq.new_zeros((shape[0], before) + shape[2:]))
    parts.append(sq)
    if after:
        parts.append(sq.new_zeros((shape[0], after) + shape[2:]))
    padded = cat(parts, 1) if len(parts) > 1 else sq
    total = padded.narrow(1, 0, c)
    for i in range(1, size):
        if i + c <= padded._data.shape[1]:
            total = total + padded.narrow(1, i, c)
        else:  # window runs past the padding: only the part that exists contributes
            avail = padded._data.shape[1] - i
            if avail <= 0:
                break
            tail = padded.narrow(1, i, avail)
            total = total + cat([tail, sq.new_zeros((shape[0], c - avail) + shape[2:])], 1)
    div = (total / size).mul(alpha).add(k).pow(beta)
    return input / div


for _f, _n in ((F_batch_norm, "batch_norm"), (F_group_norm, "group_norm"), (F_instance_norm, "instance_norm"),
               (F_local_response_norm, "local_response_norm")):
    _f.__name__ = _f.__qualname__ = _n
del _f, _n
