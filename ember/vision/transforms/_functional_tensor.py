"""Tensor-image kernels (torchvision.transforms._functional_tensor), computed on the backend array.

Every function takes and returns ember Tensors of shape ``[..., C, H, W]`` (``[..., H, W]`` where
torchvision allows it) and reproduces torchvision's arithmetic step by step in the same dtype
(float32 stays float32; uint8 images are cast to float32 and rounded back where torchvision does).
They work on ``tensor._data`` directly, so they are not recorded by autograd.
"""

import numpy as np

from ... import _dtype
from ..._device import xp_of
from ..._tensor import Tensor, wrap
from ...ops._dispatch import bump_version
from ...ops.pooling import resize_matrix as _resize_weights

_INT_NP = (np.uint8, np.int8, np.int16, np.int32, np.int64)


def _dt_str(dt):
    return f"torch.{dt.name}"


def _is_tensor_a_torch_image(x):
    return x.ndim >= 2


def _assert_image_tensor(img):
    if not _is_tensor_a_torch_image(img):
        raise TypeError("Tensor is not a torch image.")


def get_dimensions(img):
    _assert_image_tensor(img)
    channels = 1 if img.ndim == 2 else img.shape[-3]
    height, width = img.shape[-2:]
    return [channels, height, width]


def get_image_size(img):
    _assert_image_tensor(img)
    return [img.shape[-1], img.shape[-2]]


def get_image_num_channels(img):
    _assert_image_tensor(img)
    if img.ndim == 2:
        return 1
    elif img.ndim > 2:
        return img.shape[-3]
    raise TypeError(f"Input ndim should be 2 or more. Got {img.ndim}")


def _max_value(np_dtype):
    np_dtype = np.dtype(np_dtype)
    if np_dtype.kind in "iu":
        return int(np.iinfo(np_dtype).max)
    return 1


def _assert_channels(img, permitted):
    c = get_dimensions(img)[0]
    if c not in permitted:
        raise TypeError(f"Input image tensor permitted channel values are {permitted}, but found {c}")


# ------------------------------------------------------------------------------------------ dtype
def _convert_image_dtype_a(a, out_np):
    """convert_image_dtype on a raw array (``out_np``: the target NumPy dtype)."""
    out_np = np.dtype(out_np)
    if a.dtype == out_np:
        return a
    if a.dtype.kind == "f":
        if out_np.kind == "f":
            return a.astype(out_np)
        if (a.dtype == np.float32 and out_np in (np.int32, np.int64)) or (
                a.dtype == np.float64 and out_np == np.int64):
            raise RuntimeError(f"The cast from {_dt_str(_dtype.from_numpy_dtype(a.dtype))} to "
                               f"{_dt_str(_dtype.from_numpy_dtype(out_np))} cannot be performed safely.")
        eps = 1e-3
        max_val = float(_max_value(out_np))
        return (a * a.dtype.type(max_val + 1.0 - eps)).astype(out_np)
    input_max = float(_max_value(a.dtype))
    if out_np.kind == "f":
        return a.astype(out_np) / out_np.type(input_max)
    output_max = float(_max_value(out_np))
    if input_max > output_max:
        factor = int((input_max + 1) // (output_max + 1))
        return (a // a.dtype.type(factor)).astype(out_np)
    factor = int((output_max + 1) // (input_max + 1))
    return a.astype(out_np) * out_np.type(factor)


def convert_image_dtype(image, dtype=None):
    dt = _dtype.float32 if dtype is None else _dtype.to_dtype(dtype)
    if image.dtype is dt:
        return image
    return wrap(_convert_image_dtype_a(image._data, dt.np))


# ------------------------------------------------------------------------------------- geometry
def vflip(img):
    _assert_image_tensor(img)
    return wrap(img._data[..., ::-1, :].copy())


def hflip(img):
    _assert_image_tensor(img)
    return wrap(img._data[..., ::-1].copy())


def crop(img, top, left, height, width):
    _assert_image_tensor(img)
    _, h, w = get_dimensions(img)
    right = left + width
    bottom = top + height
    if left < 0 or top < 0 or right > w or bottom > h:
        padding_ltrb = [
            max(-left + min(0, right), 0),
            max(-top + min(0, bottom), 0),
            max(right - max(w, left), 0),
            max(bottom - max(h, top), 0),
        ]
        inner = wrap(img._data[..., max(top, 0):max(bottom, 0), max(left, 0):max(right, 0)])
        return pad(inner, padding_ltrb, fill=0)
    return wrap(img._data[..., top:bottom, left:right])


def _parse_pad_padding(padding):
    if isinstance(padding, int):
        pad_left = pad_right = pad_top = pad_bottom = padding
    elif len(padding) == 1:
        pad_left = pad_right = pad_top = pad_bottom = padding[0]
    elif len(padding) == 2:
        pad_left = pad_right = padding[0]
        pad_top = pad_bottom = padding[1]
    else:
        pad_left, pad_top, pad_right, pad_bottom = padding[0], padding[1], padding[2], padding[3]
    return [pad_left, pad_right, pad_top, pad_bottom]


def _pad_a(a, p, fill, padding_mode):
    """Pad the last two dims of ``a`` by ``p`` = [left, right, top, bottom] (negative values crop)."""
    xp = xp_of(a)
    if any(x < 0 for x in p):
        cl, cr, ct, cb = (-min(x, 0) for x in p)
        a = a[..., ct:a.shape[-2] - cb, cl:a.shape[-1] - cr]
        p = [max(x, 0) for x in p]
    left, right, top, bottom = p
    widths = [(0, 0)] * (a.ndim - 2) + [(top, bottom), (left, right)]
    if padding_mode == "constant":
        return xp.pad(a, widths, mode="constant", constant_values=fill)
    if padding_mode == "reflect":
        h, w = a.shape[-2:]
        shape4 = [1] * max(0, 4 - a.ndim) + list(a.shape)
        for (lo, hi), size, dim in (((left, right), w, len(shape4) - 1), ((top, bottom), h, len(shape4) - 2)):
            if lo >= size or hi >= size:
                raise RuntimeError("Argument #4: Padding size should be less than the corresponding input "
                                   f"dimension, but got: padding ({lo}, {hi}) at dimension {dim} of input "
                                   f"{shape4}")
        return xp.pad(a, widths, mode="reflect")
    if padding_mode == "edge":
        if 0 in a.shape[-2:]:
            raise RuntimeError("padding size is expected to be less than the input size")
        return xp.pad(a, widths, mode="edge")
    # symmetric (torchvision indexes the edge values back; sizes beyond the image are not supported)
    if a.ndim not in (3, 4):
        raise RuntimeError("Symmetric padding of N-D tensors are not supported yet")
    return xp.pad(a, widths, mode="symmetric")


def pad(img, padding, fill=0, padding_mode="constant"):
    _assert_image_tensor(img)
    if fill is None:
        fill = 0
    if not isinstance(padding, (int, tuple, list)):
        raise TypeError("Got inappropriate padding arg")
    if not isinstance(fill, (int, float)):
        raise TypeError("Got inappropriate fill arg")
    if not isinstance(padding_mode, str):
        raise TypeError("Got inappropriate padding_mode arg")
    if isinstance(padding, tuple):
        padding = list(padding)
    if isinstance(padding, list) and len(padding) not in [1, 2, 4]:
        raise ValueError(f"Padding must be an int or a 1, 2, or 4 element tuple, not a {len(padding)} element tuple")
    if padding_mode not in ["constant", "edge", "reflect", "symmetric"]:
        raise ValueError("Padding mode should be either constant, edge, reflect or symmetric")
    p = _parse_pad_padding(padding)
    a = img._data
    if padding_mode == "constant":
        fill_v = float(fill)
        if a.dtype.kind in "iub":
            fill_v = np.array(fill_v).astype(a.dtype)[()]
        return wrap(_pad_a(a, p, fill_v, "constant"))
    return wrap(_pad_a(a, p, 0, padding_mode))


# --------------------------------------------------------------------------------------- resize
def _resize_a(a, size, interpolation="bilinear", antialias=True):
    """torchvision's F_t.resize on an array [..., H, W] (cast to float32, interpolate, round back)."""
    xp = xp_of(a)
    if antialias is None:
        antialias = False
    if antialias and interpolation not in ["bilinear", "bicubic"]:
        antialias = False
    out_dtype = a.dtype
    work = a if a.dtype in (np.float32, np.float64) else a.astype(np.float32)
    h, w = a.shape[-2:]
    oh, ow = size
    wh = xp.asarray(_resize_weights(h, oh, interpolation, antialias).astype(work.dtype))
    ww = xp.asarray(_resize_weights(w, ow, interpolation, antialias).astype(work.dtype))
    if interpolation in ("nearest", "nearest-exact"):  # pure gathers: exact
        out = work[..., wh.argmax(1), :][..., ww.argmax(1)]
    else:
        out = wh @ (work @ ww.T)
    if interpolation == "bicubic" and out_dtype == np.uint8:
        out = out.clip(0, 255)
    if out_dtype != work.dtype:
        if out_dtype.type in _INT_NP:
            out = xp.round(out)
        out = out.astype(out_dtype)
    return out


def resize(img, size, interpolation="bilinear", antialias=True):
    _assert_image_tensor(img)
    if isinstance(size, tuple):
        size = list(size)
    return wrap(_resize_a(img._data, size, interpolation, antialias))


# ---------------------------------------------------------------------------- affine / rotation
def _assert_grid_transform_inputs(img, matrix, interpolation, fill, supported_interpolation_modes, coeffs=None):
    if not isinstance(img, Tensor):
        raise TypeError("Input img should be Tensor")
    _assert_image_tensor(img)
    if matrix is not None and not isinstance(matrix, list):
        raise TypeError("Argument matrix should be a list")
    if matrix is not None and len(matrix) != 6:
        raise ValueError("Argument matrix should have 6 float values")
    if coeffs is not None and len(coeffs) != 8:
        raise ValueError("Argument coeffs should have 8 float values")
    if fill is not None and not isinstance(fill, (int, float, tuple, list)):
        import warnings
        warnings.warn("Argument fill should be either int, float, tuple or list")
    num_channels = get_dimensions(img)[0]
    if fill is not None and isinstance(fill, (tuple, list)) and len(fill) > 1 and len(fill) != num_channels:
        msg = ("The number of elements in 'fill' cannot broadcast to match the number of "
               "channels of the image ({} != {})")
        raise ValueError(msg.format(len(fill), num_channels))
    if interpolation not in supported_interpolation_modes:
        raise ValueError(f"Interpolation mode '{interpolation}' is unsupported with Tensor input")


def _linspace32(start, end, steps):
    if steps == 1:
        return np.array([start], dtype=np.float32)
    step = np.float32((end - start) / (steps - 1))
    i = np.arange(steps, dtype=np.float32)
    return np.where(i < steps // 2, np.float32(start) + step * i,
                    np.float32(end) - step * (np.float32(steps - 1) - i)).astype(np.float32)


def _grid_dtype(a):
    """The dtype torchvision builds sampling grids in: the image's float dtype, else float32."""
    return a.dtype if a.dtype.kind == "f" else np.dtype(np.float32)


def _base_grid(x0, y0, ow, oh, dt):
    """(oh * ow, 3) rows (x, y, 1): x = linspace(x0, x0 + ow - 1, ow), y likewise (torch's float32
    linspace, as torchvision fills its base grid)."""
    base = np.empty((oh, ow, 3), dtype=dt)
    base[..., 0] = _linspace32(x0, x0 + ow - 1.0, ow)
    base[..., 1] = _linspace32(y0, y0 + oh - 1.0, oh)[:, None]
    base[..., 2] = 1
    return base.reshape(oh * ow, 3)


def _rows_times(base, m):
    """``base @ m`` for (n, 3) rows and a (3, k) matrix, summed left to right as torch's CPU bmm does
    for this shape (NumPy's matmul rounds differently, which moves nearest-neighbour picks at .5)."""
    return (base[:, 0:1] * m[0] + base[:, 1:2] * m[1]) + base[:, 2:3] * m[2]


def _gen_affine_grid(theta, w, h, ow, oh):
    """theta: (2, 3) array. Returns the (oh, ow, 2) sampling grid in [-1, 1] coordinates."""
    d = 0.5
    dt = theta.dtype
    base = _base_grid(-ow * 0.5 + d, -oh * 0.5 + d, ow, oh, dt)
    rescaled = theta.T / np.array([0.5 * w, 0.5 * h], dtype=dt)
    return _rows_times(base, rescaled).reshape(oh, ow, 2)


def _perspective_grid(coeffs, ow, oh, dt):
    """Pillow's perspective mapping (x, y) -> ((c0 x + c1 y + c2) / (c6 x + c7 y + 1), (c3 x + c4 y + c5) / ...)
    at the pixel centres, as an (oh, ow, 2) grid in [-1, 1] coordinates."""
    theta1 = np.array([[coeffs[0], coeffs[1], coeffs[2]], [coeffs[3], coeffs[4], coeffs[5]]], dtype=dt)
    theta2 = np.array([[coeffs[6], coeffs[7], 1.0], [coeffs[6], coeffs[7], 1.0]], dtype=dt)
    d = 0.5
    base = _base_grid(d, d, ow, oh, dt)
    grid1 = _rows_times(base, theta1.T / np.array([0.5 * ow, 0.5 * oh], dtype=dt))
    grid2 = _rows_times(base, theta2.T)
    return (grid1 / grid2 - dt.type(1.0)).reshape(oh, ow, 2)


def _create_identity_grid(size):
    """(H, W, 2) grid of the pixel centres in [-1, 1] coordinates (x first)."""
    ys, xs = (_linspace32((-s + 1) / s, (s - 1) / s, s) for s in size)
    grid_y, grid_x = np.meshgrid(ys, xs, indexing="ij")
    return np.stack([grid_x, grid_y], -1)


def _taps(flat, xi, yi, w, h):
    """Pixel values at integer coordinates ``xi``, ``yi`` (float arrays) of ``flat`` (N, C, H * W); 0 outside
    the image (padding_mode='zeros'). Returns (N, C, xi.size)."""
    ok = (xi >= 0) & (xi < w) & (yi >= 0) & (yi < h)
    idx = np.where(ok, yi * w + xi, 0).astype(np.int64).ravel()
    return flat[:, :, idx] * ok.ravel().astype(flat.dtype)


def _cubic_weights(t):
    """Weights of the taps at -1, 0, 1, 2 for a fraction ``t`` (cubic convolution, A = -0.75, as torch)."""
    A = -0.75

    def near(x):  # |x| <= 1
        return ((A + 2) * x - (A + 3)) * x * x + 1

    def far(x):  # 1 < |x| < 2
        return ((A * x - 5 * A) * x + 8 * A) * x - 4 * A

    return far(t + 1), near(t), near(1 - t), far(2 - t)


def _grid_sample_a(a, grid, mode):
    """grid_sample(a, grid, mode, padding_mode='zeros', align_corners=False); a: (N, C, H, W)."""
    if mode not in ("bilinear", "nearest", "bicubic"):
        raise ValueError("nn.functional.grid_sample(): expected mode to be 'bilinear', 'nearest' or 'bicubic', "
                         f"but got: '{mode}'")
    n, c, h, w = a.shape
    gx = ((grid[..., 0] + 1) * w - 1) / 2
    gy = ((grid[..., 1] + 1) * h - 1) / 2
    flat = a.reshape(n, c, h * w)
    if mode == "nearest":
        return _taps(flat, np.rint(gx), np.rint(gy), w, h).reshape(n, c, *gx.shape)
    x0 = np.floor(gx)
    y0 = np.floor(gy)
    if mode == "bicubic":  # along x in each of the 4 rows, then along y (torch's order of sums)
        wx = [wt.ravel() for wt in _cubic_weights(gx - x0)]
        wy = [wt.ravel() for wt in _cubic_weights(gy - y0)]
        out = 0
        for j in range(4):
            yi = y0 + (j - 1)
            row = _taps(flat, x0 - 1, yi, w, h) * wx[0]
            for i in range(1, 4):
                row = row + _taps(flat, x0 + (i - 1), yi, w, h) * wx[i]
            out = out + row * wy[j]
        return out.reshape(n, c, *gx.shape)
    out = np.zeros((n, c, gx.size), dtype=a.dtype)
    for dx, dy in ((0, 0), (1, 0), (0, 1), (1, 1)):  # nw, ne, sw, se
        wx = (gx - x0) if dx else (x0 + 1 - gx)
        wy = (gy - y0) if dy else (y0 + 1 - gy)
        out += _taps(flat, x0 + dx, y0 + dy, w, h) * (wx * wy).ravel()
    return out.reshape(n, c, *gx.shape)


def _apply_grid_transform_a(a, grid, mode, fill):
    out_dtype = a.dtype
    squeeze = a.ndim < 4
    if squeeze:
        a = a[None]
    lead = a.shape[:-3]
    a = a.reshape((-1,) + a.shape[-3:])
    work = a if a.dtype == grid.dtype else a.astype(grid.dtype)
    if fill is not None:
        mask = np.ones((work.shape[0], 1) + work.shape[2:], dtype=work.dtype)
        work = np.concatenate((work, mask), axis=1)
    out = _grid_sample_a(work, grid, mode)
    if fill is not None:
        mask = out[:, -1:]
        out = out[:, :-1]
        fill_list = list(fill) if isinstance(fill, (tuple, list)) else [float(fill)]
        fill_img = np.array(fill_list, dtype=out.dtype).reshape(1, len(fill_list), 1, 1)
        if mode == "nearest":
            out = np.where(mask < 0.5, fill_img, out).astype(out.dtype)
        else:
            out = out * mask + (out.dtype.type(1.0) - mask) * fill_img
    out = out.reshape(lead + out.shape[1:])
    if squeeze:
        out = out[0]
    if out_dtype != out.dtype:
        if out_dtype.type in _INT_NP:
            out = np.round(out)
        out = out.astype(out_dtype)
    return out


def _compute_affine_output_size(matrix, w, h):
    pts = np.array([[-0.5 * w, -0.5 * h, 1.0], [-0.5 * w, 0.5 * h, 1.0],
                    [0.5 * w, 0.5 * h, 1.0], [0.5 * w, -0.5 * h, 1.0]], dtype=np.float32)
    theta = np.array(matrix, dtype=np.float32).reshape(2, 3)
    new_pts = pts @ theta.T
    min_vals = new_pts.min(axis=0) + np.array((w * 0.5, h * 0.5), dtype=np.float32)
    max_vals = new_pts.max(axis=0) + np.array((w * 0.5, h * 0.5), dtype=np.float32)
    tol = np.float32(1e-4)
    cmax = np.ceil(np.trunc(max_vals / tol) * tol)
    cmin = np.floor(np.trunc(min_vals / tol) * tol)
    size = cmax - cmin
    return int(size[0]), int(size[1])


def rotate(img, matrix, interpolation="nearest", expand=False, fill=None):
    _assert_grid_transform_inputs(img, matrix, interpolation, fill, ["nearest", "bilinear"])
    w, h = img.shape[-1], img.shape[-2]
    ow, oh = _compute_affine_output_size(matrix, w, h) if expand else (w, h)
    theta = np.array(matrix, dtype=_grid_dtype(img._data)).reshape(2, 3)
    grid = _gen_affine_grid(theta, w=w, h=h, ow=ow, oh=oh)
    return wrap(_apply_grid_transform_a(img._data, grid, interpolation, fill))


def affine(img, matrix, interpolation="nearest", fill=None):
    _assert_grid_transform_inputs(img, matrix, interpolation, fill, ["nearest", "bilinear"])
    theta = np.array(matrix, dtype=_grid_dtype(img._data)).reshape(2, 3)
    shape = img.shape
    grid = _gen_affine_grid(theta, w=shape[-1], h=shape[-2], ow=shape[-1], oh=shape[-2])
    return wrap(_apply_grid_transform_a(img._data, grid, interpolation, fill))


def perspective(img, perspective_coeffs, interpolation="bilinear", fill=None):
    if not isinstance(img, Tensor):
        raise TypeError("Input img should be Tensor.")
    _assert_image_tensor(img)
    _assert_grid_transform_inputs(img, None, interpolation, fill, ["nearest", "bilinear"], coeffs=perspective_coeffs)
    ow, oh = img.shape[-1], img.shape[-2]
    grid = _perspective_grid(perspective_coeffs, ow=ow, oh=oh, dt=_grid_dtype(img._data))
    return wrap(_apply_grid_transform_a(img._data, grid, interpolation, fill))


def elastic_transform(img, displacement, interpolation="bilinear", fill=None):
    """Sample ``img`` at the identity grid plus ``displacement`` (1 x H x W x 2, in [-1, 1] units)."""
    if not isinstance(img, Tensor):
        raise TypeError(f"img should be Tensor. Got {type(img)}")
    grid = _create_identity_grid(list(img.shape[-2:])) + displacement._data[0]
    return wrap(_apply_grid_transform_a(img._data, grid, interpolation, fill))


# ------------------------------------------------------------------------------------------ color
def _gray_a(a):
    """0.2989 R + 0.587 G + 0.114 B in float32 (float64 for float64 input), as torch computes it."""
    f = a if a.dtype.kind == "f" else a.astype(np.float32)
    t = f.dtype.type
    r, g, b = f[..., 0, :, :], f[..., 1, :, :], f[..., 2, :, :]
    return t(0.2989) * r + t(0.587) * g + t(0.114) * b


def _rgb_to_grayscale_a(a, num_output_channels=1):
    if a.shape[-3] == 3:
        l_img = _gray_a(a).astype(a.dtype)[..., None, :, :]
    else:
        l_img = a.copy()
    if num_output_channels == 3:
        return np.broadcast_to(l_img, l_img.shape[:-3] + (3,) + l_img.shape[-2:])
    return l_img


def rgb_to_grayscale(img, num_output_channels=1):
    if img.ndim < 3:
        raise TypeError(f"Input image tensor should have at least 3 dimensions, but found {img.ndim}")
    _assert_channels(img, [1, 3])
    if num_output_channels not in (1, 3):
        raise ValueError("num_output_channels should be either 1 or 3")
    return wrap(_rgb_to_grayscale_a(img._data, num_output_channels))


def _blend_a(a1, a2, ratio):
    ratio = float(ratio)
    bound = _max_value(a1.dtype)
    f1 = a1 if a1.dtype.kind == "f" else a1.astype(np.float32)
    t = f1.dtype.type if a2.dtype.kind != "f" else np.result_type(f1.dtype, a2.dtype).type
    f2 = a2.astype(t) if a2.dtype != t else a2
    out = t(ratio) * f1 + t(1.0 - ratio) * f2
    return out.clip(0, bound).astype(a1.dtype)


def adjust_brightness(img, brightness_factor):
    if brightness_factor < 0:
        raise ValueError(f"brightness_factor ({brightness_factor}) is not non-negative.")
    _assert_image_tensor(img)
    _assert_channels(img, [1, 3])
    a = img._data
    return wrap(_blend_a(a, np.zeros_like(a), brightness_factor))


def adjust_contrast(img, contrast_factor):
    if contrast_factor < 0:
        raise ValueError(f"contrast_factor ({contrast_factor}) is not non-negative.")
    _assert_image_tensor(img)
    _assert_channels(img, [3, 1])
    c = get_dimensions(img)[0]
    a = img._data
    work = a.dtype if a.dtype.kind == "f" else np.dtype(np.float32)
    src = _rgb_to_grayscale_a(a) if c == 3 else a
    mean = src.astype(work).mean(axis=(-3, -2, -1), keepdims=True, dtype=work)
    return wrap(_blend_a(a, mean, contrast_factor))


def adjust_saturation(img, saturation_factor):
    if saturation_factor < 0:
        raise ValueError(f"saturation_factor ({saturation_factor}) is not non-negative.")
    _assert_image_tensor(img)
    _assert_channels(img, [1, 3])
    if get_dimensions(img)[0] == 1:
        return img
    a = img._data
    return wrap(_blend_a(a, _rgb_to_grayscale_a(a), saturation_factor))


def _rgb2hsv(a):
    r, g, b = a[..., 0, :, :], a[..., 1, :, :], a[..., 2, :, :]
    maxc = a.max(axis=-3)
    minc = a.min(axis=-3)
    eqc = maxc == minc
    cr = maxc - minc
    one = a.dtype.type(1)
    s = cr / np.where(eqc, one, maxc)
    cr_divisor = np.where(eqc, one, cr)
    rc = (maxc - r) / cr_divisor
    gc = (maxc - g) / cr_divisor
    bc = (maxc - b) / cr_divisor
    t = a.dtype.type
    hr = (maxc == r) * (bc - gc)
    hg = ((maxc == g) & (maxc != r)) * (t(2.0) + rc - bc)
    hb = ((maxc != g) & (maxc != r)) * (t(4.0) + gc - rc)
    h = hr + hg + hb
    h = np.fmod(h / t(6.0) + t(1.0), t(1.0))
    return np.stack((h, s, maxc), axis=-3)


def _hsv2rgb(a):
    t = a.dtype.type
    h, s, v = a[..., 0, :, :], a[..., 1, :, :], a[..., 2, :, :]
    i = np.floor(h * t(6.0))
    f = h * t(6.0) - i
    i = i.astype(np.int32)
    p = np.clip(v * (t(1.0) - s), 0.0, 1.0).astype(a.dtype)
    q = np.clip(v * (t(1.0) - s * f), 0.0, 1.0).astype(a.dtype)
    tt = np.clip(v * (t(1.0) - s * (t(1.0) - f)), 0.0, 1.0).astype(a.dtype)
    i = i % 6
    choices_r = (v, q, p, p, tt, v)
    choices_g = (tt, v, v, q, p, p)
    choices_b = (p, p, tt, v, v, q)
    conds = [i == k for k in range(6)]
    zero = np.zeros_like(v)
    r = np.select(conds, choices_r, zero)
    g = np.select(conds, choices_g, zero)
    b = np.select(conds, choices_b, zero)
    return np.stack((r, g, b), axis=-3)


def adjust_hue(img, hue_factor):
    if not (-0.5 <= hue_factor <= 0.5):
        raise ValueError(f"hue_factor ({hue_factor}) is not in [-0.5, 0.5].")
    if not isinstance(img, Tensor):
        raise TypeError("Input img should be Tensor image")
    _assert_image_tensor(img)
    _assert_channels(img, [1, 3])
    if get_dimensions(img)[0] == 1:
        return img
    orig = img._data.dtype
    a = _convert_image_dtype_a(img._data, np.float32)
    hsv = _rgb2hsv(a)
    h = np.fmod(hsv[..., 0, :, :] + np.float32(hue_factor), np.float32(1.0))
    h = np.where(h < 0, h + np.float32(1.0), h)  # Python-style modulo, as torch's %
    hsv = np.stack((h, hsv[..., 1, :, :], hsv[..., 2, :, :]), axis=-3)
    return wrap(_convert_image_dtype_a(_hsv2rgb(hsv), orig))


def adjust_gamma(img, gamma, gain=1):
    if not isinstance(img, Tensor):
        raise TypeError("Input img should be a Tensor.")
    _assert_channels(img, [1, 3])
    if gamma < 0:
        raise ValueError("Gamma should be a non-negative real number")
    a = img._data
    res = a if a.dtype.kind == "f" else _convert_image_dtype_a(a, np.float32)
    t = res.dtype.type
    res = (t(gain) * res ** t(gamma)).clip(0, 1)
    return wrap(_convert_image_dtype_a(res, a.dtype))


def invert(img):
    _assert_image_tensor(img)
    if img.ndim < 3:
        raise TypeError(f"Input image tensor should have at least 3 dimensions, but found {img.ndim}")
    _assert_channels(img, [1, 3])
    a = img._data
    return wrap((a.dtype.type(_max_value(a.dtype)) - a).astype(a.dtype))


# ------------------------------------------------------------------------------------------- blur
def _get_gaussian_kernel1d(kernel_size, sigma, dt):
    ksize_half = (kernel_size - 1) * 0.5
    x = _linspace32(-ksize_half, ksize_half, kernel_size).astype(dt)
    pdf = np.exp(dt.type(-0.5) * (x / dt.type(sigma)) ** 2)
    return pdf / pdf.sum(dtype=dt)


def gaussian_blur(img, kernel_size, sigma):
    if not isinstance(img, Tensor):
        raise TypeError(f"img should be Tensor. Got {type(img)}")
    _assert_image_tensor(img)
    a = img._data
    dt = a.dtype if a.dtype.kind == "f" else np.dtype(np.float32)
    kx = _get_gaussian_kernel1d(kernel_size[0], sigma[0], dt)
    ky = _get_gaussian_kernel1d(kernel_size[1], sigma[1], dt)
    kernel = (ky[:, None] * kx[None, :]).astype(dt)
    squeeze = a.ndim < 4
    work = a[None] if squeeze else a
    work = work.astype(dt) if work.dtype != dt else work
    px, py = kernel_size[0] // 2, kernel_size[1] // 2
    padded = _pad_a(work, [px, px, py, py], 0, "reflect")
    win = np.lib.stride_tricks.sliding_window_view(padded, kernel.shape, axis=(-2, -1))
    out = np.einsum("...ij,ij->...", win, kernel, optimize=True).astype(dt)
    if squeeze:
        out = out[0]
    if a.dtype != dt:
        out = np.round(out).astype(a.dtype)
    return wrap(out)


# ------------------------------------------------------------------------------- normalize, erase
def _normalize_params(mean, std, np_dtype, ndim_ok=True):
    def as_arr(v):
        if isinstance(v, Tensor):
            return v._data.astype(np_dtype)
        return np.asarray(v, dtype=np.float64).astype(np_dtype)
    mean_a, std_a = as_arr(mean), as_arr(std)
    if (std_a == 0).any():
        raise ValueError(f"std evaluated to zero after conversion to "
                         f"{_dt_str(_dtype.from_numpy_dtype(np.dtype(np_dtype)))}, leading to division by zero.")
    if mean_a.ndim == 1:
        mean_a = mean_a.reshape(-1, 1, 1)
    if std_a.ndim == 1:
        std_a = std_a.reshape(-1, 1, 1)
    return mean_a, std_a


def normalize(tensor, mean, std, inplace=False):
    _assert_image_tensor(tensor)
    if not tensor.is_floating_point():
        raise TypeError(f"Input tensor should be a float tensor. Got {_dt_str(tensor.dtype)}.")
    if tensor.ndim < 3:
        raise ValueError("Expected tensor to be a tensor image of size (..., C, H, W). Got "
                         f"tensor.size() = {tensor.size()}")
    a = tensor._data
    mean_a, std_a = _normalize_params(mean, std, a.dtype)
    for other in (mean_a, std_a):
        if other.ndim >= 3 and other.shape[-3] not in (1, a.shape[-3]):
            raise RuntimeError(f"The size of tensor a ({a.shape[-3]}) must match the size of tensor b "
                               f"({other.shape[-3]}) at non-singleton dimension {a.ndim - 3}")
    out = np.subtract(a, mean_a)
    np.divide(out, std_a, out=out)
    if out.shape != a.shape:
        raise RuntimeError(f"output with shape {list(a.shape)} doesn't match the broadcast shape "
                           f"{list(out.shape)}")
    if inplace:
        a[...] = out
        bump_version(tensor)
        return tensor
    return wrap(out)


def erase(img, i, j, h, w, v, inplace=False):
    _assert_image_tensor(img)
    a = img._data if inplace else img._data.copy()
    val = v._data if isinstance(v, Tensor) else v
    a[..., i:i + h, j:j + w] = val
    if inplace:
        bump_version(img)
        return img
    return wrap(a)
