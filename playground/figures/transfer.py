"""Figures of transfer learning and data augmentation: the fine-tuned against the from-scratch
accuracy, the plain against the shifted test accuracy."""

from __future__ import annotations

import plotly.graph_objects as go

from playground.figures.curves import History, _curves
from playground.figures.theme import NEGATIVE, POSITIVE


def _accuracy(fig: go.Figure) -> go.Figure:
    fig.update_yaxes(range=[0.0, 1.02], tickformat=".0%")
    return fig


def transfer_curves(history: History) -> go.Figure:
    """Test accuracy on digits 5-9 of the fine-tuned network and of its from-scratch twin."""
    series = [
        ("fine-tuned", "test_accuracy", POSITIVE, "solid"),
        ("from scratch", "scratch_test_accuracy", NEGATIVE, "solid"),
        ("fine-tuned, train", "train_accuracy", POSITIVE, "dot"),
    ]
    title = "Test accuracy on 5-9"
    return _accuracy(_curves(history, series, title, "accuracy", False, 0))


def shifted_curves(history: History) -> go.Figure:
    """Test accuracy on the plain test set and on the shifted one."""
    series = [
        ("plain test set", "test_accuracy", POSITIVE, "solid"),
        ("shifted test set", "shifted_test_accuracy", NEGATIVE, "solid"),
    ]
    return _accuracy(_curves(history, series, "Plain vs shifted test", "accuracy", False, 0))
