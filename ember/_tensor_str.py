"""Printing tensors in torch's format (a port of ``torch/_tensor_str.py``).

The layout rules are torch's, line for line; the work is done on NumPy arrays:
a tensor above the threshold is summarized first (only its edge items are
copied to the host and converted), and the formatter's widths are found from a
handful of extreme values instead of formatting every element.
"""
import contextlib
import dataclasses
import math

import numpy as np

from ._device import host as _host
from . import _dtype

inf = math.inf


@dataclasses.dataclass
class _PrinterOptions:
    precision: int = 4
    threshold: float = 1000
    edgeitems: int = 3
    linewidth: int = 80
    sci_mode: bool = None


PRINT_OPTS = _PrinterOptions()


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None, profile=None,
                     sci_mode=None):
    r"""Set options for printing (torch.set_printoptions).

    Args:
        precision: digits of precision for floating point output (default 4).
        threshold: number of elements above which the repr is summarized (default 1000).
        edgeitems: items shown at the start and end of each dimension in a summary (default 3).
        linewidth: characters per line used to wrap rows (default 80).
        profile: ``'default'``, ``'short'`` or ``'full'``; the other arguments override it.
        sci_mode: force (True) or forbid (False) scientific notation; None lets the
            formatter decide. As in torch, every call resets it to the value passed.
    """
    if profile is not None:
        if profile == "default":
            PRINT_OPTS.precision = 4
            PRINT_OPTS.threshold = 1000
            PRINT_OPTS.edgeitems = 3
            PRINT_OPTS.linewidth = 80
        elif profile == "short":
            PRINT_OPTS.precision = 2
            PRINT_OPTS.threshold = 1000
            PRINT_OPTS.edgeitems = 2
            PRINT_OPTS.linewidth = 80
        elif profile == "full":
            PRINT_OPTS.precision = 4
            PRINT_OPTS.threshold = inf
            PRINT_OPTS.edgeitems = 3
            PRINT_OPTS.linewidth = 80

    if precision is not None:
        PRINT_OPTS.precision = precision
    if threshold is not None:
        PRINT_OPTS.threshold = threshold
    if edgeitems is not None:
        PRINT_OPTS.edgeitems = edgeitems
    if linewidth is not None:
        PRINT_OPTS.linewidth = linewidth
    PRINT_OPTS.sci_mode = sci_mode


def get_printoptions():
    """The current print options, as a dict that can be passed to set_printoptions()."""
    return dataclasses.asdict(PRINT_OPTS)


@contextlib.contextmanager
def printoptions(**kwargs):
    """Context manager that temporarily changes the print options."""
    old_kwargs = get_printoptions()
    set_printoptions(**kwargs)
    try:
        yield
    finally:
        set_printoptions(**old_kwargs)


# -- helpers on host arrays ----------------------------------------------------


def _is_float(np_dtype):
    return np_dtype.kind == "f" or (_dtype.bfloat16.np is not None and np_dtype == _dtype.bfloat16.np)


def _to_py_ready(arr):
    """An array whose tolist() gives the Python numbers torch's tolist() gives."""
    if _is_float(arr.dtype) and arr.dtype != np.float64:
        return arr.astype(np.float64)  # float16/bfloat16/float32 are exact in double
    if arr.dtype.kind == "c" and arr.dtype != np.complex128:
        return arr.astype(np.complex128)
    return arr


def _get_summarized_data(arr, edge):
    """torch's get_summarized_data on an array: the edge items of every dimension."""
    if arr.ndim == 0:
        return arr
    if arr.ndim == 1:
        if not edge:  # torch's self[-0:] is the whole tensor, so edgeitems=0 keeps everything
            return arr
    elif not edge:
        return arr[(slice(0, 0),) * arr.ndim]
    for d, n in enumerate(arr.shape):
        if n > 2 * edge:
            idx = np.r_[0:edge, n - edge:n]
            if arr.__class__ is not np.ndarray:
                idx = _xp(arr).asarray(idx)
            arr = arr.take(idx, axis=d)
    return arr


def _xp(arr):
    from ._device import xp_of
    return xp_of(arr)


class _Formatter:
    """torch's _Formatter over a real NumPy array (the summarized data)."""

    def __init__(self, arr):
        self.floating_dtype = _is_float(arr.dtype)
        self.int_mode = True
        self.sci_mode = False
        self.max_width = 1

        if not self.floating_dtype:
            if arr.size:
                if arr.dtype == np.bool_:
                    if not arr.all():
                        self.max_width = 5  # "False"
                    else:
                        self.max_width = 4  # "True"
                else:  # the width of str(int) only grows with |value|: the extremes decide
                    self.max_width = max(1, len(str(arr.max().item())), len(str(arr.min().item())))
            return

        vals = arr.reshape(-1)
        if vals.dtype != np.float64:
            vals = vals.astype(np.float64)
        nonzero_finite_vals = vals[np.isfinite(vals) & (vals != 0)]
        if nonzero_finite_vals.size == 0:
            return  # no valid number, do nothing

        nonzero_finite_abs = np.abs(nonzero_finite_vals)
        nonzero_finite_min = float(nonzero_finite_abs.min())
        nonzero_finite_max = float(nonzero_finite_abs.max())

        self.int_mode = bool(np.all(nonzero_finite_vals == np.ceil(nonzero_finite_vals)))

        if PRINT_OPTS.sci_mode is None:
            with np.errstate(over="ignore"):
                ratio = float(np.float64(nonzero_finite_max) / np.float64(nonzero_finite_min))
            self.sci_mode = ratio > 1000.0 or nonzero_finite_max > 1.0e8 or nonzero_finite_min < 1.0e-4
        else:
            self.sci_mode = PRINT_OPTS.sci_mode

        # The formatted length only grows with |value| for each sign (for %e it also grows
        # as |value| shrinks, through the exponent), so the extremes of each sign decide it.
        pos = nonzero_finite_vals[nonzero_finite_vals > 0]
        neg = nonzero_finite_vals[nonzero_finite_vals < 0]
        candidates = []
        for part in (pos, neg):
            if part.size:
                candidates.append(float(part.min()))
                candidates.append(float(part.max()))

        precision = PRINT_OPTS.precision
        if self.sci_mode:
            spec = f"{{:.{precision}e}}"
            extra = 0
        elif self.int_mode:
            # in int_mode for floats a decimal point is appended: add 1 to the length
            spec = "{:.0f}"
            extra = 1
        else:
            spec = f"{{:.{precision}f}}"
            extra = 0
        for value in candidates:
            self.max_width = max(self.max_width, len(spec.format(value)) + extra)

    def width(self):
        return self.max_width

    def format(self, value):
        if self.floating_dtype:
            if self.sci_mode:
                ret = f"{{:{self.max_width}.{PRINT_OPTS.precision}e}}".format(value)
            elif self.int_mode:
                ret = f"{value:.0f}"
                if not (math.isinf(value) or math.isnan(value)):
                    ret += "."
            else:
                ret = f"{{:.{PRINT_OPTS.precision}f}}".format(value)
        else:
            ret = f"{value}"
        return (self.max_width - len(ret)) * " " + ret

    def format_many(self, values):
        """format() over a list of Python numbers, with the per-call work hoisted."""
        w = self.max_width
        if self.floating_dtype:
            p = PRINT_OPTS.precision
            if self.sci_mode:
                spec = f"{{:{w}.{p}e}}".format
                out = [spec(v) for v in values]
                return [s if len(s) >= w else (w - len(s)) * " " + s for s in out]
            if self.int_mode:
                out = [f"{v:.0f}" if (v != v or v in (inf, -inf)) else f"{v:.0f}." for v in values]
            else:
                spec = f"{{:.{p}f}}".format
                out = [spec(v) for v in values]
        else:
            out = [f"{v}" for v in values]
        return [s if len(s) >= w else (w - len(s)) * " " + s for s in out]


def _complex_join(real_str, imag_str):
    imag_str = (imag_str + "j").lstrip()
    # handles negative numbers, +0.0, -0.0
    if imag_str[0] == "+" or imag_str[0] == "-":
        return real_str + imag_str
    return real_str + "+" + imag_str


def _format_values(arr, formatter1, formatter2):
    """Format a 1-D host array (already py-ready) into a list of strings."""
    if formatter2 is not None:
        reals = formatter1.format_many(arr.real.tolist())
        imags = formatter2.format_many(arr.imag.tolist())
        return [_complex_join(r, i) for r, i in zip(reals, imags)]
    return formatter1.format_many(arr.tolist())


def _scalar_str(arr, formatter1, formatter2=None):
    if formatter2 is not None:
        return _complex_join(formatter1.format(arr.real.item()), formatter2.format(arr.imag.item()))
    return formatter1.format(arr.item())


def _vector_str(arr, n, indent, summarize, formatter1, formatter2=None):
    # length includes spaces and comma between elements
    element_length = formatter1.width() + 2
    if formatter2 is not None:
        # width for imag_formatter + an extra j for complex
        element_length += formatter2.width() + 1

    elements_per_line = max(1, math.floor((PRINT_OPTS.linewidth - indent) / element_length))

    edge = PRINT_OPTS.edgeitems
    if summarize and not edge:
        data = ["..."]
    elif summarize and n > 2 * edge:  # arr holds the first and the last `edge` items
        data = (_format_values(arr[:edge], formatter1, formatter2) + [" ..."]
                + _format_values(arr[edge:], formatter1, formatter2))
    else:
        data = _format_values(arr, formatter1, formatter2)

    data_lines = [data[i:i + elements_per_line] for i in range(0, len(data), elements_per_line)]
    lines = [", ".join(line) for line in data_lines]
    return "[" + ("," + "\n" + " " * (indent + 1)).join(lines) + "]"


def _tensor_str_with_formatter(arr, shape, indent, summarize, formatter1, formatter2=None):
    """``arr`` holds what is shown (the summarized data when summarizing); ``shape`` is the
    true shape, which decides where the "..." go."""
    dim = len(shape)

    if dim == 0:
        return _scalar_str(arr, formatter1, formatter2)

    if dim == 1:
        return _vector_str(arr, shape[0], indent, summarize, formatter1, formatter2)

    edge = PRINT_OPTS.edgeitems
    sub = shape[1:]
    if summarize and shape[0] > 2 * edge:
        slices = ([_tensor_str_with_formatter(arr[i], sub, indent + 1, summarize, formatter1, formatter2)
                   for i in range(edge)]
                  + ["..."]
                  + [_tensor_str_with_formatter(arr[edge + i], sub, indent + 1, summarize, formatter1, formatter2)
                     for i in range(edge)])
    else:
        slices = [_tensor_str_with_formatter(arr[i], sub, indent + 1, summarize, formatter1, formatter2)
                  for i in range(shape[0])]

    tensor_str = ("," + "\n" * (dim - 1) + " " * (indent + 1)).join(slices)
    return "[" + tensor_str + "]"


def _tensor_str(arr, indent):
    """The bracketed body for a backend array (NumPy or CuPy)."""
    if arr.size == 0:
        return "[]"

    shape = arr.shape
    summarize = arr.size > PRINT_OPTS.threshold
    edge = PRINT_OPTS.edgeitems

    if summarize and not edge and arr.ndim >= 1:
        # every dimension collapses to "...": nothing needs formatting
        return "[...]"

    shown = _to_py_ready(_host(_get_summarized_data(arr, edge) if summarize else arr))

    if shown.dtype.kind == "c":
        real_formatter = _Formatter(shown.real)
        imag_formatter = _Formatter(shown.imag)
        return _tensor_str_with_formatter(shown, shape, indent, summarize, real_formatter, imag_formatter)
    formatter = _Formatter(shown)
    return _tensor_str_with_formatter(shown, shape, indent, summarize, formatter)


def _add_suffixes(tensor_str, suffixes, indent, force_newline):
    tensor_strs = [tensor_str]
    last_line_len = len(tensor_str) - tensor_str.rfind("\n") + 1
    for suffix in suffixes:
        suffix_len = len(suffix)
        if force_newline or last_line_len + suffix_len + 2 > PRINT_OPTS.linewidth:
            tensor_strs.append(",\n" + " " * indent + suffix)
            last_line_len = indent + suffix_len
            force_newline = False
        else:
            tensor_strs.append(", " + suffix)
            last_line_len += suffix_len + 2
    tensor_strs.append(")")
    return "".join(tensor_strs)


def _is_plain(cls):
    from ._tensor import Tensor
    return cls is Tensor or (cls.__name__ == "Parameter" and cls.__module__.startswith("ember"))


def tensor_repr(t, *, tensor_contents=None):
    """repr(tensor) exactly as torch writes it (dtypes print as ``ember.<name>``)."""
    prefix = "tensor(" if _is_plain(type(t)) else f"{type(t).__name__}("
    indent = len(prefix)
    suffixes = []
    custom_contents_provided = tensor_contents is not None
    if custom_contents_provided:
        tensor_str = tensor_contents

    arr = t._data
    if arr.__class__ is not np.ndarray:  # any non-cpu tensor shows its device
        suffixes.append("device='" + str(t.device) + "'")

    dtype = _dtype._from_np[arr.dtype]
    default = _dtype.get_default_dtype()
    default_complex = _dtype.complex128 if default is _dtype.float64 else _dtype.complex64
    has_default_dtype = dtype in (default, default_complex, _dtype.int64, _dtype.bool_)

    if arr.size == 0:
        # Explicitly print the shape if it is not (0,), to match NumPy behavior
        if arr.ndim != 1:
            suffixes.append("size=" + str(tuple(arr.shape)))
        # In an empty tensor, there are no elements to infer if the dtype
        # should be int64, so it must be shown explicitly.
        if dtype is not default:
            suffixes.append("dtype=" + str(dtype))
        if not custom_contents_provided:
            tensor_str = "[]"
    else:
        if not PRINT_OPTS.edgeitems:
            suffixes.append("size=" + str(tuple(arr.shape)))
        if not has_default_dtype:
            suffixes.append("dtype=" + str(dtype))
        if not custom_contents_provided:
            tensor_str = _tensor_str(arr, indent)

    grad_fn = t.grad_fn
    if grad_fn is not None:
        name = grad_fn.name() if hasattr(grad_fn, "name") else type(grad_fn).__name__
        suffixes.append(f"grad_fn=<{name}>")
    elif t.requires_grad:
        suffixes.append("requires_grad=True")

    return _add_suffixes(prefix + tensor_str, suffixes, indent, force_newline=False)


_str = tensor_repr
