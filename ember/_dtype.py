"""dtypes and torch's type-promotion rules.

NumPy's promotion differs from torch's (int64 + float32 -> float64 in NumPy,
float32 in torch; a Python float scalar never widens a tensor in torch), so the
result dtype of every op is decided here and NumPy is only told what to do.
"""
import builtins as _builtins

import numpy as np

# the module defines `float`, `int`, ... as dtypes, as torch does; keep the builtins at hand
_py_float, _py_int, _py_bool, _py_complex = _builtins.float, _builtins.int, _builtins.bool, _builtins.complex

try:  # bfloat16 needs ml_dtypes; everything else works without it
    import ml_dtypes as _ml_dtypes
    _np_bfloat16 = np.dtype(_ml_dtypes.bfloat16)
    HAS_BFLOAT16 = True
except ImportError:  # pragma: no cover - depends on the environment
    # A stand-in no real array ever has: comparisons with it are simply False (None would not do:
    # np.dtype(None) is float64). Asking for bfloat16 raises in to_dtype.
    _np_bfloat16 = np.dtype([("bfloat16_needs_ml_dtypes", np.uint16)])
    HAS_BFLOAT16 = False

# category ranks used by torch's promotion: bool < integral < floating < complex
BOOL, INT, FLOAT, COMPLEX = 0, 1, 2, 3


class dtype:
    __slots__ = ("name", "np", "category", "itemsize", "is_signed", "_short")

    def __init__(self, name, np_dtype, category, itemsize, is_signed, short):
        self.name = name
        self.np = np_dtype
        self.category = category
        self.itemsize = itemsize
        self.is_signed = is_signed
        self._short = short  # the "FloatTensor" stem used by Tensor.type()

    @property
    def is_floating_point(self):
        return self.category == FLOAT

    @property
    def is_complex(self):
        return self.category == COMPLEX

    def to_real(self):
        return {complex64: float32, complex128: float64}.get(self, self)

    def to_complex(self):
        return {float64: complex128, float16: complex64}.get(self, complex64) if self.category != COMPLEX else self

    def __repr__(self):
        return "ember." + self.name

    def __reduce__(self):
        return (getattr, (_module(), self.name))


def _module():
    import ember
    return ember


bool_ = dtype("bool", np.dtype(np.bool_), BOOL, 1, False, "Bool")
uint8 = dtype("uint8", np.dtype(np.uint8), INT, 1, False, "Byte")
int8 = dtype("int8", np.dtype(np.int8), INT, 1, True, "Char")
int16 = dtype("int16", np.dtype(np.int16), INT, 2, True, "Short")
int32 = dtype("int32", np.dtype(np.int32), INT, 4, True, "Int")
int64 = dtype("int64", np.dtype(np.int64), INT, 8, True, "Long")
float16 = dtype("float16", np.dtype(np.float16), FLOAT, 2, True, "Half")
bfloat16 = dtype("bfloat16", _np_bfloat16, FLOAT, 2, True, "BFloat16")
float32 = dtype("float32", np.dtype(np.float32), FLOAT, 4, True, "Float")
float64 = dtype("float64", np.dtype(np.float64), FLOAT, 8, True, "Double")
complex64 = dtype("complex64", np.dtype(np.complex64), COMPLEX, 8, True, "ComplexFloat")
complex128 = dtype("complex128", np.dtype(np.complex128), COMPLEX, 16, True, "ComplexDouble")

ALL = (bool_, uint8, int8, int16, int32, int64, float16, bfloat16, float32, float64, complex64, complex128)

# torch's aliases
half, float, double, short, int, long = float16, float32, float64, int16, int32, int64
cfloat, cdouble = complex64, complex128

_from_np = {d.np: d for d in ALL if d is not bfloat16 or HAS_BFLOAT16}

_default_float = float32


def from_numpy_dtype(np_dtype):
    """The ember dtype of a NumPy dtype; TypeError for dtypes torch has no twin of."""
    try:
        return _from_np[np_dtype]
    except KeyError:
        raise TypeError(
            f"can't convert np.ndarray of type numpy.{np_dtype.type.__name__}. The only supported types are: "
            "float64, float32, float16, complex64, complex128, int64, int32, int16, int8, uint8, and bool."
        ) from None


def to_dtype(d):
    """Accept an ember dtype, a NumPy dtype/type or a Python type and return an ember dtype."""
    if d.__class__ is dtype:
        if d is bfloat16 and not HAS_BFLOAT16:
            raise RuntimeError("ember.bfloat16 needs the ml_dtypes package: pip install 'ember[bfloat16]'")
        return d
    if d is None:
        return _default_float
    if d is _py_float:
        return float64
    if d is _py_int:
        return int64
    if d is _py_bool:
        return bool_
    if d is _py_complex:
        return complex128
    try:
        return from_numpy_dtype(np.dtype(d))
    except (TypeError, ValueError):
        raise TypeError(f"expected a dtype, got {d!r}") from None


def get_default_dtype():
    return _default_float


def set_default_dtype(d):
    global _default_float
    d = to_dtype(d)
    if d not in (float16, bfloat16, float32, float64):
        raise TypeError(f"only floating-point types are supported as the default type, got {d}")
    _default_float = d


def _promote_same_kind(a, b):
    """torch's promoteTypes for two concrete dtypes."""
    if a is b:
        return a
    if a is bool_:
        return b
    if b is bool_:
        return a
    if a.category != b.category:
        return a if a.category > b.category else b
    if {a, b} == {float16, bfloat16}:
        return float32
    if a is bfloat16 or b is bfloat16:
        other = b if a is bfloat16 else a
        return other if other.itemsize > 2 else float32
    return _from_np[np.promote_types(a.np, b.np)]


_PROMOTE = {(a, b): _promote_same_kind(a, b) for a in ALL for b in ALL}


def promote_types(a, b):
    return _PROMOTE[(a, b)]


def _combine_categories(higher, lower):
    # Mirrors c10's combine_categories: a lower-priority operand only matters
    # when it is of a higher category than the higher-priority result.
    if higher is None:
        return lower
    if lower is None:
        return higher
    if higher.category == COMPLEX:
        return higher
    if lower.category == COMPLEX:
        return higher.to_complex() if higher.category == FLOAT else lower
    if higher.category == FLOAT:
        return higher
    if higher is bool_ or lower.category == FLOAT:
        return promote_types(higher, lower)
    return higher


def scalar_dtype(value):
    """The dtype torch gives a Python scalar wrapped as a number."""
    if value.__class__ is _py_bool or isinstance(value, np.bool_):
        return bool_
    if isinstance(value, (_py_int, np.integer)):
        return int64
    if isinstance(value, (_py_float, np.floating)):
        return _default_float
    if isinstance(value, (_py_complex, np.complexfloating)):
        return complex128 if _default_float is float64 else complex64
    raise TypeError(f"unsupported scalar type {type(value).__name__}")


def result_type(*operands):
    """torch.result_type over tensors and Python scalars (any number of them)."""
    dim = zero = wrapped = None
    for x in operands:
        data = getattr(x, "_data", None)
        if data is None:
            d = scalar_dtype(x)
            wrapped = d if wrapped is None else promote_types(wrapped, d)
        else:
            d = _from_np[data.dtype]
            if data.ndim:
                dim = d if dim is None else promote_types(dim, d)
            else:
                zero = d if zero is None else promote_types(zero, d)
    return _combine_categories(dim, _combine_categories(zero, wrapped))


def can_cast(from_, to):
    """torch.can_cast: no cast to a lower category (float -> int, int -> bool, complex -> float)."""
    return from_.category <= to.category
