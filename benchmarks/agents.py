"""labcoat's planning and tabular agents against their peers, measured in one process.

1. Value iteration on a random MDP (500 states, 10 actions) against pymdptoolbox's
   ValueIteration. Both are timed from the arrays to the answer (model construction included).
   The error of each is measured against the exact V*: the linear solve of the optimal policy
   found by policy iteration. Target: labcoat reaches V* within 1e-6 in at most 2x the time
   pymdptoolbox takes to reach its own stopping point (whose values can be far from V*).
2. Q-learning's cost per environment step over the same Gymnasium env (CliffWalking-v1 made
   with its default wrappers, epsilon = 0.1, alpha = 0.5) against (a) a minimal hand-written
   Q-learning loop doing the same work (the same epsilon-greedy rule on blocks of uniforms,
   inline arithmetic, no labcoat code): target at most 1.10x (issue 10: calling the rules
   functions costs nothing worth inlining for); (b) a bare random-action loop whose actions come
   from a pre-made generator in blocks (``rng.integers``: the cheapest honest draw, not
   ``action_space.sample()``): target at most 1.5x; the ratio to a loop over pre-sampled actions
   (no sampling at all) is printed too.
3. ``main()`` of benchmarks/bandits.py (the batched 10-armed testbed against a per-run loop).

Measurements are interleaved and repeated; the minimum is reported, the median in brackets.
Run: ``python benchmarks/agents.py``.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Iterator
from time import perf_counter

import gymnasium as gym
import mdptoolbox.mdp
import numpy as np

from labcoat.agents.planning import (
    TabularModel,
    policy_evaluation,
    policy_iteration,
    value_iteration,
)
from labcoat.agents.tabular import QLearning

N_STATES, N_ACTIONS, GAMMA, TOL = 500, 10, 0.9, 1e-6
VI_TARGET, STEP_TARGET, HAND_TARGET = 2.0, 1.5, 1.10


def random_mdp(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Dense random transitions (uneven rows) and uniform rewards, seeded."""
    rng = np.random.default_rng(seed)
    T = rng.random((N_STATES, N_ACTIONS, N_STATES)) ** 2
    T /= T.sum(axis=2, keepdims=True)
    return T, rng.random((N_STATES, N_ACTIONS))


def timed(function: Callable[[], object], repeats: int) -> tuple[list[float], object]:
    times, result = [], None
    for _ in range(repeats):
        start = perf_counter()
        result = function()
        times.append(perf_counter() - start)
    return times, result


def value_iteration_benchmark(repeats: int = 7) -> bool:
    T, R = random_mdp(0)
    P = np.ascontiguousarray(T.transpose(1, 0, 2))  # pymdptoolbox: (A, S, S)

    def ours() -> object:
        model = TabularModel(T=T, R=R, terminal=False, valid_actions=True)
        return value_iteration(model, GAMMA, tol=TOL)

    def theirs() -> object:
        solver = mdptoolbox.mdp.ValueIteration(P, R, GAMMA)
        solver.run()
        return solver

    ours_times, theirs_times = [], []
    for _ in range(repeats):  # interleaved
        t, ours_result = timed(ours, 1)
        ours_times += t
        t, theirs_result = timed(theirs, 1)
        theirs_times += t
    model = TabularModel(T=T, R=R, terminal=False, valid_actions=True)
    optimal = policy_iteration(model, GAMMA)
    v_star = policy_evaluation(model, optimal.policy, GAMMA)
    ours_error = float(np.abs(ours_result.v - v_star).max())
    theirs_error = float(np.abs(np.asarray(theirs_result.V) - v_star).max())
    same_policy = ours_result.policy.tolist() == optimal.policy.tolist()
    ratio = min(ours_times) / min(theirs_times)
    ratio_median = statistics.median(ours_times) / statistics.median(theirs_times)
    print(f"value iteration, random MDP {N_STATES} states x {N_ACTIONS} actions, gamma={GAMMA}")
    print(
        f"  labcoat value_iteration(tol={TOL:g}) {min(ours_times) * 1e3:7.2f} ms "
        f"[{statistics.median(ours_times) * 1e3:7.2f}]  {ours_result.n_iterations:4d} sweeps  "
        f"max |v - V*| = {ours_error:.2e}  optimal policy: {same_policy}"
    )
    print(
        f"  pymdptoolbox ValueIteration        {min(theirs_times) * 1e3:7.2f} ms "
        f"[{statistics.median(theirs_times) * 1e3:7.2f}]  {theirs_result.iter:4d} sweeps  "
        f"max |V - V*| = {theirs_error:.2e}"
    )
    met = ratio <= VI_TARGET and ours_error <= TOL and same_policy
    print(
        f"  time ratio labcoat / pymdptoolbox = {ratio:.2f}x [{ratio_median:.2f}x]; "
        f"target <= {VI_TARGET}x with error <= {TOL:g}: {'met' if met else 'MISSED'}"
    )
    return met


def random_actions(n_actions: int, seed: int) -> Callable[[], int]:
    """``next_action()``: uniform actions of a pre-made generator, drawn 4096 at a time."""
    rng = np.random.default_rng(seed)

    def blocks() -> Iterator[int]:
        while True:
            yield from rng.integers(0, n_actions, 4096).tolist()

    return blocks().__next__


def bare_loop(env: gym.Env, n_steps: int) -> float:
    """Seconds per step of env.step(random action) with resets (actions drawn in blocks)."""
    env.reset(seed=0)
    next_action, step, reset = random_actions(int(env.action_space.n), 0), env.step, env.reset
    start = perf_counter()
    for _ in range(n_steps):
        _, _, terminated, truncated, _ = step(next_action())
        if terminated or truncated:
            reset()
    return (perf_counter() - start) / n_steps


def hand_q_learning(env: gym.Env, n_steps: int) -> tuple[float, np.ndarray]:
    """Seconds per step of a minimal Q-learning loop written by hand, and its q table.

    The work of ``QLearning.learn``: epsilon-greedy on a list-of-lists q (explore with
    probability epsilon, else greedy with random ties), eq. 7.24 on Python floats, one
    uniform stream drawn in blocks; none of labcoat's bookkeeping (episode statistics,
    callbacks, divergence checks).
    """
    n_states, n_actions = int(env.observation_space.n), int(env.action_space.n)
    q = [[0.0] * n_actions for _ in range(n_states)]
    uniforms = np.random.default_rng(0)

    def blocks() -> Iterator[float]:
        while True:
            yield from uniforms.random(4096).tolist()

    draw, step, reset = blocks().__next__, env.step, env.reset
    epsilon, alpha, gamma = 0.1, 0.5, 1.0
    s, _ = reset(seed=0)
    start = perf_counter()
    for _ in range(n_steps):
        row = q[s]
        if draw() < epsilon:
            a = int(draw() * n_actions)
        else:
            best = max(row)
            ties = [b for b in range(n_actions) if row[b] == best]
            a = ties[int(draw() * len(ties))] if len(ties) > 1 else ties[0]
        s2, r, terminated, truncated, _ = step(a)
        target = r if terminated else r + gamma * max(q[s2])
        row[a] += alpha * (target - row[a])
        s = reset()[0] if terminated or truncated else s2
    return (perf_counter() - start) / n_steps, np.array(q)


def presampled_loop(env: gym.Env, n_steps: int) -> float:
    """Seconds per step of env.step over pre-drawn random actions (no sampling cost)."""
    actions = np.random.default_rng(0).integers(0, env.action_space.n, n_steps).tolist()
    env.reset(seed=0)
    step, reset = env.step, env.reset
    start = perf_counter()
    for action in actions:
        _, _, terminated, truncated, _ = step(action)
        if terminated or truncated:
            reset()
    return (perf_counter() - start) / n_steps


def q_learning_steps(env: gym.Env, n_steps: int) -> float:
    """Seconds per step of QLearning.learn (epsilon = 0.1, alpha = 0.5)."""
    agent = QLearning(env, gamma=1.0, learning_rate=0.5, epsilon=0.1, seed=0)
    start = perf_counter()
    agent.learn(total_timesteps=n_steps)
    return (perf_counter() - start) / n_steps


def q_learning_benchmark(n_steps: int = 100_000, repeats: int = 5) -> bool:
    env = gym.make("CliffWalking-v1")
    times: dict[str, list[float]] = {"hand": [], "bare": [], "presampled": [], "q": []}
    for _ in range(repeats):  # interleaved
        hand_time, hand_q = hand_q_learning(env, n_steps)
        times["hand"].append(hand_time)
        times["bare"].append(bare_loop(env, n_steps))
        times["presampled"].append(presampled_loop(env, n_steps))
        times["q"].append(q_learning_steps(env, n_steps))
    best = {k: min(v) for k, v in times.items()}
    median = {k: statistics.median(v) for k, v in times.items()}
    print(f"Q-learning step cost on {env.spec.id} (gym.make wrappers), {n_steps} steps")
    for key, label in (
        ("hand", "hand-written Q-learning loop"),
        ("bare", "bare loop, actions drawn in blocks"),
        ("presampled", "bare loop, pre-sampled actions"),
        ("q", "labcoat QLearning.learn"),
    ):
        print(f"  {label:34s} {best[key] * 1e6:6.2f} us/step [{median[key] * 1e6:6.2f}]")
    hand = best["q"] / best["hand"], median["q"] / median["hand"]
    ratio, ratio_median = best["q"] / best["bare"], median["q"] / median["bare"]
    strict = best["q"] / best["presampled"]
    agent = QLearning(env, gamma=1.0, learning_rate=0.5, epsilon=0.1, seed=0)
    ours = agent.learn(total_timesteps=n_steps).q
    agree = int((np.argmax(hand_q, axis=1) == np.argmax(ours, axis=1))[:36].sum())
    met = hand[0] <= HAND_TARGET and ratio <= STEP_TARGET
    print(
        f"  ratio QLearning / hand-written loop = {hand[0]:.2f}x [{hand[1]:.2f}x], target <= "
        f"{HAND_TARGET}x (greedy actions agree in {agree} of the 36 states above the cliff "
        f"row); QLearning / bare random loop = {ratio:.2f}x [{ratio_median:.2f}x] (to the "
        f"pre-sampled loop: {strict:.2f}x), target <= {STEP_TARGET}x: {'met' if met else 'MISSED'}"
    )
    return met


def main() -> dict[str, bool]:
    """Run every measurement and print the ratios; return which targets were met."""
    results = {
        "value_iteration": value_iteration_benchmark(),
        "q_learning_step": q_learning_benchmark(),
    }
    import bandits  # benchmarks/bandits.py: sys.path[0] is this folder when run as a script

    print()
    bandits.main()
    return results


if __name__ == "__main__":
    main()
