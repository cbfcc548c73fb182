# albert-keras: the README's two commands are `make demo` and `make test`.
.PHONY: setup test test-fast demo bench clean

PY := .venv/bin/python

setup:
	@bash scripts/setup_env.sh

test: setup
	$(PY) -m pytest -p no:cacheprovider --durations=15

test-fast: setup
	$(PY) -m pytest -p no:cacheprovider -m "not slow"

demo: setup
	@bash scripts/demo.sh

bench: setup
	$(PY) bench/encoder.py --preset albert_base_v2 --batch 8 --seq-len 128

clean:
	rm -rf .venv build *.egg-info .pytest_cache
