"""A macro CNN search space for small images: per-layer operation, width, activation, skip.

The space of ``digits-macro``: a stem convolution, :data:`N_LAYERS` searched layers (layers
:data:`REDUCE_AT` halve the resolution, 8x8 -> 4x4 -> 2x2 on digits), global average pooling
and a linear classifier. Layer ``i`` chooses

* ``l{i}_op``: ``conv3x3``, ``conv1x1``, ``sepconv3x3`` (depthwise 3x3 then pointwise 1x1),
  ``maxpool3x3`` or ``identity`` (the last two project with a 1x1 convolution when the width or
  resolution changes);
* ``l{i}_width``: output channels in :data:`WIDTHS`;
* ``l{i}_act``: the activation after the convolutions;
* ``l{i}_skip``: add a residual shortcut around the layer (projected when the shape changes);

and the trial also chooses Adam's learning rate ``lr`` and ``weight_decay`` (log-uniform). In the
default encoding that is ``12 x (5 + 4 + 4 + 1) + 7 + 7 = 182`` bits. torch is imported only by
:meth:`MacroConfig.build`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from optuna_qnas.nas import suggest_choice


N_LAYERS = 12
LAYER_OPS = ("conv3x3", "conv1x1", "sepconv3x3", "maxpool3x3", "identity")
WIDTHS = (8, 16, 24, 32)
ACTIVATIONS = ("relu", "gelu", "silu", "tanh")
REDUCE_AT = (4, 8)
STEM_WIDTH = 16
LR_RANGE = (1e-3, 1e-1)
WEIGHT_DECAY_RANGE = (1e-6, 1e-2)


@dataclass(frozen=True)
class MacroLayer:
    """One searched layer of :class:`MacroConfig`."""

    op: str
    width: int
    activation: str
    skip: bool


@dataclass(frozen=True)
class MacroConfig:
    """One architecture and optimiser setting of :class:`MacroSpace`."""

    layers: tuple[MacroLayer, ...]
    lr: float
    weight_decay: float

    def build(self, *, input_shape: tuple[int, ...], num_classes: int) -> Any:
        """The network for ``(channels, height, width)`` inputs and ``num_classes`` outputs."""
        if len(input_shape) != 3:
            raise ValueError(
                f"The macro CNN takes (channels, height, width) images; got shape {input_shape}."
            )
        return _build(self.layers, in_channels=int(input_shape[0]), num_classes=num_classes)


class MacroSpace:
    """Define-by-run macro CNN space (see the module docstring).

    Args:
        n_layers:
            Number of searched layers (at least 1).
        ordinal:
            Integer view of every categorical choice (for CMA-ES); ``lr`` and ``weight_decay``
            stay log-scaled floats.
    """

    def __init__(self, *, n_layers: int = N_LAYERS, ordinal: bool = False) -> None:
        if isinstance(n_layers, bool) or not isinstance(n_layers, int) or n_layers < 1:
            raise ValueError(f"n_layers must be an integer >= 1; got {n_layers!r}.")
        self.n_layers = n_layers
        self.ordinal = bool(ordinal)

    def suggest(self, trial: Any) -> MacroConfig:
        """Ask the trial for a network and its optimiser settings."""
        layers = []
        for i in range(self.n_layers):
            layers.append(
                MacroLayer(
                    op=suggest_choice(trial, f"l{i}_op", LAYER_OPS, ordinal=self.ordinal),
                    width=int(suggest_choice(trial, f"l{i}_width", WIDTHS, ordinal=self.ordinal)),
                    activation=suggest_choice(
                        trial, f"l{i}_act", ACTIVATIONS, ordinal=self.ordinal
                    ),
                    skip=bool(suggest_choice(trial, f"l{i}_skip", (0, 1), ordinal=self.ordinal)),
                )
            )
        return MacroConfig(
            layers=tuple(layers),
            lr=float(trial.suggest_float("lr", *LR_RANGE, log=True)),
            weight_decay=float(trial.suggest_float("weight_decay", *WEIGHT_DECAY_RANGE, log=True)),
        )


def _build(layers: tuple[MacroLayer, ...], *, in_channels: int, num_classes: int) -> Any:
    import torch
    from torch import nn

    from optuna_qnas.nas._torch_modules import _activation

    def conv_bn(c_in: int, c_out: int, kernel: int, stride: int, groups: int = 1) -> list[Any]:
        return [
            nn.Conv2d(c_in, c_out, kernel, stride, kernel // 2, groups=groups, bias=False),
            nn.BatchNorm2d(c_out),
        ]

    class Layer(nn.Module):
        def __init__(self, layer: MacroLayer, c_in: int, stride: int) -> None:
            super().__init__()
            c_out = layer.width
            reshape = stride != 1 or c_in != c_out
            body: list[Any]
            if layer.op == "conv3x3":
                body = conv_bn(c_in, c_out, 3, stride)
            elif layer.op == "conv1x1":
                body = conv_bn(c_in, c_out, 1, stride)
            elif layer.op == "sepconv3x3":
                body = conv_bn(c_in, c_in, 3, stride, groups=c_in) + conv_bn(c_in, c_out, 1, 1)
            elif layer.op == "maxpool3x3":
                body = [nn.MaxPool2d(3, stride, 1)]
                body += conv_bn(c_in, c_out, 1, 1) if c_in != c_out else []
            elif layer.op == "identity":
                body = conv_bn(c_in, c_out, 1, stride) if reshape else [nn.Identity()]
            else:
                raise ValueError(f"Unknown layer op {layer.op!r}; valid: {LAYER_OPS}.")
            self.body = nn.Sequential(*body, _activation(layer.activation))
            self.shortcut: nn.Module | None = None
            if layer.skip:
                self.shortcut = (
                    nn.Sequential(*conv_bn(c_in, c_out, 1, stride)) if reshape else nn.Identity()
                )

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            out = self.body(x)
            return out + self.shortcut(x) if self.shortcut is not None else out

    class MacroCNN(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            modules: list[Any] = [*conv_bn(in_channels, STEM_WIDTH, 3, 1), nn.ReLU()]
            c = STEM_WIDTH
            for i, layer in enumerate(layers):
                modules.append(Layer(layer, c, 2 if i in REDUCE_AT else 1))
                c = layer.width
            self.features = nn.Sequential(*modules, nn.AdaptiveAvgPool2d(1), nn.Flatten())
            self.classifier = nn.Linear(c, num_classes)

        def forward(self, x: torch.Tensor) -> torch.Tensor:  # (N, C, H, W) -> (N, classes)
            return self.classifier(self.features(x))

    return MacroCNN()
