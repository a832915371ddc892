# Airlift — one entry point for developers and CI. Every target does its own set-up.
SHELL := /bin/bash
PY := .venv/bin/python
# The k3s stand-in, frozen so that it runs on lab nodes without Python (built once, cached).
K3S ?= $(shell $(PY) scripts/frozen-k3s-standin.py)
HELLO_VERSION = $(shell sed -n 's/^ *resourceVersion: *"\{0,1\}\([^"]*\)"\{0,1\}/\1/p' examples/hello/app.yaml | head -n1)
BUNDLE := dist/hello-$(HELLO_VERSION).tar

.PHONY: setup test lint bundle demo clean
.DEFAULT_GOAL := help

help:
	@echo "make demo    build the example bundle and run the main journey"
	@echo "make test    install what the tests need and run every test"
	@echo "make bundle  build examples/hello into $(BUNDLE) (K3S=/path/to/k3s for a real runtime)"

.venv/.stamp: requirements.txt requirements-dev.txt scripts/setup-host.sh
	scripts/setup-host.sh
	test -x $(PY) || python3 -m venv .venv
	$(PY) -m pip install -q --disable-pip-version-check -r requirements-dev.txt
	touch $@

setup: .venv/.stamp

lint: setup
	$(PY) -m ruff check build.py installer wizard packaging tests bench

test: setup lint
	scripts/ensure-dockerd.sh
	$(PY) -m pytest tests

bundle: setup
	$(PY) examples/hello/images/make_images.py
	$(PY) build.py examples/hello/app.yaml -o $(BUNDLE) --k3s $(K3S) --source oci:examples/hello/.images/oci

demo: bundle
	scripts/ensure-dockerd.sh
	$(PY) scripts/demo.py $(BUNDLE)

clean:
	rm -rf dist build .cache
