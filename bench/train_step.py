"""Training-step benchmarks, ember vs torch in the same run: the seed's MLP (784-128-64-10, Adam,
batch 64) and a wide MLP (784-1024-1024-10, batch 1024).

    python bench/train_step.py
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import numpy as np  # noqa: E402

from common import compare_isolated, print_table  # noqa: E402


def mlp_step(m, sizes, batch, seed=0, device="cpu"):
    rng = np.random.default_rng(seed)
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(m.nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(m.nn.ReLU())
    model = m.nn.Sequential(*layers)
    with m.no_grad():
        for p in model.parameters():
            p.copy_(m.tensor(rng.standard_normal(tuple(p.shape)).astype(np.float32) * 0.05))
    model.to(device)
    opt = m.optim.Adam(model.parameters(), lr=1e-3)
    crit = m.nn.CrossEntropyLoss()
    x = m.tensor(rng.standard_normal((batch, sizes[0])).astype(np.float32), device=device)
    y = m.tensor(rng.integers(0, sizes[-1], batch), device=device)

    def step():
        out = model(x)
        loss = crit(out, y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss
    return step


def main():
    work = [("seed MLP step 784-128-64-10, batch 64, Adam", ("train_step", "mlp_step", [(784, 128, 64, 10), 64]), 300),
            ("wide MLP step 784-1024-1024-10, batch 1024, Adam", ("train_step", "mlp_step", [(784, 1024, 1024, 10), 1024]),
             5)]
    rows = compare_isolated(work, rounds=5)
    print_table(rows, "Training steps (each framework in its own process; best of 5 rounds)")
    return rows


if __name__ == "__main__":
    main()
