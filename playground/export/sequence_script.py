"""Generate a standalone PyTorch script (no `playground` import) that reruns a sequence run.

The script carries the app's own task generators and model classes (copied from
playground/data/sequences.py and playground/nn/sequence_model.py), builds the network with the
same seeded draws, and trains it on the same batches: its losses match the app's.
"""

from __future__ import annotations

from torch import nn

from playground.choices import DatasetName, Init, LayerKind
from playground.config import ConfigError, RunConfig
from playground.data import sequences
from playground.export.codegen import (
    _device_code,
    _extract_source,
    _optimizer_code,
    _schedule_code,
    _steps_line,
)
from playground.export.script_template import INIT_CODE, LOSS_CODE, SQUARE_LOSS
from playground.export.sequence_template import SEQUENCE_SCRIPT
from playground.nn import sequence_model
from playground.nn.model import ACTIVATIONS

MODEL_NAMES = ["SequenceModel", "Recurrent", "TransformerBlock", "Stateless", "causal_mask",
               "positional_encoding", "init_recurrent"]  # fmt: skip


def generate(cfg: RunConfig) -> str:
    """A standalone script that reruns a sequence cfg; its last stdout line is JSON."""
    data = sequences.make_sequences(cfg.data, cfg.seq)
    text = cfg.data.name == DatasetName.TEXT
    parts = {
        "title": f"Train a sequence model on the {cfg.data.name.value} task",
        "settings": _settings(cfg, int(data.X_train.shape[0])),
        "data_code": _extract_source(sequences, ["text_windows" if text else "generate"]),
        "text": _text_code() if text else "",
        "make_split": _split_code(text),
        "model_code": _extract_source(sequence_model, MODEL_NAMES),
        "make_model": _model_code(cfg, data.vocab, 0 if data.is_tokens else 1),
        "loss_def": SQUARE_LOSS if cfg.train.loss.value == "square" else "",
        "loss": LOSS_CODE[cfg.train.loss],
        "tokens": repr(data.is_tokens),
        **_optimizer_code(cfg),
        **_schedule_code(cfg),
    }
    source = SEQUENCE_SCRIPT.substitute(parts)
    return "\n".join(line.rstrip() for line in source.splitlines()) + "\n"


def _settings(cfg: RunConfig, n_train: int) -> str:
    d, s, t = cfg.data, cfg.seq, cfg.train
    return "\n".join([
        f"TASK = {d.name.value!r}",
        f"DATA_SEED = {d.seed}  # data.seed: the sequences and the train/test split",
        f"N_SAMPLES = {d.n_samples}  # sequences, train and test",
        f"TRAIN_RATIO = {d.train_ratio!r}",
        f"NOISE = {d.noise!r}  # sine: noise, percent of the unit range",
        f"SEQ_LEN = {s.seq_len}  # steps (reverse, sort: digits)",
        f"DELAY = {s.delay}  # copy: steps between the symbol and its recall",
        f"SYMBOLS = {s.symbols}  # copy: alphabet size",
        f"BPTT = {s.bptt}  # truncated backpropagation window in steps; 0 = the whole sequence",
        f"SEED = {t.seed}  # train.seed: initial weights, dropout masks and the batch order",
        f"LR = {t.lr!r}  # learning rate",
        f"BATCH_SIZE = {t.batch_size}",
        f"GRAD_CLIP = {t.grad_clip!r}  # max global gradient norm; 0 = off",
        _steps_line(cfg, n_train),
        f"DEVICE = {_device_code(t.device)}",
    ])  # fmt: skip


def _text_code() -> str:
    """The bundled text as a constant, in pieces short enough for a line."""
    text = sequences.bundled_text()
    pieces = [f"    {text[i : i + 80]!r}" for i in range(0, len(text), 80)]
    return "\n\nTEXT = (  # the app's bundled prose\n" + "\n".join(pieces) + "\n)\n"


def _split_code(text: bool) -> str:
    if text:
        return ("    X_train, Y_train, X_test, Y_test, _ = text_windows(\n"
                "        rng, TEXT, n_train, N_SAMPLES - n_train, SEQ_LEN\n    )")  # fmt: skip
    return (
        "    X, Y, _ = generate(TASK, rng, N_SAMPLES, SEQ_LEN, DELAY, SYMBOLS, NOISE)\n"
        "    X_train, Y_train, X_test, Y_test = X[:n_train], Y[:n_train], X[n_train:], Y[n_train:]"
    )


def _model_code(cfg: RunConfig, vocab: int, features: int) -> str:
    """make_model's body: the blocks built in the app's order, drawing from one generator."""
    lines = ["    g = torch.Generator().manual_seed(SEED)", "    blocks: list[nn.Module] = []"]
    width, first, seed = vocab or features, True, cfg.train.seed
    for i, spec in enumerate(cfg.model.layers):
        layer_seed, kind = seed + 1000 * i, spec.kind
        if kind == LayerKind.EMBEDDING:
            lines += [f"    emb = nn.Embedding({vocab}, {spec.units})",
                      "    nn.init.normal_(emb.weight, 0.0, 1.0, generator=g)",
                      "    blocks.append(Stateless(emb))"]  # fmt: skip
        elif kind in sequence_model.RECURRENT:
            init = INIT_CODE[spec.init].format(w="w")
            lines += ["    blocks.append(Recurrent(  # kind, input width, units, dropout, init",
                      f"        {kind.value!r}, {width}, {spec.units}, {spec.dropout!r},",
                      f"        lambda w: {init},",
                      f"        {layer_seed},", "    ))"]  # fmt: skip
        elif kind == LayerKind.TRANSFORMER:
            args = f"{width}, {spec.units}, {spec.heads}, {spec.causal}, {spec.dropout!r}, {first}"
            lines.append(f"    blocks.append(TransformerBlock({args}, g, {layer_seed}))")
            first = False
        elif kind == LayerKind.DENSE:
            act = ACTIVATIONS[spec.activation]()
            if type(act).__module__ != nn.Tanh.__module__:
                raise ConfigError(f"model.layers[{i}]: {spec.activation.value} cannot be exported")
            bias = "nn.init.constant_(linear.bias, 0.1)" if spec.init == Init.PLAYGROUND else None
            lines += [f"    linear = nn.Linear({width}, {spec.units})",
                      "    " + INIT_CODE[spec.init].format(w="linear.weight"),
                      "    " + (bias or "nn.init.zeros_(linear.bias)"),
                      f"    blocks.append(Stateless(nn.Sequential(linear, nn.{act!r})))",
                      ]  # fmt: skip
        else:  # dropout
            lines.append(f"    blocks.append(Stateless(SeededDropout({spec.p!r}, {layer_seed})))")
            continue
        width = spec.units
    kinds = tuple(s.kind.value for s in cfg.model.layers)
    lines += [f"    head = nn.Linear({width}, {vocab or 1})",
              "    nn.init.xavier_uniform_(head.weight, generator=g)",
              "    nn.init.zeros_(head.bias)",
              f"    return SequenceModel(blocks, head, {vocab}, {kinds!r})"]  # fmt: skip
    return "\n".join(lines)
