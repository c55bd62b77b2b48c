"""ember.optim against torch.optim: trajectories, state_dict layout and resuming, param groups, errors."""
import copy
import pickle

import numpy as np
import pytest

import ember
import ember.optim as eoptim
from tests.helpers import needs_torch, raises_like, torch

SHAPES = ((5, 4), (4,), (), (2, 3, 2))


def _data(shapes=SHAPES, steps=8, dtype=np.float32, seed=0):
    rng = np.random.default_rng(seed)
    init = [rng.standard_normal(s).astype(dtype) for s in shapes]
    grads = [[rng.standard_normal(s).astype(dtype) for s in shapes] for _ in range(steps)]
    return init, grads


def _params(init):
    return ([torch.tensor(a, requires_grad=True) for a in init],
            [ember.tensor(a, requires_grad=True) for a in init])


def _set_grads(tp, ep, grads):
    for t, e, g in zip(tp, ep, grads):
        t.grad = torch.tensor(g)
        e.grad = ember.tensor(g)


def _close(e, t, rtol=1e-6, atol=1e-6):
    """Agreement to float32 rounding: torch's CPU kernels use FMA and a vectorized sqrt that is
    not correctly rounded, so results can differ from NumPy's in the last bit of an op."""
    ev = e.detach().numpy() if isinstance(e, ember.Tensor) else np.asarray(e)
    tv = t.detach().numpy() if isinstance(t, torch.Tensor) else np.asarray(t)
    assert ev.dtype == tv.dtype and ev.shape == tv.shape
    np.testing.assert_allclose(ev, tv, rtol=rtol, atol=atol)


CONFIGS = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.9)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.1)),
    ("SGD", dict(lr=0.05, momentum=0.8, dampening=0.3, weight_decay=0.01, maximize=True)),
    ("Adam", dict(lr=0.1)),
    ("Adam", dict(lr=0.05, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1, amsgrad=True)),
    ("Adam", dict(lr=0.05, maximize=True, weight_decay=0.05)),
    ("Adam", dict(lr=0.05, weight_decay=0.1, decoupled_weight_decay=True)),
    ("Adam", dict(lr=0.05, betas=(0.6, 0.9))),  # lerp weight >= 0.5 takes the other branch
    ("AdamW", dict(lr=0.1)),
    ("AdamW", dict(lr=0.05, weight_decay=0.1, amsgrad=True, maximize=True)),
    ("RMSprop", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, alpha=0.9, momentum=0.9, weight_decay=0.1)),
    ("RMSprop", dict(lr=0.01, centered=True, maximize=True)),
    ("RMSprop", dict(lr=0.01, alpha=0.3, centered=True, momentum=0.5, eps=1e-4)),
    ("Adagrad", dict(lr=0.1)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01, weight_decay=0.1, initial_accumulator_value=0.2, eps=1e-6)),
    ("Adagrad", dict(lr=0.1, maximize=True)),
    ("Adadelta", dict()),
    ("Adadelta", dict(lr=0.5, rho=0.8, weight_decay=0.1, maximize=True)),
    ("Adamax", dict(lr=0.1)),
    ("Adamax", dict(lr=0.1, betas=(0.7, 0.9), weight_decay=0.1, maximize=True)),
    ("NAdam", dict(lr=0.1)),
    ("NAdam", dict(lr=0.1, momentum_decay=0.01, weight_decay=0.1)),
    ("NAdam", dict(lr=0.1, weight_decay=0.1, decoupled_weight_decay=True, maximize=True)),
    ("RAdam", dict(lr=0.1)),  # steps 6.. take the rectified branch
    ("RAdam", dict(lr=0.1, weight_decay=0.1)),
    ("RAdam", dict(lr=0.1, weight_decay=0.1, decoupled_weight_decay=True, maximize=True)),
]
IDS = [f"{n}-{i}" for i, (n, _) in enumerate(CONFIGS)]


@needs_torch
@pytest.mark.parametrize("name,kw", CONFIGS, ids=IDS)
def test_trajectory_matches_torch(name, kw):
    init, grads = _data(steps=8)
    tp, ep = _params(init)
    to, eo = getattr(torch.optim, name)(tp, **kw), getattr(eoptim, name)(ep, **kw)
    for g in grads:
        _set_grads(tp, ep, g)
        to.step()
        eo.step()
        for t, e in zip(tp, ep):
            _close(e, t)
    # the state matches too, entry by entry (same keys in the same order, same dtypes)
    tsd, esd = to.state_dict(), eo.state_dict()
    assert list(esd["state"]) == list(tsd["state"])
    for k in tsd["state"]:
        assert list(esd["state"][k]) == list(tsd["state"][k])
        for key, tv in tsd["state"][k].items():
            _close(esd["state"][k][key], tv, rtol=1e-5, atol=1e-6)
    assert esd["param_groups"] == tsd["param_groups"]


@needs_torch
@pytest.mark.parametrize("name,kw", [c for c in CONFIGS if c[0] in ("SGD", "Adam", "RMSprop", "NAdam")][::2])
def test_trajectory_float64(name, kw):
    init, grads = _data(steps=6, dtype=np.float64)
    tp, ep = _params(init)
    to, eo = getattr(torch.optim, name)(tp, **kw), getattr(eoptim, name)(ep, **kw)
    for g in grads:
        _set_grads(tp, ep, g)
        to.step()
        eo.step()
    for t, e in zip(tp, ep):
        _close(e, t, rtol=1e-13, atol=1e-13)


@needs_torch
@pytest.mark.parametrize("name", ["SGD", "Adam", "RMSprop", "Adagrad", "Adamax", "RAdam"])
def test_complex_params(name):
    rng = np.random.default_rng(5)
    init = [(rng.standard_normal((3, 2)) + 1j * rng.standard_normal((3, 2))).astype(np.complex64)]
    grads = [[(rng.standard_normal((3, 2)) + 1j * rng.standard_normal((3, 2))).astype(np.complex64)]
             for _ in range(7)]
    kw = dict(lr=0.1, momentum=0.9) if name == "SGD" else dict(lr=0.1)
    tp, ep = _params(init)
    to, eo = getattr(torch.optim, name)(tp, **kw), getattr(eoptim, name)(ep, **kw)
    for g in grads:
        _set_grads(tp, ep, g)
        to.step()
        eo.step()
    _close(ep[0], tp[0])


@needs_torch
def test_quadratic_loss_with_autograd():
    """A least-squares fit driven by backward(): the optimizer sees ember-computed gradients."""
    rng = np.random.default_rng(1)
    W0, X, Y = (rng.standard_normal((3, 4)).astype(np.float32), rng.standard_normal((4, 6)).astype(np.float32),
                rng.standard_normal((3, 6)).astype(np.float32))
    for name, kw in [("Adam", dict(lr=0.05)), ("SGD", dict(lr=0.01, momentum=0.9, nesterov=True))]:
        tW, eW = torch.tensor(W0, requires_grad=True), ember.tensor(W0, requires_grad=True)
        to, eo = getattr(torch.optim, name)([tW], **kw), getattr(eoptim, name)([eW], **kw)
        tX, tY, eX, eY = torch.tensor(X), torch.tensor(Y), ember.tensor(X), ember.tensor(Y)
        for _ in range(10):
            to.zero_grad()
            eo.zero_grad()
            tl = ((tW @ tX - tY) ** 2).sum()
            el = ((eW @ eX - eY) ** 2).sum()
            tl.backward()
            el.backward()
            to.step()
            eo.step()
            _close(eW, tW, rtol=1e-5, atol=1e-5)
        assert el.item() < ((ember.tensor(W0) @ eX - eY) ** 2).sum().item()


@needs_torch
def test_closure_is_called_with_grad_enabled():
    tW, eW = torch.tensor([1.0, -2.0], requires_grad=True), ember.tensor([1.0, -2.0], requires_grad=True)
    to, eo = torch.optim.SGD([tW], lr=0.1), eoptim.SGD([eW], lr=0.1)

    def tclosure():
        to.zero_grad()
        loss = (tW ** 2).sum()
        loss.backward()
        return loss

    def eclosure():
        assert ember.is_grad_enabled()
        eo.zero_grad()
        loss = (eW ** 2).sum()
        loss.backward()
        return loss

    with ember.no_grad():
        out = eo.step(eclosure)
    assert out.item() == to.step(tclosure).item() == 5.0
    _close(eW, tW)


@needs_torch
@pytest.mark.parametrize("name,kw", [("SGD", dict(lr=0.1, momentum=0.9)), ("Adam", dict(lr=0.1, amsgrad=True)),
                                     ("AdamW", dict(lr=0.1)), ("RMSprop", dict(momentum=0.5, centered=True)),
                                     ("Adagrad", dict(lr=0.1)), ("Adadelta", dict()), ("Adamax", dict()),
                                     ("NAdam", dict()), ("RAdam", dict())])
def test_state_dict_layout_and_resume_from_torch(name, kw):
    init, grads = _data(steps=8)
    tp, ep = _params(init)
    to = getattr(torch.optim, name)(tp, **kw)
    for g in grads[:4]:
        for t, a in zip(tp, g):
            t.grad = torch.tensor(a)
        to.step()
    tsd = to.state_dict()
    # torch's layout: integer keys, 0-d float32 'step' (and NAdam's mu_product) tensors
    assert list(tsd) == ["state", "param_groups"]
    # convert torch's state dict tensor by tensor and load it into ember
    conv = {"state": {k: {kk: ember.tensor(vv.numpy().copy()) if isinstance(vv, torch.Tensor) else vv
                          for kk, vv in v.items()} for k, v in tsd["state"].items()},
            "param_groups": copy.deepcopy(tsd["param_groups"])}
    ep = [ember.tensor(t.detach().numpy().copy(), requires_grad=True) for t in tp]
    eo = getattr(eoptim, name)(ep, **kw)
    eo.load_state_dict(conv)
    for g in grads[4:]:
        _set_grads(tp, ep, g)
        to.step()
        eo.step()
        for t, e in zip(tp, ep):
            _close(e, t)
    tsd, esd = to.state_dict(), eo.state_dict()
    assert esd["param_groups"] == tsd["param_groups"]
    for k, tstate in tsd["state"].items():
        assert list(esd["state"][k]) == list(tstate)
        for key, tv in tstate.items():
            ev = esd["state"][k][key]
            if isinstance(tv, torch.Tensor):
                assert isinstance(ev, ember.Tensor)
                assert str(ev.dtype) == str(tv.dtype).replace("torch", "ember")
                assert tuple(ev.shape) == tuple(tv.shape)
            _close(ev, tv, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name,kw", [("SGD", dict(lr=0.1, momentum=0.9)), ("Adam", dict(lr=0.1, amsgrad=True)),
                                     ("RMSprop", dict(momentum=0.5, centered=True)), ("Adagrad", dict(lr=0.1)),
                                     ("Adadelta", dict()), ("Adamax", dict()), ("NAdam", dict()),
                                     ("RAdam", dict())])
def test_resume_equals_not_stopping(name, kw):
    init, grads = _data(steps=8)
    ref = [ember.tensor(a, requires_grad=True) for a in init]
    ro = getattr(eoptim, name)(ref, **kw)
    ps = [ember.tensor(a, requires_grad=True) for a in init]
    o = getattr(eoptim, name)(ps, **kw)
    for g in grads[:3]:
        for p, q, a in zip(ref, ps, g):
            p.grad, q.grad = ember.tensor(a), ember.tensor(a)
        ro.step()
        o.step()
    # save through pickle (what ember.save does), restart with fresh tensors and a fresh optimizer
    blob = pickle.dumps({"params": [p.detach().numpy().copy() for p in ps], "optim": o.state_dict()})
    saved = pickle.loads(blob)
    ps2 = [ember.tensor(a, requires_grad=True) for a in saved["params"]]
    o2 = getattr(eoptim, name)(ps2, **kw)
    o2.load_state_dict(saved["optim"])
    for g in grads[3:]:
        for p, q, a in zip(ref, ps2, g):
            p.grad, q.grad = ember.tensor(a), ember.tensor(a)
        ro.step()
        o2.step()
    for p, q in zip(ref, ps2):
        np.testing.assert_array_equal(p.detach().numpy(), q.detach().numpy())


@needs_torch
def test_state_dict_keys_and_step_dtype():
    init, grads = _data(steps=1)
    tp, ep = _params(init)
    to, eo = torch.optim.Adam(tp), eoptim.Adam(ep)
    _set_grads(tp, ep, grads[0])
    to.step()
    eo.step()
    esd = eo.state_dict()
    assert list(esd["state"]) == [0, 1, 2, 3]
    assert list(esd["state"][0]) == ["step", "exp_avg", "exp_avg_sq"]
    step = esd["state"][0]["step"]
    assert step.dtype is ember.float32 and step.shape == () and step.item() == 1.0
    assert esd["param_groups"] == to.state_dict()["param_groups"]
    # as in torch, state tensors are returned by reference
    assert esd["state"][0]["exp_avg"] is eo.state[ep[0]]["exp_avg"]
    # under a float64 default dtype the step counter is float64, as in torch
    ember.set_default_dtype(ember.float64)
    try:
        p = ember.tensor([1.0], dtype=ember.float32, requires_grad=True)
        o = eoptim.Adam([p])
        p.grad = ember.tensor([1.0], dtype=ember.float32)
        o.step()
        assert o.state[p]["step"].dtype is ember.float64
    finally:
        ember.set_default_dtype(ember.float32)


@needs_torch
def test_param_groups_with_their_own_options():
    init, grads = _data(steps=6)
    tp, ep = _params(init)

    def groups(ps):
        return [{"params": ps[:2], "lr": 0.01, "betas": (0.5, 0.9)},
                {"params": ps[2:3]},
                {"params": ps[3:], "lr": 0.2, "weight_decay": 0.1, "amsgrad": True}]

    to, eo = torch.optim.Adam(groups(tp), lr=0.05), eoptim.Adam(groups(ep), lr=0.05)
    assert [g["lr"] for g in eo.param_groups] == [0.01, 0.05, 0.2]
    for g in grads:
        _set_grads(tp, ep, g)
        to.step()
        eo.step()
    for t, e in zip(tp, ep):
        _close(e, t)
    esd, tsd = eo.state_dict(), to.state_dict()
    assert esd["param_groups"] == tsd["param_groups"]
    assert [g["params"] for g in esd["param_groups"]] == [[0, 1], [2], [3]]


@needs_torch
def test_add_param_group_and_params_without_grad():
    a, b, c = (ember.tensor([1.0, 2.0], requires_grad=True) for _ in range(3))
    o = eoptim.SGD([a], lr=0.1, momentum=0.9)
    o.add_param_group({"params": b, "lr": 0.5})
    assert o.param_groups[1]["params"] == [b] and o.param_groups[1]["momentum"] == 0.9
    with pytest.raises(ValueError, match="some parameters appear in more than one parameter group"):
        o.add_param_group({"params": [c, a]})
    with pytest.raises(TypeError, match="optimizer parameters need to be organized in ordered collections"):
        o.add_param_group({"params": {c}})
    with pytest.warns(UserWarning, match="duplicate parameters"):
        eoptim.SGD([c, c], lr=0.1)
    # a parameter without a gradient is skipped: unchanged, no state, no version bump
    a.grad = ember.tensor([1.0, 1.0])
    v_b = b._version
    o.step()
    assert b.tolist() == [1.0, 2.0] and b not in o.state and b._version == v_b
    np.testing.assert_allclose(a.tolist(), [0.9, 1.9], rtol=1e-6)
    # named parameters
    o = eoptim.Adam([("w", a), ("b", b)])
    assert o.param_groups[0]["param_names"] == ["w", "b"]
    assert o.state_dict()["param_groups"][0]["param_names"] == ["w", "b"]
    # a required option with no default
    from ember.optim.optimizer import Optimizer, required

    class Opt(Optimizer):
        def __init__(self, params, lr=required):
            super().__init__(params, {"lr": lr})

    with pytest.raises(ValueError, match="parameter group didn't specify a value of required optimization "
                                         "parameter lr"):
        Opt([a])


def test_zero_grad():
    p = ember.tensor([1.0, 2.0], requires_grad=True)
    o = eoptim.SGD([p], lr=0.1)
    p.grad = ember.tensor([3.0, 4.0])
    o.zero_grad()
    assert p.grad is None
    p.grad = ember.tensor([3.0, 4.0])
    g = p.grad
    o.zero_grad(set_to_none=False)
    assert p.grad is g and p.grad.tolist() == [0.0, 0.0] and not p.grad.requires_grad
    # a grad that carries history (create_graph=True) is detached in place
    (p * p).sum().backward(create_graph=True)
    assert p.grad.grad_fn is not None
    o.zero_grad(set_to_none=False)
    assert p.grad.grad_fn is None and p.grad.tolist() == [0.0, 0.0]


def test_updates_in_place_and_bumps_version_once():
    p = ember.tensor(np.ones((3, 4), np.float32), requires_grad=True)
    arr = p._data
    for name in ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax", "NAdam", "RAdam"]:
        o = getattr(eoptim, name)([p], lr=0.01)
        p.grad = ember.tensor(np.full((3, 4), 0.5, np.float32))
        v = p._version
        o.step()
        o.step()
        assert p._data is arr, name
        assert p._version == v + 2, name
        assert p.dtype is ember.float32 and p.is_leaf and p.requires_grad
        for value in o.state[p].values():
            if value.dim() > 0:
                assert value.dtype is ember.float32, name


def test_saved_tensor_check_sees_the_update():
    # the version bump makes autograd notice a parameter changed after it was saved
    p = ember.tensor([1.0, 2.0], requires_grad=True)
    o = eoptim.SGD([p], lr=0.1)
    loss = (p * p).sum()
    p.grad = ember.tensor([1.0, 1.0])
    o.step()
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        loss.backward()


@needs_torch
def test_step_hooks_and_state_dict_hooks():
    p = ember.tensor([1.0], requires_grad=True)
    o = eoptim.SGD([p], lr=0.1)
    calls = []
    h1 = o.register_step_pre_hook(lambda opt, args, kwargs: calls.append("pre"))
    h2 = o.register_step_post_hook(lambda opt, args, kwargs: calls.append("post"))
    h3 = eoptim.register_optimizer_step_pre_hook(lambda opt, args, kwargs: calls.append("gpre"))
    p.grad = ember.tensor([1.0])
    o.step()
    assert calls == ["gpre", "pre", "post"]
    for h in (h1, h2, h3):
        h.remove()
    o.step()
    assert calls == ["gpre", "pre", "post"]
    o.register_state_dict_post_hook(lambda opt, sd: {**sd, "extra": 1})
    assert o.state_dict()["extra"] == 1
    seen = []
    o.register_load_state_dict_post_hook(lambda opt: seen.append(True))
    o.load_state_dict(o.state_dict())
    assert seen == [True]


@needs_torch
def test_repr_matches_torch():
    tp, ep = _params(_data(steps=0)[0])
    for name in ["SGD", "Adam", "AdamW", "RMSprop", "NAdam"]:
        assert repr(getattr(eoptim, name)(ep, lr=0.1)) == repr(getattr(torch.optim, name)(tp, lr=0.1))


@needs_torch
def test_defaults_match_torch():
    tp, ep = _params(_data(steps=0)[0])
    for name in ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax", "NAdam", "RAdam"]:
        eo, to = getattr(eoptim, name)(ep), getattr(torch.optim, name)(tp)
        assert eo.defaults == to.defaults, name
        assert list(eo.param_groups[0]) == list(to.param_groups[0]), name


@needs_torch
def test_load_state_dict_errors():
    tp, ep = _params(_data(steps=0)[0])
    eo, to = eoptim.Adam(ep), torch.optim.Adam(tp)
    e2, t2 = eoptim.Adam(ep[:2]), torch.optim.Adam(tp[:2])
    raises_like(lambda: to.load_state_dict(t2.state_dict()), lambda: eo.load_state_dict(e2.state_dict()))
    e3, t3 = eoptim.Adam([{"params": ep[:2]}, {"params": ep[2:]}]), torch.optim.Adam([{"params": tp[:2]},
                                                                                       {"params": tp[2:]}])
    raises_like(lambda: to.load_state_dict(t3.state_dict()), lambda: eo.load_state_dict(e3.state_dict()))


def _both(name, *args, **kw):
    init = _data(steps=0)[0]
    tp, ep = _params(init)
    return (lambda: getattr(torch.optim, name)(tp, *args, **kw),
            lambda: getattr(eoptim, name)(ep, *args, **kw))


INVALID = [
    ("SGD", dict(lr=-0.1)), ("SGD", dict(momentum=-0.5)), ("SGD", dict(weight_decay=-1)),
    ("SGD", dict(nesterov=True)), ("SGD", dict(nesterov=True, momentum=0.9, dampening=0.1)),
    ("Adam", dict(lr=-0.1)), ("Adam", dict(betas=(1.0, 0.999))), ("Adam", dict(betas=(0.9, -0.1))),
    ("Adam", dict(eps=-1e-8)), ("Adam", dict(weight_decay=-0.1)), ("Adam", dict(betas=(0.9, 1))),
    ("AdamW", dict(betas=(0.9, 1.5))),
    ("RMSprop", dict(alpha=-0.1)), ("RMSprop", dict(eps=-1.0)), ("RMSprop", dict(momentum=-1)),
    ("Adagrad", dict(lr_decay=-1)), ("Adagrad", dict(initial_accumulator_value=-1.0)),
    ("Adadelta", dict(rho=1.5)), ("Adamax", dict(betas=(0.9, 1.0))), ("NAdam", dict(momentum_decay=-1)),
    ("RAdam", dict(eps=-1)),
]


@needs_torch
@pytest.mark.parametrize("name,kw", INVALID)
def test_invalid_options(name, kw):
    raises_like(*_both(name, **kw))


@needs_torch
def test_invalid_params():
    t, e = torch.ones(3, requires_grad=True), ember.ones(3, requires_grad=True)
    raises_like(lambda: torch.optim.SGD(t, lr=0.1), lambda: eoptim.SGD(e, lr=0.1))
    raises_like(lambda: torch.optim.Adam(torch.ones(3, dtype=torch.float64)),
                lambda: eoptim.Adam(ember.ones(3, dtype=ember.float64)))
    raises_like(lambda: torch.optim.SGD([], lr=0.1), lambda: eoptim.SGD([], lr=0.1))
    raises_like(lambda: torch.optim.SGD(iter([]), lr=0.1), lambda: eoptim.SGD(iter([]), lr=0.1))
    raises_like(lambda: torch.optim.SGD([t * 2], lr=0.1), lambda: eoptim.SGD([e * 2], lr=0.1))
    raises_like(lambda: torch.optim.SGD([t, 3], lr=0.1), lambda: eoptim.SGD([e, 3], lr=0.1))
    raises_like(lambda: torch.optim.SGD([t], lr=0.1).add_param_group([t]),
                lambda: eoptim.SGD([e], lr=0.1).add_param_group([e]))


@needs_torch
def test_tensor_lr():
    init, grads = _data(steps=3)
    tp, ep = _params(init)
    to, eo = torch.optim.Adam(tp, lr=torch.tensor(0.05)), eoptim.Adam(ep, lr=ember.tensor(0.05))
    for g in grads:
        _set_grads(tp, ep, g)
        to.step()
        eo.step()
    for t, e in zip(tp, ep):
        _close(e, t)
    raises_like(lambda: torch.optim.SGD(tp, lr=torch.tensor([0.1, 0.2])),
                lambda: eoptim.SGD(ep, lr=ember.tensor([0.1, 0.2])))


def test_optimizer_deepcopy_and_pickle_of_state():
    p = ember.tensor([1.0, 2.0], requires_grad=True)
    o = eoptim.Adam([p], lr=0.1)
    p.grad = ember.tensor([1.0, -1.0])
    o.step()
    sd = copy.deepcopy(o.state_dict())
    assert sd["state"][0]["exp_avg"] is not o.state[p]["exp_avg"]
    np.testing.assert_array_equal(sd["state"][0]["exp_avg"].numpy(), o.state[p]["exp_avg"].numpy())
    o2 = eoptim.Adam([p], lr=0.1)
    o2.load_state_dict(sd)
    assert o2.state[p]["step"].item() == 1.0
    # an old-format checkpoint with a Python number as step is upgraded to a tensor
    sd = copy.deepcopy(o.state_dict())
    sd["state"][0]["step"] = 3
    o2.load_state_dict(sd)
    assert isinstance(o2.state[p]["step"], ember.Tensor) and o2.state[p]["step"].item() == 3.0


def test_scratch_buffers_follow_a_replaced_parameter_array():
    p = ember.tensor(np.ones(4, np.float32), requires_grad=True)
    o = eoptim.SGD([p], lr=0.5)
    p.grad = ember.tensor(np.ones(4, np.float32))
    o.step()
    p.data = ember.tensor(np.ones((2, 3), np.float32))
    p.grad = ember.tensor(np.ones((2, 3), np.float32))
    o.step()
    assert p.tolist() == [[0.5] * 3] * 2


def test_converges_on_a_quadratic_without_torch():
    target = np.array([1.0, -2.0, 3.0], np.float32)
    for name, kw in [("SGD", dict(lr=0.1, momentum=0.9)), ("Adam", dict(lr=0.1)), ("AdamW", dict(lr=0.1)),
                     ("RMSprop", dict(lr=0.05)), ("Adagrad", dict(lr=0.5)), ("Adadelta", dict(lr=10.0)),
                     ("Adamax", dict(lr=0.1)), ("NAdam", dict(lr=0.1)), ("RAdam", dict(lr=0.1))]:
        p = ember.zeros(3, requires_grad=True)
        o = getattr(eoptim, name)([p], **kw)
        t = ember.tensor(target)
        for _ in range(300):
            o.zero_grad()
            ((p - t) ** 2).sum().backward()
            o.step()
        np.testing.assert_allclose(p.tolist(), target, atol=0.05, err_msg=name)
