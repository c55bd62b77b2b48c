"""Python operators on Tensor (+, @, ==, +=, ...), each an alias of the named op."""
from .._tensor import Tensor
from . import pointwise as P, linalg, creation


def _reflected(fn):
    def op(self, other):
        s, x = P._promote_rev(other, self)
        return fn(s, x)
    return op


def _matmul(self, other):
    if not isinstance(other, Tensor):
        return NotImplemented
    return linalg.matmul(self, other)


def _rmatmul(self, other):
    return linalg.matmul(creation.as_tensor(other), self)


def _invert(self):
    return P.logical_not(self) if self._data.dtype == bool else P.bitwise_not(self)


_BINARY = {"add": P.add, "sub": P.sub, "mul": P.mul, "truediv": P.div, "floordiv": P.floor_divide,
           "mod": P.remainder, "pow": P.pow, "and": P.bitwise_and, "or": P.bitwise_or, "xor": P.bitwise_xor}
for _name, _fn in _BINARY.items():
    setattr(Tensor, f"__{_name}__", _fn)
    setattr(Tensor, f"__r{_name}__", _reflected(_fn))
    inplace_name = {"truediv": "div", "and": "bitwise_and", "or": "bitwise_or", "xor": "bitwise_xor",
                    "mod": "remainder", "floordiv": "floor_divide"}.get(_name, _name) + "_"
    setattr(Tensor, f"__i{_name}__", getattr(Tensor, inplace_name))

Tensor.__lshift__ = P.bitwise_left_shift
Tensor.__rshift__ = P.bitwise_right_shift
Tensor.__matmul__ = _matmul
Tensor.__rmatmul__ = _rmatmul
Tensor.__imatmul__ = lambda self, other: self.copy_(linalg.matmul(self, other))
Tensor.__neg__ = P.neg
Tensor.__pos__ = P.positive
Tensor.__abs__ = P.abs
Tensor.__invert__ = _invert
Tensor.__eq__ = P.eq
Tensor.__ne__ = P.ne
Tensor.__lt__ = P.lt
Tensor.__le__ = P.le
Tensor.__gt__ = P.gt
Tensor.__ge__ = P.ge
Tensor.__rsub__ = P.rsub  # keeps sub's bool checks, which see the original scalar
