"""The robot arm that collects samples: value iteration's shortest tour against Q-learning.

``labcoat/SampleCollector-v0`` with Discrete actions is a finite MDP: the two joint angles on a
grid times the subset of samples collected. With gamma = 1 the return is n_samples minus the
move cost times the number of steps, so value iteration (eq. 7.18 of the notes) on the exact
model finds the tour that collects every sample in the fewest steps; its greedy path is drawn
on the table. Q-learning (eq. 7.24) learns the same task from experience, ``n_runs``
independent runs at once on the exact model (labcoat.agents.batched): its episode lengths fall
towards the optimum and its greedy policies' tours are compared with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from labcoat.agents.batched import batched_control
from labcoat.agents.planning import TabularModel, value_iteration
from labcoat.envs.sample_collector import SampleCollectorEnv, gripper_position
from labcoat.exercises._framework import Exercise, Result, Table, check_float, check_ints
from labcoat.exercises._seeds import titled


@dataclass(frozen=True)
class Config:
    """Settings of the robot-arm exercise."""

    seed: int = 0
    """Seed of the slips, the learners and the greedy rollouts."""
    n_angles: int = 16
    """Grid angles per joint (4 to 64)."""
    n_samples: int = 3
    """Samples on the table (1 to 6)."""
    layout_seed: int = 0
    """Seed of the samples' positions."""
    slip: float = 0.0
    """Probability that a move fails (the arm stays)."""
    n_runs: int = 20
    """Independent Q-learning runs."""
    n_episodes: int = 400
    """Episodes per Q-learning run."""
    epsilon: float = 0.1
    """Exploration probability of Q-learning's epsilon-greedy behaviour."""
    learning_rate: float = 0.5
    """Q-learning's step size alpha."""
    max_episode_steps: int = 200
    """Time limit of every episode (training and greedy tours)."""

    def __post_init__(self) -> None:
        check_ints(
            self,
            {
                "seed": 0,
                "n_angles": 4,
                "n_samples": 1,
                "layout_seed": 0,
                "n_runs": 1,
                "n_episodes": 1,
                "max_episode_steps": 1,
            },
        )
        check_float("slip", self.slip, 0.0, 1.0, high_open=True)
        check_float("epsilon", self.epsilon, 0.0, 1.0)
        check_float("learning_rate", self.learning_rate, 0.0, 1.0, low_open=True)


def make_env(config: Config) -> SampleCollectorEnv:
    """The Discrete SampleCollector of the config (the env checks the ranges)."""
    return SampleCollectorEnv(
        n_angles=config.n_angles,
        n_samples=config.n_samples,
        layout_seed=config.layout_seed,
        slip=config.slip,
    )


def greedy_tour(env: SampleCollectorEnv, q: np.ndarray, seed: int, limit: int) -> list[int]:
    """States visited acting greedily on ``q`` from the start until done or ``limit`` steps."""
    state, _ = env.reset(seed=seed)
    states, done = [state], False
    while not done and len(states) <= limit:
        state, _, done, _, _ = env.step(int(np.argmax(q[state])))
        states.append(state)
    return states


def run(config: Config) -> Result:
    """Value iteration (gamma = 1) and batched Q-learning on the same arm and layout."""
    env = make_env(config)
    model = TabularModel.from_env(env)
    plan = value_iteration(model, gamma=1.0)
    tour = greedy_tour(env, plan.q, config.seed, config.max_episode_steps)
    learned = batched_control(
        model,
        "q_learning",
        n_runs=config.n_runs,
        n_episodes=config.n_episodes,
        gamma=1.0,
        learning_rate=config.learning_rate,
        epsilon=config.epsilon,
        max_episode_steps=config.max_episode_steps,
        seed=config.seed,
    )
    limit = config.max_episode_steps
    learned_steps = np.array([len(greedy_tour(env, q, config.seed, limit)) - 1 for q in learned.q])
    return _result(config, env, plan.v[env.start_state], tour, learned_steps, learned)


def _result(
    config: Config,
    env: SampleCollectorEnv,
    v_start: float,
    tour: list[int],
    learned_steps: np.ndarray,
    learned: Any,
) -> Result:
    steps = len(tour) - 1
    finished = learned_steps < config.max_episode_steps
    expected = (env.n_samples * env.sample_reward - v_start) / -env.move_reward
    table = Table(
        title=f"Steps to collect all {env.n_samples} samples ({config.n_angles}² joint angles; "
        f"Q-learning: {config.n_runs} runs x {config.n_episodes} episodes)",
        columns=["method", "greedy tour (steps)", "min", "max", "runs that collect all"],
        rows=[
            ["value iteration (gamma = 1)", steps, steps, steps, "1 / 1"],
            [
                "Q-learning, greedy",
                float(learned_steps.mean()),
                int(learned_steps.min()),
                int(learned_steps.max()),
                f"{int(finished.sum())} / {config.n_runs}",
            ],
        ],
    )
    metrics = {
        "optimal_steps": steps,
        "v_star_start": float(v_start),
        "expected_optimal_steps": float(expected),
        "q_learning_greedy_steps": learned_steps.tolist(),
        "q_learning_fraction_finished": float(finished.mean()),
        "q_learning_last_episode_length": float(learned.episode_lengths[:, -1].mean()),
        "samples": env.samples.tolist(),
    }
    lengths = learned.episode_lengths
    data = {
        "episode": np.arange(1, config.n_episodes + 1),
        "length mean": lengths.mean(axis=0),
        "length q25": np.quantile(lengths, 0.25, axis=0),
        "length q75": np.quantile(lengths, 0.75, axis=0),
    }
    return Result(
        tables={"tours": table},
        figures={"arm": _figure(config, env, tour, lengths, expected)},
        data={"learning": data},
        metrics=metrics,
    )


def _figure(
    config: Config, env: SampleCollectorEnv, tour: list[int], lengths: np.ndarray, optimum: float
) -> Figure:
    figure = Figure(figsize=(11, 4.6), layout="constrained")
    table, curve = figure.subplots(1, 2)
    for x, y in env.samples:
        table.add_patch(_disc(x, y, env.radius))
    cells = [s >> env.n_samples for s in tour]
    angles = np.array([divmod(c, env.n_angles) for c in cells]) * env.grid_step
    elbows = np.stack(gripper_position(angles[:, 0], 0.0, env.l1, 0.0), axis=1)
    grippers = np.stack(gripper_position(angles[:, 0], angles[:, 1], env.l1, env.l2), axis=1)
    for k, (elbow, gripper) in enumerate(zip(elbows, grippers, strict=True)):
        shade = 0.2 + 0.8 * k / max(len(tour) - 1, 1)
        table.plot([0, elbow[0], gripper[0]], [0, elbow[1], gripper[1]], color=(0.1, 0.1, 0.5),
                   alpha=shade, linewidth=1.5)  # fmt: skip
    table.plot(grippers[:, 0], grippers[:, 1], "o-", color="#d62728", markersize=3,
               label="gripper, value iteration's tour")  # fmt: skip
    reach = env.l1 + env.l2 + env.radius
    table.set(xlim=(-reach, reach), ylim=(-reach, reach), aspect="equal",
              title=f"The optimal tour: {len(tour) - 1} steps (samples green)")  # fmt: skip
    table.legend(fontsize="small", loc="lower left")
    episodes = np.arange(1, lengths.shape[1] + 1)
    curve.plot(episodes, lengths.mean(axis=0), color="#1f77b4", label="Q-learning (mean)")
    curve.fill_between(episodes, *np.quantile(lengths, [0.25, 0.75], axis=0), color="#1f77b4",
                       alpha=0.2, label="interquartile range over runs")  # fmt: skip
    curve.axhline(optimum, color="black", linestyle="--", label="optimum (value iteration)")
    title = titled("Q-learning's episodes shorten towards the optimum", config, QUICK)
    curve.set(yscale="log", xlabel="episode", ylabel="steps per episode", title=title)
    curve.legend(fontsize="small")
    return figure


def _disc(x: float, y: float, radius: float) -> Any:
    from matplotlib.patches import Circle

    return Circle((x, y), radius, color="#2ca02c", alpha=0.6)


QUICK = {"n_angles": 8, "n_samples": 2, "n_runs": 5, "n_episodes": 100}
"""The ``--quick`` settings."""

EXERCISE = Exercise(
    name="arm",
    summary="Robot arm collecting samples: value iteration's tour vs Q-learning",
    config=Config,
    run=run,
    quick=QUICK,
    groups={
        "environment": ("n_angles", "n_samples", "layout_seed", "slip", "max_episode_steps"),
        "agent": ("n_runs", "n_episodes", "epsilon", "learning_rate"),
    },
)
