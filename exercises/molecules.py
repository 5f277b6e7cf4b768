"""Generating molecules as SMILES strings with the notes' sequence generator (seed 000, §5.3.1).

The notes train an RNN on SMILES strings, one-hot encoded with a stop character, with the
cross-entropy of eq. 5.15, and sample new strings token by token. Here the molecules are
drawn from labcoat's documented SMILES subset (:mod:`labcoat.models.smiles`: chains,
branches, ring closures, C/N/O/F/Cl, single and double bonds, valences) from a seed, the
generator is :class:`labcoat.models.rnn.AutoregressiveRNN` (an LSTM or a simple RNN, the
notes' model read as p(x) = Π_t p(x_t | x_<t)) or seed 002's causal transformer
(:class:`labcoat.models.transformer.CausalTransformer`, ended by the vocabulary's end token),
each trained by ``fit`` on -log p(x), and the sampled strings are scored as in MOSES
(Polykovskiy et al. 2020):

* validity: the share of samples that end (emit the stop token) and are valid by the
  grammar and its rules (balanced branches, matched ring closures, valences);
* uniqueness: distinct valid strings / valid strings;
* novelty: distinct valid strings not in the training set / distinct valid strings.

Strings are compared as written (no canonical form), so a known molecule written in another
order would count as novel. A bigram chain (each token drawn given the previous one, with the
training set's transition counts) is the baseline: it knows which tokens follow which, but
not whether brackets and ring digits close or valences hold. Any model with the interface
``factory(n_tokens, length, config) -> module`` with ``log_prob(x)`` and
``sample(n, generator=)`` can be added to :data:`MODELS`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from matplotlib.figure import Figure
from torch import nn

from labcoat.classic._checks import check_choice, check_float, check_int
from labcoat.exercises._framework import Exercise, Result, Table, check_ints
from labcoat.models._random import numpy_generator, torch_generator
from labcoat.models.rnn import AutoregressiveRNN, sequence_nll
from labcoat.models.smiles import SmilesVocabulary, is_valid_smiles, smiles_dataset, tokenize
from labcoat.models.training import fit
from labcoat.models.transformer import CausalTransformer

ModelFactory = Callable[[int, int, "Config"], nn.Module]


def _recurrent(cell: str) -> ModelFactory:
    def build(n_tokens: int, length: int, config: Config) -> nn.Module:
        return AutoregressiveRNN(
            n_tokens, length, config.hidden_size, cell, config.num_layers, seed=config.seed
        )

    return build


def _transformer(n_tokens: int, length: int, config: Config) -> nn.Module:
    return CausalTransformer(
        n_tokens,
        length,
        d_model=config.d_model,
        n_heads=config.n_heads,
        n_layers=config.n_layers,
        end_token=SmilesVocabulary.TOKENS.index(SmilesVocabulary.END),
        seed=config.seed,
    )


MODELS: dict[str, ModelFactory] = {
    "lstm": _recurrent("lstm"),
    "rnn": _recurrent("rnn"),
    "transformer": _transformer,
}
"""Autoregressive token models by name: ``factory(n_tokens, length, config)``."""


@dataclass(frozen=True)
class Config:
    """Settings of the molecules exercise."""

    n_molecules: int = 2000
    """Training molecules drawn from the grammar (50..20000)."""
    max_atoms: int = 12
    """Most heavy atoms in a training molecule (3..20)."""
    models: tuple[str, ...] = ("lstm", "transformer")
    """The sequence models, each trained and scored: "lstm", "rnn" (the notes' generator
    with either cell) and/or "transformer" (seed 002's causal transformer)."""
    hidden_size: int = 128
    """Width of the recurrent state (≥ 1)."""
    num_layers: int = 1
    """Stacked recurrent layers (1..4)."""
    d_model: int = 64
    """Features per position of the transformer (divisible by n_heads)."""
    n_heads: int = 4
    """Attention heads of the transformer (1..16)."""
    n_layers: int = 2
    """Transformer blocks (1..8)."""
    epochs: int = 40
    """Training epochs (≥ 1)."""
    batch_size: int = 64
    """Batch size (≥ 1)."""
    learning_rate: float = 3e-3
    """Adam step size (> 0)."""
    n_samples: int = 2000
    """Strings sampled from each model (≥ 10)."""
    temperature: float = 1.0
    """Sampling temperature (> 0; 1 samples the model; others only for "lstm" and "rnn")."""
    seed: int = 0
    """Seed of the molecules, the weights, the batches and the samples."""

    def __post_init__(self) -> None:
        check_ints(self, {"seed": 0, "hidden_size": 1, "epochs": 1, "batch_size": 1})
        check_int("n_molecules", self.n_molecules, 50, 20_000)
        check_int("max_atoms", self.max_atoms, 3, 20)
        check_int("num_layers", self.num_layers, 1, 4)
        check_int("n_samples", self.n_samples, 10)
        if not isinstance(self.models, tuple) or not self.models:
            raise TypeError(f"models must be a non-empty tuple of {tuple(MODELS)}")
        for name in self.models:
            check_choice("models", name, tuple(MODELS))
        if len(set(self.models)) != len(self.models):
            raise ValueError(f"models must not repeat a name, got {self.models}")
        check_int("n_heads", self.n_heads, 1, 16)
        check_int("n_layers", self.n_layers, 1, 8)
        if check_int("d_model", self.d_model, 1) % self.n_heads:
            raise ValueError(f"d_model must be divisible by n_heads, got {self.d_model}")
        if self.temperature != 1.0 and "transformer" in self.models:
            raise ValueError("temperature must be 1 when models include 'transformer'")
        check_float("learning_rate", self.learning_rate, 0.0, low_open=True)
        check_float("temperature", self.temperature, 0.0, low_open=True)


def scores(samples: list[str | None], training: set[str]) -> dict[str, float]:
    """Validity, uniqueness and novelty (MOSES) of sampled strings (None: never ended)."""
    valid = [s for s in samples if s is not None and is_valid_smiles(s)]
    distinct = set(valid)
    return {
        "validity": len(valid) / len(samples),
        "uniqueness": len(distinct) / len(valid) if valid else 0.0,
        "novelty": len(distinct - training) / len(distinct) if distinct else 0.0,
    }


def bigram_sample(tokens: np.ndarray, n_tokens: int, n_samples: int, seed: int) -> np.ndarray:
    """Sequences from the bigram chain of ``tokens`` (rows start after a begin state).

    p(x_t | x_{t-1}) is the training transition count (plus 1e-3 smoothing) normalized;
    x_1 is drawn from the first tokens' counts.
    """
    begin = n_tokens
    previous = np.concatenate([np.full((len(tokens), 1), begin), tokens[:, :-1]], axis=1)
    counts = np.full((n_tokens + 1, n_tokens), 1e-3)
    np.add.at(counts, (previous.ravel(), tokens.ravel()), 1.0)
    cumulative = np.cumsum(counts / counts.sum(axis=1, keepdims=True), axis=1)
    rng = numpy_generator(seed)
    out = np.empty((n_samples, tokens.shape[1]), dtype=np.int64)
    state = np.full(n_samples, begin)
    for t in range(tokens.shape[1]):
        u = rng.random(n_samples)[:, None]
        state = np.minimum((u > cumulative[state]).sum(axis=1), n_tokens - 1)
        out[:, t] = state
    return out


def _train(config: Config, name: str, tokens: torch.Tensor, vocabulary: SmilesVocabulary) -> dict:
    model = MODELS[name](vocabulary.n_tokens, vocabulary.length, config)
    start = time.perf_counter()
    history = fit(
        model,
        tokens,
        loss=sequence_nll,
        epochs=config.epochs,
        batch_size=config.batch_size,
        learning_rate=config.learning_rate,
        max_grad_norm=1.0,
        seed=config.seed + 1,
        progress_bar=True,
    )
    seconds = time.perf_counter() - start
    # the shared interface is sample(n, generator=); a temperature only where one is asked
    extra = {} if config.temperature == 1.0 else {"temperature": config.temperature}
    with torch.no_grad():
        samples = model.sample(  # type: ignore[operator]
            config.n_samples, generator=torch_generator(config.seed + 2), **extra
        )
    return {"loss": history.train_loss, "samples": samples, "seconds": seconds}


def _lengths(strings: list[str]) -> np.ndarray:
    return np.array([len(tokenize(s) or ()) for s in strings], dtype=np.int64)


def _figure(
    config: Config, losses: dict[str, list[float]], lengths: dict[str, np.ndarray], rows: dict
) -> Figure:
    figure = Figure(figsize=(14, 4.2), layout="constrained")
    curve, bars, hist = figure.subplots(1, 3)
    for name, loss in losses.items():
        curve.plot(np.arange(1, len(loss) + 1), loss, label=name)
    curve.set(title="training loss", xlabel="epoch", ylabel="-log p(x) / token")
    curve.legend()
    names = list(rows)
    for k, measure in enumerate(("validity", "uniqueness", "novelty")):
        values = [rows[name][measure] for name in names]
        bars.bar(np.arange(len(names)) + 0.27 * (k - 1), values, width=0.27, label=measure)
    bars.set_xticks(np.arange(len(names)), names)
    bars.set(title=f"{config.n_samples} sampled strings", ylim=(0, 1.25))
    bars.legend(loc="upper center", ncols=3, fontsize=8)
    top = max(int(v.max()) for v in lengths.values() if len(v))
    for name, counts in lengths.items():
        if len(counts) == 0:
            continue
        hist.hist(
            counts, bins=np.arange(0, top + 2) - 0.5, histtype="step", density=True, label=name
        )
    hist.set(title="length of valid strings (tokens)", xlabel="tokens", ylabel="share")
    hist.legend()
    return figure


def _valid(strings: list[str | None]) -> list[str]:
    return [s for s in strings if s is not None and is_valid_smiles(s)]


def _sample_table(strings: list[str | None], training: set[str]) -> dict[str, list]:
    return {
        "smiles": [s or "" for s in strings],
        "valid": [s is not None and is_valid_smiles(s) for s in strings],
        "novel": [s is not None and s not in training for s in strings],
    }


def run(config: Config) -> Result:
    """Train the sequence models on grammar molecules; score their samples and a bigram chain."""
    molecules = smiles_dataset(config.n_molecules, seed=config.seed, max_atoms=config.max_atoms)
    vocabulary = SmilesVocabulary(max(len(s) for s in molecules) + 2)
    tokens = vocabulary.encode(molecules)
    training = set(molecules)
    trained = {name: _train(config, name, tokens, vocabulary) for name in config.models}
    bigram = bigram_sample(tokens.numpy(), vocabulary.n_tokens, config.n_samples, config.seed + 3)
    samples = {name: vocabulary.decode(out["samples"]) for name, out in trained.items()}
    samples["bigram"] = vocabulary.decode(bigram)
    rows = {name: scores(strings, training) for name, strings in samples.items()}
    lengths = {"training": _lengths(molecules)}
    lengths.update({name: _lengths(_valid(strings)) for name, strings in samples.items()})
    metrics: dict = {
        f"{name}_{key}": value for name, row in rows.items() for key, value in row.items()
    }
    for name, out in trained.items():
        metrics[f"{name}_training_seconds"] = out["seconds"]
        metrics[f"{name}_final_loss"] = out["loss"][-1]
        metrics[f"{name}_examples"] = _valid(samples[name])[:10]
    metrics.update(n_tokens=vocabulary.n_tokens, length=vocabulary.length)
    table = Table(
        f"{config.n_samples} strings sampled after training on {config.n_molecules} molecules",
        ["model", "validity", "uniqueness", "novelty", "training s"],
        [
            [name, *row.values(), trained[name]["seconds"] if name in trained else 0.0]
            for name, row in rows.items()
        ],
    )
    losses = {name: out["loss"] for name, out in trained.items()}
    data: dict = {"loss": {"epoch": np.arange(1, config.epochs + 1), **losses}}
    data.update({f"samples_{name}": _sample_table(samples[name], training) for name in trained})
    return Result(
        tables={"molecules": table},
        figures={"molecules": _figure(config, losses, lengths, rows)},
        data=data,
        metrics=metrics,
    )


SUMMARY = "Molecules as SMILES: the notes' sequence generator, validity, uniqueness, novelty"
EXERCISE = Exercise(
    "molecules",
    SUMMARY,
    Config,
    run,
    quick={
        "n_molecules": 300,
        "epochs": 3,
        "hidden_size": 32,
        "d_model": 16,
        "n_heads": 2,
        "n_layers": 1,
        "n_samples": 200,
    },
    groups={
        "data": ("n_molecules", "max_atoms"),
        "model": ("models", "hidden_size", "num_layers", "d_model", "n_heads", "n_layers"),
        "training": ("epochs", "batch_size", "learning_rate"),
    },
)
