"""Unmodified PyTorch programs (tests/compat/) run under torch and under ember; every R line must agree.

Uses the project's differential runner in ../shared/compat/ when it is present beside the checkout.
"""
import importlib.util
import os
import subprocess
import sys

import pytest

from tests.helpers import needs_torch

HERE = os.path.dirname(os.path.abspath(__file__))
RUNNER = os.path.join(HERE, "..", "..", "shared", "compat", "compat.py")
PROGRAMS = sorted(f for f in os.listdir(os.path.join(HERE, "compat")) if f.endswith(".py"))


@needs_torch
@pytest.mark.skipif(not os.path.exists(RUNNER), reason="shared/compat runner not beside this checkout")
@pytest.mark.parametrize("program", PROGRAMS)
def test_program_matches_torch(program):
    path = os.path.join(HERE, "compat", program)
    if "torchvision" in open(path).read() and importlib.util.find_spec("torchvision") is None:
        pytest.skip("this program's oracle needs torchvision beside torch")
    out = subprocess.run([sys.executable, RUNNER, sys.executable, sys.executable,
                          os.path.join(HERE, "compat", program)], capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    assert "programs: 1/1 fully matching" in out.stdout, out.stdout + out.stderr
