"""ember.optim.lr_scheduler against torch: lr sequences over many steps, state_dict round trips, errors."""
import math
import pickle
import warnings

import numpy as np
import pytest

import ember
import ember.optim as eoptim
from ember.optim import lr_scheduler as elrs
from tests.helpers import needs_torch, torch

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")

N_STEPS = 40


def _opts(opt_name="SGD", groups=((0.1,), (0.05,)), **kw):
    """A torch and an ember optimizer over the same two param groups."""
    rng = np.random.default_rng(0)
    arrs = [rng.standard_normal(3).astype(np.float32) for _ in groups]
    tparams = [torch.tensor(a, requires_grad=True) for a in arrs]
    eparams = [ember.tensor(a, requires_grad=True) for a in arrs]
    tgroups = [{"params": [p], "lr": g[0]} for p, g in zip(tparams, groups)]
    egroups = [{"params": [p], "lr": g[0]} for p, g in zip(eparams, groups)]
    return (getattr(torch.optim, opt_name)(tgroups, **kw), getattr(eoptim, opt_name)(egroups, **kw))


def _momenta(opt):
    return [g["betas"][0] if "betas" in g else g.get("momentum") for g in opt.param_groups]


def _run(t_sched, e_sched, topt, eopt, steps=N_STEPS, metrics=None):
    t_seq, e_seq = [t_sched.get_last_lr()], [e_sched.get_last_lr()]
    t_mom, e_mom = [_momenta(topt)], [_momenta(eopt)]
    for i in range(steps):
        topt.step()
        eopt.step()
        if metrics is None:
            t_sched.step()
            e_sched.step()
        else:
            t_sched.step(metrics[i])
            e_sched.step(metrics[i])
        t_seq.append(t_sched.get_last_lr())
        e_seq.append(e_sched.get_last_lr())
        t_mom.append(_momenta(topt))
        e_mom.append(_momenta(eopt))
    # the recursive forms must give the very same floats as torch's, not just close ones
    assert e_seq == t_seq
    assert e_mom == t_mom
    assert [g["lr"] for g in eopt.param_groups] == [g["lr"] for g in topt.param_groups]


SCHEDULERS = [
    ("StepLR", dict(step_size=3, gamma=0.5)),
    ("MultiStepLR", dict(milestones=[2, 5, 5, 11], gamma=0.3)),
    ("ExponentialLR", dict(gamma=0.93)),
    ("CosineAnnealingLR", dict(T_max=10, eta_min=0.001)),
    ("CosineAnnealingLR", dict(T_max=7)),
    ("CosineAnnealingWarmRestarts", dict(T_0=5, T_mult=2, eta_min=0.01)),
    ("CosineAnnealingWarmRestarts", dict(T_0=4)),
    ("LinearLR", dict(start_factor=0.2, end_factor=0.9, total_iters=12)),
    ("ConstantLR", dict(factor=0.25, total_iters=7)),
    ("PolynomialLR", dict(total_iters=15, power=2.0)),
    ("OneCycleLR", dict(max_lr=1.0, total_steps=N_STEPS + 1)),
    ("OneCycleLR", dict(max_lr=[1.0, 0.5], total_steps=N_STEPS + 1, anneal_strategy="linear", three_phase=True)),
    ("OneCycleLR", dict(max_lr=0.3, epochs=6, steps_per_epoch=7, pct_start=0.25, div_factor=10.0,
                        final_div_factor=100.0, cycle_momentum=False)),
    ("CyclicLR", dict(base_lr=0.01, max_lr=0.1, step_size_up=4)),
    ("CyclicLR", dict(base_lr=[0.01, 0.02], max_lr=0.1, step_size_up=3, step_size_down=5, mode="triangular2")),
    ("CyclicLR", dict(base_lr=0.01, max_lr=0.1, step_size_up=3, mode="exp_range", gamma=0.97)),
]


@needs_torch
@pytest.mark.parametrize("name,kw", SCHEDULERS, ids=[f"{n}-{i}" for i, (n, _) in enumerate(SCHEDULERS)])
def test_sequence_matches_torch_sgd(name, kw):
    topt, eopt = _opts("SGD", momentum=0.9)
    _run(getattr(torch.optim.lr_scheduler, name)(topt, **kw), getattr(elrs, name)(eopt, **kw), topt, eopt)


@needs_torch
@pytest.mark.parametrize("name,kw", [s for s in SCHEDULERS if s[0] in ("OneCycleLR", "CyclicLR", "StepLR")])
def test_sequence_matches_torch_adam_betas(name, kw):
    # cycle_momentum on Adam cycles betas[0]
    topt, eopt = _opts("Adam")
    _run(getattr(torch.optim.lr_scheduler, name)(topt, **kw), getattr(elrs, name)(eopt, **kw), topt, eopt)


@needs_torch
def test_lambda_and_multiplicative():
    topt, eopt = _opts()
    _run(torch.optim.lr_scheduler.LambdaLR(topt, [lambda e: 0.95 ** e, lambda e: 1 / (e + 1)]),
         elrs.LambdaLR(eopt, [lambda e: 0.95 ** e, lambda e: 1 / (e + 1)]), topt, eopt)
    topt, eopt = _opts()
    _run(torch.optim.lr_scheduler.MultiplicativeLR(topt, lambda e: 0.9 if e % 2 else 0.99),
         elrs.MultiplicativeLR(eopt, lambda e: 0.9 if e % 2 else 0.99), topt, eopt)


@needs_torch
@pytest.mark.parametrize("kw", [
    dict(),
    dict(mode="max", factor=0.5, patience=2, threshold=0.01, threshold_mode="abs", cooldown=2, min_lr=0.001),
    dict(mode="min", factor=0.3, patience=1, threshold=0.05, threshold_mode="rel", cooldown=1,
         min_lr=[0.0, 0.02], eps=1e-3),
])
def test_reduce_lr_on_plateau(kw):
    topt, eopt = _opts()
    rng = np.random.default_rng(3)
    metrics = list(np.cumsum(rng.standard_normal(N_STEPS)) * 0.1 + 5)
    metrics[10:20] = [metrics[10]] * 10  # a plateau
    _run(torch.optim.lr_scheduler.ReduceLROnPlateau(topt, **kw), elrs.ReduceLROnPlateau(eopt, **kw),
         topt, eopt, metrics=[float(m) for m in metrics])


@needs_torch
def test_sequential_and_chained():
    topt, eopt = _opts()
    t1 = torch.optim.lr_scheduler.LinearLR(topt, start_factor=0.1, total_iters=5)
    t2 = torch.optim.lr_scheduler.CosineAnnealingLR(topt, T_max=20, eta_min=1e-4)
    t3 = torch.optim.lr_scheduler.ExponentialLR(topt, gamma=0.9)
    e1 = elrs.LinearLR(eopt, start_factor=0.1, total_iters=5)
    e2 = elrs.CosineAnnealingLR(eopt, T_max=20, eta_min=1e-4)
    e3 = elrs.ExponentialLR(eopt, gamma=0.9)
    _run(torch.optim.lr_scheduler.SequentialLR(topt, [t1, t2, t3], milestones=[5, 25]),
         elrs.SequentialLR(eopt, [e1, e2, e3], milestones=[5, 25]), topt, eopt)

    topt, eopt = _opts()
    t1 = torch.optim.lr_scheduler.ConstantLR(topt, factor=0.5, total_iters=4)
    t2 = torch.optim.lr_scheduler.ExponentialLR(topt, gamma=0.9)
    e1 = elrs.ConstantLR(eopt, factor=0.5, total_iters=4)
    e2 = elrs.ExponentialLR(eopt, gamma=0.9)
    _run(torch.optim.lr_scheduler.ChainedScheduler([t1, t2]), elrs.ChainedScheduler([e1, e2]), topt, eopt)


@needs_torch
@pytest.mark.parametrize("name,kw", [("StepLR", dict(step_size=3, gamma=0.5)),
                                     ("ExponentialLR", dict(gamma=0.9)),
                                     ("CosineAnnealingLR", dict(T_max=10)),
                                     ("MultiStepLR", dict(milestones=[3, 6])),
                                     ("LinearLR", dict(total_iters=8)),
                                     ("PolynomialLR", dict(total_iters=9))])
def test_closed_form_with_epoch(name, kw):
    # step(epoch) uses the closed form, as in torch
    topt, eopt = _opts()
    ts = getattr(torch.optim.lr_scheduler, name)(topt, **kw)
    es = getattr(elrs, name)(eopt, **kw)
    for epoch in [1, 2, 5, 3, 7, 12, 4]:
        ts.step(epoch)
        es.step(epoch)
        assert es.get_last_lr() == ts.get_last_lr()
        assert es.last_epoch == ts.last_epoch


@needs_torch
def test_warm_restarts_with_epoch():
    topt, eopt = _opts()
    ts = torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(topt, T_0=3, T_mult=2)
    es = elrs.CosineAnnealingWarmRestarts(eopt, T_0=3, T_mult=2)
    for epoch in [0.5, 1, 2.25, 3, 8.5, 20, 4]:
        ts.step(epoch)
        es.step(epoch)
        assert es.get_last_lr() == ts.get_last_lr()


@needs_torch
@pytest.mark.parametrize("name,kw", [("StepLR", dict(step_size=3, gamma=0.5)),
                                     ("CosineAnnealingLR", dict(T_max=10, eta_min=0.01)),
                                     ("OneCycleLR", dict(max_lr=1.0, total_steps=50)),
                                     ("CosineAnnealingWarmRestarts", dict(T_0=4, T_mult=2))])
def test_state_dict_round_trip(name, kw):
    topt, eopt = _opts()
    ts = getattr(torch.optim.lr_scheduler, name)(topt, **kw)
    es = getattr(elrs, name)(eopt, **kw)
    for _ in range(7):
        topt.step(), eopt.step(), ts.step(), es.step()
    esd, tsd = es.state_dict(), ts.state_dict()
    assert sorted(esd) == sorted(tsd)
    for k in tsd:
        if k not in ("anneal_func",):
            assert esd[k] == tsd[k], k
    # resume: a fresh scheduler loading the state continues the same sequence
    eopt2 = _opts()[1]
    eopt2.load_state_dict(eopt.state_dict())
    es2 = getattr(elrs, name)(eopt2, **kw)
    es2.load_state_dict(pickle.loads(pickle.dumps(esd)))
    for _ in range(10):
        eopt.step(), eopt2.step(), es.step(), es2.step()
        assert es2.get_last_lr() == es.get_last_lr()
        assert [g["lr"] for g in eopt2.param_groups] == [g["lr"] for g in eopt.param_groups]


@needs_torch
def test_lambda_state_dict_and_plateau_state_dict():
    class Fn:
        def __init__(self):
            self.k = 0.9

        def __call__(self, e):
            return self.k ** e

    topt, eopt = _opts()
    es = elrs.LambdaLR(eopt, [lambda e: 1.0, Fn()])
    ts = torch.optim.lr_scheduler.LambdaLR(topt, [lambda e: 1.0, Fn()])
    assert sorted(es.state_dict()) == sorted(ts.state_dict())
    assert es.state_dict()["lr_lambdas"] == [None, {"k": 0.9}]
    pl = elrs.ReduceLROnPlateau(eopt, patience=0)
    tpl = torch.optim.lr_scheduler.ReduceLROnPlateau(topt, patience=0)
    pl.step(1.0), pl.step(2.0)
    tpl.step(1.0), tpl.step(2.0)
    assert sorted(pl.state_dict()) == sorted(tpl.state_dict())
    assert pl.state_dict()["best"] == tpl.state_dict()["best"] == 1.0
    pl2 = elrs.ReduceLROnPlateau(eopt)
    pl2.load_state_dict(pl.state_dict())
    assert pl2.patience == 0 and pl2.num_bad_epochs == 0 and pl2.best == 1.0


@needs_torch
def test_initial_lr_and_last_epoch_resume():
    topt, eopt = _opts()
    with pytest.raises(KeyError) as te:
        torch.optim.lr_scheduler.StepLR(topt, 3, last_epoch=4)
    with pytest.raises(KeyError) as ee:
        elrs.StepLR(eopt, 3, last_epoch=4)
    assert str(ee.value) == str(te.value)
    es = elrs.StepLR(eopt, 3)
    assert [g["initial_lr"] for g in eopt.param_groups] == [0.1, 0.05]
    assert es.base_lrs == [0.1, 0.05]
    assert es.last_epoch == 0 and es._step_count == 1


def test_errors_match_torch_messages():
    eopt = eoptim.SGD([ember.tensor([1.0], requires_grad=True)], lr=0.1, momentum=0.9)
    with pytest.raises(TypeError, match="list is not an Optimizer"):
        elrs.StepLR([], 3)
    with pytest.raises(ValueError, match="Factor should be < 1.0."):
        elrs.ReduceLROnPlateau(eopt, factor=1.0)
    with pytest.raises(ValueError, match="mode foo is unknown!"):
        elrs.ReduceLROnPlateau(eopt, mode="foo")
    with pytest.raises(ValueError, match="Expected positive integer T_0, but got 0"):
        elrs.CosineAnnealingWarmRestarts(eopt, T_0=0)
    with pytest.raises(ValueError, match="You must define either total_steps OR"):
        elrs.OneCycleLR(eopt, max_lr=0.1)
    s = elrs.OneCycleLR(eopt, max_lr=0.1, total_steps=2)
    s.step()
    s.step()
    with pytest.raises(ValueError, match="Tried to step 3 times. The specified number of total steps is 2"):
        s.step()
    with pytest.raises(ValueError, match="Constant multiplicative factor expected to be between 0 and 1."):
        elrs.ConstantLR(eopt, factor=2.0)
    with pytest.raises(ValueError, match="optimizer must support momentum or beta1"):
        elrs.OneCycleLR(eoptim.Adagrad([ember.tensor([1.0], requires_grad=True)]), max_lr=0.1, total_steps=5)


def test_warns_when_scheduler_steps_before_optimizer():
    eopt = eoptim.SGD([ember.tensor([1.0], requires_grad=True)], lr=0.1)
    s = elrs.StepLR(eopt, 3)
    with pytest.warns(UserWarning, match="Detected call of `lr_scheduler.step\\(\\)` before `optimizer.step\\(\\)`"):
        s.step()
    eopt = eoptim.SGD([ember.tensor([1.0], requires_grad=True)], lr=0.1)
    s = elrs.StepLR(eopt, 3)
    eopt.step()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s.step()


def test_closed_form_values_without_torch():
    eopt = eoptim.SGD([ember.tensor([1.0], requires_grad=True)], lr=1.0)
    s = elrs.CosineAnnealingLR(eopt, T_max=10, eta_min=0.0)
    lrs = []
    for _ in range(10):
        eopt.step()
        s.step()
        lrs.append(s.get_last_lr()[0])
    expected = [(1 + math.cos(math.pi * e / 10)) / 2 for e in range(1, 11)]
    np.testing.assert_allclose(lrs, expected, atol=1e-12)
