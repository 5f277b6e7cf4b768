"""The exercise protocol: --set parsing, atomic writing, the command line."""

import dataclasses
import json
import math
import os
import re
from typing import Literal

import numpy as np
import pytest
from matplotlib.figure import Figure

from labcoat.exercises import EXERCISES, Exercise, Result, Table, apply_overrides, cli, write_result
from labcoat.exercises._framework import atomic_write_bytes, check_floats, check_ints
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
    written = write_result(result, tmp_path, Config())
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
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "key=value" in err


@dataclasses.dataclass(frozen=True)
class Sized:
    size: int | str = 3
    """A number of items, or "auto"."""
    seed: int = 0
    """The seed."""

    def __post_init__(self):
        if self.size != "auto":
            check_ints(self, {"size": 1})
        check_ints(self, {"seed": 0})


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("size=many", r"size must be an integer >= 1, got 'many'"),  # the config's TypeError
        ("size=0", r"size must be an integer >= 1, got 0"),  # its ValueError
        ("seed=-1", r"seed must be an integer >= 0, got -1"),
        ("seed=1.5", r"--set seed: expected int, got '1.5'"),  # refused by the parser
    ],
)
def test_cli_set_errors_of_both_kinds_are_one_line_exit_2(monkeypatch, capsys, setting, message):
    def never_run(config):
        raise AssertionError("the exercise must not run")

    sized = Exercise("sized", "A test exercise.", Sized, never_run)
    monkeypatch.setattr(cli, "get_exercise", lambda name: sized)
    assert main(["run", "plant", "--set", setting]) == 2
    captured = capsys.readouterr()
    assert re.fullmatch(rf"labcoat: error: .*{message}.*\n", captured.err)
    assert "Traceback" not in captured.err + captured.out


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


def test_check_ints_reports_the_first_bad_field_with_the_uniform_rule():
    counts = dataclasses.make_dataclass("Counts", [("a", int), ("b", object)])
    check_ints(counts(a=3, b=np.int64(0)), {"a": 3, "b": 0})
    with pytest.raises(ValueError, match=r"b must be an integer >= 1, got 0"):
        check_ints(counts(a=3, b=0), {"a": 3, "b": 1})
    for wrong_type in (2.0, "2", True, None):
        with pytest.raises(TypeError, match=r"b must be an integer >= 1, got"):
            check_ints(counts(a=3, b=wrong_type), {"a": 3, "b": 1})


def test_check_floats_checks_type_length_and_every_entry():
    check_floats("p", (0.0, np.float32(0.5), 1), 0.0, 1.0, min_length=2, max_length=3)
    words = r"p must be a tuple of at least 2 and at most 3 finite numbers in \[0, 1\], got"
    for wrong_type in ([0.5, 0.5], "0.5", 0.5, None):
        with pytest.raises(TypeError, match=words):
            check_floats("p", wrong_type, 0.0, 1.0, min_length=2, max_length=3)
    for wrong_length in ((0.5,), (0.5,) * 4):
        with pytest.raises(ValueError, match=words):
            check_floats("p", wrong_length, 0.0, 1.0, min_length=2, max_length=3)
    with pytest.raises(ValueError, match=r"p must be a finite number in \[0, 1\], got nan"):
        check_floats("p", (0.5, math.nan), 0.0, 1.0, min_length=2)
    with pytest.raises(TypeError, match=r"p must be a finite number in \[0, 1\], got '1'"):
        check_floats("p", (0.5, "1"), 0.0, 1.0, min_length=2)
