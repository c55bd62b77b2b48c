"""Printing tensors in torch's format."""
import numpy as np


def tensor_repr(t):
    arr = t._data if t._data.__class__ is np.ndarray else t._data.get()
    body = np.array2string(arr, separator=", ", precision=4, prefix="tensor(")
    suffix = []
    if t.grad_fn is not None:
        suffix.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t.requires_grad:
        suffix.append("requires_grad=True")
    return "tensor(" + body + "".join(", " + s for s in suffix) + ")"
