"""The molecules and digits-generative exercises in quick mode, against references."""

import dataclasses
import math

import numpy as np
import pytest
import torch

from labcoat.exercises import digits_generative, molecules
from labcoat.models.metrics import frechet_distance
from labcoat.models.smiles import SmilesVocabulary, is_valid_smiles


def _quick(module, **changes):
    return dataclasses.replace(module.Config(), **{**module.EXERCISE.quick, **changes})


def test_moses_scores_by_hand():
    training = {"CCO", "C=C"}
    samples = ["CCO", "CCO", "CCN", "C(", None, "C=C", "CN"]
    # valid: CCO, CCO, CCN, C=C, CN (5 of 7); distinct 4; not in training: CCN, CN
    assert molecules.scores(samples, training) == pytest.approx(
        {"validity": 5 / 7, "uniqueness": 4 / 5, "novelty": 2 / 4}
    )
    assert molecules.scores([None, "C("], training) == {
        "validity": 0.0,
        "uniqueness": 0.0,
        "novelty": 0.0,
    }


def test_bigram_baseline_reproduces_the_transition_frequencies():
    vocabulary = SmilesVocabulary(6)
    tokens = vocabulary.encode(["CO", "CN", "CO", "NC"]).numpy()
    drawn = molecules.bigram_sample(tokens, vocabulary.n_tokens, 20_000, seed=0)
    first = np.bincount(drawn[:, 0], minlength=vocabulary.n_tokens) / 20_000
    assert first[1] == pytest.approx(0.75, abs=0.015) and first[2] == pytest.approx(0.25, abs=0.015)
    after_c = drawn[:, 1][drawn[:, 0] == 1]  # C is followed by O twice, N once, $ once
    assert np.mean(after_c == 3) == pytest.approx(0.5, abs=0.02)
    assert np.mean(after_c == 0) == pytest.approx(0.25, abs=0.02)
    ended = drawn[:, :-1] == 0
    assert ended.any() and (drawn[:, 1:][ended] == 0).mean() > 0.99  # then (smoothing aside) end
    assert np.array_equal(drawn, molecules.bigram_sample(tokens, vocabulary.n_tokens, 20_000, 0))


def test_molecules_exercise_learns_the_grammar_better_than_chance():
    config = _quick(molecules)
    assert config.models == ("lstm", "transformer")
    result = molecules.run(config)
    m = result.metrics
    assert [row[0] for row in result.tables["molecules"].rows] == ["lstm", "transformer", "bigram"]
    for name in config.models:
        # -log p per token falls below that of uniform guessing over the vocabulary
        assert m[f"{name}_final_loss"] < 0.95 * math.log(m["n_tokens"])
        samples = result.data[f"samples_{name}"]
        assert len(samples["smiles"]) == config.n_samples
        # validity re-measured here by the grammar's checker on the decoded samples
        checked = [bool(s) and is_valid_smiles(s) for s in samples["smiles"]]
        assert checked == samples["valid"]
        assert m[f"{name}_validity"] == pytest.approx(sum(checked) / config.n_samples)
        assert all(is_valid_smiles(s) for s in m[f"{name}_examples"])
    assert 0.0 <= m["bigram_validity"] <= 1.0


def test_molecules_config_refuses_bad_models():
    with pytest.raises(ValueError, match="models"):
        molecules.Config(models=("lstm", "gpt"))
    with pytest.raises(ValueError, match="must not repeat"):
        molecules.Config(models=("lstm", "lstm"))
    with pytest.raises(ValueError, match="d_model must be divisible"):
        molecules.Config(models=("transformer",), d_model=10, n_heads=4)
    with pytest.raises(ValueError, match="temperature must be 1"):
        molecules.Config(models=("transformer",), temperature=0.8)


def test_molecules_exercise_same_seed_same_numbers():
    config = _quick(molecules, n_molecules=60, epochs=1, n_samples=30)
    runs = [molecules.run(config).metrics for _ in range(2)]
    for metrics in runs:
        for name in config.models:
            del metrics[f"{name}_training_seconds"]
    assert runs[0] == runs[1]


def test_digits_generative_exercise_floor_baseline_and_models():
    result = digits_generative.run(_quick(digits_generative))
    m = result.metrics
    # the held-out real digits are the floor: closer than the per-class Gaussian baseline
    assert m["held_out_frechet"] < m["gaussian_frechet"]
    assert m["held_out_accuracy"] > 0.7
    assert {row[0] for row in result.tables["scores"].rows} == {
        "held-out digits",
        "Gaussian per class",
        "DDPM (U-Net)",
        "GAN (conv)",
    }
    for key in ("ddpm", "gan"):
        assert m[f"{key}_frechet"] > 0 and 0 <= m[f"{key}_accuracy"] <= 1
    assert set(result.figures) == {"samples", "training"}


def test_gaussian_baseline_matches_each_class_moments():
    data = digits_generative.digits_data(8, 0.25, seed=0)
    labels = torch.full((4000,), 3)
    drawn = digits_generative.gaussian_digits(data, labels, seed=1).flatten(1).numpy()
    members = data.x_train[data.y_train == 3].flatten(1).numpy()
    # clipping to [0, 1] moves the mean a little; the Gaussian fit is close in pixel space
    assert np.abs(drawn.mean(0) - members.mean(0)).max() < 0.08
    assert frechet_distance(drawn, members) < 0.1 * frechet_distance(
        drawn, data.x_train[data.y_train == 4].flatten(1).numpy()
    )
