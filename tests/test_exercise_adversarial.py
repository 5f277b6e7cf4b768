import numpy as np
import pytest

from labcoat.exercises._framework import replace_nested, to_jsonable
from labcoat.exercises.adversarial import EXERCISE, Config, run


@pytest.fixture(scope="module")
def quick_result():
    return run(replace_nested(Config(), dict(EXERCISE.quick)))


def test_fgsm_beats_noise_of_equal_size(quick_result):
    m = quick_result.metrics
    assert m["test_accuracy"] > 0.93
    assert m["fgsm_success"] > 0.7
    assert m["noise_success"] < 0.15
    assert m["iterated_success"] > 2 * m["noise_success"]
    curves = quick_result.data["success_rates"]
    # nothing changes without a perturbation, and FGSM grows with epsilon
    assert curves["epsilon"][0] == 0.0
    assert curves["fgsm_changed"][0] == curves["noise_changed"][0] == 0.0
    assert np.all(np.diff(curves["fgsm_changed"]) >= 0)
    assert np.all(curves["fgsm_changed"][1:] > curves["noise_changed"][1:])
    assert np.all(curves["iterated_reached_target"] <= curves["iterated_changed"])


def test_dreams_are_confidently_classified(quick_result):
    assert quick_result.metrics["dream_min_confidence"] > 0.9
    assert set(quick_result.figures) == {"success_rates", "examples", "dreams"}


def test_config_validation():
    with pytest.raises(ValueError, match="epsilons"):
        Config(epsilons=(0.1, 2.0))
    with pytest.raises(ValueError, match="attack_steps"):
        Config(attack_steps=0)
    with pytest.raises(ValueError, match="dream_loss"):
        Config(dream_loss="hinge")


def test_same_seed_same_numbers_and_another_seed_other_numbers():
    def numbers(seed):
        config = Config(epochs=2, n_attacked=20, epsilons=(0.0, 0.1), dream_steps=3, seed=seed)
        result = run(config)
        return to_jsonable({"metrics": result.metrics, "data": result.data})

    first = numbers(1)
    assert first == numbers(1)
    assert first["metrics"] != numbers(2)["metrics"]
