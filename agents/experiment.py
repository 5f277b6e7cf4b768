"""A learned experiment optimizer: a recurrent policy trained across reaction landscapes.

The recipe of the Deep Reaction Optimizer (Zhou, Li & Zare, ACS Cent. Sci. 2017), itself
Chen et al.'s "learning to learn without gradient descent by gradient descent" (ICML 2017):
a recurrent policy sees the history of a campaign (conditions tried, yields measured, the best
so far, the budget left) and proposes the next conditions; it is trained by gradient ascent on
the yields found in simulated campaigns, over many landscapes of the family, by differentiating
through the simulator. labcoat's simulator is the exact kinetics of
:class:`labcoat.envs.reaction.ReactionLandscape`, evaluated in torch (its formulas take the
array module ``xp``), so the gradient of every yield with respect to the conditions is exact.

The objective of one campaign of B + 1 experiments (the random start and B chosen) is

    J = mean_t max_{j <= t} y_j + lambda * mean_t y_t,

the area under the best-so-far curve of the true yields (what the `reaction` exercise scores)
plus a small weight lambda on every yield (the best-so-far term alone gives gradient to one
experiment only); the policy sees only the noisy measurements, as on the bench.

Landscapes: training draws landscape seeds from :func:`training_landscape_seeds` (even
numbers), held-out evaluation uses :func:`held_out_landscape_seeds` (odd numbers): disjoint by
construction.
"""

from __future__ import annotations

import dataclasses
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor

from labcoat.classic._checks import check_bool, check_choice, check_float, check_int
from labcoat.classic._io import atomic_write_bytes
from labcoat.envs.reaction import (
    HIGH,
    LANDSCAPE_KINDS,
    LOW,
    GaussianMixtureLandscape,
    ReactionLandscape,
)
from labcoat.models.rnn import RecurrentActorCritic

__all__ = [
    "FEATURES",
    "PRETRAINED",
    "ExperimentOptimizer",
    "batched_landscape",
    "batched_mixture",
    "held_out_landscape_seeds",
    "pretrained_path",
    "training_batch",
    "training_landscape_seeds",
]

FEATURES = 10
"""Inputs per experiment: the flattened ``ExperimentHistory(env, k=1)`` observation."""


PRETRAINED = Path(__file__).parent / "weights"
"""Shipped weights of the `reaction` exercise's learned optimizer (made by
``benchmarks/pretrain_experiment.py``; its record, ``reaction_absolute.json``, sits beside)."""


def pretrained_path(seed: int) -> Path:
    """The shipped weights file of the absolute learned optimizer trained with ``seed``."""
    return PRETRAINED / f"reaction_absolute_{check_int('seed', seed, 0)}.pt"


def training_landscape_seeds(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` landscape seeds of the training stream: even numbers 2 u, u < 2^40."""
    return 2 * rng.integers(0, 2**40, size=check_int("n", n, 1), dtype=np.int64)


def held_out_landscape_seeds(seed_sequence: np.random.SeedSequence, n: int) -> list[int]:
    """``n`` landscape seeds of the evaluation stream: odd numbers 2 u + 1 (never trained on)."""
    return [2 * int(u) + 1 for u in seed_sequence.generate_state(check_int("n", n, 1))]


def batched_landscape(landscapes: list[ReactionLandscape]) -> ReactionLandscape:
    """One landscape whose parameters are float64 tensors (batch,): the yields of many at once.

    ``batched.yield_at(T, pH, s, torch)`` evaluates the class docstring's kinetics for every
    landscape of the batch (broadcast with the conditions), differentiably.
    """
    names = [field.name for field in dataclasses.fields(ReactionLandscape)]
    values = {
        name: torch.tensor([getattr(p, name) for p in landscapes], dtype=torch.float64)
        for name in names
    }
    return ReactionLandscape(**values)  # type: ignore[arg-type]


def batched_mixture(landscapes: list[GaussianMixtureLandscape]) -> GaussianMixtureLandscape:
    """One mixture landscape of stacked float64 tensors: means (batch, K, 3), weights (batch, K)."""
    return GaussianMixtureLandscape(
        *(
            torch.tensor(np.stack([getattr(p, name) for p in landscapes]), dtype=torch.float64)
            for name in ("means", "sds", "weights")
        )
    )


def training_batch(kind: str, seeds: np.ndarray) -> ReactionLandscape | GaussianMixtureLandscape:
    """The batched landscapes of ``kind`` ("kinetics" or "gaussians") drawn from ``seeds``."""
    rngs = [np.random.default_rng(int(s)) for s in seeds]
    if check_choice("kind", kind, LANDSCAPE_KINDS) == "gaussians":
        return batched_mixture([GaussianMixtureLandscape.sample(rng) for rng in rngs])
    return batched_landscape([ReactionLandscape.sample(rng) for rng in rngs])


def _features(unit: Tensor, measured: Tensor, best: tuple[Tensor, Tensor], left: float) -> Tensor:
    """The ``ExperimentHistory(k=1)`` observation, flattened: (batch, FEATURES)."""
    best_unit, best_measured = best
    ones = torch.ones_like(measured)
    columns = [2 * unit - 1, measured[:, None], ones[:, None], 2 * best_unit - 1]
    columns += [best_measured[:, None], left * ones[:, None]]
    return torch.cat(columns, dim=1).float()


@dataclasses.dataclass
class ExperimentOptimizer:
    """A GRU policy that chooses experiments from the campaign's history (module docstring).

    Actions are the env's Box actions: ``absolute=True`` chooses the next conditions
    (unit = (a + 1)/2 of each range, ``ReactionOptimizationEnv(absolute=True)``), ``False``
    moves them by a * ``step_size`` of each range, clipped to the bounds (the notes' framing).
    The policy is deterministic: mu_t of :class:`~labcoat.models.rnn.RecurrentActorCritic`
    (its value head is not trained by this recipe).

    Args:
        absolute: choose conditions (True) or move them (False).
        budget: experiments chosen per campaign B (after the random start).
        step_size: largest move per experiment as a fraction of each range (absolute=False).
        noise: standard deviation of the simulated measurements.
        hidden_size: GRU state size.
        learning_rate: Adam's step size.
        batch_size: landscapes per gradient step.
        yield_weight: lambda, the weight of the mean yield in J.
        kind: the training landscapes, "kinetics" (ReactionLandscape) or "gaussians" (the
            DRO family, GaussianMixtureLandscape), as the env's ``kind``.
        seed: seeds the weights, the training landscapes, starts and noise.
    """

    absolute: bool = True
    budget: int = 29
    step_size: float = 0.1
    noise: float = 0.02
    hidden_size: int = 64
    learning_rate: float = 3e-3
    batch_size: int = 32
    yield_weight: float = 0.1
    kind: str = "kinetics"
    seed: int = 0

    def __post_init__(self) -> None:
        check_bool("absolute", self.absolute)
        for name, low in (("budget", 1), ("hidden_size", 1), ("batch_size", 1), ("seed", 0)):
            check_int(name, getattr(self, name), low)
        check_float("step_size", self.step_size, 0.0, 1.0, low_open=True)
        check_float("noise", self.noise, 0.0)
        check_float("learning_rate", self.learning_rate, 0.0, low_open=True)
        check_float("yield_weight", self.yield_weight, 0.0)
        check_choice("kind", self.kind, LANDSCAPE_KINDS)
        self.network = RecurrentActorCritic(FEATURES, 3, self.hidden_size, seed=self.seed)
        self.losses_: list[float] = []

    def next_unit(self, unit: Tensor, mean: Tensor) -> Tensor:
        """Next conditions in the unit cube from the action mean mu in [-1, 1]^3."""
        if self.absolute:
            return 0.5 * (mean + 1.0)
        return torch.clamp(unit + self.step_size * mean, 0.0, 1.0)

    def rollout(
        self,
        landscape: ReactionLandscape | GaussianMixtureLandscape,
        start: Tensor,
        generator: torch.Generator,
    ) -> Tensor:
        """True yields (batch, B + 1) of simulated campaigns from ``start`` (batch, 3) in [0,1].

        ``landscape`` is a :func:`training_batch`; measurements add N(0, noise^2) from
        ``generator`` and are clipped to [0, 1], as in the env.
        """
        low, span = torch.tensor(LOW), torch.tensor(HIGH - LOW)
        unit, state, yields = start.double(), None, []
        best: tuple[Tensor, Tensor] | None = None
        for t in range(self.budget + 1):
            conditions = low + unit * span
            true = landscape.yield_at(*conditions.T, torch)
            noise = torch.randn(true.shape, generator=generator, dtype=torch.float64)
            measured = torch.clamp(true + self.noise * noise, 0.0, 1.0)
            yields.append(true)
            if best is None:
                best = (unit, measured)
            else:
                better = (measured > best[1])[:, None]
                best = (torch.where(better, unit, best[0]), torch.maximum(measured, best[1]))
            if t == self.budget:
                break
            x = _features(unit, measured, best, (self.budget - t) / self.budget)
            mean, _, state = self.network.step(x, state)
            unit = self.next_unit(unit, mean.double())
        return torch.stack(yields, dim=1)

    def objective(self, yields: Tensor) -> Tensor:
        """J of the module docstring, averaged over the batch."""
        best = torch.cummax(yields, dim=1).values
        return best.mean() + self.yield_weight * yields.mean()

    def learn(
        self, iterations: int, callback: Callable[[int, float], object] | None = None
    ) -> ExperimentOptimizer:
        """``iterations`` Adam steps on -J, each on ``batch_size`` new training landscapes."""
        iterations = check_int("iterations", iterations, 0)
        rng = np.random.default_rng([self.seed, 1])
        generator = torch.Generator().manual_seed(self.seed)
        optimizer = torch.optim.Adam(self.network.parameters(), lr=self.learning_rate)
        for i in range(iterations):
            seeds = training_landscape_seeds(rng, self.batch_size)
            landscape = training_batch(self.kind, seeds)
            start = torch.from_numpy(rng.uniform(size=(self.batch_size, 3)))
            loss = -self.objective(self.rollout(landscape, start, generator))
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(self.network.parameters(), 1.0)
            optimizer.step()
            self.losses_.append(float(loss.detach()))
            if callback is not None:
                callback(i, self.losses_[-1])
        return self

    @torch.no_grad()
    def validation_loss(self, n: int = 32) -> float:
        """-J on ``n`` fixed *training* landscapes and starts (stream [seed, 2]).

        A fingerprint of the weights: the same number wherever they are loaded.
        """
        rng = np.random.default_rng([self.seed, 2])
        landscape = training_batch(self.kind, training_landscape_seeds(rng, n))
        start = torch.from_numpy(rng.uniform(size=(n, 3)))
        generator = torch.Generator().manual_seed(self.seed + 1)
        return float(-self.objective(self.rollout(landscape, start, generator)))

    @torch.inference_mode()
    def predict(self, observation: Any, state: Any = None) -> tuple[np.ndarray, Any]:
        """The env action for an ``ExperimentHistory(env, k=1)`` observation, and the new state.

        Pass ``state=None`` at the start of a campaign (SB3's recurrent ``predict`` protocol
        with the episode start folded into the state).
        """
        x = torch.as_tensor(np.asarray(observation, dtype=np.float32).reshape(1, FEATURES))
        mean, state = self.network.act(x, state)
        return mean[0].double().numpy(), state

    def save(self, path: str | Path) -> Path:
        """Write the settings and weights to one file (torch format, tensors and numbers only)."""
        settings = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        buffer = io.BytesIO()
        torch.save({"settings": settings, "weights": self.network.state_dict()}, buffer)
        return atomic_write_bytes(Path(path), buffer.getvalue())

    @classmethod
    def load(cls, path: str | Path) -> ExperimentOptimizer:
        """Read a file written by :meth:`save` (``torch.load(weights_only=True)``: no code runs)."""
        payload = torch.load(Path(path), weights_only=True)
        agent = cls(**payload["settings"])
        agent.network.load_state_dict(payload["weights"])
        return agent
