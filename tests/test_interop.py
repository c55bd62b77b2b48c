"""Interop: safetensors files, DLPack (zero-copy, both ways) and NumPy."""
import io
import json
import os
import struct

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st, HealthCheck

import ember
from ember._safetensors import SafetensorError, load_metadata
from ember._dlpack import DLDeviceType
from tests.helpers import torch, needs_torch, raises_like, assert_close

try:
    import safetensors
    import safetensors.numpy as sf_numpy
    import safetensors.torch as sf_torch
except ImportError:
    safetensors = sf_numpy = sf_torch = None

needs_safetensors = pytest.mark.skipif(safetensors is None or torch is None,
                                       reason="the reference safetensors package (and torch) are not installed")

DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "bfloat16", "float32", "float64",
          "complex64"]
if not ember._dtype.HAS_BFLOAT16:  # bfloat16 needs ml_dtypes (in the test extra)
    DTYPES.remove("bfloat16")
SHAPES = [(2, 3), (), (0, 3), (5,), (1, 2, 1, 2)]


def _values(dtype, shape, seed=0):
    rng = np.random.default_rng(seed)
    d = getattr(ember, dtype)
    if dtype == "bool":
        arr = rng.random(shape) > 0.5
    elif d.is_floating_point or d.is_complex:
        arr = rng.standard_normal(shape) * 100
        if d.is_complex:
            arr = arr + 1j * rng.standard_normal(shape)
    else:
        info = np.iinfo(d.np)
        arr = rng.integers(info.min, info.max, size=shape, endpoint=True)
    return ember.tensor(np.asarray(arr)).to(d)


def _to_torch(t):
    if t.dtype == ember.bfloat16:
        return torch.from_numpy(t.float().numpy().copy()).to(torch.bfloat16)
    return torch.from_numpy(t.numpy().copy())


def _same(a, b):
    """Two ember tensors: same dtype, shape and bits."""
    assert a.dtype == b.dtype and tuple(a.shape) == tuple(b.shape), (a.dtype, b.dtype, a.shape, b.shape)
    assert np.ascontiguousarray(a.numpy()).tobytes() == np.ascontiguousarray(b.numpy()).tobytes()


def _close_exact(e, t):
    """An ember tensor equals a torch tensor exactly (dtype, shape, values; bfloat16 included)."""
    if t.dtype == torch.bfloat16:
        assert e.dtype == ember.bfloat16
        e, t = e.float(), t.float()
    if t.dtype == torch.complex64:
        assert e.dtype == ember.complex64
        np.testing.assert_array_equal(e.numpy(), t.numpy())
        return
    assert_close(e, t, rtol=0, atol=0)


def _file(header, data=b"", raw=None):
    """A safetensors file written by hand: raw header bytes, or the JSON of a header dict."""
    hb = raw if raw is not None else json.dumps(header).encode()
    return struct.pack("<Q", len(hb)) + hb + data


def _write(tmp_path, blob, name="x.safetensors"):
    p = tmp_path / name
    p.write_bytes(blob)
    return p


# ----------------------------------------------------------------------------------------------
# safetensors: round trips
# ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES)
def test_safetensors_roundtrip_every_dtype(tmp_path, dtype):
    d = {f"t{i}": _values(dtype, s, i) for i, s in enumerate(SHAPES)}
    p = tmp_path / "m.safetensors"
    ember.save_safetensors(d, p)
    out = ember.load_safetensors(p)
    assert set(out) == set(d)
    for k in d:
        _same(out[k], d[k])
        assert out[k].device == ember.device("cpu") and not out[k].requires_grad
    # the loaded tensors own their memory: nothing aliases the file or each other
    out["t0"].zero_()
    _same(ember.load_safetensors(p)["t0"], d["t0"])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(spec=st.dictionaries(st.text(min_size=0, max_size=8),
                            st.tuples(st.sampled_from(DTYPES),
                                      st.lists(st.integers(0, 4), max_size=3).map(tuple)),
                            max_size=5),
       metadata=st.none() | st.dictionaries(st.text(max_size=6), st.text(max_size=6), max_size=3))
def test_safetensors_roundtrip_property(tmp_path, spec, metadata):
    d = {k: _values(dt, shape, i) for i, (k, (dt, shape)) in enumerate(spec.items())}
    p = tmp_path / "h.safetensors"
    ember.save_safetensors(d, p, metadata=metadata)
    with open(p, "rb") as fh:
        n = struct.unpack("<Q", fh.read(8))[0]
    assert n % 8 == 0  # the header is padded to 8 bytes, as the reference pads it
    out = ember.load_safetensors(p)
    assert set(out) == set(d)
    for k in d:
        _same(out[k], d[k])
    assert load_metadata(p) == metadata


def test_safetensors_file_order_and_metadata(tmp_path):
    d = {"b": ember.ones(2), "a": ember.zeros(3, dtype=ember.int8), "c": ember.ones(1, dtype=ember.float64)}
    p = tmp_path / "o.safetensors"
    ember.save_safetensors(d, p, metadata={"format": "pt", "ü": '"quoted"'})
    # largest dtype first, then by name (the reference layout); loading follows the file's order
    assert list(ember.load_safetensors(p)) == ["c", "b", "a"]
    assert load_metadata(p) == {"format": "pt", "ü": '"quoted"'}
    ember.save_safetensors(d, p)
    assert load_metadata(p) is None


def test_safetensors_requires_grad_and_views_save_their_values(tmp_path):
    w = ember.randn(3, 4, requires_grad=True)
    base = ember.arange(12.)
    d = {"w": w, "lo": base[:6], "hi": base[6:], "row": ember.arange(6).reshape(2, 3)[1]}
    p = tmp_path / "v.safetensors"
    ember.save_safetensors(d, p)  # disjoint pieces of one storage are fine, as in the reference
    out = ember.load_safetensors(p)
    _same(out["w"], w.detach())
    _same(out["lo"], base[:6])
    _same(out["hi"], base[6:])
    _same(out["row"], ember.tensor([3, 4, 5]))


def test_safetensors_bool_bytes_are_normalised(tmp_path):
    blob = _file({"b": {"dtype": "BOOL", "shape": [3], "data_offsets": [0, 3]}}, b"\x00\x02\x01")
    out = ember.load_safetensors(_write(tmp_path, blob))["b"]
    assert out.tolist() == [False, True, True]


def test_safetensors_save_is_atomic(tmp_path, monkeypatch):
    p = tmp_path / "a.safetensors"
    ember.save_safetensors({"x": ember.ones(2)}, p)
    before = p.read_bytes()
    from ember import _safetensors

    def boom(fh, raw, items):
        fh.write(b"partial")
        raise OSError("disk full")

    monkeypatch.setattr(_safetensors, "_write", boom)
    with pytest.raises(OSError, match="disk full"):
        ember.save_safetensors({"x": ember.zeros(5)}, p)
    assert p.read_bytes() == before
    assert os.listdir(tmp_path) == ["a.safetensors"]  # no temporary file left behind


def test_ember_load_detects_safetensors_by_content(tmp_path):
    d = {"w": ember.randn(2, 3), "n": ember.tensor(7)}
    p = tmp_path / "weights.bin"  # not the .safetensors extension
    ember.save_safetensors(d, p)
    out = ember.load(p)
    assert isinstance(out, dict) and list(out) == ["n", "w"]  # int64 before float32, as written
    _same(out["w"], d["w"])
    _same(out["n"], d["n"])
    # a file object, and map_location as elsewhere in ember.load
    out = ember.load(io.BytesIO(p.read_bytes()), map_location={"cpu": "cpu"})
    _same(out["w"], d["w"])
    out = ember.load(str(p), map_location=lambda storage, loc: storage)
    _same(out["n"], d["n"])
    # the torch format still loads as before, and a hostile safetensors file is refused through load too
    q = tmp_path / "t.pt"
    ember.save(d, q)
    _same(ember.load(q)["w"], d["w"])
    bad = _write(tmp_path, _file({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 4]}}, b"0000"))
    with pytest.raises(SafetensorError, match="invalid shape"):
        ember.load(bad)


def test_load_safetensors_cuda_without_gpu(tmp_path):
    if ember.cuda.is_available():
        pytest.skip("a GPU is present")
    p = tmp_path / "c.safetensors"
    ember.save_safetensors({"x": ember.ones(2)}, p)
    with pytest.raises(RuntimeError):
        ember.load_safetensors(p, device="cuda")


@pytest.mark.cuda
def test_safetensors_cuda_roundtrip(tmp_path):
    d = {"x": ember.randn(3, 4).cuda(), "y": ember.arange(5).cuda()}
    p = tmp_path / "g.safetensors"
    ember.save_safetensors(d, p)
    out = ember.load_safetensors(p, device="cuda")
    for k in d:
        assert out[k].is_cuda
        _same(out[k].cpu(), d[k].cpu())
    assert ember.load_safetensors(p)["x"].is_cpu


# ----------------------------------------------------------------------------------------------
# safetensors: interop with the reference implementation
# ----------------------------------------------------------------------------------------------
@needs_safetensors
def test_ember_files_load_in_reference(tmp_path):
    d = {f"{dt}_{i}": _values(dt, s, i) for dt in DTYPES for i, s in enumerate(SHAPES[:3])}
    p = tmp_path / "e.safetensors"
    ember.save_safetensors(d, p, metadata={"k": "v"})
    # byte for byte what the reference writes for the same tensors
    assert p.read_bytes() == sf_torch.save({k: _to_torch(v) for k, v in d.items()}, metadata={"k": "v"})
    ref = sf_torch.load_file(str(p))
    for k, v in d.items():
        _close_exact(v, ref[k])
    ref_np = sf_numpy.load_file(str(p))
    for k, v in d.items():
        if v.dtype != ember.bfloat16:
            np.testing.assert_array_equal(ref_np[k], v.numpy())
            assert ref_np[k].dtype == v.numpy().dtype
    with safetensors.safe_open(str(p), framework="np") as f:
        assert f.metadata() == {"k": "v"}


@needs_safetensors
def test_reference_files_load_in_ember(tmp_path):
    d = {f"{dt}_{i}": _to_torch(_values(dt, s, i)) for dt in DTYPES for i, s in enumerate(SHAPES[:3])}
    p = tmp_path / "r.safetensors"
    sf_torch.save_file(d, str(p), metadata={"format": "pt"})
    out = ember.load_safetensors(p)
    assert set(out) == set(d)
    for k, v in d.items():
        _close_exact(out[k], v)
    assert load_metadata(p) == {"format": "pt"}
    q = tmp_path / "n.safetensors"
    sf_numpy.save_file({"a": np.arange(6, dtype=np.int16).reshape(2, 3), "b": np.full((), 2.5, np.float32)}, str(q))
    out = ember.load(q)
    assert out["a"].dtype == ember.int16 and out["a"].tolist() == [[0, 1, 2], [3, 4, 5]]
    assert out["b"].shape == () and out["b"].item() == 2.5


@needs_safetensors
def test_shared_tensors_refused_like_reference(tmp_path):
    a, ta = ember.arange(6.), torch.arange(6.)
    cases = [({"a": a, "b": a[2:]}, {"a": ta, "b": ta[2:]}),
             ({"a": a, "b": a}, {"a": ta, "b": ta}),
             ({"a": a, "b": a.detach()}, {"a": ta, "b": ta.detach()})]
    for ed, td in cases:
        with pytest.raises(RuntimeError) as te:
            sf_torch.save_file(td, str(tmp_path / "t.safetensors"))
        with pytest.raises(RuntimeError) as ee:
            ember.save_safetensors(ed, tmp_path / "e.safetensors")
        assert str(ee.value).replace("{'b', 'a'}", "{'a', 'b'}") == \
            str(te.value).replace("{'b', 'a'}", "{'a', 'b'}")
        assert "'a'" in str(ee.value) and "'b'" in str(ee.value)
    assert not (tmp_path / "e.safetensors").exists()
    # disjoint slices of one storage are accepted by both
    sf_torch.save_file({"a": ta[:3], "b": ta[3:]}, str(tmp_path / "t.safetensors"))
    ember.save_safetensors({"a": a[:3], "b": a[3:]}, tmp_path / "e.safetensors")


@needs_safetensors
def test_save_argument_errors_like_reference(tmp_path):
    p = str(tmp_path / "x.safetensors")
    t2 = torch.ones(2, 3)
    e2 = ember.ones(2, 3)
    raises_like(lambda: sf_torch.save_file({"a": t2.t()}, p), lambda: ember.save_safetensors({"a": e2.t()}, p))
    raises_like(lambda: sf_torch.save_file([t2], p), lambda: ember.save_safetensors([e2], p))
    raises_like(lambda: sf_torch.save_file({"a": [1]}, p), lambda: ember.save_safetensors({"a": [1]}, p))
    raises_like(lambda: sf_torch.save_file({1: t2}, p), lambda: ember.save_safetensors({1: e2}, p))
    raises_like(lambda: sf_torch.save_file({"a": t2}, p, metadata={"k": 1}),
                lambda: ember.save_safetensors({"a": e2}, p, metadata={"k": 1}))
    with pytest.raises(ValueError, match="reserved"):
        ember.save_safetensors({"__metadata__": e2}, p)
    with pytest.raises(ValueError, match="complex128"):
        ember.save_safetensors({"a": ember.ones(2, dtype=ember.complex128)}, p)


# ----------------------------------------------------------------------------------------------
# safetensors: malformed and hostile headers
# ----------------------------------------------------------------------------------------------
F32 = {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}


def _hdr_raw(raw, data=b""):
    return struct.pack("<Q", len(raw)) + raw + data


HOSTILE = [
    # (id, file bytes, message pattern, whether the reference rejects it too)
    ("short-file", b"\x01\x00", "header too small", True),
    ("header-over-cap", struct.pack("<Q", 200_000_000) + b"{}", "header too large", True),
    ("header-2**64-1", struct.pack("<Q", 2 ** 64 - 1) + b"{}", "header too large", True),
    ("header-longer-than-file", struct.pack("<Q", 100) + b"{}", "invalid header length", True),
    ("not-utf8", _hdr_raw(b"{\"\xff\xfe\": 1}"), "invalid UTF-8", True),
    ("not-json", _hdr_raw(b'{"a":'), "invalid JSON", True),
    ("trailing-garbage", _hdr_raw(b"{}\x00"), "invalid JSON", True),
    ("nan", _hdr_raw(b'{"__metadata__": {"k": NaN}}'), "NaN", True),
    ("deep-nesting", _hdr_raw(b"[" * 100000 + b"]" * 100000), "invalid JSON|must be a JSON object", True),
    ("not-a-dict", _file([1, 2]), "must be a JSON object", True),
    ("string-header", _file("abc"), "must be a JSON object", True),
    ("entry-not-dict", _file({"a": 5}, b"0000"), "expected an object", True),
    ("missing-offsets", _file({"a": {"dtype": "F32", "shape": [1]}}, b"0000"), "missing field `data_offsets`", True),
    ("missing-dtype", _file({"a": {"shape": [1], "data_offsets": [0, 4]}}, b"0000"), "missing field `dtype`", True),
    ("unknown-dtype", _file({"a": dict(F32, dtype="X9")}, b"0000"), "unknown dtype 'X9'", True),
    ("dtype-not-str", _file({"a": dict(F32, dtype=3)}, b"0000"), "unknown dtype 3", True),
    ("size-mismatch", _file({"a": dict(F32, shape=[2])}, b"0000"), "invalid shape, data type, or offset", True),
    ("size-mismatch-empty", _file({"a": dict(F32, shape=[0, 3])}, b"0000"), "invalid shape", True),
    ("negative-dim", _file({"a": dict(F32, shape=[-1])}, b"0000"), "non-negative", True),
    ("float-dim", _file({"a": dict(F32, shape=[1.0])}, b"0000"), "non-negative integers", True),
    ("bool-dim", _file({"a": dict(F32, shape=[True])}, b"0000"), "non-negative integers", True),
    ("shape-not-list", _file({"a": dict(F32, shape=4)}, b"0000"), "shape must be a list", True),
    ("offsets-one-value", _file({"a": dict(F32, data_offsets=[0])}, b"0000"), "two non-negative", True),
    ("offsets-negative", _file({"a": dict(F32, data_offsets=[-4, 0])}, b"0000"), "two non-negative", True),
    ("offsets-reversed", _file({"a": dict(F32, data_offsets=[4, 0])}, b"0000"), "invalid offset for tensor `a`", True),
    ("overlap", _file({"a": F32, "b": dict(F32, data_offsets=[2, 6])}, b"0" * 6),
     "invalid offset for tensor `b`.*overlaps", True),
    ("same-range", _file({"a": F32, "b": F32}, b"0" * 4), "invalid offset for tensor `b`.*overlaps", True),
    ("gap", _file({"a": F32, "b": dict(F32, data_offsets=[8, 12])}, b"0" * 12),
     "invalid offset for tensor `b`.*gap", True),
    ("not-from-zero", _file({"a": dict(F32, data_offsets=[4, 8])}, b"0" * 8), "invalid offset for tensor `a`", True),
    ("beyond-buffer", _file({"a": dict(F32, shape=[2], data_offsets=[0, 8])}, b"0" * 4), "data buffer, which has only",
     True),
    ("huge-shape", _file({"a": dict(F32, shape=[2 ** 40, 2 ** 40], data_offsets=[0, 2 ** 82])}, b"0" * 4),
     "data buffer, which has only", True),
    ("buffer-not-covered", _file({"a": F32}, b"0" * 12), "not fully covered", True),
    ("duplicate-key", _hdr_raw(b'{"a":' + json.dumps(F32).encode() + b',"a":' + json.dumps(F32).encode() + b"}",
                               b"0000"), "duplicate key 'a'", False),
    ("metadata-int-value", _file({"__metadata__": {"k": 1}}), "must be a string", True),
    ("metadata-list", _file({"__metadata__": ["k"]}), "__metadata__ must be an object", True),
    ("unsupported-dtype", _file({"a": {"dtype": "U16", "shape": [2], "data_offsets": [0, 4]}}, b"0000"),
     "dtype U16, which ember cannot load", False),
]


@pytest.mark.parametrize("blob,pattern,ref_rejects", [c[1:] for c in HOSTILE], ids=[c[0] for c in HOSTILE])
def test_hostile_header_rejected(tmp_path, blob, pattern, ref_rejects):
    p = _write(tmp_path, blob)
    with pytest.raises(SafetensorError, match=pattern) as e:
        ember.load_safetensors(p)
    assert isinstance(e.value, ValueError)
    if ref_rejects and sf_numpy is not None:
        with pytest.raises(Exception):
            sf_numpy.load_file(str(p))


def test_hostile_header_through_ember_load(tmp_path):
    # a safetensors-shaped file is recognised and validated; anything else is not taken for one
    for blob, pattern in [(_file({"a": F32, "b": dict(F32, data_offsets=[2, 6])}, b"0" * 6), "overlaps"),
                          (_file({"__metadata__": {"k": 1}}), "must be a string"),
                          (_file({"a": dict(F32, shape=[-1])}, b"0000"), "non-negative")]:
        with pytest.raises(SafetensorError, match=pattern):
            ember.load(io.BytesIO(blob))
    with pytest.raises(Exception) as e:
        ember.load(io.BytesIO(struct.pack("<Q", 100) + b"{}"))
    assert not isinstance(e.value, SafetensorError)


def test_empty_and_padded_headers_are_valid(tmp_path):
    assert ember.load_safetensors(_write(tmp_path, _hdr_raw(b"{}"))) == {}
    assert ember.load_safetensors(_write(tmp_path, _hdr_raw(b"{}      "))) == {}
    out = ember.load_safetensors(_write(tmp_path, _file({"a": dict(F32, extra=1)}, struct.pack("<f", 1.5))))
    assert out["a"].tolist() == [1.5]  # unknown fields are ignored, as by the reference


# ----------------------------------------------------------------------------------------------
# DLPack
# ----------------------------------------------------------------------------------------------
DL_DTYPES = [d for d in DTYPES if d != "bfloat16"]


def test_dlpack_numpy_zero_copy_both_ways():
    t = ember.zeros(2, 3)
    a = np.from_dlpack(t)
    assert np.shares_memory(a, t.numpy())
    a[0, 1] = 5
    assert t[0, 1].item() == 5
    t.add_(1)
    assert a[1, 2] == 1 and a[0, 1] == 6
    # and a NumPy array into ember
    x = np.zeros(4, np.float32)
    e = ember.from_dlpack(x)
    assert e.dtype == ember.float32 and np.shares_memory(e.numpy(), x)
    e[2] = 3
    assert x[2] == 3
    x[0] = -1
    assert e[0].item() == -1
    # a strided view travels as a view
    v = ember.arange(12.).reshape(3, 4).t()
    av = np.from_dlpack(v)
    assert av.strides == v.numpy().strides and np.shares_memory(av, v.numpy())


@needs_torch
def test_dlpack_torch_zero_copy_both_ways():
    t = ember.zeros(2, 3)
    tt = torch.from_dlpack(t)
    tt[0, 1] = 5
    assert t[0, 1].item() == 5
    t.mul_(2).add_(1)
    assert tt[0, 1].item() == 11 and tt[1, 1].item() == 1
    x = torch.zeros(4)
    e = ember.from_dlpack(x)
    e[1] = 7
    assert x[1].item() == 7
    x.add_(1)
    assert e.tolist() == [1, 8, 1, 1]
    # legacy capsules (torch.utils.dlpack.to_dlpack, ndarray.__dlpack__()) work too, writable as in torch
    y = torch.zeros(3)
    ey = ember.from_dlpack(torch.utils.dlpack.to_dlpack(y))
    ey[2] = 4
    assert y[2].item() == 4
    z = np.zeros(2)
    ez = ember.from_dlpack(z.__dlpack__())
    ez[0] = 9
    assert z[0] == 9


@needs_torch
@pytest.mark.parametrize("dtype", DL_DTYPES)
def test_dlpack_dtypes(dtype):
    e = _values(dtype, (2, 3))
    t = torch.from_dlpack(e)
    _close_exact(e, t)
    back = ember.from_dlpack(t)
    _same(back, e)
    _same(ember.from_dlpack(np.from_dlpack(e)), e)
    s = _values(dtype, ())
    _same(ember.from_dlpack(torch.from_dlpack(s)), s)


@needs_torch
def test_dlpack_errors_like_torch():
    raises_like(lambda: torch.ones(2, requires_grad=True).__dlpack__(),
                lambda: ember.ones(2, requires_grad=True).__dlpack__())
    raises_like(lambda: torch.from_dlpack(torch.ones(2, requires_grad=True)),
                lambda: ember.from_dlpack(ember.ones(2, requires_grad=True)))
    raises_like(lambda: np.from_dlpack(torch.ones(2, requires_grad=True)),
                lambda: np.from_dlpack(ember.ones(2, requires_grad=True)))
    raises_like(lambda: torch.ones(2).__dlpack__(stream=3), lambda: ember.ones(2).__dlpack__(stream=3))
    raises_like(lambda: torch.ones(2).__dlpack__(stream="s"), lambda: ember.ones(2).__dlpack__(stream="s"))
    tc = torch.utils.dlpack.to_dlpack(torch.ones(2))
    torch.from_dlpack(tc)
    ec = torch.utils.dlpack.to_dlpack(torch.ones(2))
    ember.from_dlpack(ec)
    raises_like(lambda: torch.from_dlpack(tc), lambda: ember.from_dlpack(ec))  # a capsule is consumed once
    assert ember.ones(2).__dlpack_device__() == torch.ones(2).__dlpack_device__() == (DLDeviceType.kDLCPU, 0)
    with pytest.raises(BufferError, match="bfloat16"):
        ember.ones(2, dtype=ember.bfloat16).__dlpack__()
    with pytest.raises(TypeError, match="__dlpack__"):
        ember.from_dlpack([1, 2])
    # the detached tensor exports fine
    w = ember.ones(2, requires_grad=True)
    assert torch.from_dlpack(w.detach()).tolist() == [1.0, 1.0]


def test_dlpack_capsule_kwargs():
    t = ember.arange(4.)
    cap = t.__dlpack__(max_version=(1, 0))
    assert "dltensor_versioned" in repr(cap)
    cap = t.__dlpack__()
    assert '"dltensor"' in repr(cap)
    c = np.from_dlpack(t, copy=True)
    c[0] = 100
    assert t[0].item() == 0


@pytest.mark.cuda
def test_dlpack_cupy_zero_copy_both_ways():
    import cupy
    t = ember.zeros(2, 3, device="cuda")
    c = cupy.from_dlpack(t)
    c[0, 1] = 5
    assert t[0, 1].item() == 5
    x = cupy.zeros(3, dtype=cupy.float32)
    e = ember.from_dlpack(x)
    assert e.is_cuda
    e[1] = 2
    assert float(x[1]) == 2
    assert t.__dlpack_device__() == (DLDeviceType.kDLCUDA, t.device.index or 0)
    if torch is not None and torch.cuda.is_available():
        tt = torch.from_dlpack(t)
        tt[1, 1] = 3
        assert t[1, 1].item() == 3


# ----------------------------------------------------------------------------------------------
# NumPy
# ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES)
def test_numpy_views_share_memory(dtype):
    t = _values(dtype, (2, 3))
    a = np.asarray(t)
    n = t.numpy()
    assert a.dtype == n.dtype == t.dtype.np and a.shape == (2, 3)
    assert np.shares_memory(a, t._data) and np.shares_memory(n, t._data)
    t.zero_()
    assert not a.any() and not n.any()
    a[...] = n.dtype.type(1)
    assert t.tolist()[0][0] in (1, True)
    f = ember.from_numpy(n)
    assert np.shares_memory(f.numpy(), n)
    s = np.asarray(ember.tensor(3.5))
    assert s.shape == () and s.dtype == np.float32


@needs_torch
def test_numpy_asarray_like_torch():
    assert ember.Tensor.__array_priority__ == torch.Tensor.__array_priority__
    raises_like(lambda: np.asarray(torch.ones(2, requires_grad=True)),
                lambda: np.asarray(ember.ones(2, requires_grad=True)))
    raises_like(lambda: np.add(np.ones(2), torch.ones(2, requires_grad=True)),
                lambda: np.add(np.ones(2), ember.ones(2, requires_grad=True)))
    a = np.asarray(ember.ones(2), dtype=np.float64)
    assert a.dtype == np.float64 and a.tolist() == [1.0, 1.0]
    c = np.array(ember.ones(2), copy=True)
    assert not np.shares_memory(c, np.asarray(ember.ones(2)))
    with pytest.raises(ValueError):
        np.asarray(ember.ones(2), dtype=np.float64, copy=False)


@needs_torch
@pytest.mark.parametrize("op", ["add", "sub", "mul", "truediv", "pow", "lt", "eq", "ge"])
@pytest.mark.parametrize("dt", [np.float64, np.float32, np.int64, np.int32])
def test_ndarray_op_tensor_defers_to_tensor(op, dt):
    import operator
    f = getattr(operator, op)
    a = (np.arange(1, 7).reshape(2, 3) % 4 + 1).astype(dt)
    e, t = ember.tensor([[1.0, 2.0, 3.0]]), torch.tensor([[1.0, 2.0, 3.0]])
    r = f(a, e)  # ndarray.__op__ returns NotImplemented (priority 1000), so Tensor.__rop__ runs
    assert isinstance(r, ember.Tensor)
    # torch's own ndarray-on-the-left path raises; its answer with the ndarray as a tensor is the spec
    assert_close(r, f(torch.from_numpy(a), t))


@needs_torch
def test_numpy_scalars_and_ufuncs_like_torch():
    e, t = ember.tensor([0.5, 2.0]), torch.tensor([0.5, 2.0])
    for s in (np.float64(2.0), np.float32(2.0), np.int64(3)):
        assert_close(s + e, s + t)
        assert_close(s * e, s * t)
    a = np.array([1.0, 3.0])
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # torch's __array_wrap__ has numpy 1's signature
        for ufunc, args_e, args_t in [(np.add, (a, e), (a, t)), (np.sin, (e,), (t,)), (np.greater, (a, e), (a, t)),
                                      (np.multiply, (e, e), (t, t))]:
            r, rt = ufunc(*args_e), ufunc(*args_t)
            assert isinstance(r, ember.Tensor)
            assert_close(r, rt)  # values and dtype (bool results come back as uint8, as in torch)
        raises_like(lambda: np.sum(t), lambda: np.sum(e))
