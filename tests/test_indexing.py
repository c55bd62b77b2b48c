"""Indexing vs torch: getitem/setitem (views, advanced indices, autograd), gather/scatter family,
index_* ops, masked ops, nonzero, take/put, *_scatter; gradients, gradcheck and error messages."""
import warnings

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st, HealthCheck

import ember
from ember.autograd import gradcheck
from tests.helpers import needs_torch, assert_close, raises_like, torch

warnings.filterwarnings("ignore", message="Using a non-tuple sequence")
warnings.filterwarnings("ignore", message="indexing with dtype torch.uint8")


class T:
    """A tensor inside an index, built for whichever library runs it."""

    def __init__(self, data, dtype="int64"):
        self.data, self.dtype = data, dtype

    def make(self, mod):
        return mod.tensor(self.data, dtype=getattr(mod, self.dtype))

    def __repr__(self):  # stable test ids (parallel runners compare them across processes)
        return f"T({self.data!r}, {self.dtype})"


def conv(idx, mod):
    if isinstance(idx, T):
        return idx.make(mod)
    if isinstance(idx, tuple):
        return tuple(conv(i, mod) for i in idx)
    if isinstance(idx, list):
        return [conv(i, mod) for i in idx]
    return idx


def base(shape=(3, 4, 5), dtype=np.float32, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def both(arr, requires_grad=False):
    e = ember.tensor(arr, requires_grad=requires_grad)
    t = torch.tensor(arr, requires_grad=requires_grad)
    return e, t


def gf_name(x):
    return None if x.grad_fn is None else type(x.grad_fn).__name__


M = T([[True, False, True, True], [False, False, True, False], [True, True, True, True]], "bool")

GETITEM_CASES = [
    0, -1, 2, (0, 1), (0, 1, 2), (-1, -2, -3), slice(1, None), slice(None), slice(None, None, 2),
    slice(-10, 2), slice(10, None), slice(2, 1), (0, slice(1, None)), (slice(1, None), 0), None, Ellipsis,
    (Ellipsis, 0), (0, Ellipsis), (None, 0), (slice(None), None, 1), (None, Ellipsis, None), (slice(None), slice(None)),
    (slice(1, 2), slice(3, 4)), (Ellipsis, None, slice(None)), (0, None, slice(None), slice(None)),
    (None, slice(1, 3)), (slice(0, 100), 0), (Ellipsis, 0, Ellipsis), T(1), T(-1), (T(1), T(2)),
    (slice(1, None, 2), T(0, "int32")),
    # advanced
    [0, 1], [2, 0, 2], T([0, 2, 0]), T([[0, 1], [2, 2]]), T([0, 1], "int32"), T([True, False, True], "bool"),
    M, (M, T([0, 4, 1, 2, 3, 0, 1, 2])), (slice(None), T([True, False, True, False], "bool")),
    (slice(None), [0, 1], [1, 2]), ([0, 1], slice(None), [1, 2]), (0, slice(None), [0, 1]), ([0, 1], slice(None), 0),
    ([0, 1], 0), (1, T([0, 1])), (slice(None), 1, [0, 1]), (T([[0]]), T([0, 1, 2])), (T([[0]]), slice(None), [1, 2]),
    (None, [0, 1]), (None, [0, 1], None, [0, 1]), ([0, 1], None), ([0, 1], None, [1, 2]), (0, None, [1, 2]),
    ([0, 1], Ellipsis, [1, 2]), (Ellipsis, [1, 2]), ([0, 1], slice(1, 3), [1, 2]), True, False, (True, 0),
    T(True, "bool"), ([-1, -3], slice(None), [-5]), T([], "int64"), [], (slice(None), T([-1, -4])),
    [0, 1.0], [True, False, True], [1, slice(None)], [[0, 1]], [T(0), 1],
    (T([0, 1]), slice(1, 3), T([[1], [2]])), (slice(1, None), T([[True, False] * 2 + [True]] * 4, "bool")),
]


@needs_torch
@pytest.mark.parametrize("idx", GETITEM_CASES, ids=[repr(i)[:40] for i in GETITEM_CASES])
def test_getitem_matches_torch(idx):
    arr = base()
    e, t = both(arr, requires_grad=True)
    re_, rt = e[conv(idx, ember)], t[conv(idx, torch)]
    assert_close(re_, rt)
    assert gf_name(re_) == gf_name(rt)
    # basic indices give views of the base, advanced ones copies
    assert (re_._base is e) == (rt._base is t)
    g = np.random.default_rng(1).standard_normal(tuple(rt.shape)).astype(np.float32)
    re_.backward(ember.tensor(g))
    rt.backward(torch.tensor(g))
    assert_close(e.grad, t.grad)


@needs_torch
def test_getitem_zero_dim():
    for idx in (Ellipsis, None, True, False, T(True, "bool"), (None, None)):
        e, t = both(np.float32(2.5), requires_grad=True)
        re_, rt = e[conv(idx, ember)], t[conv(idx, torch)]
        assert_close(re_, rt)
        re_.sum().backward()
        rt.sum().backward()
        assert_close(e.grad, t.grad)


@needs_torch
@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.bool_, np.float64, np.uint8, np.float16])
def test_getitem_dtypes(dtype):
    arr = (base() * 3).astype(dtype)
    e, t = both(arr)
    for idx in (0, (slice(None), 1), [0, 2], (T([0, 1]), slice(None), T([1, 2])), M):
        assert_close(e[conv(idx, ember)], t[conv(idx, torch)])


ERROR_CASES = [5, -4, (slice(None), 7), (0, 0, 0, 0), 1.5, T(1.0, "float32"), [0, 5], T([3]),
               (slice(None), T([-5])), (slice(None), slice(None), [7]), ([0], [7]), ([0], [1], [7]), ([0], slice(None), [7]),
               (1, slice(None), [-7]), ([0, 1], [0, 1, 2]), T([True], "bool"), T([1, 0], "uint8"),
               (slice(None), T([True, False, True], "bool")), T([[True] * 4] * 2, "bool"), slice(None, None, -1),
               slice(1, 2, 0), {1: 2}, (None, 7), (0, 1.0), T([0], "int16"),
               (1, T([[True, False, True]] * 2, "bool")), slice(0.0, 1)]


@needs_torch
@pytest.mark.parametrize("idx", ERROR_CASES, ids=[repr(i)[:40] for i in ERROR_CASES])
def test_getitem_errors(idx):
    e, t = both(base())
    raises_like(lambda: t[conv(idx, torch)], lambda: e[conv(idx, ember)])


@needs_torch
def test_getitem_zero_dim_errors():
    e, t = both(np.float32(1.0))
    for idx in (0, [0], slice(None), T(0)):
        raises_like(lambda: t[conv(idx, torch)], lambda: e[conv(idx, ember)])


def test_basic_index_is_view_advanced_is_copy():
    x = ember.arange(12.).reshape(3, 4).clone()
    v = x[1]
    v[0] = 100.
    assert x[1, 0].item() == 100.
    s = x[:, 1::2]
    s.mul_(0)
    assert x[0, 1].item() == 0 and x[0, 3].item() == 0 and x[0, 2].item() == 2
    e = x[1, 2]  # a 0-d result is still a view
    e.copy_(ember.tensor(-1.))
    assert x[1, 2].item() == -1.
    a = x[[0, 1]]
    a[0, 0] = 55.
    assert x[0, 0].item() != 55.
    m = x[x > 5]
    m[0] = 1000.
    assert (x != 1000.).all().item()
    assert x[...]._base is x and x[None]._base is x


def test_setitem_bumps_version_and_checks_saved_tensors():
    x = ember.ones(3, requires_grad=True)
    y = x * 2
    z = y.sin()  # saves y
    v0 = y._version
    y[0] = 5.
    assert y._version == v0 + 1
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        z.sum().backward()
    w = ember.zeros(2, 3)
    v = w._version
    w[[0, 1], [1, 2]] = 3.
    assert w._version == v + 1


SETITEM_CASES = [
    (0, 1.5), (0, [[1.0] * 5] * 4), ((0, 1), [2.0] * 5), (slice(1, None), "v"), ((slice(None), 1), [[9.0] * 5]),
    (Ellipsis, 3.0), ((slice(None), slice(None)), 2.0), (None, 7.0), ([0, 2], 4.0), (T([0, 2]), "v"),
    (M, 1.0), (M, "v"), ((slice(None), [0, 1], [1, 2]), "v"), ((0, slice(None), [0, 1]), "v"),
    (([0, 1], slice(None), 0), "v"), ((T([[0]]), T([0, 1, 2])), "v"), ([[0, 1]], "v"), ((1, [0, 1]), "v"),
    ((slice(None), T([True, False, True, False], "bool")), "v"), (True, "v"), ((0, 1, 2), 3.0), (T(1), "v"),
    ((Ellipsis, [1, 2]), "v"), ((None, [0, 1]), "v"), ((0, None, [1, 2]), "v"), ([-1], "v"),
]


def _value(v, target_shape, mod, rg):
    if v == "v":
        arr = np.random.default_rng(3).standard_normal(target_shape).astype(np.float32)
        return mod.tensor(arr, requires_grad=rg)
    if isinstance(v, list):
        return mod.tensor(v, requires_grad=rg)
    return v


@needs_torch
@pytest.mark.parametrize("idx,v", SETITEM_CASES, ids=[repr(c)[:40] for c in SETITEM_CASES])
def test_setitem_matches_torch(idx, v):
    arr = base()
    # no autograd
    e, t = both(arr)
    target = tuple(t[conv(idx, torch)].shape)
    t[conv(idx, torch)] = _value(v, target, torch, False)
    e[conv(idx, ember)] = _value(v, target, ember, False)
    assert_close(e, t)
    # with autograd through self and value
    e0, t0 = both(arr, requires_grad=True)
    ev, tv = _value(v, target, ember, True), _value(v, target, torch, True)
    e1, t1 = e0 * 2, t0 * 2
    e1[conv(idx, ember)] = ev
    t1[conv(idx, torch)] = tv
    assert_close(e1, t1)
    assert gf_name(e1) == gf_name(t1)
    g = np.random.default_rng(2).standard_normal(arr.shape).astype(np.float32)
    (e1 * ember.tensor(g)).sum().backward()
    (t1 * torch.tensor(g)).sum().backward()
    assert_close(e0.grad, t0.grad)
    if isinstance(tv, torch.Tensor):
        assert_close(ev.grad, tv.grad)


@needs_torch
def test_setitem_on_view_and_into_constant():
    arr = base((3, 4))
    e0, t0 = both(arr, requires_grad=True)
    e1, t1 = e0 * 1, t0 * 1
    ev, tv = e1[1:], t1[1:]
    ev[0] = 3.
    tv[0] = 3.
    ev[[0, 1], [1, 2]] = 4.
    tv[[0, 1], [1, 2]] = 4.
    assert_close(e1, t1)
    (e1 * e1).sum().backward()
    (t1 * t1).sum().backward()
    assert_close(e0.grad, t0.grad)
    # a constant tensor that receives a value requiring grad gets history
    ea, ta = both(base((4,)), requires_grad=True)
    ec, tc = ember.zeros(2, 4), torch.zeros(2, 4)
    ec[0] = ea
    tc[0] = ta
    ec[1, [0, 2]] = ea[:2] * 3
    tc[1, [0, 2]] = ta[:2] * 3
    assert gf_name(ec) == gf_name(tc)
    (ec ** 2).sum().backward()
    (tc ** 2).sum().backward()
    assert_close(ea.grad, ta.grad)


@needs_torch
def test_setitem_dtype_cast_and_scalars():
    for dt, val in [(np.int64, 2.7), (np.int64, True), (np.float32, 3), (np.uint8, -1), (np.bool_, 3),
                    (np.int32, -5), (np.float16, 1e10), (np.float64, 1e300)]:
        arr = (base((3, 4)) * 4).astype(dt)
        e, t = both(arr)
        e[0] = val
        t[0] = val
        e[[1, 2], [0, 1]] = val
        t[[1, 2], [0, 1]] = val
        assert_close(e, t)
    e, t = both(np.zeros((2, 3), np.int64))
    e[0] = ember.tensor([1.7, 2.0, -3.9])
    t[0] = torch.tensor([1.7, 2.0, -3.9])
    e[1] = ember.tensor(np.ones((1, 1, 3)))
    t[1] = torch.tensor(np.ones((1, 1, 3)))
    assert_close(e, t)


@needs_torch
def test_setitem_errors():
    arr = base()

    def st(mod, idx, v):
        x = mod.tensor(arr)
        x[conv(idx, mod)] = v(mod) if callable(v) else v

    cases = [(0, lambda m: m.ones(3)), (0, lambda m: m.ones(2, 5)), (0, lambda m: m.ones(2, 4, 5)),
             (0, lambda m: m.ones(2, 4, 5, dtype=m.float64)), ([0, 1], lambda m: m.ones(3)),
             ([0, 1], lambda m: m.ones(1, 3)), ([0, 1], lambda m: m.ones(3, 4, 5)), (M, lambda m: m.ones(60)),
             ([0, 5], 1.), (5, 1.), (slice(None, None, -1), 1.), (0, 1e300), (0, 1 + 1j), (0, [1, 2]),
             (0, lambda m: np.ones(3))]
    for idx, v in cases:
        raises_like(lambda: st(torch, idx, v), lambda: st(ember, idx, v))
    for dt, val in [("int32", 2 ** 40), ("int16", 2 ** 20), ("uint8", 300), ("int8", 300), ("int32", float("nan")),
                    ("int32", 1e20)]:
        def sti(mod, dt=dt, val=val):
            x = mod.zeros(3, dtype=getattr(mod, dt))
            x[0] = val
        raises_like(lambda: sti(torch), lambda: sti(ember))


@needs_torch
def test_setitem_leaf_errors():
    for idx in (0, [0], Ellipsis, (slice(None), slice(None)), slice(None), (0, [0]), None,
                T([True, False, True], "bool")):
        def st(mod, idx=idx):
            a = mod.ones(3, 4, requires_grad=True)
            a[conv(idx, mod)] = 1.
        raises_like(lambda: st(torch), lambda: st(ember))
    # allowed under no_grad
    a = ember.ones(3, requires_grad=True)
    with ember.no_grad():
        a[0] = 5.
        a[[1]] = 6.
    assert a.tolist() == [5., 6., 1.]


def test_setitem_readonly_view():
    x = ember.zeros(3).expand(2, 3)
    with pytest.raises(RuntimeError, match="single memory location"):
        x[0] = 1.


# -- gather / scatter family ---------------------------------------------------------------------------

IDX = [[0, 1, 3], [2, 0, 0]]


def _ops():
    """(name, fn(mod, x, src) -> result); x is 3x4, src is 3x3."""
    return [
        ("gather", lambda m, x, s: m.gather(x, 1, m.tensor(IDX))),
        ("gather0", lambda m, x, s: x.gather(0, m.tensor([[2, 0, 1, 1], [0, 0, 0, 2]]))),
        ("gather_int32", lambda m, x, s: m.gather(x, -1, m.tensor(IDX, dtype=m.int32))),
        ("scatter_src", lambda m, x, s: m.scatter(x, 1, m.tensor([[0, 1, 3], [2, 1, 0]]), s[:2])),
        ("scatter_value", lambda m, x, s: x.scatter(1, m.tensor(IDX), 2.5)),
        ("scatter_add", lambda m, x, s: m.scatter_add(x, 1, m.tensor(IDX), s[:2])),
        ("scatter_add0", lambda m, x, s: x.scatter_add(0, m.tensor([[0, 0, 2], [0, 0, 0]]), s[:2])),
        ("index_select", lambda m, x, s: m.index_select(x, 0, m.tensor([2, 0, 2]))),
        ("index_select1", lambda m, x, s: x.index_select(1, m.tensor([3, 1], dtype=m.int32))),
        ("index_add", lambda m, x, s: m.index_add(x, 1, m.tensor([0, 0, 3]), s, alpha=2)),
        ("index_add0", lambda m, x, s: x.index_add(0, m.tensor([1, 1]), s[:2, :1].expand(2, 4))),
        ("index_copy", lambda m, x, s: m.index_copy(x, 1, m.tensor([3, 0, 1]), s)),
        ("index_fill", lambda m, x, s: m.index_fill(x, 1, m.tensor([0, -1]), -2.0)),
        ("index_fill_t", lambda m, x, s: x.index_fill(0, m.tensor([1, 1]), s[0, 0])),
        ("masked_fill", lambda m, x, s: m.masked_fill(x, x > 0, 0.5)),
        ("masked_fill_t", lambda m, x, s: x.masked_fill(m.tensor([True, False, True, False]), s[1, 1])),
        ("masked_fill_bcast", lambda m, x, s: m.masked_fill(x, m.ones(2, 3, 4, dtype=m.bool), 1.0)),
        ("masked_select", lambda m, x, s: m.masked_select(x, x > 0)),
        ("masked_select_bcast", lambda m, x, s: m.masked_select(x, m.tensor([True, False, True, True]))),
        ("masked_scatter", lambda m, x, s: m.masked_scatter(x, x > 0, m.cat([s.reshape(-1), s.reshape(-1)]))),
        ("take", lambda m, x, s: m.take(x, m.tensor([[0, 11], [-1, 5]]))),
        ("take_along_dim", lambda m, x, s: m.take_along_dim(x, m.tensor([[1], [2], [0]]), 1)),
        ("take_along_dim_bcast", lambda m, x, s: m.take_along_dim(x, m.tensor([[1, 0, 3]]), 1)),
        ("take_along_dim_flat", lambda m, x, s: m.take_along_dim(x, m.tensor([3, 1, 1]))),
        ("put", lambda m, x, s: x.put(m.tensor([0, 5, 11]), s[0])),
        ("put_acc", lambda m, x, s: x.put(m.tensor([0, 5, 0]), s[0], accumulate=True)),
        ("index_put", lambda m, x, s: m.index_put(x, (m.tensor([0, 2]), m.tensor([1, 3])), s[0, :2])),
        ("index_put_acc", lambda m, x, s: x.index_put((m.tensor([0, 0, 2]),), s[:, :1], accumulate=True)),
        ("index_put_mask", lambda m, x, s: x.index_put((x > 0,), s[0, 0])),
        ("select_scatter", lambda m, x, s: m.select_scatter(x, m.cat([s[0], s[1, :1]]), 0, 1)),
        ("slice_scatter", lambda m, x, s: m.slice_scatter(x, s[:, :2], 1, 0, 4, 2)),
        ("diagonal_scatter", lambda m, x, s: m.diagonal_scatter(x, s[0], 1)),
        ("diagonal_scatter_neg", lambda m, x, s: m.diagonal_scatter(x, s[0, :2], -1)),
        ("scatter_reduce_sum", lambda m, x, s: x.scatter_reduce(1, m.tensor(IDX), s[:2], "sum")),
        ("scatter_reduce_mean", lambda m, x, s: x.scatter_reduce(1, m.tensor(IDX), s[:2], "mean")),
        ("scatter_reduce_mean_ex", lambda m, x, s: x.scatter_reduce(1, m.tensor(IDX), s[:2], "mean", include_self=False)),
        ("scatter_reduce_prod", lambda m, x, s: x.scatter_reduce(1, m.tensor(IDX), s[:2], "prod")),
        ("scatter_reduce_prod_ex", lambda m, x, s: x.scatter_reduce(1, m.tensor(IDX), s[:2], "prod", include_self=False)),
        ("scatter_reduce_amax", lambda m, x, s: x.scatter_reduce(1, m.tensor(IDX), s[:2], "amax")),
        ("scatter_reduce_amin_ex", lambda m, x, s: x.scatter_reduce(1, m.tensor(IDX), s[:2], "amin", include_self=False)),
    ]


OPS = _ops()


@needs_torch
@pytest.mark.parametrize("name,fn", OPS, ids=[o[0] for o in OPS])
def test_op_matches_torch(name, fn):
    xa = base((3, 4), seed=4)
    sa = base((3, 3), seed=5)
    ex, tx = both(xa, requires_grad=True)
    es, ts = both(sa, requires_grad=True)
    re_, rt = fn(ember, ex, es), fn(torch, tx, ts)
    assert_close(re_, rt)
    assert gf_name(re_) == gf_name(rt)
    g = np.random.default_rng(6).standard_normal(tuple(rt.shape)).astype(np.float32)
    re_.backward(ember.tensor(g))
    rt.backward(torch.tensor(g))
    for a, b in ((ex, tx), (es, ts)):
        if b.grad is None:
            assert a.grad is None or not a.grad.abs().sum().item()
        else:
            assert_close(a.grad, b.grad, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name,fn", OPS, ids=[o[0] for o in OPS])
def test_op_gradcheck(name, fn):
    rng = np.random.default_rng(7)
    x = ember.tensor(rng.standard_normal((3, 4)) + 0.1, dtype=ember.float64, requires_grad=True)
    s = ember.tensor(rng.standard_normal((3, 3)), dtype=ember.float64, requires_grad=True)
    if "prod" in name or "amax" in name or "amin" in name or "masked" in name:
        # keep values apart from ties and from the 0 boundary of the masks
        x = ember.tensor(np.arange(1., 13.).reshape(3, 4) * np.array([1, -1, 1, -1]) * 0.37,
                         dtype=ember.float64, requires_grad=True)
        s = ember.tensor(np.arange(1., 10.).reshape(3, 3) * 0.53 - 2.9, dtype=ember.float64, requires_grad=True)
    assert gradcheck(lambda a, b: fn(ember, a, b), (x, s))


@needs_torch
def test_op_gradient_only_for_needed_inputs():
    # src needs no grad: the node must not compute (or return) one
    xa, sa = base((3, 4)), base((3, 3))
    ex = ember.tensor(xa, requires_grad=True)
    es = ember.tensor(sa)
    r = ember.scatter_add(ex, 1, ember.tensor(IDX), es)
    grads = r.grad_fn.backward(ember.ones(3, 4))
    assert grads[1] is None
    ex2 = ember.tensor(xa)
    es2 = ember.tensor(sa, requires_grad=True)
    r = ember.index_add(ex2, 1, ember.tensor([0, 0, 3]), es2)
    assert r.grad_fn.backward(ember.ones(3, 4))[0] is None


def test_src_larger_than_index_gets_zero_grad_outside():
    # torch's own backward rejects this case ("invalid gradient ... got [2, 3]"); ember pads with zeros
    idx = ember.tensor(IDX)
    for f in (lambda x, s: x.scatter(1, idx, s), lambda x, s: x.scatter_add(1, idx, s),
              lambda x, s: x.scatter_reduce(1, idx, s, "amax"), lambda x, s: x.scatter_reduce(1, idx, s, "prod")):
        x = ember.tensor(base((3, 4)), requires_grad=True)
        s = ember.tensor(base((3, 3), seed=1), requires_grad=True)
        s2 = ember.tensor(base((3, 3), seed=1)[:2], requires_grad=True)
        r, r2 = f(x, s), f(x, s2)
        np.testing.assert_allclose(r.detach().numpy(), r2.detach().numpy())
        r.sum().backward()
        r2.sum().backward()
        np.testing.assert_allclose(s.grad.numpy()[:2], s2.grad.numpy())
        assert not s.grad.numpy()[2:].any()
    x = ember.tensor(base((3, 4), dtype=np.float64), requires_grad=True)
    s = ember.tensor(base((3, 3), dtype=np.float64), requires_grad=True)
    assert gradcheck(lambda a, b: a.scatter_add(1, idx, b), (x, s))


@needs_torch
def test_scatter_reduce_ties_and_ints():
    xa = np.array([[1., 5., 3., 5.], [2., 2., 2., 2.]], np.float32)
    sa = np.array([[5., 1., 5.], [2., 2., 7.]], np.float32)
    for red in ("amax", "amin", "prod", "mean", "sum"):
        for inc in (True, False):
            ex, tx = both(xa, requires_grad=True)
            es, ts = both(sa, requires_grad=True)
            re_ = ex.scatter_reduce(1, ember.tensor(IDX[:1] * 2), es, red, include_self=inc)
            rt = tx.scatter_reduce(1, torch.tensor(IDX[:1] * 2), ts, red, include_self=inc)
            assert_close(re_, rt)
            re_.sum().backward()
            rt.sum().backward()
            assert_close(ex.grad, tx.grad)
            assert_close(es.grad, ts.grad)
    xi = np.arange(12).reshape(3, 4) - 5
    si = np.array([[3, -4, 7], [1, 1, 2]])
    for red in ("amax", "amin", "prod", "mean", "sum"):
        for inc in (True, False):
            e = ember.tensor(xi).scatter_reduce(0, ember.tensor([[0, 2, 2], [0, 0, 1]]), ember.tensor(si), red,
                                                include_self=inc)
            t = torch.tensor(xi).scatter_reduce(0, torch.tensor([[0, 2, 2], [0, 0, 1]]), torch.tensor(si), red,
                                                include_self=inc)
            assert_close(e, t)


@needs_torch
def test_scatter_with_reduce():
    xa, sa = base((3, 4)), base((2, 3))
    for red in ("add", "multiply"):
        ex, tx = both(xa, requires_grad=True)
        e = ex.scatter(1, ember.tensor(IDX), ember.tensor(sa), reduce=red)
        t = tx.scatter(1, torch.tensor(IDX), torch.tensor(sa), reduce=red)
        assert_close(e, t)
        assert gf_name(e) == gf_name(t) == "NotImplemented"
        raises_like(lambda: t.sum().backward(), lambda: e.sum().backward())
        assert_close(ember.tensor(xa).scatter(1, ember.tensor(IDX), 3.0, reduce=red),
                     torch.tensor(xa).scatter(1, torch.tensor(IDX), 3.0, reduce=red))


@needs_torch
def test_inplace_twins():
    xa, sa = base((3, 4)), base((3, 3))
    calls = [
        ("scatter_", (1, "I", "S")), ("scatter_", (1, "I", 1.5)), ("scatter_add_", (1, "I", "S")),
        ("index_add_", (1, "J", "S")), ("index_copy_", (1, "J", "S")), ("index_fill_", (1, "J", 0.0)),
        ("masked_fill_", ("M", 2.0)), ("masked_scatter_", ("M", "S12")), ("put_", ("K", "S0")),
        ("index_put_", (("K",), "S0c")), ("scatter_reduce_", (1, "I", "S2", "amax")),
    ]

    def args(mod, a):
        m = {"I": mod.tensor(IDX), "S": mod.tensor(sa), "J": mod.tensor([3, 0, 1]), "K": mod.tensor([0, 2, 1]),
             "S0": mod.tensor(sa[0]), "S0c": mod.tensor(sa[:, :1]), "S2": mod.tensor(sa[:2]), "M": mod.tensor(xa > 0), "S12": mod.tensor(np.concatenate([sa.ravel()] * 2))}
        out = []
        for x in a:
            if isinstance(x, tuple):
                out.append(tuple(m[y] if isinstance(y, str) and y in m else y for y in x))
            else:
                out.append(m[x] if isinstance(x, str) and x in m else x)
        return out

    for name, a in calls:
        e, t = both(xa)
        re_ = getattr(e, name)(*args(ember, a))
        rt = getattr(t, name)(*args(torch, a))
        assert re_ is e
        assert_close(e, t)
        # in-place on a non-leaf inside a graph: gradients match torch
        e0, t0 = both(xa, requires_grad=True)
        e1, t1 = e0 * 1.5, t0 * 1.5
        getattr(e1, name)(*args(ember, a))
        getattr(t1, name)(*args(torch, a))
        assert gf_name(e1) == gf_name(t1)
        (e1 * e1).sum().backward()
        (t1 * t1).sum().backward()
        assert_close(e0.grad, t0.grad)


@needs_torch
def test_nonzero_argwhere():
    for arr in (base((3, 4)) > 0, np.zeros((0, 3)), np.float32(1.0), np.float32(0.0), np.array([0, 2, 0, 3])):
        e, t = both(arr)
        assert_close(ember.nonzero(e), torch.nonzero(t))
        assert_close(e.nonzero(as_tuple=True), t.nonzero(as_tuple=True))
        assert_close(ember.argwhere(e), torch.argwhere(t))
    e, t = both(base((3, 4)))
    assert_close(ember.where(e > 0), torch.where(t > 0))


@needs_torch
def test_misc_shapes_and_dtypes():
    e, t = both(base((3, 4)))
    cases = [
        lambda m, x: m.gather(x, 1, m.zeros(3, 0, dtype=m.long)),
        lambda m, x: m.gather(x, 0, m.zeros(0, 4, dtype=m.long)),
        lambda m, x: m.gather(x, 1, m.zeros(2, 9, dtype=m.long)),
        lambda m, x: m.gather(m.tensor(5.), 0, m.tensor(0)),
        lambda m, x: m.gather(m.tensor(5.), 0, m.tensor([0, 0])),
        lambda m, x: m.gather(m.tensor([1., 2, 3]), 0, m.tensor(2)),
        lambda m, x: m.index_select(x, 0, m.tensor(1)),
        lambda m, x: m.index_select(m.tensor(3.), 0, m.tensor([0])),
        lambda m, x: m.take(m.tensor(5.), m.tensor([0, 0])),
        lambda m, x: m.take(x, m.tensor(3)),
        lambda m, x: m.index_fill(m.tensor(5.), 0, m.tensor(0), 1.),
        lambda m, x: m.index_add(m.tensor(1.), 0, m.tensor([0]), m.tensor(2.)),
        lambda m, x: m.masked_fill(x.long(), x > 0, 1.5),
        lambda m, x: m.masked_fill(x.long(), x > 0, m.tensor(2.5)),
        lambda m, x: m.masked_fill(x > 0, x > 0, 1.5),
        lambda m, x: m.masked_fill(x, m.tensor(True), 2.),
        lambda m, x: m.masked_fill(x, x > 0, m.tensor(2.).double()),
        lambda m, x: m.masked_fill(m.ones(4), m.ones(2, 4) > 0, 1.),
        lambda m, x: m.index_fill(x.long(), 1, m.tensor([0]), 2.5),
        lambda m, x: m.scatter(x.long(), 1, m.tensor(IDX), 2.5),
        lambda m, x: m.scatter(x, 1, m.tensor(IDX), 2),
        lambda m, x: m.scatter(x, 1, m.zeros(1, 4, dtype=m.long), m.ones(1, 5)),
        lambda m, x: m.scatter_add(x, 1, m.zeros(1, 4, dtype=m.long), m.ones(2, 5)),
        lambda m, x: m.select_scatter(x, m.ones(4).double(), 0, 1),
        lambda m, x: m.slice_scatter(x, m.ones(1, 4), 0, -1),
        lambda m, x: m.index_add(m.ones(3, 4, dtype=m.int64), 0, m.tensor([0, 0]), m.ones(2, 4, dtype=m.int64),
                                 alpha=3),
        lambda m, x: m.index_put(x, (x[:, 0] > 0,), m.tensor(7.)),
        lambda m, x: m.index_put(x.int(), (m.tensor([0, 0]), m.tensor([1, 1])), m.tensor(2, dtype=m.int32),
                                 accumulate=True),
        lambda m, x: m.masked_scatter(x, x > 0, m.ones(2, 6)),
        lambda m, x: m.masked_scatter(x, m.tensor([True, False, True, False]), m.arange(12.)),
        lambda m, x: m.take_along_dim(x, m.tensor([[1], [2], [0]]), -1),
        lambda m, x: m.index_copy(m.tensor(1.), 0, m.tensor([0]), m.tensor(4.)),
        lambda m, x: m.index_put(x, (m.tensor([[0, 1]]),), m.ones(1, 2, 4), accumulate=True),
    ]
    for f in cases:
        assert_close(f(ember, e), f(torch, t))


@needs_torch
def test_op_errors():
    xa = base((3, 4))
    i = IDX
    cases = [
        lambda m, x: m.gather(x, 0, m.tensor([[5]])),
        lambda m, x: m.gather(x, 1, m.tensor([[-1]])),
        lambda m, x: m.gather(x, 1, m.tensor([0])),
        lambda m, x: m.gather(x, 1, m.zeros(4, 1, dtype=m.long)),
        lambda m, x: m.gather(x, 2, m.tensor(i)),
        lambda m, x: m.gather(x, 1, m.tensor(i).float()),
        lambda m, x: m.gather(x, 1, m.tensor(i).short()),
        lambda m, x: m.scatter(x, 1, m.tensor(i), 2.0, reduce="mean"),
        lambda m, x: m.scatter(x, 1, m.tensor(i), m.ones(2, 3).double()),
        lambda m, x: m.scatter(x, 1, m.tensor([[9]]), 1.0),
        lambda m, x: m.scatter(x, 1, m.tensor(i), m.ones(1, 1)),
        lambda m, x: m.scatter(x, 1, m.tensor(i).float(), 1.),
        lambda m, x: m.scatter(x, 1, m.tensor([[0]]), m.tensor(3.)),
        lambda m, x: m.scatter(x, 1, m.tensor([0]), m.ones(1)),
        lambda m, x: m.scatter(x, 1, m.zeros(4, 1, dtype=m.long), m.ones(4, 1)),
        lambda m, x: m.scatter(x, 0, m.tensor([[0]]), 1e300),
        lambda m, x: m.scatter_add(x, 1, m.tensor(i), m.ones(2, 3).double()),
        lambda m, x: m.scatter_add(x, 1, m.tensor([[7]]), m.ones(2, 2)),
        lambda m, x: m.scatter_reduce(x, 1, m.tensor(i), m.ones(2, 3), "foo"),
        lambda m, x: m.scatter_reduce(x, 1, m.tensor(i), 1.0, "sum"),
        lambda m, x: m.scatter_reduce(x, 1, m.tensor(i).float(), m.ones(2, 3), "sum"),
        lambda m, x: m.index_select(x, 0, m.tensor([[0]])),
        lambda m, x: m.index_select(x, 0, m.tensor([5])),
        lambda m, x: m.index_select(x, 0, m.tensor([-1])),
        lambda m, x: m.index_select(x, 0, m.tensor([0.])),
        lambda m, x: m.index_select(x, 0, m.tensor([0]).short()),
        lambda m, x: m.index_add(x, 0, m.tensor([0, 0]), m.ones(2, 3)),
        lambda m, x: m.index_add(x, 0, m.tensor([0, 0]), m.ones(3, 4)),
        lambda m, x: m.index_add(x, 0, m.tensor([0, 0]), m.ones(2, 4).double()),
        lambda m, x: m.index_add(x, 0, m.tensor([5, 0]), m.ones(2, 4)),
        lambda m, x: m.index_add(x, 0, m.tensor([-1]), m.ones(1, 4)),
        lambda m, x: m.index_add(x, 0, m.tensor([0., 0]), m.ones(2, 4)),
        lambda m, x: m.index_add(x, 0, m.tensor([[0]]), m.ones(1, 4)),
        lambda m, x: m.index_copy(x, 0, m.tensor([0, 2]), m.ones(2, 3)),
        lambda m, x: m.index_copy(x, 0, m.tensor([0, 2]).int(), m.ones(2, 4)),
        lambda m, x: m.index_copy(x, 0, m.tensor([5, 2]), m.ones(2, 4)),
        lambda m, x: m.index_copy(x, 0, m.tensor([-1]), m.ones(1, 4)),
        lambda m, x: m.index_copy(x, 0, m.tensor([0, 2]), m.ones(2, 4).double()),
        lambda m, x: m.index_copy(x, 0, m.tensor([0, 2]), m.ones(3, 4)),
        lambda m, x: m.index_copy(x, 0, m.tensor([[0]]), m.ones(1, 4)),
        lambda m, x: m.index_copy(x, 0, m.tensor([0]), m.ones(1, 4, 1)),
        lambda m, x: m.index_fill(x, 1, m.tensor([0, 2]), m.tensor([5.])),
        lambda m, x: m.index_fill(x, 1, m.tensor([7]), 5.),
        lambda m, x: m.index_fill(x, 1, m.tensor([-5]), 5.),
        lambda m, x: m.index_fill(x, 1, m.tensor([0.]), 5.),
        lambda m, x: m.index_fill(x, 1, m.tensor([0]).int(), 5.),
        lambda m, x: m.index_fill(x, 1, m.tensor([[0]]), 5.),
        lambda m, x: m.index_fill(x, 0, m.tensor([0]), 1e300),
        lambda m, x: m.masked_fill(x, (x > 0).float(), 1.),
        lambda m, x: m.masked_fill(x, (x > 0).byte(), 1.),
        lambda m, x: m.masked_fill(x, (x > 0).long(), 1.),
        lambda m, x: m.masked_fill(x, (x > 0).half(), 1.),
        lambda m, x: m.masked_fill(x, m.tensor([True, False, True]), 1.),
        lambda m, x: m.masked_fill(x, x > 0, m.tensor([1.])),
        lambda m, x: m.masked_fill(x, x > 0, 1e300),
        lambda m, x: m.masked_fill(x.int(), x > 0, 2 ** 40),
        lambda m, x: m.masked_fill(x, x > 0, 1 + 2j),
        lambda m, x: x.clone().masked_fill_(m.ones(2, 3, 4) > 0, 1.),
        lambda m, x: m.masked_select(x, (x > 0).float()),
        lambda m, x: m.masked_select(x, (x > 0).byte()),
        lambda m, x: m.masked_select(x, m.tensor([True, False, True])),
        lambda m, x: m.masked_scatter(x, x > 0, m.zeros(0)),
        lambda m, x: m.masked_scatter(x, (x > 0).float(), m.ones(12)),
        lambda m, x: m.masked_scatter(x, (x > 0).long(), m.ones(12)),
        lambda m, x: m.masked_scatter(x, x > 0, m.ones(12).double()),
        lambda m, x: m.masked_scatter(x, m.tensor([True, False, True]), m.ones(12)),
        lambda m, x: m.take(x, m.tensor([12])),
        lambda m, x: m.take(x, m.tensor([-13])),
        lambda m, x: m.take(x, m.tensor([0]).int()),
        lambda m, x: m.take(x, m.tensor([0.])),
        lambda m, x: m.take_along_dim(x, m.tensor([[1.]]), 1),
        lambda m, x: m.take_along_dim(x, m.tensor([[[1]]]), 1),
        lambda m, x: m.take_along_dim(x, m.tensor(i), 1),
        lambda m, x: x.clone().put_(m.tensor([0, 1]).int(), m.ones(2)),
        lambda m, x: x.clone().put_(m.tensor([0, 1]), m.ones(3)),
        lambda m, x: x.clone().put_(m.tensor([0, 1]), m.ones(2).double()),
        lambda m, x: x.clone().put_(m.tensor([12]), m.ones(1)),
        lambda m, x: m.index_put(x, (m.tensor([5]),), m.tensor(1.)),
        lambda m, x: m.index_put(x, (m.tensor([0.]),), m.tensor(1.)),
        lambda m, x: m.index_put(x, (m.tensor([0]),), 1.),
        lambda m, x: m.index_put(x, (m.tensor([0]), m.tensor([1]), m.tensor([1])), m.tensor(1.)),
        lambda m, x: m.index_put(x, (None, m.tensor([1])), m.tensor(1.)),
        lambda m, x: m.index_put(x, (m.tensor([0, 1]),), m.ones(3)),
        lambda m, x: m.index_put(x, (m.tensor([0, 1]),), m.ones(4).double()),
        lambda m, x: m.index_put(x, (m.tensor([0, 1]), m.tensor([0, 1, 2])), m.tensor(1.)),
        lambda m, x: m.select_scatter(x, m.ones(3), 0, 1),
        lambda m, x: m.select_scatter(x, m.ones(4), 0, 5),
        lambda m, x: m.slice_scatter(x, m.ones(3, 2), 1),
        lambda m, x: m.diagonal_scatter(x, m.ones(4)),
    ]
    for f in cases:
        raises_like(lambda: f(torch, torch.tensor(xa)), lambda: f(ember, ember.tensor(xa)))


# -- property-based: random index combinations ------------------------------------------------------

@st.composite
def index_combo(draw):
    nd = draw(st.integers(1, 4))
    shape = tuple(draw(st.lists(st.integers(1, 4), min_size=nd, max_size=nd)))
    items = []
    dim = 0
    used_ellipsis = False
    for _ in range(draw(st.integers(1, nd + 1))):
        if dim >= nd:
            break
        size = shape[dim]
        kind = draw(st.sampled_from(["int", "slice", "none", "list", "tensor", "mask", "ellipsis"]))
        if kind == "int":
            items.append(draw(st.integers(-size, size - 1)))
            dim += 1
        elif kind == "slice":
            a = draw(st.one_of(st.none(), st.integers(-size - 1, size + 1)))
            b = draw(st.one_of(st.none(), st.integers(-size - 1, size + 1)))
            c = draw(st.one_of(st.none(), st.integers(1, 3)))
            items.append(slice(a, b, c))
            dim += 1
        elif kind == "none":
            items.append(None)
        elif kind == "ellipsis" and not used_ellipsis:
            items.append(Ellipsis)
            used_ellipsis = True
            dim = nd  # the rest of the dims are taken by the ellipsis; stop here
        elif kind == "list":
            n = draw(st.integers(0, 3))
            items.append(draw(st.lists(st.integers(-size, size - 1), min_size=n, max_size=n)))
            dim += 1
        elif kind == "tensor":
            n = draw(st.integers(1, 2))
            items.append(T(draw(st.lists(st.integers(-size, size - 1), min_size=n, max_size=n))))
            dim += 1
        elif kind == "mask":
            k = draw(st.integers(1, min(2, nd - dim)))
            mshape = shape[dim:dim + k]
            bits = draw(st.lists(st.booleans(), min_size=int(np.prod(mshape)), max_size=int(np.prod(mshape))))
            items.append(T(np.array(bits).reshape(mshape).tolist(), "bool"))
            dim += k
    return shape, tuple(items)


@needs_torch
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(index_combo())
def test_hypothesis_index_combos(combo):
    shape, idx = combo
    arr = np.arange(int(np.prod(shape)), dtype=np.float64).reshape(shape)
    t = torch.tensor(arr, requires_grad=True)
    e = ember.tensor(arr, requires_grad=True)
    try:
        rt = t[conv(idx, torch)]
    except Exception as ex:  # noqa: BLE001 - the error must match then
        with pytest.raises(type(ex)):
            e[conv(idx, ember)]
        return
    re_ = e[conv(idx, ember)]
    assert_close(re_, rt)
    assert gf_name(re_) == gf_name(rt)
    assert (re_._base is not None) == (rt._base is not None)
    g = np.random.default_rng(0).standard_normal(tuple(rt.shape))
    re_.backward(ember.tensor(g))
    rt.backward(torch.tensor(g))
    assert_close(e.grad, t.grad)
    # setitem with the same index: values and gradient through the value
    t2 = torch.tensor(arr)
    e2 = ember.tensor(arr)
    tv = torch.tensor(-np.ones(tuple(rt.shape)) * 7, requires_grad=True)
    ev = ember.tensor(-np.ones(tuple(rt.shape)) * 7, requires_grad=True)
    t2[conv(idx, torch)] = tv
    e2[conv(idx, ember)] = ev
    assert_close(e2, t2)
    (t2 * torch.tensor(arr + 1)).sum().backward()
    (e2 * ember.tensor(arr + 1)).sum().backward()
    assert_close(ev.grad, tv.grad)


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 5), st.integers(1, 5), st.integers(0, 6), st.integers(0, 1000))
def test_hypothesis_gather_scatter_add_adjoint(n, m, k, seed):
    """<gather(x, idx), g> == <x, scatter_add(0, idx, g)>: gather's backward is scatter_add."""
    rng = np.random.default_rng(seed)
    x = ember.tensor(rng.standard_normal((n, m)))
    idx = ember.tensor(rng.integers(0, n, size=(k, m)))
    g = ember.tensor(rng.standard_normal((k, m)))
    lhs = (x.gather(0, idx) * g).sum().item()
    rhs = (x * ember.zeros(n, m, dtype=ember.float64).scatter_add(0, idx, g)).sum().item()
    assert abs(lhs - rhs) < 1e-9


def test_view_backwards_that_use_indexing_ops():
    # DiagonalBackward0 uses diagonal_scatter, SliceBackward0 uses getitem/index_put_view
    x = ember.tensor(base((3, 4), dtype=np.float64), requires_grad=True)
    assert gradcheck(lambda a: a.diagonal(1) * 2, (x,))
    assert gradcheck(lambda a: a[1:, ::2][0] * a[0, 1:3], (x,))
    assert ember.autograd.gradgradcheck(lambda a: a[1:, ::2] ** 2, (x,))


def test_double_backward_through_index():
    x = ember.tensor([1., 2., 3.], dtype=ember.float64, requires_grad=True)
    assert ember.autograd.gradgradcheck(lambda a: (a[[0, 0, 2]] ** 2), (x,))
    assert ember.autograd.gradgradcheck(lambda a: a.gather(0, ember.tensor([2, 2, 1])) ** 2, (x,))
    assert ember.autograd.gradgradcheck(lambda a: a.index_select(0, ember.tensor([2, 2, 1])) ** 2, (x,))
    assert gradcheck(lambda a: a[1:] * a[:-1], (x,))


def test_accumulate_large_dense_matches_add_at():
    rng = np.random.default_rng(0)
    idx = rng.integers(0, 50, 5000)
    for dt in (np.float32, np.float64, np.int64, np.complex64):
        vals = (rng.standard_normal((5000, 3)) * 10).astype(dt)
        ref = np.zeros((50, 3), dt)
        np.add.at(ref, idx, vals)
        out = ember.zeros(50, 3, dtype=ember.tensor(vals).dtype).index_put_(
            (ember.tensor(idx),), ember.tensor(vals), accumulate=True)
        np.testing.assert_allclose(out.numpy(), ref, rtol=1e-5, atol=1e-3)
