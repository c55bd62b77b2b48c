"""The BLAS thread policy: small products on one thread, large ones on all (see ember/_blas.py)."""
import numpy as np

import ember
from ember import _blas


def test_products_pick_thread_count_by_size_on_a_busy_machine(monkeypatch):
    calls = []
    monkeypatch.setattr(_blas, "machine_busy", lambda: True)
    monkeypatch.setattr(_blas, "_set", calls.append)
    monkeypatch.setattr(_blas, "_max_threads", 4)
    monkeypatch.setattr(_blas, "_current", None)
    monkeypatch.setattr(_blas, "_pool_used", False)
    small = ember.ones(64, 784) @ ember.ones(784, 128)
    assert calls == [1]
    ember.ones(64, 784) @ ember.ones(784, 128)
    assert calls == [1]  # unchanged: no call
    n = 512
    big = ember.ones(n, n) @ ember.ones(n, n)  # 2**27 multiply-adds
    assert calls == [1, 4]
    np.testing.assert_allclose(small.numpy(), 784.0)
    np.testing.assert_allclose(big.numpy()[0, :3], n)
    ember.nn.functional.conv2d(ember.ones(2, 1, 8, 8), ember.ones(3, 1, 3, 3))
    assert calls[-1] == 1


def test_idle_machine_uses_all_threads(monkeypatch):
    calls = []
    monkeypatch.setattr(_blas, "machine_busy", lambda: False)
    monkeypatch.setattr(_blas, "_set", calls.append)
    monkeypatch.setattr(_blas, "_max_threads", 4)
    monkeypatch.setattr(_blas, "_current", None)
    monkeypatch.setattr(_blas, "_pool_used", False)
    ember.ones(64, 784) @ ember.ones(784, 128)
    assert calls == [4]


def test_user_thread_count_switches_the_policy_off(monkeypatch):
    seen = []
    monkeypatch.setattr(_blas, "_find_openblas", lambda: (seen.append, lambda: 2))
    monkeypatch.setattr(_blas, "_set", None)
    monkeypatch.setattr(_blas, "_setter", None)
    monkeypatch.setattr(_blas, "_current", None)
    monkeypatch.setattr(_blas, "_fixed", None)
    assert _blas.set_threads(3) is True and seen == [3]
    assert _blas._set is None
    _blas.before_product(4096, 4096, 4096)  # no policy: nothing happens
    assert seen == [3]


def test_busy_check_ignores_a_thread_that_only_flickers_through_the_run_queue(monkeypatch):
    readings = iter([1, 0, 1, 1, 1, 1])  # first check: one of three readings sees no other thread
    monkeypatch.setattr(_blas, "_others_runnable", lambda: next(readings))
    monkeypatch.setattr(_blas, "_max_threads", 2)
    monkeypatch.setattr(_blas, "_CORES", 2)
    monkeypatch.setattr(_blas, "_busy_checked", -1e9)
    assert _blas.machine_busy() is False
    monkeypatch.setattr(_blas, "_busy_checked", -1e9)  # next check: the other thread stays runnable
    assert _blas.machine_busy() is True
