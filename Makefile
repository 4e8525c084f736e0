# The README's two commands: `make train` (the main job) and `make test`.
# Each sets itself up on a fresh machine: a virtual environment, the pinned
# installs, and (on first use, by bert-keras itself) the built-in encoder.
VENV ?= .venv
PYTHON := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed

.PHONY: install train test clean

$(INSTALLED): setup.cfg pyproject.toml
	test -x $(PYTHON) || python3 -m venv $(VENV)
	$(PYTHON) -m pip install --quiet --upgrade pip
	$(PYTHON) -m pip install --quiet -e '.[test]'
	$(PYTHON) -m pip install --quiet --no-deps tf-models-official==2.20.0  # tests only: see setup.cfg
	touch $@

install: $(INSTALLED)

# The seed recipe on the shared sample; DATA=amazon_polarity trains on the full
# release (TFDS). Re-running resumes an interrupted run, or repeats a finished one's metrics.
DATA ?= ../shared/data/amazon_review_polarity_csv
RUN ?= saved_models/runs/amazon-polarity-minilm
train: $(INSTALLED)
	$(VENV)/bin/bert-keras train --encoder minilm-l6 --data $(DATA) --train-last 2 --out $(RUN)

# Two processes (pytest-xdist), each taking whole test files: most of a test's time is
# one core's Python (imports, tracing, loading SavedModels): on a 2-core AMD EPYC the
# suite took 28 minutes so, where one process took 44 on the same kind of machine.
TEST_PROCESSES ?= 2
test: $(INSTALLED)
	$(PYTHON) -m pytest -n $(TEST_PROCESSES) --dist loadfile $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) saved_models/encoders
