"""Matrix products, einsum and tensordot against torch: values, dtypes, gradients, grad_fn names, errors."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import ember
from ember.ops.linalg import multi_dot
from tests.helpers import needs_torch, torch, assert_close, raises_like

RNG = np.random.default_rng(0)


def _arr(shape, dtype=np.float32):
    if np.dtype(dtype).kind in "iu":
        return RNG.integers(-4, 5, size=shape).astype(dtype)
    return RNG.standard_normal(shape).astype(dtype)


def check(fe, ft, *arrays, name=None, rtol=1e-5, atol=1e-5):
    es = [ember.tensor(a, requires_grad=a.dtype.kind == "f") for a in arrays]
    ts = [torch.tensor(a, requires_grad=a.dtype.kind == "f") for a in arrays]
    oe, ot = fe(*es), ft(*ts)
    assert_close(oe, ot, rtol, atol)
    if name is not None:
        assert oe.grad_fn.name() == ot.grad_fn.name() == name, (oe.grad_fn, ot.grad_fn)
    if not ot.requires_grad:
        return
    g = _arr(tuple(ot.shape), ot.detach().numpy().dtype)
    ot.backward(torch.tensor(g))
    oe.backward(ember.tensor(g))
    for e, t in zip(es, ts):
        if t.requires_grad:
            assert_close(e.grad, t.grad, rtol, atol)


def gradcheck(fn, *shapes, gradgrad=False):
    xs = [ember.tensor(RNG.standard_normal(s), dtype=ember.float64, requires_grad=True) for s in shapes]
    assert ember.autograd.gradcheck(fn, tuple(xs))
    if gradgrad:
        assert ember.autograd.gradgradcheck(fn, tuple(xs))


# -- matmul family -----------------------------------------------------------------------------

MATMUL_SHAPES = [((3,), (3,), "DotBackward0"), ((2, 3), (3,), "MvBackward0"), ((3,), (3, 4), "SqueezeBackward4"),
                 ((2, 3), (3, 4), "MmBackward0"), ((5, 2, 3), (3, 4), "UnsafeViewBackward0"),
                 ((2, 3), (5, 3, 4), None), ((3,), (5, 3, 4), "UnsafeViewBackward0"),
                 ((5, 2, 3), (3,), "UnsafeViewBackward0"), ((5, 2, 3), (5, 3, 4), None),
                 ((1, 2, 3), (5, 3, 4), None), ((6, 1, 2, 3), (5, 3, 4), "UnsafeViewBackward0"),
                 ((2, 1, 2, 3), (1, 7, 3, 1), "UnsafeViewBackward0"), ((0, 2, 3), (3, 4), "UnsafeViewBackward0"),
                 ((2, 0), (0, 3), "MmBackward0")]


@needs_torch
@pytest.mark.parametrize("sa,sb,name", MATMUL_SHAPES)
def test_matmul(sa, sb, name):
    check(ember.matmul, torch.matmul, _arr(sa), _arr(sb), name=name)
    check(lambda a, b: a @ b, lambda a, b: a @ b, _arr(sa, np.float64), _arr(sb, np.float64), rtol=1e-12)
    check(ember.matmul, torch.matmul, _arr(sa, np.int64), _arr(sb, np.int64))


def test_matmul_gradcheck():
    for sa, sb, _ in MATMUL_SHAPES[:12]:
        gradcheck(ember.matmul, sa, sb)
    gradcheck(ember.matmul, (2, 1, 2, 3), (1, 3, 3, 2), gradgrad=True)
    gradcheck(ember.matmul, (3,), (2, 3, 2), gradgrad=True)


_dims = st.integers(1, 3)


@needs_torch
@settings(max_examples=60, deadline=None)
@given(da=st.integers(1, 4), db=st.integers(1, 4), n=_dims, k=_dims, m=_dims, data=st.data())
def test_matmul_broadcasting_property(da, db, n, k, m, data):
    batch = data.draw(st.lists(st.integers(1, 3), min_size=2, max_size=2))
    ba = tuple(data.draw(st.sampled_from([b, 1])) for b in batch)
    bb = tuple(data.draw(st.sampled_from([b, 1])) for b in batch)
    sa = (k,) if da == 1 else ba[len(ba) - (da - 2):] + (n, k) if da > 2 else (n, k)
    sb = (k,) if db == 1 else bb[len(bb) - (db - 2):] + (k, m) if db > 2 else (k, m)
    check(ember.matmul, torch.matmul, _arr(sa, np.float64), _arr(sb, np.float64), rtol=1e-10, atol=1e-10)


@needs_torch
def test_matmul_errors():
    f32, f64 = np.float32, np.float64
    cases = [((2, 3), (4, 5), f32, f32), ((3,), (4,), f32, f32), ((3, 4), (5,), f32, f32), ((5,), (3, 4), f32, f32),
             ((2, 3, 4), (5,), f32, f32), ((5,), (2, 3, 4), f32, f32), ((2, 3, 4), (5, 2), f32, f32),
             ((5, 2), (2, 3, 4), f32, f32), ((2, 3, 4), (2, 5, 2), f32, f32), ((2, 3, 4), (3, 4, 2), f32, f32),
             ((2, 2, 3, 4), (3, 5, 2), f32, f32), ((2, 3, 4, 5), (6,), f32, f32), ((6,), (2, 3, 4, 5), f32, f32),
             ((3, 6), (2, 3, 4, 5), f32, f32), ((3, 4), (4, 3), f32, f64), ((2, 3, 4), (4, 3), f32, f64),
             ((3,), (3,), f32, f64), ((3, 4), (4,), f32, f64), ((3, 4), (4,), f64, f32), ((3,), (3, 4), f32, f64),
             ((), (3,), f32, f32), ((3,), (), f32, f32)]
    for sa, sb, ta, tb in cases:
        a, b = np.zeros(sa, ta), np.zeros(sb, tb)
        raises_like(lambda: torch.matmul(torch.tensor(a), torch.tensor(b)),
                    lambda: ember.matmul(ember.tensor(a), ember.tensor(b)))


@needs_torch
def test_mm_bmm_mv_dot_errors():
    cases = [lambda L: L.mm(L.zeros(2, 3), L.zeros(4, 5)), lambda L: L.mm(L.zeros(3, 4), L.zeros(4, 3).double()),
             lambda L: L.mm(L.zeros(3, 4).long(), L.zeros(4, 3)), lambda L: L.mm(L.zeros(3), L.zeros(3, 4)),
             lambda L: L.mm(L.zeros(3, 4), L.zeros(4)), lambda L: L.mm(L.zeros(2, 3), L.zeros(4, 5).double()),
             lambda L: L.bmm(L.zeros(3, 4), L.zeros(2, 4, 4)), lambda L: L.bmm(L.zeros(2, 3, 4), L.zeros(4, 4)),
             lambda L: L.bmm(L.zeros(2, 3, 4), L.zeros(3, 4, 2)), lambda L: L.bmm(L.zeros(2, 3, 4), L.zeros(2, 5, 2)),
             lambda L: L.bmm(L.zeros(2, 3, 4), L.zeros(2, 4, 2).double()),
             lambda L: L.dot(L.zeros(3), L.zeros(3).double()), lambda L: L.dot(L.zeros(3, 4), L.zeros(3)),
             lambda L: L.dot(L.zeros(3), L.zeros(4)), lambda L: L.mv(L.zeros(3, 4), L.zeros(3)),
             lambda L: L.mv(L.zeros(3, 4), L.zeros(4).double()), lambda L: L.mv(L.zeros(3, 4), L.zeros(3, 4)),
             lambda L: L.outer(L.zeros(3, 4), L.zeros(3)), lambda L: L.outer(L.zeros(3), L.zeros(3, 4))]
    for c in cases:
        raises_like(lambda: c(torch), lambda: c(ember))


@needs_torch
def test_mm_bmm_mv_dot_outer():
    check(ember.mm, torch.mm, _arr((2, 3)), _arr((3, 4)), name="MmBackward0")
    check(ember.bmm, torch.bmm, _arr((2, 2, 3)), _arr((2, 3, 4)), name="BmmBackward0")
    check(ember.mv, torch.mv, _arr((2, 3)), _arr((3,)), name="MvBackward0")
    check(ember.dot, torch.dot, _arr((3,)), _arr((3,)), name="DotBackward0")
    check(ember.outer, torch.outer, _arr((3,)), _arr((2,)), name="MulBackward0")
    check(ember.outer, torch.outer, _arr((3,), np.int64), _arr((2,)))
    check(ember.inner, torch.inner, _arr((2, 3)), _arr((4, 3)))
    check(ember.inner, torch.inner, _arr((3,)), _arr((3,)))
    check(ember.inner, torch.inner, _arr(()), _arr((2, 3)))
    x = ember.tensor([1.0, 2.0])
    assert ember.dot(x, x).shape == () and isinstance(ember.dot(x, x)._data, np.ndarray)
    gradcheck(ember.bmm, (2, 2, 3), (2, 3, 4), gradgrad=True)
    gradcheck(ember.mv, (2, 3), (3,))
    gradcheck(ember.dot, (3,), (3,), gradgrad=True)


# -- fused add-products ------------------------------------------------------------------------

ADD_CASES = [
    ("addmm", (3, 5), (3, 4), (4, 5)), ("addmm", (5,), (3, 4), (4, 5)), ("addmm", (1, 1), (3, 4), (4, 5)),
    ("baddbmm", (2, 3, 5), (2, 3, 4), (2, 4, 5)), ("baddbmm", (3, 5), (2, 3, 4), (2, 4, 5)),
    ("addbmm", (3, 5), (2, 3, 4), (2, 4, 5)), ("addbmm", (5,), (2, 3, 4), (2, 4, 5)),
    ("addmv", (3,), (3, 4), (4,)), ("addmv", (1,), (3, 4), (4,)), ("addmv", (), (3, 4), (4,)),
    ("addr", (3, 4), (3,), (4,)), ("addr", (4,), (3,), (4,)),
]


@needs_torch
@pytest.mark.parametrize("fn,s0,s1,s2", ADD_CASES)
@pytest.mark.parametrize("beta,alpha", [(1, 1), (0.5, 2.0), (0, 1), (2, 0)])
def test_add_products(fn, s0, s1, s2, beta, alpha):
    name = fn.capitalize() + "Backward0"
    check(lambda a, b, c: getattr(ember, fn)(a, b, c, beta=beta, alpha=alpha),
          lambda a, b, c: getattr(torch, fn)(a, b, c, beta=beta, alpha=alpha), _arr(s0), _arr(s1), _arr(s2),
          name=name)
    check(lambda a, b, c: getattr(a, fn)(b, c, beta=beta, alpha=alpha),
          lambda a, b, c: getattr(a, fn)(b, c, beta=beta, alpha=alpha),
          _arr(s0, np.float64), _arr(s1, np.float64), _arr(s2, np.float64), rtol=1e-12)


@needs_torch
@pytest.mark.parametrize("fn,s0,s1,s2", [c for c in ADD_CASES if len(c[1]) == len(c[2]) or c[0] == "addbmm"])
def test_add_products_inplace_and_nan_bias(fn, s0, s1, s2):
    b, c = _arr(s1), _arr(s2)
    e = ember.full(tuple(np.broadcast_shapes(s0)), float("nan"))
    t = torch.full(tuple(np.broadcast_shapes(s0)), float("nan"))
    # beta == 0 ignores the bias, nan included
    if fn != "addr" or s0 == (3, 4):
        assert_close(getattr(ember, fn)(e, ember.tensor(b), ember.tensor(c), beta=0),
                     getattr(torch, fn)(t, torch.tensor(b), torch.tensor(c), beta=0))
    full = {"addmm": (3, 5), "baddbmm": (2, 3, 5), "addbmm": (3, 5), "addmv": (3,), "addr": (3, 4)}[fn]
    a = _arr(full)
    e, t = ember.tensor(a), torch.tensor(a)
    getattr(e, fn + "_")(ember.tensor(b), ember.tensor(c), beta=0.5, alpha=2)
    getattr(t, fn + "_")(torch.tensor(b), torch.tensor(c), beta=0.5, alpha=2)
    assert_close(e, t)


def test_add_products_gradcheck():
    gradcheck(lambda a, b, c: ember.addmm(a, b, c, beta=0.5, alpha=2), (5,), (3, 4), (4, 5), gradgrad=True)
    gradcheck(lambda a, b, c: ember.baddbmm(a, b, c, beta=0.5, alpha=2), (2, 3, 5), (2, 3, 4), (2, 4, 5))
    gradcheck(lambda a, b, c: ember.addbmm(a, b, c, beta=0.5, alpha=2), (3, 5), (2, 3, 4), (2, 4, 5), gradgrad=True)
    gradcheck(lambda a, b, c: ember.addmv(a, b, c, beta=0.5, alpha=2), (3,), (3, 4), (4,), gradgrad=True)
    gradcheck(lambda a, b, c: ember.addr(a, b, c, beta=0.5, alpha=2), (3, 4), (3,), (4,), gradgrad=True)


@needs_torch
def test_add_products_promotion_and_ints():
    assert_close(ember.addr(ember.zeros(3, 3, dtype=ember.float64), ember.ones(3), ember.ones(3)),
                 torch.addr(torch.zeros(3, 3, dtype=torch.float64), torch.ones(3), torch.ones(3)))
    i = np.ones((2, 2), np.int64)
    assert_close(ember.addmm(ember.tensor(i), ember.tensor(i), ember.tensor(i), beta=2, alpha=3),
                 torch.addmm(torch.tensor(i), torch.tensor(i), torch.tensor(i), beta=2, alpha=3))


@needs_torch
def test_add_products_errors():
    cases = [
        lambda L: L.addmm(L.zeros(2), L.zeros(3, 4), L.zeros(4, 5)),
        lambda L: L.addmm(L.zeros(2, 5), L.zeros(3, 4), L.zeros(4, 5)),
        lambda L: L.addmm(L.zeros(3, 5).double(), L.zeros(3, 4), L.zeros(4, 5)),
        lambda L: L.addmm(L.zeros(3, 5), L.zeros(3, 4), L.zeros(4, 5).double()),
        lambda L: L.addmm(L.zeros(3, 5), L.zeros(3, 4).double(), L.zeros(4, 5)),
        lambda L: L.addmm(L.zeros(3, 5), L.zeros(4), L.zeros(4, 5)),
        lambda L: L.addmm(L.zeros(3, 5), L.zeros(3, 4), L.zeros(4)),
        lambda L: L.addmm(L.zeros(3, 5), L.zeros(3, 4), L.zeros(3, 5)),
        lambda L: L.baddbmm(L.zeros(2, 3, 3), L.zeros(2, 3, 4), L.zeros(2, 5, 3)),
        lambda L: L.baddbmm(L.zeros(2, 3, 4), L.zeros(2, 3, 4), L.zeros(2, 4, 3)),
        lambda L: L.baddbmm(L.zeros(2, 3, 3).double(), L.zeros(2, 3, 4), L.zeros(2, 4, 3)),
        lambda L: L.addbmm(L.zeros(3, 3), L.zeros(2, 3, 4), L.zeros(2, 5, 3)),
        lambda L: L.addbmm(L.zeros(3, 3), L.zeros(2, 3, 4), L.zeros(3, 4, 3)),
        lambda L: L.addmv(L.zeros(3), L.zeros(3, 4), L.zeros(5)),
        lambda L: L.addmv(L.zeros(4), L.zeros(3, 4), L.zeros(4)),
        lambda L: L.addmv(L.zeros(3), L.zeros(3), L.zeros(4)),
        lambda L: L.addmv(L.zeros(3).double(), L.zeros(3, 4), L.zeros(4)),
        lambda L: L.addr(L.zeros(2, 2), L.zeros(3), L.zeros(3)),
        lambda L: L.addr(L.zeros(3, 3), L.zeros(3, 4), L.zeros(3)),
        lambda L: L.addr(L.zeros(3, 3, dtype=L.long), L.zeros(3, dtype=L.long), L.zeros(3, dtype=L.long), beta=0.5),
    ]
    for c in cases:
        raises_like(lambda: c(torch), lambda: c(ember))


# -- einsum ----------------------------------------------------------------------------------------

EINSUM_CASES = [
    ("ij,jk->ik", [(2, 3), (3, 4)]), ("ij,jk", [(2, 3), (3, 4)]), ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]),
    ("i,i->", [(3,), (3,)]), ("i,j->ij", [(3,), (4,)]), ("ij,ij->ij", [(2, 3), (2, 3)]), ("ij,ij->i", [(2, 3), (2, 3)]),
    ("ij->ji", [(2, 3)]), ("ij->i", [(2, 3)]), ("ij->", [(2, 3)]), ("ij", [(2, 3)]), ("ji", [(2, 3)]),
    ("ii->i", [(3, 3)]), ("ii", [(3, 3)]), ("iij->ji", [(3, 3, 2)]), ("ii,i->i", [(3, 3), (3,)]),
    ("...ij,...jk", [(2, 3, 4), (4, 5)]), ("...ij,...jk->...ik", [(2, 1, 3, 4), (5, 4, 2)]),
    ("i...->...", [(3, 2, 2)]), ("...,...->...", [(2, 3), (3,)]), ("i,i,i->", [(3,), (3,), (3,)]),
    ("ab,bc,cd->ad", [(2, 3), (3, 4), (4, 5)]), ("ij,jk->k", [(2, 3), (3, 4)]), ("ij,kl->ijkl", [(2, 3), (1, 2)]),
    ("ij,ij->ij", [(2, 1), (1, 3)]), ("Ab,bA->", [(2, 3), (3, 2)]), (" i j , j k -> i k ", [(2, 3), (3, 4)]),
    ("ijk,ik->j", [(2, 3, 4), (2, 4)]), ("i,ij->j", [(3,), (3, 0)]), ("ij,j->i", [(0, 3), (3,)]),
    ("bhqd,bhkd->bhqk", [(2, 2, 3, 4), (2, 2, 5, 4)]),
]


@needs_torch
@pytest.mark.parametrize("eq,shapes", EINSUM_CASES)
def test_einsum(eq, shapes):
    arrays = [_arr(s, np.float64) for s in shapes]
    es = [ember.tensor(a, requires_grad=True) for a in arrays]
    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    oe, ot = ember.einsum(eq, *es), torch.einsum(eq, *ts)
    assert_close(oe, ot, rtol=1e-12, atol=1e-12)
    assert oe.grad_fn.name() == ot.grad_fn.name()
    g = _arr(tuple(ot.shape), np.float64)
    # first and second derivatives against torch (einsum's backward is einsum, so create_graph works)
    ge = ember.autograd.grad(oe, es, ember.tensor(g), create_graph=True)
    gt = torch.autograd.grad(ot, ts, torch.tensor(g), create_graph=True)
    for a, b in zip(ge, gt):
        assert_close(a, b, rtol=1e-12, atol=1e-12)
    if len(shapes) == 1:  # linear in its one operand: no second derivative
        return
    se = sum((x * x).sum() for x in ge)
    st_ = sum((x * x).sum() for x in gt)
    gge = ember.autograd.grad(se, es, allow_unused=True)
    ggt = torch.autograd.grad(st_, ts, allow_unused=True)
    for a, b in zip(gge, ggt):
        if b is None:
            assert a is None or not a.detach().numpy().any()
        else:
            assert_close(a, b, rtol=1e-10, atol=1e-12)


@needs_torch
def test_einsum_forms_and_dtypes():
    x, y = _arr((2, 3)), _arr((3, 4))
    assert_close(ember.einsum("ij,jk", [ember.tensor(x), ember.tensor(y)]),
                 torch.einsum("ij,jk", [torch.tensor(x), torch.tensor(y)]))
    assert_close(ember.einsum(ember.tensor(x), [0, 1], ember.tensor(y), [1, 2], [0, 2]),
                 torch.einsum(torch.tensor(x), [0, 1], torch.tensor(y), [1, 2], [0, 2]))
    assert_close(ember.einsum(ember.tensor(x), [Ellipsis, 1], ember.tensor(y), [1, 2]),
                 torch.einsum(torch.tensor(x), [Ellipsis, 1], torch.tensor(y), [1, 2]))
    xi, yi = _arr((2, 3), np.int64), _arr((3, 4), np.int64)
    assert_close(ember.einsum("ij,jk", ember.tensor(xi), ember.tensor(yi)),
                 torch.einsum("ij,jk", torch.tensor(xi), torch.tensor(yi)))
    m = _arr((3, 3), np.int32)
    assert_close(ember.einsum("ii", ember.tensor(m)), torch.einsum("ii", torch.tensor(m)))
    # a pure permutation is a view; anything else a fresh tensor
    e = ember.tensor(x)
    assert ember.einsum("ij->ji", e)._base is e
    d = ember.einsum("ii->i", ember.tensor(m))
    d[0] = 100
    assert m[0, 0] != 100


def test_einsum_gradcheck():
    gradcheck(lambda a, b: ember.einsum("ij,jk->ik", a, b), (2, 3), (3, 2), gradgrad=True)
    gradcheck(lambda a: ember.einsum("ii->i", a), (3, 3), gradgrad=True)
    gradcheck(lambda a, b: ember.einsum("iij,j->i", a, b), (2, 2, 3), (3,), gradgrad=True)
    gradcheck(lambda a, b: ember.einsum("...ij,...jk", a, b), (2, 1, 2, 3), (3, 3, 2))
    gradcheck(lambda a, b, c: ember.einsum("ij,jk,k->i", a, b, c), (2, 3), (3, 2), (2,), gradgrad=True)
    gradcheck(lambda a: ember.einsum("ijk->", a), (2, 3, 2))


@needs_torch
def test_einsum_errors():
    x, v = np.zeros((3, 4), np.float32), np.zeros(3, np.float32)
    cases = [
        lambda L: L.einsum("i,i->", L.tensor(v), L.tensor(v).long()),
        lambda L: L.einsum("ij,jk", L.tensor(x)), lambda L: L.einsum("i", L.tensor(v), L.tensor(v)),
        lambda L: L.einsum("ijk", L.tensor(x)), lambda L: L.einsum("ij->ii", L.tensor(x)),
        lambda L: L.einsum("ij->k", L.tensor(x)), lambda L: L.einsum("ij,ij->", L.tensor(x), L.tensor(x).t()),
        lambda L: L.einsum("i1", L.tensor(v)), lambda L: L.einsum("i", []), lambda L: L.einsum("i"),
        lambda L: L.einsum("...i...", L.tensor(x)), lambda L: L.einsum("i->->i", L.tensor(v)),
        lambda L: L.einsum("ii->i", L.tensor(x)), lambda L: L.einsum("ijk...->", L.tensor(x)),
        lambda L: L.einsum("i..", L.tensor(v)),
        lambda L: L.einsum("...j,...j->...", L.zeros(2, 3, 4), L.zeros(3, 1, 4)),
    ]
    for c in cases:
        raises_like(lambda: c(torch), lambda: c(ember))


# -- tensordot, chain_matmul, multi_dot -----------------------------------------------------------

@needs_torch
@pytest.mark.parametrize("sa,sb,dims", [((2, 3, 4), (3, 4, 5), 2), ((2, 3), (3, 4), 1), ((2, 3), (4, 5), 0),
                                        ((2, 3, 4), (4, 3, 5), ([1, 2], [1, 0])), ((3, 4), (4, 3), ([0], [1])),
                                        ((2, 3), (3, 2), ([-1], [0])), ((2, 3), (2, 3), 2)])
def test_tensordot(sa, sb, dims):
    check(lambda a, b: ember.tensordot(a, b, dims), lambda a, b: torch.tensordot(a, b, dims), _arr(sa), _arr(sb))
    gradcheck(lambda a, b: ember.tensordot(a, b, dims), sa, sb)


@needs_torch
def test_tensordot_errors():
    x = np.zeros((3, 4), np.float32)
    cases = [lambda L: L.tensordot(L.tensor(x), L.tensor(x), dims=([1], [0])),
             lambda L: L.tensordot(L.tensor(x), L.tensor(x), dims=-1),
             lambda L: L.tensordot(L.tensor(x), L.tensor(x), dims=([1, 0], [0])),
             lambda L: L.tensordot(L.tensor(x), L.tensor(x).double(), dims=([1], [1])),
             lambda L: L.tensordot(L.tensor(x), L.tensor(x), dims=3)]
    for c in cases:
        raises_like(lambda: c(torch), lambda: c(ember))


@needs_torch
def test_chain_matmul_multi_dot():
    import warnings
    a, b, c = _arr((2, 3)), _arr((3, 4)), _arr((4, 2))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check(ember.chain_matmul, torch.chain_matmul, a, b, c)
        check(ember.chain_matmul, torch.chain_matmul, a)
    check(lambda *t: multi_dot(t), lambda *t: torch.linalg.multi_dot(t), a, b, c)
    check(lambda *t: multi_dot(t), lambda *t: torch.linalg.multi_dot(t), _arr((3,)), b, _arr((4,)))
    check(lambda *t: multi_dot(t), lambda *t: torch.linalg.multi_dot(t), _arr((3,)), b, c)
    raises_like(lambda: torch.linalg.multi_dot([torch.zeros(2, 2)]), lambda: multi_dot([ember.zeros(2, 2)]))
