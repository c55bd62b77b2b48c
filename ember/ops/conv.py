"""Convolutions: conv1d/2d/3d, conv_transpose1d/2d/3d, unfold (im2col) and fold (col2im).

One set of N-d array kernels does all of it:

- ``_im2col``: a strided window view (``as_strided``) of the zero-padded input, copied once into
  columns laid out ``(N, C*prod(K), L)``; a convolution is then ONE batched GEMM ``W @ cols``
  (groups are an extra batch dim), giving ``(N, O, L)`` directly, with no output transpose;
- ``_col2im``: the adjoint, a loop over the kernel offsets adding strided slices (never ``add.at``);
- ``_conv_input_grad`` (= conv_transpose) and ``_conv_weight_grad`` (``g @ cols^T``).

Convolution is bilinear in (input, weight), so every gradient is again one of these three
kernels; each is wrapped in a node whose backward calls the other two, and higher-order
gradients (``create_graph=True``) come for free. As in torch, the grad_fn of conv and
conv_transpose is ``ConvolutionBackward0`` and the nodes built by its backward are
``ConvolutionBackwardBackward0``.
"""
import math

import numpy as np

from .. import _dtype
from .._device import xp_of, strided_view
from .._parallel import COPY_COST, split_batch
from ..autograd.graph import Node
from ._dispatch import apply
from ._util import shape_str

__all__ = ["conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d"]
TENSOR_METHODS = ""
INPLACE = ""


# -- array kernels -----------------------------------------------------------------------------------

def _out_sizes(sp, ksize, stride, pads, dil):
    return tuple((s + lo + hi - d * (k - 1) - 1) // st + 1
                 for s, k, st, (lo, hi), d in zip(sp, ksize, stride, pads, dil))


def _pad_zeros(x, pads):
    """x (N, C, *S) with zero padding (lo, hi) per spatial dim (no copy when there is none)."""
    if not any(lo or hi for lo, hi in pads):
        return x
    xp = xp_of(x)
    shape = x.shape[:2] + tuple(s + lo + hi for s, (lo, hi) in zip(x.shape[2:], pads))
    out = xp.zeros(shape, dtype=x.dtype)
    out[(slice(None), slice(None)) + tuple(slice(lo, lo + s) for s, (lo, _) in zip(x.shape[2:], pads))] = x
    return out


def _pointwise(ksize, stride, pads):
    """A 1x1 convolution with stride 1 and no padding: its input is already its columns."""
    return all(k == 1 for k in ksize) and all(s == 1 for s in stride) and not any(lo or hi for lo, hi in pads)


def _wide_plan(sp, ksize, stride, pads, dil):
    """For stride-1 convolutions, the 'wide' layout: outputs on the padded input's flattened grid.

    Column j of kernel offset k is then the contiguous run x_pad_flat[off_k : off_k + Lw], so im2col
    and col2im copy long contiguous runs instead of short rows; the price is Lw/L extra GEMM columns
    (positions past the output's last column, dropped afterwards). Returns Lw, or 0 for the plain layout.
    """
    if len(sp) < 2 or any(s != 1 for s in stride):
        return 0
    osp = _out_sizes(sp, ksize, stride, pads, dil)
    psp = tuple(s + lo + hi for s, (lo, hi) in zip(sp, pads))
    flat = [math.prod(psp[i + 1:]) for i in range(len(psp))]
    lw = sum((o - 1) * f for o, f in zip(osp, flat)) + 1
    L = math.prod(osp)
    if L <= 0 or lw > 2 * L:
        return 0
    return lw


def _layout(sp, ksize, stride, pads, dil, allow_wide=True):
    """The column layout _im2col uses for spatial size sp: (output size, Lw or 0, columns per sample)."""
    osp = _out_sizes(sp, ksize, stride, pads, dil)
    lw = _wide_plan(sp, ksize, stride, pads, dil) if allow_wide and not _pointwise(ksize, stride, pads) else 0
    return osp, lw, lw or math.prod(osp)


def _padded(sp, pads):
    return tuple(s + lo + hi for s, (lo, hi) in zip(sp, pads))


def _wide_view(a, osp, psp, writeable=False):
    """The output positions (N, O, *osp) inside a wide array (N, O, Lw)."""
    it = a.itemsize
    flat = tuple(math.prod(psp[i + 1:]) * it for i in range(len(psp)))
    return strided_view(a, a.shape[:2] + tuple(osp), a.strides[:2] + flat, writeable)


def _im2col(x, ksize, stride, pads, dil, allow_wide=True, out=None):
    """Columns (N, C*prod(K), L) of x (N, C, *S) (L = Lw in the wide layout), output size, Lw.

    out: a C-contiguous array of the columns' shape to write them into (else a new one)."""
    N, C = x.shape[:2]
    osp, lw, ncols = _layout(x.shape[2:], ksize, stride, pads, dil, allow_wide)
    if _pointwise(ksize, stride, pads):
        return x.reshape(N, C, ncols), osp, 0  # the input is already its columns
    xp = xp_of(x)
    xpad = xp.ascontiguousarray(_pad_zeros(x, pads))
    st = xpad.strides
    nd = len(ksize)
    kstr = tuple(st[2 + i] * dil[i] for i in range(nd))
    if lw:
        win = strided_view(xpad, (N, C) + tuple(ksize) + (lw,), st[:2] + kstr + (xpad.itemsize,))
    else:
        win = strided_view(xpad, (N, C) + tuple(ksize) + osp,
                          st[:2] + kstr + tuple(st[2 + i] * stride[i] for i in range(nd)))
    if out is None:
        out = xp.empty((N, C * math.prod(ksize), ncols), dtype=x.dtype)
    out.reshape(win.shape)[...] = win
    return out, osp, lw


def _col2im(cols, x_shape, ksize, stride, pads, dil, lw=0, out=None):
    """Adjoint of _im2col: cols (N, C*prod(K), L or Lw) summed back into an array of x_shape.

    out: a C-contiguous array of x_shape to write the result into (else a new one)."""
    xp = xp_of(cols)
    N, C = x_shape[:2]
    sp = x_shape[2:]
    psp = _padded(sp, pads)
    padded = any(lo or hi for lo, hi in pads)
    head = (slice(None), slice(None))
    if out is not None and not padded:
        acc = out  # sum straight into the result
        acc[...] = 0
    else:
        acc = xp.zeros((N, C) + psp, dtype=cols.dtype)
    if lw:
        cols = cols.reshape((N, C, math.prod(ksize), lw))
        flat = [math.prod(psp[i + 1:]) for i in range(len(psp))]
        acc_flat = acc.reshape((N, C, math.prod(psp)))
        for j, koff in enumerate(np.ndindex(*ksize)):
            off = sum(k * d * f for k, d, f in zip(koff, dil, flat))
            acc_flat[:, :, off:off + lw] += cols[:, :, j]
    else:
        osp = _out_sizes(sp, ksize, stride, pads, dil)
        cols = cols.reshape((N, C) + tuple(ksize) + osp)
        for koff in np.ndindex(*ksize):
            sl = tuple(slice(k * d, k * d + st * (o - 1) + 1, st) for k, d, st, o in zip(koff, dil, stride, osp))
            acc[head + sl] += cols[head + koff]
    if not padded:
        return acc
    inner = acc[head + tuple(slice(lo, lo + s) for s, (lo, _) in zip(sp, pads))]
    if out is None:
        return xp.ascontiguousarray(inner)
    out[...] = inner
    return out


def _conv_forward(x, w, b, stride, pads, dil, groups):
    """y = conv(x, w) + b; also returns the columns (kept for the weight gradient)."""
    xp = xp_of(x)
    N, C = x.shape[:2]
    O = w.shape[0]
    ksize = w.shape[2:]
    osp, lw, ncols = _layout(x.shape[2:], ksize, stride, pads, dil)
    ck = C * math.prod(ksize)
    pointwise = _pointwise(ksize, stride, pads)
    cols = x.reshape(N, ck, ncols) if pointwise else xp.empty((N, ck, ncols), dtype=x.dtype)
    out = xp.empty((N, O) + osp, dtype=x.dtype)
    wm = w.reshape(O, -1) if groups == 1 else w.reshape(groups, O // groups, -1)
    psp = _padded(x.shape[2:], pads)
    bias = None if b is None else b.reshape((O,) + (1,) * len(osp))

    def run(sl):
        c = cols[sl] if pointwise else _im2col(x[sl], ksize, stride, pads, dil, out=cols[sl])[0]
        n = c.shape[0]
        if groups > 1:
            c = c.reshape(n, groups, ck // groups, ncols)
        if lw:
            y = xp.matmul(wm, c).reshape(n, O, ncols)
            out[sl] = _wide_view(y, osp, psp)
        else:
            y = out[sl].reshape((n, O, ncols))
            xp.matmul(wm, c, out=y if groups == 1 else y.reshape(n, groups, O // groups, ncols))
        if bias is not None:
            out[sl] += bias

    split_batch(run, x, N * ncols * ck * (O // groups + COPY_COST), gemm=(N * ncols, O, ck // groups))
    return out, cols


def _grad_cols(g, x_shape, ksize, stride, pads, dil):
    """g (N, O, *osp) in the column layout _im2col uses for x_shape: (N, O, L) or zero-filled (N, O, Lw)."""
    N, O = g.shape[:2]
    _, lw, ncols = _layout(x_shape[2:], ksize, stride, pads, dil)
    if not lw:
        return g.reshape(N, O, ncols), 0
    gw = xp_of(g).zeros((N, O, lw), dtype=g.dtype)
    _wide_view(gw, g.shape[2:], _padded(x_shape[2:], pads), writeable=True)[...] = g  # positions never overlap
    return gw, lw


def _conv_input_grad(g, w, x_shape, stride, pads, dil, groups):
    """d conv / d x applied to g (N, O, *osp): conv_transpose of g with w, shaped x_shape."""
    xp = xp_of(g)
    N, O = g.shape[:2]
    ksize = w.shape[2:]
    ck = w.shape[1] * groups * math.prod(ksize)  # rows of the columns: C * prod(K)
    _, _, ncols = _layout(x_shape[2:], ksize, stride, pads, dil)
    pointwise = _pointwise(ksize, stride, pads)
    out = xp.empty(x_shape, dtype=g.dtype)
    wm = w.reshape(O, -1).T if groups == 1 else w.reshape(groups, O // groups, -1).transpose(0, 2, 1)

    def run(sl):
        gm, lw = _grad_cols(g[sl], x_shape, ksize, stride, pads, dil)
        n = gm.shape[0]
        if groups > 1:
            gm = gm.reshape(n, groups, O // groups, ncols)
        if pointwise:
            y = out[sl].reshape((n, ck, ncols))
            xp.matmul(wm, gm, out=y if groups == 1 else y.reshape(n, groups, ck // groups, ncols))
        else:
            gcols = xp.matmul(wm, gm).reshape(n, ck, ncols)
            _col2im(gcols, (n,) + tuple(x_shape[1:]), ksize, stride, pads, dil, lw, out=out[sl])

    split_batch(run, g, N * ncols * ck * (O // groups + COPY_COST), gemm=(N * ncols, w[0].size, O // groups))
    return out


def _conv_weight_grad(x, g, w_shape, stride, pads, dil, groups, cols=None):
    """d conv / d w applied to g: sum over batch and positions of g (x) columns."""
    xp = xp_of(g)
    N, O = g.shape[:2]
    ksize = w_shape[2:]
    ck = x.shape[1] * math.prod(ksize)
    _, _, ncols = _layout(x.shape[2:], ksize, stride, pads, dil)
    cg, og = ck // groups, O // groups
    # One product per sample into a batch buffer, summed over the batch once at the end (in one fixed
    # order, however the batch was split). For groups == 1 it is cols @ g^T, transposed at the end:
    # about 2x faster in OpenBLAS than g @ cols^T, whose small first operand (O rows) suits it badly.
    per_sample = xp.empty((N, ck, O) if groups == 1 else (N, groups, og, cg), dtype=g.dtype)

    def run(sl):
        c = cols[sl] if cols is not None else _im2col(x[sl], ksize, stride, pads, dil)[0]
        gm, _ = _grad_cols(g[sl], x.shape, ksize, stride, pads, dil)
        n = gm.shape[0]
        if groups == 1:
            xp.matmul(c, gm.transpose(0, 2, 1), out=per_sample[sl])
        else:
            xp.matmul(gm.reshape(n, groups, og, ncols), c.reshape(n, groups, cg, ncols).transpose(0, 1, 3, 2),
                      out=per_sample[sl])

    work = N * ncols * ck * (og + (COPY_COST if cols is None else 0))
    split_batch(run, g, work, gemm=(O, cg, N * ncols))
    gw = per_sample.sum(0)
    return (gw.T if groups == 1 else gw).reshape(w_shape)


# -- graph nodes ---------------------------------------------------------------------------------------
# cfg = (transposed, stride, pads, dilation, groups, out_shape); pads = ((lo, hi), ...) per spatial dim;
# out_shape is the result's shape for a transposed convolution (None otherwise).

class ConvolutionBackward0(Node):
    """conv (transposed=False) or conv_transpose (transposed=True) of inputs (x, w[, b])."""
    __slots__ = ("cfg", "cols")
    SAVES_INPUTS = True

    def forward(self, *args):
        cfg = args[-1]
        x, w = args[0], args[1]
        b = args[2] if len(args) == 4 else None
        self.cfg = cfg
        transposed, stride, pads, dil, groups, out_shape = cfg
        if transposed:
            self.cols = None
            out = _conv_input_grad(x, w, out_shape, stride, pads, dil, groups)
            if b is not None:
                out += b.reshape((b.shape[0],) + (1,) * (out.ndim - 2))
            return out
        out, self.cols = _conv_forward(x, w, b, stride, pads, dil, groups)
        return out

    def release(self):
        self.cols = None
        Node.release(self)

    def backward(self, g):
        transposed, stride, pads, dil, groups, _ = self.cfg
        inputs = self.inputs
        x, w = inputs[0], inputs[1]
        e = self.next_edges
        gx = gw = gb = None
        if not transposed:
            if e[0] is not None:
                gx = apply(ConvolutionBackwardBackward0, (g, w),
                           (True, stride, pads, dil, groups, x._data.shape))
            if e[1] is not None:
                gw = apply(ConvWeightBackward0, (x, g), (stride, pads, dil, groups), w._data.shape, self.cols)
        else:
            if e[0] is not None:
                gx = apply(ConvolutionBackwardBackward0, (g, w), (False, stride, pads, dil, groups, None))
            if e[1] is not None:
                gw = apply(ConvWeightBackward0, (g, x), (stride, pads, dil, groups), w._data.shape, None)
        if len(e) == 3:
            if e[2] is not None:
                gb = g.sum((0,) + tuple(range(2, g._data.ndim)))
            return gx, gw, gb
        return gx, gw


class ConvolutionBackwardBackward0(ConvolutionBackward0):
    """The same op, made by a convolution's backward (torch's name for it in a double-backward graph)."""
    __slots__ = ()


class _ConvWeightGrad(Node):
    """gw = weight gradient of conv(X, .) for output gradient G; bilinear in (X, G)."""
    __slots__ = ("cfg", "wshape")
    SAVES_INPUTS = True

    def forward(self, X, G, cfg, wshape, cols):
        self.cfg, self.wshape = cfg, wshape
        stride, pads, dil, groups = cfg
        return _conv_weight_grad(X, G, wshape, stride, pads, dil, groups, cols)

    def backward(self, gw):
        X, G = self.inputs
        stride, pads, dil, groups = self.cfg
        e = self.next_edges
        dX = dG = None
        if e[0] is not None:
            dX = apply(ConvolutionBackwardBackward0, (G, gw), (True, stride, pads, dil, groups, X._data.shape))
        if e[1] is not None:
            dG = apply(ConvolutionBackwardBackward0, (X, gw), (False, stride, pads, dil, groups, None))
        return dX, dG


ConvWeightBackward0 = type("ConvolutionBackwardBackward0", (_ConvWeightGrad,), {"__slots__": ()})


class Im2ColBackward0(Node):
    """F.unfold: (N, C, *S) -> (N, C*prod(K), L)."""
    __slots__ = ("cfg", "in_shape")

    def forward(self, x, cfg):
        ksize, stride, pads, dil = cfg
        self.cfg, self.in_shape = cfg, x.shape
        cols, _, _ = _im2col(x, ksize, stride, pads, dil, allow_wide=False)
        if _pointwise(ksize, stride, pads):
            cols = cols.copy()  # the 1x1 fast path is a view of x
        return cols

    def backward(self, g):
        return (apply(Col2ImBackward0, (g,), self.cfg, self.in_shape),)


class Col2ImBackward0(Node):
    """F.fold: (N, C*prod(K), L) -> (N, C, *S), overlapping blocks summed."""
    __slots__ = ("cfg",)

    def forward(self, cols, cfg, out_shape):
        ksize, stride, pads, dil = cfg
        self.cfg = cfg
        if _pointwise(ksize, stride, pads):
            return cols.reshape(out_shape).copy()
        return _col2im(cols, out_shape, ksize, stride, pads, dil)

    def backward(self, g):
        return (apply(Im2ColBackward0, (g,), self.cfg),)


# -- argument handling -------------------------------------------------------------------------------

def _expand(v, n, name, shown_n=None):
    if isinstance(v, (int, np.integer)) and not isinstance(v, bool):
        return (int(v),) * n
    v = tuple(int(a) for a in v)
    if len(v) == 1:
        return v * n
    if len(v) != n:
        raise RuntimeError(f"expected {name} to be a single integer value or a list of {n} values to match the "
                           f"convolution dimensions, but got {name}={list(v)}")
    return v


def _check_dtypes(x, w, b):
    xd, wd = x._data.dtype, w._data.dtype
    if xd != wd:
        if xd.itemsize > wd.itemsize:
            raise RuntimeError(f"expected scalar type {_scalar_name(xd)} but found {_scalar_name(wd)}")
        raise RuntimeError(f"Input type (torch.{_scalar_name(xd)}Tensor) and weight type "
                           f"(torch.{_scalar_name(wd)}Tensor) should be the same or input should be a MKLDNN "
                           f"tensor and weight is a dense tensor")
    if b is not None and b._data.dtype != xd:
        raise RuntimeError(f"Input type ({_c_name(xd)}) and bias type "
                           f"({_c_name(b._data.dtype)}) should be the same")


_SCALAR = {"float32": "Float", "float64": "Double", "float16": "Half", "bfloat16": "BFloat16", "int64": "Long",
           "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool",
           "complex64": "ComplexFloat", "complex128": "ComplexDouble"}


def _c_name(np_dtype):
    n = _scalar_name(np_dtype)
    return {"Float": "float", "Double": "double", "Long": "long int", "Int": "int"}.get(n, n)


def _scalar_name(np_dtype):
    return _SCALAR.get(str(_dtype._from_np[np_dtype]).split(".")[-1], str(np_dtype))


def _prepare(name, nd, input, weight, bias, stride, padding, dilation, groups, transposed=False):
    """Validate like torch; return (x batched, unbatched flag, stride, pads, dilation)."""
    xs = input._data.shape
    if input._data.ndim not in (nd + 1, nd + 2):
        raise RuntimeError(f"Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input to {name}, but got "
                           f"input of size: {shape_str(xs)}")
    stride = _expand(stride, nd, "stride")
    ws = weight._data.shape
    if len(ws) != nd + 2:
        raise RuntimeError(f"expected stride to be a single integer value or a list of {len(ws) - 2} values to "
                           f"match the convolution dimensions, but got stride={list(stride)}")
    dilation = _expand(dilation, nd, "dilation")
    ksize = ws[2:]
    if isinstance(padding, str):
        if padding == "valid":
            pads = ((0, 0),) * nd
        elif padding == "same":
            if any(s != 1 for s in stride):
                raise RuntimeError("padding='same' is not supported for strided convolutions")
            pads = []
            for k, d in zip(ksize, dilation):
                total = d * (k - 1)
                pads.append((total // 2, total - total // 2))
            pads = tuple(pads)
        else:
            raise RuntimeError(f"Invalid padding string: '{padding}'")
    else:
        p = _expand(padding, nd, "padding")
        if any(a < 0 for a in p):
            raise RuntimeError("negative padding is not supported")
        pads = tuple((a, a) for a in p)
    if any(s <= 0 for s in stride):
        raise RuntimeError("non-positive stride is not supported")
    if any(d <= 0 for d in dilation):
        raise RuntimeError("non-positive dilation is not supported")
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    unbatched = input._data.ndim == nd + 1
    x = input.unsqueeze(0) if unbatched else input
    xs = x._data.shape
    if not transposed:
        if ws[0] % groups:
            raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, "
                               f"but got weight of size [{shape_str(ws)}] instead")
        if xs[1] != ws[1] * groups:
            raise RuntimeError(f"Given groups={groups}, weight of size {shape_str(ws)}, expected input"
                               f"{shape_str(xs)} to have {ws[1] * groups} channels, but got {xs[1]} channels instead")
        if bias is not None and (bias._data.ndim != 1 or bias._data.shape[0] != ws[0]):
            raise RuntimeError(f"Given weight of size {shape_str(ws)}, expected bias to be 1-dimensional with "
                               f"{ws[0]} elements, but got bias of size {shape_str(bias._data.shape)} instead")
        psp = tuple(s + lo + hi for s, (lo, hi) in zip(xs[2:], pads))
        dk = tuple(d * (k - 1) + 1 for k, d in zip(ksize, dilation))
        if any(p < k for p, k in zip(psp, dk)):
            raise RuntimeError(f"Calculated padded input size per channel: ({' x '.join(map(str, psp))}). Kernel "
                               f"size: ({' x '.join(map(str, dk))}). Kernel size can't be greater than actual "
                               f"input size")
    else:
        if ws[0] % groups:
            raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, "
                               f"but got weight of size [{shape_str(ws)}] instead")
        if xs[1] != ws[0]:
            raise RuntimeError(f"Given transposed=1, weight of size {shape_str(ws)}, expected input"
                               f"{shape_str(xs)} to have {ws[0]} channels, but got {xs[1]} channels instead")
        if bias is not None and (bias._data.ndim != 1 or bias._data.shape[0] != ws[1] * groups):
            raise RuntimeError(f"Given transposed=1, weight of size {shape_str(ws)}, expected bias to be "
                               f"1-dimensional with {ws[1] * groups} elements, but got bias of size "
                               f"{shape_str(bias._data.shape)} instead")
    _check_dtypes(x, weight, bias)
    return x, unbatched, stride, pads, dilation


def _conv(name, nd, input, weight, bias, stride, padding, dilation, groups):
    x, unbatched, stride, pads, dilation = _prepare(name, nd, input, weight, bias, stride, padding, dilation,
                                                    groups)
    inputs = (x, weight) if bias is None else (x, weight, bias)
    out = apply(ConvolutionBackward0, inputs, (False, stride, pads, dilation, int(groups), None))
    return out.squeeze(0) if unbatched else out


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    return _conv("conv1d", 1, input, weight, bias, stride, padding, dilation, groups)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    return _conv("conv2d", 2, input, weight, bias, stride, padding, dilation, groups)


def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    return _conv("conv3d", 3, input, weight, bias, stride, padding, dilation, groups)


_HW = ("depth", "height", "width")


def _conv_transpose(name, nd, input, weight, bias, stride, padding, output_padding, groups, dilation):
    if isinstance(padding, str):
        raise TypeError(f"{name}(): argument 'padding' (position 5) must be tuple of ints, not str")
    x, unbatched, stride, pads, dilation = _prepare(name, nd, input, weight, bias, stride, padding, dilation,
                                                    groups, transposed=True)
    op = _expand(output_padding, nd, "output_padding")
    if any(o >= s and o >= d for o, s, d in zip(op, stride, dilation)):
        names = _HW[3 - max(nd, 2):]
        opl = ((0,) * (2 - nd) + op) if nd < 2 else op
        stl = ((1,) * (2 - nd) + stride) if nd < 2 else stride
        dll = ((1,) * (2 - nd) + dilation) if nd < 2 else dilation
        parts = ([f"output_padding_{n}: {v}" for n, v in zip(names, opl)]
                 + [f"stride_{n}: {v}" for n, v in zip(names, stl)]
                 + [f"dilation_{n}: {v}" for n, v in zip(names, dll)])
        raise RuntimeError("output padding must be smaller than either stride or dilation, but got "
                           + " ".join(parts))
    ws = weight._data.shape
    xs = x._data.shape
    osp = tuple((s - 1) * st - 2 * p + d * (k - 1) + o + 1
                for s, st, (p, _), d, k, o in zip(xs[2:], stride, pads, dilation, ws[2:], op))
    if any(o <= 0 for o in osp):
        raise RuntimeError(f"Given input size per channel: ({' x '.join(map(str, xs[2:]))}). Calculated output "
                           f"size per channel: ({' x '.join(map(str, osp))}). Output size is too small")
    out_shape = (xs[0], ws[1] * groups) + osp
    inputs = (x, weight) if bias is None else (x, weight, bias)
    out = apply(ConvolutionBackward0, inputs, (True, stride, pads, dilation, int(groups), out_shape))
    return out.squeeze(0) if unbatched else out


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    return _conv_transpose("conv_transpose1d", 1, input, weight, bias, stride, padding, output_padding, groups,
                           dilation)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    return _conv_transpose("conv_transpose2d", 2, input, weight, bias, stride, padding, output_padding, groups,
                           dilation)


def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    return _conv_transpose("conv_transpose3d", 3, input, weight, bias, stride, padding, output_padding, groups,
                           dilation)


# -- unfold / fold (torch.nn.functional) ----------------------------------------------------------------

def _pair(v, name):
    if isinstance(v, (int, np.integer)):
        return (int(v), int(v))
    v = tuple(int(a) for a in v)
    if len(v) == 1:
        return v * 2
    return v


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    nd = input._data.ndim
    if nd not in (3, 4):
        raise NotImplementedError(f"Input Error: Only 3D or 4D input Tensors are supported (got {nd}D)")
    k, d, p, s = (_pair(kernel_size, "kernel_size"), _pair(dilation, "dilation"), _pair(padding, "padding"),
                  _pair(stride, "stride"))
    unbatched = nd == 3
    x = input.unsqueeze(0) if unbatched else input
    xs = x._data.shape
    if any(a <= 0 for a in k):
        raise RuntimeError(f"kernel size should be greater than zero, but got kernel_height: {k[0]} kernel_width: "
                           f"{k[1]}")
    if any(a <= 0 for a in s):
        raise RuntimeError(f"stride should be greater than zero, but got stride_height: {s[0]} stride_width: {s[1]}")
    if any(a <= 0 for a in d):
        raise RuntimeError(f"dilation should be greater than zero, but got dilation_height: {d[0]} dilation_width: "
                           f"{d[1]}")
    if any(a < 0 for a in p):
        raise RuntimeError(f"padding should be non-negative, but got pad_height: {p[0]} pad_width: {p[1]}")
    pads = ((p[0], p[0]), (p[1], p[1]))
    osp = _out_sizes(xs[2:], k, s, pads, d)
    if any(o < 1 for o in osp):
        raise RuntimeError(f"Given input with spatial size ({xs[2]}, {xs[3]}), kernel_size=({k[0]}, {k[1]}), "
                           f"dilation=({d[0]}, {d[1]}), padding=({p[0]}, {p[1]}), calculated shape of the array of "
                           f"sliding blocks as ({osp[0]}, {osp[1]}), but its components must be at least one.")
    out = apply(Im2ColBackward0, (x,), (k, s, pads, d))
    return out.squeeze(0) if unbatched else out


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    nd = input._data.ndim
    if nd not in (2, 3):
        raise NotImplementedError(f"Input Error: Only unbatched (2D) or batched (3D) input Tensors are supported "
                                  f"(got {nd}D)")
    o, k, d, p, s = (_pair(output_size, "output_size"), _pair(kernel_size, "kernel_size"),
                     _pair(dilation, "dilation"), _pair(padding, "padding"), _pair(stride, "stride"))
    unbatched = nd == 2
    x = input.unsqueeze(0) if unbatched else input
    xs = x._data.shape
    kk = k[0] * k[1]
    if xs[1] % kk:
        raise RuntimeError(f"Expected size of input's dimension 1 to be divisible by the product of kernel_size, "
                           f"but got input.size(1)={xs[1]} and kernel_size=({k[0]}, {k[1]}).")
    pads = ((p[0], p[0]), (p[1], p[1]))
    osp = _out_sizes(o, k, s, pads, d)
    if xs[2] != osp[0] * osp[1]:
        raise RuntimeError(f"Given output_size=({o[0]}, {o[1]}), kernel_size=({k[0]}, {k[1]}), dilation=({d[0]}, "
                           f"{d[1]}), padding=({p[0]}, {p[1]}), stride=({s[0]}, {s[1]}), expected size of input's "
                           f"dimension 2 to match the calculated number of sliding blocks {osp[0]} * {osp[1]} = "
                           f"{osp[0] * osp[1]}, but got input.size(2)={xs[2]}.")
    out = apply(Col2ImBackward0, (x,), (k, s, pads, d), (xs[0], xs[1] // kk) + o)
    return out.squeeze(0) if unbatched else out
