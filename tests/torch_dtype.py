"""A fixture for the torch comparisons: float64 as torch's default dtype."""

import pytest
import torch


@pytest.fixture(autouse=True)
def float64():
    """torch keeps scalar state (step, NAdam's mu_product) in the default dtype."""
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(previous)
