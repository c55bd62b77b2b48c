"""Reductions: sum, mean, ... (keepdim, dim tuples, dtype=) with torch's result dtypes."""
import numpy as np

from .. import _dtype
from ..autograd.graph import Node
from .._tensor import Tensor, wrap
from ._dispatch import apply
from ._util import wrap_dims


def _reduce_dims(self, dim):
    nd = self._data.ndim
    if dim is None or (isinstance(dim, (tuple, list)) and len(dim) == 0):
        return None
    return wrap_dims(dim, nd)


def _expand_back(g, in_shape, dims, keepdim):
    """Broadcast a reduced gradient back over the reduced dims."""
    if not keepdim and dims is not None:
        shape = list(g._data.shape)
        for d in sorted(dims):
            shape.insert(d, 1)
        g = g.reshape(tuple(shape))
    elif dims is None and not keepdim:
        g = g.reshape((1,) * len(in_shape))
    return g.expand(in_shape)


class SumBackward0(Node):
    __slots__ = ("in_shape", "dims", "keepdim")

    def forward(self, a, dims, keepdim, np_dtype):
        self.in_shape, self.dims, self.keepdim = a.shape, dims, keepdim
        return a.sum(axis=dims, keepdims=keepdim, dtype=np_dtype)

    def backward(self, g):
        return (_expand_back(g, self.in_shape, self.dims, self.keepdim),)


def _sum_dtype(self, dtype):
    if dtype is not None:
        return _dtype.to_dtype(dtype).np
    k = self._data.dtype.kind
    if k in "biu":
        return np.int64  # integer sums accumulate in int64, as in torch
    return None


def sum(input, dim=None, keepdim=False, *, dtype=None, out=None):
    if isinstance(dim, _dtype.dtype):
        dim, dtype = None, dim
    dims = _reduce_dims(input, dim)
    x = input
    if dtype is not None and x._data.dtype != _dtype.to_dtype(dtype).np:
        x = x.to(_dtype.to_dtype(dtype))
    return apply(SumBackward0, (x,), dims, keepdim, _sum_dtype(x, None))


class MeanBackward0(Node):
    __slots__ = ("in_shape", "dims", "keepdim", "count")

    def forward(self, a, dims, keepdim):
        self.in_shape, self.dims, self.keepdim = a.shape, dims, keepdim
        n = a.size if dims is None else int(np.prod([a.shape[d] for d in dims]))
        self.count = n
        return a.mean(axis=dims, keepdims=keepdim)

    def backward(self, g):
        return (_expand_back(g / self.count if self.count else g * float("nan"), self.in_shape, self.dims,
                             self.keepdim),)


def mean(input, dim=None, keepdim=False, *, dtype=None, out=None):
    if isinstance(dim, _dtype.dtype):
        dim, dtype = None, dim
    x = input
    if dtype is not None:
        x = x.to(_dtype.to_dtype(dtype))
    elif x._data.dtype.kind not in "fc" and x._data.dtype != _dtype.bfloat16.np:
        raise RuntimeError(
            "mean(): could not infer output dtype. Input dtype must be either a floating point or complex "
            f"dtype. Got: {x.dtype._short}")
    return apply(MeanBackward0, (x,), _reduce_dims(x, dim), keepdim)


__all__ = ["sum", "mean"]
TENSOR_METHODS = "sum mean"
INPLACE = ""
