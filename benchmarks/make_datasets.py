"""Create the small datasets shipped in ``classic/`` from scikit-learn's bundled copies.

Run once (``python benchmarks/make_datasets.py``); the library itself never imports sklearn and
loads the files with :mod:`labcoat.classic.datasets`.

Sources (as bundled with scikit-learn):
- iris: R. A. Fisher (1936), UCI Machine Learning Repository; 150 x 4, 3 classes.
- digits: UCI "Optical Recognition of Handwritten Digits" test set; 1,797 x 64 (8 x 8, 0..16).
- diabetes: Efron, Hastie, Johnstone, Tibshirani (2004), "Least Angle Regression"; 442 x 10,
  raw (unscaled) features and the disease-progression target.
"""

from pathlib import Path

import numpy as np
from sklearn import datasets

HERE = Path(__file__).resolve().parent.parent / "classic"


def main() -> None:
    iris = datasets.load_iris()
    np.savez_compressed(
        HERE / "iris.npz",
        X=iris.data.astype(np.float64),
        y=iris.target.astype(np.int64),
        feature_names=np.array(iris.feature_names),
        target_names=np.array(iris.target_names),
    )
    digits = datasets.load_digits()
    np.savez_compressed(
        HERE / "digits.npz",
        X=digits.data.astype(np.uint8),
        y=digits.target.astype(np.int64),
    )
    diabetes = datasets.load_diabetes(scaled=False)
    np.savez_compressed(
        HERE / "diabetes.npz",
        X=diabetes.data.astype(np.float64),
        y=diabetes.target.astype(np.float64),
        feature_names=np.array(diabetes.feature_names),
    )


if __name__ == "__main__":
    main()
