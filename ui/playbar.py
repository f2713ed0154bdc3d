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


def send(slot: SessionSlot, command: str) -> None:
    """Send a command to the slot's run, if it has one (an on_click callback)."""
    if slot.item is not None:
        getattr(slot.item, command)()


def play_bar(
    slot: SessionSlot,
    prefix: str = "",
    names: Sequence[str] = tuple(BUTTONS),
    hidden: Iterable[str] = (),
    helps: Mapping[str, str] | None = None,
    spare: Sequence[float] = (6,),
) -> list[Any]:
    """One button per name, keyed `<prefix><name>`, that sends its command to the slot's run.

    Args:
        hidden: names hidden by the URL (`play_hide=true`, ...).
        helps: help texts replacing the default ones, by name.
        spare: relative widths of empty columns after the buttons, returned for the caller.
    """
    cols = st.columns([1] * len(names) + list(spare))
    for col, name in zip(cols, names):
        if name in hidden:
            continue
        label, icon, helptext = BUTTONS[name]
        col.button(label, key=f"{prefix}{name}", on_click=send, args=(slot, COMMANDS[name]),
                   icon=f":material/{icon}:", help=(helps or {}).get(name, helptext),
                   width="stretch")  # fmt: skip
    return cols[len(names) :]
