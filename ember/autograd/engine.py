"""The backward engine: dependency-counted traversal of the graph.

Nodes run in reverse creation order among those whose gradients are complete,
as in torch. Gradients reaching a leaf are accumulated into its ``.grad``
(``backward``) or captured for the caller (``autograd.grad``).
"""
import heapq
import re
import sys

from .._device import writeable
from .graph import STATE, Node


FREED_MESSAGE = (
    "Trying to backward through the graph a second time (or directly access saved tensors after they "
    "have already been freed). Saved intermediate values of the graph are freed when you call .backward() "
    "or autograd.grad(). Specify retain_graph=True if you need to backward through the graph a second time "
    "or if you need to access saved tensors after calling backward.")


def check_saved_versions(node):
    """Raise torch's error if a tensor the node saved was modified in place since it was saved."""
    versions = node.saved_versions
    i = 0
    if node.inputs is not None:
        for t in node.inputs:
            vc = t._vc
            if (vc.value if vc is not None else 0) != versions[i]:
                _raise_modified(t, versions[i])
            i += 1
    if node.SAVES_OUTPUT and node.out is not None:
        t = node.out if not isinstance(node.out, tuple) else node.out[0]
        vc = t._vc
        if (vc.value if vc is not None else 0) != versions[i]:
            _raise_modified(t, versions[i])


def _raise_modified(t, expected):
    current = t._vc.value if t._vc is not None else 0
    producer = t._grad_fn.name() if t._grad_fn is not None else None
    if producer:  # torch names the op, not its backward: "output 0 of Mul"
        producer = re.sub(r"Backward\d*$", "", producer)
    where = f", which is output {t._output_nr} of {producer}," if producer else ""
    raise RuntimeError(
        "one of the variables needed for gradient computation has been modified by an inplace "
        f"operation: [{t.type()} [{', '.join(str(s) for s in t.shape)}]]{where} is at version "
        f"{current}; expected version {expected} instead. Hint: enable anomaly detection to find the "
        "operation that failed to compute its gradient, with torch.autograd.set_detect_anomaly(True, "
        "check_nan=False).")


def _add(a, b):
    if a is None:
        return b
    if b is None:
        return a
    return a + b


_EMPTY = {}


def run(roots, root_grads, retain_graph, create_graph, capture=None, accumulate=True):
    """Propagate root_grads from roots (list of (node-or-leaf, output_nr) edges).

    capture: optional dict {key: None}, keys being ('leaf', id) or ('node', id, nr),
    filled with the gradient reaching each; leaves are then not accumulated.
    """
    from .._tensor import Tensor

    # 1. dependencies: number of edges into each node/leaf reachable from the roots
    deps = {}
    objs = {}
    stack = []
    for edge in roots:
        if edge is not None:
            key = id(edge[0])
            if key not in objs:
                objs[key] = edge[0]
                deps[key] = 0
                stack.append(edge[0])
    while stack:
        fn = stack.pop()
        if fn.__class__ is Tensor or isinstance(fn, Tensor):
            continue
        for edge in fn.next_edges:
            if edge is None:
                continue
            target = edge[0]
            key = id(target)
            if key in deps:
                deps[key] += 1
            else:
                deps[key] = 1
                objs[key] = target
                stack.append(target)

    # 2. seed the buffers with the root gradients
    buffers = {}
    for edge, g in zip(roots, root_grads):
        if edge is None:
            continue
        fn, nr = edge
        key = id(fn)
        buf = buffers.get(key)
        if buf is None:
            buf = buffers[key] = {}
        buf[nr] = _add(buf.get(nr), g)
    ready = []
    user_grads = {id(g) for g in root_grads if g is not None}
    for edge in roots:
        if edge is not None and deps[id(edge[0])] == 0:
            fn = edge[0]
            entry = (-(fn.seq if isinstance(fn, Node) else -1), id(fn), fn)
            if entry not in ready:
                ready.append(entry)
    heapq.heapify(ready)
    pushed = {e[1] for e in ready}

    prev_mode, prev_autocast = STATE.grad_enabled, STATE.autocast
    STATE.grad_enabled = create_graph
    STATE.autocast = False  # a backward op computes in the dtypes its forward chose
    try:
        while ready:
            _, key, fn = heapq.heappop(ready)
            buf = buffers.pop(key, _EMPTY)
            if fn.__class__ is Tensor or isinstance(fn, Tensor):
                _deliver_leaf(fn, buf.get(0), capture, accumulate, create_graph, user_grads)
                continue
            n_out = fn.n_out
            if fn.pre_hooks or capture is not None:
                grads = _run_pre_hooks(fn, buf, capture)
            else:
                grads = [buf.get(0)] if n_out == 1 else [buf.get(i) for i in range(n_out)]
            if fn.released:
                raise RuntimeError(FREED_MESSAGE)
            if fn.inputs is not None or fn.out is not None:
                check_saved_versions(fn)
            n_in = len(fn.next_edges)
            if grads[0] is None if n_out == 1 else all(g is None for g in grads):
                in_grads = (None,) * n_in
            else:
                in_grads = fn.backward(*grads)
                if in_grads.__class__ is not tuple:
                    in_grads = (in_grads,)
                if len(in_grads) != n_in:
                    raise RuntimeError(
                        f"function {fn.name()} returned an incorrect number of gradients (expected {n_in}, "
                        f"got {len(in_grads)})")
                if STATE.anomaly:
                    _check_anomaly(fn, in_grads)
            if fn.post_hooks:
                for hook in fn.post_hooks:
                    r = hook(in_grads, grads)
                    if r is not None:
                        in_grads = tuple(r)
            if not retain_graph:
                fn.release()
            for edge, g in zip(fn.next_edges, in_grads):
                if edge is None:
                    continue
                target, nr = edge
                tkey = id(target)
                if g is not None:
                    tbuf = buffers.get(tkey)
                    if tbuf is None:
                        tbuf = buffers[tkey] = {}
                    tbuf[nr] = _add(tbuf.get(nr), g)
                deps[tkey] -= 1
                if deps[tkey] == 0 and tkey not in pushed:
                    pushed.add(tkey)
                    heapq.heappush(ready, (-(target.seq if isinstance(target, Node) else -1), tkey, target))
            # drop this node's gradients now: a leaf may keep a gradient nobody else references
            buf = grads = in_grads = g = tbuf = None
    finally:
        STATE.grad_enabled, STATE.autocast = prev_mode, prev_autocast


def _run_pre_hooks(fn, buf, capture):
    grads = [buf.get(i) for i in range(fn.n_out)]
    if fn.pre_hooks:
        for nr, hooks in fn.pre_hooks.items():
            if nr >= len(grads) or grads[nr] is None:
                continue
            for hook in list(hooks):
                r = hook(grads[nr])
                if r is not None:
                    grads[nr] = r
    if capture is not None:
        for i, g in enumerate(grads):
            k = ("node", id(fn), i)
            if k in capture:
                capture[k] = _add(capture[k], g)
    return grads


def _deliver_leaf(t, g, capture, accumulate, create_graph, user_grads):
    if g is None:
        return
    extra = t._extra
    if extra is not None and extra.hooks:
        for hook in list(extra.hooks):
            r = hook(g)
            if r is not None:
                g = r
    if capture is not None:
        k = ("leaf", id(t))
        if k in capture:
            capture[k] = _add(capture[k], g)
        return
    if not accumulate:
        return
    if t._grad is None:
        if not create_graph:
            # the engine may hand the same gradient object (or views of one array) to several
            # leaves, or the caller's own tensor: store a private copy in those cases. A view whose
            # base array nothing else holds (the transpose of a fresh product, say) is kept as it is,
            # like torch's AccumulateGrad steals a gradient nobody else references.
            if id(g) in user_grads or _shares_storage(g):
                g = g.detach().clone()
            elif not g._data.flags.c_contiguous and t._data.flags.c_contiguous:
                g = g.detach().clone()  # torch's layout contract: .grad is laid out like its tensor
            elif g._requires_grad:
                g = g.detach()
            user_grads.add(id(g))
        t._grad = g
    elif create_graph or t._grad._requires_grad:
        t._grad = t._grad + g
    else:
        old = t._grad
        if writeable(old._data) and old._data.base is None:
            old._data += g._data
            if old._vc is not None:
                old._vc.value += 1
        else:
            t._grad = old.detach() + g


def _shares_storage(g):
    """Whether g's array is a view of memory something besides g (and its private parent) holds."""
    base = g._data.base
    if base is None:
        return False
    # expected references: the local name, getrefcount's argument, g's array's .base ...
    parent = g._base  # ... and the tensor g was viewed from, which holds base too
    if parent is None:
        return sys.getrefcount(base) > 3
    return parent._data is not base or sys.getrefcount(base) > 4 or sys.getrefcount(parent) > 3


def _check_anomaly(fn, in_grads):
    import numpy as np
    if not STATE.anomaly_check_nan:
        return
    for i, g in enumerate(in_grads):
        if g is not None and g._data.dtype.kind in "fc" and bool(np.isnan(np.asarray(g.detach().cpu()._data)).any()):
            raise RuntimeError(f"Function '{fn.name()}' returned nan values in its {i}th output.")
