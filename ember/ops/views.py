"""View ops: results share memory with their input (and its version counter).

Each view op's backward maps the view's gradient back to the input's shape.
``rebase_view`` gives the base a CopySlices history when a view is modified
in place, by replaying the view's chain of view ops on the gradient.
"""
from math import prod

import numpy as np

from ..autograd.graph import Node
from .._device import host, move, strided_view, xp_of
from .._tensor import Tensor, Size, wrap
from ._dispatch import apply, apply_view, edge_of, _seq
from ._util import wrap_dim, wrap_dims, shape_str


def _infer_shape(shape, numel):
    """Resolve one -1 and check the element count, with torch's messages."""
    if prod(shape) == numel and (not shape or min(shape) >= 0):  # the common case: nothing to infer
        return shape
    n = 1
    infer = None
    for i, s in enumerate(shape):
        if s == -1:
            if infer is not None:
                raise RuntimeError("only one dimension can be inferred")
            infer = i
        elif s < 0:
            raise RuntimeError(f"invalid shape dimension {s}")
        else:
            n *= s
    if infer is None:
        if n != numel:
            raise RuntimeError(f"shape '{shape_str(shape)}' is invalid for input of size {numel}")
        return shape
    if n == 0 or numel % n:
        raise RuntimeError(f"shape '{shape_str(shape)}' is invalid for input of size {numel}")
    return shape[:infer] + (numel // n,) + shape[infer + 1:]


def _all_ints(shape):
    for s in shape:
        if s.__class__ is not int:
            return False
    return True


def _shape_arg(shape):
    """view(2, 3), view((2, 3)) and view(torch.Size) all mean the tuple (2, 3)."""
    if len(shape) == 1 and shape[0].__class__ is not int:
        shape = shape[0]
        if shape.__class__ is not tuple:
            shape = tuple(shape)
    for s in shape:
        if s.__class__ is not int:
            return tuple(int(s) for s in shape)
    return shape


class ViewBackward0(Node):
    __slots__ = ("in_shape",)
    VIEW = True

    def forward(self, a, shape):
        self.in_shape = a.shape
        return self.compute(a, shape)

    @staticmethod
    def compute(a, shape):
        if a.flags.c_contiguous:  # reshaping a C-contiguous array never copies (and is 3x cheaper)
            return a.reshape(shape)
        try:
            return a.reshape(shape, copy=False) if a.__class__ is np.ndarray else _cupy_view(a, shape)
        except (ValueError, AttributeError):  # CuPy's shape setter raises AttributeError
            raise RuntimeError(
                "view size is not compatible with input tensor's size and stride (at least one dimension spans "
                "across two contiguous subspaces). Use .reshape(...) instead.") from None

    def backward(self, g):
        return (g.reshape(self.in_shape),)


def _cupy_view(a, shape):
    v = a.view()
    v.shape = shape
    return v


class UnsafeViewBackward0(Node):
    """reshape that had to copy: not a view."""
    __slots__ = ("in_shape",)

    def forward(self, a, shape):
        self.in_shape = a.shape
        return a.reshape(shape)

    def backward(self, g):
        return (g.reshape(self.in_shape),)


_RESOLVED_SHAPES = {}  # (shape arguments, numel) -> resolved shape, for int-only arguments


def _resolve_shape(args, numel):
    """view/reshape's arguments -- (2, 3), ((2, 3),) or (Size,) -- as a tuple of ints with one -1
    resolved, checked against numel. Programs repeat the same few shapes, so results are memoised."""
    key = (args, numel)
    try:
        return _RESOLVED_SHAPES[key]
    except (KeyError, TypeError):  # new, or unhashable arguments
        pass
    shape = _infer_shape(_shape_arg(args), numel)
    if _all_ints(args) or len(args) == 1 and args[0].__class__ in (tuple, Size) and _all_ints(args[0]):
        if len(_RESOLVED_SHAPES) > 4096:
            _RESOLVED_SHAPES.clear()
        _RESOLVED_SHAPES[key] = shape
    return shape


def view(self, *shape):
    if len(shape) == 1 and shape[0].__class__ is not int and (
            isinstance(shape[0], (str, np.dtype, type)) or shape[0].__class__.__name__ == "dtype"):
        from .conversion import view_as_dtype
        return view_as_dtype(self, shape[0])
    try:  # _resolve_shape's memo, looked up inline: view is among the most frequent calls
        shape = _RESOLVED_SHAPES[(shape, self._data.size)]
    except (KeyError, TypeError):
        shape = _resolve_shape(shape, self._data.size)
    return apply_view(ViewBackward0, self, shape)


def reshape(self, *shape):
    try:
        shape = _RESOLVED_SHAPES[(shape, self._data.size)]
    except (KeyError, TypeError):
        shape = _resolve_shape(shape, self._data.size)
    a = self._data
    if a.flags.c_contiguous or _viewable(a, shape):
        return apply_view(ViewBackward0, self, shape)
    return apply(UnsafeViewBackward0, (self,), shape)


def _viewable(a, shape):
    if a.__class__ is not np.ndarray:
        return False
    try:
        a.reshape(shape, copy=False)
        return True
    except ValueError:
        return False


def view_as(self, other):
    return view(self, other._data.shape)


def reshape_as(self, other):
    return reshape(self, other._data.shape)


def flatten(self, start_dim=0, end_dim=-1):
    nd = self._data.ndim
    if nd == 0:
        return reshape(self, (1,))
    s, e = wrap_dim(start_dim, nd), wrap_dim(end_dim, nd)
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    shape = self._data.shape
    if s == e:
        return self
    n = 1
    for d in shape[s:e + 1]:
        n *= d
    return reshape(self, shape[:s] + (n,) + shape[e + 1:])


def unflatten(self, dim, sizes):
    nd = self._data.ndim
    dim = wrap_dim(dim, nd)
    shape = self._data.shape
    sizes = tuple(sizes)
    if -1 in sizes:
        known = 1
        for s in sizes:
            if s != -1:
                known *= s
        sizes = tuple(shape[dim] // known if s == -1 else s for s in sizes)
    n = 1
    for s in sizes:
        n *= s
    if n != shape[dim]:
        raise RuntimeError(f"unflatten: Provided sizes {shape_str(sizes)} don't multiply up to the size of dim "
                           f"{dim} ({shape[dim]}) in the input tensor")
    return view(self, shape[:dim] + sizes + shape[dim + 1:])


class PermuteBackward0(Node):
    __slots__ = ("perm",)
    VIEW = True

    def forward(self, a, perm):
        self.perm = perm
        return self.compute(a, perm)

    @staticmethod
    def compute(a, perm):
        return a.transpose(perm)

    def backward(self, g):
        return (g.permute(tuple(np.argsort(self.perm).tolist())),)


class TransposeBackward0(Node):
    __slots__ = ("d0", "d1")
    VIEW = True

    def forward(self, a, d0, d1):
        self.d0, self.d1 = d0, d1
        return self.compute(a, d0, d1)

    @staticmethod
    def compute(a, d0, d1):
        return a.swapaxes(d0, d1)

    def backward(self, g):
        return (g.transpose(self.d0, self.d1),)


class TBackward0(Node):
    VIEW = True

    def forward(self, a):
        return self.compute(a)

    @staticmethod
    def compute(a):
        return a.T

    def backward(self, g):
        return (g.t(),)


def permute(self, *dims):
    dims = _shape_arg(dims)
    nd = self._data.ndim
    if len(dims) != nd:
        raise RuntimeError(f"permute(sparse_coo): number of dimensions in the tensor input does not match the "
                           f"length of the desired ordering of dimensions i.e. input.dim() = {nd} is not equal to "
                           f"len(dims) = {len(dims)}")
    return apply_view(PermuteBackward0, self, wrap_dims(dims, nd))


def transpose(self, dim0, dim1):
    nd = self._data.ndim
    return apply_view(TransposeBackward0, self, wrap_dim(dim0, nd), wrap_dim(dim1, nd))


def t(self):
    nd = self._data.ndim
    if nd > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {nd}D")
    return apply_view(TBackward0, self)


def movedim(self, source, destination):
    nd = self._data.ndim
    src = wrap_dims(source, nd)
    dst = wrap_dims(destination, nd)
    if len(src) != len(dst):
        raise RuntimeError(f"movedim: Invalid source or destination dims: source ({list(src)} dims) should "
                           f"contain the same number of dims as destination ({list(dst)} dims)")
    order = [d for d in range(nd) if d not in src]
    perm = [None] * nd
    for s, d in zip(src, dst):
        perm[d] = s
    it = iter(order)
    perm = [p if p is not None else next(it) for p in perm]
    return permute(self, perm)


def _mT(self):
    if self._data.ndim < 2:
        raise RuntimeError("tensor.mT is only supported on matrices or batches of matrices. Got 1-D tensor.")
    return transpose(self, -2, -1)


def _T(self):
    nd = self._data.ndim
    return permute(self, tuple(range(nd - 1, -1, -1))) if nd != 2 else t(self)


class ExpandBackward0(Node):
    __slots__ = ("in_shape",)
    VIEW = True

    def forward(self, a, shape):
        self.in_shape = a.shape
        xp = np if a.__class__ is np.ndarray else __import__("cupy")
        return xp.broadcast_to(a, shape)

    def backward(self, g):
        from ._util import sum_to
        return (sum_to(g, self.in_shape),)


def expand(self, *sizes):
    sizes = _shape_arg(sizes)
    shape = self._data.shape
    nd = len(sizes)
    if nd < len(shape):
        raise RuntimeError(f"expand({self.type()}{{{shape_str(shape)}}}, size={shape_str(sizes)}): the number of "
                           f"sizes provided ({nd}) must be greater or equal to the number of dimensions in the "
                           f"tensor ({len(shape)})")
    lead = nd - len(shape)
    out = [0] * nd
    for i in reversed(range(nd)):  # torch checks from the last dim
        s = sizes[i]
        if i < lead:
            if s < 0:
                raise RuntimeError(f"The expanded size of the tensor ({s}) isn't allowed in a leading, "
                                   f"non-existing dimension {i}")
            out[i] = s
            continue
        cur = shape[i - lead]
        if s == -1:
            s = cur
        if cur != s and cur != 1:
            raise RuntimeError(f"The expanded size of the tensor ({s}) must match the existing size ({cur}) at "
                               f"non-singleton dimension {i}.  Target sizes: {shape_str(sizes)}.  Tensor sizes: "
                               f"{shape_str(shape)}")
        out[i] = s
    out = tuple(out)
    return apply(ExpandBackward0, (self,), out)


def expand_as(self, other):
    return expand(self, other._data.shape)


def broadcast_to(self, shape):
    return expand(self, shape)


class SqueezeBackward0(Node):
    __slots__ = ("in_shape",)
    VIEW = True

    def forward(self, a, dims):
        self.in_shape = a.shape
        return a.reshape(tuple(s for i, s in enumerate(a.shape) if i not in dims))

    def backward(self, g):
        return (g.reshape(self.in_shape),)


class SqueezeBackward1(SqueezeBackward0):
    """squeeze(dim)"""
    __slots__ = ()


class SqueezeBackward2(SqueezeBackward0):
    """squeeze(dims)"""
    __slots__ = ()


def squeeze(self, dim=None):
    shape = self._data.shape
    if dim is None:
        return apply(SqueezeBackward0, (self,), tuple(i for i, s in enumerate(shape) if s == 1))
    dims = tuple(d for d in wrap_dims(dim, len(shape)) if len(shape) and shape[d] == 1)
    return apply(SqueezeBackward1 if isinstance(dim, (int, np.integer)) else SqueezeBackward2, (self,), dims)


class UnsqueezeBackward0(Node):
    __slots__ = ("dim",)
    VIEW = True

    def forward(self, a, dim):
        self.dim = dim
        return self.compute(a, dim)

    @staticmethod
    def compute(a, dim):
        # inserting a unit dim never copies; reshape also gives it torch's stride (expand_dims is 20x slower)
        return a.reshape(a.shape[:dim] + (1,) + a.shape[dim:])

    def backward(self, g):
        return (g.squeeze(self.dim),)


def unsqueeze(self, dim):
    n = self._data.ndim + 1
    return apply_view(UnsqueezeBackward0, self, dim if 0 <= dim < n else wrap_dim(dim, n))


class SliceBackward0(Node):
    """Basic indexing (ints, slices, None, Ellipsis): a strided view."""
    __slots__ = ("in_shape", "index")
    VIEW = True

    def forward(self, a, index):
        self.in_shape = a.shape
        self.index = index
        return a[index]

    def backward(self, g):
        from .creation import zeros
        out = zeros(self.in_shape, dtype=g.dtype, device=g.device)
        return (out.index_put_view(self.index, g),)


class SelectBackward0(SliceBackward0):
    __slots__ = ()


class SliceScatterBackward0(Node):
    """out = a with out[index] = src (basic index): the differentiable write behind
    setitem and the backward of basic indexing."""
    __slots__ = ("index", "src_shape")

    def forward(self, a, src, index):
        self.index, self.src_shape = index, src.shape
        out = a.copy()
        out[index] = src
        return out

    def backward(self, g):
        ga = gs = None
        if self.next_edges[0] is not None:
            mask = np.ones(g._data.shape, dtype=g._data.dtype) if g.is_cpu else None
            if mask is None:
                mask = xp_of(g._data).ones(g._data.shape, dtype=g._data.dtype)
            mask[self.index] = 0
            ga = g * wrap(mask)
        if self.next_edges[1] is not None:
            from ._util import sum_to
            gs = sum_to(g[self.index], self.src_shape)
        return ga, gs


def index_put_view(self, index, src):
    """A copy of self with self[index] = src for a basic (view) index."""
    from ._util import ensure_tensor
    src = ensure_tensor(src, self)
    if src._data.dtype != self._data.dtype:
        src = src.to(self.dtype)
    return apply(SliceScatterBackward0, (self, src), index)


def narrow(self, dim, start, length):
    nd = self._data.ndim
    dim = wrap_dim(dim, nd)
    size = self._data.shape[dim]
    if isinstance(start, Tensor):
        start = int(start.item())
    if not -size <= start <= size:
        raise IndexError(f"start out of range (expected to be in range of [{-size}, {size}], but got {start})")
    start %= size if size else 1
    if start + length > size:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({size}).")
    return apply(SliceBackward0, (self,), (slice(None),) * dim + (slice(start, start + length),))


def select(self, dim, index):
    nd = self._data.ndim
    if nd == 0:
        raise IndexError("select() cannot be applied to a 0-dim tensor.")
    dim = wrap_dim(dim, nd)
    size = self._data.shape[dim]
    if not -size <= index < size:
        raise IndexError(f"select(): index {index} out of range for tensor of size {shape_str(self._data.shape)} "
                         f"at dimension {dim}")
    # the trailing Ellipsis keeps NumPy returning a (0-d) view, not a scalar copy
    return apply(SelectBackward0, (self,), (slice(None),) * dim + (index % size, Ellipsis))


class UnbindBackward0(Node):
    __slots__ = ("dim", "in_shape", "in_dtype")

    def forward(self, a, dim):
        self.dim, self.in_shape = dim, a.shape
        return tuple(a[(slice(None),) * dim + (i, Ellipsis)] for i in range(a.shape[dim]))

    def backward(self, *grads):
        from .creation import zeros
        from .shape import stack
        parts = [g if g is not None else zeros(self.in_shape[:self.dim] + self.in_shape[self.dim + 1:],
                                               dtype=_ref_dtype(grads), device=_ref_device(grads))
                 for g in grads]
        return (stack(parts, self.dim),)


def _ref_dtype(grads):
    return next(g for g in grads if g is not None).dtype


def _ref_device(grads):
    return next(g for g in grads if g is not None).device


def unbind(self, dim=0):
    nd = self._data.ndim
    if nd == 0:
        raise IndexError("Dimension specified as 0 but tensor has no dimensions")
    outs = apply(UnbindBackward0, (self,), wrap_dim(dim, nd))
    _alias_all(outs, self)
    return outs


class SplitBackward0(Node):
    __slots__ = ("dim", "in_shape", "bounds")

    def forward(self, a, dim, bounds):
        self.dim, self.in_shape, self.bounds = dim, a.shape, bounds
        pre = (slice(None),) * dim
        return tuple(a[pre + (slice(s, e),)] for s, e in bounds)

    def backward(self, *grads):
        from .creation import zeros
        from .shape import cat
        parts = []
        for g, (s, e) in zip(grads, self.bounds):
            if g is None:
                shape = self.in_shape[:self.dim] + (e - s,) + self.in_shape[self.dim + 1:]
                g = zeros(shape, dtype=_ref_dtype(grads), device=_ref_device(grads))
            parts.append(g)
        return (cat(parts, self.dim),)


def _alias_all(outs, base):
    from ._dispatch import _alias
    for o in outs:
        _alias(o, base, None, None)
        o._view_chain = None  # multi-output views cannot be replayed; in-place on them is not rebased


def split(self, split_size_or_sections, dim=0):
    nd = self._data.ndim
    dim = wrap_dim(dim, nd)
    size = self._data.shape[dim]
    if isinstance(split_size_or_sections, (int, np.integer)):
        step = int(split_size_or_sections)
        if step <= 0 and not (step == 0 and size == 0):
            raise RuntimeError(f"split_size can only be 0 if dimension size is 0, but got dimension size of {size}")
        bounds = tuple((s, min(s + step, size)) for s in range(0, size, step)) or ((0, 0),)
    else:
        sections = [int(s) for s in split_size_or_sections]
        if sum(sections) != size:
            raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {size} (input tensor's size "
                               f"at dimension {dim}), but got split_sizes={sections}")
        bounds, s = [], 0
        for n in sections:
            bounds.append((s, s + n))
            s += n
        bounds = tuple(bounds)
    outs = apply(SplitBackward0, (self,), dim, bounds)
    _alias_all(outs, self)
    return outs


def chunk(self, chunks, dim=0):
    if chunks <= 0:
        raise RuntimeError("chunk expects `chunks` to be greater than 0, got: " + str(chunks))
    size = self._data.shape[wrap_dim(dim, self._data.ndim)]
    step = -(-size // chunks) if size else 1
    return split(self, step, dim)


def tensor_split(self, indices_or_sections, dim=0):
    nd = self._data.ndim
    dim = wrap_dim(dim, nd)
    size = self._data.shape[dim]
    if isinstance(indices_or_sections, (int, np.integer)):
        n = int(indices_or_sections)
        q, r = divmod(size, n)
        sections = [q + 1] * r + [q] * (n - r)
    else:
        idx = [min(max(int(i), 0), size) for i in indices_or_sections]
        edges = [0] + idx + [size]
        sections = [max(e - s, 0) for s, e in zip(edges[:-1], edges[1:])]
    return split(self, sections, dim)


class DiagonalBackward0(Node):
    __slots__ = ("in_shape", "offset", "d1", "d2")
    VIEW = True

    def forward(self, a, offset, d1, d2):
        self.in_shape, self.offset, self.d1, self.d2 = a.shape, offset, d1, d2
        return a.diagonal(offset, d1, d2)

    def backward(self, g):
        from .creation import zeros
        out = zeros(self.in_shape, dtype=g.dtype, device=g.device)
        return (out.diagonal_scatter(g, self.offset, self.d1, self.d2),)


def diagonal(self, offset=0, dim1=0, dim2=1):
    nd = self._data.ndim
    return apply(DiagonalBackward0, (self,), offset, wrap_dim(dim1, nd), wrap_dim(dim2, nd))


class AsStridedBackward0(Node):
    __slots__ = ("in_shape", "size", "stride", "offset")
    VIEW = True

    def forward(self, a, size, stride, offset):
        self.in_shape = a.shape
        self.size, self.stride, self.offset = size, stride, offset
        flat = a.reshape(-1) if a.flags.c_contiguous else xp_of(a).ascontiguousarray(a).reshape(-1)
        item = a.itemsize
        return strided_view(flat[offset:], size, tuple(s * item for s in stride), writeable=True)

    def backward(self, g):
        # scatter-add g back through the same strides (positions may repeat), on the host
        flat = np.zeros(int(np.prod(self.in_shape)), dtype=g._data.dtype)
        positions = np.arange(flat.size)
        idx = strided_view(positions[self.offset:], self.size, tuple(s * positions.itemsize for s in self.stride))
        np.add.at(flat, idx.reshape(-1), host(g.detach()._data).reshape(-1))
        return (wrap(move(flat.reshape(self.in_shape), g.device)),)


def as_strided(self, size, stride, storage_offset=0):
    return apply(AsStridedBackward0, (self,), tuple(size), tuple(stride), storage_offset)


class UnfoldBackward0(Node):
    """Tensor.unfold(dim, size, step): sliding windows as a view."""
    __slots__ = ("in_shape", "dim", "size", "step")
    VIEW = True

    def forward(self, a, dim, size, step):
        self.in_shape, self.dim, self.size, self.step = a.shape, dim, size, step
        w = np.lib.stride_tricks.sliding_window_view(a, size, axis=dim)
        return w[(slice(None),) * dim + (slice(None, None, step),)]

    def backward(self, g):
        from .creation import zeros
        out = zeros(self.in_shape, dtype=g.dtype, device=g.device)
        n = g.shape[self.dim]
        for i in range(n):
            pre = (slice(None),) * self.dim
            region = pre + (slice(i * self.step, i * self.step + self.size),)
            piece = g.select(self.dim, i).movedim(-1, self.dim)
            out = out.index_put_view(region, out[region] + piece)
        return (out,)


def unfold(self, dimension, size, step):
    nd = self._data.ndim
    dim = wrap_dim(dimension, nd)
    if size > self._data.shape[dim] if nd else 1:
        raise RuntimeError(f"maximum size for tensor at dimension {dim} is {self._data.shape[dim]} but size is {size}")
    if step <= 0:
        raise RuntimeError(f"step is {step} but must be > 0")
    return apply(UnfoldBackward0, (self,), dim, size, step)


# -- in-place on views: CopySlices ---------------------------------------------------

def chain_steps(chain):
    """The (op class, params) steps of a view chain (see _dispatch._alias), from the root on."""
    steps = []
    while chain:
        chain, cls, params = chain
        steps.append((cls, params))
    steps.reverse()
    return steps


def replay_view(chain, t):
    """Apply a view chain (recorded on a view) to another tensor of the base's shape."""
    for cls, params in chain_steps(chain):
        t = apply(cls, (t,), *params)
    return t


class CopySlices(Node):
    """History of a base whose view was modified in place: the op's backward runs on
    the view region of the gradient; the rest of the gradient flows to the old base."""
    __slots__ = ("chain", "op_node", "base_shape")

    def backward(self, g):
        result = g.clone()
        op_grads = self.op_node.backward(replay_view(self.chain, g))
        if op_grads.__class__ is not tuple:
            op_grads = (op_grads,)
        region = replay_view(self.chain, result)
        first = op_grads[0]
        region._data[...] = 0 if first is None else first._data
        return (result,) + tuple(op_grads[1:])

    def release(self):
        self.op_node.release()
        self.released = self.op_node.released


def rebase_view(view, op_node, result):
    base = view._base
    node = CopySlices()
    node.init_graph_fields()
    node.chain = view._view_chain
    node.op_node = op_node
    node.base_shape = base._data.shape
    node.next_edges = (edge_of(base),) + tuple(op_node.next_edges[1:])
    node.seq = next(_seq)
    node.n_out = 1
    node.saved_versions = ()
    base._requires_grad = True
    base._grad_fn = node
    base._output_nr = 0
    # the view's new history: the same view of the rebased base
    with_graph = replay_view(view._view_chain, _shallow(base))
    view._requires_grad = True
    view._grad_fn = with_graph._grad_fn
    view._output_nr = 0


def _shallow(base):
    t = wrap(base._data)
    t._requires_grad, t._grad_fn, t._output_nr = base._requires_grad, base._grad_fn, 0
    return t


__all__ = """reshape flatten unflatten permute transpose movedim squeeze unsqueeze narrow select unbind split chunk
    tensor_split diagonal as_strided broadcast_to""".split() + ["moveaxis", "swapaxes", "swapdims"]
moveaxis = movedim
swapaxes = swapdims = transpose
TENSOR_METHODS = """view reshape view_as reshape_as flatten unflatten permute transpose t movedim expand
    expand_as broadcast_to squeeze unsqueeze narrow select unbind split chunk tensor_split diagonal
    as_strided unfold index_put_view moveaxis swapaxes swapdims"""
INPLACE = ""
EXTRA_METHODS = {"T": property(_T), "mT": property(_mT), "H": property(_T), "mH": property(_mT)}
