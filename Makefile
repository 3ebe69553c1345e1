# Two commands do all the set-up on a fresh machine:
#   make run    serve the service on its embedded defaults (SQLite) with demo data
#   make test   install everything the tests need and run the whole suite
# and one is for the edit loop:
#   make check  ruff, the format check and the fast tests (-m "not slow": no browser,
#               no service processes, no wheel build)
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
CATALOGUES := $(patsubst %.po,%.mo,$(wildcard registration/translations/*/LC_MESSAGES/messages.po))
HOST ?= 127.0.0.1
PORT ?= 5000
CHROMIUM := /usr/bin/chromium
# Debian's nginx, PgBouncer and systemd-analyze, for the tests that start them
# (tests/deploy, tests/scaling) with their own configuration; none runs as a system service.
NGINX := /usr/sbin/nginx
PGBOUNCER := /usr/sbin/pgbouncer
SYSTEMD_ANALYZE := /usr/bin/systemd-analyze
# pg_dump and pg_restore, for `flask db backup` on PostgreSQL and its test.
PG_DUMP := /usr/bin/pg_dump
NODE_PACKAGES := tests/node_modules/.installed
# The demo's data controllers and accessibility statement, unless you name your own file.
run: export ORGANISATION_FILE ?= registration/demo/organisation.toml

.PHONY: run test check lint format install browser deploy-tools translations update-translations clean

# The mail worker runs beside the web server, as in production; without MAIL_SERVER it
# writes each message to instance/mail/*.eml. Ctrl-C stops both.
run: install translations
	$(BIN)/flask --app wsgi db upgrade
	$(BIN)/flask --app wsgi demo load
	@trap 'trap - EXIT INT TERM; kill 0' EXIT INT TERM; \
	$(BIN)/flask --app wsgi mail send-queued --loop & \
	$(BIN)/flask --app wsgi run --host $(HOST) --port $(PORT)

test: install translations browser deploy-tools
	$(BIN)/ruff check .
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The calendar tests among the fast ones read feeds with ical.js: npm packages, no Chromium.
check: install translations $(NODE_PACKAGES)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest -m "not slow" $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

install: $(INSTALLED)

# The page tests (tests/browser) drive Debian's Chromium, never a browser download;
# they inject axe-core, and the calendar tests run ical.js, both from tests/package-lock.json.
browser: $(CHROMIUM) $(NODE_PACKAGES)

$(CHROMIUM):
	@test "$$(id -u)" = 0 || { echo "Chromium is missing: run 'sudo apt-get install chromium'" >&2; exit 1; }
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium

# tests/foundation/test_backups.py restores what pg_dump wrote with pg_restore;
# tests/deploy run nginx with deploy/nginx/koalicja.conf in front of gunicorn and check the
# systemd units with systemd-analyze; tests/scaling and bench/multihost_rush.py put nginx as
# the balancer before several hosts, and PgBouncer before PostgreSQL.
deploy-tools: $(NGINX) $(PGBOUNCER) $(SYSTEMD_ANALYZE) $(PG_DUMP)

$(NGINX) $(PGBOUNCER):
	@test "$$(id -u)" = 0 || { echo "$@ is missing: run 'sudo apt-get install nginx pgbouncer iproute2'" >&2; exit 1; }
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx pgbouncer iproute2

$(PG_DUMP):
	@test "$$(id -u)" = 0 || { echo "pg_dump is missing: run 'sudo apt-get install postgresql-client'" >&2; exit 1; }
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-client

$(SYSTEMD_ANALYZE):
	@test "$$(id -u)" = 0 || { echo "systemd-analyze is missing: run 'sudo apt-get install systemd'" >&2; exit 1; }
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends systemd

$(NODE_PACKAGES): tests/package.json tests/package-lock.json
	@command -v npm >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm; }
	npm ci --prefix tests --no-audit --no-fund
	touch $@

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(INSTALLED): pyproject.toml setup.py | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@

translations: $(CATALOGUES)

%.mo: %.po | install
	$(BIN)/pybabel compile -i $< -o $@

# After changing user-facing text: extract it, then translate the new entries in the .po files.
update-translations: install
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location --sort-output \
		-o registration/translations/messages.pot .
	$(BIN)/pybabel update -i registration/translations/messages.pot -d registration/translations \
		--ignore-obsolete --no-fuzzy-matching --width 100

# Screenshots of the main pages and three emails for the README, in docs/screenshots/.
.PHONY: screenshots
screenshots: install translations browser
	$(BIN)/python -m scripts.screenshots

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
	find . -name __pycache__ -prune -exec rm -rf {} +
	find registration/translations -name '*.mo' -delete
