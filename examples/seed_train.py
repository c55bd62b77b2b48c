"""The seed document's training-loop snippets, unchanged apart from the import lines.

SimpleNN (Linear 784->128, ReLU, Linear 128->10), Adam(lr=0.001), CrossEntropyLoss and a
TensorDataset/DataLoader(batch_size=32, shuffle=True) train on a synthetic 10-class problem
(ten noisy 784-pixel prototypes), then the model is saved, reloaded and evaluated.
"""
import os
import tempfile

import ember as torch
import ember.nn as nn
from ember.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)
device = torch.device('cuda' if torch.cuda.is_available() else 'cpu')


class SimpleNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(784, 128)
        self.relu = nn.ReLU()
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = self.relu(self.fc1(x))
        return self.fc2(x)


# ten prototype "images" and noisy samples of each
prototypes = torch.rand(10, 784)
y = torch.randint(0, 10, (6000,))
X = prototypes[y] + 3.0 * torch.randn(6000, 784)

dataset = TensorDataset(X, y)
dataloader = DataLoader(dataset, batch_size=32, shuffle=True)

model = SimpleNN().to(device)
criterion = nn.CrossEntropyLoss()
optimizer = torch.optim.Adam(model.parameters(), lr=0.001)

for epoch in range(5):
    for inputs, labels in dataloader:
        inputs, labels = inputs.to(device), labels.to(device)
        outputs = model(inputs)
        loss = criterion(outputs, labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(f"Epoch {epoch+1} Loss: {loss.item():.4f}")

# modules save and load as a whole
path = os.path.join(tempfile.mkdtemp(), "simple_nn.pt")
torch.save(model.state_dict(), path)
restored = SimpleNN()
restored.load_state_dict(torch.load(path))
restored.to(device).eval()

X_test = prototypes[y[:1000]] + 3.0 * torch.randn(1000, 784)
with torch.no_grad():
    predicted = restored(X_test.to(device)).argmax(dim=1).cpu()
accuracy = (predicted == y[:1000]).float().mean().item()
print(f"Test accuracy (reloaded model): {accuracy:.2%}")
