"""The output folder: checked before any work, filled aside and renamed into place whole."""

import dataclasses
import datetime as dt
import importlib.metadata
import json
import os
import shutil
import subprocess
import threading
from pathlib import Path

import numpy as np
import pytest

from labcoat.exercises import Exercise, Result, Table, cli
from labcoat.exercises import _output as output
from labcoat.exercises._framework import check_ints
from labcoat.exercises._output import OutputConflict, git_commit
from labcoat.exercises.cli import main, run_one

REPO = Path(cli.__file__).resolve().parents[1]
FILES = ["config.json", "curve.csv", "metrics.json", "run.json", "summary.csv"]


@dataclasses.dataclass(frozen=True)
class Tiny:
    seed: int = 0
    """The seed, written into every file so that a file shows which run wrote it."""

    def __post_init__(self):
        check_ints(self, {"seed": 0})


def tiny_result(config: Tiny) -> Result:
    return Result(
        tables={"summary": Table("Summary", ["seed"], [[config.seed]])},
        data={"curve": {"x": np.arange(3) + config.seed}},
        metrics={"seed": config.seed},
    )


@pytest.fixture
def hooks(monkeypatch, tmp_path):
    """Every exercise name runs the tiny exercise through ``hooks["run"]``; cwd is tmp_path."""
    table = {"run": tiny_result}
    tiny = Exercise("tiny", "A test exercise.", Tiny, lambda config: table["run"](config))
    monkeypatch.setattr(cli, "get_exercise", lambda name: tiny)
    monkeypatch.chdir(tmp_path)
    return table


def never(config):
    raise AssertionError("the exercise must not run")


def tree(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def seeds_in(folder: Path) -> set[int]:
    """The seed each file of a run folder was written by (one element for a whole run)."""
    csv = (folder / "curve.csv").read_text().splitlines()
    return {
        json.loads((folder / "config.json").read_text())["seed"],
        json.loads((folder / "metrics.json").read_text())["seed"],
        int((folder / "summary.csv").read_text().splitlines()[1]),
        int(csv[1]),
    }


def one_line_error(capsys, pattern: str) -> None:
    captured = capsys.readouterr()
    assert captured.err.count("\n") == 1 and captured.err.startswith("labcoat: error: --out")
    assert pattern in captured.err
    assert "Traceback" not in captured.err + captured.out


@pytest.mark.parametrize(
    ("out", "pattern"),
    [
        ("", "must be a folder path, got an empty string"),
        ("   ", "must be a folder path, got an empty string"),
        ("a-file", "exists and is not a folder"),
        ("a-file/run", "which is a file"),
        ("a-file/deeper/run", "which is a file"),
        ("full", "is not empty"),
        (".", "holds the current folder"),
    ],
)
def test_a_bad_out_is_one_line_exit_2_before_any_work(hooks, tmp_path, capsys, out, pattern):
    hooks["run"] = never
    (tmp_path / "a-file").write_text("x")
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "other.csv").write_text("another run")
    before = tree(tmp_path)
    assert main(["run", "plant", "--out", out]) == 2
    one_line_error(capsys, pattern)
    assert tree(tmp_path) == before


def test_an_unwritable_parent_is_refused_before_any_work(hooks, tmp_path, capsys, monkeypatch):
    hooks["run"] = never
    monkeypatch.setattr(output.os, "access", lambda path, mode: Path(path) != tmp_path / "ro")
    (tmp_path / "ro").mkdir()
    assert main(["run", "plant", "--out", "ro/new/run"]) == 2
    one_line_error(capsys, f"{tmp_path / 'ro'} is not writable")
    assert tree(tmp_path) == ["ro"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes in read-only folders")
def test_a_read_only_parent_is_refused(hooks, tmp_path, capsys):
    hooks["run"] = never
    (tmp_path / "ro").mkdir(mode=0o555)
    try:
        assert main(["run", "plant", "--out", "ro/run"]) == 2
    finally:
        (tmp_path / "ro").chmod(0o755)
    one_line_error(capsys, "is not writable")


def test_a_run_appears_whole_with_no_temporary_folder_left(hooks, tmp_path, capsys):
    (tmp_path / "empty").mkdir()  # an existing empty folder is taken without --force
    assert main(["run", "plant", "--seed", "3", "--out", "runs/deep/a"]) == 0
    assert main(["run", "plant", "--seed", "4", "--out", "empty"]) == 0
    assert os.listdir(tmp_path / "runs" / "deep") == ["a"]
    assert tree(tmp_path / "runs" / "deep" / "a") == FILES
    assert seeds_in(tmp_path / "runs/deep/a") == {3}
    assert seeds_in(tmp_path / "empty") == {4}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty", "runs"]
    out = capsys.readouterr().out
    assert "5 files in" in out and str(Path("runs/deep/a")) in out


def test_force_replaces_a_non_empty_out_whole(hooks, tmp_path):
    stale = tmp_path / "out" / "stale"
    stale.mkdir(parents=True)
    (stale / "old.csv").write_text("another run")
    assert main(["run", "plant", "--seed", "5", "--out", "out", "--force"]) == 0
    assert tree(tmp_path / "out") == FILES
    assert seeds_in(tmp_path / "out") == {5}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # the old folder is deleted


def interrupt(*args, **kwargs):
    raise KeyboardInterrupt


@pytest.mark.parametrize("where", ["run", "write"])
@pytest.mark.parametrize("existing", [False, True])
def test_ctrl_c_prints_one_line_exits_130_and_leaves_nothing(
    hooks, tmp_path, capsys, monkeypatch, where, existing
):
    if where == "run":
        hooks["run"] = interrupt
    else:
        real = cli.write_result

        def write_then_interrupt(result, folder, config):
            real(result, folder, config)  # files are on disk in the temporary folder
            assert any(folder.iterdir())
            raise KeyboardInterrupt

        monkeypatch.setattr(cli, "write_result", write_then_interrupt)
    if existing:
        (tmp_path / "out").mkdir()
        (tmp_path / "out" / "keep.csv").write_text("the previous run")
    before = tree(tmp_path)
    args = ["run", "plant", "--out", "out"] + (["--force"] if existing else [])
    assert main(args) == 130
    captured = capsys.readouterr()
    assert captured.err == "interrupted; nothing written to out\n"
    assert tree(tmp_path) == before  # no temporary folder, the old one untouched


@pytest.mark.parametrize("force", [False, True])
def test_two_racing_runs_never_mix_their_files(hooks, tmp_path, force):
    both_ran = threading.Barrier(2, timeout=30)

    def meet_then_result(config):
        both_ran.wait()  # both runs checked --out (still absent) before either publishes
        return tiny_result(config)

    hooks["run"] = meet_then_result
    outcomes: dict[int, object] = {}

    def race(seed: int) -> None:
        try:
            outcomes[seed] = run_one(
                "plant", seed=seed, out="out", quick=False, sets=(), force=force, command=["x"]
            )[1]
        except OutputConflict as error:
            outcomes[seed] = error

    threads = [threading.Thread(target=race, args=(seed,)) for seed in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert set(outcomes) == {1, 2}
    assert tree(tmp_path / "out") == FILES
    (winner,) = seeds_in(tmp_path / "out")
    conflicts = [v for v in outcomes.values() if isinstance(v, OutputConflict)]
    if not force:
        assert len(conflicts) == 1 and isinstance(outcomes[winner], Path)
    for error in conflicts:  # the loser's complete files are kept and named
        kept = Path(str(error).rsplit(" ", 1)[1])
        assert seeds_in(kept) == {3 - winner}
        shutil.rmtree(kept)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no temporary or old folder


def test_force_keeps_the_old_folder_when_the_new_one_cannot_move_in(hooks, tmp_path, monkeypatch):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "keep.csv").write_text("the previous run")
    real = os.rename

    def interrupted_rename(source, target):
        if str(source).endswith(".partial"):  # the last step: the new folder moves in
            raise KeyboardInterrupt
        real(source, target)

    monkeypatch.setattr(output.os, "rename", interrupted_rename)
    assert main(["run", "plant", "--out", "out", "--force"]) == 130
    assert tree(tmp_path) == ["out", "out/keep.csv"]  # put back; no temporary folder left


def test_ctrl_c_after_the_new_folder_is_in_place_says_so(hooks, tmp_path, capsys, monkeypatch):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "stale.csv").write_text("the previous run")
    real = shutil.rmtree

    def interrupted_rmtree(path, **kwargs):
        if str(path).endswith(".old"):  # deleting the replaced folder, after the move
            raise KeyboardInterrupt
        real(path, **kwargs)

    monkeypatch.setattr(output.shutil, "rmtree", interrupted_rmtree)
    assert main(["run", "plant", "--seed", "6", "--out", "out", "--force"]) == 130
    assert capsys.readouterr().err == "interrupted; the run's files are complete in out\n"
    assert seeds_in(tmp_path / "out") == {6}


def test_a_conflict_is_one_line_exit_1(hooks, tmp_path, capsys):
    def filled_meanwhile(config):
        (tmp_path / "out").mkdir()
        (tmp_path / "out" / "theirs.csv").write_text("another run")
        return tiny_result(config)

    hooks["run"] = filled_meanwhile
    assert main(["run", "plant", "--out", "out"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "filled by another run meanwhile" in err
    assert tree(tmp_path / "out") == ["theirs.csv"]


def test_run_json_records_versions_commit_command_date_and_time(hooks, tmp_path):
    before = dt.datetime.now(dt.UTC).replace(microsecond=0)
    argv = ["run", "plant", "--seed", "2", "--out", "out"]
    assert main(argv) == 0
    after = dt.datetime.now(dt.UTC)
    info = json.loads((tmp_path / "out" / "run.json").read_text())
    assert info["exercise"] == "plant" and info["command"] == ["labcoat", *argv]
    assert info["labcoat"] == importlib.metadata.version("labcoat")
    assert info["versions"] == {
        "numpy": np.__version__,
        "torch": importlib.metadata.version("torch"),
        "gymnasium": importlib.metadata.version("gymnasium"),
        "stable-baselines3": importlib.metadata.version("stable-baselines3"),
    }
    started = dt.datetime.fromisoformat(info["started_utc"])
    assert started.utcoffset() == dt.timedelta(0) and before <= started <= after
    assert 0 <= info["wall_seconds"] <= (after - before).total_seconds() + 1
    assert info["git_commit"] == git_head(REPO)


def git_head(folder: Path) -> str | None:
    """The oracle: ``git rev-parse HEAD`` (None outside a checkout)."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    done = subprocess.run(
        ["git", "-C", str(folder), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=30
    )
    return done.stdout.strip() if done.returncode == 0 else None


def test_git_commit_matches_git_on_real_repositories(tmp_path):
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    assert git_commit(REPO) == git_head(REPO)
    quiet = {"capture_output": True, "check": True, "timeout": 30}
    repo = tmp_path / "repo"
    subprocess.run(["git", "init", "-q", str(repo)], **quiet)
    assert git_commit(repo) is None  # no commit yet
    ident = ["-c", "user.name=t", "-c", "user.email=t@t", "-C", str(repo)]
    for message in ("one", "two"):
        subprocess.run(["git", *ident, "commit", "-q", "--allow-empty", "-m", message], **quiet)
    assert git_commit(repo) == git_head(repo)
    subprocess.run(["git", "-C", str(repo), "pack-refs", "--all"], **quiet)  # packed-refs only
    assert git_commit(repo) == git_head(repo)
    worktree = tmp_path / "linked"
    subprocess.run(
        ["git", "-C", str(repo), "worktree", "add", "-q", "-b", "w", str(worktree)], **quiet
    )
    subprocess.run(
        ["git", *ident[:-1], str(worktree), "commit", "-q", "--allow-empty", "-m", "3"], **quiet
    )
    assert git_commit(worktree) == git_head(worktree) != git_commit(repo)
    subprocess.run(["git", "-C", str(repo), "checkout", "-q", "--detach", "HEAD~1"], **quiet)
    assert git_commit(repo) == git_head(repo)


def test_git_commit_fails_soft(tmp_path):
    assert git_commit(tmp_path) is None
    (tmp_path / ".git").write_text("gitdir: nowhere")
    assert git_commit(tmp_path) is None
    (tmp_path / ".git").unlink()
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "HEAD").write_text("not a ref\n")
    assert git_commit(tmp_path) is None


def test_the_tour_writes_one_folder_whole(hooks, tmp_path, monkeypatch, capsys):
    assert main(["tour", "--seed", "7", "--out", "tour"]) == 0
    assert sorted(p.name for p in (tmp_path / "tour").iterdir()) == ["bandits", "plant"]
    for name in ("bandits", "plant"):
        assert tree(tmp_path / "tour" / name) == FILES
        assert seeds_in(tmp_path / "tour" / name) == {7}
    hooks["run"] = never
    assert main(["tour", "--out", "tour"]) == 2
    one_line_error(capsys, "is not empty")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tour"]
