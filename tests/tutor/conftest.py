"""Shared by the tutor tests: one reference library over the bundled sample, measured once."""

import pytest

from signbridge.tutor.references import ReferenceLibrary
from tests.conftest import SAMPLE_ROOT


@pytest.fixture(scope="session")
def sample_references() -> ReferenceLibrary:
    return ReferenceLibrary(SAMPLE_ROOT)
