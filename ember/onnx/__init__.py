"""ember.onnx: export models to ONNX (torch.onnx).

``ember.onnx.export(model, args, f, ...)`` traces the model through ember's single dispatch point
and writes an ONNX graph. The ``onnx`` package (the ``onnx`` extra) is imported only when exporting.
"""
from ._export import export, TrainingMode
from .errors import OnnxExporterError, UnsupportedOperatorError
from . import errors

__all__ = ["export", "TrainingMode", "OnnxExporterError", "UnsupportedOperatorError", "errors", "is_in_onnx_export"]



def is_in_onnx_export():
    """True while ember.onnx.export is tracing a model."""
    from ._export import IN_EXPORT
    return IN_EXPORT[0]
