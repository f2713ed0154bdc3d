"""The play / pause / step / reset row shared by the training pages."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import streamlit as st

from ui.state import SessionSlot

BUTTONS = {  # name -> (label, icon, help); the command sent is the name, "play" sends start
    "play": ("Play", "play_arrow", "Train continuously in the background."),
    "pause": ("Pause", "pause", "Stop after the current step."),
    "step": ("Step", "skip_next", "Pause and take exactly one update."),
    "reset": ("Reset", "restart_alt", "Back to step 0 with the same initial weights."),
}
COMMANDS = {"play": "start", "pause": "pause", "step": "step", "reset": "reset"}
STEP_UNITS = {"one epoch": "epoch", "one batch": "batch"}  # the step-unit box -> trainer unit
STEP_UNIT_HELP = (
    "What Step trains: one epoch (TensorFlow Playground's Step: to the end of this epoch) or "
    "one batch (exactly one update)."
)


def send(slot: SessionSlot, command: str, unit_key: str = "") -> None:
    """Send a command to the slot's run, if it has one (an on_click callback); Step takes the
    unit chosen in the box keyed unit_key, if any."""
    if slot.item is None:
        return
    if command == "step" and unit_key and unit_key in st.session_state:
        slot.item.step(1, unit=STEP_UNITS[st.session_state[unit_key]])
    else:
        getattr(slot.item, command)()


def play_bar(
    slot: SessionSlot,
    prefix: str = "",
    names: Sequence[str] = tuple(BUTTONS),
    hidden: Iterable[str] = (),
    helps: Mapping[str, str] | None = None,
    spare: Sequence[float] = (6,),
    step_unit: str = "",
) -> list[Any]:
    """One button per name, keyed `<prefix><name>`, that sends its command to the slot's run.

    Args:
        hidden: names hidden by the URL (`play_hide=true`, ...).
        helps: help texts replacing the default ones, by name.
        spare: relative widths of empty columns after the buttons, returned for the caller.
        step_unit: the default of a "Step: one epoch / one batch" box beside the buttons, keyed
            `<prefix>step_unit` ("" = no box: Step takes one batch).
    """
    box = bool(step_unit) and "step" in names and "step" not in hidden
    cols = st.columns([1] * len(names) + [1.5] * box + list(spare))
    unit_key = f"{prefix}step_unit" if box else ""
    for col, name in zip(cols, names):
        if name in hidden:
            continue
        label, icon, helptext = BUTTONS[name]
        col.button(label, key=f"{prefix}{name}", on_click=send,
                   args=(slot, COMMANDS[name], unit_key), icon=f":material/{icon}:",
                   help=(helps or {}).get(name, helptext), width="stretch")  # fmt: skip
    if box:
        st.session_state.setdefault(unit_key, step_unit)
        cols[len(names)].selectbox("Step", list(STEP_UNITS), key=unit_key, help=STEP_UNIT_HELP,
                                   format_func=lambda u: f"Step: {u}",
                                   label_visibility="collapsed")  # fmt: skip
    return cols[len(names) + box :]
