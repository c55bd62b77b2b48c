"""ember.backends.cpu: what SIMD level the CPU kernels (NumPy's) use."""


def _features():
    try:
        from numpy._core._multiarray_umath import __cpu_features__
    except ImportError:  # NumPy < 2
        try:
            from numpy.core._multiarray_umath import __cpu_features__
        except ImportError:
            return {}
    return __cpu_features__


def get_cpu_capability():
    """torch's names for the CPU's vector level, from NumPy's runtime feature detection:
    "AVX512", "AVX2", "NO AVX" on x86; "SVE", "ASIMD" (NEON) on ARM; "VSX", "Z VECTOR"; else "DEFAULT"."""
    f = _features()
    if f.get("AVX512F") and f.get("AVX512BW") and f.get("AVX512VL") and f.get("AVX512DQ"):
        return "AVX512"
    if f.get("AVX2") and f.get("FMA3"):
        return "AVX2"
    if "AVX" in f or "SSE2" in f:
        return "NO AVX"
    if f.get("SVE"):
        return "SVE"
    if f.get("ASIMD") or f.get("NEON"):
        return "ASIMD"
    if f.get("VSX"):
        return "VSX"
    if f.get("VX"):
        return "Z VECTOR"
    return "DEFAULT"
