# Attention and Transformer modules written against PyTorch; each result an R line.
# TOL rtol=1e-4 atol=1e-5
import json
import warnings

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

warnings.simplefilter("ignore")


def R(name, v):
    if isinstance(v, torch.Tensor):
        v = v.detach().tolist()
    print('R', name, json.dumps(v), flush=True)


rng = np.random.default_rng(0)


def fill(model):
    with torch.no_grad():
        for _, p in model.named_parameters():
            p.copy_(torch.tensor(rng.standard_normal(tuple(p.shape)) * 0.3, dtype=torch.float32))


def t(*shape):
    return torch.tensor(rng.standard_normal(shape), dtype=torch.float32)


# scaled_dot_product_attention
q, k, v = t(2, 2, 3, 4), t(2, 2, 5, 4), t(2, 2, 5, 6)
q.requires_grad_()
keep = torch.tensor(rng.random((3, 5)) > 0.4)
out = F.scaled_dot_product_attention(q, k, v, attn_mask=keep, scale=0.5)
out.sum().backward()
R('sdpa', out)
R('sdpa.q.grad', q.grad)
R('sdpa.causal', F.scaled_dot_product_attention(q, k, v, is_causal=True))

# MultiheadAttention, batch_first, masks, per-head weights
mha = nn.MultiheadAttention(8, 2, batch_first=True, kdim=6, vdim=5)
fill(mha)
R('mha.keys', list(mha.state_dict().keys()))
x, kk, vv = t(2, 4, 8), t(2, 3, 6), t(2, 3, 5)
kpm = torch.tensor([[False, False, True], [False, False, False]])
o, w = mha(x, kk, vv, key_padding_mask=kpm, average_attn_weights=False)
R('mha.out', o)
R('mha.weights', w)
R('mha.shapes', [list(o.shape), list(w.shape)])

# a small Transformer trained a few SGD steps
model = nn.Transformer(d_model=8, nhead=2, num_encoder_layers=2, num_decoder_layers=1, dim_feedforward=16,
                       dropout=0.0, batch_first=True, norm_first=True, activation="gelu")
fill(model)
R('transformer.n_params', sum(p.numel() for p in model.parameters()))
opt = torch.optim.SGD(model.parameters(), lr=0.05)
src, tgt, target = t(2, 5, 8), t(2, 4, 8), t(2, 4, 8)
tgt_mask = nn.Transformer.generate_square_subsequent_mask(4)
R('mask', tgt_mask)
for step in range(3):
    opt.zero_grad()
    y = model(src, tgt, tgt_mask=tgt_mask, src_key_padding_mask=torch.tensor([[False] * 5, [False] * 3 + [True] * 2]))
    loss = F.mse_loss(y, target)
    loss.backward()
    opt.step()
    R(f'loss{step}', loss.item())
R('encoder.layer0.linear1.grad', model.encoder.layers[0].linear1.weight.grad)

# inference with a padded batch: torch zeroes the padded positions (nested-tensor path)
enc = nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 16, 0.0, batch_first=True), 2)
fill(enc)
enc.eval()
with torch.no_grad():
    R('encoder.eval.padded', enc(t(2, 4, 8), src_key_padding_mask=torch.tensor([[False, False, True, True],
                                                                              [False, False, False, True]])))
