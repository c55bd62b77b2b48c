"""Assorted torch ops that fill gaps in the namespace: statistics (bincount, histc, cov, corrcoef,
quantile), distances (dist, cdist), integration (trapezoid), special functions (lgamma, digamma,
polygamma, mvlgamma, i0, logit), number-theory and float helpers (gcd, lcm, ldexp, nextafter,
copysign, heaviside), logcumsumexp, renorm, complex views (real, imag, conj, angle), shape helpers
(ravel, hsplit, ...) and tensor housekeeping (resize_, apply_, share_memory_, ...), plus the
runtime switches torch keeps at top level (deterministic algorithms, thread count, compile).

The gamma-family kernels are vectorised NumPy (no SciPy): lgamma by Taylor series around 1 and 2
(Riemann zeta coefficients) with the recurrence, Stirling's series for x >= 10 and the reflection
formula for x < 0 (about 1e-15 relative in float64); digamma, trigamma and the Hurwitz zeta behind
polygamma follow the exact algorithms torch uses (Cephes), so they agree with torch to rounding,
including its conventions at poles and infinities.
"""
import math
import os
import weakref

import numpy as np

from .. import _dtype
from .._device import xp_of as _xp, on_host
from ..autograd.graph import Node, STATE
from .._tensor import Tensor, wrap
from ._dispatch import apply, check_inplace_allowed, commit_inplace, bump_version
from ._util import wrap_dim, sum_to, const, dtype_name, shape_str, broadcast_shapes
from .views import SqueezeBackward0, SliceBackward0

_bf16 = _dtype.bfloat16.np




def _is_float_np(dt):
    return dt.kind in "fc" or dt == _bf16


def _float_dtype_of(t):
    """The dtype a float-valued op gives for t: its own if floating, else the default dtype."""
    return t.dtype if _is_float_np(t._data.dtype) else _dtype.get_default_dtype()


def _to_float_array(a):
    return a if _is_float_np(a.dtype) else a.astype(_dtype.get_default_dtype().np)


def _f64(a):
    return a.astype(np.float64) if a.dtype != np.float64 else a


def _tensor(value, like=None, dtype=None):
    from .creation import tensor
    return tensor(value, dtype=dtype, device=None if like is None else like.device)


# =====================================================================================
# special-function kernels (float64 arrays in, float64 arrays out)
# =====================================================================================

def _zeta_py(s, n=12):
    """Riemann zeta(s) for s >= 2 by Euler-Maclaurin (Python floats, used for constants)."""
    b2 = (1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6)
    total = math.fsum(k ** -s for k in range(1, n))
    total += n ** (1 - s) / (s - 1) + 0.5 * n ** -s
    rising = s
    for j, b in enumerate(b2, start=1):
        total += b / math.factorial(2 * j) * rising * n ** (-s - 2 * j + 1)
        rising *= (s + 2 * j - 1) * (s + 2 * j)
    return total


_EULER = 0.57721566490153286061
# lgamma(1 + e) = -gamma * e + sum_{k>=2} (-1)^k zeta(k) / k * e^k, for |e| <= 0.5
_LG_COEF = [(-1) ** k * _zeta_py(k) / k for k in range(2, 62)]
_HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)
# Stirling: lgamma(z) = (z - 1/2) log z - z + log(2 pi)/2 + sum B_2k / (2k (2k-1) z^(2k-1))
_STIRLING = (1 / 12, -1 / 360, 1 / 1260, -1 / 1680, 1 / 1188, -691 / 360360, 1 / 156, -3617 / 122400)


def _lgamma1p_series(e):
    r = np.full_like(e, _LG_COEF[-1])
    for c in reversed(_LG_COEF[:-1]):
        r *= e
        r += c
    r *= e
    r -= _EULER
    r *= e
    return r


def _lgamma_pos(x):
    """lgamma for x > 0 (flat float64, may hold +inf)."""
    out = np.empty_like(x)
    big = x >= 10.0
    if big.any():
        z = x[big]
        with np.errstate(invalid="ignore", over="ignore"):
            iz = 1.0 / z
            iz2 = iz * iz
            s = np.full_like(z, _STIRLING[-1])
            for c in reversed(_STIRLING[:-1]):
                s *= iz2
                s += c
            s *= iz
            r = (z - 0.5) * np.log(z) - z + _HALF_LOG_2PI + s
        out[big] = np.where(np.isinf(z), np.inf, r)
    small = x < 0.5
    if small.any():
        xs = x[small]
        out[small] = _lgamma1p_series(xs) - np.log(xs)
    m1 = (x >= 0.5) & (x < 1.5)
    if m1.any():
        out[m1] = _lgamma1p_series(x[m1] - 1.0)
    m2 = (x >= 1.5) & (x < 10.0)
    if m2.any():
        xm = x[m2]
        m = np.floor(xm - 1.5)
        y = xm - m
        e = y - 2.0
        r = _lgamma1p_series(e) + np.log1p(e)
        prod = np.ones_like(xm)
        for k in range(1, 9):
            prod *= np.where(m >= k, xm - k, 1.0)
        out[m2] = r + np.log(prod)
    return out


def _sinpi_abs(x):
    r = x - np.round(x)
    return np.abs(np.sin(np.pi * r))


def lgamma_kernel(a):
    x = _f64(a).reshape(-1)
    out = np.empty_like(x)
    pos = x > 0
    if pos.all():
        return _lgamma_pos(x).reshape(a.shape)
    if pos.any():
        out[pos] = _lgamma_pos(x[pos])
    neg = ~pos & ~np.isnan(x)
    if neg.any():
        xn = x[neg]
        pole = (xn == np.floor(xn)) | np.isinf(xn)
        xs = np.where(pole, -0.5, xn)
        with np.errstate(divide="ignore"):
            r = np.log(np.pi / _sinpi_abs(xs)) - _lgamma_pos(1.0 - xs)
        out[neg] = np.where(pole, np.inf, r)
    nan = np.isnan(x)
    if nan.any():
        out[nan] = np.nan
    return out.reshape(a.shape)


_PSI_10 = 2.25175258906672110764
_PSI_A = (8.33333333333333333333E-2, -2.10927960927960927961E-2, 7.57575757575757575758E-3,
          -4.16666666666666666667E-3, 3.96825396825396825397E-3, -8.33333333333333333333E-3,
          8.33333333333333333333E-2)


def _digamma_pos(x):
    """torch's calc_digamma for x > 0 (flat float64): push x above 10, then the asymptotic series."""
    x = x.copy()
    result = np.zeros_like(x)
    while True:
        m = x < 10
        if not m.any():
            break
        result[m] -= 1 / x[m]
        x[m] += 1
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        z = 1.0 / (x * x)
        y = np.full_like(x, _PSI_A[0])
        for c in _PSI_A[1:]:
            y = y * z + c
        y = np.where(x < 1.0e17, z * y, 0.0)
        r = result + np.log(x) - 0.5 / x - y
    return np.where(x == 10, result + _PSI_10, r)


def digamma_kernel(a):
    x = _f64(a).reshape(-1)
    out = np.full_like(x, np.nan)
    pos = x > 0
    if pos.any():
        out[pos] = _digamma_pos(x[pos])
    zero = x == 0
    if zero.any():
        out[zero] = np.copysign(np.inf, -x[zero])
    neg = (x < 0) & (x != np.trunc(x))
    if neg.any():
        xn = x[neg]
        r = xn - np.trunc(xn)
        out[neg] = _digamma_pos(1 - xn) - np.pi / np.tan(np.pi * r)
    return out.reshape(a.shape)


def trigamma_kernel(a):
    """torch's calc_trigamma: reflection below 1/2, six recurrence steps, a short asymptotic series."""
    x = _f64(a).reshape(-1)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        refl = x < 0.5
        sign = np.where(refl, -1.0, 1.0)
        s = np.sin(np.pi * x)
        result = np.where(refl, -(np.pi * np.pi) / (s * s), 0.0)
        x = np.where(refl, 1 - x, x)
        for _ in range(6):
            result = result + 1 / (x * x)
            x = x + 1
        ixx = 1 / (x * x)
        result = result + (1 + 1 / (2 * x) + ixx * (1. / 6 - ixx * (1. / 30 - ixx * (1. / 42)))) / x
        out = sign * result
    return out.reshape(a.shape)


_ZETA_A = (12.0, -720.0, 30240.0, -1209600.0, 47900160.0, -1.8924375803183791606e9, 7.47242496e10,
           -2.950130727918164224e12, 1.1646782814350067249e14, -4.5979787224074726105e15,
           1.8152105401943546773e17, -7.1661652561756670113e18)
_MACHEP = 1.11022302462515654042E-16


def zeta_kernel(s, q):
    """Hurwitz zeta(s, q) for a scalar integer s > 1 and a float64 array q: torch's (Cephes') zeta."""
    q = _f64(q).reshape(-1)
    out = np.empty_like(q)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        bad = q <= 0
        pole = bad & (q == np.floor(q))
        ssum = np.power(q, -s)
        a = q.copy()
        done = pole.copy()
        out[pole] = np.inf
        i = 0
        b = np.zeros_like(q)
        active = ~done
        while True:
            loop = active & ((i < 9) | (a <= 9.0))
            if not loop.any():
                break
            i += 1
            a = np.where(loop, a + 1.0, a)
            b = np.where(loop, np.power(a, -s), b)
            ssum = np.where(loop, ssum + b, ssum)
            conv = loop & (-_MACHEP * ssum < b) & (b < _MACHEP * ssum)
            if conv.any():
                out[conv] = ssum[conv]
                active &= ~conv
        w = a
        ssum = ssum + b * w / (s - 1.0)
        ssum = ssum - 0.5 * b
        aa = 1.0
        k = 0.0
        for j in range(12):
            aa *= s + k
            b = b / w
            t = aa * b / _ZETA_A[j]
            ssum = ssum + t
            conv = active & (np.abs(t / ssum) < _MACHEP)
            if conv.any():
                out[conv] = ssum[conv]
                active &= ~conv
            k += 1.0
            aa *= s + k
            b = b / w
            k += 1.0
        out[active] = ssum[active]
    return out


def polygamma_kernel(n, a):
    if n == 0:
        return digamma_kernel(a)
    if n == 1:
        return trigamma_kernel(a)
    z = zeta_kernel(float(n + 1), a).reshape(a.shape)
    return ((1.0 if n % 2 else -1.0) * math.exp(math.lgamma(n + 1.0))) * z


def i1_kernel(a):
    """Modified Bessel function I1 (the derivative of I0): power series for |x| <= 30, the
    Hankel asymptotic series beyond."""
    x = _f64(a).reshape(-1)
    ax = np.abs(x)
    out = np.empty_like(x)
    small = ax <= 30.0
    if small.any():
        xs = ax[small]
        h = xs * 0.5
        h2 = h * h
        term = h.copy()
        total = h.copy()
        for k in range(1, 80):
            term = term * h2 / (k * (k + 1))
            total += term
        out[small] = total
    big = ~small
    if big.any():
        xb = ax[big]
        with np.errstate(over="ignore", invalid="ignore"):
            total = np.ones_like(xb)
            term = np.ones_like(xb)
            for k in range(1, 25):
                term = term * -(4.0 - (2 * k - 1) ** 2) / (k * 8.0 * xb)
                total += term
            # alternating in sign: (-1)^k * prod (mu - (2j-1)^2) / (k! (8x)^k), mu = 4
            out[big] = np.exp(xb) / np.sqrt(2 * np.pi * xb) * total
    return (np.sign(x) * out).reshape(a.shape)


def _float_result(fn, a):
    """Run a float64 kernel on a (integers -> default dtype) and cast back to a's float dtype."""
    a = _to_float_array(a)
    r = fn(a)
    return r.astype(a.dtype, copy=False) if r.dtype != a.dtype else r


def _on_cpu(a, fn):
    """Kernels written against NumPy: CuPy arrays go through the host (these ops are rarely hot)."""
    if a.__class__ is np.ndarray:
        return fn(a)
    xp = _xp(a)
    return xp.asarray(fn(xp.asnumpy(a)))


# =====================================================================================
# pointwise special functions
# =====================================================================================

class _UnaryF(Node):
    """A float-valued unary op; ``kernel`` runs on a float64 NumPy array."""
    __slots__ = ()
    SAVES_INPUTS = True
    kernel = None

    def forward(self, a):
        return _on_cpu(a, lambda arr: _float_result(type(self).kernel, arr))


class LgammaBackward0(_UnaryF):
    __slots__ = ()
    kernel = staticmethod(lgamma_kernel)

    def backward(self, g):
        return (g * digamma(self.inputs[0]),)


class DigammaBackward0(_UnaryF):
    __slots__ = ()
    kernel = staticmethod(digamma_kernel)

    def backward(self, g):
        return (g * polygamma(1, self.inputs[0]),)


class I0Backward0(_UnaryF):
    __slots__ = ()
    kernel = staticmethod(np.i0)

    def backward(self, g):
        return (g * special_i1(self.inputs[0]),)


class SpecialI1Backward0(_UnaryF):
    __slots__ = ()
    kernel = staticmethod(i1_kernel)

    def backward(self, g):  # I1' = I0 - I1 / x  (-> 1/2 at 0)
        x = self.inputs[0]
        ratio = special_i1(x) / x
        ratio = ratio.masked_fill(x == 0, 0.5)
        return (g * (i0(x) - ratio),)


class PolygammaBackward0(Node):
    __slots__ = ("n",)
    SAVES_INPUTS = True

    def forward(self, a, n):
        self.n = n
        return _on_cpu(a, lambda arr: _float_result(lambda v: polygamma_kernel(n, v), arr))

    def backward(self, g):
        return (g * polygamma(self.n + 1, self.inputs[0]),)


class MvlgammaBackward0(Node):
    __slots__ = ("p",)
    SAVES_INPUTS = True

    def forward(self, a, p):
        self.p = p

        def k(arr):
            shifts = -np.arange(p, dtype=np.float64) / 2.0
            x = _f64(arr)[..., None] + shifts
            return lgamma_kernel(x).sum(-1) + p * (p - 1) * math.log(math.pi) / 4
        return _on_cpu(a, lambda arr: _float_result(k, arr))

    def backward(self, g):
        x = self.inputs[0]
        shifts = _tensor([-i / 2.0 for i in range(self.p)], like=x, dtype=x.dtype)
        return (g * digamma(x.unsqueeze(-1) + shifts).sum(-1),)


class SpecialEntrBackward0(Node):
    __slots__ = ()
    SAVES_INPUTS = True

    def forward(self, a):
        a = _to_float_array(a)
        xp = _xp(a)
        with np.errstate(divide="ignore", invalid="ignore"):
            r = -a * xp.log(xp.where(a > 0, a, 1))
        r = xp.where(a < 0, -np.inf, xp.where(a == 0, 0.0, r))
        return xp.where(xp.isnan(a), a, r).astype(a.dtype, copy=False)

    def backward(self, g):
        x = self.inputs[0]
        return (g * -(x.log() + 1),)


def lgamma(input, *, out=None):
    return _out(apply(LgammaBackward0, (input,)), out)


def digamma(input, *, out=None):
    return _out(apply(DigammaBackward0, (input,)), out)


def polygamma(n, input, *, out=None):
    if isinstance(n, Tensor):
        raise TypeError("polygamma(): argument 'n' (position 1) must be int, not Tensor")
    if n < 0:
        raise RuntimeError("polygamma(n, x) does not support negative n.")
    return _out(apply(PolygammaBackward0, (input,), int(n)), out)


def _polygamma_method(self, n):
    return polygamma(n, self)


def _polygamma_inplace(self, n):
    check_inplace_allowed(self)
    return commit_inplace(self, polygamma(n, self))


def mvlgamma(input, p):
    if p < 1:
        raise RuntimeError("p has to be greater than or equal to 1")
    return apply(MvlgammaBackward0, (input,), int(p))


def i0(input, *, out=None):
    return _out(apply(I0Backward0, (input,)), out)


def special_i1(input, *, out=None):
    return _out(apply(SpecialI1Backward0, (input,)), out)


class LogitBackward0(Node):
    __slots__ = ("eps",)
    SAVES_INPUTS = True

    def forward(self, a, eps):
        self.eps = eps
        a = _to_float_array(a)
        if eps is not None:
            a = a.clip(a.dtype.type(eps), a.dtype.type(1 - eps))
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.log(a / (1 - a))

    def backward(self, g):
        x = self.inputs[0]
        if x._data.dtype != g._data.dtype:
            x = x.to(g.dtype)
        r = g / (x * (1 - x))
        if self.eps is None:
            bad = (x < 0).logical_or(x > 1)
            return (r.masked_fill(bad, float("nan")),)
        bad = (x < self.eps).logical_or(x > 1 - self.eps)
        return (r.masked_fill(bad, 0.0),)


def logit(input, eps=None, *, out=None):
    return _out(apply(LogitBackward0, (input,), None if eps is None else float(eps)), out)


# =====================================================================================
# binary pointwise helpers
# =====================================================================================

def _promote_pair(a, b):
    from .pointwise import _promote
    if not isinstance(a, Tensor):
        b, a = _promote(b, a)
        return a, b
    return _promote(a, b)


class _NonDiff2(Node):
    __slots__ = ()
    DIFFERENTIABLE = False
    fn = None

    def forward(self, a, b):
        try:
            return type(self).fn(a, b)
        except ValueError:
            broadcast_shapes(a.shape, b.shape)
            raise


class GcdBackward0(_NonDiff2):
    __slots__ = ()
    fn = staticmethod(np.gcd)


class LcmBackward0(_NonDiff2):
    __slots__ = ()
    fn = staticmethod(np.lcm)


class NextafterBackward0(_NonDiff2):
    __slots__ = ()
    fn = staticmethod(np.nextafter)


class HeavisideBackward0(_NonDiff2):
    __slots__ = ()

    @staticmethod
    def fn(a, b):
        xp = _xp(a)
        return xp.where(a == 0, b, (a > 0).astype(a.dtype)).astype(a.dtype, copy=False)


def _int_only(name, a):
    if a._data.dtype.kind not in "iub" or a._data.dtype == np.bool_:
        raise NotImplementedError(f'"{name}_cpu" not implemented for \'{dtype_name(a._data.dtype)}\'')


def gcd(input, other, *, out=None):
    a, b = _promote_pair(input, other)
    _int_only("gcd", a)
    return _out(apply(GcdBackward0, (a, b)), out)


def lcm(input, other, *, out=None):
    a, b = _promote_pair(input, other)
    _int_only("lcm", a)
    return _out(apply(LcmBackward0, (a, b)), out)


def nextafter(input, other, *, out=None):
    a, b = _promote_pair(input, other)
    if not _is_float_np(a._data.dtype) or a._data.dtype.kind == "c":
        raise NotImplementedError(f'"nextafter_cpu" not implemented for \'{dtype_name(a._data.dtype)}\'')
    return _out(apply(NextafterBackward0, (a, b)), out)


def heaviside(input, values, *, out=None):
    if isinstance(values, Tensor) and values._data.dtype != input._data.dtype:
        raise RuntimeError("heaviside is not yet implemented for tensors with different dtypes.")
    if input._data.dtype.kind == "c":
        raise RuntimeError("heaviside is not yet implemented for complex tensors.")
    a, b = _promote_pair(input, values)
    return _out(apply(HeavisideBackward0, (a, b)), out)


class CopysignBackward0(Node):
    __slots__ = ("sa", "sb")
    SAVES_INPUTS = True
    SAVES_OUTPUT = True

    def forward(self, a, b):
        self.sa, self.sb = a.shape, b.shape
        return np.copysign(a, b)

    def backward(self, g):
        a, _ = self.inputs
        e = self.next_edges
        ga = gb = None
        if e[0] is not None:
            ratio = (self.out / a).masked_fill(a == 0, 0.0)
            ga = sum_to(g * ratio, self.sa)
        if e[1] is not None:
            gb = sum_to(g * 0, self.sb)
        return ga, gb


def copysign(input, other, *, out=None):
    a, b = _promote_pair(input, other)
    if not _is_float_np(a._data.dtype):
        d = _dtype.get_default_dtype()
        a, b = a.to(d), b.to(d)
    return _out(apply(CopysignBackward0, (a, b)), out)


class LdexpBackward0(Node):
    __slots__ = ("sa", "sb")
    SAVES_INPUTS = True

    def forward(self, a, b):
        self.sa, self.sb = a.shape, b.shape
        return a * np.exp2(b.astype(a.dtype, copy=False))

    def backward(self, g):
        a, b = self.inputs
        p2 = exp2_of(b, g.dtype)
        e = self.next_edges
        ga = sum_to(g * p2, self.sa) if e[0] is not None else None
        gb = sum_to(g * a * p2 * math.log(2.0), self.sb) if e[1] is not None else None
        return ga, gb


def exp2_of(b, dtype):
    return (b if b.dtype is dtype else b.to(dtype)).exp2()


def ldexp(input, other, *, out=None):
    # torch: input * pow(2., other); the power is float (default dtype for integer exponents)
    if not isinstance(other, Tensor):
        other = _tensor(other, like=input)
    pdt = other.dtype if _is_float_np(other._data.dtype) else _dtype.get_default_dtype()
    rd = _dtype.promote_types(input.dtype, pdt)
    a = input if input.dtype is rd else input.to(rd)
    return _out(apply(LdexpBackward0, (a, other)), out)


# =====================================================================================
# complex helpers
# =====================================================================================

class AngleBackward0(Node):
    __slots__ = ()
    SAVES_INPUTS = True

    def forward(self, a):
        xp = _xp(a)
        if a.dtype.kind == "c":
            return xp.angle(a)
        a = _to_float_array(a)
        r = xp.where(a < 0, xp.asarray(np.pi, dtype=a.dtype), xp.zeros((), dtype=a.dtype))
        return xp.where(xp.isnan(a), a, r).astype(a.dtype, copy=False)

    def backward(self, g):
        x = self.inputs[0]
        if not x.is_complex():
            return (g * 0,)
        r = (g / x.abs().pow(2)) * (x * 1j)
        return (r.masked_fill(x == 0, 0),)


def angle(input, *, out=None):
    return _out(apply(AngleBackward0, (input,)), out)


class RealBackward0(Node):
    __slots__ = ()
    VIEW = True

    def forward(self, a):
        return a.real

    def backward(self, g):
        return (g.to(_dtype.complex128 if g.dtype is _dtype.float64 else _dtype.complex64),)


class ImagBackward0(Node):
    __slots__ = ()
    VIEW = True

    def forward(self, a):
        return a.imag

    def backward(self, g):
        return (g.to(_dtype.complex128 if g.dtype is _dtype.float64 else _dtype.complex64) * 1j,)


class ConjBackward0(Node):
    __slots__ = ()

    def forward(self, a):
        return a.conj()

    def backward(self, g):
        return (conj(g),)


def real(input):
    if not input.is_complex():
        return input
    return apply(RealBackward0, (input,))


def imag(input):
    if not input.is_complex():
        raise RuntimeError("imag is not implemented for tensors with non-complex dtypes.")
    return apply(ImagBackward0, (input,))


def conj(input):
    if not input.is_complex():
        return input
    return apply(ConjBackward0, (input,))


def conj_physical(input, *, out=None):
    if not input.is_complex():
        return _out(input.clone(), out)
    return _out(apply(ConjBackward0, (input,)), out)


def resolve_conj(input):
    return input


def resolve_neg(input):
    return input


def is_conj(input):
    return False


def is_neg(input):
    return False


def isreal(input):
    if not input.is_complex():
        from .creation import ones_like
        return ones_like(input, dtype=_dtype.bool_)
    return imag(input).detach() == 0


# =====================================================================================
# counting and histograms
# =====================================================================================

def bincount(input, weights=None, minlength=0):
    a = input._data
    if a.dtype.kind not in "iu" or a.dtype == np.bool_:
        if a.dtype == np.bool_:
            pass
        else:
            raise NotImplementedError(f'"bincount_cpu" not implemented for \'{dtype_name(a.dtype)}\'')
    if minlength < 0:
        raise RuntimeError("minlength should be >= 0")
    if a.ndim != 1 or (a.size and a.min() < 0):
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    xp = _xp(a)
    if weights is not None:
        w = weights._data
        if w.ndim != 1 or w.shape[0] != a.shape[0]:
            raise RuntimeError("weights should be 1-d and have the same length as input")
        out_dt = np.float32 if w.dtype == np.float32 else np.float64
        if a.size == 0:
            return wrap(xp.zeros(int(minlength), dtype=out_dt))
        r = xp.bincount(a.astype(np.int64, copy=False), weights=w.astype(np.float64, copy=False),
                        minlength=int(minlength))
        return wrap(r.astype(out_dt, copy=False))
    if a.size == 0:
        return wrap(xp.zeros(int(minlength), dtype=np.int64))
    return wrap(xp.bincount(a.astype(np.int64, copy=False), minlength=int(minlength)).astype(np.int64, copy=False))


def histc(input, bins=100, min=0, max=0, *, out=None):
    a = input._data
    if not _is_float_np(a.dtype) or a.dtype.kind == "c":
        raise NotImplementedError(f'"histogram_cpu" not implemented for \'{dtype_name(a.dtype)}\'')
    if bins <= 0:
        raise RuntimeError(f"torch.histogram(): bins must be > 0, but got {bins} for dimension 0")
    xp = _xp(a)
    lo, hi = float(min), float(max)
    if lo == hi and a.size:
        lo, hi = float(a.min()), float(a.max())
    if lo == hi:
        lo -= 1
        hi += 1
    if lo > hi:
        raise RuntimeError("torch.histc: max must be larger than min")
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise RuntimeError(f"torch.histc: range of [{lo:g}, {hi:g}] is not finite")
    flat = a.reshape(-1)
    keep = (flat >= lo) & (flat <= hi)
    v = flat[keep].astype(np.float64)
    dt = a.dtype
    lo_t, hi_t = float(dt.type(lo)), float(dt.type(hi))  # the bounds as a's dtype rounds them
    pos = ((v - lo_t) * bins / (hi_t - lo_t)).astype(np.int64)
    pos = xp.minimum(pos, bins - 1)
    counts = xp.bincount(pos, minlength=bins)[:bins]
    return _out(wrap(counts.astype(dt)), out)


def isin(elements, test_elements, *, assume_unique=False, invert=False):
    like = elements if isinstance(elements, Tensor) else test_elements
    e = elements._data if isinstance(elements, Tensor) else np.asarray(elements)
    t = test_elements._data if isinstance(test_elements, Tensor) else np.asarray(test_elements)
    xp = _xp(like._data)
    if xp is not np:
        e, t = xp.asarray(e), xp.asarray(t)
    return wrap(xp.isin(e, t, invert=invert))


# =====================================================================================
# statistics
# =====================================================================================

def diff(input, n=1, dim=-1, prepend=None, append=None):
    if input.ndim < 1:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    if n < 0:
        raise RuntimeError(f"order must be non-negative but got {n}")
    d = wrap_dim(dim, input.ndim)
    parts = []
    for extra in (prepend, append):
        if extra is None:
            continue
        if not isinstance(extra, Tensor):
            extra = _tensor(extra, like=input)
        if extra.ndim == 0:
            shape = list(input.shape)
            shape[d] = 1
            extra = extra.expand(*shape)
        if extra.ndim != input.ndim:
            raise RuntimeError("diff expects prepend or append to be the same dimension as input")
        for i in range(input.ndim):
            if i != d and extra.shape[i] != input.shape[i]:
                raise RuntimeError(
                    "diff expects the shape of tensor to prepend or append to match that of input except along "
                    f"the differencing dimension; input.size({i}) = {input.shape[i]}, but got tensor.size({i}) = "
                    f"{extra.shape[i]}")
    x = input
    if prepend is not None or append is not None:
        from .shape import cat
        seq = []
        if prepend is not None:
            seq.append(prepend if isinstance(prepend, Tensor) and prepend.ndim else
                       _tensor(prepend, like=input).expand(*[1 if i == d else s for i, s in enumerate(input.shape)]))
        seq.append(input)
        if append is not None:
            seq.append(append if isinstance(append, Tensor) and append.ndim else
                       _tensor(append, like=input).expand(*[1 if i == d else s for i, s in enumerate(input.shape)]))
        x = cat(seq, d)
    for _ in range(n):
        m = x.shape[d]
        if m == 0:
            break
        hi, lo = x.narrow(d, 1, m - 1), x.narrow(d, 0, m - 1)
        x = hi.logical_xor(lo) if x._data.dtype == np.bool_ else hi - lo
    return x


def cov(input, *, correction=1, fweights=None, aweights=None):
    if input.ndim > 2:
        raise RuntimeError("cov(): expected input to have two or fewer dimensions but got an input with "
                           f"{input.ndim} dimensions")
    if input._data.dtype == np.bool_:
        raise RuntimeError("cov(): bool dtype is not supported for input")
    x = input.reshape(1, -1) if input.ndim < 2 else input
    nobs = x.shape[1]
    w = None
    if fweights is not None:
        w = fweights
        if w.ndim > 1:
            raise RuntimeError("cov(): expected fweights to have one or fewer dimensions but got fweights with "
                               f"{w.ndim} dimensions")
        if w._data.dtype.kind not in "iu":
            raise RuntimeError("cov(): expected fweights to have integral dtype but got fweights with "
                               f"{dtype_name(w._data.dtype)} dtype")
        if w.numel() != nobs:
            raise RuntimeError("cov(): expected fweights to have the same numel as there are observations in the "
                               f"input but got {w.numel()} != {nobs}")
        if nobs and w._data.min() < 0:
            raise RuntimeError("cov(): fweights cannot be negative")
    if aweights is not None:
        aw = aweights
        if aw.ndim > 1:
            raise RuntimeError("cov(): expected aweights to have one or fewer dimensions but got aweights with "
                               f"{aw.ndim} dimensions")
        if not _is_float_np(aw._data.dtype) or aw._data.dtype.kind == "c":
            raise RuntimeError("cov(): expected aweights to have floating point dtype but got aweights with "
                               f"{dtype_name(aw._data.dtype)} dtype")
        if aw.numel() != nobs:
            raise RuntimeError("cov(): expected aweights to have the same numel as there are observations in the "
                               f"input but got {aw.numel()} != {nobs}")
        if nobs and aw._data.min() < 0:
            raise RuntimeError("cov(): aweights cannot be negative")
        w = aw if w is None else w * aw
    if w is not None:
        w_sum = w.sum()
        if not bool(w_sum._data != 0):
            raise RuntimeError("cov(): weights sum to zero, can't be normalized")
    else:
        w_sum = _tensor(nobs, like=input, dtype=_dtype.int64)
    avg = (x * w if w is not None else x).sum(1) / w_sum
    if w is not None and aweights is not None and correction != 0:
        norm_factor = w_sum - (w * aweights).sum() * correction / w_sum
    else:
        norm_factor = w_sum - correction
    if bool(norm_factor._data <= 0):
        import warnings
        warnings.warn("cov(): degrees of freedom is <= 0. Correction should be strictly less than the number "
                      "of observations.")
        norm_factor = norm_factor * 0
    xc = x - avg.unsqueeze(1)
    c = xc.mm(conj((xc * w if w is not None else xc).t()))
    return c.true_divide(norm_factor).squeeze()


def corrcoef(input):
    if input.ndim > 2:
        raise RuntimeError("corrcoef(): expected input to have two or fewer dimensions but got an input with "
                           f"{input.ndim} dimensions")
    c = cov(input)
    if c.ndim == 0:
        return c / c
    d = c.diagonal()
    stddev = (real(d) if d.is_complex() else d).sqrt()
    c = c / stddev.view(-1, 1)
    c = c / stddev.view(1, -1)
    return c.clip(-1, 1)


# -- quantile -------------------------------------------------------------------------------

class SqueezeBackward4(SqueezeBackward0):
    """squeeze_(dims) (torch's in-place squeeze at the end of quantile)."""
    __slots__ = ()


_INTERPOLATIONS = ("linear", "lower", "higher", "midpoint", "nearest")


def _quantile(name, input, q, dim, keepdim, interpolation, ignore_nan):
    if input.numel() == 0:
        raise RuntimeError(f"{name}() input tensor must be non-empty")
    if input._data.dtype not in (np.float32, np.float64):
        raise RuntimeError(f"{name}() input tensor must be either float or double dtype")
    scalar_q = not isinstance(q, Tensor)
    if scalar_q:
        if not 0 <= q <= 1:
            raise RuntimeError(f"{name}() q must be in the range [0, 1] but got {q}")
        qt = _tensor([float(q)], like=input, dtype=input.dtype)
    else:
        if q.ndim > 1:
            raise RuntimeError(f"{name}() q must be a scalar or 1D tensor")
        if q._data.dtype != input._data.dtype:
            raise RuntimeError(f"{name}() q tensor must be same dtype as the input tensor")
        if q.numel() and ((q._data < 0).any() or (q._data > 1).any()):
            raise RuntimeError(f"{name}() q values must be in the range [0, 1]")
        scalar_q = q.ndim == 0
        qt = q.detach().reshape(-1)
    if interpolation not in _INTERPOLATIONS:
        raise RuntimeError(f"{name}() interpolation must be one of linear, lower, higher, midpoint or nearest, "
                           f"but got {interpolation}")
    if dim is None:
        srt = input.flatten().sort().values
        other = (1,) * input.ndim if keepdim else ()
    else:
        d = wrap_dim(dim, input.ndim)
        shape = list(input.shape)
        if input.ndim == 0:
            srt = input.reshape(1)
            other = ()
        else:
            srt = input.movedim(d, -1).sort(-1).values
            if keepdim:
                shape[d] = 1
            else:
                del shape[d]
            other = tuple(shape)
    n = srt.shape[-1]
    s2 = srt.reshape(-1, n)
    nq = qt.shape[0]
    rows = s2.shape[0]
    isnan = s2.isnan()
    if ignore_nan:
        valid = isnan.logical_not().sum(-1, keepdim=True)
        ranks = qt.unsqueeze(0) * (valid - 1).to(input.dtype)
        ranks = ranks.masked_fill(ranks < 0, 0)
    else:
        ranks = (qt * (n - 1)).unsqueeze(0).expand(rows, nq)
        ranks = ranks.masked_fill(isnan.any(-1, keepdim=True), n - 1)
    if interpolation == "lower":
        ranks = ranks.floor()
    elif interpolation == "higher":
        ranks = ranks.ceil()
    elif interpolation == "nearest":
        ranks = ranks.round()
    below = ranks.long()
    vals = s2.gather(-1, below)
    if interpolation in ("linear", "midpoint"):
        weights = ranks - below if interpolation == "linear" else ranks * 0 + 0.5
        above = ranks.ceil().long()
        vals = vals.lerp(s2.gather(-1, above), weights)
    vals = vals.reshape(*other, nq)
    if not scalar_q:
        vals = vals.movedim(-1, 0).unsqueeze(-1)
    return apply(SqueezeBackward4, (vals,), (vals.ndim - 1,))


def quantile(input, q, dim=None, keepdim=False, *, interpolation="linear", out=None):
    return _out(_quantile("quantile", input, q, dim, keepdim, interpolation, False), out)


def nanquantile(input, q, dim=None, keepdim=False, *, interpolation="linear", out=None):
    return _out(_quantile("quantile", input, q, dim, keepdim, interpolation, True), out)  # torch's messages say quantile()


# -- integration ------------------------------------------------------------------------------

def _trap_dx(y, x, d):
    if x.ndim == 1:
        if x.shape[0] != y.shape[d]:
            raise RuntimeError("trapezoid: There must be one `x` value for each sample point")
        sizes = [1] * y.ndim
        sizes[d] = x.shape[0]
        xv = x.view(*sizes)
    elif x.ndim < y.ndim:
        xv = x.view(*((1,) * (y.ndim - x.ndim) + tuple(x.shape)))
    else:
        xv = x
    m = xv.shape[d]
    return xv.narrow(d, 1, m - 1) - xv.narrow(d, 0, m - 1)


def _zeros_reduced(y, d):
    from .creation import zeros
    shape = [s for i, s in enumerate(y.shape) if i != d]
    dt = y.dtype if _is_float_np(y._data.dtype) else _dtype.get_default_dtype()
    return zeros(shape, dtype=dt, device=y.device)


def trapezoid(y, x=None, *, dx=None, dim=-1):
    if x is not None and not isinstance(x, Tensor):
        dx, x = x, None
    d = wrap_dim(dim, y.ndim)
    n = y.shape[d]
    if x is not None:
        if n == 0:
            return _zeros_reduced(y, d)
        dxt = _trap_dx(y, x, d)
        left, right = y.narrow(d, 0, n - 1), y.narrow(d, 1, n - 1)
        return (dxt * (left + right)).sum(d) / 2.
    if dx is None:
        dx = 1
    if n == 0:
        return _zeros_reduced(y, d)
    return (y.sum(d) - (y.select(d, 0) + y.select(d, -1)) * 0.5) * dx


def trapz(y, x=None, *, dx=None, dim=-1):
    return trapezoid(y, x, dx=dx, dim=dim)


def cumulative_trapezoid(y, x=None, *, dx=None, dim=-1):
    if x is not None and not isinstance(x, Tensor):
        dx, x = x, None
    d = wrap_dim(dim, y.ndim)
    n = y.shape[d]
    if n == 0:
        return y.narrow(d, 0, 0) * 1.0
    left, right = y.narrow(d, 0, n - 1), y.narrow(d, 1, n - 1)
    if x is not None:
        dxt = _trap_dx(y, x, d)
        return (dxt * (left + right)).cumsum(d) / 2.
    if dx is None:
        dx = 1
    return ((left + right) * (dx / 2.)).cumsum(d)


def vander(x, N=None, increasing=False):
    if x.ndim != 1:
        raise RuntimeError("x must be a one-dimensional tensor.")
    if N is None:
        N = x.shape[0]
    if N < 0:
        raise RuntimeError("N must be non-negative.")
    from .creation import ones
    from .shape import cat
    dt = _dtype.promote_types(x.dtype, _dtype.int64)
    n = x.shape[0]
    if N == 0:
        res = ones((n, 0), dtype=dt, device=x.device)
    else:
        first = ones((n, 1), dtype=dt, device=x.device)
        if N > 1:
            xs = x if x.dtype is dt else x.to(dt)
            res = cat([first, xs.unsqueeze(1).expand(n, N - 1).cumprod(1)], 1)
        else:
            res = first
    return res if increasing else res.flip(1)


# -- norms and distances ------------------------------------------------------------------------

def _pnorm_np(d, p, axis):
    """The p-norm of a float array along axis (torch's conventions for p = 0, inf, -inf)."""
    xp = _xp(d)
    ad = xp.abs(d)
    if p == 0:
        return (ad != 0).sum(axis=axis).astype(ad.dtype)
    if p == math.inf:
        if ad.dtype.kind != "f":
            return ad.max(axis=axis)
        if xp is np:
            return ad.max(axis=axis, initial=0)
        return ad.max(axis=axis) if ad.size else ad.sum(axis=axis)  # CuPy's max takes no initial
    if p == -math.inf:
        return ad.min(axis=axis) if (ad.shape[axis] if isinstance(axis, int) else ad.size) else ad.sum(axis=axis)
    if p == 1:
        return ad.sum(axis=axis)
    if p == 2:
        return xp.sqrt((ad * ad).sum(axis=axis))
    return (ad ** ad.dtype.type(p)).sum(axis=axis) ** ad.dtype.type(1.0 / p)


def _norm_grad(g, x, n, p, dims):
    """d(p-norm of x over dims)/dx * g, with n the norm and g broadcastable (torch's norm_backward)."""
    if p == 0:
        return x * 0
    if p == 1:
        return x.sign() * g
    if p == 2:
        return g * (x / n).masked_fill(n == 0, 0)
    if math.isinf(p):
        mask = (x.abs() == n).to(x.dtype)
        scaled = x.sign() * mask
        return scaled / mask.sum(dims, keepdim=True) * g
    if p < 1:
        scaled = (x.sign() * x.abs().pow(p - 1)).masked_fill(x == 0, 0)
        return scaled * g * n.pow(1 - p)
    if p < 2:
        scaled = x.sign() * x.abs().pow(p - 1)
    else:
        scaled = x * x.abs().pow(p - 2)
    scale = (g / n.pow(p - 1)).masked_fill(n == 0, 0)
    return scaled * scale


class DistBackward0(Node):
    __slots__ = ("p", "sa", "sb")
    SAVES_INPUTS = True
    SAVES_OUTPUT = True

    def forward(self, a, b, p):
        self.p, self.sa, self.sb = p, a.shape, b.shape
        try:
            d = a - b
        except ValueError:
            broadcast_shapes(a.shape, b.shape)
            raise
        return _pnorm_np(d, p, None).astype(a.dtype, copy=False)

    def backward(self, g):
        a, b = self.inputs
        d = a - b
        dims = tuple(range(d.ndim))
        gd = _norm_grad(g, d, self.out, self.p, dims)
        e = self.next_edges
        return (sum_to(gd, self.sa) if e[0] is not None else None,
                sum_to(-gd, self.sb) if e[1] is not None else None)


def dist(input, other, p=2):
    a, b = _promote_pair(input, other)
    if not _is_float_np(a._data.dtype):
        raise RuntimeError(f"linalg.vector_norm: Expected a floating point or complex tensor as input. "
                           f"Got {dtype_name(a._data.dtype)}")
    return apply(DistBackward0, (a, b), float(p))


class CdistBackward0(Node):
    __slots__ = ("p", "s1", "s2")
    SAVES_INPUTS = True
    SAVES_OUTPUT = True

    def forward(self, x1, x2, p, batch):
        self.p, self.s1, self.s2 = p, x1.shape, x2.shape
        xp = _xp(x1)
        a = xp.broadcast_to(x1, batch + x1.shape[-2:])
        b = xp.broadcast_to(x2, batch + x2.shape[-2:])
        d = a[..., :, None, :] - b[..., None, :, :]
        if d.shape[-1] == 0:
            return xp.zeros(d.shape[:-1], dtype=x1.dtype)
        return _pnorm_np(d, p, -1).astype(x1.dtype, copy=False)

    def backward(self, g):
        x1, x2 = self.inputs
        p = self.p
        diff = x1.unsqueeze(-2) - x2.unsqueeze(-3)
        dist_ = self.out.unsqueeze(-1)
        G = g.unsqueeze(-1)
        if p == 0:
            T = diff * 0
        elif p == 1:
            T = G * diff.sign()
        elif math.isinf(p):
            T = G * diff.sign() * (diff.abs() == dist_).to(diff.dtype)
        elif p == 2:
            T = (G * diff / dist_).masked_fill(dist_ == 0, 0)
        elif p < 2:
            T = G * diff.sign() * diff.abs().pow(p - 1) / dist_.pow(p - 1)
            bad = (dist_ == 0).logical_or((diff == 0).logical_and(_tensor(p < 1, like=g)))
            T = T.masked_fill(bad, 0)
        else:
            T = (G * diff * diff.abs().pow(p - 2) / dist_.pow(p - 1)).masked_fill(dist_ == 0, 0)
        e = self.next_edges
        return (sum_to(T.sum(-2), self.s1) if e[0] is not None else None,
                sum_to(-T.sum(-3), self.s2) if e[1] is not None else None)


def _euclidean_dist(x1, x2):
    from .creation import ones_like
    from .shape import cat
    x1n = x1.pow(2).sum(-1, keepdim=True)
    x2n = x2.pow(2).sum(-1, keepdim=True)
    x1_ = cat([x1 * -2, x1n, ones_like(x1n)], -1)
    x2_ = cat([x2, ones_like(x2n), x2n], -1)
    return x1_.matmul(x2_.mT).clamp_min(0).sqrt()


def cdist(x1, x2, p=2.0, compute_mode=None):
    if x1.ndim < 2:
        raise RuntimeError(f"cdist only supports at least 2D tensors, X1 got: {x1.ndim}D")
    if x2.ndim < 2:
        raise RuntimeError(f"cdist only supports at least 2D tensors, X2 got: {x2.ndim}D")
    if not _is_float_np(x1._data.dtype) or x1._data.dtype.kind == "c":
        raise RuntimeError(f"cdist only supports floating-point dtypes, X1 got: {dtype_name(x1._data.dtype)}")
    if not _is_float_np(x2._data.dtype) or x2._data.dtype.kind == "c":
        raise RuntimeError(f"cdist only supports floating-point dtypes, X2 got: {dtype_name(x2._data.dtype)}")
    if x1.shape[-1] != x2.shape[-1]:
        raise RuntimeError(f"X1 and X2 must have the same number of columns. X1: {x1.shape[-1]} X2: {x2.shape[-1]}")
    if p < 0:
        raise RuntimeError("cdist only supports non-negative p values")
    modes = (None, "use_mm_for_euclid_dist_if_necessary", "use_mm_for_euclid_dist", "donot_use_mm_for_euclid_dist")
    if compute_mode not in modes:
        raise ValueError(f"{compute_mode} is not a valid value for compute_mode")
    if x1.dtype is not x2.dtype:
        rd = _dtype.promote_types(x1.dtype, x2.dtype)
        x1, x2 = x1.to(rd), x2.to(rd)
    batch = broadcast_shapes(tuple(x1.shape[:-2]), tuple(x2.shape[:-2]))
    r1, r2 = x1.shape[-2], x2.shape[-2]
    mode = compute_mode or "use_mm_for_euclid_dist_if_necessary"
    use_mm = p == 2 and (mode == "use_mm_for_euclid_dist" or
                         (mode == "use_mm_for_euclid_dist_if_necessary" and (r1 > 25 or r2 > 25)))
    if use_mm and x1.shape[-1] > 0:
        a = x1.expand(*batch, r1, x1.shape[-1]).reshape(-1, r1, x1.shape[-1])
        b = x2.expand(*batch, r2, x2.shape[-1]).reshape(-1, r2, x2.shape[-1])
        return _euclidean_dist(a, b).view(*batch, r1, r2)
    return apply(CdistBackward0, (x1, x2), float(p), tuple(batch))


# -- logcumsumexp, renorm ------------------------------------------------------------------------

class LogcumsumexpBackward0(Node):
    __slots__ = ("dim",)
    SAVES_INPUTS = True
    SAVES_OUTPUT = True

    def forward(self, a, dim):
        self.dim = dim
        if a.ndim == 0:
            return a.copy()
        return on_host(lambda x: np.logaddexp.accumulate(x, axis=dim), a)  # CuPy has no such accumulate

    def backward(self, g):
        # torch's logcumsumexp_backward: split the gradient by sign and work in log space
        x = self.inputs[0]
        res = self.out
        d = self.dim
        if x.ndim == 0:
            return (g,)
        fmin = float(np.finfo(g._data.dtype).min) if g._data.dtype.kind == "f" else -3.4028234663852886e38
        gmin = const(fmin, g._data.dtype, g._data)
        from .pointwise import where
        gp = where(g > 0, g.masked_fill(g <= 0, 1).log(), gmin)
        gn = where(g < 0, (-g).masked_fill(g >= 0, 1).log(), gmin)

        def rev(t):
            return logcumsumexp(t.flip(d), d).flip(d)
        out_pos = (rev(gp - res) + x).exp()
        out_neg = (rev(gn - res) + x).exp()
        return (out_pos - out_neg,)


def logcumsumexp(input, dim, *, out=None):
    if not _is_float_np(input._data.dtype):
        raise NotImplementedError(f'"logcumsumexp_out_cpu" not implemented for \'{dtype_name(input._data.dtype)}\'')
    d = wrap_dim(dim, input.ndim)
    return _out(apply(LogcumsumexpBackward0, (input,), d), out)


class RenormBackward0(Node):
    __slots__ = ("p", "dim", "maxnorm")
    SAVES_INPUTS = True

    def forward(self, a, p, dim, maxnorm):
        self.p, self.dim, self.maxnorm = p, dim, maxnorm
        axes = tuple(i for i in range(a.ndim) if i != dim)
        xp = _xp(a)
        acc = a.astype(np.float64) if a.dtype != np.float64 else a
        norm = _pnorm_np(acc, p, axes)
        norm = xp.expand_dims(norm, axes)
        factor = xp.where(norm > maxnorm, maxnorm / (norm + 1e-7), 1.0)
        return (a * factor.astype(a.dtype, copy=False)).astype(a.dtype, copy=False)

    def backward(self, g):
        x = self.inputs[0]
        dims = tuple(i for i in range(x.ndim) if i != self.dim)
        norm = x.norm(self.p, dims, keepdim=True)
        gout = (x * g).sum(dims, keepdim=True)
        nb = _norm_grad(gout, x, norm, self.p, dims)
        inv = (norm + 1e-7).reciprocal()
        factor = inv * self.maxnorm
        from .pointwise import where
        return (where(norm > self.maxnorm, factor * g - (inv * inv * self.maxnorm) * nb, g),)


def renorm(input, p, dim, maxnorm, *, out=None):
    if p <= 0:
        raise RuntimeError("renorm: non-positive-norm not supported")
    if maxnorm < 0:
        raise RuntimeError(f"renorm: expected maxnorm to be >= 0 but got {maxnorm:g}")
    if input.ndim <= 1:
        raise RuntimeError(f"renorm: input needs at least 2 dimensions, got {input.ndim} dimensions")
    if not _is_float_np(input._data.dtype):
        raise NotImplementedError(f'"renorm_out" not implemented for \'{dtype_name(input._data.dtype)}\'')
    d = wrap_dim(dim, input.ndim)
    return _out(apply(RenormBackward0, (input,), float(p), d, float(maxnorm)), out)


# =====================================================================================
# shape helpers
# =====================================================================================

def ravel(input):
    return input.contiguous().view(-1)


def _split_along(name, input, sections, dim, min_dim):
    if input.ndim < min_dim:
        raise RuntimeError(f"torch.{name} requires a tensor with at least {min_dim} dimension, but got a tensor with "
                           f"{input.ndim} dimensions!")
    if isinstance(sections, (int, np.integer)):
        size = input.shape[dim]
        if sections == 0 or size % sections:
            raise RuntimeError(f"torch.{name} attempted to split along dimension {dim}, but the size of the "
                               f"dimension {size} is not divisible by the split_size {sections}!")
    return input.tensor_split(sections, dim)


def hsplit(input, indices_or_sections):
    if input.ndim < 1:
        raise RuntimeError("torch.hsplit requires a tensor with at least 1 dimension, but got a tensor with "
                           f"{input.ndim} dimensions!")
    return _split_along("hsplit", input, indices_or_sections, 1 if input.ndim > 1 else 0, 1)


def vsplit(input, indices_or_sections):
    return _split_along("vsplit", input, indices_or_sections, 0, 2)


def dsplit(input, indices_or_sections):
    return _split_along("dsplit", input, indices_or_sections, 2, 3)


class NarrowCopyBackward0(SliceBackward0):
    __slots__ = ()
    VIEW = False

    def forward(self, a, index):
        return SliceBackward0.forward(self, a, index).copy()


def narrow_copy(input, dim, start, length):
    if input.ndim == 0:
        raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
    d = wrap_dim(dim, input.ndim)
    size = input.shape[d]
    if start < 0:
        start += size
    if not 0 <= start <= size or length < 0 or start + length > size:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({size}).")
    index = (slice(None),) * d + (slice(start, start + length),)
    return apply(NarrowCopyBackward0, (input,), index)


def sum_to_size(self, *size):
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    size = tuple(int(s) for s in size)
    shape = tuple(self.shape)
    ok = len(size) <= len(shape)
    if ok:
        for s, t in zip(reversed(size), reversed(shape)):
            if s != t and s != 1:
                ok = False
                break
    if not ok:
        raise RuntimeError(f"size {{{shape_str(size)}}} is not expandable to size {{{shape_str(shape)}}}.")
    if size == shape:
        return self
    return sum_to(self, size)


class FillDiagonalBackward0(Node):
    __slots__ = ("wrap_",)

    def forward(self, a, value, wrap_):
        self.wrap_ = wrap_
        out = a.copy()
        xp = _xp(a)
        if xp is np:
            np.fill_diagonal(out, value, wrap=wrap_)
        else:  # pragma: no cover - CuPy
            xp.fill_diagonal(out, value, wrap=wrap_)
        return out

    def backward(self, g):
        mask = wrap(_diag_mask_like(g._data, self.wrap_))
        return (g.masked_fill(mask, 0),)


def _diag_mask_like(arr, wrap_):
    m = np.zeros(arr.shape, dtype=bool)
    np.fill_diagonal(m, True, wrap=wrap_)
    xp = _xp(arr)
    return m if xp is np else xp.asarray(m)


def fill_diagonal_(self, fill_value, wrap=False):
    if self.ndim < 2:
        raise RuntimeError("dimensions must larger than 1")
    if self.ndim > 2 and len(set(self.shape)) != 1:
        raise RuntimeError("all dimensions of input must be of equal length")
    check_inplace_allowed(self)
    res = apply(FillDiagonalBackward0, (self,), fill_value, bool(wrap))
    return commit_inplace(self, res)


def resize_(self, *sizes, memory_format=None):
    if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)):
        sizes = tuple(sizes[0])
    sizes = tuple(int(s) for s in sizes)
    if self._requires_grad:
        raise RuntimeError("cannot resize variables that require grad")
    for s in sizes:
        if s < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: {list(sizes)}")
    a = self._data
    if a.shape == sizes:
        return self
    n = int(np.prod(sizes, dtype=np.int64)) if sizes else 1
    xp = _xp(a)
    # torch keeps the storage: a prefix view when it is big enough, else a larger copy of it
    storage, offset = _storage_of(a)
    if storage is None:  # a non-contiguous view: its elements, in order, become the storage
        storage, offset = xp.ascontiguousarray(a).reshape(-1), 0
    need = offset + n
    if need > storage.size:
        grown = xp.zeros(need, dtype=a.dtype)
        grown[:storage.size] = storage
        storage = grown
    new = storage[offset:need].reshape(sizes)
    self._data = new
    bump_version(self)
    return self


def _storage_of(a):
    """(the flat root array a views, a's offset in it) when a is a C-contiguous window of a
    C-contiguous NumPy root; (None, 0) otherwise."""
    if a.__class__ is not np.ndarray or not a.flags.c_contiguous:
        return None, 0
    root = a
    while isinstance(root.base, np.ndarray):
        root = root.base
    if not root.flags.c_contiguous or root.dtype != a.dtype:
        return None, 0
    flat = root.reshape(-1)
    off_bytes = a.__array_interface__["data"][0] - root.__array_interface__["data"][0]
    if off_bytes % a.itemsize or off_bytes < 0:
        return None, 0
    off = off_bytes // a.itemsize
    if off + a.size > flat.size:
        return None, 0
    return flat, off


def resize_as_(self, the_template, *, memory_format=None):
    return resize_(self, tuple(the_template.shape))


def apply_(self, callable):
    if self._requires_grad:
        raise RuntimeError("Can't call apply_() on Variable that requires grad. Use var.detach().apply_() instead.")
    if self._data.__class__ is not np.ndarray:
        raise TypeError("apply_ is only implemented on CPU tensors")
    a = self._data
    if a.size:
        res = np.frompyfunc(callable, 1, 1)(a)
        a[...] = np.asarray(res).astype(a.dtype) if isinstance(res, np.ndarray) else res
        bump_version(self)
    return self


def _is_nonzero(self):
    import ember
    return ember.is_nonzero(self)


def is_same_size(self, other):
    return tuple(self.shape) == tuple(other.shape)


def get_device(self):
    return -1 if self._data.__class__ is np.ndarray else self.device.index


def pin_memory(self, device=None):
    from .. import cuda
    if not cuda.is_available():
        raise RuntimeError("Cannot access accelerator device when none is available.")
    return self if self.is_pinned() else self.clone()


def is_pinned(self, device=None):
    return False


_SHARED = weakref.WeakValueDictionary()  # id -> tensor (Tensor.__eq__ is elementwise: no WeakSet)


def share_memory_(self):
    """ember's CPU tensors are NumPy arrays; DataLoader workers receive them by pickling, so there is
    nothing to move. The tensor is only marked, for is_shared()."""
    if self._data.__class__ is np.ndarray:
        _SHARED[id(self)] = self
    return self


def is_shared(self):
    return self._data.__class__ is not np.ndarray or _SHARED.get(id(self)) is self


# =====================================================================================
# runtime switches torch keeps at top level
# =====================================================================================

_DETERMINISTIC = {"mode": False, "warn_only": False}


def use_deterministic_algorithms(mode, *, warn_only=False):
    """Stored for code that queries it; every ember op is deterministic already (no atomics)."""
    if not isinstance(mode, bool):
        raise RuntimeError(f"use_deterministic_algorithms expects a bool, but got {type(mode).__name__}")
    _DETERMINISTIC["mode"] = mode
    _DETERMINISTIC["warn_only"] = bool(warn_only)


def are_deterministic_algorithms_enabled():
    return _DETERMINISTIC["mode"]


def is_deterministic_algorithms_warn_only_enabled():
    return _DETERMINISTIC["warn_only"]


_THREADS = {"n": None, "limiter": None, "interop": None}
_THREAD_ENV = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS")


def _default_threads():
    try:
        from threadpoolctl import threadpool_info
        counts = [i.get("num_threads", 0) for i in threadpool_info()]
        if counts:
            return max(counts)
    except ImportError:
        pass
    for var in _THREAD_ENV:
        v = os.environ.get(var)
        if v and v.isdigit() and int(v) > 0:
            return int(v)
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def set_num_threads(num):
    """Set the thread count of the BLAS/OpenMP pools NumPy uses.

    With ``threadpoolctl`` importable this takes effect at once in this process. Without it,
    the count is written to OMP_NUM_THREADS / OPENBLAS_NUM_THREADS / MKL_NUM_THREADS, which only
    new processes (e.g. DataLoader workers started later) pick up; ``get_num_threads`` reports it.
    """
    if not isinstance(num, (int, np.integer)) or isinstance(num, bool) or num <= 0:
        raise RuntimeError("set_num_threads expects a positive integer")
    num = int(num)
    from .. import _blas
    if _blas.set_threads(num):  # NumPy's own OpenBLAS, found directly
        _THREADS["n"] = num
        return
    try:
        from threadpoolctl import threadpool_limits
        _THREADS["limiter"] = threadpool_limits(limits=num)
    except ImportError:
        for var in _THREAD_ENV:
            os.environ[var] = str(num)
    _THREADS["n"] = num


def get_num_threads():
    return _THREADS["n"] if _THREADS["n"] is not None else _default_threads()


def set_num_interop_threads(num):
    if not isinstance(num, (int, np.integer)) or num <= 0:
        raise RuntimeError("Number of inter-op threads must be positive")
    _THREADS["interop"] = int(num)


def get_num_interop_threads():
    return _THREADS["interop"] if _THREADS["interop"] is not None else get_num_threads()


def compile(model=None, *, fullgraph=False, dynamic=None, backend="inductor", mode=None, options=None,
            disable=False):
    """ember has no compiler: the model (or function) is returned unchanged and runs eagerly, so its
    results are identical to eager mode. Usable as ``compile(m)``, ``@compile`` or ``@compile(...)``."""
    if model is None:
        return lambda m: m
    return model


def is_storage(obj):
    return False


# =====================================================================================

def _out(result, out):
    from ._util import write_out as pw_out
    return pw_out(result, out)


__all__ = """lgamma digamma polygamma mvlgamma i0 logit gcd lcm nextafter heaviside copysign ldexp angle real imag
    conj conj_physical resolve_conj resolve_neg is_conj is_neg isreal bincount histc isin diff cov corrcoef
    quantile nanquantile trapezoid trapz cumulative_trapezoid vander dist cdist logcumsumexp renorm ravel
    hsplit vsplit dsplit narrow_copy use_deterministic_algorithms are_deterministic_algorithms_enabled
    is_deterministic_algorithms_warn_only_enabled set_num_threads get_num_threads set_num_interop_threads
    get_num_interop_threads compile is_storage""".split()
TENSOR_METHODS = """lgamma digamma mvlgamma i0 logit gcd lcm nextafter heaviside copysign ldexp angle conj
    conj_physical resolve_conj resolve_neg is_conj is_neg isreal bincount histc diff cov corrcoef quantile
    nanquantile dist logcumsumexp renorm ravel hsplit vsplit dsplit narrow_copy sum_to_size fill_diagonal_
    resize_ resize_as_ apply_ is_same_size get_device pin_memory is_pinned share_memory_ is_shared"""
INPLACE = "lgamma digamma mvlgamma i0 logit gcd lcm nextafter heaviside copysign ldexp renorm conj_physical"
EXTRA_METHODS = {
    "polygamma": _polygamma_method,
    "polygamma_": _polygamma_inplace,
    "is_nonzero": _is_nonzero,
    "real": property(real),
    "imag": property(imag),
}
