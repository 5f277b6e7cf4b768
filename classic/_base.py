"""The estimator protocol of labcoat.classic: scikit-learn's conventions, not its machinery."""

from __future__ import annotations

import contextlib
import inspect
import math
import numbers
from collections.abc import Iterator
from typing import Any

import numpy as np
import scipy.sparse

from labcoat.classic._checks import check_choice, check_float, check_int

KERNELS = ("linear", "poly", "rbf")


class NotFittedError(ValueError, AttributeError):
    """Raised when an estimator is used before ``fit``."""


class Estimator:
    """Constructor stores its keyword arguments; ``fit`` returns self; fitted names end in ``_``."""

    @classmethod
    def _parameter_names(cls) -> list[str]:
        signature = inspect.signature(cls.__init__)
        return [name for name in signature.parameters if name != "self"]

    def get_params(self) -> dict[str, Any]:
        """The constructor arguments as a dict."""
        return {name: getattr(self, name) for name in self._parameter_names()}

    def set_params(self, **params: Any) -> Estimator:
        """Set constructor arguments (checked again by the next ``fit``); returns self."""
        for name, value in params.items():
            if name not in self._parameter_names():
                known = ", ".join(self._parameter_names())
                raise ValueError(f"{name!r} is not a parameter of {type(self).__name__}: {known}")
            setattr(self, name, value)
        return self

    def __repr__(self) -> str:
        defaults = inspect.signature(type(self).__init__).parameters
        changed = [
            f"{k}={v!r}"
            for k, v in self.get_params().items()
            if not (isinstance(v, type(defaults[k].default)) and v == defaults[k].default)
        ]
        return f"{type(self).__name__}({', '.join(changed)})"

    def _check_overflow(self, quantity: str, *values: Any) -> None:
        check_overflow(type(self).__name__, quantity, *values)

    def _check_distances(self, x: np.ndarray) -> None:
        # |x_i - x_j|^2 <= 4 max_i |x_i|^2 bounds every squared distance computed from x.
        bound = 4.0 * float(np.einsum("ij,ij->i", x, x).max())
        self._check_overflow("the squared distances |x_i - x_j|^2", bound)

    def _check_fitted(self, attribute: str) -> None:
        if not hasattr(self, attribute):
            raise NotFittedError(
                f"this {type(self).__name__} is not fitted yet: call fit(X, ...) first"
            )


def check_overflow(owner: str, quantity: str, *values: Any) -> None:
    """FloatingPointError if a quantity computed from finite data holds inf or NaN.

    Finite inputs can still overflow float64 once squared (X^T X, |x_i - x_j|^2): ``owner``
    (the estimator or function) and ``quantity`` (what overflowed) make the message.
    """
    for value in values:
        # A sum is finite when every entry is (fast path); if not, look at the entries.
        if not math.isfinite(float(np.sum(value))) and not np.all(np.isfinite(value)):
            raise FloatingPointError(
                f"{owner}: {quantity} overflowed float64 (inf or NaN) during fit; the data are "
                "too large: rescale X (and y), e.g. standardize each column"
            )


@contextlib.contextmanager
def overflow_in(owner: str) -> Iterator[None]:
    """Prefix ``owner`` to a FloatingPointError raised by the estimators it calls."""
    try:
        yield
    except FloatingPointError as error:
        raise FloatingPointError(f"{owner}: {error}") from error


def refuse_sparse(name: str, value: object) -> None:
    """TypeError for a scipy.sparse matrix or array: labcoat.classic works on dense arrays."""
    if scipy.sparse.issparse(value):
        raise TypeError(
            f"{name}: sparse input is not supported; pass a dense array ({name}.toarray())"
        )


def _as_array(value: object, name: str) -> np.ndarray:
    refuse_sparse(name, value)
    try:
        return np.asarray(value)
    except ValueError as error:  # nested sequences of different lengths
        raise ValueError(f"{name} must be a rectangular array of numbers: {error}") from error


def _missing(name: str, array: np.ndarray) -> ValueError | None:
    """A ValueError naming the first None of an object array, or None if it has none."""
    flat = array.ravel()
    for index, value in enumerate(flat):
        if value is None:
            where = np.unravel_index(index, array.shape)
            return ValueError(
                f"{name} must contain only finite numbers, got None (a missing value) at "
                f"index {tuple(int(i) for i in where)}"
            )
    return None


def _real_array(value: object, name: str) -> np.ndarray:
    """``value`` as a float64 array; TypeError for a non-real dtype or entry (scikit-learn's rule).

    Real and bool dtypes are converted; an object array is converted when every entry is a
    real number (None is a missing value: ValueError); complex, string and any other dtype or
    entry is a TypeError.
    """
    array = _as_array(value, name)
    kind = array.dtype.kind
    if kind == "O":
        missing = _missing(name, array)
        if missing is not None:
            raise missing
        for entry in array.ravel():
            if not isinstance(entry, numbers.Real | np.bool_):
                raise TypeError(
                    f"{name} must hold real numbers, got {entry!r} ({type(entry).__name__}) "
                    "in an object array"
                )
    elif kind == "c":
        raise TypeError(
            f"{name} must hold real numbers, got complex dtype {array.dtype} "
            f"(pass {name}.real if the imaginary parts are zero)"
        )
    elif kind not in "biuf":
        raise TypeError(f"{name} must hold real numbers, got dtype {array.dtype}")
    return array.astype(np.float64, copy=False)


def check_array(x: Any, name: str = "X", ndim: int | tuple[int, ...] = 2) -> np.ndarray:
    """Return ``x`` as a finite float64 array with ``ndim`` dimensions (one of, for a tuple).

    scikit-learn's input rules with labcoat's one policy: a wrong kind of input (sparse,
    complex, strings, non-numbers in an object array) is a TypeError; a wrong shape, an empty
    array, NaN, inf or None (a missing value) is a ValueError. Bool arrays count as 0/1.
    """
    array = _real_array(x, name)
    allowed = (ndim,) if isinstance(ndim, int) else ndim
    if array.ndim not in allowed:
        dims = " or ".join(f"{d}-D" for d in allowed)
        raise ValueError(f"{name} must be a {dims} array, got shape {array.shape}")
    if array.size == 0:
        raise ValueError(f"{name} must not be empty, got shape {array.shape}")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must contain only finite numbers (no NaN or inf)")
    return array


def _label_kind(value: object) -> str:
    if isinstance(value, numbers.Real | np.bool_):
        return "numbers"
    return "str" if isinstance(value, str) else type(value).__name__


def check_labels(y: Any, name: str = "y") -> np.ndarray:
    """Return class labels ``y`` as a 1-D array of numbers or of strings, never a mix.

    TypeError for sparse or complex input or labels of two kinds; ValueError for a wrong
    shape, None (a missing label), NaN or inf.
    """
    target = _as_array(y, name)
    if target.ndim != 1:
        raise ValueError(f"{name} must be a 1-D array of labels, got shape {target.shape}")
    kind = target.dtype.kind
    if kind == "O":
        missing = _missing(name, target)
        if missing is not None:
            raise missing
        kinds = {_label_kind(v) for v in target}
        if len(kinds) > 1 or kinds - {"numbers", "str"}:
            listed = ", ".join(sorted(kinds))
            raise TypeError(
                f"{name} must hold labels of one kind (all numbers or all strings), got {listed}"
            )
        target = target.astype(np.float64 if kinds == {"numbers"} else str)
        kind = target.dtype.kind
    if kind not in "biufUS":
        raise TypeError(
            f"{name} must hold labels of one kind (real numbers or strings), got "
            f"{'complex ' if kind == 'c' else ''}dtype {target.dtype}"
        )
    if kind == "f" and not np.all(np.isfinite(target)):
        raise ValueError(f"{name} must contain only finite numbers (no NaN or inf)")
    return target


def check_features(x: Any, n_features: int, name: str = "X") -> np.ndarray:
    """``check_array`` plus the number of columns seen in ``fit``."""
    array = check_array(x, name)
    if array.shape[1] != n_features:
        raise ValueError(f"{name} has {array.shape[1]} features, the fit saw {n_features}")
    return array


def check_xy(
    x: Any, y: Any, y_ndim: tuple[int, ...] = (1,), *, labels: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """A design matrix and targets with one row per row of X.

    Numeric targets (``labels=False``) follow :func:`check_array` with ``y_ndim`` dimensions;
    class labels follow :func:`check_labels`.
    """
    array = check_array(x)
    target = check_labels(y) if labels else check_array(y, "y", y_ndim)
    if target.shape[0] != array.shape[0]:
        raise ValueError(
            f"y must have {array.shape[0]} rows (one per row of X), got shape {target.shape}"
        )
    return array, target


def make_rng(random_state: int | np.random.Generator | None) -> np.random.Generator:
    """A Generator from a seed, a Generator (used as is) or None (fresh entropy)."""
    if isinstance(random_state, np.random.Generator):
        return random_state
    if random_state is None:
        return np.random.default_rng()
    if isinstance(random_state, bool | np.bool_) or not isinstance(random_state, numbers.Integral):
        raise TypeError(
            f"random_state must be an integer >= 0, a numpy Generator or None, got {random_state!r}"
        )
    return np.random.default_rng(check_int("random_state", random_state, 0))


def squared_distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pairwise ||a_i - b_j||^2 via the expansion |a|^2 - 2 a.b + |b|^2, clipped at 0."""
    d = np.einsum("ij,ij->i", a, a)[:, None] - 2.0 * (a @ b.T) + np.einsum("ij,ij->i", b, b)
    return np.maximum(d, 0.0, out=d)


def kernel_matrix(
    a: np.ndarray,
    b: np.ndarray,
    kernel: str,
    gamma: float,
    degree: int,
    coef0: float,
) -> np.ndarray:
    """K(a_i, b_j): linear a.b, polynomial (gamma a.b + coef0)^degree, rbf exp(-gamma|a-b|^2)."""
    if kernel == "linear":
        return a @ b.T
    if kernel == "poly":
        return (gamma * (a @ b.T) + coef0) ** degree
    check_choice("kernel", kernel, KERNELS)
    return np.exp(-gamma * squared_distances(a, b))


def resolve_gamma(gamma: float | str | None, x: np.ndarray) -> float:
    """gamma='scale' -> 1/(n_features Var X), 'auto' or None -> 1/n_features, else the number."""
    if gamma == "scale":
        variance = float(x.var())
        return 1.0 / (x.shape[1] * variance) if variance > 0 else 1.0
    if gamma is None or gamma == "auto":
        return 1.0 / x.shape[1]
    if isinstance(gamma, str):
        check_choice("gamma", gamma, ("scale", "auto"))
    return check_float("gamma", gamma, 0.0, low_open=True)


def clone(estimator: Estimator) -> Estimator:
    """A new, unfitted estimator with the same constructor arguments."""
    return type(estimator)(**estimator.get_params())
