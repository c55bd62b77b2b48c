"""Autograd: the engine, grad modes, hooks, Function, version counters, higher order."""
import numpy as np
import pytest

import ember
from tests.helpers import torch, needs_torch, assert_close, raises_like


def test_seed_example_gradient_and_print():
    x = ember.ones(2, 2, requires_grad=True)
    y = x + 2
    z = y * y * 3
    out = z.mean()
    out.backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.full((2, 2), 4.5, dtype=np.float32))
    assert x.grad.dtype == ember.float32
    assert y.grad_fn.name() == "AddBackward0" and out.grad_fn.name() == "MeanBackward0"
    assert x.is_leaf and not y.is_leaf


def test_accumulation_and_zeroing():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    (x * x).sum().backward()
    (x * 3).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [5.0, 7.0])
    x.grad = None
    (x * 3).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 3.0])


def test_grad_is_not_aliased_between_leaves_or_with_user_gradient():
    a = ember.ones(3, requires_grad=True)
    b = ember.ones(3, requires_grad=True)
    g = ember.full((3,), 2.0)
    (a + b).backward(g)
    assert a.grad is not b.grad and a.grad is not g
    a.grad.add_(1)
    np.testing.assert_allclose(b.grad.numpy(), [2, 2, 2])
    np.testing.assert_allclose(g.numpy(), [2, 2, 2])


def test_shared_subexpressions_sum_gradients():
    x = ember.tensor([3.0], requires_grad=True)
    y = x * x
    z = y + y * y  # y used twice
    z.backward()
    # dz/dx = (1 + 2y) * 2x = (1 + 18) * 6
    assert x.grad.item() == pytest.approx(114.0)


def test_retain_graph_and_freed_graph_error():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), [4.0, 8.0])
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="Trying to backward through the graph a second time"):
        y.backward()


@needs_torch
def test_backward_errors_match_torch():
    raises_like(lambda: torch.ones(2, requires_grad=True).mul(2).backward(),
                lambda: ember.ones(2, requires_grad=True).mul(2).backward())
    raises_like(lambda: torch.ones(2).sum().backward(), lambda: ember.ones(2).sum().backward())
    raises_like(lambda: torch.ones(2, requires_grad=True).sum().backward(torch.ones(3)),
                lambda: ember.ones(2, requires_grad=True).sum().backward(ember.ones(3)))
    raises_like(lambda: torch.ones(2, dtype=torch.long).requires_grad_(),
                lambda: ember.ones(2, dtype=ember.long).requires_grad_())
    raises_like(lambda: setattr(torch.ones(2, requires_grad=True) * 2, "requires_grad", False),
                lambda: setattr(ember.ones(2, requires_grad=True) * 2, "requires_grad", False))
    raises_like(lambda: torch.ones(2, requires_grad=True).numpy(), lambda: ember.ones(2, requires_grad=True).numpy())
    raises_like(lambda: torch.ones(2).register_hook(lambda g: g), lambda: ember.ones(2).register_hook(lambda g: g))
    raises_like(lambda: torch.ones(2).retain_grad(), lambda: ember.ones(2).retain_grad())

    def unused(m):
        a, b = m.ones(2, requires_grad=True), m.ones(2, requires_grad=True)
        m.autograd.grad((a * 2).sum(), [a, b])
    raises_like(lambda: unused(torch), lambda: unused(ember))

    def leaf_inplace(m):
        m.ones(2, requires_grad=True).mul_(2)
    raises_like(lambda: leaf_inplace(torch), lambda: leaf_inplace(ember))

    def view_of_leaf(m):
        x = m.ones(2, 2, requires_grad=True)
        x.view(4).mul_(2)
    raises_like(lambda: view_of_leaf(torch), lambda: view_of_leaf(ember))


def test_autograd_grad_api():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    w = ember.tensor([3.0, 4.0], requires_grad=True)
    y = (x * w).sum()
    gx, gw = ember.autograd.grad(y, [x, w])
    np.testing.assert_allclose(gx.numpy(), [3.0, 4.0])
    np.testing.assert_allclose(gw.numpy(), [1.0, 2.0])
    assert x.grad is None  # grad() does not accumulate
    u = ember.ones(1, requires_grad=True)
    gx, gu = ember.autograd.grad((x * 2).sum(), [x, u], allow_unused=True)
    assert gu is None
    gx, gu = ember.autograd.grad((x * 2).sum(), [x, u], materialize_grads=True)
    np.testing.assert_allclose(gu.numpy(), [0.0])
    # gradient with respect to an intermediate
    h = x * 3
    out = (h * h).sum()
    (gh,) = ember.autograd.grad(out, h)
    np.testing.assert_allclose(gh.numpy(), 2 * h.detach().numpy())


def test_higher_order_gradients():
    x = ember.tensor([2.0, -1.0], dtype=ember.float64, requires_grad=True)
    y = (x ** 3).sum()
    (g,) = ember.autograd.grad(y, x, create_graph=True)
    np.testing.assert_allclose(g.detach().numpy(), 3 * x.detach().numpy() ** 2)
    assert g.requires_grad
    (g2,) = ember.autograd.grad(g.sum(), x, create_graph=True)
    np.testing.assert_allclose(g2.detach().numpy(), 6 * x.detach().numpy())
    (g3,) = ember.autograd.grad(g2.sum(), x)
    np.testing.assert_allclose(g3.numpy(), [6.0, 6.0])
    # backward(create_graph=True) leaves a differentiable .grad
    z = ember.tensor([1.5], dtype=ember.float64, requires_grad=True)
    (z.sin() * z).sum().backward(create_graph=True)
    gz = z.grad
    assert gz.requires_grad
    (gg,) = ember.autograd.grad(gz.sum(), z)
    v = 1.5
    assert gg.item() == pytest.approx(2 * np.cos(v) - v * np.sin(v))


@needs_torch
def test_higher_order_matches_torch_on_mlp():
    rng = np.random.default_rng(0)
    W = rng.standard_normal((4, 3))
    xin = rng.standard_normal((5, 4))

    def f(m, w):
        x = m.tensor(xin)
        h = (x @ w).tanh()
        loss = (h * h).sum()
        (g,) = m.autograd.grad(loss, w, create_graph=True)
        return (g * g).sum()

    ew, tw = ember.tensor(W, requires_grad=True), torch.tensor(W, requires_grad=True)
    f(ember, ew).backward()
    f(torch, tw).backward()
    assert_close(ew.grad, tw.grad, rtol=1e-10)


def test_grad_modes():
    x = ember.ones(2, requires_grad=True)
    with ember.no_grad():
        y = x * 2
        assert not ember.is_grad_enabled()
        with ember.enable_grad():
            z = x * 2
    assert not y.requires_grad and y.grad_fn is None and z.requires_grad
    with ember.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert ember.is_grad_enabled()
    ember.set_grad_enabled(False)
    assert not (x * 2).requires_grad
    ember.set_grad_enabled(True)
    with ember.inference_mode():
        assert not (x * 2).requires_grad and ember.is_inference_mode_enabled()
    assert not ember.is_inference_mode_enabled()

    @ember.no_grad()
    def f(t):
        return t * 2

    @ember.no_grad
    def g(t):
        return t * 2

    @ember.inference_mode()
    def h(t):
        return t * 2

    assert not f(x).requires_grad and not g(x).requires_grad and not h(x).requires_grad
    assert (x * 2).requires_grad


def test_detach_shares_storage_and_version():
    x = ember.ones(3, requires_grad=True)
    y = x * 2
    d = y.detach()
    assert not d.requires_grad and d.grad_fn is None
    d[0:1].fill_(5) if hasattr(d, "fill_") else d.add_(0)
    d.mul_(1)
    assert np.shares_memory(d.numpy(), y.detach().numpy())
    assert y._version == d._version


def test_tensor_hooks_and_retain_grad():
    x = ember.ones(3, requires_grad=True)
    seen = []
    x.register_hook(lambda g: seen.append(g.clone()))
    y = x * 2
    h = y.register_hook(lambda g: g * 10)
    y.retain_grad()
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [20, 20, 20])
    np.testing.assert_allclose(y.grad.numpy(), [10, 10, 10])  # retain_grad sees hooked grad, as in torch
    np.testing.assert_allclose(seen[0].numpy(), [20, 20, 20])
    h.remove()
    x.grad = None
    y = x * 2
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [2, 2, 2])


def test_grad_fn_hooks_and_next_functions():
    x = ember.ones(2, requires_grad=True)
    y = (x * 2).sum()
    assert y.grad_fn.name() == "SumBackward0"
    (prev, _), = y.grad_fn.next_functions
    assert prev.name() == "MulBackward0"
    acc = prev.next_functions[0][0]
    assert acc.name() == "torch::autograd::AccumulateGrad" and acc.variable is x
    calls = []
    y.grad_fn.register_hook(lambda gin, gout: calls.append(len(gin)))
    y.backward()
    assert calls == [1]


class _Cube(ember.autograd.Function):
    @staticmethod
    def forward(ctx, x, k):
        ctx.save_for_backward(x)
        ctx.k = k
        return x ** 3 * k

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * 3 * x ** 2 * ctx.k, None


def test_custom_function():
    x = ember.tensor([1.0, 2.0], dtype=ember.float64, requires_grad=True)
    y = _Cube.apply(x, 2.0)
    assert y.grad_fn.name() == "_CubeBackward"
    assert y.grad_fn.needs_input_grad == (True, False)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [6.0, 24.0])
    assert ember.autograd.gradcheck(lambda t: _Cube.apply(t, 2.0), (x,))
    assert ember.autograd.gradgradcheck(lambda t: _Cube.apply(t, 2.0), (x,))
    with ember.no_grad():
        assert not _Cube.apply(x, 1.0).requires_grad


def test_custom_function_non_differentiable_output_and_wrong_grad_count():
    class Split(ember.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            idx = ember.tensor([0, 1])
            ctx.mark_non_differentiable(idx)
            return x * 2, idx

        @staticmethod
        def backward(ctx, g, gidx):
            return g * 2

    x = ember.ones(2, requires_grad=True)
    y, idx = Split.apply(x)
    assert y.requires_grad and not idx.requires_grad
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [2, 2])

    class Bad(ember.autograd.Function):
        @staticmethod
        def forward(ctx, a, b):
            return a * b

        @staticmethod
        def backward(ctx, g):
            return g

    a = ember.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="returned an incorrect number of gradients"):
        Bad.apply(a, a).sum().backward()


def test_custom_function_saved_tensor_modified():
    class Sq(ember.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 2 * g * x

    a = ember.ones(2, requires_grad=True)
    b = a * 1
    y = Sq.apply(b)
    b.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def test_inplace_on_view_rewrites_base_history():
    x = ember.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
    y = x * 1
    v = y.narrow(0, 0, 2)
    v.mul_(3)
    assert y.grad_fn.name() == "CopySlices"
    (y * y).sum().backward()
    # y = [3, 6, 3, 4]; d/dx = 2*y * [3, 3, 1, 1]
    np.testing.assert_allclose(x.grad.numpy(), [18.0, 36.0, 6.0, 8.0])


@needs_torch
def test_inplace_on_view_with_tensor_operand_matches_torch():
    rng = np.random.default_rng(1)
    a, w = rng.standard_normal((3, 4)).astype(np.float32), rng.standard_normal(4).astype(np.float32)

    def f(m, x, wt):
        y = x * 2
        row = y.select(0, 1)
        row.mul_(wt)
        y.t().narrow(0, 0, 2).add_(wt.narrow(0, 0, 2).unsqueeze(1))
        return (y * y).sum()

    ex, ew = ember.tensor(a, requires_grad=True), ember.tensor(w, requires_grad=True)
    tx, tw = torch.tensor(a, requires_grad=True), torch.tensor(w, requires_grad=True)
    f(ember, ex, ew).backward()
    f(torch, tx, tw).backward()
    assert_close(ex.grad, tx.grad, rtol=1e-5)
    assert_close(ew.grad, tw.grad, rtol=1e-5)


def test_anomaly_detection_names_the_op():
    x = ember.tensor([0.0], requires_grad=True)
    with ember.autograd.detect_anomaly():
        y = (x.sqrt() * 0).sum()  # 0 * inf -> nan in backward of sqrt
        with pytest.raises(RuntimeError, match="returned nan values"):
            y.backward()


def test_gradcheck_catches_a_wrong_gradient():
    class Wrong(ember.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * x

        @staticmethod
        def backward(ctx, g):
            return g  # should be 2 * x * g

    x = ember.tensor([1.0, 2.0], dtype=ember.float64, requires_grad=True)
    with pytest.raises(ember.autograd.gradcheck.__globals__["GradcheckError"]):
        ember.autograd.gradcheck(Wrong.apply, (x,))
    assert ember.autograd.gradcheck(Wrong.apply, (x,), raise_exception=False) is False


def test_backward_inputs_argument():
    a = ember.ones(2, requires_grad=True)
    b = ember.ones(2, requires_grad=True)
    (a * b * 3).sum().backward(inputs=[a])
    np.testing.assert_allclose(a.grad.numpy(), [3, 3])
    assert b.grad is None


def test_leaf_grads_from_views_of_one_gradient_do_not_alias():
    a = ember.ones(2, 3, requires_grad=True)
    b = ember.ones(2, 3, requires_grad=True)
    (a.t() + b.t()).sum().backward()  # both grads are transposes of one array
    a.grad.add_(1)
    np.testing.assert_allclose(b.grad.numpy(), np.ones((2, 3)))
    w = ember.ones(3, 4, requires_grad=True)
    x = ember.ones(5, 3)
    (x @ w).sum().backward()
    g = w.grad
    (x @ w).sum().backward()  # accumulation into a grad that came from a view
    assert g is w.grad or np.allclose(w.grad.numpy(), 10.0)
    np.testing.assert_allclose(w.grad.numpy(), 10.0)


def test_leaf_grad_is_laid_out_like_its_tensor():
    lin = ember.nn.Linear(4, 3)
    lin(ember.ones(5, 4)).sum().backward()
    assert lin.weight.grad.is_contiguous() and lin.bias.grad.is_contiguous()
    x = ember.ones(3, 4, requires_grad=True)
    x.t().exp().sum().backward()
    assert x.grad.is_contiguous()
    np.testing.assert_allclose(x.grad.numpy(), np.e, rtol=1e-6)
