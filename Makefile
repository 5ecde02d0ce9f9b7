# socialsite: `make run` starts the product, `make test` passes the suite.
# Both work on a fresh machine with Python 3.11+ and nothing else set up.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python
PORT   ?= 8000
export PORT

.PHONY: run test bench serve worker beat lint key keypair clean peers

$(VENV)/.installed: requirements.txt requirements-dev.txt
	@$(PYTHON) -c 'import sys; sys.exit("Python 3.11+ is required, found " + sys.version.split()[0]) if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	@touch $@

venv: $(VENV)/.installed

# The independent OpenID provider the peer tests sign in against (tests/peers/oidc):
# oidc-provider from the npm registry, exactly as pinned in its package-lock.json.
PEER_OIDC := tests/peers/oidc
$(PEER_OIDC)/node_modules/.installed: $(PEER_OIDC)/package.json $(PEER_OIDC)/package-lock.json
	cd $(PEER_OIDC) && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# Without Node the peer tests skip on a developer's machine; with CI=true that is a failure.
peers:
	@if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then \
		$(MAKE) --no-print-directory $(PEER_OIDC)/node_modules/.installed; \
	else \
		case "$$(echo "$${CI:-}" | tr A-Z a-z)" in \
		1|true|yes) echo "make test: node and npm are required in CI (apt-get install nodejs npm)" >&2; exit 1;; \
		*) echo "make test: node/npm not found; the independent-provider tests will be skipped (apt-get install nodejs npm)";; \
		esac; \
	fi

## Start the product (embedded defaults, or whatever the environment sets): http://127.0.0.1:$(PORT)
# `prepare` migrates, and does what the settings call for: collectstatic with DEBUG off, the
# sandbox roster with SANDBOX on (never with real credentials: the sandbox is not installed).
run: $(VENV)/.installed
	$(PY) manage.py prepare
	@echo "socialsite: open http://127.0.0.1:$(PORT)/"
	$(PY) manage.py runserver 127.0.0.1:$(PORT)

## Run the whole test suite (after the linter and the type checker).
test: $(VENV)/.installed peers
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/pytest $(PYTEST_ARGS)

## Print performance figures (not a pass/fail test).
bench: $(VENV)/.installed
	$(PY) -m benchmarks

## Production-style web server: gunicorn, static files through WhiteNoise.
serve: $(VENV)/.installed
	$(PY) manage.py prepare
	$(BIN)/gunicorn --config socialsite/gunicorn.conf.py --bind 127.0.0.1:$(PORT)

## Celery worker with the beat schedule embedded (needs REDIS_URL, or CELERY_BROKER_URL for the
## broker): people's own syncs and the schedule's on separate queues, so a person's never
## waits behind the schedule's backlog. PROCESS_ROLE=worker: the one process that may hold
## TOKEN_SEAL_PRIVATE_KEYS in sealed mode. `make worker WORKER_BEAT=` runs it without beat,
## for a separate `make beat`.
WORKER_BEAT ?= --beat
worker: $(VENV)/.installed
	PROCESS_ROLE=worker $(BIN)/celery -A socialsite worker $(WORKER_BEAT) --loglevel INFO --concurrency $${CELERY_CONCURRENCY:-2} \
		--queues $${CELERY_QUEUE:-celery},$${CELERY_QUEUE:-celery}.scheduled

## The beat scheduler alone (it queues work and opens no token: no private key).
beat: $(VENV)/.installed
	PROCESS_ROLE=beat $(BIN)/celery -A socialsite beat --loglevel INFO

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/mypy

## Print a fresh Fernet key for TOKEN_ENCRYPTION_KEYS.
key: $(VENV)/.installed
	@$(PY) -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'

## Print a new sealed-mode key pair: the public key for every process, the private key for the worker only.
keypair: $(VENV)/.installed
	@$(PY) -c 'from accounts.vault_sealed import generate_keypair; public, private = generate_keypair(); print(f"TOKEN_SEAL_PUBLIC_KEY={public}\nTOKEN_SEAL_PRIVATE_KEYS={private}")'

clean:
	rm -rf $(VENV) db.sqlite3 .test-db*.sqlite3* staticfiles artifacts $(PEER_OIDC)/node_modules
