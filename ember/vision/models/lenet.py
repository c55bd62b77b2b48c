"""LeNet-5 for 1x28x28 inputs (MNIST-sized), with optional BatchNorm and Dropout.

    conv1(1, 6, 5, padding=2) - ReLU - maxpool 2 - conv2(6, 16, 5) - ReLU - maxpool 2 - flatten
    - fc1(400, 120) - ReLU - fc2(120, 84) - ReLU - fc3(84, num_classes)

``batch_norm=True`` adds ``bn1``/``bn2`` (BatchNorm2d) after the convolutions and ``bn3``/``bn4``
(BatchNorm1d) after fc1/fc2, each before its ReLU; the layer in front of a BatchNorm then has no bias
(the BatchNorm's shift replaces it). ``dropout=p > 0`` adds one ``nn.Dropout(p)`` applied before fc2
and before fc3.
"""
import ember as torch
from ember import nn

__all__ = ["LeNet5", "lenet5"]


class LeNet5(nn.Module):
    def __init__(self, num_classes=10, in_channels=1, batch_norm=False, dropout=0.0):
        super().__init__()
        if not 0.0 <= dropout <= 1.0:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {dropout}")
        self.batch_norm = bool(batch_norm)
        bias = not self.batch_norm
        self.conv1 = nn.Conv2d(in_channels, 6, kernel_size=5, padding=2, bias=bias)
        self.conv2 = nn.Conv2d(6, 16, kernel_size=5, bias=bias)
        self.fc1 = nn.Linear(16 * 5 * 5, 120, bias=bias)
        self.fc2 = nn.Linear(120, 84, bias=bias)
        self.fc3 = nn.Linear(84, num_classes)
        if self.batch_norm:
            self.bn1 = nn.BatchNorm2d(6)
            self.bn2 = nn.BatchNorm2d(16)
            self.bn3 = nn.BatchNorm1d(120)
            self.bn4 = nn.BatchNorm1d(84)
        self.relu = nn.ReLU()
        self.pool = nn.MaxPool2d(2)
        self.dropout = nn.Dropout(dropout) if dropout > 0 else None

    def forward(self, x):
        bn = self.batch_norm
        x = self.conv1(x)
        x = self.pool(self.relu(self.bn1(x) if bn else x))
        x = self.conv2(x)
        x = self.pool(self.relu(self.bn2(x) if bn else x))
        x = torch.flatten(x, 1)
        x = self.fc1(x)
        x = self.relu(self.bn3(x) if bn else x)
        if self.dropout is not None:
            x = self.dropout(x)
        x = self.fc2(x)
        x = self.relu(self.bn4(x) if bn else x)
        if self.dropout is not None:
            x = self.dropout(x)
        return self.fc3(x)


def lenet5(**kwargs):
    """``LeNet5(**kwargs)``."""
    return LeNet5(**kwargs)
