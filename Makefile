# Two commands do all set-up on a fresh machine: `make reports` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: install reports test lint lab bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# PYTHONWARNINGS=ignore: keep setuptools' build-backend notices out of the terminal.
$(STAMP): pyproject.toml | $(BIN)/python
	PYTHONWARNINGS=ignore $(BIN)/python -m pip install --quiet --upgrade pip
	PYTHONWARNINGS=ignore $(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@

# The package's bytecode is compiled here (an editable install leaves it to Python, which does
# not keep it where PYTHONDONTWRITEBYTECODE is set: every p2c command, kernel template and cold
# kernel would then compile the package again, about 0.1 s each). Up-to-date files are skipped.
install: $(STAMP)
	@$(BIN)/python -m compileall -q p2c_analysis

## make reports: render the standard report set from the bundled data into reports/<run-id>/
reports: install
	$(BIN)/p2c render

## make test: the whole test suite (unit tests, notebooks through nbval, lint)
test: install
	$(BIN)/ruff check p2c_analysis tests benchmarks scripts notebooks/conftest.py
	$(BIN)/python -m pytest -q tests
	$(BIN)/python -m pytest -q --nbval-lax -p no:cacheprovider notebooks

## make lab: JupyterLab on notebooks/ with the project's environment as kernel
# (--allow-root only when run as root, e.g. in a container). LAB_OPTS: kernels get CurveZMQ
# transport encryption, as the runner's and nbval's do, so ipykernel 7 does not print "Kernel is
# running over TCP without encryption" into the terminal at each kernel start
# (tests/test_lab.py starts a Jupyter server with these options).
LAB_OPTS := --KernelManager.transport_encryption=auto
lab: install
	$(BIN)/jupyter lab --notebook-dir=notebooks $(LAB_OPTS) $(if $(filter 0,$(shell id -u)),--allow-root)

## make bench: the benchmark scripts (figures go in the README)
bench: install
	$(BIN)/python benchmarks/bench_allocation.py
	$(BIN)/python benchmarks/bench_render.py
	$(BIN)/python benchmarks/bench_manifest.py
	$(BIN)/python benchmarks/bench_changes.py
	$(BIN)/python benchmarks/bench_quality.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
