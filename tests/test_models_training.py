import math

import numpy as np
import pytest
import torch
from torch import nn

from labcoat.models.training import (
    EarlyStopping,
    History,
    Objective,
    evaluate,
    fit,
    init_parameters,
    objective,
    predict,
)


def _regression(n: int = 200, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 3))
    w = np.array([1.5, -2.0, 0.5])
    y = x @ w + 0.3 + 0.01 * rng.normal(size=n)
    return torch.tensor(x, dtype=torch.float32), torch.tensor(y[:, None], dtype=torch.float32), w


def _linear(seed: int = 0) -> nn.Module:
    return init_parameters(nn.Linear(3, 1), seed)


def test_fit_recovers_least_squares_solution():
    x, y, _ = _regression()
    model = _linear()
    history = fit(
        model,
        (x, y),
        loss=nn.functional.mse_loss,
        learning_rate=0.05,
        epochs=60,
        batch_size=32,
        seed=1,
    )
    design = np.hstack([x.numpy(), np.ones((len(x), 1))])
    exact, *_ = np.linalg.lstsq(design, y.numpy()[:, 0], rcond=None)
    fitted = np.append(model.weight.detach().numpy()[0], model.bias.item())
    np.testing.assert_allclose(fitted, exact, atol=5e-3)
    assert history.epochs_run == 60 and len(history.train_loss) == 60
    assert history.train_loss[-1] < 1e-3 < history.train_loss[0]


def test_fit_is_deterministic_for_a_seed_and_differs_across_seeds():
    x, y, _ = _regression()

    def run(seed: int) -> tuple[list[float], torch.Tensor]:
        model = nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 1))
        init_parameters(model, 5)
        history = fit(
            model,
            (x, y),
            loss=nn.functional.mse_loss,
            epochs=3,
            batch_size=16,
            seed=seed,
            validation_data=(x[:50], y[:50]),
        )
        return history.train_loss + history.val_loss, model[0].weight.detach().clone()

    a, b, c = run(3), run(3), run(4)
    assert a[0] == b[0] and torch.equal(a[1], b[1])
    assert a[0] != c[0]


def test_init_parameters_matches_default_bounds_and_is_seeded():
    model = nn.Sequential(nn.Conv1d(4, 6, 5), nn.Linear(30, 10), nn.LSTM(10, 7), nn.BatchNorm1d(6))
    init_parameters(model, 0)
    again = init_parameters(
        nn.Sequential(nn.Conv1d(4, 6, 5), nn.Linear(30, 10), nn.LSTM(10, 7), nn.BatchNorm1d(6)),
        0,
    )
    for p, q in zip(model.parameters(), again.parameters(), strict=True):
        assert torch.equal(p, q)
    assert model[0].weight.abs().max() <= 1 / math.sqrt(4 * 5)
    assert model[0].weight.abs().max() > 0.9 / math.sqrt(4 * 5)
    assert model[1].bias.abs().max() <= 1 / math.sqrt(30)
    assert all(p.abs().max() <= 1 / math.sqrt(7) for p in model[2].parameters())
    assert torch.equal(model[3].weight, torch.ones(6))

    class Odd(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.w = nn.Parameter(torch.zeros(2))

    with pytest.raises(TypeError, match="Odd"):
        init_parameters(Odd(), 0)


def test_objective_form_and_single_tensor_data():
    x, _, _ = _regression()
    model = init_parameters(nn.Sequential(nn.Linear(3, 2), nn.Linear(2, 3)), 0)

    @objective
    def reconstruction(net: nn.Module, batch: torch.Tensor) -> torch.Tensor:
        return ((net(batch) - batch) ** 2).mean()

    assert isinstance(reconstruction, Objective)
    history = fit(
        model,
        x,
        loss=reconstruction,
        epochs=40,
        batch_size=50,
        seed=0,
        learning_rate=1e-2,
        validation_data=x,
    )
    # a rank-2 linear autoencoder reaches PCA's error: the smallest eigenvalue's share
    centred = x - x.mean(0)
    eigenvalues = torch.linalg.eigvalsh(centred.T @ centred / len(x))
    assert history.val_loss[-1] == pytest.approx(evaluate(model, x, loss=reconstruction))
    assert history.val_loss[-1] < 1.3 * eigenvalues[0].item() / 3
    with pytest.raises(ValueError, match="Objective"):
        fit(model, x, loss=nn.functional.mse_loss, epochs=1, batch_size=8, seed=0)


def test_early_stopping_stops_and_restores_best():
    x, y, _ = _regression(100)
    # validation targets unrelated to the inputs: the validation loss soon stops improving
    noise = torch.tensor(np.random.default_rng(1).normal(size=(100, 1)), dtype=torch.float32)
    model = init_parameters(nn.Sequential(nn.Linear(3, 64), nn.ReLU(), nn.Linear(64, 1)), 0)
    states: list[dict[str, torch.Tensor]] = []

    class Snapshot:
        def on_epoch_end(self, epoch, model, history):
            states.append({k: v.clone() for k, v in model.state_dict().items()})

    stopper = EarlyStopping(patience=3)
    history = fit(
        model,
        (x, y),
        loss=nn.functional.mse_loss,
        epochs=200,
        batch_size=10,
        seed=0,
        validation_data=(x, noise),
        callbacks=[Snapshot(), stopper],
        learning_rate=1e-2,
    )
    assert history.stopped_early and history.epochs_run < 200
    best = int(np.argmin(history.val_loss))
    assert history.best_epoch == best == history.epochs_run - 4
    for key, value in model.state_dict().items():
        assert torch.equal(value, states[best][key])
    assert evaluate(model, (x, noise), loss=nn.functional.mse_loss) == pytest.approx(
        history.val_loss[best], rel=1e-6
    )


def test_early_stopping_validates_arguments():
    with pytest.raises(ValueError, match="patience"):
        EarlyStopping(patience=0)
    with pytest.raises(ValueError, match="min_delta"):
        EarlyStopping(patience=2, min_delta=-1.0)
    with pytest.raises(ValueError, match="mode"):
        EarlyStopping(patience=2, mode="up")


def test_early_stopping_on_an_increasing_metric():
    history = History()
    stopper = EarlyStopping(patience=2, monitor="val_accuracy", mode="max", restore_best=False)
    model = _linear()
    stopper.on_train_begin(model, history)
    decisions = []
    for epoch, value in enumerate([0.5, 0.7, 0.6, 0.8, 0.8, 0.79]):
        history.metrics.setdefault("val_accuracy", []).append(value)
        decisions.append(stopper.on_epoch_end(epoch, model, history))
    assert decisions == [True, True, True, True, True, False]
    assert stopper.best_epoch == 3


def test_gradient_clipping_bounds_the_norm():
    x, y, _ = _regression()
    y = 1000 * y  # huge gradients
    norms: list[float] = []

    class Recording(torch.optim.SGD):
        def step(self, closure=None):
            grads = [p.grad for group in self.param_groups for p in group["params"]]
            norms.append(torch.linalg.vector_norm(torch.stack([g.norm() for g in grads])).item())
            return super().step(closure)

    for clip in (None, 0.5):
        norms.clear()
        model = _linear()
        fit(
            model,
            (x, y),
            loss=nn.functional.mse_loss,
            optimizer=Recording,
            learning_rate=1e-4,
            epochs=1,
            batch_size=20,
            seed=0,
            max_grad_norm=clip,
        )
        if clip is None:
            assert max(norms) > 100
        else:
            assert max(norms) <= 0.5 + 1e-5 and min(norms) > 0.49


def test_metrics_are_recorded_per_epoch():
    x, y, _ = _regression()
    sign = (y[:, 0] > 0).long()
    model = init_parameters(nn.Linear(3, 2), 0)

    def accuracy(targets, outputs):
        return (outputs.argmax(1) == targets).float().mean()

    history = fit(
        model,
        (x, sign),
        loss=nn.functional.cross_entropy,
        epochs=4,
        batch_size=32,
        seed=0,
        learning_rate=0.05,
        metrics={"accuracy": accuracy},
        validation_data=(x[:40], sign[:40]),
    )
    assert set(history.metrics) == {"train_accuracy", "val_accuracy"}
    assert len(history.metrics["val_accuracy"]) == 4
    predicted = predict(model, x).argmax(1)
    expected = (predicted == sign).float().mean().item()
    assert history.metrics["train_accuracy"][-1] == pytest.approx(expected)
    assert history.metrics["train_accuracy"][-1] > 0.9


def test_dataset_input_matches_tensor_semantics():
    x, y, _ = _regression(64)
    dataset = torch.utils.data.TensorDataset(x, y)
    model = _linear()
    history = fit(
        model,
        dataset,
        loss=nn.functional.mse_loss,
        epochs=30,
        batch_size=8,
        seed=0,
        learning_rate=0.05,
        validation_data=dataset,
    )
    assert isinstance(history, History)
    assert history.val_loss[-1] == pytest.approx(
        evaluate(model, (x, y), loss=nn.functional.mse_loss), rel=1e-5
    )
    assert history.val_loss[-1] < 1e-2


def test_numpy_arrays_are_cast_to_model_dtype():
    x, y, _ = _regression()
    model = _linear().double()
    history = fit(
        model,
        (x.numpy().astype(np.float32), y.numpy()),
        loss=nn.functional.mse_loss,
        epochs=2,
        batch_size=50,
        seed=0,
    )
    assert np.isfinite(history.train_loss).all()


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"epochs": 0}, "epochs"),
        ({"batch_size": 0}, "batch_size"),
        ({"learning_rate": 0.0}, "learning_rate"),
        ({"max_grad_norm": -1.0}, "max_grad_norm"),
    ],
)
def test_bad_arguments_raise(kwargs, match):
    x, y, _ = _regression(10)
    arguments = {"epochs": 1, "batch_size": 4, "seed": 0, **kwargs}
    with pytest.raises(ValueError, match=match):
        fit(_linear(), (x, y), loss=nn.functional.mse_loss, **arguments)


def test_bad_data_types_raise():
    with pytest.raises(TypeError, match="train_data"):
        fit(_linear(), "data", loss=nn.functional.mse_loss, epochs=1, batch_size=4, seed=0)
    with pytest.raises(ValueError, match="train_data"):
        fit(
            _linear(),
            (torch.zeros(3, 3), torch.zeros(4, 1)),
            loss=nn.functional.mse_loss,
            epochs=1,
            batch_size=4,
            seed=0,
        )


def _seeded_entry_points():
    from labcoat.models.autoencoder import VAE
    from labcoat.models.datasets import planted_motif_dna, train_test_split
    from labcoat.models.diffusion import DDPM
    from labcoat.models.gan import GAN, train_gan
    from labcoat.models.generative_data import sample_bars_and_stripes, sample_gaussian_mixture
    from labcoat.models.ising import sample_ising
    from labcoat.models.mlp import MLP, Dropout
    from labcoat.models.numpy_mlp import NumpyMLP
    from labcoat.models.rbm import RBM, train_rbm

    x = torch.zeros(4, 2)
    return {
        "fit": lambda s: fit(
            _linear(),
            (x[:, :1].repeat(1, 3), x[:, :1]),
            loss=nn.functional.mse_loss,
            epochs=1,
            batch_size=2,
            seed=s,
        ),
        "init_parameters": lambda s: init_parameters(nn.Linear(2, 2), s),
        "MLP": lambda s: MLP((2, 2), seed=s),
        "Dropout": lambda s: Dropout(0.5, seed=s),
        "VAE": lambda s: VAE(2, 1, hidden=(2,), seed=s),
        "VAE.sample": lambda s: VAE(2, 1, hidden=(2,)).sample(2, seed=s),
        "DDPM": lambda s: DDPM(2, n_steps=3, hidden=(2,), seed=s),
        "GAN.sample": lambda s: GAN(1, 1, (2,), (2,)).sample(2, seed=s),
        "train_gan": lambda s: train_gan(
            GAN(1, 1, (2,), (2,)), x[:, :1], n_steps=1, batch_size=2, seed=s
        ),
        "RBM": lambda s: RBM(2, 2, seed=s),
        "RBM.sample": lambda s: RBM(2, 2).sample(2, 1, seed=s),
        "train_rbm": lambda s: train_rbm(
            RBM(2, 2), x, epochs=1, batch_size=2, learning_rate=0.1, seed=s
        ),
        "NumpyMLP": lambda s: NumpyMLP((2, 2), seed=s),
        "train_test_split": lambda s: train_test_split(10, 0.5, s),
        "planted_motif_dna": lambda s: planted_motif_dna(4, seed=s),
        "sample_bars_and_stripes": lambda s: sample_bars_and_stripes(2, 3, seed=s),
        "sample_gaussian_mixture": lambda s: sample_gaussian_mixture(3, [0.0], 1.0, seed=s),
        "sample_ising": lambda s: sample_ising(
            4, [2.0], n_chains=1, equilibration_sweeps=1, seed=s
        ),
    }


@pytest.mark.parametrize("name", list(_seeded_entry_points()))
def test_every_seed_argument_is_checked_and_named(name):
    call = _seeded_entry_points()[name]
    call(3)  # a valid seed works
    with pytest.raises(ValueError, match="seed must be an integer >= 0"):
        call(-1)
    with pytest.raises(TypeError, match="seed must be an integer"):
        call(1.5)
