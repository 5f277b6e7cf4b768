"""The keyword settings of the policy-gradient, direct-search and DQN agents (TypedDicts).

Each TypedDict's docstring documents every keyword with its default; these tests read the
defaults from the docstrings and check them against the agents' behaviour (and DQN's against
Stable-Baselines3's signature), and that a misspelt keyword is refused by name.
"""

from __future__ import annotations

import ast
import inspect
import re
from typing import Any

import pytest
import stable_baselines3
import torch

from labcoat.agents import (
    ActorCritic,
    CrossEntropyMethod,
    CrossEntropySettings,
    EvolutionSettings,
    EvolutionStrategy,
    PolicyGradientSettings,
    Reinforce,
    ReinforceSettings,
    SearchSettings,
)

_ENTRY = re.compile(r"^ {8}(\w+): ", re.M)


def documented_defaults(settings: Any, owner: str) -> dict[str, Any]:
    """keyword -> the default its docstring entry states (``Default ``x`` for Owner`` wins)."""
    doc = inspect.cleandoc(settings.__doc__ or "")
    doc = "\n".join("    " + line for line in doc.splitlines())  # entries at 8 spaces
    starts = [(m.start(), m.group(1)) for m in _ENTRY.finditer(doc)]
    defaults: dict[str, Any] = {}
    for (start, name), (end, _) in zip(starts, [*starts[1:], (len(doc), "")], strict=True):
        entry = " ".join(doc[start:end].split())
        per_owner = dict((o, v) for v, o in re.findall(r"``([^`]+)`` for (\w+)", entry))
        match = re.search(r"Default ``([^`]+)``", entry)
        assert match is not None, f"{name}: no default documented"
        defaults[name] = ast.literal_eval(per_owner.get(owner, match.group(1)))
    return defaults


@pytest.mark.parametrize(
    ("cls", "family", "settings"),
    [
        (Reinforce, PolicyGradientSettings, ReinforceSettings),
        (ActorCritic, PolicyGradientSettings, PolicyGradientSettings),
        (CrossEntropyMethod, SearchSettings, CrossEntropySettings),
        (EvolutionStrategy, SearchSettings, EvolutionSettings),
    ],
)
def test_documented_defaults_are_the_defaults(cls, family, settings):
    documented = documented_defaults(family, cls.__name__)
    documented |= documented_defaults(settings, cls.__name__)
    assert set(documented) == set(settings.__annotations__)  # every keyword documented
    assert documented == cls._defaults
    agent = cls("FrozenLake-v1")
    for name, value in documented.items():
        if name in ("critic_features", "initial_mean"):
            continue  # None stands for a default made from the env, checked below
        assert getattr(agent, name) == value, name
    if hasattr(agent, "critic_features"):
        assert agent.critic_features is None and agent.w.shape == (16,)  # one-hot of 16 states
    if hasattr(agent, "mean"):
        assert agent.mean.tolist() == agent.policy.parameters.tolist()


def test_family_documentation_names_both_defaults():
    assert documented_defaults(PolicyGradientSettings, "Reinforce")["critic_learning_rate"] == 0.01
    assert documented_defaults(PolicyGradientSettings, "ActorCritic")["critic_learning_rate"] == 0.1
    assert set(SearchSettings.__annotations__) < set(CrossEntropySettings.__annotations__)


@pytest.mark.parametrize("cls", [Reinforce, ActorCritic, CrossEntropyMethod, EvolutionStrategy])
def test_misspelt_keyword_is_refused_by_name(cls):
    with pytest.raises(TypeError, match=rf"{cls.__name__}\(\) got an unexpected .*'gama'"):
        cls("FrozenLake-v1", gama=0.9)
    with pytest.raises(TypeError, match=r"arguments 'gama', 'sed'"):
        cls("FrozenLake-v1", gama=0.9, sed=1)
    # the right spelling is taken (and a keyword of the other family is not)
    assert cls("FrozenLake-v1", gamma=0.5).gamma == 0.5
    other = "sigma" if cls in (Reinforce, ActorCritic) else "critic_learning_rate"
    with pytest.raises(TypeError, match=repr(other)):
        cls("FrozenLake-v1", **{other: 0.1})


def test_dqn_defaults_are_documented_and_stable_baselines3s():
    from labcoat.agents.dqn import DQN, DQN_DEFAULTS, DQNSettings

    documented = documented_defaults(DQNSettings, "DQN")
    assert set(documented) == set(DQNSettings.__annotations__)
    assert documented == DQN_DEFAULTS
    signature = inspect.signature(stable_baselines3.DQN).parameters
    shared = set(documented) & set(signature)
    assert len(shared) >= 14
    for name in shared:
        assert documented[name] == signature[name].default, name
    torch.set_num_threads(1)
    agent = DQN("CartPole-v1")
    for name, value in documented.items():
        assert getattr(agent, name) == value, name
    assert agent.replay_buffer.capacity == 1_000_000


def test_dqn_misspelt_keyword_is_refused_by_name():
    from labcoat.agents import DQN

    with pytest.raises(TypeError, match=r"DQN\(\) got an unexpected keyword argument 'buffersize'"):
        DQN("CartPole-v1", buffersize=10)
    with pytest.raises(TypeError, match="'baseline'"):
        DQN("CartPole-v1", baseline=True)
