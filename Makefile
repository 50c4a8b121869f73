# Two commands set everything up on a fresh machine:
#   make demo   installs into .venv and expands a prompt with the embedded default model
#   make test   installs into .venv (with the test and ray extras, so the Ray build test runs) and runs the test suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# The CPU wheel: an unpinned torch would pull a multi-GB CUDA build.
TORCH := torch==2.13.0

.PHONY: demo test install install-test bench bench-render clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q $(TORCH)

install: $(BIN)/python
	$(BIN)/pip install -q -e .

install-test: $(BIN)/python
	$(BIN)/pip install -q -e '.[test,ray]'

demo: install
	$(BIN)/promptkit expand "oil painting of a cat sitting on a rainbow" --n 3 --seed 7

test: install-test
	$(BIN)/ruff check promptkit tests benchmarks
	OMP_NUM_THREADS=1 HF_HUB_OFFLINE=1 $(BIN)/python -m pytest -q $(PYTEST_ARGS)

bench: install
	$(BIN)/python benchmarks/bench_expand.py

bench-render: install
	$(BIN)/python benchmarks/bench_render.py --steps 3 --size 512

clean:
	rm -rf $(VENV) build dist *.egg-info
