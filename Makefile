# Switchboard — the two commands a new machine needs are `make run` and `make test`.
# Each installs what it needs (Debian packages via apt, Python packages into ./.venv-test).

SHELL        := /bin/bash
SWIFT        ?= swift
CONFIG       ?= adapters.json
PREFIX       ?= /usr/local
VENV         := .venv-test
PY           := $(VENV)/bin/python
BUILD_DEPS   := libsqlite3-dev libssl-dev libcurl4-openssl-dev curl
TEST_DEPS    := python3 python3-venv openssl
# Servers the tests start as their own processes on loopback ports (Dovecot as the IMAP peer,
# nginx in front of the daemon and as the webhook benchmark's ceiling): installed without
# starting or enabling their system services (scripts/apt-install-servers.sh).
SERVICE_DEPS := dovecot-imapd nginx
BENCH_DEPS   := wrk
# Apt runs only when something is missing; `sudo` only when we are not root.
SUDO         := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: all build release run test unit e2e bench deps test-deps install uninstall clean help simulate fuzz

all: build

help:
	@echo "make run      build and run the daemon in the foreground on ./$(CONFIG) (state under ./var)"
	@echo "make test     install what the tests need, then run unit and end-to-end tests"
	@echo "make bench    release build, then the ingest benchmark (prints msgs/s, p50/p99, peak RSS)"
	@echo "make simulate a simulated day for each scenario in examples/scenarios (service level, ASA, cost)"
	@echo "make fuzz     libFuzzer on the HTTP and webhook parsers for FUZZ_SECONDS (60); crashes to fuzz-artifacts/"
	@echo "make install  install binary, systemd unit and /etc/switchboard/adapters.json (as root)"

define apt_install
	@missing=""; for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi
endef

deps:
	$(call apt_install,$(BUILD_DEPS))

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release

run: release
	@mkdir -p var/run
	.build/release/switchboard run --config $(CONFIG)

test-deps: deps
	$(call apt_install,$(TEST_DEPS))
	@scripts/apt-install-servers.sh $(SERVICE_DEPS)
	@if [ ! -x $(PY) ] || ! $(PY) -c 'import pytest, twilio, vonage' 2>/dev/null; then \
	  echo "creating $(VENV) (pytest; twilio and vonage SDKs for the SMS signature tests)"; \
	  python3 -m venv $(VENV) && $(PY) -m pip install -q --disable-pip-version-check pytest twilio vonage; \
	fi
	@$(PY) -c 'import aiosmtpd' 2>/dev/null || $(PY) -m pip install -q --disable-pip-version-check aiosmtpd

unit: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build --parallel

e2e: test-deps
	$(SWIFT) build
	SWITCHBOARD_BIN=$(CURDIR)/.build/debug/switchboard $(PY) -m pytest -q Tests/e2e

test: test-deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build
	SWITCHBOARD_BIN=$(CURDIR)/.build/debug/switchboard $(PY) -m pytest -q Tests/e2e

bench: release test-deps
	$(call apt_install,$(BENCH_DEPS))
	scripts/bench.sh

# A day of a contact centre, simulated with the real matrix and assignment engine.
simulate: deps
	$(SWIFT) build -c release --product switchboard-simulate
	@for scenario in examples/scenarios/*.json; do \
	  echo "== $$scenario"; .build/release/switchboard-simulate $$scenario || exit 1; \
	done

# libFuzzer (the toolchain's, with AddressSanitizer) on the parsers that read untrusted bytes
# (docs/fuzzing.md). Its own scratch path, so the normal build is untouched. New corpus entries go
# to fuzz-artifacts/corpus, crashing inputs to fuzz-artifacts/ (both git-ignored).
FUZZ_SECONDS ?= 60
FUZZ_MAX_LEN ?= 4096
FUZZ_RSS_MB  ?= 2048
FUZZ_BIN     := .build-fuzz/debug/switchboard-fuzz
# SwiftPM's --sanitize=fuzzer links libFuzzer's main (and keeps the executable's own entry point
# out of the way); swiftc keeps only the last -sanitize=, so the coverage and ASan instrumentation
# come from one -sanitize=fuzzer,address after it. Debug with -O: optimised, overflow checks kept.
FUZZ_BUILD_FLAGS := --sanitize=fuzzer -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING \
                    -Xswiftc -parse-as-library -Xswiftc -O

fuzz: deps
	$(SWIFT) build --scratch-path .build-fuzz --product switchboard-fuzz $(FUZZ_BUILD_FLAGS)
	@mkdir -p fuzz-artifacts/corpus && touch fuzz-artifacts/.started
	@SWIFT_BACKTRACE=enable=no $(FUZZ_BIN) -max_total_time=$(FUZZ_SECONDS) -max_len=$(FUZZ_MAX_LEN) \
	  -rss_limit_mb=$(FUZZ_RSS_MB) -timeout=10 -dict=Tests/Fuzz/fuzz.dict -artifact_prefix=fuzz-artifacts/ \
	  -print_final_stats=1 fuzz-artifacts/corpus Tests/Fuzz/corpus/* Tests/Fuzz/regressions; \
	status=$$?; \
	if [ $$status -ne 0 ]; then \
	  found=$$(find fuzz-artifacts -maxdepth 1 -type f -newer fuzz-artifacts/.started -name '*-*' | head -1); \
	  echo; echo "make fuzz: libFuzzer stopped (status $$status) on $${found:-an input it did not save}"; \
	  if [ -n "$$found" ]; then \
	    echo "  replay it:   $(FUZZ_BIN) $$found   (or without the fuzzer: swift run switchboard-fuzz $$found)"; \
	    echo "  after the fix, keep it: cp $$found Tests/Fuzz/regressions/<target>-<what-it-broke>"; \
	    echo "  and check:   swift test --filter FuzzRegression   (docs/fuzzing.md)"; \
	  fi; \
	fi; \
	exit $$status

install: release
	@id -u switchboard >/dev/null 2>&1 || $(SUDO) useradd --system --home-dir /var/lib/switchboard --no-create-home --shell /usr/sbin/nologin switchboard
	$(SUDO) install -D -m 0755 .build/release/switchboard $(DESTDIR)$(PREFIX)/bin/switchboard
	$(SUDO) install -D -m 0644 systemd/switchboard.service $(DESTDIR)/etc/systemd/system/switchboard.service
	@if [ -e $(DESTDIR)/etc/switchboard/adapters.json ]; then \
	  echo "keeping existing /etc/switchboard/adapters.json"; \
	else \
	  $(SUDO) install -D -m 0640 -g switchboard adapters.json $(DESTDIR)/etc/switchboard/adapters.json; \
	fi
	@command -v systemctl >/dev/null && $(SUDO) systemctl daemon-reload || true
	@echo "installed. Enable with: systemctl enable --now switchboard"

uninstall:
	-$(SUDO) systemctl disable --now switchboard 2>/dev/null
	$(SUDO) rm -f $(DESTDIR)$(PREFIX)/bin/switchboard $(DESTDIR)/etc/systemd/system/switchboard.service

clean:
	rm -rf .build .build-fuzz var
