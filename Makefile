# albert-keras: the README's two commands are `make demo` and `make test`.
.PHONY: setup test test-all lint demo bench image push-images clean

PY := .venv/bin/python

setup:
	@bash scripts/setup_env.sh

# Two pytest-xdist workers, a test file each at a time (module fixtures are built once), the longest
# files first (tests/durations.json, see tests/conftest.py).
PYTEST := $(PY) -m pytest -p no:cacheprovider -n 2 --dist loadfile --no-loadscope-reorder

# `make test` skips the end-to-end tests marked slow (the demo path, both pipelines, the image install,
# multi-worker training: ~9 more minutes on 2 cores) unless CI is set (CI=true, as .ci/run is run);
# `make test-all` runs them too, anywhere.
SLOW := $(if $(filter true 1,$(CI)),,-m "not slow")

test: setup lint
	$(PYTEST) $(SLOW) --durations=15

test-all: setup lint
	$(PYTEST) --durations=15

# ruff (E, F, I, B, UP for Python 3.10) and the import contracts in .importlinter.
lint: setup
	.venv/bin/ruff check .
	PYTHONPATH=$(CURDIR) .venv/bin/lint-imports

demo: setup
	@bash scripts/demo.sh

bench: setup
	$(PY) bench/encoder.py --preset albert_base_v2 --batch 8 --seq-len 128

# The container images (docker/*.Dockerfile; docs/production.md). Needs Docker.
# REGISTRY=gcr.io/YOUR_PROJECT TAG=v1 make push-images
image:
	@bash docker/build.sh

push-images:
	@bash docker/build.sh --push

clean:
	rm -rf .venv build *.egg-info .pytest_cache
