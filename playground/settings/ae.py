"""Settings of autoencoder runs (plain, denoising, variational): RunConfig.ae."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any

from playground.choices import TWO_D_SETS, DatasetName, LayerKind, ModelKind
from playground.settings.base import LayerSpec, check_range, fail
from playground.settings.section import Section

MAX_LATENT = 16
DECODER_KINDS = (LayerKind.DENSE, LayerKind.DROPOUT, LayerKind.BATCHNORM)  # no transposed conv


class AeVariant(str, Enum):
    PLAIN = "plain"  # x -> z -> x'
    DENOISING = "denoising"  # x + noise -> z -> x', compared with the clean x
    VAE = (
        "vae"  # x -> (mu, log var) -> z = mu + sigma * eps -> x', plus beta * KL(q(z|x) || N(0, I))
    )


@dataclass(frozen=True)
class AutoencoderConfig(Section):
    variant: AeVariant = AeVariant.PLAIN
    latent: int = 2  # bottleneck units: 2 can be drawn as a plane
    noise: float = 0.3  # denoising: std of the Gaussian noise added to each input value
    # vae: the KL term's weight against the squared error summed over the inputs; the evidence
    # lower bound of a Gaussian decoder with variance s^2 is beta = 2 s^2 (0.05: s = 0.16)
    beta: float = 0.05
    # the hidden layers after the bottleneck; () = the encoder's dense layers, mirrored
    decoder: tuple[LayerSpec, ...] = ()

    def __post_init__(self) -> None:
        check_range("ae.latent", self.latent, 1, MAX_LATENT)
        check_range("ae.noise", self.noise, 0.0, 2.0)
        check_range("ae.beta", self.beta, 0.0, 100.0)
        if self.variant == AeVariant.DENOISING and self.noise <= 0:
            fail("ae.noise", f"the denoising variant needs noise above 0, got {self.noise}")
        for i, spec in enumerate(self.decoder):
            if spec.kind not in DECODER_KINDS:
                kinds = [k.value for k in DECODER_KINDS]
                fail(f"ae.decoder[{i}]", f"{spec.kind.value} cannot follow the bottleneck; "
                     f"a decoder takes {kinds}")  # fmt: skip

    def check_run(self, run: Any) -> None:
        if run.kind != ModelKind.AUTOENCODER:
            if self != AutoencoderConfig():
                fail("ae", f"autoencoder settings need kind 'autoencoder', got {run.kind.value!r}")
            return
        data = run.data
        if data.name != DatasetName.DIGITS and data.name not in TWO_D_SETS:
            fail("data.name", f"an autoencoder trains on digits or a 2-D set, not "
                 f"{data.name.value!r}")  # fmt: skip
        if data.is_2d and (tuple(data.features) != ("x1", "x2") or data.custom_features):
            fail("data.features", "an autoencoder reconstructs the points themselves: use "
                 "['x1', 'x2'] and no custom features")  # fmt: skip
