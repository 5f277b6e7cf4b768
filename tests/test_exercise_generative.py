"""The rbm, vae, gan and ising exercises in quick mode, asserted against references."""

import dataclasses
import math

import pytest

from labcoat.exercises import gan, ising, rbm, vae
from labcoat.exercises._framework import to_jsonable
from labcoat.models.ising import CRITICAL_TEMPERATURE


def _quick(module):
    return dataclasses.replace(module.Config(), **module.EXERCISE.quick)


def test_rbm_exercise_raises_the_exact_log_likelihood():
    result = rbm.run(_quick(rbm))
    m = result.metrics
    assert m["optimal_log_likelihood"] == pytest.approx(-math.log(30))
    for name in ("CD", "PCD"):
        # start near the uniform distribution over 2^16 images, end well above it
        assert m[f"{name}_initial_log_likelihood"] == pytest.approx(-16 * math.log(2), abs=0.2)
        assert m[f"{name}_final_log_likelihood"] > m[f"{name}_initial_log_likelihood"] + 3.0
        assert m[f"{name}_final_log_likelihood"] <= m["optimal_log_likelihood"]
        # a uniform 4 x 4 image is a valid pattern with probability 30 / 2^16
        assert m[f"{name}_valid_sample_fraction"] > 0.05
    assert set(result.figures) == {"log_likelihood", "samples"}


def test_vae_exercise_beats_the_mean_image():
    result = vae.run(_quick(vae))
    m = result.metrics
    assert m["test_mse_autoencoder"] < 0.85 * m["test_mse_mean_image"]
    assert m["test_mse_vae"] < 0.85 * m["test_mse_mean_image"]
    assert set(result.figures) == {"reconstructions", "latent", "samples"}


def test_gan_exercise_lowers_the_wasserstein_distance():
    result = gan.run(_quick(gan))
    m = result.metrics
    for kind in gan.LOSSES:
        assert m[f"{kind}_initial_wasserstein"] > 1.5
        assert m[f"{kind}_best_wasserstein"] < 0.5 * m[f"{kind}_initial_wasserstein"]
    curves = result.data["wasserstein"]
    assert len(curves["step"]) == len(curves["saturating_wasserstein"])


def test_ising_exercise_pca_and_phase_classifier():
    result = ising.run(_quick(ising))
    m = result.metrics
    # PC1 is the (centred) magnetization times sqrt(N)
    assert m["pc1_magnetization_abs_correlation"] > 0.99
    # finite L shifts the crossing up by O(T_c / L); quick runs use L = 12
    assert abs(m["critical_temperature_estimate"] - CRITICAL_TEMPERATURE) < 0.35
    curves = result.data["curves"]
    low = curves["temperature"] < 1.9
    assert all(abs(curves["energy"][low] - curves["energy_onsager"][low]) < 0.02)


def test_ising_exercise_on_an_odd_lattice():
    """L = 11 (three-sublattice sweeps): the same physics as on even lattices."""
    result = ising.run(dataclasses.replace(_quick(ising), side=11))
    assert result.metrics["pc1_magnetization_abs_correlation"] > 0.99
    assert abs(result.metrics["critical_temperature_estimate"] - CRITICAL_TEMPERATURE) < 0.35


def test_configs_reject_bad_values():
    with pytest.raises(ValueError, match="side"):
        ising.Config(side=3)
    with pytest.raises(ValueError, match="n_hidden"):
        rbm.Config(n_hidden=0)
    with pytest.raises(ValueError, match="label_smoothing"):
        gan.Config(label_smoothing=1.0)
    with pytest.raises(ValueError, match="reconstruction_weight"):
        vae.Config(reconstruction_weight=0.0)


@pytest.mark.parametrize("module", [rbm, vae, gan, ising])
@pytest.mark.parametrize(("seed", "error"), [(-1, ValueError), (1.5, TypeError), (True, TypeError)])
def test_configs_reject_a_bad_seed_before_any_work(module, seed, error):
    with pytest.raises(error, match=r"seed must be an integer >= 0"):
        module.Config(seed=seed)


@pytest.mark.parametrize(
    ("module", "field"),
    [(rbm, "epochs"), (vae, "epochs"), (gan, "n_steps"), (ising, "n_chains")],
)
def test_configs_reject_non_integer_counts(module, field):
    with pytest.raises(TypeError, match=rf"{field} must be an integer >= 1, got 2.5"):
        module.Config(**{field: 2.5})


TINY = {
    "rbm": {"epochs": 4, "eval_every": 2, "n_samples": 4, "sample_steps": 3},
    "vae": {"epochs": 2, "hidden": 8},
    "gan": {"n_steps": 20, "eval_every": 10, "n_eval": 100, "n_data": 100, "batch_size": 16},
    "ising": {
        "side": 4,
        "n_temperatures": 4,
        "n_chains": 3,
        "equilibration_sweeps": 5,
        "sweeps_between_samples": 1,
        "n_samples_per_chain": 2,
        "epochs": 2,
    },
}


@pytest.mark.parametrize("module", [rbm, vae, gan, ising], ids=lambda m: m.__name__)
def test_same_seed_same_numbers_and_another_seed_other_numbers(module):
    name = module.__name__.rsplit(".", 1)[-1]

    def numbers(seed):
        result = module.run(module.Config(seed=seed, **TINY[name]))
        return to_jsonable({"metrics": result.metrics, "data": result.data})

    first = numbers(1)
    assert first == numbers(1)
    assert first["data"] != numbers(2)["data"]
