import numpy as np
import pytest
import torch

from labcoat.models.numpy_mlp import NumpyMLP


def _torch_gradients(net: NumpyMLP, x: np.ndarray, y: np.ndarray):
    model = net.to_torch()
    out = model(torch.from_numpy(x))
    target = torch.from_numpy(y)
    m = len(x)
    if net.loss == "mse":
        cost = 0.5 * ((out - target) ** 2).sum() / m
    elif net.output == "softmax":
        cost = -(target * torch.log(out)).sum() / m
    else:
        cost = torch.nn.functional.binary_cross_entropy(out, target, reduction="sum") / m
    cost.backward()
    linears = [layer for layer in model if isinstance(layer, torch.nn.Linear)]
    return cost.item(), linears


@pytest.mark.parametrize(
    ("sizes", "activation", "output", "loss"),
    [
        ((3, 5, 2), "sigmoid", "identity", "mse"),
        ((4, 6, 5, 3), "tanh", "softmax", "cross_entropy"),
        ((2, 7, 1), "relu", "sigmoid", "cross_entropy"),
        ((3, 4, 4, 2), "sigmoid", "tanh", "mse"),
    ],
)
def test_backpropagation_matches_autograd(sizes, activation, output, loss):
    rng = np.random.default_rng(0)
    net = NumpyMLP(sizes, activation=activation, output=output, loss=loss, seed=1)
    x = rng.normal(size=(9, sizes[0]))
    if output == "softmax":
        y = np.eye(sizes[-1])[rng.integers(0, sizes[-1], 9)]
    elif output == "sigmoid":
        y = rng.integers(0, 2, (9, sizes[-1])).astype(float)
    else:
        y = rng.normal(size=(9, sizes[-1]))
    gradients = net.backward(x, y)
    cost, linears = _torch_gradients(net, x, y)
    assert net.cost(x, y) == pytest.approx(cost, rel=1e-12)
    for gw, gb, linear in zip(gradients.weights, gradients.biases, linears, strict=True):
        # W of shape (in, out) is nn.Linear's weight transposed
        np.testing.assert_allclose(gw, linear.weight.grad.numpy().T, rtol=0, atol=1e-6)
        np.testing.assert_allclose(gb, linear.bias.grad.numpy(), rtol=0, atol=1e-6)
        assert np.abs(gw).max() > 1e-4  # a non-trivial comparison


def test_torch_round_trip_and_mapping():
    net = NumpyMLP((3, 4, 2), seed=0)
    model = net.to_torch()
    assert model[0].weight.shape == (4, 3) and net.weights[0].shape == (3, 4)
    x = np.random.default_rng(1).normal(size=(5, 3))
    np.testing.assert_allclose(
        net.predict(x), model(torch.from_numpy(x)).detach().numpy(), atol=1e-12
    )
    other = NumpyMLP((3, 4, 2), seed=9).from_torch(model)
    np.testing.assert_allclose(other.predict(x), net.predict(x), atol=1e-12)


def test_gradient_descent_learns_xor():
    x = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
    y = np.array([[0], [1], [1], [0]], dtype=float)
    net = NumpyMLP((2, 4, 1), activation="sigmoid", output="sigmoid", loss="cross_entropy", seed=0)
    costs = net.train(x, y, epochs=800, batch_size=4, learning_rate=5.0, seed=0)
    assert costs[-1] < 0.05 < costs[0]
    np.testing.assert_array_equal(net.predict(x) > 0.5, y > 0.5)


def test_training_is_seeded():
    x = np.random.default_rng(0).normal(size=(20, 3))
    y = x[:, :1] ** 2
    runs = [
        NumpyMLP((3, 5, 1), seed=2).train(x, y, epochs=5, batch_size=4, learning_rate=0.1, seed=s)
        for s in (0, 0, 1)
    ]
    assert runs[0] == runs[1] != runs[2]


def test_bad_configurations_raise():
    with pytest.raises(ValueError, match="cross_entropy"):
        NumpyMLP((2, 2), output="identity", loss="cross_entropy")
    with pytest.raises(ValueError, match="softmax"):
        NumpyMLP((2, 2), output="softmax", loss="mse")
    with pytest.raises(ValueError, match="shape"):
        NumpyMLP((2, 3)).backward(np.zeros((4, 2)), np.zeros((4, 2)))
