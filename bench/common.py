"""Side-by-side timing: each workload runs under ember and torch alternately, best of several rounds."""
import gc
import json
import os
import subprocess
import sys
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


# -- each framework in its own process -------------------------------------------------------------
# Timing both frameworks in one process lets the idle one's thread pools (torch's OpenMP threads,
# NumPy's OpenBLAS threads) spin on the cores while the other is being timed, which skews both ways.
# A worker process per framework, asked in turn, gives each the whole machine for its turn.


class Worker:
    """A process that imports one framework and times workloads on request.

    A workload is named by a spec (module, function, args): module.function(framework, *args)
    builds it (in bench/) and returns the callable to time."""

    def __init__(self, framework):
        # run from bench/, so that `-m common` and the workload modules import
        self.proc = subprocess.Popen([sys.executable, "-m", "common", framework], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True, cwd=os.path.dirname(os.path.abspath(__file__)))

    def time(self, spec, number):
        self.proc.stdin.write(json.dumps({"spec": spec, "number": number}) + "\n")
        self.proc.stdin.flush()
        reply = self.proc.stdout.readline()
        if not reply:
            raise RuntimeError(f"benchmark worker died on {spec}")
        return json.loads(reply)["seconds"]

    def close(self):
        self.proc.stdin.close()
        self.proc.wait()


# Pause before each turn: the other framework's worker threads (OpenMP, OpenBLAS) spin for a while
# after its turn, and ember's BLAS policy would read them as a busy machine (ember/_blas.py).
SETTLE_S = 0.2


def compare_isolated(workloads, rounds=7):
    """workloads: list of (name, spec, number). Like compare(), with each framework in its own worker."""
    workers = {"torch": Worker("torch"), "ember": Worker("ember")}
    rows = []
    try:
        for name, spec, number in workloads:
            best = {}
            for w in workers.values():
                w.time(spec, 1)  # build and warm up
            for _ in range(rounds):  # alternate so machine noise hits both alike
                for fw, w in workers.items():
                    time.sleep(SETTLE_S)
                    best[fw] = min(best.get(fw, float("inf")), w.time(spec, number))
            rows.append((name, best["torch"], best["ember"], best["ember"] / best["torch"]))
    finally:
        for w in workers.values():
            w.close()
    return rows


def _serve(framework):
    import importlib
    m = importlib.import_module(framework)
    built = {}
    for line in sys.stdin:
        req = json.loads(line)
        key = json.dumps(req["spec"])
        if key not in built:
            mod, fn, args = req["spec"]
            built[key] = getattr(importlib.import_module(mod), fn)(m, *args)
        print(json.dumps({"seconds": best_time(built[key], req["number"], 1)}), flush=True)


if __name__ == "__main__":
    _serve(sys.argv[1])
