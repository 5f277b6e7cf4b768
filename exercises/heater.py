"""Heater control (seed 000 §7): classical controllers against reinforcement learning.

"Another agent could be trained to reach the target temperature by adjusting the electrical
current running through a heating element." On ``labcoat/HeaterControl-v0`` (lumped thermal
model C dT/dt = I^2 R - (T - T_amb)/R_th, Discrete current levels, noisy sensor, a target drawn
at every reset) four controllers meet on the same evaluation episodes:

- an on/off thermostat with hysteresis h: full current below T* - h, off above T* + h, else
  unchanged;
- a PID controller on the heating power, u = Kp e + Ki sum(e) dt + Kd (e_t - e_{t-1})/dt with
  e = T* - T_measured, clipped to [0, P_max] (conditional integration against wind-up) and
  sent as the current level of nearest power (ties: the lower level). Tuning: the IMC rule for the
  first-order plant G(s) = R_th / (tau s + 1), Kp = tau / (R_th lambda), Ki = Kp / tau,
  Kd = Kp T_d, with (lambda, T_d) picked by a small grid search for the best return on
  training targets;
- semi-gradient Sarsa with tile coding (labcoat.agents) of the tracking error, the target and
  the error's change per step (`TrackingObservation`), trained on random targets with an ε
  decaying linearly from 0.2 to 0.01 over the first 60 % of training;
- PPO (Stable-Baselines3) on rescaled observations, trained on random targets.

Scores: the RMS tracking error of the true temperature after the rise (from ``settle_time`` on,
the same window for everyone), the rise time (first time within 1 K of the target) and the
electrical energy per episode.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium.wrappers import RescaleObservation, TimeLimit
from matplotlib.figure import Figure

from labcoat.agents.features import TileCoding
from labcoat.agents.semi_gradient import SemiGradientSarsa
from labcoat.classic._checks import check_int
from labcoat.envs.heater import HeaterControlEnv
from labcoat.exercises._framework import Exercise, Result, Table, check_float, check_ints, track
from labcoat.exercises._seeds import over_seeds, seed_metrics, titled

COLORS = {
    "thermostat": "#7f7f7f",
    "PID": "#1f77b4",
    "semi-gradient Sarsa": "#d62728",
    "PPO (SB3)": "#2ca02c",
}

EPISODE_STEPS = 200
"""Steps per episode (the registration's time limit)."""
MAX_LEVELS = 1000
"""The most current levels a run may ask for (the env builds one array entry per level)."""


@dataclass(frozen=True)
class Config:
    """Settings of the heater-control comparison."""

    seed: int = 0
    """One seed for the evaluation targets, the sensor noise, the tuning and the agents."""
    n_episodes: int = 10
    """Evaluation episodes (targets), the same for every controller."""
    sensor_noise: float = 0.1
    """Standard deviation of the temperature sensor in K."""
    sensor_time_constant: float = 0.0
    """First-order sensor lag in s (0: none)."""
    energy_weight: float = 0.1
    """Reward penalty per step at full power (the env's energy_weight)."""
    n_levels: int = 11
    """Current levels of the Discrete heater, evenly spaced from 0 to max_current (>= 2)."""
    max_current: float = 2.0
    """Largest heater current in A (> 0)."""
    resistance: float = 10.0
    """Electrical resistance R of the heating element in Ohm (> 0): power I^2 R."""
    thermal_resistance: float = 2.0
    """Thermal resistance R_th to the surroundings in K/W (> 0)."""
    heat_capacity: float = 50.0
    """Heat capacity C of the heated body in J/K (> 0); tau = R_th C."""
    ambient_temperature: float = 20.0
    """Temperature T_amb of the surroundings in deg C."""
    time_step: float = 5.0
    """Seconds per control step (> 0); an episode is 200 steps."""
    target_range: tuple[float, float] = (30.0, 80.0)
    """(low, high) of the targets drawn at each reset, T_amb < low <= high < T_amb + P_max R_th."""
    settle_time: float = 300.0
    """Seconds after which the tracking error is scored (the end of the rise)."""
    hysteresis: float = 0.5
    """Half-width h of the thermostat's dead band in K."""
    tuning_episodes: int = 4
    """Training targets on which the PID's (lambda, T_d) grid is scored."""
    sarsa_timesteps: int = 100_000
    """Semi-gradient Sarsa training steps per training seed (0 leaves Sarsa out)."""
    ppo_timesteps: int = 6_000
    """PPO training steps per training seed (0 leaves PPO out).

    PPO costs most of the run: 5 seeds x 6k steps take about what one seed of 30k steps took
    before training seeds were reported (``--set ppo_timesteps=30000``: 5 times longer).
    """
    training_seeds: int = 5
    """Independent training runs (seeds) of each agent; results are reported over them."""

    def __post_init__(self) -> None:
        check_int("n_levels", self.n_levels, 2, MAX_LEVELS)  # before the env allocates them
        env_kwargs(self)  # the environment checks its own arguments
        check_ints(
            self,
            {
                "seed": 0,
                "n_episodes": 1,
                "tuning_episodes": 1,
                "sarsa_timesteps": 0,
                "ppo_timesteps": 0,
                "training_seeds": 1,
            },
        )
        for name in (
            "sensor_noise",
            "sensor_time_constant",
            "energy_weight",
            "hysteresis",
            "settle_time",
        ):
            check_float(name, getattr(self, name), 0.0)
        episode = EPISODE_STEPS * self.time_step
        if not 0.0 <= self.settle_time < episode:  # both fields set the bound: name both
            raise ValueError(
                f"settle_time must be in [0, {episode:g}) s, the episode of {EPISODE_STEPS} "
                f"steps of time_step = {self.time_step:g} s; got settle_time={self.settle_time!r}"
            )


ENV_FIELDS = (
    "sensor_noise",
    "sensor_time_constant",
    "energy_weight",
    "n_levels",
    "max_current",
    "resistance",
    "thermal_resistance",
    "heat_capacity",
    "ambient_temperature",
    "time_step",
    "target_range",
)
"""The config fields that are arguments of ``HeaterControlEnv``."""


def env_kwargs(config: Config) -> dict[str, Any]:
    """The environment's constructor arguments taken from the config (validated by the env)."""
    kwargs = {name: getattr(config, name) for name in ENV_FIELDS}
    try:
        HeaterControlEnv(**kwargs)
    except ValueError as error:
        if not str(error).startswith("target_range must satisfy"):
            raise
        # The range depends on four other fields: name them all, whichever one was changed.
        raise ValueError(
            f"{error}; T_max = ambient_temperature + max_current^2 * resistance * "
            "thermal_resistance"
        ) from None
    return kwargs


def make_env(config: Config) -> HeaterControlEnv:
    """The Discrete heater with the config's physical, sensor and reward settings."""
    return HeaterControlEnv(**env_kwargs(config))


class Thermostat:
    """On/off control with hysteresis: full current below T* - h, off above T* + h."""

    def __init__(self, env: HeaterControlEnv, hysteresis: float) -> None:
        self.on_action, self.hysteresis = len(env.currents) - 1, hysteresis
        self.reset()

    def reset(self) -> None:
        """Start switched off."""
        self.on = False

    def __call__(self, observation: np.ndarray) -> int:
        """The action for the measured temperature and target in ``observation``."""
        measured, target = float(observation[0]), float(observation[1])
        if measured < target - self.hysteresis:
            self.on = True
        elif measured > target + self.hysteresis:
            self.on = False
        return self.on_action if self.on else 0


class PID:
    """Discrete-time PID on the heating power with conditional integration (anti-wind-up).

    u_t = Kp e_t + Ki I_t + Kd (e_t - e_{t-1}) / dt, e = T* - T_measured; P = clip(u, 0, P_max);
    I_{t+1} = I_t + e_t dt unless the output is saturated and e_t would push it further.
    """

    def __init__(
        self,
        env: HeaterControlEnv,
        proportional: float,
        integral: float,
        derivative: float,
    ) -> None:
        self.env, self.kp, self.ki, self.kd = env, proportional, integral, derivative
        self.powers = [float(i) ** 2 * env.resistance for i in env.currents]
        """Power I^2 R of each Discrete action."""
        self.reset()

    @classmethod
    def imc(cls, env: HeaterControlEnv, closed_loop_time: float, derivative_time: float) -> PID:
        """IMC rule for G(s) = R_th/(tau s + 1): Kp = tau/(R_th lambda), Ki = Kp/tau, Kd = Kp Td."""
        tau = env.thermal_resistance * env.heat_capacity
        kp = tau / (env.thermal_resistance * closed_loop_time)
        return cls(env, kp, kp / tau, kp * derivative_time)

    def reset(self) -> None:
        """Clear the integral and the previous error."""
        self.integral, self.previous = 0.0, math.nan

    def __call__(self, observation: np.ndarray) -> int:
        """The action for the measured temperature and target in ``observation``."""
        dt = self.env.time_step
        e = float(observation[1]) - float(observation[0])
        slope = 0.0 if math.isnan(self.previous) else (e - self.previous) / dt
        u = self.kp * e + self.ki * self.integral + self.kd * slope
        power = min(max(u, 0.0), self.env.max_power)
        if power == u or (u > power) != (e > 0):
            self.integral += e * dt
        self.previous = e
        return min(range(len(self.powers)), key=lambda a: abs(self.powers[a] - power))


@dataclass
class Episode:
    """One evaluation episode: true temperatures (T_0..T_200), target, powers, return."""

    temperature: np.ndarray
    target: float
    power: np.ndarray
    episode_return: float


def run_episode(act: Callable[[np.ndarray], Any], env: Any, seed: int) -> Episode:
    """Run one 200-step episode and record the true temperature and the power."""
    observation, info = env.reset(seed=seed)
    temperature, power, total = [info["temperature"]], [], 0.0
    for _ in range(EPISODE_STEPS):
        observation, reward, _, _, info = env.step(act(observation))
        temperature.append(info["temperature"])
        power.append(info["power"])
        total += float(reward)
    return Episode(np.array(temperature), float(info["target"]), np.array(power), total)


def scores(episode: Episode, time_step: float, settle_time: float) -> dict[str, float]:
    """RMS error from ``settle_time`` on (K), rise time (s, inf if never), energy (kJ)."""
    error = episode.temperature - episode.target
    start = int(round(settle_time / time_step))
    close = np.flatnonzero(np.abs(error) <= 1.0)
    return {
        "rms_error": float(np.sqrt(np.mean(error[start:] ** 2))),
        "rise_time": float(close[0] * time_step) if close.size else math.inf,
        "energy_kj": float(episode.power.sum() * time_step / 1e3),
        "return": episode.episode_return,
    }


def tune_pid(config: Config, seeds: list[int]) -> tuple[PID, dict[str, float]]:
    """Grid search over lambda in {10, 20, 40, 80} s and T_d in {0, 2.5, 5} s.

    The score is the mean return on the tuning targets: the agents' objective (tracking error
    over the whole episode and energy), so the PID is tuned for what the agents learn.
    """
    env = make_env(config)
    best: tuple[float, PID, dict[str, float]] | None = None
    for closed_loop_time in (10.0, 20.0, 40.0, 80.0):
        for derivative_time in (0.0, 2.5, 5.0):
            pid = PID.imc(env, closed_loop_time, derivative_time)
            returns = []
            for seed in seeds:
                pid.reset()
                returns.append(run_episode(pid, env, seed).episode_return)
            if best is None or np.mean(returns) > best[0]:
                choice = {"lambda_s": closed_loop_time, "derivative_time_s": derivative_time}
                best = (float(np.mean(returns)), pid, choice)
    assert best is not None
    return best[1], best[2]


def _limited(env: HeaterControlEnv) -> TimeLimit:
    return TimeLimit(env, max_episode_steps=EPISODE_STEPS)


class TrackingObservation(gym.ObservationWrapper):
    """What a controller looks at: the tracking error, the target, and the error's change.

    Maps the heater's observation (T_measured, T*, e = T* - T_measured) to

        (sign(e) ln(1 + |e|/1 K) / ln(1 + 100), T*, tanh((e_t - e_{t-1}) / 1 K)),

    with e_{t-1} = e_t at reset: the logarithm keeps kelvin resolution near the target and
    still tells 5 K from 50 K (a tanh would merge every large error, and a tile-coded agent
    then settles at whatever constant current looked best there); T* sets the holding power
    (T* - T_amb)/R_th; the change of e per step is the derivative a PID uses against overshoot.
    """

    def __init__(self, env: gym.Env) -> None:
        super().__init__(env)
        low, high = env.unwrapped.target_range  # type: ignore[attr-defined]
        self.observation_space = gym.spaces.Box(
            np.array([-1.0, low, -1.0], dtype=np.float32),
            np.array([1.0, high, 1.0], dtype=np.float32),
            dtype=np.float32,
        )
        self._previous: float | None = None

    def reset(self, **kwargs: Any) -> tuple[np.ndarray, dict[str, Any]]:
        """Reset the env and forget the previous error."""
        self._previous = None
        return super().reset(**kwargs)

    def observation(self, observation: np.ndarray) -> np.ndarray:
        """(scaled error, target, squashed change of the error) of the class docstring."""
        e = float(observation[2])
        change = 0.0 if self._previous is None else e - self._previous
        self._previous = e
        scaled = math.copysign(math.log1p(abs(e)) / _LOG_ERROR_RANGE, e)
        return np.array((scaled, observation[1], math.tanh(change)), dtype=np.float32)


_LOG_ERROR_RANGE = math.log1p(100.0)


def _sarsa_env(config: Config) -> TrackingObservation:
    return TrackingObservation(make_env(config))


def sarsa_epsilon(total_timesteps: int) -> Callable[[int], float]:
    """ε(t) = max(0.01, 0.2 (1 - t / (0.6 total_timesteps))): explore early, act greedily late."""
    horizon = 0.6 * max(total_timesteps, 1)
    return lambda t: max(0.01, 0.2 * (1.0 - t / horizon))


def train_sarsa(config: Config, seed: int) -> Callable[[np.ndarray], Any]:
    """Semi-gradient Sarsa (γ = 0.9, α = 0.5/8), linear on 8 tilings of `TrackingObservation`.

    Tiles per tiling: 8 over the scaled error, 4 over the target, 4 over the error's change.
    The weights start at 0, above every return (all rewards are negative), so untried actions
    get tried (optimistic initial values).
    """
    env = TimeLimit(_sarsa_env(config), max_episode_steps=EPISODE_STEPS)
    features = TileCoding(env.observation_space, n_tilings=8, tiles_per_dim=(8, 4, 4))
    agent = SemiGradientSarsa(
        env,
        gamma=0.9,
        learning_rate=0.5 / 8,
        epsilon=sarsa_epsilon(config.sarsa_timesteps),
        seed=seed,
        features=features,
    )
    agent.learn(total_timesteps=config.sarsa_timesteps)
    return lambda obs: agent.predict(obs, deterministic=True)[0]


def train_ppo(config: Config, seed: int) -> Callable[[np.ndarray], Any]:
    """PPO (SB3, MLP 64-64) on the Discrete heater with observations rescaled to [-1, 1]."""
    from stable_baselines3 import PPO

    env = _ppo_env(config)
    n_steps = max(64, min(512, config.ppo_timesteps // 4))
    model = PPO(
        "MlpPolicy",
        env,
        n_steps=n_steps,
        batch_size=64,
        gamma=0.95,
        seed=seed,
        device="cpu",
        verbose=0,
    )
    model.learn(total_timesteps=config.ppo_timesteps)
    return lambda obs: int(model.predict(obs, deterministic=True)[0])


def _ppo_env(config: Config) -> RescaleObservation:
    return RescaleObservation(_limited(make_env(config)), np.float32(-1.0), np.float32(1.0))


AGENTS: dict[str, tuple[Callable[[Config, int], Callable[[np.ndarray], Any]], Any, str]] = {
    "semi-gradient Sarsa": (train_sarsa, _sarsa_env, "sarsa_timesteps"),  # own features
    "PPO (SB3)": (train_ppo, _ppo_env, "ppo_timesteps"),  # sees rescaled observations
}
"""Agent -> (trainer, the env it acts in, its budget field)."""

Controller = tuple[Callable[[np.ndarray], Any], Any, Callable[[], None] | None]
"""A policy, the env it acts in, and its reset between episodes (None: nothing to reset)."""


def run(config: Config) -> Result:
    """Tune the PID, train each agent on every training seed, evaluate all on the same targets.

    ``episodes[name][k]`` are the evaluation episodes of the k-th training seed (one run for
    the thermostat and the PID, which are not trained).
    """
    streams = np.random.SeedSequence(config.seed).spawn(3)
    eval_seeds = [int(s) for s in streams[0].generate_state(config.n_episodes)]
    tuning_seeds = [int(s) for s in streams[1].generate_state(config.tuning_episodes)]
    agent_seeds = streams[2].generate_state(2 * config.training_seeds).reshape(-1, 2).T
    env = make_env(config)
    pid, pid_choice = tune_pid(config, tuning_seeds)
    thermostat = Thermostat(env, config.hysteresis)
    controllers: dict[str, list[Controller]] = {
        "thermostat": [(thermostat, env, thermostat.reset)],
        "PID": [(pid, env, pid.reset)],
    }
    for a, (name, (train, agent_env, budget)) in enumerate(AGENTS.items()):
        if getattr(config, budget):
            controllers[name] = [
                (train(config, int(s)), agent_env(config), None) for s in agent_seeds[a]
            ]
    episodes: dict[str, list[list[Episode]]] = {n: [[] for _ in r] for n, r in controllers.items()}
    for seed in track(eval_seeds, "evaluation episodes", total=len(eval_seeds)):
        for name, runs in controllers.items():
            for k, (act, controller_env, reset) in enumerate(runs):
                if reset is not None:
                    reset()
                episodes[name][k].append(run_episode(act, controller_env, seed))
    return _result(config, env, episodes, pid, pid_choice)


def _result(
    config: Config,
    env: HeaterControlEnv,
    episodes: dict[str, list[list[Episode]]],
    pid: PID,
    pid_choice: dict[str, float],
) -> Result:
    table_rows, metrics, data = [], {}, {}
    per_seed = {
        name: [np.mean([scores(e, env.time_step, config.settle_time)["rms_error"] for e in run])
               for run in runs]
        for name, runs in episodes.items()
        if name in AGENTS
    }  # fmt: skip
    seeds = over_seeds(per_seed)
    for name, by_seed in episodes.items():
        runs = [e for run in by_seed for e in run]  # pooled over training seeds
        s = [scores(e, env.time_step, config.settle_time) for e in runs]
        rms = np.array([x["rms_error"] for x in s])
        summary = {
            "rms_error": float(rms.mean()),
            "rms_error_sd": float(rms.std()),
            "rise_time_s": float(np.median([x["rise_time"] for x in s])),
            "energy_kj": float(np.mean([x["energy_kj"] for x in s])),
            "return": float(np.mean([x["return"] for x in s])),
        }
        metrics[name] = summary
        over = str(seeds[name]) if name in seeds else "no training"
        table_rows.append([name, *list(summary.values())[:2], over, *list(summary.values())[2:]])
        data[f"{name} temperature"] = runs[0].temperature
    times = np.arange(EPISODE_STEPS + 1) * env.time_step
    first = next(iter(episodes.values()))[0][0]
    table = Table(
        title=f"Heater control on {config.n_episodes} targets (RMS error from "
        f"{config.settle_time:.0f} s on; agents: {config.training_seeds} training seeds each; "
        f"PID lambda = {pid_choice['lambda_s']:g} s, T_d = {pid_choice['derivative_time_s']:g} s)",
        columns=[
            "controller",
            "RMS error (K)",
            "sd",
            "RMS error: IQM over training seeds [95% CI]",
            "rise time (s)",
            "energy (kJ)",
            "return",
        ],
        rows=table_rows,
    )
    metrics_out: dict[str, Any] = {
        "controllers": metrics,
        "pid": {"kp": pid.kp, "ki": pid.ki, "kd": pid.kd, **pid_choice},
        "rms_error_over_seeds": seed_metrics(seeds, config.training_seeds),
    }
    return Result(
        tables={"summary": table},
        figures={"trace": _figure(config, episodes, times, first.target)},
        data={"trace": {"time_s": times, "target": np.full(len(times), first.target), **data}},
        metrics=metrics_out,
    )


def _label(config: Config, name: str, runs: int) -> str:
    if name not in AGENTS:
        return name
    return f"{name}: {getattr(config, AGENTS[name][2]):,} steps (first of {runs} training seeds)"


def _figure(
    config: Config, episodes: dict[str, list[list[Episode]]], times: np.ndarray, target: float
) -> Figure:
    figure = Figure(figsize=(9, 6), layout="constrained")
    top, bottom = figure.subplots(2, 1, sharex=True, height_ratios=(2, 1))
    for name, by_seed in episodes.items():
        color, first = COLORS.get(name), by_seed[0][0]
        label = _label(config, name, len(by_seed))
        top.plot(times, first.temperature, color=color, label=label, linewidth=1.2)
        bottom.step(times[1:], first.power, where="pre", color=color, linewidth=0.9)
    top.axhline(target, color="black", linestyle="--", label="target")
    top.axvline(
        config.settle_time, color="black", linestyle=":", linewidth=0.8, label="scoring starts"
    )
    title = titled("Heater temperature (first evaluation episode)", config, QUICK)
    top.set(title=title, ylabel="temperature (°C)")
    bottom.set(title="Heating power", xlabel="time (s)", ylabel="power I²R (W)")
    top.legend(fontsize="small", loc="lower right")
    return figure


QUICK = {
    "n_episodes": 3,
    "tuning_episodes": 2,
    "sarsa_timesteps": 20_000,
    "ppo_timesteps": 256,
    "training_seeds": 3,
}
"""The ``--quick`` settings."""

EXERCISE = Exercise(
    name="heater",
    summary="Heater control: thermostat and PID vs semi-gradient Sarsa and SB3",
    config=Config,
    run=run,
    quick=QUICK,
    groups={"environment": ENV_FIELDS},
)
