"""One sweep of garbage over every input surface of the pages (issue 19, D).

For each case: no traceback on the page, one clear message naming the control or field, the
previous run and its data untouched, and (on the training pages) Play still trains. The cases
drive the pages as a user does: typed values, link parameters, uploads and a drawing.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from streamlit.testing.v1 import AppTest

from tests.page_harness import APP, page_app
from tests.page_harness import shown as _shown
from tests.page_harness import status_line as _status
from tests.page_harness import status_step as _step

GOOD_JSON_HEAD = '{"data": {"name": "circle"}, "train": {"lr": '


@dataclass(frozen=True)
class Case:
    """Garbage for one surface: what to do, and words the one message must hold."""

    act: Callable[[AppTest], object]
    words: tuple[str, ...]


def _messages(at: AppTest) -> list[str]:
    return [_shown(m.value) for m in (*at.error, *at.warning)]


def _no_traceback(at: AppTest) -> None:
    assert not at.exception, at.exception
    texts = [m.value for m in (*at.markdown, *at.error, *at.warning, *at.code)]
    assert not any("Traceback (most recent call last)" in t for t in texts)


def _trains(at: AppTest, play: str) -> None:
    """Play moves the step count on; then pause."""
    before = _step(at)
    at.button(key=play).click().run()
    for _ in range(200):
        time.sleep(0.05)
        at.run()
        if _step(at) > before:
            break
    assert _step(at) > before, _status(at)
    at.button(key=play.replace("play", "pause")).click().run()


def _type_option(key: str, text: str) -> Callable[[AppTest], object]:
    """Type a new option into a selectbox that accepts typed values."""

    def act(at: AppTest) -> object:
        box = at.selectbox(key=key)
        box.options.append(text)
        return box.set_value(text).run()

    return act


def _text(key: str, text: str) -> Callable[[AppTest], object]:
    return lambda at: at.text_input(key=key).set_value(text).run()


def _upload(key: str, name: str, data: bytes, mime: str) -> Callable[[AppTest], object]:
    return lambda at: at.file_uploader(key=key).set_value((name, data, mime)).run()


# ---- the Playground page: typed values and uploads ---------------------------------------------

PLAYGROUND: dict[str, Case] = {
    **{f"lr {t!r}": Case(_type_option("lr", t), ("Learning rate", repr(t)))
       for t in ("abc", "٣", "1e3", "nan", "-0.1", "", "0x10", "1" * 60)},
    **{f"custom_features {t!r}": Case(_text("custom_features", t), ("Your own features",))
       for t in ("x1 +* oops", "__import__('os')", "x1*٣", "zz((", "x1;" * 20, "exp(" * 200)},
    "csv empty": Case(_upload("csv_upload", "a.csv", b"", "text/csv"), ("cannot be used",)),
    "csv binary": Case(
        _upload("csv_upload", "a.csv", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8, "text/csv"),
        ("cannot be used",),
    ),
    "csv non-numeric": Case(
        _upload("csv_upload", "a.csv", b"a,label\n1,0\nfoo,1\n3,0\n", "text/csv"),
        ("cannot be used", "'a'"),
    ),
    "csv ragged": Case(
        _upload("csv_upload", "a.csv", b"a,label\n1,0\n2,1,7\n3,0\n", "text/csv"),
        ("cannot be used", "line 3"),
    ),
    "config truncated": Case(
        _upload("config_upload", "c.json", GOOD_JSON_HEAD.encode(), "application/json"),
        ("Could not load c.json", "not valid JSON"),
    ),
    "config list": Case(
        _upload("config_upload", "c.json", b"[1, 2]", "application/json"),
        ("Could not load c.json", "expected an object"),
    ),
    "config nan lr": Case(
        _upload("config_upload", "c.json", b'{"train": {"lr": NaN}}', "application/json"),
        ("Could not load c.json", "train.lr"),
    ),
    "config unknown field": Case(
        _upload("config_upload", "c.json", b'{"data": {"nmae": "xor"}}', "application/json"),
        ("Could not load c.json", "nmae"),
    ),
    "config binary": Case(
        _upload("config_upload", "c.json", bytes(range(256)), "application/json"),
        ("Could not load c.json",),
    ),
}  # fmt: skip


@pytest.mark.parametrize("name", list(PLAYGROUND))
def test_garbage_on_the_playground_page(name: str) -> None:
    case = PLAYGROUND[name]
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.selectbox(key="step_unit").set_value("one batch").run()
    at.button(key="step").click().run()  # a run with a history: it must survive the garbage
    before = at.session_state["playground_session"].config
    assert _step(at) == 1
    case.act(at)
    _no_traceback(at)
    messages = _messages(at)
    assert len(messages) == 1, messages
    assert all(w in messages[0] for w in case.words), messages[0]
    assert at.session_state["playground_session"].config == before
    assert _step(at) == 1  # the same run: not rebuilt, not reset
    _trains(at, "play")


# ---- links -------------------------------------------------------------------------------------

LINKS = {
    "custom_features": "zz((|__import__('os')",
    "noise": "٣",
    "lr": "nan",
    "layers": "8:nope",
    "n_samples": "1_000",
    "dataset": "nope",
    "features": "x1,zz",
    "batch_size": "-5",
    "train_ratio": "2",
    "n_classes": "99",
    "loss": "hinge",
    "optimizer": "sgdx",
    "seed": "1" * 40,
}


@pytest.mark.parametrize("param", list(LINKS))
def test_garbage_in_a_link(param: str) -> None:
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params[param] = LINKS[param]
    at.query_params["data_seed"] = "3"
    at.run()
    _no_traceback(at)
    messages = _messages(at)
    assert len(messages) == 1 and f"URL parameter {param}=" in messages[0], messages
    assert at.session_state["playground_session"].config.data.seed == 3  # the rest applies
    _trains(at, "play")


# ---- the Images page ---------------------------------------------------------------------------


def _canvas(url: str) -> Callable[[AppTest], object]:
    def act(at: AppTest) -> object:
        at.session_state["img_canvas"] = {"drawing": {"raw": None, "data": url},
                                          "backgroundFit": None}  # fmt: skip
        at.radio(key="img_source").set_value("drawing")
        return at.run()

    return act


IMAGES: dict[str, Case] = {
    "drawing not a data url": Case(_canvas("javascript:alert(1)"), ("drawing",)),
    "drawing bad base64": Case(_canvas("data:image/png;base64,@@@@"), ("drawing",)),
    "drawing not a png": Case(_canvas("data:image/png;base64,AAAAAAAA"), ("drawing",)),
}


@pytest.mark.parametrize("name", list(IMAGES))
def test_garbage_on_the_images_page(name: str) -> None:
    case = IMAGES[name]
    at = page_app("images").run()
    at.button(key="img_step").click().run()
    before = _step(at)
    case.act(at)
    _no_traceback(at)
    messages = _messages(at)
    assert len(messages) == 1 and all(w in messages[0].lower() for w in case.words), messages
    assert _step(at) == before
    _trains(at, "img_play")


# ---- the Compare and Backprop pages ------------------------------------------------------------

COMPARE = {
    "letters": "abc, def",
    "one value": "0.1",
    "overflow": "1e999, 0.1",
    "empty": "",
    "other digits": "٣, 0.1",
}


@pytest.mark.parametrize("name", list(COMPARE))
def test_garbage_on_the_compare_page(name: str) -> None:
    at = page_app("compare").run()
    at.selectbox(key="cmp_preset").set_value("Custom: pick an axis").run()
    at.selectbox(key="cmp_axis").set_value("lr").run()
    at.text_input(key="cmp_values").set_value(COMPARE[name]).run()
    _no_traceback(at)
    messages = _messages(at)
    assert len(messages) == 1, messages
    assert "compare.values" in messages[0] or "train.lr" in messages[0], messages
    assert at.session_state["cmp_values"] == COMPARE[name]  # kept as typed, to correct it


BACKPROP = {"letters": "a,b", "too many": "2,2,2,2,2,2,2", "too wide": "2,99,1", "empty": ""}


@pytest.mark.parametrize("name", list(BACKPROP))
def test_garbage_on_the_backprop_page(name: str) -> None:
    at = page_app("backprop").run()
    before = at.session_state["playground_session"].backprop.base
    at.text_input(key="bp_sizes").set_value(BACKPROP[name]).run()
    at.button(key="bp_random").click().run()
    _no_traceback(at)
    messages = _messages(at)
    assert len(messages) == 1 and "sizes" in messages[0], messages
    assert at.session_state["playground_session"].backprop.base == before
