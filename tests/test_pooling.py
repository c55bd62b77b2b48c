"""max/avg/adaptive pooling, interpolate, pixel_shuffle, max_unpool2d and the pooling/upsampling modules
against torch (values, indices, grads, grad_fn names, errors, reprs), plus float64 gradcheck."""
import numpy as np
import pytest

import ember
import ember.nn as enn
import ember.nn.functional as EF
from ember.autograd import gradcheck, gradgradcheck
from tests.helpers import needs_torch, torch, assert_close, raises_like

if torch is not None:
    import torch.nn.functional as TF

rng = np.random.default_rng(0)
S2 = (2, 3, 9, 11)


def _check(name, args, shape, kwargs=None, dtype=np.float64, tol=1e-10):
    kwargs = kwargs or {}
    x = rng.standard_normal(shape).astype(dtype)
    xe, xt = ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ye, yt = getattr(EF, name)(xe, *args, **kwargs), getattr(TF, name)(xt, *args, **kwargs)
    if isinstance(yt, tuple):
        assert_close(ye[1], yt[1])  # indices: int64, identical
        ye, yt = ye[0], yt[0]
    assert_close(ye, yt, tol, tol)
    assert ye.grad_fn.name() == yt.grad_fn.name()
    gy = rng.standard_normal(tuple(yt.shape)).astype(dtype)
    ye.backward(ember.tensor(gy))
    yt.backward(torch.tensor(gy))
    assert_close(xe.grad, xt.grad, tol, tol)


@needs_torch
@pytest.mark.parametrize("args", [(2,), (3, 2, 1, 1, False, True), ((3, 2), (2, 3), (1, 1), (2, 1), True, True),
                                  (3, 1, 1), (2, 2, 0, 1, True), (3, 3, 1, 1, True, True), ((1, 4), (1, 3))])
def test_max_pool2d(args):
    _check("max_pool2d", args, S2)


@needs_torch
def test_max_pool_ties_nan_inf_and_dtypes():
    x = np.zeros((1, 1, 4, 4))
    x[0, 0, 1, 1] = x[0, 0, 0, 0] = 1.0          # ties: first max in scan order
    x[0, 0, 2, 2] = x[0, 0, 3, 3] = np.nan       # NaN wins (the last one, as torch)
    xe, xt = ember.tensor(x), torch.tensor(x)
    assert_close(EF.max_pool2d(xe, 2, return_indices=True), TF.max_pool2d(xt, 2, return_indices=True))
    xi = np.full((1, 2, 5, 5), -np.inf)
    assert_close(EF.max_pool2d(ember.tensor(xi), 3, 2, 1, return_indices=True),
                 TF.max_pool2d(torch.tensor(xi), 3, 2, 1, return_indices=True))
    xl = rng.integers(-9, 9, (2, 3, 6, 6))
    assert_close(EF.max_pool2d(ember.tensor(xl), 3, 2, 1), TF.max_pool2d(torch.tensor(xl), 3, 2, 1))
    assert_close(EF.avg_pool2d(ember.tensor(xl), 3, 2, 1), TF.avg_pool2d(torch.tensor(xl), 3, 2, 1))
    _check("max_pool2d", (2,), (3, 6, 6), dtype=np.float32, tol=1e-6)  # unbatched, float32


@needs_torch
@pytest.mark.parametrize("args", [(2,), (3,), (3, 2, 1), (3, 1, 1, 2), ((2, 3), (1, 2), (1, 0), (2, 1), True)])
def test_max_pool_many_ties_pick_torchs_index(args):
    # relu-like data: most windows hold several equal maxima (zeros), so the winning tap is decided by ties
    x = np.maximum(rng.integers(-3, 2, (2, 3, 9, 11)), 0).astype(np.float32)
    xe, xt = ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    (ve, ie), (vt, it) = EF.max_pool2d(xe, *args, return_indices=True), TF.max_pool2d(xt, *args, return_indices=True)
    assert_close(ve, vt)
    assert_close(ie, it)
    g = rng.standard_normal(tuple(vt.shape)).astype(np.float32)
    ve.backward(ember.tensor(g))
    vt.backward(torch.tensor(g))
    assert_close(xe.grad, xt.grad)


@needs_torch
@pytest.mark.parametrize("args", [(2,), (3, 2, 1, 1, True, True), (4, 3, 2, 1, False), (3, 1, 0, 2)])
def test_max_pool1d(args):
    _check("max_pool1d", args, (2, 3, 10))


@needs_torch
@pytest.mark.parametrize("args", [(2,), (3, 2, 1, True, True), (3, 2, 1, True, False), (3, 2, 1, False, False),
                                  ((3, 2), (2, 1), (1, 1), False, True, 5), (3, 2, 1, True, True, 4),
                                  ((2, 3), None, (1, 0))])
def test_avg_pool2d(args):
    _check("avg_pool2d", args, S2)


@needs_torch
@pytest.mark.parametrize("args", [(2,), (3, 2, 1, True, False), (4, 3, 2, False, True)])
def test_avg_pool1d(args):
    _check("avg_pool1d", args, (2, 3, 10))


@needs_torch
@pytest.mark.parametrize("size", [(4, 5), (3, 7), 1, (None, 4), (9, 11), (12, 13), 2])
def test_adaptive_pool2d(size):
    _check("adaptive_avg_pool2d", (size,), S2)
    _check("adaptive_max_pool2d", (size, True), S2)


@needs_torch
@pytest.mark.parametrize("size", [1, 3, 4, 7, 13])
def test_adaptive_pool1d(size):
    _check("adaptive_avg_pool1d", (size,), (2, 3, 10))
    _check("adaptive_max_pool1d", (size, True), (2, 3, 10))


INTERP = [dict(scale_factor=2), dict(size=(5, 17)), dict(scale_factor=(0.6, 1.7)),
          dict(scale_factor=1.5, recompute_scale_factor=True), dict(size=(1, 1)), dict(size=9)]


@needs_torch
@pytest.mark.parametrize("mode", ["nearest", "nearest-exact", "bilinear", "bicubic", "area"])
@pytest.mark.parametrize("kw", INTERP)
def test_interpolate_2d(mode, kw):
    for ac in ([None] if mode in ("nearest", "nearest-exact", "area") else [False, True]):
        _check("interpolate", (), S2, dict(kw, mode=mode, align_corners=ac))


@needs_torch
@pytest.mark.parametrize("mode", ["nearest", "linear", "nearest-exact"])
def test_interpolate_1d(mode):
    for kw in (dict(scale_factor=2.3), dict(size=4), dict(size=16)):
        _check("interpolate", (), (2, 3, 7), dict(kw, mode=mode))
    if mode == "linear":
        _check("interpolate", (), (2, 3, 7), dict(size=12, mode=mode, align_corners=True))


@needs_torch
def test_interpolate_float32():
    _check("interpolate", (), (2, 3, 8, 8), dict(scale_factor=2, mode="bilinear"), np.float32, 1e-5)
    _check("interpolate", (), (2, 3, 8, 8), dict(size=(5, 13), mode="bicubic", align_corners=True), np.float32,
           1e-5)


@needs_torch
def test_pixel_shuffle_and_unpool():
    for name, args, shape in [("pixel_shuffle", (2,), (2, 8, 3, 5)), ("pixel_unshuffle", (2,), (2, 2, 4, 6))]:
        x = rng.standard_normal(shape)
        assert_close(getattr(EF, name)(ember.tensor(x), *args), getattr(TF, name)(torch.tensor(x), *args))
    x = rng.standard_normal((2, 3, 8, 8))
    (ve, ie), (vt, it) = EF.max_pool2d(ember.tensor(x), 2, return_indices=True), TF.max_pool2d(
        torch.tensor(x), 2, return_indices=True)
    ve.requires_grad_(True)
    vt.requires_grad_(True)
    ue, ut = EF.max_unpool2d(ve, ie, 2), TF.max_unpool2d(vt, it, 2)
    assert_close(ue, ut)
    (ue * ember.tensor(x)).sum().backward()
    (ut * torch.tensor(x)).sum().backward()
    assert_close(ve.grad, vt.grad)


def _gc(fn, shape):
    x = ember.tensor(rng.standard_normal(shape), requires_grad=True)
    assert gradcheck(fn, (x,))
    assert gradgradcheck(fn, (x,))


@pytest.mark.parametrize("fn", [
    lambda x: EF.max_pool2d(x, 2),
    lambda x: EF.max_pool2d(x, 3, 2, 1, ceil_mode=True),
    lambda x: EF.avg_pool2d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False),
    lambda x: EF.avg_pool2d(x, 2, divisor_override=3),
    lambda x: EF.adaptive_avg_pool2d(x, (2, 3)),
    lambda x: EF.adaptive_max_pool2d(x, (3, 2)),
    lambda x: EF.interpolate(x, scale_factor=2),
    lambda x: EF.interpolate(x, size=(3, 7), mode="bilinear"),
    lambda x: EF.interpolate(x, size=(6, 3), mode="bilinear", align_corners=True),
    lambda x: EF.interpolate(x, scale_factor=1.5, mode="bicubic"),
    lambda x: EF.pixel_shuffle(x.reshape(1, 4, 4, 5), 2),
])
def test_gradcheck(fn):
    _gc(fn, (1, 4, 4, 5))


def test_gradcheck_1d():
    _gc(lambda x: EF.max_pool1d(x, 3, 2, 1), (2, 2, 7))
    _gc(lambda x: EF.avg_pool1d(x, 3, 2, 1), (2, 2, 7))
    _gc(lambda x: EF.interpolate(x, size=11, mode="linear"), (2, 2, 7))


@needs_torch
def test_pooling_errors_match_torch():
    x = np.zeros((2, 3, 8, 8), np.float32)
    cases = [("max_pool2d", (3, None, 2)), ("max_pool2d", (10,)), ("max_pool2d", (2, 0)),
             ("max_pool2d", (2, 2, 0, 0)), ("max_pool2d", ((2, 2, 2),)), ("avg_pool2d", (3, None, 2)),
             ("avg_pool2d", (10,)), ("adaptive_avg_pool2d", ((2, 2, 2),)), ("adaptive_max_pool2d", ((2, 2, 2),))]
    for name, args in cases:
        raises_like(lambda: getattr(TF, name)(torch.tensor(x), *args), lambda: getattr(EF, name)(ember.tensor(x), *args))
    raises_like(lambda: TF.max_pool2d(torch.zeros(8, 8), 2), lambda: EF.max_pool2d(ember.zeros(8, 8), 2))
    raises_like(lambda: TF.max_pool1d(torch.zeros(8), 2), lambda: EF.max_pool1d(ember.zeros(8), 2))
    raises_like(lambda: TF.max_pool1d(torch.zeros(2, 3, 8), 10), lambda: EF.max_pool1d(ember.zeros(2, 3, 8), 10))
    raises_like(lambda: TF.adaptive_avg_pool2d(torch.zeros(8), 2), lambda: EF.adaptive_avg_pool2d(ember.zeros(8), 2))
    raises_like(lambda: TF.pixel_shuffle(torch.zeros(1, 3, 2, 2), 3), lambda: EF.pixel_shuffle(ember.zeros(1, 3, 2, 2), 3))
    for kw in [dict(size=4, scale_factor=2), dict(), dict(scale_factor=2, align_corners=True),
               dict(scale_factor=2, mode="linear"), dict(size=(4,), mode="bilinear"), dict(scale_factor=(2, 2, 2)),
               dict(scale_factor=2, mode="foo")]:
        raises_like(lambda: TF.interpolate(torch.tensor(x), **kw), lambda: EF.interpolate(ember.tensor(x), **kw))


@needs_torch
@pytest.mark.parametrize("make", [
    lambda nn: nn.MaxPool2d(2), lambda nn: nn.MaxPool2d((3, 2), 1, 1, 2, ceil_mode=True),
    lambda nn: nn.MaxPool1d(3, 2, 1), lambda nn: nn.AvgPool2d(3, 2, 1), lambda nn: nn.AvgPool1d(2),
    lambda nn: nn.AvgPool2d(2, count_include_pad=False, divisor_override=3),
    lambda nn: nn.AdaptiveAvgPool2d((3, None)), lambda nn: nn.AdaptiveAvgPool2d(2), lambda nn: nn.AdaptiveAvgPool1d(3),
    lambda nn: nn.AdaptiveMaxPool2d((2, 3)), lambda nn: nn.AdaptiveMaxPool1d(4),
    lambda nn: nn.Upsample(scale_factor=2), lambda nn: nn.Upsample(size=(5, 7), mode="bilinear"),
    lambda nn: nn.Upsample(scale_factor=(2, 1.5), mode="bicubic", align_corners=True),
    lambda nn: nn.UpsamplingNearest2d(scale_factor=2), lambda nn: nn.UpsamplingBilinear2d(size=(6, 4)),
    lambda nn: nn.PixelShuffle(1), lambda nn: nn.MaxUnpool2d(2),
])
def test_modules_match_torch(make):
    me, mt = make(enn), make(torch.nn)
    assert repr(me) == repr(mt)
    if isinstance(mt, torch.nn.MaxUnpool2d):
        return
    shape = (2, 3, 9) if "1d" in type(mt).__name__ else (2, 3, 6, 7)
    x = rng.standard_normal(shape).astype(np.float32)
    assert_close(me(ember.tensor(x)), mt(torch.tensor(x)), 1e-5, 1e-6)


@needs_torch
def test_unbatched_2d_pools_keep_grad_fn():
    for name, args in [("max_pool2d", (2,)), ("avg_pool2d", (3, 2, 1)), ("adaptive_avg_pool2d", ((2, 3),)),
                       ("adaptive_max_pool2d", ((2, 3), True))]:
        _check(name, args, (3, 6, 7))


@needs_torch
@pytest.mark.parametrize("mode", ["bilinear", "bicubic"])
@pytest.mark.parametrize("size", [(8, 9), (30, 40), (17, 11)])
def test_interpolate_antialias_matches_torch(mode, size):
    x = np.random.default_rng(3).standard_normal((2, 3, 17, 23)).astype(np.float32)
    e, t = ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    eo = ember.nn.functional.interpolate(e, size=size, mode=mode, antialias=True)
    to = torch.nn.functional.interpolate(t, size=size, mode=mode, antialias=True)
    assert_close(eo, to, rtol=1e-4, atol=2e-5)
    g = np.random.default_rng(4).standard_normal(to.shape).astype(np.float32)
    eo.backward(ember.tensor(g))
    to.backward(torch.tensor(g))
    assert_close(e.grad, t.grad, rtol=1e-4, atol=2e-5)


@pytest.mark.parametrize("cfg", [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1),
                                 dict(kernel_size=3, stride=1, dilation=2, ceil_mode=True),
                                 dict(kernel_size=2, stride=3, ceil_mode=True)])
def test_max_pool_without_indices_equals_indexed_path(cfg):
    x = np.random.default_rng(5).standard_normal((2, 3, 9, 11)).astype(np.float32)
    x[0, 0, 2, 3] = np.nan
    with ember.no_grad():
        fast = EF.max_pool2d(ember.tensor(x), **cfg)  # values only
    full, _ = EF.max_pool2d(ember.tensor(x), return_indices=True, **cfg)
    np.testing.assert_array_equal(fast.numpy(), full.numpy())


# -- 3-d pooling ----------------------------------------------------------------------------------------

S3 = (2, 3, 5, 7, 6)


@needs_torch
@pytest.mark.parametrize("args", [(2,), (3, 2, 1), (3, 2, 1, 1, True), ((3, 2, 2), (2, 1, 3), (1, 0, 1), (1, 2, 1), True),
                                  (3, 1, 1, 2), ((1, 3, 2), (1, 2, 2)), (2, 3, 0, 1, True), ((2,), (1,), 1)])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_max_pool3d(args, dtype):
    tol = 1e-10 if dtype == np.float64 else 1e-6
    _check("max_pool3d", args, S3, dict(return_indices=True), dtype=dtype, tol=tol)
    _check("max_pool3d", args, S3[1:], dtype=dtype, tol=tol)  # unbatched


@needs_torch
@pytest.mark.parametrize("args", [(2,), (3,), (3, 2, 1), (2, 1, 0, 2), ((2, 3, 1), (1, 2, 1), (1, 1, 0), 1, True)])
def test_max_pool3d_ties_nan_pick_torchs_index(args):
    x = np.maximum(rng.integers(-3, 2, (2, 2, 6, 7, 5)), 0).astype(np.float32)
    x[0, 0, 1, 1, 1] = x[1, 1, 3, 2, 4] = x[1, 1, 3, 3, 4] = np.nan
    xe, xt = ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    (ve, ie), (vt, it) = EF.max_pool3d(xe, *args, return_indices=True), TF.max_pool3d(xt, *args, return_indices=True)
    assert_close(ie, it)
    np.testing.assert_array_equal(ve.detach().numpy(), vt.detach().numpy())
    with ember.no_grad():  # the values-only inference path
        np.testing.assert_array_equal(EF.max_pool3d(ember.tensor(x), *args).numpy(), vt.detach().numpy())
    g = rng.standard_normal(tuple(vt.shape)).astype(np.float32)
    ve.backward(ember.tensor(g))
    vt.backward(torch.tensor(g))
    assert_close(xe.grad, xt.grad)
    xi = np.full((1, 2, 4, 5, 5), -np.inf)
    assert_close(EF.max_pool3d(ember.tensor(xi), 3, 2, 1, return_indices=True),
                 TF.max_pool3d(torch.tensor(xi), 3, 2, 1, return_indices=True))
    xl = rng.integers(-9, 9, (2, 3, 4, 6, 5))
    assert_close(EF.max_pool3d(ember.tensor(xl), 3, 2, 1, return_indices=True),
                 TF.max_pool3d(torch.tensor(xl), 3, 2, 1, return_indices=True))


@needs_torch
@pytest.mark.parametrize("args", [(2,), (3, 2, 1), (3, 2, 1, True, True), (3, 2, 1, True, False), (3, 2, 1, False, False),
                                  ((3, 2, 2), (2, 1, 2), (1, 1, 0), False, True, 5), (3, 2, 1, True, True, 4),
                                  ((2, 3, 1), None, (1, 0, 0)), (2, 2, 1, True, False, 3)])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_avg_pool3d(args, dtype):
    tol = 1e-10 if dtype == np.float64 else 1e-6
    _check("avg_pool3d", args, S3, dtype=dtype, tol=tol)
    _check("avg_pool3d", args, S3[1:], dtype=dtype, tol=tol)


@needs_torch
def test_avg_pool3d_integers():
    x = rng.integers(-50, 50, (2, 3, 4, 5, 4))
    for args in [(2,), (3, 2, 1), (3, 2, 1, True, False), (3, 2, 1, False, True, 5)]:
        assert_close(EF.avg_pool3d(ember.tensor(x), *args), TF.avg_pool3d(torch.tensor(x), *args))


@needs_torch
@pytest.mark.parametrize("size", [(2, 3, 4), (3, 7, 1), 1, (None, 4, None), (5, 7, 6), (8, 9, 11), 2, (1, 1, 3)])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_adaptive_pool3d(size, dtype):
    tol = 1e-10 if dtype == np.float64 else 1e-6
    _check("adaptive_avg_pool3d", (size,), S3, dtype=dtype, tol=tol)
    _check("adaptive_max_pool3d", (size, True), S3, dtype=dtype, tol=tol)
    _check("adaptive_avg_pool3d", (size,), S3[1:], dtype=dtype, tol=tol)
    _check("adaptive_max_pool3d", (size, True), S3[1:], dtype=dtype, tol=tol)


@needs_torch
def test_adaptive_max_pool3d_ties_and_nan():
    x = np.maximum(rng.integers(-3, 2, (2, 2, 5, 7, 6)), 0).astype(np.float64)
    x[0, 1, 2, 3, 1] = x[1, 0, 4, 6, 5] = np.nan
    for size in [(2, 3, 4), (3, 2, 2), 1]:
        (ve, ie), (vt, it) = (EF.adaptive_max_pool3d(ember.tensor(x), size, True),
                              TF.adaptive_max_pool3d(torch.tensor(x), size, True))
        np.testing.assert_array_equal(ve.numpy(), vt.numpy())
        assert_close(ie, it)


@needs_torch
@pytest.mark.parametrize("kw", [dict(size=(2, 3, 4)), dict(size=3), dict(scale_factor=0.5), dict(size=(7, 9, 8)),
                                dict(scale_factor=(0.6, 1.0, 0.4))])
def test_interpolate_area_5d(kw):
    _check("interpolate", (), S3, dict(kw, mode="area"))
    _check("interpolate", (), S3, dict(kw, mode="area"), dtype=np.float32, tol=1e-6)


@needs_torch
def test_max_unpool3d():
    x = rng.standard_normal((2, 3, 6, 4, 4))
    for args, osz in [((2,), None), ((3, 2, 1), (2, 3, 6, 4, 4)), (((2, 3, 2), (2, 2, 2)), (6, 4, 4))]:
        (ve, ie), (vt, it) = (EF.max_pool3d(ember.tensor(x), *args, return_indices=True),
                              TF.max_pool3d(torch.tensor(x), *args, return_indices=True))
        ve.requires_grad_(True)
        vt.requires_grad_(True)
        k = args[0]
        s = args[1] if len(args) > 1 else None
        p = args[2] if len(args) > 2 else 0
        ue, ut = EF.max_unpool3d(ve, ie, k, s, p, osz), TF.max_unpool3d(vt, it, k, s, p, osz)
        assert_close(ue, ut)
        assert ue.grad_fn.name() == ut.grad_fn.name()
        w = rng.standard_normal(tuple(ut.shape))
        (ue * ember.tensor(w)).sum().backward()
        (ut * torch.tensor(w)).sum().backward()
        assert_close(ve.grad, vt.grad)
    # unbatched
    (ve, ie), (vt, it) = EF.max_pool3d(ember.tensor(x[0]), 2, return_indices=True), TF.max_pool3d(
        torch.tensor(x[0]), 2, return_indices=True)
    assert_close(EF.max_unpool3d(ve, ie, 2), TF.max_unpool3d(vt, it, 2))
    bad = torch.full((2, 3, 2, 2, 2), 100)
    raises_like(lambda: TF.max_unpool3d(torch.zeros(2, 3, 2, 2, 2), bad, 2),
                lambda: EF.max_unpool3d(ember.zeros(2, 3, 2, 2, 2), ember.tensor(bad.numpy()), 2))
    raises_like(lambda: TF.max_unpool3d(torch.zeros(2, 3, 2, 2, 2), -bad, 2),
                lambda: EF.max_unpool3d(ember.zeros(2, 3, 2, 2, 2), ember.tensor(-bad.numpy()), 2))


@pytest.mark.parametrize("fn", [
    lambda x: EF.max_pool3d(x, 2),
    lambda x: EF.max_pool3d(x, 3, 2, 1, ceil_mode=True),
    lambda x: EF.max_pool3d(x, (2, 3, 2), 1, (1, 1, 0), dilation=(1, 1, 2)),
    lambda x: EF.avg_pool3d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False),
    lambda x: EF.avg_pool3d(x, 2, divisor_override=3),
    lambda x: EF.adaptive_avg_pool3d(x, (2, 3, 2)),
    lambda x: EF.adaptive_max_pool3d(x, (3, 2, 2)),
    lambda x: EF.interpolate(x, size=(2, 3, 3), mode="area"),
    lambda x: EF.max_unpool3d(*EF.max_pool3d(x, 2, return_indices=True), 2, output_size=x.shape),
])
def test_gradcheck_3d(fn):
    _gc(fn, (1, 2, 4, 5, 4))


@needs_torch
def test_pooling3d_errors_match_torch():
    x = np.zeros((2, 3, 6, 6, 6), np.float32)
    cases = [("max_pool3d", (3, None, 2)), ("max_pool3d", (10,)), ("max_pool3d", (2, 0)), ("max_pool3d", (0,)),
             ("max_pool3d", (0, 1)), ("max_pool3d", ((2, 0, 2), 1)), ("max_pool3d", (2, 2, 0, 0)),
             ("max_pool3d", ((2, 2),)), ("max_pool3d", ((2, 2, 2, 2),)), ("max_pool3d", (2, (1, 1))),
             ("max_pool3d", (2, 2, (1, 1))), ("max_pool3d", (2, 1, 0, (1, 1))), ("max_pool3d", (2, 2, -1)),
             ("max_pool3d", (9, 1, 1)), ("avg_pool3d", (3, None, 2)), ("avg_pool3d", (10,)), ("avg_pool3d", (2, 0)),
             ("avg_pool3d", ((2, 2),)), ("avg_pool3d", (0, 1)), ("avg_pool3d", (2, 2, 0, False, True, 0)),
             ("avg_pool3d", ((7, 2, 2), 1)), ("avg_pool3d", (2, (1, 1))), ("avg_pool3d", (2, 1, (1, 1))),
             ("avg_pool3d", (3, 2, -1)), ("adaptive_avg_pool3d", ((2, 2),)), ("adaptive_max_pool3d", ((2, 2),)),
             ("adaptive_avg_pool3d", ((2, 2, 2, 2),)), ("adaptive_max_pool3d", ((2, 2, 2, 2),))]
    for name, args in cases:
        raises_like(lambda: getattr(TF, name)(torch.tensor(x), *args), lambda: getattr(EF, name)(ember.tensor(x), *args))
    for name in ["max_pool3d", "avg_pool3d", "adaptive_avg_pool3d", "adaptive_max_pool3d"]:
        for shape in [(6, 6, 6), (1, 1, 1, 2, 6, 6, 6), (2, 3, 0, 4, 4), (2, 0, 4, 4, 4), (3, 4, 0, 4)]:
            raises_like(lambda: getattr(TF, name)(torch.zeros(shape), 2), lambda: getattr(EF, name)(ember.zeros(shape), 2))
        for dt in ["int64", "int32", "bool", "float16"]:
            t = torch.zeros((2, 3, 4, 4, 4), dtype=getattr(torch, dt))
            try:
                r = getattr(TF, name)(t, 2)
            except Exception:
                raises_like(lambda: getattr(TF, name)(t, 2), lambda: getattr(EF, name)(ember.tensor(t.numpy()), 2))
            else:
                assert_close(getattr(EF, name)(ember.tensor(t.numpy()), 2), r)
    # empty batch is fine
    for name in ["max_pool3d", "avg_pool3d", "adaptive_avg_pool3d", "adaptive_max_pool3d"]:
        assert_close(getattr(EF, name)(ember.zeros(0, 3, 4, 4, 4), 2), getattr(TF, name)(torch.zeros(0, 3, 4, 4, 4), 2))
    # 2-d texts that share the checks
    raises_like(lambda: TF.max_pool2d(torch.zeros(2, 3, 6, 6), 2, 2, -1), lambda: EF.max_pool2d(ember.zeros(2, 3, 6, 6), 2, 2, -1))
    raises_like(lambda: TF.max_pool2d(torch.zeros(2, 3, 6, 6), 0), lambda: EF.max_pool2d(ember.zeros(2, 3, 6, 6), 0))
    raises_like(lambda: TF.max_pool2d(torch.zeros(2, 3, 6, 6), 2, (1, 1, 1)),
                lambda: EF.max_pool2d(ember.zeros(2, 3, 6, 6), 2, (1, 1, 1)))
    raises_like(lambda: TF.max_pool2d(torch.zeros(2, 3, 6, 6), 2, 1, 0, (1, 1, 1)),
                lambda: EF.max_pool2d(ember.zeros(2, 3, 6, 6), 2, 1, 0, (1, 1, 1)))


@needs_torch
@pytest.mark.parametrize("make", [
    lambda nn: nn.MaxPool3d(2), lambda nn: nn.MaxPool3d((3, 2, 2), 1, 1, 2, ceil_mode=True),
    lambda nn: nn.MaxPool3d(3, 2, 1, return_indices=True),
    lambda nn: nn.AvgPool3d(3, 2, 1), lambda nn: nn.AvgPool3d(2, count_include_pad=False, divisor_override=3),
    lambda nn: nn.AvgPool3d((2, 3, 2), (1, 2, 1), ceil_mode=True),
    lambda nn: nn.AdaptiveAvgPool3d((3, None, 2)), lambda nn: nn.AdaptiveAvgPool3d(2),
    lambda nn: nn.AdaptiveMaxPool3d((2, 3, 4)), lambda nn: nn.AdaptiveMaxPool3d(2, return_indices=True),
    lambda nn: nn.MaxUnpool3d(2), lambda nn: nn.MaxUnpool3d((2, 3, 1), 1, 0),
])
def test_modules3d_match_torch(make):
    me, mt = make(enn), make(torch.nn)
    assert repr(me) == repr(mt)
    if isinstance(mt, torch.nn.MaxUnpool3d):
        x = rng.standard_normal((2, 3, 6, 6, 6)).astype(np.float32)
        (ve, ie), (vt, it) = (EF.max_pool3d(ember.tensor(x), mt.kernel_size, mt.stride, return_indices=True),
                              TF.max_pool3d(torch.tensor(x), mt.kernel_size, mt.stride, return_indices=True))
        assert_close(me(ve, ie), mt(vt, it))
        return
    x = rng.standard_normal((2, 3, 6, 7, 5)).astype(np.float32)
    assert_close(me(ember.tensor(x)), mt(torch.tensor(x)), 1e-5, 1e-6)


@needs_torch
def test_unbatched_max_pool_without_grad():
    # the values-only kernel (no autograd, no return_indices) on unbatched input
    for fn, shape in [("max_pool2d", (3, 6, 7)), ("max_pool3d", (3, 4, 6, 7)), ("max_pool1d", (3, 7))]:
        x = rng.standard_normal(shape).astype(np.float32)
        with ember.no_grad():
            assert_close(getattr(EF, fn)(ember.tensor(x), 2), getattr(TF, fn)(torch.tensor(x), 2))
