"""scaled_dot_product_attention, MultiheadAttention and the Transformer modules against torch (same weights)."""
import copy
import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import ember
import ember.nn as nn
import ember.nn.functional as F
from tests.helpers import needs_torch, assert_close, raises_like, torch

if torch is not None:
    import torch.nn as tnn
    import torch.nn.functional as TF
    torch.set_num_threads(1)  # tiny shapes: torch's thread pool only adds contention on a shared machine

pytestmark = [pytest.mark.filterwarnings("ignore:Support for mismatched"),
              pytest.mark.filterwarnings("ignore:The PyTorch API of nested tensors")]

try:
    LayerNorm = nn.LayerNorm
except AttributeError:  # exported by the normalization module's owner
    from ember.nn.modules.normalization import LayerNorm

RNG = np.random.default_rng(0)


def _arr(*shape, dtype=np.float32):
    return RNG.standard_normal(shape).astype(dtype)


def _pair(arr, rg=True):
    return ember.tensor(arr, requires_grad=rg), torch.tensor(arr, requires_grad=rg)


def _load(em, tm):
    """torch module's state_dict into the ember module: the keys must match exactly."""
    sd = {k: ember.tensor(v.detach().numpy().copy()) for k, v in tm.state_dict().items()}
    res = em.load_state_dict(sd)
    assert not res.missing_keys and not res.unexpected_keys


def _check_param_grads(em, tm, rtol=1e-4, atol=1e-5):
    tp = dict(tm.named_parameters())
    ep = dict(em.named_parameters())
    assert ep.keys() == tp.keys()
    for name, p in ep.items():
        if tp[name].grad is None:
            assert p.grad is None or not p.grad.numpy().any(), name
            continue
        assert_close(p.grad, tp[name].grad, rtol=rtol, atol=atol)


def _backward_both(ye, yt):
    g = _arr(*yt.shape)
    ye.backward(ember.tensor(g))
    yt.backward(torch.tensor(g))


# -- scaled_dot_product_attention ---------------------------------------------------------------------------

def _sdpa_masks(L, S):
    bool_m = RNG.random((L, S)) > 0.3
    bool_m[:, 0] = True  # every query keeps a key
    return {
        "none": None,
        "bool": bool_m,
        "bool4d": np.broadcast_to(bool_m, (2, 1, L, S)).copy(),
        "float": _arr(L, S),
        "float_inf": np.where(bool_m, 0.0, -np.inf).astype(np.float32),
    }


@needs_torch
@pytest.mark.parametrize("mask", ["none", "bool", "bool4d", "float", "float_inf", "causal"])
@pytest.mark.parametrize("L,S", [(4, 4), (3, 5), (5, 3)])
@pytest.mark.parametrize("scale", [None, 0.3])
def test_sdpa_matches_torch(mask, L, S, scale):
    qa, ka, va = _arr(2, 3, L, 8), _arr(2, 3, S, 8), _arr(2, 3, S, 6)
    (qe, qt), (ke, kt), (ve, vt) = _pair(qa), _pair(ka), _pair(va)
    causal = mask == "causal"
    m = None if causal else _sdpa_masks(L, S)[mask]
    me, mt = (None, None) if m is None else _pair(m, rg=False)
    ye = F.scaled_dot_product_attention(qe, ke, ve, attn_mask=me, is_causal=causal, scale=scale)
    yt = TF.scaled_dot_product_attention(qt, kt, vt, attn_mask=mt, is_causal=causal, scale=scale)
    assert_close(ye, yt, atol=1e-5)
    _backward_both(ye, yt)
    for a, b in ((qe, qt), (ke, kt), (ve, vt)):
        assert_close(a.grad, b.grad, rtol=1e-4, atol=1e-5)


@needs_torch
@pytest.mark.parametrize("shapes", [((5, 4), (6, 4), (6, 3)), ((2, 5, 4), (2, 6, 4), (2, 6, 3)),
                                    ((2, 5, 4), (1, 6, 4), (1, 6, 3))])
def test_sdpa_shapes_and_float_mask_grad(shapes):
    qs, ks, vs = shapes
    (qe, qt), (ke, kt), (ve, vt) = _pair(_arr(*qs)), _pair(_arr(*ks)), _pair(_arr(*vs))
    me, mt = _pair(_arr(qs[-2], ks[-2]))
    ye = F.scaled_dot_product_attention(qe, ke, ve, attn_mask=me)
    yt = TF.scaled_dot_product_attention(qt, kt, vt, attn_mask=mt)
    assert_close(ye, yt, atol=1e-5)
    _backward_both(ye, yt)
    for a, b in ((qe, qt), (ke, kt), (ve, vt), (me, mt)):
        assert_close(a.grad, b.grad, rtol=1e-4, atol=1e-5)


@needs_torch
@pytest.mark.parametrize("kind", ["bool", "float"])
def test_sdpa_fully_masked_rows_give_zeros(kind):
    # torch's math kernel uses a safe softmax: a query with no key left outputs 0 (and gets 0 gradient)
    (qe, qt), (ke, kt), (ve, vt) = _pair(_arr(2, 3, 4)), _pair(_arr(2, 5, 4)), _pair(_arr(2, 5, 6))
    keep = np.ones((3, 5), bool)
    keep[1] = False
    m = keep if kind == "bool" else np.where(keep, 0.0, -np.inf).astype(np.float32)
    me, mt = _pair(m, rg=False)
    ye = F.scaled_dot_product_attention(qe, ke, ve, attn_mask=me)
    yt = TF.scaled_dot_product_attention(qt, kt, vt, attn_mask=mt)
    assert not np.isnan(ye.detach().numpy()).any()
    assert_close(ye, yt, atol=1e-6)
    assert not ye.detach().numpy()[:, 1].any()
    _backward_both(ye, yt)
    for a, b in ((qe, qt), (ke, kt), (ve, vt)):
        assert not np.isnan(a.grad.numpy()).any()
        assert_close(a.grad, b.grad, rtol=1e-4, atol=1e-5)


@needs_torch
@settings(max_examples=25, deadline=None)
@given(batch=st.lists(st.integers(1, 3), min_size=0, max_size=2), L=st.integers(1, 6), S=st.integers(1, 6),
       E=st.integers(1, 5), Ev=st.integers(1, 5), mask=st.sampled_from(["none", "bool", "float", "causal"]),
       seed=st.integers(0, 2**16))
def test_sdpa_hypothesis(batch, L, S, E, Ev, mask, seed):
    rng = np.random.default_rng(seed)
    b = tuple(batch)
    f = lambda *s: rng.standard_normal(s).astype(np.float32)  # noqa: E731
    (qe, qt), (ke, kt), (ve, vt) = _pair(f(*b, L, E)), _pair(f(*b, S, E)), _pair(f(*b, S, Ev))
    me = mt = None
    if mask == "bool":
        me, mt = _pair(rng.random((L, S)) > 0.5, rg=False)  # may leave rows fully masked: zeros
    elif mask == "float":
        me, mt = _pair(f(L, S), rg=False)
    ye = F.scaled_dot_product_attention(qe, ke, ve, attn_mask=me, is_causal=mask == "causal")
    yt = TF.scaled_dot_product_attention(qt, kt, vt, attn_mask=mt, is_causal=mask == "causal")
    assert_close(ye, yt, atol=1e-5)
    _backward_both(ye, yt)
    for a, c in ((qe, qt), (ke, kt), (ve, vt)):
        assert_close(a.grad, c.grad, rtol=1e-4, atol=1e-5)


@needs_torch
def test_sdpa_gqa():
    (qe, qt), (ke, kt), (ve, vt) = _pair(_arr(2, 4, 3, 8)), _pair(_arr(2, 2, 5, 8)), _pair(_arr(2, 1, 5, 6))
    ye = F.scaled_dot_product_attention(qe, ke, ve, enable_gqa=True)
    yt = TF.scaled_dot_product_attention(qt, kt, vt, enable_gqa=True)
    assert_close(ye, yt, atol=1e-5)
    _backward_both(ye, yt)
    for a, b in ((qe, qt), (ke, kt), (ve, vt)):
        assert_close(a.grad, b.grad, rtol=1e-4, atol=1e-5)


def test_sdpa_dropout():
    q, k, v = (ember.tensor(_arr(2, 4, 6, 8), requires_grad=True) for _ in range(3))
    ref = F.scaled_dot_product_attention(q, k, v)
    assert not F.scaled_dot_product_attention(q, k, v, dropout_p=1.0).detach().numpy().any()
    ember.manual_seed(3)
    a = F.scaled_dot_product_attention(q, k, v, dropout_p=0.5)
    ember.manual_seed(3)
    b = F.scaled_dot_product_attention(q, k, v, dropout_p=0.5)
    np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())  # same seed, same mask
    assert np.abs(a.detach().numpy() - ref.detach().numpy()).max() > 1e-3  # dropout did something
    a.sum().backward()
    assert q.grad is not None and np.isfinite(q.grad.numpy()).all()


@pytest.mark.parametrize("mask", ["none", "bool", "float", "causal"])
def test_sdpa_gradcheck(mask):
    rng = np.random.default_rng(1)
    q = ember.tensor(rng.standard_normal((2, 3, 4)), requires_grad=True)
    k = ember.tensor(rng.standard_normal((2, 4, 4)), requires_grad=True)
    v = ember.tensor(rng.standard_normal((2, 4, 3)), requires_grad=True)
    inputs = [q, k, v]
    if mask == "bool":
        keep = rng.random((3, 4)) > 0.4
        keep[:, 0] = True
        m = ember.tensor(keep)
        fn = lambda q, k, v: F.scaled_dot_product_attention(q, k, v, attn_mask=m, scale=0.7)  # noqa: E731
    elif mask == "float":
        inputs.append(ember.tensor(rng.standard_normal((3, 4)), requires_grad=True))
        fn = lambda q, k, v, m: F.scaled_dot_product_attention(q, k, v, attn_mask=m)  # noqa: E731
    else:
        fn = lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=mask == "causal")  # noqa: E731
    assert ember.autograd.gradcheck(fn, tuple(inputs))


def test_sdpa_gradgradcheck():
    rng = np.random.default_rng(2)
    q, k, v = (ember.tensor(rng.standard_normal(s), requires_grad=True) for s in ((2, 3), (4, 3), (4, 2)))
    assert ember.autograd.gradgradcheck(lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=True),
                                        (q, k, v))


def test_sdpa_keyword_only_scale():
    q = ember.randn(2, 3, 4)
    with pytest.raises(TypeError, match="takes from 3 to 6 positional arguments but 7 were given"):
        F.scaled_dot_product_attention(q, q, q, None, 0.0, False, 0.5)


@pytest.mark.parametrize("need_weights", [True, False])
def test_mha_gradcheck(need_weights):
    ember.manual_seed(0)
    m = nn.MultiheadAttention(4, 2, kdim=3, vdim=2, add_bias_kv=True, dtype=ember.float64)
    rng = np.random.default_rng(4)
    q = ember.tensor(rng.standard_normal((3, 2, 4)), requires_grad=True)
    k = ember.tensor(rng.standard_normal((4, 2, 3)), requires_grad=True)
    v = ember.tensor(rng.standard_normal((4, 2, 2)), requires_grad=True)
    kpm = ember.tensor(np.array([[False, False, True, False], [False, False, False, False]]))
    am = ember.tensor(rng.standard_normal((3, 4)))
    ps = [p.detach().clone().requires_grad_() for p in (m.q_proj_weight, m.k_proj_weight, m.v_proj_weight,
                                                         m.in_proj_bias, m.bias_k, m.bias_v, m.out_proj.weight)]

    def fn(q, k, v, wq, wk, wv, b, bk, bv, wo):
        return F.multi_head_attention_forward(
            q, k, v, 4, 2, None, b, bk, bv, True, 0.0, wo, None, key_padding_mask=kpm, attn_mask=am,
            need_weights=need_weights, use_separate_proj_weight=True, q_proj_weight=wq, k_proj_weight=wk,
            v_proj_weight=wv)[0]

    assert ember.autograd.gradcheck(fn, (q, k, v, *ps))


@needs_torch
def test_sdpa_errors():
    q, k, v = _arr(1, 2, 3, 4), _arr(1, 2, 5, 4), _arr(1, 2, 5, 6)
    E = lambda a: ember.tensor(a)  # noqa: E731
    T = lambda a: torch.tensor(a)  # noqa: E731
    cases = [
        ((q, k, v), dict(attn_mask=np.ones((3, 5), bool), is_causal=True)),
        ((q, k[..., :3], v), {}),
        ((q, k, v[:, :, :4]), {}),
        ((q, k, v), dict(attn_mask=np.ones((3, 5), np.int64))),
        ((q, k, v), dict(attn_mask=np.ones((3, 5), np.float64))),
        ((q, k, v), dict(attn_mask=np.ones((3, 4), np.float32))),
        ((q.astype(np.float64), k, v), {}),
        ((q[0, 0, 0], k[0, 0, 0], v[0, 0, 0]), {}),
        ((q, k, v), dict(dropout_p=1.5)),
        ((_arr(1, 4, 3, 4), _arr(1, 3, 5, 4), _arr(1, 3, 5, 6)), dict(enable_gqa=True)),
    ]
    for (a, b, c), kw in cases:
        kwe = {n: (E(x) if isinstance(x, np.ndarray) else x) for n, x in kw.items()}
        kwt = {n: (T(x) if isinstance(x, np.ndarray) else x) for n, x in kw.items()}
        raises_like(lambda: TF.scaled_dot_product_attention(T(a), T(b), T(c), **kwt),
                    lambda: F.scaled_dot_product_attention(E(a), E(b), E(c), **kwe))


# -- MultiheadAttention --------------------------------------------------------------------------------------

MHA_CONFIGS = [
    dict(),
    dict(batch_first=True),
    dict(kdim=3, vdim=5),
    dict(kdim=3, vdim=5, batch_first=True),
    dict(add_bias_kv=True, add_zero_attn=True),
    dict(add_bias_kv=True),
    dict(add_zero_attn=True, batch_first=True),
    dict(bias=False),
]


def _mha_pair(cfg, E=8, H=2):
    torch.manual_seed(0)
    tm = tnn.MultiheadAttention(E, H, **cfg)
    em = nn.MultiheadAttention(E, H, **cfg)
    _load(em, tm)
    return em, tm


def _mha_inputs(cfg, L, S, N, E=8, self_attn=False):
    bf = cfg.get("batch_first", False)
    shp = lambda n, d: (N, n, d) if bf else (n, N, d)  # noqa: E731
    qa = _arr(*shp(L, E))
    if self_attn:
        qe, qt = _pair(qa)
        return (qe, qe, qe), (qt, qt, qt)
    ka, va = _arr(*shp(S, cfg.get("kdim", E))), _arr(*shp(S, cfg.get("vdim", E)))
    pe, pt = zip(*(_pair(a) for a in (qa, ka, va)))
    return pe, pt


def _mha_masks(kind, L, S, N, H):
    kpm = np.zeros((N, S), bool)
    kpm[0, -2:] = True
    am_bool = RNG.random((L, S)) > 0.7
    am_bool[:, 0] = False
    if kind == "none":
        return None, None
    if kind == "kpm":
        return kpm, None
    if kind == "kpm_float":
        return np.where(kpm, -np.inf, 0.0).astype(np.float32), None
    if kind == "attn_bool":
        return None, am_bool
    if kind == "attn_float":
        return None, _arr(L, S)
    if kind == "attn_3d":
        return None, _arr(N * H, L, S)
    if kind == "both":
        return kpm, am_bool
    if kind == "both_float":
        return np.where(kpm, -np.inf, 0.0).astype(np.float32), _arr(L, S)
    raise AssertionError(kind)


@needs_torch
@pytest.mark.parametrize("cfg", MHA_CONFIGS, ids=lambda c: ",".join(f"{k}={v}" for k, v in c.items()) or "default")
@pytest.mark.parametrize("masks", ["none", "kpm", "attn_float", "both"])
@pytest.mark.parametrize("need_weights", [True, False])
def test_mha_matches_torch(cfg, masks, need_weights):
    L, S, N, H = 4, 5, 3, 2
    em, tm = _mha_pair(cfg)
    (qe, ke, ve), (qt, kt, vt) = _mha_inputs(cfg, L, S, N)
    kpm, am = _mha_masks(masks, L, S, N, H)
    kw_e = dict(key_padding_mask=None if kpm is None else ember.tensor(kpm),
                attn_mask=None if am is None else ember.tensor(am), need_weights=need_weights)
    kw_t = dict(key_padding_mask=None if kpm is None else torch.tensor(kpm),
                attn_mask=None if am is None else torch.tensor(am), need_weights=need_weights)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        oe, we = em(qe, ke, ve, **kw_e)
        ot, wt = tm(qt, kt, vt, **kw_t)
    assert_close(oe, ot, atol=1e-5)
    if need_weights:
        assert_close(we, wt, atol=1e-6)
    else:
        assert we is None and wt is None
    _backward_both(oe, ot)
    for a, b in ((qe, qt), (ke, kt), (ve, vt)):
        assert_close(a.grad, b.grad, rtol=1e-4, atol=1e-5)
    _check_param_grads(em, tm)


@needs_torch
@pytest.mark.parametrize("masks", ["kpm_float", "attn_bool", "attn_3d", "both_float"])
@pytest.mark.parametrize("batch_first", [False, True])
def test_mha_self_attention_masks(masks, batch_first):
    cfg = dict(batch_first=batch_first)
    L = S = 4
    N, H = 3, 2
    em, tm = _mha_pair(cfg)
    (qe, ke, ve), (qt, kt, vt) = _mha_inputs(cfg, L, S, N, self_attn=True)
    kpm, am = _mha_masks(masks, L, S, N, H)
    for nw, avg in ((True, True), (True, False), (False, True)):
        qe.grad = None
        qt.grad = None
        em.zero_grad()
        tm.zero_grad()
        oe, we = em(qe, ke, ve, key_padding_mask=None if kpm is None else ember.tensor(kpm),
                    attn_mask=None if am is None else ember.tensor(am), need_weights=nw, average_attn_weights=avg)
        ot, wt = tm(qt, kt, vt, key_padding_mask=None if kpm is None else torch.tensor(kpm),
                    attn_mask=None if am is None else torch.tensor(am), need_weights=nw, average_attn_weights=avg)
        assert_close(oe, ot, atol=1e-5)
        if nw:
            assert_close(we, wt, atol=1e-6)
        _backward_both(oe, ot)
        assert_close(qe.grad, qt.grad, rtol=1e-4, atol=1e-5)
        _check_param_grads(em, tm)


@needs_torch
@pytest.mark.parametrize("need_weights", [True, False])
@pytest.mark.parametrize("with_kpm", [True, False])
def test_mha_causal(need_weights, with_kpm):
    em, tm = _mha_pair(dict(batch_first=True))
    (qe, ke, ve), (qt, kt, vt) = _mha_inputs(dict(batch_first=True), 5, 5, 2, self_attn=True)
    mask = tnn.Transformer.generate_square_subsequent_mask(5)
    emask = nn.Transformer.generate_square_subsequent_mask(5)
    assert_close(emask, mask)
    kpm = np.zeros((2, 5), bool)
    kpm[1, 3:] = True
    kw = lambda T: dict(attn_mask=T(mask.numpy()), is_causal=True, need_weights=need_weights,  # noqa: E731
                        key_padding_mask=T(kpm) if with_kpm else None)
    oe, we = em(qe, ke, ve, **kw(ember.tensor))
    ot, wt = tm(qt, kt, vt, **kw(torch.tensor))
    assert_close(oe, ot, atol=1e-5)
    if need_weights:
        assert_close(we, wt, atol=1e-6)
    _backward_both(oe, ot)
    assert_close(qe.grad, qt.grad, rtol=1e-4, atol=1e-5)
    _check_param_grads(em, tm)


@needs_torch
@pytest.mark.parametrize("need_weights", [True, False])
def test_mha_unbatched(need_weights):
    em, tm = _mha_pair(dict(kdim=3, vdim=5, batch_first=True))
    (qe, qt), (ke, kt), (ve, vt) = _pair(_arr(4, 8)), _pair(_arr(6, 3)), _pair(_arr(6, 5))
    kpm = np.array([False, False, True, False, False, True])
    am = _arr(2, 4, 6)  # (num_heads, L, S) for unbatched input
    oe, we = em(qe, ke, ve, key_padding_mask=ember.tensor(kpm), attn_mask=ember.tensor(am), need_weights=need_weights,
                average_attn_weights=False)
    ot, wt = tm(qt, kt, vt, key_padding_mask=torch.tensor(kpm), attn_mask=torch.tensor(am), need_weights=need_weights,
                average_attn_weights=False)
    assert_close(oe, ot, atol=1e-5)
    if need_weights:
        assert_close(we, wt, atol=1e-6)
    _backward_both(oe, ot)
    for a, b in ((qe, qt), (ke, kt), (ve, vt)):
        assert_close(a.grad, b.grad, rtol=1e-4, atol=1e-5)


@needs_torch
def test_mha_fully_padded_sequence():
    # need_weights=True uses a plain softmax (NaN, as in torch); need_weights=False goes through SDPA (zeros)
    em, tm = _mha_pair({})
    (qe, ke, ve), (qt, kt, vt) = _mha_inputs({}, 3, 3, 2, self_attn=True)
    kpm = np.array([[False, False, False], [True, True, True]])
    for nw in (True, False):
        oe, we = em(qe, ke, ve, key_padding_mask=ember.tensor(kpm), need_weights=nw)
        ot, wt = tm(qt, kt, vt, key_padding_mask=torch.tensor(kpm), need_weights=nw)
        assert_close(oe, ot, atol=1e-5)
        if nw:
            assert_close(we, wt, atol=1e-6)


@needs_torch
def test_mha_eval_no_grad_and_dropout():
    em, tm = _mha_pair(dict(dropout=0.5, batch_first=True))
    (qe, ke, ve), (qt, kt, vt) = _mha_inputs(dict(batch_first=True), 4, 4, 2, self_attn=True)
    em.eval()
    tm.eval()
    with ember.no_grad(), torch.no_grad():
        oe, we = em(qe, ke, ve)
        ot, wt = tm(qt, kt, vt)
    assert_close(oe, ot, atol=1e-5)
    assert_close(we, wt, atol=1e-6)
    em.train()
    ember.manual_seed(0)
    o1, w1 = em(qe, ke, ve)
    ember.manual_seed(0)
    o2, w2 = em(qe, ke, ve)
    np.testing.assert_array_equal(o1.detach().numpy(), o2.detach().numpy())
    assert np.abs(o1.detach().numpy() - oe.numpy()).max() > 1e-4  # dropout is active in training


@needs_torch
@pytest.mark.parametrize("cfg", MHA_CONFIGS)
def test_mha_parameters_and_init(cfg):
    torch.manual_seed(0)
    tm = tnn.MultiheadAttention(8, 2, **cfg)
    em = nn.MultiheadAttention(8, 2, **cfg)
    assert list(em.state_dict().keys()) == list(tm.state_dict().keys())
    for (n1, p1), (n2, p2) in zip(em.named_parameters(), tm.named_parameters()):
        assert n1 == n2 and tuple(p1.shape) == tuple(p2.shape) and p1.dtype == ember.float32
    assert repr(em) == repr(tm)
    assert isinstance(em.out_proj, nn.Linear)
    assert type(em.out_proj).__name__ == "NonDynamicallyQuantizableLinear"
    assert em.head_dim == tm.head_dim and em._qkv_same_embed_dim == tm._qkv_same_embed_dim
    if cfg.get("bias", True):
        assert not em.in_proj_bias.detach().numpy().any() and not em.out_proj.bias.detach().numpy().any()
    w = em.in_proj_weight if em._qkv_same_embed_dim else em.q_proj_weight
    fan_in, fan_out = w.shape[1], w.shape[0]
    bound = math.sqrt(6.0 / (fan_in + fan_out))
    assert np.abs(w.detach().numpy()).max() <= bound and w.detach().numpy().std() > bound / 4
    if cfg.get("add_bias_kv"):
        assert em.bias_k.detach().numpy().any()
    else:
        assert em.bias_k is None and em.bias_v is None
    dm = nn.MultiheadAttention(8, 2, dtype=ember.float64, **cfg)
    assert all(p.dtype == ember.float64 for p in dm.parameters())


@needs_torch
def test_mha_errors():
    raises_like(lambda: tnn.MultiheadAttention(10, 3), lambda: nn.MultiheadAttention(10, 3))
    raises_like(lambda: tnn.MultiheadAttention(0, 3), lambda: nn.MultiheadAttention(0, 3))
    raises_like(lambda: tnn.MultiheadAttention(4, -1), lambda: nn.MultiheadAttention(4, -1))
    em, tm = _mha_pair({})
    x = _arr(4, 2, 8)
    E, T = ember.tensor, torch.tensor
    calls = [
        lambda M, t: M(t(x), t(x), t(x), is_causal=True),  # is_causal needs attn_mask
        lambda M, t: M(t(x), t(x), t(x), attn_mask=t(np.zeros((3, 4), np.float32))),
        lambda M, t: M(t(x), t(x), t(x), attn_mask=t(np.zeros((5, 4, 4), np.float32))),
        lambda M, t: M(t(x), t(x), t(x), attn_mask=t(np.zeros((4, 4), np.int64))),
        lambda M, t: M(t(x), t(x), t(x), key_padding_mask=t(np.zeros((4,), bool))),
        lambda M, t: M(t(x), t(x), t(x), key_padding_mask=t(np.zeros((3, 4), bool))),
        lambda M, t: M(t(x), t(x), t(x), key_padding_mask=t(np.zeros((2, 5), bool))),
        lambda M, t: M(t(x), t(x[:, :, :4]), t(x)),
        lambda M, t: M(t(x[0, 0]), t(x[0, 0]), t(x[0, 0])),
        lambda M, t: M(t(x), t(x[:3]), t(x)),
        lambda M, t: M(t(x[:, :, :4]), t(x[:, :, :4]), t(x[:, :, :4])),
        lambda M, t: M(t(x), t(x[:, 0]), t(x[:, 0])),
    ]
    for call in calls:
        raises_like(lambda: call(tm, T), lambda: call(em, E))


@needs_torch
def test_mha_mismatched_mask_warning():
    em, _ = _mha_pair({})
    x = ember.tensor(_arr(4, 2, 8))
    with pytest.warns(UserWarning, match="Support for mismatched key_padding_mask and attn_mask is deprecated"):
        em(x, x, x, key_padding_mask=ember.tensor(np.zeros((2, 4), bool)),
           attn_mask=ember.tensor(np.zeros((4, 4), np.float32)))


@needs_torch
def test_multi_head_attention_forward_functional():
    # the functional form with separate projection weights and static-free call, as torch exposes it
    em, tm = _mha_pair(dict(kdim=3, vdim=5))
    (qe, ke, ve), (qt, kt, vt) = _mha_inputs(dict(kdim=3, vdim=5), 4, 5, 2)
    args = lambda m: (m.embed_dim, m.num_heads, m.in_proj_weight, m.in_proj_bias, None, None, False, 0.0,  # noqa
                      m.out_proj.weight, m.out_proj.bias)
    kw = lambda m: dict(use_separate_proj_weight=True, q_proj_weight=m.q_proj_weight,  # noqa: E731
                        k_proj_weight=m.k_proj_weight, v_proj_weight=m.v_proj_weight)
    oe, we = F.multi_head_attention_forward(qe, ke, ve, *args(em), **kw(em))
    ot, wt = TF.multi_head_attention_forward(qt, kt, vt, *args(tm), **kw(tm))
    assert_close(oe, ot, atol=1e-5)
    assert_close(we, wt, atol=1e-6)


# -- Transformer --------------------------------------------------------------------------------------------

def _enc_layer_kwargs(norm_first, activation, batch_first):
    return dict(dim_feedforward=16, dropout=0.0, norm_first=norm_first, activation=activation,
                batch_first=batch_first)


@needs_torch
@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("activation", ["relu", "gelu"])
@pytest.mark.parametrize("batch_first", [False, True])
def test_transformer_encoder_matches_torch(norm_first, activation, batch_first):
    d, h, L, N = 8, 2, 5, 3
    kw = _enc_layer_kwargs(norm_first, activation, batch_first)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tm = tnn.TransformerEncoder(tnn.TransformerEncoderLayer(d, h, **kw), 2, norm=tnn.LayerNorm(d))
        em = nn.TransformerEncoder(nn.TransformerEncoderLayer(d, h, **kw), 2, norm=LayerNorm(d))
    _load(em, tm)
    x = _arr(N, L, d) if batch_first else _arr(L, N, d)
    (xe, xt) = _pair(x)
    kpm = np.zeros((N, L), bool)
    kpm[1, -2:] = True
    mask = tnn.Transformer.generate_square_subsequent_mask(L)
    for kwargs in (dict(), dict(src_key_padding_mask=kpm), dict(mask=mask.numpy(), is_causal=True),
                   dict(mask=mask.numpy(), src_key_padding_mask=kpm)):
        xe.grad = None
        xt.grad = None
        em.zero_grad()
        tm.zero_grad()
        ye = em(xe, **{k: ember.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()})
        yt = tm(xt, **{k: torch.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()})
        assert_close(ye, yt, rtol=1e-4, atol=1e-5)
        _backward_both(ye, yt)
        assert_close(xe.grad, xt.grad, rtol=1e-4, atol=1e-4)
        _check_param_grads(em, tm, atol=1e-4)


@needs_torch
@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("activation", ["relu", "gelu"])
def test_transformer_decoder_matches_torch(norm_first, activation):
    d, h, T, S, N = 8, 2, 4, 5, 2
    kw = dict(dim_feedforward=16, dropout=0.0, norm_first=norm_first, activation=activation)
    tm = tnn.TransformerDecoder(tnn.TransformerDecoderLayer(d, h, **kw), 2, norm=tnn.LayerNorm(d))
    em = nn.TransformerDecoder(nn.TransformerDecoderLayer(d, h, **kw), 2, norm=LayerNorm(d))
    _load(em, tm)
    (te, tt), (me, mt) = _pair(_arr(T, N, d)), _pair(_arr(S, N, d))
    tgt_mask = tnn.Transformer.generate_square_subsequent_mask(T).numpy()
    mkpm = np.zeros((N, S), bool)
    mkpm[0, -1] = True
    tkpm = np.zeros((N, T), bool)
    tkpm[1, -1] = True
    kw_np = dict(tgt_mask=tgt_mask, memory_key_padding_mask=mkpm, tgt_key_padding_mask=tkpm,
                 memory_mask=_arr(T, S))
    ye = em(te, me, **{k: ember.tensor(v) for k, v in kw_np.items()})
    yt = tt_out = tm(tt, mt, **{k: torch.tensor(v) for k, v in kw_np.items()})
    assert_close(ye, tt_out, rtol=1e-4, atol=1e-5)
    _backward_both(ye, yt)
    assert_close(te.grad, tt.grad, rtol=1e-4, atol=1e-4)
    assert_close(me.grad, mt.grad, rtol=1e-4, atol=1e-4)
    _check_param_grads(em, tm, atol=1e-4)


@needs_torch
@pytest.mark.parametrize("batch_first", [False, True])
def test_transformer_matches_torch(batch_first):
    d, h, S, T, N = 8, 2, 5, 4, 2
    kw = dict(d_model=d, nhead=h, num_encoder_layers=2, num_decoder_layers=1, dim_feedforward=16, dropout=0.0,
              batch_first=batch_first)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tm = tnn.Transformer(**kw)
        em = nn.Transformer(**kw)
    assert list(em.state_dict().keys()) == list(tm.state_dict().keys())
    _load(em, tm)
    src = _arr(N, S, d) if batch_first else _arr(S, N, d)
    tgt = _arr(N, T, d) if batch_first else _arr(T, N, d)
    (se, st), (te, tt) = _pair(src), _pair(tgt)
    tgt_mask = nn.Transformer.generate_square_subsequent_mask(T)
    ye = em(se, te, tgt_mask=tgt_mask)
    yt = tm(st, tt, tgt_mask=torch.tensor(tgt_mask.numpy()))
    assert_close(ye, yt, rtol=1e-4, atol=1e-5)
    _backward_both(ye, yt)
    assert_close(se.grad, st.grad, rtol=1e-4, atol=1e-4)
    assert_close(te.grad, tt.grad, rtol=1e-4, atol=1e-4)
    _check_param_grads(em, tm, atol=1e-4)
    # unbatched
    ye = em(ember.tensor(src[0] if batch_first else src[:, 0]), ember.tensor(tgt[0] if batch_first else tgt[:, 0]))
    yt = tm(torch.tensor(src[0] if batch_first else src[:, 0]), torch.tensor(tgt[0] if batch_first else tgt[:, 0]))
    assert_close(ye, yt, rtol=1e-4, atol=1e-5)


@needs_torch
def test_transformer_state_dict_keys_and_init():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tm = tnn.Transformer(16, 4, 2, 2, 32)
        em = nn.Transformer(16, 4, 2, 2, 32)
    assert list(em.state_dict().keys()) == list(tm.state_dict().keys())
    for name, p in em.named_parameters():
        if p.dim() > 1:  # xavier_uniform_ everywhere
            fan_out, fan_in = p.shape
            assert np.abs(p.detach().numpy()).max() <= math.sqrt(6.0 / (fan_in + fan_out)) + 1e-7, name
    # deep copies: each layer owns its parameters
    a = em.encoder.layers[0].self_attn.in_proj_weight
    b = em.encoder.layers[1].self_attn.in_proj_weight
    assert a is not b
    assert em.d_model == 16 and em.nhead == 4 and em.encoder.num_layers == 2
    assert repr(em) == repr(tm)


@needs_torch
def test_encoder_layer_variants():
    d, h = 8, 2
    for kw in (dict(bias=False), dict(activation=TF.gelu), dict(layer_norm_eps=1e-3)):
        kwe = dict(kw)
        if "activation" in kw:
            kwe["activation"] = F.gelu
        tm = tnn.TransformerEncoderLayer(d, h, 16, 0.0, **kw)
        em = nn.TransformerEncoderLayer(d, h, 16, 0.0, **kwe)
        assert list(em.state_dict().keys()) == list(tm.state_dict().keys())
        assert em.activation_relu_or_gelu == tm.activation_relu_or_gelu
        _load(em, tm)
        (xe, xt) = _pair(_arr(4, 2, d))
        ye, yt = em(xe), tm(xt)
        assert_close(ye, yt, rtol=1e-4, atol=1e-5)
    custom = nn.TransformerEncoderLayer(d, h, activation=lambda x: x.tanh())
    assert custom.activation_relu_or_gelu == 0
    assert nn.TransformerEncoderLayer(d, h, activation=nn.GELU()).activation_relu_or_gelu == 2
    raises_like(lambda: tnn.TransformerEncoderLayer(d, h, activation="tanh"),
                lambda: nn.TransformerEncoderLayer(d, h, activation="tanh"))


@needs_torch
def test_encoder_nested_tensor_warning_and_inference_padding():
    d, h = 8, 2
    with pytest.warns(UserWarning, match="enable_nested_tensor is True, but self.use_nested_tensor is False "
                                         "because encoder_layer.norm_first was True"):
        nn.TransformerEncoder(nn.TransformerEncoderLayer(d, h, 16, norm_first=True), 1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        enc = nn.TransformerEncoder(nn.TransformerEncoderLayer(d, h, 16, 0.0, batch_first=True), 2)
    tm = tnn.TransformerEncoder(tnn.TransformerEncoderLayer(d, h, 16, 0.0, batch_first=True), 2)
    _load(enc, tm)
    enc.eval()
    tm.eval()
    src = _arr(2, 3, d)
    for kpm in (np.array([[False, False, True], [False, True, True]]),   # left aligned: torch's nested path
                np.array([[False, True, False], [False, True, True]])):  # not left aligned: regular path
        with ember.no_grad(), torch.no_grad():
            ye = enc(ember.tensor(src), src_key_padding_mask=ember.tensor(kpm))
            yt = tm(torch.tensor(src), src_key_padding_mask=torch.tensor(kpm))
        assert_close(ye, yt, rtol=1e-4, atol=1e-5)
    # with grad the padded positions are computed (no nested path)
    ye = enc(ember.tensor(src), src_key_padding_mask=ember.tensor(kpm))
    yt = tm(torch.tensor(src), src_key_padding_mask=torch.tensor(kpm))
    assert_close(ye, yt, rtol=1e-4, atol=1e-5)


@needs_torch
def test_transformer_errors_and_masks():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tm = tnn.Transformer(8, 2, 1, 1, 16)
        em = nn.Transformer(8, 2, 1, 1, 16)
    raises_like(lambda: tm(torch.zeros(3, 2, 8), torch.zeros(3, 4, 8)),
                lambda: em(ember.zeros(3, 2, 8), ember.zeros(3, 4, 8)))
    raises_like(lambda: tm(torch.zeros(3, 2, 8), torch.zeros(3, 2, 6)),
                lambda: em(ember.zeros(3, 2, 8), ember.zeros(3, 2, 6)))
    for sz, dt in ((1, None), (4, None), (3, ember.float64)):
        e = nn.Transformer.generate_square_subsequent_mask(sz, dtype=dt)
        t = tnn.Transformer.generate_square_subsequent_mask(sz, dtype=None if dt is None else torch.float64)
        assert_close(e, t)
    from ember.nn.modules.transformer import _detect_is_causal_mask
    m = nn.Transformer.generate_square_subsequent_mask(4)
    assert _detect_is_causal_mask(m) is True
    assert _detect_is_causal_mask(m, size=3) is False
    assert _detect_is_causal_mask(ember.zeros(4, 4)) is False
    assert _detect_is_causal_mask(None, True) is True


def test_transformer_train_step_reduces_loss():
    ember.manual_seed(0)
    model = nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 16, 0.0, batch_first=True), 1,
                                  enable_nested_tensor=False)
    x = ember.randn(4, 5, 8)
    target = ember.randn(4, 5, 8)
    opt = ember.optim.SGD(model.parameters(), lr=0.1)
    losses = []
    for _ in range(5):
        opt.zero_grad()
        loss = ((model(x) - target) ** 2).mean()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0]
    clone = copy.deepcopy(model)
    assert clone.layers[0].self_attn.in_proj_weight is not model.layers[0].self_attn.in_proj_weight
