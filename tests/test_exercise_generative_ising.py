"""The generative-ising exercise: its scoring against exact distributions, and a quick run."""

import dataclasses
import math

import numpy as np
import pytest

from labcoat.exercises import generative_ising as gi
from labcoat.models.exact import exact_bars_and_stripes, exact_ising


def _quick(**changes):
    return dataclasses.replace(gi.Config(), **{**gi.EXERCISE.quick, **changes})


def test_exact_samples_have_the_exact_statistics():
    target = exact_ising(3, 2.27)
    stats = gi._sample_statistics(target, target.sample(50_000, seed=0))
    assert stats["energy_level_kl"] < 2e-3  # only the estimator's bias and noise
    assert stats["energy"] == pytest.approx(target.expectation(target.energy), abs=0.01)
    exact_m = target.expectation(np.abs(target.magnetization))
    assert stats["abs_magnetization"] == pytest.approx(exact_m, abs=0.01)
    patterns = exact_bars_and_stripes(3)
    assert gi._sample_statistics(patterns, patterns.sample(100, seed=0))["valid_fraction"] == 1.0


def test_made_learns_the_2x2_target_to_a_small_exact_kl():
    target = exact_ising(2, 3.5)
    uniform = math.log(16) - target.entropy()  # KL(p || uniform)
    scored = gi._score(_quick(), "MADE", target, seed=0)
    assert scored.method == "exact"
    assert scored.kl < 0.05 < uniform
    assert scored.samples.shape == (500, 4)


def test_samplers_are_scored_by_a_labelled_histogram_estimate():
    target = exact_ising(2, 3.5)
    scored = gi._score(_quick(epochs=1), "DDPM", target, seed=0)
    assert "histogram estimate" in scored.method
    floor = float(scored.method.split("exact samples score ")[1].rstrip(")"))
    assert 0 < floor < scored.kl  # 500 exact samples beat a one-epoch DDPM
    assert set(np.unique(scored.samples)) <= {0.0, 1.0}


def test_config_refuses_bad_values():
    with pytest.raises(ValueError, match="side"):
        gi.Config(side=5)
    with pytest.raises(ValueError, match="d_model"):
        gi.Config(d_model=6)


@pytest.mark.slow
def test_quick_run_scores_every_model_on_every_target():
    result = gi.run(_quick())
    kl = result.metrics["kl"]
    assert set(kl) == {"Ising T=1.5", "Ising T=2.27", "Ising T=3.5", "bars-and-stripes"}
    assert all(set(row) == set(gi.MODELS) for row in kl.values())
    assert result.metrics["best_exact_kl_hot"] < 0.05
    assert set(result.figures) == {"kl", "energy", "magnetization", "samples"}
    assert len(result.tables["kl"].rows) == 4 * len(gi.MODELS)
