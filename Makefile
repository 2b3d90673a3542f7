# Zhucun: `make run` serves the demo, `make test` runs the whole suite. Both install what they need first.
# `make serve`: the production shape (gunicorn, a Celery worker and beat) against the local PostgreSQL and Redis.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=

.PHONY: run serve test install lint check-python serve-prepare clean backup restore

check-python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed (set PYTHON=python3.11)")'
	@command -v npm >/dev/null || { echo "npm (Node.js) is needed to install the front-end packages"; exit 1; }

$(VENV)/.installed: requirements.txt requirements-dev.txt constraints.txt
	@$(MAKE) --no-print-directory check-python
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt -c constraints.txt
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

static/vendor/.installed: node_modules/.installed scripts/vendor.mjs
	npm run --silent vendor
	touch $@

install: $(VENV)/.installed static/vendor/.installed

# Migrate, load the real geography and the indicator catalogue, seed the demo and compute its statistics once
# (about 3 minutes on the first start), print the demo users.
serve-prepare: install
	$(PY) manage.py migrate --noinput -v 0
	$(PY) manage.py import_areas
	$(PY) manage.py import_indicators
	$(PY) manage.py seed_demo --if-empty
	$(PY) manage.py rollup_rebuild --if-empty
	$(PY) manage.py demo_users

run: serve-prepare
	@echo "驻村工作队管理系统: http://$(HOST):$(PORT)/"
	$(PY) manage.py runserver $(HOST):$(PORT)

# DEBUG=0 with production settings, plain http on loopback only; database zhucun_serve (created if missing) and
# Redis db 1 unless DATABASE_URL / CELERY_BROKER_URL say otherwise. Ctrl-C stops all three processes together.
serve: install
	$(PY) scripts/serve.py --host $(HOST) --port $(PORT)

# PostgreSQL only (DATABASE_URL): `make backup` writes backups/zhucun-<db>-<time>.dump (pg_dump, custom format);
# `make restore FILE=backups/….dump` replaces the database's content with it (asks first; see scripts/backup.py).
backup: install
	$(PY) scripts/backup.py backup

restore: install
	@test -n "$(FILE)" || { echo "usage: make restore FILE=backups/zhucun-….dump"; exit 2; }
	$(PY) scripts/backup.py restore "$(FILE)"

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) manage.py makemigrations --check --dry-run -v 0

test: lint
	$(PY) -m pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) node_modules static/vendor staticfiles .serve db.sqlite3 db.sqlite3-shm db.sqlite3-wal
