"""End-to-end check of the CUDA path (run on a machine with an NVIDIA GPU and CuPy installed).

    pip install -e '.[cuda]' && python bench/gpu_check.py [--bench]

--bench adds GPU training-step timings against torch's CUDA build. The whole suite also runs with
CUDA as the default device: EMBER_TEST_DEVICE=cuda python -m pytest (see tests/conftest.py).

Exits non-zero on the first mismatch between the GPU and the CPU result.
"""
import sys

import numpy as np

import ember


def check(name, gpu, cpu, rtol=1e-4, atol=1e-5):
    g = gpu.detach().cpu().numpy() if isinstance(gpu, ember.Tensor) else np.asarray(gpu)
    c = cpu.detach().cpu().numpy() if isinstance(cpu, ember.Tensor) else np.asarray(cpu)
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
    end_to_end()
    ember.cuda.synchronize()
    print("CUDA path OK")
    if "--bench" in sys.argv:
        timings()


def end_to_end():
    """A LeNet trained a few steps on each device from the same weights, then saved, reloaded and exported."""
    import io
    import os
    import tempfile
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from lenet import lenet
    rng = np.random.default_rng(1)
    x = rng.standard_normal((16, 1, 28, 28)).astype(np.float32)
    y = rng.integers(0, 10, 16)
    ember.manual_seed(0)
    ref = lenet(ember)
    out = {}
    for d in ("cpu", "cuda"):
        model = lenet(ember)
        model.load_state_dict(ref.state_dict())
        model.to(d)
        opt = ember.optim.Adam(model.parameters(), lr=1e-3)
        xs, ys = ember.tensor(x, device=d), ember.tensor(y, device=d)
        for _ in range(3):
            loss = ember.nn.functional.cross_entropy(model(xs), ys)
            opt.zero_grad()
            loss.backward()
            opt.step()
        out[d] = (loss, model[0].weight, model[-1].bias, opt.state_dict()["state"][0]["exp_avg"])
    for name, g, c in zip(["lenet loss", "conv1 weight", "fc3 bias", "adam exp_avg"], out["cuda"], out["cpu"]):
        check(name, g, c, rtol=1e-3, atol=1e-4)
    buf = io.BytesIO()
    ember.save(model.state_dict(), buf)
    buf.seek(0)
    loaded = ember.load(buf)
    assert loaded["0.weight"].is_cuda, loaded["0.weight"].device
    check("save/load of a cuda state_dict", loaded["0.weight"], model[0].weight)
    cpu_loaded = ember.load(io.BytesIO(buf.getvalue()), map_location="cpu")
    check("load with map_location='cpu'", cpu_loaded["0.weight"], model[0].weight.cpu())
    try:
        import onnx  # noqa: F401
    except ImportError:
        print("skip ONNX export (onnx missing)")
    else:
        with tempfile.TemporaryDirectory() as tmp:
            model.eval()
            ember.onnx.export(model, ember.tensor(x[:2], device="cuda"), os.path.join(tmp, "m.onnx"))
            print("ok   ONNX export from a cuda model")
    loader = ember.utils.data.DataLoader(ember.utils.data.TensorDataset(ember.tensor(x), ember.tensor(y)),
                                         batch_size=4, pin_memory=True)
    xb, yb = next(iter(loader))
    check("DataLoader(pin_memory=True) batch to cuda", xb.to("cuda", non_blocking=True), x[:4])


def timings():
    """Training steps on the GPU, ember (CuPy) against torch (CUDA), best of 5 rounds."""
    import os
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import torch
    from common import compare, print_table
    from lenet import make
    from train_step import mlp_step

    def synced(m, step):
        sync = torch.cuda.synchronize if m is torch else ember.cuda.synchronize

        def run():
            step()
            sync()
        return run
    work = [("seed MLP step, batch 64", lambda m: mlp_step(m, (784, 128, 64, 10), 64, device="cuda"), 100),
            ("wide MLP step, batch 1024", lambda m: mlp_step(m, (784, 1024, 1024, 10), 1024, device="cuda"), 20),
            ("LeNet-5 step, batch 64", lambda m: make(m, 64, True, device="cuda"), 20),
            ("LeNet-5 inference, batch 1000", lambda m: make(m, 1000, False, device="cuda"), 10)]
    rows = compare([(name, synced(ember, build(ember)), synced(torch, build(torch)), n) for name, build, n in work],
                   rounds=5)
    print_table(rows, f"GPU ({ember.cuda.get_device_name(0)}), torch {torch.__version__}")


if __name__ == "__main__":
    main()
