"""The n-state random walk of Sutton & Barto (2018), §9.2 (Example 9.1; Example 6.2 if size=5)."""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium import spaces

from labcoat.envs._checks import check_int
from labcoat.envs._render import check_render_mode, render_frame
from labcoat.envs._tabular import FixedStartTabularEnv, Transition, TransitionTable

TRACK_WIDTH = 50


class RandomWalkEnv(FixedStartTabularEnv):
    """The n-state random walk, a prediction task (Sutton & Barto 2018, §9.2, Example 9.1).

    ## Description
    A row of ``size`` non-terminal states between two terminal states. Each step the walker
    jumps to one of the ``max_jump`` states on its left or one of the ``max_jump`` states on its
    right, all 2 * max_jump jumps with probability 1 / (2 * max_jump). A jump that would pass an
    end lands in that end's terminal state: the probability of all jumps beyond the end goes to
    the terminal (Sutton & Barto's rule). With the defaults (1000 states, jumps up to 100) this
    is the walk on which Sutton & Barto compare state aggregation and tile coding; size=5,
    max_jump=1 is the classic five-state walk of Example 6.2, whose true values
    v(i) = 2 i / 6 - 1 (i = 1..5) follow from the Bellman equation (eq. 7.7 of the notes)
    v(i) = (v(i - 1) + v(i + 1)) / 2 with v(0) = v(6) = 0 and the rewards -1 / +1 of the ends.

    ## Action Space
    `Discrete(1)`: there is no choice (a prediction task); action 0 means "walk".

    ## Observation Space
    `Discrete(size + 2)`, returned as a Python `int`: 0 is the left terminal, 1..size the
    non-terminal states (Sutton & Barto's numbering), size + 1 the right terminal.

    ## Rewards
    -1 for entering the left terminal, +1 for entering the right terminal, 0 otherwise.

    ## Transitions
    ``P[s][0]`` lists the :class:`~labcoat.envs._tabular.Transition` of every state, including the
    terminals, which are absorbing (probability 1 to themselves, reward 0, terminated True) so
    that ``P`` covers every state. ``valid_actions`` is all True.

    ## Starting State
    The middle state (size + 1) // 2: state 500 of 1..1000 (equal to size // 2 for even sizes),
    state 3 ("C") of the five-state walk. It is also the attribute ``start_state``.

    ## Episode End
    Termination on entering a terminal state. ``gym.make("labcoat/RandomWalk-v0")`` also
    truncates after 100 000 steps (far beyond the expected episode length).

    ## Arguments
    ```python
    import gymnasium as gym
    import labcoat.envs

    env = gym.make("labcoat/RandomWalk-v0", size=19, max_jump=1)
    ```
    - size: the number of non-terminal states (>= 1, default 1000).
    - max_jump: the largest jump to either side (>= 1, default 100).
    - render_mode: None, "ansi" (a text track) or "rgb_array" (a 24 x 272 picture of the track).

    ## Version History
    - v0: Initial version.
    """

    metadata: dict[str, Any] = {"render_modes": ["ansi", "rgb_array"], "render_fps": 4}

    def __init__(
        self, size: int = 1000, max_jump: int = 100, render_mode: str | None = None
    ) -> None:
        self.size = check_int("size", size, 1)
        self.max_jump = check_int("max_jump", max_jump, 1)
        self.render_mode = check_render_mode(render_mode, self.metadata["render_modes"])
        self.n_states, self.n_actions = self.size + 2, 1
        self.start_state = (self.size + 1) // 2
        self.observation_space = spaces.Discrete(self.n_states)
        self.action_space = spaces.Discrete(self.n_actions)
        self.valid_actions = np.ones((self.n_states, self.n_actions), dtype=bool)
        self.valid_actions.flags.writeable = False
        self.P: TransitionTable = self._transition_table()
        self._state = self.start_state

    def _transition_table(self) -> TransitionTable:
        """Build ``P[s][0]``: uniform jumps, the mass beyond each end on its terminal."""
        right = self.size + 1
        p = 1.0 / (2 * self.max_jump)
        # The transition into a non-terminal n is the same from every state: build each once.
        into = [Transition(p, n, 0.0, False) for n in range(right + 1)]
        table: TransitionTable = {0: {0: [Transition(1.0, 0, 0.0, True)]}}
        for s in range(1, right):
            table[s] = {0: self._jumps_from(s, into)}
        table[right] = {0: [Transition(1.0, right, 0.0, True)]}
        return table

    def _jumps_from(self, s: int, into: list[Transition]) -> list[Transition]:
        """The outcomes of one step from the non-terminal state ``s``."""
        n_jumps, right = 2 * self.max_jump, self.size + 1
        beyond_left = max(0, self.max_jump - s + 1)  # jumps k <= -s land on 0
        beyond_right = max(0, s + self.max_jump - self.size)  # jumps k >= right - s
        left_end = [Transition(beyond_left / n_jumps, 0, -1.0, True)] if beyond_left else []
        right_end = [Transition(beyond_right / n_jumps, right, 1.0, True)] if beyond_right else []
        lowest, highest = max(1, s - self.max_jump), min(self.size, s + self.max_jump)
        return left_end + into[lowest:s] + into[s + 1 : highest + 1] + right_end

    def render(self) -> str | np.ndarray | None:  # type: ignore[override]
        """Render the walker's position as text ("ansi") or a picture ("rgb_array")."""
        return render_frame(self.render_mode, self._render_text, self._render_picture)

    def _track_position(self, width: int) -> int:
        """Column of the current non-terminal state on a track of ``width`` columns."""
        return round((self._state - 1) * (width - 1) / max(1, self.size - 1))

    def _render_text(self) -> str:
        """``L|----o----|R  state s of 1..size`` with brackets on a reached terminal."""
        s = self._state
        track = ["-"] * TRACK_WIDTH
        if 1 <= s <= self.size:
            track[self._track_position(TRACK_WIDTH)] = "o"
        left = "[L]" if s == 0 else "L"
        right = "[R]" if s == self.size + 1 else "R"
        return f"{left}|{''.join(track)}|{right}  state {s} of 1..{self.size}\n"

    def _render_picture(self) -> np.ndarray:
        """A 24 x 272 RGB picture: red left terminal, green right terminal, the walker in black."""
        image = np.full((24, 272, 3), 235, dtype=np.uint8)
        image[4:20, 0:8] = (200, 40, 40)
        image[4:20, 264:272] = (40, 160, 60)
        image[10:14, 8:264] = (150, 150, 150)
        s = self._state
        if s == 0 or s == self.size + 1:
            columns = slice(0, 8) if s == 0 else slice(264, 272)
            image[0:24, columns] = (0, 0, 0)
        else:
            column = 8 + self._track_position(256)
            image[2:22, max(8, column - 1) : column + 2] = (0, 0, 0)
        return image
