"""AppTest of the Sequences page: every task builds a run, Play trains and the views follow the
trainer's numbers, Pause holds, presets switch the cell, bad values show a message."""

from __future__ import annotations

import base64
import json
from typing import Any

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from tests.engine_fixtures import wait_for
from tests.page_harness import PAGES, run_ok, status_line, status_step
from ui.controls import check_typed
from ui.sequences_widgets import SEQ, page_preset, seq_values

# The page, then its trainer put where the test can read it (AppTest shares this process).
WRAPPER = f"""
import runpy
import streamlit as st
runpy.run_path({str(PAGES / "sequences.py")!r})
from ui.state import trainer_slot
st.session_state["_trainer"] = trainer_slot("sequences").item
"""
TASKS = ("sine", "copy", "parity", "reverse", "sort", "text")


def _page() -> AppTest:
    at = run_ok(AppTest.from_string(WRAPPER, default_timeout=60))
    assert [t.value for t in at.title] == ["Sequences"]
    return at


def _chart(at: AppTest, key: str) -> dict[str, Any]:
    found = [json.loads(c.proto.spec) for c in at.get("plotly_chart") if key in c.proto.id]
    assert found, f"no chart {key}"
    return found[0]


def _array(value: Any) -> np.ndarray:
    """An array as the chart holds it: plotly sends NumPy arrays as typed base64 blocks."""
    if isinstance(value, dict):  # {"dtype", "bdata", "shape"?}
        flat = np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
        shape = str(value.get("shape", len(flat)))
        return flat.reshape(tuple(int(n) for n in shape.split(",")))
    return np.array([np.nan if v is None else v for v in value], dtype=np.float64)


def _z(fig: dict[str, Any], trace: int = 0) -> np.ndarray:
    return _array(fig["data"][trace]["z"])


def _y(fig: dict[str, Any], trace: int = 0) -> np.ndarray:
    return _array(fig["data"][trace]["y"])


def _has_chart(at: AppTest, key: str) -> bool:
    return any(key in c.proto.id for c in at.get("plotly_chart"))


def test_page_loads_on_the_copy_lstm_and_steps() -> None:
    at = _page()
    assert status_step(at) == 0 and not at.error
    assert at.selectbox(key="seq_preset").value == "seq-copy-lstm"
    assert at.selectbox(key="seq_task").value == "copy"
    at.button(key="seq_step").click().run()
    assert status_step(at) == 1 and "paused" in status_line(at)
    trainer = at.session_state["_trainer"]
    snap = trainer.latest()
    assert snap.step == 1
    # what the views plot is the snapshot's numbers, exactly
    np.testing.assert_array_equal(_z(_chart(at, "seq_hidden")), snap.extra["hidden"])
    gates = _chart(at, "seq_gates")
    assert [t["name"] for t in gates["data"]] == list(snap.extra["gates"])
    for i, g in enumerate(snap.extra["gates"].values()):
        np.testing.assert_array_equal(_z(gates, i), g)
    grad = _y(_chart(at, "seq_grad"))
    g = snap.extra["grad_through_time"].astype(np.float64)
    keep = g > 0
    np.testing.assert_array_equal(grad[keep], g[keep])
    assert np.isnan(grad[~keep]).all()


def test_another_sequence_is_asked_of_the_trainer_when_paused() -> None:
    at = _page()
    at.button(key="seq_step").click().run()
    at.number_input(key="seq_example").set_value(5).run()
    assert not at.exception
    trainer = at.session_state["_trainer"]
    layer = at.selectbox(key="seq_layer").value
    now = trainer.ask("internals", index=5, layer=layer)
    np.testing.assert_array_equal(_z(_chart(at, "seq_hidden")), now["hidden"])
    assert "test sequence 5" in _chart(at, "seq_hidden")["layout"]["title"]["text"]


@pytest.mark.parametrize("task", TASKS)
def test_each_task_builds_a_valid_run(task: str) -> None:
    at = _page()
    at.selectbox(key="seq_task").set_value(task).run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    cfg = at.session_state["playground_session"].pages["sequences"].config
    assert cfg.data.name.value == task and cfg.kind.value == "sequence"
    assert cfg.train.loss.value == ("mse" if task == "sine" else "cross_entropy")
    assert cfg.model.layers[0].kind.value != "embedding" or task != "sine"
    at.button(key="seq_step").click().run()
    assert status_step(at) == 1 and not at.exception
    trainer = at.session_state["_trainer"]
    assert trainer.info.config == cfg
    assert _has_chart(at, "seq_hidden") and _has_chart(at, "seq_grad")


def test_play_trains_the_views_update_and_pause_holds() -> None:
    at = _page()
    at.button(key="seq_step").click().run()
    before = _z(_chart(at, "seq_hidden"))
    at.button(key="seq_play").click().run()
    trainer = at.session_state["_trainer"]
    wait_for(lambda: trainer.latest().step, lambda s: s >= 20, timeout_s=60)
    at.run()  # what a refresh of the live area draws
    assert not at.exception and status_step(at) >= 20
    assert not np.array_equal(_z(_chart(at, "seq_hidden")), before)
    at.button(key="seq_pause").click().run()
    assert "paused" in status_line(at)
    paused_at = status_step(at)
    wait_for(lambda: trainer.latest().step, lambda s: s == paused_at, timeout_s=5)
    at.run()
    assert status_step(at) == paused_at
    at.button(key="seq_reset").click().run()  # back to step 0: the views follow the new run
    assert status_step(at) == 0 and not at.exception
    np.testing.assert_array_equal(_z(_chart(at, "seq_hidden")), trainer.latest().extra["hidden"])


def test_presets_switch_the_recurrent_cell() -> None:
    at = _page()
    at.selectbox(key="seq_preset").set_value("seq-copy-rnn").run()
    assert not at.exception and not at.error
    trainer = at.session_state["_trainer"]
    kinds = [s.kind.value for s in trainer.info.config.model.layers]
    assert "rnn" in kinds and "lstm" not in kinds
    assert not _has_chart(at, "seq_gates")
    assert any("no gates" in c.value for c in at.caption)
    at.selectbox(key="seq_preset").set_value("seq-reverse-attn").run()
    assert not at.exception and not at.error
    at.button(key="seq_step").click().run()
    attention = _chart(at, "seq_attention")
    maps = at.session_state["_trainer"].latest().extra["attention"]
    assert len(attention["data"]) == sum(len(w) for w in maps)
    np.testing.assert_array_equal(_z(attention, 0), maps[0][0])


def test_a_bad_value_shows_a_message_and_keeps_the_run() -> None:
    at = _page()
    last = int(at.number_input(key="seq_n_layers").value) - 1
    at.selectbox(key=f"seq_kind_{last}").set_value("transformer").run()
    at.number_input(key=f"seq_units_{last}").set_value(30).run()
    at.number_input(key=f"seq_heads_{last}").set_value(2).run()
    assert not at.error
    at.button(key="seq_step").click().run()
    assert status_step(at) == 1
    at.number_input(key=f"seq_heads_{last}").set_value(4).run()  # 30 units do not split in 4
    assert not at.exception
    messages = [e.value for e in at.error]
    assert any(m.startswith(f"model.layers[{last}].heads:") and "keeps going" in m
               for m in messages), messages  # fmt: skip
    assert status_step(at) == 1  # the same trainer, not rebuilt


def test_truncated_bptt_is_refused_with_a_transformer() -> None:
    at = _page()
    at.selectbox(key="seq_preset").set_value("seq-reverse-attn").run()
    at.number_input(key="seq_bptt").set_value(5).run()
    assert not at.exception
    assert any(e.value.startswith("seq.bptt:") for e in at.error), [e.value for e in at.error]
    at.number_input(key="seq_bptt").set_value(0).run()
    assert not at.error


def test_each_preset_loads_exactly_and_an_edit_is_flagged() -> None:
    at = _page()
    for name in at.selectbox(key="seq_preset").options:
        at.selectbox(key="seq_preset").set_value(name).run()
        assert not at.exception and not at.error, (name, [e.value for e in at.error])
        cfg = at.session_state["playground_session"].pages["sequences"].config
        assert cfg == page_preset(name) and at.session_state["_trainer"].info.config == cfg
        assert not any(c.value.startswith("Edited") for c in at.caption)
    at.number_input(key="seq_seed").set_value(7).run()
    assert any(c.value.startswith("Edited") for c in at.caption)


@pytest.mark.parametrize("typed", ["fast", "1000", "-0.1"])
def test_a_typed_learning_rate_that_cannot_be_used_is_refused_by_name(typed: str) -> None:
    """The page's check of typed values (AppTest cannot type a new option into a select box)."""
    cfg = page_preset("seq-copy-lstm")
    values = seq_values(cfg)
    restore, messages = check_typed([SEQ["seq_lr"]], cfg, values, values | {"seq_lr": typed})
    assert restore == {"seq_lr": cfg.train.lr}
    allowed = "a value the control offers"
    refused = (
        f"Learning rate: {typed!r} is not allowed (allowed: {allowed}); kept {cfg.train.lr!r}."
    )
    assert messages == [refused]
    assert check_typed([SEQ["seq_lr"]], cfg, values, values | {"seq_lr": "0.02"}) == ({}, [])


def test_text_sample_follows_temperature_and_prompt() -> None:
    at = _page()
    at.selectbox(key="seq_preset").set_value("seq-text-gru").run()
    at.button(key="seq_step").click().run()
    sample = at.session_state["_trainer"]
    at.text_input(key="seq_prompt").set_value("the ").run()
    at.slider(key="seq_temperature").set_value(0.05).run()
    assert not at.exception and not at.warning
    code = [c.value for c in at.code]
    assert len(code) == 1 and code[0].startswith("the ") and len(code[0]) > 40
    assert any("temperature 0.05" in m.value for m in at.markdown)
    at.text_input(key="seq_prompt").set_value("\u263a").run()  # not in the text's alphabet
    assert not at.exception and any("No sample" in w.value for w in at.warning)
    assert sample is at.session_state["_trainer"]  # view settings never rebuild the run


def test_captions_pick_the_most_specific_line() -> None:
    from ui.sequences_captions import CAPTIONS, caption

    assert caption("grad", "copy", "rnn") == CAPTIONS["grad rnn"]
    assert caption("gates", "copy", "lstm") == CAPTIONS["gates lstm copy"]
    assert caption("gates", "text", "lstm") == CAPTIONS["gates lstm"]
    assert caption("hidden", "copy", "transformer") == CAPTIONS["hidden transformer"]
    assert caption("curves", "sine") == CAPTIONS["curves sine"]
    assert caption("attention", "sort") == CAPTIONS["attention"]
