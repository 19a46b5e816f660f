# The two README commands. Each one sets up .venv/ first (idempotent).
#   make demo   - demo data -> DPT pre-training -> fine-tuning -> metrics + picture
#   make test   - the test suite (what .ci/run runs)
#   make serve  - the interactive matting page (docs/serve.md; SERVE_ARGS=...)
VENV   ?= .venv
PYTHON := $(VENV)/bin/python
export OMP_NUM_THREADS ?= 2

.PHONY: install demo test test-all benchmarks serve

install:
	bash tools/install/install.sh

demo: install
	$(PYTHON) tools/run_demo.py --work-dir work_dirs/demo

test: install
	$(PYTHON) -m pytest tests

serve: install
	$(PYTHON) tools/serve.py $(SERVE_ARGS)

test-all: install
	$(PYTHON) -m pytest tests -m ''

benchmarks: install
	$(PYTHON) tools/benchmarks/pretext_pipeline.py
	$(PYTHON) tools/benchmarks/pretrain_step.py
	$(PYTHON) tools/benchmarks/metrics.py
