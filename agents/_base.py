"""The agent base class: env checks, seeding, the learn loop, callbacks, progress, save/load.

A subclass implements ``_run(max_steps)``: act from the current state ``self._obs`` until the
episode ends or ``max_steps`` steps have been taken, and return ``(steps, finished)``. It keeps
its hot loop in local variables (see labcoat.agents.tabular) and reports the running episode's
undiscounted return and length in ``self._episode_return`` / ``self._episode_length``.
Everything else (resets, bookkeeping, callbacks, the progress bar, saving) lives here, for any
environment with a Discrete action space (the observation space is free unless the subclass
sets ``discrete_observations = True``).
"""

from __future__ import annotations

import abc
import json
import math
import os
import sys
import time
import warnings
import zipfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, ClassVar, Self

import gymnasium as gym
import numpy as np

from labcoat.agents._observations import state_index
from labcoat.agents.planning import TabularModel, check_episodes_end
from labcoat.agents.policies import _uniform_stream
from labcoat.agents.rules import epsilon_greedy_action
from labcoat.classic._checks import check_float, check_int, check_probability
from labcoat.classic._io import atomic_write

INF = math.inf


class ContinuingTaskWarning(UserWarning):
    """gamma = 1 on a task whose episodes never terminate: returns and values may diverge."""


class LinearSchedule:
    """A value decaying linearly from ``start`` to ``end`` over ``duration`` steps, then constant.

    value(t) = start + (end - start) min(t / duration, 1); the usual epsilon schedule.
    """

    start: float
    end: float
    duration: int

    def __init__(self, start: float, end: float, duration: int) -> None:
        self.start, self.end = check_float("start", start), check_float("end", end)
        self.duration = check_int("duration", duration, 1)

    def __call__(self, step: int) -> float:
        """Return the value at time step ``step``."""
        if step >= self.duration:
            return self.end
        return self.start + (self.end - self.start) * step / self.duration

    def __repr__(self) -> str:
        return f"LinearSchedule(start={self.start}, end={self.end}, duration={self.duration})"

    def to_json(self) -> dict[str, Any]:
        """JSON form, restored by :func:`schedule_from_json`."""
        return {"linear_schedule": [self.start, self.end, self.duration]}


def schedule_from_json(value: Any) -> Any:
    """Inverse of :meth:`LinearSchedule.to_json`; other values pass through."""
    if isinstance(value, dict) and "linear_schedule" in value:
        return LinearSchedule(*value["linear_schedule"])
    return value


def check_schedule(name: str, value: Any) -> float | Callable[[int], float]:
    """A probability in [0, 1] or a callable step -> probability (checked at step 0)."""
    if callable(value):
        check_probability(f"{name}(0)", value(0))
        return value
    return check_probability(name, value)


def _jsonable(value: Any) -> Any:
    if isinstance(value, LinearSchedule):
        return value.to_json()
    if isinstance(value, np.generic):
        return value.item()
    return value


class Agent(abc.ABC):
    """Base of labcoat's agents (SB3-like surface): ``learn``, ``predict``, ``save``, ``load``.

    Args:
        env: a Gymnasium env or a registered id (made with ``gym.make``). The action space must
            be Discrete; with ``discrete_observations`` so must the observation space.
        gamma: discount factor gamma in [0, 1] (eq. 7.3).
        seed: seed of the agent's random numbers and of the env's first reset.

    Attributes:
        num_timesteps: environment steps taken by ``learn`` so far.
        episode_returns: undiscounted return G = R_1 + ... + R_T (eq. 7.2) of every training
            episode that has finished (terminated or truncated).
        episode_lengths: number of steps of those episodes.
    """

    discrete_observations: ClassVar[bool] = True
    _obs: Any
    _episode_return: float
    _episode_length: int
    _array_names: ClassVar[tuple[str, ...]] = ()
    """Arrays written by ``save`` (attribute names)."""
    _hyperparameter_names: ClassVar[tuple[str, ...]] = ("gamma", "seed")
    """Constructor arguments written by ``save`` (JSON) and passed back by ``load``."""

    def __init__(self, env: gym.Env | str, *, gamma: float, seed: int | None = None) -> None:
        self.env = gym.make(env) if isinstance(env, str) else env
        self.gamma = check_probability("gamma", gamma)
        self.seed = None if seed is None else check_int("seed", seed, 0)
        agent_seed, env_seed = np.random.SeedSequence(seed).spawn(2)
        self._rng = np.random.default_rng(agent_seed)
        self._env_seed: int | None = int(env_seed.generate_state(1)[0])
        self._check_spaces()
        self.num_timesteps = 0
        self.episode_returns: list[float] = []
        self.episode_lengths: list[int] = []
        self._obs = None
        self._info: dict[str, Any] = {}
        self._episode_return = 0.0
        self._episode_length = 0
        self._draw = _uniform_stream(self._rng)
        self._logger: Any = None

    # ------------------------------------------------------------------ spaces and masks

    def _check_spaces(self) -> None:
        unwrapped = self.env.unwrapped
        # The spaces of the env the agent steps: a wrapper may change them (e.g. discretize).
        action_space, observation_space = self.env.action_space, self.env.observation_space
        name = type(self).__name__
        if not isinstance(action_space, gym.spaces.Discrete):
            raise TypeError(f"{name} needs a Discrete action space, the env has {action_space}")
        if self.discrete_observations and not isinstance(observation_space, gym.spaces.Discrete):
            raise TypeError(
                f"{name} is tabular and needs a Discrete observation space, the env has "
                f"{observation_space} (use a semi-gradient agent or discretize the observations)"
            )
        self.n_actions = int(action_space.n)
        self._action_start = int(action_space.start)
        if isinstance(observation_space, gym.spaces.Discrete):
            self.n_states = int(observation_space.n)
            self._state_start = int(observation_space.start)
        valid = getattr(unwrapped, "valid_actions", None)
        self.valid_actions: np.ndarray | None = (
            None if valid is None else np.array(valid, dtype=bool).reshape(-1, self.n_actions)
        )

    def _actions_of_q(
        self, rows: np.ndarray, batch: bool, deterministic: bool, epsilon: float
    ) -> Any:
        """``predict``'s actions from q rows (unavailable actions -inf), in the env's numbering.

        Greedy argmax_a q(s, a) (ties to the lowest action) or epsilon-greedy by the rules'
        :func:`~labcoat.agents.rules.epsilon_greedy_action`; an int for one row, an array for a
        batch.
        """
        actions = [
            int(np.argmax(row))
            if deterministic
            else epsilon_greedy_action(
                row.tolist(), tuple(np.flatnonzero(row > -INF).tolist()), epsilon, self._draw
            )
            for row in rows
        ]
        actions = [a + self._action_start for a in actions]
        return np.asarray(actions, dtype=np.int64) if batch else actions[0]

    def _obs_state(self, observation: Any) -> int:
        """The state index of a Discrete observation (ValueError naming it otherwise)."""
        return state_index(observation, self.n_states, self._state_start)

    def _allowed_actions(self, state: int, info: Mapping[str, Any]) -> tuple[int, ...]:
        """Actions allowed in ``state``: the env's ``valid_actions`` or ``info["action_mask"]``."""
        if self.valid_actions is not None:
            return tuple(int(a) for a in np.flatnonzero(self.valid_actions[state]))
        mask = info.get("action_mask")
        if mask is None:
            return tuple(range(self.n_actions))
        allowed = tuple(int(a) for a in np.flatnonzero(np.asarray(mask)))
        if not allowed:
            raise ValueError(f"info['action_mask'] allows no action in state {state}")
        return allowed

    # ------------------------------------------------------------------ tabular models

    def _env_model(self) -> TabularModel | None:
        """The model of a toy-text env (its table ``P``), or None when it has none."""
        if not hasattr(self, "_model"):
            self._model: TabularModel | None = None
            if getattr(self.env.unwrapped, "P", None) is not None:
                try:
                    self._model = TabularModel.from_env(self.env)
                except (TypeError, ValueError, AttributeError, IndexError):
                    pass  # not a table we understand: nothing is checked
        return self._model

    def _check_episodes_end(self) -> None:
        """Refuse ``learn(n_episodes=...)`` when an episode can never end (tabular envs)."""
        model = self._env_model()
        if model is None or _has_time_limit(self.env):
            return
        initial = model.initial_distribution
        starts = np.ones(model.n_states, bool) if initial is None else np.asarray(initial) > 0
        check_episodes_end(model, starts, f"{type(self).__name__}.learn(n_episodes=...)")

    def _warn_if_continuing(self) -> None:
        """Warn that gamma = 1 on a task without terminal states lets the values diverge."""
        if self.gamma < 1.0:
            return
        model = self._env_model()
        if model is not None and not model.terminal.any():
            warnings.warn(
                f"{type(self).__name__} with gamma=1 on a continuing task (the env has no "
                "terminal state): returns are unbounded sums and the values may diverge; use "
                "gamma < 1",
                ContinuingTaskWarning,
                stacklevel=_caller_level(),
            )

    # ------------------------------------------------------------------ episodes

    def _reset(self) -> None:
        """Start a new episode (the first reset is seeded)."""
        observation, info = self.env.reset(seed=self._env_seed)
        self._obs = observation
        self._info = info
        self._env_seed = None
        self._episode_return = 0.0
        self._episode_length = 0
        self._start_episode()

    def _start_episode(self) -> None:  # noqa: B027 - an optional hook
        """Hook called after every reset (e.g. to choose Sarsa's first action)."""

    @abc.abstractmethod
    def _run(self, max_steps: int) -> tuple[int, bool]:
        """Act for at most ``max_steps`` steps of the current episode; return (steps, ended)."""

    def _diverged(self, step: int, what: str) -> FloatingPointError:
        return FloatingPointError(
            f"{type(self).__name__} diverged: {what} became non-finite at time step {step} "
            "(lower learning_rate or gamma, or scale the rewards)"
        )

    def learn(
        self,
        total_timesteps: int | None = None,
        *,
        n_episodes: int | None = None,
        callback: Any = None,
        log_interval: int = 4,
        progress_bar: bool = False,
    ) -> Self:
        """Train for ``total_timesteps`` more steps or ``n_episodes`` more finished episodes.

        Successive calls continue where the previous one stopped (also mid-episode).

        Args:
            total_timesteps: number of environment steps (>= 1).
            n_episodes: number of episodes to finish instead (>= 1).
            callback: a function called with the agent after every finished episode (training
                stops when it returns False), or Stable-Baselines3 callbacks: a
                ``BaseCallback`` or a list of them (``CheckpointCallback``, ``EvalCallback``,
                ``StopTrainingOnMaxEpisodes``, ``EveryNTimesteps``, a subclass whose
                ``_on_step`` returns False to stop ...), called after every step with SB3's
                attributes (``model``, ``num_timesteps``, ``locals["dones"]``,
                ``training_env``, ``logger``).
            log_interval: with a logger (:meth:`set_logger`), write the logs every
                ``log_interval`` finished episodes (>= 1).
            progress_bar: show a rich progress bar.

        Returns:
            self.
        """
        if (total_timesteps is None) == (n_episodes is None):
            raise ValueError("give exactly one of total_timesteps and n_episodes")
        budget = total_timesteps if n_episodes is None else n_episodes
        label = "total_timesteps" if n_episodes is None else "n_episodes"
        budget = check_int(label, budget, 1)
        log_interval = check_int("log_interval", log_interval, 1)
        hooks = _Callbacks(self, callback)
        if n_episodes is not None:
            self._check_episodes_end()
        progress = _Progress(type(self).__name__, budget, progress_bar)
        self._start_time = time.perf_counter()
        self._start_timesteps = self.num_timesteps
        done = 0
        with progress:
            hooks.start(locals(), globals())
            while done < budget:
                if self._obs is None:
                    self._reset()
                steps_left = budget - done if n_episodes is None else 1 << 62
                before = self._episode_return
                steps, ended = self._run(1 if hooks.every_step else int(steps_left))
                self.num_timesteps += steps
                done += steps if n_episodes is None else int(ended)
                progress.advance(steps if n_episodes is None else int(ended))
                if ended:
                    self.episode_returns.append(self._episode_return)
                    self.episode_lengths.append(self._episode_length)
                    self._obs = None
                    if self._logger is not None and len(self.episode_returns) % log_interval == 0:
                        self.dump_logs()
                if not hooks.step(ended, self._episode_return - before):
                    break
            hooks.end()
        return self

    # ------------------------------------------------------------------ SB3 logger and callbacks

    def set_logger(self, logger: Any) -> None:
        """Log to a Stable-Baselines3 ``Logger`` (e.g. ``logger.configure(path, ["csv"])``).

        ``learn`` then records, every ``log_interval`` episodes, ``rollout/ep_rew_mean`` and
        ``rollout/ep_len_mean`` (over the last 100 episodes), ``time/total_timesteps``,
        ``time/episodes``, ``time/fps``, ``time/time_elapsed``, ``train/learning_rate`` and
        ``train/epsilon`` (for the agents that have them).
        """
        self._logger = logger

    @property
    def logger(self) -> Any:
        """The Stable-Baselines3 logger (one writing nothing until :meth:`set_logger`)."""
        if self._logger is None:
            from stable_baselines3.common.logger import Logger

            return Logger(folder=None, output_formats=[])
        return self._logger

    def dump_logs(self) -> None:
        """Record the training statistics (see :meth:`set_logger`) and write them."""
        logger = self.logger
        recent_returns, recent_lengths = self.episode_returns[-100:], self.episode_lengths[-100:]
        if recent_returns:
            logger.record("rollout/ep_rew_mean", float(np.mean(recent_returns)))
            logger.record("rollout/ep_len_mean", float(np.mean(recent_lengths)))
        elapsed = max(time.perf_counter() - getattr(self, "_start_time", 0.0), 1e-9)
        steps = self.num_timesteps - getattr(self, "_start_timesteps", 0)
        logger.record("time/episodes", len(self.episode_returns), exclude="tensorboard")
        logger.record("time/fps", int(steps / elapsed))
        logger.record("time/time_elapsed", int(elapsed), exclude="tensorboard")
        logger.record("time/total_timesteps", self.num_timesteps, exclude="tensorboard")
        for name in ("learning_rate", "epsilon"):
            value = getattr(self, name, None)
            if value is not None:
                value = value(self.num_timesteps) if callable(value) else value
                logger.record(f"train/{name}", value)
        logger.dump(step=self.num_timesteps)

    def get_env(self) -> Any:
        """The training env as a one-env Stable-Baselines3 ``VecEnv`` (what callbacks read)."""
        if getattr(self, "_vec_env", None) is None:
            from stable_baselines3.common.vec_env import DummyVecEnv

            env = self.env
            self._vec_env = DummyVecEnv([lambda: env])
        return self._vec_env

    def get_vec_normalize_env(self) -> None:
        """No observation normalization (SB3's ``VecNormalize``) is used: None."""
        return None

    # ------------------------------------------------------------------ save and load

    def _hyperparameters(self) -> dict[str, Any]:
        return {name: _jsonable(getattr(self, name)) for name in self._hyperparameter_names}

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the agent to ``path`` (``.npz`` appended if missing): arrays and JSON, no pickle.

        Constructor arguments that are not JSON values (a custom policy, a schedule function)
        are not stored: pass them again to :meth:`load`.

        Returns:
            The path written.
        """
        path = Path(path)
        if path.suffix != ".npz":
            path = path.with_name(path.name + ".npz")
        hyper = self._hyperparameters()
        missing = [k for k, v in hyper.items() if not _is_json(v)]
        spec = self.env.spec
        meta = {
            "class": type(self).__name__,
            "hyperparameters": {k: v for k, v in hyper.items() if k not in missing},
            "not_stored": missing,
            "env_id": None if spec is None else spec.id,
            "env_kwargs": {} if spec is None or not _is_json(spec.kwargs) else spec.kwargs,
            "num_timesteps": self.num_timesteps,
            "episode_returns": self.episode_returns,
            "episode_lengths": self.episode_lengths,
        }
        arrays = {name: np.asarray(getattr(self, name)) for name in self._array_names}
        arrays["meta"] = np.array(json.dumps(meta))
        return atomic_write(path, lambda handle: np.savez(handle, **arrays))  # type: ignore[arg-type]

    @classmethod
    def load(
        cls, path: str | os.PathLike[str], env: gym.Env | str | None = None, **kwargs: Any
    ) -> Self:
        """Read an agent written by :meth:`save`, checking everything the file holds.

        As in Stable-Baselines3, ``path`` may omit the ``.npz`` suffix that :meth:`save`
        appended. Loading never runs code from the file: no pickle, and the stored environment
        id is looked up in Gymnasium's registry only (an id ``"module:Name"`` whose module is not
        imported yet is refused rather than imported).

        Args:
            path: the file written by :meth:`save`.
            env: the environment; by default made again from the stored Gymnasium id.
            **kwargs: constructor arguments that were not stored (see :meth:`save`) or that
                should change.

        Returns:
            The agent, with its arrays, step count and episode returns restored.

        Raises:
            ValueError: "not a labcoat agent file: ..." for a file that is not one written by
                :meth:`save` (corrupt, truncated, unexpected contents, wrong shapes, NaN, ...).
        """
        path = _agent_path(path)
        meta, arrays = _read_agent_file(path, cls._array_names, cls._hyperparameter_names)
        if meta["class"] != cls.__name__:
            raise TypeError(f"{path} holds a {meta['class']}, not a {cls.__name__}")
        missing = [k for k in meta["not_stored"] if k not in kwargs]
        if missing:
            raise TypeError(f"{cls.__name__}.load needs {', '.join(missing)}= (not stored)")
        if env is None:
            env = _stored_env(path, meta["env_id"], meta["env_kwargs"])
        stored = {k: v for k, v in meta["hyperparameters"].items() if k not in kwargs}
        try:
            agent = cls(env, **{k: schedule_from_json(v) for k, v in stored.items()}, **kwargs)
        except (TypeError, ValueError) as error:
            if any(str(error).startswith(k) for k in stored):  # a stored value was refused
                raise _not_agent_file(path, f"stored {error}") from error
            raise
        try:
            for name, value in arrays.items():
                agent._set_array(name, value)
        except ValueError as error:
            raise _not_agent_file(path, str(error)) from error
        agent.num_timesteps = meta["num_timesteps"]
        agent.episode_returns = [float(x) for x in meta["episode_returns"]]
        agent.episode_lengths = list(meta["episode_lengths"])
        return agent

    def _set_array(self, name: str, value: np.ndarray) -> None:
        setattr(self, name, value)


def read_only(array: np.ndarray) -> np.ndarray:
    """``array`` marked read-only (a write raises ValueError instead of being lost)."""
    array.flags.writeable = False
    return array


def array_property(name: str, dtype: type, read: Callable[[Any], Any], doc: str) -> Any:
    """A learned array of an agent: reading gives a read-only copy, assigning replaces it.

    The one semantics of ``q``, ``v`` and the counts of every tabular agent and bandit
    strategy: ``agent.q`` is a snapshot (``agent.q[s, a] = x`` raises ValueError), and
    ``agent.q = array`` stores a checked copy (``_set_array``, as :meth:`Agent.load` does).
    """

    def get(self: Any) -> np.ndarray:
        return read_only(np.array(read(self), dtype=dtype))

    def set_(self: Any, value: Any) -> None:
        self._set_array(name, np.array(value, dtype=dtype))

    return property(get, set_, doc=doc)


def stored_array(
    name: str, value: np.ndarray, shape: tuple[int, ...], kinds: str, *, allow: str = ""
) -> np.ndarray:
    """A stored array checked against the shape the env's spaces give and its dtype kinds.

    Entries must be finite; ``allow="-inf"`` also admits -inf (q of unavailable actions).
    Integer arrays (counts) must be non-negative. Raises ValueError saying what is wrong.
    """
    if value.shape != shape:
        raise ValueError(f"{name} has shape {value.shape}, the env's spaces give {shape}")
    if value.dtype.kind not in kinds:
        raise ValueError(f"{name} has dtype {value.dtype}, expected kind {kinds!r}")
    if value.dtype.kind in "iu":
        if value.size and value.min() < 0:
            raise ValueError(f"{name} holds negative counts")
        return value
    bad = ~np.isfinite(value)
    if allow == "-inf":
        bad &= value != -np.inf
    if bad.any():
        raise ValueError(f"{name} holds NaN or infinite values")
    return value


_META_TYPES: dict[str, Any] = {
    "class": str,
    "hyperparameters": dict,
    "not_stored": list,
    "env_id": str | None,
    "env_kwargs": dict,
    "num_timesteps": int,
    "episode_returns": list,
    "episode_lengths": list,
}


def _agent_path(path: str | os.PathLike[str]) -> Path:
    """The file of ``path``: as given, or with ``.npz`` appended (as :meth:`Agent.save` does)."""
    if not isinstance(path, str | os.PathLike):
        raise TypeError(f"path must be a str or a path, got {path!r}")
    given = Path(path)
    with_suffix = given.with_name(given.name + ".npz")
    if given.suffix != ".npz" and not given.is_file() and with_suffix.is_file():
        return with_suffix
    return given


def _not_agent_file(path: Path, reason: str) -> ValueError:
    return ValueError(f"not a labcoat agent file: {path}: {reason}")


def _read_agent_file(
    path: Path, array_names: tuple[str, ...], hyperparameter_names: tuple[str, ...]
) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """The checked JSON metadata and the arrays of an agent file (no pickle, expected keys)."""
    if not path.is_file():
        raise FileNotFoundError(f"no agent file {path}")
    try:
        with np.load(path, allow_pickle=False) as data:
            if not isinstance(data, np.lib.npyio.NpzFile):
                raise ValueError("not an .npz archive")
            expected = {*array_names, "meta"}
            if set(data.files) != expected:
                raise ValueError(f"it holds {sorted(data.files)}, expected {sorted(expected)}")
            arrays = {name: data[name] for name in sorted(expected)}
        meta_array = arrays.pop("meta")
        if meta_array.shape != () or meta_array.dtype.kind != "U":
            raise ValueError("meta is not a JSON string")
        meta = json.loads(str(meta_array))
        _check_meta(meta, hyperparameter_names)
    except (OSError, EOFError, ValueError, TypeError, AttributeError, zipfile.BadZipFile) as error:
        raise _not_agent_file(path, str(error) or type(error).__name__) from error
    return meta, arrays


def _check_meta(meta: Any, hyperparameter_names: tuple[str, ...]) -> None:
    """Raise ValueError unless ``meta`` has exactly the keys and types :meth:`save` writes."""
    if not isinstance(meta, dict) or set(meta) != set(_META_TYPES):
        raise ValueError(f"meta must hold exactly the keys {sorted(_META_TYPES)}")
    for key, kind in _META_TYPES.items():
        if isinstance(meta[key], bool) or not isinstance(meta[key], kind):
            raise ValueError(f"meta[{key!r}] has the wrong type")
    names = [*meta["hyperparameters"], *meta["not_stored"]]
    if not set(names) <= set(hyperparameter_names):
        unknown = sorted(set(names) - set(hyperparameter_names))
        raise ValueError(f"unknown hyperparameters {unknown}")
    if not all(isinstance(k, str) for k in meta["env_kwargs"]):
        raise ValueError("env_kwargs keys must be strings")
    lengths, returns = meta["episode_lengths"], meta["episode_returns"]
    if len(lengths) != len(returns) or meta["num_timesteps"] < _total_length(lengths):
        raise ValueError("episode_lengths, episode_returns and num_timesteps disagree")
    if not all(isinstance(x, float | int) and math.isfinite(x) for x in returns):
        raise ValueError("episode_returns must be finite numbers")


def _total_length(lengths: list[Any]) -> int:
    """Return the total of non-negative int episode lengths; ValueError for anything else."""
    if not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in lengths):
        raise ValueError("episode_lengths must be non-negative integers")
    return sum(lengths)


def _stored_env(path: Path, env_id: str | None, env_kwargs: dict[str, Any]) -> gym.Env:
    """``gym.make`` of a stored id, looked up in the registry only: no module is imported."""
    if env_id is None:
        raise TypeError(f"{path} stores no environment id: pass env=")
    module, _, name = env_id.rpartition(":")
    if module and module not in sys.modules:
        raise _not_agent_file(
            path,
            f"its env_id {env_id!r} would import the module {module!r}; loading never imports "
            "code: import it yourself or pass env=",
        )
    if name not in gym.registry:
        raise _not_agent_file(path, f"its env_id {name!r} is not registered with Gymnasium")
    try:
        return gym.make(name, **env_kwargs)
    except (TypeError, ValueError) as error:
        raise _not_agent_file(path, f"its env_kwargs are refused: {error}") from error


def _caller_level() -> int:
    """The ``stacklevel`` of a warning pointing at the first frame outside labcoat.agents."""
    here = os.path.dirname(__file__)
    frame, level = sys._getframe(1), 1
    while frame is not None and os.path.dirname(frame.f_code.co_filename) == here:
        frame, level = frame.f_back, level + 1  # type: ignore[assignment]
    return level


def _has_time_limit(env: gym.Env) -> bool:
    """Whether a TimeLimit wrapper (a ``max_episode_steps``) is around ``env``."""
    while isinstance(env, gym.Wrapper):
        if isinstance(env, gym.wrappers.TimeLimit):
            return True
        env = env.env
    return False


def _is_json(value: Any) -> bool:
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return False
    return True


class _Callbacks:
    """``learn``'s callback: a function per finished episode, or SB3 callbacks per step."""

    def __init__(self, agent: Agent, callback: Any) -> None:
        self.function: Callable[[Any], bool | None] | None = None
        self.sb3: Any = None
        if callback is None:
            return
        if isinstance(callback, list | tuple) or hasattr(callback, "init_callback"):
            from stable_baselines3.common.callbacks import BaseCallback, CallbackList

            items = list(callback) if isinstance(callback, list | tuple) else [callback]
            if not all(isinstance(item, BaseCallback) for item in items):
                raise TypeError(
                    "callback must be a function, a Stable-Baselines3 BaseCallback or a list of "
                    f"them, got {callback!r}"
                )
            self.sb3 = callback if isinstance(callback, BaseCallback) else CallbackList(items)
            self.sb3.init_callback(agent)
        elif callable(callback):
            self.function = callback
        else:
            raise TypeError(
                "callback must be a function, a Stable-Baselines3 BaseCallback or a list of "
                f"them, got {type(callback).__name__}"
            )
        self.agent = agent

    @property
    def every_step(self) -> bool:
        """Whether the callbacks run after every step (SB3) rather than every episode."""
        return self.sb3 is not None

    def start(self, locals_: dict[str, Any], globals_: dict[str, Any]) -> None:
        if self.sb3 is not None:
            self.sb3.on_training_start(locals_, globals_)
            self.sb3.on_rollout_start()

    def step(self, ended: bool, reward: float) -> bool:
        """Call the callbacks after a step; False stops training."""
        if self.sb3 is not None:
            info = getattr(self.agent, "_info", None) or {}
            self.sb3.update_locals(
                {"dones": np.array([ended]), "infos": [info], "rewards": np.array([reward])}
            )
            return bool(self.sb3.on_step())
        if ended and self.function is not None:
            return self.function(self.agent) is not False
        return True

    def end(self) -> None:
        if self.sb3 is not None:
            self.sb3.on_rollout_end()
            self.sb3.on_training_end()


class _Progress:
    """A rich progress bar, or nothing."""

    def __init__(self, description: str, total: int, enabled: bool) -> None:
        self._bar: Any = None
        if enabled:
            from rich.progress import Progress

            self._bar = Progress(transient=True)
            self._task = self._bar.add_task(description, total=total)

    def __enter__(self) -> _Progress:
        if self._bar is not None:
            self._bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()

    def advance(self, amount: int) -> None:
        if self._bar is not None and amount:
            self._bar.advance(self._task, amount)
