"""Devices and the backend seam.

A device owns an array module: NumPy for ``cpu``, CuPy for ``cuda``. Op code is
written once against that module; CuPy is imported only when a ``cuda`` device
is actually used, so ``import ember`` never needs it.
"""
import os

import numpy as np

_cupy = None
_forked_after_cuda = False  # this process was forked from one that had used CUDA


def _mark_fork():
    global _forked_after_cuda
    _forked_after_cuda = _forked_after_cuda or _cupy is not None


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_mark_fork)


def cupy_module():
    """CuPy, imported on first use; a clear RuntimeError when it is missing, or when this process
    was forked after its parent used CUDA (a CUDA context does not survive fork, as in torch)."""
    global _cupy
    if _forked_after_cuda:
        raise RuntimeError("Cannot re-initialize CUDA in forked subprocess. To use CUDA with multiprocessing, "
                           "you must use the 'spawn' start method")
    if _cupy is None:
        try:
            import cupy
        except ImportError as e:
            raise RuntimeError(
                "CUDA support needs CuPy, which is not installed "
                "(pip install 'ember[cuda]'): " + str(e)) from None
        _cupy = cupy
    return _cupy


class device:
    __slots__ = ("type", "index")

    def __init__(self, type, index=None):
        if isinstance(type, device):
            self.type, self.index = type.type, type.index
            return
        if isinstance(type, int) and index is None:
            type, index = "cuda", type
        if not isinstance(type, str):
            raise TypeError(f"device() received an invalid combination of arguments - got ({type.__class__.__name__})")
        if ":" in type:
            if index is not None:
                raise RuntimeError(f"type (string) must not include an index because index was passed explicitly: {type}")
            type, _, idx = type.partition(":")
            if not idx.isdigit():
                raise RuntimeError(f"Invalid device string: '{type}:{idx}'")
            index = int(idx)
        if type not in ("cpu", "cuda", "meta"):
            raise RuntimeError(
                "Expected one of cpu, cuda, meta device type at start of device string: " + type)
        if index is not None and index < 0:
            raise RuntimeError(f"Device index must not be negative")
        self.type = type
        self.index = index

    def __eq__(self, other):
        if isinstance(other, str):
            other = device(other)
        return isinstance(other, device) and self.type == other.type and self.index == other.index

    def __hash__(self):
        return hash((self.type, self.index))

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __repr__(self):
        return f"device(type='{self.type}')" if self.index is None else f"device(type='{self.type}', index={self.index})"

    def __reduce__(self):
        return (device, (self.type, self.index))

    def __enter__(self):
        # as torch: inside ``with device(...)``, factory functions default to this device
        _default_stack.append(_default[0])
        set_default_device(self)
        return self

    def __exit__(self, *exc):
        _default[0] = _default_stack.pop()
        return False


CPU = device("cpu")
_cuda_devices = {}
_default = [CPU]        # where factory functions put tensors when no device is given
_default_stack = []     # outer defaults saved by ``with device(...)``


def set_default_device(d):
    """torch.set_default_device: the device factory functions use when none is given (None: the CPU).
    A bare 'cuda' stays unresolved until a factory uses it, as in torch."""
    _default[0] = CPU if d is None else device(d)


def get_default_device():
    return to_device(_default[0])


def to_device(d):
    """Normalise a device argument (device, 'cuda:0', 0, None) to a device object; a bare 'cuda'
    becomes the current CUDA device."""
    if d is None or d is CPU:
        return CPU
    if d.__class__ is not device:
        d = device(d)
    if d.type == "cuda" and d.index is None:
        d = device("cuda", current_cuda_index())
    return d


def current_cuda_index():
    return cupy_module().cuda.runtime.getDevice()


def device_of(array):
    """The device an array lives on."""
    if array.__class__ is np.ndarray:
        return CPU
    idx = array.device.id
    d = _cuda_devices.get(idx)
    if d is None:
        d = _cuda_devices[idx] = device("cuda", idx)
    return d


def host(array):
    """The array as a NumPy array in host memory (no copy when it already is one)."""
    if array.__class__ is np.ndarray:
        return array
    return array.get() if hasattr(array, "get") else np.asarray(array)  # CuPy array, or a NumPy scalar


def on_host(fn, *arrays):
    """fn, a NumPy-only routine (CuPy lacks it), applied to host copies of arrays; the result (an
    array or a tuple of arrays) comes back to the first array's device. NumPy arrays go straight in."""
    if arrays[0].__class__ is np.ndarray:
        return fn(*arrays)
    dev = device_of(arrays[0])
    out = fn(*[host(a) for a in arrays])
    return tuple(move(o, dev) for o in out) if isinstance(out, tuple) else move(out, dev)


def strided_view(array, shape, strides, writeable=False):
    """as_strided for either backend (CuPy's views are always writeable)."""
    if array.__class__ is np.ndarray:
        return np.lib.stride_tricks.as_strided(array, shape, strides, writeable=writeable)
    return _cupy.lib.stride_tricks.as_strided(array, shape, strides)


def writeable(array):
    """Whether in-place writes may go into this array. NumPy marks broadcast views and constants
    read-only; CuPy has no such flag, so there an array whose elements share memory (a stride of 0
    over a dimension longer than 1, as expand() makes) counts as not writeable."""
    if array.__class__ is np.ndarray:
        return array.flags.writeable
    return not any(st == 0 and n > 1 for n, st in zip(array.shape, array.strides))


def xp_of(array):
    """The array module (numpy or cupy) that owns an array."""
    return np if array.__class__ is np.ndarray else _cupy


def xp_for(dev):
    """The array module for a device object."""
    if dev.type == "cpu":
        return np
    if dev.type == "cuda":
        return cupy_module()
    raise RuntimeError(f"ember has no backend for device type '{dev.type}'")


def move(array, dev):
    """Copy an array to a device (no copy when it is already there)."""
    if dev.type == "cpu":
        return host(array)
    if dev.type == "cuda":
        cp = cupy_module()
        if device_of(array) == dev:
            return array
        n = cp.cuda.runtime.getDeviceCount()
        if dev.index >= n:
            raise RuntimeError(
                f"CUDA error: invalid device ordinal (asked for {dev}, {n} device(s) available)")
        with cp.cuda.Device(dev.index):
            return cp.asarray(array)
    raise RuntimeError(f"ember has no backend for device type '{dev.type}'")
