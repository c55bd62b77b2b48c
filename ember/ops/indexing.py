"""Indexing: getitem/setitem, gather/scatter, index_select/index_add, masked ops, nonzero."""

__all__ = []
TENSOR_METHODS = ""
INPLACE = ""
