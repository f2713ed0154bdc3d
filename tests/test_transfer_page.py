"""AppTest of the Images page's transfer-learning and augmentation controls."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
import streamlit as st
import torch
from streamlit.testing.v1 import AppTest

from playground.config import ConfigError  # noqa: F401 - import the package before AppTest

PAGE = "app_pages/images.py"


@pytest.fixture(autouse=True)
def _release_trainers() -> Iterator[None]:
    st.cache_resource.clear()
    yield
    st.cache_resource.clear()


def _page() -> AppTest:
    at = AppTest.from_file(f"../{PAGE}", default_timeout=120).run()
    assert not at.exception and not at.error
    return at


def _images(at: AppTest):
    return at.session_state["playground_session"].images


def _step(at: AppTest) -> int:
    status = next(m.value for m in at.markdown if re.search(r"· step \d+ ·", m.value))
    return int(re.search(r"step (\d+)", status).group(1))


def _captions(at: AppTest) -> str:
    return " ".join(c.value for c in at.caption)


def test_freeze_toggles_keep_a_layer_bit_identical_and_start_from_kept_weights() -> None:
    at = _page()
    at.toggle(key="img_freeze_0").set_value(True).run()
    assert _images(at).config.transfer.frozen == (0,)
    at.button(key="img_keep").click().run()  # kept at step 0: and the next run starts from it
    label = at.selectbox(key="img_start").value
    assert label.startswith("kept run 1 (step 0")
    assert _images(at).config.transfer.start_from == label
    for _ in range(3):
        at.button(key="img_step").click().run()
    assert _step(at) == 3 and not at.exception and not at.error
    at.button(key="img_keep").click().run()
    starts = list(_images(at).starts.values())
    before, after = starts[0], starts[1]
    assert torch.equal(after["1.weight"], before["1.weight"])  # dense 1: frozen
    assert torch.equal(after["1.bias"], before["1.bias"])
    assert not torch.equal(after["3.weight"], before["3.weight"])  # the output layer trained
    assert _step(at) == 0  # the second keep started a new run from its weights


def test_weights_that_do_not_fit_are_refused_naming_the_field() -> None:
    at = _page()
    _images(at).starts["odd"] = {"1.weight": torch.zeros(3, 3)}
    at.run()  # the options now offer it
    at.selectbox(key="img_start").set_value("odd").run()
    assert any("transfer.start_from:" in e.value for e in at.error)
    at.selectbox(key="img_start").set_value("fresh weights").run()
    assert not at.error and _step(at) == 0


def test_augmentation_sliders_strip_and_shifted_test_curve() -> None:
    at = _page()
    assert "Every strength is 0" in _captions(at)
    assert _images(at).config.augment.test_shift == 1.0  # the page measures a shifted test set
    at.slider(key="img_aug_shift").set_value(1.5).run()
    at.slider(key="img_aug_rotate").set_value(20.0).run()
    at.slider(key="img_aug_noise").set_value(0.1).run()
    aug = _images(at).config.augment
    assert (aug.shift, aug.rotate, aug.noise, aug.test_shift) == (1.5, 20.0, 0.1, 1.0)
    assert "as training might see it" in _captions(at)
    strips = [e.proto.imgs for e in at.get("image") if e.proto.imgs[0].caption == "original"]
    assert [len(imgs) for imgs in strips] == [8]  # the original and 7 augmented versions
    at.button(key="img_step").click().run()
    assert not at.exception and "The gap between the curves" in _captions(at)


def test_the_demonstration_shows_both_curves() -> None:
    at = _page()
    at.toggle(key="img_tr_demo").set_value(True).run()
    at.number_input(key="img_tr_pretrain").set_value(30).run()
    at.number_input(key="img_tr_per_class").set_value(3).run()
    tr = _images(at).config.transfer
    assert tr.demo and (tr.pretrain_steps, tr.per_class) == (30, 3)
    at.button(key="img_step").click().run()
    assert not at.exception and not at.error
    captions = _captions(at)
    assert "Now: fine-tuned" in captions and "with 3 labelled examples" in captions
