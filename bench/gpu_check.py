"""End-to-end check of the CUDA path (run on a machine with an NVIDIA GPU and CuPy installed).

    pip install -e '.[cuda]' && python bench/gpu_check.py

Exits non-zero on the first mismatch between the GPU and the CPU result.
"""
import sys

import numpy as np

import ember


def check(name, gpu, cpu, rtol=1e-4, atol=1e-5):
    g = gpu.detach().cpu().numpy() if isinstance(gpu, ember.Tensor) else np.asarray(gpu)
    c = cpu.detach().numpy() if isinstance(cpu, ember.Tensor) else np.asarray(cpu)
    ok = g.shape == c.shape and np.allclose(g, c, rtol=rtol, atol=atol)
    print(f"{'ok  ' if ok else 'FAIL'} {name}")
    if not ok:
        sys.exit(1)


def main():
    if not ember.cuda.is_available():
        print("no CUDA device (or CuPy missing): nothing to check")
        sys.exit(2)
    dev = ember.device("cuda")
    print("device:", ember.cuda.get_device_name(0), "count:", ember.cuda.device_count())
    x = ember.tensor([[1, 2], [3, 4]], dtype=ember.float32, device="cuda")
    assert x.device.type == "cuda" and x.is_cuda
    print(x)

    rng = np.random.default_rng(0)
    a = rng.standard_normal((64, 32)).astype(np.float32)
    w = rng.standard_normal((32, 16)).astype(np.float32)
    results = {}
    for d in ("cpu", "cuda"):
        ta = ember.tensor(a, device=d, requires_grad=True)
        tw = ember.tensor(w, device=d, requires_grad=True)
        h = (ta @ tw).relu()
        out = (h.sigmoid() * h.exp().clamp(max=5) / 3).mean() + (ta * ta).sum() * 0.01
        out.backward()
        results[d] = (out, ta.grad, tw.grad, h.t().reshape(-1), h.sum(0), ember.cat([h, h], 1))
    for name, g, c in zip(["loss", "grad a", "grad w", "t/reshape", "sum(0)", "cat"], results["cuda"],
                          results["cpu"]):
        check(name, g, c)

    y = ember.ones(2, 2, device=dev, requires_grad=True)
    z = (y + 2) * (y + 2) * 3
    z.mean().backward()
    check("seed autograd example", y.grad, ember.full((2, 2), 4.5))
    try:
        x + ember.ones(2, 2)
    except RuntimeError as e:
        assert "same device" in str(e)
        print("ok   mixed-device error:", e)
    else:
        print("FAIL mixed devices did not raise")
        sys.exit(1)
    ember.cuda.synchronize()
    print("CUDA path OK")


if __name__ == "__main__":
    main()
