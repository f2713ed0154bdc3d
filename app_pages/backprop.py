"""One forward / backward / update step of a tiny network, in numbers."""

from __future__ import annotations

import copy
import json
from typing import Any

import pandas as pd
import streamlit as st

from playground.explain import backprop as bp
from playground.figures import backprop_graph as bg
from ui.state import get_session

FIRST = next(iter(bp.PRESETS))
MAX_RUN_STEPS = 5_000
WEIGHT_NODES_UP_TO = 40  # more weights than this: draw them as edge labels, the graph stays legible
PHASES = {"forward": "① Forward", "loss": "① Forward: loss", "backward": "② Backward"}
PHASES["update"] = "③ Update"


State = dict[str, Any]  # a plain dict: a class defined here would be a new class every rerun


def _state() -> State:
    """This tab's page state: the loaded spec, the step cursor and the last loss curve."""
    state = get_session().pages.setdefault("backprop", {})
    if "base" not in state:
        _load(state, bp.PRESETS[FIRST])
    return state


def _load(state: State, spec: dict) -> None:
    state.update(base=copy.deepcopy(spec), cursor=0, curve=None, error="")
    state["version"] = state.get("version", 0) + 1  # new editor keys: they start from `base`


def _pick_preset(state: State) -> None:
    _load(state, bp.PRESETS[st.session_state["bp_preset"]])


def _randomise(state: State) -> None:
    ss = st.session_state
    try:
        sizes = [int(s) for s in ss["bp_sizes"].replace(" ", "").split(",")]
        _load(state, bp.random_spec(sizes, ss["bp_act"], ss["bp_seed"], loss=ss["bp_loss"]))
        ss["bp_seed"] += 1  # the next click draws another network
    except (ValueError, bp.SpecError) as e:
        state["error"] = f"Randomise: {e}"


def _move(state: State, to: int, n_steps: int) -> None:
    state["cursor"] = min(max(to, 0), n_steps - 1)


def _run(state: State, spec: dict) -> None:
    state["curve"] = (json.dumps(spec), bp.run_steps(spec, int(st.session_state["bp_steps"])))


def _continue(state: State, spec: dict, trace: dict) -> None:
    nxt = copy.deepcopy(spec)
    for ly, done in zip(nxt["layers"], trace["layers"]):
        ly["weights"], ly["bias"] = done["new_weights"], done["new_bias"]
    _load(state, nxt)


def _edit_vector(col: Any, name: str, values: list, key: str) -> list:
    help_text = {"x": "The example fed to the network.", "t": "What the output should be."}
    columns = [f"{name}{i + 1}" for i in range(len(values))]
    config = {c: st.column_config.NumberColumn(c, help=help_text[name]) for c in columns}
    df = col.data_editor(
        pd.DataFrame([values], columns=columns), key=key, hide_index=True, column_config=config
    )
    return df.iloc[0].tolist()


def _edited_spec(state: State) -> dict:
    """The loaded spec with whatever the user typed into the editors."""
    spec, v = copy.deepcopy(state["base"]), state["version"]
    with st.expander("Edit inputs, targets, weights and learning rate"):
        left, mid, right = st.columns(3)
        spec["input"] = _edit_vector(left, "x", spec["input"], f"bp_x_{v}")
        spec["target"] = _edit_vector(mid, "t", spec["target"], f"bp_t_{v}")
        spec["lr"] = right.number_input("learning rate η", 1e-6, None, float(spec["lr"]),
                                        format="%.4g", key=f"bp_lr_{v}",
                                        help="Step size: w ← w − η ∂E/∂w.")  # fmt: skip
        spec["update_bias"] = right.checkbox("update biases", spec["update_bias"],
                                             key=f"bp_ub_{v}", help="Off: biases stay fixed, "
                                             "as in some textbooks.")  # fmt: skip
        for k, ly in enumerate(spec["layers"]):
            rows = [bg.neuron_name(spec, k, j) for j in range(len(ly["bias"]))]
            cols = [bg.neuron_name(spec, k - 1, i) for i in range(len(ly["weights"][0]))]
            df = pd.DataFrame(ly["weights"], index=rows, columns=cols).assign(bias=ly["bias"])
            hint = {c: st.column_config.NumberColumn(c, help=f"weight from {c}") for c in cols}
            st.caption(f"Layer {k + 1} ({ly['activation']}): row = neuron, column = its input")
            df = st.data_editor(df, key=f"bp_w{k}_{v}", column_config=hint)
            ly["weights"], ly["bias"] = df[cols].values.tolist(), df["bias"].tolist()
    return spec


def _highlight(df: pd.DataFrame, mark: str | None) -> object:
    """Rows named `mark` or starting with `mark` + "←" painted; values not reached yet are ·."""
    hit = [mark is not None and (r == mark or r.startswith(f"{mark}←")) for r in df.index]
    paint = [f"background-color: {bg.CURRENT}" if h else "" for h in hit]
    shown = df.map(lambda v: "·" if v is None else f"{v:.6g}")  # None would read "None"
    return shown.style.apply(lambda _: paint, axis=0)


def _numbers(trace: dict, at: bg.Step, cursor: int) -> None:
    for k, ly in enumerate(trace["layers"]):
        st.markdown(f"**Layer {k + 1}** · {ly['activation']}")
        current = bg.neuron_name(trace, k, at[2]) if at[1] == k else None
        left, right = st.columns([3, 2])
        neurons = pd.DataFrame(bg.neuron_rows(trace, k, cursor)).set_index("neuron")
        left.dataframe(_highlight(neurons, current))
        weights = pd.DataFrame(bg.weight_rows(trace, k, cursor)).set_index("weight")
        right.dataframe(_highlight(weights, f"w {current}" if current else None))


state = _state()
request = get_session().pages.pop("backprop_request", None)
if request is not None:  # "explain one step" from the Playground page
    try:
        bp.parse_spec(request)
        _load(state, request)
    except bp.SpecError as e:
        state["error"] = f"Could not open the network sent by the Playground: {e}"

st.title("Backprop, one step at a time")
st.caption("Forward, backward and update of a tiny network: every number, checked by autograd.")
top = st.columns([2, 3])
top[0].selectbox("Preset", list(bp.PRESETS), key="bp_preset", on_change=_pick_preset,
                 args=(state,), help="A classic worked example to start from.")  # fmt: skip
with top[1].expander("Randomise a network"):
    a, b, c, d = st.columns(4)
    a.text_input("sizes", "2,2,1", key="bp_sizes", help="Units per layer, input first (2 to 5 "
                 "sizes of 1 to 8).")  # fmt: skip
    b.selectbox("activation", bp.ACTIVATIONS[:4], key="bp_act", help="Hidden layers' activation.")
    c.selectbox("loss", bp.LOSSES, key="bp_loss", help="cross_entropy puts softmax on the "
                "output, bce sigmoid.")  # fmt: skip
    st.session_state.setdefault("bp_seed", 0)  # no widget default: _randomise bumps it
    d.number_input("seed", 0, 10**6, key="bp_seed", help="Same seed, same network.")
    st.button("🎲 Randomise", key="bp_random", on_click=_randomise, args=(state,),
              help="Draw new weights, input and target.")  # fmt: skip
if state["error"]:
    st.error(state["error"])

spec = _edited_spec(state)
try:
    trace = bp.trace(spec)
except bp.SpecError as e:
    st.error(f"This network cannot be traced: {e}")
    st.stop()
steps = bg.step_list(trace)
_move(state, state["cursor"], len(steps))
cursor = state["cursor"]
at = steps[cursor]

bar = st.columns([1, 1, 1, 1.3, 3])
for col, (key, label, action, args, help_text) in zip(bar, [
    ("bp_prev", "◀ Prev", _move, (state, cursor - 1, len(steps)), "One step back."),
    ("bp_next", "Next ▶", _move, (state, cursor + 1, len(steps)), "The next neuron."),
    ("bp_reset", "⟲ Reset", _move, (state, 0, len(steps)), "Back to the first forward step."),
    ("bp_apply", "Apply update", _continue, (state, spec, trace),
     "Load the updated weights and start the next step."),
]):  # fmt: skip
    col.button(label, key=key, on_click=action, args=args, help=help_text)
where = "E" if at[0] == "loss" else bg.neuron_name(trace, at[1], at[2])
progress = f"{PHASES[at[0]]} · {where} · step {cursor + 1} of {len(steps)}"
bar[4].progress((cursor + 1) / len(steps), text=progress)
st.caption(bg.step_caption(trace, at))

n_weights = sum(len(ly["weights"]) * len(ly["weights"][0]) for ly in trace["layers"])
st.graphviz_chart(bg.graph_dot(trace, cursor, weight_nodes=n_weights <= WEIGHT_NODES_UP_TO))
_numbers(trace, at, cursor)

st.subheader("The chain rule for one weight")
params = [(k, j, i) for k, ly in enumerate(trace["layers"]) for j, row in enumerate(ly["weights"])
          for i in [*range(len(row)), None]]  # fmt: skip
chosen = st.selectbox("weight", params, format_func=lambda p: bg.weight_name(trace, *p),
                      key="bp_weight", help="Which weight or bias to write out.")  # fmt: skip
st.latex(bg.chain_rule_latex(trace, *(chosen if chosen in params else params[0])))

checks = [("torch.autograd", trace["autograd_check"])]
checks.append(("central differences", trace["numerical_check"]))
for col, (name, check) in zip(st.columns(2), checks):
    text = f"{name}: max |Δ gradient| = {check['max_abs_diff']:.1e}"
    if check["agrees"]:
        col.success(f"{text}, agrees with the trace ✓")
    else:
        col.error(f"{text}, disagrees (a relu exactly at its kink?)")

st.subheader("Keep going")
st.number_input("steps", 1, MAX_RUN_STEPS, 100, key="bp_steps",
                help="How many SGD steps to run on this one example.")  # fmt: skip
st.button("Run N steps", key="bp_run", on_click=_run, args=(state, spec),
          help="Train on this one example and plot its loss.")  # fmt: skip
if state["curve"] and state["curve"][0] == json.dumps(spec):
    st.plotly_chart(bg.loss_steps_figure(state["curve"][1]), key="bp_curve")
