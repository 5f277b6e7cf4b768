"""labcoat networks as Stable-Baselines3 feature extractors.

Pass one to any SB3 algorithm through ``policy_kwargs``::

    PPO("MlpPolicy", env, policy_kwargs={
        "features_extractor_class": MLPExtractor,
        "features_extractor_kwargs": {"features_dim": 64, "hidden_sizes": (64,)},
    })

The extractor maps an observation to a feature vector phi(s) (the shared trunk of the policy
and value networks); SB3's policy heads sit on top of it.
"""

from __future__ import annotations

from collections.abc import Sequence

import gymnasium as gym
import numpy as np
import torch
from stable_baselines3.common.torch_layers import BaseFeaturesExtractor
from torch import Tensor

from labcoat.classic._checks import check_int
from labcoat.models.cnn import CNN
from labcoat.models.mlp import MLP, ActivationName, activation_module
from labcoat.models.rnn import CellName, _recurrent
from labcoat.models.training import init_parameters

__all__ = ["CNNExtractor", "MLPExtractor", "RecurrentExtractor"]


def _box_shape(observation_space: gym.Space) -> tuple[int, ...]:
    if not isinstance(observation_space, gym.spaces.Box):
        raise TypeError(
            f"observation_space must be a gymnasium Box, got {type(observation_space).__name__}"
        )
    return tuple(int(n) for n in observation_space.shape)


class MLPExtractor(BaseFeaturesExtractor):
    """phi(s) = g(MLP(flatten(s))): labcoat's :class:`~labcoat.models.mlp.MLP` as SB3's trunk.

    Args:
        observation_space: a Box space (any shape; flattened).
        features_dim: size of phi(s) (the MLP's last layer, followed by the activation).
        hidden_sizes: hidden widths between the input and the features.
        activation: g for every layer ("tanh", "relu", "sigmoid").
        seed: seeds the initial weights.
    """

    def __init__(
        self,
        observation_space: gym.Space,
        features_dim: int = 64,
        hidden_sizes: Sequence[int] = (64,),
        activation: ActivationName = "tanh",
        seed: int = 0,
    ) -> None:
        n_inputs = int(np.prod(_box_shape(observation_space)))
        features_dim = check_int("features_dim", features_dim, 1)
        super().__init__(observation_space, features_dim)
        self.network = MLP((n_inputs, *hidden_sizes, features_dim), activation, seed=seed)
        self.activation = activation_module(activation)

    def forward(self, observations: Tensor) -> Tensor:
        """Features (batch, features_dim) of observations (batch, *shape)."""
        return self.activation(self.network(observations.flatten(1).float()))


class CNNExtractor(BaseFeaturesExtractor):
    """phi(s) = ReLU(CNN(s)): labcoat's :class:`~labcoat.models.cnn.CNN` as SB3's trunk.

    For Box observations shaped (channels, length) or (channels, height, width); SB3 scales
    uint8 image observations to [0, 1] before they arrive here.

    Args:
        observation_space: the Box space.
        features_dim: size of phi(s) (the CNN's output layer, followed by a ReLU).
        conv_channels: filters per convolutional layer.
        kernel_sizes: kernel side(s).
        pool_sizes: max-pooling width(s) (1: none).
        paddings: zero padding(s).
        seed: seeds the initial weights.
    """

    def __init__(
        self,
        observation_space: gym.Space,
        features_dim: int = 64,
        conv_channels: Sequence[int] = (16, 32),
        kernel_sizes: int | Sequence[int] = 3,
        pool_sizes: int | Sequence[int] = 1,
        paddings: int | Sequence[int] = 1,
        seed: int = 0,
    ) -> None:
        shape = _box_shape(observation_space)
        features_dim = check_int("features_dim", features_dim, 1)
        super().__init__(observation_space, features_dim)
        self.network = CNN(
            shape,
            conv_channels=conv_channels,
            kernel_sizes=kernel_sizes,
            dense_sizes=(),
            n_outputs=features_dim,
            pool_sizes=pool_sizes,
            paddings=paddings,
            seed=seed,
        )

    def forward(self, observations: Tensor) -> Tensor:
        """Features (batch, features_dim) of observations (batch, *shape)."""
        return torch.relu(self.network(observations.float()))


class RecurrentExtractor(BaseFeaturesExtractor):
    """phi(s) = h_N: a GRU/LSTM read over the rows of a (time, features) observation.

    For observations that hold a short history, one row per step (e.g.
    :class:`labcoat.envs.history.ExperimentHistory`): the recurrent layer reads rows 1..N in
    order and its last hidden state h_N is the feature vector (eq. 4.26 with gates). The
    memory lives in the observation, so any SB3 algorithm (PPO, SAC) can use it unchanged.

    Args:
        observation_space: a Box of shape (time, features).
        features_dim: hidden size m, the size of phi(s).
        cell: "gru", "lstm" or "rnn".
        seed: seeds the initial weights.
    """

    def __init__(
        self,
        observation_space: gym.Space,
        features_dim: int = 64,
        cell: CellName = "gru",
        seed: int = 0,
    ) -> None:
        shape = _box_shape(observation_space)
        if len(shape) != 2:
            raise ValueError(f"observation_space must have shape (time, features), got {shape}")
        features_dim = check_int("features_dim", features_dim, 1)
        super().__init__(observation_space, features_dim)
        self.recurrent = _recurrent(cell, shape[1], features_dim, 1)
        init_parameters(self, seed)

    def forward(self, observations: Tensor) -> Tensor:
        """Features (batch, features_dim) of observations (batch, time, features)."""
        hidden, _ = self.recurrent(observations.float())  # (batch, time, features_dim)
        return hidden[:, -1]
