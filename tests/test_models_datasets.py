import numpy as np
import pytest
import torch

from labcoat.classic.datasets import load_digits
from labcoat.models.datasets import (
    decode_dna,
    digits_data,
    digits_images,
    one_hot_dna,
    planted_motif_dna,
    train_test_split,
)


def test_digits_images_scale_and_upsample():
    images, labels = digits_images()
    x, y = load_digits()
    assert images.shape == (1797, 1, 8, 8) and images.dtype == torch.float32
    np.testing.assert_allclose(images.reshape(1797, 64).numpy(), x / 16.0, rtol=1e-6)
    np.testing.assert_array_equal(labels.numpy(), y)
    big, _ = digits_images(28)
    assert big.shape == (1797, 1, 28, 28)
    assert 0.0 <= big.min() and big.max() <= 1.0
    # bilinear interpolation by hand (pixel centres, half-pixel offsets), axis by axis
    source = np.clip((np.arange(28) + 0.5) * 8 / 28 - 0.5, 0, None)
    lower = np.floor(source).astype(int)
    upper = np.minimum(lower + 1, 7)
    weight = source - lower
    matrix = np.zeros((28, 8))
    matrix[np.arange(28), lower] += 1 - weight
    matrix[np.arange(28), upper] += weight
    expected = matrix @ (x[:5].reshape(5, 8, 8) / 16.0) @ matrix.T
    np.testing.assert_allclose(big[:5, 0].numpy(), expected, atol=1e-5)


def test_digits_split_is_stratified_seeded_and_disjoint():
    a, b, c = digits_data(seed=0), digits_data(seed=0), digits_data(seed=1)
    assert torch.equal(a.x_train, b.x_train) and not torch.equal(a.y_test, c.y_test)
    assert len(a.y_train) + len(a.y_test) == 1797
    counts_test = np.bincount(a.y_test.numpy(), minlength=10)
    counts_all = np.bincount(load_digits()[1], minlength=10)
    np.testing.assert_allclose(counts_test, 0.25 * counts_all, atol=1)
    flat = digits_data(layout="flat", image_size=8, seed=0)
    assert flat.x_train.shape[1] == 64
    train, test = train_test_split(100, 0.3, seed=2)
    assert len(np.intersect1d(train, test)) == 0 and len(train) + len(test) == 100
    with pytest.raises(ValueError, match="test_fraction"):
        train_test_split(10, 1.5, seed=0)


def test_one_hot_follows_the_notes_example():
    # the notes' Example 2: [[1,0,0,0],[0,0,1,0],[0,0,1,0],[0,0,0,1]] = ACCT
    encoded = one_hot_dna(["ACCT"])
    expected = torch.tensor([[1, 0, 0, 0], [0, 0, 1, 0], [0, 0, 1, 0], [0, 0, 0, 1]]).T
    assert torch.equal(encoded[0], expected.float())
    assert decode_dna(one_hot_dna(["GATTACA", "CCCGGGT"])) == ["GATTACA", "CCCGGGT"]
    with pytest.raises(ValueError, match="A, C, G, T"):
        one_hot_dna(["ACXT"])


def test_planted_motif_labels_are_exact():
    x, y = planted_motif_dna(400, length=20, motif="TATAAT", positive_fraction=0.3, seed=3)
    assert x.shape == (400, 4, 20) and torch.equal(x.sum(1), torch.ones(400, 20))
    assert y.sum().item() == 120
    strings = decode_dna(x)
    assert all(("TATAAT" in s) == bool(label) for s, label in zip(strings, y, strict=True))
    x2, y2 = planted_motif_dna(400, length=20, motif="TATAAT", positive_fraction=0.3, seed=3)
    assert torch.equal(x, x2) and torch.equal(y, y2)
    # background bases are uniform
    frequencies = x.mean(dim=(0, 2))
    np.testing.assert_allclose(frequencies.numpy(), 0.25, atol=0.05)
    with pytest.raises(ValueError, match="length"):
        planted_motif_dna(10, length=4, motif="TATAAT")
