"""Elementwise ops: values, dtypes and gradients against torch; gradcheck in float64."""
import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import ember
from tests.helpers import torch, needs_torch, assert_close, raises_like, to_torch

RNG = np.random.default_rng(0)

# name -> input domain (low, high) for float inputs
UNARY = {
    "neg": (-3, 3), "exp": (-3, 3), "exp2": (-3, 3), "expm1": (-3, 3), "log": (0.1, 5), "log2": (0.1, 5),
    "log10": (0.1, 5), "log1p": (-0.5, 5), "sqrt": (0.1, 5), "rsqrt": (0.1, 5), "sin": (-3, 3),
    "cos": (-3, 3), "tan": (-1.2, 1.2), "asin": (-0.9, 0.9), "acos": (-0.9, 0.9), "atan": (-3, 3),
    "sinh": (-3, 3), "cosh": (-3, 3), "tanh": (-3, 3), "asinh": (-3, 3), "acosh": (1.1, 5),
    "atanh": (-0.9, 0.9), "sigmoid": (-8, 8), "reciprocal": (0.5, 3), "erf": (-3, 3), "erfc": (-3, 3),
    "erfinv": (-0.9, 0.9), "abs": (-3, 3), "relu": (-3, 3), "square": (-3, 3), "sign": (-3, 3),
    "floor": (-3, 3), "ceil": (-3, 3), "trunc": (-3, 3), "frac": (-3, 3), "round": (-3, 3),
}
NONSMOOTH = {"sign", "floor", "ceil", "trunc", "round"}


def _input(lo, hi, shape=(3, 4), dtype=np.float32):
    x = RNG.uniform(lo, hi, size=shape).astype(dtype)
    return np.where(np.abs(x) < 0.05, 0.3, x).astype(dtype)  # keep away from kinks at 0


@needs_torch
@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_matches_torch(name):
    arr = _input(*UNARY[name])
    e = ember.tensor(arr, requires_grad=True)
    t = torch.tensor(arr, requires_grad=True)
    eo, to = getattr(ember, name)(e), getattr(torch, name)(t)
    assert_close(eo, to, rtol=2e-6, atol=1e-6)
    assert eo.grad_fn.name() == to.grad_fn.name()
    g = RNG.standard_normal(arr.shape).astype(np.float32)
    eo.backward(ember.tensor(g))
    to.backward(torch.tensor(g))
    assert_close(e.grad, t.grad, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", sorted(set(UNARY) - NONSMOOTH))
def test_unary_gradcheck(name):
    x = ember.tensor(_input(*UNARY[name], shape=(2, 3), dtype=np.float64), requires_grad=True)
    assert ember.autograd.gradcheck(getattr(ember, name), (x,))


@pytest.mark.parametrize("name", sorted(set(UNARY) - NONSMOOTH - {"relu", "abs", "frac"}))
def test_unary_second_derivative(name):
    x = ember.tensor(_input(*UNARY[name], shape=(3,), dtype=np.float64), requires_grad=True)
    assert ember.autograd.gradgradcheck(getattr(ember, name), (x,))


@needs_torch
@pytest.mark.parametrize("name", ["exp", "sqrt", "sin", "log", "sigmoid", "tanh", "abs", "neg", "floor"])
def test_unary_on_integers_promotes_like_torch(name):
    arr = np.array([[1, 2], [3, 4]], dtype=np.int64)
    assert_close(getattr(ember, name)(ember.tensor(arr)), getattr(torch, name)(torch.tensor(arr)), rtol=1e-6)


BINARY = ["add", "sub", "mul", "div", "pow", "atan2", "maximum", "minimum", "remainder", "fmod"]
SHAPES = [((3, 4), (3, 4)), ((3, 4), (4,)), ((2, 1, 4), (3, 1)), ((), (2, 3)), ((5,), ())]


@needs_torch
@pytest.mark.parametrize("name", BINARY)
@pytest.mark.parametrize("shapes", SHAPES)
def test_binary_broadcast_values_and_grads(name, shapes):
    sa, sb = shapes
    a = RNG.uniform(0.5, 2.0, sa).astype(np.float32)
    b = RNG.uniform(0.5, 2.0, sb).astype(np.float32)
    ea, eb = ember.tensor(a, requires_grad=True), ember.tensor(b, requires_grad=True)
    ta, tb = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    eo, to = getattr(ember, name)(ea, eb), getattr(torch, name)(ta, tb)
    assert_close(eo, to, rtol=1e-5)
    g = RNG.standard_normal(to.shape).astype(np.float32)
    eo.backward(ember.tensor(g))
    to.backward(torch.tensor(g))
    assert_close(ea.grad, ta.grad, rtol=1e-4, atol=1e-5)
    assert_close(eb.grad, tb.grad, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name", ["add", "sub", "mul", "div", "pow", "atan2", "maximum", "minimum", "fmod",
                                  "remainder"])
def test_binary_gradcheck(name):
    a = ember.tensor(RNG.uniform(0.5, 2.0, (2, 3)), requires_grad=True)
    b = ember.tensor(RNG.uniform(0.5, 2.0, (3,)) + 0.013, requires_grad=True)
    assert ember.autograd.gradcheck(getattr(ember, name), (a, b))
    assert ember.autograd.gradgradcheck(getattr(ember, name), (a, b))


@needs_torch
@pytest.mark.parametrize("op", ["+", "-", "*", "/", "**", "//", "%"])
@pytest.mark.parametrize("scalar", [2, 2.5, -1.5, True])
@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "int32", "uint8", "float16"])
def test_scalar_operators_dtype_and_value(op, scalar, dtype):
    arr = np.array([[1, 2], [3, 5]], dtype=dtype)
    if op == "**" and isinstance(scalar, float) and scalar < 0 and dtype in ("int64", "int32", "uint8"):
        return
    for expr in (f"x {op} s", f"s {op} x"):
        env_e = {"x": ember.tensor(arr), "s": scalar}
        env_t = {"x": torch.tensor(arr), "s": scalar}
        try:
            want = eval(expr, env_t)
        except Exception as exc:  # torch refuses (e.g. bool ops): ember must refuse the same way
            with pytest.raises(type(exc)):
                eval(expr, env_e)
            continue
        got = eval(expr, env_e)
        assert_close(got, want, rtol=1e-3 if dtype == "float16" else 1e-6)


@needs_torch
@pytest.mark.parametrize("name", ["eq", "ne", "lt", "le", "gt", "ge"])
def test_comparisons(name):
    a = np.array([1.0, 2.0, 3.0, np.nan], dtype=np.float32)
    b = np.array([1.0, 3.0, 2.0, np.nan], dtype=np.float32)
    assert_close(getattr(ember, name)(ember.tensor(a), ember.tensor(b)),
                 getattr(torch, name)(torch.tensor(a), torch.tensor(b)))
    assert_close(getattr(ember, name)(ember.tensor(a), 2), getattr(torch, name)(torch.tensor(a), 2))


@needs_torch
def test_logical_and_bitwise():
    a = np.array([True, False, True])
    b = np.array([True, True, False])
    for name in ["logical_and", "logical_or", "logical_xor", "bitwise_and", "bitwise_or", "bitwise_xor"]:
        assert_close(getattr(ember, name)(ember.tensor(a), ember.tensor(b)),
                     getattr(torch, name)(torch.tensor(a), torch.tensor(b)))
    i = np.array([5, 3, 12])
    assert_close(ember.tensor(i) & 6, torch.tensor(i) & 6)
    assert_close(~ember.tensor(i), ~torch.tensor(i))
    assert_close(~ember.tensor(a), ~torch.tensor(a))
    assert_close(ember.tensor(i) << 2, torch.tensor(i) << 2)
    assert_close(ember.logical_not(ember.tensor(i)), torch.logical_not(torch.tensor(i)))


@needs_torch
def test_division_rounding_modes():
    a = np.array([-7, -3, 3, 7])
    b = np.array([2, 2, -2, 3])
    for mode in (None, "trunc", "floor"):
        assert_close(ember.div(ember.tensor(a), ember.tensor(b), rounding_mode=mode),
                     torch.div(torch.tensor(a), torch.tensor(b), rounding_mode=mode))
        assert_close(ember.div(ember.tensor(a * 1.5), ember.tensor(b), rounding_mode=mode),
                     torch.div(torch.tensor(a * 1.5), torch.tensor(b), rounding_mode=mode))
    assert_close(ember.tensor(a) // ember.tensor(b), torch.tensor(a) // torch.tensor(b))
    assert_close(ember.tensor(a) % ember.tensor(b), torch.tensor(a) % torch.tensor(b))
    assert_close(ember.fmod(ember.tensor(a), ember.tensor(b)), torch.fmod(torch.tensor(a), torch.tensor(b)))


@needs_torch
def test_clamp_where_and_friends():
    arr = RNG.uniform(-2, 2, (3, 4)).astype(np.float32)
    e, t = ember.tensor(arr, requires_grad=True), torch.tensor(arr, requires_grad=True)
    cases = [
        (lambda m, x: m.clamp(x, -0.5, 0.7)), (lambda m, x: m.clamp(x, min=0.1)),
        (lambda m, x: m.clamp(x, max=0.1)), (lambda m, x: x.clip(-1, 1)),
        (lambda m, x: m.where(x > 0, x, x * 2)), (lambda m, x: m.where(x > 0, x, 0.0)),
        (lambda m, x: m.lerp(x, x * 3, 0.25)), (lambda m, x: m.addcmul(x, x, x, value=0.5)),
        (lambda m, x: m.addcdiv(x, x, x + 3, value=2)), (lambda m, x: m.hypot(x, x + 1)),
        (lambda m, x: m.logaddexp(x, x * 2)), (lambda m, x: m.xlogy(x, x.abs() + 1)),
        (lambda m, x: m.clamp(x, min=m.zeros(4), max=m.ones(4) * 0.5)),
        (lambda m, x: m.nan_to_num(m.log(x))), (lambda m, x: m.sinc(x)),
        (lambda m, x: m.fmax(x, x * 0.5)), (lambda m, x: m.fmin(x, x * 0.5)),
    ]
    for f in cases:
        eo, to = f(ember, e), f(torch, t)
        assert_close(eo, to, rtol=1e-5, atol=1e-6)
        if to.requires_grad:
            eo.sum().backward()
            to.sum().backward()
            assert_close(e.grad, t.grad, rtol=1e-5, atol=1e-5)
            e.grad = None
            t.grad = None


@needs_torch
def test_isnan_isinf_isfinite():
    arr = np.array([1.0, np.nan, np.inf, -np.inf, 0.0], dtype=np.float32)
    for name in ["isnan", "isinf", "isfinite", "isposinf", "isneginf", "signbit"]:
        assert_close(getattr(ember, name)(ember.tensor(arr)), getattr(torch, name)(torch.tensor(arr)))
    assert_close(ember.nan_to_num(ember.tensor(arr)), torch.nan_to_num(torch.tensor(arr)))
    assert_close(ember.nan_to_num(ember.tensor(arr), nan=1.0, posinf=2.0, neginf=-2.0),
                 torch.nan_to_num(torch.tensor(arr), nan=1.0, posinf=2.0, neginf=-2.0))


@needs_torch
def test_inplace_variants_match_out_of_place():
    arr = RNG.uniform(0.5, 2, (2, 3)).astype(np.float32)
    for name in ["add_", "mul_", "sub_", "div_", "pow_", "clamp_", "exp_", "sqrt_", "neg_", "abs_", "relu_",
                 "sigmoid_", "tanh_"]:
        e, t = ember.tensor(arr), torch.tensor(arr)
        args = (1.5,) if name in ("add_", "mul_", "sub_", "div_", "pow_") else ()
        if name == "clamp_":
            args = (0.7, 1.5)
        re, rt = getattr(e, name)(*args), getattr(t, name)(*args)
        assert re is e
        assert_close(e, t, rtol=1e-6)
        assert e._version == t._version == 1


@needs_torch
def test_inplace_autograd_matches_torch():
    arr = RNG.uniform(0.5, 2, (2, 3)).astype(np.float32)
    def f(m, x):
        y = x * 2
        y.mul_(x)
        y.add_(1).tanh_()
        y = y * 1
        y += x
        return y.sum()
    e, t = ember.tensor(arr, requires_grad=True), torch.tensor(arr, requires_grad=True)
    f(ember, e).backward()
    f(torch, t).backward()
    assert_close(e.grad, t.grad, rtol=1e-5)


@needs_torch
def test_modified_saved_tensor_raises_like_torch():
    def f(m):
        x = m.ones(2, 3, requires_grad=True)
        y = x * 2
        y.mul_(x)
        y.add_(1).sigmoid_()
        y += x  # sigmoid saved its output, now modified
        y.sum().backward()
    raises_like(lambda: f(torch), lambda: f(ember))

    def g(m):
        a = m.ones(3, requires_grad=True)
        b = a * 2
        c = b * b
        b.add_(1)
        c.sum().backward()
    raises_like(lambda: g(torch), lambda: g(ember))


@needs_torch
def test_binary_errors_match_torch():
    raises_like(lambda: torch.ones(2, 3) + torch.ones(4), lambda: ember.ones(2, 3) + ember.ones(4))
    raises_like(lambda: torch.ones(2, 3) * torch.ones(3, 2), lambda: ember.ones(2, 3) * ember.ones(3, 2))
    raises_like(lambda: torch.tensor([True]) - torch.tensor([False]),
                lambda: ember.tensor([True]) - ember.tensor([False]))
    raises_like(lambda: torch.tensor([2]) ** -1, lambda: ember.tensor([2]) ** -1)
    raises_like(lambda: torch.ones(3, dtype=torch.long).add_(1.5),
                lambda: ember.ones(3, dtype=ember.long).add_(1.5))
    raises_like(lambda: torch.ones(3).add_(torch.ones(2, 3)), lambda: ember.ones(3).add_(ember.ones(2, 3)))
    raises_like(lambda: torch.where(torch.ones(2), torch.ones(2), torch.ones(2)),
                lambda: ember.where(ember.ones(2), ember.ones(2), ember.ones(2)))
    raises_like(lambda: torch.clamp(torch.ones(2)), lambda: ember.clamp(ember.ones(2)))
    raises_like(lambda: torch.ones(2, requires_grad=True).add_(1),
                lambda: ember.ones(2, requires_grad=True).add_(1))


_dtypes = st.sampled_from(["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"])
_scalars = st.one_of(st.booleans(), st.integers(-3, 3), st.floats(-3, 3, allow_nan=False).map(lambda v: round(v, 2)))


@needs_torch
@settings(max_examples=150, deadline=None)
@given(da=_dtypes, db=_dtypes, nda=st.integers(0, 2), ndb=st.integers(0, 2), s=_scalars)
def test_type_promotion_matches_torch(da, db, nda, ndb, s):
    a = np.ones((2,) * nda, dtype=da)
    b = np.ones((2,) * ndb, dtype=db)
    ea, eb, ta, tb = ember.tensor(a), ember.tensor(b), torch.tensor(a), torch.tensor(b)
    assert str(ember.result_type(ea, eb)).split(".")[1] == str(torch.result_type(ta, tb)).split(".")[1]
    assert str(ember.result_type(ea, s)).split(".")[1] == str(torch.result_type(ta, s)).split(".")[1]
    if da != "bool" or db != "bool":
        assert str((ea * eb).dtype).split(".")[1] == str((ta * tb).dtype).split(".")[1]
    assert str((ea * s).dtype).split(".")[1] == str((ta * s).dtype).split(".")[1]
    assert str(ember.promote_types(getattr(ember, da if da != "bool" else "bool"), getattr(ember, db))).split(".")[1] \
        == str(torch.promote_types(getattr(torch, da), getattr(torch, db))).split(".")[1]


@needs_torch
@settings(max_examples=80, deadline=None)
@given(sa=st.lists(st.integers(1, 3), max_size=4), sb=st.lists(st.integers(1, 3), max_size=4))
def test_broadcasting_matches_torch(sa, sb):
    a = RNG.standard_normal(sa).astype(np.float32)
    b = RNG.standard_normal(sb).astype(np.float32)
    try:
        want = torch.tensor(a) + torch.tensor(b)
    except RuntimeError as exc:
        with pytest.raises(RuntimeError, match="must match the size"):
            ember.tensor(a) + ember.tensor(b)
        return
    ea, eb = ember.tensor(a, requires_grad=True), ember.tensor(b, requires_grad=True)
    out = ea * eb + ea
    assert_close(ea + eb, want)
    out.sum().backward()
    ta, tb = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    (ta * tb + ta).sum().backward()
    assert_close(ea.grad, ta.grad, rtol=1e-5, atol=1e-5)
    assert_close(eb.grad, tb.grad, rtol=1e-5, atol=1e-5)


def test_float32_stays_float32():
    x = ember.ones(3)
    for y in (x * 2.5, x + np.float64(1.5), x / 3, x ** 0.5, 1.5 - x, x * ember.tensor(2.0, dtype=ember.float64),
              ember.exp(x), x.sqrt() * math.pi):
        assert y.dtype == ember.float32
