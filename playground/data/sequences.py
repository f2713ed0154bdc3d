"""Sequence tasks, generated offline and seeded: sine, copy, parity, reverse, sort, text.

Every task gives inputs X (N, T) int64 token ids (or (N, T, 1) float32 for sine) and targets Y
(N, T): the token expected at each step, -1 where a step is not scored, or float32 values for
sine (every step scored). A model reads the whole input and answers at every step; the loss and
accuracy count the scored steps only.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

import numpy as np
import torch

from playground.choices import DatasetName
from playground.config import ConfigError, DataConfig, fail
from playground.settings.seq import SeqConfig

TEXT_FILE = "river.txt"  # a few KB of English prose written for this project (no licence bars)
BLANK = "·"  # copy: the filler
CUE = "?"  # copy: the recall cue
ANSWER = "="  # reverse, sort: the steps at which the answer is emitted
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"


@dataclass(frozen=True, eq=False)  # tensors have no single truth value: compare by identity
class SeqDataset:
    """A train/test split of sequences and the vocabulary their tokens index."""

    name: DatasetName
    X_train: torch.Tensor  # (N, T) int64 token ids, or (N, T, 1) float32 for sine
    Y_train: torch.Tensor  # (N, T) int64 (-1 = not scored), or float32 for sine
    X_test: torch.Tensor
    Y_test: torch.Tensor
    symbols: tuple[str, ...]  # token id i is shown as symbols[i]; ("x",) for sine

    @property
    def is_tokens(self) -> bool:
        return self.name != DatasetName.SINE

    @property
    def vocab(self) -> int:
        """Token ids (0 for sine, whose inputs are numbers)."""
        return len(self.symbols) if self.is_tokens else 0

    @property
    def steps(self) -> int:
        return int(self.X_train.shape[1])

    def mask(self, Y: torch.Tensor) -> torch.Tensor:
        """(N, T) bool: the scored steps of targets Y."""
        return Y >= 0 if self.is_tokens else torch.ones(Y.shape, dtype=torch.bool, device=Y.device)

    def decode(self, ids: list[int]) -> str:
        """Token ids as text (for the text task)."""
        return "".join(self.symbols[i] if 0 <= i < len(self.symbols) else "" for i in ids)

    def encode(self, text: str) -> list[int]:
        """Text as token ids; raises ConfigError naming a character outside the vocabulary."""
        index = {s: i for i, s in enumerate(self.symbols)}
        bad = sorted({c for c in text if c not in index})
        if bad:
            raise ConfigError(f"prompt: characters {bad} are not in the text's vocabulary")
        return [index[c] for c in text]


def bundled_text() -> str:
    """The bundled prose of the text task."""
    return resources.files("playground.data").joinpath(TEXT_FILE).read_text(encoding="utf-8")


def make_sequences(data: DataConfig, seq: SeqConfig) -> SeqDataset:
    """The train/test split of a sequence task, seeded by data.seed."""
    rng = np.random.default_rng(data.seed)
    n = data.n_samples
    n_train = min(max(1, round(n * data.train_ratio)), n - 1)
    if data.name == DatasetName.TEXT:
        text = bundled_text()
        shortest = min(n_train, n - n_train) / n * len(text)
        if shortest < seq.seq_len + 2:
            fail("seq.seq_len", f"{seq.seq_len} steps do not fit the text's split (about "
                 f"{int(shortest)} characters); shorten it or change data.train_ratio")  # fmt: skip
        parts = text_windows(rng, text, n_train, n - n_train, seq.seq_len)
        return SeqDataset(data.name, *map(torch.from_numpy, parts[:4]), parts[4])
    X, Y, symbols = generate(data.name, rng, n, seq.seq_len, seq.delay, seq.symbols, data.noise)
    Xt, Yt = torch.from_numpy(X), torch.from_numpy(Y)
    return SeqDataset(data.name, Xt[:n_train], Yt[:n_train], Xt[n_train:], Yt[n_train:], symbols)


def generate(
    name: str, rng: np.random.Generator, n: int, seq_len: int, delay: int, symbols: int,
    noise: float,
) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:  # fmt: skip
    """X, Y and the vocabulary of n sequences of a task (all but text)."""
    if name == "sine":
        return sine(rng, n, seq_len, noise)
    if name == "copy":
        return copy_task(rng, n, delay, symbols)
    if name == "parity":
        X = rng.integers(0, 2, (n, seq_len))  # random bits; target: their parity so far
        return X, np.cumsum(X, axis=1) % 2, ("0", "1")
    d = rng.integers(0, 10, (n, seq_len))  # reverse, sort: digits, then the answer steps
    answer = d[:, ::-1] if name == "reverse" else np.sort(d, axis=1)
    X = np.concatenate([d, np.full((n, seq_len), 10)], axis=1)
    Y = np.concatenate([np.full((n, seq_len), -1), answer], axis=1)
    return X.astype(np.int64), Y.astype(np.int64), (*"0123456789", ANSWER)


def sine(rng: np.random.Generator, n: int, steps: int, noise: float):
    """A sum of two sines with random frequencies, phases and amplitudes, plus Gaussian noise
    (`noise` percent of the unit range as its standard deviation); target = the next value."""
    t = np.arange(steps + 1)[None, :, None]  # (1, T+1, 1)
    freq = rng.uniform(0.15, 0.6, (n, 1, 2))
    phase = rng.uniform(0, 2 * np.pi, (n, 1, 2))
    amp = rng.uniform(0.3, 0.6, (n, 1, 2))
    v = (amp * np.sin(freq * t + phase)).sum(axis=2)  # (N, T+1)
    v = (v + rng.normal(0.0, noise / 100, v.shape)).astype(np.float32)
    return v[:, :-1, None], v[:, 1:].copy(), ("x",)


def copy_task(rng: np.random.Generator, n: int, delay: int, symbols: int):
    """A symbol at step 0, blanks, the cue at step `delay`: recall the symbol there."""
    s = rng.integers(2, 2 + symbols, n)
    X = np.zeros((n, delay + 1), dtype=np.int64)
    X[:, 0], X[:, -1] = s, 1
    Y = np.full((n, delay + 1), -1, dtype=np.int64)
    Y[:, -1] = s
    return X, Y, (BLANK, CUE, *LETTERS[:symbols])


def text_windows(rng: np.random.Generator, text: str, n_train: int, n_test: int, T: int):
    """X_train, Y_train, X_test, Y_test (int64) and the vocabulary: windows of T + 1
    characters at random offsets, the first part of the text (in proportion to n_train) for
    training, the rest for testing; the target is the next character."""
    symbols = tuple(sorted(set(text)))
    ids = np.array([symbols.index(c) for c in text], dtype=np.int64)
    cut = round(len(ids) * n_train / (n_train + n_test))
    parts = []
    for part, count in ((ids[:cut], n_train), (ids[cut:], n_test)):
        start = rng.integers(0, len(part) - T, count)
        win = part[start[:, None] + np.arange(T + 1)]  # (count, T+1)
        parts += [win[:, :-1].copy(), win[:, 1:].copy()]
    return (*parts, symbols)
