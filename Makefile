# `make` or `make help` lists the targets; nothing is installed until a target needs the environment.
# A fresh clone needs two: `make reproduce` (the study) and `make test` (the test suite). Each sets up .venv itself.
.DEFAULT_GOAL := help
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

export DIGITGAN_MNIST ?= $(if $(wildcard ../shared/mnist),$(abspath ../shared/mnist),)

.PHONY: help setup lock lab reproduce extensions future claims report tensorboard test test-all verify verify-train lint benchmark clean


help: ## list the targets (the default; installs nothing)
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  make %-18s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

# The environment is installed from requirements.lock (every package pinned; `make lock` refreshes it from the
# ranges in requirements*.txt).
$(STAMP): requirements.lock pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.lock
	$(BIN)/pip install --quiet --no-deps -e .
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3" > /dev/null
	# C-level output (TensorFlow's start-up lines) goes to the terminal that runs the kernel, not into the notebooks
	mkdir -p $(VENV)/etc/ipython
	echo "c.IPKernelApp.capture_fd_output = False" > $(VENV)/etc/ipython/ipython_kernel_config.py
	touch $(STAMP)

setup: $(STAMP) ## install the pinned environment in .venv (every other target does this first)

lock: $(STAMP) ## refresh requirements.lock from the ranges in requirements*.txt
	$(BIN)/pip-compile --quiet --strip-extras --no-emit-index-url --no-emit-find-links \
		--output-file requirements.lock requirements-dev.txt

report: $(STAMP) ## write report/: the results first, then every executed notebook (offline HTML)
	$(BIN)/python -m digitgan.tools.export

.PHONY: check-report check-jupyter-save
check-report: report ## open report/ in headless Chromium (/usr/bin/chromium): screenshots, no outside requests
	$(BIN)/python tests/browser_checks.py report

check-jupyter-save: $(STAMP) ## open and save each notebook in JupyterLab (headless); fail if a file changes
	$(BIN)/python tests/browser_checks.py jupyter-save

tensorboard: $(STAMP) ## watch training live: TensorBoard on runs/
	$(BIN)/tensorboard --logdir runs

lab: $(STAMP) ## JupyterLab on notebooks/, with the kernel "Python 3" and the offline MNIST (DIGITGAN_MNIST)
	@echo "DIGITGAN_MNIST=$(DIGITGAN_MNIST)"
	cd notebooks && env -u DIGITGAN_STUDY_RUN $(abspath $(BIN))/jupyter lab

reproduce: $(STAMP) ## run the study, notebooks 01-06 at full size (about 5 min with the committed weights)
	$(BIN)/python -m digitgan.tools.run_notebooks

extensions: $(STAMP) ## run notebooks 07-08 (semi-supervised GAN, label study)
	$(BIN)/python -m digitgan.tools.run_notebooks --extensions

future: $(STAMP) ## run notebooks 09-11 (the report's future-work questions)
	$(BIN)/python -m digitgan.tools.run_notebooks --future

test: $(STAMP) ## ruff and the fast test suite on every core (the CI command, about 5 min)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q -n auto --durations=15

test-all: $(STAMP) ## the tests including the slow end-to-end notebook runs
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q -m "slow or not slow"

claims: $(STAMP) ## the runs behind the claims' tests (hours, resumable): seeds 43/44 of 01-05, the label study at 15 epochs, the matched CNN over all its updates, kept weights of 10's and 11's CNNs
	DIGITGAN_STUDY_RUN=1 $(BIN)/python -m digitgan.extensions.study_seeds
	DIGITGAN_STUDY_RUN=1 $(BIN)/python -m digitgan.extensions.label_efficiency epochs
	DIGITGAN_STUDY_RUN=1 $(BIN)/python -m digitgan.extensions.matched_cnn
	DIGITGAN_STUDY_RUN=1 $(BIN)/python -m digitgan.extensions.kept

verify: $(STAMP) ## recompute the test numbers of the README's tables from the committed weights, and check their digests
	$(BIN)/python -m digitgan.tools.verify

verify-train: $(STAMP) ## make verify, and retrain 01 and 03-05's models to compare train accuracies too (about 8 min)
	$(BIN)/python -m digitgan.tools.verify --retrain

lint: $(STAMP) ## ruff only
	$(BIN)/ruff check .

benchmark: $(STAMP) ## training-step speed benchmarks (variants interleaved in one process)
	$(BIN)/python benchmarks/gan_step.py
	$(BIN)/python benchmarks/ssgan_step.py
	$(BIN)/python benchmarks/ssgan_parts.py

clean: ## remove .venv and the runner's scratch folders
	rm -rf $(VENV) notebooks/.executing notebooks/failed .pytest_cache
