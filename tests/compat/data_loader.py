"""DataLoader parity: batching, collation of nested samples, samplers, workers (deterministic parts)."""
import json
import collections
import numpy as np
import torch
from torch.utils.data import (DataLoader, TensorDataset, Dataset, IterableDataset, Subset, ConcatDataset,
                              BatchSampler, SequentialSampler, default_collate, get_worker_info)


def R(name, value):
    print("R", name, json.dumps(value))


def tl(x):
    return x.tolist() if isinstance(x, torch.Tensor) else x


rng = np.random.default_rng(0)
X = rng.standard_normal((37, 5)).astype(np.float32)
Y = rng.integers(0, 10, 37)
ds = TensorDataset(torch.tensor(X), torch.tensor(Y))
for bs, drop in [(8, False), (8, True), (37, False)]:
    dl = DataLoader(ds, batch_size=bs, drop_last=drop)
    R(f"len_{bs}_{drop}", len(dl))
    for i, (xb, yb) in enumerate(dl):
        R(f"b_{bs}_{drop}_{i}_x", xb.sum(1).tolist())
        R(f"b_{bs}_{drop}_{i}_y", [str(yb.dtype), yb.tolist()])

Pt = collections.namedtuple("Pt", "a b")


class Nested(Dataset):
    def __len__(self):
        return 6

    def __getitem__(self, i):
        return {"t": torch.tensor([i, i + 1.0]), "f": i / 3, "n": i, "s": f"s{i}", "p": Pt(i % 2 == 0, np.float32(i)),
                "l": [np.arange(2) + i, (i, 2.5)]}


for i, b in enumerate(DataLoader(Nested(), batch_size=4)):
    for k, v in [("t", b["t"]), ("f", b["f"]), ("n", b["n"]), ("pa", b["p"].a), ("pb", b["p"].b), ("l0", b["l"][0])]:
        R(f"nested_{i}_{k}_dtype", str(v.dtype))
        R(f"nested_{i}_{k}", v.tolist())
    R(f"nested_{i}_s", b["s"])
    R(f"nested_{i}_l1", [tl(v) for v in b["l"][1]])

sub = Subset(ds, [3, 1, 4, 1, 5])
R("subset", [yb.tolist() for _, yb in DataLoader(sub + sub, batch_size=3)])
R("batch_sampler", list(BatchSampler(SequentialSampler(range(10)), 3, False)))
R("none_batch", [type(v).__name__ for v in next(iter(DataLoader(Nested(), batch_size=None))).values()])


class Shard(IterableDataset):
    def __iter__(self):
        info = get_worker_info()
        return iter(range(info.id, 10, info.num_workers) if info else range(10))


if __name__ == "__main__":
    R("workers_map", [yb.tolist() for _, yb in DataLoader(ds, batch_size=8, num_workers=2)])
    R("workers_iter", [b.tolist() for b in DataLoader(Shard(), batch_size=2, num_workers=2)])
    try:
        DataLoader(ds, shuffle=True, sampler=[0])
    except ValueError as e:
        R("err", str(e))
