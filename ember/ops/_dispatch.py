"""The one dispatch point every tensor op goes through.

``apply(NodeClass, inputs, *params)`` runs the op's forward on backend arrays,
wraps the result, and, when autograd is recording and an input requires grad,
links the node into the graph. Anything that must see every op (autograd,
in-place version checks, ONNX tracing, profiling) hooks in here, never per op.
"""
from ..autograd.graph import STATE, _seq
from .._tensor import Tensor, wrap, VersionCounter, _new
from .._device import device_of, writeable
from numpy import ndarray

# Observers of every op: callables (node_cls, inputs, params, outputs). ONNX
# tracing and the profiler register here; the list is empty in normal runs.
OP_OBSERVERS = []


def check_same_device(inputs):
    first = inputs[0]._data
    for t in inputs[1:]:
        a, b = device_of(first), device_of(t._data)
        if a != b:
            raise RuntimeError(
                "Expected all tensors to be on the same device, but found at least two devices, "
                f"{b} and {a}!")


def apply(cls, inputs, *params):
    node = cls()
    if len(inputs) == 2:  # the common case, unrolled: this function is paid on every op
        x, y = inputs
        xa, ya = x._data, y._data
        if (xa.__class__ is not ndarray or ya.__class__ is not ndarray) and not cls.CROSS_DEVICE:
            check_same_device(inputs)
        out = node.forward(xa, ya, *params)
        record = (x._requires_grad or y._requires_grad) and STATE.grad_enabled and cls.DIFFERENTIABLE
    elif len(inputs) == 1:
        x = inputs[0]
        out = node.forward(x._data, *params)
        record = x._requires_grad and STATE.grad_enabled and cls.DIFFERENTIABLE
    else:
        arrays = [t._data for t in inputs]
        for a in arrays:
            if a.__class__ is not ndarray:  # a CuPy array: all operands must share its device
                check_same_device(inputs)
                break
        out = node.forward(*arrays, *params)
        record = False
        if STATE.grad_enabled and cls.DIFFERENTIABLE:
            for t in inputs:
                if t._requires_grad:
                    record = True
                    break
    if out.__class__ is ndarray:
        result = _new(Tensor)
        result._data = out
        result._requires_grad = False
        result._grad_fn = None
        result._vc = None
        result._grad = None
        result._base = None
        result._extra = None
        if cls.VIEW:
            _alias(result, inputs[0], cls, params)
        if record:
            _link(node, inputs, (result,))
    elif out.__class__ is tuple:
        result = tuple([wrap(a) for a in out])
        if record:
            _link(node, inputs, result)
    else:  # a NumPy scalar or a CuPy array
        result = wrap(out)
        if cls.VIEW:
            _alias(result, inputs[0], cls, params)
        if record:
            _link(node, inputs, (result,))
    if OP_OBSERVERS:
        for obs in OP_OBSERVERS:
            obs(cls, inputs, params, result)
    return result


def apply_view(cls, x, *params):
    """apply() for a one-input view op whose class has ``compute(array, *params)``. With no graph to
    record and no tracer listening, the aliasing tensor is built without a Node: views are the most
    frequent ops and this path costs about half of apply()'s."""
    if OP_OBSERVERS or (x._requires_grad and STATE.grad_enabled):
        return apply(cls, (x,), *params)
    result = _new(Tensor)
    result._data = cls.compute(x._data, *params)
    result._requires_grad = False
    result._grad_fn = None
    result._grad = None
    result._extra = None
    _alias(result, x, cls, params)
    return result


def _alias(view, base, cls, params):
    """A view shares its base's storage and version counter; _base is the root base, as in torch.

    The view also remembers how it was made from that root (its chain of view ops),
    so an in-place op on the view can rewrite the base's history (CopySlices). The chain is
    a linked list, (previous link, op class, params), ending in () at the root (views.chain_steps
    unrolls it); None means it cannot be replayed.
    """
    vc = base._vc
    if vc is None:
        vc = base._vc = VersionCounter()
    view._vc = vc
    if base._base is not None:
        view._base = base._base
        chain = base._view_chain
        view._view_chain = (chain, cls, params) if chain is not None else None
    else:
        view._base = base
        view._view_chain = ((), cls, params)


def _link(node, inputs, outputs):
    node.init_graph_fields()
    if len(inputs) == 2:  # binary ops dominate: build the two edges without a comprehension
        x, y = inputs
        node.next_edges = (
            None if not x._requires_grad else (x, 0) if x._grad_fn is None else (x._grad_fn, x._output_nr),
            None if not y._requires_grad else (y, 0) if y._grad_fn is None else (y._grad_fn, y._output_nr))
        if node.SAVES_SHAPES:
            node.sa, node.sb = x._data.shape, y._data.shape
        if node.SAVES_INPUTS:
            node.inputs = inputs
            node.saved_versions = (x._vc.value if x._vc is not None else 0, y._vc.value if y._vc is not None else 0)
    else:
        node.next_edges = tuple([None if not t._requires_grad else
                                 (t, 0) if t._grad_fn is None else (t._grad_fn, t._output_nr) for t in inputs])
        if node.SAVES_INPUTS:
            node.inputs = inputs
            node.saved_versions = tuple([t._vc.value if t._vc is not None else 0 for t in inputs])
    node.seq = next(_seq)
    node.n_out = len(outputs)
    non_diff = node.NON_DIFF_OUTPUTS
    if not non_diff and len(outputs) == 1:
        o = outputs[0]
        o._requires_grad = True
        o._grad_fn = node
        o._output_nr = 0
    else:
        i = 0
        for o in outputs:
            if i not in non_diff:
                o._requires_grad = True
                o._grad_fn = node
                o._output_nr = i
            i += 1
    if node.SAVES_OUTPUT:
        node.out = outputs[0] if len(outputs) == 1 else outputs
        out0 = outputs[0]
        if out0._vc is None:
            out0._vc = VersionCounter()
        node.saved_versions = (node.saved_versions if node.SAVES_INPUTS else ()) + (out0._vc.value,)


def edge_of(t):
    """Where a gradient for tensor t goes: (its grad_fn, output index), the leaf itself, or None."""
    if not t._requires_grad:
        return None
    fn = t._grad_fn
    if fn is None:
        return (t, 0)
    return (fn, t._output_nr)


def record_custom(node, inputs, outputs):
    """Link a node whose forward ran outside apply (autograd.Function)."""
    _link(node, inputs, outputs)


# -- in-place ops -----------------------------------------------------------------
# An in-place op is its out-of-place op plus a commit: the result is written into
# self's storage, the shared version counter is bumped, and self takes over the
# result's autograd history (through a CopySlices node when self is a view).

def check_inplace_allowed(self):
    if STATE.grad_enabled and self._requires_grad:
        if self._grad_fn is None:
            raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")
        base = self._base
        if base is not None and base._grad_fn is None and base._requires_grad:
            raise RuntimeError(
                "a view of a leaf Variable that requires grad is being used in an in-place operation.")


def bump_version(t):
    vc = t._vc
    if vc is None:
        vc = t._vc = VersionCounter()
    vc.value += 1


def commit_inplace(self, result):
    """Write `result` (the out-of-place value of an op on self) into self; return self."""
    from .. import _dtype
    sd, rd = self._data.dtype, result._data.dtype
    if sd != rd:
        s, r = _dtype._from_np[sd], _dtype._from_np[rd]
        if not _dtype.can_cast(r, s):
            raise RuntimeError(f"result type {r._short[:1].upper() + r._short[1:]} can't be cast to the "
                               f"desired output type {s._short}")
    if result._data.shape != self._data.shape:
        from ._util import shape_str
        raise RuntimeError(f"output with shape {shape_str(self._data.shape)} doesn't match the broadcast shape "
                           f"{shape_str(result._data.shape)}")
    node = result._grad_fn if result._requires_grad else None
    if node is not None and node.SAVES_INPUTS and node.inputs is not None:
        # the op saved self's old value: keep a snapshot of it (torch's original_self)
        snap = None
        new_inputs = []
        for t in node.inputs:
            if t is self:
                if snap is None:
                    snap = wrap(self._data.copy())
                    snap._requires_grad, snap._grad_fn = self._requires_grad, self._grad_fn
                    if self._grad_fn is not None:
                        snap._output_nr = self._output_nr
                t = snap
            new_inputs.append(t)
        if snap is not None:
            node.inputs = tuple(new_inputs)
            node.saved_versions = tuple(0 if t is snap else v for t, v in zip(new_inputs, node.saved_versions)) \
                + node.saved_versions[len(new_inputs):]
    if writeable(self._data):
        self._data[...] = result._data
    else:
        raise RuntimeError("unsupported operation: the tensor's memory is read-only")
    bump_version(self)
    if node is not None:
        if node.SAVES_OUTPUT and node.out is result:
            result._data = self._data
            result._vc = self._vc
            node.saved_versions = node.saved_versions[:-1] + (self._vc.value,)
        if self._base is not None and self._view_chain is not None:
            _rebase_view(self, node, result)
        else:
            self._requires_grad = True
            self._grad_fn = node
            self._output_nr = result._output_nr
    return self


def _rebase_view(view, op_node, result):
    from .views import rebase_view
    rebase_view(view, op_node, result)
