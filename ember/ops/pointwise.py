"""Elementwise ops: arithmetic, math functions, comparisons, logic.

Binary ops decide their result dtype by torch's promotion (``_dtype.result_type``)
and cast operands with the differentiable ``to`` before the node runs, so every
node sees operands of one dtype and its backward only has to undo broadcasting.
"""
import math

import numpy as np

from .. import _dtype
from ..autograd.graph import Node, STATE
from .._tensor import Tensor, wrap
from ._dispatch import apply
from ._util import sum_to, broadcast_shapes, const, dtype_name, write_out as _out

_bf16 = _dtype.bfloat16.np


# -- operand preparation -------------------------------------------------------------

def _promote(a, b):
    """Return (a, b) as tensors of one dtype under torch's promotion; b may be a scalar."""
    if isinstance(b, Tensor):
        if a._data.dtype is b._data.dtype:
            return a, b
        rd = _dtype.result_type(a, b)
        if a._data.dtype != rd.np:
            a = a.to(rd)
        if b._data.dtype != rd.np:
            b = b.to(rd)
        return a, b
    bc = b.__class__
    if bc is float or bc is int:
        kind = a._data.dtype.kind
        if kind in "fc" or (kind in "iu" and bc is int):  # a Python number never widens such a tensor
            return a, _scalar_const(b, a._data)
    if isinstance(b, (int, float, bool, complex, np.number, np.bool_)):
        rd = _dtype.result_type(a, b)
        if a._data.dtype != rd.np:
            a = a.to(rd)
        return a, const(b, rd.np, a._data)
    return a, _scalar_or_tensor(b, a)


_SCALAR_CACHE = {}


def _scalar_const(value, like):
    """The 0-d constant tensor for a Python number in like's dtype, cached: `x * 2` in a loop
    should not build a new array each time. Constants are never written to, so sharing is safe."""
    if like.__class__ is not np.ndarray:
        return const(value, like.dtype, like)
    key = (value.__class__, value, like.dtype)
    t = _SCALAR_CACHE.get(key)
    if t is None:
        if len(_SCALAR_CACHE) > 4096:
            _SCALAR_CACHE.clear()
        t = _SCALAR_CACHE[key] = const(value, like.dtype)
        t._data.flags.writeable = False
    return t


def _scalar_or_tensor(b, like):
    if isinstance(b, (list, tuple, np.ndarray)):
        from .creation import tensor
        return _promote(like, tensor(b, device=like.device))[1]
    raise TypeError(f"unsupported operand type: '{type(b).__name__}'")


def _promote_rev(b, a):
    """Scalar-on-the-left forms (2 - x): promote, returning (scalar_tensor, x)."""
    x, s = _promote(a, b)
    return s, x


def _broadcast_error(a, b):
    broadcast_shapes(a.shape, b.shape)  # raises torch's message
    raise


class Binary(Node):
    """Two same-dtype operands, broadcast; subclasses give ``fn`` and ``backward``.
    The input shapes (sa, sb) that backward un-broadcasts to are stored when the node is linked."""
    __slots__ = ("sa", "sb")
    SAVES_SHAPES = True
    fn = None

    def forward(self, a, b):
        try:
            return self.fn(a, b)
        except ValueError:
            _broadcast_error(a, b)


class AddBackward0(Binary):
    __slots__ = ()
    fn = np.add  # a ufunc is not a descriptor: no staticmethod needed

    def backward(self, g):
        e = self.next_edges
        return (sum_to(g, self.sa) if e[0] is not None else None,
                sum_to(g, self.sb) if e[1] is not None else None)


class SubBackward0(Binary):
    __slots__ = ()
    fn = np.subtract  # a ufunc is not a descriptor: no staticmethod needed

    def backward(self, g):
        e = self.next_edges
        return (sum_to(g, self.sa) if e[0] is not None else None,
                sum_to(-g, self.sb) if e[1] is not None else None)


class MulBackward0(Binary):
    __slots__ = ()
    SAVES_INPUTS = True
    fn = np.multiply  # a ufunc is not a descriptor: no staticmethod needed

    def backward(self, g):
        a, b = self.inputs
        e = self.next_edges
        return (sum_to(g * b, self.sa) if e[0] is not None else None,
                sum_to(g * a, self.sb) if e[1] is not None else None)


class DivBackward0(Binary):
    __slots__ = ()
    SAVES_INPUTS = True
    fn = np.true_divide  # a ufunc is not a descriptor: no staticmethod needed

    def backward(self, g):
        a, b = self.inputs
        e = self.next_edges
        return (sum_to(g / b, self.sa) if e[0] is not None else None,
                sum_to(-g * a / (b * b), self.sb) if e[1] is not None else None)


class PowBackward1(Binary):
    __slots__ = ()
    SAVES_INPUTS = True
    SAVES_OUTPUT = True

    @staticmethod
    def fn(a, b):
        if a.dtype.kind in "iu" and b.dtype.kind in "iu" and (b < 0).any():
            raise RuntimeError("Integers to negative integer powers are not allowed.")
        return np.power(a, b)

    def backward(self, g):
        a, b = self.inputs
        e = self.next_edges
        ga = gb = None
        if e[0] is not None:
            ga = sum_to(g * b * a.pow(b - 1), self.sa)
        if e[1] is not None:
            # d/db a^b = a^b log a, taken as 0 where a == 0 and b >= 0 (torch's convention)
            log_a = where(a == 0, zeros_like_const(a), a.log())
            gb = sum_to(g * self.out * log_a, self.sb)
        return ga, gb


def zeros_like_const(a):
    return const(0, a._data.dtype, a._data)


class Atan2Backward0(Binary):
    __slots__ = ()
    SAVES_INPUTS = True
    fn = staticmethod(np.arctan2)

    def backward(self, g):
        a, b = self.inputs
        denom = a * a + b * b
        e = self.next_edges
        return (sum_to(g * b / denom, self.sa) if e[0] is not None else None,
                sum_to(-g * a / denom, self.sb) if e[1] is not None else None)


class MaximumBackward0(Binary):
    __slots__ = ()
    SAVES_INPUTS = True
    fn = staticmethod(np.maximum)

    def backward(self, g):
        return _minmax_grads(self, g, greater=True)


class MinimumBackward0(Binary):
    __slots__ = ()
    SAVES_INPUTS = True
    fn = staticmethod(np.minimum)

    def backward(self, g):
        return _minmax_grads(self, g, greater=False)


def _minmax_grads(node, g, greater):
    # ties split the gradient evenly, as torch does
    a, b = node.inputs
    ad, bd = a._data, b._data
    win = (ad > bd) if greater else (ad < bd)
    tie = ad == bd
    wa = wrap((win + 0.5 * tie).astype(ad.dtype))
    wb = wrap((~win & ~tie) + 0.5 * tie).to(a.dtype)
    e = node.next_edges
    return (sum_to(g * wa, node.sa) if e[0] is not None else None,
            sum_to(g * wb, node.sb) if e[1] is not None else None)


class FmodBackward0(Binary):
    __slots__ = ()
    SAVES_INPUTS = True
    fn = staticmethod(np.fmod)

    def backward(self, g):
        a, b = self.inputs
        e = self.next_edges
        return (sum_to(g, self.sa) if e[0] is not None else None,
                sum_to(-g * (a / b).trunc(), self.sb) if e[1] is not None else None)


class RemainderBackward0(Binary):
    __slots__ = ()
    SAVES_INPUTS = True
    fn = staticmethod(np.remainder)

    def backward(self, g):
        a, b = self.inputs
        e = self.next_edges
        return (sum_to(g, self.sa) if e[0] is not None else None,
                sum_to(-g * (a / b).floor(), self.sb) if e[1] is not None else None)


class NonDiffBinary(Binary):
    __slots__ = ()
    DIFFERENTIABLE = False


def _make_nondiff(name, fn):
    return type(name, (NonDiffBinary,), {"__slots__": (), "fn": staticmethod(fn)})


def _floor_divide(a, b):
    if a.dtype.kind in "iu" and (b == 0).any():
        raise RuntimeError("ZeroDivisionError")
    return np.floor_divide(a, b)


FloorDivide = _make_nondiff("FloorDivideBackward0", _floor_divide)
Eq = _make_nondiff("EqBackward0", np.equal)
Ne = _make_nondiff("NeBackward0", np.not_equal)
Lt = _make_nondiff("LtBackward0", np.less)
Le = _make_nondiff("LeBackward0", np.less_equal)
Gt = _make_nondiff("GtBackward0", np.greater)
Ge = _make_nondiff("GeBackward0", np.greater_equal)
LogicalAnd = _make_nondiff("LogicalAndBackward0", np.logical_and)
LogicalOr = _make_nondiff("LogicalOrBackward0", np.logical_or)
LogicalXor = _make_nondiff("LogicalXorBackward0", np.logical_xor)
BitwiseAnd = _make_nondiff("BitwiseAndBackward0", np.bitwise_and)
BitwiseOr = _make_nondiff("BitwiseOrBackward0", np.bitwise_or)
BitwiseXor = _make_nondiff("BitwiseXorBackward0", np.bitwise_xor)
LeftShift = _make_nondiff("LeftShiftBackward0", np.left_shift)
RightShift = _make_nondiff("RightShiftBackward0", np.right_shift)


# -- binary functions ------------------------------------------------------------------

def add(input, other, *, alpha=1, out=None):
    if other.__class__ is Tensor and input.__class__ is Tensor and input._data.dtype is other._data.dtype \
            and alpha == 1 and out is None:  # the common case, without the general checks below
        return apply(AddBackward0, (input, other))
    if alpha != 1:
        other = other * alpha
    if not isinstance(input, Tensor):
        s, x = _promote_rev(input, other)
        return _out(apply(AddBackward0, (s, x)), out)
    a, b = _promote(input, other)
    r = apply(AddBackward0, (a, b))
    return r if out is None else _out(r, out)


def _check_sub_bool(a, b):
    def is_bool(x):
        return x._data.dtype == np.bool_ if isinstance(x, Tensor) else isinstance(x, (bool, np.bool_))
    ba, bb = is_bool(a), is_bool(b)
    if ba and bb:
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not supported. "
                           "Use the `^` or `logical_xor()` operator instead.")
    if ba or bb:
        raise RuntimeError("Subtraction, the `-` operator, with a bool tensor is not supported. "
                           "If you are trying to invert a mask, use the `~` or `logical_not()` operator instead.")


def sub(input, other, *, alpha=1, out=None):
    _check_sub_bool(input, other)
    if not isinstance(input, Tensor):
        s, x = _promote_rev(input, other)
        return _out(apply(SubBackward0, (s, x * alpha if alpha != 1 else x)), out)
    if alpha != 1:
        other = other * alpha
    a, b = _promote(input, other)
    return _out(apply(SubBackward0, (a, b)), out)


def rsub(input, other, *, alpha=1):
    _check_sub_bool(input, other)
    s, x = _promote_rev(other, input)
    return apply(SubBackward0, (s, x * alpha if alpha != 1 else x))


def mul(input, other, *, out=None):
    if other.__class__ is Tensor and input.__class__ is Tensor and input._data.dtype is other._data.dtype \
            and out is None:  # the common case, without the general checks below
        return apply(MulBackward0, (input, other))
    a, b = _promote(input, other)
    r = apply(MulBackward0, (a, b))
    return r if out is None else _out(r, out)


def _float_operands(input, other):
    a, b = _promote(input, other)
    if a._data.dtype.kind in "biu":
        d = _dtype.get_default_dtype()
        a, b = a.to(d), b.to(d)
    return a, b


def div(input, other, *, rounding_mode=None, out=None):
    if rounding_mode is None:
        a, b = _float_operands(input, other)
        return _out(apply(DivBackward0, (a, b)), out)
    if rounding_mode == "trunc":
        a, b = _promote(input, other)
        if a._data.dtype.kind in "iu":
            q = apply(FloorDivide, (a.abs(), b.abs()))
            return _out(q * (a.sign() * b.sign()), out)
        return _out(apply(DivBackward0, (a, b)).trunc(), out)
    if rounding_mode == "floor":
        a, b = _promote(input, other)
        if a._data.dtype.kind in "iu":
            return _out(apply(FloorDivide, (a, b)), out)
        return _out(apply(DivBackward0, (a, b)).floor(), out)
    raise RuntimeError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but found "
                       f"'{rounding_mode}'")


true_divide = divide = div
multiply = mul
subtract = sub


def floor_divide(input, other, *, out=None):
    return div(input, other, rounding_mode="floor", out=out)


def remainder(input, other, *, out=None):
    if not isinstance(input, Tensor):
        s, x = _promote_rev(input, other)
        return apply(RemainderBackward0, (s, x))
    a, b = _promote(input, other)
    return _out(apply(RemainderBackward0, (a, b)), out)


def fmod(input, other, *, out=None):
    a, b = _promote(input, other)
    return _out(apply(FmodBackward0, (a, b)), out)


def pow(input, exponent, *, out=None):
    if not isinstance(input, Tensor):
        s, x = _promote_rev(input, exponent)
        return apply(PowBackward1, (s, x))
    if not isinstance(exponent, Tensor) and isinstance(exponent, (int, float)):
        if input._data.dtype.kind in "iu" and isinstance(exponent, int) and exponent < 0:
            raise RuntimeError("Integers to negative integer powers are not allowed.")
        rd = _dtype.result_type(input, exponent)
        x = input if input._data.dtype == rd.np else input.to(rd)
        return _out(apply(PowBackward0, (x,), exponent), out)
    a, b = _promote(input, exponent)
    return _out(apply(PowBackward1, (a, b)), out)


class PowBackward0(Node):
    """x ** scalar."""
    __slots__ = ("exponent",)
    SAVES_INPUTS = True

    def forward(self, a, exponent):
        self.exponent = exponent
        if exponent == 2:
            return a * a
        if exponent == 0.5:
            return np.sqrt(a)
        return np.power(a, a.dtype.type(exponent)) if a.dtype.kind == "f" else np.power(a, exponent)

    def backward(self, g):
        (a,) = self.inputs
        p = self.exponent
        if p == 0:
            return (g * 0,)
        if p == 2:
            return (g * (a * 2),)
        return (g * (a.pow(p - 1) * p),)


def float_power(input, exponent):
    x = input.double() if isinstance(input, Tensor) else input
    e = exponent.double() if isinstance(exponent, Tensor) else exponent
    return pow(x, e)


def atan2(input, other, *, out=None):
    a, b = _float_operands(input, other)
    return _out(apply(Atan2Backward0, (a, b)), out)


arctan2 = atan2


def maximum(input, other, *, out=None):
    a, b = _promote(input, other)
    return _out(apply(MaximumBackward0, (a, b)), out)


def minimum(input, other, *, out=None):
    a, b = _promote(input, other)
    return _out(apply(MinimumBackward0, (a, b)), out)


def fmax(input, other):
    r = maximum(input, other)
    return where(input.isnan(), other, where(other.isnan(), input, r)) if r.is_floating_point() else r


def fmin(input, other):
    r = minimum(input, other)
    return where(input.isnan(), other, where(other.isnan(), input, r)) if r.is_floating_point() else r


def _compare(cls):
    def op(input, other, *, out=None):
        if not isinstance(input, Tensor):
            s, x = _promote_rev(input, other)
            return apply(cls, (s, x))
        a, b = _promote(input, other)
        return _out(apply(cls, (a, b)), out)
    return op


eq, ne, lt, le, gt, ge = (_compare(c) for c in (Eq, Ne, Lt, Le, Gt, Ge))
greater, greater_equal, less, less_equal, not_equal = gt, ge, lt, le, ne


def _logical(cls):
    def op(input, other, *, out=None):
        b = other if isinstance(other, Tensor) else const(other, np.asarray(other).dtype, input._data)
        return _out(apply(cls, (input, b)), out)
    return op


logical_and, logical_or, logical_xor = (_logical(c) for c in (LogicalAnd, LogicalOr, LogicalXor))


def _bitwise(cls, sym):
    def op(input, other, *, out=None):
        a, b = _promote(input, other)
        if a._data.dtype.kind not in "biu":
            raise RuntimeError(f"\"{cls.__name__[:-9].lower()}_cpu\" not implemented for '{dtype_name(a._data.dtype)}'")
        return _out(apply(cls, (a, b)), out)
    return op


bitwise_and = _bitwise(BitwiseAnd, "&")
bitwise_or = _bitwise(BitwiseOr, "|")
bitwise_xor = _bitwise(BitwiseXor, "^")
bitwise_left_shift = _bitwise(LeftShift, "<<")
bitwise_right_shift = _bitwise(RightShift, ">>")


def equal(input, other):
    return input._data.shape == other._data.shape and bool((input._data == other._data).all())


def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    a, b = _promote(input, other)
    from .._device import xp_of
    xp = xp_of(a._data)
    return wrap(xp.isclose(a._data, b._data, rtol=rtol, atol=atol, equal_nan=equal_nan))


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    return bool(isclose(input, other, rtol, atol, equal_nan)._data.all())


# -- unary ops ----------------------------------------------------------------------------

class Unary(Node):
    """One input; ``fn`` maps the array. Integer inputs of float-valued ops become the default dtype."""
    __slots__ = ()
    fn = None
    FLOAT_OP = True

    def forward(self, a):
        if self.FLOAT_OP and a.dtype.kind in "biu":
            a = a.astype(_dtype.get_default_dtype().np)
        return self.fn(a)


def _unary(name, fn, backward=None, saves_input=False, saves_output=False, float_op=True, differentiable=True):
    attrs = {"__slots__": (), "fn": staticmethod(fn), "FLOAT_OP": float_op, "SAVES_INPUTS": saves_input,
             "SAVES_OUTPUT": saves_output, "DIFFERENTIABLE": differentiable}
    if backward is not None:
        attrs["backward"] = backward
    return type(name, (Unary,), attrs)


def _x(node):
    return node.inputs[0]


def _erf(a):
    from ._special import erf
    return erf(a)


def _erfc(a):
    from ._special import erfc
    return erfc(a)


def _erfinv(a):
    from ._special import erfinv
    return erfinv(a)


def _sigmoid(a):
    # numerically stable on both tails, in a's own dtype: 1/(1+e^-a) for a >= 0, e^a/(1+e^a) below
    e = np.exp(-np.abs(a))
    d = 1 + e
    return np.where(a >= 0, 1 / d, e / d)


def _relu(a):
    return np.maximum(a, 0, dtype=a.dtype) if a.dtype != np.bool_ else a.copy()


_SQRT_PI = math.sqrt(math.pi)

Neg = _unary("NegBackward0", np.negative, lambda n, g: (-g,), float_op=False)
Exp = _unary("ExpBackward0", np.exp, lambda n, g: (g * n.out,), saves_output=True)
Exp2 = _unary("Exp2Backward0", np.exp2, lambda n, g: (g * n.out * math.log(2),), saves_output=True)
Expm1 = _unary("Expm1Backward0", np.expm1, lambda n, g: (g * (n.out + 1),), saves_output=True)
Log = _unary("LogBackward0", np.log, lambda n, g: (g / _x(n),), saves_input=True)
Log2 = _unary("Log2Backward0", np.log2, lambda n, g: (g / (_x(n) * math.log(2)),), saves_input=True)
Log10 = _unary("Log10Backward0", np.log10, lambda n, g: (g / (_x(n) * math.log(10)),), saves_input=True)
Log1p = _unary("Log1PBackward0", np.log1p, lambda n, g: (g / (_x(n) + 1),), saves_input=True)
Sqrt = _unary("SqrtBackward0", np.sqrt, lambda n, g: (g / (n.out * 2),), saves_output=True)
Rsqrt = _unary("RsqrtBackward0", lambda a: 1 / np.sqrt(a), lambda n, g: (g * n.out.pow(3) * -0.5,),
               saves_output=True)
Sin = _unary("SinBackward0", np.sin, lambda n, g: (g * _x(n).cos(),), saves_input=True)
Cos = _unary("CosBackward0", np.cos, lambda n, g: (g * -_x(n).sin(),), saves_input=True)
Tan = _unary("TanBackward0", np.tan, lambda n, g: (g * (n.out * n.out + 1),), saves_output=True)
Asin = _unary("AsinBackward0", np.arcsin, lambda n, g: (g * (1 - _x(n) * _x(n)).rsqrt(),), saves_input=True)
Acos = _unary("AcosBackward0", np.arccos, lambda n, g: (-g * (1 - _x(n) * _x(n)).rsqrt(),), saves_input=True)
Atan = _unary("AtanBackward0", np.arctan, lambda n, g: (g / (_x(n) * _x(n) + 1),), saves_input=True)
Sinh = _unary("SinhBackward0", np.sinh, lambda n, g: (g * _x(n).cosh(),), saves_input=True)
Cosh = _unary("CoshBackward0", np.cosh, lambda n, g: (g * _x(n).sinh(),), saves_input=True)
Tanh = _unary("TanhBackward0", np.tanh, lambda n, g: (g * (1 - n.out * n.out),), saves_output=True)
Asinh = _unary("AsinhBackward0", np.arcsinh, lambda n, g: (g * (_x(n) * _x(n) + 1).rsqrt(),), saves_input=True)
Acosh = _unary("AcoshBackward0", np.arccosh, lambda n, g: (g * (_x(n) * _x(n) - 1).rsqrt(),), saves_input=True)
Atanh = _unary("AtanhBackward0", np.arctanh, lambda n, g: (g / (1 - _x(n) * _x(n)),), saves_input=True)
Sigmoid = _unary("SigmoidBackward0", _sigmoid, lambda n, g: (g * n.out * (1 - n.out),), saves_output=True)
Reciprocal = _unary("ReciprocalBackward0", np.reciprocal, lambda n, g: (-g * n.out * n.out,), saves_output=True)
Erf = _unary("ErfBackward0", _erf, lambda n, g: (g * (-_x(n) * _x(n)).exp() * (2 / _SQRT_PI),), saves_input=True)
Erfc = _unary("ErfcBackward0", _erfc, lambda n, g: (g * (-_x(n) * _x(n)).exp() * (-2 / _SQRT_PI),),
              saves_input=True)
Erfinv = _unary("ErfinvBackward0", _erfinv, lambda n, g: (g * (n.out * n.out).exp() * (_SQRT_PI / 2),),
                saves_output=True)
Abs = _unary("AbsBackward0", np.abs, lambda n, g: (g * _x(n).sign(),), saves_input=True, float_op=False)
Relu = _unary("ReluBackward0", _relu, lambda n, g: (g * (n.out > 0).to(g.dtype),), saves_output=True,
              float_op=False)
Square = _unary("PowBackward0", np.square, lambda n, g: (g * _x(n) * 2,), saves_input=True, float_op=False)


def _zero_grad(n, g):
    return (g * 0,)


Sign = _unary("SignBackward0", np.sign, _zero_grad, float_op=False)
Floor = _unary("FloorBackward0", np.floor, _zero_grad, float_op=False)
Ceil = _unary("CeilBackward0", np.ceil, _zero_grad, float_op=False)
Trunc = _unary("TruncBackward0", np.trunc, _zero_grad, float_op=False)
Frac = _unary("FracBackward0", lambda a: a - np.trunc(a), lambda n, g: (g,), float_op=False)
IsNan = _unary("IsnanBackward0", np.isnan, float_op=False, differentiable=False)
IsInf = _unary("IsinfBackward0", np.isinf, float_op=False, differentiable=False)
IsFinite = _unary("IsfiniteBackward0", np.isfinite, float_op=False, differentiable=False)
IsPosInf = _unary("IsposinfBackward0", np.isposinf, float_op=False, differentiable=False)
IsNegInf = _unary("IsneginfBackward0", np.isneginf, float_op=False, differentiable=False)
SignBit = _unary("SignbitBackward0", np.signbit, float_op=False, differentiable=False)
LogicalNot = _unary("LogicalNotBackward0", np.logical_not, float_op=False, differentiable=False)
BitwiseNot = _unary("BitwiseNotBackward0", np.invert, float_op=False, differentiable=False)


class RoundBackward0(Node):
    __slots__ = ()

    def forward(self, a, decimals):
        return np.round(a, decimals) if a.dtype.kind in "fc" else a.copy()

    def backward(self, g):
        return (g * 0,)


def round(input, *, decimals=0):
    return apply(RoundBackward0, (input,), decimals)


def _unary_fn(cls):
    def op(input, *, out=None):
        return _out(apply(cls, (input,)), out)
    op.__name__ = cls.__name__
    return op


(neg, exp, exp2, expm1, log, log2, log10, log1p, sqrt, rsqrt, sin, cos, tan, asin, acos, atan, sinh, cosh,
 tanh, asinh, acosh, atanh, sigmoid, reciprocal, erf, erfc, erfinv, abs, relu, square, sign, floor, ceil, trunc,
 frac, isnan, isinf, isfinite, isposinf, isneginf, signbit, logical_not) = (
    _unary_fn(c) for c in (Neg, Exp, Exp2, Expm1, Log, Log2, Log10, Log1p, Sqrt, Rsqrt, Sin, Cos, Tan, Asin,
                           Acos, Atan, Sinh, Cosh, Tanh, Asinh, Acosh, Atanh, Sigmoid, Reciprocal, Erf, Erfc,
                           Erfinv, Abs, Relu, Square, Sign, Floor, Ceil, Trunc, Frac, IsNan, IsInf, IsFinite,
                           IsPosInf, IsNegInf, SignBit, LogicalNot))
negative, absolute, arcsin, arccos, arctan, arcsinh, arccosh, arctanh, fix = (
    neg, abs, asin, acos, atan, asinh, acosh, atanh, trunc)
sgn = sign


def bitwise_not(input, *, out=None):
    if input._data.dtype.kind not in "biu":
        raise RuntimeError(f"\"bitwise_not_cpu\" not implemented for '{dtype_name(input._data.dtype)}'")
    return _out(apply(BitwiseNot, (input,)), out)


def positive(input):
    return input


def nan_to_num(input, nan=0.0, posinf=None, neginf=None, *, out=None):
    a = input._data
    if a.dtype.kind not in "fc":
        return input.clone()
    info = np.finfo(a.dtype) if a.dtype != _bf16 else None
    big = posinf if posinf is not None else (float(info.max) if info else 3.3895313892515355e38)
    small = neginf if neginf is not None else (float(info.min) if info else -3.3895313892515355e38)
    bad = input.isnan() | input.isinf()
    fill = wrap(np.where(np.isnan(a), nan, np.where(a > 0, big, small)).astype(a.dtype))
    return _out(where(bad, fill, input), out)


# -- clamp, where, lerp, addcmul ---------------------------------------------------------

class ClampBackward1(Node):
    __slots__ = ("mask",)

    def forward(self, a, lo, hi):
        out = a
        if lo is not None:
            out = np.maximum(out, a.dtype.type(lo))
        if hi is not None:
            out = np.minimum(out, a.dtype.type(hi))
        if out is a:
            out = a.copy()
        if a.dtype.kind == "f":  # the gradient passes where lo <= a <= hi (not at NaN)
            m = a >= lo if lo is not None else None
            if hi is not None:
                m = a <= hi if m is None else m & (a <= hi)
            self.mask = m
        return out

    def backward(self, g):
        return (g * wrap(self.mask).to(g.dtype),)


def clamp(input, min=None, max=None, *, out=None):
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        r = input
        if min is not None:
            r = maximum(r, min)
        if max is not None:
            r = minimum(r, max)
        return _out(r, out)
    x = input
    if x._data.dtype.kind in "biu" and any(isinstance(v, float) for v in (min, max)):
        x = x.to(_dtype.get_default_dtype())
    return _out(apply(ClampBackward1, (x,), min, max), out)


clip = clamp


def clamp_min(input, min):
    return clamp(input, min=min)


def clamp_max(input, max):
    return clamp(input, max=max)


class WhereBackward0(Node):
    __slots__ = ("cond", "sa", "sb")

    def forward(self, a, b, cond):
        self.cond, self.sa, self.sb = cond, a.shape, b.shape
        xp = np if a.__class__ is np.ndarray else __import__("cupy")
        return xp.where(cond, a, b)

    def backward(self, g):
        c = wrap(self.cond)
        z = g * 0
        e = self.next_edges
        return (sum_to(where(c, g, z), self.sa) if e[0] is not None else None,
                sum_to(where(c, z, g), self.sb) if e[1] is not None else None)


def where(condition, input=None, other=None, *, out=None):
    if input is None and other is None:
        return condition.nonzero(as_tuple=True)
    if condition._data.dtype != np.bool_:
        raise RuntimeError(f"where expected condition to be a boolean tensor, but got a tensor with dtype "
                           f"{dtype_name(condition._data.dtype)}")
    if not isinstance(input, Tensor):
        if not isinstance(other, Tensor):
            d = _dtype.result_type(input, other)
            input = const(input, d.np, condition._data)
            other = const(other, d.np, condition._data)
        else:
            other, input = _promote(other, input)
    else:
        input, other = _promote(input, other)
    cond = condition._data
    try:
        shape = broadcast_shapes(cond.shape, input._data.shape, other._data.shape)
    except RuntimeError:
        raise
    if cond.shape != shape:
        from .._device import xp_of
        cond = xp_of(cond).broadcast_to(cond, shape)
    return _out(apply(WhereBackward0, (input, other), cond), out)


def lerp(input, end, weight):
    return input + (end - input) * weight


def addcmul(input, tensor1, tensor2, *, value=1):
    return input + tensor1 * tensor2 * value if value != 1 else input + tensor1 * tensor2


def addcdiv(input, tensor1, tensor2, *, value=1):
    if tensor1._data.dtype.kind in "iu" and tensor2._data.dtype.kind in "iu":
        raise RuntimeError("Integer division with addcdiv is no longer supported, and in a future release "
                           "addcdiv will perform a true division of tensor1 and tensor2. The historic addcdiv "
                           "behavior can be implemented as (input + value * torch.trunc(tensor1 / tensor2)).to("
                           "input.dtype) for integer inputs and as (input + value * tensor1 / tensor2) for float "
                           "inputs. The future addcdiv behavior is just the latter implementation: (input + value "
                           "* tensor1 / tensor2), for all dtypes.")
    return input + tensor1 / tensor2 * value if value != 1 else input + tensor1 / tensor2


def hypot(input, other):
    return (input * input + other * other).sqrt()


def logaddexp(input, other):
    m = maximum(input, other).detach()
    return m + ((input - m).exp() + (other - m).exp()).log()


def logaddexp2(input, other):
    return logaddexp(input * math.log(2), other * math.log(2)) / math.log(2)


def xlogy(input, other):
    if not isinstance(input, Tensor):
        input = const(input, _dtype.result_type(other, input).np, other._data)
    r = input * log(other) if isinstance(other, Tensor) else input * math.log(other)
    zero = input == 0  # torch: 0 where input == 0, even for other == 0 (log -> -inf), unless other is nan
    if isinstance(other, Tensor):
        zero = zero.logical_and(other.isnan().logical_not())
    return where(zero, input * 0, r)


def sinc(input):
    x = input * math.pi
    return where(input == 0, x * 0 + 1, x.sin() / x)


def deg2rad(input):
    return input * (math.pi / 180)


def rad2deg(input):
    return input * (180 / math.pi)


# -- out= and in-place variants --------------------------------------------------------------

_NAMES = """add sub mul div true_divide divide multiply subtract floor_divide remainder fmod pow
    float_power atan2 arctan2 maximum minimum fmax fmin eq ne lt le gt ge greater greater_equal less
    less_equal not_equal logical_and logical_or logical_xor bitwise_and bitwise_or bitwise_xor
    bitwise_left_shift bitwise_right_shift bitwise_not equal isclose allclose neg negative exp exp2 expm1
    log log2 log10 log1p sqrt rsqrt sin cos tan asin acos atan arcsin arccos arctan sinh cosh tanh asinh
    acosh atanh arcsinh arccosh arctanh sigmoid reciprocal erf erfc erfinv abs absolute relu square sign
    sgn floor ceil trunc fix frac round isnan isinf isfinite isposinf isneginf signbit logical_not
    positive nan_to_num clamp clip clamp_min clamp_max lerp addcmul addcdiv hypot logaddexp logaddexp2
    xlogy sinc deg2rad rad2deg rsub where"""
__all__ = _NAMES.split()
TENSOR_METHODS = _NAMES
INPLACE = """add sub mul div true_divide floor_divide bitwise_left_shift bitwise_right_shift remainder fmod pow atan2 maximum minimum eq ne lt le gt ge
    logical_and logical_or logical_xor bitwise_and bitwise_or bitwise_xor neg exp exp2 expm1 log log2 log10
    log1p sqrt rsqrt sin cos tan asin acos atan sinh cosh tanh asinh acosh atanh sigmoid reciprocal erf erfc
    erfinv abs relu square sign floor ceil trunc frac round logical_not nan_to_num clamp clip clamp_min
    clamp_max lerp addcmul addcdiv hypot xlogy bitwise_not"""
