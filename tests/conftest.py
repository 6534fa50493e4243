import os

import numpy as np
import pytest
from hypothesis import settings

# The property tests draw the same examples on every run of `make test` (a CI gate must not
# pass or fail by chance, and a failure must reproduce); `make fuzz` explores the input space
# with fresh draws at large counts. DERMALASE_HYPOTHESIS=explore draws afresh here too.
settings.register_profile("ci", derandomize=True, print_blob=True)
settings.register_profile("explore", derandomize=False, print_blob=True)
settings.load_profile(os.environ.get("DERMALASE_HYPOTHESIS", "ci"))


@pytest.fixture
def rng():
    return np.random.default_rng(12345)
