"""ember.backends: torch.backends' switches. On the CPU they are stored and reported; no op reads them
(ember's kernels are NumPy's/CuPy's, deterministic, with no autotuning to turn on or off)."""
from . import cpu, cuda, cudnn, mps  # noqa: F401
