"""Variational autoencoder on the 8 x 8 digits: reconstructions, latent map, samples.

Seed 000, §5.4: an autoencoder (eq. 5.16) and a VAE (eq. 5.17 with the reparametrization
z = μ + σ ε and a reconstruction weight, see ERRATA) with a 2-D latent space are trained on
the digits (pixels scaled to [0, 1]) with :func:`labcoat.models.training.fit`. The exercise
compares test reconstruction errors with the mean image, maps the test digits into the latent
plane coloured by their label, decodes samples z ~ N(0, 1) and interpolates between two
digits in latent space (§6.1).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from matplotlib import colormaps
from matplotlib.figure import Figure

from labcoat.classic.datasets import load_digits
from labcoat.exercises._framework import (
    Exercise,
    Result,
    Table,
    check_float,
    check_int,
    check_ints,
    track,
)
from labcoat.models.autoencoder import VAE, Autoencoder, autoencoder_objective, vae_objective
from labcoat.models.interpret import interpolate_latent
from labcoat.models.training import fit


@dataclass(frozen=True)
class Config:
    """Settings of the VAE exercise."""

    n_latent: int = 2
    """Latent dimension (1..16; the latent map shows the first two)."""
    hidden: int = 128
    """Width of the encoder's and decoder's hidden layer (≥ 1)."""
    reconstruction_weight: float = 50.0
    """w of the VAE loss w/2 ||x - x_out||² + KL (> 0; w = 1 is eq. 5.17 as printed)."""
    epochs: int = 60
    """Training epochs of each model (≥ 1)."""
    batch_size: int = 64
    """Batch size (≥ 1)."""
    learning_rate: float = 2e-3
    """Adam step size (> 0)."""
    test_fraction: float = 0.25
    """Share of the digits held out for the test errors (0.05..0.5)."""
    seed: int = 0
    """Seed of the split, the weights and the noise."""

    def __post_init__(self) -> None:
        check_ints(self, {"seed": 0, "hidden": 1, "epochs": 1, "batch_size": 1})
        check_int("n_latent", self.n_latent, 1, 16)
        for name in ("reconstruction_weight", "learning_rate"):
            check_float(name, getattr(self, name), 0.0, low_open=True)
        check_float("test_fraction", self.test_fraction, 0.05, 0.5)


def _images(fig: Figure, rows: list[tuple[str, np.ndarray]]) -> None:
    """One axes per row showing its 8 x 8 images side by side (grey gaps between them)."""
    axes = fig.subplots(len(rows), 1, squeeze=False)[:, 0]
    cmap = colormaps["gray_r"].with_extremes(bad="#dcdcdc")
    for ax, (label, images) in zip(axes, rows, strict=True):
        tiles = np.pad(images.reshape(-1, 8, 8), ((0, 0), (0, 0), (0, 1)), constant_values=np.nan)
        ax.imshow(np.concatenate(tiles, axis=1)[:, :-1], cmap=cmap, vmin=0, vmax=1)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_ylabel(label, rotation=0, ha="right", va="center")


def _figures(
    x_test: torch.Tensor, y_test: np.ndarray, ae: Autoencoder, vae: VAE, config: Config
) -> dict[str, Figure]:
    shown = x_test[:10]
    with torch.no_grad():
        rows = [
            ("data", shown.numpy()),
            ("AE", ae(shown).numpy()),
            ("VAE", vae.reconstruct(shown).numpy()),
        ]
    recon = Figure(figsize=(10, 3.4), layout="constrained")
    _images(recon, rows)
    recon.suptitle(
        f"Test digits and their reconstructions ({config.epochs} epochs each, seed {config.seed})"
    )

    latent = Figure(figsize=(6.5, 5.5), layout="constrained")
    ax = latent.subplots()
    with torch.no_grad():
        mu = vae.encode(x_test)[0].numpy()
    second = mu[:, 1] if mu.shape[1] > 1 else np.zeros(len(mu))
    points = ax.scatter(mu[:, 0], second, c=y_test, cmap="tab10", s=8)
    latent.colorbar(points, ax=ax, label="digit")
    ax.set(title="VAE latent means μ(x) of the test digits", xlabel="z_1", ylabel="z_2")

    generated = Figure(figsize=(10, 3.4), layout="constrained")
    a, b = x_test[0], x_test[int(np.argmax(y_test != y_test[0]))]
    path = interpolate_latent(vae.encode, vae.decode, a, b, steps=10).numpy()
    _images(
        generated,
        [("z ~ N(0,1)", vae.sample(10, seed=config.seed).numpy()), ("interpolation", path)],
    )
    generated.suptitle("VAE samples from the prior and a latent interpolation")
    return {"reconstructions": recon, "latent": latent, "samples": generated}


def run(config: Config) -> Result:
    """Train an autoencoder and a VAE; compare reconstructions, map the latent space."""
    x, y = load_digits()
    order = np.random.default_rng(config.seed).permutation(len(x))
    n_test = int(round(config.test_fraction * len(x)))
    x_all = torch.tensor(x[order] / 16.0, dtype=torch.float32)
    x_train, x_test, y_test = x_all[n_test:], x_all[:n_test], y[order][:n_test]
    common = {
        "epochs": config.epochs,
        "batch_size": config.batch_size,
        "learning_rate": config.learning_rate,
        "seed": config.seed,
        "progress_bar": False,
    }
    ae = Autoencoder(64, config.n_latent, hidden=(config.hidden,), seed=config.seed)
    vae = VAE(64, config.n_latent, hidden=(config.hidden,), seed=config.seed)
    losses = {
        "autoencoder": autoencoder_objective(),
        "vae": vae_objective(config.reconstruction_weight),
    }
    models = {"autoencoder": ae, "vae": vae}
    history = {
        name: fit(model, x_train, loss=losses[name], validation_data=x_test, **common)
        for name, model in track(models.items(), "training", total=2)
    }
    ae_history, vae_history = history["autoencoder"], history["vae"]
    with torch.no_grad():
        mse = {
            "mean_image": float(((x_test - x_train.mean(0)) ** 2).mean()),
            "autoencoder": float(((ae(x_test) - x_test) ** 2).mean()),
            "vae": float(((vae.reconstruct(x_test) - x_test) ** 2).mean()),
        }
    table = Table(
        "Test reconstruction error (mean squared error per pixel)",
        ["model", "MSE"],
        [[k, v] for k, v in mse.items()],
    )
    epochs = np.arange(1, config.epochs + 1)
    return Result(
        tables={"reconstruction": table},
        figures=_figures(x_test, y_test, ae, vae, config),
        data={
            "training": {
                "epoch": epochs,
                "autoencoder_train": np.asarray(ae_history.train_loss),
                "autoencoder_test": np.asarray(ae_history.val_loss),
                "vae_train": np.asarray(vae_history.train_loss),
                "vae_test": np.asarray(vae_history.val_loss),
            }
        },
        metrics={f"test_mse_{k}": v for k, v in mse.items()},
    )


EXERCISE = Exercise(
    name="vae",
    summary="Variational autoencoder on digits: reconstructions, latent space, samples",
    config=Config,
    run=run,
    quick={"epochs": 15, "hidden": 64},
    groups={
        "model": ("n_latent", "hidden", "reconstruction_weight"),
        "training": ("epochs", "batch_size", "learning_rate"),
    },
)
