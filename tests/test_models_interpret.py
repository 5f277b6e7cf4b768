import pytest
import torch
from torch.nn import functional as F

from labcoat.models.datasets import digits_data
from labcoat.models.interpret import (
    dream,
    fgsm,
    interpolate_latent,
    iterated_targeted_attack,
    random_sign_noise,
)
from labcoat.models.mlp import MLP
from labcoat.models.training import fit, predict


@pytest.fixture(scope="module")
def classifier():
    data = digits_data(layout="flat", seed=0)
    model = MLP((64, 64, 10), activation="relu", seed=0)
    fit(
        model,
        data.train,
        loss=F.cross_entropy,
        learning_rate=3e-3,
        epochs=25,
        batch_size=32,
        seed=0,
    )
    predicted = predict(model, data.x_test).argmax(1)
    correct = predicted == data.y_test
    assert correct.float().mean() > 0.93
    return model, data.x_test[correct][:200], data.y_test[correct][:200]


def _flip_rate(model, x, labels):
    return (predict(model, x).argmax(1) != labels).float().mean().item()


def test_fgsm_flips_most_predictions_where_random_noise_of_the_same_size_flips_few(classifier):
    model, x, labels = classifier
    epsilon = 0.15
    adversarial = fgsm(model, x, labels, epsilon)
    noisy = random_sign_noise(x, epsilon, torch.Generator().manual_seed(0))
    assert _flip_rate(model, adversarial, labels) > 0.8
    assert _flip_rate(model, noisy, labels) < 0.1
    for perturbed in (adversarial, noisy):
        assert (perturbed - x).abs().max() <= epsilon + 1e-6
        assert perturbed.min() >= 0.0 and perturbed.max() <= 1.0


def test_fgsm_step_is_the_sign_of_the_cross_entropy_gradient(classifier):
    model, x, labels = classifier
    x = x[:5].clone().clamp(0.3, 0.7)  # away from the clipping bounds
    z = x.clone().requires_grad_(True)
    F.cross_entropy(model(z), labels[:5]).backward()
    expected = x + 0.1 * z.grad.sign()
    model.zero_grad(set_to_none=True)
    torch.testing.assert_close(fgsm(model, x, labels[:5], 0.1), expected)
    assert all(p.grad is None for p in model.parameters())  # the parameters are untouched


def _squared_loss(model, x, target):
    probabilities = torch.softmax(model(x), 1)
    return ((probabilities - F.one_hot(target, 10).float()) ** 2).sum()


def test_one_step_of_algorithm_5_is_a_signed_step_down_the_squared_loss(classifier):
    model, x, labels = classifier
    x, target = x[:5].clamp(0.3, 0.7), (labels[:5] + 1) % 10
    z = x.clone().requires_grad_(True)
    _squared_loss(model, z, target).backward()
    expected = x - 0.1 * z.grad.sign()
    torch.testing.assert_close(iterated_targeted_attack(model, x, target, 0.1, steps=1), expected)


def test_iterated_targeted_attack_moves_towards_the_target_within_epsilon(classifier):
    model, x, labels = classifier
    target = (labels + 1) % 10
    epsilon = 0.3
    adversarial = iterated_targeted_attack(model, x, target, epsilon, steps=20)
    assert (adversarial - x).abs().max() <= epsilon + 1e-6  # eq. 6.6
    assert adversarial.min() >= 0.0 and adversarial.max() <= 1.0
    with torch.no_grad():
        before, after = _squared_loss(model, x, target), _squared_loss(model, adversarial, target)
    assert after < 0.6 * before
    reached = (predict(model, adversarial).argmax(1) == target).float().mean().item()
    noisy = random_sign_noise(x, epsilon, torch.Generator().manual_seed(0))
    by_chance = (predict(model, noisy).argmax(1) == target).float().mean().item()
    assert reached > 0.15 > 5 * by_chance
    assert _flip_rate(model, adversarial, labels) > 0.5


def test_dreaming_produces_a_confidently_classified_input(classifier):
    model, _, _ = classifier
    start = torch.rand(10, 64, generator=torch.Generator().manual_seed(0))
    result = dream(
        model, torch.arange(10), start, steps=150, learning_rate=0.1, l2=1e-3, loss="cross_entropy"
    )
    assert result.confidence.min() > 0.9
    assert result.inputs.min() >= 0.0 and result.inputs.max() <= 1.0
    assert result.loss[-1] < result.loss[0]
    torch.testing.assert_close(
        result.probabilities, torch.softmax(predict(model, result.inputs), 1)
    )


def test_dreaming_step_is_eq_6_3_on_the_squared_loss(classifier):
    model, _, _ = classifier
    start = torch.full((3, 64), 0.5)
    target = torch.tensor([1, 4, 7])
    z = start.clone().requires_grad_(True)
    (_squared_loss(model, z, target) + 0.5 * 0.01 * ((z - start) ** 2).sum()).backward()
    result = dream(model, target, start, steps=1, learning_rate=0.5, l2=0.01)
    torch.testing.assert_close(result.inputs, (start - 0.5 * z.grad).clamp(0, 1))
    longer = dream(model, target, start, steps=100, learning_rate=1.0)
    assert longer.loss[-1] < longer.loss[0]


def test_latent_interpolation_of_an_orthogonal_linear_code_is_linear_in_input_space():
    q, _ = torch.linalg.qr(torch.randn(6, 6, generator=torch.Generator().manual_seed(0)))
    a, b = torch.rand(2, 6, generator=torch.Generator().manual_seed(1))
    points = interpolate_latent(lambda x: (x @ q, None), lambda z: z @ q.T, a, b, steps=5)
    t = torch.linspace(0, 1, 5)[:, None]
    torch.testing.assert_close(points, (1 - t) * a + t * b)
    with pytest.raises(ValueError, match="steps"):
        interpolate_latent(lambda x: x, lambda z: z, a, b, steps=1)


def test_bad_arguments_raise(classifier):
    model, x, labels = classifier
    with pytest.raises(ValueError, match="epsilon"):
        fgsm(model, x, labels, -0.1)
    with pytest.raises(ValueError, match="value_range"):
        fgsm(model, x, labels, 0.1, value_range=(1.0, 0.0))
    with pytest.raises(ValueError, match="steps"):
        iterated_targeted_attack(model, x, 3, 0.1, steps=0)
