"""Copies across dtypes and devices (differentiable), clone, contiguous, copy_."""
import numpy as np

from .. import _dtype
from .._device import device_of, move, to_device, xp_of, device as _device_cls
from .._tensor import Tensor, wrap
from ..autograd.graph import Node
from ._dispatch import apply, check_inplace_allowed, bump_version, commit_inplace


class ToCopyBackward0(Node):
    __slots__ = ("src_dtype", "src_device")

    def forward(self, a, np_dtype, dev):
        self.src_dtype = a.dtype
        self.src_device = device_of(a)
        out = a
        if dev is not None:
            out = move(out, dev)
        if np_dtype is not None and out.dtype != np_dtype:
            if out.dtype.kind == "c" and np_dtype.kind != "c":
                import warnings
                warnings.warn("Casting complex values to real discards the imaginary part")
                out = out.real
            out = out.astype(np_dtype)
        elif out is a:
            out = a.copy()
        return out

    def backward(self, g):
        return (g.to(device=self.src_device, dtype=_dtype._from_np[self.src_dtype]),)


def _parse_to(args, kwargs):
    dtype = kwargs.pop("dtype", None)
    device = kwargs.pop("device", None)
    copy = kwargs.pop("copy", False)
    kwargs.pop("non_blocking", None)
    kwargs.pop("memory_format", None)
    for a in args:
        if isinstance(a, _dtype.dtype):
            dtype = a
        elif isinstance(a, Tensor):
            dtype, device = a.dtype, a.device
        elif isinstance(a, (str, _device_cls, int)) and not isinstance(a, bool):
            device = a
        elif isinstance(a, bool):
            pass
        elif a is None:
            pass
        else:
            raise TypeError(f"to() received an invalid combination of arguments - got ({type(a).__name__})")
    if kwargs:
        raise TypeError(f"to() got an unexpected keyword argument '{next(iter(kwargs))}'")
    return (_dtype.to_dtype(dtype) if dtype is not None else None,
            to_device(device) if device is not None else None, copy)


def to(self, *args, **kwargs):
    dtype, dev, copy = _parse_to(args, kwargs)
    a = self._data
    same_dtype = dtype is None or a.dtype == dtype.np
    same_device = dev is None or device_of(a) == dev
    if same_dtype and same_device and not copy:
        return self
    return apply(ToCopyBackward0, (self,), None if same_dtype else dtype.np, None if same_device else dev)


def _caster(dt):
    def cast(self, memory_format=None):
        return to(self, dt)
    return cast


float_ = _caster(_dtype.float32)
double = _caster(_dtype.float64)
half = _caster(_dtype.float16)
bfloat16 = _caster(_dtype.bfloat16)
long = _caster(_dtype.int64)
int_ = _caster(_dtype.int32)
short = _caster(_dtype.int16)
char = _caster(_dtype.int8)
byte = _caster(_dtype.uint8)
bool_ = _caster(_dtype.bool_)
cfloat = _caster(_dtype.complex64)
cdouble = _caster(_dtype.complex128)


def cpu(self, memory_format=None):
    return to(self, "cpu")


def cuda(self, device=None, non_blocking=False, memory_format=None):
    if device is None:
        device = "cuda"
    elif isinstance(device, int):
        device = _device_cls("cuda", device)
    return to(self, device)


_TYPE_NAMES = {d: f"torch.{d._short}Tensor" for d in _dtype.ALL}


def type_(self, dtype=None, non_blocking=False):
    if dtype is None:
        name = _TYPE_NAMES[self.dtype]
        return name if self.is_cpu else name.replace("torch.", "torch.cuda.")
    if isinstance(dtype, str):
        for d, n in _TYPE_NAMES.items():
            if dtype in (n, n.replace("torch.", "ember.")):
                return to(self, d)
            if dtype in (n.replace("torch.", "torch.cuda."),):
                return to(self, "cuda", d)
        raise ValueError(f"invalid type: '{dtype}'")
    return to(self, dtype)


def type_as(self, other):
    return to(self, other.dtype, other.device)


class CloneBackward0(Node):
    __slots__ = ()

    def forward(self, a):
        return a.copy()

    def backward(self, g):
        return (g,)


def clone(self, *, memory_format=None):
    return apply(CloneBackward0, (self,))


def contiguous(self, memory_format=None):
    if self._data.flags.c_contiguous:
        return self
    return clone(self)


class CopyBackwards(Node):
    """self.copy_(src) seen as an op of (self, src): gradient flows only to src."""
    __slots__ = ("src_dtype", "src_device", "self_shape", "src_shape")
    CROSS_DEVICE = True  # as torch: a cuda parameter copies from a cpu checkpoint

    def forward(self, a, b):
        self.src_dtype, self.src_device = b.dtype, device_of(b)
        self.self_shape, self.src_shape = a.shape, b.shape
        b = move(b, device_of(a))
        out = xp_of(a).empty_like(a)
        try:
            out[...] = b
        except ValueError:
            from ._util import shape_str
            raise RuntimeError(f"The size of tensor a ({a.shape[-1] if a.ndim else 1}) must match the size of "
                               f"tensor b ({b.shape[-1] if b.ndim else 1}) at non-singleton dimension "
                               f"{max(a.ndim - 1, 0)}") from None
        return out

    def backward(self, g):
        from ._util import sum_to
        gsrc = sum_to(g, self.src_shape).to(device=self.src_device, dtype=_dtype._from_np[self.src_dtype])
        return (None, gsrc)


def copy_(self, src, non_blocking=False):
    if not isinstance(src, Tensor):
        raise TypeError(f"copy_(): argument 'other' (position 1) must be Tensor, not {type(src).__name__}")
    check_inplace_allowed(self)
    result = apply(CopyBackwards, (self, src))
    if result._data.dtype != self._data.dtype:
        result._data = result._data.astype(self._data.dtype)
    if not result._requires_grad:
        self._data[...] = result._data
        bump_version(self)
        return self
    return commit_inplace(self, result)


def view_as_dtype(self, dtype):
    dt = _dtype.to_dtype(dtype)
    return wrap(self._data.view(dt.np))


def new_tensor(self, data, dtype=None, device=None, requires_grad=False):
    from .creation import tensor
    return tensor(data, dtype=dtype or self.dtype, device=device or self.device, requires_grad=requires_grad)


def _new_fill(fn):
    def new(self, *size, dtype=None, device=None, requires_grad=False, **kw):
        return fn(*size, dtype=dtype or self.dtype, device=device or self.device, requires_grad=requires_grad)
    return new


def new_full(self, size, fill_value, dtype=None, device=None, requires_grad=False):
    from .creation import full
    return full(size, fill_value, dtype=dtype or self.dtype, device=device or self.device,
                requires_grad=requires_grad)


__all__ = ["clone"]
TENSOR_METHODS = """to cpu cuda type_as clone contiguous copy_ new_tensor new_full double half bfloat16 long short
    char byte cfloat cdouble"""
EXTRA_METHODS = {"float": float_, "int": int_, "bool": bool_, "type": type_}


def _bind_new():
    from . import creation
    for name in ("zeros", "ones", "empty"):
        EXTRA_METHODS["new_" + name] = _new_fill(getattr(creation, name))


_bind_new()
