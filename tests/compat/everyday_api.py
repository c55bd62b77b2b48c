# Everyday PyTorch idioms beyond the seed: init, freezing, param groups, hooks, gradient penalty, losses.
import json
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

def R(name, v):
    if isinstance(v, torch.Tensor):
        v = v.detach().tolist()
    print('R', name, json.dumps(v), flush=True)

rng = np.random.default_rng(2)

class Block(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.layers = nn.ModuleList([nn.Linear(d, d) for _ in range(2)])
        self.act = nn.GELU()
    def forward(self, x):
        for layer in self.layers:
            x = self.act(layer(x)) + x
        return x

model = nn.Sequential(nn.Linear(6, 8), Block(8), nn.Linear(8, 1))
def init_weights(m):
    if isinstance(m, nn.Linear):
        with torch.no_grad():
            m.weight.copy_(torch.tensor(rng.standard_normal(tuple(m.weight.shape)).astype(np.float32) * 0.3))
            nn.init.zeros_(m.bias)
model.apply(init_weights)
for p in model[0].parameters():
    p.requires_grad = False
R('trainable', sum(p.numel() for p in model.parameters() if p.requires_grad))
acts = {}
h = model[1].register_forward_hook(lambda mod, inp, out: acts.setdefault('block', out.detach()))
x = torch.tensor(rng.standard_normal((10, 6)).astype(np.float32))
y = torch.tensor(rng.standard_normal((10, 1)).astype(np.float32))
opt = torch.optim.AdamW([{'params': model[1].parameters(), 'lr': 1e-2},
                         {'params': model[2].parameters(), 'lr': 5e-3, 'weight_decay': 0.0}], weight_decay=0.05)
sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=[2e-2, 1e-2], total_steps=6)
for step in range(5):
    opt.zero_grad()
    pred = model(x)
    loss = F.mse_loss(pred, y, reduction='sum') / x.size(0)
    loss.backward()
    opt.step()
    sched.step()
    R(f'loss{step}', loss.item())
h.remove()
R('hook_act_shape', list(acts['block'].shape))
R('lrs', [g['lr'] for g in opt.param_groups])
R('frozen_grad_none', model[0].weight.grad is None)
# gradient penalty (create_graph)
xp = x.clone().requires_grad_(True)
out = model(xp).sum()
g, = torch.autograd.grad(out, xp, create_graph=True)
penalty = ((g.norm(2, dim=1) - 1) ** 2).mean()
penalty.backward()
R('penalty', penalty.item())
R('penalty_grad', model[2].weight.grad)
# losses
logits = torch.tensor(rng.standard_normal((4, 3)).astype(np.float32))
target = torch.tensor([0, 2, 1, 2])
R('bce', F.binary_cross_entropy_with_logits(logits, F.one_hot(target, 3).float(), pos_weight=torch.tensor([1., 2., 3.])).item())
R('kl', nn.KLDivLoss(reduction='batchmean')(F.log_softmax(logits, 1), F.softmax(logits.flip(0), 1)).item())
R('nll_weight', F.nll_loss(F.log_softmax(logits, 1), target, weight=torch.tensor([1., 2., 0.5])).item())
R('smooth_l1', F.smooth_l1_loss(logits, logits * 0.5, beta=0.5).item())
R('cosine', F.cosine_similarity(logits[:2], logits[2:], dim=1))
# tensor utilities
img = torch.arange(16.).reshape(1, 1, 4, 4)
R('pad', F.pad(img, (1, 1, 0, 2), mode='reflect')[0, 0])
R('interp', F.interpolate(img, scale_factor=2, mode='bilinear', align_corners=False)[0, 0, :2])
R('tril', torch.tril(torch.ones(3, 3), diagonal=-1))
att = torch.tensor(rng.standard_normal((2, 3, 3)).astype(np.float32))
mask = torch.triu(torch.ones(3, 3, dtype=torch.bool), diagonal=1)
R('masked_softmax', att.masked_fill(mask, float('-inf')).softmax(-1))
R('bmm', torch.bmm(att, att.transpose(1, 2)))
vec = nn.utils.parameters_to_vector(model[2].parameters())
R('vec_len', vec.numel())
R('type_as', str(torch.tensor([1, 2]).type_as(logits).dtype))
R('numpy_roundtrip', torch.from_numpy(logits.numpy() * 2).sum().item())
plateau = torch.optim.lr_scheduler.ReduceLROnPlateau(torch.optim.SGD([nn.Parameter(torch.zeros(1))], lr=1.0), patience=1)
for v in [1.0, 1.0, 1.0, 1.0]:
    plateau.step(v)
R('plateau_lr', plateau.get_last_lr())
