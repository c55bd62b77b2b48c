"""The seed's epoch, end to end, ember vs PyTorch + torchvision: Fashion-MNIST through
ToTensor/Normalize, DataLoader(batch_size=64, shuffle=True), the seed's MLP and Adam.

Each framework runs in its own fresh process (so peak resident memory is its own), alternately,
best of --rounds. torchvision must be importable by --torch-python (default: this interpreter).

    python bench/seed_epoch.py [--torch-python PATH] [--rounds 3]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

RUN = r'''
import json, resource, sys, time
fw, root = sys.argv[1], sys.argv[2]
t_import = time.perf_counter()
if fw == "ember":
    import ember as torch
    import ember.nn as nn
    from ember.vision import datasets, transforms
else:
    import torch
    import torch.nn as nn
    from torchvision import datasets, transforms
    torch.set_num_threads(max(1, torch.get_num_threads()))
t0 = time.perf_counter()
torch.manual_seed(0)
transform = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.5,), (0.5,))])
trainset = datasets.FashionMNIST(root=root, train=True, download=False, transform=transform)
trainloader = torch.utils.data.DataLoader(trainset, batch_size=64, shuffle=True)

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(28 * 28, 128)
        self.fc2 = nn.Linear(128, 64)
        self.fc3 = nn.Linear(64, 10)

    def forward(self, x):
        x = x.view(-1, 28 * 28)
        x = torch.relu(self.fc1(x))
        x = torch.relu(self.fc2(x))
        return self.fc3(x)

model = Net()
criterion = nn.CrossEntropyLoss()
optimizer = torch.optim.Adam(model.parameters(), lr=0.001)
t1 = time.perf_counter()
for images, labels in trainloader:
    outputs = model(images)
    loss = criterion(outputs, labels)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
t2 = time.perf_counter()
print(json.dumps({"epoch_s": t2 - t1, "setup_s": t1 - t0, "loss": loss.item(),
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
'''


def prepare_root():
    """A data root with Fashion-MNIST's raw files, from Debian's package (decompressed for torchvision)."""
    import gzip
    import shutil
    src = "/usr/share/datasets/fashion-mnist"
    root = os.path.join(tempfile.gettempdir(), "ember-bench-data")
    raw = os.path.join(root, "FashionMNIST", "raw")
    os.makedirs(raw, exist_ok=True)
    for name in ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
                 "t10k-labels-idx1-ubyte"):
        if not os.path.exists(os.path.join(raw, name)):
            with gzip.open(os.path.join(src, name + ".gz")) as f, open(os.path.join(raw, name), "wb") as g:
                shutil.copyfileobj(f, g)
    return root


def run(python, fw, root):
    out = subprocess.run([python, "-c", RUN, fw, root], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--torch-python", default=sys.executable)
    p.add_argument("--rounds", type=int, default=3)
    args = p.parse_args(argv)
    root = prepare_root()
    best = {"ember": None, "torch": None}
    for _ in range(args.rounds):
        for fw, py in (("torch", args.torch_python), ("ember", sys.executable)):
            r = run(py, fw, root)
            if best[fw] is None or r["epoch_s"] < best[fw]["epoch_s"]:
                best[fw] = r
    e, t = best["ember"], best["torch"]
    rows = [("seed epoch (data + training)", t["epoch_s"], e["epoch_s"], e["epoch_s"] / t["epoch_s"]),
            ("peak memory of the epoch's process (MB)", t["peak_rss_mb"], e["peak_rss_mb"],
             e["peak_rss_mb"] / t["peak_rss_mb"])]
    print(f"\n{'workload':44s} {'torch':>11s} {'ember':>11s} {'ember/torch':>12s}")
    print(f"{rows[0][0]:44s} {rows[0][1]:10.2f}s {rows[0][2]:10.2f}s {rows[0][3]:12.3f}")
    print(f"{rows[1][0]:44s} {rows[1][1]:11.0f} {rows[1][2]:11.0f} {rows[1][3]:12.2f}")
    return rows


if __name__ == "__main__":
    main()
