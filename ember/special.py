"""ember.special: torch.special's names, mostly aliases of ember's ops."""
from .ops.pointwise import erf, erfc, erfinv, sigmoid as expit, xlogy, log1p, sinc, expm1, exp2, round  # noqa: F401
from .ops.misc import (lgamma as gammaln, digamma, digamma as psi, polygamma, mvlgamma as multigammaln,  # noqa: F401
                       i0, special_i1 as i1, logit)
from .ops.reduction import logsumexp  # noqa: F401


def softmax(input, dim, *, dtype=None):
    from .nn import functional as F
    return F.softmax(input, dim, dtype=dtype)


def log_softmax(input, dim, *, dtype=None):
    from .nn import functional as F
    return F.log_softmax(input, dim, dtype=dtype)


def entr(input, *, out=None):
    """-x log x for x > 0, 0 at 0, -inf for x < 0 (grad -(1 + log x))."""
    from .ops._dispatch import apply
    from .ops.misc import SpecialEntrBackward0, _out
    return _out(apply(SpecialEntrBackward0, (input,)), out)


def erfcx(input):
    return (input * input).exp() * erfc(input)


def ndtr(input):
    return (1 + erf(input * 0.7071067811865476)) * 0.5


def log_ndtr(input):
    return ndtr(input).log()


def xlog1py(input, other):
    from .ops.pointwise import where
    return where(input == 0, input * 0, input * other.log1p())
