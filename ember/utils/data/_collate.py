"""default_collate / default_convert with torch's rules (torch.utils.data._utils.collate), plus Prebatched.

``Prebatched`` is ember's batched-fetch marker: a dataset's ``__getitems__`` may return one, holding the
batch already collated (e.g. one gather per tensor). ``default_collate`` then returns it as it is; any
other collate_fn sees an ordinary list of per-sample items (built lazily on first use).
"""
import collections
import copy
import re

import numpy as np

from ..._tensor import Tensor, wrap

__all__ = ["default_collate", "default_convert", "collate", "default_collate_fn_map", "Prebatched",
           "collate_tensor_fn", "collate_numpy_array_fn", "collate_numpy_scalar_fn", "collate_float_fn",
           "collate_int_fn", "collate_str_fn"]

np_str_obj_array_pattern = re.compile(r"[SaUO]")

default_collate_err_msg_format = ("default_collate: batch must contain tensors, numpy arrays, numbers, "
                                  "dicts or lists; found {}")


def _unbatch(collated, i, sample_type=list):
    """Sample ``i`` of a collated batch (inverse of default_collate for tensors, lists, dicts, namedtuples)."""
    if isinstance(collated, Tensor):
        from .dataset import _index_tensor
        return _index_tensor(collated, i)
    if isinstance(collated, collections.abc.Mapping):
        return {k: _unbatch(v, i) for k, v in collated.items()}
    if isinstance(collated, tuple) and hasattr(collated, "_fields"):
        return type(collated)(*(_unbatch(v, i) for v in collated))
    if isinstance(collated, (list, tuple)):
        if collated and not isinstance(collated[0], (Tensor, list, tuple, collections.abc.Mapping)):
            return collated[i]  # a leaf list (strings, objects)
        return sample_type(_unbatch(v, i) for v in collated)
    return collated[i]


class Prebatched(list):
    """A batch of samples held already collated (``.collated``), materialised as a list only when needed.

    ``Prebatched(collated, length, sample_type=tuple, make_samples=None)``: ``collated`` is what
    ``default_collate`` would return for the samples; ``make_samples()`` (optional) builds the list of
    per-sample items, by default by indexing the collated tensors/lists/dicts.
    """
    __slots__ = ("collated", "_length", "_sample_type", "_make", "_filled")

    def __init__(self, collated, length, sample_type=tuple, make_samples=None):
        super().__init__()
        self.collated = collated
        self._length = length
        self._sample_type = sample_type
        self._make = make_samples
        self._filled = False

    def _fill(self):
        if not self._filled:
            self._filled = True
            if self._make is not None:
                items = self._make()
            else:
                items = [_unbatch(self.collated, i, self._sample_type) for i in range(self._length)]
            list.extend(self, items)
        return self

    def __len__(self):
        return self._length if not self._filled else list.__len__(self)

    def __reduce__(self):  # crosses processes as a plain list of samples
        return (list, (list(self._fill()),))


def _materialising(name):
    base = getattr(list, name)

    def method(self, *args, **kwargs):
        return base(self._fill(), *args, **kwargs)
    method.__name__ = name
    return method


for _name in ("__getitem__", "__iter__", "__reversed__", "__contains__", "__eq__", "__ne__", "__lt__", "__le__",
              "__gt__", "__ge__", "__add__", "__mul__", "__rmul__", "__iadd__", "__imul__", "__setitem__",
              "__delitem__", "__repr__", "append", "extend", "insert", "pop", "remove", "index", "count", "sort",
              "reverse", "copy", "clear"):
    setattr(Prebatched, _name, _materialising(_name))
Prebatched.__hash__ = None


def _as_tensor(data):
    from ...ops.creation import as_tensor
    return as_tensor(data)


def default_convert(data):
    """Convert NumPy arrays/scalars to tensors inside lists, tuples, dicts, namedtuples (torch's rules)."""
    elem_type = type(data)
    if isinstance(data, Tensor):
        return data
    if elem_type.__module__ == "numpy" and elem_type.__name__ not in ("str_", "string_", "bytes_"):
        if elem_type.__name__ in ("ndarray", "memmap") and np_str_obj_array_pattern.search(data.dtype.str) is not None:
            return data
        return _as_tensor(data)
    if isinstance(data, collections.abc.Mapping):
        try:
            if isinstance(data, collections.abc.MutableMapping):
                clone = copy.copy(data)
                clone.update({key: default_convert(data[key]) for key in data})
                return clone
            return elem_type({key: default_convert(data[key]) for key in data})
        except TypeError:
            return {key: default_convert(data[key]) for key in data}
    if isinstance(data, tuple) and hasattr(data, "_fields"):  # namedtuple
        return elem_type(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]  # torch's backwards compatibility: a list
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        try:
            if isinstance(data, collections.abc.MutableSequence):
                clone = copy.copy(data)
                for i, d in enumerate(data):
                    clone[i] = default_convert(d)
                return clone
            return elem_type([default_convert(d) for d in data])
        except TypeError:
            return [default_convert(d) for d in data]
    return data


def collate(batch, *, collate_fn_map=None):
    """torch's generic collate: dispatch on the first element's type through ``collate_fn_map``."""
    elem = batch[0]
    elem_type = type(elem)
    if collate_fn_map is not None:
        if elem_type in collate_fn_map:
            return collate_fn_map[elem_type](batch, collate_fn_map=collate_fn_map)
        for collate_type in collate_fn_map:
            if isinstance(elem, collate_type):
                return collate_fn_map[collate_type](batch, collate_fn_map=collate_fn_map)
    if isinstance(elem, collections.abc.Mapping):
        try:
            if isinstance(elem, collections.abc.MutableMapping):
                clone = copy.copy(elem)
                clone.update({key: collate([d[key] for d in batch], collate_fn_map=collate_fn_map) for key in elem})
                return clone
            return elem_type({key: collate([d[key] for d in batch], collate_fn_map=collate_fn_map) for key in elem})
        except TypeError:
            return {key: collate([d[key] for d in batch], collate_fn_map=collate_fn_map) for key in elem}
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # namedtuple
        return elem_type(*(collate(samples, collate_fn_map=collate_fn_map) for samples in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        it = iter(batch)
        elem_size = len(next(it))
        if not all(len(e) == elem_size for e in it):
            raise RuntimeError("each element in list of batch should be of equal size")
        transposed = list(zip(*batch))
        if isinstance(elem, tuple):
            return [collate(samples, collate_fn_map=collate_fn_map) for samples in transposed]
        try:
            if isinstance(elem, collections.abc.MutableSequence):
                clone = copy.copy(elem)
                for i, samples in enumerate(transposed):
                    clone[i] = collate(samples, collate_fn_map=collate_fn_map)
                return clone
            return elem_type([collate(samples, collate_fn_map=collate_fn_map) for samples in transposed])
        except TypeError:
            return [collate(samples, collate_fn_map=collate_fn_map) for samples in transposed]
    raise TypeError(default_collate_err_msg_format.format(elem_type))


def collate_tensor_fn(batch, *, collate_fn_map=None):
    first = batch[0]._data
    shape, dtype, cls = first.shape, first.dtype, first.__class__
    for t in batch:  # the common case: one array-module stack, no per-sample dispatch
        d = t._data
        if d.shape != shape or d.dtype != dtype or d.__class__ is not cls or t._requires_grad:
            break
    else:
        if cls is np.ndarray:
            return wrap(np.stack([t._data for t in batch]))
        from ..._device import xp_of
        return wrap(xp_of(first).stack([t._data for t in batch]))
    from ...ops.shape import stack
    return stack(list(batch), 0)  # autograd, dtype promotion and torch's size error


def collate_numpy_array_fn(batch, *, collate_fn_map=None):
    elem = batch[0]
    if np_str_obj_array_pattern.search(elem.dtype.str) is not None:
        raise TypeError(default_collate_err_msg_format.format(elem.dtype))
    return collate([_as_tensor(b) for b in batch], collate_fn_map=collate_fn_map)


def collate_numpy_scalar_fn(batch, *, collate_fn_map=None):
    return _as_tensor(np.array(batch))


def collate_float_fn(batch, *, collate_fn_map=None):
    from ...ops.creation import tensor
    from ... import _dtype
    return tensor(batch, dtype=_dtype.float64)


def collate_int_fn(batch, *, collate_fn_map=None):
    from ...ops.creation import tensor
    return tensor(batch)


def collate_str_fn(batch, *, collate_fn_map=None):
    return batch


default_collate_fn_map = {
    Tensor: collate_tensor_fn,
    np.ndarray: collate_numpy_array_fn,
    (np.bool_, np.number, np.object_): collate_numpy_scalar_fn,
    float: collate_float_fn,
    int: collate_int_fn,
    str: collate_str_fn,
    bytes: collate_str_fn,
}


def default_collate(batch):
    """Stack a list of samples into a batch, following the samples' structure (torch's default_collate).

    Tensors are stacked on a new dim 0; NumPy arrays and scalars become tensors; Python floats a float64
    tensor, ints an int64 tensor, bools a bool tensor; strings stay a list; dicts, namedtuples, tuples and
    lists are collated field by field (tuples give lists). A :class:`Prebatched` batch is returned as it is.
    """
    if batch.__class__ is Prebatched and not batch._filled:
        return batch.collated
    return collate(batch, collate_fn_map=default_collate_fn_map)
