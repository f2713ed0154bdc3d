"""What a sequence model does inside, for one sequence: hidden states and gates recomputed from
the weights, the gradient through time, attention maps, and text sampled from the model.

Training uses torch's fused nn.RNN / nn.LSTM / nn.GRU, which keep their gates to themselves;
here the selected layer is unrolled step by step with the equations of torch's documentation
(in float64), so every gate can be shown and the gradient reaching each earlier state h_t can be
read from autograd. tests/test_seq_probes.py checks them against torch's modules.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F

from playground.choices import LayerKind
from playground.nn.modes import eval_mode
from playground.nn.sequence_model import Recurrent, SequenceModel, TransformerBlock

GATE_NAMES = {
    LayerKind.RNN: (),
    LayerKind.LSTM: ("input", "forget", "candidate", "output", "cell"),
    LayerKind.GRU: ("reset", "update", "new"),
}


def unroll(block: Recurrent, x: torch.Tensor) -> tuple[list[torch.Tensor], dict[str, list]]:
    """Run one recurrent layer by hand over one sequence, from a zero state.

    Args:
        x: (T, D) the layer's input.
    Returns:
        the states h_t, each (H,) float64 (differentiable in x and in each other), and the gates:
        name -> list of T (H,) tensors.
    """
    cell, kind = block.cell, block.kind
    w_ih, w_hh = cell.weight_ih_l0.detach().double(), cell.weight_hh_l0.detach().double()
    b_ih, b_hh = cell.bias_ih_l0.detach().double(), cell.bias_hh_l0.detach().double()
    x = x.detach().double().requires_grad_()  # so that every h_t is a node autograd can reach
    xi = x @ w_ih.T + b_ih  # (T, G*H): the input's part of every gate, all steps
    H = cell.hidden_size
    h = torch.zeros(H, dtype=torch.float64, device=x.device)
    c = torch.zeros_like(h)
    hs: list[torch.Tensor] = []
    gates: dict[str, list] = {name: [] for name in GATE_NAMES[kind]}
    for t in range(x.shape[0]):
        hh = w_hh @ h + b_hh  # (G*H,)
        if kind == LayerKind.RNN:
            h = torch.tanh(xi[t] + hh)
        elif kind == LayerKind.LSTM:  # torch's order: input, forget, cell candidate, output
            z = xi[t] + hh
            i, f = torch.sigmoid(z[:H]), torch.sigmoid(z[H : 2 * H])
            g, o = torch.tanh(z[2 * H : 3 * H]), torch.sigmoid(z[3 * H :])
            c = f * c + i * g
            h = o * torch.tanh(c)
            for name, v in zip(GATE_NAMES[kind], (i, f, g, o, c)):
                gates[name].append(v)
        else:  # GRU, torch's order: reset, update, new
            r = torch.sigmoid(xi[t, :H] + hh[:H])
            u = torch.sigmoid(xi[t, H : 2 * H] + hh[H : 2 * H])
            n = torch.tanh(xi[t, 2 * H :] + r * hh[2 * H :])
            h = (1 - u) * n + u * h
            for name, v in zip(GATE_NAMES[kind], (r, u, n)):
                gates[name].append(v)
        hs.append(h)
    return hs, gates


def last_scored(y: torch.Tensor, is_tokens: bool) -> int:
    """The last scored step of targets y (T,)."""
    if not is_tokens:
        return int(y.shape[0]) - 1
    return int(torch.nonzero(y >= 0).max())


def step_loss(out: torch.Tensor, y: torch.Tensor, t: int, loss_fn: Callable) -> torch.Tensor:
    """The loss at step t alone: out (1, T, K), y (T,)."""
    return loss_fn(out[0, t : t + 1], y[t : t + 1] if out.shape[-1] > 1 else y[t : t + 1, None])


def internals(
    model: SequenceModel,
    x: torch.Tensor,
    y: torch.Tensor,
    layer: int,
    loss_fn: Callable,
    is_tokens: bool,
) -> dict:
    """Hidden states (units, T), gates {name: (units, T)}, ||dL/dh_t|| (T,) of `layer` and
    the attention maps [(heads, T, T)] of every transformer, for one sequence x (T,) or (T, F)
    with targets y (T,); L = the loss at the last scored step. Arrays are float32 NumPy."""
    with eval_mode(model):
        with torch.no_grad():
            seen = model.outputs(x[None])  # [input, each block's output], (1, T, D)
        block, inp = model.blocks[layer], seen[layer][0]
        with torch.enable_grad():  # autograd.grad: the weights' .grad stay untouched
            if isinstance(block, Recurrent):
                hs, gates = unroll(block, inp)
                H = torch.stack(hs)  # (T, H)
            else:
                H = block(inp[None])[0][0].detach().requires_grad_()
                hs, gates = [H], {}
            out = model.forward_from(layer, H.float()[None])
            loss = step_loss(out, y, last_scored(y, is_tokens), loss_fn)
            grads = torch.autograd.grad(loss, hs, allow_unused=True)
        if len(hs) == 1:
            grads = list(grads[0])
        attention = attention_maps(model, seen)
    T = x.shape[0]
    norms = [0.0 if g is None else float(g.norm()) for g in grads]
    return {
        "hidden": _np(H.detach().T),
        "gates": {k: _np(torch.stack(v).detach().T) for k, v in gates.items()},
        "grad_through_time": np.asarray(norms[:T], dtype=np.float32),
        "attention": attention,
    }


def attention_maps(model: SequenceModel, seen: list[torch.Tensor]) -> list[np.ndarray]:
    """Each transformer's attention weights (heads, T, T) on the inputs it saw (seen[k] is
    block k's input, batch of one), as torch's nn.MultiheadAttention computes them."""
    maps = []
    with torch.no_grad():
        for k, block in enumerate(model.blocks):
            if isinstance(block, TransformerBlock):
                q = block.norm1(block.attention_input(seen[k]))
                mask = block.mask(q.shape[1], q.device)
                w = block.attn(q, q, q, attn_mask=mask, average_attn_weights=False)[1]
                maps.append(_np(w[0]))
    return maps


def sample(
    model: SequenceModel,
    prompt: list[int],
    length: int,
    temperature: float,
    context: int,
    generator: torch.Generator,
) -> list[int]:
    """The prompt's ids followed by `length` ids drawn one at a time from the model's softmax at
    `temperature`. Recurrent models carry their state; a transformer rereads the last
    `context` ids at every step (its positions only reach that far)."""
    ids = list(prompt)
    device = model.head.weight.device
    with eval_mode(model), torch.no_grad():
        states = None
        feed = ids
        for _ in range(length):
            if model.has_transformer:
                logits = model(torch.tensor([ids[-context:]], device=device))[0, -1]
            else:
                out, states = model.forward_state(torch.tensor([feed], device=device), states)
                logits = out[0, -1]
            probs = F.softmax(logits.double() / temperature, dim=0)
            nxt = int(torch.multinomial(probs.float().cpu(), 1, generator=generator))
            ids.append(nxt)
            feed = [nxt]
    return ids


def _np(t: torch.Tensor) -> np.ndarray:
    return t.detach().cpu().float().numpy().copy()
