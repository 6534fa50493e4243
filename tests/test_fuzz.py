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
