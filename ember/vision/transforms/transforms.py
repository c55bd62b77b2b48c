"""torchvision.transforms: the transform classes, plus ember's batched fast path.

Randomness draws from ember's generator with torchvision's sampling code (``torch.rand(1) < p``,
``torch.randint(0, h - th + 1, size=(1,))``, ``torch.empty(1).uniform_(a, b)``...), so results are
reproducible under ``ember.manual_seed``. (ember's generator is not torch's: seeds give ember's own
stream. ``RandomOrder`` and ``RandomChoice`` use Python's ``random`` in torchvision; here they use
ember's generator too, so they are reproducible under ``ember.manual_seed``.)

Batched fast path
-----------------
``ToTensor``, ``Normalize``, ``ConvertImageDtype``, ``Grayscale``, ``CenterCrop``, ``RandomCrop``,
``RandomHorizontalFlip``, ``RandomVerticalFlip``, ``Lambda``-free ``Compose`` chains of them, have a
``batch(images)`` method. ``images`` is either

* a uint8 NumPy array ``N x H x W`` or ``N x H x W x C``: N images as a dataset holds them, standing for
  the PIL images (``Image.fromarray(images[n])``) or HWC ndarrays a per-item call would get; or
* an ember Tensor ``N x C x H x W`` (tensor images, e.g. after ``ToTensor``).

The result equals, bit for bit, stacking the per-item results::

    t.batch(images) == stack([t(img_n) for img_n in images])      # img_n: PIL image / ndarray / tensor

(a PIL-kind result stays a uint8 array ``N x H x W [x C]``, the arrays of the per-item PIL images).
Random parameters are drawn image by image, in the order per-item calls draw them: for
``Compose([A, B]).batch``, image 0's draws for A then B, then image 1's for A then B, and so on, so the
generator ends in the same state and every image gets the same parameters as in the per-item loop.
``Compose.batch`` returns ``NotImplemented`` when a member has no batched form (use
``supports_batch(t)`` to check first); the caller then falls back to per-item calls.
"""
import math
import numbers
import warnings
from collections.abc import Sequence

import numpy as np

from ... import _dtype
from ... import random as _random
from ..._tensor import Tensor, wrap
from ...nn.modules.module import Module
from . import functional as F
from . import _functional_tensor as F_t
from .functional import InterpolationMode, _interpolation_modes_from_int

__all__ = ["Compose", "ToTensor", "PILToTensor", "ConvertImageDtype", "ToPILImage", "Normalize", "Resize",
           "CenterCrop", "Pad", "Lambda", "RandomApply", "RandomChoice", "RandomOrder", "RandomCrop",
           "RandomHorizontalFlip", "RandomVerticalFlip", "RandomResizedCrop", "FiveCrop", "TenCrop", "ColorJitter",
           "RandomRotation", "RandomAffine", "RandomPerspective", "ElasticTransform", "Grayscale",
           "RandomGrayscale", "RandomErasing", "GaussianBlur", "InterpolationMode", "supports_batch"]


def _rand1():
    """``torch.rand(1)`` as a float32 scalar: the generator call ``ember.rand(1)`` makes, without the
    Tensor round trip (the per-item and batched paths both draw through here)."""
    return np.float32(_random.rng(None).random((1,))[0])


def _randint1(low, high):
    """``torch.randint(low, high, size=(1,)).item()``: the generator call ``ember.randint`` makes."""
    if low >= high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
    return int(_random.rng(None).integers(low, high))  # the same stream as size=(1,), tested


def _uniform1(a, b):
    import ember
    return float(ember.empty(1).uniform_(float(a), float(b)).item())


# ============================================================================ batched fast path

def _list_repr(t):
    """torchvision's repr of a transform holding a list: one member per indented line."""
    return t.__class__.__name__ + "(" + "".join(f"\n    {m}" for m in t.transforms) + "\n)"

class _Batchable:
    """Mixin: a transform with a vectorized ``batch``. Subclasses define

    * ``_b_shape(kind, shape)``: (kind, shape) of one image after the transform, where kind is
      ``"pil"`` (uint8 HW or HWC array standing for a PIL image) or ``"tensor"`` (CHW), and
      ``_b_apply(kind, batch, params)``: the whole batch at once (params: one entry per image);
    * random ones set ``_b_random = True`` and ``_b_draw(kind, shape)``: one image's parameters,
      drawn with exactly the generator calls of a per-item call.
    """
    _b_random = False

    def _b_shape(self, kind, shape):
        return kind, shape

    def _b_draw(self, kind, shape):
        return None

    def batch(self, images):
        """Apply to a whole batch (see the module docstring); bit-identical to per-item calls."""
        return _run_batch([self], images)


def supports_batch(transform):
    """Whether ``transform.batch(images)`` is available (for a Compose: every member has it)."""
    if isinstance(transform, Compose):
        return all(supports_batch(t) for t in transform.transforms)
    return isinstance(transform, _Batchable)


def _classify(images):
    if isinstance(images, Tensor):
        if images.ndim != 4:
            raise ValueError(f"a tensor batch should be N x C x H x W, got {images.ndim} dimensions")
        return "tensor", images._data, tuple(images.shape[1:])
    if isinstance(images, np.ndarray):
        if images.ndim not in (3, 4):
            raise ValueError(f"an array batch should be N x H x W or N x H x W x C, got {images.ndim} dimensions")
        return "pil", images, images.shape[1:]
    raise TypeError(f"batch() expects a NumPy array (N, H, W[, C]) or an ember Tensor (N, C, H, W). "
                    f"Got {type(images)}")


def _run_batch(transforms, images):
    kind, arr, shape = _classify(images)
    n = arr.shape[0]
    stages = []
    for t in transforms:
        stages.append((kind, shape))
        kind, shape = t._b_shape(kind, shape)
    params = [None] * len(transforms)
    randoms = [k for k, t in enumerate(transforms) if t._b_random]
    for k in randoms:
        params[k] = [None] * n
    for i in range(n):  # per image, in member order: the per-item loop's draw order
        for k in randoms:
            params[k][i] = transforms[k]._b_draw(*stages[k])
    for k, t in enumerate(transforms):
        arr = t._b_apply(stages[k][0], arr, params[k])
    return wrap(arr) if stages and kind == "tensor" else arr


def _pil_kind_only(name, kind):
    if kind != "pil":
        raise TypeError(f"{name}.batch expects a uint8 NumPy array batch")


def _hw(kind, shape):
    return (shape[-2], shape[-1]) if kind == "tensor" else (shape[0], shape[1])


def _check_pil_batch(kind, arr):
    if kind == "pil" and arr.dtype != np.uint8:
        raise TypeError(f"a NumPy batch of images should have dtype uint8, got {arr.dtype}")


def _gather_crops(kind, arr, tops, lefts, th, tw):
    """Crop image n at (tops[n], lefts[n]) with size (th, tw), all in bounds."""
    n = arr.shape[0]
    tops = np.asarray(tops, dtype=np.int64)
    lefts = np.asarray(lefts, dtype=np.int64)
    if n and (tops == tops[0]).all() and (lefts == lefts[0]).all():
        t0, l0 = int(tops[0]), int(lefts[0])
        if kind == "tensor":
            return arr[..., t0:t0 + th, l0:l0 + tw].copy()
        return arr[:, t0:t0 + th, l0:l0 + tw].copy()
    if kind == "tensor":
        win = np.lib.stride_tricks.sliding_window_view(arr, (th, tw), axis=(2, 3))
        return np.ascontiguousarray(win[np.arange(n), :, tops, lefts])
    win = np.lib.stride_tricks.sliding_window_view(arr, (th, tw), axis=(1, 2))
    out = win[np.arange(n), tops, lefts]  # (N, [C,] th, tw)
    if arr.ndim == 4:
        out = np.moveaxis(out, 1, -1)
    return np.ascontiguousarray(out)


def _pad_batch(kind, arr, padding, fill, padding_mode):
    """F.pad on every image of the batch (PIL semantics for "pil", tensor semantics for "tensor")."""
    if kind == "tensor":
        return F.pad(wrap(arr), padding, fill, padding_mode)._data
    if not isinstance(padding, (numbers.Number, tuple, list)):
        raise TypeError("Got inappropriate padding arg")
    if fill is not None and not isinstance(fill, (numbers.Number, tuple, list)):
        raise TypeError("Got inappropriate fill arg")
    if isinstance(padding, (tuple, list)) and len(padding) not in [1, 2, 4]:
        raise ValueError(f"Padding must be an int or a 1, 2, or 4 element tuple, not a {len(padding)} element tuple")
    if padding_mode not in ["constant", "edge", "reflect", "symmetric"]:
        raise ValueError("Padding mode should be either constant, edge, reflect or symmetric")
    left, top, right, bottom = (int(x) for x in F.F_pil._parse_pad(padding))
    if min(left, top, right, bottom) < 0:
        h, w = arr.shape[1:3]
        arr = arr[:, max(-top, 0):h - max(-bottom, 0), max(-left, 0):w - max(-right, 0)]
        left, top, right, bottom = (max(x, 0) for x in (left, top, right, bottom))
    widths = [(0, 0), (top, bottom), (left, right)] + [(0, 0)] * (arr.ndim - 3)
    if padding_mode != "constant":
        return np.pad(arr, widths, mode=padding_mode)
    channels = arr.shape[3] if arr.ndim == 4 else 1
    if fill is None:
        fill = 0
    if isinstance(fill, (list, tuple)):
        if len(fill) == 1:
            fill = fill * channels
        elif len(fill) != channels:
            raise ValueError("The number of elements in 'fill' does not match the number of channels of the image "
                             f"({len(fill)} != {channels})")
        fill_v = [int(x) for x in fill]
    else:
        fill_v = [int(fill)] * channels
    out = np.empty((arr.shape[0], arr.shape[1] + top + bottom, arr.shape[2] + left + right) + arr.shape[3:],
                   dtype=arr.dtype)
    out[...] = np.array(fill_v, dtype=np.int64).astype(arr.dtype).reshape((channels,) if arr.ndim == 4 else ())
    out[:, top:top + arr.shape[1], left:left + arr.shape[2]] = arr
    return out


def _pad_shape(kind, shape, padding):
    left, top, right, bottom = (int(x) for x in F.F_pil._parse_pad(padding))
    h, w = _hw(kind, shape)
    h = max(h - max(-top, 0) - max(-bottom, 0), 0) + max(top, 0) + max(bottom, 0)
    w = max(w - max(-left, 0) - max(-right, 0), 0) + max(left, 0) + max(right, 0)
    return (shape[0], h, w) if kind == "tensor" else (h, w) + tuple(shape[2:])


def _with_hw(kind, shape, h, w):
    return (shape[0], h, w) if kind == "tensor" else (h, w) + tuple(shape[2:])


# ============================================================================ helpers
def _setup_size(size, error_msg):
    if isinstance(size, numbers.Number):
        return int(size), int(size)
    if isinstance(size, Sequence) and len(size) == 1:
        return size[0], size[0]
    if len(size) != 2:
        raise ValueError(error_msg)
    return size


def _check_sequence_input(x, name, req_sizes):
    msg = req_sizes[0] if len(req_sizes) < 2 else " or ".join([str(s) for s in req_sizes])
    if not isinstance(x, Sequence):
        raise TypeError(f"{name} should be a sequence of length {msg}.")
    if len(x) not in req_sizes:
        raise ValueError(f"{name} should be a sequence of length {msg}.")


def _setup_angle(x, name, req_sizes=(2,)):
    if isinstance(x, numbers.Number):
        if x < 0:
            raise ValueError(f"If {name} is a single number, it must be positive.")
        x = [-x, x]
    else:
        _check_sequence_input(x, name, req_sizes)
    return [float(d) for d in x]


def _setup_fill(fill):
    """A geometric transform's ``fill`` argument: None means 0; else a number or a sequence."""
    if fill is None:
        return 0
    if not isinstance(fill, (Sequence, numbers.Number)):
        raise TypeError("Fill should be either a sequence or a number.")
    return fill


def _forward_fill(img, fill):
    """The fill torchvision's forward hands to the functional: per-channel floats for a tensor image, as
    given for a PIL image (``get_dimensions`` also rejects what is neither)."""
    channels, _, _ = F.get_dimensions(img)
    if not isinstance(img, Tensor):
        return fill
    if isinstance(fill, (int, float)):
        return [float(fill)] * channels
    return [float(f) for f in fill]


# ============================================================================ transforms
class Compose:
    """Composes several transforms together."""

    def __init__(self, transforms):
        self.transforms = transforms

    def __call__(self, img):
        for t in self.transforms:
            img = t(img)
        return img

    def batch(self, images):
        """Batched form of the chain (see the module docstring); ``NotImplemented`` when a member has
        no batched form."""
        if not supports_batch(self):
            return NotImplemented
        flat = []
        for t in self.transforms:
            flat.extend(_flatten(t))
        if not flat:
            return images
        return _run_batch(flat, images)

    def __repr__(self):
        return _list_repr(self)


def _flatten(t):
    if isinstance(t, Compose):
        out = []
        for s in t.transforms:
            out.extend(_flatten(s))
        return out
    return [t]


class ToTensor(_Batchable):
    """Convert a PIL Image or numpy.ndarray (H x W x C) to a tensor (C x H x W), scaling uint8 data
    (PIL modes L, LA, P, I;16?, RGB, YCbCr, RGBA, CMYK, 1 or ndarray dtype uint8) to [0.0, 1.0].
    Other modes/dtypes are returned without scaling."""

    def __call__(self, pic):
        return F.to_tensor(pic)

    def _b_shape(self, kind, shape):
        if kind != "pil":
            raise TypeError(f"pic should be PIL Image or ndarray. Got {Tensor}")
        return "tensor", ((shape[2],) if len(shape) == 3 else (1,)) + tuple(shape[:2])

    def _b_apply(self, kind, arr, params):
        _dtype.from_numpy_dtype(arr.dtype)
        chw = arr[:, None] if arr.ndim == 3 else arr.transpose(0, 3, 1, 2)
        return F._to_tensor_a(chw)

    def __repr__(self):
        return self.__class__.__name__ + "()"


class PILToTensor:
    """Convert a PIL Image (H x W x C) to a tensor of the same type (C x H x W)."""

    def __call__(self, pic):
        return F.pil_to_tensor(pic)

    def __repr__(self):
        return self.__class__.__name__ + "()"


class ConvertImageDtype(_Batchable, Module):
    """Convert a tensor image to ``dtype`` and scale the values accordingly."""

    def __init__(self, dtype):
        super().__init__()
        self.dtype = dtype

    def forward(self, image):
        return F.convert_image_dtype(image, self.dtype)

    def _b_shape(self, kind, shape):
        if kind != "tensor":
            raise TypeError("Input img should be Tensor Image")
        return kind, shape

    def _b_apply(self, kind, arr, params):
        return F_t._convert_image_dtype_a(arr, _dtype.to_dtype(self.dtype).np)


class ToPILImage:
    """Convert a tensor (C x H x W) or an ndarray (H x W x C) to a PIL Image (see ``to_pil_image``)."""

    def __init__(self, mode=None):
        self.mode = mode

    def __call__(self, pic):
        return F.to_pil_image(pic, self.mode)

    def __repr__(self):
        format_string = self.__class__.__name__ + "("
        if self.mode is not None:
            format_string += f"mode={self.mode}"
        format_string += ")"
        return format_string


class Normalize(_Batchable, Module):
    """``output[channel] = (input[channel] - mean[channel]) / std[channel]`` on a float tensor image."""

    def __init__(self, mean, std, inplace=False):
        super().__init__()
        self.mean = mean
        self.std = std
        self.inplace = inplace

    def forward(self, tensor):
        return F.normalize(tensor, self.mean, self.std, self.inplace)

    def _b_shape(self, kind, shape):
        if kind != "tensor":
            raise TypeError(f"img should be Tensor Image. Got {np.ndarray}")
        return kind, shape

    def _b_apply(self, kind, arr, params):
        # always out of place here: the values are those of per-item calls; the caller's batch is kept
        return F.normalize(wrap(arr), self.mean, self.std, False)._data

    def __repr__(self):
        return f"{self.__class__.__name__}(mean={self.mean}, std={self.std})"


class Resize(Module):
    """Resize to ``size`` ((h, w), or an int: the smaller edge, aspect kept, at most ``max_size``)."""

    def __init__(self, size, interpolation=InterpolationMode.BILINEAR, max_size=None, antialias=True):
        super().__init__()
        if not isinstance(size, (int, Sequence)):
            raise TypeError(f"Size should be int or sequence. Got {type(size)}")
        if isinstance(size, Sequence) and len(size) not in (1, 2):
            raise ValueError("If size is a sequence, it should have 1 or 2 values")
        self.size = size
        self.max_size = max_size
        if isinstance(interpolation, int):
            interpolation = _interpolation_modes_from_int(interpolation)
        self.interpolation = interpolation
        self.antialias = antialias

    def forward(self, img):
        return F.resize(img, self.size, self.interpolation, self.max_size, self.antialias)

    def __repr__(self):
        detail = (f"(size={self.size}, interpolation={self.interpolation.value}, max_size={self.max_size}, "
                  f"antialias={self.antialias})")
        return f"{self.__class__.__name__}{detail}"


class CenterCrop(_Batchable, Module):
    """Crop the center (padding with 0 where the image is smaller than the crop)."""

    def __init__(self, size):
        super().__init__()
        self.size = _setup_size(size, error_msg="Please provide only two dimensions (h, w) for size.")

    def forward(self, img):
        return F.center_crop(img, self.size)

    def _b_shape(self, kind, shape):
        return kind, _with_hw(kind, shape, *F._setup_output_size(self.size))

    def _b_apply(self, kind, arr, params):
        _check_pil_batch(kind, arr)
        crop_height, crop_width = F._setup_output_size(self.size)
        image_height, image_width = arr.shape[-2:] if kind == "tensor" else arr.shape[1:3]
        padding_ltrb = F._center_crop_box(image_height, image_width, crop_height, crop_width)
        if padding_ltrb is not None:
            arr = _pad_batch(kind, arr, padding_ltrb, 0, "constant")
            image_height, image_width = arr.shape[-2:] if kind == "tensor" else arr.shape[1:3]
            if crop_width == image_width and crop_height == image_height:
                return arr
        top = int(round((image_height - crop_height) / 2.0))
        left = int(round((image_width - crop_width) / 2.0))
        n = arr.shape[0]
        return _gather_crops(kind, arr, [top] * n, [left] * n, crop_height, crop_width)

    def __repr__(self):
        return f"{self.__class__.__name__}(size={self.size})"


class Pad(Module):
    """Pad on all sides with ``fill`` (constant) or by edge / reflect / symmetric padding."""

    def __init__(self, padding, fill=0, padding_mode="constant"):
        super().__init__()
        if not isinstance(padding, (numbers.Number, tuple, list)):
            raise TypeError("Got inappropriate padding arg")
        if not isinstance(fill, (numbers.Number, tuple, list)):
            raise TypeError("Got inappropriate fill arg")
        if padding_mode not in ["constant", "edge", "reflect", "symmetric"]:
            raise ValueError("Padding mode should be either constant, edge, reflect or symmetric")
        if isinstance(padding, Sequence) and len(padding) not in [1, 2, 4]:
            raise ValueError(
                f"Padding must be an int or a 1, 2, or 4 element tuple, not a {len(padding)} element tuple"
            )
        self.padding = padding
        self.fill = fill
        self.padding_mode = padding_mode

    def forward(self, img):
        return F.pad(img, self.padding, self.fill, self.padding_mode)

    def __repr__(self):
        return f"{self.__class__.__name__}(padding={self.padding}, fill={self.fill}, padding_mode={self.padding_mode})"


class Lambda:
    """Apply a user-defined function as a transform."""

    def __init__(self, lambd):
        if not callable(lambd):
            raise TypeError(f"Argument lambd should be callable, got {repr(type(lambd).__name__)}")
        self.lambd = lambd

    def __call__(self, img):
        return self.lambd(img)

    def __repr__(self):
        return f"{self.__class__.__name__}()"


class RandomTransforms:
    """Base class for a list of transformations with randomness."""

    def __init__(self, transforms):
        if not isinstance(transforms, Sequence):
            raise TypeError("Argument transforms should be a sequence")
        self.transforms = transforms

    def __call__(self, *args, **kwargs):
        raise NotImplementedError()

    def __repr__(self):
        return _list_repr(self)


class RandomApply(Module):
    """Apply the list of transforms with probability ``p`` (``if p < torch.rand(1): skip``)."""

    def __init__(self, transforms, p=0.5):
        super().__init__()
        self.transforms = transforms
        self.p = p

    def forward(self, img):
        if self.p < _rand1():
            return img
        for t in self.transforms:
            img = t(img)
        return img

    def __repr__(self):
        format_string = self.__class__.__name__ + "("
        format_string += f"\n    p={self.p}"
        for t in self.transforms:
            format_string += "\n"
            format_string += f"    {t}"
        format_string += "\n)"
        return format_string


class RandomOrder(RandomTransforms):
    """Apply the transforms in a random order (``ember.randperm``; torchvision uses ``random.shuffle``)."""

    def __call__(self, img):
        import ember
        order = ember.randperm(len(self.transforms)).tolist()
        for i in order:
            img = self.transforms[i](img)
        return img


class RandomChoice(RandomTransforms):
    """Apply one transform picked at random, with optional weights ``p`` (``random.choices``' algorithm
    driven by ``ember.rand``)."""

    def __init__(self, transforms, p=None):
        super().__init__(transforms)
        if p is not None and not isinstance(p, Sequence):
            raise TypeError("Argument p should be a sequence")
        self.p = p

    def __call__(self, *args):
        n = len(self.transforms)
        if self.p is None:
            idx = min(int(float(_rand1()) * n), n - 1)
        else:
            if len(self.p) != n:
                raise ValueError("The number of weights does not match the population")
            cum = np.cumsum(np.asarray(self.p, dtype=np.float64))
            total = cum[-1]
            if total <= 0.0:
                raise ValueError("Total of weights must be greater than zero")
            idx = min(int(np.searchsorted(cum, float(_rand1()) * total, side="right")), n - 1)
        return self.transforms[idx](*args)

    def __repr__(self):
        return f"{super().__repr__()}(p={self.p})"


class RandomCrop(_Batchable, Module):
    """Crop at a random location (optionally padding first; ``pad_if_needed`` pads small images)."""

    @staticmethod
    def _params_hw(h, w, output_size):
        th, tw = output_size
        if h < th or w < tw:
            raise ValueError(f"Required crop size {(th, tw)} is larger than input image size {(h, w)}")
        if w == tw and h == th:
            return 0, 0, h, w
        i = _randint1(0, h - th + 1)
        j = _randint1(0, w - tw + 1)
        return i, j, th, tw

    @staticmethod
    def get_params(img, output_size):
        _, h, w = F.get_dimensions(img)
        return RandomCrop._params_hw(h, w, output_size)

    def __init__(self, size, padding=None, pad_if_needed=False, fill=0, padding_mode="constant"):
        super().__init__()
        self.size = tuple(_setup_size(size, error_msg="Please provide only two dimensions (h, w) for size."))
        self.padding = padding
        self.pad_if_needed = pad_if_needed
        self.fill = fill
        self.padding_mode = padding_mode

    def forward(self, img):
        if self.padding is not None:
            img = F.pad(img, self.padding, self.fill, self.padding_mode)
        _, height, width = F.get_dimensions(img)
        if self.pad_if_needed and width < self.size[1]:
            padding = [self.size[1] - width, 0]
            img = F.pad(img, padding, self.fill, self.padding_mode)
        if self.pad_if_needed and height < self.size[0]:
            padding = [0, self.size[0] - height]
            img = F.pad(img, padding, self.fill, self.padding_mode)
        i, j, h, w = self.get_params(img, self.size)
        return F.crop(img, i, j, h, w)

    # batched form: the same pads on the whole batch, then one gather of the per-image windows
    def _b_pads(self, kind, shape):
        pads = []
        if self.padding is not None:
            pads.append(self.padding)
            shape = _pad_shape(kind, shape, self.padding)
        height, width = _hw(kind, shape)
        if self.pad_if_needed and width < self.size[1]:
            pads.append([self.size[1] - width, 0])
            shape = _pad_shape(kind, shape, pads[-1])
        if self.pad_if_needed and height < self.size[0]:
            pads.append([0, self.size[0] - height])
            shape = _pad_shape(kind, shape, pads[-1])
        return pads, shape

    _b_random = True

    def _b_shape(self, kind, shape):
        _, shape = self._b_pads(kind, shape)
        return kind, _with_hw(kind, shape, *self.size)

    def _b_draw(self, kind, shape):
        key = (kind, shape, repr(self.padding), self.pad_if_needed, self.size)
        cache = self.__dict__.setdefault("_b_cache", {})
        if key not in cache:
            cache.clear()
            cache[key] = _hw(kind, self._b_pads(kind, shape)[1])
        return self._params_hw(*cache[key], self.size)

    def _b_apply(self, kind, arr, params):
        _check_pil_batch(kind, arr)
        pads, _ = self._b_pads(kind, arr.shape[1:])
        for p in pads:
            arr = _pad_batch(kind, arr, p, self.fill, self.padding_mode)
        return _gather_crops(kind, arr, [p[0] for p in params], [p[1] for p in params], *self.size)

    def __repr__(self):
        return f"{self.__class__.__name__}(size={self.size}, padding={self.padding})"


class _RandomFlip(_Batchable, Module):
    _b_random = True

    def __init__(self, p=0.5):
        super().__init__()
        self.p = p

    def forward(self, img):
        if _rand1() < self.p:
            return self._flip(img)
        return img

    def _b_draw(self, kind, shape):
        return bool(_rand1() < self.p)  # same draw and comparison as forward

    def _b_apply(self, kind, arr, params):
        _check_pil_batch(kind, arr)
        mask = np.asarray(params, dtype=bool)
        if not mask.any():
            return arr
        axis = self._axis(kind)
        out = arr.copy()
        out[mask] = np.flip(arr[mask], axis=axis)
        return out

    def __repr__(self):
        return f"{self.__class__.__name__}(p={self.p})"


class RandomHorizontalFlip(_RandomFlip):
    """Horizontally flip with probability ``p``."""
    _flip = staticmethod(F.hflip)

    @staticmethod
    def _axis(kind):
        return -1 if kind == "tensor" else 2


class RandomVerticalFlip(_RandomFlip):
    """Vertically flip with probability ``p``."""
    _flip = staticmethod(F.vflip)

    @staticmethod
    def _axis(kind):
        return -2 if kind == "tensor" else 1


class RandomResizedCrop(Module):
    """Crop a random area/aspect-ratio portion and resize it to ``size``."""

    def __init__(self, size, scale=(0.08, 1.0), ratio=(3.0 / 4.0, 4.0 / 3.0),
                 interpolation=InterpolationMode.BILINEAR, antialias=True):
        super().__init__()
        self.size = _setup_size(size, error_msg="Please provide only two dimensions (h, w) for size.")
        if not isinstance(scale, Sequence):
            raise TypeError("Scale should be a sequence")
        if not isinstance(ratio, Sequence):
            raise TypeError("Ratio should be a sequence")
        if (scale[0] > scale[1]) or (ratio[0] > ratio[1]):
            warnings.warn("Scale and ratio should be of kind (min, max)")
        if isinstance(interpolation, int):
            interpolation = _interpolation_modes_from_int(interpolation)
        self.interpolation = interpolation
        self.antialias = antialias
        self.scale = scale
        self.ratio = ratio

    @staticmethod
    def get_params(img, scale, ratio):
        import ember
        _, height, width = F.get_dimensions(img)
        area = height * width
        log_ratio = ember.log(ember.tensor(ratio))
        for _ in range(10):
            target_area = area * ember.empty(1).uniform_(scale[0], scale[1]).item()
            aspect_ratio = ember.exp(ember.empty(1).uniform_(log_ratio[0].item(), log_ratio[1].item())).item()
            w = int(round(math.sqrt(target_area * aspect_ratio)))
            h = int(round(math.sqrt(target_area / aspect_ratio)))
            if 0 < w <= width and 0 < h <= height:
                i = _randint1(0, height - h + 1)
                j = _randint1(0, width - w + 1)
                return i, j, h, w
        in_ratio = float(width) / float(height)
        if in_ratio < min(ratio):
            w = width
            h = int(round(w / min(ratio)))
        elif in_ratio > max(ratio):
            h = height
            w = int(round(h * max(ratio)))
        else:
            w = width
            h = height
        i = (height - h) // 2
        j = (width - w) // 2
        return i, j, h, w

    def forward(self, img):
        i, j, h, w = self.get_params(img, self.scale, self.ratio)
        return F.resized_crop(img, i, j, h, w, self.size, self.interpolation, antialias=self.antialias)

    def __repr__(self):
        interpolate_str = self.interpolation.value
        format_string = self.__class__.__name__ + f"(size={self.size}"
        format_string += f", scale={tuple(round(s, 4) for s in self.scale)}"
        format_string += f", ratio={tuple(round(r, 4) for r in self.ratio)}"
        format_string += f", interpolation={interpolate_str}"
        format_string += f", antialias={self.antialias})"
        return format_string


class FiveCrop(Module):
    """The four corner crops and the central crop of ``size`` (a tuple of 5 images)."""

    def __init__(self, size):
        super().__init__()
        self.size = _setup_size(size, error_msg="Please provide only two dimensions (h, w) for size.")

    def forward(self, img):
        return F.five_crop(img, self.size)

    def __repr__(self):
        return f"{self.__class__.__name__}(size={self.size})"


class TenCrop(Module):
    """``FiveCrop`` of the image and of its horizontal (``vertical_flip``: vertical) flip (10 images)."""

    def __init__(self, size, vertical_flip=False):
        super().__init__()
        self.size = _setup_size(size, error_msg="Please provide only two dimensions (h, w) for size.")
        self.vertical_flip = vertical_flip

    def forward(self, img):
        return F.ten_crop(img, self.size, self.vertical_flip)

    def __repr__(self):
        return f"{self.__class__.__name__}(size={self.size}, vertical_flip={self.vertical_flip})"


class ColorJitter(Module):
    """Randomly change brightness, contrast, saturation and hue, in a random order (``randperm(4)``)."""

    def __init__(self, brightness=0, contrast=0, saturation=0, hue=0):
        super().__init__()
        self.brightness = self._check_input(brightness, "brightness")
        self.contrast = self._check_input(contrast, "contrast")
        self.saturation = self._check_input(saturation, "saturation")
        self.hue = self._check_input(hue, "hue", center=0, bound=(-0.5, 0.5), clip_first_on_zero=False)

    def _check_input(self, value, name, center=1, bound=(0, float("inf")), clip_first_on_zero=True):
        if isinstance(value, numbers.Number):
            if value < 0:
                raise ValueError(f"If {name} is a single number, it must be non negative.")
            value = [center - float(value), center + float(value)]
            if clip_first_on_zero:
                value[0] = max(value[0], 0.0)
        elif isinstance(value, (tuple, list)) and len(value) == 2:
            value = [float(value[0]), float(value[1])]
        else:
            raise TypeError(f"{name} should be a single number or a list/tuple with length 2.")
        if not bound[0] <= value[0] <= value[1] <= bound[1]:
            raise ValueError(f"{name} values should be between {bound}, but got {value}.")
        if value[0] == value[1] == center:
            return None
        return tuple(value)

    @staticmethod
    def get_params(brightness, contrast, saturation, hue):
        import ember
        fn_idx = ember.randperm(4)
        b = None if brightness is None else float(ember.empty(1).uniform_(brightness[0], brightness[1]))
        c = None if contrast is None else float(ember.empty(1).uniform_(contrast[0], contrast[1]))
        s = None if saturation is None else float(ember.empty(1).uniform_(saturation[0], saturation[1]))
        h = None if hue is None else float(ember.empty(1).uniform_(hue[0], hue[1]))
        return fn_idx, b, c, s, h

    def forward(self, img):
        fn_idx, brightness_factor, contrast_factor, saturation_factor, hue_factor = self.get_params(
            self.brightness, self.contrast, self.saturation, self.hue)
        for fn_id in fn_idx.tolist():
            if fn_id == 0 and brightness_factor is not None:
                img = F.adjust_brightness(img, brightness_factor)
            elif fn_id == 1 and contrast_factor is not None:
                img = F.adjust_contrast(img, contrast_factor)
            elif fn_id == 2 and saturation_factor is not None:
                img = F.adjust_saturation(img, saturation_factor)
            elif fn_id == 3 and hue_factor is not None:
                img = F.adjust_hue(img, hue_factor)
        return img

    def __repr__(self):
        return (f"{self.__class__.__name__}(brightness={self.brightness}, contrast={self.contrast}, "
                f"saturation={self.saturation}, hue={self.hue})")


class RandomRotation(Module):
    """Rotate by an angle drawn uniformly from ``degrees``."""

    def __init__(self, degrees, interpolation=InterpolationMode.NEAREST, expand=False, center=None, fill=0):
        super().__init__()
        if isinstance(interpolation, int):
            interpolation = _interpolation_modes_from_int(interpolation)
        self.degrees = _setup_angle(degrees, name="degrees", req_sizes=(2,))
        if center is not None:
            _check_sequence_input(center, "center", req_sizes=(2,))
        self.center = center
        self.interpolation = interpolation
        self.expand = expand
        self.fill = _setup_fill(fill)

    @staticmethod
    def get_params(degrees):
        return _uniform1(float(degrees[0]), float(degrees[1]))

    def forward(self, img):
        fill = _forward_fill(img, self.fill)
        angle = self.get_params(self.degrees)
        return F.rotate(img, angle, self.interpolation, self.expand, self.center, fill)

    def __repr__(self):
        interpolate_str = self.interpolation.value
        format_string = self.__class__.__name__ + f"(degrees={self.degrees}"
        format_string += f", interpolation={interpolate_str}"
        format_string += f", expand={self.expand}"
        if self.center is not None:
            format_string += f", center={self.center}"
        if self.fill is not None:
            format_string += f", fill={self.fill}"
        format_string += ")"
        return format_string


class RandomAffine(Module):
    """Random affine transformation keeping the center invariant: rotation by an angle from ``degrees``,
    translation by up to ``translate`` (fractions of width, height), scale from ``scale`` and shear from
    ``shear`` (x range, or x then y ranges)."""

    def __init__(self, degrees, translate=None, scale=None, shear=None, interpolation=InterpolationMode.NEAREST,
                 fill=0, center=None):
        super().__init__()
        if isinstance(interpolation, int):
            interpolation = _interpolation_modes_from_int(interpolation)
        self.degrees = _setup_angle(degrees, name="degrees", req_sizes=(2,))
        if translate is not None:
            _check_sequence_input(translate, "translate", req_sizes=(2,))
            for t in translate:
                if not (0.0 <= t <= 1.0):
                    raise ValueError("translation values should be between 0 and 1")
        self.translate = translate
        if scale is not None:
            _check_sequence_input(scale, "scale", req_sizes=(2,))
            for s in scale:
                if s <= 0:
                    raise ValueError("scale values should be positive")
        self.scale = scale
        self.shear = _setup_angle(shear, name="shear", req_sizes=(2, 4)) if shear is not None else None
        self.interpolation = interpolation
        self.fill = _setup_fill(fill)
        if center is not None:
            _check_sequence_input(center, "center", req_sizes=(2,))
        self.center = center

    @staticmethod
    def get_params(degrees, translate, scale_ranges, shears, img_size):
        """(angle, (tx, ty), scale, (shear_x, shear_y)); ``img_size`` is [width, height]."""
        angle = _uniform1(float(degrees[0]), float(degrees[1]))
        if translate is not None:
            max_dx = float(translate[0] * img_size[0])
            max_dy = float(translate[1] * img_size[1])
            tx = int(round(_uniform1(-max_dx, max_dx)))
            ty = int(round(_uniform1(-max_dy, max_dy)))
            translations = (tx, ty)
        else:
            translations = (0, 0)
        scale = _uniform1(scale_ranges[0], scale_ranges[1]) if scale_ranges is not None else 1.0
        shear_x = shear_y = 0.0
        if shears is not None:
            shear_x = _uniform1(shears[0], shears[1])
            if len(shears) == 4:
                shear_y = _uniform1(shears[2], shears[3])
        return angle, translations, scale, (shear_x, shear_y)

    def forward(self, img):
        fill = _forward_fill(img, self.fill)
        _, height, width = F.get_dimensions(img)
        ret = self.get_params(self.degrees, self.translate, self.scale, self.shear, [width, height])
        return F.affine(img, *ret, interpolation=self.interpolation, fill=fill, center=self.center)

    def __repr__(self):
        s = f"{self.__class__.__name__}(degrees={self.degrees}"
        s += f", translate={self.translate}" if self.translate is not None else ""
        s += f", scale={self.scale}" if self.scale is not None else ""
        s += f", shear={self.shear}" if self.shear is not None else ""
        s += f", interpolation={self.interpolation.value}" if self.interpolation != InterpolationMode.NEAREST else ""
        s += f", fill={self.fill}" if self.fill != 0 else ""
        s += f", center={self.center}" if self.center is not None else ""
        return s + ")"


class RandomPerspective(Module):
    """With probability ``p``, a perspective transform moving each corner inwards by up to
    ``distortion_scale`` of half the width / height."""

    def __init__(self, distortion_scale=0.5, p=0.5, interpolation=InterpolationMode.BILINEAR, fill=0):
        super().__init__()
        self.p = p
        if isinstance(interpolation, int):
            interpolation = _interpolation_modes_from_int(interpolation)
        self.interpolation = interpolation
        self.distortion_scale = distortion_scale
        self.fill = _setup_fill(fill)

    def forward(self, img):
        fill = _forward_fill(img, self.fill)
        _, height, width = F.get_dimensions(img)
        if _rand1() < self.p:
            startpoints, endpoints = self.get_params(width, height, self.distortion_scale)
            return F.perspective(img, startpoints, endpoints, self.interpolation, fill)
        return img

    @staticmethod
    def get_params(width, height, distortion_scale):
        """([top-left, top-right, bottom-right, bottom-left] of the image, the same corners moved)."""
        dx = int(distortion_scale * (width // 2))
        dy = int(distortion_scale * (height // 2))
        near_x, far_x = (0, dx + 1), (width - dx - 1, width)   # _randint1 ranges for the left / right x
        near_y, far_y = (0, dy + 1), (height - dy - 1, height)  # and for the top / bottom y
        corners = [(near_x, near_y), (far_x, near_y), (far_x, far_y), (near_x, far_y)]
        endpoints = [[_randint1(*xr), _randint1(*yr)] for xr, yr in corners]
        startpoints = [[0, 0], [width - 1, 0], [width - 1, height - 1], [0, height - 1]]
        return startpoints, endpoints

    def __repr__(self):
        return f"{self.__class__.__name__}(p={self.p})"


class ElasticTransform(Module):
    """Displace every pixel by a random field: uniform noise in [-1, 1], Gaussian-blurred with ``sigma``,
    scaled by ``alpha`` (pixels), then sample the image there."""

    def __init__(self, alpha=50.0, sigma=5.0, interpolation=InterpolationMode.BILINEAR, fill=0):
        super().__init__()
        self.alpha = self._check_pair(alpha, "alpha")
        self.sigma = self._check_pair(sigma, "sigma")
        if isinstance(interpolation, int):
            interpolation = _interpolation_modes_from_int(interpolation)
        self.interpolation = interpolation
        if isinstance(fill, (int, float)):
            fill = [float(fill)]
        elif isinstance(fill, (list, tuple)):
            fill = [float(f) for f in fill]
        else:
            raise TypeError(f"fill should be int or float or a list or tuple of them. Got {type(fill)}")
        self.fill = fill

    @staticmethod
    def _check_pair(value, name):
        if not isinstance(value, (float, Sequence)):
            raise TypeError(f"{name} should be float or a sequence of floats. Got {type(value)}")
        if isinstance(value, Sequence) and len(value) != 2:
            raise ValueError(f"If {name} is a sequence its length should be 2. Got {len(value)}")
        if isinstance(value, Sequence):
            for element in value:
                if not isinstance(element, float):
                    raise TypeError(f"{name} should be a sequence of floats. Got {type(element)}")
        if isinstance(value, float):
            value = [float(value), float(value)]
        return value

    @staticmethod
    def get_params(alpha, sigma, size):
        """The 1 x H x W x 2 displacement field for an image of ``size`` [H, W]."""
        import ember

        def component(k):  # k = 0: horizontal (normalized by the width), 1: vertical (by the height)
            d = ember.rand([1, 1] + size) * 2 - 1
            if sigma[k] > 0.0:
                ksize = int(8 * sigma[k] + 1)
                if ksize % 2 == 0:  # the kernel size must be odd
                    ksize += 1
                d = F.gaussian_blur(d, [ksize, ksize], sigma)
            return d * alpha[k] / size[1 - k]

        dx = component(0)
        dy = component(1)
        return ember.concat([dx, dy], 1).permute([0, 2, 3, 1])

    def forward(self, tensor):
        _, height, width = F.get_dimensions(tensor)
        displacement = self.get_params(self.alpha, self.sigma, [height, width])
        return F.elastic_transform(tensor, displacement, self.interpolation, self.fill)

    def __repr__(self):
        return (f"{self.__class__.__name__}(alpha={self.alpha}, sigma={self.sigma}, "
                f"interpolation={self.interpolation}, fill={self.fill})")


class Grayscale(_Batchable, Module):
    """Convert to grayscale (ITU-R 601-2 luma), with 1 or 3 output channels."""

    def __init__(self, num_output_channels=1):
        super().__init__()
        self.num_output_channels = num_output_channels

    def forward(self, img):
        return F.rgb_to_grayscale(img, num_output_channels=self.num_output_channels)

    def _b_shape(self, kind, shape):
        if self.num_output_channels not in (1, 3):
            raise ValueError("num_output_channels should be either 1 or 3")
        if kind == "tensor":
            if shape[0] not in (1, 3):
                raise TypeError(f"Input image tensor permitted channel values are [1, 3], but found {shape[0]}")
            return kind, (self.num_output_channels,) + tuple(shape[1:])
        return kind, tuple(shape[:2]) + ((3,) if self.num_output_channels == 3 else ())

    def _b_apply(self, kind, arr, params):
        if kind == "tensor":
            return np.ascontiguousarray(F_t._rgb_to_grayscale_a(arr, self.num_output_channels))
        _check_pil_batch(kind, arr)
        if arr.ndim == 3 or arr.shape[3] == 1:  # mode L: convert('L') is the identity
            lum = arr if arr.ndim == 3 else arr[..., 0]
        elif arr.shape[3] in (3, 4):  # RGB / RGBA: PIL's fixed-point L = (19595 R + 38470 G + 7471 B) >> 16
            rgb = arr[..., :3].astype(np.uint32)
            lum = ((rgb[..., 0] * 19595 + rgb[..., 1] * 38470 + rgb[..., 2] * 7471 + 0x8000) >> 16).astype(np.uint8)
        else:
            raise TypeError(f"Grayscale.batch: unsupported channel count {arr.shape[3]}")
        if self.num_output_channels == 3:
            return np.ascontiguousarray(np.repeat(lum[..., None], 3, axis=-1))
        return np.ascontiguousarray(lum)

    def __repr__(self):
        return f"{self.__class__.__name__}(num_output_channels={self.num_output_channels})"


class RandomGrayscale(Module):
    """Convert to grayscale with probability ``p`` (keeping the number of channels)."""

    def __init__(self, p=0.1):
        super().__init__()
        self.p = p

    def forward(self, img):
        num_output_channels, _, _ = F.get_dimensions(img)
        if _rand1() < self.p:
            return F.rgb_to_grayscale(img, num_output_channels=num_output_channels)
        return img

    def __repr__(self):
        return f"{self.__class__.__name__}(p={self.p})"


class RandomErasing(Module):
    """Randomly erase a rectangle of a tensor image (value: number, per-channel sequence or 'random')."""

    def __init__(self, p=0.5, scale=(0.02, 0.33), ratio=(0.3, 3.3), value=0, inplace=False):
        super().__init__()
        if not isinstance(value, (numbers.Number, str, tuple, list)):
            raise TypeError("Argument value should be either a number or str or a sequence")
        if isinstance(value, str) and value != "random":
            raise ValueError("If value is str, it should be 'random'")
        if not isinstance(scale, Sequence):
            raise TypeError("Scale should be a sequence")
        if not isinstance(ratio, Sequence):
            raise TypeError("Ratio should be a sequence")
        if (scale[0] > scale[1]) or (ratio[0] > ratio[1]):
            warnings.warn("Scale and ratio should be of kind (min, max)")
        if scale[0] < 0 or scale[1] > 1:
            raise ValueError("Scale should be between 0 and 1")
        if p < 0 or p > 1:
            raise ValueError("Random erasing probability should be between 0 and 1")
        self.p = p
        self.scale = scale
        self.ratio = ratio
        self.value = value
        self.inplace = inplace

    @staticmethod
    def get_params(img, scale, ratio, value=None):
        import ember
        img_c, img_h, img_w = img.shape[-3], img.shape[-2], img.shape[-1]
        area = img_h * img_w
        log_ratio = ember.log(ember.tensor(ratio))
        for _ in range(10):
            erase_area = area * ember.empty(1).uniform_(scale[0], scale[1]).item()
            aspect_ratio = ember.exp(ember.empty(1).uniform_(log_ratio[0].item(), log_ratio[1].item())).item()
            h = int(round(math.sqrt(erase_area * aspect_ratio)))
            w = int(round(math.sqrt(erase_area / aspect_ratio)))
            if not (h < img_h and w < img_w):
                continue
            if value is None:
                v = ember.empty([img_c, h, w], dtype=ember.float32).normal_()
            else:
                v = ember.tensor(value)[:, None, None]
            i = _randint1(0, img_h - h + 1)
            j = _randint1(0, img_w - w + 1)
            return i, j, h, w, v
        return 0, 0, img_h, img_w, img

    def forward(self, img):
        if _rand1() < self.p:
            if isinstance(self.value, (int, float)):
                value = [float(self.value)]
            elif isinstance(self.value, str):
                value = None
            elif isinstance(self.value, (list, tuple)):
                value = [float(v) for v in self.value]
            else:
                value = self.value
            if value is not None and not (len(value) in (1, img.shape[-3])):
                raise ValueError(
                    "If value is a sequence, it should have either a single value or "
                    f"{img.shape[-3]} (number of input channels)"
                )
            x, y, h, w, v = self.get_params(img, scale=self.scale, ratio=self.ratio, value=value)
            return F.erase(img, x, y, h, w, v, self.inplace)
        return img

    def __repr__(self):
        return (f"{self.__class__.__name__}(p={self.p}, scale={self.scale}, ratio={self.ratio}, "
                f"value={self.value}, inplace={self.inplace})")


class GaussianBlur(Module):
    """Blur with a Gaussian kernel whose sigma is drawn uniformly from ``sigma`` (min, max)."""

    def __init__(self, kernel_size, sigma=(0.1, 2.0)):
        super().__init__()
        self.kernel_size = _setup_size(kernel_size, "Kernel size should be a tuple/list of two integers")
        for ks in self.kernel_size:
            if ks <= 0 or ks % 2 == 0:
                raise ValueError("Kernel size value should be an odd and positive number.")
        if isinstance(sigma, numbers.Number):
            if sigma <= 0:
                raise ValueError("If sigma is a single number, it must be positive.")
            sigma = (sigma, sigma)
        elif isinstance(sigma, Sequence) and len(sigma) == 2:
            if not 0.0 < sigma[0] <= sigma[1]:
                raise ValueError("sigma values should be positive and of the form (min, max).")
        else:
            raise ValueError("sigma should be a single number or a list/tuple with length 2.")
        self.sigma = sigma

    @staticmethod
    def get_params(sigma_min, sigma_max):
        return _uniform1(sigma_min, sigma_max)

    def forward(self, img):
        sigma = self.get_params(self.sigma[0], self.sigma[1])
        return F.gaussian_blur(img, self.kernel_size, [sigma, sigma])

    def __repr__(self):
        return f"{self.__class__.__name__}(kernel_size={self.kernel_size}, sigma={self.sigma})"
