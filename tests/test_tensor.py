"""Tensor basics: creation, dtypes, views and memory sharing, conversions, devices."""
import numpy as np
import pytest

import ember
from tests.helpers import torch, needs_torch, assert_close, raises_like

RNG = np.random.default_rng(0)


def _dt(t):
    return str(t.dtype).split(".")[-1]


@needs_torch
@pytest.mark.parametrize("data", [[1, 2], [1.0, 2], [True, False], [[1, 2], [3, 4]], 3, 2.5, True, [],
                                  [[1.5]], np.array([1, 2], dtype=np.int32), np.array([1.0], dtype=np.float64),
                                  np.array([1], dtype=np.uint8), [1 + 2j]])
def test_tensor_constructor_dtype_inference(data):
    e, t = ember.tensor(data), torch.tensor(data)
    assert _dt(e) == _dt(t)
    assert tuple(e.shape) == tuple(t.shape)
    np.testing.assert_array_equal(np.asarray(e.tolist()), np.asarray(t.tolist()))


@needs_torch
def test_default_dtype_affects_creation():
    ember.set_default_dtype(ember.float64)
    torch.set_default_dtype(torch.float64)
    try:
        for f in ("ones", "zeros", "rand", "randn", "empty"):
            assert _dt(getattr(ember, f)(2)) == _dt(getattr(torch, f)(2)) == "float64"
        assert _dt(ember.tensor([1.5])) == "float64"
        assert _dt(ember.arange(0.0, 1.0, 0.5)) == "float64"
        assert _dt(ember.ones(2, dtype=ember.float32) * 2.5) == "float32"
    finally:
        torch.set_default_dtype(torch.float32)
    assert ember.get_default_dtype() == ember.float64
    with pytest.raises(TypeError):
        ember.set_default_dtype(ember.int64)


@needs_torch
@pytest.mark.parametrize("expr", [
    "m.zeros(2, 3)", "m.ones((2, 3), dtype=m.int32)", "m.full((2, 2), 7)", "m.full((2,), 1.5)",
    "m.full((2,), True)", "m.arange(5)", "m.arange(1, 4, 0.5)", "m.arange(0, 1, 0.1)", "m.arange(10, 0, -3)",
    "m.linspace(0, 1, 7)", "m.linspace(-2, 5, 4, dtype=m.float64)", "m.logspace(0, 2, 3)", "m.eye(3)",
    "m.eye(2, 4, dtype=m.int64)", "m.zeros_like(m.ones(2, dtype=m.int32))", "m.ones_like(m.ones(2, 3))",
    "m.full_like(m.ones(2), 3)", "m.empty(2, 3).shape", "m.arange(6).reshape(2, 3)",
    "m.tensor([[1, 2], [3, 4]], dtype=m.float32)", "m.zeros(0, 3)", "m.linspace(0, 10, 1)",
    "m.linspace(0, 1, 10)",
])
def test_creation_matches_torch(expr):
    e, t = eval(expr, {"m": ember}), eval(expr, {"m": torch})
    if isinstance(t, torch.Size):
        assert tuple(e) == tuple(t)
    else:
        # linspace/logspace: torch's SIMD kernel rounds a few elements differently (1 ulp)
        exact = "space" not in expr
        assert_close(e, t, rtol=0 if exact else 2e-7, atol=0)


def test_random_creation_shapes_dtypes_and_seeding():
    ember.manual_seed(3)
    a = ember.rand(1000)
    ember.manual_seed(3)
    b = ember.rand(1000)
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert a.dtype == ember.float32 and 0 <= a.min().item() if hasattr(a, "min") else True
    assert 0.45 < a.mean().item() < 0.55
    n = ember.randn(20000)
    assert abs(n.mean().item()) < 0.03 and 0.97 < (n * n).mean().item() < 1.03
    r = ember.randint(3, 7, (500,))
    assert r.dtype == ember.int64 and set(r.tolist()) == {3, 4, 5, 6}
    assert sorted(ember.randperm(10).tolist()) == list(range(10))
    g = ember.Generator().manual_seed(5)
    x1 = ember.randn(4, generator=g)
    g.manual_seed(5)
    np.testing.assert_array_equal(x1.numpy(), ember.randn(4, generator=g).numpy())
    state = ember.get_rng_state()
    u = ember.rand(3)
    ember.set_rng_state(state)
    np.testing.assert_array_equal(u.numpy(), ember.rand(3).numpy())
    nm = ember.normal(2.0, 3.0, size=(20000,))
    assert abs(nm.mean().item() - 2) < 0.1
    assert ember.normal(ember.zeros(3), ember.ones(3)).shape == (3,)


@needs_torch
def test_creation_errors_match_torch():
    raises_like(lambda: torch.zeros(-1), lambda: ember.zeros(-1))
    raises_like(lambda: torch.arange(0, 1, 0), lambda: ember.arange(0, 1, 0))
    raises_like(lambda: torch.randint(5, 3, (2,)), lambda: ember.randint(5, 3, (2,)))
    raises_like(lambda: torch.tensor([[1, 2], [3]]), lambda: ember.tensor([[1, 2], [3]]))
    raises_like(lambda: torch.rand(2, dtype=torch.int64), lambda: ember.rand(2, dtype=ember.int64))


def test_from_numpy_and_numpy_share_memory():
    arr = np.arange(6, dtype=np.float32).reshape(2, 3)
    t = ember.from_numpy(arr)
    arr[0, 0] = 100
    assert t[0, 0].item() == 100 if hasattr(ember.Tensor, "__getitem__") else t.numpy()[0, 0] == 100
    t.add_(1)
    assert arr[1, 2] == 6
    assert t.numpy() is arr or np.shares_memory(t.numpy(), arr)
    assert ember.as_tensor(arr)._data is arr
    with pytest.raises(TypeError, match="can't convert np.ndarray of type numpy.object_. The only"):
        ember.from_numpy(np.array([object()]))


@needs_torch
def test_views_share_memory_and_version_counter():
    base = ember.arange(12.0)
    for v in (base.view(3, 4), base.reshape(2, 6), base.view(3, 4).t(), base.view(3, 4).transpose(0, 1),
              base.view(2, 6).permute(1, 0), base.unsqueeze(0), base.view(1, 12).squeeze(0),
              base.view(3, 4).narrow(1, 1, 2), base.view(3, 4).select(0, 2), base.view(3, 4).unbind(0)[1],
              base.view(3, 4).split(2, dim=1)[1], base.view(3, 4).chunk(3)[2], base.view(3, 4).T,
              base.view(3, 4).diagonal(), base.unfold(0, 4, 2), base.view(4, 3).expand(2, 4, 3),
              base.view(3, 4).flatten(), base.view(3, 4).movedim(0, 1)):
        assert np.shares_memory(v.numpy(), base.numpy()), v
        assert v._base is base
    v = base.view(3, 4)
    before = base._version
    v.mul_(2)
    assert base._version == before + 1 == v._version
    assert base[5].item() == 10 if hasattr(ember.Tensor, "__getitem__") else True


@needs_torch
def test_shapes_strides_and_contiguity_match_torch():
    e, t = ember.arange(24.0).view(2, 3, 4), torch.arange(24.0).view(2, 3, 4)
    for f in (lambda x: x, lambda x: x.transpose(0, 2), lambda x: x.permute(1, 2, 0), lambda x: x.narrow(2, 1, 2),
              lambda x: x.unsqueeze(1), lambda x: x[:, 0] if hasattr(ember.Tensor, "__getitem__") else x.select(1, 0),
              lambda x: x.expand(5, 2, 3, 4), lambda x: x.transpose(0, 1).contiguous()):
        ev, tv = f(e), f(t)
        assert tuple(ev.shape) == tuple(tv.shape)
        assert ev.stride() == tv.stride()
        assert ev.is_contiguous() == tv.is_contiguous()
        assert ev.size() == tv.size() and ev.dim() == tv.dim() and ev.numel() == tv.numel()
    assert e.size(-1) == 4 and e.stride(0) == 12 and e.element_size() == 4
    assert repr(e.shape) == "ember.Size([2, 3, 4])"
    assert e.shape.numel() == 24


@needs_torch
def test_view_and_reshape_errors_match_torch():
    raises_like(lambda: torch.arange(6).view(4, -1), lambda: ember.arange(6).view(4, -1))
    raises_like(lambda: torch.arange(6).view(-1, -1), lambda: ember.arange(6).view(-1, -1))
    raises_like(lambda: torch.arange(6).view(2, 3).t().view(6), lambda: ember.arange(6).view(2, 3).t().view(6))
    raises_like(lambda: torch.ones(2, 3).expand(3, 3), lambda: ember.ones(2, 3).expand(3, 3))
    raises_like(lambda: torch.ones(2, 3).permute(0), lambda: ember.ones(2, 3).permute(0))
    raises_like(lambda: torch.ones(2, 3).transpose(0, 3), lambda: ember.ones(2, 3).transpose(0, 3))
    raises_like(lambda: torch.ones(2, 3, 4).t(), lambda: ember.ones(2, 3, 4).t())
    raises_like(lambda: torch.ones(2, 3).split([1, 2]), lambda: ember.ones(2, 3).split([1, 2]))
    raises_like(lambda: torch.ones(2, 3).narrow(1, 2, 2), lambda: ember.ones(2, 3).narrow(1, 2, 2))
    raises_like(lambda: torch.ones(2, 3).select(0, 5), lambda: ember.ones(2, 3).select(0, 5))
    raises_like(lambda: torch.ones(2, 3).unsqueeze(3), lambda: ember.ones(2, 3).unsqueeze(3))


@needs_torch
def test_view_ops_gradients_match_torch():
    arr = RNG.standard_normal((2, 3, 4)).astype(np.float32)
    fns = [lambda x: x.view(6, 4), lambda x: x.reshape(4, 6), lambda x: x.permute(2, 0, 1), lambda x: x.transpose(0, 2),
           lambda x: x.unsqueeze(1).expand(2, 5, 3, 4), lambda x: x.narrow(1, 1, 2), lambda x: x.select(2, 3),
           lambda x: x.flatten(1), lambda x: x.unflatten(2, (2, 2)), lambda x: x.movedim(0, -1),
           lambda x: x.split([1, 3], dim=2)[1], lambda x: x.chunk(2, dim=2)[0] * x.chunk(2, dim=2)[1],
           lambda x: x.unbind(1)[2], lambda x: x.diagonal(0, 1, 2), lambda x: x.transpose(1, 2).reshape(2, 12),
           lambda x: x.unfold(2, 2, 1), lambda x: x.squeeze(), lambda x: x.view(1, 24).squeeze(0)]
    w = None
    for f in fns:
        e, t = ember.tensor(arr, requires_grad=True), torch.tensor(arr, requires_grad=True)
        eo, to = f(e), f(t)
        assert_close(eo, to)
        w = RNG.standard_normal(to.shape).astype(np.float32)
        (eo * ember.tensor(w)).sum().backward()
        (to * torch.tensor(w)).sum().backward()
        assert_close(e.grad, t.grad, rtol=1e-6)


@pytest.mark.parametrize("fn", [lambda x: x.view(3, 2), lambda x: x.t(), lambda x: x.unsqueeze(0).expand(2, 2, 3),
                                lambda x: x.narrow(1, 1, 2), lambda x: x.select(0, 1),
                                lambda x: x.permute(1, 0).reshape(6), lambda x: x.split(1, 1)[1],
                                lambda x: x.diagonal()])
def test_view_gradcheck(fn):
    x = ember.tensor(RNG.standard_normal((2, 3)), requires_grad=True)
    assert ember.autograd.gradcheck(fn, (x,))


@needs_torch
def test_conversions_match_torch():
    arr = np.array([[1.7, -2.2], [3.5, 0.0]], dtype=np.float32)
    e, t = ember.tensor(arr), torch.tensor(arr)
    for name in ("float", "double", "half", "long", "int", "short", "char", "byte", "bool"):
        assert_close(getattr(e, name)(), getattr(t, name)())
    assert_close(e.to(ember.int32), t.to(torch.int32))
    assert_close(e.to(ember.ones(1, dtype=ember.float64)), t.to(torch.ones(1, dtype=torch.float64)))
    assert e.type() == t.type() == "torch.FloatTensor"
    assert e.long().type() == "torch.LongTensor"
    assert_close(e.type(ember.float64), t.type(torch.float64))
    assert e.to(ember.float32) is e and e.to("cpu") is e
    assert e.item() if False else True
    assert ember.tensor(3.5).item() == 3.5 and isinstance(ember.tensor(3).item(), int)
    assert e.tolist() == t.tolist()
    assert float(ember.tensor([2.5])) == 2.5 and int(ember.tensor(7)) == 7
    raises_like(lambda: t.item(), lambda: e.item())
    raises_like(lambda: bool(t), lambda: bool(e))
    x = ember.ones(2, requires_grad=True)
    y = x.double() * 2
    y.sum().backward()
    assert x.grad.dtype == ember.float32
    np.testing.assert_allclose(x.grad.numpy(), [2, 2])


def test_clone_contiguous_copy():
    x = ember.arange(6.0).view(2, 3)
    c = x.clone()
    assert not np.shares_memory(c.numpy(), x.numpy())
    assert x.contiguous() is x
    tt = x.t().contiguous()
    assert tt.is_contiguous() and tt.stride() == (2, 1)
    y = ember.zeros(2, 3)
    y.copy_(ember.ones(3))
    np.testing.assert_array_equal(y.numpy(), np.ones((2, 3)))
    z = ember.zeros(2, dtype=ember.int64)
    z.copy_(ember.tensor([1.7, 2.2]))
    assert z.tolist() == [1, 2]
    a = ember.tensor([1.0, 2.0], requires_grad=True)
    b = ember.zeros(2)
    b.copy_(a * 3)
    b.sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), [3, 3])


def test_devices_on_cpu_machine():
    assert ember.device("cpu") == ember.device("cpu") == "cpu"
    assert repr(ember.device("cuda:1")) == "device(type='cuda', index=1)"
    assert str(ember.device("cuda", 0)) == "cuda:0"
    assert ember.ones(2).device == ember.device("cpu") and ember.ones(2).is_cpu
    assert ember.ones(2).cpu().device.type == "cpu"
    with pytest.raises(RuntimeError, match="Expected one of cpu, cuda"):
        ember.device("tpu")
    with pytest.raises(RuntimeError, match="Expected one of cpu, cuda"):
        ember.ones(2, device="gpu")
    if not ember.cuda.is_available():
        assert ember.cuda.device_count() == 0
        with pytest.raises(RuntimeError):
            ember.ones(2, device="cuda")
        with pytest.raises(RuntimeError):
            ember.ones(2).cuda()


@pytest.mark.cuda
def test_cuda_round_trip_and_mixed_device_error():
    x = ember.tensor([[1, 2], [3, 4]], dtype=ember.float32, device="cuda")
    assert x.device.type == "cuda" and x.is_cuda
    y = (x * 2 + 1).cpu()
    np.testing.assert_array_equal(y.numpy(), [[3, 5], [7, 9]])
    with pytest.raises(RuntimeError, match="Expected all tensors to be on the same device"):
        x + ember.ones(2, 2)
    w = ember.ones(2, 2, device="cuda", requires_grad=True)
    (w @ x).sum().backward()
    assert w.grad.device == x.device


@needs_torch
def test_default_device_api_matches_torch():
    assert ember.get_default_device() == ember.device("cpu")
    assert repr(ember.get_default_device()) == repr(torch.get_default_device())
    with ember.device("meta") as d, torch.device("meta"):
        assert d == ember.device("meta")
        assert repr(ember.get_default_device()) == repr(torch.get_default_device())
        with ember.device("cpu"), torch.device("cpu"):  # nested contexts restore their outer default
            assert repr(ember.get_default_device()) == repr(torch.get_default_device())
            assert ember.zeros(2).device == ember.device("cpu")
        assert ember.get_default_device().type == torch.get_default_device().type == "meta"
    assert ember.get_default_device() == ember.device("cpu")
    try:
        ember.set_default_device("meta")
        torch.set_default_device("meta")
        assert repr(ember.get_default_device()) == repr(torch.get_default_device())
    finally:
        ember.set_default_device(None)
        torch.set_default_device(None)
    assert repr(ember.get_default_device()) == repr(torch.get_default_device())
    assert ember.tensor([1.0]).device == ember.device("cpu")


@pytest.mark.cuda
def test_default_device_cuda_reaches_factories_and_modules():
    try:
        ember.set_default_device("cuda")
        for t in (ember.zeros(2), ember.tensor([1.0]), ember.randn(3), ember.arange(4), ember.full((2,), 1.5),
                  ember.as_tensor(np.ones(2)), ember.nn.Linear(3, 2).weight):
            assert t.is_cuda, t
        assert ember.from_numpy(np.ones(2)).device.type == "cpu"  # from_numpy always shares host memory
    finally:
        ember.set_default_device(None)
    with ember.device("cuda"):
        assert ember.ones(1).is_cuda
    assert not ember.ones(1).is_cuda


@pytest.mark.cuda
def test_cuda_model_loads_a_cpu_checkpoint():
    cpu_model = ember.nn.Linear(3, 2)
    gpu_model = ember.nn.Linear(3, 2).to("cuda")
    gpu_model.load_state_dict(cpu_model.state_dict())  # copy_ crosses devices, as in torch
    assert gpu_model.weight.is_cuda
    np.testing.assert_array_equal(gpu_model.weight.detach().cpu().numpy(), cpu_model.weight.detach().numpy())
    x = ember.tensor([1.0, 2.0], device=ember.device("cuda"))  # a bare 'cuda' device object
    assert x.device == ember.device("cuda", 0)


@needs_torch
def test_numpy_interop_operators():
    e = ember.tensor([1.0, 2.0])
    assert isinstance(np.float32(2) * e, ember.Tensor)
    assert isinstance(np.ones(2, dtype=np.float32) + e, ember.Tensor)
    np.testing.assert_array_equal(np.asarray(e), [1.0, 2.0])
    assert len(e) == 2
    assert [v.item() for v in e] == [1.0, 2.0]
    assert 2.0 in e
    raises_like(lambda: len(torch.tensor(1.0)), lambda: len(ember.tensor(1.0)))


def test_bfloat16_without_ml_dtypes_is_a_clear_error(monkeypatch):
    from ember import _dtype
    monkeypatch.setattr(_dtype, "HAS_BFLOAT16", False)
    with pytest.raises(RuntimeError, match="ml_dtypes"):
        ember.zeros(2, dtype=ember.bfloat16)


def test_import_is_light_and_subpackages_load_on_use():
    import subprocess
    import sys
    code = ("import sys, ember; heavy = [m for m in ('ember.nn', 'ember.optim', 'ember.utils', 'ember.onnx', "
            "'ember.vision', 'ember.serialization') if m in sys.modules]; print(heavy); "
            "import ember.nn as nn; print(ember.nn is nn, callable(ember.save), hasattr(ember.optim, 'Adam'))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split("\n")
    assert out[0] == "[]"
    assert out[1] == "True True True"
    assert "nn" in dir(ember) and "save" in dir(ember)
    with pytest.raises(AttributeError, match="has no attribute 'nope'"):
        ember.nope


def test_cuda_in_a_child_forked_after_cuda_use_raises_torchs_error(monkeypatch):
    """A CUDA context does not survive fork: the child gets torch's message, not a driver error."""
    import os
    from ember import _device
    if not hasattr(os, "fork"):
        pytest.skip("needs os.fork")
    monkeypatch.setattr(_device, "_cupy", object())  # as if the parent had used CUDA
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child reports what ember.tensor(..., device='cuda') raised
        try:
            ember.tensor([1.0], device="cuda")
            msg = "no error"
        except Exception as e:
            msg = f"{type(e).__name__}: {e}"
        os.write(write, msg.encode())
        os._exit(0)
    os.close(write)
    os.waitpid(pid, 0)
    msg = os.read(read, 4096).decode()
    os.close(read)
    assert msg == ("RuntimeError: Cannot re-initialize CUDA in forked subprocess. To use CUDA with "
                   "multiprocessing, you must use the 'spawn' start method")
    assert not _device._forked_after_cuda  # the parent itself is unaffected
