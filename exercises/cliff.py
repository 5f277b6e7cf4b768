"""Cliff walking: Sarsa against Q-learning (Sutton & Barto Example 6.6, notes eqs. 7.23-7.24).

A 4 x 12 grid; every step costs -1, stepping into the cliff costs -100 and sends the agent
back to the start. With epsilon-greedy exploration (epsilon = 0.1, alpha = 0.5), Q-learning
learns the values of the optimal path along the cliff edge (13 steps) but, exploring, falls
off it now and then; Sarsa, on-policy, learns the values of its own exploring behaviour and
takes the safer path further from the edge, so its online return is higher. Many independent
runs are simulated at once on the exact model (labcoat.agents.batched), as in Figure 6.4.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from labcoat.agents.batched import batched_control
from labcoat.agents.planning import TabularModel, policy_iteration
from labcoat.exercises._framework import (
    Exercise,
    Result,
    Table,
    check_bool,
    check_float,
    check_ints,
    track,
)
from labcoat.exercises._seeds import over_seeds, seed_metrics, titled

SHAPE, START, GOAL = (4, 12), 36, 47
MOVES = ((-1, 0), (0, 1), (1, 0), (0, -1))  # up, right, down, left (Gymnasium's order)
METHODS = {"Sarsa": "sarsa", "Q-learning": "q_learning", "Expected Sarsa": "expected_sarsa"}
COLORS = {"Sarsa": "#d62728", "Q-learning": "#1f77b4", "Expected Sarsa": "#2ca02c"}


@dataclass(frozen=True)
class Config:
    """Settings of the cliff exercise (defaults: Sutton & Barto's Example 6.6)."""

    n_runs: int = 50
    """Independent runs averaged over."""
    n_episodes: int = 500
    """Episodes per run."""
    epsilon: float = 0.1
    """Exploration probability of the epsilon-greedy behaviour."""
    learning_rate: float = 0.5
    """Step size alpha."""
    gamma: float = 1.0
    """Discount factor (the task is episodic: 1 is allowed)."""
    smoothing: int = 10
    """Width of the moving average of the reward curves (episodes)."""
    expected_sarsa: bool = True
    """Also run expected Sarsa."""
    seed: int = 0
    """Seed of all runs."""

    def __post_init__(self) -> None:
        check_ints(self, {"n_runs": 1, "n_episodes": 2, "smoothing": 1, "seed": 0})
        check_float("epsilon", self.epsilon, 0.0, 1.0)
        check_float("learning_rate", self.learning_rate, 0.0, 1.0, low_open=True)
        check_float("gamma", self.gamma, 0.0, 1.0)
        check_bool("expected_sarsa", self.expected_sarsa)


def greedy_path(q: np.ndarray, limit: int = 100) -> list[int]:
    """States visited by the greedy policy of q from the start.

    The walk stops at the goal, on falling off the cliff or after ``limit`` steps.
    """
    state, path = START, [START]
    while state != GOAL and len(path) <= limit:
        row, col = divmod(state, SHAPE[1])
        dr, dc = MOVES[int(np.argmax(q[state]))]
        row = min(max(row + dr, 0), SHAPE[0] - 1)
        col = min(max(col + dc, 0), SHAPE[1] - 1)
        state = row * SHAPE[1] + col
        path.append(state)
        if row == SHAPE[0] - 1 and 0 < col < SHAPE[1] - 1:
            break  # fell off the cliff
    return path


def smooth(curve: np.ndarray, width: int) -> np.ndarray:
    """Trailing moving average over ``width`` episodes (shorter at the start)."""
    cumulative = np.cumsum(np.insert(curve, 0, 0.0))
    n = np.arange(1, len(curve) + 1)
    start = np.maximum(n - width, 0)
    return (cumulative[n] - cumulative[start]) / (n - start)


def run(config: Config) -> Result:
    """Batched Sarsa, Q-learning (and expected Sarsa) runs; returns, paths and the figure."""
    import gymnasium as gym

    model = TabularModel.from_env(gym.make("CliffWalking-v1"))
    methods = {k: v for k, v in METHODS.items() if config.expected_sarsa or k != "Expected Sarsa"}
    results = {}
    for offset, (name, method) in enumerate(track(list(methods.items()), "cliff", len(methods))):
        results[name] = batched_control(
            model, method, n_runs=config.n_runs, n_episodes=config.n_episodes,
            gamma=config.gamma, learning_rate=config.learning_rate, epsilon=config.epsilon,
            seed=config.seed + offset,
        )  # fmt: skip
    optimal = policy_iteration(model, 1.0)
    curves = {name: r.episode_returns.mean(axis=0) for name, r in results.items()}
    paths = {name: greedy_path(r.q.mean(axis=0)) for name, r in results.items()}
    reached = {name: p[-1] == GOAL for name, p in paths.items()}
    tail = slice(config.n_episodes // 5, None)  # after the first fifth of training
    online = {name: float(c[tail].mean()) for name, c in curves.items()}
    per_run = {name: r.episode_returns[:, tail].mean(axis=1) for name, r in results.items()}
    intervals = over_seeds(per_run)
    single = {
        name: float(np.mean([greedy_path(q)[-1] == GOAL for q in r.q]))
        for name, r in results.items()
    }
    table = Table(
        f"Cliff walking, {config.n_runs} training seeds (runs) x {config.n_episodes} episodes "
        f"(epsilon={config.epsilon}, alpha={config.learning_rate})",
        ["method", "online return (episodes after the first fifth)",
         "IQM over seeds [95% CI]", "greedy path length",
         "runs whose greedy path reaches the goal"],
        [[n, online[n], str(intervals[n]), len(paths[n]) - 1 if reached[n] else "no", single[n]]
         for n in results],
    )  # fmt: skip
    data: dict[str, Any] = {"episode": np.arange(1, config.n_episodes + 1)}
    for name, curve in curves.items():
        key = name.lower().replace(" ", "_").replace("-", "_")
        data[f"{key}_return"] = curve
        data[f"{key}_return_smoothed"] = smooth(curve, config.smoothing)
    metrics = {
        "online_return": online,
        "path_length": {n: len(p) - 1 if reached[n] else None for n, p in paths.items()},
        "paths": paths,
        "optimal_path_length": int(-optimal.v[START]),
        "fraction_of_runs_reaching_goal": single,
        "online_return_over_seeds": seed_metrics(intervals, config.n_runs),
    }
    return Result(
        tables={"summary": table},
        figures={"cliff": cliff_figure(data, curves, paths, config)},
        data={"returns": data},
        metrics=metrics,
    )


def cliff_figure(
    data: dict[str, Any], curves: dict[str, np.ndarray], paths: dict[str, list[int]], config: Config
) -> Figure:
    """Smoothed reward per episode (Fig. 6.4) and the greedy paths on the grid."""
    figure = Figure(figsize=(11, 7.2), layout="constrained")
    curve_axes, grid_axes = figure.subplots(2, 1, height_ratios=[1.25, 1])
    for name in curves:
        key = name.lower().replace(" ", "_").replace("-", "_")
        curve_axes.plot(data["episode"], data[f"{key}_return_smoothed"], color=COLORS[name],
                        lw=1.8, label=name)  # fmt: skip
    curve_axes.set_ylim(-100, 0)
    curve_axes.set_xlabel("episode")
    curve_axes.set_ylabel("sum of rewards during episode")
    curve_axes.set_title(
        titled(
            f"Online return, mean of {config.n_runs} training seeds x {config.n_episodes} "
            f"episodes, moving average over {config.smoothing} episodes "
            f"(epsilon = {config.epsilon}, alpha = {config.learning_rate})",
            config,
            QUICK,
        )
    )
    curve_axes.legend(loc="lower right", frameon=False)
    curve_axes.grid(alpha=0.3)
    _draw_grid(grid_axes, paths)
    figure.suptitle("Cliff walking: Sarsa against Q-learning (Sutton & Barto Example 6.6)")
    return figure


def _draw_grid(axes: Any, paths: dict[str, list[int]]) -> None:
    rows, cols = SHAPE
    cliff = np.zeros(SHAPE)
    cliff[rows - 1, 1 : cols - 1] = 1.0
    axes.imshow(cliff, cmap="Greys", vmin=0, vmax=2.5, extent=(-0.5, cols - 0.5, rows - 0.5, -0.5))
    axes.set_xticks(np.arange(-0.5, cols, 1), minor=True)
    axes.set_yticks(np.arange(-0.5, rows, 1), minor=True)
    axes.grid(which="minor", color="#c8c8c8", lw=1.0)
    axes.tick_params(which="both", length=0, labelbottom=False, labelleft=False)
    axes.text((cols - 1) / 2, rows - 1, "The Cliff (-100)", ha="center", va="center")
    axes.text(0, rows - 1, "S", ha="center", va="center", fontsize=13, weight="bold")
    axes.text(cols - 1, rows - 1, "G", ha="center", va="center", fontsize=13, weight="bold")
    offsets = np.linspace(-0.12, 0.12, max(1, len(paths)))
    for offset, (name, path) in zip(offsets, paths.items(), strict=True):
        r, c = np.divmod(np.asarray(path), cols)
        steps = len(path) - 1
        axes.plot(c + offset, r + offset, color=COLORS[name], lw=2.4, marker="o", ms=3,
                  label=f"{name} greedy path ({steps} steps)")  # fmt: skip
    axes.set_title("Greedy paths of the run-averaged q after training")
    axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.02), ncol=len(paths), frameon=False)


QUICK = {"n_runs": 10, "n_episodes": 200, "expected_sarsa": False}
"""The ``--quick`` settings."""

EXERCISE = Exercise(
    name="cliff",
    summary="Cliff walking: Sarsa vs Q-learning (Sutton & Barto Example 6.6)",
    config=Config,
    run=run,
    quick=QUICK,
)
