"""Splitting a batch across a small thread pool, for kernels whose samples are independent.

A convolution over a batch is one small GEMM per sample plus copies: each GEMM is far below the
size where OpenBLAS threads itself, and NumPy's copies and ufuncs run on one thread, so the kernel
uses one core however many the machine has. NumPy releases the GIL inside matmul, copies and ufuncs,
so threads running the kernel on separate chunks of the batch do run in parallel. Each sample goes
through exactly the operations of the unsplit call, so the results are bit-identical.

Waking a pool thread, and each NumPy call that waits for the GIL while the other thread holds it,
costs tens of microseconds on a virtual machine, so a call is split only when its work
(estimated in multiply-adds) reaches SPLIT_THRESHOLD, the batch has 2 samples or more, the array is
NumPy's (CuPy runs its kernels on the GPU), and more than one thread is allowed: the count the user
fixed (ember.set_num_threads, OPENBLAS_NUM_THREADS, OMP_NUM_THREADS), else every core unless other
processes keep the machine busy (_blas.machine_busy).
"""
import os
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from . import _blas

SPLIT_THRESHOLD = 16_000_000  # multiply-adds: about 300 us of serial work, the break-even measured on 2 cores
COPY_COST = 8  # multiply-adds that take as long as copying one element (float32 im2col vs. GEMM)

_CORES = os.cpu_count() or 1
_pool = None   # the caller runs one chunk itself, the pool's threads the others
_pool_threads = 0


def _threads():
    fixed = _blas.fixed_threads()
    if fixed is not None:
        return fixed
    return 1 if _blas.machine_busy() else _CORES


def _get_pool(threads):
    global _pool, _pool_threads
    if _pool_threads < threads:  # first use, or the user allowed more threads since
        if _pool is not None:
            _pool.shutdown(wait=False)
        _pool, _pool_threads = ThreadPoolExecutor(threads, thread_name_prefix="ember"), threads
    return _pool


def _forget_pool():
    """In a forked child the pool's threads do not exist: start a new pool there when needed."""
    global _pool, _pool_threads
    _pool, _pool_threads = None, 0


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool)


class _Job:
    """The chunks of one split_batch call, taken in turn by the caller and the pool's threads.

    Chunks are taken from a shared iterator: a pool thread wakes tens of microseconds after the
    caller starts, and when the caller has finished its chunk by then it takes the next one itself
    instead of waiting for the late thread."""
    __slots__ = ("fn", "chunks", "left", "lock", "done", "error")

    def __init__(self, fn, chunks):
        self.fn, self.chunks, self.left = fn, iter(chunks), len(chunks)
        self.lock, self.done, self.error = threading.Lock(), threading.Event(), None

    def run(self):
        for sl in self.chunks:  # next() on a list iterator is atomic under the GIL
            try:
                if self.error is None:  # after an error the remaining chunks are only counted off
                    self.fn(sl)
            except BaseException as e:
                self.error = e
            with self.lock:
                self.left -= 1
                if not self.left:
                    self.done.set()


def big_enough(x, work):
    """Whether a call on batch x with this much work may be split (then the thread count decides)."""
    return x.__class__ is np.ndarray and x.shape[0] >= 2 and work >= SPLIT_THRESHOLD


def split_batch(fn, x, work, gemm=None):
    """Run fn(sl) for slices sl of axis 0 of x that together cover it, in parallel when it pays.

    fn writes its results into arrays allocated before the call (each chunk into its own rows).
    work: the whole call's cost in multiply-adds (COPY_COST per element copied). gemm: (m, n, k)
    of the matrix products fn runs over the whole batch, for the BLAS thread policy, or None.
    """
    n = x.shape[0]
    threads = min(_threads(), n) if big_enough(x, work) else 1
    if threads < 2:
        if gemm is not None:
            _blas.before_product(*gemm)
        fn(slice(None))
        return
    # One chunk per thread: smaller chunks would balance better, but every extra NumPy call made
    # while another thread holds the GIL waits for it (measured: 4 chunks per thread lost 25%).
    bounds = [n * i // threads for i in range(threads + 1)]
    job = _Job(fn, [slice(lo, hi) for lo, hi in zip(bounds, bounds[1:])])
    if gemm is not None:
        _blas.products_on_pool()
    pool = _get_pool(threads - 1)
    for _ in range(threads - 1):
        pool.submit(job.run)
    job.run()
    job.done.wait()  # no chunk may still be writing when the caller moves on, even after an error
    if gemm is not None:
        _blas.products_off_pool()
    if job.error is not None:
        raise job.error
