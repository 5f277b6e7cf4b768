"""Training loops as functions: ``fit``, its callbacks and a seeded weight initialization.

``fit`` minimizes an empirical risk by mini-batch stochastic gradient descent (seed 000, §4.3:
the cost of eq. 4.6 averaged over a batch, parameters moved against its gradient, eq. 4.12),
with any ``torch.optim`` optimizer (Adam by default).

Loss conventions (one argument, two clear forms):

* a plain callable ``loss(outputs, targets) -> scalar`` for supervised learning: ``fit`` calls
  ``outputs = model(inputs)`` on each batch ``(inputs, targets)``;
* an :class:`Objective`, wrapping ``objective(model, batch) -> scalar``, for everything else
  (a VAE's negative ELBO, an autoencoder's reconstruction error, a score-matching loss): the
  objective runs the model itself. Wrap a function with ``Objective(fn)`` or decorate it with
  ``@objective``.

Either must return the *mean* over the batch; epoch losses are sample-weighted means of those.

Nothing here touches a global random generator: shuffling uses a ``torch.Generator`` seeded
from ``seed``, and :func:`init_parameters` draws initial weights from its own generator.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, TypeAlias

import numpy as np
import torch
from torch import Tensor, nn

from labcoat.classic._checks import check_bool, check_choice, check_float, check_int
from labcoat.models._checks import check_finite
from labcoat.models._random import DeviceLike, check_device, sampling_generator, torch_generator

__all__ = [
    "CallbackList",
    "Callback",
    "EarlyStopping",
    "History",
    "Objective",
    "fit",
    "evaluate",
    "init_parameters",
    "model_device",
    "objective",
    "predict",
    "to_device",
]

Batch: TypeAlias = Any
"""One batch: a tensor, a tuple of tensors ``(inputs, targets, ...)`` or a Dataset's collation."""

Data: TypeAlias = Tensor | np.ndarray | Sequence[Tensor | np.ndarray] | torch.utils.data.Dataset
"""Training data: in-memory tensors/arrays (a single one or a tuple) or a ``torch`` Dataset."""

Metric: TypeAlias = Callable[[Tensor, Tensor], float | Tensor]
"""``metric(targets, outputs)`` (scikit-learn's order) evaluated after each epoch."""


@dataclass(frozen=True)
class Objective:
    """A training objective that runs the model itself: ``function(model, batch) -> scalar``.

    Use it for losses that are not a function of ``model(inputs)`` and targets alone, e.g. the
    negative ELBO of a VAE (seed 000, eq. 5.17) which needs the encoder's mean and variance.

    Attributes:
        function: maps ``(model, batch)`` to the batch-mean loss (a 0-d tensor).
    """

    function: Callable[[nn.Module, Batch], Tensor]

    def __call__(self, model: nn.Module, batch: Batch) -> Tensor:
        """Evaluate the objective on one batch."""
        return self.function(model, batch)


def objective(function: Callable[[nn.Module, Batch], Tensor]) -> Objective:
    """Decorator form of :class:`Objective`: ``@objective def elbo(model, batch): ...``."""
    return Objective(function)


@dataclass
class History:
    """What ``fit`` records, one entry per completed epoch.

    Attributes:
        train_loss: sample-weighted mean training loss of each epoch (taken while training,
            i.e. with dropout active and the parameters moving during the epoch).
        val_loss: mean validation loss after each epoch (empty without validation data).
        metrics: ``"train_<name>"``/``"val_<name>"`` -> one value per epoch, for each metric
            passed to ``fit`` (evaluated in eval mode at the end of the epoch).
        epochs_run: how many epochs ran (fewer than requested if a callback stopped training).
        stopped_early: whether a callback stopped training.
        best_epoch: the epoch (0-based) restored by :class:`EarlyStopping`, else None.
    """

    train_loss: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    metrics: dict[str, list[float]] = field(default_factory=dict)
    epochs_run: int = 0
    stopped_early: bool = False
    best_epoch: int | None = None

    def monitored(self, name: str) -> list[float]:
        """The per-epoch series named ``name``: "train_loss", "val_loss" or a metric key."""
        if name == "train_loss":
            return self.train_loss
        if name == "val_loss":
            return self.val_loss
        if name in self.metrics:
            return self.metrics[name]
        known = ["train_loss", "val_loss", *self.metrics]
        raise ValueError(f"monitor {name!r} is not recorded; recorded: {known}")


class Callback(Protocol):
    """What every labcoat trainer calls around training (every method is optional).

    One protocol for :func:`fit` (and so the autoencoder, VAE and diffusion trainers, which
    are ``fit`` with an :class:`Objective`), ``train_rbm`` and ``train_gan``. ``epoch`` is the
    0-based index of the epoch just completed (for ``train_gan``, of the iteration: a GAN
    trains by iterations, not passes over the data), ``model`` the model being trained and
    ``history`` the trainer's history so far. ``on_epoch_end`` returns False to stop training
    (Stable-Baselines3's convention); returning None or True continues. A plain function
    ``f(epoch, model, history)`` serves as ``on_epoch_end``.
    """

    def on_train_begin(self, model: nn.Module, history: Any) -> None:
        """Called once before the first epoch."""

    def on_epoch_end(self, epoch: int, model: nn.Module, history: Any) -> bool | None:
        """Called after each epoch, once ``history`` holds its losses and metrics."""

    def on_train_end(self, model: nn.Module, history: Any) -> None:
        """Called once after the last epoch (also after an early stop)."""


EpochFunction: TypeAlias = "Callable[[int, nn.Module, Any], bool | None]"
CallbackLike: TypeAlias = "Callback | EpochFunction"


class CallbackList:
    """The callbacks of one training run, called in order (SB3's ``CallbackList``).

    Args:
        callbacks: None, one :class:`Callback` or plain function ``f(epoch, model, history)``,
            or a sequence of them.
    """

    def __init__(self, callbacks: CallbackLike | Sequence[CallbackLike] | None = None) -> None:
        if callbacks is None:
            items: list[CallbackLike] = []
        elif isinstance(callbacks, Sequence) and not isinstance(callbacks, str):
            items = list(callbacks)
        else:
            items = [callbacks]  # type: ignore[list-item]
        for item in items:
            hooks = ("on_train_begin", "on_epoch_end", "on_train_end")
            if not callable(item) and not any(hasattr(item, hook) for hook in hooks):
                raise TypeError(
                    "callbacks must be Callback objects (on_train_begin/on_epoch_end/"
                    f"on_train_end) or functions f(epoch, model, history), got {item!r}"
                )
        self.callbacks = items

    def _hook(self, item: CallbackLike, name: str) -> Callable[..., Any] | None:
        hook = getattr(item, name, None)
        if hook is None and name == "on_epoch_end" and callable(item):
            return item
        return hook

    def _call(self, name: str, *args: Any) -> bool:
        """Call hook ``name`` of every callback (all of them); False if one returned False."""
        answers = [hook(*args) for item in self.callbacks if (hook := self._hook(item, name))]
        return all(answer is not False for answer in answers)

    def on_train_begin(self, model: nn.Module, history: Any) -> None:
        """Call every callback's ``on_train_begin``."""
        self._call("on_train_begin", model, history)

    def on_epoch_end(self, epoch: int, model: nn.Module, history: Any) -> bool:
        """Call every callback (all of them, even after one asks to stop); False means stop."""
        return self._call("on_epoch_end", epoch, model, history)

    def on_train_end(self, model: nn.Module, history: Any) -> None:
        """Call every callback's ``on_train_end``."""
        self._call("on_train_end", model, history)


class EarlyStopping:
    """Stop when the monitored loss has not improved for ``patience`` epochs.

    An epoch improves on the best value so far if ``value < best - min_delta`` (mode "min";
    ``value > best + min_delta`` in mode "max", e.g. for an accuracy). With
    ``restore_best`` the parameters (and buffers) of the best epoch are loaded back into the
    model at the end of training and ``history.best_epoch`` names it.

    Args:
        patience: epochs without improvement tolerated before stopping (>= 1).
        min_delta: smallest decrease that counts as an improvement (>= 0).
        restore_best: load the best epoch's state at the end of training.
        monitor: the series watched: "val_loss" (default; falls back to "train_loss" when
            ``fit`` has no validation data) or any key of ``History.metrics``.
        mode: "min" if the monitored series should decrease, "max" if it should increase.
    """

    def __init__(
        self,
        patience: int,
        min_delta: float = 0.0,
        restore_best: bool = True,
        monitor: str = "val_loss",
        mode: Literal["min", "max"] = "min",
    ) -> None:
        self.patience = check_int("patience", patience, 1)
        self.min_delta = check_float("min_delta", min_delta, 0.0)
        self.restore_best = check_bool("restore_best", restore_best)
        self.sign = 1.0 if check_choice("mode", mode, ("min", "max")) == "min" else -1.0
        self.monitor = monitor
        self.best = math.inf
        self.best_epoch: int | None = None
        self.best_state: dict[str, Tensor] | None = None
        self.wait = 0

    def on_train_begin(self, model: nn.Module, history: History) -> None:
        """Reset the counters (the same instance may serve several fits)."""
        self.best, self.best_epoch, self.best_state, self.wait = math.inf, None, None, 0

    def on_epoch_end(self, epoch: int, model: nn.Module, history: History) -> bool:
        """Track the best value; return False once ``patience`` epochs passed without gain."""
        name = self.monitor
        if name == "val_loss" and not history.val_loss:
            name = "train_loss"
        value = self.sign * history.monitored(name)[-1]
        if value < self.best - self.min_delta:
            self.best, self.best_epoch, self.wait = value, epoch, 0
            if self.restore_best:
                self.best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
            return True
        self.wait += 1
        return self.wait < self.patience

    def on_train_end(self, model: nn.Module, history: History) -> None:
        """Load the best epoch's parameters back (with ``restore_best``)."""
        if self.restore_best and self.best_state is not None:
            model.load_state_dict(self.best_state)
            history.best_epoch = self.best_epoch


# ---------------------------------------------------------------- data handling


def _model_dtype(model: nn.Module) -> torch.dtype:
    parameter = next(model.parameters(), None)
    return parameter.dtype if parameter is not None else torch.get_default_dtype()


def model_device(model: nn.Module) -> torch.device:
    """The device of the model's first parameter (or buffer); the CPU for an empty model."""
    for tensor in (*model.parameters(), *model.buffers()):
        return tensor.device
    return torch.device("cpu")


def start_sampling(
    model: nn.Module, n_samples: int, generator: torch.Generator | int, device: DeviceLike | None
) -> tuple[int, torch.device, torch.Generator]:
    """A sampler's checked ``n_samples`` (≥ 1), its device and its generator on that device.

    The device is the model's when ``device`` is None, else the checked ``device`` with the
    model moved there; the generator is :func:`labcoat.models._random.sampling_generator`'s.
    """
    n_samples = check_int("n_samples", n_samples, 1)
    target = model_device(model) if device is None else check_device(device)
    model.to(target)
    return n_samples, target, sampling_generator(generator, target)


def to_device(batch: Batch, device: torch.device) -> Batch:
    """``batch`` (a tensor, or a tuple/list/dict of them) moved to ``device``."""
    if isinstance(batch, Tensor):
        return batch.to(device)
    if isinstance(batch, tuple | list):
        return type(batch)(to_device(part, device) for part in batch)
    if isinstance(batch, dict):
        return {key: to_device(value, device) for key, value in batch.items()}
    return batch


def _refuse_sparse(data: object, argument: str) -> None:
    """A TypeError for a scipy sparse matrix or a sparse torch tensor."""
    if hasattr(data, "tocoo") or (isinstance(data, Tensor) and data.layout != torch.strided):
        raise TypeError(
            f"{argument}: sparse input is not supported; convert it to a dense array "
            "(.toarray() for scipy, .to_dense() for torch)"
        )


def _as_tensor(
    array: Tensor | np.ndarray,
    dtype: torch.dtype,
    argument: str,
    device: torch.device | None = None,
) -> Tensor:
    """``array`` as a tensor on ``device``, floating ones cast to ``dtype``.

    ``device`` None leaves a tensor where it is (a numpy array on the CPU); sparse, object
    and complex data are refused.
    """
    _refuse_sparse(array, argument)
    kind = array.dtype.kind if isinstance(array, np.ndarray) else None
    if kind is not None and kind not in "biuf":
        raise TypeError(
            f"{argument} must hold real numbers (bool, integer or float), got dtype "
            f"{array.dtype}{' (complex)' if kind == 'c' else ''}; convert it with .astype(float)"
        )
    tensor = torch.as_tensor(array, device=device)
    if tensor.is_complex():
        raise TypeError(f"{argument} must hold real numbers, got complex dtype {tensor.dtype}")
    return tensor.to(dtype) if tensor.is_floating_point() else tensor


def _tensors(
    data: Any, dtype: torch.dtype, argument: str, device: torch.device | None = None
) -> tuple[Tensor, ...] | None:
    """In-memory data as a tuple of tensors of equal length on ``device``; None for a Dataset."""
    _refuse_sparse(data, argument)
    if isinstance(data, Tensor | np.ndarray):
        data = (data,)
    if isinstance(data, tuple | list):
        if not data:
            raise ValueError(f"{argument} must hold at least one tensor, got an empty sequence")
        tensors = tuple(_as_tensor(a, dtype, argument, device) for a in data)
        lengths = {len(t) for t in tensors}
        if len(lengths) != 1 or 0 in lengths:
            raise ValueError(f"{argument}: tensors must share a non-zero length, got {lengths}")
        return tensors
    if isinstance(data, torch.utils.data.Dataset):
        return None
    raise TypeError(
        f"{argument} must be a tensor, an array, a tuple of them or a torch Dataset, "
        f"got {type(data).__name__}"
    )


def _batches(
    data: Any,
    tensors: tuple[Tensor, ...] | None,
    batch_size: int,
    generator: torch.Generator | None,
    single: bool,
    device: torch.device,
) -> Iterator[tuple[Batch, int]]:
    """Yield ``(batch, size)`` on ``device``; shuffled with ``generator`` (None: in order).

    In-memory tensors are already on ``device`` and so is the permutation (drawn by a
    generator there); a Dataset's batches come from a DataLoader, whose sampler needs a CPU
    generator, and are moved to ``device`` one by one.
    """
    if tensors is None:
        if generator is not None and generator.device.type != "cpu":
            generator = torch.Generator().manual_seed(generator.initial_seed())
        loader = torch.utils.data.DataLoader(
            data, batch_size=batch_size, shuffle=generator is not None, generator=generator
        )
        for batch in loader:
            first = batch[0] if isinstance(batch, list | tuple) else batch
            yield to_device(batch, device), len(first)
        return
    n = len(tensors[0])
    order = torch.randperm(n, generator=generator, device=device) if generator is not None else None
    for start in range(0, n, batch_size):
        if order is None:
            parts = tuple(t[start : start + batch_size] for t in tensors)
        else:
            index = order[start : start + batch_size]
            parts = tuple(t[index] for t in tensors)
        yield (parts[0] if single else parts), len(parts[0])


def _batch_loss(
    model: nn.Module, batch: Batch, loss: Callable[..., Tensor], check_shapes: bool = False
) -> Tensor:
    """The batch's loss; with ``check_shapes`` its targets are checked against the outputs."""
    if isinstance(loss, Objective):
        return loss(model, batch)
    if not isinstance(batch, tuple | list) or len(batch) < 2:
        raise ValueError(
            "a loss(outputs, targets) needs batches (inputs, targets); "
            "wrap a loss of (model, batch) in Objective(...)"
        )
    outputs = model(batch[0])
    if check_shapes:
        _check_target_shape(outputs, batch[1])
    return loss(outputs, batch[1])


def _check_target_shape(outputs: Any, targets: Any) -> None:
    """Refuse targets that broadcast with the outputs into a shape neither has.

    (n, 1) outputs against (n,) targets give an (n, n) difference in an MSE: a wrong loss
    without an error. Shapes that do not broadcast (class indices for a cross-entropy) and
    one-sided expansions ((n, 2) outputs, (n, 1) targets) are left to the loss.
    """
    if not (isinstance(outputs, Tensor) and isinstance(targets, Tensor)):
        return
    if outputs.shape == targets.shape:
        return
    try:
        shape = torch.broadcast_shapes(outputs.shape, targets.shape)
    except RuntimeError:
        return
    if shape not in (outputs.shape, targets.shape):
        raise ValueError(
            f"targets of shape {tuple(targets.shape)} would broadcast against the model's "
            f"outputs of shape {tuple(outputs.shape)} into {tuple(shape)} in the loss; give "
            f"the targets the outputs' shape: targets.reshape{(-1, *outputs.shape[1:])}"
        )


# ---------------------------------------------------------------- evaluation


def predict(model: nn.Module, inputs: Tensor | np.ndarray, batch_size: int = 1024) -> Tensor:
    """``model(inputs)`` in eval mode without gradients, in chunks of ``batch_size``.

    The model's train/eval mode is restored afterwards.
    """
    batch_size = check_int("batch_size", batch_size, 1)
    x = _as_tensor(inputs, _model_dtype(model), "inputs", model_device(model))
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            return torch.cat([model(x[i : i + batch_size]) for i in range(0, len(x), batch_size)])
    finally:
        model.train(was_training)


def evaluate(
    model: nn.Module,
    data: Data,
    *,
    loss: Callable[..., Tensor],
    batch_size: int = 1024,
) -> float:
    """Mean loss over ``data`` (sample-weighted batch means) in eval mode, without gradients.

    The data are moved to the model's device batch by batch (in-memory data at once).
    """
    batch_size = check_int("batch_size", batch_size, 1)
    device = model_device(model)
    tensors = _tensors(data, _model_dtype(model), "data", device)
    single = tensors is not None and len(tensors) == 1
    was_training = model.training
    model.eval()
    total, count = 0.0, 0
    try:
        with torch.no_grad():
            for batch, size in _batches(data, tensors, batch_size, None, single, device):
                value = _batch_loss(model, batch, loss, check_shapes=count == 0)
                total += value.item() * size
                count += size
    finally:
        model.train(was_training)
    return total / count


def _metric_values(
    model: nn.Module, tensors: tuple[Tensor, ...] | None, metrics: Mapping[str, Metric]
) -> dict[str, float]:
    if tensors is None or len(tensors) < 2:
        raise ValueError("metrics need in-memory data (inputs, targets)")
    outputs = predict(model, tensors[0])
    return {name: float(metric(tensors[1], outputs)) for name, metric in metrics.items()}


# ---------------------------------------------------------------- the loop


def _make_optimizer(
    model: nn.Module, optimizer: Any, learning_rate: float
) -> torch.optim.Optimizer:
    if optimizer is None:
        return torch.optim.Adam(model.parameters(), lr=learning_rate)
    if isinstance(optimizer, torch.optim.Optimizer):
        return optimizer
    if callable(optimizer):
        return optimizer(model.parameters(), lr=learning_rate)
    raise TypeError(
        "optimizer must be None, a torch.optim.Optimizer or a factory "
        f"(parameters, lr=...) -> Optimizer, got {type(optimizer).__name__}"
    )


def _checked_fit_arguments(
    epochs: object, batch_size: object, learning_rate: object, max_grad_norm: object
) -> tuple[int, int, float, float | None]:
    """``fit``'s scalars, checked and converted (numpy numbers accepted)."""
    return (
        check_int("epochs", epochs, 1),
        check_int("batch_size", batch_size, 1),
        check_float("learning_rate", learning_rate, 0.0, low_open=True),
        None
        if max_grad_norm is None
        else check_float("max_grad_norm", max_grad_norm, 0.0, low_open=True),
    )


def _epochs(epochs: int, progress_bar: bool) -> Iterator[int]:
    if not progress_bar:
        yield from range(epochs)
        return
    from rich.progress import track

    yield from track(range(epochs), description="training", transient=True)


def _train_epoch(
    model: nn.Module,
    batches: Iterator[tuple[Batch, int]],
    loss: Callable[..., Tensor],
    optimizer: torch.optim.Optimizer,
    max_grad_norm: float | None,
    epoch: int,
) -> float:
    """One pass of mini-batch gradient descent (``epoch`` counted from 0).

    Each batch's loss is read once (``item``, the one host sync per batch) to be checked
    finite before its backward pass, so a diverging run stops with the parameters of the
    last finite step, and summed for the epoch's mean; the first batch of the first epoch
    also has its targets' shape checked against the outputs.
    """
    parameters = [p for p in model.parameters() if p.requires_grad]
    total, count = 0.0, 0
    for index, (batch, size) in enumerate(batches):
        optimizer.zero_grad(set_to_none=True)
        value = _batch_loss(model, batch, loss, check_shapes=epoch == 0 and index == 0)
        total += check_finite(value, "loss", epoch=epoch + 1, batch=index + 1) * size
        value.backward()
        if max_grad_norm is not None:
            nn.utils.clip_grad_norm_(parameters, max_grad_norm)
        optimizer.step()
        count += size
    return total / count


def fit(
    model: nn.Module,
    train_data: Data,
    *,
    loss: Callable[..., Tensor],
    optimizer: torch.optim.Optimizer | Callable[..., torch.optim.Optimizer] | None = None,
    learning_rate: float = 1e-3,
    epochs: int,
    batch_size: int,
    seed: int,
    validation_data: Data | None = None,
    callbacks: CallbackLike | Sequence[CallbackLike] | None = None,
    progress_bar: bool = False,
    metrics: Mapping[str, Metric] | None = None,
    max_grad_norm: float | None = None,
    device: DeviceLike = "cpu",
) -> History:
    """Train ``model`` by mini-batch gradient descent on ``loss`` (seed 000, §4.3, eq. 4.12).

    Each epoch visits the training data once in an order drawn by a ``torch.Generator``
    seeded with ``seed`` (so the same seed, model state and data give identical numbers), in
    batches of ``batch_size``; each batch takes one optimizer step on its mean loss.

    Args:
        model: the network; trained in place (left in train mode).
        train_data: a tensor/array, a tuple of them ``(inputs, targets, ...)`` (indexed with a
            permutation, no DataLoader overhead) or a torch Dataset (a DataLoader with the
            seeded generator). Floating arrays are cast to the model's dtype.
        loss: ``loss(outputs, targets)`` for supervised data (``outputs = model(inputs)``), or
            an :class:`Objective` ``(model, batch)`` whose batch is what ``train_data`` yields
            (a single tensor if ``train_data`` is one tensor, else a tuple).
        optimizer: None (Adam with ``learning_rate``), an optimizer over the model's
            parameters, or a factory called as ``optimizer(model.parameters(), lr=...)``
            such as ``torch.optim.SGD``.
        learning_rate: step size for a default or factory-made optimizer (> 0).
        epochs: maximum number of passes over the data (>= 1).
        batch_size: samples per gradient step (>= 1; the last batch may be smaller).
        seed: seeds the shuffling generator.
        validation_data: evaluated after each epoch (eval mode, no gradients) into
            ``history.val_loss``.
        callbacks: :class:`Callback` objects (``on_train_begin``/``on_epoch_end``/
            ``on_train_end``, e.g. :class:`EarlyStopping`) or functions
            ``f(epoch, model, history)``, one or a sequence; ``on_epoch_end`` returning False
            stops training.
        progress_bar: show a rich progress bar over epochs.
        metrics: name -> ``metric(targets, outputs)`` (scikit-learn's argument order, e.g.
            :func:`labcoat.models.metrics.accuracy`), evaluated after each epoch in eval mode on
            the training and validation data (``"train_<name>"``, ``"val_<name>"``).
        max_grad_norm: if set, clip the global gradient norm ``||g||_2`` of all parameters to
            at most this value before each step (useful for RNNs, §4.5).
        device: where to train: "cpu" (default), "cuda", "cuda:<index>", "mps" or a
            ``torch.device``. The model is moved there (``model.to(device)``, in place) and
            so is every batch, the shuffling permutation and its generator (a generator on
            another device draws another permutation for the same seed).

    Returns:
        The :class:`History` of per-epoch losses and metrics.

    Raises:
        ValueError: for a non-positive ``epochs``, ``batch_size``, ``learning_rate`` or
            ``max_grad_norm``, mismatched data lengths, or targets that would broadcast
            against the model's outputs into a shape neither has (e.g. outputs (n, 1) and
            targets (n,) in an MSE; checked on the first batch, before any step).
        TypeError: for scalars of the wrong type, data of an unsupported type, sparse,
            object or complex data, or an optimizer of an unsupported type.
        ValueError: a ``device`` this machine does not have (e.g. "cuda" without a GPU).
        FloatingPointError: a batch's loss is NaN or ±inf (NaN in the data, an exploding
            learning rate); the message names the epoch and the batch (counted from 1), and
            the model keeps the parameters of the last finite step. Also for a non-finite
            validation loss (NaN in ``validation_data``), naming the epoch.
    """
    epochs, batch_size, learning_rate, max_grad_norm = _checked_fit_arguments(
        epochs, batch_size, learning_rate, max_grad_norm
    )
    device = check_device(device)
    model.to(device)
    dtype = _model_dtype(model)
    train = _tensors(train_data, dtype, "train_data", device)
    valid = (
        None
        if validation_data is None
        else _tensors(validation_data, dtype, "validation_data", device)
    )
    opt = _make_optimizer(model, optimizer, learning_rate)
    generator = torch_generator(seed, device=device)
    single = train is not None and len(train) == 1
    history = History()
    hooks = CallbackList(callbacks)
    model.train()
    hooks.on_train_begin(model, history)
    for epoch in _epochs(epochs, progress_bar):
        batches = _batches(train_data, train, batch_size, generator, single, device)
        history.train_loss.append(_train_epoch(model, batches, loss, opt, max_grad_norm, epoch))
        if validation_data is not None:
            source = valid if valid is not None else validation_data
            value = evaluate(model, source, loss=loss, batch_size=1024)
            history.val_loss.append(check_finite(value, "the validation loss", epoch=epoch + 1))
        _record_metrics(model, history, metrics, train, valid)
        history.epochs_run = epoch + 1
        if not hooks.on_epoch_end(epoch, model, history):
            history.stopped_early = True
            break
    hooks.on_train_end(model, history)
    model.train()
    return history


def _record_metrics(
    model: nn.Module,
    history: History,
    metrics: Mapping[str, Metric] | None,
    train: tuple[Tensor, ...] | None,
    valid: tuple[Tensor, ...] | None,
) -> None:
    if not metrics:
        return
    sources = {"train": train} if valid is None else {"train": train, "val": valid}
    for prefix, tensors in sources.items():
        for name, value in _metric_values(model, tensors, metrics).items():
            history.metrics.setdefault(f"{prefix}_{name}", []).append(value)


# ---------------------------------------------------------------- initialization


def init_parameters(model: nn.Module, seed: int | torch.Generator) -> nn.Module:
    """Re-draw every parameter of ``model`` from its own generator (PyTorch's default scheme).

    Weights of linear and convolutional layers and their biases are drawn from
    U(-1/sqrt(fan_in), 1/sqrt(fan_in)) (what ``nn.Linear``/``nn.Conv*d`` draw by default:
    Kaiming-uniform with a = sqrt(5)); recurrent layers (RNN, LSTM, GRU) from
    U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)); embeddings from N(0, 1); normalization layers
    are reset to weight 1, bias 0. Use it so that the same seed always builds the same network.

    Args:
        model: the module to initialize (in place; also returned).
        seed: an integer seed or a ``torch.Generator``.

    Raises:
        TypeError: for a module with parameters of a kind not listed above.
    """
    generator = seed if isinstance(seed, torch.Generator) else torch_generator(seed)
    with torch.no_grad():
        for module in model.modules():
            _init_module(module, generator)
    return model


_NORMS = (nn.modules.batchnorm._NormBase, nn.LayerNorm, nn.GroupNorm)


def _uniform_(tensor: Tensor, bound: float, generator: torch.Generator) -> None:
    tensor.uniform_(-bound, bound, generator=generator)


def _init_module(module: nn.Module, generator: torch.Generator) -> None:
    own = list(module.named_parameters(recurse=False))
    if not own:
        return
    if isinstance(module, nn.RNNBase):
        for _, parameter in own:
            _uniform_(parameter, 1.0 / math.sqrt(module.hidden_size), generator)
    elif isinstance(module, nn.Linear | nn.modules.conv._ConvNd):
        fan_in, _ = nn.init._calculate_fan_in_and_fan_out(module.weight)
        bound = 1.0 / math.sqrt(fan_in) if fan_in > 0 else 0.0
        for _, parameter in own:
            _uniform_(parameter, bound, generator)
    elif isinstance(module, nn.Embedding):
        module.weight.normal_(0.0, 1.0, generator=generator)
    elif isinstance(module, _NORMS):
        module.reset_parameters()
    elif hasattr(module, "init_parameters"):
        module.init_parameters(generator)  # type: ignore[operator]
    else:
        raise TypeError(
            f"init_parameters does not know how to initialize {type(module).__name__}; give it "
            "a method init_parameters(generator) or build it from Linear/Conv/RNN/Embedding"
        )
