"""PackedSequence and the pack / pad helpers (torch.nn.utils.rnn), composed from ember ops."""
from collections.abc import Iterable
from typing import NamedTuple, Optional

import numpy as np

from ..._tensor import wrap as _wrap

from ... import _dtype
from ..._tensor import Tensor
from ...ops.creation import tensor as _tensor, as_tensor, full, empty
from ...ops.shape import cat, stack

__all__ = ["PackedSequence", "invert_permutation", "pack_padded_sequence", "pad_packed_sequence", "pad_sequence",
           "unpad_sequence", "pack_sequence", "unpack_sequence"]


class PackedSequence_(NamedTuple):
    data: Tensor
    batch_sizes: Tensor
    sorted_indices: Optional[Tensor]
    unsorted_indices: Optional[Tensor]


def bind(optional, fn):
    if optional is None:
        return None
    return fn(optional)


class PackedSequence(PackedSequence_):
    def __new__(cls, data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
        return super().__new__(cls, *_packed_sequence_init_args(data, batch_sizes, sorted_indices, unsorted_indices))

    def to(self, *args, **kwargs):
        data = self.data.to(*args, **kwargs)
        if data is self.data:
            return self
        sorted_indices = bind(self.sorted_indices, lambda t: t.to(data.device))
        unsorted_indices = bind(self.unsorted_indices, lambda t: t.to(data.device))
        return type(self)(data, self.batch_sizes, sorted_indices, unsorted_indices)

    def cuda(self, *args, **kwargs):
        return self.to("cuda")

    def cpu(self, *args, **kwargs):
        return self.to("cpu")

    def double(self):
        return self.to(dtype=_dtype.float64)

    def float(self):
        return self.to(dtype=_dtype.float32)

    def half(self):
        return self.to(dtype=_dtype.float16)

    def long(self):
        return self.to(dtype=_dtype.int64)

    def int(self):
        return self.to(dtype=_dtype.int32)

    @property
    def is_cuda(self):
        return self.data.is_cuda


def _packed_sequence_init_args(data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
    if unsorted_indices is None:
        unsorted_indices = invert_permutation(sorted_indices)
    if batch_sizes is not None:
        return data, batch_sizes, sorted_indices, unsorted_indices
    if not (isinstance(data, (list, tuple)) and len(data) == 2):
        raise AssertionError("Expected data to be a list or tuple of length 2")
    return data[0], data[1], sorted_indices, unsorted_indices


def invert_permutation(permutation):
    if permutation is None:
        return None
    from ..._device import xp_of
    p = permutation._data
    xp = xp_of(p)
    out = xp.empty_like(p)
    out[p] = xp.arange(p.size, dtype=out.dtype)
    return _wrap(out)


def _lengths_list(lengths):
    if isinstance(lengths, Tensor):
        return [int(v) for v in lengths.tolist()]
    return [int(v) for v in lengths]


def _batch_sizes(lengths):
    """Per-time-step batch sizes of lengths sorted in decreasing order."""
    T = lengths[0] if lengths else 0
    ls = np.asarray(lengths)
    return [int((ls > t).sum()) for t in range(T)]


def pack_padded_sequence(input, lengths, batch_first=False, enforce_sorted=True):
    if isinstance(lengths, Tensor):
        lengths = lengths.to(dtype=_dtype.int64)
    else:
        lengths = as_tensor(lengths, dtype=_dtype.int64)
    if enforce_sorted:
        sorted_indices = None
    else:
        lengths, sorted_indices = lengths.sort(descending=True)
        batch_dim = 0 if batch_first else 1
        input = input.index_select(batch_dim, sorted_indices)
    ls = _lengths_list(lengths)
    if any(ls[i] < ls[i + 1] for i in range(len(ls) - 1)):
        raise RuntimeError("`lengths` array must be sorted in decreasing order when `enforce_sorted` is True. You "
                           "can pass `enforce_sorted=False` to pack_padded_sequence and/or pack_sequence to sidestep "
                           "this requirement if you do not need ONNX exportability.")
    if ls and ls[-1] <= 0:
        raise RuntimeError("Length of all samples has to be greater than 0, but found an element in 'lengths' that "
                           "is <= 0")
    if batch_first:
        input = input.transpose(0, 1)
    if ls and ls[0] > input._data.shape[0]:
        raise RuntimeError("Expected sequence length to be larger than or equal to longest sequence, but got "
                           f"{input._data.shape[0]} and {ls[0]}")
    bs = _batch_sizes(ls)
    pieces = [input[t, :b] for t, b in enumerate(bs)]
    data = cat(pieces, 0)
    return PackedSequence(data, _tensor(bs, dtype=_dtype.int64), sorted_indices, None)


def pad_packed_sequence(sequence, batch_first=False, padding_value=0.0, total_length=None):
    bs = [int(b) for b in sequence.batch_sizes.tolist()]
    max_seq_length = len(bs)
    if total_length is not None:
        if total_length < max_seq_length:
            raise ValueError("Expected total_length to be at least the length of the longest sequence in input, but "
                             f"got total_length={total_length} and max sequence length being {max_seq_length}")
        max_seq_length = total_length
    data = sequence.data
    B = bs[0] if bs else 0
    feat = tuple(data._data.shape[1:])
    steps = data.split(bs, 0) if bs else ()
    rows = []
    for t in range(max_seq_length):
        if t < len(bs):
            piece = steps[t]
            if bs[t] < B:
                piece = cat([piece, full((B - bs[t],) + feat, padding_value, dtype=data.dtype,
                                         device=data.device)], 0)
        else:
            piece = full((B,) + feat, padding_value, dtype=data.dtype, device=data.device)
        rows.append(piece)
    padded = stack(rows, 0) if rows else empty((0, B) + feat, dtype=data.dtype)
    if batch_first:
        padded = padded.transpose(0, 1)
    ls = np.zeros(B, dtype=np.int64)
    for b in bs:
        ls[:b] += 1
    lengths = _tensor(ls)
    unsorted_indices = sequence.unsorted_indices
    if unsorted_indices is not None:
        batch_dim = 0 if batch_first else 1
        return padded.index_select(batch_dim, unsorted_indices), lengths[unsorted_indices.cpu()]
    return padded, lengths


def pad_sequence(sequences, batch_first=False, padding_value=0.0, padding_side="right"):
    if not isinstance(sequences, Iterable):
        raise RuntimeError(f"pad_sequence: Expected iterable for input sequences, but got arg of type: "
                           f"{type(sequences)}")
    sequences = tuple(sequences)
    if padding_side not in ("left", "right"):
        raise ValueError(f"Expected padding_side to be one of left or right, but got {padding_side}.")
    if len(sequences) == 0:
        raise RuntimeError("received an empty list of sequences")
    max_len = max(s._data.shape[0] for s in sequences)
    trailing = tuple(sequences[0]._data.shape[1:])
    padded = []
    for s in sequences:
        n = s._data.shape[0]
        if n < max_len:
            pad = full((max_len - n,) + trailing, padding_value, dtype=s.dtype, device=s.device)
            s = cat([s, pad] if padding_side == "right" else [pad, s], 0)
        padded.append(s)
    return stack(padded, 0 if batch_first else 1)


def unpad_sequence(padded_sequences, lengths, batch_first=False):
    unpadded_sequences = []
    if not batch_first:
        padded_sequences = padded_sequences.transpose(0, 1)
    for seq, length in zip(padded_sequences.unbind(0), _lengths_list(lengths)):
        unpadded_sequences.append(seq[:length])
    return unpadded_sequences


def pack_sequence(sequences, enforce_sorted=True):
    lengths = as_tensor([v.size(0) for v in sequences])
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences):
    padded_sequences, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded_sequences, lengths, batch_first=True)
