"""Random number generation: manual_seed, Generator, the default generator.

ember draws from NumPy's PCG64; seeds give reproducible streams, though not
torch's exact numbers (torch's CPU generator is a different algorithm).
"""
import json

import numpy as np

DEFAULT_SEED = 67280421310721


class Generator:
    def __init__(self, device="cpu"):
        from ._device import to_device
        self.device = to_device(device)
        self._seed = DEFAULT_SEED
        self._rng = np.random.Generator(np.random.PCG64(self._seed))

    def manual_seed(self, seed):
        seed = int(seed)
        if not -0x8000_0000_0000_0000 <= seed <= 0xFFFF_FFFF_FFFF_FFFF:
            raise RuntimeError("Overflow when unpacking long")
        self._seed = seed & 0xFFFF_FFFF_FFFF_FFFF
        self._rng = np.random.Generator(np.random.PCG64(self._seed))
        return self

    def seed(self):
        s = int(np.random.SeedSequence().entropy) & 0xFFFF_FFFF_FFFF_FFFF
        self.manual_seed(s)
        return s

    def initial_seed(self):
        return self._seed

    def get_state(self):
        from .ops.creation import tensor
        blob = json.dumps({"seed": self._seed, "state": self._rng.bit_generator.state}).encode()
        return tensor(list(blob), dtype=__import__("ember").uint8)

    def set_state(self, new_state):
        state = json.loads(bytes(new_state._data.tolist()).decode())
        self._seed = state["seed"]
        self._rng.bit_generator.state = state["state"]
        return self

    def __repr__(self):
        return "<ember._C.Generator object>"


default_generator = Generator()


def rng(generator=None):
    """The NumPy generator behind an ember Generator (the default one when None)."""
    return (generator or default_generator)._rng


def manual_seed(seed):
    default_generator.manual_seed(seed)
    return default_generator


def seed():
    return default_generator.seed()


def initial_seed():
    return default_generator.initial_seed()


def get_rng_state():
    return default_generator.get_state()


def set_rng_state(new_state):
    default_generator.set_state(new_state)


class fork_rng:
    def __init__(self, devices=None, enabled=True, **kwargs):
        self.enabled = enabled

    def __enter__(self):
        if self.enabled:
            self.state = get_rng_state()

    def __exit__(self, *exc):
        if self.enabled:
            set_rng_state(self.state)
