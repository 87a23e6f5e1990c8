"""PyTorch modules: a fully connected MLP and a small CNN for 28x28 grey images."""

from __future__ import annotations

from collections.abc import Iterable
from numbers import Integral

from torch import nn

ACTIVATIONS: dict[str, type[nn.Module]] = {
    "relu": nn.ReLU,
    "leakyrelu": nn.LeakyReLU,
    "gelu": nn.GELU,
    "elu": nn.ELU,
    "tanh": nn.Tanh,
    "sigmoid": nn.Sigmoid,
}
WEIGHT_INITS = ("he", "xavier")
#: Spatial size of the CNN feature map after each block: pooling stops once the map is 3x3.
CNN_POOLED_BLOCKS = 3


def check_choice(name: str, value: object, allowed: Iterable[object]) -> None:
    """Raise ``ValueError`` naming ``value`` and the allowed values unless ``value`` is allowed."""
    allowed = list(allowed)
    if value not in allowed:
        raise ValueError(f"unknown {name} {value!r}; allowed: {allowed}")


def check_positive_int(name: str, value: object) -> None:
    """Raise ``ValueError`` unless ``value`` is a positive integer."""
    if isinstance(value, bool) or not isinstance(value, Integral) or value <= 0:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")


def check_architecture(width: int, depth: int, activation: str, dropout_p: float, weight_init: str) -> None:
    """Validate the hyperparameters shared by :class:`MLP` and :class:`CNN`."""
    check_positive_int("width", width)
    check_positive_int("depth", depth)
    check_choice("activation", activation, ACTIVATIONS)
    check_choice("weight_init", weight_init, WEIGHT_INITS)
    if not 0.0 <= float(dropout_p) < 1.0:
        raise ValueError(f"dropout_p must lie in [0, 1), got {dropout_p!r}")


def _gain_name(activation: str) -> str:
    return {"leakyrelu": "leaky_relu", "tanh": "tanh", "sigmoid": "sigmoid"}.get(activation, "relu")


def init_weights(module: nn.Module, weight_init: str, activation: str) -> None:
    """He (Kaiming normal) or Xavier (uniform) init of every linear/conv weight; zero biases."""
    nonlinearity = _gain_name(activation)
    for m in module.modules():
        if isinstance(m, (nn.Linear, nn.Conv2d)):
            if weight_init == "he":
                nn.init.kaiming_normal_(m.weight, nonlinearity=nonlinearity)
            else:
                nn.init.xavier_uniform_(m.weight, gain=nn.init.calculate_gain(nonlinearity))
            if m.bias is not None:
                nn.init.zeros_(m.bias)


def count_parameters(module: nn.Module) -> int:
    """Number of trainable parameters."""
    return sum(p.numel() for p in module.parameters() if p.requires_grad)


class MLP(nn.Module):
    """``depth`` blocks of Linear -> BatchNorm (optional) -> activation -> Dropout, then a linear head."""

    def __init__(
        self,
        width: int = 256,
        depth: int = 3,
        activation: str = "relu",
        dropout_p: float = 0.0,
        use_bn: bool = True,
        weight_init: str = "he",
        n_inputs: int = 28 * 28,
        n_classes: int = 10,
    ) -> None:
        super().__init__()
        check_architecture(width, depth, activation, dropout_p, weight_init)
        layers: list[nn.Module] = [nn.Flatten()]
        fan_in = n_inputs
        for _ in range(depth):
            layers.append(nn.Linear(fan_in, width))
            if use_bn:
                layers.append(nn.BatchNorm1d(width))
            layers.append(ACTIVATIONS[activation]())
            if dropout_p > 0:
                layers.append(nn.Dropout(dropout_p))
            fan_in = width
        layers.append(nn.Linear(fan_in, n_classes))
        self.net = nn.Sequential(*layers)
        init_weights(self, weight_init, activation)

    def forward(self, x):
        return self.net(x)


class CNN(nn.Module):
    """``depth`` blocks of 3x3 Conv(``width``) -> BatchNorm (optional) -> activation -> MaxPool -> Dropout.

    Only the first three blocks pool (28 -> 14 -> 7 -> 3); deeper blocks keep the 3x3 map,
    so every depth from 1 to 5 works on 28x28 inputs. A linear head reads the flattened map.
    """

    def __init__(
        self,
        width: int = 128,
        depth: int = 3,
        activation: str = "relu",
        dropout_p: float = 0.0,
        use_bn: bool = False,
        weight_init: str = "he",
        in_channels: int = 1,
        image_size: int = 28,
        n_classes: int = 10,
    ) -> None:
        super().__init__()
        check_architecture(width, depth, activation, dropout_p, weight_init)
        blocks: list[nn.Module] = []
        channels, size = in_channels, image_size
        for i in range(depth):
            blocks.append(nn.Conv2d(channels, width, kernel_size=3, padding=1))
            if use_bn:
                blocks.append(nn.BatchNorm2d(width))
            blocks.append(ACTIVATIONS[activation]())
            if i < CNN_POOLED_BLOCKS:
                blocks.append(nn.MaxPool2d(2))
                size //= 2
            if dropout_p > 0:
                blocks.append(nn.Dropout(dropout_p))
            channels = width
        self.features = nn.Sequential(*blocks)
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(channels * size * size, n_classes))
        init_weights(self, weight_init, activation)

    def forward(self, x):
        return self.head(self.features(x))
