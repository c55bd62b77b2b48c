"""ember.backends.cuda: torch's CUDA matmul switches, stored (CuPy decides its own kernels)."""


class _MatmulFlags:
    def __init__(self):
        self.allow_tf32 = False
        self.allow_fp16_reduced_precision_reduction = True
        self.allow_bf16_reduced_precision_reduction = True


matmul = _MatmulFlags()


def is_built():
    try:
        import cupy  # noqa: F401
        return True
    except ImportError:
        return False
