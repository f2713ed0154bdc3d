"""Oracles for the sequence probes: LSTM/GRU/RNN equations written out here and torch's own
modules, autograd through torch's LSTM split in two, softmax(QK^T/sqrt(d)) by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from playground.config import LayerKind, LayerSpec, ModelConfig
from playground.explain import sequence_probes as sp
from playground.nn.sequence_model import build_sequence_model

T, VOCAB = 9, 5


def _model(*specs: LayerSpec, vocab: int = VOCAB, features: int = 0, seed: int = 3):
    model = build_sequence_model(ModelConfig(layers=specs), vocab, features, max(vocab, 1), seed)
    with torch.no_grad():  # biases away from their init (zeros, forget 1), so they are tested
        for name, p in model.named_parameters():
            if "bias" in name:
                p.add_(0.1 * torch.randn(p.shape, generator=torch.Generator().manual_seed(7)))
    return model.eval()


def _lstm_by_hand(cell, x):
    """LSTM (Hochreiter & Schmidhuber 1997, with forget gate), torch's weight layout."""
    W, U = cell.weight_ih_l0.detach().double(), cell.weight_hh_l0.detach().double()
    b = (cell.bias_ih_l0 + cell.bias_hh_l0).detach().double()
    H = cell.hidden_size
    h, c, out = torch.zeros(H, dtype=torch.float64), torch.zeros(H, dtype=torch.float64), []
    for x_t in x.double():
        a = W @ x_t + U @ h + b
        i_t = 1 / (1 + torch.exp(-a[0:H]))
        f_t = 1 / (1 + torch.exp(-a[H : 2 * H]))
        g_t = torch.tanh(a[2 * H : 3 * H])
        o_t = 1 / (1 + torch.exp(-a[3 * H : 4 * H]))
        c = f_t * c + i_t * g_t
        h = o_t * torch.tanh(c)
        out.append({"input": i_t, "forget": f_t, "candidate": g_t, "output": o_t, "cell": c,
                    "h": h})  # fmt: skip
    return out


def _gru_by_hand(cell, x):
    """GRU (Cho et al. 2014) as torch defines it: the reset gate scales U_n h + b_hn."""
    W, U = cell.weight_ih_l0.detach().double(), cell.weight_hh_l0.detach().double()
    bi, bh = cell.bias_ih_l0.detach().double(), cell.bias_hh_l0.detach().double()
    H = cell.hidden_size
    h, out = torch.zeros(H, dtype=torch.float64), []
    for x_t in x.double():
        wx, uh = W @ x_t + bi, U @ h + bh
        r = 1 / (1 + torch.exp(-(wx[:H] + uh[:H])))
        z = 1 / (1 + torch.exp(-(wx[H : 2 * H] + uh[H : 2 * H])))
        n = torch.tanh(wx[2 * H :] + r * uh[2 * H :])
        h = (1 - z) * n + z * h
        out.append({"reset": r, "update": z, "new": n, "h": h})
    return out


def _tokens(seed: int = 0) -> torch.Tensor:
    return torch.randint(0, VOCAB, (T,), generator=torch.Generator().manual_seed(seed))


def _targets(seed: int = 1) -> torch.Tensor:
    return torch.randint(0, VOCAB, (T,), generator=torch.Generator().manual_seed(seed))


@pytest.mark.parametrize(
    ("kind", "by_hand"), [(LayerKind.LSTM, _lstm_by_hand), (LayerKind.GRU, _gru_by_hand)]
)
def test_gates_and_states_equal_the_equations_and_torchs_module(kind, by_hand) -> None:
    model = _model(LayerSpec(kind=LayerKind.EMBEDDING, units=4), LayerSpec(kind=kind, units=6))
    x, y = _tokens(), _targets()
    got = sp.internals(model, x, y, 1, F.cross_entropy, True)
    inp = model.blocks[0](x[None])[0][0].detach()  # (T, 4) the embedding
    hand = by_hand(model.blocks[1].cell, inp)
    torch_h = model.blocks[1].cell(inp[None])[0][0].detach().double()  # nn.LSTM / nn.GRU
    hand_h = torch.stack([s["h"] for s in hand])
    assert torch.allclose(hand_h, torch_h, atol=1e-6)  # the equations are torch's
    assert np.allclose(got["hidden"], torch_h.T.numpy(), atol=1e-6)
    assert set(got["gates"]) == set(hand[0]) - {"h"}
    for name, values in got["gates"].items():
        assert values.shape == (6, T) and values.dtype == np.float32
        assert np.allclose(values, torch.stack([s[name] for s in hand]).T.numpy(), atol=1e-6)


def test_a_tanh_rnn_state_equals_torchs_and_has_no_gates() -> None:
    model = _model(LayerSpec(kind=LayerKind.RNN, units=5))
    x, y = _tokens(), _targets()
    got = sp.internals(model, x, y, 0, F.cross_entropy, True)
    cell, inp = model.blocks[0].cell, F.one_hot(x, VOCAB).float()
    W, U = cell.weight_ih_l0.detach().double(), cell.weight_hh_l0.detach().double()
    b = (cell.bias_ih_l0 + cell.bias_hh_l0).detach().double()
    h, hs = torch.zeros(5, dtype=torch.float64), []
    for x_t in inp.double():
        h = torch.tanh(W @ x_t + U @ h + b)
        hs.append(h)
    assert np.allclose(got["hidden"], torch.stack(hs).T.numpy(), atol=1e-6)
    assert np.allclose(got["hidden"], cell(inp[None])[0][0].detach().T.numpy(), atol=1e-6)
    assert got["gates"] == {} and got["attention"] == []


@pytest.mark.parametrize("kind", [LayerKind.RNN, LayerKind.LSTM, LayerKind.GRU])
def test_gradient_through_time_equals_autograd_through_torchs_module(kind) -> None:
    """dL/dh_t (L = the loss at the last step) from torch's fused module run in two pieces:
    steps 0..t, then h_t as a leaf continuing the run (the cell state, if any, held fixed)."""
    model = _model(LayerSpec(kind=kind, units=6), LayerSpec(kind=LayerKind.DENSE, units=4))
    x, y = _tokens(2), _targets(3)
    got = sp.internals(model, x, y, 0, F.cross_entropy, True)["grad_through_time"]
    cell, inp = model.blocks[0].cell, F.one_hot(x, VOCAB).float()[None]
    for t in range(T):
        first, state = cell(inp[:, : t + 1])
        lstm = kind == LayerKind.LSTM
        h = (state[0] if lstm else state).detach().requires_grad_()
        parts = [first[:, :t].detach(), h.transpose(0, 1)]
        if t + 1 < T:
            parts.append(cell(inp[:, t + 1 :], (h, state[1].detach()) if lstm else h)[0])
        seq = torch.cat(parts, dim=1)  # (1, T, H)
        loss = F.cross_entropy(model.forward_from(0, seq)[0, -1:], y[-1:])
        (grad,) = torch.autograd.grad(loss, h)
        assert got[t] == pytest.approx(float(grad.norm()), rel=1e-5, abs=1e-9)


def test_gradient_at_a_non_recurrent_layer_and_after_the_scored_step() -> None:
    model = _model(LayerSpec(kind=LayerKind.EMBEDDING, units=4), LayerSpec(kind=LayerKind.LSTM,
                   units=3))  # fmt: skip
    x, y = _tokens(4), torch.full((T,), -1)
    y[5] = 2  # only step 5 is scored (as in copy): steps after it get nothing
    got = sp.internals(model, x, y, 0, F.cross_entropy, True)["grad_through_time"]
    e = model.blocks[0](x[None])[0].detach().requires_grad_()
    loss = F.cross_entropy(model.forward_from(0, e)[0, 5:6], y[5:6])
    (grad,) = torch.autograd.grad(loss, e)
    assert np.allclose(got, grad[0].norm(dim=1).numpy(), rtol=1e-5, atol=1e-9)
    assert (got[6:] == 0).all() and got[5] > 0


@pytest.mark.parametrize("causal", [True, False])
def test_attention_maps_equal_softmax_of_queries_and_keys(causal: bool) -> None:
    heads, d = 2, 8
    spec = LayerSpec(kind=LayerKind.TRANSFORMER, units=d, heads=heads, causal=causal)
    model = _model(LayerSpec(kind=LayerKind.EMBEDDING, units=6), spec, spec)
    x = _tokens(5)
    maps = sp.internals(model, x, _targets(), 1, F.cross_entropy, True)["attention"]
    assert len(maps) == 2
    h = model.blocks[0](x[None])[0]  # (1, T, 6)
    for k, block in enumerate(model.blocks[1:]):
        stream = block.project(h)[0]  # (T, d)
        if k == 0:  # the first transformer adds sinusoidal positions
            pos = torch.arange(T, dtype=torch.float32)[:, None]
            i = torch.arange(0, d, 2, dtype=torch.float32)
            angle = pos / 10000 ** (i / d)
            stream = stream + torch.stack([angle.sin(), angle.cos()], dim=2).reshape(T, d)
        z = F.layer_norm(stream, (d,), block.norm1.weight, block.norm1.bias)
        Wq, Wk, _ = block.attn.in_proj_weight.chunk(3)
        bq, bk, _ = block.attn.in_proj_bias.chunk(3)
        Q, K = z @ Wq.T + bq, z @ Wk.T + bk
        for head in range(heads):
            cols = slice(head * d // heads, (head + 1) * d // heads)
            scores = Q[:, cols] @ K[:, cols].T / math.sqrt(d // heads)
            if causal:
                scores = scores.masked_fill(torch.ones(T, T).triu(1).bool(), -math.inf)
            want = torch.softmax(scores, dim=1).detach().numpy()
            assert np.allclose(maps[k][head], want, atol=1e-6)
        if causal:
            assert np.allclose(np.triu(maps[k], 1), 0)
        h = block(h)[0]


def test_sampling_with_a_carried_state_equals_rereading_the_whole_text() -> None:
    model = _model(LayerSpec(kind=LayerKind.GRU, units=6), LayerSpec(kind=LayerKind.LSTM,
                   units=5))  # fmt: skip
    ids = sp.sample(model, [1, 2], 12, 1.0, 50, torch.Generator().manual_seed(0))
    again = sp.sample(model, [1, 2], 12, 1.0, 50, torch.Generator().manual_seed(0))
    assert ids == again and ids[:2] == [1, 2] and len(ids) == 14
    _, states = model.forward_state(torch.tensor([ids[:7]]))
    step, _ = model.forward_state(torch.tensor([ids[7:]]), states)
    whole = model(torch.tensor([ids]))
    assert torch.allclose(whole[0, 7:], step[0], atol=1e-6)  # the state carries everything
