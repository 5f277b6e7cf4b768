"""Every trainer of labcoat.models stops on a non-finite loss with a FloatingPointError naming
where it happened (NaN in the data, an exploding learning rate), and fit refuses targets that
would broadcast silently against the model's outputs."""

import re

import numpy as np
import pytest
import scipy.sparse
import torch
from torch import nn

from labcoat.models.autoencoder import VAE, Autoencoder, autoencoder_objective, vae_objective
from labcoat.models.diffusion import DDPM, ddpm_objective
from labcoat.models.gan import GAN, train_gan
from labcoat.models.generative_data import bars_and_stripes
from labcoat.models.numpy_mlp import NumpyMLP
from labcoat.models.rbm import RBM, train_rbm
from labcoat.models.training import fit, init_parameters


def _regression(n: int = 64) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    x = torch.randn(n, 3, generator=g)
    y = x @ torch.tensor([[1.0], [-2.0], [0.5]]) + 0.1
    return x, y


def _linear() -> nn.Module:
    return init_parameters(nn.Linear(3, 1), 0)


def _fit_with_sgd(model: nn.Module, data, loss, learning_rate: float) -> None:
    """Up to 50 epochs of plain SGD in batches of 8: diverges for a huge learning rate."""
    fit(model, data, loss=loss, optimizer=torch.optim.SGD, learning_rate=learning_rate,
        epochs=50, batch_size=8, seed=0)  # fmt: skip


def _parameters_finite(model: nn.Module) -> bool:
    return all(bool(torch.isfinite(p).all()) for p in model.parameters())


# ---------------------------------------------------------------- fit


def test_fit_stops_at_the_first_batch_whose_loss_is_nan_and_leaves_the_model_finite():
    x, y = _regression(64)
    y[40, 0] = float("nan")  # one bad target: the batch holding row 40 has a NaN loss
    model = _linear()
    with pytest.raises(FloatingPointError, match=r"loss is nan at epoch 1, batch \d+ "):
        fit(model, (x, y), loss=nn.functional.mse_loss, epochs=3, batch_size=8, seed=0)
    # the NaN loss never reached backward/step: the parameters are those before that batch
    assert _parameters_finite(model)


def test_fit_names_the_batch_of_the_nan_exactly():
    x, y = _regression(64)
    x[37, 1] = float("inf")
    # one batch per epoch: batch 1 of epoch 1
    with pytest.raises(FloatingPointError, match=r"at epoch 1, batch 1 "):
        fit(_linear(), (x, y), loss=nn.functional.mse_loss, epochs=2, batch_size=64, seed=0)
    # batches of 8: the batch is where fit's seeded permutation puts row 37
    order = torch.randperm(64, generator=torch.Generator().manual_seed(0))
    batch = int((order == 37).nonzero()) // 8 + 1
    with pytest.raises(FloatingPointError, match=rf"at epoch 1, batch {batch} "):
        fit(_linear(), (x, y), loss=nn.functional.mse_loss, epochs=2, batch_size=8, seed=0)


def test_fit_stops_when_an_exploding_learning_rate_overflows_the_loss():
    x, y = _regression(64)
    model = _linear()
    with pytest.raises(FloatingPointError, match=r"loss is (nan|inf) at epoch \d+, batch \d+ "):
        _fit_with_sgd(model, (x, y), nn.functional.mse_loss, learning_rate=1e6)


def test_fit_through_a_dataset_also_stops():
    x, y = _regression(32)
    x[5, 0] = float("nan")
    data = torch.utils.data.TensorDataset(x, y)
    with pytest.raises(FloatingPointError, match=r"epoch 1, batch \d+"):
        fit(_linear(), data, loss=nn.functional.mse_loss, epochs=1, batch_size=8, seed=0)


def _image_data() -> torch.Tensor:
    return torch.rand(64, 8, generator=torch.Generator().manual_seed(1))


@pytest.mark.parametrize(
    ("build", "objective"),
    [
        (lambda: Autoencoder(8, 2, hidden=(8,), seed=0), autoencoder_objective),
        (lambda: VAE(8, 2, hidden=(8,), seed=0), vae_objective),
        (lambda: DDPM(8, n_steps=5, hidden=(8,), seed=0), ddpm_objective),
    ],
    ids=["autoencoder", "vae", "ddpm"],
)
def test_generative_trainers_stop_on_nan_data_and_on_an_exploding_learning_rate(build, objective):
    data = _image_data()
    data[10, 3] = float("nan")
    with pytest.raises(FloatingPointError, match=r"at epoch 1, batch \d+ "):
        fit(build(), data, loss=objective(), epochs=2, batch_size=16, seed=0)
    with pytest.raises(FloatingPointError, match=r"at epoch \d+, batch \d+ "):
        _fit_with_sgd(build(), _image_data(), objective(), learning_rate=1e30)


def test_numpy_mlp_training_stops_on_nan_data_and_on_an_exploding_learning_rate():
    x, y = (t.numpy().astype(np.float64) for t in _regression(32))
    x[3, 0] = np.nan
    model = NumpyMLP((3, 4, 1), activation="tanh", seed=0)
    with pytest.raises(FloatingPointError, match=r"cost is nan at epoch 1, batch \d+ "):
        model.train(x, y, epochs=2, batch_size=8, learning_rate=0.1, seed=0)
    x[3, 0] = 0.0
    pattern = r"cost is (nan|inf) at epoch \d+, batch \d+ "
    with (
        np.errstate(over="ignore", invalid="ignore"),
        pytest.raises(FloatingPointError, match=pattern),
    ):
        NumpyMLP((3, 4, 1), seed=0).train(x, y, epochs=50, batch_size=8, learning_rate=1e200,
                                          seed=0)  # fmt: skip


# ---------------------------------------------------------------- RBM and GAN


def test_train_gan_stops_on_nan_data_naming_the_step():
    data = torch.randn(32, 1, generator=torch.Generator().manual_seed(0))
    data[:, 0] = float("nan")
    with pytest.raises(FloatingPointError, match=r"discriminator loss is nan at step 1 "):
        train_gan(GAN(1, 2, (4,), (4,), seed=0), data, n_steps=3, batch_size=8, seed=0)


def test_train_gan_stops_on_an_exploding_learning_rate():
    data = torch.randn(64, 1, generator=torch.Generator().manual_seed(0))
    with pytest.raises(FloatingPointError, match=r"loss is (nan|inf) at step \d+ "):
        train_gan(
            GAN(1, 2, (4,), (4,), seed=0),
            data,
            n_steps=50,
            batch_size=8,
            learning_rate=1e30,
            seed=0,
        )


def test_train_rbm_stops_when_an_exploding_learning_rate_overflows_the_parameters():
    data = bars_and_stripes(3)
    rbm = RBM(9, 4, seed=0)
    with pytest.raises(FloatingPointError, match=r"parameters .* at epoch \d+, batch \d+ "):
        train_rbm(rbm, data, epochs=20, batch_size=4, learning_rate=1e308, seed=0)


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), 2.0, -1.0])
def test_train_rbm_refuses_data_outside_zero_one_before_training(bad):
    data = np.array(bars_and_stripes(3))
    data[2, 4] = bad
    rbm = RBM(9, 4, seed=0)
    before = rbm.weight.clone()
    with pytest.raises(ValueError, match=r"data must hold values in \[0, 1\]"):
        train_rbm(rbm, data, epochs=1, batch_size=4, learning_rate=0.1, seed=0)
    assert torch.equal(rbm.weight, before)


# ---------------------------------------------------------------- fit's input checks


def _column() -> nn.Module:
    return init_parameters(nn.Linear(2, 1), 0)  # outputs (n, 1)


@pytest.mark.parametrize(
    ("network", "target_shape", "output_shape"),
    [
        (_column, (12,), "(4, 1)"),
        (lambda: nn.Sequential(_column(), nn.Flatten(0)), (12, 1), "(4,)"),
        (lambda: nn.Sequential(init_parameters(nn.Linear(2, 3), 0), nn.Unflatten(1, (1, 3))),
         (12, 3), "(4, 1, 3)"),
    ],
)  # fmt: skip
def test_fit_refuses_targets_that_would_broadcast_against_the_outputs(
    network, target_shape, output_shape
):
    x = torch.randn(12, 2, generator=torch.Generator().manual_seed(0))
    model = network()
    before = [p.clone() for p in model.parameters()]
    target = str(tuple((4, *target_shape[1:])))
    expected = (
        rf"targets of shape {re.escape(target)} .* outputs of shape {re.escape(output_shape)}"
    )
    with pytest.raises(ValueError, match=expected):
        fit(model, (x, torch.zeros(target_shape)), loss=nn.functional.mse_loss, epochs=1,
            batch_size=4, seed=0)  # fmt: skip
    # refused on the first batch, before any optimizer step
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters(), strict=True))


def test_fit_accepts_class_indices_and_deliberate_expansion():
    x = torch.randn(12, 2, generator=torch.Generator().manual_seed(0))
    classes = torch.arange(12) % 3
    fit(init_parameters(nn.Linear(2, 3), 0), (x, classes), loss=nn.functional.cross_entropy,
        epochs=1, batch_size=4, seed=0)  # fmt: skip

    def spread(outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        return ((outputs - targets) ** 2).mean()  # (n, 2) against (n, 1): one target per row

    fit(init_parameters(nn.Linear(2, 2), 0), (x, torch.zeros(12, 1)), loss=spread,
        epochs=1, batch_size=4, seed=0)  # fmt: skip


@pytest.mark.parametrize(
    ("inputs", "match"),
    [
        (np.array([[1.0, None, 2.0]] * 4, dtype=object), "train_data .* object"),
        (np.ones((4, 3), dtype=complex), "train_data .* complex"),
        (torch.ones(4, 3, dtype=torch.complex64), "train_data .* complex"),
    ],
)
def test_fit_refuses_object_and_complex_data(inputs, match):
    with pytest.raises(TypeError, match=match):
        fit(_linear(), (inputs, torch.zeros(4, 1)), loss=nn.functional.mse_loss, epochs=1,
            batch_size=2, seed=0)  # fmt: skip


@pytest.mark.parametrize(
    "sparse",
    [
        lambda x: scipy.sparse.csr_matrix(x),
        lambda x: x.to_sparse(),
    ],
    ids=["scipy", "torch"],
)
def test_fit_refuses_sparse_data(sparse):
    x, y = _regression(8)
    for data in (sparse(x), (sparse(x), y)):
        with pytest.raises(TypeError, match="train_data: sparse input is not supported"):
            fit(_linear(), data, loss=nn.functional.mse_loss, epochs=1, batch_size=4, seed=0)


def test_fit_stops_on_a_nan_validation_loss_naming_the_epoch():
    x, y = _regression(16)
    x_val, y_val = _regression(8)
    y_val[2, 0] = float("nan")
    with pytest.raises(FloatingPointError, match="validation loss is nan at epoch 1 "):
        fit(_linear(), (x, y), loss=nn.functional.mse_loss, epochs=2, batch_size=4, seed=0,
            validation_data=(x_val, y_val))  # fmt: skip


def test_fit_accepts_numpy_integers_for_counts_and_seed():
    x, y = _regression(16)
    history = fit(
        _linear(),
        (x, y),
        loss=nn.functional.mse_loss,
        epochs=np.int64(2),
        batch_size=np.int32(8),
        learning_rate=np.float32(0.01),
        seed=np.uint8(3),
    )
    assert history.epochs_run == 2 and len(history.train_loss) == 2


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"epochs": 2.0}, TypeError, "epochs must be an integer >= 1"),
        ({"epochs": True}, TypeError, "epochs must be an integer >= 1"),
        ({"batch_size": "4"}, TypeError, "batch_size must be an integer >= 1"),
        ({"learning_rate": float("nan")}, ValueError, "learning_rate must be a finite number > 0"),
        ({"learning_rate": "0.1"}, TypeError, "learning_rate must be a finite number > 0"),
        ({"max_grad_norm": float("inf")}, ValueError, "max_grad_norm must be a finite number > 0"),
    ],
)
def test_fit_checks_its_scalars_with_the_uniform_rule(kwargs, error, match):
    x, y = _regression(8)
    arguments = {"epochs": 1, "batch_size": 4, "seed": 0, **kwargs}
    with pytest.raises(error, match=match):
        fit(_linear(), (x, y), loss=nn.functional.mse_loss, **arguments)


def test_rbm_parameters_stay_within_the_bound_that_skips_the_per_batch_check():
    """|ΔW|, |Δa|, |Δb| <= 1 entrywise, so |θ_t| <= max|θ_0| + η t: the bound train_rbm uses."""
    data = bars_and_stripes(3)
    for persistent, learning_rate in ((False, 50.0), (True, 7.0)):
        rbm = RBM(9, 4, seed=1)
        start = max(float(p.detach().abs().max()) for p in rbm.parameters())
        epochs, batch_size = 6, 4
        train_rbm(
            rbm,
            data,
            epochs=epochs,
            batch_size=batch_size,
            learning_rate=learning_rate,
            persistent=persistent,
            n_chains=3,
            seed=2,
        )
        steps = epochs * -(-len(data) // batch_size)
        largest = max(float(p.detach().abs().max()) for p in rbm.parameters())
        assert largest <= start + learning_rate * steps * (1 + 1e-12)
        assert largest > start + 1.0  # the parameters did move far: the bound is not vacuous
