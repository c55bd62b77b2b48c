"""ember.vision.transforms: torchvision.transforms for PIL images, ndarrays and ember tensors.

``functional`` holds the stateless operations; the classes (``Compose``, ``ToTensor``, ``Normalize``,
``RandomCrop``, ...) are in ``transforms``. Several classes also have a vectorized ``batch(images)``
method (see ``supports_batch`` and the ``transforms`` module docstring).
"""
from . import functional
from .transforms import *  # noqa: F401,F403
from .transforms import __all__ as _all

__all__ = list(_all) + ["functional"]
