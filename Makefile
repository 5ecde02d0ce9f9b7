# socialsite: `make run` starts the product, `make test` passes the suite.
# Both work on a fresh machine with Python 3.11+ and nothing else set up.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python
PORT   ?= 8000
export PORT

.PHONY: run test bench serve worker lint key clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	@$(PYTHON) -c 'import sys; sys.exit("Python 3.11+ is required, found " + sys.version.split()[0]) if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	@touch $@

venv: $(VENV)/.installed

## Start the product (embedded defaults, or whatever the environment sets): http://127.0.0.1:$(PORT)
# `prepare` migrates, and does what the settings call for: collectstatic with DEBUG off, the
# sandbox roster with SANDBOX on (never with real credentials: the sandbox is not installed).
run: $(VENV)/.installed
	$(PY) manage.py prepare
	@echo "socialsite: open http://127.0.0.1:$(PORT)/"
	$(PY) manage.py runserver 127.0.0.1:$(PORT)

## Run the whole test suite (after the linter and the type checker).
test: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/pytest $(PYTEST_ARGS)

## Print performance figures (not a pass/fail test).
bench: $(VENV)/.installed
	$(PY) -m benchmarks

## Production-style web server: gunicorn, static files through WhiteNoise.
serve: $(VENV)/.installed
	$(PY) manage.py prepare
	$(BIN)/gunicorn socialsite.wsgi --bind 127.0.0.1:$(PORT) --workers $${WEB_CONCURRENCY:-3} --threads 4 --timeout 30 --graceful-timeout 20 --access-logfile -

## Celery worker with the beat schedule embedded (needs REDIS_URL).
worker: $(VENV)/.installed
	$(BIN)/celery -A socialsite worker --beat --loglevel INFO --concurrency $${CELERY_CONCURRENCY:-2}

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/mypy

## Print a fresh Fernet key for TOKEN_ENCRYPTION_KEYS.
key: $(VENV)/.installed
	@$(PY) -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'

clean:
	rm -rf $(VENV) db.sqlite3 .test-db*.sqlite3* staticfiles artifacts
