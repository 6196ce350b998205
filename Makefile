# aiokafka_gen developer entry points. `make help` lists them.
# The pinned Kafka version lives in ONE place: kafka_messages_json/SOURCE.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PINNED_KAFKA := $(shell sed -n 's/^kafka_version=//p' kafka_messages_json/SOURCE)
KAFKA_VERSION ?= $(PINNED_KAFKA)
EXTRAS ?= dev,codegen,docs,snappy,lz4,zstd
PYTEST_ARGS ?=
# The sources of the optional compiled build (aiokafka_gen/_accel.py lists them).
ACCEL_SRCS := $(shell $(PYTHON) -c "exec(open('aiokafka_gen/_accel.py').read()); print(*[m.replace('aiokafka_gen.messages.', 'generated.').replace('.', '/') + '.py' for m in COMPILED], *[s for _, s in NATIVE])")
# In CI the compiled build must be what runs (tests/test_accel.py checks it).
EXPECT ?= $(if $(CI),compiled,)

.PHONY: help install build-ext dist wheels install-bench demo test test-unit test-integration regen check-generated \
        update-specs kafka-up kafka-down bench bench-quick bench-full bench-codec bench-records bench-scale lint \
        typecheck conformance test-faults test-soak clean test-sanitize test-compat docs docs-shots

help: ## list targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-18s %s\n", $$1, $$2}'

$(VENV)/.installed: pyproject.toml setup.py
	bash scripts/ensure-system-deps.sh
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q -U pip 'setuptools>=77' wheel
	AIOKAFKA_GEN_NO_EXTENSIONS=1 $(PY) -m pip install -q -e '.[$(EXTRAS)]'
	touch $@

# The compiled modules, built in place next to their sources (again whenever one changes).
$(VENV)/.compiled: $(VENV)/.installed aiokafka_gen/_accel.py $(ACCEL_SRCS)
	find aiokafka_gen generated -name '*.so' -delete
	# where a C compiler works a failed build is an error (a type error in a compiled module)
	AIOKAFKA_GEN_REQUIRE_EXTENSIONS=$(if $(shell command -v cc 2>/dev/null),1,) $(PY) setup.py -q build_ext --inplace
	find aiokafka_gen generated -name '*.so' -exec touch {} +  # in-place copies keep old times
	$(PY) -c "import aiokafka_gen; c = aiokafka_gen.compiled(); print('aiokafka_gen:', sum(c.values()), 'of', len(c), 'accelerated modules compiled')"
	touch $@

install: $(VENV)/.compiled ## create .venv, install the project with dev extras, build the compiled modules when a C compiler works (JDK, Maven, compose, gcc installed if missing)

build-ext: $(VENV)/.compiled ## rebuild the compiled modules after a change to one of their sources

dist: install ## the sdist and this platform's wheel in dist/, checked with twine (the cibuildwheel settings in pyproject.toml build the rest)
	rm -rf dist
	AIOKAFKA_GEN_REQUIRE_EXTENSIONS=1 $(PY) -m build --outdir dist .
	$(PY) -m twine check --strict dist/*
	ls -l dist

wheels: dist ## the same as dist

install-bench: install ## also install the peer clients for benchmarks
	$(PY) -m pip install -q -e '.[$(EXTRAS),bench]'

demo: install ## MAIN JOB: start a local Kafka from Maven jars, produce + consume, print what happened
	$(PY) -m aiokafka_gen.demo

test: install ## WHOLE SUITE: generated-code check, lint, types, unit + integration (real Kafka from Maven jars), the compatibility suite on three older Kafkas, then the broker-free tests again in pure Python
	$(MAKE) check-generated lint typecheck
	AIOKAFKA_GEN_EXPECT=$(EXPECT) $(PY) -m pytest --durations=25 $(PYTEST_ARGS)
	$(PY) -m aiokafka_gen.testing compat --versions $(CI_COMPAT_VERSIONS) --no-report
	AIOKAFKA_GEN_NO_EXTENSIONS=1 AIOKAFKA_GEN_EXPECT=pure $(PY) -m pytest -m "not integration" $(PYTEST_ARGS)

test-unit: install ## tests that need no broker and no JVM
	$(PY) -m pytest -m "not integration and not java" $(PYTEST_ARGS)

test-integration: install ## tests against a real broker started by the harness
	$(PY) -m pytest -m "integration" $(PYTEST_ARGS)

regen: install ## regenerate generated/ from kafka_messages_json/
	$(PY) -m codegen

check-generated: install ## fail when generated/ is stale (regenerate + git diff)
	$(PY) -m codegen --check
	git diff --exit-code -- generated/ .env

update-specs: install ## vendor specs + error table from kafka-clients (KAFKA_VERSION=x.y.z), print the diff
	$(PY) -m codegen.update_specs --kafka-version $(KAFKA_VERSION)

NODES ?= 1
SECURITY ?= plaintext
kafka-up: install ## start a detached local Kafka (pinned version; NODES=3, SECURITY=all) and print its addresses
	$(PY) -m aiokafka_gen.testing up --detach --kafka-version $(KAFKA_VERSION) --nodes $(NODES) --security $(SECURITY)

kafka-down: install ## stop the detached local Kafka
	$(PY) -m aiokafka_gen.testing down

bench: install-bench ## all benchmarks: codec, records, clients vs peers against one local broker (~24 min on 2 cores; every timed run lasts at least 2 s)
	$(PY) -m bench

bench-quick: install-bench ## client benchmarks, smoke size (<3 min; results under bench/results/quick/)
	$(PY) -m bench --quick

bench-full: install-bench ## the issue's whole client matrix, 1M messages per run (about an hour on 2 cores)
	$(PY) -m bench --full --only clients

bench-codec: install-bench ## message encode/decode vs kafka-python and aiokafka
	$(PY) -m bench.codec

bench-records: install-bench ## record batch build/read vs aiokafka and kafka-python
	$(PY) -m bench.records

bench-scale: install-bench ## cost curves at scale: 1-5000 partitions, idle consumer, metadata, memory, group (~25 min on 2 cores; results in bench/results/scale/)
	$(PY) -m bench.scale

conformance: install ## every spec/version vs Kafka's Java serializers (CONFORMANCE_EXAMPLES=1000 for the thorough profile)
	@PYTHONPATH=tests $(PY) -m conformance

COMPAT_VERSIONS ?=
# make test runs the compatibility suite on these: the oldest supported, a ZooKeeper-era
# one with every feature but KIP-848, and the last 3.x
CI_COMPAT_VERSIONS ?= 2.1.1 2.8.2 3.9.1
test-compat: install ## the broker compatibility matrix, Kafka 2.1 to the pinned one (COMPAT_VERSIONS="2.8.2 4.4.0" for some); writes docs/compatibility.md + .json
	$(PY) -m aiokafka_gen.testing compat $(if $(COMPAT_VERSIONS),--versions $(COMPAT_VERSIONS),)

test-faults: install ## fault scenarios at full size (200k records, 5 leader kills, 30 s outages, long fuzzing); `make test` runs the short profile
	AIOKAFKA_GEN_FAULTS=full $(PY) -m pytest tests/faults $(PYTEST_ARGS)

test-soak: install ## hours-without-growth soak (SOAK_MINUTES, default 30) against the 3-node cluster
	SOAK_MINUTES=$${SOAK_MINUTES:-30} $(PY) -m pytest tests/soak $(PYTEST_ARGS)

lint: install ## ruff + import-linter contracts
	$(VENV)/bin/ruff check aiokafka_gen codegen tests bench
	$(VENV)/bin/ruff format --check aiokafka_gen codegen
	bash scripts/typecheck.sh --imports

typecheck: install ## mypy strict on aiokafka_gen, codegen and the generated code
	bash scripts/typecheck.sh

# The documentation site: Sphinx (furo, MyST, autodoc) from docs/, offline. Warnings are
# errors (-W --keep-going -n: nitpicky, every reference must resolve); a fresh environment
# each time (-E) so no warning hides in a cached page. The per-API message pages are
# written at build time into docs/reference/messages/ (git-ignored).
DOCS_OUT ?= docs/_build
docs: install ## the documentation site in docs/_build/html (warnings are errors, internal links checked)
	$(PY) -m sphinx -b html -E -W --keep-going -n -q -d $(DOCS_OUT)/doctrees docs $(DOCS_OUT)/html
	$(PY) docs/_ext/check_links.py $(DOCS_OUT)/html

docs-shots: docs ## open the built site in headless Chromium (home, AIOKafkaConsumer, a message page, search) and save screenshots to docs/_build/shots/
	$(PY) docs/_ext/site_browser.py --shots $(DOCS_OUT)/shots $(DOCS_OUT)/html

clean: ## remove build artefacts, the compiled modules included (not the Maven/Kafka cache)
	rm -rf build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache $(VENV)/.compiled docs/_build docs/reference/messages
	find aiokafka_gen generated -name '*.so' -delete

# The hand-written C extensions (_accel.NATIVE) rebuilt in place with ASan + UBSan. Python's
# allocator is plain malloc here so ASan sees every bytes object's bounds, and pytest captures
# sys.std* only so a sanitizer report reaches the terminal. The normal build is restored
# afterwards whatever the tests said (the stamp goes first: an interrupted run is rebuilt by
# the next `make build-ext`).
SANITIZE_CFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -O1 -g -Wall -Wextra
SANITIZE_TESTS ?= tests/consumer/test_cdecode.py tests/consumer/test_decode_fast.py \
                  tests/records/test_hostile.py tests/faults/test_fuzz.py
test-sanitize: install ## the C extensions built with ASan + UBSan, then the C decoder, hostile-bytes and fuzz tests against them
	rm -f $(VENV)/.compiled
	set -e; inc=$$($(PY) -c "import sysconfig; print(sysconfig.get_paths()['include'])"); \
	suffix=$$($(PY) -c "import sysconfig; print(sysconfig.get_config_var('EXT_SUFFIX'))"); \
	for entry in $$($(PY) -c "exec(open('aiokafka_gen/_accel.py').read()); print(*[n.replace('.', '/') + '=' + s for n, s in NATIVE])"); do \
	  gcc -shared -fPIC $(SANITIZE_CFLAGS) -I"$$inc" "$${entry#*=}" -o "$${entry%%=*}$$suffix"; \
	done
	status=0; \
	LD_PRELOAD="$$(gcc -print-file-name=libasan.so) $$(gcc -print-file-name=libubsan.so)" \
	ASAN_OPTIONS=detect_leaks=0 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 PYTHONMALLOC=malloc \
	  $(PY) -m pytest -p no:cacheprovider --capture=sys -m "not integration" $(SANITIZE_TESTS) $(PYTEST_ARGS) \
	  || status=$$?; \
	$(MAKE) build-ext; exit $$status
