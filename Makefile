# Two commands for a fresh clone (each sets up .venv itself):
#   make reproduce   run the whole study (notebooks 01-06, full size) -> notebooks/, figures/, checkpoints/
#   make test        run the test suite (small sizes; MNIST from DIGITGAN_MNIST or ../shared/mnist)
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

export DIGITGAN_MNIST ?= $(if $(wildcard ../shared/mnist),$(abspath ../shared/mnist),)

.PHONY: setup lock reproduce extensions future report tensorboard test test-all verify lint benchmark clean

# The environment is installed from requirements.lock (every package pinned; `make lock` refreshes it from the
# ranges in requirements.txt and requirements-dev.txt).
$(STAMP): requirements.lock pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.lock
	$(BIN)/pip install --quiet --no-deps -e .
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (digitgan)" > /dev/null
	touch $(STAMP)

setup: $(STAMP)

lock: $(STAMP)
	$(BIN)/pip-compile --quiet --strip-extras --no-emit-index-url --no-emit-find-links \
		--output-file requirements.lock requirements-dev.txt

report: $(STAMP)
	$(BIN)/python -m digitgan.tools.export

tensorboard: $(STAMP)
	$(BIN)/tensorboard --logdir runs

reproduce: $(STAMP)
	$(BIN)/python -m digitgan.tools.run_notebooks

extensions: $(STAMP)
	$(BIN)/python -m digitgan.tools.run_notebooks --extensions

future: $(STAMP)
	$(BIN)/python -m digitgan.tools.run_notebooks --future

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q

test-all: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q -m "slow or not slow"

verify: $(STAMP)
	$(BIN)/python -m digitgan.tools.verify

lint: $(STAMP)
	$(BIN)/ruff check .

benchmark: $(STAMP)
	$(BIN)/python benchmarks/gan_step.py
	$(BIN)/python benchmarks/ssgan_step.py
	$(BIN)/python benchmarks/ssgan_parts.py

clean:
	rm -rf $(VENV) notebooks/.executing notebooks/failed .pytest_cache
