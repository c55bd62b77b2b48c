"""ember.onnx.export: trace a model, map each recorded op to ONNX nodes, write an ONNX model.

The ``onnx`` package is imported only here, inside :func:`export`: it is an optional extra.

Dynamic axes. When ``dynamic_axes`` names axes of the inputs, the model is traced twice: once on
the example inputs and once on copies grown along every dynamic axis. Comparing the two traces
op by op tells which shape-valued params (view/reshape/expand shapes, split sizes, the shapes of
constants such as an RNN's zero initial state) follow the dynamic sizes; those are emitted as
``-1`` / ``0`` entries of ONNX Reshape shapes, or computed at run time with Shape/Gather/Concat, so
the exported graph runs on other sizes than the traced ones.
"""
import os
import warnings

import numpy as np

from .._device import host as _host
from .._tensor import Tensor
from . import _tracer
from .errors import UnsupportedOperatorError, OnnxExporterError

# IR version per opset (onnx.helper.VERSION_TABLE), capped to what onnxruntime reads
_IR_FOR_OPSET = {7: 3, 8: 3, 9: 4, 10: 5, 11: 6, 12: 7, 13: 7, 14: 7, 15: 8, 16: 8, 17: 8, 18: 8, 19: 9,
                 20: 9, 21: 10}

INT64_MAX = np.iinfo(np.int64).max
IN_EXPORT = [False]  # ember.onnx.is_in_onnx_export()




class _Unmapped(Exception):
    """An op consumed an output that has no ONNX value; fatal only if a graph output depends on it."""


class TrainingMode:
    """torch.onnx.TrainingMode: EVAL exports the model in eval mode (the default)."""
    EVAL = "EVAL"
    PRESERVE = "PRESERVE"
    TRAINING = "TRAINING"


class Graph:
    """Builds the ONNX graph while walking the trace; symbolic functions call its helpers."""

    def __init__(self, onnx, opset, trace, alt, param_names, fold, input_ids):
        self.onnx = onnx
        self.opset = opset
        self.trace = trace
        self.alt = alt                      # id(tensor) -> shape in the second run (None: static export)
        self.alt_params = {}                # record index -> params of the second run
        self.param_names = param_names      # id(tensor) -> state_dict key
        self.fold = fold
        self.export_params = True           # False: parameters are graph inputs (never baked into constants)
        self.nodes = []
        self.initializers = {}              # name -> ndarray
        self.names = {}                     # id(tensor) -> value name
        self.array_names = {}               # id(ndarray) -> value name
        self.static = set()                 # ids of tensors known at export time (params, constants, folded)
        self.dynamic_values = set()         # value names that depend on a graph input
        self.producer = {}                  # id(tensor) -> (record, output index)
        self.input_ids = input_ids
        self.graph_inputs = []              # tensors that are graph inputs, in order
        self._n = 0
        self.rec = None                     # the record being converted
        self.name_shapes = {}               # value name -> traced shape
        self.poison = {}                    # id(tensor) -> why it has no ONNX value
        self.varying = set()                # ids of constants that change with the input values

    # -- naming -------------------------------------------------------------------------------------
    def fresh(self, base):
        self._n += 1
        return f"{base}_{self._n}"

    def bind(self, t, name):
        self.names[id(t)] = name
        self.array_names[id(t._data)] = name
        self.name_shapes.setdefault(name, tuple(t._data.shape))

    def const(self, value, dtype=None, name=None):
        """An initializer holding value (array or number); returns its name."""
        a = np.asarray(_host(value), dtype=dtype)
        if a.dtype == np.float64 and dtype is None and not isinstance(value, np.ndarray):
            a = a.astype(np.float32)
        name = name or self.fresh("onnx::Constant")
        self.initializers[name] = a if a.flags.c_contiguous else a.copy()
        return name

    def ints(self, values):
        return self.const(np.asarray(list(values), dtype=np.int64))

    def name(self, t):
        """The ONNX value name of tensor t (creating an initializer for a constant)."""
        n = self.names.get(id(t))
        if n is not None:
            return n
        if id(t) in self.poison:
            raise _Unmapped(self.poison[id(t)])
        if id(t) in self.producer and id(t) not in self.static:
            rec, i = self.producer[id(t)]
            raise _Unmapped(f"ember.onnx.export: output {i} of op '{rec.name}' (in module "
                            f"'{rec.module_path}') is used but has no ONNX mapping")
        if id(t) in self.param_names:
            n = self.param_names[id(t)]
            self.initializers[n] = _host(t._data).copy()
            self.static.add(id(t))
            self.bind(t, n)
            return n
        if id(t) in self.varying:
            raise OnnxExporterError(
                f"ember.onnx.export: a tensor of shape {tuple(t._data.shape)} used by op "
                f"'{self.rec.name if self.rec else 'output'}' (in module '{self._path()}') depends on the model's input but was computed "
                f"outside ember's ops (an op "
                f"with no traceable form, or a detour through NumPy / .item()); it cannot be exported")
        a = t._data
        alt = self.alt_shape(t)
        if alt is not None and tuple(alt) != tuple(a.shape):
            # a constant whose shape follows the dynamic axes (e.g. an RNN's zero initial state)
            flat = _host(a).reshape(-1)
            if flat.size == 0 or not (flat == flat[0]).all():
                raise OnnxExporterError(
                    f"ember.onnx.export: a constant tensor of shape {tuple(a.shape)} changes shape with the dynamic "
                    f"axes but is not filled with one value (in module '{self._path()}'): it was computed outside "
                    f"ember's ops (a detour through NumPy / .item()?) and cannot be exported with dynamic axes")
            shape = self.shape_tensor(list(a.shape), list(alt))
            val = self.onnx.numpy_helper.from_array(np.asarray([flat[0]], dtype=a.dtype), name="value")
            n = self.op("ConstantOfShape", [shape], value=val)
            self.dynamic_values.add(n)
        else:
            n = self.const(_host(a).copy())
            self.static.add(id(t))
        self.bind(t, n)
        return n

    def inp(self, i):
        return self.name(self.rec.inputs[i])

    def array_name(self, arr):
        """The value name of a raw array param (where's condition, embedding indices), or a new constant."""
        n = self.array_names.get(id(arr))
        if n is not None:
            return n
        base = arr.base if isinstance(arr, np.ndarray) else None
        while isinstance(base, np.ndarray):
            n = self.array_names.get(id(base))
            if n is not None:
                if self.name_shapes.get(n) == tuple(arr.shape) or arr.ndim >= len(self.name_shapes.get(n, ())):
                    return n  # the same data, or a broadcast of it (ONNX ops broadcast the same way)
                break
            base = base.base
        return self.const(_host(arr).copy())

    def is_dynamic_array(self, arr):
        n = self.array_names.get(id(arr))
        return n is not None and n in self.dynamic_values

    # -- nodes ----------------------------------------------------------------------------------------
    def _path(self):
        return self.rec.module_path if self.rec is not None else ""

    def op(self, op_type, inputs, n_out=1, **attrs):
        """Add a node; returns its output name (or a list of names when n_out > 1)."""
        outs = [self.fresh(f"/{op_type}_output") for _ in range(n_out)]
        path = self._path()
        prefix = "/" + path.replace(".", "/") if path else ""
        node_name = self.fresh(f"{prefix}/{op_type}")
        attrs = {k: v for k, v in attrs.items() if v is not None}
        node = self.onnx.helper.make_node(op_type, list(inputs), outs, name=node_name, **attrs)
        self.nodes.append(node)
        for o in outs:
            self.dynamic_values.add(o)
        return outs[0] if n_out == 1 else outs

    def out(self, i, name):
        """Bind output i of the current record to value name."""
        self.bind(self.rec.outputs[i], name)

    # -- shapes --------------------------------------------------------------------------------------
    def alt_shape(self, t):
        if self.alt is None:
            return None
        return self.alt.get(id(t))

    def shapes(self, t):
        """(shape in the traced run, shape in the second run or the same when static)."""
        s1 = tuple(t._data.shape)
        s2 = self.alt_shape(t)
        return s1, (tuple(s2) if s2 is not None else s1)

    def alt_param(self, k=None):
        """The current record's params in the second run (or the traced ones for a static export)."""
        p = self.alt_params.get(self.rec.index, self.rec.params)
        return p if k is None else p[k]

    def find_dim(self, v1, v2, prefer=()):
        """A value name and axis whose size is v1 in the traced run and v2 in the second one."""
        cands = list(prefer) + list(self.graph_inputs)
        for t in cands:
            s1, s2 = self.shapes(t)
            for i, (a, b) in enumerate(zip(s1, s2)):
                if a == v1 and b == v2:
                    return self.name(t), i
        for rec in self.trace.records[:self.rec.index if self.rec is not None else None]:
            for t in rec.outputs:
                if id(t) not in self.names:
                    continue
                s1, s2 = self.shapes(t)
                for i, (a, b) in enumerate(zip(s1, s2)):
                    if a == v1 and b == v2:
                        return self.names[id(t)], i
        return None

    def dim_value(self, v1, v2, prefer=()):
        """A 1-element int64 tensor holding a dimension that is v1 here and v2 in the second run."""
        if v1 == v2:
            return self.ints([v1])
        src = self.find_dim(v1, v2, prefer)
        if src is None:
            raise OnnxExporterError(
                f"ember.onnx.export: cannot express a size that follows the dynamic axes ({v1} in the trace, "
                f"{v2} in a second trace with other input sizes) for op '{self.rec.name}' in module "
                f"'{self._path()}'")
        name, axis = src
        shp = self.op("Shape", [name])
        return self.op("Gather", [shp, self.ints([axis])], axis=0)

    def shape_tensor(self, dims1, dims2, minus_one=None, copy_from=None, prefer=()):
        """An int64 1-D shape value. Entries equal in both runs are constants; an entry listed in
        ``minus_one`` becomes -1, entries in ``copy_from`` become 0 (Reshape's copy), the rest are
        gathered from the runtime shape of a value with a matching dimension."""
        minus_one = minus_one if minus_one is not None else set()
        copy_from = copy_from if copy_from is not None else set()
        parts = []
        static = True
        for i, (a, b) in enumerate(zip(dims1, dims2)):
            if i in minus_one:
                parts.append(-1)
            elif i in copy_from:
                parts.append(0)
            elif a == b:
                parts.append(int(a))
            else:
                parts.append(self.dim_value(a, b, prefer))
                static = False
        if static:
            return self.ints(parts)
        pieces = []
        buf = []
        for p in parts:
            if isinstance(p, str):
                if buf:
                    pieces.append(self.ints(buf))
                    buf = []
                pieces.append(p)
            else:
                buf.append(p)
        if buf:
            pieces.append(self.ints(buf))
        return self.op("Concat", pieces, axis=0) if len(pieces) > 1 else pieces[0]

    def reshape_shape(self, t, target1, target2=None):
        """The shape input of a Reshape of tensor t to target1 (target2 in the second run)."""
        target1 = tuple(int(s) for s in target1)
        target2 = tuple(int(s) for s in target2) if target2 is not None else target1
        in1, in2 = self.shapes(t)
        if target1 == target2:
            if 0 in target1:
                return self.ints(target1)  # allowzero=0 would copy: stay exact for empty dims
            return self.ints(target1)
        dyn = [i for i in range(len(target1)) if target1[i] != target2[i]]
        copy = {i for i in dyn if i < len(in1) and in1[i] == target1[i] and in2[i] == target2[i]}
        rest = [i for i in dyn if i not in copy]
        minus = set()
        if rest:
            # the entry with no runtime source becomes -1; prefer one that no value matches
            pick = None
            for i in rest:
                if self.find_dim(target1[i], target2[i], (t,)) is None:
                    pick = i
                    break
            minus = {pick if pick is not None else rest[-1]}
        return self.shape_tensor(target1, target2, minus, copy, prefer=(t,))


def _normalize_dynamic_axes(dynamic_axes):
    out = {}
    for name, axes in (dynamic_axes or {}).items():
        if isinstance(axes, dict):
            out[name] = {int(k): str(v) for k, v in axes.items()}
        else:
            out[name] = {int(k): f"{name}_dynamic_axes_{i + 1}" for i, k in enumerate(axes)}
    return out


def _default_names(prefix, n):
    if n == 1:
        return [prefix]
    return [f"{prefix}.{i}" for i in range(n)]


def export(model, args, f, input_names=None, output_names=None, dynamic_axes=None, opset_version=17,
           do_constant_folding=True, export_params=True, verbose=False, training=None,
           keep_initializers_as_inputs=None, **kwargs):
    """Export ``model`` to ONNX by tracing it on ``args`` (torch.onnx.export's TorchScript-based form).

    args: a tensor or a tuple of tensors, possibly nested (``(x, (h0, c0))``; each tensor is one graph
    input, in order); a trailing dict is taken as keyword arguments.
    f: a path or a binary file object. Default names: graph inputs ``input`` (one input) or
    ``input.0``, ``input.1``, ... ; outputs ``output`` or ``output.0``, ``output.1``, ...
    The model runs in eval mode during the export (``training=TrainingMode.TRAINING`` keeps train
    mode, ``PRESERVE`` the current one) and its mode is restored afterwards.
    Parameters and buffers become initializers named by their state_dict keys.
    Returns None. Raises :class:`ember.onnx.errors.UnsupportedOperatorError` for an op with no mapping.
    """
    try:
        import onnx
        import onnx.helper
        import onnx.numpy_helper
        import onnx.checker
    except ImportError as e:  # pragma: no cover - exercised only without the extra
        raise ImportError("ember.onnx.export needs the 'onnx' package: pip install ember[onnx]") from e
    from . import _symbolics
    from ..nn.modules.module import Module

    if kwargs:
        unknown = set(kwargs) - {"operator_export_type", "custom_opsets", "export_modules_as_functions",
                                  "autograd_inlining", "dynamo", "external_data", "report", "verify",
                                  "optimize", "profile", "dump_exported_program", "artifacts_dir", "fallback"}
        if unknown:
            raise TypeError(f"export() got an unexpected keyword argument '{sorted(unknown)[0]}'")
    if opset_version is None:
        opset_version = 17
    if opset_version < 13:
        raise ValueError(f"ember.onnx.export supports opset_version >= 13, got {opset_version}")

    if isinstance(args, Tensor):
        args = (args,)
    args = tuple(args)
    kw = {}
    if args and isinstance(args[-1], dict):
        kw = args[-1]
        args = args[:-1]
    structure = args
    args = tuple(_flatten_args(args))  # nested tuples (an LSTM's (x, (h0, c0))) give one graph input per tensor

    input_names = list(input_names) if input_names else []
    n_in = len(args)
    default_in = _default_names("input", n_in)
    in_names = [input_names[i] if i < len(input_names) else default_in[i] for i in range(n_in)]
    dyn = _normalize_dynamic_axes(dynamic_axes)

    is_module = isinstance(model, Module)
    was_training = model.training if is_module else None
    if is_module:
        if training in (None, TrainingMode.EVAL, False):
            model.train(False)
        elif training in (TrainingMode.TRAINING, True):
            model.train(True)

    IN_EXPORT[0] = True
    try:
        module_names = {}
        param_names = {}
        if is_module:
            for n, m in model.named_modules():
                module_names[id(m)] = n
            for n, p in model.named_parameters(remove_duplicate=False):
                param_names.setdefault(id(p), n)
            for n, b in model.named_buffers(remove_duplicate=False):
                if b is not None:
                    param_names.setdefault(id(b), n)

        nested = any(not isinstance(a, Tensor) for a in structure)
        if nested:
            call = lambda *a: model(*_unflatten_args(structure, iter(a)), **kw)  # noqa: E731
        else:
            call = (lambda *a: model(*a, **kw)) if kw else model
        trace, result = _tracer.run_traced(call, args, module_names)
        dyn_inputs = {i: dyn[n] for i, n in enumerate(in_names) if n in dyn}
        alt, alt_params, varying = _second_run(call, args, dyn_inputs, trace, module_names, result, param_names)

        outputs = _tracer._flatten_tensors(result, [])
        output_names = list(output_names) if output_names else []
        default_out = _default_names("output", len(outputs))
        out_names = [output_names[i] if i < len(output_names) else default_out[i] for i in range(len(outputs))]

        g = Graph(onnx, opset_version, trace, alt, param_names, do_constant_folding, {id(a) for a in args})
        g.alt_params = alt_params
        g.varying = varying
        g.export_params = bool(export_params)
        for a, n in zip(args, in_names):
            if id(a) in g.names:  # the same tensor passed twice
                continue
            g.bind(a, n)
            g.dynamic_values.add(n)
            g.graph_inputs.append(a)

        for rec in trace.records:
            g.rec = rec
            if do_constant_folding and _foldable(g, rec):
                for i, t in enumerate(rec.outputs):
                    g.static.add(id(t))  # materialized as an initializer if anything uses it
                    g.producer[id(t)] = (rec, i)
                continue
            fn = _symbolics.lookup(rec.cls)
            if fn is None:
                raise UnsupportedOperatorError(rec.name, rec.module_path, type(rec.module).__name__)
            try:
                res = fn(g, rec)
            except _Unmapped as e:
                for t in rec.outputs:
                    g.poison[id(t)] = str(e)
                continue
            if res is not None:
                if isinstance(res, str):
                    res = [res]
                for i, n in enumerate(res):
                    if n is not None:
                        g.out(i, n)
            for i, t in enumerate(rec.outputs):
                if id(t) not in g.names:
                    pass  # an output the symbolic did not produce (e.g. unused indices): error on use
                g.producer[id(t)] = (rec, i)
        g.rec = None

        # graph outputs
        out_values = []
        for t, n in zip(outputs, out_names):
            if id(t) not in g.names and id(t) in g.producer:
                rec, _ = g.producer[id(t)]
                raise OnnxExporterError(f"ember.onnx.export: output of op '{rec.name}' is not supported as a model "
                                        f"output")
            try:
                v = g.name(t)
            except _Unmapped as e:
                raise OnnxExporterError(str(e)) from None
            out_values.append((t, v, n))
        _rename_outputs(g, out_values)

        graph = _build_graph(onnx, g, args, in_names, out_values, dyn, export_params, keep_initializers_as_inputs)
        model_proto = onnx.helper.make_model(
            graph, producer_name="ember", producer_version=_version(),
            opset_imports=[onnx.helper.make_opsetid("", opset_version)])
        model_proto.ir_version = min(_IR_FOR_OPSET.get(opset_version, 8), onnx.IR_VERSION)
        if export_params:
            onnx.checker.check_model(model_proto, full_check=True)
        if verbose:
            print(onnx.helper.printable_graph(model_proto.graph))
        data = model_proto.SerializeToString()
        if isinstance(f, (str, os.PathLike)):
            with open(f, "wb") as fh:
                fh.write(data)
        else:
            f.write(data)
    finally:
        IN_EXPORT[0] = False
        if is_module and training != TrainingMode.PRESERVE:
            model.train(was_training)
    return None


def _flatten_args(args):
    for a in args:
        if isinstance(a, Tensor):
            yield a
        elif isinstance(a, (tuple, list)):
            yield from _flatten_args(a)
        else:
            raise TypeError(f"ember.onnx.export: args must be tensors, got {type(a).__name__}")


def _unflatten_args(structure, flat):
    out = []
    for a in structure:
        if isinstance(a, Tensor):
            out.append(next(flat))
        else:
            out.append(type(a)(_unflatten_args(a, flat)))
    return out


def _version():
    from .. import __version__
    return __version__


def _foldable(g, rec):
    if isinstance(rec.cls, _tracer.CustomFunctionOp):
        return False
    for t in rec.inputs:
        if id(t) in g.varying:
            return False
        if id(t) in g.input_ids or id(t) in g.producer and id(t) not in g.static:
            return False
        if id(t) in g.names and g.names[id(t)] in g.dynamic_values:
            return False
        s1, s2 = g.shapes(t)
        if s1 != s2:
            return False
    if _params_reference_dynamic(g, rec.params):
        return False
    return True


def _params_reference_dynamic(g, params):
    for p in params:
        if isinstance(p, np.ndarray):
            if id(p) in g.array_names and g.array_names[id(p)] in g.dynamic_values:
                return True
            b = p.base
            while isinstance(b, np.ndarray):
                if id(b) in g.array_names and g.array_names[id(b)] in g.dynamic_values:
                    return True
                b = b.base
        elif isinstance(p, (tuple, list)):
            if _params_reference_dynamic(g, p):
                return True
    return False


def _perturb_values(t):
    """A copy of t with other values and the same shape (to find constants computed from the input)."""
    from .._tensor import wrap
    a = t._data
    if a.size == 0:
        return t
    if a.dtype.kind == "f":
        return wrap((a * 0.75 + 0.125).astype(a.dtype))
    if a.ndim and a.shape[0] > 1:
        return wrap(a[::-1].copy())  # integers (indices) stay valid when rows are swapped
    return t


def _second_run(call, args, dyn_inputs, trace, module_names, result, param_names):
    """Trace again on inputs grown along the dynamic axes (or, for a static export, with other values).

    Returns (alt shapes by id or None, alt params by record index, ids of constants whose values
    differ between the runs: tensors computed from the input outside ember's dispatch)."""
    static = not dyn_inputs
    sym_delta = {}
    args2 = list(args)
    if static:
        args2 = [_perturb_values(a) for a in args]
    for i, axes in dyn_inputs.items():
        delta = {}
        for ax, sym in axes.items():
            if sym not in sym_delta:
                sym_delta[sym] = len(sym_delta) + 1
            delta[ax] = sym_delta[sym]
        args2[i] = _tracer.perturb(args[i], axes.keys(), delta)
    try:
        trace2, result2 = _tracer.run_traced(call, tuple(args2), module_names)
    except Exception as e:  # the model cannot run on other sizes: export static shapes
        if not static:
            warnings.warn(f"ember.onnx.export: the model failed on inputs with other sizes along the dynamic axes "
                          f"({type(e).__name__}: {e}); exporting the traced shapes")
        return None, {}, set()
    r1, r2 = trace.records, trace2.records
    same = len(r1) == len(r2) and all(a.name == b.name and len(a.inputs) == len(b.inputs) and
                                      len(a.outputs) == len(b.outputs) for a, b in zip(r1, r2))
    if not same:
        if not static:
            warnings.warn("ember.onnx.export: the model runs different ops for other input sizes (shape-dependent "
                          "control flow); exporting the traced graph, which may only work for the traced sizes")
        return None, {}, set()
    alt = {}
    for a, b in zip(args, args2):
        alt[id(a)] = tuple(b._data.shape)
    alt_params = {}
    produced = {id(t) for r in r1 for t in r.outputs}
    arg_ids = {id(a) for a in args}
    varying = set()
    for a, b in zip(r1, r2):
        for t1, t2 in zip(a.inputs, b.inputs):
            alt.setdefault(id(t1), tuple(t2._data.shape))
            if id(t1) in produced or id(t1) in arg_ids or id(t1) in param_names:
                continue
            if t1._data.shape == t2._data.shape and t1 is not t2:
                x1, x2 = _host(t1._data), _host(t2._data)
                if not np.array_equal(x1, x2, equal_nan=x1.dtype.kind in "fc"):
                    varying.add(id(t1))
        for t1, t2 in zip(a.outputs, b.outputs):
            alt[id(t1)] = tuple(t2._data.shape)
        alt_params[a.index] = b.params
    o1, o2 = _tracer._flatten_tensors(result, []), _tracer._flatten_tensors(result2, [])
    for t1, t2 in zip(o1, o2):
        alt.setdefault(id(t1), tuple(t2._data.shape))
    trace.keep.append((trace2, result2))
    return (None if static else alt), (alt_params if not static else {}), varying


def _rename_outputs(g, out_values):
    """Give graph outputs their names: rename the producing node's output, or add an Identity."""
    input_names = {g.names[id(t)] for t in g.graph_inputs}
    produced = {}
    for node in g.nodes:
        for o in node.output:
            produced[o] = node
    seen = set()
    fixed = []
    for t, v, n in out_values:
        if v == n:
            if v in seen:
                v2 = g.op("Identity", [v])
                fixed.append((t, v2, n))
            else:
                fixed.append((t, v, n))
            seen.add(n)
            continue
        if v in produced and v not in seen and v not in input_names:
            for node in g.nodes:
                for i, x in enumerate(node.input):
                    if x == v:
                        node.input[i] = n
                for i, x in enumerate(node.output):
                    if x == v:
                        node.output[i] = n
            del produced[v]
            produced[n] = None
            for tid, name in list(g.names.items()):
                if name == v:
                    g.names[tid] = n
        else:
            ident = g.op("Identity", [v])
            for node in g.nodes:
                if node.output and node.output[0] == ident:
                    node.output[0] = n
        seen.add(n)
        fixed.append((t, n, n))
    out_values[:] = fixed


def _dead_code(g, out_names, input_names):
    """Drop nodes whose outputs nothing uses, and unused initializers."""
    needed = set(out_names)
    keep = []
    for node in reversed(g.nodes):
        if any(o in needed for o in node.output):
            keep.append(node)
            needed.update(x for x in node.input if x)
    keep.reverse()
    g.nodes = keep
    g.initializers = {k: v for k, v in g.initializers.items() if k in needed}


def _value_info(onnx, name, arr_dtype, shape, dims):
    elem = onnx.helper.np_dtype_to_tensor_dtype(np.dtype(arr_dtype))
    shp = [dims.get(i, s) for i, s in enumerate(shape)]
    return onnx.helper.make_tensor_value_info(name, elem, shp)


def _build_graph(onnx, g, args, in_names, out_values, dyn, export_params, keep_inits_as_inputs):
    _dead_code(g, [n for _, _, n in out_values], in_names)
    inputs = []
    for a, n in zip(args, in_names):
        inputs.append(_value_info(onnx, n, a._data.dtype, a._data.shape, dyn.get(n, {})))
    outputs = []
    for t, _, n in out_values:
        dims = dict(dyn.get(n, {}))
        s1, s2 = g.shapes(t)
        for i, (x, y) in enumerate(zip(s1, s2)):
            if x != y and i not in dims:
                dims[i] = f"{n}_dim_{i}"
        outputs.append(_value_info(onnx, n, t._data.dtype, t._data.shape, dims))
    inits = [onnx.numpy_helper.from_array(v, name=k) for k, v in g.initializers.items()]
    param_keys = set(g.param_names.values())
    if not export_params:
        extra = [onnx.helper.make_tensor_value_info(i.name, i.data_type, list(i.dims)) for i in inits
                 if i.name in param_keys]
        inputs += extra
        inits = [i for i in inits if i.name not in param_keys]
    elif keep_inits_as_inputs:
        inputs += [onnx.helper.make_tensor_value_info(i.name, i.data_type, list(i.dims)) for i in inits]
    return onnx.helper.make_graph(g.nodes, "main_graph", inputs, outputs, initializer=inits)
