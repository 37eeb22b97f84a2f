# ASN LMS: `make run` serves the demo site, `make test` runs the whole suite.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
FLASK  := $(BIN)/flask --app wsgi
HOST   ?= 127.0.0.1
PORT   ?= 5000
# Everything whose change means "reinstall": the core's and the bundled plugins' metadata.
SETUP_FILES := setup.cfg pyproject.toml $(wildcard plugins/*/setup.cfg)
# The bundled plugins (each its own distribution), installed and so enabled by default.
PLUGIN_DIRS := $(patsubst %/setup.cfg,%,$(wildcard plugins/*/setup.cfg))
PO_FILES := $(wildcard lms/translations/*/LC_MESSAGES/*.po plugins/*/lms_*/translations/*/LC_MESSAGES/*.po)
MO_FILES := $(PO_FILES:.po=.mo)

.PHONY: run test install translations migrate seed extract-messages clean serve-prod worker bench-smoke bench audit

run: install translations  ## venv, install, migrate, demo content, serve on 127.0.0.1:5000 (SQLite)
	LMS_CONFIG=development $(FLASK) db upgrade heads
	LMS_CONFIG=development $(FLASK) lms seed-demo
	LMS_CONFIG=development $(FLASK) lms install-curricula
	LMS_CONFIG=development $(FLASK) run --host $(HOST) --port $(PORT)

test: install translations  ## the whole suite (set LMS_TEST_DATABASE_URL for PostgreSQL)
	$(BIN)/ruff check --quiet --select F,E9 lms tests plugins config.py wsgi.py
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Production (docs/deployment.md): gunicorn with lms/gunicorn_conf.py. Needs LMS_SECRET_KEY and,
# for an agency, LMS_DATABASE_URL (PostgreSQL) and LMS_REDIS_URL; LMS_BIND, LMS_WORKERS tune it.
serve-prod: install translations  ## migrate, then serve with gunicorn (LMS_CONFIG=production)
	$(FLASK) db upgrade heads
	exec $(BIN)/gunicorn -c python:lms.gunicorn_conf wsgi:app

worker: install  ## run background jobs from Redis (LMS_REDIS_URL), with the periodic jobs
	exec $(FLASK) lms worker

bench-smoke: install translations  ## the load harness in seconds (CI): every endpoint, a small burst
	$(BIN)/python bench/load.py --smoke

bench: install translations  ## the full load harness (docs/performance.md); BENCH_ARGS passes options
	$(BIN)/python bench/load.py $(BENCH_ARGS)

audit: install  ## bandit (medium and high fail) and the dependency audit (docs/security.md)
	$(BIN)/bandit -q -r lms plugins -x '*/tests/*' --severity-level medium
	$(BIN)/pip-audit --local --format json --output $(VENV)/pip-audit.json --progress-spinner off
	$(BIN)/python .ci/audit_deps.py $(VENV)/pip-audit.json

install: $(VENV)/.installed

$(VENV)/.installed: $(SETUP_FILES)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip setuptools
	$(BIN)/python -m pip install --quiet -e ".[test]" $(addprefix -e ,$(PLUGIN_DIRS))
	touch $@

translations: install $(MO_FILES)

%.mo: %.po
	$(BIN)/pybabel compile --use-fuzzy -i $< -o $@

extract-messages: install  ## refresh the catalog template and merge it into each language
	$(BIN)/pybabel extract -F babel.cfg -k N_ -k _l --no-location --sort-output \
	  --project "ASN LMS" -o lms/translations/messages.pot .
	$(BIN)/pybabel update --no-fuzzy-matching --width 100 -i lms/translations/messages.pot -d lms/translations

migrate: install
	LMS_CONFIG=development $(FLASK) db upgrade heads

seed: install
	LMS_CONFIG=development $(FLASK) lms seed-demo
	LMS_CONFIG=development $(FLASK) lms install-curricula

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
	find lms -name '*.mo' -delete
