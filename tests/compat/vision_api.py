# torchvision idioms: transforms on PIL images, ImageFolder, models, make_grid (needs torchvision in the oracle).
import json, os, tempfile
import numpy as np
import torch
import torchvision
from torchvision import datasets, transforms, models
from torchvision.utils import make_grid
import torchvision.transforms.functional as TF
from PIL import Image

def R(name, v):
    if isinstance(v, torch.Tensor):
        v = v.detach().tolist()
    print('R', name, json.dumps(v), flush=True)

rng = np.random.default_rng(3)
arr = rng.integers(0, 256, (20, 24, 3), dtype=np.uint8)
img = Image.fromarray(arr)
t = transforms.Compose([transforms.Resize(16), transforms.CenterCrop(12), transforms.RandomHorizontalFlip(p=1.0),
                        transforms.ToTensor(), transforms.Normalize((0.5, 0.5, 0.5), (0.25, 0.25, 0.25))])
out = t(img)
R('shape', list(out.shape))
R('sum', round(out.sum().item(), 3))
R('corner', out[:, 0, 0])
R('gray', transforms.Grayscale()(img).getpixel((3, 4)))
R('pad', list(transforms.ToTensor()(transforms.Pad(2, fill=7)(img)).shape))
R('bright', TF.to_tensor(TF.adjust_brightness(img, 1.5))[:, 2, 2])
R('pil_to_tensor', TF.pil_to_tensor(img)[:, 1, 1])
R('to_pil_roundtrip', np.array(TF.to_pil_image(TF.to_tensor(img))).sum().item())
R('repr', repr(t).replace('torchvision.', ''))
root = tempfile.mkdtemp()
for cls in ('cat', 'dog'):
    os.makedirs(os.path.join(root, cls))
    for i in range(3):
        Image.fromarray(rng.integers(0, 256, (8, 8, 3), dtype=np.uint8)).save(os.path.join(root, cls, f'{i}.png'))
ds = datasets.ImageFolder(root, transform=transforms.ToTensor())
R('classes', ds.classes)
R('class_to_idx', sorted(ds.class_to_idx.items()))
R('len', len(ds))
x, y = ds[4]
R('item', [list(x.shape), y, round(x.mean().item(), 5)])
loader = torch.utils.data.DataLoader(ds, batch_size=4)
xb, yb = next(iter(loader))
R('batch', [list(xb.shape), yb.tolist()])
R('grid', list(make_grid(xb, nrow=2, padding=1).shape))
net = models.resnet18(num_classes=5)
R('resnet_params', sum(p.numel() for p in net.parameters()))
R('resnet_keys', list(net.state_dict().keys())[:8])
net.eval()
with torch.no_grad():
    R('resnet_out_shape', list(net(torch.zeros(2, 3, 32, 32)).shape))
