"""Shape-building ops against torch: values, dtypes, shapes, gradients, grad_fn names, errors."""
import warnings

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import ember
from ember.ops.shape import linalg_cross
from tests.helpers import needs_torch, torch, assert_close, raises_like

RNG = np.random.default_rng(0)


def _arr(shape, dtype=np.float32):
    if np.dtype(dtype).kind in "iu":
        return RNG.integers(-5, 6, size=shape).astype(dtype)
    if np.dtype(dtype).kind == "b":
        return RNG.integers(0, 2, size=shape).astype(bool)
    return RNG.standard_normal(shape).astype(dtype)


def _outs(o):
    return list(o) if isinstance(o, (tuple, list)) else [o]


def check(fe, ft, *arrays, grad=True, name=None, rtol=1e-5, atol=1e-6):
    """fe(ember tensors) vs ft(torch tensors): outputs (values, dtype, shape), grad_fn name and the
    gradients for a random upstream gradient."""
    es = [ember.tensor(a, requires_grad=grad and a.dtype.kind == "f") for a in arrays]
    ts = [torch.tensor(a, requires_grad=grad and a.dtype.kind == "f") for a in arrays]
    oe, ot = _outs(fe(*es)), _outs(ft(*ts))
    assert len(oe) == len(ot)
    for a, b in zip(oe, ot):
        assert_close(a, b, rtol, atol)
    if name is not None:
        assert oe[0].grad_fn.name() == ot[0].grad_fn.name() == name, (oe[0].grad_fn, ot[0].grad_fn)
    if not grad or not any(t.requires_grad for t in ts):
        return
    gs = [_arr(tuple(o.shape), np.float64).astype(o.detach().numpy().dtype) for o in ot]
    torch.autograd.backward(ot, [torch.tensor(g) for g in gs])
    ember.autograd.backward(oe, [ember.tensor(g) for g in gs])
    for e, t in zip(es, ts):
        if t.requires_grad:
            assert_close(e.grad, t.grad, rtol, atol)


def gradcheck(fn, *shapes):
    xs = [ember.tensor(RNG.standard_normal(s), dtype=ember.float64, requires_grad=True) for s in shapes]
    assert ember.autograd.gradcheck(fn, tuple(xs))


# -- cat / stack family ----------------------------------------------------------------------

@needs_torch
@pytest.mark.parametrize("shapes,dim", [([(2, 3), (4, 3)], 0), ([(2, 3), (2, 1), (2, 0)], 1), ([(2, 3, 4)] * 3, -1),
                                        ([(0,), (2, 3)], 0), ([(3,)], 0)])
def test_cat(shapes, dim):
    check(lambda *t: ember.cat(t, dim), lambda *t: torch.cat(t, dim), *[_arr(s) for s in shapes], name="CatBackward0")


@needs_torch
def test_cat_dtype_promotion():
    for a, b in [(np.float32, np.int64), (np.int32, np.int64), (np.bool_, np.uint8), (np.float32, np.float64),
                 (np.int8, np.uint8), (np.bool_, np.float32)]:
        x, y = _arr((2, 2), a), _arr((3, 2), b)
        assert_close(ember.cat([ember.tensor(x), ember.tensor(y)]), torch.cat([torch.tensor(x), torch.tensor(y)]))
        assert_close(ember.stack([ember.tensor(x[:1]), ember.tensor(y[:1])]),
                     torch.stack([torch.tensor(x[:1]), torch.tensor(y[:1])]))
    # the gradient reaching a promoted input has that input's dtype
    x = ember.ones(2, dtype=ember.float32, requires_grad=True)
    y = ember.ones(2, dtype=ember.float64, requires_grad=True)
    ember.cat([x, y]).sum().backward()
    assert x.grad.dtype == ember.float32 and y.grad.dtype == ember.float64


@needs_torch
@pytest.mark.parametrize("dim", [0, 1, 2, -1, -3])
def test_stack(dim):
    check(lambda *t: ember.stack(t, dim), lambda *t: torch.stack(t, dim), _arr((2, 3)), _arr((2, 3)),
          name="StackBackward0")


@needs_torch
@pytest.mark.parametrize("fn", ["hstack", "vstack", "dstack", "column_stack", "row_stack"])
@pytest.mark.parametrize("shapes", [[(), ()], [(3,), (3,)], [(2, 3), (2, 3)], [(2, 3, 1), (2, 3, 1)]])
def test_xstack(fn, shapes):
    if fn == "column_stack" and len(shapes[0]) == 3:
        shapes = [(2, 3, 4), (2, 1, 4)]
    check(lambda *t: getattr(ember, fn)(t), lambda *t: getattr(torch, fn)(t), *[_arr(s) for s in shapes])


@needs_torch
def test_cat_stack_errors():
    E, T = ember, torch
    z = lambda lib, *s: lib.zeros(*s)
    cases = [
        lambda L: L.cat([L.zeros(2, 2), L.zeros(3, 3)], 1),
        lambda L: L.cat([L.zeros(2, 2), L.zeros(2, 2, 2)]),
        lambda L: L.cat([L.tensor(1.0), L.tensor(2.0)]),
        lambda L: L.cat([]),
        lambda L: L.cat(L.zeros(2)),
        lambda L: L.cat([L.zeros(2, 2)], 2),
        lambda L: L.stack([L.zeros(2), L.zeros(3)]),
        lambda L: L.stack([]),
        lambda L: L.stack([L.zeros(2, 2)], 3),
        lambda L: L.hstack([]),
        lambda L: L.vstack([]),
        lambda L: L.dstack([]),
        lambda L: L.column_stack([]),
        lambda L: L.column_stack([L.zeros(2), L.zeros(3)]),
    ]
    for c in cases:
        raises_like(lambda: c(T), lambda: c(E))


def test_cat_gradcheck():
    gradcheck(lambda a, b: ember.cat([a, b], 1), (2, 3), (2, 2))
    gradcheck(lambda a, b: ember.stack([a, b], 1), (2, 3), (2, 3))
    gradcheck(lambda a, b: ember.hstack([a, b]), (3,), (2,))
    gradcheck(lambda a, b: ember.dstack([a, b]), (2, 3), (2, 3))


@needs_torch
def test_atleast_and_broadcast_tensors():
    for fn in ("atleast_1d", "atleast_2d", "atleast_3d"):
        for shape in [(), (3,), (2, 3), (2, 3, 4), (1, 2, 3, 4)]:
            check(getattr(ember, fn), getattr(torch, fn), _arr(shape))
        a, b = _arr(()), _arr((2,))
        check(lambda x, y: getattr(ember, fn)(x, y), lambda x, y: getattr(torch, fn)(x, y), a, b)
        check(lambda x, y: getattr(ember, fn)([x, y]), lambda x, y: getattr(torch, fn)([x, y]), a, b)
    x = ember.zeros(2, 3)
    assert ember.atleast_2d(x) is x
    check(lambda a, b, c: ember.broadcast_tensors(a, b, c), lambda a, b, c: torch.broadcast_tensors(a, b, c),
          _arr((3, 1)), _arr((4,)), _arr(()))
    raises_like(lambda: torch.broadcast_tensors(torch.zeros(2), torch.zeros(3)),
                lambda: ember.broadcast_tensors(ember.zeros(2), ember.zeros(3)))


# -- flip / roll / rot90 -------------------------------------------------------------------

@needs_torch
@pytest.mark.parametrize("dims", [(0,), (1,), (0, 1), (-1, 0), (), (2,)])
def test_flip(dims):
    check(lambda x: x.flip(dims), lambda x: x.flip(dims), _arr((2, 3, 4)), name="FlipBackward0")
    check(lambda x: ember.flip(x, dims), lambda x: torch.flip(x, dims), _arr((2, 3, 4), np.int64))


@needs_torch
def test_flip_is_a_copy_and_lr_ud():
    x = ember.arange(6.0).reshape(2, 3)
    y = x.flip(0)
    y[0, 0] = 100.0
    assert x[1, 0].item() == 3.0
    check(ember.fliplr, torch.fliplr, _arr((2, 3, 2)), name="FlipBackward0")
    check(ember.flipud, torch.flipud, _arr((2, 3)), name="FlipBackward0")
    raises_like(lambda: torch.zeros(3).fliplr(), lambda: ember.zeros(3).fliplr())
    raises_like(lambda: torch.tensor(1.0).flipud(), lambda: ember.tensor(1.0).flipud())
    raises_like(lambda: torch.zeros(2, 2).flip(0, 0), lambda: ember.zeros(2, 2).flip(0, 0))
    raises_like(lambda: torch.zeros(2, 2).flip(2), lambda: ember.zeros(2, 2).flip(2))


@needs_torch
@pytest.mark.parametrize("shifts,dims", [(1, 0), (-2, 1), ((1, 2), (0, 1)), (7, None), (-3, None), ((2, -1), (1, 1)),
                                         (0, 0), (5, -1)])
def test_roll(shifts, dims):
    check(lambda x: x.roll(shifts, dims), lambda x: x.roll(shifts, dims), _arr((3, 4)), name="RollBackward0")


@needs_torch
def test_roll_edge_cases():
    check(lambda x: x.roll(1), lambda x: x.roll(1), _arr(()))
    check(lambda x: x.roll(1, 0), lambda x: x.roll(1, 0), _arr((0, 3)))
    raises_like(lambda: torch.zeros(3, 4).roll((1, 2), 0), lambda: ember.zeros(3, 4).roll((1, 2), 0))
    raises_like(lambda: torch.zeros(3, 4).roll(1, (0, 1)), lambda: ember.zeros(3, 4).roll(1, (0, 1)))
    raises_like(lambda: torch.zeros(3, 4).roll((1, 2)), lambda: ember.zeros(3, 4).roll((1, 2)))


@needs_torch
@pytest.mark.parametrize("k", [0, 1, 2, 3, 4, -1, 5])
@pytest.mark.parametrize("dims", [(0, 1), (1, 0), (0, 2), (-1, -2)])
def test_rot90(k, dims):
    check(lambda x: ember.rot90(x, k, dims), lambda x: torch.rot90(x, k, dims), _arr((2, 3, 4)), name="Rot90Backward0")


@needs_torch
def test_rot90_errors():
    for args in [(1, [0, 1, 2]), (1, [0, 0]), (1, [0, 2]), (1, [-3, 1])]:
        raises_like(lambda: torch.rot90(torch.zeros(3, 4), *args), lambda: ember.rot90(ember.zeros(3, 4), *args))
    raises_like(lambda: torch.rot90(torch.zeros(3), 1, [0, 0]), lambda: ember.rot90(ember.zeros(3), 1, [0, 0]))


def test_flip_roll_rot_gradcheck():
    gradcheck(lambda x: x.flip(0, 2), (2, 3, 2))
    gradcheck(lambda x: x.roll((1, -1), (0, 1)), (3, 4))
    gradcheck(lambda x: x.roll(5), (3, 4))
    gradcheck(lambda x: ember.rot90(x, 3, (1, 0)), (2, 3))


# -- repeat / tile / repeat_interleave ------------------------------------------------------

@needs_torch
@pytest.mark.parametrize("shape,reps", [((2, 3), (2, 1)), ((2, 3), (1, 2, 3)), ((3,), (2, 2)), ((), (3,)),
                                        ((2, 3), (0, 2)), ((2, 0), (2, 2)), ((2, 3), (1, 1))])
def test_repeat(shape, reps):
    check(lambda x: x.repeat(*reps), lambda x: x.repeat(*reps), _arr(shape), name="RepeatBackward0")
    check(lambda x: x.repeat(reps), lambda x: x.repeat(reps), _arr(shape, np.int32))


@needs_torch
@pytest.mark.parametrize("shape,reps", [((2, 3), (2,)), ((2, 3), (2, 1, 2)), ((3,), (2, 2)), ((), (3,)), ((2, 3), ())])
def test_tile(shape, reps):
    check(lambda x: ember.tile(x, reps), lambda x: torch.tile(x, reps), _arr(shape))
    check(lambda x: x.tile(reps), lambda x: x.tile(reps), _arr(shape))


@needs_torch
def test_repeat_errors():
    raises_like(lambda: torch.zeros(3, 4).repeat(2), lambda: ember.zeros(3, 4).repeat(2))
    raises_like(lambda: torch.zeros(3, 4).repeat(-1, 2), lambda: ember.zeros(3, 4).repeat(-1, 2))


@needs_torch
@pytest.mark.parametrize("reps,dim", [(2, None), (3, 0), (2, 1), (0, 1), (2, -1)])
def test_repeat_interleave_int(reps, dim):
    check(lambda x: x.repeat_interleave(reps, dim), lambda x: x.repeat_interleave(reps, dim), _arr((2, 3)),
          name="ViewBackward0" if reps else None)


@needs_torch
@pytest.mark.parametrize("reps,dim", [([1, 2, 0], 0), ([0, 0, 0], 0), ([3], 0), ([2, 1, 1, 0], 1), ([2] * 12, None),
                                      ([4], None)])
def test_repeat_interleave_tensor(reps, dim):
    x = _arr((3, 4))
    r = np.array(reps)
    check(lambda x: x.repeat_interleave(ember.tensor(r), dim), lambda x: x.repeat_interleave(torch.tensor(r), dim),
          x, name="IndexSelectBackward0" if len(reps) > 1 else None)


@needs_torch
def test_repeat_interleave_misc():
    assert_close(ember.repeat_interleave(ember.tensor([1, 0, 3])), torch.repeat_interleave(torch.tensor([1, 0, 3])))
    assert_close(ember.repeat_interleave(ember.tensor(3.0), 2), torch.repeat_interleave(torch.tensor(3.0), 2))
    assert_close(ember.tensor([[1, 2], [3, 4]]).repeat_interleave(ember.tensor([1, 2]), 0, output_size=3),
                 torch.tensor([[1, 2], [3, 4]]).repeat_interleave(torch.tensor([1, 2]), 0, output_size=3))
    x = np.zeros((3, 4), np.float32)
    cases = [lambda L: L.tensor(x).repeat_interleave(-1),
             lambda L: L.tensor(x).repeat_interleave(L.tensor([1, -1, 0]), dim=0),
             lambda L: L.tensor(x).repeat_interleave(L.tensor([1, 2]), dim=0),
             lambda L: L.tensor(x).repeat_interleave(L.tensor([[1, 2]]), dim=0),
             lambda L: L.tensor(x).repeat_interleave(L.tensor([1.0, 2, 3]), dim=0),
             lambda L: L.tensor(x).repeat_interleave(L.tensor([1, 2, 3]), dim=0, output_size=5)]
    for c in cases:
        raises_like(lambda: c(torch), lambda: c(ember))


def test_repeat_gradcheck():
    gradcheck(lambda x: x.repeat(2, 1, 3), (2, 3))
    gradcheck(lambda x: ember.tile(x, (2,)), (2, 3))
    gradcheck(lambda x: x.repeat_interleave(2, 1), (2, 3))
    r = ember.tensor([2, 0, 1])
    gradcheck(lambda x: x.repeat_interleave(r, 0), (3, 2))
    x = ember.tensor(RNG.standard_normal((3, 2)), requires_grad=True)
    assert ember.autograd.gradgradcheck(lambda x: x.repeat_interleave(r, 0) ** 2, (x,))


# -- tril / triu / indices --------------------------------------------------------------------

@needs_torch
@pytest.mark.parametrize("fn", ["tril", "triu"])
@pytest.mark.parametrize("k", [0, 1, -1, 5, -5])
@pytest.mark.parametrize("shape", [(3, 4), (2, 4, 3), (0, 3)])
def test_tril_triu(fn, k, shape):
    check(lambda x: getattr(x, fn)(k), lambda x: getattr(x, fn)(k), _arr(shape), name=fn.capitalize() + "Backward0")
    check(lambda x: getattr(ember, fn)(x, k), lambda x: getattr(torch, fn)(x, k), _arr(shape, np.bool_))


@needs_torch
@pytest.mark.parametrize("fn", ["tril_", "triu_"])
def test_tril_triu_inplace(fn):
    x = _arr((3, 3))
    e = ember.tensor(x, requires_grad=True).clone()
    t = torch.tensor(x, requires_grad=True).clone()
    getattr(e, fn)(1)
    getattr(t, fn)(1)
    assert_close(e, t)
    assert e.grad_fn.name() == t.grad_fn.name()
    raises_like(lambda: getattr(torch.zeros(3), fn)(), lambda: getattr(ember.zeros(3), fn)())


@needs_torch
@pytest.mark.parametrize("row,col,off", [(3, 4, 0), (4, 3, 1), (4, 3, -1), (0, 3, 0), (3, 3, 10), (3, 3, -10)])
def test_tri_indices(row, col, off):
    assert_close(ember.tril_indices(row, col, off), torch.tril_indices(row, col, off))
    assert_close(ember.triu_indices(row, col, off), torch.triu_indices(row, col, off))
    assert_close(ember.triu_indices(row, col, off, dtype=ember.int32),
                 torch.triu_indices(row, col, off, dtype=torch.int32))
    raises_like(lambda: torch.tril_indices(-1, 3), lambda: ember.tril_indices(-1, 3))
    raises_like(lambda: torch.triu_indices(3, -2), lambda: ember.triu_indices(3, -2))


# -- diag family, trace -------------------------------------------------------------------------

@needs_torch
@pytest.mark.parametrize("shape,k", [((3,), 0), ((3,), 2), ((3,), -1), ((3, 4), 0), ((3, 4), 2), ((3, 4), -2),
                                     ((4, 3), 5), ((0,), 1)])
def test_diag(shape, k):
    name = None if shape == (0,) or k == 5 else "DiagEmbedBackward0" if len(shape) == 1 else "DiagonalBackward0_copy"
    check(lambda x: ember.diag(x, k), lambda x: torch.diag(x, k), _arr(shape), name=name)
    check(lambda x: x.diag(k), lambda x: x.diag(k), _arr(shape, np.int64))


@needs_torch
@pytest.mark.parametrize("shape,args", [((3,), ()), ((2, 3), ()), ((2, 3), (1,)), ((2, 3), (-2, 0, 2)),
                                        ((2, 3), (1, 2, 0)), ((2, 3, 2), (0, -1, 1)), ((2, 3), (0, 0, -1))])
def test_diag_embed(shape, args):
    check(lambda x: ember.diag_embed(x, *args), lambda x: torch.diag_embed(x, *args), _arr(shape),
          name="DiagEmbedBackward0")


@needs_torch
def test_diagflat_trace():
    for shape, k in [((2, 3), 0), ((2, 3), -1), ((4,), 2), ((), 0)]:
        check(lambda x: ember.diagflat(x, k), lambda x: torch.diagflat(x, k), _arr(shape))
    for shape in [(3, 3), (2, 4), (4, 2), (0, 3)]:
        check(ember.trace, torch.trace, _arr(shape), name="TraceBackward0")
        check(lambda x: x.trace(), lambda x: x.trace(), _arr(shape, np.int32))


@needs_torch
def test_diag_trace_errors():
    cases = [lambda L: L.diag(L.zeros(2, 2, 2)), lambda L: L.diag(L.tensor(1.0)),
             lambda L: L.diag_embed(L.zeros(3, 4), 0, 1, 1), lambda L: L.diag_embed(L.zeros(3, 4), 0, 3, 1),
             lambda L: L.diag_embed(L.zeros(3, 4), 0, -2, -2),
             lambda L: L.trace(L.zeros(3)), lambda L: L.zeros(2, 2, 2).trace(),
             lambda L: L.ones(3, 3, dtype=L.bool).trace()]
    for c in cases:
        raises_like(lambda: c(torch), lambda: c(ember))


def test_diag_gradcheck():
    gradcheck(lambda x: ember.diag(x, 1), (3,))
    gradcheck(lambda x: ember.diag(x, -1), (3, 4))
    gradcheck(lambda x: ember.diag_embed(x, 1, 0, 2), (2, 3))
    gradcheck(ember.trace, (3, 4))
    gradcheck(lambda x: ember.tril(x, -1), (3, 4))
    gradcheck(lambda x: x.triu(1), (2, 3, 3))
    x = ember.tensor(RNG.standard_normal((3, 4)), requires_grad=True)
    assert ember.autograd.gradgradcheck(lambda x: ember.diag(x) ** 2, (x,))
    v = ember.tensor(RNG.standard_normal(3), requires_grad=True)
    assert ember.autograd.gradgradcheck(lambda v: ember.diag_embed(v) ** 2, (v,))


# -- meshgrid, block_diag, cross, kron, products ---------------------------------------------

@needs_torch
@pytest.mark.parametrize("indexing", ["ij", "xy"])
@pytest.mark.parametrize("shapes", [[(3,)], [(3,), (4,)], [(2,), (), (3,)], [(2,), (3,), (4,)]])
def test_meshgrid(indexing, shapes):
    arrays = [_arr(s) for s in shapes]
    check(lambda *t: ember.meshgrid(*t, indexing=indexing), lambda *t: torch.meshgrid(*t, indexing=indexing),
          *arrays, name="ExpandBackward0")
    check(lambda *t: ember.meshgrid(list(t), indexing=indexing), lambda *t: torch.meshgrid(list(t), indexing=indexing),
          *arrays)


@needs_torch
def test_meshgrid_errors_and_default():
    with pytest.warns(UserWarning):
        a, b = ember.meshgrid(ember.zeros(2), ember.zeros(3))
    assert tuple(a.shape) == (2, 3)
    cases = [lambda L: L.meshgrid(L.zeros(2), L.zeros(2, dtype=L.float64), indexing="ij"),
             lambda L: L.meshgrid(L.zeros(2), indexing="ab"), lambda L: L.meshgrid(indexing="ij")]
    for c in cases:
        raises_like(lambda: c(torch), lambda: c(ember))
    with pytest.raises(RuntimeError, match="torch.meshgrid: Expected 0D or 1D tensor in the tensor list but got"):
        ember.meshgrid(ember.zeros(2, 2), indexing="ij")


@needs_torch
def test_block_diag():
    check(lambda *t: ember.block_diag(*t), lambda *t: torch.block_diag(*t), _arr((2, 3)), _arr(()), _arr((3,)),
          _arr((1, 2)), _arr((0, 2)), name="BlockDiagBackward0")
    assert_close(ember.block_diag(ember.ones(2, 2), ember.ones(1, dtype=ember.int64)),
                 torch.block_diag(torch.ones(2, 2), torch.ones(1, dtype=torch.int64)))
    assert_close(ember.block_diag(), torch.block_diag())
    raises_like(lambda: torch.block_diag(torch.zeros(2), torch.zeros(2, 2, 2)),
                lambda: ember.block_diag(ember.zeros(2), ember.zeros(2, 2, 2)))
    gradcheck(lambda a, b: ember.block_diag(a, b), (2, 3), (2,))


@needs_torch
@pytest.mark.parametrize("sa,sb,dim", [((3,), (3,), -1), ((4, 3), (4, 3), -1), ((3, 5), (3, 5), 0),
                                       ((2, 1, 3), (1, 4, 3), 2), ((3, 2), (3, 1), 0)])
def test_cross(sa, sb, dim):
    check(lambda a, b: linalg_cross(a, b, dim=dim), lambda a, b: torch.linalg.cross(a, b, dim=dim), _arr(sa), _arr(sb),
          name="LinalgCrossBackward0")
    check(lambda a, b: ember.cross(a, b, dim), lambda a, b: torch.cross(a, b, dim), _arr(sa), _arr(sb))
    gradcheck(lambda a, b: linalg_cross(a, b, dim=dim), sa, sb)


@needs_torch
def test_cross_default_dim_and_errors():
    a, b = _arr((2, 3, 3)), _arr((2, 3, 3))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert_close(ember.cross(ember.tensor(a), ember.tensor(b)), torch.cross(torch.tensor(a), torch.tensor(b)))
    assert_close(ember.tensor(a).cross(ember.tensor(b), dim=2), torch.tensor(a).cross(torch.tensor(b), dim=2))
    cases = [lambda L, c: c(L.zeros(3, 4), L.zeros(3, 4)),
             lambda L, c: c(L.zeros(2, 3), L.zeros(4, 3)),
             lambda L, c: c(L.zeros(3), L.zeros(2, 3)),
             lambda L, c: c(L.zeros(3), L.zeros(3, dtype=L.float64)),
             lambda L, c: c(L.zeros(3, 2), L.zeros(1, 2), dim=0)]
    for c in cases:
        raises_like(lambda: c(torch, torch.linalg.cross), lambda: c(ember, linalg_cross))
    raises_like(lambda: torch.cross(torch.zeros(3, 4), torch.zeros(3, 4), dim=1),
                lambda: ember.cross(ember.zeros(3, 4), ember.zeros(3, 4), dim=1))


@needs_torch
@pytest.mark.parametrize("sa,sb", [((2, 3), (3, 2)), ((2,), (3, 2)), ((2, 1, 2), (3,)), ((), (2, 2)), ((2, 2), ())])
def test_kron(sa, sb):
    check(ember.kron, torch.kron, _arr(sa), _arr(sb))
    check(ember.kron, torch.kron, _arr(sa, np.int64), _arr(sb, np.float32))
    gradcheck(ember.kron, sa, sb)


@needs_torch
def test_cartesian_prod_combinations():
    check(lambda *t: ember.cartesian_prod(*t), lambda *t: torch.cartesian_prod(*t), _arr((2,)), _arr((3,)),
          _arr((2,)), name="StackBackward0")
    check(lambda t: ember.cartesian_prod(t), lambda t: torch.cartesian_prod(t), _arr((3,)))
    for r, rep in [(2, False), (3, False), (2, True), (1, False), (0, False), (5, False)]:
        check(lambda t: ember.combinations(t, r, rep), lambda t: torch.combinations(t, r, rep), _arr((4,)),
              grad=r not in (0, 5))
    gradcheck(lambda t: ember.combinations(t, 2, True), (3,))
    for c in [lambda L: L.cartesian_prod(L.zeros(2, 2), L.zeros(2)), lambda L: L.combinations(L.zeros(2, 2))]:
        raises_like(lambda: c(torch), lambda: c(ember))


# -- properties --------------------------------------------------------------------------------

@needs_torch
@settings(max_examples=40, deadline=None)
@given(shape=st.lists(st.integers(0, 3), min_size=1, max_size=3), data=st.data())
def test_roll_flip_repeat_property(shape, data):
    nd = len(shape)
    x = _arr(tuple(shape))
    dims = data.draw(st.lists(st.integers(-nd, nd - 1), unique_by=lambda d: d % nd, max_size=nd))
    shifts = data.draw(st.lists(st.integers(-5, 5), min_size=len(dims), max_size=len(dims)))
    reps = data.draw(st.lists(st.integers(0, 2), min_size=nd, max_size=nd + 1))
    e, t = ember.tensor(x), torch.tensor(x)
    assert_close(e.flip(dims), t.flip(dims))
    if dims:
        assert_close(e.roll(shifts, dims), t.roll(shifts, dims))
    assert_close(e.repeat(*reps), t.repeat(*reps))
    assert_close(e.tile(reps[:-1] or (1,)), t.tile(reps[:-1] or (1,)))
