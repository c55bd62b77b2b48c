"""erf / erfc / erfinv: full double precision, vectorised, torch's values in float32 and float64."""
import math

import numpy as np
import pytest

import ember
from ember.ops import _special
from tests.helpers import needs_torch, torch, assert_close

RNG = np.random.default_rng(1234)


def _erf_points():
    return np.concatenate([
        RNG.normal(size=4000) * 3, RNG.uniform(-30, 30, 2000),
        np.logspace(-300, 1.4, 500), -np.logspace(-300, 1.4, 500),
        np.linspace(-6, 6, 1001),
        [0.0, -0.0, 0.46875, -0.46875, 0.46875 + 1e-16, 4.0, -4.0, 4.0 + 1e-15, 26.0, 26.5, 27.0, 27.5, 1e300],
    ])


def _ulp_diff(a, b):
    ia = a.view(np.int64 if a.dtype == np.float64 else np.int32).astype(np.int64)
    ib = b.view(np.int64 if b.dtype == np.float64 else np.int32).astype(np.int64)
    return np.abs(ia - ib)


def test_erf_matches_libm_to_double_precision():
    x = _erf_points()
    ref = np.array([math.erf(v) for v in x])
    got = _special.erf(x)
    assert got.dtype == np.float64
    normal = np.abs(ref) > 1e-300  # away from subnormals, where relative error means nothing
    rel = np.abs(got - ref)[normal] / np.abs(ref[normal])
    assert rel.max() < 2e-15, rel.max()


def test_erfc_matches_libm_including_far_tail():
    x = _erf_points()
    ref = np.array([math.erfc(v) for v in x])
    got = _special.erfc(x)
    normal = ref > 1e-300
    rel = np.abs(got - ref)[normal] / ref[normal]
    assert rel.max() < 2e-15, rel.max()
    # no cancellation: erfc(10) ~ 2e-45 is computed directly, not as 1 - erf
    assert abs(_special.erfc(np.array(10.0)) / math.erfc(10.0) - 1) < 1e-15
    assert _special.erfc(np.array(30.0)) == 0.0 and _special.erfc(np.array(-30.0)) == 2.0


def test_special_values():
    x = np.array([0.0, -0.0, np.inf, -np.inf, np.nan])
    e = _special.erf(x)
    assert e[0] == 0 and not np.signbit(e[0]) and e[1] == 0 and np.signbit(e[1])
    assert e[2] == 1 and e[3] == -1 and np.isnan(e[4])
    c = _special.erfc(x)
    assert list(c[:4]) == [1.0, 1.0, 0.0, 2.0] and np.isnan(c[4])
    y = np.array([0.0, -0.0, 1.0, -1.0, 1.5, -2.0, np.nan, np.inf])
    r = _special.erfinv(y)
    assert r[0] == 0 and np.signbit(r[1]) and r[2] == np.inf and r[3] == -np.inf
    assert np.isnan(r[4:]).all()


def test_dtypes_and_shapes_preserved():
    for dt in (np.float32, np.float64, np.float16):
        for shape in [(), (0,), (3, 0), (2, 3)]:
            a = np.full(shape, 0.3, dtype=dt)
            for f in (_special.erf, _special.erfc, _special.erfinv):
                out = f(a)
                assert out.dtype == dt and out.shape == shape


def test_erfinv_inverts_erf():
    y = np.concatenate([RNG.uniform(-1, 1, 5000), 1 - np.logspace(-16, -1, 200), -1 + np.logspace(-16, -1, 200)])
    x = _special.erfinv(y)
    back = _special.erf(x)
    assert np.max(np.abs(back - y)) < 4e-16
    # near +-1 the residual is measured where it is well conditioned: 1 - y against erfc(x)
    tail = y > 0.9
    assert np.max(np.abs(_special.erfc(x[tail]) - (1 - y[tail])) / (1 - y[tail])) < 1e-13


@needs_torch
@pytest.mark.parametrize("name", ["erf", "erfc"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_erf_erfc_vs_torch(name, dtype):
    with np.errstate(over="ignore"):
        x = _erf_points().astype(dtype)
    e = getattr(ember, name)(ember.tensor(x))
    t = getattr(torch, name)(torch.tensor(x))
    assert str(e.dtype) == f"ember.{dtype}"
    ev, tv = e.numpy(), t.numpy()
    assert np.array_equal(np.isnan(ev), np.isnan(tv))
    if dtype == "float32":
        assert _ulp_diff(ev, tv).max() <= 1
    else:
        normal = np.abs(tv) > 1e-300
        assert np.max(np.abs(ev - tv)[normal] / np.abs(tv[normal])) < 2e-15


@needs_torch
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_erfinv_vs_torch(dtype):
    y = np.concatenate([RNG.uniform(-1, 1, 20000), 1 - np.logspace(-16, -1, 300), -1 + np.logspace(-7, -1, 300),
                        np.logspace(-300, -1, 100), [0.0, -0.0, 1.0, -1.0, 1.0000001, -3.0, np.nan, 0.7, -0.7, 0.5]])
    y = y.astype(dtype)
    e = ember.erfinv(ember.tensor(y)).numpy()
    t = torch.erfinv(torch.tensor(y)).numpy()
    assert e.dtype == t.dtype
    assert np.array_equal(np.isnan(e), np.isnan(t)) and np.array_equal(e[np.isinf(t)], t[np.isinf(t)])
    fin = np.isfinite(t)
    if dtype == "float32":
        assert _ulp_diff(e[fin], t[fin]).max() <= 1
    else:
        nz = fin & (t != 0)
        assert np.max(np.abs(e[nz] - t[nz]) / np.abs(t[nz])) < 2e-15


@needs_torch
def test_integer_input_promotes_to_float():
    for name in ("erf", "erfc", "erfinv"):
        e = getattr(ember, name)(ember.tensor([0, 1, -1]))
        t = getattr(torch, name)(torch.tensor([0, 1, -1]))
        assert_close(e, t)


@needs_torch
@pytest.mark.parametrize("name,lo,hi", [("erf", -3, 3), ("erfc", -3, 3), ("erfinv", -0.95, 0.95)])
def test_gradients_vs_torch(name, lo, hi):
    x = RNG.uniform(lo, hi, (4, 5))
    e = ember.tensor(x, requires_grad=True)
    t = torch.tensor(x, requires_grad=True)
    getattr(ember, name)(e).sum().backward()
    getattr(torch, name)(t).sum().backward()
    assert_close(e.grad, t.grad, rtol=1e-12, atol=1e-14)
    assert getattr(ember, name)(e).grad_fn.name() == getattr(torch, name)(t).grad_fn.name()


@pytest.mark.parametrize("name,lo,hi", [("erf", -2, 2), ("erfc", -2, 2), ("erfinv", -0.9, 0.9)])
def test_gradcheck(name, lo, hi):
    x = ember.tensor(RNG.uniform(lo, hi, (3, 4)), dtype=ember.float64, requires_grad=True)
    assert ember.autograd.gradcheck(getattr(ember, name), (x,))
    assert ember.autograd.gradgradcheck(getattr(ember, name), (x,))


def test_vectorised_speed():
    """No per-element Python: a million values in well under a second."""
    import time
    x = RNG.normal(size=1_000_000)
    t0 = time.perf_counter()
    _special.erf(x)
    _special.erfc(x)
    assert time.perf_counter() - t0 < 1.0
