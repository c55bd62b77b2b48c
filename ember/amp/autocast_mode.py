"""torch.autocast: inside the context, listed ops run in a lower-precision float dtype (or in float32).

As in torch, the policy is per device type and per op (torch's autocast op lists):

- ``lower``: matrix products and convolutions run in the autocast dtype (bfloat16 on the CPU and
  float16 on CUDA by default);
- ``fp32``: numerically sensitive ops (losses, and on CUDA also exp/log/softmax/norms/sums...) run
  in float32;
- ``promote``: ops taking several tensors (cat, stack, ...) run in the widest float type among them.

Only float tensors other than float64 are cast, with the differentiable ``to``, so gradients flow
back to float32 parameters in float32. The policy wrappers are put on the functions by
``apply_policy`` (ops modules, ``nn.functional``, ``linalg``); they cost one flag check while no
autocast context is active. Backward passes run with autocast off: a backward op computes in the
dtypes its forward chose.
"""
import functools
import warnings

from .. import _dtype
from .._tensor import Tensor
from ..autograd.graph import STATE

_LOWER_BOTH = """conv1d conv2d conv3d conv_transpose1d conv_transpose2d conv_transpose3d prelu addmm addbmm
    baddbmm bmm mm matmul linear vecdot scaled_dot_product_attention"""
_LOSSES = """mse_loss cosine_embedding_loss nll_loss hinge_embedding_loss poisson_nll_loss smooth_l1_loss
    cross_entropy l1_loss huber_loss margin_ranking_loss soft_margin_loss triplet_margin_loss multi_margin_loss
    ctc_loss kl_div multilabel_margin_loss binary_cross_entropy_with_logits"""

POLICY = {
    "cpu": {
        "lower": set(_LOWER_BOTH.split()),
        "fp32": set((_LOSSES + """ binary_cross_entropy avg_pool3d max_pool3d adaptive_avg_pool3d prod quantile
            nanquantile cdist trace cholesky cholesky_inverse cholesky_solve inverse pinverse inv pinv""").split()),
        "promote": {"cat", "stack", "index_copy"},
    },
    "cuda": {
        "lower": set((_LOWER_BOTH + " addmv addr mv einsum chain_matmul multi_dot").split()),
        "fp32": set((_LOSSES + """ acos asin cosh erfinv exp expm1 log log10 log1p log2 reciprocal rsqrt sinh
            tan pow softplus layer_norm group_norm norm normalize cosine_similarity dist pdist cdist renorm
            logsumexp softmax log_softmax softmin cumprod cumsum prod sum vector_norm matrix_norm""").split()),
        "promote": set("addcdiv addcmul atan2 bilinear cross dot index_put scatter_add tensordot".split()),
    },
}

_DEFAULT_DTYPE = {"cpu": "bfloat16", "cuda": "float16"}
_state = {}  # device type -> (enabled, dtype)


def _current(device_type):
    if device_type not in _state:
        _state[device_type] = (False, getattr(_dtype, _DEFAULT_DTYPE[device_type]))
    return _state[device_type]


def _refresh_flag():
    STATE.autocast = any(enabled for enabled, _ in _state.values())


def is_autocast_available(device_type):
    return device_type in POLICY


def is_autocast_enabled(device_type=None):
    """torch.is_autocast_enabled: for device_type (CUDA when not given)."""
    return _current(device_type or "cuda")[0]


def get_autocast_dtype(device_type):
    return _current(device_type)[1]


def set_autocast_enabled(device_type, enabled):
    _state[device_type] = (bool(enabled), _current(device_type)[1])
    _refresh_flag()


def set_autocast_dtype(device_type, dtype):
    _state[device_type] = (_current(device_type)[0], _dtype.to_dtype(dtype))


class autocast:
    """``with ember.autocast("cpu"):`` or ``@ember.autocast("cuda", dtype=ember.bfloat16)``."""

    def __init__(self, device_type, dtype=None, enabled=True, cache_enabled=None):
        if not isinstance(device_type, str):
            raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
        from .._device import device
        device(device_type)  # an unknown device string raises torch's RuntimeError
        if device_type not in POLICY:
            raise RuntimeError(f"User specified an unsupported autocast device_type '{device_type}'")
        self.device = device_type
        self.fast_dtype = _dtype.to_dtype(dtype) if dtype is not None else get_autocast_dtype(device_type)
        self._cache_enabled = True if cache_enabled is None else cache_enabled  # casts are not cached here
        self._enabled = enabled
        if enabled:
            _dtype.to_dtype(self.fast_dtype)  # bfloat16 without ml_dtypes: the clear error now, not mid-model
        if enabled and device_type == "cpu" and self.fast_dtype not in (_dtype.bfloat16, _dtype.float16):
            warnings.warn("In CPU autocast, but the target dtype is not supported. Disabling autocast.\n"
                          "CPU Autocast only supports dtypes of torch.bfloat16, torch.float16 currently.",
                          stacklevel=2)
            self._enabled = False
        if enabled and device_type == "cuda":
            from .. import cuda
            if not cuda.is_available():
                warnings.warn("CUDA is not available or torch_xla is imported. Disabling autocast.", stacklevel=2)
                self._enabled = False
            elif self.fast_dtype not in (_dtype.float16, _dtype.bfloat16):
                raise RuntimeError("In CUDA autocast, but the target dtype is not supported. Disabling "
                                   "autocast.\nCUDA Autocast only supports dtypes of torch.float16 and "
                                   "torch.bfloat16 currently.")
        self._saved = []

    def __enter__(self):
        self._saved.append(_current(self.device))
        _state[self.device] = (self._enabled, self.fast_dtype if self._enabled else _current(self.device)[1])
        _refresh_flag()
        return self

    def __exit__(self, *exc):
        _state[self.device] = self._saved.pop()
        _refresh_flag()
        return False

    def __call__(self, func):
        @functools.wraps(func)
        def decorated(*args, **kwargs):
            with self:
                return func(*args, **kwargs)
        return decorated


# -- casting --------------------------------------------------------------------------------------

def _first_tensor(args, kwargs):
    for a in args:
        if isinstance(a, Tensor):
            return a
        if isinstance(a, (list, tuple)):
            for b in a:
                if isinstance(b, Tensor):
                    return b
    for a in kwargs.values():
        if isinstance(a, Tensor):
            return a
    return None


def _cast(value, dtype):
    """value (or the tensors in a list/tuple value) in dtype, if a float tensor other than float64."""
    if isinstance(value, Tensor):
        d = value.dtype
        if d.is_floating_point and d is not _dtype.float64 and d is not dtype:
            return value.to(dtype)
        return value
    if isinstance(value, (list, tuple)) and any(isinstance(v, Tensor) for v in value):
        return type(value)(_cast(v, dtype) for v in value)
    return value


def _widest(args, kwargs):
    widest = None
    for v in list(args) + list(kwargs.values()):
        for t in (v if isinstance(v, (list, tuple)) else (v,)):
            if isinstance(t, Tensor) and t.dtype.is_floating_point:
                widest = t.dtype if widest is None else _dtype.promote_types(widest, t.dtype)
    return widest


def _policy_wrapper(fn, name):
    kinds = {dev: kind for dev, table in POLICY.items() for kind, names in table.items() if name in names}

    @functools.wraps(fn)
    def op(*args, **kwargs):
        if not STATE.autocast:
            return fn(*args, **kwargs)
        first = _first_tensor(args, kwargs)
        if first is None:
            return fn(*args, **kwargs)
        dev = first.device.type
        kind = kinds.get(dev)
        enabled, fast = _current(dev) if dev in POLICY else (False, None)
        if not enabled or kind is None:
            return fn(*args, **kwargs)
        dtype = fast if kind == "lower" else _dtype.float32 if kind == "fp32" else _widest(args, kwargs)
        if dtype is None or dtype is _dtype.float64:
            return fn(*args, **kwargs)
        args = tuple(_cast(a, dtype) for a in args)
        kwargs = {k: _cast(v, dtype) for k, v in kwargs.items()}
        with _suspended():  # the op's own internals are not autocast again
            return fn(*args, **kwargs)
    op._autocast = True
    return op


class _suspended:
    __slots__ = ("prev",)

    def __enter__(self):
        self.prev, STATE.autocast = STATE.autocast, False

    def __exit__(self, *exc):
        STATE.autocast = self.prev
        return False


@functools.lru_cache(maxsize=None)
def _policy_names():
    """Every op name an autocast list names. Without CuPy, CUDA autocast can never be enabled, so
    the CUDA-only names (exp, sum, softmax... hot elementwise ops) are left unwrapped and cost nothing."""
    import importlib.util
    tables = POLICY.values() if importlib.util.find_spec("cupy") is not None else [POLICY["cpu"]]
    return set().union(*(names for table in tables for names in table.values()))


def apply_policy(namespace):
    """Wrap every function of namespace (a module's globals or vars) that an autocast list names."""
    names = _policy_names()
    for name in names & set(namespace):
        fn = namespace[name]
        if callable(fn) and not isinstance(fn, type) and not getattr(fn, "_autocast", False):
            namespace[name] = _policy_wrapper(fn, name)


# -- custom autograd Functions ------------------------------------------------------------------------

def custom_fwd(fwd=None, *, device_type, cast_inputs=None):
    """Decorator for a custom Function's forward: with cast_inputs, inside an autocast region the
    forward runs with autocast off and its float inputs cast to cast_inputs; backward (decorated with
    custom_bwd) then runs with the autocast state forward saw."""
    if not isinstance(device_type, str):
        raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
    if fwd is None:
        return functools.partial(custom_fwd, device_type=device_type, cast_inputs=cast_inputs)

    @functools.wraps(fwd)
    def decorate_fwd(*args, **kwargs):
        ctx = args[0]
        ctx._dtype = get_autocast_dtype(device_type)
        if cast_inputs is None:
            ctx._fwd_used_autocast = is_autocast_enabled(device_type)
            return fwd(*args, **kwargs)
        ctx._fwd_used_autocast = False
        if is_autocast_enabled(device_type):
            with autocast(device_type=device_type, enabled=False):
                return fwd(*[_cast(a, cast_inputs) for a in args],
                           **{k: _cast(v, cast_inputs) for k, v in kwargs.items()})
        return fwd(*args, **kwargs)
    return decorate_fwd


def custom_bwd(bwd=None, *, device_type):
    """Decorator for a custom Function's backward: it runs with the autocast state of its forward."""
    if not isinstance(device_type, str):
        raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
    if bwd is None:
        return functools.partial(custom_bwd, device_type=device_type)

    @functools.wraps(bwd)
    def decorate_bwd(*args, **kwargs):
        ctx = args[0]
        with autocast(device_type=device_type, enabled=ctx._fwd_used_autocast, dtype=ctx._dtype):
            return bwd(*args, **kwargs)
    return decorate_bwd
