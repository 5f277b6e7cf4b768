"""The reaction exercise in quick mode: numbers against references, determinism, config checks."""

import dataclasses

import numpy as np
import pytest

from labcoat.agents.experiment import held_out_landscape_seeds
from labcoat.envs.reaction import HIGH, LOW, ReactionLandscape, find_optimum
from labcoat.exercises import reaction
from labcoat.exercises.reaction import EXERCISE, Config, run

QUICK = dataclasses.replace(Config(), **EXERCISE.quick)
LEARNED = "learned optimizer (absolute)"
NO_NEW_AGENTS = {"optimizer_iterations": 0, "memory_ppo_timesteps": 0}


@pytest.fixture(scope="module")
def quick_result():
    return run(QUICK)


def test_nelder_mead_beats_random_search_on_average(quick_result):
    final = quick_result.metrics["final_best_yield"]
    assert set(final) == set(reaction.METHODS)
    assert final["Nelder-Mead"] > final["random search"] + 0.05


def test_best_found_never_exceeds_the_optimum_and_curves_are_monotone(quick_result):
    metrics = quick_result.metrics
    assert 0.0 < metrics["best_over_optimum_max"] <= 1.0 + 1e-12
    curves = quick_result.data["curves"]
    assert len(curves["experiment"]) == QUICK.budget
    for method in reaction.METHODS:
        mean = np.asarray(curves[f"{method} mean"])
        assert np.all(np.diff(mean) >= -1e-15)
        assert np.all(mean <= metrics["optimum_yield_mean"] + 1e-12)
    assert quick_result.tables["summary"].rows[0][0] == "random search"


def test_optima_are_the_landscapes_maxima(quick_result):
    seeds = held_out_landscape_seeds(
        np.random.SeedSequence(QUICK.seed).spawn(3)[0], QUICK.n_landscapes
    )
    for seed, optimum in zip(seeds, quick_result.metrics["optimum_yield"], strict=True):
        landscape = ReactionLandscape.sample(np.random.default_rng(int(seed)))
        axes = [np.linspace(lo, hi, 41) for lo, hi in zip(LOW, HIGH, strict=True)]
        dense = landscape.yield_at(*np.meshgrid(*axes, indexing="ij")).max()
        assert dense - 1e-12 <= optimum == pytest.approx(find_optimum(landscape)[1], abs=1e-12)


def test_grid_search_finds_the_best_true_yield_among_the_grid_centres():
    config = dataclasses.replace(
        QUICK, n_landscapes=3, budget=8, ppo_timesteps=0, sarsa_timesteps=0, **NO_NEW_AGENTS
    )
    result = run(config)
    seeds = held_out_landscape_seeds(np.random.SeedSequence(config.seed).spawn(3)[0], 3)
    centres = LOW + np.array([0.25, 0.75])[:, None] * (HIGH - LOW)
    grid = np.stack(np.meshgrid(*centres.T, indexing="ij"), -1).reshape(-1, 3)
    expected = [
        ReactionLandscape.sample(np.random.default_rng(int(s))).yield_at(*grid.T).max()
        for s in seeds
    ]
    assert result.metrics["final_best_yield"]["grid search"] == pytest.approx(
        np.mean(expected), rel=1e-12
    )
    assert "PPO (SB3)" not in result.metrics["final_best_yield"]


def test_same_seed_same_numbers():
    config = dataclasses.replace(
        QUICK,
        n_landscapes=2,
        budget=8,
        bo_candidates=50,
        ppo_timesteps=64,
        sarsa_timesteps=100,
        optimizer_iterations=3,
        memory_ppo_timesteps=64,
    )
    a, b = run(config), run(config)
    a.metrics.pop("timing"), b.metrics.pop("timing")  # wall-clock seconds
    assert a.metrics == b.metrics
    c = run(
        dataclasses.replace(config, seed=1, ppo_timesteps=0, sarsa_timesteps=0, **NO_NEW_AGENTS)
    )
    assert c.metrics["optimum_yield"] != a.metrics["optimum_yield"]


@pytest.mark.parametrize(
    ("field", "value"),
    [("n_landscapes", 0), ("budget", 1), ("noise", -1.0), ("step_size", 0.0), ("seed", -1)],
)
def test_bad_config_raises_naming_the_field(field, value):
    with pytest.raises(ValueError, match=field):
        Config(**{field: value})


def test_agents_are_reported_over_training_seeds(quick_result):
    """3 quick training seeds per agent: IQM of the per-seed fractions of the optimum (with 3
    seeds none is cut, so it is their mean: the pooled mean over seeds and landscapes)."""
    block = quick_result.metrics["fraction_of_optimum_over_seeds"]
    assert block["training_seeds"] == QUICK.training_seeds == 3
    assert set(block["iqm"]) == set(reaction.AGENTS)
    for name, iqm in block["iqm"].items():
        assert iqm == pytest.approx(quick_result.metrics["final_fraction_of_optimum"][name])
        assert block["ci95_low"][name] <= iqm <= block["ci95_high"][name]
    assert block["ci95_low"]["semi-gradient Sarsa"] < block["ci95_high"]["semi-gradient Sarsa"]
    row = quick_result.tables["summary"].rows[0]
    assert row[0] == "random search" and row[3] == "no training"
    left = quick_result.figures["best_yield"].axes[0]
    labels = left.get_legend_handles_labels()[1]
    assert "PPO (SB3): 256 steps x 3 seeds" in labels
    assert "semi-gradient Sarsa: 1,000 steps x 3 seeds" in labels
    assert left.get_title().endswith("(quick)")


def test_training_seeds_are_independent_runs():
    config = dataclasses.replace(
        QUICK,
        n_landscapes=2,
        budget=6,
        bo_candidates=20,
        ppo_timesteps=0,
        sarsa_timesteps=0,
        memory_ppo_timesteps=0,
        optimizer_iterations=2,
        optimizer_batch=4,
    )
    one = run(dataclasses.replace(config, training_seeds=1))
    two = run(dataclasses.replace(config, training_seeds=2))
    first = one.metrics["fraction_of_optimum_over_seeds"]["iqm"][LEARNED]
    both = two.metrics["fraction_of_optimum_over_seeds"]["iqm"][LEARNED]
    assert np.isnan(one.metrics["fraction_of_optimum_over_seeds"]["ci95_low"][LEARNED])
    assert both != pytest.approx(first, abs=1e-9)  # the second seed trains a different agent
    assert one.metrics["final_best_yield"]["Nelder-Mead"] == pytest.approx(
        two.metrics["final_best_yield"]["Nelder-Mead"]
    )
    with pytest.raises(ValueError, match="training_seeds"):
        dataclasses.replace(config, training_seeds=0)
