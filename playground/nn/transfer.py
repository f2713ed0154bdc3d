"""Transfer learning on a built model: start from other weights (a new head where the classes
differ) and freeze layers (their parameters get no gradient, so no optimizer moves them)."""

from __future__ import annotations

import torch
from torch import nn

from playground.config import ConfigError, RunConfig
from playground.settings.images import FREEZABLE

WEIGHTED = (nn.Linear, nn.Conv2d)


def layer_modules(cfg: RunConfig, model: nn.Sequential) -> dict[int, nn.Module]:
    """model.layers index -> its Linear/Conv2d module, for every dense or conv2d layer."""
    modules = [m for m in model if isinstance(m, WEIGHTED)]
    specs = [i for i, spec in enumerate(cfg.model.layers) if spec.kind in FREEZABLE]
    return dict(zip(specs, modules))


def head_keys(model: nn.Sequential) -> set[str]:
    """The state_dict keys of the output layer (the last Linear/Conv2d)."""
    index = max(i for i, m in enumerate(model) if isinstance(m, WEIGHTED))
    return {f"{index}.{name}" for name, _ in model[index].named_parameters()}


def load_start(model: nn.Sequential, state: dict[str, torch.Tensor]) -> tuple[str, ...]:
    """Copy `state` into `model` exactly, except an output layer of another shape (another
    number of classes), which keeps the model's fresh initialisation. Returns the keys left
    fresh; ConfigError (transfer.start_from) if any other layer does not fit."""
    own, head = model.state_dict(), head_keys(model)
    extra = sorted(set(state) - set(own))
    if extra:
        raise ConfigError(
            f"transfer.start_from: the starting weights have layers this model lacks "
            f"({', '.join(extra[:4])}); build the same hidden layers"
        )
    fresh: list[str] = []
    for key, mine in own.items():
        theirs = state.get(key)
        if theirs is not None and theirs.shape == mine.shape:
            continue
        if key in head:  # another number of classes: a new output layer
            fresh.append(key)
            continue
        what = "missing" if theirs is None else f"of shape {tuple(theirs.shape)}"
        raise ConfigError(
            f"transfer.start_from: {key} is {what} in the starting weights; this model needs "
            f"{tuple(mine.shape)} (build the same hidden layers)"
        )
    if fresh:
        fresh = sorted(head)  # a new output layer starts afresh as a whole, never half-copied
    keep = {k: v for k, v in state.items() if k not in fresh}
    model.load_state_dict(own | {k: v.to(own[k].dtype) for k, v in keep.items()})
    return tuple(sorted(fresh))


def freeze(cfg: RunConfig, model: nn.Sequential) -> tuple[nn.Module, ...]:
    """Stop the gradient of every layer in cfg.transfer.frozen; returns those modules."""
    modules = layer_modules(cfg, model)
    frozen = tuple(modules[i] for i in cfg.transfer.frozen)
    for m in frozen:
        for p in m.parameters():
            p.requires_grad_(False)
    return frozen


def start_weights(
    cfg: RunConfig, model: nn.Sequential, state: dict[str, torch.Tensor] | None
) -> tuple[str, ...]:
    """Load the starting weights (strictly, unless they come from elsewhere: transfer.start_from
    or the demonstration), then freeze; returns the output-layer keys that start afresh."""
    fresh: tuple[str, ...] = ()
    if state is not None and (cfg.transfer.start_from or cfg.transfer.demo):
        fresh = load_start(model, state)
    elif state is not None:
        model.load_state_dict(state)
    elif cfg.transfer.start_from:
        raise ConfigError(f"transfer.start_from: no weights came with {cfg.transfer.start_from!r}")
    freeze(cfg, model)
    return fresh
