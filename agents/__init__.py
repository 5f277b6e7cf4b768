"""labcoat's agents: planning, tabular TD, bandit strategies, semi-gradient methods, policies.

Every update equation lives once in :mod:`labcoat.agents.rules`; planning on a
:class:`TabularModel` (policy evaluation, value and policy iteration, seed 000
eqs. 7.8-7.18); model-free tabular prediction and control (:class:`TD0`, :class:`MonteCarlo`,
:class:`Sarsa`, :class:`QLearning`, :class:`ExpectedSarsa`) and their batched versions; bandit
strategies (§7.1) and the 10-armed testbed; semi-gradient TD and Sarsa on features or torch
modules (eq. 7.25); deep Q-learning (:class:`DQN`, §7.5, imported with torch on first use);
policy gradients (REINFORCE with baseline, one-step actor-critic) on parametrized policies, with
the exact grad J of a finite MDP; direct policy search (the cross-entropy method, an evolution
strategy; footnote 30); the policy protocol shared with Stable-Baselines3; and the toric code's
decoders (minimum-weight perfect matching, exhaustive minimum-weight search).
"""

import importlib
from typing import TYPE_CHECKING, Any

from labcoat.agents._base import Agent, ContinuingTaskWarning, LinearSchedule
from labcoat.agents.bandits import (
    UCB,
    BanditResult,
    BanditStrategy,
    EpsilonGreedy,
    GradientBandit,
    ThompsonSampling,
    bernoulli_kl,
    lai_robbins_constant,
    run_episode,
    run_testbed,
    spawn_seeds,
)
from labcoat.agents.batched import (
    BatchedResult,
    batched_control,
    batched_expected_sarsa,
    batched_q_learning,
    batched_sarsa,
    run_batched,
)
from labcoat.agents.decoders import minimum_weight_correction, mwpm_correction
from labcoat.agents.features import (
    BinaryFeatures,
    Bounds,
    Features,
    Fourier,
    OneHot,
    Polynomial,
    StateAggregation,
    TileCoding,
)
from labcoat.agents.parametric_policies import (
    LinearGaussianPolicy,
    NeuralPolicy,
    ParametricPolicy,
    SoftmaxPolicy,
)
from labcoat.agents.planning import (
    PlanningResult,
    TabularModel,
    bellman_backup,
    epsilon_soft,
    greedy_policy,
    policy_evaluation,
    policy_iteration,
    proper_policy,
    value_iteration,
)
from labcoat.agents.policies import (
    EpsilonGreedyPolicy,
    GreedyPolicy,
    PolicyLike,
    PredictsActions,
    RandomPolicy,
    Trajectory,
    action_function,
    evaluate_policy,
    rollout,
)
from labcoat.agents.policy_gradient import (
    ActorCritic,
    PolicyGradientSettings,
    Reinforce,
    ReinforceSettings,
    discounted_visits,
    exact_policy_gradient,
    policy_objective,
)
from labcoat.agents.policy_search import (
    CrossEntropyMethod,
    CrossEntropySettings,
    EvolutionSettings,
    EvolutionStrategy,
    SearchSettings,
    episode_score,
)
from labcoat.agents.rules import (
    action_value_update,
    argmax_random_ties,
    beta_posterior_update,
    discounted_returns,
    double_q_learning_target,
    epsilon_greedy_probabilities,
    expected_sarsa_target,
    gaussian_posterior,
    gradient_bandit_update,
    greedy_arms,
    linear_sarsa_update,
    linear_td_update,
    q_learning_target,
    sarsa_target,
    semi_gradient_step,
    softmax_policy,
    td0_target,
    td0_update,
    td_error,
    td_update,
    ucb_scores,
)
from labcoat.agents.semi_gradient import (
    LinearPrediction,
    SemiGradientSarsa,
    SemiGradientTD,
    on_policy_distribution,
    td_fixed_point,
    value_error_minimizer,
)
from labcoat.agents.tabular import TD0, ExpectedSarsa, MonteCarlo, QLearning, Sarsa

if TYPE_CHECKING:
    from labcoat.agents.dqn import DQN, DQNSettings, ReplayBuffer

# Public name -> module, imported on first attribute access (they need torch).
_LAZY_EXPORTS = {"DQN": "dqn", "DQNSettings": "dqn", "ReplayBuffer": "dqn"}

__all__ = [
    "ActorCritic",
    "CrossEntropyMethod",
    "CrossEntropySettings",
    "EvolutionSettings",
    "EvolutionStrategy",
    "PolicyGradientSettings",
    "ReinforceSettings",
    "SearchSettings",
    "LinearGaussianPolicy",
    "NeuralPolicy",
    "ParametricPolicy",
    "Reinforce",
    "SoftmaxPolicy",
    "discounted_visits",
    "episode_score",
    "exact_policy_gradient",
    "policy_objective",
    "BanditResult",
    "BanditStrategy",
    "EpsilonGreedy",
    "GradientBandit",
    "ThompsonSampling",
    "UCB",
    "action_value_update",
    "argmax_random_ties",
    "bernoulli_kl",
    "beta_posterior_update",
    "gaussian_posterior",
    "gradient_bandit_update",
    "greedy_arms",
    "lai_robbins_constant",
    "run_episode",
    "run_testbed",
    "softmax_policy",
    "spawn_seeds",
    "ucb_scores",
    "action_function",
    "Agent",
    "ContinuingTaskWarning",
    "LinearPrediction",
    "LinearSchedule",
    "batched_control",
    "batched_expected_sarsa",
    "batched_q_learning",
    "batched_sarsa",
    "BatchedResult",
    "bellman_backup",
    "BinaryFeatures",
    "Bounds",
    "discounted_returns",
    "double_q_learning_target",
    "DQN",
    "DQNSettings",
    "epsilon_greedy_probabilities",
    "epsilon_soft",
    "EpsilonGreedyPolicy",
    "evaluate_policy",
    "expected_sarsa_target",
    "ExpectedSarsa",
    "Features",
    "Fourier",
    "greedy_policy",
    "GreedyPolicy",
    "linear_sarsa_update",
    "linear_td_update",
    "MonteCarlo",
    "minimum_weight_correction",
    "mwpm_correction",
    "on_policy_distribution",
    "OneHot",
    "PlanningResult",
    "policy_evaluation",
    "policy_iteration",
    "PolicyLike",
    "Polynomial",
    "PredictsActions",
    "proper_policy",
    "q_learning_target",
    "QLearning",
    "RandomPolicy",
    "ReplayBuffer",
    "rollout",
    "run_batched",
    "Sarsa",
    "sarsa_target",
    "semi_gradient_step",
    "SemiGradientSarsa",
    "SemiGradientTD",
    "StateAggregation",
    "TabularModel",
    "TD0",
    "td0_target",
    "td0_update",
    "td_error",
    "td_fixed_point",
    "td_update",
    "TileCoding",
    "Trajectory",
    "value_error_minimizer",
    "value_iteration",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY_EXPORTS:
        return getattr(importlib.import_module(f"{__name__}.{_LAZY_EXPORTS[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
