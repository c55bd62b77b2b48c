"""ember.linalg: torch.linalg on NumPy's (or CuPy's) ``linalg``.

Forwards run on raw arrays through ``xp_of(a).linalg`` (float32 stays float32, leading dims are
batches); backwards follow torch's derivatives.yaml / FunctionsManual.cpp and are written with
ember ops, so double backward works. Node classes carry torch's grad_fn names.
"""
import builtins
import math

import numpy as np

from ._device import host as _host
from . import _dtype
from .return_types import _make
from . import return_types as _rt
from ._device import xp_of
from ._tensor import Tensor, wrap
from .autograd.graph import Node
from .ops._dispatch import apply
from .ops._util import wrap_dim, sum_to, broadcast_shapes, with_out
from .amp.autocast_mode import apply_policy as apply_autocast_policy
from .ops import reduction as _red
from .ops.linalg import matmul, multi_dot, dot as _dot  # noqa: F401 (re-exported)
from .ops.shape import linalg_cross as cross  # noqa: F401 (re-exported)
from .ops.views import diagonal as _diagonal


class LinAlgError(RuntimeError):
    """Raised when a matrix is singular or not positive-definite (torch.linalg.LinAlgError)."""


# named result tuples (torch.return_types.linalg_*)
linalg_inv_ex = _make("linalg_inv_ex", ("inverse", "info"))
linalg_slogdet = _make("linalg_slogdet", ("sign", "logabsdet"))
linalg_solve_ex = _make("linalg_solve_ex", ("result", "info"))
linalg_cholesky_ex = _make("linalg_cholesky_ex", ("L", "info"))
linalg_qr = _make("linalg_qr", ("Q", "R"))
linalg_eigh = _make("linalg_eigh", ("eigenvalues", "eigenvectors"))
linalg_eig = _make("linalg_eig", ("eigenvalues", "eigenvectors"))
linalg_svd = _make("linalg_svd", ("U", "S", "Vh"))
linalg_lstsq = _make("linalg_lstsq", ("solution", "residuals", "rank", "singular_values"))
for _c in (linalg_inv_ex, linalg_slogdet, linalg_solve_ex, linalg_cholesky_ex, linalg_qr, linalg_eigh, linalg_eig,
           linalg_svd, linalg_lstsq):
    setattr(_rt, _c.__name__, _c)

_HALF = frozenset(d for d in (np.dtype(np.float16), _dtype.bfloat16.np) if d is not None)


# -- checks ------------------------------------------------------------------------------------

def _is_fc(a):
    return a.dtype.kind in "fc" or a.dtype in _HALF


def _check_float(A, name, half=None):
    """torch's checkFloatingOrComplex; `half` says how low precision types fail:
    None = allowed, 'lp' = 'Low precision dtypes not supported', else the kernel name of a
    NotImplementedError ('"lu_cpu" not implemented for 'Half'')."""
    a = A._data
    if not _is_fc(a):
        raise RuntimeError(f"{name}: Expected a floating point or complex tensor as input. Got {A.dtype._short}")
    if half is not None and a.dtype in _HALF:
        if half == "lp":
            raise RuntimeError(f"{name}: Low precision dtypes not supported. Got {A.dtype._short}")
        raise NotImplementedError(f"\"{half}\" not implemented for '{A.dtype._short}'")


def _check_matrix(A, name, arg="A"):
    if A._data.ndim < 2:
        raise RuntimeError(f"{name}: The input tensor {arg} must have at least 2 dimensions.")


def _check_square(A, name):
    _check_matrix(A, name)
    m, n = A._data.shape[-2:]
    if m != n:
        raise RuntimeError(f"{name}: A must be batches of square matrices, but they are {m} by {n} matrices")




def _batch_prefix(a, i):
    return f"(Batch element {i}): " if a.ndim > 2 else ""


def _real_np(a):
    return a.dtype.type(0).real.dtype


def _eps(a):
    return float(np.finfo(_real_np(a)).eps)


def _eye_like(A, n=None):
    from .ops.creation import eye
    return eye(A._data.shape[-1] if n is None else n, dtype=A.dtype, device=A.device)


def _mat(t):
    """Scalar-per-matrix (..., ) -> (..., 1, 1) for broadcasting against matrices."""
    return t.unsqueeze(-1).unsqueeze(-1)


# -- LU bookkeeping for error messages and info ------------------------------------------------

def _lu_info(a):
    """LAPACK getrf's info per matrix: 1-based index of the first exactly-zero pivot, 0 if none."""
    a = np.array(_host(a), copy=True)
    n = a.shape[-1]
    bshape = a.shape[:-2]
    a = a.reshape((-1, n, n))
    b = a.shape[0]
    info = np.zeros(b, np.int32)
    rows = np.arange(b)
    for k in range(n):
        p = np.abs(a[:, k:, k]).argmax(axis=1) + k
        rk = a[rows, k].copy()
        a[rows, k] = a[rows, p]
        a[rows, p] = rk
        piv = a[:, k, k]
        zero = piv == 0
        info[(info == 0) & zero] = k + 1
        l = a[:, k + 1:, k] / np.where(zero, 1, piv)[:, None]
        a[:, k + 1:, k + 1:] -= l[:, :, None] * a[:, k, None, k + 1:]
    return info.reshape(bshape)


def _inv_with_info(a):
    """(inverse, info) of a batch; singular matrices get info > 0 and an inf/nan-filled inverse."""
    xp = xp_of(a)
    try:
        inv_a = xp.linalg.inv(a)
        if xp is np:
            return inv_a, np.zeros(a.shape[:-2], np.int32)
        bad = ~xp.isfinite(inv_a).all(axis=(-2, -1))
        if not bool(bad.any()):
            return inv_a, np.zeros(a.shape[:-2], np.int32)
    except np.linalg.LinAlgError:
        pass
    n = a.shape[-1]
    flat = _host(a).reshape((-1, n, n))
    info = _lu_info(flat)
    out = np.full(flat.shape, np.inf, dtype=a.dtype)
    for i in range(flat.shape[0]):
        if info[i] == 0:
            try:
                out[i] = np.linalg.inv(flat[i])
            except np.linalg.LinAlgError:
                info[i] = n  # LAPACK met an exact zero pivot that this elimination order did not
    info = info.reshape(a.shape[:-2])
    out = out.reshape(a.shape)
    return (out if xp is np else xp.asarray(out)), info


def _raise_info(a, info, msg):
    flat = np.asarray(info).reshape(-1)
    bad = np.nonzero(flat)[0]
    if bad.size:
        i = int(bad[0])
        raise LinAlgError(msg(int(flat[i]), _batch_prefix(a, i)))


def _inv_msg(k, pre, name="linalg.inv"):
    return (f"{name}: {pre}The diagonal element {k} is zero, the inversion could not be completed because the input "
            "matrix is singular.")


# -- inv ---------------------------------------------------------------------------------------

class LinalgInvExBackward0(Node):
    __slots__ = ()
    SAVES_OUTPUT = True
    NON_DIFF_OUTPUTS = (1,)

    def forward(self, a, check):
        inv_a, info = _inv_with_info(a)
        if check:
            _raise_info(a, info, _inv_msg if check is True else lambda k, pre: _inv_msg(k, pre, "linalg.inv_ex"))
        xp = xp_of(a)
        return inv_a, (info if xp is np else xp.asarray(info))

    def backward(self, g, g_info=None):
        ia = self.out[0].mH
        return (-(ia.matmul(g).matmul(ia)),)


def inv_ex(A, *, check_errors=False, out=None):
    _check_float(A, "linalg.inv", "lp")
    _check_square(A, "linalg.inv")
    return linalg_inv_ex(apply(LinalgInvExBackward0, (A,), "ex" if check_errors else False))


def inv(A, *, out=None):
    _check_float(A, "linalg.inv", "lp")
    _check_square(A, "linalg.inv")
    return apply(LinalgInvExBackward0, (A,), True)[0]


# -- det / slogdet / logdet --------------------------------------------------------------------

def _cat(ts, dim):
    from .ops.shape import cat
    return cat(ts, dim)


class LinalgDetBackward0(Node):
    __slots__ = ()
    SAVES_INPUTS = True
    SAVES_OUTPUT = True

    def forward(self, a):
        xp = xp_of(a)
        return xp.asarray(xp.linalg.det(a)).astype(a.dtype, copy=False)

    def backward(self, g):
        A = self.inputs[0]
        d = self.out
        n = A._data.shape[-1]
        if n == 0:
            return (None,)
        inv_a, info = inv_ex(A)
        if np.asarray(_host(info._data)).any():  # torch's gradient is zero where LU found A singular
            from .ops.pointwise import where
            inv_a = where(_mat(info != 0), 0.0, inv_a)
        return (_mat(g * d) * inv_a.mH,)


def det(A, *, out=None):
    _check_float(A, "linalg.det", "lu_cpu")
    _check_square(A, "linalg.det")
    return apply(LinalgDetBackward0, (A,))


class LinalgSlogdetBackward0(Node):
    __slots__ = ()
    SAVES_INPUTS = True

    def forward(self, a):
        xp = xp_of(a)
        sign, logabs = xp.linalg.slogdet(a)
        return xp.asarray(sign).astype(a.dtype, copy=False), xp.asarray(logabs).astype(_real_np(a), copy=False)

    def backward(self, g_sign, g_logabs):
        if g_logabs is None:
            return (None,)
        A = self.inputs[0]
        return (_mat(g_logabs) * inv(A).mH,)


def _slogdet(A, name):
    _check_float(A, name, "lp")
    _check_square(A, name)
    return linalg_slogdet(apply(LinalgSlogdetBackward0, (A,)))


def slogdet(A, *, out=None):
    return _slogdet(A, "linalg.slogdet")


def logdet(input):
    """torch.logdet: log det A (nan for a negative determinant)."""
    from .ops.pointwise import where
    sign, logabs = _slogdet(input, "logdet")
    return where(sign == -1, float("nan"), logabs)


# -- solve ---------------------------------------------------------------------------------------

def _is_vector_rhs(A, B):
    sa, sb = A._data.shape, B._data.shape
    return len(sb) == 1 or (len(sb) == len(sa) - 1 and tuple(sb) == tuple(sa[:-1]))


def _solve_msg(k, pre):
    return f"torch.linalg.solve: {pre}The solver failed because the input matrix is singular."


class LinalgSolveExBackward0(Node):
    __slots__ = ("left", "vec", "sa", "sb")
    SAVES_INPUTS = True
    SAVES_OUTPUT = True
    NON_DIFF_OUTPUTS = (1,)

    def forward(self, a, b, left, vec, check):
        self.left, self.vec, self.sa, self.sb = left, vec, a.shape, b.shape
        xp = xp_of(a)
        bm = b[..., None] if vec else b
        if not left:
            a = a.swapaxes(-1, -2)
            bm = bm.swapaxes(-1, -2)
        info = np.zeros(a.shape[:-2], np.int32)
        if xp is not np:  # CuPy's batched solve does not broadcast batch dimensions
            batch = broadcast_shapes(a.shape[:-2], bm.shape[:-2])
            a, bm = xp.broadcast_to(a, batch + a.shape[-2:]), xp.broadcast_to(bm, batch + bm.shape[-2:])
        try:
            x = xp.linalg.solve(a, bm)
            bad = xp is not np and not bool(xp.isfinite(x).all())
        except np.linalg.LinAlgError:
            bad = True
        if bad:
            info = _lu_info(a)
            if check:
                _raise_info(a, info, _solve_msg)
            x = xp.full(broadcast_shapes(a.shape[:-2], bm.shape[:-2]) + bm.shape[-2:], xp.nan, dtype=a.dtype)
        if not left:
            x = x.swapaxes(-1, -2)
        if vec:
            x = x[..., 0]
        return x, (info if xp is np else xp.asarray(info))

    def backward(self, g, g_info=None):
        A, B = self.inputs
        X = self.out[0]
        e = self.next_edges
        gB = solve(A.mH, g, left=self.left)
        ga = None
        if e[0] is not None:
            gBm, Xm = (gB.unsqueeze(-1), X.unsqueeze(-1)) if self.vec else (gB, X)
            ga = sum_to(-(gBm.matmul(Xm.mH)) if self.left else -(Xm.mH.matmul(gBm)), self.sa)
        return ga, (sum_to(gB, self.sb) if e[1] is not None else None)


def _solve(A, B, left, check):
    name = "linalg.solve"
    _check_float(A, name, "lu_cpu")
    _check_square(A, name)
    if A._data.dtype != B._data.dtype:
        raise RuntimeError(f"{name}: Expected A and B to have the same dtype, but found A of type {A.dtype._short} "
                           f"and B of type {B.dtype._short} instead")
    vec = _is_vector_rhs(A, B)
    sb = tuple(B._data.shape) + ((1,) if vec else ())
    n = A._data.shape[-1]
    if len(sb) < 2 or (sb[-2] if left else sb[-1]) != n:
        eq = "AX = B" if left else "XA = B"
        shown = sb if len(sb) >= 2 else (sb[0], 1)
        raise RuntimeError(f"{name}: Incompatible shapes of A and B for the equation {eq} ({n}x{n} and "
                           f"{shown[-2]}x{shown[-1]})")
    broadcast_shapes(A._data.shape[:-2], sb[:-2])
    return apply(LinalgSolveExBackward0, (A, B), bool(left), vec, check)


def solve(A, B, *, left=True, out=None):
    return _solve(A, B, left, True)[0]


def solve_ex(A, B, *, left=True, check_errors=False, out=None):
    return linalg_solve_ex(_solve(A, B, left, bool(check_errors)))


class LinalgSolveTriangularBackward0(Node):
    __slots__ = ("upper", "left", "unit", "sa", "sb")
    SAVES_INPUTS = True
    SAVES_OUTPUT = True

    def forward(self, a, b, upper, left, unit):
        self.upper, self.left, self.unit, self.sa, self.sb = upper, left, unit, a.shape, b.shape
        xp = xp_of(a)
        t = xp.triu(a) if upper else xp.tril(a)
        if unit:
            n = a.shape[-1]
            t = t.copy()
            t[..., xp.arange(n), xp.arange(n)] = 1
        if left:
            return xp.linalg.solve(t, b)
        return xp.linalg.solve(t.swapaxes(-1, -2), b.swapaxes(-1, -2)).swapaxes(-1, -2)

    def backward(self, g):
        A, B = self.inputs
        X = self.out
        e = self.next_edges
        gB = solve_triangular(A.mH, g, upper=not self.upper, left=self.left, unitriangular=self.unit)
        ga = None
        if e[0] is not None:
            ga = -(gB.matmul(X.mH)) if self.left else -(X.mH.matmul(gB))
            ga = ga.triu(1 if self.unit else 0) if self.upper else ga.tril(-1 if self.unit else 0)
            ga = sum_to(ga, self.sa)
        return ga, (sum_to(gB, self.sb) if e[1] is not None else None)


def solve_triangular(A, B, *, upper, left=True, unitriangular=False, out=None):
    name = "linalg.solve_triangular"
    _check_float(A, name, "triangular_solve_cpu")
    _check_square(A, name)
    if B._data.ndim < 2:
        raise RuntimeError(f"{name}: The input tensor B must have at least 2 dimensions.")
    if A._data.dtype != B._data.dtype:
        raise RuntimeError(f"{name}: Expected A and B to have the same dtype, but found A of type {A.dtype._short} "
                           f"and B of type {B.dtype._short} instead")
    n = A._data.shape[-1]
    sb = B._data.shape
    if (sb[-2] if left else sb[-1]) != n:
        eq = "AX = B" if left else "XA = B"
        raise RuntimeError(f"{name}: Incompatible shapes of A and B for the equation {eq} ({n}x{n} and "
                           f"{sb[-2]}x{sb[-1]})")
    return apply(LinalgSolveTriangularBackward0, (A, B), bool(upper), bool(left), bool(unitriangular))


# -- cholesky ------------------------------------------------------------------------------------

def _chol_info(a, upper):
    """The order of the first leading minor that is not positive-definite, per matrix (0 if PD)."""
    h = _host(a)
    if upper:
        h = h.swapaxes(-1, -2).conj()
    n = h.shape[-1]
    flat = h.reshape((-1, n, n))
    info = np.zeros(flat.shape[0], np.int32)
    for i in range(flat.shape[0]):
        try:
            np.linalg.cholesky(flat[i])
            continue
        except np.linalg.LinAlgError:
            pass
        lo, hi = 1, n  # the smallest failing order (leading minors fail monotonically)
        while lo < hi:
            mid = (lo + hi) // 2
            try:
                np.linalg.cholesky(flat[i, :mid, :mid])
                lo = mid + 1
            except np.linalg.LinAlgError:
                hi = mid
        info[i] = lo
    return info.reshape(h.shape[:-2])


def _chol_msg(k, pre):
    return (f"linalg.cholesky: {pre}The factorization could not be completed because the input is not "
            "positive-definite "
            f"(the leading minor of order {k} is not positive-definite).")


class LinalgCholeskyExBackward0(Node):
    __slots__ = ("upper",)
    SAVES_OUTPUT = True
    NON_DIFF_OUTPUTS = (1,)

    def forward(self, a, upper, check):
        self.upper = upper
        xp = xp_of(a)
        src = a.swapaxes(-1, -2).conj() if upper else a  # LAPACK reads the lower (or upper) triangle
        info = None
        try:
            L = xp.linalg.cholesky(src)
            if xp is not np and not bool(xp.isfinite(L).all()):
                info = _chol_info(a, upper)
        except np.linalg.LinAlgError:
            info = _chol_info(a, upper)
        if info is None:
            info = np.zeros(a.shape[:-2], np.int32)
        elif info.any():
            if check:
                _raise_info(a, info, _chol_msg)
            n = a.shape[-1]
            flat = _host(src).reshape((-1, n, n))
            Lh = np.full(flat.shape, np.nan, dtype=a.dtype)
            for i, k in enumerate(info.reshape(-1)):
                if k == 0:
                    Lh[i] = np.linalg.cholesky(flat[i])
            L = Lh.reshape(a.shape)
            L = L if xp is np else xp.asarray(L)
        if upper:
            L = L.swapaxes(-1, -2).conj()
        return xp.ascontiguousarray(L), (info if xp is np else xp.asarray(info))

    def backward(self, gL, g_info=None):
        # Iain Murray (2016), arXiv:1602.07527, as torch's cholesky_backward
        L = self.out[0]
        if self.upper:
            L, gL = L.mH, gL.mH
        gA = L.mH.matmul(gL).tril()
        gA = 0.5 * (gA + gA.tril(-1).mH)
        gA = solve_triangular(L.mH, gA, upper=True, left=True)
        gA = solve_triangular(L, gA, upper=False, left=False)
        return (gA,)


def cholesky_ex(A, *, upper=False, check_errors=False, out=None):
    _check_float(A, "linalg.cholesky", "cholesky_cpu")
    _check_square(A, "linalg.cholesky")
    return linalg_cholesky_ex(apply(LinalgCholeskyExBackward0, (A,), bool(upper), bool(check_errors)))


def cholesky(A, *, upper=False, out=None):
    _check_float(A, "linalg.cholesky", "cholesky_cpu")
    _check_square(A, "linalg.cholesky")
    return apply(LinalgCholeskyExBackward0, (A,), bool(upper), True)[0]


# -- qr ------------------------------------------------------------------------------------------

class LinalgQrBackward0(Node):
    __slots__ = ("mode",)
    SAVES_OUTPUT = True

    def forward(self, a, mode):
        self.mode = mode
        xp = xp_of(a)
        if mode == "r":
            r = xp.linalg.qr(a, mode="r")
            return xp.zeros((0,), dtype=a.dtype), xp.ascontiguousarray(r)
        q, r = xp.linalg.qr(a, mode=mode)
        return xp.ascontiguousarray(q), xp.ascontiguousarray(r)

    def backward(self, gQ, gR):
        if self.mode == "r":
            raise RuntimeError("The derivative of linalg.qr depends on Q, which is not computed when mode='r'. Please "
                               "use linalg.qr(A, mode='reduced') if you are going to differentiate through linalg.qr.")
        Q, R = self.out
        m, n = Q.shape[-2], R.shape[-1]
        if self.mode == "complete" and m > n:
            raise RuntimeError("The QR decomposition is not differentiable when mode='complete' and nrows > ncols.")
        if gQ is None and gR is None:
            return (None,)
        if gQ is not None:
            gA = -(Q.mH.matmul(gQ))
            if gR is not None:
                gA = gR.matmul(R.mH) + gA
        else:
            gA = gR.matmul(R.mH)
        if m >= n:
            sym = gA.triu()
            sym = sym + sym.mH
            sym = sym - (sym.diagonal(0, -2, -1) * 0.5).diag_embed()
            gA = Q.matmul(sym)
            if gQ is not None:
                gA = gA + gQ
            return (solve_triangular(R.mH, gA, upper=False, left=False),)
        X = -gA
        skew = (X - X.mH).tril()
        gA = Q.matmul(skew)
        gA = solve_triangular(R.narrow(-1, 0, m).mH, gA, upper=False, left=False)
        from .ops.creation import zeros
        gA = _cat([gA, zeros(tuple(R.shape[:-1]) + (n - m,), dtype=gA.dtype, device=gA.device)], -1)
        if gR is not None:
            gA = gA + Q.matmul(gR)
        return (gA,)


def qr(A, mode="reduced", *, out=None):
    if mode not in ("reduced", "complete", "r"):
        raise RuntimeError(f"qr received unrecognized mode '{mode}' but expected one of 'reduced' (default), 'r', or "
                           "'complete'")
    _check_matrix(A, "linalg.qr")
    _check_float(A, "linalg.qr", "geqrf_cpu")
    return linalg_qr(apply(LinalgQrBackward0, (A,), mode))


# -- eigh / eigvalsh -----------------------------------------------------------------------------

def _check_uplo(UPLO):
    if UPLO not in ("L", "U", "l", "u"):
        raise RuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {UPLO}")
    return UPLO.upper()


def _eig_grad(gL, gV, L, V):
    """torch's linalg_eig_backward for a Hermitian (here real symmetric) matrix."""
    Vh = V.mH
    if gV is None:
        return V.matmul(gL.unsqueeze(-1) * Vh)
    VhgV = Vh.matmul(gV)
    VhgV = 0.5 * (VhgV - VhgV.mH)
    E = L.unsqueeze(-2) - L.unsqueeze(-1)
    E = E + (L * 0 + 1).diag_embed()
    gA = VhgV / E
    gA = gA - gA.diagonal(0, -2, -1).diag_embed()
    if gL is not None:
        gA = gA + gL.diag_embed()
    return V.matmul(gA.matmul(Vh))


class LinalgEighBackward0(Node):
    __slots__ = ()
    SAVES_OUTPUT = True

    def forward(self, a, uplo):
        xp = xp_of(a)
        w, v = xp.linalg.eigh(a, UPLO=uplo)
        return w.astype(_real_np(a), copy=False), v

    def backward(self, gL, gV):
        L, V = self.out
        return (_eig_grad(gL, gV, L, V),)


def _eigh_checks(A, name, UPLO):
    _check_square(A, name)
    _check_float(A, name, "linalg_eigh_cpu")
    return _check_uplo(UPLO)


def _int_eigh(A):
    if not _is_fc(A._data):
        raise NotImplementedError(f"\"linalg_eigh_cpu\" not implemented for '{A.dtype._short}'")


def eigh(A, UPLO="L", *, out=None):
    _int_eigh(A)
    uplo = _eigh_checks(A, "linalg.eigh", UPLO)
    return linalg_eigh(apply(LinalgEighBackward0, (A,), uplo))


def eigvalsh(A, UPLO="L", *, out=None):
    _int_eigh(A)
    uplo = _eigh_checks(A, "linalg.eigh", UPLO)
    if A.requires_grad:
        return apply(LinalgEighBackward0, (A,), uplo)[0]
    xp = xp_of(A._data)
    return wrap(xp.linalg.eigvalsh(A._data, UPLO=uplo).astype(_real_np(A._data), copy=False))


# -- eig / eigvals (complex results; forward only) --------------------------------------------

class LinalgEigBackward0(Node):
    __slots__ = ()

    def forward(self, a):
        xp = xp_of(a)
        cdt = np.result_type(a.dtype, np.complex64)
        w, v = xp.linalg.eig(a)
        return w.astype(cdt, copy=False), v.astype(cdt, copy=False)

    def backward(self, gL, gV):
        raise NotImplementedError("ember: the derivative of linalg.eig / linalg.eigvals is not implemented")


def eig(A, *, out=None):
    _check_square(A, "linalg.eig")
    if not _is_fc(A._data):
        raise RuntimeError(f"Unknown Complex ScalarType for {A.dtype._short}")
    _check_float(A, "linalg.eig", "linalg_eig_out_cpu")
    return linalg_eig(apply(LinalgEigBackward0, (A,)))


def eigvals(A, *, out=None):
    return eig(A)[0]


# -- svd / svdvals -------------------------------------------------------------------------------

def _svd_grad(gU, gS, gVh, U, S, Vh):
    """torch's svd_backward (real case; distinct, non-zero singular values when U or Vh is used)."""
    m, n = U.shape[-2], Vh.shape[-1]
    if gU is None and gVh is None:
        if gS is None:
            return None
        return U.matmul(gS.unsqueeze(-1) * Vh) if m >= n else (U * gS.unsqueeze(-2)).matmul(Vh)
    UhgU = VhgV = None
    if gU is not None:
        UhgU = U.mH.matmul(gU)
        UhgU = UhgU - UhgU.mH
    if gVh is not None:
        VhgV = Vh.matmul(gVh.mH)
        VhgV = VhgV - VhgV.mH
    S2 = S * S
    E = S2.unsqueeze(-2) - S2.unsqueeze(-1) + (S * 0 + 1).diag_embed()
    if UhgU is not None and VhgV is not None:
        gA = (UhgU * S.unsqueeze(-2) + S.unsqueeze(-1) * VhgV) / E
    elif UhgU is not None:
        gA = (UhgU / E) * S.unsqueeze(-2)
    else:
        gA = S.unsqueeze(-1) * (VhgV / E)
    if gS is not None:
        gA = gA + gS.diag_embed()
    if m > n and gU is not None:
        gA = U.matmul(gA)
        gUSinv = gU / S.unsqueeze(-2)
        gA = gA + gUSinv - U.matmul(U.mH.matmul(gUSinv))
        return gA.matmul(Vh)
    if m < n and gVh is not None:
        gA = gA.matmul(Vh)
        SinvgVh = gVh / S.unsqueeze(-1)
        gA = gA + SinvgVh - SinvgVh.matmul(Vh.mH).matmul(Vh)
        return U.matmul(gA)
    return U.matmul(gA.matmul(Vh)) if m >= n else U.matmul(gA).matmul(Vh)


class LinalgSvdBackward0(Node):
    __slots__ = ("full",)
    SAVES_OUTPUT = True

    def forward(self, a, full):
        self.full = full
        xp = xp_of(a)
        u, s, vh = xp.linalg.svd(a, full_matrices=full)
        return u, s.astype(_real_np(a), copy=False), vh

    def backward(self, gU, gS, gVh):
        U, S, Vh = self.out
        if self.full:
            k = S.shape[-1]
            U, Vh = U.narrow(-1, 0, k), Vh.narrow(-2, 0, k)
            gU = gU.narrow(-1, 0, k) if gU is not None else None
            gVh = gVh.narrow(-2, 0, k) if gVh is not None else None
        return (_svd_grad(gU, gS, gVh, U, S, Vh),)


def svd(A, full_matrices=True, *, driver=None, out=None):
    _check_matrix(A, "linalg.svd")
    _check_float(A, "linalg.svd", "linalg_svd_cpu")
    return linalg_svd(apply(LinalgSvdBackward0, (A,), bool(full_matrices)))


def svdvals(A, *, driver=None, out=None):
    _check_matrix(A, "linalg.svd")
    _check_float(A, "linalg.svd", "linalg_svd_cpu")
    if A.requires_grad:
        return apply(LinalgSvdBackward0, (A,), False)[1]
    a = A._data
    return wrap(xp_of(a).linalg.svd(a, compute_uv=False).astype(_real_np(a), copy=False))


# -- pinv / matrix_rank --------------------------------------------------------------------------

def _tol_arrays(a, atol, rtol, s_max):
    """torch's tolerance max(atol, rtol * sigma_max) per matrix, as a host array of the batch shape."""
    def val(x):
        if x is None:
            return None
        return np.asarray(_host(x._data) if isinstance(x, Tensor) else x, dtype=np.float64)
    at, rt = val(atol), val(rtol)
    if rt is None:
        m, n = a.shape[-2:]
        rt = np.zeros(()) if (at is not None and np.all(at > 0)) else np.asarray(_eps(a) * builtins.max(m, n))
    if at is None:
        at = np.zeros(())
    return np.maximum(at, rt * s_max)


class LinalgPinvBackward0(Node):
    __slots__ = ()
    SAVES_INPUTS = True
    SAVES_OUTPUT = True

    def forward(self, a, atol, rtol, hermitian):
        xp = xp_of(a)
        if a.size == 0:
            return xp.zeros(a.shape[:-2] + (a.shape[-1], a.shape[-2]), dtype=a.dtype)
        if hermitian:
            w, v = xp.linalg.eigh(a)
            aw = xp.abs(w)
            tol = _tol_arrays(a, atol, rtol, _host(aw.max(axis=-1)))
            keep = aw > xp.asarray(tol[..., None], dtype=aw.dtype)
            winv = xp.where(keep, 1 / xp.where(keep, w, 1), 0).astype(a.dtype, copy=False)
            return (v * winv[..., None, :]) @ v.swapaxes(-1, -2).conj()
        u, s, vh = xp.linalg.svd(a, full_matrices=False)
        tol = _tol_arrays(a, atol, rtol, _host(s[..., 0]) if s.shape[-1] else np.zeros(s.shape[:-1]))
        keep = s > xp.asarray(tol[..., None], dtype=s.dtype)
        sinv = xp.where(keep, 1 / xp.where(keep, s, 1), 0).astype(a.dtype, copy=False)
        return (vh.swapaxes(-1, -2).conj() * sinv[..., None, :]) @ u.swapaxes(-1, -2).conj()

    def backward(self, g):
        return (_pinv_grad(g, self.out, self.inputs[0]),)


def _pinv_grad(grad, pinvA, A):
    m, n = A.shape[-2], A.shape[-1]
    pinvAh = pinvA.mH
    gradh = grad.mH
    if m <= n:
        K = gradh.matmul(pinvA)
        KpinvAh = K.matmul(pinvAh)
        return (-(pinvA.matmul(K)).mH + KpinvAh - A.matmul(pinvA).matmul(KpinvAh)
                + pinvAh.matmul(pinvA).matmul(gradh - K.matmul(A)))
    K = pinvA.matmul(gradh)
    pinvAhK = pinvAh.matmul(K)
    return (-(K.matmul(pinvA)).mH + pinvAhK - pinvAhK.matmul(pinvA).matmul(A)
            + (gradh - A.matmul(K)).matmul(pinvA).matmul(pinvAh))


def pinv(A, rcond=None, hermitian=False, *, atol=None, rtol=None, out=None):
    a = A._data
    if a.ndim < 2 or not (a.dtype.kind in "fc" and a.dtype not in _HALF):
        raise RuntimeError(f"linalg.pinv({A.dtype._short}{{{list(a.shape)}}}): expected a tensor with 2 or more "
                           "dimensions of float, double, cfloat or cdouble types")
    if rcond is not None:
        rtol = rcond
    return apply(LinalgPinvBackward0, (A,), atol, rtol, bool(hermitian))


def matrix_rank(A, tol=None, hermitian=False, *, atol=None, rtol=None, out=None):
    a = A._data
    if a.ndim < 2:
        raise RuntimeError("torch.linalg.matrix_rank: The input tensor input must have at least 2 dimensions.")
    if not (a.dtype.kind in "fc" and a.dtype not in _HALF):
        raise RuntimeError("This function doesn't handle types other than float and double")
    if tol is not None:
        atol, rtol = tol, 0.0
    xp = xp_of(a)
    if a.size == 0:
        return wrap(xp.zeros(a.shape[:-2], dtype=np.int64))
    s = xp.abs(xp.linalg.eigvalsh(a)) if hermitian else xp.linalg.svd(a, compute_uv=False)
    tol_ = _tol_arrays(a, atol, rtol, _host(s.max(axis=-1)))
    r = (s > xp.asarray(tol_[..., None], dtype=s.dtype)).sum(axis=-1).astype(np.int64)
    return wrap(xp.asarray(r))


# -- lstsq ---------------------------------------------------------------------------------------

class LinalgLstsqBackward0(Node):
    __slots__ = ("vec", "sa", "sb", "has_res")
    SAVES_INPUTS = True
    SAVES_OUTPUT = True
    NON_DIFF_OUTPUTS = (2, 3)

    def forward(self, a, b, rcond, driver, vec):
        self.vec, self.sa, self.sb = vec, a.shape, b.shape
        xp = xp_of(a)
        bm = b[..., None] if vec else b
        m, n = a.shape[-2:]
        u, s, vh = xp.linalg.svd(a, full_matrices=False)
        rt = _eps(a) * builtins.max(m, n) if rcond is None or rcond < 0 else rcond
        smax = s[..., :1] if s.shape[-1] else xp.zeros(s.shape[:-1] + (1,), s.dtype)
        keep = s > s.dtype.type(rt) * smax
        sinv = xp.where(keep, 1 / xp.where(keep, s, 1), 0).astype(a.dtype, copy=False)
        x = vh.swapaxes(-1, -2).conj() @ (sinv[..., :, None] * (u.swapaxes(-1, -2).conj() @ bm))
        rank = keep.sum(axis=-1).astype(np.int64)
        empty = xp.zeros((0,), dtype=_real_np(a))
        res = empty
        self.has_res = False
        if driver != "gelsy" and m > n and bool((rank == n).all()):
            r = a @ x - bm
            res = (xp.abs(r) ** 2).sum(axis=-2).astype(_real_np(a), copy=False)
            if vec:
                res = res[..., 0]
            self.has_res = True
        if vec:
            x = x[..., 0]
        sv = s.astype(_real_np(a), copy=False) if driver in ("gelsd", "gelss") else empty
        if driver == "gels":
            rank = xp.zeros((0,), dtype=np.int64)
        return x, res, rank, sv

    def backward(self, gX, gRes, g_rank=None, g_sv=None):
        A, B = self.inputs
        e = self.next_edges
        X = self.out[0]
        mat = (lambda t: t.unsqueeze(-1)) if self.vec else (lambda t: t)
        Bm, Xm = mat(B), mat(X)
        gA = gB = None
        if gX is not None:
            gXm = mat(gX)
            pA = pinv(A)
            if e[0] is not None:
                gA = _pinv_grad(gXm.matmul(Bm.mH), pA, A)
            if e[1] is not None:
                gB = pA.mH.matmul(gXm)
        if gRes is not None and self.has_res:
            r = A.matmul(Xm) - Bm
            gl = gRes.unsqueeze(-1).unsqueeze(-2) if self.vec else gRes.unsqueeze(-2)
            if e[0] is not None:
                t = (gl * r).matmul(Xm.mH) * 2
                gA = t if gA is None else gA + t
            if e[1] is not None:
                t = gl * r * (-2)
                gB = t if gB is None else gB + t
        if gA is not None:
            gA = sum_to(gA, self.sa)
        if gB is not None:
            gB = sum_to(gB.squeeze(-1) if self.vec else gB, self.sb)
        return gA, gB


def lstsq(A, B, rcond=None, *, driver=None):
    for t in (A, B):
        if not (t._data.dtype.kind in "fc" and t._data.dtype not in _HALF):
            raise RuntimeError("This function doesn't handle types other than float and double")
    if A._data.dtype != B._data.dtype:
        raise RuntimeError(f"torch.linalg.lstsq: Expected input and other to have the same dtype, but got input's "
                           f"dtype {A.dtype._short} and other's dtype {B.dtype._short}")
    _check_matrix(A, "torch.linalg.lstsq", "input")
    if driver is None:
        driver = "gelsy"
    if driver not in ("gels", "gelsy", "gelsd", "gelss"):
        raise RuntimeError(f"torch.linalg.lstsq: parameter `driver` should be one of (gels, gelsy, gelsd, gelss)")
    vec = _is_vector_rhs(A, B)
    sb = tuple(B._data.shape) + ((1,) if vec else ())
    if len(sb) < 2:
        raise RuntimeError("torch.linalg.lstsq: input.dim() must be greater or equal to other.dim() and "
                           "(input.dim() - other.dim()) <= 1")
    if sb[-2] != A._data.shape[-2]:
        raise RuntimeError("torch.linalg.lstsq: input.size(-2) should match other.size(-2)")
    return linalg_lstsq(apply(LinalgLstsqBackward0, (A, B), rcond, driver, vec))


# -- matrix_power / matrix_exp -------------------------------------------------------------------

def matrix_power(A, n, *, out=None):
    _check_square(A, "linalg.matrix_power")
    n = int(n)
    if n == 0:
        from .ops.creation import eye
        e = eye(A._data.shape[-1], dtype=A.dtype, device=A.device)
        return A.clone().copy_(e.expand(A.shape))
    a = A
    if n < 0:
        a = inv(A)
        n = -n
        if n == 1:
            return a
    if n == 1:
        return a.clone()
    if n == 2:
        return matmul(a, a)
    if n == 3:
        return matmul(matmul(a, a), a)
    z = result = None
    while n > 0:
        bit = n % 2
        n //= 2
        z = a if z is None else matmul(z, z)
        if bit:
            result = z if result is None else matmul(result, z)
    return result


def _expm(a):
    """exp of a batch of matrices: scaling and squaring with a degree-18 Taylor polynomial."""
    xp = xp_of(a)
    dt = a.dtype
    w = a.astype(np.float32) if dt in _HALF else a
    n = w.shape[-1]
    if w.size == 0:
        return a.copy()
    norm1 = xp.abs(w).sum(axis=-2).max(axis=-1).astype(np.float64)
    s = xp.maximum(0, xp.ceil(xp.log2(xp.maximum(norm1, 1e-300) / 0.5))).astype(np.int64)
    s = xp.where(norm1 > 0, s, 0)
    x = w * (2.0 ** -s).astype(w.real.dtype)[..., None, None]
    eye = xp.eye(n, dtype=w.dtype)
    term = eye + 0 * x
    out = term.copy()
    for k in range(1, 19):
        term = (term @ x) / w.real.dtype.type(k)
        out = out + term
    smax = int(_host(s).max()) if s.size else 0
    for i in range(smax):
        sq = out @ out
        out = xp.where((s > i)[..., None, None], sq, out)
    return out.astype(dt, copy=False)


class LinalgMatrixExpBackward0(Node):
    __slots__ = ()
    SAVES_INPUTS = True

    def forward(self, a):
        return _expm(a)

    def backward(self, g):
        # torch's linalg_matrix_exp_differential(A, g, adjoint=True): exp([[A^H, g], [0, A^H]]) upper-right block
        A = self.inputs[0]
        n = A.shape[-1]
        Ah = A.mH
        z = Ah * 0
        M = _cat([_cat([Ah, g], -1), _cat([z, Ah], -1)], -2)
        return (matrix_exp(M).narrow(-2, 0, n).narrow(-1, n, n),)


def matrix_exp(A):
    _check_float(A, "linalg.matrix_exp")
    _check_square(A, "linalg.matrix_exp")
    return apply(LinalgMatrixExpBackward0, (A,))


# -- norms ---------------------------------------------------------------------------------------

def _norm_dtype(x, dtype, name):
    if dtype is None:
        return x
    d = _dtype.to_dtype(dtype)
    if _dtype.promote_types(x.dtype, d) is not d:
        raise RuntimeError(f"{name}: the dtype of the input ({x.dtype._short}) should be convertible without narrowing "
                           f"to the specified dtype ({d._short})")
    return x if x.dtype is d else x.to(d)


def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None, out=None):
    if not _is_fc(x._data):
        raise RuntimeError("linalg.vector_norm: Expected a floating point or complex tensor as input. Got "
                           f"{x.dtype._short}")
    if isinstance(ord, Tensor):
        ord = ord.item()
    x = _norm_dtype(x, dtype, "linalg.vector_norm")
    return _red._vector_norm(x, float(ord), _red._reduce_dims(x, dim), keepdim)


def _fmt_ord(o):
    if isinstance(o, str):
        return o
    o = float(o)
    return str(int(o)) if o.is_integer() else ("inf" if o == math.inf else "-inf" if o == -math.inf else str(o))


def _maxmin(t, dim, keepdim, positive, shown):
    """amax for positive orders, amin for negative ones; over an empty dim a positive order gives 0
    (every norm is non-negative) and a negative one raises amin's error, as in torch."""
    if t._data.shape[wrap_dim(dim, t._data.ndim)] == 0:
        if positive:
            return t.sum(dim, keepdim=keepdim)
        raise IndexError(f"amin(): Expected reduction dim {shown} to have non-zero size.")
    return t.amax(dim, keepdim=keepdim) if positive else t.amin(dim, keepdim=keepdim)


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None, out=None):
    if isinstance(ord, str):
        if ord not in ("fro", "nuc"):
            raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")
        low_ok = ord != "nuc"
        absord = None
    else:
        absord = abs(float(ord))
        if absord not in (1.0, 2.0, math.inf):
            raise RuntimeError(f"linalg.matrix_norm: Order {_fmt_ord(ord)} not supported.")
        low_ok = absord != 2.0
    _check_matrix(A, "linalg.matrix_norm")
    _check_float(A, "linalg.matrix_norm", None if low_ok else "lp")
    dim = [dim] if isinstance(dim, int) else list(dim)
    if len(dim) != 2:
        raise RuntimeError("linalg.matrix_norm: dim must be a 2-tuple. Got " + " ".join(str(d) for d in dim))
    d0, d1 = (wrap_dim(d, A._data.ndim) for d in dim)
    if d0 == d1:
        raise RuntimeError(f"linalg.matrix_norm: dims must be different. Got ({d0}, {d1})")
    if ord == "fro":
        return vector_norm(A, 2, (d0, d1), keepdim, dtype=dtype)
    if ord == "nuc" or absord == 2.0:
        Ad = _norm_dtype(A, dtype, "linalg.matrix_norm")
        nd = Ad._data.ndim
        perm = [i for i in range(nd) if i not in (d0, d1)] + [d0, d1]
        sv = svdvals(Ad.permute(tuple(perm)))
        if ord == "nuc":
            r = sv.sum(-1, keepdim=keepdim)
        else:
            r = _maxmin(sv, -1, keepdim, float(ord) > 0, -1)
        if keepdim:
            inv_perm = [perm.index(i) for i in range(nd)]
            r = r.unsqueeze(-1).permute(tuple(inv_perm))
        return r
    if absord == math.inf:
        d0, d1 = d1, d0
    if not keepdim and d0 < d1:
        d1 -= 1
    s = vector_norm(A, 1.0, (d0,), keepdim, dtype=dtype)
    return _maxmin(s, d1, keepdim, float(ord) > 0, d1)


def norm(A, ord=None, dim=None, keepdim=False, *, dtype=None, out=None):
    if dim is not None:
        dims = [dim] if isinstance(dim, int) else list(dim)
        if len(dims) not in (1, 2):
            raise RuntimeError(f"linalg.norm: If dim is specified, it must be of length 1 or 2. Got {dims}")
    else:
        dims = None
        if ord is not None and A._data.ndim not in (1, 2):
            raise RuntimeError(f"linalg.norm: If dim is not specified but ord is, the input must be 1D or 2D. Got "
                               f"{A._data.ndim}D.")
    if isinstance(ord, str):
        return matrix_norm(A, ord, dims if dims is not None else (0, 1), keepdim, dtype=dtype)
    if ord is not None and ((dims is not None and len(dims) == 2) or (dims is None and A._data.ndim == 2)):
        return matrix_norm(A, ord, dims if dims is not None else (0, 1), keepdim, dtype=dtype)
    return vector_norm(A, 2 if ord is None else ord, dims, keepdim, dtype=dtype)


# -- products and aliases ------------------------------------------------------------------------

def vecdot(x, y, *, dim=-1, out=None):
    if not _is_fc(x._data):
        raise RuntimeError(f"linalg.vecdot: Expected a floating point or complex tensor as input. Got {x.dtype._short}")
    if x._data.dtype != y._data.dtype:
        raise RuntimeError(f"linalg.vecdot: Expected x and y to have the same dtype, but found x of type "
                           f"{x.dtype._short} and y of type {y.dtype._short} instead")
    if x._data.ndim == 1 and y._data.ndim == 1:
        return _dot(x, y)
    if x._data.dtype.kind == "c":  # x^H y; ember has no differentiable conj yet, so x's gradient is not tracked
        x = wrap(x._data.conj())
    return (x * y).sum(dim)


def diagonal(A, *, offset=0, dim1=-2, dim2=-1):
    return _diagonal(A, offset, dim1, dim2)


__all__ = """LinAlgError vector_norm matrix_norm norm cross multi_dot vecdot matmul diagonal inv inv_ex det slogdet
    solve solve_ex solve_triangular cholesky cholesky_ex qr eigh eigvalsh eig eigvals svd svdvals pinv matrix_rank
    lstsq matrix_power matrix_exp""".split()


# -- the older torch.* / Tensor.* spellings of the same functions ----------------------------------------

_svd_result = _make("svd", ("U", "S", "V"))
_qr_result = _make("qr", ("Q", "R"))
_rt.svd, _rt.qr = _svd_result, _qr_result


def _legacy_svd(input, some=True, compute_uv=True, *, out=None):
    """torch.svd: returns V (not Vh); reduced unless some=False; zeros for U, V without compute_uv."""
    if not compute_uv:
        from .ops.creation import zeros
        S = svdvals(input)
        m, n = input.shape[-2:]
        U = zeros(tuple(input.shape[:-2]) + (m, m if not some else min(m, n)), dtype=input.dtype)
        V = zeros(tuple(input.shape[:-2]) + (n, n if not some else min(m, n)), dtype=input.dtype)
        return _svd_result((U, S, V))
    U, S, Vh = svd(input, full_matrices=not some)
    return _svd_result((U, S, Vh.mT))


def _legacy_qr(input, some=True, *, out=None):
    Q, R = qr(input, mode="reduced" if some else "complete")
    return _qr_result((Q, R))


def _legacy_cholesky(input, upper=False, *, out=None):
    return cholesky(input, upper=upper)


def _pinverse(input, rcond=1e-15):
    return pinv(input, rtol=rcond)


apply_autocast_policy(globals())  # vecdot, multi_dot, norms, cholesky... follow torch's autocast lists

# torch's out= for the functions here that compute their result only (see ops/_util.with_out)
for _name in """cholesky cholesky_ex cross det eig eigh eigvals eigvalsh inv inv_ex matrix_norm matrix_power
        matrix_rank multi_dot norm pinv qr slogdet solve solve_ex solve_triangular svd svdvals vecdot vector_norm
        _legacy_svd _legacy_qr _legacy_cholesky""".split():
    globals()[_name] = with_out(globals()[_name])

LEGACY = {"det": det, "logdet": logdet, "slogdet": slogdet, "inverse": inv, "pinverse": _pinverse,
          "matrix_power": matrix_power, "matrix_exp": matrix_exp, "cholesky": _legacy_cholesky,
          "qr": _legacy_qr, "svd": _legacy_svd}


def _bind_legacy():
    from ._tensor import Tensor
    for name, fn in LEGACY.items():
        setattr(Tensor, name, fn)


_bind_legacy()
