"""The k-armed bandit testbed of Sutton & Barto §2.3, one run (BanditEnv) or thousands at once."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import gymnasium as gym
import numpy as np
from gymnasium import spaces
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space
from numpy.typing import NDArray

from labcoat.envs._bandit import BanditProblem, bandit_frame, optimal_action
from labcoat.envs._checks import check_int
from labcoat.envs._inputs import check_options, discrete_action
from labcoat.envs._render import check_render_mode

VectorStep = tuple[
    NDArray[np.int64], NDArray[np.float64], NDArray[np.bool_], NDArray[np.bool_], dict[str, Any]
]
"""Observations, rewards, terminations, truncations and infos of a vector step."""


class BanditEnv(gym.Env):
    """The k-armed bandit testbed: pull one of k arms, receive a noisy reward.

    ## Description
    The 10-armed testbed of Sutton & Barto (2018), §2.3: the true action values q*(a),
    a = 0 … k−1, are drawn at reset from N(0, 1); a pull of arm a pays R ~ N(q*(a), 1).
    The agent does not see q*: it must balance exploration and exploitation (notes §7.1).
    The Bernoulli option draws q*(a) ~ U(0, 1) and pays R ~ Bernoulli(q*(a)); the
    non-stationary option lets q* drift as a random walk (Sutton & Barto exercise 2.5).

    ## Action Space
    ``Discrete(k)``: the arm to pull.

    ## Observation Space
    ``Discrete(1)``: the constant 0. A bandit has a single state; the one-element space keeps
    the environment usable by any Gymnasium/Stable-Baselines3 algorithm (PPO and DQN one-hot
    encode it into a constant input).

    ## Rewards
    R ~ N(q*(a), reward_std²) (Gaussian, default) or R ~ Bernoulli(q*(a)) (values 0.0/1.0).

    ## Transitions
    None between states (there is one). The unwrapped env's ``q_star`` holds the true values;
    with ``nonstationary=True`` every q*(a) takes an independent N(0, walk_std²) step after
    each pull.

    ## Starting State
    Observation 0; q* drawn from the prior (or given by ``q_star``). The reset ``info`` holds
    ``optimal_action``.

    ## Episode End
    Never terminated; truncated after ``n_steps`` pulls. Every step's ``info`` holds
    ``optimal_action`` = argmax q*(a) and ``regret`` = max q* − q*(A_t) of the pull, both
    before the drift of that step.

    ## Arguments
    * ``k``: number of arms (default 10, or ``len(q_star)`` when ``q_star`` is given).
    * ``n_steps``: pulls per episode (default 1000); the episode is then truncated.
    * ``reward_distribution``: ``"gaussian"`` (default) or ``"bernoulli"``.
    * ``q_star_mean``, ``q_star_std``: the Gaussian prior of the true values, q*(a) ~
      N(q_star_mean, q_star_std²) (defaults 0 and 1; Sutton & Barto's Fig. 2.5 uses mean 4).
    * ``reward_std``: the Gaussian reward noise, R ~ N(q*(a), reward_std²) (default 1).
    * ``nonstationary``: if True, q* starts equal for every arm (at ``q_star_mean``, or 0.5 for
      Bernoulli arms) and takes independent N(0, walk_std²) increments after every pull
      (Sutton & Barto exercise 2.5); Bernoulli values are clipped to [0, 1].
    * ``walk_std``: standard deviation of the random-walk increments (default 0.01).
    * ``q_star``: fixed true values, used at every reset instead of a draw from the prior.
    * ``render_mode``: None, ``"ansi"`` (a line: the last pull, its reward and regret) or
      ``"rgb_array"`` (a bar chart of q*, the best arm green, the last pulled arm marked red).

    ## Version History
    * v0: initial version.
    """

    metadata: dict[str, Any] = {"render_modes": ["ansi", "rgb_array"], "render_fps": 4}

    def __init__(
        self,
        k: int | None = None,
        n_steps: int = 1000,
        reward_distribution: Literal["gaussian", "bernoulli"] = "gaussian",
        q_star_mean: float = 0.0,
        q_star_std: float = 1.0,
        reward_std: float = 1.0,
        nonstationary: bool = False,
        walk_std: float = 0.01,
        q_star: Sequence[float] | NDArray[np.float64] | None = None,
        render_mode: str | None = None,
    ) -> None:
        self.render_mode = check_render_mode(render_mode, self.metadata["render_modes"])
        self._problem = BanditProblem(
            k=k,
            n_steps=n_steps,
            reward_distribution=reward_distribution,
            q_star_mean=q_star_mean,
            q_star_std=q_star_std,
            reward_std=reward_std,
            nonstationary=nonstationary,
            walk_std=walk_std,
            q_star=q_star,
        )
        self.k = self._problem.k
        self.n_steps = self._problem.n_steps
        self.action_space = spaces.Discrete(self.k)
        self.observation_space = spaces.Discrete(1)
        self.q_star: NDArray[np.float64] | None = None
        """The true action values q*(a), shape (k,), drawn at reset."""
        self._t = 0
        self._last: tuple[int, float, float] | None = None  # (arm, reward, regret)

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[int, dict[str, Any]]:
        """Draw new true values q* (unless fixed) and start a new episode of ``n_steps`` pulls."""
        check_options(options, ())
        super().reset(seed=seed)
        self.q_star = self._problem.draw_q_star(self.np_random, ())
        self._t, self._last = 0, None
        return 0, {"optimal_action": int(optimal_action(self.q_star))}

    def step(self, action: int | np.integer[Any]) -> tuple[int, float, bool, bool, dict[str, Any]]:
        """Pull arm ``action``: reward, regret max q* − q*(a), then the drift of q* if any."""
        if self.q_star is None:
            raise RuntimeError("call reset() before step()")
        arm = discrete_action(action, self.k)
        q = self.q_star
        best = int(optimal_action(q))
        reward = float(self._problem.pull(self.np_random, q[arm]))
        info = {"optimal_action": best, "regret": float(q[best] - q[arm])}
        self.q_star = self._problem.drift(self.np_random, q)
        self._t += 1
        self._last = (arm, reward, info["regret"])
        return 0, reward, False, self._t >= self.n_steps, info

    def render(self) -> str | np.ndarray | None:  # type: ignore[override]
        """The last pull as a line of text ("ansi") or a bar chart of q* ("rgb_array")."""
        q, pulled = self.q_star, None if self._last is None else self._last[0]
        scale = (0.0, 1.0)
        if q is not None and not self._problem.bernoulli:
            scale = (float(q.min()), float(q.max()))
        return bandit_frame(self.render_mode, q, scale, pulled, self._render_text)

    def _render_text(self, q: NDArray[np.float64]) -> str:
        best = int(optimal_action(q))
        if self._last is None:
            return f"pull 0 of {self.n_steps}: no arm pulled yet (best arm {best})\n"
        arm, reward, regret = self._last
        return (
            f"pull {self._t} of {self.n_steps}: arm {arm}, reward {reward:+.3f} "
            f"(best arm {best}, regret {regret:.3f})\n"
        )


def _read_only(array: NDArray[Any]) -> NDArray[Any]:
    """``array``, made read-only so that it can be returned by every step without a copy."""
    array.flags.writeable = False
    return array


class BanditVectorEnv(VectorEnv[NDArray[np.int64], NDArray[np.int64], NDArray[Any]]):
    """``num_envs`` independent k-armed testbeds stepped together with numpy (no Python loop).

    The same problem as ``BanditEnv`` (see its docstring for the sections and the arguments),
    for ``gym.make_vec("labcoat/Bandit-v0", num_envs=2000,
    vectorization_mode="vector_entry_point")``. ``q_star`` has shape ``(num_envs, k)``.
    Observations are zeros of shape ``(num_envs,)``; rewards float64, terminations all False,
    truncations all True after ``n_steps`` pulls. ``info`` is a dict of arrays
    ``optimal_action`` (int64) and ``regret`` (float64) with the masks ``_optimal_action`` and
    ``_regret`` (all True), as Gymnasium's vector envs return them. The observations, the
    termination and truncation flags, ``optimal_action`` and the masks are read-only arrays
    shared between steps (nothing is copied per step); rewards and regrets are new arrays.

    Autoreset follows Gymnasium's ``NEXT_STEP`` mode: the step after a truncation ignores the
    actions, draws new q* for every run and returns reward 0, regret 0 and no termination.
    All runs start together, so they are always at the same pull. With ``num_envs=1`` and the
    same seed the numbers are identical to ``BanditEnv``'s.

    Args:
        num_envs: the number of independent bandits (runs).
        **kwargs: the arguments of ``BanditEnv``.
    """

    metadata: dict[str, Any] = {"render_modes": [], "autoreset_mode": AutoresetMode.NEXT_STEP}

    def __init__(
        self,
        num_envs: int = 1,
        render_mode: None = None,
        **kwargs: Any,
    ) -> None:
        self.render_mode = check_render_mode(render_mode, self.metadata["render_modes"])
        self.num_envs = check_int("num_envs", num_envs, 1)
        self._problem = BanditProblem(**kwargs)
        self.k = self._problem.k
        self.n_steps = self._problem.n_steps
        self.single_action_space = spaces.Discrete(self.k)
        self.action_space = batch_space(self.single_action_space, self.num_envs)
        self.single_observation_space = spaces.Discrete(1)
        self.observation_space = batch_space(self.single_observation_space, self.num_envs)
        self.q_star: NDArray[np.float64] | None = None
        """The true action values q*(a) of every run, shape (num_envs, k), drawn at reset."""
        self._offsets = np.arange(self.num_envs) * self.k
        self._all_true = _read_only(np.ones(self.num_envs, dtype=np.bool_))
        self._all_false = _read_only(np.zeros(self.num_envs, dtype=np.bool_))
        self._zeros = _read_only(np.zeros(self.num_envs, dtype=np.int64))
        self._t = 0

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[NDArray[np.int64], dict[str, Any]]:
        """Draw new true values for every run and start new episodes."""
        check_options(options, ())
        super().reset(seed=seed)
        self._start()
        return self._observation(), self._info(np.zeros(self.num_envs))

    def step(self, actions: NDArray[np.integer[Any]]) -> VectorStep:
        """Pull one arm in every run (or autoreset the step after a truncation)."""
        if self.q_star is None:
            raise RuntimeError("call reset() before step()")
        a = self._check_actions(actions)
        if self._t >= self.n_steps:
            return self._autoreset()
        q_a = self.q_star.ravel().take(a + self._offsets)
        reward = self._problem.pull(self.np_random, q_a)
        info = self._info(self._q_max - q_a)
        if self._problem.nonstationary:
            self.q_star = self._problem.drift(self.np_random, self.q_star)
            self._set_optimal()
        self._t += 1
        truncated = self._all_true if self._t >= self.n_steps else self._all_false
        return self._observation(), reward, self._all_false, truncated, info

    def _autoreset(
        self,
    ) -> VectorStep:
        self._start()
        zeros = np.zeros(self.num_envs)
        return (
            self._observation(),
            zeros,
            self._all_false,
            self._all_false,
            self._info(zeros.copy()),
        )

    def _start(self) -> None:
        self.q_star = self._problem.draw_q_star(self.np_random, (self.num_envs,))
        self._t = 0
        self._set_optimal()

    def _set_optimal(self) -> None:
        assert self.q_star is not None
        self._best = _read_only(optimal_action(self.q_star))  # shared until q* changes
        self._q_max = self.q_star.ravel().take(self._best + self._offsets)

    def _check_actions(self, actions: NDArray[np.integer[Any]]) -> NDArray[np.int64]:
        a = np.asarray(actions)
        if a.shape != (self.num_envs,) or a.dtype.kind not in "iu":
            raise ValueError(
                f"actions must be an integer array of shape ({self.num_envs},), "
                f"got {a.dtype} {a.shape}"
            )
        if a.min() < 0 or a.max() >= self.k:
            raise ValueError(f"actions must lie in [0, {self.k - 1}], got {a.min()}…{a.max()}")
        return a.astype(np.int64, copy=False)

    def _observation(self) -> NDArray[np.int64]:
        return self._zeros

    def _info(self, regret: NDArray[np.float64]) -> dict[str, Any]:
        """The info arrays; ``optimal_action`` and the masks are read-only (not copied)."""
        return {
            "optimal_action": self._best,
            "regret": regret,
            "_optimal_action": self._all_true,
            "_regret": self._all_true,
        }
