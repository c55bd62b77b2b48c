"""nn.Module, Parameter and containers: registration, traversal, state_dict, moves, hooks, repr, errors."""
import copy
import pickle
from collections import OrderedDict

import numpy as np
import pytest

import ember
import ember.nn as nn
import ember.nn.functional as F
from tests.helpers import needs_torch, assert_close, raises_like, torch

if torch is not None:
    import torch.nn as tnn


def _model(lib):
    return lib.Sequential(OrderedDict([("fc1", lib.Linear(4, 8)), ("act", lib.ReLU()),
                                       ("drop", lib.Dropout(0.1)), ("fc2", lib.Linear(8, 3))]))


class SimpleNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(784, 128)
        self.relu = nn.ReLU()
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        return self.fc2(self.relu(self.fc1(x)))


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(28 * 28, 64)
        self.fc2 = nn.Linear(64, 10)

    def forward(self, x):
        x = x.view(-1, 28 * 28)
        x = ember.relu(self.fc1(x))
        return F.log_softmax(self.fc2(x), dim=1)


def _to_ember_state(tsd):
    return OrderedDict((k, ember.tensor(v.detach().numpy().copy())) for k, v in tsd.items())


# -- Parameter -----------------------------------------------------------------------------------------

def test_parameter_basics():
    t = ember.ones(2, 3)
    p = nn.Parameter(t)
    assert isinstance(p, ember.Tensor) and isinstance(p, nn.Parameter)
    assert p.requires_grad and p.is_leaf and p.grad_fn is None
    p.data.mul_(2)
    assert (t.numpy() == 2).all()  # shares storage with t
    assert not nn.Parameter(ember.ones(2), requires_grad=False).requires_grad
    assert repr(p).startswith("Parameter containing:\ntensor(")
    assert repr(p).endswith("requires_grad=True)")
    q = copy.deepcopy(p)
    assert isinstance(q, nn.Parameter) and q is not p and q.requires_grad
    q.data.fill_(5) if hasattr(q.data, "fill_") else q._data.fill(5)
    assert (p.numpy(force=True) == 2).all() if hasattr(p, "numpy") else True
    y = (p * 3).sum()
    y.backward()
    assert (p.grad.numpy() == 3).all()
    assert type(p * 2) is ember.Tensor


@needs_torch
def test_parameter_repr_matches_torch():
    arr = np.array([[1.5, -2.0], [0.25, 3.0]], np.float32)
    assert repr(nn.Parameter(ember.tensor(arr))) == repr(tnn.Parameter(torch.tensor(arr)))


# -- registration and traversal -------------------------------------------------------------------------

class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(3, 3)
        self.scale = nn.Parameter(ember.ones(3))
        self.register_buffer("running", ember.zeros(3))
        self.register_buffer("tmp", ember.zeros(1), persistent=False)
        self.plain = 5

    def forward(self, x):
        return self.lin(x) * self.scale + self.running


class TBlock(tnn.Module if torch is not None else object):
    def __init__(self):
        super().__init__()
        self.lin = tnn.Linear(3, 3)
        self.scale = tnn.Parameter(torch.ones(3))
        self.register_buffer("running", torch.zeros(3))
        self.register_buffer("tmp", torch.zeros(1), persistent=False)
        self.plain = 5

    def forward(self, x):
        return self.lin(x) * self.scale + self.running


def test_registration_and_traversal():
    b = Block()
    assert [n for n, _ in b.named_parameters()] == ["scale", "lin.weight", "lin.bias"]
    assert [n for n, _ in b.named_parameters(recurse=False)] == ["scale"]
    assert [n for n, _ in b.named_parameters(prefix="m")] == ["m.scale", "m.lin.weight", "m.lin.bias"]
    assert [n for n, _ in b.named_buffers()] == ["running", "tmp"]
    assert [n for n, _ in b.named_children()] == ["lin"]
    assert [n for n, _ in b.named_modules()] == ["", "lin"]
    assert len(list(b.parameters())) == 3 and len(list(b.buffers())) == 2
    assert list(b.state_dict().keys()) == ["scale", "running", "lin.weight", "lin.bias"]
    assert b.plain == 5 and "plain" not in b._parameters
    # shared parameters are yielded once unless remove_duplicate=False
    s = nn.Sequential(b.lin, b.lin)
    assert len(list(s.parameters())) == 2
    assert len(list(s.named_parameters(remove_duplicate=False))) == 4
    assert len(list(s.named_modules())) == 2
    # reassigning: parameter -> None, module removal, buffer replacement
    b.scale = None
    assert b.scale is None and [n for n, _ in b.named_parameters()] == ["lin.weight", "lin.bias"]
    b.running = ember.ones(3)
    assert (b.state_dict()["running"].numpy() == 1).all()
    del b.lin
    assert "lin" not in b._modules
    with pytest.raises(AttributeError):
        b.lin
    d = dir(Block())
    assert "lin" in d and "scale" in d and "running" in d and "forward" in d


@needs_torch
def test_state_dict_matches_torch_structure():
    e, t = Block(), TBlock()
    se, st = e.state_dict(), t.state_dict()
    assert list(se.keys()) == list(st.keys())
    for k in se:
        assert tuple(se[k].shape) == tuple(st[k].shape)
        assert not se[k].requires_grad
    assert list(_model(nn).state_dict()) == list(_model(tnn).state_dict())
    assert se._metadata[""] == {"version": 1} and "lin" in se._metadata
    kv = e.state_dict(keep_vars=True)
    assert kv["scale"] is e.scale


@needs_torch
def test_load_torch_state_dict_gives_same_outputs():
    tm = _model(tnn).eval()
    em = _model(nn).eval()
    res = em.load_state_dict(_to_ember_state(tm.state_dict()))
    assert res.missing_keys == [] and res.unexpected_keys == []
    assert repr(res) == "<All keys matched successfully>"
    x = np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32)
    assert_close(em(ember.tensor(x)), tm(torch.tensor(x)))
    # loading copies in place: parameter identity is kept
    w = em.fc1.weight
    em.load_state_dict(_to_ember_state(tm.state_dict()))
    assert em.fc1.weight is w
    # and a round trip through ember's own state_dict
    em2 = _model(nn).eval()
    em2.load_state_dict(em.state_dict())
    assert_close(em2(ember.tensor(x)), tm(torch.tensor(x)))


@needs_torch
def test_load_state_dict_errors():
    em, tm = nn.Linear(4, 2), tnn.Linear(4, 2)
    bad_e = {"weight": ember.zeros(3, 4), "bias": ember.zeros(2)}
    bad_t = {"weight": torch.zeros(3, 4), "bias": torch.zeros(2)}
    with pytest.raises(RuntimeError) as ee:
        em.load_state_dict(bad_e)
    with pytest.raises(RuntimeError) as te:
        tm.load_state_dict(bad_t)
    assert str(ee.value).replace("ember.", "torch.") == str(te.value)
    assert str(ee.value) == ("Error(s) in loading state_dict for Linear:\n\tsize mismatch for weight: copying a param "
                             "with shape ember.Size([3, 4]) from checkpoint, the shape in current model is "
                             "ember.Size([2, 4]).")
    miss_e, miss_t = {"weight": ember.zeros(2, 4), "extra": ember.zeros(1)}, {"weight": torch.zeros(2, 4),
                                                                               "extra": torch.zeros(1)}
    with pytest.raises(RuntimeError) as ee:
        em.load_state_dict(miss_e)
    with pytest.raises(RuntimeError) as te:
        tm.load_state_dict(miss_t)
    assert str(ee.value) == str(te.value)
    re_, rt = em.load_state_dict(miss_e, strict=False), tm.load_state_dict(miss_t, strict=False)
    assert re_.missing_keys == rt.missing_keys and re_.unexpected_keys == rt.unexpected_keys
    assert repr(re_) == repr(rt)
    raises_like(lambda: tm.load_state_dict([1]), lambda: em.load_state_dict([1]))


def test_load_state_dict_assign():
    m = nn.Linear(2, 2)
    w = ember.ones(2, 2)
    m.load_state_dict({"weight": w, "bias": ember.zeros(2)}, assign=True)
    assert isinstance(m.weight, nn.Parameter) and m.weight.requires_grad
    w.mul_(3)
    assert (m.weight.detach().numpy() == 3).all()


# -- modes, moves, grads ----------------------------------------------------------------------------------

def test_train_eval_requires_grad_zero_grad_apply():
    m = _model(nn)
    assert m.training and m.drop.training
    m.eval()
    assert not m.training and not m.drop.training
    m.train()
    assert m.fc2.training
    with pytest.raises(ValueError):
        m.train("yes")
    m(ember.randn(2, 4)).sum().backward()
    assert m.fc1.weight.grad is not None
    m.zero_grad(set_to_none=False)
    assert (m.fc1.weight.grad.numpy() == 0).all()
    m.zero_grad()
    assert m.fc1.weight.grad is None
    m.requires_grad_(False)
    assert not any(p.requires_grad for p in m.parameters())
    seen = []
    m.apply(lambda mod: seen.append(type(mod).__name__))
    assert seen == ["Linear", "ReLU", "Dropout", "Linear", "Sequential"]


def test_dtype_moves_keep_parameter_identity():
    m = Block()
    w = m.lin.weight
    m(ember.randn(2, 3)).sum().backward()
    assert m.double() is m
    assert m.lin.weight is w and w.dtype == ember.float64 and isinstance(w, nn.Parameter)
    assert w.grad.dtype == ember.float64
    assert m.running.dtype == ember.float64
    m.float()
    assert w.dtype == ember.float32
    m.to(ember.float64)
    assert w.dtype == ember.float64
    m.to("cpu", dtype=ember.float32)
    assert w.dtype == ember.float32 and w.device == ember.device("cpu")
    m.half()
    assert w.dtype == ember.float16
    m.type(ember.float32)
    assert w.dtype == ember.float32
    assert m.cpu() is m
    with pytest.raises(TypeError, match="nn.Module.to only accepts floating point or complex dtypes"):
        m.to(ember.int64)
    x = ember.randn(2, 3)
    y = m(x)
    assert y.dtype == ember.float32
    y.sum().backward()


def test_deepcopy_and_pickle():
    m = _model(nn)
    c = copy.deepcopy(m)
    assert c.fc1.weight is not m.fc1.weight
    assert isinstance(c.fc1.weight, nn.Parameter)
    np.testing.assert_array_equal(c.fc1.weight.detach().numpy(), m.fc1.weight.detach().numpy())
    c.fc1.weight.data.mul_(0)
    assert not (m.fc1.weight.detach().numpy() == 0).all()
    x = ember.randn(2, 4)
    m.eval(), c.eval()
    assert c(x).shape == m(x).shape


# -- hooks ---------------------------------------------------------------------------------------------------

def test_forward_hooks():
    m = nn.Linear(3, 2)
    calls = []
    h1 = m.register_forward_pre_hook(lambda mod, args: calls.append(("pre", args[0].shape)))
    h2 = m.register_forward_hook(lambda mod, args, out: calls.append(("post", out.shape)))
    x = ember.randn(4, 3)
    m(x)
    assert calls == [("pre", ember.Size([4, 3])), ("post", ember.Size([4, 2]))]
    h1.remove()
    h2.remove()
    m(x)
    assert len(calls) == 2
    # hooks that change inputs / outputs
    m.register_forward_pre_hook(lambda mod, args: (args[0] * 0,))
    m.register_forward_hook(lambda mod, args, out: out + 1)
    np.testing.assert_allclose(m(x).detach().numpy(), m.bias.detach().numpy() + 1 + np.zeros((4, 2)), rtol=1e-6)
    # with_kwargs
    k = nn.Identity()
    k.register_forward_pre_hook(lambda mod, args, kwargs: (args, kwargs), with_kwargs=True)
    k.register_forward_hook(lambda mod, args, kwargs, out: out * 2, with_kwargs=True)
    assert (k(ember.ones(2)).numpy() == 2).all()
    with m.register_forward_hook(lambda *a: calls.append("ctx")):
        m(x)
    m(x)
    assert calls.count("ctx") == 1


def test_full_backward_hook():
    m = nn.Linear(3, 2)
    seen = {}

    def hook(mod, grad_input, grad_output):
        seen["gi"] = grad_input
        seen["go"] = grad_output

    m.register_full_backward_hook(hook)
    x = ember.randn(4, 3, requires_grad=True)
    m(x).sum().backward()
    assert seen["go"][0].shape == ember.Size([4, 2])
    assert (seen["go"][0].numpy() == 1).all()
    np.testing.assert_allclose(seen["gi"][0].numpy(), x.grad.numpy())


# -- containers ------------------------------------------------------------------------------------------------

@needs_torch
def test_sequential_api():
    s = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    assert len(s) == 3 and isinstance(s[0], nn.Linear) and isinstance(s[-1], nn.Linear)
    sub = s[1:]
    assert isinstance(sub, nn.Sequential) and len(sub) == 2 and sub[0] is s[1]
    s.append(nn.Sigmoid())
    assert len(s) == 4 and isinstance(s[3], nn.Sigmoid)
    s.insert(1, nn.Tanh())
    assert [type(m).__name__ for m in s] == ["Linear", "Tanh", "ReLU", "Linear", "Sigmoid"]
    del s[1]
    assert [type(m).__name__ for m in s] == ["Linear", "ReLU", "Linear", "Sigmoid"]
    assert list(s._modules) == ["0", "1", "2", "3"]
    s.extend([nn.Identity()])
    assert len(s) == 5
    s[4] = nn.Tanh()
    assert isinstance(s[4], nn.Tanh)
    with pytest.raises(IndexError):
        s[10]
    assert s(ember.randn(5, 2)).shape == ember.Size([5, 1])
    od = nn.Sequential(OrderedDict([("a", nn.Linear(2, 2)), ("b", nn.ReLU())]))
    assert isinstance(od.a, nn.Linear) and list(od.state_dict()) == ["a.weight", "a.bias"]
    te = tnn.Sequential(tnn.Linear(2, 3), tnn.ReLU(), tnn.Sequential(tnn.Linear(3, 1), tnn.Sigmoid()))
    ee = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Sequential(nn.Linear(3, 1), nn.Sigmoid()))
    assert repr(ee) == repr(te)


@needs_torch
def test_module_list_dict_and_parameter_containers():
    ml = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
    tl = tnn.ModuleList([tnn.Linear(2, 2) for _ in range(3)])
    assert repr(ml) == repr(tl)
    ml.append(nn.ReLU())
    tl.append(tnn.ReLU())
    assert repr(ml) == repr(tl)
    assert len(ml) == 4 and isinstance(ml[-1], nn.ReLU) and len(ml[1:]) == 3
    ml.insert(0, nn.Tanh())
    assert isinstance(ml[0], nn.Tanh) and len(ml) == 5
    assert len(list(ml.parameters())) == 6
    md = nn.ModuleDict({"b": nn.Linear(1, 1), "a": nn.ReLU()})
    assert list(md.keys()) == ["b", "a"] and "a" in md and len(md) == 2
    md["c"] = nn.Tanh()
    assert list(md) == ["b", "a", "c"]
    assert md.pop("a").__class__ is nn.ReLU and len(md) == 2
    pl = nn.ParameterList([nn.Parameter(ember.ones(2)), ember.zeros(3)])
    assert len(pl) == 2 and isinstance(pl[1], nn.Parameter)
    assert [n for n, _ in pl.named_parameters()] == ["0", "1"]
    tpl = tnn.ParameterList([tnn.Parameter(torch.ones(2)), torch.zeros(3)])
    assert repr(pl).replace("ember.", "torch.") == repr(tpl)
    pd = nn.ParameterDict({"x": nn.Parameter(ember.ones(2))})
    pd["y"] = ember.zeros(1)
    assert isinstance(pd["y"], nn.Parameter) and list(pd.keys()) == ["x", "y"]
    assert [n for n, _ in pd.named_parameters()] == ["x", "y"]
    tpd = tnn.ParameterDict({"x": tnn.Parameter(torch.ones(2))})
    tpd["y"] = torch.zeros(1)
    assert repr(pd).replace("ember.", "torch.") == repr(tpd)


# -- repr and errors --------------------------------------------------------------------------------------------

@needs_torch
def test_nested_repr_matches_torch():
    class E(nn.Module):
        def __init__(self):
            super().__init__()
            self.body = nn.Sequential(nn.Linear(4, 8), nn.GELU(), nn.Dropout(0.2))
            self.heads = nn.ModuleList([nn.Linear(8, 2), nn.Linear(8, 2)])
            self.emb = nn.Embedding(10, 4, padding_idx=0)
            self.act = nn.LeakyReLU(0.1)
            self.sm = nn.Softmax(dim=1)

    class T(tnn.Module):
        def __init__(self):
            super().__init__()
            self.body = tnn.Sequential(tnn.Linear(4, 8), tnn.GELU(), tnn.Dropout(0.2))
            self.heads = tnn.ModuleList([tnn.Linear(8, 2), tnn.Linear(8, 2)])
            self.emb = tnn.Embedding(10, 4, padding_idx=0)
            self.act = tnn.LeakyReLU(0.1)
            self.sm = tnn.Softmax(dim=1)

    E.__name__ = T.__name__ = "Model"
    assert repr(E()) == repr(T())


@needs_torch
def test_errors_like_torch():
    em, tm = nn.Linear(2, 2), tnn.Linear(2, 2)
    raises_like(lambda: tm.foo, lambda: em.foo)
    raises_like(lambda: setattr(tm, "weight", torch.ones(2, 2)), lambda: setattr(em, "weight", ember.ones(2, 2)))
    raises_like(lambda: tm.register_buffer("weight", torch.ones(1)), lambda: em.register_buffer("weight", ember.ones(1)))
    raises_like(lambda: tm.register_buffer("a.b", torch.ones(1)), lambda: em.register_buffer("a.b", ember.ones(1)))
    raises_like(lambda: tm.register_buffer("b", 3), lambda: em.register_buffer("b", 3))
    raises_like(lambda: tm.register_parameter("p", torch.ones(1)), lambda: em.register_parameter("p", ember.ones(1)))
    raises_like(lambda: tm.add_module("m", 3), lambda: em.add_module("m", 3))
    raises_like(lambda: tm.add_module("a.b", tnn.ReLU()), lambda: em.add_module("a.b", nn.ReLU()))
    raises_like(lambda: tm.get_submodule("nope"), lambda: em.get_submodule("nope"))
    raises_like(lambda: tm.get_submodule("weight"), lambda: em.get_submodule("weight"))
    raises_like(lambda: tm.get_parameter("nope"), lambda: em.get_parameter("nope"))
    raises_like(lambda: tnn.Module()(1), lambda: nn.Module()(1))

    class Early(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(ember.ones(1))

    class TEarly(tnn.Module):
        def __init__(self):
            self.w = tnn.Parameter(torch.ones(1))

    raises_like(TEarly, Early)
    nonleaf = nn.Parameter(ember.ones(2)) * 2
    with pytest.raises(TypeError):
        em.weight = nonleaf


def test_get_submodule_and_parameter():
    m = nn.Sequential(OrderedDict([("enc", nn.Sequential(nn.Linear(2, 2)))]))
    assert m.get_submodule("enc.0") is m.enc[0]
    assert m.get_parameter("enc.0.bias") is m.enc[0].bias
    m.register_module("extra", nn.ReLU())
    assert isinstance(m.extra, nn.ReLU)


# -- end-to-end: the seed's models ---------------------------------------------------------------------------

@needs_torch
def test_seed_models_train_like_torch():
    for EmCls in (SimpleNN, Net):
        em = EmCls()
        if EmCls is SimpleNN:
            tm = tnn.Sequential(OrderedDict([("fc1", tnn.Linear(784, 128)), ("relu", tnn.ReLU()),
                                             ("fc2", tnn.Linear(128, 10))]))
        else:
            tm = tnn.Sequential(OrderedDict([("fc1", tnn.Linear(784, 64)), ("fc2", tnn.Linear(64, 10))]))
        em.load_state_dict(_to_ember_state(tm.state_dict()))
        x = np.random.default_rng(0).standard_normal((8, 1, 28, 28)).astype(np.float32)
        y = np.arange(8) % 10
        xe, xt = ember.tensor(x), torch.tensor(x)
        if EmCls is SimpleNN:
            oe = em(xe.view(-1, 28 * 28))
            ot = tm(xt.view(-1, 28 * 28))
            le = nn.CrossEntropyLoss()(oe, ember.tensor(y))
            lt = tnn.CrossEntropyLoss()(ot, torch.tensor(y))
        else:
            oe = em(xe)
            ot = torch.log_softmax(tm.fc2(torch.relu(tm.fc1(xt.view(-1, 784)))), dim=1)
            le = F.nll_loss(oe, ember.tensor(y))
            lt = torch.nn.functional.nll_loss(ot, torch.tensor(y))
        assert_close(oe, ot, rtol=1e-4, atol=1e-5)
        assert_close(le, lt, rtol=1e-5)
        le.backward()
        lt.backward()
        tp = dict(tm.named_parameters())
        for name, p in em.named_parameters():
            assert_close(p.grad, tp[name].grad, rtol=1e-4, atol=1e-6)
