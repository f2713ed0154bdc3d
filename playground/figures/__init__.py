"""Plotly figure builders: pure functions from arrays to go.Figure, one module per kind of chart."""
