"""The doctor's bandit of the notes, §7.1: which treatment cures most patients?"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces
from numpy.typing import NDArray

from labcoat.envs._bandit import bandit_frame, check_values, optimal_action, pull_bernoulli
from labcoat.envs._checks import check_float, check_int
from labcoat.envs._inputs import check_options, discrete_action
from labcoat.envs._render import check_render_mode


class TreatmentBanditEnv(gym.Env):
    """A doctor chooses one of n treatments for each patient; the patient recovers or not.

    ## Description
    The example of the notes, §7.1: "The agent is a doctor, who has to choose from n actions,
    the treatments, for a given disease, with the reward depending on the recovery of the
    patient." Treatment a cures a patient with an unknown probability q*(a) = E(r), the value
    of the treatment. The doctor "learns on the job": each patient is one pull of a Bernoulli
    bandit, and a patient given a poor treatment is a cost (the regret).

    ## Action Space
    ``Discrete(n_treatments)``: the treatment given to the current patient.

    ## Observation Space
    ``Discrete(1)``: the constant 0 (patients are indistinguishable; the bandit has one state).

    ## Rewards
    1.0 if the patient recovers (probability q*(a)), else 0.0.

    ## Transitions
    None: every patient is a new, independent trial. The recovery probabilities stay fixed
    during an episode; the unwrapped env's ``recovery_probabilities`` holds them.

    ## Starting State
    Observation 0. The recovery probabilities are ``recovery_probabilities`` if given, else
    drawn independently at reset from the prior q*(a) ~ Beta(prior_alpha, prior_beta)
    (default Beta(1, 1), the uniform distribution). The reset ``info`` holds
    ``optimal_action``.

    ## Episode End
    Never terminated; truncated after ``n_patients`` patients. Every step's ``info`` holds
    ``optimal_action`` = argmax q*(a) (the best treatment) and ``regret`` = max q* − q*(A_t),
    the expected number of recoveries lost on this patient.

    ## Arguments
    * ``n_treatments``: number of treatments n (default 5, or ``len(recovery_probabilities)``).
    * ``recovery_probabilities``: fixed q*(a) in [0, 1], one per treatment (default: drawn).
    * ``n_patients``: patients per episode (default 1000).
    * ``prior_alpha``, ``prior_beta``: the Beta prior of drawn probabilities (default 1, 1).
    * ``render_mode``: None, ``"ansi"`` (a line: the last patient's treatment and outcome) or
      ``"rgb_array"`` (a bar chart of the recovery probabilities, the best treatment green, the
      last one given marked red).

    With the same fixed probabilities and seed, the rewards equal those of
    ``Bandit-v0`` with ``reward_distribution="bernoulli"`` and ``q_star`` set to them.

    ## Version History
    * v0: initial version.
    """

    metadata: dict[str, Any] = {"render_modes": ["ansi", "rgb_array"], "render_fps": 4}

    def __init__(
        self,
        n_treatments: int | None = None,
        recovery_probabilities: Sequence[float] | NDArray[np.float64] | None = None,
        n_patients: int = 1000,
        prior_alpha: float = 1.0,
        prior_beta: float = 1.0,
        render_mode: str | None = None,
    ) -> None:
        self.render_mode = check_render_mode(render_mode, self.metadata["render_modes"])
        self._fixed = (
            None
            if recovery_probabilities is None
            else check_values("recovery_probabilities", recovery_probabilities, probabilities=True)
        )
        self.n_patients = check_int("n_patients", n_patients, 1)
        self.prior_alpha = check_float("prior_alpha", prior_alpha, 0.0, low_open=True)
        self.prior_beta = check_float("prior_beta", prior_beta, 0.0, low_open=True)
        self.n_treatments = self._check_n_treatments(n_treatments)  # last: it may compare two
        self.action_space = spaces.Discrete(self.n_treatments)
        self.observation_space = spaces.Discrete(1)
        self.recovery_probabilities: NDArray[np.float64] | None = None
        """The true recovery probabilities q*(a), shape (n_treatments,), set at reset."""
        self._patient = 0
        self._last: tuple[int, float] | None = None  # (treatment, reward)

    def _check_n_treatments(self, n_treatments: int | None) -> int:
        if self._fixed is None:
            return 5 if n_treatments is None else check_int("n_treatments", n_treatments, 2)
        if (
            n_treatments is not None
            and check_int("n_treatments", n_treatments, 2) != self._fixed.size
        ):
            raise ValueError(
                f"n_treatments must equal len(recovery_probabilities) = {self._fixed.size}, "
                f"got {n_treatments!r}"
            )
        return self._fixed.size

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[int, dict[str, Any]]:
        """Set the recovery probabilities (fixed, or drawn from the Beta prior); patient 0."""
        check_options(options, ())
        super().reset(seed=seed)
        if self._fixed is not None:
            self.recovery_probabilities = self._fixed.copy()
        else:
            self.recovery_probabilities = self.np_random.beta(
                self.prior_alpha, self.prior_beta, size=self.n_treatments
            )
        self._patient, self._last = 0, None
        return 0, {"optimal_action": int(optimal_action(self.recovery_probabilities))}

    def step(self, action: int | np.integer[Any]) -> tuple[int, float, bool, bool, dict[str, Any]]:
        """Treat one patient with treatment ``action``: reward 1.0 on recovery, else 0.0."""
        q = self.recovery_probabilities
        if q is None:
            raise RuntimeError("call reset() before step()")
        arm = discrete_action(action, self.n_treatments)
        best = int(optimal_action(q))
        reward = float(pull_bernoulli(self.np_random, q[arm]))
        self._patient += 1
        self._last = (arm, reward)
        info = {"optimal_action": best, "regret": float(q[best] - q[arm])}
        return 0, reward, False, self._patient >= self.n_patients, info

    def render(self) -> str | np.ndarray | None:  # type: ignore[override]
        """The last patient as a line of text ("ansi") or a bar chart of q* ("rgb_array")."""
        pulled = None if self._last is None else self._last[0]
        q = self.recovery_probabilities
        return bandit_frame(self.render_mode, q, (0.0, 1.0), pulled, self._render_text)

    def _render_text(self, q: NDArray[np.float64]) -> str:
        best = int(optimal_action(q))
        if self._last is None:
            return f"patient 0 of {self.n_patients}: none treated yet (best treatment {best})\n"
        treatment, reward = self._last
        outcome = "recovered" if reward > 0.0 else "did not recover"
        return (
            f"patient {self._patient} of {self.n_patients}: treatment {treatment}, {outcome} "
            f"(best treatment {best})\n"
        )
