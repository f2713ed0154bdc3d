"""Settings of image runs: data augmentation (RunConfig.augment), transfer learning (.transfer).

Both apply to the supervised learner on image data (digits) only; each refuses other runs with
a message naming its field.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from playground.choices import MAX_SEED, DatasetName, LayerKind, ModelKind
from playground.settings.base import check_range, fail
from playground.settings.section import Section

FREEZABLE = (LayerKind.DENSE, LayerKind.CONV2D)  # the layers with weights that can be frozen


def _image_run(section: str, field: str, run: Any) -> None:
    """Refuse `section.field` on a run that is not a supervised run on digits."""
    if run.data.name != DatasetName.DIGITS:
        fail(f"{section}.{field}", f"needs image data (digits), got {run.data.name.value!r}")
    if run.kind != ModelKind.SUPERVISED:
        fail(f"{section}.{field}", f"needs kind 'supervised', got {run.kind.value!r}")


@dataclass(frozen=True)
class AugmentConfig(Section):
    """Random changes to every training batch, drawn afresh each step; a shifted test set.

    A training image is turned by an angle in [-rotate, rotate] degrees and zoomed by a factor
    in [1 - scale, 1 + scale] about its centre, moved by up to `shift` pixels along each axis
    (bilinear interpolation, black outside the image), then given Gaussian pixel noise of
    standard deviation `noise` (clipped to [0, 1]). The test sets are never augmented; with
    test_shift > 0 a second test set, every digit moved test_shift pixels in a random direction,
    is evaluated beside the plain one (history column shifted_test_accuracy).
    """

    shift: float = 0.0  # pixels, 0-3
    rotate: float = 0.0  # degrees, 0-45
    scale: float = 0.0  # fraction, 0-0.5
    noise: float = 0.0  # standard deviation of pixel noise (pixels are in [0, 1]), 0-0.5
    seed: int = 0  # the augmentation's own random stream
    test_shift: float = 0.0  # pixels the shifted test set moves each digit; 0 = no such set

    def __post_init__(self) -> None:
        check_range("augment.shift", self.shift, 0.0, 3.0)
        check_range("augment.rotate", self.rotate, 0.0, 45.0)
        check_range("augment.scale", self.scale, 0.0, 0.5)
        check_range("augment.noise", self.noise, 0.0, 0.5)
        check_range("augment.seed", self.seed, 0, MAX_SEED)
        check_range("augment.test_shift", self.test_shift, 0.0, 3.0)

    @property
    def active(self) -> bool:
        """True when training batches are changed at all."""
        return bool(self.shift or self.rotate or self.scale or self.noise)

    def check_run(self, run: Any) -> None:
        for f in fields(self):
            if f.name != "seed" and getattr(self, f.name):
                _image_run("augment", f.name, run)


@dataclass(frozen=True)
class TransferConfig(Section):
    """Frozen layers, starting weights, and the built-in pretrain / fine-tune demonstration.

    frozen: indices into model.layers (dense or conv2d) whose weights and biases never change.
    start_from: where the starting weights came from ("" = a fresh initialisation). The weights
    travel beside the config (the Trainer's initial_state), as in an experiment file; every layer
    must fit them exactly except the output layer, which starts afresh when its shape differs
    (another number of classes).
    demo: pretrain the model on digits 0-4 (pretrain_steps steps, its own 5-way output layer),
    then fine-tune it on `per_class` labelled examples of each digit 5-9, beside the same model
    trained from scratch on the same examples and batches; both are tested on the test set's 5-9.
    """

    frozen: tuple[int, ...] = ()
    start_from: str = ""
    demo: bool = False
    per_class: int = 10  # demo: labelled training examples of each digit 5-9
    pretrain_steps: int = 1000  # demo: steps on digits 0-4 before fine-tuning

    def __post_init__(self) -> None:
        check_range("transfer.per_class", self.per_class, 1, 100)
        check_range("transfer.pretrain_steps", self.pretrain_steps, 1, 20000)
        if len(self.start_from) > 200:
            fail("transfer.start_from", "at most 200 characters")
        if len(set(self.frozen)) != len(self.frozen):
            fail("transfer.frozen", f"repeated layer in {list(self.frozen)}")
        if self.demo and self.start_from:
            fail("transfer.start_from", "the demonstration pretrains its own starting weights")

    def check_run(self, run: Any) -> None:
        for name in ("frozen", "start_from", "demo"):
            if getattr(self, name):
                _image_run("transfer", name, run)
        layers = run.model.layers
        for i, index in enumerate(self.frozen):
            where = f"transfer.frozen[{i}]"
            if not 0 <= index < len(layers):
                fail(where, f"model.layers[{index}] does not exist ({len(layers)} layers)")
            kind = layers[index].kind
            if kind not in FREEZABLE:
                fail(where, f"model.layers[{index}] is {kind.value}: no weights to freeze")
