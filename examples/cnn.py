"""LeNet-5 with BatchNorm and Dropout on Fashion-MNIST, with a learning-rate schedule.

Written exactly as a PyTorch program (only the imports name ember), including the GPU path:
it trains on CUDA when ember.cuda.is_available() (CuPy and an NVIDIA GPU), else on the CPU.

    python examples/cnn.py [--epochs 5] [--plot lenet_curves.png]
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _report import ProgressLoader, evaluate, plot_curves  # noqa: E402

import ember as torch  # noqa: E402
import ember.nn as nn  # noqa: E402
from ember.vision import datasets, transforms  # noqa: E402
from ember.vision.models import LeNet5  # noqa: E402

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--epochs", type=int, default=5)
parser.add_argument("--batch-size", type=int, default=64)
parser.add_argument("--lr", type=float, default=2e-3)
parser.add_argument("--plot", default="lenet_curves.png")
parser.add_argument("--seed", type=int, default=0)
args = parser.parse_args()

torch.manual_seed(args.seed)
device = torch.device('cuda' if torch.cuda.is_available() else 'cpu')
print(f"Training on {device}")

transform = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.2860,), (0.3530,))])
trainset = datasets.FashionMNIST(root='./data', train=True, download=True, transform=transform)
testset = datasets.FashionMNIST(root='./data', train=False, download=True, transform=transform)
trainloader = torch.utils.data.DataLoader(trainset, batch_size=args.batch_size, shuffle=True)
testloader = torch.utils.data.DataLoader(testset, batch_size=1000)

model = LeNet5(num_classes=10, batch_norm=True, dropout=0.25).to(device)
criterion = nn.CrossEntropyLoss()
optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=args.lr, epochs=args.epochs,
                                                steps_per_epoch=len(trainloader))

progress = ProgressLoader(trainloader, loss_fn=lambda: globals().get("loss"), epochs=args.epochs,
                          on_epoch_end=lambda h: evaluate(model, testloader, device, history=h))
for epoch in range(args.epochs):
    model.train()
    for images, labels in progress:
        images, labels = images.to(device), labels.to(device)
        outputs = model(images)
        loss = criterion(outputs, labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        scheduler.step()
    print(f"Epoch {epoch+1} Loss: {loss.item():.4f} lr: {scheduler.get_last_lr()[0]:.2e} "
          f"test accuracy: {progress.history['test_acc'][-1]:.2%}")

history = progress.history
print(f"Test accuracy: {history['test_acc'][-1]:.2%} ({sum(history['seconds']):.1f} s of training)")
plot_curves(history, args.plot, title="LeNet-5 (BatchNorm, Dropout, OneCycleLR) on Fashion-MNIST")
print(f"Training curves written to {args.plot}")
