"""ember.cuda: device queries and synchronisation, backed by CuPy when it is installed."""
from .. import _device


def _cupy():
    try:
        return _device.cupy_module()
    except RuntimeError:
        return None


def is_available():
    cp = _cupy()
    if cp is None:
        return False
    try:
        return cp.cuda.runtime.getDeviceCount() > 0
    except Exception:  # no driver, no device: CuPy raises its own runtime errors
        return False


def device_count():
    if not is_available():
        return 0
    return _cupy().cuda.runtime.getDeviceCount()


def current_device():
    _require()
    return _cupy().cuda.runtime.getDevice()


def set_device(device):
    _require()
    d = _device.to_device(device) if not isinstance(device, int) else _device.device("cuda", device)
    _cupy().cuda.runtime.setDevice(d.index)


def synchronize(device=None):
    _require()
    _cupy().cuda.Device().synchronize()


def get_device_name(device=None):
    _require()
    idx = 0 if device is None else _device.to_device(device).index if not isinstance(device, int) else device
    return _cupy().cuda.runtime.getDeviceProperties(idx)["name"].decode()


def manual_seed(seed):
    cp = _cupy()
    if cp is not None and is_available():
        cp.random.seed(seed)


manual_seed_all = manual_seed


def empty_cache():
    cp = _cupy()
    if cp is not None and is_available():
        cp.get_default_memory_pool().free_all_blocks()


def memory_allocated(device=None):
    cp = _cupy()
    return cp.get_default_memory_pool().used_bytes() if cp is not None and is_available() else 0


def _require():
    if not is_available():
        raise RuntimeError("Torch not compiled with CUDA enabled" if _cupy() is None else
                           "No CUDA GPUs are available")



def __getattr__(name):  # ember.cuda.amp (torch.cuda.amp's deprecated spellings) loads on first use
    if name == "amp":
        import importlib
        return importlib.import_module(".amp", __name__)
    raise AttributeError(f"module 'ember.cuda' has no attribute '{name}'")
