"""The safetensors format, read and written directly (the ``safetensors`` package is not needed).

A file is: an 8-byte little-endian unsigned header length N; N bytes of UTF-8 JSON mapping each
tensor name to ``{"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}`` (offsets relative
to the data buffer), plus an optional ``"__metadata__"`` object of str -> str; then the data buffer,
the tensors' bytes in little-endian order, packed with no gaps. Files are written as the reference
implementation writes them (tensors ordered by dtype, largest first, then by name; the header
padded with spaces to a multiple of 8 bytes), and headers are validated as strictly as it does:
a malformed or hostile file raises :class:`SafetensorError` (a ValueError) saying what is wrong,
before any tensor memory is allocated.
"""
import json
import os
import struct
import sys

import numpy as np

from . import _dtype
from ._device import to_device, move, device_of
from ._tensor import Tensor, wrap

__all__ = ["save_safetensors", "load_safetensors", "SafetensorError"]

MAX_HEADER_SIZE = 100_000_000  # the reference implementation's cap on the JSON header

# every dtype the format defines, in the reference implementation's order (which is also the
# order it writes tensors in, largest first); the number is the size of one element in bits
_FORMAT_DTYPES = {
    "BOOL": 8, "F4": 4, "F6_E2M3": 6, "F6_E3M2": 6, "U8": 8, "I8": 8, "F8_E5M2": 8, "F8_E4M3": 8,
    "F8_E8M0": 8, "F8_E4M3FNUZ": 8, "F8_E5M2FNUZ": 8, "I16": 16, "U16": 16, "F16": 16, "BF16": 16,
    "I32": 32, "U32": 32, "F32": 32, "C64": 64, "F64": 64, "I64": 64, "U64": 64,
}
_RANK = {name: i for i, name in enumerate(_FORMAT_DTYPES)}
_TO_EMBER = {
    "BOOL": _dtype.bool_, "U8": _dtype.uint8, "I8": _dtype.int8, "I16": _dtype.int16, "F16": _dtype.float16,
    "BF16": _dtype.bfloat16, "I32": _dtype.int32, "F32": _dtype.float32, "C64": _dtype.complex64,
    "F64": _dtype.float64, "I64": _dtype.int64,
}
_FROM_EMBER = {d: name for name, d in _TO_EMBER.items()}


class SafetensorError(ValueError):
    """A safetensors file (or header) is malformed."""


def _header_error(msg):
    return SafetensorError(f"Error while deserializing header: {msg}")


# ----------------------------------------------------------------------------------------------
# Reading
# ----------------------------------------------------------------------------------------------
def _no_duplicates(pairs):
    out = {}
    for k, v in pairs:
        if k in out:
            raise _header_error(f"duplicate key {k!r} in header")
        out[k] = v
    return out


def _reject_constant(name):
    raise _header_error(f"invalid JSON in header: {name} is not valid JSON")


def _is_uint(x):
    return type(x) is int and x >= 0


def parse_header(raw, buffer_len):
    """Validate a header (bytes) against a data buffer of buffer_len bytes.

    Returns ``(entries, metadata)``: entries are ``(begin, end, name, format_dtype, shape)`` sorted by
    offset, and together they cover the buffer exactly.
    """
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise _header_error(f"invalid UTF-8 in header: {e}") from None
    try:
        header = json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_reject_constant)
    except json.JSONDecodeError as e:
        raise _header_error(f"invalid JSON in header: {e}") from None
    except RecursionError:
        raise _header_error("invalid JSON in header: nested too deeply") from None
    if not isinstance(header, dict):
        raise _header_error(f"the header must be a JSON object, got {type(header).__name__}")
    metadata = header.pop("__metadata__", None)
    if metadata is not None:
        if not isinstance(metadata, dict):
            raise _header_error(f"__metadata__ must be an object of strings, got {type(metadata).__name__}")
        for k, v in metadata.items():
            if not isinstance(v, str):
                raise _header_error(f"__metadata__ value for {k!r} must be a string, got {type(v).__name__}")
    entries = []
    for name, info in header.items():
        if not isinstance(info, dict):
            raise _header_error(f"tensor `{name}`: expected an object with dtype, shape and data_offsets, "
                                f"got {type(info).__name__}")
        for field in ("dtype", "shape", "data_offsets"):
            if field not in info:
                raise _header_error(f"tensor `{name}`: missing field `{field}`")
        dt, shape, offsets = info["dtype"], info["shape"], info["data_offsets"]
        if not isinstance(dt, str) or dt not in _FORMAT_DTYPES:
            raise _header_error(f"tensor `{name}`: unknown dtype {dt!r}, expected one of {', '.join(_FORMAT_DTYPES)}")
        if not isinstance(shape, list) or not all(_is_uint(s) for s in shape):
            raise _header_error(f"tensor `{name}`: shape must be a list of non-negative integers, got {shape!r}")
        if not (isinstance(offsets, list) and len(offsets) == 2 and all(_is_uint(o) for o in offsets)):
            raise _header_error(f"tensor `{name}`: data_offsets must be two non-negative integers, got {offsets!r}")
        entries.append((offsets[0], offsets[1], name, dt, shape))
    entries.sort(key=lambda e: (e[0], e[1]))
    pos = 0
    for begin, end, name, dt, shape in entries:
        if begin != pos or end < begin:
            what = ("overlaps the previous tensor" if begin < pos else
                    "leaves a gap after the previous tensor" if begin > pos else "ends before it begins")
            raise _header_error(f"invalid offset for tensor `{name}`: data_offsets [{begin}, {end}] {what}")
        numel = 1
        for s in shape:
            numel *= s
        bits = numel * _FORMAT_DTYPES[dt]
        if bits % 8 or bits // 8 != end - begin:
            raise _header_error(
                f"invalid shape, data type, or offset for tensor `{name}`: shape {shape} of {dt} needs "
                f"{bits / 8:g} bytes but data_offsets [{begin}, {end}] hold {end - begin}")
        pos = end
    if pos != buffer_len:
        if pos > buffer_len:
            raise _header_error(f"tensor data ends at byte {pos} of the data buffer, which has only {buffer_len} bytes")
        raise _header_error(f"incomplete metadata, file not fully covered: the tensors cover {pos} of the "
                            f"{buffer_len} bytes of the data buffer")
    return entries, metadata


def _read_header(fh):
    """(entries, metadata, data start) of the safetensors file at fh's position."""
    start = fh.tell()
    size = fh.seek(0, os.SEEK_END) - start
    fh.seek(start)
    head = fh.read(8)
    if len(head) < 8:
        raise _header_error(f"header too small: the file has {size} bytes, fewer than the 8 of the header length")
    (n,) = struct.unpack("<Q", head)
    if n > MAX_HEADER_SIZE:
        raise _header_error(f"header too large: {n} bytes (the limit is {MAX_HEADER_SIZE})")
    if 8 + n > size:
        raise _header_error(f"invalid header length: the header claims {n} bytes but the file has only "
                            f"{size - 8} after the length")
    raw = fh.read(n)
    if len(raw) != n:
        raise _header_error("invalid header length: the file is truncated")
    entries, metadata = parse_header(raw, size - 8 - n)
    return entries, metadata, start + 8 + n


def looks_like_safetensors(fh):
    """Whether the file at fh's position has a safetensors header (a length, then a JSON object)."""
    start = fh.tell()
    try:
        head = fh.read(9)
        if len(head) < 9 or head[8:9] not in (b"{", b" ", b"\t", b"\n", b"\r"):
            return False
        (n,) = struct.unpack("<Q", head[:8])
        size = fh.seek(0, os.SEEK_END) - start
        if not 2 <= n <= min(MAX_HEADER_SIZE, size - 8):
            return False
        fh.seek(start + 8)
        return fh.read(min(n, 64)).lstrip()[:1] == b"{"
    finally:
        fh.seek(start)


def _check_ember_dtype(name, dt):
    d = _TO_EMBER.get(dt)
    if d is None or d.np is None:
        why = "install ml_dtypes for bfloat16" if dt == "BF16" else "ember has no such dtype"
        raise SafetensorError(f"tensor `{name}` has dtype {dt}, which ember cannot load ({why})")
    return d


def read(fh, place):
    """The tensors of the safetensors file at fh's position, in file order.

    ``place(u8)`` moves a tensor's raw bytes (a 1-D uint8 host array) to where the tensor belongs.
    """
    entries, _metadata, data_start = _read_header(fh)
    for _b, _e, name, dt, _s in entries:
        _check_ember_dtype(name, dt)
    fh.seek(data_start)
    out = {}
    for begin, end, name, dt, shape in entries:
        nbytes = end - begin
        u8 = np.empty(nbytes, np.uint8)
        if nbytes and fh.readinto(memoryview(u8)) != nbytes:
            raise SafetensorError(f"tensor `{name}`: the file is truncated")
        np_dt = _TO_EMBER[dt].np
        if dt == "BOOL" and nbytes and (u8 > 1).any():
            u8 = (u8 != 0).view(np.uint8)  # any non-zero byte is True (NumPy bools must be 0 or 1)
        if sys.byteorder == "big" and np_dt.itemsize > 1:
            u8.view(np.dtype(f"<u{np_dt.itemsize if np_dt.kind != 'c' else np_dt.itemsize // 2}")).byteswap(inplace=True)
        arr = place(u8)
        out[name] = wrap(arr.view(np_dt).reshape(tuple(shape)))
    return out


def load_safetensors(path, device="cpu"):
    """Load a .safetensors file as a dict name -> Tensor (on ``device``), in file order.

    Like ``safetensors.torch.load_file``. A malformed header raises :class:`SafetensorError`.
    """
    dev = to_device(device if not isinstance(device, int) else f"cuda:{device}")

    def place(u8):
        return move(u8, dev)

    if hasattr(path, "read") and hasattr(path, "seek"):
        return read(path, place)
    with open(os.fspath(path), "rb") as fh:
        return read(fh, place)


def load_metadata(path):
    """The ``__metadata__`` dict (str -> str) of a .safetensors file, or None when it has none."""
    with open(os.fspath(path), "rb") as fh:
        return _read_header(fh)[1]


# ----------------------------------------------------------------------------------------------
# Writing
# ----------------------------------------------------------------------------------------------
def _check_shared(tensors):
    """The reference implementation's refusal to save tensors that overlap in memory."""
    from .serialization import _root_of, _data_ptr, _bounds
    groups = {}
    for k, v in tensors.items():
        arr = v._data
        root = _root_of(arr)
        if root.nbytes == 0:
            continue
        groups.setdefault((str(device_of(arr)), id(root)), set()).add(k)
    failing = []
    for names in groups.values():
        if len(names) < 2:
            continue
        areas = []
        for name in names:
            arr = tensors[name]._data
            ptr = _data_ptr(arr)
            areas.append((ptr, _bounds(arr, ptr)[1] if arr.size else ptr, name))
        areas.sort()
        _, last_stop, last_name = areas[0]
        current = {last_name}
        for start, stop, name in areas[1:]:
            if start >= last_stop:
                if len(current) > 1:
                    failing.append(current)
                current = {name}
            else:
                current.add(name)
            last_stop = stop
        if len(current) > 1:
            failing.append(current)
    if failing:
        raise RuntimeError(
            f"""
            Some tensors share memory, this will lead to duplicate memory on disk and potential differences when loading them again: {failing}.
            A potential way to correctly save your model is to use `save_model`.
            More information at https://huggingface.co/docs/safetensors/torch_shared_tensors
            """
        )


def _prepare(tensors, metadata):
    if not isinstance(tensors, dict):
        raise ValueError(f"Expected a dict of [str, ember.Tensor] but received {type(tensors)}")
    for k, v in tensors.items():
        if not isinstance(k, str):
            raise TypeError(f"argument 'tensor_dict': '{type(k).__name__}' object is not an instance of 'str'")
        if not isinstance(v, Tensor):
            raise ValueError(f"Key `{k}` is invalid, expected ember.Tensor but received {type(v)}")
        if k == "__metadata__":
            raise ValueError("`__metadata__` is reserved by the safetensors format and cannot name a tensor")
    if metadata is not None:
        if not isinstance(metadata, dict):
            raise TypeError(f"argument 'metadata': '{type(metadata).__name__}' object is not a dict")
        for k, v in metadata.items():
            for x in (k, v):
                if not isinstance(x, str):
                    raise TypeError(f"argument 'metadata': '{type(x).__name__}' object is not an instance of 'str'")
    _check_shared(tensors)
    items = []
    for k, v in tensors.items():
        if not v._data.flags.c_contiguous:
            raise ValueError(
                f"You are trying to save a non contiguous tensor: `{k}` which is not allowed. It either means you"
                " are trying to save tensors which are reference of each other in which case it's recommended to save"
                " only the full tensors, and reslice at load time, or simply call `.contiguous()` on your tensor to"
                " pack it before saving.")
        dt = _FROM_EMBER.get(v.dtype)
        if dt is None:
            raise ValueError(f"tensor `{k}` has dtype {v.dtype}, which the safetensors format cannot store")
        items.append((k, dt, v._data))
    items.sort(key=lambda it: (-_RANK[it[1]], it[0]))
    header = {}
    if metadata is not None:
        header["__metadata__"] = dict(metadata)
    pos = 0
    for k, dt, arr in items:
        header[k] = {"dtype": dt, "shape": list(arr.shape), "data_offsets": [pos, pos + arr.nbytes]}
        pos += arr.nbytes
    raw = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    raw += b" " * (-len(raw) % 8)
    return raw, items


def _write(fh, raw, items):
    fh.write(struct.pack("<Q", len(raw)))
    fh.write(raw)
    for _k, _dt, arr in items:
        if not arr.size:
            continue
        if arr.__class__ is not np.ndarray:
            arr = arr.get()
        flat = arr.reshape(-1)
        if sys.byteorder == "big" and arr.itemsize > 1:
            flat = flat.byteswap()
        fh.write(memoryview(flat.view(np.uint8)))


def save_safetensors(tensors, path, metadata=None):
    """Save a dict name -> Tensor as a .safetensors file, like ``safetensors.torch.save_file``.

    ``metadata`` is an optional dict of str -> str stored in the header. Tensors must be contiguous
    and must not share memory (RuntimeError naming them, as the reference implementation does).
    The file is written atomically (a temporary file replaces ``path`` once complete).
    """
    from .serialization import _atomic_write
    raw, items = _prepare(tensors, metadata)
    p = os.fspath(path)
    if isinstance(p, bytes):
        p = os.fsdecode(p)
    _atomic_write(p, lambda fh: _write(fh, raw, items))
