"""One line under each view of the Sequences page saying what to look for, by task and layer."""

from __future__ import annotations

# Keys: "<view> <layer kind> <task>", "<view> <layer kind>", "<view> <task>", "<view>": the first
# that exists is shown.
CAPTIONS = {
    "curves": "Accuracy counts only the scored steps.",
    "curves copy": "Accuracy counts only the recalled symbol. Chance is 1 / symbols: a network "
    "stuck there has not carried the symbol across the delay.",
    "curves parity": "Chance is 50%. The answer at each step depends on every bit so far, so "
    "the network must keep one bit of memory and flip it on every 1.",
    "curves reverse": "Accuracy counts the answer steps after '='; 'entirely right' needs the "
    "whole answer.",
    "curves sort": "Accuracy counts the answer steps after '='; 'entirely right' needs the "
    "whole answer.",
    "curves text": "A test loss that rises while the training loss falls is overfitting: the "
    "network is memorising its training text.",
    "curves sine": "The loss is the mean squared error of the next value.",
    "predictions": "Blue: the prediction matches the target; orange: it does not. Only scored "
    "steps are shown.",
    "predictions copy": "Blue: the recalled symbol is right; orange: wrong. The network only has "
    "to answer at the '?', delay steps after the symbol.",
    "predictions sine": "Dotted grey: the input; dashed orange: the target (the next value); "
    "blue: the model's prediction, step by step.",
    "hidden": "One row per unit, one column per time step: how the state answers each input.",
    "hidden copy": "One row per unit, one column per time step. A trained LSTM holds a steady "
    "pattern from the symbol to the '?'; a plain RNN's state washes out within a few steps.",
    "hidden transformer": "One row per unit of the layer's output, one column per step: each "
    "step's vector after attention has mixed in the steps it looked at.",
    "hidden embedding": "One learned vector per token: equal tokens give equal columns.",
    "hidden dense": "A dense layer works on each step alone: a column changes only where its "
    "input does.",
    "gates lstm": "Gates run from 0 (closed, white) to 1 (open, blue). A forget gate near 1 "
    "keeps the cell's memory; the cell panel shows what it holds.",
    "gates lstm copy": "Gates run from 0 (closed, white) to 1 (open, blue). Look for the input "
    "gate opening at the symbol, the forget gate staying near 1 through the delay, and the "
    "output gate opening at the '?'.",
    "gates gru": "The update gate near 1 keeps the old state, near 0 takes the new one; the "
    "reset gate decides how much of the old state feeds the new candidate.",
    "gates rnn": "A plain RNN has no gates: its whole state is rewritten at every step.",
    "grad": "How strongly the loss at the last scored step depends on this layer's output at "
    "each earlier step (through all the layers above it).",
    "grad rnn": "How strongly the loss at the last scored step reaches back to each earlier "
    "step. On copy with delay 20 the RNN's gradient falls by orders of magnitude toward the "
    "start; an LSTM's does not, so only the LSTM learns what the first step showed.",
    "grad lstm": "How strongly the loss at the last scored step reaches back to each earlier "
    "step. On copy with delay 20 a plain RNN's gradient falls by orders of magnitude toward the "
    "start; the LSTM's does not: its cell carries the gradient back.",
    "grad gru": "How strongly the loss at the last scored step reaches back to each earlier "
    "step. A GRU's update gate lets the gradient pass many steps with little loss.",
    "grad transformer": "How strongly the loss at the last scored step reaches back to each "
    "earlier step. Attention links every step to every other directly, so the gradient has no "
    "long chain of steps to fade along.",
    "attention": "Row = the step that looks, column = the step it looks at; each row sums to 1. "
    "A causal layer sees only the past (the lower triangle).",
    "attention reverse": "Row = the step that looks, column = the step it looks at; each row "
    "sums to 1. A trained head draws an anti-diagonal: the i-th answer looks at the i-th digit "
    "from the end.",
    "sample": "Written one character at a time by the model as it is now, each drawn from its "
    "prediction. Low temperature: safe and repetitive; high: daring and misspelled.",
}


def caption(view: str, task: str, kind: str = "") -> str:
    """The caption of a view for a task (sine, copy, ...) and a layer kind (rnn, lstm, ...)."""
    for key in (f"{view} {kind} {task}", f"{view} {kind}", f"{view} {task}"):
        if key in CAPTIONS:
            return CAPTIONS[key]
    return CAPTIONS[view]
