"""The seed document's autograd example, unchanged apart from the import line."""
import ember as torch

x = torch.tensor([[1, 2], [3, 4]], dtype=torch.float32,
                 device='cuda' if torch.cuda.is_available() else 'cpu')
print(x)

x = torch.ones(2, 2, requires_grad=True)
y = x + 2
z = y * y * 3
out = z.mean()
out.backward()  # d(out)/dx
print(x.grad)
