"""ember.amp: automatic mixed precision, as torch.amp (autocast regions and gradient scaling)."""
from .autocast_mode import (autocast, custom_bwd, custom_fwd, is_autocast_available, is_autocast_enabled,
                            get_autocast_dtype, set_autocast_enabled, set_autocast_dtype)

__all__ = ["autocast", "custom_bwd", "custom_fwd", "is_autocast_available", "GradScaler"]


def __getattr__(name):  # GradScaler loads on first use: import ember stays light
    if name == "GradScaler":
        from .grad_scaler import GradScaler
        return GradScaler
    raise AttributeError(f"module 'ember.amp' has no attribute '{name}'")
