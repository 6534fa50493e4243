"""One simulation store for the device tests (model-resolved dials share their probes)."""

import pytest


@pytest.fixture(autouse=True, scope="session")
def device_cache(tmp_path_factory):
    mp = pytest.MonkeyPatch()
    mp.setenv("DERMALASE_CACHE", str(tmp_path_factory.mktemp("device-cache")))
    yield
    mp.undo()
