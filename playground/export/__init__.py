"""Export: standalone scripts, ONNX, experiment files."""
