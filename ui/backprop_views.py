"""The Backprop page's parts: its widget table, the typed state's commands (load, randomise,
step, run, apply), the editors, and the numbers, chain rule and checks of one step."""

from __future__ import annotations

import copy
import json
import math
from typing import Any

import pandas as pd
import streamlit as st

from playground.explain import backprop as bp
from playground.figures import backprop_graph as bg
from ui.controls import NUMBER, SELECT, TEXT, Control, draw, init_state, table
from ui.state import BackpropState, get_session

FIRST = next(iter(bp.PRESETS))
MAX_RUN_STEPS = 5_000
WEIGHT_NODES_UP_TO = 40  # more weights than this: draw them as edge labels, the graph stays legible
PHASES = {"forward": "① Forward", "loss": "① Forward: loss", "backward": "② Backward"}
PHASES["update"] = "③ Update"


OWN = "(your own network)"  # the picker's entry once a network is randomised or sent


def _pick_preset() -> None:
    name = st.session_state["bp_preset"]
    if name != OWN:
        load(get_session().backprop, bp.PRESETS[name])


BACKPROP = table(
    Control("bp_preset", kind=SELECT, label="Preset", options=[*bp.PRESETS, OWN], default=FIRST,
            on_change=_pick_preset, help="A classic worked example to start from."),
    Control("bp_sizes", kind=TEXT, label="sizes", default="2,2,1",
            help="Units per layer, input first (2 to 5 sizes of 1 to 8)."),
    Control("bp_act", kind=SELECT, label="activation", options=bp.ACTIVATIONS[:4],
            default=bp.ACTIVATIONS[0], help="Hidden layers' activation."),
    Control("bp_loss", kind=SELECT, label="loss", options=bp.LOSSES, default=bp.LOSSES[0],
            help="cross_entropy puts softmax on the output, bce sigmoid."),
    Control("bp_seed", kind=NUMBER, label="seed", lo=0, hi=10**6, default=0,
            help="Same seed, same network."),  # no widget default: randomise bumps it
    Control("bp_steps", kind=NUMBER, label="steps", lo=1, hi=MAX_RUN_STEPS, default=100,
            help="How many SGD steps to run on this one example."),
)  # fmt: skip


# ---- the state's commands -------------------------------------------------------------------


def load(state: BackpropState, spec: dict) -> None:
    """Load a spec: the cursor back to the start, new editor keys that start from it."""
    state.base, state.cursor, state.curve, state.error = copy.deepcopy(spec), 0, None, ""
    state.version += 1


def page_state() -> BackpropState:
    """This tab's Backprop state: the first preset, or a network the Playground sent (once)."""
    init_state({k: c.default for k, c in BACKPROP.items()})
    state = get_session().backprop
    if state.base is None:
        load(state, bp.PRESETS[FIRST])
    request, state.request = state.request, None
    if request is not None:  # "explain one step" from the Playground page
        try:
            load(state, bp.parse_spec(request).to_dict())  # its optional keys filled in
            st.session_state["bp_preset"] = OWN
        except bp.SpecError as e:
            state.error = f"Could not open the network sent by the Playground: {e}"
    return state


def _sizes(text: str) -> list[int]:
    """ "2,3,1" -> [2, 3, 1]; SpecError naming the control for anything else (ASCII digits only)."""
    parts = text.replace(" ", "").split(",")
    if not all(p.isascii() and p.isdigit() for p in parts):
        raise bp.SpecError(f"sizes: expected whole numbers separated by commas, got {text!r}")
    return [int(p) for p in parts]


def _randomise(state: BackpropState) -> None:
    ss = st.session_state
    try:
        sizes = _sizes(ss["bp_sizes"])
        load(state, bp.random_spec(sizes, ss["bp_act"], ss["bp_seed"], loss=ss["bp_loss"]))
        ss["bp_seed"] += 1  # the next click draws another network
        ss["bp_preset"] = OWN  # the picker no longer names a preset the page does not show
    except (ValueError, bp.SpecError) as e:
        state.error = f"Randomise: {e}"


def move(state: BackpropState, to: int, n_steps: int) -> None:
    """Put the step cursor at `to`, kept inside 0..n_steps-1."""
    state.cursor = min(max(to, 0), n_steps - 1)


def _run(state: BackpropState, spec: dict) -> None:
    state.curve = (json.dumps(spec), bp.run_steps(spec, int(st.session_state["bp_steps"])))


def _apply_update(state: BackpropState, spec: dict, trace: dict) -> None:
    nxt = copy.deepcopy(spec)
    for ly, done in zip(nxt["layers"], trace["layers"]):
        ly["weights"], ly["bias"] = done["new_weights"], done["new_bias"]
    load(state, nxt)


# ---- widgets --------------------------------------------------------------------------------


def preset_controls(state: BackpropState, where: list[Any]) -> None:
    """The preset picker, and the randomiser's sizes, activation, loss and seed."""
    draw(BACKPROP["bp_preset"], where[0])
    with where[1].expander("Randomise a network"):
        for col, key in zip(st.columns(4), ("bp_sizes", "bp_act", "bp_loss", "bp_seed")):
            draw(BACKPROP[key], col)
        st.button("🎲 Randomise", key="bp_random", on_click=_randomise, args=(state,),
                  help="Draw new weights, input and target.")  # fmt: skip


def _edit_vector(col: Any, name: str, values: list, key: str) -> list:
    help_text = {"x": "The example fed to the network.", "t": "What the output should be."}
    columns = [f"{name}{i + 1}" for i in range(len(values))]
    config = {c: st.column_config.NumberColumn(c, help=help_text[name]) for c in columns}
    df = col.data_editor(
        pd.DataFrame([values], columns=columns), key=key, hide_index=True, column_config=config
    )
    return df.iloc[0].tolist()


def edited_spec(state: BackpropState) -> dict:
    """The loaded spec with whatever the user typed into the editors."""
    spec, v = copy.deepcopy(state.base), state.version
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


def step_bar(state: BackpropState, spec: dict, trace: dict) -> bg.Step:
    """Prev / Next / Reset / Apply update and the progress through the steps; the current one."""
    steps = bg.step_list(trace)
    move(state, state.cursor, len(steps))
    cursor, n = state.cursor, len(steps)
    at = steps[cursor]
    bar = st.columns([1, 1, 1, 1.3, 3])
    for col, (key, label, action, args, help_text) in zip(bar, [
        ("bp_prev", "◀ Prev", move, (state, cursor - 1, n), "One step back."),
        ("bp_next", "Next ▶", move, (state, cursor + 1, n), "The next neuron."),
        ("bp_reset", "⟲ Reset", move, (state, 0, n), "Back to the first forward step."),
        ("bp_apply", "Apply update", _apply_update, (state, spec, trace),
         "Load the updated weights and start the next step."),
    ]):  # fmt: skip
        col.button(label, key=key, on_click=action, args=args, help=help_text)
    where = "E" if at[0] == "loss" else bg.neuron_name(trace, at[1], at[2])
    progress = f"{PHASES[at[0]]} · {where} · step {cursor + 1} of {n}"
    bar[4].progress((cursor + 1) / n, text=progress)
    st.caption(bg.step_caption(trace, at))
    return at


# ---- what one step computes -----------------------------------------------------------------


def graph(trace: dict, cursor: int) -> None:
    """The computation graph with value and gradient on every node."""
    n_weights = sum(len(ly["weights"]) * len(ly["weights"][0]) for ly in trace["layers"])
    st.graphviz_chart(bg.graph_dot(trace, cursor, weight_nodes=n_weights <= WEIGHT_NODES_UP_TO))


def _highlight(df: pd.DataFrame, mark: str | None) -> object:
    """Rows named `mark` or starting with `mark` + "←" painted; values not reached yet are ·."""
    hit = [mark is not None and (r == mark or r.startswith(f"{mark}←")) for r in df.index]
    paint = [f"background-color: {bg.CURRENT}" if h else "" for h in hit]
    shown = df.map(_cell)
    return shown.style.apply(lambda _: paint, axis=0)


def _cell(v: object) -> str:
    """A number to 6 digits; not reached yet (None, or NaN once pandas has stored it) is ·."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "·"
    return v if isinstance(v, str) else f"{v:.6g}"


def numbers(trace: dict, at: bg.Step, cursor: int) -> None:
    """Per layer: each neuron's numbers and each weight's, the current one painted."""
    for k, ly in enumerate(trace["layers"]):
        st.markdown(f"**Layer {k + 1}** · {ly['activation']}")
        current = bg.neuron_name(trace, k, at[2]) if at[1] == k else None
        left, right = st.columns([3, 2])
        neurons = pd.DataFrame(bg.neuron_rows(trace, k, cursor)).set_index("neuron")
        left.dataframe(_highlight(neurons, current))
        weights = pd.DataFrame(bg.weight_rows(trace, k, cursor)).set_index("weight")
        right.dataframe(_highlight(weights, f"w {current}" if current else None))
        if ly["activation"] == "softmax":
            _softmax_jacobian(trace, k, cursor)


def _softmax_jacobian(trace: dict, k: int, cursor: int) -> None:
    """Say that the slope column is the diagonal, and show the whole Jacobian once reached."""
    st.caption(
        "softmax: every output depends on every net, so ∂out/∂net is a matrix. The column "
        "∂out/∂net (diagonal) shows its diagonal ∂out_j/∂net_j; the off-diagonal terms "
        "∂out_m/∂net_j = −out_m·out_j enter δ too: δ_j = Σ_m ∂E/∂out_m · ∂out_m/∂net_j."
    )
    rows = bg.jacobian_rows(trace, k, cursor)
    if rows:
        st.dataframe(_highlight(pd.DataFrame(rows).set_index("out"), None))


def chain_rule(trace: dict) -> None:
    """The chain-rule product of one chosen weight or bias, in numbers."""
    params = [(k, j, i) for k, ly in enumerate(trace["layers"])
              for j, row in enumerate(ly["weights"]) for i in [*range(len(row)), None]]  # fmt: skip
    chosen = st.selectbox("weight", params, format_func=lambda p: bg.weight_name(trace, *p),
                          key="bp_weight", help="Which weight or bias to write out.")  # fmt: skip
    st.latex(bg.chain_rule_latex(trace, *(chosen if chosen in params else params[0])))


def checks(trace: dict) -> None:
    """The trace's gradients against autograd and central differences."""
    found = [("torch.autograd", trace["autograd_check"])]
    found.append(("central differences", trace["numerical_check"]))
    for col, (name, check) in zip(st.columns(2), found):
        text = f"{name}: max |Δ gradient| = {check['max_abs_diff']:.1e}"
        if check["agrees"]:
            col.success(f"{text}, agrees with the trace ✓")
        else:
            col.error(f"{text}, disagrees (a relu exactly at its kink?)")


def keep_going(state: BackpropState, spec: dict) -> None:
    """Run N SGD steps on this one example and plot its loss."""
    draw(BACKPROP["bp_steps"])
    st.button("Run N steps", key="bp_run", on_click=_run, args=(state, spec),
              help="Train on this one example and plot its loss.")  # fmt: skip
    if state.curve and state.curve[0] == json.dumps(spec):
        st.plotly_chart(bg.loss_steps_figure(state.curve[1]), key="bp_curve")
