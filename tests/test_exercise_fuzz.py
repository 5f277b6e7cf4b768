"""Property-based checks of every exercise's config, directly and through ``--set``.

For every field of every exercise, hypothesis draws values of every kind (ints small and huge,
floats with NaN/±inf/huge/tiny, numpy scalars, strings, bools, None, lists, tuples) and their
command-line spellings. Only the config is built (what the CLI does before any work); the
exercise never runs. Properties:

- a refusal is a ValueError or TypeError whose message names the field;
- an accepted value is of the field's declared type, finite, and stored as given;
- an accepted ``--set`` value round-trips: setting its printed form again changes nothing.

``derandomize=True`` makes each run try the same inputs, so CI is reproducible: ``EXAMPLES`` per
exercise and path, 3,400 in all (about one in seven accepted), ``CLI_EXAMPLES`` per exercise
through ``labcoat run`` itself (425), and the two-field cases below: about 17 s of CPU.
"""

import math
import numbers
import re
import types
import typing
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from labcoat.exercises import EXERCISES, apply_overrides, cli, get_exercise
from labcoat.exercises._framework import config_fields, replace_nested

EXAMPLES = 100
"""Inputs drawn per exercise, for each of the two paths (direct values and ``--set`` text)."""

FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)

SPECIAL = [0, 1, -1, 2, 0.0, -0.0, 0.5, 1.0, -1.5, 1e-308, 5e-324, 1e308, -1e308, 2**63, 10**30]
NUMBERS = st.one_of(
    st.integers(-10, 10_000),
    st.integers(-(2**80), 2**80),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([*SPECIAL, math.nan, math.inf, -math.inf]),
    st.integers(-(2**63), 2**63 - 1).map(np.int64),
    st.floats(allow_nan=True, allow_infinity=True).map(np.float64),
)
ANY = st.one_of(
    NUMBERS,
    st.booleans(),
    st.none(),
    st.text(max_size=10),
    st.sampled_from(["1", "0.5", "nan", "inf", "1e999", "True", "auto", "pca", "1/n"]),
    st.lists(NUMBERS, max_size=4),
    st.lists(NUMBERS, max_size=10).map(tuple),
    st.lists(st.text(max_size=3), min_size=1, max_size=3).map(tuple),
)


def near(default: Any, kind: Any) -> st.SearchStrategy[Any]:
    """Values of the field's own type around its default (so that many are accepted)."""
    if typing.get_origin(kind) is typing.Literal:
        return st.sampled_from(typing.get_args(kind))
    if isinstance(default, bool):
        return st.booleans()
    if isinstance(default, int):
        return st.integers(max(-2, default // 4 - 2), 2 * default + 3)
    if isinstance(default, float):
        size = 2 * abs(default) + 1
        return st.floats(-size, size, allow_nan=False)
    if isinstance(default, tuple):
        return st.lists(st.floats(0, 1), min_size=1, max_size=len(default) + 1).map(tuple)
    if isinstance(default, str):
        return st.sampled_from([default, default.upper(), "", "random", "1/n", "1/n^0.8"])
    return st.nothing()


def field_values(config: Any) -> st.SearchStrategy[tuple[str, Any]]:
    """A (dotted key, value) pair: any field of the config, and a value of any kind for it."""
    fields = config_fields(config)
    return st.sampled_from(sorted(fields)).flatmap(
        lambda key: st.tuples(
            st.just(key),
            st.one_of(ANY, near(getattr(*fields[key][:2]), fields[key][2])),
        )
    )


def spelled(value: Any) -> st.SearchStrategy[str]:
    """How a user might type ``value`` after ``--set key=``."""
    text = str(value)
    return st.sampled_from([text, repr(value), text.strip("()[]"), text.upper(), f" {text} "])


def names_the_field(error: Exception | str, key: str) -> bool:
    return re.search(rf"(?<![\w.]){re.escape(key.split('.')[-1])}(?!\w)", str(error)) is not None


def conforms(value: Any, kind: Any) -> bool:
    """Whether an accepted value is of the declared type (finite when a number)."""
    origin, args = typing.get_origin(kind), typing.get_args(kind)
    if origin in (typing.Union, types.UnionType):
        return any(conforms(value, arg) for arg in args)
    if origin is typing.Literal:
        return value in args
    if origin is tuple:
        return isinstance(value, tuple) and all(conforms(v, args[0]) for v in value)
    if kind is type(None):
        return value is None
    if kind is bool:
        return isinstance(value, bool | np.bool_)
    if isinstance(value, bool | np.bool_):
        return False
    if kind is int:
        return isinstance(value, numbers.Integral)
    if kind is float:
        return isinstance(value, numbers.Real) and math.isfinite(value)
    return isinstance(value, kind)


def same(a: Any, b: Any) -> bool:
    """Equality that treats a stored value as itself (``value is stored`` or ``==``)."""
    return a is b or bool(a == b)


NAMES = sorted(EXERCISES)
# The plant config builds its env, which warns about (valid) arguments outside the notes' story.
pytestmark = pytest.mark.filterwarnings("ignore:PlantWateringEnv:UserWarning")


def built_or_refused(build: Any, default: Any, key: str, value: Any, what: str) -> Any:
    """``build(default, {key: value})``, or None after checking that its refusal names ``key``."""
    try:
        return build(default, {key: value})
    except (TypeError, ValueError) as error:
        assert names_the_field(error, key), f"{what}: {error}"
        return None


@pytest.mark.parametrize("name", NAMES)
def test_config_values_of_every_kind_are_refused_naming_the_field_or_kept(name):
    default = get_exercise(name).config()
    fields = config_fields(default)
    outcomes: list[bool] = []

    @FUZZ
    @given(field_values(default))
    def check(pair):
        key, value = pair
        config = built_or_refused(replace_nested, default, key, value, f"{name}: {key}={value!r}")
        outcomes.append(config is not None)
        if config is None:
            return
        stored = getattr(*_owner(config, key))
        assert stored is value, f"{name}: {key}={value!r} stored as {stored!r}"
        assert conforms(value, fields[key][2]), f"{name}: {key}={value!r} accepted"

    check()
    reached(outcomes)


@pytest.mark.parametrize("name", NAMES)
def test_set_texts_of_every_kind_are_refused_naming_the_key_or_round_trip(name):
    default = get_exercise(name).config()
    fields = config_fields(default)
    outcomes: list[bool] = []

    @FUZZ
    @given(field_values(default).flatmap(lambda p: st.tuples(st.just(p[0]), spelled(p[1]))))
    def check(pair):
        key, text = pair
        config = built_or_refused(
            apply_overrides, default, key, text, f"{name}: --set {key}={text!r}"
        )
        outcomes.append(config is not None)
        if config is None:
            return
        value = getattr(*_owner(config, key))
        assert conforms(value, fields[key][2]), f"{name}: --set {key}={text!r} gave {value!r}"
        again = apply_overrides(config, {key: str(value)})
        assert same(getattr(*_owner(again, key)), value) and again == config

    check()
    reached(outcomes)


def reached(outcomes: list[bool]) -> None:
    """The fuzz tried ``EXAMPLES`` inputs and reached both the accepted and the refused side."""
    assert len(outcomes) >= EXAMPLES
    assert 0.05 < sum(outcomes) / len(outcomes) < 0.95, f"{sum(outcomes)} of {len(outcomes)} kept"


def _owner(config: Any, key: str) -> tuple[Any, str]:
    *path, field = key.split(".")
    for part in path:
        config = getattr(config, part)
    return config, field


def test_the_fuzz_reaches_every_field_of_every_exercise():
    counts = {name: len(config_fields(get_exercise(name).config())) for name in NAMES}
    assert len(counts) == len(EXERCISES) >= 17 and min(counts.values()) >= 4


@pytest.mark.parametrize(
    ("name", "values", "fields"),
    [
        ("ising", {"t_min": 4.0}, ("t_max", "t_min")),
        ("pca", {"t_max": 1.0}, ("t_max", "t_min")),
        ("random-walk", {"size": 5}, ("n_groups", "size")),
        ("tsne", {"n_samples": 60}, ("perplexity", "n_samples")),
        ("plant", {"steps": 100}, ("snapshots", "steps")),
    ],
)
def test_a_refusal_between_two_fields_names_both(name, values, fields):
    with pytest.raises(ValueError) as caught:
        replace_nested(get_exercise(name).config(), values)
    assert all(names_the_field(caught.value, field) for field in fields), str(caught.value)


class Ran(Exception):
    """Raised by the stand-in run: the command line accepted the setting and started work."""


CLI_EXAMPLES = 25
"""Inputs per exercise through the whole command line (``labcoat run NAME --set key=text``)."""


@pytest.mark.parametrize("name", NAMES)
def test_the_command_line_refuses_in_one_line_naming_the_key(name, monkeypatch, tmp_path, capsys):
    exercise = get_exercise(name)

    def ran(config):
        raise Ran

    standin = exercise.replace(run=ran)
    monkeypatch.setattr(cli, "get_exercise", lambda _: standin)
    monkeypatch.chdir(tmp_path)
    outcomes: list[bool] = []

    @settings(FUZZ, max_examples=CLI_EXAMPLES)
    @given(
        field_values(exercise.config()).flatmap(lambda p: st.tuples(st.just(p[0]), spelled(p[1])))
    )
    def check(pair):
        key, text = pair
        try:
            code = cli.main(["run", name, "--set", f"{key}={text}"])
        except Ran:
            outcomes.append(True)
            return
        captured = capsys.readouterr()
        outcomes.append(False)
        assert code == 2 and captured.err.count("\n") == 1, captured.err
        assert captured.err.startswith("labcoat: error: ") and names_the_field(captured.err, key)

    check()
    assert len(outcomes) >= CLI_EXAMPLES and not any(tmp_path.iterdir())  # nothing written
