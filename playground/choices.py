"""The closed choices of a run (enums) and its limits; imports nothing from the project."""

from __future__ import annotations

from enum import Enum


class DatasetName(str, Enum):
    CIRCLE = "circle"
    XOR = "xor"
    GAUSS = "gauss"
    SPIRAL = "spiral"
    MOONS = "moons"
    BLOBS = "blobs"
    REG_PLANE = "reg-plane"
    REG_GAUSS = "reg-gauss"
    DIGITS = "digits"
    CSV = "csv"
    # sequences (issue 14): generated offline, seeded
    SINE = "sine"
    COPY = "copy"
    PARITY = "parity"
    REVERSE = "reverse"
    SORT = "sort"
    TEXT = "text"
    # point clouds for the GAN (issue 15); moons is shared
    RING = "ring"
    LINE = "line"
    POINTS = "points"


class ModelKind(str, Enum):
    """Which learner trains the run (playground/train/kinds.py maps each to its module)."""

    SUPERVISED = "supervised"
    SEQUENCE = "sequence"
    AUTOENCODER = "autoencoder"
    GAN = "gan"
    SOM = "som"


class Task(str, Enum):
    CLASSIFICATION = "classification"
    REGRESSION = "regression"


class LayerKind(str, Enum):
    DENSE = "dense"
    CONV2D = "conv2d"
    MAXPOOL2D = "maxpool2d"
    AVGPOOL2D = "avgpool2d"
    FLATTEN = "flatten"
    DROPOUT = "dropout"
    BATCHNORM = "batchnorm"
    RNN = "rnn"
    LSTM = "lstm"
    GRU = "gru"
    EMBEDDING = "embedding"
    TRANSFORMER = "transformer"
    RBF = "rbf"


class Activation(str, Enum):
    RELU = "relu"
    LEAKY_RELU = "leaky_relu"
    ELU = "elu"
    GELU = "gelu"
    SILU = "silu"
    TANH = "tanh"
    SIGMOID = "sigmoid"
    SOFTPLUS = "softplus"
    LINEAR = "linear"


class Init(str, Enum):
    PLAYGROUND = "playground"  # TensorFlow Playground's: U(-0.5, 0.5) weights, 0.1 biases
    ZEROS = "zeros"
    UNIFORM = "uniform"
    NORMAL = "normal"
    XAVIER_UNIFORM = "xavier_uniform"
    XAVIER_NORMAL = "xavier_normal"
    KAIMING_UNIFORM = "kaiming_uniform"
    KAIMING_NORMAL = "kaiming_normal"
    ORTHOGONAL = "orthogonal"
    KMEANS = "kmeans"  # rbf centres: k-means on the training inputs


class Loss(str, Enum):
    SQUARE = "square"  # TensorFlow Playground's: 1/2 (o - t)^2 over outputs, mean over examples
    MSE = "mse"  # mean of (o - t)^2 over every output: twice square's value with one output
    CROSS_ENTROPY = "cross_entropy"
    BCE = "bce"
    HUBER = "huber"
    MAE = "mae"


class Optimizer(str, Enum):
    SGD = "sgd"
    MOMENTUM = "momentum"
    NESTEROV = "nesterov"
    ADAM = "adam"
    ADAMW = "adamw"
    RMSPROP = "rmsprop"
    ADAGRAD = "adagrad"


class Schedule(str, Enum):
    CONSTANT = "constant"
    STEP = "step"
    COSINE = "cosine"
    CYCLIC = "cyclic"


class Device(str, Enum):
    AUTO = "auto"
    CPU = "cpu"
    CUDA = "cuda"


WEIGHT_INITS = tuple(i for i in Init if i != Init.KMEANS)  # what a dense or conv layer takes
FEATURES = ("x1", "x2", "x1^2", "x2^2", "x1*x2", "sin(x1)", "sin(x2)")
TWO_D_SETS = frozenset(
    {
        DatasetName.CIRCLE,
        DatasetName.XOR,
        DatasetName.GAUSS,
        DatasetName.SPIRAL,
        DatasetName.MOONS,
        DatasetName.BLOBS,
        DatasetName.REG_PLANE,
        DatasetName.REG_GAUSS,
    }
)
REGRESSION_SETS = frozenset({DatasetName.REG_PLANE, DatasetName.REG_GAUSS, DatasetName.SINE})
MULTICLASS_SETS = frozenset({DatasetName.SPIRAL, DatasetName.BLOBS})
SEQUENCE_SETS = frozenset(
    {
        DatasetName.SINE,
        DatasetName.COPY,
        DatasetName.PARITY,
        DatasetName.REVERSE,
        DatasetName.SORT,
        DatasetName.TEXT,
    }
)
POINT_SETS = frozenset({DatasetName.RING, DatasetName.LINE, DatasetName.POINTS, DatasetName.MOONS})
SEQUENCE_LAYERS = frozenset(
    {LayerKind.RNN, LayerKind.LSTM, LayerKind.GRU, LayerKind.EMBEDDING, LayerKind.TRANSFORMER}
)

# Resource caps: a single server is shared by a whole class.
MAX_SAMPLES = 20_000
MAX_LAYERS = 16
MAX_UNITS = 512
MAX_CHANNELS = 128
MAX_PARAMS = 2_000_000
MAX_CUSTOM_FEATURES = 8
MAX_GRID = 200
MAX_HEADS = 16
MAX_SEED = 2**31 - 1  # torch generators take 64 bits; model layers add offsets to the seed
