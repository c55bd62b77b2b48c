"""ember.save / ember.load: torch's zip format both ways, safe loading, atomic writes, map_location."""
import collections
import copy
import io
import multiprocessing
import os
import pickle
import zipfile

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import ember
from ember import serialization as S
from ember._tensor import wrap
from tests.helpers import needs_torch, raises_like, torch

ALL_DTYPES = ["float32", "float64", "float16", "bfloat16", "int8", "uint8", "int16", "int32", "int64", "bool",
              "complex64"]
if not ember._dtype.HAS_BFLOAT16:  # bfloat16 needs ml_dtypes (in the test extra)
    ALL_DTYPES.remove("bfloat16")


def _np_values(name, shape, seed=0):
    rng = np.random.default_rng(seed)
    if name == "bool":
        return rng.random(shape) > 0.5
    if name.startswith("complex"):
        return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(name)
    if name in ("float32", "float64", "float16"):
        return rng.standard_normal(shape).astype(name)
    if name == "bfloat16":
        return rng.standard_normal(shape).astype(np.float32)
    return rng.integers(0, 100, shape).astype(name)


def _ember(name, shape, seed=0):
    arr = _np_values(name, shape, seed)
    return ember.tensor(arr, dtype=getattr(ember, name))


def _same_tensor(e, t, offset=None):
    """ember tensor e equals torch tensor t: dtype, shape, stride, offset and exact values."""
    assert str(e.dtype).split(".")[-1] == str(t.dtype).split(".")[-1]
    assert tuple(e.shape) == tuple(t.shape)
    if t.numel():  # ember reports numpy's strides for empty arrays (0); not a serialization matter
        assert e.stride() == t.stride(), (e.stride(), t.stride())
        assert (e.storage_offset() if offset is None else offset) == t.storage_offset()
    assert e.requires_grad == t.requires_grad
    ev = e.detach().float().numpy() if e.dtype is ember.bfloat16 else e.detach().numpy()
    tv = t.detach().float().numpy() if t.dtype is torch.bfloat16 else t.detach().numpy()
    np.testing.assert_array_equal(ev, tv)


def _bytes(obj, **kw):
    b = io.BytesIO()
    ember.save(obj, b, **kw)
    return b.getvalue()


# ---------------------------------------------------------------------------------------------
# byte-for-byte torch's format
# ---------------------------------------------------------------------------------------------
@needs_torch
@pytest.mark.parametrize("where", ["buffer", "path"])
def test_file_is_byte_identical_to_torch_save(tmp_path, monkeypatch, where):
    a = ember.arange(6.).reshape(2, 3)
    ta = torch.arange(6.).reshape(2, 3)
    e_obj = collections.OrderedDict(a=a, b=a.t(), c=ember.tensor(3, dtype=ember.int8), n=[1, 2.5, None, "x", (True,)],
                                    big=2 ** 40, e=ember.zeros(0), h=ember.ones(3, dtype=ember.bfloat16))
    t_obj = collections.OrderedDict(a=ta, b=ta.t(), c=torch.tensor(3, dtype=torch.int8), n=[1, 2.5, None, "x", (True,)],
                                    big=2 ** 40, e=torch.zeros(0), h=torch.ones(3, dtype=torch.bfloat16))
    if where == "buffer":
        tb = io.BytesIO()
        torch.save(t_obj, tb)
        t_bytes = tb.getvalue()
    else:
        (tmp_path / "t").mkdir()
        torch.save(t_obj, tmp_path / "t" / "model.ckpt.pt")
        t_bytes = (tmp_path / "t" / "model.ckpt.pt").read_bytes()
    sid = zipfile.ZipFile(io.BytesIO(t_bytes)).read(
        ("archive" if where == "buffer" else "model.ckpt") + "/.data/serialization_id").decode()
    monkeypatch.setattr(S, "_serialization_id", lambda: sid)
    if where == "buffer":
        e_bytes = _bytes(e_obj)
    else:
        (tmp_path / "e").mkdir()
        ember.save(e_obj, tmp_path / "e" / "model.ckpt.pt")
        e_bytes = (tmp_path / "e" / "model.ckpt.pt").read_bytes()
    assert e_bytes == t_bytes


def test_archive_layout():
    z = zipfile.ZipFile(io.BytesIO(_bytes({"w": ember.ones(2), "v": ember.zeros(3, dtype=ember.int64)})))
    assert z.namelist() == ["archive/data.pkl", "archive/.format_version", "archive/.storage_alignment",
                            "archive/byteorder", "archive/data/0", "archive/data/1", "archive/version",
                            "archive/.data/serialization_id"]
    assert z.read("archive/version") == b"3\n"
    assert z.read("archive/.storage_alignment") == b"64"
    sid = z.read("archive/.data/serialization_id")
    assert len(sid) == 40 and sid.isdigit()
    for info in z.infolist():
        assert info.compress_type == zipfile.ZIP_STORED
        if "/data/" in info.filename:  # storages start on a 64-byte boundary
            raw = z.fp
            raw.seek(info.header_offset + 26)
            n, m = np.frombuffer(raw.read(4), np.uint16)
            assert (info.header_offset + 30 + n + m) % 64 == 0
    # the pickle only names globals torch's weights-only loader allows
    import pickletools
    globals_ = {arg for op, arg, _ in pickletools.genops(z.read("archive/data.pkl")) if op.name == "GLOBAL"}
    assert globals_ == {"torch._utils _rebuild_tensor_v2", "torch FloatStorage", "torch LongStorage",
                        "collections OrderedDict"}


def test_archive_name_from_path(tmp_path):
    for fname, stem in [("a.b.pt", "a.b"), ("noext", "noext"), ("x.", "x")]:
        ember.save(ember.ones(1), tmp_path / fname)
        assert zipfile.ZipFile(tmp_path / fname).namelist()[0] == f"{stem}/data.pkl"


# ---------------------------------------------------------------------------------------------
# ember.save -> torch.load
# ---------------------------------------------------------------------------------------------
@needs_torch
@pytest.mark.parametrize("name", ALL_DTYPES)
@pytest.mark.parametrize("shape", [(), (0,), (3,), (2, 3, 4), (0, 5)])
def test_ember_save_torch_load_dtypes_shapes(name, shape):
    e = _ember(name, shape)
    t = torch.load(io.BytesIO(_bytes(e)), weights_only=True)
    _same_tensor(e, t)


@needs_torch
def test_ember_save_torch_load_views_share_storage():
    base = ember.arange(24.).reshape(4, 6)
    views = {
        "base": base,
        "t": base.t(),
        "narrow": base.narrow(1, 2, 3),
        "strided": base.as_strided((2, 2), (12, 2), 3),
        "expand": base.narrow(0, 1, 1).expand(5, 6),
        "flat": base.reshape(-1),
        "row": base.select(0, 2),
    }
    other = ember.ones(2, 2)
    views["other"] = other
    t = torch.load(io.BytesIO(_bytes(views)), weights_only=True)
    for k, v in views.items():
        # Tensor.storage_offset() stops at as_strided's DummyArray and says 0; the saved offset is 3
        _same_tensor(v, t[k], offset=3 if k == "strided" else None)
    ptr = t["base"].untyped_storage().data_ptr()
    for k in views:
        if k != "other":
            assert t[k].untyped_storage().data_ptr() == ptr, k
    assert t["other"].untyped_storage().data_ptr() != ptr
    # a write through one view shows through the others, as in the original
    t["t"][0, 1] = -1.0
    assert t["base"][1, 0].item() == -1.0
    # one storage record for the seven views
    assert sum(n.startswith("archive/data/") for n in zipfile.ZipFile(io.BytesIO(_bytes(views))).namelist()) == 2


@needs_torch
def test_ember_save_negative_strides_are_copied():
    arr = np.arange(10.0, dtype=np.float32)
    e = wrap(arr[::-1])  # numpy can hold reversed views; torch cannot, so the values are saved
    t = torch.load(io.BytesIO(_bytes(e)), weights_only=True)
    np.testing.assert_array_equal(t.numpy(), arr[::-1])


@needs_torch
def test_ember_save_same_storage_different_dtypes_is_an_error():
    a = ember.zeros(4)
    b = wrap(a._data.view(np.int32))
    raises_like(_torch_view_dtype_save, lambda: ember.save([a, b], io.BytesIO()))


def _torch_view_dtype_save():
    a = torch.zeros(4)
    torch.save([a, a.view(torch.int32)], io.BytesIO())


@needs_torch
def test_ember_save_requires_grad_and_objects():
    w = ember.randn(3, 2, requires_grad=True)
    obj = {"w": w, "dtype": ember.float16, "shape": w.shape, "dev": ember.device("cpu"), "b": b"\x00\xffab",
           "s": {1, 2}, "c": 1 + 2j, "nested": {"l": [w, (w, None)], "f": 1e-300}}
    t = torch.load(io.BytesIO(_bytes(obj)), weights_only=True)
    _same_tensor(w, t["w"])
    assert t["w"].requires_grad and t["w"].is_leaf
    assert t["dtype"] is torch.float16
    assert type(t["shape"]) is torch.Size and t["shape"] == torch.Size([3, 2])
    assert t["dev"] == torch.device("cpu")
    assert t["b"] == b"\x00\xffab" and t["s"] == {1, 2} and t["c"] == 1 + 2j
    assert t["nested"]["l"][0] is t["w"] and t["nested"]["l"][1][0] is t["w"]  # pickle memo: same object
    assert t["nested"]["f"] == 1e-300


@needs_torch
def test_parameters_round_trip_with_torch():
    P = ember.nn.Parameter if hasattr(ember, "nn") and hasattr(ember.nn, "Parameter") else None
    if P is None:
        from ember.nn.parameter import Parameter as P
    p = P(ember.randn(2, 3))
    frozen = P(ember.ones(2), requires_grad=False)
    t = torch.load(io.BytesIO(_bytes({"p": p, "frozen": frozen})), weights_only=True)
    assert type(t["p"]) is torch.nn.Parameter and t["p"].requires_grad
    assert type(t["frozen"]) is torch.nn.Parameter and not t["frozen"].requires_grad
    np.testing.assert_array_equal(t["p"].detach().numpy(), p.detach().numpy())
    b = io.BytesIO()
    torch.save({"p": t["p"], "frozen": t["frozen"]}, b)
    e = ember.load(io.BytesIO(b.getvalue()))
    assert type(e["p"]) is P and e["p"].requires_grad and not e["frozen"].requires_grad
    np.testing.assert_array_equal(e["p"].detach().numpy(), p.detach().numpy())
    # Python attributes on a Parameter travel as torch's _rebuild_parameter_with_state
    p.tag = "encoder"
    t = torch.load(io.BytesIO(_bytes(p)), weights_only=True)
    assert type(t) is torch.nn.Parameter and t.tag == "encoder"
    b = io.BytesIO()
    torch.save(t, b)
    assert ember.load(io.BytesIO(b.getvalue())).tag == "encoder"
    # a torch tensor with attributes is saved through _rebuild_from_type_v2
    x = torch.arange(3.)
    x.tag = "hi"
    b = io.BytesIO()
    torch.save(x, b)
    assert "_rebuild_from_type_v2" in str(zipfile.ZipFile(b).read("archive/data.pkl"))
    assert ember.load(io.BytesIO(b.getvalue())).tolist() == [0.0, 1.0, 2.0]


# ---------------------------------------------------------------------------------------------
# torch.save -> ember.load
# ---------------------------------------------------------------------------------------------
@needs_torch
@pytest.mark.parametrize("name", ALL_DTYPES)
def test_torch_save_ember_load_dtypes(name):
    arr = _np_values(name, (3, 4), seed=1)
    t = torch.tensor(arr, dtype=getattr(torch, name))
    views = {"t": t, "tt": t.t(), "s": t[1:, ::2], "zero_d": t[2, 3], "empty": t[3:], "e": t.new_empty((0, 2))}
    b = io.BytesIO()
    torch.save(views, b)
    e = ember.load(io.BytesIO(b.getvalue()))
    for k in views:
        _same_tensor(e[k], views[k])
    for k in ("tt", "s", "zero_d"):
        assert np.shares_memory(e[k]._data, e["t"]._data)


@needs_torch
def test_torch_save_ember_load_storage_sharing_is_live():
    t = torch.arange(12.).reshape(3, 4)
    b = io.BytesIO()
    torch.save([t, t[:, 1], t.view(-1)], b)
    base, col, flat = ember.load(io.BytesIO(b.getvalue()))
    base._data[0, 1] = 100.0
    assert col[0].item() == 100.0 and flat[1].item() == 100.0
    assert base._vc is col._vc is flat._vc  # one version counter per storage, as views share one


@needs_torch
def test_torch_save_ember_load_checkpoint():
    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    model(torch.randn(5, 3)).sum().backward()
    opt.step()
    ckpt = {"model": model.state_dict(), "optim": opt.state_dict(), "epoch": 3, "best": 0.25, "name": "run",
            "rng": torch.get_rng_state(), "dtype": torch.float64, "shape": torch.Size([2, 3])}
    b = io.BytesIO()
    torch.save(ckpt, b)
    e = ember.load(io.BytesIO(b.getvalue()))
    assert type(e["model"]) is collections.OrderedDict
    assert list(e["model"]) == list(ckpt["model"])
    assert hasattr(e["model"], "_metadata")  # state_dict metadata survives (BUILD on OrderedDict)
    for k, v in ckpt["model"].items():
        _same_tensor(e["model"][k], v)
    st = e["optim"]["state"][0]
    _same_tensor(st["exp_avg"], ckpt["optim"]["state"][0]["exp_avg"])
    _same_tensor(st["step"], ckpt["optim"]["state"][0]["step"])
    g = e["optim"]["param_groups"][0]
    assert g["betas"] == (0.9, 0.999) and g["lr"] == 1e-3 and g["amsgrad"] is False and g["params"] == [0, 1, 2, 3]
    assert e["epoch"] == 3 and e["best"] == 0.25 and e["name"] == "run"
    assert e["dtype"] is ember.float64 and type(e["shape"]) is ember.Size and e["shape"] == (2, 3)
    _same_tensor(e["rng"], ckpt["rng"])


@needs_torch
def test_torch_legacy_format_both_ways():
    t = torch.arange(12.).reshape(3, 4)
    b = io.BytesIO()
    torch.save({"a": t, "b": t[1:, ::2], "i": torch.tensor([1, 2], dtype=torch.int16)}, b,
               _use_new_zipfile_serialization=False)
    e = ember.load(io.BytesIO(b.getvalue()))
    _same_tensor(e["a"], t)
    _same_tensor(e["b"], t[1:, ::2])
    assert np.shares_memory(e["a"]._data, e["b"]._data)
    assert e["i"].dtype is ember.int16
    a = ember.arange(12.).reshape(3, 4)
    b = io.BytesIO()
    ember.save({"a": a, "b": a.t(), "c": ember.ones(2, dtype=ember.int8)}, b, _use_new_zipfile_serialization=False)
    r = torch.load(io.BytesIO(b.getvalue()), weights_only=True)
    _same_tensor(a, r["a"])
    _same_tensor(a.t(), r["b"])
    assert r["a"].untyped_storage().data_ptr() == r["b"].untyped_storage().data_ptr()
    assert ember.load(io.BytesIO(b.getvalue()))["c"].dtype is ember.int8


# ---------------------------------------------------------------------------------------------
# ember round trips
# ---------------------------------------------------------------------------------------------
def test_round_trip_nested_checkpoint(tmp_path):
    w = ember.randn(4, 3, requires_grad=True)
    sd = collections.OrderedDict([("layer.weight", w.detach()), ("layer.bias", ember.zeros(4)),
                                  ("bn.num_batches_tracked", ember.tensor(7))])
    sd._metadata = collections.OrderedDict([("", {"version": 1})])
    ckpt = {"model": sd,
            "optim": {"state": {0: {"step": ember.tensor(3.0), "exp_avg": ember.ones(4, 3)}, 1: {}},
                      "param_groups": [{"lr": 0.1, "betas": (0.9, 0.999), "eps": 1e-8, "params": [0, 1],
                                        "amsgrad": False, "foreach": None, "name": "é"}]},
            "epoch": 10, "grad": w, "ok": True, "ratio": float("inf"), "dt": ember.bfloat16,
            "shape": w.shape, "dev": ember.device("cpu")}
    ember.save(ckpt, tmp_path / "ckpt.pt")
    r = ember.load(tmp_path / "ckpt.pt")
    assert type(r["model"]) is collections.OrderedDict and r["model"]._metadata == {"": {"version": 1}}
    for k in sd:
        np.testing.assert_array_equal(r["model"][k].numpy(), sd[k].numpy())
        assert r["model"][k].dtype is sd[k].dtype
    assert r["optim"]["param_groups"][0] == ckpt["optim"]["param_groups"][0]
    assert r["optim"]["state"][1] == {} and r["optim"]["state"][0]["step"].item() == 3.0
    assert r["grad"].requires_grad and r["grad"].is_leaf
    assert r["epoch"] == 10 and r["ok"] is True and r["ratio"] == float("inf")
    assert r["dt"] is ember.bfloat16 and r["shape"] == ember.Size([4, 3]) and type(r["shape"]) is ember.Size
    assert r["dev"] == ember.device("cpu")


@settings(max_examples=30, deadline=None)
@given(name=st.sampled_from(ALL_DTYPES), shape=st.lists(st.integers(0, 4), min_size=0, max_size=3),
       seed=st.integers(0, 10 ** 6), transpose=st.booleans())
def test_round_trip_property(name, shape, seed, transpose):
    e = _ember(name, tuple(shape), seed)
    if transpose and e.dim() >= 2:
        e = e.transpose(0, 1)
    r = ember.load(io.BytesIO(_bytes([e, e])))
    assert r[0] is r[1]
    assert r[0].dtype is e.dtype and r[0].shape == e.shape
    assert r[0].stride() == e.stride() or e.numel() == 0
    np.testing.assert_array_equal(r[0].numpy(), e.numpy())
    if torch is not None:
        _same_tensor(e, torch.load(io.BytesIO(_bytes(e)), weights_only=True))


def test_file_objects(tmp_path):
    a = ember.randn(3, 3)
    with open(tmp_path / "f.pt", "wb") as fh:
        fh.write(b"")
        ember.save(a, fh)
    with open(tmp_path / "f.pt", "rb") as fh:
        np.testing.assert_array_equal(ember.load(fh).numpy(), a.numpy())
    b = io.BytesIO()
    ember.save(a, b)
    b.seek(0)
    np.testing.assert_array_equal(ember.load(b).numpy(), a.numpy())
    with pytest.raises(AttributeError, match="has no callable attribute 'write'"):
        ember.save(a, object())


def test_mmap_load(tmp_path):
    a = ember.arange(1000.)
    ember.save({"a": a, "b": a.narrow(0, 10, 5)}, tmp_path / "m.pt")
    r = ember.load(tmp_path / "m.pt", mmap=True)
    np.testing.assert_array_equal(r["a"].numpy(), a.numpy())
    assert isinstance(r["a"]._data.base, np.ndarray) and np.shares_memory(r["a"]._data, r["b"]._data)
    r["a"]._data[0] = 5  # copy-on-write: the file is untouched
    assert ember.load(tmp_path / "m.pt")["a"][0].item() == 0.0
    with pytest.raises(ValueError, match="f must be a file path"):
        ember.load(io.BytesIO(_bytes(a)), mmap=True)


@needs_torch
def test_zip64_records(monkeypatch):
    monkeypatch.setattr(S, "_ZIP64_LIMIT", 100)  # exercise the zip64 fields on a small file
    a = ember.arange(300.)
    data = _bytes({"a": a, "b": ember.ones(2)})
    assert zipfile.ZipFile(io.BytesIO(data)).testzip() is None
    np.testing.assert_array_equal(ember.load(io.BytesIO(data))["a"].numpy(), a.numpy())
    np.testing.assert_array_equal(torch.load(io.BytesIO(data), weights_only=True)["a"].numpy(), a.numpy())


# ---------------------------------------------------------------------------------------------
# plain pickling (pickle, copy, multiprocessing)
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["float32", pytest.param("bfloat16", marks=pytest.mark.skipif(
    not ember._dtype.HAS_BFLOAT16, reason="bfloat16 needs ml_dtypes")), "bool", "int64"])
def test_pickle_and_copy(name):
    e = _ember(name, (2, 3))
    if e.is_floating_point():
        e.requires_grad_(True)
    r = pickle.loads(pickle.dumps(e))
    assert r.dtype is e.dtype and r.shape == e.shape and r.requires_grad == e.requires_grad
    np.testing.assert_array_equal(r.detach().numpy().view(np.uint8), e.detach().numpy().view(np.uint8))
    c = copy.deepcopy(e)
    assert c.requires_grad == e.requires_grad and not np.shares_memory(c._data, e._data)
    s = copy.copy(e)  # like torch, a shallow copy shares the data
    assert np.shares_memory(s._data, e._data)


def _child(q, t):
    q.put(t * 2)


def test_multiprocessing_transfer():
    ctx = multiprocessing.get_context("fork")
    q = ctx.Queue()
    t = ember.arange(6.).reshape(2, 3)
    p = ctx.Process(target=_child, args=(q, t))
    p.start()
    r = q.get(timeout=20)
    p.join(20)
    np.testing.assert_array_equal(r.numpy(), (t * 2).numpy())


# ---------------------------------------------------------------------------------------------
# hostile files
# ---------------------------------------------------------------------------------------------
def _zip_with_pickle(payload):
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w") as z:
        z.writestr("archive/data.pkl", payload)
        z.writestr("archive/version", "3\n")
    return b.getvalue()


class _Evil:
    def __init__(self, cmd):
        self.cmd = cmd

    def __reduce__(self):
        return os.system, (self.cmd,)


class _EvalEvil:
    def __init__(self, code):
        self.code = code

    def __reduce__(self):
        return eval, (self.code,)


@pytest.mark.parametrize("kind", ["os.system", "eval", "in_checkpoint", "subprocess"])
@pytest.mark.parametrize("weights_only", [True, False])
def test_hostile_pickle_is_refused_and_not_run(tmp_path, kind, weights_only):
    marker = tmp_path / "pwned"
    if kind == "os.system":
        payload, name = pickle.dumps(_Evil(f"touch {marker}"), protocol=2), "posix.system"
    elif kind == "eval":
        payload, name = pickle.dumps(_EvalEvil(f"open({str(marker)!r}, 'w')"), protocol=2), "eval"
    elif kind == "in_checkpoint":
        payload = pickle.dumps({"w": [1, 2], "x": _Evil(f"touch {marker}")}, protocol=2)
        name = "posix.system"
    else:
        import subprocess
        payload = b"csubprocess\ncall\n(Vtouch\nV" + str(marker).encode() + b"\nl\x85R."
        name = "subprocess.call"
        del subprocess
    data = _zip_with_pickle(payload)
    with pytest.raises(pickle.UnpicklingError) as ei:
        ember.load(io.BytesIO(data), weights_only=weights_only)
    assert name in str(ei.value)
    assert str(ei.value).startswith("Weights only load failed.")
    assert not marker.exists()
    if torch is not None:  # torch's weights-only loader refuses it too
        with pytest.raises(pickle.UnpicklingError):
            torch.load(io.BytesIO(data), weights_only=True)
        assert not marker.exists()


def test_hostile_opcodes_are_restricted():
    # BUILD on an ember dtype singleton would otherwise rewrite it for the whole process
    payload = b"\x80\x02ctorch\nfloat32\n}X\x08\x00\x00\x00itemsizeK\x63sb."
    with pytest.raises(pickle.UnpicklingError, match="Can only build"):
        ember.load(io.BytesIO(_zip_with_pickle(payload)))
    assert ember.float32.itemsize == 4
    payload = b"\x80\x02(ctorch\nfloat32\n}X\x08\x00\x00\x00itemsizeK\x63\x86btb."
    with pytest.raises(pickle.UnpicklingError):
        ember.load(io.BytesIO(_zip_with_pickle(payload)))
    # SETITEM on something other than a dict, APPEND on something other than a list
    for payload in (b"\x80\x02ctorch\nSize\n)\x85RK\x00K\x01s.", b"\x80\x02ctorch\nSize\n)\x85RK\x00a."):
        with pytest.raises(pickle.UnpicklingError, match="Can only"):
            ember.load(io.BytesIO(_zip_with_pickle(payload)))
    # a tensor record pointing outside its storage
    good = _bytes(ember.ones(4))
    z = zipfile.ZipFile(io.BytesIO(good))
    pkl = z.read("archive/data.pkl").replace(b"K\x04\x85", b"K\x09\x85")  # size (4,) -> (9,)
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w") as out:
        for n in z.namelist():
            out.writestr(n, pkl if n.endswith("data.pkl") else z.read(n))
    with pytest.raises(RuntimeError, match="out of bounds for storage of size 16"):
        ember.load(io.BytesIO(b.getvalue()))


def test_safe_globals_allowlist():
    payload = pickle.dumps({"c": collections.namedtuple}, protocol=2)
    with pytest.raises(pickle.UnpicklingError, match="collections.namedtuple"):
        ember.load(io.BytesIO(_zip_with_pickle(payload)))
    with S.safe_globals([collections.namedtuple]):
        assert ember.load(io.BytesIO(_zip_with_pickle(payload)))["c"] is collections.namedtuple
    assert S.get_safe_globals() == []
    S.add_safe_globals([(os.system, "posix.system")])
    try:  # blocked modules stay blocked, as in torch
        with pytest.raises(pickle.UnpicklingError, match="is blocked"):
            ember.load(io.BytesIO(_zip_with_pickle(pickle.dumps(_Evil("true"), protocol=2))))
    finally:
        S.clear_safe_globals()


def test_explicit_pickle_module_with_weights_only():
    with pytest.raises(RuntimeError, match="Can not safely load weights when explicit pickle_module"):
        ember.load(io.BytesIO(_bytes(1)), pickle_module=pickle)


# ---------------------------------------------------------------------------------------------
# atomic writes
# ---------------------------------------------------------------------------------------------
def test_atomic_write_unpicklable(tmp_path):
    path = tmp_path / "ckpt.pt"
    ember.save({"w": ember.ones(3)}, path)
    before = path.read_bytes()
    with pytest.raises((pickle.PicklingError, AttributeError, TypeError)):
        ember.save({"w": ember.zeros(3), "f": lambda x: x}, path)
    assert path.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["ckpt.pt"]


def test_atomic_write_failure_mid_data(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.pt"
    ember.save({"w": ember.ones(3)}, path)
    before = path.read_bytes()

    def boom(*args):
        yield memoryview(b"\x00" * 4)
        raise OSError("disk full")

    monkeypatch.setattr(S, "_storage_chunks", boom)
    with pytest.raises(OSError, match="disk full"):
        ember.save({"w": ember.zeros(300)}, path)
    assert path.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["ckpt.pt"]
    monkeypatch.undo()
    # a fresh path that fails leaves nothing at all
    monkeypatch.setattr(S, "_storage_chunks", boom)
    with pytest.raises(OSError):
        ember.save(ember.ones(2), tmp_path / "new.pt")
    assert sorted(os.listdir(tmp_path)) == ["ckpt.pt"]


def test_atomic_write_keeps_mode_and_replaces(tmp_path):
    path = tmp_path / "ckpt.pt"
    ember.save(ember.ones(1), path)
    os.chmod(path, 0o640)
    ember.save(ember.full((2,), 7.0), path)
    assert ember.load(path).tolist() == [7.0, 7.0]
    assert os.stat(path).st_mode & 0o777 == 0o640


# ---------------------------------------------------------------------------------------------
# map_location
# ---------------------------------------------------------------------------------------------
def _cuda_tagged_file(monkeypatch):
    monkeypatch.setattr(S, "_location_tag", lambda arr: "cuda:0")
    data = _bytes({"w": ember.arange(4.).reshape(2, 2)})
    monkeypatch.undo()
    return data


@needs_torch
def test_map_location_cuda_without_cuda(monkeypatch):
    data = _cuda_tagged_file(monkeypatch)
    monkeypatch.setattr(ember.cuda, "is_available", lambda: False)
    raises_like(lambda: torch.load(io.BytesIO(data), weights_only=True), lambda: ember.load(io.BytesIO(data)))
    expect = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)["w"]
    for ml in ["cpu", ember.device("cpu"), {"cuda:0": "cpu"}, lambda s, loc: s, lambda s, loc: s.cpu()]:
        r = ember.load(io.BytesIO(data), map_location=ml)["w"]
        assert r.device == ember.device("cpu")
        _same_tensor(r, expect)


def test_map_location_cpu_files():
    data = _bytes({"w": ember.ones(2)})
    seen = []

    def spy(storage, location):
        seen.append((location, storage.nbytes(), storage.device))
        return None  # fall back to the default

    assert ember.load(io.BytesIO(data), map_location=spy)["w"].tolist() == [1.0, 1.0]
    assert seen == [("cpu", 8, ember.device("cpu"))]
    assert ember.load(io.BytesIO(data), map_location={"cuda:0": "cpu"})["w"].tolist() == [1.0, 1.0]
    with pytest.raises(RuntimeError, match="don't know how to restore data location"):
        ember.load(io.BytesIO(data), map_location="tpu")


def test_map_location_cuda_device_count(monkeypatch):
    data = _bytes({"w": ember.ones(2)})
    monkeypatch.setattr(ember.cuda, "is_available", lambda: False)
    with pytest.raises(RuntimeError, match="ember.cuda.is_available\\(\\) is False"):
        ember.load(io.BytesIO(data), map_location="cuda:0")


@pytest.mark.cuda
def test_cuda_round_trip():
    w = ember.arange(6.).reshape(2, 3).to("cuda")
    data = _bytes({"w": w, "t": w.t()})
    assert b"cuda:0" in zipfile.ZipFile(io.BytesIO(data)).read("archive/data.pkl")
    r = ember.load(io.BytesIO(data))
    assert r["w"].device == w.device and r["t"].stride() == (1, 3)
    np.testing.assert_array_equal(r["w"].cpu().numpy(), w.cpu().numpy())
    c = ember.load(io.BytesIO(data), map_location="cpu")
    assert c["w"].device == ember.device("cpu")
    g = ember.load(io.BytesIO(_bytes(ember.ones(2))), map_location="cuda")
    assert g.is_cuda


def test_load_errors(tmp_path):
    with pytest.raises(FileNotFoundError):
        ember.load(tmp_path / "missing.pt")
    (tmp_path / "junk.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(Exception):
        ember.load(tmp_path / "junk.pt")
    with pytest.raises(RuntimeError, match="invalid file name"):
        ember.save(ember.ones(1), tmp_path / ".hidden")
