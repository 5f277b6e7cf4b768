"""Batched tabular control at 100 runs: today's ``batched_control`` against the one it replaced.

Issue 14's target: batched control at least 3x faster than before at 100 runs. The reference
("before") is the runner of commit 223faaa (labcoat main before the change), copied below as it
was: q as an (n_runs, S, A) array indexed by (runs, states, actions) on every step, the
outcome table indexed by (states, actions), epsilon-greedy always in its masked form, every
per-run array gathered with ``[runs]``. The functions of labcoat.agents.rules it calls are
those of 223faaa too, read from the git history (:func:`rules_at`: the benchmark needs a
clone). Today's runner draws its random numbers differently (in blocks), so the two sides
agree in distribution, not number for number: the mean online returns are printed with their
95 % CIs and z = |difference| / its standard error ("agree" when z < 4).

Equal work: the same model, method, n_runs, n_episodes and time limit on both sides, over the
seeds 0-4. As the random streams differ, the number of steps they take to play those episodes
differs too; the speed-up is therefore measured per TD update (time / number of updates, i.e.
same iterations), and the time ratio at equal episodes is printed beside it. The two sides are
run in turn (A B A B ..., one pair per seed); each repeat sums its five seeds, and the median
and the minimum of the per-repeat ratios are printed with the mean online return of each side
(over runs and the second half of the episodes, with a 95 % CI over runs). Argument checking
is timed on the new side only (microseconds). Run: ``python benchmarks/batched.py``
(``--quick`` for a short run, ``--repeats N``). Timings on a shared machine are noisy:
re-run on an idle one.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
from pathlib import Path
from time import perf_counter
from types import ModuleType
from typing import Any

import gymnasium as gym
import numpy as np

import labcoat.envs  # noqa: F401  (registers the ids)
from labcoat.agents.batched import BatchStep, _outcomes, batched_control, run_batched
from labcoat.agents.planning import TabularModel

N_RUNS, TARGET = 100, 3.0

# ---------------------------------------------------------------------- the reference (223faaa)


def rules_at(commit: str) -> ModuleType:
    """labcoat.agents.rules as it was at ``commit``, read from the git history (needs a clone)."""
    root = Path(__file__).resolve().parents[1]
    shown = subprocess.run(["git", "show", f"{commit}:agents/rules.py"], cwd=root,
                           capture_output=True, text=True)  # fmt: skip
    if shown.returncode:
        raise RuntimeError(f"the reference needs labcoat's git history (a clone with commit "
                           f"{commit}): git show said {shown.stderr.strip()!r}")  # fmt: skip
    source = shown.stdout
    module = ModuleType(f"labcoat_rules_{commit}")
    sys.modules[module.__name__] = module
    exec(compile(source, f"{commit}:agents/rules.py", "exec"), module.__dict__)  # noqa: S102
    return module


old_rules = rules_at("223faaa")


def _old_start(start: np.ndarray | int, n: int, rng: np.random.Generator) -> np.ndarray:
    if isinstance(start, int):
        return np.full(n, start)
    return np.minimum(np.searchsorted(start, rng.random(n), side="right"), len(start) - 1)


class _OldModelRuns:
    def __init__(self, model: TabularModel, start: Any, limit: float, n_episodes: int,
                 rng: np.random.Generator) -> None:  # fmt: skip
        self.outcomes, self.start, self.limit, self.rng = _outcomes(model), start, limit, rng
        self.n_episodes = n_episodes
        self.states = _old_start(start, N_RUNS, rng)
        self.returns = np.zeros((N_RUNS, n_episodes))
        self.lengths = np.zeros((N_RUNS, n_episodes), dtype=np.int64)
        self.episode = np.zeros(N_RUNS, dtype=np.int64)
        self.ret, self.length = np.zeros(N_RUNS), np.zeros(N_RUNS, dtype=np.int64)

    def _sample(self, states: np.ndarray, actions: np.ndarray, u: np.ndarray) -> tuple:
        o = self.outcomes  # Outcomes.sample of 223faaa
        last = o.prob.shape[2] - 1
        k = np.minimum((u[:, None] >= o.cumulative[states, actions]).sum(axis=1), last)
        return o.next_state[states, actions, k], o.reward[states, actions, k], \
            o.terminated[states, actions, k]  # fmt: skip

    def step(self, runs: np.ndarray, actions: np.ndarray) -> BatchStep:
        s2, r, terminated = self._sample(self.states[runs], actions, self.rng.random(runs.size))
        self.ret[runs] += r
        self.length[runs] += 1
        ended = terminated | (self.length[runs] >= self.limit)
        done = runs[ended]
        self.returns[done, self.episode[done]] = self.ret[done]
        self.lengths[done, self.episode[done]] = self.length[done]
        self.episode[done] += 1
        self.ret[done], self.length[done] = 0.0, 0
        self.states[runs] = s2
        self.states[done] = _old_start(self.start, done.size, self.rng)
        running = runs[self.episode[runs] < self.n_episodes]
        return BatchStep(s2, r, terminated, ended, running, {})


class _OldControl:
    def __init__(self, env: _OldModelRuns, q: np.ndarray, method: str, gamma: float,
                 alpha: Any, epsilon: float) -> None:  # fmt: skip
        self.env, self.q, self.method, self.gamma, self.epsilon = env, q, method, gamma, epsilon
        self.alpha, self.power = alpha, old_rules.step_size_power(alpha)
        self.counts = np.zeros(q.shape, dtype=np.int64)
        self.next_actions = np.full(len(q), -1)

    def _greedy(self, q_rows: np.ndarray) -> np.ndarray:
        q_by_arm = np.ascontiguousarray(q_rows.T)
        return old_rules.epsilon_greedy_arms(q_by_arm, self.epsilon, self.env.rng, masked=True)

    def act(self, runs: np.ndarray) -> np.ndarray:
        self.s_tm1 = self.env.states[runs]
        actions = self.next_actions[runs]
        fresh = np.flatnonzero(actions < 0)
        actions[fresh] = self._greedy(self.q[runs[fresh], self.s_tm1[fresh]])
        return actions

    def learn(self, runs: np.ndarray, actions: np.ndarray, step: BatchStep) -> None:
        s, s2, q = self.s_tm1, step.observations, self.q
        discount = self.gamma * (1.0 - step.terminated)
        q_t = q[runs, s2]
        if self.method == "sarsa":
            a2 = self._greedy(q_t)
            target = old_rules.sarsa_target(q_t, a2, step.rewards, discount)
            self.next_actions[runs] = np.where(step.ended, -1, a2)
        elif self.method == "q_learning":
            target = old_rules.q_learning_target(q_t, step.rewards, discount)
        else:
            probs = old_rules.epsilon_greedy_probabilities(q_t, self.epsilon)
            target = old_rules.expected_sarsa_target(q_t, probs, step.rewards, discount)
        self.counts[runs, s, actions] += 1
        alpha_n = old_rules.step_size(self.alpha, self.power, self.counts[runs, s, actions])
        q[runs, s, actions] = old_rules.td_update(q[runs, s, actions], target, alpha_n)
        if not np.isfinite(q[runs, s, actions]).all():
            raise FloatingPointError("diverged")


def reference(model: TabularModel, method: str, options: dict[str, Any]) -> tuple:
    """223faaa's batched_control (arguments already valid): q, returns, lengths."""
    start = options.get("start_state")
    if start is None:
        start = np.cumsum(model.initial_distribution)
    rng = np.random.default_rng(options["seed"])
    env = _OldModelRuns(model, start, options["max_episode_steps"], options["n_episodes"], rng)
    q = np.full((N_RUNS, model.n_states, model.n_actions), 0.0)
    q[:, ~model.valid_actions] = -np.inf
    learner = _OldControl(env, q, method, options["gamma"], options["learning_rate"],
                          options["epsilon"])  # fmt: skip
    run_batched(learner, env, N_RUNS)
    return q, env.returns, env.lengths


# ---------------------------------------------------------------------- the measurement


def workloads(quick: bool) -> list[tuple[str, TabularModel, dict[str, Any]]]:
    """(name, model, options) of the three tabular problems, 100 runs each."""
    scale = 4 if quick else 1
    common = {"n_runs": N_RUNS, "epsilon": 0.1, "seed": 0}
    cliff = TabularModel.from_env(gym.make("CliffWalking-v1"))
    grid = TabularModel.from_env(gym.make("labcoat/GridWorld-v0", size=10, slip=0.1))
    plant = TabularModel.from_env(gym.make("labcoat/PlantWatering-v0"))
    return [
        ("CliffWalking-v1", cliff, {**common, "n_episodes": 100 // scale, "gamma": 1.0,
                                    "learning_rate": 0.5, "max_episode_steps": 500}),
        ("GridWorld 10x10 slip 0.1", grid, {**common, "n_episodes": 40 // scale, "gamma": 0.95,
                                             "learning_rate": 0.5, "max_episode_steps": 500}),
        ("PlantWatering-v0", plant, {**common, "n_episodes": 20 // scale, "gamma": 0.9,
                                     "learning_rate": "1/n", "start_state": 0,
                                     "max_episode_steps": 100}),
    ]  # fmt: skip


def online_return(returns: np.ndarray) -> tuple[float, float]:
    """Mean return over runs of the second half of the episodes, and its 95 % CI half-width."""
    per_run = returns[:, returns.shape[1] // 2 :].mean(axis=1)
    return float(per_run.mean()), float(1.96 * per_run.std(ddof=1) / np.sqrt(len(per_run)))


SEEDS = range(5)


def measure(model: TabularModel, method: str, options: dict[str, Any], repeats: int) -> dict:
    """Interleaved timings over the seeds: per repeat, (seconds, TD updates) of each side."""
    before, after = [], []
    for _ in range(repeats):
        b = a = 0.0
        old_returns, new_returns, n_old, n_new = [], [], 0, 0
        for seed in SEEDS:
            seeded = {**options, "seed": seed}
            start = perf_counter()
            old = reference(model, method, seeded)
            b += perf_counter() - start
            start = perf_counter()
            new = batched_control(model, method, **seeded)
            a += perf_counter() - start
            n_old, n_new = n_old + int(old[2].sum()), n_new + int(new.episode_lengths.sum())
            old_returns.append(old[1])
            new_returns.append(new.episode_returns)
        before.append((b, n_old))
        after.append((a, n_new))
    per_update = [(b / nb) / (a / na) for (b, nb), (a, na) in zip(before, after, strict=True)]
    per_episode = [b / a for (b, _), (a, _) in zip(before, after, strict=True)]
    old_return = online_return(np.concatenate(old_returns))
    new_return = online_return(np.concatenate(new_returns))
    z = abs(old_return[0] - new_return[0]) / np.hypot(old_return[1], new_return[1]) * 1.96
    return {"before": before, "after": after, "per_update": per_update,
            "per_episode": per_episode, "z": z, "old": old_return, "new": new_return}  # fmt: skip


def main(quick: bool = False, repeats: int = 3) -> bool:
    print(f"batched control at {N_RUNS} runs: before (223faaa) / after, interleaved, seeds "
          f"{SEEDS.start}-{SEEDS.stop - 1}, {repeats} repeats; speed-up = (time / TD update) "
          "before / after; at equal episodes = time before / time after")  # fmt: skip
    all_met = True
    for name, model, options in workloads(quick):
        for method in ("sarsa", "q_learning", "expected_sarsa"):
            m = measure(model, method, options, repeats)
            speedup = statistics.median(m["per_update"])
            all_met &= speedup >= TARGET
            (mo, co), (mn, cn) = m["old"], m["new"]
            (_, n_old), (_, n_new) = m["before"][0], m["after"][0]
            us_old = statistics.median(b / n for b, n in m["before"]) * 1e6
            us_new = statistics.median(a / n for a, n in m["after"]) * 1e6
            print(
                f"  {name:25s} {method:15s} {options['n_episodes']:3d} episodes: "
                f"{us_old:5.2f} -> {us_new:5.2f} us/update  speed-up {speedup:4.2f}x "
                f"(min {min(m['per_update']):4.2f}x; at equal episodes "
                f"{statistics.median(m['per_episode']):4.2f}x, updates {n_old} vs {n_new})  "
                f"online return {mo:7.2f} ± {co:4.2f} vs {mn:7.2f} ± {cn:4.2f} "
                f"{'agree' if m['z'] < 4 else 'DIFFER'} (z = {m['z']:.1f})"
            )
    print(f"  target >= {TARGET}x per update at {N_RUNS} runs (median): "
          f"{'met' if all_met else 'MISSED'}")  # fmt: skip
    return all_met


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a quarter of the episodes")
    parser.add_argument("--repeats", type=int, default=3, help="interleaved pairs per case")
    args = parser.parse_args()
    main(quick=args.quick, repeats=args.repeats)
