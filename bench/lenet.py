"""LeNet-5 training step (batch 64) and inference (batch 1000), ember vs torch in the same run.

    python bench/lenet.py
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import numpy as np  # noqa: E402

from common import compare_isolated, print_table  # noqa: E402


def lenet(m):
    nn = m.nn
    return nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(6, 16, 5), nn.ReLU(),
                         nn.MaxPool2d(2), nn.Flatten(), nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(),
                         nn.Linear(84, 10))


def make(m, batch, train, device="cpu"):
    rng = np.random.default_rng(0)
    model = lenet(m)
    with m.no_grad():
        for p in model.parameters():
            p.copy_(m.tensor(rng.standard_normal(tuple(p.shape)).astype(np.float32) * 0.1))
    model.to(device)
    x = m.tensor(rng.standard_normal((batch, 1, 28, 28)).astype(np.float32), device=device)
    y = m.tensor(rng.integers(0, 10, batch), device=device)
    if not train:
        model.eval()

        def infer():
            with m.no_grad():
                return model(x)
        return infer
    opt = m.optim.Adam(model.parameters(), lr=1e-3)
    crit = m.nn.CrossEntropyLoss()

    def step():
        loss = crit(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return step


WORKLOADS = [("LeNet-5 training step, batch 64", ("lenet", "make", [64, True]), 20),
             ("LeNet-5 inference, batch 1000", ("lenet", "make", [1000, False]), 5)]


def main():
    rows = compare_isolated(WORKLOADS, rounds=5)
    print_table(rows, "LeNet-5 (best of 5 rounds)")
    return rows


if __name__ == "__main__":
    main()
