"""METHODS registry: thin adapters over Captum, one signature for all."""

from __future__ import annotations

import copy
import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from captum.attr import (
    DeepLift,
    GuidedBackprop,
    InputXGradient,
    IntegratedGradients,
    LayerAttribution,
    LayerGradCam,
    NoiseTunnel,
    Occlusion,
    Saliency,
)
from torch import Tensor, nn

from playground.data.datasets import FEATURE_FUNCS
from playground.data.expressions import compile_expression
from playground.nn.modes import eval_mode

Adapter = Callable[..., Tensor]
BASELINES = ("zeros", "blurred", "mean")


@dataclass(frozen=True)
class MethodInfo:
    """One attribution method: what it computes, where it comes from, what it needs."""

    name: str
    description: str  # one line: what the map shows
    paper: str  # title, year and arXiv address
    needs_conv: bool = False  # only for models with a Conv2d layer
    slow: bool = False  # many forward passes: show progress in the UI
    options: tuple[str, ...] = ()  # keyword options `attribute` accepts; see default_options


# --- adapters: (private model copy in eval mode, private input copy, target) -> (N, ...) -------


def _gradient(model: nn.Module, x: Tensor, target: Any) -> Tensor:
    # Signed gradient (abs=False): figures take the absolute value if they want it.
    return Saliency(model).attribute(x, target=target, abs=False)


def _input_x_gradient(model: nn.Module, x: Tensor, target: Any) -> Tensor:
    return InputXGradient(model).attribute(x, target=target)


def _smoothgrad(
    model: nn.Module,
    x: Tensor,
    target: Any,
    *,
    n_samples: int = 25,
    stdevs: float = 0.15,  # absolute; 15% of a [0, 1] input range (the paper: 10-20%)
    seed: int = 0,
) -> Tensor:
    # Captum draws its noise from the global RNG: fork it so the caller's stream is untouched.
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        tunnel = NoiseTunnel(Saliency(model))
        return tunnel.attribute(
            x, nt_type="smoothgrad", nt_samples=n_samples, stdevs=stdevs, target=target, abs=False
        )


def _integrated_gradients(
    model: nn.Module,
    x: Tensor,
    target: Any,
    *,
    baseline: str = "zeros",
    n_steps: int = 50,
    mean_image: Any = None,
    blur_sigma: float = 1.0,
) -> Tensor:
    base = make_baseline(x, baseline, mean_image=mean_image, blur_sigma=blur_sigma)
    return IntegratedGradients(model).attribute(x, baselines=base, target=target, n_steps=n_steps)


def _gradcam(
    model: nn.Module,
    x: Tensor,
    target: Any,
    *,
    layer: int | None = None,
    relu: bool = True,
    interpolate_mode: str = "bilinear",
) -> Tensor:
    module = _gradcam_layer(model, layer)
    cam = LayerGradCam(model, module).attribute(x, target=target, relu_attributions=relu)
    if cam.dim() != 4 or x.dim() != 4:
        raise ValueError(
            f"gradcam needs a layer with a (N, C, H, W) output, got {tuple(cam.shape)}"
        )
    up = LayerAttribution.interpolate(cam, tuple(x.shape[2:]), interpolate_mode)  # (N, 1, H, W)
    return up.expand_as(x)


def _occlusion(
    model: nn.Module,
    x: Tensor,
    target: Any,
    *,
    window: int = 2,
    stride: int = 1,
    fill: float = 0.0,
    perturbations_per_eval: int = 16,
) -> Tensor:
    # A window (set to `fill`) spans all channels of an image, or `window` flat features.
    shape = (x.shape[1], window, window) if x.dim() == 4 else (window,) * (x.dim() - 1)
    return Occlusion(model).attribute(
        x,
        sliding_window_shapes=shape,
        strides=stride,
        baselines=fill,
        target=target,
        perturbations_per_eval=perturbations_per_eval,
    )


def _guided_backprop(model: nn.Module, x: Tensor, target: Any) -> Tensor:
    return GuidedBackprop(model).attribute(x, target=target)


def _deeplift(
    model: nn.Module,
    x: Tensor,
    target: Any,
    *,
    baseline: str = "zeros",
    mean_image: Any = None,
    blur_sigma: float = 1.0,
) -> Tensor:
    base = make_baseline(x, baseline, mean_image=mean_image, blur_sigma=blur_sigma)
    return DeepLift(model).attribute(x, baselines=base, target=target)


_ADAPTERS: dict[str, Adapter] = {
    "gradient": _gradient,
    "input_x_gradient": _input_x_gradient,
    "smoothgrad": _smoothgrad,
    "integrated_gradients": _integrated_gradients,
    "gradcam": _gradcam,
    "occlusion": _occlusion,
    "guided_backprop": _guided_backprop,
    "deeplift": _deeplift,
}


def _options(fn: Adapter) -> tuple[str, ...]:
    params = inspect.signature(fn).parameters.values()
    return tuple(p.name for p in params if p.kind is inspect.Parameter.KEYWORD_ONLY)


# name: (what the map shows, in one line; the paper's title and year; its arXiv id)
_ABOUT: dict[str, tuple[str, str, str]] = {
    "gradient": (
        "Gradient of the class score with respect to each input pixel (signed).",
        "Deep Inside Convolutional Networks (Simonyan et al., 2013)",
        "1312.6034",
    ),
    "input_x_gradient": (
        "Input times its gradient: a first-order share of the score.",
        "Not Just a Black Box (Shrikumar et al., 2016)",
        "1605.01713",
    ),
    "smoothgrad": (
        "Gradient averaged over noisy copies of the input (less speckle).",
        "SmoothGrad: removing noise by adding noise (Smilkov et al., 2017)",
        "1706.03825",
    ),
    "integrated_gradients": (
        "Gradients averaged along a straight path from a baseline, times (input - baseline).",
        "Axiomatic Attribution for Deep Networks (Sundararajan et al., 2017)",
        "1703.01365",
    ),
    "gradcam": (
        "Conv feature maps weighted by their mean gradient, upsampled to the input.",
        "Grad-CAM: Visual Explanations from Deep Networks via Gradient-based Localization (2016)",
        "1610.02391",
    ),
    "occlusion": (
        "Drop in the class score when a small window of pixels is blanked out.",
        "Visualizing and Understanding Convolutional Networks (Zeiler & Fergus, 2013)",
        "1311.2901",
    ),
    "guided_backprop": (
        "Gradient with negative signals stopped at every ReLU on the way back.",
        "Striving for Simplicity: The All Convolutional Net (Springenberg et al., 2014)",
        "1412.6806",
    ),
    "deeplift": (
        "Difference from a baseline, shared out by rescaled activation changes.",
        "Learning Important Features Through Propagating Activation Differences (2017)",
        "1704.02685",
    ),
}
_SLOW = {"smoothgrad", "integrated_gradients", "occlusion"}  # many forward passes each
_NEEDS_CONV = {"gradcam"}

METHODS: dict[str, MethodInfo] = {
    name: MethodInfo(
        name,
        _ABOUT[name][0],
        f"{_ABOUT[name][1]}, https://arxiv.org/abs/{_ABOUT[name][2]}",
        name in _NEEDS_CONV,
        name in _SLOW,
        _options(_ADAPTERS[name]),
    )
    for name in _ADAPTERS
}


def default_options(method: str) -> dict[str, Any]:
    """The keyword options of `method` with their default values."""
    params = inspect.signature(_ADAPTERS[_lookup(method).name]).parameters.values()
    return {p.name: p.default for p in params if p.kind is inspect.Parameter.KEYWORD_ONLY}


def attribute(
    model: nn.Module, x: Tensor, target: int | Tensor, method: str, **options: Any
) -> Tensor:
    """Attribution map of `method` for class `target`, shaped like x (N, ...), float32, detached.

    Runs on a private deepcopy of `model` in eval mode and a detached copy of `x`, so the
    model (training flag, requires_grad, .grad, hooks) and the input are left as found.
    """
    info = _lookup(method)
    unknown = sorted(set(options) - set(info.options))
    if unknown:
        raise ValueError(
            f"unknown option {unknown[0]!r} for method {method!r}; "
            f"valid options: {', '.join(info.options) or 'none'}"
        )
    if info.needs_conv and not any(isinstance(m, nn.Conv2d) for m in model.modules()):
        raise ValueError(f"{method} needs a Conv2d layer, and this model has none (an MLP?)")
    private = _private_copy(model)
    param = next(private.parameters(), None)
    device = param.device if param is not None else x.device
    inp = x.detach().to(device=device, dtype=torch.float32).clone().requires_grad_(True)
    if isinstance(target, Tensor):
        target = target.detach().to(device)
    elif isinstance(target, np.integer):
        target = int(target)
    with torch.enable_grad():
        out = _ADAPTERS[info.name](private, inp, target, **options)
    return out.detach().to(device=x.device, dtype=torch.float32)


def make_baseline(
    x: Tensor, kind: str, *, mean_image: Any = None, blur_sigma: float = 1.0
) -> Tensor:
    """Baseline shaped like x (N, ...): "zeros", "blurred" (Gaussian blur of x), or "mean".

    Always a constant (detached): a baseline that gradients flow through would add its own
    path to the attribution, and DeepLIFT's sums would no longer be f(x) - f(baseline).
    """
    if kind == "zeros":
        return torch.zeros_like(x).detach()
    if kind == "blurred":
        return gaussian_blur(x, blur_sigma).detach()
    if kind == "mean":
        if mean_image is None:
            raise ValueError("baseline 'mean' needs the option mean_image (shaped like one input)")
        mean = torch.as_tensor(np.asarray(mean_image), dtype=x.dtype, device=x.device)
        return mean.expand_as(x).clone()
    raise ValueError(f"unknown baseline {kind!r}; choose one of {', '.join(BASELINES)}")


def gaussian_blur(x: Tensor, sigma: float) -> Tensor:
    """Each channel of images x (N, C, H, W) blurred by a Gaussian of `sigma` pixels."""
    if x.dim() != 4:
        raise ValueError(f"the blurred baseline needs images (N, C, H, W), got {tuple(x.shape)}")
    if sigma <= 0:
        return x.clone()
    radius = max(1, int(np.ceil(3 * sigma)))
    t = torch.arange(-radius, radius + 1, dtype=x.dtype, device=x.device)
    k = torch.exp(-0.5 * (t / sigma) ** 2)
    k = k / k.sum()  # (2r+1,)
    n, c, h, w = x.shape
    flat = F.pad(x.reshape(n * c, 1, h, w), (radius,) * 4, mode="replicate")
    flat = F.conv2d(flat, k.view(1, 1, 1, -1))  # rows, then columns: a separable 2-D blur
    flat = F.conv2d(flat, k.view(1, 1, -1, 1))
    return flat.reshape(n, c, h, w)


def input_gradient_grid(
    model: nn.Module,
    features_fn: Callable[[Tensor], Tensor],
    xs: np.ndarray,
    ys: np.ndarray,
    output_index: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Gradient of output `output_index` with respect to the raw 2-D input over a grid.

    features_fn maps raw points (M, 2) to the model's input, with differentiable torch ops.
    Returns (gx, gy), each (len(ys), len(xs)) float32; the model's state is restored.
    """
    grid_x, grid_y = np.meshgrid(np.asarray(xs), np.asarray(ys))  # (Ry, Rx)
    param = next(model.parameters(), None)
    device = param.device if param is not None else torch.device("cpu")
    raw = np.stack([grid_x.ravel(), grid_y.ravel()], axis=1)  # (M, 2)
    pts = torch.as_tensor(raw, dtype=torch.float32, device=device).requires_grad_(True)
    with eval_mode(model), torch.enable_grad():
        out = model(features_fn(pts)).reshape(len(pts), -1)[:, output_index]  # (M,)
        # Points are independent in eval mode, so d(sum)/d(point) is each point's own gradient.
        (grad,) = torch.autograd.grad(out.sum(), pts)
    g = grad.detach().cpu().numpy().astype(np.float32)  # (M, 2)
    return g[:, 0].reshape(grid_x.shape), g[:, 1].reshape(grid_x.shape)


# --- helpers -------------------------------------------------------------------------------------


def _lookup(method: str) -> MethodInfo:
    if method not in METHODS:
        raise ValueError(f"unknown saliency method {method!r}; choose one of {', '.join(METHODS)}")
    return METHODS[method]


def _private_copy(model: nn.Module) -> nn.Module:
    # Captum registers hooks (DeepLift, guided backprop) and needs eval mode: keep that private.
    private = copy.deepcopy(model).eval()
    for p in private.parameters():
        p.requires_grad_(False)  # only input gradients are needed
        p.grad = None
    return private


def _gradcam_layer(model: nn.Module, layer: int | None) -> nn.Module:
    children = list(model.children())
    if layer is None:
        convs = [m for m in children if isinstance(m, nn.Conv2d)]
        if not convs:
            raise ValueError("gradcam needs a Conv2d layer among the model's top-level layers")
        return convs[-1]
    if not -len(children) <= layer < len(children):
        raise ValueError(f"gradcam option layer={layer} is out of range (0..{len(children) - 1})")
    return children[layer]


def differentiable_features(
    features: Sequence[str], custom: Sequence[str]
) -> Callable[[Tensor], Tensor]:
    """The 2-D feature map (M, 2) -> (M, F) as a torch function with a gradient.

    The features are NumPy functions (built-in ones and the user's parsed expressions), so the
    backward pass uses their Jacobian by central differences in float64 (h = 1e-6: error about
    1e-10 for these smooth functions), chained with autograd's gradient for the model.
    """
    funcs = [FEATURE_FUNCS[f] for f in features] + [compile_expression(c) for c in custom]

    def table(p: np.ndarray) -> np.ndarray:  # (M, 2) float64 -> (M, F) float64
        return np.stack([fn(p[:, 0], p[:, 1]) for fn in funcs], axis=1)

    class _Features(torch.autograd.Function):
        @staticmethod
        def forward(ctx, pts: Tensor) -> Tensor:
            raw = pts.detach().cpu().double().numpy()
            ctx.save_for_backward(pts)
            return torch.as_tensor(table(raw), dtype=pts.dtype, device=pts.device)

        @staticmethod
        def backward(ctx, grad_out: Tensor) -> Tensor:
            (pts,) = ctx.saved_tensors
            raw, h = pts.detach().cpu().double().numpy(), 1e-6
            cols = []
            for axis in (0, 1):
                step = np.zeros(2)
                step[axis] = h
                cols.append((table(raw + step) - table(raw - step)) / (2 * h))  # (M, F)
            jac = torch.as_tensor(np.stack(cols, axis=2), device=pts.device)  # (M, F, 2)
            return torch.einsum("mf,mfk->mk", grad_out.double(), jac).to(pts.dtype)

    return _Features.apply
