"""Special functions NumPy lacks (erf, erfinv), vectorised."""
import math

import numpy as np

_erf_scalar = np.frompyfunc(math.erf, 1, 1)


def erf(a):
    return _erf_scalar(a).astype(a.dtype)


def erfinv(a):
    # Giles' single-precision approximation, refined by two Newton steps in float64
    x = a.astype(np.float64)
    w = -np.log((1.0 - x) * (1.0 + x))
    small = w < 5.0
    ws = w - 2.5
    p = np.where(small, 2.81022636e-08, -0.000200214257)
    wl = np.sqrt(np.where(small, 5.0, w)) - 3.0
    ws = np.where(small, ws, wl)
    coeffs_small = [3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087, -0.00125372503,
                    -0.00417768164, 0.246640727, 1.50140941]
    coeffs_large = [0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773, -0.0076224613,
                    0.00943887047, 1.00167406, 2.83297682]
    for cs, cl in zip(coeffs_small, coeffs_large):
        p = np.where(small, cs, cl) + p * ws
    y = p * x
    for _ in range(2):
        err = _erf_scalar(y).astype(np.float64) - x
        y = y - err / (2.0 / math.sqrt(math.pi) * np.exp(-y * y))
    y = np.where(x == 1, np.inf, np.where(x == -1, -np.inf, y))
    y = np.where(np.abs(x) > 1, np.nan, y)
    return y.astype(a.dtype)
