"""labcoat's classic methods (numpy/scipy only), with scikit-learn's estimator protocol.

PCA and kernel PCA, t-SNE, k-means, linear/ridge/lasso regression, best subsets, logistic
regression, soft-margin SVM, model selection (seed 000 Box 1), the optimizers of seed 001 and
offline datasets (iris, digits, diabetes).

Input rules (scikit-learn's, with one policy): arrays may be lists, float, int or bool arrays,
or object arrays of real numbers; sparse matrices, complex numbers, strings and other
non-numbers are a TypeError naming the array; a wrong shape, NaN, inf or None (a missing
value) is a ValueError. Class labels are all numbers or all strings. Scalar arguments follow
``labcoat.classic._checks`` (TypeError for a wrong type, ValueError for a value out of range,
numpy scalars accepted). A fit whose data overflow float64 once squared raises
FloatingPointError naming the estimator and the quantity.
"""

from labcoat.classic._base import NotFittedError
from labcoat.classic.cluster import KMeans, kmeans_plusplus, lloyd
from labcoat.classic.datasets import (
    DIABETES_FEATURE_NAMES,
    IRIS_FEATURE_NAMES,
    IRIS_TARGET_NAMES,
    load_diabetes,
    load_digits,
    load_iris,
)
from labcoat.classic.decomposition import PCA, KernelPCA
from labcoat.classic.linear_model import (
    BestSubsetRegression,
    Lasso,
    LeastSquaresClassifier,
    LinearRegression,
    LogisticRegression,
    Ridge,
    Subset,
    best_subsets,
    lasso_path,
    rss_penalty,
)
from labcoat.classic.manifold import (
    TSNE,
    conditional_probabilities,
    joint_probabilities,
    trustworthiness,
)
from labcoat.classic.model_selection import (
    KFold,
    accuracy_score,
    cross_val_score,
    mean_squared_error,
    r2_score,
    train_validation_test_split,
    validation_curve,
)
from labcoat.classic.optimizers import (
    Adam,
    GradientDescent,
    Momentum,
    Newton,
    OptimizeResult,
    RMSprop,
    minimize,
)
from labcoat.classic.svm import SVC, DualSolution, smo

__all__ = [
    "DIABETES_FEATURE_NAMES",
    "IRIS_FEATURE_NAMES",
    "IRIS_TARGET_NAMES",
    "PCA",
    "SVC",
    "TSNE",
    "Adam",
    "BestSubsetRegression",
    "DualSolution",
    "GradientDescent",
    "KFold",
    "KMeans",
    "KernelPCA",
    "Lasso",
    "LeastSquaresClassifier",
    "LinearRegression",
    "LogisticRegression",
    "Momentum",
    "Newton",
    "NotFittedError",
    "OptimizeResult",
    "RMSprop",
    "Ridge",
    "Subset",
    "accuracy_score",
    "best_subsets",
    "conditional_probabilities",
    "cross_val_score",
    "joint_probabilities",
    "kmeans_plusplus",
    "lasso_path",
    "lloyd",
    "load_diabetes",
    "load_digits",
    "load_iris",
    "mean_squared_error",
    "minimize",
    "r2_score",
    "rss_penalty",
    "smo",
    "train_validation_test_split",
    "trustworthiness",
    "validation_curve",
]
