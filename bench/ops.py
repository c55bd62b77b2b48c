"""Op overhead and autograd micro-benchmarks, ember vs torch in the same run (each in its own worker).

    python bench/ops.py
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import numpy as np  # noqa: E402

from common import compare_isolated, print_table  # noqa: E402



def workloads(m):
    a = m.ones(2, 2)
    b = m.ones(2, 2)
    ag = m.ones(2, 2, requires_grad=True)
    bg = m.ones(2, 2, requires_grad=True)
    big_a = m.tensor(np.random.default_rng(0).standard_normal((256, 256)).astype(np.float32))
    big_b = m.tensor(np.random.default_rng(1).standard_normal((256, 256)).astype(np.float32))

    def add_nograd():
        a + b

    def mul_grad():
        ag * bg

    def expr_grad():
        ((ag * bg + 1.0).exp() / 2).sum()

    def seed_snippet():
        x = m.ones(2, 2, requires_grad=True)
        y = x + 2
        z = y * y * 3
        out = z.mean()
        out.backward()
        return x.grad

    def chain_backward():
        y = ag
        for _ in range(10):
            y = y * 1.01 + bg
        y.sum().backward()

    def view_ops():
        a.view(4).unsqueeze(0).t().reshape(2, 2)

    def matmul_256():
        big_a @ big_b

    return {"add 2x2 (no grad)": add_nograd, "mul 2x2 (requires grad)": mul_grad,
            "(a*b+1).exp()/2 .sum() with grad (5 ops)": expr_grad, "view/unsqueeze/t/reshape (4 views)": view_ops,
            "seed autograd snippet, per call": seed_snippet, "10-step chain forward+backward": chain_backward,
            "matmul 256x256 (no grad)": matmul_256}


def op(m, name):
    """One workload, by name (the spec a benchmark worker builds)."""
    return workloads(m)[name]


NAMES = ["add 2x2 (no grad)", "mul 2x2 (requires grad)", "(a*b+1).exp()/2 .sum() with grad (5 ops)",
         "view/unsqueeze/t/reshape (4 views)", "seed autograd snippet, per call", "10-step chain forward+backward",
         "matmul 256x256 (no grad)"]


def main():
    numbers = {"seed autograd snippet, per call": 2000, "10-step chain forward+backward": 500,
               "matmul 256x256 (no grad)": 200}
    rows = compare_isolated([(k, ("ops", "op", [k]), numbers.get(k, 5000)) for k in NAMES])
    print_table(rows, "Op overhead and autograd (each framework in its own process; best of 7 rounds)")
    return rows


if __name__ == "__main__":
    main()
