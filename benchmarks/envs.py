"""Step cost of every labcoat environment against Gymnasium's FrozenLake-v1, and the vector bandit.

All environments are built with ``gym.make`` and its default wrappers (TimeLimit,
OrderEnforcing, PassiveEnvChecker), stepped with pre-sampled random valid actions and reset at
episode ends; every measurement is repeated (interleaved, so load on the machine hits all of
them alike) and the minimum over repeats is reported, the median in brackets.

Targets: each labcoat env with discrete actions steps within 1.5x FrozenLake's time; the
vectorized bandit (``gym.make_vec(..., vectorization_mode="vector_entry_point")``, 2000
testbeds) pulls at least 100x faster than 2000 ``gym.make`` bandits stepped in a Python loop.

Run: ``python benchmarks/envs.py`` (``--help`` for the sizes).
"""

from __future__ import annotations

import argparse
import statistics
from time import perf_counter
from typing import Any

import gymnasium as gym
import numpy as np

from labcoat.envs import ENV_IDS

REFERENCE = "FrozenLake-v1"
BANDIT = "labcoat/Bandit-v0"
STEP_TARGET = 1.5
VECTOR_TARGET = 100.0
VARIANTS: dict[str, list[dict[str, Any]]] = {
    "labcoat/ReactionOptimization-v0": [{"continuous": False}],
}
"""Constructor arguments measured besides each id's defaults (the Discrete variants)."""


def variants(env_ids: list[str]) -> dict[str, tuple[str, dict[str, Any]]]:
    """Label -> (id, keyword arguments): every id with its defaults, then its listed variants."""
    out: dict[str, tuple[str, dict[str, Any]]] = {}
    for env_id in env_ids:
        out[env_id] = (env_id, {})
        for kwargs in VARIANTS.get(env_id, []):
            label = ", ".join(f"{key}={value}" for key, value in kwargs.items())
            out[f"{env_id} ({label})"] = (env_id, kwargs)
    return out


def presampled_actions(env: gym.Env, n: int, seed: int) -> list[Any]:
    """n random actions valid in every state (Python ints for discrete action spaces)."""
    space = env.action_space
    valid = getattr(env.unwrapped, "valid_actions", None)
    if valid is not None:
        always = np.flatnonzero(np.asarray(valid).all(axis=0))
        return [int(a) for a in np.random.default_rng(seed).choice(always, n)]
    space.seed(seed)
    if isinstance(space, gym.spaces.Discrete):
        return [int(space.sample()) for _ in range(n)]
    return [space.sample() for _ in range(n)]


def seconds_per_step(env: gym.Env, actions: list[Any], seed: int) -> float:
    """Wall time of one ``env.step`` (resets at episode ends included)."""
    env.reset(seed=seed)
    step, reset = env.step, env.reset
    start = perf_counter()
    for action in actions:
        _, _, terminated, truncated, _ = step(action)
        if terminated or truncated:
            reset()
    return (perf_counter() - start) / len(actions)


def is_discrete(env: gym.Env) -> bool:
    """Discrete actions: the envs FrozenLake's step is a fair reference for."""
    return isinstance(env.action_space, gym.spaces.Discrete)


def step_ratios(env_ids: list[str], n_steps: int, repeats: int) -> bool:
    """Print each env's step time over FrozenLake's; return whether the discrete ones meet 1.5x."""
    specs = {REFERENCE: (REFERENCE, {}), **variants(env_ids)}
    names = list(specs)
    envs = {name: gym.make(env_id, **kwargs) for name, (env_id, kwargs) in specs.items()}
    actions = {name: presampled_actions(env, n_steps, seed=1) for name, env in envs.items()}
    times: dict[str, list[float]] = {name: [] for name in names}
    for repeat in range(repeats):
        for name in names:
            times[name].append(seconds_per_step(envs[name], actions[name], seed=repeat))
    best = {name: min(t) for name, t in times.items()}
    median = {name: statistics.median(t) for name, t in times.items()}
    print(f"step time, min over {repeats} repeats of {n_steps} steps (median in brackets)")
    print(f"  {REFERENCE:52s} {best[REFERENCE] * 1e6:6.2f} us  [{median[REFERENCE] * 1e6:6.2f}]")
    all_met = True
    for name in names[1:]:
        ratio, ratio_median = best[name] / best[REFERENCE], median[name] / median[REFERENCE]
        if is_discrete(envs[name]):
            met = ratio <= STEP_TARGET
            all_met &= met
            verdict = f"target <= {STEP_TARGET}x: {'met' if met else 'MISSED'}"
        else:
            verdict = "continuous actions: no target"
        print(
            f"  {name:52s} {best[name] * 1e6:6.2f} us  [{median[name] * 1e6:6.2f}]  "
            f"{ratio:5.2f}x FrozenLake [{ratio_median:5.2f}x]  {verdict}"
        )
    return all_met


def vector_pulls_per_second(num_envs: int, n_steps: int) -> float:
    """Pulls per second of the numpy-vectorized bandit (``vector_entry_point``)."""
    venv = gym.make_vec(BANDIT, num_envs=num_envs, vectorization_mode="vector_entry_point")
    venv.reset(seed=0)
    venv.action_space.seed(0)
    actions = [venv.action_space.sample() for _ in range(n_steps)]
    start = perf_counter()
    for action in actions:
        venv.step(action)
    return num_envs * n_steps / (perf_counter() - start)


def loop_pulls_per_second(num_envs: int, n_steps: int) -> float:
    """Pulls per second of ``num_envs`` separate ``gym.make`` bandits stepped in a Python loop."""
    envs = [gym.make(BANDIT) for _ in range(num_envs)]
    for i, env in enumerate(envs):
        env.reset(seed=i)
    space = envs[0].action_space
    assert isinstance(space, gym.spaces.Discrete)
    rng = np.random.default_rng(0)
    actions = rng.integers(0, int(space.n), size=(n_steps, num_envs)).tolist()
    start = perf_counter()
    for row in actions:
        for env, action in zip(envs, row, strict=True):
            _, _, terminated, truncated, _ = env.step(action)
            if terminated or truncated:
                env.reset()
    return num_envs * n_steps / (perf_counter() - start)


def vector_speedup(num_envs: int, vector_steps: int, loop_steps: int, repeats: int) -> bool:
    """Print the vectorized bandit's pulls/s against the loop's; return whether >= 100x."""
    vector = [vector_pulls_per_second(num_envs, vector_steps) for _ in range(repeats)]
    loop = [loop_pulls_per_second(num_envs, loop_steps) for _ in range(repeats)]
    ratio = max(vector) / max(loop)
    met = ratio >= VECTOR_TARGET
    print(f"{BANDIT} with {num_envs} testbeds, best of {repeats} (median in brackets)")
    print(f"  vector_entry_point  {max(vector):12,.0f} pulls/s  [{statistics.median(vector):,.0f}]")
    print(f"  Python loop         {max(loop):12,.0f} pulls/s  [{statistics.median(loop):,.0f}]")
    print(f"  speed-up {ratio:.0f}x  target >= {VECTOR_TARGET:.0f}x: {'met' if met else 'MISSED'}")
    return met


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20_000, help="steps per timing")
    parser.add_argument("--repeats", type=int, default=7, help="timings per environment")
    parser.add_argument("--envs", nargs="+", default=list(ENV_IDS), help="ids to measure")
    parser.add_argument("--testbeds", type=int, default=2000, help="parallel bandits")
    args = parser.parse_args()
    steps_met = step_ratios(args.envs, args.steps, args.repeats)
    vector_met = vector_speedup(args.testbeds, vector_steps=500, loop_steps=5, repeats=3)
    print("all targets met" if steps_met and vector_met else "SOME TARGETS MISSED")


if __name__ == "__main__":
    main()
