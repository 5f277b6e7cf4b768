"""The front door: per-exercise help, readable tables, the notebook path, the files listed."""

import json
import re

import numpy as np
import pytest
import rich.console
from matplotlib.figure import Figure
from rich.console import Console

from labcoat.exercises import EXERCISES, Exercise, Result, Table, cli, get_exercise, write_result
from labcoat.exercises import _framework as framework
from labcoat.exercises._framework import check_ints, config_fields, mark_quick, progress_shown
from labcoat.exercises._help import allowed, describe, field_docs
from labcoat.exercises._tables import rich_tables
from labcoat.exercises.cli import main

# ---------------------------------------------------------------- per-exercise help


def test_run_name_help_lists_every_field_with_default_range_quick_and_meaning(capsys):
    assert main(["run", "plant", "--help"]) == 0
    out = capsys.readouterr().out
    plant = get_exercise("plant")
    for key in config_fields(plant.config()):
        assert re.search(rf"^  {re.escape(key)} = ", out, flags=re.M), key
    assert "p(stay high | high, on): a transition probability, not a" in out
    assert "an integer >= 100" in out  # steps, quoted from the config's own check
    assert "a finite number in [0, 1]" in out  # alpha, quoted from the environment's check
    assert "steps = 200000  (int)  --quick: 20000" in out
    assert "  td_learning_rates" not in out
    for group in ("environment settings", "agent settings", "study settings"):
        assert group in out
    assert out.index("environment settings") < out.index("agent settings")


def test_run_help_without_a_name_differs_from_an_exercises_help(capsys):
    assert main(["run", "--help"]) == 0
    bare = capsys.readouterr().out
    assert main(["run", "bandits", "--help"]) == 0
    bandits = capsys.readouterr().out
    assert "ucb_c" in bandits and "ucb_c" not in bare
    assert main(["show", "bandits"]) == 0
    assert "ucb_c" in capsys.readouterr().out


@pytest.mark.parametrize("name", sorted(EXERCISES))
def test_every_field_of_every_exercise_has_a_meaning_and_a_type(name):
    exercise = get_exercise(name)
    rows = describe(exercise)
    keys = set(config_fields(exercise.config()))
    assert {r.key for r in rows} == keys
    grouped = [key for names in exercise.groups.values() for key in names]
    assert set(grouped) <= keys and len(grouped) == len(set(grouped)), "a group names a non-field"
    for row in rows:
        assert row.doc and row.type, f"{name}.{row.key} has no docstring or type"


def test_allowed_quotes_the_configs_refusal():
    config = get_exercise("plant").config()
    assert allowed(config, "gamma", float) == "a finite number in [0, 1)"
    assert allowed(config, "seed", int) == "an integer >= 0"


def test_field_docs_reads_the_docstring_under_each_field():
    docs = field_docs(get_exercise("bandits").config_class)
    assert docs["k"] == "Number of arms."
    assert "seed" in docs and "study_step" in docs


def test_version_and_bare_command(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["--version"])
    assert stop.value.code == 0
    assert re.match(r"labcoat \S+", capsys.readouterr().out)
    assert main([]) == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: labcoat") and "run" in out and "show" in out


@pytest.mark.parametrize(
    ("argv", "hint"),
    [
        (["run", "plantt"], "did you mean 'plant'?"),
        (["show", "randomwalk"], "did you mean 'random-walk'?"),
        (["run", "plant", "--set", "gama=0.5"], "did you mean 'gamma'?"),
        (["run", "bandits", "--set", "ucb=1"], "did you mean 'ucb_c'?"),
    ],
)
def test_unknown_names_get_did_you_mean(capsys, argv, hint):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and hint in err


def test_an_integral_float_sets_an_integer_field():
    plant = get_exercise("plant")
    assert plant.config({"steps": "1e5"}).steps == 100_000
    assert isinstance(plant.config({"steps": "2e4"}).steps, int)
    assert plant.config(steps=3e4).steps == 30_000
    with pytest.raises(ValueError, match="expected int"):
        plant.config({"steps": "1000.5"})
    with pytest.raises(TypeError, match="steps must be an integer >= 100"):
        plant.config(steps=150.5)


# ---------------------------------------------------------------- tables


def render(tables, width: int) -> str:
    console = Console(record=True, width=width)
    for table in tables:
        console.print(table)
    return console.export_text()


COLUMNS = ["method", "mean cumulative regret", "regret std error", "best arm share", "final"]
ROWS = [
    ["Thompson sampling (Beta prior)", 812.3456789, 12.3456, 0.93217, 1.23456e-5],
    ["epsilon-greedy (0.1)", 1823.2, 45.6, 0.81, 8123.4],
]


@pytest.mark.parametrize("width", [80, 120])
def test_table_headers_wrap_and_labels_and_numbers_stay_whole(width):
    text = render(rich_tables("Treatment regret", COLUMNS, ROWS, width), width)
    assert "…" not in text
    for cell in ("Thompson sampling (Beta prior)", "epsilon-greedy (0.1)", "812.3", "1.235e-05"):
        assert cell in text
    assert "8123" in text and "1823" in text  # four significant digits, never "8…"
    assert all(len(line) <= width for line in text.splitlines())
    if width == 80:
        assert "mean cumulative regret" not in text  # the header wrapped...
        assert "cumulative" in text  # ...but was not cut


def test_a_table_too_wide_for_80_columns_becomes_two():
    columns = ["policy"] + [f"v(state {i})" for i in range(12)]
    rows = [["on / off", *(1000.0 + i / 7 for i in range(12))]]
    narrow = render(rich_tables("Values", columns, rows, 80), 80)
    assert "Values (1/2)" in narrow and "Values (2/2)" in narrow
    assert narrow.count("on / off") == 2  # the row label repeated in each part
    for i in range(12):
        assert f"{1000.0 + i / 7:.4g}" in narrow
    wide = render(rich_tables("Values", columns, rows, 200), 200)
    assert "(1/2)" not in wide and wide.count("on / off") == 1


def test_cli_prints_an_exercise_table_whole_at_80_columns(monkeypatch, capsys):
    monkeypatch.setattr(cli, "console", Console(width=80, record=True))
    cli._print_table("Cliff", COLUMNS, ROWS)
    text = cli.console.export_text()
    assert "Thompson sampling (Beta prior)" in text and "…" not in text


# ---------------------------------------------------------------- the notebook path


def test_config_takes_a_dict_or_keywords_with_the_checks_of_set():
    plant = get_exercise("plant")
    assert plant.config(gamma=0.8).gamma == pytest.approx(0.8)
    assert plant.config({"gamma": "0.8"}) == plant.config(gamma=0.8)
    quick = plant.config(quick=True)
    assert quick.steps == plant.quick["steps"] and quick.snapshots == plant.quick["snapshots"]
    assert plant.config({"steps": 30_000}, quick=True).steps == 30_000
    with pytest.raises(ValueError, match=r"gamma must be a finite number in \[0, 1\)"):
        plant.config(gamma=1.0)
    with pytest.raises(TypeError, match="seed must be an integer >= 0"):
        plant.config(seed=True)
    with pytest.raises(ValueError, match="did you mean 'gamma'"):
        plant.config({"gama": 0.5})


@pytest.fixture
def tiny():
    from dataclasses import dataclass

    @dataclass(frozen=True)
    class Tiny:
        seed: int = 0
        """The seed."""

        def __post_init__(self):
            check_ints(self, {"seed": 0})

    def run(config):
        figure = Figure()
        figure.add_subplot().plot([0, 1])
        figure.suptitle("Learning curves")
        return Result(
            tables={"summary": Table("Summary", ["seed"], [[config.seed]])},
            figures={"curve": figure},
            data={"curve": {"x": np.arange(3)}},
            metrics={"seed": config.seed},
        )

    return Exercise("tiny", "A test exercise.", Tiny, run, quick={"seed": 5})


def test_run_takes_a_config_a_dict_or_keywords_and_write_result_needs_only_a_folder(tiny, tmp_path):
    assert tiny.run({"seed": 3}).metrics == {"seed": 3}
    assert tiny.run(seed=4).metrics == {"seed": 4}
    result = tiny.run(tiny.config(quick=True))
    assert result.config == tiny.config_class(seed=5)
    written = write_result(result, tmp_path / "out")
    assert json.loads((tmp_path / "out" / "config.json").read_text()) == {"seed": 5}
    assert {p.name for p in written} == {
        "config.json",
        "metrics.json",
        "summary.csv",
        "curve.csv",
        "curve.png",
    }
    with pytest.raises(TypeError, match="config must be a tiny config"):
        tiny.run(object())  # type: ignore[arg-type]


def test_progress_bars_show_in_jupyter_and_not_in_a_pipe(monkeypatch):
    monkeypatch.setattr(framework, "_has_ipywidgets", lambda: True)
    monkeypatch.setattr(rich.console, "_is_jupyter", lambda: False)
    assert not progress_shown()  # pytest's stderr is not a terminal
    monkeypatch.setattr(rich.console, "_is_jupyter", lambda: True)
    assert progress_shown()
    monkeypatch.setattr(framework, "_has_ipywidgets", lambda: False)
    assert not progress_shown()  # rich would only warn "install ipywidgets"


def test_a_quick_runs_figures_say_quick(tiny):
    result = tiny.run()
    mark_quick(result)
    assert result.figures["curve"].get_suptitle() == "Learning curves (quick)"


def test_labcoat_run_lists_every_file_it_wrote(tiny, monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(cli, "get_exercise", lambda name: tiny)
    monkeypatch.chdir(tmp_path)
    assert main(["run", "plant", "--out", "out"]) == 0
    out = capsys.readouterr().out
    for name in ("config.json", "metrics.json", "run.json", "summary.csv", "curve.csv"):
        assert f"out/{name}" in out, name
    assert "plot: out/curve.png" in out


# ---------------------------------------------------------------- plots and tables


def test_plant_states_its_training_budget_and_names_every_column():
    result = get_exercise("plant").run(steps=2000, snapshots=10, seed=3)
    title = result.figures["values"].get_suptitle()
    assert "2,000 training steps per agent" in title and "training seed 3" in title
    for table in result.tables.values():
        assert all(str(column).strip() for column in table.columns), table.title


def test_random_walk_states_its_reward_convention():
    from labcoat.exercises import random_walk

    config = random_walk.Config(n_runs=2, n_episodes=10)
    curves = {"TD alpha=0.1": np.linspace(0.5, 0.1, 11)}
    snapshots = {"0": np.zeros(5)}
    v = np.linspace(-1, 1, 7)
    figure = random_walk.td_mc_figure(curves, snapshots, v, config)
    right = figure.axes[1].get_title()
    assert "-1 / +1" in right and "twice" in right and "10 episodes" in right


def test_brackets_in_cells_and_help_are_text_not_rich_markup(capsys):
    rows = [["tuple[float, ...]", 1.5], ["[bold]x[/bold]", 2.5]]
    text = render(rich_tables("Types [of] fields", ["type", "n"], rows, 80), 80)
    assert "tuple[float, ...]" in text and "[bold]x[/bold]" in text and "[of]" in text
    assert main(["show", "random-walk"]) == 0
    assert "td_learning_rates = 0.05,0.1,0.15  (tuple[float, ...])" in capsys.readouterr().out


# ---------------------------------------------------------------- the heater's environment


def test_every_heater_env_argument_is_a_setting_that_reaches_the_env(capsys):
    from labcoat.exercises import heater

    heater_exercise = get_exercise("heater")
    config = heater_exercise.config(
        {"heat_capacity": "80", "thermal_resistance": "1.5", "target_range": "35,60"},
        n_levels=5,
        time_step=10.0,
    )
    env = heater.make_env(config)
    assert env.heat_capacity == pytest.approx(80.0)
    assert env.thermal_resistance == pytest.approx(1.5)
    assert env.target_range == pytest.approx((35.0, 60.0))
    assert env.time_step == pytest.approx(10.0) and len(env.currents) == 5
    with pytest.raises(ValueError, match=r"n_levels must be an integer in \[2, 1000\]"):
        heater_exercise.config({"n_levels": "1e18"})  # refused before the env allocates it
    with pytest.raises(ValueError, match="heat_capacity must be a finite number > 0"):
        heater_exercise.config(heat_capacity=-1.0)
    with pytest.raises(ValueError, match="target_range"):
        heater_exercise.config(target_range=(10.0, 60.0))  # below the ambient 20 deg C
    assert heater_exercise.config(time_step=10.0, settle_time=1200.0).settle_time == 1200.0
    with pytest.raises(ValueError, match="settle_time"):
        heater_exercise.config(settle_time=1200.0)  # beyond 200 steps of 5 s
    assert main(["show", "heater"]) == 0
    out = capsys.readouterr().out
    environment = out.split("environment settings", 1)[1].split("study settings", 1)[0]
    for key in ("heat_capacity", "thermal_resistance", "target_range", "ambient_temperature"):
        assert f"  {key} = " in environment


@pytest.mark.parametrize(
    ("name", "env_class", "not_settings"),
    [
        ("plant", "PlantWateringEnv", {"render_mode"}),
        ("heater", "HeaterControlEnv", {"render_mode", "continuous"}),  # controllers: Discrete
    ],
)
def test_every_env_argument_is_a_setting(name, env_class, not_settings):
    import inspect

    import labcoat.envs

    parameters = inspect.signature(getattr(labcoat.envs, env_class)).parameters
    keys = {key.split(".")[-1] for key in config_fields(get_exercise(name).config())}
    assert set(parameters) - not_settings <= keys


def test_plant_passes_its_invalid_action_rule_to_the_env():
    from labcoat.exercises import plant

    config = get_exercise("plant").config({"invalid_action": "raise", "invalid_action_penalty": 2})
    env = plant.make_env(config).unwrapped
    assert env.invalid_action == "raise" and env.invalid_action_penalty == pytest.approx(2.0)
    with pytest.raises(ValueError, match="invalid_action_penalty must be a finite number > 0"):
        get_exercise("plant").config(invalid_action_penalty=0.0)
