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
_current = None


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
    global _set, _max_threads
    if any(os.environ.get(v) for v in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS")):
        return  # the user chose a thread count: leave it alone
    try:
        setter, getter = _find_openblas()
    except Exception:  # any surprise in locating the library just means no policy
        setter, getter = None, None
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


def machine_busy():
    """Whether other processes leave too few cores for all of OpenBLAS's threads; checked at most
    once a second (the run queue on Linux, else the 1-minute load average)."""
    global _busy, _busy_checked
    now = time.monotonic()
    if now - _busy_checked > 1.0:
        _busy_checked = now
        others = _others_runnable()
        if others is not None:
            _busy = others + _max_threads > _CORES
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
    want = 1 if m * n * k < GEMM_THREADS_THRESHOLD and machine_busy() else _max_threads
    if want != _current:
        _set(want)
        _current = want


def set_threads(n):
    """ember.set_num_threads: a fixed count from now on (the size policy stops). False without OpenBLAS."""
    global _set, _current
    setter = _set if _set is not None else _find_openblas()[0]
    if setter is None:
        return False
    setter(int(n))
    _set, _current = None, None
    return True


_init()
