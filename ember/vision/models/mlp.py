"""The seed document's ``Net``: a 784-128-64-10 multilayer perceptron for flattened MNIST images.

Parameter names (``fc1``, ``fc2``, ``fc3``) and the forward pass (``x.view(-1, 28*28)`` then
``torch.relu``) are the seed's, so a state_dict saved from the seed's model loads into this one.
"""
import ember as torch
from ember import nn

__all__ = ["SeedMLP"]


class SeedMLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(28 * 28, 128)
        self.fc2 = nn.Linear(128, 64)
        self.fc3 = nn.Linear(64, 10)

    def forward(self, x):
        x = x.view(-1, 28 * 28)
        x = torch.relu(self.fc1(x))
        x = torch.relu(self.fc2(x))
        return self.fc3(x)
