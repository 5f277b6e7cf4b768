"""Deep Q-learning built from labcoat's parts against Stable-Baselines3's DQN (notes §7.5).

labcoat's :class:`~labcoat.agents.DQN` (a labcoat.models MLP, the targets and ε-greedy choice
of labcoat.agents.rules) and SB3's ``DQN`` train with the same hyper-parameters and the same
budget on CartPole-v1 and on the plant-watering MDP, over several training seeds. Each trained
agent is evaluated greedily (deterministic) on fresh episodes; the table gives the IQM and the
mean of the final returns with 95 % bootstrap intervals over the seeds, and the wall time of
each. On the plant the exact q* (value iteration) is known, so the learned q̂ is compared
with it: with the Huber loss both DQNs land above q* (the Huber minimizer over the plant's
noisy targets is not their mean), with §7.5's squared loss labcoat's DQN lands on q*.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import gymnasium as gym
import numpy as np
from matplotlib.figure import Figure

import labcoat.envs  # noqa: F401  (registers labcoat/PlantWatering-v0)
from labcoat.agents import DQN, TabularModel, evaluate_policy, value_iteration
from labcoat.exercises import stats
from labcoat.exercises._framework import Exercise, Result, Table, check_ints, track
from labcoat.exercises._seeds import over_seeds, seed_metrics, titled

CARTPOLE = {
    "learning_rate": 2.3e-3,
    "batch_size": 64,
    "buffer_size": 100_000,
    "learning_starts": 1000,
    "gamma": 0.99,
    "target_update_interval": 10,
    "train_freq": 256,
    "gradient_steps": 128,
    "exploration_fraction": 0.16,
    "exploration_final_eps": 0.04,
}
"""CartPole-v1's hyper-parameters (rl-baselines3-zoo's tuned DQN), with an MLP 64-64."""

PLANT = {
    "learning_rate": 3e-3,
    "batch_size": 512,
    "buffer_size": 100_000,
    "learning_starts": 1000,
    "gamma": 0.9,
    "target_update_interval": 64,
    "train_freq": 8,
    "gradient_steps": 1,
    "exploration_fraction": 0.5,
    "exploration_final_eps": 0.5,
}
"""The plant's hyper-parameters (γ = 0.9 as in the plant exercise), with an MLP 32."""

TASKS: dict[str, tuple[str, dict[str, Any], tuple[int, ...], str]] = {
    "CartPole-v1": ("CartPole-v1", CARTPOLE, (64, 64), "cartpole_timesteps"),
    "PlantWatering-v0": ("labcoat/PlantWatering-v0", PLANT, (32,), "plant_timesteps"),
}
"""Task -> (env id, hyper-parameters, hidden layers, its budget field)."""

AGENTS = ("labcoat DQN", "SB3 DQN")
SQUARED = "labcoat DQN, squared loss"
COLORS = {"labcoat DQN": "#1f77b4", "SB3 DQN": "#ff7f0e", SQUARED: "#2ca02c", "q*": "#333333"}
HIGH, LOW = 0, 1


@dataclass(frozen=True)
class Config:
    """Settings of the dqn exercise (the hyper-parameters are fixed: see CARTPOLE and PLANT)."""

    cartpole_timesteps: int = 12_000
    """Training steps per seed on CartPole-v1 (each agent)."""
    plant_timesteps: int = 8_000
    """Training steps per seed on PlantWatering-v0 (each agent)."""
    training_seeds: int = 5
    """Independent training seeds per agent and task."""
    eval_episodes: int = 10
    """Greedy evaluation episodes per trained agent."""
    curve_bins: int = 20
    """Points of the learning curves (bins of training steps)."""
    seed: int = 0
    """First training seed (seeds seed, seed + 1, ...); evaluation envs use seed + 10000 + k."""

    def __post_init__(self) -> None:
        check_ints(
            self,
            {
                "cartpole_timesteps": 100,
                "plant_timesteps": 100,
                "training_seeds": 1,
                "eval_episodes": 1,
                "curve_bins": 2,
                "seed": 0,
            },
        )


@dataclass
class Run:
    """One trained agent: its final greedy return, wall time, training curve and q (plant)."""

    final_return: float
    wall_time: float
    cpu_time: float
    curve: np.ndarray
    q: np.ndarray
    """q̂ of the plant's states (2, 3); empty on CartPole."""


def binned_curve(returns: Any, lengths: Any, total: int, bins: int) -> np.ndarray:
    """Mean return of the training episodes ending in each of ``bins`` equal step bins.

    A bin without an ending episode repeats the previous bin's value (NaN before the first).
    """
    ends = np.cumsum(np.asarray(lengths, dtype=np.int64))
    which = np.minimum((ends - 1) * bins // total, bins - 1)
    curve = np.full(bins, np.nan)
    for b in range(bins):
        inside = np.asarray(returns, dtype=float)[which == b]
        curve[b] = inside.mean() if inside.size else (curve[b - 1] if b else np.nan)
    return curve


def train_labcoat(
    env_id: str, hyper: dict[str, Any], hidden: tuple[int, ...], steps: int, seed: int,
    loss: str = "huber",
) -> tuple[Any, np.ndarray, np.ndarray]:  # fmt: skip
    """The labcoat DQN; returns the agent and its training episodes' returns and lengths."""
    agent = DQN(env_id, hidden_sizes=hidden, loss=loss, seed=seed, **hyper).learn(steps)
    return agent, np.asarray(agent.episode_returns), np.asarray(agent.episode_lengths)


def train_sb3(env_id: str, hyper: dict[str, Any], hidden: tuple[int, ...], steps: int,
              seed: int) -> tuple[Any, np.ndarray, np.ndarray]:  # fmt: skip
    """Stable-Baselines3's DQN (MlpPolicy with the same hidden layers, Huber loss)."""
    from stable_baselines3 import DQN as SB3DQN
    from stable_baselines3.common.monitor import Monitor

    env = Monitor(gym.make(env_id))
    policy_kwargs = {"net_arch": list(hidden)}
    model = SB3DQN("MlpPolicy", env, policy_kwargs=policy_kwargs, seed=seed, device="cpu",
                   verbose=0, **hyper)  # fmt: skip
    model.learn(steps)
    return model, np.asarray(env.get_episode_rewards()), np.asarray(env.get_episode_lengths())


def q_of(model: Any) -> np.ndarray:
    """q̂(high, ·) and q̂(low, ·) of a trained DQN (texting from high: -inf), shape (2, 3)."""
    states = np.array([HIGH, LOW])
    if isinstance(model, DQN):
        return model.q_values(states)
    import torch

    with torch.no_grad():
        q = model.q_net(model.policy.obs_to_tensor(states)[0]).double().numpy()
    return np.where(model.env.envs[0].unwrapped.valid_actions, q, -np.inf)


TRAINERS: dict[str, Callable[..., tuple[Any, np.ndarray, np.ndarray]]] = {
    "labcoat DQN": train_labcoat,
    "SB3 DQN": train_sb3,
    SQUARED: functools.partial(train_labcoat, loss="mse"),
}


def train_and_evaluate(config: Config, task: str, agent: str, k: int) -> Run:
    """Train ``agent`` on ``task`` with seed ``config.seed + k``, then evaluate it greedily."""
    env_id, hyper, hidden, budget_field = TASKS[task]
    steps = getattr(config, budget_field)
    start, cpu_start = time.perf_counter(), time.process_time()
    model, returns, lengths = TRAINERS[agent](env_id, hyper, hidden, steps, config.seed + k)
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    final, _ = evaluate_policy(
        model, gym.make(env_id), n_episodes=config.eval_episodes, seed=config.seed + 10_000 + k
    )
    curve = binned_curve(returns, lengths, steps, config.curve_bins)
    return Run(final, wall, cpu, curve, q_of(model) if task == "PlantWatering-v0" else np.empty(0))


def run(config: Config) -> Result:
    """Every agent on every task over the training seeds; tables, curves and q against q*."""
    plan = [(task, agent) for task in TASKS for agent in AGENTS] + [("PlantWatering-v0", SQUARED)]
    jobs = [(task, agent, k) for task, agent in plan for k in range(config.training_seeds)]
    runs: dict[tuple[str, str], list[Run]] = {key: [] for key in plan}
    for task, agent, k in track(jobs, "dqn", len(jobs)):
        runs[task, agent].append(train_and_evaluate(config, task, agent, k))
    exact = value_iteration(TabularModel.from_env(gym.make("labcoat/PlantWatering-v0")), 0.9)
    available = np.isfinite(exact.q)
    plant_q = {a: np.array([r.q for r in rs]) for (t, a), rs in runs.items() if t != "CartPole-v1"}
    q_error = {
        a: np.abs(q[:, available] - exact.q[available]).max(axis=1) for a, q in plant_q.items()
    }
    optimal = {
        a: float(np.mean([np.array_equal(np.argmax(q_k, axis=1), exact.policy) for q_k in q]))
        for a, q in plant_q.items()
    }
    final = {key: np.array([r.final_return for r in rs]) for key, rs in runs.items()}
    iqms = over_seeds({f"{t} / {a}": v for (t, a), v in final.items()})
    means = {f"{t} / {a}": stats.interval(v, stats.mean) for (t, a), v in final.items()}
    walls = {key: np.array([r.wall_time for r in rs]) for key, rs in runs.items()}
    cpus = {key: np.array([r.cpu_time for r in rs]) for key, rs in runs.items()}
    comparison = Table(
        f"Final greedy return ({config.eval_episodes} evaluation episodes per agent) over "
        f"{config.training_seeds} training seeds; CartPole {config.cartpole_timesteps} steps, "
        f"plant {config.plant_timesteps} steps per seed",
        ["task", "agent", "IQM [95% CI]", "mean [95% CI]", "wall time per seed (s)",
         "CPU time per seed (s)"],
        [[t, a, str(iqms[f"{t} / {a}"]), str(means[f"{t} / {a}"]), float(walls[t, a].mean()),
          float(cpus[t, a].mean())] for t, a in plan],
    )  # fmt: skip
    q_mean = {a: q.mean(axis=0) for a, q in plant_q.items()}
    q_table = Table(
        "Plant q against the exact q* (value iteration, gamma = 0.9): mean over seeds",
        ["q", "q*", *q_error],
        [[f"q({s}, {a})", exact.q[i, j], *[q_mean[n][i, j] for n in q_error]]
         for i, s in enumerate(("high", "low")) for j, a in enumerate(("on", "off", "text"))
         if available[i, j]]
        + [["max |q - q*| (IQM over seeds)", 0.0, *[float(stats.iqm(e[:, None]))
                                                      for e in q_error.values()]],
           ["fraction of seeds with the optimal greedy policy", 1.0, *optimal.values()]],
    )  # fmt: skip
    data = curve_data(config, runs)
    metrics = {
        "final_return_iqm": {k: i.estimate for k, i in iqms.items()},
        "final_return_over_seeds": seed_metrics(iqms, config.training_seeds),
        "final_return_mean": {k: [i.estimate, i.low, i.high] for k, i in means.items()},
        "wall_time_per_seed_s": {f"{t} / {a}": float(w.mean()) for (t, a), w in walls.items()},
        "cpu_time_per_seed_s": {f"{t} / {a}": float(c.mean()) for (t, a), c in cpus.items()},
        "plant_q_max_error": {a: e.tolist() for a, e in q_error.items()},
        "plant_optimal_policy_fraction": optimal,
        "plant_q_star": exact.q.tolist(),
    }
    return Result(
        tables={"comparison": comparison, "plant_q": q_table},
        figures={"dqn": dqn_figure(config, data, q_mean, exact.q)},
        data={"curves": data},
        metrics=metrics,
    )


def curve_data(config: Config, runs: dict[tuple[str, str], list[Run]]) -> dict[str, Any]:
    """IQM learning curves over seeds with 95 % bands, one column per task and agent."""
    data: dict[str, Any] = {"bin": np.arange(1, config.curve_bins + 1)}
    for (task, agent), rs in runs.items():
        curves = np.array([r.curve for r in rs])
        curves = np.where(np.isnan(curves), np.nanmin(curves, initial=0.0), curves)
        estimate, low, high = stats.pointwise(curves)
        key = f"{task}/{agent}"
        data[key], data[f"{key} low"], data[f"{key} high"] = estimate, low, high
    return data


def dqn_figure(config: Config, data: dict[str, Any], q_mean: dict[str, np.ndarray],
               q_star: np.ndarray) -> Figure:  # fmt: skip
    """Learning curves on both tasks and the plant's q against q*."""
    figure = Figure(figsize=(14, 4.6), layout="constrained")
    axes = figure.subplots(1, 3)
    for ax, (task, (_, _, _, field)) in zip(axes[:2], TASKS.items(), strict=True):
        steps = data["bin"] * getattr(config, field) / config.curve_bins
        for agent in (*AGENTS, SQUARED):
            key = f"{task}/{agent}"
            if key in data:
                ax.plot(steps, data[key], color=COLORS[agent], lw=1.8, label=agent)
                ax.fill_between(steps, data[f"{key} low"], data[f"{key} high"],
                                color=COLORS[agent], alpha=0.2)  # fmt: skip
        ax.set_xlabel("training step")
        ax.set_ylabel("training episode return (IQM over seeds, 95% band)")
        ax.set_title(f"{task}, {config.training_seeds} seeds")
        ax.grid(alpha=0.3)
        ax.legend(frameon=False, loc="lower right")
    _q_bars(axes[2], q_mean, q_star)
    figure.suptitle(titled("labcoat DQN against Stable-Baselines3 DQN (same settings)", config,
                           QUICK))  # fmt: skip
    return figure


def _q_bars(ax: Any, q_mean: dict[str, np.ndarray], q_star: np.ndarray) -> None:
    available = np.argwhere(np.isfinite(q_star))
    labels = [f"({('high', 'low')[i]}, {('on', 'off', 'text')[j]})" for i, j in available]
    series = {"q*": q_star, **q_mean}
    width = 0.8 / len(series)
    for n, (name, q) in enumerate(series.items()):
        x = np.arange(len(labels)) + (n - (len(series) - 1) / 2) * width
        ax.bar(x, [q[i, j] for i, j in available], width, color=COLORS[name], label=name)
    ax.set_xticks(np.arange(len(labels)), labels)
    ax.set_ylabel("q(s, a) (mean over seeds)")
    ax.set_title("PlantWatering-v0: learned q against the exact q*")
    ax.set_ylim(0, 1.3 * np.max(np.where(np.isfinite(q_star), q_star, 0.0)))
    ax.legend(frameon=False, fontsize=8, loc="upper right", ncol=2)
    ax.grid(alpha=0.3, axis="y")


QUICK = {"cartpole_timesteps": 1100, "plant_timesteps": 1100, "training_seeds": 2,
         "eval_episodes": 1, "curve_bins": 4}  # fmt: skip
"""The ``--quick`` settings."""

EXERCISE = Exercise(
    name="dqn",
    summary="Deep Q-learning from labcoat's parts vs Stable-Baselines3's DQN",
    config=Config,
    run=run,
    quick=QUICK,
)
