"""ember.onnx.export: every model is exported with a dynamic batch axis, checked with
onnx.checker (full_check) and run by onnxruntime on a DIFFERENT batch size than the trace;
the results must match ember's own forward."""
import io
import subprocess
import sys

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

import ember as torch  # noqa: E402
import ember.nn as nn  # noqa: E402
import ember.nn.functional as F  # noqa: E402
from ember.onnx.errors import UnsupportedOperatorError  # noqa: E402


def _run(model, trace_args, run_args, tmp_path, name="m", dyn=True, n_out=None, **kw):
    """Export model on trace_args, run onnxruntime on run_args, compare with model(*run_args)."""
    if not isinstance(trace_args, tuple):
        trace_args, run_args = (trace_args,), (run_args,)
    in_names = [f"in{i}" for i in range(len(trace_args))]
    model.eval()
    with torch.no_grad():
        ref = model(*run_args)
    refs = [r for r in (ref if isinstance(ref, (tuple, list)) else (ref,))]
    refs = [r for r in _flat(refs)]
    out_names = [f"out{i}" for i in range(len(refs))]
    dynamic_axes = None
    if dyn:
        dynamic_axes = {n: {0: "batch"} for n in in_names}
        dynamic_axes.update({n: {0: "batch"} for n in out_names})
        dynamic_axes.update(kw.pop("extra_dyn", {}))
    path = str(tmp_path / f"{name}.onnx")
    torch.onnx.export(model, trace_args, path, input_names=in_names, output_names=out_names,
                      dynamic_axes=dynamic_axes, **kw)
    proto = onnx.load(path)
    onnx.checker.check_model(proto, full_check=True)
    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    got = sess.run(None, {n: a.numpy() for n, a in zip(in_names, run_args)})
    assert len(got) == len(refs)
    for gv, r in zip(got, refs):
        assert gv.shape == tuple(r.shape), (gv.shape, r.shape)
        assert gv.dtype == r.numpy().dtype
        np.testing.assert_allclose(gv, r.numpy(), rtol=1e-4, atol=1e-5)
    return proto


def _flat(xs):
    for x in xs:
        if isinstance(x, (tuple, list)):
            yield from _flat(x)
        else:
            yield x


def _ops(proto):
    return [n.op_type for n in proto.graph.node]


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)


class Lambda(nn.Module):
    def __init__(self, fn, *mods):
        super().__init__()
        self.fn = fn
        self.mods = nn.ModuleList(mods)

    def forward(self, *xs):
        return self.fn(self, *xs)


# -- layers ----------------------------------------------------------------------------------------

def test_linear_2d_is_gemm(tmp_path):
    m = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3, bias=False))
    p = _run(m, torch.randn(2, 4), torch.randn(5, 4), tmp_path)
    assert _ops(p)[0] == "Gemm"
    gemm = p.graph.node[0]
    assert {a.name: a.i for a in gemm.attribute}["transB"] == 1
    assert gemm.input[1] == "0.weight"  # parameters are initializers named by their state_dict keys
    names = {i.name for i in p.graph.initializer}
    assert {"0.weight", "0.bias", "2.weight"} <= names


def test_linear_3d(tmp_path):
    m = nn.Linear(4, 6)
    _run(m, torch.randn(2, 3, 4), torch.randn(5, 3, 4), tmp_path)


def test_conv1d(tmp_path):
    m = nn.Sequential(nn.Conv1d(4, 6, 3, stride=2, padding=2, dilation=2, groups=2), nn.Tanh())
    p = _run(m, torch.randn(2, 4, 11), torch.randn(3, 4, 11), tmp_path)
    assert "Conv" in _ops(p)


def test_conv2d(tmp_path):
    m = nn.Sequential(nn.Conv2d(4, 8, (3, 2), stride=(2, 1), padding=(1, 0), dilation=(1, 2), groups=4),
                      nn.Conv2d(8, 4, 3, padding="same", bias=False))
    _run(m, torch.randn(2, 4, 9, 8), torch.randn(3, 4, 9, 8), tmp_path)


def test_conv_transpose2d(tmp_path):
    m = nn.ConvTranspose2d(4, 3, 3, stride=2, padding=1, output_padding=1)
    p = _run(m, torch.randn(2, 4, 5, 5), torch.randn(3, 4, 5, 5), tmp_path)
    assert "ConvTranspose" in _ops(p)


def test_batchnorm(tmp_path):
    bn1, bn2 = nn.BatchNorm1d(4), nn.BatchNorm2d(3)
    # give the running statistics non-trivial values
    bn1.train()
    bn1(torch.randn(8, 4) * 3 + 1)
    bn2.train()
    bn2(torch.randn(8, 3, 4, 4) * 2 - 1)
    p = _run(bn1, torch.randn(2, 4), torch.randn(5, 4), tmp_path, "bn1")
    assert _ops(p) == ["BatchNormalization"]
    assert {"running_mean", "running_var", "weight", "bias"} <= {i.name for i in p.graph.initializer}
    _run(bn1, torch.randn(2, 4, 6), torch.randn(5, 4, 6), tmp_path, "bn1_3d")
    _run(bn2, torch.randn(2, 3, 4, 4), torch.randn(5, 3, 4, 4), tmp_path, "bn2")
    assert bn2.training is False  # _run put it in eval; export restores the mode it found


def test_export_restores_training_mode(tmp_path):
    m = nn.Sequential(nn.Linear(3, 3), nn.Dropout(0.5))
    m.train()
    torch.onnx.export(m, torch.randn(2, 3), str(tmp_path / "m.onnx"))
    assert m.training and m[1].training
    p = onnx.load(str(tmp_path / "m.onnx"))
    assert "Dropout" not in _ops(p)  # exported in eval mode: dropout is the identity


def test_layernorm_groupnorm(tmp_path):
    p = _run(nn.LayerNorm(6), torch.randn(2, 3, 6), torch.randn(4, 3, 6), tmp_path, "ln")
    assert "LayerNormalization" in _ops(p)
    _run(nn.LayerNorm((3, 6), elementwise_affine=False), torch.randn(2, 3, 6), torch.randn(4, 3, 6), tmp_path,
         "ln2")
    gn = nn.GroupNorm(2, 6)
    with torch.no_grad():
        gn.weight.copy_(torch.randn(6))
        gn.bias.copy_(torch.randn(6))
    p = _run(gn, torch.randn(2, 6, 4, 3), torch.randn(3, 6, 4, 3), tmp_path, "gn")
    assert "InstanceNormalization" in _ops(p)


@pytest.mark.parametrize("pool,hw", [
    (nn.MaxPool2d(3, stride=2, padding=1), 9),
    (nn.MaxPool2d(2, ceil_mode=True), 7),
    (nn.MaxPool2d(3, stride=2, dilation=2), 11),
    (nn.AvgPool2d(3, stride=2, padding=1), 9),
    (nn.AvgPool2d(3, stride=2, padding=1, count_include_pad=False), 9),
    (nn.AvgPool2d(2, ceil_mode=True), 7),
    (nn.AvgPool2d(3, stride=2, padding=1, ceil_mode=True, count_include_pad=False), 8),
    (nn.AdaptiveAvgPool2d(1), 5),
    (nn.AdaptiveAvgPool2d((2, 3)), 6),
    (nn.AdaptiveAvgPool2d(3), 5),  # sizes that do not divide: exported as matmuls
    (nn.AdaptiveMaxPool2d(1), 5),
    (nn.AdaptiveMaxPool2d(2), 6),
])
def test_pooling(tmp_path, pool, hw):
    p = _run(pool, torch.randn(2, 3, hw, hw), torch.randn(4, 3, hw, hw), tmp_path)
    name = type(pool).__name__
    ops = _ops(p)
    if name == "MaxPool2d":
        assert "MaxPool" in ops
    elif name == "AvgPool2d":
        assert "AveragePool" in ops
    elif name == "AdaptiveAvgPool2d" and pool.output_size == 1:
        assert ops == ["GlobalAveragePool"]


def test_pool1d(tmp_path):
    m = nn.Sequential(nn.MaxPool1d(3, 2, padding=1), nn.AvgPool1d(2))
    _run(m, torch.randn(2, 3, 10), torch.randn(4, 3, 10), tmp_path)



@pytest.mark.parametrize("pool", [
    nn.MaxPool3d(2), nn.MaxPool3d(3, stride=2, padding=1), nn.MaxPool3d((2, 3, 2), stride=1, dilation=(1, 1, 2)),
    nn.MaxPool3d(2, ceil_mode=True), nn.AvgPool3d(2), nn.AvgPool3d(3, stride=2, padding=1),
    nn.AvgPool3d(3, stride=2, padding=1, count_include_pad=False), nn.AvgPool3d(2, ceil_mode=True),
    nn.AdaptiveAvgPool3d(1), nn.AdaptiveAvgPool3d((2, 3, 2)), nn.AdaptiveMaxPool3d(1), nn.AdaptiveMaxPool3d((2, 3, 7)),
])
def test_pool3d(tmp_path, pool):
    p = _run(pool, torch.randn(2, 3, 6, 9, 7), torch.randn(4, 3, 6, 9, 7), tmp_path)
    ops = _ops(p)
    name = type(pool).__name__
    expect = {"MaxPool3d": "MaxPool", "AvgPool3d": "AveragePool", "AdaptiveMaxPool3d": "MaxPool"}
    if name in expect:
        assert expect[name] in ops or "GlobalMaxPool" in ops, ops
    if isinstance(pool, nn.AdaptiveAvgPool3d):
        assert ops == (["GlobalAveragePool"] if pool.output_size == 1 else ["AveragePool"]), ops
    attrs = {a.name: a for n in p.graph.node for a in n.attribute}
    if "kernel_shape" in attrs:
        assert len(attrs["kernel_shape"].ints) == 3


def test_pool3d_unbatched(tmp_path):
    _run(nn.Sequential(nn.MaxPool3d(2), nn.AvgPool3d(2)), torch.randn(3, 8, 8, 8), torch.randn(3, 8, 8, 8), tmp_path,
         dyn=False)

# -- shape ops, arithmetic ---------------------------------------------------------------------------

def test_shape_ops(tmp_path):
    def fwd(self, x):  # x: (N, 2, 3, 4)
        a = x.flatten(1)
        b = a.view(x.size(0), 6, 4).permute(0, 2, 1)
        c = b.transpose(1, 2).reshape(-1, 3, 8).unsqueeze(1)
        d = c.squeeze(1).unsqueeze(-1).squeeze(-1)
        e = x.reshape(x.shape[0], -1) + a
        return d.sum(-1) + e[:, :3], torch.flatten(x, 2).mean(-1)
    _run(Lambda(fwd), torch.randn(2, 2, 3, 4), torch.randn(5, 2, 3, 4), tmp_path)


def test_cat_split_chunk_stack(tmp_path):
    def fwd(self, x):  # (N, 6, 4)
        a, b = x.chunk(2, dim=1)
        c, d, e = x.split([1, 2, 3], dim=1)
        f = torch.cat([b, a, c], dim=1)
        s = torch.stack([d.sum(1), e.mean(1)], dim=1)
        u = x.unbind(2)
        return f * 2, s, u[0] - u[3]
    _run(Lambda(fwd), torch.randn(3, 6, 4), torch.randn(5, 6, 4), tmp_path)


def test_arithmetic_broadcast_compare_where(tmp_path):
    def fwd(self, x, y):  # x: (N, 4), y: (N, 4)
        z = x * 2 + y.mean(1, keepdim=True)
        z = 1 - z / 3 + x ** 2 - 2 ** y.clamp(-2, 2) + (-x).abs().sqrt()
        z = z + torch.ones(4) * 0.5 - x.exp() * 0.1 + (x.abs() + 1).log() + (x.abs() + 0.5).rsqrt()
        m = (x > 0) & (y <= 0.5) | (x == y)
        w = torch.where(m, x, y * 3)
        w2 = torch.where(x < y, 1.0, 0.0)
        q = torch.maximum(x, y) - torch.minimum(x, y) + x.clamp(min=0.1) + x.floor() + y.ceil() + x.round()
        mf = x.masked_fill(x < -1, 0.0)
        return z, w, w2, q, mf, (x != y), (x >= 0).float()
    x, y = torch.randn(3, 4), torch.randn(3, 4)
    _run(Lambda(fwd), (x, y), (torch.randn(6, 4), torch.randn(6, 4)), tmp_path)


_ACTS = [nn.ReLU(), nn.Sigmoid(), nn.Tanh(), nn.GELU(), nn.GELU(approximate="tanh"), nn.SiLU(), nn.LeakyReLU(0.2),
         nn.ELU(0.7), nn.SELU(), nn.CELU(1.3), nn.Softplus(), nn.Softplus(beta=2, threshold=3), nn.Hardtanh(-0.5, 0.7),
         nn.ReLU6(), nn.Hardswish(), nn.Hardsigmoid(), nn.Mish(), nn.LogSigmoid(), nn.Softmax(dim=1),
         nn.LogSoftmax(dim=-1), nn.Softmax(dim=0), nn.PReLU(3), nn.Softsign(), nn.Tanhshrink(), nn.Hardshrink(0.3),
         nn.Softshrink(0.4), nn.Threshold(0.1, -2.0), nn.GLU(1)]


@pytest.mark.parametrize("act", _ACTS, ids=lambda a: type(a).__name__)
def test_activations(tmp_path, act):
    x = torch.randn(2, 3, 4) * 3
    x2 = torch.randn(5, 3, 4) * 3
    if isinstance(act, nn.GLU):
        x, x2 = torch.randn(2, 4, 3), torch.randn(5, 4, 3)
    if isinstance(act, nn.Softmax) and act.dim == 0:
        # softmax over the batch axis still runs on another batch size
        pass
    _run(act, x, x2, tmp_path)


def test_reductions(tmp_path):
    def fwd(self, x):  # (N, 3, 4)
        return (x.sum(), x.sum((1, 2)), x.sum(-1, keepdim=True), x.mean(1), x.mean((0, 2), keepdim=True),
                x.max(), x.max(1)[0], x.max(2, keepdim=True)[1], x.min(-1)[1], x.amax((1, 2)), x.amin(1, keepdim=True),
                (x * 0.5 + 1).prod(1), x.argmax(), x.argmax(1), x.argmin(-1, keepdim=True), x.logsumexp(2),
                x.std(1), x.var((1, 2), keepdim=True, correction=0), x.norm(dim=-1), (x > 0).sum(1),
                x.cumsum(1), (x > 0).any(1), (x > -3).all())
    _run(Lambda(fwd), torch.randn(2, 3, 4), torch.randn(5, 3, 4), tmp_path)


def test_matmul_bmm(tmp_path):
    w = nn.Parameter(torch.randn(4, 5))

    def fwd(self, x, y):  # x: (N, 3, 4), y: (N, 4, 2)
        a = x.matmul(w)
        b = torch.bmm(x, y)
        c = x @ y
        d = x[:, 0].mm(w)
        return a, b + c, d, x.matmul(w[:, 0])
    _run(Lambda(fwd), (torch.randn(2, 3, 4), torch.randn(2, 4, 2)), (torch.randn(4, 3, 4), torch.randn(4, 4, 2)),
         tmp_path)


def test_embedding_dropout(tmp_path):
    m = nn.Sequential(nn.Embedding(10, 4, padding_idx=0), nn.Dropout(0.3), nn.Flatten(), nn.Linear(12, 2))
    p = _run(m, torch.tensor([[1, 2, 3], [4, 5, 0]]), torch.randint(0, 10, (5, 3)), tmp_path)
    assert "Gather" in _ops(p) and "Dropout" not in _ops(p)


def test_indexing(tmp_path):
    def fwd(self, x):  # (N, 5, 6)
        return (x[:, 1:4], x[:, -1], x[:, 2, ::2], x[..., 0], x[:, None, 1], x[:, :, -3:], x[1:], x[:, [0, 2, 4]],
                x.narrow(2, 1, 3), x.select(1, 3))
    _run(Lambda(fwd), torch.randn(3, 5, 6), torch.randn(5, 5, 6), tmp_path)


def test_inline_forward(tmp_path):
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(6, 4)
            self.register_buffer("offset", torch.randn(4))

        def forward(self, x, y):
            h = x * 2 + y.mean(1, keepdim=True)
            h = torch.cat([h, y], dim=1)
            h = self.fc(h).relu() + self.offset
            return h[:, :2] * h[:, 2:], h[:, 1]
    _run(Net(), (torch.randn(2, 3), torch.randn(2, 3)), (torch.randn(7, 3), torch.randn(7, 3)), tmp_path)


def test_pad_repeat_flip_expand(tmp_path):
    def fwd(self, x):  # (N, 2, 3)
        return (F.pad(x, (1, 2), value=0.5), F.pad(x, (1, 1, 0, 2)), x.repeat(1, 2, 1), x.flip(1),
                x[:, :1].expand(-1, 4, 3), x.sum(1, keepdim=True).expand_as(x))
    _run(Lambda(fwd), torch.randn(2, 2, 3), torch.randn(4, 2, 3), tmp_path)


# -- recurrent and attention ----------------------------------------------------------------------------

@pytest.mark.parametrize("cls", [nn.LSTM, nn.GRU, nn.RNN])
def test_rnn(tmp_path, cls):
    m = cls(4, 5, num_layers=2, batch_first=True, bidirectional=True)
    out = _run(m, torch.randn(2, 3, 4), torch.randn(4, 3, 4), tmp_path,
               extra_dyn={"out1": {1: "batch"}, "out2": {1: "batch"}} if cls is nn.LSTM else {"out1": {1: "batch"}})
    assert out is not None


_UNROLLED = {"MatMul", "Gemm", "Sigmoid", "Tanh", "Relu", "Split", "Add", "Mul"}


def _rnn_export(tmp_path, m, x, x2, hs=(), hs2=(), name="rnn", unbatched=False, **kw):
    """Export recurrent module m with the sequence and batch axes dynamic; run onnxruntime at another
    sequence length and batch size (x2, hs2) and compare every output with ember's forward."""
    m.eval()
    seq_ax, b_ax = (1, 0) if m.batch_first else (0, 1)
    if unbatched:
        seq_ax, b_ax = 0, None
    in_names = ["x"] + [f"h{i}" for i in range(len(hs))]
    dyn = {"x": {seq_ax: "seq"} if unbatched else {seq_ax: "seq", b_ax: "batch"}}
    for n in in_names[1:]:
        dyn[n] = {} if unbatched else {1: "batch"}
    lstm = isinstance(m, nn.LSTM)
    out_names = ["y", "h_n", "c_n"] if lstm else ["y", "h_n"]
    dyn["y"] = dict(dyn["x"])
    for n in out_names[1:]:
        dyn[n] = {} if unbatched else {1: "batch"}
    args = (x, tuple(hs)) if lstm and hs else (x,) + tuple(hs)
    args2 = (x2, tuple(hs2)) if lstm and hs2 else (x2,) + tuple(hs2)
    path = str(tmp_path / f"{name}.onnx")
    torch.onnx.export(m, args, path, input_names=in_names, output_names=out_names, dynamic_axes=dyn,
                      opset_version=17, **kw)
    proto = onnx.load(path)
    onnx.checker.check_model(proto, full_check=True)
    with torch.no_grad():
        ref = list(_flat(m(*args2)))
    feeds = {n: a.numpy() for n, a in zip(in_names, [x2] + list(hs2))}
    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    got = sess.run(None, feeds)
    assert len(got) == len(ref)
    for gv, r in zip(got, ref):
        assert gv.shape == tuple(r.shape), (gv.shape, r.shape)
        np.testing.assert_allclose(gv, r.numpy(), rtol=1e-4, atol=1e-5)
    return proto


_RNN_CASES = [
    # (cls, kwargs, given initial state)
    (nn.LSTM, dict(), False),
    (nn.LSTM, dict(num_layers=2), True),
    (nn.LSTM, dict(bidirectional=True, batch_first=True), True),
    (nn.LSTM, dict(num_layers=2, bidirectional=True, bias=False, dropout=0.3), False),
    (nn.GRU, dict(), False),
    (nn.GRU, dict(num_layers=2, bidirectional=True), True),
    (nn.GRU, dict(batch_first=True, bias=False), True),
    (nn.GRU, dict(num_layers=2, batch_first=True, bidirectional=True), False),
    (nn.RNN, dict(), True),
    (nn.RNN, dict(nonlinearity="relu", num_layers=2, bidirectional=True), False),
    (nn.RNN, dict(nonlinearity="relu", batch_first=True, bias=False), True),
    (nn.RNN, dict(num_layers=2, batch_first=True), True),
]


@pytest.mark.parametrize("cls,kw,given", _RNN_CASES,
                         ids=[f"{c.__name__}-{'-'.join(f'{k}={v}' for k, v in kw.items())}-h0={g}"
                              for c, kw, g in _RNN_CASES])
def test_rnn_native_op_dynamic_seq(tmp_path, cls, kw, given):
    m = cls(4, 5, **kw)
    L = kw.get("num_layers", 1)
    D = 2 if kw.get("bidirectional") else 1
    bf = kw.get("batch_first", False)

    def inputs(T, B):
        x = torch.randn(B, T, 4) if bf else torch.randn(T, B, 4)
        hs = ()
        if given:
            hs = (torch.randn(L * D, B, 5),) + ((torch.randn(L * D, B, 5),) if cls is nn.LSTM else ())
        return x, hs
    x, hs = inputs(3, 2)
    x2, hs2 = inputs(6, 5)  # another sequence length and batch size than traced
    p = _rnn_export(tmp_path, m, x, x2, hs, hs2)
    ops = _ops(p)
    native = {nn.LSTM: "LSTM", nn.GRU: "GRU", nn.RNN: "RNN"}[cls]
    assert ops.count(native) == L, ops
    assert not _UNROLLED & set(ops), ops
    for node in p.graph.node:
        if node.op_type != native:
            continue
        attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
        assert attrs["hidden_size"] == 5
        assert attrs.get("direction", b"forward") == (b"bidirectional" if D == 2 else b"forward")
        if cls is nn.GRU:
            assert attrs["linear_before_reset"] == 1
        if cls is nn.RNN:
            act = b"Relu" if kw.get("nonlinearity") == "relu" else b"Tanh"
            assert attrs["activations"] == [act] * D
        assert (len(node.input) > 3 and node.input[3] != "") == kw.get("bias", True)
        assert (len(node.input) > 5 and node.input[5] != "") == given  # default state: ONNX's zeros


def test_rnn_native_unbatched_and_unfolded(tmp_path):
    m = nn.LSTM(4, 5, num_layers=2, bidirectional=True)
    p = _rnn_export(tmp_path, m, torch.randn(3, 4), torch.randn(7, 4), name="unbatched", unbatched=True)
    assert _ops(p).count("LSTM") == 2 and not _UNROLLED & set(_ops(p))
    # without constant folding the gate reordering is done by Slice/Concat on the parameters
    m = nn.GRU(4, 5, num_layers=2, bidirectional=True, batch_first=True)
    p = _rnn_export(tmp_path, m, torch.randn(2, 3, 4), torch.randn(4, 6, 4), (torch.randn(4, 2, 5),),
                    (torch.randn(4, 4, 5),), name="unfolded", do_constant_folding=False)
    assert _ops(p).count("GRU") == 2 and "Slice" in _ops(p)
    assert {"weight_ih_l0", "weight_hh_l1_reverse", "bias_hh_l1"} <= {i.name for i in p.graph.initializer}


def test_rnn_native_export_params_false(tmp_path):
    m = nn.LSTM(3, 4).eval()
    buf = io.BytesIO()
    torch.onnx.export(m, torch.randn(5, 2, 3), buf, export_params=False)
    p = onnx.load_from_string(buf.getvalue())
    assert "LSTM" in _ops(p)
    assert not {"weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"} & {i.name for i in p.graph.initializer}
    assert {"weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"} <= {i.name for i in p.graph.input}


def test_rnn_native_inside_model_keeps_module_path(tmp_path):
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.enc = nn.Sequential(nn.Linear(3, 4))
            self.rnn = nn.GRU(4, 6, batch_first=True)
            self.head = nn.Linear(6, 2)

        def forward(self, x):  # (N, T, 3)
            out, h = self.rnn(self.enc(x).relu())
            return self.head(out).sum(1) + self.head(h[0])
    m = Net().eval()
    x, x2 = torch.randn(2, 3, 3), torch.randn(5, 8, 3)
    with torch.no_grad():
        ref = m(x2)
    path = str(tmp_path / "net.onnx")
    torch.onnx.export(m, x, path, input_names=["x"], output_names=["y"],
                      dynamic_axes={"x": {0: "batch", 1: "seq"}, "y": {0: "batch"}})
    p = onnx.load(path)
    onnx.checker.check_model(p, full_check=True)
    gru = [n for n in p.graph.node if n.op_type == "GRU"]
    assert len(gru) == 1 and gru[0].name.startswith("/rnn/")
    got = ort.InferenceSession(path, providers=["CPUExecutionProvider"]).run(None, {"x": x2.numpy()})[0]
    np.testing.assert_allclose(got, ref.numpy(), rtol=1e-4, atol=1e-5)


def test_rnn_packed_sequence_keeps_unrolled_trace():
    # packed input runs ember's per-step path; under the tracer it is recorded op by op (no native op)
    from ember.onnx import _tracer
    from ember.nn.utils.rnn import pack_padded_sequence
    from ember.nn.modules.rnn import RNNBase
    orig_run = RNNBase.__dict__["_run"]
    m = nn.LSTM(3, 4).eval()

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.rnn = m

        def forward(self, x):
            return self.rnn(pack_padded_sequence(x, [3, 2], enforce_sorted=True))[1][0]
    net = Net()
    trace, _ = _tracer.run_traced(net, (torch.randn(3, 2, 3),), {id(net): "", id(m): "rnn"})
    names = {r.name for r in trace.records}
    assert "LSTM" not in names and "AddmmBackward0" in names
    trace, _ = _tracer.run_traced(m, (torch.randn(3, 2, 3),), {id(m): ""})
    assert [r.name for r in trace.records] == ["LSTM"]
    assert RNNBase.__dict__["_run"] is orig_run  # normal forwards are not wrapped outside an export


def test_rnn_op_types_match_torch_onnx(tmp_path):
    real = pytest.importorskip("torch")
    import warnings
    cfg = dict(num_layers=2, bidirectional=True, batch_first=True)
    x = np.random.RandomState(0).randn(2, 3, 4).astype(np.float32)
    tm = real.nn.LSTM(4, 5, **cfg).eval()
    buf = io.BytesIO()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            real.onnx.export(tm, (real.from_numpy(x),), buf, dynamo=False, opset_version=17, input_names=["x"],
                             dynamic_axes={"x": {0: "batch", 1: "seq"}})
    except Exception as e:  # pragma: no cover - torch's exporter unavailable offline
        pytest.skip(f"torch.onnx.export unavailable: {type(e).__name__}: {e}")
    tp = onnx.load_from_string(buf.getvalue())
    em = nn.LSTM(4, 5, **cfg).eval()
    em.load_state_dict({k: torch.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()})
    buf = io.BytesIO()
    torch.onnx.export(em, (torch.tensor(x),), buf, opset_version=17, input_names=["x"],
                      dynamic_axes={"x": {0: "batch", 1: "seq"}})
    ep = onnx.load_from_string(buf.getvalue())
    # the data path (torch also builds its zero initial state from Shape/Gather/ConstantOfShape/Slice)
    main = {"LSTM", "Transpose", "Reshape", "Squeeze"}
    assert [t for t in _ops(ep) if t in main] == [t for t in _ops(tp) if t in main]
    # same weights in ONNX's layout: the LSTM nodes' W/R/B initializers are equal
    e_init = {i.name: onnx.numpy_helper.to_array(i) for i in ep.graph.initializer}
    t_init = {i.name: onnx.numpy_helper.to_array(i) for i in tp.graph.initializer}
    for en, tn in zip([n for n in ep.graph.node if n.op_type == "LSTM"],
                      [n for n in tp.graph.node if n.op_type == "LSTM"]):
        for k in (1, 2, 3):
            np.testing.assert_allclose(e_init[en.input[k]], t_init[tn.input[k]], rtol=0, atol=0)
    x2 = np.random.RandomState(1).randn(4, 7, 4).astype(np.float32)
    eo = ort.InferenceSession(ep.SerializeToString(), providers=["CPUExecutionProvider"]).run(None, {"x": x2})
    to = ort.InferenceSession(tp.SerializeToString(), providers=["CPUExecutionProvider"]).run(None, {"x": x2})
    for a, b in zip(eo, to):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


def test_lstm_seq_first_with_head(tmp_path):
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.rnn = nn.LSTM(3, 6)
            self.head = nn.Linear(6, 2)

        def forward(self, x):  # (T, N, 3)
            out, (h, c) = self.rnn(x)
            return self.head(out[-1]) + h[0].sum(-1, keepdim=True)
    m = Net()
    x, x2 = torch.randn(4, 2, 3), torch.randn(4, 5, 3)
    m.eval()
    with torch.no_grad():
        ref = m(x2)
    path = str(tmp_path / "lstm.onnx")
    torch.onnx.export(m, x, path, input_names=["x"], output_names=["y"], dynamic_axes={"x": {1: "batch"},
                                                                                       "y": {0: "batch"}})
    onnx.checker.check_model(onnx.load(path), full_check=True)
    got = ort.InferenceSession(path, providers=["CPUExecutionProvider"]).run(None, {"x": x2.numpy()})[0]
    np.testing.assert_allclose(got, ref.numpy(), rtol=1e-4, atol=1e-5)


def test_multihead_attention(tmp_path):
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.attn = nn.MultiheadAttention(8, 2, batch_first=True)

        def forward(self, x):
            out, w = self.attn(x, x, x)
            return out, w
    _run(Net(), torch.randn(2, 5, 8), torch.randn(3, 5, 8), tmp_path)


def test_transformer_encoder_layer(tmp_path):
    m = nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, batch_first=True, dropout=0.1)
    _run(m, torch.randn(2, 4, 8), torch.randn(3, 4, 8), tmp_path)


# -- API -----------------------------------------------------------------------------------------------

def test_dynamic_axes_symbolic_dims(tmp_path):
    m = nn.Linear(3, 2)
    path = str(tmp_path / "m.onnx")
    torch.onnx.export(m, torch.randn(4, 3), path, input_names=["input"], output_names=["output"],
                      dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}})
    p = onnx.load(path)
    d_in = p.graph.input[0].type.tensor_type.shape.dim
    d_out = p.graph.output[0].type.tensor_type.shape.dim
    assert d_in[0].dim_param == "batch" and d_in[1].dim_value == 3
    assert d_out[0].dim_param == "batch" and d_out[1].dim_value == 2
    assert p.opset_import[0].version == 17


def test_static_export_default_names_file_object(tmp_path):
    m = nn.Sequential(nn.Linear(3, 4), nn.Tanh())
    buf = io.BytesIO()
    torch.onnx.export(m, (torch.randn(2, 3),), buf)
    p = onnx.load_from_string(buf.getvalue())
    onnx.checker.check_model(p, full_check=True)
    assert [i.name for i in p.graph.input] == ["input"]
    assert [o.name for o in p.graph.output] == ["output"]
    assert [d.dim_value for d in p.graph.input[0].type.tensor_type.shape.dim] == [2, 3]
    x = torch.randn(2, 3)
    got = ort.InferenceSession(buf.getvalue(), providers=["CPUExecutionProvider"]).run(None, {"input": x.numpy()})
    np.testing.assert_allclose(got[0], m(x).detach().numpy(), rtol=1e-5, atol=1e-6)


def test_export_params_and_initializer_inputs(tmp_path):
    m = nn.Linear(3, 2)
    buf = io.BytesIO()
    torch.onnx.export(m, torch.randn(2, 3), buf, export_params=False)
    p = onnx.load_from_string(buf.getvalue())
    assert len(p.graph.initializer) == 0
    assert {"weight", "bias"} <= {i.name for i in p.graph.input}
    buf = io.BytesIO()
    torch.onnx.export(m, torch.randn(2, 3), buf, keep_initializers_as_inputs=True)
    p = onnx.load_from_string(buf.getvalue())
    assert {"weight", "bias"} <= {i.name for i in p.graph.input}
    assert {"weight", "bias"} <= {i.name for i in p.graph.initializer}


def test_constant_folding(tmp_path):
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.w = nn.Parameter(torch.randn(3, 4))

        def forward(self, x):
            return x.matmul(self.w.t().t() * 2 + 1)
    x, x2 = torch.randn(2, 3), torch.randn(5, 3)
    p = _run(Net(), x, x2, tmp_path, "folded")
    assert _ops(p) == ["MatMul"]
    p = _run(Net(), x, x2, tmp_path, "unfolded", do_constant_folding=False)
    assert "Transpose" in _ops(p) and "Mul" in _ops(p)


class _Custom(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        return x * 2

    @staticmethod
    def backward(ctx, g):
        return g * 2


def test_unsupported_op_names_op_and_module(tmp_path):
    class Inner(nn.Module):
        def forward(self, x):
            return _Custom.apply(x) + 1

    class Outer(nn.Module):
        def __init__(self):
            super().__init__()
            self.encoder = nn.Sequential(nn.Linear(3, 3), Inner())

        def forward(self, x):
            return self.encoder(x)
    with pytest.raises(UnsupportedOperatorError, match=r"no ONNX mapping for op '_Custom' \(in module 'encoder.1'"):
        torch.onnx.export(Outer(), torch.randn(2, 3), io.BytesIO())

    class Svd(nn.Module):
        def forward(self, x):
            return torch.linalg.svd(x)[1]
    with pytest.raises(RuntimeError, match=r"no ONNX mapping for op 'LinalgSvdBackward0' \(in module '1'"):
        torch.onnx.export(nn.Sequential(nn.Linear(3, 3), Svd()), torch.randn(4, 3), io.BytesIO())


def test_value_computed_outside_ops_is_an_error():
    class Detour(nn.Module):
        def forward(self, x):
            return x + torch.tensor(x.numpy() * 2)  # NumPy detour: not traceable
    with pytest.raises(RuntimeError, match="computed outside ember's ops"):
        torch.onnx.export(Detour(), torch.randn(4, 3), io.BytesIO())
    with pytest.raises(RuntimeError, match="computed outside ember's ops"):
        torch.onnx.export(Detour(), torch.randn(4, 3), io.BytesIO(), input_names=["x"],
                          dynamic_axes={"x": {0: "n"}})


def test_import_ember_does_not_import_onnx():
    code = "import sys, ember; import ember.onnx; assert 'onnx' not in sys.modules, 'onnx imported'"
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


def test_is_in_onnx_export_and_module_node_names(tmp_path):
    seen = []

    class Probe(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(2, 2)

        def forward(self, x):
            seen.append(torch.onnx.is_in_onnx_export())
            return self.fc(x)
    m = nn.Sequential(Probe())
    buf = io.BytesIO()
    torch.onnx.export(m, torch.randn(3, 2), buf)
    assert seen and all(seen) and not torch.onnx.is_in_onnx_export()
    p = onnx.load_from_string(buf.getvalue())
    assert p.graph.node[0].name.startswith("/0/fc/Gemm")
