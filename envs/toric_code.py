"""Quantum error correction as a game: the distance-d toric code under bit-flip noise.

Lattice conventions (used by every helper here). The d x d square lattice on a torus has
vertices (r, c), r, c = 0..d-1 (indices mod d) and 2d² edges, one qubit on each:

- horizontal edge h(r, c), qubit ``r * d + c``, joins vertices (r, c) and (r, c + 1);
- vertical edge v(r, c), qubit ``d² + r * d + c``, joins vertices (r, c) and (r + 1, c).

Plaquette (r, c) is the face with corners (r, c), (r, c + 1), (r + 1, c), (r + 1, c + 1); its
edges are h(r, c), h(r + 1, c), v(r, c), v(r, c + 1). The Z-type plaquette stabilizers
Z⊗Z⊗Z⊗Z are the checks that detect bit-flip (X) errors: the syndrome of an X error e (a 0/1
vector over the qubits) is s = H e mod 2, H the d² x 2d² plaquette-edge incidence matrix. The
X-type star stabilizers (the four edges at a vertex) detect Z errors, which this noise never
makes, so they are not measured. An X error with an empty syndrome is a cycle of the dual
lattice; it is harmless (a product of stars) if it is contractible and a logical error if it
winds round the torus, which the parities of the two non-contractible Z loops detect:
Z̄1 on the horizontal edges of vertex row 0, Z̄2 on the vertical edges of vertex column 0.
"""

from __future__ import annotations

import math
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from labcoat.envs._checks import check_float, check_int
from labcoat.envs._inputs import check_options, discrete_action
from labcoat.envs._render import check_render_mode, render_frame

CELL_PIXELS = 12


def _distance(n_qubits: int) -> int:
    """The distance d of a toric code with ``n_qubits`` = 2d² qubits (ValueError otherwise)."""
    d = math.isqrt(n_qubits // 2)
    if d < 2 or 2 * d * d != n_qubits:
        raise ValueError(f"error must have 2 d² entries (d >= 2) for a toric code, got {n_qubits}")
    return d


def _edges(d: int) -> tuple[np.ndarray, np.ndarray]:
    """Qubit indices h[r, c] and v[r, c] of the horizontal and vertical edges, (d, d) each."""
    h = np.arange(d * d).reshape(d, d)
    return h, h + d * d


def check_matrix(d: int) -> np.ndarray:
    """H (d² x 2d², uint8): H[p, q] = 1 when qubit q is an edge of plaquette p = r * d + c.

    Row p is the plaquette stabilizer Z on h(r, c), h(r + 1, c), v(r, c), v(r, c + 1); every
    qubit lies on exactly two plaquettes, and the rows sum to zero mod 2 (rank d² - 1).
    """
    d = check_int("d", d, 2)
    h, v = _edges(d)
    H = np.zeros((d * d, 2 * d * d), dtype=np.uint8)
    plaquettes = np.arange(d * d).reshape(d, d)
    for edges in (h, np.roll(h, -1, axis=0), v, np.roll(v, -1, axis=1)):
        H[plaquettes.ravel(), edges.ravel()] = 1
    return H


def star_matrix(d: int) -> np.ndarray:
    """The X-type star stabilizers (d² x 2d², uint8), one row per vertex.

    Row r * d + c is X on the four edges at vertex (r, c): h(r, c), h(r, c - 1), v(r, c),
    v(r - 1, c). Products of rows are the harmless X errors with an empty syndrome.
    """
    d = check_int("d", d, 2)
    h, v = _edges(d)
    A = np.zeros((d * d, 2 * d * d), dtype=np.uint8)
    vertices = np.arange(d * d).reshape(d, d)
    for edges in (h, np.roll(h, 1, axis=1), v, np.roll(v, 1, axis=0)):
        A[vertices.ravel(), edges.ravel()] = 1
    return A


def _loop_pair(d: int, dual: bool) -> np.ndarray:
    """Two weight-d loops (2 x 2d², uint8), one on each edge family.

    dual: row 0 on v(0, c), row 1 on h(r, 0) (X̄); else row 0 on h(0, c), row 1 on v(r, 0) (Z̄).
    """
    d = check_int("d", d, 2)
    h, v = _edges(d)
    first, second = (v, h) if dual else (h, v)
    L = np.zeros((2, 2 * d * d), dtype=np.uint8)
    L[0, first[0, :]] = 1
    L[1, second[:, 0]] = 1
    return L


def logical_x(d: int) -> np.ndarray:
    """The logical X operators (2 x 2d², uint8), two dual loops round the torus.

    X̄1 is X on the vertical edges v(0, c) (a dual loop winding round the horizontal cycle),
    X̄2 on the horizontal edges h(r, 0). Each commutes with every plaquette (H X̄ᵀ = 0 mod 2)
    without being a product of stars.
    """
    return _loop_pair(d, dual=True)


def logical_z(d: int) -> np.ndarray:
    """The logical Z loops (2 x 2d², uint8) whose parities detect a logical X error.

    Z̄1 is Z on h(0, c), Z̄2 on v(r, 0). An X error with an empty syndrome is a logical error
    when it overlaps one of them an odd number of times; Z̄1 anticommutes with X̄2 and Z̄2
    with X̄1.
    """
    return _loop_pair(d, dual=False)


def _bits(name: str, error: object) -> np.ndarray:
    """``error`` as a 0/1 uint8 vector (or batch of vectors, last axis the qubits)."""
    array = np.asarray(error)
    if array.dtype.kind not in "biu" or array.ndim == 0 or not np.isin(array, (0, 1)).all():
        raise ValueError(f"{name} must be an array of 0/1 entries (one per qubit), got {error!r}")
    _distance(array.shape[-1])
    return array.astype(np.uint8)


def syndrome(error: Any) -> np.ndarray:
    """The plaquette syndrome s = H e mod 2 of an X error e, shape (d, d) (or (..., d, d)).

    ``error`` holds 2d² bits (qubits numbered as in the module docstring); a batch of errors
    has the qubits on its last axis. s[r, c] = 1 when plaquette (r, c) sees an odd number of
    flipped edges.
    """
    e = _bits("error", error)
    d = _distance(e.shape[-1])
    h, v = _edges(d)
    flips = (
        e[..., h] ^ np.roll(e[..., h], -1, axis=-2) ^ e[..., v] ^ np.roll(e[..., v], -1, axis=-1)
    )
    return flips.astype(np.uint8)


def is_logical_error(error: Any) -> Any:
    """Whether an X error with an empty syndrome winds round the torus (a logical error).

    True when e · Z̄1 or e · Z̄2 is odd (:func:`logical_z`): the error's homology class is
    non-trivial. Errors with a non-empty syndrome are refused (their class is undefined).
    A batch (qubits on the last axis) gives a boolean array.
    """
    e = _bits("error", error)
    if syndrome(e).any():
        raise ValueError("error must have an empty syndrome to have a homology class")
    parities = (e.astype(np.int64) @ logical_z(_distance(e.shape[-1])).T.astype(np.int64)) % 2
    result = parities.any(axis=-1)
    return bool(result) if result.ndim == 0 else result


class ToricCodeEnv(gym.Env):
    """Decode a distance-d toric code: flip qubits until the syndrome is clear.

    ## Description
    After Andreasson et al. (2019) and Sweke et al. (2021). A distance-``d`` toric code holds
    2d² physical qubits on the edges of a d x d lattice on a torus (conventions in the module
    docstring). On reset each qubit suffers a bit flip (X error) independently with
    probability ``p``. The agent sees only the syndrome: which Z-type plaquette stabilizers
    have an odd number of flipped edges (with only X errors the star stabilizers, which detect
    Z errors, never fire, so they are not part of the observation). Each action flips one
    qubit. The episode ends when the syndrome is clear; the correction succeeded if the
    residual error (noise plus flips) is contractible, a product of stabilizers, and failed if
    it winds round the torus: a logical error, which the syndrome cannot see.

    ## Action Space
    `Discrete(2d²)`: flip qubit ``a`` (numbering of the module docstring; flipping a qubit
    twice undoes the flip).

    ## Observation Space
    `MultiBinary([d, d])` (np.int8): the syndrome s[r, c] of plaquette (r, c) (:func:`syndrome`).

    ## Rewards
    ``step_reward`` (default 0) on every step, plus, on the step that clears the syndrome,
    ``success_reward`` (default +1) when the residual error has a trivial homology class and
    ``failure_reward`` (default -1) for a logical error (:func:`is_logical_error`).

    ## Starting State
    The error e with e_q ~ Bernoulli(p) independently, conditioned on a non-empty syndrome: an
    error with an empty syndrome (no flip at all, probability (1 - p)^(2d²), or an undetectable
    stabilizer or logical operator) leaves nothing to decode and is drawn again. A decoder's
    logical error rate must count those errors separately, as the ``qec`` exercise does.
    ``options={"error": e}`` starts from a given error (2d² bits, non-empty syndrome).
    ``info["error"]`` is never given: the agent sees only the syndrome.

    ## Episode End
    Termination when the syndrome is clear (``info["logical_error"]`` then says whether the
    correction failed). ``gym.make("labcoat/ToricCode-v0")`` truncates after 50 steps (pass
    ``max_episode_steps`` for other limits); a truncated episode is an uncorrected one.

    ## Arguments
    ```python
    import gymnasium as gym
    import labcoat.envs

    env = gym.make("labcoat/ToricCode-v0", d=5, p=0.05)
    ```
    - d: code distance, an integer in [2, 15] (default 3).
    - p: bit-flip probability per qubit, in (0, 0.5] (default 0.1).
    - success_reward, failure_reward, step_reward: finite rewards (defaults 1, -1, 0).
    - render_mode: None, "ansi" (one line: the syndrome's defects) or "rgb_array" (the
      lattice: flipped qubits red, defects yellow).

    ## Version History
    - v0: Initial version.
    """

    metadata: dict[str, Any] = {"render_modes": ["ansi", "rgb_array"], "render_fps": 4}

    def __init__(
        self,
        d: int = 3,
        p: float = 0.1,
        success_reward: float = 1.0,
        failure_reward: float = -1.0,
        step_reward: float = 0.0,
        render_mode: str | None = None,
    ) -> None:
        self.d = check_int("d", d, 2, 15)
        self.p = check_float("p", p, 0.0, 0.5, low_open=True)
        self.success_reward = check_float("success_reward", success_reward)
        self.failure_reward = check_float("failure_reward", failure_reward)
        self.step_reward = check_float("step_reward", step_reward)
        self.render_mode = check_render_mode(render_mode, self.metadata["render_modes"])
        self.n_qubits = 2 * self.d * self.d
        self.action_space = spaces.Discrete(self.n_qubits)
        self.observation_space = spaces.MultiBinary([self.d, self.d])
        self._error = np.zeros(self.n_qubits, dtype=np.uint8)
        self._syndrome = np.zeros((self.d, self.d), dtype=np.uint8)
        self._flips = 0

    def _draw_error(self) -> np.ndarray:
        """Independent flips with probability p, conditioned on a non-empty syndrome.

        Conditioning on a non-zero error is exact without rejection: the first flipped qubit k
        has P(k) ∝ (1 - p)^k p (a truncated geometric law, drawn by inverting its CDF) and the
        later qubits are independent; the rare non-zero errors with an empty syndrome (weight
        >= 4) are then drawn again.
        """
        n, rng = self.n_qubits, self.np_random
        no_flip = 1.0 - (1.0 - self.p) ** n
        while True:
            u = rng.random()
            k = min(int(math.log1p(-u * no_flip) / math.log1p(-self.p)), n - 1)
            error = np.zeros(n, dtype=np.uint8)
            error[k] = 1
            error[k + 1 :] = rng.random(n - k - 1) < self.p
            if syndrome(error).any():
                return error

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        """Draw a bit-flip error (or take ``options["error"]``) and show its syndrome."""
        options = check_options(options, ("error",))
        given = None
        if "error" in options:
            given = self._given_error(options["error"])
        super().reset(seed=seed)
        self._error = self._draw_error() if given is None else given
        self._syndrome = syndrome(self._error)
        self._flips = 0
        return self._syndrome.astype(np.int8), {}

    def _given_error(self, error: object) -> np.ndarray:
        """``options["error"]`` checked: 2d² bits with a non-empty syndrome."""
        array = np.asarray(error) if isinstance(error, list | tuple | np.ndarray) else None
        if (
            array is None
            or array.shape != (self.n_qubits,)
            or array.dtype.kind not in "biu"
            or not np.isin(array, (0, 1)).all()
        ):
            raise ValueError(
                f"options['error'] must be {self.n_qubits} bits (0/1, one per qubit), got {error!r}"
            )
        bits = array.astype(np.uint8)
        if not syndrome(bits).any():
            raise ValueError("options['error'] must have a non-empty syndrome (nothing to decode)")
        return bits

    def step(self, action: Any) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        """Flip qubit ``action``; once the syndrome clears, pay the success or failure reward."""
        q = discrete_action(action, self.n_qubits)
        if not self._syndrome.any():  # the episode has ended: nothing changes any more
            return self._syndrome.astype(np.int8), 0.0, True, False, {}
        self._error[q] ^= 1
        self._syndrome = syndrome(self._error)
        self._flips += 1
        if self._syndrome.any():
            return self._syndrome.astype(np.int8), self.step_reward, False, False, {}
        logical = is_logical_error(self._error)
        reward = self.step_reward + (self.failure_reward if logical else self.success_reward)
        return self._syndrome.astype(np.int8), reward, True, False, {"logical_error": logical}

    def render(self) -> str | np.ndarray | None:  # type: ignore[override]
        """Render the defects as text ("ansi") or the lattice as a picture ("rgb_array")."""
        return render_frame(self.render_mode, self._render_text, self._render_picture)

    def _render_text(self) -> str:
        """One line: the plaquettes with a defect and the flips made so far."""
        defects = [(int(r), int(c)) for r, c in zip(*np.nonzero(self._syndrome), strict=True)]
        return f"d={self.d}: defects at plaquettes {defects}, {self._flips} flips made\n"

    def _render_picture(self) -> np.ndarray:
        """The lattice, CELL_PIXELS per spacing: edges grey (red if flipped), defects yellow."""
        d, k = self.d, CELL_PIXELS
        image = np.full((d * k, d * k, 3), 245, dtype=np.uint8)
        h, v = _edges(d)
        for r in range(d):
            for c in range(d):
                colour = (200, 40, 40) if self._error[h[r, c]] else (150, 150, 150)
                image[r * k : r * k + 2, c * k : (c + 1) * k] = colour  # h(r, c): rightwards
                colour = (200, 40, 40) if self._error[v[r, c]] else (150, 150, 150)
                image[r * k : (r + 1) * k, c * k : c * k + 2] = colour  # v(r, c): downwards
                if self._syndrome[r, c]:
                    image[r * k + 4 : r * k + k - 2, c * k + 4 : c * k + k - 2] = (240, 200, 0)
                image[r * k : r * k + 2, c * k : c * k + 2] = (0, 0, 0)  # the vertex
        return image
