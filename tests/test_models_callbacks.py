"""One callback protocol for every trainer: fit (and the VAE/DDPM objectives), RBM, GAN."""

import numpy as np
import pytest
import torch

from labcoat.models.autoencoder import VAE, vae_objective
from labcoat.models.gan import GAN, train_gan
from labcoat.models.mlp import MLP
from labcoat.models.rbm import RBM, train_rbm
from labcoat.models.training import CallbackList, fit


class Recorder:
    """Records every hook call; stops after ``stop_after`` epochs (None: never)."""

    def __init__(self, stop_after=None):
        self.calls, self.stop_after = [], stop_after

    def on_train_begin(self, model, history):
        self.calls.append(("begin", None, type(model).__name__))

    def on_epoch_end(self, epoch, model, history):
        self.calls.append(("epoch", epoch, type(model).__name__))
        return self.stop_after is None or epoch + 1 < self.stop_after

    def on_train_end(self, model, history):
        self.calls.append(("end", None, type(model).__name__))


def _train(kind, callbacks, n=4):
    """Run one trainer for n epochs (iterations for the GAN); return (model, history)."""
    rng = np.random.default_rng(0)
    if kind == "fit":
        model = MLP((3, 4, 1), seed=0)
        x = torch.as_tensor(rng.normal(size=(32, 3)), dtype=torch.float32)
        y = x.sum(dim=1, keepdim=True)
        history = fit(
            model,
            (x, y),
            loss=torch.nn.functional.mse_loss,
            epochs=n,
            batch_size=8,
            seed=0,
            callbacks=callbacks,
        )
    elif kind == "vae":
        model = VAE(4, 2, hidden=(8,), seed=0)
        x = torch.as_tensor(rng.random((32, 4)), dtype=torch.float32)
        history = fit(
            model, x, loss=vae_objective(), epochs=n, batch_size=8, seed=0, callbacks=callbacks
        )
    elif kind == "rbm":
        model = RBM(4, 3, seed=0)
        data = (rng.random((16, 4)) < 0.5).astype(float)
        history = train_rbm(
            model, data, epochs=n, batch_size=4, learning_rate=0.1, seed=0, callbacks=callbacks
        )
    else:
        model = GAN(1, 2, generator_hidden=(4,), discriminator_hidden=(4,), seed=0)
        data = rng.normal(size=(32, 1))
        history = train_gan(model, data, n_steps=n, batch_size=8, seed=0, callbacks=callbacks)
    return model, history


TRAINERS = ["fit", "vae", "rbm", "gan"]


@pytest.mark.parametrize("kind", TRAINERS)
def test_every_trainer_calls_the_same_hooks_in_order(kind):
    recorder = Recorder()
    model, _ = _train(kind, recorder, n=3)
    name = type(model).__name__
    assert recorder.calls == [
        ("begin", None, name),
        ("epoch", 0, name),
        ("epoch", 1, name),
        ("epoch", 2, name),
        ("end", None, name),
    ]


@pytest.mark.parametrize("kind", TRAINERS)
def test_on_epoch_end_returning_false_stops_every_trainer(kind):
    recorder = Recorder(stop_after=2)
    _, history = _train(kind, recorder, n=6)
    assert [c[1] for c in recorder.calls if c[0] == "epoch"] == [0, 1]
    assert recorder.calls[-1][0] == "end"
    if kind == "rbm":
        assert history.epochs == [0, 1, 2]  # entry 0 is before training
    elif kind == "gan":
        assert len(history.generator_loss) == 2
    else:
        assert history.epochs_run == 2 and history.stopped_early


@pytest.mark.parametrize("kind", TRAINERS)
def test_a_plain_function_and_a_list_serve_as_callbacks(kind):
    seen = []
    recorder = Recorder()
    _train(kind, [lambda epoch, model, history: seen.append(epoch), recorder], n=2)
    assert seen == [0, 1]
    assert [c[0] for c in recorder.calls] == ["begin", "epoch", "epoch", "end"]


def test_same_result_with_and_without_a_callback():
    """Callbacks observe: the trained parameters do not depend on them."""
    for kind in TRAINERS:
        a, _ = _train(kind, None)
        b, _ = _train(kind, Recorder())
        for p, q in zip(a.parameters(), b.parameters(), strict=True):
            torch.testing.assert_close(p, q, rtol=0, atol=0)


def test_callbacks_of_the_wrong_kind_are_refused_before_training():
    with pytest.raises(TypeError, match="callbacks must be Callback objects"):
        CallbackList([3])
    with pytest.raises(TypeError, match="callbacks must be Callback objects"):
        _train("gan", ["not a callback"])
