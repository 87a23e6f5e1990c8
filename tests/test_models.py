import pytest
import torch

from mnist_skorch.models import ACTIVATIONS, CNN, MLP, count_parameters
from mnist_skorch.presets import SEED_CANDIDATES


@pytest.mark.parametrize("width", SEED_CANDIDATES["width"])
@pytest.mark.parametrize("depth", SEED_CANDIDATES["depth"])
def test_every_mlp_candidate_builds_and_runs(width, depth):
    m = MLP(width=width, depth=depth)
    assert m(torch.zeros(3, 1, 28, 28)).shape == (3, 10)
    expected = 784 * width + width + (depth - 1) * (width * width + width) + depth * 2 * width + width * 10 + 10
    assert count_parameters(m) == expected


@pytest.mark.parametrize("depth", SEED_CANDIDATES["depth"])
@pytest.mark.parametrize("use_bn", [False, True])
def test_every_cnn_depth_works_on_28x28(depth, use_bn):
    m = CNN(width=8, depth=depth, use_bn=use_bn, dropout_p=0.1)
    out = m(torch.zeros(2, 1, 28, 28))
    assert out.shape == (2, 10)
    out.sum().backward()


@pytest.mark.parametrize("width", SEED_CANDIDATES["width"])
def test_every_cnn_width_builds(width):
    m = CNN(width=width, depth=3)
    assert m(torch.zeros(1, 1, 28, 28)).shape == (1, 10)
    assert count_parameters(m) > 9 * width * width


@pytest.mark.parametrize("activation", list(ACTIVATIONS))
@pytest.mark.parametrize("init", ["he", "xavier"])
def test_activations_and_inits(activation, init):
    torch.manual_seed(0)
    m = MLP(width=16, depth=2, activation=activation, weight_init=init)
    assert isinstance(m.net[3], ACTIVATIONS[activation])
    assert torch.isfinite(m(torch.randn(4, 784))).all()


@pytest.mark.parametrize("kwargs, match", [
    ({"activation": "swish"}, "unknown activation 'swish'; allowed: .*relu"),
    ({"weight_init": "orthogonal"}, "unknown weight_init 'orthogonal'; allowed: .*he"),
    ({"width": -3}, "width must be a positive integer, got -3"),
    ({"width": 0}, "width must be a positive integer"),
    ({"depth": 2.5}, "depth must be a positive integer, got 2.5"),
    ({"dropout_p": 1.0}, r"dropout_p must lie in \[0, 1\), got 1.0"),
    ({"dropout_p": -0.1}, "dropout_p"),
])
@pytest.mark.parametrize("cls", [MLP, CNN])
def test_bad_architecture_raises(cls, kwargs, match):
    with pytest.raises(ValueError, match=match):
        cls(**kwargs)


def test_bn_toggle_and_dropout_layers():
    kinds = [type(x) for x in MLP(width=8, depth=2, use_bn=False, dropout_p=0.2).net]
    assert torch.nn.BatchNorm1d not in kinds and kinds.count(torch.nn.Dropout) == 2
    kinds = [type(x) for x in CNN(width=8, depth=5, use_bn=True).features]
    assert kinds.count(torch.nn.BatchNorm2d) == 5 and kinds.count(torch.nn.MaxPool2d) == 3
