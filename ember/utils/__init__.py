"""ember.utils: the torch.utils equivalent (data loading)."""
from . import data  # noqa: F401
