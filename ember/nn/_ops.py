"""Graph nodes behind nn.functional: losses, embedding, padding, norms.

Forward on raw arrays; backward with ember ops (or with a node whose own backward is known), so
gradients of gradients work. Fused losses compute log-softmax once and keep it for the backward.
"""
import numpy as np

from .. import _dtype
from .._device import xp_of, host
from ..autograd.graph import Node, STATE
from .._tensor import wrap
from ..ops._dispatch import apply
from ..ops._util import sum_to



def _reduce_raw(loss, reduction):
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum(dtype=loss.dtype).reshape(())
    return loss.mean(dtype=loss.dtype).reshape(()) if loss.size else xp_of(loss).asarray(np.nan, dtype=loss.dtype)


def _grad_scale(g, reduction, n):
    """The upstream gradient as a factor for each element of an elementwise loss."""
    if reduction == "mean":
        return g / n if n else g * float("nan")
    return g


# -- elementwise losses -------------------------------------------------------------------------

class _PointwiseLoss(Node):
    """loss(input, target) elementwise, then reduced; subclasses give raw ``loss`` and ember ``dinput``."""
    __slots__ = ("reduction", "n", "opts")
    SAVES_INPUTS = True

    def forward(self, a, b, reduction, *opts):
        self.reduction, self.n, self.opts = reduction, a.size, opts
        return _reduce_raw(self.loss(a, b, *opts), reduction)

    def backward(self, g):
        x, y = self.inputs
        s = _grad_scale(g, self.reduction, self.n)
        d = self.dinput(x, y, *self.opts)
        e = self.next_edges
        gx = s * d if e[0] is not None else None
        gy = s * self.dtarget(x, y, d, *self.opts) if e[1] is not None else None
        return gx, gy

    def dtarget(self, x, y, d, *opts):
        return -d


class MseLossBackward0(_PointwiseLoss):
    __slots__ = ()

    @staticmethod
    def loss(a, b):
        d = a - b
        d *= d
        return d

    @staticmethod
    def dinput(x, y):
        return (x - y) * 2


class SmoothL1LossBackward0(_PointwiseLoss):
    __slots__ = ()

    @staticmethod
    def loss(a, b, beta):
        xp = xp_of(a)
        d = xp.abs(a - b)
        return xp.where(d < beta, d * d * (0.5 / beta), d - 0.5 * beta).astype(a.dtype, copy=False)

    @staticmethod
    def dinput(x, y, beta):
        d = x - y
        small = wrap(xp_of(d._data).abs(d._data) < beta)
        from ..ops.pointwise import where
        return where(small, d * (1.0 / beta), d.sign())


class HuberLossBackward0(_PointwiseLoss):
    __slots__ = ()

    @staticmethod
    def loss(a, b, delta):
        xp = xp_of(a)
        z = a - b
        d = xp.abs(z)
        return xp.where(d < delta, 0.5 * z * z, delta * (d - 0.5 * delta)).astype(a.dtype, copy=False)

    @staticmethod
    def dinput(x, y, delta):
        return (x - y).clamp(-delta, delta)


class BinaryCrossEntropyBackward0(Node):
    __slots__ = ("reduction", "n")
    SAVES_INPUTS = True

    def forward(self, a, b, w, reduction):
        self.reduction, self.n = reduction, a.size
        xp = xp_of(a)
        if ((a < 0) | (a > 1)).any():
            raise RuntimeError("all elements of input should be between 0 and 1")
        log_a = xp.maximum(xp.log(a), -100)
        log_1a = xp.maximum(xp.log1p(-a), -100)
        loss = -(b * log_a + (1 - b) * log_1a)
        loss *= w
        return _reduce_raw(loss.astype(a.dtype, copy=False), reduction)

    def backward(self, g):
        x, y, w = self.inputs
        s = _grad_scale(g, self.reduction, self.n)
        e = self.next_edges
        gx = gy = None
        if e[0] is not None:
            gx = s * w * (x - y) / ((1 - x) * x).clamp_min(1e-12)
        if e[1] is not None:
            gy = s * w * ((1 - x).log().clamp_min(-100) - x.log().clamp_min(-100))
        return gx, gy, None


class BinaryCrossEntropyWithLogitsBackward0(Node):
    __slots__ = ("reduction", "n", "has_pw")
    SAVES_INPUTS = True

    def forward(self, a, b, w, pw, reduction, has_pw):
        self.reduction, self.n, self.has_pw = reduction, a.size, has_pw
        xp = xp_of(a)
        sp = xp.log1p(xp.exp(-xp.abs(a))) + xp.maximum(-a, 0)  # softplus(-a)
        if has_pw:
            loss = (1 - b) * a + ((pw - 1) * b + 1) * sp
        else:
            loss = (1 - b) * a + sp
        loss *= w
        return _reduce_raw(loss.astype(a.dtype, copy=False), reduction)

    def backward(self, g):
        x, y, w, pw = self.inputs
        s = _grad_scale(g, self.reduction, self.n) * w
        e = self.next_edges
        gx = gy = gpw = None
        if e[0] is not None:
            if self.has_pw:
                gx = s * ((1 - y) - ((pw - 1) * y + 1) * (-x).sigmoid())
            else:
                gx = s * (x.sigmoid() - y)
        if e[1] is not None:
            from ..ops.activation import softplus
            gy = s * ((pw - 1) * softplus(-x) - x) if self.has_pw else s * -x
        if e[3] is not None and self.has_pw:
            from ..ops.activation import softplus
            gpw = s * y * softplus(-x)
        return gx, gy, None, gpw


# -- negative log likelihood and fused cross entropy ------------------------------------------------

def _plain_targets(t, n_classes, ignore_index):
    """Whether every target is a class index and none can be ignore_index (the common case)."""
    return t.size > 0 and not 0 <= ignore_index < n_classes and int(t.min()) >= 0 and int(t.max()) < n_classes


def _check_targets(t, n_classes, ignore_index):
    valid = t != ignore_index
    bad = valid & ((t < 0) | (t >= n_classes))
    if bad.any():
        first = int(t[bad].reshape(-1)[0])
        raise IndexError(f"Target {first} is out of bounds.")
    return valid


class _NllBase(Node):
    """Hard-target NLL over log-probabilities (class axis 1); the gradient is a fixed sparse matrix."""
    __slots__ = ("coef", "t", "reduction")

    def forward(self, a, t, w, ignore_index, reduction):
        xp = xp_of(a)
        self.reduction = reduction
        valid = _check_targets(t, a.shape[1] if a.ndim > 1 else a.shape[0], ignore_index)
        ts = xp.where(valid, t, 0)
        a2 = a if a.ndim > 1 else a.reshape(1, -1)
        ts2 = ts if a.ndim > 1 else ts.reshape(1)
        idx = xp.expand_dims(ts2, 1)
        picked = xp.take_along_axis(a2, idx, axis=1).squeeze(1)
        wt = (w[ts2] if w is not None else xp.ones(ts2.shape, dtype=a.dtype)) * (valid if a.ndim > 1 else
                                                                                   valid.reshape(1))
        wt = wt.astype(a.dtype, copy=False)
        loss = -picked * wt
        if reduction == "none":
            self.coef = -wt
            out = loss if a.ndim > 1 else loss.reshape(())
        elif reduction == "sum":
            self.coef = -wt
            out = loss.sum().reshape(())
        else:
            den = wt.sum()
            self.coef = -wt / den if den else wt * 0  # all targets ignored: nan loss, zero gradient (torch)
            out = (loss.sum() / den).reshape(()).astype(a.dtype)
        self.t = idx
        return out

    def backward(self, g):
        (x,) = self.inputs
        shape = x.shape
        xp = xp_of(self.coef)
        a2shape = shape if len(shape) > 1 else (1,) + tuple(shape)
        m = xp.zeros(a2shape, dtype=self.coef.dtype)
        xp.put_along_axis(m, self.t, xp.expand_dims(self.coef, 1), axis=1)
        if len(shape) == 1:
            m = m.reshape(shape)
        if self.reduction == "none" and g.ndim:
            g = g.unsqueeze(1)
        return (g * wrap(m),)


class NllLossBackward0(_NllBase):
    __slots__ = ()
    SAVES_INPUTS = True


class NllLoss2DBackward0(_NllBase):
    __slots__ = ()
    SAVES_INPUTS = True


class _CrossEntropyBase(Node):
    """log_softmax + NLL (hard targets, optional label smoothing) or soft targets, as one node.

    Per sample i: loss_i = -sum_c q_ic log p_ic; d loss_i / d x_ic = p_ic * S_i - q_ic with S_i = sum_c q_ic.
    """
    __slots__ = ("logp", "reduction", "den", "hard", "t", "tw", "eps", "w", "q", "unbatched", "valid")
    SAVES_INPUTS = True

    def forward(self, a, target, w, ignore_index, reduction, eps, hard):
        xp = xp_of(a)
        self.unbatched = a.ndim == 1
        if self.unbatched:
            a = a.reshape(1, -1)
            target = target.reshape((1,) + target.shape)
        C = a.shape[1]
        s = a - a.max(axis=1, keepdims=True)
        s -= xp.log(xp.exp(s).sum(axis=1, keepdims=True))
        self.logp = s
        self.reduction, self.hard, self.eps, self.w = reduction, hard, eps, w
        wshape = (1, C) + (1,) * (a.ndim - 2)
        wb = w.reshape(wshape) if w is not None else None
        if hard and w is None and not eps and a.ndim == 2 and _plain_targets(target, C, ignore_index):
            # the everyday case (class indices, no weights, nothing ignored): unit weights need no arrays
            self.t = (xp.arange(a.shape[0]), target)
            self.tw = None
            loss = -s[self.t]
            den = a.shape[0]
        elif hard:
            valid = _check_targets(target, C, ignore_index)
            self.valid = valid
            ts = xp.where(valid, target, 0)
            tw = (w[ts] if w is not None else xp.ones(ts.shape, dtype=a.dtype)) * valid
            tw = tw.astype(a.dtype, copy=False)
            self.tw = tw
            if a.ndim == 2:  # (N, C): plain fancy indexing, about 3x cheaper than take_along_axis
                self.t = (xp.arange(a.shape[0]), ts)
                picked = s[self.t]
            else:
                self.t = xp.expand_dims(ts, 1)
                picked = xp.take_along_axis(s, self.t, axis=1).squeeze(1)
            loss = -picked * tw
            if eps:
                loss *= (1 - eps)
                smooth = -(s * wb).sum(axis=1) if wb is not None else -s.sum(axis=1)
                smooth *= valid
                loss += smooth * (eps / C)
            den = tw.sum()
        else:
            q = target if eps == 0 else target * (1 - eps) + eps / C
            if wb is not None:
                q = q * wb
            q = q.astype(a.dtype, copy=False)
            self.q = q
            loss = -(s * q).sum(axis=1)
            den = a.size // C if C else 0
        self.den = den
        if reduction == "none":
            return loss.reshape(()) if self.unbatched else loss
        total = loss.sum()
        if reduction == "sum":
            return xp.asarray(total, dtype=a.dtype).reshape(())
        return xp.asarray(total / den, dtype=a.dtype).reshape(())

    def _q_dense(self, shape, dtype, xp):
        if not self.hard:
            return self.q
        q = xp.zeros(shape, dtype=dtype)
        if self.tw is None:  # plain targets: a one-hot q
            q[self.t] = 1
            return q
        target_weight = self.tw * (1 - self.eps)
        if isinstance(self.t, tuple):  # (rows, classes) of a 2-D input
            q[self.t] = target_weight
        else:
            xp.put_along_axis(q, self.t, xp.expand_dims(target_weight, 1), axis=1)
        if self.eps:
            C = shape[1]
            wvec = self.w if self.w is not None else xp.ones((C,), dtype=dtype)
            q += (wvec.reshape((1, C) + (1,) * (len(shape) - 2)) * (self.eps / C)).astype(dtype) * \
                xp.expand_dims(self.valid, 1)
        return q

    def backward(self, g):
        (x,) = self.inputs
        xp = xp_of(self.logp)
        shape = self.logp.shape
        if self.reduction == "none":
            gs = (g.reshape((1,)) if self.unbatched else g).unsqueeze(1)
        elif self.reduction == "mean":
            den = float(self.den)  # a NumPy scalar, or a 0-d CuPy array
            gs = g / den if den else g * 0  # all ignored: nan loss, zero gradient (torch)
        else:
            gs = g
        if STATE.grad_enabled:  # create_graph: keep the softmax differentiable
            from ..ops.activation import softmax
            q = self._q_dense(shape, self.logp.dtype, xp)
            xx = x.reshape(shape) if self.unbatched else x
            grad = gs * (softmax(xx, 1) * wrap(q.sum(axis=1, keepdims=True)) - wrap(q))
        else:
            p = xp.exp(self.logp)
            if self.hard and self.tw is None:  # plain targets: q is one-hot and sums to 1
                p[self.t] -= 1
            else:
                q = self._q_dense(shape, self.logp.dtype, xp)
                p *= q.sum(axis=1, keepdims=True)
                p -= q
            grad = gs * wrap(p)
        if self.unbatched:
            grad = grad.reshape(x.shape)
        return (grad,)


CrossEntropyNll = _named_ce = type("NllLossBackward0", (_CrossEntropyBase,), {"__slots__": ()})
CrossEntropyNll2D = type("NllLoss2DBackward0", (_CrossEntropyBase,), {"__slots__": ()})


# -- embedding -------------------------------------------------------------------------------------

def _scatter_rows(g2, idx, num_rows, padding_idx):
    """sum of g2's rows into num_rows rows by idx (sort + reduceat, no np.add.at)."""
    xp = xp_of(g2)
    out = xp.zeros((num_rows, g2.shape[1]), dtype=g2.dtype)
    if idx.size == 0:
        return out
    order = xp.argsort(idx, kind="stable") if xp is np else xp.argsort(idx)
    si = idx[order]
    gs = g2[order]
    if xp is np:
        uniq, starts = np.unique(si, return_index=True)
        out[uniq] = np.add.reduceat(gs, starts, axis=0)
    else:
        import cupyx
        cupyx.scatter_add(out, idx, g2)
    if padding_idx is not None and padding_idx >= 0:
        out[padding_idx] = 0
    return out


class EmbeddingBackward0(Node):
    __slots__ = ("idx", "num", "padding_idx")

    def forward(self, w, idx, padding_idx):
        self.idx, self.num, self.padding_idx = idx, w.shape[0], padding_idx
        return w[idx]

    def backward(self, g):
        return (apply(EmbeddingDenseBackward0, (g,), self.idx, self.num, self.padding_idx),)


class EmbeddingDenseBackward0(Node):
    __slots__ = ("idx", "padding_idx")

    def forward(self, g, idx, num, padding_idx):
        self.idx, self.padding_idx = idx, padding_idx
        D = g.shape[-1]
        return _scatter_rows(g.reshape(-1, D), idx.reshape(-1), num, padding_idx)

    def backward(self, gg):
        if self.padding_idx is not None and self.padding_idx >= 0:
            gg = gg * wrap((np.arange(gg.shape[0]) != self.padding_idx).astype(gg._data.dtype)[:, None])
        return (apply(EmbeddingBackward0, (gg,), self.idx, None),)


# -- padding ---------------------------------------------------------------------------------------

class ConstantPadNdBackward0(Node):
    """pad = ((before, after) per dim, first dim first); negative amounts crop."""
    __slots__ = ("pads",)

    def forward(self, a, pads, value):
        self.pads = pads
        xp = xp_of(a)
        crop = tuple(slice(-b if b < 0 else 0, a.shape[i] + aa if aa < 0 else None)
                     for i, (b, aa) in enumerate(pads))
        a = a[crop]
        grow = [(max(b, 0), max(aa, 0)) for b, aa in pads]
        if any(b or aa for b, aa in grow):
            return xp.pad(a, grow, mode="constant", constant_values=value)
        return a.copy()

    def backward(self, g):
        return (apply(ConstantPadNdBackward0, (g,), tuple((-b, -a) for b, a in self.pads), 0),)


def _pad_gather_fwd(a, idxs):
    k = len(idxs)
    xp = xp_of(a)
    ix = xp.ix_(*idxs)
    return a[(Ellipsis,) + ix] if k else a.copy()


def _pad_scatter(g, idxs, sizes):
    xp = xp_of(g)
    k = len(idxs)
    for j, (idx, n) in enumerate(zip(idxs, sizes)):
        axis = g.ndim - k + j
        idx = host(idx)
        order = np.argsort(idx, kind="stable")
        si = idx[order]
        _, starts = np.unique(si, return_index=True)
        g = xp.add.reduceat(xp.take(g, xp.asarray(order), axis=axis), xp.asarray(starts), axis=axis)
    return g


class _PadGather(Node):
    __slots__ = ("idxs", "sizes")

    def forward(self, a, idxs):
        self.idxs = idxs
        self.sizes = a.shape[a.ndim - len(idxs):]
        return _pad_gather_fwd(a, idxs)

    def backward(self, g):
        return (apply(_PadScatter, (g,), self.idxs, self.sizes),)


class _PadScatter(Node):
    __slots__ = ("idxs",)

    def forward(self, g, idxs, sizes):
        self.idxs = idxs
        return _pad_scatter(g, idxs, sizes)

    def backward(self, gg):
        return (apply(_PadGather, (gg,), self.idxs),)


def _named(base, name):
    return type(name, (base,), {"__slots__": ()})


PAD_NODES = {(m, k): _named(_PadGather, f"{n}Pad{k}DBackward0")
             for m, n in (("reflect", "Reflection"), ("replicate", "Replication"), ("circular", "Circular"))
             for k in (1, 2, 3)}


# -- vector norm --------------------------------------------------------------------------------------

class NormBackward1(Node):
    __slots__ = ("p", "dims", "keepdim")
    SAVES_INPUTS = True
    SAVES_OUTPUT = True

    def forward(self, a, p, dims, keepdim):
        self.p, self.dims, self.keepdim = p, dims, keepdim
        xp = xp_of(a)
        ab = xp.abs(a)
        if p == 2:
            r = xp.sqrt((a * a).sum(axis=dims, keepdims=keepdim))
        elif p == 1:
            r = ab.sum(axis=dims, keepdims=keepdim)
        elif p == float("inf"):
            r = ab.max(axis=dims, keepdims=keepdim) if a.size else xp.zeros(
                np.sum(ab, axis=dims, keepdims=keepdim).shape, a.dtype)
        elif p == -float("inf"):
            r = ab.min(axis=dims, keepdims=keepdim)
        elif p == 0:
            r = (a != 0).sum(axis=dims, keepdims=keepdim).astype(a.dtype)
        else:
            r = (ab ** p).sum(axis=dims, keepdims=keepdim) ** (1.0 / p)
        return xp.asarray(r, dtype=a.dtype)

    def backward(self, g):
        from ..ops.reduction import _expand_back
        from ..ops.pointwise import where
        (x,) = self.inputs
        n = self.out
        shape = x.shape
        gk = _expand_back(g, shape, self.dims, self.keepdim)
        nk = _expand_back(n, shape, self.dims, self.keepdim)
        p = self.p
        zero = wrap(nk._data == 0)
        if p == 2:
            return (gk * where(zero, x * 0, x / nk),)
        if p == 1:
            return (gk * x.sign(),)
        if p in (float("inf"), -float("inf")):
            hit = wrap(xp_of(x._data).abs(x._data) == nk._data).to(x.dtype)
            cnt = _expand_back(hit.sum(self.dims, keepdim=True) if self.dims is not None else hit.sum(),
                               shape, self.dims, True)
            return (gk * x.sign() * hit / cnt,)
        if p == 0:
            return (gk * 0,)
        ax = x.abs()
        return (gk * where(zero, x * 0, x.sign() * ax.pow(p - 1) / nk.pow(p - 1)),)


def vector_norm(x, p, dims, keepdim):
    return apply(NormBackward1, (x,), p, dims, keepdim)
