"""The exercise protocol: --set parsing, atomic writing, the command line."""

import dataclasses
import json
import math
import os
from typing import Literal

import numpy as np
import pytest
from matplotlib.figure import Figure

from labcoat.exercises import EXERCISES, Result, Table, apply_overrides, write_result
from labcoat.exercises._checks import check_float, check_int, check_ints
from labcoat.exercises._framework import atomic_write_bytes
from labcoat.exercises.cli import build_parser, main


@dataclasses.dataclass(frozen=True)
class Inner:
    alpha: float = 0.5
    """A probability."""

    def __post_init__(self):
        if not 0 <= self.alpha <= 1:
            raise ValueError(f"alpha must be in [0, 1], got {self.alpha}")


@dataclasses.dataclass(frozen=True)
class Config:
    seed: int = 0
    gamma: float = 0.9
    method: Literal["sarsa", "q"] = "q"
    sizes: tuple[int, ...] = (1, 2)
    verbose: bool = False
    limit: int | None = None
    env: Inner = Inner()


def test_overrides_parse_every_field_type():
    config = apply_overrides(
        Config(),
        {
            "seed": "3",
            "gamma": "0.5",
            "method": "sarsa",
            "sizes": "4,5,6",
            "verbose": "yes",
            "limit": "none",
            "alpha": "0.25",
        },
    )
    assert config == Config(3, 0.5, "sarsa", (4, 5, 6), True, None, Inner(0.25))
    assert apply_overrides(Config(), {"env.alpha": "1"}).env.alpha == 1.0
    assert apply_overrides(Config(), {"limit": "7"}).limit == 7


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("nope", "1", "nope is not a setting.*accepted keys: env.alpha, gamma"),
        ("gamma", "high", "gamma: expected float"),
        ("gamma", "nan", "finite"),
        ("method", "td", "not one of sarsa, q"),
        ("verbose", "maybe", "true or false"),
        ("alpha", "2", r"alpha must be in \[0, 1\]"),
    ],
)
def test_bad_overrides_name_the_key(key, value, message):
    with pytest.raises(ValueError, match=message):
        apply_overrides(Config(), {key: value})


def test_write_result_writes_every_artefact(tmp_path):
    figure = Figure()
    figure.add_subplot().plot([0, 1], [1, 0])
    result = Result(
        tables={"summary": Table("Summary", ["a", "b"], [[1, 2.5], [3, np.float64(4.5)]])},
        figures={"curve": figure},
        data={"curve": {"x": np.arange(3), "y": np.array([0.5, 1.5, 2.5])}},
        metrics={"best": np.float32(1.5), "nested": {"v": np.array([1.0, 2.0])}},
    )
    written = write_result(result, Config(), tmp_path)
    names = sorted(p.name for p in written)
    assert names == ["config.json", "curve.csv", "curve.png", "metrics.json", "summary.csv"]
    assert (tmp_path / "curve.csv").read_text() == "x,y\n0,0.5\n1,1.5\n2,2.5\n"
    assert json.loads((tmp_path / "metrics.json").read_text()) == {
        "best": 1.5,
        "nested": {"v": [1.0, 2.0]},
    }
    assert json.loads((tmp_path / "config.json").read_text())["env"] == {"alpha": 0.5}
    assert (tmp_path / "curve.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not list(tmp_path.glob(".*tmp"))
    mask = os.umask(0)
    os.umask(mask)
    assert (tmp_path / "curve.csv").stat().st_mode & 0o777 == 0o666 & ~mask


def test_atomic_write_keeps_old_file_on_error(tmp_path):
    path = tmp_path / "x.txt"
    atomic_write_bytes(path, b"old")

    with pytest.raises(TypeError):
        atomic_write_bytes(path, object())  # type: ignore[arg-type]
    assert path.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["x.txt"]


def test_parser_knows_every_exercise():
    parser = build_parser()
    for name in EXERCISES:
        args = parser.parse_args(["run", name, "--quick", "--set", "seed=1"])
        assert args.exercise == name and args.quick and args.set == ["seed=1"]


def test_cli_rejects_malformed_set_before_work(capsys):
    assert main(["run", "plant", "--set", "gamma"]) == 2
    assert "key=value" in capsys.readouterr().out


def test_cli_run_writes_identical_numbers_for_the_same_seed(tmp_path, capsys):
    for folder in ("a", "b"):
        assert (
            main(["run", "plant", "--quick", "--seed", "4", "--out", str(tmp_path / folder)]) == 0
        )
    out = capsys.readouterr().out
    assert "plot:" in out and str(tmp_path / "a") in out
    files = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert {"config.json", "metrics.json", "run.json"} <= set(files)
    assert any(name.endswith(".png") for name in files)
    for name in files:
        if name.endswith((".csv", ".json")) and name != "run.json":
            assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    assert json.loads((tmp_path / "a" / "config.json").read_text())["seed"] == 4


@pytest.mark.parametrize("value", [2, 3, 5])
def test_check_int_accepts_the_closed_range(value):
    check_int("n", value, 2, 5)
    check_int("n", value, 2)


@pytest.mark.parametrize(
    ("value", "maximum", "message"),
    [
        (1, None, r"n must be an integer >= 2, got 1"),
        (6, 5, r"n must be an integer in \[2, 5\], got 6"),
        (True, None, r"n must be an integer >= 2, got True"),
        (3.0, None, r"n must be an integer >= 2, got 3.0"),
        (np.int64(3), None, r"got np.int64\(3\)"),
        ("3", None, r"got '3'"),
    ],
)
def test_check_int_rejects_naming_field_and_range(value, maximum, message):
    with pytest.raises(ValueError, match=message):
        check_int("n", value, 2, maximum)


def test_check_ints_reports_the_first_bad_field():
    values = dataclasses.make_dataclass("Counts", [("a", int), ("b", int)])(a=3, b=0)
    check_ints(values, {"a": 3, "b": 0})
    with pytest.raises(ValueError, match=r"b must be an integer >= 1, got 0"):
        check_ints(values, {"a": 3, "b": 1})


@pytest.mark.parametrize(
    ("value", "low_open", "high_open", "ok"),
    [
        (0.0, False, False, True),
        (1.0, False, False, True),
        (0.0, True, False, False),
        (1.0, False, True, False),
        (0.5, True, True, True),
        (1, True, True, False),
        (np.float32(0.25), True, True, True),
        (-1e-12, False, False, False),
        (1 + 1e-12, False, False, False),
    ],
)
def test_check_float_boundaries(value, low_open, high_open, ok):
    if ok:
        check_float("p", value, 0.0, 1.0, low_open=low_open, high_open=high_open)
        return
    left, right = "(" if low_open else "[", ")" if high_open else "]"
    with pytest.raises(ValueError, match=rf"p must be a finite number in \{left}0, 1\{right}"):
        check_float("p", value, 0.0, 1.0, low_open=low_open, high_open=high_open)


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, True, np.bool_(False), "0.5"])
def test_check_float_rejects_nan_inf_bool_and_text(value):
    with pytest.raises(ValueError, match="x must be a finite number, got"):
        check_float("x", value)


@pytest.mark.parametrize(
    ("low", "high", "low_open", "high_open", "good", "bad", "words"),
    [
        (0.0, math.inf, True, False, 1e-9, 0, "> 0"),
        (0.0, math.inf, False, False, 0, -1e-9, ">= 0"),
        (-math.inf, 2.5, False, True, -1e300, 2.5, "< 2.5"),
        (-math.inf, 2.5, False, False, 2.5, 2.6, "<= 2.5"),
        (0.05, 0.4, False, False, 0.05, 0.41, r"in \[0.05, 0.4\]"),
    ],
)
def test_check_float_states_one_sided_ranges(low, high, low_open, high_open, good, bad, words):
    check_float("x", good, low, high, low_open=low_open, high_open=high_open)
    with pytest.raises(ValueError, match=f"x must be a finite number {words}, got {bad}"):
        check_float("x", bad, low, high, low_open=low_open, high_open=high_open)
