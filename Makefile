# Two commands do everything on a fresh machine: `make run` and `make test` (see README.md).
SHELL := /bin/bash
.DEFAULT_GOAL := help

PORT ?= 8000
STREAM_PORT ?= $(shell echo $$(($(PORT) + 1)))
WORKERS ?= 2
# pytest-xdist processes of `make test`, each with its own template and databases (0: one process).
TEST_WORKERS ?= 2
VENV := .venv
PY := $(VENV)/bin/python
MS := $(VENV)/bin/mapserver
STAMP := $(VENV)/.installed
VENDOR := static/vendor
# The venv's interpreter: the distribution's Python 3.11+ when it has venv, else `python3`. Debian builds
# its Python with profile-guided and link-time optimisation, which pyenv and source builds skip unless
# asked: 8-13 % less CPU per read API request (README, Benchmarks). PYTHON=... chooses another.
PYTHON ?= $(shell /usr/bin/python3 -c 'import sys, ensurepip, venv; sys.exit(sys.version_info < (3, 11))' \
	2>/dev/null && echo /usr/bin/python3 || echo python3)
VENDOR_STAMP := $(VENDOR)/.installed

# With DATABASE_URL set, that PostgreSQL is used and no local cluster is started.
ifdef DATABASE_URL
DB_START := true
else
DB_START := scripts/localdb.sh start
DB_ENV = DATABASE_URL="$$(scripts/localdb.sh url)"
endif

.PHONY: help install deps db run serve stop test bench lint clean

help:
	@echo "make run    install, start the local PostGIS, load the demo city, serve http://127.0.0.1:$(PORT)"
	@echo "make test   install, start PostGIS, run the test suite on a throwaway database"
	@echo "make bench  benchmarks (prints figures and ratios)"
	@echo "make stop   stop the local PostGIS cluster;  make lint  ruff and the import contracts"

$(STAMP): setup.cfg pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	@touch $@

# The map page's libraries come from the npm registry (package-lock.json) and are served by this
# server from static/vendor: no CDN at run time.
$(VENDOR_STAMP): package.json package-lock.json
	@command -v npm >/dev/null || { echo "npm is missing: run 'make deps' as root, or apt-get install npm" >&2; exit 1; }
	npm ci --no-audit --no-fund --loglevel=error
	rm -rf $(VENDOR) && mkdir -p $(VENDOR)/leaflet $(VENDOR)/leaflet.vectorgrid $(VENDOR)/leaflet.locatecontrol
	cp -r node_modules/leaflet/dist/leaflet.js node_modules/leaflet/dist/leaflet.css node_modules/leaflet/dist/images \
		$(VENDOR)/leaflet/
	cp node_modules/leaflet.vectorgrid/dist/Leaflet.VectorGrid.bundled.min.js $(VENDOR)/leaflet.vectorgrid/
	cp node_modules/leaflet.locatecontrol/dist/L.Control.Locate.min.js \
		node_modules/leaflet.locatecontrol/dist/L.Control.Locate.min.css $(VENDOR)/leaflet.locatecontrol/
	@touch $@

install: $(STAMP) $(VENDOR_STAMP)

deps:
	@scripts/system-deps.sh $(DEPS_FLAGS)

db: deps install
	@$(DB_START)
	@$(DB_ENV) $(MS) db migrate

# The upload worker and the change-stream service (`mapserver live serve`, on PORT+1: gunicorn sends
# streams there, LIVE_STREAM_URL) run beside gunicorn, each in its own session (so Ctrl-C reaches them only
# through the trap: SIGTERM lets a running load finish and closes the streams). The login cookie is not
# Secure here: plain HTTP on loopback.
run: db
	@$(DB_ENV) $(MS) demo load
	@$(DB_ENV) $(MS) demo accounts
	@echo "serving the map on http://127.0.0.1:$(PORT), agencies on /agency/, change streams on :$(STREAM_PORT)  (Ctrl-C to stop; make stop stops PostGIS)"
	@export MAPSERVER_SESSION_COOKIE_SECURE=$${MAPSERVER_SESSION_COOKIE_SECURE:-false}; \
	export MAPSERVER_LIVE_STREAM_URL=$${MAPSERVER_LIVE_STREAM_URL:-http://127.0.0.1:$(STREAM_PORT)}; \
	$(DB_ENV) setsid $(MS) worker & worker=$$!; \
	$(DB_ENV) setsid $(PY) -m mapserver.live.stream --bind 127.0.0.1:$(STREAM_PORT) & stream=$$!; \
	trap 'kill -TERM $$worker $$stream 2>/dev/null; wait $$worker $$stream 2>/dev/null' EXIT; trap 'exit 130' INT TERM; \
	$(DB_ENV) WORKERS=$(WORKERS) $(VENV)/bin/gunicorn -c gunicorn.conf.py --bind 127.0.0.1:$(PORT) --access-logfile - \
		'mapserver:create_app()'

stop:
	@scripts/localdb.sh stop

test: DEPS_FLAGS := --with-browser --with-nginx
test: deps install
	@$(DB_START)
	@$(DB_ENV) $(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

bench: DEPS_FLAGS := --with-bench
bench: db
	@$(DB_ENV) $(PY) -m benchmarks $(BENCH_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports --no-cache

clean: stop
	rm -rf var $(VENV) $(VENDOR) node_modules
