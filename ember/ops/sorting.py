"""Sorting and selection: sort, argsort, msort, topk, kthvalue, unique, searchsorted, bucketize.

NaN sorts as the largest value (as in torch). Sorts are stable (NumPy's stable kind); descending
order keeps equal elements in their original order, like torch's ``stable=True``.
"""
import numpy as np

from .. import _dtype
from .. import return_types
from .._device import xp_of
from ..autograd.graph import Node
from .._tensor import Tensor, wrap
from ._dispatch import apply
from ._util import wrap_dim, shape_str
from .reduction import _Select, _work, _nonzero_dims_check, _int64


def _argsort(w, dim, descending):
    """Stable argsort along dim; descending keeps ties in ascending index order."""
    xp = xp_of(w)
    if w.dtype == np.bool_:
        w = w.view(np.uint8)
    if not descending:
        return xp.argsort(w, axis=dim, kind="stable")
    n = w.shape[dim]
    rev = xp.flip(w, axis=dim)
    o = xp.argsort(rev, axis=dim, kind="stable")
    return xp.flip((n - 1) - o, axis=dim)


class SortBackward0(_Select):
    __slots__ = ()

    def select(self, w, dim, descending):
        return _argsort(w, dim, descending)


class SortBackward1(SortBackward0):
    __slots__ = ()


def sort(input, dim=-1, descending=False, *, stable=None, out=None):
    d = wrap_dim(dim, input._data.ndim)
    cls = SortBackward1 if stable is not None else SortBackward0
    return return_types.sort(apply(cls, (input,), d, True, bool(descending)))


class ArgsortBackward(Node):
    __slots__ = ()
    DIFFERENTIABLE = False

    def forward(self, a, dim, descending):
        r = _argsort(_work(a), dim, descending).astype(_int64, copy=False)
        return r.reshape(()) if a.ndim == 0 else r


def argsort(input, dim=-1, descending=False, *, stable=False):
    return apply(ArgsortBackward, (input,), wrap_dim(dim, input._data.ndim), bool(descending))


def msort(input):
    return sort(input, 0)[0]


class TopkBackward0(_Select):
    __slots__ = ()

    def select(self, w, dim, k, largest):
        xp = xp_of(w)
        n = w.shape[dim]
        if 0 < k < n // 8:
            # partial selection, then order the k picked
            v = w.view(np.uint8) if w.dtype == np.bool_ else w
            if largest:
                part = xp.argpartition(v, n - k, axis=dim)
                part = xp.take(part, np.arange(n - k, n), axis=dim)
            else:
                part = xp.take(xp.argpartition(v, k - 1, axis=dim), np.arange(k), axis=dim)
            order = _argsort(xp.take_along_axis(v, part, axis=dim), dim, largest)
            return xp.take_along_axis(part, order, axis=dim)
        order = _argsort(w, dim, largest)
        return xp.take(order, np.arange(k), axis=dim)


def topk(input, k, dim=-1, largest=True, sorted=True, *, out=None):
    d = wrap_dim(dim, input._data.ndim)
    n = input._data.shape[d] if input._data.ndim else 1
    if not 0 <= k <= n:
        raise RuntimeError("selected index k out of range")
    return return_types.topk(apply(TopkBackward0, (input,), d, True, int(k), bool(largest)))


class KthvalueBackward0(_Select):
    __slots__ = ()

    def select(self, w, dim, k):
        xp = xp_of(w)
        v = w.view(np.uint8) if w.dtype == np.bool_ else w
        return xp.take(xp.argpartition(v, k - 1, axis=dim), [k - 1], axis=dim)


def kthvalue(input, k, dim=-1, keepdim=False, *, out=None):
    d = wrap_dim(dim, input._data.ndim)
    n = input._data.shape[d] if input._data.ndim else 1
    if not 1 <= k <= n:
        if input._data.ndim and n == 0:
            _nonzero_dims_check("kthvalue", input, (d,))
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {d}")
    return return_types.kthvalue(apply(KthvalueBackward0, (input,), d, keepdim, int(k)))


# -- unique -----------------------------------------------------------------------------------------

class _UniqueNode(Node):
    """unique is not differentiable in torch: its output records a node whose backward raises."""
    __slots__ = ()
    NON_DIFF_OUTPUTS = (1, 2)
    ATEN = "_unique2"

    def forward(self, a, fn, *params):
        return fn(a, *params)

    def backward(self, *grads):
        raise NotImplementedError(f"the derivative for '{self.ATEN}' is not implemented.")


class Unique2Backward0(_UniqueNode):
    __slots__ = ()


class UniqueDimBackward0(_UniqueNode):
    __slots__ = ()
    ATEN = "unique_dim"


class UniqueConsecutiveBackward0(_UniqueNode):
    __slots__ = ()
    ATEN = "unique_consecutive"


def _unique_flat(a):
    xp = xp_of(a)
    flat = a.ravel()
    v = flat.view(np.uint8) if flat.dtype == np.bool_ else flat
    order = xp.argsort(v, kind="stable")
    s = flat[order]
    start = xp.ones(s.shape, dtype=bool)
    if s.size:
        start[1:] = s[1:] != s[:-1]
        if s.dtype.kind == "f":  # NaNs are each their own value in torch; keep equal NaNs apart too
            start[1:] |= xp.isnan(s[1:])
    vals = s[start]
    grp = xp.cumsum(start) - 1
    inv = xp.empty(flat.shape, dtype=_int64)
    inv[order] = grp
    counts = xp.diff(xp.append(xp.flatnonzero(start), s.size)).astype(_int64)
    return vals, inv.reshape(a.shape), counts


def _unique_dim(a, dim):
    xp = xp_of(a)
    m = xp.moveaxis(a, dim, 0)
    n = m.shape[0]
    rows = m.reshape(n, -1)
    if rows.shape[1] == 0 or n == 0:
        keys = rows
        order = xp.arange(n)
    else:
        r = rows.view(np.uint8) if rows.dtype == np.bool_ else rows
        order = xp.lexsort(r.T[::-1]) if xp is np else xp.asarray(np.lexsort(xp.asnumpy(r.T[::-1])))
    s = rows[order]
    start = xp.ones(n, dtype=bool)
    if n:
        start[1:] = (s[1:] != s[:-1]).any(axis=1) if s.shape[1] else False
    vals = s[start]
    grp = xp.cumsum(start) - 1
    inv = xp.empty(n, dtype=_int64)
    inv[order] = grp
    counts = xp.diff(xp.append(xp.flatnonzero(start), n)).astype(_int64)
    out = xp.moveaxis(vals.reshape((vals.shape[0],) + m.shape[1:]), 0, dim)
    return xp.ascontiguousarray(out), inv, counts


def _consecutive_flat(a):
    xp = xp_of(a)
    flat = a.ravel()
    start = xp.ones(flat.shape, dtype=bool)
    if flat.size:
        start[1:] = flat[1:] != flat[:-1]
    vals = flat[start]
    inv = (xp.cumsum(start) - 1).astype(_int64).reshape(a.shape)
    counts = xp.diff(xp.append(xp.flatnonzero(start), flat.size)).astype(_int64)
    return vals, inv, counts


def _consecutive_dim(a, dim):
    xp = xp_of(a)
    m = xp.moveaxis(a, dim, 0)
    n = m.shape[0]
    rows = m.reshape(n, -1)
    start = xp.ones(n, dtype=bool)
    if n and rows.shape[1]:
        start[1:] = (rows[1:] != rows[:-1]).any(axis=1)
    elif n:
        start[1:] = False
    vals = m[start]
    inv = (xp.cumsum(start) - 1).astype(_int64)
    counts = xp.diff(xp.append(xp.flatnonzero(start), n)).astype(_int64)
    return xp.ascontiguousarray(xp.moveaxis(vals, 0, dim)), inv, counts


def _unique_result(res, return_inverse, return_counts):
    vals, inv, counts = res
    out = [vals]
    if return_inverse:
        out.append(inv)
    if return_counts:
        out.append(counts)
    return out[0] if len(out) == 1 else tuple(out)


def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):
    if dim is None:
        res = apply(Unique2Backward0, (input,), _unique_flat)
    else:
        d = wrap_dim(dim, input._data.ndim)
        res = apply(UniqueDimBackward0, (input,), lambda a: _unique_dim(_work(a), d))
    return _unique_result(res, return_inverse, return_counts)


def unique_consecutive(input, return_inverse=False, return_counts=False, dim=None):
    if dim is None:
        res = apply(UniqueConsecutiveBackward0, (input,), _consecutive_flat)
    else:
        d = wrap_dim(dim, input._data.ndim)
        res = apply(UniqueConsecutiveBackward0, (input,), lambda a: _consecutive_dim(_work(a), d))
    return _unique_result(res, return_inverse, return_counts)


# -- searchsorted / bucketize --------------------------------------------------------------------

class SearchsortedBackward(Node):
    __slots__ = ()
    DIFFERENTIABLE = False

    def forward(self, seq, values, right, out_dtype):
        xp = xp_of(seq)
        side = "right" if right else "left"
        ct = np.result_type(seq.dtype, values.dtype)
        seq, values = seq.astype(ct, copy=False), values.astype(ct, copy=False)
        if seq.ndim == 1:
            return xp.searchsorted(seq, values, side=side).astype(out_dtype)
        # batched: merge each row's boundaries and values in one lexsort on (row, value, tag);
        # a value's answer is the number of its row's boundaries placed before it
        lead = seq.shape[:-1]
        nb, nv = seq.shape[-1], values.shape[-1]
        rows = int(np.prod(lead))
        b = seq.reshape(rows, nb)
        v = values.reshape(rows, nv)
        keys = xp.concatenate([b, v], axis=1).ravel()
        row = xp.repeat(xp.arange(rows), nb + nv)
        is_val = xp.tile(xp.concatenate([xp.zeros(nb, dtype=np.int8), xp.ones(nv, dtype=np.int8)]), rows)
        tag = is_val if right else 1 - is_val  # right: boundaries equal to a value come before it
        order = xp.lexsort((tag, keys, row)) if xp is np else xp.lexsort(xp.stack([tag, keys, row]))
        before = xp.cumsum(1 - is_val[order])  # boundaries at or before each merged position
        pos = xp.empty(order.shape, dtype=_int64)
        pos[order] = before
        res = pos.reshape(rows, nb + nv)[:, nb:] - (xp.arange(rows) * nb)[:, None]
        return res.reshape(values.shape).astype(out_dtype)


def searchsorted(sorted_sequence, input, *, out_int32=False, right=False, side=None, sorter=None, out=None):
    from .creation import tensor
    if side is not None:
        if side not in ("left", "right"):
            raise RuntimeError(f"torch.searchsorted(): side can only be 'left' or 'right' but got {side}")
        if right and side == "left":
            raise RuntimeError("torch.searchsorted(): side and right can't be set to opposites, got side of left "
                               "while right was True")
        right = side == "right"
    scalar = not isinstance(input, Tensor)
    values = tensor(input, device=sorted_sequence.device) if scalar else input
    seq = sorted_sequence
    sd, vd = seq._data, values._data
    if sd.ndim != 1 and (sd.ndim != vd.ndim or sd.shape[:-1] != vd.shape[:-1]):
        raise RuntimeError("torch.searchsorted(): boundaries tensor should be 1 dimension or the first N-1 "
                           "dimensions of boundaries tensor and input value tensor must match, but we got "
                           f"boundaries tensor {shape_str(sd.shape)} and input value tensor {shape_str(vd.shape)}")
    if sorter is not None:
        seq = wrap(xp_of(sd).take_along_axis(sd, sorter._data, axis=-1))
    return apply(SearchsortedBackward, (seq, values), bool(right), np.int32 if out_int32 else _int64)


def bucketize(input, boundaries, *, out_int32=False, right=False, out=None):
    if boundaries._data.ndim != 1:
        raise RuntimeError(f"boundaries tensor must be 1 dimension, but got dim({boundaries._data.ndim})")
    return searchsorted(boundaries, input, out_int32=out_int32, right=right)


__all__ = "sort argsort msort topk kthvalue unique unique_consecutive searchsorted bucketize".split()
TENSOR_METHODS = "sort argsort msort topk kthvalue unique unique_consecutive"
INPLACE = ""
# ember.<name> gets torch's out= from ops._util.with_out (see ops/__init__.py)
OUT_VARIANTS = "bucketize searchsorted sort"
