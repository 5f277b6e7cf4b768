import numpy as np
import pytest
from sklearn import linear_model as sklm
from sklearn import model_selection as skms

from labcoat.classic.datasets import load_diabetes
from labcoat.classic.linear_model import Ridge
from labcoat.classic.model_selection import (
    KFold,
    cross_val_score,
    mean_squared_error,
    r2_score,
    train_validation_test_split,
    validation_curve,
)

X, Y = load_diabetes()


@pytest.mark.parametrize(("m", "k"), [(10, 3), (442, 5), (7, 7)])
def test_kfold_matches_scikit_learn(m, k):
    ours = list(KFold(k).split(np.zeros(m)))
    theirs = list(skms.KFold(k).split(np.zeros(m)))
    for (a_train, a_test), (b_train, b_test) in zip(ours, theirs, strict=True):
        np.testing.assert_array_equal(a_train, b_train)
        np.testing.assert_array_equal(a_test, b_test)


def test_shuffled_kfold_partitions_and_is_seeded():
    folds = list(KFold(4, shuffle=True, random_state=3).split(np.zeros(23)))
    tests = np.concatenate([test for _, test in folds])
    np.testing.assert_array_equal(np.sort(tests), np.arange(23))
    again = list(KFold(4, shuffle=True, random_state=3).split(np.zeros(23)))
    assert all(np.array_equal(a[1], b[1]) for a, b in zip(folds, again, strict=True))


def test_cross_val_score_matches_scikit_learn():
    ours = cross_val_score(Ridge(alpha=0.1), X, Y, cv=5, metric="mse")
    theirs = -skms.cross_val_score(
        sklm.Ridge(alpha=0.1), X, Y, cv=5, scoring="neg_mean_squared_error"
    )
    np.testing.assert_allclose(ours, theirs, rtol=1e-10)
    r2 = cross_val_score(Ridge(alpha=0.1), X, Y, cv=5, metric="r2")
    np.testing.assert_allclose(
        r2, skms.cross_val_score(sklm.Ridge(alpha=0.1), X, Y, cv=5), rtol=1e-10
    )


def test_box_one_split_sizes_disjoint_and_seeded():
    x_train, x_val, x_test, y_train, y_val, y_test = train_validation_test_split(
        X, Y, random_state=0
    )
    assert (len(x_train), len(x_val), len(x_test)) == (310, 66, 66)  # 70:15:15 of 442
    rows = np.concatenate([x_train, x_val, x_test])
    assert np.unique(rows, axis=0).shape[0] == 442
    np.testing.assert_array_equal(x_val, train_validation_test_split(X, random_state=0)[1])
    again = train_validation_test_split(X, Y, random_state=0)
    np.testing.assert_array_equal(again[4], y_val)


def test_validation_curve_is_the_ridge_refit_at_each_alpha():
    parts = train_validation_test_split(X, Y, random_state=1)
    x_train, x_val, _, y_train, y_val, _ = parts
    alphas = [1e-3, 0.1, 10.0]
    train, validation = validation_curve(Ridge(), "alpha", alphas, x_train, y_train, x_val, y_val)
    for alpha, a, b in zip(alphas, train, validation, strict=True):
        model = sklm.Ridge(alpha).fit(x_train, y_train)
        assert a == pytest.approx(np.mean((model.predict(x_train) - y_train) ** 2))
        assert b == pytest.approx(np.mean((model.predict(x_val) - y_val) ** 2))
    assert np.all(np.diff(train) > 0)  # more penalty, worse training fit


def test_metrics_and_bad_arguments():
    assert mean_squared_error([1.0, 2.0], [1.0, 4.0]) == 2.0
    assert r2_score(Y, Y) == 1.0
    with pytest.raises(ValueError, match="test_size"):
        train_validation_test_split(X, test_size=1.5)
    with pytest.raises(ValueError, match="no training rows"):
        train_validation_test_split(X, validation_size=0.5, test_size=0.5)
    with pytest.raises(ValueError, match="n_splits"):
        list(KFold(5).split(np.zeros(3)))
    with pytest.raises(ValueError, match="metric"):
        cross_val_score(Ridge(), X, Y, metric="mae")
