"""Convolutions and max pooling split across the batch thread pool (ember/_parallel.py): bit-identical
values and gradients to the unsplit kernels, and the rules for when to split."""
import time

import numpy as np
import pytest

import ember
import ember.nn.functional as EF
from ember import _blas, _parallel

rng = np.random.default_rng(0)


@pytest.fixture
def blas_recorder(monkeypatch):
    """OpenBLAS thread-count changes recorded instead of made; the policy's state restored afterwards."""
    calls = []
    monkeypatch.setattr(_blas, "_setter", calls.append)
    monkeypatch.setattr(_blas, "_current", None)
    monkeypatch.setattr(_blas, "_pool_used", False)
    monkeypatch.setattr(_blas, "_fixed", None)
    return calls


def _run(fn, arrays, threads, monkeypatch):
    """fn's output and the gradients of all its inputs, with the batch split over `threads` threads."""
    monkeypatch.setattr(_parallel, "_threads", lambda: threads)
    monkeypatch.setattr(_parallel, "SPLIT_THRESHOLD", 0 if threads > 1 else float("inf"))
    leaves = [ember.tensor(a, requires_grad=True) for a in arrays]
    y = fn(*leaves)
    y.backward(ember.tensor(np.linspace(-1, 1, y.numel(), dtype=arrays[0].dtype).reshape(tuple(y.shape))))
    return [y.detach().numpy()] + [t.grad.numpy() for t in leaves]


def _f32(*shape):
    return rng.standard_normal(shape).astype(np.float32)


CASES = {  # name: (fn, input arrays); batches of 5 and 7 split unevenly over 3 threads
    "conv2d padded (wide layout)": (lambda x, w, b: EF.conv2d(x, w, b, padding=2), (_f32(7, 3, 12, 12), _f32(4, 3, 5, 5), _f32(4))),
    "conv2d stride 2 (plain layout)": (lambda x, w, b: EF.conv2d(x, w, b, stride=2, padding=1), (_f32(5, 4, 9, 9), _f32(6, 4, 3, 3), _f32(6))),
    "conv2d groups, dilation": (lambda x, w: EF.conv2d(x, w, groups=2, dilation=2), (_f32(5, 4, 10, 10), _f32(6, 2, 3, 3))),
    "conv2d 1x1": (lambda x, w, b: EF.conv2d(x, w, b), (_f32(5, 8, 6, 6), _f32(3, 8, 1, 1), _f32(3))),
    "conv2d 1x1 groups": (lambda x, w: EF.conv2d(x, w, groups=4), (_f32(5, 8, 6, 6), _f32(8, 2, 1, 1))),
    "conv1d": (lambda x, w, b: EF.conv1d(x, w, b, padding=1), (_f32(5, 3, 20), _f32(4, 3, 3), _f32(4))),
    "conv3d": (lambda x, w: EF.conv3d(x, w, padding=1), (_f32(5, 2, 5, 6, 6), _f32(3, 2, 3, 3, 3))),
    "conv_transpose2d": (lambda x, w, b: EF.conv_transpose2d(x, w, b, stride=2, padding=1, output_padding=1),
                         (_f32(5, 4, 6, 6), _f32(4, 3, 3, 3), _f32(3))),
    "conv2d float64": (lambda x, w: EF.conv2d(x, w, padding=1), (rng.standard_normal((5, 3, 8, 8)), rng.standard_normal((4, 3, 3, 3)))),
}
POOL_CASES = {  # max pooling has no products: the BLAS thread count is left alone
    "max_pool2d": (lambda x: EF.max_pool2d(x, 2), (_f32(5, 3, 8, 8),)),
    "max_pool2d padded, NaN": (lambda x: EF.max_pool2d(x, 3, stride=2, padding=1),
                               (np.where(rng.random((7, 2, 9, 9)) < 0.05, np.nan, _f32(7, 2, 9, 9)).astype(np.float32),)),
    "max_pool2d dilated, ceil_mode": (lambda x: EF.max_pool2d(x, 2, stride=2, dilation=2, ceil_mode=True), (_f32(5, 2, 9, 9),)),
    "max_pool1d": (lambda x: EF.max_pool1d(x, 3, stride=2), (_f32(5, 4, 17),)),
}


@pytest.mark.parametrize("name", list(POOL_CASES))
@pytest.mark.parametrize("threads", [2, 3])
def test_pool_split_is_bit_identical(name, threads, monkeypatch, blas_recorder):
    fn, arrays = POOL_CASES[name]
    split_calls = []
    real_split = _parallel.split_batch
    monkeypatch.setattr("ember.ops.pooling.split_batch", lambda *a, **k: (split_calls.append(1), real_split(*a, **k)))
    serial = _run(fn, arrays, 1, monkeypatch)
    assert split_calls == []
    split = _run(fn, arrays, threads, monkeypatch)
    assert split_calls  # the forward went through the pool
    for a, b in zip(serial, split):
        assert a.dtype == b.dtype and a.shape == b.shape
        assert np.array_equal(a, b, equal_nan=True)
    with ember.no_grad():  # inference: values only
        monkeypatch.setattr(_parallel, "_threads", lambda: 1)
        v1 = fn(ember.tensor(arrays[0])).numpy()
        monkeypatch.setattr(_parallel, "_threads", lambda: threads)
        v2 = fn(ember.tensor(arrays[0])).numpy()
    assert np.array_equal(v1, v2, equal_nan=True)


@pytest.mark.parametrize("name", list(CASES))
@pytest.mark.parametrize("threads", [2, 3])
def test_split_is_bit_identical(name, threads, monkeypatch, blas_recorder):
    fn, arrays = CASES[name]
    serial = _run(fn, arrays, 1, monkeypatch)
    assert blas_recorder == []  # unsplit: the size policy (here switched off) picks BLAS threads
    split = _run(fn, arrays, threads, monkeypatch)
    assert blas_recorder[:1] == [1]  # split: OpenBLAS runs each chunk's products on one thread
    for a, b in zip(serial, split):
        assert a.dtype == b.dtype and a.shape == b.shape
        assert np.array_equal(a, b)


def test_double_backward_split_is_bit_identical(monkeypatch, blas_recorder):
    x, w = _f32(5, 3, 8, 8), _f32(4, 3, 3, 3)

    def grads(threads):
        monkeypatch.setattr(_parallel, "_threads", lambda: threads)
        monkeypatch.setattr(_parallel, "SPLIT_THRESHOLD", 0)
        xe, we = ember.tensor(x, requires_grad=True), ember.tensor(w, requires_grad=True)
        gx, = ember.autograd.grad(EF.conv2d(xe, we, padding=1).pow(2).sum(), (xe,), create_graph=True)
        gx.pow(2).sum().backward()
        return gx.detach().numpy(), xe.grad.numpy(), we.grad.numpy()

    for a, b in zip(grads(1), grads(2)):
        assert np.array_equal(a, b)


def _split_count(monkeypatch, x, work=10 ** 9):
    """How many threads split_batch would use (stubbing the pool: a real one may leave the caller
    all the chunks when its thread wakes late)."""
    submitted = []
    monkeypatch.setattr(_parallel, "_get_pool", lambda n: type("Pool", (), {"submit": lambda self, f: submitted.append(f)})())
    chunks = []
    _parallel.split_batch(chunks.append, x, work)
    assert sorted((c.start or 0, c.stop) for c in chunks)[0][0] == 0
    return len(submitted) + 1


def test_when_to_split(monkeypatch, blas_recorder):
    x = np.zeros((4, 3))
    monkeypatch.setattr(_blas, "machine_busy", lambda: False)
    monkeypatch.setattr(_parallel, "_CORES", 2)
    assert _split_count(monkeypatch, x) == 2
    assert _split_count(monkeypatch, x, work=_parallel.SPLIT_THRESHOLD - 1) == 1  # too little work
    assert _split_count(monkeypatch, x[:1]) == 1  # one sample
    monkeypatch.setattr(_blas, "machine_busy", lambda: True)
    assert _split_count(monkeypatch, x) == 1  # other processes hold the cores
    monkeypatch.setattr(_blas, "_fixed", 3)  # the user's count applies, busy or not
    assert _split_count(monkeypatch, x) == 3
    assert _split_count(monkeypatch, x[:2]) == 2  # never more chunks than samples
    monkeypatch.setattr(_blas, "_fixed", 1)
    assert _split_count(monkeypatch, x) == 1


def test_user_thread_count_is_restored_after_the_pool(monkeypatch, blas_recorder):
    monkeypatch.setattr(_blas, "_fixed", 2)
    _parallel.split_batch(lambda sl: None, np.zeros(4), 10 ** 9, gemm=(1, 1, 1))
    assert blas_recorder == [1, 2]


def test_chunk_error_propagates_after_all_chunks_finish(monkeypatch, blas_recorder):
    monkeypatch.setattr(_parallel, "_threads", lambda: 3)
    out = np.zeros(6)
    running = []

    def fill(sl):
        running.append(sl)
        if sl.start == 0:
            raise ValueError("chunk failed")
        time.sleep(0.02)  # a slow chunk on a pool thread must still finish before the caller goes on
        out[sl] = 1
        running.remove(sl)

    for _ in range(5):
        out[:] = 0
        running.clear()
        with pytest.raises(ValueError, match="chunk failed"):
            _parallel.split_batch(fill, out, 10 ** 9)
        assert [sl.start for sl in running] == [0]  # only the failed chunk never finished
        seen = out.copy()
        time.sleep(0.05)
        assert np.array_equal(out, seen) and not out[:2].any()


def test_cupy_like_arrays_are_never_split(monkeypatch, blas_recorder):
    class NotNumpy:
        shape = (8, 3)
    monkeypatch.setattr(_parallel, "_threads", lambda: 4)
    chunks = []
    _parallel.split_batch(chunks.append, NotNumpy(), 10 ** 9)
    assert chunks == [slice(None)]
