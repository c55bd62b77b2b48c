"""Activation functions and softmax: differentiable nodes on raw arrays, named like torch's grad_fns.

Piecewise-linear activations keep a raw derivative mask (its own derivative is zero, so double
backward stays exact); smooth ones write their backward with ember ops so ``create_graph=True`` works.
"""
import math

import numpy as np

from .. import _dtype
from .._device import xp_of as _xp
from ..autograd.graph import Node, STATE
from .._tensor import Tensor, wrap
from ._dispatch import apply
from ._util import wrap_dim, dtype_name

_SQRT2 = math.sqrt(2.0)
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946
_ONE_SIXTH_F = float(np.float32(1.0) / np.float32(6.0))




def _check_float(x, kernel):
    d = x._data.dtype
    if d.kind not in "fc" and d != _dtype.bfloat16.np:
        raise NotImplementedError(f'"{kernel}" not implemented for \'{dtype_name(d)}\'')


def _mask(m, like):
    """A boolean array as a constant tensor of like's dtype."""
    return wrap(m.astype(like._data.dtype))


def _sig(a):
    from .pointwise import _sigmoid
    if a.__class__ is np.ndarray:
        return _sigmoid(a)
    xp = _xp(a)
    return 1 / (1 + xp.exp(-a))


# -- softmax family -----------------------------------------------------------------------------

class SoftmaxBackward0(Node):
    __slots__ = ("dim",)
    SAVES_OUTPUT = True

    def forward(self, a, dim):
        self.dim = dim
        if a.ndim == 0:
            return np.ones_like(a) if a.__class__ is np.ndarray else a * 0 + 1
        e = a - a.max(axis=dim, keepdims=True)
        xp = _xp(a)
        xp.exp(e, out=e)
        e /= e.sum(axis=dim, keepdims=True)
        return e

    def backward(self, g):
        y = self.out
        if y.ndim == 0:
            return (g * 0,)
        return (y * (g - (g * y).sum(self.dim, keepdim=True)),)


class LogSoftmaxBackward0(Node):
    __slots__ = ("dim",)
    SAVES_OUTPUT = True

    def forward(self, a, dim):
        self.dim = dim
        if a.ndim == 0:
            return a * 0
        s = a - a.max(axis=dim, keepdims=True)
        xp = _xp(a)
        s -= xp.log(xp.exp(s).sum(axis=dim, keepdims=True))
        return s

    def backward(self, g):
        y = self.out
        if y.ndim == 0:
            return (g * 0,)
        return (g - y.exp() * g.sum(self.dim, keepdim=True),)


def _softmax_input(input, dim, dtype, kernel):
    x = input
    if dtype is not None:
        x = x.to(_dtype.to_dtype(dtype))
    if x._data.dtype.kind not in "fc" and x._data.dtype != _dtype.bfloat16.np:
        raise NotImplementedError(f'"{kernel}" not implemented for \'{dtype_name(x._data.dtype)}\'')
    return x, wrap_dim(dim, x._data.ndim)


def softmax(input, dim, dtype=None, *, _stacklevel=None):
    x, d = _softmax_input(input, dim, dtype, "softmax_lastdim_kernel_impl")
    return apply(SoftmaxBackward0, (x,), d)


def log_softmax(input, dim, dtype=None, *, _stacklevel=None):
    x, d = _softmax_input(input, dim, dtype, "log_softmax_lastdim_kernel_impl")
    return apply(LogSoftmaxBackward0, (x,), d)


# -- smooth pointwise activations ----------------------------------------------------------------

class GeluBackward0(Node):
    __slots__ = ("approximate", "cdf")
    SAVES_INPUTS = True

    def forward(self, a, approximate):
        self.approximate = approximate
        self.cdf = None
        xp = _xp(a)
        if approximate == "tanh":
            inner = a * a
            inner *= 0.044715
            inner += 1
            inner *= a
            inner *= _SQRT_2_OVER_PI
            t = xp.tanh(inner)
            t += 1
            t *= a
            t *= 0.5
            return t
        from ._special import erf
        c = erf(a * (1 / _SQRT2))
        c = c.astype(a.dtype, copy=True)
        c += 1
        c *= 0.5
        self.cdf = c  # kept for a first-order backward (erf is the expensive part)
        return c * a

    def backward(self, g):
        (x,) = self.inputs
        if self.cdf is not None and not STATE.grad_enabled:
            a = x._data
            d = a * a
            d *= -0.5
            xp = _xp(a)
            xp.exp(d, out=d)
            d *= _INV_SQRT_2PI
            d *= a
            d += self.cdf
            return (g * wrap(d),)
        if self.approximate == "tanh":
            x2 = x * x
            u = (x + x2 * x * 0.044715) * _SQRT_2_OVER_PI
            t = u.tanh()
            du = (x2 * (3 * 0.044715) + 1) * _SQRT_2_OVER_PI
            return (g * ((t + 1) * 0.5 + x * 0.5 * (1 - t * t) * du),)
        cdf = ((x * (1 / _SQRT2)).erf() + 1) * 0.5
        pdf = (x * x * -0.5).exp() * _INV_SQRT_2PI
        return (g * (cdf + x * pdf),)


def gelu(input, approximate="none"):
    if approximate not in ("none", "tanh"):
        raise RuntimeError("approximate argument must be either none or tanh.")
    _check_float(input, "GeluKernelImpl")
    return apply(GeluBackward0, (input,), approximate)


class SiluBackward0(Node):
    __slots__ = ()
    SAVES_INPUTS = True

    def forward(self, a):
        return a * _sig(a)

    def backward(self, g):
        (x,) = self.inputs
        s = x.sigmoid()
        return (g * (s * (1 + x * (1 - s))),)


def silu(input, inplace=False):
    _check_float(input, "silu")
    return _maybe_inplace(input, apply(SiluBackward0, (input,)), inplace)


def _softplus_raw(a, beta=1.0, threshold=20.0):
    xp = _xp(a)
    z = a * beta if beta != 1 else a
    out = xp.log1p(xp.exp(-xp.abs(z))) + xp.maximum(z, 0)
    if beta != 1:
        out /= beta
    return xp.where(z > threshold, a, out).astype(a.dtype, copy=False)


class MishBackward0(Node):
    __slots__ = ()
    SAVES_INPUTS = True

    def forward(self, a):
        return a * _xp(a).tanh(_softplus_raw(a))

    def backward(self, g):
        (x,) = self.inputs
        t = softplus(x).tanh()
        return (g * (t + x * x.sigmoid() * (1 - t * t)),)


def mish(input, inplace=False):
    _check_float(input, "mish")
    return _maybe_inplace(input, apply(MishBackward0, (input,)), inplace)


class EluBackward0(Node):
    """elu / selu: scale * (x if x > 0 else alpha * (exp(x * input_scale) - 1))."""
    __slots__ = ("alpha", "scale", "input_scale")
    SAVES_INPUTS = True

    def forward(self, a, alpha, scale, input_scale):
        self.alpha, self.scale, self.input_scale = alpha, scale, input_scale
        xp = _xp(a)
        neg = xp.expm1(a * input_scale if input_scale != 1 else a)
        neg *= alpha
        out = xp.where(a > 0, a, neg)
        if scale != 1:
            out *= scale
        return out

    def backward(self, g):
        (x,) = self.inputs
        pos = x._data > 0
        neg = (x * self.input_scale).exp() * (self.input_scale * self.scale * self.alpha)
        from .pointwise import where
        return (g * where(wrap(pos), neg * 0 + self.scale, neg),)


class CeluBackward0(EluBackward0):
    __slots__ = ()


def elu(input, alpha=1.0, inplace=False):
    _check_float(input, "elu")
    return _maybe_inplace(input, apply(EluBackward0, (input,), alpha, 1.0, 1.0), inplace)


def selu(input, inplace=False):
    _check_float(input, "elu")
    return _maybe_inplace(input, apply(EluBackward0, (input,), _SELU_ALPHA, _SELU_SCALE, 1.0), inplace)


def celu(input, alpha=1.0, inplace=False):
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError")
    _check_float(input, "elu")
    return _maybe_inplace(input, apply(CeluBackward0, (input,), alpha, 1.0, 1.0 / alpha), inplace)


class SoftplusBackward0(Node):
    __slots__ = ("beta", "threshold")
    SAVES_INPUTS = True

    def forward(self, a, beta, threshold):
        self.beta, self.threshold = beta, threshold
        return _softplus_raw(a, beta, threshold)

    def backward(self, g):
        (x,) = self.inputs
        over = wrap(x._data * self.beta > self.threshold)
        s = (x * self.beta).sigmoid()
        from .pointwise import where
        return (g * where(over, s * 0 + 1, s),)


def softplus(input, beta=1.0, threshold=20.0):
    _check_float(input, "softplus")
    return apply(SoftplusBackward0, (input,), beta, threshold)


class LogSigmoidBackward0(Node):
    __slots__ = ()
    SAVES_INPUTS = True

    def forward(self, a):
        xp = _xp(a)
        return (xp.minimum(a, 0) - xp.log1p(xp.exp(-xp.abs(a)))).astype(a.dtype, copy=False)

    def backward(self, g):
        (x,) = self.inputs
        return (g * (-x).sigmoid(),)


def logsigmoid(input):
    _check_float(input, "log_sigmoid_forward")
    return apply(LogSigmoidBackward0, (input,))


def softsign(input):
    return input / (input.abs() + 1)


def tanhshrink(input):
    return input - input.tanh()


# -- piecewise-linear activations (raw derivative masks) -------------------------------------------

class _MaskAct(Node):
    """out = f(a); d out / d a = self.d (a raw array, piecewise constant)."""
    __slots__ = ("d",)

    def backward(self, g):
        return (g * wrap(self.d),)


class LeakyReluBackward0(_MaskAct):
    __slots__ = ()

    def forward(self, a, slope):
        pos = a > 0
        self.d = _xp(a).where(pos, 1, slope).astype(a.dtype)
        return a * self.d


class HardtanhBackward0(_MaskAct):
    __slots__ = ()

    def forward(self, a, lo, hi):
        self.d = ((a > lo) & (a < hi)).astype(a.dtype)
        xp = _xp(a)
        return xp.minimum(xp.maximum(a, xp.asarray(lo, dtype=a.dtype)), xp.asarray(hi, dtype=a.dtype))


class HardswishBackward0(_MaskAct):
    __slots__ = ()
    SAVES_INPUTS = True

    def forward(self, a):
        xp = _xp(a)
        mid = (a >= -3) & (a <= 3)
        d = xp.where(a > 3, 1, 0).astype(a.dtype)
        d[mid] = (a[mid] / 3 + 0.5)
        d[a < -3] = 0
        self.d = d
        r = xp.minimum(xp.maximum(a + 3, 0), 6)
        r *= a
        r /= 6
        return r.astype(a.dtype, copy=False)

    def backward(self, g):
        if not STATE.grad_enabled:
            return (g * wrap(self.d),)
        # create_graph: d depends on x in the middle (x / 3 + 0.5), so keep that part differentiable
        (x,) = self.inputs
        from .pointwise import where
        mid = wrap((x._data >= -3) & (x._data <= 3))
        return (g * where(mid, x / 3 + 0.5, wrap(self.d)),)


class HardsigmoidBackward0(_MaskAct):
    __slots__ = ()

    def forward(self, a):
        xp = _xp(a)
        # torch's kernel multiplies by the float literal 1.0f / 6.0f, for every dtype
        self.d = ((a > -3) & (a < 3)).astype(a.dtype) * _ONE_SIXTH_F
        r = xp.minimum(xp.maximum(a + 3, 0), 6)
        r /= 6
        return r.astype(a.dtype, copy=False)


class HardshrinkBackward0(_MaskAct):
    __slots__ = ()

    def forward(self, a, lambd):
        m = (a > lambd) | (a < -lambd)
        self.d = m.astype(a.dtype)
        return a * self.d


class SoftshrinkBackward0(_MaskAct):
    __slots__ = ()

    def forward(self, a, lambd):
        xp = _xp(a)
        self.d = ((a > lambd) | (a < -lambd)).astype(a.dtype)
        return xp.where(a > lambd, a - lambd, xp.where(a < -lambd, a + lambd, 0)).astype(a.dtype, copy=False)


class ThresholdBackward0(_MaskAct):
    __slots__ = ()

    def forward(self, a, threshold, value):
        m = a > threshold
        self.d = m.astype(a.dtype)
        return _xp(a).where(m, a, _xp(a).asarray(value, dtype=a.dtype))


def leaky_relu(input, negative_slope=0.01, inplace=False):
    _check_float(input, "leaky_relu_cpu")
    return _maybe_inplace(input, apply(LeakyReluBackward0, (input,), negative_slope), inplace)


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    return _maybe_inplace(input, apply(HardtanhBackward0, (input,), min_val, max_val), inplace)


def relu6(input, inplace=False):
    return hardtanh(input, 0.0, 6.0, inplace)


def hardswish(input, inplace=False):
    _check_float(input, "hardswish_cpu")
    return _maybe_inplace(input, apply(HardswishBackward0, (input,)), inplace)


def hardsigmoid(input, inplace=False):
    _check_float(input, "hardsigmoid_cpu")
    return _maybe_inplace(input, apply(HardsigmoidBackward0, (input,)), inplace)


def hardshrink(input, lambd=0.5):
    return apply(HardshrinkBackward0, (input,), lambd)


def softshrink(input, lambd=0.5):
    if lambd < 0:
        raise RuntimeError(f"lambda must be greater or equal to 0, but found to be {lambd}.")
    return apply(SoftshrinkBackward0, (input,), lambd)


def threshold(input, threshold, value, inplace=False):
    return _maybe_inplace(input, apply(ThresholdBackward0, (input,), threshold, value), inplace)


# -- prelu, glu ---------------------------------------------------------------------------------

class PreluKernelBackward0(Node):
    __slots__ = ("wshape",)
    SAVES_INPUTS = True

    def forward(self, a, w):
        self.wshape = w.shape
        wb = _prelu_weight_shape(w, a.ndim)
        return _xp(a).where(a > 0, a, a * wb)

    def backward(self, g):
        x, w = self.inputs
        pos = wrap(x._data > 0)
        e = self.next_edges
        from .pointwise import where
        wb = w.reshape(_prelu_bshape(w._data, x.ndim))
        gx = where(pos, g, g * wb) if e[0] is not None else None
        gw = None
        if e[1] is not None:
            contrib = where(pos, g * 0, g * x)
            if w._data.size == 1:
                gw = contrib.sum().reshape(self.wshape)
            else:
                dims = tuple(i for i in range(x.ndim) if i != 1)
                gw = contrib.sum(dims).reshape(self.wshape) if dims else contrib.reshape(self.wshape)
        return gx, gw


def _prelu_bshape(w, ndim):
    if w.size == 1:
        return (1,) * ndim if ndim else ()
    return (1, w.size) + (1,) * (ndim - 2)


def _prelu_weight_shape(w, ndim):
    return w.reshape(_prelu_bshape(w, ndim))


def prelu(input, weight):
    n = weight._data.size
    if weight._data.ndim > 1:
        raise RuntimeError(f"prelu: Expected `weight` to be a scalar or 1D tensor, but got: ndim = "
                           f"{weight._data.ndim}")
    if n != 1:
        if input._data.ndim == 0:
            raise RuntimeError("Not allow zero-dim input tensor.")
        ch = input._data.shape[1] if input._data.ndim >= 2 else 1
        if n != ch:
            raise RuntimeError(f"Mismatch of parameter numbers and input channel size. Found parameter numbers "
                               f"= {n} and channel size = {ch}.")
    if weight._data.dtype != input._data.dtype:
        weight = weight.to(input.dtype)
    return apply(PreluKernelBackward0, (input, weight))


class GluBackward0(Node):
    __slots__ = ("dim",)
    SAVES_INPUTS = True

    def forward(self, a, dim):
        self.dim = dim
        h = a.shape[dim] // 2
        first = a[(slice(None),) * dim + (slice(0, h),)]
        second = a[(slice(None),) * dim + (slice(h, None),)]
        return first * _sig(second)

    def backward(self, g):
        (x,) = self.inputs
        a, b = x.chunk(2, self.dim)
        s = b.sigmoid()
        from .shape import cat
        return (cat([g * s, g * a * s * (1 - s)], self.dim),)


def glu(input, dim=-1):
    if input._data.ndim == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    d = wrap_dim(dim, input._data.ndim)
    if input._data.shape[d] % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {d} is size {input._data.shape[d]}")
    return apply(GluBackward0, (input,), d)


def _maybe_inplace(input, result, inplace):
    if not inplace:
        return result
    from ._dispatch import check_inplace_allowed, commit_inplace
    check_inplace_allowed(input)
    return commit_inplace(input, result)


# torch exposes only these at the top level; nn.functional has the rest
__all__ = "softmax log_softmax selu celu prelu hardshrink threshold".split()
TENSOR_METHODS = "softmax log_softmax prelu hardshrink"
INPLACE = ""
EXTRA_METHODS = {}
