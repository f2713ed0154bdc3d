"""AppTest of the Images page, and the drawing's downsampling against the way digits were made."""

from __future__ import annotations

import re
from collections.abc import Iterator

import numpy as np
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

# Import the package before AppTest puts app_pages/ on sys.path.
from playground.explain.saliency import METHODS
from ui.drawing import downsample_drawing
from ui.state import SaliencyResult

PAGE = "app_pages/images.py"
TIMEOUT_S = 60


@pytest.fixture(autouse=True)
def _release_trainers() -> Iterator[None]:
    """Session-scoped trainers leak between AppTests: clearing runs on_release (closes them)."""
    st.cache_resource.clear()
    yield
    st.cache_resource.clear()


def _page() -> AppTest:
    at = AppTest.from_file(f"../{PAGE}", default_timeout=TIMEOUT_S).run()
    assert not at.exception
    assert [t.value for t in at.title] == ["Images & saliency"]  # compiled and drawn
    return at


def _status(at: AppTest) -> str:
    return next(m.value for m in at.markdown if re.search(r"· step \d+ ·", m.value))


def _step(at: AppTest) -> int:
    return int(re.search(r"step (\d+)", _status(at)).group(1))


def _saliency(at: AppTest) -> SaliencyResult:
    at.button(key="img_saliency").click().run()
    assert not at.exception
    return at.session_state["playground_session"].images.saliency


def test_renders_and_buttons_reach_the_trainer() -> None:
    at = _page()
    assert _step(at) == 0 and not at.error
    assert any(m.value.startswith("**Per-class test accuracy**") for m in at.markdown)
    at.button(key="img_step").click().run()
    assert _step(at) == 1 and "paused" in _status(at)
    at.button(key="img_step").click().run()
    assert _step(at) == 2
    at.button(key="img_reset").click().run()
    assert _step(at) == 0
    at.button(key="img_play").click().run()
    at.button(key="img_pause").click().run()
    assert "paused" in _status(at) and not at.exception


def test_switching_model_rebuilds_and_saliency_runs_on_both() -> None:
    at = _page()
    result = _saliency(at)
    assert list(result.maps) == list(at.multiselect(key="img_methods").value)
    assert not result.errors and all(m.shape == (8, 8) for m in result.maps.values())
    at.button(key="img_step").click().run()
    assert _step(at) == 1

    at.radio(key="img_model").set_value("CNN").run()
    assert not at.exception and _step(at) == 0  # a new trainer for the new model
    assert at.number_input(key="img_n_layers").value == 5
    assert "gradcam" in at.multiselect(key="img_methods").value
    result = _saliency(at)
    assert "gradcam" in result.maps and not result.errors
    assert all(np.isfinite(m).all() for m in result.maps.values())

    at.radio(key="img_model").set_value("MLP").run()
    methods = at.multiselect(key="img_methods").value
    assert not at.exception and not any(METHODS[m].needs_conv for m in methods)


def test_bad_layer_config_shows_an_error_and_keeps_the_run() -> None:
    at = _page()
    at.number_input(key="img_n_layers").set_value(2).run()
    at.button(key="img_step").click().run()
    assert _step(at) == 1
    at.selectbox(key="img_kind_1").set_value("conv2d").run()  # a conv after a dense layer
    assert not at.exception
    assert any("keeps going" in e.value for e in at.error)
    assert _step(at) == 1  # the same trainer, not rebuilt


def _canvas(bitmap: np.ndarray, scale: int) -> np.ndarray:
    """Black opaque ink on a transparent canvas, each bitmap pixel a scale x scale square."""
    ink = np.kron(bitmap.astype(np.uint8), np.ones((scale, scale), dtype=np.uint8))
    rgba = np.zeros((*ink.shape, 4), dtype=np.uint8)
    rgba[..., 3] = ink * 255
    return rgba


def test_drawing_is_counted_in_4x4_blocks_like_the_digits() -> None:
    rng = np.random.default_rng(0)
    bitmap = rng.random((32, 32)) < 0.4
    bitmap[[0, -1], :] = True  # the ink spans the whole box, so no cropping or padding applies
    bitmap[:, [0, -1]] = True
    got = downsample_drawing(_canvas(bitmap, 6))
    expected = bitmap.reshape(8, 4, 8, 4).sum(axis=(1, 3)) / 16.0
    np.testing.assert_allclose(got, expected)


def test_drawing_is_centred_with_its_aspect_kept_and_blank_is_none() -> None:
    tall = np.zeros((200, 300), dtype=bool)
    tall[20:180, 10:50] = True  # a '1'-like bar, 4 times taller than wide, off to the left
    got = downsample_drawing(_canvas(tall, 1))
    assert got is not None and got.shape == (8, 8)
    np.testing.assert_allclose(got[:, 3:5], 1.0)  # centred, full height
    np.testing.assert_allclose(np.delete(got, [3, 4], axis=1), 0.0)
    assert downsample_drawing(np.zeros((50, 50, 4), dtype=np.uint8)) is None
