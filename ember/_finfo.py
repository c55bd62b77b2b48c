"""ember.iinfo / ember.finfo: the numeric limits of a dtype, with torch's fields and repr."""
import numpy as np

from . import _dtype


class iinfo:
    """Machine limits of an integer dtype: bits, min, max, dtype (a string, as in torch)."""
    __slots__ = ("bits", "min", "max", "dtype")

    def __init__(self, type):
        if not isinstance(type, _dtype.dtype):
            raise TypeError(f"iinfo(): argument 'type' (position 1) must be torch.dtype, not {type.__class__.__name__}")
        if type is _dtype.bool_:
            raise TypeError("ember.bool is not supported by ember.iinfo")
        if type.category != _dtype.INT:
            raise TypeError("ember.iinfo() requires an integer input type. Use ember.finfo to handle 'ember.iinfo'")
        info = np.iinfo(type.np)
        self.bits = int(info.bits)
        self.min = int(info.min)
        self.max = int(info.max)
        self.dtype = type.name

    def __repr__(self):
        return f"iinfo(min={self.min:g}, max={self.max:g}, dtype={self.dtype})"

    def __eq__(self, other):
        return isinstance(other, iinfo) and (self.bits, self.min, self.max, self.dtype) == \
            (other.bits, other.min, other.max, other.dtype)

    def __hash__(self):
        return hash((self.bits, self.min, self.max, self.dtype))


class finfo:
    """Machine limits of a floating dtype (complex dtypes describe their real part), like torch.finfo."""
    __slots__ = ("bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution", "dtype")

    def __init__(self, type=None):
        if type is None:
            type = _dtype.get_default_dtype()
        if not isinstance(type, _dtype.dtype):
            raise TypeError(f"finfo(): argument 'type' (position 1) must be torch.dtype, not {type.__class__.__name__}")
        if type.category not in (_dtype.FLOAT, _dtype.COMPLEX):
            raise TypeError("ember.finfo() requires a floating point input type. Use ember.iinfo to handle "
                            "'ember.finfo'")
        real = type.to_real()
        if real is _dtype.bfloat16:
            import ml_dtypes
            info = ml_dtypes.finfo(ml_dtypes.bfloat16)
        else:
            info = np.finfo(real.np)
        self.bits = int(info.bits)
        self.eps = float(info.eps)
        self.max = float(info.max)
        self.min = float(info.min)
        self.tiny = float(info.smallest_normal)
        self.smallest_normal = self.tiny
        self.resolution = float(10.0 ** -int(info.precision))
        self.dtype = real.name

    def __repr__(self):
        return (f"finfo(resolution={self.resolution:g}, min={self.min:g}, max={self.max:g}, eps={self.eps:g}, "
                f"smallest_normal={self.smallest_normal:g}, tiny={self.tiny:g}, dtype={self.dtype})")

    def __eq__(self, other):
        return isinstance(other, finfo) and self.dtype == other.dtype

    def __hash__(self):
        return hash(("finfo", self.dtype))
