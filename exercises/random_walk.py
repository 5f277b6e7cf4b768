"""Random walks: TD(0) against Monte Carlo, and semi-gradient TD with state aggregation.

Part 1 (Sutton & Barto Example 6.2, Fig. 6.2): on the small random walk (5 states, start in
the middle, -1 / +1 at the left / right end), TD(0) (eq. 7.21) and constant-alpha every-visit
Monte Carlo (eq. 7.19 with a constant step) estimate v_pi from the same number of episodes.
The root-mean-square error against the true values (a linear solve of the Bellman equation,
eq. 7.7: v(i) = 2 i / (n + 1) - 1) is averaged over independent runs. The walk has rewards
-1 / +1 (Sutton & Barto's Example 6.2 uses 0 / +1 and starts from 0.5): the errors are twice
theirs, and the neutral initial value is 0.

Part 2 (Sutton & Barto §9.2-9.4, Figs. 9.1-9.2): semi-gradient TD(0) (eq. 7.25) with state
aggregation on the 1000-state walk. The true values, the exact TD fixed point w_TD = A^-1 b
(S&B eq. 9.12) and the minimizer of the value error (the limit of gradient Monte Carlo, eq. 9.1)
are computed exactly from the model; the learned weights (Polyak-averaged over the second half
of training, to remove the fluctuation of a constant step size) approach w_TD, not the VE
minimum.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gymnasium as gym
import numpy as np
from matplotlib.figure import Figure

import labcoat.envs  # noqa: F401  (registers the environments)
from labcoat.agents.features import StateAggregation
from labcoat.agents.planning import TabularModel, policy_evaluation
from labcoat.agents.semi_gradient import (
    LinearPrediction,
    SemiGradientTD,
    on_policy_distribution,
    td_fixed_point,
    value_error_minimizer,
)
from labcoat.agents.tabular import TD0, MonteCarlo
from labcoat.exercises._framework import (
    Exercise,
    Result,
    Table,
    check_float,
    check_floats,
    check_ints,
    track,
)

WALK = "labcoat/RandomWalk-v0"


@dataclass(frozen=True)
class Config:
    """Settings of the random-walk exercise (defaults: Sutton & Barto Fig. 6.2 and Fig. 9.2)."""

    small_size: int = 5
    """Non-terminal states of the walk of part 1 (5: Example 6.2; 19: chapter 7)."""
    n_runs: int = 100
    """Independent runs averaged in part 1."""
    n_episodes: int = 100
    """Episodes per run in part 1."""
    td_learning_rates: tuple[float, ...] = (0.05, 0.1, 0.15)
    """Step sizes alpha of TD(0) in part 1, each in (0, 1]."""
    mc_learning_rates: tuple[float, ...] = (0.01, 0.02, 0.03, 0.04)
    """Step sizes alpha of constant-alpha Monte Carlo in part 1, each in (0, 1]."""
    initial_value: float = 0.0
    """Initial estimate of every state in part 1."""
    size: int = 1000
    """Non-terminal states of the walk of part 2."""
    max_jump: int = 100
    """Largest jump to either side in part 2."""
    n_groups: int = 10
    """State-aggregation groups in part 2 (1 <= n_groups <= size)."""
    aggregation_episodes: int = 20_000
    """Training episodes of semi-gradient TD in part 2 (>= 2)."""
    aggregation_learning_rate: float = 0.002
    """Step size alpha of semi-gradient TD in part 2, in (0, 1]."""
    seed: int = 0
    """Seed of every run."""

    def __post_init__(self) -> None:
        counts = ("small_size", "n_runs", "n_episodes", "size", "max_jump", "n_groups")
        check_ints(self, {**dict.fromkeys(counts, 1), "aggregation_episodes": 2, "seed": 0})
        if self.n_groups > self.size:
            raise ValueError(f"n_groups must be at most size={self.size}, got {self.n_groups}")
        for name in ("td_learning_rates", "mc_learning_rates"):
            check_floats(name, getattr(self, name), 0.0, 1.0, low_open=True)
        rate = self.aggregation_learning_rate
        check_float("aggregation_learning_rate", rate, 0.0, 1.0, low_open=True)
        check_float("initial_value", self.initial_value)


def _walk(size: int, max_jump: int) -> gym.Env:
    return gym.make(WALK, size=size, max_jump=max_jump)


def _walk_policy(observation: Any) -> int:
    return 0  # the walk has one action


def true_values(env: gym.Env) -> np.ndarray:
    """v_pi of the walk by a linear solve of eq. 7.7 (zero on the two terminal states)."""
    n_states = int(env.observation_space.n)  # type: ignore[attr-defined]
    return policy_evaluation(TabularModel.from_env(env), np.zeros(n_states, dtype=np.int64), 1.0)


def rms_curve(agent: Any, v: np.ndarray, n_episodes: int) -> np.ndarray:
    """RMS error over the non-terminal states after 0, 1, ..., n_episodes episodes."""
    inner = slice(1, len(v) - 1)
    errors = [float(np.sqrt(np.mean((agent.v[inner] - v[inner]) ** 2)))]
    agent.learn(
        n_episodes=n_episodes,
        callback=lambda a: errors.append(float(np.sqrt(np.mean((a.v[inner] - v[inner]) ** 2)))),
    )
    return np.asarray(errors)


def td_against_monte_carlo(config: Config) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Mean RMS curves of TD(0) and constant-alpha MC for every step size (part 1)."""
    env = _walk(config.small_size, 1)
    v = true_values(env)
    methods = [("TD", a) for a in config.td_learning_rates]
    methods += [("MC", a) for a in config.mc_learning_rates]
    run_seeds = np.random.SeedSequence(config.seed).generate_state(config.n_runs).tolist()
    curves = {}
    for kind, alpha in track(methods, "TD(0) and Monte Carlo", len(methods)):
        total = np.zeros(config.n_episodes + 1)
        for run_seed in run_seeds:
            if kind == "TD":
                agent: Any = TD0(
                    env, _walk_policy, learning_rate=alpha, initial_v=config.initial_value,
                    seed=run_seed,
                )  # fmt: skip
            else:
                agent = MonteCarlo(
                    env, _walk_policy, learning_rate=alpha, first_visit=False,
                    initial_v=config.initial_value, seed=run_seed,
                )  # fmt: skip
            total += rms_curve(agent, v, config.n_episodes)
        curves[f"{kind} alpha={alpha:g}"] = total / config.n_runs
    return curves, v


def td_snapshots(config: Config) -> dict[str, np.ndarray]:
    """One TD(0) run's estimates after 0, 1, 10 and 100 episodes (Fig. 6.2, left)."""
    env = _walk(config.small_size, 1)
    alpha = sorted(config.td_learning_rates)[len(config.td_learning_rates) // 2]
    agent = TD0(
        env, _walk_policy, learning_rate=alpha, initial_v=config.initial_value, seed=config.seed
    )
    snapshots, done = {"0": agent.v[1:-1]}, 0
    for n in (1, 10, 100):
        agent.learn(n_episodes=n - done)
        snapshots[str(n)], done = agent.v[1:-1], n
    return snapshots


def state_aggregation(config: Config) -> dict[str, Any]:
    """Semi-gradient TD with state aggregation on the large walk, against the exact solutions."""
    env = _walk(config.size, config.max_jump)
    model = TabularModel.from_env(env)
    walk: Any = env.unwrapped
    n_states = int(walk.n_states)
    policy = np.zeros(n_states, dtype=np.int64)
    h = np.eye(n_states)[walk.start_state]
    features = StateAggregation(env.observation_space, config.n_groups, first=1, last=config.size)
    v = policy_evaluation(model, policy, 1.0)
    mu = on_policy_distribution(model, policy, h)
    problem = LinearPrediction(model, features, policy, 1.0, h)
    w_td, w_ve = td_fixed_point(problem), value_error_minimizer(problem)
    agent = SemiGradientTD(
        env, features=features, learning_rate=config.aggregation_learning_rate, seed=config.seed
    )
    warmup = config.aggregation_episodes // 2
    for _ in track(range(1), "semi-gradient TD, warm-up", 1):
        agent.learn(n_episodes=warmup)
    total, count = np.zeros(config.n_groups), 0

    def accumulate(a: SemiGradientTD) -> None:
        nonlocal total, count
        total, count = total + a.weights, count + 1

    for _ in track(range(1), "semi-gradient TD, averaging", 1):
        agent.learn(n_episodes=config.aggregation_episodes - warmup, callback=accumulate)
    w = total / count
    X = features(np.arange(n_states))
    value_error = {
        name: float(np.sum(mu * (v - X @ weights) ** 2))
        for name, weights in (("learned", w), ("td_fixed_point", w_td), ("ve_minimum", w_ve))
    }
    return {
        "v": v, "mu": mu, "w": w, "w_last": agent.weights, "w_td": w_td, "w_ve": w_ve, "X": X,
        "value_error": value_error, "steps": agent.num_timesteps,
    }  # fmt: skip


def run(config: Config) -> Result:
    """Part 1 (TD(0) vs MC RMS curves) and part 2 (state aggregation on the large walk)."""
    curves, v_small = td_against_monte_carlo(config)
    snapshots = td_snapshots(config)
    agg = state_aggregation(config)
    final = {name: float(c[-1]) for name, c in curves.items()}
    best = {kind: min(e for n, e in final.items() if n.startswith(kind)) for kind in ("TD", "MC")}
    gap = float(np.max(np.abs(agg["w"] - agg["w_td"])))
    rows = [[name, float(c[0]), float(c[len(c) // 10]), float(c[-1])] for name, c in curves.items()]
    summary = Table(
        f"RMS error of v over the {config.small_size}-state walk, mean of {config.n_runs} runs "
        "(rewards -1 / +1: twice Sutton & Barto's 0 / 1 figures)",
        ["method", "episode 0", f"episode {config.n_episodes // 10}",
         f"episode {config.n_episodes}"],
        rows,
    )  # fmt: skip
    aggregation = Table(
        f"Semi-gradient TD, {config.n_groups} groups on the {config.size}-state walk "
        f"({config.aggregation_episodes} episodes, alpha={config.aggregation_learning_rate})",
        ["weights", "value error VE (eq. 9.1)", "max |w - w_TD|"],
        [
            ["learned (Polyak average)", agg["value_error"]["learned"], gap],
            ["TD fixed point (exact)", agg["value_error"]["td_fixed_point"], 0.0],
            ["VE minimum = gradient MC (exact)", agg["value_error"]["ve_minimum"],
             float(np.max(np.abs(agg["w_ve"] - agg["w_td"])))],
        ],
    )  # fmt: skip
    states = np.arange(len(agg["v"]))
    data = {
        "rms": {"episode": np.arange(config.n_episodes + 1), **curves},
        "aggregation": {
            "state": states, "true_value": agg["v"], "learned": agg["X"] @ agg["w"],
            "td_fixed_point": agg["X"] @ agg["w_td"], "ve_minimum": agg["X"] @ agg["w_ve"],
            "on_policy_distribution": agg["mu"],
        },
    }  # fmt: skip
    metrics = {
        "true_values_small": v_small[1:-1],
        "final_rms": final,
        "best_final_rms": best,
        "aggregation": {
            "learned_weights": agg["w"],
            "td_fixed_point": agg["w_td"],
            "ve_minimum": agg["w_ve"],
            "max_abs_learned_minus_td_fixed_point": gap,
            "value_error": agg["value_error"],
            "steps": agg["steps"],
        },
    }
    return Result(
        tables={"rms": summary, "aggregation": aggregation},
        figures={
            "td_vs_mc": td_mc_figure(curves, snapshots, v_small, config),
            "state_aggregation": aggregation_figure(agg, config),
        },
        data=data,
        metrics=metrics,
    )


def td_mc_figure(
    curves: dict[str, np.ndarray], snapshots: dict[str, np.ndarray], v: np.ndarray, config: Config
) -> Figure:
    """Fig. 6.2: TD(0) estimates after some episodes, and the RMS curves of TD and MC."""
    figure = Figure(figsize=(12, 4.6), layout="constrained")
    left, right = figure.subplots(1, 2)
    states = np.arange(1, config.small_size + 1)
    for n, values in snapshots.items():
        left.plot(states, values, marker="o", label=f"after {n} episode(s)")
    left.plot(states, v[1:-1], color="black", lw=2, label="true values")
    left.set_xlabel("state")
    left.set_ylabel("estimated value")
    left.set_title("TD(0) estimates, one run")
    left.legend(frameon=False)
    for name, curve in curves.items():
        style = "-" if name.startswith("TD") else "--"
        right.plot(np.arange(len(curve)), curve, style, label=name)
    right.set_xlabel("walks / episodes")
    right.set_ylabel("RMS error, averaged over states")
    right.set_title(
        f"Empirical RMS error, mean of {config.n_runs} runs of {config.n_episodes} episodes\n"
        "(rewards -1 / +1: twice Sutton & Barto's errors with 0 / 1 rewards)"
    )
    right.legend(frameon=False, ncol=2)
    figure.suptitle(f"TD(0) against constant-alpha Monte Carlo, {config.small_size}-state walk")
    return figure


def aggregation_figure(agg: dict[str, Any], config: Config) -> Figure:
    """Fig. 9.1/9.2-style: true values, the exact TD fixed point and the learned step curve."""
    figure = Figure(figsize=(9, 5), layout="constrained")
    axes = figure.subplots()
    states = np.arange(1, config.size + 1)
    inner = slice(1, config.size + 1)
    axes.plot(states, agg["v"][inner], color="black", lw=2, label="true value v_pi")
    axes.step(states, (agg["X"] @ agg["w"])[inner], where="mid", color="#d62728", lw=1.6,
              label="semi-gradient TD (learned)")  # fmt: skip
    axes.step(states, (agg["X"] @ agg["w_td"])[inner], where="mid", color="#1f77b4", ls="--",
              lw=1.2, label="TD fixed point (exact)")  # fmt: skip
    axes.step(states, (agg["X"] @ agg["w_ve"])[inner], where="mid", color="#2ca02c", ls=":",
              lw=1.4, label="VE minimum / gradient MC (exact)")  # fmt: skip
    axes.set_xlabel("state")
    axes.set_ylabel("value")
    axes.legend(loc="upper left", frameon=False)
    twin = axes.twinx()
    twin.fill_between(states, agg["mu"][inner], color="grey", alpha=0.2, step="mid")
    twin.set_ylabel("on-policy distribution mu (grey)")
    twin.set_ylim(0, 2 * float(agg["mu"].max()))
    axes.set_title(
        f"State aggregation, {config.n_groups} groups, {config.size}-state walk "
        f"(jumps up to {config.max_jump}); {config.aggregation_episodes:,} training episodes"
    )
    return figure


EXERCISE = Exercise(
    name="random-walk",
    summary="TD(0) vs Monte Carlo; semi-gradient TD on the 1000-state walk",
    config=Config,
    run=run,
    quick={
        "n_runs": 20,
        "n_episodes": 50,
        "aggregation_episodes": 1000,
        "aggregation_learning_rate": 0.02,
    },
    groups={
        "environment": ("small_size", "size", "max_jump"),
        "agent": (
            "td_learning_rates",
            "mc_learning_rates",
            "initial_value",
            "n_groups",
            "aggregation_learning_rate",
        ),
    },
)
