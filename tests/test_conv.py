"""conv1d/2d, conv_transpose1d/2d, unfold/fold and the Conv/Fold modules against torch (values, all grads,
errors, reprs), plus float64 gradcheck / gradgradcheck (no torch needed)."""
import math

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


def _leaves(*arrays):
    e = [ember.tensor(a, requires_grad=True) for a in arrays]
    t = [torch.tensor(a, requires_grad=True) for a in arrays]
    return e, t


def _check(efn, tfn, arrays, rtol=1e-5, atol=1e-5):
    e, t = _leaves(*arrays)
    ye, yt = efn(*e), tfn(*t)
    assert_close(ye, yt, rtol=rtol, atol=atol)
    assert ye.grad_fn.name() == yt.grad_fn.name()
    gy = rng.standard_normal(tuple(yt.shape)).astype(arrays[0].dtype)
    ye.backward(ember.tensor(gy))
    yt.backward(torch.tensor(gy))
    for a, b in zip(e, t):
        assert_close(a.grad, b.grad, rtol=rtol, atol=atol)


CONV2D = [  # (N, C, O, H, W, k, stride, padding, dilation, groups, bias)
    (2, 3, 4, 7, 8, 3, 1, 0, 1, 1, True),
    (2, 4, 6, 8, 8, 3, 2, 1, 1, 2, True),
    (1, 3, 6, 9, 7, (2, 3), (2, 1), (1, 2), (2, 1), 3, False),
    (2, 4, 4, 10, 9, 3, 3, 2, 2, 4, True),   # depthwise
    (2, 3, 5, 7, 7, 3, 1, "same", 2, 1, True),
    (1, 4, 6, 7, 6, 4, 1, "same", 1, 2, True),  # even kernel: asymmetric padding
    (2, 3, 5, 6, 6, 3, 1, "valid", 1, 1, False),
    (3, 5, 7, 5, 6, 1, 1, 0, 1, 1, True),    # 1x1 fast path
    (2, 3, 4, 5, 5, 5, 1, 0, 1, 1, True),    # kernel == input
    (2, 2, 4, 12, 11, 3, 2, 0, 1, 1, True),
    (0, 3, 4, 6, 6, 3, 1, 1, 1, 1, True),    # empty batch
]


@needs_torch
@pytest.mark.parametrize("cfg", CONV2D)
def test_conv2d_matches_torch(cfg):
    N, C, O, H, W, k, s, p, d, g, bias = cfg
    kk = (k, k) if isinstance(k, int) else k
    arrays = [rng.standard_normal((N, C, H, W)), rng.standard_normal((O, C // g) + kk)]
    if bias:
        arrays.append(rng.standard_normal(O))
    _check(lambda *a: ember.conv2d(*a[:2], a[2] if bias else None, s, p, d, g),
           lambda *a: TF.conv2d(*a[:2], a[2] if bias else None, s, p, d, g), arrays, 1e-9, 1e-9)


@needs_torch
@pytest.mark.parametrize("cfg", [(2, 3, 4, 9, 3, 1, 0, 1, 1), (2, 4, 6, 10, 3, 2, 1, 2, 2), (1, 3, 3, 8, 4, 1, "same", 1, 3),
                                 (2, 2, 4, 7, 1, 1, 0, 1, 1), (1, 4, 4, 11, 3, 3, 2, 1, 4)])
def test_conv1d_matches_torch(cfg):
    N, C, O, L, k, s, p, d, g = cfg
    arrays = [rng.standard_normal((N, C, L)), rng.standard_normal((O, C // g, k)), rng.standard_normal(O)]
    _check(lambda x, w, b: ember.conv1d(x, w, b, s, p, d, g), lambda x, w, b: TF.conv1d(x, w, b, s, p, d, g),
           arrays, 1e-9, 1e-9)


CONVT2D = [  # (N, Cin, Cout, H, W, k, stride, padding, output_padding, groups, dilation)
    (2, 3, 4, 5, 4, 3, 1, 0, 0, 1, 1),
    (2, 4, 6, 4, 5, 3, 2, 1, 1, 2, 1),
    (1, 4, 4, 3, 4, (2, 3), (3, 2), (1, 0), (2, 1), 4, 1),
    (2, 2, 3, 4, 4, 3, 2, 1, 1, 1, 2),
    (2, 3, 2, 5, 5, 1, 1, 0, 0, 1, 1),
    (2, 2, 2, 3, 3, 4, 2, 1, 0, 1, 1),
]


@needs_torch
@pytest.mark.parametrize("cfg", CONVT2D)
def test_conv_transpose2d_matches_torch(cfg):
    N, Ci, Co, H, W, k, s, p, op, g, d = cfg
    kk = (k, k) if isinstance(k, int) else k
    arrays = [rng.standard_normal((N, Ci, H, W)), rng.standard_normal((Ci, Co // g) + kk), rng.standard_normal(Co)]
    _check(lambda x, w, b: ember.conv_transpose2d(x, w, b, s, p, op, g, d),
           lambda x, w, b: TF.conv_transpose2d(x, w, b, s, p, op, g, d), arrays, 1e-9, 1e-9)


@needs_torch
@pytest.mark.parametrize("cfg", [(2, 3, 4, 6, 3, 2, 1, 1, 1, 1), (1, 4, 2, 5, 4, 3, 0, 2, 2, 1), (2, 2, 2, 4, 3, 1, 1, 0, 1, 2)])
def test_conv_transpose1d_matches_torch(cfg):
    N, Ci, Co, L, k, s, p, op, g, d = cfg
    arrays = [rng.standard_normal((N, Ci, L)), rng.standard_normal((Ci, Co // g, k))]
    _check(lambda x, w: ember.conv_transpose1d(x, w, None, s, p, op, g, d),
           lambda x, w: TF.conv_transpose1d(x, w, None, s, p, op, g, d), arrays, 1e-9, 1e-9)


@needs_torch
def test_conv_float32_unbatched_and_dtype():
    x = rng.standard_normal((3, 8, 8)).astype(np.float32)
    w = rng.standard_normal((4, 3, 3, 3)).astype(np.float32)
    ye = ember.conv2d(ember.tensor(x), ember.tensor(w), padding=1)
    yt = TF.conv2d(torch.tensor(x), torch.tensor(w), padding=1)
    assert_close(ye, yt)
    assert ye.dtype == ember.float32
    # integer convolution works on CPU, as in torch
    xi, wi = rng.integers(-3, 4, (1, 2, 5, 5)), rng.integers(-3, 4, (2, 2, 3, 3))
    assert_close(ember.conv2d(ember.tensor(xi), ember.tensor(wi)), TF.conv2d(torch.tensor(xi), torch.tensor(wi)))


@needs_torch
def test_unfold_fold_match_torch():
    x = rng.standard_normal((2, 3, 7, 6))
    for k, d, p, s in [(2, 1, 0, 1), ((2, 3), (2, 1), (1, 0), (2, 1)), (3, 1, 1, 2), (1, 1, 0, 1)]:
        _check(lambda a: EF.unfold(a, k, d, p, s), lambda a: TF.unfold(a, k, d, p, s), [x], 1e-10, 1e-10)
        cols = TF.unfold(torch.tensor(x), k, d, p, s).numpy()
        _check(lambda a: EF.fold(a, (7, 6), k, d, p, s), lambda a: TF.fold(a, (7, 6), k, d, p, s), [cols],
               1e-10, 1e-10)


def _gc(fn, *shapes):
    inputs = [ember.tensor(rng.standard_normal(s), requires_grad=True) for s in shapes]
    assert gradcheck(fn, inputs)
    assert gradgradcheck(fn, inputs)


def test_gradcheck_conv2d():
    _gc(lambda x, w, b: ember.conv2d(x, w, b, 2, 1, 1, 1), (2, 2, 5, 4), (3, 2, 3, 2), (3,))
    _gc(lambda x, w: ember.conv2d(x, w, None, 1, "same", 2, 2), (1, 4, 5, 5), (2, 2, 2, 3))


def test_gradcheck_conv_transpose2d():
    _gc(lambda x, w, b: ember.conv_transpose2d(x, w, b, 2, 1, 1, 1, 1), (2, 2, 3, 3), (2, 3, 3, 2), (3,))
    _gc(lambda x, w: ember.conv_transpose2d(x, w, None, 1, 0, 0, 2, 2), (1, 4, 3, 2), (4, 1, 2, 2))


def test_gradcheck_conv1d_unfold_fold():
    _gc(lambda x, w: ember.conv1d(x, w, None, 2, 1, 1, 1), (2, 2, 6), (3, 2, 3))
    _gc(lambda x: EF.unfold(x, 2, 1, 1, 2), (1, 2, 4, 3))
    _gc(lambda c: EF.fold(c, (4, 3), 2, 1, 0, 1), (1, 8, 6))


@needs_torch
def test_double_backward_matches_torch():
    x, w = rng.standard_normal((2, 3, 6, 6)), rng.standard_normal((4, 3, 3, 3))
    (xe, we), (xt, wt) = _leaves(x, w)
    ge = ember.autograd.grad((ember.conv2d(xe, we, stride=2, padding=1) ** 2).sum(), (xe, we), create_graph=True)
    gt = torch.autograd.grad((TF.conv2d(xt, wt, stride=2, padding=1) ** 2).sum(), (xt, wt), create_graph=True)
    assert ge[0].grad_fn.name() == gt[0].grad_fn.name() == "ConvolutionBackwardBackward0"
    (ge[0].sum() + (ge[1] ** 2).sum()).backward()
    (gt[0].sum() + (gt[1] ** 2).sum()).backward()
    assert_close(xe.grad, xt.grad, 1e-9, 1e-9)
    assert_close(we.grad, wt.grad, 1e-9, 1e-9)


@needs_torch
def test_conv_errors_match_torch():
    def both(f, *arrays, **kw):
        raises_like(lambda: f(TF, torch, *[torch.tensor(a) for a in arrays]),
                    lambda: f(EF, ember, *[ember.tensor(a) for a in arrays]))
    x, w = np.zeros((64, 3, 28, 28), np.float32), np.zeros((6, 1, 5, 5), np.float32)
    both(lambda F, T, x, w: F.conv2d(x, w), x, w)
    both(lambda F, T, x, w: F.conv2d(x[:1, :1, :3, :3], w), x, w)
    both(lambda F, T, x, w: F.conv2d(x[:1, :1], w, stride=2, padding="same"), x, w)
    both(lambda F, T, x, w: F.conv2d(x[:1, :1], w, padding="foo"), x, w)
    both(lambda F, T, x, w: F.conv2d(x[:1, :1], w, padding=-1), x, w)
    both(lambda F, T, x, w: F.conv2d(x[:1, :1], w, stride=0), x, w)
    both(lambda F, T, x, w: F.conv2d(x[:1, :1], w, dilation=0), x, w)
    both(lambda F, T, x, w: F.conv2d(x[:1, :1], w, groups=0), x, w)
    both(lambda F, T, x, w: F.conv2d(x[:1, :1], w, stride=(1, 1, 1)), x, w)
    both(lambda F, T, x, w: F.conv2d(x[:1, :1], w, T.zeros(5)), x, w)
    both(lambda F, T, x, w: F.conv2d(x[:1, :1].double(), w), x, w)
    both(lambda F, T, x, w: F.conv2d(x[:1, :1], w.double()), x, w)
    both(lambda F, T, x, w: F.conv2d(x[:1, :1], w, T.zeros(6, dtype=T.float64)), x, w)
    both(lambda F, T, x, w: F.conv2d(x[0, 0], w), x, w)
    both(lambda F, T, x, w: F.conv2d(x[:1, :3], T.zeros(6, 1, 3, 3), groups=4), x, w)
    both(lambda F, T, x, w: F.conv2d(x[:1, :1], w[:, :, 0]), x, w)
    both(lambda F, T, x, w: F.conv1d(x[:1, :1, 0, :3], w[:, :, 0]), x, w)
    both(lambda F, T, x, w: F.conv_transpose2d(T.zeros(1, 4, 8, 8), T.zeros(3, 2, 3, 3)), x, w)
    both(lambda F, T, x, w: F.conv_transpose2d(T.zeros(1, 4, 8, 8), T.zeros(4, 2, 3, 3), stride=2, output_padding=2), x, w)
    both(lambda F, T, x, w: F.conv_transpose1d(T.zeros(1, 4, 8), T.zeros(4, 2, 3), stride=2, output_padding=2), x, w)
    both(lambda F, T, x, w: F.conv_transpose2d(T.zeros(1, 4, 1, 1), T.zeros(4, 2, 1, 1), padding=1), x, w)
    both(lambda F, T, x, w: F.fold(T.zeros(1, 5, 9), (4, 4), 2), x, w)
    both(lambda F, T, x, w: F.fold(T.zeros(1, 4, 8), (4, 4), 2), x, w)


# -- modules -------------------------------------------------------------------------------------------

@needs_torch
@pytest.mark.parametrize("make", [
    lambda nn: nn.Conv2d(1, 6, 5),
    lambda nn: nn.Conv2d(3, 8, 3, stride=2, padding=1, bias=False),
    lambda nn: nn.Conv2d(4, 8, (3, 2), padding="same", dilation=2, groups=2),
    lambda nn: nn.Conv2d(3, 4, 3, padding=(1, 2), padding_mode="reflect"),
    lambda nn: nn.Conv2d(3, 4, 3, padding=1, padding_mode="replicate"),
    lambda nn: nn.Conv2d(3, 4, 3, padding=2, padding_mode="circular"),
    lambda nn: nn.Conv2d(3, 4, 4, padding="same", padding_mode="circular"),
    lambda nn: nn.Conv1d(2, 4, 3, padding="valid"),
    lambda nn: nn.Conv1d(2, 4, 3, padding=1, padding_mode="reflect"),
    lambda nn: nn.ConvTranspose2d(4, 2, 3, 2, 1, 1),
    lambda nn: nn.ConvTranspose2d(4, 6, 3, 2, groups=2, dilation=2, bias=False),
    lambda nn: nn.ConvTranspose1d(3, 2, 4, 2, 1),
])
def test_conv_modules_match_torch(make):
    te, tt = make(enn), make(torch.nn)
    assert repr(te) == repr(tt)
    assert [n for n, _ in te.named_parameters()] == [n for n, _ in tt.named_parameters()]
    for pe, pt in zip(te.parameters(), tt.parameters()):
        assert tuple(pe.shape) == tuple(pt.shape)
        pe.data = ember.tensor(pt.detach().numpy().copy())
    nd = len(tt.kernel_size)
    x = rng.standard_normal((2, tt.in_channels) + (7,) * nd).astype(np.float32)
    xe, xt = ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ye, yt = te(xe), tt(xt)
    assert_close(ye, yt, 1e-5, 1e-5)
    ye.sum().backward()
    yt.sum().backward()
    assert_close(xe.grad, xt.grad, 1e-4, 1e-5)
    for pe, pt in zip(te.parameters(), tt.parameters()):
        assert_close(pe.grad, pt.grad, 1e-4, 1e-4)


def test_conv_default_init_bounds():
    ember.manual_seed(0)
    m = enn.Conv2d(6, 16, 5)
    fan_in = 6 * 25
    bound = 1 / math.sqrt(fan_in)
    assert float(m.weight.abs().max()) <= bound + 1e-7  # kaiming_uniform(a=sqrt(5)) -> 1/sqrt(fan_in)
    assert float(m.weight.abs().max()) > 0.8 * bound
    assert float(m.bias.abs().max()) <= bound
    t = enn.ConvTranspose2d(4, 6, 3, groups=2)
    assert tuple(t.weight.shape) == (4, 3, 3, 3)
    assert float(t.bias.abs().max()) <= 1 / math.sqrt(3 * 9)


@needs_torch
def test_conv_transpose_output_size_and_module_errors():
    te, tt = enn.ConvTranspose2d(3, 2, 3, stride=2), torch.nn.ConvTranspose2d(3, 2, 3, stride=2)
    x = np.zeros((1, 3, 4, 4), np.float32)
    assert tuple(te(ember.tensor(x), output_size=[10, 10]).shape) == tuple(tt(torch.tensor(x), output_size=[10, 10]).shape)
    raises_like(lambda: tt(torch.tensor(x), output_size=[12, 12]), lambda: te(ember.tensor(x), output_size=[12, 12]))
    raises_like(lambda: torch.nn.Conv2d(3, 4, 3, groups=2), lambda: enn.Conv2d(3, 4, 3, groups=2))
    raises_like(lambda: torch.nn.Conv2d(4, 3, 3, groups=2), lambda: enn.Conv2d(4, 3, 3, groups=2))
    raises_like(lambda: torch.nn.Conv2d(4, 4, 3, padding="same", stride=2), lambda: enn.Conv2d(4, 4, 3, padding="same", stride=2))
    raises_like(lambda: torch.nn.Conv2d(4, 4, 3, padding="full"), lambda: enn.Conv2d(4, 4, 3, padding="full"))
    with pytest.raises(ValueError, match="padding_mode must be one of .*but got padding_mode='zero'"):
        enn.Conv2d(4, 4, 3, padding_mode="zero")  # torch's message shows a set: its order varies by run
    raises_like(lambda: torch.nn.ConvTranspose2d(4, 4, 3, padding_mode="reflect"),
                lambda: enn.ConvTranspose2d(4, 4, 3, padding_mode="reflect"))


@needs_torch
def test_fold_modules_repr():
    assert repr(enn.Fold((4, 5), 2, stride=1)) == repr(torch.nn.Fold((4, 5), 2, stride=1))
    assert repr(enn.Unfold(3, dilation=2, padding=1)) == repr(torch.nn.Unfold(3, dilation=2, padding=1))
    x = rng.standard_normal((2, 3, 6, 5))
    assert_close(enn.Unfold(3, padding=1)(ember.tensor(x)), torch.nn.Unfold(3, padding=1)(torch.tensor(x)))
