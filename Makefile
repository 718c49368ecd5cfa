# Every target sets itself up: a fresh clone needs only Python 3.11 and the package index.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
ASSIGNMENT ?= hw1_bn_mlp

.PHONY: help install data check demo test test-fast assign calibrate examples bench lint clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	$(BIN)/python -c "import grader, torch, torchvision, pytest_timeout, scipy, nbformat"
	touch $(STAMP)

install: $(STAMP)  ## create .venv and install the grader (once; reruns reinstall nothing)

data: $(STAMP)  ## fetch and verify the data $(ASSIGNMENT) uses, if any, into the cache (once)
	$(BIN)/grader data $(ASSIGNMENT)

check: $(STAMP)  ## students: grade your assignments/$(ASSIGNMENT)/ with the visible checks
	$(BIN)/grader check assignments/$(ASSIGNMENT) --assignment $(ASSIGNMENT)

demo: data  ## grade the example classes: examples/submissions/ (hw1) into reports/demo/, examples/<a>/ into reports/demo-<a>/
	$(BIN)/grader grade examples/submissions --assignment hw1_bn_mlp --out reports/demo
	@for class in $(wildcard examples/hw*_*/); do name=$$(basename $$class); echo "== $$name"; \
		$(BIN)/grader grade $$class --assignment $$name --out reports/demo-$$name || exit 1; done

test: data  ## the whole test suite, slow end-to-end tests included
	$(BIN)/python -m pytest

test-fast: data  ## the test suite without the slow end-to-end tests
	$(BIN)/python -m pytest -m "not slow"

assign: $(STAMP)  ## regenerate assignments/ from solutions/
	$(BIN)/grader assign

examples: $(STAMP)  ## regenerate examples/submissions/ from the solution and the bug catalogue
	$(BIN)/python scripts/make_examples.py

calibrate: data  ## re-measure the accuracy check's calibration table on the reference
	$(BIN)/python scripts/calibrate_accuracy.py

bench: data  ## time the grader: fixed cost per submission, full grading, class throughput (about 4 min)
	$(BIN)/python scripts/bench.py

lint: $(STAMP)  ## ruff over the grader, the checks, the tests and scripts (solutions/ keeps the homework's style)
	$(BIN)/ruff check grader tests scripts checks

clean:  ## remove the virtual environment and caches (not the MNIST cache)
	rm -rf $(VENV) .pytest_cache .hypothesis *.egg-info
