"""Every trainer and sampler keeps its tensors on the device it is given (issue 16, item 6).

CI has only a CPU, where a tensor created without ``device=`` lands on the CPU too, so a
check of result devices could not tell a GPU run that silently falls back. Instead a
``TorchFunctionMode`` watches every tensor factory (``randn``, ``randperm``, ``zeros``, ...)
called from labcoat's own code and records those made without an explicit ``device=``: on
a GPU they would be the CPU tensors of a silent fallback. It also records every tensor a
labcoat function creates and checks its device, and every generator handed to a draw.
"""

from __future__ import annotations

import functools
import sys
from pathlib import Path

import pytest
import torch
from torch import nn
from torch.overrides import TorchFunctionMode

import labcoat.models
from labcoat.models import (
    CNN,
    DDPM,
    GAN,
    RBM,
    VAE,
    Autoencoder,
    SequenceGenerator,
    autoencoder_objective,
    ddpm_objective,
    evaluate,
    fit,
    next_token_loss,
    predict,
    train_gan,
    train_rbm,
    vae_objective,
)
from labcoat.models._random import check_device, generator_on, torch_generator
from labcoat.models.autoencoder import iwae_bound, iwae_objective
from labcoat.models.autoregressive import MADE, log_likelihood_objective
from labcoat.models.dcgan import ConvGAN
from labcoat.models.flow import RealNVP, dequantized_log_prob, dequantized_objective
from labcoat.models.transformer import CausalTransformer
from labcoat.models.unet import EpsilonUNet

LABCOAT = Path(labcoat.models.__file__).resolve().parent.parent
TORCH = Path(torch.__file__).resolve().parent
PACKAGES = {"envs", "agents", "models", "classic", "exercises"}
FACTORIES = {
    torch.randn,
    torch.rand,
    torch.randint,
    torch.randperm,
    torch.zeros,
    torch.ones,
    torch.full,
    torch.empty,
    torch.arange,
    torch.linspace,
    torch.eye,
    torch.tensor,
    torch.as_tensor,
}


@functools.cache
def _kind(filename: str) -> str:
    """ "torch", "torch-inside" (a DataLoader, an optimizer), "ours" or "other"."""
    path = Path(filename).resolve()
    if path.is_relative_to(TORCH):
        inside = path.is_relative_to(TORCH / "utils" / "data") or path.is_relative_to(
            TORCH / "optim"
        )
        return "torch-inside" if inside else "torch"
    ours = path.is_relative_to(LABCOAT) and path.relative_to(LABCOAT).parts[0] in PACKAGES
    return "ours" if ours else "other"


def _ours(frame) -> bool:
    return _kind(frame.f_code.co_filename) == "ours"


def _caller() -> str | None:
    """``file:line`` of the code calling torch, if it is labcoat's and not a constructor.

    Constructors build parameters on the CPU by design (a trainer then moves the model);
    calls made inside torch (a DataLoader's sampler, an optimizer) are torch's business.
    """
    frame = sys._getframe(2)
    while (kind := _kind(frame.f_code.co_filename)) == "torch":
        frame = frame.f_back  # type: ignore[assignment]
    if kind == "torch-inside":
        return None
    if not _ours(frame):
        return None
    where = f"{Path(frame.f_code.co_filename).name}:{frame.f_lineno}"
    while frame is not None:
        if _ours(frame) and frame.f_code.co_name == "__init__":
            return None
        frame = frame.f_back  # type: ignore[assignment]
    return where


class DeviceRecorder(TorchFunctionMode):
    """Record factories called by labcoat without ``device=``, and every result's device."""

    def __init__(self) -> None:
        super().__init__()
        self.undirected: list[str] = []
        self.devices: set[str] = set()
        self.generators: set[str] = set()

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        where = _caller()
        if where is not None:
            if func in FACTORIES and "device" not in kwargs:
                self.undirected.append(f"{func.__name__} at {where}")
            if isinstance(kwargs.get("generator"), torch.Generator):
                self.generators.add(str(kwargs["generator"].device))
        result = func(*args, **kwargs)
        if where is not None and isinstance(result, torch.Tensor):
            self.devices.add(str(result.device))
        return result


def _recorded(run) -> DeviceRecorder:
    recorder = DeviceRecorder()
    with recorder:
        run()
    return recorder


def _digits(n: int = 32, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    return torch.rand(n, 1, 8, 8, generator=g), torch.randint(10, (n,), generator=g)


def _fit_cnn() -> None:
    x, y = _digits()
    model = CNN((1, 8, 8), [4], 3, [8], 10, paddings=1, dropout=0.5, seed=0)
    fit(model, (x, y), loss=nn.functional.cross_entropy, epochs=2, batch_size=8, seed=0,
        validation_data=(x, y), device="cpu")  # fmt: skip
    predict(model, x)
    evaluate(model, (x, y), loss=nn.functional.cross_entropy)


def _fit_dataset() -> None:
    x, y = _digits()
    model = CNN((1, 8, 8), [4], 3, [8], 10, paddings=1, seed=0)
    data = torch.utils.data.TensorDataset(x, y)
    fit(model, data, loss=nn.functional.cross_entropy, epochs=1, batch_size=8, seed=0,
        device=torch.device("cpu"))  # fmt: skip


def _fit_autoencoders() -> None:
    x = _digits()[0].flatten(1)
    fit(Autoencoder(64, 2, (8,), seed=0), x, loss=autoencoder_objective(), epochs=1,
        batch_size=8, seed=0, device="cpu")  # fmt: skip
    vae = VAE(64, 2, (8,), seed=0)
    fit(vae, x, loss=vae_objective(), epochs=1, batch_size=8, seed=0, device="cpu")
    vae.sample(4, seed=0)


def _fit_ddpm() -> None:
    x = _digits()[0].flatten(1)
    model = DDPM(64, n_steps=5, hidden=(8,), seed=0)
    fit(model, x, loss=ddpm_objective(), epochs=1, batch_size=8, seed=0, device="cpu")
    model.sample(4, seed=0, keep_every=2)


def _conditional_image_models() -> None:
    x, y = _digits()
    network = EpsilonUNet(1, 8, 8, n_classes=10, seed=0)
    model = DDPM(64, n_steps=4, seed=0, network=network, data_shape=(1, 8, 8))
    fit(model, (x, y), loss=ddpm_objective(conditional=True), epochs=1, batch_size=8, seed=0,
        device="cpu")  # fmt: skip
    model.sample(3, seed=0, labels=y[:3])
    gan = ConvGAN(4, 10, 8, seed=0)
    train_gan(gan, x, labels=y, n_steps=2, batch_size=8, seed=0, device="cpu")
    gan.sample(y[:3], seed=0)


def _train_rbm() -> None:
    x = (_digits()[0].flatten(1)[:, :6] > 0.5).double()
    rbm = RBM(6, 3, seed=0)
    train_rbm(rbm, x, epochs=2, batch_size=8, learning_rate=0.1, persistent=True, seed=0,
              track_log_likelihood=True, device="cpu")  # fmt: skip
    rbm.sample(4, 2, seed=0)
    rbm.log_likelihood(x)


def _train_gan() -> None:
    x = _digits()[0].flatten(1)
    gan = GAN(64, 4, (8,), (8,), seed=0)
    train_gan(gan, x, n_steps=3, batch_size=8, seed=0, device="cpu")
    gan.sample(4, seed=0)


def _sequences() -> None:
    tokens = torch.randint(5, (16, 6), generator=torch.Generator().manual_seed(0))
    model = SequenceGenerator(5, 8, seed=0)
    fit(model, tokens, loss=next_token_loss, epochs=1, batch_size=8, seed=0, device="cpu")
    model.sample(tokens[:4, 0], 6, generator=torch_generator(0), stop_token=4)


def _bits(n: int = 16, d: int = 6) -> torch.Tensor:
    return (_digits(n)[0].flatten(1)[:, :d] > 0.5).float()


def _made() -> None:
    x = _bits()
    model = MADE(6, (8,), seed=0)
    fit(model, x, loss=log_likelihood_objective(), epochs=1, batch_size=8, seed=0, device="cpu")
    model.sample(4, generator=0)
    model.sample(4, generator=torch_generator(1), device="cpu")
    model.log_prob(x)


def _transformer() -> None:
    tokens = torch.randint(4, (16, 5), generator=torch.Generator().manual_seed(0))
    model = CausalTransformer(4, 5, d_model=8, n_heads=2, n_layers=1, end_token=0, seed=0)
    fit(model, tokens, loss=log_likelihood_objective(), epochs=1, batch_size=8, seed=0,
        device="cpu")  # fmt: skip
    model.sample(4, generator=0)
    model.sample(4, generator=torch_generator(1), device="cpu")
    model.log_prob(tokens)


def _flow() -> None:
    x = _bits()
    model = RealNVP(6, 2, (8,), seed=0)
    fit(model, x, loss=dequantized_objective(seed=1), epochs=1, batch_size=8, seed=0,
        device="cpu")  # fmt: skip
    model.sample(4, generator=0)
    model.sample(4, generator=torch_generator(1), device="cpu")
    model.log_prob(x + 0.5)
    dequantized_log_prob(model, x, 3, generator=2)


def _iwae() -> None:
    x = _bits()
    vae = VAE(6, 2, (8,), output="sigmoid", seed=0)
    fit(vae, x, loss=iwae_objective(3), epochs=1, batch_size=8, seed=0, device="cpu")
    iwae_bound(vae, x, 4)
    iwae_bound(vae, x, 4, generator=torch_generator(2))


RUNS = {
    "fit CNN with dropout, predict, evaluate": _fit_cnn,
    "fit on a Dataset": _fit_dataset,
    "autoencoder and VAE": _fit_autoencoders,
    "DDPM": _fit_ddpm,
    "conditional U-Net DDPM and convolutional GAN": _conditional_image_models,
    "RBM (PCD, exact log-likelihood)": _train_rbm,
    "GAN": _train_gan,
    "sequence generator": _sequences,
    "MADE": _made,
    "causal transformer": _transformer,
    "RealNVP and its dequantization bound": _flow,
    "VAE on the importance-weighted bound": _iwae,
}


@pytest.mark.parametrize("name", RUNS)
def test_trainers_create_every_tensor_on_the_requested_device(name):
    recorder = _recorded(RUNS[name])
    assert recorder.undirected == [], f"tensors created without device=: {recorder.undirected}"
    assert recorder.devices == {"cpu"}
    assert recorder.generators <= {"cpu"}


def test_the_recorder_catches_a_tensor_made_without_a_device(monkeypatch):
    # A sampler that forgets device= is caught (the check above can fail).
    def forgetful_noise(self, n_samples, generator):
        return torch.randn(n_samples, self.n_noise, generator=generator)

    monkeypatch.setattr(GAN, "noise", forgetful_noise)
    monkeypatch.setattr(GAN.noise, "__code__", forgetful_noise.__code__.replace(
        co_filename=str(LABCOAT / "models" / "gan.py")))  # fmt: skip
    recorder = _recorded(lambda: GAN(2, 2, (4,), (4,), seed=0).sample(3, seed=0))
    assert any(entry.startswith("randn at gan.py") for entry in recorder.undirected)


def test_the_recorder_catches_a_causal_mask_made_without_a_device(monkeypatch):
    # The transformer's attention building its mask on the CPU is caught as well.
    def forgetful_mask(length, device=None):
        return torch.ones(length, length, dtype=torch.bool).tril()

    forgetful_mask.__code__ = forgetful_mask.__code__.replace(
        co_filename=str(LABCOAT / "models" / "transformer.py")
    )
    monkeypatch.setattr("labcoat.models.transformer.causal_mask", forgetful_mask)
    model = CausalTransformer(3, 4, d_model=4, n_heads=1, n_layers=1, seed=0)
    recorder = _recorded(lambda: model.sample(2, generator=0))
    assert any(entry.startswith("ones at transformer.py") for entry in recorder.undirected)


def test_new_samplers_check_device_and_seed_before_any_work():
    model = MADE(3, (4,), seed=0)
    with pytest.raises(ValueError, match="device must be"):
        model.sample(2, generator=0, device="gpu")
    with pytest.raises(ValueError, match="generator must be"):
        RealNVP(2, 1, (4,), seed=0).sample(2, generator=-1)


def test_device_is_checked_before_any_work():
    x = torch.zeros(4, 3)
    model = nn.Linear(3, 1)
    with pytest.raises(ValueError, match="device must be 'cpu'"):
        fit(model, (x, x[:, :1]), loss=nn.functional.mse_loss, epochs=1, batch_size=2, seed=0,
            device="gpu")  # fmt: skip
    with pytest.raises(TypeError, match="device must be"):
        train_gan(GAN(3, 2, seed=0), x, n_steps=1, batch_size=2, seed=0, device=0)
    with pytest.raises(ValueError, match="device must be"):
        train_rbm(RBM(3, 2), x, epochs=1, batch_size=2, learning_rate=0.1, seed=0,
                  device="meta")  # fmt: skip
    assert check_device("cpu") == torch.device("cpu")
    assert check_device(torch.device("cpu")) == torch.device("cpu")


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a GPU")
def test_an_unavailable_gpu_is_refused_by_name():
    with pytest.raises(ValueError, match="'cuda' is not available on this machine"):
        check_device("cuda")
    with pytest.raises(ValueError, match="'cuda:3' is not available"):
        fit(nn.Linear(1, 1), (torch.zeros(2, 1),) * 2, loss=nn.functional.mse_loss,
            epochs=1, batch_size=1, seed=0, device="cuda:3")  # fmt: skip


def test_device_cpu_changes_no_number():
    # device="cpu" is the default: the same seed gives the same weights either way.
    x = _digits()[0].flatten(1)
    runs = []
    for device in (None, "cpu"):
        model = VAE(64, 2, (8,), seed=0)
        extra = {} if device is None else {"device": device}
        fit(model, x, loss=vae_objective(), epochs=2, batch_size=8, seed=0, **extra)
        runs.append(torch.cat([p.detach().flatten() for p in model.parameters()]))
    assert torch.equal(runs[0], runs[1])


def test_generator_on_keeps_a_generator_already_there():
    generator = torch_generator(5)
    torch.rand(2, generator=generator)
    assert generator_on(generator, torch.device("cpu")) is generator
    assert torch_generator(5, device=torch.device("cpu")).initial_seed() == 5


def test_conditional_ddpm_loss_is_ho_eq_14_by_hand():
    x, y = _digits(6)
    network = EpsilonUNet(1, 8, 8, n_classes=10, seed=3)
    model = DDPM(64, n_steps=7, seed=0, network=network, data_shape=(1, 8, 8))
    loss = model.loss(x, generator=torch_generator(4), labels=y)
    g = torch_generator(4)
    t = torch.randint(7, (6,), generator=g)
    noise = torch.randn(x.shape, generator=g)
    alpha_bar = torch.cumprod(1 - model.betas, 0)[t].float()[:, None, None, None]
    x_t = alpha_bar.sqrt() * x + (1 - alpha_bar).sqrt() * noise
    expected = ((noise - network(x_t, t, y)) ** 2).mean()
    assert loss.item() == pytest.approx(expected.item(), rel=1e-5)
    # the labels matter, and an unconditional network refuses them
    assert not torch.allclose(network(x_t, t, y), network(x_t, t, (y + 1) % 10))
    with pytest.raises(ValueError, match="needs labels"):
        network(x_t, t)


def test_train_gan_takes_labels_exactly_for_the_conditional_gan():
    x, y = _digits(8)
    with pytest.raises(ValueError, match="labels must be given for a class-conditional"):
        train_gan(ConvGAN(4, 10, 8, seed=0), x, n_steps=1, batch_size=4, seed=0)
    with pytest.raises(ValueError, match="labels must be given for a class-conditional"):
        train_gan(GAN(64, 4, seed=0), x.flatten(1), labels=y, n_steps=1, batch_size=4, seed=0)
    runs = []
    for _ in range(2):
        gan = ConvGAN(4, 10, 8, seed=0)
        history = train_gan(gan, x, labels=y, n_steps=3, batch_size=4, seed=1)
        runs.append((history.generator_loss, gan.sample(y, seed=2)))
    assert runs[0][0] == runs[1][0] and torch.equal(runs[0][1], runs[1][1])
    assert runs[0][1].shape == (8, 1, 8, 8) and float(runs[0][1].abs().max()) <= 1.0
