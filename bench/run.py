"""The benchmark suite: every workload under ember and PyTorch in the same run, as ratios ember/torch,
written to docs/performance.md with the machine and the date.

    python bench/run.py [--torch-python PATH] [--out docs/performance.md]

--torch-python names an interpreter with torch and torchvision for the seed-epoch workload (torchvision
is not needed for the rest); without torchvision that row is skipped and says so.
"""
import argparse
import datetime
import os
import platform
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

# (a word in the workload's name, the ratio goal): op-overhead rows are the small-tensor ones
GOALS = [("2x2", 1.0), ("5 ops", 1.0), ("4 views", 1.0), ("seed autograd snippet", 1.0), ("seed MLP step", 1.0),
         ("wide MLP step", 1.1), ("LeNet-5 training step", 1.5), ("LeNet-5 inference", 1.5), ("seed epoch", 0.25),
         ("import", 0.1), ("peak memory", 1.0)]


def goal_for(name):
    for key, g in GOALS:
        if key in name:
            return g
    return None


def import_time(python, module, rounds=5):
    """Best wall time of `import module` in a fresh process, with Python's bytecode cache warm (as after
    a pip install; PYTHONDONTWRITEBYTECODE would make every run recompile ember's sources)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    code = f"import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
    runs = [float(subprocess.run([python, "-c", code], capture_output=True, text=True, check=True, env=env).stdout)
            for _ in range(rounds + 1)]
    return min(runs[1:])  # the first run writes the cache


def gemm_efficiency():
    """ember's wide-MLP forward GEMMs vs the same GEMMs in raw NumPy (throughput ratio)."""
    import numpy as np
    import ember
    from common import best_time
    rng = np.random.default_rng(0)
    x = rng.standard_normal((1024, 784)).astype(np.float32)
    ws = [rng.standard_normal((o, i)).astype(np.float32) for i, o in ((784, 1024), (1024, 1024), (1024, 10))]

    def raw():
        h = x
        for w in ws:
            h = h @ w.T
        return h
    ex = ember.tensor(x)
    ews = [ember.tensor(w) for w in ws]

    def emb():
        h = ex
        with ember.no_grad():
            for w in ews:
                h = h.matmul(w.t())
        return h
    t_raw, t_emb = best_time(raw, 5, 5), best_time(emb, 5, 5)
    return t_raw / t_emb


def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--torch-python", default=sys.executable)
    p.add_argument("--out", default=os.path.join(HERE, "..", "docs", "performance.md"))
    args = p.parse_args(argv)

    import numpy as np
    import torch
    import ember
    import ops
    import train_step
    import lenet
    rows = []
    rows += ops.main()
    rows += train_step.main()
    rows += lenet.main()
    it_e = import_time(sys.executable, "ember")
    it_t = import_time(sys.executable, "torch")
    rows.append(("import (fresh process)", it_t, it_e, it_e / it_t))
    print(f"\nimport: torch {it_t:.3f} s, ember {it_e:.3f} s, ratio {it_e / it_t:.2f}")
    has_tv = subprocess.run([args.torch_python, "-c", "import torchvision"], capture_output=True).returncode == 0
    notes = []
    if has_tv and os.path.isdir("/usr/share/datasets/fashion-mnist"):
        import seed_epoch
        rows += seed_epoch.main(["--torch-python", args.torch_python])
        tv = subprocess.run([args.torch_python, "-c", "import torch, torchvision; print(torch.__version__, "
                             "torchvision.__version__)"], capture_output=True, text=True).stdout.split()
        notes.append(f"seed epoch and peak memory: torch {tv[0]} with torchvision {tv[1]} "
                     f"({args.torch_python}); each framework in a fresh process")
    else:
        notes.append("seed epoch and its peak memory: skipped (needs torchvision beside torch, "
                     "and Debian's dataset-fashion-mnist)")
    eff = gemm_efficiency()
    print(f"\nwide-MLP GEMMs through ember: {eff:.0%} of raw NumPy GEMM throughput")

    lines = [
        "# Performance", "",
        f"Measured {datetime.date.today().isoformat()} on {cpu_name()} ({os.cpu_count()} cores), "
        f"Python {platform.python_version()}, NumPy {np.__version__}, torch {torch.__version__} "
        f"({torch.get_num_threads()} threads), ember {ember.__version__}.",
        "", "Each framework runs in its own worker process; the two are asked in turn to time each workload "
        "(the seed epoch: a fresh process per run), best of several rounds. Separate processes keep one "
        "framework's idle thread pools (torch's OpenMP threads, NumPy's OpenBLAS threads) from spinning on "
        "the cores while the other is timed. Ratio = ember / torch; lower is better.", "",
        "| workload | torch | ember | ember/torch | goal |", "|---|---|---|---|---|"]
    from common import fmt_time
    for name, tt, te, r in rows:
        g = goal_for(name)
        unit = (lambda v: f"{v:.0f} MB") if "memory" in name else fmt_time
        mark = "" if g is None else (f"<= {g}" + (" (met)" if r <= g else " (not met)"))
        lines.append(f"| {name} | {unit(tt)} | {unit(te)} | {r:.2f} | {mark} |")
    lines += ["", f"Wide-MLP forward GEMMs through ember reach {eff:.0%} of raw NumPy's GEMM throughput "
              "(goal: at least 70%).", ""]
    lines += [f"- {n}" for n in notes]
    lines += ["", "Regenerate with `python bench/run.py --torch-python <python with torch and torchvision>`."]
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as f:
        f.write("\n".join(lines) + "\n")
    print(f"\nwrote {os.path.abspath(args.out)}")


if __name__ == "__main__":
    main()
