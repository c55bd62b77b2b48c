"""ember.autograd.Function: users' own differentiable ops, with torch's ctx API."""
import functools

from .graph import Node, STATE
from .grad_mode import no_grad


class FunctionCtx:
    """The ctx object a Function's forward and backward share."""

    def save_for_backward(self, *tensors):
        self._to_save = tensors

    def save_for_forward(self, *tensors):
        self._to_save_fwd = tensors

    def mark_dirty(self, *tensors):
        self._dirty = tensors

    def mark_non_differentiable(self, *tensors):
        self._non_diff = tensors

    def set_materialize_grads(self, value):
        self._materialize = bool(value)


class BackwardCFunction(Node, FunctionCtx):
    """The graph node of one Function call; it is also that call's ctx."""
    SAVES_INPUTS = False

    def __init__(self):
        self.init_graph_fields()
        self._to_save = ()
        self._saved = None
        self._non_diff = ()
        self._dirty = ()
        self._materialize = True
        self.needs_input_grad = ()
        self._arg_is_tensor = ()
        self._in_dtypes = ()
        self._out_meta = ()

    def name(self):
        return self._function.__name__ + "Backward"

    @property
    def saved_tensors(self):
        if self._saved is None:
            if self.released:
                from .engine import FREED_MESSAGE
                raise RuntimeError(FREED_MESSAGE)
            return self._to_save
        from .engine import check_saved_versions
        tensors, versions = self._saved
        for t, v in zip(tensors, versions):
            if t is not None and (t._vc.value if t._vc is not None else 0) != v:
                probe = Node()
                probe.init_graph_fields()
                probe.inputs, probe.saved_versions = (t,), (v,)
                check_saved_versions(probe)
        return tensors

    saved_variables = saved_tensors

    def release(self):
        if self._saved is not None:
            self.released = True
        self._saved = None
        self._to_save = ()

    def backward(self, *grads):
        if self._materialize:
            from ..ops.creation import zeros
            grads = tuple(g if g is not None else zeros(shape, dtype=dtype, device=dev)
                          for g, (shape, dtype, dev) in zip(grads, self._out_meta))
        result = self._function.backward(self, *grads)
        if not isinstance(result, tuple):
            result = (result,)
        n_args = len(self._arg_is_tensor)
        if len(result) < n_args:
            raise RuntimeError(f"function {self.name()} returned an incorrect number of gradients "
                               f"(expected {n_args}, got {len(result)})")
        # extra trailing Nones are allowed, as in torch
        if any(r is not None for r in result[n_args:]):
            raise RuntimeError(f"function {self.name()} returned an incorrect number of gradients "
                               f"(expected {n_args}, got {len(result)})")
        grads = [r for r, is_t in zip(result, self._arg_is_tensor) if is_t]
        # as torch's engine: a gradient comes back in its input's dtype (e.g. a Function that computed
        # in float32 under autocast, for a bfloat16 input)
        return tuple(g.to(d) if g is not None and g.dtype is not d else g for g, d in zip(grads, self._in_dtypes))


class FunctionMeta(type):
    def __init__(cls, name, bases, attrs):
        super().__init__(name, bases, attrs)


class Function(metaclass=FunctionMeta):
    """Subclass with static ``forward(ctx, *args)`` and ``backward(ctx, *grads)``; call ``.apply``."""

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("You must implement the forward function for custom autograd.Function.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("You must implement either the backward or vjp method for your custom "
                                  "autograd.Function to use it with backward mode AD.")

    vjp = backward

    @staticmethod
    def setup_context(ctx, inputs, output):
        raise NotImplementedError

    @classmethod
    def apply(cls, *args, **kwargs):
        from .._tensor import Tensor
        from ..ops._dispatch import record_custom

        node = BackwardCFunction()
        node._function = cls
        is_tensor = tuple(isinstance(a, Tensor) for a in args)
        node._arg_is_tensor = is_tensor
        node._in_dtypes = tuple(a.dtype for a in args if isinstance(a, Tensor))
        node.needs_input_grad = tuple(t and a._requires_grad for a, t in zip(args, is_tensor))
        uses_setup = cls.setup_context is not Function.setup_context
        with no_grad():
            if uses_setup:
                raw = cls.forward(*args, **kwargs)
            else:
                raw = cls.forward(node, *args, **kwargs)
        if uses_setup:
            cls.setup_context(node, args, raw)
        single = not isinstance(raw, tuple)
        outs = (raw,) if single else raw
        tensor_inputs = tuple(a for a, t in zip(args, is_tensor) if t)
        # an input returned unchanged becomes a new tensor sharing its data
        dirty_ids = {id(d) for d in node._dirty}
        outs = tuple(o.detach() if isinstance(o, Tensor) and id(o) not in dirty_ids and
                     any(o is a for a in tensor_inputs) else o for o in outs)
        record = STATE.grad_enabled and any(node.needs_input_grad)
        tensor_outs = [o for o in outs if isinstance(o, Tensor)]
        if record and tensor_outs:
            node._out_meta = tuple((o.shape, o.dtype, o.device) for o in tensor_outs)
            for d in node._dirty:
                if d._grad_fn is None and d._requires_grad:
                    raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")
            record_custom(node, tensor_inputs, tensor_outs)
            non_diff = {id(t) for t in node._non_diff}
            for o in tensor_outs:
                if id(o) in non_diff:
                    o._requires_grad = False
                    o._grad_fn = None
            for d in node._dirty:
                if d._vc is not None:
                    d._vc.value += 1
        if node._to_save:
            node._saved = (node._to_save,
                           tuple((t._vc.value if t._vc is not None else 0) if t is not None else 0
                                 for t in node._to_save))
        return outs[0] if single else outs


def once_differentiable(fn):
    @functools.wraps(fn)
    def wrapper(ctx, *args):
        with no_grad():
            return fn(ctx, *args)
    return wrapper
