"""Graph nodes and the global autograd state.

A Node is both the record of one op in the graph and the context its forward
saved things on (like Chainer's FunctionNode): ``forward`` works on raw backend
arrays, ``backward`` on ember Tensors, so a backward formula is itself
differentiable and ``create_graph=True`` needs no second implementation.
"""
import itertools


class _State:
    __slots__ = ("grad_enabled", "inference", "anomaly", "anomaly_check_nan", "autocast")

    def __init__(self):
        self.autocast = False  # some device type has autocast enabled (ember.amp)
        self.grad_enabled = True
        self.inference = False
        self.anomaly = False
        self.anomaly_check_nan = True


STATE = _State()
_seq = itertools.count()


class Node:
    """Base of every graph node: built-in ops and user Functions alike.

    Subclasses set ``forward(self, *arrays, *params)`` returning an array (or a
    tuple of arrays), ``backward(self, *grads)`` returning one Tensor-or-None per
    tensor input, and may declare:

    - ``SAVES_INPUTS``: keep the input Tensors (version-checked) in ``self.inputs``;
    - ``SAVES_OUTPUT``: keep the output Tensor in ``self.out``;
    - ``VIEW``: the output aliases input 0 (shares its storage and version counter);
    - ``DIFFERENTIABLE = False`` for ops that never record (comparisons, argmax, ...);
    - ``NON_DIFF_OUTPUTS``: indices of outputs that are never differentiable (e.g. indices).
    """

    __slots__ = ("next_edges", "inputs", "out", "saved_versions", "seq", "pre_hooks", "post_hooks",
                 "released", "meta", "n_out", "__weakref__")
    SAVES_INPUTS = False
    SAVES_OUTPUT = False
    SAVES_SHAPES = False  # binary ops: keep the two input shapes as sa, sb
    VIEW = False
    DIFFERENTIABLE = True
    CROSS_DEVICE = False  # copy_ alone takes operands on different devices
    NON_DIFF_OUTPUTS = ()

    # No __init__: most nodes only run a forward (no grad needed) and are dropped; the graph
    # fields are set by init_graph_fields() when the node is actually linked into a graph.
    def init_graph_fields(self):
        self.inputs = None
        self.out = None
        self.pre_hooks = None
        self.post_hooks = None
        self.released = False
        self.meta = None

    def backward(self, *grads):  # pragma: no cover - every op overrides it
        raise RuntimeError(f"{self.name()} has no backward")

    def release(self):
        """Free what forward saved once backward has used it (retain_graph=False)."""
        if self.inputs is not None or self.out is not None:
            self.released = True
        self.inputs = None
        self.out = None

    # -- what torch shows of a grad_fn -------------------------------------------
    def name(self):
        """torch's grad_fn name, e.g. "AddBackward0": the node class is named after it."""
        return type(self).__name__

    @property
    def next_functions(self):
        from .._tensor import Tensor
        return tuple((AccumulateGrad(t) if isinstance(t, Tensor) else t, i) if t is not None else (None, 0)
                     for t, i in ((e if e is not None else (None, 0)) for e in self.next_edges))

    @property
    def metadata(self):
        if self.meta is None:
            self.meta = {}
        return self.meta

    def register_hook(self, fn):
        if self.post_hooks is None:
            self.post_hooks = []
        self.post_hooks.append(fn)
        return RemovableHandle(self.post_hooks, fn)

    def register_prehook(self, fn):
        return self._add_pre_hook(0, fn)

    def _add_pre_hook(self, output_nr, fn, last=False):
        if self.pre_hooks is None:
            self.pre_hooks = {}
        hooks = self.pre_hooks.setdefault(output_nr, [])
        if last:
            hooks.append(fn)
        else:
            # retain_grad hooks run after user hooks, as in torch
            pos = len(hooks)
            while pos and getattr(hooks[pos - 1], "_retains", False):
                pos -= 1
            hooks.insert(pos, fn)
        return RemovableHandle(hooks, fn)

    def __repr__(self):
        return f"<{self.name()} object at {hex(id(self))}>"

    def __call__(self, *grads):
        return self.backward(*grads)


class AccumulateGrad:
    """What torch shows in next_functions for a leaf; the engine accumulates into the leaf itself."""
    __slots__ = ("variable",)

    def __init__(self, variable):
        self.variable = variable

    def name(self):
        return "torch::autograd::AccumulateGrad"

    next_functions = ()

    def __repr__(self):
        return f"<AccumulateGrad object at {hex(id(self))}>"


class RemovableHandle:
    __slots__ = ("_container", "_item", "id")
    _ids = itertools.count()

    def __init__(self, container, item):
        self._container = container
        self._item = item
        self.id = next(self._ids)

    def remove(self):
        c = self._container
        if isinstance(c, dict):
            c.pop(self._item, None)
        else:
            try:
                c.remove(self._item)
            except ValueError:
                pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()
