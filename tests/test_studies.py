"""Sweeps: planning, resume, failed trials, the local engines, compare and the command line."""

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest

from labcoat.exercises import Exercise, Result, Table, cli, stats, studies
from labcoat.exercises._framework import check_ints
from labcoat.exercises.cli import main


@dataclasses.dataclass(frozen=True)
class Tiny:
    seed: int = 0
    """The seed."""
    scale: int = 1
    """Multiplies the score."""

    def __post_init__(self):
        check_ints(self, {"seed": 0, "scale": 1})


def tiny_run(config: Tiny) -> Result:
    score = config.scale * np.random.default_rng(config.seed).normal()
    steps = np.arange(1, 6)
    return Result(
        tables={"summary": Table("Summary", ["seed"], [[config.seed]])},
        data={"curve": {"step": steps, "return": score * steps}},
        metrics={"score": float(score), "per_method": {"a": config.seed, "b": 2.0}},
    )


@pytest.fixture
def calls(monkeypatch, tmp_path):
    """Every exercise name runs Tiny in this process; the seeds it ran are listed."""
    ran = []
    behaviour = {"run": tiny_run}

    def run(config):
        ran.append(config.seed)
        return behaviour["run"](config)

    tiny = Exercise("tiny", "A test exercise.", Tiny, run)
    monkeypatch.setattr(cli, "get_exercise", lambda name: tiny)
    monkeypatch.chdir(tmp_path)
    return ran, behaviour


def test_parse_seeds_grid_and_random():
    assert studies.parse_seeds("0-3") == [0, 1, 2, 3]
    assert studies.parse_seeds("5, 1-2,2") == [5, 1, 2]
    assert studies.parse_grid(["a=1,2", "b = x"]) == {"a": ["1", "2"], "b": ["x"]}
    ranges = studies.parse_random(["lr=0.1:0.5:3", "n=1:4:2"])
    assert ranges == {"lr": (0.1, 0.5, 3), "n": (1.0, 4.0, 2)}
    drawn = studies.random_values(ranges, seed=0)
    assert drawn == studies.random_values(ranges, seed=0)
    assert all(0.1 <= float(v) <= 0.5 for v in drawn["lr"]) and len(drawn["lr"]) == 3
    assert all(v in {"1", "2", "3", "4"} for v in drawn["n"])


@pytest.mark.parametrize(
    ("parse", "text", "name"),
    [
        (studies.parse_seeds, "3-1", "--seeds"),
        (studies.parse_seeds, "a", "--seeds"),
        (studies.parse_seeds, "-1", "--seeds"),
        (studies.parse_grid, ["a"], "--grid"),
        (studies.parse_grid, ["a=1,"], "--grid"),
        (studies.parse_grid, ["a=1", "a=2"], "--grid"),
        (studies.parse_random, ["a=1:0:3"], "--random"),
        (studies.parse_random, ["a=0:1:0"], "--random"),
        (studies.parse_random, ["a=0:1"], "--random"),
        (studies.parse_random, ["a=nan:1:2"], "--random"),
    ],
)
def test_bad_options_name_the_option(parse, text, name):
    with pytest.raises(ValueError, match=name):
        parse(text)


def test_plan_checks_every_setting_before_any_work(calls):
    ran, _ = calls
    trials = studies.plan("kmeans", [0, 1], {"scale": [1, 2]})
    assert [t.folder for t in trials] == [
        "scale=1/seed-0",
        "scale=1/seed-1",
        "scale=2/seed-0",
        "scale=2/seed-1",
    ]
    with pytest.raises(ValueError, match="scale"):
        studies.sweep("kmeans", [0, 1], {"scale": [1, 0]}, out="sweep", jobs=1)
    with pytest.raises(TypeError, match="jobs"):
        studies.sweep("kmeans", [0], out="sweep", jobs=1.5)
    with pytest.raises(ValueError, match="engine"):
        studies.sweep("kmeans", [0], out="sweep", engine="slurm")
    with pytest.raises(ValueError, match="exercise"):
        studies.plan("nope", [0])
    assert ran == [] and not Path("sweep").exists()


def test_resume_skips_finished_trials(calls):
    ran, _ = calls
    first = studies.sweep("kmeans", [0, 1, 2], out="sweep", jobs=1)
    assert sorted(t.seed for t in first.finished) == [0, 1, 2] and ran == [0, 1, 2]
    kept = Path("sweep/default/seed-0/run.json").read_bytes()
    for name in Path("sweep/default/seed-1").iterdir():
        name.unlink()
    Path("sweep/default/seed-1").rmdir()  # as if the sweep had stopped before seed 1
    ran.clear()
    again = studies.sweep("kmeans", [0, 1, 2, 3], out="sweep", jobs=1)
    assert sorted(ran) == [1, 3]
    assert sorted(t.seed for t in again.skipped) == [0, 2]
    assert Path("sweep/default/seed-0/run.json").read_bytes() == kept
    index = json.loads(Path("sweep/sweep.json").read_text())
    assert [t["status"] for t in index["trials"]] == ["finished"] * 4


def test_a_failing_trial_is_recorded_and_the_others_finish(calls):
    ran, behaviour = calls

    def fail_on_seed_1(config):
        if config.seed == 1:
            raise RuntimeError("diverged at seed 1")
        return tiny_run(config)

    behaviour["run"] = fail_on_seed_1
    report = studies.sweep("kmeans", [0, 1, 2], out="sweep", jobs=1)
    assert sorted(t.seed for t in report.finished) == [0, 2]
    assert [t.seed for t in report.failed] == [1]
    failed = json.loads(Path("sweep/default/seed-1.failed.json").read_text())
    assert "RuntimeError: diverged at seed 1" in failed["error"]
    assert not Path("sweep/default/seed-1").exists()
    index = json.loads(Path("sweep/sweep.json").read_text())
    assert [t["status"] for t in index["trials"]] == ["finished", "failed", "finished"]
    behaviour["run"] = tiny_run  # fixed: the next start runs the failed trial only
    ran.clear()
    studies.sweep("kmeans", [0, 1, 2], out="sweep", jobs=1)
    assert ran == [1]
    assert not Path("sweep/default/seed-1.failed.json").exists()
    assert Path("sweep/default/seed-1/metrics.json").is_file()


def test_a_trial_folder_holds_what_labcoat_run_writes(calls):
    studies.sweep("kmeans", [4], {"scale": [3]}, out="sweep", jobs=1)
    main(["run", "kmeans", "--seed", "4", "--set", "scale=3", "--out", "single"])
    trial = Path("sweep/scale=3/seed-4")
    assert sorted(p.name for p in trial.iterdir()) == sorted(
        p.name for p in Path("single").iterdir()
    )
    for name in ("metrics.json", "config.json", "curve.csv", "summary.csv"):
        assert (trial / name).read_bytes() == (Path("single") / name).read_bytes()
    run = json.loads((trial / "run.json").read_text())
    assert run["command"] == ["labcoat", "run", "kmeans", "--seed", "4", "--set", "scale=3"]


def test_compare_reports_every_metric_over_seeds(calls, capsys):
    studies.sweep("kmeans", [0, 1, 2, 3], {"scale": [1, 2]}, out="sweep", jobs=1)
    result = studies.compare(["sweep"])
    rows = {(r[0], r[1]): r for r in result.tables["summary"].rows}
    assert {m for m, _ in rows} == {"score", "per_method/a", "per_method/b"}
    scores = [2 * np.random.default_rng(s).normal() for s in range(4)]
    expected = stats.interval(scores, stats.iqm)
    row = rows[("score", "scale=2")]
    assert row[2] == 4
    iqm_at = studies.SUMMARY_COLUMNS.index("IQM")
    assert row[iqm_at : iqm_at + 3] == pytest.approx(
        [expected.estimate, expected.low, expected.high]
    )
    assert rows[("per_method/a", "scale=1")][3] == pytest.approx(1.5)  # mean of seeds 0..3
    assert set(result.figures) == {"intervals", "profiles", "curves_curve"}
    assert main(["compare", "sweep", "--metric", "score", "--out", "report"]) == 0
    assert "scale=2" in capsys.readouterr().out
    written = {p.name for p in Path("report").iterdir()}
    assert {"summary.csv", "intervals.png", "profiles.png", "curves_curve.png"} <= written
    assert "per_method" not in Path("report/summary.csv").read_text()


def test_compare_refuses_a_folder_without_trials(tmp_path):
    with pytest.raises(ValueError, match="no finished trial"):
        studies.compare([tmp_path])


def test_cli_sweep_errors_are_one_line(calls, capsys, monkeypatch):
    assert main(["sweep", "kmeans", "--seeds", "2-1", "--out", "s"]) == 2
    assert capsys.readouterr().err.strip().startswith("labcoat: error: --seeds")
    monkeypatch.setitem(__import__("sys").modules, "ray", None)  # as if Ray were not installed
    assert main(["sweep", "kmeans", "--seeds", "0", "--engine", "ray", "--out", "s"]) == 2
    err = capsys.readouterr().err
    assert "pip install 'labcoat[ray]'" in err and err.count("\n") == 1
    assert calls[0] == [] and not Path("s/default").exists()


def test_cli_sweep_summarizes_and_fails_with_failed_trials(calls, capsys):
    assert main(["sweep", "kmeans", "--seeds", "0-1", "--jobs", "1", "--out", "s"]) == 0
    assert "2 trials run, 0 finished before, 0 failed" in capsys.readouterr().out
    calls[1]["run"] = lambda config: 1 / 0
    assert main(["sweep", "kmeans", "--seeds", "0-2", "--jobs", "1", "--out", "s"]) == 1
    captured = capsys.readouterr()
    assert "0 trials run, 2 finished before, 1 failed" in captured.out
    assert "ZeroDivisionError" in captured.err


def test_process_pool_gives_the_same_files_as_one_process(tmp_path):
    sets = {"n_seeds": [2], "max_k": [3], "n_init": [1]}
    one = studies.sweep("kmeans", [0, 1, 2, 3], sets, out=tmp_path / "one", jobs=1)
    pool = studies.sweep("kmeans", [0, 1, 2, 3], sets, out=tmp_path / "pool", jobs=2)
    assert len(one.finished) == len(pool.finished) == 4
    for trial in one.trials:
        for name in ("metrics.json", "loss_versus_k.csv", "config.json"):
            a = (tmp_path / "one" / trial.folder / name).read_bytes()
            assert a == (tmp_path / "pool" / trial.folder / name).read_bytes()


def test_an_engine_error_becomes_the_trials_failure():
    """A worker that dies (BrokenProcessPool, Ray's WorkerCrashedError) fails its trial only."""
    trial = studies.Trial("kmeans", 3)

    def crashed():
        raise RuntimeError("worker died")

    outcome = studies._collect(trial, crashed)
    assert outcome.trial == trial and outcome.files is None
    assert "RuntimeError: worker died" in outcome.error
    fine = studies.Outcome(trial, {"metrics.json": b"{}"}, None, 1.0)
    assert studies._collect(trial, lambda: fine) is fine
