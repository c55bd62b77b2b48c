"""Shared test helpers: torch as the oracle (skipped cleanly without it), comparisons."""
import numpy as np
import pytest

import ember

try:
    import torch
except ImportError:  # the parity tests skip; gradcheck and behaviour tests still run
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="torch is not installed")


def to_torch(t, requires_grad=None):
    """The same values as an ember tensor (or ndarray), as a torch tensor."""
    arr = t.detach().numpy() if isinstance(t, ember.Tensor) else np.asarray(t)
    out = torch.from_numpy(arr.copy())
    rg = t.requires_grad if requires_grad is None and isinstance(t, ember.Tensor) else bool(requires_grad)
    return out.requires_grad_(rg) if rg else out


def pair(arr, requires_grad=False):
    """(ember tensor, torch tensor) over the same values."""
    arr = np.asarray(arr)
    e = ember.tensor(arr, requires_grad=requires_grad)
    t = torch.tensor(arr, requires_grad=requires_grad)
    return e, t


def assert_close(e, t, rtol=1e-5, atol=1e-6, check_dtype=True):
    """An ember result equals a torch result: values, shape and dtype."""
    if isinstance(t, (tuple, list)):
        assert len(e) == len(t)
        for a, b in zip(e, t):
            assert_close(a, b, rtol, atol, check_dtype)
        return
    if torch is not None and isinstance(t, torch.Tensor):
        assert isinstance(e, ember.Tensor), f"expected a Tensor, got {type(e)}"
        if check_dtype:
            assert str(e.dtype).split(".")[-1] == str(t.dtype).split(".")[-1], (e.dtype, t.dtype)
        assert tuple(e.shape) == tuple(t.shape), (tuple(e.shape), tuple(t.shape))
        ev = e.detach().numpy().astype(np.float64) if e.dtype != ember.bool else e.detach().numpy()
        t = t.detach().float() if t.dtype == torch.bfloat16 else t.detach()  # NumPy has no bfloat16
        tv = t.numpy().astype(np.float64) if t.dtype != torch.bool else t.numpy()
        np.testing.assert_allclose(ev, tv, rtol=rtol, atol=atol, equal_nan=True)
    else:
        np.testing.assert_allclose(np.asarray(e), np.asarray(t), rtol=rtol, atol=atol)


def raises_like(torch_fn, ember_fn):
    """Both raise; same exception class and same message (torch is the spec)."""
    with pytest.raises(Exception) as te:
        torch_fn()
    with pytest.raises(Exception) as ee:
        ember_fn()
    assert type(ee.value) is type(te.value), (type(ee.value), type(te.value), str(te.value))
    t_msg = str(te.value).split("\n")[0]
    e_msg = str(ee.value).split("\n")[0].replace("ember.", "torch.")
    assert e_msg == t_msg, f"\nember: {e_msg}\ntorch: {t_msg}"
