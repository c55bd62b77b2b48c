"""ember.vision: the torchvision equivalent (``import ember.vision as torchvision``).

Kept light: only ``transforms`` is imported eagerly (it needs NumPy and, lazily, Pillow); the other
subpackages (``datasets``, ``models``, ``utils``, ...) are imported on first attribute access.
"""
import importlib as _importlib

from . import transforms

__all__ = ["transforms"]

_LAZY = ("datasets", "models", "utils", "io", "ops")


def __getattr__(name):
    if name in _LAZY:
        try:
            mod = _importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as e:
            if e.name == f"{__name__}.{name}":
                raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
            raise
        globals()[name] = mod
        return mod
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
