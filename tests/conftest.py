import os

# The suite runs many small BLAS calls on a shared 2-core machine: OpenBLAS's thread pool only
# adds contention there (must be set before NumPy loads its BLAS).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np
import pytest

import ember

try:  # torch is the oracle in parity tests; one thread keeps it from fighting the suite for cores
    import torch
    torch.set_num_threads(1)
except ImportError:
    pass


@pytest.fixture(autouse=True)
def _reset_state():
    """Each test starts with default dtype float32, grad mode on and a fixed seed."""
    ember.set_default_dtype(ember.float32)
    ember.manual_seed(0)
    yield
    ember.set_default_dtype(ember.float32)
    ember.autograd.STATE.grad_enabled = True


# EMBER_TEST_DEVICE=cuda sweeps the whole suite with CUDA as the default device, so every op's CuPy
# branch runs against the same CPU-side oracles (run on a GPU machine; see bench/gpu_check.py).
# .numpy() and np.asarray then copy to the host; tests about devices themselves are expected to
# differ in that mode, so its report is read against a CPU run of the same suite.
if os.environ.get("EMBER_TEST_DEVICE"):
    ember.set_default_device(os.environ["EMBER_TEST_DEVICE"])
    _host_numpy = ember.Tensor.numpy

    def _numpy_via_host(self, *, force=False):
        return _host_numpy(self if self._data.__class__ is np.ndarray else self.cpu(), force=force)

    ember.Tensor.numpy = _numpy_via_host


def pytest_collection_modifyitems(config, items):
    if not ember.cuda.is_available():
        skip = pytest.mark.skip(reason="needs a CUDA GPU and CuPy")
        for item in items:
            if "cuda" in item.keywords:
                item.add_marker(skip)
