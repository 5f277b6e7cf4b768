# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 5. A generative model: a variational autoencoder and its latent space
#
# A VAE (notes §5.4, eq. 5.17) encodes an image $x$ into a Gaussian $q(z \mid x) =
# N(\mu(x), \sigma(x)^2)$ over a latent $z$, samples $z = \mu + \sigma \varepsilon$ (the
# reparametrization) and decodes it. Its loss weighs the reconstruction error against the KL
# divergence of $q(z \mid x)$ from the prior $N(0, I)$. With a 2-D latent space we can look at
# it: the 8 x 8 digits, pixels in [0, 1].

# %%
import os

import matplotlib.pyplot as plt
import torch

from labcoat.models import VAE, digits_data, fit, vae_objective

QUICK = os.environ.get("LABCOAT_QUICK") == "1"
EPOCHS = 15 if QUICK else 60

data = digits_data(layout="flat", seed=0)  # stratified split; pixels scaled to [0, 1]
vae = VAE(64, 2, hidden=(128,), seed=0)
history = fit(
    vae,
    data.x_train,
    loss=vae_objective(50.0),  # reconstruction weight w = 50 (see ERRATA)
    validation_data=data.x_test,
    epochs=EPOCHS,
    batch_size=64,
    learning_rate=2e-3,
    seed=0,
)
first, last = history.val_loss[0], history.val_loss[-1]
print(f"test loss: {first:.1f} after one epoch, {last:.1f} after {EPOCHS}")
assert last < 0.8 * first

# %% [markdown]
# ## Reconstructions
# A two-number summary of each digit cannot be perfect, but it must beat the best constant
# guess, the mean image.

# %%
with torch.no_grad():
    reconstructed = vae.reconstruct(data.x_test)
mse = float(((reconstructed - data.x_test) ** 2).mean())
baseline = float(((data.x_train.mean(0) - data.x_test) ** 2).mean())
print(f"test MSE per pixel: VAE {mse:.4f}, mean image {baseline:.4f}")
assert mse < 0.75 * baseline

# %% [markdown]
# ## The latent space
# Each test digit's latent mean $\mu(x)$, coloured by its label. Nobody told the VAE the
# labels, yet digits of one kind gather: a nearest-neighbour vote in the latent plane names
# most test digits correctly (chance is 10%). The KL term keeps the cloud on the prior's
# scale: a spread of about one in each direction.

# %%
with torch.no_grad():
    mu_train, _ = vae.encode(data.x_train)
    mu_test, _ = vae.encode(data.x_test)
distances = torch.cdist(mu_test, mu_train)
nearest = distances.topk(5, largest=False).indices  # 5 nearest training digits
votes = data.y_train[nearest].mode(dim=1).values
accuracy = float((votes == data.y_test).float().mean())
print(f"5-nearest-neighbour accuracy in the 2-D latent space: {accuracy:.0%}")
print("spread (standard deviation) of the latent means:", mu_test.std(0).numpy())
assert accuracy > 0.5
assert all(0.3 < float(spread) < 3.0 for spread in mu_test.std(0))

figure, (left, right) = plt.subplots(1, 2, figsize=(11, 4.5))
points = left.scatter(*mu_test.T.numpy(), c=data.y_test.numpy(), cmap="tab10", s=8)
figure.colorbar(points, ax=left, label="digit")
left.set(xlabel="$z_1$", ylabel="$z_2$", title="latent means of the test digits")

# %% [markdown]
# ## Generating: decode a grid of latent points
# Decoding the plane on a grid shows what each region means; samples $z \sim N(0, I)$ decode to
# digit-like images.

# %%
grid = torch.linspace(-2.0, 2.0, 8)
z = torch.cartesian_prod(grid, grid)  # 64 points (z_1, z_2)
with torch.no_grad():
    images = vae.decode(z).reshape(8, 8, 8, 8)
assert float(images.min()) >= 0.0 and float(images.max()) <= 1.0
mosaic = images.permute(0, 2, 1, 3).reshape(64, 64).numpy()
right.imshow(mosaic, cmap="gray_r", extent=(-2, 2, -2, 2))
right.set(title="decoded latent grid", xlabel="$z_1$", ylabel="$z_2$")
figure.suptitle(f"VAE on the digits, {EPOCHS} epochs" + (" (quick)" * QUICK))
plt.close(figure)  # in a notebook, drop this line to see the figure
