"""The tiny encoder's SavedModel, for the freezing tests."""

import pytest


@pytest.fixture(scope="module")
def tiny_handle(tiny_encoder_dir):
    return str(tiny_encoder_dir / "encoder")
