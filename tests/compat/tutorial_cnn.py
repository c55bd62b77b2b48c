# A typical tutorial CNN program, written for PyTorch. Deterministic: weights come from NumPy.
import json, io
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torch.utils.data import Dataset, DataLoader

def R(name, v):
    if isinstance(v, torch.Tensor):
        v = v.detach().tolist()
    print('R', name, json.dumps(v), flush=True)

rng = np.random.default_rng(0)

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(8)
        self.conv2 = nn.Conv2d(8, 16, 3)
        self.pool = nn.MaxPool2d(2, 2)
        self.dropout = nn.Dropout(0.0)
        self.fc1 = nn.Linear(16 * 3 * 3, 32)
        self.fc2 = nn.Linear(32, 4)

    def forward(self, x):
        x = self.pool(F.relu(self.bn1(self.conv1(x))))
        x = self.pool(F.relu(self.conv2(x)))
        x = torch.flatten(x, 1)
        x = self.dropout(F.relu(self.fc1(x)))
        return self.fc2(x)

class RandomImages(Dataset):
    def __init__(self, n):
        self.x = rng.standard_normal((n, 3, 16, 16)).astype(np.float32)
        self.y = rng.integers(0, 4, n)
    def __len__(self):
        return len(self.x)
    def __getitem__(self, i):
        return torch.from_numpy(self.x[i]), int(self.y[i])

net = Net()
with torch.no_grad():
    for name, p in net.named_parameters():
        p.copy_(torch.tensor(rng.standard_normal(tuple(p.shape)).astype(np.float32) * 0.1))
R('n_params', sum(p.numel() for p in net.parameters()))
R('param_names', [n for n, _ in net.named_parameters()])
R('buffers', [n for n, _ in net.named_buffers()])
ds = RandomImages(40)
loader = DataLoader(ds, batch_size=8, shuffle=False)
opt = optim.SGD(net.parameters(), lr=0.05, momentum=0.9, weight_decay=1e-4)
sched = optim.lr_scheduler.StepLR(opt, step_size=3, gamma=0.5)
crit = nn.CrossEntropyLoss()
losses = []
for epoch in range(2):
    net.train()
    for xb, yb in loader:
        opt.zero_grad()
        out = net(xb)
        loss = crit(out, yb)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
        opt.step()
        losses.append(loss.item())
    sched.step()
R('losses', losses)
R('lr', sched.get_last_lr())
net.eval()
with torch.no_grad():
    xb, yb = next(iter(loader))
    out = net(xb)
    R('eval_out', out)
    R('pred', out.argmax(dim=1))
    R('probs', F.softmax(out, dim=1).max(dim=1).values)
    correct = (out.argmax(1) == yb).sum().item()
    R('correct', correct)
buf = io.BytesIO()
torch.save({'model': net.state_dict(), 'opt': opt.state_dict(), 'epoch': 2}, buf)
buf.seek(0)
ckpt = torch.load(buf)
net2 = Net()
net2.load_state_dict(ckpt['model'])
net2.eval()
with torch.no_grad():
    R('reloaded_same', torch.allclose(net2(xb), out))
R('running_mean', net.bn1.running_mean)
R('opt_keys', sorted(ckpt['opt']['state'][0].keys()))
R('num_batches', net.bn1.num_batches_tracked.item())
