"""Tensor: a thin wrapper over one backend array.

Everything here is bookkeeping (autograd state, version counter, views); the
ops are defined in ``ember/ops`` and bound as methods by ``ember/ops/__init__``.
"""
import weakref

import numpy as np

from . import _dtype
from ._device import device_of, host, move, to_device, CPU
from .autograd.graph import STATE


class VersionCounter:
    """Shared by a tensor and all its views: bumped by every in-place op."""
    __slots__ = ("value",)

    def __init__(self):
        self.value = 0


class Size(tuple):
    """torch.Size: a tuple of ints that prints as ``torch.Size([2, 3])``."""

    def __repr__(self):
        return f"ember.Size([{', '.join(str(s) for s in self)}])"

    __str__ = __repr__

    def numel(self):
        n = 1
        for s in self:
            n *= s
        return n

    def __getitem__(self, item):
        r = tuple.__getitem__(self, item)
        return Size(r) if isinstance(item, slice) else r

    def __add__(self, other):
        return Size(tuple(self) + tuple(other))

    def __reduce__(self):
        return (Size, (tuple(self),))


class _Extra:
    """Rarely-used per-tensor state kept off the hot path."""
    __slots__ = ("hooks", "retains_grad", "view_fn", "name")

    def __init__(self):
        self.hooks = None
        self.retains_grad = False
        self.view_fn = None
        self.name = None


class Tensor:
    __slots__ = ("_data", "_requires_grad", "_grad_fn", "_output_nr", "_vc", "_grad", "_base", "_extra",
                 "_view_chain", "__weakref__")
    __array_priority__ = 1000  # numpy defers mixed expressions to Tensor's operators

    # _output_nr is set only together with _grad_fn, and _view_chain only on views (_base set):
    # leaving them unset keeps tensor creation, paid on every op, to six slot writes.
    def __new__(cls, *args, **kwargs):
        t = object.__new__(cls)
        t._requires_grad = False
        t._grad_fn = None
        t._vc = None
        t._grad = None
        t._base = None
        t._extra = None
        return t

    def __init__(self, *args, device=None, dtype=None):
        # legacy constructor: Tensor(2, 3) is uninitialised float, Tensor([1, 2]) is data
        if len(args) == 1 and not isinstance(args[0], (int, np.integer)):
            data = args[0]
            if isinstance(data, Tensor):
                arr = data._data
            else:
                from .ops.creation import array_from_data
                arr = array_from_data(data, _dtype.get_default_dtype() if dtype is None else dtype)
        else:
            shape = args[0] if len(args) == 1 and isinstance(args[0], (tuple, list)) else args
            arr = np.empty(tuple(int(s) for s in shape), dtype=(dtype or _dtype.get_default_dtype()).np)
        if device is not None:
            arr = move(arr, to_device(device))
        self._data = arr

    # -- the array and its description ------------------------------------------
    @property
    def shape(self):
        return Size(self._data.shape)

    def size(self, dim=None):
        if dim is None:
            return Size(self._data.shape)
        return self._data.shape[self._wrap_dim(dim)]

    @property
    def dtype(self):
        return _dtype._from_np[self._data.dtype]

    @property
    def device(self):
        return device_of(self._data)

    @property
    def is_cuda(self):
        return self._data.__class__ is not np.ndarray

    @property
    def is_cpu(self):
        return self._data.__class__ is np.ndarray

    @property
    def ndim(self):
        return self._data.ndim

    def dim(self):
        return self._data.ndim

    ndimension = dim

    def numel(self):
        return self._data.size

    nelement = numel

    def element_size(self):
        return self._data.itemsize

    @property
    def itemsize(self):
        return self._data.itemsize

    @property
    def nbytes(self):
        return self._data.nbytes

    def stride(self, dim=None):
        item = self._data.itemsize
        st = tuple(s // item for s in self._data.strides)
        return st if dim is None else st[self._wrap_dim(dim)]

    def storage_offset(self):
        base = self._data
        while base.base is not None and isinstance(base.base, type(base)):
            base = base.base
        return (self._data.__array_interface__["data"][0] - base.__array_interface__["data"][0]) // self._data.itemsize \
            if self._data.__class__ is np.ndarray else 0

    def data_ptr(self):
        if self._data.__class__ is np.ndarray:
            return self._data.__array_interface__["data"][0]
        return self._data.data.ptr

    def is_contiguous(self, memory_format=None):
        return bool(self._data.flags.c_contiguous)

    def is_floating_point(self):
        return self._data.dtype.kind == "f" or self._data.dtype == _dtype.bfloat16.np

    def is_complex(self):
        return self._data.dtype.kind == "c"

    @property
    def is_leaf(self):
        return self._grad_fn is None

    @property
    def layout(self):
        return "torch.strided"

    def _wrap_dim(self, dim):
        from .ops._util import wrap_dim
        return wrap_dim(dim, self._data.ndim)

    def __len__(self):
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    # -- autograd state ---------------------------------------------------------
    @property
    def requires_grad(self):
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value):
        self.requires_grad_(value)

    def requires_grad_(self, requires_grad=True):
        if self._grad_fn is not None:
            if requires_grad:
                return self
            raise RuntimeError(
                "you can only change requires_grad flags of leaf variables. If you want to use a computed "
                "variable in a subgraph that doesn't require differentiation use var_no_grad = var.detach().")
        if requires_grad and self._data.dtype.kind not in "fc" and self._data.dtype != _dtype.bfloat16.np:
            raise RuntimeError("only Tensors of floating point dtype can require gradients")
        self._requires_grad = bool(requires_grad)
        return self

    @property
    def grad_fn(self):
        return self._grad_fn

    @property
    def grad(self):
        return self._grad

    @grad.setter
    def grad(self, value):
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"assigned grad expected to be a Tensor or None but got grad of type {type(value).__name__}")
            if value.dtype is not self.dtype:
                raise RuntimeError(
                    f"assigned grad has data of a different type: expected {self.dtype}, got {value.dtype}")
            if value._data.shape != self._data.shape:
                raise RuntimeError(
                    f"assigned grad has data of a different size: expected {list(self._data.shape)}, "
                    f"got {list(value._data.shape)}")
            if value.device != self.device:
                raise RuntimeError(
                    f"assigned grad has data located on a different device: expected {self.device}, got {value.device}")
        self._grad = value

    @grad.deleter
    def grad(self):
        self._grad = None

    @property
    def _version(self):
        return self._vc.value if self._vc is not None else 0

    @property
    def retains_grad(self):
        return self._extra is not None and self._extra.retains_grad

    def _get_extra(self):
        if self._extra is None:
            self._extra = _Extra()
        return self._extra

    def retain_grad(self):
        if not self._requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if self._grad_fn is None or self.retains_grad:
            return
        extra = self._get_extra()
        extra.retains_grad = True
        ref = weakref.ref(self)

        def retain(grad):
            t = ref()
            if t is not None:
                if t._grad is None:  # keeps the graph only under create_graph, as torch does
                    t._grad = grad if STATE.grad_enabled else grad.detach()
                else:
                    t._grad = t._grad + grad
            return grad

        retain._retains = True
        self._grad_fn._add_pre_hook(self._output_nr, retain, last=True)

    def register_hook(self, hook):
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self._grad_fn is not None:
            return self._grad_fn._add_pre_hook(self._output_nr, hook)
        extra = self._get_extra()
        if extra.hooks is None:
            extra.hooks = []
        from .autograd.graph import RemovableHandle
        extra.hooks.append(hook)
        return RemovableHandle(extra.hooks, hook)

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        from .autograd import backward
        backward(self, gradient, retain_graph, create_graph, inputs=inputs)

    def detach(self):
        t = wrap(self._data)
        if self._vc is None:
            self._vc = VersionCounter()
        t._vc = self._vc  # detach() shares storage, so it shares the version counter
        return t

    def detach_(self):
        if self._base is not None and self._base._requires_grad:
            raise RuntimeError("Can't detach views in-place. Use detach() instead.")
        self._grad_fn = None
        self._requires_grad = False
        return self

    @property
    def data(self):
        t = wrap(self._data)
        return t

    @data.setter
    def data(self, value):
        self._data = value._data

    # -- conversions ------------------------------------------------------------
    def numpy(self, *, force=False):
        if self._requires_grad and not force:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead.")
        if self._data.__class__ is not np.ndarray:
            if not force:
                raise TypeError(
                    f"can't convert {self.device.type}:{self.device.index} device type tensor to numpy. "
                    "Use Tensor.cpu() to copy the tensor to host memory first.")
            return self._data.get()
        return self._data

    def __array__(self, dtype=None, copy=None):
        # as torch: np.asarray(t) is t.numpy() (no copy; the same errors for requires_grad and CUDA)
        arr = self.numpy()
        if dtype is not None and arr.dtype != dtype:
            if copy is False:
                raise ValueError("Unable to avoid copy while creating an array as requested.")
            return arr.astype(dtype)
        return arr.copy() if copy else arr

    def __array_wrap__(self, array, context=None, return_scalar=False):
        # as torch: a NumPy ufunc on a Tensor (np.sin(t), np.add(ndarray, t)) returns a Tensor, and a
        # bool result comes back as uint8 (torch's Tensor.__array_wrap__ does that)
        if array.dtype == np.bool_:
            array = array.astype(np.uint8)
        if array.dtype not in _dtype._from_np:
            return array
        return wrap(np.asarray(array))

    def __dlpack__(self, *, stream=None, max_version=None, dl_device=None, copy=None):
        from ._dlpack import export
        return export(self, stream, max_version, dl_device, copy)

    def __dlpack_device__(self):
        from ._dlpack import dlpack_device
        return dlpack_device(self)

    def item(self):
        if self._data.size != 1:
            raise RuntimeError(
                f"a Tensor with {self._data.size} elements cannot be converted to Scalar")
        return self._data.reshape(()).item() if self._data.__class__ is np.ndarray else self._data.item()

    def tolist(self):
        arr = host(self._data)
        if arr.dtype == _dtype.bfloat16.np:
            arr = arr.astype(np.float32)
        return arr.tolist()

    def __bool__(self):
        if self._data.size != 1:
            raise RuntimeError(
                f"Boolean value of Tensor with more than one value is ambiguous")
        return bool(self._data.reshape(()))

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __index__(self):
        if self._data.dtype.kind not in "iub" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    def __complex__(self):
        return complex(self.item())

    def __hash__(self):
        return id(self)

    def __repr__(self, *, tensor_contents=None):
        from ._tensor_str import tensor_repr
        return tensor_repr(self)

    def __format__(self, spec):
        if self._data.ndim == 0:
            return self.item().__format__(spec)
        return object.__format__(self, spec)

    def __reduce_ex__(self, proto):
        from .serialization import reduce_tensor
        return reduce_tensor(self)

    def __deepcopy__(self, memo):
        if not self.is_leaf:
            raise RuntimeError("Only Tensors created explicitly by the user (graph leaves) support the "
                               "deepcopy protocol at the moment.  If you were attempting to deepcopy a "
                               "module, this may be because of a torch.nn.utils.weight_norm usage, see "
                               "https://github.com/pytorch/pytorch/pull/103001")
        if id(self) in memo:
            return memo[id(self)]
        t = type(self).__new__(type(self))
        t._data = self._data.copy()
        t._requires_grad = self._requires_grad
        if self._grad is not None:
            t._grad = self._grad.__deepcopy__(memo)
        if hasattr(self, "__dict__"):
            import copy
            for k, v in self.__dict__.items():
                setattr(t, k, copy.deepcopy(v, memo))
        memo[id(self)] = t
        return t

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return iter(self.unbind(0))

    def __contains__(self, element):
        if isinstance(element, (Tensor, int, float, bool)):
            return bool((self == element).any().item())
        raise RuntimeError(
            f"Tensor.__contains__ only supports Tensor or scalar, but you passed in a {type(element)}.")

    # device and dtype moves live in ops/conversion.py (they are ops: autograd flows through .to())


_new = object.__new__


def wrap(arr):
    """A new Tensor over a backend array (NumPy scalars become 0-d arrays)."""
    if arr.__class__ is not np.ndarray and (isinstance(arr, np.generic)
                                            or not hasattr(arr, "__cuda_array_interface__")):
        arr = np.asarray(arr)
    t = _new(Tensor)
    t._data = arr
    t._requires_grad = False
    t._grad_fn = None
    t._vc = None
    t._grad = None
    t._base = None
    t._extra = None
    return t


def is_tensor(obj):
    return isinstance(obj, Tensor)
