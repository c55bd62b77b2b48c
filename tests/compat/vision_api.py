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
# geometric transforms: functional forms, and the random classes with ranges that pin every draw
R('affine_pil', np.asarray(TF.affine(img, 30.0, [2, -1], 1.2, [10.0, -5.0], fill=(9, 8, 7))).sum(axis=(0, 1)).tolist())
R('affine_pil_bilinear', np.asarray(TF.affine(img, -15, (1, 1), 0.8, 5, transforms.InterpolationMode.BILINEAR,
                                              center=[3, 4])).astype(np.int64).sum().item())
timg = TF.to_tensor(img)
R('affine_tensor', TF.affine(timg, 30.0, [2, -1], 1.2, [10.0, -5.0], transforms.InterpolationMode.BILINEAR,
                             fill=[0.5, 0.5, 0.5])[:, 5, :6])
corners = [[0, 0], [23, 0], [23, 19], [0, 19]]
moved = [[3, 2], [21, 1], [22, 17], [1, 18]]
R('perspective_pil', np.asarray(TF.perspective(img, corners, moved, fill=[1, 2, 3])).astype(np.int64).sum().item())
R('perspective_tensor', TF.perspective(timg, corners, moved)[:, 10, :8])
R('perspective_nearest', TF.perspective(timg, corners, moved, transforms.InterpolationMode.NEAREST, fill=[0.25])[0, :4, :6])
fixed = transforms.RandomAffine((30, 30), translate=(0, 0), scale=(1.2, 1.2), shear=(10, 10, -5, -5), fill=3)
R('random_affine_fixed', np.asarray(fixed(img)).astype(np.int64).sum().item())
R('random_affine_repr', repr(fixed))
R('random_perspective_p0', TF.to_tensor(transforms.RandomPerspective(0.5, p=0.0)(img)).sum().item())
R('random_perspective_repr', repr(transforms.RandomPerspective(0.3, p=0.2)))
crops = transforms.FiveCrop(7)(img)
R('five_crop', [[c.size[0], c.size[1], np.asarray(c).astype(np.int64).sum().item()] for c in crops])
crops = transforms.TenCrop((5, 6), vertical_flip=True)(timg)
R('ten_crop', [round(c.sum().item(), 4) for c in crops])
R('crop_reprs', [repr(transforms.FiveCrop(7)), repr(transforms.TenCrop((5, 6), vertical_flip=True))])
disp = torch.tensor(np.linspace(-0.3, 0.3, 20 * 24 * 2, dtype=np.float32).reshape(1, 20, 24, 2))
R('elastic_tensor', TF.elastic_transform(timg, disp)[:, 7, :6])
R('elastic_pil', np.asarray(TF.elastic_transform(img, disp, fill=[4])).astype(np.int64).sum().item())
R('elastic_repr', repr(transforms.ElasticTransform(alpha=(1.0, 2.0), sigma=3.0)))
R('elastic_identity', TF.to_tensor(transforms.ElasticTransform(alpha=0.0, sigma=0.0)(img)).sum().item())
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
