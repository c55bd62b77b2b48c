"""DLPack interchange: ``ember.from_dlpack`` and ``Tensor.__dlpack__`` / ``Tensor.__dlpack_device__``.

Zero-copy both ways: a CPU tensor's ndarray is exported by NumPy's own ``__dlpack__`` and imported
with ``np.from_dlpack``; a CUDA tensor's by CuPy's (``cupy.from_dlpack``). Which dtypes travel is
what the backend supports (NumPy: bool, integers, floats and complex; not bfloat16).
"""
import ctypes
import enum

import numpy as np

from . import _dtype
from ._device import cupy_module
from ._tensor import wrap

__all__ = ["from_dlpack", "DLDeviceType"]


class DLDeviceType(enum.IntEnum):
    """DLPack's device type codes (the same members as ``torch.utils.dlpack.DLDeviceType``)."""
    kDLCPU = 1
    kDLCUDA = 2
    kDLCUDAHost = 3
    kDLOpenCL = 4
    kDLVulkan = 7
    kDLMetal = 8
    kDLVPI = 9
    kDLROCM = 10
    kDLROCMHost = 11
    kDLExtDev = 12
    kDLCUDAManaged = 13
    kDLOneAPI = 14
    kDLWebGPU = 15
    kDLHexagon = 16
    kDLMAIA = 17


_HOST = (DLDeviceType.kDLCPU, DLDeviceType.kDLCUDAHost, DLDeviceType.kDLROCMHost)
_CUDA = (DLDeviceType.kDLCUDA, DLDeviceType.kDLCUDAManaged)


# -- export -------------------------------------------------------------------------------------
def dlpack_device(t):
    arr = t._data
    if arr.__class__ is np.ndarray:
        return DLDeviceType.kDLCPU, 0
    kind, index = arr.__dlpack_device__()
    return DLDeviceType(int(kind)), int(index)


def export(t, stream, max_version, dl_device, copy):
    """``Tensor.__dlpack__``: the backend array's capsule, with torch's checks first."""
    if t._requires_grad:
        raise BufferError("Can't export tensors that require gradient, use tensor.detach()")
    if stream is not None and type(stream) is not int:
        raise TypeError("stream must be ``int`` or ``none``")
    arr = t._data
    if _dtype.bfloat16.np is not None and arr.dtype == _dtype.bfloat16.np:
        raise BufferError("Can't export bfloat16 tensors through DLPack: NumPy, which holds ember's arrays, "
                          "has no DLPack code for bfloat16. Convert first, e.g. tensor.float().")
    if copy and arr.__class__ is not np.ndarray and (
            dl_device is None or tuple(dl_device) == tuple(arr.__dlpack_device__())):
        arr, copy = arr.copy(), None  # CuPy's copy=True only copies to the host: copy on the device here
    kwargs = {}
    if arr.__class__ is np.ndarray:
        if stream is not None and stream != -1:
            raise AssertionError("stream should be None on cpu.")
    elif stream is not None:
        kwargs["stream"] = stream
    # pass only what was given: NumPy before 2.1 knows no max_version, dl_device or copy
    if max_version is not None:
        kwargs["max_version"] = max_version
    if dl_device is not None:
        kwargs["dl_device"] = dl_device
    if copy is not None:
        kwargs["copy"] = copy
    try:
        return arr.__dlpack__(**kwargs)
    except TypeError:
        if max_version is None and dl_device is None and copy is None:
            raise
        # an older backend (CuPy < 14) knows only stream: it exports an unversioned capsule, which
        # DLPack consumers asking for max_version accept; dl_device and copy it cannot honour
        if dl_device is not None or copy:
            raise BufferError("this array library cannot honour dl_device or copy in __dlpack__") from None
        return arr.__dlpack__(**({"stream": kwargs["stream"]} if "stream" in kwargs else {}))


# -- import -------------------------------------------------------------------------------------
class _DLTensorHead(ctypes.Structure):
    _fields_ = [("data", ctypes.c_void_p), ("device_type", ctypes.c_int32), ("device_id", ctypes.c_int32)]


_PyCapsule_GetName = ctypes.pythonapi.PyCapsule_GetName
_PyCapsule_GetName.restype = ctypes.c_char_p
_PyCapsule_GetName.argtypes = [ctypes.py_object]
_PyCapsule_GetPointer = ctypes.pythonapi.PyCapsule_GetPointer
_PyCapsule_GetPointer.restype = ctypes.c_void_p
_PyCapsule_GetPointer.argtypes = [ctypes.py_object, ctypes.c_char_p]

# DLManagedTensorVersioned: {uint32 major, minor; void *manager_ctx; void (*deleter)(); uint64 flags;
# DLTensor dl_tensor}; the legacy DLManagedTensor starts with its DLTensor
_VERSIONED_OFFSET = 8 + ctypes.sizeof(ctypes.c_void_p) * 2 + 8


def _capsule_device(capsule):
    name = _PyCapsule_GetName(capsule)
    if name == b"dltensor":
        ptr = _PyCapsule_GetPointer(capsule, name)
    elif name == b"dltensor_versioned":
        ptr = _PyCapsule_GetPointer(capsule, name) + _VERSIONED_OFFSET
    else:
        raise RuntimeError(
            "from_dlpack received an invalid capsule. Note that DLTensor capsules can be consumed only once, "
            "so you might have already constructed a tensor from it once.")
    head = _DLTensorHead.from_address(ptr)
    return int(head.device_type), int(head.device_id)


def _is_legacy_capsule(obj):
    return type(obj).__name__ == "PyCapsule" and _PyCapsule_GetName(obj) in (b"numpy_dltensor", b"dltensor", b"used_dltensor")


class _WritableView:
    """Exposes a read-only array's memory as writable, keeping the array (and its capsule) alive."""

    def __init__(self, arr):
        iface = dict(arr.__array_interface__)
        iface["data"] = (iface["data"][0], False)
        self.__array_interface__ = iface
        self.owner = arr


def _writable(arr):
    # NumPy marks every array imported from a legacy (unversioned) capsule read-only, since that
    # DLPack version has no read-only flag; torch imports them writable, and so does ember
    return np.asarray(_WritableView(arr))


class _Capsule:
    """A legacy DLPack capsule dressed as an object with ``__dlpack__`` for the array libraries."""
    __slots__ = ("capsule", "device")

    def __init__(self, capsule, device):
        self.capsule = capsule
        self.device = device

    def __dlpack__(self, *, stream=None, max_version=None, dl_device=None, copy=None):
        return self.capsule

    def __dlpack_device__(self):
        return self.device


def from_dlpack(ext_tensor):
    """A Tensor sharing memory with any DLPack producer (an object with ``__dlpack__``: NumPy and CuPy
    arrays, torch tensors, ...) or with a legacy DLPack capsule. Zero-copy: writes through one are
    seen through the other."""
    if hasattr(ext_tensor, "__dlpack__"):
        device = ext_tensor.__dlpack_device__()
        obj = ext_tensor
    elif type(ext_tensor).__name__ == "PyCapsule":
        device = _capsule_device(ext_tensor)
        obj = _Capsule(ext_tensor, device)
    else:
        raise TypeError(f"from_dlpack: expected an object with __dlpack__ or a DLPack capsule, "
                        f"got {type(ext_tensor).__name__}")
    kind = int(device[0])
    if kind in _HOST:
        arr = np.from_dlpack(obj)
        if not arr.flags.writeable and _is_legacy_capsule(arr.base):
            arr = _writable(arr)
    elif kind in _CUDA:
        arr = cupy_module().from_dlpack(obj)
    else:
        try:
            name = DLDeviceType(kind).name
        except ValueError:
            name = str(kind)
        raise BufferError(f"ember can't import DLPack tensors from device type {name}: only CPU and CUDA")
    if arr.dtype not in _dtype._from_np:
        raise TypeError(f"from_dlpack: ember has no dtype for {arr.dtype}")
    return wrap(arr)
