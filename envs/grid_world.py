"""A slippery gridworld with walls, a terminal goal and pits: a tabular MDP of any size."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
from gymnasium import spaces

from labcoat.envs._checks import check_float, check_int
from labcoat.envs._render import check_render_mode, render_frame
from labcoat.envs._tabular import FixedStartTabularEnv, Transition, TransitionTable

MOVES = ((0, -1), (1, 0), (0, 1), (-1, 0))
"""(row, column) change of the actions 0 left, 1 down, 2 right, 3 up (FrozenLake's order)."""

CELL_PIXELS = 8
COLOURS = {".": (235, 235, 235), "#": (90, 90, 90), "G": (40, 160, 60), "X": (200, 40, 40)}


class GridWorldEnv(FixedStartTabularEnv):
    """A size x size slippery gridworld with walls, a terminal goal and terminal pits.

    ## Description
    The agent moves on a square grid of ``size`` x ``size`` cells. An action moves it one cell
    in the intended direction with probability 1 - slip, and to each of the two perpendicular
    directions with probability slip / 2 (FrozenLake's slipping, with a tunable probability).
    A move off the grid or into a wall leaves the agent where it is. Entering the goal or a pit
    ends the episode. The exact dynamics are the toy-text table ``P``, so the environment is a
    test bed for planning (value and policy iteration on sparse models): a 1000 x 1000 grid
    has 10^6 states but only three successors per state and action.

    ## Action Space
    `Discrete(4)`: 0 left, 1 down, 2 right, 3 up.

    ## Observation Space
    `Discrete(size * size)`, returned as a Python `int`: the cell (row, column) is state
    ``row * size + column``; row 0 is the top.

    ## Rewards
    ``goal_reward`` (default +1) for entering the goal, ``pit_reward`` (default -1) for
    entering a pit, ``step_reward`` (default 0) for every other step.

    ## Transitions
    ``P[s][a]`` lists the :class:`~labcoat.envs._tabular.Transition` of every state and action
    (up to three, one per direction; with slip = 0 exactly one). A repeated next state (two
    directions blocked) is listed once per direction. The goal and the pits are absorbing
    (probability 1 to themselves, reward 0, terminated True). Wall cells are never entered;
    their rows move like a free cell's so that every state has well-defined values.
    ``valid_actions`` is all True.

    ## Starting State
    The cell ``start`` (default the top-left corner); also ``initial_state_distrib``.

    ## Episode End
    Termination on entering the goal or a pit. ``gym.make("labcoat/GridWorld-v0")`` also
    truncates after 400 steps (4 x the states of the default grid; pass max_episode_steps
    for larger grids).

    ## Arguments
    ```python
    import gymnasium as gym
    import labcoat.envs

    env = gym.make("labcoat/GridWorld-v0", size=10, slip=0.2, walls=[(1, 1)], pits=[(2, 3)])
    ```
    - size: cells per side (>= 2, default 10).
    - slip: probability of slipping sideways, in [0, 1] (default 0.2).
    - walls: cells (row, column) the agent cannot enter (default none).
    - goal: the terminal goal cell (default the bottom-right corner).
    - pits: terminal cells with ``pit_reward`` (default none).
    - start: the start cell (default (0, 0)); it must be free.
    - step_reward, goal_reward, pit_reward: finite rewards (defaults 0, 1, -1).
    - render_mode: None, "ansi" (one line: the agent's cell) or "rgb_array" (8 pixels per
      cell). :meth:`map` returns the whole grid as text.

    ## Version History
    - v0: Initial version.
    """

    metadata: dict[str, Any] = {"render_modes": ["ansi", "rgb_array"], "render_fps": 4}

    def __init__(
        self,
        size: int = 10,
        slip: float = 0.2,
        walls: Iterable[tuple[int, int]] = (),
        goal: tuple[int, int] | None = None,
        pits: Iterable[tuple[int, int]] = (),
        start: tuple[int, int] = (0, 0),
        step_reward: float = 0.0,
        goal_reward: float = 1.0,
        pit_reward: float = -1.0,
        render_mode: str | None = None,
    ) -> None:
        self.size = check_int("size", size, 2)
        self.slip = check_float("slip", slip, 0.0, 1.0)
        self.rewards = tuple(
            check_float(name, value)
            for name, value in (
                ("step_reward", step_reward),
                ("goal_reward", goal_reward),
                ("pit_reward", pit_reward),
            )
        )
        self.render_mode = check_render_mode(render_mode, self.metadata["render_modes"])
        self.n_states, self.n_actions = self.size * self.size, 4
        self.cells = self._layout(walls, goal, pits, start)
        self.observation_space = spaces.Discrete(self.n_states)
        self.action_space = spaces.Discrete(self.n_actions)
        self.valid_actions = np.ones((self.n_states, self.n_actions), dtype=bool)
        self.valid_actions.flags.writeable = False
        self.initial_state_distrib = np.zeros(self.n_states)
        self.initial_state_distrib[self.start_state] = 1.0
        self.P: TransitionTable = self._transition_table()
        self._state = self.start_state

    def _cell(self, name: str, cell: object) -> int:
        """The state of ``cell``, checked to be a (row, column) pair inside the grid."""
        if not (isinstance(cell, tuple | list) and len(cell) == 2):
            raise TypeError(f"{name} must be (row, column) cells, got {cell!r}")
        high = self.size - 1
        row, column = (check_int(f"{name} row", cell[0], 0, high),
                       check_int(f"{name} column", cell[1], 0, high))  # fmt: skip
        return row * self.size + column

    def _cells(self, name: str, cells: object) -> list[tuple[Any, int]]:
        """The (cell, state) pairs of a sequence of cells, each checked by :meth:`_cell`."""
        if isinstance(cells, str) or not isinstance(cells, Iterable):
            raise TypeError(f"{name} must be a sequence of (row, column) cells, got {cells!r}")
        return [(cell, self._cell(name, cell)) for cell in cells]

    def _layout(
        self, walls: Iterable[Any], goal: Any, pits: Iterable[Any], start: Any
    ) -> np.ndarray:
        """The map as a char array (size * size,): '.' free, '#' wall, 'G' goal, 'X' pit."""
        cells = np.full(self.n_states, ".", dtype="<U1")
        goal = (self.size - 1, self.size - 1) if goal is None else goal
        listed = {"walls": walls, "pits": pits, "goal": [goal]}
        states = {name: self._cells(name, value) for name, value in listed.items()}
        self.start_state = self._cell("start", start)  # every argument checked before conflicts
        owner = {".": "free"}
        for (name, cells_of), mark in zip(states.items(), "#XG", strict=True):
            for cell, s in cells_of:
                if cells[s] != ".":
                    raise ValueError(f"{name} cell {cell!r} is already in {owner[str(cells[s])]}")
                cells[s], owner[mark] = mark, name
        if cells[self.start_state] != ".":
            raise ValueError(
                f"start must be a free cell, got {start!r} (a cell of "
                f"{owner[str(cells[self.start_state])]})"
            )
        cells.flags.writeable = False
        return cells

    def _targets(self) -> np.ndarray:
        """targets[d, s]: the state a move in direction d leads to from s (blocked: s)."""
        rows, columns = np.divmod(np.arange(self.n_states), self.size)
        targets = np.empty((4, self.n_states), dtype=np.int64)
        for d, (dr, dc) in enumerate(MOVES):
            r, c = rows + dr, columns + dc
            inside = (r >= 0) & (r < self.size) & (c >= 0) & (c < self.size)
            target = np.where(inside, r * self.size + c, np.arange(self.n_states))
            targets[d] = np.where(self.cells[target] == "#", np.arange(self.n_states), target)
        return targets

    def _transition_table(self) -> TransitionTable:
        """Build ``P``: the outcomes of (s, a) depend on their probability and target only."""
        step, goal, pit = self.rewards
        reward = np.where(self.cells == "G", goal, np.where(self.cells == "X", pit, step))
        ends = (self.cells == "G") | (self.cells == "X")
        outcomes = [(1.0 - self.slip, 0)] + ([(self.slip / 2, -1), (self.slip / 2, 1)]
                                            if self.slip > 0 else [])  # fmt: skip
        into = {  # one Transition per (probability, target), shared by all the lists
            p: [Transition(p, t, r, e) for t, r, e in zip(
                range(self.n_states), reward.tolist(), ends.tolist(), strict=True)]
            for p in {p for p, _ in outcomes if p > 0}
        }  # fmt: skip
        targets = self._targets().tolist()
        table: TransitionTable = {}
        for s, end in enumerate(ends.tolist()):
            if end:
                table[s] = dict.fromkeys(range(4), [Transition(1.0, s, 0.0, True)])
                continue
            table[s] = {
                a: [into[p][targets[(a + turn) % 4][s]] for p, turn in outcomes if p > 0]
                for a in range(4)
            }
        return table

    def render(self) -> str | np.ndarray | None:  # type: ignore[override]
        """Render the map with the agent as text ("ansi") or a picture ("rgb_array")."""
        return render_frame(self.render_mode, self._render_text, self._render_picture)

    def _render_text(self) -> str:
        """One line (the project's ansi frame): the agent's cell and what it is."""
        row, column = divmod(self._state, self.size)
        kind = {".": "free", "G": "goal", "X": "pit", "#": "wall"}[str(self.cells[self._state])]
        return f"agent at (row {row}, column {column}) of {self.size} x {self.size}: {kind}\n"

    def map(self) -> str:
        """The grid as text, one line per row: '.' free, '#' wall, 'G' goal, 'X' pit, 'A' agent."""
        cells = self.cells.copy()
        cells[self._state] = "A"
        return "".join("".join(row) + "\n" for row in cells.reshape(self.size, self.size))

    def _render_picture(self) -> np.ndarray:
        """An RGB picture, CELL_PIXELS per cell, the agent as a black square."""
        image = np.zeros((self.n_states, 3), dtype=np.uint8)
        for mark, colour in COLOURS.items():
            image[self.cells == mark] = colour
        image = image.reshape(self.size, self.size, 3)
        image[divmod(self._state, self.size)] = (0, 0, 0)
        return np.repeat(np.repeat(image, CELL_PIXELS, axis=0), CELL_PIXELS, axis=1)
