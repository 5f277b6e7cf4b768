import dataclasses

import numpy as np
import pytest
from sklearn import cluster as skc
from sklearn import linear_model as sklm
from sklearn import manifold as skm

from labcoat.classic.datasets import load_diabetes, load_digits, load_iris
from labcoat.classic.model_selection import train_validation_test_split
from labcoat.exercises import kmeans, pca, regression, tsne


def quick(module):
    return dataclasses.replace(module.Config(), **module.EXERCISE.quick)


def test_pca_exercise():
    result = pca.run(quick(pca))
    m = result.metrics
    # iris: the classic explained-variance ratios, and eq. 2.4's petal rotation
    np.testing.assert_allclose(
        m["iris_explained_variance_ratio"][:2], [0.92462, 0.05307], atol=1e-4
    )
    np.testing.assert_allclose(m["iris_petal_first_component"], [0.922, 0.388], atol=5e-4)
    # Ising: PC1 is the magnetization, with near-uniform weights
    assert m["ising_pc1_magnetization_correlation"] > 0.99
    assert m["ising_explained_variance_ratio"][0] > 5 * m["ising_explained_variance_ratio"][1]
    assert set(result.figures) == {"iris", "ising"}


def test_pca_exercise_on_an_odd_lattice():
    """An odd side (three-sublattice sweeps): PC1 is still the magnetization."""
    result = pca.run(dataclasses.replace(quick(pca), side=11))
    assert result.metrics["ising_pc1_magnetization_correlation"] > 0.99


def test_kmeans_exercise():
    result = kmeans.run(quick(kmeans))
    m = result.metrics
    x, labels = load_iris()
    x = (x - x.mean(axis=0)) / x.std(axis=0)
    reference = skc.KMeans(3, n_init=50, random_state=0).fit(x).inertia_
    assert m["best_loss"] == pytest.approx(reference, rel=1e-6)
    assert np.all(np.diff(m["loss_versus_k"]) < 0)
    assert m["purity"] > 0.8
    assert m["mean_loss_k-means++"] <= m["mean_loss_random"] * 1.05


def test_tsne_exercise():
    config = quick(tsne)
    result = tsne.run(config)
    m = result.metrics
    x, _ = load_digits()
    assert m["knn_accuracy_tsne"] >= 0.95 and m["knn_accuracy_pca"] < 0.85
    assert m["trustworthiness_tsne"] > m["trustworthiness_pca"] + 0.05
    # PCA's trustworthiness scored independently by scikit-learn
    from labcoat.classic.decomposition import PCA

    pca_map = PCA(2).fit_transform(x[: config.n_samples])
    assert m["trustworthiness_pca"] == pytest.approx(
        skm.trustworthiness(x[: config.n_samples], pca_map, n_neighbors=5), abs=2e-3
    )


def test_regression_exercise():
    config = quick(regression)
    m = regression.run(config).metrics
    x, y = load_diabetes()
    x_train, _, x_test, y_train, _, y_test = train_validation_test_split(
        x, y, random_state=config.seed
    )
    ols = sklm.LinearRegression().fit(x_train, y_train)
    assert m["ols_r2_train"] == pytest.approx(ols.score(x_train, y_train), rel=1e-10)
    assert m["ols_test_mse"] == pytest.approx(np.mean((ols.predict(x_test) - y_test) ** 2))
    ridge = sklm.Ridge(m["ridge_best_lambda"]).fit(x_train, y_train)
    assert m["ridge_test_mse"] == pytest.approx(np.mean((ridge.predict(x_test) - y_test) ** 2))
    assert m["ridge_validation_mse"] <= m["ols_validation_mse"] + 1e-9
    assert m["lasso_entry_order"][:2] == ["bmi", "s5"]
    assert m["best_subsets"][1] == ["bmi"]


def test_configs_reject_bad_values():
    with pytest.raises(ValueError, match="side"):
        pca.Config(side=1)
    with pytest.raises(ValueError, match="n_clusters"):
        kmeans.Config(n_clusters=0)
    with pytest.raises(ValueError, match="perplexity"):
        tsne.Config(n_samples=60, perplexity=30.0)
    with pytest.raises(ValueError, match="test_size"):
        regression.Config(test_size=0.9)
