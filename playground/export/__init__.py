"""Export a run: codegen (a standalone PyTorch script), onnx, experiment (.nnpg files)."""
