"""Train a small CNN on synthetic data, export it with ember.onnx.export and run it with onnxruntime.

Needs the onnx extra: pip install ember[onnx]  (onnx, onnxruntime).
The export declares a dynamic batch axis, so onnxruntime runs the graph on a batch size other
than the one it was traced with; the script prints the largest difference from ember's output.
"""
import os
import tempfile

import numpy as np

import ember as torch
import ember.nn as nn
import ember.nn.functional as F

torch.manual_seed(0)


class SmallCNN(nn.Module):
    def __init__(self, n_classes=4):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(8)
        self.conv2 = nn.Conv2d(8, 16, 3, padding=1)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.dropout = nn.Dropout(0.2)
        self.fc = nn.Linear(16, n_classes)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.bn1(self.conv1(x))), 2)
        x = F.gelu(self.conv2(x))
        x = self.pool(x).flatten(1)
        return self.fc(self.dropout(x))


def synthetic(n, n_classes=4):
    """Images of a bright square in one of four quadrants: the quadrant is the label."""
    y = torch.randint(0, n_classes, (n,))
    x = torch.randn(n, 1, 12, 12) * 0.3
    for q in range(n_classes):
        r, c = divmod(q, 2)
        mask = (y == q).float().view(n, 1, 1, 1)
        patch = torch.zeros(1, 1, 12, 12)
        patch[:, :, r * 6:(r + 1) * 6, c * 6:(c + 1) * 6] = 1.0
        x = x + mask * patch
    return x, y


def main():
    model = SmallCNN()
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    for step in range(30):
        x, y = synthetic(32)
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step % 10 == 0 or step == 29:
            print(f"step {step:2d}  loss {loss.item():.4f}")

    import onnx
    import onnxruntime as ort

    path = os.path.join(tempfile.mkdtemp(), "small_cnn.onnx")
    torch.onnx.export(model, torch.randn(2, 1, 12, 12), path, input_names=["input"], output_names=["logits"],
                      dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}})
    proto = onnx.load(path)
    onnx.checker.check_model(proto, full_check=True)
    print("exported", path, "nodes:", [n.op_type for n in proto.graph.node])

    x, y = synthetic(16)  # another batch size than the traced one
    model.eval()
    with torch.no_grad():
        ref = model(x).numpy()
    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    got = sess.run(None, {"input": x.numpy()})[0]
    print("accuracy (ember):", float((ref.argmax(1) == y.numpy()).mean()))
    print("max |onnxruntime - ember|:", float(np.abs(got - ref).max()))


if __name__ == "__main__":
    main()
