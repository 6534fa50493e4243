"""Treatment records, follow-ups, the model's prediction beside what was observed, calibration
from outcomes, de-identified export and FHIR (issue 34)."""
