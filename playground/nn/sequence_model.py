"""Sequence networks from LayerSpecs: embedding, rnn, lstm, gru, transformer, dense, per step.

A SequenceModel maps inputs (N, T) token ids, or (N, T, F) values, to outputs (N, T, K) at every
step. Recurrent layers are torch's own nn.RNN / nn.LSTM / nn.GRU (one layer each, batch first);
a transformer layer is a pre-norm block of torch's nn.MultiheadAttention and a feed-forward net.
Every weight is drawn from a generator seeded by the config; dropout masks from their own
generators (SeededDropout), so concurrent runs stay reproducible.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

from playground.config import MAX_PARAMS, ConfigError, Init, LayerKind, ModelConfig
from playground.nn.model import ACTIVATIONS, INITS, SeededDropout, _initialise, count_params

# Keyed by plain strings (a LayerKind is a str): the exported script copies these classes.
RECURRENT = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}
GATES = {"rnn": 1, "lstm": 4, "gru": 3}  # blocks of weight rows: one per gate
FF_WIDTH = 2  # a transformer's feed-forward hidden layer has FF_WIDTH * units units

State = torch.Tensor | tuple[torch.Tensor, torch.Tensor] | None


def positional_encoding(steps: int, width: int) -> torch.Tensor:
    """(T, D) sinusoidal positions (Vaswani et al. 2017): sin on even, cos on odd features."""
    pos = torch.arange(steps, dtype=torch.float32)[:, None]
    freq = torch.exp(torch.arange(0, width, 2, dtype=torch.float32) * (-math.log(10000.0) / width))
    pe = torch.zeros(steps, width)
    pe[:, 0::2] = torch.sin(pos * freq)
    pe[:, 1::2] = torch.cos(pos * freq[: width // 2])
    return pe


def causal_mask(steps: int, device: torch.device) -> torch.Tensor:
    """(T, T) bool, True where a query step may not attend (later key steps)."""
    return torch.ones(steps, steps, dtype=torch.bool, device=device).triu(1)


class Recurrent(nn.Module):
    """One torch recurrent layer (tanh RNN, LSTM or GRU) and dropout on its outputs.

    `init` fills one gate's block of weights in place (seeded by its caller)."""

    def __init__(
        self, kind: str, width: int, units: int, dropout: float, init: Callable, seed: int
    ) -> None:
        super().__init__()
        self.kind = kind
        self.cell = RECURRENT[kind](width, units, batch_first=True)
        self.drop = SeededDropout(dropout, seed)
        init_recurrent(self.cell, kind, init)

    def forward(self, x: torch.Tensor, state: State = None) -> tuple[torch.Tensor, State]:
        out, state = self.cell(x, state)  # (N, T, H)
        return self.drop(out), state


class TransformerBlock(nn.Module):
    """Pre-norm block: x + attn(LN1 x), then + FF(LN2 x). `project` maps the input width to
    units; the first transformer adds sinusoidal positions."""

    def __init__(
        self, width: int, d: int, heads: int, causal: bool, dropout: float, first: bool,
        g: torch.Generator, seed: int,
    ) -> None:  # fmt: skip
        super().__init__()
        self.causal, self.heads, self.positions = causal, heads, first
        self.project = nn.Linear(width, d) if width != d else nn.Identity()
        self.norm1, self.norm2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.attn = nn.MultiheadAttention(d, heads, batch_first=True)
        self.ff = nn.Sequential(nn.Linear(d, FF_WIDTH * d), nn.ReLU(), nn.Linear(FF_WIDTH * d, d))
        self.drop1 = SeededDropout(dropout, seed)
        self.drop2 = SeededDropout(dropout, seed + 1)
        for name, p in self.named_parameters():
            if p.dim() == 2:
                nn.init.xavier_uniform_(p, generator=g)
            elif "norm" not in name:
                nn.init.zeros_(p)

    def attention_input(self, x: torch.Tensor) -> torch.Tensor:
        """(N, T, D) the residual stream entering the block (projected, with positions)."""
        h = self.project(x)
        return h + positional_encoding(h.shape[1], h.shape[2]).to(h) if self.positions else h

    def mask(self, steps: int, device: torch.device) -> torch.Tensor | None:
        return causal_mask(steps, device) if self.causal else None

    def forward(self, x: torch.Tensor, state: State = None) -> tuple[torch.Tensor, State]:
        h = self.attention_input(x)
        q = self.norm1(h)
        a = self.attn(q, q, q, attn_mask=self.mask(h.shape[1], h.device), need_weights=False)[0]
        h = h + self.drop1(a)
        return h + self.drop2(self.ff(self.norm2(h))), None


class Stateless(nn.Module):
    """A per-step module (embedding, dense + activation, dropout) in the blocks' signature."""

    def __init__(self, module: nn.Module) -> None:
        super().__init__()
        self.module = module

    def forward(self, x: torch.Tensor, state: State = None) -> tuple[torch.Tensor, State]:
        return self.module(x), None


class SequenceModel(nn.Module):
    """Blocks (one per LayerSpec) then a per-step linear output layer.

    Args:
        vocab: token ids of the inputs (one-hot when the first layer is not an embedding);
            0 when the inputs are values of `features` features.
    """

    def __init__(
        self, blocks: list[nn.Module], head: nn.Linear, vocab: int, kinds: tuple[str, ...]
    ) -> None:
        super().__init__()
        self.blocks = nn.ModuleList(blocks)
        self.head = head
        self.vocab, self.kinds = vocab, kinds
        self.one_hot = vocab > 0 and (not kinds or kinds[0] != "embedding")

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """The first block's input: one-hot rows for token ids without an embedding."""
        return F.one_hot(x, self.vocab).float() if self.one_hot else x

    def example_input(self, input_shape: tuple[int, ...]) -> torch.Tensor:
        """Zeros for one sequence of input_shape (T,): ids (1, T), or values (1, T, 1) (sine,
        the one task of values, has one per step)."""
        if self.vocab:
            return torch.zeros(1, *input_shape, dtype=torch.long)
        return torch.zeros(1, *input_shape, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(N, T) ids or (N, T, F) values -> (N, T, K) outputs."""
        return self.forward_state(x)[0]

    def forward_state(
        self, x: torch.Tensor, states: list[State] | None = None
    ) -> tuple[torch.Tensor, list[State]]:
        """Outputs and each block's final recurrent state (None for the others), starting from
        `states` (None: zeros): a long sequence can be fed in pieces."""
        h, new = self.embed(x), []
        for i, block in enumerate(self.blocks):
            h, s = block(h, None if states is None else states[i])
            new.append(s)
        return self.head(h), new

    def outputs(self, x: torch.Tensor) -> list[torch.Tensor]:
        """[first block's input, each block's output (N, T, D)...]: what every layer sees."""
        hs = [self.embed(x)]
        for block in self.blocks:
            hs.append(block(hs[-1])[0])
        return hs

    def forward_from(self, k: int, h: torch.Tensor) -> torch.Tensor:
        """The outputs (N, T, K) given block k's output h (N, T, D)."""
        for block in self.blocks[k + 1 :]:
            h = block(h)[0]
        return self.head(h)

    @property
    def has_transformer(self) -> bool:
        return "transformer" in self.kinds


def build_sequence_model(
    model_cfg: ModelConfig, vocab: int, features: int, out_units: int, seed: int
) -> SequenceModel:
    """The network of model_cfg for inputs of `vocab` token ids (or `features` values per step)
    and `out_units` outputs per step; weights drawn from a generator seeded by `seed`."""
    g = torch.Generator().manual_seed(seed)
    blocks: list[nn.Module] = []
    width = vocab or features
    first_transformer = True
    for i, spec in enumerate(model_cfg.layers):
        layer_seed = seed + 1000 * i
        if spec.kind == LayerKind.EMBEDDING:
            emb = nn.Embedding(vocab, spec.units)
            nn.init.normal_(emb.weight, 0.0, 1.0, generator=g)
            blocks.append(Stateless(emb))
        elif spec.kind in RECURRENT:
            init = _gate_init(spec.init, g)
            blocks.append(Recurrent(spec.kind, width, spec.units, spec.dropout, init, layer_seed))
        elif spec.kind == LayerKind.TRANSFORMER:
            attn = (spec.units, spec.heads, spec.causal, spec.dropout, first_transformer)
            blocks.append(TransformerBlock(width, *attn, g, layer_seed))
            first_transformer = False
        elif spec.kind == LayerKind.DENSE:
            linear = nn.Linear(width, spec.units)
            _initialise(linear, spec.init, g)
            blocks.append(Stateless(nn.Sequential(linear, ACTIVATIONS[spec.activation]())))
        elif spec.kind == LayerKind.DROPOUT:
            blocks.append(Stateless(SeededDropout(spec.p, layer_seed)))
            continue
        else:
            raise ConfigError(f"model.layers[{i}]: {spec.kind.value} does not apply to sequences")
        width = spec.units
    head = nn.Linear(width, out_units)
    nn.init.xavier_uniform_(head.weight, generator=g)
    nn.init.zeros_(head.bias)
    model = SequenceModel(blocks, head, vocab, tuple(s.kind for s in model_cfg.layers))
    n_params = count_params(model)
    if n_params > MAX_PARAMS:
        raise ConfigError(f"model: {n_params:,} parameters exceed the cap of {MAX_PARAMS:,}")
    return model


def init_recurrent(cell: nn.RNNBase, kind: str, init: Callable) -> None:
    """`init` on each gate's block of weight_ih and weight_hh; zero biases, except an LSTM's
    forget gate bias of 1 (Jozefowicz et al. 2015: it starts by remembering)."""
    h = cell.hidden_size
    with torch.no_grad():
        for w in (cell.weight_ih_l0, cell.weight_hh_l0):
            for k in range(GATES[kind]):
                init(w[k * h : (k + 1) * h])
        cell.bias_ih_l0.zero_()
        cell.bias_hh_l0.zero_()
        if kind == "lstm":
            cell.bias_ih_l0[h : 2 * h] = 1.0  # torch's gate order: input, forget, cell, output


def _gate_init(init: Init, g: torch.Generator) -> Callable[[torch.Tensor], None]:
    """A weight init drawing from g (the playground's: uniform in +-0.5)."""
    if init == Init.PLAYGROUND:
        return lambda w: nn.init.uniform_(w, -0.5, 0.5, generator=g)
    return lambda w: INITS[init](w, g)
