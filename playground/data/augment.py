"""Data augmentation of image batches: random rotation, zoom, shift and pixel noise, seeded.

Every image is resampled by one affine map about its centre c = ((H-1)/2, (W-1)/2): an input
pixel at p (row, col) lands at q = c + t + s R(a) (p - c), where R(a) = [[cos a, -sin a],
[sin a, cos a]] turns the image by `a` degrees as scipy.ndimage.rotate does, s is the zoom factor
and t the shift (rows, cols). Each output pixel reads the input at p = M q + offset, with
M = R(a)^T / s and offset = c - M (c + t), by bilinear interpolation with zeros outside the
image: scipy.ndimage.affine_transform(image, M, offset, order=1, mode="grid-constant") computes
the same image (tests/test_augment.py).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from playground.settings.images import AugmentConfig

SHIFTED_TEST_STREAM = 7919  # the shifted test set's own random stream (beside augment.seed)


@dataclass(frozen=True)
class Params:
    """One random draw for a batch of N images."""

    angle: torch.Tensor  # (N,) degrees
    scale: torch.Tensor  # (N,) zoom factor
    shift: torch.Tensor  # (N, 2) pixels along (rows, cols)
    noise: torch.Tensor | None  # (N, C, H, W) added after the resampling; None = no noise


def draw(n: int, shape: tuple[int, ...], cfg: AugmentConfig, g: torch.Generator) -> Params:
    """Uniform angle, zoom and shift within the configured strengths; Gaussian noise."""

    def signed(*size: int) -> torch.Tensor:
        return torch.rand(*size, generator=g, dtype=torch.float64) * 2 - 1

    angle, scale, shift = signed(n) * cfg.rotate, 1 + signed(n) * cfg.scale, signed(n, 2)
    noise = torch.randn(n, *shape, generator=g) * cfg.noise if cfg.noise else None
    return Params(angle, scale, shift * cfg.shift, noise)


def inverse_map(params: Params, size: tuple[int, int]) -> tuple[torch.Tensor, torch.Tensor]:
    """(N, 2, 2) matrices M and (N, 2) offsets: output pixel q reads input pixel M q + offset."""
    a = params.angle * (math.pi / 180)
    cos, sin = torch.cos(a), torch.sin(a)
    rot_t = torch.stack([torch.stack([cos, sin], -1), torch.stack([-sin, cos], -1)], -2)
    m = rot_t / params.scale[:, None, None]
    c = torch.tensor([(size[0] - 1) / 2, (size[1] - 1) / 2], dtype=torch.float64)
    offset = c - torch.einsum("nij,nj->ni", m, c + params.shift)
    return m, offset


def apply(x: torch.Tensor, params: Params) -> torch.Tensor:
    """x (N, C, H, W) resampled by the params' maps, plus their noise, within [0, 1] if noisy."""
    n, _, h, w = x.shape
    m, offset = inverse_map(params, (h, w))
    rows, cols = torch.meshgrid(
        torch.arange(h, dtype=torch.float64), torch.arange(w, dtype=torch.float64), indexing="ij"
    )
    q = torch.stack([rows, cols], -1).reshape(-1, 2)  # (H*W, 2) output pixels
    p = torch.einsum("nij,kj->nki", m, q) + offset[:, None]  # (N, H*W, 2) input positions
    scale = torch.tensor([2 / max(h - 1, 1), 2 / max(w - 1, 1)], dtype=torch.float64)
    grid = (p * scale - 1).flip(-1).reshape(n, h, w, 2)  # grid_sample wants (x=col, y=row)
    out = F.grid_sample(
        x, grid.to(x.dtype).to(x.device), mode="bilinear", padding_mode="zeros", align_corners=True
    )
    if params.noise is not None:
        out = (out + params.noise.to(x.device, x.dtype)).clamp(0.0, 1.0)
    return out


class Augmenter:
    """Augments each training batch with a fresh draw from its own seeded generator."""

    def __init__(self, cfg: AugmentConfig) -> None:
        self.cfg = cfg
        self.generator = torch.Generator().manual_seed(cfg.seed)

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        return apply(x, draw(x.shape[0], tuple(x.shape[1:]), self.cfg, self.generator))


def examples(x: torch.Tensor, cfg: AugmentConfig, n: int, seed: int) -> torch.Tensor:
    """n augmented versions (n, C, H, W) of one image x (C, H, W), drawn with `seed`."""
    g = torch.Generator().manual_seed(seed)
    batch = x[None].expand(n, *x.shape).contiguous()
    return apply(batch, draw(n, tuple(x.shape), cfg, g))


def shift_directions(n: int, distance: float, seed: int) -> torch.Tensor:
    """(n, 2) shifts (rows, cols) of length `distance` pixels, each in a random direction."""
    g = torch.Generator().manual_seed(seed)
    phi = torch.rand(n, generator=g, dtype=torch.float64) * (2 * math.pi)
    return distance * torch.stack([torch.sin(phi), torch.cos(phi)], -1)


def shifted_test_set(x: torch.Tensor, cfg: AugmentConfig) -> torch.Tensor:
    """The test images (N, C, H, W), each moved cfg.test_shift pixels in a random direction."""
    n = x.shape[0]
    shift = shift_directions(n, cfg.test_shift, cfg.seed * 2 + SHIFTED_TEST_STREAM)
    ones = torch.ones(n, dtype=torch.float64)
    return apply(x, Params(0 * ones, ones, shift, None))
