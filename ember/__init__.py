"""ember: PyTorch's programming model on NumPy (CPU) and CuPy (CUDA).

``import ember as torch`` and keep going. This module only re-exports.
"""
import builtins as _builtins
import warnings as _warnings

# NumPy warns on inf/nan results (log(0), 0/0); torch returns them silently, and so do ember's ops
_warnings.filterwarnings("ignore", category=RuntimeWarning, module=r"ember\.")

__version__ = "0.1.0"

from ._dtype import (dtype, bool_ as bool, uint8, int8, int16, int32, int64, float16, bfloat16, float32, float64,
                     complex64, complex128, half, float, double, short, int, long, cfloat, cdouble,
                     get_default_dtype, set_default_dtype, promote_types, can_cast)
from ._device import device, set_default_device, get_default_device
from ._tensor import Tensor, Size, is_tensor
from ._tensor_str import set_printoptions, get_printoptions
from . import ops as _ops  # binds the Tensor methods
from .ops.pointwise import *  # noqa: F401,F403
from .ops.views import *  # noqa: F401,F403
from .ops.creation import *  # noqa: F401,F403
from .ops.creation import range_ as range
from .ops.conversion import *  # noqa: F401,F403
from .ops.reduction import *  # noqa: F401,F403
from .ops.linalg import *  # noqa: F401,F403
from .ops.shape import *  # noqa: F401,F403
from .ops.indexing import *  # noqa: F401,F403
from .ops.sorting import *  # noqa: F401,F403
from .ops.activation import *  # noqa: F401,F403
from .ops.normalization import *  # noqa: F401,F403
from .ops.conv import *  # noqa: F401,F403
from .ops.pooling import *  # noqa: F401,F403
from .ops.misc import *  # noqa: F401,F403
from ._finfo import iinfo, finfo
from .ops._util import broadcast_shapes
from .random import manual_seed, seed, initial_seed, get_rng_state, set_rng_state, Generator, default_generator
from . import autograd, cuda, random, amp
from .amp import autocast
from .amp.autocast_mode import (is_autocast_enabled, get_autocast_dtype, set_autocast_enabled,  # noqa: E402
                                set_autocast_dtype)
from . import linalg  # noqa: E402
from .linalg import LEGACY as _linalg_legacy  # noqa: E402
globals().update(_linalg_legacy)  # torch.det, torch.inverse, torch.svd, ... (older spellings)

# Subpackages and functions loaded on first use, so `import ember` stays light (PEP 562).
_LAZY_MODULES = {"nn", "optim", "utils", "onnx", "special", "backends", "vision", "serialization"}
_LAZY_ATTRS = {"save": ("serialization", "save"), "load": ("serialization", "load"),
               "save_safetensors": ("_safetensors", "save_safetensors"),
               "load_safetensors": ("_safetensors", "load_safetensors"), "from_dlpack": ("_dlpack", "from_dlpack")}


def __getattr__(name):
    import importlib
    if name in _LAZY_MODULES:
        return importlib.import_module("." + name, __name__)
    if name in _LAZY_ATTRS:
        module, attr = _LAZY_ATTRS[name]
        value = getattr(importlib.import_module("." + module, __name__), attr)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'ember' has no attribute '{name}'")


def __dir__():
    return sorted(set(globals()) | _LAZY_MODULES | set(_LAZY_ATTRS))
from .autograd import (no_grad, enable_grad, set_grad_enabled, inference_mode, is_grad_enabled,
                       is_inference_mode_enabled)
from ._dtype import result_type as _result_type


def result_type(tensor1, tensor2):
    return _result_type(tensor1, tensor2)


def is_floating_point(input):
    return input.is_floating_point()


def is_complex(input):
    return input.is_complex()


def numel(input):
    return input.numel()


def t(input):
    return input.t()


def is_nonzero(input):
    n = input.numel()
    if n != 1:
        raise RuntimeError("Boolean value of Tensor with no values is ambiguous" if n == 0 else
                           "Boolean value of Tensor with more than one value is ambiguous")
    return _builtins.bool(input.item())


def typename(obj):
    return obj.type() if isinstance(obj, Tensor) else type(obj).__name__
