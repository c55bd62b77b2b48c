"""Named result tuples of the reductions and sorts (torch.return_types): ``values, indices = x.max(0)``."""

__all__ = ["max", "min", "sort", "topk", "kthvalue", "median", "nanmedian", "mode", "cummax", "cummin",
           "aminmax"]


class _ReturnType(tuple):
    """A tuple whose fields also read by name; prints like torch's structseq."""
    __slots__ = ()
    _fields = ()

    def __new__(cls, seq):
        seq = tuple(seq)
        if len(seq) != len(cls._fields):
            raise TypeError(f"{cls.__module__}.{cls.__name__} takes a {len(cls._fields)}-sequence "
                            f"({len(seq)}-sequence given)")
        return tuple.__new__(cls, seq)

    @property
    def n_fields(self):
        return len(self._fields)

    def __repr__(self):
        body = ",\n".join(f"{f}={v!r}" for f, v in zip(self._fields, self))
        return f"{type(self).__module__}.{type(self).__name__}(\n{body})"

    def __reduce__(self):
        return (type(self), (tuple(self),))


def _make(name, fields):
    cls = type(name, (_ReturnType,), {"__slots__": (), "_fields": fields, "__module__": "ember.return_types"})
    for i, f in enumerate(fields):
        setattr(cls, f, property(lambda self, i=i: tuple.__getitem__(self, i)))
    return cls


_VI = ("values", "indices")
max = _make("max", _VI)
min = _make("min", _VI)
sort = _make("sort", _VI)
topk = _make("topk", _VI)
kthvalue = _make("kthvalue", _VI)
median = _make("median", _VI)
nanmedian = _make("nanmedian", _VI)
mode = _make("mode", _VI)
cummax = _make("cummax", _VI)
cummin = _make("cummin", _VI)
aminmax = _make("aminmax", ("min", "max"))
