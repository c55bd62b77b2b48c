"""Indexing: getitem/setitem, gather/scatter, index_select/index_add, masked ops, nonzero.

``t[index]`` follows torch exactly: the basic part of an index (ints, slices, None,
Ellipsis, 0-d integer tensors) becomes ONE strided view of t (a SelectBackward0 /
SliceBackward0 / UnsqueezeBackward0 / AliasBackward0 node, named after the last view
op torch would apply), and the advanced part (integer tensors, lists, arrays, bool
masks) is then applied to that view as a NumPy fancy index (IndexBackward0, a copy).
Doing it in these two steps gives torch's layout rules for mixed indices (torch
selects ints first; NumPy would treat them as advanced indices).

Accumulating writes (index backward, index_put(accumulate=True), scatter_add,
index_add, put(accumulate=True)) go through ``_add_at_flat``: positions into a
contiguous flat array, summed with ``np.bincount`` for floating dtypes.
"""
import operator
import warnings

import numpy as np

from .. import _dtype
from .._device import xp_of, writeable, host, move, device_of
from .._tensor import Tensor, wrap
from ..autograd.graph import Node, STATE
from ._dispatch import apply, check_inplace_allowed, commit_inplace, bump_version
from ._util import wrap_dim, shape_str, sum_to, broadcast_shapes
from . import views

_bf16 = _dtype.bfloat16.np

# C++ type names torch prints in a few messages (masked_fill_'s mask dtype)
_CPP_NAMES = {"bool": "bool", "uint8": "unsigned char", "int8": "signed char", "int16": "short int",
              "int32": "int", "int64": "long int", "float16": "c10::Half", "bfloat16": "c10::BFloat16",
              "float32": "float", "float64": "double", "complex64": "c10::complex<float>",
              "complex128": "c10::complex<double>"}
# type names in "value cannot be converted to type X without overflow"
_OVF_NAMES = {"int32": "int", "int16": "int16_t", "int8": "int8_t", "uint8": "uint8_t", "float32": "float",
              "int64": "int64_t", "float64": "double", "float16": "c10::Half", "bfloat16": "c10::BFloat16"}


def _name(np_dtype):
    """torch's ScalarType name: Float, Long, ..."""
    return _dtype._from_np[np_dtype]._short



def _on(arr, like):
    """arr on like's device (index tensors may come from the CPU)."""
    if arr.__class__ is like.__class__:
        return arr
    if like.__class__ is np.ndarray:
        return arr.get()
    return xp_of(like).asarray(arr)


def _c_strides(shape):
    st, acc = [], 1
    for s in reversed(shape):
        st.append(acc)
        acc *= s
    return tuple(reversed(st))


# -- scalars -------------------------------------------------------------------------------

def _overflows(value, np_dtype):
    kind = np_dtype.kind
    if isinstance(value, complex):
        if kind != "c" and value.imag != 0:
            return True
        value = value.real
    if kind == "f":
        if np_dtype != np.float32:
            return False
        return value == value and abs(value) != float("inf") and abs(value) > 3.4028234663852886e38
    if kind in "iu":
        if isinstance(value, float) and (value != value or abs(value) == float("inf")):
            return True
        info = np.iinfo(np_dtype)
        if kind == "u":
            return value > info.max or value < -int(info.max)
        return value < info.min or value > info.max
    return False


def _scalar_array(value, np_dtype, like=None):
    """A Python scalar as a 0-d array of np_dtype (on like's device), with torch's overflow check."""
    if isinstance(value, np.generic):
        value = value.item()
    if not isinstance(value, (bool, int, float, complex)):
        raise TypeError(f"expected a number, got {type(value).__name__}")
    if not isinstance(value, bool):
        if isinstance(value, int) and not -2 ** 63 <= value < 2 ** 63:
            raise ValueError("Overflow when unpacking long long")
        if _overflows(value, np_dtype):
            raise RuntimeError(f"value cannot be converted to type "
                               f"{_OVF_NAMES.get(_dtype._from_np[np_dtype].name, 'float')} without overflow")
    with np.errstate(all="ignore"):
        if isinstance(value, complex) and np_dtype.kind != "c":
            value = value.real
        arr = np.array(value).astype(np_dtype)
    if like is not None and like.__class__ is not np.ndarray:
        arr = xp_of(like).asarray(arr)
    return arr


def _value_tensor(value, self, what):
    """A fill value (Python scalar or 0-d tensor) as a tensor of self's dtype."""
    if isinstance(value, Tensor):
        if value._data.ndim != 0:
            raise RuntimeError(f"{what} only supports a 0-dimensional value tensor, but got tensor with "
                               f"{value._data.ndim} dimension(s).")
        if value._data.dtype != self._data.dtype:
            value = value.to(self.dtype)
        if value._data.__class__ is not self._data.__class__:
            value = value.to(self.device)
        return value
    return wrap(_scalar_array(value, self._data.dtype, self._data))


# -- accumulation --------------------------------------------------------------------------

def _ufunc_at(ufunc, flat, pos, vals):
    """ufunc.at(flat, pos, vals) in place. On CUDA it runs on the host: CuPy lacks multiply.at, and its
    maximum/minimum.at do not follow NumPy's NaN rules."""
    if flat.__class__ is np.ndarray:
        ufunc.at(flat, pos, vals)
        return
    h = host(flat)
    ufunc.at(h, host(pos), host(vals))
    flat[...] = move(h, device_of(flat))


# the dtypes cupyx.scatter_add accumulates natively
_CUPY_SCATTER_ADD = {np.dtype(t) for t in ("int32", "int64", "uint32", "uint64", "float16", "float32", "float64")}


def _add_at_flat(flat, pos, vals):
    """flat[pos] += vals with repeated positions summed (flat: contiguous 1-D, modified in place).

    NumPy >= 1.25 has a fast 1-D loop for ``np.add.at`` with matching dtypes: measured 2-3x faster
    than ``np.bincount`` (which also has to go through float64) for float32/float64/int64/complex.
    Half precision has no fast loop there, so it sums with bincount in float64.
    """
    xp = xp_of(flat)
    if pos.size == 0:
        return
    if vals.shape != pos.shape:
        vals = xp.broadcast_to(vals, pos.shape)
    pos = pos.reshape(-1)
    vals = vals.reshape(-1)
    if vals.dtype != flat.dtype:
        vals = vals.astype(flat.dtype)
    if xp is not np:
        if flat.dtype in _CUPY_SCATTER_ADD:
            import cupyx
            cupyx.scatter_add(flat, pos, vals)
        else:
            _ufunc_at(np.add, flat, pos, vals)
        return
    if flat.dtype == np.float16 or flat.dtype == _bf16:
        s = np.bincount(pos, weights=vals.astype(np.float64), minlength=flat.size)
        flat[...] = (flat.astype(np.float64) + s).astype(flat.dtype)
    else:
        np.add.at(flat, pos, vals)


def _positions(shape, adv, xp):
    """Flat (C-order) positions in an array of `shape` of the elements that arr[adv] reads."""
    st = _c_strides(shape)
    if len(adv) == 1 and adv[0].dtype != np.bool_:
        idx = adv[0].astype(np.int64, copy=False)
        post = st[0] if shape else 1
        if len(shape) == 1:
            return idx
        pos = idx.reshape(idx.shape + (1,)) * post + xp.arange(post, dtype=np.int64)
        return pos.reshape(idx.shape + tuple(shape[1:]))
    pos = None
    nd = len(shape)
    for d, n in enumerate(shape):
        line = (xp.arange(n, dtype=np.int64) * st[d]).reshape((1,) * d + (n,) + (1,) * (nd - d - 1))
        p = xp.broadcast_to(line, shape)[adv]
        pos = p if pos is None else pos + p
    return pos if pos is not None else xp.zeros((), dtype=np.int64)[adv]


def _index_add_at(out, adv, v):
    """out[adv] += v, duplicates summed (out: a fresh contiguous array)."""
    if len(adv) == 1 and adv[0].dtype == np.bool_ or any(
            getattr(i, "dtype", None) == np.bool_ for i in adv):
        out[adv] += v  # a mask never repeats a position
        return
    xp = xp_of(out)
    pos = _positions(out.shape, adv, xp)
    vals = xp.broadcast_to(v, pos.shape)
    _add_at_flat(out.reshape(-1), pos, vals)


def _along_positions(shape, dim, idx, xp):
    """Flat positions written by scatter along `dim` with index `idx` into an array of `shape`."""
    if len(shape) == 0:
        return xp.zeros(idx.shape, dtype=np.int64)
    st = _c_strides(shape)
    nd = idx.ndim
    pos = idx.astype(np.int64, copy=False)
    if st[dim] != 1:
        pos = pos * st[dim]
    for d in range(nd):
        if d != dim and idx.shape[d] != 1:
            pos = pos + (xp.arange(idx.shape[d], dtype=np.int64) * st[d]).reshape(
                (1,) * d + (idx.shape[d],) + (1,) * (nd - d - 1))
    return pos


def _bounds(arr, size, make_error, allow_negative):
    """Check index values against a dim size; return them wrapped to [0, size)."""
    if arr.size == 0:
        return arr
    lo = -size if allow_negative else 0
    mn, mx = int(arr.min()), int(arr.max())
    if mn < lo or mx >= size:
        bad = (arr < lo) | (arr >= size)
        raise make_error(int(arr[bad].reshape(-1)[0]))
    if allow_negative and mn < 0:
        arr = arr + size * (arr < 0)
    return arr


# -- parsing a torch index -----------------------------------------------------------------------

_BAD_INDEX = ("only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables are valid "
              "indices (got {})")


def _seq_as_tuple(index):
    """torch's (NumPy's) heuristic: a list holding slices, None, ..., tensors or sequences is a tuple."""
    if len(index) >= 32:
        return False
    for obj in index:
        if isinstance(obj, (Tensor, list, tuple, slice, np.ndarray, str)) or obj is None or obj is Ellipsis:
            warnings.warn("Using a non-tuple sequence for multidimensional indexing is deprecated and will be "
                          "changed in pytorch 2.9; use x[tuple(seq)] instead of x[seq]. In pytorch 2.9 this will "
                          "be interpreted as tensor index, x[torch.tensor(seq)], which will result either in an "
                          "error or a different result", UserWarning, stacklevel=4)
            return True
    return False


def _seq_to_array(seq):
    """torch's indexing_tensor_from_data: a bool sequence stays bool, anything else becomes int64."""
    from .creation import array_from_data
    arr = array_from_data(seq)
    if arr.dtype == np.bool_ or arr.dtype == np.uint8:
        return arr
    return arr.astype(np.int64)


def _classify(obj, like):
    """One index element as (kind, payload): int / slice / none / ellipsis / bool / tensor / mask."""
    if obj is None:
        return "none", None
    if obj is Ellipsis:
        return "ellipsis", None
    cls = obj.__class__
    if cls is int:
        return "int", obj
    if cls is slice:
        return "slice", obj
    if cls is bool or cls is np.bool_:
        return "bool", bool(obj)
    if isinstance(obj, Tensor):
        arr = obj._data
    elif isinstance(obj, np.ndarray):
        arr = obj
    elif isinstance(obj, (list, tuple)):
        arr = _seq_to_array(obj)
    elif isinstance(obj, np.integer):
        return "int", int(obj)
    elif isinstance(obj, str):
        raise TypeError("new(): invalid data type 'str'")
    else:
        raise IndexError(_BAD_INDEX.format(type(obj).__name__))
    dt = arr.dtype
    if dt == np.bool_ or dt == np.uint8:
        if arr.ndim == 0:
            if dt == np.bool_:
                return "bool", bool(arr)
            return "int", int(arr)
        if dt == np.uint8:
            warnings.warn("indexing with dtype torch.uint8 is now deprecated, please use a dtype torch.bool "
                          "instead.", UserWarning, stacklevel=4)
            arr = arr.astype(np.bool_)
        return "mask", _on(arr, like)
    if dt.kind in "iu":
        if arr.ndim == 0:
            return "int", int(arr)
        if dt not in (np.int32, np.int64):
            raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
        return "tensor", _on(arr, like)
    raise IndexError("tensors used as indices must be long, int, byte or bool tensors")


def _slice_ints(s):
    try:
        start = None if s.start is None else operator.index(s.start)
        stop = None if s.stop is None else operator.index(s.stop)
        step = 1 if s.step is None else operator.index(s.step)
    except TypeError:
        raise TypeError("slice indices must be integers or None or have an __index__ method") from None
    if step == 0:
        raise ValueError("slice step cannot be zero")
    if step < 0:
        raise ValueError("step must be greater than zero")
    return slice(start, stop, step)


class AliasBackward0(views.SliceBackward0):
    """t[...] / t[:, :]: a view of the whole tensor."""
    __slots__ = ()


class UnsqueezeBackward0(views.SliceBackward0):
    """A basic index whose last view op is None (unsqueeze)."""
    __slots__ = ()


_VIEW_CLS = {"int": views.SelectBackward0, "slice": views.SliceBackward0, "none": UnsqueezeBackward0,
             "bool": UnsqueezeBackward0}


def _parse(t, index, for_set=False):
    """Split a torch index into (basic, view_cls, adv).

    basic: a NumPy basic index tuple for one strided view of t (None when no view op is needed);
    adv: a NumPy advanced index tuple (index arrays / bool mask / full slices) applied to that view,
    or None for a purely basic index.
    """
    a = t._data
    nd = a.ndim
    shape = a.shape
    lone = index  # torch treats a lone slice / int (not in a tuple) slightly differently
    if index.__class__ is not tuple:
        if isinstance(index, list) and _seq_as_tuple(index):
            index = tuple(index)
        else:
            index = (index,)
    items = [_classify(obj, a) for obj in index]
    spec = 0
    for kind, p in items:
        if kind in ("int", "slice", "tensor"):
            spec += 1
        elif kind == "mask":
            spec += p.ndim
    if spec > nd:
        if nd == 0 and (lone.__class__ is int or isinstance(lone, np.integer)):
            raise IndexError("invalid index of a 0-dim tensor. Use `tensor.item()` in Python or "
                             "`tensor.item<T>()` in C++ to convert a 0-dim tensor to a number")
        if nd == 0 and len(items) == 1 and items[0][0] == "slice":
            raise IndexError("slice() cannot be applied to a 0-dim tensor.")
        raise IndexError(f"too many indices for tensor of dimension {nd}")
    basic = []
    entries = []  # (dim in the view, "tensor"/"mask", array)
    dim = src = 0
    last = None
    for kind, p in items:
        if kind == "int":
            size = shape[src] if src < nd else 0
            if not -size <= p < size:
                raise IndexError(f"index {p} is out of bounds for dimension {dim} with size {size}")
            basic.append(p % size)
            src += 1
            last = "int"
        elif kind == "slice":
            if nd == 0:
                raise IndexError("slice() cannot be applied to a 0-dim tensor.")
            s = _slice_ints(p)
            basic.append(s)
            full = (s.start is None or s.start == 0) and s.step == 1 and (s.stop is None or s.stop >= shape[src])
            if (lone.__class__ is slice and not for_set) or not full:
                last = "slice"
            src += 1
            dim += 1
        elif kind == "none":
            basic.append(None)
            dim += 1
            last = "none"
        elif kind == "ellipsis":
            n = nd - spec
            basic.extend([slice(None)] * max(0, min(n, nd - src)))
            src += n
            dim += n
        elif kind == "bool":
            basic.append(None)
            xp = xp_of(a)
            entries.append((dim, "tensor", xp.zeros(1 if p else 0, dtype=np.int64)))
            dim += 1
            last = "bool"
        elif kind == "tensor":
            basic.append(slice(None))
            entries.append((dim, "tensor", p))
            src += 1
            dim += 1
        else:  # mask
            basic.extend([slice(None)] * p.ndim)
            entries.append((dim, "mask", p))
            src += p.ndim
            dim += p.ndim
    if last is None:
        view_cls = None if entries or for_set else AliasBackward0
    else:
        view_cls = _VIEW_CLS[last]
    if view_cls is None:
        basic_t = None
        vshape = shape
    else:
        basic_t = tuple(basic) + (Ellipsis,)
        vshape = a[basic_t].shape
    adv = _finish_adv(vshape, entries, xp_of(a)) if entries else None
    return basic_t, view_cls, adv


def _finish_adv(shape, entries, xp):
    """Index arrays (bounds-checked, wrapped) and masks as one NumPy advanced index tuple."""
    for d, kind, arr in entries:
        if kind == "mask":
            ms = arr.shape
            for j, s in enumerate(ms):
                if d + j >= len(shape) or shape[d + j] != s:
                    raise IndexError(f"The shape of the mask {shape_str(ms)} at index {j} does not match the shape "
                                     f"of the indexed tensor {shape_str(shape)} at index {d + j}")
    if len(entries) == 1 and entries[0][1] == "mask":
        d, _, m = entries[0]
        return (slice(None),) * d + (m,)
    adv = [slice(None)] * len(shape)
    arrays = []
    k = 0
    for d, kind, arr in entries:
        if kind == "mask":
            for j, z in enumerate(xp.nonzero(arr)):
                adv[d + j] = z
                arrays.append(z)
                k += 1
        else:
            size = shape[d]
            arr = _bounds(arr, size, lambda v, k=k, size=size: IndexError(
                f"index {v} is out of bounds for dimension {k} with size {size}"), True)
            adv[d] = arr
            arrays.append(arr)
            k += 1
    if len(arrays) > 1:
        try:
            np.broadcast_shapes(*(z.shape for z in arrays))
        except ValueError:
            raise IndexError("shape mismatch: indexing tensors could not be broadcast together with shapes "
                             + ", ".join(shape_str(z.shape) for z in arrays)) from None
    while adv and adv[-1].__class__ is slice:
        adv.pop()
    return tuple(adv)


def _adv_shape(shape, adv, like):
    """The shape of arr[adv] for an array of `shape`, without reading its elements."""
    xp = xp_of(like)
    return xp.broadcast_to(xp.empty((), dtype=np.int8), shape)[adv].shape


# -- getitem -----------------------------------------------------------------------------

class IndexBackward0(Node):
    """Advanced indexing: a copy; backward accumulates the gradient into zeros."""
    __slots__ = ("in_shape", "adv")

    def forward(self, a, adv):
        self.in_shape, self.adv = a.shape, adv
        return a[adv]

    def backward(self, g):
        from .creation import zeros
        z = zeros(self.in_shape, dtype=g.dtype, device=g.device)
        # a mask never repeats a position: a plain write into zeros does it
        accumulate = not any(getattr(i, "dtype", None) == np.bool_ for i in self.adv)
        return (apply(IndexPutBackward0, (z, g), self.adv, accumulate),)


class IndexPutBackward0(Node):
    """out = a with out[adv] = v (or += v when accumulating)."""
    __slots__ = ("adv", "accumulate", "v_shape")

    def forward(self, a, v, adv, accumulate):
        self.adv, self.accumulate, self.v_shape = adv, accumulate, v.shape
        out = a.copy()
        if accumulate:
            _index_add_at(out, adv, v)
        else:
            out[adv] = v
        return out

    def backward(self, g):
        e = self.next_edges
        ga = gv = None
        if e[0] is not None:
            if self.accumulate:
                ga = g
            else:
                ga = apply(IndexPutBackward0, (g, wrap(_scalar_array(0, g._data.dtype, g._data))), self.adv, False)
        if e[1] is not None:
            gv = sum_to(apply(IndexBackward0, (g,), self.adv), self.v_shape)
        return ga, gv


def getitem(self, index):
    cls = index.__class__
    if cls is int:  # the hot path: t[i]
        a = self._data
        if a.ndim == 0:
            raise IndexError("invalid index of a 0-dim tensor. Use `tensor.item()` in Python or "
                             "`tensor.item<T>()` in C++ to convert a 0-dim tensor to a number")
        n = a.shape[0]
        if not -n <= index < n:
            raise IndexError(f"index {index} is out of bounds for dimension 0 with size {n}")
        return apply(views.SelectBackward0, (self,), (index % n, Ellipsis))
    basic, view_cls, adv = _parse(self, index)
    t = self if view_cls is None else apply(view_cls, (self,), basic)
    if adv is None:
        return t
    return apply(IndexBackward0, (t,), adv)


# -- setitem -----------------------------------------------------------------------------

class CopySlices(views.SliceScatterBackward0):
    """t[basic] = v: SliceScatter of v into t, named as torch shows it."""
    __slots__ = ()


class FillBackward3(Node):
    """t[...] = scalar: a fill; the old values get a zero gradient."""
    __slots__ = ()

    def forward(self, a, v):
        return xp_of(a).full(a.shape, v, dtype=a.dtype)

    def backward(self, g):
        e = self.next_edges
        return (g * 0 if e[0] is not None else None), (g.sum() if e[1] is not None else None)


def _strip_leading_ones(v):
    s = v._data.shape
    k = 0
    while k < len(s) and s[k] == 1:
        k += 1
    return s[k:]


def _check_expand(v, vshape, target):
    """torch's copy_ (expand) check of a value of shape vshape against the target shape."""
    if len(vshape) > len(target):
        raise RuntimeError(f"expand({v.type()}{{{shape_str(vshape)}}}, size={shape_str(target)}): the number of "
                           f"sizes provided ({len(target)}) must be greater or equal to the number of dimensions "
                           f"in the tensor ({len(vshape)})")
    lead = len(target) - len(vshape)
    for i, s in enumerate(vshape):
        t = target[lead + i]
        if s != t and s != 1:
            raise RuntimeError(f"The expanded size of the tensor ({t}) must match the existing size ({s}) at "
                               f"non-singleton dimension {lead + i}.  Target sizes: {shape_str(target)}.  Tensor "
                               f"sizes: {shape_str(vshape)}")


def _check_value_broadcast(vshape, target):
    lead = len(target) - len(vshape)
    ok = lead >= 0 and all(s == 1 or s == target[lead + i] for i, s in enumerate(vshape))
    if not ok:
        raise RuntimeError(f"shape mismatch: value tensor of shape {shape_str(vshape)} cannot be broadcast to "
                           f"indexing result of shape {shape_str(target)}")


_OVERLAP = ("unsupported operation: some elements of the input tensor and the written-to tensor refer to a single "
            "memory location. Please clone() the tensor before performing the operation.")
_VIEW_OF_LEAF = "a view of a leaf Variable that requires grad is being used in an in-place operation."


def _write(dst, src):
    if not writeable(dst):
        raise RuntimeError(_OVERLAP)
    dst[...] = src


def setitem(self, index, value):
    a = self._data
    if isinstance(value, Tensor):
        v = value
    elif isinstance(value, (bool, int, float, complex, np.number, np.bool_)):
        v = wrap(_scalar_array(value, a.dtype, a))
    else:
        t = type(value)
        name = t.__name__ if t.__module__ == "builtins" else f"{t.__module__}.{t.__name__}"
        raise TypeError(f"can't assign a {name} to a {self.type()}")
    basic, view_cls, adv = _parse(self, index, for_set=True)
    vshape = _strip_leading_ones(v)
    if adv is None:
        target = a.shape if basic is None else a[basic].shape
        _check_expand(v, vshape, target)
    else:
        dst = a if basic is None else a[basic]
        target = _adv_shape(dst.shape, adv, a)
        _check_value_broadcast(vshape, target)
    if v._data.dtype != a.dtype:
        v = v.to(self.dtype)
    if v._data.__class__ is not a.__class__:
        v = v.to(self.device)
    if vshape != v._data.shape:
        v = v.reshape(vshape)
    record = STATE.grad_enabled and (self._requires_grad or v._requires_grad)
    if not record:
        if adv is None:
            _write(a if basic is None else a[basic], v._data)
        else:
            dst = a if basic is None else a[basic]
            if not writeable(dst):
                raise RuntimeError(_OVERLAP)
            dst[adv] = v._data
        bump_version(self)
        return
    if basic is not None and self._requires_grad and self._grad_fn is None:
        raise RuntimeError(_VIEW_OF_LEAF)
    check_inplace_allowed(self)
    if adv is None:
        if basic is None:  # the whole tensor: torch's fill_ (0-d value) or copy_
            if v._data.ndim == 0:
                commit_inplace(self, apply(FillBackward3, (self, v)))
            else:
                self.copy_(v)
            return
        commit_inplace(self, apply(CopySlices, (self, v), basic))
        return
    view = self if basic is None else apply(view_cls, (self,), basic)
    commit_inplace(view, apply(IndexPutBackward0, (view, v), adv, False))


# -- gather / scatter -----------------------------------------------------------------------

def _check_index_dtype(index, what):
    if index._data.dtype not in (np.int32, np.int64):
        raise RuntimeError(f"{what}(): Expected dtype int32/int64 for index")


def _out_of_bounds(dim, size):
    return lambda v: RuntimeError(f"index {v} is out of bounds for dimension {dim} with size {size}")


def _sub(arr, shape):
    """arr cut down to `shape` (from the origin), a view."""
    if arr.shape == shape:
        return arr
    return arr[tuple(slice(0, s) for s in shape)]


class GatherBackward0(Node):
    __slots__ = ("in_shape", "dim", "index")

    def forward(self, a, dim, idx):
        self.in_shape, self.dim, self.index = a.shape, dim, idx
        if a.ndim == 0:
            return a.reshape(1)[idx.reshape(-1)].reshape(idx.shape)
        if idx.ndim == 0:
            idx = idx.reshape(1)
        xp = xp_of(a)
        sl = tuple(slice(0, idx.shape[d]) if d != dim else slice(None) for d in range(a.ndim))
        out = xp.take_along_axis(a[sl], idx, axis=dim)
        return out.reshape(self.index.shape)

    def backward(self, g):
        from .creation import zeros
        z = zeros(self.in_shape, dtype=g.dtype, device=g.device)
        return (apply(ScatterAddBackward0, (z, g), self.dim, self.index),)


def _gather_checks(input, dim, index, what="gather"):
    a, idx = input._data, index._data
    _check_index_dtype(index, what)
    nd = a.ndim
    dim = wrap_dim(dim, nd)
    if max(idx.ndim, 1) != max(nd, 1):
        raise RuntimeError("Index tensor must have the same number of dimensions as input tensor")
    for d in range(idx.ndim):
        if d != dim and idx.shape[d] > a.shape[d]:
            raise RuntimeError(f"Size does not match at dimension {d} expected index {shape_str(idx.shape)} to be no "
                               f"larger than self {shape_str(a.shape)} apart from dimension {dim}")
    size = a.shape[dim] if nd else 1
    _bounds(idx, size, _out_of_bounds(dim, size), False)
    return dim, _on(idx, a)


def gather(input, dim, index, *, sparse_grad=False, out=None):
    dim, idx = _gather_checks(input, dim, index)
    return _out(apply(GatherBackward0, (input,), dim, idx), out)


def _scatter_checks(self, dim, index, src):
    a, idx = self._data, index._data
    _check_index_dtype(index, "scatter")
    nd = a.ndim
    dim = wrap_dim(dim, nd)
    if src is not None and src._data.dtype != a.dtype:
        raise RuntimeError("scatter(): Expected self.dtype to be equal to src.dtype")
    if max(idx.ndim, 1) != max(nd, 1):
        raise RuntimeError("Index tensor must have the same number of dimensions as self tensor")
    if src is not None and max(idx.ndim, 1) != max(src._data.ndim, 1):
        raise RuntimeError("Index tensor must have the same number of dimensions as src tensor")
    ishape = idx.shape or (1,)
    sshape = a.shape or (1,)
    bad = any(d != dim and ishape[d] > sshape[d] for d in range(len(ishape)))
    if src is not None:
        srcshape = src._data.shape or (1,)
        bad = bad or any(ishape[d] > srcshape[d] for d in range(len(ishape)))
        if bad:
            raise RuntimeError(f"Expected index {shape_str(idx.shape)} to be no larger than self {shape_str(a.shape)} "
                               f"apart from dimension {dim} and to be no larger size than src "
                               f"{shape_str(src._data.shape)}")
    elif bad:
        raise RuntimeError(f"Expected index {shape_str(idx.shape)} to be no larger than self {shape_str(a.shape)} "
                           f"apart from dimension {dim}")
    size = a.shape[dim] if nd else 1
    _bounds(idx, size, _out_of_bounds(dim, size), False)
    return dim, _on(idx, a)


class ScatterBackward1(Node):
    """scatter with a scalar value."""
    __slots__ = ("dim", "index")

    def forward(self, a, dim, idx, value):
        self.dim, self.index = dim, idx
        out = a.copy()
        pos = _along_positions(a.shape, dim, idx, xp_of(a))
        out.reshape(-1)[pos.reshape(-1)] = value
        return out

    def backward(self, g):
        return (apply(ScatterBackward1, (g,), self.dim, self.index, _scalar_array(0, g._data.dtype, g._data)),)


class NotImplemented_(Node):
    """scatter(..., reduce=): torch records a node whose backward is not implemented."""
    __slots__ = ()

    def forward(self, a, *rest):
        src, dim, idx, reduce = (rest if len(rest) == 4 else (None,) + rest)
        out = a.copy()
        xp = xp_of(a)
        pos = _along_positions(a.shape, dim, idx, xp).reshape(-1)
        vals = src if src is None else (_sub(src, idx.shape) if src.ndim else src.reshape(idx.shape)).reshape(-1)
        if vals is None:
            vals = xp.broadcast_to(reduce[1], pos.shape)
        reduce = reduce[0]
        flat = out.reshape(-1)
        if reduce == "add":
            _add_at_flat(flat, pos, vals)
        else:
            _ufunc_at(np.multiply, flat, pos, vals)
        return out

    def backward(self, g):
        raise RuntimeError("derivative for aten::scatter is not implemented")

    def name(self):
        return "NotImplemented"


NotImplemented_.__name__ = "NotImplemented"


def scatter(input, dim, index, src=None, value=None, *, reduce=None, out=None):
    if src is None and value is None:
        raise TypeError("scatter() missing required argument 'src' or 'value'")
    if src is None:
        src = value
    if reduce is not None and reduce not in ("add", "multiply"):
        raise RuntimeError("reduce argument must be either add or multiply.")
    if isinstance(src, Tensor):
        dim, idx = _scatter_checks(input, dim, index, src)
        src = src if src._data.__class__ is input._data.__class__ else src.to(input.device)
        if reduce is not None:
            return _out(apply(NotImplemented_, (input, src), dim, idx, (reduce, None)), out)
        return _out(apply(ScatterBackward0, (input, src), dim, idx), out)
    dim, idx = _scatter_checks(input, dim, index, None)
    val = _scalar_array(src, input._data.dtype, input._data)
    if reduce is not None:
        return _out(apply(NotImplemented_, (input,), dim, idx, (reduce, val)), out)
    return _out(apply(ScatterBackward1, (input,), dim, idx, val), out)


def scatter_add(input, dim, index, src, *, out=None):
    dim, idx = _scatter_checks(input, dim, index, src)
    return _out(apply(ScatterAddBackward0, (input, src), dim, idx), out)


_REDUCE_IDENT = {"sum": 0, "mean": 0, "prod": 1}


class ScatterReduceBackward0(Node):
    __slots__ = ("dim", "index", "reduce", "include_self")
    SAVES_INPUTS = True
    SAVES_OUTPUT = True

    def forward(self, a, src, dim, idx, reduce, include_self):
        self.dim, self.index, self.reduce, self.include_self = dim, idx, reduce, include_self
        xp = xp_of(a)
        out = a.copy()
        flat = out.reshape(-1)
        pos = _along_positions(a.shape, dim, idx, xp).reshape(-1)
        vals = (_sub(src, idx.shape) if src.ndim else src.reshape(idx.shape)).reshape(-1)
        if not include_self:
            if reduce in _REDUCE_IDENT:
                flat[pos] = _REDUCE_IDENT[reduce]
            else:
                k = a.dtype.kind
                if k == "f" or a.dtype == _bf16:
                    flat[pos] = -np.inf if reduce == "amax" else np.inf
                elif k == "b":
                    flat[pos] = reduce != "amax"
                else:
                    info = np.iinfo(a.dtype)
                    flat[pos] = info.min if reduce == "amax" else info.max
        if reduce in ("sum", "mean"):
            _add_at_flat(flat, pos, vals)
        else:
            _ufunc_at({"prod": np.multiply, "amax": np.maximum, "amin": np.minimum}[reduce], flat, pos, vals)
        if reduce == "mean" and pos.size:
            counts = xp.bincount(pos, minlength=flat.size)
            touched = counts > 0
            n = (counts + (1 if include_self else 0))[touched]
            if a.dtype.kind in "iub":
                flat[touched] = xp.floor_divide(flat[touched], n.astype(a.dtype))
            else:
                flat[touched] = flat[touched] / n.astype(a.dtype)
        return out

    def backward(self, g):
        from .creation import zeros_like, ones_like
        from .pointwise import where
        self_, src = self.inputs
        result = self.out
        dim, idx, reduce = self.dim, wrap(self.index), self.reduce
        src_shape = src._data.shape
        if src._data.ndim and src_shape != self.index.shape:  # index covers only part of src
            src = src[tuple(slice(0, n) for n in self.index.shape)]
        e = self.next_edges
        if reduce == "sum":
            grad_self = g
            grad_src = g.gather(dim, idx)
        elif reduce == "prod":
            masked_self = self_.masked_fill(self_ == 0, 1)
            masked_self_result = masked_self.scatter_reduce(dim, idx, src, reduce, include_self=self.include_self)
            grad_self = g * masked_self_result / masked_self
            src_zero = src == 0
            src_num_zeros = zeros_like(self_).scatter_add(dim, idx, src_zero.to(self_.dtype)).gather(dim, idx)
            src_single_zero = src_zero & (src_num_zeros == 1)
            masked_src = src.masked_fill(src_single_zero, 1)
            masked_src_result = self_.scatter_reduce(dim, idx, masked_src, reduce, include_self=self.include_self)
            grad_src = where(src_single_zero, (g * masked_src_result).gather(dim, idx),
                             (g * result).gather(dim, idx) / src.masked_fill(src_zero, 1))
        elif reduce == "mean":
            n = ones_like(g) if self.include_self else zeros_like(g)
            n = n.scatter_add(dim, idx, ones_like(src))
            n = n.masked_fill(n == 0, 1)
            grad_self = g / n
            grad_src = g.gather(dim, idx) / n.gather(dim, idx)
        else:
            value = result.gather(dim, idx)
            self_is_result = (self_ == result).to(self_.dtype)
            src_is_result = (src == value).to(self_.dtype)
            n = self_is_result.scatter_add(dim, idx, src_is_result)
            grad_distributed = g / n
            grad_self = (self_ == result) * grad_distributed
            grad_src = (src == value) * grad_distributed.gather(dim, idx)
        if not self.include_self:
            grad_self = grad_self.scatter(dim, idx, 0)
        return (grad_self if e[0] is not None else None,
                _grow(grad_src, src_shape) if e[1] is not None else None)


def _grow(g, shape):
    """A gradient for the part of src an index covered, padded with zeros to src's shape."""
    if g._data.shape == shape:
        return g
    from .creation import zeros
    z = zeros(shape, dtype=g.dtype, device=g.device)
    return z.index_put_view(tuple(slice(0, s) for s in g._data.shape) + (Ellipsis,), g)


def scatter_reduce(input, dim, index, src, reduce, *, include_self=True, out=None):
    if not isinstance(src, Tensor):
        raise TypeError(f"scatter_reduce(): argument 'src' (position 4) must be Tensor, not {type(src).__name__}")
    if reduce not in ("sum", "prod", "mean", "amax", "amin"):
        raise RuntimeError(f"reduce argument must be either sum, prod, mean, amax or amin, got {reduce}")
    dim, idx = _scatter_checks(input, dim, index, src)
    return _out(apply(ScatterReduceBackward0, (input, src), dim, idx, reduce, bool(include_self)), out)


class ScatterAddBackward0(Node):
    __slots__ = ("dim", "index", "src_shape")

    def forward(self, a, src, dim, idx):
        self.dim, self.index, self.src_shape = dim, idx, src.shape
        out = a.copy()
        pos = _along_positions(a.shape, dim, idx, xp_of(a))
        _add_at_flat(out.reshape(-1), pos, _sub(src, idx.shape) if src.ndim else src.reshape(idx.shape))
        return out

    def backward(self, g):
        e = self.next_edges
        gs = None
        if e[1] is not None:
            gs = _grow(apply(GatherBackward0, (g,), self.dim, self.index), self.src_shape)
        return (g if e[0] is not None else None), gs


class ScatterBackward0(Node):
    """scatter with a src tensor."""
    __slots__ = ("dim", "index", "src_shape")

    def forward(self, a, src, dim, idx):
        self.dim, self.index, self.src_shape = dim, idx, src.shape
        out = a.copy()
        pos = _along_positions(a.shape, dim, idx, xp_of(a))
        out.reshape(-1)[pos.reshape(-1)] = (_sub(src, idx.shape) if src.ndim else src.reshape(idx.shape)).reshape(-1)
        return out

    def backward(self, g):
        e = self.next_edges
        ga = gs = None
        if e[0] is not None:
            ga = apply(ScatterBackward1, (g,), self.dim, self.index, _scalar_array(0, g._data.dtype, g._data))
        if e[1] is not None:
            gs = _grow(apply(GatherBackward0, (g,), self.dim, self.index), self.src_shape)
        return ga, gs


# -- index_select / index_add / index_copy / index_fill --------------------------------------

def _dim_positions(shape, dim, idx, xp):
    """Flat positions of out[..., idx, ...] (idx along dim) in a C-contiguous array of shape."""
    shape = shape or (1,)
    pre = 1
    for s in shape[:dim]:
        pre *= s
    n = shape[dim]
    post = 1
    for s in shape[dim + 1:]:
        post *= s
    return ((xp.arange(pre, dtype=np.int64)[:, None, None] * n + idx.astype(np.int64)[None, :, None]) * post
            + xp.arange(post, dtype=np.int64)[None, None, :])


class IndexSelectBackward0(Node):
    __slots__ = ("in_shape", "dim", "index")

    def forward(self, a, dim, idx):
        self.in_shape, self.dim, self.index = a.shape, dim, idx
        xp = xp_of(a)
        if a.ndim == 0:
            return a.reshape(1)[idx.reshape(-1)].reshape(())
        return xp.take(a, idx.reshape(-1), axis=dim)

    def backward(self, g):
        from .creation import zeros
        z = zeros(self.in_shape, dtype=g.dtype, device=g.device)
        return (apply(IndexAddBackward0, (z, g), self.dim, self.index, 1),)


def index_select(input, dim, index, *, out=None):
    a, idx = input._data, index._data
    if idx.dtype not in (np.int32, np.int64):
        raise RuntimeError("index_select(): Expected dtype int32 or int64 for index")
    if idx.ndim > 1:
        raise IndexError("index_select(): Index is supposed to be a vector")
    dim = wrap_dim(dim, a.ndim)
    size = a.shape[dim] if a.ndim else 1
    _bounds(idx, size, lambda v: IndexError("index out of range in self"), False)
    return _out(apply(IndexSelectBackward0, (input,), dim, _on(idx.reshape(-1), a)), out)


class IndexAddBackward0(Node):
    __slots__ = ("dim", "index", "alpha", "src_shape")

    def forward(self, a, src, dim, idx, alpha):
        self.dim, self.index, self.alpha, self.src_shape = dim, idx, alpha, src.shape
        out = a.copy()
        xp = xp_of(a)
        pos = _dim_positions(a.shape, dim, idx, xp)
        vals = src if alpha == 1 else src * alpha
        if vals.dtype != a.dtype:
            vals = vals.astype(a.dtype)
        _add_at_flat(out.reshape(-1), pos, vals.reshape(pos.shape))
        return out

    def backward(self, g):
        e = self.next_edges
        gs = None
        if e[1] is not None:
            gs = apply(IndexSelectBackward0, (g,), self.dim, self.index)
            if self.alpha != 1:
                gs = gs * self.alpha
            if gs._data.shape != self.src_shape:
                gs = gs.reshape(self.src_shape)
        return (g if e[0] is not None else None), gs


def _index_source_checks(a, dim, idx, src, what):
    sshape = a.shape or (1,)
    srcshape = src.shape or (1,)
    n = idx.size
    if len(srcshape) != len(sshape) or any(s != t for d, (s, t) in enumerate(zip(sshape, srcshape)) if d != dim):
        raise RuntimeError(f"source tensor shape must match self tensor shape, excluding the specified dimension. "
                           f"Got self.shape = {shape_str(a.shape)} source.shape = {shape_str(src.shape)}")
    if srcshape[dim] != n:
        raise RuntimeError(f"{what}(): Number of indices ({n}) should be equal to source.size(dim): "
                           f"({srcshape[dim]}), for dim: {dim}")


def index_add(input, dim, index, source, *, alpha=1, out=None):
    a, idx, src = input._data, index._data, source._data
    if idx.dtype not in (np.int32, np.int64):
        raise RuntimeError(f"index_add_(): Expected dtype int32/int64 for index but got: {_name(idx.dtype)}")
    if idx.ndim > 1:
        raise IndexError(f"index_add_(): Index is supposed to be a vector, but got dim: {idx.ndim} with type: "
                         f"{_name(idx.dtype)} and size: {shape_str(idx.shape)}")
    if src.dtype != a.dtype:
        raise RuntimeError(f"index_add_(): self ({_name(a.dtype)}) and source ({_name(src.dtype)}) must have the "
                           f"same scalar type")
    dim = wrap_dim(dim, a.ndim)
    _index_source_checks(a, dim, idx, src, "index_add_")
    size = a.shape[dim] if a.ndim else 1
    idx = _bounds(idx.reshape(-1), size, _out_of_bounds(dim, size), False)
    if a.dtype.kind in "iu" and not isinstance(alpha, (int, np.integer)):
        alpha = int(alpha)
    return _out(apply(IndexAddBackward0, (input, source), dim, _on(idx, a), alpha), out)


def _dim_index(dim, idx):
    return (slice(None),) * dim + (idx, Ellipsis)


class IndexCopyBackward0(Node):
    __slots__ = ("dim", "index", "src_shape")

    def forward(self, a, src, dim, idx):
        self.dim, self.index, self.src_shape = dim, idx, src.shape
        out = a.copy()
        if a.ndim == 0:
            out[...] = src.reshape(())
            return out
        out[_dim_index(dim, idx)] = src.reshape(_dim_shape(a.shape, dim, idx.size))
        return out

    def backward(self, g):
        e = self.next_edges
        ga = gs = None
        if e[0] is not None:
            ga = apply(IndexFillBackward0, (g,), self.dim, self.index, _scalar_array(0, g._data.dtype, g._data))
        if e[1] is not None:
            gs = apply(IndexSelectBackward0, (g,), self.dim, self.index)
            if gs._data.shape != self.src_shape:
                gs = gs.reshape(self.src_shape)
        return ga, gs


def _dim_shape(shape, dim, n):
    return shape[:dim] + (n,) + shape[dim + 1:]


def index_copy(input, dim, index, source, *, out=None):
    a, idx, src = input._data, index._data, source._data
    if idx.dtype != np.int64:
        raise RuntimeError(f"index_copy_(): Expected a long tensor for index, but got {_name(idx.dtype)}")
    if idx.ndim > 1:
        raise IndexError(f"index_copy_(): Index should have dimension 1 or 0 (got {idx.ndim})")
    if src.dtype != a.dtype:
        raise RuntimeError(f"index_copy_(): self and source expected to have the same dtype, but got (self) "
                           f"{_name(a.dtype)} and (source) {_name(src.dtype)}")
    dim = wrap_dim(dim, a.ndim)
    if a.ndim and src.ndim and src.ndim != a.ndim:
        raise IndexError(f"index_copy_(): When source and destination are not scalars, their dimensionality must "
                         f"match. Source dimensionality ({src.ndim}), destination dimensionality ({a.ndim})")
    if a.ndim and src.ndim:
        s1 = a.shape[:dim] + a.shape[dim + 1:]
        s2 = src.shape[:dim] + src.shape[dim + 1:]
        for j, (p, q) in enumerate(zip(s1, s2)):
            if p != q:
                raise RuntimeError(f"index_copy_(): Source/destination tensor must have same slice shapes. "
                                   f"Destination slice shape: {p} at dimension {j} and source slice shape: {q} at "
                                   f"dimension {j}.")
    n_src = src.shape[dim] if src.ndim else 1
    if idx.size != n_src:
        raise IndexError(f"index_copy_(): Number of indices ({idx.size}) should be equal to source.size(dim) "
                         f"({n_src})")
    size = a.shape[dim] if a.ndim else 1
    idx = _bounds(idx.reshape(-1), size, lambda v: IndexError(
        f"index_copy_(): index {v} is out of bounds for dimension {dim} with size {size}"), False)
    return _out(apply(IndexCopyBackward0, (input, source), dim, _on(idx, a)), out)


def _index_filled(a, dim, idx, value):
    """A copy of ``a`` with the slices ``idx`` along ``dim`` set to ``value`` (an array scalar or 0-d array)."""
    out = a.copy()
    if a.ndim == 0:
        if idx.size:
            out[...] = value
        return out
    out[_dim_index(dim, idx)] = value
    return out


class IndexFillBackward0(Node):
    """index_fill with a scalar value."""
    __slots__ = ("dim", "index")

    def forward(self, a, dim, idx, value):
        self.dim, self.index = dim, idx
        return _index_filled(a, dim, idx, value)

    def backward(self, g):
        return (apply(IndexFillBackward0, (g,), self.dim, self.index, _scalar_array(0, g._data.dtype, g._data)),)


class IndexFillBackward1(Node):
    """index_fill with a 0-d tensor value."""
    __slots__ = ("dim", "index")

    def forward(self, a, value, dim, idx):
        self.dim, self.index = dim, idx
        return _index_filled(a, dim, idx, value)

    def backward(self, g):
        e = self.next_edges
        ga = gv = None
        if e[0] is not None:
            ga = apply(IndexFillBackward0, (g,), self.dim, self.index, _scalar_array(0, g._data.dtype, g._data))
        if e[1] is not None:
            uniq = xp_of(self.index).unique(self.index)
            gv = apply(IndexSelectBackward0, (g,), self.dim, uniq).sum()
        return ga, gv


def index_fill(input, dim, index, value):
    a, idx = input._data, index._data
    if idx.dtype != np.int64:
        raise IndexError("index_fill_(): Expected dtype int64 for index.")
    if idx.ndim > 1:
        raise RuntimeError("Index has to be a vector/scalar")
    dim = wrap_dim(dim, a.ndim)
    size = a.shape[dim] if a.ndim else 1
    idx = _bounds(idx.reshape(-1), size, lambda v: IndexError(
        f"index {v} is out of bounds for dimension {dim} with size {size}"), True)
    idx = _on(idx, a)
    if isinstance(value, Tensor):
        v = _value_tensor(value, input, "index_fill_")
        return apply(IndexFillBackward1, (input, v), dim, idx)
    return apply(IndexFillBackward0, (input,), dim, idx, _scalar_array(value, a.dtype, a))


# -- masked ops ---------------------------------------------------------------------------------

class MaskedFillBackward0(Node):
    """masked_fill with a scalar value."""
    __slots__ = ("in_shape", "mask")

    def forward(self, a, mask, value):
        self.in_shape, self.mask = a.shape, mask
        return xp_of(a).where(mask, value, a)

    def backward(self, g):
        return (sum_to(apply(MaskedFillBackward0, (g,), self.mask, _scalar_array(0, g._data.dtype, g._data)),
                       self.in_shape),)


class MaskedFillBackward1(Node):
    """masked_fill with a 0-d tensor value."""
    __slots__ = ("in_shape", "mask")

    def forward(self, a, value, mask):
        self.in_shape, self.mask = a.shape, mask
        return xp_of(a).where(mask, value, a)

    def backward(self, g):
        e = self.next_edges
        ga = gv = None
        zero = _scalar_array(0, g._data.dtype, g._data)
        if e[0] is not None:
            ga = sum_to(apply(MaskedFillBackward0, (g,), self.mask, zero), self.in_shape)
        if e[1] is not None:
            gv = apply(MaskedFillBackward0, (g,), ~self.mask, zero).sum()
        return ga, gv


def _check_bool_mask(mask, msg):
    if mask._data.dtype != np.bool_:
        raise RuntimeError(msg(mask._data.dtype))


def masked_fill(input, mask, value):
    _check_bool_mask(mask, lambda d: "masked_fill_ only supports boolean masks, but got mask with dtype "
                     + _CPP_NAMES[_dtype._from_np[d].name])
    a = input._data
    m = _on(mask._data, a)
    if isinstance(value, Tensor):
        v = _value_tensor(value, input, "masked_fill_")
        broadcast_shapes(m.shape, a.shape)
        return apply(MaskedFillBackward1, (input, v), m)
    val = _scalar_array(value, a.dtype, a)
    broadcast_shapes(m.shape, a.shape)
    return apply(MaskedFillBackward0, (input,), m, val)


class MaskedSelectBackward0(Node):
    __slots__ = ("in_shape", "mask")

    def forward(self, a, mask):
        self.in_shape, self.mask = a.shape, mask
        return a[mask]

    def backward(self, g):
        from .creation import zeros
        z = zeros(self.in_shape, dtype=g.dtype, device=g.device)
        return (apply(MaskedScatterBackward0, (z, g), self.mask),)


def masked_select(input, mask, *, out=None):
    if mask._data.dtype != np.bool_:
        raise RuntimeError("masked_select: expected BoolTensor for mask")
    a = input._data
    m = _on(mask._data, a)
    shape = broadcast_shapes(m.shape, a.shape)
    x = input if a.shape == shape else input.expand(shape)
    if m.shape != shape:
        m = xp_of(a).broadcast_to(m, shape)
    return _out(apply(MaskedSelectBackward0, (x,), m), out)


class MaskedScatterBackward0(Node):
    __slots__ = ("mask", "src_shape", "count")

    def forward(self, a, src, mask):
        self.mask, self.src_shape = mask, src.shape
        out = a.copy()
        n = int(mask.sum())
        self.count = n
        out[mask] = src.reshape(-1)[:n]
        return out

    def backward(self, g):
        e = self.next_edges
        ga = gs = None
        if e[0] is not None:
            ga = apply(MaskedFillBackward0, (g,), self.mask, _scalar_array(0, g._data.dtype, g._data))
        if e[1] is not None:
            sel = apply(MaskedSelectBackward0, (g,), self.mask)
            total = 1
            for s in self.src_shape:
                total *= s
            if total > self.count:
                from .creation import zeros
                from .shape import cat
                sel = cat([sel, zeros(total - self.count, dtype=g.dtype, device=g.device)])
            gs = sel.reshape(self.src_shape)
        return ga, gs


def masked_scatter(input, mask, source):
    md = mask._data.dtype
    if md != np.bool_:
        raise RuntimeError(f"masked_scatter_ only supports boolean masks, but got mask with dtype {_name(md)}")
    a, src = input._data, source._data
    if src.dtype != a.dtype:
        raise RuntimeError(f"masked_scatter: expected self and source to have same dtypes but got"
                           f"{_name(a.dtype)} and {_name(src.dtype)}")
    m = _on(mask._data, a)
    shape = broadcast_shapes(m.shape, a.shape)
    x = input if a.shape == shape else input.expand(shape).clone()
    if m.shape != shape:
        m = xp_of(a).broadcast_to(m, shape)
    if int(m.sum()) > src.size:
        raise RuntimeError("Number of elements of source < number of ones in mask")
    return apply(MaskedScatterBackward0, (x, source), m)


# -- nonzero, take, put ----------------------------------------------------------------------------

class NonzeroBackward0(Node):
    __slots__ = ()
    DIFFERENTIABLE = False

    def forward(self, a, as_tuple):
        xp = xp_of(a)
        if a.ndim == 0:
            hit = bool(a)
            if as_tuple:
                return (xp.zeros(1 if hit else 0, dtype=np.int64),)
            return xp.zeros((1 if hit else 0, 0), dtype=np.int64)
        nz = xp.nonzero(a)
        if as_tuple:
            return tuple(z.astype(np.int64, copy=False) for z in nz)
        return xp.stack(nz, axis=1).astype(np.int64, copy=False) if nz else xp.zeros((0, 0), dtype=np.int64)


def nonzero(input, *, out=None, as_tuple=False):
    r = apply(NonzeroBackward0, (input,), bool(as_tuple))
    return r if as_tuple else _out(r, out)


def argwhere(input):
    return nonzero(input)


def _check_long(index, what):
    d = index._data.dtype
    if d != np.int64:
        raise RuntimeError(f"{what}(): Expected a long tensor for index, but got {_name(d)}")


def _flat_bounds(idx, n):
    return _bounds(idx, n, lambda v: IndexError(f"out of range: tried to access index {v} on a tensor of {n} "
                                                f"elements."), True)


class TakeBackward0(Node):
    __slots__ = ("in_shape", "index")

    def forward(self, a, idx):
        self.in_shape, self.index = a.shape, idx
        return a.reshape(-1)[idx]

    def backward(self, g):
        from .creation import zeros
        z = zeros(self.in_shape, dtype=g.dtype, device=g.device)
        return (apply(PutBackward0, (z, g), self.index, True),)


def take(input, index):
    _check_long(index, "take")
    a = input._data
    idx = _flat_bounds(index._data, a.size)
    return apply(TakeBackward0, (input,), _on(idx, a))


class PutBackward0(Node):
    __slots__ = ("index", "accumulate", "src_shape")

    def forward(self, a, src, idx, accumulate):
        self.index, self.accumulate, self.src_shape = idx, accumulate, src.shape
        out = a.copy()
        flat = out.reshape(-1)
        if accumulate:
            _add_at_flat(flat, idx.reshape(-1), src.reshape(-1))
        else:
            flat[idx.reshape(-1)] = src.reshape(-1)
        return out

    def backward(self, g):
        from .creation import zeros
        e = self.next_edges
        ga = gs = None
        if e[0] is not None:
            if self.accumulate:
                ga = g
            else:
                z = zeros(self.src_shape, dtype=g.dtype, device=g.device)
                ga = apply(PutBackward0, (g, z), self.index, False)
        if e[1] is not None:
            gs = apply(TakeBackward0, (g,), self.index)
            if gs._data.shape != self.src_shape:
                gs = gs.reshape(self.src_shape)
        return ga, gs


def put(input, index, source, accumulate=False):
    _check_long(index, "put_")
    a, src = input._data, source._data
    if src.dtype != a.dtype:
        raise RuntimeError(f"put_(): self and source expected to have the same dtype, but got self.dtype = "
                           f"{_name(a.dtype)} and source.dtype = {_name(src.dtype)}")
    if src.size != index._data.size:
        raise IndexError(f"put_(): Expected source and index to have the same number of elements, but got "
                         f"source.numel() = {src.size}, index.numel() = {index._data.size}")
    idx = _flat_bounds(index._data, a.size)
    return apply(PutBackward0, (input, source), _on(idx, a), bool(accumulate))


def take_along_dim(input, indices, dim=None, *, out=None):
    if indices._data.dtype != np.int64:
        raise RuntimeError(f"torch.take_along_dim(): dtype of indices should be Long but got "
                           f"{_name(indices._data.dtype)}")
    if dim is None:
        return gather(input.reshape(-1), 0, indices.reshape(-1), out=out)
    a, idx = input._data, indices._data
    if a.ndim != idx.ndim:
        raise RuntimeError(f"torch.take_along_dim(): input and indices should have the same number of dimensions, "
                           f"but got {a.ndim} dimensions for input, and {idx.ndim} dimensions for indices")
    dim = wrap_dim(dim, a.ndim)
    s = list(a.shape)
    if a.ndim:
        s[dim] = idx.shape[dim]
    ishape = broadcast_shapes(tuple(s), idx.shape)
    si = list(idx.shape)
    if a.ndim:
        si[dim] = a.shape[dim]
    xshape = broadcast_shapes(tuple(si), a.shape)
    x = input if a.shape == xshape else input.expand(xshape)
    i = indices if idx.shape == ishape else indices.expand(ishape)
    return gather(x, dim, i, out=out)


# -- index_put ------------------------------------------------------------------------------------

def _adv_from_tensors(self, indices):
    a = self._data
    entries = []
    d = 0
    for i, t in enumerate(indices):
        if not isinstance(t, Tensor):
            raise TypeError(f"expected Tensor as element {i} in argument 1, but got {type(t).__name__}")
        arr = t._data
        dt = arr.dtype
        if dt == np.bool_ or dt == np.uint8:
            if dt == np.uint8:
                warnings.warn("indexing with dtype torch.uint8 is now deprecated, please use a dtype torch.bool "
                              "instead.", UserWarning, stacklevel=3)
                arr = arr.astype(np.bool_)
            entries.append((d, "mask", _on(arr, a)))
            d += arr.ndim
        elif dt in (np.int32, np.int64):
            entries.append((d, "tensor", _on(arr, a)))
            d += 1
        else:
            raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
    if d > a.ndim:
        raise IndexError(f"too many indices for tensor of dimension {a.ndim} (got {d})")
    return _finish_adv(a.shape, entries, xp_of(a)) if entries else ()


def index_put(input, indices, values, accumulate=False):
    if not isinstance(values, Tensor):
        raise TypeError(f"index_put(): argument 'values' (position 3) must be Tensor, not {type(values).__name__}")
    a = input._data
    if values._data.dtype != a.dtype:
        raise RuntimeError(f"Index put requires the source and destination dtypes match, got {_name(a.dtype)} for "
                           f"the destination and {_name(values._data.dtype)} for the source.")
    adv = _adv_from_tensors(input, tuple(indices))
    target = _adv_shape(a.shape, adv, a)
    _check_value_broadcast(values._data.shape, target)
    v = values if values._data.__class__ is a.__class__ else values.to(input.device)
    return apply(IndexPutBackward0, (input, v), adv, bool(accumulate))


# -- select / slice / diagonal scatter -------------------------------------------------------------

class SelectScatterBackward0(views.SliceScatterBackward0):
    __slots__ = ()


def _scatter_src(input, src, slice_shape):
    if src._data.shape != slice_shape:
        raise RuntimeError(f"expected src to have a size equal to the slice of self. src size = "
                           f"{shape_str(src._data.shape)}, slice size = {shape_str(slice_shape)}")
    if src._data.dtype != input._data.dtype:
        src = src.to(input.dtype)
    if src._data.__class__ is not input._data.__class__:
        src = src.to(input.device)
    return src


def select_scatter(input, src, dim, index):
    a = input._data
    nd = a.ndim
    if nd == 0:
        raise IndexError("select() cannot be applied to a 0-dim tensor.")
    dim = wrap_dim(dim, nd)
    size = a.shape[dim]
    if not -size <= index < size:
        raise IndexError(f"select(): index {index} out of range for tensor of size {shape_str(a.shape)} at "
                         f"dimension {dim}")
    idx = (slice(None),) * dim + (index % size, Ellipsis)
    src = _scatter_src(input, src, a[idx].shape)
    return apply(SelectScatterBackward0, (input, src), idx)


def slice_scatter(input, src, dim=0, start=None, end=None, step=1):
    a = input._data
    dim = wrap_dim(dim, a.ndim)
    if step is None:
        step = 1
    if step <= 0:
        raise RuntimeError("slice step must be positive")
    idx = (slice(None),) * dim + (slice(start, end, step), Ellipsis)
    src = _scatter_src(input, src, a[idx].shape)
    return apply(views.SliceScatterBackward0, (input, src), idx)


class DiagonalScatterBackward0(Node):
    __slots__ = ("offset", "d1", "d2", "src_shape")

    def forward(self, a, src, offset, d1, d2):
        self.offset, self.d1, self.d2, self.src_shape = offset, d1, d2, src.shape
        xp = xp_of(a)
        out = a.copy()
        v = xp.moveaxis(out, (d1, d2), (-2, -1))
        n = src.shape[-1]
        i = xp.arange(n)
        if offset >= 0:
            v[..., i, i + offset] = src
        else:
            v[..., i - offset, i] = src
        return out

    def backward(self, g):
        from .creation import zeros
        e = self.next_edges
        ga = gs = None
        if e[0] is not None:
            z = zeros(self.src_shape, dtype=g.dtype, device=g.device)
            ga = apply(DiagonalScatterBackward0, (g, z), self.offset, self.d1, self.d2)
        if e[1] is not None:
            gs = g.diagonal(self.offset, self.d1, self.d2)
        return ga, gs


def diagonal_scatter(input, src, offset=0, dim1=0, dim2=1):
    a = input._data
    nd = a.ndim
    d1, d2 = wrap_dim(dim1, nd), wrap_dim(dim2, nd)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    src = _scatter_src(input, src, a.diagonal(offset, d1, d2).shape)
    return apply(DiagonalScatterBackward0, (input, src), offset, d1, d2)


def _out(result, out):
    if out is None:
        return result
    from ._util import write_out as pw_out
    return pw_out(result, out)


_NAMES = """gather scatter scatter_add scatter_reduce index_select index_add index_copy index_fill masked_fill
    masked_select masked_scatter nonzero argwhere take take_along_dim put index_put select_scatter slice_scatter
    diagonal_scatter"""
__all__ = _NAMES.split()
TENSOR_METHODS = _NAMES
INPLACE = "scatter scatter_add scatter_reduce index_add index_copy index_fill masked_fill masked_scatter put index_put"
EXTRA_METHODS = {"__getitem__": getitem, "__setitem__": setitem}
