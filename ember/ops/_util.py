"""Shared helpers for op definitions: dims, broadcasting, scalars, dtype checks."""
import numpy as np

import functools

from .. import _dtype
from ..autograd.graph import STATE
from .._tensor import Tensor, wrap


def wrap_dim(dim, ndim):
    """Normalise a possibly negative dim, raising torch's IndexError when out of range."""
    n = ndim if ndim > 0 else 1
    if not -n <= dim < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})")
    return dim % n if ndim > 0 else 0


def wrap_dims(dims, ndim):
    if dims is None:
        return tuple(range(ndim))
    if isinstance(dims, (int, np.integer)):
        dims = (int(dims),)
    out = tuple(wrap_dim(d, ndim) for d in dims)
    if len(set(out)) != len(out):
        raise RuntimeError(f"dim {out[0]} appears multiple times in the list of dims")
    return out


def broadcast_shapes(*shapes):
    """torch.broadcast_shapes, with torch's message on mismatch (checked from the last dim, as torch does)."""
    result = ()
    for shape in shapes:
        result = _broadcast_pair(result, tuple(shape))
    return result


def _broadcast_pair(a, b):
    ndim = max(len(a), len(b))
    out = [1] * ndim
    for i in range(ndim - 1, -1, -1):
        offset = ndim - 1 - i
        da = a[len(a) - 1 - offset] if offset < len(a) else 1
        db = b[len(b) - 1 - offset] if offset < len(b) else 1
        if da != db and da != 1 and db != 1:
            raise RuntimeError(
                f"The size of tensor a ({da}) must match the size of tensor b ({db}) at non-singleton "
                f"dimension {i}")
        out[i] = db if da == 1 else da
    return tuple(out)


def sum_to(g, shape):
    """Reduce a broadcast gradient back to `shape` (with ember ops, so it stays differentiable)."""
    gshape = g._data.shape
    if gshape == shape:
        return g
    lead = len(gshape) - len(shape)
    dims = tuple(range(lead)) + tuple(i + lead for i, s in enumerate(shape) if s == 1 and gshape[i + lead] != 1)
    if dims:
        g = g.sum(dims, keepdim=True)
    if lead:
        g = g.reshape(shape)
    return g


def grad_for(g, t_shape, t_dtype_np):
    """A gradient reduced to an input's shape and cast to its dtype."""
    g = sum_to(g, t_shape)
    if g._data.dtype != t_dtype_np:
        g = g.to(_dtype._from_np[t_dtype_np])
    return g


def const(value, np_dtype, like=None):
    """A constant (non-differentiable) 0-d tensor on like's device; integers wrap around as in torch."""
    try:
        arr = np.asarray(value, dtype=np_dtype)
    except OverflowError:  # e.g. -1 as uint8: torch wraps to 255
        arr = np.asarray(value).astype(np_dtype)
    if like is not None and like.__class__ is not np.ndarray:
        from .._device import xp_of
        return wrap(xp_of(like).asarray(arr))
    return wrap(arr)


def ensure_tensor(x, like=None):
    if isinstance(x, Tensor):
        return x
    from .creation import tensor
    return tensor(x, device=None if like is None else like.device)


def dtype_name(np_dtype):
    return _dtype._from_np[np_dtype]._short


def shape_str(shape):
    return "[" + ", ".join(str(s) for s in shape) + "]"


# -- out= -------------------------------------------------------------------------------------------

def write_out(result, out, name=None):
    """torch's out=: result written into out (resized with torch's warning, cast where torch casts);
    name, the op's, prefixes the autograd error as torch's does."""
    if out is None:
        return result
    if not isinstance(out, Tensor):
        raise TypeError(f"argument 'out' must be Tensor, not {type(out).__name__}")
    if STATE.grad_enabled and (result._requires_grad or out._requires_grad):
        raise RuntimeError(("" if name is None else f"{name}(): ") + "functions with out=... arguments don't "
                           "support automatic differentiation, but one of the arguments requires grad.")
    if out._data.shape != result._data.shape:
        if out._data.size:
            import warnings
            warnings.warn(f"An output with one or more elements was resized since it had shape "
                          f"{list(out._data.shape)}, which does not match the required output shape "
                          f"{list(result._data.shape)}. This behavior is deprecated, and in a future PyTorch "
                          f"release outputs will not be resized unless they have zero elements. You can "
                          f"explicitly reuse an out tensor t by resizing it, inplace, to zero elements with "
                          f"t.resize_(0).")
        out._data = result._data.astype(out._data.dtype)
    else:
        rd, od = _dtype._from_np[result._data.dtype], _dtype._from_np[out._data.dtype]
        if not _dtype.can_cast(rd, od):
            raise RuntimeError(f"result type {rd._short} can't be cast to the desired output type {od._short}")
        out._data[...] = result._data
    from ._dispatch import bump_version
    bump_version(out)
    return out


def with_out(fn):
    """fn (which computes its result only) with torch's out= added: out is a tensor, or a tuple of
    tensors for ops that return several (max(dim), sort, ...), and the op returns out."""
    @functools.wraps(fn)
    def op(*args, out=None, **kwargs):
        result = fn(*args, **kwargs)
        if out is None:
            return result
        if isinstance(result, tuple):
            if not isinstance(out, (tuple, list)) or len(out) != len(result):
                raise TypeError(f"{fn.__name__}(): argument 'out' must be tuple of {len(result)} Tensors")
            written = [write_out(r, o, fn.__name__) for r, o in zip(result, out)]
            return type(result)(written)  # the same named tuple (torch.return_types), or a tuple
        return write_out(result, out, fn.__name__)
    return op
