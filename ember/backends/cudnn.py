"""ember.backends.cudnn: torch's cuDNN flags. ember does not call cuDNN directly, so these are stored
for code that sets or reads them (``cudnn.benchmark = True`` is harmless) and change nothing."""
enabled = True
benchmark = False
deterministic = False
allow_tf32 = True
benchmark_limit = 10


def is_available():
    """True only where CUDA (through CuPy) is usable, as cuDNN needs a GPU."""
    from .. import cuda
    return bool(cuda.is_available())


def version():
    if not is_available():
        return None
    try:
        from cupy.cuda import cudnn as _cudnn  # noqa: F401
        return int(_cudnn.getVersion())
    except Exception:  # cupy built without cuDNN
        return None


class flags:
    """Context manager setting the flags for a block (torch.backends.cudnn.flags)."""

    def __init__(self, enabled=False, benchmark=False, benchmark_limit=10, deterministic=False, allow_tf32=True):
        self._new = dict(enabled=enabled, benchmark=benchmark, benchmark_limit=benchmark_limit,
                         deterministic=deterministic, allow_tf32=allow_tf32)
        self._old = None

    def __enter__(self):
        import sys
        mod = sys.modules[__name__]
        self._old = {k: getattr(mod, k) for k in self._new}
        for k, v in self._new.items():
            setattr(mod, k, v)
        return self

    def __exit__(self, *exc):
        import sys
        mod = sys.modules[__name__]
        for k, v in self._old.items():
            setattr(mod, k, v)
        return False
