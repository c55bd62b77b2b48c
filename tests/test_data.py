"""ember.utils.data against torch.utils.data: datasets, samplers, collation, DataLoader, worker processes."""
import collections
import os
import pickle
import signal
import subprocess
import sys
import textwrap
import time
import warnings

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import ember
from ember.utils import data as ed
from tests.helpers import needs_torch, raises_like, torch

if torch is not None:
    import torch.utils.data as td

Point = collections.namedtuple("Point", "x y")


# -- helpers ------------------------------------------------------------------------------------------------
def same(e, t):
    """ember output ``e`` has the structure, types, dtypes and values of torch output ``t``."""
    if isinstance(t, torch.Tensor):
        assert isinstance(e, ember.Tensor), (type(e), t)
        assert str(e.dtype).split(".")[-1] == str(t.dtype).split(".")[-1], (e.dtype, t.dtype)
        assert tuple(e.shape) == tuple(t.shape), (tuple(e.shape), tuple(t.shape))
        np.testing.assert_array_equal(e.numpy(), t.numpy())
    elif isinstance(t, dict):
        assert type(e) is type(t) and list(e) == list(t), (type(e), type(t))
        for k in t:
            same(e[k], t[k])
    elif isinstance(t, (list, tuple)):
        assert type(e) is type(t) or (isinstance(e, list) and type(t) is list), (type(e), type(t))
        assert len(e) == len(t)
        for a, b in zip(e, t):
            same(a, b)
    elif isinstance(t, np.ndarray):
        assert isinstance(e, np.ndarray) and e.dtype == t.dtype
        np.testing.assert_array_equal(e, t)
    else:
        assert type(e) is type(t) and e == t, (e, t)


def to_torch_tree(x):
    """The same sample structure with ember tensors replaced by torch tensors."""
    if isinstance(x, ember.Tensor):
        return torch.from_numpy(x.numpy().copy())
    if isinstance(x, dict):
        return {k: to_torch_tree(v) for k, v in x.items()}
    if isinstance(x, tuple) and hasattr(x, "_fields"):
        return type(x)(*(to_torch_tree(v) for v in x))
    if isinstance(x, (list, tuple)):
        return type(x)(to_torch_tree(v) for v in x)
    return x


def data_xy(n=23, d=3):
    x = np.arange(n * d, dtype=np.float32).reshape(n, d) / 7
    y = (np.arange(n) * 3 % 5).astype(np.int64)
    return x, y


def pair_datasets(n=23, d=3):
    x, y = data_xy(n, d)
    return (ed.TensorDataset(ember.from_numpy(x), ember.from_numpy(y)),
            td.TensorDataset(torch.from_numpy(x), torch.from_numpy(y)))


class Squares(ed.Dataset):
    """Map-style dataset without __getitems__: a dict sample with a tensor, a float, an int and a string."""

    def __init__(self, n=10):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        if i >= self.n:
            raise IndexError(i)
        return {"x": ember.tensor([float(i), float(i * i)]), "f": i / 4, "i": i, "s": f"s{i}"}


class TorchSquares(td.Dataset if torch is not None else object):
    def __init__(self, n=10):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return {"x": torch.tensor([float(i), float(i * i)]), "f": i / 4, "i": i, "s": f"s{i}"}


# -- datasets -----------------------------------------------------------------------------------------------
@needs_torch
def test_tensor_dataset_items_and_size_mismatch():
    e, t = pair_datasets()
    assert len(e) == len(t) == 23
    for i in (0, 5, 22, -1):
        same(e[i], t[i])
    raises_like(lambda: td.TensorDataset(torch.zeros(3), torch.zeros(4)),
                lambda: ed.TensorDataset(ember.zeros(3), ember.zeros(4)))


@needs_torch
def test_tensor_dataset_getitems_is_a_list_of_sample_tuples():
    e, t = pair_datasets()
    items = e.__getitems__([4, 0, 7])
    assert isinstance(items, list) and len(items) == 3
    same(list(items), [t[4], t[0], t[7]])
    same(ed.default_collate(e.__getitems__([4, 0, 7])), td.default_collate([t[4], t[0], t[7]]))
    with pytest.raises(IndexError, match="index 23 is out of bounds for dimension 0 with size 23"):
        e.__getitems__([1, 23])


@needs_torch
def test_concat_chain_subset_stack():
    e, t = pair_datasets(6)
    ec, tc = e + e, t + t
    assert isinstance(ec, ed.ConcatDataset) and len(ec) == 12 and ec.cumulative_sizes == tc.cumulative_sizes
    for i in (0, 5, 6, 11, -1, -12):
        same(ec[i], tc[i])
    raises_like(lambda: tc[-13], lambda: ec[-13])
    raises_like(lambda: td.ConcatDataset([]), lambda: ed.ConcatDataset([]))

    class It(ed.IterableDataset):
        def __init__(self, a, b):
            self.a, self.b = a, b

        def __iter__(self):
            return iter(range(self.a, self.b))

        def __len__(self):
            return self.b - self.a

    chain = It(0, 3) + It(10, 12)
    assert isinstance(chain, ed.ChainDataset) and list(chain) == [0, 1, 2, 10, 11] and len(chain) == 5
    with pytest.raises(AssertionError, match="ConcatDataset does not support IterableDataset"):
        ed.ConcatDataset([It(0, 1)])

    es, ts = ed.Subset(e, [5, 1, 3]), td.Subset(t, [5, 1, 3])
    assert len(es) == 3
    same(es[0], ts[0])
    same(ed.default_collate(es.__getitems__([0, 2])), td.default_collate(ts.__getitems__([0, 2])))

    est = ed.StackDataset(e, ed.Subset(Squares(6), range(6)))
    tst = td.StackDataset(t, td.Subset(TorchSquares(6), range(6)))
    same(est[2], tst[2])
    same(est.__getitems__([3, 1]), tst.__getitems__([3, 1]))
    esd, tsd = ed.StackDataset(a=e, b=Squares(6)), td.StackDataset(a=t, b=TorchSquares(6))
    same(esd.__getitems__([0, 4]), tsd.__getitems__([0, 4]))
    raises_like(lambda: td.StackDataset(t, TorchSquares(3)), lambda: ed.StackDataset(e, Squares(3)))
    raises_like(lambda: td.StackDataset(), lambda: ed.StackDataset())


def test_random_split():
    ds = list(range(30))
    g = ember.Generator().manual_seed(42)
    parts = ed.random_split(ds, [0.3, 0.3, 0.4], generator=g)
    assert [len(p) for p in parts] == [9, 9, 12]
    assert sorted(i for p in parts for i in p) == ds
    again = ed.random_split(ds, [0.3, 0.3, 0.4], generator=ember.Generator().manual_seed(42))
    assert [list(p) for p in parts] == [list(p) for p in again]
    assert [len(p) for p in ed.random_split(range(10), [0.5, 0.25, 0.25])] == [6, 2, 2]  # remainder round-robin
    assert [len(p) for p in ed.random_split(range(11), [0.1, 0.2, 0.7])] == [2, 2, 7]  # as torch
    ember.manual_seed(3)
    a = [list(p) for p in ed.random_split(range(10), [3, 7])]
    ember.manual_seed(3)
    assert a == [list(p) for p in ed.random_split(range(10), [3, 7])]
    assert sorted(a[0] + a[1]) == list(range(10)) and len(a[0]) == 3


@needs_torch
def test_random_split_errors():
    raises_like(lambda: td.random_split(range(10), [3, 8]), lambda: ed.random_split(range(10), [3, 8]))
    raises_like(lambda: td.random_split(range(10), [1.5, -0.5]), lambda: ed.random_split(range(10), [1.5, -0.5]))
    with pytest.warns(UserWarning, match="Length of split at index 1 is 0"):
        ed.random_split(range(2), [1.0, 0.0])


# -- samplers -----------------------------------------------------------------------------------------------
def test_sequential_and_random_sampler():
    assert list(ed.SequentialSampler(range(5))) == [0, 1, 2, 3, 4]
    rs = ed.RandomSampler(range(50))
    order = list(rs)
    assert len(rs) == 50 and sorted(order) == list(range(50)) and order != list(range(50))
    ember.manual_seed(7)
    a = list(ed.RandomSampler(range(50)))
    ember.manual_seed(7)
    assert a == list(ed.RandomSampler(range(50)))  # reproducible through the default generator
    assert list(ed.RandomSampler(range(50))) != a  # and different on the next pass
    g1, g2 = ember.Generator().manual_seed(1), ember.Generator().manual_seed(1)
    assert list(ed.RandomSampler(range(20), generator=g1)) == list(ed.RandomSampler(range(20), generator=g2))
    longer = list(ed.RandomSampler(range(10), num_samples=25))
    assert len(longer) == 25 and sorted(longer[:10]) == list(range(10)) and sorted(longer[10:20]) == list(range(10))
    rep = ed.RandomSampler(range(5), replacement=True, num_samples=70)
    drawn = list(rep)
    assert len(rep) == 70 and len(drawn) == 70 and set(drawn) <= set(range(5)) and len(set(drawn)) == 5


@needs_torch
def test_sampler_errors():
    raises_like(lambda: td.RandomSampler(range(3), replacement=1), lambda: ed.RandomSampler(range(3), replacement=1))
    raises_like(lambda: td.RandomSampler(range(3), num_samples=0), lambda: ed.RandomSampler(range(3), num_samples=0))
    raises_like(lambda: td.RandomSampler([]), lambda: ed.RandomSampler([]))
    raises_like(lambda: td.WeightedRandomSampler([1.0], 0), lambda: ed.WeightedRandomSampler([1.0], 0))
    raises_like(lambda: td.WeightedRandomSampler([1.0], 2, replacement=None),
                lambda: ed.WeightedRandomSampler([1.0], 2, replacement=None))
    raises_like(lambda: td.WeightedRandomSampler([[1.0]], 2), lambda: ed.WeightedRandomSampler([[1.0]], 2))
    raises_like(lambda: td.BatchSampler(range(3), 0, False), lambda: ed.BatchSampler(range(3), 0, False))
    raises_like(lambda: td.BatchSampler(range(3), True, False), lambda: ed.BatchSampler(range(3), True, False))
    raises_like(lambda: td.BatchSampler(range(3), 2, 0), lambda: ed.BatchSampler(range(3), 2, 0))


def test_subset_and_weighted_sampler():
    s = ed.SubsetRandomSampler([10, 20, 30, 40])
    assert len(s) == 4 and sorted(s) == [10, 20, 30, 40]
    w = ed.WeightedRandomSampler([0.0, 1.0, 0.0, 3.0], 200)
    drawn = list(w)
    assert len(w) == 200 and set(drawn) == {1, 3} and drawn.count(3) > drawn.count(1)
    assert w.weights.dtype == ember.float64
    nr = list(ed.WeightedRandomSampler([1.0, 1.0, 1.0, 1.0], 4, replacement=False))
    assert sorted(nr) == [0, 1, 2, 3]


@needs_torch
@pytest.mark.parametrize("n,bs,drop", [(10, 3, False), (10, 3, True), (9, 3, True), (2, 5, False), (2, 5, True)])
def test_batch_sampler_matches_torch(n, bs, drop):
    e, t = ed.BatchSampler(range(n), bs, drop), td.BatchSampler(range(n), bs, drop)
    assert list(e) == list(t) and len(e) == len(t)


# -- collate ------------------------------------------------------------------------------------------------
def _collate_cases():
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    return [
        ("tensors", lambda T: [T(a[0]), T(a[1])]),
        ("int_tensors", lambda T: [T(np.array([1, 2])), T(np.array([3, 4]))]),
        ("scalar_tensors", lambda T: [T(np.array(1.5, np.float32)), T(np.array(2.5, np.float32))]),
        ("ndarrays", lambda T: [a, a * 2]),
        ("floats", lambda T: [0.5, 1.25, 3.0]),
        ("ints", lambda T: [1, 2, 3]),
        ("bools", lambda T: [True, False]),
        ("int_then_float", lambda T: [1, 2.5]),
        ("np_scalars", lambda T: [np.float64(1.5), np.float64(2)]),
        ("np_f32_scalars", lambda T: [np.float32(1.5), np.float32(2)]),
        ("np_i32_scalars", lambda T: [np.int32(1), np.int32(2)]),
        ("np_bool_scalars", lambda T: [np.bool_(True), np.bool_(False)]),
        ("strings", lambda T: ["a", "bc"]),
        ("bytes", lambda T: [b"a", b"bc"]),
        ("tuples", lambda T: [(T(a[0]), 1, "x"), (T(a[1]), 2, "y")]),
        ("lists", lambda T: [[1.0, T(a[0])], [2.0, T(a[1])]]),
        ("dicts", lambda T: [{"img": T(a[0]), "label": 3, "meta": {"w": 0.5, "name": "p"}},
                             {"img": T(a[1]), "label": 4, "meta": {"w": 1.5, "name": "q"}}]),
        ("namedtuples", lambda T: [Point(T(a[0]), 1), Point(T(a[1]), 2)]),
        ("ordered_dict", lambda T: [collections.OrderedDict(b=1, a=T(a[0])), collections.OrderedDict(b=2, a=T(a[1]))]),
        ("nested", lambda T: [([Point(1.0, [T(a[0])])], {"k": (2, 3)}), ([Point(2.0, [T(a[1])])], {"k": (4, 5)})]),
    ]


@needs_torch
@pytest.mark.parametrize("name,make", _collate_cases(), ids=[c[0] for c in _collate_cases()])
def test_default_collate_matches_torch(name, make):
    e_out = ed.default_collate(make(ember.from_numpy))
    t_out = td.default_collate(make(torch.from_numpy))
    same(e_out, t_out)


@needs_torch
@pytest.mark.parametrize("name,make", _collate_cases(), ids=[c[0] for c in _collate_cases()])
def test_default_convert_matches_torch(name, make):
    for e_in, t_in in zip(make(ember.from_numpy), make(torch.from_numpy)):
        same(ed.default_convert(e_in), td.default_convert(t_in))


@needs_torch
def test_default_convert_numpy():
    for x in (np.float64(2.0), np.arange(3, dtype=np.int16), np.array(["a", "b"]), "s", 3, (np.int32(1), 2.0)):
        same(ed.default_convert(x), td.default_convert(x))


@needs_torch
def test_collate_errors_match_torch():
    raises_like(lambda: td.default_collate([[1, 2], [1]]), lambda: ed.default_collate([[1, 2], [1]]))
    raises_like(lambda: td.default_collate([torch.zeros(2), torch.zeros(3)]),
                lambda: ed.default_collate([ember.zeros(2), ember.zeros(3)]))
    raises_like(lambda: td.default_collate([np.array(["a"]), np.array(["b"])]),
                lambda: ed.default_collate([np.array(["a"]), np.array(["b"])]))
    raises_like(lambda: td.default_collate([object()]), lambda: ed.default_collate([object()]))


@needs_torch
def test_collate_mixed_dtypes_and_autograd():
    same(ed.default_collate([ember.tensor([1]), ember.tensor([1.5])]),
         td.default_collate([torch.tensor([1]), torch.tensor([1.5])]))
    w = ember.ones(2, requires_grad=True)
    out = ed.default_collate([w, w * 2])
    assert out.requires_grad and out.grad_fn is not None
    out.sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), [3.0, 3.0])


# -- DataLoader, single process -----------------------------------------------------------------------------
def _batches(loader):
    return [to_torch_tree(b) for b in loader]


@needs_torch
@pytest.mark.parametrize("kw", [dict(batch_size=1), dict(batch_size=5), dict(batch_size=5, drop_last=True),
                                dict(batch_size=23), dict(batch_size=40), dict(batch_size=None)])
def test_loader_matches_torch(kw):
    e, t = pair_datasets()
    el, tl = ed.DataLoader(e, **kw), td.DataLoader(t, **kw)
    assert len(el) == len(tl)
    eb, tb = list(el), list(tl)
    assert len(eb) == len(tb)
    for a, b in zip(eb, tb):
        same(a, b)


@needs_torch
@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 30), bs=st.integers(1, 12), drop=st.booleans(), d=st.integers(0, 3),
       dtype=st.sampled_from(["float32", "float64", "int32", "uint8", "bool"]))
def test_loader_batches_match_torch_property(n, bs, drop, d, dtype):
    x = (np.arange(n * max(d, 1)).reshape((n,) + ((d,) if d else ())) % 7).astype(dtype)
    order = list(np.random.default_rng(n).permutation(n))
    el = ed.DataLoader(ed.TensorDataset(ember.from_numpy(x)), batch_size=bs, drop_last=drop, sampler=order)
    tl = td.DataLoader(td.TensorDataset(torch.from_numpy(x)), batch_size=bs, drop_last=drop, sampler=order)
    assert len(el) == len(tl)
    eb, tb = list(el), list(tl)
    assert len(eb) == len(tb)
    for a, b in zip(eb, tb):
        same(a, b)


@needs_torch
def test_loader_dict_dataset_and_custom_samplers():
    el = ed.DataLoader(Squares(10), batch_size=4)
    tl = td.DataLoader(TorchSquares(10), batch_size=4)
    for a, b in zip(el, tl):
        same(a, b)
    order = [3, 1, 4, 1, 5, 9, 2, 6]
    e, t = pair_datasets()
    for a, b in zip(ed.DataLoader(e, batch_size=3, sampler=order), td.DataLoader(t, batch_size=3, sampler=order)):
        same(a, b)
    bs = [[0, 2], [5], [7, 1, 3]]
    el, tl = ed.DataLoader(e, batch_sampler=bs), td.DataLoader(t, batch_sampler=bs)
    assert len(el) == len(tl) == 3
    for a, b in zip(el, tl):
        same(a, b)
    for a, b in zip(ed.DataLoader(Squares(3), batch_size=None), td.DataLoader(TorchSquares(3), batch_size=None)):
        same(a, b)
    first = next(iter(ed.DataLoader(e, batch_size=4, collate_fn=lambda batch: batch)))  # sees the samples
    assert len(first) == 4 and all(isinstance(s, tuple) and len(s) == 2 for s in first)
    same(list(first), [t[i] for i in range(4)])


@needs_torch
def test_loader_shuffle_is_seeded_and_covers_everything():
    e, _ = pair_datasets()
    ember.manual_seed(11)
    a = [b[1].tolist() for b in ed.DataLoader(e, batch_size=4, shuffle=True)]
    ember.manual_seed(11)
    b = [b[1].tolist() for b in ed.DataLoader(e, batch_size=4, shuffle=True)]
    assert a == b
    g = ember.Generator().manual_seed(5)
    seen = [x for xb, _ in ed.DataLoader(e, batch_size=4, shuffle=True, generator=g) for x in xb.numpy()[:, 0]]
    assert sorted(seen) == sorted(e.tensors[0].numpy()[:, 0])
    assert seen != list(e.tensors[0].numpy()[:, 0])


@needs_torch
def test_fast_path_equals_per_item_path():
    x, y = data_xy(50, 4)
    fast = ed.TensorDataset(ember.from_numpy(x), ember.from_numpy(y))

    class PerItem(ed.Dataset):
        def __len__(self):
            return len(fast)

        def __getitem__(self, i):
            return fast[i]

    order = list(np.random.default_rng(0).permutation(50))
    for kw in (dict(batch_size=8), dict(batch_size=8, drop_last=True), dict(batch_size=50)):
        for a, b in zip(ed.DataLoader(fast, sampler=order, **kw), ed.DataLoader(PerItem(), sampler=order, **kw)):
            assert isinstance(a, list) and len(a) == 2
            for u, v in zip(a, b):
                assert u.dtype == v.dtype and u.shape == v.shape
                np.testing.assert_array_equal(u.numpy(), v.numpy())
                assert u.numpy().flags.c_contiguous
        tl = td.DataLoader(td.TensorDataset(torch.from_numpy(x), torch.from_numpy(y)), sampler=order, **kw)
        for a, b in zip(ed.DataLoader(fast, sampler=order, **kw), tl):
            same(a, b)
    # a subset of a TensorDataset (random_split) keeps the batched path and the same values
    sub = ed.Subset(fast, order[:20])
    items = sub.__getitems__([0, 1, 2])
    assert isinstance(items, ed.Prebatched)
    same(ed.default_collate(items), td.default_collate([to_torch_tree(fast[i]) for i in order[:3]]))
    # tensors that require grad take the per-sample path (stack records the graph)
    w = ember.ones(6, 2, requires_grad=True)
    assert not isinstance(ed.TensorDataset(w).__getitems__([0, 1]), ed.Prebatched)
    if hasattr(ember.Tensor, "__getitem__"):  # needs differentiable indexing
        gb = next(iter(ed.DataLoader(ed.TensorDataset(w), batch_size=3)))[0]
        assert gb.requires_grad


@needs_torch
def test_loader_option_errors_match_torch():
    e, t = pair_datasets()

    class EIt(ed.IterableDataset):
        def __iter__(self):
            return iter(range(3))

    class TIt(td.IterableDataset):
        def __iter__(self):
            return iter(range(3))

    cases = [dict(shuffle=True, sampler=[0, 1]), dict(batch_sampler=[[0]], batch_size=2),
             dict(batch_sampler=[[0]], shuffle=True), dict(batch_sampler=[[0]], drop_last=True),
             dict(batch_sampler=[[0]], sampler=[0]), dict(batch_size=None, drop_last=True), dict(num_workers=-1),
             dict(timeout=-1), dict(prefetch_factor=2), dict(num_workers=1, prefetch_factor=-1),
             dict(persistent_workers=True), dict(multiprocessing_context="fork"),
             dict(num_workers=1, multiprocessing_context="nope"), dict(num_workers=1, multiprocessing_context=3)]
    for kw in cases:
        raises_like(lambda: td.DataLoader(t, **kw), lambda: ed.DataLoader(e, **kw))
    for kw in (dict(shuffle=True), dict(sampler=[0]), dict(batch_sampler=[[0]])):
        raises_like(lambda: td.DataLoader(TIt(), **kw), lambda: ed.DataLoader(EIt(), **kw))
    loader = ed.DataLoader(e)
    raises_like(lambda: setattr(td.DataLoader(t), "batch_size", 3), lambda: setattr(loader, "batch_size", 3))


@needs_torch
def test_iterable_dataset_single_process():
    class EIt(ed.IterableDataset):
        def __iter__(self):
            return iter([{"v": float(i)} for i in range(7)])

        def __len__(self):
            return 7

    class TIt(td.IterableDataset):
        def __iter__(self):
            return iter([{"v": float(i)} for i in range(7)])

        def __len__(self):
            return 7

    for kw in (dict(batch_size=3), dict(batch_size=3, drop_last=True), dict(batch_size=None)):
        el, tl = ed.DataLoader(EIt(), **kw), td.DataLoader(TIt(), **kw)
        assert len(el) == len(tl)
        eb, tb = list(el), list(tl)
        assert len(eb) == len(tb)
        for a, b in zip(eb, tb):
            same(a, b)


def test_pin_memory_is_accepted():
    e = ed.TensorDataset(ember.arange(4))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert len(list(ed.DataLoader(e, batch_size=2, pin_memory=True))) == 2


# -- worker processes ---------------------------------------------------------------------------------------
class WorkerEcho(ed.Dataset):
    """Each sample reports which worker produced it and that worker's RNG state."""

    def __init__(self, n=12, fail_at=None, sleep=0.0):
        self.n, self.fail_at, self.sleep = n, fail_at, sleep

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        if i == self.fail_at:
            raise ValueError(f"bad sample {i}")
        if self.sleep:
            time.sleep(self.sleep)
        info = ed.get_worker_info()
        wid = -1 if info is None else info.id
        return {"i": i, "x": ember.full((2,), float(i)), "wid": wid, "pid": os.getpid(),
                "seed": -1 if info is None else info.seed, "nw": 0 if info is None else info.num_workers,
                "same_ds": info is not None and isinstance(info.dataset, WorkerEcho)}


def test_workers_deliver_the_same_batches_in_order():
    e = ed.TensorDataset(*(ember.from_numpy(a) for a in data_xy(37)))
    ref = [[t.numpy() for t in b] for b in ed.DataLoader(e, batch_size=4)]
    loader = ed.DataLoader(e, batch_size=4, num_workers=2)
    got = [[t.numpy() for t in b] for b in loader]
    assert len(got) == len(ref) == len(loader)
    for a, b in zip(got, ref):
        for u, v in zip(a, b):
            assert u.dtype == v.dtype
            np.testing.assert_array_equal(u, v)
    # shuffled: same seed, same order as in one process
    ember.manual_seed(4)
    ref = [b[1].tolist() for b in ed.DataLoader(e, batch_size=5, shuffle=True)]
    ember.manual_seed(4)
    assert [b[1].tolist() for b in ed.DataLoader(e, batch_size=5, shuffle=True, num_workers=2, prefetch_factor=3)] == ref


def test_worker_info_seeds_and_init_fn():
    assert ed.get_worker_info() is None
    inits = []
    ember.manual_seed(9)
    batches = list(ed.DataLoader(WorkerEcho(12), batch_size=3, num_workers=2,
                                 worker_init_fn=lambda wid: inits.append(wid)))
    wids = [b["wid"].tolist() for b in batches]
    assert wids == [[0] * 3, [1] * 3, [0] * 3, [1] * 3]  # round-robin over the workers
    assert all(b["nw"].tolist() == [2] * 3 and b["same_ds"].tolist() == [True] * 3 for b in batches)
    pids = {b["pid"].tolist()[0] for b in batches}
    assert len(pids) == 2 and os.getpid() not in pids
    s0, s1 = batches[0]["seed"].tolist()[0], batches[1]["seed"].tolist()[0]
    assert s1 == s0 + 1  # base_seed + worker_id
    ember.manual_seed(9)
    again = list(ed.DataLoader(WorkerEcho(12), batch_size=3, num_workers=2))
    assert again[0]["seed"].tolist()[0] == s0  # base seed drawn from the (seeded) default generator
    assert list(ed.DataLoader(WorkerEcho(12), batch_size=3, num_workers=2))[0]["seed"].tolist()[0] != s0


class RandomDraws(ed.Dataset):
    def __len__(self):
        return 4

    def __getitem__(self, i):
        import random
        return [ember.rand(()).item(), float(np.random.rand()), random.random()]


def test_worker_rngs_are_seeded_per_worker():
    ember.manual_seed(2)
    a = list(ed.DataLoader(RandomDraws(), batch_size=None, num_workers=2))
    ember.manual_seed(2)
    b = list(ed.DataLoader(RandomDraws(), batch_size=None, num_workers=2))
    assert a == b  # reproducible
    assert a[0] != a[1]  # workers 0 and 1 draw differently (ember, numpy and random all reseeded)
    assert all(x != y for x, y in zip(a[0], a[1]))


def test_worker_exception_is_reraised_with_traceback():
    loader = ed.DataLoader(WorkerEcho(12, fail_at=7), batch_size=2, num_workers=2)
    it = iter(loader)
    assert next(it)["i"].tolist() == [0, 1]
    with pytest.raises(ValueError) as err:
        for _ in it:
            pass
    msg = str(err.value)
    assert msg.startswith("Caught ValueError in DataLoader worker process 1.\nOriginal Traceback (most recent call last):")
    assert "bad sample 7" in msg and "__getitem__" in msg
    del it

    def bad_init(wid):
        raise KeyError("init")
    with pytest.raises(KeyError, match="Caught KeyError in DataLoader worker process 0"):
        list(ed.DataLoader(WorkerEcho(4), num_workers=1, worker_init_fn=bad_init))

    class LocalError(Exception):  # cannot be pickled: arrives as a RuntimeError, not as a hang
        pass

    def local_init(wid):
        raise LocalError("local")
    with pytest.raises(RuntimeError, match="Caught LocalError in DataLoader worker process 0"):
        list(ed.DataLoader(WorkerEcho(4), num_workers=1, worker_init_fn=local_init))


def test_killed_worker_raises_instead_of_hanging():
    loader = ed.DataLoader(WorkerEcho(40, sleep=0.05), batch_size=2, num_workers=2)
    it = iter(loader)
    first = next(it)
    pid = first["pid"].tolist()[0]
    os.kill(pid, signal.SIGKILL)
    t0 = time.monotonic()
    with pytest.raises(RuntimeError, match=r"DataLoader worker \(pid\(s\) [0-9, ]+\) exited unexpectedly") as err:
        for _ in it:
            pass
    assert str(pid) in str(err.value) and time.monotonic() - t0 < 10
    it._shutdown_workers()
    assert not any(w.is_alive() for w in it._workers)


def test_timeout():
    loader = ed.DataLoader(WorkerEcho(4, sleep=0.5), batch_size=1, num_workers=1, timeout=0.1)
    it = iter(loader)
    t0 = time.monotonic()
    with pytest.raises(RuntimeError, match=r"^DataLoader timed out after 0.1 seconds$"):
        next(it)
    assert time.monotonic() - t0 < 0.45
    it._shutdown_workers()


class Shards(ed.IterableDataset):
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        info = ed.get_worker_info()
        if info is None:
            return iter(range(self.n))
        return iter(range(info.id, self.n, info.num_workers))

    def __len__(self):
        return self.n


def test_iterable_dataset_with_workers():
    got = [b.tolist() for b in ed.DataLoader(Shards(10), batch_size=2, num_workers=2)]
    # worker 0 yields 0,2,4,6,8 and worker 1 yields 1,3,5,7,9; batches alternate between them
    assert got == [[0, 2], [1, 3], [4, 6], [5, 7], [8], [9]]
    flat = list(ed.DataLoader(Shards(7), batch_size=None, num_workers=2))  # default_convert keeps ints
    assert sorted(flat) == list(range(7))
    assert [b.tolist() for b in ed.DataLoader(Shards(10), batch_size=3, drop_last=True, num_workers=2)] == \
        [[0, 2, 4], [1, 3, 5]]


def test_persistent_workers_and_shutdown():
    e = ed.TensorDataset(ember.arange(10))
    loader = ed.DataLoader(e, batch_size=3, num_workers=2, persistent_workers=True)
    first = [b[0].tolist() for b in loader]
    it = loader._iterator
    pids = [w.pid for w in it._workers]
    partial = iter(loader)
    next(partial)  # abandon an epoch half way
    second = [b[0].tolist() for b in loader]
    assert first == second == [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]
    assert loader._iterator is it and [w.pid for w in it._workers] == pids  # the same processes
    it._shutdown_workers()
    assert not any(w.is_alive() for w in it._workers)
    # non-persistent: workers are gone after the epoch
    it2 = iter(ed.DataLoader(e, batch_size=3, num_workers=2))
    list(it2)
    assert not any(w.is_alive() for w in it2._workers)


def test_tensors_cross_processes_as_arrays():
    from multiprocessing.reduction import ForkingPickler
    t = ember.arange(6, dtype=ember.float32).reshape(2, 3)
    back = pickle.loads(ForkingPickler.dumps({"t": t, "l": [t]}))
    assert isinstance(back["t"], ember.Tensor) and back["t"].dtype == ember.float32
    np.testing.assert_array_equal(back["l"][0].numpy(), t.numpy())
    w = ember.ones(2, requires_grad=True)
    assert pickle.loads(ForkingPickler.dumps(w)).requires_grad
    with pytest.raises(RuntimeError, match="Cowardly refusing to serialize non-leaf tensor"):
        ForkingPickler.dumps(w * 2)


def _run_script(body, timeout=30):
    script = textwrap.dedent(body)
    return subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=timeout,
                          cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_spawn_context_and_clean_exit():
    # 'spawn' pickles the dataset (tensors included) into fresh interpreters; the script then exits with an
    # epoch half done and a persistent loader alive: the interpreter must exit promptly, leaving no workers
    r = _run_script("""
        import os, ember
        from ember.utils.data import DataLoader, TensorDataset
        ds = TensorDataset(ember.arange(8), ember.ones(8, 2))
        out = [b[0].tolist() for b in DataLoader(ds, batch_size=3, num_workers=1, multiprocessing_context='spawn')]
        assert out == [[0, 1, 2], [3, 4, 5], [6, 7]], out
        it = iter(DataLoader(ds, batch_size=2, num_workers=2))
        next(it)
        keep = DataLoader(ds, batch_size=2, num_workers=2, persistent_workers=True)
        next(iter(keep))
        print('PIDS', *[w.pid for w in it._workers + keep._iterator._workers])
    """)
    assert r.returncode == 0, r.stderr
    pids = [int(p) for p in r.stdout.split("PIDS")[1].split()]
    time.sleep(0.2)
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
