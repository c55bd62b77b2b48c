"""Ops that build new tensors from pieces: cat, stack, flip, roll, repeat, tril/triu, diag, meshgrid, ...

Every node here is linear in its tensor inputs, so each backward is another op of this
module (flip's is flip, roll's is roll back, diag_embed's is a diagonal copy and the
other way round, ...) and double backward needs nothing extra.
"""
import itertools
import warnings

import numpy as np

from .. import _dtype
from .._device import xp_of as _xp
from ..autograd.graph import Node
from .._tensor import Tensor, wrap, Size
from ._dispatch import apply
from ._util import wrap_dim, wrap_dims, shape_str, sum_to, broadcast_shapes




def _ints(args, name="dims"):
    """Varargs or one sequence of ints (x.flip(0, 1) and x.flip([0, 1]))."""
    if len(args) == 1 and isinstance(args[0], (tuple, list, Size)):
        args = args[0]
    return tuple(int(a) for a in args)


def _tensor_list(tensors, fn):
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tensors[0]
    return list(tensors)


# -- cat / stack ---------------------------------------------------------------------------

def _is_legacy_empty(a):
    return a.ndim == 1 and a.shape[0] == 0


class CatBackward0(Node):
    __slots__ = ("dim", "sizes", "skipped")

    def forward(self, *arrays_and_dim):
        *arrays, dim = arrays_and_dim
        self.dim = dim
        self.skipped = tuple(_is_legacy_empty(a) for a in arrays)
        self.sizes = [0 if s else a.shape[dim] for a, s in zip(arrays, self.skipped)]
        kept = [a for a, s in zip(arrays, self.skipped) if not s] or arrays
        return _xp(arrays[0]).concatenate(kept, axis=dim)

    def backward(self, g):
        out, start = [], 0
        for n, skipped in zip(self.sizes, self.skipped):
            if skipped:  # torch's legacy rule: a 1-D empty tensor takes part in no dimension
                from .creation import zeros
                out.append(zeros(0, dtype=g.dtype, device=g.device))
            else:
                out.append(g.narrow(self.dim, start, n))
            start += n
        return tuple(out)


def _common(tensors, fn):
    """The tensors of a cat/stack, cast to their promoted dtype (torch's rule for cat)."""
    if isinstance(tensors, Tensor) or not isinstance(tensors, (list, tuple)):
        raise TypeError(f"{fn}(): argument 'tensors' (position 1) must be tuple of Tensors, not "
                        f"{type(tensors).__name__}")
    if not tensors:
        if fn == "cat":
            raise ValueError("torch.cat(): expected a non-empty list of Tensors")
        raise RuntimeError(f"{fn} expects a non-empty TensorList")
    tensors = list(tensors)
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"expected Tensor as element {i} in argument 0, but got {type(t).__name__}")
    d = tensors[0].dtype
    for t in tensors[1:]:
        if t.dtype is not d:
            d = _dtype.promote_types(d, t.dtype)
    return [t if t._data.dtype == d.np else t.to(d) for t in tensors]


def cat(tensors, dim=0, *, out=None):
    tensors = _common(tensors, "cat")
    ref = next((t for t in tensors if not _is_legacy_empty(t._data)), tensors[0])
    nd = ref._data.ndim
    for i, t in enumerate(tensors):
        if t._data.ndim == 0:
            raise RuntimeError(f"zero-dimensional tensor (at position {i}) cannot be concatenated")
    dim = wrap_dim(dim, nd)
    rshape = ref._data.shape
    for i, t in enumerate(tensors):
        s = t._data.shape
        if s == rshape or _is_legacy_empty(t._data):
            continue
        if len(s) != nd:
            raise RuntimeError(f"Tensors must have same number of dimensions: got {nd} and {len(s)}")
        for d in range(nd):
            if d != dim and s[d] != rshape[d]:
                raise RuntimeError(f"Sizes of tensors must match except in dimension {dim}. Expected size "
                                   f"{rshape[d]} but got size {s[d]} for tensor number {i} in the list.")
    return apply(CatBackward0, tuple(tensors), dim)


concat = concatenate = cat


class StackBackward0(Node):
    __slots__ = ("dim", "n")

    def forward(self, *arrays_and_dim):
        *arrays, dim = arrays_and_dim
        self.dim, self.n = dim, len(arrays)
        return _xp(arrays[0]).stack(arrays, axis=dim)

    def backward(self, g):
        return tuple(g.select(self.dim, i) for i in range(self.n))


def stack(tensors, dim=0, *, out=None):
    tensors = _common(tensors, "stack")
    shape = tensors[0]._data.shape
    for i, t in enumerate(tensors):
        if t._data.shape != shape:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got {shape_str(shape)} at entry 0 "
                               f"and {shape_str(t._data.shape)} at entry {i}")
    dim = wrap_dim(dim, len(shape) + 1)
    return apply(StackBackward0, tuple(tensors), dim)


def _check_list(tensors, fn):
    if isinstance(tensors, Tensor) or not isinstance(tensors, (list, tuple)):
        raise TypeError(f"{fn}(): argument 'tensors' (position 1) must be tuple of Tensors, not "
                        f"{type(tensors).__name__}")
    if not tensors:
        raise RuntimeError(f"{fn} expects a non-empty TensorList")
    return list(tensors)


def hstack(tensors, *, out=None):
    tensors = [atleast_1d(t) for t in _check_list(tensors, "hstack")]
    return cat(tensors, 0 if tensors[0]._data.ndim == 1 else 1)


def vstack(tensors, *, out=None):
    return cat([atleast_2d(t) for t in _check_list(tensors, "vstack")], 0)


row_stack = vstack


def dstack(tensors, *, out=None):
    return cat([atleast_3d(t) for t in _check_list(tensors, "dstack")], 2)


def column_stack(tensors, *, out=None):
    tensors = _check_list(tensors, "column_stack")
    return cat([t.reshape(t.numel(), 1) if t._data.ndim < 2 else t for t in tensors], 1)


def atleast_1d(*tensors):
    if len(tensors) == 1 and isinstance(tensors[0], Tensor):
        t = tensors[0]
        return t.reshape(1) if t._data.ndim == 0 else t
    return tuple(atleast_1d(t) for t in _tensor_list(tensors, "atleast_1d"))


def atleast_2d(*tensors):
    if len(tensors) == 1 and isinstance(tensors[0], Tensor):
        t = tensors[0]
        nd = t._data.ndim
        if nd == 0:
            return t.reshape(1, 1)
        return t.unsqueeze(0) if nd == 1 else t
    return tuple(atleast_2d(t) for t in _tensor_list(tensors, "atleast_2d"))


def atleast_3d(*tensors):
    if len(tensors) == 1 and isinstance(tensors[0], Tensor):
        t = tensors[0]
        nd = t._data.ndim
        if nd == 0:
            return t.reshape(1, 1, 1)
        if nd == 1:
            return t.unsqueeze(0).unsqueeze(-1)
        return t.unsqueeze(-1) if nd == 2 else t
    return tuple(atleast_3d(t) for t in _tensor_list(tensors, "atleast_3d"))


# -- flip / roll / rot90 -------------------------------------------------------------------

class FlipBackward0(Node):
    __slots__ = ("dims",)

    def forward(self, a, dims):
        self.dims = dims
        if not dims:
            return a.copy()
        return a[tuple(slice(None, None, -1) if i in dims else slice(None) for i in range(a.ndim))].copy()

    def backward(self, g):
        return (apply(FlipBackward0, (g,), self.dims),)


def flip(input, *dims):
    return apply(FlipBackward0, (input,), wrap_dims(_ints(dims), input._data.ndim))


def fliplr(input):
    if input._data.ndim < 2:
        raise RuntimeError("Input must be >= 2-d.")
    return apply(FlipBackward0, (input,), (1,))


def flipud(input):
    if input._data.ndim < 1:
        raise RuntimeError("Input must be >= 1-d.")
    return apply(FlipBackward0, (input,), (0,))


class RollBackward0(Node):
    __slots__ = ("shifts", "dims")

    def forward(self, a, shifts, dims):
        self.shifts, self.dims = shifts, dims
        xp = _xp(a)
        if dims is None:
            return xp.roll(a, shifts[0])
        return xp.roll(a, shifts, axis=dims)

    def backward(self, g):
        return (apply(RollBackward0, (g,), tuple(-s for s in self.shifts), self.dims),)


def roll(input, shifts, dims=None):
    shifts = (int(shifts),) if isinstance(shifts, (int, np.integer)) else tuple(int(s) for s in shifts)
    if dims is None:
        if len(shifts) != 1:
            raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, dims:0")
        return apply(RollBackward0, (input,), shifts, None)
    dims = (int(dims),) if isinstance(dims, (int, np.integer)) else tuple(int(d) for d in dims)
    if len(shifts) != len(dims):
        raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, dims:{len(dims)}")
    nd = input._data.ndim
    return apply(RollBackward0, (input,), shifts, tuple(wrap_dim(d, nd) for d in dims))


class Rot90Backward0(Node):
    __slots__ = ("k", "dims")

    def forward(self, a, k, dims):
        self.k, self.dims = k, dims
        return _xp(a).ascontiguousarray(_xp(a).rot90(a, k, axes=dims))

    def backward(self, g):
        return (apply(Rot90Backward0, (g,), (-self.k) % 4, self.dims),)


def rot90(input, k=1, dims=(0, 1)):
    dims = tuple(dims)
    nd = input._data.ndim
    if len(dims) != 2:
        raise RuntimeError(f"expected total rotation dims == 2, but got dims = {len(dims)}")
    if nd < 2:
        raise RuntimeError(f"expected total dims >= 2, but got total dims = {nd}")
    r0, r1 = dims
    d0, d1 = wrap_dim(r0, nd) if r0 != r1 else r0, wrap_dim(r1, nd) if r0 != r1 else r1
    if d0 == d1:
        raise RuntimeError(f"expected rotation dims to be different, but got dim0 = {r0} and dim1 = {r1}")
    return apply(Rot90Backward0, (input,), int(k) % 4, (d0, d1))


# -- repeat / tile / repeat_interleave ------------------------------------------------------

class RepeatBackward0(Node):
    __slots__ = ("in_shape", "reps")

    def forward(self, a, reps):
        self.in_shape, self.reps = a.shape, reps
        return _xp(a).tile(a, reps)

    def backward(self, g):
        padded = (1,) * (len(self.reps) - len(self.in_shape)) + tuple(self.in_shape)
        split = []
        for r, s in zip(self.reps, padded):
            split += [r, s]
        g = g.reshape(tuple(split)).sum(tuple(range(0, len(split), 2)))
        return (g.reshape(self.in_shape),)


def repeat(self, *sizes):
    reps = _ints(sizes)
    shape = self._data.shape
    if len(reps) < len(shape):
        raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number of dimensions of "
                           "tensor")
    padded = (1,) * (len(reps) - len(shape)) + tuple(shape)
    out = [r * s for r, s in zip(reps, padded)]
    for r in reps:
        if r < 0:
            bad = next(o for o in out if o < 0) if any(o < 0 for o in out) else r
            raise RuntimeError(f"Trying to create tensor with negative dimension {bad}: {shape_str(out)}")
    return apply(RepeatBackward0, (self,), reps)


def tile(input, *dims):
    reps = _ints(dims)
    nd = input._data.ndim
    if len(reps) < nd:
        reps = (1,) * (nd - len(reps)) + reps
    return repeat(input, reps)


def _segment_sum(xp, g, reps, dim):
    """Sum consecutive runs of g along dim, run i of length reps[i] (the adjoint of np.repeat)."""
    n = len(reps)
    out_shape = g.shape[:dim] + (n,) + g.shape[dim + 1:]
    if g.shape[dim] == 0 or n == 0:
        return xp.zeros(out_shape, dtype=g.dtype)
    nz = reps > 0
    starts = xp.cumsum(reps) - reps
    if xp is np:
        sums = np.add.reduceat(g, starts[nz], axis=dim)
    else:  # pragma: no cover - CuPy: a segment id per element, then one scatter-add
        import cupyx
        ids = xp.repeat(xp.arange(n), reps)
        gm = xp.moveaxis(g, dim, 0)
        acc = xp.zeros((n,) + gm.shape[1:], dtype=g.dtype)
        cupyx.scatter_add(acc, ids, gm)
        return xp.moveaxis(acc, 0, dim)
    if nz.all():
        return sums
    out = xp.zeros(out_shape, dtype=g.dtype)
    out[(slice(None),) * dim + (nz,)] = sums
    return out


class IndexSelectBackward0(Node):
    """repeat_interleave with a tensor of repeats: np.repeat along dim (torch: index_select)."""
    __slots__ = ("reps", "dim")

    def forward(self, a, reps, dim):
        self.reps, self.dim = reps, dim
        return _xp(a).repeat(a, reps, axis=dim)

    def backward(self, g):
        return (apply(IndexAddBackward0, (g,), self.reps, self.dim),)


class IndexAddBackward0(Node):
    """The adjoint of IndexSelectBackward0: segment sums along dim."""
    __slots__ = ("reps", "dim")

    def forward(self, g, reps, dim):
        self.reps, self.dim = reps, dim
        return _segment_sum(_xp(g), g, reps, dim)

    def backward(self, gg):
        return (apply(IndexSelectBackward0, (gg,), self.reps, self.dim),)


def repeat_interleave(input, repeats=None, dim=None, *, output_size=None):
    if repeats is None:  # torch.repeat_interleave(repeats): each index i repeated repeats[i] times
        reps = _check_repeats(input)
        xp = _xp(input._data)
        out = xp.repeat(xp.arange(len(reps), dtype=input._data.dtype), reps)
        return wrap(out)
    if isinstance(repeats, Tensor) and repeats._data.ndim == 0:
        repeats = repeats
    if dim is None:
        input = input.flatten()
        dim = 0
    nd = input._data.ndim
    dim = wrap_dim(dim, nd)
    size = input._data.shape[dim] if nd else 1
    if not isinstance(repeats, Tensor):
        r = int(repeats)
        if r < 0:
            raise RuntimeError("Repeats must be non-negative")
        if output_size is not None and output_size != size * r:
            raise RuntimeError("allocated size does not match required size")
        if nd == 0:
            input, dim = input.reshape(1), 0
        shape = input._data.shape
        x = input.unsqueeze(dim + 1).expand(shape[:dim + 1] + (r,) + shape[dim + 1:])
        return x.clone().reshape(shape[:dim] + (shape[dim] * r,) + shape[dim + 1:])
    reps = _check_repeats(repeats)
    if reps.shape[0] == 1 and size != 1:
        reps = _xp(reps).full(size, reps[0], dtype=reps.dtype)
    if reps.shape[0] != size:
        raise RuntimeError(f"repeats must have the same size as input along dim, but got repeats.size(0) = "
                           f"{reps.shape[0]} and input.size({dim}) = {size}")
    if output_size is not None and output_size != int(reps.sum()):
        raise RuntimeError("allocated size does not match required size")
    if nd == 0:
        input = input.reshape(1)
    return apply(IndexSelectBackward0, (input,), reps, dim)


def _check_repeats(repeats):
    r = repeats._data
    if r.ndim > 1:
        raise RuntimeError("repeats must be 0-dim or 1-dim tensor")
    if r.dtype.kind not in "iu":
        raise NotImplementedError(f"\"repeat_interleave_cpu\" not implemented for '{repeats.dtype._short}'")
    r = r.reshape(-1)
    if r.size and (r < 0).any():
        raise RuntimeError("repeats can not be negative")
    return r.astype(np.int64, copy=False)


# -- triangles, diagonals, trace -----------------------------------------------------------

class TrilBackward0(Node):
    __slots__ = ("k",)

    def forward(self, a, k):
        self.k = k
        return _xp(a).tril(a, k)

    def backward(self, g):
        return (apply(TrilBackward0, (g,), self.k),)


class TriuBackward0(Node):
    __slots__ = ("k",)

    def forward(self, a, k):
        self.k = k
        return _xp(a).triu(a, k)

    def backward(self, g):
        return (apply(TriuBackward0, (g,), self.k),)


def tril(input, diagonal=0, *, out=None):
    if input._data.ndim < 2:
        raise RuntimeError("tril: input tensor must have at least 2 dimensions")
    return apply(TrilBackward0, (input,), int(diagonal))


def triu(input, diagonal=0, *, out=None):
    if input._data.ndim < 2:
        raise RuntimeError("triu: input tensor must have at least 2 dimensions")
    return apply(TriuBackward0, (input,), int(diagonal))


def _tri_indices(fn, row, col, offset, dtype, device):
    if row < 0:
        raise RuntimeError(f"row must be non-negative, got{row}")
    if col < 0:
        raise RuntimeError(f"col must be non-negative, got{col}")
    r, c = fn(row, offset, col)
    from .creation import tensor
    return tensor(np.stack([r, c]).astype(np.int64).reshape(2, -1),
                  dtype=_dtype.int64 if dtype is None else dtype, device=device)


def tril_indices(row, col, offset=0, *, dtype=None, device=None, layout=None):
    return _tri_indices(np.tril_indices, row, col, offset, dtype, device)


def triu_indices(row, col, offset=0, *, dtype=None, device=None, layout=None):
    return _tri_indices(np.triu_indices, row, col, offset, dtype, device)


def _embed(a, offset, dim1, dim2, rows, cols):
    """A zero array whose (dim1, dim2) planes carry a's last dim on diagonal `offset`;
    the planes are rows x cols and the other dims are a's leading dims, in order."""
    xp = _xp(a)
    batch, m = a.shape[:-1], a.shape[-1]
    tmp = xp.zeros(batch + (rows, cols), dtype=a.dtype)
    i = xp.arange(m)
    tmp[..., i + max(-offset, 0), i + max(offset, 0)] = a
    return xp.ascontiguousarray(xp.moveaxis(tmp, (-2, -1), (dim1, dim2)))


class DiagEmbedBackward0(Node):
    __slots__ = ("offset", "dim1", "dim2")

    def forward(self, a, offset, dim1, dim2, rows, cols):
        self.offset, self.dim1, self.dim2 = offset, dim1, dim2
        return _embed(a, offset, dim1, dim2, rows, cols)

    def backward(self, g):
        return (apply(DiagonalBackward0_copy, (g,), self.offset, self.dim1, self.dim2),)


class DiagonalBackward0_copy(Node):
    """torch.diagonal, as a copy (what torch.diag does for a matrix)."""
    __slots__ = ("offset", "dim1", "dim2", "rows", "cols")

    def forward(self, a, offset, dim1, dim2):
        self.offset, self.dim1, self.dim2 = offset, dim1, dim2
        self.rows, self.cols = a.shape[dim1], a.shape[dim2]
        return _xp(a).diagonal(a, offset, dim1, dim2).copy()

    def backward(self, g):
        return (apply(DiagEmbedBackward0, (g,), self.offset, self.dim1, self.dim2, self.rows, self.cols),)


def diag_embed(input, offset=0, dim1=-2, dim2=-1):
    nd = input._data.ndim + 1
    d1, d2 = wrap_dim(dim1, nd), wrap_dim(dim2, nd)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    n = (input._data.shape[-1] if input._data.ndim else 1) + abs(offset)
    x = input if input._data.ndim else input.reshape(1)
    return apply(DiagEmbedBackward0, (x,), int(offset), d1, d2, n, n)


def diag(input, diagonal=0, *, out=None):
    nd = input._data.ndim
    if nd == 1:
        n = input._data.shape[0] + abs(diagonal)
        return apply(DiagEmbedBackward0, (input,), int(diagonal), 0, 1, n, n)
    if nd == 2:
        return apply(DiagonalBackward0_copy, (input,), int(diagonal), 0, 1)
    raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {nd}D")


def diagflat(input, offset=0):
    return diag(input.reshape(-1), offset)


class TraceBackward0(Node):
    __slots__ = ("shape",)

    def forward(self, a):
        self.shape = a.shape
        xp = _xp(a)
        if a.dtype == np.bool_:
            raise NotImplementedError("\"trace\" not implemented for 'Bool'")
        return xp.asarray(xp.trace(a, dtype=np.int64 if a.dtype.kind in "biu" else a.dtype))

    def backward(self, g):
        xp = _xp(g._data)
        return (g * wrap(xp.eye(*self.shape, dtype=g._data.dtype)),)


def trace(input):
    if input._data.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {input._data.ndim}")
    return apply(TraceBackward0, (input,))


# -- grids, broadcasting, block_diag, cross, kron, products ---------------------------------

def meshgrid(*tensors, indexing=None):
    tensors = _tensor_list(tensors, "meshgrid")
    if not tensors:
        raise RuntimeError("meshgrid expects a non-empty TensorList")
    if indexing is None:
        warnings.warn("torch.meshgrid: in an upcoming release, it will be required to pass the indexing "
                      "argument.", UserWarning, stacklevel=2)
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise RuntimeError(f'torch.meshgrid: indexing must be one of "xy" or "ij", but received: {indexing}')
    for t in tensors:
        if t._data.ndim > 1:
            raise RuntimeError(f"torch.meshgrid: Expected 0D or 1D tensor in the tensor list but got: {t}")
    for t in tensors[1:]:
        if t.dtype is not tensors[0].dtype:
            raise RuntimeError("meshgrid expects all tensors to have the same dtype")
        if t.device != tensors[0].device:
            raise RuntimeError("meshgrid expects all tensors to have the same device")
    n = len(tensors)
    sizes = [t.numel() for t in tensors]
    pos = list(range(n))
    if indexing == "xy" and n >= 2:
        pos[0], pos[1] = 1, 0
    shape = [0] * n
    for i, p in enumerate(pos):
        shape[p] = sizes[i]
    shape = tuple(shape)
    out = []
    for t, p in zip(tensors, pos):
        view = [1] * n
        view[p] = -1
        out.append(t.reshape(tuple(view)).expand(shape))
    return tuple(out)


def broadcast_tensors(*tensors):
    tensors = _tensor_list(tensors, "broadcast_tensors")
    shape = broadcast_shapes(*(t._data.shape for t in tensors))
    return tuple(t.expand(shape) for t in tensors)


class BlockDiagBackward0(Node):
    __slots__ = ("shapes", "offsets")

    def forward(self, *arrays):
        xp = _xp(arrays[0])
        self.shapes = [a.shape for a in arrays]
        mats = [a.reshape(1, -1) if a.ndim < 2 else a for a in arrays]
        rows = sum(m.shape[0] for m in mats)
        cols = sum(m.shape[1] for m in mats)
        out = xp.zeros((rows, cols), dtype=arrays[0].dtype)
        r = c = 0
        self.offsets = []
        for m in mats:
            h, w = m.shape
            out[r:r + h, c:c + w] = m
            self.offsets.append((r, c, h, w))
            r += h
            c += w
        return out

    def backward(self, g):
        out = []
        for (r, c, h, w), s in zip(self.offsets, self.shapes):
            out.append(g[r:r + h, c:c + w].reshape(s))
        return tuple(out)


def block_diag(*tensors):
    tensors = _tensor_list(tensors, "block_diag")
    for i, t in enumerate(tensors):
        if t._data.ndim > 2:
            raise RuntimeError(f"torch.block_diag: Input tensors must have 2 or fewer dimensions. Input {i} has "
                               f"{t._data.ndim} dimensions")
    if not tensors:
        from .creation import empty
        return empty(1, 0)
    d = tensors[0].dtype
    for t in tensors[1:]:
        d = _dtype.promote_types(d, t.dtype)
    tensors = [t if t.dtype is d else t.to(d) for t in tensors]
    return apply(BlockDiagBackward0, tuple(tensors))


class LinalgCrossBackward0(Node):
    __slots__ = ("dim", "sa", "sb")
    SAVES_INPUTS = True

    def forward(self, a, b, dim):
        self.dim, self.sa, self.sb = dim, a.shape, b.shape
        return _xp(a).cross(a, b, axis=dim)

    def backward(self, g):
        a, b = self.inputs
        e = self.next_edges
        ga = gb = None
        if e[0] is not None:
            ga = sum_to(apply(LinalgCrossBackward0, (b, g), self.dim), self.sa)
        if e[1] is not None:
            gb = sum_to(apply(LinalgCrossBackward0, (g, a), self.dim), self.sb)
        return ga, gb


def linalg_cross(input, other, *, dim=-1, out=None):
    """torch.linalg.cross: broadcasting cross product over dim (default the last)."""
    if input._data.ndim != other._data.ndim:
        raise RuntimeError("linalg.cross: inputs must have the same number of dimensions.")
    if input._data.dtype != other._data.dtype:
        raise RuntimeError(f"expected scalar type {input.dtype._short} but found {other.dtype._short}")
    nd = input._data.ndim
    d = wrap_dim(dim, nd)
    sa, sb = input._data.shape[d], other._data.shape[d]
    if sa != 3 or sb != 3:
        raise RuntimeError(f"linalg.cross: inputs dimension {dim} must have length 3. Got {sa} and {sb}")
    broadcast_shapes(input._data.shape, other._data.shape)
    return apply(LinalgCrossBackward0, (input, other), d)


def cross(input, other, dim=None, *, out=None):
    if dim is None:
        warnings.warn("Using torch.cross without specifying the dim arg is deprecated.\nPlease either pass the dim "
                      "explicitly or simply use torch.linalg.cross.\nThe default value of dim will change to agree "
                      "with that of linalg.cross in a future release.", UserWarning, stacklevel=2)
        shape = broadcast_shapes(input._data.shape, other._data.shape)
        dim = next((i for i, s in enumerate(shape) if s == 3), None)
        if dim is None:
            raise RuntimeError(f"no dimension of size 3 in input")
    return linalg_cross(input, other, dim=dim)


def kron(input, other, *, out=None):
    nd = max(input._data.ndim, other._data.ndim)
    sa = (1,) * (nd - input._data.ndim) + tuple(input._data.shape)
    sb = (1,) * (nd - other._data.ndim) + tuple(other._data.shape)
    a = input.reshape(tuple(x for s in sa for x in (s, 1)))
    b = other.reshape(tuple(x for s in sb for x in (1, s)))
    return (a * b).reshape(tuple(x * y for x, y in zip(sa, sb)))


def _check_1d(t):
    if t._data.ndim != 1:
        raise RuntimeError(f"Expect a 1D vector, but got shape {shape_str(t._data.shape)}")


def cartesian_prod(*tensors):
    tensors = _tensor_list(tensors, "cartesian_prod")
    for t in tensors:
        _check_1d(t)
    if len(tensors) == 1:
        return tensors[0]
    grids = meshgrid(*tensors, indexing="ij")
    return stack([g.reshape(-1) for g in grids], 1)


class IndexBackward0(Node):
    """x[idx] for a 1-D x and an integer index array (a gather)."""
    __slots__ = ("idx", "n")

    def forward(self, a, idx):
        self.idx, self.n = idx, a.shape[0]
        return a[idx]

    def backward(self, g):
        return (apply(_IndexPut1d, (g,), self.idx, self.n),)


class _IndexPut1d(Node):
    """The adjoint of IndexBackward0: scatter-add g into n slots."""
    __slots__ = ("idx",)

    def forward(self, g, idx, n):
        self.idx = idx
        xp = _xp(g)
        if g.dtype.kind == "c" or xp is not np:
            out = xp.zeros(n, dtype=g.dtype)
            if xp is np:
                np.add.at(out, idx, g)
            else:  # pragma: no cover
                import cupyx
                cupyx.scatter_add(out, idx, g)
            return out
        return np.bincount(idx, weights=g, minlength=n).astype(g.dtype, copy=False)

    def backward(self, gg):
        return (apply(IndexBackward0, (gg,), self.idx),)


def combinations(input, r=2, with_replacement=False):
    _check_1d(input)
    n = input._data.shape[0]
    if r < 0:
        raise RuntimeError(f"Expect a non-negative number, but got {r}")
    if r == 0:
        from .creation import empty
        return empty(0, dtype=input.dtype, device=input.device)
    gen = itertools.combinations_with_replacement if with_replacement else itertools.combinations
    idx = np.array(list(gen(range(n), r)), dtype=np.int64).reshape(-1, r)
    if idx.shape[0] == 0:
        from .creation import empty
        return empty(0, r, dtype=input.dtype, device=input.device)
    xp = _xp(input._data)
    cols = [apply(IndexBackward0, (input,), xp.asarray(idx[:, k])) for k in range(r)]
    return stack(cols, 1)


__all__ = """cat concat concatenate stack hstack vstack dstack row_stack column_stack atleast_1d atleast_2d
    atleast_3d flip fliplr flipud roll rot90 tile repeat_interleave tril triu tril_indices triu_indices diag
    diag_embed diagflat trace meshgrid broadcast_tensors block_diag cross kron cartesian_prod
    combinations""".split()
TENSOR_METHODS = """flip fliplr flipud roll rot90 repeat tile repeat_interleave tril triu diag diag_embed diagflat
    trace cross kron"""
INPLACE = "tril triu"
# ember.<name> gets torch's out= from ops._util.with_out (see ops/__init__.py)
OUT_VARIANTS = "cat column_stack concat concatenate cross diag dstack hstack kron row_stack stack tril triu vstack"
