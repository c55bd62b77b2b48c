"""FakeData (torchvision.datasets.fakedata): random images, reproducible per index.

Image ``i`` is ``ToPILImage()(randn(*image_size))`` drawn right after ``manual_seed(i + random_offset)``,
with the global generator state saved and restored around it (torchvision's recipe, on ember's generator:
the pixels are ember's, not torch's, for a given seed).
"""
import numpy as np

from .vision import VisionDataset, _batch_indices, _can_batch, _int_targets, _prebatch

__all__ = ["FakeData"]


class FakeData(VisionDataset):
    """A fake dataset that returns randomly generated images and returns them as PIL images

    Args:
        size (int, optional): Size of the dataset. Default: 1000 images
        image_size(tuple, optional): Size of the returned images. Default: (3, 224, 224)
        num_classes(int, optional): Number of classes in the dataset. Default: 10
        transform (callable, optional): A function/transform that takes in a PIL image
            and returns a transformed version. E.g, ``transforms.RandomCrop``
        target_transform (callable, optional): A function/transform that takes in the
            target and transforms it.
        random_offset (int): Offsets the index-based random seed used to
            generate each image. Default: 0
    """

    def __init__(self, size=1000, image_size=(3, 224, 224), num_classes=10, transform=None, target_transform=None,
                 random_offset=0):
        super().__init__(transform=transform, target_transform=target_transform)
        self.size = size
        self.num_classes = num_classes
        self.image_size = image_size
        self.random_offset = random_offset

    def _raw(self, index):
        """(PIL image, int target) of one index, leaving the global generator as it was."""
        import ember
        from .. import transforms

        rng_state = ember.get_rng_state()
        ember.manual_seed(index + self.random_offset)
        img = ember.randn(*self.image_size)
        target = ember.randint(0, self.num_classes, size=(1,), dtype=ember.long)[0]
        ember.set_rng_state(rng_state)

        # convert to PIL Image
        img = transforms.ToPILImage()(img)
        return img, target.item()

    def __getitem__(self, index):
        """
        Args:
            index (int): Index

        Returns:
            tuple: (image, target) where target is class_index of the target class.
        """
        # create random image that is consistent with the index id
        if index >= len(self):
            raise IndexError(f"{self.__class__.__name__} index out of range")
        img, target = self._raw(index)
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)

        return img, target

    def __getitems__(self, indices):
        """Generate the batch's images, then transform them with one ``transform.batch`` call where possible."""
        if _can_batch(self, FakeData):
            idx = _batch_indices(indices, len(self))
            if idx is not None and len(idx):
                raws = [self._raw(int(i)) for i in idx]
                first = raws[0][0]
                if first.mode in ("L", "RGB"):
                    images = np.stack([np.asarray(im) for im, _ in raws])
                    labels = [t for _, t in raws]
                    out = _prebatch(self.transform, images, _int_targets(labels), labels.__getitem__)
                    if out is not None:
                        return out
                return [(self.transform(im), t) for im, t in raws]
        return [self[i] for i in indices]

    def __len__(self):
        return self.size
