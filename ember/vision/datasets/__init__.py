"""ember.vision.datasets: torchvision.datasets (MNIST family, CIFAR, folders, FakeData).

Same classes, constructor arguments, attributes, item types, ``repr`` and on-disk layouts as
torchvision. ember-specific: ``download=True`` looks in local mirrors first (``EMBER_DATASETS_MIRROR``,
``utils.LOCAL_MIRRORS``); CIFAR is read from the binary version (or, without unpickling code, from
torchvision's python version); and the datasets serve whole batches through ``__getitems__`` with one
vectorized ``transform.batch`` call (see :mod:`ember.vision.datasets.vision`).
"""
from .cifar import CIFAR10, CIFAR100
from .fakedata import FakeData
from .folder import DatasetFolder, ImageFolder
from .mnist import EMNIST, KMNIST, MNIST, QMNIST, FashionMNIST
from .vision import StandardTransform, VisionDataset

__all__ = ("MNIST", "FashionMNIST", "KMNIST", "EMNIST", "QMNIST", "CIFAR10", "CIFAR100", "DatasetFolder",
           "ImageFolder", "FakeData", "VisionDataset", "StandardTransform")
