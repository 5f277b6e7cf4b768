"""The validation helpers: one rule (TypeError for a type, ValueError for a range)."""

import math

import numpy as np
import pytest

from labcoat.classic import _checks as classic_checks
from labcoat.envs import _checks as envs_checks

LAYERS = [classic_checks, envs_checks]


@pytest.mark.parametrize("checks", LAYERS)
def test_check_int(checks):
    assert checks.check_int("n", np.int64(3), 1) == 3
    assert type(checks.check_int("n", np.int64(3), 1)) is int
    for bad in (2.5, 2.0, "3", True, None, np.bool_(True)):
        with pytest.raises(TypeError, match=r"n must be an integer >= 1, got"):
            checks.check_int("n", bad, 1)
    with pytest.raises(ValueError, match=r"n must be an integer in \[1, 5\], got 0"):
        checks.check_int("n", 0, 1, 5)
    with pytest.raises(ValueError, match=r"n must be an integer <= 5, got 6"):
        checks.check_int("n", 6, None, 5)


@pytest.mark.parametrize("checks", LAYERS)
def test_check_float(checks):
    assert checks.check_float("x", np.float32(0.5), 0, 1) == 0.5
    assert checks.check_float("x", 1, 0, 1) == 1.0
    for bad in ("0.5", True, None, 1j, [0.5]):
        with pytest.raises(TypeError, match=r"x must be a finite number in \(0, 1\], got"):
            checks.check_float("x", bad, 0, 1, low_open=True)
    for bad in (0.0, 1.5, math.nan, math.inf, -math.inf):
        with pytest.raises(ValueError, match=r"x must be a finite number in \(0, 1\], got"):
            checks.check_float("x", bad, 0, 1, low_open=True)
    with pytest.raises(ValueError, match=r"x must be a finite number, got nan"):
        checks.check_float("x", math.nan)
    assert checks.check_probability("p", 1) == 1.0
    with pytest.raises(ValueError, match=r"p must be a finite number in \[0, 1\]"):
        checks.check_probability("p", 1.01)


@pytest.mark.parametrize("checks", LAYERS)
def test_check_choice_and_bool(checks):
    assert checks.check_choice("mode", "a", ("a", "b")) == "a"
    with pytest.raises(ValueError, match=r"mode must be one of 'a', 'b', got 'c'"):
        checks.check_choice("mode", "c", ("a", "b"))
    with pytest.raises(ValueError, match=r"mode must be one of"):
        checks.check_choice("mode", ["a"], ("a", "b"))  # unhashable: simply not a choice
    assert checks.check_bool("flag", np.bool_(False)) is False
    with pytest.raises(TypeError, match=r"flag must be True or False, got 1"):
        checks.check_bool("flag", 1)


def test_check_finite_array():
    np.testing.assert_array_equal(classic_checks.check_finite_array("X", [[1, 2]]), [[1.0, 2.0]])
    with pytest.raises(TypeError, match=r"X must be real, got complex"):
        classic_checks.check_finite_array("X", [1j])
    with pytest.raises(TypeError, match=r"X must hold real numbers"):
        classic_checks.check_finite_array("X", np.array(["a"], dtype=object))
    with pytest.raises(ValueError, match=r"X must contain only finite numbers"):
        classic_checks.check_finite_array("X", np.array([1.0, None], dtype=object))
