"""Value iteration on a sparse gridworld: labcoat against a hand-written scipy.sparse loop.

Honest by construction:
- the two sides alternate (A B A B ...) and each row prints the median and minimum of the
  per-run ratios (ours / theirs) with the times;
- equal work: both start from the env's toy-text table ``P`` (labcoat: ``TabularModel.from_env``;
  by hand: a CSR matrix filled from ``P`` in one pass) and run value iteration with the same
  stopping rule (MacQueen's bounds, half-width <= 1e-6, so ||v - v*||_inf <= 1e-6 on both
  sides); the rows print both sweep counts and the measured ||v - v*||_inf against a reference
  solved to 1e-10;
- the solve alone (model already built) is timed as well, and the peak memory of build + solve
  (tracemalloc, in separate runs: tracing slows allocation) is printed for each side next to
  the memory a dense S x A x S array would take.

Targets: at 100 x 100 (10^4 states) <= 1.5x the time and <= 2x the peak memory of the hand
loop; ``--large``: 1000 x 1000 (10^6 states) solved within 8 GB and 10 minutes;
``--policy-iteration``: <= 1.1x a numpy floor (dense policy iteration written by hand, same
start and improvement rule, so the same steps) on a dense random MDP of 2000 states.

Run: ``python benchmarks/planning.py`` (100 x 100, about a minute), ``--large`` (labcoat alone
at 1000 x 1000: time and peak resident memory).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import time
import tracemalloc
from collections.abc import Callable

import numpy as np
import scipy.sparse as sp

from labcoat.agents.planning import TabularModel, policy_iteration, value_iteration
from labcoat.envs.grid_world import GridWorldEnv

GAMMA, TOL = 0.99, 1e-6


def grid(size: int) -> GridWorldEnv:
    """A slippery size x size grid with a goal in the corner and a row of pits."""
    pits = [(size // 2, column) for column in range(size // 4, 3 * size // 4)]
    return GridWorldEnv(size=size, slip=0.2, pits=pits, step_reward=-0.01)


def hand_model(env: GridWorldEnv) -> tuple[sp.csr_matrix, np.ndarray, np.ndarray]:
    """(P with terminal columns zeroed (S*A, S), r (S*A,), terminal mask) filled from ``P``."""
    rows, columns, probs = [], [], []
    rewards = np.zeros(env.n_states * 4)
    terminal = np.zeros(env.n_states, dtype=bool)
    for s in range(env.n_states):
        for a in range(4):
            for p, s_next, r, done in env.P[s][a]:
                rewards[4 * s + a] += p * r
                terminal[s_next] |= done
                rows.append(4 * s + a)
                columns.append(s_next)
                probs.append(p)
    P = sp.csr_matrix((probs, (rows, columns)), shape=(env.n_states * 4, env.n_states))
    P = P @ sp.diags((~terminal).astype(float))
    return sp.csr_matrix(P), rewards, terminal


def hand_value_iteration(
    P: sp.csr_matrix, r: np.ndarray, terminal: np.ndarray
) -> tuple[np.ndarray, int]:
    """Value iteration with MacQueen's stopping rule: ||v - v*||_inf <= TOL."""
    v = np.zeros(terminal.size)
    scale = GAMMA / (1.0 - GAMMA)
    sweeps = 0
    while True:
        sweeps += 1
        v_new = (r + GAMMA * (P @ v)).reshape(-1, 4).max(axis=1)
        v_new[terminal] = 0.0
        delta = v_new - v
        v = v_new
        low, high = delta.min(), delta.max()
        if scale * (high - low) / 2.0 <= TOL:
            v[~terminal] += scale * (high + low) / 2.0
            return v, sweeps


def ours(env: GridWorldEnv) -> tuple[np.ndarray, int]:
    """labcoat: the model from the env, then value iteration."""
    result = value_iteration(TabularModel.from_env(env), GAMMA, tol=TOL)
    return result.v, result.n_iterations


def theirs(env: GridWorldEnv) -> tuple[np.ndarray, int]:
    """By hand: the CSR matrix from the env's P, then the sparse loop."""
    return hand_value_iteration(*hand_model(env))


def timed(function: Callable[[], object]) -> tuple[float, object]:
    """(seconds, result) of one call."""
    start = time.perf_counter()
    result = function()
    return time.perf_counter() - start, result


def peak_bytes(function: Callable[[], object]) -> int:
    """Peak traced memory of one call (tracemalloc)."""
    tracemalloc.start()
    function()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def ratios_row(name: str, times_ours: list[float], times_theirs: list[float]) -> float:
    """Print the median and min ratio and the median times; return the median ratio."""
    ratios = [a / b for a, b in zip(times_ours, times_theirs, strict=True)]
    median = statistics.median(ratios)
    ours_s, theirs_s = statistics.median(times_ours), statistics.median(times_theirs)
    print(
        f"{name:32s} ratio median {median:5.2f}x  min {min(ratios):5.2f}x   "
        f"labcoat {ours_s:6.3f} s  hand {theirs_s:6.3f} s"
    )
    return median


def compare(size: int = 100, repeats: int = 5) -> bool:
    """labcoat vs the hand loop on a size x size grid; True if both targets are met."""
    env = grid(size)
    model = TabularModel.from_env(env)
    v_star = value_iteration(model, GAMMA, tol=1e-10).v
    P, r, terminal = hand_model(env)
    print(f"gridworld {size} x {size}: {env.n_states} states, 4 actions, gamma {GAMMA}, "
          f"load {os.getloadavg()[0]:.1f}")  # fmt: skip
    full_ours, full_theirs, solve_ours, solve_theirs = [], [], [], []
    for _ in range(repeats):  # A B A B: build + solve, then solve alone
        t, (v_a, sweeps_a) = timed(lambda: ours(env))
        full_ours.append(t)
        t, (v_b, sweeps_b) = timed(lambda: theirs(env))
        full_theirs.append(t)
        solve_ours.append(timed(lambda: value_iteration(model, GAMMA, tol=TOL))[0])
        solve_theirs.append(timed(lambda: hand_value_iteration(P, r, terminal))[0])
    errors = [np.max(np.abs(v - v_star)) for v in (v_a, v_b)]
    print(f"sweeps: labcoat {sweeps_a}, hand {sweeps_b}; ||v - v*||_inf: labcoat "
          f"{errors[0]:.1e}, hand {errors[1]:.1e}")  # fmt: skip
    time_ratio = ratios_row("build from P + value iteration", full_ours, full_theirs)
    ratios_row("value iteration alone", solve_ours, solve_theirs)
    memory = [peak_bytes(lambda: ours(env)), peak_bytes(lambda: theirs(env))]
    memory_ratio = memory[0] / memory[1]
    print(f"peak memory (build + solve): labcoat {memory[0] / 1e6:.1f} MB, hand "
          f"{memory[1] / 1e6:.1f} MB, ratio {memory_ratio:.2f}x "
          f"(a dense S x A x S array: {env.n_states**2 * 4 * 8 / 1e9:.1f} GB)")  # fmt: skip
    met = time_ratio <= 1.5 and memory_ratio <= 2.0
    print(f"targets <= 1.5x time, <= 2x memory: {'met' if met else 'NOT met'}")
    return met


def large(size: int = 1000) -> bool:
    """labcoat alone on a size x size grid: time of each stage and peak resident memory."""
    start = time.perf_counter()
    env = grid(size)
    built = time.perf_counter()
    model = TabularModel.from_env(env)
    modelled = time.perf_counter()
    result = value_iteration(model, GAMMA, tol=TOL)
    solved = time.perf_counter()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux: kilobytes
    print(f"gridworld {size} x {size} ({env.n_states} states): env {built - start:.1f} s, "
          f"model {modelled - built:.1f} s, value iteration {solved - modelled:.1f} s "
          f"({result.n_iterations} sweeps), total {solved - start:.1f} s; "
          f"peak resident memory {rss / 1e9:.2f} GB; load {os.getloadavg()[0]:.1f}")  # fmt: skip
    met = solved - start <= 600 and rss <= 8e9
    print(f"targets <= 10 minutes, <= 8 GB: {'met' if met else 'NOT met'}")
    return met


def numpy_policy_iteration(T: np.ndarray, R: np.ndarray) -> tuple[np.ndarray, int]:
    """The numpy floor: policy iteration on a dense (S, A, S) array with labcoat's rules.

    Same start (greedy in r(s, a)), same exact evaluation (a dense LU solve) and the same
    improvement rule (switch only when better by more than 1e-12 relative), so both sides
    take the same steps.
    """
    states = np.arange(T.shape[0])
    policy = np.argmax(R, axis=1)
    for k in range(1, 10_000):
        P, r = T[states, policy], R[states, policy]
        v = np.linalg.solve(np.eye(states.size) - GAMMA * P, r)
        q = R + GAMMA * (T @ v)
        best = np.argmax(q, axis=1)
        margin = 1e-12 * max(1.0, float(np.max(np.abs(v))))
        improve = q[states, best] > q[states, policy] + margin
        if not improve.any():
            return v, k
        policy = np.where(improve, best, policy)
    raise RuntimeError("policy iteration did not converge")


def policy_iteration_compare(n_states: int = 2000, n_actions: int = 4, repeats: int = 5) -> bool:
    """labcoat policy_iteration vs the numpy floor on a dense random MDP (model prebuilt)."""
    rng = np.random.default_rng(0)
    T = rng.random((n_states, n_actions, n_states)) ** 2
    T /= T.sum(axis=2, keepdims=True)
    R = rng.random((n_states, n_actions))
    model = TabularModel(T=T, R=R, terminal=False, valid_actions=True)
    print(f"policy iteration, dense random MDP {n_states} states x {n_actions} actions, "
          f"gamma {GAMMA}, load {os.getloadavg()[0]:.1f}")  # fmt: skip
    times_ours, times_theirs = [], []
    for _ in range(repeats):  # A B A B
        t, result = timed(lambda: policy_iteration(model, GAMMA))
        times_ours.append(t)
        t, (v_floor, steps) = timed(lambda: numpy_policy_iteration(T, R))
        times_theirs.append(t)
    error = float(np.max(np.abs(result.v - v_floor)))
    print(f"steps: labcoat {result.n_iterations}, numpy {steps}; max |v - v_floor| {error:.1e}")
    ratio = ratios_row("policy iteration", times_ours, times_theirs)
    met = ratio <= 1.1
    print(f"target <= 1.1x the numpy floor: {'met' if met else 'NOT met'}")
    return met


def main() -> None:
    """Run the gridworld comparison (default), ``--policy-iteration`` or ``--large``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--large", action="store_true", help="1000 x 1000, labcoat alone")
    parser.add_argument(
        "--policy-iteration", action="store_true", help="2000 states against a numpy floor"
    )
    args = parser.parse_args()
    if args.large:
        large()
    elif args.policy_iteration:
        policy_iteration_compare()
    else:
        compare()


if __name__ == "__main__":
    main()
