"""Matrix products: the matmul family, the fused add-products, tensordot and einsum,
with torch's shape checks, messages and grad_fn names."""
import numpy as np

from .. import _dtype
from .._blas import before_product
from ..autograd.graph import Node
from .._tensor import Tensor, wrap
from ._dispatch import apply
from ._util import sum_to, broadcast_shapes, shape_str


def _xp(a):
    if a.__class__ is np.ndarray:
        return np
    from .._device import xp_of
    return xp_of(a)


def _long(t):
    """The C++ type name torch prints in some dtype messages ('float', 'long int', ...)."""
    return {"Float": "float", "Double": "double", "Half": "c10::Half", "BFloat16": "c10::BFloat16",
            "Long": "long int", "Int": "int", "Short": "short int", "Char": "signed char", "Byte": "unsigned char",
            "Bool": "bool", "ComplexFloat": "c10::complex<float>",
            "ComplexDouble": "c10::complex<double>"}[t.dtype._short]


def _check_mm_dtypes(a, b):
    if a._data.dtype != b._data.dtype:
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: {_long(a)} != {_long(b)}")


def _check_scalars(t, beta, alpha):
    if t._data.dtype.kind in "biu":
        for name, v in (("beta", beta), ("alpha", alpha)):
            if isinstance(v, float) and not float(v).is_integer():
                raise RuntimeError(f"For integral input tensors, argument {name} must not be a floating point "
                                   f"number.")


def _scale(t, s):
    return t if s == 1 else t * s


def _check_expand(input, target):
    """torch's expand message when `input` does not broadcast to the product's shape."""
    try:
        ok = broadcast_shapes(input._data.shape, target) == tuple(target)
    except RuntimeError:
        ok = False
    if not ok:
        input.expand(target)  # raises torch's message
        raise RuntimeError(f"The expanded size of the tensor must match: {shape_str(input._data.shape)} "
                           f"vs {shape_str(target)}")


def _addmul(out, bias, beta, alpha):
    """alpha * out + beta * bias, in place on the fresh product `out`; beta == 0 ignores bias (nan too)."""
    if alpha != 1:
        out *= out.dtype.type(alpha)
    if beta != 0:
        out += bias if beta == 1 else bias * bias.dtype.type(beta)
    return out


# -- mm / bmm / mv / dot / matmul --------------------------------------------------------------

def _in_dtype(out, a):
    """A product's result in its operands' dtype: NumPy multiplies bfloat16 in float32 (as torch's
    bfloat16 GEMM accumulates), and the result is rounded back to bfloat16 as torch's is."""
    return out if out.dtype == a.dtype else out.astype(a.dtype)


def _product_size(a, b):
    """Multiply-adds of a (batched) matrix product, for the BLAS thread policy."""
    k = a.shape[-1]
    return (a.size // k if k else 0), b.shape[-1] if b.ndim > 1 else 1, k


def _mm_grads(g, a, b, need_a, need_b, alpha=1):
    """The input grads of alpha * (a @ b) for matrices a, b (mm, addmm).

    Each grad comes out in its input's memory layout, as torch's mm backward does: for Linear's
    transposed weight view b = w.t(), d/db is computed as (g.t() @ a).t(), so the weight's own
    gradient is C-contiguous like the weight, and the optimizer's elementwise update stays fast."""
    ga = gb = None
    if need_a:
        ga = _transposed_product(b, g, a) if _column_major(a) else g.mm(b.t())
        ga = _scale(ga, alpha)
    if need_b:
        gb = g.t().mm(a).t() if _column_major(b) else a.t().mm(g)
        gb = _scale(gb, alpha)
    return ga, gb


def _column_major(t):
    """A 2-D tensor laid out as the transpose of a C-contiguous matrix (e.g. w.t())."""
    f = t._data.flags
    return f.f_contiguous and not f.c_contiguous


def _transposed_product(b, g, a):
    """d/da of a @ b as (b @ g.t()).t(), for an a laid out column-major."""
    return b.mm(g.t()).t()


def _bmm_grads(g, a, b, need_a, need_b, alpha=1):
    """The input grads of alpha * (a @ b) for batches of matrices a, b (bmm, baddbmm, addbmm)."""
    return (_scale(g.bmm(b.transpose(1, 2)), alpha) if need_a else None,
            _scale(a.transpose(1, 2).bmm(g), alpha) if need_b else None)


def _mv_grads(g, m, v, need_m, need_v, alpha=1):
    """The input grads of alpha * (m @ v) for a matrix m and a vector v (mv, addmv)."""
    return (_scale(outer(g, v), alpha) if need_m else None, _scale(m.t().mv(g), alpha) if need_v else None)


class _MatProduct(Node):
    """a @ b as one BLAS call (mm, bmm); a subclass gives the backward."""
    __slots__ = ()
    SAVES_INPUTS = True

    def forward(self, a, b):
        before_product(*_product_size(a, b))
        return _in_dtype(a @ b, a)


class MmBackward0(_MatProduct):
    __slots__ = ()

    def backward(self, g):
        e = self.next_edges
        return _mm_grads(g, *self.inputs, e[0] is not None, e[1] is not None)


def mm(input, mat2, *, out=None):
    if input._data.ndim != 2:
        raise RuntimeError("self must be a matrix")
    if mat2._data.ndim != 2:
        raise RuntimeError("mat2 must be a matrix")
    (n, k), (k2, m) = input._data.shape, mat2._data.shape
    if k != k2:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({n}x{k} and {k2}x{m})")
    _check_mm_dtypes(input, mat2)
    return apply(MmBackward0, (input, mat2))


class BmmBackward0(_MatProduct):
    __slots__ = ()

    def backward(self, g):
        e = self.next_edges
        return _bmm_grads(g, *self.inputs, e[0] is not None, e[1] is not None)


def _check_bmm(b1, b2):
    if b1._data.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    if b2._data.ndim != 3:
        raise RuntimeError("batch2 must be a 3D tensor")
    (nb, n, k), (nb2, k2, m) = b1._data.shape, b2._data.shape
    if nb != nb2 or k != k2:
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: [{nb}, {k}] but got: "
                           f"[{nb2}, {k2}].")
    return nb, n, m


def bmm(input, mat2, *, out=None):
    _check_bmm(input, mat2)
    if input._data.dtype != mat2._data.dtype:
        raise RuntimeError(f"expected scalar type {input.dtype._short} but found {mat2.dtype._short}")
    return apply(BmmBackward0, (input, mat2))


class DotBackward0(Node):
    __slots__ = ()
    SAVES_INPUTS = True

    def forward(self, a, b):
        return _in_dtype(_xp(a).asarray(_xp(a).dot(a, b)), a)

    def backward(self, g):
        a, b = self.inputs
        e = self.next_edges
        return (g * b if e[0] is not None else None, g * a if e[1] is not None else None)


def dot(input, other, *, out=None):
    if input._data.ndim != 1 or other._data.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {input._data.ndim}D and {other._data.ndim}D tensors")
    if input._data.shape != other._data.shape:
        raise RuntimeError(f"inconsistent tensor size, expected tensor [{input._data.shape[0]}] and src "
                           f"[{other._data.shape[0]}] to have the same number of elements, but got "
                           f"{input._data.shape[0]} and {other._data.shape[0]} elements respectively")
    if input._data.dtype != other._data.dtype:
        raise RuntimeError(f"dot : expected both vectors to have same dtype, but found {input.dtype._short} and "
                           f"{other.dtype._short}")
    return apply(DotBackward0, (input, other))


inner_1d = dot


class MvBackward0(Node):
    __slots__ = ()
    SAVES_INPUTS = True

    def forward(self, m, v):
        return _in_dtype(m @ v, m)

    def backward(self, g):
        e = self.next_edges
        return _mv_grads(g, *self.inputs, e[0] is not None, e[1] is not None)


def _check_mv(input, mat, vec, who):
    if mat._data.ndim != 2 or vec._data.ndim != 1 or (input is not None and input._data.ndim > 1):
        nd_in = input._data.ndim if input is not None else 1
        raise RuntimeError(f"vector + matrix @ vector expected, got {nd_in}, {mat._data.ndim}, {vec._data.ndim}")
    n, k = mat._data.shape
    in_n = input._data.size if input is not None else n
    if k != vec._data.shape[0] or not (in_n == n or in_n == 1):
        raise RuntimeError(f"size mismatch, got input ({in_n}), mat ({n}x{k}), vec ({vec._data.shape[0]})")
    first = input if input is not None else vec
    if not (first._data.dtype == mat._data.dtype == vec._data.dtype):
        raise RuntimeError(f"addmv input tensors must have the same dtype, but got {first.dtype._short}, "
                           f"{mat.dtype._short}, and {vec.dtype._short}")


def mv(input, vec, *, out=None):
    _check_mv(None, input, vec, "mv")
    return apply(MvBackward0, (input, vec))


class SqueezeBackward4(Node):
    """vector @ matrix (torch computes it as unsqueeze(0).mm().squeeze(0), hence the name)."""
    __slots__ = ()
    SAVES_INPUTS = True

    def forward(self, v, m):
        return _in_dtype(v @ m, v)

    def backward(self, g):
        v, m = self.inputs
        e = self.next_edges
        return (m.mv(g) if e[0] is not None else None, outer(v, g) if e[1] is not None else None)


class UnsafeViewBackward0(Node):
    """Broadcasting batched matmul (at least one operand >= 3-D); 1-D operands are promoted to
    matrices and squeezed back, as torch does (which reports the final reshape: UnsafeViewBackward0)."""
    __slots__ = ("sa", "sb")
    SAVES_INPUTS = True

    def forward(self, a, b):
        self.sa, self.sb = a.shape, b.shape
        before_product(*_product_size(a, b))
        return _in_dtype(_xp(a).matmul(a, b), a)

    def backward(self, g):
        a, b = self.inputs
        e = self.next_edges
        a2 = a.unsqueeze(0) if a.ndim == 1 else a
        b2 = b.unsqueeze(-1) if b.ndim == 1 else b
        g2 = g
        if a.ndim == 1:
            g2 = g2.unsqueeze(-2)
        if b.ndim == 1:
            g2 = g2.unsqueeze(-1)
        ga = gb = None
        if e[0] is not None:
            ga = sum_to(g2.matmul(b2.mT), a2.shape)
            if a.ndim == 1:
                ga = ga.squeeze(0)
        if e[1] is not None:
            gb = sum_to(a2.mT.matmul(g2), b2.shape)
            if b.ndim == 1:
                gb = gb.squeeze(-1)
        return ga, gb


def _prod(shape):
    n = 1
    for s in shape:
        n *= s
    return n


def matmul(input, other, *, out=None):
    da, db = input._data.ndim, other._data.ndim
    if da == 0 or db == 0:
        raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are {da}D and {db}D")
    if da == 1 and db == 1:
        return dot(input, other)
    if da == 2 and db == 1:
        return mv(input, other)
    if da == 2 and db == 2:
        return mm(input, other)
    sa, sb = input._data.shape, other._data.shape
    ka = sa[-1]
    kb = sb[-2] if db > 1 else sb[0]
    if ka != kb:
        if db == 1:
            rows = _prod(sa[:-1])
            raise RuntimeError(f"size mismatch, got input ({rows}), mat ({rows}x{ka}), vec ({kb})")
        if db == 2:  # (..., n, k) folded into one matrix
            raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({_prod(sa[:-1])}x{ka} and "
                               f"{kb}x{sb[-1]})")
        if da == 1 and db == 2:
            raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied (1x{ka} and {kb}x{sb[-1]})")
    if da == 1 and db == 2:
        _check_mm_dtypes(input, other)
        return apply(SqueezeBackward4, (input, other))
    batch_a = sa[:-2] if da > 1 else ()
    batch_b = sb[:-2] if db > 1 else ()
    batch = broadcast_shapes(batch_a, batch_b)
    if ka != kb:
        nb = _prod(batch)
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: [{nb}, {ka}] but got: "
                           f"[{nb}, {kb}].")
    _check_mm_dtypes(input, other)
    return apply(UnsafeViewBackward0, (input, other))


def outer(input, vec2, *, out=None):
    if input._data.ndim != 1:
        raise RuntimeError(f"outer: Expected 1-D argument self, but got {input._data.ndim}-D")
    if vec2._data.ndim != 1:
        raise RuntimeError(f"outer: Expected 1-D argument vec2, but got {vec2._data.ndim}-D")
    return input.unsqueeze(1) * vec2.unsqueeze(0)


ger = outer


def inner(input, other, *, out=None):
    if input._data.ndim == 0 or other._data.ndim == 0:
        return input * other
    if input._data.ndim == 1 and other._data.ndim == 1:
        return dot(input, other)
    ka, kb = input._data.shape[-1], other._data.shape[-1]
    if ka != kb:
        raise RuntimeError(f"inner() the last dimension must match on both input tensors but got shapes "
                           f"{shape_str(input._data.shape)} and {shape_str(other._data.shape)}")
    return tensordot(input, other, ([-1], [-1]))


# -- fused add-products -----------------------------------------------------------------------

class _AddProduct(Node):
    """beta * bias + alpha * product(a, b), the product fresh and the bias added in place: a subclass gives
    ``_product(a, b)`` and ``_grads(g, a, b, need_a, need_b, alpha)`` (the product's input grads, scaled)."""
    __slots__ = ("bias_shape", "beta", "alpha")
    SAVES_INPUTS = True

    def forward(self, bias, a, b, beta, alpha):
        self.bias_shape, self.beta, self.alpha = bias.shape, beta, alpha
        return _addmul(self._product(a, b), bias, beta, alpha)

    def backward(self, g):
        bias, a, b = self.inputs
        e = self.next_edges
        g_bias = _scale(sum_to(g, self.bias_shape), self.beta) if e[0] is not None else None
        return (g_bias,) + self._grads(g, a, b, e[1] is not None, e[2] is not None, self.alpha)


class AddmmBackward0(_AddProduct):
    """beta * bias + alpha * (a @ b): Linear's fused op (one GEMM, the bias added in place)."""
    __slots__ = ()
    _grads = staticmethod(_mm_grads)

    def _product(self, a, b):
        before_product(*_product_size(a, b))
        return _in_dtype(a @ b, a)


def addmm(input, mat1, mat2, *, beta=1, alpha=1, out=None):
    if mat1._data.ndim != 2:
        raise RuntimeError(f"mat1 must be a matrix, got {mat1._data.ndim}-D tensor")
    if mat2._data.ndim != 2:
        raise RuntimeError(f"mat2 must be a matrix, got {mat2._data.ndim}-D tensor")
    (n, k), (k2, m) = mat1._data.shape, mat2._data.shape
    if k != k2:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({n}x{k} and {k2}x{m})")
    if input._data.dtype != mat2._data.dtype:
        raise RuntimeError(f"self and mat2 must have the same dtype, but got {input.dtype._short} and "
                           f"{mat2.dtype._short}")
    if mat1._data.dtype != mat2._data.dtype:
        raise RuntimeError(f"mat1 and mat2 must have the same dtype, but got {mat1.dtype._short} and "
                           f"{mat2.dtype._short}")
    _check_expand(input, (n, m))
    return apply(AddmmBackward0, (input, mat1, mat2), beta, alpha)


class BaddbmmBackward0(_AddProduct):
    __slots__ = ()
    _grads = staticmethod(_bmm_grads)

    def _product(self, a, b):
        return _in_dtype(_xp(a).matmul(a, b), a)


def _check_same3(input, b1, b2):
    if not (input._data.dtype == b1._data.dtype == b2._data.dtype):
        raise RuntimeError(f"Input dtypes must be the same, got: input {_long(input)}, batch1: {_long(b1)}, "
                           f"batch2: {_long(b2)}")


def baddbmm(input, batch1, batch2, *, beta=1, alpha=1, out=None):
    nb, n, m = _check_bmm(batch1, batch2)
    _check_expand(input, (nb, n, m))
    _check_same3(input, batch1, batch2)
    return apply(BaddbmmBackward0, (input, batch1, batch2), beta, alpha)


class AddbmmBackward0(_AddProduct):
    __slots__ = ("nb",)

    def _product(self, a, b):
        # sum_b a[b] @ b[b] as one GEMM: (n, nb*k) @ (nb*k, m)
        nb, n, k = a.shape
        self.nb = nb
        m = b.shape[2]
        return _in_dtype(a.transpose(1, 0, 2).reshape(n, nb * k) @ b.reshape(nb * k, m), a)

    def _grads(self, g, a, b, need_a, need_b, alpha):
        # the batch sum's grad: g for every batch
        return _bmm_grads(g.unsqueeze(0).expand((self.nb,) + tuple(g.shape)), a, b, need_a, need_b, alpha)


def addbmm(input, batch1, batch2, *, beta=1, alpha=1, out=None):
    if batch1._data.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    if batch2._data.ndim != 3:
        raise RuntimeError("batch2 must be a 3D tensor")
    (nb, n, k), (nb2, k2, m) = batch1._data.shape, batch2._data.shape
    if nb != nb2:
        raise RuntimeError(f"batch1 and batch2 must have same number of batches, got {nb} and {nb2}")
    if k != k2:
        raise RuntimeError(f"Incompatible matrix sizes for bmm ({n}x{k} and {k2}x{m})")
    _check_expand(input, (n, m))
    _check_same3(input, batch1, batch2)
    return apply(AddbmmBackward0, (input, batch1, batch2), beta, alpha)


class AddmvBackward0(_AddProduct):
    __slots__ = ()
    _grads = staticmethod(_mv_grads)

    def _product(self, mat, vec):
        return _in_dtype(mat @ vec, mat)


def addmv(input, mat, vec, *, beta=1, alpha=1, out=None):
    _check_mv(input, mat, vec, "addmv")
    return apply(AddmvBackward0, (input, mat, vec), beta, alpha)


class AddrBackward0(_AddProduct):
    __slots__ = ()

    def _product(self, v1, v2):
        return _xp(v1).multiply.outer(v1, v2)

    @staticmethod
    def _grads(g, v1, v2, need_1, need_2, alpha):
        return _scale(g.mv(v2), alpha) if need_1 else None, _scale(g.t().mv(v1), alpha) if need_2 else None


def addr(input, vec1, vec2, *, beta=1, alpha=1, out=None):
    if vec1._data.ndim != 1:
        raise RuntimeError(f"addr: Expected 1-D argument vec1, but got {vec1._data.ndim}-D")
    if vec2._data.ndim != 1:
        raise RuntimeError(f"addr: Expected 1-D argument vec2, but got {vec2._data.ndim}-D")
    _check_expand(input, (vec1._data.shape[0], vec2._data.shape[0]))
    d = _dtype.result_type(input, vec1, vec2)
    input, vec1, vec2 = (t if t._data.dtype == d.np else t.to(d) for t in (input, vec1, vec2))
    _check_scalars(input, beta, alpha)
    return apply(AddrBackward0, (input, vec1, vec2), beta, alpha)


def chain_matmul(*matrices, out=None):
    if len(matrices) == 1 and isinstance(matrices[0], (list, tuple)):
        matrices = tuple(matrices[0])
    if not matrices:
        raise RuntimeError("chain_matmul(): Expected one or more matrices")
    if len(matrices) == 1:
        return matrices[0].clone()
    return _chain(matrices)


def _chain(mats):
    r = mats[0]
    for m in mats[1:]:
        r = mm(r, m)
    return r


def multi_dot(tensors, *, out=None):
    """torch.linalg.multi_dot: the first and last operands may be vectors."""
    tensors = list(tensors)
    if len(tensors) < 2:
        raise RuntimeError(f"multi_dot(): expected at least 2 tensors but got {len(tensors)}")
    first_1d, last_1d = tensors[0]._data.ndim == 1, tensors[-1]._data.ndim == 1
    if first_1d:
        tensors[0] = tensors[0].unsqueeze(0)
    if last_1d:
        tensors[-1] = tensors[-1].unsqueeze(-1)
    for i, t in enumerate(tensors):
        if t._data.ndim != 2:
            what = "first" if i == 0 else "last" if i == len(tensors) - 1 else None
            if what:
                raise RuntimeError(f"multi_dot(): the {what} tensor must be 1D or 2D but got {t._data.ndim}D")
            raise RuntimeError(f"multi_dot(): tensor {i} must be 2D but got {t._data.ndim}D")
    r = _chain(tensors)
    if first_1d and last_1d:
        return r.reshape(())
    if first_1d:
        return r.squeeze(0)
    if last_1d:
        return r.squeeze(-1)
    return r


# -- tensordot ----------------------------------------------------------------------------------

def tensordot(a, b, dims=2, out=None):
    if isinstance(dims, Tensor):
        dims = dims.tolist()
    na, nb = a._data.ndim, b._data.ndim
    if isinstance(dims, (int, np.integer)):
        dims = int(dims)
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        if dims > na or dims > nb:
            raise RuntimeError(f"tensordot expects dims < ndim_a or ndim_b, but got dims={dims}")
        da, db = list(range(na - dims, na)), list(range(dims))
    else:
        da, db = dims
        da = [da] if isinstance(da, (int, np.integer)) else list(da)
        db = [db] if isinstance(db, (int, np.integer)) else list(db)
    if len(da) != len(db):
        raise RuntimeError("both dimension lists should have same length")
    if a._data.dtype != b._data.dtype:
        raise RuntimeError("both inputs should have same dtype")
    from ._util import wrap_dim
    da = [wrap_dim(d, na) for d in da]
    db = [wrap_dim(d, nb) for d in db]
    sa, sb = a._data.shape, b._data.shape
    for x, y in zip(da, db):
        if sa[x] != sb[y]:
            raise RuntimeError(f"contracted dimensions need to match, but first has size {sa[x]} in dim {x} and "
                               f"second has size {sb[y]} in dim {y}")
    free_a = [d for d in range(na) if d not in da]
    free_b = [d for d in range(nb) if d not in db]
    k = _prod(sa[d] for d in da)
    am = a.permute(free_a + da).reshape(_prod(sa[d] for d in free_a), k)
    bm = b.permute(db + free_b).reshape(k, _prod(sb[d] for d in free_b))
    return am.mm(bm).reshape(tuple(sa[d] for d in free_a) + tuple(sb[d] for d in free_b))


# -- einsum ---------------------------------------------------------------------------------------

_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


class _Einsum(Node):
    """Forward: one np.einsum over the operands (BLAS through optimize=True when it pays).
    Backward: for each operand, another einsum of the gradient with the other operands
    (plus constant ones/identity operands for labels only that operand has, or has twice)."""
    __slots__ = ("subs", "out_subs", "shapes")
    SAVES_INPUTS = True

    def forward(self, *arrays_and_spec):
        *arrays, subs, out_subs = arrays_and_spec
        self.subs, self.out_subs = subs, out_subs
        self.shapes = [a.shape for a in arrays]
        xp = _xp(arrays[0])
        eq = ",".join(subs) + "->" + out_subs
        opt = len(arrays) > 2 or (len(arrays) == 2 and max(a.size for a in arrays) > 256)
        work = [a.astype(np.float32) if a.dtype.kind == "V" else a for a in arrays]  # bfloat16: einsum has no loop
        r = xp.einsum(eq, *work, optimize=opt) if opt else xp.einsum(eq, *work)
        r = _in_dtype(xp.asarray(r), arrays[0])
        if len(arrays) == 1 and (r.base is not None or r is arrays[0]):
            r = r.copy()  # np.einsum returns views for pure transposes/diagonals
        dt = arrays[0].dtype
        if len(arrays) == 1 and dt.kind in "biu" and len(out_subs) < len(set(subs[0])):
            dt = np.dtype(np.int64)  # a single-operand reduction is a sum: integers accumulate in int64
        if r.dtype != dt:
            r = r.astype(dt)
        return r

    def backward(self, g):
        inputs = self.inputs
        out = []
        used = set("".join(self.subs) + self.out_subs)
        fresh = iter(c for c in _LETTERS if c not in used)
        xp = _xp(g._data)
        for k, t in enumerate(inputs):
            if self.next_edges[k] is None:
                out.append(None)
                continue
            target = self.subs[k]
            ops, subs = [g], [self.out_subs]
            for j, o in enumerate(inputs):
                if j != k:
                    ops.append(o)
                    subs.append(self.subs[j])
            have = set("".join(subs))
            sizes = dict(zip(target, self.shapes[k]))
            seen = set()
            out_subs = ""
            for c in target:
                if c in seen:  # repeated label: the gradient lives on the diagonal
                    f = next(fresh)
                    ops.append(wrap(xp.eye(sizes[c], dtype=g._data.dtype)))
                    subs.append(c + f)
                    out_subs += f
                    continue
                seen.add(c)
                if c not in have:  # a label only this operand has: the gradient broadcasts over it
                    ops.append(wrap(xp.ones(sizes[c], dtype=g._data.dtype)))
                    subs.append(c)
                    have.add(c)
                out_subs += c
            out.append(_einsum_apply(ops, subs, out_subs))
        return tuple(out)


def _einsum_name(n_ops, subs, out_subs):
    labels = set("".join(subs))
    if n_ops == 1:
        return "SumBackward1" if len(out_subs) < len(labels) else "PermuteBackward0"
    return "MulBackward0" if len(out_subs) == len(labels) else "ViewBackward0"


_EINSUM_NODES = {name: type(name, (_Einsum,), {"__slots__": ()})
                 for name in ("SumBackward1", "PermuteBackward0", "MulBackward0", "ViewBackward0")}


def _einsum_apply(ops, subs, out_subs):
    cls = _EINSUM_NODES[_einsum_name(len(ops), subs, out_subs)]
    return apply(cls, tuple(ops), tuple(subs), out_subs)


def _parse_operand(term, start, k):
    """Labels of one operand term: letters, with '...' as None; raises torch's messages."""
    labels = []
    i = 0
    ell = False
    while i < len(term):
        c = term[i]
        if c == ".":
            if ell:
                raise RuntimeError(f"einsum(): found '.' for operand {k} for which an ellipsis was already found")
            if term[i:i + 3] != "...":
                raise RuntimeError(f"einsum(): found '.' for operand {k} that is not part of any ellipsis")
            labels.append(None)
            ell = True
            i += 3
            continue
        if c == " ":
            i += 1
            continue
        if c not in _LETTERS:
            raise RuntimeError(f"einsum(): invalid subscript given at index {start + i} in the equation string, "
                               f"subscripts must be in [a-zA-Z]")
        labels.append(c)
        i += 1
    return labels


def _sublist_to_str(sub):
    out = ""
    for s in sub:
        if s is Ellipsis:
            out += "..."
        else:
            s = int(s)
            if not 0 <= s < 52:
                raise RuntimeError(f"einsum(): subscript in subscript list is not within the valid range [0, 52)")
            out += _LETTERS[26 + s] if s < 26 else _LETTERS[s - 26]
    return out


def einsum(*args):
    if not args:
        raise TypeError("einsum(): must specify the equation string and at least one operand, or at least one "
                        "operand and its subscripts list")
    if isinstance(args[0], Tensor):  # sublist format: einsum(op1, sub1, op2, sub2, ..., [out])
        ops, terms = list(args[0::2]), list(args[1::2])
        out_sub = None
        if len(terms) < len(ops):
            out_sub = ops.pop()
            out_sub = _sublist_to_str(out_sub) if not isinstance(out_sub, Tensor) else None
        equation = ",".join(_sublist_to_str(t) for t in terms) + ("->" + out_sub if out_sub is not None else "")
        operands = ops
    else:
        equation, operands = args[0], list(args[1:])
        if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
            operands = list(operands[0])
    if not operands:
        raise ValueError("einsum(): must specify the equation string and at least one operand, or at least one "
                         "operand and its subscripts list")
    arrow = equation.find("->")
    lhs = equation if arrow < 0 else equation[:arrow]
    terms, starts, pos = [], [], 0
    for term in lhs.split(","):
        terms.append(term)
        starts.append(pos)
        pos += len(term) + 1
    if len(terms) > len(operands):
        raise RuntimeError("einsum(): fewer operands were provided than specified in the equation")
    if len(terms) < len(operands):
        raise RuntimeError("einsum(): more operands were provided than specified in the equation")
    parsed = [_parse_operand(t, s, k) for k, (t, s) in enumerate(zip(terms, starts))]
    # ellipsis dims and label sizes (size-1 dims broadcast, as in torch)
    n_ell = 0
    for k, (labels, op) in enumerate(zip(parsed, operands)):
        nd = op._data.ndim
        n_lab = sum(1 for c in labels if c is not None)
        if None in labels:
            if n_lab > nd:
                raise RuntimeError(f"einsum(): the number of subscripts in the equation ({n_lab}) is more than the "
                                   f"number of dimensions ({nd}) for operand {k}")
            n_ell = max(n_ell, nd - n_lab)
        elif n_lab != nd:
            raise RuntimeError(f"einsum(): the number of subscripts in the equation ({n_lab}) does not match the "
                               f"number of dimensions ({nd}) for operand {k} and no ellipsis was given")
    used = set(c for labels in parsed for c in labels if c is not None)
    if arrow >= 0:
        used |= set(c for c in equation[arrow + 2:] if c in _LETTERS)
    spare = [c for c in _LETTERS if c not in used]
    if n_ell > len(spare):
        raise RuntimeError("einsum(): too many subscripts in the equation")
    ell_labels = spare[:n_ell]
    full = []  # per operand: one label per dim
    for labels, op in zip(parsed, operands):
        nd = op._data.ndim
        out = []
        for c in labels:
            if c is None:
                e = nd - (len(labels) - 1)
                out.extend(ell_labels[n_ell - e:] if e else [])
            else:
                out.append(c)
        full.append(out)
    sizes = {}
    for k, (labels, op) in enumerate(zip(full, operands)):
        shape = op._data.shape
        seen = {}
        for c, s in zip(labels, shape):
            if c in seen and seen[c] != s:
                raise RuntimeError(f"einsum(): subscript {c} is repeated for operand {k} but the sizes don't match, "
                                   f"{s} != {seen[c]}")
            seen[c] = s
            prev = sizes.get(c)
            if prev is None or prev == 1:
                sizes[c] = s
            elif s != 1 and s != prev:
                if c in ell_labels:
                    raise RuntimeError(f"einsum(): dimension {ell_labels.index(c)} covered by "
                                       f"ellipsis in operand {k}has size {s} which does not broadcast with previously "
                                       f"seen ellipsis with size {prev} for the respective dimension")
                raise RuntimeError(f"einsum(): subscript {c} has size {s} for operand {k} which does not broadcast "
                                   f"with previously seen size {prev}")
    # output labels
    if arrow >= 0:
        rhs = equation[arrow + 2:]
        out_labels = []
        i = 0
        ell = False
        while i < len(rhs):
            c = rhs[i]
            if c == ".":
                if ell or rhs[i:i + 3] != "...":
                    raise RuntimeError("einsum(): found '.' for output but an ellipsis (...) was already found"
                                       if ell else "einsum(): found '.' for output that is not part of any ellipsis "
                                                   "(...)")
                out_labels.extend(ell_labels)
                ell = True
                i += 3
                continue
            if c == " ":
                i += 1
                continue
            if c not in _LETTERS:
                raise RuntimeError(f"einsum(): invalid subscript given at index {arrow + 2 + i} in the equation "
                                   f"string, subscripts must be in [a-zA-Z]")
            if c in out_labels:
                raise RuntimeError(f"einsum(): output subscript {c} appears more than once in the output")
            if c not in sizes:
                raise RuntimeError(f"einsum(): output subscript {c} does not appear in the equation for any input "
                                   f"operand")
            out_labels.append(c)
            i += 1
    else:
        counts = {}
        for labels in full:
            for c in labels:
                counts[c] = counts.get(c, 0) + 1
        out_labels = list(ell_labels) + sorted(c for c, n in counts.items() if n == 1 and c not in ell_labels)
    dt = operands[0]._data.dtype
    for op in operands[1:]:
        if op._data.dtype != dt:
            raise RuntimeError(f"expected scalar type {operands[0].dtype._short} but found {op.dtype._short}")
    # drop size-1 dims that broadcast against a larger size (reshape: differentiable and cheap)
    ops, subs = [], []
    for labels, op in zip(full, operands):
        shape = op._data.shape
        keep = [i for i, (c, s) in enumerate(zip(labels, shape)) if not (s == 1 and sizes[c] != 1)]
        if len(keep) != len(labels):
            op = op.reshape(tuple(shape[i] for i in keep))
            labels = [labels[i] for i in keep]
        ops.append(op)
        subs.append("".join(labels))
    out_subs = "".join(out_labels)
    if len(ops) == 1 and len(set(subs[0])) == len(subs[0]) and set(out_subs) == set(subs[0]):
        # a pure permutation is a view, as in torch
        return ops[0].permute(tuple(subs[0].index(c) for c in out_subs))
    return _einsum_apply(ops, subs, out_subs)


__all__ = """mm addmm bmm baddbmm addbmm matmul dot inner mv addmv addr outer ger einsum tensordot
    chain_matmul""".split()
TENSOR_METHODS = "mm addmm bmm baddbmm addbmm matmul dot inner mv addmv addr outer ger"
INPLACE = "addmm baddbmm addbmm addmv addr"
# ember.<name> gets torch's out= from ops._util.with_out (see ops/__init__.py)
OUT_VARIANTS = "addbmm addmm addmv addr baddbmm bmm chain_matmul dot ger inner matmul mm mv outer tensordot"
