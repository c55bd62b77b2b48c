"""Reductions: sum, mean, prod, max/min, var/std, median, norm, logsumexp, cumulative ops, all/any, ...

Every reduction takes torch's dim / keepdim / dtype arguments and gives torch's result dtypes
(integer and bool sums and products accumulate in int64; float16/bfloat16 accumulate in float32).
Ops that select elements (max(dim), median(dim), sort, topk, ...) return their indices as int64 and
route the gradient back through ``_scatter_back`` (a scatter into zeros, whose own backward is a gather).
"""
import builtins
import math
import warnings

import numpy as np

from .. import _dtype
from .. import return_types
from .._device import xp_of, on_host
from ..autograd.graph import Node
from .._tensor import Tensor, wrap
from ._dispatch import apply
from ._util import wrap_dim, wrap_dims, const

_bf16 = _dtype.bfloat16.np
_int64 = np.dtype(np.int64)


# -- dims and shapes -----------------------------------------------------------------------

def _reduce_dims(self, dim):
    """Normalised dims to reduce (None = all); a 0-d tensor accepts dim 0/-1 and reduces nothing."""
    nd = self._data.ndim
    if dim is None or (isinstance(dim, (tuple, list)) and len(dim) == 0):
        return None
    dims = wrap_dims(dim, nd)
    return () if nd == 0 else dims


def _one_dim(self, dim):
    """A single wrapped dim for a value-selecting op (0-d tensors take dim 0 / -1)."""
    return wrap_dim(dim, self._data.ndim)


def _unsqueeze_back(g, in_shape, dims, keepdim):
    """Reshape a reduced gradient so it broadcasts against the input (reduced dims become 1)."""
    if keepdim or len(in_shape) == 0:
        return g
    if dims is None:
        return g.reshape((1,) * len(in_shape))
    shape = list(g._data.shape)
    for d in sorted(dims):
        shape.insert(d, 1)
    return g.reshape(tuple(shape))


def _expand_back(g, in_shape, dims, keepdim):
    """Broadcast a reduced gradient back over the reduced dims."""
    g = _unsqueeze_back(g, in_shape, dims, keepdim)
    if tuple(g._data.shape) == tuple(in_shape):
        return g
    return g.expand(in_shape)


def _count(shape, dims):
    if dims is None:
        return math.prod(shape)
    return math.prod(shape[d] for d in dims)


def _is_float(a):
    return a.dtype.kind in "fc" or a.dtype == _bf16


_HALF_TYPES = frozenset(d for d in (np.dtype(np.float16), _bf16) if d is not None)


def _acc(a):
    """Accumulation dtype for a float array (half types accumulate in float32)."""
    return np.float32 if a.dtype in _HALF_TYPES else None


def _np_dtype(dtype):
    return None if dtype is None else _dtype.to_dtype(dtype).np


def _empty_check(name, x, dims_given):
    if x._data.size == 0 and not dims_given:
        raise RuntimeError(f"{name}(): Expected reduction dim to be specified for input.numel() == 0. "
                           "Specify the reduction dim with the 'dim' argument.")


def _nonzero_dims_check(name, x, dims, sep="():"):
    shape = x._data.shape
    for d in dims:
        if len(shape) and shape[d] == 0:
            raise IndexError(f"{name}{sep} Expected reduction dim {d} to have non-zero size.")


# -- gather / scatter along a dim (the backward of every value-selecting op) ------------------

def _work(a):
    return a.reshape(1) if a.ndim == 0 else a


class ScatterAddBackward0(Node):
    """zeros(in_shape) with g added at idx along dim (idx has the keepdim shape)."""
    __slots__ = ("dim", "idx", "g_shape", "unique")

    def forward(self, g, dim, idx, in_shape, unique):
        self.dim, self.idx, self.g_shape, self.unique = dim, idx, g.shape, unique
        xp = xp_of(g)
        wshape = in_shape if len(in_shape) else (1,)
        gv = g.reshape(idx.shape)
        if unique:
            out = xp.zeros(wshape, dtype=g.dtype)
            xp.put_along_axis(out, idx, gv, axis=dim)
        else:
            lin = _linear_index(idx, dim, wshape, xp)
            n = math.prod(wshape)
            if xp is np and g.dtype.kind == "f":
                out = np.bincount(lin.ravel(), weights=gv.ravel(), minlength=n).astype(g.dtype)
            else:
                out = xp.zeros(n, dtype=g.dtype)
                if xp is np:
                    np.add.at(out, lin.ravel(), gv.ravel())
                else:
                    import cupyx
                    cupyx.scatter_add(out, lin.ravel(), gv.ravel())
            out = out.reshape(wshape)
        return out.reshape(in_shape)

    def backward(self, g):
        return (apply(GatherBackward0, (g,), self.dim, self.idx, self.g_shape, self.unique),)


class GatherBackward0(Node):
    """Values of a at idx along dim, reshaped to out_shape."""
    __slots__ = ("dim", "idx", "in_shape", "unique")

    def forward(self, a, dim, idx, out_shape, unique):
        self.dim, self.idx, self.in_shape, self.unique = dim, idx, a.shape, unique
        return xp_of(a).take_along_axis(_work(a), idx, axis=dim).reshape(out_shape)

    def backward(self, g):
        return (apply(ScatterAddBackward0, (g,), self.dim, self.idx, self.in_shape, self.unique),)


def _linear_index(idx, dim, shape, xp):
    """Flat positions in an array of `shape` addressed by idx along dim (other coords implicit)."""
    nd = idx.ndim  # open grids, as np.indices(sparse=True), which CuPy lacks
    grids = [xp.arange(n).reshape((1,) * i + (n,) + (1,) * (nd - i - 1)) for i, n in enumerate(idx.shape)]
    grids[dim] = idx
    return xp.ravel_multi_index(tuple(xp.broadcast_to(gr, idx.shape) for gr in grids), shape)


def _scatter_back(g, dim, idx, in_shape, unique=True):
    if g is None:
        return None
    return apply(ScatterAddBackward0, (g,), dim, idx, in_shape, unique)


class _Select(Node):
    """Base of ops returning (values, indices) picked along one dim; gradient goes to the picked spots."""
    __slots__ = ("dim", "idx", "in_shape")
    NON_DIFF_OUTPUTS = (1,)
    UNIQUE = True

    def forward(self, a, dim, keepdim, *params):
        self.in_shape, self.dim = a.shape, dim
        w = _work(a)
        idx = self.select(w, dim, *params)
        if idx.dtype != _int64:
            idx = idx.astype(_int64)
        self.idx = idx
        xp = xp_of(a)
        vals = xp.take_along_axis(w, idx, axis=dim)
        if a.ndim == 0:
            return vals.reshape(()), idx.reshape(())
        if not keepdim:
            return vals.squeeze(dim), idx.squeeze(dim).copy()
        return vals, idx.copy()

    def backward(self, g, gi=None):
        return (_scatter_back(g, self.dim, self.idx, self.in_shape, self.UNIQUE),)


def _arg_extreme(w, dim, greater):
    xp = xp_of(w)
    f = xp.argmax if greater else xp.argmin
    if w.dtype == np.bool_:
        w = w.view(np.uint8)
    return xp.expand_dims(f(w, axis=dim), dim)


class MaxBackward0(_Select):
    __slots__ = ()

    def select(self, w, dim):
        return _arg_extreme(w, dim, True)


class MinBackward0(_Select):
    __slots__ = ()

    def select(self, w, dim):
        return _arg_extreme(w, dim, False)


class _Evenly(Node):
    """A full reduction to one picked value; the gradient is split evenly among the elements equal to it."""
    __slots__ = ()
    SAVES_INPUTS = True
    SAVES_OUTPUT = True

    def forward(self, a, *params):
        v = self.value(a, *params)
        return xp_of(a).asarray(v, dtype=a.dtype).reshape(())

    def backward(self, g):
        a, v = self.inputs[0]._data, self.out._data
        if a.size and bool(xp_of(a).isnan(v)):
            mask = xp_of(a).isnan(a)
        else:
            mask = a == v
        cnt = builtins.max(int(mask.sum()), 1)
        return (g * wrap((mask / cnt).astype(a.dtype)),)


class MaxBackward1(_Evenly):
    __slots__ = ()

    @staticmethod
    def value(a):
        return a.max()


class MinBackward1(_Evenly):
    __slots__ = ()

    @staticmethod
    def value(a):
        return a.min()


class MedianBackward0(_Evenly):
    __slots__ = ()

    @staticmethod
    def value(a):
        xp = xp_of(a)
        if a.size == 0:
            return xp.asarray(np.nan, dtype=a.dtype)
        flat = a.ravel()
        if _is_float(a) and bool(xp.isnan(flat).any()):
            return xp.asarray(np.nan, dtype=a.dtype)
        k = (flat.size - 1) // 2
        return xp.partition(flat, k)[k]


class NanmedianBackward0(_Evenly):
    __slots__ = ()

    @staticmethod
    def value(a):
        xp = xp_of(a)
        flat = a.ravel()
        if _is_float(a):
            flat = flat[~xp.isnan(flat)]
        if flat.size == 0:
            return xp.asarray(np.nan, dtype=a.dtype)
        k = (flat.size - 1) // 2
        return xp.partition(flat, k)[k]


# -- sum / mean / nansum / nanmean ------------------------------------------------------------

class SumBackward0(Node):
    """sum() over everything (SumBackward1: over given dims); the input is already in the result dtype."""
    __slots__ = ("in_shape", "dims", "keepdim", "in_dtype")

    def forward(self, a, dims, keepdim, np_dtype):
        self.in_shape, self.dims, self.keepdim, self.in_dtype = a.shape, dims, keepdim, a.dtype
        if np_dtype is not None and a.dtype != np_dtype:
            a = a.astype(np_dtype)
        acc = _acc(a)
        if acc is None:  # dtype= keeps NumPy from widening small integer sums
            if dims is None and not keepdim:  # a 0-d array by reshape: cheaper than wrapping a NumPy scalar
                return a.sum(keepdims=True, dtype=a.dtype).reshape(())
            return a.sum(axis=dims, keepdims=keepdim, dtype=a.dtype)
        return a.sum(axis=dims, keepdims=keepdim, dtype=acc).astype(a.dtype)

    def backward(self, g):
        if g._data.dtype != self.in_dtype:
            g = g.to(_dtype._from_np[self.in_dtype])
        return (_expand_back(g, self.in_shape, self.dims, self.keepdim),)


class SumBackward1(SumBackward0):
    __slots__ = ()


def _sum_dtype(x, dtype):
    if dtype is not None:
        return _dtype.to_dtype(dtype).np
    if x._data.dtype.kind in "biu":
        return _int64  # integer and bool sums accumulate in int64, as in torch
    return None


def sum(input, dim=None, keepdim=False, *, dtype=None, out=None):
    if dim is None and dtype is None and input._data.dtype.kind in "fc":  # x.sum(): nothing to resolve
        return apply(SumBackward0, (input,), None, keepdim, None)
    if isinstance(dim, _dtype.dtype):
        dim, dtype = None, dim
    dims = _reduce_dims(input, dim)
    cls = SumBackward0 if dim is None else SumBackward1
    return apply(cls, (input,), dims, keepdim, _sum_dtype(input, dtype))


class NansumBackward0(Node):
    __slots__ = ("in_shape", "dims", "keepdim", "mask")

    def forward(self, a, dims, keepdim, np_dtype):
        self.in_shape, self.dims, self.keepdim = a.shape, dims, keepdim
        if np_dtype is not None and a.dtype != np_dtype:
            a = a.astype(np_dtype)
        if not _is_float(a):
            self.mask = None
            return a.sum(axis=dims, keepdims=keepdim, dtype=a.dtype)
        xp = xp_of(a)
        nan = xp.isnan(a)
        self.mask = ~nan
        a = xp.where(nan, a.dtype.type(0), a)
        acc = _acc(a)
        return a.sum(axis=dims, keepdims=keepdim, dtype=acc).astype(a.dtype, copy=False)

    def backward(self, g):
        g = _unsqueeze_back(g, self.in_shape, self.dims, self.keepdim)
        return (g * wrap(self.mask).to(g.dtype),)


def nansum(input, dim=None, keepdim=False, *, dtype=None, out=None):
    if isinstance(dim, _dtype.dtype):
        dim, dtype = None, dim
    return apply(NansumBackward0, (input,), _reduce_dims(input, dim), keepdim, _sum_dtype(input, dtype))


class MeanBackward0(Node):
    """mean() over everything (MeanBackward1: over given dims)."""
    __slots__ = ("in_shape", "dims", "keepdim", "count")

    def forward(self, a, dims, keepdim):
        self.in_shape, self.dims, self.keepdim = a.shape, dims, keepdim
        n = _count(a.shape, dims)
        self.count = n
        acc = _acc(a)
        s = a.sum(axis=dims, keepdims=keepdim, dtype=acc)
        # no np.errstate here (it costs more than a small mean): dividing by n > 0 never warns
        r = s / n if n else s * np.nan
        return r.astype(a.dtype, copy=False)

    def backward(self, g):
        g = g / self.count if self.count else g * float("nan")
        return (_expand_back(g, self.in_shape, self.dims, self.keepdim),)


class MeanBackward1(MeanBackward0):
    __slots__ = ()


def _float_dtype_check(name, x, dtype):
    if dtype is not None:
        d = _dtype.to_dtype(dtype)
        if d.category < _dtype.FLOAT:
            raise RuntimeError(f"{name}(): could not infer output dtype. Optional dtype must be either a floating "
                               f"point or complex dtype. Got: {d._short}")
        return x.to(d) if x._data.dtype != d.np else x
    if not _is_float(x._data):
        raise RuntimeError(f"{name}(): could not infer output dtype. Input dtype must be either a floating point "
                           f"or complex dtype. Got: {x.dtype._short}")
    return x


def mean(input, dim=None, keepdim=False, *, dtype=None, out=None):
    if isinstance(dim, _dtype.dtype):
        dim, dtype = None, dim
    x = _float_dtype_check("mean", input, dtype)
    cls = MeanBackward0 if dim is None else MeanBackward1
    return apply(cls, (x,), _reduce_dims(x, dim), keepdim)


def nanmean(input, dim=None, keepdim=False, *, dtype=None, out=None):
    if dtype is None and not _is_float(input._data):
        raise RuntimeError("nanmean(): expected input to have floating point or complex dtype but got "
                           f"{input.dtype._short}")
    x = input if dtype is None else input.to(_dtype.to_dtype(dtype))
    cnt = wrap((~xp_of(x._data).isnan(x._data)).sum(axis=_reduce_dims(x, dim), keepdims=keepdim)
               .astype(x._data.dtype))
    return nansum(x, dim, keepdim) / cnt


# -- prod -------------------------------------------------------------------------------------

class ProdBackward0(Node):
    """prod() over everything (ProdBackward1: over one dim); exact with zeros in the input."""
    __slots__ = ("dims", "keepdim")
    SAVES_INPUTS = True
    SAVES_OUTPUT = True

    def forward(self, a, dims, keepdim, np_dtype):
        self.dims, self.keepdim = dims, keepdim
        if np_dtype is not None and a.dtype != np_dtype:
            a = a.astype(np_dtype)
        acc = _acc(a)
        return a.prod(axis=dims, keepdims=keepdim, dtype=acc or a.dtype).astype(a.dtype, copy=False)

    def backward(self, g):
        x = self.inputs[0]
        shape = x._data.shape
        out = self.out
        if out._data.dtype != x._data.dtype:
            out = out.to(x.dtype)
            g = g.to(x.dtype)
        g = _unsqueeze_back(g, shape, self.dims, self.keepdim)
        xd = x._data
        zero = xd == 0
        if not zero.any():
            return (g * _unsqueeze_back(out, shape, self.dims, self.keepdim) / x,)
        # prod of the others: P/x where no zero in the slice, P(nonzero) at the lone zero, else 0
        nz = zero.sum(axis=self.dims, keepdims=True)
        x_safe = x + wrap(zero.astype(xd.dtype))
        p = x_safe.prod() if self.dims is None else x_safe.prod(self.dims[0], keepdim=True) if self.dims else x_safe
        m0 = wrap(np.broadcast_to(nz == 0, shape).astype(xd.dtype))
        m1 = wrap((zero & (nz == 1)).astype(xd.dtype))
        return (g * (p / x_safe * m0 + p * m1),)


class ProdBackward1(ProdBackward0):
    __slots__ = ()


def prod(input, dim=None, keepdim=False, *, dtype=None, out=None):
    if isinstance(dim, _dtype.dtype):
        dim, dtype = None, dim
    npd = _sum_dtype(input, dtype)
    if dim is None:
        return apply(ProdBackward0, (input,), None, False, npd)
    d = wrap_dim(dim, input._data.ndim)
    return apply(ProdBackward1, (input,), (d,) if input._data.ndim else (), keepdim, npd)


# -- max / min / amax / amin / argmax / argmin / aminmax ------------------------------------

def _minmax(name, input, dim, keepdim, other, greater):
    if isinstance(dim, Tensor):
        other, dim = dim, None
    if other is not None:
        from .pointwise import maximum, minimum
        return (maximum if greater else minimum)(input, other)
    if dim is None:
        _empty_check(name, input, False)
        return apply(MaxBackward1 if greater else MinBackward1, (input,))
    d = _one_dim(input, dim)
    _nonzero_dims_check(name, input, (d,))
    res = apply(MaxBackward0 if greater else MinBackward0, (input,), d, keepdim)
    return (return_types.max if greater else return_types.min)(res)


def max(input, dim=None, keepdim=False, *, other=None, out=None):
    return _minmax("max", input, dim, keepdim, other, True)


def min(input, dim=None, keepdim=False, *, other=None, out=None):
    return _minmax("min", input, dim, keepdim, other, False)


def _even_scale(a, r, dims):
    """mask of the elements equal to their slice's extreme r (keepdim shape), divided by the count."""
    mask = a == r
    with np.errstate(invalid="ignore", divide="ignore"):
        return (mask / mask.sum(axis=dims, keepdims=True)).astype(a.dtype)


class AmaxBackward0(Node):
    """amax over dims; the gradient is split evenly among the maxima of each slice, as in torch."""
    __slots__ = ("in_shape", "dims", "keepdim")
    SAVES_INPUTS = True
    SAVES_OUTPUT = True
    greater = True

    def forward(self, a, dims, keepdim):
        self.in_shape, self.dims, self.keepdim = a.shape, dims, keepdim
        return a.max(axis=dims, keepdims=keepdim) if self.greater else a.min(axis=dims, keepdims=keepdim)

    def backward(self, g):
        a = self.inputs[0]._data
        r = _unsqueeze_back(self.out, self.in_shape, self.dims, self.keepdim)._data
        return (_unsqueeze_back(g, self.in_shape, self.dims, self.keepdim) * wrap(_even_scale(a, r, self.dims)),)


class AminBackward0(AmaxBackward0):
    __slots__ = ()
    greater = False


def _amaxmin(name, cls, input, dim, keepdim):
    dims = _reduce_dims(input, dim)
    if dims is None or dims == ():
        _empty_check(name, input, input._data.ndim == 0 and dims == ())
        if input._data.ndim:
            dims = None
    else:
        _nonzero_dims_check(name, input, dims)
    return apply(cls, (input,), dims, keepdim)


def amax(input, dim=(), keepdim=False, *, out=None):
    return _amaxmin("amax", AmaxBackward0, input, dim, keepdim)


def amin(input, dim=(), keepdim=False, *, out=None):
    return _amaxmin("amin", AminBackward0, input, dim, keepdim)


class AminmaxBackward0(Node):
    __slots__ = ("in_shape", "dims", "keepdim")
    SAVES_INPUTS = True
    SAVES_OUTPUT = True

    def forward(self, a, dims, keepdim):
        self.in_shape, self.dims, self.keepdim = a.shape, dims, keepdim
        return a.min(axis=dims, keepdims=keepdim), a.max(axis=dims, keepdims=keepdim)

    def backward(self, gmin, gmax):
        a = self.inputs[0]._data
        r = None
        for g, o in ((gmin, self.out[0]), (gmax, self.out[1])):
            if g is not None:
                ok = _unsqueeze_back(o, self.in_shape, self.dims, self.keepdim)._data
                t = _unsqueeze_back(g, self.in_shape, self.dims, self.keepdim) * wrap(_even_scale(a, ok, self.dims))
                r = t if r is None else r + t
        return (r,)


def aminmax(input, *, dim=None, keepdim=False, out=None):
    if dim is None:
        if input._data.size == 0:
            raise RuntimeError("aminmax(): cannot compute aminmax over an empty dimension as the operation has "
                               "no identity.")
        dims = None if input._data.ndim else ()
    else:
        d = _one_dim(input, dim)
        _nonzero_dims_check("aminmax", input, (d,), sep=":")
        dims = (d,) if input._data.ndim else ()
    return return_types.aminmax(apply(AminmaxBackward0, (input,), dims, keepdim))


class ArgmaxBackward(Node):
    __slots__ = ()
    DIFFERENTIABLE = False

    def forward(self, a, dim, keepdim, greater):
        xp = xp_of(a)
        f = xp.argmax if greater else xp.argmin
        if dim is None:
            r = f(a.ravel()).astype(_int64)
            return r.reshape((1,) * a.ndim) if keepdim else xp.asarray(r).reshape(())
        w = _work(a)
        r = f(w, axis=dim, keepdims=keepdim).astype(_int64)
        return r.reshape(()) if a.ndim == 0 else r


def _arg(name, input, dim, keepdim, greater):
    if input._data.dtype == np.bool_:
        raise RuntimeError(f"{name}(): does not support bool input")
    if dim is None:
        if input._data.size == 0:
            raise IndexError(f"{name}(): Expected reduction dim to be specified for input.numel() == 0.")
        return apply(ArgmaxBackward, (input,), None, keepdim, greater)
    d = _one_dim(input, dim)
    _nonzero_dims_check(name, input, (d,))
    return apply(ArgmaxBackward, (input,), d, keepdim, greater)


def argmax(input, dim=None, keepdim=False):
    return _arg("argmax", input, dim, keepdim, True)


def argmin(input, dim=None, keepdim=False):
    return _arg("argmin", input, dim, keepdim, False)


# -- var / std ---------------------------------------------------------------------------------

def _moments(a, dims, correction, keepdim):
    acc = _acc(a)
    w = a.astype(acc) if acc is not None else a
    n = _count(a.shape, dims)
    xp = xp_of(a)
    m = w.mean(axis=dims, keepdims=True) if n else w.sum(axis=dims, keepdims=True) * np.nan
    d = w - m
    if d.dtype.kind == "c":
        sq = (d.real * d.real + d.imag * d.imag)
    else:
        sq = d * d
    dof = builtins.max(n - correction, 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        v = sq.sum(axis=dims, keepdims=keepdim) / xp.asarray(dof, dtype=sq.dtype)
    v = xp.asarray(v)
    if not keepdim:
        m = m.reshape(v.shape)
    return v, m, n, dof


def _var_warn(name, n, dims_count, correction):
    if n - correction <= 0:
        warnings.warn(f"{name}(): degrees of freedom is <= 0. Correction should be strictly less than the "
                      "reduction factor (input numel divided by output numel).", UserWarning, stacklevel=3)


class VarBackward0(Node):
    __slots__ = ("dims", "keepdim", "dof")
    SAVES_INPUTS = True

    def forward(self, a, dims, correction, keepdim):
        self.dims, self.keepdim = dims, keepdim
        v, m, n, self.dof = _moments(a, dims, correction, keepdim)
        return v.astype(a.dtype.type(0).real.dtype, copy=False)

    def _dvar(self, g):
        """d var / d x times g (g already broadcastable)."""
        x = self.inputs[0]
        dims = self.dims if self.dims is not None else tuple(range(x._data.ndim))
        centered = x - x.mean(dims, keepdim=True) if x._data.size else x
        return g * centered * (2.0 / self.dof if self.dof else float("inf"))

    def backward(self, g):
        x = self.inputs[0]
        return (self._dvar(_unsqueeze_back(g, x._data.shape, self.dims, self.keepdim)),)


class StdBackward0(VarBackward0):
    __slots__ = ()
    SAVES_OUTPUT = True

    def forward(self, a, dims, correction, keepdim):
        v = VarBackward0.forward(self, a, dims, correction, keepdim)
        return xp_of(v).sqrt(v)

    def backward(self, g):
        x = self.inputs[0]
        gv = _std_to_var_grad(g, self.out)
        return (self._dvar(_unsqueeze_back(gv, x._data.shape, self.dims, self.keepdim)),)


def _std_to_var_grad(g, std):
    from .pointwise import where
    z = std._data == 0
    gv = g / (std * 2)
    if z.any():
        gv = where(wrap(z), const(0, gv._data.dtype, gv._data), gv)
    return gv


class VarMeanBackward0(VarBackward0):
    __slots__ = ("count", "in_shape")

    def forward(self, a, dims, correction, keepdim):
        self.dims, self.keepdim, self.in_shape = dims, keepdim, a.shape
        v, m, n, self.dof = _moments(a, dims, correction, keepdim)
        self.count = n
        rd = a.dtype.type(0).real.dtype
        return v.astype(rd, copy=False), m.astype(a.dtype, copy=False)

    def _mean_grad(self, gm):
        gm = _unsqueeze_back(gm, self.in_shape, self.dims, self.keepdim)
        return _expand_back(gm / self.count if self.count else gm * float("nan"), self.in_shape,
                            self.dims, True)

    def backward(self, gv, gm):
        r = None
        if gv is not None:
            r = self._dvar(_unsqueeze_back(gv, self.in_shape, self.dims, self.keepdim))
        if gm is not None:
            t = self._mean_grad(gm)
            r = t if r is None else r + t
        return (r,)


class StdMeanBackward0(VarMeanBackward0):
    __slots__ = ("std",)

    def forward(self, a, dims, correction, keepdim):
        v, m = VarMeanBackward0.forward(self, a, dims, correction, keepdim)
        s = xp_of(v).sqrt(v)
        self.std = s
        return s, m

    def backward(self, gs, gm):
        r = None
        if gs is not None:
            gv = _std_to_var_grad(gs, wrap(self.std))
            r = self._dvar(_unsqueeze_back(gv, self.in_shape, self.dims, self.keepdim))
        if gm is not None:
            t = self._mean_grad(gm)
            r = t if r is None else r + t
        return (r,)


def _var_args(name, input, dim, unbiased, keepdim, correction):
    if isinstance(dim, bool):
        unbiased, dim = dim, None
    if correction is not None and unbiased is not None:
        raise TypeError(f"{name}() received an invalid combination of arguments - got (unbiased=bool, "
                        "correction=int), but expected one of:")
    if not _is_float(input._data):
        if name in ("var_mean", "std_mean"):
            raise RuntimeError(f"{name} only support floating point and complex dtypes")
        raise RuntimeError("std and var only support floating point and complex dtypes")
    if correction is None:
        correction = 1 if unbiased is None or unbiased else 0
    dims = _reduce_dims(input, dim)
    n = _count(input._data.shape, dims)
    out_n = input._data.size // n if n else 0
    _var_warn(name.split("_")[0], n, out_n, correction)
    return dims, correction


def var(input, dim=None, unbiased=None, keepdim=False, *, correction=None, out=None):
    dims, c = _var_args("var", input, dim, unbiased, keepdim, correction)
    return apply(VarBackward0, (input,), dims, c, keepdim)


def std(input, dim=None, unbiased=None, keepdim=False, *, correction=None, out=None):
    dims, c = _var_args("std", input, dim, unbiased, keepdim, correction)
    return apply(StdBackward0, (input,), dims, c, keepdim)


def var_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    dims, c = _var_args("var_mean", input, dim, unbiased, keepdim, correction)
    return apply(VarMeanBackward0, (input,), dims, c, keepdim)


def std_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    dims, c = _var_args("std_mean", input, dim, unbiased, keepdim, correction)
    return apply(StdMeanBackward0, (input,), dims, c, keepdim)


# -- median / nanmedian / mode -----------------------------------------------------------------

class MedianBackward1(_Select):
    __slots__ = ()

    def select(self, w, dim):
        xp = xp_of(w)
        n = w.shape[dim]
        k = (n - 1) // 2
        idx = xp.take(xp.argpartition(w, k, axis=dim), [k], axis=dim)
        if _is_float(w):
            nan = xp.isnan(w)
            has = nan.any(axis=dim, keepdims=True)
            if bool(has.any()):
                idx = xp.where(has, xp.expand_dims(nan.argmax(axis=dim), dim), idx)
        return idx


class NanmedianBackward1(_Select):
    __slots__ = ()

    def select(self, w, dim):
        xp = xp_of(w)
        if not _is_float(w):
            return MedianBackward1.select(self, w, dim)
        order = xp.argsort(w, axis=dim, kind="stable")  # NaNs sort last
        valid = (~xp.isnan(w)).sum(axis=dim, keepdims=True)
        pos = xp.maximum(valid - 1, 0) // 2
        return xp.take_along_axis(order, pos, axis=dim)


class ModeBackward0(_Select):
    __slots__ = ()

    def select(self, w, dim):
        xp = xp_of(w)
        m = xp.moveaxis(w, dim, -1)
        lead, n = m.shape[:-1], m.shape[-1]
        m2 = m.reshape(-1, n)
        order = xp.argsort(m2, axis=-1, kind="stable")
        s = xp.take_along_axis(m2, order, axis=-1)
        start = xp.ones(s.shape, dtype=bool)
        start[:, 1:] = s[:, 1:] != s[:, :-1]
        gid = xp.cumsum(start.ravel()) - 1
        counts = xp.bincount(gid)
        c = counts[gid].reshape(s.shape)
        best = c.max(axis=-1, keepdims=True)
        p = (c == best).argmax(axis=-1)  # first (smallest value) run with the top count
        last = p + best[:, 0] - 1          # torch reports the last occurrence of the mode
        idx = xp.take_along_axis(order, last[:, None], axis=-1)
        return xp.moveaxis(idx.reshape(lead + (1,)), -1, dim)


def _select_dim_op(name, cls, rt, input, dim, keepdim, *params):
    d = _one_dim(input, dim)
    _nonzero_dims_check(name, input, (d,))
    return rt(apply(cls, (input,), d, keepdim, *params))


def median(input, dim=None, keepdim=False, *, out=None):
    if dim is None:
        return apply(MedianBackward0, (input,))
    return _select_dim_op("median", MedianBackward1, return_types.median, input, dim, keepdim)


def nanmedian(input, dim=None, keepdim=False, *, out=None):
    if dim is None:
        return apply(NanmedianBackward0, (input,))
    return _select_dim_op("median", NanmedianBackward1, return_types.nanmedian, input, dim, keepdim)


def mode(input, dim=-1, keepdim=False, *, out=None):
    return _select_dim_op("mode", ModeBackward0, return_types.mode, input, dim, keepdim)


# -- norm ----------------------------------------------------------------------------------------

class LinalgVectorNormBackward0(Node):
    __slots__ = ("p", "dims", "keepdim")
    SAVES_INPUTS = True
    SAVES_OUTPUT = True

    def forward(self, a, p, dims, keepdim):
        self.p, self.dims, self.keepdim = p, dims, keepdim
        xp = xp_of(a)
        ab = xp.abs(a)
        acc = _acc(ab)
        if acc is not None:
            ab = ab.astype(acc)
        if p == 2:
            r = xp.sqrt((ab * ab).sum(axis=dims, keepdims=keepdim))
        elif p == 1:
            r = ab.sum(axis=dims, keepdims=keepdim)
        elif p == math.inf:
            r = ab.max(axis=dims, keepdims=keepdim)
        elif p == -math.inf:
            r = ab.min(axis=dims, keepdims=keepdim)
        elif p == 0:
            r = (ab != 0).sum(axis=dims, keepdims=keepdim).astype(ab.dtype)
        else:
            with np.errstate(divide="ignore", over="ignore"):
                r = (ab ** ab.dtype.type(p)).sum(axis=dims, keepdims=keepdim) ** ab.dtype.type(1.0 / p)
        return xp.asarray(r).astype(a.dtype.type(0).real.dtype, copy=False)

    def backward(self, g):
        from .pointwise import where
        x = self.inputs[0]
        p = self.p
        shape = x._data.shape
        if p == 0:
            return (None,)
        g = _unsqueeze_back(g, shape, self.dims, self.keepdim)
        norm = _unsqueeze_back(self.out, shape, self.dims, self.keepdim)
        zero = const(0, x._data.dtype, x._data)
        if p == 1:
            return (x.sgn() * g,)
        if p in (math.inf, -math.inf):
            ax = x._data.__abs__()
            mask = ax == norm._data
            cnt = mask.sum(axis=self.dims, keepdims=True)
            with np.errstate(invalid="ignore", divide="ignore"):
                scale = (mask / cnt).astype(x._data.dtype)
            return (x.sgn() * wrap(scale) * g,)
        nz = norm._data == 0
        if nz.any():  # divide by a safe norm; those spots are zeroed below anyway
            norm = norm + wrap(nz.astype(norm._data.dtype))
        if p == 2:
            scale = g / norm
            if nz.any():
                scale = where(wrap(np.broadcast_to(nz, scale.shape)), zero, scale)
            return (x * scale,)
        if p < 1:
            xz = x._data == 0
            s = (x.abs() + wrap(xz.astype(x._data.dtype))).pow(p - 1)
            if xz.any():
                s = where(wrap(xz), zero, s)
            return (x.sgn() * s * g * norm.pow(1 - p),)
        scale = g / norm.pow(p - 1)
        if nz.any():
            scale = where(wrap(np.broadcast_to(nz, scale.shape)), zero, scale)
        if p < 2:
            return (x.sgn() * x.abs().pow(p - 1) * scale,)
        return (x * x.abs().pow(p - 2) * scale,)


class LinalgSvdBackward0(Node):
    """Singular values of a (batched) matrix; backward U diag(g) Vh."""
    __slots__ = ("u", "vh")

    def forward(self, a):
        xp = xp_of(a)
        u, s, vh = xp.linalg.svd(a, full_matrices=False)
        self.u, self.vh = u, vh
        return s

    def backward(self, g):
        u, vh = wrap(self.u), wrap(self.vh)
        return ((u * g.unsqueeze(-2)).matmul(vh),)


def _vector_norm(x, p, dims, keepdim):
    if not _is_float(x._data):
        raise RuntimeError("linalg.vector_norm: Expected a floating point or complex tensor as input. Got "
                           f"{x.dtype._short}")
    if p in (math.inf, -math.inf) and x._data.size == 0:
        if dims is None or builtins.any(x._data.shape[d] == 0 for d in dims):
            raise RuntimeError(f"linalg.vector_norm cannot compute the {'inf' if p > 0 else '-inf'} norm on an "
                               "empty tensor because the operation does not have an identity")
    return apply(LinalgVectorNormBackward0, (x,), float(p), dims, keepdim)


def norm(input, p="fro", dim=None, keepdim=False, out=None, dtype=None):
    x = input
    if dtype is not None:
        d = _dtype.to_dtype(dtype)
        if _dtype.promote_types(x.dtype, d) is not d:
            raise RuntimeError(f"linalg.vector_norm: the dtype of the input ({x.dtype._short}) should be convertible "
                               f"without narrowing to the specified dtype ({d._short})")
        x = x.to(d)
    if isinstance(p, str):
        if p == "fro":
            if dim is not None and not isinstance(dim, int) and len(dim) > 2:
                raise RuntimeError("linalg.matrix_norm: dim must be a 2-tuple. Got "
                                   + " ".join(str(d) for d in dim))
            return _vector_norm(x, 2, _reduce_dims(x, dim), keepdim)
        if p == "nuc":
            if dim is None:
                if x._data.ndim < 2:
                    raise RuntimeError("linalg.matrix_norm: The input tensor A must have at least 2 dimensions.")
                dim = (-2, -1)
            d0, d1 = wrap_dims(dim, x._data.ndim)
            xm = x.movedim((d0, d1), (-2, -1))
            r = apply(LinalgSvdBackward0, (xm,)).sum(-1)
            if keepdim:
                for d in sorted((d0, d1)):
                    r = r.unsqueeze(d)
            return r
        raise RuntimeError(f"linalg.matrix_norm: Order {p} not supported.")
    return _vector_norm(x, p, _reduce_dims(x, dim), keepdim)


# -- logsumexp -----------------------------------------------------------------------------------

class LogsumexpBackward0(Node):
    __slots__ = ("dims", "keepdim")
    SAVES_INPUTS = True
    SAVES_OUTPUT = True

    def forward(self, a, dims, keepdim):
        self.dims, self.keepdim = dims, keepdim
        xp = xp_of(a)
        if a.size == 0:
            with np.errstate(divide="ignore"):
                return xp.log(xp.exp(a).sum(axis=dims, keepdims=keepdim))
        m = a.max(axis=dims, keepdims=True)
        m = xp.where(xp.isfinite(m), m, a.dtype.type(0))
        with np.errstate(divide="ignore"):
            r = xp.log(xp.exp(a - m).sum(axis=dims, keepdims=True)) + m
        if not keepdim:
            r = r.reshape(tuple(s for i, s in enumerate(a.shape) if dims is not None and i not in dims))
        return r

    def backward(self, g):
        x = self.inputs[0]
        shape = x._data.shape
        out = _unsqueeze_back(self.out, shape, self.dims, self.keepdim)
        return (_unsqueeze_back(g, shape, self.dims, self.keepdim) * (x - out).exp(),)


_MISSING = object()


def logsumexp(input, dim=_MISSING, keepdim=False, *, out=None):
    if dim is _MISSING:
        raise TypeError('logsumexp() missing 1 required positional arguments: "dim"')
    x = input
    if not _is_float(x._data):
        x = x.to(_dtype.get_default_dtype())
    dims = _reduce_dims(x, dim)
    if dims is None and x._data.ndim == 0:
        dims = ()
    return apply(LogsumexpBackward0, (x,), dims, keepdim)


# -- cumulative ops -----------------------------------------------------------------------------

def _rev_cumsum(g, dim):
    """sum over j >= i along dim (the backward of cumsum)."""
    if g._data.ndim == 0:
        return g
    return g.flip(dim).cumsum(dim).flip(dim)


class CumsumBackward0(Node):
    __slots__ = ("dim", "in_dtype")

    def forward(self, a, dim, np_dtype):
        self.dim, self.in_dtype = dim, a.dtype
        if np_dtype is not None and a.dtype != np_dtype:
            a = a.astype(np_dtype)
        if a.ndim == 0:
            return a.copy()
        acc = _acc(a)
        return xp_of(a).cumsum(a, axis=dim, dtype=acc or a.dtype).astype(a.dtype, copy=False)

    def backward(self, g):
        if g._data.dtype != self.in_dtype:
            g = g.to(_dtype._from_np[self.in_dtype])
        return (_rev_cumsum(g, self.dim),)


class CumprodBackward0(Node):
    __slots__ = ("dim",)
    SAVES_INPUTS = True
    SAVES_OUTPUT = True

    def forward(self, a, dim, np_dtype):
        self.dim = dim
        if np_dtype is not None and a.dtype != np_dtype:
            a = a.astype(np_dtype)
        if a.ndim == 0:
            return a.copy()
        acc = _acc(a)
        return xp_of(a).cumprod(a, axis=dim, dtype=acc or a.dtype).astype(a.dtype, copy=False)

    def backward(self, g):
        x = self.inputs[0]
        out = self.out
        if out._data.dtype != x._data.dtype:
            out, g = out.to(x.dtype), g.to(x.dtype)
        if x._data.ndim == 0:
            return (g,)
        d = self.dim
        xd = x._data
        xp = xp_of(xd)
        zero = xd == 0
        if not zero.any():
            return (_rev_cumsum(g * out, d) / x,)
        # elements before the first zero of their slice: sum_{j>=i} g_j out_j / x_i;
        # the first zero itself: sum_{j>=z} g_j prod_{k<=j, k!=z} x_k; elements after it: 0
        seen = xp.cumsum(zero, axis=d)
        before = seen == 0
        first = zero & (seen == 1)
        x_safe = x + wrap(zero.astype(xd.dtype))
        r = _rev_cumsum(g * out, d) / x_safe * wrap(before.astype(xd.dtype))
        x1 = x + wrap(first.astype(xd.dtype))
        r = r + _rev_cumsum(g * x1.cumprod(d), d) * wrap(first.astype(xd.dtype))
        return (r,)


def _cum_dtype(x, dtype):
    if dtype is not None:
        return _dtype.to_dtype(dtype).np
    return _int64 if x._data.dtype.kind in "biu" else None


def cumsum(input, dim=_MISSING, *, dtype=None, out=None):
    if dim is _MISSING:
        raise TypeError('cumsum() missing 1 required positional arguments: "dim"')
    return apply(CumsumBackward0, (input,), wrap_dim(dim, input._data.ndim), _cum_dtype(input, dtype))


def cumprod(input, dim=_MISSING, *, dtype=None, out=None):
    if dim is _MISSING:
        raise TypeError('cumprod() missing 1 required positional arguments: "dim"')
    return apply(CumprodBackward0, (input,), wrap_dim(dim, input._data.ndim), _cum_dtype(input, dtype))


class CummaxBackward0(_Select):
    __slots__ = ()
    UNIQUE = False
    greater = True

    def select(self, w, dim):
        return on_host(lambda x: self._running_best_index(x, dim), w)  # CuPy has no maximum.accumulate

    def _running_best_index(self, w, dim):
        acc = (np.maximum if self.greater else np.minimum).accumulate
        v = w.view(np.uint8) if w.dtype == np.bool_ else w
        hit = v == acc(v, axis=dim)
        if _is_float(w):
            hit |= np.isnan(v)
        shape = [1] * w.ndim
        shape[dim] = w.shape[dim]
        ar = np.arange(w.shape[dim], dtype=_int64).reshape(shape)
        return np.maximum.accumulate(np.where(hit, ar, 0), axis=dim)


class CumminBackward0(CummaxBackward0):
    __slots__ = ()
    greater = False


def cummax(input, dim):
    return return_types.cummax(apply(CummaxBackward0, (input,), wrap_dim(dim, input._data.ndim), True))


def cummin(input, dim):
    return return_types.cummin(apply(CumminBackward0, (input,), wrap_dim(dim, input._data.ndim), True))


# -- all / any / count_nonzero ------------------------------------------------------------------

class _Logical(Node):
    __slots__ = ()
    DIFFERENTIABLE = False

    def forward(self, a, dims, keepdim, is_all):
        r = a.all(axis=dims, keepdims=keepdim) if is_all else a.any(axis=dims, keepdims=keepdim)
        return r.astype(np.uint8) if a.dtype == np.uint8 else r


class AllBackward0(_Logical):
    __slots__ = ()


def all(input, dim=None, keepdim=False, *, out=None):
    return apply(AllBackward0, (input,), _reduce_dims(input, dim), keepdim, True)


def any(input, dim=None, keepdim=False, *, out=None):
    return apply(AllBackward0, (input,), _reduce_dims(input, dim), keepdim, False)


class CountNonzero(Node):
    __slots__ = ()
    DIFFERENTIABLE = False

    def forward(self, a, dims):
        return xp_of(a).asarray((a != 0).sum(axis=dims), dtype=_int64)


def count_nonzero(input, dim=None):
    return apply(CountNonzero, (input,), _reduce_dims(input, dim))


__all__ = """sum mean nansum nanmean prod max min amax amin aminmax argmax argmin var std var_mean std_mean
    median nanmedian mode norm logsumexp cumsum cumprod cummax cummin all any count_nonzero""".split()
TENSOR_METHODS = """sum mean nansum nanmean prod max min amax amin aminmax argmax argmin var std
    median nanmedian mode norm logsumexp cumsum cumprod cummax cummin all any count_nonzero"""
INPLACE = "cumsum cumprod"
# ember.<name> gets torch's out= from ops._util.with_out (see ops/__init__.py)
OUT_VARIANTS = "all amax amin aminmax any cumprod cumsum logsumexp max mean median min mode nanmean nanmedian nansum norm prod std sum var"
