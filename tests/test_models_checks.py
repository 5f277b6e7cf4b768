"""labcoat.models checks its scalar arguments with the layer's one helper set
(labcoat.classic._checks): a TypeError for a wrong type (bool, str, float for an int), a
ValueError for a value out of range, NaN or ±inf, both naming the argument and its range;
numpy numbers are accepted wherever Python's are."""

import math

import gymnasium as gym
import numpy as np
import pytest
import torch

from labcoat.models.autoencoder import VAE, Autoencoder, vae_loss
from labcoat.models.cnn import CNN
from labcoat.models.datasets import digits_images, planted_motif_dna, train_test_split
from labcoat.models.diffusion import DDPM, beta_schedule, sinusoidal_embedding
from labcoat.models.gan import GAN
from labcoat.models.generative_data import (
    bars_and_stripes,
    ring_means,
    sample_gaussian_mixture,
)
from labcoat.models.interpret import dream, fgsm, interpolate_latent, iterated_targeted_attack
from labcoat.models.ising import sample_ising
from labcoat.models.metrics import confusion_matrix, precision
from labcoat.models.mlp import MLP, Dropout, weight_penalty
from labcoat.models.numpy_mlp import NumpyMLP
from labcoat.models.rbm import RBM, binary_states, train_rbm
from labcoat.models.rnn import RNNClassifier, SequenceGenerator
from labcoat.models.sb3 import CNNExtractor, MLPExtractor
from labcoat.models.training import EarlyStopping, evaluate

NAN, INF = math.nan, math.inf


def _classifier() -> MLP:
    return MLP((4, 3), seed=0)


def _x() -> torch.Tensor:
    return torch.full((2, 4), 0.5)


def _cnn(**kwargs) -> CNN:
    arguments = {
        "input_shape": (1, 8, 8),
        "conv_channels": (2,),
        "kernel_sizes": 3,
        "dense_sizes": (4,),
        "n_outputs": 2,
        **kwargs,
    }
    return CNN(**arguments)


def _ising(**kwargs):
    arguments = {"side": 4, "temperatures": [2.0], "n_chains": 1, "equilibration_sweeps": 1}
    return sample_ising(**{**arguments, **kwargs}, seed=0)


def _rbm(**kwargs):
    arguments = {"epochs": 1, "batch_size": 2, "learning_rate": 0.1, **kwargs}
    return train_rbm(RBM(4, 2), bars_and_stripes(2), seed=0, **arguments)


def _sequence(**kwargs):
    model = SequenceGenerator(3, 4, seed=0)
    arguments = {"length": 4, "generator": torch.Generator().manual_seed(0), **kwargs}
    return model.sample(torch.zeros(2, dtype=torch.int64), **arguments)


# (call, error, the message's start): every one of these answered differently before
# (a ValueError for a float count, nothing for NaN or inf, a bare comparison TypeError)
REFUSED = {
    "GAN float n_features": (lambda: GAN(2.5, 1), TypeError, "n_features must be an integer >= 1"),
    "Autoencoder float hidden": (
        lambda: Autoencoder(8, 2, hidden=(4.0,)),
        TypeError,
        r"hidden\[0\] must be an integer >= 1",
    ),
    "VAE bool n_latent": (lambda: VAE(8, True), TypeError, "n_latent must be an integer >= 1"),
    "vae_loss inf weight": (
        lambda: vae_loss(_x(), _x(), _x(), _x(), reconstruction_weight=INF),
        ValueError,
        r"reconstruction_weight must be a finite number > 0",
    ),
    "fgsm inf epsilon": (
        lambda: fgsm(_classifier(), _x(), torch.zeros(2, dtype=torch.int64), INF),
        ValueError,
        "epsilon must be a finite number >= 0",
    ),
    "fgsm str epsilon": (
        lambda: fgsm(_classifier(), _x(), torch.zeros(2, dtype=torch.int64), "0.1"),
        TypeError,
        "epsilon must be a finite number >= 0",
    ),
    "fgsm NaN value_range": (
        lambda: fgsm(_classifier(), _x(), torch.zeros(2, dtype=torch.int64), 0.1, (0.0, NAN)),
        ValueError,
        r"value_range\[1\] must be a finite number",
    ),
    "attack float steps": (
        lambda: iterated_targeted_attack(_classifier(), _x(), 1, 0.1, steps=2.0),
        TypeError,
        "steps must be an integer >= 1",
    ),
    "dream inf learning_rate": (
        lambda: dream(_classifier(), 1, _x(), steps=1, learning_rate=INF),
        ValueError,
        "learning_rate must be a finite number > 0",
    ),
    "interpolate float steps": (
        lambda: interpolate_latent(lambda x: x, lambda z: z, _x()[0], _x()[0], steps=3.0),
        TypeError,
        "steps must be an integer >= 2",
    ),
    "ising float side": (lambda: _ising(side=4.0), TypeError, "side must be an integer >= 2"),
    "ising NaN temperature": (
        lambda: _ising(temperatures=[NAN]),
        ValueError,
        "temperatures must be a non-empty 1-D list of T > 0",
    ),
    "ising float n_chains": (
        lambda: _ising(n_chains=1.0),
        TypeError,
        "n_chains must be an integer >= 1",
    ),
    "bars_and_stripes side 13": (
        lambda: bars_and_stripes(13),
        ValueError,
        r"side must be an integer in \[1, 12\]",
    ),
    "ring_means inf radius": (
        lambda: ring_means(3, INF),
        ValueError,
        "radius must be a finite number > 0",
    ),
    "mixture NaN std": (
        lambda: sample_gaussian_mixture(3, [0.0], NAN, seed=0),
        ValueError,
        "stds must be finite and > 0",
    ),
    "beta_schedule NaN offset": (
        lambda: beta_schedule(10, "cosine", NAN),
        ValueError,
        "cosine_offset must be a finite number >= 0",
    ),
    "DDPM float n_features": (lambda: DDPM(2.0), TypeError, "n_features must be an integer >= 1"),
    "DDPM negative keep_every": (
        lambda: DDPM(2, n_steps=3, hidden=(2,)).sample(2, seed=0, keep_every=-1),
        ValueError,
        "keep_every must be an integer >= 0",
    ),
    "embedding odd dim": (
        lambda: sinusoidal_embedding(torch.zeros(2), 3),
        ValueError,
        "dim must be an even integer >= 2",
    ),
    "RBM float n_hidden": (lambda: RBM(4, 4.5), TypeError, "n_hidden must be an integer >= 1"),
    "RBM NaN weight_scale": (
        lambda: RBM(4, 2, weight_scale=NAN),
        ValueError,
        "weight_scale must be a finite number >= 0",
    ),
    "train_rbm str persistent": (
        lambda: _rbm(persistent="yes"),
        TypeError,
        "persistent must be True or False",
    ),
    "train_rbm float gibbs_steps": (
        lambda: _rbm(gibbs_steps=1.5),
        TypeError,
        "gibbs_steps must be an integer >= 1",
    ),
    "MLP float size": (
        lambda: MLP((2, 2.0)),
        TypeError,
        r"layer_sizes\[1\] must be an integer >= 1",
    ),
    "MLP str dropout": (
        lambda: MLP((2, 2), dropout="0.1"),
        TypeError,
        r"dropout must be a finite number in \[0, 1\)",
    ),
    "Dropout p one": (lambda: Dropout(1.0), ValueError, r"p must be a finite number in \[0, 1\)"),
    "weight_penalty NaN l1": (
        lambda: weight_penalty(_classifier(), l1=NAN),
        ValueError,
        "l1 must be a finite number >= 0",
    ),
    "CNN float input_shape": (
        lambda: _cnn(input_shape=(1, 8.0, 8)),
        TypeError,
        r"input_shape\[1\] must be an integer >= 1",
    ),
    "CNN zero n_outputs": (lambda: _cnn(n_outputs=0), ValueError, "n_outputs must be an integer"),
    "CNN bool kernel": (lambda: _cnn(kernel_sizes=True), TypeError, "kernel_sizes must be"),
    "RNN float hidden_size": (
        lambda: RNNClassifier(2, 4.0, 2),
        TypeError,
        "hidden_size must be an integer >= 1",
    ),
    "RNN cell name": (lambda: RNNClassifier(2, 4, 2, cell="gpt"), ValueError, "cell must be one"),
    "sample inf temperature": (
        lambda: _sequence(temperature=INF),
        ValueError,
        "temperature must be a finite number > 0",
    ),
    "EarlyStopping str restore_best": (
        lambda: EarlyStopping(2, restore_best="no"),
        TypeError,
        "restore_best must be True or False",
    ),
    "EarlyStopping float patience": (
        lambda: EarlyStopping(2.0),
        TypeError,
        "patience must be an integer >= 1",
    ),
    "evaluate zero batch_size": (
        lambda: evaluate(_classifier(), (_x(), torch.zeros(2, dtype=torch.int64)),
                         loss=torch.nn.functional.cross_entropy, batch_size=0),
        ValueError,
        "batch_size must be an integer >= 1",
    ),
    "split float n_samples": (
        lambda: train_test_split(10.0, 0.5, 0),
        TypeError,
        "n_samples must be an integer >= 2",
    ),
    "split NaN test_fraction": (
        lambda: train_test_split(10, NAN, 0),
        ValueError,
        r"test_fraction must be a finite number in \(0, 1\)",
    ),
    "digits float image_size": (
        lambda: digits_images(8.0),
        TypeError,
        "image_size must be an integer >= 8",
    ),
    "motif NaN positive_fraction": (
        lambda: planted_motif_dna(4, positive_fraction=NAN),
        ValueError,
        r"positive_fraction must be a finite number in \[0, 1\]",
    ),
    "NumpyMLP float size": (
        lambda: NumpyMLP((2, 2.0)),
        TypeError,
        r"layer_sizes\[1\] must be an integer >= 1",
    ),
    "NumpyMLP.train float epochs": (
        lambda: NumpyMLP((2, 1)).train(np.zeros((4, 2)), np.zeros((4, 1)), epochs=2.0,
                                       batch_size=2, learning_rate=0.1, seed=0),
        TypeError,
        "epochs must be an integer >= 1",
    ),
    "NumpyMLP.step inf learning_rate": (
        lambda: NumpyMLP((2, 1)).step(np.zeros((4, 2)), np.zeros((4, 1)), INF),
        ValueError,
        "learning_rate must be a finite number > 0",
    ),
    "confusion_matrix float n_classes": (
        lambda: confusion_matrix([0, 1], [1, 0], n_classes=2.0),
        TypeError,
        "n_classes must be an integer >= 1",
    ),
    "precision average name": (
        lambda: precision([0, 1], [1, 0], average="micro"),
        ValueError,
        "average must be one of 'binary', 'macro', None",
    ),
    "binary_states float n_units": (
        lambda: binary_states(2.0),
        TypeError,
        r"n_units must be an integer in \[0, 24\]",
    ),
    "log_partition zero chunk_size": (
        lambda: RBM(4, 2).log_partition(chunk_size=0),
        ValueError,
        "chunk_size must be an integer >= 1",
    ),
    "MLPExtractor zero features_dim": (
        lambda: MLPExtractor(gym.spaces.Box(-1.0, 1.0, (3,)), features_dim=0),
        ValueError,
        "features_dim must be an integer >= 1",
    ),
    "CNNExtractor float features_dim": (
        lambda: CNNExtractor(gym.spaces.Box(0.0, 1.0, (1, 8, 8)), features_dim=8.0),
        TypeError,
        "features_dim must be an integer >= 1",
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", list(REFUSED))
def test_bad_scalars_get_the_uniform_error(case):
    call, error, message = REFUSED[case]
    with pytest.raises(error, match=f"^{message}"):
        call()


def test_numpy_numbers_are_accepted_wherever_python_numbers_are():
    i = np.int64
    assert GAN(i(1), i(2), (i(4),), (i(4),)).n_noise == 2
    assert Autoencoder(i(8), i(2), hidden=(i(4),)).encode(torch.zeros(1, 8)).shape == (1, 2)
    assert VAE(8, 2).sample(i(3), seed=i(0)).shape == (3, 8)
    labels = torch.zeros(2, dtype=torch.int64)
    assert fgsm(_classifier(), _x(), labels, np.float32(0.1)).shape == (2, 4)
    assert iterated_targeted_attack(_classifier(), _x(), 1, 0.1, steps=i(2)).shape == (2, 4)
    assert interpolate_latent(lambda x: x, lambda z: z, _x()[0], _x()[0], i(3)).shape == (3, 4)
    assert _ising(side=i(4), n_chains=i(2)).configurations.shape == (1, 2, 4, 4)
    assert len(beta_schedule(i(10))) == 10
    assert DDPM(i(2), n_steps=i(3), hidden=(2,)).sample(i(2), seed=0, keep_every=i(1)).shape == (
        4,
        2,
        2,
    )
    assert RBM(i(4), i(2)).sample(i(2), i(1), seed=0).shape == (2, 4)
    assert len(_rbm(epochs=i(2), batch_size=i(2), learning_rate=np.float64(0.1)).epochs) == 3
    assert MLP((i(2), i(3)), dropout=np.float32(0.25)).layer_sizes == (2, 3)
    assert _cnn(kernel_sizes=i(3), n_outputs=i(2))(torch.zeros(1, 1, 8, 8)).shape == (1, 2)
    assert RNNClassifier(i(2), i(4), i(2))(torch.zeros(1, 3, 2)).shape == (1, 2)
    assert _sequence(length=i(4), temperature=np.float32(0.5)).shape == (2, 4)
    assert EarlyStopping(i(2), min_delta=np.float32(0.0)).patience == 2
    assert [len(part) for part in train_test_split(i(10), np.float64(0.3), i(0))] == [7, 3]
    assert planted_motif_dna(i(4), length=i(8), positive_fraction=np.float32(0.5))[0].shape == (
        4,
        4,
        8,
    )
    assert confusion_matrix([0, 1], [1, 0], n_classes=i(3)).shape == (3, 3)
