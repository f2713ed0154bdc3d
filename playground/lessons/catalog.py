"""The lessons, in teaching order: setup, text, highlighted controls, next change, check."""

from __future__ import annotations

import dataclasses

from playground.config import (
    FEATURES,
    Activation,
    DataConfig,
    DatasetName,
    Init,
    LayerSpec,
    Loss,
    ModelConfig,
    Optimizer,
    RunConfig,
    TrainConfig,
)
from playground.lessons import checks, kinds
from playground.lessons.lesson import Change, Lesson
from playground.presets import get_preset


def _dense(*units: int, act: str = "tanh", init: str = "xavier_uniform") -> tuple[LayerSpec, ...]:
    return tuple(LayerSpec(units=u, activation=Activation(act), init=Init(init)) for u in units)


def _layers(*units: int, act: str = "tanh", init: str = "xavier_uniform") -> list[dict]:
    """Layers as a Change writes them (plain JSON)."""
    return [s.to_dict() for s in _dense(*units, act=act, init=init)]


def _toy(name: str, layers: tuple[LayerSpec, ...], steps: int, data=None, **train) -> RunConfig:
    """A 2-D set with TensorFlow Playground's training (SGD, lr 0.03, batch 10, square loss)
    unless `train` says otherwise; it stops after `steps` steps, as its check does."""
    return RunConfig(
        data=DataConfig(name=DatasetName(name), **(data or {})),
        model=ModelConfig(layers=layers),
        train=TrainConfig(loss=Loss.SQUARE, max_steps=steps, **train),
    )


def _digits_cnn(steps: int) -> RunConfig:
    cfg = get_preset("digits-cnn")
    return cfg.replace(train=dataclasses.replace(cfg.train, max_steps=steps))


_ADAM = {"optimizer": Optimizer.ADAM, "lr": 0.01}

LESSONS_LIST = [
    Lesson(
        "xor", "XOR needs a hidden layer", "playground",
        do="Press Play. The network has no hidden layer: the output is one weighted sum of x1 "
        "and x2. Then press the button below to add one hidden layer of 4 neurons.",
        notice="Without a hidden layer the boundary is a straight line and the test accuracy "
        "stays near 50 %. With 4 hidden neurons it bends around the four corners.",
        why="XOR's classes sit on opposite corners: no straight line splits them. Hidden "
        "neurons each draw a line; the output combines them into a bent boundary.",
        claim="Test accuracy after 2000 steps: at most 0.65 with no hidden layer, at least 0.9 "
        "with one hidden layer of 4.",
        config=_toy("xor", (), 2000),
        controls=("n_layers", "units_", "dataset"),
        try_next=Change("Add a hidden layer of 4 neurons", {"model.layers": _layers(4)}),
        check=checks.xor,
    ),
    Lesson(
        "circle-features", "The right features make a problem linear", "playground",
        do="The circle with no hidden layer, on x1 and x2 only. Press Play. Then turn on the "
        "features x1² and x2² instead.",
        notice="On x1, x2 the boundary is one straight line and gets about half the points "
        "wrong. On x1², x2² the same single layer draws a circle.",
        why="Inside the circle x1² + x2² is small, outside it is large: on those inputs the "
        "classes are split by a straight line, which is all a layer without hidden neurons "
        "can draw.",
        claim="Test accuracy after 1000 steps with no hidden layer: at most 0.7 on x1, x2; "
        "at least 0.95 on x1², x2².",
        config=_toy("circle", (), 1000),
        controls=("feat_",),
        try_next=Change("Use x1² and x2² instead", {"data.features": ["x1^2", "x2^2"]}),
        check=checks.circle_features,
    ),
    Lesson(
        "spiral", "The spiral needs depth or features", "playground",
        do="Press Play: one hidden layer of 8 neurons sees only x1 and x2. Then turn on every "
        "input feature (x1², x2², x1·x2, sin x1, sin x2) with the button below.",
        notice="On x1 and x2 the boundary never follows the arms; with the sin features it "
        "does within a few hundred steps.",
        why="One small layer can bend the plane only a few times. Richer inputs (or more "
        "layers, more slowly) give the network the curves the spiral is made of.",
        claim="Test accuracy after 2000 Adam steps: at most 0.8 on x1, x2; at least 0.95 with "
        "all 7 features.",
        config=_toy("spiral", _dense(8), 2000, **_ADAM),
        controls=("feat_", "n_layers", "units_"),
        try_next=Change("Turn on all 7 features", {"data.features": list(FEATURES)}),
        check=checks.spiral,
    ),
    Lesson(
        "zero-init", "Zero initialisation keeps neurons identical", "playground",
        do="Every weight starts at 0. Press Play and watch the four neuron maps of layer 1. "
        "Then switch every layer to Xavier init with the button below.",
        notice="With zeros the neurons of a layer stay identical copies (here they never "
        "move at all); with Xavier they each learn a different map.",
        why="Neurons with the same weights get the same gradient, so every update keeps them "
        "equal. Random initial weights break that symmetry.",
        claim="Largest difference between layer 1's neuron maps after 500 steps: below 1e-6 "
        "with zeros, above 0.1 with Xavier.",
        config=_toy("circle", _dense(4, 4, init="zeros"), 500),
        controls=("init_",),
        try_next=Change("Xavier init in every layer",
                        {"model.layers": _layers(4, 4, init="xavier_uniform")}),
        check=checks.zero_init,
    ),
    Lesson(
        "vanishing", "Deep sigmoid networks' gradients vanish", "playground",
        do="Eight sigmoid layers. Press Play, then open More views → Diagnostics and read the "
        "gradient flow per layer. Then switch every layer to ReLU.",
        notice="With sigmoid the first layers' gradient is thousands of times smaller than "
        "the output layer's: they barely move, and the Diagnostics view warns. With ReLU the "
        "gradient reaches them.",
        why="Backpropagation multiplies by the sigmoid's slope (at most 0.25) once per layer: "
        "eight layers shrink the gradient by far more than 1000. ReLU's slope is 1.",
        claim="First layer's gradient norm / output layer's, after 300 steps: below 1e-3 with "
        "sigmoid (flagged as vanishing); above 1e-2 with ReLU.",
        config=_toy("circle", _dense(*[8] * 8, act="sigmoid"), 300),
        controls=("activation", "act_", "extra_view"),
        try_next=Change("ReLU in every layer", {"model.layers": _layers(*[8] * 8, act="relu")}),
        check=checks.vanishing,
    ),
    Lesson(
        "diverge", "Too high a learning rate diverges", "playground",
        do="A regression set with learning rate 3. Press Play. Then lower the rate to 0.03.",
        notice="Within the first epoch the loss becomes nan: the run stops by itself, says so, "
        "and puts back the last good weights. At 0.03 it trains to the end.",
        why="Each step overshoots the minimum by more than it corrects, so the error grows "
        "every step until the numbers overflow.",
        claim="At lr 3 the run stops as diverged within the first epoch (25 steps) of 2000, "
        "its weights finite; at lr 0.03 it finishes with a finite test loss.",
        config=_toy("reg-gauss", _dense(8, 8), 2000, lr=3.0),
        controls=("lr",),
        try_next=Change("Learning rate 0.03", {"train.lr": 0.03}),
        check=checks.diverges,
    ),
    Lesson(
        "dying-relu", "Dying ReLU", "playground",
        do="Three ReLU layers trained at learning rate 3. Press Play, then open More views → "
        "Diagnostics (dead units). Then lower the rate to 0.3.",
        notice="Big steps push many units' biases so low that they output 0 for every input: "
        "their maps go flat and they never recover. At 0.3 none die.",
        why="A ReLU unit with a negative input has gradient 0. Once it is negative for every "
        "point, no gradient reaches its weights again.",
        claim="Share of hidden units dead (0 on every probe point) after 500 steps: at least "
        "25 % at lr 3, at most 5 % at lr 0.3.",
        config=_toy("circle", _dense(8, 8, 8, act="relu", init="kaiming_uniform"), 500, lr=3.0),
        controls=("lr", "activation", "extra_view"),
        try_next=Change("Learning rate 0.3", {"train.lr": 0.3}),
        check=checks.dying_relu,
    ),
    Lesson(
        "overfitting", "Overfitting, and L2 pulling it back", "playground",
        do="Only 30 training points, 50 % noise, a big network. Press Play and watch both "
        "loss curves. Then add L2 regularisation (rate 0.01). Dropout layers help too.",
        notice="The training loss keeps falling towards 0 while the test loss turns up: the "
        "network learns the noise. With L2 the test loss stays low.",
        why="With many weights and few points the network can fit every noisy point. L2 "
        "penalises large weights, so it prefers a smoother boundary.",
        claim="Without regularisation the final test loss is at least 1.5x its lowest while "
        "the training loss still falls; with L2 0.01 the final test loss is below 0.8x that.",
        config=_toy("circle", _dense(16, 16, 16), 1000,
                    data={"n_samples": 60, "noise": 50.0}, eval_every=30, **_ADAM),
        controls=("regularization", "reg_rate", "noise", "n_samples"),
        try_next=Change("L2, rate 0.01", {"train.l2": 0.01}),
        check=checks.overfitting,
    ),
    Lesson(
        "l1-vs-l2", "L1 gives sparse weights, L2 small ones", "playground",
        do="L1 regularisation at rate 0.01 on all 7 features. Press Play, then open More "
        "views → Weights. Then switch to L2 at the same rate.",
        notice="With L1 most weights sit at 0 (their links vanish from the network) and a few "
        "stay large. With L2 almost none is 0, but none is large either.",
        why="L1's pull towards 0 is the same size for every weight, so small ones reach 0 and "
        "stay. L2's pull is proportional to the weight: it shrinks big ones most and never "
        "quite zeroes small ones.",
        claim="After 3000 steps, weights within 0.01 of 0: at least 50 % with L1, at most "
        "10 % with L2; the largest weight is smaller with L2.",
        config=_toy("circle", _dense(8, 8), 3000, data={"features": FEATURES}, l1=0.01),
        controls=("regularization", "reg_rate", "extra_view"),
        try_next=Change("L2 instead of L1", {"train.l1": 0.0, "train.l2": 0.01}),
        check=checks.sparsity,
    ),
    Lesson(
        "optimizers", "Momentum and Adam against SGD", "compare",
        do="Three runs from the same initial weights and the same batches: SGD, momentum and "
        "Adam at learning rate 0.03. Press Play. Then raise the rate to 0.3.",
        notice="At 0.03 momentum and Adam reach a training loss ten times lower than SGD in "
        "500 steps. At 0.3 the order flips: SGD ends lowest.",
        why="Momentum adds up steps that agree; Adam scales each weight's step by its recent "
        "gradients. Both move further per step, which also makes them overshoot at high rates.",
        claim="Final train loss after 500 steps at lr 0.03: momentum and Adam each at most "
        "SGD's / 10; at lr 0.3 SGD's is the lowest of the three.",
        config=_toy("moons", _dense(8, 8), 500),
        controls=("cmp_preset", "cmp_steps"),
        try_next=Change("Learning rate 0.3", {"train.lr": 0.3}),
        check=checks.optimizers,
        settings={"cmp_preset": "SGD vs momentum vs Adam", "cmp_steps": 500},
    ),
    Lesson(
        "batch-size", "Batch size and gradient noise", "playground",
        do="Batch size 1: every update follows one example. Press Play and watch the loss "
        "curve. Then set the batch size to 50.",
        notice="At batch 1 the curve is jagged; at 50 it is smooth (and each epoch takes 50x "
        "fewer steps).",
        why="One example's gradient points a long way from the whole set's; the mean of 50 "
        "points much closer (the noise falls like one over the square root of the batch).",
        claim="At the starting weights, |batch gradient - full gradient| / |full gradient| is "
        "at least 3x smaller at batch 50 than at batch 1.",
        config=_toy("circle", _dense(4, 2), 1500, batch_size=1),
        controls=("batch_size",),
        try_next=Change("Batch size 50", {"train.batch_size": 50}),
        check=checks.batch_noise,
    ),
    Lesson(
        "cnn-saliency", "A CNN's filters and where it looks", "images",
        do="A small CNN on 8x8 digits. Press Play; look at its filters and feature maps, then "
        "press Compute saliency for a test digit (integrated gradients). Then try a wider "
        "first conv layer.",
        notice="Each filter lights up different strokes. Integrated gradients is bright on a "
        "few pixels of the digit: blacking those out changes the answer far more than blacking "
        "out random pixels of the digit.",
        why="Integrated gradients shares the class score out over the pixels, from a black "
        "image up to this one; the filters are the patterns the first layer looks for.",
        claim="After 300 steps: test accuracy at least 0.9; blacking out the 4 pixels with the "
        "highest integrated gradients drops the predicted class's probability at least 2x "
        "more than 4 random ink pixels (mean of 30 test digits).",
        config=_digits_cnn(300),
        controls=("img_inside", "img_saliency", "img_methods", "img_channels_0"),
        try_next=Change("16 filters in the first conv layer",
                        {"model.layers.0.channels": 16}),
        check=checks.cnn_saliency,
    ),
]  # fmt: skip

LESSONS_LIST += kinds.LESSONS_LIST  # one per newer model kind
LESSONS: dict[str, Lesson] = {lesson.name: lesson for lesson in LESSONS_LIST}
