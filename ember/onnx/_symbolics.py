"""Op -> ONNX mapping: one symbolic function per node class (by its grad_fn name).

A symbolic function ``fn(g, rec)`` gets the graph builder ``g`` (``ember.onnx._export.Graph``) and
the recorded op ``rec`` (node class, input tensors, the Python-side params the node's forward got,
output tensors). It adds ONNX nodes with ``g.op`` and returns the value name of each output (a
string, or a list with None for outputs it does not produce). Ops that ember runs as several
dispatch calls (cross-entropy, multi-head attention, RNN cells) are traced as their low-level ops,
each of which has a mapping here; the recurrence of nn.LSTM / nn.GRU / nn.RNN is recorded whole by
the tracer and becomes ONNX's native LSTM / GRU / RNN operators (``_rnn_module``).

Node class names are not unique across modules (``UnsafeViewBackward0`` is both a reshape and a
batched matmul, ``UnsqueezeBackward0`` both ``unsqueeze`` and a basic index ending in None), so the
registry is keyed by (module suffix, name) first and by name second.
"""
import itertools
import math

import numpy as np

from .._device import host
from ..ops.pooling import _avg_taps, _pool_out
from .errors import UnsupportedOperatorError, OnnxExporterError

INT64_MAX = np.iinfo(np.int64).max
INT64_MIN = np.iinfo(np.int64).min

_REGISTRY = {}


def register(*names, module=None):
    def deco(fn):
        for n in names:
            _REGISTRY[(module, n)] = fn
        return fn
    return deco


def lookup(cls):
    name = cls.__name__
    mod = getattr(cls, "__module__", "") or ""
    short = mod.rsplit(".", 1)[-1]
    fn = _REGISTRY.get((short, name))
    if fn is None:
        fn = _REGISTRY.get((None, name))
    return fn


# -- helpers ----------------------------------------------------------------------------------------

def _dt(t):
    return t._data.dtype


def _onnx_dtype(g, np_dtype):
    return g.onnx.helper.np_dtype_to_tensor_dtype(np.dtype(np_dtype))


def _cast(g, name, np_dtype):
    return g.op("Cast", [name], to=_onnx_dtype(g, np_dtype))


def _scalar(g, value, like):
    """A 0-d constant of tensor like's dtype."""
    return g.const(np.asarray(value, dtype=_dt(like)))


def _reduce(g, op, x, axes, keepdims):
    """ReduceXxx over axes (None: all); axes are an input for ReduceSum (opset 13) and all (opset 18)."""
    keep = 1 if keepdims else 0
    as_input = op == "ReduceSum" or g.opset >= 18
    if axes is None:
        return g.op(op, [x], keepdims=keep)
    axes = [int(a) for a in axes]
    if len(axes) == 0:
        return g.op("Identity", [x])
    if as_input:
        return g.op(op, [x, g.ints(axes)], keepdims=keep)
    return g.op(op, [x], axes=axes, keepdims=keep)


def _unsqueeze(g, x, axes):
    return g.op("Unsqueeze", [x, g.ints(axes)])


def _squeeze(g, x, axes):
    return g.op("Squeeze", [x, g.ints(axes)])


def _unsupported(rec, why=""):
    err = UnsupportedOperatorError(rec.name, rec.module_path, type(rec.module).__name__)
    if why:
        err.args = (err.args[0] + f": {why}",)
    return err


# -- elementwise ------------------------------------------------------------------------------------

_BINARY = {"AddBackward0": "Add", "SubBackward0": "Sub", "MulBackward0": "Mul", "DivBackward0": "Div",
           "PowBackward1": "Pow", "MaximumBackward0": "Max", "MinimumBackward0": "Min",
           "EqBackward0": "Equal", "LtBackward0": "Less", "LeBackward0": "LessOrEqual",
           "GtBackward0": "Greater", "GeBackward0": "GreaterOrEqual"}


def _binary(op):
    def fn(g, rec):
        return g.op(op, [g.inp(0), g.inp(1)])
    return fn


for _n, _o in _BINARY.items():
    register(_n)(_binary(_o))


@register("NeBackward0")
def _ne(g, rec):
    return g.op("Not", [g.op("Equal", [g.inp(0), g.inp(1)])])


def _as_bool(g, i):
    t = g.rec.inputs[i]
    n = g.inp(i)
    return n if _dt(t) == np.bool_ else _cast(g, n, np.bool_)


@register("LogicalAndBackward0", "LogicalOrBackward0", "LogicalXorBackward0")
def _logical(g, rec):
    op = {"LogicalAndBackward0": "And", "LogicalOrBackward0": "Or", "LogicalXorBackward0": "Xor"}[rec.name]
    return g.op(op, [_as_bool(g, 0), _as_bool(g, 1)])


@register("BitwiseAndBackward0", "BitwiseOrBackward0", "BitwiseXorBackward0")
def _bitwise(g, rec):
    if _dt(rec.inputs[0]) == np.bool_:
        op = {"BitwiseAndBackward0": "And", "BitwiseOrBackward0": "Or", "BitwiseXorBackward0": "Xor"}[rec.name]
        return g.op(op, [g.inp(0), g.inp(1)])
    if g.opset >= 18:
        op = {"BitwiseAndBackward0": "BitwiseAnd", "BitwiseOrBackward0": "BitwiseOr",
              "BitwiseXorBackward0": "BitwiseXor"}[rec.name]
        return g.op(op, [g.inp(0), g.inp(1)])
    raise _unsupported(rec, "integer bitwise ops need opset 18")


@register("FmodBackward0")
def _fmod(g, rec):
    return g.op("Mod", [g.inp(0), g.inp(1)], fmod=1 if _dt(rec.inputs[0]).kind == "f" else 0)


@register("RemainderBackward0")
def _remainder(g, rec):
    a, b = g.inp(0), g.inp(1)
    if _dt(rec.inputs[0]).kind in "iu":
        return g.op("Mod", [a, b], fmod=0)
    # Python's modulo: a - floor(a / b) * b
    return g.op("Sub", [a, g.op("Mul", [g.op("Floor", [g.op("Div", [a, b])]), b])])


@register("FloorDivideBackward0")
def _floor_divide(g, rec):
    a, b = g.inp(0), g.inp(1)
    if _dt(rec.inputs[0]).kind in "iu":
        return g.op("Div", [g.op("Sub", [a, g.op("Mod", [a, b], fmod=0)]), b])
    return g.op("Floor", [g.op("Div", [a, b])])


@register("PowBackward0")
def _pow_scalar(g, rec):
    x = g.inp(0)
    if not rec.params:  # square
        return g.op("Mul", [x, x])
    e = rec.params[0]
    if e == 2:
        return g.op("Mul", [x, x])
    if e == 1:
        return g.op("Identity", [x])
    if e == 0.5 and _dt(rec.inputs[0]).kind == "f":
        return g.op("Sqrt", [x])
    et = _dt(rec.outputs[0])
    xin = x if _dt(rec.inputs[0]) == et else _cast(g, x, et)
    return g.op("Pow", [xin, g.const(np.asarray(e, dtype=et))])


_UNARY = {"NegBackward0": "Neg", "ExpBackward0": "Exp", "LogBackward0": "Log", "SqrtBackward0": "Sqrt",
          "SinBackward0": "Sin", "CosBackward0": "Cos", "TanBackward0": "Tan", "AsinBackward0": "Asin",
          "AcosBackward0": "Acos", "AtanBackward0": "Atan", "SinhBackward0": "Sinh", "CoshBackward0": "Cosh",
          "TanhBackward0": "Tanh", "AsinhBackward0": "Asinh", "AcoshBackward0": "Acosh", "AtanhBackward0": "Atanh",
          "SigmoidBackward0": "Sigmoid", "ReciprocalBackward0": "Reciprocal", "ErfBackward0": "Erf",
          "AbsBackward0": "Abs", "ReluBackward0": "Relu", "SignBackward0": "Sign", "FloorBackward0": "Floor",
          "CeilBackward0": "Ceil", "IsnanBackward0": "IsNaN", "LogicalNotBackward0": "Not"}


def _float_in(g, rec):
    """Input 0, cast to the output dtype when a float op got an integer input."""
    x = g.inp(0)
    if _dt(rec.inputs[0]) != _dt(rec.outputs[0]) and _dt(rec.outputs[0]).kind == "f":
        x = _cast(g, x, _dt(rec.outputs[0]))
    return x


def _unary(op):
    def fn(g, rec):
        if op == "Not":
            return g.op("Not", [_as_bool(g, 0)])
        if op in ("Floor", "Ceil", "Abs", "Neg", "Sign", "Relu") and _dt(rec.inputs[0]).kind in "iub":
            if op in ("Floor", "Ceil"):
                return g.op("Identity", [g.inp(0)])
        return g.op(op, [_float_in(g, rec)])
    return fn


for _n, _o in _UNARY.items():
    register(_n)(_unary(_o))


def _fx(g, rec, value):
    return g.const(np.asarray(value, dtype=_dt(rec.outputs[0])))


@register("IsinfBackward0")
def _isinf(g, rec):
    if _dt(rec.inputs[0]).kind != "f":
        return g.op("Equal", [g.inp(0), g.op("Add", [g.inp(0), _scalar(g, 1, rec.inputs[0])])])
    return g.op("IsInf", [g.inp(0)])


@register("IsfiniteBackward0")
def _isfinite(g, rec):
    x = g.inp(0)
    return g.op("Not", [g.op("Or", [g.op("IsInf", [x]), g.op("IsNaN", [x])])])


@register("Exp2Backward0")
def _exp2(g, rec):
    return g.op("Pow", [_fx(g, rec, 2.0), _float_in(g, rec)])


@register("Expm1Backward0")
def _expm1(g, rec):
    return g.op("Sub", [g.op("Exp", [_float_in(g, rec)]), _fx(g, rec, 1.0)])


@register("Log2Backward0", "Log10Backward0")
def _logb(g, rec):
    base = 2.0 if rec.name == "Log2Backward0" else 10.0
    return g.op("Div", [g.op("Log", [_float_in(g, rec)]), _fx(g, rec, math.log(base))])


@register("Log1PBackward0")
def _log1p(g, rec):
    return g.op("Log", [g.op("Add", [_float_in(g, rec), _fx(g, rec, 1.0)])])


@register("RsqrtBackward0")
def _rsqrt(g, rec):
    return g.op("Reciprocal", [g.op("Sqrt", [_float_in(g, rec)])])


@register("ErfcBackward0")
def _erfc(g, rec):
    return g.op("Sub", [_fx(g, rec, 1.0), g.op("Erf", [_float_in(g, rec)])])


def _trunc(g, x):
    return g.op("Mul", [g.op("Sign", [x]), g.op("Floor", [g.op("Abs", [x])])])


@register("TruncBackward0")
def _trunc_op(g, rec):
    if _dt(rec.inputs[0]).kind != "f":
        return g.op("Identity", [g.inp(0)])
    return _trunc(g, g.inp(0))


@register("FracBackward0")
def _frac(g, rec):
    x = g.inp(0)
    return g.op("Sub", [x, _trunc(g, x)])


@register("RoundBackward0")
def _round(g, rec):
    x = g.inp(0)
    if _dt(rec.inputs[0]).kind != "f":
        return g.op("Identity", [x])
    d = rec.params[0]
    if not d:
        return g.op("Round", [x])
    s = _fx(g, rec, 10.0 ** d)
    return g.op("Div", [g.op("Round", [g.op("Mul", [x, s])]), s])


@register("ClampBackward1")
def _clamp(g, rec):
    lo, hi = rec.params
    x = g.inp(0)
    lo_n = _scalar(g, lo, rec.inputs[0]) if lo is not None else ""
    hi_n = _scalar(g, hi, rec.inputs[0]) if hi is not None else ""
    return g.op("Clip", [x, lo_n, hi_n])


@register("WhereBackward0")
def _where(g, rec):
    cond = g.array_name(rec.params[0])
    return g.op("Where", [cond, g.inp(0), g.inp(1)])


@register("MaskedFillBackward0")
def _masked_fill(g, rec):
    mask, val = rec.params
    return g.op("Where", [g.array_name(mask), _scalar(g, host(val).reshape(()), rec.inputs[0]), g.inp(0)])


@register("MaskedFillBackward1")
def _masked_fill_t(g, rec):
    return g.op("Where", [g.array_name(rec.params[0]), g.inp(1), g.inp(0)])


@register("ToCopyBackward0")
def _to_copy(g, rec):
    src, dst = _dt(rec.inputs[0]), _dt(rec.outputs[0])
    if src == dst:
        return g.op("Identity", [g.inp(0)])
    return _cast(g, g.inp(0), dst)


@register("CloneBackward0", "AliasBackward0")
def _identity(g, rec):
    if rec.name == "AliasBackward0" and rec.params:
        return _basic_index(g, rec)
    return g.op("Identity", [g.inp(0)])


# -- activations ------------------------------------------------------------------------------------

@register("SoftmaxBackward0", "LogSoftmaxBackward0")
def _softmax(g, rec):
    x = _float_in(g, rec)
    if rec.inputs[0]._data.ndim == 0:
        return g.op("Mul", [x, _fx(g, rec, 0.0 if rec.name == "LogSoftmaxBackward0" else 1.0)]) \
            if rec.name == "LogSoftmaxBackward0" else g.op("Div", [x, x])
    return g.op("Softmax" if rec.name == "SoftmaxBackward0" else "LogSoftmax", [x], axis=int(rec.params[0]))


@register("GeluBackward0")
def _gelu(g, rec):
    x = g.inp(0)
    approx = rec.params[0]
    if g.opset >= 20:
        return g.op("Gelu", [x], approximate=approx)
    half = _fx(g, rec, 0.5)
    one = _fx(g, rec, 1.0)
    if approx == "tanh":
        x3 = g.op("Mul", [g.op("Mul", [x, x]), x])
        inner = g.op("Mul", [_fx(g, rec, math.sqrt(2.0 / math.pi)),
                             g.op("Add", [x, g.op("Mul", [_fx(g, rec, 0.044715), x3])])])
        t = g.op("Tanh", [inner])
    else:
        t = g.op("Erf", [g.op("Mul", [x, _fx(g, rec, 1.0 / math.sqrt(2.0))])])
    return g.op("Mul", [g.op("Mul", [x, half]), g.op("Add", [one, t])])


@register("SiluBackward0")
def _silu(g, rec):
    x = g.inp(0)
    return g.op("Mul", [x, g.op("Sigmoid", [x])])


@register("MishBackward0")
def _mish(g, rec):
    x = g.inp(0)
    return g.op("Mul", [x, g.op("Tanh", [g.op("Softplus", [x])])])


@register("EluBackward0")
def _elu(g, rec):
    alpha, scale, input_scale = rec.params
    x = g.inp(0)
    if input_scale == 1:
        if scale != 1:
            return g.op("Selu", [x], alpha=float(alpha), gamma=float(scale))
        return g.op("Elu", [x], alpha=float(alpha))
    neg = g.op("Mul", [_fx(g, rec, alpha),
                       g.op("Sub", [g.op("Exp", [g.op("Mul", [x, _fx(g, rec, input_scale)])]), _fx(g, rec, 1.0)])])
    out = g.op("Where", [g.op("Greater", [x, _fx(g, rec, 0.0)]), x, neg])
    return out if scale == 1 else g.op("Mul", [out, _fx(g, rec, scale)])


@register("CeluBackward0")
def _celu(g, rec):
    alpha, scale, input_scale = rec.params
    if scale == 1 and abs(input_scale * alpha - 1) < 1e-12:
        return g.op("Celu", [g.inp(0)], alpha=float(alpha))
    return _elu(g, rec)


@register("SoftplusBackward0")
def _softplus(g, rec):
    beta, threshold = rec.params
    x = g.inp(0)
    xb = x if beta == 1 else g.op("Mul", [x, _fx(g, rec, beta)])
    sp = g.op("Softplus", [xb])
    if beta != 1:
        sp = g.op("Div", [sp, _fx(g, rec, beta)])
    return g.op("Where", [g.op("Greater", [xb, _fx(g, rec, threshold)]), x, sp])


@register("LogSigmoidBackward0")
def _logsigmoid(g, rec):
    return g.op("Neg", [g.op("Softplus", [g.op("Neg", [g.inp(0)])])])


@register("LeakyReluBackward0")
def _leaky_relu(g, rec):
    return g.op("LeakyRelu", [g.inp(0)], alpha=float(rec.params[0]))


@register("HardtanhBackward0")
def _hardtanh(g, rec):
    lo, hi = rec.params
    return g.op("Clip", [g.inp(0), _scalar(g, lo, rec.inputs[0]), _scalar(g, hi, rec.inputs[0])])


@register("HardswishBackward0")
def _hardswish(g, rec):
    return g.op("HardSwish", [g.inp(0)])


@register("HardsigmoidBackward0")
def _hardsigmoid(g, rec):
    return g.op("HardSigmoid", [g.inp(0)], alpha=1.0 / 6, beta=0.5)


@register("HardshrinkBackward0")
def _hardshrink(g, rec):
    return g.op("Shrink", [g.inp(0)], bias=0.0, lambd=float(rec.params[0]))


@register("SoftshrinkBackward0")
def _softshrink(g, rec):
    lam = float(rec.params[0])
    return g.op("Shrink", [g.inp(0)], bias=lam, lambd=lam)


@register("ThresholdBackward0")
def _threshold(g, rec):
    th, val = rec.params
    x = g.inp(0)
    return g.op("Where", [g.op("Greater", [x, _scalar(g, th, rec.inputs[0])]), x, _scalar(g, val, rec.inputs[0])])


@register("PreluKernelBackward0")
def _prelu(g, rec):
    x, w = rec.inputs
    nd = x._data.ndim
    wn = g.inp(1)
    if w._data.size > 1 and nd >= 2:
        wn = g.op("Reshape", [wn, g.ints([w._data.size] + [1] * (nd - 2))])
    return g.op("PRelu", [g.inp(0), wn])


@register("GluBackward0")
def _glu(g, rec):
    dim = int(rec.params[0])
    a, b = g.op("Split", [g.inp(0)], n_out=2, axis=dim) if g.opset < 18 else \
        g.op("Split", [g.inp(0)], n_out=2, axis=dim, num_outputs=2)
    return g.op("Mul", [a, g.op("Sigmoid", [b])])


# -- linear algebra ---------------------------------------------------------------------------------

@register("MmBackward0", "BmmBackward0", "DotBackward0", "MvBackward0")
def _matmul(g, rec):
    if rec.name == "MmBackward0":
        src = _untransposed(g, rec.inputs[1])
        if src is not None:  # x @ weight.t(): Gemm with transB, as torch exports a bias-free Linear
            return g.op("Gemm", [g.inp(0), g.name(src)], transB=1)
    return g.op("MatMul", [g.inp(0), g.inp(1)])


register("SqueezeBackward4", module="linalg")(_matmul)
register("UnsafeViewBackward0", module="linalg")(_matmul)


def _untransposed(g, t):
    """If t is the transpose of a 2-D tensor (weight.t()), that tensor; else None."""
    prod = g.producer.get(id(t))
    if prod is None:
        return None
    rec, _ = prod
    if rec.name == "TBackward0" and rec.inputs[0]._data.ndim == 2:
        return rec.inputs[0]
    if rec.name == "TransposeBackward0" and rec.inputs[0]._data.ndim == 2:
        return rec.inputs[0]
    return None


@register("AddmmBackward0")
def _addmm(g, rec):
    bias, a, b = rec.inputs
    beta, alpha = rec.params
    src = _untransposed(g, b)
    if src is not None:
        bn, trans = g.name(src), 1
    else:
        bn, trans = g.inp(2), 0
    return g.op("Gemm", [g.inp(1), bn, g.inp(0)], alpha=float(alpha), beta=float(beta), transB=trans)


@register("BaddbmmBackward0")
def _baddbmm(g, rec):
    beta, alpha = rec.params
    mm = g.op("MatMul", [g.inp(1), g.inp(2)])
    if alpha != 1:
        mm = g.op("Mul", [mm, _fx(g, rec, alpha)])
    if beta == 0:
        return mm
    bias = g.inp(0) if beta == 1 else g.op("Mul", [g.inp(0), _fx(g, rec, beta)])
    return g.op("Add", [bias, mm])


@register("AddmvBackward0", "AddbmmBackward0")
def _addmv(g, rec):
    beta, alpha = rec.params
    mm = g.op("MatMul", [g.inp(1), g.inp(2)])
    if rec.name == "AddbmmBackward0":
        mm = _reduce(g, "ReduceSum", mm, [0], False)
    if alpha != 1:
        mm = g.op("Mul", [mm, _fx(g, rec, alpha)])
    if beta == 0:
        return mm
    bias = g.inp(0) if beta == 1 else g.op("Mul", [g.inp(0), _fx(g, rec, beta)])
    return g.op("Add", [bias, mm])


@register("EmbeddingBackward0")
def _embedding(g, rec):
    idx = rec.params[0]
    return g.op("Gather", [g.inp(0), g.array_name(idx)], axis=0)


# -- shape and view ops -------------------------------------------------------------------------------

@register("ViewBackward0", "UnsafeViewBackward0")
def _view(g, rec):
    shape = rec.params[0]
    t = rec.inputs[0]
    if tuple(shape) == tuple(t._data.shape) and g.shapes(t)[0] == g.shapes(t)[1] or \
            tuple(shape) == tuple(t._data.shape) and tuple(g.alt_param(0)) == tuple(g.shapes(t)[1]):
        return g.op("Identity", [g.inp(0)])
    return g.op("Reshape", [g.inp(0), g.reshape_shape(t, shape, g.alt_param(0))])


@register("PermuteBackward0")
def _permute(g, rec):
    return g.op("Transpose", [g.inp(0)], perm=[int(p) for p in rec.params[0]])


@register("TransposeBackward0")
def _transpose(g, rec):
    nd = rec.inputs[0]._data.ndim
    d0, d1 = rec.params
    perm = list(range(nd))
    perm[d0], perm[d1] = perm[d1], perm[d0]
    if d0 == d1:
        return g.op("Identity", [g.inp(0)])
    return g.op("Transpose", [g.inp(0)], perm=perm)


@register("TBackward0")
def _t(g, rec):
    if rec.inputs[0]._data.ndim < 2:
        return g.op("Identity", [g.inp(0)])
    return g.op("Transpose", [g.inp(0)], perm=[1, 0])


@register("ExpandBackward0")
def _expand(g, rec):
    t = rec.inputs[0]
    tgt1 = list(rec.params[0])
    tgt2 = list(g.alt_param(0))
    in1, in2 = g.shapes(t)
    off = len(tgt1) - len(in1)
    for i in range(len(tgt1)):
        j = i - off
        if j >= 0 and in1[j] == tgt1[i] and in2[j] == tgt2[i]:
            tgt1[i] = tgt2[i] = 1  # Expand broadcasts: 1 keeps the input's size
    return g.op("Expand", [g.inp(0), g.shape_tensor(tgt1, tgt2, prefer=(t,))])


@register("SqueezeBackward0", "SqueezeBackward1", "SqueezeBackward2")
def _squeeze_op(g, rec):
    dims = rec.params[0]
    if isinstance(dims, (int, np.integer)):
        dims = (int(dims),)
    shape = rec.inputs[0]._data.shape
    nd = len(shape)
    dims = sorted({int(d) % nd for d in dims if nd and shape[int(d) % nd] == 1}) if nd else []
    if not dims:
        return g.op("Identity", [g.inp(0)])
    return _squeeze(g, g.inp(0), dims)


@register("UnsqueezeBackward0", module="views")
def _unsqueeze_op(g, rec):
    return _unsqueeze(g, g.inp(0), [int(rec.params[0])])


def _dyn_int(g, v1, v2, size1, size2, what):
    """An index that may follow a dynamic size: as-is, counted from the end, or an error."""
    if v1 == v2:
        return v1
    if v1 - size1 == v2 - size2:
        return v1 - size1
    raise OnnxExporterError(f"ember.onnx.export: the {what} of an indexing op follows the dynamic axes "
                            f"(op '{g.rec.name}' in module '{g.rec.module_path}')")


def _basic_index(g, rec):
    """A NumPy basic index (ints, slices, None, Ellipsis) as Slice, Gather and Unsqueeze."""
    t = rec.inputs[0]
    index = rec.params[0]
    index2 = g.alt_param(0)
    if not isinstance(index, tuple):
        index, index2 = (index,), (index2,) if not isinstance(index2, tuple) else index2
    s1, s2 = g.shapes(t)
    nd = len(s1)
    n_real = sum(1 for p in index if p is not None and p is not Ellipsis)
    starts, ends, axes, steps = [], [], [], []
    ints = []       # (input axis, index)
    nones = []      # output positions
    src = 0
    out_pos = 0
    for k, p in enumerate(index):
        p2 = index2[k] if k < len(index2) else p
        if p is Ellipsis:
            n = nd - n_real
            src += n
            out_pos += n
        elif p is None:
            nones.append(out_pos)
            out_pos += 1
        elif isinstance(p, slice):
            start, stop, step = p.start, p.stop, (p.step or 1)
            size1, size2 = s1[src], s2[src]
            st = 0 if start is None else _dyn_int(g, start, p2.start, size1, size2, "slice start")
            if stop is None or (stop >= size1 and (p2.stop is None or p2.stop >= size2)):
                en = INT64_MAX
            else:
                en = _dyn_int(g, stop, p2.stop, size1, size2, "slice end")
            if not (st == 0 and en == INT64_MAX and step == 1):
                starts.append(st)
                ends.append(en)
                axes.append(src)
                steps.append(step)
            src += 1
            out_pos += 1
        else:  # an int (already wrapped to >= 0)
            v = _dyn_int(g, int(p), int(p2), s1[src], s2[src], "index")
            ints.append((src, v))
            src += 1
    x = g.inp(0)
    if axes:
        x = g.op("Slice", [x, g.ints(starts), g.ints(ends), g.ints(axes), g.ints(steps)])
    for ax, v in sorted(ints, reverse=True):
        x = g.op("Gather", [x, g.const(np.asarray(v, dtype=np.int64))], axis=ax)
    if nones:
        x = _unsqueeze(g, x, nones)
    if x == g.inp(0):
        x = g.op("Identity", [x])
    return x


for _n in ("SliceBackward0", "SelectBackward0", "NarrowCopyBackward0"):
    register(_n)(_basic_index)
register("UnsqueezeBackward0", module="indexing")(_basic_index)


@register("SplitBackward0")
def _split(g, rec):
    dim, bounds = rec.params
    bounds2 = g.alt_param(1)
    n = len(bounds)
    sizes = [e - s for s, e in bounds]
    sizes2 = [e - s for s, e in bounds2]
    x = g.inp(0)
    if n == 1:
        return [g.op("Identity", [x])]
    if sizes != sizes2:
        if len(set(sizes)) == 1 and len(set(sizes2)) == 1 and len(sizes2) == n:
            if g.opset >= 18:
                return g.op("Split", [x], n_out=n, axis=int(dim), num_outputs=n)
            return g.op("Split", [x], n_out=n, axis=int(dim))
        raise OnnxExporterError(f"ember.onnx.export: split sizes follow the dynamic axes unevenly (op "
                                f"'{rec.name}' in module '{rec.module_path}')")
    return g.op("Split", [x, g.ints(sizes)], n_out=n, axis=int(dim))


@register("UnbindBackward0")
def _unbind(g, rec):
    dim = int(rec.params[0])
    n = len(rec.outputs)
    x = g.inp(0)
    parts = [x] if n == 1 else g.op("Split", [x, g.ints([1] * n)], n_out=n, axis=dim)
    return [_squeeze(g, p, [dim]) for p in parts]


@register("CatBackward0")
def _cat(g, rec):
    dim = int(rec.params[0])
    nd = rec.outputs[0]._data.ndim
    names = [g.name(t) for t in rec.inputs if not (t._data.ndim == 1 and t._data.size == 0 and nd > 1)]
    if len(names) == 1:
        return g.op("Identity", names)
    return g.op("Concat", names, axis=dim)


@register("StackBackward0")
def _stack(g, rec):
    dim = int(rec.params[0])
    names = [_unsqueeze(g, g.name(t), [dim]) for t in rec.inputs]
    if len(names) == 1:
        return g.op("Identity", names)
    return g.op("Concat", names, axis=dim)


@register("FlipBackward0")
def _flip(g, rec):
    dims = [int(d) for d in rec.params[0]]
    if not dims:
        return g.op("Identity", [g.inp(0)])
    n = len(dims)
    return g.op("Slice", [g.inp(0), g.ints([-1] * n), g.ints([INT64_MIN] * n), g.ints(dims), g.ints([-1] * n)])


@register("RepeatBackward0")
def _repeat(g, rec):
    reps = [int(r) for r in rec.params[0]]
    t = rec.inputs[0]
    x = g.inp(0)
    extra = len(reps) - t._data.ndim
    if extra > 0:
        x = _unsqueeze(g, x, list(range(extra)))
    return g.op("Tile", [x, g.ints(reps)])


@register("ConstantPadNdBackward0")
def _constant_pad(g, rec):
    pads, value = rec.params
    nd = rec.inputs[0]._data.ndim
    begin, end = [0] * nd, [0] * nd
    for ax, (lo, hi) in enumerate(pads):  # one (before, after) pair per dim, in dim order
        begin[ax], end[ax] = int(lo), int(hi)
    return g.op("Pad", [g.inp(0), g.ints(begin + end), _scalar(g, value, rec.inputs[0])], mode="constant")


@register("IndexBackward0", module="indexing")
def _index(g, rec):
    adv = rec.params[0]
    arrays = [(k, a) for k, a in enumerate(adv) if not isinstance(a, slice)]
    if len(arrays) == 1 and all(isinstance(a, slice) and a == slice(None) for a in adv if isinstance(a, slice)):
        k, arr = arrays[0]
        if arr.dtype.kind in "iu":
            return g.op("Gather", [g.inp(0), g.array_name(arr)], axis=k)
    raise _unsupported(rec, "only a single integer index tensor is supported in advanced indexing")


@register("IndexSelectBackward0", module="indexing")
def _index_select(g, rec):
    dim, idx = rec.params
    return g.op("Gather", [g.inp(0), g.array_name(idx)], axis=int(dim))


@register("GatherBackward0", module="indexing")
def _gather(g, rec):
    dim, idx = rec.params
    return g.op("GatherElements", [g.inp(0), g.array_name(idx)], axis=int(dim))


@register("TrilBackward0", "TriuBackward0")
def _tril(g, rec):
    return g.op("Trilu", [g.inp(0), g.const(np.asarray(int(rec.params[0]), dtype=np.int64))],
                upper=1 if rec.name == "TriuBackward0" else 0)


# -- reductions -------------------------------------------------------------------------------------

def _dims(rec, k=0):
    d = rec.params[k]
    if d is None:
        return None
    if isinstance(d, (int, np.integer)):
        return [int(d)]
    return [int(x) for x in d]


@register("SumBackward0", "SumBackward1")
def _sum(g, rec):
    dims, keepdim, np_dtype = rec.params
    x = g.inp(0)
    out_dt = _dt(rec.outputs[0])
    if _dt(rec.inputs[0]) != out_dt:
        x = _cast(g, x, out_dt)
    return _reduce(g, "ReduceSum", x, _dims(rec), keepdim)


@register("MeanBackward0", "MeanBackward1")
def _mean(g, rec):
    dims, keepdim = rec.params[:2]
    dims = _dims(rec)
    nd = rec.inputs[0]._data.ndim
    if keepdim and nd in (4, 5) and dims is not None and sorted(d % nd for d in dims) == list(range(2, nd)):
        return g.op("GlobalAveragePool", [g.inp(0)])
    return _reduce(g, "ReduceMean", g.inp(0), dims, keepdim)


@register("ProdBackward0", "ProdBackward1")
def _prod(g, rec):
    dims, keepdim, np_dtype = rec.params
    x = g.inp(0)
    out_dt = _dt(rec.outputs[0])
    if _dt(rec.inputs[0]) != out_dt:
        x = _cast(g, x, out_dt)
    return _reduce(g, "ReduceProd", x, _dims(rec), keepdim)


@register("AmaxBackward0", "AminBackward0")
def _amax(g, rec):
    dims, keepdim = rec.params
    return _reduce(g, "ReduceMax" if rec.name == "AmaxBackward0" else "ReduceMin", g.inp(0), _dims(rec), keepdim)


@register("MaxBackward1", "MinBackward1")
def _max_all(g, rec):
    return _reduce(g, "ReduceMax" if rec.name == "MaxBackward1" else "ReduceMin", g.inp(0), None, False)


@register("MaxBackward0", "MinBackward0")
def _max_dim(g, rec):
    dim, keepdim = rec.params[:2]
    if rec.inputs[0]._data.ndim == 0:
        return [g.op("Identity", [g.inp(0)]), g.const(np.asarray(0, dtype=np.int64))]
    greater = rec.name == "MaxBackward0"
    vals = _reduce(g, "ReduceMax" if greater else "ReduceMin", g.inp(0), [int(dim)], keepdim)
    idx = g.op("ArgMax" if greater else "ArgMin", [g.inp(0)], axis=int(dim), keepdims=1 if keepdim else 0)
    return [vals, idx]


@register("ArgmaxBackward")
def _argmax(g, rec):
    dim, keepdim, greater = rec.params
    op = "ArgMax" if greater else "ArgMin"
    x = g.inp(0)
    nd = rec.inputs[0]._data.ndim
    if dim is None:
        flat = g.op("Reshape", [x, g.ints([-1])])
        r = g.op(op, [flat], axis=0, keepdims=0)
        if keepdim and nd:
            r = g.op("Reshape", [r, g.ints([1] * nd)])
        return r
    if nd == 0:
        return g.const(np.asarray(0, dtype=np.int64))
    return g.op(op, [x], axis=int(dim), keepdims=1 if keepdim else 0)


@register("LogsumexpBackward0")
def _logsumexp(g, rec):
    dims, keepdim = rec.params
    return _reduce(g, "ReduceLogSumExp", g.inp(0), _dims(rec), keepdim)


def _count(g, rec, dims):
    s1, s2 = g.shapes(rec.inputs[0])
    nd = len(s1)
    axes = range(nd) if dims is None else [d % nd for d in dims]
    n1 = int(np.prod([s1[a] for a in axes])) if nd else 1
    n2 = int(np.prod([s2[a] for a in axes])) if nd else 1
    if n1 != n2:
        raise _unsupported(rec, "the number of reduced elements follows the dynamic axes")
    return n1


@register("VarBackward0", "StdBackward0", "VarMeanBackward0", "StdMeanBackward0")
def _var(g, rec):
    dims, correction, keepdim = rec.params
    dims = _dims(rec)
    x = g.inp(0)
    n = _count(g, rec, dims)
    mean_k = _reduce(g, "ReduceMean", x, dims, True)
    xc = g.op("Sub", [x, mean_k])
    ss = _reduce(g, "ReduceSum", g.op("Mul", [xc, xc]), dims, keepdim)
    var = g.op("Div", [ss, _fx(g, rec, max(n - correction, 0))])
    out = g.op("Sqrt", [var]) if rec.name.startswith("Std") else var
    if rec.name.endswith("MeanBackward0"):
        return [out, _reduce(g, "ReduceMean", x, dims, keepdim)]
    return out


@register("LinalgVectorNormBackward0", "NormBackward1")
def _vector_norm(g, rec):
    p, dims, keepdim = rec.params
    dims = _dims(rec, 1)
    x = g.inp(0)
    if p == 2:
        return _reduce(g, "ReduceL2", x, dims, keepdim)
    if p == 1:
        return _reduce(g, "ReduceL1", x, dims, keepdim)
    if p == float("inf"):
        return _reduce(g, "ReduceMax", g.op("Abs", [x]), dims, keepdim)
    raise _unsupported(rec, f"p={p}")


@register("CumsumBackward0")
def _cumsum(g, rec):
    dim, np_dtype = rec.params
    x = g.inp(0)
    if _dt(rec.inputs[0]) != _dt(rec.outputs[0]):
        x = _cast(g, x, _dt(rec.outputs[0]))
    return g.op("CumSum", [x, g.const(np.asarray(int(dim), dtype=np.int64))])


@register("AllBackward0", "AnyBackward0")
def _all_any(g, rec):
    dims, keepdim, is_all = rec.params
    x = g.inp(0)
    if _dt(rec.inputs[0]) != np.bool_:
        x = _cast(g, x, np.bool_)
    x = _cast(g, x, np.int64)
    r = _reduce(g, "ReduceMin" if is_all else "ReduceMax", x, _dims(rec), keepdim)
    return _cast(g, r, np.bool_)


# -- convolution, pooling ---------------------------------------------------------------------------

@register("ConvolutionBackward0")
def _conv(g, rec):
    transposed, stride, pads, dilation, groups, out_shape = rec.params[0]
    w = rec.inputs[1]._data
    k = list(w.shape[2:])
    lo = [int(p[0]) for p in pads]
    hi = [int(p[1]) for p in pads]
    ins = [g.inp(i) for i in range(len(rec.inputs))]
    attrs = dict(kernel_shape=k, strides=[int(s) for s in stride], pads=lo + hi,
                 dilations=[int(d) for d in dilation], group=int(groups))
    if not transposed:
        return g.op("Conv", ins, **attrs)
    xs = rec.inputs[0]._data.shape
    op = []
    for i, (s, st, d, kk) in enumerate(zip(xs[2:], stride, dilation, k)):
        base = (s - 1) * st - (lo[i] + hi[i]) + d * (kk - 1) + 1
        op.append(int(out_shape[2 + i] - base))
    if any(op):
        attrs["output_padding"] = op
    return g.op("ConvTranspose", ins, **attrs)


def _batched_pool(g, rec, fn, nsp=2):
    """Run an N,C,spatial pooling node on an unbatched (C, *spatial) input by adding and removing the batch dim."""
    x = g.inp(0)
    if rec.inputs[0]._data.ndim == nsp + 1:
        return _squeeze(g, fn(_unsqueeze(g, x, [0])), [0])
    return fn(x)


@register("MaxPool2DWithIndicesBackward0", "MaxPool3DWithIndicesBackward0")
def _max_pool(g, rec):
    _kernel, (ksize, stride, pad, dil, osp) = rec.params
    nsp = len(ksize)
    sp = rec.inputs[0]._data.shape[-nsp:]
    floor = tuple(_pool_out(S, k, s, p, d, False) for S, k, s, p, d in zip(sp, ksize, stride, pad, dil))
    ceil = 0 if tuple(osp) == floor else 1
    attrs = dict(kernel_shape=list(ksize), strides=list(stride), pads=list(pad) * 2, dilations=list(dil),
                 ceil_mode=ceil)
    vals = _batched_pool(g, rec, lambda x: g.op("MaxPool", [x], **attrs), nsp)
    return [vals, None]


@register("AdaptiveMaxPool2DBackward0", "AdaptiveMaxPool3DBackward0")
def _adaptive_max_pool(g, rec):
    osz = tuple(rec.params[1])
    nsp = len(osz)
    sp = rec.inputs[0]._data.shape[-nsp:]
    if all(o == 1 for o in osz):
        return [_batched_pool(g, rec, lambda x: g.op("GlobalMaxPool", [x]), nsp), None]
    if any(S % o for S, o in zip(sp, osz)):
        raise _unsupported(rec, f"adaptive max pooling from {'x'.join(map(str, sp))} to {'x'.join(map(str, osz))} "
                                f"(sizes must divide)")
    k = [S // o for S, o in zip(sp, osz)]
    return [_batched_pool(g, rec, lambda x: g.op("MaxPool", [x], kernel_shape=k, strides=k), nsp), None]


def _tap_matrix(idx, w, S):
    """The dense (O, S) matrix of a separable tap set: out[o] = sum_t w[o, t] * x[idx[o, t]]."""
    O, T = idx.shape
    m = np.zeros((O, S + 1), dtype=np.float64)
    np.add.at(m, (np.repeat(np.arange(O), T), idx.reshape(-1)), np.asarray(w, dtype=np.float64).reshape(-1))
    return m[:, :S]


def _recover_avg_pool(taps, sizes):
    """Find (kernel, stride, pad, ceil_mode, count_include_pad) that reproduce the tap matrices exactly."""
    mats = [_tap_matrix(np.asarray(i), np.asarray(w), S) for (i, w), S in zip(taps, sizes)]
    found = []
    for (idx, _), S, M in zip(taps, sizes, mats):
        O, k = np.asarray(idx).shape
        cands = []
        for p in range(0, k // 2 + 1):
            for s in range(1, S + 2 * p + 1):
                for ceil in (False, True):
                    if _pool_out(S, k, s, p, 1, ceil) != O:
                        continue
                    for cip in (True, False):
                        ii, dd = _avg_taps(S, k, s, p, O, cip)
                        ww = np.where(ii == S, 0.0, (1.0 / dd)[:, None])
                        if np.allclose(_tap_matrix(ii, ww, S), M, rtol=1e-6, atol=1e-7):
                            cands.append((k, s, p, ceil, cip))
        found.append(cands)
    for combo in itertools.product(*found):
        if all(c[3] == combo[0][3] and c[4] == combo[0][4] for c in combo):
            return (tuple(c[0] for c in combo), tuple(c[1] for c in combo), tuple(c[2] for c in combo),
                    combo[0][3], combo[0][4])
    return None, mats


@register("AvgPool2DBackward0", "AdaptiveAvgPool2DBackward0", "AvgPool3DBackward0", "AdaptiveAvgPool3DBackward0")
def _avg_pool(g, rec):
    taps, nlead = rec.params
    taps = [(host(i), host(w)) for i, w in taps]
    sizes = rec.inputs[0]._data.shape[nlead:]
    dt = _dt(rec.inputs[0])
    if len(taps) in (2, 3):
        res = _recover_avg_pool(taps, sizes)
        if res[0] is not None:
            k, s, p, ceil, cip = res
            attrs = dict(kernel_shape=list(k), strides=list(s), pads=list(p) * 2, ceil_mode=1 if ceil else 0,
                         count_include_pad=1 if cip else 0)
            return _batched_pool(g, rec, lambda x: g.op("AveragePool", [x], **attrs), len(taps))
        mats = res[1]
    else:
        mats = [_tap_matrix(i, w, S) for (i, w), S in zip(taps, sizes)]
    # any separable average (adaptive sizes that do not divide, divisor_override): dense matmuls per axis
    x = g.inp(0)
    nd = rec.inputs[0]._data.ndim
    for ax_i, M in enumerate(mats):
        ax = nlead + ax_i
        if ax == nd - 1:
            x = g.op("MatMul", [x, g.const(M.T.astype(dt))])
        elif ax == nd - 2:
            x = g.op("MatMul", [g.const(M.astype(dt)), x])
        else:
            raise _unsupported(rec)
    return x


# -- normalization ----------------------------------------------------------------------------------

def _buffer_name(g, arr):
    """The initializer name of the parameter/buffer whose array arr is (or views)."""
    a = arr
    while isinstance(a, np.ndarray):
        n = g.array_names.get(id(a))
        if n is not None:
            return n
        a = a.base
    return None


@register("NativeBatchNormBackward0", "NativeLayerNormBackward0", "NativeGroupNormBackward0")
def _affine_norm(g, rec):
    has_w, has_b, stat_shape, axes, wshape, waxes, eps, fixed, _sink = rec.params[-1]
    x_t = rec.inputs[0]
    x = g.inp(0)
    dt = _dt(x_t)
    w = g.inp(1) if has_w else None
    b = g.inp(1 + has_w) if has_b else None
    if rec.name == "NativeBatchNormBackward0" and fixed is not None:
        c = x_t._data.shape[1]
        for t in rec.inputs:  # make sure parameters are registered before the buffer lookups
            g.name(t)
        mean_n = var_n = None
        mod = rec.module
        rm, rv = getattr(mod, "running_mean", None), getattr(mod, "running_var", None)
        if rm is not None and rv is not None and fixed[0].base is not None and \
                (fixed[0].base is rm._data or fixed[0] is rm._data):
            mean_n, var_n = g.name(rm), g.name(rv)
            if _dt(rm) != dt:
                mean_n, var_n = _cast(g, mean_n, dt), _cast(g, var_n, dt)
        if mean_n is None:
            mean = np.asarray(fixed[0]).reshape(c).astype(dt)
            inv = np.asarray(fixed[1], dtype=np.float64).reshape(c)
            mean_n = g.const(mean)
            var_n = g.const((1.0 / (inv * inv) - eps).astype(dt))
        w = w or g.const(np.ones(c, dtype=dt))
        b = b or g.const(np.zeros(c, dtype=dt))
        return g.op("BatchNormalization", [x, w, b, mean_n, var_n], epsilon=float(eps))
    if rec.name == "NativeLayerNormBackward0":
        ns = [int(s) for s in wshape]
        w = w or g.const(np.ones(ns, dtype=dt))
        args = [x, w] + ([b] if b else [])
        return g.op("LayerNormalization", args, axis=-len(ns), epsilon=float(eps))
    # batch statistics (group norm, batch norm without running stats): normalize a stat view
    if rec.name == "NativeGroupNormBackward0" and tuple(axes) == (2,) and len(stat_shape) == 3:
        G = int(stat_shape[1])
        xs = g.op("Reshape", [x, g.ints([0, G, -1])])
        y = g.op("InstanceNormalization", [xs, g.const(np.ones(G, dtype=dt)), g.const(np.zeros(G, dtype=dt))],
                 epsilon=float(eps))
    else:
        alt_cfg = g.alt_param(len(rec.params) - 1)
        xs = g.op("Reshape", [x, g.reshape_shape(x_t, stat_shape, alt_cfg[2])])
        mean = _reduce(g, "ReduceMean", xs, axes, True)
        xc = g.op("Sub", [xs, mean])
        var = _reduce(g, "ReduceMean", g.op("Mul", [xc, xc]), axes, True)
        y = g.op("Div", [xc, g.op("Sqrt", [g.op("Add", [var, g.const(np.asarray(eps, dtype=dt))])])])
    y = g.op("Reshape", [y, g.op("Shape", [x])])
    if w:
        y = g.op("Mul", [y, g.op("Reshape", [w, g.ints(list(wshape))])])
    if b:
        y = g.op("Add", [y, g.op("Reshape", [b, g.ints(list(wshape))])])
    return y


# -- losses (inference graphs sometimes end in one) ---------------------------------------------------

@register("MseLossBackward0")
def _mse(g, rec):
    reduction = rec.params[0]
    d = g.op("Sub", [g.inp(0), g.inp(1)])
    sq = g.op("Mul", [d, d])
    if reduction == "none":
        return sq
    return _reduce(g, "ReduceMean" if reduction == "mean" else "ReduceSum", sq, None, False)


# -- recurrent modules (recorded whole by the tracer: see _tracer.ModuleOp) -------------------------------

# gate blocks of torch's weights, in ONNX's order: LSTM torch (i, f, g, o) -> ONNX (i, o, f, c);
# GRU torch (r, z, n) -> ONNX (z, r, h)
_RNN_GATES = {"LSTM": (0, 3, 1, 2), "GRU": (1, 0, 2), "RNN_TANH": (0,), "RNN_RELU": (0,)}
_RNN_OP = {"LSTM": "LSTM", "GRU": "GRU", "RNN_TANH": "RNN", "RNN_RELU": "RNN"}


def _rnn_static(g, t):
    """True when tensor t's value is known at export time (a parameter, a constant, a folded result)."""
    if id(t) in g.input_ids or id(t) in g.varying:
        return False
    if id(t) in g.names:
        return g.names[id(t)] not in g.dynamic_values
    return id(t) in g.static or id(t) not in g.producer


def _rnn_stack(g, ts, gates, H, op_type):
    """ONNX W / R / B for one layer: each direction's tensor with its gate blocks reordered, stacked.

    ts: per direction, a list of tensors concatenated along axis 0 (B: [b_ih, b_hh])."""
    if g.fold and g.export_params and all(_rnn_static(g, t) for parts in ts for t in parts):
        arrs = []
        for parts in ts:
            blocks = []
            for t in parts:
                a = host(t._data)
                blocks += [a[k * H:(k + 1) * H] for k in gates]
            arrs.append(np.concatenate(blocks, 0))
        return g.const(np.ascontiguousarray(np.stack(arrs, 0)), name=g.fresh(f"onnx::{op_type}"))
    dirs = []
    for parts in ts:
        blocks = []
        for t in parts:
            x = g.name(t)
            blocks += [g.op("Slice", [x, g.ints([k * H]), g.ints([(k + 1) * H]), g.ints([0])]) for k in gates]
        d = blocks[0] if len(blocks) == 1 else g.op("Concat", blocks, axis=0)
        dirs.append(_unsqueeze(g, d, [0]))
    return dirs[0] if len(dirs) == 1 else g.op("Concat", dirs, axis=0)


def _rnn_state(g, t):
    """The value name of an initial state, or None for a constant all-zero one (ONNX's default)."""
    if (id(t) not in g.names and id(t) not in g.producer and id(t) not in g.input_ids
            and id(t) not in g.param_names and id(t) not in g.varying):
        a = host(t._data)
        if not a.any():
            return None
    return g.name(t)


@register("LSTM", "GRU", "RNN_TANH", "RNN_RELU", module="_tracer")
def _rnn_module(g, rec):
    """A whole nn.LSTM / nn.GRU / nn.RNN recurrence (time-major) as ONNX LSTM / GRU / RNN nodes, one per
    layer (both directions in one node, direction="bidirectional"), as torch.onnx exports it."""
    mod = rec.params[0]
    mode = rec.name
    op_type = _RNN_OP[mode]
    gates = _RNN_GATES[mode]
    H = mod.hidden_size
    L = mod.num_layers
    D = 2 if mod.bidirectional else 1
    lstm = mode == "LSTM"
    n_state = 2 if lstm else 1
    weights = rec.inputs[1 + n_state:]
    per = 4 if mod.bias else 2
    h0 = _rnn_state(g, rec.inputs[1])
    c0 = _rnn_state(g, rec.inputs[2]) if lstm else None
    attrs = {"hidden_size": H}
    if D == 2:
        attrs["direction"] = "bidirectional"
    if op_type == "RNN":
        attrs["activations"] = ["Tanh" if mode == "RNN_TANH" else "Relu"] * D
    if op_type == "GRU":
        attrs["linear_before_reset"] = 1

    def layer_state(s, layer):
        if s is None:
            return ""
        if L == 1:
            return s
        return g.op("Slice", [s, g.ints([layer * D]), g.ints([(layer + 1) * D]), g.ints([0])])

    x = g.inp(0)
    hs, cs = [], []
    for layer in range(L):
        ws = [weights[(layer * D + d) * per:(layer * D + d + 1) * per] for d in range(D)]
        W = _rnn_stack(g, [[w[0]] for w in ws], gates, H, op_type)
        R = _rnn_stack(g, [[w[1]] for w in ws], gates, H, op_type)
        B = _rnn_stack(g, [[w[2], w[3]] for w in ws], gates, H, op_type) if mod.bias else ""
        ins = [x, W, R, B, "", layer_state(h0, layer)]
        if lstm:
            ins.append(layer_state(c0, layer))
        while ins[-1] == "":
            ins.pop()
        outs = g.op(op_type, ins, n_out=3 if lstm else 2, **attrs)
        y = outs[0]  # (seq, num_directions, batch, hidden)
        if D == 1:
            x = _squeeze(g, y, [1])
        else:
            x = g.op("Reshape", [g.op("Transpose", [y], perm=[0, 2, 1, 3]), g.ints([0, 0, -1])])
        hs.append(outs[1])
        if lstm:
            cs.append(outs[2])
    h_n = hs[0] if L == 1 else g.op("Concat", hs, axis=0)
    if not lstm:
        return [x, h_n]
    c_n = cs[0] if L == 1 else g.op("Concat", cs, axis=0)
    return [x, h_n, c_n]
