"""Special functions NumPy lacks (erf, erfc, erfinv), vectorised over whole arrays.

erf/erfc follow W. J. Cody's rational Chebyshev approximations (CALERF, 1969/1985):
three intervals (|x| <= 0.46875, <= 4, > 4), evaluated for every element with
array arithmetic, in float64; the result is rounded to the input's dtype. The
accuracy is that of the C library's erf (a few units in the last place of a double).

erfinv: a rational first guess, then Newton steps on erf/erfc in float64, which agrees
with torch to rounding in float32 and to ~1e-15 in float64.
"""
import numpy as np

from .._device import xp_of as _xp

# Cody's coefficients: erf on [0, 0.46875]
_A = (3.16112374387056560e00, 1.13864154151050156e02, 3.77485237685302021e02, 3.20937758913846947e03,
      1.85777706184603153e-1)
_B = (2.36012909523441209e01, 2.44024637934444173e02, 1.28261652607737228e03, 2.84423683343917062e03)
# erfc on [0.46875, 4]
_C = (5.64188496988670089e-1, 8.88314979438837594e00, 6.61191906371416295e01, 2.98635138197400131e02,
      8.81952221241769090e02, 1.71204761263407058e03, 2.05107837782607147e03, 1.23033935479799725e03,
      2.15311535474403846e-8)
_D = (1.57449261107098347e01, 1.17693950891312499e02, 5.37181101862009858e02, 1.62138957456669019e03,
      3.29079923573345963e03, 4.36261909014324716e03, 3.43936767414372164e03, 1.23033935480374942e03)
# erfc on (4, inf)
_P = (3.05326634961232344e-1, 3.60344899949804439e-1, 1.25781726111229246e-1, 1.60837851487422766e-2,
      6.58749161529837803e-4, 1.63153871373020978e-2)
_Q = (2.56852019228982242e00, 1.87295284992346047e00, 5.27905102951428412e-1, 6.05183413124413191e-2,
      2.33520497626869185e-3)
_SQRPI = 5.6418958354775628695e-1  # 1 / sqrt(pi)
_THRESH = 0.46875
_XBIG = 27.3  # erfc(x) < the smallest subnormal double beyond this




def _as_f64(a):
    return a.astype(np.float64) if a.dtype != np.float64 else a


def _ratio(t, p, q, p_last, q_last):
    """Cody's rational form: ((((p[-1] t + p0) t + p1) t ...) + p_last) / (((t + q0) t + q1) t ... + q_last),
    evaluated in place (fewer temporaries: these loops dominate the cost)."""
    num = t * p[-1]
    den = t + q[0]
    num += p[0]
    num *= t
    for i in range(1, len(q)):
        den *= t
        den += q[i]
        num += p[i]
        num *= t
    den *= t
    num += p_last
    den += q_last
    num /= den
    return num


def _erf_small(x):
    """erf(x) for |x| <= 0.46875."""
    r = _ratio(x * x, _A[:3] + (_A[4],), _B[:3], _A[3], _B[3])
    r *= x
    return r


def _exp_neg_sq(xp, y):
    """exp(-y*y) without the rounding error of forming y*y (Cody's split at multiples of 1/16)."""
    ysq = y * 16.0
    xp.trunc(ysq, out=ysq)
    ysq /= 16.0
    delta = y - ysq
    delta *= y + ysq
    ysq *= ysq
    ysq *= -1.0
    delta *= -1.0  # exp(-ysq^2) * exp(-delta): ysq^2 is exact, delta is small
    r = xp.exp(ysq, out=ysq)
    r *= xp.exp(delta, out=delta)
    return r


def _erfc_pos(xp, y):
    """erfc(y) for y >= 0.46875 (or nan), y flat. Each interval is evaluated only on its elements."""
    out = xp.empty_like(y)
    mid = y <= 4.0
    big = ~mid
    ym = y[mid] if not mid.all() else y
    r = _ratio(ym, _C[:7] + (_C[8],), _D[:7], _C[7], _D[7])
    r *= _exp_neg_sq(xp, ym)
    if ym is y:
        return r
    out[mid] = r
    if big.any():
        yb = y[big]
        fin = yb < _XBIG
        yl = xp.where(fin, yb, 5.0)
        z = 1.0 / (yl * yl)
        r = _ratio(z, _P[:4] + (_P[5],), _Q[:4], _P[4], _Q[4])
        r *= z
        r = (_SQRPI - r) / yl
        with np.errstate(under="ignore"):
            r = r * _exp_neg_sq(xp, yl)
        out[big] = xp.where(fin, r, xp.where(xp.isnan(yb), yb, 0.0))
    return out


def _split(x):
    """x flattened, |x|, and the mask of the small interval."""
    xf = x.reshape(-1)
    y = abs(xf)
    return xf, y, y <= _THRESH


def _erf64(x):
    xp = _xp(x)
    xf, y, small = _split(x)
    if small.all():
        return _erf_small(x)
    out = xp.empty_like(xf)
    if small.any():
        out[small] = _erf_small(xf[small])
    rest = ~small
    xr = xf[rest]
    v = (0.5 - _erfc_pos(xp, y[rest])) + 0.5
    out[rest] = xp.where(xr < 0, -v, v)
    return out.reshape(x.shape)


def _erfc64(x):
    xp = _xp(x)
    xf, y, small = _split(x)
    if small.all():
        return 1.0 - _erf_small(x)
    out = xp.empty_like(xf)
    if small.any():
        out[small] = 1.0 - _erf_small(xf[small])
    rest = ~small
    xr = xf[rest]
    e = _erfc_pos(xp, y[rest])
    out[rest] = xp.where(xr < 0, 2.0 - e, e)
    return out.reshape(x.shape)


def _finish(res, a):
    return res.astype(a.dtype, copy=False) if res.dtype != a.dtype else res


def erf(a):
    """erf on a floating array, in float64, returned in a's dtype."""
    return _finish(_erf64(_as_f64(a)), a)


def erfc(a):
    return _finish(_erfc64(_as_f64(a)), a)


# The first guess of torch's old calc_erfinv (Pavlis' port of MATLAB's erfinv), then Newton steps
# on erf (erfc near +-1); this converges to the correctly rounded value torch returns.
_IA = (0.886226899, -1.645349621, 0.914624893, -0.140543331)
_IB = (-2.118377725, 1.442710462, -0.329097515, 0.012229801)
_IC = (-1.970840454, -1.624906493, 3.429567803, 1.641345311)
_ID = (3.543889200, 1.637067800)
_TWO_OVER_SQRT_PI = 1.1283791670955126


def _newton_erfinv(xp, x, y, tail, one_minus):
    """One Newton step x - (erf(x) - y) / erf'(x); the residual is (1 - |y|) - erfc(|x|), signed,
    on the tail (|y| > 0.5), where 1 - |y| is exact, so the step keeps full precision as |y| -> 1."""
    r = xp.empty_like(x)
    mid = ~tail
    if mid.any():
        r[mid] = _erf64(x[mid]) - y[mid]
    if tail.any():
        yt = y[tail]
        rt = one_minus[tail] - _erfc64(xp.abs(x[tail]))
        r[tail] = xp.where(yt < 0, -rt, rt)
    return x - r / (_TWO_OVER_SQRT_PI * xp.exp(-x * x))


def erfinv(a):
    xp = _xp(a)
    y = _as_f64(a).reshape(-1)
    ya = xp.abs(y)
    central = ya <= 0.7
    inside = ya < 1.0  # False for +-1, |y| > 1 and nan
    with np.errstate(divide="ignore", invalid="ignore"):
        z = y * y
        num = ((_IA[3] * z + _IA[2]) * z + _IA[1]) * z + _IA[0]
        den = (((_IB[3] * z + _IB[2]) * z + _IB[1]) * z + _IB[0]) * z + 1.0
        x_c = y * num / den
        t = xp.sqrt(-xp.log((1.0 - xp.where(central | ~inside, 0.5, ya)) / 2.0))
        num = ((_IC[3] * t + _IC[2]) * t + _IC[1]) * t + _IC[0]
        den = (_ID[1] * t + _ID[0]) * t + 1.0
        x_t = xp.copysign(num, y) / den
    x = xp.where(central, x_c, x_t)
    x = xp.where(inside, x, 0.0)
    tail = ya > 0.5
    tail &= inside
    one_minus = 1.0 - ya
    x = _newton_erfinv(xp, x, y, tail, one_minus)
    x = _newton_erfinv(xp, x, y, tail, one_minus)
    if tail.any():  # a third step where the first guess is weakest (torch's answer is correctly rounded)
        xt, yt = x[tail], y[tail]
        x[tail] = _newton_erfinv(xp, xt, yt, xp.ones(xt.shape, dtype=bool), one_minus[tail])
    x = xp.where(inside, x, xp.where(ya == 1.0, xp.copysign(np.inf, y), np.nan))
    x = xp.where(xp.isnan(y), y, x)
    return _finish(x.reshape(a.shape), a)
