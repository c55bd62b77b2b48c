"""ember.vision.models: model architectures (torchvision.models); no pretrained weights are bundled."""
from .resnet import *  # noqa: F401,F403
from .resnet import __all__ as _resnet_all
from .lenet import LeNet5, lenet5  # noqa: F401
from .mlp import SeedMLP  # noqa: F401

__all__ = list(_resnet_all) + ["LeNet5", "lenet5", "SeedMLP"]
