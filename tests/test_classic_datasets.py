import numpy as np
import pytest
from sklearn import datasets as skdatasets

from labcoat.classic.datasets import load_diabetes, load_digits, load_iris


@pytest.mark.parametrize(
    ("ours", "theirs", "shape"),
    [
        (load_iris, skdatasets.load_iris, (150, 4)),
        (load_digits, skdatasets.load_digits, (1797, 64)),
        (load_diabetes, skdatasets.load_diabetes, (442, 10)),
    ],
)
def test_datasets_match_scikit_learn(ours, theirs, shape):
    x, y = ours()
    reference = theirs()
    assert x.shape == shape and x.dtype == np.float64
    np.testing.assert_allclose(x, reference.data, atol=1e-15)
    np.testing.assert_array_equal(y, reference.target)


def test_raw_diabetes_matches_scikit_learn():
    x, y = load_diabetes(scaled=False)
    reference = skdatasets.load_diabetes(scaled=False)
    np.testing.assert_array_equal(x, reference.data)
    np.testing.assert_array_equal(y, reference.target)


def test_diabetes_scaled_flag_is_checked():
    with pytest.raises(TypeError, match="scaled"):
        load_diabetes(scaled="yes")
