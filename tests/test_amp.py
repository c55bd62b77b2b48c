"""Automatic mixed precision: autocast's per-op dtype policy, gradients through casts, GradScaler's
scale schedule and errors, custom_fwd/custom_bwd, all against torch on the CPU (bfloat16)."""
import warnings

import numpy as np
import pytest

import ember
from tests.helpers import needs_torch, torch, assert_close, raises_like

needs_bfloat16 = pytest.mark.skipif(not ember._dtype.HAS_BFLOAT16, reason="bfloat16 needs ml_dtypes")

RNG = np.random.default_rng(0)
X = RNG.standard_normal((4, 8)).astype(np.float32)
W = RNG.standard_normal((8, 8)).astype(np.float32)
IMG = RNG.standard_normal((2, 3, 6, 6)).astype(np.float32)
KER = RNG.standard_normal((4, 3, 3, 3)).astype(np.float32)
B3 = RNG.standard_normal((2, 4, 8)).astype(np.float32)


def _ops(m):
    F = m.nn.functional
    x, w, xb = m.tensor(X), m.tensor(W), m.tensor(X).bfloat16()
    b3 = m.tensor(B3)
    t = m.tensor([0, 1, 2, 3])
    return {
        "matmul": lambda: x @ w, "mm": lambda: x.mm(w), "linear": lambda: F.linear(x, w, m.tensor(X[0])),
        "bmm": lambda: b3.bmm(b3.mT), "addmm": lambda: m.addmm(x, x, w[:, :8]),
        "baddbmm": lambda: m.baddbmm(m.tensor(np.zeros((2, 4, 4), np.float32)), b3, b3.mT),
        "conv2d": lambda: F.conv2d(m.tensor(IMG), m.tensor(KER), padding=1),
        "cross_entropy": lambda: F.cross_entropy(x, t), "mse_loss": lambda: F.mse_loss(xb, xb),
        "nll_loss": lambda: F.nll_loss(xb.log_softmax(1), t), "prod": lambda: xb.prod(),
        "cat": lambda: m.cat([x, xb]), "stack": lambda: m.stack([x, xb]),
        "softmax of bf16": lambda: xb.softmax(1), "softmax of f32": lambda: x.softmax(1),
        "add": lambda: x + xb, "relu of product": lambda: (x @ w).relu(), "sum of product": lambda: (x @ w).sum(),
        "layer_norm": lambda: F.layer_norm(xb, (8,)), "exp": lambda: xb.exp(),
        "int mm": lambda: m.ones(2, 2, dtype=m.int64) @ m.ones(2, 2, dtype=m.int64),
        "float64 mm": lambda: x.double() @ w.double(),
    }


OP_NAMES = ["matmul", "mm", "linear", "bmm", "addmm", "baddbmm", "conv2d", "cross_entropy", "mse_loss", "nll_loss",
            "prod", "cat", "stack", "softmax of bf16", "softmax of f32", "add", "relu of product",
            "sum of product", "layer_norm", "exp", "int mm", "float64 mm"]


@needs_bfloat16
@needs_torch
@pytest.mark.parametrize("name", OP_NAMES)
def test_autocast_cpu_dtype_policy_and_values_match_torch(name):
    assert sorted(OP_NAMES) == sorted(_ops(ember))
    with ember.autocast("cpu", dtype=ember.bfloat16), torch.autocast("cpu", dtype=torch.bfloat16):
        e, t = _ops(ember)[name](), _ops(torch)[name]()
    assert_close(e, t, rtol=2e-2, atol=2e-2)  # dtype checked exactly; values to bfloat16 precision


@needs_bfloat16
@needs_torch
def test_autocast_float16_on_cpu_and_disabled_regions():
    for m in (ember, torch):
        with m.autocast("cpu", dtype=m.float16):
            assert (m.tensor(X) @ m.tensor(W)).dtype == m.float16
            with m.autocast("cpu", enabled=False):
                assert (m.tensor(X) @ m.tensor(W)).dtype == m.float32
            assert m.is_autocast_enabled("cpu") and m.get_autocast_dtype("cpu") == m.float16
        assert not m.is_autocast_enabled("cpu") and m.get_autocast_dtype("cpu") == m.bfloat16
        assert not m.is_autocast_enabled() and m.get_autocast_dtype("cuda") == m.float16

        @m.autocast("cpu")
        def decorated(a, b):
            return a @ b
        assert decorated(m.tensor(X), m.tensor(W)).dtype == m.bfloat16
        assert (m.tensor(X) @ m.tensor(W)).dtype == m.float32


@needs_bfloat16
@needs_torch
def test_gradients_through_autocast_match_torch():
    def run(m):
        lin1, lin2 = m.nn.Linear(8, 16), m.nn.Linear(16, 3)
        with m.no_grad():  # the same parameters in both frameworks
            lin1.weight.copy_(m.tensor(W.repeat(2, 0) * 0.5))
            lin1.bias.copy_(m.tensor(np.linspace(-0.5, 0.5, 16, dtype=np.float32)))
            lin2.weight.copy_(m.tensor(np.linspace(-1, 1, 48, dtype=np.float32).reshape(3, 16)))
            lin2.bias.copy_(m.tensor([0.1, -0.2, 0.3]))
        x = m.tensor(X, requires_grad=True)
        with m.autocast("cpu"):
            h = lin1(x).relu()
            out = lin2(h)
            loss = m.nn.functional.cross_entropy(out, m.tensor([0, 1, 2, 0]))
        loss.backward()
        return out, loss, x.grad, lin1.weight.grad, lin2.bias.grad
    for e, t in zip(run(ember), run(torch)):
        assert_close(e, t, rtol=3e-2, atol=3e-2)
    assert run(ember)[3].dtype == ember.float32  # the parameters' gradients stay float32


@needs_bfloat16
@needs_torch
def test_autocast_argument_errors_and_warnings_like_torch():
    raises_like(lambda: torch.autocast(3), lambda: ember.autocast(3))
    for m in (ember, torch):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            with m.autocast("cpu", dtype=m.float64):
                assert (m.tensor(X) @ m.tensor(W)).dtype == m.float32  # disabled
        assert str(caught[0].message) == ("In CPU autocast, but the target dtype is not supported. Disabling "
                                          "autocast.\nCPU Autocast only supports dtypes of torch.bfloat16, "
                                          "torch.float16 currently.")
    if not ember.cuda.is_available():
        with pytest.warns(UserWarning, match="CUDA is not available or torch_xla is imported. Disabling autocast."):
            with ember.autocast("cuda"):
                assert not ember.is_autocast_enabled("cuda")


def _scaler_run(m, infs_at=(2,), steps=6):
    scaler = m.amp.GradScaler("cpu", init_scale=2.0 ** 4, growth_interval=2)
    p = m.nn.Parameter(m.ones(3))
    opt = m.optim.SGD([p], lr=0.1)
    trace = []
    for i in range(steps):
        opt.zero_grad()
        loss = (p * (float("inf") if i in infs_at else 1.0)).sum()
        scaler.scale(loss).backward()
        ret = scaler.step(opt)
        scaler.update()
        trace.append((ret, p.detach().numpy().copy(), scaler.get_scale(), scaler._get_growth_tracker()))
    return scaler, trace


@needs_bfloat16
@needs_torch
def test_grad_scaler_schedule_skips_and_state_dict_match_torch():
    (es, et), (ts, tt) = _scaler_run(ember), _scaler_run(torch)
    for (er, ep, esc, eg), (tr, tp, tsc, tg) in zip(et, tt):
        assert er == tr and esc == tsc and eg == tg
        np.testing.assert_array_equal(ep, tp)
    assert es.state_dict() == ts.state_dict()
    fresh = ember.amp.GradScaler("cpu")
    fresh.load_state_dict(es.state_dict())
    assert fresh.get_scale() == es.get_scale() and fresh.state_dict() == es.state_dict()


@needs_bfloat16
@needs_torch
def test_grad_scaler_unscale_and_errors_like_torch():
    def setup(m):
        scaler = m.amp.GradScaler("cpu", init_scale=8.0)
        p = m.nn.Parameter(m.tensor([1.0, -2.0]))
        opt = m.optim.SGD([p], lr=1.0)
        scaler.scale((p * p).sum()).backward()
        return scaler, p, opt
    for m in (ember, torch):
        scaler, p, opt = setup(m)
        scaler.unscale_(opt)
        np.testing.assert_array_equal(p.grad.numpy(), [2.0, -4.0])  # divided by the scale
    raises_like(lambda: (lambda s, p, o: (s.unscale_(o), s.unscale_(o)))(*setup(torch)),
                lambda: (lambda s, p, o: (s.unscale_(o), s.unscale_(o)))(*setup(ember)))
    raises_like(lambda: (lambda s, p, o: (s.step(o), s.unscale_(o)))(*setup(torch)),
                lambda: (lambda s, p, o: (s.step(o), s.unscale_(o)))(*setup(ember)))
    raises_like(lambda: (lambda s, p, o: (s.step(o), s.step(o)))(*setup(torch)),
                lambda: (lambda s, p, o: (s.step(o), s.step(o)))(*setup(ember)))
    raises_like(lambda: torch.amp.GradScaler("cpu").update(), lambda: ember.amp.GradScaler("cpu").update())
    raises_like(lambda: torch.amp.GradScaler("cpu").load_state_dict({}),
                lambda: ember.amp.GradScaler("cpu").load_state_dict({}))
    raises_like(lambda: torch.amp.GradScaler("cpu", growth_factor=0.5),
                lambda: ember.amp.GradScaler("cpu", growth_factor=0.5))
    for m in (ember, torch):
        off = m.amp.GradScaler("cpu", enabled=False)
        loss = m.tensor(3.0)
        assert off.scale(loss) is loss and off.get_scale() == 1.0 and off.state_dict() == {}


@needs_bfloat16
def test_grad_scaler_for_cuda_without_a_gpu_disables_itself():
    if ember.cuda.is_available():
        pytest.skip("a GPU is present")
    with pytest.warns(UserWarning, match="torch.cuda.amp.GradScaler is enabled, but CUDA is not available.  "
                                         "Disabling."):
        scaler = ember.amp.GradScaler()
    assert not scaler.is_enabled()
    with pytest.warns(FutureWarning, match=r"`torch.cuda.amp.GradScaler\(args...\)` is deprecated"):
        ember.cuda.amp.GradScaler(enabled=False)


@needs_bfloat16
def test_custom_fwd_casts_inputs_and_custom_bwd_restores_the_state():
    seen = {}

    class Square(ember.autograd.Function):
        @staticmethod
        @ember.amp.custom_fwd(device_type="cpu", cast_inputs=ember.float32)
        def forward(ctx, x):
            seen["fwd"] = (x.dtype, ember.is_autocast_enabled("cpu"))
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        @ember.amp.custom_bwd(device_type="cpu")
        def backward(ctx, g):
            seen["bwd"] = ember.is_autocast_enabled("cpu")
            (x,) = ctx.saved_tensors
            return 2 * x * g

    x = ember.tensor([1.5, -2.0], dtype=ember.bfloat16, requires_grad=True)
    with ember.autocast("cpu"):
        y = Square.apply(x)
    y.sum().backward()
    assert seen == {"fwd": (ember.float32, False), "bwd": False}
    assert y.dtype == ember.float32 and x.grad.dtype == ember.bfloat16
    np.testing.assert_array_equal(x.grad.float().numpy(), [3.0, -4.0])


@needs_bfloat16
@needs_torch
def test_bfloat16_products_stay_bfloat16_like_torch():
    def products(m):
        a, b, v = (m.tensor(B3).bfloat16(), m.tensor(B3).bfloat16().mT, m.tensor(X[0]).bfloat16())
        return [a.bmm(b), a @ b, a[0].mv(v), v.dot(v), m.einsum("ij,jk->ik", a[0], b[0]), v @ a[0].mT,
                m.addmm(m.zeros(4, 4).bfloat16(), a[0], b[0])]
    for e, t in zip(products(ember), products(torch)):
        assert_close(e, t, rtol=1e-2, atol=1e-2)


def test_cpu_autocast_without_ml_dtypes_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(ember._dtype, "HAS_BFLOAT16", False)
    with pytest.raises(RuntimeError, match=r"^ember.bfloat16 needs the ml_dtypes package"):
        ember.autocast("cpu")
    with ember.autocast("cpu", dtype=ember.float16):  # float16 needs nothing extra
        assert (ember.tensor(X) @ ember.tensor(W)).dtype == ember.float16
