"""ember.vision.models / ember.vision.utils and the example scripts' report helpers.

torchvision is not installed: its source is the spec. The torch references below are torchvision's
resnet.py and utils.make_grid ported line for line to plain torch / torch.nn.
"""
import importlib.util
import io
import math
import os
import subprocess
import sys
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import ember
import ember.vision as tv
from tests.helpers import needs_torch, torch

PIL = pytest.importorskip("PIL")
from PIL import Image  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


# =========================================================================== torch references
if torch is not None:
    tnn = torch.nn

    def t_conv3x3(i, o, stride=1, groups=1, dilation=1):
        return tnn.Conv2d(i, o, 3, stride=stride, padding=dilation, groups=groups, bias=False, dilation=dilation)

    def t_conv1x1(i, o, stride=1):
        return tnn.Conv2d(i, o, 1, stride=stride, bias=False)

    class TBasicBlock(tnn.Module):
        expansion = 1

        def __init__(self, inplanes, planes, stride=1, downsample=None, groups=1, base_width=64, dilation=1,
                     norm_layer=None):
            super().__init__()
            self.conv1 = t_conv3x3(inplanes, planes, stride)
            self.bn1 = tnn.BatchNorm2d(planes)
            self.relu = tnn.ReLU(inplace=True)
            self.conv2 = t_conv3x3(planes, planes)
            self.bn2 = tnn.BatchNorm2d(planes)
            self.downsample = downsample
            self.stride = stride

        def forward(self, x):
            identity = x
            out = self.relu(self.bn1(self.conv1(x)))
            out = self.bn2(self.conv2(out))
            if self.downsample is not None:
                identity = self.downsample(x)
            out += identity
            return self.relu(out)

    class TBottleneck(tnn.Module):
        expansion = 4

        def __init__(self, inplanes, planes, stride=1, downsample=None, groups=1, base_width=64, dilation=1,
                     norm_layer=None):
            super().__init__()
            width = int(planes * (base_width / 64.0)) * groups
            self.conv1 = t_conv1x1(inplanes, width)
            self.bn1 = tnn.BatchNorm2d(width)
            self.conv2 = t_conv3x3(width, width, stride, groups, dilation)
            self.bn2 = tnn.BatchNorm2d(width)
            self.conv3 = t_conv1x1(width, planes * self.expansion)
            self.bn3 = tnn.BatchNorm2d(planes * self.expansion)
            self.relu = tnn.ReLU(inplace=True)
            self.downsample = downsample
            self.stride = stride

        def forward(self, x):
            identity = x
            out = self.relu(self.bn1(self.conv1(x)))
            out = self.relu(self.bn2(self.conv2(out)))
            out = self.bn3(self.conv3(out))
            if self.downsample is not None:
                identity = self.downsample(x)
            out += identity
            return self.relu(out)

    class TResNet(tnn.Module):
        def __init__(self, block, layers, num_classes=1000, groups=1, width_per_group=64,
                     replace_stride_with_dilation=None):
            super().__init__()
            self.inplanes, self.dilation = 64, 1
            rswd = replace_stride_with_dilation or [False, False, False]
            self.groups, self.base_width = groups, width_per_group
            self.conv1 = tnn.Conv2d(3, 64, kernel_size=7, stride=2, padding=3, bias=False)
            self.bn1 = tnn.BatchNorm2d(64)
            self.relu = tnn.ReLU(inplace=True)
            self.maxpool = tnn.MaxPool2d(kernel_size=3, stride=2, padding=1)
            self.layer1 = self._make_layer(block, 64, layers[0])
            self.layer2 = self._make_layer(block, 128, layers[1], stride=2, dilate=rswd[0])
            self.layer3 = self._make_layer(block, 256, layers[2], stride=2, dilate=rswd[1])
            self.layer4 = self._make_layer(block, 512, layers[3], stride=2, dilate=rswd[2])
            self.avgpool = tnn.AdaptiveAvgPool2d((1, 1))
            self.fc = tnn.Linear(512 * block.expansion, num_classes)

        def _make_layer(self, block, planes, blocks, stride=1, dilate=False):
            downsample = None
            previous_dilation = self.dilation
            if dilate:
                self.dilation *= stride
                stride = 1
            if stride != 1 or self.inplanes != planes * block.expansion:
                downsample = tnn.Sequential(t_conv1x1(self.inplanes, planes * block.expansion, stride),
                                            tnn.BatchNorm2d(planes * block.expansion))
            layers = [block(self.inplanes, planes, stride, downsample, self.groups, self.base_width,
                            previous_dilation)]
            self.inplanes = planes * block.expansion
            for _ in range(1, blocks):
                layers.append(block(self.inplanes, planes, groups=self.groups, base_width=self.base_width,
                                    dilation=self.dilation))
            return tnn.Sequential(*layers)

        def forward(self, x):
            x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
            x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
            return self.fc(torch.flatten(self.avgpool(x), 1))

    class TLeNet5(tnn.Module):
        def __init__(self, num_classes=10, batch_norm=False):
            super().__init__()
            b = not batch_norm
            self.conv1 = tnn.Conv2d(1, 6, 5, padding=2, bias=b)
            self.conv2 = tnn.Conv2d(6, 16, 5, bias=b)
            self.fc1 = tnn.Linear(400, 120, bias=b)
            self.fc2 = tnn.Linear(120, 84, bias=b)
            self.fc3 = tnn.Linear(84, num_classes)
            self.bn = batch_norm
            if batch_norm:
                self.bn1, self.bn2 = tnn.BatchNorm2d(6), tnn.BatchNorm2d(16)
                self.bn3, self.bn4 = tnn.BatchNorm1d(120), tnn.BatchNorm1d(84)

        def forward(self, x):
            n = (lambda m, v: m(v)) if self.bn else (lambda m, v: v)
            f = torch.nn.functional
            x = f.max_pool2d(f.relu(n(getattr(self, "bn1", None), self.conv1(x))), 2)
            x = f.max_pool2d(f.relu(n(getattr(self, "bn2", None), self.conv2(x))), 2)
            x = torch.flatten(x, 1)
            x = f.relu(n(getattr(self, "bn3", None), self.fc1(x)))
            x = f.relu(n(getattr(self, "bn4", None), self.fc2(x)))
            return self.fc3(x)

    class TNet(tnn.Module):  # the seed's Net
        def __init__(self):
            super().__init__()
            self.fc1 = tnn.Linear(28 * 28, 128)
            self.fc2 = tnn.Linear(128, 64)
            self.fc3 = tnn.Linear(64, 10)

        def forward(self, x):
            x = x.view(-1, 28 * 28)
            x = torch.relu(self.fc1(x))
            x = torch.relu(self.fc2(x))
            return self.fc3(x)

    @torch.no_grad()
    def t_make_grid(tensor, nrow=8, padding=2, normalize=False, value_range=None, scale_each=False, pad_value=0.0):
        """torchvision.utils.make_grid, verbatim apart from the name."""
        if isinstance(tensor, list):
            tensor = torch.stack(tensor, dim=0)
        if tensor.dim() == 2:
            tensor = tensor.unsqueeze(0)
        if tensor.dim() == 3:
            if tensor.size(0) == 1:
                tensor = torch.cat((tensor, tensor, tensor), 0)
            tensor = tensor.unsqueeze(0)
        if tensor.dim() == 4 and tensor.size(1) == 1:
            tensor = torch.cat((tensor, tensor, tensor), 1)
        if normalize is True:
            tensor = tensor.clone()

            def norm_ip(img, low, high):
                img.clamp_(min=low, max=high)
                img.sub_(low).div_(max(high - low, 1e-5))

            def norm_range(t, value_range):
                if value_range is not None:
                    norm_ip(t, value_range[0], value_range[1])
                else:
                    norm_ip(t, float(t.min()), float(t.max()))

            if scale_each is True:
                for t in tensor:
                    norm_range(t, value_range)
            else:
                norm_range(tensor, value_range)
        if tensor.size(0) == 1:
            return tensor.squeeze(0)
        nmaps = tensor.size(0)
        xmaps = min(nrow, nmaps)
        ymaps = int(math.ceil(float(nmaps) / xmaps))
        height, width = int(tensor.size(2) + padding), int(tensor.size(3) + padding)
        num_channels = tensor.size(1)
        grid = tensor.new_full((num_channels, height * ymaps + padding, width * xmaps + padding), pad_value)
        k = 0
        for y in range(ymaps):
            for x in range(xmaps):
                if k >= nmaps:
                    break
                grid.narrow(1, y * height + padding, height - padding).narrow(
                    2, x * width + padding, width - padding).copy_(tensor[k])
                k = k + 1
        return grid

    def t_save_array(tensor, **kwargs):
        """The uint8 HxWxC array torchvision.utils.save_image hands to Pillow."""
        grid = t_make_grid(tensor, **kwargs)
        return grid.mul(255).add_(0.5).clamp_(0, 255).permute(1, 2, 0).to("cpu", torch.uint8).numpy()


def to_torch_model(e_model, t_model):
    """Copy an ember model's full state (parameters and buffers) into a torch model of the same structure."""
    sd = {k: torch.from_numpy(np.array(v.numpy())) for k, v in e_model.state_dict().items()}
    t_model.load_state_dict(sd)
    return t_model


def close(e, t, rtol=1e-4, atol=1e-5):
    np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), rtol=rtol, atol=atol)


# ============================================================================ lazy loading
def test_vision_lazy_attributes():
    code = ("import sys, ember.vision as tv\n"
            "assert 'ember.vision.models' not in sys.modules and 'ember.vision.utils' not in sys.modules\n"
            "assert callable(tv.models.resnet18) and callable(tv.utils.make_grid)\n"
            "import ember.vision.models, ember.vision.utils\n"
            "assert tv.models is sys.modules['ember.vision.models']\n"
            "try:\n    tv.nonexistent\nexcept AttributeError as e:\n    print('AE', e)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert "AE module 'ember.vision' has no attribute 'nonexistent'" in out.stdout


# ============================================================================ ResNet structure
# torchvision's resnet18 state_dict, written out from its source (conv/bn names, downsample.0/.1).
def _expected_resnet18_keys():
    bn = ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]
    keys = [("conv1.weight", (64, 3, 7, 7))] + [(f"bn1.{b}", (64,) if b != "num_batches_tracked" else ())
                                                for b in bn]
    inplanes = 64
    for li, planes in enumerate([64, 128, 256, 512], 1):
        for bi in range(2):
            stride = 2 if (li > 1 and bi == 0) else 1
            cin = inplanes if bi == 0 else planes
            p = f"layer{li}.{bi}."
            keys.append((p + "conv1.weight", (planes, cin, 3, 3)))
            keys += [(p + f"bn1.{b}", (planes,) if b != "num_batches_tracked" else ()) for b in bn]
            keys.append((p + "conv2.weight", (planes, planes, 3, 3)))
            keys += [(p + f"bn2.{b}", (planes,) if b != "num_batches_tracked" else ()) for b in bn]
            if bi == 0 and (stride != 1 or cin != planes):
                keys.append((p + "downsample.0.weight", (planes, cin, 1, 1)))
                keys += [(p + f"downsample.1.{b}", (planes,) if b != "num_batches_tracked" else ()) for b in bn]
        inplanes = planes
    keys += [("fc.weight", (1000, 512)), ("fc.bias", (1000,))]
    return keys


def test_resnet18_state_dict_matches_torchvision():
    m = tv.models.resnet18()
    got = [(k, tuple(v.shape)) for k, v in m.state_dict().items()]
    assert got == _expected_resnet18_keys()
    assert sum(p.numel() for p in m.parameters()) == 11689512  # torchvision's resnet18 parameter count
    assert m.state_dict()["bn1.num_batches_tracked"].dtype == ember.int64
    names = dict(m.named_modules())
    assert isinstance(names["layer2.0.downsample"], ember.nn.Sequential)
    assert isinstance(names["maxpool"], ember.nn.MaxPool2d) and isinstance(names["avgpool"], ember.nn.AdaptiveAvgPool2d)
    assert names["relu"].inplace is True and names["layer1.0.relu"].inplace is True
    assert "layer1.0.downsample" not in names


@needs_torch
@pytest.mark.parametrize("ctor, t_block, layers", [
    ("resnet34", "TBasicBlock", [3, 4, 6, 3]),
    ("resnet50", "TBottleneck", [3, 4, 6, 3]),
    ("resnext50_32x4d", "TBottleneck", [3, 4, 6, 3]),
])
def test_resnet_family_state_dict_matches_torch_port(ctor, t_block, layers):
    m = getattr(tv.models, ctor)()
    kw = {"groups": 32, "width_per_group": 4} if ctor.startswith("resnext") else {}
    ref = TResNet(globals()[t_block], layers, **kw)
    got = [(k, tuple(v.shape)) for k, v in m.state_dict().items()]
    want = [(k, tuple(v.shape)) for k, v in ref.state_dict().items()]
    assert got == want
    if ctor == "resnet50":
        assert sum(p.numel() for p in m.parameters()) == 25557032


def test_resnet_init():
    m = tv.models.resnet18(num_classes=10)
    w = m.layer3[0].conv2.weight  # (256, 256, 3, 3)
    fan_out = 256 * 9
    std = float(w.std())
    assert abs(std - math.sqrt(2.0 / fan_out)) < 0.03 * math.sqrt(2.0 / fan_out)
    assert abs(float(w.mean())) < 1e-3
    for name, mod in m.named_modules():
        if isinstance(mod, ember.nn.BatchNorm2d):
            assert bool((mod.weight == 1).all()) and bool((mod.bias == 0).all()), name
    assert float(m.fc.weight.abs().max()) <= 1 / math.sqrt(512)  # Linear's own default init
    z = tv.models.resnet18(zero_init_residual=True)
    assert all(bool((blk.bn2.weight == 0).all()) and bool((blk.bn1.weight == 1).all())
               for layer in (z.layer1, z.layer2, z.layer3, z.layer4) for blk in layer)
    z50 = tv.models.ResNet(tv.models.Bottleneck, [1, 1, 1, 1], zero_init_residual=True)
    assert all(bool((blk.bn3.weight == 0).all()) and bool((blk.bn2.weight == 1).all())
               for layer in (z50.layer1, z50.layer4) for blk in layer)
    # seeded: the same seed builds the same model
    ember.manual_seed(3)
    a = tv.models.resnet18(num_classes=10)
    ember.manual_seed(3)
    b = tv.models.resnet18(num_classes=10)
    assert all(np.array_equal(x.detach().numpy(), y.detach().numpy()) for x, y in zip(a.parameters(), b.parameters()))


def test_resnet_errors():
    with pytest.raises(ValueError, match="BasicBlock only supports groups=1 and base_width=64"):
        tv.models.ResNet(tv.models.BasicBlock, [1, 1, 1, 1], groups=2)
    with pytest.raises(NotImplementedError, match="Dilation > 1 not supported in BasicBlock"):
        tv.models.ResNet(tv.models.BasicBlock, [1, 1, 1, 2], replace_stride_with_dilation=[False, False, True])
    with pytest.raises(ValueError, match="replace_stride_with_dilation should be None or a 3-element tuple, "
                                         r"got \[True\]"):
        tv.models.ResNet(tv.models.Bottleneck, [1, 1, 1, 1], replace_stride_with_dilation=[True])
    with pytest.raises(ValueError, match="not bundled"):
        tv.models.resnet18(weights="IMAGENET1K_V1")
    with pytest.raises(ValueError, match="not bundled"):
        tv.models.resnet50(weights="/nonexistent/resnet50.pth")
    with pytest.raises(ValueError, match="not bundled"):
        with pytest.warns(UserWarning, match="'pretrained' is deprecated"):
            tv.models.resnet18(pretrained=True)
    with pytest.warns(UserWarning, match="'pretrained' is deprecated"):
        m = tv.models.resnet18(pretrained=False, num_classes=3)
    assert m.fc.out_features == 3
    with pytest.raises(TypeError):
        tv.models.resnet18(True)  # weights is keyword-only, as in torchvision


def test_resnet_weights_from_local_state_dict(tmp_path):
    src = tv.models.resnet18(num_classes=7)
    path = tmp_path / "r18.pt"
    ember.save(src.state_dict(), str(path))
    for w in (str(path), path, src.state_dict()):
        m = tv.models.resnet18(weights=w)  # num_classes follows fc.weight
        assert m.fc.out_features == 7
        for (k, a), b in zip(m.state_dict().items(), src.state_dict().values()):
            assert np.array_equal(a.numpy(), b.numpy()), k


# ============================================================================ ResNet numerics
def _check_parity(e_model, t_model, x_np):
    """Outputs in float32 (train mode: batch statistics; then eval mode), and forward + backward in float64.

    Gradients are compared in float64: in float32 a normalized activation within ~1e-7 of zero can take
    either sign in two correct implementations, and the ReLU after it then routes a whole gradient
    element differently (torch's own float32 result differs from its float64 one the same way).
    """
    to_torch_model(e_model, t_model)
    sd = {k: v.clone() for k, v in e_model.state_dict().items()}
    e_model.train()
    t_model.train()
    with ember.no_grad(), torch.no_grad():
        close(e_model(ember.tensor(x_np)), t_model(torch.tensor(x_np)))
    tb = dict(t_model.named_buffers())
    for name, b in e_model.named_buffers():  # running statistics updated the same way
        np.testing.assert_allclose(b.numpy(), tb[name].numpy(), rtol=1e-4, atol=1e-5, err_msg=name)
    e_model.eval()
    t_model.eval()
    with ember.no_grad(), torch.no_grad():
        close(e_model(ember.tensor(x_np)), t_model(torch.tensor(x_np)))

    e_model.load_state_dict(sd)
    e_model.double().train()
    to_torch_model(e_model, t_model.double()).train()
    x64 = x_np.astype(np.float64)
    xe = ember.tensor(x64, requires_grad=True)
    xt = torch.tensor(x64, requires_grad=True)
    ye, yt = e_model(xe), t_model(xt)
    assert ye.dtype == ember.float64
    close(ye, yt, rtol=1e-10, atol=1e-12)
    g = np.random.default_rng(5).standard_normal(ye.shape)
    ye.backward(ember.tensor(g))
    yt.backward(torch.tensor(g))
    close(xe.grad, xt.grad, rtol=1e-8, atol=1e-12)
    tp = dict(t_model.named_parameters())
    for name, p in e_model.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), tp[name].grad.numpy(), rtol=1e-8, atol=1e-12, err_msg=name)


@needs_torch
def test_resnet18_forward_backward_matches_torch():
    x = np.random.default_rng(0).standard_normal((4, 3, 48, 48)).astype(np.float32)
    m = tv.models.resnet18(num_classes=10)
    # non-trivial BN affine parameters and running stats so that every term is exercised
    rng = np.random.default_rng(1)
    with ember.no_grad():
        for mod in m.modules():
            if isinstance(mod, ember.nn.BatchNorm2d):
                c = mod.num_features
                mod.weight.copy_(ember.tensor(rng.uniform(0.5, 1.5, c).astype(np.float32)))
                mod.bias.copy_(ember.tensor(rng.uniform(-0.2, 0.2, c).astype(np.float32)))
                mod.running_mean.copy_(ember.tensor(rng.uniform(-0.1, 0.1, c).astype(np.float32)))
                mod.running_var.copy_(ember.tensor(rng.uniform(0.5, 2.0, c).astype(np.float32)))
    _check_parity(m, TResNet(TBasicBlock, [2, 2, 2, 2], num_classes=10), x)


@needs_torch
@pytest.mark.parametrize("kw", [{}, {"groups": 2, "width_per_group": 32},
                                {"replace_stride_with_dilation": [False, True, True]}])
def test_bottleneck_resnet_matches_torch(kw):
    x = np.random.default_rng(2).standard_normal((3, 3, 40, 40)).astype(np.float32)
    m = tv.models.ResNet(tv.models.Bottleneck, [1, 1, 1, 1], num_classes=5, **kw)
    _check_parity(m, TResNet(TBottleneck, [1, 1, 1, 1], num_classes=5, **kw), x)


def test_resnet_output_shapes_and_training_step():
    m = tv.models.ResNet(tv.models.BasicBlock, [1, 1, 1, 1], num_classes=4)
    x = ember.randn(3, 3, 32, 40)
    y = ember.tensor([0, 1, 3])
    opt = ember.optim.SGD(m.parameters(), lr=0.05, momentum=0.9)
    losses = []
    for _ in range(4):
        loss = ember.nn.functional.cross_entropy(m(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0]
    assert int(m.bn1.num_batches_tracked) == 4
    assert tuple(m.eval()(ember.randn(1, 3, 50, 36)).shape) == (1, 4)


# ============================================================================ LeNet5 / SeedMLP
def test_lenet5_structure():
    m = tv.models.LeNet5()
    assert [(k, tuple(v.shape)) for k, v in m.state_dict().items()] == [
        ("conv1.weight", (6, 1, 5, 5)), ("conv1.bias", (6,)), ("conv2.weight", (16, 6, 5, 5)), ("conv2.bias", (16,)),
        ("fc1.weight", (120, 400)), ("fc1.bias", (120,)), ("fc2.weight", (84, 120)), ("fc2.bias", (84,)),
        ("fc3.weight", (10, 84)), ("fc3.bias", (10,))]
    assert sum(p.numel() for p in m.parameters()) == 61706  # the classic LeNet-5 count
    assert tuple(m(ember.randn(4, 1, 28, 28)).shape) == (4, 10)
    bn = tv.models.LeNet5(num_classes=7, batch_norm=True, dropout=0.3)
    keys = list(bn.state_dict())
    assert "conv1.bias" not in keys and "fc3.bias" in keys
    assert {"bn1.running_mean", "bn2.weight", "bn3.running_var", "bn4.bias"} <= set(keys)
    assert isinstance(bn.bn3, ember.nn.BatchNorm1d) and isinstance(bn.bn2, ember.nn.BatchNorm2d)
    assert bn.dropout.p == 0.3
    assert tuple(bn(ember.randn(5, 1, 28, 28)).shape) == (5, 7)
    with pytest.raises(ValueError, match="between 0 and 1"):
        tv.models.LeNet5(dropout=1.5)


@needs_torch
@pytest.mark.parametrize("batch_norm", [False, True])
def test_lenet5_matches_torch(batch_norm):
    x = np.random.default_rng(3).standard_normal((6, 1, 28, 28)).astype(np.float32)
    _check_parity(tv.models.LeNet5(batch_norm=batch_norm), TLeNet5(batch_norm=batch_norm), x)


def test_lenet5_dropout_modes():
    m = tv.models.LeNet5(batch_norm=True, dropout=0.5)
    x = ember.randn(8, 1, 28, 28)
    m.train()
    assert not np.allclose(m(x).detach().numpy(), m(x).detach().numpy())
    m.eval()
    assert np.array_equal(m(x).detach().numpy(), m(x).detach().numpy())
    # dropout=0 keeps no Dropout module and train-mode output is deterministic for a fixed batch
    m0 = tv.models.LeNet5(dropout=0.0)
    assert not any(isinstance(mod, ember.nn.Dropout) for mod in m0.modules())


@needs_torch
def test_seed_mlp_matches_seed_net():
    m = tv.models.SeedMLP()
    assert [(k, tuple(v.shape)) for k, v in m.state_dict().items()] == [
        ("fc1.weight", (128, 784)), ("fc1.bias", (128,)), ("fc2.weight", (64, 128)), ("fc2.bias", (64,)),
        ("fc3.weight", (10, 64)), ("fc3.bias", (10,))]
    ref = TNet()
    # a state_dict saved from the seed's own Net (in torch) loads into SeedMLP
    m.load_state_dict({k: ember.tensor(v.numpy()) for k, v in ref.state_dict().items()})
    x = np.random.default_rng(4).standard_normal((5, 1, 28, 28)).astype(np.float32)
    _check_parity(m, ref, x)
    with pytest.raises(RuntimeError):
        m(ember.randn(2, 100))  # view(-1, 784) of 200 elements


# ============================================================================ make_grid / save_image
def test_make_grid_type_errors():
    with pytest.raises(TypeError, match="tensor or list of tensors expected, got <class 'numpy.ndarray'>"):
        tv.utils.make_grid(np.zeros((2, 3, 4, 4)))
    with pytest.raises(TypeError, match="got a list containing <class 'int'>"):
        tv.utils.make_grid([ember.zeros(3, 4, 4), 1])
    with pytest.raises(TypeError, match="value_range has to be a tuple"):
        tv.utils.make_grid(ember.rand(2, 3, 4, 4), normalize=True, value_range=[0, 1])


@needs_torch
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(b=st.integers(1, 11), c=st.sampled_from([1, 3, 4]), h=st.integers(1, 6), w=st.integers(1, 6),
       nrow=st.integers(1, 9), padding=st.integers(0, 3), normalize=st.booleans(),
       value_range=st.sampled_from([None, (-0.5, 0.5), (0.0, 2.0), (1.0, 1.0)]), scale_each=st.booleans(),
       pad_value=st.sampled_from([0.0, 1.0, 0.25]), as_list=st.booleans())
def test_make_grid_matches_torchvision(b, c, h, w, nrow, padding, normalize, value_range, scale_each, pad_value,
                                       as_list):
    x = np.random.default_rng(b * 100 + h * 10 + w).uniform(-1.5, 1.5, (b, c, h, w)).astype(np.float32)
    kw = dict(nrow=nrow, padding=padding, normalize=normalize, value_range=value_range, scale_each=scale_each,
              pad_value=pad_value)
    xe = ember.tensor(x)
    xe_in = list(xe) if as_list else xe
    xt_in = list(torch.tensor(x)) if as_list else torch.tensor(x)
    ge = tv.utils.make_grid(xe_in, **kw)
    gt = t_make_grid(xt_in, **kw)
    assert ge.dtype == ember.float32 and tuple(ge.shape) == tuple(gt.shape)
    np.testing.assert_allclose(ge.numpy(), gt.numpy(), rtol=1e-6, atol=1e-7)
    np.testing.assert_array_equal(xe.numpy(), x)  # normalize never modifies the input


@needs_torch
@pytest.mark.parametrize("shape", [(5, 7), (1, 5, 7), (3, 5, 7), (2, 5, 7), (1, 1, 5, 7)])
def test_make_grid_single_images(shape):
    x = np.random.default_rng(0).random(shape).astype(np.float32)
    ge = tv.utils.make_grid(ember.tensor(x), normalize=True)
    gt = t_make_grid(torch.tensor(x), normalize=True)
    assert tuple(ge.shape) == tuple(gt.shape)
    np.testing.assert_allclose(ge.numpy(), gt.numpy(), rtol=1e-6, atol=1e-7)


@needs_torch
def test_make_grid_uint8_and_no_grad():
    x = np.random.default_rng(0).integers(0, 256, (5, 3, 4, 4)).astype(np.uint8)
    ge = tv.utils.make_grid(ember.tensor(x), nrow=3, pad_value=255)
    gt = t_make_grid(torch.tensor(x), nrow=3, pad_value=255)
    assert ge.dtype == ember.uint8
    np.testing.assert_array_equal(ge.numpy(), gt.numpy())
    xr = ember.rand(4, 3, 4, 4, requires_grad=True)
    assert tv.utils.make_grid(xr).requires_grad is False


@needs_torch
@pytest.mark.parametrize("kw", [{}, {"nrow": 2, "padding": 1, "pad_value": 1.0},
                                {"normalize": True, "value_range": (-1.0, 1.0)}, {"normalize": True, "scale_each": True}])
def test_save_image_roundtrip(tmp_path, kw):
    x = np.random.default_rng(1).uniform(-0.2, 1.2, (5, 1, 6, 5)).astype(np.float32)  # 1 channel -> RGB
    x[0, 0, 0, :3] = [0.5 / 255, 1.5 / 255, 0.998]  # rounding edges of mul(255).add_(0.5)
    path = tmp_path / "grid.png"
    tv.utils.save_image(ember.tensor(x), str(path), **kw)
    with Image.open(path) as im:
        assert im.mode == "RGB"
        got = np.asarray(im)
    want = t_save_array(torch.tensor(x), **kw)
    assert got.shape == want.shape
    np.testing.assert_array_equal(got, want)
    # file object + explicit format; a list of images; a single 3-channel image
    buf = io.BytesIO()
    tv.utils.save_image([ember.tensor(x[i]) for i in range(5)], buf, format="PNG", **kw)
    buf.seek(0)
    with Image.open(buf) as im:
        np.testing.assert_array_equal(np.asarray(im), want)
    single = np.random.default_rng(2).random((3, 4, 6)).astype(np.float32)
    tv.utils.save_image(ember.tensor(single), tmp_path / "one.png")
    with Image.open(tmp_path / "one.png") as im:
        np.testing.assert_array_equal(np.asarray(im), t_save_array(torch.tensor(single)))


def test_draw_bounding_boxes():
    img = ember.zeros(3, 20, 30, dtype=ember.uint8)
    boxes = ember.tensor([[2, 3, 10, 12], [15, 5, 28, 18]], dtype=ember.float32)
    out = tv.utils.draw_bounding_boxes(img, boxes, colors=["red", (0, 255, 0)], width=1)
    assert out.dtype == ember.uint8 and tuple(out.shape) == (3, 20, 30)
    a = out.numpy()
    assert tuple(a[:, 3, 5]) == (255, 0, 0) and tuple(a[:, 12, 2]) == (255, 0, 0)  # top/bottom edges
    assert tuple(a[:, 5, 6]) == (0, 0, 0)  # inside, unfilled
    assert tuple(a[:, 10, 28]) == (0, 255, 0)
    assert np.array_equal(img.numpy(), np.zeros((3, 20, 30), np.uint8))  # input untouched
    filled = tv.utils.draw_bounding_boxes(ember.zeros(1, 20, 30, dtype=ember.uint8), boxes, fill=True,
                                          colors="blue", labels=["a", "b"]).numpy()
    assert filled.shape == (3, 20, 30) and filled[2, 8, 8] > 0 and filled[0, 8, 8] == 0
    with pytest.raises(ValueError, match="Tensor uint8 expected, got ember.float32"):
        tv.utils.draw_bounding_boxes(ember.zeros(3, 5, 5), boxes)
    with pytest.raises(ValueError, match="Pass individual images, not batches"):
        tv.utils.draw_bounding_boxes(ember.zeros(1, 3, 5, 5, dtype=ember.uint8), boxes)
    with pytest.raises(ValueError, match=r"\(xmin, ymin, xmax, ymax\) format"):
        tv.utils.draw_bounding_boxes(img, ember.tensor([[10.0, 0.0, 2.0, 5.0]]))


# ============================================================================ example report helpers
def _report():
    spec = importlib.util.spec_from_file_location("_report", os.path.join(ROOT, "examples", "_report.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_progress_loader_text_bar_and_history():
    rep = _report()
    from ember.utils.data import DataLoader, TensorDataset
    ds = TensorDataset(ember.randn(50, 3), ember.arange(50))
    out = io.StringIO()
    state = {}
    loader = rep.ProgressLoader(DataLoader(ds, batch_size=8), loss_fn=lambda: state.get("loss"), epochs=2,
                                file=out, use_tqdm=False)
    assert len(loader) == 7 and loader.batch_size == 8 and loader.dataset is ds
    seen = []
    for epoch in range(2):
        for i, (xb, yb) in enumerate(loader):
            state["loss"] = ember.tensor(float(epoch * 10 + i))  # a fresh "loss" tensor per batch
            seen.append(xb.shape[0])
    text = out.getvalue()
    assert "Epoch 1/2" in text and "Epoch 2/2" in text
    assert "loss=6.0000" in text and "loss=16.0000" in text and "samples/s" in text
    assert "7/7" in text and "100%" in text
    assert text.count("\n") == 2  # one finished line per epoch
    h = loader.history
    assert h["epoch"] == [1, 2] and h["samples"] == [50, 50] and sum(seen) == 100
    assert h["train_loss"] == pytest.approx([3.0, 13.0])  # means of 0..6 and 10..16, nothing carried over
    assert all(r > 0 for r in h["samples_per_s"])
    # a loop that breaks early records no epoch; epoch_fn names the epoch
    loader2 = rep.ProgressLoader(DataLoader(ds, batch_size=8), loss_fn=lambda: 1.5, epoch_fn=lambda: 9,
                                 file=io.StringIO(), use_tqdm=False)
    for i, _ in enumerate(loader2):
        if i == 2:
            break
    assert loader2.history["epoch"] == []
    list(loader2)
    assert loader2.history["epoch"] == [9]


def test_evaluate_and_plot_curves(tmp_path):
    rep = _report()
    from ember.utils.data import DataLoader, TensorDataset

    class Fixed(ember.nn.Module):  # predicts class (x > 0)
        def forward(self, x):
            return ember.cat([-x, x], dim=1)

    x = ember.tensor([[1.0], [-1.0], [2.0], [3.0], [-2.0]])
    y = ember.tensor([1, 0, 0, 1, 1])
    model = Fixed().train()
    hist = {"train_loss": [1.2, 0.7, 0.5, 0.45], "test_acc": [0.5, 0.7]}
    acc = rep.evaluate(model, DataLoader(TensorDataset(x, y), batch_size=2), "cpu", history=hist)
    assert acc == pytest.approx(3 / 5) and model.training and hist["test_acc"][-1] == acc
    hist["test_acc"].append(0.8)
    path = tmp_path / "curves.png"
    assert rep.plot_curves(hist, str(path), size=(800, 340)) == str(path)
    with Image.open(path) as im:
        assert im.format == "PNG" and im.size == (800, 340)
        a = np.asarray(im.convert("RGB")).astype(int)
    assert len(np.unique(a.reshape(-1, 3), axis=0)) > 20  # text, axes, lines: not blank
    blue = (abs(a - np.array(rep._LOSS_COLOR)).sum(-1) < 30)
    red = (abs(a - np.array(rep._ACC_COLOR)).sum(-1) < 30)
    assert blue[:, :400].sum() > 200 and blue[:, 400:].sum() < 50  # loss curve in the left panel
    assert red[:, 400:].sum() > 200 and red[:, :400].sum() < 50  # accuracy curve in the right panel
    assert (a[:, :, :].sum(-1) < 200).sum() > 500  # dark axes/text
    # a ProgressLoader's history and empty accuracy both plot
    rep.plot_curves({"train_loss": [0.3]}, str(tmp_path / "one.png"))
    with Image.open(tmp_path / "one.png") as im:
        assert im.size == (1000, 420)


def test_progress_loader_tqdm_path():
    """With tqdm installed the bar is tqdm's; the same postfix text and history (a stand-in records calls)."""
    rep = _report()
    calls = []

    class FakeTqdm:
        def __init__(self, total=None, desc=None, file=None, **kw):
            calls.append(("init", total, desc))
            self.n = 0

        def set_postfix_str(self, s, refresh=True):
            calls.append(("postfix", s))

        def update(self, n=1):
            self.n += n

        def close(self):
            calls.append(("close", self.n))

    rep._tqdm = FakeTqdm
    state = {}
    loader = rep.ProgressLoader([(ember.zeros(4, 2),)] * 3, loss_fn=lambda: state.get("loss"), epochs=1)
    assert loader.use_tqdm
    for i, _ in enumerate(loader):
        state["loss"] = float(i + 1) + 0.25
    assert calls[0] == ("init", 3, "Epoch 1/1") and calls[-1] == ("close", 3)
    assert "loss=3.2500" in calls[-2][1] and "samples/s" in calls[-2][1]
    assert loader.history["train_loss"] == [pytest.approx(2.25)] and loader.history["samples"] == [12]
