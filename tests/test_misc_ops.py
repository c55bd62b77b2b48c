"""ember/ops/misc.py, ember/_finfo.py, ember/backends: values, dtypes, grads and errors against torch."""
import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import ember
from ember.autograd import gradcheck
from tests.helpers import needs_torch, assert_close, raises_like, pair, torch

rng = np.random.default_rng(1234)


def _r(*shape, lo=-2.0, hi=2.0, dtype=np.float64):
    return rng.uniform(lo, hi, shape).astype(dtype)


def _e64(arr):
    return ember.tensor(arr, dtype=ember.float64, requires_grad=True)


def _grad_pair(fn_e, fn_t, *arrs, rtol=1e-7, atol=1e-9, name=None):
    """Forward values + dtype, backward grads and the grad_fn name, ember vs torch."""
    es = [ember.tensor(a, requires_grad=True) for a in arrs]
    ts = [torch.tensor(a, requires_grad=True) for a in arrs]
    eo, to = fn_e(*es), fn_t(*ts)
    assert_close(eo, to, rtol=rtol, atol=atol)
    if name is not None:
        assert eo.grad_fn.name() == type(to.grad_fn).__name__ == name
    g = rng.standard_normal(tuple(to.shape)).astype(arrs[0].dtype)
    eo.backward(ember.tensor(g))
    to.backward(torch.tensor(g))
    for e, t in zip(es, ts):
        assert_close(e.grad, t.grad, rtol=rtol * 10, atol=atol * 10)


# ---------------------------------------------------------------- special functions

_SPECIAL = np.concatenate([rng.uniform(-30, 30, 400), rng.uniform(0, 3, 400),
                           [1, 2, 0.5, 1.5, 2.5, 9.99, 10, 10.01, 1e-300, 1e-8, -1e-8, 1e10, 1e300, -0.5, -1.5,
                            -100.3, 0., -0., -1., -2., np.inf, -np.inf, np.nan]])


@needs_torch
@pytest.mark.parametrize("name", ["lgamma", "digamma", "i0"])
def test_special_values_float64(name):
    x = _SPECIAL if name != "i0" else _SPECIAL[np.abs(_SPECIAL) < 700]
    e, t = getattr(ember, name)(ember.tensor(x)), getattr(torch, name)(torch.tensor(x))
    assert_close(e, t, rtol=1e-13, atol=1e-13)


@needs_torch
@pytest.mark.parametrize("n", [0, 1, 2, 3, 6])
def test_polygamma_values(n):
    x = _SPECIAL[np.abs(_SPECIAL) < 1e6]
    assert_close(ember.polygamma(n, ember.tensor(x)), torch.polygamma(n, torch.tensor(x)), rtol=1e-12, atol=0)
    assert_close(ember.tensor(x).polygamma(n), torch.tensor(x).polygamma(n), rtol=1e-12, atol=0)


@needs_torch
@pytest.mark.parametrize("dtype", [np.float32, np.int64, np.float16])
@pytest.mark.parametrize("name", ["lgamma", "digamma", "i0", "logit"])
def test_special_dtypes(name, dtype):
    x = rng.uniform(0.05, 0.95, 20) if name == "logit" else rng.uniform(0.1, 8, 20)
    x = x.astype(dtype) if dtype != np.int64 else np.arange(1, 21)
    e, t = pair(x)
    tol = 2e-3 if dtype == np.float16 else 1e-5
    assert_close(getattr(ember, name)(e), getattr(torch, name)(t), rtol=tol, atol=tol)


@needs_torch
def test_special_grads_and_names():
    x = _r(3, 4, lo=0.2, hi=6)
    _grad_pair(ember.lgamma, torch.lgamma, x, name="LgammaBackward0")
    _grad_pair(ember.digamma, torch.digamma, x, name="DigammaBackward0")
    _grad_pair(lambda a: ember.polygamma(2, a), lambda a: torch.polygamma(2, a), x, name="PolygammaBackward0")
    _grad_pair(lambda a: ember.mvlgamma(a, 3), lambda a: torch.mvlgamma(a, 3), x + 2, name="MvlgammaBackward0")
    _grad_pair(ember.i0, torch.i0, _r(3, 4, lo=-40, hi=40), name="I0Backward0", rtol=1e-12)
    p = _r(3, 4, lo=-0.2, hi=1.2)
    _grad_pair(ember.logit, torch.logit, p, name="LogitBackward0")
    _grad_pair(lambda a: ember.logit(a, 0.1), lambda a: torch.logit(a, 0.1), p, name="LogitBackward0")


def test_special_gradcheck():
    x = _e64(_r(5, lo=0.3, hi=5))
    for fn in (ember.lgamma, ember.digamma, lambda a: ember.polygamma(1, a), lambda a: ember.mvlgamma(a + 3, 2),
               ember.i0, lambda a: ember.logit(a / 6), lambda a: ember.logit(a / 6, 0.2)):
        assert gradcheck(fn, (x,))


@needs_torch
def test_special_errors_and_inplace():
    e, t = pair(np.array([2.0, 3.0]))
    raises_like(lambda: torch.polygamma(-1, t), lambda: ember.polygamma(-1, e))
    raises_like(lambda: torch.mvlgamma(t, 0), lambda: ember.mvlgamma(e, 0))
    e.lgamma_()
    t.lgamma_()
    assert_close(e, t)
    e.polygamma_(1)
    t.polygamma_(1)
    assert_close(e, t)


# ---------------------------------------------------------------- pointwise helpers

@needs_torch
def test_gcd_lcm_nextafter_heaviside_copysign_ldexp():
    a, b = rng.integers(-30, 30, 12), rng.integers(-30, 30, 12)
    for name in ("gcd", "lcm"):
        assert_close(getattr(ember, name)(*pair(a)[:1], pair(b)[0]), getattr(torch, name)(torch.tensor(a),
                                                                                          torch.tensor(b)))
    raises_like(lambda: torch.gcd(torch.ones(2), torch.ones(2)), lambda: ember.gcd(ember.ones(2), ember.ones(2)))
    x, y = _r(6, dtype=np.float32), _r(6, dtype=np.float32)
    assert_close(ember.nextafter(ember.tensor(x), ember.tensor(y)), torch.nextafter(torch.tensor(x),
                                                                                    torch.tensor(y)), rtol=0, atol=0)
    x[:2] = 0
    v = _r(6, dtype=np.float32)
    assert_close(ember.heaviside(ember.tensor(x), ember.tensor(v)), torch.heaviside(torch.tensor(x), torch.tensor(v)))
    raises_like(lambda: torch.heaviside(torch.ones(2), torch.ones(2, dtype=torch.int64)),
                lambda: ember.heaviside(ember.ones(2), ember.ones(2, dtype=ember.int64)))
    assert_close(ember.copysign(ember.tensor([1, -2]), ember.tensor([-2, 3])),
                 torch.copysign(torch.tensor([1, -2]), torch.tensor([-2, 3])))
    assert_close(ember.ldexp(ember.tensor([1, 3]), ember.tensor([2, -1])),
                 torch.ldexp(torch.tensor([1, 3]), torch.tensor([2, -1])))
    x64 = _r(3, 4)
    x64[0, 0] = 0.0
    _grad_pair(ember.copysign, torch.copysign, x64, _r(3, 4), name="CopysignBackward0")
    _grad_pair(ember.ldexp, torch.ldexp, _r(3, 4), _r(3, 4), name="LdexpBackward0")


@needs_torch
def test_complex_helpers():
    z = (_r(5) + 1j * _r(5)).astype(np.complex128)
    ez, tz = ember.tensor(z), torch.tensor(z)
    assert_close(ember.real(ez), torch.real(tz))
    assert_close(ez.imag, tz.imag)
    np.testing.assert_allclose(ember.conj(ez).numpy(), torch.conj(tz).resolve_conj().numpy())
    assert ember.conj(ez).dtype is ember.complex128 and ez.imag.dtype is ember.float64
    assert_close(ember.angle(ez), torch.angle(tz))
    assert_close(ember.isreal(ez), torch.isreal(tz))
    r = ember.tensor([1.0, -2.0, 0.0, float("nan")])
    tr = torch.tensor([1.0, -2.0, 0.0, float("nan")])
    assert ember.real(r) is r and ember.conj(r) is r and r.real is r
    assert_close(ember.angle(r), torch.angle(tr))
    assert_close(ember.angle(ember.tensor([-1, 2, 0])), torch.angle(torch.tensor([-1, 2, 0])))
    assert_close(ember.isreal(r), torch.isreal(tr))
    raises_like(lambda: torch.imag(tr), lambda: ember.imag(r))
    # real() of a complex tensor is a view
    v = ember.real(ez)
    v.add_(1.0)
    assert np.allclose(ez.numpy().real, z.real + 1)
    _grad_pair(ember.angle, torch.angle, _r(4), name="AngleBackward0")


# ---------------------------------------------------------------- counting

@needs_torch
def test_bincount():
    a = rng.integers(0, 7, 30)
    w = _r(30, dtype=np.float32)
    assert_close(ember.bincount(ember.tensor(a)), torch.bincount(torch.tensor(a)))
    assert_close(ember.tensor(a).bincount(minlength=12), torch.tensor(a).bincount(minlength=12))
    for wd in (np.float32, np.float64, np.int64):
        assert_close(ember.bincount(ember.tensor(a), ember.tensor(w.astype(wd))),
                     torch.bincount(torch.tensor(a), torch.tensor(w.astype(wd))), rtol=1e-6)
    assert_close(ember.bincount(ember.tensor(np.zeros(0, np.int64)), minlength=3),
                 torch.bincount(torch.tensor(np.zeros(0, np.int64)), minlength=3))
    for bad in ([[1]], [-1, 2]):
        raises_like(lambda: torch.bincount(torch.tensor(bad)), lambda: ember.bincount(ember.tensor(bad)))
    raises_like(lambda: torch.bincount(torch.tensor([1.0])), lambda: ember.bincount(ember.tensor([1.0])))
    raises_like(lambda: torch.bincount(torch.tensor([1]), minlength=-1),
                lambda: ember.bincount(ember.tensor([1]), minlength=-1))
    raises_like(lambda: torch.bincount(torch.tensor([1, 2]), torch.tensor([1.0])),
                lambda: ember.bincount(ember.tensor([1, 2]), ember.tensor([1.0])))


@needs_torch
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_histc(dtype):
    x = rng.standard_normal(200).astype(dtype)
    for kw in ({}, {"bins": 7}, {"bins": 5, "min": -1, "max": 1}, {"bins": 3, "min": 2, "max": 2}):
        assert_close(ember.histc(ember.tensor(x), **kw), torch.histc(torch.tensor(x), **kw))
    assert_close(ember.histc(ember.tensor([1.0, 1.0]), bins=4), torch.histc(torch.tensor([1.0, 1.0]), bins=4))
    raises_like(lambda: torch.histc(torch.tensor([1, 2])), lambda: ember.histc(ember.tensor([1, 2])))
    raises_like(lambda: torch.histc(torch.tensor([1.0]), min=3, max=1),
                lambda: ember.histc(ember.tensor([1.0]), min=3, max=1))


@needs_torch
def test_isin():
    a, b = rng.integers(0, 10, (3, 4)), rng.integers(0, 10, 5)
    for inv in (False, True):
        assert_close(ember.isin(ember.tensor(a), ember.tensor(b), invert=inv),
                     torch.isin(torch.tensor(a), torch.tensor(b), invert=inv))
    assert_close(ember.isin(ember.tensor(a), 3), torch.isin(torch.tensor(a), 3))
    assert_close(ember.isin(3, ember.tensor(b)), torch.isin(3, torch.tensor(b)))


# ---------------------------------------------------------------- statistics

@needs_torch
def test_diff():
    x = _r(4, 5)
    for kw in ({}, {"n": 2}, {"dim": 0}, {"n": 7}, {"n": 0}):
        _grad_pair(lambda a: ember.diff(a, **kw), lambda a: torch.diff(a, **kw), x)
    _grad_pair(lambda a, p: ember.diff(a, dim=0, prepend=p, append=p),
               lambda a, p: torch.diff(a, dim=0, prepend=p, append=p), x, _r(2, 5))
    b = rng.integers(0, 2, 6).astype(bool)
    assert_close(ember.diff(ember.tensor(b)), torch.diff(torch.tensor(b)))
    assert_close(ember.tensor([1, 4, 9]).diff(), torch.tensor([1, 4, 9]).diff())
    e, t = pair(x)
    raises_like(lambda: torch.diff(torch.tensor(1.0)), lambda: ember.diff(ember.tensor(1.0)))
    raises_like(lambda: torch.diff(t, n=-1), lambda: ember.diff(e, n=-1))
    raises_like(lambda: torch.diff(t, dim=0, prepend=t[:1, :2]), lambda: ember.diff(e, dim=0, prepend=e[:1, :2]))
    assert gradcheck(lambda a: ember.diff(a, n=2, dim=1), (_e64(x),))


@needs_torch
def test_cov_corrcoef():
    x = _r(3, 6)
    fw = rng.integers(0, 4, 6)
    aw = rng.uniform(0.1, 1, 6)
    for kw in ({}, {"correction": 0}, {"correction": 2}):
        _grad_pair(lambda a: ember.cov(a, **kw), lambda a: torch.cov(a, **kw), x, name="SqueezeBackward0")
    _grad_pair(lambda a: ember.cov(a, fweights=ember.tensor(fw), aweights=ember.tensor(aw)),
               lambda a: torch.cov(a, fweights=torch.tensor(fw), aweights=torch.tensor(aw)), x)
    _grad_pair(lambda a: ember.cov(a, aweights=ember.tensor(aw)), lambda a: torch.cov(a, aweights=torch.tensor(aw)), x)
    _grad_pair(ember.cov, torch.cov, x[0])
    _grad_pair(ember.corrcoef, torch.corrcoef, x, name="ClampBackward1")
    _grad_pair(ember.corrcoef, torch.corrcoef, x[0])
    xi = rng.integers(0, 9, (2, 5))
    assert_close(ember.cov(ember.tensor(xi)), torch.cov(torch.tensor(xi)))
    e, t = pair(x)
    raises_like(lambda: torch.cov(t.reshape(1, 3, 6)), lambda: ember.cov(e.reshape(1, 3, 6)))
    raises_like(lambda: torch.cov(t > 0), lambda: ember.cov(e > 0))
    raises_like(lambda: torch.cov(t, fweights=torch.ones(6)), lambda: ember.cov(e, fweights=ember.ones(6)))
    raises_like(lambda: torch.cov(t, fweights=torch.ones(5, dtype=torch.long)),
                lambda: ember.cov(e, fweights=ember.ones(5, dtype=ember.long)))
    raises_like(lambda: torch.cov(t, aweights=-torch.ones(6)), lambda: ember.cov(e, aweights=-ember.ones(6)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert_close(ember.cov(e[:, :1]), torch.cov(t[:, :1]))
    assert gradcheck(lambda a: ember.cov(a, aweights=ember.tensor(aw)), (_e64(x),))
    assert gradcheck(ember.corrcoef, (_e64(x),))


@needs_torch
@pytest.mark.parametrize("interp", ["linear", "lower", "higher", "midpoint", "nearest"])
def test_quantile(interp):
    x = _r(4, 7)
    q = np.array([0.0, 0.25, 0.5, 0.9, 1.0])
    for dim, keep in ((None, False), (None, True), (1, False), (0, True), (-1, True)):
        for qq in (0.3, q):
            ek = (lambda a: ember.quantile(a, ember.tensor(qq) if isinstance(qq, np.ndarray) else qq, dim, keep,
                                           interpolation=interp))
            tk = (lambda a: torch.quantile(a, torch.tensor(qq) if isinstance(qq, np.ndarray) else qq, dim, keep,
                                           interpolation=interp))
            _grad_pair(ek, tk, x, name="SqueezeBackward4")
    xn = x.copy()
    xn[1, 2] = np.nan
    xn[2, :] = np.nan
    for fn in ("quantile", "nanquantile"):
        for dim in (None, 1):
            assert_close(getattr(ember, fn)(ember.tensor(xn), ember.tensor(q), dim, interpolation=interp),
                         getattr(torch, fn)(torch.tensor(xn), torch.tensor(q), dim, interpolation=interp))
    assert gradcheck(lambda a: ember.quantile(a, ember.tensor(q), 1, interpolation=interp), (_e64(x),))


@needs_torch
def test_quantile_errors():
    e, t = pair(np.ones(3, np.float32))
    raises_like(lambda: torch.quantile(t, 1.5), lambda: ember.quantile(e, 1.5))
    raises_like(lambda: torch.quantile(t.long(), 0.5), lambda: ember.quantile(e.long(), 0.5))
    raises_like(lambda: torch.quantile(t, 0.5, interpolation="x"), lambda: ember.quantile(e, 0.5, interpolation="x"))
    raises_like(lambda: torch.quantile(t[:0], 0.5), lambda: ember.quantile(e[:0], 0.5))
    raises_like(lambda: torch.quantile(t, torch.ones(2, 2)), lambda: ember.quantile(e, ember.ones(2, 2)))
    raises_like(lambda: torch.quantile(t, torch.tensor([0.5], dtype=torch.float64)),
                lambda: ember.quantile(e, ember.tensor([0.5], dtype=ember.float64)))
    raises_like(lambda: torch.nanquantile(t, torch.tensor([1.5])), lambda: ember.nanquantile(e, ember.tensor([1.5])))


@needs_torch
def test_trapezoid():
    y = _r(3, 6)
    xs = np.sort(_r(6))
    for kw in ({}, {"dx": 0.5}, {"dim": 0}):
        _grad_pair(lambda a: ember.trapezoid(a, **kw), lambda a: torch.trapezoid(a, **kw), y)
        _grad_pair(lambda a: ember.cumulative_trapezoid(a, **kw), lambda a: torch.cumulative_trapezoid(a, **kw), y)
    _grad_pair(lambda a, b: ember.trapezoid(a, b), lambda a, b: torch.trapezoid(a, b), y, xs)
    _grad_pair(lambda a, b: ember.cumulative_trapezoid(a, b), lambda a, b: torch.cumulative_trapezoid(a, b), y, xs)
    _grad_pair(lambda a, b: ember.trapezoid(a, b, dim=0), lambda a, b: torch.trapezoid(a, b, dim=0), y, _r(3, 6))
    _grad_pair(lambda a: ember.trapz(a, dx=2.0), lambda a: torch.trapz(a, dx=2.0), y)
    assert_close(ember.trapezoid(ember.tensor([1, 2, 4])), torch.trapezoid(torch.tensor([1, 2, 4])))
    assert_close(ember.trapezoid(ember.ones(2, 0)), torch.trapezoid(torch.ones(2, 0)))
    raises_like(lambda: torch.trapezoid(torch.ones(3), torch.ones(2)), lambda: ember.trapezoid(ember.ones(3),
                                                                                                ember.ones(2)))
    assert gradcheck(lambda a, b: ember.trapezoid(a, b), (_e64(y), _e64(xs)))
    assert gradcheck(lambda a, b: ember.cumulative_trapezoid(a, b), (_e64(y), _e64(xs)))


@needs_torch
def test_vander():
    x = _r(4)
    for kw in ({}, {"N": 6}, {"N": 1}, {"increasing": True}, {"N": 0}):
        # torch's own vander backward fails (it writes cumprod in place): check values, and grads by gradcheck
        assert_close(ember.vander(ember.tensor(x), **kw), torch.vander(torch.tensor(x), **kw))
        if kw.get("N", 4) > 1:
            assert gradcheck(lambda a: ember.vander(a, **kw), (_e64(x),))
    for arr in (np.array([1, 2, 3], np.int32), np.array([True, False])):
        assert_close(ember.vander(ember.tensor(arr)), torch.vander(torch.tensor(arr)))
    raises_like(lambda: torch.vander(torch.ones(2, 2)), lambda: ember.vander(ember.ones(2, 2)))
    raises_like(lambda: torch.vander(torch.ones(2), N=-1), lambda: ember.vander(ember.ones(2), N=-1))


# ---------------------------------------------------------------- distances and norms

@needs_torch
@pytest.mark.parametrize("p", [0, 1, 1.5, 2, 3, 0.5, math.inf])
def test_dist(p):
    a, b = _r(3, 4), _r(4)
    if p == 0:  # torch's backward for p=0 fails ("Expected a proper Tensor"); ember's gradient is zero
        e = ember.dist(_e64(a), ember.tensor(b), 0)
        assert_close(e, torch.dist(torch.tensor(a), torch.tensor(b), 0))
        x = _e64(a)
        ember.dist(x, ember.tensor(b), 0).backward()
        assert (x.grad.numpy() == 0).all()
        return
    _grad_pair(lambda x, y: ember.dist(x, y, p), lambda x, y: torch.dist(x, y, p), a, b, name="DistBackward0")
    assert gradcheck(lambda x, y: ember.dist(x, y, p), (_e64(a), _e64(b))) if p not in (0, math.inf) else True


@needs_torch
@pytest.mark.parametrize("p", [0, 1, 1.5, 2, 3, math.inf])
def test_cdist_small(p):
    a, b = _r(2, 3, 4), _r(5, 4)
    _grad_pair(lambda x, y: ember.cdist(x, y, p), lambda x, y: torch.cdist(x, y, p), a, b, name="CdistBackward0")
    if p not in (0, math.inf):
        assert gradcheck(lambda x, y: ember.cdist(x, y, p), (_e64(a), _e64(b)))


@needs_torch
def test_cdist_mm_path_and_errors():
    a, b = _r(30, 5), _r(27, 5)
    _grad_pair(ember.cdist, torch.cdist, a, b, rtol=1e-6, atol=1e-7, name="ViewBackward0")
    for mode in ("use_mm_for_euclid_dist", "donot_use_mm_for_euclid_dist"):
        e = ember.cdist(ember.tensor(a[:4]), ember.tensor(b[:3]), compute_mode=mode)
        t = torch.cdist(torch.tensor(a[:4]), torch.tensor(b[:3]), compute_mode=mode)
        assert_close(e, t, rtol=1e-6, atol=1e-7)
        assert e.grad_fn is None
    assert gradcheck(ember.cdist, (_e64(a + 3), _e64(b)))
    f32 = ember.cdist(ember.tensor(a.astype(np.float32)), ember.tensor(b.astype(np.float32)))
    assert f32.dtype is ember.float32
    for x1, x2, kw in (((3,), (2, 3), {}), ((2, 3), (2, 4), {}), ((2, 3), (2, 3), {"p": -1})):
        raises_like(lambda: torch.cdist(torch.ones(x1), torch.ones(x2), **kw),
                    lambda: ember.cdist(ember.ones(x1), ember.ones(x2), **kw))
    raises_like(lambda: torch.cdist(torch.ones(2, 3).long(), torch.ones(2, 3).long()),
                lambda: ember.cdist(ember.ones(2, 3).long(), ember.ones(2, 3).long()))


@needs_torch
def test_logcumsumexp():
    x = _r(4, 5, lo=-5, hi=5)
    x[0, 0] = 800.0  # stability: a huge first element must not swamp the rest
    for dim in (0, 1, -1):
        _grad_pair(lambda a: ember.logcumsumexp(a, dim), lambda a: torch.logcumsumexp(a, dim), x,
                   name="LogcumsumexpBackward0")
    xf = np.array([-np.inf, -np.inf, 0.0, 1000.0], np.float32)
    assert_close(ember.tensor(xf).logcumsumexp(0), torch.tensor(xf).logcumsumexp(0))
    raises_like(lambda: torch.logcumsumexp(torch.tensor([1, 2]), 0), lambda: ember.logcumsumexp(ember.tensor([1, 2]), 0))
    assert gradcheck(lambda a: ember.logcumsumexp(a, 1), (_e64(_r(3, 4)),))


@needs_torch
@pytest.mark.parametrize("p", [1, 2, 3, math.inf])
def test_renorm(p):
    x = _r(4, 3, 2)
    _grad_pair(lambda a: ember.renorm(a, p, 1, 1.0), lambda a: torch.renorm(a, p, 1, 1.0), x,
               name="RenormBackward0")
    if p != math.inf:
        assert gradcheck(lambda a: ember.renorm(a, p, 0, 1.0), (_e64(x),))
    e, t = pair(x.astype(np.float32))
    assert_close(e.renorm(p, 0, 0.5), t.renorm(p, 0, 0.5))
    e.renorm_(p, 0, 0.5)
    t.renorm_(p, 0, 0.5)
    assert_close(e, t)
    raises_like(lambda: torch.renorm(t, 0, 0, 1.0), lambda: ember.renorm(e, 0, 0, 1.0))
    raises_like(lambda: torch.renorm(t, 2, 0, -1.0), lambda: ember.renorm(e, 2, 0, -1.0))
    raises_like(lambda: torch.renorm(t[0, 0], 2, 0, 1.0), lambda: ember.renorm(e[0, 0], 2, 0, 1.0))


# ---------------------------------------------------------------- shapes and housekeeping

@needs_torch
def test_shape_helpers():
    x = _r(4, 6, 2)
    e, t = pair(x)
    assert_close(ember.ravel(e), torch.ravel(t))
    assert_close(e.transpose(0, 1).ravel(), t.transpose(0, 1).ravel())
    for name, arg in (("hsplit", 3), ("hsplit", [1, 4]), ("vsplit", 2), ("vsplit", [1]), ("dsplit", 2)):
        assert_close(list(getattr(ember, name)(e, arg)), list(getattr(torch, name)(t, arg)))
    assert_close(list(ember.hsplit(e[0, 0], 2)), list(torch.hsplit(t[0, 0], 2)))
    raises_like(lambda: torch.hsplit(t, 4), lambda: ember.hsplit(e, 4))
    raises_like(lambda: torch.hsplit(t[0, 0, 0], 2), lambda: ember.hsplit(e[0, 0, 0], 2))
    raises_like(lambda: torch.vsplit(t[0, 0], 2), lambda: ember.vsplit(e[0, 0], 2))
    raises_like(lambda: torch.dsplit(t[0], 2), lambda: ember.dsplit(e[0], 2))
    _grad_pair(lambda a: a.narrow_copy(1, 2, 3), lambda a: a.narrow_copy(1, 2, 3), x, name="NarrowCopyBackward0")
    _grad_pair(lambda a: a.sum_to_size(1, 6, 1), lambda a: a.sum_to_size(1, 6, 1), x)
    _grad_pair(lambda a: a.sum_to_size(2), lambda a: a.sum_to_size(2), x)
    raises_like(lambda: t.sum_to_size(3, 2), lambda: e.sum_to_size(3, 2))
    assert e.is_same_size(ember.zeros(4, 6, 2)) and not e.is_same_size(ember.zeros(4))


@needs_torch
@pytest.mark.parametrize("shape,wrap", [((3, 3), False), ((7, 3), True), ((7, 3), False), ((3, 5), False),
                                        ((3, 3, 3), False)])
def test_fill_diagonal(shape, wrap):
    x = _r(*shape)
    e, t = pair(x)
    assert e.fill_diagonal_(5.0, wrap=wrap) is e
    t.fill_diagonal_(5.0, wrap=wrap)
    assert_close(e, t)
    # through autograd: the filled entries get no gradient
    _grad_pair(lambda a: (a * 1).fill_diagonal_(2.0, wrap=wrap), lambda a: (a * 1).fill_diagonal_(2.0, wrap=wrap), x)


@needs_torch
def test_fill_diagonal_errors():
    raises_like(lambda: torch.ones(2, 3, 4).fill_diagonal_(1), lambda: ember.ones(2, 3, 4).fill_diagonal_(1))
    raises_like(lambda: torch.ones(3).fill_diagonal_(1), lambda: ember.ones(3).fill_diagonal_(1))


@needs_torch
def test_resize_and_apply():
    e = ember.arange(12.0)
    assert e.resize_(3, 2) is e and list(e.shape) == [3, 2]
    assert e.tolist() == [[0, 1], [2, 3], [4, 5]]
    e.resize_(4, 4)
    assert e.numpy().reshape(-1)[:12].tolist() == list(range(12))
    v = e.view(-1)
    e.resize_(2)
    assert e.tolist() == [0.0, 1.0]
    e.resize_as_(ember.zeros(1, 2))
    assert list(e.shape) == [1, 2]
    raises_like(lambda: torch.ones(4, 3, requires_grad=True).resize_(2),
                lambda: ember.ones(4, 3, requires_grad=True).resize_(2))
    x = ember.tensor([1.0, 2.0, 3.0])
    v0 = x._version
    assert x.apply_(lambda a: a * 10 + 1) is x
    assert x.tolist() == [11.0, 21.0, 31.0] and x._version > v0
    raises_like(lambda: torch.ones(2, requires_grad=True).apply_(lambda a: a),
                lambda: ember.ones(2, requires_grad=True).apply_(lambda a: a))
    del v


@needs_torch
def test_tensor_housekeeping():
    e, t = pair(np.ones(3, np.float32))
    assert e.get_device() == t.get_device() == -1
    assert e.is_pinned() is t.is_pinned() is False
    assert e.is_shared() is t.is_shared() is False
    assert e.share_memory_() is e and e.is_shared()
    if not ember.cuda.is_available():
        raises_like(lambda: t.pin_memory(), lambda: e.pin_memory())
    raises_like(lambda: torch.tensor([]).is_nonzero(), lambda: ember.tensor([]).is_nonzero())
    raises_like(lambda: torch.ones(2).is_nonzero(), lambda: ember.ones(2).is_nonzero())
    assert ember.tensor([0.5]).is_nonzero() and not ember.tensor(0).is_nonzero()
    assert ember.is_storage(e) is torch.is_storage(t) is False
    assert not e.is_conj() and not e.is_neg() and e.resolve_conj() is e


# ---------------------------------------------------------------- iinfo / finfo

_INT = ["uint8", "int8", "int16", "int32", "int64"]
_FLOAT = ["float16", "bfloat16", "float32", "float64", "complex64", "complex128"]


@needs_torch
@pytest.mark.parametrize("name", _INT)
def test_iinfo(name):
    e, t = ember.iinfo(getattr(ember, name)), torch.iinfo(getattr(torch, name))
    for f in ("bits", "min", "max", "dtype"):
        assert getattr(e, f) == getattr(t, f), f
        assert type(getattr(e, f)) is type(getattr(t, f))
    assert repr(e) == repr(t)


@needs_torch
@pytest.mark.parametrize("name", _FLOAT)
def test_finfo(name):
    e, t = ember.finfo(getattr(ember, name)), torch.finfo(getattr(torch, name))
    for f in ("bits", "min", "max", "eps", "tiny", "smallest_normal", "resolution", "dtype"):
        assert getattr(e, f) == getattr(t, f), f
        assert type(getattr(e, f)) is type(getattr(t, f))
    assert repr(e) == repr(t)


@needs_torch
def test_finfo_default_and_errors():
    assert repr(ember.finfo()) == repr(torch.finfo())
    ember.set_default_dtype(ember.float64)
    try:
        assert ember.finfo().dtype == "float64"
    finally:
        ember.set_default_dtype(ember.float32)
    raises_like(lambda: torch.iinfo(torch.bool), lambda: ember.iinfo(ember.bool))
    raises_like(lambda: torch.finfo(torch.int32), lambda: ember.finfo(ember.int32))
    raises_like(lambda: torch.iinfo(torch.float32), lambda: ember.iinfo(ember.float32))


# ---------------------------------------------------------------- backends and runtime switches

def test_backends():
    cudnn = ember.backends.cudnn
    assert cudnn.is_available() == ember.cuda.is_available()
    old = cudnn.benchmark, cudnn.deterministic, cudnn.enabled
    try:
        cudnn.benchmark, cudnn.deterministic, cudnn.enabled = True, True, False
        assert (ember.backends.cudnn.benchmark, ember.backends.cudnn.deterministic,
                ember.backends.cudnn.enabled) == (True, True, False)
        with cudnn.flags(enabled=True, benchmark=False):
            assert cudnn.enabled and not cudnn.benchmark
        assert not cudnn.enabled and cudnn.benchmark
    finally:
        cudnn.benchmark, cudnn.deterministic, cudnn.enabled = old
    assert ember.backends.mps.is_available() is False
    cap = ember.backends.cpu.get_cpu_capability()
    assert cap in ("AVX512", "AVX2", "NO AVX", "SVE", "ASIMD", "VSX", "Z VECTOR", "DEFAULT")
    import platform
    if platform.machine() in ("x86_64", "AMD64"):
        assert cap in ("AVX512", "AVX2", "NO AVX")


def test_runtime_switches():
    assert ember.are_deterministic_algorithms_enabled() is False
    ember.use_deterministic_algorithms(True, warn_only=True)
    try:
        assert ember.are_deterministic_algorithms_enabled() is True
        assert ember.is_deterministic_algorithms_warn_only_enabled() is True
    finally:
        ember.use_deterministic_algorithms(False)
    assert ember.are_deterministic_algorithms_enabled() is False
    n = ember.get_num_threads()
    assert isinstance(n, int) and n >= 1
    ember.set_num_threads(1)
    try:
        assert ember.get_num_threads() == 1
    finally:
        ember.set_num_threads(n)
    with pytest.raises(RuntimeError, match="set_num_threads expects a positive integer"):
        ember.set_num_threads(0)
    m = ember.nn.Linear(2, 2)
    assert ember.compile(m) is m and ember.compile(mode="max-autotune")(m) is m

    @ember.compile
    def f(a):
        return a * 2
    assert f(ember.tensor(2.0)).item() == 4.0
    assert ember.is_storage(ember.ones(1)) is False


# ---------------------------------------------------------------- properties (hypothesis)

@needs_torch
@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 7), m=st.integers(1, 5), q=st.floats(0, 1), dim=st.sampled_from([None, 0, 1, -1]),
       keep=st.booleans())
def test_quantile_property(n, m, q, dim, keep):
    x = rng.standard_normal((n, m)).astype(np.float32)
    assert_close(ember.quantile(ember.tensor(x), q, dim, keep), torch.quantile(torch.tensor(x), q, dim, keep))


@needs_torch
@settings(max_examples=25, deadline=None)
@given(shape=st.lists(st.integers(1, 4), min_size=1, max_size=3), n=st.integers(0, 3), data=st.data())
def test_diff_property(shape, n, data):
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    x = rng.integers(-5, 5, shape)
    assert_close(ember.diff(ember.tensor(x), n, dim), torch.diff(torch.tensor(x), n, dim))


# ---------------------------------------------------------------- ember.special

@needs_torch
def test_special_namespace():
    x = np.array([-1.0, 0.0, 0.3, 2.0, np.nan])
    e, t = pair(x)
    for name in ("entr", "expit", "gammaln", "digamma", "psi", "i0", "i1", "erf", "erfc", "log1p", "sinc", "ndtr"):
        assert_close(getattr(ember.special, name)(e), getattr(torch.special, name)(t), rtol=1e-12, atol=1e-12)
    p = np.array([0.2, 0.7])
    assert_close(ember.special.logit(ember.tensor(p)), torch.special.logit(torch.tensor(p)))
    assert_close(ember.special.xlogy(e, e), torch.special.xlogy(t, t))
    assert_close(ember.special.polygamma(2, ember.tensor(p)), torch.special.polygamma(2, torch.tensor(p)))
    assert_close(ember.special.multigammaln(ember.tensor(p + 3), 2), torch.special.multigammaln(torch.tensor(p + 3), 2))
    assert_close(ember.special.softmax(e[2:4], 0), torch.special.softmax(t[2:4], 0))
    assert_close(ember.special.log_softmax(e[2:4], 0), torch.special.log_softmax(t[2:4], 0))
    _grad_pair(ember.special.entr, torch.special.entr, _r(5, lo=0.1, hi=3), name="SpecialEntrBackward0")
    _grad_pair(ember.special.i1, torch.special.i1, _r(5, lo=-40, hi=40), name="SpecialI1Backward0", rtol=1e-12)
    assert gradcheck(ember.special.entr, (_e64(_r(5, lo=0.1, hi=3)),))
    assert gradcheck(ember.special.i1, (_e64(_r(5, lo=-5, hi=5)),))
