# One-command set-up: each target creates .venv and installs what it needs (PyPI only).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: demo test test-slow lint bench validation clean browser postgres serve fuzz intervals docs envelope-grid

# compileall: an editable install writes no bytecode for src/, and where PYTHONDONTWRITEBYTECODE
# is set every command would compile ~50 modules again (~0.1 s of each start).
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test,web,docs]"
	$(BIN)/python -m compileall -q src >/dev/null
	touch $(STAMP)

## demo: plan the built-in example patient (out/plan.html) and the full-face one with its
## documents (out/documents: plan, consent, care, clinician sheet, calendar, face map), then
## simulate the built-in default case (out/default.png, out/default.nc, out/default-healing.png)
demo: $(STAMP)
	mkdir -p out
	$(BIN)/dermalase plan patient_perioral --report out/plan.html
	$(BIN)/dermalase plan patient_full_face --documents out/documents
	$(BIN)/dermalase simulate default --figure out/default.png --out out/default.nc \
		--healing-figure out/default-healing.png

## browser: Chromium from Debian's packages for the browser tests, and Pango for the plan's PDF
## (WeasyPrint) (installed when missing and running as root; otherwise those tests are skipped
## and say why)
browser:
	@ldconfig -p 2>/dev/null | grep -q libpangoft2 || { if [ "$$(id -u)" = 0 ]; then \
	    echo "installing pango (Debian) for the plan's PDF"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	      libpango-1.0-0 libpangoft2-1.0-0 >/dev/null; \
	  else echo "note: Pango is not installed: the PDF of a plan needs it"; fi; }
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || \
	{ if [ "$$(id -u)" = 0 ]; then \
	    echo "installing chromium (Debian) for the browser test"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium \
	      >/dev/null; \
	  else echo "note: chromium is not installed: the browser test will be skipped"; fi; }

## postgres: PostgreSQL from Debian's packages for the web application's tests on it (installed
## when missing and running as root; otherwise those tests are skipped and say why)
postgres:
	@command -v initdb >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || \
	{ if [ "$$(id -u)" = 0 ]; then \
	    echo "installing postgresql (Debian) for the web tests"; \
	    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	      postgresql >/dev/null; } || \
	      echo "note: postgresql could not be installed: the web tests run on SQLite only"; \
	  else echo "note: PostgreSQL is not installed: the web tests run on SQLite only"; fi; }

## serve: the web application on http://127.0.0.1:8000 (SQLite in the user's data directory)
serve: $(STAMP)
	$(BIN)/dermalase serve

## test: lint + type check + the default test suite (well under 15 min on 2 cores)
test: $(STAMP) browser postgres
	$(BIN)/ruff check src tests benchmarks scripts
	$(BIN)/mypy
	$(BIN)/python -m pytest -m "not slow"

## docs: the documentation site in site/ (MkDocs Material, strict: a broken link or a tutorial
## that raises fails it; every tutorial is run; offline). tests/test_docs.py builds it in
## `make test`.
docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict

## test-slow: long validation runs
test-slow: $(STAMP)
	$(BIN)/python -m pytest -m slow

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks scripts
	$(BIN)/mypy

## bench: speed figures (not timed tests)
bench: $(STAMP)
	$(BIN)/python -m compileall -q src >/dev/null
	$(BIN)/python benchmarks/bench_fullfield.py
	$(BIN)/python benchmarks/bench_healing.py
	$(BIN)/python benchmarks/bench_planner.py
	$(BIN)/python benchmarks/bench_montecarlo.py
	$(BIN)/python benchmarks/bench_threads.py
	$(BIN)/python benchmarks/bench_startup.py
	$(BIN)/python benchmarks/bench_sweep.py
	$(BIN)/python benchmarks/bench_web.py

## envelope-grid: the clinical envelope's property test over the whole input grid (slow; its
## count goes to docs/validation.md through scripts/planner_table.py)
envelope-grid: $(STAMP)
	$(BIN)/python scripts/envelope_grid.py
	$(BIN)/python scripts/planner_table.py

## intervals: prediction intervals of the validation cases (docs/validation.md)
intervals: $(STAMP)
	$(BIN)/python scripts/intervals_table.py

## fuzz: 10,000+ hostile inputs against the input gate, and the physical laws on 10,000+
## valid scenarios (issue 30); figures in docs/validation.md
fuzz: $(STAMP)
	$(BIN)/python scripts/fuzz.py
	$(BIN)/python scripts/fuzz_laws.py

## validation: regenerate docs/validation.md (the published cases, then the device dials)
validation: $(STAMP)
	$(BIN)/python scripts/validation_table.py
	$(BIN)/python scripts/dial_table.py
	$(BIN)/python scripts/confinement_table.py
	$(BIN)/python scripts/water_absorption_table.py

clean:
	rm -rf $(VENV) out site .pytest_cache .ruff_cache
