"""The declarative control tables: widget values, the config built from them, and the URL, all
from one row per control (ui/controls.py, ui/widgets.py, ui/images_widgets.py, ui/urlstate.py)."""

from __future__ import annotations

import dataclasses

import pytest

from playground.config import RunConfig, with_value
from playground.presets import PRESETS, get_preset
from ui.controls import config_from_widgets, read, widget_values
from ui.images_widgets import IMAGES, images_values, initial_config
from ui.urlstate import PAGE_DEFAULT, UI_PARAMS, config_from_params, config_to_params, url_rows
from ui.widgets import PLAYGROUND, playground_values, view_defaults

TWO_D = [name for name, (_, cfg) in PRESETS.items() if cfg.data.is_2d]


def test_every_data_and_train_field_has_one_url_row() -> None:
    fields = {
        f"{section}.{f.name}"
        for section in ("data", "train")
        for f in dataclasses.fields(getattr(RunConfig(), section))
    }
    paths = [c.path for c in url_rows()]
    assert len(paths) == len(set(paths))
    assert fields | {"model.layers", "model.output_activation"} == set(paths)
    names = [c.url_name for c in url_rows()]
    assert len(names) == len(set(names))


def test_url_names_are_the_widget_keys_unless_renamed() -> None:
    assert {c.url_name: c.path for c in url_rows()}.items() >= {
        "dataset": "data.name", "data_seed": "data.seed", "seed": "train.seed",
        "steps_per_s": "train.steps_per_s", "features": "data.features", "lr": "train.lr",
    }.items()  # fmt: skip
    assert UI_PARAMS == ("show_test", "discretize")


def _owned_paths() -> list[str]:
    """Config fields the Playground's widgets set (directly, or through a row's put)."""
    direct = [c.path for c in PLAYGROUND.values() if c.kind and c.path]
    return [*direct, "train.l1", "train.l2", "model.layers"]


@pytest.mark.parametrize("name", TWO_D)
def test_playground_widgets_reproduce_a_preset(name: str) -> None:
    cfg = get_preset(name)
    values = playground_values(cfg) | view_defaults()
    assert config_from_widgets(PLAYGROUND, cfg, values) == cfg
    back = config_from_widgets(PLAYGROUND, RunConfig(), values)  # from defaults: widgets write
    for path in _owned_paths():
        assert read(back, path) == read(cfg, path), path


def test_regularization_widgets_write_the_chosen_penalty() -> None:
    values = playground_values(RunConfig()) | {"regularization": "L2", "reg_rate": 0.03}
    cfg = config_from_widgets(PLAYGROUND, RunConfig(), values)
    assert (cfg.train.l1, cfg.train.l2) == (0.0, 0.03)
    assert widget_values(PLAYGROUND, cfg)["regularization"] == "L2"
    values["regularization"] = "L1"
    assert config_from_widgets(PLAYGROUND, RunConfig(), values).train.l1 == 0.03


def test_n_classes_applies_only_to_spiral_and_blobs() -> None:
    values = playground_values(RunConfig()) | {"n_classes": 4}
    assert config_from_widgets(PLAYGROUND, RunConfig(), values).data.n_classes == 2
    values["dataset"] = "blobs"
    assert config_from_widgets(PLAYGROUND, RunConfig(), values).data.n_classes == 4


def test_widget_scale_differs_from_the_config_scale() -> None:
    cfg = with_value(PAGE_DEFAULT, "data.train_ratio", 0.7)
    assert playground_values(cfg)["train_ratio"] == 70
    assert config_to_params(cfg) == {"train_ratio": "0.7"}  # the URL holds the config value
    assert config_from_params({"train_ratio": "0.7"})[0] == cfg


@pytest.mark.parametrize("cfg", [initial_config(), get_preset("digits-cnn")], ids=["mlp", "cnn"])
def test_images_widgets_reproduce_their_config(cfg: RunConfig) -> None:
    values = images_values(cfg)
    assert values["img_model"] == ("CNN" if cfg.model.layers[0].kind.value == "conv2d" else "MLP")
    assert config_from_widgets(IMAGES, cfg, values) == cfg
    changed = values | {"img_lr": 0.3, "img_batch": 17, "img_epochs": 3}
    t = config_from_widgets(IMAGES, cfg, changed).train
    assert (t.lr, t.batch_size, t.max_epochs) == (0.3, 17, 3)
