import dataclasses

import numpy as np
import pytest

from labcoat.classic.datasets import load_digits
from labcoat.exercises._framework import replace_nested, to_jsonable
from labcoat.exercises.digits import EXERCISE, Config, run


@pytest.fixture(scope="module")
def quick_result():
    return run(replace_nested(Config(), dict(EXERCISE.quick)))


def test_quick_run_scores_are_consistent_and_good(quick_result):
    metrics = quick_result.metrics
    labels = load_digits()[1]
    test_counts = np.round(0.25 * np.bincount(labels, minlength=10))
    for name in ("dense", "cnn"):
        matrix = np.asarray(metrics[name]["confusion_matrix"])
        # rows are the true digits of the stratified test split
        np.testing.assert_array_equal(matrix.sum(axis=1), test_counts)
        assert metrics[name]["accuracy"] == pytest.approx(np.trace(matrix) / matrix.sum())
        recall = np.diag(matrix) / matrix.sum(axis=1)
        assert metrics[name]["macro_recall"] == pytest.approx(recall.mean())
        curve = quick_result.data[f"learning_curve_{name}"]
        assert curve["test_accuracy"][-1] == pytest.approx(metrics[name]["accuracy"])
    # the notes' dense network (96 % on MNIST after 30 epochs) and the CNN after a few epochs
    assert metrics["dense"]["accuracy"] > 0.9
    assert metrics["cnn"]["accuracy"] > 0.8
    # parameter counts follow from the layer sizes: 64-30-10 and the CNN on 16 x 16 inputs
    assert metrics["dense"]["parameters"] == 64 * 30 + 30 + 30 * 10 + 10
    conv = (32 * 9 + 32) + (64 * 32 * 9 + 64)  # 16 -> 14 -> 7 -> 5 -> 2
    assert metrics["cnn"]["parameters"] == conv + (64 * 2 * 2) * 100 + 100 + 100 * 10 + 10
    assert set(quick_result.figures) == {"confusion_matrices", "learning_curves"}


def test_config_validation():
    with pytest.raises(ValueError, match="hidden_size"):
        Config(hidden_size=0)
    with pytest.raises(ValueError, match="test_fraction"):
        Config(test_fraction=1.0)
    with pytest.raises(ValueError, match="image_size"):
        Config(image_size=8)
    assert all(f.name in Config.__dataclass_fields__ for f in dataclasses.fields(Config))


def test_same_seed_same_numbers_and_another_seed_other_numbers():
    def numbers(seed):
        result = run(Config(dense_epochs=1, cnn_epochs=1, image_size=12, seed=seed))
        return to_jsonable({"metrics": result.metrics, "data": result.data})

    first = numbers(1)
    assert first == numbers(1)
    assert first["data"] != numbers(2)["data"]
