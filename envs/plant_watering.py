"""The plant-watering Markov decision process of the notes (§7.2, Fig. 36, eqs. 7.8-7.13)."""

from __future__ import annotations

import warnings
from typing import Any, Literal

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from labcoat.envs._checks import check_choice, check_float, check_probability
from labcoat.envs._inputs import check_options, discrete_action
from labcoat.envs._render import check_render_mode, render_frame
from labcoat.envs._tabular import Transition, TransitionSampler, TransitionTable

HIGH, LOW = 0, 1
ON, OFF, TEXT = 0, 1, 2
STATE_NAMES = ("high", "low")
ACTION_NAMES = ("on", "off", "text")
INVALID_ACTION_RULES = ("penalize", "raise")


class PlantWateringEnv(gym.Env):
    """The plant-watering agent of the lecture notes (§7.2, transition graph of Fig. 36).

    ## Description
    A sensor reports whether the water level of the plants in the lab is *high* or *low*. Each
    step the agent switches the growth lamp *on* (faster growth, more reward, more water used)
    or *off*, or, when the water is low, *texts* a human, who comes and refills the water. If the
    water runs out the plants die; new plants are bought and watered, so the state returns to
    high with the failure reward. The dynamics p(s', r | s, a) are exactly those of the notes;
    the Bellman equations of the always-on policy (eqs. 7.8-7.9) and the Bellman optimality
    equations (eqs. 7.12-7.13) can be solved from ``P`` (see ``labcoat.agents`` / ``classic``).

    ## Action Space
    `Discrete(3)`:

    - 0: lamp on
    - 1: lamp off
    - 2: text (available only in the low state; see *Unavailable actions*)

    ## Observation Space
    `Discrete(2)`, returned as a Python `int`: 0 = water level high, 1 = water level low.

    ## Rewards
    The reward of a step depends on the action and, from low, on the outcome. The notes write
    p(h, r_on | h, on) = alpha and, in eq. 7.8, p(l, r_on | h, on) = 1 - alpha: from high the
    lamp reward is received whichever level follows. From low, eq. 7.13 pays r_on (r_off) only
    if the plants survive (stay low) and r_fail if they die (back to high):

    | state | action | next state, reward, probability |
    |---|---|---|
    | high | on | high, r_on, alpha; low, r_on, 1 - alpha |
    | high | off | high, r_off, alpha'; low, r_off, 1 - alpha' |
    | low | on | low, r_on, beta; high, r_fail, 1 - beta |
    | low | off | low, r_off, beta'; high, r_fail, 1 - beta' |
    | low | text | high, r_text, 1 |
    | high | text | (unavailable) high, r_off - penalty, alpha'; low, r_off - penalty, 1 - alpha' |

    The notes order the rewards r_on > r_off > 0 > r_text > r_fail and the probabilities
    alpha' > alpha, beta' > beta (the lamp uses water); breaking an ordering is allowed but warns.

    ## Transitions
    ``P[s][a]`` is a list of :class:`~labcoat.envs._tabular.Transition`
    ``(prob, next_state, reward, terminated)`` covering every state and action (including the
    unavailable text in high, so planning on ``P`` is well defined); outcomes of probability 0
    are kept so that every list has a fixed layout (two outcomes, one for text in low).
    ``valid_actions[s, a]`` is False only for (high, text).

    ## Unavailable actions
    Texting when the water is high is not an action of the notes. With
    ``invalid_action="penalize"`` (default) the text is not sent: the lamp stays off, so the
    step follows the *off* transition (alpha') and pays r_off - ``invalid_action_penalty``.
    Having the same next-state distribution as *off* and a strictly lower reward, it satisfies
    q(high, text) = q(high, off) - penalty for every value function and is never optimal, yet an
    unmodified SB3 PPO or DQN can send it. With ``invalid_action="raise"`` ``step`` raises
    ValueError instead (``P`` keeps the penalized entry). ``info["action_mask"]`` (np.int8, the
    sb3-contrib MaskablePPO convention) and :meth:`action_masks` give the available actions.

    ## Starting State
    High water (freshly watered plants), state 0.

    ## Episode End
    A continuing task: it never terminates. ``gym.make("labcoat/PlantWatering-v0")`` truncates
    after 200 steps (TimeLimit; pass ``max_episode_steps`` to change it).

    ## Arguments
    ```python
    import gymnasium as gym
    import labcoat.envs

    env = gym.make("labcoat/PlantWatering-v0", r_fail=-10.0, beta=0.5, render_mode="ansi")
    ```
    - r_on, r_off, r_text, r_fail: the rewards of the notes (defaults 1, 0.5, -1, -4).
    - alpha, alpha_prime: p(stay high | high, on), p(stay high | high, off) (0.8, 0.95). These
      are transition probabilities of the MDP, not learning rates.
    - beta, beta_prime: p(stay low | low, on), p(stay low | low, off) (0.7, 0.9).
    - invalid_action: "penalize" or "raise" (see *Unavailable actions*).
    - invalid_action_penalty: how much less than r_off an unavailable text pays (> 0, default 1).
    - render_mode: None, "ansi" (a text line) or "rgb_array" (a 64 x 96 picture of lamp, plant
      and water gauge).

    With the defaults a short-sighted agent (gamma <= 0.5) switches the lamp off when the water
    is low, a far-sighted one (gamma >= 0.8) texts; in high the lamp stays on.

    ## Version History
    - v0: Initial version.
    """

    metadata: dict[str, Any] = {"render_modes": ["ansi", "rgb_array"], "render_fps": 4}

    def __init__(
        self,
        r_on: float = 1.0,
        r_off: float = 0.5,
        r_text: float = -1.0,
        r_fail: float = -4.0,
        alpha: float = 0.8,
        alpha_prime: float = 0.95,
        beta: float = 0.7,
        beta_prime: float = 0.9,
        invalid_action: Literal["penalize", "raise"] = "penalize",
        invalid_action_penalty: float = 1.0,
        render_mode: str | None = None,
    ) -> None:
        self.r_on, self.r_off = check_float("r_on", r_on), check_float("r_off", r_off)
        self.r_text, self.r_fail = check_float("r_text", r_text), check_float("r_fail", r_fail)
        self.alpha = check_probability("alpha", alpha)
        self.alpha_prime = check_probability("alpha_prime", alpha_prime)
        self.beta = check_probability("beta", beta)
        self.beta_prime = check_probability("beta_prime", beta_prime)
        self.invalid_action = check_choice("invalid_action", invalid_action, INVALID_ACTION_RULES)
        self.invalid_action_penalty = check_float(
            "invalid_action_penalty", invalid_action_penalty, 0.0, low_open=True
        )
        self.render_mode = check_render_mode(render_mode, self.metadata["render_modes"])
        self._warn_broken_orderings()

        self.n_states, self.n_actions = 2, 3
        self.observation_space = spaces.Discrete(self.n_states)
        self.action_space = spaces.Discrete(self.n_actions)
        self.valid_actions = np.array([[True, True, False], [True, True, True]])
        self.valid_actions.flags.writeable = False
        self.P: TransitionTable = self._transition_table()
        self._sampler = TransitionSampler(self.P, self.n_states, self.n_actions)
        self._masks = [row.astype(np.int8) for row in self.valid_actions]
        self._valid = self.valid_actions.tolist()
        self._state = HIGH
        self._last: tuple[int, int, float] | None = None  # (previous state, action, reward)

    def _warn_broken_orderings(self) -> None:
        """Warn about each ordering of the notes (§7.2) that the arguments break."""
        orderings = [
            ("r_on > r_off", self.r_on > self.r_off),
            ("r_off > 0", self.r_off > 0),
            ("0 > r_text", 0 > self.r_text),
            ("r_text > r_fail", self.r_text > self.r_fail),
            ("alpha_prime > alpha", self.alpha_prime > self.alpha),
            ("beta_prime > beta", self.beta_prime > self.beta),
        ]
        for ordering, holds in orderings:
            if not holds:
                warnings.warn(
                    f"PlantWateringEnv: the notes assume {ordering}; these arguments break it",
                    UserWarning,
                    stacklevel=3,
                )

    def _transition_table(self) -> TransitionTable:
        """Build p(s', r | s, a) of Fig. 36 / eqs. 7.12-7.13 as ``P[s][a]``."""

        def lamp(p_stay: float, stay: int, r_stay: float, leave: int, r_leave: float):
            return [
                Transition(p_stay, stay, r_stay, False),
                Transition(1.0 - p_stay, leave, r_leave, False),
            ]

        r_ignored_text = self.r_off - self.invalid_action_penalty
        return {
            HIGH: {
                ON: lamp(self.alpha, HIGH, self.r_on, LOW, self.r_on),
                OFF: lamp(self.alpha_prime, HIGH, self.r_off, LOW, self.r_off),
                TEXT: lamp(self.alpha_prime, HIGH, r_ignored_text, LOW, r_ignored_text),
            },
            LOW: {
                ON: lamp(self.beta, LOW, self.r_on, HIGH, self.r_fail),
                OFF: lamp(self.beta_prime, LOW, self.r_off, HIGH, self.r_fail),
                TEXT: [Transition(1.0, HIGH, self.r_text, False)],
            },
        }

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[int, dict[str, Any]]:
        """Start with high water; ``seed`` seeds ``self.np_random`` (no options)."""
        check_options(options, ())
        super().reset(seed=seed)
        self._state = HIGH
        self._last = None
        return HIGH, {"action_mask": self._masks[HIGH].copy()}

    def step(self, action: int) -> tuple[int, float, bool, bool, dict[str, Any]]:
        """Sample (s', r) from p(s', r | s, a) (Fig. 36); the task never terminates."""
        a, s = discrete_action(action, 3), self._state
        if not self._valid[s][a] and self.invalid_action == "raise":
            raise ValueError(f"action {a} ({ACTION_NAMES[a]}) is unavailable in state {s}")
        _, next_state, reward, _ = self._sampler.sample(s, a, self.np_random.random())
        self._state = next_state
        self._last = (s, a, reward)
        return next_state, reward, False, False, {"action_mask": self._masks[next_state].copy()}

    def action_masks(self) -> np.ndarray:
        """Available actions in the current state (np.int8, sb3-contrib MaskablePPO convention)."""
        return self._masks[self._state].copy()

    def render(self) -> str | np.ndarray | None:  # type: ignore[override]
        """Render the current state as text ("ansi") or a picture ("rgb_array")."""
        return render_frame(self.render_mode, self._render_text, self._render_picture)

    def _render_text(self) -> str:
        """One line: water level, lamp, last action and reward."""
        gauge = "[####]" if self._state == HIGH else "[#   ]"
        line = f"water {gauge} {STATE_NAMES[self._state]}"
        if self._last is None:
            return line + " | lamp off | start\n"
        previous, action, reward = self._last
        lamp = "on" if action == ON else "off"
        ignored = action == TEXT and previous == HIGH
        name = ACTION_NAMES[action] + (" (unavailable: not sent)" if ignored else "")
        news = " | plants died, replanted" if self._plants_died() else ""
        return f"{line} | lamp {lamp} | last action {name}, reward {reward:+.2f}{news}\n"

    def _plants_died(self) -> bool:
        """Whether the last step left low water by on/off: the r_fail transition."""
        if self._last is None:
            return False
        previous, action, _ = self._last
        return previous == LOW and action != TEXT and self._state == HIGH

    def _render_picture(self) -> np.ndarray:
        """A 64 x 96 RGB picture: lamp (lit if on), plant (brown if it died), water gauge."""
        image = np.full((64, 96, 3), 235, dtype=np.uint8)
        previous, action = (None, None) if self._last is None else self._last[:2]
        _draw_lamp(image, lit=action == ON)
        _draw_plant(image, dead=self._plants_died())
        _draw_gauge(image, high=self._state == HIGH)
        if action == TEXT and previous == LOW:
            _draw_envelope(image)
        return image


def _draw_lamp(image: np.ndarray, lit: bool) -> None:
    image[4:10, 12:42] = (250, 210, 0) if lit else (90, 90, 90)
    if lit:
        image[10:26, 14:40] = (255, 245, 170)


def _draw_plant(image: np.ndarray, dead: bool) -> None:
    green = (120, 90, 40) if dead else (30, 150, 50)
    image[30:48, 26:28] = green
    image[34:38, 18:26] = green
    image[38:42, 28:36] = green
    image[48:60, 18:36] = (150, 80, 40)


def _draw_gauge(image: np.ndarray, high: bool) -> None:
    image[8:60, 68:86] = (40, 40, 40)
    image[10:58, 70:84] = (255, 255, 255)
    top = 18 if high else 46
    image[top:58, 70:84] = (40, 110, 230)


def _draw_envelope(image: np.ndarray) -> None:
    image[2:14, 48:64] = (40, 40, 40)
    image[3:13, 49:63] = (255, 255, 255)
    image[6:8, 52:60] = (200, 40, 40)
