"""The bandits and treatment exercises in quick mode: their numbers against published results."""

import dataclasses
import math

import numpy as np
import pytest
from scipy import stats

from labcoat.agents.bandits import lai_robbins_constant
from labcoat.exercises import bandits, treatment


@pytest.fixture(scope="module")
def testbed():
    config = dataclasses.replace(bandits.Config(), **bandits.EXERCISE.quick)
    return bandits.run(config)


@pytest.fixture(scope="module")
def doctor():
    config = dataclasses.replace(treatment.Config(), **treatment.EXERCISE.quick)
    return config, treatment.run(config)


def test_epsilon_greedy_beats_greedy_and_optimism_and_ucb_do_best(testbed):
    optimal = testbed.metrics["final_optimal_fraction"]
    reward = testbed.metrics["average_reward"]
    assert optimal["ε-greedy ε = 0.1"] > optimal["greedy"] + 0.2
    assert reward["ε-greedy ε = 0.1"] > reward["greedy"]
    # S&B Fig. 2.2: greedy locks in near 1/3 optimal action
    assert 0.25 < optimal["greedy"] < 0.5
    assert reward["UCB c = 2"] > reward["ε-greedy ε = 0.1"]


def test_parameter_study_has_the_shape_of_figure_2_6(testbed):
    study = testbed.metrics["study"]
    for method in ("ε-greedy", "gradient bandit", "optimistic greedy"):
        assert bandits.is_unimodal(np.array(study[method]["average_reward"])), method
    best = testbed.metrics["study_best"]
    # Fig. 2.6: eps-greedy peaks near 1/16, the gradient bandit near 1/4, UCB near 1/2-1
    assert 1 / 32 <= best["ε-greedy"]["parameter"] <= 1 / 8
    assert 1 / 8 <= best["gradient bandit"]["parameter"] <= 1 / 2
    assert 1 / 4 <= best["UCB"]["parameter"] <= 2
    assert best["UCB"]["average_reward"] > best["ε-greedy"]["average_reward"]
    assert len(testbed.tables["parameter_study"].rows) == 6 + 8 + 7 + 5


def test_best_possible_reward_is_the_expected_maximum_of_ten_normals(testbed):
    # E[max of 10 standard normals] = 1.538752 (order statistics tables)
    assert testbed.metrics["best_possible_reward"] == pytest.approx(1.538752, abs=1e-5)
    sample = np.random.default_rng(0).standard_normal((200_000, 10)).max(axis=1)
    assert abs(sample.mean() - testbed.metrics["best_possible_reward"]) < 0.01
    assert max(testbed.metrics["final_average_reward"].values()) < 1.54 + 0.1


def test_is_unimodal():
    assert bandits.is_unimodal(np.array([1.0, 2.0, 3.0, 2.0]))
    assert bandits.is_unimodal(np.array([3.0, 2.0, 1.0]))
    assert not bandits.is_unimodal(np.array([1.0, 3.0, 2.0, 2.5]))


def test_bandits_exercise_is_deterministic_and_writes_its_outputs():
    config = bandits.Config(n_runs=40, n_steps=60, study_step=3, seed=4)
    first, second = bandits.run(config), bandits.run(config)
    assert first.metrics == second.metrics
    column = "average reward: UCB c = 2"
    np.testing.assert_array_equal(
        first.data["learning_curves"][column], second.data["learning_curves"][column]
    )
    assert len(first.figures["testbed"].axes) == 3
    other = bandits.run(dataclasses.replace(config, seed=5))
    assert other.metrics != first.metrics


@pytest.mark.parametrize(
    ("field", "value"),
    [("n_runs", 0), ("epsilon", 1.5), ("k", 1), ("reward_std", 0.0), ("study_step", 0)],
)
def test_bandits_config_rejects_bad_values(field, value):
    with pytest.raises(ValueError, match=field):
        bandits.Config(**{field: value})


def test_thompson_sampling_has_the_least_regret(doctor):
    config, result = doctor
    regret = result.metrics["final_regret"]
    thompson = regret["Thompson sampling Beta(1, 1)"]
    assert all(thompson < value for name, value in regret.items() if "Thompson" not in name)
    assert result.metrics["best_treatment_fraction"]["Thompson sampling Beta(1, 1)"] > 0.85
    # greedy's regret is dominated by runs locked on a poor treatment: the largest spread
    spread = result.metrics["final_regret_std"]
    assert spread["greedy (each once, then the best)"] == max(spread.values())


def test_regret_is_consistent_with_the_lai_robbins_constant(doctor):
    config, result = doctor
    constant = lai_robbins_constant(config.recovery_probabilities)
    assert result.metrics["lai_robbins_constant"] == pytest.approx(constant)
    assert result.metrics["lai_robbins_bound_at_T"] == pytest.approx(
        constant * math.log(config.n_patients)
    )
    bound = result.data["cumulative_regret"]["lai_robbins_bound"]
    assert bound[0] == 0.0 and bound[-1] == pytest.approx(result.metrics["lai_robbins_bound_at_T"])
    # Thompson sampling's regret grows logarithmically: it flattens, far below linear growth
    mean = result.data["cumulative_regret"]["mean regret: Thompson sampling Beta(1, 1)"]
    half = config.n_patients // 2
    assert mean[-1] - mean[half - 1] < 0.5 * mean[half - 1]


def test_epsilon_greedy_regret_is_linear_in_the_long_run(doctor):
    # eps = 0.1 explores a uniformly random treatment 10 % of the time: late regret per patient
    # tends to 0.1 * mean gap
    config, result = doctor
    p = np.array(config.recovery_probabilities)
    mean = result.data["cumulative_regret"]["mean regret: ε-greedy ε = 0.1"]
    late_slope = (mean[-1] - mean[-201]) / 200
    expected = 0.1 * np.mean(p.max() - p)
    assert abs(late_slope - expected) < 0.5 * expected


def test_treatment_bands_bracket_the_median(doctor):
    _, result = doctor
    columns = result.data["cumulative_regret"]
    for name in ("UCB c = 1.41", "Thompson sampling Beta(1, 1)"):
        assert np.all(columns[f"q25: {name}"] <= columns[f"q75: {name}"])
        assert columns[f"q25: {name}"][-1] < columns[f"mean regret: {name}"][-1] * 1.5


def test_treatment_exercise_is_deterministic():
    config = treatment.Config(n_runs=30, n_patients=80, seed=2)
    first, second = treatment.run(config), treatment.run(config)
    assert first.metrics == second.metrics
    assert stats.describe(first.data["cumulative_regret"]["lai_robbins_bound"]).nobs == 80


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("recovery_probabilities", (0.5,)),
        ("recovery_probabilities", (0.5, 1.5)),
        ("n_patients", 0),
        ("epsilon", -0.1),
        ("ucb_c", 0.0),
    ],
)
def test_treatment_config_rejects_bad_values(field, value):
    with pytest.raises(ValueError, match=field):
        treatment.Config(**{field: value})


def test_treatment_reports_regret_over_seeds_with_intervals(doctor):
    """IQM of the 200 quick runs' regret with a 95 % CI; Thompson's lies below ε-greedy's."""
    config, result = doctor
    block = result.metrics["final_regret_over_seeds"]
    assert block["training_seeds"] == config.n_runs == 200
    assert "training seeds" in block["interval"]
    for name in result.metrics["final_regret"]:
        assert block["ci95_low"][name] <= block["iqm"][name] <= block["ci95_high"][name]
    # greedy gets stuck on a poor treatment in some runs: a heavy tail the IQM cuts off
    greedy = "greedy (each once, then the best)"
    assert block["iqm"][greedy] < 0.6 * result.metrics["final_regret"][greedy]
    assert (
        block["ci95_high"]["Thompson sampling Beta(1, 1)"] < block["ci95_low"]["ε-greedy ε = 0.1"]
    )
    assert "IQM over seeds [95% CI]" in result.tables["summary"].columns
    title = result.figures["regret"].get_suptitle()
    assert "200 runs (seeds) x 1000 patients" in title and title.endswith("(quick)")


def test_bernoulli_and_nonstationary_testbeds_reach_the_env_and_their_best_possible_reward():
    """The env's reward_distribution / nonstationary / walk_std are settings of the exercise."""
    quick = bandits.EXERCISE.config(quick=True, study=False)
    bernoulli = bandits.run(dataclasses.replace(quick, reward_distribution="bernoulli"))
    k = quick.k
    assert bernoulli.metrics["best_possible_reward"] == pytest.approx(k / (k + 1))  # E[max U]
    final = bernoulli.metrics["final_average_reward"]
    assert all(0.0 <= value <= 1.0 for value in final.values())  # Bernoulli rewards
    walking = bandits.run(dataclasses.replace(quick, nonstationary=True, walk_std=0.05))
    curves = walking.data["learning_curves"]
    # All arms start equal (q* = 0): every first pull is optimal (ties count), by construction.
    start = [v for key, v in curves.items() if key.startswith("optimal")]
    assert start and all(column[0] == 1.0 for column in start)
    stationary = bandits.run(quick).data["learning_curves"]
    assert max(v[0] for key, v in stationary.items() if key.startswith("optimal")) < 0.5
    assert walking.metrics["best_possible_reward"] > 0.0  # E[max q*_t] grows from q* = 0
    with pytest.raises(ValueError, match="reward_distribution must be one of"):
        bandits.EXERCISE.config(reward_distribution="poisson")
    with pytest.raises(TypeError, match="nonstationary must be True or False"):
        bandits.Config(nonstationary="yes")
