"""Recurrent networks (seed 000, §4.7 and §5.3): many-to-one classifiers and sequence generators.

The simple RNN cell is h_t = tanh(W_hh h_{t-1} + W_xh x_t + b_h) (eq. 4.26; ``torch.nn.RNN``
with its two biases summing to b_h); the LSTM adds the cell state with forget, input, update
and output gates (eqs. 4.29-4.33; ``torch.nn.LSTM``, whose four gate matrices are stacked into
one of size 4m x (n + m) as the notes remark). A many-to-one network reads the whole sequence
and classifies from the last hidden state, y = W_ho h_N + b_y (eq. 4.28, pre-softmax). A
generator (§5.3) predicts x_{t+1} from x_1..x_t, is trained with the cross-entropy of eq. 5.15,
and samples one token at a time from the softmax of its scores divided by a temperature.

Exploding gradients (§4.7) are tamed with ``fit(..., max_grad_norm=...)``.
"""

from __future__ import annotations

from typing import Literal

import torch
from torch import Tensor, nn
from torch.nn.utils import skip_init

from labcoat.classic._checks import check_choice, check_float, check_int
from labcoat.models.training import Objective, init_parameters, model_device

__all__ = [
    "AutoregressiveRNN",
    "RNNClassifier",
    "RecurrentActorCritic",
    "SequenceGenerator",
    "next_token_loss",
    "sequence_nll",
]

CellName = Literal["rnn", "lstm", "gru"]


def _recurrent(cell: str, input_size: int, hidden_size: int, num_layers: int) -> nn.RNNBase:
    """An uninitialized RNN/LSTM (built on the meta device, so no global random draws)."""
    check_choice("cell", cell, ("rnn", "lstm", "gru"))
    if cell == "gru":
        layer: nn.RNNBase = nn.GRU(
            input_size, hidden_size, num_layers, batch_first=True, device="meta"
        )
    elif cell == "rnn":
        layer = nn.RNN(
            input_size,
            hidden_size,
            num_layers,
            nonlinearity="tanh",
            batch_first=True,
            device="meta",
        )
    else:
        layer = nn.LSTM(input_size, hidden_size, num_layers, batch_first=True, device="meta")
    return layer.to_empty(device="cpu")


def _sizes(**sizes: object) -> tuple[int, ...]:
    """The sizes as ints, each checked >= 1 by ``check_int`` (named by its keyword)."""
    return tuple(check_int(name, value, 1) for name, value in sizes.items())


def _recurrent_and_head(
    cell: str, num_layers: int, **sizes: object
) -> tuple[nn.RNNBase, nn.Linear]:
    """A recurrent layer and a linear head on its state; ``sizes``: input, hidden, outputs."""
    input_size, hidden_size, n_outputs, num_layers = _sizes(**sizes, num_layers=num_layers)
    recurrent = _recurrent(cell, input_size, hidden_size, num_layers)
    return recurrent, skip_init(nn.Linear, hidden_size, n_outputs)


class RNNClassifier(nn.Module):
    """A many-to-one RNN or LSTM (§4.7): sequence (batch, time, features) -> class scores.

    Args:
        input_size: features per time step n (e.g. 4 for one-hot DNA; pass
            ``x.transpose(1, 2)`` for data stored as (batch, 4, length)).
        hidden_size: hidden state size m.
        n_outputs: number of classes (output scores, eq. 4.28 before the softmax g).
        cell: "rnn" (eq. 4.26), "lstm" (eqs. 4.29-4.33) or "gru" (``torch.nn.GRU``).
        num_layers: stacked recurrent layers.
        seed: seeds the initial weights.
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        n_outputs: int,
        cell: CellName = "lstm",
        num_layers: int = 1,
        seed: int = 0,
    ) -> None:
        super().__init__()
        self.cell = cell
        self.recurrent, self.output = _recurrent_and_head(
            cell, num_layers, input_size=input_size, hidden_size=hidden_size, n_outputs=n_outputs
        )
        init_parameters(self, seed)

    def forward(self, x: Tensor) -> Tensor:
        """Scores y = W_ho h_N + b_y from the last step's hidden state, (batch, n_outputs)."""
        hidden, _ = self.recurrent(x)  # (batch, time, hidden_size)
        return self.output(hidden[:, -1])

    def probabilities(self, x: Tensor) -> Tensor:
        """Softmax of the scores: g of eq. 4.28."""
        return torch.softmax(self(x), dim=-1)


class RecurrentActorCritic(nn.Module):
    """A recurrent policy and value function: an approximator with memory for agents.

    One recurrent layer (GRU by default) reads the observations x_1..x_t and keeps the hidden
    state h_t (eq. 4.26 with gates); two linear heads read it:

        mu_t = tanh(W_a h_t + b_a)      (action mean in [-1, 1]^n_actions),
        v_t  = w_v . h_t + b_v          (state value).

    Agents call :meth:`step` once per environment step, carrying the state; training runs
    :meth:`forward` on whole sequences (batch, time, input_size).

    Args:
        input_size: features per observation.
        n_actions: dimension of the action (Box actions scaled to [-1, 1]).
        hidden_size: hidden state size m (one recurrent layer).
        cell: "gru", "lstm" or "rnn".
        seed: seeds the initial weights.
    """

    def __init__(
        self,
        input_size: int,
        n_actions: int,
        hidden_size: int = 64,
        *,
        cell: CellName = "gru",
        seed: int = 0,
    ) -> None:
        super().__init__()
        self.recurrent, self.action = _recurrent_and_head(
            cell, 1, input_size=input_size, hidden_size=hidden_size, n_actions=n_actions
        )
        self.value = skip_init(nn.Linear, self.recurrent.hidden_size, 1)
        init_parameters(self, seed)

    def forward(self, x: Tensor, state: object = None) -> tuple[Tensor, Tensor, object]:
        """(mu (batch, time, n_actions), v (batch, time), final state) of sequences x."""
        hidden, state = self.recurrent(x, state)  # (batch, time, hidden_size)
        return self._mean(hidden), self.value(hidden)[..., 0], state

    def _mean(self, hidden: Tensor) -> Tensor:
        """The action mean mu = tanh(W_mu h + b_mu) of hidden states h."""
        return torch.tanh(self.action(hidden))

    def act(self, x: Tensor, state: object = None) -> tuple[Tensor, object]:
        """One decision: x (batch, input_size) -> (mu (batch, n_actions), state).

        The same mu as :meth:`step` without the value head (a decision needs only the policy).
        """
        hidden, state = self.recurrent(x[:, None], state)
        return self._mean(hidden[:, 0]), state

    def step(self, x: Tensor, state: object = None) -> tuple[Tensor, Tensor, object]:
        """One step: x (batch, input_size) -> (mu (batch, n_actions), v (batch,), state)."""
        mean, value, state = self(x[:, None], state)
        return mean[:, 0], value[:, 0], state


class SequenceGenerator(nn.Module):
    """A one-to-many RNN/LSTM generator over a vocabulary of tokens (§5.3).

    Tokens enter one-hot encoded (as in the notes' SMILES example); the output at step t is a
    score vector over the next token x_{t+1}.

    Args:
        n_tokens: vocabulary size (including a stop token, if the data use one).
        hidden_size: hidden state size.
        cell: "rnn" or "lstm".
        num_layers: stacked recurrent layers.
        seed: seeds the initial weights.
    """

    def __init__(
        self,
        n_tokens: int,
        hidden_size: int,
        cell: CellName = "lstm",
        num_layers: int = 1,
        seed: int = 0,
    ) -> None:
        super().__init__()
        n_tokens, hidden_size, num_layers = _sizes(
            n_tokens=n_tokens, hidden_size=hidden_size, num_layers=num_layers
        )
        self.n_tokens = n_tokens
        self.recurrent = _recurrent(cell, n_tokens, hidden_size, num_layers)
        self.output = skip_init(nn.Linear, hidden_size, n_tokens)
        init_parameters(self, seed)

    def step(self, tokens: Tensor, state: object = None) -> tuple[Tensor, object]:
        """Scores for the token after each of ``tokens`` (batch, time) and the final state."""
        one_hot = nn.functional.one_hot(tokens, self.n_tokens).to(self.output.weight.dtype)
        hidden, state = self.recurrent(one_hot, state)  # (batch, time, hidden_size)
        return self.output(hidden), state

    def forward(self, tokens: Tensor) -> Tensor:
        """Next-token scores y_t for every step: (batch, time) -> (batch, time, n_tokens)."""
        return self.step(tokens)[0]

    @torch.no_grad()
    def sample(
        self,
        start: Tensor,
        length: int,
        *,
        temperature: float = 1.0,
        generator: torch.Generator,
        stop_token: int | None = None,
    ) -> Tensor:
        """Generate sequences token by token (§5.3, Fig. 25 right).

        Each next token is drawn from softmax(y_t / temperature): temperature 1 samples the
        model's distribution, lower values sharpen it towards the most likely token, higher
        values flatten it towards uniform. After ``stop_token`` a sequence keeps emitting it.

        Args:
            start: first tokens x_1, int64 of shape (batch,) or a prefix (batch, time);
                moved to the model's device, where the sequences are generated.
            length: total length of the returned sequences (> prefix length).
            temperature: > 0.
            generator: the random source of the draws, on the model's device.
            stop_token: optional end label.

        Returns:
            int64 tensor (batch, length) beginning with ``start``.
        """
        temperature = check_float("temperature", temperature, 0.0, low_open=True)
        prefix = start.reshape(len(start), -1).long().to(self.output.weight.device)
        length = check_int("length", length, 1)
        if length <= prefix.shape[1]:
            raise ValueError(f"length must exceed the prefix length {prefix.shape[1]}")
        was_training = self.training
        self.eval()
        tokens = [prefix]
        scores, state = self.step(prefix)
        stopped = torch.zeros(len(prefix), dtype=torch.bool, device=prefix.device)
        if stop_token is not None:
            stopped = (prefix == stop_token).any(dim=1)
        for _ in range(length - prefix.shape[1]):
            probabilities = torch.softmax(scores[:, -1] / temperature, dim=-1)
            token = torch.multinomial(probabilities, 1, generator=generator)  # (batch, 1)
            if stop_token is not None:
                token[stopped] = stop_token
                stopped |= token[:, 0] == stop_token
            tokens.append(token)
            scores, state = self.step(token, state)
        self.train(was_training)
        return torch.cat(tokens, dim=1)


def _next_token_loss(model: nn.Module, batch: Tensor | tuple[Tensor, ...]) -> Tensor:
    tokens = batch[0] if isinstance(batch, tuple | list) else batch
    scores = model(tokens[:, :-1])  # (batch, time - 1, n_tokens)
    return nn.functional.cross_entropy(scores.flatten(0, 1), tokens[:, 1:].flatten())


next_token_loss = Objective(_next_token_loss)
"""The generator's training objective (eq. 5.15): cross-entropy of y_t against x_{t+1}.

Batches are int64 token sequences (batch, time) (or a 1-tuple of them); the sum over t of
eq. 5.15 is replaced by the mean over all batch and time steps (a constant factor).
"""


class AutoregressiveRNN(nn.Module):
    """The notes' sequence generator (§5.3) as a model of fixed-length token sequences.

    p(x_1..x_L) = Π_t p(x_t | x_<t): a :class:`SequenceGenerator` reads a begin token and
    x_1..x_{L-1} and its softmax at step t (eq. 5.15's y_t), restricted to the ``n_tokens``
    data tokens, is p(x_t | x_<t). The interface is that of any autoregressive token model
    in labcoat (``n_tokens``, ``length``, :meth:`log_prob`, :meth:`sample`), so an exercise
    can train and sample it or a transformer alike.

    Args:
        n_tokens: data tokens (the begin token is added inside; ≥ 1).
        length: L, the length of every sequence (≥ 1).
        hidden_size: width of the recurrent state (the generator's ``hidden_size``).
        cell: the generator's recurrent cell, "rnn" or "lstm".
        num_layers: how many recurrent layers are stacked.
        seed: the seed of the generator's initial weights.
    """

    def __init__(
        self,
        n_tokens: int,
        length: int,
        hidden_size: int = 128,
        cell: CellName = "lstm",
        num_layers: int = 1,
        seed: int = 0,
    ) -> None:
        super().__init__()
        self.n_tokens = check_int("n_tokens", n_tokens, 1)
        self.length = check_int("length", length, 1)
        self.generator = SequenceGenerator(n_tokens + 1, hidden_size, cell, num_layers, seed)

    def _inputs(self, x: Tensor) -> Tensor:
        begin = torch.full((len(x), 1), self.n_tokens, dtype=torch.int64, device=x.device)
        return torch.cat([begin, x[:, :-1]], dim=1)  # (batch, L): begin, x_1..x_{L-1}

    def log_prob(self, x: Tensor) -> Tensor:
        """The log-probability Σ_t log p(x_t | x_<t) of int64 sequences (batch, L): (batch,)."""
        scores = self.generator(self._inputs(x))[..., : self.n_tokens]  # (batch, L, n_tokens)
        log_p = torch.log_softmax(scores, dim=-1)
        return log_p.gather(-1, x[..., None]).squeeze(-1).sum(-1)

    @torch.no_grad()
    def sample(
        self, n_samples: int, *, generator: torch.Generator, temperature: float = 1.0
    ) -> Tensor:
        """Draw sequences (n_samples, L) token by token from softmax(y_t / temperature).

        Args:
            n_samples: how many (≥ 1).
            generator: the random source, on the model's device.
            temperature: > 0; 1 samples the model's distribution.
        """
        n_samples = check_int("n_samples", n_samples, 1)
        temperature = check_float("temperature", temperature, 0.0, low_open=True)
        device = model_device(self)
        token = torch.full((n_samples, 1), self.n_tokens, dtype=torch.int64, device=device)
        tokens, state = [], None
        for _ in range(self.length):
            scores, state = self.generator.step(token, state)
            probabilities = torch.softmax(scores[:, -1, : self.n_tokens] / temperature, dim=-1)
            token = torch.multinomial(probabilities, 1, generator=generator)  # (batch, 1)
            tokens.append(token)
        return torch.cat(tokens, dim=1)


def _sequence_nll(model: nn.Module, batch: Tensor | tuple[Tensor, ...]) -> Tensor:
    tokens = batch[0] if isinstance(batch, tuple | list) else batch
    return -model.log_prob(tokens).mean() / tokens.shape[1]  # type: ignore[operator]


sequence_nll = Objective(_sequence_nll)
"""-log p(x) per token, averaged over the batch, for any model with ``log_prob(x)``.

For :class:`AutoregressiveRNN` this is eq. 5.15 (the cross-entropy of y_t against x_{t+1},
summed over t) divided by the sequence length.
"""
