"""A short fuzzing run of the input gate (issue 17); ``make fuzz`` runs 10,000+ inputs."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings

from dermalase.testing import fuzz

FAST = settings(max_examples=150, deadline=2000,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


@FAST
@given(fuzz.scenarios())
def test_scenario_inputs_keep_the_promise(d):
    fuzz.check_scenario(d)


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


@CLI
@given(fuzz.scenarios())
def test_scenario_files_through_the_command_line_keep_the_promise(d):
    fuzz.check_scenario_cli(d)


@settings(CLI, max_examples=40)
@given(fuzz.patients())
def test_patient_files_through_the_command_line_keep_the_promise(d):
    fuzz.check_patient_cli(d)
