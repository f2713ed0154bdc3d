"""Tests for data.datasets: the 2-D sets, features, digits and CSV files."""

from __future__ import annotations

import time

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from playground.config import FEATURES, MAX_SAMPLES, DataConfig, DatasetName, Task
from playground.data.datasets import (
    DOMAIN,
    DataError,
    Dataset,
    feature_matrix,
    load_csv,
    make_dataset,
    parse_csv_bytes,
    validate_csv_bytes,
)

TWO_D = [
    DatasetName.CIRCLE,
    DatasetName.XOR,
    DatasetName.GAUSS,
    DatasetName.SPIRAL,
    DatasetName.MOONS,
    DatasetName.BLOBS,
    DatasetName.REG_PLANE,
    DatasetName.REG_GAUSS,
]
CLASSIFIED = [n for n in TWO_D if not n.value.startswith("reg-")]


def _make(name: DatasetName, **kw) -> Dataset:
    return make_dataset(DataConfig(name=name, **kw))


def _all_points(d: Dataset) -> tuple[np.ndarray, np.ndarray]:
    """Train and test joined back: points (N, 2) float32, labels (N,)."""
    points = np.concatenate([d.points_train, d.points_test])
    return points, torch.cat([d.y_train, d.y_test]).numpy()


# --- the 2-D sets -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", TWO_D)
@pytest.mark.parametrize("noise", [0, 50])
def test_shapes_dtypes_split_and_domain(name, noise):
    d = _make(name, n_samples=301, noise=noise, train_ratio=0.3, features=FEATURES)
    n_train = round(0.3 * 301)
    assert d.X_train.shape == (n_train, len(FEATURES)) and d.X_test.shape == (301 - n_train, 7)
    assert d.X_train.dtype == torch.float32 and d.input_shape == (7,) and d.is_2d
    assert d.points_train.shape == (n_train, 2) and d.points_train.dtype == np.float32
    assert d.feature_names == FEATURES
    points, y = _all_points(d)
    assert np.abs(points).max() <= DOMAIN
    if name in CLASSIFIED:
        assert d.task == Task.CLASSIFICATION and d.y_train.dtype == torch.int64
        assert d.n_classes == 2 and set(np.unique(y)) <= {0, 1}
    else:
        assert d.task == Task.REGRESSION and d.y_train.dtype == torch.float32
        assert d.n_classes == 0 and np.abs(y).max() <= 1.0


@pytest.mark.parametrize("name", CLASSIFIED)
def test_binary_sets_are_balanced_without_noise(name):
    _, y = _all_points(_make(name, n_samples=400))
    assert np.bincount(y).tolist() == [200, 200]


@pytest.mark.parametrize("name", [DatasetName.SPIRAL, DatasetName.BLOBS])
@pytest.mark.parametrize("k", [3, 5, 10])
def test_multiclass_sets_have_equal_classes(name, k):
    d = _make(name, n_samples=10 * k + 1, n_classes=k)
    _, y = _all_points(d)
    assert d.n_classes == k and sorted(np.bincount(y).tolist()) == [10] * (k - 1) + [11]


@pytest.mark.parametrize("name", TWO_D)
def test_same_seed_same_data_other_seed_other_data(name):
    a, b, c = (_make(name, seed=s, noise=10) for s in (7, 7, 8))
    for field in ("X_train", "y_train", "X_test", "y_test"):
        assert torch.equal(getattr(a, field), getattr(b, field))
    assert np.array_equal(a.points_train, b.points_train)
    assert not torch.equal(a.X_train, c.X_train)


@pytest.mark.parametrize("name", TWO_D)
def test_noise_changes_the_data(name):
    quiet, noisy = _make(name, noise=0), _make(name, noise=50)
    changed = not np.array_equal(quiet.points_train, noisy.points_train)
    assert changed or not torch.equal(quiet.y_train, noisy.y_train)


def test_global_random_state_is_untouched():
    np_state, torch_state = np.random.get_state()[1].copy(), torch.random.get_rng_state()
    for name in TWO_D:
        _make(name, noise=20)
    assert np.array_equal(np.random.get_state()[1], np_state)
    assert torch.equal(torch.random.get_rng_state(), torch_state)


def test_data_error_is_a_value_error_shared_with_expressions():
    from playground.data import expressions

    assert DataError is expressions.DataError and issubclass(DataError, ValueError)


def test_one_domain_and_the_csv_names_stay_importable_from_datasets():
    from playground.data import csvfile, datasets, expressions, plane

    assert datasets.DOMAIN is plane.DOMAIN is expressions.DOMAIN
    for name in ("MAX_CSV_BYTES", "MAX_CSV_COLUMNS", "MAX_CLASSES", "load_csv", "parse_csv_bytes"):
        assert getattr(datasets, name) is getattr(csvfile, name)
    assert datasets.validate_csv_bytes is csvfile.validate_csv_bytes


def test_split_partitions_the_whole_set():
    d = _make(DatasetName.GAUSS, n_samples=200, train_ratio=0.7)
    points, _ = _all_points(d)
    assert len(np.unique(points, axis=0)) == 200 and len(d.points_train) == 140


def test_circle_labels_inside_radius_without_noise():
    points, y = _all_points(_make(DatasetName.CIRCLE, n_samples=400))
    r = np.hypot(points[:, 0], points[:, 1])
    assert np.array_equal(y, (r < 2.5).astype(np.int64))
    assert r[y == 1].max() <= 2.5 and 3.5 <= r[y == 0].min() and r.max() <= 5.0


def test_circle_noise_flips_labels_near_the_edge_not_positions():
    quiet, noisy = _make(DatasetName.CIRCLE, noise=0), _make(DatasetName.CIRCLE, noise=50)
    assert np.abs(noisy.points_train).max() <= 5.0  # TFP: points stay put, labels get noise
    assert not torch.equal(quiet.y_train, noisy.y_train)


def test_xor_labels_and_padding():
    points, y = _all_points(_make(DatasetName.XOR, n_samples=400))
    assert np.array_equal(y, (points[:, 0] * points[:, 1] >= 0).astype(np.int64))
    assert np.abs(points).min() >= 0.3 - 1e-6 and np.abs(points).max() <= 5.3 + 1e-6


@pytest.mark.parametrize(("noise", "std"), [(0, np.sqrt(0.5)), (50, 2.0)])
def test_gauss_centres_and_spread(noise, std):
    points, y = _all_points(_make(DatasetName.GAUSS, n_samples=4000, noise=noise))
    for label, centre in ((1, 2.0), (0, -2.0)):
        cls = points[y == label]
        np.testing.assert_allclose(cls.mean(axis=0), centre, atol=0.15)
        np.testing.assert_allclose(cls.std(axis=0), std, rtol=0.1)  # truncation is mild


@pytest.mark.parametrize("k", [2, 4])
def test_spiral_points_lie_on_their_arms(k):
    points, y = _all_points(_make(DatasetName.SPIRAL, n_samples=400, n_classes=k))
    r = np.hypot(points[:, 0], points[:, 1])
    # TFP: r = 5 i/n, t = 1.75 * 2pi i/n + delta; class 1 of 2 has delta 0 (its positive arm)
    t = 1.75 * 2 * np.pi * r / 5 + np.pi + 2 * np.pi * y / k
    np.testing.assert_allclose(points, np.stack([r * np.sin(t), r * np.cos(t)], 1), atol=1e-4)


def test_moons_lie_on_two_half_circles():
    points, y = _all_points(_make(DatasetName.MOONS, n_samples=400))
    u = points / 3.0 + [0.5, 0.25]  # back to scikit-learn's unit moons
    upper, lower = u[y == 1], u[y == 0] - [1.0, 0.5]
    np.testing.assert_allclose(np.hypot(upper[:, 0], upper[:, 1]), 1.0, atol=1e-5)
    np.testing.assert_allclose(np.hypot(lower[:, 0], lower[:, 1]), 1.0, atol=1e-5)
    assert upper[:, 1].min() >= -1e-6 and lower[:, 1].max() <= 1e-6


def test_blobs_centres_on_a_circle():
    k = 5
    points, y = _all_points(_make(DatasetName.BLOBS, n_samples=2000, n_classes=k))
    means = np.stack([points[y == j].mean(axis=0) for j in range(k)])
    np.testing.assert_allclose(np.hypot(means[:, 0], means[:, 1]), 3.5, atol=0.1)
    gaps = np.diff(np.unwrap(np.arctan2(means[:, 0], means[:, 1])))
    np.testing.assert_allclose(np.abs(gaps), 2 * np.pi / k, atol=0.1)


def test_reg_plane_target_without_noise():
    points, y = _all_points(_make(DatasetName.REG_PLANE, n_samples=400))
    np.testing.assert_allclose(y, (points[:, 0] + points[:, 1]) / 12, atol=1e-6)


def _tfp_gauss_label(x: float, y: float) -> float:
    """TensorFlow Playground's regressGaussian getLabel, transliterated."""
    bumps = [(-4, 2.5, 1), (0, 2.5, -1), (4, 2.5, 1), (-4, -2.5, -1), (0, -2.5, 1), (4, -2.5, -1)]
    label = 0.0
    for cx, cy, sign in bumps:
        new = sign * min(max(1 - np.hypot(x - cx, y - cy) / 2, 0), 1)
        label = new if abs(new) > abs(label) else label
    return label


def test_reg_gauss_matches_playground_formula():
    points, y = _all_points(_make(DatasetName.REG_GAUSS, n_samples=300))
    expected = [_tfp_gauss_label(float(a), float(b)) for a, b in points]
    np.testing.assert_allclose(y, expected, atol=1e-5)
    assert y.min() < -0.5 and y.max() > 0.5


# --- features -----------------------------------------------------------------------------------

ORACLES = {
    "x1": lambda a, b: a,
    "x2": lambda a, b: b,
    "x1^2": lambda a, b: a**2,
    "x2^2": lambda a, b: b**2,
    "x1*x2": lambda a, b: a * b,
    "sin(x1)": lambda a, b: np.sin(a),
    "sin(x2)": lambda a, b: np.sin(b),
}


def test_every_feature_column_matches_numpy():
    d = _make(
        DatasetName.SPIRAL, features=FEATURES[::-1], custom_features=("x1*x2^2", "exp(-x1^2)")
    )
    a, b = d.points_train[:, 0].astype(np.float64), d.points_train[:, 1].astype(np.float64)
    assert d.feature_names == (*FEATURES[::-1], "x1*x2^2", "exp(-x1^2)")
    X = d.X_train.numpy()
    for j, name in enumerate(FEATURES[::-1]):
        np.testing.assert_allclose(X[:, j], ORACLES[name](a, b), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(X[:, 7], a * b**2, rtol=1e-6)
    np.testing.assert_allclose(X[:, 8], np.exp(-(a**2)), rtol=1e-6, atol=1e-30)
    assert np.array_equal(
        feature_matrix(d.points_test, FEATURES[::-1], d.feature_names[7:]), d.X_test
    )


def test_feature_matrix_on_a_grid():
    grid = np.stack(np.meshgrid(np.linspace(-6, 6, 5), np.linspace(-6, 6, 5)), -1).reshape(-1, 2)
    X = feature_matrix(grid, ["x1*x2"], ["abs(x1)"])
    assert X.shape == (25, 2) and X.dtype == np.float32
    np.testing.assert_allclose(X, np.stack([grid[:, 0] * grid[:, 1], np.abs(grid[:, 0])], 1))


@pytest.mark.parametrize(
    ("features", "custom"), [(["x3"], []), ([], []), (["x1"], ["open('f')"]), ([], ["log(x1)"])]
)
def test_feature_matrix_refuses_bad_features(features, custom):
    with pytest.raises(DataError):
        feature_matrix(np.zeros((4, 2)), features, custom)


def test_bad_custom_feature_in_config_raises_data_error():
    with pytest.raises(DataError, match="__import__"):
        _make(DatasetName.CIRCLE, custom_features=("__import__('os')",))


# --- digits -------------------------------------------------------------------------------------


def test_digits_shapes_range_and_source():
    from sklearn.datasets import load_digits

    d = _make(DatasetName.DIGITS, n_samples=5000, train_ratio=0.8)
    assert d.X_train.shape[1:] == (1, 8, 8) and d.input_shape == (1, 8, 8)
    assert len(d.X_train) + len(d.X_test) == 1797 and len(d.X_train) == round(0.8 * 1797)
    assert d.X_train.dtype == torch.float32 and 0 <= d.X_train.min() and d.X_train.max() <= 1
    assert d.n_classes == 10 and not d.is_2d and d.points_train is None
    assert len(d.feature_names) == 64 and d.feature_names[9] == "pixel_1_1"
    ref = load_digits()
    rows = {tuple(r) for r in np.column_stack([ref.data / 16, ref.target]).round(6)}
    X = torch.cat([d.X_train, d.X_test]).reshape(-1, 64).numpy()
    y = torch.cat([d.y_train, d.y_test]).numpy()
    assert all(tuple(r) in rows for r in np.column_stack([X, y]).round(6))


def test_digits_n_samples_caps_and_seed_picks():
    a, b = (
        _make(DatasetName.DIGITS, n_samples=100),
        _make(DatasetName.DIGITS, n_samples=100, seed=1),
    )
    assert len(a.X_train) + len(a.X_test) == 100
    assert not torch.equal(a.X_train, b.X_train)
    assert torch.equal(a.X_train, _make(DatasetName.DIGITS, n_samples=100).X_train)


# --- CSV ----------------------------------------------------------------------------------------


def _write(tmp_path, content: str | bytes, name: str = "data.csv") -> str:
    path = tmp_path / name
    if isinstance(content, str):
        content = content.encode()
    path.write_bytes(content)
    return str(path)


def test_csv_classification_with_string_labels(tmp_path):
    path = _write(tmp_path, "a,b,label\n1,2,cat\n3,4,dog\n5,6,cat\n7,8,bird\n")
    X, y, names = load_csv(path, "label", Task.CLASSIFICATION)
    assert names == ("a", "b") and X.dtype == np.float32 and y.dtype == np.int64
    np.testing.assert_array_equal(X, [[1, 2], [3, 4], [5, 6], [7, 8]])
    assert y.tolist() == [1, 2, 1, 0]  # bird < cat < dog


def test_csv_numeric_labels_sort_numerically_and_target_in_the_middle(tmp_path):
    path = _write(tmp_path, "a,y,b\n1,10,2\n3,9,4\n5,10.0,6\n")
    X, y, names = load_csv(path, "y", Task.CLASSIFICATION)
    assert names == ("a", "b") and y.tolist() == [1, 0, 1]
    np.testing.assert_array_equal(X, [[1, 2], [3, 4], [5, 6]])


def test_csv_regression_and_default_target_is_last(tmp_path):
    path = _write(tmp_path, "\ufeffa , b\n1,0.5\n\n2,-1.5\n")  # BOM, spaces, a blank line
    X, y, names = load_csv(path, "", Task.REGRESSION)
    assert names == ("a",) and y.dtype == np.float32 and y.tolist() == [0.5, -1.5]
    assert X.tolist() == [[1.0], [2.0]]


def test_csv_dataset_is_standardised_with_train_statistics(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(5.0, 3.0, (200, 3))
    X[:, 2] = 7.0  # a constant column keeps std 1
    y = (X[:, 0] > 5).astype(int)
    lines = ["f1,f2,f3,t"] + [",".join(f"{v:.6f}" for v in row) + f",{t}" for row, t in zip(X, y)]
    path = _write(tmp_path, "\n".join(lines))
    d = make_dataset(DataConfig(name=DatasetName.CSV, csv_path=path, train_ratio=0.75))
    Xtr = d.X_train.numpy()
    np.testing.assert_allclose(Xtr.mean(axis=0), 0.0, atol=1e-5)
    np.testing.assert_allclose(Xtr.std(axis=0), [1.0, 1.0, 0.0], atol=1e-5)
    assert d.n_classes == 2 and d.feature_names == ("f1", "f2", "f3") and len(Xtr) == 150
    assert d.input_shape == (3,) and not d.is_2d


def test_csv_dataset_counts_the_classes_in_the_file(tmp_path):
    rows = "\n".join(f"{i},{i % 4}" for i in range(40))
    d = make_dataset(DataConfig(name=DatasetName.CSV, csv_path=_write(tmp_path, "x,c\n" + rows)))
    assert d.n_classes == 4


CSV_FAULTS = {
    "empty": (b"", "empty"),
    "blank lines only": (b"\n\n  \n", "empty"),
    "header only": (b"a,b,c\n", "no data rows"),
    "one row": (b"a,b,c\n1,2,3\n", "single data row"),
    "non-numeric": (b"a,b,t\n1,2,0\n1,x,1\n", "line 3, column 'b'"),
    "empty cell": (b"a,b,t\n1,,0\n2,3,1\n", "empty"),
    "nan": (b"a,b,t\n1,nan,0\n2,3,1\n", "not a finite number"),
    "inf": (b"a,b,t\n1,2,0\n-inf,3,1\n", "not a finite number"),
    "float32 overflow": (b"a,b,t\n1,1e39,0\n2,3,1\n", "not a finite number"),
    "single column": (b"a\n1\n2\n", "single column"),
    "semicolons": (b"a;b;t\n1;2;0\n", "single column"),
    "duplicate headers": (b"a,a,t\n1,2,0\n", "duplicate"),
    "unnamed column": (b"a,,t\n1,2,0\n", "no name"),
    "numbers as header": (b"1,2,3\n4,5,6\n", "name the columns"),
    "ragged row": (b"a,b,t\n1,2,0\n1,2\n", "line 3 has 2 cells"),
    "latin-1": ("a,b,t\n1,2,caf\u00e9\n".encode("latin-1"), "not UTF-8"),
    "utf-16": ("a,b,t\n1,2,0\n".encode("utf-16"), "binary|UTF-8"),
    "binary": (bytes(range(256)) * 4, "binary"),
    "png": (b"\x89PNG\r\n\x1a\n" + bytes(64), "binary"),
    "control chars": (b"a,b,t\n1,\x07,0\n", "binary"),
    "unknown target": (b"a,b,t\n1,2,0\n3,4,1\n", "no column named 'label'"),
    "one class": (b"a,b,label\n1,2,0\n3,4,0\n", "single class"),
    "too many classes": (
        b"a,label\n" + b"".join(b"%d,%d\n" % (i, i) for i in range(11)),
        "at most 10",
    ),
    "nan label": (b"a,label\n1,0\n2,nan\n", "not a finite number"),
    "empty label": (b"a,label\n1,0\n2,\n", "label is empty"),
    "too many columns": (",".join(f"c{i}" for i in range(101)).encode() + b"\n", "101 columns"),
    "too many rows": (b"a,b\n" + b"1,0\n" * (MAX_SAMPLES + 1), f"limit is {MAX_SAMPLES}"),
    "millions of lines": (b"a,b\n" + b"1\n" * (8 * 2**20), f"limit is {MAX_SAMPLES}"),
    "millions of blank lines": (b"a,b\n" + b"\n" * (8 * 2**20), f"limit is {MAX_SAMPLES}"),
    "a line of a million cells": (b"a,b\n" + b"1," * 2**20 + b"1\n", "over 1000 cells"),
}


@pytest.mark.parametrize("fault", list(CSV_FAULTS))
def test_csv_faults_get_a_one_line_message(tmp_path, fault):
    data, match = CSV_FAULTS[fault]
    target = "label" if "label" in fault or "class" in fault or "target" in fault else ""
    path = _write(tmp_path, data)
    with pytest.raises(DataError, match=match) as info:
        load_csv(path, target, Task.CLASSIFICATION)
    assert "\n" not in str(info.value)
    with pytest.raises(DataError, match=match):
        validate_csv_bytes(data, target, Task.CLASSIFICATION)


def test_csv_regression_refuses_text_target(tmp_path):
    with pytest.raises(DataError, match="'cat' is not a number"):
        load_csv(_write(tmp_path, "a,t\n1,cat\n2,dog\n"), "t", Task.REGRESSION)


def test_csv_missing_file_and_directory(tmp_path):
    with pytest.raises(DataError, match="cannot read"):
        load_csv(str(tmp_path / "nope.csv"), "", Task.CLASSIFICATION)
    with pytest.raises(DataError, match="not a file"):
        load_csv(str(tmp_path), "", Task.CLASSIFICATION)


def test_csv_of_200_mb_is_refused_before_reading(tmp_path):
    path = tmp_path / "huge.csv"
    with open(path, "wb") as f:
        f.write(b"a,b\n1,2\n")
        f.truncate(200 * 2**20)  # sparse: instant to make, slow to read
    start = time.perf_counter()
    with pytest.raises(DataError, match="200 MB"):
        load_csv(str(path), "", Task.CLASSIFICATION)
    assert time.perf_counter() - start < 0.5
    with pytest.raises(DataError, match="20 MB"):
        validate_csv_bytes(b"a,b\n" + b"1,2\n" * (6 * 2**20))


def test_csv_at_the_caps_is_accepted():
    header = ",".join(f"c{i}" for i in range(100))
    data = (
        header + "\n" + "\n".join(",".join(["1"] * 99 + [str(i % 2)]) for i in range(200))
    ).encode()
    assert len(validate_csv_bytes(data)) == 100
    X, y, names = parse_csv_bytes(b"a,b\n" + b"0.5,1\n" * MAX_SAMPLES, "", Task.REGRESSION)
    assert names == ("a",) and X.shape == (MAX_SAMPLES, 1) and y.shape == (MAX_SAMPLES,)


def test_csv_line_ends_and_quoted_fields():
    for data in (b"a,b\r1,0\r2,1\r", b"a,b\r\n1,0\r\n2,1\r\n", b'"a",b\n"1",0\n2,"1"\n'):
        X, y, names = parse_csv_bytes(data)
        assert names == ("a",) and X.tolist() == [[1.0], [2.0]] and y.tolist() == [0, 1]
    _, y, _ = parse_csv_bytes(b'a,label\n1,"two\nlines"\n2,one\n')
    assert y.tolist() == [1, 0]


def test_validate_csv_bytes_returns_all_columns():
    assert validate_csv_bytes(b"a,b,t\n1,2,x\n3,4,y\n") == ("a", "b", "t")
    assert validate_csv_bytes(b"t,a\n0,2\n1,4\n", "t") == ("t", "a")


def test_bad_csv_in_config_raises_data_error(tmp_path):
    cfg = DataConfig(name=DatasetName.CSV, csv_path=_write(tmp_path, b"\x00\x01\x02"))
    with pytest.raises(DataError, match="binary"):
        make_dataset(cfg)


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=200) | st.text(alphabet='ab,1.2e-\n\r"\t x\x00', max_size=120))
def test_fuzzed_csv_only_ever_raises_data_error(data):
    data = data.encode() if isinstance(data, str) else data
    for task in Task:
        try:
            X, y, names = parse_csv_bytes(data, "", task)
        except DataError as e:
            assert "\n" not in str(e)
            continue
        assert X.shape == (len(y), len(names)) and np.isfinite(X).all() and len(y) >= 2
