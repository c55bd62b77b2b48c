"""Ops that build new tensors from pieces: cat, stack, flip, roll, repeat, tril/triu, ..."""
import numpy as np

from .. import _dtype
from ..autograd.graph import Node
from .._tensor import Tensor, wrap
from ._dispatch import apply
from ._util import wrap_dim, shape_str


class CatBackward0(Node):
    __slots__ = ("dim", "sizes")

    def forward(self, *arrays_and_dim):
        *arrays, dim = arrays_and_dim
        self.dim = dim
        self.sizes = [a.shape[dim] if a.ndim else 0 for a in arrays]
        xp = np if arrays[0].__class__ is np.ndarray else __import__("cupy")
        arrays = [a for a in arrays if not (a.ndim == 1 and a.shape[0] == 0)] or arrays
        return xp.concatenate(arrays, axis=dim)

    def backward(self, g):
        out, start = [], 0
        for n in self.sizes:
            out.append(g.narrow(self.dim, start, n) if n or g.ndim > self.dim else None)
            start += n
        return tuple(out)


def _common(tensors, fn):
    if not isinstance(tensors, (list, tuple)):
        raise TypeError(f"{fn}(): argument 'tensors' (position 1) must be tuple of Tensors, not "
                        f"{type(tensors).__name__}")
    if not tensors:
        raise RuntimeError(f"{fn}(): expected a non-empty list of Tensors")
    tensors = list(tensors)
    d = _dtype.result_type(*tensors) if len(tensors) > 1 else tensors[0].dtype
    # cat promotes like a binary op but treats all operands as dim>0 tensors
    d = tensors[0].dtype
    for t in tensors[1:]:
        d = _dtype.promote_types(d, t.dtype)
    return [t if t._data.dtype == d.np else t.to(d) for t in tensors]


def cat(tensors, dim=0, *, out=None):
    tensors = _common(tensors, "cat")
    ref = next((t for t in tensors if not (t._data.ndim == 1 and t._data.shape[0] == 0)), tensors[0])
    nd = ref._data.ndim
    if nd == 0:
        raise RuntimeError("zero-dimensional tensor (at position 0) cannot be concatenated")
    dim = wrap_dim(dim, nd)
    for i, t in enumerate(tensors):
        if t._data.ndim == 1 and t._data.shape[0] == 0:
            continue
        if t._data.ndim != nd:
            raise RuntimeError(f"Tensors must have same number of dimensions: got {nd} and {t._data.ndim}")
        for d in range(nd):
            if d != dim and t._data.shape[d] != ref._data.shape[d]:
                raise RuntimeError(f"Sizes of tensors must match except in dimension {dim}. Expected size "
                                   f"{ref._data.shape[d]} but got size {t._data.shape[d]} for tensor number {i} "
                                   f"in the list.")
    return apply(CatBackward0, tuple(tensors), dim)


concat = concatenate = cat


def stack(tensors, dim=0, *, out=None):
    tensors = _common(tensors, "stack")
    shape = tensors[0]._data.shape
    for i, t in enumerate(tensors):
        if t._data.shape != shape:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got {shape_str(shape)} at entry 0 "
                               f"and {shape_str(t._data.shape)} at entry {i}")
    dim = wrap_dim(dim, len(shape) + 1)
    return cat([t.unsqueeze(dim) for t in tensors], dim)


def hstack(tensors):
    tensors = [t if t.ndim else t.reshape(1) for t in tensors]
    return cat(tensors, 0 if tensors[0].ndim == 1 else 1)


def vstack(tensors):
    return cat([t.reshape(1, -1) if t.ndim < 2 else t for t in tensors], 0)


def dstack(tensors):
    def atleast3(t):
        if t.ndim == 0:
            return t.reshape(1, 1, 1)
        if t.ndim == 1:
            return t.reshape(1, -1, 1)
        if t.ndim == 2:
            return t.unsqueeze(-1)
        return t
    return cat([atleast3(t) for t in tensors], 2)


row_stack = vstack


def column_stack(tensors):
    return cat([t.reshape(-1, 1) if t.ndim < 2 else t for t in tensors], 1)


__all__ = "cat concat concatenate stack hstack vstack dstack row_stack column_stack".split()
TENSOR_METHODS = ""
INPLACE = ""
