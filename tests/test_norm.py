"""Normalization ops and layers (ember/ops/normalization.py, nn BatchNorm/LayerNorm/GroupNorm/InstanceNorm/RMSNorm/
LocalResponseNorm) against torch with identical weights: outputs, running stats, eval outputs, all gradients,
double backward, state_dict keys, reprs and errors; gradcheck / gradgradcheck in float64 without torch."""
import warnings

import numpy as np
import pytest

import ember
import ember.nn as nn
import ember.nn.functional as F
from ember.autograd import gradcheck, gradgradcheck
from tests.helpers import needs_torch, assert_close, raises_like, torch

if torch is not None:
    import torch.nn.functional as TF

RNG = np.random.default_rng(0)


def _arr(*shape, dtype=np.float32):
    return RNG.standard_normal(shape).astype(dtype)


def _copy_module(tm, em):
    """Copy torch's parameters and buffers into the ember module by name."""
    for name, p in tm.named_parameters():
        em.get_parameter(name)._data[...] = p.detach().numpy()
    for name, b in tm.named_buffers():
        em.get_buffer(name)._data[...] = b.detach().numpy()


def _randomize(tm):
    with torch.no_grad():
        for p in tm.parameters():
            p.copy_(torch.randn(p.shape))


def _check_module_grads(tm, em, rtol=1e-4, atol=1e-5):
    for name, p in tm.named_parameters():
        ep = em.get_parameter(name)
        if p.grad is None:
            assert ep.grad is None, name
        else:
            assert_close(ep.grad, p.grad, rtol=rtol, atol=atol)


def _step(tm, em, arr, gout=None):
    xt = torch.tensor(arr, requires_grad=True)
    xe = ember.tensor(arr, requires_grad=True)
    yt, ye = tm(xt), em(xe)
    assert_close(ye, yt, rtol=1e-4, atol=1e-5)
    g = _arr(*yt.shape) if gout is None else gout
    yt.backward(torch.tensor(g))
    ye.backward(ember.tensor(g))
    assert_close(xe.grad, xt.grad, rtol=1e-4, atol=1e-4)
    _check_module_grads(tm, em)
    return ye, yt


# -- BatchNorm ----------------------------------------------------------------------------------------

BN_CASES = [
    ("BatchNorm1d", (8, 4), {}),
    ("BatchNorm1d", (6, 4, 5), {}),
    ("BatchNorm1d", (6, 4, 5), dict(momentum=None)),
    ("BatchNorm1d", (6, 4), dict(affine=False)),
    ("BatchNorm1d", (6, 4), dict(track_running_stats=False)),
    ("BatchNorm2d", (3, 4, 5, 2), {}),
    ("BatchNorm2d", (3, 4, 5, 2), dict(momentum=0.3, eps=1e-3)),
    ("BatchNorm2d", (3, 4, 2, 2), dict(bias=False)),
    ("BatchNorm2d", (3, 4, 2, 2), dict(momentum=None, affine=False, track_running_stats=True)),
    ("BatchNorm3d", (2, 4, 3, 2, 2), {}),
    ("BatchNorm3d", (2, 4, 3, 2, 2), dict(affine=False, track_running_stats=False)),
]


@needs_torch
@pytest.mark.parametrize("cls,shape,kw", BN_CASES)
def test_batchnorm_module(cls, shape, kw):
    tm, em = getattr(torch.nn, cls)(4, **kw), getattr(nn, cls)(4, **kw)
    if tm.weight is not None:
        _randomize(tm)
    _copy_module(tm, em)
    assert list(em.state_dict().keys()) == list(tm.state_dict().keys())
    assert repr(em) == repr(tm)
    for _ in range(3):  # training steps: running stats follow torch's (momentum / cumulative average)
        tm.zero_grad()
        em.zero_grad()
        _step(tm, em, _arr(*shape) * 2 + 0.5)
        for name, b in tm.named_buffers():
            assert_close(em.get_buffer(name), b, rtol=1e-5, atol=1e-6)
    tm.eval()
    em.eval()
    tm.zero_grad()
    em.zero_grad()
    _step(tm, em, _arr(*shape))
    for (kt, vt), (ke, ve) in zip(tm.state_dict().items(), em.state_dict().items()):
        assert kt == ke
        assert_close(ve, vt)


@needs_torch
def test_batchnorm_grad_fn_and_version():
    x = ember.randn(4, 3, requires_grad=True)
    bn = nn.BatchNorm1d(3)
    y = bn(x)
    assert y.grad_fn.name() == "NativeBatchNormBackward0"
    tb = torch.nn.BatchNorm1d(3)
    tb(torch.randn(4, 3))
    assert bn.running_mean._version == tb.running_mean._version
    assert bn.running_var._version == tb.running_var._version
    assert bn.num_batches_tracked.item() == 1
    assert bn.num_batches_tracked.dtype == ember.int64
    bn.eval()
    assert bn(x).grad_fn.name() == "NativeBatchNormBackward0"


@needs_torch
def test_batchnorm_state_dict_roundtrip_with_torch():
    tm = torch.nn.BatchNorm2d(3)
    tm(torch.randn(4, 3, 2, 2))
    em = nn.BatchNorm2d(3)
    sd = {k: ember.tensor(v.numpy()) for k, v in tm.state_dict().items()}
    em.load_state_dict(sd)
    assert em.num_batches_tracked.item() == 1
    assert_close(em.running_var, tm.running_var)
    # an old checkpoint without num_batches_tracked still loads (version < 2)
    from collections import OrderedDict
    old = OrderedDict((k, v) for k, v in sd.items() if k != "num_batches_tracked")
    old._metadata = {"": {"version": 1}}
    em2 = nn.BatchNorm2d(3)
    em2.load_state_dict(old)


@needs_torch
@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("affine", [True, False])
def test_functional_batch_norm(training, affine):
    x = _arr(5, 3, 4)
    w, b = _arr(3), _arr(3)
    rm, rv = _arr(3), np.abs(_arr(3)) + 0.5
    xe, xt = ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    we, wt = ember.tensor(w, requires_grad=True), torch.tensor(w, requires_grad=True)
    be, bt = ember.tensor(b, requires_grad=True), torch.tensor(b, requires_grad=True)
    rme, rmt, rve, rvt = ember.tensor(rm), torch.tensor(rm), ember.tensor(rv), torch.tensor(rv)
    args_e = (we, be) if affine else (None, None)
    args_t = (wt, bt) if affine else (None, None)
    ye = F.batch_norm(xe, rme, rve, *args_e, training=training, momentum=0.2, eps=1e-4)
    yt = TF.batch_norm(xt, rmt, rvt, *args_t, training=training, momentum=0.2, eps=1e-4)
    assert_close(ye, yt, rtol=1e-4, atol=1e-5)
    assert_close(rme, rmt)
    assert_close(rve, rvt)
    g = _arr(5, 3, 4)
    ye.backward(ember.tensor(g))
    yt.backward(torch.tensor(g))
    assert_close(xe.grad, xt.grad, rtol=1e-4, atol=1e-5)
    if affine:
        assert_close(we.grad, wt.grad, rtol=1e-4, atol=1e-5)
        assert_close(be.grad, bt.grad, rtol=1e-4, atol=1e-5)
    # torch.batch_norm (the native signature) and no running stats in training
    assert_close(ember.batch_norm(xe, None, None, None, None, True, 0.1, 1e-5, False),
                 torch.batch_norm(xt, None, None, None, None, True, 0.1, 1e-5, False), rtol=1e-4, atol=1e-5)


@needs_torch
def test_batch_norm_float64_and_half():
    x = _arr(6, 3, dtype=np.float64)
    ye = F.batch_norm(ember.tensor(x), None, None, training=True)
    assert_close(ye, TF.batch_norm(torch.tensor(x), None, None, training=True), rtol=1e-10, atol=1e-12)
    xh = _arr(6, 3).astype(np.float16)
    rme, rve = ember.zeros(3), ember.ones(3)
    rmt, rvt = torch.zeros(3), torch.ones(3)
    ye = F.batch_norm(ember.tensor(xh), rme, rve, training=True)
    yt = TF.batch_norm(torch.tensor(xh), rmt, rvt, training=True)
    assert_close(ye, yt, rtol=1e-2, atol=1e-2)
    assert_close(rme, rmt, rtol=1e-3, atol=1e-3)
    assert_close(rve, rvt, rtol=1e-3, atol=1e-3)


# -- LayerNorm / GroupNorm / RMSNorm / InstanceNorm / LocalResponseNorm ----------------------------------------

@needs_torch
@pytest.mark.parametrize("shape,ns,kw", [
    ((4, 5), 5, {}),
    ((2, 3, 6), (6,), {}),
    ((2, 3, 4), (3, 4), dict(eps=1e-3)),
    ((2, 3, 4), (3, 4), dict(elementwise_affine=False)),
    ((3, 4), 4, dict(bias=False)),
    ((7,), 7, {}),
])
def test_layernorm_module(shape, ns, kw):
    tm, em = torch.nn.LayerNorm(ns, **kw), nn.LayerNorm(ns, **kw)
    _randomize(tm)
    _copy_module(tm, em)
    assert repr(em) == repr(tm)
    assert list(em.state_dict().keys()) == list(tm.state_dict().keys())
    ye, _ = _step(tm, em, _arr(*shape) * 3 + 1)
    assert ye.grad_fn.name() == "NativeLayerNormBackward0"


@needs_torch
@pytest.mark.parametrize("groups,shape,kw", [
    (2, (3, 4, 5), {}),
    (4, (2, 4, 3, 3), {}),
    (1, (2, 4, 3), dict(affine=False)),
    (2, (2, 4), dict(eps=1e-2)),
    (2, (2, 4, 3), dict(bias=False)),
])
def test_groupnorm_module(groups, shape, kw):
    tm, em = torch.nn.GroupNorm(groups, 4, **kw), nn.GroupNorm(groups, 4, **kw)
    if tm.weight is not None:
        _randomize(tm)
    _copy_module(tm, em)
    assert repr(em) == repr(tm)
    ye, _ = _step(tm, em, _arr(*shape) * 2 - 1)
    assert ye.grad_fn.name() == "NativeGroupNormBackward0"


@needs_torch
@pytest.mark.parametrize("shape,ns,kw", [
    ((3, 5), 5, {}),
    ((2, 3, 4), (3, 4), dict(eps=1e-3)),
    ((2, 4), 4, dict(elementwise_affine=False)),
])
def test_rmsnorm_module(shape, ns, kw):
    tm, em = torch.nn.RMSNorm(ns, **kw), nn.RMSNorm(ns, **kw)
    if tm.weight is not None:
        _randomize(tm)
    _copy_module(tm, em)
    assert repr(em) == repr(tm)
    _step(tm, em, _arr(*shape))


@needs_torch
@pytest.mark.parametrize("cls,shape,kw", [
    ("InstanceNorm1d", (3, 4, 5), {}),
    ("InstanceNorm1d", (4, 5), {}),  # unbatched
    ("InstanceNorm1d", (3, 4, 5), dict(affine=True)),
    ("InstanceNorm2d", (2, 4, 3, 3), dict(affine=True, track_running_stats=True)),
    ("InstanceNorm2d", (4, 3, 3), dict(track_running_stats=True, momentum=0.3)),
    ("InstanceNorm3d", (2, 4, 2, 3, 2), {}),
])
def test_instancenorm_module(cls, shape, kw):
    tm, em = getattr(torch.nn, cls)(4, **kw), getattr(nn, cls)(4, **kw)
    if tm.weight is not None:
        _randomize(tm)
    _copy_module(tm, em)
    assert repr(em) == repr(tm)
    assert list(em.state_dict().keys()) == list(tm.state_dict().keys())
    for _ in range(2):
        tm.zero_grad()
        em.zero_grad()
        _step(tm, em, _arr(*shape) + 0.3)
        for name, b in tm.named_buffers():
            assert_close(em.get_buffer(name), b)
    tm.eval()
    em.eval()
    tm.zero_grad()
    em.zero_grad()
    _step(tm, em, _arr(*shape))


@needs_torch
@pytest.mark.parametrize("shape,size", [((2, 5, 3), 2), ((2, 6, 3, 2), 3), ((1, 4, 2, 2, 2), 5), ((2, 3, 4), 1)])
def test_local_response_norm(shape, size):
    tm, em = torch.nn.LocalResponseNorm(size, alpha=0.1, beta=0.6, k=2.0), nn.LocalResponseNorm(size, 0.1, 0.6, 2.0)
    assert repr(em) == repr(tm)
    _step(tm, em, _arr(*shape))


@needs_torch
def test_functional_norms_match_torch():
    x = _arr(3, 4, 5)
    xe, xt = ember.tensor(x), torch.tensor(x)
    assert_close(F.layer_norm(xe, [5]), TF.layer_norm(xt, [5]), rtol=1e-4, atol=1e-5)
    assert_close(ember.layer_norm(xe, (4, 5)), torch.layer_norm(xt, (4, 5)), rtol=1e-4, atol=1e-5)
    assert_close(F.group_norm(xe, 2), TF.group_norm(xt, 2), rtol=1e-4, atol=1e-5)
    assert_close(ember.group_norm(xe, 4), torch.group_norm(xt, 4), rtol=1e-4, atol=1e-5)
    assert_close(F.instance_norm(xe), TF.instance_norm(xt), rtol=1e-4, atol=1e-5)
    assert_close(F.rms_norm(xe, (5,), eps=1e-3), TF.rms_norm(xt, (5,), eps=1e-3), rtol=1e-4, atol=1e-5)
    assert_close(ember.rms_norm(xe, [4, 5]), torch.rms_norm(xt, [4, 5]), rtol=1e-4, atol=1e-5)
    assert_close(F.local_response_norm(xe, 3), TF.local_response_norm(xt, 3), rtol=1e-4, atol=1e-5)
    oe, me, se = ember.native_layer_norm(xe, [5], None, None, 1e-5)
    ot, mt, st = torch.native_layer_norm(xt, [5], None, None, 1e-5)
    assert_close((oe, me, se), (ot, mt, st), rtol=1e-4, atol=1e-5)
    rm, rv = _arr(4), np.abs(_arr(4)) + 0.5
    re_, rt = (ember.tensor(rm), ember.tensor(rv)), (torch.tensor(rm), torch.tensor(rv))
    oe, me, se = ember.native_batch_norm(xe, None, None, *re_, True, 0.1, 1e-5)
    ot, mt, st = torch.native_batch_norm(xt, None, None, *rt, True, 0.1, 1e-5)
    assert_close((oe, me, se), (ot, mt, st), rtol=1e-4, atol=1e-5)
    assert_close(re_[1], rt[1])


@needs_torch
@pytest.mark.parametrize("which", ["bn", "bn_eval", "ln", "gn", "in"])
def test_double_backward_matches_torch(which):
    x = _arr(4, 3, 5)
    w, b = _arr(3), _arr(3)
    wl, bl = _arr(5), _arr(5)

    def run(lib, Fn, xx, ww, bb, wwl, bbl, rm, rv):
        if which == "bn":
            return Fn.batch_norm(xx, None, None, ww, bb, training=True)
        if which == "bn_eval":
            return Fn.batch_norm(xx, rm, rv, ww, bb, training=False)
        if which == "ln":
            return Fn.layer_norm(xx, (5,), wwl, bbl)
        if which == "gn":
            return Fn.group_norm(xx, 3, ww, bb)
        return Fn.instance_norm(xx, weight=ww, bias=bb)

    rm, rv = _arr(3), np.abs(_arr(3)) + 0.5
    gy_arr = _arr(4, 3, 5)
    outs = []
    for lib, Fn in ((ember, F), (torch, TF)):
        ts = [lib.tensor(a, requires_grad=True) for a in (x, w, b, wl, bl)]
        y = run(lib, Fn, *ts, lib.tensor(rm), lib.tensor(rv))
        gy = lib.tensor(gy_arr, requires_grad=True)
        used = ts[:3] if which != "ln" else [ts[0], ts[3], ts[4]]
        grads = lib.autograd.grad(y, used, gy, create_graph=True)
        s = sum((gg * gg).sum() for gg in grads[:2]) + (grads[0] * ts[0]).sum() + grads[2].sum()
        second = lib.autograd.grad(s, used + [gy], allow_unused=True)
        outs.append((grads, second))
    (ge, se), (gt, st) = outs
    for a, c in zip(ge, gt):
        assert_close(a, c, rtol=1e-3, atol=1e-4)
    for a, c in zip(se, st):
        if c is None:
            assert a is None or np.allclose(a.detach().numpy(), 0, atol=1e-5)
        else:
            assert a is not None
            assert_close(a, c, rtol=1e-3, atol=1e-3)


# -- gradcheck (float64, no torch) ---------------------------------------------------------------------------

def _t64(*shape):
    return ember.tensor(RNG.standard_normal(shape), dtype=ember.float64, requires_grad=True)


def test_gradcheck_batch_norm_training():
    x, w, b = _t64(4, 3, 2), _t64(3), _t64(3)
    assert gradcheck(lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True), (x, w, b))
    assert gradgradcheck(lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True), (x, w, b))
    assert gradcheck(lambda x: F.batch_norm(x, None, None, training=True), (_t64(5, 2),))


def test_gradcheck_batch_norm_eval():
    x, w, b = _t64(4, 3, 2), _t64(3), _t64(3)
    rm = ember.tensor(RNG.standard_normal(3), dtype=ember.float64)
    rv = ember.tensor(np.abs(RNG.standard_normal(3)) + 0.5, dtype=ember.float64)
    assert gradcheck(lambda x, w, b: F.batch_norm(x, rm, rv, w, b, training=False), (x, w, b))
    assert gradgradcheck(lambda x, w, b: F.batch_norm(x, rm, rv, w, b, training=False), (x, w, b))


def test_gradcheck_layer_norm():
    x, w, b = _t64(3, 2, 4), _t64(2, 4), _t64(2, 4)
    assert gradcheck(lambda x, w, b: F.layer_norm(x, (2, 4), w, b), (x, w, b))
    assert gradgradcheck(lambda x, w, b: F.layer_norm(x, (2, 4), w, b), (x, w, b))
    assert gradcheck(lambda x: F.layer_norm(x, (4,)), (_t64(3, 4),))


def test_gradcheck_group_norm():
    x, w, b = _t64(2, 4, 3), _t64(4), _t64(4)
    assert gradcheck(lambda x, w, b: F.group_norm(x, 2, w, b), (x, w, b))
    assert gradgradcheck(lambda x, w, b: F.group_norm(x, 2, w, b), (x, w, b))


def test_gradcheck_instance_rms_lrn():
    x, w, b = _t64(2, 3, 4), _t64(3), _t64(3)
    assert gradcheck(lambda x, w, b: F.instance_norm(x, weight=w, bias=b), (x, w, b))
    assert gradcheck(lambda x, w: F.rms_norm(x, (4,), w), (x, _t64(4)))
    assert gradcheck(lambda x: F.local_response_norm(x, 2, alpha=0.5), (x,))


def test_batchnorm_momentum_none_is_cumulative_average():
    bn = nn.BatchNorm1d(2, momentum=None)
    batches = [ember.randn(5, 2) for _ in range(3)]
    for xb in batches:
        bn(xb)
    mean = np.mean([xb.numpy().mean(0) for xb in batches], axis=0)
    var = np.mean([xb.numpy().var(0, ddof=1) for xb in batches], axis=0)
    np.testing.assert_allclose(bn.running_mean.numpy(), mean, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(bn.running_var.numpy(), var, rtol=1e-5, atol=1e-6)
    assert bn.num_batches_tracked.item() == 3


def test_eval_without_running_stats_uses_batch_stats():
    bn = nn.BatchNorm1d(3, track_running_stats=False).eval()
    x = ember.randn(6, 3) * 3 + 2
    y = bn(x).detach().numpy()
    np.testing.assert_allclose(y.mean(0), 0, atol=1e-5)
    assert bn.running_mean is None and "running_mean" not in bn.state_dict()


# -- errors ------------------------------------------------------------------------------------------------

@needs_torch
@pytest.mark.parametrize("fn", [
    lambda m, Fn, x: Fn.batch_norm(x, m.zeros(4), m.ones(3), training=True),
    lambda m, Fn, x: Fn.batch_norm(x, m.zeros(3), m.ones(3), m.ones(4), training=True),
    lambda m, Fn, x: Fn.batch_norm(x, m.zeros(3), m.ones(3), None, m.ones(4), training=True),
    lambda m, Fn, x: Fn.batch_norm(x, None, None, training=False),
    lambda m, Fn, x: Fn.batch_norm(x[:1, :, :1], None, None, training=True),
    lambda m, Fn, x: Fn.batch_norm(x[0, 0], None, None, training=True),
    lambda m, Fn, x: Fn.batch_norm(x, None, None, training=True, eps=0),
    lambda m, Fn, x: Fn.batch_norm(x, None, None, training=False, eps=-1),
    lambda m, Fn, x: Fn.batch_norm(x.int(), None, None, training=True),
    lambda m, Fn, x: Fn.batch_norm(x, m.zeros(3), None, training=True),
    lambda m, Fn, x: Fn.layer_norm(x, (4,)),
    lambda m, Fn, x: Fn.layer_norm(x, (3, 5), m.ones(5)),
    lambda m, Fn, x: Fn.layer_norm(x, (5,), m.ones(5), m.ones(4)),
    lambda m, Fn, x: Fn.layer_norm(x, (2, 3, 4, 5)),
    lambda m, Fn, x: Fn.layer_norm(x, ()),
    lambda m, Fn, x: Fn.layer_norm(x.int(), (5,)),
    lambda m, Fn, x: Fn.group_norm(x, 2),
    lambda m, Fn, x: Fn.group_norm(x, 3, m.ones(4)),
    lambda m, Fn, x: Fn.group_norm(x[0, 0], 1),
    lambda m, Fn, x: Fn.group_norm(x[:1, :, 0], 3),
    lambda m, Fn, x: Fn.instance_norm(x[:, :, :1]),
    lambda m, Fn, x: Fn.instance_norm(x[:2, :, :4], m.zeros(2), m.ones(2)),
    lambda m, Fn, x: Fn.instance_norm(x[:, :, 0]),
    lambda m, Fn, x: Fn.rms_norm(x, (4,)),
    lambda m, Fn, x: Fn.rms_norm(x, (5,), m.ones(4)),
    lambda m, Fn, x: Fn.local_response_norm(x[0], 2),
    lambda m, Fn, x: m.nn.GroupNorm(2, 3),
    lambda m, Fn, x: m.nn.BatchNorm1d(3)(x.unsqueeze(0)),
    lambda m, Fn, x: m.nn.BatchNorm1d(3)(x[:, :2, 0].t()),
    lambda m, Fn, x: m.nn.BatchNorm2d(3)(x),
    lambda m, Fn, x: m.nn.BatchNorm3d(3)(x),
    lambda m, Fn, x: m.nn.LayerNorm(3)(x),
    lambda m, Fn, x: m.nn.InstanceNorm1d(3)(x.unsqueeze(0)),
    lambda m, Fn, x: m.nn.InstanceNorm2d(3)(x[0]),
    lambda m, Fn, x: Fn.batch_norm(x, m.zeros(3), m.ones(4), m.ones(4), training=False),
    lambda m, Fn, x: Fn.batch_norm(x, None, None, m.ones(4), training=False),
    lambda m, Fn, x: m.nn.InstanceNorm1d(4, affine=True)(x),
])
def test_errors_match_torch(fn):
    x = _arr(4, 3, 5)
    raises_like(lambda: fn(torch, TF, torch.tensor(x)), lambda: fn(ember, F, ember.tensor(x)))


@needs_torch
def test_instancenorm_num_features_warning():
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        nn.InstanceNorm1d(4)(ember.randn(2, 3, 5))
    assert any("does not match num_features" in str(m.message) for m in w)


def test_empty_layer_norm():
    y = F.layer_norm(ember.zeros(0, 4), (4,))
    assert tuple(y.shape) == (0, 4)
