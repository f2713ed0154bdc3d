"""LayerSpec list -> nn.Sequential; activation and init registries; output head and loss."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from playground.config import (
    MAX_PARAMS,
    Activation,
    ConfigError,
    Init,
    LayerKind,
    LayerSpec,
    Loss,
    ModelConfig,
    ModelKind,
    RunConfig,
    Task,
)
from playground.nn.functions import ACTIVATION_FNS, LOSS_FNS, activation_name

ACTIVATIONS: dict[Activation, Callable[[], nn.Module]] = {
    a: ACTIVATION_FNS[a.value].module for a in Activation
}


def activation_of(module: nn.Module) -> Activation:
    """The Activation a module computes, by its type; LINEAR for any other module."""
    name = activation_name(module)
    return next((a for a in Activation if a.value == name), Activation.LINEAR)


class RBF(nn.Module):
    """Gaussian radial basis units: out_j = exp(-||x - c_j||^2 / (2 sigma_j^2)), x (N, F).

    `weight` holds the centres c (units, F), so the network picture, the weight views and hand
    edits show them like any layer's weights; the widths are sigma = exp(log_width) (units,),
    learnable and always positive. No bias. Centres are placed by `place_centres`.
    """

    def __init__(self, in_features: int, units: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(units, in_features))
        self.log_width = nn.Parameter(torch.zeros(units))
        self.register_parameter("bias", None)

    @property
    def widths(self) -> torch.Tensor:
        """(units,) sigma of each unit."""
        return self.log_width.exp()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        d2 = (x[:, None, :] - self.weight[None]).pow(2).sum(dim=2)  # (N, units)
        return torch.exp(-d2 / (2 * self.widths.pow(2)[None]))


def place_centres(
    rbf: RBF, init: Init, inputs: torch.Tensor | None, seed: int, g: torch.Generator, where: str
) -> None:
    """Centres at the k-means centroids of the inputs (N, F) (scikit-learn's KMeans, seeded), or
    uniform over their bounding box ("uniform"); each width is the distance from its centre to
    the nearest other centre. Without inputs (weights loaded next) centres are U(-1, 1)."""
    k, f = rbf.weight.shape
    if inputs is None:
        c = torch.rand(k, f, generator=g) * 2 - 1
    elif init == Init.KMEANS:
        X = inputs.detach().reshape(len(inputs), -1).double().cpu().numpy()
        if len(X) < k:
            raise ConfigError(f"{where}: kmeans needs at least {k} training inputs, got {len(X)}")
        from sklearn.cluster import KMeans  # imported only when an rbf layer is built

        c = torch.from_numpy(KMeans(k, n_init=4, random_state=seed).fit(X).cluster_centers_)
    else:
        X = inputs.detach().reshape(len(inputs), -1).float().cpu()
        lo, hi = X.min(dim=0).values, X.max(dim=0).values
        c = lo + (hi - lo) * torch.rand(k, f, generator=g)
    d = torch.cdist(c.double(), c.double()) + torch.diag(torch.full((k,), torch.inf))
    nearest = d.min(dim=1).values if k > 1 else torch.ones(1, dtype=torch.double)
    with torch.no_grad():
        rbf.weight.copy_(c)
        rbf.log_width.copy_(nearest.clamp(min=1e-3).log())


def check_scriptable(cfg: RunConfig) -> None:
    """ConfigError unless the exported script can rebuild cfg's model: a supervised network
    without rbf layers (ONNX and experiment files take those)."""
    if cfg.kind != ModelKind.SUPERVISED:
        raise ConfigError(f"kind: the exported script trains supervised networks, not "
                          f"{cfg.kind.value!r}")  # fmt: skip
    for i, spec in enumerate(cfg.model.layers):
        if spec.kind == LayerKind.RBF:
            raise ConfigError(f"model.layers[{i}]: the exported script has no rbf layers yet")


TRAINABLE = (nn.Linear, nn.Conv2d, RBF)


def _init_playground(w: torch.Tensor, b: torch.Tensor | None, g: torch.Generator) -> None:
    nn.init.uniform_(w, -0.5, 0.5, generator=g)
    if b is not None:
        nn.init.constant_(b, 0.1)


INITS: dict[Init, Callable[[torch.Tensor, torch.Generator], None]] = {
    Init.ZEROS: lambda w, g: nn.init.zeros_(w),
    Init.UNIFORM: lambda w, g: nn.init.uniform_(w, -0.05, 0.05, generator=g),
    Init.NORMAL: lambda w, g: nn.init.normal_(w, 0.0, 0.01, generator=g),  # "small normal"
    Init.XAVIER_UNIFORM: lambda w, g: nn.init.xavier_uniform_(w, generator=g),
    Init.XAVIER_NORMAL: lambda w, g: nn.init.xavier_normal_(w, generator=g),
    Init.KAIMING_UNIFORM: lambda w, g: nn.init.kaiming_uniform_(
        w, nonlinearity="relu", generator=g
    ),
    Init.KAIMING_NORMAL: lambda w, g: nn.init.kaiming_normal_(w, nonlinearity="relu", generator=g),
    Init.ORTHOGONAL: lambda w, g: nn.init.orthogonal_(w, generator=g),
}


class SeededDropout(nn.Module):
    """Dropout drawing its mask from its own generator, so concurrent runs stay reproducible."""

    def __init__(self, p: float, seed: int) -> None:
        super().__init__()
        self.p = p
        self.generator = torch.Generator().manual_seed(seed)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0:
            return x
        keep = torch.rand(x.shape, generator=self.generator) >= self.p
        return x * keep.to(x.device, x.dtype) / (1 - self.p)


@dataclass(frozen=True)
class Head:
    """The output layer the task and loss call for."""

    units: int
    activation: Activation


def output_head(cfg: RunConfig, n_classes: int) -> Head:
    """Output units and activation: logits for cross-entropy/BCE, tanh for +-1 targets."""
    loss = cfg.train.loss
    if cfg.data.task == Task.REGRESSION:
        head = Head(1, Activation.LINEAR)
    elif loss == Loss.CROSS_ENTROPY:
        head = Head(n_classes, Activation.LINEAR)
    elif n_classes == 2:  # one output: a BCE logit, or a tanh score against +-1 (TF Playground)
        head = Head(1, Activation.LINEAR if loss == Loss.BCE else Activation.TANH)
    else:
        head = Head(n_classes, Activation.LINEAR)
    if cfg.model.output_activation != "auto":
        head = Head(head.units, Activation(cfg.model.output_activation))
    return head


def build_model(
    model_cfg: ModelConfig,
    input_shape: tuple[int, ...],
    head: Head,
    seed: int,
    inputs: torch.Tensor | None = None,
) -> nn.Sequential:
    """Layers as specified, then the head; every trainable layer followed by its own activation.

    Args:
        input_shape: one example's shape, (F,) for tabular data or (1, 8, 8) for images.
        inputs: (N, *input_shape) training inputs, where an rbf layer places its centres.
    """
    g = torch.Generator().manual_seed(seed)
    modules: list[nn.Module] = []
    shape = tuple(input_shape)
    out_spec = LayerSpec(units=head.units, activation=head.activation, init=_last_init(model_cfg))
    specs = [*model_cfg.layers, out_spec]
    for i, spec in enumerate(specs):
        where = f"model.layers[{i}]" if i < len(model_cfg.layers) else "output layer"
        if spec.kind in (LayerKind.DENSE, LayerKind.RBF) and len(shape) > 1:
            modules.append(nn.Flatten())
            shape = (_numel(shape),)
        new = _make_layer(spec, shape, seed + 1000 * i, where)
        for m in new:
            if isinstance(m, RBF):
                place_centres(m, spec.init, inputs, seed + 1000 * i, g, where)
            elif isinstance(m, TRAINABLE):
                _initialise(m, spec.init, g)
        modules.extend(new)
        shape = _out_shape(new, shape, where)
    model = nn.Sequential(*modules)
    n_params = count_params(model)
    if n_params > MAX_PARAMS:
        raise ConfigError(f"model: {n_params:,} parameters exceed the cap of {MAX_PARAMS:,}")
    return model


def _last_init(model_cfg: ModelConfig) -> Init:
    trainable = [s for s in model_cfg.layers if s.is_trainable]
    return trainable[-1].init if trainable else Init.XAVIER_UNIFORM


def _make_layer(spec: LayerSpec, shape: tuple[int, ...], seed: int, where: str) -> list[nn.Module]:
    kind = spec.kind
    if kind == LayerKind.DENSE:
        return [nn.Linear(shape[0], spec.units), ACTIVATIONS[spec.activation]()]
    if kind == LayerKind.RBF:  # Identity: trainable_layers reads the module after as its act
        return [RBF(shape[0], spec.units), nn.Identity()]
    if kind == LayerKind.FLATTEN:
        return [nn.Flatten()]
    if kind == LayerKind.DROPOUT:
        return [SeededDropout(spec.p, seed)]
    if kind == LayerKind.BATCHNORM:
        return [nn.BatchNorm1d(shape[0]) if len(shape) == 1 else nn.BatchNorm2d(shape[0])]
    if len(shape) != 3:
        raise ConfigError(f"{where}: {kind.value} needs image-shaped input, got shape {shape}")
    if kind == LayerKind.CONV2D:
        conv = nn.Conv2d(shape[0], spec.channels, spec.kernel, spec.stride, spec.padding)
        return [conv, ACTIVATIONS[spec.activation]()]
    pool = nn.MaxPool2d if kind == LayerKind.MAXPOOL2D else nn.AvgPool2d
    return [pool(spec.kernel, spec.stride)]


def _out_shape(new: list[nn.Module], shape: tuple[int, ...], where: str) -> tuple[int, ...]:
    try:
        with torch.no_grad():
            out = nn.Sequential(*new).eval()(torch.zeros(2, *shape))
    except RuntimeError as e:
        raise ConfigError(f"{where}: does not fit input of shape {shape} ({e})") from None
    if out.numel() == 0:
        raise ConfigError(f"{where}: leaves nothing of input shape {shape}")
    return tuple(out.shape[1:])


def _initialise(m: nn.Module, init: Init, g: torch.Generator) -> None:
    with torch.no_grad():
        if init == Init.PLAYGROUND:
            _init_playground(m.weight, m.bias, g)
            return
        INITS[init](m.weight, g)
        if m.bias is not None:
            m.bias.zero_()


def _numel(shape: tuple[int, ...]) -> int:
    n = 1
    for s in shape:
        n *= s
    return n


def count_params(model: nn.Module) -> int:
    """Number of trainable scalars."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def trainable_layers(model: nn.Sequential) -> list[tuple[int, nn.Module, nn.Module]]:
    """(index, Linear/Conv2d, its activation module) for every trainable layer, output included."""
    mods = list(model)
    return [(i, m, mods[i + 1]) for i, m in enumerate(mods) if isinstance(m, TRAINABLE)]


def encode_targets(y: torch.Tensor, task: Task, head: Head, loss: Loss) -> torch.Tensor:
    """Targets in the form the loss takes: class indices, +-1 scores, one-hot rows or values.

    Args:
        y: (N,) int64 class indices, or (N,) float regression values.
    Returns:
        (N,) int64 for cross-entropy, else (N, head.units) float32.
    """
    if task == Task.REGRESSION:
        return y.float().reshape(-1, 1)
    if loss == Loss.CROSS_ENTROPY:
        return y.long()
    if head.units == 1:
        y01 = y.float().reshape(-1, 1)
        return y01 if loss == Loss.BCE else 2 * y01 - 1
    return F.one_hot(y.long(), head.units).float()


LOSSES: dict[Loss, Callable[[torch.Tensor, torch.Tensor], torch.Tensor]] = {
    loss: LOSS_FNS[loss.value].torch for loss in Loss
}


def predicted_class(output: torch.Tensor) -> torch.Tensor:
    """(N, K) outputs -> (N,) classes: sign of a single score/logit, else argmax."""
    if output.shape[1] == 1:
        return (output[:, 0] > 0).long()
    return output.argmax(dim=1)
