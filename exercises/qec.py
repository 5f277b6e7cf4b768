"""Quantum error correction as a game: a deep Q-network against minimum-weight matching.

The distance-d toric code (``labcoat/ToricCode-v0``, 2d² qubits) suffers independent bit flips
with probability p. For each d and p the exercise draws ``n_errors`` errors e (one seeded
stream, the same errors for every decoder) and reports the logical error rate P_L, the
fraction of errors whose residual e + c (c the decoder's correction) is a logical operator or
still has a syndrome, with a 95 % Wilson interval:

- no correction (c = 0): every error that is not a product of stabilizers is a failure;
- minimum-weight perfect matching (:func:`labcoat.agents.decoders.mwpm_correction`);
- an agent trained on ``ToricCode-v0`` (default Stable-Baselines3's DQN; ``agent`` picks the
  trainer from :data:`AGENTS`) acting greedily, one flip per step, until the syndrome clears
  or ``flips_per_distance`` x d flips are spent (a failure);
- and, for scale, one unencoded qubit: P_L = p.

The MWPM curves of d = 3 and d = 5 cross near the code's threshold; the known threshold of
MWPM for independent bit flips and perfect syndromes is p_c ≈ 10.3 % (Dennis et al. 2002;
Wang, Harrington & Preskill 2003), but the crossing of small codes is shifted from it
(finite-size effects): the exercise reports what it measures.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
from matplotlib.figure import Figure
from scipy.stats import binomtest

from labcoat.agents.decoders import mwpm_correction
from labcoat.agents.policies import PredictsActions
from labcoat.envs.toric_code import is_logical_error, syndrome
from labcoat.exercises._framework import (
    Exercise,
    Result,
    Table,
    check_choice,
    check_float,
    check_int,
    check_ints,
    track,
)
from labcoat.exercises._seeds import titled

THRESHOLD_REFERENCE = 0.103
"""MWPM threshold for independent bit flips, perfect syndromes (Wang, Harrington & Preskill)."""
DECODERS = ("no correction", "MWPM", "agent")
COLORS = {3: "#1f77b4", 5: "#d62728", 7: "#2ca02c"}


@dataclass(frozen=True)
class Config:
    """Settings of the decoding comparison."""

    seed: int = 0
    """One seed for the errors and the agents' training."""
    distances: tuple[int, ...] = (3, 5)
    """Code distances d (each in [2, 9]); the first two give the threshold estimate."""
    p_values: tuple[float, ...] = (0.01, 0.02, 0.04, 0.06, 0.08, 0.09, 0.10, 0.11, 0.12, 0.15)
    """Bit-flip probabilities p (each in (0, 0.5])."""
    n_errors: int = 20_000
    """Errors drawn per (d, p) for no correction and MWPM."""
    agent: str = "sb3-dqn"
    """The agent's trainer (a key of AGENTS), or "none" to leave the agent out."""
    agent_timesteps: tuple[int, ...] = (30_000, 50_000)
    """Training steps of the agent for each distance (0: no agent for that d)."""
    agent_errors: int = 4_000
    """Errors per (d, p) on which the trained agent is evaluated (the first of the n_errors)."""
    train_p: float = 0.08
    """Bit-flip probability of the training episodes."""
    step_reward: float = -0.05
    """Reward of each flip during training (success +1)."""
    failure_reward: float = 0.0
    """Reward of a logical error during training (0: no worse than running out of flips)."""
    flips_per_distance: int = 3
    """Episode limit: flips_per_distance x d flips (training and evaluation)."""

    def __post_init__(self) -> None:
        check_ints(self, {"seed": 0, "n_errors": 1, "agent_errors": 1, "flips_per_distance": 1})
        check_choice("agent", self.agent, ("none", *AGENTS))
        for i, d in enumerate(_entries("distances", self.distances, None)):
            check_int(f"distances[{i}]", d, 2, 9)
        if len(set(self.distances)) < len(self.distances):
            raise ValueError(f"distances must be different, got {self.distances!r}")
        for i, p in enumerate(_entries("p_values", self.p_values, None)):
            check_float(f"p_values[{i}]", p, 0.0, 0.5, low_open=True)
        lengths = (1, len(self.distances))
        for i, steps in enumerate(_entries("agent_timesteps", self.agent_timesteps, lengths)):
            check_int(f"agent_timesteps[{i}]", steps, 0)
        check_float("train_p", self.train_p, 0.0, 0.5, low_open=True)
        check_float("step_reward", self.step_reward, high=0.0)
        check_float("failure_reward", self.failure_reward, high=0.0)

    def timesteps(self, d: int) -> int:
        """The agent's training steps for distance ``d``."""
        steps = self.agent_timesteps
        return steps[0] if len(steps) == 1 else steps[self.distances.index(d)]


def _entries(name: str, value: object, lengths: tuple[int, ...] | None) -> tuple[Any, ...]:
    """``value`` checked to be a non-empty tuple (of one of ``lengths``, when given)."""
    if not isinstance(value, tuple) or not value:
        raise TypeError(f"{name} must be a non-empty tuple, got {value!r}")
    if lengths is not None and len(value) not in lengths:
        allowed = " or ".join(map(str, sorted(set(lengths))))
        raise ValueError(f"{name} must have {allowed} entries, got {value!r}")
    return value


def train_sb3_dqn(d: int, config: Config, seed: int) -> PredictsActions:
    """Stable-Baselines3's DQN (MLP 128-128) on ``ToricCode-v0`` at p = ``train_p``."""
    import gymnasium as gym
    from stable_baselines3 import DQN

    import labcoat.envs  # noqa: F401  (registers the ids)

    env = gym.make(
        "labcoat/ToricCode-v0",
        d=d,
        p=config.train_p,
        step_reward=config.step_reward,
        failure_reward=config.failure_reward,
        max_episode_steps=config.flips_per_distance * d,
    )
    model = DQN(
        "MlpPolicy",
        env,
        learning_rate=5e-4,
        buffer_size=50_000,
        learning_starts=1_000,
        batch_size=64,
        gamma=0.95,
        target_update_interval=1_000,
        exploration_fraction=0.3,
        exploration_final_eps=0.02,
        policy_kwargs={"net_arch": [128, 128]},
        seed=seed,
        device="cpu",
    )
    model.learn(total_timesteps=config.timesteps(d))
    return cast(PredictsActions, model)


AGENTS: dict[str, Callable[[int, Config, int], PredictsActions]] = {"sb3-dqn": train_sb3_dqn}
"""Agent name -> trainer(d, config, seed) returning an object with SB3's ``predict``."""


def draw_errors(rng: np.random.Generator, n: int, d: int, p: float) -> np.ndarray:
    """``n`` independent bit-flip errors on the 2d² qubits, each qubit flipped with prob. p."""
    return (rng.random((n, 2 * d * d)) < p).astype(np.uint8)


def failures_without_correction(errors: np.ndarray) -> np.ndarray:
    """Whether each error corrupts the code word left alone: a syndrome or a logical error."""
    seen = syndrome(errors).any(axis=(-2, -1))
    failed = seen.copy()
    failed[~seen] = is_logical_error(errors[~seen])
    return failed


def failures_after(errors: np.ndarray, corrections: np.ndarray) -> np.ndarray:
    """Whether e + c is a logical error or still has a syndrome (each row an error)."""
    return failures_without_correction(errors ^ corrections)


def agent_failures(agent: PredictsActions, errors: np.ndarray, max_flips: int) -> np.ndarray:
    """Greedy episodes of ``agent`` from each error, all at once (the rules of ToricCode-v0).

    Every episode with a syndrome gets the agent's flip for its syndrome (one batched
    ``predict``), until the syndrome is clear or ``max_flips`` flips are spent. An error with
    an empty syndrome leaves the agent nothing to do.
    """
    residual = errors.copy()
    for _ in range(max_flips):
        open_ = syndrome(residual).any(axis=(-2, -1))
        if not open_.any():
            break
        observations = syndrome(residual[open_]).astype(np.int8)
        actions, _ = agent.predict(observations, deterministic=True)
        residual[np.flatnonzero(open_), np.asarray(actions).reshape(-1)] ^= 1
    return failures_without_correction(residual)


def wilson(failures: np.ndarray) -> tuple[float, float, float]:
    """The failure rate and its 95 % Wilson score interval."""
    k, n = int(failures.sum()), len(failures)
    interval = binomtest(k, n).proportion_ci(0.95, method="wilson")
    return k / n, float(interval.low), float(interval.high)


def crossing(p: np.ndarray, small: np.ndarray, large: np.ndarray) -> float | None:
    """The p where the larger code stops being better (the finite-size threshold estimate).

    The first sign change of large - small from negative to positive, linearly interpolated
    between the two p values around it; None without one.
    """
    diff = large - small
    for i in range(len(p) - 1):
        if diff[i] < 0 <= diff[i + 1]:
            return float(p[i] + (p[i + 1] - p[i]) * -diff[i] / (diff[i + 1] - diff[i]))
    return None


def _evaluate(
    config: Config, i: int, d: int, agent: PredictsActions | None
) -> dict[str, np.ndarray]:
    """Failure rate and interval, shape (len(p_values), 3) each, of every decoder at d."""
    rows: dict[str, list[tuple[float, float, float]]] = {name: [] for name in DECODERS}
    for j, p in enumerate(config.p_values):
        errors = draw_errors(np.random.default_rng([config.seed, 0, i, j]), config.n_errors, d, p)
        rows["no correction"].append(wilson(failures_without_correction(errors)))
        rows["MWPM"].append(wilson(failures_after(errors, mwpm_correction(syndrome(errors)))))
        if agent is not None:
            limit = config.flips_per_distance * d
            rows["agent"].append(
                wilson(agent_failures(agent, errors[: config.agent_errors], limit))
            )
    return {name: np.array(values) for name, values in rows.items() if values}


def run(config: Config) -> Result:
    """Train the agent for each d, then the failure rates of every decoder against p."""
    rates: dict[int, dict[str, np.ndarray]] = {}
    seconds: dict[int, float] = {}
    for i, d in enumerate(track(config.distances, "distances", total=len(config.distances))):
        agent = None
        if config.agent != "none" and config.timesteps(d) > 0:
            started = time.perf_counter()
            seed = int(np.random.SeedSequence([config.seed, 1, i]).generate_state(1)[0])
            agent = AGENTS[config.agent](d, config, seed)
            seconds[d] = time.perf_counter() - started
        rates[d] = _evaluate(config, i, d, agent)
    return _result(config, rates, seconds)


def _threshold(config: Config, rates: dict[int, dict[str, np.ndarray]]) -> float | None:
    """The MWPM crossing of the two smallest distances (None with one distance)."""
    if len(rates) < 2:
        return None
    small, large = sorted(rates)[:2]
    order = np.argsort(config.p_values)
    p = np.asarray(config.p_values)[order]
    return crossing(p, rates[small]["MWPM"][order, 0], rates[large]["MWPM"][order, 0])


def _cell(values: np.ndarray) -> str:
    rate, low, high = values
    return f"{rate:.4f} [{low:.4f}, {high:.4f}]"


def _result(
    config: Config, rates: dict[int, dict[str, np.ndarray]], seconds: dict[int, float]
) -> Result:
    threshold = _threshold(config, rates)
    rows = []
    data: dict[str, Any] = {"p": np.asarray(config.p_values)}
    for d, by_decoder in rates.items():
        for j, p in enumerate(config.p_values):
            cells = [
                _cell(by_decoder[k][j]) if k in by_decoder else "not trained" for k in DECODERS
            ]
            rows.append([d, p, *cells])
        for name, values in by_decoder.items():
            for column, k in (("rate", 0), ("ci low", 1), ("ci high", 2)):
                data[f"d={d} {name} {column}"] = values[:, k]
    agent = f"agent ({config.agent}, {config.agent_errors:,} errors)"
    table = Table(
        title=f"Logical error rate P_L [95 % Wilson interval] ({config.n_errors:,} errors per "
        f"(d, p); MWPM crossing of d = {min(rates)} and the next: "
        + (f"p = {threshold:.4f}" if threshold is not None else "none in range")
        + f"; known MWPM threshold {THRESHOLD_REFERENCE})",
        columns=["d", "p", "no correction", "MWPM", agent],
        rows=rows,
    )
    metrics = {
        "p_values": list(config.p_values),
        "rates": {
            f"d={d}": {name: v[:, 0].tolist() for name, v in by.items()} for d, by in rates.items()
        },
        "ci95_low": {
            f"d={d}": {name: v[:, 1].tolist() for name, v in by.items()} for d, by in rates.items()
        },
        "ci95_high": {
            f"d={d}": {name: v[:, 2].tolist() for name, v in by.items()} for d, by in rates.items()
        },
        "mwpm_threshold_estimate": threshold,
        "mwpm_threshold_reference": THRESHOLD_REFERENCE,
        "agent": config.agent,
        "agent_training_seconds": {f"d={d}": s for d, s in seconds.items()},
    }
    return Result(
        tables={"logical_error_rates": table},
        figures={"qec": _figure(config, rates, threshold)},
        data={"rates": data},
        metrics=metrics,
    )


def _figure(
    config: Config, rates: dict[int, dict[str, np.ndarray]], threshold: float | None
) -> Figure:
    figure = Figure(figsize=(11, 4.2), layout="constrained")
    left, right = figure.subplots(1, 2)
    order = np.argsort(config.p_values)
    p = np.asarray(config.p_values)[order]
    styles = {"no correction": ":", "MWPM": "-", "agent": "--"}
    for d, by_decoder in rates.items():
        color = COLORS.get(d, "#7f7f7f")
        for name, values in by_decoder.items():
            rate, low, high = values[order].T
            label = f"d={d} {name}" + (f" ({config.agent})" if name == "agent" else "")
            for axes in (left, right) if name == "MWPM" else (left,):
                axes.errorbar(p, rate, yerr=[rate - low, high - rate], color=color,
                              linestyle=styles[name], marker="o", markersize=3, label=label,
                              capsize=2)  # fmt: skip
    left.plot(p, p, color="black", linewidth=0.8, label="one unencoded qubit (P_L = p)")
    left.set(xscale="log", yscale="log", xlabel="bit-flip probability p",
             ylabel="logical error rate P_L")  # fmt: skip
    left.set_title(titled("Toric code: logical error rate (95 % Wilson)", config, QUICK))
    right.axvline(THRESHOLD_REFERENCE, color="black", linestyle="--",
                  label=f"known MWPM threshold {THRESHOLD_REFERENCE}")  # fmt: skip
    if threshold is not None:
        right.axvline(threshold, color="#ff7f0e", label=f"measured crossing {threshold:.3f}")
    right.set(xlabel="bit-flip probability p", ylabel="logical error rate P_L",
              title="MWPM curves cross near the threshold")  # fmt: skip
    left.legend(fontsize="x-small")
    right.legend(fontsize="x-small")
    return figure


QUICK = {
    "distances": (3, 5),
    "p_values": (0.02, 0.06, 0.1, 0.14),
    "n_errors": 2000,
    "agent_timesteps": (1000, 0),
    "agent_errors": 300,
}
"""The ``--quick`` settings."""

EXERCISE = Exercise(
    name="qec",
    summary="Toric code: DQN agent vs minimum-weight matching vs no correction",
    config=Config,
    run=run,
    quick=QUICK,
    groups={
        "environment": ("distances", "p_values", "flips_per_distance"),
        "agent": ("agent", "agent_timesteps", "train_p", "step_reward", "failure_reward"),
    },
)
