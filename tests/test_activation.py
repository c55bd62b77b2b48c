"""Activation and softmax ops (ember/ops/activation.py) against torch: values, grads, grad_fn, errors."""
import numpy as np
import pytest

import ember
import ember.nn.functional as F
from tests.helpers import needs_torch, assert_close, raises_like, torch

if torch is not None:
    import torch.nn.functional as TF

# (name, ember fn, torch fn) with each option combination listed
CASES = [
    ("softmax0", lambda m, x: m.softmax(x, 0), None),
    ("softmax1", lambda m, x: m.softmax(x, 1), None),
    ("softmax-1", lambda m, x: m.softmax(x, -1), None),
    ("log_softmax1", lambda m, x: m.log_softmax(x, 1), None),
    ("log_softmax0", lambda m, x: m.log_softmax(x, 0), None),
    ("softmin", lambda f, x: f.softmin(x, 1), "F"),
    ("gelu", lambda f, x: f.gelu(x), "F"),
    ("gelu_tanh", lambda f, x: f.gelu(x, approximate="tanh"), "F"),
    ("silu", lambda f, x: f.silu(x), "F"),
    ("mish", lambda f, x: f.mish(x), "F"),
    ("elu", lambda f, x: f.elu(x), "F"),
    ("elu_a", lambda f, x: f.elu(x, alpha=0.7), "F"),
    ("selu", lambda f, x: f.selu(x), "F"),
    ("celu", lambda f, x: f.celu(x), "F"),
    ("celu_a", lambda f, x: f.celu(x, alpha=2.0), "F"),
    ("leaky_relu", lambda f, x: f.leaky_relu(x), "F"),
    ("leaky_relu_s", lambda f, x: f.leaky_relu(x, 0.2), "F"),
    ("hardtanh", lambda f, x: f.hardtanh(x), "F"),
    ("hardtanh_r", lambda f, x: f.hardtanh(x, -0.5, 2.0), "F"),
    ("relu6", lambda f, x: f.relu6(x * 4), "F"),
    ("hardswish", lambda f, x: f.hardswish(x * 3), "F"),
    ("hardsigmoid", lambda f, x: f.hardsigmoid(x * 3), "F"),
    ("softplus", lambda f, x: f.softplus(x), "F"),
    ("softplus_bt", lambda f, x: f.softplus(x * 10, beta=2, threshold=5), "F"),
    ("softsign", lambda f, x: f.softsign(x), "F"),
    ("tanhshrink", lambda f, x: f.tanhshrink(x), "F"),
    ("logsigmoid", lambda f, x: f.logsigmoid(x * 10), "F"),
    ("glu", lambda f, x: f.glu(x), "F"),
    ("glu0", lambda f, x: f.glu(x, 0), "F"),
    ("hardshrink", lambda f, x: f.hardshrink(x), "F"),
    ("softshrink", lambda f, x: f.softshrink(x, 0.3), "F"),
    ("threshold", lambda f, x: f.threshold(x, 0.1, 20.0), "F"),
    ("relu", lambda f, x: f.relu(x), "F"),
    ("sigmoid", lambda f, x: f.sigmoid(x), "F"),
    ("tanh", lambda f, x: f.tanh(x), "F"),
]


def _mods(which):
    if which == "F":
        return F, TF
    return ember, torch


@needs_torch
@pytest.mark.parametrize("name,fn,which", CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_matches_torch(name, fn, which, dtype):
    rng = np.random.default_rng(0)
    arr = (rng.standard_normal((4, 6)) * 2).astype(dtype)
    arr[0, :3] = [0.0, -3.0, 3.0]  # kinks
    me, mt = _mods(which)
    xe = ember.tensor(arr, requires_grad=True)
    xt = torch.tensor(arr, requires_grad=True)
    ye, yt = fn(me, xe), fn(mt, xt)
    tol = dict(rtol=1e-5, atol=1e-6) if dtype == "float32" else dict(rtol=1e-10, atol=1e-12)
    assert_close(ye, yt, **tol)
    assert ye.grad_fn.name() == yt.grad_fn.name()
    g = rng.standard_normal(tuple(yt.shape)).astype(dtype)
    ye.backward(ember.tensor(g))
    yt.backward(torch.tensor(g))
    assert_close(xe.grad, xt.grad, **tol)


GRADCHECK = [c for c in CASES if c[0] not in ("relu6", "hardswish", "hardsigmoid", "hardshrink", "softshrink",
                                                "threshold", "hardtanh", "hardtanh_r")]


@pytest.mark.parametrize("name,fn,which", GRADCHECK, ids=[c[0] for c in GRADCHECK])
def test_gradcheck(name, fn, which):
    rng = np.random.default_rng(1)
    arr = rng.standard_normal((4, 4)) + 0.05  # keep away from kinks at 0
    arr[np.abs(arr) < 0.05] = 0.3
    x = ember.tensor(arr, dtype=ember.float64, requires_grad=True)
    me = F if which == "F" else ember
    assert ember.autograd.gradcheck(lambda t: fn(me, t), (x,))


@pytest.mark.parametrize("fn", [lambda x: F.softmax(x, 1), lambda x: F.log_softmax(x, 0), F.gelu, F.silu, F.elu,
                                lambda x: F.hardswish(x * 2), F.selu, F.celu, lambda x: F.glu(x, 0), lambda x: F.leaky_relu(x) ** 2,
                                F.softplus, F.logsigmoid, F.mish, lambda x: F.gelu(x, approximate="tanh")])
def test_gradgradcheck(fn):
    x = ember.tensor(np.random.default_rng(2).standard_normal((2, 3)) + 0.1, dtype=ember.float64,
                     requires_grad=True)
    assert ember.autograd.gradgradcheck(fn, (x,))


def test_piecewise_gradcheck_off_kinks():
    arr = np.array([[-2.5, -0.7, 0.4, 1.6], [4.5, -4.2, 0.9, 6.5]])
    for fn in (F.relu6, F.hardswish, F.hardsigmoid, F.hardshrink, lambda x: F.softshrink(x, 0.3),
               lambda x: F.threshold(x, 0.1, 2.0), F.hardtanh):
        x = ember.tensor(arr, dtype=ember.float64, requires_grad=True)
        assert ember.autograd.gradcheck(fn, (x,))


@needs_torch
def test_prelu():
    rng = np.random.default_rng(3)
    arr = rng.standard_normal((2, 3, 4)).astype(np.float32)
    for w in (np.array([0.25], np.float32), np.array([0.1, 0.2, 0.3], np.float32)):
        xe, we = ember.tensor(arr, requires_grad=True), ember.tensor(w, requires_grad=True)
        xt, wt = torch.tensor(arr, requires_grad=True), torch.tensor(w, requires_grad=True)
        ye, yt = F.prelu(xe, we), TF.prelu(xt, wt)
        assert_close(ye, yt)
        assert ye.grad_fn.name() == yt.grad_fn.name()
        ye.sum().backward()
        yt.sum().backward()
        assert_close(xe.grad, xt.grad)
        assert_close(we.grad, wt.grad, rtol=1e-5, atol=1e-5)
    x = ember.tensor(rng.standard_normal((2, 3)), requires_grad=True)
    w = ember.tensor([0.1, 0.2, 0.3], dtype=ember.float64, requires_grad=True)
    assert ember.autograd.gradcheck(F.prelu, (x + 0.01, w))


@needs_torch
def test_tensor_methods_and_toplevel():
    arr = np.random.default_rng(4).standard_normal((3, 5)).astype(np.float32)
    xe, xt = ember.tensor(arr), torch.tensor(arr)
    assert_close(xe.softmax(1), xt.softmax(1))
    assert_close(xe.log_softmax(-1), xt.log_softmax(-1))
    assert_close(xe.softmax(dim=0), xt.softmax(dim=0))
    assert_close(ember.softmax(xe, 1, dtype=ember.float64), torch.softmax(xt, 1, dtype=torch.float64))
    assert_close(ember.log_softmax(xe, 0), torch.log_softmax(xt, 0))
    assert_close(ember.selu(xe), torch.selu(xt))
    assert_close(ember.celu(xe), torch.celu(xt))
    assert_close(ember.relu(xe), torch.relu(xt))


@needs_torch
def test_softmax_extremes_and_shapes():
    arr = np.array([[1000.0, -1000.0, 0.0], [-1e4, -1e4, -1e4]], np.float32)
    xe, xt = ember.tensor(arr), torch.tensor(arr)
    assert_close(ember.softmax(xe, 1), torch.softmax(xt, 1))
    assert_close(ember.log_softmax(xe, 1), torch.log_softmax(xt, 1))
    # 0-d and empty
    assert_close(ember.softmax(ember.tensor(3.0), 0), torch.softmax(torch.tensor(3.0), 0))
    assert_close(ember.log_softmax(ember.tensor(3.0), 0), torch.log_softmax(torch.tensor(3.0), 0))
    assert_close(ember.softmax(ember.zeros(0, 3), 1), torch.softmax(torch.zeros(0, 3), 1))
    # implicit dim (deprecated) uses torch's choice
    for shape in [(3,), (2, 3), (2, 3, 4), (2, 3, 4, 5)]:
        a = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
        with pytest.warns(UserWarning):
            ye = F.softmax(ember.tensor(a))
        with pytest.warns(UserWarning):
            yt = TF.softmax(torch.tensor(a))
        assert_close(ye, yt)


@needs_torch
def test_float16_stays_float16():
    arr = np.random.default_rng(5).standard_normal((3, 4)).astype(np.float16)
    for fe, ft in [(lambda x: F.softmax(x, 1), lambda x: TF.softmax(x, 1)), (F.gelu, TF.gelu), (F.silu, TF.silu),
                   (F.elu, TF.elu), (F.leaky_relu, TF.leaky_relu), (F.softplus, TF.softplus)]:
        assert_close(fe(ember.tensor(arr)), ft(torch.tensor(arr)), rtol=2e-3, atol=2e-3)


@needs_torch
def test_inplace_variants():
    arr = np.random.default_rng(6).standard_normal((3, 4)).astype(np.float32)
    for fe, ft in [(lambda x: F.relu(x, inplace=True), lambda x: TF.relu(x, inplace=True)),
                   (lambda x: F.leaky_relu_(x, 0.3), lambda x: TF.leaky_relu_(x, 0.3)),
                   (lambda x: F.elu(x, inplace=True), lambda x: TF.elu(x, inplace=True)),
                   (lambda x: F.hardtanh_(x), lambda x: TF.hardtanh_(x)),
                   (lambda x: F.silu(x, inplace=True), lambda x: TF.silu(x, inplace=True))]:
        xe, xt = ember.tensor(arr.copy()), torch.tensor(arr.copy())
        re, rt = fe(xe), ft(xt)
        assert re is xe
        assert_close(xe, xt)
    # in-place on a non-leaf keeps the gradient right
    le, lt = ember.tensor(arr, requires_grad=True), torch.tensor(arr, requires_grad=True)
    ye, yt = F.elu(le * 2, inplace=True), TF.elu(lt * 2, inplace=True)
    ye.sum().backward()
    yt.sum().backward()
    assert_close(le.grad, lt.grad)


@needs_torch
def test_errors():
    x = np.random.default_rng(7).standard_normal((3, 4)).astype(np.float32)
    xe, xt = ember.tensor(x), torch.tensor(x)
    raises_like(lambda: TF.glu(torch.randn(3, 3)), lambda: F.glu(ember.randn(3, 3)))
    raises_like(lambda: TF.gelu(torch.arange(3)), lambda: F.gelu(ember.arange(3)))
    raises_like(lambda: torch.softmax(torch.arange(3), 0), lambda: ember.softmax(ember.arange(3), 0))
    raises_like(lambda: TF.softmax(xt, 2), lambda: F.softmax(xe, 2))
    raises_like(lambda: TF.log_softmax(xt, -3), lambda: F.log_softmax(xe, -3))
    raises_like(lambda: TF.prelu(xt, torch.ones(3)), lambda: F.prelu(xe, ember.ones(3)))
    raises_like(lambda: TF.gelu(xt, approximate="foo"), lambda: F.gelu(xe, approximate="foo"))
    raises_like(lambda: TF.hardtanh(xt, 2.0, 1.0), lambda: F.hardtanh(xe, 2.0, 1.0))
