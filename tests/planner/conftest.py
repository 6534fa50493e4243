"""One simulation cache for every planner test of the session (plans share their probes)."""

import pytest


@pytest.fixture(autouse=True, scope="session")
def planner_cache(tmp_path_factory):
    mp = pytest.MonkeyPatch()
    mp.setenv("DERMALASE_CACHE", str(tmp_path_factory.mktemp("planner-cache")))
    yield
    mp.undo()
