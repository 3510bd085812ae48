# neuralzoo — set-up, demo and tests. Everything a fresh machine needs is installed here.
PYTHON ?= python3
VENV   ?= .venv
# The torch requirement. Users get a normal range; CI (.ci/run) pins the CPU wheel that
# lies on its disk, so that no multi-GB CUDA build is downloaded on every run. Where pip
# finds a local CPU wheel (find-links), it is preferred here too.
TORCH  ?= $(if $(wildcard /opt/wheels/torch-2.13.0+cpu-*.whl),torch==2.13.0,torch>=2.2)
BIN     = $(VENV)/bin
STAMP   = $(VENV)/.neuralzoo-installed

.PHONY: venv demo test lint clean

venv: $(STAMP)

$(STAMP): pyproject.toml Makefile
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check "$(TORCH)"
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e ".[dev]"
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/neuralzoo tour --data digits --out runs/tour --force
	@echo "Open runs/tour/report.html, or see the networks live: $(BIN)/neuralzoo serve  (http://127.0.0.1:8000)"

lint: $(STAMP)
	$(BIN)/ruff check src tests

test: $(STAMP)
	$(BIN)/ruff check src tests
	$(BIN)/python -m pytest -q src tests

clean:
	rm -rf $(VENV) runs build src/*.egg-info .pytest_cache
