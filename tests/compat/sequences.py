# Variable-length sequences: pad_sequence, packing, GRU, embeddings from pretrained, error messages.
import json
import numpy as np
import torch
import torch.nn as nn
from torch.nn.utils.rnn import pad_sequence, pack_padded_sequence, pad_packed_sequence

def R(name, v):
    if isinstance(v, torch.Tensor):
        v = v.detach().tolist()
    print('R', name, json.dumps(v), flush=True)

rng = np.random.default_rng(4)
seqs = [torch.tensor(rng.integers(1, 9, n)) for n in (5, 3, 4)]
padded = pad_sequence(seqs, batch_first=True)
R('padded', padded)
lengths = torch.tensor([len(s) for s in seqs])
emb = nn.Embedding.from_pretrained(torch.tensor(rng.standard_normal((9, 4)).astype(np.float32)), freeze=False, padding_idx=0)
gru = nn.GRU(4, 5, batch_first=True)
with torch.no_grad():
    for p in gru.parameters():
        p.copy_(torch.tensor(rng.standard_normal(tuple(p.shape)).astype(np.float32) * 0.3))
packed = pack_padded_sequence(emb(padded), lengths, batch_first=True, enforce_sorted=False)
out, h = gru(packed)
unpacked, lens = pad_packed_sequence(out, batch_first=True)
R('unpacked_shape', list(unpacked.shape))
R('lens', lens)
R('h', h)
loss = unpacked.pow(2).sum() + h.sum()
loss.backward()
R('emb_grad', emb.weight.grad.sum(1))
R('gru_grad', gru.weight_hh_l0.grad.sum().item())

class Scale(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, s):
        ctx.s = s
        return x * s
    @staticmethod
    def backward(ctx, g):
        return g * ctx.s, None
x = torch.ones(3, requires_grad=True)
Scale.apply(x, 2.5).sum().backward()
R('function_grad', x.grad)
m = nn.Linear(3, 2)
try:
    m.load_state_dict({'weight': torch.zeros(2, 3)})
except RuntimeError as e:
    R('missing_key_error', str(e).replace('torch.', ''))
r = m.load_state_dict({'weight': torch.zeros(2, 3), 'bias': torch.zeros(2), 'extra': torch.zeros(1)}, strict=False)
R('incompatible', [r.missing_keys, r.unexpected_keys])
try:
    torch.ones(2, 3) @ torch.ones(2, 3)
except RuntimeError as e:
    R('matmul_error', str(e))
try:
    nn.Conv2d(3, 4, 3)(torch.ones(1, 2, 5, 5))
except RuntimeError as e:
    R('conv_error', str(e))
try:
    nn.CrossEntropyLoss()(torch.zeros(2, 3), torch.tensor([0, 3]))
except (IndexError, RuntimeError) as e:
    R('ce_error', [type(e).__name__, str(e)])
q = torch.tensor(rng.standard_normal((2, 2, 4, 8)).astype(np.float32))
R('sdpa', nn.functional.scaled_dot_product_attention(q, q, q, is_causal=True).sum().item())
layer = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=True)
with torch.no_grad():
    for p in layer.parameters():
        p.copy_(torch.tensor(rng.standard_normal(tuple(p.shape)).astype(np.float32) * 0.2))
enc = nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)
src = torch.tensor(rng.standard_normal((2, 5, 8)).astype(np.float32))
mask = nn.Transformer.generate_square_subsequent_mask(5)
R('encoder', enc(src, mask=mask, is_causal=True).sum(-1))
