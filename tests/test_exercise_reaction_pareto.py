"""The reaction-pareto exercise in quick mode: hypervolumes against the exact front, determinism."""

import dataclasses

import pytest

from labcoat.envs.reaction import ReactionOptimizationEnv, objectives, pareto_front
from labcoat.exercises.reaction_pareto import EXERCISE, METHODS, Config, campaign_points, run

QUICK = dataclasses.replace(Config(), **EXERCISE.quick)


@pytest.fixture(scope="module")
def quick_result():
    return run(QUICK)


def test_relative_hypervolumes_lie_in_0_1_and_the_exact_front_dominates(quick_result):
    per_landscape = quick_result.metrics["relative_hypervolume_per_landscape"]
    assert set(per_landscape) == set(METHODS)
    for ratios in per_landscape.values():
        # the exact front (sampled at QUICK.levels costs) misses at most its gap: 2 % slack
        assert all(0.0 < r <= 1.02 for r in ratios)
    summary = quick_result.metrics["relative_hypervolume"]
    for interval in summary.values():
        assert interval["low"] <= interval["mean"] <= interval["high"]


def test_no_experiment_beats_the_exact_front():
    """Every experiment's true (yield, cost) is dominated by the front one cost level on."""
    env = ReactionOptimizationEnv(landscape_seed=9, noise=QUICK.noise)
    front = pareto_front(env.landscape, levels=QUICK.levels)
    spacing = front.costs[-1] / (QUICK.levels - 1)
    for m, method in enumerate(METHODS):
        chosen = campaign_points(QUICK, method, env, 123, [0, m])
        assert chosen.shape == (QUICK.budget, 3)
        y, _, cost = objectives(env.landscape, *chosen.T)
        for yield_, c in zip(y, cost, strict=True):
            assert front.yields[front.costs <= c + spacing + 1e-12].max() >= yield_ - 1e-9


def test_weighted_nelder_mead_uses_each_weight_for_its_share():
    config = dataclasses.replace(QUICK, weights=(0.0, 5.0), budget=12)
    env = ReactionOptimizationEnv(landscape_seed=9, noise=0.0)
    chosen = campaign_points(config, "Nelder-Mead (weighted)", env, 1, [0])
    _, _, cost = objectives(env.landscape, *chosen.T)
    # a heavy cost weight drives the second half to cheaper conditions than the first
    assert cost[6:].min() < cost[:6].min()


def test_same_seed_same_numbers(quick_result):
    again = run(QUICK)
    assert again.metrics == quick_result.metrics


@pytest.mark.parametrize(
    ("field", "value"),
    [("weights", ()), ("weights", (-1.0,)), ("budget", 1), ("levels", 1), ("noise", -0.1)],
)
def test_bad_config_is_refused(field, value):
    with pytest.raises(ValueError, match=field):
        Config(**{field: value})
