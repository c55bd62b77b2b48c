"""torchvision.datasets.vision: the VisionDataset base class, StandardTransform, and ember's batched fetch.

Batched fetch
-------------
The in-memory datasets (MNIST family, CIFAR, FakeData) and the folder datasets define
``__getitems__(indices)``, which the DataLoader calls once per batch. When the dataset's ``transform``
has a batched form (``ember.vision.transforms.supports_batch``) and ``target_transform`` is None, the raw
uint8 images of the batch are gathered with one fancy index and transformed with one
``transform.batch(images)`` call; the result is a :class:`~ember.utils.data.Prebatched` batch, so
``default_collate`` passes the image and target tensors through as they are, while any other collate_fn
sees the ordinary list of ``(image, target)`` samples. Random transforms draw their parameters image by
image in the per-item order, so batches are bit-identical to the per-item path. In every other case
(no transform, a transform without a batched form, a target_transform, a subclass that overrides
``__getitem__``, unusual indices) ``__getitems__`` returns ``[self[i] for i in indices]``.
"""
import os

import numpy as np

from ..._tensor import Tensor, wrap
from ...utils.data import Dataset
from ...utils.data._collate import Prebatched
from ...utils.data.dataset import _gather_index, _index_tensor

__all__ = ["VisionDataset", "StandardTransform"]


class VisionDataset(Dataset):
    """Base class for making datasets which are compatible with ember.vision.

    Args:
        root (str or ``pathlib.Path``, optional): Root directory of dataset. Only used for `__repr__`.
        transforms (callable, optional): A function/transforms that takes in an image and a label and
            returns the transformed versions of both.
        transform (callable, optional): A function/transform that takes in a PIL image and returns a
            transformed version. E.g, ``transforms.RandomCrop``
        target_transform (callable, optional): A function/transform that takes in the target and
            transforms it.

    .. note:: :attr:`transforms` and the combination of :attr:`transform` and :attr:`target_transform`
        are mutually exclusive.
    """
    _repr_indent = 4

    def __init__(self, root=None, transforms=None, transform=None, target_transform=None):
        if isinstance(root, str):
            root = os.path.expanduser(root)
        self.root = root

        has_transforms = transforms is not None
        has_separate_transform = transform is not None or target_transform is not None
        if has_transforms and has_separate_transform:
            raise ValueError("Only transforms or transform/target_transform can be passed as argument")

        # for backwards-compatibility
        self.transform = transform
        self.target_transform = target_transform

        if has_separate_transform:
            transforms = StandardTransform(transform, target_transform)
        self.transforms = transforms

    def __getitem__(self, index):
        raise NotImplementedError

    def __len__(self):
        raise NotImplementedError

    def __repr__(self):
        head = "Dataset " + self.__class__.__name__
        body = [f"Number of datapoints: {self.__len__()}"]
        if self.root is not None:
            body.append(f"Root location: {self.root}")
        body += self.extra_repr().splitlines()
        if hasattr(self, "transforms") and self.transforms is not None:
            body += [repr(self.transforms)]
        lines = [head] + [" " * self._repr_indent + line for line in body]
        return "\n".join(lines)

    def _format_transform_repr(self, transform, head):
        lines = transform.__repr__().splitlines()
        return [f"{head}{lines[0]}"] + ["{}{}".format(" " * len(head), line) for line in lines[1:]]

    def extra_repr(self):
        return ""


class StandardTransform:
    def __init__(self, transform=None, target_transform=None):
        self.transform = transform
        self.target_transform = target_transform

    def __call__(self, input, target):
        if self.transform is not None:
            input = self.transform(input)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return input, target

    def _format_transform_repr(self, transform, head):
        lines = transform.__repr__().splitlines()
        return [f"{head}{lines[0]}"] + ["{}{}".format(" " * len(head), line) for line in lines[1:]]

    def __repr__(self):
        body = [self.__class__.__name__]
        if self.transform is not None:
            body += self._format_transform_repr(self.transform, "Transform: ")
        if self.target_transform is not None:
            body += self._format_transform_repr(self.target_transform, "Target transform: ")
        return "\n".join(body)


# ============================================================================ batched fetch helpers
def _as_numpy(x):
    """A NumPy view/array of a dataset attribute (ember Tensor, ndarray, list)."""
    if isinstance(x, Tensor):
        d = x._data
        if isinstance(d, np.ndarray):
            return d
        return x.detach().cpu().numpy()
    if isinstance(x, np.ndarray):
        return x
    return np.asarray(x)


def _can_batch(ds, base_cls):
    """Whether ``ds`` may serve a batch through ``transform.batch`` (see the module docstring)."""
    if type(ds).__getitem__ is not base_cls.__getitem__:
        return False  # a subclass changed what an item is: honour it
    t = ds.transform
    if t is None or ds.target_transform is not None:
        return False
    from ..transforms import supports_batch
    return supports_batch(t) and callable(getattr(t, "batch", None))


def _batch_indices(indices, n):
    """The indices as an intp array with negatives wrapped, or None (unusual indices: per-item path).

    Raises torch's IndexError for an out-of-range index, as the per-item path would.
    """
    idx = _gather_index(indices)
    if idx is None:
        return None
    if idx.size and (idx.max() >= n or idx.min() < -n):
        bad = int(idx[(idx >= n) | (idx < -n)][0])
        raise IndexError(f"index {bad} is out of bounds for dimension 0 with size {n}")
    return idx


def _prebatch(transform, images, targets, target_of):
    """Run ``transform.batch(images)`` and package the batch.

    ``targets``: the collated targets (a Tensor, as default_collate builds it from the per-item targets);
    ``target_of(i)``: the per-item target of sample i (what ``__getitem__`` returns). Returns a
    :class:`Prebatched` for a tensor result, a plain list of ``(PIL image, target)`` for a PIL-kind result,
    or None when the transform declined (``NotImplemented``).
    """
    out = transform.batch(images)
    if out is NotImplemented:
        return None
    n = images.shape[0]
    if isinstance(out, Tensor):
        def make_samples():
            return [(_index_tensor(out, i), target_of(i)) for i in range(n)]
        return Prebatched([out, targets], n, sample_type=tuple, make_samples=make_samples)
    from PIL import Image  # a PIL-kind result: uint8 arrays standing for the per-item PIL images
    return [(Image.fromarray(np.ascontiguousarray(out[i])), target_of(i)) for i in range(n)]


def _int_targets(values):
    """default_collate's tensor for a batch of Python int targets: int64."""
    return wrap(np.ascontiguousarray(values, dtype=np.int64))
