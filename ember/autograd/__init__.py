"""ember.autograd: backward, grad, grad modes, Function, gradcheck."""
from .graph import Node, AccumulateGrad, RemovableHandle, STATE
from .grad_mode import (no_grad, enable_grad, set_grad_enabled, inference_mode, is_grad_enabled,
                        is_inference_mode_enabled, detect_anomaly, set_detect_anomaly, is_anomaly_enabled)
from . import engine
from .function import Function, FunctionCtx, once_differentiable
from .gradcheck import gradcheck, gradgradcheck


def _as_tuple(x):
    if x is None:
        return ()
    from .._tensor import Tensor
    if isinstance(x, Tensor):
        return (x,)
    return tuple(x)


def _make_root_grads(outputs, grad_outputs, create_graph):
    from .._tensor import Tensor
    from ..ops.creation import ones_like
    grads = []
    if len(grad_outputs) != len(outputs):
        raise RuntimeError(f"grad can be implicitly created only for scalar outputs" if not grad_outputs else
                           f"Mismatch in number of gradients: expected {len(outputs)}, got {len(grad_outputs)}")
    for i, (out, g) in enumerate(zip(outputs, grad_outputs)):
        if g is None:
            if out._requires_grad and out._data.size != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            if out._requires_grad and out._data.dtype.kind not in "fc":
                raise RuntimeError(
                    f"grad can be implicitly created only for real scalar outputs but got {out.dtype}")
            g = ones_like(out)
        elif not isinstance(g, Tensor):
            raise TypeError(f"gradients can be either Tensors or None, but got {type(g).__name__}")
        else:
            if g.shape != out.shape:
                raise RuntimeError(
                    f"Mismatch in shape: grad_output[{i}] has a shape of {g.shape} and output[{i}] has a "
                    f"shape of {out.shape}.")
            if g.dtype.is_complex != out.dtype.is_complex:
                raise RuntimeError(
                    f"For complex Tensors, both grad_output and output are required to have the same dtype. "
                    f"Mismatch in dtype: grad_output[{i}] has a dtype of {g.dtype} and output[{i}] has a "
                    f"dtype of {out.dtype}.")
            if g.device != out.device:
                raise RuntimeError(
                    f"invalid gradient at index {i} - expected device {out.device} but got {g.device}")
        grads.append(g)
    return grads


def _roots(outputs):
    from ..ops._dispatch import edge_of
    edges = []
    for i, out in enumerate(outputs):
        if not out._requires_grad:
            raise RuntimeError(f"element {i} of tensors does not require grad and does not have a grad_fn")
        edges.append(edge_of(out))
    return edges


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, grad_variables=None,
             inputs=None):
    outputs = _as_tuple(tensors)
    grad_tensors = _as_tuple(grad_tensors) if grad_tensors is not None else (None,) * len(outputs)
    if retain_graph is None:
        retain_graph = create_graph
    grads = _make_root_grads(outputs, grad_tensors, create_graph)
    roots = _roots(outputs)
    if inputs is not None:
        inputs = _as_tuple(inputs)
        if not inputs:
            raise RuntimeError("'inputs' argument to backward() cannot be empty.")
        result = _grad_impl(roots, grads, inputs, retain_graph, create_graph, allow_unused=True)
        for t, g in zip(inputs, result):
            if g is not None:
                t._grad = g if t._grad is None else t._grad + g
        return
    engine.run(roots, grads, retain_graph, create_graph)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, only_inputs=True,
         allow_unused=None, is_grads_batched=False, materialize_grads=False):
    outputs = _as_tuple(outputs)
    single = not isinstance(inputs, (tuple, list))
    inputs = _as_tuple(inputs)
    grad_outputs = _as_tuple(grad_outputs) if grad_outputs is not None else (None,) * len(outputs)
    if retain_graph is None:
        retain_graph = create_graph
    if allow_unused is None:
        allow_unused = materialize_grads
    for t in inputs:
        if not t._requires_grad:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
    grads = _make_root_grads(outputs, grad_outputs, create_graph)
    result = _grad_impl(_roots(outputs), grads, inputs, retain_graph, create_graph, allow_unused)
    if materialize_grads:
        from ..ops.creation import zeros_like
        result = tuple(zeros_like(t) if g is None else g for t, g in zip(inputs, result))
    return result


def _grad_impl(roots, grads, inputs, retain_graph, create_graph, allow_unused):
    keys = [("leaf", id(t)) if t._grad_fn is None else ("node", id(t._grad_fn), t._output_nr) for t in inputs]
    capture = {k: None for k in keys}
    engine.run(roots, grads, retain_graph, create_graph, capture=capture)
    result = []
    for i, (t, k) in enumerate(zip(inputs, keys)):
        g = capture[k]
        if g is None and not allow_unused:
            raise RuntimeError(f"The differentiated Tensor at index {i} appears to not have been used in the "
                               "graph. Set allow_unused=True if this is the desired behavior.")
        if g is not None and not create_graph:
            g = g.detach()
        result.append(g)
    return tuple(result)

