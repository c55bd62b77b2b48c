"""ember.save / ember.load: PyTorch's checkpoint format, read without running code from the file.

Files are written in PyTorch's own zip format (``torch.save``'s default): a zip archive holding
``<name>/data.pkl`` (a protocol-2 pickle), ``<name>/data/<key>`` (one record per storage, raw bytes
aligned to 64), ``<name>/.format_version``, ``<name>/.storage_alignment``, ``<name>/byteorder``,
``<name>/version`` and ``<name>/.data/serialization_id``, laid out byte for byte as torch's miniz
writer lays them out. The pickle names only globals that ``torch.load(weights_only=True)`` allows
(``torch._utils._rebuild_tensor_v2``, ``torch.FloatStorage`` ..., ``collections.OrderedDict``,
``torch._utils._rebuild_parameter``, ``torch.Size``, ``torch.device``, ``torch.float32`` ...), written
by name: ember never imports torch.

Loading is always safe. The unpickler resolves globals from a fixed allowlist (plus what the user
adds with :func:`add_safe_globals`) and refuses everything else with ``pickle.UnpicklingError``
naming the global; REDUCE/NEWOBJ can only call allowlisted functions and classes, and BUILD, APPEND
and SETITEM are restricted to the containers torch's weights-only unpickler allows. ``weights_only``
is accepted for compatibility, but ``weights_only=False`` takes the same safe path: ember never
executes pickled code (a file that needs arbitrary globals must be allowlisted explicitly).
"""
import collections
import io
import operator
import os
import pickle
import re
import secrets
import struct
import sys
import zipfile
import zlib
import _compat_pickle
from collections import OrderedDict

import numpy as np

from . import _dtype
from ._device import device as _device_cls, to_device, move, CPU
from ._tensor import Tensor, Size, VersionCounter, wrap

__all__ = ["save", "load", "add_safe_globals", "get_safe_globals", "clear_safe_globals", "safe_globals",
           "DEFAULT_PROTOCOL"]

DEFAULT_PROTOCOL = 2
MAGIC_NUMBER = 0x1950A86A20F9469CFC6C
PROTOCOL_VERSION = 1001
STORAGE_ALIGNMENT = 64
_ZIP64_LIMIT = 0xFFFFFFFF  # sizes/offsets at or above this need zip64 fields (a module constant for tests)
_CHUNK = 1 << 26

UNSAFE_MESSAGE = (
    "ember never executes code from a file, so `weights_only=False` does not change this. If you trust "
    "the source of the checkpoint, allowlist the global with `ember.serialization.add_safe_globals`.")

_STORAGE_NAMES = {
    _dtype.float64: "DoubleStorage", _dtype.float32: "FloatStorage", _dtype.float16: "HalfStorage",
    _dtype.int64: "LongStorage", _dtype.int32: "IntStorage", _dtype.int16: "ShortStorage",
    _dtype.int8: "CharStorage", _dtype.uint8: "ByteStorage", _dtype.bool_: "BoolStorage",
    _dtype.bfloat16: "BFloat16Storage", _dtype.complex128: "ComplexDoubleStorage",
    _dtype.complex64: "ComplexFloatStorage",
}


def _parameter_cls():
    try:
        from .nn.parameter import Parameter
    except ImportError:  # pragma: no cover - nn is optional while it is being built
        return None
    return Parameter


# ----------------------------------------------------------------------------------------------
# Writing: a pure-Python pickler that writes torch's global names without importing torch
# ----------------------------------------------------------------------------------------------
class _Global:
    """A stand-in written as ``GLOBAL module name`` (torch's functions and classes, by name)."""
    __slots__ = ("module", "name")

    def __init__(self, module, name):
        self.module = module
        self.name = name

    def __repr__(self):
        return f"<global {self.module}.{self.name}>"

    def __call__(self, *args, **kwargs):  # pickle's save_reduce insists that the function is callable
        raise TypeError(f"{self.module}.{self.name} is a name written into ember.save files, not a function")


_GLOBALS = {}


def _g(module, name):
    key = (module, name)
    g = _GLOBALS.get(key)
    if g is None:
        g = _GLOBALS[key] = _Global(module, name)
    return g


class _StorageRef:
    """What the pickler sees in place of a storage: persistent_id turns it into torch's tuple."""
    __slots__ = ("pid",)

    def __init__(self, pid):
        self.pid = pid


def _location_tag(arr):
    """torch's location tag of the storage behind an array ('cpu', 'cuda:0', ...)."""
    if arr.__class__ is np.ndarray:
        return "cpu"
    return sys.intern(f"cuda:{arr.device.id}")


def _data_ptr(arr):
    if arr.__class__ is np.ndarray:
        return arr.__array_interface__["data"][0]
    return arr.data.ptr


def _bounds(arr, ptr):
    """[lo, hi) byte range an array touches."""
    if arr.size == 0:
        return ptr, ptr
    lo = hi = ptr
    for n, s in zip(arr.shape, arr.strides):
        if s < 0:
            lo += (n - 1) * s
        else:
            hi += (n - 1) * s
    return lo, hi + arr.itemsize


def _root_of(arr):
    """The array that owns the memory block an array views (through views and as_strided)."""
    cls = arr.__class__
    root = arr
    while True:
        b = root.base
        if b is None:
            return root
        if isinstance(b, cls):
            root = b
            continue
        bb = getattr(b, "base", None)  # numpy's as_strided goes through a DummyArray
        if isinstance(bb, cls) and (hasattr(b, "__array_interface__") or hasattr(b, "__cuda_array_interface__")):
            root = bb
            continue
        return root


def _host_bytes(root, lo, n):
    """n bytes of memory starting at address lo inside root, as a host uint8 array (no copy on CPU)."""
    if n == 0:
        return np.empty(0, np.uint8)
    if root.__class__ is np.ndarray:
        import ctypes
        return np.frombuffer((ctypes.c_uint8 * n).from_address(lo), np.uint8)
    import cupy
    mem = cupy.ndarray((n,), cupy.uint8, memptr=root.data + (lo - root.data.ptr))
    return mem.get()


class _Storages:
    """Assigns torch's storage keys: tensors viewing one memory block share one record."""

    def __init__(self):
        self.records = {}     # key -> (root array, lo, nbytes)
        self.dtypes = {}      # key -> ember dtype
        self._by_root = {}    # id(root) -> (key, lo, hi, dtype)
        self._keep = []       # roots and copies kept alive while saving

    def ref(self, arr):
        """(storage ref, storage offset, stride) of an array."""
        itemsize = arr.itemsize
        dt = _dtype._from_np[arr.dtype]
        ptr = _data_ptr(arr)
        root = _root_of(arr)
        entry = self._by_root.get(id(root))
        if entry is None:
            rlo, rhi = _bounds(root, _data_ptr(root))
        else:
            rlo, rhi = entry[1], entry[2]
        tlo, thi = _bounds(arr, ptr)
        ok = (all(s >= 0 and s % itemsize == 0 for s in arr.strides)
              and rlo <= tlo and thi <= rhi and rlo <= ptr <= rhi
              and (ptr - rlo) % itemsize == 0 and (rhi - rlo) % itemsize == 0)
        if not ok:  # negative or odd strides, or memory we cannot account for: save a copy
            xp = np if arr.__class__ is np.ndarray else __import__("cupy")
            arr = xp.array(arr, copy=True, order="C")
            root, ptr = arr, _data_ptr(arr)
            rlo, rhi = ptr, ptr + arr.nbytes
            entry = None
        if entry is None:
            key = str(len(self.records))
            self._by_root[id(root)] = entry = (key, rlo, rhi, dt)
            self.records[key] = (root, rlo, rhi - rlo)
            self.dtypes[key] = dt
            self._keep.append(root)
        elif entry[3] is not dt:
            raise RuntimeError("Cannot save multiple tensors or storages that view the same data as different types")
        key = entry[0]
        offset = (ptr - rlo) // itemsize
        if arr.size == 0 and (arr.flags.c_contiguous or not all(s >= 0 and s % itemsize == 0 for s in arr.strides)):
            stride = _contiguous_strides(arr.shape)  # numpy calls every empty array contiguous
        else:
            stride = tuple(s // itemsize for s in arr.strides)
        pid = ("storage", _g("torch", _STORAGE_NAMES[dt]), key, _location_tag(arr), (rhi - rlo) // itemsize)
        return _StorageRef(pid), offset, stride


def _contiguous_strides(shape):
    st, acc = [], 1
    for n in reversed(shape):
        st.append(acc)
        acc *= max(n, 1)
    return tuple(reversed(st))


class _TorchPickler(pickle._Pickler):
    """pickle's pure-Python Pickler (its save_global is overridable) with torch's tensor reductions."""
    dispatch = pickle._Pickler.dispatch.copy()

    def __init__(self, file, protocol, storages):
        super().__init__(file, protocol)
        self._storages = storages
        self._param_cls = _parameter_cls()

    def persistent_id(self, obj):
        if obj.__class__ is _StorageRef:
            return obj.pid
        return None

    def reducer_override(self, obj):
        cls = obj.__class__
        if isinstance(obj, Tensor):
            return self._reduce_tensor(obj)
        if cls is Size:
            return _g("torch", "Size"), (tuple(obj),)
        if cls is _device_cls:
            return _g("torch", "device"), ((obj.type,) if obj.index is None else (obj.type, obj.index))
        return NotImplemented

    def _reduce_tensor(self, t):
        p = self._param_cls
        if p is not None and isinstance(t, p):
            data = wrap(t._data)
            state = getattr(t, "__dict__", None)
            if state:
                return (_g("torch._utils", "_rebuild_parameter_with_state"),
                        (data, t._requires_grad, OrderedDict(), dict(state)))
            return _g("torch._utils", "_rebuild_parameter"), (data, t._requires_grad, OrderedDict())
        ref, offset, stride = self._storages.ref(t._data)
        return (_g("torch._utils", "_rebuild_tensor_v2"),
                (ref, offset, tuple(t._data.shape), stride, t._requires_grad, OrderedDict()))

    def _save_standin_global(self, obj):
        if self.proto >= 4:
            self.save(obj.module)
            self.save(obj.name)
            self.write(pickle.STACK_GLOBAL)
        else:
            self.write(pickle.GLOBAL + f"{obj.module}\n{obj.name}\n".encode("utf-8"))
        self.memoize(obj)

    dispatch[_Global] = _save_standin_global

    def _save_dtype(self, obj):  # torch pickles a dtype as the bare global ``torch.float32``
        self._save_standin_global(_g("torch", obj.name))
        self.memo[id(obj)] = self.memo[id(_g("torch", obj.name))][0], obj

    dispatch[_dtype.dtype] = _save_dtype


# ----------------------------------------------------------------------------------------------
# The zip container, written exactly as torch's PyTorchStreamWriter (miniz) writes it
# ----------------------------------------------------------------------------------------------
class _ZipWriter:
    def __init__(self, f, archive_name, alignment=STORAGE_ALIGNMENT):
        self._f = f
        self._prefix = archive_name + "/"
        self._alignment = alignment
        self._pos = 0
        self._central = []

    def _write(self, b):
        self._f.write(b)
        self._pos += len(b)

    def write_record(self, name, chunks, size):
        """Write one stored record; chunks: an iterable of bytes-like pieces totalling size bytes."""
        fname = (self._prefix + name).encode("utf-8")
        offset = self._pos
        big_size, big_ofs = size >= _ZIP64_LIMIT, offset >= _ZIP64_LIMIT
        zip64 = big_size or big_ofs
        start = offset + 30 + len(fname) + 4
        z64 = b""
        if zip64:
            z64_body = (struct.pack("<QQ", size, size) if big_size else b"") + \
                (struct.pack("<Q", offset) if big_ofs else b"")
            z64 = struct.pack("<HH", 1, len(z64_body)) + z64_body
            start += len(z64)
        pad = (-start) % self._alignment
        extra = z64 + b"FB" + struct.pack("<H", pad) + b"Z" * pad
        version = 45 if zip64 else 0
        lsize = 0xFFFFFFFF if big_size else 0
        flags = 0x0808 if size else 0x0800  # an empty record has no data descriptor (miniz)
        self._write(struct.pack("<IHHHHHIIIHH", 0x04034B50, version, flags, 0, 0, 0, 0, lsize, lsize,
                                len(fname), len(extra)) + fname + extra)
        crc = 0
        written = 0
        for c in chunks:
            crc = zlib.crc32(c, crc)
            self._f.write(c)
            written += len(c)
        if written != size:
            raise RuntimeError(f"internal error: record {name} wrote {written} bytes, expected {size}")
        self._pos += size
        if not size:
            pass
        elif zip64:
            self._write(struct.pack("<IIQQ", 0x08074B50, crc, size, size))
        else:
            self._write(struct.pack("<IIII", 0x08074B50, crc, size, size))
        self._central.append((fname, crc, size, offset, version, flags))

    def write_bytes(self, name, data):
        if isinstance(data, str):
            data = data.encode("utf-8")
        self.write_record(name, (data,), len(data))

    def finish(self):
        cd_start = self._pos
        for fname, crc, size, offset, version, flags in self._central:
            body = b""
            if size >= _ZIP64_LIMIT:
                body += struct.pack("<QQ", size, size)
            if offset >= _ZIP64_LIMIT:
                body += struct.pack("<Q", offset)
            extra = struct.pack("<HH", 1, len(body)) + body if body else b""
            csize = min(size, 0xFFFFFFFF)
            self._write(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 0, version, flags, 0, 0, 0, crc, csize, csize,
                                    len(fname), len(extra), 0, 0, 0, 0, min(offset, 0xFFFFFFFF)) + fname + extra)
        cd_size = self._pos - cd_start
        n = len(self._central)
        eocd64 = self._pos
        self._write(struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 0x031E, 0x2D, 0, 0, n, n, cd_size, cd_start))
        self._write(struct.pack("<IIQI", 0x07064B50, 0, eocd64, 1))
        self._write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, min(n, 0xFFFF), min(n, 0xFFFF),
                                min(cd_size, 0xFFFFFFFF), min(cd_start, 0xFFFFFFFF), 0))


def _serialization_id():
    return f"{secrets.randbits(64):020d}{secrets.randbits(64):020d}"


def _storage_chunks(root, lo, nbytes):
    for start in range(0, nbytes, _CHUNK):
        n = min(_CHUNK, nbytes - start)
        yield memoryview(_host_bytes(root, lo + start, n))


def _pickle(obj, protocol):
    storages = _Storages()
    buf = io.BytesIO()
    _TorchPickler(buf, protocol, storages).dump(obj)
    return buf.getvalue(), storages


def _save_zip(obj, f, archive_name, protocol, disable_byteorder):
    data, storages = _pickle(obj, protocol)  # fails before anything is written
    z = _ZipWriter(f, archive_name)
    z.write_bytes("data.pkl", data)
    z.write_bytes(".format_version", "1")
    z.write_bytes(".storage_alignment", str(STORAGE_ALIGNMENT))
    if not disable_byteorder:
        z.write_bytes("byteorder", sys.byteorder)
    for key, (root, lo, nbytes) in storages.records.items():
        z.write_record(f"data/{key}", _storage_chunks(root, lo, nbytes), nbytes)
    z.write_bytes("version", "3\n")
    z.write_bytes(".data/serialization_id", _serialization_id())
    z.finish()


class _LegacyPickler(_TorchPickler):
    dispatch = _TorchPickler.dispatch

    def persistent_id(self, obj):
        if obj.__class__ is _StorageRef:
            return obj.pid + (None,)  # view_metadata
        return None


def _save_legacy(obj, f, protocol):
    storages = _Storages()
    buf = io.BytesIO()
    sys_info = {"protocol_version": PROTOCOL_VERSION, "little_endian": sys.byteorder == "little",
                "type_sizes": {"short": 2, "int": 4, "long": 4}}
    for header in (MAGIC_NUMBER, PROTOCOL_VERSION, sys_info):
        pickle.dump(header, buf, protocol=protocol)
    _LegacyPickler(buf, protocol, storages).dump(obj)
    keys = sorted(storages.records)
    pickle.dump(keys, buf, protocol=protocol)
    f.write(buf.getvalue())
    for key in keys:
        root, lo, nbytes = storages.records[key]
        itemsize = storages.dtypes[key].itemsize
        f.write(struct.pack("<q", nbytes // itemsize))
        for c in _storage_chunks(root, lo, nbytes):
            f.write(c)


def _archive_name(path):
    name = os.fspath(path)
    if isinstance(name, bytes):
        name = os.fsdecode(name)
    try:
        name.encode("ascii")
    except UnicodeEncodeError:
        return "archive"  # torch writes non-ASCII paths through a Python stream
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    dot = base.rfind(".")
    stem = base[:dot] if dot >= 0 else base
    if not stem:
        raise RuntimeError(f"invalid file name: {name}")
    return stem


def _atomic_write(path, write):
    """Call ``write(fh)`` on a temporary file next to ``path``, then move it over ``path``.

    A failure part-way leaves any previous file untouched and no temporary file behind; a symlink
    at ``path`` is followed, and the replaced file's permissions are kept.
    """
    target = os.path.realpath(path) if os.path.islink(path) else path
    directory = os.path.dirname(os.path.abspath(target))
    tmp = os.path.join(directory, f".{os.path.basename(target)}.{secrets.token_hex(6)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with open(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        try:  # keep the permissions of the file being replaced, as writing into it would
            os.chmod(tmp, os.stat(target).st_mode & 0o7777)
        except OSError:
            pass
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def save(obj, f, pickle_module=None, pickle_protocol=DEFAULT_PROTOCOL, _use_new_zipfile_serialization=True,
         _disable_byteorder_record=False):
    """Save an object (tensors, state dicts, checkpoints) in PyTorch's file format.

    ``f`` is a path (str or os.PathLike) or a binary file object. A path is written atomically: the
    data goes to a temporary file in the same directory which replaces ``f`` only once complete, so
    a failure part-way leaves any previous file untouched and no temporary file behind.
    """
    if isinstance(f, (str, os.PathLike)):
        path = os.fspath(f)
        if isinstance(path, bytes):
            path = os.fsdecode(path)
        archive = _archive_name(path) if _use_new_zipfile_serialization else None
        if _use_new_zipfile_serialization:
            _atomic_write(path, lambda fh: _save_zip(obj, fh, archive, pickle_protocol, _disable_byteorder_record))
        else:
            _atomic_write(path, lambda fh: _save_legacy(obj, fh, pickle_protocol))
        return None
    if not callable(getattr(f, "write", None)):
        msg = f"Buffer of {str(type(f)).strip('<>')} has no callable attribute 'write'"
        if not hasattr(f, "write"):
            raise AttributeError(msg)
        raise TypeError(msg)
    if _use_new_zipfile_serialization:
        _save_zip(obj, f, "archive", pickle_protocol, _disable_byteorder_record)
    else:
        _save_legacy(obj, f, pickle_protocol)
    if callable(getattr(f, "flush", None)):
        f.flush()
    return None


# ----------------------------------------------------------------------------------------------
# Plain pickling (pickle.dumps, copy, multiprocessing): an ndarray plus metadata
# ----------------------------------------------------------------------------------------------
def reduce_tensor(t):
    """``Tensor.__reduce_ex__``: the values as an ndarray, requires_grad and the device."""
    arr = t._data
    if arr.__class__ is np.ndarray:
        return _rebuild_from_numpy, (arr, t._requires_grad)
    return _rebuild_from_numpy, (arr.get(), t._requires_grad, str(t.device))


def _rebuild_from_numpy(arr, requires_grad, device=None):
    if device is not None:
        arr = move(arr, to_device(device))
    t = wrap(arr)
    if requires_grad:
        t._requires_grad = True
    return t


# ----------------------------------------------------------------------------------------------
# Reading
# ----------------------------------------------------------------------------------------------
class UntypedStorage:
    """The bytes of one saved storage, as handed to a callable ``map_location(storage, location)``."""
    __slots__ = ("_array",)

    def __init__(self, array):
        self._array = array  # 1-D uint8 backend array

    @property
    def device(self):
        from ._device import device_of
        return device_of(self._array)

    @property
    def is_cuda(self):
        return self._array.__class__ is not np.ndarray

    def nbytes(self):
        return int(self._array.size)

    size = nbytes

    def __len__(self):
        return int(self._array.size)

    def to(self, device=None, non_blocking=False):
        return UntypedStorage(move(self._array, to_device(device)))

    def cpu(self):
        return UntypedStorage(move(self._array, CPU))

    def cuda(self, device=None, non_blocking=False):
        if isinstance(device, int):
            d = _device_cls("cuda", device)
        else:
            d = to_device("cuda" if device is None else device)
        return UntypedStorage(move(self._array, d))

    def __repr__(self):
        return f"UntypedStorage(nbytes={self.nbytes()}, device={self.device})"


class _LoadedStorage:
    """A storage as seen by the rebuild functions: a typed 1-D array and a shared version counter."""
    __slots__ = ("array", "dtype", "vc")

    def __init__(self, array, dtype):
        self.array = array
        self.dtype = dtype
        self.vc = VersionCounter()


class _StorageType:
    """What ``torch.FloatStorage`` & co. resolve to: a marker carrying the dtype."""
    __slots__ = ("dtype", "name")

    def __init__(self, name, dtype):
        self.name = name
        self.dtype = dtype

    def __repr__(self):
        return f"StorageType(dtype={self.dtype})"


_STORAGE_TYPES = {f"torch.{n}": _StorageType(n, d) for d, n in _STORAGE_NAMES.items()}
_STORAGE_TYPES["torch.UntypedStorage"] = _StorageType("UntypedStorage", None)
_STORAGE_TYPES["torch.storage.UntypedStorage"] = _STORAGE_TYPES["torch.UntypedStorage"]


def _cuda_error():
    return RuntimeError(
        "Attempting to deserialize object on a CUDA device but ember.cuda.is_available() is False. If you are "
        "running on a CPU-only machine, please use ember.load with map_location=ember.device('cpu') to map "
        "your storages to the CPU.")


def default_restore_location(storage, location):
    """Move a CPU storage to the device named by a location tag ('cpu', 'cuda', 'cuda:1')."""
    if isinstance(location, _device_cls):
        location = str(location)
    if location == "cpu":
        return storage
    if location == "cuda" or re.match(r"cuda(:|[0-9]+)", location):
        from . import cuda
        if not cuda.is_available():
            raise _cuda_error()
        d = _device_cls(location) if location != "cuda" else to_device("cuda")
        index = d.index if d.index is not None else to_device("cuda").index
        n = cuda.device_count()
        if index >= n:
            raise RuntimeError(
                f"Attempting to deserialize object on CUDA device {index} but ember.cuda.device_count() is {n}. "
                "Please use ember.load with map_location to map your storages to an existing device.")
        return UntypedStorage(move(storage._array, _device_cls("cuda", index)))
    raise RuntimeError(f"don't know how to restore data location of ember.storage.UntypedStorage "
                       f"(tagged with {location})")


def _get_restore_location(map_location):
    if map_location is None:
        return default_restore_location
    if isinstance(map_location, dict):
        def restore(storage, location):
            loc = map_location.get(location, location)
            return default_restore_location(storage, str(loc) if isinstance(loc, _device_cls) else loc)
        return restore
    if isinstance(map_location, (str, bytes)):
        loc = map_location.decode("ascii") if isinstance(map_location, bytes) else map_location
        return lambda storage, location: default_restore_location(storage, loc)
    if isinstance(map_location, _device_cls) or not callable(map_location):
        loc = str(map_location)
        return lambda storage, location: default_restore_location(storage, loc)

    def restore(storage, location):
        result = map_location(storage, location)
        if result is None:
            result = default_restore_location(storage, location)
        return result
    return restore


# -- rebuild functions (what torch's global names resolve to) ------------------------------------
def _index(x, what):
    if isinstance(x, bool) or not isinstance(x, (int, np.integer)):
        raise pickle.UnpicklingError(f"invalid {what} in tensor record: {x!r}")
    return operator.index(x)


def _view(storage, storage_offset, size, stride, dtype=None):
    if not isinstance(storage, _LoadedStorage):
        raise pickle.UnpicklingError(f"expected a storage to rebuild a tensor, got {type(storage).__name__}")
    arr = storage.array
    if dtype is not None and dtype is not storage.dtype:
        np_dt = dtype.np
        if arr.dtype != np_dt:
            nbytes = arr.size * arr.itemsize
            arr = arr.view(np.uint8)[: nbytes - nbytes % np_dt.itemsize].view(np_dt)
    offset = _index(storage_offset, "storage offset")
    if not isinstance(size, tuple) or not isinstance(stride, tuple):
        raise pickle.UnpicklingError("tensor size and stride must be tuples")
    size = tuple(_index(s, "size") for s in size)
    stride = tuple(_index(s, "stride") for s in stride)
    if len(size) != len(stride):
        raise RuntimeError(f"mismatch in length of strides and shape")
    if any(s < 0 for s in size) or any(s < 0 for s in stride) or offset < 0:
        raise RuntimeError(f"setStorage: sizes {list(size)}, strides {list(stride)} and storage offset {offset} "
                           "must be non-negative")
    itemsize = arr.itemsize
    numel = 1
    for s in size:
        numel *= s
    n_storage = arr.size
    if numel == 0:
        offset = min(offset, n_storage)
        required = 0
    else:
        required = offset + 1 + sum((n - 1) * st for n, st in zip(size, stride))
    if required > n_storage:
        raise RuntimeError(
            f"setStorage: sizes {list(size)}, strides {list(stride)}, storage offset {offset}, and itemsize "
            f"{itemsize} requiring a storage size of {required * itemsize} are out of bounds for storage of size "
            f"{n_storage * itemsize}")
    bstrides = tuple(st * itemsize for st in stride)
    if arr.__class__ is np.ndarray:
        out = np.ndarray(size, arr.dtype, buffer=arr, offset=offset * itemsize, strides=bstrides)
    else:
        import cupy
        out = cupy.ndarray(size, arr.dtype, memptr=arr.data + offset * itemsize, strides=bstrides)
    t = wrap(out)
    t._vc = storage.vc
    return t


def _set_requires_grad(t, requires_grad):
    if requires_grad:
        t.requires_grad_(True)
    return t


def _rebuild_tensor(storage, storage_offset, size, stride):
    return _view(storage, storage_offset, size, stride)


def _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks, metadata=None):
    return _set_requires_grad(_view(storage, storage_offset, size, stride), requires_grad)


def _rebuild_tensor_v3(storage, storage_offset, size, stride, requires_grad, backward_hooks, dtype, metadata=None):
    if not isinstance(dtype, _dtype.dtype):
        raise pickle.UnpicklingError(f"expected a dtype, got {dtype!r}")
    return _set_requires_grad(_view(storage, storage_offset, size, stride, dtype), requires_grad)


def _set_state(obj, state):
    """Python attributes saved with a tensor or Parameter: only into an instance __dict__."""
    if isinstance(state, tuple) and len(state) == 2:
        state = state[0]
    d = getattr(obj, "__dict__", None)
    if state and isinstance(state, dict) and d is not None:
        for k, v in state.items():
            if isinstance(k, str):
                d[k] = v
    return obj


def _rebuild_parameter(data, requires_grad, backward_hooks=None):
    p = _parameter_cls()
    if not isinstance(data, Tensor):
        raise pickle.UnpicklingError(f"expected a Tensor for a Parameter, got {type(data).__name__}")
    if p is None:
        return _set_requires_grad(data.detach(), requires_grad)
    return p(data, bool(requires_grad))


def _rebuild_parameter_with_state(data, requires_grad, backward_hooks, state):
    return _set_state(_rebuild_parameter(data, requires_grad, backward_hooks), state)


def _rebuild_device_tensor_from_cpu_tensor(data, dtype, device, requires_grad):
    if not isinstance(data, Tensor):
        raise pickle.UnpicklingError(f"expected a Tensor, got {type(data).__name__}")
    t = data.to(dtype=dtype, device=device)
    return _set_requires_grad(t, requires_grad)


_REBUILDERS = {_rebuild_tensor, _rebuild_tensor_v2, _rebuild_tensor_v3, _rebuild_parameter,
               _rebuild_parameter_with_state, _rebuild_device_tensor_from_cpu_tensor}


def _rebuild_from_type_v2(func, new_type, args, state):
    if func not in _REBUILDERS or not isinstance(args, tuple):
        raise pickle.UnpicklingError(f"_rebuild_from_type_v2 cannot call {func!r}")
    ret = func(*args)
    p = _parameter_cls()
    if p is not None and new_type is p and not isinstance(ret, p):
        ret = p(ret, ret.requires_grad)
    return _set_state(ret, state)


def _unsupported(kind):
    def rebuild(*args):
        raise RuntimeError(f"ember cannot load {kind} tensors")
    rebuild.__name__ = f"_rebuild_{kind}"
    return rebuild


def _get_layout(name):
    return name


def _encode(obj, encoding="utf-8", errors="strict"):
    """``_codecs.encode`` as protocol 2 uses it for bytes: text codecs only."""
    if not isinstance(obj, str) or encoding not in ("latin1", "latin-1", "iso-8859-1", "utf-8", "utf8", "ascii"):
        raise pickle.UnpicklingError(f"_codecs.encode is only allowed for text, got encoding {encoding!r}")
    return obj.encode(encoding, errors)


def _allowed_globals():
    rc = {
        "collections.OrderedDict": OrderedDict,
        "collections.Counter": collections.Counter,
        "torch.Size": Size,
        "torch.device": _device_cls,
        "torch.serialization._get_layout": _get_layout,
        "_codecs.encode": _encode,
        "builtins.bytearray": bytearray,
        "builtins.set": set,
        "builtins.frozenset": frozenset,
        "builtins.complex": complex,
        "torch._utils._rebuild_tensor": _rebuild_tensor,
        "torch._utils._rebuild_tensor_v2": _rebuild_tensor_v2,
        "torch._utils._rebuild_tensor_v3": _rebuild_tensor_v3,
        "torch._utils._rebuild_parameter": _rebuild_parameter,
        "torch._utils._rebuild_parameter_with_state": _rebuild_parameter_with_state,
        "torch._utils._rebuild_device_tensor_from_cpu_tensor": _rebuild_device_tensor_from_cpu_tensor,
        "torch._tensor._rebuild_from_type_v2": _rebuild_from_type_v2,
        "torch._utils._rebuild_qtensor": _unsupported("quantized"),
        "torch._utils._rebuild_sparse_tensor": _unsupported("sparse"),
        "torch._utils._rebuild_meta_tensor_no_storage": _unsupported("meta"),
        "torch._utils._rebuild_nested_tensor": _unsupported("nested"),
        "torch._utils._rebuild_wrapper_subclass": _unsupported("wrapper-subclass"),
        "torch._utils._rebuild_device_tensor_from_numpy": _unsupported("numpy-backed device"),
    }
    for name, st in _STORAGE_TYPES.items():
        rc[name] = st
    for d in _dtype.ALL:
        rc[f"torch.{d.name}"] = d
    for alias in ("half", "float", "double", "short", "int", "long", "cfloat", "cdouble"):
        rc[f"torch.{alias}"] = getattr(_dtype, alias)
    rc["torch.Tensor"] = rc["torch._tensor.Tensor"] = Tensor
    p = _parameter_cls()
    if p is not None:
        rc["torch.nn.parameter.Parameter"] = p
    return rc


_ALLOWED = None
_user_globals = {}
_BLOCKED_MODULES = ("sys", "os", "posix", "nt")


def add_safe_globals(safe_globals):
    """Allowlist globals (functions/classes, or ``(obj, "module.name")`` pairs) for ember.load."""
    for g in safe_globals:
        if isinstance(g, tuple):
            if len(g) != 2:
                raise ValueError(f"Expected tuple of length 2 (global, str of callable full path), but got "
                                 f"tuple of length: {len(g)}")
            obj, name = g
            if type(name) is not str:
                raise TypeError(f"Expected second item in tuple to be str of callable full path, but got: "
                                f"{type(name)}")
        else:
            obj, name = g, f"{g.__module__}.{g.__qualname__}"
        _user_globals[name] = obj


def get_safe_globals():
    return list(_user_globals.values())


def clear_safe_globals():
    _user_globals.clear()


class safe_globals:
    """Context manager: allowlist globals for the duration of a block."""

    def __init__(self, globals_list):
        self.globals_list = globals_list
        self._saved = None

    def __enter__(self):
        self._saved = dict(_user_globals)
        add_safe_globals(self.globals_list)

    def __exit__(self, *exc):
        _user_globals.clear()
        _user_globals.update(self._saved)
        return False


_SAFE_NEW = (OrderedDict, collections.Counter, set, frozenset, bytearray, complex, Size, dict, list)


class _SafeUnpickler(pickle._Unpickler):
    """An allowlist unpickler.

    Globals resolve through :meth:`find_class` from a fixed table (no imports); persistent ids
    must be torch's storage tuples. This is pickle's pure-Python Unpickler, because the C one
    cannot restrict BUILD (which could otherwise set attributes on ember's dtype singletons) or
    SETITEM/APPEND targets; those opcodes are narrowed below as torch's weights-only unpickler does.
    """
    dispatch = pickle._Unpickler.dispatch.copy()

    def __init__(self, file, persistent_load, encoding="utf-8"):
        super().__init__(file, encoding=encoding)
        self._persistent_load = persistent_load
        self._allowed_values = None

    def find_class(self, module, name):
        if not isinstance(module, str) or not isinstance(name, str):
            raise pickle.UnpicklingError("global names must be strings")
        if (module, name) in _compat_pickle.NAME_MAPPING:
            module, name = _compat_pickle.NAME_MAPPING[(module, name)]
        elif module in _compat_pickle.IMPORT_MAPPING:
            module = _compat_pickle.IMPORT_MAPPING[module]
        full = f"{module}.{name}"
        if module in _BLOCKED_MODULES or module.split(".")[0] in _BLOCKED_MODULES:
            raise pickle.UnpicklingError(
                f"Trying to load unsupported GLOBAL {full} whose module {module} is blocked.")
        obj = _ALLOWED.get(full)
        if obj is None:
            obj = _user_globals.get(full)
        if obj is None:
            shown = full[len("builtins."):] if full.startswith("builtins.") else full
            raise pickle.UnpicklingError(
                f"Unsupported global: GLOBAL {shown} was not an allowed global by default. Please use "
                f"`ember.serialization.add_safe_globals([{shown}])` or the "
                f"`ember.serialization.safe_globals([{shown}])` context manager to allowlist this global if you "
                "trust this class/function.")
        return obj

    def persistent_load(self, pid):
        return self._persistent_load(pid)

    def _is_allowed_type(self, cls):
        if cls in _SAFE_NEW:
            return True
        return any(cls is v for v in _user_globals.values())

    def load_newobj(self):
        args = self.stack.pop()
        cls = self.stack.pop()
        if not isinstance(cls, type) or not self._is_allowed_type(cls):
            p = _parameter_cls()
            if p is not None and cls is p:
                self.append(p(*args))
                return
            raise pickle.UnpicklingError(
                f"Can only create new object for nn.Parameter or classes allowlisted via `add_safe_globals` "
                f"but got {cls}")
        self.append(cls.__new__(cls, *args))

    dispatch[pickle.NEWOBJ[0]] = load_newobj

    def load_newobj_ex(self):
        kwargs = self.stack.pop()
        args = self.stack.pop()
        cls = self.stack.pop()
        if not isinstance(cls, type) or not self._is_allowed_type(cls):
            raise pickle.UnpicklingError(
                f"Can only create new object for classes allowlisted via `add_safe_globals` but got {cls}")
        self.append(cls.__new__(cls, *args, **kwargs))

    dispatch[pickle.NEWOBJ_EX[0]] = load_newobj_ex

    def load_build(self):
        inst = self.stack[-2]
        t = type(inst)
        if any(t is v for v in _user_globals.values()):
            pickle._Unpickler.load_build(self)
            return
        state = self.stack.pop()
        p = _parameter_cls()
        if t in (OrderedDict, collections.Counter):
            if isinstance(state, tuple) and len(state) == 2:
                state = state[0]
            if state:
                if not isinstance(state, dict):
                    raise pickle.UnpicklingError("OrderedDict state must be a dict")
                inst.__dict__.update(state)
        elif t is Tensor or (p is not None and t is p):
            # legacy Variable/Parameter state: (requires_grad, _, backward_hooks) or a dict
            if isinstance(state, tuple) and len(state) == 3 and isinstance(state[0], bool):
                _set_requires_grad(inst, state[0])
            elif p is not None and t is p:
                _set_state(inst, state)
            else:
                raise pickle.UnpicklingError(f"Can only build Tensor with legacy state, got {type(state)}")
        else:
            raise pickle.UnpicklingError(
                "Can only build Tensor, Parameter, OrderedDict or types allowlisted via `add_safe_globals`, "
                f"but got {t}")

    dispatch[pickle.BUILD[0]] = load_build

    def load_append(self):
        value = self.stack.pop()
        if type(self.stack[-1]) is not list:
            raise pickle.UnpicklingError(f"Can only append to lists, but got {type(self.stack[-1])}")
        self.stack[-1].append(value)

    dispatch[pickle.APPEND[0]] = load_append

    def load_appends(self):
        items = self.pop_mark()
        if type(self.stack[-1]) is not list:
            raise pickle.UnpicklingError(f"Can only extend lists, but got {type(self.stack[-1])}")
        self.stack[-1].extend(items)

    dispatch[pickle.APPENDS[0]] = load_appends

    def _check_setitem(self, op):
        if type(self.stack[-1]) not in (dict, OrderedDict, collections.Counter):
            raise pickle.UnpicklingError(f"Can only {op} for dict, collections.OrderedDict, "
                                         f"collections.Counter, but got {type(self.stack[-1])}")

    def load_setitem(self):
        value = self.stack.pop()
        key = self.stack.pop()
        self._check_setitem("SETITEM")
        self.stack[-1][key] = value

    dispatch[pickle.SETITEM[0]] = load_setitem

    def load_setitems(self):
        items = self.pop_mark()
        self._check_setitem("SETITEMS")
        d = self.stack[-1]
        for i in range(0, len(items), 2):
            d[items[i]] = items[i + 1]

    dispatch[pickle.SETITEMS[0]] = load_setitems

    def load_additems(self):
        items = self.pop_mark()
        if type(self.stack[-1]) is not set:
            raise pickle.UnpicklingError(f"Can only add items to sets, but got {type(self.stack[-1])}")
        self.stack[-1].update(items)

    dispatch[pickle.ADDITEMS[0]] = load_additems

    def load_reduce(self):
        args = self.stack.pop()
        func = self.stack[-1]
        if not self._is_allowed_callable(func):
            raise pickle.UnpicklingError(f"Trying to call reduce for unrecognized function {func}")
        if not isinstance(args, tuple):
            raise pickle.UnpicklingError("REDUCE arguments must be a tuple")
        self.stack[-1] = func(*args)

    dispatch[pickle.REDUCE[0]] = load_reduce

    def _is_allowed_callable(self, func):
        if self._allowed_values is None:  # Tensor and Parameter are names to refer to, not to call
            self._allowed_values = {id(v) for v in _ALLOWED.values() if not (isinstance(v, type)
                                                                             and issubclass(v, Tensor))}
        return id(func) in self._allowed_values or any(func is v for v in _user_globals.values())


def _wo_error(e):
    msg = str(e)
    if "was not an allowed global by default" in msg:
        return pickle.UnpicklingError(
            "Weights only load failed. This file cannot be loaded as it is: " + UNSAFE_MESSAGE +
            "\n\tWeightsUnpickler error: " + msg)
    return pickle.UnpicklingError("Weights only load failed. " + UNSAFE_MESSAGE +
                                  "\n\nWeightsUnpickler error: " + msg)


def _unpickle(data_file, persistent_load, encoding):
    global _ALLOWED
    if _ALLOWED is None:
        _ALLOWED = _allowed_globals()
    try:
        try:
            return _SafeUnpickler(data_file, persistent_load, encoding).load()
        except KeyError as e:  # the pure-Python unpickler's answer to an unknown opcode
            raise pickle.UnpicklingError(f"invalid load key, {e}.") from None
    except pickle.UnpicklingError as e:
        raise _wo_error(e) from None


def _pid_fields(saved_id):
    if not isinstance(saved_id, tuple) or not saved_id:
        raise pickle.UnpicklingError(f"persistent_load id must be a storage tuple, got {type(saved_id)}")
    typename = saved_id[0].decode("ascii") if isinstance(saved_id[0], bytes) else saved_id[0]
    if typename != "storage":
        raise pickle.UnpicklingError(f"Only persistent_load of storage is allowed, but got {typename!r}")
    return saved_id[1:]


def _check_storage_fields(storage_type, key, location, numel):
    if not isinstance(storage_type, _StorageType):
        raise pickle.UnpicklingError(f"unknown storage type {storage_type!r}")
    if isinstance(location, bytes):
        location = location.decode("ascii")
    if not isinstance(key, str) or not isinstance(location, str):
        raise pickle.UnpicklingError("storage key and location must be strings")
    numel = _index(numel, "storage size")
    if numel < 0:
        raise pickle.UnpicklingError("negative storage size")
    dtype = storage_type.dtype
    return dtype, key, location, numel, (dtype.itemsize if dtype is not None else 1)


def _finish_storage(u8, dtype, location, restore_location, swap):
    """Typed storage from raw little/big-endian bytes: byteswap, move, wrap."""
    np_dt = dtype.np if dtype is not None else np.dtype(np.uint8)
    if swap and np_dt.itemsize > 1:
        typed = u8.view(np_dt)
        if np_dt.kind == "c":
            typed.view(np.dtype(f"u{np_dt.itemsize // 2}")).byteswap(inplace=True)
        else:
            typed.view(np.dtype(f"u{np_dt.itemsize}")).byteswap(inplace=True)
    result = restore_location(UntypedStorage(u8), location)
    if not isinstance(result, UntypedStorage):
        raise TypeError(f"map_location should return a storage or None, got {type(result).__name__}")
    return _LoadedStorage(result._array.view(np_dt), dtype)


def _load_zip(zf, map_location, encoding, mmap_path):
    names = zf.namelist()
    if not names:
        raise RuntimeError("PytorchStreamReader failed reading zip archive: archive is empty")
    first = names[0]
    prefix = first[: first.index("/") + 1] if "/" in first else ""
    records = {n[len(prefix):]: n for n in names if n.startswith(prefix)}
    if "constants.pkl" in records and "data.pkl" not in records:
        raise RuntimeError("Cannot use ``weights_only=True`` with TorchScript archives passed to ``ember.load``. "
                           "ember cannot load TorchScript archives.")
    if "data.pkl" not in records:
        raise RuntimeError("PytorchStreamReader failed locating file data.pkl: file not found")
    byteorder = "little"
    if "byteorder" in records:
        byteorder = zf.read(records["byteorder"]).decode("ascii", "replace")
        if byteorder not in ("little", "big"):
            raise ValueError("Unknown endianness type: " + byteorder)
    swap = byteorder != sys.byteorder
    restore_location = _get_restore_location(map_location)
    loaded = {}
    mm = None
    if mmap_path is not None:
        mm = np.memmap(mmap_path, dtype=np.uint8, mode="c")

    def read_record(key, nbytes):
        name = records.get(f"data/{key}")
        if name is None:
            raise RuntimeError(f"PytorchStreamReader failed locating file data/{key}: file not found")
        info = zf.getinfo(name)
        if info.file_size < nbytes:
            raise RuntimeError(f"PytorchStreamReader: record data/{key} holds {info.file_size} bytes, "
                               f"expected {nbytes}")
        if mm is not None and info.compress_type == zipfile.ZIP_STORED:
            start = info.header_offset
            n_name, n_extra = struct.unpack("<HH", bytes(mm[start + 26: start + 30]))
            start += 30 + n_name + n_extra
            return mm[start: start + nbytes].view(np.ndarray)
        buf = np.empty(nbytes, np.uint8)
        if info.compress_type == zipfile.ZIP_STORED and raw is not None:  # read straight into the array
            raw.seek(info.header_offset)  # zipfile's offsets are absolute in fp
            head = raw.read(30)
            if len(head) != 30 or head[:4] != b"PK\x03\x04":
                raise RuntimeError(f"PytorchStreamReader: bad local header for data/{key}")
            n_name, n_extra = struct.unpack("<HH", head[26:30])
            raw.seek(info.header_offset + 30 + n_name + n_extra)
            if raw.readinto(memoryview(buf)) != nbytes:
                raise RuntimeError(f"PytorchStreamReader: record data/{key} is truncated")
            return buf
        with zf.open(name) as fh:
            view = memoryview(buf)
            got = 0
            while got < nbytes:
                n = fh.readinto(view[got:])
                if not n:
                    raise RuntimeError(f"PytorchStreamReader: record data/{key} is truncated")
                got += n
        return buf

    def persistent_load(saved_id):
        fields = _pid_fields(saved_id)
        if len(fields) != 4:
            raise pickle.UnpicklingError(f"malformed storage id of length {len(saved_id)}")
        dtype, key, location, numel, itemsize = _check_storage_fields(*fields)
        st = loaded.get(key)
        if st is None:
            st = loaded[key] = _finish_storage(read_record(key, numel * itemsize), dtype, location,
                                               restore_location, swap)
        return st

    raw = getattr(zf, "fp", None)
    raw = raw if callable(getattr(raw, "readinto", None)) else None
    with zf.open(records["data.pkl"]) as fh:
        data = fh.read()
    return _unpickle(io.BytesIO(data), persistent_load, encoding)


def _load_legacy(f, map_location, encoding):
    """torch's pre-1.6 format: magic, protocol, sys_info and object pickles, then raw storages."""
    def header():
        return _unpickle(f, _no_persistent, encoding)

    if header() != MAGIC_NUMBER:
        raise RuntimeError("Invalid magic number; corrupt file?")
    protocol = header()
    if protocol != PROTOCOL_VERSION:
        raise RuntimeError(f"Invalid protocol version: {protocol}")
    sys_info = header()
    little = sys_info.get("little_endian", True) if isinstance(sys_info, dict) else True
    swap = little != (sys.byteorder == "little")
    main_start = f.tell()
    # pass 1: walk the object pickle only to find where the storages start, collecting their types
    meta = {}

    def scan(saved_id):
        fields = _pid_fields(saved_id)
        if len(fields) != 5:
            raise pickle.UnpicklingError(f"malformed storage id of length {len(saved_id)}")
        dtype, key, location, numel, itemsize = _check_storage_fields(*fields[:4])
        if key not in meta:  # np.zeros is calloc'ed: the pages are never touched
            meta[key] = (dtype, location, numel, itemsize,
                         _LoadedStorage(np.zeros(numel, dtype.np if dtype is not None else np.uint8), dtype))
        return _legacy_view(meta[key][4], fields[4])

    _unpickle(f, scan, encoding)
    keys = header()
    if not isinstance(keys, list):
        raise pickle.UnpicklingError("legacy storage key list is malformed")
    restore_location = _get_restore_location(map_location)
    storages = {}
    for key in keys:
        if key not in meta:
            raise RuntimeError(f"storage {key!r} is listed but never used")
        dtype, location, _numel, itemsize, _fake = meta[key]
        (numel,) = struct.unpack("<q" if little else ">q", f.read(8))
        if numel < 0:
            raise RuntimeError("negative storage size in legacy file")
        nbytes = numel * itemsize
        buf = np.empty(nbytes, np.uint8)
        if f.readinto(memoryview(buf)) != nbytes:
            raise RuntimeError("legacy checkpoint is truncated")
        storages[key] = _finish_storage(buf, dtype, location, restore_location, swap)
    end = f.tell()
    f.seek(main_start)

    def persistent_load(saved_id):
        fields = _pid_fields(saved_id)
        st = storages.get(fields[1])
        if st is None:
            raise RuntimeError(f"storage {fields[1]!r} is missing from the legacy checkpoint")
        return _legacy_view(st, fields[4])

    result = _unpickle(f, persistent_load, encoding)
    f.seek(end)
    return result


def _legacy_view(st, view_metadata):
    if view_metadata is None:
        return st
    _key, offset, size = view_metadata
    offset, size = _index(offset, "view offset"), _index(size, "view size")
    if offset < 0 or size < 0 or offset + size > st.array.size:
        raise RuntimeError("storage view is out of bounds")
    v = _LoadedStorage(st.array[offset: offset + size], st.dtype)
    v.vc = st.vc
    return v


def _no_persistent(saved_id):
    raise pickle.UnpicklingError("unsupported persistent id encountered")


def load(f, map_location=None, pickle_module=None, *, weights_only=True, mmap=None, **pickle_load_args):
    """Load an object saved by ember.save or torch.save (zip format, or torch's legacy format).

    Nothing in the file can run code: globals resolve through an allowlist (see the module
    docstring). ``weights_only=False`` is accepted and takes the same safe path. ``map_location``
    is None, a device or device string, a dict remapping location tags, or a callable
    ``(storage, location) -> storage or None``, as in torch. ``mmap=True`` (paths only) maps the
    file copy-on-write instead of reading the tensor data into memory. A safetensors file (recognised
    by its header, whatever its name) loads as a dict name -> tensor, validated as by
    ``ember.load_safetensors``.
    """
    if weights_only is None:
        weights_only = True
    if weights_only and pickle_module is not None:
        raise RuntimeError("Can not safely load weights when explicit pickle_module is specified")
    encoding = pickle_load_args.pop("encoding", "utf-8")
    if pickle_load_args:
        raise TypeError(f"load() got unexpected keyword arguments {sorted(pickle_load_args)}")
    if isinstance(f, (str, os.PathLike)):
        path = os.fspath(f)
        with open(path, "rb") as fh:
            return _load_file(fh, map_location, encoding, path if mmap else None)
    if mmap:
        raise ValueError("f must be a file path in order to use the mmap argument")
    for attr in ("read", "seek", "tell"):
        if not callable(getattr(f, attr, None)):
            raise AttributeError(f"'{type(f).__name__}' object has no attribute '{attr}'. You can only "
                                 "ember.load from a file that is seekable. Please pre-load the data into a "
                                 "buffer like io.BytesIO and try to load from it instead.")
    return _load_file(f, map_location, encoding, None)


def _load_file(fh, map_location, encoding, mmap_path):
    start = fh.tell()
    magic = fh.read(4)
    fh.seek(start)
    if magic == b"PK\x03\x04":
        if start != 0 and mmap_path is not None:
            mmap_path = None
        with zipfile.ZipFile(fh) as zf:
            return _load_zip(zf, map_location, encoding, mmap_path)
    from . import _safetensors
    if _safetensors.looks_like_safetensors(fh):  # a .safetensors file: a dict name -> tensor
        restore_location = _get_restore_location(map_location)

        def place(u8):
            result = restore_location(UntypedStorage(u8), "cpu")
            if not isinstance(result, UntypedStorage):
                raise TypeError(f"map_location should return a storage or None, got {type(result).__name__}")
            return result._array

        return _safetensors.read(fh, place)
    if mmap_path is not None:
        raise RuntimeError(
            f"mmap can only be used with files saved with `torch.save({mmap_path}, "
            "_use_new_zipfile_serialization=True), please torch.save your checkpoint with this option in "
            "order to use mmap.")
    if not magic:
        raise EOFError("Ran out of input")
    return _load_legacy(fh, map_location, encoding)
