# An LSTM sequence classifier and common tensor idioms, written for PyTorch.
import json
import numpy as np
import torch
import torch.nn as nn

def R(name, v):
    if isinstance(v, torch.Tensor):
        v = v.detach().tolist()
    print('R', name, json.dumps(v), flush=True)

rng = np.random.default_rng(1)

class Classifier(nn.Module):
    def __init__(self, vocab, emb, hidden, classes):
        super().__init__()
        self.embedding = nn.Embedding(vocab, emb, padding_idx=0)
        self.lstm = nn.LSTM(emb, hidden, num_layers=2, batch_first=True, bidirectional=True)
        self.head = nn.Sequential(nn.LayerNorm(2 * hidden), nn.Linear(2 * hidden, classes))

    def forward(self, tokens):
        e = self.embedding(tokens)
        out, (h, c) = self.lstm(e)
        feat = torch.cat([h[-2], h[-1]], dim=1)
        return self.head(feat)

model = Classifier(20, 8, 6, 3)
with torch.no_grad():
    for p in model.parameters():
        p.copy_(torch.tensor(rng.standard_normal(tuple(p.shape)).astype(np.float32) * 0.2))
tokens = torch.tensor(rng.integers(0, 20, (5, 7)))
labels = torch.tensor([0, 1, 2, 1, 0])
opt = torch.optim.Adam(model.parameters(), lr=1e-2)
for step in range(3):
    logits = model(tokens)
    loss = nn.functional.cross_entropy(logits, labels, label_smoothing=0.1)
    opt.zero_grad()
    loss.backward()
    opt.step()
    R(f'loss{step}', loss.item())
R('emb_grad_pad_row', model.embedding.weight.grad[0])
x = torch.arange(24.).reshape(2, 3, 4)
R('idx1', x[:, 1:, ::2])
R('idx2', x[x > 10])
R('idx3', x[..., [0, 3]])
R('idx4', x[0, torch.tensor([2, 0])])
y = x.clone()
y[y > 20] = -1
y[:, 0] += 100
R('setitem', y)
R('gather', torch.gather(x, 2, torch.tensor([[[1], [0], [3]], [[2], [2], [0]]])))
R('topk', torch.topk(x.flatten(), 3).values)
R('sort', torch.sort(torch.tensor([3., 1., 2.]), descending=True).indices)
R('cumsum', torch.cumsum(x[0], dim=1))
R('where', torch.where(x > 5, x, torch.zeros_like(x)).sum().item())
R('einsum', torch.einsum('bij,bkj->bik', x, x))
R('stack_mean', torch.stack([x, x * 2]).mean(dim=0))
R('norm', x.norm(dim=-1))
R('std', x.std(dim=1, unbiased=False))
R('unique', torch.unique(torch.tensor([3, 1, 3, 2, 1]), return_counts=True)[1])
R('repeat', torch.tensor([1, 2]).repeat(2, 2))
R('masked_fill', x[0].masked_fill(x[0] > 5, 0.0))
R('chunk', [c.shape[1] for c in x.chunk(2, dim=2)])
R('permute', list(x.permute(2, 0, 1).contiguous().shape))
R('argmax', x.argmax(dim=2))
R('clamp', x.clamp(min=3, max=7)[0, 0])
R('dtype', str((x.long() // 3).dtype))
R('bool_any', bool((x > 22).any()))
R('item_types', [type(torch.tensor(1).item()).__name__, type(torch.tensor(1.5).item()).__name__])
