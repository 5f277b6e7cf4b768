"""The shipped weights of the reaction exercise's learned optimizer (agents/weights/)."""

import dataclasses

import pytest
import torch

from labcoat.agents.experiment import ExperimentOptimizer
from labcoat.exercises import reaction
from labcoat.exercises.reaction import Config

LEARNED = "learned optimizer (absolute)"


def shipped_seeds(config: Config) -> list[int]:
    return [int(s) for s in reaction.agent_seeds(config)[list(reaction.AGENTS).index(LEARNED)]]


def test_shipped_weights_are_finite_trained_and_the_scripts():
    """Shapes of a fresh network, finite, and the script's recorded validation loss (fixed
    training landscapes) reproduced; better than the untrained weights on the same ones."""
    record = reaction.pretrained_record()
    config = Config()
    seeds = shipped_seeds(config)
    assert set(record["seeds"]) == {str(s) for s in seeds}
    for seed in seeds:
        agent = reaction.load_pretrained(config, seed)
        fresh = ExperimentOptimizer(seed=seed)
        shipped = agent.network.state_dict()
        for name, tensor in fresh.network.state_dict().items():
            assert shipped[name].shape == tensor.shape
            assert torch.isfinite(shipped[name]).all()
        loss = agent.validation_loss()
        assert loss == pytest.approx(record["seeds"][str(seed)]["validation_loss"], abs=1e-5)
        assert loss < fresh.validation_loss() - 0.05


def test_pretrained_needs_the_default_settings():
    seed = shipped_seeds(Config())[0]
    with pytest.raises(ValueError, match="pretrained"):
        reaction.load_pretrained(Config(budget=20), seed)
    with pytest.raises(ValueError, match="pretrained"):
        reaction.load_pretrained(Config(), seed + 1)
    with pytest.raises(TypeError, match="pretrained"):
        Config(pretrained="yes")  # type: ignore[arg-type]


def test_the_run_uses_the_shipped_weights():
    config = dataclasses.replace(
        Config(),
        n_landscapes=1,
        bo_candidates=20,
        ppo_timesteps=0,
        sarsa_timesteps=0,
        memory_ppo_timesteps=0,
        optimizer_iterations=1,
        optimizer_batch=2,
        training_seeds=1,
    )
    with pytest.raises(ValueError, match="pretrained"):  # batch 2 is not what was shipped
        reaction.run(config)
    result = reaction.run(dataclasses.replace(config, optimizer_batch=32))
    assert result.metrics["pretrained_iterations"] == reaction.pretrained_record()["iterations"]
    labels = result.figures["best_yield"].axes[0].get_legend_handles_labels()[1]
    assert any(label.startswith(f"{LEARNED}: pretrained") for label in labels)
