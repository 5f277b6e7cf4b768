"""Diabetes progression: least squares with its statistics, ridge and the lasso (seed 000 §3.1).

Following Box 1: split the 442 patients 70:15:15 into training, validation and test sets;
fit ordinary least squares (eq. 3.7) with its standard errors (eqs. 3.16-3.17); pick the ridge
lambda (eq. 3.21) of smallest validation error (eq. 3.24) on a grid; report the test error
(eq. 3.25) of both once. Then the coefficient paths of ridge and lasso (eq. 3.26) against the
penalty (Fig. 11: lasso drops features one by one) and exhaustive best-subset selection.
Features are scikit-learn's scaled diabetes columns (each of sum of squares 1).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from matplotlib.figure import Figure

from labcoat.classic.datasets import DIABETES_FEATURE_NAMES, load_diabetes
from labcoat.classic.linear_model import LinearRegression, Ridge, best_subsets, lasso_path
from labcoat.classic.model_selection import (
    mean_squared_error,
    train_validation_test_split,
    validation_curve,
)
from labcoat.exercises._framework import Exercise, Result, Table, check_float, check_ints


@dataclass(frozen=True)
class Config:
    """Settings of the regression exercise."""

    validation_size: float = 0.15
    """Fraction of patients in the validation set (Box 1: 15%)."""
    test_size: float = 0.15
    """Fraction of patients in the test set (Box 1: 15%)."""
    n_lambdas: int = 60
    """Grid points of lambda, log-spaced in [1e-4, 10]."""
    n_alphas: int = 100
    """Points of the lasso path."""
    seed: int = 0
    """Seed of the split."""

    def __post_init__(self) -> None:
        for name in ("validation_size", "test_size"):
            check_float(name, getattr(self, name), 0.05, 0.4)
        check_ints(self, {"n_lambdas": 5, "n_alphas": 5, "seed": 0})


def _ols_table(model: LinearRegression) -> Table:
    estimates = np.r_[model.intercept_, model.coef_]
    names = ("intercept", *DIABETES_FEATURE_NAMES)
    return Table(
        "Least squares on the training set: estimates, standard errors (eq. 3.16), t",
        ["parameter", "beta", "standard error", "t = beta / se"],
        [
            [name, round(float(b), 2), round(float(se), 2), round(float(b / se), 2)]
            for name, b, se in zip(names, estimates, model.standard_errors_, strict=True)
        ],
    )


def run(config: Config) -> Result:
    """Box 1 on the diabetes data: OLS statistics, ridge by validation, ridge and lasso paths."""
    x, y = load_diabetes()
    x_train, x_val, x_test, y_train, y_val, y_test = train_validation_test_split(
        x,
        y,
        validation_size=config.validation_size,
        test_size=config.test_size,
        random_state=config.seed,
    )
    ols = LinearRegression().fit(x_train, y_train)
    lambdas = np.geomspace(1e-4, 10.0, config.n_lambdas)
    train_mse, val_mse = validation_curve(Ridge(), "alpha", lambdas, x_train, y_train, x_val, y_val)
    best_lambda = float(lambdas[np.argmin(val_mse)])
    ridge = Ridge(best_lambda).fit(x_train, y_train)
    ridge_path = np.array([Ridge(lam).fit(x_train, y_train).coef_ for lam in lambdas]).T
    xc, yc = x_train - x_train.mean(axis=0), y_train - y_train.mean()
    alphas, lasso_coefs = lasso_path(xc, yc, n_alphas=config.n_alphas, loss="sum")
    entry = [int(np.argmax(np.abs(row) > 0)) for row in lasso_coefs]
    order = [DIABETES_FEATURE_NAMES[j] for j in np.argsort(entry, kind="stable")]
    subsets = best_subsets(x_train, y_train)
    result = Result()
    result.metrics.update(
        ols_r2_train=ols.r2_,
        ols_sigma2=float(ols.sigma2_),
        ols_validation_mse=mean_squared_error(y_val, ols.predict(x_val)),
        ridge_best_lambda=best_lambda,
        ridge_validation_mse=float(val_mse.min()),
        ols_test_mse=mean_squared_error(y_test, ols.predict(x_test)),
        ridge_test_mse=mean_squared_error(y_test, ridge.predict(x_test)),
        lasso_entry_order=order,
        best_subsets={
            len(s.features): [DIABETES_FEATURE_NAMES[j] for j in s.features] for s in subsets[1:5]
        },
    )
    result.tables["ols"] = _ols_table(ols)
    result.tables["subsets"] = Table(
        "Best subset of each size (training RSS)",
        ["size", "features", "RSS"],
        [
            [len(s.features), " ".join(DIABETES_FEATURE_NAMES[j] for j in s.features), round(s.rss)]
            for s in subsets
        ],
    )
    result.data["validation"] = {
        "lambda": lambdas,
        "train_mse": train_mse,
        "validation_mse": val_mse,
    }
    result.data["lasso_path"] = {
        "alpha": alphas,
        **dict(zip(DIABETES_FEATURE_NAMES, lasso_coefs, strict=True)),
    }
    result.figures["validation"] = _validation_figure(
        lambdas, train_mse, val_mse, best_lambda, ridge, ols, x_test, y_test
    )
    result.figures["paths"] = _path_figure(lambdas, ridge_path, alphas, lasso_coefs)
    return result


def _validation_figure(
    lambdas: np.ndarray,
    train_mse: np.ndarray,
    val_mse: np.ndarray,
    best_lambda: float,
    ridge: Ridge,
    ols: LinearRegression,
    x_test: np.ndarray,
    y_test: np.ndarray,
) -> Figure:
    figure = Figure(figsize=(11, 4.3), layout="constrained")
    left, right = figure.subplots(1, 2)
    left.semilogx(lambdas, train_mse, label="training MSE")
    left.semilogx(lambdas, val_mse, label="validation MSE (eq. 3.24)")
    left.axvline(best_lambda, color="gray", ls=":", label=f"best lambda = {best_lambda:.3g}")
    left.set(title="Ridge: choosing lambda on the validation set", xlabel="lambda", ylabel="MSE")
    left.legend()
    right.scatter(y_test, ols.predict(x_test), s=14, label="least squares")
    right.scatter(y_test, ridge.predict(x_test), s=14, label="ridge")
    limits = [y_test.min(), y_test.max()]
    right.plot(limits, limits, "k-", label="perfect prediction")
    right.set(title="Test set (eq. 3.25)", xlabel="true progression", ylabel="predicted")
    right.legend()
    return figure


def _path_figure(
    lambdas: np.ndarray, ridge_path: np.ndarray, alphas: np.ndarray, lasso_coefs: np.ndarray
) -> Figure:
    figure = Figure(figsize=(12, 4.5), layout="constrained")
    left, right = figure.subplots(1, 2)
    for name, ridge_row, lasso_row in zip(
        DIABETES_FEATURE_NAMES, ridge_path, lasso_coefs, strict=True
    ):
        left.semilogx(lambdas, ridge_row, label=name)
        right.semilogx(alphas, lasso_row, label=name)
    left.set(title="Ridge coefficients (eq. 3.22)", xlabel="lambda", ylabel="beta_j")
    right.set(title="Lasso path (eq. 3.26, RSS + alpha |beta|_1)", xlabel="alpha", ylabel="beta_j")
    right.invert_xaxis()
    left.invert_xaxis()
    right.legend(fontsize=8, ncols=2)
    return figure


EXERCISE = Exercise(
    name="regression",
    summary="Diabetes: OLS statistics, ridge, the lasso path",
    config=Config,
    run=run,
    quick={"n_lambdas": 20, "n_alphas": 30},
)
