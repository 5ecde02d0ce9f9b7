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

## Start the product on its embedded defaults: http://127.0.0.1:$(PORT)
run: $(VENV)/.installed
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_sandbox --if-empty
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
	$(PY) manage.py collectstatic --noinput
	$(PY) manage.py migrate --noinput
	$(BIN)/gunicorn --config socialsite/gunicorn.conf.py --bind 127.0.0.1:$(PORT)

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
