# hapair.loadbalancer: the two commands a newcomer needs, on a fresh Debian 12 machine as root.
#   make demo     set everything up, then deploy a real pair to local containers (the lab)
#   make test     set everything up, then run every test
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
ROOT := $(CURDIR)
VENV := $(ROOT)/.venv
export PATH := $(VENV)/bin:$(PATH)
export CONTAINERS_CONF := $(ROOT)/tests/podman/containers.conf
export ANSIBLE_CONFIG := $(ROOT)/ansible.cfg
export ANSIBLE_COLLECTIONS_PATH := $(ROOT)/.cache/collections
export ANSIBLE_FORCE_COLOR ?= 0
export PY_COLORS ?= 0
export NO_COLOR ?= 1
# The nodes' Debian release, for the lab and the tests: DEBIAN=13 (trixie) or 12 (bookworm).
DEBIAN ?= $(or $(HAPAIR_DEBIAN),13)
export HAPAIR_DEBIAN := $(DEBIAN)
export HAPAIR_NODE_IMAGE := $(shell HAPAIR_DEBIAN=$(DEBIAN) scripts/build-image.sh --print)

.PHONY: help bootstrap collection demo demo-down test unit properties lint molecule bench clean

help:
	@sed -n '2,4p' Makefile

bootstrap:
	scripts/bootstrap.sh

# Build the collection tarball and install that, not the checkout: the tests run what users get.
collection: bootstrap
	rm -rf .cache/build && mkdir -p .cache/build
	ansible-galaxy collection build --force --output-path .cache/build > /dev/null
	ansible-galaxy collection install --force --no-deps -p $(ANSIBLE_COLLECTIONS_PATH) \
	  .cache/build/hapair-loadbalancer-*.tar.gz > /dev/null
	@echo "==> installed $$(ls .cache/build) into .cache/collections"

demo: collection
	scripts/lab.sh up

demo-down:
	scripts/lab.sh down

test: collection
	$(MAKE) --no-print-directory unit lint molecule

unit:
	pytest -q -n 2 tests/unit

# The property tests with many more generated inventories than CI's 20 (about 3 s each, two at a time).
properties: bootstrap
	HAPAIR_PROPERTY_EXAMPLES=$${HAPAIR_PROPERTY_EXAMPLES:-300} pytest -q -n 2 tests/unit/test_properties.py
	@cat .cache/unit/properties-summary-*.txt

# Without the built collection's path: as in a fresh checkout, ansible-lint installs this checkout
# as the collection itself (.ansible-lint).
lint:
	env -u ANSIBLE_COLLECTIONS_PATH ansible-lint
	antsibull-changelog lint

# Every scenario, two side by side (HAPAIR_MOLECULE_JOBS); `molecule test -s NAME` runs one.
molecule:
	scripts/molecule-all.sh

# Failover (with timelines), planned moves, reloads and converge times on the lab; writes
# docs/benchmarks.md and docs/benchmarks/ (about 30 minutes).
bench: collection
	python scripts/bench.py

clean: demo-down
	rm -rf .cache .pytest_cache
