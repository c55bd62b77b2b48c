"""ember.vision.datasets: IDX/CIFAR parsing, folder layouts, downloads (against a local HTTP server),
local mirrors, the restricted CIFAR unpickler, and the batched ``__getitems__`` fast path.

torchvision is not installed here: expected values come from hand-built files, torchvision's source
(messages, layouts, reprs) and, when present, Debian's Fashion-MNIST files.
"""
import functools
import gzip
import hashlib
import io
import os
import pickle
import struct
import tarfile
import threading
import zipfile
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest

import ember
import ember.vision as tv
from ember.utils.data import DataLoader, Prebatched, default_collate
from ember.vision import transforms as T
from ember.vision.datasets import (CIFAR10, CIFAR100, EMNIST, MNIST, QMNIST, DatasetFolder, FakeData,
                                   FashionMNIST, ImageFolder, KMNIST)
from ember.vision.datasets import cifar as cifar_mod
from ember.vision.datasets import mnist as mnist_mod
from ember.vision.datasets import utils as dsutils

Image = pytest.importorskip("PIL.Image")

DEBIAN_FASHION = "/usr/share/datasets/fashion-mnist"
_IDX_DT = {8: "u1", 9: "i1", 11: ">i2", 12: ">i4", 13: ">f4", 14: ">f8"}


# ============================================================================ helpers
def idx_bytes(arr, code):
    arr = np.asarray(arr)
    return (bytes([0, 0, code, arr.ndim]) + np.array(arr.shape, ">u4").tobytes()
            + arr.astype(_IDX_DT[code]).tobytes())


def md5(b):
    return hashlib.md5(b).hexdigest()


def gz(b):
    return gzip.compress(b, mtime=0)


def make_mnist_arrays(seed=0, n_train=40, n_test=12):
    rng = np.random.default_rng(seed)
    return {
        "train-images-idx3-ubyte": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        "train-labels-idx1-ubyte": rng.integers(0, 10, n_train, dtype=np.uint8),
        "t10k-images-idx3-ubyte": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        "t10k-labels-idx1-ubyte": rng.integers(0, 10, n_test, dtype=np.uint8),
    }


def write_mnist_raw(root, cls_name="MNIST", seed=0, **kw):
    arrays = make_mnist_arrays(seed, **kw)
    raw = root / cls_name / "raw"
    raw.mkdir(parents=True)
    for name, arr in arrays.items():
        (raw / name).write_bytes(idx_bytes(arr, 8))
    return arrays


def serve_mnist_gz(www, seed=0):
    """Write the four .gz files into ``www``; return (arrays, torchvision-style resources)."""
    arrays = make_mnist_arrays(seed)
    resources = []
    for name, arr in arrays.items():
        blob = gz(idx_bytes(arr, 8))
        (www / f"{name}.gz").write_bytes(blob)
        resources.append((f"{name}.gz", md5(blob)))
    return arrays, resources


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def http_dir(tmp_path):
    """(directory, base URL) of an HTTP server on 127.0.0.1 serving that directory."""
    www = tmp_path / "www"
    www.mkdir()
    srv = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(www)))
    th = threading.Thread(target=functools.partial(srv.serve_forever, poll_interval=0.05), daemon=True)
    th.start()
    try:
        yield www, f"http://127.0.0.1:{srv.server_address[1]}/"
    finally:
        srv.shutdown()
        srv.server_close()


DEAD = "http://127.0.0.1:9/"  # nothing listens there: connection refused, a URLError


@pytest.fixture(autouse=True)
def _no_mirrors(monkeypatch):
    monkeypatch.delenv(dsutils.MIRROR_ENV, raising=False)


def tensor_np(t):
    assert isinstance(t, ember.Tensor)
    return t._data


# ============================================================================ IDX parsing
@pytest.mark.parametrize("code", sorted(_IDX_DT))
@pytest.mark.parametrize("compressed", [False, True])
def test_idx_parsing_dtypes_endianness_gzip(tmp_path, code, compressed):
    rng = np.random.default_rng(code)
    arr = (rng.standard_normal((3, 4, 5)) * 100).astype(np.dtype(_IDX_DT[code]).newbyteorder("="))
    blob = idx_bytes(arr, code)
    p = tmp_path / "f"
    p.write_bytes(gz(blob) if compressed else blob)
    out = mnist_mod._read_idx(str(p))
    assert out.dtype == arr.dtype and out.dtype.isnative and out.shape == (3, 4, 5)
    np.testing.assert_array_equal(out, arr)
    # the header really is big-endian: dims 3, 4, 5 at offset 4
    assert blob[4:16] == b"\x00\x00\x00\x03\x00\x00\x00\x04\x00\x00\x00\x05"
    t = mnist_mod.read_sn3_pascalvincent_tensor(str(p))
    assert isinstance(t, ember.Tensor) and tuple(t.shape) == (3, 4, 5)


def test_idx_hand_built_file_matches_the_spec(tmp_path):
    # magic 0x00000803, 2 images 2x3 (uint8), then the bytes row-major: what torchvision's reader yields
    blob = bytes([0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 3]) + bytes(range(12))
    p = tmp_path / "imgs"
    p.write_bytes(blob)
    t = mnist_mod.read_image_file(str(p))
    assert t.dtype == ember.uint8 and tuple(t.shape) == (2, 2, 3)
    np.testing.assert_array_equal(tensor_np(t), np.arange(12, dtype=np.uint8).reshape(2, 2, 3))
    lab = tmp_path / "labels"
    lab.write_bytes(bytes([0, 0, 8, 1, 0, 0, 0, 4, 7, 0, 9, 1]))
    lt = mnist_mod.read_label_file(str(lab))
    assert lt.dtype == ember.int64
    assert lt.tolist() == [7, 0, 9, 1]


def test_idx_errors(tmp_path):
    p = tmp_path / "bad"
    p.write_bytes(b"\x01\x02\x08\x01" + b"\x00" * 8)
    with pytest.raises(RuntimeError, match="not an IDX file"):
        mnist_mod._read_idx(str(p))
    p.write_bytes(bytes([0, 0, 7, 1, 0, 0, 0, 1, 0]))
    with pytest.raises(RuntimeError, match="unknown IDX data type code 0x07"):
        mnist_mod._read_idx(str(p))
    p.write_bytes(bytes([0, 0, 8, 2, 0, 0, 0, 3, 0, 0, 0, 3]) + bytes(5))
    with pytest.raises(RuntimeError, match="truncated or corrupted"):
        mnist_mod._read_idx(str(p))
    p.write_bytes(idx_bytes(np.zeros((2, 3, 3), np.int32), 12))
    with pytest.raises(TypeError, match="x should be of dtype torch.uint8 instead of torch.int32"):
        mnist_mod.read_image_file(str(p))
    p.write_bytes(idx_bytes(np.zeros((2, 3), np.uint8), 8))
    with pytest.raises(ValueError, match="x should have 3 dimension instead of 2"):
        mnist_mod.read_image_file(str(p))
    with pytest.raises(ValueError, match="x should have 1 dimension instead of 2"):
        mnist_mod.read_label_file(str(p))


# ============================================================================ MNIST family
def test_mnist_layout_items_attributes_repr(tmp_path):
    arrays = write_mnist_raw(tmp_path)
    ds = MNIST(str(tmp_path))
    assert len(ds) == 40
    assert ds.data.dtype == ember.uint8 and tuple(ds.data.shape) == (40, 28, 28)
    assert ds.targets.dtype == ember.int64 and tuple(ds.targets.shape) == (40,)
    np.testing.assert_array_equal(tensor_np(ds.data), arrays["train-images-idx3-ubyte"])
    np.testing.assert_array_equal(tensor_np(ds.targets), arrays["train-labels-idx1-ubyte"])
    img, target = ds[3]
    assert isinstance(img, Image.Image) and img.mode == "L" and img.size == (28, 28)
    assert type(target) is int and target == int(arrays["train-labels-idx1-ubyte"][3])
    np.testing.assert_array_equal(np.asarray(img), arrays["train-images-idx3-ubyte"][3])
    assert ds.classes[0] == "0 - zero" and ds.class_to_idx["9 - nine"] == 9
    assert repr(ds) == f"Dataset MNIST\n    Number of datapoints: 40\n    Root location: {tmp_path}\n    Split: Train"
    test = MNIST(str(tmp_path), train=False, transform=T.ToTensor(), target_transform=T.Lambda(lambda y: y + 1))
    assert len(test) == 12
    x, y = test[0]
    assert tuple(x.shape) == (1, 28, 28) and x.dtype == ember.float32
    assert y == int(arrays["t10k-labels-idx1-ubyte"][0]) + 1
    assert repr(test) == (f"Dataset MNIST\n    Number of datapoints: 12\n    Root location: {tmp_path}\n"
                          "    Split: Test\n    StandardTransform\nTransform: ToTensor()\nTarget transform: Lambda()")
    with pytest.warns(UserWarning, match="train_labels has been renamed targets"):
        assert ds.train_labels is ds.targets


def test_mnist_missing_files(tmp_path):
    with pytest.raises(RuntimeError, match=r"^Dataset not found. You can use download=True to download it$"):
        MNIST(str(tmp_path))
    write_mnist_raw(tmp_path)
    os.remove(tmp_path / "MNIST" / "raw" / "t10k-labels-idx1-ubyte")
    with pytest.raises(RuntimeError, match="Dataset not found"):
        MNIST(str(tmp_path), train=True)  # torchvision checks all four files


def test_kmnist_and_class_names(tmp_path):
    write_mnist_raw(tmp_path, "KMNIST")
    ds = KMNIST(str(tmp_path))
    assert ds.classes == ["o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo"]
    assert FashionMNIST.classes[9] == "Ankle boot"


def test_emnist_balanced_and_split_check(tmp_path):
    raw = tmp_path / "EMNIST" / "raw"
    raw.mkdir(parents=True)
    rng = np.random.default_rng(1)
    imgs = rng.integers(0, 256, (9, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 47, 9, dtype=np.uint8)
    (raw / "emnist-balanced-train-images-idx3-ubyte").write_bytes(idx_bytes(imgs, 8))
    (raw / "emnist-balanced-train-labels-idx1-ubyte").write_bytes(idx_bytes(labels, 8))
    ds = EMNIST(str(tmp_path), split="balanced")
    assert len(ds) == 9 and len(ds.classes) == 47 and ds.classes[:11] == list("0123456789A")
    np.testing.assert_array_equal(np.asarray(ds[4][0]), imgs[4])  # stored as in the file (no transpose)
    assert ds[4][1] == int(labels[4])
    assert len(EMNIST.classes_split_dict["byclass"]) == 62 and EMNIST.classes_split_dict["letters"][0] == "N/A"
    with pytest.raises(ValueError) as ei:
        EMNIST(str(tmp_path), split="foo")
    assert str(ei.value) == ("Unknown value 'foo' for argument split. Valid values are "
                             "{'byclass', 'bymerge', 'balanced', 'letters', 'digits', 'mnist'}.")
    with pytest.raises(RuntimeError, match="Dataset not found"):
        EMNIST(str(tmp_path), split="letters")


def test_qmnist_compat_and_subsets(tmp_path):
    raw = tmp_path / "QMNIST" / "raw"
    raw.mkdir(parents=True)
    rng = np.random.default_rng(2)
    imgs = rng.integers(0, 256, (10012, 2, 2), dtype=np.uint8)
    tg = rng.integers(-5, 70000, (10012, 8)).astype(np.int32)
    (raw / "qmnist-test-images-idx3-ubyte").write_bytes(gz(idx_bytes(imgs, 8)))  # gzip read transparently
    (raw / "qmnist-test-labels-idx2-int").write_bytes(idx_bytes(tg, 12))
    ds = QMNIST(str(tmp_path), what="test50k")
    assert len(ds) == 12 and ds.targets.dtype == ember.int64
    np.testing.assert_array_equal(tensor_np(ds.targets), tg[10000:])
    assert ds[0][1] == int(tg[10000, 0]) and ds[0][0].mode == "L"
    full = QMNIST(str(tmp_path), what="test", compat=False)
    y = full[5][1]
    assert isinstance(y, ember.Tensor) and y.tolist() == tg[5].tolist()
    assert repr(full).endswith("Split: test")


# ============================================================================ real Fashion-MNIST (Debian package)
@pytest.fixture(scope="module")
def fashion_root(tmp_path_factory):
    if not os.path.isfile(os.path.join(DEBIAN_FASHION, "train-images-idx3-ubyte.gz")):
        pytest.skip("Debian's dataset-fashion-mnist package is not installed")
    root = tmp_path_factory.mktemp("fmnist")
    FashionMNIST(str(root), download=True)  # from the local mirror: no network
    return root


def test_fashion_mnist_from_debian_mirror(fashion_root):
    raw = fashion_root / "FashionMNIST" / "raw"
    for name, want in FashionMNIST.raw_md5s.items():
        assert dsutils.calculate_md5(raw / name) == want  # byte-identical to the original IDX files
        assert os.path.islink(raw / f"{name}.gz") or os.path.isfile(raw / f"{name}.gz")
    train = FashionMNIST(str(fashion_root))
    test = FashionMNIST(str(fashion_root), train=False)
    assert tuple(train.data.shape) == (60000, 28, 28) and tuple(test.data.shape) == (10000, 28, 28)
    assert train.data.dtype == ember.uint8 and train.targets.dtype == ember.int64
    for ds in (train, test):
        t = tensor_np(ds.targets)
        assert t.min() == 0 and t.max() == 9
        assert np.bincount(t).tolist() == [len(ds) // 10] * 10  # Fashion-MNIST is balanced
    assert train[0][1] == 9 and test[0][1] == 9  # both first items are ankle boots
    assert int(train.targets[1]) == 0 and int(test.targets[1]) == 2
    img = train[0][0]
    assert img.mode == "L" and img.size == (28, 28)
    assert tuple(tensor_np(train.data)[0, 0, :4]) == (0, 0, 0, 0)


def test_fashion_mnist_fast_path_matches_per_item_on_real_data(fashion_root):
    tf = T.Compose([T.ToTensor(), T.Normalize((0.5,), (0.5,))])
    fast = FashionMNIST(str(fashion_root), transform=tf)
    slow = FashionMNIST(str(fashion_root), transform=T.Compose([T.Lambda(lambda x: x), tf]))
    idx = [0, 59999, 17, 17, 30000, -1]
    b = fast.__getitems__(idx)
    assert isinstance(b, Prebatched)
    x, y = default_collate(b)
    xs, ys = default_collate(slow.__getitems__(idx))
    assert x.dtype == xs.dtype == ember.float32 and tuple(x.shape) == (6, 1, 28, 28)
    np.testing.assert_array_equal(tensor_np(x), tensor_np(xs))
    np.testing.assert_array_equal(tensor_np(y), tensor_np(ys))
    assert y.dtype == ys.dtype == ember.int64


# ============================================================================ downloads (local HTTP server)
def test_download_from_http_mirror_and_extraction(tmp_path, http_dir, monkeypatch, capsys):
    www, url = http_dir
    arrays, resources = serve_mnist_gz(www)
    monkeypatch.setattr(MNIST, "resources", resources)
    monkeypatch.setattr(MNIST, "mirrors", [url])
    root = tmp_path / "data"
    ds = MNIST(str(root), download=True)
    raw = root / "MNIST" / "raw"
    for name, _ in resources:
        assert (raw / name).is_file() and (raw / name[:-3]).is_file()
    np.testing.assert_array_equal(tensor_np(ds.data), arrays["train-images-idx3-ubyte"])
    np.testing.assert_array_equal(tensor_np(MNIST(str(root), train=False).targets), arrays["t10k-labels-idx1-ubyte"])
    out = capsys.readouterr()
    assert f"Downloading {url}train-images-idx3-ubyte.gz" in out.out
    assert "train-images-idx3-ubyte.gz" in out.err and "100" in out.err  # the progress bar (stderr)
    assert not list(raw.glob("*.part"))
    # already there: no second download
    (www / "train-images-idx3-ubyte.gz").unlink()
    MNIST(str(root), download=True)


def test_download_checksum_mismatch_names_the_file(tmp_path, http_dir, monkeypatch):
    www, url = http_dir
    _, resources = serve_mnist_gz(www)
    resources[1] = (resources[1][0], "0" * 32)
    monkeypatch.setattr(MNIST, "resources", resources)
    monkeypatch.setattr(MNIST, "mirrors", [url])
    with pytest.raises(RuntimeError) as ei:
        MNIST(str(tmp_path / "d"), download=True)
    msg = str(ei.value)
    assert msg.startswith("File not found or corrupted.")
    assert "train-labels-idx1-ubyte.gz" in msg and "0" * 32 in msg
    assert md5((www / "train-labels-idx1-ubyte.gz").read_bytes()) in msg


def test_download_first_mirror_fails_second_succeeds(tmp_path, http_dir, monkeypatch, capsys):
    www, url = http_dir
    (www / "good").mkdir()
    arrays, resources = serve_mnist_gz(www / "good")
    monkeypatch.setattr(MNIST, "resources", resources)
    monkeypatch.setattr(MNIST, "mirrors", [url + "missing/", DEAD, url + "good/"])
    ds = MNIST(str(tmp_path / "d"), download=True)
    np.testing.assert_array_equal(tensor_np(ds.targets), arrays["train-labels-idx1-ubyte"])
    out = capsys.readouterr().out
    assert "Failed to download (trying next):\nHTTP Error 404" in out
    assert out.count("Failed to download (trying next)") == 8  # 404 then refused, for each of the 4 files


def test_download_all_mirrors_fail(tmp_path, http_dir, monkeypatch):
    www, url = http_dir
    _, resources = serve_mnist_gz(www)
    monkeypatch.setattr(MNIST, "resources", resources)
    monkeypatch.setattr(MNIST, "mirrors", [url + "nothing/here/", DEAD])
    with pytest.raises(RuntimeError, match=r"^Error downloading train-images-idx3-ubyte.gz$"):
        MNIST(str(tmp_path / "d"), download=True)


@pytest.mark.parametrize("kind", ["dir", "file-url", "http"])
def test_mirror_env_is_tried_before_public_mirrors(tmp_path, http_dir, monkeypatch, kind):
    www, url = http_dir
    (www / "MNIST").mkdir()
    arrays, resources = serve_mnist_gz(www / "MNIST")  # <prefix>/<ClassName>/<file>
    (www / "train-images-idx3-ubyte.gz").write_bytes(b"a wrong file at <prefix>/<file>")
    monkeypatch.setattr(MNIST, "resources", resources)
    monkeypatch.setattr(MNIST, "mirrors", [DEAD])  # the public mirror is unreachable
    prefix = {"dir": str(www), "file-url": www.as_uri(), "http": url}[kind]
    monkeypatch.setenv(dsutils.MIRROR_ENV, f"{tmp_path / 'nonexistent'} {prefix}")
    ds = MNIST(str(tmp_path / "d"), download=True)
    np.testing.assert_array_equal(tensor_np(ds.data), arrays["train-images-idx3-ubyte"])


def test_local_mirror_setting_and_content_verified_copies(tmp_path, monkeypatch):
    mirror = tmp_path / "os-datasets"
    mirror.mkdir()
    arrays = make_mnist_arrays(5)
    resources, raw_md5s = [], {}
    for name, arr in arrays.items():
        blob = idx_bytes(arr, 8)
        resources.append((f"{name}.gz", md5(gz(blob))))
        raw_md5s[name] = md5(blob)
        (mirror / f"{name}.gz").write_bytes(gzip.compress(blob, compresslevel=1, mtime=12345))  # recompressed
    monkeypatch.setattr(MNIST, "resources", resources)
    monkeypatch.setattr(MNIST, "mirrors", [DEAD])
    monkeypatch.setattr(dsutils, "LOCAL_MIRRORS", {"MNIST": [str(mirror)]})
    monkeypatch.setattr(MNIST, "raw_md5s", {})
    with pytest.warns(UserWarning, match="Skipping"), pytest.raises(RuntimeError, match="Error downloading"):
        MNIST(str(tmp_path / "a"), download=True)  # .gz MD5 differs and no raw MD5 known: not accepted
    monkeypatch.setattr(MNIST, "raw_md5s", raw_md5s)
    ds = MNIST(str(tmp_path / "b"), download=True)  # accepted: the decompressed content matches
    np.testing.assert_array_equal(tensor_np(ds.data), arrays["train-images-idx3-ubyte"])
    bad = dict(raw_md5s, **{"train-images-idx3-ubyte": "f" * 32})
    monkeypatch.setattr(MNIST, "raw_md5s", bad)
    with pytest.warns(UserWarning, match="decompressed content"), pytest.raises(RuntimeError):
        MNIST(str(tmp_path / "c"), download=True)
    assert not (tmp_path / "c" / "MNIST" / "raw" / "train-images-idx3-ubyte").exists()


# ============================================================================ CIFAR
def cifar_records(n, label_bytes, seed):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, (n, label_bytes), dtype=np.uint8)
    pix = rng.integers(0, 256, (n, 3072), dtype=np.uint8)
    return labels, pix, np.concatenate([labels, pix], axis=1).tobytes()


CIFAR10_NAMES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]


def make_cifar10_binary_tar(path, n=6):
    """A small cifar-10-binary.tar.gz; returns {file: (labels, pixels)}."""
    content = {}
    with tarfile.open(path, "w:gz") as tar:
        def add(name, blob):
            info = tarfile.TarInfo(f"cifar-10-batches-bin/{name}")
            info.size = len(blob)
            tar.addfile(info, io.BytesIO(blob))
        for k, name in enumerate(CIFAR10.bin_train_list + CIFAR10.bin_test_list):
            labels, pix, blob = cifar_records(n + k, 1, k)
            content[name] = (labels[:, 0], pix)
            add(name, blob)
        add("batches.meta.txt", ("\n".join(CIFAR10_NAMES) + "\n\n").encode())
    return content


def hwc(pix):
    return pix.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)


def test_cifar10_download_binary_archive(tmp_path, http_dir, monkeypatch):
    www, url = http_dir
    content = make_cifar10_binary_tar(www / "cifar-10-binary.tar.gz")
    monkeypatch.setattr(CIFAR10, "bin_mirrors", [DEAD, url])
    monkeypatch.setattr(CIFAR10, "bin_tgz_md5", md5((www / "cifar-10-binary.tar.gz").read_bytes()))
    root = tmp_path / "c"
    with pytest.raises(RuntimeError, match=r"^Dataset not found or corrupted. You can use download=True to download it$"):
        CIFAR10(str(root))
    ds = CIFAR10(str(root), download=True)
    assert (root / "cifar-10-batches-bin" / "data_batch_1.bin").is_file()
    pix = np.concatenate([content[n][1] for n in CIFAR10.bin_train_list])
    labels = np.concatenate([content[n][0] for n in CIFAR10.bin_train_list])
    assert isinstance(ds.data, np.ndarray) and ds.data.dtype == np.uint8 and ds.data.shape == (len(pix), 32, 32, 3)
    np.testing.assert_array_equal(ds.data, hwc(pix))
    assert isinstance(ds.targets, list) and ds.targets == labels.tolist()
    assert ds.classes == CIFAR10_NAMES and ds.class_to_idx["truck"] == 9
    img, target = ds[2]
    assert isinstance(img, Image.Image) and img.mode == "RGB" and img.size == (32, 32)
    np.testing.assert_array_equal(np.asarray(img), hwc(pix)[2])
    assert type(target) is int and target == int(labels[2])
    test = CIFAR10(str(root), train=False)
    np.testing.assert_array_equal(test.data, hwc(content["test_batch.bin"][1]))
    assert repr(test) == f"Dataset CIFAR10\n    Number of datapoints: 11\n    Root location: {root}\n    Split: Test"
    # a truncated record makes it "corrupted"
    with open(root / "cifar-10-batches-bin" / "test_batch.bin", "ab") as f:
        f.write(b"\x00")
    with pytest.raises(RuntimeError, match="Dataset not found or corrupted"):
        CIFAR10(str(root), train=False)


def test_cifar_download_checksum_mismatch(tmp_path, http_dir, monkeypatch):
    www, url = http_dir
    make_cifar10_binary_tar(www / "cifar-10-binary.tar.gz")
    monkeypatch.setattr(CIFAR10, "bin_mirrors", [url])
    with pytest.raises(RuntimeError, match=r"File not found or corrupted\..*cifar-10-binary\.tar\.gz.*c32a1d4a"):
        CIFAR10(str(tmp_path / "c"), download=True)


def test_cifar100_binary_layout(tmp_path):
    d = tmp_path / "cifar-100-binary"
    d.mkdir()
    labels, pix, blob = cifar_records(7, 2, 3)
    (d / "train.bin").write_bytes(blob)
    (d / "test.bin").write_bytes(cifar_records(2, 2, 4)[2])
    (d / "fine_label_names.txt").write_text("\n".join(f"c{i}" for i in range(100)) + "\n")
    ds = CIFAR100(str(tmp_path))
    assert ds.targets == labels[:, 1].tolist()  # the fine label (second byte)
    np.testing.assert_array_equal(ds.data, hwc(pix))
    assert len(ds.classes) == 100 and ds.classes[5] == "c5"


class Py2Pickler(pickle._Pickler):
    """Writes bytes and str as Python 2 ``str`` (BINSTRING), as the CIFAR python-version files are."""
    dispatch = pickle._Pickler.dispatch.copy()

    def save_bytes(self, obj):
        n = len(obj)
        self.write((pickle.SHORT_BINSTRING + bytes([n])) if n < 256 else (pickle.BINSTRING + struct.pack("<i", n)))
        self.write(obj)
        self.memoize(obj)

    dispatch[bytes] = save_bytes
    dispatch[str] = lambda self, obj: Py2Pickler.save_bytes(self, obj.encode("latin1"))


def py2_pickle(obj):
    f = io.BytesIO()
    Py2Pickler(f, protocol=2).dump(obj)
    return f.getvalue().replace(b"numpy._core.multiarray\n", b"numpy.core.multiarray\n")


@pytest.mark.parametrize("style", ["py2", "protocol2", "protocol4"])
def test_cifar10_python_version_restricted_unpickler(tmp_path, monkeypatch, style):
    dump = {"py2": py2_pickle, "protocol2": functools.partial(pickle.dumps, protocol=2),
            "protocol4": functools.partial(pickle.dumps, protocol=4)}[style]
    d = tmp_path / "cifar-10-batches-py"
    d.mkdir()
    train_list, pix_all, lab_all = [], [], []
    for k in range(1, 6):
        labels, pix, _ = cifar_records(3, 1, k)
        blob = dump({"batch_label": f"training batch {k} of 5", "labels": labels[:, 0].tolist(), "data": pix,
                     "filenames": [f"img{i}.png" for i in range(3)]})
        (d / f"data_batch_{k}").write_bytes(blob)
        train_list.append([f"data_batch_{k}", md5(blob)])
        pix_all.append(pix)
        lab_all += labels[:, 0].tolist()
    tblob = dump({"labels": [1, 2], "data": cifar_records(2, 1, 9)[1]})
    (d / "test_batch").write_bytes(tblob)
    meta = dump({"label_names": CIFAR10_NAMES, "num_cases_per_batch": 3, "num_vis": 3072})
    (d / "batches.meta").write_bytes(meta)
    monkeypatch.setattr(CIFAR10, "train_list", train_list)
    monkeypatch.setattr(CIFAR10, "test_list", [["test_batch", md5(tblob)]])
    monkeypatch.setattr(CIFAR10, "meta", {"filename": "batches.meta", "key": "label_names", "md5": md5(meta)})
    ds = CIFAR10(str(tmp_path))
    np.testing.assert_array_equal(ds.data, hwc(np.concatenate(pix_all)))
    assert ds.targets == lab_all and ds.classes == CIFAR10_NAMES
    assert ds[0][0].mode == "RGB"
    # checksums are checked as torchvision does: a changed file is "not found or corrupted"
    monkeypatch.setattr(CIFAR10, "test_list", [["test_batch", "0" * 32]])
    with pytest.raises(RuntimeError, match="Dataset not found or corrupted"):
        CIFAR10(str(tmp_path))


class _Evil:
    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (os.system, (f"touch {self.path}",))


@pytest.mark.parametrize("payload", ["system", "object_array", "newobj"])
def test_restricted_unpickler_refuses_code_and_objects(tmp_path, payload):
    marker = tmp_path / "pwned"
    if payload == "system":
        blob = pickle.dumps({"data": _Evil(marker)}, protocol=2)
        match = "refusing to load the global (posix|os|nt).system"
    elif payload == "object_array":
        blob = pickle.dumps({"data": np.array([1, "a"], dtype=object)}, protocol=2)
        match = "refusing to unpickle an array of dtype"
    else:
        blob = pickle.dumps({"data": ember.Size([1, 2])}, protocol=4)
        match = "refusing"
    p = tmp_path / "data_batch_1"
    p.write_bytes(blob)
    with pytest.raises(pickle.UnpicklingError, match=match) as ei:
        cifar_mod._restricted_load(str(p))
    assert str(p) in str(ei.value)
    assert not marker.exists()


# ============================================================================ folders
def make_image_tree(root, sizes=None):
    rng = np.random.default_rng(7)
    layout = {"dog": ["b.png", "a.png", "sub/c.png"], "cat": ["x.jpg"], "bird": ["z.png"]}
    arrays = {}
    for cls, files in layout.items():
        for k, f in enumerate(files):
            p = root / cls / f
            p.parent.mkdir(parents=True, exist_ok=True)
            size = (sizes or {}).get(f, (6, 5))
            arr = rng.integers(0, 256, size + (3,), dtype=np.uint8)
            Image.fromarray(arr).save(p, format="PNG")  # PNG content even for .jpg: lossless
            arrays[str(p)] = arr
    (root / "dog" / "notes.txt").write_text("not an image")
    return arrays


def test_image_folder_layout(tmp_path):
    arrays = make_image_tree(tmp_path)
    ds = ImageFolder(str(tmp_path))
    assert ds.classes == ["bird", "cat", "dog"] and ds.class_to_idx == {"bird": 0, "cat": 1, "dog": 2}
    paths = [os.path.relpath(p, tmp_path) for p, _ in ds.samples]
    assert paths == ["bird/z.png", "cat/x.jpg", "dog/a.png", "dog/b.png", "dog/sub/c.png"]
    assert ds.targets == [0, 1, 2, 2, 2] and ds.imgs is ds.samples and len(ds) == 5
    img, target = ds[4]
    assert img.mode == "RGB" and target == 2
    np.testing.assert_array_equal(np.asarray(img), arrays[ds.samples[4][0]])
    assert repr(ds) == f"Dataset ImageFolder\n    Number of datapoints: 5\n    Root location: {tmp_path}"
    only_png = ImageFolder(str(tmp_path), is_valid_file=lambda p: p.endswith(".png"), allow_empty=True)
    assert [t for _, t in only_png.samples] == [0, 2, 2, 2]
    with pytest.raises(FileNotFoundError) as ei:
        ImageFolder(str(tmp_path), is_valid_file=lambda p: p.endswith(".png"))
    assert str(ei.value) == "Found no valid file for the classes cat. "
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError) as ei:
        ImageFolder(str(tmp_path))
    assert str(ei.value) == ("Found no valid file for the classes empty. Supported extensions are: "
                             ".jpg, .jpeg, .png, .ppm, .bmp, .pgm, .tif, .tiff, .webp")
    assert len(ImageFolder(str(tmp_path), allow_empty=True).classes) == 4
    with pytest.raises(FileNotFoundError, match="Couldn't find any class folder in"):
        ImageFolder(str(tmp_path / "bird"))


def test_dataset_folder_loader_and_errors(tmp_path):
    for cls in ("a", "b"):
        (tmp_path / cls).mkdir()
        for i in range(2):
            (tmp_path / cls / f"{i}.npy").write_bytes(b"x" * (i + 1))
    ds = DatasetFolder(str(tmp_path), loader=lambda p: os.path.getsize(p), extensions=(".npy",))
    assert [ds[i] for i in range(4)] == [(1, 0), (2, 0), (1, 1), (2, 1)]
    assert ds.__getitems__([3, 0]) == [(2, 1), (1, 0)]
    with pytest.raises(ValueError, match="Both extensions and is_valid_file cannot be None or not None"):
        DatasetFolder(str(tmp_path), loader=open)
    with pytest.raises(ValueError, match="The class_to_idx parameter cannot be None."):
        DatasetFolder.make_dataset(str(tmp_path), None, extensions=".npy")


# ============================================================================ FakeData
def test_fakedata(tmp_path):
    ds = FakeData(size=5, image_size=(3, 8, 6), num_classes=4)
    img, target = ds[2]
    assert img.mode == "RGB" and img.size == (6, 8) and type(target) is int and 0 <= target < 4
    state = ember.get_rng_state()
    again = ds[2]
    assert ember.equal(ember.get_rng_state(), state)  # the global generator is left as it was
    np.testing.assert_array_equal(np.asarray(again[0]), np.asarray(img))
    assert again[1] == target
    assert not np.array_equal(np.asarray(FakeData(5, (3, 8, 6), 4, random_offset=1)[2][0]), np.asarray(img))
    assert FakeData(3, (1, 4, 4))[0][0].mode == "L"
    with pytest.raises(IndexError, match="FakeData index out of range"):
        ds[5]
    assert repr(ds) == "Dataset FakeData\n    Number of datapoints: 5"


# ============================================================================ batched fast path
def _epoch(ds, seed, **kw):
    ember.manual_seed(seed)
    out = []
    for x, y in DataLoader(ds, batch_size=7, shuffle=True, **kw):
        out.append((tensor_np(x).copy(), tensor_np(y).copy(), x.dtype, y.dtype))
    return out


def _assert_same_epochs(a, b):
    assert len(a) == len(b)
    for (xa, ya, dxa, dya), (xb, yb, dxb, dyb) in zip(a, b):
        assert dxa == dxb and dya == dyb == ember.int64
        assert xa.dtype == xb.dtype and xa.shape == xb.shape
        np.testing.assert_array_equal(xa, xb)
        np.testing.assert_array_equal(ya, yb)


def _per_item(tf):
    return T.Compose([T.Lambda(lambda x: x), tf])  # Lambda has no batched form: forces per-item calls


MNIST_TFS = {
    "totensor_normalize": lambda: T.Compose([T.ToTensor(), T.Normalize((0.1307,), (0.3081,))]),
    "flips": lambda: T.Compose([T.RandomHorizontalFlip(), T.RandomVerticalFlip(0.3), T.ToTensor()]),
    "crop_pad": lambda: T.Compose([T.RandomCrop(24, padding=3), T.ToTensor(), T.Normalize((0.5,), (0.25,))]),
    "center_gray3": lambda: T.Compose([T.CenterCrop(20), T.Grayscale(3), T.ToTensor()]),
}


@pytest.mark.parametrize("name", sorted(MNIST_TFS))
def test_mnist_fast_path_bit_identical_to_per_item(tmp_path, name):
    write_mnist_raw(tmp_path)
    fast = MNIST(str(tmp_path), transform=MNIST_TFS[name]())
    slow = MNIST(str(tmp_path), transform=_per_item(MNIST_TFS[name]()))
    assert isinstance(fast.__getitems__([0, 1]), Prebatched)
    assert not isinstance(slow.__getitems__([0, 1]), Prebatched)
    for seed in (0, 1):
        _assert_same_epochs(_epoch(fast, seed), _epoch(slow, seed))
    # the generator ends in the same state both ways
    ember.manual_seed(3)
    default_collate(fast.__getitems__(list(range(10))))
    s_fast = ember.get_rng_state()
    ember.manual_seed(3)
    default_collate(slow.__getitems__(list(range(10))))
    assert ember.equal(s_fast, ember.get_rng_state())


def test_fast_path_other_collate_fn_sees_per_item_samples(tmp_path):
    arrays = write_mnist_raw(tmp_path)
    ds = MNIST(str(tmp_path), transform=T.ToTensor())
    seen = []

    def collate(batch):
        seen.extend(batch)
        return len(batch)

    assert list(DataLoader(ds, batch_size=16, collate_fn=collate)) == [16, 16, 8]
    assert len(seen) == 40
    x, y = seen[5]
    assert isinstance(x, ember.Tensor) and tuple(x.shape) == (1, 28, 28) and type(y) is int
    assert y == int(arrays["train-labels-idx1-ubyte"][5])
    np.testing.assert_array_equal(tensor_np(x), tensor_np(ds[5][0]))


def test_fast_path_falls_back_transparently(tmp_path):
    write_mnist_raw(tmp_path)
    # no transform: PIL items
    plain = MNIST(str(tmp_path)).__getitems__([1, 2])
    assert type(plain) is list and plain[0][0].mode == "L"
    # a target_transform: per-item path
    ds = MNIST(str(tmp_path), transform=T.ToTensor(), target_transform=lambda y: y * 10)
    items = ds.__getitems__([1, 2])
    assert not isinstance(items, Prebatched) and items[1][1] == ds[2][1]

    # a subclass that overrides __getitem__ is honoured
    class Mine(MNIST):
        raw_folder = property(lambda self: os.path.join(self.root, "MNIST", "raw"))

        def __getitem__(self, i):
            return "mine", i

    m = Mine(str(tmp_path), transform=T.ToTensor())
    assert m.__getitems__([0, 1]) == [("mine", 0), ("mine", 1)]
    # a PIL-kind batched result comes back as PIL images, equal to the per-item ones
    crop = MNIST(str(tmp_path), transform=T.RandomCrop(20))
    ember.manual_seed(4)
    got = crop.__getitems__([3, 4, 5])
    ember.manual_seed(4)
    want = [crop[i] for i in (3, 4, 5)]
    assert type(got) is list
    for (gi, gt), (wi, wt) in zip(got, want):
        assert gi.mode == wi.mode == "L" and gt == wt
        np.testing.assert_array_equal(np.asarray(gi), np.asarray(wi))
    # out-of-range indices raise IndexError as the per-item path does
    with pytest.raises(IndexError, match="index 40 is out of bounds for dimension 0 with size 40"):
        MNIST(str(tmp_path), transform=T.ToTensor()).__getitems__([0, 40])


def test_cifar_fast_path_bit_identical(tmp_path):
    content = make_cifar10_binary_tar(tmp_path / "cifar-10-binary.tar.gz", n=9)
    dsutils.extract_archive(str(tmp_path / "cifar-10-binary.tar.gz"), str(tmp_path))
    tf = lambda: T.Compose([T.RandomCrop(32, padding=4), T.RandomHorizontalFlip(), T.ToTensor(),  # noqa: E731
                            T.Normalize((0.4914, 0.4822, 0.4465), (0.247, 0.243, 0.261))])
    fast = CIFAR10(str(tmp_path), transform=tf())
    slow = CIFAR10(str(tmp_path), transform=_per_item(tf()))
    assert isinstance(fast.__getitems__([0]), Prebatched)
    _assert_same_epochs(_epoch(fast, 0), _epoch(slow, 0))
    x, y = default_collate(fast.__getitems__([1, 0]))
    assert x.dtype == ember.float32 and tuple(x.shape) == (2, 3, 32, 32)
    assert y.tolist() == [fast.targets[1], fast.targets[0]] == [int(content["data_batch_1.bin"][0][i]) for i in (1, 0)]


def test_image_folder_and_fakedata_fast_path(tmp_path):
    make_image_tree(tmp_path)
    tf = lambda: T.Compose([T.RandomHorizontalFlip(), T.ToTensor(), T.Normalize((0.5,) * 3, (0.2,) * 3)])  # noqa: E731
    fast = ImageFolder(str(tmp_path), transform=tf())
    slow = ImageFolder(str(tmp_path), transform=_per_item(tf()))
    assert isinstance(fast.__getitems__([0, 1]), Prebatched)
    _assert_same_epochs(_epoch(fast, 0), _epoch(slow, 0))
    # images of different sizes: transformed one by one, still the same values
    mixed = tmp_path / "mixed"
    mixed.mkdir()
    make_image_tree(mixed, sizes={"a.png": (7, 5)})
    m = ImageFolder(str(mixed), transform=T.ToTensor())
    got = m.__getitems__([2, 3])
    assert not isinstance(got, Prebatched) and tuple(got[0][0].shape) == (3, 7, 5)
    fd_tf = lambda: T.Compose([T.RandomCrop(6), T.ToTensor()])  # noqa: E731
    fd_fast = FakeData(size=20, image_size=(3, 8, 8), transform=fd_tf())
    fd_slow = FakeData(size=20, image_size=(3, 8, 8), transform=_per_item(fd_tf()))
    assert isinstance(fd_fast.__getitems__([0, 1]), Prebatched)
    _assert_same_epochs(_epoch(fd_fast, 2), _epoch(fd_slow, 2))


def test_fast_path_with_worker_processes(tmp_path):
    write_mnist_raw(tmp_path)
    tf = T.Compose([T.ToTensor(), T.Normalize((0.5,), (0.5,))])
    fast = MNIST(str(tmp_path), transform=tf)
    slow = MNIST(str(tmp_path), transform=_per_item(tf))
    a = [(tensor_np(x), tensor_np(y)) for x, y in DataLoader(fast, batch_size=8, num_workers=2)]
    b = [(tensor_np(x), tensor_np(y)) for x, y in DataLoader(slow, batch_size=8)]
    assert len(a) == len(b) == 5
    for (xa, ya), (xb, yb) in zip(a, b):
        np.testing.assert_array_equal(xa, xb)
        np.testing.assert_array_equal(ya, yb)


# ============================================================================ utils
def test_verify_str_arg_and_detect_file_type():
    assert dsutils.verify_str_arg("a", "x", ("a", "b")) == "a"
    with pytest.raises(ValueError, match=r"^Expected type str for argument x, but got type <class 'int'>.$"):
        dsutils.verify_str_arg(1, "x")
    with pytest.raises(RuntimeError, match=r"^Unknown compression or archive type: '.foo'."):
        dsutils._detect_file_type("a.foo")
    assert dsutils._detect_file_type("a.tar.gz") == (".tar.gz", ".tar", ".gz")
    assert dsutils._detect_file_type("a.tgz") == (".tgz", ".tar", ".gz")
    assert dsutils._detect_file_type("a.gz") == (".gz", None, ".gz")


def test_extract_archive_formats_and_traversal(tmp_path):
    src = tmp_path / "src.zip"
    with zipfile.ZipFile(src, "w") as z:
        z.writestr("d/x.txt", "hello")
    out = dsutils.extract_archive(str(src), str(tmp_path / "o"))
    assert out == str(tmp_path / "o") and (tmp_path / "o" / "d" / "x.txt").read_text() == "hello"
    (tmp_path / "f.txt.xz").write_bytes(__import__("lzma").compress(b"abc"))
    assert open(dsutils.extract_archive(str(tmp_path / "f.txt.xz")), "rb").read() == b"abc"
    evil = tmp_path / "evil.zip"
    with zipfile.ZipFile(evil, "w") as z:
        z.writestr("../../escape.txt", "x")
    with pytest.raises(RuntimeError, match="Refusing to extract"):
        dsutils.extract_archive(str(evil), str(tmp_path / "e"))
    tevil = tmp_path / "evil.tar"
    with tarfile.open(tevil, "w") as tar:
        info = tarfile.TarInfo("../escape.txt")
        info.size = 1
        tar.addfile(info, io.BytesIO(b"x"))
    with pytest.raises(Exception):
        dsutils.extract_archive(str(tevil), str(tmp_path / "t"))
    assert not (tmp_path / "escape.txt").exists()


def test_lazy_import_from_ember_vision():
    assert tv.datasets.MNIST is MNIST and tv.datasets.CIFAR100 is CIFAR100
    assert isinstance(FakeData(2, (1, 2, 2)), tv.datasets.VisionDataset)
