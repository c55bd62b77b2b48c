"""repr/str of tensors: exactly torch's text (dtypes print as ``ember.`` instead of ``torch.``)."""
import math
import time

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from hypothesis.extra import numpy as hnp

import ember
from ember import _tensor_str
from tests.helpers import needs_torch, torch

try:
    import ml_dtypes
except ImportError:  # pragma: no cover
    ml_dtypes = None


@pytest.fixture(autouse=True)
def _reset_printoptions():
    ember.set_printoptions(profile="default")
    if torch is not None:
        torch.set_printoptions(profile="default")
    yield
    ember.set_printoptions(profile="default")
    if torch is not None:
        torch.set_printoptions(profile="default")
        torch.set_default_dtype(torch.float32)


def set_both(**kw):
    ember.set_printoptions(**kw)
    torch.set_printoptions(**kw)


def ember_of(arr, dtype=None):
    arr = np.asarray(arr)
    if dtype == "bfloat16":
        return ember.tensor(arr.astype(np.float32)).to(ember.bfloat16)
    return ember.tensor(arr)


def torch_of(arr, dtype=None):
    arr = np.asarray(arr)
    if dtype == "bfloat16":
        return torch.tensor(arr.astype(np.float32)).to(torch.bfloat16)
    return torch.tensor(arr)


def check(e, t):
    er = repr(e).replace("ember.", "torch.")
    tr = repr(t)
    assert er == tr, f"\nember:\n{er}\ntorch:\n{tr}"
    assert str(e) == repr(e)


def check_arr(arr, dtype=None):
    check(ember_of(arr, dtype), torch_of(arr, dtype))


# -- fixed cases ---------------------------------------------------------------
def test_seed_example():
    t = ember.full((2, 2), 4.5)
    assert repr(t) == "tensor([[4.5000, 4.5000],\n        [4.5000, 4.5000]])"
    assert str(t) == repr(t)


def test_known_strings_without_torch():
    assert repr(ember.tensor([1.0, 2.0])) == "tensor([1., 2.])"
    assert repr(ember.tensor([1, 2, 3])) == "tensor([1, 2, 3])"
    assert repr(ember.tensor([True, False])) == "tensor([ True, False])"
    assert repr(ember.tensor(3.25)) == "tensor(3.2500)"
    assert repr(ember.tensor([1e-5, 1.0])) == "tensor([1.0000e-05, 1.0000e+00])"
    assert repr(ember.tensor([], dtype=ember.int64)) == "tensor([], dtype=ember.int64)"
    assert repr(ember.zeros(0, 3)) == "tensor([], size=(0, 3))"
    assert repr(ember.tensor([1.5], dtype=ember.float64)) == "tensor([1.5000], dtype=ember.float64)"
    assert repr(ember.ones(2, requires_grad=True)) == "tensor([1., 1.], requires_grad=True)"
    assert repr(ember.ones(2, requires_grad=True) * 2) == "tensor([2., 2.], grad_fn=<MulBackward0>)"
    assert repr(ember.arange(2000)) == "tensor([   0,    1,    2,  ..., 1997, 1998, 1999])"


FIXED = [
    np.array([1, 2, 3]),
    np.array([-1, 200, -30000]),
    np.array([[1, -2], [300, 4]], dtype=np.int32),
    np.array([1, 2], dtype=np.uint8),
    np.array([0, -5], dtype=np.int8),
    np.array([7], dtype=np.int16),
    np.array([1.0, 2.0], dtype=np.float32),
    np.array([-1.0, 2.0, 300.0], dtype=np.float32),
    np.array([0.0, 0.0], dtype=np.float32),
    np.array([-0.0, 1.0], dtype=np.float32),
    np.array([1.5, -2.25, 3.125], dtype=np.float32),
    np.array([1e-5, 1.0, 1e8], dtype=np.float32),
    np.array([1e-4, 0.5], dtype=np.float32),
    np.array([0.0001, 0.1], dtype=np.float32),
    np.array([1.0, 1001.0], dtype=np.float32),
    np.array([1.5, 1000.5], dtype=np.float32),
    np.array([1.5, 1500.5], dtype=np.float32),
    np.array([1e8, 2e8], dtype=np.float32),
    np.array([123456789.0], dtype=np.float32),
    np.array([1e20, -1e-20], dtype=np.float64),
    np.array([1e200, 1e-200, -1e150], dtype=np.float64),
    np.array([np.nan, 1.0, np.inf, -np.inf], dtype=np.float32),
    np.array([np.nan, np.inf], dtype=np.float32),
    np.array([np.nan, 1.5], dtype=np.float32),
    np.array([np.nan, 1e-7, 3.0], dtype=np.float32),
    np.array([9.99996, 0.5], dtype=np.float32),
    np.array(3.5, dtype=np.float32),
    np.array(-2.0, dtype=np.float32),
    np.array(1e-8, dtype=np.float32),
    np.array(0.0, dtype=np.float32),
    np.array(np.nan, dtype=np.float32),
    np.array(7),
    np.array(True),
    np.array(3.5, dtype=np.float64),
    np.array([True, True]),
    np.array([[True, False], [False, False]]),
    np.array([1.5, 2.5], dtype=np.float16),
    np.array([60000.0, 0.001], dtype=np.float16),
    np.array([1.0, 2.0], dtype=np.float64),
    np.arange(24, dtype=np.float32).reshape(2, 3, 4) / 7,
    np.arange(48, dtype=np.int64).reshape(2, 2, 3, 4) - 20,
    np.arange(30, dtype=np.float32).reshape(5, 6) * 1e5,
    np.linspace(-1, 1, 40, dtype=np.float32),  # wraps at linewidth
    np.arange(100) * 1000003,  # ints that wrap
    np.linspace(0, 1e10, 30),  # float64, sci mode, wraps
    np.array([1 + 2j, -3.5 - 1j], dtype=np.complex64),
    np.array([[0.5 + 0j, 1e-5 - 2j]], dtype=np.complex128),
    np.array(1 - 1j, dtype=np.complex64),
    np.array([np.nan + 1j, 2 - np.inf * 1j], dtype=np.complex64),
    np.zeros((0,), dtype=np.float32),
    np.zeros((0,), dtype=np.int64),
    np.zeros((0,), dtype=np.bool_),
    np.zeros((0, 3), dtype=np.float32),
    np.zeros((2, 0, 4), dtype=np.int32),
    np.zeros((0,), dtype=np.float64),
    np.zeros((0,), dtype=np.complex64),
]


@needs_torch
@pytest.mark.parametrize("arr", FIXED, ids=[f"{i}-{a.dtype}-{a.shape}" for i, a in enumerate(FIXED)])
def test_fixed(arr):
    check_arr(arr)


@needs_torch
def test_bfloat16_and_float16():
    for arr in (np.array([1.5, -2.0, 300.0]), np.array([1e-3, 1e4]), np.array(2.5), np.array([3.0, 4.0])):
        check_arr(arr, "bfloat16")
        check_arr(arr.astype(np.float16))


@needs_torch
@pytest.mark.parametrize("shape", [(1001,), (2000,), (40, 50), (3, 1000), (1000, 3), (11, 12, 13),
                                   (2, 600), (7, 7, 7, 7), (1, 1, 1001)])
def test_large_summarized(shape):
    rng = np.random.default_rng(sum(shape))
    n = int(np.prod(shape))
    check_arr(np.arange(n, dtype=np.int64).reshape(shape))
    check_arr(rng.standard_normal(shape).astype(np.float32))
    check_arr((rng.standard_normal(shape) * 1e6).astype(np.float64))
    check_arr(rng.standard_normal(shape) > 0)


@needs_torch
def test_mixed_magnitude_rows_in_summary():
    # the hidden middle must not influence the formatter, only the shown edges do
    a = np.ones(5000, dtype=np.float32)
    a[2500] = 1e9
    check_arr(a)
    b = np.ones((100, 100), dtype=np.float32)
    b[50, 50] = 1e-9
    check_arr(b)


@needs_torch
def test_dtype_suffixes_and_defaults():
    for np_dt in (np.float64, np.int32, np.uint8, np.int8, np.int16, np.float16, np.complex128, np.bool_):
        check_arr(np.array([1, 0, 1]).astype(np_dt))
    # with float64 as the default, float32 shows its dtype and complex128 does not
    ember.set_default_dtype(ember.float64)
    torch.set_default_dtype(torch.float64)
    for np_dt in (np.float32, np.float64, np.complex64, np.complex128):
        check_arr(np.array([1.5, 2]).astype(np_dt))
    check_arr(np.zeros((0,), np.float32))
    check_arr(np.zeros((0,), np.float64))


@needs_torch
def test_autograd_suffixes():
    arr = np.array([[1.5, -2.0], [3.0, 4.25]], dtype=np.float32)
    e, t = ember.tensor(arr, requires_grad=True), torch.tensor(arr, requires_grad=True)
    check(e, t)
    check(e * 2, t * 2)
    check(e.sum(), t.sum())
    check(e.exp(), t.exp())
    check(e.reshape(4), t.reshape(4))
    check(e.to(ember.float64), t.to(torch.float64))
    check((e * 2).detach(), (t * 2).detach())
    e64 = ember.tensor(arr.astype(np.float64), requires_grad=True)
    t64 = torch.tensor(arr.astype(np.float64), requires_grad=True)
    check(e64, t64)
    check(e64 + 1, t64 + 1)
    # a long row pushes the suffix onto its own line
    big = np.linspace(-3, 3, 19).astype(np.float32)
    check(ember.tensor(big, requires_grad=True), torch.tensor(big, requires_grad=True))
    check(ember.tensor(big.astype(np.float64), requires_grad=True) * 3,
          torch.tensor(big.astype(np.float64), requires_grad=True) * 3)
    row = np.linspace(0, 1, 12).astype(np.float64)
    check(ember.tensor(row, requires_grad=True), torch.tensor(row, requires_grad=True))


@needs_torch
def test_set_printoptions_effects():
    arr = np.array([[1.123456789, -22.5], [3e-3, 400.0]], dtype=np.float32)
    big = np.arange(30, dtype=np.float32).reshape(5, 6) / 3
    for kw in [dict(precision=2), dict(precision=8), dict(precision=0), dict(sci_mode=True),
               dict(sci_mode=False), dict(threshold=5), dict(threshold=5, edgeitems=1),
               dict(threshold=5, edgeitems=0), dict(linewidth=30), dict(linewidth=10),
               dict(profile="short"), dict(profile="full"), dict(profile="short", precision=6)]:
        set_both(**kw)
        assert ember.get_printoptions() == torch._tensor_str.get_printoptions()
        check_arr(arr)
        check_arr(big)
        check_arr(np.arange(10))
        check_arr(np.arange(12).reshape(3, 4))
        check_arr(np.array(2.5, dtype=np.float32))
        check_arr(np.array([1e-8, 0.0], dtype=np.float32))
        check_arr(np.zeros((0, 2), dtype=np.float32))
        check_arr(np.array([[1 + 2j]], dtype=np.complex64))
        check(ember.tensor(arr, requires_grad=True), torch.tensor(arr, requires_grad=True))


def test_printoptions_api():
    assert ember.get_printoptions() == dict(precision=4, threshold=1000, edgeitems=3, linewidth=80, sci_mode=None)
    ember.set_printoptions(precision=2, sci_mode=True)
    assert ember.get_printoptions()["precision"] == 2
    assert repr(ember.tensor([1.0])) == "tensor([1.00e+00])"
    ember.set_printoptions(precision=3)  # every call resets sci_mode, as in torch
    assert ember.get_printoptions()["sci_mode"] is None
    ember.set_printoptions(profile="full")
    assert ember.get_printoptions()["threshold"] == math.inf
    assert "..." not in repr(ember.arange(2000))
    with _tensor_str.printoptions(precision=1):
        assert repr(ember.tensor([1.25])) == "tensor([1.2])"
    assert ember.get_printoptions()["precision"] == 4
    ember.set_printoptions(profile="short")
    assert ember.get_printoptions() == dict(precision=2, threshold=1000, edgeitems=2, linewidth=80, sci_mode=None)
    ember.set_printoptions(profile="default")
    assert repr(ember.tensor([1.12345])) == "tensor([1.1235])"


@needs_torch
def test_format_of_tensors():
    e, t = ember.tensor(3.14159), torch.tensor(3.14159)
    for spec in ("", ".2f", "10.3e", ">8"):
        assert format(e, spec) == format(t, spec)
    assert f"{ember.tensor(7)}" == f"{torch.tensor(7)}"
    assert f"{ember.tensor(2.5, requires_grad=True):.1f}" == f"{torch.tensor(2.5, requires_grad=True):.1f}"
    assert f"{ember.tensor([1.5, 2.0])}" == f"{torch.tensor([1.5, 2.0])}"
    assert format(ember.tensor(1.5, dtype=ember.bfloat16), ".3f") == "1.500"
    with pytest.raises(TypeError):
        format(ember.tensor([1.0, 2.0]), ".2f")
    with pytest.raises(TypeError):
        format(torch.tensor([1.0, 2.0]), ".2f")


def test_large_tensor_is_fast():
    t = ember.zeros(2000, 5000) + 0.5
    repr(t)  # warm
    start = time.perf_counter()
    for _ in range(10):
        s = repr(t)
    elapsed = (time.perf_counter() - start) / 10
    assert "..." in s
    assert elapsed < 0.05, elapsed


def test_full_profile_formats_everything():
    ember.set_printoptions(profile="full")
    s = repr(ember.arange(3000, dtype=ember.float32) / 7)
    assert "..." not in s and s.count(",") == 2999


# -- property tests --------------------------------------------------------------
@st.composite
def float_arrays(draw):
    ndim = draw(st.integers(0, 3))
    big = draw(st.booleans()) and ndim > 0
    max_side = {1: 1500, 2: 40, 3: 12}.get(ndim, 1) if big else 6
    shape = tuple(draw(st.lists(st.integers(0 if not big else 1, max_side), min_size=ndim, max_size=ndim)))
    n = int(np.prod(shape)) if shape else 1
    seed = draw(st.integers(0, 2 ** 32 - 1))
    rng = np.random.default_rng(seed)
    lo = draw(st.integers(-12, 10))
    hi = lo + draw(st.integers(0, 14))
    vals = rng.uniform(-1, 1, n) * 10.0 ** rng.integers(lo, hi + 1, n)
    kind = draw(st.sampled_from(["plain", "whole", "positive", "special", "zeros"]))
    if kind == "whole":
        vals = np.round(vals)
    elif kind == "positive":
        vals = np.abs(vals)
    elif kind == "special" and n:
        idx = rng.integers(0, n, max(1, n // 4))
        vals[idx] = rng.choice([np.nan, np.inf, -np.inf, 0.0, -0.0], idx.size)
    elif kind == "zeros":
        vals = np.zeros(n)
    dtype = draw(st.sampled_from(["float32", "float64", "float16", "bfloat16"]))
    if dtype == "bfloat16":
        arr = vals.astype(np.float32).reshape(shape)
    else:
        with np.errstate(over="ignore"):
            arr = vals.astype(dtype).reshape(shape)
    return arr, dtype


@needs_torch
@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(float_arrays(), st.booleans())
def test_random_floats_match_torch(case, requires_grad):
    arr, dtype = case
    e, t = ember_of(arr, dtype), torch_of(arr, dtype)
    if requires_grad:
        e.requires_grad_(True)
        t.requires_grad_(True)
    check(e, t)


@needs_torch
@settings(max_examples=60, deadline=None)
@given(hnp.arrays(st.sampled_from([np.int64, np.int32, np.uint8, np.int16, np.bool_]),
                  hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=7)))
def test_random_ints_match_torch(arr):
    check_arr(arr)


@needs_torch
@settings(max_examples=60, deadline=None)
@given(float_arrays(), st.integers(0, 8), st.integers(15, 120), st.integers(0, 4),
       st.sampled_from([None, True, False]), st.sampled_from([3, 20, 1000]))
def test_random_printoptions_match_torch(case, precision, linewidth, edgeitems, sci_mode, threshold):
    arr, dtype = case
    set_both(precision=precision, linewidth=linewidth, edgeitems=edgeitems, sci_mode=sci_mode,
             threshold=threshold)
    check(ember_of(arr, dtype), torch_of(arr, dtype))


@needs_torch
@settings(max_examples=40, deadline=None)
@given(hnp.arrays(np.complex64, hnp.array_shapes(min_dims=0, max_dims=2, min_side=1, max_side=6),
                  elements=st.complex_numbers(allow_nan=True, allow_infinity=True, width=64)))
def test_random_complex_match_torch(arr):
    check_arr(arr)


@needs_torch
@pytest.mark.cuda
def test_cuda_tensors_show_device():
    for arr in (np.array([[1.5, -2.0], [3.0, 4.25]], dtype=np.float32), np.arange(3000).reshape(3, 1000),
                np.array(2.5), np.zeros((0, 2), np.float32)):
        e = ember.tensor(arr, device="cuda")
        t_cpu = repr(torch.tensor(arr))
        # torch puts the device suffix first, before size/dtype/autograd suffixes
        assert "device='cuda:0'" in repr(e)
        assert repr(e).index("device=") < (repr(e) + "dtype=").index("dtype=")
        body = repr(e).replace(", device='cuda:0'", "").replace("ember.", "torch.")
        assert body == t_cpu, (body, t_cpu)
    e = ember.tensor([1.0, 2.0], device="cuda", requires_grad=True) * 2
    assert repr(e) == "tensor([2., 4.], device='cuda:0', grad_fn=<MulBackward0>)"
