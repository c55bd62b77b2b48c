"""gradcheck / gradgradcheck: analytical gradients against central finite differences."""
import numpy as np

from .._device import host


class GradcheckError(RuntimeError):
    pass


def _differentiable_inputs(inputs):
    from .._tensor import Tensor
    return [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x._requires_grad]


def _flat_outputs(out):
    from .._tensor import Tensor
    outs = (out,) if isinstance(out, Tensor) else tuple(out)
    return [o for o in outs if isinstance(o, Tensor)]


def _numerical_jacobian(func, inputs, idx, out_index, eps):
    """d out[out_index] / d inputs[idx], one column per input element, by central differences."""
    x = inputs[idx]
    if not x._data.flags.c_contiguous:  # the flat view below must write through to x
        raise GradcheckError("gradcheck needs contiguous inputs")
    flat = x._data.reshape(-1)
    cols = []
    # grad mode stays on: gradgradcheck's function itself calls autograd.grad
    for j in range(flat.size):
        orig = flat[j].copy()
        flat[j] = orig + eps
        plus = np.array(host(_flat_outputs(func(*inputs))[out_index]._data), dtype=np.float64).reshape(-1)
        flat[j] = orig - eps
        minus = np.array(host(_flat_outputs(func(*inputs))[out_index]._data), dtype=np.float64).reshape(-1)
        flat[j] = orig
        cols.append((plus - minus) / (2 * eps))
    return np.stack(cols, axis=1) if cols else np.zeros((0, 0))


def _analytical_jacobian(out, inputs, idx_list):
    from . import grad
    from ..ops.creation import zeros_like
    n = out._data.size
    jacs = [np.zeros((n, inputs[i]._data.size)) for i in idx_list]
    for k in range(n):
        g = zeros_like(out)
        g._data.reshape(-1)[k] = 1
        grads = grad(out, [inputs[i] for i in idx_list], g, retain_graph=True, allow_unused=True)
        for j, gi in enumerate(grads):
            if gi is not None:
                jacs[j][k] = np.asarray(host(gi._data), dtype=np.float64).reshape(-1)
    return jacs


def gradcheck(func, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True, nondet_tol=0.0,
              check_undefined_grad=True, check_grad_dtypes=False, check_batched_grad=False,
              check_batched_forward_grad=False, check_forward_ad=False, check_backward_ad=True,
              fast_mode=False, masked=None):
    from .._tensor import Tensor
    if isinstance(inputs, Tensor):
        inputs = (inputs,)
    inputs = tuple(inputs)
    diff_idx = _differentiable_inputs(inputs)
    if not diff_idx:
        raise ValueError("gradcheck expects at least one input tensor to require gradient, "
                         "but none of the them have requires_grad=True.")
    for i in diff_idx:
        if inputs[i].dtype.name not in ("float64", "complex128"):
            import warnings
            warnings.warn(f"Input #{i} requires gradient and is not a double precision floating point. "
                          "This check will likely fail if all the inputs are not of double precision "
                          "floating point. ")
    outputs = _flat_outputs(func(*inputs))
    for oi, out in enumerate(outputs):
        if not out._requires_grad:
            continue
        analytical = _analytical_jacobian(out, inputs, diff_idx)
        for j, i in enumerate(diff_idx):
            numerical = _numerical_jacobian(func, inputs, i, oi, eps)
            if not np.allclose(analytical[j], numerical, rtol=rtol, atol=atol):
                if not raise_exception:
                    return False
                raise GradcheckError(
                    f"Jacobian mismatch for output {oi} with respect to input {i},\n"
                    f"numerical:{numerical}\nanalytical:{analytical[j]}\n")
    return True


def gradgradcheck(func, inputs, grad_outputs=None, *, eps=1e-6, atol=1e-5, rtol=1e-3,
                  gen_non_contig_grad_outputs=False, raise_exception=True, **kwargs):
    """Check second derivatives: gradcheck of the function (inputs, v) -> J(inputs)^T v."""
    from .._tensor import Tensor
    from . import grad
    if isinstance(inputs, Tensor):
        inputs = (inputs,)
    inputs = tuple(inputs)
    outputs = _flat_outputs(func(*inputs))
    if grad_outputs is None:
        rng = np.random.default_rng(0)
        from ..ops.creation import tensor
        grad_outputs = tuple(tensor(rng.standard_normal(o.shape), dtype=o.dtype, requires_grad=True)
                             for o in outputs)
    elif isinstance(grad_outputs, Tensor):
        grad_outputs = (grad_outputs,)
    n_in = len(inputs)
    diff_idx = _differentiable_inputs(inputs)

    def first_grads(*args):
        ins, gos = args[:n_in], args[n_in:]
        outs = _flat_outputs(func(*ins))
        gs = grad(outs, [ins[i] for i in diff_idx], gos, create_graph=True, allow_unused=True)
        return tuple(g for g in gs if g is not None)

    return gradcheck(first_grads, inputs + tuple(grad_outputs), eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception)
