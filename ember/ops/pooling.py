"""Pooling and resampling: max/avg/adaptive pools, interpolate (nearest, linear, bilinear, bicubic),
max_unpool2d/3d and pixel_shuffle / pixel_unshuffle.

Two kinds of kernels, both vectorized over all outputs (loops run only over kernel offsets or taps):

- **separable linear maps** (avg_pool, adaptive_avg_pool, every interpolate mode): along each spatial
  axis an output is a weighted sum of a few input taps, ``y[o] = sum_t w[o, t] * x[idx[o, t]]``.
  Forward is a gather (``take``) per axis; its adjoint (the gradient) scatters with ``bincount``.
  Taps that fall outside the input point at an appended zero, so padding never meets ``0 * inf``.
  The forward node's backward is the adjoint node and vice versa, so higher derivatives work.
- **max selection** (max_pool, adaptive_max_pool): a loop over kernel offsets keeps the running max
  and its flat index with torch's rule (``val > max || isnan(val)``); the gradient is a scatter of
  grad to those indices (``bincount``), whose own gradient is a gather.

The kernels take any number of spatial dims (the 2-d and 3-d pools share them, with per-plane flat indices);
1-d pools run through the 2-d ones (``unsqueeze(-2)``), as torch does (grad_fn ``SqueezeBackward1``).
"""
import functools
import itertools
import math

import numpy as np

from .. import _dtype
from .. import return_types  # noqa: F401
from .._device import xp_of
from .._parallel import COPY_COST, big_enough, split_batch
from ..autograd.graph import Node, STATE
from ._dispatch import apply
from ._util import shape_str

__all__ = ["max_pool1d", "max_pool2d", "max_pool3d", "avg_pool1d", "avg_pool2d", "avg_pool3d", "adaptive_avg_pool1d",
           "adaptive_max_pool1d", "pixel_shuffle", "pixel_unshuffle"]
TENSOR_METHODS = ""
INPLACE = ""

_int64 = np.dtype(np.int64)


# -- separable linear maps --------------------------------------------------------------------------
# taps: one (idx, w) per spatial axis; idx (O, T) int64 in [0, S] (S = the appended zero), w (O, T) of the
# input's dtype or None (a pure gather, T == 1).

def _sep_forward(x, taps, nlead):
    xp = xp_of(x)
    for i, (idx, w) in enumerate(taps):
        ax = nlead + i
        S = x.shape[ax]
        O, T = idx.shape
        if (idx == S).any():
            pad = [(0, 0)] * x.ndim
            pad[ax] = (0, 1)
            x = xp.pad(x, pad)
        y = xp.take(x, idx.reshape(-1), axis=ax)
        if T > 1 or w is not None:
            y = y.reshape(x.shape[:ax] + (O, T) + x.shape[ax + 1:])
            if w is not None:
                y = y * w.reshape((O, T) + (1,) * (x.ndim - ax - 1))
            y = y.sum(ax + 1, dtype=x.dtype)
        x = y
    return x


def _sep_adjoint(g, taps, in_sizes, nlead):
    xp = xp_of(g)
    for i in range(len(taps) - 1, -1, -1):
        idx, w = taps[i]
        ax = nlead + i
        S = in_sizes[i]
        O, T = idx.shape
        gm = xp.moveaxis(g, ax, -1)
        rest = gm.shape[:-1]
        R = math.prod(rest)
        vals = gm.reshape(R, O, 1)
        if w is not None:
            vals = vals * w
        else:
            vals = xp.broadcast_to(vals, (R, O, T))
        lin = (xp.arange(R, dtype=_int64) * (S + 1)).reshape(R, 1, 1) + idx.reshape(1, O, T)
        if xp is np and g.dtype.kind == "f":
            acc = np.bincount(lin.reshape(-1), weights=vals.reshape(-1), minlength=R * (S + 1)).astype(g.dtype)
        else:
            acc = xp.zeros(R * (S + 1), dtype=g.dtype)
            if xp is np:
                np.add.at(acc, lin.reshape(-1), vals.reshape(-1))
            else:
                import cupyx
                cupyx.scatter_add(acc, lin.reshape(-1), vals.reshape(-1))
        g = xp.moveaxis(acc.reshape(R, S + 1)[:, :S].reshape(rest + (S,)), -1, ax)
    return xp.ascontiguousarray(g)


class _SepLinear(Node):
    __slots__ = ("taps", "in_sizes", "nlead")
    ADJOINT = None

    def forward(self, x, taps, nlead):
        self.taps, self.nlead = taps, nlead
        self.in_sizes = x.shape[nlead:]
        return _sep_forward(x, taps, nlead)

    def backward(self, g):
        return (apply(self.ADJOINT, (g,), self.taps, self.in_sizes, self.nlead),)


class _SepLinearAdjoint(Node):
    __slots__ = ("taps", "nlead")
    FORWARD = None

    def forward(self, g, taps, in_sizes, nlead):
        self.taps, self.nlead = taps, nlead
        return _sep_adjoint(g, taps, in_sizes, nlead)

    def backward(self, gg):
        return (apply(self.FORWARD, (gg,), self.taps, self.nlead),)


def _sep_pair(name):
    fwd = type(name, (_SepLinear,), {"__slots__": ()})
    adj = type(name.replace("Backward0", "BackwardBackward0"), (_SepLinearAdjoint,), {"__slots__": ()})
    fwd.ADJOINT, adj.FORWARD = adj, fwd
    return fwd


AvgPool2DBackward0 = _sep_pair("AvgPool2DBackward0")
AvgPool3DBackward0 = _sep_pair("AvgPool3DBackward0")
AdaptiveAvgPool2DBackward0 = _sep_pair("AdaptiveAvgPool2DBackward0")
AdaptiveAvgPool3DBackward0 = _sep_pair("AdaptiveAvgPool3DBackward0")
_UPSAMPLE = {name: _sep_pair(name) for name in (
    "UpsampleNearest1DBackward0", "UpsampleNearest2DBackward0", "UpsampleNearestExact1DBackward0",
    "UpsampleNearestExact2DBackward0", "UpsampleLinear1DBackward0", "UpsampleBilinear2DBackward0",
    "UpsampleBicubic2DBackward0", "UpsampleNearest3DBackward0", "UpsampleNearestExact3DBackward0",
    "UpsampleTrilinear3DBackward0")}


# -- max selection ----------------------------------------------------------------------------------
# Every max kernel takes x (N, C, *spatial) with nsp = len(cfg's sizes) spatial dims and returns the values
# and int64 flat indices within each spatial plane (d * H * W + h * W + w), as torch does.

def _plane_strides(sp):
    """Element strides of a C-contiguous plane of shape sp: (H*W, W, 1) for (D, H, W)."""
    return tuple(math.prod(sp[i + 1:]) for i in range(len(sp)))


def _axis_vec(v, i, nsp):
    """1-d v shaped to broadcast along spatial axis i of nsp."""
    shape = [1] * nsp
    shape[i] = -1
    return v.reshape(shape)


def _global_flat_index(idx, in_shape, xp, nsp):
    """Per-plane flat indices idx (planes = all but the last nsp dims of in_shape) -> indices into the
    whole flattened input, shape (planes, outputs per plane)."""
    P = math.prod(in_shape[:-nsp])
    plane = math.prod(in_shape[-nsp:])
    return (xp.arange(P, dtype=_int64) * plane).reshape(P, 1) + idx.reshape(P, -1)


def _put_planes(g, idx, in_shape, nsp):
    """zeros(in_shape) with g written at flat per-plane indices idx (indices must not collide).
    One 1-d fancy assignment: twice as fast as put_along_axis, which builds an index per axis."""
    xp = xp_of(g)
    out = xp.zeros(math.prod(in_shape), dtype=g.dtype)
    out[_global_flat_index(idx, in_shape, xp, nsp).reshape(-1)] = g.reshape(-1)
    return out.reshape(in_shape)


class _IndexScatter(Node):
    """zeros(in_shape) with g (N, C, *out) added at flat per-plane indices idx."""
    __slots__ = ("idx", "out_shape")
    GATHER = None
    NSP = 2

    def forward(self, g, idx, in_shape, disjoint=False):
        self.idx, self.out_shape = idx, g.shape
        if disjoint:  # windows that do not overlap: each input position gets at most one gradient
            return _put_planes(g, idx, in_shape, self.NSP)
        xp = xp_of(g)
        lin = _global_flat_index(idx, in_shape, xp, self.NSP)
        size = math.prod(in_shape)
        if xp is np and g.dtype.kind == "f":
            out = np.bincount(lin.reshape(-1), weights=g.reshape(-1), minlength=size).astype(g.dtype)
        else:
            out = xp.zeros(size, dtype=g.dtype)
            if xp is np:
                np.add.at(out, lin.reshape(-1), g.reshape(-1))
            else:
                import cupyx
                cupyx.scatter_add(out, lin.reshape(-1), g.reshape(-1))
        return out.reshape(in_shape)

    def backward(self, gg):
        return (apply(self.GATHER, (gg,), self.idx, self.out_shape),)


class _IndexGather(Node):
    """x's values at flat per-plane indices idx, shaped out_shape (max-pool with fixed indices)."""
    __slots__ = ("idx", "in_shape")
    SCATTER = None
    NSP = 2

    def forward(self, x, idx, out_shape):
        self.idx, self.in_shape = idx, x.shape
        xp = xp_of(x)
        P = math.prod(x.shape[:-self.NSP])
        flat = x.reshape(P, -1)
        return xp.take_along_axis(flat, idx.reshape(P, -1), axis=1).reshape(out_shape)

    def backward(self, g):
        return (apply(self.SCATTER, (g,), self.idx, self.in_shape),)


def _max_pair(name, nsp):
    """(node of the pool, its backward's scatter node)."""
    fwd = type(name, (_MaxSelect,), {"__slots__": (), "NSP": nsp})
    sc = type(name.replace("Backward0", "BackwardBackward0"), (_IndexScatter,), {"__slots__": (), "NSP": nsp})
    ga = type(name, (_IndexGather,), {"__slots__": (), "NSP": nsp})
    fwd.SCATTER, sc.GATHER, ga.SCATTER = sc, ga, sc
    return fwd


class _MaxSelect(Node):
    """(values, int64 flat indices) of a max over windows; the indices output is not differentiable."""
    __slots__ = ("idx", "in_shape", "disjoint")
    NON_DIFF_OUTPUTS = (1,)
    SCATTER = None
    NSP = 2

    def forward(self, x, fn, cfg):
        if x.ndim == self.NSP + 1:  # unbatched: same node (torch's grad_fn), batch of one inside
            vals, idx = fn(x[None], cfg)
            vals, idx = vals[0], (idx[0] if idx.ndim else idx)  # the values-only kernel has no indices
        else:
            vals, idx = _max_over_batch(fn, x, cfg)
        self.idx, self.in_shape = idx, x.shape
        self.disjoint = fn is _max_pool_kernel and _windows_disjoint(cfg)
        return vals, idx

    def backward(self, g, _gi=None):
        return (apply(self.SCATTER, (g,), self.idx, self.in_shape, self.disjoint),)


def _max_over_batch(fn, x, cfg):
    """fn(x, cfg) for a batch x (N, C, *spatial); fixed-window max pooling is split across the thread pool
    when it pays (ember/_parallel.py), each chunk giving the values and indices of the unsplit call."""
    if fn is _adaptive_max_kernel:
        return fn(x, cfg)
    ksize, osp = cfg[0], cfg[-1]
    work = x.size * math.prod(ksize) * 3 * COPY_COST  # each tap's view is read about 3 times
    if not big_enough(x, work):
        return fn(x, cfg)
    vals = np.empty(x.shape[:2] + tuple(osp), dtype=x.dtype)
    idx = np.empty(vals.shape, dtype=_int64) if fn is _max_pool_kernel else None

    def run(sl):
        v, i = fn(x[sl], cfg)
        vals[sl] = v
        if idx is not None:
            idx[sl] = i

    split_batch(run, x, work)
    return vals, (idx if idx is not None else np.empty((0,), dtype=_int64))


def _lowest(dtype):
    if dtype.kind == "f" or dtype == _dtype.bfloat16.np:
        return -np.inf
    if dtype.kind == "b":
        return False
    return np.iinfo(dtype).min


def _windows_disjoint(cfg):
    ksize, stride, pad, dil, osp = cfg
    return all(s >= (k - 1) * d + 1 for k, s, d in zip(ksize, stride, dil))


def _kernel_taps(cfg):
    """The kernel offsets in torch's scan order (last spatial axis fastest)."""
    return list(itertools.product(*(range(k) for k in cfg[0])))


def _tap_views(xpad, cfg, taps):
    """Per kernel offset, the strided view of xpad holding that tap of every window."""
    ksize, stride, pad, dil, osp = cfg
    lead = (slice(None),) * (xpad.ndim - len(ksize))
    return [xpad[lead + tuple(slice(t * d, t * d + s * (o - 1) + 1, s) for t, d, s, o in zip(tap, dil, stride, osp))]
            for tap in taps]


def _max_pool_values(x, cfg):
    """The max over windows without the argmax (inference); indices come back empty.
    np.maximum propagates NaN, as torch's max pooling does."""
    xp = xp_of(x)
    best = None
    for v in _tap_views(_pool_padded(x, cfg), cfg, _kernel_taps(cfg)):
        best = v.copy() if best is None else xp.maximum(best, v, out=best)
    return best, xp.empty(best.shape[:0], dtype=_int64)


def _pool_padded(x, cfg):
    """x padded with the lowest value on the left by pad and on the right to hold every window."""
    ksize, stride, pad, dil, osp = cfg
    xp = xp_of(x)
    nsp = len(ksize)
    sp = x.shape[-nsp:]
    need = [(o - 1) * s + d * (k - 1) + 1 for o, s, d, k in zip(osp, stride, dil, ksize)]
    hi = [max(0, n - p - S) for n, p, S in zip(need, pad, sp)]
    if not (any(pad) or any(hi)):
        return x
    xpad = xp.full(x.shape[:-nsp] + tuple(S + p + h for S, p, h in zip(sp, pad, hi)), _lowest(x.dtype), dtype=x.dtype)
    xpad[(Ellipsis,) + tuple(slice(p, p + S) for p, S in zip(pad, sp))] = x
    return xpad


def _max_pool_kernel(x, cfg):
    """x (N, C, *spatial) -> max over windows and the flat per-plane index of each max."""
    ksize, stride, pad, dil, osp = cfg
    xp = xp_of(x)
    nsp = len(ksize)
    sp = x.shape[-nsp:]
    es = _plane_strides(sp)
    floating = x.dtype.kind == "f"
    taps = _kernel_taps(cfg)
    views = _tap_views(_pool_padded(x, cfg), cfg, taps)
    best = views[0].copy()
    for v in views[1:]:
        xp.maximum(best, v, out=best)  # NaN-propagating, like torch's max pooling
    if floating and bool(xp.isnan(best).any()):
        best, which = _winning_tap_nan(views, xp)
    else:
        which = _first_tap_equal(views, best, xp)
    # the flat index is linear in the tap: window origin + the tap's offset within the plane
    starts = [np.arange(o) * s - p for o, s, p in zip(osp, stride, pad)]
    origin = sum(_axis_vec(st * e, i, nsp) for i, (st, e) in enumerate(zip(starts, es)))
    origin = xp.asarray(origin)
    if len(views) == 1:
        idx = xp.broadcast_to(origin, best.shape).copy()
    else:
        tap_off = xp.asarray(np.array([sum(t * d * e for t, d, e in zip(tap, dil, es)) for tap in taps], dtype=_int64))
        idx = tap_off[which]  # a table lookup: faster than take() or divmod on the tap number
        idx += origin
    if any(pad):
        # a window whose every value is padding (-inf) starts at its first valid position, as in torch
        first = sum(_axis_vec(np.where(st < 0, st + ((-st + d - 1) // d) * d, st) * e, i, nsp)
                    for i, (st, d, e) in enumerate(zip(starts, dil, es)))
        valid = np.stack([functools.reduce(np.logical_and, [_axis_vec((st + t * d >= 0) & (st + t * d < S), i, nsp)
                                                            for i, (st, t, d, S) in enumerate(zip(starts, tap, dil, sp))],
                                           np.ones(osp, dtype=bool))
                          for tap in taps])
        grids = tuple(xp.asarray(_axis_vec(np.arange(o), i, nsp)) for i, o in enumerate(osp))
        chosen_valid = xp.asarray(valid)[(which,) + grids]
        idx = xp.where(chosen_valid, idx, xp.asarray(first))
    return best, idx


def _tap_dtype(ntaps):
    return np.uint8 if ntaps < 256 else np.int32


def _first_tap_equal(views, best, xp):
    """Per output, the first tap (in scan order) whose value equals the max: torch's winner on ties.
    Masks and boolean ops only, no masked assignment (np.copyto(where=) is ~20x slower than a ufunc)."""
    which = xp.zeros(best.shape, dtype=_tap_dtype(len(views)))
    found = views[0] == best
    for t in range(1, len(views)):
        hit = views[t] == best
        first_hit = hit > found  # equal here and at no earlier tap
        which += first_hit * which.dtype.type(t)
        if t < len(views) - 1:
            found |= hit
    return which


def _winning_tap_nan(views, xp):
    """torch takes the last NaN of a window: replay its scan (val > max or val is NaN) exactly."""
    best = views[0].copy()
    which = xp.zeros(best.shape, dtype=_tap_dtype(len(views)))
    for t, v in enumerate(views[1:], 1):
        upd = (v > best) | (v != v)
        xp.copyto(best, v, where=upd)
        xp.copyto(which, t, where=upd)
    return best, which


def _adaptive_bounds(S, O):
    o = np.arange(O)
    start = (o * S) // O
    end = -((-(o + 1) * S) // O)
    return start, end


def _adaptive_max_kernel(x, cfg):
    """x (N, C, *spatial) -> max over torch's adaptive windows (output sizes cfg) and flat indices.
    Loops over the taps of the largest window; the gathers along leading axes are shared between taps."""
    osz = tuple(cfg)
    nsp = len(osz)
    xp = xp_of(x)
    sp = x.shape[-nsp:]
    es = _plane_strides(sp)
    bounds = [_adaptive_bounds(S, O) for S, O in zip(sp, osz)]
    T = [int((e - s).max()) for s, e in bounds]
    floating = x.dtype.kind == "f"
    parts, flats, valids = [x] + [None] * nsp, [0] + [None] * nsp, [True] + [None] * nsp
    best = idx = prev = None
    for t in itertools.product(*(range(n) for n in T)):
        d0 = 0 if prev is None else next(d for d in range(nsp) if t[d] != prev[d])
        for d in range(d0, nsp):
            s, e = bounds[d]
            pos = np.minimum(s + t[d], sp[d] - 1)
            parts[d + 1] = xp.take(parts[d], xp.asarray(pos), axis=x.ndim - nsp + d)
            flats[d + 1] = flats[d] + _axis_vec(pos * es[d], d, nsp)
            valids[d + 1] = valids[d] & _axis_vec((s + t[d]) < e, d, nsp)
        prev = t
        v = parts[nsp]
        flat = xp.asarray(flats[nsp])
        if best is None:
            best, idx = v.copy(), xp.broadcast_to(flat, v.shape).copy()
            continue
        upd = v > best
        if floating:
            upd |= v != v
        upd &= xp.asarray(valids[nsp])
        xp.copyto(best, v, where=upd)
        xp.copyto(idx, xp.broadcast_to(flat, v.shape), where=upd)
    return best, idx


MaxPool2DWithIndicesBackward0 = _max_pair("MaxPool2DWithIndicesBackward0", 2)
MaxPool3DWithIndicesBackward0 = _max_pair("MaxPool3DWithIndicesBackward0", 3)
AdaptiveMaxPool2DBackward0 = _max_pair("AdaptiveMaxPool2DBackward0", 2)
AdaptiveMaxPool3DBackward0 = _max_pair("AdaptiveMaxPool3DBackward0", 3)
MaxUnpool2DBackward0 = MaxUnpool3DBackward0 = None  # defined below


# -- argument helpers ---------------------------------------------------------------------------------

_WORDS = {1: "one", 2: "two", 3: "three"}


def _arg_msg(fn, name, n):
    # torch's texts: avg_pool3d says "must be", the others "must either be"; dilation "must be either"
    verb = "must be either" if name == "dilation" else ("must be" if fn == "avg_pool3d" else "must either be")
    omitted = "omitted, " if name == "stride" else ""
    return f"{fn}: {name} {verb} {omitted}a single int, or a tuple of {_WORDS[n]} ints"


def _ntuple(v, n, name, fn):
    if isinstance(v, (int, np.integer)) and not isinstance(v, bool):
        return (int(v),) * n
    v = tuple(v)
    if len(v) == 1:
        return (int(v[0]),) * n
    if len(v) != n:
        raise RuntimeError(_arg_msg(fn, name, n))
    return tuple(int(a) for a in v)


def _two(v, name, fn):
    return _ntuple(v, 2, name, fn)


def _pool_out(S, k, s, p, d, ceil_mode):
    num = S + 2 * p - d * (k - 1) - 1
    o = (-(-num // s) if ceil_mode else num // s) + 1
    if ceil_mode and (o - 1) * s >= S + p:
        o -= 1
    return o


def _check_pool_ndim(input, nsp):
    if input._data.ndim not in (nsp + 1, nsp + 2):
        raise RuntimeError(f"non-empty {nsp + 1}D or {nsp + 2}D (batch mode) tensor expected for input")


def _pool_checks(x, ksize, stride, pad, dil, ceil_mode, where=None, check_input_size=False):
    """torch's pool{2,3}d_shape_check: argument ranges, then the output size. Returns the output spatial
    sizes. where: the function named by the 3-D 'non-batch dimensions' error."""
    nsp = len(ksize)
    axes = "THW"[-nsp:]
    if any(s <= 0 for s in stride):
        raise RuntimeError("stride should not be zero")
    if any(k <= 0 for k in ksize):
        got = " ".join(f"k{a}: {k}" for a, k in zip(axes, ksize))
        raise RuntimeError(f"kernel_size must be greater than zero, but got {got}" if nsp == 2 else
                           f"kernel size should be greater than zero, but got {got}")
    if any(d <= 0 for d in dil):
        got = " ".join(f"dilation{a}: {d}" for a, d in zip(axes, dil))
        raise RuntimeError(f"dilation should be greater than zero, but got {got}")
    for k, p, d in zip(ksize, pad, dil):
        if p < 0:
            raise RuntimeError(f"pad must be non-negative, but got pad: {p}")
        if p > (d * (k - 1) + 1) // 2:
            raise RuntimeError(f"pad should be at most half of effective kernel size, but got pad={p}, "
                               f"kernel_size={k} and dilation={d}")
    shape = x._data.shape
    sp = shape[-nsp:]
    if where is not None and any(s == 0 for s in shape[-nsp - 1:]):
        raise RuntimeError(f"{where}: Expected input's non-batch dimensions to have positive length, but input has a "
                           f"shape of {shape_str(shape)} and non-batch dimension 0 has length zero!")
    if check_input_size and any(S < k for S, k in zip(sp, ksize)):
        raise RuntimeError(f"input image ({' '.join(f'{a}: {S}' for a, S in zip(axes, sp))}) smaller than kernel size "
                           f"({' '.join(f'k{a}: {k}' for a, k in zip(axes, ksize))})")
    C = shape[-nsp - 1]
    osp = tuple(_pool_out(S, k, s, p, d, ceil_mode) for S, k, s, p, d in zip(sp, ksize, stride, pad, dil))
    if any(o < 1 for o in osp):
        raise RuntimeError(f"Given input size: ({'x'.join(map(str, (C,) + sp))}). Calculated output size: "
                           f"({'x'.join(map(str, (C,) + osp))}). Output size is too small")
    return osp


def _stride_or_kernel(stride, ksize, name, fn):
    if stride is None or (not isinstance(stride, (int, np.integer)) and len(stride) == 0):
        return ksize
    return _ntuple(stride, len(ksize), name, fn)


def _not_implemented(what, dt):
    return NotImplementedError(f"\"{what}\" not implemented for '{_dtype._from_np[dt]._short.capitalize()}'")


# -- max pooling ------------------------------------------------------------------------------------

_MAX_POOL = {2: MaxPool2DWithIndicesBackward0, 3: MaxPool3DWithIndicesBackward0}


def _max_poolnd(nsp, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices):
    fn = f"max_pool{nsp}d"
    ksize = _ntuple(kernel_size, nsp, "kernel_size", fn)
    stride = _stride_or_kernel(stride, ksize, "stride", fn)
    pad = _ntuple(padding, nsp, "padding", fn)
    dil = _ntuple(dilation, nsp, "dilation", fn)
    _check_pool_ndim(input, nsp)
    if nsp == 3 and input._data.dtype.kind == "b":
        raise _not_implemented("max_pool3d", input._data.dtype)
    osp = _pool_checks(input, ksize, stride, pad, dil, ceil_mode,
                       "max_pool3d_with_indices_out_cpu_template()" if nsp == 3 else None)
    # the indices cost more than the max itself: skip them when neither the caller nor autograd wants them
    need_idx = return_indices or (input._requires_grad and STATE.grad_enabled)
    kernel = _max_pool_kernel if need_idx else _max_pool_values
    out, idx = apply(_MAX_POOL[nsp], (input,), kernel, (ksize, stride, pad, dil, osp))
    return (out, idx) if return_indices else out


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    return _max_poolnd(2, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices)


def max_pool3d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    return _max_poolnd(3, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices)


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    nd = input._data.ndim
    if nd not in (2, 3):
        raise RuntimeError(f"max_pool1d: Expected 2D or 3D (batch mode) tensor with optional 0 dim batch size for "
                           f"input, but got:{shape_str(input._data.shape)}")
    k = _one(kernel_size)
    s = k if stride is None or (not isinstance(stride, (int, np.integer)) and len(stride) == 0) else _one(stride)
    p, d = _one(padding), _one(dilation)
    if k > 0 and s > 0 and d > 0 and p <= (d * (k - 1) + 1) // 2 and p >= 0:
        o = _pool_out(input._data.shape[-1], k, s, p, d, ceil_mode)
        if o < 1:
            raise RuntimeError(f"max_pool1d() Invalid computed output size: {o}")
    x = input.unsqueeze(-2)
    r = max_pool2d(x, (1, k), (1, s), (0, p), (1, d), ceil_mode, True)
    out, idx = r[0].squeeze(-2), r[1].squeeze(-2)
    return (out, idx) if return_indices else out


def _one(v):
    if isinstance(v, (int, np.integer)):
        return int(v)
    v = tuple(v)
    return int(v[0])


# -- average pooling ----------------------------------------------------------------------------------

def _avg_taps(S, k, s, p, O, count_include_pad):
    o = np.arange(O)
    start = o * s - p
    end = np.minimum(start + k, S + p)
    pool = end - start
    vstart, vend = np.maximum(start, 0), np.minimum(end, S)
    pos = start[:, None] + np.arange(k)[None, :]
    valid = (pos >= vstart[:, None]) & (pos < vend[:, None])
    idx = np.where(valid, pos, S).astype(_int64)
    div = pool if count_include_pad else (vend - vstart)
    return idx, div


_AVG_POOL = {2: AvgPool2DBackward0, 3: AvgPool3DBackward0}


def _avg_poolnd(nsp, input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override):
    fn = f"avg_pool{nsp}d"
    ksize = _ntuple(kernel_size, nsp, "kernel_size", fn)
    stride = _stride_or_kernel(stride, ksize, "stride", fn)
    pad = _ntuple(padding, nsp, "padding", fn)
    _check_pool_ndim(input, nsp)
    x = input
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    osp = _pool_checks(x, ksize, stride, pad, (1,) * nsp, ceil_mode, "avg_pool3d()" if nsp == 3 else None,
                       check_input_size=nsp == 3)
    sp = x._data.shape[-nsp:]
    dt = x._data.dtype
    axes = [_avg_taps(S, k, s, p, O, count_include_pad) for S, k, s, p, O in zip(sp, ksize, stride, pad, osp)]
    xp = xp_of(x._data)
    nlead = x._data.ndim - nsp
    if dt.kind not in "fc" and dt != _dtype.bfloat16.np:
        if dt.kind == "b" or (nsp == 3 and dt != _int64):  # torch's avg_pool3d takes int64 only
            raise _not_implemented("avg_pool2d" if nsp == 2 else "avg_pool3d_out_frame", dt)
        taps = tuple((xp.asarray(i), None) for i, _ in axes)
        with_sum = _sep_forward(x._data.astype(np.int64) if dt != _int64 else x._data, taps, nlead)
        div = (np.full(osp, divisor_override) if divisor_override is not None
               else functools.reduce(np.multiply.outer, [d for _, d in axes]))
        q = xp.abs(with_sum) // xp.asarray(div)
        from .._tensor import wrap
        return wrap((xp.sign(with_sum) * q).astype(dt))
    if nsp == 3 and dt == np.float16:
        raise _not_implemented("avg_pool3d_out_frame", dt)
    wd = np.dtype(np.float32) if dt == _dtype.bfloat16.np else dt
    taps = []
    for a, (i, d) in enumerate(axes):
        S = sp[a]
        if divisor_override is not None:
            w = np.full(i.shape, 1.0 / divisor_override if a == 0 else 1.0)
        else:
            w = np.broadcast_to((1.0 / d)[:, None], i.shape)
        taps.append((xp.asarray(i), xp.asarray(np.where(i == S, 0, w).astype(wd))))
    return apply(_AVG_POOL[nsp], (x,), tuple(taps), nlead)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    return _avg_poolnd(2, input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override)


def avg_pool3d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    return _avg_poolnd(3, input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override)


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    nd = input._data.ndim
    if nd not in (2, 3):
        raise RuntimeError(f"avg_pool1d() Expected 2D or 3D input tensor, but got {shape_str(input._data.shape)}")
    k = _one(kernel_size)
    s = k if stride is None or (not isinstance(stride, (int, np.integer)) and len(stride) == 0) else _one(stride)
    p = _one(padding)
    out = avg_pool2d(input.unsqueeze(-2), (1, k), (1, s), (0, p), ceil_mode, count_include_pad)
    return out.squeeze(-2)


# -- adaptive pooling ---------------------------------------------------------------------------------

def _adaptive_size(output_size, in_sp, fn, internal=False):
    if isinstance(output_size, (int, np.integer)):
        out = (int(output_size),) * len(in_sp)
    else:
        out = tuple(output_size)
        if len(out) == 1 and len(in_sp) == 2:
            out = out * 2
        if len(out) != len(in_sp):
            if internal:
                raise RuntimeError(f"{fn}(): internal error: output_size.size() must be {len(in_sp)}")
            raise RuntimeError(f"{fn}: output_size must be {len(in_sp)}")
        out = tuple(s if o is None else int(o) for o, s in zip(out, in_sp))
    return out


def _adaptive_checks_3d(input, fn):
    """adaptive_{avg,max}_pool3d's checks of empty dims and dtype (2-D pools have their own)."""
    shape = input._data.shape
    for i in range(1, len(shape)):  # a 4-D input's dim 0 may be empty, as in torch
        if shape[i] == 0:
            raise RuntimeError(f"{fn}(): Expected input to have non-zero size for non-batch dimensions, but input has "
                               f"sizes {shape_str(shape)} with dimension {i} being empty")
    dt = input._data.dtype
    if dt.kind not in "fc" and dt != _dtype.bfloat16.np:
        raise _not_implemented(f"{fn}_cpu", dt)


_ADAPTIVE_AVG = {2: AdaptiveAvgPool2DBackward0, 3: AdaptiveAvgPool3DBackward0}


def _adaptive_avg_poolnd(nsp, input, output_size):
    fn = f"adaptive_avg_pool{nsp}d"
    nd = input._data.ndim
    if nd not in (nsp + 1, nsp + 2):
        raise RuntimeError(f"{fn}(): Expected {nsp + 1}D or {nsp + 2}D tensor, but got {shape_str(input._data.shape)}")
    sp = input._data.shape[-nsp:]
    osz = _adaptive_size(output_size, sp, fn)
    if nsp == 3:
        _adaptive_checks_3d(input, fn)
    if all(o == 1 for o in osz) and input._data.size:
        return input.mean(tuple(range(-nsp, 0)), keepdim=True)  # torch does the same (grad_fn MeanBackward1)
    dt = input._data.dtype
    wd = np.dtype(np.float32) if dt == _dtype.bfloat16.np else dt
    xp = xp_of(input._data)
    taps = []
    for S, O in zip(sp, osz):
        start, end = _adaptive_bounds(S, O)
        T = int((end - start).max()) if O else 1
        pos = start[:, None] + np.arange(T)[None, :]
        valid = pos < end[:, None]
        idx = np.where(valid, pos, S).astype(_int64)
        w = np.where(valid, 1.0 / (end - start)[:, None], 0).astype(wd)
        taps.append((xp.asarray(idx), xp.asarray(w)))
    return apply(_ADAPTIVE_AVG[nsp], (input,), tuple(taps), nd - nsp)


def adaptive_avg_pool2d(input, output_size):
    return _adaptive_avg_poolnd(2, input, output_size)


def adaptive_avg_pool3d(input, output_size):
    return _adaptive_avg_poolnd(3, input, output_size)


def adaptive_avg_pool1d(input, output_size):
    nd = input._data.ndim
    if nd not in (2, 3):
        raise RuntimeError(f"adaptive_avg_pool1d(): Expected 2D or 3D tensor, but got {shape_str(input._data.shape)}")
    o = _one(output_size)
    return adaptive_avg_pool2d(input.unsqueeze(-2), (1, o)).squeeze(-2)


def adaptive_max_pool2d(input, output_size, return_indices=False):
    nd = input._data.ndim
    if nd not in (3, 4):
        raise RuntimeError(f"adaptive_max_pool2d(): Expected 3D or 4D tensor, but got {shape_str(input._data.shape)}")
    H, W = input._data.shape[-2:]
    osz = _adaptive_size(output_size, (H, W), "adaptive_max_pool2d", internal=True)
    if H == 0 or W == 0 and input._data.shape[0]:
        raise RuntimeError(f"adaptive_max_pool2d(): Expected input to have non-zero size for non-batch dimensions, "
                           f"but input has sizes {shape_str(input._data.shape)} with dimension {nd - 2 if H == 0 else nd - 1} being empty")
    out, idx = apply(AdaptiveMaxPool2DBackward0, (input,), _adaptive_max_kernel, osz)
    return (out, idx) if return_indices else out


def adaptive_max_pool3d(input, output_size, return_indices=False):
    fn = "adaptive_max_pool3d"
    nd = input._data.ndim
    if nd not in (4, 5):
        raise RuntimeError(f"{fn}(): Expected 4D or 5D tensor, but got: {shape_str(input._data.shape)}")
    osz = _adaptive_size(output_size, input._data.shape[-3:], fn, internal=True)
    _adaptive_checks_3d(input, fn)
    out, idx = apply(AdaptiveMaxPool3DBackward0, (input,), _adaptive_max_kernel, osz)
    return (out, idx) if return_indices else out


def adaptive_max_pool1d(input, output_size, return_indices=False):
    nd = input._data.ndim
    if nd not in (2, 3):
        raise RuntimeError(f"adaptive_max_pool1d(): Expected 2D or 3D tensor, but got {shape_str(input._data.shape)}")
    o = _one(output_size)
    out, idx = adaptive_max_pool2d(input.unsqueeze(-2), (1, o), True)
    out, idx = out.squeeze(-2), idx.squeeze(-2)
    return (out, idx) if return_indices else out


# -- max_unpool ------------------------------------------------------------------------------------

def _max_unpoolnd(nsp, input, indices, kernel_size, stride, padding, output_size):
    fn = f"max_unpool{nsp}d"
    ksize = _ntuple(kernel_size, nsp, "kernel_size", fn)
    stride = _stride_or_kernel(stride, ksize, "stride", fn)
    pad = _ntuple(padding, nsp, "padding", fn)
    nd = input._data.ndim
    sp = input._data.shape[-nsp:]
    if output_size is None:
        osz = tuple((S - 1) * s + k - 2 * p for S, s, k, p in zip(sp, stride, ksize, pad))
    else:
        osz = tuple(int(o) for o in tuple(output_size)[-nsp:])
    x, unb = (input.unsqueeze(0), True) if nd == nsp + 1 else (input, False)
    idx = indices._data.reshape(x._data.shape)
    if idx.size:
        lo, hi = int(idx.min()), int(idx.max())
        if lo < 0 or hi >= math.prod(osz):
            raise RuntimeError(f"Found an invalid max index: {lo if lo < 0 else hi} (output volumes are of size "
                               f"{'x'.join(map(str, osz))}" + (")" if nsp == 3 else ""))
    out = apply(_MAX_UNPOOL[nsp], (x,), idx, x._data.shape[:2] + osz)
    return out.squeeze(0) if unb else out


def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    return _max_unpoolnd(2, input, indices, kernel_size, stride, padding, output_size)


def max_unpool3d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    return _max_unpoolnd(3, input, indices, kernel_size, stride, padding, output_size)


class _MaxUnpool(_IndexScatter):
    __slots__ = ()

    def forward(self, g, idx, in_shape):
        # torch writes (last write wins); indices from max_pool never collide
        self.idx, self.out_shape = idx, g.shape
        return _put_planes(g, idx, in_shape, self.NSP)


def _unpool_node(nsp):
    name = f"MaxUnpool{nsp}DBackward0"
    node = type(name, (_MaxUnpool,), {"__slots__": (), "NSP": nsp})
    node.GATHER = type(name.replace("Backward0", "BackwardBackward0"), (_IndexGather,), {"__slots__": (), "NSP": nsp})
    node.GATHER.SCATTER = node
    return node


MaxUnpool2DBackward0 = _unpool_node(2)
MaxUnpool3DBackward0 = _unpool_node(3)
_MAX_UNPOOL = {2: MaxUnpool2DBackward0, 3: MaxUnpool3DBackward0}
# -- interpolate ------------------------------------------------------------------------------------

_MODES = ("nearest", "linear", "bilinear", "bicubic", "trilinear", "area", "nearest-exact")
_NAMES = {("nearest", 1): "UpsampleNearest1DBackward0", ("nearest", 2): "UpsampleNearest2DBackward0",
          ("nearest", 3): "UpsampleNearest3DBackward0", ("nearest-exact", 1): "UpsampleNearestExact1DBackward0",
          ("nearest-exact", 2): "UpsampleNearestExact2DBackward0",
          ("nearest-exact", 3): "UpsampleNearestExact3DBackward0", ("linear", 1): "UpsampleLinear1DBackward0",
          ("bilinear", 2): "UpsampleBilinear2DBackward0", ("bicubic", 2): "UpsampleBicubic2DBackward0",
          ("trilinear", 3): "UpsampleTrilinear3DBackward0"}


def _interp_taps(mode, S, O, scale, align_corners, wd):
    """(idx (O, T), w (O, T) or None) for one axis, computed in the input's precision as torch does."""
    o = np.arange(O, dtype=wd)
    if mode in ("nearest", "nearest-exact"):
        if O == S and mode == "nearest":
            src = np.arange(O)
        else:
            sc = wd.type(1.0 / scale) if scale is not None and scale > 0 else wd.type(S / O)
            off = wd.type(0.5) if mode == "nearest-exact" else wd.type(0)
            src = np.floor((o + off) * sc).astype(_int64)
            src = np.minimum(src, S - 1)
        return src.astype(_int64).reshape(O, 1), None
    # area_pixel_compute_scale
    if align_corners:
        sc = wd.type((S - 1) / (O - 1)) if O > 1 else wd.type(0)
    else:
        sc = wd.type(1.0 / scale) if scale is not None and scale > 0 else wd.type(S / O)
    if mode == "bicubic":
        src = o * sc if align_corners else sc * (o + wd.type(0.5)) - wd.type(0.5)
        i0 = np.floor(src).astype(_int64)
        t = (src - i0).astype(wd)
        A = wd.type(-0.75)

        def c1(v):
            return ((A + 2) * v - (A + 3)) * v * v + 1

        def c2(v):
            return ((A * v - 5 * A) * v + 8 * A) * v - 4 * A
        w = np.stack([c2(t + 1), c1(t), c1(1 - t), c2(2 - t)], axis=1).astype(wd)
        idx = np.clip(i0[:, None] + np.arange(-1, 3)[None, :], 0, S - 1)
        return idx.astype(_int64), w
    if align_corners:
        src = o * sc
    else:
        src = sc * (o + wd.type(0.5)) - wd.type(0.5)
        src = np.maximum(src, wd.type(0))
    i0 = src.astype(_int64)
    i0 = np.minimum(i0, S - 1)
    i1 = i0 + (i0 < S - 1)
    l1 = (src - i0).astype(wd)
    l0 = (wd.type(1) - l1).astype(wd)
    return np.stack([i0, i1], axis=1), np.stack([l0, l1], axis=1)


# -- separable resampling matrices (antialiased resize) -------------------------------------------

def _aa_filter(interpolation):
    if interpolation == "bilinear":
        return 2, lambda x: np.where(np.abs(x) < 1.0, 1.0 - np.abs(x), 0.0)
    a = -0.5

    def cubic(x):
        x = np.abs(x)
        return np.where(x < 1.0, ((a + 2.0) * x - (a + 3.0)) * x * x + 1.0,
                        np.where(x < 2.0, (((x - 5.0) * x + 8.0) * x - 4.0) * a, 0.0))
    return 4, cubic


def resize_matrix(in_size, out_size, interpolation, antialias):
    """Dense (out_size, in_size) matrix of torch's 1-D resampling (align_corners=False): resizing a
    2-D image is then Wh @ img @ Ww.T. Used by interpolate(antialias=True) and the vision resize."""
    scale = in_size / out_size
    rows = np.arange(out_size)
    if interpolation in ("nearest", "nearest-exact"):
        if interpolation == "nearest":
            if out_size == in_size:
                idx = rows
            elif out_size == 2 * in_size:
                idx = rows >> 1
            else:
                idx = np.floor(rows.astype(np.float32) * np.float32(in_size / out_size)).astype(np.int64)
        else:
            idx = np.floor((rows + 0.5) * np.float32(in_size / out_size)).astype(np.int64)
        idx = np.minimum(idx, in_size - 1)
        w = np.zeros((out_size, in_size))
        w[rows, idx] = 1.0
        return w
    if antialias:
        interp_size, filt = _aa_filter(interpolation)
        support = (interp_size * 0.5) * scale if scale >= 1.0 else interp_size * 0.5
        invscale = 1.0 / scale if scale >= 1.0 else 1.0
        center = scale * (rows + 0.5)
        xmin = np.maximum((center - support + 0.5).astype(np.int64), 0)
        xmax = np.minimum((center + support + 0.5).astype(np.int64), in_size)
        cols = np.arange(in_size)
        inside = (cols[None, :] >= xmin[:, None]) & (cols[None, :] < xmax[:, None])
        w = np.where(inside, filt((cols[None, :] - center[:, None] + 0.5) * invscale), 0.0)
        total = w.sum(axis=1, keepdims=True)
        return np.divide(w, total, out=w, where=total != 0)
    if interpolation == "bilinear":
        src = np.maximum(scale * (rows + 0.5) - 0.5, 0.0)
        i0 = src.astype(np.int64)
        lam = src - i0
        i1 = i0 + (i0 < in_size - 1)
        taps, weights = np.stack([i0, i1], 1), np.stack([1.0 - lam, lam], 1)
    else:  # bicubic, A = -0.75, clamped taps
        A = -0.75
        src = scale * (rows + 0.5) - 0.5
        fl = np.floor(src)
        t = src - fl

        def c1(x):
            return ((A + 2) * x - (A + 3)) * x * x + 1

        def c2(x):
            return ((A * x - 5 * A) * x + 8 * A) * x - 4 * A
        weights = np.stack([c2(t + 1.0), c1(t), c1(1.0 - t), c2(2.0 - t)], 1)
        taps = np.clip(fl.astype(np.int64)[:, None] + np.arange(-1, 3)[None, :], 0, in_size - 1)
    flat = (rows[:, None] * in_size + taps).ravel()
    return np.bincount(flat, weights=weights.ravel(), minlength=out_size * in_size).reshape(out_size, in_size)


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,
                recompute_scale_factor=None, antialias=False):
    nd = input._data.ndim
    sdim = nd - 2
    in_sp = input._data.shape[2:]
    if mode in ("nearest", "area", "nearest-exact"):
        if align_corners is not None:
            raise ValueError("align_corners option can only be set with the interpolating modes: "
                             "linear | bilinear | bicubic | trilinear")
    elif align_corners is None:
        align_corners = False
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is not None:
        if isinstance(size, (list, tuple)):
            if len(size) != sdim:
                raise ValueError(f"Input and output must have the same number of spatial dimensions, but got input "
                                 f"with spatial dimensions of {list(in_sp)} and output size of {size}. Please provide "
                                 f"input tensor in (N, C, d1, d2, ...,dK) format and output size in (o1, o2, ...,oK) "
                                 f"format.")
            out_sp = tuple(int(s) for s in size)
        else:
            out_sp = (int(size),) * sdim
        scales = (None,) * sdim
    elif scale_factor is not None:
        if isinstance(scale_factor, (list, tuple)):
            if len(scale_factor) != sdim:
                raise ValueError(f"Input and scale_factor must have the same number of spatial dimensions, but got "
                                 f"input with spatial dimensions of {list(in_sp)} and scale_factor of shape "
                                 f"{scale_factor}. Please provide input tensor in (N, C, d1, d2, ...,dK) format and "
                                 f"scale_factor in (s1, s2, ...,sK) format.")
            scales = tuple(float(s) for s in scale_factor)
        else:
            scales = (float(scale_factor),) * sdim
        out_sp = tuple(int(math.floor(float(S) * s)) for S, s in zip(in_sp, scales))
        if recompute_scale_factor:
            scales = (None,) * sdim
    else:
        raise ValueError("either size or scale_factor should be defined")
    if antialias and not (mode in ("bilinear", "bicubic") and nd == 4):
        raise ValueError("Anti-alias option is restricted to bilinear and bicubic modes and requires a 4-D tensor "
                         "as input")
    if antialias:
        # antialiased resize is separable: out = Wh @ x @ Ww.T, which autograd differentiates as matmuls
        wd = input._data.dtype
        xp = xp_of(input._data)
        wh = xp.asarray(resize_matrix(in_sp[0], out_sp[0], mode, True).astype(wd))
        ww = xp.asarray(resize_matrix(in_sp[1], out_sp[1], mode, True).astype(wd))
        from .._tensor import wrap
        return wrap(wh).matmul(input).matmul(wrap(ww.T.copy()))
    need = {"linear": 3, "bilinear": 4, "bicubic": 4, "trilinear": 5}
    if mode in need and nd != need[mode]:
        raise NotImplementedError(f"Got {nd}D input, but {mode} mode needs {need[mode]}D input")
    if mode not in _MODES or nd not in (3, 4, 5):
        raise NotImplementedError(f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {nd}D) for the "
                                  f"modes: nearest | linear | bilinear | bicubic | trilinear | lanczos | area | "
                                  f"nearest-exact (got {mode})")
    if mode == "area":
        if nd == 3:
            return adaptive_avg_pool1d(input, out_sp)
        if nd == 4:
            return adaptive_avg_pool2d(input, out_sp)
        return adaptive_avg_pool3d(input, out_sp)
    dt = input._data.dtype
    if dt.kind not in "fc" and dt != _dtype.bfloat16.np:
        tag = {"nearest": "upsample_nearest", "nearest-exact": "_upsample_nearest_exact", "linear": "upsample_linear",
               "bilinear": "upsample_bilinear", "bicubic": "upsample_bicubic", "trilinear": "upsample_trilinear"}[mode]
        raise NotImplementedError(f"\"{tag}{sdim}d_channels_last\" not implemented for "
                                  f"'{_dtype._from_np[dt]._short.capitalize()}'")
    if any(o <= 0 for o in out_sp):
        raise RuntimeError(f"Input and output sizes should be greater than 0, but got input "
                           f"({', '.join(map(str, in_sp))}) output ({', '.join(map(str, out_sp))})")
    wd = np.dtype(np.float32) if dt == _dtype.bfloat16.np or dt == np.float16 else dt
    xp = xp_of(input._data)
    taps = []
    for S, O, sc in zip(in_sp, out_sp, scales):
        idx, w = _interp_taps(mode, S, O, sc, align_corners, wd)
        taps.append((xp.asarray(idx), None if w is None else xp.asarray(w)))
    return apply(_UPSAMPLE[_NAMES[(mode, sdim)]], (input,), tuple(taps), 2)


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input, size=None, scale_factor=None):
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input, size=None, scale_factor=None):
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


# -- pixel shuffle -----------------------------------------------------------------------------------

def pixel_shuffle(input, upscale_factor):
    r = int(upscale_factor)
    s = input._data.shape
    if len(s) < 3:
        raise RuntimeError(f"pixel_shuffle expects input to have at least 3 dimensions, but got input with "
                           f"{len(s)} dimension(s)")
    if s[-3] % (r * r):
        raise RuntimeError(f"pixel_shuffle expects its input's 'channel' dimension to be divisible by the square of "
                           f"upscale_factor, but input.size(-3)={s[-3]} is not divisible by {r * r}")
    lead, C, H, W = s[:-3], s[-3] // (r * r), s[-2], s[-1]
    n = len(lead)
    x = input.reshape(lead + (C, r, r, H, W))
    perm = tuple(range(n)) + (n, n + 3, n + 1, n + 4, n + 2)
    return x.permute(perm).reshape(lead + (C, H * r, W * r))


def pixel_unshuffle(input, downscale_factor):
    r = int(downscale_factor)
    s = input._data.shape
    if len(s) < 3:
        raise RuntimeError(f"pixel_unshuffle expects input to have at least 3 dimensions, but got input with "
                           f"{len(s)} dimension(s)")
    if s[-2] % r:
        raise RuntimeError(f"pixel_unshuffle expects height to be divisible by downscale_factor, but input.size(-2)="
                           f"{s[-2]} is not divisible by {r}")
    if s[-1] % r:
        raise RuntimeError(f"pixel_unshuffle expects width to be divisible by downscale_factor, but input.size(-1)="
                           f"{s[-1]} is not divisible by {r}")
    lead, C, H, W = s[:-3], s[-3], s[-2] // r, s[-1] // r
    n = len(lead)
    x = input.reshape(lead + (C, H, r, W, r))
    perm = tuple(range(n)) + (n, n + 2, n + 4, n + 1, n + 3)
    return x.permute(perm).reshape(lead + (C * r * r, H, W))
