"""Explanations: probes, saliency, the backprop trace, diagnostics, image probes."""
