import numpy as np
import pytest
import sklearn.metrics as skm
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from labcoat.models.metrics import accuracy, confusion_matrix, precision, recall, specificity


def _labels(seed: int, n: int = 300, k: int = 4) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y_true = rng.integers(0, k, n)
    y_pred = np.where(rng.random(n) < 0.6, y_true, rng.integers(0, k, n))
    return y_true, y_pred


def _specificity_from_sklearn(y_true, y_pred, k):
    matrix = skm.confusion_matrix(y_true, y_pred, labels=list(range(k)))
    out = []
    for c in range(k):
        fp = matrix[:, c].sum() - matrix[c, c]
        tn = matrix.sum() - matrix[c, :].sum() - matrix[:, c].sum() + matrix[c, c]
        out.append(tn / (tn + fp) if tn + fp else 0.0)
    return np.array(out)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_multiclass_metrics_match_sklearn(seed):
    y_true, y_pred = _labels(seed)
    np.testing.assert_array_equal(
        confusion_matrix(y_true, y_pred), skm.confusion_matrix(y_true, y_pred)
    )
    assert accuracy(y_true, y_pred) == pytest.approx(skm.accuracy_score(y_true, y_pred))
    for ours, theirs in ((precision, skm.precision_score), (recall, skm.recall_score)):
        np.testing.assert_allclose(
            ours(y_true, y_pred, average=None), theirs(y_true, y_pred, average=None)
        )
        assert ours(y_true, y_pred, average="macro") == pytest.approx(
            theirs(y_true, y_pred, average="macro")
        )
    np.testing.assert_allclose(
        specificity(y_true, y_pred, average=None), _specificity_from_sklearn(y_true, y_pred, 4)
    )


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 1), st.integers(0, 1)), min_size=1, max_size=40))
def test_binary_metrics_match_sklearn(pairs):
    y_true = np.array([p[0] for p in pairs])
    y_pred = np.array([p[1] for p in pairs])
    assert precision(y_true, y_pred) == pytest.approx(
        skm.precision_score(y_true, y_pred, zero_division=0.0)
    )
    assert recall(y_true, y_pred) == pytest.approx(
        skm.recall_score(y_true, y_pred, zero_division=0.0)
    )
    tn = np.sum((y_true == 0) & (y_pred == 0))
    fp = np.sum((y_true == 0) & (y_pred == 1))
    assert specificity(y_true, y_pred) == pytest.approx(tn / (tn + fp) if tn + fp else 0.0)
    # specificity is the recall of the negative class
    assert specificity(y_true, y_pred) == pytest.approx(
        skm.recall_score(y_true, y_pred, pos_label=0, zero_division=0.0)
    )


def test_scores_and_tensors_are_accepted():
    y_true, y_pred = _labels(5, k=3)
    scores = np.eye(3)[y_pred] * 2.0 + 0.1
    assert accuracy(torch.tensor(y_true), torch.tensor(scores)) == accuracy(y_true, y_pred)
    matrix = confusion_matrix(y_true, y_pred, n_classes=5)
    assert matrix.shape == (5, 5) and matrix.sum() == len(y_true)


def test_bad_inputs_raise():
    with pytest.raises(ValueError, match="equal length"):
        accuracy([0, 1], [0])
    with pytest.raises(ValueError, match="y_true"):
        accuracy([0.5, 1.0], [0, 1])
    with pytest.raises(ValueError, match="n_classes"):
        confusion_matrix([0, 3], [0, 1], n_classes=2)
    with pytest.raises(ValueError, match="average"):
        precision([0, 1], [0, 1], average="micro")
