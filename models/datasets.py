"""Offline data for the neural models: digits as the MNIST stand-in, and planted-motif DNA.

* Digits: the 1,797 8 x 8 handwritten digits shipped by :mod:`labcoat.classic.datasets`
  (UCI "Optical Recognition of Handwritten Digits", pixel values 0..16) scaled to [0, 1], and a
  28 x 28 version (bilinear upsampling) so the notes' MNIST networks (§4.4, §4.6.4) run on them
  unchanged.
* DNA: the notes' §4.6.3 example classifies 36-letter human DNA against random strings; offline
  we plant a known motif instead: random A/C/G/T sequences, of which the positives carry the
  motif at a random position. One-hot encoding in the notes' channel order A, G, C, T (their
  example: ACCT = [[1,0,0,0], [0,0,1,0], [0,0,1,0], [0,0,0,1]]), transposed to shape
  (4, length) per sequence for ``Conv1d``.

Nothing is downloaded; every random draw takes a ``seed``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import torch
from torch import Tensor

from labcoat.classic._checks import check_choice, check_float, check_int, check_probability
from labcoat.classic.datasets import load_digits
from labcoat.models._random import numpy_generator

__all__ = [
    "DNA_ALPHABET",
    "SplitData",
    "decode_dna",
    "digits_data",
    "digits_images",
    "one_hot_dna",
    "planted_motif_dna",
    "train_test_split",
]

DNA_ALPHABET = "AGCT"
"""The four bases in the order of the one-hot channels (the notes' order, §4.6.3)."""


@dataclass(frozen=True)
class SplitData:
    """Training and test tensors of one labelled dataset.

    Attributes:
        x_train: training inputs.
        y_train: training labels (int64).
        x_test: test inputs.
        y_test: test labels (int64).
    """

    x_train: Tensor
    y_train: Tensor
    x_test: Tensor
    y_test: Tensor

    @property
    def train(self) -> tuple[Tensor, Tensor]:
        """``(x_train, y_train)``, ready for :func:`labcoat.models.training.fit`."""
        return self.x_train, self.y_train

    @property
    def test(self) -> tuple[Tensor, Tensor]:
        """``(x_test, y_test)``."""
        return self.x_test, self.y_test


def train_test_split(
    n_samples: int, test_fraction: float, seed: int, labels: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Indices of a random split; stratified (per-class proportions kept) if ``labels`` given.

    Returns:
        ``(train_index, test_index)``, sorted int64 arrays partitioning ``range(n_samples)``.
    """
    test_fraction = check_float(
        "test_fraction", test_fraction, 0.0, 1.0, low_open=True, high_open=True
    )
    n_samples = check_int("n_samples", n_samples, 2)
    rng = numpy_generator(seed)
    groups = [np.arange(n_samples)] if labels is None else _groups(np.asarray(labels), n_samples)
    test = []
    for members in groups:
        shuffled = rng.permutation(members)
        test.append(shuffled[: int(round(test_fraction * len(members)))])
    test_index = np.sort(np.concatenate(test)).astype(np.int64)
    train_index = np.setdiff1d(np.arange(n_samples), test_index).astype(np.int64)
    return train_index, test_index


def _groups(labels: np.ndarray, n_samples: int) -> list[np.ndarray]:
    if labels.shape != (n_samples,):
        raise ValueError(f"labels must have shape ({n_samples},), got {labels.shape}")
    return [np.flatnonzero(labels == value) for value in np.unique(labels)]


def digits_images(image_size: int = 8) -> tuple[Tensor, Tensor]:
    """All 1,797 digits as float32 images in [0, 1] of shape (n, 1, size, size), and labels.

    Args:
        image_size: 8 (the original pixels / 16) or larger, e.g. 28 for the MNIST networks:
            bilinear upsampling (``torch.nn.functional.interpolate``, ``align_corners=False``)
            of the 8 x 8 images, clipped to [0, 1].

    Returns:
        ``(images, labels)``: float32 (1797, 1, size, size) and int64 (1797,).
    """
    image_size = check_int("image_size", image_size, 8)
    x, y = load_digits()
    images = torch.tensor(x / 16.0, dtype=torch.float32).reshape(-1, 1, 8, 8)
    if image_size != 8:
        images = torch.nn.functional.interpolate(
            images, size=(image_size, image_size), mode="bilinear", align_corners=False
        ).clamp_(0.0, 1.0)
    return images, torch.tensor(y, dtype=torch.int64)


def digits_data(
    image_size: int = 8,
    test_fraction: float = 0.25,
    seed: int = 0,
    layout: Literal["image", "flat"] = "image",
) -> SplitData:
    """Digits split into stratified training and test sets (the MNIST stand-in).

    Args:
        image_size: side of the images (see :func:`digits_images`).
        test_fraction: share of each class held out, in (0, 1).
        seed: seeds the split.
        layout: "image" for (n, 1, size, size) or "flat" for (n, size * size) inputs.
    """
    check_choice("layout", layout, ("image", "flat"))
    images, labels = digits_images(image_size)
    inputs = images.flatten(1) if layout == "flat" else images
    train, test = train_test_split(len(labels), test_fraction, seed, labels.numpy())
    train_t, test_t = torch.from_numpy(train), torch.from_numpy(test)
    return SplitData(inputs[train_t], labels[train_t], inputs[test_t], labels[test_t])


def one_hot_dna(sequences: list[str] | tuple[str, ...]) -> Tensor:
    """One-hot encode equal-length DNA strings: float32 (n, 4, length), channels A, G, C, T."""
    if not sequences:
        raise ValueError("sequences must hold at least one string")
    length = len(sequences[0])
    codes = np.full((len(sequences), length), -1, dtype=np.int64)
    for row, text in enumerate(sequences):
        if len(text) != length:
            raise ValueError(f"sequences must have equal length {length}, got {len(text)}")
        for column, letter in enumerate(text.upper()):
            if letter not in DNA_ALPHABET:
                raise ValueError(f"sequences may hold only A, C, G, T, got {letter!r}")
            codes[row, column] = DNA_ALPHABET.index(letter)
    return _one_hot(codes)


def _one_hot(codes: np.ndarray) -> Tensor:
    one_hot = torch.nn.functional.one_hot(torch.from_numpy(codes), num_classes=4)
    return one_hot.permute(0, 2, 1).to(torch.float32)  # (n, 4, length)


def decode_dna(one_hot: Tensor) -> list[str]:
    """Inverse of :func:`one_hot_dna`: (n, 4, length) -> strings (argmax over channels)."""
    if one_hot.dim() != 3 or one_hot.shape[1] != 4:
        raise ValueError(f"one_hot must have shape (n, 4, length), got {tuple(one_hot.shape)}")
    letters = np.array(list(DNA_ALPHABET))
    return ["".join(row) for row in letters[one_hot.argmax(dim=1).numpy()]]


def _contains(codes: np.ndarray, motif: np.ndarray) -> np.ndarray:
    """Whether each row of ``codes`` contains ``motif`` as a contiguous substring."""
    windows = np.lib.stride_tricks.sliding_window_view(codes, len(motif), axis=1)
    return (windows == motif).all(axis=2).any(axis=1)


def planted_motif_dna(
    n_samples: int,
    length: int = 36,
    motif: str = "TATAAT",
    positive_fraction: float = 0.5,
    seed: int = 0,
) -> tuple[Tensor, Tensor]:
    """Random DNA with a planted motif: the offline stand-in for the notes' §4.6.3 data.

    Every base is drawn uniformly from A, C, G, T. Positives (label 1) get ``motif`` written
    at a uniformly random position; negatives (label 0) are redrawn until they do not contain
    it, so the label is exactly "contains the motif".

    Args:
        n_samples: number of sequences (>= 1).
        length: sequence length (>= len(motif); the notes use 36).
        motif: the planted word over A, C, G, T (default the Pribnow box TATAAT).
        positive_fraction: share of positives, in [0, 1] (rounded to whole sequences).
        seed: seeds every draw.

    Returns:
        ``(x, y)``: float32 one-hot (n_samples, 4, length) and int64 labels (n_samples,), in a
        random order.
    """
    n_samples = check_int("n_samples", n_samples, 1)
    if (
        not isinstance(motif, str)
        or not motif
        or any(letter not in DNA_ALPHABET for letter in motif)
    ):
        raise ValueError(f"motif must be a non-empty word over A, C, G, T, got {motif!r}")
    length = check_int("length", length, len(motif))
    positive_fraction = check_probability("positive_fraction", positive_fraction)
    rng = numpy_generator(seed)
    word = np.array([DNA_ALPHABET.index(letter) for letter in motif])
    codes = rng.integers(0, 4, size=(n_samples, length))
    labels = np.zeros(n_samples, dtype=np.int64)
    labels[: int(round(positive_fraction * n_samples))] = 1
    labels = rng.permutation(labels)
    for row in np.flatnonzero(labels == 1):
        start = rng.integers(0, length - len(word) + 1)
        codes[row, start : start + len(word)] = word
    while (bad := np.flatnonzero((labels == 0) & _contains(codes, word))).size:
        codes[bad] = rng.integers(0, 4, size=(bad.size, length))
    return _one_hot(codes), torch.from_numpy(labels)
