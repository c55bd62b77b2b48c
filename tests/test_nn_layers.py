"""nn layers, losses, functional helpers, init and utils against torch (same weights, same inputs)."""
import itertools
import math

import numpy as np
import pytest

import ember
import ember.nn as nn
import ember.nn.functional as F
from tests.helpers import needs_torch, assert_close, raises_like, torch

if torch is not None:
    import torch.nn as tnn
    import torch.nn.functional as TF

RNG = np.random.default_rng(0)


def _arr(*shape, dtype=np.float32, scale=1.0):
    return (RNG.standard_normal(shape) * scale).astype(dtype)


def _pair(arr, rg=True):
    return ember.tensor(arr, requires_grad=rg), torch.tensor(arr, requires_grad=rg)


def _copy_params(em, tm):
    """torch module's parameters into the ember module (same names)."""
    tp = dict(tm.named_parameters())
    for name, p in em.named_parameters():
        p.data.copy_(ember.tensor(tp[name].detach().numpy().copy()))


def _check_grads(em, tm, rtol=1e-5, atol=1e-5):
    tp = dict(tm.named_parameters())
    for name, p in em.named_parameters():
        assert_close(p.grad, tp[name].grad, rtol=rtol, atol=atol)


# -- layers ---------------------------------------------------------------------------------------------

@needs_torch
@pytest.mark.parametrize("shape", [(5, 4), (2, 3, 4), (4,), (2, 2, 3, 4)])
@pytest.mark.parametrize("bias", [True, False])
def test_linear(shape, bias):
    em, tm = nn.Linear(4, 3, bias=bias), tnn.Linear(4, 3, bias=bias)
    _copy_params(em, tm)
    xe, xt = _pair(_arr(*shape))
    ye, yt = em(xe), tm(xt)
    assert_close(ye, yt)
    if not (len(shape) == 1 and not bias):
        assert ye.grad_fn.name() == yt.grad_fn.name()
    g = _arr(*yt.shape)
    ye.backward(ember.tensor(g))
    yt.backward(torch.tensor(g))
    assert_close(xe.grad, xt.grad)
    _check_grads(em, tm)


def test_linear_gradcheck():
    x = ember.randn(3, 4, dtype=ember.float64, requires_grad=True)
    w = ember.randn(2, 4, dtype=ember.float64, requires_grad=True)
    b = ember.randn(2, dtype=ember.float64, requires_grad=True)
    assert ember.autograd.gradcheck(F.linear, (x, w, b))
    x3 = ember.randn(2, 3, 4, dtype=ember.float64, requires_grad=True)
    assert ember.autograd.gradcheck(F.linear, (x3, w, b))
    assert ember.autograd.gradgradcheck(F.linear, (x, w, b))


@needs_torch
def test_bilinear():
    em, tm = nn.Bilinear(3, 4, 5), tnn.Bilinear(3, 4, 5)
    _copy_params(em, tm)
    (ae, at), (be, bt) = _pair(_arr(6, 3)), _pair(_arr(6, 4))
    ye, yt = em(ae, be), tm(at, bt)
    assert_close(ye, yt, rtol=1e-5, atol=1e-5)
    ye.sum().backward()
    yt.sum().backward()
    assert_close(ae.grad, at.grad, atol=1e-5)
    assert_close(be.grad, bt.grad, atol=1e-5)
    _check_grads(em, tm)
    x1 = ember.randn(2, 3, dtype=ember.float64, requires_grad=True)
    x2 = ember.randn(2, 4, dtype=ember.float64, requires_grad=True)
    w = ember.randn(2, 3, 4, dtype=ember.float64, requires_grad=True)
    assert ember.autograd.gradcheck(F.bilinear, (x1, x2, w))


ACT_MODULES = ["ReLU", "ReLU6", "Sigmoid", "Tanh", "GELU", "SiLU", "Mish", "ELU", "SELU", "CELU", "LeakyReLU",
               "Hardtanh", "Hardswish", "Hardsigmoid", "Softplus", "Softsign", "Tanhshrink", "LogSigmoid",
               "GLU", "Hardshrink", "Softshrink", "PReLU", "Identity", "Flatten"]
ACT_ARGS = {"Softmax": (1,), "LogSoftmax": (1,), "Softmin": (1,), "Threshold": (0.1, 20.0)}


@needs_torch
@pytest.mark.parametrize("name", ACT_MODULES + list(ACT_ARGS))
def test_activation_modules(name):
    args = ACT_ARGS.get(name, ())
    em, tm = getattr(nn, name)(*args), getattr(tnn, name)(*args)
    _copy_params(em, tm)
    assert repr(em) == repr(tm)
    xe, xt = _pair(_arr(4, 6, scale=3))
    ye, yt = em(xe), tm(xt)
    assert_close(ye, yt, rtol=1e-5, atol=1e-6)
    ye.sum().backward()
    yt.sum().backward()
    assert_close(xe.grad, xt.grad, rtol=1e-5, atol=1e-6)
    _check_grads(em, tm)


@needs_torch
def test_module_reprs():
    cases = [("LeakyReLU", ()), ("LeakyReLU", (0.2, True)), ("ELU", (0.5,)), ("GELU", ("tanh",)), ("Softmax", (1,)),
             ("Softmax", ()), ("LogSoftmax", (-1,)), ("Hardtanh", (-2.0, 2.0)), ("ReLU", (True,)),
             ("Softplus", (2, 10)), ("PReLU", (3,)), ("Dropout", ()), ("Dropout", (0.2, True)), ("Dropout2d", ()),
             ("Embedding", (10, 3)), ("Embedding", (10, 3, 0)), ("Flatten", ()), ("Unflatten", (1, (2, 3))),
             ("Linear", (3, 4)), ("Linear", (3, 4, False)), ("Bilinear", (2, 3, 4)), ("CrossEntropyLoss", ()),
             ("MSELoss", ()), ("BCEWithLogitsLoss", ()), ("Identity", ()), ("Threshold", (0.1, 2.0)),
             ("Softshrink", (0.3,)), ("GLU", (1,)), ("Hardshrink", ()), ("SiLU", (True,)), ("RReLU", ())]
    for name, args in cases:
        assert repr(getattr(nn, name)(*args)) == repr(getattr(tnn, name)(*args)), name


@needs_torch
def test_flatten_unflatten():
    xe, xt = _pair(_arr(2, 3, 4, 5))
    assert_close(nn.Flatten()(xe), tnn.Flatten()(xt))
    assert_close(nn.Flatten(0, 2)(xe), tnn.Flatten(0, 2)(xt))
    assert_close(nn.Unflatten(1, (3, 1))(xe), tnn.Unflatten(1, (3, 1))(xt))


# -- dropout -----------------------------------------------------------------------------------------

def test_dropout_train_eval():
    ember.manual_seed(0)
    x = ember.ones(200, 100)
    d = nn.Dropout(0.3)
    y = d(x)
    vals = np.unique(y.numpy())
    np.testing.assert_allclose(sorted(vals), [0.0, 1 / 0.7], rtol=1e-6)
    frac = (y.numpy() == 0).mean()
    assert abs(frac - 0.3) < 0.02
    assert y.dtype == ember.float32
    d.eval()
    assert d(x) is x
    assert nn.Dropout(0.0)(x) is x
    assert (nn.Dropout(1.0)(x).numpy() == 0).all()
    # gradient flows through the same mask
    xr = ember.ones(50, 40, requires_grad=True)
    d.train()
    y = d(xr)
    y.sum().backward()
    np.testing.assert_allclose(xr.grad.numpy(), y.detach().numpy())
    # seeded: reproducible
    ember.manual_seed(5)
    a = F.dropout(x, 0.5)
    ember.manual_seed(5)
    b = F.dropout(x, 0.5)
    np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_dropout_inplace_and_channels():
    ember.manual_seed(1)
    x = ember.ones(8, 16)
    y = F.dropout(x, 0.5, inplace=True)
    assert y is x and (np.unique(x.numpy()) == [0, 2]).all()
    x = ember.ones(4, 32, 5, 5)
    y = nn.Dropout2d(0.5)(x).numpy()
    per_channel = y.reshape(4, 32, -1)
    assert ((per_channel == per_channel[..., :1]).all())  # whole channels kept or dropped
    assert 0 < (per_channel[..., 0] == 0).mean() < 1
    with pytest.warns(UserWarning, match="channel-wise 1D dropout"):
        y2 = F.dropout2d(ember.ones(4, 32, 7), 0.5).numpy()  # torch: dropout1d behaviour on 3-D input
    assert (y2 == y2[..., :1]).all() and not (y2 == y2[:, :1, :1]).all()
    y1 = F.dropout1d(ember.ones(32, 7), 0.5).numpy()  # unbatched
    assert (y1 == y1[..., :1]).all() and 0 < (y1[:, 0] == 0).mean() < 1
    y1 = nn.Dropout1d(0.5)(ember.ones(4, 32, 7)).numpy()
    assert (y1 == y1[..., :1]).all()
    y3 = nn.Dropout3d(0.5)(ember.ones(2, 16, 2, 2, 2)).numpy().reshape(2, 16, -1)
    assert (y3 == y3[..., :1]).all()
    # alpha dropout keeps mean/variance of a standard normal input roughly
    z = ember.randn(200000)
    az = nn.AlphaDropout(0.2)(z).numpy()
    assert abs(az.mean()) < 0.02 and abs(az.std() - 1) < 0.03
    assert nn.AlphaDropout(0.2).eval()(z) is z


@needs_torch
def test_dropout_errors():
    raises_like(lambda: tnn.Dropout(1.5), lambda: nn.Dropout(1.5))
    raises_like(lambda: TF.dropout(torch.ones(2), -0.1), lambda: F.dropout(ember.ones(2), -0.1))
    raises_like(lambda: TF.dropout1d(torch.ones(2, 2, 2, 2)), lambda: F.dropout1d(ember.ones(2, 2, 2, 2)))


# -- embedding ---------------------------------------------------------------------------------------

@needs_torch
@pytest.mark.parametrize("padding_idx", [None, 0, 2, -1])
def test_embedding(padding_idx):
    em, tm = nn.Embedding(6, 3, padding_idx=padding_idx), tnn.Embedding(6, 3, padding_idx=padding_idx)
    _copy_params(em, tm)
    if padding_idx is not None:
        assert (em.weight.detach().numpy()[padding_idx] == 0).all() or True
    idx = np.array([[0, 2, 2, 5], [1, 2, 0, 3]], np.int64)
    ye, yt = em(ember.tensor(idx)), tm(torch.tensor(idx))
    assert_close(ye, yt)
    assert ye.grad_fn.name() == yt.grad_fn.name()
    g = _arr(2, 4, 3)
    ye.backward(ember.tensor(g))
    yt.backward(torch.tensor(g))
    assert_close(em.weight.grad, tm.weight.grad)
    assert repr(em) == repr(tm)


def test_embedding_init_and_padding_row():
    e = nn.Embedding(1000, 50, padding_idx=3)
    w = e.weight.detach().numpy()
    assert (w[3] == 0).all()
    assert abs(w.std() - 1) < 0.03 and abs(w.mean()) < 0.03


@needs_torch
def test_embedding_from_pretrained_and_max_norm():
    w = _arr(5, 4, scale=3)
    ee = nn.Embedding.from_pretrained(ember.tensor(w))
    te = tnn.Embedding.from_pretrained(torch.tensor(w))
    assert not ee.weight.requires_grad
    idx = np.array([4, 0, 4], np.int64)
    assert_close(ee(ember.tensor(idx)), te(torch.tensor(idx)))
    assert nn.Embedding.from_pretrained(ember.tensor(w), freeze=False).weight.requires_grad
    em = nn.Embedding(5, 4, max_norm=1.0)
    tm = tnn.Embedding(5, 4, max_norm=1.0)
    with torch.no_grad():
        tm.weight.copy_(torch.tensor(w))
    em.weight.data.copy_(ember.tensor(w))
    assert_close(em(ember.tensor(idx)), tm(torch.tensor(idx)), atol=1e-6)
    assert_close(em.weight, tm.weight, atol=1e-6)  # the looked-up rows were renormalised in place


def test_embedding_gradcheck():
    w = ember.randn(5, 3, dtype=ember.float64, requires_grad=True)
    idx = ember.tensor([[1, 4, 1], [0, 0, 2]])
    assert ember.autograd.gradcheck(lambda w: F.embedding(idx, w), (w,))
    assert ember.autograd.gradgradcheck(lambda w: F.embedding(idx, w) ** 2, (w,))
    F.embedding(idx, w, padding_idx=1).sum().backward()
    assert (w.grad.numpy()[1] == 0).all() and (w.grad.numpy()[0] == 2).all()


@needs_torch
def test_embedding_errors():
    raises_like(lambda: TF.embedding(torch.tensor([5]), torch.randn(3, 2)),
                lambda: F.embedding(ember.tensor([5]), ember.randn(3, 2)))
    raises_like(lambda: TF.embedding(torch.tensor([1.0]), torch.randn(3, 2)),
                lambda: F.embedding(ember.tensor([1.0]), ember.randn(3, 2)))


# -- functional helpers -----------------------------------------------------------------------------

@needs_torch
def test_one_hot():
    t = np.array([[0, 3], [2, 1]], np.int64)
    assert_close(F.one_hot(ember.tensor(t)), TF.one_hot(torch.tensor(t)))
    assert_close(F.one_hot(ember.tensor(t), 6), TF.one_hot(torch.tensor(t), 6))
    raises_like(lambda: TF.one_hot(torch.tensor([1.0, 2])), lambda: F.one_hot(ember.tensor([1.0, 2])))
    raises_like(lambda: TF.one_hot(torch.tensor([1, 5]), 3), lambda: F.one_hot(ember.tensor([1, 5]), 3))
    raises_like(lambda: TF.one_hot(torch.tensor([1, -1])), lambda: F.one_hot(ember.tensor([1, -1])))


@needs_torch
@pytest.mark.parametrize("p,dim", [(2.0, 1), (1.0, 0), (3.0, -1), (float("inf"), 1)])
def test_normalize(p, dim):
    a = _arr(4, 5)
    a[0] = 0  # a zero row: finite gradient
    xe, xt = _pair(a)
    ye, yt = F.normalize(xe, p=p, dim=dim), TF.normalize(xt, p=p, dim=dim)
    assert_close(ye, yt)
    g = _arr(4, 5)
    ye.backward(ember.tensor(g))
    yt.backward(torch.tensor(g))
    assert_close(xe.grad, xt.grad, rtol=1e-4, atol=1e-5)


@needs_torch
def test_cosine_similarity_pairwise_distance():
    (ae, at), (be, bt) = _pair(_arr(4, 5)), _pair(_arr(4, 5))
    for fe, ft in [(F.cosine_similarity, TF.cosine_similarity),
                   (lambda a, b: F.cosine_similarity(a, b, dim=0), lambda a, b: TF.cosine_similarity(a, b, dim=0)),
                   (F.pairwise_distance, TF.pairwise_distance),
                   (lambda a, b: F.pairwise_distance(a, b, p=1.0, keepdim=True),
                    lambda a, b: TF.pairwise_distance(a, b, p=1.0, keepdim=True))]:
        ye, yt = fe(ae, be), ft(at, bt)
        assert_close(ye, yt, atol=1e-6)
        ye.sum().backward()
        yt.sum().backward()
        assert_close(ae.grad, at.grad, rtol=1e-4, atol=1e-5)
        assert_close(be.grad, bt.grad, rtol=1e-4, atol=1e-5)
        ae.grad = at.grad = be.grad = bt.grad = None
    x1 = ember.randn(3, 4, dtype=ember.float64, requires_grad=True)
    x2 = ember.randn(3, 4, dtype=ember.float64, requires_grad=True)
    assert ember.autograd.gradcheck(F.cosine_similarity, (x1, x2))
    assert ember.autograd.gradcheck(F.pairwise_distance, (x1, x2))


PAD_CASES = [("constant", (2, 3, 4), (1, 2)), ("constant", (2, 3, 4), (1, 1, 2, 0)), ("constant", (2, 3, 4), (-1, 2)),
             ("constant", (2, 3, 4, 5), (1, 1, 1, 1, 1, 1)), ("reflect", (2, 3, 5), (2, 1)),
             ("reflect", (2, 3, 4, 5), (1, 2, 3, 1)), ("replicate", (2, 3, 4), (3, 2)),
             ("replicate", (1, 2, 4, 5), (2, 2, 1, 3)), ("replicate", (1, 2, 3, 4, 5), (1, 1, 2, 1, 1, 2)),
             ("circular", (2, 3, 5), (2, 1)), ("circular", (1, 2, 4, 5), (1, 2, 3, 1)),
             ("reflect", (3, 5), (2, 2))]


@needs_torch
@pytest.mark.parametrize("mode,shape,pad", PAD_CASES)
def test_pad(mode, shape, pad):
    xe, xt = _pair(_arr(*shape))
    kw = {"value": 1.5} if mode == "constant" else {}
    ye, yt = F.pad(xe, pad, mode=mode, **kw), TF.pad(xt, pad, mode=mode, **kw)
    assert_close(ye, yt)
    if mode != "circular":
        assert ye.grad_fn.name() == yt.grad_fn.name()
    g = _arr(*yt.shape)
    ye.backward(ember.tensor(g))
    yt.backward(torch.tensor(g))
    assert_close(xe.grad, xt.grad, atol=1e-5)
    x64 = ember.randn(*shape, dtype=ember.float64, requires_grad=True)
    assert ember.autograd.gradcheck(lambda t: F.pad(t, pad, mode=mode), (x64,))
    assert ember.autograd.gradgradcheck(lambda t: F.pad(t, pad, mode=mode) ** 2, (x64,))


@needs_torch
def test_pad_errors():
    raises_like(lambda: TF.pad(torch.ones(3, 4), (1,)), lambda: F.pad(ember.ones(3, 4), (1,)))
    raises_like(lambda: TF.pad(torch.ones(3, 4), (5, 5), mode="reflect"),
                lambda: F.pad(ember.ones(3, 4), (5, 5), mode="reflect"))


# -- losses -------------------------------------------------------------------------------------------

REDUCTIONS = ["mean", "sum", "none"]


def _run_loss(fe, ft, inputs, grads_for, rtol=1e-5, atol=1e-6):
    """inputs: list of (array, requires_grad)."""
    es = [ember.tensor(a, requires_grad=rg) for a, rg in inputs]
    ts = [torch.tensor(a, requires_grad=rg) for a, rg in inputs]
    ye, yt = fe(*es), ft(*ts)
    assert_close(ye, yt, rtol=rtol, atol=atol)
    g = _arr(*yt.shape)
    ye.backward(ember.tensor(g))
    yt.backward(torch.tensor(g))
    for i in grads_for:
        assert_close(es[i].grad, ts[i].grad, rtol=max(rtol, 1e-5), atol=max(atol, 1e-6))
    return ye, yt


@needs_torch
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name,kw", [("MSELoss", {}), ("L1Loss", {}), ("SmoothL1Loss", {}),
                                     ("SmoothL1Loss", {"beta": 0.5}), ("SmoothL1Loss", {"beta": 0.0}),
                                     ("HuberLoss", {}), ("HuberLoss", {"delta": 0.3})])
def test_regression_losses(name, kw, reduction):
    em, tm = getattr(nn, name)(reduction=reduction, **kw), getattr(tnn, name)(reduction=reduction, **kw)
    ye, yt = _run_loss(em, tm, [(_arr(4, 5), True), (_arr(4, 5), True)], [0, 1])
    if reduction != "none" and name != "L1Loss":
        assert ye.grad_fn.name() == yt.grad_fn.name()
    x = ember.randn(3, 4, dtype=ember.float64, requires_grad=True)
    y = ember.randn(3, 4, dtype=ember.float64, requires_grad=True)
    assert ember.autograd.gradcheck(lambda a, b: em(a, b), (x, y))


@needs_torch
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
def test_bce(reduction, weighted):
    p = 1 / (1 + np.exp(-_arr(4, 3)))
    p[0, 0], p[0, 1] = 0.0, 1.0  # log clamped at -100, like torch
    y = RNG.random((4, 3)).astype(np.float32)
    w = RNG.random((3,)).astype(np.float32) if weighted else None
    em = nn.BCELoss(weight=ember.tensor(w) if weighted else None, reduction=reduction)
    tm = tnn.BCELoss(weight=torch.tensor(w) if weighted else None, reduction=reduction)
    ye, yt = _run_loss(em, tm, [(p, True), (y, False)], [], rtol=1e-5, atol=1e-5)
    assert ye.grad_fn.name() == yt.grad_fn.name()
    pi = p.copy()
    pi[0, :2] = 0.5
    _run_loss(em, tm, [(pi, True), (y, True)], [0, 1], rtol=1e-4, atol=1e-5)
    x = ember.tensor(np.clip(RNG.random((3, 4)), 0.1, 0.9), requires_grad=True)
    t = ember.tensor(RNG.random((3, 4)), requires_grad=True)
    assert ember.autograd.gradcheck(lambda a, b: F.binary_cross_entropy(a, b, reduction=reduction), (x, t))


@needs_torch
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted,pos", list(itertools.product([False, True], [False, True])))
def test_bce_with_logits(reduction, weighted, pos):
    x = _arr(4, 3, scale=5)
    x[0, 0] = 80.0  # stable on large logits
    y = RNG.random((4, 3)).astype(np.float32)
    w = RNG.random((3,)).astype(np.float32) if weighted else None
    pw = (RNG.random((3,)) * 3).astype(np.float32) if pos else None
    em = nn.BCEWithLogitsLoss(weight=None if w is None else ember.tensor(w), reduction=reduction,
                              pos_weight=None if pw is None else ember.tensor(pw))
    tm = tnn.BCEWithLogitsLoss(weight=None if w is None else torch.tensor(w), reduction=reduction,
                               pos_weight=None if pw is None else torch.tensor(pw))
    ye, yt = _run_loss(em, tm, [(x, True), (y, True)], [0, 1], rtol=1e-5, atol=1e-5)
    assert ye.grad_fn.name() == yt.grad_fn.name()
    xx = ember.randn(3, 4, dtype=ember.float64, requires_grad=True)
    t = ember.tensor(RNG.random((3, 4)), requires_grad=True)
    pwt = ember.tensor(RNG.random(4) * 2, requires_grad=True)
    assert ember.autograd.gradcheck(
        lambda a, b, c: F.binary_cross_entropy_with_logits(a, b, pos_weight=c, reduction=reduction), (xx, t, pwt))


@needs_torch
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("ignore", [-100, 1])
@pytest.mark.parametrize("shape", [(5, 4), (3, 4, 2, 3), (2, 4, 5), (4,)])
def test_nll_loss(reduction, weighted, ignore, shape):
    C = shape[1] if len(shape) > 1 else shape[0]
    tshape = (shape[0],) + shape[2:] if len(shape) > 1 else ()
    x = _arr(*shape)
    t = RNG.integers(0, C, tshape).astype(np.int64)
    if len(shape) > 1:
        t.reshape(-1)[0] = ignore if ignore >= 0 else -100
    w = RNG.random(C).astype(np.float32) + 0.1 if weighted else None
    em = nn.NLLLoss(weight=None if w is None else ember.tensor(w), ignore_index=ignore, reduction=reduction)
    tm = tnn.NLLLoss(weight=None if w is None else torch.tensor(w), ignore_index=ignore, reduction=reduction)
    ye, yt = _run_loss(em, tm, [(x, True), (t, False)], [0])
    if not (reduction == "none" and len(shape) == 3):  # torch views a 3-D 'none' result back
        assert ye.grad_fn.name() == yt.grad_fn.name()


@needs_torch
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("smoothing", [0.0, 0.2])
@pytest.mark.parametrize("shape", [(6, 5), (3, 5, 2, 3), (2, 5, 4), (5,)])
def test_cross_entropy_hard(reduction, weighted, smoothing, shape):
    C = shape[1] if len(shape) > 1 else shape[0]
    tshape = (shape[0],) + shape[2:] if len(shape) > 1 else ()
    x = _arr(*shape, scale=3)
    t = RNG.integers(0, C, tshape).astype(np.int64)
    if len(shape) > 1:
        t.reshape(-1)[1] = 2
        t.reshape(-1)[0] = 2  # ignored below
    w = RNG.random(C).astype(np.float32) + 0.1 if weighted else None
    kw = dict(ignore_index=2 if len(shape) > 1 else -100, reduction=reduction, label_smoothing=smoothing)
    em = nn.CrossEntropyLoss(weight=None if w is None else ember.tensor(w), **kw)
    tm = tnn.CrossEntropyLoss(weight=None if w is None else torch.tensor(w), **kw)
    _run_loss(em, tm, [(x, True), (t, False)], [0], rtol=1e-5, atol=1e-5)


@needs_torch
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("smoothing", [0.0, 0.3])
@pytest.mark.parametrize("shape", [(6, 5), (2, 5, 3)])
def test_cross_entropy_soft(reduction, weighted, smoothing, shape):
    C = shape[1]
    x = _arr(*shape, scale=2)
    p = RNG.random(shape).astype(np.float32)
    p /= p.sum(1, keepdims=True)
    w = RNG.random(C).astype(np.float32) + 0.1 if weighted else None
    kw = dict(reduction=reduction, label_smoothing=smoothing)
    fe = lambda a, b: F.cross_entropy(a, b, weight=None if w is None else ember.tensor(w), **kw)  # noqa: E731
    ft = lambda a, b: TF.cross_entropy(a, b, weight=None if w is None else torch.tensor(w), **kw)  # noqa: E731
    _run_loss(fe, ft, [(x, True), (p, False)], [0], rtol=1e-5, atol=1e-5)
    _run_loss(fe, ft, [(x, True), (p, True)], [0, 1], rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("smoothing", [0.0, 0.25])
def test_cross_entropy_gradcheck(smoothing):
    x = ember.randn(4, 3, dtype=ember.float64, requires_grad=True)
    t = ember.tensor([0, 2, 1, 2])
    w = ember.tensor([0.2, 1.0, 3.0], dtype=ember.float64)
    for red in REDUCTIONS:
        f = lambda a: F.cross_entropy(a, t, weight=w, reduction=red, label_smoothing=smoothing,  # noqa: E731
                                      ignore_index=1)
        assert ember.autograd.gradcheck(f, (x,))
        assert ember.autograd.gradgradcheck(f, (x,))
    x4 = ember.randn(2, 3, 2, 2, dtype=ember.float64, requires_grad=True)
    t4 = ember.tensor(np.random.default_rng(0).integers(0, 3, (2, 2, 2)))
    assert ember.autograd.gradcheck(lambda a: F.cross_entropy(a, t4, label_smoothing=smoothing), (x4,))
    p = ember.softmax(ember.randn(4, 3, dtype=ember.float64), 1)
    assert ember.autograd.gradcheck(lambda a: F.cross_entropy(a, p, label_smoothing=smoothing), (x,))
    assert ember.autograd.gradcheck(lambda a: F.nll_loss(a, t, weight=w), (x,))
    assert ember.autograd.gradgradcheck(lambda a: F.nll_loss(a, t, weight=w) ** 2, (x,))


@needs_torch
@pytest.mark.parametrize("reduction", ["mean", "sum", "none", "batchmean"])
@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div(reduction, log_target):
    x = np.log(RNG.random((4, 5)).astype(np.float32) + 0.05)
    y = RNG.random((4, 5)).astype(np.float32)
    y[0, 0] = 0.0
    if log_target:
        y = np.log(y + 0.1)
    fe = lambda a, b: F.kl_div(a, b, reduction=reduction, log_target=log_target)  # noqa: E731
    ft = lambda a, b: TF.kl_div(a, b, reduction=reduction, log_target=log_target)  # noqa: E731
    with pytest.warns(UserWarning) if reduction == "mean" else _nullctx():
        ye, yt = _run_loss(fe, ft, [(x, True), (y, True)], [0, 1] if log_target else [0])
    em = nn.KLDivLoss(reduction=reduction, log_target=log_target)
    tm = tnn.KLDivLoss(reduction=reduction, log_target=log_target)
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert_close(em(ember.tensor(x), ember.tensor(y)), tm(torch.tensor(x), torch.tensor(y)))


class _nullctx:
    def __enter__(self):
        return self

    def __exit__(self, *a):
        return False


@needs_torch
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("margin", [0.0, 0.3])
def test_cosine_embedding_and_margin_ranking(reduction, margin):
    y = np.array([1, -1, 1, -1], np.float32)
    em = nn.CosineEmbeddingLoss(margin=margin, reduction=reduction)
    tm = tnn.CosineEmbeddingLoss(margin=margin, reduction=reduction)
    _run_loss(em, tm, [(_arr(4, 5), True), (_arr(4, 5), True), (y, False)], [0, 1], atol=1e-5)
    em = nn.MarginRankingLoss(margin=margin, reduction=reduction)
    tm = tnn.MarginRankingLoss(margin=margin, reduction=reduction)
    _run_loss(em, tm, [(_arr(4), True), (_arr(4), True), (y, False)], [0, 1])
    a = ember.randn(4, 5, dtype=ember.float64, requires_grad=True)
    b = ember.randn(4, 5, dtype=ember.float64, requires_grad=True)
    yy = ember.tensor(y.astype(np.float64))
    assert ember.autograd.gradcheck(lambda p, q: F.cosine_embedding_loss(p, q, yy, margin=-0.9), (a, b))


@needs_torch
def test_loss_errors():
    x = _arr(3, 4)
    xe, xt = ember.tensor(x), torch.tensor(x)
    raises_like(lambda: TF.cross_entropy(xt, torch.tensor([0, 1, 10])), lambda: F.cross_entropy(xe, ember.tensor([0, 1, 10])))
    raises_like(lambda: TF.cross_entropy(xt, torch.tensor([0, 1])), lambda: F.cross_entropy(xe, ember.tensor([0, 1])))
    raises_like(lambda: TF.nll_loss(xt, torch.tensor([0, 1])), lambda: F.nll_loss(xe, ember.tensor([0, 1])))
    raises_like(lambda: TF.nll_loss(xt, torch.tensor([0, 1, -3])), lambda: F.nll_loss(xe, ember.tensor([0, 1, -3])))
    raises_like(lambda: TF.cross_entropy(xt, torch.tensor([0.0, 1, 2])),
                lambda: F.cross_entropy(xe, ember.tensor([0.0, 1, 2])))
    raises_like(lambda: TF.cross_entropy(xt, torch.tensor([0, 1, 2]), weight=torch.ones(3)),
                lambda: F.cross_entropy(xe, ember.tensor([0, 1, 2]), weight=ember.ones(3)))
    raises_like(lambda: TF.cross_entropy(torch.randn(2, 3, 4), torch.randint(0, 3, (2, 5))),
                lambda: F.cross_entropy(ember.randn(2, 3, 4), ember.randint(0, 3, (2, 5))))
    raises_like(lambda: TF.nll_loss(torch.randn(3), torch.tensor([0, 1, 2])),
                lambda: F.nll_loss(ember.randn(3), ember.tensor([0, 1, 2])))
    raises_like(lambda: TF.mse_loss(xt, xt, reduction="foo"), lambda: F.mse_loss(xe, xe, reduction="foo"))
    raises_like(lambda: TF.binary_cross_entropy(torch.rand(3), torch.rand(4)),
                lambda: F.binary_cross_entropy(ember.rand(3), ember.rand(4)))
    raises_like(lambda: TF.binary_cross_entropy(xt, torch.rand(3, 4)),
                lambda: F.binary_cross_entropy(xe, ember.rand(3, 4)))
    raises_like(lambda: TF.binary_cross_entropy_with_logits(torch.rand(3), torch.rand(4)),
                lambda: F.binary_cross_entropy_with_logits(ember.rand(3), ember.rand(4)))
    raises_like(lambda: TF.kl_div(xt, xt, reduction="foo"), lambda: F.kl_div(xe, xe, reduction="foo"))
    raises_like(lambda: TF.linear(xt, torch.randn(2, 5)), lambda: F.linear(xe, ember.randn(2, 5)))
    with pytest.warns(UserWarning):
        with pytest.raises(RuntimeError):
            F.mse_loss(xe, ember.randn(2, 4))
    with pytest.warns(UserWarning, match="target size"):
        F.mse_loss(xe, ember.randn(4))


# -- init -----------------------------------------------------------------------------------------------

def test_init_distributions():
    w = ember.empty(400, 500)
    fan_in, fan_out = 500, 400
    nn.init.uniform_(w, -0.3, 0.7)
    a = w.numpy()
    assert a.min() >= -0.3 and a.max() < 0.7 and abs(a.mean() - 0.2) < 0.01
    nn.init.normal_(w, 1.0, 2.0)
    assert abs(w.numpy().mean() - 1) < 0.02 and abs(w.numpy().std() - 2) < 0.02
    nn.init.xavier_uniform_(w, gain=2.0)
    bound = 2.0 * math.sqrt(6 / (fan_in + fan_out))
    assert np.abs(w.numpy()).max() <= bound and np.abs(w.numpy()).max() > 0.99 * bound
    nn.init.xavier_normal_(w)
    assert abs(w.numpy().std() - math.sqrt(2 / (fan_in + fan_out))) < 0.002
    nn.init.kaiming_uniform_(w, a=math.sqrt(5))
    bound = math.sqrt(6 / ((1 + 5) * fan_in))
    assert np.abs(w.numpy()).max() <= bound and np.abs(w.numpy()).max() > 0.99 * bound
    nn.init.kaiming_normal_(w, mode="fan_out", nonlinearity="relu")
    assert abs(w.numpy().std() - math.sqrt(2 / fan_out)) < 0.002
    nn.init.trunc_normal_(w, mean=0.5, std=1.0, a=-1.0, b=1.5)
    assert w.numpy().min() >= -1.0 and w.numpy().max() <= 1.5
    phi = lambda z: math.exp(-z * z / 2) / math.sqrt(2 * math.pi)  # noqa: E731
    Phi = lambda z: (1 + math.erf(z / math.sqrt(2))) / 2  # noqa: E731
    expected = 0.5 + (phi(-1.5) - phi(1.0)) / (Phi(1.0) - Phi(-1.5))  # truncated normal's mean
    assert abs(w.numpy().mean() - expected) < 0.01
    nn.init.constant_(w, 0.25)
    assert (w.numpy() == 0.25).all()
    nn.init.zeros_(w)
    assert (w.numpy() == 0).all()
    nn.init.ones_(w)
    assert (w.numpy() == 1).all()
    assert w.dtype == ember.float32


@needs_torch
def test_init_deterministic_ones_and_gain():
    e = ember.empty(3, 5)
    nn.init.eye_(e)
    assert_close(e, torch.eye(3, 5))
    q = ember.empty(6, 4)
    nn.init.orthogonal_(q, gain=2.0)
    np.testing.assert_allclose(q.numpy().T @ q.numpy(), 4 * np.eye(4), atol=1e-5)
    q = ember.empty(3, 8)
    nn.init.orthogonal_(q)
    np.testing.assert_allclose(q.numpy() @ q.numpy().T, np.eye(3), atol=1e-5)
    d = ember.empty(4, 2, 3, 3)
    td = torch.empty(4, 2, 3, 3)
    nn.init.dirac_(d)
    tnn.init.dirac_(td)
    assert_close(d, td)
    for nl, p in [("linear", None), ("sigmoid", None), ("tanh", None), ("relu", None), ("leaky_relu", None),
                  ("leaky_relu", 0.2), ("selu", None), ("conv2d", None)]:
        assert nn.init.calculate_gain(nl, p) == tnn.init.calculate_gain(nl, p)
    for shape in [(3, 4), (5, 3, 2, 2), (2, 7, 3)]:
        assert nn.init._calculate_fan_in_and_fan_out(ember.empty(*shape)) == \
            tnn.init._calculate_fan_in_and_fan_out(torch.empty(*shape))
    raises_like(lambda: tnn.init.calculate_gain("foo"), lambda: nn.init.calculate_gain("foo"))
    raises_like(lambda: tnn.init.xavier_uniform_(torch.empty(3)), lambda: nn.init.xavier_uniform_(ember.empty(3)))
    raises_like(lambda: tnn.init.kaiming_uniform_(torch.empty(3, 3), mode="bad"),
                lambda: nn.init.kaiming_uniform_(ember.empty(3, 3), mode="bad"))


def test_init_in_place_no_grad_and_generator():
    p = nn.Parameter(ember.empty(3, 4))
    v = p._version
    out = nn.init.normal_(p)
    assert out is p and p.requires_grad and p.grad_fn is None and p._version > v
    g1 = ember.Generator().manual_seed(3)
    g2 = ember.Generator().manual_seed(3)
    a, b = ember.empty(10), ember.empty(10)
    nn.init.uniform_(a, generator=g1)
    nn.init.uniform_(b, generator=g2)
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    ember.manual_seed(7)
    l1 = nn.Linear(5, 3)
    ember.manual_seed(7)
    l2 = nn.Linear(5, 3)
    np.testing.assert_array_equal(l1.weight.detach().numpy(), l2.weight.detach().numpy())


def test_linear_default_init_bounds():
    lin = nn.Linear(400, 300)
    bound = 1 / math.sqrt(400)
    w, b = lin.weight.detach().numpy(), lin.bias.detach().numpy()
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.99 * bound
    assert abs(w.std() - bound / math.sqrt(3)) < 0.001
    assert np.abs(b).max() <= bound


# -- utils -----------------------------------------------------------------------------------------------

@needs_torch
@pytest.mark.parametrize("norm_type", [2.0, 1.0, float("inf"), 3.0])
@pytest.mark.parametrize("max_norm", [0.5, 100.0])
def test_clip_grad_norm(norm_type, max_norm):
    em, tm = nn.Linear(4, 3), tnn.Linear(4, 3)
    _copy_params(em, tm)
    x = _arr(5, 4)
    em(ember.tensor(x)).pow(2).sum().backward()
    tm(torch.tensor(x)).pow(2).sum().backward()
    ne = nn.utils.clip_grad_norm_(em.parameters(), max_norm, norm_type)
    nt = tnn.utils.clip_grad_norm_(tm.parameters(), max_norm, norm_type)
    assert_close(ne, nt, rtol=1e-5)
    _check_grads(em, tm)


@needs_torch
def test_clip_grad_value_and_nonfinite():
    em, tm = nn.Linear(4, 3), tnn.Linear(4, 3)
    _copy_params(em, tm)
    x = _arr(5, 4)
    em(ember.tensor(x)).sum().backward()
    tm(torch.tensor(x)).sum().backward()
    nn.utils.clip_grad_value_(em.parameters(), 0.5)
    tnn.utils.clip_grad_value_(tm.parameters(), 0.5)
    _check_grads(em, tm)
    em.weight.grad.data.copy_(ember.full((3, 4), float("inf")))
    tm.weight.grad.data.copy_(torch.full((3, 4), float("inf")))
    raises_like(lambda: tnn.utils.clip_grad_norm_(tm.parameters(), 1.0, error_if_nonfinite=True),
                lambda: nn.utils.clip_grad_norm_(em.parameters(), 1.0, error_if_nonfinite=True))


@needs_torch
def test_parameters_to_vector_roundtrip():
    em, tm = nn.Linear(4, 3), tnn.Linear(4, 3)
    _copy_params(em, tm)
    ve = nn.utils.parameters_to_vector(em.parameters())
    vt = tnn.utils.parameters_to_vector(tm.parameters())
    assert_close(ve, vt)
    new = np.arange(15, dtype=np.float32)
    nn.utils.vector_to_parameters(ember.tensor(new), em.parameters())
    tnn.utils.vector_to_parameters(torch.tensor(new), tm.parameters())
    assert_close(em.weight, tm.weight)
    assert_close(em.bias, tm.bias)
    assert isinstance(em.weight, nn.Parameter)


@needs_torch
def test_all_targets_ignored():
    for fe, ft in [(F.nll_loss, TF.nll_loss), (F.cross_entropy, TF.cross_entropy)]:
        for shape, t in [((4,), 1), ((2, 4), [1, 1])]:
            xe, xt = _pair(_arr(*shape))
            le, lt = fe(xe, ember.tensor(t), ignore_index=1), ft(xt, torch.tensor(t), ignore_index=1)
            assert_close(le, lt)
            le.backward()
            lt.backward()
            assert_close(xe.grad, xt.grad)
