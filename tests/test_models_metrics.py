import numpy as np
import pytest
import sklearn.metrics as skm
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from labcoat.models import frechet_distance, gaussian_frechet_distance
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


# ---------------------------------------------------------------- Fréchet distance


def _random_covariance(rng: np.random.Generator, d: int) -> np.ndarray:
    a = rng.normal(size=(d, d))
    return a @ a.T + 0.1 * np.eye(d)


def _scipy_frechet(mu1, sigma1, mu2, sigma2) -> float:
    from scipy.linalg import sqrtm

    cross = sqrtm(sigma1 @ sigma2).real
    return float(((mu1 - mu2) ** 2).sum() + np.trace(sigma1 + sigma2 - 2 * cross))


@pytest.mark.parametrize("d", [1, 3, 10, 40])
def test_frechet_distance_matches_scipy_sqrtm_on_known_gaussians(d):
    rng = np.random.default_rng(d)
    mu1, mu2 = rng.normal(size=d), rng.normal(size=d)
    sigma1, sigma2 = _random_covariance(rng, d), _random_covariance(rng, d)
    expected = _scipy_frechet(mu1, sigma1, mu2, sigma2)
    assert gaussian_frechet_distance(mu1, sigma1, mu2, sigma2) == pytest.approx(expected, rel=1e-7)


def test_frechet_distance_closed_forms():
    rng = np.random.default_rng(0)
    mu1, mu2, sigma = rng.normal(size=5), rng.normal(size=5), _random_covariance(rng, 5)
    # equal covariances: only the means count
    assert gaussian_frechet_distance(mu1, sigma, mu2, sigma) == pytest.approx(
        ((mu1 - mu2) ** 2).sum(), rel=1e-8, abs=1e-9
    )
    # diagonal (commuting) covariances: sum of (sqrt a - sqrt b)^2
    a, b = rng.uniform(0.1, 3, size=5), rng.uniform(0.1, 3, size=5)
    assert gaussian_frechet_distance(mu1, np.diag(a), mu1, np.diag(b)) == pytest.approx(
        ((np.sqrt(a) - np.sqrt(b)) ** 2).sum(), rel=1e-10
    )
    # 1-D: (mu1 - mu2)^2 + (s1 - s2)^2, and the distance to itself is 0
    assert gaussian_frechet_distance([1.0], [[4.0]], [-2.0], [[9.0]]) == pytest.approx(10.0)
    assert gaussian_frechet_distance(mu1, sigma, mu1, sigma) == pytest.approx(0.0, abs=1e-9)


def test_frechet_distance_of_samples_uses_their_means_and_covariances():
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(500, 4)), 2.0 + 0.5 * rng.normal(size=(300, 4))
    expected = _scipy_frechet(x.mean(0), np.cov(x.T), y.mean(0), np.cov(y.T))
    assert frechet_distance(x, torch.tensor(y)) == pytest.approx(expected, rel=1e-7)
    # large samples of N(0, 1) and N(2, 1/4) in 4-D: 4 * (4 + (1 - 1/2)^2) = 17
    x, y = rng.normal(size=(100_000, 4)), 2.0 + 0.5 * rng.normal(size=(100_000, 4))
    assert frechet_distance(x, y) == pytest.approx(17.0, rel=0.01)


def test_frechet_distance_refuses_bad_shapes():
    with pytest.raises(ValueError, match="features1 and features2 must have the same width"):
        frechet_distance(np.zeros((3, 2)), np.zeros((3, 3)))
    with pytest.raises(ValueError, match=r"features2 must have shape \(n >= 2, d\)"):
        frechet_distance(np.zeros((3, 2)), np.zeros((1, 2)))
    with pytest.raises(ValueError, match="sigma2 must have shape"):
        gaussian_frechet_distance(np.zeros(2), np.eye(2), np.zeros(2), np.eye(3))
    with pytest.raises(ValueError, match="sigma1 must be finite"):
        gaussian_frechet_distance(np.zeros(1), [[np.nan]], np.zeros(1), [[1.0]])
