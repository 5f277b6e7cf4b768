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
    result = molecules.run(config)
    m = result.metrics
    # -log p per token falls below that of uniform guessing over the vocabulary
    assert m["final_loss"] < 0.95 * math.log(m["n_tokens"])
    for name in ("lstm", "bigram"):
        assert 0.0 <= m[f"{name}_validity"] <= 1.0
    samples = result.data["samples"]
    assert len(samples["smiles"]) == config.n_samples
    valid = [s for s, ok in zip(samples["smiles"], samples["valid"], strict=True) if ok]
    assert len(valid) == round(m["lstm_validity"] * config.n_samples)
    assert all(is_valid_smiles(s) for s in m["examples"])


def test_molecules_exercise_same_seed_same_numbers():
    config = _quick(molecules, n_molecules=60, epochs=1, n_samples=30)
    runs = [molecules.run(config).metrics for _ in range(2)]
    for metrics in runs:
        del metrics["training_seconds"]
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
