# The README's commands: `make train` (the main job), `make test` (the fast tier, after
# each change) and `make test-all` (every tier, what CI runs). Each sets itself up on a
# fresh machine: a virtual environment, the pinned installs, and (on first use, by
# bert-keras itself) the built-in encoder.
VENV ?= .venv
PYTHON := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed

.PHONY: install train test test-all lint docs clean

$(INSTALLED): setup.cfg pyproject.toml
	test -x $(PYTHON) || python3 -m venv $(VENV)
	$(PYTHON) -m pip install --quiet --upgrade pip
	$(PYTHON) -m pip install --quiet -e '.[test,docs]'
	$(PYTHON) -m pip install --quiet --no-deps tf-models-official==2.20.0  # tests only: see setup.cfg
	touch $@

install: $(INSTALLED)

# The original recipe (minilm-l6, the last 2 blocks trained): on a local copy of the original
# CSV release (train.csv and test.csv) where one is found, offline: LOCAL_COPY, else
# data/amazon_review_polarity_csv in the checkout or in a folder beside it. Else on Amazon
# Polarity downloaded through TFDS, its first 10,000 training and test reviews. DATA= names
# any other data. Re-running resumes an interrupted run, or repeats a finished one's metrics.
FOUND_COPY := $(firstword $(wildcard data/amazon_review_polarity_csv/train.csv ../*/data/amazon_review_polarity_csv/train.csv))
LOCAL_COPY ?= $(patsubst %/train.csv,%,$(FOUND_COPY))
DATA ?= $(if $(wildcard $(LOCAL_COPY)/train.csv),$(LOCAL_COPY),amazon_polarity)
SPLITS := $(if $(filter amazon_polarity,$(DATA)),--train-split 'train[:10000]' --test-split 'test[:10000]')
RUN ?= saved_models/runs/amazon-polarity-minilm
train: $(INSTALLED)
	$(VENV)/bin/bert-keras train --encoder minilm-l6 --data $(DATA) $(SPLITS) --train-last 2 --epochs 1 --pooling cls --out $(RUN)

# Two processes (pytest-xdist), each taking whole test files: most of a test's time is
# one core's Python (imports, tracing, loading SavedModels). Expensive fixtures are built
# once per run and shared by both (tests/shared.py).
TEST_PROCESSES ?= 2
PYTEST := $(PYTHON) -m pytest -n $(TEST_PROCESSES) --dist loadfile
test: $(INSTALLED)
	$(PYTEST) -m "not integration and not slow and not extended" $(PYTEST_ARGS)

test-all: $(INSTALLED)
	$(PYTEST) $(PYTEST_ARGS)

docs: $(INSTALLED)
	$(VENV)/bin/mkdocs build --strict --site-dir site

lint: $(INSTALLED)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

clean:
	rm -rf $(VENV) saved_models/encoders
