"""Thread policy for NumPy's BLAS (OpenBLAS) in matrix products.

OpenBLAS splits every product above ~260k multiply-adds across all its threads, and its threads
spin while they wait. On an idle machine that helps even the small products of everyday models (a
batch of 64 through a Linear layer: about 10% faster on 2 cores); on a busy one it collapses:
measured here, an MLP epoch took 12x longer with 2 threads than with 1 while other processes held
the cores. So ember runs products below GEMM_THREADS_THRESHOLD multiply-adds on one thread while the
machine is oversubscribed (load average above the core count, checked at most once a second), and
everything else on all threads. The policy applies only when the user has not fixed the thread
count (OPENBLAS_NUM_THREADS / OMP_NUM_THREADS set, or ember.set_num_threads called); with an
MKL-backed NumPy, or no OpenBLAS found, it does nothing.

ember/_parallel.py splits batched kernels across a thread pool; while it does, products_on_pool()
makes OpenBLAS run each product on the thread that calls it. Once a process has used that pool, its
small products stay on one thread as on a busy machine: after a threaded product OpenBLAS's threads
spin for a while, and a pool thread sharing a core with one of them is slowed down (LeNet-5 training
on 2 cores, interleaved runs: 7.1-8.8 ms a step with single-threaded small products, 8.1-9.6 without).
"""
import ctypes
import glob
import os
import time

GEMM_THREADS_THRESHOLD = 1 << 26  # multiply-adds (m * n * k); 1024x784x1024 is above, 64x784x128 below
_CORES = os.cpu_count() or 1
_busy = False
_busy_checked = -1.0

_set = None        # ctypes setter of OpenBLAS's thread count, or None when there is no policy
_max_threads = 1   # threads for large products
_current = None    # the count last set through _set or _setter, None if unknown
_setter = None     # the same setter whether or not the policy applies (None without OpenBLAS)
_fixed = None      # the thread count the user fixed, or None
_pool_used = False  # whether ember/_parallel.py has run products on its pool in this process


def _find_openblas():
    import numpy as np
    libdirs = [os.path.join(os.path.dirname(np.__file__), "..", "numpy.libs"),
               os.path.join(os.path.dirname(np.__file__), ".dylibs")]
    names = (("scipy_openblas_set_num_threads64_", "scipy_openblas_get_num_threads64_"),
             ("scipy_openblas_set_num_threads", "scipy_openblas_get_num_threads"),
             ("openblas_set_num_threads64_", "openblas_get_num_threads64_"),
             ("openblas_set_num_threads", "openblas_get_num_threads"))
    for d in libdirs:
        for path in glob.glob(os.path.join(d, "*openblas*")):
            try:
                lib = ctypes.CDLL(path)
            except OSError:
                continue
            for set_name, get_name in names:
                setter, getter = getattr(lib, set_name, None), getattr(lib, get_name, None)
                if setter is not None and getter is not None:
                    setter.argtypes, setter.restype = [ctypes.c_int], None
                    getter.argtypes, getter.restype = [], ctypes.c_int
                    return setter, getter
    return None, None


def _init():
    global _set, _max_threads, _setter, _fixed
    try:
        setter, getter = _find_openblas()
    except Exception:  # any surprise in locating the library just means no policy
        setter, getter = None, None
    _setter = setter
    env = [os.environ.get(v) for v in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS")]
    if any(env):  # the user chose a thread count: no policy
        value = next(v for v in env if v).strip()
        _fixed = int(value) if value.isdigit() and int(value) > 0 else 1
        return
    if setter is not None:
        _set, _max_threads = setter, max(1, getter())


def _others_runnable():
    """Threads of other processes running or ready to run right now (Linux), or None if unknown."""
    try:
        with open("/proc/loadavg") as f:
            total = int(f.read().split()[3].split("/")[0])
        ours = 0
        for tid in os.listdir("/proc/self/task"):
            with open(f"/proc/self/task/{tid}/stat") as f:
                ours += f.read().rsplit(")", 1)[1].split()[0] == "R"
        return max(total - ours, 0)
    except (OSError, ValueError, IndexError):
        return None


BUSY_SAMPLES = 3  # run-queue readings per check; the fewest counts


def machine_busy():
    """Whether other processes leave too few cores for all of OpenBLAS's threads; checked at most
    once a second (the run queue on Linux, else the 1-minute load average). One reading is an
    instant: a thread that only flickers through the run queue would switch threading off for a
    whole second, so the check takes the fewest of a few readings."""
    global _busy, _busy_checked
    now = time.monotonic()
    if now - _busy_checked > 1.0:
        _busy_checked = now
        readings = [_others_runnable() for _ in range(BUSY_SAMPLES)]
        if None not in readings:
            _busy = min(readings) + _max_threads > _CORES
        else:
            try:
                _busy = os.getloadavg()[0] > _CORES + 0.5
            except (OSError, AttributeError):  # no load average on this platform
                _busy = False
    return _busy


def before_product(m, n, k):
    """Called by every matrix-product op before it runs: pick the thread count for its size."""
    global _current
    if _set is None:
        return
    want = 1 if m * n * k < GEMM_THREADS_THRESHOLD and (_pool_used or machine_busy()) else _max_threads
    if want != _current:
        _set(want)
        _current = want


def fixed_threads():
    """The thread count the user fixed (environment or ember.set_num_threads), or None."""
    return _fixed


def products_on_pool():
    """Products are about to run on several pool threads at once: OpenBLAS runs each one on its
    calling thread (each spreading over every core would oversubscribe them)."""
    global _current, _pool_used
    _pool_used = True
    if _setter is not None and _current != 1:
        _setter(1)
        _current = 1


def products_off_pool():
    """The pool is done: back to the user's fixed count (the size policy re-picks at the next product)."""
    global _current
    if _fixed is not None and _setter is not None and _current != _fixed:
        _setter(_fixed)
        _current = _fixed


def set_threads(n):
    """ember.set_num_threads: a fixed count from now on (the size policy stops). False without OpenBLAS."""
    global _set, _current, _setter, _fixed
    _fixed = int(n)
    setter = _set if _set is not None else _find_openblas()[0]
    if setter is None:
        return False
    setter(int(n))
    _set, _setter, _current = None, setter, int(n)
    return True


_init()
