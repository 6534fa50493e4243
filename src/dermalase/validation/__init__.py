"""Validation cases against published measurements (:mod:`.cases`) and the analytic solutions of
the verification ladder (:mod:`.analytic`): importable, so the tests, scripts/validation_table.py
and users run the same cases."""
