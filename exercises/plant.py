"""The plant-watering MDP of the notes (§7.2-7.4): exact values, planning and TD control.

1. The value of every deterministic policy from its Bellman equation (eqs. 7.8-7.9,
   generalized to each policy), solved exactly.
2. The optimal values and policy three ways: the best of those linear solves (eq. 7.11 by
   exhaustive search), value iteration (eq. 7.18) and policy iteration (eqs. 7.16-7.17).
3. Q-learning (eq. 7.24) and Sarsa (eq. 7.23) learning from interaction alone, with epsilon
   decaying from ``epsilon`` to ``epsilon_end``, and their value estimates max_a q(s, a)
   during training against the exact v*.

Every argument of the environment is a config field: ``labcoat run plant --set alpha=0.7
--set r_fail=-10 --set gamma=0.9``.
"""

from __future__ import annotations

import itertools
from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from labcoat.agents import LinearSchedule
from labcoat.agents.planning import (
    TabularModel,
    policy_evaluation,
    policy_iteration,
    value_iteration,
)
from labcoat.agents.rules import check_learning_rate
from labcoat.agents.tabular import QLearning, Sarsa
from labcoat.envs.plant_watering import PlantWateringEnv
from labcoat.exercises._framework import Exercise, Result, Table, check_float, check_ints, track

STATES = ("high", "low")
ACTIONS = ("on", "off", "text")
ENV_FIELDS = (
    "r_on",
    "r_off",
    "r_text",
    "r_fail",
    "alpha",
    "alpha_prime",
    "beta",
    "beta_prime",
    "invalid_action",
    "invalid_action_penalty",
)
COLORS = {"Q-learning": "#1f77b4", "Sarsa": "#d62728"}


@dataclass(frozen=True)
class Config:
    """Settings of the plant exercise (environment defaults: labcoat's PlantWatering-v0)."""

    r_on: float = 1.0
    """Reward of a step with the lamp on (the plants grow fast)."""
    r_off: float = 0.5
    """Reward of a step with the lamp off."""
    r_text: float = -1.0
    """Reward (cost) of texting a human to water the plants."""
    r_fail: float = -4.0
    """Reward when the plants die of thirst."""
    alpha: float = 0.8
    """p(stay high | high, on): a transition probability, not a learning rate."""
    alpha_prime: float = 0.95
    """p(stay high | high, off)."""
    beta: float = 0.7
    """p(stay low | low, on); with 1 - beta the plants die."""
    beta_prime: float = 0.9
    """p(stay low | low, off)."""
    invalid_action: Literal["penalize", "raise"] = "penalize"
    """A text in high (unavailable): penalized as 'off' minus a penalty, or an error."""
    invalid_action_penalty: float = 1.0
    """How much less than r_off a text in high pays (> 0); labcoat's agents never send it."""
    gamma: float = 0.9
    """Discount factor, in [0, 1)."""
    learning_rate: float | str = "1/n^0.7"
    """Step size of the TD agents: a number in (0, 1], '1/n' or '1/n^w' (w in (0.5, 1])."""
    epsilon: float = 0.5
    """Initial exploration probability of the epsilon-greedy agents."""
    epsilon_end: float = 0.02
    """Final exploration probability, reached halfway through training."""
    steps: int = 200_000
    """Training steps of each agent."""
    snapshots: int = 200
    """Number of points of the learning curves."""
    max_episode_steps: int = 200
    """Time limit of an episode (a truncation, which the agents bootstrap through)."""
    seed: int = 0
    """Seed of the agents and the environment."""

    def __post_init__(self) -> None:
        env_kwargs(self)  # the environment checks its own arguments
        check_float("gamma", self.gamma, 0.0, 1.0, high_open=True)  # a continuing task
        check_learning_rate(self.learning_rate)
        for name in ("epsilon", "epsilon_end"):
            check_float(name, getattr(self, name), 0.0, 1.0)
        check_ints(self, {"steps": 100, "snapshots": 2, "max_episode_steps": 1, "seed": 0})
        if self.snapshots > self.steps:
            raise ValueError(f"snapshots must be at most steps={self.steps}, got {self.snapshots}")


def env_kwargs(config: Config) -> dict[str, Any]:
    """The environment's constructor arguments taken from the config (validated by the env)."""
    kwargs = {name: getattr(config, name) for name in ENV_FIELDS}
    PlantWateringEnv(**kwargs)
    return kwargs


def make_env(config: Config) -> Any:
    """The plant env with the config's arguments and time limit."""
    import gymnasium as gym

    import labcoat.envs  # noqa: F401  (registers labcoat/PlantWatering-v0)

    return gym.make(
        "labcoat/PlantWatering-v0", max_episode_steps=config.max_episode_steps, **env_kwargs(config)
    )


def policy_table(model: TabularModel, gamma: float) -> tuple[Table, dict[str, np.ndarray]]:
    """v_pi of every deterministic policy (eqs. 7.8-7.9 for each), by exact linear solves."""
    rows, values = [], {}
    for a_high, a_low in itertools.product(range(2), range(3)):
        v = policy_evaluation(model, np.array([a_high, a_low]), gamma)
        name = f"{ACTIONS[a_high]} / {ACTIONS[a_low]}"
        values[name] = v
        rows.append([name, float(v[0]), float(v[1])])
    best = max(values, key=lambda k: values[k].sum())
    for row in rows:
        row.append("yes" if row[0] == best else "")
    title = f"Value of every deterministic policy (action in high / in low), gamma={gamma}"
    return Table(title, ["policy", "v(high)", "v(low)", "optimal"], rows), values


def learn_with_snapshots(agent: Any, config: Config, label: str) -> np.ndarray:
    """Train in equal chunks, recording q after each: shape (snapshots, 2, 3)."""
    chunks = np.diff(np.linspace(0, config.steps, config.snapshots + 1).astype(int))
    history = []
    for chunk in track(chunks, f"{label}", total=len(chunks)):
        agent.learn(total_timesteps=int(chunk))
        history.append(agent.q)
    return np.array(history)


def run(config: Config) -> Result:
    """Solve the plant MDP exactly, by planning and by TD control; compare them."""
    env = make_env(config)
    model = TabularModel.from_env(env)
    gamma = config.gamma
    policies, values = policy_table(model, gamma)
    best = max(values, key=lambda k: values[k].sum())
    v_solve = values[best]
    vi = value_iteration(model, gamma, tol=1e-12)
    pi = policy_iteration(model, gamma)
    q_star = pi.q

    schedule = LinearSchedule(config.epsilon, config.epsilon_end, max(1, config.steps // 2))
    agents = {
        "Q-learning": QLearning(
            env, gamma=gamma, learning_rate=config.learning_rate, epsilon=schedule,
            seed=config.seed,
        ),
        "Sarsa": Sarsa(
            make_env(config), gamma=gamma, learning_rate=config.learning_rate,
            epsilon=schedule, seed=config.seed + 1,
        ),
    }  # fmt: skip
    histories = {name: learn_with_snapshots(a, config, name) for name, a in agents.items()}
    steps = np.linspace(0, config.steps, config.snapshots + 1).astype(int)[1:]
    valid = model.valid_actions
    errors = {
        name: np.abs(np.where(valid, h, 0.0) - np.where(valid, q_star, 0.0)).max(axis=(1, 2))
        for name, h in histories.items()
    }

    planning = Table(
        f"Optimal values and policy, gamma={gamma}",
        ["method", "v*(high)", "v*(low)", "policy (high / low)", "iterations"],
        [
            ["linear solve, best policy", *map(float, v_solve), best, 6],
            ["value iteration", *map(float, vi.v), _policy_name(vi.policy), vi.n_iterations],
            ["policy iteration", *map(float, pi.v), _policy_name(pi.policy), pi.n_iterations],
        ],
    )
    learned = Table(
        f"Learned q after {config.steps} steps against q* (eq. 7.15)",
        ["q(s, a)", "q*", *agents],
        [
            [f"q({STATES[s]}, {ACTIONS[a]})", float(q_star[s, a])]
            + [float(h[-1, s, a]) for h in histories.values()]
            for s, a in zip(*np.nonzero(valid), strict=True)
        ],
    )
    data: dict[str, Any] = {"steps": steps}
    for name, h in histories.items():
        key = name.lower().replace("-", "_")
        data[f"{key}_v_high"] = h[:, 0].max(axis=1)
        data[f"{key}_v_low"] = h[:, 1].max(axis=1)
        data[f"{key}_max_error"] = errors[name]
    metrics = {
        "v_star": pi.v,
        "q_star": np.where(valid, q_star, np.nan),
        "optimal_policy": [ACTIONS[a] for a in pi.policy],
        "value_iteration_v": vi.v,
        "policy_iteration_v": pi.v,
        "linear_solve_v": v_solve,
        "max_difference_planning": float(
            max(np.abs(vi.v - pi.v).max(), np.abs(v_solve - pi.v).max())
        ),
        "value_iteration_sweeps": vi.n_iterations,
        "policy_iteration_steps": pi.n_iterations,
        "policy_values": {k: v for k, v in values.items()},
        "learned_q": {k: np.where(valid, h[-1], np.nan) for k, h in histories.items()},
        "final_max_error": {k: float(e[-1]) for k, e in errors.items()},
        "learned_policy": {
            k: [ACTIONS[a] for a in np.argmax(h[-1], axis=1)] for k, h in histories.items()
        },
        "config": asdict(config),
    }
    return Result(
        tables={"policies": policies, "planning": planning, "learned": learned},
        figures={"values": values_figure(steps, histories, errors, pi, config)},
        data={"curves": data},
        metrics=metrics,
    )


def _policy_name(policy: np.ndarray) -> str:
    return f"{ACTIONS[policy[0]]} / {ACTIONS[policy[1]]}"


def values_figure(
    steps: np.ndarray,
    histories: dict[str, np.ndarray],
    errors: dict[str, np.ndarray],
    optimal: Any,
    config: Config,
) -> Figure:
    """Value estimates max_a q(s, a) during training against v*, and the error to q*."""
    figure = Figure(figsize=(11, 4.4), layout="constrained")
    values_axes, error_axes = figure.subplots(1, 2, width_ratios=[1.35, 1])
    for s, (state, style) in enumerate(zip(STATES, ("-", "--"), strict=True)):
        v_star = optimal.v[s]
        values_axes.axhline(v_star, color="black", lw=1.2, ls=style, alpha=0.8)
        values_axes.annotate(
            f"v*({state}) = {v_star:.3f}", (steps[-1], v_star), xytext=(-4, 4),
            textcoords="offset points", ha="right", va="bottom", fontsize=9,
        )  # fmt: skip
        for name, history in histories.items():
            values_axes.plot(
                steps, history[:, s].max(axis=1), color=COLORS[name], ls=style, lw=1.6,
                label=f"{name}, {state}",
            )  # fmt: skip
    values_axes.xaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{x / 1000:g}k"))
    values_axes.set_xlabel("training step")
    values_axes.set_ylabel(r"value estimate $\max_a q(s, a)$")
    values_axes.set_title("Value estimates approach the exact $v^*$")
    values_axes.legend(loc="lower right", fontsize=9, ncol=2, frameon=False)
    values_axes.grid(alpha=0.3)
    for name, error in errors.items():
        error_axes.loglog(steps, error, color=COLORS[name], lw=1.6, label=name)
    error_axes.set_xlabel("training step")
    error_axes.set_ylabel(r"$\max_{s,a} |q(s,a) - q^*(s,a)|$")
    error_axes.set_title("Distance to $q^*$ (eq. 7.15)")
    error_axes.legend(frameon=False)
    error_axes.grid(alpha=0.3, which="both")
    policy = _policy_name(optimal.policy)
    figure.suptitle(
        f"Plant watering, gamma = {config.gamma}: optimal policy {policy} (high / low); "
        f"epsilon {config.epsilon} -> {config.epsilon_end}, step size {config.learning_rate}\n"
        f"budget: {config.steps:,} training steps per agent, training seed {config.seed}",
        fontsize=11,
    )
    return figure


EXERCISE = Exercise(
    name="plant",
    summary="Plant-watering MDP: exact values, planning, Q-learning and Sarsa",
    config=Config,
    run=run,
    quick={"steps": 20_000, "snapshots": 40},
    groups={
        "environment": (*ENV_FIELDS, "gamma", "max_episode_steps"),
        "agent": ("learning_rate", "epsilon", "epsilon_end"),
    },
)
