"""Sorting and selection: sort, argsort, topk, kthvalue, unique."""

__all__ = []
TENSOR_METHODS = ""
INPLACE = ""
