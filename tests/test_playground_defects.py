"""Issue 19 on the Playground page, driven as a user drives it: widget keys and URL links under
AppTest, and the network figure built from real snapshots as the page builds it."""

from __future__ import annotations

import re
import time

import pytest
from streamlit.testing.v1 import AppTest

from playground.choices import WEIGHT_INITS
from playground.config import Init, RunConfig, with_value
from playground.train.snapshot import Status
from playground.train.supervised import supervised_learner
from playground.train.trainer import Trainer
from tests.engine_fixtures import wait_for
from tests.page_harness import playground_app as _app
from tests.page_harness import session_config as _config
from tests.page_harness import shown as _shown
from tests.page_harness import status_line as _status
from tests.page_harness import status_step as _step
from ui.live.payload import decode
from ui.playbar import STEP_UNITS
from ui.urlstate import PAGE_DEFAULT
from ui.views import network_figure
from ui.widgets import LAYER_HELP, PLAYGROUND


def _warnings(at: AppTest) -> list[str]:
    return [_shown(w.value) for w in at.warning]


def _type_into_lr(at: AppTest, text: str) -> AppTest:
    """Type a new option into the learning-rate box: the browser sends the text itself."""
    box = at.selectbox(key="lr")
    box.options.append(text)
    return box.set_value(text).run()


def _trains(at: AppTest) -> None:
    """Play moves the step count on; then pause."""
    before = _step(at)
    at.button(key="play").click().run()
    for _ in range(100):
        time.sleep(0.05)
        at.run()
        if _step(at) > before:
            break
    assert "running" in _status(at) and _step(at) > before, _status(at)
    at.button(key="pause").click().run()


# --- A1: the network picture of a run with several outputs -------------------------------------


OUTPUTS = {
    "regression": ({"data": {"name": "reg-plane"}}, 1),
    "two classes, one score": ({}, 1),
    "two classes, cross-entropy": ({"train": {"loss": "cross_entropy"}}, 2),
    "three classes": ({"data": {"name": "blobs", "n_classes": 3},
                       "train": {"loss": "cross_entropy"}}, 3),
    "three classes, mse": ({"data": {"name": "blobs", "n_classes": 3}}, 3),
    "six classes": ({"data": {"name": "blobs", "n_classes": 6},
                     "train": {"loss": "cross_entropy"}}, 6),
}  # fmt: skip


@pytest.mark.parametrize(("changes", "units"), OUTPUTS.values(), ids=list(OUTPUTS))
def test_the_network_picture_draws_every_output_unit(changes: dict, units: int) -> None:
    cfg = RunConfig.from_dict(
        {"data": {"n_samples": 200} | changes.get("data", {}),
         "train": {"device": "cpu"} | changes.get("train", {})}
    )  # fmt: skip
    trainer = Trainer(cfg, grid_resolution=20)
    try:
        snap = trainer.step(1).snapshot
        assert snap.layers[-1].weights.shape[0] == units
        fig = network_figure(trainer.info, snap, None)  # as the page's network_chart calls it
    finally:
        trainer.close()
    heatmaps = [t for t in fig.data if t.type == "heatmap"]
    counts = [len(trainer.info.feature_names), *(p.weights.shape[0] for p in snap.layers)]
    assert len(heatmaps) == sum(counts) and counts[-1] == units
    (neurons,) = [t for t in fig.data if t.name == "neurons"]
    assert [list(d) for d in neurons.customdata][-units:] == [[len(counts) - 1, i]
                                                              for i in range(units)]  # fmt: skip


def _live_update(at: AppTest) -> dict:
    """The live view's last update on the page, decoded as its JavaScript decodes it."""
    (element,) = [e for e in at.get("bidi_component") if e.proto.id.endswith("live_view")]
    return decode(element.proto.bytes)


def test_the_network_picture_of_three_blobs_on_the_page() -> None:
    at = _app(dataset="blobs", n_classes="3")
    at.button(key="step").click().run()
    assert not at.exception
    assert not [e.value for e in at.error if "view failed" in e.value]
    update = _live_update(at)  # the live view draws the network from this
    assert update["step"] >= 1 and update["layers"][-1] == "output"
    last = len(update["layers"]) - 1
    assert update["arrays"][f"w{last}"].shape[0] == 3  # every output unit
    assert update["arrays"]["grid"].shape[0] == 3


# --- A2: set a weight by hand ------------------------------------------------------------------


def test_the_weight_editor_is_bounded_by_the_layer_sizes() -> None:
    at = _app(layers="5:tanh,3:tanh")
    bounds = {w.key: w.max for w in at.number_input if w.key in ("w_layer", "w_to", "w_from")}
    assert bounds == {"w_layer": 3, "w_to": 5, "w_from": 2}  # 2 inputs -> 5 -> 3 -> 1
    at.number_input(key="w_layer").set_value(2).run()
    assert (at.number_input(key="w_to").max, at.number_input(key="w_from").max) == (3, 5)
    at.number_input(key="w_layer").set_value(3).run()
    assert (at.number_input(key="w_to").max, at.number_input(key="w_from").max) == (1, 3)


def test_an_out_of_range_weight_edit_shows_a_message_and_the_run_trains() -> None:
    at = _app()
    at.number_input(key="w_to").set_value(4).run()
    at.number_input(key="w_layer").set_value(3)  # the output has one neuron; the click
    at.button(key="set_weight").click().run()  # arrives before the page redraws the bounds
    assert not at.exception
    assert any("Could not set that weight: output has neurons 1..1, not 4" in w
               for w in _warnings(at))  # fmt: skip
    assert "failed" not in _status(at)
    assert at.number_input(key="w_to").value == 1
    _trains(at)


# --- A3 and B4: typed values -------------------------------------------------------------------


@pytest.mark.parametrize("text", ["abc", "٣", "1e3", "nan", "1_0", "-0.1"])
def test_a_bad_learning_rate_is_refused_and_the_previous_one_stays(text: str) -> None:
    at = _app()
    before = _config(at)
    _type_into_lr(at, text)
    assert not at.exception
    (message,) = _warnings(at)
    assert message.startswith(f"Learning rate: {text!r} is not allowed")
    assert "1e-07 to 100" in message and "kept 0.03" in message
    assert at.selectbox(key="lr").value == 0.03 and _config(at) == before
    at.run()
    assert not at.exception and not at.warning  # shown once
    _trains(at)


def test_a_typed_learning_rate_that_is_good_applies() -> None:
    at = _type_into_lr(_app(), "0.05")
    assert not at.warning and _config(at).train.lr == 0.05


@pytest.mark.parametrize("text", ["x1 +* oops", "x1*٣", "__import__('os')"])
def test_a_bad_custom_feature_is_refused_and_the_previous_one_stays(text: str) -> None:
    at = _app(custom_features="sin(x1)")
    before = _config(at)
    at.text_input(key="custom_features").set_value(text).run()
    assert not at.exception and not at.error
    (message,) = _warnings(at)
    assert message.startswith(f"Your own features: {text!r} is not allowed (allowed: expressions")
    assert message.endswith("kept 'sin(x1)'.")
    assert at.text_input(key="custom_features").value == "sin(x1)" and _config(at) == before
    _trains(at)


def test_every_number_input_is_bounded() -> None:
    """Streamlit's number inputs refuse values outside their bounds (in the browser and on the
    server), so the typed values to check are the text ones above."""
    at = _app(schedule="cosine", layers="4:tanh,dropout:0.5")
    assert len(at.number_input) >= 12
    unbounded = [w.key for w in at.number_input if w.min is None or w.max is None]
    assert not unbounded


def test_the_learning_rate_help_says_what_a_rate_of_10_does() -> None:
    """Measured: at lr 10 the circle's tanh net saturates and sits at chance without nan; the
    regression plane's loss turns nan within the first epoch."""
    help_text = PLAYGROUND["lr"].help
    assert "explodes" not in help_text and "chance" in help_text and "nan" in help_text
    results = {}
    for name in ("circle", "reg-plane"):
        cfg = with_value(with_value(PAGE_DEFAULT, "data.name", name), "train.lr", 10.0)
        cfg = with_value(cfg, "train.device", "cpu")
        trainer = Trainer(cfg, with_probes=False)
        try:
            snap = trainer.step(5, unit="epoch").snapshot
            results[name] = snap
        finally:
            trainer.close()
    circle, plane = results["circle"], results["reg-plane"]
    assert circle.status == Status.PAUSED and 0.4 <= circle.test_accuracy <= 0.6
    assert plane.status == Status.DIVERGED and plane.epoch <= 1


# --- A4 and B4: bad values in a link -----------------------------------------------------------


def test_a_garbage_custom_feature_in_a_link_is_dropped_and_the_page_trains() -> None:
    at = _app(custom_features="zz((|__import__('os')", dataset="xor", noise="10")
    assert not at.exception and not at.error
    (message,) = _warnings(at)
    assert message.startswith("URL parameter custom_features=\"zz((|__import__('os')\" ignored")
    assert not re.search(r"(?<!\\)__", at.warning[0].value)  # markdown would eat the __
    cfg = _config(at)
    assert cfg.data.custom_features == () and cfg.data.name.value == "xor"
    assert cfg.data.noise == 10
    assert at.text_input(key="custom_features").value == ""
    _trains(at)
    assert not at.warning  # the message was shown once


@pytest.mark.parametrize(
    ("param", "value"),
    [("noise", "٣"), ("lr", "nan"), ("layers", "8:nope"), ("layers", "٣:tanh"),
     ("n_samples", "1_000"), ("dataset", "nope"), ("features", "x1,zz")],
)  # fmt: skip
def test_a_bad_url_value_is_dropped_with_one_message_naming_it(param: str, value: str) -> None:
    at = _app(**{param: value, "seed": "7"})
    assert not at.exception
    (message,) = _warnings(at)
    assert message.startswith(f"URL parameter {param}={value!r} ignored")
    assert _config(at).train.seed == 7  # the rest of the link applies
    assert with_value(_config(at), "train.seed", 0) == PAGE_DEFAULT
    _trains(at)


# --- A6: the numbers shown are those of the model as it is -------------------------------------


def _shown_losses(at: AppTest) -> tuple[float, float]:
    text = next(m.value for m in at.markdown if m.value.startswith("Test loss"))
    test, train = re.findall(r"\*\*([0-9.]+)\*\*", text)[:2]
    return float(test), float(train)


def _replayed_losses(cfg: RunConfig, steps: int, *edits: tuple) -> tuple[float, float]:
    """A fresh learner of the same config, trained the same steps (and edited): its losses."""
    learner = supervised_learner(cfg, with_probes=False)()
    for _ in range(steps):
        learner.train_step()
    for edit in edits:
        learner.set_param(*edit)
    row = learner.evaluate()
    return round(row["test_loss"], 4), round(row["train_loss"], 4)


def test_after_step_pause_and_an_edit_the_losses_are_of_the_model_as_it_is() -> None:
    at = _app(steps_per_s="30")
    cfg = _config(at)
    at.selectbox(key="step_unit").set_value("one batch").run()
    for _ in range(3):
        at.button(key="step").click().run()
    assert _step(at) == 3  # mid-epoch: 25 batches an epoch
    assert _shown_losses(at) == _replayed_losses(cfg, 3)
    at.button(key="play").click().run()
    wait_for(lambda: at.run() and _step(at), lambda s: s > 3, timeout_s=20)
    at.button(key="pause").click().run()
    paused = _step(at)
    assert "paused" in _status(at)
    assert _shown_losses(at) == _replayed_losses(cfg, paused)
    at.number_input(key="w_from").set_value(2)
    at.number_input(key="w_value").set_value(3.0)
    at.button(key="set_weight").click().run()  # layer 1, neuron 1, from x2
    assert _shown_losses(at) == _replayed_losses(cfg, paused, (0, 0, 1, 3.0))
    at.number_input(key="w_from").set_value(0)
    at.button(key="set_weight").click().run()  # its bias
    assert _shown_losses(at) == _replayed_losses(cfg, paused, (0, 0, 1, 3.0), (0, 0, None, 3.0))


# --- C2: Step by epoch or by batch -------------------------------------------------------------


def test_step_takes_one_epoch_by_default_and_one_batch_when_chosen() -> None:
    at = _app()
    assert at.selectbox(key="step_unit").value == "one epoch"
    assert set(at.selectbox(key="step_unit").options) == {f"Step: {u}" for u in STEP_UNITS}
    at.button(key="step").click().run()
    assert (_step(at), "epoch 1" in _status(at)) == (25, True)  # 250 training points, batch 10
    at.selectbox(key="step_unit").set_value("one batch").run()
    at.button(key="step").click().run()
    assert _step(at) == 26
    at.selectbox(key="step_unit").set_value("one epoch").run()
    at.button(key="step").click().run()
    assert _step(at) == 50 and "epoch 2" in _status(at)  # from mid-epoch: to its end


# --- C3: TensorFlow Playground's initialisation ------------------------------------------------


def test_the_page_starts_with_playground_init_and_new_layers_get_it() -> None:
    at = _app()
    cfg = _config(at)
    assert [s.init for s in cfg.model.layers] == [Init.PLAYGROUND, Init.PLAYGROUND]
    assert cfg.train.loss == RunConfig().train.loss == PAGE_DEFAULT.train.loss
    assert not dict(at.query_params)  # the default page needs no URL parameters
    at.number_input(key="n_layers").set_value(3).run()
    assert [s.init for s in _config(at).model.layers] == [Init.PLAYGROUND] * 3
    at.number_input(key="n_layers").set_value(0).run()
    at.number_input(key="n_layers").set_value(1).run()
    assert _config(at).model.layers[0].init == Init.PLAYGROUND


def test_a_hand_written_layer_in_a_link_gets_the_pages_init() -> None:
    at = _app(layers="8:relu,3:tanh:xavier_uniform")
    assert [s.init for s in _config(at).model.layers] == [Init.PLAYGROUND, Init.XAVIER_UNIFORM]
    assert at.selectbox(key="init_0").value == "playground"


def test_the_init_help_says_what_each_init_is() -> None:
    help_text = LAYER_HELP["init"]
    for init in WEIGHT_INITS:
        assert re.search(rf"\b{init.value}\b", help_text), init.value
    assert "U(-0.5, 0.5)" in help_text and "0.1" in help_text
