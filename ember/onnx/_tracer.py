"""Tracing: run a model once with an observer on the dispatch point and record every op.

Each op that goes through ``ember.ops._dispatch.apply`` becomes a :class:`Record`: its node class,
input tensors, Python-side params, output tensors, and the path of the module it ran in
(``layer1.0.conv1``). ``Module.__call__`` and ``autograd.Function.apply`` are wrapped for the
duration of the trace: the first keeps a stack of module paths, the second records a custom
Function as one opaque op (its inner ops are not recorded), so that exporting it fails with a clear
error instead of silently baking its result in as a constant.

``nn.RNN`` / ``nn.LSTM`` / ``nn.GRU`` are recorded as one op each (a :class:`ModuleOp` named by the
module's mode: ``LSTM``, ``GRU``, ``RNN_TANH``, ``RNN_RELU``): ``RNNBase._run`` is wrapped for the
duration of the trace, so the recurrence (time-major input, initial states -> output, final states)
becomes one record whose inputs are ``(input, h0[, c0], *flat_weights)`` and whose outputs are
``(output, h_n[, c_n])``; the symbolic emits ONNX's native recurrent operators, whose sequence length
can vary at run time. Normal (non-exporting) forwards are untouched. Packed sequences, LSTM
projections (``proj_size``) and training-mode inter-layer dropout keep the unrolled trace.
"""
from .._tensor import Tensor


class Record:
    __slots__ = ("cls", "name", "inputs", "params", "outputs", "module_path", "module", "index")

    def __init__(self, cls, name, inputs, params, outputs, module_path, module, index):
        self.cls, self.name, self.inputs, self.params = cls, name, inputs, params
        self.outputs, self.module_path, self.module, self.index = outputs, module_path, module, index

    def __repr__(self):
        return f"Record({self.name}, in={[tuple(t.shape) for t in self.inputs]}, module={self.module_path!r})"


class CustomFunctionOp:
    """Stands in for a node class when a user's autograd.Function is recorded as a single op."""

    def __init__(self, fn_cls):
        self.fn_cls = fn_cls
        self.__name__ = fn_cls.__name__


class ModuleOp:
    """Stands in for a node class when a whole module (an RNN's recurrence) is recorded as one op."""

    def __init__(self, name):
        self.__name__ = name


class Trace:
    """The records of one run, plus the tensors that must stay alive so ids stay unique."""

    def __init__(self):
        self.records = []
        self.keep = []  # every tensor/array seen: ids must not be recycled during the trace


def _flatten_tensors(obj, out):
    if isinstance(obj, Tensor):
        out.append(obj)
    elif isinstance(obj, (tuple, list)):
        for o in obj:
            _flatten_tensors(o, out)
    elif isinstance(obj, dict):
        for o in obj.values():
            _flatten_tensors(o, out)
    return out


def run_traced(model, args, module_names):
    """Run model(*args) recording every dispatched op; returns (Trace, raw result)."""
    from ..ops import _dispatch
    from ..nn.modules.module import Module
    from ..autograd.function import Function
    from ..autograd import no_grad
    from ..nn.modules.rnn import RNNBase

    trace = Trace()
    stack = [("", model)]
    suppress = [0]

    def observer(cls, inputs, params, result):
        if suppress[0]:
            return
        outs = result if result.__class__ is tuple else (result,)
        path, mod = stack[-1]
        rec = Record(cls, cls.__name__, tuple(inputs), params, outs, path, mod, len(trace.records))
        trace.records.append(rec)
        trace.keep.append((inputs, params, outs))

    orig_call = Module.__call__
    orig_apply = Function.__dict__["apply"]

    def traced_call(self, *a, **kw):
        name = module_names.get(id(self))
        if name is None:
            name = stack[-1][0]
        stack.append((name, self))
        try:
            return orig_call(self, *a, **kw)
        finally:
            stack.pop()

    def traced_apply(cls, *a, **kw):
        tensor_inputs = tuple(_flatten_tensors(list(a) + list(kw.values()), []))
        suppress[0] += 1
        try:
            res = orig_apply.__func__(cls, *a, **kw)
        finally:
            suppress[0] -= 1
        if not suppress[0]:
            outs = tuple(_flatten_tensors(res, []))
            path, mod = stack[-1]
            op = CustomFunctionOp(cls)
            trace.records.append(Record(op, op.__name__, tensor_inputs, (), outs, path, mod, len(trace.records)))
            trace.keep.append((tensor_inputs, outs))
        return res

    orig_rnn_run = RNNBase.__dict__["_run"]

    def traced_rnn_run(self, input, hx, cx, batch_sizes):
        if (suppress[0] or batch_sizes is not None or self.proj_size > 0
                or (self.training and self.dropout > 0 and self.num_layers > 1)):
            return orig_rnn_run(self, input, hx, cx, batch_sizes)  # traced op by op (unrolled)
        suppress[0] += 1
        try:
            out, h_n, c_n = orig_rnn_run(self, input, hx, cx, batch_sizes)
        finally:
            suppress[0] -= 1
        ins = ((input, hx) if cx is None else (input, hx, cx)) + tuple(self._flat_weights)
        outs = (out, h_n) if c_n is None else (out, h_n, c_n)
        path, mod = stack[-1]
        op = ModuleOp(self.mode)
        trace.records.append(Record(op, op.__name__, ins, (self,), outs, path, mod, len(trace.records)))
        trace.keep.append((ins, outs))
        return out, h_n, c_n

    _dispatch.OP_OBSERVERS.append(observer)
    Module.__call__ = traced_call
    Function.apply = classmethod(traced_apply)
    RNNBase._run = traced_rnn_run
    try:
        with no_grad():
            result = model(*args)
    finally:
        RNNBase._run = orig_rnn_run
        Function.apply = orig_apply
        Module.__call__ = orig_call
        _dispatch.OP_OBSERVERS.remove(observer)
    return trace, result


def perturb(t, axes, delta):
    """A copy of tensor t grown along each dynamic axis (values repeated cyclically: indices stay valid)."""
    from .._tensor import wrap
    from .._device import xp_of
    a = t._data
    xp = xp_of(a)
    for ax in sorted(axes):
        n = a.shape[ax]
        if n == 0:
            continue
        idx = xp.arange(n + delta[ax]) % n
        a = xp.take(a, idx, axis=ax)
    return wrap(xp.ascontiguousarray(a))
