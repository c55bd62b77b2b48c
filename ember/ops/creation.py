"""Tensor creation: from data, constant fills, ranges, random sampling."""
import math
import numbers

import numpy as np

from .. import _dtype
from .. import _device
from .._device import to_device, move, xp_for, host, CPU
from .._tensor import Tensor, wrap, Size
from .. import random as _random


def _infer_dtype(data):
    """torch.tensor's dtype inference for nested Python data."""
    kinds = set()

    def visit(x):
        if isinstance(x, (list, tuple)):
            for y in x:
                visit(y)
        elif isinstance(x, Tensor):
            kinds.add(x.dtype)
        elif isinstance(x, (bool, np.bool_)):
            kinds.add(_dtype.bool_)
        elif isinstance(x, (numbers.Integral,)):
            kinds.add(_dtype.int64)
        elif isinstance(x, numbers.Real):
            kinds.add(_dtype.get_default_dtype())
        elif isinstance(x, numbers.Complex):
            kinds.add(_dtype.complex128 if _dtype.get_default_dtype() is _dtype.float64 else _dtype.complex64)
        else:
            raise TypeError(f"new(): invalid data type '{type(x).__name__}'")

    visit(data)
    result = None
    for k in kinds:
        result = k if result is None else _dtype.promote_types(result, k)
    return result or _dtype.get_default_dtype()


def _to_nested(data):
    if isinstance(data, Tensor):
        return host(data._data).tolist()
    if isinstance(data, (list, tuple)):
        return [_to_nested(x) for x in data]
    return data


def _check_rectangular(data):
    """torch's ValueError for ragged nested sequences, naming the dim and lengths."""
    shape = []
    x = data
    while isinstance(x, (list, tuple)):
        shape.append(len(x))
        x = x[0] if len(x) else None

    def visit(x, dim):
        if dim == len(shape):
            if isinstance(x, (list, tuple)):
                raise ValueError(f"expected sequence of length {len(x)} at dim {dim} (got ...)")
            return
        if not isinstance(x, (list, tuple)):
            raise ValueError(f"expected sequence of length {shape[dim]} at dim {dim} (got {type(x).__name__})")
        if len(x) != shape[dim]:
            raise ValueError(f"expected sequence of length {shape[dim]} at dim {dim} (got {len(x)})")
        for y in x:
            visit(y, dim + 1)

    visit(data, 0)


def array_from_data(data, dtype=None):
    """A fresh NumPy array from Python data / arrays / tensors, with torch's dtype rules."""
    if dtype is not None:
        dtype = _dtype.to_dtype(dtype)
    if isinstance(data, np.ndarray):
        d = dtype or _dtype.from_numpy_dtype(data.dtype)
        return np.array(data, dtype=d.np)
    if isinstance(data, Tensor):
        arr = host(data._data)
        return np.array(arr, dtype=(dtype or data.dtype).np)
    if isinstance(data, np.generic):
        return np.array(data, dtype=(dtype or _dtype.from_numpy_dtype(data.dtype)).np)
    if hasattr(data, "__array__") and not isinstance(data, (list, tuple)):
        arr = np.asarray(data)
        return np.array(arr, dtype=(dtype or _dtype.from_numpy_dtype(arr.dtype)).np)
    d = dtype or _infer_dtype(data)
    nested = _to_nested(data)
    _check_rectangular(nested)
    try:
        arr = np.array(nested, dtype=d.np if d is not _dtype.bfloat16 else np.float32)
    except ValueError as e:
        raise ValueError(f"expected sequence of equal-length rows: {e}") from None
    if d is _dtype.bfloat16:
        arr = arr.astype(d.np)
    if arr.dtype == object:
        raise TypeError("new(): invalid data type 'object'")
    return arr


def _finish(arr, device, requires_grad):
    dev = to_device(device if device is not None else _device._default[0])
    if dev is not CPU:
        arr = move(arr, dev)
    t = wrap(arr)
    if requires_grad:
        t.requires_grad_(True)
    return t


def tensor(data, dtype=None, device=None, requires_grad=False, pin_memory=False):
    if isinstance(data, Tensor):
        import warnings
        warnings.warn("To copy construct from a tensor, it is recommended to use sourceTensor.clone().detach() "
                      "or sourceTensor.clone().detach().requires_grad_(True), rather than "
                      "torch.tensor(sourceTensor).", UserWarning, stacklevel=2)
    return _finish(array_from_data(data, dtype), device, requires_grad)


def as_tensor(data, dtype=None, device=None):
    if isinstance(data, Tensor):
        t = data
        if dtype is not None and t.dtype is not _dtype.to_dtype(dtype):
            t = t.to(_dtype.to_dtype(dtype))
        if device is not None and t.device != to_device(device):
            t = t.to(to_device(device))
        return t
    if isinstance(data, np.ndarray) and (dtype is None or _dtype.to_dtype(dtype).np == data.dtype) \
            and _device.device(device if device is not None else _device._default[0]).type == "cpu":
        _dtype.from_numpy_dtype(data.dtype)
        return wrap(data)
    return tensor(data, dtype=dtype, device=device)


asarray = as_tensor


def from_numpy(ndarray):
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(ndarray).__name__})")
    _dtype.from_numpy_dtype(ndarray.dtype)
    if any(s < 0 for s in ndarray.strides):
        raise ValueError("At least one stride in the given numpy array is negative, and tensors with negative "
                         "strides are not currently supported. (You can probably work around this by making a "
                         "copy of your array  with array.copy().) ")
    return wrap(ndarray)


def _size(size):
    if len(size) == 1 and isinstance(size[0], (tuple, list, Size)):
        size = size[0]
    out = []
    for s in size:
        if isinstance(s, Tensor):
            s = s.item()
        if not isinstance(s, (int, np.integer)):
            raise TypeError(f"empty(): argument 'size' must be tuple of ints, but found element of type "
                            f"{type(s).__name__} at pos {len(out)}")
        if s < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: {list(size)}")
        out.append(int(s))
    return tuple(out)


def _fill(size, value, dtype, device, requires_grad, kind):
    dt = _dtype.to_dtype(dtype) if dtype is not None else None
    dev = to_device(device if device is not None else _device._default[0])
    xp = xp_for(dev)
    if dt is None:
        dt = _dtype.scalar_dtype(value) if kind == "full" else _dtype.get_default_dtype()
    if dev.type == "cuda":
        with xp.cuda.Device(dev.index):
            arr = xp.full(size, value, dtype=dt.np) if kind != "empty" else xp.empty(size, dtype=dt.np)
    elif kind == "zeros":
        arr = np.zeros(size, dtype=dt.np)
    elif kind == "empty":
        arr = np.empty(size, dtype=dt.np)
    else:
        arr = np.full(size, value, dtype=dt.np)
    t = wrap(arr)
    if requires_grad:
        t.requires_grad_(True)
    return t


def zeros(*size, dtype=None, device=None, requires_grad=False, out=None, layout=None, pin_memory=False):
    dims = size[0] if len(size) == 1 and isinstance(size[0], (tuple, list, Size)) else size
    if any(isinstance(s, (int, np.integer)) and s < 0 for s in dims):
        raise RuntimeError("zeros: Dimension size must be non-negative.")
    return _fill(_size(size), 0, dtype, device, requires_grad, "zeros")


def ones(*size, dtype=None, device=None, requires_grad=False, out=None, layout=None, pin_memory=False):
    return _fill(_size(size), 1, dtype, device, requires_grad, "ones")


def empty(*size, dtype=None, device=None, requires_grad=False, out=None, layout=None, pin_memory=False,
          memory_format=None):
    return _fill(_size(size), 0, dtype, device, requires_grad, "empty")


def full(size, fill_value, *, dtype=None, device=None, requires_grad=False, out=None, layout=None,
         pin_memory=False):
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    return _fill(_size((size,)), fill_value, dtype, device, requires_grad, "full")


def _like(input, dtype, device):
    return (dtype if dtype is not None else input.dtype), (device if device is not None else input.device)


def zeros_like(input, *, dtype=None, device=None, requires_grad=False, layout=None, memory_format=None):
    d, dev = _like(input, dtype, device)
    return _fill(input._data.shape, 0, d, dev, requires_grad, "zeros")


def ones_like(input, *, dtype=None, device=None, requires_grad=False, layout=None, memory_format=None):
    d, dev = _like(input, dtype, device)
    return _fill(input._data.shape, 1, d, dev, requires_grad, "ones")


def empty_like(input, *, dtype=None, device=None, requires_grad=False, layout=None, memory_format=None):
    d, dev = _like(input, dtype, device)
    return _fill(input._data.shape, 0, d, dev, requires_grad, "empty")


def full_like(input, fill_value, *, dtype=None, device=None, requires_grad=False, layout=None,
              memory_format=None):
    d, dev = _like(input, dtype, device)
    return _fill(input._data.shape, fill_value, d, dev, requires_grad, "full")


def _scalar(x):
    return x.item() if isinstance(x, Tensor) else x


def arange(start=0, end=None, step=1, *, dtype=None, device=None, requires_grad=False, out=None, layout=None):
    start, end, step = _scalar(start), _scalar(end), _scalar(step)
    if end is None:
        start, end = 0, start
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if (end - start) * step < 0:
        raise RuntimeError(f"upper bound and larger bound inconsistent with step sign")
    if dtype is None:
        dt = _dtype.int64 if all(isinstance(v, (int, np.integer)) for v in (start, end, step)) \
            else _dtype.get_default_dtype()
    else:
        dt = _dtype.to_dtype(dtype)
    n = max(0, math.ceil((end - start) / step))
    # computed in float64 then cast, as torch does, so float ranges match to the last bit
    arr = (start + np.arange(n, dtype=np.float64 if dt.category >= 2 else np.int64) * step)
    return _finish(arr.astype(dt.np), device, requires_grad)


def range_(start=0, end=None, step=1, *, dtype=None, device=None, requires_grad=False):
    if end is None:
        start, end = 0, start
    dt = _dtype.to_dtype(dtype) if dtype is not None else _dtype.get_default_dtype()
    n = int(math.floor((end - start) / step)) + 1
    arr = start + np.arange(n, dtype=np.float64) * step
    return _finish(arr.astype(dt.np), device, requires_grad)


def linspace(start, end, steps, *, dtype=None, device=None, requires_grad=False, out=None, layout=None):
    start, end = _scalar(start), _scalar(end)
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    dt = _dtype.to_dtype(dtype) if dtype is not None else _dtype.get_default_dtype()
    # torch fills the first half from start and the second half from end (symmetric rounding)
    # floating results are computed in their own precision, as torch's kernel does
    work = dt.np if dt.category == 2 and dt is not _dtype.bfloat16 else np.dtype(np.float64)
    if steps == 1:
        arr = np.array([start], dtype=work)
    else:
        arr = _linspace_values(work.type(start), work.type(end), steps, work)
    if dt.category < 2:
        arr = np.trunc(arr) if dt is not _dtype.bool_ else arr
    return _finish(arr.astype(dt.np), device, requires_grad)


def _linspace_values(s0, s1, steps, work):
    """torch's formula: the first half counts up from start, the second half down from end
    (torch's SIMD kernel may differ from this in the last bit of a few elements)."""
    step = (s1 - s0) / work.type(steps - 1)
    i = np.arange(steps, dtype=work)
    return np.where(i < steps // 2, s0 + step * i, s1 - step * (work.type(steps - 1) - i))


def logspace(start, end, steps, base=10.0, *, dtype=None, device=None, requires_grad=False):
    lin = linspace(start, end, steps, dtype=_dtype.float64)
    dt = _dtype.to_dtype(dtype) if dtype is not None else _dtype.get_default_dtype()
    return _finish(np.power(base, lin._data).astype(dt.np), device, requires_grad)


def eye(n, m=None, *, dtype=None, device=None, requires_grad=False, out=None, layout=None):
    if n < 0:
        raise RuntimeError(f"n must be greater or equal to 0, got {n}")
    dt = _dtype.to_dtype(dtype) if dtype is not None else _dtype.get_default_dtype()
    return _finish(np.eye(n, m, dtype=dt.np), device, requires_grad)


def _float_dtype(dtype, fn):
    dt = _dtype.to_dtype(dtype) if dtype is not None else _dtype.get_default_dtype()
    if dt.category < 2:
        raise NotImplementedError(f"\"{fn}\" not implemented for '{dt._short}'")
    return dt


def _random_fill(sample, size, dtype, device, requires_grad, fn):
    dt = _float_dtype(dtype, fn)
    arr = sample(_size(size))
    if dt.np != np.float64:
        arr = arr.astype(dt.np)
    return _finish(arr, device, requires_grad)


def rand(*size, generator=None, dtype=None, device=None, requires_grad=False, out=None, layout=None,
         pin_memory=False):
    return _random_fill(lambda s: _random.rng(generator).random(s), size, dtype, device, requires_grad,
                        "check_uniform_bounds")


def randn(*size, generator=None, dtype=None, device=None, requires_grad=False, out=None, layout=None,
          pin_memory=False):
    return _random_fill(lambda s: _random.rng(generator).standard_normal(s), size, dtype, device,
                        requires_grad, "normal_kernel_cpu")


def rand_like(input, *, dtype=None, device=None, requires_grad=False, memory_format=None):
    d, dev = _like(input, dtype, device)
    return rand(input._data.shape, dtype=d, device=dev, requires_grad=requires_grad)


def randn_like(input, *, dtype=None, device=None, requires_grad=False, memory_format=None):
    d, dev = _like(input, dtype, device)
    return randn(input._data.shape, dtype=d, device=dev, requires_grad=requires_grad)


def randint(low=0, high=None, size=None, *, generator=None, dtype=None, device=None, requires_grad=False,
            out=None, layout=None):
    if size is None:  # randint(high, size)
        low, high, size = 0, low, high
    if high is None:
        raise TypeError("randint() missing required argument 'size'")
    if low >= high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
    dt = _dtype.to_dtype(dtype) if dtype is not None else _dtype.int64
    arr = _random.rng(generator).integers(low, high, size=_size((size,)))
    return _finish(arr.astype(dt.np), device, requires_grad)


def randint_like(input, low=0, high=None, *, dtype=None, device=None):
    if high is None:
        low, high = 0, low
    d, dev = _like(input, dtype, device)
    return randint(low, high, input._data.shape, dtype=d, device=dev)


def randperm(n, *, generator=None, dtype=None, device=None, requires_grad=False, out=None, layout=None):
    if n < 0:
        raise RuntimeError(f"n must be non-negative, got{n}")
    dt = _dtype.to_dtype(dtype) if dtype is not None else _dtype.int64
    return _finish(_random.rng(generator).permutation(n).astype(dt.np), device, requires_grad)


def normal(mean=0.0, std=1.0, size=None, *, generator=None, dtype=None, device=None, requires_grad=False,
           out=None):
    g = _random.rng(generator)
    if isinstance(mean, Tensor) or isinstance(std, Tensor):
        m = host(mean._data) if isinstance(mean, Tensor) else mean  # sampled on the host, as every draw
        s = host(std._data) if isinstance(std, Tensor) else std
        if isinstance(std, Tensor) and (s < 0).any():
            raise RuntimeError("normal expects all elements of std >= 0.0")
        ref = mean if isinstance(mean, Tensor) else std
        shape = np.broadcast_shapes(np.shape(m), np.shape(s))
        arr = (m + s * g.standard_normal(shape)).astype(ref._data.dtype)
        return wrap(move(arr, ref.device))
    if std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
    if size is None:
        raise TypeError("normal() missing required argument 'size'")
    dt = _float_dtype(dtype, "normal_kernel_cpu")
    arr = (mean + std * g.standard_normal(_size((size,)))).astype(dt.np)
    return _finish(arr, device, requires_grad)


def bernoulli(input, p=None, *, generator=None):
    probs = host(input._data) if p is None else np.full(input._data.shape, p)
    draw = _random.rng(generator).random(probs.shape) < probs
    return wrap(move(draw.astype(input._data.dtype), input.device))


def multinomial(input, num_samples, replacement=False, *, generator=None):
    g = _random.rng(generator)
    probs = np.asarray(host(input._data), dtype=np.float64)
    if (probs < 0).any():
        raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    rows = probs.reshape(-1, probs.shape[-1])
    if not replacement and num_samples > rows.shape[1]:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without replacement")
    out = []
    for r in rows:
        s = r.sum()
        if s <= 0:
            raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
        out.append(g.choice(r.size, size=num_samples, replace=replacement, p=r / s))
    res = np.array(out, dtype=np.int64).reshape(probs.shape[:-1] + (num_samples,))
    return wrap(move(res, input.device))


def poisson(input, generator=None):
    return wrap(_random.rng(generator).poisson(input._data).astype(input._data.dtype))


def scalar_tensor(s, *, dtype=None, device=None, requires_grad=False):
    return tensor(s, dtype=dtype or _dtype.get_default_dtype(), device=device, requires_grad=requires_grad)


def complex(real, imag):
    return wrap(real._data + 1j * imag._data)


__all__ = """tensor as_tensor asarray from_numpy zeros ones empty full zeros_like ones_like empty_like full_like
    arange linspace logspace eye rand randn rand_like randn_like randint randint_like randperm normal bernoulli
    multinomial poisson scalar_tensor complex""".split()


# -- in-place fills (Tensor methods): write into the tensor's own storage --------------------------------

def _fill_inplace(self, values_fn):
    """Overwrite self with values_fn(shape, np_dtype) (an ndarray); history after it is a constant."""
    from ._dispatch import check_inplace_allowed, bump_version
    from .._device import xp_of
    check_inplace_allowed(self)
    arr = self._data
    values = values_fn(arr.shape, arr.dtype)
    if arr.__class__ is not np.ndarray:
        values = xp_of(arr).asarray(values)
    arr[...] = values
    bump_version(self)
    if self._grad_fn is not None:
        from ..autograd.graph import STATE
        if STATE.grad_enabled:
            _record_fill(self)
    return self


def _record_fill(self):
    from ._dispatch import _link
    node = FillBackward0()
    _link(node, (self,), (self,))


from ..autograd.graph import Node as _Node  # noqa: E402


class FillBackward0(_Node):
    """The gradient of anything overwritten by a fill is zero."""
    __slots__ = ()

    def backward(self, g):
        return (g * 0,)




def fill_(self, value):
    if isinstance(value, Tensor):
        if value.dim() != 0:
            raise RuntimeError(f"fill_ only supports 0-dimension value tensor but got tensor with "
                               f"{value.dim()} dimensions.")
        value = value.item()
    return _fill_inplace(self, lambda shape, dt: np.asarray(value).astype(dt))


def zero_(self):
    return _fill_inplace(self, lambda shape, dt: np.zeros((), dtype=dt))


def _rand_inplace(self, sample, generator):
    g = _random.rng(generator)
    return _fill_inplace(self, lambda shape, dt: sample(g, shape).astype(dt))


def uniform_(self, from_=0.0, to=1.0, *, generator=None, **kw):
    from_ = kw.pop("from", from_)
    if from_ > to:
        raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found from={from_:g} > to={to:g}")
    return _rand_inplace(self, lambda g, s: g.uniform(from_, to, s), generator)


def normal_(self, mean=0.0, std=1.0, *, generator=None):
    return _rand_inplace(self, lambda g, s: mean + std * g.standard_normal(s), generator)


def random_(self, from_=0, to=None, *, generator=None):
    if to is None:
        from_, to = 0, from_ if from_ else (2 ** 24 + 1 if self._data.dtype.kind == "f" else
                                            int(np.iinfo(self._data.dtype).max) + 1
                                            if self._data.dtype.kind in "iu" else 2)
    return _rand_inplace(self, lambda g, s: g.integers(from_, to, s), generator)


def bernoulli_(self, p=0.5, *, generator=None):
    probs = p._data if isinstance(p, Tensor) else p
    return _rand_inplace(self, lambda g, s: g.random(s) < probs, generator)


def exponential_(self, lambd=1.0, *, generator=None):
    return _rand_inplace(self, lambda g, s: g.exponential(1.0 / lambd, s), generator)


def log_normal_(self, mean=1.0, std=2.0, *, generator=None):
    return _rand_inplace(self, lambda g, s: g.lognormal(mean, std, s), generator)


def cauchy_(self, median=0.0, sigma=1.0, *, generator=None):
    return _rand_inplace(self, lambda g, s: median + sigma * g.standard_cauchy(s), generator)


def geometric_(self, p, *, generator=None):
    return _rand_inplace(self, lambda g, s: g.geometric(p, s), generator)


TENSOR_METHODS = ("fill_ zero_ uniform_ normal_ random_ bernoulli_ exponential_ log_normal_ cauchy_ "
                  "geometric_")
EXTRA_METHODS = {"bernoulli": lambda self, p=None, generator=None: bernoulli(self, p, generator=generator)}
# ember.<name> gets torch's out= from ops._util.with_out (see ops/__init__.py)
OUT_VARIANTS = "arange empty eye full linspace normal ones rand randint randn randperm zeros"
