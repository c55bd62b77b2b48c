"""Sorting and selection vs torch: sort, argsort, msort, topk, kthvalue, unique, searchsorted, bucketize."""
import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st, HealthCheck

import ember
from tests.helpers import needs_torch, assert_close, raises_like, torch
from tests.test_reduction import compare, distinct, gradcheck

RNG = np.random.default_rng(1)


# -- sort / argsort / msort --------------------------------------------------------------------------

@needs_torch
@pytest.mark.parametrize("dim", [0, 1, -1])
@pytest.mark.parametrize("descending", [False, True])
def test_sort(dim, descending):
    a = distinct(3, 4, 5)
    compare("sort", a, dim, descending)
    compare("sort", a, dim=dim, descending=descending, stable=True)
    compare("sort", a, dim, descending, method=True)
    compare("argsort", a, dim, descending, grad=False)
    compare("argsort", a, dim=dim, descending=descending, grad=False, method=True)


@needs_torch
@pytest.mark.parametrize("dt", [np.int64, np.int32, np.uint8, np.bool_, np.float32])
def test_sort_stable_ties(dt):
    a = RNG.integers(0, 3, (4, 9)).astype(dt)
    for desc in (False, True):
        compare("sort", a, dim=1, descending=desc, stable=True, grad=False)
        compare("sort", a, dim=0, descending=desc, stable=True, grad=False)
        compare("argsort", a, dim=-1, descending=desc, stable=True, grad=False)


@needs_torch
def test_sort_nan_empty_0d():
    n = np.array([[1., np.nan, 2, -1], [np.nan, 0, np.nan, 3]])
    compare("sort", n, 1)
    compare("sort", n, 1, True)
    compare("sort", np.array(3.5), 0)
    compare("sort", np.zeros((0, 3)), 0, grad=False)
    compare("msort", distinct(4, 3))
    compare("msort", np.array(2.))
    a = distinct(3, 4)
    raises_like(lambda: torch.tensor(a).sort(2), lambda: ember.tensor(a).sort(2))
    raises_like(lambda: torch.tensor(a).argsort(-3), lambda: ember.tensor(a).argsort(-3))


def test_sort_gradcheck():
    a = distinct(3, 4)
    gradcheck(lambda x: x.sort(1)[0], a)
    gradcheck(lambda x: x.sort(0, descending=True)[0], a)
    gradcheck(lambda x: x.msort(), a)
    gradcheck(lambda x: x.topk(2, 1)[0], a)
    gradcheck(lambda x: x.topk(3, 0, largest=False)[0], a)
    gradcheck(lambda x: x.kthvalue(2, 1)[0], a)


def test_sort_double_backward():
    x = ember.tensor(distinct(6), requires_grad=True)
    assert ember.autograd.gradgradcheck(lambda t: t.sort()[0] * t, (x,))
    assert ember.autograd.gradgradcheck(lambda t: t.topk(3)[0] ** 2, (x,))


# -- topk / kthvalue -------------------------------------------------------------------------------------

@needs_torch
@pytest.mark.parametrize("k", [0, 1, 3, 5])
@pytest.mark.parametrize("largest", [True, False])
def test_topk(k, largest):
    a = distinct(4, 5)
    compare("topk", a, k, largest=largest)
    compare("topk", a, min(k, 4), 0, largest)
    compare("topk", a, k, dim=-1, largest=largest, method=True)
    big = distinct(3, 100)
    compare("topk", big, k, 1, largest)     # partial-selection path


@needs_torch
def test_topk_misc():
    compare("topk", np.array([1., np.nan, 2, 0]), 2)
    compare("topk", np.array(1.5), 1)
    compare("topk", np.zeros((0, 3)), 0, 0, grad=False)
    compare("topk", np.array([3, 1, 2, 5], dtype=np.int32), 2)
    a = distinct(3, 4)
    for k in (5, -1):
        raises_like(lambda: torch.tensor(a).topk(k), lambda: ember.tensor(a).topk(k))
    raises_like(lambda: torch.tensor(a).topk(1, 2), lambda: ember.tensor(a).topk(1, 2))
    raises_like(lambda: torch.empty(0, 3).topk(1, 0), lambda: ember.empty(0, 3).topk(1, 0))


@needs_torch
def test_kthvalue():
    a = distinct(4, 5)
    for k in (1, 3, 5):
        compare("kthvalue", a, k)
        compare("kthvalue", a, k, -1, True)
    compare("kthvalue", a, 2, 0)
    compare("kthvalue", np.array(2.), 1)
    compare("kthvalue", np.array([3, 1, 2]), 2)
    for k, d in ((0, -1), (6, 1), (5, 0)):
        raises_like(lambda: torch.tensor(a).kthvalue(k, d), lambda: ember.tensor(a).kthvalue(k, d))


# -- unique / unique_consecutive ---------------------------------------------------------------------

def _unique_cmp(name, arr, **kw):
    er = getattr(ember, name)(ember.tensor(arr), **kw)
    tr = getattr(torch, name)(torch.tensor(arr), **kw)
    if isinstance(tr, tuple):
        assert isinstance(er, tuple) and len(er) == len(tr)
    assert_close(er, tr)


@needs_torch
@pytest.mark.parametrize("inv", [False, True])
@pytest.mark.parametrize("counts", [False, True])
def test_unique(inv, counts):
    a = RNG.integers(0, 5, (4, 6))
    _unique_cmp("unique", a, return_inverse=inv, return_counts=counts)
    _unique_cmp("unique", a.astype(np.float32), return_inverse=inv, return_counts=counts)
    _unique_cmp("unique", a > 2, return_inverse=inv, return_counts=counts)
    b = RNG.integers(0, 2, (5, 3))
    b[3] = b[1]
    _unique_cmp("unique", b, return_inverse=inv, return_counts=counts, dim=0)
    _unique_cmp("unique", b, return_inverse=inv, return_counts=counts, dim=1)
    _unique_cmp("unique", b, return_inverse=inv, return_counts=counts, dim=-2)
    _unique_cmp("unique", np.array([], dtype=np.float32), return_inverse=inv, return_counts=counts)
    c = np.array([1, 1, 2, 2, 3, 1, 1, 2])
    _unique_cmp("unique_consecutive", c, return_inverse=inv, return_counts=counts)
    _unique_cmp("unique_consecutive", a, return_inverse=inv, return_counts=counts)
    d = np.array([[1, 1, 2], [1, 1, 2], [0, 1, 1]])
    for dim in (0, 1):
        _unique_cmp("unique_consecutive", d, return_inverse=inv, return_counts=counts, dim=dim)


@needs_torch
def test_unique_autograd_and_errors():
    a = np.array([3., 1., 2., 1.])
    e, t = ember.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    eu, tu = e.unique(), t.unique()
    assert eu.grad_fn.name() == tu.grad_fn.name()
    assert e.unique(dim=0).grad_fn.name() == t.unique(dim=0).grad_fn.name()
    assert e.unique_consecutive().grad_fn.name() == t.unique_consecutive().grad_fn.name()
    raises_like(lambda: tu.sum().backward(), lambda: eu.sum().backward())
    i = np.arange(6).reshape(2, 3)
    raises_like(lambda: torch.tensor(i).unique(dim=3), lambda: ember.tensor(i).unique(dim=3))


# -- searchsorted / bucketize ------------------------------------------------------------------------

@needs_torch
@pytest.mark.parametrize("right", [False, True])
def test_searchsorted(right):
    seq = np.array([1, 3, 3, 5, 7])
    vals = np.array([[0, 3, 4], [7, 8, 5]])
    _ss = lambda **kw: assert_close(ember.searchsorted(ember.tensor(seq), ember.tensor(vals), **kw),
                                    torch.searchsorted(torch.tensor(seq), torch.tensor(vals), **kw))
    _ss(right=right)
    _ss(side="right" if right else "left")
    _ss(right=right, out_int32=True)
    b = np.sort(RNG.integers(0, 10, (2, 3, 6)), axis=-1)
    v = RNG.integers(-1, 11, (2, 3, 4))
    assert_close(ember.searchsorted(ember.tensor(b), ember.tensor(v), right=right),
                 torch.searchsorted(torch.tensor(b), torch.tensor(v), right=right))
    bf = b.astype(np.float32)
    vf = v.astype(np.float32) + 0.5
    assert_close(ember.searchsorted(ember.tensor(bf), ember.tensor(vf), right=right),
                 torch.searchsorted(torch.tensor(bf), torch.tensor(vf), right=right))
    unsorted = np.array([5, 1, 3, 7])
    sorter = np.argsort(unsorted)
    assert_close(ember.searchsorted(ember.tensor(unsorted), ember.tensor(vals), right=right,
                                    sorter=ember.tensor(sorter)),
                 torch.searchsorted(torch.tensor(unsorted), torch.tensor(vals), right=right,
                                    sorter=torch.tensor(sorter)))
    assert_close(ember.searchsorted(ember.tensor(seq), 3, right=right),
                 torch.searchsorted(torch.tensor(seq), 3, right=right))
    assert_close(ember.bucketize(ember.tensor(vals), ember.tensor(seq), right=right),
                 torch.bucketize(torch.tensor(vals), torch.tensor(seq), right=right))
    assert_close(ember.bucketize(ember.tensor(vals * 1.5), ember.tensor(seq), right=right, out_int32=True),
                 torch.bucketize(torch.tensor(vals * 1.5), torch.tensor(seq), right=right, out_int32=True))


@needs_torch
def test_searchsorted_errors():
    s, v = [1, 2, 3], [1]
    for kw in ({"side": "left", "right": True}, {"side": "mid"}):
        raises_like(lambda: torch.searchsorted(torch.tensor(s), torch.tensor(v), **kw),
                    lambda: ember.searchsorted(ember.tensor(s), ember.tensor(v), **kw))
    raises_like(lambda: torch.searchsorted(torch.tensor([s]), torch.tensor(v)),
                lambda: ember.searchsorted(ember.tensor([s]), ember.tensor(v)))
    raises_like(lambda: torch.searchsorted(torch.tensor([s, s]), torch.tensor([[1], [2], [3]])),
                lambda: ember.searchsorted(ember.tensor([s, s]), ember.tensor([[1], [2], [3]])))
    raises_like(lambda: torch.bucketize(torch.tensor(v), torch.tensor([s])),
                lambda: ember.bucketize(ember.tensor(v), ember.tensor([s])))


# -- hypothesis -----------------------------------------------------------------------------------------

@needs_torch
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.integers(1, 5), min_size=1, max_size=3), st.data())
def test_hypothesis_sort_topk(shape, data):
    a = distinct(*shape)
    nd = len(shape)
    d = data.draw(st.integers(-nd, nd - 1))
    desc = data.draw(st.booleans())
    compare("sort", a, d, desc)
    k = data.draw(st.integers(0, shape[d]))
    compare("topk", a, k, d, desc)
    ints = RNG.integers(0, 3, shape)
    compare("sort", ints, dim=d, descending=desc, stable=True, grad=False)
