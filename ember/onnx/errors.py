"""Exceptions of ember.onnx (torch.onnx.errors)."""


class OnnxExporterError(RuntimeError):
    """Errors raised by the ONNX exporter."""


class UnsupportedOperatorError(OnnxExporterError):
    """An op recorded while tracing has no ONNX mapping; names the op and the module it ran in."""

    def __init__(self, op_name, module_path="", module_type=None):
        self.op_name = op_name
        self.module_path = module_path
        where = f"in module '{module_path}'" if module_path else "in the top-level module"
        if module_type:
            where += f" ({module_type})"
        super().__init__(f"ember.onnx.export: no ONNX mapping for op '{op_name}' ({where})")
