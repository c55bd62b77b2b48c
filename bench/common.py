"""Side-by-side timing: each workload runs under ember and torch alternately, best of several rounds."""
import gc
import time


def best_time(fn, number, rounds):
    """Best per-call seconds over `rounds` rounds of `number` calls."""
    best = float("inf")
    for _ in range(rounds):
        gc.disable()
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        dt = (time.perf_counter() - t0) / number
        gc.enable()
        best = min(best, dt)
    return best


def compare(workloads, rounds=7):
    """workloads: list of (name, ember_fn, torch_fn, number). Returns rows (name, torch_s, ember_s, ratio)."""
    rows = []
    for name, efn, tfn, number in workloads:
        efn()
        tfn()  # warm up both
        te = tt = float("inf")
        for _ in range(rounds):  # alternate so machine noise hits both alike
            tt = min(tt, best_time(tfn, number, 1))
            te = min(te, best_time(efn, number, 1))
        rows.append((name, tt, te, te / tt))
    return rows


def fmt_time(s):
    if s < 1e-3:
        return f"{s * 1e6:.1f} us"
    if s < 1:
        return f"{s * 1e3:.2f} ms"
    return f"{s:.2f} s"


def print_table(rows, title):
    print(f"\n{title}")
    print(f"{'workload':44s} {'torch':>11s} {'ember':>11s} {'ember/torch':>12s}")
    for name, tt, te, r in rows:
        print(f"{name:44s} {fmt_time(tt):>11s} {fmt_time(te):>11s} {r:12.2f}")
