"""Every tensor op, and the Tensor methods bound to them.

Each op module declares what it contributes, so adding an op touches one file:

- ``__all__``: functions exported as ``ember.<name>``;
- ``TENSOR_METHODS``: names bound as Tensor methods (the same function: ``x.exp()`` is ``ember.exp(x)``);
- ``INPLACE``: names that also get an in-place twin ``x.<name>_()`` (the op, then a commit into x);
- ``EXTRA_METHODS``: optional dict of method name -> function for methods named differently;
- ``OUT_VARIANTS``: functions that compute their result only; their ``ember.<name>`` gets torch's
  ``out=`` from ``_util.with_out`` (Tensor methods, which take no ``out``, stay unwrapped).
"""
from .._tensor import Tensor
from . import pointwise, views, creation, conversion, reduction, linalg, shape, indexing, sorting, activation, conv, pooling
from . import normalization
from . import misc
from ._dispatch import check_inplace_allowed, commit_inplace
from ._util import with_out
from ..amp.autocast_mode import apply_policy as apply_autocast_policy

MODULES = (pointwise, views, creation, conversion, reduction, linalg, shape, indexing, sorting, activation, conv,
           pooling, normalization, misc)


def make_inplace(fn):
    """The in-place twin of an out-of-place op: same math, committed into self."""
    def inplace(self, *args, **kwargs):
        check_inplace_allowed(self)
        return commit_inplace(self, fn(self, *args, **kwargs))
    inplace.__name__ = fn.__name__ + "_"
    return inplace


def _bind():
    for mod in MODULES:
        apply_autocast_policy(vars(mod))  # before binding: Tensor methods autocast too, as in torch
        for name in getattr(mod, "TENSOR_METHODS", "").split():
            setattr(Tensor, name, getattr(mod, name))
        for name in getattr(mod, "INPLACE", "").split():
            setattr(Tensor, name + "_", make_inplace(getattr(mod, name)))
        for name, fn in getattr(mod, "EXTRA_METHODS", {}).items():
            setattr(Tensor, name, fn)
        for name in getattr(mod, "OUT_VARIANTS", "").split():
            setattr(mod, name, with_out(getattr(mod, name)))


_bind()
from . import operators  # noqa: E402,F401  (Python operators on Tensor)
