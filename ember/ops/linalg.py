"""Matrix products: matmul family, with torch's shape checks and messages."""
import numpy as np

from .. import _dtype
from ..autograd.graph import Node
from .._tensor import Tensor, wrap
from ._dispatch import apply
from ._util import sum_to


def _check_dtypes(a, b, what="expected m1 and m2 to have the same dtype"):
    if a._data.dtype != b._data.dtype:
        raise RuntimeError(f"{what}, but got: {a.dtype._short.lower() if False else _long(a)} != {_long(b)}")


def _long(t):
    return {"Float": "float", "Double": "double", "Half": "c10::Half", "BFloat16": "c10::BFloat16",
            "Long": "long int", "Int": "int", "Short": "short int", "Char": "signed char", "Byte": "unsigned char",
            "Bool": "bool", "ComplexFloat": "c10::complex<float>",
            "ComplexDouble": "c10::complex<double>"}[t.dtype._short]


class MmBackward0(Node):
    __slots__ = ()
    SAVES_INPUTS = True

    def forward(self, a, b):
        return a @ b

    def backward(self, g):
        a, b = self.inputs
        e = self.next_edges
        return (g.mm(b.t()) if e[0] is not None else None, a.t().mm(g) if e[1] is not None else None)


def mm(input, mat2, *, out=None):
    if input._data.ndim != 2:
        raise RuntimeError(f"self must be a matrix")
    if mat2._data.ndim != 2:
        raise RuntimeError(f"mat2 must be a matrix")
    (n, k), (k2, m) = input._data.shape, mat2._data.shape
    if k != k2:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({n}x{k} and {k2}x{m})")
    _check_dtypes(input, mat2, "expected m1 and m2 to have the same dtype")
    return apply(MmBackward0, (input, mat2))


class AddmmBackward0(Node):
    """bias + x @ w: Linear's fused op (one GEMM, bias added in place on the result)."""
    __slots__ = ("bias_shape",)
    SAVES_INPUTS = True

    def forward(self, bias, a, b):
        self.bias_shape = bias.shape
        out = a @ b
        out += bias
        return out

    def backward(self, g):
        bias, a, b = self.inputs
        e = self.next_edges
        return (sum_to(g, self.bias_shape) if e[0] is not None else None,
                g.mm(b.t()) if e[1] is not None else None,
                a.t().mm(g) if e[2] is not None else None)


def addmm(input, mat1, mat2, *, beta=1, alpha=1, out=None):
    if beta != 1 or alpha != 1:
        return input * beta + mm(mat1, mat2) * alpha
    (n, k), (k2, m) = mat1._data.shape, mat2._data.shape
    if k != k2:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({n}x{k} and {k2}x{m})")
    _check_dtypes(mat1, mat2)
    from ._util import broadcast_shapes
    if broadcast_shapes(input._data.shape, (n, m)) != (n, m):
        raise RuntimeError(f"The expanded size of the tensor ({m}) must match the existing size "
                           f"({input._data.shape[-1]}) at non-singleton dimension 1.  Target sizes: [{n}, {m}].  "
                           f"Tensor sizes: {list(input._data.shape)}")
    return apply(AddmmBackward0, (input, mat1, mat2))


class BmmBackward0(Node):
    __slots__ = ()
    SAVES_INPUTS = True

    def forward(self, a, b):
        return a @ b

    def backward(self, g):
        a, b = self.inputs
        e = self.next_edges
        return (g.bmm(b.transpose(1, 2)) if e[0] is not None else None,
                a.transpose(1, 2).bmm(g) if e[1] is not None else None)


def bmm(input, mat2, *, out=None):
    if input._data.ndim != 3:
        raise RuntimeError(f"batch1 must be a 3D tensor")
    if mat2._data.ndim != 3:
        raise RuntimeError(f"batch2 must be a 3D tensor")
    (b1, n, k), (b2, k2, m) = input._data.shape, mat2._data.shape
    if b1 != b2:
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: [{b1}, {k}] but got: "
                           f"[{b2}, {k2}].")
    if k != k2:
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: [{b1}, {k}] but got: "
                           f"[{b2}, {k2}].")
    _check_dtypes(input, mat2, "expected scalar type")
    return apply(BmmBackward0, (input, mat2))


class MatmulBackward0(Node):
    """General broadcasting matmul (>= 1-D operands); 1-D operands are promoted and squeezed as torch does."""
    __slots__ = ("sa", "sb")
    SAVES_INPUTS = True

    def forward(self, a, b):
        self.sa, self.sb = a.shape, b.shape
        return np.matmul(a, b) if a.__class__ is np.ndarray else a @ b

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
            ga = sum_to(g2.matmul(b2.transpose(-1, -2)), a2.shape)
            if a.ndim == 1:
                ga = ga.squeeze(0)
        if e[1] is not None:
            gb = sum_to(a2.transpose(-1, -2).matmul(g2), b2.shape)
            if b.ndim == 1:
                gb = gb.squeeze(-1)
        return ga, gb


def matmul(input, other, *, out=None):
    da, db = input._data.ndim, other._data.ndim
    if da == 0 or db == 0:
        raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are {da}D and {db}D")
    if input._data.dtype != other._data.dtype:
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: {_long(input)} != {_long(other)}")
    if da == 2 and db == 2:
        return mm(input, other)
    sa, sb = input._data.shape, other._data.shape
    ka = sa[-1]
    kb = sb[-2] if db > 1 else sb[0]
    if ka != kb:
        if da == 1 and db == 1:
            raise RuntimeError(f"inconsistent tensor size, expected tensor [{sa[0]}] and src [{sb[0]}] to have "
                               f"the same number of elements, but got {sa[0]} and {sb[0]} elements respectively")
        if db == 1:
            raise RuntimeError(f"size mismatch, got input ({sa[0] if da == 2 else np.prod(sa[:-1])}), mat "
                               f"({'x'.join(str(s) for s in sa[-2:])}), vec ({sb[0]})")
        left = f"{int(np.prod(sa[:-1]))}x{ka}" if da > 1 else f"1x{ka}"
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({left} and {kb}x{sb[-1]})")
    return apply(MatmulBackward0, (input, other))


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
    return apply(MatmulBackward0, (input, other))


inner = dot


def mv(input, vec, *, out=None):
    if input._data.ndim != 2 or vec._data.ndim != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got {input._data.ndim}, {vec._data.ndim}, "
                           f"{vec._data.ndim}")
    return matmul(input, vec)


def outer(input, vec2):
    return input.unsqueeze(1) * vec2.unsqueeze(0)


ger = outer


__all__ = "mm addmm bmm matmul dot inner mv outer ger".split()
TENSOR_METHODS = "mm addmm bmm matmul dot inner mv outer ger"
INPLACE = ""
