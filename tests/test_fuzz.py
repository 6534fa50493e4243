"""A short fuzzing run of the input gate (issue 17); ``make fuzz`` runs 10,000+ inputs."""

from __future__ import annotations

import os
from contextlib import contextmanager

from hypothesis import HealthCheck, given, settings

from dermalase.testing import fuzz

FAST = settings(max_examples=150, deadline=2000,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


@FAST
@given(fuzz.scenarios())
def test_scenario_inputs_keep_the_promise(d):
    fuzz.check_scenario(d)


@FAST
@given(fuzz.device_scenarios())
def test_device_scenario_inputs_keep_the_promise(d):
    fuzz.check_device(d)


@FAST
@given(fuzz.patients())
def test_patient_inputs_keep_the_promise(d):
    fuzz.check_patient(d)


@FAST
@given(fuzz.mci_texts())
def test_mci_inputs_keep_the_promise(text):
    fuzz.check_mci(text)


# Through the command line: the inputs written as TOML and run to the end when accepted
# (simulated, planned), with the outputs checked: complete, or absent with one line on stderr.
CLI = settings(max_examples=60, deadline=None,
               suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


@contextmanager
def _time_limit(seconds: str):
    """A lower resource-guard limit for the short run (an accepted input predicted to take
    longer is refused by the guard, a valid exit 2): make fuzz keeps the default."""
    old = os.environ.get("DERMALASE_MAX_SECONDS")
    os.environ["DERMALASE_MAX_SECONDS"] = seconds
    try:
        yield
    finally:
        if old is None:
            del os.environ["DERMALASE_MAX_SECONDS"]
        else:
            os.environ["DERMALASE_MAX_SECONDS"] = old


@CLI
@given(fuzz.scenarios())
def test_scenario_files_through_the_command_line_keep_the_promise(d):
    with _time_limit("20"):
        fuzz.check_scenario_cli(d)


@settings(CLI, max_examples=20)
@given(fuzz.device_scenarios())
def test_device_files_through_the_command_line_keep_the_promise(d):
    with _time_limit("20"):
        fuzz.check_device_cli(d)


@settings(CLI, max_examples=40)
@given(fuzz.patients())
def test_patient_files_through_the_command_line_keep_the_promise(d):
    with _time_limit("20"):
        fuzz.check_patient_cli(d)


# -- the second round (issue 30): microbeams past the local fluence cap, damaged store entries
# under any DERMALASE_CACHE, hostile --seed / --scheduler / --figure values with stdout on a
# full disk; make fuzz runs each at scale
@settings(FAST, max_examples=60, deadline=None)
@given(fuzz.microbeam_scenarios())
def test_microbeam_inputs_keep_the_promise_and_the_cap(d):
    fuzz.check_microbeam(d)


@settings(FAST, max_examples=30, deadline=None)
@given(fuzz.store_cases())
def test_damaged_store_entries_never_block_nor_spill(case):
    fuzz.check_store(case)


@settings(CLI, max_examples=5)
@given(fuzz.option_cases())
def test_hostile_option_values_keep_the_promise(case):
    fuzz.check_option_cli(case)
