# Airlift — one entry point for developers and CI. Every target does its own set-up.
SHELL := /bin/bash
PY := .venv/bin/python
# K3S=/path/to/k3s K3S_IMAGES=/path/to/k3s-airgap-images-amd64.tar.zst builds a real bundle.
# Without them the bundle carries the k3s stand-in from tests/k3s-standin/, frozen so that it
# runs on lab nodes without Python (built once, cached), and no air-gap images (--no-k3s-images).
K3S ?=
K3S_IMAGES ?=
# hello 1.1.0 (examples/hello/next) is built with K3S_NEXT (default: K3S); with the stand-in, with
# one frozen at STANDIN_NEXT_VERSION, so 1.0.0 -> 1.1.0 also upgrades the runtime.
K3S_NEXT ?= $(K3S)
K3S_NEXT_IMAGES ?= $(K3S_IMAGES)
STANDIN_NEXT_VERSION ?= v1.31.2+k3s1
define STANDIN_NOTICE
@echo "**********************************************************************************"
@echo "* NOTE: no K3S=/path/to/k3s given, so this bundle carries the k3s STAND-IN from  *"
@echo "* tests/k3s-standin/ (a test double of the k3s command line), not real k3s, and  *"
@echo "* NO k3s air-gap images (built with --no-k3s-images; the stand-in needs none).   *"
@echo "* Registry, Docker, installer and wizard are real. For a real bundle, give both  *"
@echo "* files of the same k3s release:                                                 *"
@echo "*   make bundle K3S=/path/to/k3s \\                                               *"
@echo "*       K3S_IMAGES=/path/to/k3s-airgap-images-amd64.tar.zst                      *"
@echo "**********************************************************************************"
endef
HELLO_VERSION = $(shell sed -n 's/^ *resourceVersion: *"\{0,1\}\([^"]*\)"\{0,1\}/\1/p' examples/hello/app.yaml | head -n1)
NEXT_VERSION = $(shell sed -n 's/^ *resourceVersion: *"\{0,1\}\([^"]*\)"\{0,1\}/\1/p' examples/hello/next/app.yaml | head -n1)
BUNDLE := dist/hello-$(HELLO_VERSION).tar
NEXT_BUNDLE := dist/hello-$(NEXT_VERSION).tar
NEXT_DIFF := dist/hello-$(NEXT_VERSION)-diff.tar
HELLO_SOURCE := --source oci:examples/hello/.images/oci
# SIGN_KEY=PATH signs the bundles with that vendor key (python build.py keygen); unsigned without it.
SIGN_KEY ?=
SIGN := $(if $(SIGN_KEY),--sign $(SIGN_KEY))

.PHONY: setup test lint bundle demo clean
.DEFAULT_GOAL := help

help:
	@echo "make demo    build the example bundle and run the main journey"
	@echo "make test    install what the tests need and run every test"
	@echo "make lint    ruff, and mypy held to .mypy-baseline.txt (scripts/typecheck.py)"
	@echo "make bundle  build examples/hello into $(BUNDLE) (K3S=k3s K3S_IMAGES=k3s-airgap-images-amd64.tar.zst: real k3s),"
	@echo "             and examples/hello/next into $(NEXT_BUNDLE) and $(NEXT_DIFF) (differential against $(BUNDLE));"
	@echo "             SIGN_KEY=PATH signs them (python build.py keygen makes a key)"

.venv/.stamp: requirements.txt requirements-dev.txt scripts/setup-host.sh
	scripts/setup-host.sh
	test -x $(PY) || python3 -m venv .venv
	$(PY) -m pip install -q --disable-pip-version-check -r requirements-dev.txt
	touch $@

# The tests' local S3-compatible server (tests/fixtures/s3.py), from the npm registry, pinned by its lock file.
S3RVER := .cache/s3rver
$(S3RVER)/.stamp: tests/fixtures/s3rver/package.json tests/fixtures/s3rver/package-lock.json scripts/setup-host.sh
	scripts/setup-host.sh
	mkdir -p $(S3RVER)
	cp tests/fixtures/s3rver/package.json tests/fixtures/s3rver/package-lock.json $(S3RVER)/
	cd $(S3RVER) && npm ci --no-audit --no-fund --loglevel=error
	touch $@

setup: .venv/.stamp $(S3RVER)/.stamp

lint: setup
	$(PY) -m ruff check build.py installer wizard panel hub packaging tests bench scripts
	$(PY) scripts/typecheck.py

# Two workers (pytest-xdist); tests/conftest.py says which modules take turns. TEST_WORKERS=0: one process.
TEST_WORKERS ?= 2
test: setup lint
	scripts/ensure-dockerd.sh
	$(PY) -m pytest tests -n $(TEST_WORKERS) --dist loadscope

bundle: setup
	$(PY) examples/hello/images/make_images.py
ifeq ($(K3S),)
	$(STANDIN_NOTICE)
	$(PY) build.py examples/hello/app.yaml -o $(BUNDLE) $(HELLO_SOURCE) $(SIGN) \
	  --k3s "$$($(PY) scripts/frozen-k3s-standin.py)" --no-k3s-images
	$(PY) build.py examples/hello/next/app.yaml -o $(NEXT_BUNDLE) $(HELLO_SOURCE) $(SIGN) \
	  --k3s "$$($(PY) scripts/frozen-k3s-standin.py $(STANDIN_NEXT_VERSION))" --no-k3s-images
	$(PY) build.py examples/hello/next/app.yaml -o $(NEXT_DIFF) --since $(BUNDLE) $(HELLO_SOURCE) $(SIGN) \
	  --k3s "$$($(PY) scripts/frozen-k3s-standin.py $(STANDIN_NEXT_VERSION))" --no-k3s-images
	$(STANDIN_NOTICE)
else
	$(PY) build.py examples/hello/app.yaml -o $(BUNDLE) $(HELLO_SOURCE) $(SIGN) \
	  --k3s $(K3S) $(if $(K3S_IMAGES),--k3s-images $(K3S_IMAGES))
	$(PY) build.py examples/hello/next/app.yaml -o $(NEXT_BUNDLE) $(HELLO_SOURCE) $(SIGN) \
	  --k3s $(K3S_NEXT) $(if $(K3S_NEXT_IMAGES),--k3s-images $(K3S_NEXT_IMAGES))
	$(PY) build.py examples/hello/next/app.yaml -o $(NEXT_DIFF) --since $(BUNDLE) $(HELLO_SOURCE) $(SIGN) \
	  --k3s $(K3S_NEXT) $(if $(K3S_NEXT_IMAGES),--k3s-images $(K3S_NEXT_IMAGES))
endif

demo: bundle
	scripts/ensure-dockerd.sh
ifeq ($(K3S),)
	$(STANDIN_NOTICE)
endif
	$(PY) scripts/demo.py $(BUNDLE)

clean:
	rm -rf dist build .cache
