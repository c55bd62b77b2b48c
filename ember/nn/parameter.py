"""Parameter: a Tensor that a Module registers automatically."""
import numpy as np

from .._tensor import Tensor, wrap


class Parameter(Tensor):
    """A leaf tensor registered by Module.__setattr__; requires grad by default.

    ``Parameter(t)`` shares t's storage (like torch's ``Parameter(data)``).
    """

    def __new__(cls, data=None, requires_grad=True):
        t = Tensor.__new__(cls)
        if data is None:
            from .. import _dtype
            arr = np.empty((0,), dtype=_dtype.get_default_dtype().np)
        elif isinstance(data, Tensor):
            arr = data._data
            if data._vc is None:
                from .._tensor import VersionCounter
                data._vc = VersionCounter()
            t._vc = data._vc
        else:
            raise TypeError(f"Parameter.__new__() expected a Tensor, got {type(data).__name__}")
        t._data = arr
        if requires_grad:
            t.requires_grad_(True)
        return t

    def __init__(self, data=None, requires_grad=True):
        pass

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        result = type(self)(wrap(self._data.copy()), self._requires_grad)
        if self._grad is not None:
            result._grad = wrap(self._grad._data.copy())
        for k, v in self.__dict__.items():
            import copy
            setattr(result, k, copy.deepcopy(v, memo))
        memo[id(self)] = result
        return result

    def __reduce_ex__(self, proto):
        return (_rebuild_parameter, (wrap(self._data), self._requires_grad))



def _rebuild_parameter(data, requires_grad):
    return Parameter(data, requires_grad)


class Buffer(Tensor):
    """torch.nn.Buffer: marks a tensor to be registered as a buffer when assigned to a Module."""

    def __new__(cls, data=None, *, persistent=True):
        if data is None:
            from .. import _dtype
            data = wrap(np.empty((0,), dtype=_dtype.get_default_dtype().np))
        t = data.detach()
        t.__class__ = Tensor
        obj = Tensor.__new__(cls)
        obj._data = t._data
        obj._vc = t._vc
        obj.persistent = persistent
        return obj

    def __init__(self, data=None, *, persistent=True):
        pass


class UninitializedParameter(Parameter):
    pass


def is_lazy(param):
    return isinstance(param, UninitializedParameter)
