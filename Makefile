# make run   : set up (system libraries, .venv, the package) and open the demo project
# make test  : the same set-up, then lint and the whole suite headless
# make bench : the same set-up, then the benchmarks in full
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test bench system lint clean

system:
	@scripts/system-deps.sh

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "glassroom needs Python 3.11 or newer (found $$($(PYTHON) --version))"; exit 1; }
	@$(PYTHON) -m venv $(VENV) 2>/dev/null || { scripts/system-deps.sh --python && $(PYTHON) -m venv $(VENV); }

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	@touch $(STAMP)

run: system $(STAMP)
	$(BIN)/glassroom

lint: $(STAMP)
	$(BIN)/ruff check app tests bench

test: system $(STAMP) lint
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q -p no:cacheprovider
	QT_QPA_PLATFORM=offscreen GLASSROOM_BENCH_SHORT=1 $(BIN)/python bench/run_all.py

bench: system $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) build *.egg-info
