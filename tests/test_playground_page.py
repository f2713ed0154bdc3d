"""AppTest for the Playground page: controls reach the config and the trainer; URL state."""

from __future__ import annotations

import time

import pytest
from streamlit.testing.v1 import AppTest

from playground.config import RunConfig
from tests.page_harness import playground_app as _app
from tests.page_harness import session_config as _config
from tests.page_harness import status_line as _status
from tests.page_harness import status_step as _step_number
from ui.urlstate import config_from_params, config_to_params
from ui.views import EXTRA_VIEWS
from ui.widgets import EXTRA_VIEW_NAMES


@pytest.fixture
def at():
    app = _app()
    yield app
    app.session_state["playground_session"]  # the trainer is closed by the autouse cache fixture


def test_page_renders_without_exception(at):
    assert not at.exception
    assert "idle" in _status(at) and _step_number(at) == 0
    assert {"play", "pause", "step", "reset", "lr", "dataset"} <= {w.key for w in at.button} | {
        w.key for w in at.selectbox
    } | {w.key for w in at.radio}


@pytest.mark.parametrize(
    ("changes", "check"),
    [
        ([("radio", "dataset", "xor")], lambda c: c.data.name.value == "xor"),
        ([("slider", "noise", 25)], lambda c: c.data.noise == 25),
        ([("slider", "train_ratio", 70)], lambda c: c.data.train_ratio == 0.7),
        ([("slider", "batch_size", 30)], lambda c: c.train.batch_size == 30),
        ([("checkbox", "feat_x1_2", True)], lambda c: "x1^2" in c.data.features),
        ([("number_input", "n_layers", 3)], lambda c: len(c.model.layers) == 3),
        ([("selectbox", "activation", "relu")],
         lambda c: c.model.layers[0].activation.value == "relu"),
        ([("selectbox", "lr", 0.1)], lambda c: c.train.lr == 0.1),
        ([("selectbox", "regularization", "L2"), ("selectbox", "reg_rate", 0.03)],
         lambda c: c.train.l2 == 0.03 and c.train.l1 == 0),
        ([("selectbox", "loss", "bce")], lambda c: c.train.loss.value == "bce"),
        ([("selectbox", "optimizer", "adam")], lambda c: c.train.optimizer.value == "adam"),
        ([("selectbox", "schedule", "cosine")], lambda c: c.train.schedule.value == "cosine"),
        ([("number_input", "seed", 7)], lambda c: c.train.seed == 7),
        ([("number_input", "max_epochs", 5)], lambda c: c.train.max_epochs == 5),
        ([("text_input", "custom_features", "x1*x2^2")],
         lambda c: "x1*x2^2" in c.data.custom_features),
    ],
)  # fmt: skip
def test_every_control_changes_the_config(at, changes, check):
    for kind, key, value in changes:
        getattr(at, kind)(key=key).set_value(value)
    at.run()
    assert not at.exception
    assert check(_config(at))


def test_regularization_rate_applies_to_chosen_penalty(at):
    at.selectbox(key="regularization").set_value("L1")
    at.selectbox(key="reg_rate").set_value(0.01)
    at.run()
    cfg = _config(at)
    assert cfg.train.l1 == 0.01 and cfg.train.l2 == 0


def test_bad_expression_shows_message_and_keeps_run(at):
    before = _config(at)
    at.text_input(key="custom_features").set_value("x1 +* oops").run()
    assert not at.exception
    assert any("Your own features" in w.value and "expressions" in w.value for w in at.warning)
    assert _config(at) == before and at.text_input(key="custom_features").value == ""


def test_buttons_reach_the_trainer(at):
    at.selectbox(key="step_unit").set_value("one batch").run()
    at.button(key="step").click().run()
    assert _step_number(at) == 1 and "paused" in _status(at)
    at.button(key="play").click().run()
    assert "running" in _status(at)
    at.button(key="pause").click().run()
    assert "paused" in _status(at)
    assert _step_number(at) >= 1
    at.button(key="reset").click().run()
    assert _step_number(at) == 0


def test_lr_change_while_running_reaches_trainer(at):
    at.button(key="play").click().run()
    at.selectbox(key="lr").set_value(0.3).run()
    assert "lr 0.3" in _status(at)
    at.button(key="pause").click().run()


def test_url_reproduces_setup():
    cfg = RunConfig.from_dict(
        {"data": {"name": "spiral", "noise": 10, "seed": 3}, "train": {"lr": 0.1, "seed": 5},
         "model": {"layers": [{"units": 6, "activation": "relu"}]}}
    )  # fmt: skip
    params = config_to_params(cfg)
    at = _app(**params)
    assert not at.exception
    assert _config(at) == cfg
    assert at.radio(key="dataset").value == "spiral"
    assert at.selectbox(key="lr").value == 0.1


def test_url_round_trip_is_exact_for_presets():
    from playground.choices import ModelKind
    from playground.presets import PRESETS

    for _, cfg in PRESETS.values():
        if cfg.kind != ModelKind.SUPERVISED or cfg.sections != RunConfig().sections:
            continue  # other kinds, augmentation and transfer have pages of their own
        back, errors = config_from_params(config_to_params(cfg))
        assert not errors and back == cfg


def test_bad_url_value_is_reported_not_fatal():
    at = _app(noise="99", lr="abc")
    assert not at.exception
    assert any("noise" in w.value for w in at.warning)
    assert _config(at).data.noise == 0


def test_hidden_controls_stay_hidden():
    at = _app(lr_hide="true", dataset_hide="true", reset_hide="true")
    assert not at.exception
    assert "lr" not in {w.key for w in at.selectbox}
    assert "dataset" not in {w.key for w in at.radio}
    assert "reset" not in {b.key for b in at.button}
    assert "play" in {b.key for b in at.button}


def test_divergence_shows_message_and_keeps_weights():
    at = _app(lr="10", dataset="reg-plane", layers="8:relu,8:relu")
    for _ in range(3):
        at.button(key="step").click().run()
    at.button(key="play").click().run()
    for _ in range(50):
        time.sleep(0.1)
        at.run()
        if "diverged" in _status(at):
            break
    assert "diverged" in _status(at)
    assert any("Restored the last good weights" in e.value for e in at.error)


def _assert_view_ok(at: AppTest) -> None:
    """No exception, and no view that `guarded` turned into an error message."""
    assert not at.exception, [e.value for e in at.exception]
    failed = [e.value for e in at.error if "view failed" in e.value]
    assert not failed, failed


@pytest.mark.parametrize("view", list(EXTRA_VIEWS))
def test_every_extra_view_renders(at, view):
    at.button(key="step").click().run()
    at.selectbox(key="extra_view").set_value(view).run()
    _assert_view_ok(at)


@pytest.mark.parametrize("view", list(EXTRA_VIEWS))
def test_a_failing_extra_view_is_caught_by_the_check(at, view, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("broken on purpose")

    monkeypatch.setitem(EXTRA_VIEWS, view, broken)
    at.button(key="step").click().run()
    at.selectbox(key="extra_view").set_value(view).run()
    assert any("broken on purpose" in e.value for e in at.error)  # guarded kept the page up
    with pytest.raises(AssertionError, match="broken on purpose"):
        _assert_view_ok(at)


def test_the_view_menu_lists_every_extra_view():
    assert EXTRA_VIEW_NAMES == tuple(EXTRA_VIEWS)


def test_scale_legend_names_the_colours_of_the_output() -> None:
    from playground.figures.theme import NEGATIVE, POSITIVE, class_color
    from ui.views import scale_legend

    binary = scale_legend("classification", 1)
    assert NEGATIVE in binary and POSITIVE in binary and "output" in binary
    assert "prediction" in scale_legend("regression", 1)
    three = scale_legend("classification", 3)
    assert all(class_color(c) in three for c in range(3)) and class_color(3) not in three
