"""ember.linalg against torch.linalg: values, dtypes, batching, gradients, gradcheck, errors."""
import math

import numpy as np
import pytest

import ember
from ember.autograd import gradcheck, gradgradcheck
from tests.helpers import needs_torch, assert_close, raises_like, torch

L = ember.linalg
RNG = np.random.default_rng(1234)


def _arr(shape, dtype=np.float64, seed=None):
    rng = RNG if seed is None else np.random.default_rng(seed)
    return rng.standard_normal(shape).astype(dtype)


def _wellcond(shape, dtype=np.float64, seed=None):
    """Batches of well-conditioned square matrices."""
    n = shape[-1]
    return (_arr(shape, np.float64, seed) + 3 * np.eye(n)).astype(dtype)


def _spd(shape, dtype=np.float64, seed=None):
    x = _arr(shape, np.float64, seed)
    return (x @ np.swapaxes(x, -1, -2) + shape[-1] * np.eye(shape[-1])).astype(dtype)


def _sym_distinct(shape, dtype=np.float64, seed=None):
    """Symmetric matrices with well separated eigenvalues."""
    n = shape[-1]
    q, _ = np.linalg.qr(_arr(shape, np.float64, seed))
    w = np.arange(1, n + 1, dtype=np.float64) * 1.5 - 2.0
    return ((q * w[..., None, :]) @ np.swapaxes(q, -1, -2)).astype(dtype)


def _e(a, rg=False):
    return ember.tensor(np.array(a), requires_grad=rg)


def _t(a, rg=False):
    return torch.tensor(np.array(a), requires_grad=rg)


# -- namespace ---------------------------------------------------------------------------------

def test_namespace_and_error_class():
    assert ember.linalg is L
    assert issubclass(L.LinAlgError, RuntimeError)
    for name in ["vector_norm", "matrix_norm", "norm", "cross", "multi_dot", "vecdot", "matmul", "diagonal", "inv",
                 "inv_ex", "det", "slogdet", "solve", "solve_ex", "solve_triangular", "cholesky", "cholesky_ex", "qr",
                 "eigh", "eigvalsh", "eig", "eigvals", "svd", "svdvals", "pinv", "matrix_rank", "lstsq",
                 "matrix_power", "matrix_exp"]:
        assert callable(getattr(L, name)), name


# -- norms -------------------------------------------------------------------------------------

@needs_torch
@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_vector_norm_values(dt):
    a = _arr((2, 3, 4), dt)
    a[0, 1, 2] = 0.0
    e, t = _e(a), _t(a)
    for ord in [2, 1, 3, 0.5, 0, math.inf, -math.inf, -1, -2.5]:
        for dim in [None, -1, 0, (0, 2), (1,)]:
            for keepdim in [False, True]:
                assert_close(L.vector_norm(e, ord, dim, keepdim), torch.linalg.vector_norm(t, ord, dim, keepdim),
                             rtol=1e-5, atol=1e-5)
    assert_close(L.vector_norm(e, dtype=ember.float64), torch.linalg.vector_norm(t, dtype=torch.float64))
    h = _arr((5,), np.float16)
    assert_close(L.vector_norm(_e(h), 3), torch.linalg.vector_norm(_t(h), 3), rtol=1e-3, atol=1e-3)


@needs_torch
@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_matrix_norm_values(dt):
    a = _arr((2, 3, 4), dt)
    e, t = _e(a), _t(a)
    for ord in ["fro", "nuc", math.inf, -math.inf, 1, -1, 2, -2]:
        for dim in [(-2, -1), (0, 2), (2, 0), (1, 0)]:
            for keepdim in [False, True]:
                assert_close(L.matrix_norm(e, ord, dim, keepdim), torch.linalg.matrix_norm(t, ord, dim, keepdim),
                             rtol=1e-4, atol=1e-5)
    assert_close(L.matrix_norm(e, "nuc", dtype=ember.float64), torch.linalg.matrix_norm(t, "nuc", dtype=torch.float64))
    h = _arr((3, 3), np.float16)
    assert_close(L.matrix_norm(_e(h), 1), torch.linalg.matrix_norm(_t(h), 1), rtol=1e-3, atol=1e-3)


@needs_torch
def test_norm_dispatch():
    m, v, c = _arr((3, 4)), _arr((5,)), _arr((2, 3, 4))
    for x in (m, v, c):
        assert_close(L.norm(_e(x)), torch.linalg.norm(_t(x)))
    for ord in [None, "fro", "nuc", 1, -1, 2, -2, math.inf, -math.inf]:
        assert_close(L.norm(_e(m), ord), torch.linalg.norm(_t(m), ord), rtol=1e-6)
        assert_close(L.norm(_e(c), ord, (0, 2), True), torch.linalg.norm(_t(c), ord, (0, 2), True), rtol=1e-6)
    for ord in [None, 1, 3, 0, math.inf]:
        assert_close(L.norm(_e(v), ord), torch.linalg.norm(_t(v), ord))
        assert_close(L.norm(_e(c), ord, 1), torch.linalg.norm(_t(c), ord, 1))
        assert_close(L.norm(_e(c), ord, (2,), keepdim=True), torch.linalg.norm(_t(c), ord, (2,), keepdim=True))
    assert type(L.norm(_e(m, True), 2).grad_fn).__name__ == "AmaxBackward0"
    assert type(L.norm(_e(m, True), "nuc").grad_fn).__name__ == "SumBackward1"
    assert type(L.norm(_e(m, True)).grad_fn).__name__ == "LinalgVectorNormBackward0"


@needs_torch
def test_norm_errors():
    f32 = np.ones((3, 3), np.float32)
    cases = [
        (lambda m: m.linalg.vector_norm(m.ones(3, dtype=m.long))),
        (lambda m: m.linalg.vector_norm(m.ones(3, dtype=m.float64), dtype=m.float32)),
        (lambda m: m.linalg.matrix_norm(m.ones(3))),
        (lambda m: m.linalg.matrix_norm(m.ones(3, 3, dtype=m.long))),
        (lambda m: m.linalg.matrix_norm(m.ones(3, 3), ord=3)),
        (lambda m: m.linalg.matrix_norm(m.ones(3, 3), ord="foo")),
        (lambda m: m.linalg.matrix_norm(m.ones(3, 3, 3), dim=(0, 1, 2))),
        (lambda m: m.linalg.matrix_norm(m.ones(3, 3, 3), dim=(0, 0))),
        (lambda m: m.linalg.matrix_norm(m.ones(3, 3, dtype=m.half), 2)),
        (lambda m: m.linalg.norm(m.ones(3, 3, 3), 2)),
        (lambda m: m.linalg.norm(m.ones(3), "fro")),
        (lambda m: m.linalg.norm(m.ones(3, 3, 3), dim=(0, 1, 2))),
        (lambda m: m.linalg.norm(m.ones(3, dtype=m.long))),
        (lambda m: m.linalg.vecdot(m.ones(3, dtype=m.long), m.ones(3, dtype=m.long))),
        (lambda m: m.linalg.vecdot(m.ones(3), m.ones(3, dtype=m.float64))),
        (lambda m: m.linalg.vecdot(m.ones(3), m.ones(2))),
    ]
    del f32
    for f in cases:
        raises_like(lambda: f(torch), lambda: f(ember))


@needs_torch
def test_norm_grads_vs_torch():
    a = _arr((2, 3, 4))
    w = _arr((2,))
    for fn in [lambda m, x: m.linalg.vector_norm(x, 3, (1, 2)), lambda m, x: m.linalg.vector_norm(x, math.inf, (1, 2)),
               lambda m, x: m.linalg.matrix_norm(x, "nuc"), lambda m, x: m.linalg.matrix_norm(x, 2),
               lambda m, x: m.linalg.matrix_norm(x, -2), lambda m, x: m.linalg.matrix_norm(x, 1),
               lambda m, x: m.linalg.matrix_norm(x, -math.inf), lambda m, x: m.linalg.matrix_norm(x)]:
        e, t = _e(a, True), _t(a, True)
        (fn(ember, e) * _e(w)).sum().backward()
        (fn(torch, t) * _t(w)).sum().backward()
        assert_close(e.grad, t.grad, rtol=1e-6, atol=1e-8)


def test_norm_gradcheck():
    a = _e(_arr((3, 4)), True)
    assert gradcheck(lambda x: L.vector_norm(x, 3, -1), (a,))
    assert gradcheck(lambda x: L.vector_norm(x, 2, (0, 1)), (a,))
    assert gradgradcheck(lambda x: L.vector_norm(x, 2, -1), (a,))
    for ord in ["fro", "nuc", 2, -2, 1, -1, math.inf, -math.inf]:
        assert gradcheck(lambda x: L.matrix_norm(x, ord), (a,)), ord
    assert gradgradcheck(lambda x: L.matrix_norm(x, "nuc"), (a,))


# -- products and aliases ----------------------------------------------------------------------

@needs_torch
def test_products_and_aliases():
    a, b = _arr((2, 4, 3)), _arr((1, 4, 3))
    assert_close(L.cross(_e(a), _e(b)), torch.linalg.cross(_t(a), _t(b)))
    assert_close(L.cross(_e(a), _e(b), dim=2), torch.linalg.cross(_t(a), _t(b), dim=2))
    m1, m2, m3 = _arr((2, 3)), _arr((3, 4)), _arr((4,))
    assert_close(L.multi_dot([_e(m1), _e(m2), _e(m3)]), torch.linalg.multi_dot([_t(m1), _t(m2), _t(m3)]))
    x, y = _arr((2, 5)), _arr((3, 1, 5))
    assert_close(L.vecdot(_e(x), _e(y)), torch.linalg.vecdot(_t(x), _t(y)))
    assert_close(L.vecdot(_e(x), _e(x[0]), dim=1), torch.linalg.vecdot(_t(x), _t(x[0]), dim=1))
    assert_close(L.vecdot(_e(x[0]), _e(x[1])), torch.linalg.vecdot(_t(x[0]), _t(x[1])))
    assert_close(L.matmul(_e(a), _e(b[0].T)), torch.linalg.matmul(_t(a), _t(b[0].T)))
    assert_close(L.diagonal(_e(a)), torch.linalg.diagonal(_t(a)))
    assert_close(L.diagonal(_e(a), offset=1, dim1=0, dim2=2), torch.linalg.diagonal(_t(a), offset=1, dim1=0, dim2=2))
    e = _e(x, True)
    r = L.vecdot(e, _e(y))
    assert type(r.grad_fn).__name__ == "SumBackward1"
    assert gradcheck(lambda p, q: L.vecdot(p, q), (_e(x, True), _e(y, True)))


# -- inv / det / slogdet ------------------------------------------------------------------------

@needs_torch
@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_inv_det_slogdet_values(dt):
    a = _wellcond((2, 3, 4, 4), dt)
    a[0, 0] *= -1
    e, t = _e(a), _t(a)
    tol = dict(rtol=1e-4, atol=1e-5) if dt == np.float32 else dict(rtol=1e-10, atol=1e-12)
    assert_close(L.inv(e), torch.linalg.inv(t), **tol)
    ie = L.inv_ex(e)
    assert_close(ie.inverse, torch.linalg.inv_ex(t).inverse, **tol)
    assert_close(ie.info, torch.linalg.inv_ex(t).info)
    assert_close(L.det(e), torch.linalg.det(t), **tol)
    assert_close(tuple(L.slogdet(e)), tuple(torch.linalg.slogdet(t)), **tol)
    assert_close(ember.linalg.logdet(e), torch.logdet(t), **tol)
    # singular and empty
    s = np.array([[1., 2], [2, 4]], dt)
    assert_close(L.det(_e(s)), torch.linalg.det(_t(s)))
    assert_close(tuple(L.slogdet(_e(s))), tuple(torch.linalg.slogdet(_t(s))))
    assert_close(L.det(_e(np.ones((2, 0, 0), dt))), torch.linalg.det(_t(np.ones((2, 0, 0), dt))))
    assert_close(L.inv(_e(np.ones((2, 0, 0), dt))), torch.linalg.inv(_t(np.ones((2, 0, 0), dt))))
    info = L.inv_ex(_e(np.stack([np.eye(2, dtype=dt), s]))).info
    assert_close(info, torch.linalg.inv_ex(_t(np.stack([np.eye(2, dtype=dt), s]))).info)


@needs_torch
def test_inv_det_grads_vs_torch():
    a = _wellcond((2, 3, 3))
    w = _arr((2, 3, 3))
    wd = _arr((2,))
    for fn, wt in [(lambda m, x: m.linalg.inv(x), w), (lambda m, x: m.linalg.det(x), wd),
                   (lambda m, x: m.linalg.slogdet(x)[1], wd), (lambda m, x: m.linalg.inv_ex(x)[0], w)]:
        e, t = _e(a, True), _t(a, True)
        (fn(ember, e) * _e(wt)).sum().backward()
        (fn(torch, t) * _t(wt)).sum().backward()
        assert_close(e.grad, t.grad, rtol=1e-8, atol=1e-10)
    # torch's det gradient is zero where LU finds the matrix exactly singular
    for s in (np.array([[1., 2, 3], [4, 5, 6], [7, 8, 9]]), np.array([[1., 2], [2, 4]]), np.diag([1., 0, 2])):
        e, t = _e(s, True), _t(s, True)
        L.det(e).backward()
        torch.linalg.det(t).backward()
        assert_close(e.grad, t.grad, rtol=1e-6, atol=1e-8)


def test_inv_det_gradcheck():
    a = _e(_wellcond((2, 3, 3)), True)
    assert gradcheck(L.inv, (a,))
    assert gradgradcheck(L.inv, (a,))
    assert gradcheck(L.det, (a,))
    assert gradgradcheck(L.det, (a,))
    assert gradcheck(lambda x: L.slogdet(x).logabsdet, (a,))
    assert gradgradcheck(lambda x: L.slogdet(x).logabsdet, (a,))
    b = _e(_spd((3, 3)), True)
    assert gradcheck(L.logdet, (b,))


def test_grad_fn_names():
    a = _e(_wellcond((3, 3)), True)
    s = _e(_spd((3, 3)), True)
    r = _e(_arr((4, 3)), True)
    names = {
        "LinalgInvExBackward0": [L.inv(a), L.inv_ex(a)[0], L.matrix_power(a, -1)],
        "LinalgDetBackward0": [L.det(a)],
        "LinalgSlogdetBackward0": list(L.slogdet(a)),
        "WhereBackward0": [L.logdet(s)],
        "LinalgSolveExBackward0": [L.solve(a, r.mT), L.solve(a, r[0])],
        "LinalgCholeskyExBackward0": [L.cholesky(s), L.cholesky_ex(s)[0]],
        "LinalgQrBackward0": list(L.qr(r)),
        "LinalgEighBackward0": list(L.eigh(s)) + [L.eigvalsh(s)],
        "LinalgSvdBackward0": list(L.svd(r)) + [L.svdvals(r)],
        "LinalgPinvBackward0": [L.pinv(r), L.pinv(s, hermitian=True)],
        "LinalgLstsqBackward0": [L.lstsq(r, r).solution],
        "MmBackward0": [L.matrix_power(a, 2), L.matrix_power(a, 5)],
        "CloneBackward0": [L.matrix_power(a, 1)],
        "CopyBackwards": [L.matrix_power(a, 0)],
        "LinalgMatrixExpBackward0": [L.matrix_exp(a)],
        "LinalgSolveTriangularBackward0": [L.solve_triangular(a, r.mT, upper=True)],
        "LinalgCrossBackward0": [L.cross(r, r)],
    }
    for name, outs in names.items():
        for o in outs:
            assert type(o.grad_fn).__name__ == name, (name, o.grad_fn)
    assert L.inv_ex(a).info.grad_fn is None and L.inv_ex(a).info.dtype == ember.int32
    assert L.cholesky_ex(s).info.dtype == ember.int32
    assert L.matrix_rank(r).grad_fn is None


# -- solve -------------------------------------------------------------------------------------

@needs_torch
@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_solve_values(dt):
    tol = dict(rtol=1e-4, atol=1e-5) if dt == np.float32 else dict(rtol=1e-10, atol=1e-12)
    A = _wellcond((2, 3, 3), dt)
    for B in [_arr((2, 3, 4), dt), _arr((3, 4), dt), _arr((3,), dt), _arr((2, 3), dt), _arr((5, 1, 3, 2), dt)]:
        assert_close(L.solve(_e(A), _e(B)), torch.linalg.solve(_t(A), _t(B)), **tol)
    B = _arr((2, 4, 3), dt)
    assert_close(L.solve(_e(A), _e(B), left=False), torch.linalg.solve(_t(A), _t(B), left=False), **tol)
    r = L.solve_ex(_e(A), _e(B[0].T))
    assert_close(tuple(r), tuple(torch.linalg.solve_ex(_t(A), _t(B[0].T))), **tol)
    U = np.triu(A) + np.tril(_arr((3, 3), dt), -1)  # the strictly lower part must be ignored
    for upper, left, unit in [(True, True, False), (False, True, False), (True, False, True), (False, False, True)]:
        Bm = _arr((2, 3, 2), dt) if left else _arr((2, 2, 3), dt)
        assert_close(L.solve_triangular(_e(U), _e(Bm), upper=upper, left=left, unitriangular=unit),
                     torch.linalg.solve_triangular(_t(U), _t(Bm), upper=upper, left=left, unitriangular=unit), **tol)


@needs_torch
def test_solve_grads_vs_torch():
    A = _wellcond((2, 3, 3))
    for B, left in [(_arr((2, 3, 2)), True), (_arr((3,)), True), (_arr((4, 1, 2, 3)), False), (_arr((3, 2)), True)]:
        ea, eb, ta, tb = _e(A, True), _e(B, True), _t(A, True), _t(B, True)
        xe, xt = L.solve(ea, eb, left=left), torch.linalg.solve(ta, tb, left=left)
        w = _arr(tuple(xt.shape))
        (xe * _e(w)).sum().backward()
        (xt * _t(w)).sum().backward()
        assert_close(ea.grad, ta.grad, rtol=1e-8, atol=1e-10)
        assert_close(eb.grad, tb.grad, rtol=1e-8, atol=1e-10)


def test_solve_gradcheck():
    A = _e(_wellcond((2, 3, 3)), True)
    B = _e(_arr((3, 2)), True)
    v = _e(_arr((3,)), True)
    assert gradcheck(L.solve, (A, B))
    assert gradgradcheck(L.solve, (A, B))
    assert gradcheck(L.solve, (A, v))
    assert gradcheck(lambda a, b: L.solve(a, b, left=False), (A, _e(_arr((4, 3)), True)))
    T = _e(_wellcond((3, 3)), True)
    assert gradcheck(lambda a, b: L.solve_triangular(a, b, upper=True), (T, B))
    assert gradcheck(lambda a, b: L.solve_triangular(a, b, upper=False, left=False, unitriangular=True),
                     (T, _e(_arr((2, 3)), True)))
    assert gradgradcheck(lambda a, b: L.solve_triangular(a, b, upper=True), (T, B))


# -- cholesky ----------------------------------------------------------------------------------

@needs_torch
@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_cholesky_values(dt):
    tol = dict(rtol=1e-4, atol=1e-5) if dt == np.float32 else dict(rtol=1e-10, atol=1e-12)
    A = _spd((2, 3, 4, 4), dt)
    A_low = A + np.triu(_arr((4, 4), dt), 1)  # only one triangle is read
    A_up = A + np.tril(_arr((4, 4), dt), -1)
    assert_close(L.cholesky(_e(A_low)), torch.linalg.cholesky(_t(A_low)), **tol)
    assert_close(L.cholesky(_e(A_up), upper=True), torch.linalg.cholesky(_t(A_up), upper=True), **tol)
    r = L.cholesky_ex(_e(A))
    assert_close(tuple(r), tuple(torch.linalg.cholesky_ex(_t(A))), **tol)
    bad = np.stack([np.eye(3), np.diag([1., 2, -1]), -np.eye(3)]).astype(dt)
    assert_close(L.cholesky_ex(_e(bad)).info, torch.linalg.cholesky_ex(_t(bad)).info)


@needs_torch
def test_cholesky_grads():
    A = _spd((2, 3, 3))
    w = _arr((2, 3, 3))
    for upper in (False, True):
        e, t = _e(A, True), _t(A, True)
        (L.cholesky(e, upper=upper) * _e(w)).sum().backward()
        (torch.linalg.cholesky(t, upper=upper) * _t(w)).sum().backward()
        assert_close(e.grad, t.grad, rtol=1e-8, atol=1e-10)
    X = _e(_arr((3, 3)), True)
    sym = lambda x: x.matmul(x.mT) + ember.eye(3, dtype=ember.float64)  # noqa: E731
    assert gradcheck(lambda x: L.cholesky(sym(x)), (X,))
    assert gradcheck(lambda x: L.cholesky(sym(x), upper=True), (X,))
    assert gradgradcheck(lambda x: L.cholesky(sym(x)), (X,))


# -- qr ----------------------------------------------------------------------------------------

@needs_torch
@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_qr_values(dt):
    tol = dict(rtol=1e-4, atol=1e-5) if dt == np.float32 else dict(rtol=1e-10, atol=1e-12)
    for shape in [(2, 5, 3), (3, 3), (2, 3, 5)]:
        a = _arr(shape, dt)
        for mode in ["reduced", "complete", "r"]:
            q, r = L.qr(_e(a), mode=mode)
            tq, tr = torch.linalg.qr(_t(a), mode=mode)
            assert q.dtype == r.dtype == getattr(ember, str(tr.dtype).split(".")[1])
            assert tuple(q.shape) == tuple(tq.shape) and tuple(r.shape) == tuple(tr.shape)
            # R is unique up to the signs of its rows
            assert_close(r.abs(), tr.abs(), **tol)
            assert np.allclose(np.triu(r.numpy()), r.numpy())
            if mode != "r":
                assert_close(q.matmul(r), _t(a), **tol)
                k = q.shape[-1]
                assert np.allclose(q.mT.matmul(q).numpy(), np.eye(k), atol=1e-5)


@needs_torch
def test_qr_grads():
    for shape in [(2, 4, 3), (3, 3), (2, 3, 4)]:
        a = _arr(shape)
        e, t = _e(a, True), _t(a, True)
        qe, re_ = L.qr(e)
        qt, rt = torch.linalg.qr(t)
        wq, wr = _arr(tuple(qt.shape)), _arr(tuple(rt.shape))
        ((qe * _e(wq)).sum() + (re_ * _e(wr)).sum()).backward()
        ((qt * _t(wq)).sum() + (rt * _t(wr)).sum()).backward()
        assert_close(e.grad, t.grad, rtol=1e-7, atol=1e-9)
        assert gradcheck(lambda x: tuple(L.qr(x)), (_e(a, True),))
    assert gradgradcheck(lambda x: tuple(L.qr(x)), (_e(_arr((3, 2)), True),))
    q, r = L.qr(_e(_arr((3, 2)), True), mode="r")
    with pytest.raises(RuntimeError, match="mode='r'"):
        r.sum().backward()


# -- eigh / eig --------------------------------------------------------------------------------

@needs_torch
@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_eigh_values(dt):
    tol = dict(rtol=1e-4, atol=1e-4) if dt == np.float32 else dict(rtol=1e-10, atol=1e-10)
    a = _sym_distinct((2, 3, 4, 4), dt)
    noisy_l = a + np.triu(_arr((4, 4), dt), 1)
    noisy_u = a + np.tril(_arr((4, 4), dt), -1)
    for x, uplo in [(noisy_l, "L"), (noisy_u, "U")]:
        w, v = L.eigh(_e(x), UPLO=uplo)
        tw, tv = torch.linalg.eigh(_t(x), UPLO=uplo)
        assert_close(w, tw, **tol)
        assert_close(v.abs(), tv.abs(), **tol)  # eigenvectors up to sign
        assert v.dtype == w.dtype == getattr(ember, str(tw.dtype).split(".")[1])
        assert_close(L.eigvalsh(_e(x), UPLO=uplo), torch.linalg.eigvalsh(_t(x), UPLO=uplo), **tol)
    assert_close((v * w.unsqueeze(-2)).matmul(v.mT), _t(a), **tol)
    b = _arr((3, 3), dt)
    ev = L.eigvals(_e(b))
    tev = torch.linalg.eigvals(_t(b))
    assert ev.dtype == getattr(ember, str(tev.dtype).split(".")[1])
    key = lambda z: np.sort_complex(np.round(z, 4))  # noqa: E731
    np.testing.assert_allclose(key(ev.numpy()), key(tev.numpy()), rtol=1e-4, atol=1e-4)
    w, v = L.eig(_e(b))
    np.testing.assert_allclose(b.astype(np.complex128) @ v.numpy(), v.numpy() * w.numpy()[None, :], atol=1e-4)


@needs_torch
def test_eigh_grads():
    a = _sym_distinct((2, 3, 3))
    ww, wv = _arr((2, 3)), _arr((2, 3, 3))
    for loss in [lambda r, m, c: (r[0] * c(ww)).sum() + (r[1] ** 2 * c(wv)).sum(),  # sign-invariant in V
                 lambda r, m, c: (r[0] * c(ww)).sum()]:
        e, t = _e(a, True), _t(a, True)
        loss(L.eigh(e), ember, _e).backward()
        loss(torch.linalg.eigh(t), torch, _t).backward()
        assert_close(e.grad, t.grad, rtol=1e-7, atol=1e-9)
    e, t = _e(a, True), _t(a, True)
    (L.eigvalsh(e) * _e(ww)).sum().backward()
    (torch.linalg.eigvalsh(t) * _t(ww)).sum().backward()
    assert_close(e.grad, t.grad, rtol=1e-7, atol=1e-9)
    X = _e(_sym_distinct((3, 3)), True)
    sym = lambda x: x + x.mT  # noqa: E731
    assert gradcheck(lambda x: (L.eigh(sym(x))[0], L.eigh(sym(x))[1] ** 2), (X,))
    assert gradcheck(lambda x: L.eigvalsh(sym(x)), (X,))
    assert gradgradcheck(lambda x: (L.eigh(sym(x))[0], L.eigh(sym(x))[1] ** 2), (X,))


# -- svd / pinv / matrix_rank / lstsq ----------------------------------------------------------

@needs_torch
@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_svd_values(dt):
    tol = dict(rtol=1e-4, atol=1e-4) if dt == np.float32 else dict(rtol=1e-10, atol=1e-10)
    for shape in [(2, 5, 3), (3, 3), (2, 3, 5)]:
        a = _arr(shape, dt)
        for full in (True, False):
            u, s, vh = L.svd(_e(a), full_matrices=full)
            tu, ts, tvh = torch.linalg.svd(_t(a), full_matrices=full)
            assert [tuple(x.shape) for x in (u, s, vh)] == [tuple(x.shape) for x in (tu, ts, tvh)]
            assert u.dtype == s.dtype == vh.dtype == getattr(ember, str(ts.dtype).split(".")[1])
            assert_close(s, ts, **tol)
            k = s.shape[-1]
            rec = (u.narrow(-1, 0, k) * s.unsqueeze(-2)).matmul(vh.narrow(-2, 0, k))
            assert_close(rec, _t(a), **tol)
        assert_close(L.svdvals(_e(a)), torch.linalg.svdvals(_t(a)), **tol)


@needs_torch
def test_svd_grads():
    for shape in [(2, 4, 3), (3, 3), (3, 4)]:
        a = _arr(shape)
        e, t = _e(a, True), _t(a, True)
        ue, se, ve = L.svd(e, full_matrices=False)
        ut, st, vt = torch.linalg.svd(t, full_matrices=False)
        w1, w2, w3 = _arr(tuple(ut.shape)), _arr(tuple(st.shape)), _arr(tuple(vt.shape))
        # gauge-invariant: squares of the singular vectors
        ((ue ** 2 * _e(w1)).sum() + (se * _e(w2)).sum() + (ve ** 2 * _e(w3)).sum()).backward()
        ((ut ** 2 * _t(w1)).sum() + (st * _t(w2)).sum() + (vt ** 2 * _t(w3)).sum()).backward()
        assert_close(e.grad, t.grad, rtol=1e-7, atol=1e-9)
        e, t = _e(a, True), _t(a, True)
        (L.svdvals(e) * _e(w2)).sum().backward()
        (torch.linalg.svdvals(t) * _t(w2)).sum().backward()
        assert_close(e.grad, t.grad, rtol=1e-7, atol=1e-9)
    # full_matrices=True on a square input, gauge-invariant loss U diag(s) Vh
    a = _arr((3, 3))
    e = _e(a, True)
    u, s, vh = L.svd(e)
    ((u * s.unsqueeze(-2)).matmul(vh) * _e(a)).sum().backward()
    assert_close(e.grad, _t(a))


def test_svd_gradcheck():
    for shape in [(4, 3), (3, 4)]:
        a = _e(_arr(shape), True)
        f = lambda x: (lambda u, s, v: (u ** 2, s, v ** 2))(*L.svd(x, full_matrices=False))  # noqa: E731
        assert gradcheck(f, (a,))
        assert gradcheck(L.svdvals, (a,))
    assert gradgradcheck(f, (_e(_arr((3, 2)), True),))
    assert gradgradcheck(L.svdvals, (_e(_arr((3, 2)), True),))


@needs_torch
@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_pinv_rank_values(dt):
    tol = dict(rtol=1e-4, atol=1e-4) if dt == np.float32 else dict(rtol=1e-9, atol=1e-10)
    a = _arr((2, 4, 3), dt)
    low = (_arr((4, 2), dt) @ _arr((2, 3), dt))  # rank 2
    s = _spd((3, 3), dt)
    for x in (a, low, a.swapaxes(-1, -2)):
        assert_close(L.pinv(_e(x)), torch.linalg.pinv(_t(x)), **tol)
        assert_close(L.matrix_rank(_e(x)), torch.linalg.matrix_rank(_t(x)))
    assert_close(L.pinv(_e(s), hermitian=True), torch.linalg.pinv(_t(s), hermitian=True), **tol)
    assert_close(L.pinv(_e(a), atol=0.5, rtol=0.1), torch.linalg.pinv(_t(a), atol=0.5, rtol=0.1), **tol)
    assert_close(L.pinv(_e(a), 0.3), torch.linalg.pinv(_t(a), 0.3), **tol)
    assert_close(L.matrix_rank(_e(s), hermitian=True), torch.linalg.matrix_rank(_t(s), hermitian=True))
    assert_close(L.matrix_rank(_e(a), atol=1.0), torch.linalg.matrix_rank(_t(a), atol=1.0))
    assert_close(L.matrix_rank(_e(a), rtol=0.5), torch.linalg.matrix_rank(_t(a), rtol=0.5))
    assert_close(L.matrix_rank(_e(np.ones((3, 3), dt)), tol=0.5), torch.linalg.matrix_rank(_t(np.ones((3, 3), dt)),
                                                                                           tol=0.5))


@needs_torch
def test_pinv_grads():
    for shape in [(2, 4, 3), (3, 4)]:
        a = _arr(shape)
        e, t = _e(a, True), _t(a, True)
        w = _arr(shape[:-2] + (shape[-1], shape[-2]))
        (L.pinv(e) * _e(w)).sum().backward()
        (torch.linalg.pinv(t) * _t(w)).sum().backward()
        assert_close(e.grad, t.grad, rtol=1e-7, atol=1e-9)
        assert gradcheck(L.pinv, (_e(a, True),))
    assert gradgradcheck(L.pinv, (_e(_arr((3, 2)), True),))


@needs_torch
@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_lstsq(dt):
    tol = dict(rtol=1e-4, atol=1e-4) if dt == np.float32 else dict(rtol=1e-9, atol=1e-10)
    A, B = _arr((2, 5, 3), dt), _arr((2, 5, 2), dt)
    for driver in [None, "gelsd", "gelss", "gels"]:
        r, tr = L.lstsq(_e(A), _e(B), driver=driver), torch.linalg.lstsq(_t(A), _t(B), driver=driver)
        for f in ("solution", "residuals", "rank", "singular_values"):
            assert_close(getattr(r, f), getattr(tr, f), **tol)
    v = _arr((2, 5), dt)
    assert_close(L.lstsq(_e(A), _e(v)).solution, torch.linalg.lstsq(_t(A), _t(v)).solution, **tol)
    W = _arr((3, 5), dt)  # underdetermined: minimum-norm solution
    assert_close(L.lstsq(_e(W), _e(B[0, :3])).solution, torch.linalg.lstsq(_t(W), _t(B[0, :3])).solution, **tol)
    if dt == np.float64:
        ea, eb, ta, tb = _e(A, True), _e(B, True), _t(A, True), _t(B, True)
        w = _arr((2, 3, 2))
        (L.lstsq(ea, eb).solution * _e(w)).sum().backward()
        (torch.linalg.lstsq(ta, tb).solution * _t(w)).sum().backward()
        assert_close(ea.grad, ta.grad, rtol=1e-7, atol=1e-9)
        assert_close(eb.grad, tb.grad, rtol=1e-7, atol=1e-9)
        assert gradcheck(lambda a, b: L.lstsq(a, b).solution, (_e(A[0], True), _e(B[0], True)))
        assert gradcheck(lambda a, b: L.lstsq(a, b, driver="gelsd").residuals, (_e(A[0], True), _e(B[0], True)))


# -- matrix_power / matrix_exp -----------------------------------------------------------------

@needs_torch
def test_matrix_power():
    a = _wellcond((2, 3, 3)) / 3
    for n in [0, 1, 2, 3, 4, 5, 7, -1, -2, -3]:
        assert_close(L.matrix_power(_e(a), n), torch.linalg.matrix_power(_t(a), n), rtol=1e-9, atol=1e-10)
        assert_close(L.matrix_power(_e(a[0].astype(np.float32)), n),
                     torch.linalg.matrix_power(_t(a[0].astype(np.float32)), n), rtol=1e-4, atol=1e-5)
    i = np.arange(9).reshape(3, 3)
    for n in [0, 1, 2, 5]:
        assert_close(L.matrix_power(_e(i), n), torch.linalg.matrix_power(_t(i), n))
    e, t = _e(a, True), _t(a, True)
    w = _arr((2, 3, 3))
    (L.matrix_power(e, -3) * _e(w)).sum().backward()
    (torch.linalg.matrix_power(t, -3) * _t(w)).sum().backward()
    assert_close(e.grad, t.grad, rtol=1e-8, atol=1e-10)
    x = _e(a[0], True)
    for n in [0, 3, -2]:
        assert gradcheck(lambda m: L.matrix_power(m, n), (x,))
    assert gradgradcheck(lambda m: L.matrix_power(m, -2), (x,))


@needs_torch
def test_matrix_exp():
    for dt in (np.float32, np.float64):
        for a in [_arr((2, 3, 3), dt), 5 * _arr((3, 3), dt), np.zeros((2, 2), dt)]:
            tol = dict(rtol=1e-4, atol=1e-4) if dt == np.float32 else dict(rtol=1e-10, atol=1e-10)
            assert_close(L.matrix_exp(_e(a)), torch.linalg.matrix_exp(_t(a)), **tol)
    a = _arr((2, 3, 3))
    e, t = _e(a, True), _t(a, True)
    w = _arr((2, 3, 3))
    (L.matrix_exp(e) * _e(w)).sum().backward()
    (torch.linalg.matrix_exp(t) * _t(w)).sum().backward()
    assert_close(e.grad, t.grad, rtol=1e-8, atol=1e-10)
    assert gradcheck(L.matrix_exp, (_e(a[0], True),))
    assert gradgradcheck(L.matrix_exp, (_e(a[0, :2, :2], True),))


# -- float32 and dtypes ------------------------------------------------------------------------

def test_float32_stays_float32():
    a = _e(_wellcond((2, 3, 3), np.float32))
    s = _e(_spd((3, 3), np.float32))
    outs = [L.inv(a), L.det(a), L.slogdet(a)[1], L.solve(a, a), L.cholesky(s), L.qr(a)[0], L.eigh(s)[1],
            L.eigvalsh(s), L.svd(a)[1], L.svdvals(a), L.pinv(a), L.lstsq(a, a)[0], L.matrix_power(a, -3),
            L.matrix_exp(a), L.matrix_norm(a, 2), L.norm(a), L.vector_norm(a, 3)]
    for o in outs:
        assert o.dtype == ember.float32 and o.numpy().dtype == np.float32
    assert L.eigvals(a).dtype == ember.complex64
    assert L.matrix_rank(a).dtype == ember.int64


# -- errors ------------------------------------------------------------------------------------

@needs_torch
def test_errors_like_torch():
    sq = lambda m: m.zeros(2, 3)  # noqa: E731
    li = lambda m: m.eye(3, dtype=m.long)  # noqa: E731
    cases = [
        lambda m: m.linalg.inv(sq(m)), lambda m: m.linalg.inv(m.zeros(3)), lambda m: m.linalg.inv(li(m)),
        lambda m: m.linalg.inv(m.eye(3, dtype=m.half)),
        lambda m: m.linalg.det(li(m)), lambda m: m.linalg.det(sq(m)), lambda m: m.linalg.det(m.zeros(3)),
        lambda m: m.linalg.det(m.eye(2, dtype=m.half)),
        lambda m: m.linalg.slogdet(li(m)), lambda m: m.linalg.slogdet(sq(m)),
        lambda m: (L.logdet if m is ember else torch.logdet)(li(m)),
        lambda m: m.linalg.solve(sq(m), m.ones(2)), lambda m: m.linalg.solve(m.eye(3), m.ones(2)),
        lambda m: m.linalg.solve(m.eye(3), m.ones(2, 4)), lambda m: m.linalg.solve(m.eye(3), m.ones(3, 2), left=False),
        lambda m: m.linalg.solve(m.eye(3), m.ones(3, dtype=m.float64)),
        lambda m: m.linalg.solve(li(m), m.ones(3, dtype=m.long)),
        lambda m: m.linalg.cholesky(sq(m)), lambda m: m.linalg.cholesky(li(m)), lambda m: m.linalg.cholesky(m.ones(3)),
        lambda m: m.linalg.cholesky(m.eye(2, dtype=m.half)),
        lambda m: m.linalg.qr(sq(m), mode="foo"), lambda m: m.linalg.qr(li(m)), lambda m: m.linalg.qr(m.zeros(3)),
        lambda m: m.linalg.eigh(sq(m)), lambda m: m.linalg.eigh(li(m)), lambda m: m.linalg.eigh(m.eye(3), UPLO="X"),
        lambda m: m.linalg.eigvalsh(m.eye(3), UPLO="X"),
        lambda m: m.linalg.svd(li(m)), lambda m: m.linalg.svd(m.zeros(3)), lambda m: m.linalg.svdvals(li(m)),
        lambda m: m.linalg.pinv(li(m)), lambda m: m.linalg.pinv(m.zeros(3)),
        lambda m: m.linalg.matrix_rank(li(m)), lambda m: m.linalg.matrix_rank(m.zeros(3)),
        lambda m: m.linalg.lstsq(li(m), li(m)), lambda m: m.linalg.lstsq(m.eye(3), m.eye(2)),
        lambda m: m.linalg.lstsq(m.eye(3), m.eye(3, dtype=m.float64)),
        lambda m: m.linalg.matrix_power(sq(m), 2), lambda m: m.linalg.matrix_power(m.zeros(3), 2),
        lambda m: m.linalg.matrix_power(li(m), -1),
        lambda m: m.linalg.matrix_exp(li(m)), lambda m: m.linalg.matrix_exp(sq(m)),
        lambda m: m.linalg.eig(li(m)),
        lambda m: m.linalg.solve_triangular(m.eye(3), m.ones(2, 2), upper=True),
    ]
    for f in cases:
        raises_like(lambda: f(torch), lambda: f(ember))


def _linalg_error_like(torch_fn, ember_fn):
    with pytest.raises(torch.linalg.LinAlgError) as te:
        torch_fn()
    with pytest.raises(L.LinAlgError) as ee:
        ember_fn()
    assert isinstance(ee.value, RuntimeError)
    assert str(ee.value).split("\n")[0] == str(te.value).split("\n")[0], (str(ee.value), str(te.value))


@needs_torch
def test_linalg_errors():
    sing3 = np.array([[1., 2, 3], [4, 5, 6], [7, 8, 9]], np.float32)
    sing2 = np.array([[1., 2], [2, 4]], np.float32)
    batch = np.stack([np.eye(2, dtype=np.float32), sing2])
    for x in (sing3, sing2, np.zeros((3, 3), np.float32), batch):
        _linalg_error_like(lambda: torch.linalg.inv(_t(x)), lambda: L.inv(_e(x)))
        _linalg_error_like(lambda: torch.linalg.inv_ex(_t(x), check_errors=True),
                           lambda: L.inv_ex(_e(x), check_errors=True))
    assert_close(L.inv_ex(_e(batch)).info, torch.linalg.inv_ex(_t(batch)).info)
    _linalg_error_like(lambda: torch.linalg.matrix_power(_t(sing2), -1), lambda: L.matrix_power(_e(sing2), -1))
    _linalg_error_like(lambda: torch.linalg.solve(_t(sing2), _t(np.ones(2, np.float32))),
                       lambda: L.solve(_e(sing2), _e(np.ones(2, np.float32))))
    for x in (np.array([[1., 2], [2, 1]]), -np.eye(3), np.stack([np.eye(2), -np.eye(2)]), np.diag([1., 2, -3])):
        _linalg_error_like(lambda: torch.linalg.cholesky(_t(x)), lambda: L.cholesky(_e(x)))
        _linalg_error_like(lambda: torch.linalg.cholesky(_t(x), upper=True), lambda: L.cholesky(_e(x), upper=True))
        assert_close(L.cholesky_ex(_e(x)).info, torch.linalg.cholesky_ex(_t(x)).info)


@needs_torch
def test_empty_inputs():
    for shape in [(0, 0), (2, 0, 0), (3, 0), (0, 3), (2, 3, 0)]:
        a = np.zeros(shape, np.float32)
        e, t = _e(a), _t(a)
        for ord in ["fro", "nuc", 1, -1, 2, -2, math.inf, -math.inf]:
            for keepdim in (False, True):
                try:
                    expected = torch.linalg.matrix_norm(t, ord, keepdim=keepdim)
                except Exception:
                    raises_like(lambda: torch.linalg.matrix_norm(t, ord, keepdim=keepdim),
                                lambda: L.matrix_norm(e, ord, keepdim=keepdim))
                    continue
                assert_close(L.matrix_norm(e, ord, keepdim=keepdim), expected)
        assert_close(L.svdvals(e), torch.linalg.svdvals(t))
        assert_close(L.pinv(e), torch.linalg.pinv(t))
        assert_close(L.matrix_rank(e), torch.linalg.matrix_rank(t))
        if shape[-1] == shape[-2]:
            for name in ["inv", "det", "cholesky", "eigvalsh", "matrix_exp"]:
                assert_close(getattr(L, name)(e), getattr(torch.linalg, name)(t))


try:
    from hypothesis import given, settings, strategies as st
except ImportError:  # pragma: no cover
    given = None

if given is not None:
    @needs_torch
    @settings(max_examples=25, deadline=None)
    @given(batch=st.lists(st.integers(1, 3), min_size=0, max_size=2), n=st.integers(1, 4),
           k=st.integers(1, 3), seed=st.integers(0, 2 ** 16), f32=st.booleans())
    def test_batched_against_torch(batch, n, k, seed, f32):
        dt = np.float32 if f32 else np.float64
        tol = dict(rtol=2e-3, atol=2e-3) if f32 else dict(rtol=1e-8, atol=1e-9)
        A = _wellcond(tuple(batch) + (n, n), dt, seed)
        B = _arr((n, k), dt, seed + 1)
        R = _arr(tuple(batch) + (n + 1, n), dt, seed + 2)
        e, t = _e(A), _t(A)
        assert_close(L.inv(e), torch.linalg.inv(t), **tol)
        assert_close(L.det(e), torch.linalg.det(t), **tol)
        assert_close(L.solve(e, _e(B)), torch.linalg.solve(t, _t(B)), **tol)
        assert_close(L.matrix_norm(e, -2), torch.linalg.matrix_norm(t, -2), **tol)
        assert_close(L.svdvals(_e(R)), torch.linalg.svdvals(_t(R)), **tol)
        assert_close(L.pinv(_e(R)), torch.linalg.pinv(_t(R)), **tol)
        assert_close(L.lstsq(_e(R), _e(R)).solution, torch.linalg.lstsq(_t(R), _t(R)).solution, **tol)
        assert_close(L.matrix_power(e, 3), torch.linalg.matrix_power(t, 3), **tol)


@needs_torch
def test_legacy_top_level_spellings_match_torch():
    rng = np.random.default_rng(11)
    a = rng.standard_normal((4, 3))
    spd = a[:3] @ a[:3].T + np.eye(3)
    for name in ("det", "logdet", "inverse", "matrix_exp", "cholesky", "pinverse"):
        x = spd if name != "pinverse" else a
        e, t = ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        eo, to = getattr(ember, name)(e), getattr(torch, name)(t)
        assert_close(eo, to, rtol=1e-8, atol=1e-10)
        assert_close(getattr(e, name)(), getattr(t, name)(), rtol=1e-8, atol=1e-10)
        eo.sum().backward()
        to.sum().backward()
        assert_close(e.grad, t.grad, rtol=1e-7, atol=1e-9)
    assert_close(ember.matrix_power(ember.tensor(spd), 3), torch.matrix_power(torch.tensor(spd), 3), rtol=1e-10)
    sign, logabs = ember.slogdet(ember.tensor(spd))
    tsign, tlogabs = torch.slogdet(torch.tensor(spd))
    assert_close(sign, tsign) and assert_close(logabs, tlogabs)
    for some in (True, False):
        U, S, V = ember.svd(ember.tensor(a), some=some)
        tU, tS, tV = torch.svd(torch.tensor(a), some=some)
        assert U.shape == tuple(tU.shape) and V.shape == tuple(tV.shape)
        assert_close(S, tS, rtol=1e-10)
        k = min(a.shape)
        np.testing.assert_allclose((U[:, :k] @ ember.diag(S) @ V[:, :k].t()).numpy(), a, atol=1e-12)
        Q, R = ember.qr(ember.tensor(a), some=some)
        tQ, tR = torch.qr(torch.tensor(a), some=some)
        assert Q.shape == tuple(tQ.shape) and R.shape == tuple(tR.shape)
        np.testing.assert_allclose((Q @ R).numpy(), a, atol=1e-12)
