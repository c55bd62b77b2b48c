"""torch.nn.functional: layers, activations, dropout, embedding, padding, distances and losses as functions."""
import math
import warnings

import numpy as np

from .. import _dtype
from .._tensor import Tensor, wrap
from ..ops._dispatch import apply, check_inplace_allowed, commit_inplace
from ..ops._util import wrap_dim, broadcast_shapes, write_out
from ..ops import pointwise as _pw
from ..ops.activation import (gelu, silu, mish, elu, selu, celu, leaky_relu, hardtanh, relu6, hardswish,  # noqa
                              hardsigmoid, softplus, softsign, tanhshrink, logsigmoid, prelu, glu, hardshrink,
                              softshrink, _maybe_inplace)
from ..ops.activation import softmax as _softmax, log_softmax as _log_softmax, threshold as _threshold
from .. import random as _random
from . import _ops

__all__ = """linear bilinear relu relu_ relu6 elu elu_ selu selu_ celu celu_ leaky_relu leaky_relu_ hardtanh hardtanh_
    gelu silu mish hardswish hardsigmoid softplus softsign tanhshrink logsigmoid prelu glu hardshrink softshrink
    threshold threshold_ rrelu rrelu_ sigmoid tanh softmax log_softmax softmin dropout dropout1d dropout2d
    dropout3d alpha_dropout feature_alpha_dropout embedding one_hot normalize pad cosine_similarity
    pairwise_distance cross_entropy nll_loss mse_loss l1_loss smooth_l1_loss huber_loss binary_cross_entropy
    binary_cross_entropy_with_logits kl_div cosine_embedding_loss margin_ranking_loss""".split()


# -- linear layers ---------------------------------------------------------------------------------

def linear(input, weight, bias=None):
    nd = input._data.ndim
    wt = weight.t()
    if nd == 2:
        if bias is None:
            return input.mm(wt)
        return bias.addmm(input, wt)
    if nd == 1:
        x2 = input.unsqueeze(0)
        if bias is None:
            return x2.mm(wt).squeeze(0)
        out = bias.addmm(x2, wt)
        return out.view(out._data.shape[-1])
    if nd > 2:
        lead = input._data.shape[:-1]
        x2 = input.reshape(-1, input._data.shape[-1])
        if bias is None:
            from ..ops.views import UnsafeViewBackward0
            out = x2.mm(wt)
            return apply(UnsafeViewBackward0, (out,), lead + (out._data.shape[-1],))
        out = bias.addmm(x2, wt)
        return out.view(*lead, out._data.shape[-1])
    out = input.matmul(wt)
    return out if bias is None else out + bias


def bilinear(input1, input2, weight, bias=None):
    if input1._data.shape[:-1] != input2._data.shape[:-1]:
        raise RuntimeError(f"bilinear(): input batch dimensions do not match: got {input1._data.shape[0]} and "
                           f"{input2._data.shape[0]}")
    o, i1, i2 = weight._data.shape
    if input1._data.shape[-1] != i1:
        raise RuntimeError(f"bilinear(): input1 size does not match weight size: got {input1._data.shape[-1]} "
                           f"but expected {i1}")
    if input2._data.shape[-1] != i2:
        raise RuntimeError(f"bilinear(): input2 size does not match weight size: got {input2._data.shape[-1]} "
                           f"but expected {i2}")
    lead = input1._data.shape[:-1]
    x1 = input1.reshape(-1, i1)
    x2 = input2.reshape(-1, i2)
    t = x1.mm(weight.permute(1, 0, 2).reshape(i1, o * i2)).view(-1, o, i2)
    out = (t * x2.unsqueeze(1)).sum(-1)
    if bias is not None:
        out = out + bias
    return out.reshape(*lead, o)


# -- activations -------------------------------------------------------------------------------------

def relu(input, inplace=False):
    if inplace:
        return input.relu_()
    return _pw.relu(input)


def relu_(input):
    return input.relu_()


def sigmoid(input):
    return _pw.sigmoid(input)


def tanh(input):
    return _pw.tanh(input)


def threshold(input, threshold, value, inplace=False):
    return _threshold(input, threshold, value, inplace)


def threshold_(input, threshold, value):
    return _threshold(input, threshold, value, True)


def elu_(input, alpha=1.0):
    return elu(input, alpha, True)


def selu_(input):
    return selu(input, True)


def celu_(input, alpha=1.0):
    return celu(input, alpha, True)


def leaky_relu_(input, negative_slope=0.01):
    return leaky_relu(input, negative_slope, True)


def hardtanh_(input, min_val=-1.0, max_val=1.0):
    return hardtanh(input, min_val, max_val, True)


def rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training=False, inplace=False):
    if not training:
        return leaky_relu(input, (lower + upper) / 2, inplace)
    a = input._data
    slopes = _random.rng().uniform(lower, upper, a.shape).astype(a.dtype)
    from .._device import xp_of
    slopes = xp_of(a).asarray(slopes)
    noise = wrap(np.where(np.asarray(a) >= 0, 1, 0).astype(a.dtype) if a.__class__ is np.ndarray else
                 xp_of(a).where(a >= 0, 1, 0).astype(a.dtype))
    noise = noise + (1 - noise) * wrap(slopes)
    return _maybe_inplace(input, input * noise, inplace)


def rrelu_(input, lower=1.0 / 8, upper=1.0 / 3, training=False):
    return rrelu(input, lower, upper, training, True)


def _get_softmax_dim(name, ndim, stacklevel):
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call to include dim=X "
                  "as an argument.", stacklevel=stacklevel)
    return 0 if ndim in (0, 1, 3) else 1


def softmax(input, dim=None, _stacklevel=3, dtype=None):
    if dim is None:
        dim = _get_softmax_dim("softmax", input.dim(), _stacklevel)
    return _softmax(input, dim, dtype)


def softmin(input, dim=None, _stacklevel=3, dtype=None):
    if dim is None:
        dim = _get_softmax_dim("softmin", input.dim(), _stacklevel)
    if dtype is not None:
        input = input.to(_dtype.to_dtype(dtype))
    return _softmax(-input, dim)


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    if dim is None:
        dim = _get_softmax_dim("log_softmax", input.dim(), _stacklevel)
    return _log_softmax(input, dim, dtype)


# -- dropout ----------------------------------------------------------------------------------------------

def _check_p(p):
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def _bernoulli_keep(shape, keep_prob, like):
    """A float mask (1 = keep) drawn from ember's default generator, on like's device."""
    u = _random.rng().random(shape, dtype=np.float32 if like.dtype != np.float64 else np.float64)
    m = (u < keep_prob).astype(like.dtype)
    if like.__class__ is not np.ndarray:
        from .._device import xp_of
        m = xp_of(like).asarray(m)
    return m


def _apply_mask(input, mask, inplace):
    m = wrap(mask)
    if inplace:
        return input.mul_(m)
    return input * m


def _dropout_impl(input, p, training, inplace, mask_shape):
    _check_p(p)
    if not training or p == 0 or input._data.size == 0:
        return input
    a = input._data
    if p == 1:
        mask = np.zeros(mask_shape, dtype=a.dtype)
        if a.__class__ is not np.ndarray:
            from .._device import xp_of
            mask = xp_of(a).asarray(mask)
        return _apply_mask(input, mask, inplace)
    mask = _bernoulli_keep(mask_shape, 1 - p, a)
    mask *= 1.0 / (1 - p)
    return _apply_mask(input, mask, inplace)


def dropout(input, p=0.5, training=True, inplace=False):
    return _dropout_impl(input, p, training, inplace, input._data.shape)


def _feature_shape(x):
    s = x._data.shape
    return s[:2] + (1,) * (len(s) - 2)


def _feature_dropout(input, p, training, inplace, batched):
    if not batched:
        x = input.unsqueeze(0)
        out = _dropout_impl(x, p, training, False, _feature_shape(x))
        out = out.squeeze(0)
        if inplace and out is not input:
            check_inplace_allowed(input)
            return commit_inplace(input, out)
        return out
    return _dropout_impl(input, p, training, inplace, _feature_shape(input))


def dropout1d(input, p=0.5, training=True, inplace=False):
    _check_p(p)
    inp_dim = input.dim()
    if inp_dim not in (2, 3):
        raise RuntimeError(f"dropout1d: Expected 2D or 3D input, but received a {inp_dim}D input. Note that "
                           "dropout1d exists to provide channel-wise dropout on inputs with 1 spatial dimension, a "
                           "channel dimension, and an optional batch dimension (i.e. 2D or 3D inputs).")
    return _feature_dropout(input, p, training, inplace, inp_dim == 3)


def dropout2d(input, p=0.5, training=True, inplace=False):
    _check_p(p)
    inp_dim = input.dim()
    if inp_dim not in (3, 4):
        warnings.warn(f"dropout2d: Received a {inp_dim}-D input to dropout2d, which is deprecated and will result "
                      "in an error in a future release. To retain the behavior and silence this warning, please use "
                      "dropout instead. Note that dropout2d exists to provide channel-wise dropout on inputs with 2 "
                      "spatial dimensions, a channel dimension, and an optional batch dimension (i.e. 3D or 4D "
                      "inputs).")
    # a 3-D input gets dropout1d behaviour (no unsqueeze), as torch does for now (pytorch#77081)
    is_batched = True
    if inp_dim == 3:
        warnings.warn("dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D dropout "
                      "behavior is desired - input is interpreted as shape (N, C, L), where C is the channel dim. "
                      "This behavior will change in a future release to interpret the input as one without a batch "
                      "dimension, i.e. shape (C, H, W). To maintain the 1D channel-wise dropout behavior, please "
                      "switch to using dropout1d instead.")
    return _feature_dropout(input, p, training, inplace, is_batched)


def dropout3d(input, p=0.5, training=True, inplace=False):
    _check_p(p)
    inp_dim = input.dim()
    if inp_dim not in (4, 5):
        warnings.warn(f"dropout3d: Received a {inp_dim}-D input to dropout3d, which is deprecated and will result "
                      "in an error in a future release. To retain the behavior and silence this warning, please use "
                      "dropout instead. Note that dropout3d exists to provide channel-wise dropout on inputs with 3 "
                      "spatial dimensions, a channel dimension, and an optional batch dimension (i.e. 4D or 5D "
                      "inputs).")
    return _feature_dropout(input, p, training, inplace, inp_dim == 5)


def _alpha_dropout_impl(input, p, training, inplace, feature):
    _check_p(p)
    if p == 0 or not training or input._data.size == 0:
        return input
    a = input._data
    if p == 1:
        return _apply_mask(input, np.zeros((), dtype=a.dtype), inplace)
    shape = _feature_shape(input) if feature else a.shape
    noise = _bernoulli_keep(shape, 1 - p, a)
    alpha = 1.7580993408473766
    ac = 1.0 / math.sqrt((alpha * alpha * p + 1) * (1 - p))
    b = (noise - 1) * (alpha * ac) + alpha * ac * p
    noise = noise * ac
    out = input * wrap(noise.astype(a.dtype)) + wrap(b.astype(a.dtype))
    if inplace:
        check_inplace_allowed(input)
        return commit_inplace(input, out)
    return out


def alpha_dropout(input, p=0.5, training=False, inplace=False):
    return _alpha_dropout_impl(input, p, training, inplace, False)


def feature_alpha_dropout(input, p=0.5, training=False, inplace=False):
    return _alpha_dropout_impl(input, p, training, inplace, True)


# -- embedding, one_hot ----------------------------------------------------------------------------------

def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0, scale_grad_by_freq=False,
              sparse=False):
    if padding_idx is not None:
        if padding_idx > 0:
            assert padding_idx < weight.size(0), "Padding_idx must be within num_embeddings"
        elif padding_idx < 0:
            assert padding_idx >= -weight.size(0), "Padding_idx must be within num_embeddings"
            padding_idx = weight.size(0) + padding_idx
    else:
        padding_idx = -1
    idx = input._data
    if idx.dtype.kind not in "iu":
        raise RuntimeError("Expected tensor for argument #1 'indices' to have one of the following scalar types: "
                           f"Long, Int; but got {input.type()} instead (while checking arguments for embedding)")
    n = weight._data.shape[0]
    if idx.size and (idx.min() < 0 or idx.max() >= n):
        raise IndexError("index out of range in self")
    if max_norm is not None:
        _embedding_renorm_(weight, idx, max_norm, norm_type)
    return apply(_ops.EmbeddingBackward0, (weight,), idx, padding_idx)


def _embedding_renorm_(weight, idx, max_norm, norm_type):
    from .._device import xp_of
    xp = xp_of(weight._data)
    w = weight._data
    rows = xp.unique(idx.reshape(-1))
    sub = w[rows]
    if norm_type == float("inf"):
        norms = xp.abs(sub).max(axis=1)
    else:
        norms = (xp.abs(sub) ** norm_type).sum(axis=1) ** (1.0 / norm_type)
    scale = xp.where(norms > max_norm, max_norm / (norms + 1e-7), 1.0).astype(w.dtype)
    w[rows] = sub * scale[:, None]
    from ..ops._dispatch import bump_version
    bump_version(weight)


def one_hot(tensor, num_classes=-1):
    a = tensor._data
    if a.dtype != np.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    if num_classes == -1:
        if a.size == 0:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
        num_classes = int(a.max()) + 1
    if a.size:
        if a.min() < 0:
            raise RuntimeError("Class values must be non-negative.")
        if a.max() >= num_classes:
            raise RuntimeError("Class values must be smaller than num_classes.")
    from .._device import xp_of
    xp = xp_of(a)
    out = (a[..., None] == xp.arange(num_classes)).astype(np.int64)
    return wrap(out)


# -- norms, distances, padding -------------------------------------------------------------------------

def _norm(x, p, dim, keepdim):
    dims = None if dim is None else tuple(wrap_dim(d, x.ndim) for d in ((dim,) if isinstance(dim, int) else dim))
    return _ops.vector_norm(x, float(p), dims, keepdim)


def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):
    denom = _norm(input, p, dim, True).clamp_min(eps).expand_as(input)
    return write_out(input / denom, out)


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    shape = broadcast_shapes(x1.shape, x2.shape)
    if x1.shape != shape:
        x1 = x1.expand(shape)
    if x2.shape != shape:
        x2 = x2.expand(shape)
    n1 = _norm(x1, 2, dim, True)
    n2 = _norm(x2, 2, dim, True)
    # the clamp happens outside autograd in torch: the gradient flows as if unclamped
    n1 = n1 + (n1.detach().clamp_min(eps) - n1.detach())
    n2 = n2 + (n2.detach().clamp_min(eps) - n2.detach())
    return ((x1 / n1) * (x2 / n2)).sum(dim)


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    ndim = max(x1.dim(), x2.dim())
    if ndim == 0:
        raise RuntimeError("pairwise_distance: Expected at least 1D input")
    return _norm(x1 - x2 + eps, p, ndim - 1 if ndim else None, keepdim)


def pad(input, pad, mode="constant", value=None):
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    if len(pad) // 2 > input.dim():
        raise RuntimeError(f"Padding length should be less than or equal to two times the input dimension but got "
                           f"padding length {len(pad)} and input of dimension {input.dim()}")
    nd = input.dim()
    k = len(pad) // 2
    pairs = [(int(pad[2 * i]), int(pad[2 * i + 1])) for i in range(k)]  # last dim first
    if mode == "constant":
        pads = [(0, 0)] * (nd - k) + pairs[::-1]
        return apply(_ops.ConstantPadNdBackward0, (input,), tuple(pads), 0 if value is None else value)
    if value is not None and value != 0:
        raise ValueError(f'Padding mode "{mode}" doesn\'t take in value argument.')
    if mode not in ("reflect", "replicate", "circular"):
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    allowed = {1: (2, 3), 2: (3, 4), 3: (4, 5)}
    if k not in allowed or nd not in allowed[k]:
        raise NotImplementedError("Only 2D, 3D, 4D, 5D padding with non-constant padding are supported for now")
    shape = input._data.shape
    idxs = []
    for j, (lo, hi) in enumerate(pairs[::-1]):
        d = nd - k + j
        n = shape[d]
        if mode == "reflect":
            if lo >= n or hi >= n:
                dim_i = d
                raise RuntimeError(f"Argument #4: Padding size should be less than the corresponding input "
                                   f"dimension, but got: padding ({lo}, {hi}) at dimension {dim_i} of input "
                                   f"{list(shape)}")
            pos = np.arange(-lo, n + hi)
            period = 2 * (n - 1) if n > 1 else 1
            r = np.abs(pos) % period if n > 1 else np.zeros_like(pos)
            idx = np.where(r >= n, period - r, r)
        elif mode == "replicate":
            if n == 0:
                raise RuntimeError("input tensor must have non-zero size in padded dims")
            idx = np.clip(np.arange(-lo, n + hi), 0, n - 1)
        else:
            if lo > n or hi > n:
                raise RuntimeError("Padding value causes wrapping around more than once.")
            idx = np.arange(-lo, n + hi) % n
        idxs.append(idx)
    from .._device import xp_of
    xp = xp_of(input._data)
    idxs = tuple(xp.asarray(i) for i in idxs)
    return apply(_ops.PAD_NODES[(mode, k)], (input,), idxs)


# -- losses ----------------------------------------------------------------------------------------------

def _get_reduction(size_average, reduce, reduction):
    if size_average is None and reduce is None:
        return reduction
    warnings.warn("size_average and reduce args will be deprecated, please use reduction='{}' instead.".format(
        _legacy_string(size_average, reduce)))
    return _legacy_string(size_average, reduce)


def _legacy_string(size_average, reduce):
    if size_average is None:
        size_average = True
    if reduce is None:
        reduce = True
    if size_average and reduce:
        return "mean"
    if reduce:
        return "sum"
    return "none"


def _check_reduction(reduction):
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"{reduction} is not a valid value for reduction")


def _broadcast_pair(input, target, warn=True):
    if target.shape != input.shape:
        if warn:
            warnings.warn(f"Using a target size ({target.size()}) that is different to the input size "
                          f"({input.size()}). This will likely lead to incorrect results due to broadcasting. "
                          "Please ensure they have the same size.", stacklevel=3)
        shape = broadcast_shapes(input.shape, target.shape)
        if input.shape != shape:
            input = input.expand(shape)
        if target.shape != shape:
            target = target.expand(shape)
    return input, target


def _same_dtype(input, target):
    if target._data.dtype != input._data.dtype:
        rd = _dtype.result_type(input, target)
        if input._data.dtype != rd.np:
            input = input.to(rd)
        if target._data.dtype != rd.np:
            target = target.to(rd)
    return input, target


def _contig(t):
    return t if t._data.flags.c_contiguous else t.contiguous()


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    reduction = _get_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    input, target = _broadcast_pair(input, target)
    input, target = _same_dtype(input, target)
    if weight is not None:
        loss = (input - target) ** 2 * weight
        return _reduce(loss, reduction)
    return apply(_ops.MseLossBackward0, (input, target), reduction)


def _reduce(loss, reduction):
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    return loss.mean()


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    reduction = _get_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    input, target = _broadcast_pair(input, target)
    input, target = _same_dtype(input, target)
    loss = (input - target).abs()
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    reduction = _get_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    input, target = _broadcast_pair(input, target)
    input, target = _same_dtype(input, target)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    if beta == 0.0:
        return l1_loss(input, target, reduction=reduction)
    return apply(_ops.SmoothL1LossBackward0, (input, target), reduction, float(beta))


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    _check_reduction(reduction)
    input, target = _broadcast_pair(input, target)
    input, target = _same_dtype(input, target)
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    if weight is not None:
        d = (input - target)
        ad = d.abs()
        loss = _pw.where(ad < delta, d * d * 0.5, (ad - 0.5 * delta) * delta) * weight
        return _reduce(loss, reduction)
    return apply(_ops.HuberLossBackward0, (input, target), reduction, float(delta))


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    reduction = _get_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    if target.size() != input.size():
        raise ValueError(f"Using a target size ({target.size()}) that is different to the input size "
                         f"({input.size()}) is deprecated. Please ensure they have the same size.")
    input, target = _same_dtype(input, target)
    if weight is None:
        w = _ops_const(1, input)
    else:
        w = weight.to(input.dtype) if weight.dtype != input.dtype else weight
        if w.shape != input.shape:
            w = w.expand(input.shape)
    return apply(_ops.BinaryCrossEntropyBackward0, (input, target, w), reduction)


def _ops_const(v, like):
    from ..ops._util import const
    return const(v, like._data.dtype, like._data)


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None,
                                     reduction="mean", pos_weight=None):
    reduction = _get_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    if target.size() != input.size():
        raise ValueError(f"Target size ({target.size()}) must be the same as input size ({input.size()})")
    input, target = _same_dtype(input, target)
    if weight is None:
        w = _ops_const(1, input)
    else:
        w = weight.to(input.dtype) if weight.dtype != input.dtype else weight
    if pos_weight is None:
        pw = _ops_const(1, input)
    else:
        pw = pos_weight.to(input.dtype) if pos_weight.dtype != input.dtype else pos_weight
    shape = input.shape
    if w.shape != shape:
        w = w.expand(shape)
    if pw.shape != shape:
        pw = pw.expand(shape)
    return apply(_ops.BinaryCrossEntropyWithLogitsBackward0, (input, target, w, pw), reduction,
                 pos_weight is not None)


def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    if size_average is not None or reduce is not None:
        reduction_enum = _legacy_string(size_average, reduce)
    else:
        if reduction == "mean":
            warnings.warn("reduction: 'mean' divides the total loss by both the batch size and the support size."
                          "'batchmean' divides only by the batch size, and aligns with the KL div math definition."
                          "'mean' will be changed to behave the same as 'batchmean' in the next major release.")
        if reduction == "batchmean":
            reduction_enum = "sum"
        else:
            reduction_enum = reduction
    if reduction_enum not in ("none", "mean", "sum"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    input, target = _same_dtype(input, target)
    if log_target:
        loss = target.exp() * (target - input)
    else:
        # xlogy(target, target) with 0 log 0 = 0 and finite gradients at target == 0
        pos = target > 0
        safe = _pw.where(pos, target, _ops_const(1, target))
        loss = target * safe.log() - target * input
    reduced = _reduce(loss, reduction_enum)
    if reduction == "batchmean" and input.dim() != 0:
        reduced = reduced / input.size()[0]
    return reduced


def _nll_checks(input, target, weight, ignore_index):
    if input.dim() < 1:
        raise ValueError(f"Expected 1 or more dimensions (got {input.dim()})")
    if input.dim() == 1:
        if target.dim() == 1 and target.shape[0] != 1:
            raise ValueError(f"For 1D input, 1D target must have size 1, but got target size: {target.shape[0]}")
    elif target.dim() >= 1 and input.shape[0] != target.shape[0]:
        raise ValueError(f"Expected input batch_size ({input.shape[0]}) to match target batch_size "
                         f"({target.shape[0]}).")
    if input.dim() > 2:
        exp = [input.shape[0]] + list(input.shape[2:])
        if list(target.shape) != exp:
            raise RuntimeError(f"Expected target size {exp}, got {list(target.shape)}")
    elif input.dim() == 2 and target.dim() != 1:
        raise RuntimeError(f"0D or 1D target tensor expected, multi-target not supported")
    if target._data.dtype not in (np.int64, np.uint8):
        raise RuntimeError(f"expected target dtype to be Long or Byte, but got {_dtype_word(target)}")
    C = input.shape[1] if input.dim() > 1 else input.shape[0]
    if weight is not None and weight.numel() != C:
        raise RuntimeError(f"weight tensor should be defined either for all {C} classes or no classes but got "
                           f"weight tensor of shape: {list(weight.shape)}")


def _dtype_word(t):
    return {"float32": "Float", "float64": "Double", "float16": "Half", "bfloat16": "BFloat16", "int32": "Int",
            "int16": "Short", "int8": "Char", "bool": "Bool", "int64": "Long", "uint8": "Byte"}.get(
        str(t.dtype).split(".")[-1], str(t.dtype))


def _weight_arr(weight, input):
    if weight is None:
        return None
    w = weight._data
    return w.astype(input._data.dtype) if w.dtype != input._data.dtype else w


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"):
    reduction = _get_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    _nll_checks(input, target, weight, ignore_index)
    t = target._data.astype(np.int64) if target._data.dtype != np.int64 else target._data
    if input.dim() == 1 and t.ndim == 1:
        t = t.reshape(())
    node = _ops.NllLoss2DBackward0 if input.dim() > 2 else _ops.NllLossBackward0
    out = apply(node, (input,), t, _weight_arr(weight, input), ignore_index, reduction)
    if reduction == "none" and input.dim() == 1 and target.dim() == 1:
        out = out.reshape(1)
    return out


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
                  reduction="mean", label_smoothing=0.0):
    reduction = _get_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    soft = target.is_floating_point() and target.shape == input.shape
    if soft:
        if input.dim() < 1:
            raise ValueError(f"Expected 1 or more dimensions (got {input.dim()})")
        C = input.shape[1] if input.dim() > 1 else input.shape[0]
        if weight is not None and weight.numel() != C:
            raise RuntimeError(f"weight tensor should be defined either for all {C} classes or no classes but got "
                               f"weight tensor of shape: {list(weight.shape)}")
        if target.dtype != input.dtype:
            raise RuntimeError(f"Expected floating point type for target with class probabilities, got "
                               f"{_dtype_word(target)}")
        if target.requires_grad:
            return _soft_ce_composite(input, target, weight, reduction, label_smoothing)
        cls = _ops.CrossEntropyNll2D if input.dim() > 2 else _ops.CrossEntropyNll
        return apply(cls, (input,), target._data, _weight_arr(weight, input), ignore_index, reduction,
                     float(label_smoothing), False)
    _nll_checks(input, target, weight, ignore_index)
    t = target._data.astype(np.int64) if target._data.dtype != np.int64 else target._data
    unbatched_1d_target = input.dim() == 1 and t.ndim == 1
    if unbatched_1d_target:
        t = t.reshape(())
    cls = _ops.CrossEntropyNll2D if input.dim() > 2 else _ops.CrossEntropyNll
    out = apply(cls, (input,), t, _weight_arr(weight, input), ignore_index, reduction, float(label_smoothing), True)
    if reduction == "none" and unbatched_1d_target:
        out = out.reshape(1)
    return out


def _soft_ce_composite(input, target, weight, reduction, eps):
    cdim = 1 if input.dim() > 1 else 0
    C = input.shape[cdim]
    logp = _log_softmax(input, cdim)
    if eps:
        target = target * (1 - eps) + eps / C
    if weight is not None:
        wshape = [1] * input.dim()
        wshape[cdim] = C
        loss = -(logp * target * weight.reshape(wshape)).sum(cdim)
    else:
        loss = -(logp * target).sum(cdim)
    if reduction == "mean":
        n = input.numel() // C if C else 0
        return loss.sum() / n
    return _reduce(loss, reduction)


def cosine_embedding_loss(input1, input2, target, margin=0, size_average=None, reduce=None, reduction="mean"):
    reduction = _get_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    targ_dim = target.dim()
    if targ_dim not in (0, 1):
        raise RuntimeError(f"0D or 1D target tensor expected, multi-target not supported")
    if targ_dim == 1:
        if input1.dim() != 2 or input2.dim() != 2:
            raise RuntimeError(f"1D target tensor expects 2D input tensors, but found inputs with sizes "
                               f"{list(input1.shape)} and {list(input2.shape)}.")
    else:
        if input1.dim() != 1 or input2.dim() != 1:
            raise RuntimeError(f"0D target tensor expects 1D input tensors, but found inputs with sizes "
                               f"{list(input1.shape)} and {list(input2.shape)}.")
    d = targ_dim
    eps = 1e-12
    prod_sum = (input1 * input2).sum(d)
    mag1 = (input1 * input1).sum(d) + eps
    mag2 = (input2 * input2).sum(d) + eps
    cos = prod_sum / (mag1 * mag2).sqrt()
    zeros = cos * 0
    pos = 1 - cos
    neg = (cos - margin).clamp_min(0)
    out = _pw.where(target == 1, pos, zeros) + _pw.where(target == -1, neg, zeros)
    return _reduce(out, reduction)


def margin_ranking_loss(input1, input2, target, margin=0, size_average=None, reduce=None, reduction="mean"):
    reduction = _get_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    if input1.dim() != input2.dim() or input1.dim() != target.dim():
        raise RuntimeError(f"margin_ranking_loss : All input tensors should have same dimension but got sizes: "
                           f"input1: {input1.size()}, input2: {input2.size()}, target: {target.size()} ")
    out = (-target * (input1 - input2) + margin).clamp_min(0)
    return _reduce(out, reduction)


# -- attention (ember/nn/_functional_attention.py) ---------------------------------------------------------
from ._functional_attention import (scaled_dot_product_attention, multi_head_attention_forward,  # noqa: E402
                                    _canonical_mask, _none_or_dtype, _mha_shape_check, _in_projection_packed,
                                    _in_projection)

__all__ += ["scaled_dot_product_attention", "multi_head_attention_forward"]

from ..ops.normalization import (F_batch_norm as batch_norm, F_instance_norm as instance_norm,  # noqa: E402
                                 F_layer_norm as layer_norm, F_group_norm as group_norm, F_rms_norm as rms_norm,
                                 F_local_response_norm as local_response_norm)

__all__ += ["batch_norm", "instance_norm", "layer_norm", "group_norm", "rms_norm", "local_response_norm"]

from ..ops.conv import (conv1d, conv2d, conv3d, conv_transpose1d, conv_transpose2d,  # noqa: E402
                        conv_transpose3d, unfold, fold)
from ..ops.pooling import (max_pool1d, max_pool2d, max_pool3d, avg_pool1d, avg_pool2d, avg_pool3d,  # noqa: E402
                           adaptive_avg_pool1d, adaptive_avg_pool2d, adaptive_avg_pool3d, adaptive_max_pool1d,
                           adaptive_max_pool2d, adaptive_max_pool3d, max_unpool2d, max_unpool3d, interpolate,
                           upsample, upsample_nearest, upsample_bilinear, pixel_shuffle, pixel_unshuffle)


def max_pool1d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=False):
    return max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool2d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=False):
    return max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool3d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=False):
    return max_pool3d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def adaptive_max_pool1d_with_indices(input, output_size, return_indices=False):
    return adaptive_max_pool1d(input, output_size, True)


def adaptive_max_pool2d_with_indices(input, output_size, return_indices=False):
    return adaptive_max_pool2d(input, output_size, True)


def adaptive_max_pool3d_with_indices(input, output_size, return_indices=False):
    return adaptive_max_pool3d(input, output_size, True)


__all__ += ["conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d", "unfold",
            "fold", "max_pool1d", "max_pool2d", "avg_pool1d", "avg_pool2d", "adaptive_avg_pool1d",
            "adaptive_avg_pool2d", "adaptive_max_pool1d", "adaptive_max_pool2d", "max_unpool2d", "interpolate",
            "upsample", "upsample_nearest", "upsample_bilinear", "pixel_shuffle", "pixel_unshuffle",
            "max_pool1d_with_indices", "max_pool2d_with_indices", "adaptive_max_pool1d_with_indices",
            "adaptive_max_pool2d_with_indices", "max_pool3d", "avg_pool3d", "adaptive_avg_pool3d",
            "adaptive_max_pool3d", "max_unpool3d", "max_pool3d_with_indices", "adaptive_max_pool3d_with_indices"]


from ..amp.autocast_mode import apply_policy as _apply_autocast_policy  # noqa: E402
_apply_autocast_policy(globals())  # linear, losses, ... follow torch's autocast lists
