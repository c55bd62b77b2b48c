"""MNIST, FashionMNIST, KMNIST, EMNIST, QMNIST (torchvision.datasets.mnist).

The IDX ("SN3 Pascal Vincent") files are parsed with NumPy in one call: magic number (two zero bytes, a
type code, the number of dimensions), big-endian int32 dimensions, then the data, big-endian for the
multi-byte types. gzip-compressed files are read transparently. ``data`` is an ember uint8 tensor
N x 28 x 28 and ``targets`` an int64 tensor, as in torchvision; items are ``(PIL image mode 'L', int)``.

Downloads: the local mirrors first (``EMBER_DATASETS_MIRROR``, then ``utils.LOCAL_MIRRORS``, e.g.
Debian's ``/usr/share/datasets/fashion-mnist``), then the mirrors of torchvision's resource lists.
The legacy ``processed/training.pt`` files of old torchvision versions are not read (they are pickles).
"""
import gzip
import os
import os.path
import shutil
import string
import warnings
from urllib.error import URLError

import numpy as np

from ..._tensor import wrap
from .utils import (check_integrity, download_and_extract_archive, extract_archive, fetch_from_mirrors,
                    verify_str_arg)
from .vision import VisionDataset, _as_numpy, _batch_indices, _can_batch, _int_targets, _prebatch

__all__ = ["MNIST", "FashionMNIST", "KMNIST", "EMNIST", "QMNIST", "read_sn3_pascalvincent_tensor",
           "read_image_file", "read_label_file"]


class MNIST(VisionDataset):
    """`MNIST <http://yann.lecun.com/exdb/mnist/>`_ Dataset.

    Args:
        root (str or ``pathlib.Path``): Root directory of dataset where ``MNIST/raw/train-images-idx3-ubyte``
            and  ``MNIST/raw/t10k-images-idx3-ubyte`` exist.
        train (bool, optional): If True, creates dataset from ``train-images-idx3-ubyte``,
            otherwise from ``t10k-images-idx3-ubyte``.
        download (bool, optional): If True, downloads the dataset (local mirrors first) and puts it in
            root directory. If dataset is already downloaded, it is not downloaded again.
        transform (callable, optional): A function/transform that  takes in a PIL image
            and returns a transformed version. E.g, ``transforms.RandomCrop``
        target_transform (callable, optional): A function/transform that takes in the
            target and transforms it.
    """

    mirrors = [
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "http://yann.lecun.com/exdb/mnist/",
    ]

    resources = [
        ("train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
        ("train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432"),
        ("t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3"),
        ("t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c"),
    ]

    # MD5 of the decompressed files: lets a local mirror with recompressed .gz files be accepted
    raw_md5s = {
        "train-images-idx3-ubyte": "6bbc9ace898e44ae57da46a324031adb",
        "train-labels-idx1-ubyte": "a25bea736e30d166cdddb491f175f624",
        "t10k-images-idx3-ubyte": "2646ac647ad5339dbf082846283269ea",
        "t10k-labels-idx1-ubyte": "27ae3e4e09519cfbb04c329615203637",
    }

    training_file = "training.pt"
    test_file = "test.pt"
    classes = [
        "0 - zero",
        "1 - one",
        "2 - two",
        "3 - three",
        "4 - four",
        "5 - five",
        "6 - six",
        "7 - seven",
        "8 - eight",
        "9 - nine",
    ]

    @property
    def train_labels(self):
        warnings.warn("train_labels has been renamed targets")
        return self.targets

    @property
    def test_labels(self):
        warnings.warn("test_labels has been renamed targets")
        return self.targets

    @property
    def train_data(self):
        warnings.warn("train_data has been renamed data")
        return self.data

    @property
    def test_data(self):
        warnings.warn("test_data has been renamed data")
        return self.data

    def __init__(self, root, train=True, transform=None, target_transform=None, download=False):
        super().__init__(root, transform=transform, target_transform=target_transform)
        self.train = train  # training set or test set

        if download:
            self.download()

        if not self._check_exists():
            raise RuntimeError("Dataset not found. You can use download=True to download it")

        self.data, self.targets = self._load_data()

    def _load_data(self):
        image_file = f"{'train' if self.train else 't10k'}-images-idx3-ubyte"
        data = read_image_file(os.path.join(self.raw_folder, image_file))

        label_file = f"{'train' if self.train else 't10k'}-labels-idx1-ubyte"
        targets = read_label_file(os.path.join(self.raw_folder, label_file))

        return data, targets

    def __getitem__(self, index):
        """
        Args:
            index (int): Index

        Returns:
            tuple: (image, target) where target is index of the target class.
        """
        img, target = self.data[index], int(self.targets[index])

        # doing this so that it is consistent with all other datasets
        # to return a PIL Image
        from PIL import Image
        img = Image.fromarray(np.ascontiguousarray(_as_numpy(img)), mode="L") if _fromarray_takes_mode() \
            else Image.fromarray(np.ascontiguousarray(_as_numpy(img)))

        if self.transform is not None:
            img = self.transform(img)

        if self.target_transform is not None:
            target = self.target_transform(target)

        return img, target

    def __getitems__(self, indices):
        """A whole batch at once (one gather and one ``transform.batch`` call where possible; see
        :mod:`ember.vision.datasets.vision`)."""
        if _can_batch(self, MNIST):
            data = _as_numpy(self.data)
            idx = _batch_indices(indices, data.shape[0])
            if idx is not None and data.dtype == np.uint8 and data.ndim == 3:
                labels = _as_numpy(self.targets)[idx]
                out = _prebatch(self.transform, data[idx], _int_targets(labels), lambda i: int(labels[i]))
                if out is not None:
                    return out
        return [self[i] for i in indices]

    def __len__(self):
        return len(self.data)

    @property
    def raw_folder(self):
        return os.path.join(self.root, self.__class__.__name__, "raw")

    @property
    def processed_folder(self):
        return os.path.join(self.root, self.__class__.__name__, "processed")

    @property
    def class_to_idx(self):
        return {_class: i for i, _class in enumerate(self.classes)}

    def _check_exists(self):
        return all(
            check_integrity(os.path.join(self.raw_folder, os.path.splitext(os.path.basename(url))[0]))
            for url, _ in self.resources
        )

    def download(self):
        """Download the data if it doesn't exist already: local mirrors first, then ``self.mirrors``."""

        if self._check_exists():
            return

        os.makedirs(self.raw_folder, exist_ok=True)

        for filename, md5 in self.resources:
            raw_name = os.path.splitext(filename)[0]
            if check_integrity(os.path.join(self.raw_folder, raw_name)):
                continue  # this one is already in place
            if fetch_from_mirrors(self.__class__.__name__, filename, self.raw_folder, md5=md5,
                                  raw_md5=self.raw_md5s.get(raw_name)):
                continue
            _download_from(self.mirrors, filename, self.raw_folder, md5)

    def extra_repr(self):
        split = "Train" if self.train is True else "Test"
        return f"Split: {split}"


def _download_from(mirrors, filename, raw_folder, md5):
    """Download and extract ``filename`` from the first of ``mirrors`` that answers (torchvision's loop)."""
    for mirror in mirrors:
        url = f"{mirror}{filename}"
        try:
            print(f"Downloading {url}")
            download_and_extract_archive(url, download_root=raw_folder, filename=filename, md5=md5)
        except URLError as error:
            print(f"Failed to download (trying next):\n{error}")
            continue
        finally:
            print()
        break
    else:
        raise RuntimeError(f"Error downloading {filename}")


class FashionMNIST(MNIST):
    """`Fashion-MNIST <https://github.com/zalandoresearch/fashion-mnist>`_ Dataset.

    Args:
        root (str or ``pathlib.Path``): Root directory of dataset where ``FashionMNIST/raw/train-images-idx3-ubyte``
            and  ``FashionMNIST/raw/t10k-images-idx3-ubyte`` exist.
        train (bool, optional): If True, creates dataset from ``train-images-idx3-ubyte``,
            otherwise from ``t10k-images-idx3-ubyte``.
        download (bool, optional): If True, downloads the dataset (local mirrors first, e.g. Debian's
            ``dataset-fashion-mnist`` package) and puts it in root directory. If dataset is already
            downloaded, it is not downloaded again.
        transform (callable, optional): A function/transform that  takes in a PIL image
            and returns a transformed version. E.g, ``transforms.RandomCrop``
        target_transform (callable, optional): A function/transform that takes in the
            target and transforms it.
    """

    mirrors = ["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"]

    resources = [
        ("train-images-idx3-ubyte.gz", "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
        ("train-labels-idx1-ubyte.gz", "25c81989df183df01b3e8a0aad5dffbe"),
        ("t10k-images-idx3-ubyte.gz", "bef4ecab320f06d8554ea6380940ec79"),
        ("t10k-labels-idx1-ubyte.gz", "bb300cfdad3c16e7a12a480ee83cd310"),
    ]
    raw_md5s = {
        "train-images-idx3-ubyte": "f4a8712d7a061bf5bd6d2ca38dc4d50a",
        "train-labels-idx1-ubyte": "9018921c3c673c538a1fc5bad174d6f9",
        "t10k-images-idx3-ubyte": "8181f5470baa50b63fa0f6fddb340f0a",
        "t10k-labels-idx1-ubyte": "15d484375f8d13e6eb1aabb0c3f46965",
    }
    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]


class KMNIST(MNIST):
    """`Kuzushiji-MNIST <https://github.com/rois-codh/kmnist>`_ Dataset (same arguments as :class:`MNIST`)."""

    mirrors = ["http://codh.rois.ac.jp/kmnist/dataset/kmnist/"]

    resources = [
        ("train-images-idx3-ubyte.gz", "bdb82020997e1d708af4cf47b453dcf7"),
        ("train-labels-idx1-ubyte.gz", "e144d726b3acfaa3e44228e80efcd344"),
        ("t10k-images-idx3-ubyte.gz", "5c965bf0a639b31b8f53240b1b52f4d7"),
        ("t10k-labels-idx1-ubyte.gz", "7320c461ea6c1c855c0b718fb2a4b134"),
    ]
    raw_md5s = {}
    classes = ["o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo"]


class EMNIST(MNIST):
    """`EMNIST <https://www.westernsydney.edu.au/bens/home/reproducible_research/emnist>`_ Dataset.

    Args:
        root (str or ``pathlib.Path``): Root directory of dataset where ``EMNIST/raw/`` holds the
            ``emnist-<split>-{train,test}-{images-idx3,labels-idx1}-ubyte`` files.
        split (string): The dataset has 6 different splits: ``byclass``, ``bymerge``,
            ``balanced``, ``letters``, ``digits`` and ``mnist``. This argument specifies
            which one to use.
        train (bool, optional): If True, creates dataset from the training files, otherwise from the test ones.
        download, transform, target_transform: as for :class:`MNIST`.
    """

    url = "https://www.itl.nist.gov/iaui/vip/cs_links/EMNIST/gzip.zip"
    mirrors = ["https://www.itl.nist.gov/iaui/vip/cs_links/EMNIST/", "https://biometrics.nist.gov/cs_links/EMNIST/"]
    md5 = "58c8d27c78d21e728a6bc7b3cc06412e"
    splits = ("byclass", "bymerge", "balanced", "letters", "digits", "mnist")
    # Merged Classes assumes Same structure for both uppercase and lowercase version
    _merged_classes = {"c", "i", "j", "k", "l", "m", "o", "p", "s", "u", "v", "w", "x", "y", "z"}
    _all_classes = set(string.digits + string.ascii_letters)
    classes_split_dict = {
        "byclass": sorted(list(_all_classes)),
        "bymerge": sorted(list(_all_classes - _merged_classes)),
        "balanced": sorted(list(_all_classes - _merged_classes)),
        "letters": ["N/A"] + list(string.ascii_lowercase),
        "digits": list(string.digits),
        "mnist": list(string.digits),
    }

    def __init__(self, root, split, **kwargs):
        self.split = verify_str_arg(split, "split", self.splits)
        self.training_file = self._training_file(split)
        self.test_file = self._test_file(split)
        super().__init__(root, **kwargs)
        self.classes = self.classes_split_dict[self.split]

    @staticmethod
    def _training_file(split):
        return f"training_{split}.pt"

    @staticmethod
    def _test_file(split):
        return f"test_{split}.pt"

    @property
    def _file_prefix(self):
        return f"emnist-{self.split}-{'train' if self.train else 'test'}"

    @property
    def images_file(self):
        return os.path.join(self.raw_folder, f"{self._file_prefix}-images-idx3-ubyte")

    @property
    def labels_file(self):
        return os.path.join(self.raw_folder, f"{self._file_prefix}-labels-idx1-ubyte")

    def _load_data(self):
        return read_image_file(self.images_file), read_label_file(self.labels_file)

    def _check_exists(self):
        return all(check_integrity(file) for file in (self.images_file, self.labels_file))

    def download(self):
        """Download the EMNIST data (gzip.zip, all splits) if it doesn't exist already."""

        if self._check_exists():
            return

        os.makedirs(self.raw_folder, exist_ok=True)
        filename = os.path.basename(self.url)
        if not fetch_from_mirrors(self.__class__.__name__, filename, self.raw_folder, md5=self.md5):
            _download_from(self.mirrors, filename, self.raw_folder, self.md5)
        gzip_folder = os.path.join(self.raw_folder, "gzip")
        for gzip_file in os.listdir(gzip_folder):
            if gzip_file.endswith(".gz"):
                extract_archive(os.path.join(gzip_folder, gzip_file), self.raw_folder)
        shutil.rmtree(gzip_folder)


class QMNIST(MNIST):
    """`QMNIST <https://github.com/facebookresearch/qmnist>`_ Dataset.

    Args:
        root (str or ``pathlib.Path``): Root directory of dataset whose ``raw``
            subdir contains binary files of the datasets.
        what (string,optional): Can be 'train', 'test', 'test10k', 'test50k', or 'nist'.
            The default is to select 'train' or 'test' according to the compatibility argument 'train'.
        compat (bool,optional): Whether the target is the class number (for compatibility with
            the MNIST dataloader) or a tensor with the full qmnist information. Default=True.
        download, transform, target_transform: as for :class:`MNIST`.
        train (bool,optional,compatibility): When argument 'what' is not specified, this boolean decides
            whether to load the training set or the testing set.  Default: True.
    """

    subsets = {"train": "train", "test": "test", "test10k": "test", "test50k": "test", "nist": "nist"}
    resources = {
        "train": [
            (
                "https://raw.githubusercontent.com/facebookresearch/qmnist/master/qmnist-train-images-idx3-ubyte.gz",
                "ed72d4157d28c017586c42bc6afe6370",
            ),
            (
                "https://raw.githubusercontent.com/facebookresearch/qmnist/master/qmnist-train-labels-idx2-int.gz",
                "0058f8dd561b90ffdd0f734c6a30e5e4",
            ),
        ],
        "test": [
            (
                "https://raw.githubusercontent.com/facebookresearch/qmnist/master/qmnist-test-images-idx3-ubyte.gz",
                "1394631089c404de565df7b7aeaf9412",
            ),
            (
                "https://raw.githubusercontent.com/facebookresearch/qmnist/master/qmnist-test-labels-idx2-int.gz",
                "5b5b05890a5e13444e108efe57b788aa",
            ),
        ],
        "nist": [
            (
                "https://raw.githubusercontent.com/facebookresearch/qmnist/master/xnist-images-idx3-ubyte.xz",
                "7f124b3b8ab81486c9d8c2749c17f834",
            ),
            (
                "https://raw.githubusercontent.com/facebookresearch/qmnist/master/xnist-labels-idx2-int.xz",
                "5ed0e788978e45d4a8bd4b7caec3d79d",
            ),
        ],
    }
    raw_md5s = {}
    classes = list(MNIST.classes)  # the same names, in a list of its own as in torchvision

    def __init__(self, root, what=None, compat=True, train=True, **kwargs):
        if what is None:
            what = "train" if train else "test"
        self.what = verify_str_arg(what, "what", tuple(self.subsets.keys()))
        self.compat = compat
        self.data_file = what + ".pt"
        self.training_file = self.data_file
        self.test_file = self.data_file
        super().__init__(root, train, **kwargs)

    @property
    def images_file(self):
        (url, _), _ = self.resources[self.subsets[self.what]]
        return os.path.join(self.raw_folder, os.path.splitext(os.path.basename(url))[0])

    @property
    def labels_file(self):
        _, (url, _) = self.resources[self.subsets[self.what]]
        return os.path.join(self.raw_folder, os.path.splitext(os.path.basename(url))[0])

    def _check_exists(self):
        return all(check_integrity(file) for file in (self.images_file, self.labels_file))

    def _load_data(self):
        data = _read_idx(self.images_file)
        if data.dtype != np.uint8:
            raise TypeError(f"data should be of dtype torch.uint8 instead of {_dtype_name(data.dtype)}")
        if data.ndim != 3:
            raise ValueError(f"data should have 3 dimensions instead of {data.ndim}")

        targets = _read_idx(self.labels_file).astype(np.int64)
        if targets.ndim != 2:
            raise ValueError(f"targets should have 2 dimensions instead of {targets.ndim}")

        if self.what == "test10k":
            data = data[0:10000, :, :].copy()
            targets = targets[0:10000, :].copy()
        elif self.what == "test50k":
            data = data[10000:, :, :].copy()
            targets = targets[10000:, :].copy()

        return wrap(data), wrap(targets)

    def download(self):
        """Download the QMNIST data if it doesn't exist already (only the subset asked for)."""
        if self._check_exists():
            return

        os.makedirs(self.raw_folder, exist_ok=True)
        split = self.resources[self.subsets[self.what]]

        for url, md5 in split:
            filename = os.path.basename(url)
            if fetch_from_mirrors(self.__class__.__name__, filename, self.raw_folder, md5=md5):
                continue
            download_and_extract_archive(url, self.raw_folder, md5=md5)

    def __getitem__(self, index):
        # redefined to handle the compat flag
        img, target = self.data[index], self.targets[index]
        from PIL import Image
        img = Image.fromarray(np.ascontiguousarray(_as_numpy(img)))
        if self.transform is not None:
            img = self.transform(img)
        if self.compat:
            target = int(target[0])
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def __getitems__(self, indices):
        if _can_batch(self, QMNIST):
            data = _as_numpy(self.data)
            idx = _batch_indices(indices, data.shape[0])
            if idx is not None and data.dtype == np.uint8 and data.ndim == 3:
                rows = _as_numpy(self.targets)[idx]
                if self.compat:
                    labels = rows[:, 0]
                    out = _prebatch(self.transform, data[idx], _int_targets(labels), lambda i: int(labels[i]))
                else:
                    tt = wrap(np.ascontiguousarray(rows))
                    out = _prebatch(self.transform, data[idx], tt, lambda i: wrap(rows[i].copy()))
                if out is not None:
                    return out
        return [self[i] for i in indices]

    def extra_repr(self):
        return f"Split: {self.what}"


# ============================================================================ IDX parsing
SN3_PASCALVINCENT_TYPEMAP = {
    8: np.dtype(np.uint8),
    9: np.dtype(np.int8),
    11: np.dtype(">i2"),
    12: np.dtype(">i4"),
    13: np.dtype(">f4"),
    14: np.dtype(">f8"),
}

_TORCH_NAMES = {np.uint8: "torch.uint8", np.int8: "torch.int8", np.int16: "torch.int16", np.int32: "torch.int32",
                np.float32: "torch.float32", np.float64: "torch.float64"}


def _dtype_name(dt):
    return _TORCH_NAMES.get(np.dtype(dt).newbyteorder("=").type, str(dt))


_FROMARRAY_MODE = None


def _fromarray_takes_mode():
    """Pillow >= 11.3 deprecates ``Image.fromarray(..., mode=)``; a 2-D uint8 array is mode 'L' anyway."""
    global _FROMARRAY_MODE
    if _FROMARRAY_MODE is None:
        import PIL
        try:
            major, minor = (int(x) for x in PIL.__version__.split(".")[:2])
        except ValueError:
            major, minor = 0, 0
        _FROMARRAY_MODE = (major, minor) < (11, 3)
    return _FROMARRAY_MODE


def _read_bytes(path):
    with open(path, "rb") as f:
        data = f.read()
    if data[:2] == b"\x1f\x8b":  # gzip magic: a compressed IDX file
        data = gzip.decompress(data)
    elif data[:6] == b"\xfd7zXZ\x00":
        import lzma
        data = lzma.decompress(data)
    return data


def _read_idx(path, strict=True):
    """Parse an IDX file into a native-byte-order NumPy array (one ``frombuffer``, no Python loops)."""
    data = _read_bytes(path)
    if len(data) < 4 or data[0] != 0 or data[1] != 0:
        raise RuntimeError(f"{path} is not an IDX file: its magic number {data[:4].hex()} does not start "
                           "with two zero bytes")
    ty, nd = data[2], data[3]
    if not 1 <= nd <= 3:
        raise RuntimeError(f"{path}: unsupported number of dimensions {nd} in the IDX header (expected 1 to 3)")
    if ty not in SN3_PASCALVINCENT_TYPEMAP:
        raise RuntimeError(f"{path}: unknown IDX data type code 0x{ty:02X} (expected one of "
                           f"{', '.join(f'0x{k:02X}' for k in SN3_PASCALVINCENT_TYPEMAP)})")
    header = 4 * (nd + 1)
    if len(data) < header:
        raise RuntimeError(f"{path} is truncated: {len(data)} bytes, the IDX header alone needs {header}")
    shape = tuple(int(s) for s in np.frombuffer(data, dtype=">u4", count=nd, offset=4))
    dtype = SN3_PASCALVINCENT_TYPEMAP[ty]
    count = (len(data) - header) // dtype.itemsize
    expected = int(np.prod(shape, dtype=np.int64))
    if count < expected or (strict and count != expected):
        raise RuntimeError(f"{path} is truncated or corrupted: the header announces shape {shape} "
                           f"({expected} elements) but the file holds {count}")
    parsed = np.frombuffer(data, dtype=dtype, count=expected, offset=header)
    if dtype.itemsize > 1:
        parsed = parsed.astype(dtype.newbyteorder("="))  # big-endian on disk -> native
    else:
        parsed = parsed.copy()  # a writable array that owns its memory
    return parsed.reshape(shape)


def read_sn3_pascalvincent_tensor(path, strict=True):
    """Read a SN3 file in "Pascal Vincent" (IDX) format into an ember tensor (gzip/xz-compressed or not)."""
    return wrap(_read_idx(path, strict=strict))


def _read_uint8_idx(path, ndim):
    """An IDX file that must hold uint8 data of ``ndim`` dimensions (torchvision's checks and messages)."""
    x = _read_idx(path, strict=False)
    if x.dtype != np.uint8:
        raise TypeError(f"x should be of dtype torch.uint8 instead of {_dtype_name(x.dtype)}")
    if x.ndim != ndim:
        raise ValueError(f"x should have {ndim} dimension instead of {x.ndim}")
    return x


def read_label_file(path):
    return wrap(_read_uint8_idx(path, 1).astype(np.int64))


def read_image_file(path):
    return wrap(_read_uint8_idx(path, 3))
