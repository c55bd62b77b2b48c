"""CIFAR10 and CIFAR100 (torchvision.datasets.cifar), read without unpickling arbitrary code.

Two on-disk formats are understood, both under ``root``:

* the **binary version** (``cifar-10-binary.tar.gz`` -> ``cifar-10-batches-bin/data_batch_{1..5}.bin``,
  ``test_batch.bin``, ``batches.meta.txt``; ``cifar-100-binary.tar.gz`` -> ``cifar-100-binary/train.bin``,
  ``test.bin``, ``fine_label_names.txt``): fixed-size records (1 label byte, or coarse + fine label bytes
  for CIFAR-100, then 3072 pixel bytes R, G, B planes), parsed with one ``np.fromfile`` per file. This is
  what ``download=True`` fetches (archive MD5 checked);
* the **python version** that torchvision uses (``cifar-10-batches-py/``, ``cifar-100-python/``), when it
  is already on disk and its files match torchvision's MD5s. Those files are pickles; ember never calls
  ``pickle.load`` on them: a restricted unpickler accepts only dicts, lists, strings, bytes, numbers and
  NumPy arrays of plain numeric dtype (the globals ``numpy.core.multiarray._reconstruct``, ``numpy.ndarray``,
  ``numpy.dtype`` and ``_codecs.encode``, each through a checking wrapper); any other global, object
  construction or ``BUILD`` on anything but an array or dtype raises ``pickle.UnpicklingError``.

When both are present, the binary version is used. ``data`` is a NumPy uint8 array N x 32 x 32 x 3 (HWC),
``targets`` a list of ints, items ``(PIL image mode 'RGB', int)``, as in torchvision.
"""
import codecs
import operator
import os.path
import pickle
from urllib.error import URLError

import numpy as np

from .utils import check_integrity, download_and_extract_archive, fetch_from_mirrors
from .vision import VisionDataset, _batch_indices, _can_batch, _int_targets, _prebatch

__all__ = ["CIFAR10", "CIFAR100"]


class CIFAR10(VisionDataset):
    """`CIFAR10 <https://www.cs.toronto.edu/~kriz/cifar.html>`_ Dataset.

    Args:
        root (str or ``pathlib.Path``): Root directory of dataset where directory
            ``cifar-10-batches-bin`` (binary version) or ``cifar-10-batches-py`` (python version) exists or
            will be saved to if download is set to True.
        train (bool, optional): If True, creates dataset from training set, otherwise
            creates from test set.
        transform (callable, optional): A function/transform that takes in a PIL image
            and returns a transformed version. E.g, ``transforms.RandomCrop``
        target_transform (callable, optional): A function/transform that takes in the
            target and transforms it.
        download (bool, optional): If true, downloads the binary version of the dataset (local mirrors
            first) and puts it in root directory. If dataset is already downloaded, it is not
            downloaded again.
    """

    # torchvision's python version (read with the restricted unpickler when present)
    base_folder = "cifar-10-batches-py"
    url = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
    filename = "cifar-10-python.tar.gz"
    tgz_md5 = "c58f30108f718f92721af3b95e74349a"
    train_list = [
        ["data_batch_1", "c99cafc152244af753f735de768cd75f"],
        ["data_batch_2", "d4bba439e000b95fd0a9bffe97cbabec"],
        ["data_batch_3", "54ebc095f3ab1f0389bbae665268c751"],
        ["data_batch_4", "634d18415352ddfa80567beed471001a"],
        ["data_batch_5", "482c414d41f54cd18b22e5b47cb7c3cb"],
    ]

    test_list = [
        ["test_batch", "40351d587109b95175f43aff81a1287e"],
    ]
    meta = {
        "filename": "batches.meta",
        "key": "label_names",
        "md5": "5ff9c542aee3614f3951f8cda6e48888",
    }

    # the binary version (what download=True fetches)
    bin_folder = "cifar-10-batches-bin"
    bin_mirrors = ["https://www.cs.toronto.edu/~kriz/"]
    bin_filename = "cifar-10-binary.tar.gz"
    bin_tgz_md5 = "c32a1d4ab5d03f1284b67883e8d87530"
    bin_train_list = ["data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin",
                      "data_batch_5.bin"]
    bin_test_list = ["test_batch.bin"]
    bin_meta = "batches.meta.txt"
    bin_label_bytes = 1  # the label used is the last of them

    def __init__(self, root, train=True, transform=None, target_transform=None, download=False):
        super().__init__(root, transform=transform, target_transform=target_transform)

        self.train = train  # training set or test set

        if download:
            self.download()

        if self._check_binary():
            self._load_binary()
        elif self._check_python():
            self._load_python()
        else:
            raise RuntimeError("Dataset not found or corrupted. You can use download=True to download it")

        self.class_to_idx = {_class: i for i, _class in enumerate(self.classes)}

    # ---------------------------------------------------------------- binary version
    @property
    def _record_size(self):
        return self.bin_label_bytes + 3 * 32 * 32

    def _check_binary(self):
        folder = os.path.join(self.root, self.bin_folder)
        for name in self.bin_train_list + self.bin_test_list:
            path = os.path.join(folder, name)
            if not os.path.isfile(path):
                return False
            size = os.path.getsize(path)
            if size == 0 or size % self._record_size:
                return False
        return os.path.isfile(os.path.join(folder, self.bin_meta))

    def _load_binary(self):
        folder = os.path.join(self.root, self.bin_folder)
        names = self.bin_train_list if self.train else self.bin_test_list
        records = np.concatenate([np.fromfile(os.path.join(folder, n), dtype=np.uint8).reshape(-1, self._record_size)
                                  for n in names])
        self.targets = records[:, self.bin_label_bytes - 1].astype(np.int64).tolist()
        pixels = records[:, self.bin_label_bytes:].reshape(-1, 3, 32, 32)
        self.data = np.ascontiguousarray(pixels.transpose((0, 2, 3, 1)))  # convert to HWC
        with open(os.path.join(folder, self.bin_meta), encoding="latin1") as f:
            self.classes = [line.strip() for line in f if line.strip()]

    # ---------------------------------------------------------------- python version (torchvision's)
    def _check_python(self):
        for filename, md5 in self.train_list + self.test_list:
            fpath = os.path.join(self.root, self.base_folder, filename)
            if not check_integrity(fpath, md5):
                return False
        return True

    def _load_python(self):
        if self.train:
            downloaded_list = self.train_list
        else:
            downloaded_list = self.test_list

        data, targets = [], []
        for file_name, _checksum in downloaded_list:
            file_path = os.path.join(self.root, self.base_folder, file_name)
            entry = _restricted_load(file_path)
            if not isinstance(entry, dict) or "data" not in entry:
                raise RuntimeError(f"{file_path}: not a CIFAR batch (a dict with 'data' and labels expected)")
            arr = entry["data"]
            if not isinstance(arr, np.ndarray) or arr.dtype != np.uint8 or arr.ndim != 2 or arr.shape[1] != 3072:
                raise RuntimeError(f"{file_path}: 'data' should be a uint8 array N x 3072")
            labels = entry["labels"] if "labels" in entry else entry.get("fine_labels")
            if labels is None or len(labels) != arr.shape[0]:
                raise RuntimeError(f"{file_path}: the labels are missing or do not match the images")
            data.append(arr)
            targets.extend(int(v) for v in labels)

        self.data = np.ascontiguousarray(np.vstack(data).reshape(-1, 3, 32, 32).transpose((0, 2, 3, 1)))
        self.targets = targets
        self._load_meta()

    def _load_meta(self):
        path = os.path.join(self.root, self.base_folder, self.meta["filename"])
        if not check_integrity(path, self.meta["md5"]):
            raise RuntimeError("Dataset metadata file not found or corrupted. You can use download=True to download it")
        data = _restricted_load(path)
        self.classes = [str(c) for c in data[self.meta["key"]]]

    # ---------------------------------------------------------------- items
    def __getitem__(self, index):
        """
        Args:
            index (int): Index

        Returns:
            tuple: (image, target) where target is index of the target class.
        """
        img, target = self.data[index], self.targets[index]

        # doing this so that it is consistent with all other datasets
        # to return a PIL Image
        from PIL import Image
        img = Image.fromarray(img)

        if self.transform is not None:
            img = self.transform(img)

        if self.target_transform is not None:
            target = self.target_transform(target)

        return img, target

    def __getitems__(self, indices):
        """A whole batch at once (one gather and one ``transform.batch`` call where possible)."""
        if _can_batch(self, CIFAR10) and isinstance(self.data, np.ndarray) and self.data.dtype == np.uint8:
            idx = _batch_indices(indices, len(self.data))
            if idx is not None and len(idx) and self.data.ndim == 4:
                labels = list(operator.itemgetter(*idx.tolist())(self.targets)) if len(idx) > 1 \
                    else [self.targets[int(idx[0])]]
                if all(type(v) is int for v in labels):
                    out = _prebatch(self.transform, self.data[idx], _int_targets(labels), labels.__getitem__)
                    if out is not None:
                        return out
        return [self[i] for i in indices]

    def __len__(self):
        return len(self.data)

    def _check_integrity(self):
        return self._check_binary() or self._check_python()

    def download(self):
        """Fetch the binary version (local mirrors first, then ``bin_mirrors``) unless a version is present."""
        if self._check_integrity():
            return
        name = self.__class__.__name__
        if fetch_from_mirrors(name, self.bin_filename, self.root, md5=self.bin_tgz_md5):
            return
        if fetch_from_mirrors(name, self.filename, self.root, md5=self.tgz_md5):
            return
        for mirror in self.bin_mirrors:
            url = f"{mirror}{self.bin_filename}"
            try:
                print(f"Downloading {url}")
                download_and_extract_archive(url, self.root, filename=self.bin_filename, md5=self.bin_tgz_md5)
            except URLError as error:
                print(f"Failed to download (trying next):\n{error}")
                continue
            finally:
                print()
            return
        raise RuntimeError(f"Error downloading {self.bin_filename}")

    def extra_repr(self):
        split = "Train" if self.train is True else "Test"
        return f"Split: {split}"


class CIFAR100(CIFAR10):
    """`CIFAR100 <https://www.cs.toronto.edu/~kriz/cifar.html>`_ Dataset.

    This is a subclass of the `CIFAR10` Dataset (fine labels; binary version ``cifar-100-binary/``).
    """

    base_folder = "cifar-100-python"
    url = "https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz"
    filename = "cifar-100-python.tar.gz"
    tgz_md5 = "eb9058c3a382ffc7106e4002c42a8d85"
    train_list = [
        ["train", "16019d7e3df5f24257cddd939b257f8d"],
    ]

    test_list = [
        ["test", "f0ef6b0ae62326f3e7ffdfab6717acfc"],
    ]
    meta = {
        "filename": "meta",
        "key": "fine_label_names",
        "md5": "7973b15100ade9c7d40fb424638fde48",
    }

    bin_folder = "cifar-100-binary"
    bin_filename = "cifar-100-binary.tar.gz"
    bin_tgz_md5 = "03b5dce01913d631647c71ecec9e9cb8"
    bin_train_list = ["train.bin"]
    bin_test_list = ["test.bin"]
    bin_meta = "fine_label_names.txt"
    bin_label_bytes = 2  # coarse label, fine label


# ============================================================================ restricted unpickling
def _reconstruct_fn():
    try:
        from numpy._core.multiarray import _reconstruct
    except ImportError:  # NumPy 1.x
        from numpy.core.multiarray import _reconstruct
    return _reconstruct


_PLAIN_KINDS = "biufSU"


def _checked_dtype(obj, align=False, copy=False):
    dt = np.dtype(obj)
    if dt.kind not in _PLAIN_KINDS or dt.hasobject:
        raise pickle.UnpicklingError(f"refusing to unpickle an array of dtype {dt!r}: only plain numeric data")
    return np.dtype(obj, align=bool(align), copy=bool(copy))


def _checked_reconstruct(subtype, shape, dtype):
    if subtype is not np.ndarray:
        raise pickle.UnpicklingError(f"refusing to reconstruct {subtype!r}: only numpy.ndarray")
    return _reconstruct_fn()(np.ndarray, shape, dtype)


def _checked_encode(obj, encoding="utf-8", errors="strict"):
    # how Python 3 pickles bytes at protocol < 3: _codecs.encode(str, 'latin1')
    if not isinstance(obj, str) or encoding not in ("latin1", "latin-1"):
        raise pickle.UnpicklingError("refusing _codecs.encode other than str -> latin1 bytes")
    return codecs.encode(obj, "latin1")


_ALLOWED_GLOBALS = {
    ("numpy.core.multiarray", "_reconstruct"): _checked_reconstruct,
    ("numpy._core.multiarray", "_reconstruct"): _checked_reconstruct,
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): _checked_dtype,
    ("_codecs", "encode"): _checked_encode,
}
_ALLOWED_CALLABLES = (_checked_reconstruct, _checked_dtype, _checked_encode)


class _RestrictedUnpickler(pickle._Unpickler):
    """Pickle's pure-Python unpickler narrowed to CIFAR's content (see the module docstring)."""
    dispatch = pickle._Unpickler.dispatch.copy()

    def find_class(self, module, name):
        obj = _ALLOWED_GLOBALS.get((module, name))
        if obj is None:
            raise pickle.UnpicklingError(
                f"refusing to load the global {module}.{name}: CIFAR files hold only dicts, lists, strings, "
                "numbers and numeric NumPy arrays")
        return obj

    def load_reduce(self):
        args = self.stack.pop()
        func = self.stack[-1]
        if not any(func is f for f in _ALLOWED_CALLABLES):
            raise pickle.UnpicklingError(f"refusing to call {func!r} while unpickling")
        self.stack[-1] = func(*args)

    dispatch[pickle.REDUCE[0]] = load_reduce

    def load_build(self):
        inst = self.stack[-2]
        if not isinstance(inst, (np.ndarray, np.dtype)):
            raise pickle.UnpicklingError(f"refusing to set the state of a {type(inst).__name__} while unpickling")
        pickle._Unpickler.load_build(self)

    dispatch[pickle.BUILD[0]] = load_build

    def _refuse(self):
        raise pickle.UnpicklingError("refusing to create objects while unpickling (only plain data is allowed)")

    for _op in (pickle.NEWOBJ, pickle.NEWOBJ_EX, pickle.INST, pickle.OBJ, pickle.EXT1, pickle.EXT2, pickle.EXT4):
        dispatch[_op[0]] = _refuse
    del _op

    def persistent_load(self, pid):
        raise pickle.UnpicklingError("refusing persistent ids while unpickling")


def _restricted_load(path):
    """Load a CIFAR python-version pickle with the restricted unpickler (latin1 strings, as torchvision)."""
    with open(path, "rb") as f:
        try:
            return _RestrictedUnpickler(f, encoding="latin1").load()
        except pickle.UnpicklingError as e:
            raise pickle.UnpicklingError(f"{path}: {e}") from None
