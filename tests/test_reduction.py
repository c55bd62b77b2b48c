"""Reductions vs torch: values, dtypes, shapes, gradients, grad_fn names, errors; gradcheck in float64."""
import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st, HealthCheck

import ember
from tests.helpers import needs_torch, assert_close, raises_like, torch

RNG = np.random.default_rng(0)


def distinct(*shape, dtype=np.float64):
    """Values without ties (so argmax / median / sort indices are unambiguous)."""
    n = math.prod(shape)
    return (RNG.permutation(n).reshape(shape) * 0.37 - n * 0.1).astype(dtype)


def _outs(r):
    if isinstance(r, (tuple, list)):
        return list(r)
    return [r]


def compare(name, arr, *args, grad=True, method=False, rtol=1e-5, atol=1e-6, **kwargs):
    """Run ember.<name> and torch.<name> on the same values: outputs, then gradients of float outputs."""
    e = ember.tensor(arr)
    t = torch.tensor(arr)
    diff = grad and arr.dtype.kind == "f"
    if diff:
        e.requires_grad_(True)
        t.requires_grad_(True)
    if method:
        er, tr = getattr(e, name)(*args, **kwargs), getattr(t, name)(*args, **kwargs)
    else:
        er, tr = getattr(ember, name)(*args and (e,) + args or (e,), **kwargs), \
            getattr(torch, name)(*args and (t,) + args or (t,), **kwargs)
    eo, to = _outs(er), _outs(tr)
    assert type(er).__name__ == type(tr).__name__ or isinstance(tr, tuple) and isinstance(er, tuple)
    assert_close(eo, to, rtol=rtol, atol=atol)
    if diff:
        for a, b in zip(eo, to):
            if b.grad_fn is not None:
                assert a.grad_fn is not None and a.grad_fn.name() == b.grad_fn.name()
            else:
                assert a.grad_fn is None
        pairs = [(a, b) for a, b in zip(eo, to) if b.requires_grad]
        if pairs:
            es, ts = 0, 0
            for a, b in pairs:
                w = RNG.standard_normal(tuple(b.shape)).astype(arr.dtype)
                es = es + (a * ember.tensor(w)).sum()
                ts = ts + (b * torch.tensor(w)).sum()
            es.backward()
            ts.backward()
            if t.grad is None:
                assert e.grad is None
            else:
                assert_close(e.grad, t.grad, rtol=rtol, atol=atol)
    return er, tr


def gradcheck(fn, arr):
    x = ember.tensor(arr, dtype=ember.float64, requires_grad=True)
    assert ember.autograd.gradcheck(fn, (x,), eps=1e-6, atol=1e-5, rtol=1e-4)


# -- sum / mean -----------------------------------------------------------------------------------

@needs_torch
@pytest.mark.parametrize("args,kw", [((), {}), ((0,), {}), ((1,), {"keepdim": True}), (((0, 2),), {}),
                                     ((-1,), {}), (([],), {}), (((-3, -1),), {"keepdim": True})])
@pytest.mark.parametrize("name", ["sum", "mean", "nansum"])
def test_sum_mean_dims(name, args, kw):
    compare(name, RNG.standard_normal((2, 3, 4)).astype(np.float32), *args, **kw)


@needs_torch
@pytest.mark.parametrize("dt", [np.int8, np.int32, np.int64, np.uint8, np.bool_, np.float16, np.float64])
def test_sum_dtypes(dt):
    arr = (RNG.standard_normal((3, 4)) * 5).astype(dt)
    tol = {"rtol": 2e-3, "atol": 1e-3} if dt == np.float16 else {}
    compare("sum", arr, **tol)
    compare("sum", arr, 1, **tol)
    compare("nansum", arr, 0, **tol)
    compare("prod", arr, 1, **tol)
    compare("cumsum", arr, 0, **tol)
    compare("cumprod", arr, 1, **tol)


@needs_torch
def test_sum_dtype_arg():
    arr = RNG.standard_normal((3, 4)).astype(np.float32)
    e, t = ember.tensor(arr, requires_grad=True), torch.tensor(arr, requires_grad=True)
    er, tr = e.sum(dtype=ember.float64), t.sum(dtype=torch.float64)
    assert_close(er, tr)
    assert er.grad_fn.name() == tr.grad_fn.name()
    er.backward()
    tr.backward()
    assert_close(e.grad, t.grad)
    assert_close(ember.tensor(arr * 10).sum(dtype=ember.int32), torch.tensor(arr * 10).sum(dtype=torch.int32))
    i = np.arange(6).reshape(2, 3)
    assert_close(ember.tensor(i).sum(1, dtype=ember.float32), torch.tensor(i).sum(1, dtype=torch.float32))
    assert_close(ember.tensor(i).mean(dtype=ember.float64), torch.tensor(i).mean(dtype=torch.float64))
    assert_close(ember.tensor(i).cumsum(0, dtype=ember.float32), torch.tensor(i).cumsum(0, dtype=torch.float32))
    assert_close(ember.tensor(i).prod(dtype=ember.float32), torch.tensor(i).prod(dtype=torch.float32))


@needs_torch
def test_empty_and_0d():
    e = np.zeros((0, 3), np.float32)
    for name, args in [("sum", ()), ("sum", (0,)), ("sum", (1,)), ("mean", ()), ("mean", (0,)), ("prod", ()),
                       ("prod", (0,)), ("nansum", ()), ("cumsum", (0,)), ("cumprod", (1,)), ("logsumexp", (0,)),
                       ("logsumexp", (1,)), ("norm", ()), ("amax", (1,)), ("all", ()), ("any", (0,)),
                       ("count_nonzero", ()), ("median", ())]:
        compare(name, e, *args, grad=False)
    z = np.array(2.5)
    for name, args in [("sum", ()), ("sum", (0,)), ("mean", (-1,)), ("prod", (0,)), ("cumsum", (0,)),
                       ("cumprod", (0,)), ("logsumexp", (0,)), ("amax", (0,)), ("norm", ()), ("max", (0,)),
                       ("median", (0,)), ("mode", (0,)), ("cummax", (0,)), ("var", (0,)), ("argmax", (0,))]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compare(name, z, *args)


@needs_torch
def test_mean_int_errors():
    i = np.arange(6).reshape(2, 3)
    raises_like(lambda: torch.tensor(i).mean(), lambda: ember.tensor(i).mean())
    raises_like(lambda: torch.tensor(i * 1.).mean(dtype=torch.int64), lambda: ember.tensor(i * 1.).mean(dtype=ember.int64))
    raises_like(lambda: torch.tensor(i).nanmean(), lambda: ember.tensor(i).nanmean())
    raises_like(lambda: torch.tensor(i).var(), lambda: ember.tensor(i).var())
    raises_like(lambda: torch.std_mean(torch.tensor(i)), lambda: ember.std_mean(ember.tensor(i)))
    raises_like(lambda: torch.tensor(i).norm(), lambda: ember.tensor(i).norm())


@needs_torch
def test_dim_errors():
    a = RNG.standard_normal((3, 4)).astype(np.float32)
    e, t = ember.tensor(a), torch.tensor(a)
    for f in [lambda m, x: x.sum(2), lambda m, x: x.mean(-3), lambda m, x: x.sum((0, 0)), lambda m, x: x.amax((1, -1)),
              lambda m, x: x.max(2), lambda m, x: x.argmax(5), lambda m, x: x.cumsum(2), lambda m, x: x.var(3),
              lambda m, x: x.count_nonzero((0, 0)), lambda m, x: x.cumsum(), lambda m, x: x.logsumexp()]:
        raises_like(lambda: f(torch, t), lambda: f(ember, e))


# -- nanmean / nansum with NaNs --------------------------------------------------------------------

@needs_torch
@pytest.mark.parametrize("name", ["nansum", "nanmean"])
@pytest.mark.parametrize("args", [(), (0,), (1,), ((0, 1),)])
def test_nan_reductions(name, args):
    a = RNG.standard_normal((4, 5))
    a[a > 0.8] = np.nan
    a[:, 2] = np.nan
    compare(name, a, *args)
    compare(name, a.astype(np.float32), *args, keepdim=True)


# -- prod ---------------------------------------------------------------------------------------------

@needs_torch
@pytest.mark.parametrize("args", [(), (0,), (1,), (-1,)])
def test_prod_zeros(args):
    a = RNG.standard_normal((4, 5))
    a[0, 1] = 0          # one zero in row 0 / column 1
    a[2, 3] = a[2, 4] = 0  # two zeros in row 2
    a[3, 3] = 0          # two zeros in column 3
    compare("prod", a, *args)
    compare("prod", RNG.standard_normal((4, 5)), *args)
    compare("prod", a, *args, keepdim=True) if args else None
    b = np.ones((3, 2))
    b[1, 0] = 0
    compare("prod", b)
    b[2, 1] = 0
    compare("prod", b)


def test_prod_gradcheck():
    a = RNG.standard_normal((3, 4))
    gradcheck(lambda x: x.prod(), a)
    gradcheck(lambda x: x.prod(1), a)
    a[1, 2] = 0
    gradcheck(lambda x: x.prod(1, keepdim=True), a)
    gradcheck(lambda x: x.prod(0), a)
    gradcheck(lambda x: x.prod(), a)


# -- max / min / amax / argmax -----------------------------------------------------------------------

@needs_torch
@pytest.mark.parametrize("name", ["max", "min"])
def test_max_min(name):
    a = distinct(3, 4, 5)
    compare(name, a)
    for d in (0, 1, -1):
        compare(name, a, d)
        compare(name, a, d, keepdim=True)
        compare(name, a, dim=d, keepdim=True, method=True)
    b = distinct(4, 5)
    e1, e2 = ember.tensor(a[0], requires_grad=True), ember.tensor(b)
    t1, t2 = torch.tensor(a[0], requires_grad=True), torch.tensor(b)
    er, tr = getattr(ember, name)(e1, e2), getattr(torch, name)(t1, t2)
    assert_close(er, tr)
    assert er.grad_fn.name() == tr.grad_fn.name()
    assert_close(getattr(e1, name)(other=e2), getattr(t1, name)(other=t2))


@needs_torch
def test_max_ties_and_types():
    a = np.array([[1., 3, 3, 2], [5, 5, 0, 5]])
    compare("max", a)           # full reduction: ties share the gradient evenly
    compare("min", a)
    compare("amax", a, 1)
    compare("amin", a, (0, 1))
    compare("argmax", a, 1)     # first occurrence
    compare("argmin", a)
    e, t = ember.tensor(a), torch.tensor(a)
    assert_close(e.max(1).indices, t.max(1).indices)
    n = np.array([1., np.nan, 2, np.nan])
    compare("max", n)
    compare("max", n, 0)
    compare("argmax", n, grad=False)
    compare("argmin", n, grad=False)
    for dt in (np.int32, np.uint8, np.bool_, np.int64):
        b = (a * 1).astype(dt)
        compare("max", b)
        compare("min", b, 1)
        compare("amax", b, 0)
    raises_like(lambda: torch.tensor([True]).argmax(), lambda: ember.tensor([True]).argmax())


@needs_torch
@pytest.mark.parametrize("name", ["amax", "amin"])
def test_amax(name):
    a = distinct(2, 3, 4)
    for args in [(), (0,), ((0, 2),), ((-1, 1),)]:
        compare(name, a, *args)
        compare(name, a, *args, keepdim=True)
    gradcheck(lambda x: getattr(x, name)((0, 2)), a)


@needs_torch
def test_argmax_argmin():
    a = distinct(3, 4, 2)
    for f in ("argmax", "argmin"):
        compare(f, a)
        compare(f, a, keepdim=True)
        compare(f, a, 1)
        compare(f, a, -1, keepdim=True)
        assert getattr(ember.tensor(a), f)().dtype is ember.int64


@needs_torch
def test_minmax_empty_errors():
    e, t = ember.empty(0, 3), torch.empty(0, 3)
    for f in [lambda x: x.max(), lambda x: x.min(), lambda x: x.max(0), lambda x: x.min(0), lambda x: x.amax(),
              lambda x: x.amax(0), lambda x: x.amin(0), lambda x: x.argmax(), lambda x: x.argmax(0),
              lambda x: x.median(0), lambda x: x.mode(0), lambda x: x.kthvalue(1, 0), lambda x: x.nanmedian(0)]:
        raises_like(lambda: f(t), lambda: f(e))
    raises_like(lambda: torch.aminmax(t), lambda: ember.aminmax(e))
    raises_like(lambda: torch.aminmax(t, dim=0), lambda: ember.aminmax(e, dim=0))
    assert_close(e.max(1).values, t.max(1).values)
    assert_close(e.max(1).indices, t.max(1).indices)
    assert_close(ember.aminmax(e, dim=1).max, torch.aminmax(t, dim=1).max)


@needs_torch
def test_return_type_repr_and_fields():
    a = distinct(3, 4)
    r = ember.tensor(a).max(0)
    assert type(r).__module__ == "ember.return_types" and type(r).__name__ == "max"
    v, i = r
    assert v is r.values and i is r.indices and r[0] is v
    assert repr(r).startswith("ember.return_types.max(\nvalues=tensor(") and "\nindices=tensor(" in repr(r)
    assert isinstance(r, tuple) and len(r) == 2
    m = ember.aminmax(ember.tensor(a))
    assert m.min.item() == a.min() and m.max.item() == a.max()


@needs_torch
def test_aminmax():
    a = np.array([[1., 3, 3, 2], [0, 0, 4, 1], [7, 2, 1, 7]])
    compare("aminmax", a)
    compare("aminmax", a, dim=1)
    compare("aminmax", a, dim=0, keepdim=True)
    gradcheck(lambda x: ember.aminmax(x, dim=1)[0] * 2 + ember.aminmax(x, dim=1)[1], distinct(3, 4))


# -- var / std --------------------------------------------------------------------------------------

@needs_torch
@pytest.mark.parametrize("name", ["var", "std", "var_mean", "std_mean"])
def test_var_std(name):
    a = RNG.standard_normal((3, 4, 5))
    for args, kw in [((), {}), ((0,), {}), ((1,), {"keepdim": True}), (((0, 2),), {}), ((-1,), {"unbiased": False}),
                     ((1,), {"correction": 0}), ((1,), {"correction": 2, "keepdim": True}), ((None,), {"correction": 3})]:
        compare(name, a, *args, **kw)
        compare(name, a.astype(np.float32), *args, **kw, rtol=1e-4, atol=1e-5)
    compare(name, a, False)
    compare(name, a, 1, False, True)


@needs_torch
def test_var_degenerate():
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        compare("std", np.ones(1))
        compare("var", np.zeros((0, 3)), grad=False)
        compare("var", np.ones((2, 1)), 1)
    assert any("degrees of freedom is <= 0" in str(x.message) for x in w)
    compare("std", np.ones((3, 2)), 0)   # zero std: gradient 0, not nan


def test_var_std_gradcheck():
    a = RNG.standard_normal((3, 4))
    gradcheck(lambda x: x.var(1), a)
    gradcheck(lambda x: x.std(0, correction=0), a)
    gradcheck(lambda x: ember.var_mean(x, 1)[0] + ember.var_mean(x, 1)[1] * 3, a)
    gradcheck(lambda x: ember.std_mean(x, (0, 1))[0] - ember.std_mean(x, (0, 1))[1], a)


def test_var_double_backward():
    x = ember.tensor(RNG.standard_normal(5), requires_grad=True)
    assert ember.autograd.gradgradcheck(lambda t: t.var(), (x,))
    assert ember.autograd.gradgradcheck(lambda t: t.std(), (x,))
    assert ember.autograd.gradgradcheck(lambda t: t.prod(), (x,))
    assert ember.autograd.gradgradcheck(lambda t: t.logsumexp(0), (x,))
    assert ember.autograd.gradgradcheck(lambda t: t.cumprod(0), (x,))


# -- median / nanmedian / mode ----------------------------------------------------------------------

@needs_torch
def test_median():
    a = distinct(4, 5)
    compare("median", a)
    compare("median", distinct(6))
    for d in (0, 1, -1):
        compare("median", a, d)
        compare("median", a, d, keepdim=True)
    t = np.array([2., 3, 3, 2])
    compare("median", t)
    n = np.array([[1., np.nan, 3, 2], [4, 1, 2, 0]])
    compare("median", n)
    compare("median", n, 1)
    compare("median", np.arange(12).reshape(3, 4), 1)


@needs_torch
def test_nanmedian():
    n = np.array([[1., np.nan, 3, 2], [4, 1, np.nan, 0], [5, 6, 7, 8]])
    compare("nanmedian", n)
    compare("nanmedian", n, 1)
    compare("nanmedian", n, 0, keepdim=True)
    compare("nanmedian", distinct(3, 4), 1)


@needs_torch
def test_mode():
    compare("mode", np.array([3, 1, 3, 1, 2]))
    compare("mode", np.array([3., 1, 3, 1, 2, 1, 3]))
    a = RNG.integers(0, 4, (5, 7)).astype(np.float64)
    compare("mode", a)
    compare("mode", a, 0)
    compare("mode", a, 0, keepdim=True)


def test_select_gradcheck():
    a = distinct(3, 5)
    gradcheck(lambda x: x.max(1)[0], a)
    gradcheck(lambda x: x.min(0, keepdim=True)[0], a)
    gradcheck(lambda x: x.max(), a)
    gradcheck(lambda x: x.median(), a)
    gradcheck(lambda x: x.median(1)[0], a)
    gradcheck(lambda x: x.nanmedian(0)[0], a)
    gradcheck(lambda x: x.mode(1)[0], a)
    gradcheck(lambda x: x.amin(), a)


def test_select_double_backward():
    x = ember.tensor(distinct(3, 4), requires_grad=True)
    g = ember.tensor(np.ones(3))
    v = x.max(1).values
    (gx,) = ember.autograd.grad(v, x, g, create_graph=True)
    (gx * x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), gx.detach().numpy())


# -- norm ----------------------------------------------------------------------------------------------

@needs_torch
@pytest.mark.parametrize("p", [2, 1, 3, 0.5, 1.5, 0, math.inf, -math.inf, "fro"])
def test_norm(p):
    a = RNG.standard_normal((3, 4))
    a[0, 0] = 0
    compare("norm", a, p)
    compare("norm", a, p, 1)
    compare("norm", a, p, (0, 1), True)
    compare("norm", a.astype(np.float32), p, 0, rtol=1e-4)
    z = np.zeros((2, 3))
    compare("norm", z, p, 1)


@needs_torch
def test_norm_misc():
    a = RNG.standard_normal((3, 4))
    compare("norm", a, "nuc")
    compare("norm", RNG.standard_normal((2, 3, 4)), "nuc", (0, 2))
    b3 = RNG.standard_normal((2, 3, 4))
    assert_close(ember.tensor(b3).norm("nuc", (2, 0), keepdim=True), torch.tensor(b3).norm("nuc", (2, 0), keepdim=True))
    a32 = a.astype(np.float32)
    assert_close(ember.tensor(a32).norm(dtype=ember.float64), torch.tensor(a32).norm(dtype=torch.float64))
    raises_like(lambda: torch.tensor(a).norm(dtype=torch.float32), lambda: ember.tensor(a).norm(dtype=ember.float32))
    raises_like(lambda: torch.tensor(a).norm("abc"), lambda: ember.tensor(a).norm("abc"))
    raises_like(lambda: torch.ones(3).norm("nuc"), lambda: ember.ones(3).norm("nuc"))
    raises_like(lambda: torch.empty(0).norm(math.inf), lambda: ember.empty(0).norm(math.inf))
    b = np.array([2., -3, 3, 1])
    compare("norm", b, math.inf)   # ties split the gradient


@pytest.mark.parametrize("p", [2, 1, 3, 1.5, 0.5, math.inf])
def test_norm_gradcheck(p):
    gradcheck(lambda x: x.norm(p, 1), RNG.standard_normal((3, 4)) + 0.1)


def test_nuc_gradcheck():
    gradcheck(lambda x: x.norm("nuc"), RNG.standard_normal((3, 4)))


# -- logsumexp -----------------------------------------------------------------------------------------

@needs_torch
def test_logsumexp():
    a = RNG.standard_normal((3, 4)) * 50
    compare("logsumexp", a, 1)
    compare("logsumexp", a, (0, 1))
    compare("logsumexp", a, 0, True)
    compare("logsumexp", a.astype(np.float32) * 20, -1, rtol=1e-5)
    b = np.array([[-np.inf, 0.], [np.inf, 1.], [1000., 1000.]])
    compare("logsumexp", b, 1, grad=False)
    compare("logsumexp", np.arange(6).reshape(2, 3), 1)
    gradcheck(lambda x: x.logsumexp(1), a / 50)


# -- cumulative ------------------------------------------------------------------------------------------

@needs_torch
@pytest.mark.parametrize("name", ["cumsum", "cumprod"])
def test_cumsum_cumprod(name):
    a = RNG.standard_normal((3, 4, 5))
    for d in (0, 1, -1):
        compare(name, a, d)
        compare(name, a.astype(np.float32), d, rtol=1e-4)
    ember_t = ember.tensor(a)
    getattr(ember_t, name + "_")(1)
    assert_close(ember_t, getattr(torch.tensor(a), name)(1))


@needs_torch
def test_cumprod_zeros():
    a = RNG.standard_normal((4, 6))
    a[0, 2] = 0
    a[1, 1] = a[1, 4] = 0
    a[2, 0] = 0
    a[3, 5] = 0
    compare("cumprod", a, 1)
    compare("cumprod", a, 0)
    gradcheck(lambda x: x.cumprod(1), a)
    gradcheck(lambda x: x.cumprod(0), a)


def test_cum_gradcheck():
    a = RNG.standard_normal((3, 4))
    gradcheck(lambda x: x.cumsum(1), a)
    gradcheck(lambda x: x.cumprod(0), a)
    gradcheck(lambda x: x.cummax(1)[0], distinct(3, 4))
    gradcheck(lambda x: x.cummin(0)[0], distinct(3, 4))


@needs_torch
@pytest.mark.parametrize("name", ["cummax", "cummin"])
def test_cummax(name):
    a = distinct(4, 5)
    compare(name, a, 1)
    compare(name, a, 0)
    t = np.array([[1., 3, 3, 2, 5, 1], [2, 2, 1, 1, 0, 0]])  # ties: index of the last tie, gradient shared
    compare(name, t, 1)
    compare(name, np.array([1., np.nan, 3, np.nan, 0]), 0)
    compare(name, np.array([[True, False, True], [False, True, True]]), 0)
    compare(name, np.arange(6).reshape(2, 3), -1)


# -- all / any / count_nonzero -----------------------------------------------------------------------

@needs_torch
@pytest.mark.parametrize("dt", [np.float32, np.int64, np.uint8, np.bool_])
def test_all_any_count(dt):
    a = RNG.integers(0, 3, (3, 4, 2)).astype(dt)
    for args, kw in [((), {}), ((0,), {}), ((1,), {"keepdim": True}), (((0, 2),), {}), ((-1,), {})]:
        compare("all", a, *args, **kw, grad=False)
        compare("any", a, *args, **kw, grad=False)
    for args in [(), (0,), ((0, 2),), (-1,)]:
        compare("count_nonzero", a, *args, grad=False)


# -- hypothesis --------------------------------------------------------------------------------------

@st.composite
def shape_and_dims(draw):
    nd = draw(st.integers(1, 4))
    shape = tuple(draw(st.lists(st.integers(1, 4), min_size=nd, max_size=nd)))
    dims = draw(st.lists(st.integers(-nd, nd - 1), unique_by=lambda d: d % nd, min_size=1, max_size=nd))
    return shape, tuple(dims), draw(st.booleans())


@needs_torch
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(shape_and_dims())
def test_hypothesis_multi_dim(sd):
    shape, dims, keepdim = sd
    a = distinct(*shape)
    compare("sum", a, dims, keepdim=keepdim)
    compare("mean", a, dims, keepdim=keepdim)
    compare("amax", a, dims, keepdim=keepdim)
    compare("var", a, dims, keepdim=keepdim) if math.prod(shape[d] for d in dims) > 1 else None


@needs_torch
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(shape_and_dims())
def test_hypothesis_one_dim(sd):
    shape, dims, keepdim = sd
    a = distinct(*shape)
    d = dims[0]
    compare("max", a, d, keepdim=keepdim)
    compare("cumsum", a, d)
    compare("sum", a.astype(np.int32), d, keepdim=keepdim)


def test_basic_gradcheck():
    a = RNG.standard_normal((3, 4))
    gradcheck(lambda x: x.sum(), a)
    gradcheck(lambda x: x.sum((0, 1), keepdim=True), a)
    gradcheck(lambda x: x.mean(1), a)
    gradcheck(lambda x: x.sum(0, dtype=ember.float64) * x.mean(), a)
    n = a.copy()
    n[1, 2] = np.nan
    gradcheck(lambda x: x.nansum(1), n)
    gradcheck(lambda x: x.nanmean(0), n)
