"""RNN / LSTM / GRU, their cells, and nn.utils.rnn (packing, padding) against torch with identical weights:
outputs, final states, every gradient (input, h0/c0, each parameter), state_dict keys, reprs, errors;
gradcheck in float64 for 1-layer LSTM / GRU without torch."""
import warnings

import numpy as np
import pytest

import ember
import ember.nn as nn
from ember.autograd import gradcheck
from ember.nn.utils import rnn as ernn
from tests.helpers import needs_torch, assert_close, raises_like, torch

if torch is not None:
    from torch.nn.utils import rnn as trnn

RNG = np.random.default_rng(0)
TOL = dict(rtol=1e-4, atol=1e-5)


def _arr(*shape, dtype=np.float32):
    return RNG.standard_normal(shape).astype(dtype)


def _pair_module(name, *args, **kw):
    tm = getattr(torch.nn, name)(*args, **kw)
    em = getattr(nn, name)(*args, **kw)
    assert list(em.state_dict().keys()) == list(tm.state_dict().keys())
    assert [n for n, _ in em.named_parameters()] == [n for n, _ in tm.named_parameters()]
    for n, p in tm.named_parameters():
        ep = em.get_parameter(n)
        assert tuple(ep.shape) == tuple(p.shape), n
        ep._data[...] = p.detach().numpy()
    assert repr(em) == repr(tm)
    return tm, em


def _leaf(arr):
    return ember.tensor(arr, requires_grad=True), torch.tensor(arr, requires_grad=True)


def _flat(out):
    if isinstance(out, (tuple, list)):
        res = []
        for o in out:
            res.extend(_flat(o))
        return res
    return [out]


def _backward_both(oe, ot):
    fe, ft = _flat(oe), _flat(ot)
    assert len(fe) == len(ft)
    le = lt = 0
    for i, (a, b) in enumerate(zip(fe, ft)):
        assert_close(a, b, **TOL)
        w = _arr(*b.shape)
        le = le + (a * ember.tensor(w)).sum()
        lt = lt + (b * torch.tensor(w)).sum()
    le.backward()
    lt.backward()


def _check_param_grads(tm, em):
    for n, p in tm.named_parameters():
        assert_close(em.get_parameter(n).grad, p.grad, rtol=1e-4, atol=1e-4)


RNN_CASES = [
    ("RNN", {}),
    ("RNN", dict(nonlinearity="relu")),
    ("RNN", dict(num_layers=2, bidirectional=True, batch_first=True)),
    ("LSTM", {}),
    ("LSTM", dict(bias=False)),
    ("LSTM", dict(num_layers=2, bidirectional=True)),
    ("LSTM", dict(proj_size=3, batch_first=True)),
    ("LSTM", dict(proj_size=2, num_layers=2, bidirectional=True, bias=False)),
    ("GRU", {}),
    ("GRU", dict(num_layers=2, batch_first=True)),
    ("GRU", dict(bidirectional=True, bias=False)),
]


@needs_torch
@pytest.mark.parametrize("name,kw", RNN_CASES)
@pytest.mark.parametrize("with_h0", [False, True])
def test_rnn_matches_torch(name, kw, with_h0):
    tm, em = _pair_module(name, 4, 5, **kw)
    T, B = 4, 3
    shape = (B, T, 4) if kw.get("batch_first") else (T, B, 4)
    xe, xt = _leaf(_arr(*shape))
    D = 2 if kw.get("bidirectional") else 1
    L = kw.get("num_layers", 1)
    hr = kw.get("proj_size", 0) or 5
    args_e, args_t, leaves = (), (), []
    if with_h0:
        he, ht = _leaf(_arr(L * D, B, hr))
        leaves.append((he, ht))
        if name == "LSTM":
            ce, ct = _leaf(_arr(L * D, B, 5))
            leaves.append((ce, ct))
            args_e, args_t = ((he, ce),), ((ht, ct),)
        else:
            args_e, args_t = (he,), (ht,)
    oe, ot = em(xe, *args_e), tm(xt, *args_t)
    _backward_both(oe, ot)
    assert_close(xe.grad, xt.grad, rtol=1e-4, atol=1e-4)
    for e, t in leaves:
        assert_close(e.grad, t.grad, rtol=1e-4, atol=1e-4)
    _check_param_grads(tm, em)


@needs_torch
@pytest.mark.parametrize("name,kw", [("RNN", {}), ("LSTM", dict(proj_size=2)), ("GRU", dict(batch_first=True)),
                                     ("LSTM", dict(bidirectional=True, num_layers=2))])
def test_rnn_unbatched(name, kw):
    tm, em = _pair_module(name, 3, 4, **kw)
    xe, xt = _leaf(_arr(5, 3))
    D = 2 if kw.get("bidirectional") else 1
    L = kw.get("num_layers", 1)
    hr = kw.get("proj_size", 0) or 4
    h = _arr(L * D, hr)
    if name == "LSTM":
        he, ht = (ember.tensor(h), ember.tensor(_c := _arr(L * D, 4))), (torch.tensor(h), torch.tensor(_c))
    else:
        he, ht = ember.tensor(h), torch.tensor(h)
    _backward_both(em(xe, he), tm(xt, ht))
    assert_close(xe.grad, xt.grad, rtol=1e-4, atol=1e-4)
    oe, ot = em(xe), tm(xt)
    assert_close(_flat(oe), _flat(ot), **TOL)


@needs_torch
def test_rnn_dropout_between_layers():
    tm, em = _pair_module("LSTM", 3, 4, num_layers=2, dropout=1.0)
    x = _arr(5, 2, 3)
    # p=1 zeroes the second layer's input in training: deterministic, so comparable with torch
    _backward_both(em(ember.tensor(x)), tm(torch.tensor(x)))
    _check_param_grads(tm, em)
    tm, em = _pair_module("GRU", 3, 4, num_layers=3, dropout=0.5)
    tm.eval()
    em.eval()
    assert_close(_flat(em(ember.tensor(x))), _flat(tm(torch.tensor(x))), **TOL)
    em.train()
    ember.manual_seed(0)
    o1 = em(ember.tensor(x))[0]
    o2 = em(ember.tensor(x))[0]
    assert not np.allclose(o1.detach().numpy(), o2.detach().numpy())  # dropout active in training


@needs_torch
def test_rnn_grad_fns_and_dtypes():
    em = nn.LSTM(3, 4).double()
    x = ember.randn(2, 1, 3, dtype=ember.float64)
    o, (h, c) = em(x)
    assert o.dtype == ember.float64 and h.dtype == ember.float64 and o.requires_grad
    em = nn.GRU(3, 4)
    assert em.all_weights[0][0] is em.weight_ih_l0
    assert len(em._flat_weights) == 4


# -- cells ----------------------------------------------------------------------------------------------

CELL_CASES = [("RNNCell", {}), ("RNNCell", dict(nonlinearity="relu")), ("RNNCell", dict(bias=False)),
              ("LSTMCell", {}), ("LSTMCell", dict(bias=False)), ("GRUCell", {}), ("GRUCell", dict(bias=False))]


@needs_torch
@pytest.mark.parametrize("name,kw", CELL_CASES)
@pytest.mark.parametrize("batched", [True, False])
@pytest.mark.parametrize("with_h", [True, False])
def test_cells_match_torch(name, kw, batched, with_h):
    tm, em = _pair_module(name, 3, 4, **kw)
    lead = (2,) if batched else ()
    xe, xt = _leaf(_arr(*lead, 3))
    leaves = []
    args_e = args_t = ()
    if with_h:
        he, ht = _leaf(_arr(*lead, 4))
        leaves.append((he, ht))
        if name == "LSTMCell":
            ce, ct = _leaf(_arr(*lead, 4))
            leaves.append((ce, ct))
            args_e, args_t = ((he, ce),), ((ht, ct),)
        else:
            args_e, args_t = (he,), (ht,)
    # two steps, feeding the state back, so gradients flow through the recurrence
    oe, ot = em(xe, *args_e), tm(xt, *args_t)
    oe, ot = em(xe, oe), tm(xt, ot)
    _backward_both(oe, ot)
    assert_close(xe.grad, xt.grad, rtol=1e-4, atol=1e-4)
    for e, t in leaves:
        assert_close(e.grad, t.grad, rtol=1e-4, atol=1e-4)
    _check_param_grads(tm, em)


# -- packed sequences ------------------------------------------------------------------------------------

@needs_torch
@pytest.mark.parametrize("name,kw", [("RNN", {}), ("LSTM", dict(bidirectional=True, num_layers=2)),
                                     ("GRU", dict(bidirectional=True, batch_first=True)),
                                     ("LSTM", dict(proj_size=2, batch_first=True))])
@pytest.mark.parametrize("enforce_sorted", [True, False])
def test_packed_rnn_matches_torch(name, kw, enforce_sorted):
    tm, em = _pair_module(name, 3, 4, **kw)
    bf = kw.get("batch_first", False)
    lengths = [5, 3, 3, 1] if enforce_sorted else [3, 5, 1, 3]
    T, B = 5, 4
    xe, xt = _leaf(_arr(*((B, T, 3) if bf else (T, B, 3))))
    pe = ernn.pack_padded_sequence(xe, lengths, batch_first=bf, enforce_sorted=enforce_sorted)
    pt = trnn.pack_padded_sequence(xt, lengths, batch_first=bf, enforce_sorted=enforce_sorted)
    assert_close(pe.data, pt.data)
    assert pe.batch_sizes.tolist() == pt.batch_sizes.tolist()
    assert pe.batch_sizes.dtype == ember.int64
    if not enforce_sorted:
        assert pe.sorted_indices.tolist() == pt.sorted_indices.tolist()
        assert pe.unsorted_indices.tolist() == pt.unsorted_indices.tolist()
    D = 2 if kw.get("bidirectional") else 1
    L = kw.get("num_layers", 1)
    hr = kw.get("proj_size", 0) or 4
    h = _arr(L * D, B, hr)
    if name == "LSTM":
        c = _arr(L * D, B, 4)
        he, ht = (ember.tensor(h), ember.tensor(c)), (torch.tensor(h), torch.tensor(c))
    else:
        he, ht = ember.tensor(h), torch.tensor(h)
    oe, hne = em(pe, he)
    ot, hnt = tm(pt, ht)
    assert isinstance(oe, ernn.PackedSequence)
    ye, le = ernn.pad_packed_sequence(oe, batch_first=bf, padding_value=-1.0, total_length=6)
    yt, lt = trnn.pad_packed_sequence(ot, batch_first=bf, padding_value=-1.0, total_length=6)
    assert le.tolist() == lt.tolist() and le.dtype == ember.int64
    _backward_both((ye, hne), (yt, hnt))
    assert_close(xe.grad, xt.grad, rtol=1e-4, atol=1e-4)
    _check_param_grads(tm, em)
    # no initial state
    oe, _ = em(pe)
    ot, _ = tm(pt)
    assert_close(oe.data, ot.data, **TOL)


@needs_torch
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("side", ["right", "left"])
def test_pad_sequence_and_friends(batch_first, side):
    arrs = [_arr(4, 2), _arr(2, 2), _arr(3, 2)]
    es = [ember.tensor(a, requires_grad=True) for a in arrs]
    ts = [torch.tensor(a, requires_grad=True) for a in arrs]
    pe = ernn.pad_sequence(es, batch_first=batch_first, padding_value=7.0, padding_side=side)
    pt = trnn.pad_sequence(ts, batch_first=batch_first, padding_value=7.0, padding_side=side)
    assert_close(pe, pt)
    w = _arr(*pt.shape)
    (pe * ember.tensor(w)).sum().backward()
    (pt * torch.tensor(w)).sum().backward()
    for e, t in zip(es, ts):
        assert_close(e.grad, t.grad)
    pke = ernn.pack_sequence([e.detach() for e in es], enforce_sorted=False)
    pkt = trnn.pack_sequence([t.detach() for t in ts], enforce_sorted=False)
    assert_close(pke.data, pkt.data)
    for e, t in zip(ernn.unpack_sequence(pke), trnn.unpack_sequence(pkt)):
        assert_close(e, t)
    lengths = [4, 2, 3]
    pr = ernn.pad_sequence([e.detach() for e in es], batch_first=batch_first)
    for e, a in zip(ernn.unpad_sequence(pr, ember.tensor(lengths), batch_first=batch_first), arrs):
        np.testing.assert_array_equal(e.numpy(), a)


@needs_torch
def test_packing_errors():
    x = _arr(3, 2, 1)
    raises_like(lambda: trnn.pack_padded_sequence(torch.tensor(x), [1, 3]),
                lambda: ernn.pack_padded_sequence(ember.tensor(x), [1, 3]))
    pt = trnn.pack_padded_sequence(torch.tensor(x), [3, 2])
    pe = ernn.pack_padded_sequence(ember.tensor(x), [3, 2])
    raises_like(lambda: trnn.pad_packed_sequence(pt, total_length=2),
                lambda: ernn.pad_packed_sequence(pe, total_length=2))


# -- gradcheck (float64, no torch) ---------------------------------------------------------------------------

def test_gradcheck_lstm_gru():
    ember.manual_seed(1)
    for cls in (nn.LSTM, nn.GRU, nn.RNN):
        m = cls(2, 3).double()
        x = ember.randn(3, 2, 2, dtype=ember.float64, requires_grad=True)
        assert gradcheck(lambda x: m(x)[0], (x,))
        params = list(m.parameters())

        def loss(*ps):
            out = m(x.detach())
            return out[0]
        assert gradcheck(loss, tuple(params))
    m = nn.LSTM(2, 3, bidirectional=True).double()
    h0 = ember.randn(2, 2, 3, dtype=ember.float64, requires_grad=True)
    c0 = ember.randn(2, 2, 3, dtype=ember.float64, requires_grad=True)
    x = ember.randn(3, 2, 2, dtype=ember.float64, requires_grad=True)
    assert gradcheck(lambda x, h, c: m(x, (h, c))[1][1], (x, h0, c0))
    cell = nn.GRUCell(2, 3).double()
    assert gradcheck(lambda x, h: cell(x, h), (ember.randn(2, 2, dtype=ember.float64, requires_grad=True),
                                              ember.randn(2, 3, dtype=ember.float64, requires_grad=True)))


# -- errors ------------------------------------------------------------------------------------------------

@needs_torch
@pytest.mark.parametrize("fn", [
    lambda m, r: m.nn.RNNCell(3, 4)(r(2, 5)),
    lambda m, r: m.nn.RNNCell(3, 4)(r(2, 3), r(3, 4)),
    lambda m, r: m.nn.RNNCell(3, 4)(r(2, 3), r(2, 5)),
    lambda m, r: m.nn.LSTMCell(3, 4)(r(2, 3), (r(2, 4), r(3, 4))),
    lambda m, r: m.nn.GRUCell(3, 4)(r(2, 3, 1)),
    lambda m, r: m.nn.GRUCell(3, 4)(r(2, 3), r(2, 4, 1)),
    lambda m, r: m.nn.LSTMCell(3, 4)(r(2, 3), (r(2, 4, 1), r(2, 4))),
    lambda m, r: m.nn.RNNCell(3, 4, nonlinearity="gelu")(r(2, 3)),
    lambda m, r: m.nn.LSTM(3, 4)(r(2, 3, 1, 1)),
    lambda m, r: m.nn.RNN(3, 4)(r(2, 3, 1, 1)),
    lambda m, r: m.nn.GRU(3, 4)(r(2, 3, 1, 1)),
    lambda m, r: m.nn.LSTM(3, 4)(r(5, 2, 4)),
    lambda m, r: m.nn.LSTM(3, 4)(r(5, 2, 3), (r(1, 3, 4), r(1, 2, 4))),
    lambda m, r: m.nn.LSTM(3, 4)(r(5, 2, 3), (r(1, 2, 4), r(1, 3, 4))),
    lambda m, r: m.nn.LSTM(3, 4)(r(5, 2, 3), (r(2, 4), r(1, 2, 4))),
    lambda m, r: m.nn.GRU(3, 4)(r(5, 2, 3), r(2, 2, 4)),
    lambda m, r: m.nn.GRU(3, 4)(r(5, 2, 3), r(2, 4)),
    lambda m, r: m.nn.GRU(3, 4)(r(5, 3), r(1, 2, 4)),
    lambda m, r: m.nn.RNN(3, 4)(r(5, 3), r(1, 2, 4)),
    lambda m, r: m.nn.LSTM(3, 4)(r(5, 3), (r(1, 2, 4), r(1, 2, 4))),
    lambda m, r: m.nn.GRU(3, 4)(r(5, 2, 3).double()),
    lambda m, r: m.nn.GRU(3, 4, proj_size=2),
    lambda m, r: m.nn.RNN(3, 4, proj_size=2),
    lambda m, r: m.nn.LSTM(3, 4, proj_size=4),
    lambda m, r: m.nn.LSTM(3, 4, proj_size=-1),
    lambda m, r: m.nn.LSTM(3, 4, dropout=2),
    lambda m, r: m.nn.LSTM(3, 4, dropout=True),
    lambda m, r: m.nn.RNN(3, 4, nonlinearity="gelu"),
    lambda m, r: m.nn.RNN(3, 0),
    lambda m, r: m.nn.RNN(0, 3),
    lambda m, r: m.nn.RNN(3, 4, 0),
    lambda m, r: m.nn.RNN(3.0, 4),
    lambda m, r: m.nn.RNN(3, 4, bias=1),
    lambda m, r: m.nn.RNN(3, 4, batch_first=1),
])
def test_errors_match_torch(fn):
    def rt(*s):
        return torch.tensor(_arr(*s))

    def re_(*s):
        return ember.tensor(_arr(*s))
    raises_like(lambda: fn(torch, rt), lambda: fn(ember, re_))


@needs_torch
def test_dropout_single_layer_warns():
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        nn.LSTM(3, 4, dropout=0.5)
    assert any("non-zero dropout expects num_layers greater than 1" in str(m.message) for m in w)
