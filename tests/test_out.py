"""out=: every function that takes it writes its result into out and returns out, as torch does."""
import inspect
import re
import warnings

import numpy as np
import pytest

import ember
import ember.linalg
import ember.nn.functional
import ember.special
from tests.helpers import needs_torch, torch, assert_close, raises_like

RNG = np.random.default_rng(0)
A = RNG.standard_normal((3, 4)).astype(np.float32)
SQ = (RNG.standard_normal((3, 3)) + 3 * np.eye(3)).astype(np.float32)


def _public_functions_with_out():
    for mod in (ember, ember.linalg, ember.special, ember.nn.functional):
        for name in dir(mod):
            f = getattr(mod, name)
            if name.startswith("_") or not callable(f) or isinstance(f, type):
                continue
            try:
                if "out" in inspect.signature(f).parameters:
                    yield f"{mod.__name__}.{name}", f
            except (TypeError, ValueError):
                continue


def test_no_function_ignores_out():
    """A function that accepts out= must use it: wrapped by with_out, or handling it in its body."""
    ignored = []
    for qualname, f in _public_functions_with_out():
        if hasattr(f, "__wrapped__"):
            continue
        lines = inspect.getsource(f).split("\n")
        i = 0
        while not lines[i].rstrip().endswith(":"):
            i += 1
        if not re.search(r"\bout\b", "\n".join(lines[i + 1:])):
            ignored.append(qualname)
    assert ignored == []


# (name, call under a module m, the out argument to pass, built per module)
CASES = [
    ("sum dim", lambda m, o: m.sum(m.tensor(A), 1, out=o), lambda m: m.empty(3)),
    ("mean dim", lambda m, o: m.mean(m.tensor(A), 0, out=o), lambda m: m.empty(4)),
    ("prod", lambda m, o: m.prod(m.tensor(A), 1, out=o), lambda m: m.empty(3)),
    ("cumsum", lambda m, o: m.cumsum(m.tensor(A), 1, out=o), lambda m: m.empty(3, 4)),
    ("logsumexp", lambda m, o: m.logsumexp(m.tensor(A), 1, out=o), lambda m: m.empty(3)),
    ("max dim", lambda m, o: m.max(m.tensor(A), 1, out=o), lambda m: (m.empty(3), m.empty(3, dtype=m.int64))),
    ("sort", lambda m, o: m.sort(m.tensor(A), 1, out=o), lambda m: (m.empty(3, 4), m.empty(3, 4, dtype=m.int64))),
    ("cat", lambda m, o: m.cat([m.tensor(A), m.tensor(A)], out=o), lambda m: m.empty(6, 4)),
    ("stack", lambda m, o: m.stack([m.tensor(A), m.tensor(A)], out=o), lambda m: m.empty(2, 3, 4)),
    ("tril", lambda m, o: m.tril(m.tensor(A), out=o), lambda m: m.empty(3, 4)),
    ("matmul", lambda m, o: m.matmul(m.tensor(A), m.tensor(A.T), out=o), lambda m: m.empty(3, 3)),
    ("mm", lambda m, o: m.mm(m.tensor(A), m.tensor(A.T), out=o), lambda m: m.empty(3, 3)),
    ("addmm", lambda m, o: m.addmm(m.tensor(SQ), m.tensor(A), m.tensor(A.T), out=o), lambda m: m.empty(3, 3)),
    ("zeros", lambda m, o: m.zeros(2, 3, out=o), lambda m: m.empty(2, 3)),
    ("arange", lambda m, o: m.arange(5, out=o), lambda m: m.empty(5, dtype=m.int64)),
    ("linspace", lambda m, o: m.linspace(0, 1, 5, out=o), lambda m: m.empty(5)),
    ("searchsorted", lambda m, o: m.searchsorted(m.tensor([1.0, 2.0, 3.0]), m.tensor([2.5]), out=o),
     lambda m: m.empty(1, dtype=m.int64)),
    ("linalg.inv", lambda m, o: m.linalg.inv(m.tensor(SQ), out=o), lambda m: m.empty(3, 3)),
    ("linalg.det", lambda m, o: m.linalg.det(m.tensor(SQ), out=o), lambda m: m.empty(())),
    ("linalg.vector_norm", lambda m, o: m.linalg.vector_norm(m.tensor(A), dim=1, out=o), lambda m: m.empty(3)),
    ("linalg.slogdet", lambda m, o: m.linalg.slogdet(m.tensor(SQ), out=o), lambda m: (m.empty(()), m.empty(()))),
    ("normalize", lambda m, o: m.nn.functional.normalize(m.tensor(A), out=o), lambda m: m.empty(3, 4)),
]


@needs_torch
@pytest.mark.parametrize("name,call,make_out", CASES, ids=[c[0] for c in CASES])
def test_out_is_written_and_returned_like_torch(name, call, make_out):
    eo, to = make_out(ember), make_out(torch)
    er, tr = call(ember, eo), call(torch, to)
    if isinstance(to, tuple):
        assert type(er).__name__.replace("_out", "") == type(tr).__name__.replace("_out", "")
        for e_part, eo_part, t_part in zip(er, eo, to):
            assert e_part is eo_part
            assert_close(eo_part, t_part, rtol=1e-5, atol=1e-5)
    else:
        assert er is eo
        assert_close(eo, to, rtol=1e-5, atol=1e-5)


@needs_torch
def test_out_resize_warning_and_errors_like_torch():
    for m in (ember, torch):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            o = m.empty(7)
            m.sum(m.tensor(A), 1, out=o)
        assert tuple(o.shape) == (3,)
        assert "An output with one or more elements was resized" in str(caught[0].message)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # an empty out is resized without a warning
        o = ember.empty(0)
        ember.cat([ember.tensor(A)], out=o)
        assert tuple(o.shape) == (3, 4)
    raises_like(lambda: torch.sum(torch.tensor(A, requires_grad=True), 1, out=torch.empty(3)),
                lambda: ember.sum(ember.tensor(A, requires_grad=True), 1, out=ember.empty(3)))
    raises_like(lambda: torch.cat([torch.tensor(A, requires_grad=True)], out=torch.empty(3, 4)),
                lambda: ember.cat([ember.tensor(A, requires_grad=True)], out=ember.empty(3, 4)))
