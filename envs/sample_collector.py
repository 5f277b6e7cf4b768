"""A planar two-link robot arm collecting samples from a table: a tabular MDP and a deep-RL task."""

from __future__ import annotations

import math
from functools import cached_property
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from labcoat.envs._checks import check_bool, check_float, check_int, check_probability
from labcoat.envs._inputs import box_action, check_options, discrete_action, real_array
from labcoat.envs._render import check_render_mode, render_frame
from labcoat.envs._tabular import Transition, TransitionTable

MOVES = ((0, 0), (1, 0), (-1, 0), (0, 1), (0, -1))
"""Grid steps (joint 1, joint 2) of the Discrete actions 0 stay, 1 θ1+, 2 θ1-, 3 θ2+, 4 θ2-."""
MAX_SAMPLES = 6
PICTURE_PIXELS = 96


def gripper_position(
    theta1: np.ndarray | float, theta2: np.ndarray | float, l1: float, l2: float
) -> tuple[Any, Any]:
    """Forward kinematics of the planar two-link arm with its base at the origin.

    x = l1 cos θ1 + l2 cos(θ1 + θ2),  y = l1 sin θ1 + l2 sin(θ1 + θ2):
    θ1 is the shoulder angle from the x axis, θ2 the elbow angle relative to the first link.
    Works elementwise on arrays of angles.
    """
    return (
        l1 * np.cos(theta1) + l2 * np.cos(np.add(theta1, theta2)),
        l1 * np.sin(theta1) + l2 * np.sin(np.add(theta1, theta2)),
    )


class SampleCollectorEnv(gym.Env):
    """A two-link robot arm on a table that moves its joints to collect samples.

    ## Description
    A planar arm with its shoulder at the origin has two links of lengths ``l1`` and ``l2``.
    Its gripper is at the forward-kinematics position

        x = l1 cos θ1 + l2 cos(θ1 + θ2),   y = l1 sin θ1 + l2 sin(θ1 + θ2)

    (:func:`gripper_position`), θ1 the shoulder angle, θ2 the elbow angle. ``n_samples``
    samples lie on the table; a sample is collected when the gripper comes within ``radius``
    of it (checked after every step). With Discrete actions the joint angles live on the grid
    θ_k = 2π i_k / n_angles (i_k = 0..n_angles-1, both joints turn all the way round) and the
    task is a finite MDP whose exact dynamics are the toy-text table ``P``: value iteration
    (:mod:`labcoat.agents.planning`) finds the shortest tour. With Box actions the angles are
    continuous, for deep agents.

    ## Action Space
    `continuous=False` (default): `Discrete(5)`: 0 stay, 1 θ1 one grid step up, 2 θ1 one
    step down, 3 θ2 one step up, 4 θ2 one step down. `continuous=True`:
    `Box(-1, 1, (2,), float32)`: the increments (Δθ1, Δθ2) = action × ``max_step`` (so the
    step is bounded by ``max_step`` on each joint; non-finite values and values outside
    [-1, 1] are refused, not clipped).

    ## Observation Space
    Discrete: `Discrete(n_angles² · 2^n_samples)`, a Python `int`: the state
    ``s = (i1 · n_angles + i2) · 2^n_samples + collected``, where bit j of ``collected`` is
    set once sample j is collected. Box: `Box(-1, 1, (4 + n_samples,), float32)`:
    (cos θ1, sin θ1, cos θ2, sin θ2, then 1.0 for each collected sample and 0.0 otherwise).

    ## Rewards
    ``sample_reward`` (default +1) per sample collected in the step, plus ``move_reward``
    (default -0.01) on every step (staying still costs time too). With gamma = 1 the return
    is n_samples · sample_reward + move_reward · (number of steps), so the optimal policy
    collects every sample in the fewest steps.

    ## Transitions
    A move changes one joint angle by one grid step (Discrete, wrapping round the circle) or
    by the action's increments (Box). With probability ``slip`` a move fails and the arm stays
    where it is (the step's cost is paid). ``P[s][a]`` lists the
    :class:`~labcoat.envs._tabular.Transition` of every state and action: one outcome (two for
    a move with slip > 0: the move, probability 1 - slip, and staying, probability slip).
    States with every sample collected are terminal and absorbing (probability 1 to
    themselves, reward 0, terminated True). ``step`` simulates the arm itself; it does not read
    ``P`` (which is built on first access). ``P`` exists for the Discrete version only.

    ## Starting State
    The grid angles ``start`` = (i1, i2) (default (0, 0): the arm stretched along the x axis),
    no sample collected (``initial_state_distrib`` for the Discrete version).

    ## Episode End
    Termination when every sample is collected. ``gym.make("labcoat/SampleCollector-v0")``
    truncates after 200 steps.

    ## Arguments
    ```python
    import gymnasium as gym
    import labcoat.envs

    env = gym.make("labcoat/SampleCollector-v0", n_angles=16, n_samples=3, slip=0.1)
    ```
    - n_angles: grid angles per joint, in [4, 64] (default 16, steps of 22.5°).
    - n_samples: samples drawn when ``samples`` is None, in [1, 6] (default 3); else None or
      the number of ``samples``.
    - samples: fixed sample positions [(x, y), ...] (up to 6), each within ``radius`` of the
      gripper at some grid configuration and farther than ``radius`` from the start; default
      None: positions drawn with ``layout_seed`` among the grid configurations' gripper
      positions, farther than 2 ``radius`` from the start and from each other.
    - layout_seed: seed of the drawn layout (integer >= 0, default 0). The layout is fixed for
      the env's life (``P`` depends on it); ``reset(seed=...)`` seeds the slips.
    - l1, l2: link lengths (> 0, defaults 1.0 and 0.8).
    - radius: collection radius (> 0, default 0.2).
    - sample_reward, move_reward: finite rewards (defaults 1.0 and -0.01).
    - slip: probability that a move fails, in [0, 1] (default 0).
    - continuous: Box actions and observations (True) or the grid (False, default).
    - max_step: largest increment of a Box action per joint, radians in (0, π] (default one
      grid step 2π / n_angles).
    - start: grid indices (i1, i2) of the start configuration (default (0, 0)).
    - render_mode: None, "ansi" (one line: angles, gripper, samples collected) or
      "rgb_array" (a 96 x 96 picture of the arm and the samples).

    ## Version History
    - v0: Initial version.
    """

    metadata: dict[str, Any] = {"render_modes": ["ansi", "rgb_array"], "render_fps": 4}

    def __init__(
        self,
        n_angles: int = 16,
        n_samples: int | None = None,
        samples: Any = None,
        layout_seed: int = 0,
        l1: float = 1.0,
        l2: float = 0.8,
        radius: float = 0.2,
        sample_reward: float = 1.0,
        move_reward: float = -0.01,
        slip: float = 0.0,
        continuous: bool = False,
        max_step: float | None = None,
        start: tuple[int, int] = (0, 0),
        render_mode: str | None = None,
    ) -> None:
        self.n_angles = check_int("n_angles", n_angles, 4, 64)
        if n_samples is not None:
            n_samples = check_int("n_samples", n_samples, 1, MAX_SAMPLES)
        layout_seed = check_int("layout_seed", layout_seed, 0)
        self.l1 = check_float("l1", l1, 0.0, low_open=True)
        self.l2 = check_float("l2", l2, 0.0, low_open=True)
        self.radius = check_float("radius", radius, 0.0, low_open=True)
        self.sample_reward = check_float("sample_reward", sample_reward)
        self.move_reward = check_float("move_reward", move_reward)
        self.slip = check_probability("slip", slip)
        self.continuous = check_bool("continuous", continuous)
        self.grid_step = 2.0 * math.pi / self.n_angles
        self.max_step = (
            self.grid_step
            if max_step is None
            else check_float("max_step", max_step, 0.0, math.pi, low_open=True)
        )
        self.start = self._start(start)
        self.render_mode = check_render_mode(render_mode, self.metadata["render_modes"])
        grid = np.arange(self.n_angles) * self.grid_step
        x, y = gripper_position(grid[:, None], grid[None, :], self.l1, self.l2)
        self.cell_positions = np.stack([x.ravel(), y.ravel()], axis=1)
        """Gripper (x, y) of each grid configuration, row i1 * n_angles + i2."""
        self.cell_positions.flags.writeable = False
        self.samples = self._layout(samples, n_samples, layout_seed)
        self.n_samples = len(self.samples)
        self._full = (1 << self.n_samples) - 1
        self.near = self._near(self.cell_positions)
        """Bit mask of the samples within ``radius`` of each grid configuration's gripper."""
        self.n_cells = self.n_angles * self.n_angles
        self.n_states, self.n_actions = self.n_cells << self.n_samples, len(MOVES)
        self.start_state = (self.start[0] * self.n_angles + self.start[1]) << self.n_samples
        self.action_space: spaces.Space[Any] = (
            spaces.Box(-1.0, 1.0, shape=(2,), dtype=np.float32)
            if self.continuous
            else spaces.Discrete(self.n_actions)
        )
        self.observation_space: spaces.Space[Any] = (
            spaces.Box(-1.0, 1.0, shape=(4 + self.n_samples,), dtype=np.float32)
            if self.continuous
            else spaces.Discrete(self.n_states)
        )
        if not self.continuous:
            self.valid_actions = np.ones((self.n_states, self.n_actions), dtype=bool)
            self.valid_actions.flags.writeable = False
            self.initial_state_distrib = np.zeros(self.n_states)
            self.initial_state_distrib[self.start_state] = 1.0
        self._cell = list(self.start)
        self._theta = [i * self.grid_step for i in self.start]
        self._collected = 0

    def _start(self, start: object) -> tuple[int, int]:
        """``start`` checked to be two grid indices in [0, n_angles)."""
        if not (isinstance(start, tuple | list) and len(start) == 2):
            raise TypeError(f"start must be grid indices (i1, i2), got {start!r}")
        high = self.n_angles - 1
        return (check_int("start i1", start[0], 0, high), check_int("start i2", start[1], 0, high))

    def _near(self, positions: np.ndarray) -> np.ndarray:
        """Bit mask (int64) of the samples within ``radius`` of each gripper position (N, 2)."""
        distances = np.linalg.norm(positions[:, None, :] - self.samples[None, :, :], axis=2)
        return ((distances <= self.radius) << np.arange(len(self.samples))).sum(axis=1)

    def _layout(self, samples: Any, n_samples: int | None, seed: int) -> np.ndarray:
        """The sample positions (n, 2): ``samples`` checked, or drawn with ``seed``."""
        start_xy = self.cell_positions[self.start[0] * self.n_angles + self.start[1]]
        if samples is None:
            return self._drawn_layout(3 if n_samples is None else n_samples, seed, start_xy)
        array = real_array("samples", samples)
        if array.ndim != 2 or array.shape[1] != 2 or not 1 <= len(array) <= MAX_SAMPLES:
            raise ValueError(
                f"samples must be 1 to {MAX_SAMPLES} positions (x, y), got {samples!r}"
            )
        if not np.isfinite(array).all():
            raise ValueError(f"samples must be finite positions, got {samples!r}")
        if n_samples is not None and n_samples != len(array):
            raise ValueError(
                f"n_samples must be None or len(samples) = {len(array)}, got {n_samples}"
            )
        reach = np.linalg.norm(self.cell_positions[:, None] - array[None], axis=2).min(axis=0)
        from_start = np.linalg.norm(array - start_xy, axis=1)
        for j, position in enumerate(array.tolist()):
            if reach[j] > self.radius or from_start[j] <= self.radius:
                raise ValueError(
                    f"samples[{j}] = {position} must lie within radius = {self.radius:g} of a "
                    f"grid configuration's gripper (nearest {reach[j]:.3g}) and farther than "
                    f"radius from the start (distance {from_start[j]:.3g})"
                )
        return array

    def _drawn_layout(self, n_samples: int, seed: int, start_xy: np.ndarray) -> np.ndarray:
        """``n_samples`` grid gripper positions in random order, 2 radius apart and from start."""
        chosen = [start_xy]
        for cell in np.random.default_rng(seed).permutation(len(self.cell_positions)):
            position = self.cell_positions[cell]
            if all(np.linalg.norm(position - other) > 2.0 * self.radius for other in chosen):
                chosen.append(position)
                if len(chosen) == n_samples + 1:
                    return np.array(chosen[1:])
        raise ValueError(
            f"no layout of n_samples = {n_samples} samples 2 radius apart: lower n_samples or "
            f"radius (radius = {self.radius:g}; or change n_angles, l1, l2, start, layout_seed)"
        )

    # ------------------------------------------------------------------ dynamics

    def target_cell(self, cell: int, action: int) -> int:
        """The grid configuration a Discrete ``action`` leads to from ``cell`` (no slip)."""
        i1, i2 = divmod(cell, self.n_angles)
        d1, d2 = MOVES[action]
        return (i1 + d1) % self.n_angles * self.n_angles + (i2 + d2) % self.n_angles

    def _outcome(self, collected: int, near: int) -> tuple[int, float, bool]:
        """(collected mask, reward, terminated) after a step whose gripper is near ``near``."""
        new = near & ~collected
        reward = self.sample_reward * new.bit_count() + self.move_reward
        collected |= new
        return collected, reward, collected == self._full

    @cached_property
    def P(self) -> TransitionTable:  # noqa: N802  (Gymnasium's name)
        """The toy-text table ``P[s][a]`` of the Discrete version (see Transitions)."""
        if self.continuous:
            raise AttributeError("P exists for the Discrete version only (continuous=False)")
        table: TransitionTable = {}
        near = self.near.tolist()
        for s in range(self.n_states):
            cell, collected = divmod(s, 1 << self.n_samples)
            if collected == self._full:
                table[s] = dict.fromkeys(range(self.n_actions), [Transition(1.0, s, 0.0, True)])
                continue
            stay = self._transition(1.0, cell, collected, near[cell])
            table[s] = {}
            for a in range(self.n_actions):
                target = self.target_cell(cell, a)
                if a == 0 or self.slip == 0.0:
                    table[s][a] = [self._transition(1.0, target, collected, near[target])]
                else:
                    moved = self._transition(1.0 - self.slip, target, collected, near[target])
                    table[s][a] = [moved, stay._replace(prob=self.slip)]
        return table

    def _transition(self, prob: float, cell: int, collected: int, near: int) -> Transition:
        after, reward, terminated = self._outcome(collected, near)
        return Transition(prob, (cell << self.n_samples) + after, reward, terminated)

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[Any, dict[str, Any]]:
        """The arm at ``start`` with no sample collected; ``seed`` seeds the slips (no options)."""
        check_options(options, ())
        super().reset(seed=seed)
        self._cell = list(self.start)
        self._theta = [i * self.grid_step for i in self.start]
        self._collected = 0
        return self._observation(), self._info()

    def step(self, action: Any) -> tuple[Any, float, bool, bool, dict[str, Any]]:
        """Move the joints (unless the move slips), collect nearby samples, pay the move."""
        if self.continuous:
            increments = [self.max_step * da for da in box_action(action, self.action_space)]
            moving = any(increments)
        else:
            a = discrete_action(action, self.n_actions)
            moving = a != 0
        if self._collected == self._full:
            return self._observation(), 0.0, True, False, self._info()
        if moving and self.slip > 0.0 and self.np_random.random() < self.slip:
            moving = False
        if moving and self.continuous:
            self._theta = [
                (t + d) % (2.0 * math.pi) for t, d in zip(self._theta, increments, strict=True)
            ]
        elif moving:
            d1, d2 = MOVES[a]
            self._cell = [
                (self._cell[0] + d1) % self.n_angles,
                (self._cell[1] + d2) % self.n_angles,
            ]
            self._theta = [i * self.grid_step for i in self._cell]
        x, y = self.gripper()
        near = int(self._near(np.array([[x, y]]))[0])
        self._collected, reward, terminated = self._outcome(self._collected, near)
        return self._observation(), reward, terminated, False, self._info()

    def gripper(self) -> tuple[float, float]:
        """The gripper's current (x, y) by :func:`gripper_position`."""
        x, y = gripper_position(self._theta[0], self._theta[1], self.l1, self.l2)
        return float(x), float(y)

    def _observation(self) -> Any:
        if not self.continuous:
            cell = self._cell[0] * self.n_angles + self._cell[1]
            return (cell << self.n_samples) + self._collected
        t1, t2 = self._theta
        flags = [float(self._collected >> j & 1) for j in range(self.n_samples)]
        return np.array(
            [math.cos(t1), math.sin(t1), math.cos(t2), math.sin(t2), *flags], dtype=np.float32
        )

    def _info(self) -> dict[str, Any]:
        return {"n_collected": self._collected.bit_count()}

    # ------------------------------------------------------------------ rendering

    def render(self) -> str | np.ndarray | None:  # type: ignore[override]
        """Render the arm and the samples as text ("ansi") or a picture ("rgb_array")."""
        return render_frame(self.render_mode, self._render_text, self._render_picture)

    def _render_text(self) -> str:
        """One line: joint angles, gripper position, samples collected."""
        x, y = self.gripper()
        t1, t2 = (math.degrees(t) for t in self._theta)
        return (
            f"theta1 {t1:.1f} deg, theta2 {t2:.1f} deg, gripper at ({x:.2f}, {y:.2f}), "
            f"collected {self._collected.bit_count()}/{self.n_samples}\n"
        )

    def _render_picture(self) -> np.ndarray:
        """A 96 x 96 RGB picture: samples (green, grey once collected), links, gripper (red)."""
        image = np.full((PICTURE_PIXELS, PICTURE_PIXELS, 3), 235, dtype=np.uint8)
        extent = self.l1 + self.l2 + self.radius
        rows, columns = np.mgrid[0:PICTURE_PIXELS, 0:PICTURE_PIXELS]
        world_x = (columns + 0.5) / PICTURE_PIXELS * 2 * extent - extent
        world_y = extent - (rows + 0.5) / PICTURE_PIXELS * 2 * extent
        for j, (sx, sy) in enumerate(self.samples.tolist()):
            disc = (world_x - sx) ** 2 + (world_y - sy) ** 2 <= self.radius**2
            image[disc] = (170, 170, 170) if self._collected >> j & 1 else (40, 160, 60)
        elbow = gripper_position(self._theta[0], 0.0, self.l1, 0.0)
        joints = [(0.0, 0.0), (float(elbow[0]), float(elbow[1])), self.gripper()]
        for (x0, y0), (x1, y1) in zip(joints[:-1], joints[1:], strict=True):
            _draw_segment(image, (x0, y0), (x1, y1), extent, (40, 40, 120))
        for (x, y), colour in zip(joints, [(0, 0, 0), (0, 0, 0), (200, 40, 40)], strict=True):
            row, column = _pixel(x, y, extent)
            image[max(row - 2, 0) : row + 3, max(column - 2, 0) : column + 3] = colour
        return image


def _pixel(x: float, y: float, extent: float) -> tuple[int, int]:
    """The (row, column) of the world point (x, y) in a picture spanning [-extent, extent]²."""
    scale = PICTURE_PIXELS / (2 * extent)
    column = min(int((x + extent) * scale), PICTURE_PIXELS - 1)
    row = min(int((extent - y) * scale), PICTURE_PIXELS - 1)
    return row, column


def _draw_segment(
    image: np.ndarray, start: tuple[float, float], end: tuple[float, float], extent: float,
    colour: tuple[int, int, int],
) -> None:  # fmt: skip
    """Draw a 2-pixel-wide line from ``start`` to ``end`` (world coordinates)."""
    for t in np.linspace(0.0, 1.0, 2 * PICTURE_PIXELS):
        row, column = _pixel(
            start[0] + t * (end[0] - start[0]), start[1] + t * (end[1] - start[1]), extent
        )
        image[row : row + 2, column : column + 2] = colour
