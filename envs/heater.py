"""Heater control: reach and hold a target temperature by choosing the heating current.

The second level of seed 000 §7's experiment example: "another agent could be trained to reach
the target temperature by adjusting the electrical current running through a heating element".
"""

from __future__ import annotations

import math
from typing import Any, SupportsFloat

import gymnasium as gym
import numpy as np
from gymnasium import spaces
from numpy.typing import NDArray

from labcoat.envs._checks import check_bool, check_float, check_int
from labcoat.envs._inputs import box_action, check_options, discrete_action, real_array
from labcoat.envs._render import check_render_mode, render_frame

__all__ = ["TEMPERATURE_SCALE", "HeaterControlEnv", "zero_order_hold"]

TEMPERATURE_SCALE = 10.0
"""Kelvin of tracking error that cost one unit of reward per step."""

ABSOLUTE_ZERO = -273.15
"""The lowest ambient temperature, deg C."""

MAX_TEMPERATURE = 1e30
"""Bound on the steady state at full current T_max, deg C (the observations are float32)."""


def zero_order_hold(
    heat_capacity: float,
    thermal_resistance: float,
    sensor_time_constant: float,
    time_step: float,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Exact discretization of the heater and its sensor for a power held over one step.

    With y = (T - T_amb, T_s - T_amb) the continuous model is dy/dt = A y + B P,

        A = [[-a, 0], [b, -b]],  B = [1/C, 0],  a = 1/tau = 1/(R_th C),  b = 1/tau_s,

    and a power P constant over the step gives y_{t+1} = A_d y_t + B_d P with A_d = exp(A dt)
    and B_d = (integral_0^dt exp(A s) ds) B. In closed form (solving the two linear ODEs),

        A_d = [[e^{-a dt}, 0], [k, e^{-b dt}]],  B_d = R_th [1 - e^{-a dt}, 1 - e^{-b dt} - k],
        k = b (e^{-a dt} - e^{-b dt}) / (b - a) = b dt e^{-a dt} phi((b - a) dt),

    with phi(x) = (1 - e^{-x}) / x (phi(0) = 1) where b is close to a, so that no 0/0 arises at
    tau_s = tau and nothing overflows for a stiff sensor (tau_s << dt; the matrix exponential
    returned NaN there). Without sensor lag (tau_s = 0) the sensor reads T:

        T_{t+1} = T_amb + P R_th + (T_t - T_amb - P R_th) e^{-dt/tau}.

    Args:
        heat_capacity: C in J/K.
        thermal_resistance: R_th in K/W.
        sensor_time_constant: tau_s in s (0: no lag).
        time_step: dt in s.

    Returns:
        (A_d, B_d) with shapes (2, 2) and (2,).
    """
    tau = thermal_resistance * heat_capacity
    a_dt = time_step / tau if tau > 0.0 else math.inf  # inf when R_th C underflows
    decay = math.exp(-a_dt)
    gain = -thermal_resistance * math.expm1(-a_dt)
    if sensor_time_constant == 0.0:
        return np.array([[decay, 0.0], [decay, 0.0]]), np.array([gain, gain])
    b_dt = time_step / sensor_time_constant  # inf when tau_s is subnormal
    lag = math.exp(-b_dt)
    x = b_dt - a_dt
    if abs(x) <= 1e-3:
        coupling = b_dt * decay * (-math.expm1(-x) / x if x != 0.0 else 1.0)
    else:  # also NaN (both rates infinite): b / (b - a) = 1 / (1 - tau_s / tau)
        ratio = sensor_time_constant / tau if tau > 0.0 else math.inf
        coupling = 0.0 if decay == lag else (decay - lag) / (1.0 - ratio)  # equal: both 0
    sensor_gain = thermal_resistance * (-math.expm1(-b_dt) - coupling)
    return np.array([[decay, 0.0], [coupling, lag]]), np.array([gain, sensor_gain])


class HeaterControlEnv(gym.Env[np.ndarray, np.ndarray | int]):
    """Reach and hold a target temperature with a resistive heater.

    ## Description
    A sample with heat capacity C sits on a heating element of resistance R and loses heat to
    the room (temperature T_amb) through a thermal resistance R_th (lumped model):

        C dT/dt = I^2 R - (T - T_amb) / R_th,   tau = R_th C.

    A sensor with time constant tau_s (optional first-order lag, tau_s dT_s/dt = T - T_s) and
    Gaussian noise reports the temperature. The current I is held for `time_step` seconds; the
    linear dynamics are integrated exactly (zero-order hold, see `zero_order_hold`):

        T_{t+1} = T_amb + P R_th + (T_t - T_amb - P R_th) e^{-dt/tau},   P = I^2 R.

    The steady state at constant current is T_amb + I^2 R R_th.

    ## Action Space
    `continuous=False` (default): `Discrete(n_levels)`, action k sets the current
    I = k / (n_levels - 1) * max_current. `continuous=True`: `Box(-1, 1, (1,), float32)`,
    I = (a + 1) / 2 * max_current (clipped to [0, max_current]).

    ## Observation Space
    `Box(float32, (3,))`: measured temperature (deg C, clipped to [T_amb - 10, T_max + 10] with
    T_max = T_amb + max_current^2 R R_th), the target, and target - measured.

    ## Rewards
    r_{t+1} = -|T_{t+1} - T*| / 10 K - energy_weight * P_t / P_max: one unit per 10 K of true
    tracking error and `energy_weight` per step at full power.

    ## Transitions
    Deterministic heater dynamics (above); the sensor reading adds N(0, sensor_noise^2).

    ## Starting State
    The heater starts cold: T = T_s = T_amb. The target T* is drawn uniformly from
    `target_range` (or given by `options={"target": value}` in `reset`).

    ## Episode End
    No termination. Truncation after 200 steps (TimeLimit wrapper of the registration).

    ## Information
    `reset` and `step` return `temperature` (true T, deg C), `target`, `measured_temperature`
    and `power` (W, of the last step; 0 at reset).

    ## Arguments
    ```python
    gym.make("labcoat/HeaterControl-v0", continuous=False, n_levels=11, max_current=2.0,
             resistance=10.0, thermal_resistance=2.0, heat_capacity=50.0,
             ambient_temperature=20.0, time_step=5.0, sensor_time_constant=0.0,
             sensor_noise=0.1, target_range=(30.0, 80.0), energy_weight=0.1,
             render_mode=None)
    ```
    * `continuous`: Discrete current levels (False) or a Box (True).
    * `n_levels`: number of current levels of the Discrete variant (>= 2).
    * `max_current` (A), `resistance` (Ohm), `thermal_resistance` (K/W), `heat_capacity`
      (J/K), `time_step` (s): positive.
    * `ambient_temperature` (deg C), `sensor_time_constant` (s, >= 0), `sensor_noise` (K, >= 0).
    * `target_range`: (low, high) with T_amb < low <= high < T_max.
    * `energy_weight`: >= 0.
    * `ambient_temperature` must be above absolute zero and T_max below 10^30 deg C.
    * `render_mode`: None, "ansi" (a line of text) or "rgb_array" (a 64 x 96 picture: a
      thermometer with the target, the sample coloured by its temperature, the heating element
      glowing with the power).

    ## Version History
    * v0: initial version.
    """

    metadata = {"render_modes": ["ansi", "rgb_array"], "render_fps": 4}

    def __init__(
        self,
        *,
        continuous: bool = False,
        n_levels: int = 11,
        max_current: float = 2.0,
        resistance: float = 10.0,
        thermal_resistance: float = 2.0,
        heat_capacity: float = 50.0,
        ambient_temperature: float = 20.0,
        time_step: float = 5.0,
        sensor_time_constant: float = 0.0,
        sensor_noise: float = 0.1,
        target_range: tuple[float, float] = (30.0, 80.0),
        energy_weight: float = 0.1,
        render_mode: str | None = None,
    ) -> None:
        self.continuous = check_bool("continuous", continuous)
        n_levels = check_int("n_levels", n_levels, 2)
        self.max_current = check_float("max_current", max_current, 0.0, low_open=True)
        self.resistance = check_float("resistance", resistance, 0.0, low_open=True)
        self.thermal_resistance = check_float(
            "thermal_resistance", thermal_resistance, 0.0, low_open=True
        )
        self.heat_capacity = check_float("heat_capacity", heat_capacity, 0.0, low_open=True)
        self.ambient_temperature = check_float(
            "ambient_temperature", ambient_temperature, ABSOLUTE_ZERO
        )
        self.time_step = check_float("time_step", time_step, 0.0, low_open=True)
        self.sensor_time_constant = check_float("sensor_time_constant", sensor_time_constant, 0.0)
        self.sensor_noise = check_float("sensor_noise", sensor_noise, 0.0)
        self.energy_weight = check_float("energy_weight", energy_weight, 0.0)
        self.render_mode = check_render_mode(render_mode, self.metadata["render_modes"])
        self.max_power = self.max_current * self.max_current * self.resistance  # inf, not an error
        self.max_temperature = self.ambient_temperature + self.max_power * self.thermal_resistance
        if not self.max_temperature < MAX_TEMPERATURE:  # also catches an overflow to inf
            raise ValueError(
                "ambient_temperature, max_current, resistance and thermal_resistance must give a "
                f"steady state at full current T_max < {MAX_TEMPERATURE:g} C, "
                f"got T_max = {self.max_temperature:g} C"
            )
        self.target_range = _checked_range(
            target_range, self.ambient_temperature, self.max_temperature
        )
        self.currents = np.linspace(0.0, self.max_current, n_levels)
        """Current (A) of each Discrete action."""
        self._powers = [float(i) ** 2 * self.resistance for i in self.currents]
        a_d, b_d = zero_order_hold(
            self.heat_capacity, self.thermal_resistance, self.sensor_time_constant, self.time_step
        )
        self._a = (float(a_d[0, 0]), float(a_d[1, 0]), float(a_d[1, 1]))
        self._b = (float(b_d[0]), float(b_d[1]))
        self.action_space: spaces.Space[Any] = (
            spaces.Box(-1.0, 1.0, shape=(1,), dtype=np.float32)
            if self.continuous
            else spaces.Discrete(n_levels)
        )
        self._reading_bounds = (self.ambient_temperature - 10.0, self.max_temperature + 10.0)
        low_t, high_t = self._reading_bounds
        low_target, high_target = self.target_range
        self.observation_space = spaces.Box(
            low=np.array([low_t, low_target, low_target - high_t], dtype=np.float32),
            high=np.array([high_t, high_target, high_target - low_t], dtype=np.float32),
            dtype=np.float32,
        )
        self._temperature = self._sensor = self._reading = self.ambient_temperature
        self._target = math.nan
        self._power = 0.0
        self._steps = -1

    def power(self, action: np.ndarray | int) -> float:
        """Electrical power P = I^2 R (W) of an action (see Action Space).

        Raises:
            ValueError: ``action`` is not an action of ``action_space``.
        """
        if isinstance(self.action_space, spaces.Box):
            level = box_action(action, self.action_space)[0]
            current = 0.5 * (level + 1.0) * self.max_current
            return current * current * self.resistance
        return self._powers[discrete_action(action, len(self._powers))]

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        """Start cold (T = T_amb) with a target drawn from `target_range` (or `options`)."""
        options = check_options(options, ("target",))
        low, high = self.target_range
        target = options.get("target")
        if target is not None:
            target = check_float("options['target']", target, low, high)
        super().reset(seed=seed)
        if target is None:
            target = float(self.np_random.uniform(low, high))
        self._target = target
        self._temperature = self._sensor = self.ambient_temperature
        self._power = 0.0
        self._steps = 0
        self._read()
        return self._observation(), self._info()

    def step(
        self, action: np.ndarray | int
    ) -> tuple[np.ndarray, SupportsFloat, bool, bool, dict[str, Any]]:
        """Hold the chosen current for one time step (exact zero-order-hold update)."""
        if self._steps < 0:
            raise RuntimeError("call reset() before step()")
        power = self.power(action)
        a11, a21, a22 = self._a
        b1, b2 = self._b
        ambient = self.ambient_temperature
        heat, lag = self._temperature - ambient, self._sensor - ambient
        self._temperature = ambient + a11 * heat + b1 * power
        self._sensor = ambient + a21 * heat + a22 * lag + b2 * power
        self._power = power
        self._steps += 1
        self._read()
        reward = (
            -abs(self._temperature - self._target) / TEMPERATURE_SCALE
            - self.energy_weight * power / self.max_power
        )
        return self._observation(), reward, False, False, self._info()

    def _read(self) -> None:
        reading = self._sensor
        if self.sensor_noise > 0.0:
            reading += self.sensor_noise * float(self.np_random.standard_normal())
        low, high = self._reading_bounds
        self._reading = min(max(reading, low), high)

    def _observation(self) -> np.ndarray:
        reading, target = self._reading, self._target
        return np.array((reading, target, target - reading), dtype=np.float32)

    def _info(self) -> dict[str, Any]:
        return {
            "temperature": self._temperature,
            "target": self._target,
            "measured_temperature": self._reading,
            "power": self._power,
        }

    def render(self) -> str | np.ndarray | None:  # type: ignore[override]
        """The current state as a line of text ("ansi") or a picture ("rgb_array")."""
        if self._steps < 0:
            raise RuntimeError("call reset() before render()")
        return render_frame(self.render_mode, self._render_text, self._render_picture)

    def _render_text(self) -> str:
        current = math.sqrt(self._power / self.resistance)
        return (
            f"t = {self._steps * self.time_step:.0f} s: T = {self._temperature:.2f} C "
            f"(sensor {self._reading:.2f} C), target {self._target:.2f} C, "
            f"current {current:.2f} A\n"
        )

    def _render_picture(self) -> np.ndarray:
        """Thermometer (red: true T, blue tick: reading, black: target), sample, heater."""
        image = np.full((64, 96, 3), 235, dtype=np.uint8)
        low, high = self._reading_bounds
        rows = {
            name: 60 - round(56 * min(max((value - low) / (high - low), 0.0), 1.0))
            for name, value in (
                ("true", self._temperature),
                ("reading", self._reading),
                ("target", self._target),
            )
        }
        image[4:60, 10:22] = (255, 255, 255)
        image[rows["true"] : 60, 10:22] = (210, 40, 40)
        image[max(rows["target"] - 1, 0) : rows["target"] + 1, 6:26] = (0, 0, 0)
        image[max(rows["reading"] - 1, 0) : rows["reading"] + 1, 22:28] = (40, 90, 230)
        heat = min(max((self._temperature - low) / (high - low), 0.0), 1.0)
        image[28:46, 48:80] = (round(60 + 190 * heat), 80, round(230 - 190 * heat))
        glow = round(255 * self._power / self.max_power)
        image[48:58, 40:88] = (max(glow, 60), 60, 40)
        return image


def _checked_range(target_range: Any, ambient: float, maximum: float) -> tuple[float, float]:
    values = real_array("target_range", target_range)
    if values.shape != (2,):
        raise ValueError(f"target_range must be a pair (low, high), got {target_range!r}")
    low, high = float(values[0]), float(values[1])
    if not ambient < low <= high < maximum:
        raise ValueError(
            f"target_range must satisfy ambient_temperature ({ambient:g}) < low <= high < T_max "
            f"({maximum:g}, the steady state ambient_temperature + max_current^2 resistance "
            f"thermal_resistance), got {target_range!r}"
        )
    return low, high
