# Two commands set up everything on a fresh machine: `make run` and `make test`.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat requirements.txt | sha1sum | cut -c1-12)
REDIS_PORT ?= 6379

.PHONY: venv run test lint check redis bench fuzz clean

$(PY):
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 is needed ($(PYTHON) not found)"; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(STAMP): requirements.txt | $(PY)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	rm -f $(VENV)/.installed-* && touch $(STAMP)

venv: $(STAMP)

redis:
	@redis-cli -p $(REDIS_PORT) ping >/dev/null 2>&1 || redis-server --daemonize yes --port $(REDIS_PORT) --save "" --appendonly no
	@for i in 1 2 3 4 5 6 7 8 9 10; do redis-cli -p $(REDIS_PORT) ping >/dev/null 2>&1 && exit 0; sleep 0.5; done; echo "Redis did not start"; exit 1

run: venv
	$(PY) manage.py run_embedded --demo

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

check: venv
	DJANGO_SETTINGS_MODULE=sentimatrix.settings.test $(PY) manage.py check --database default
	DJANGO_SETTINGS_MODULE=sentimatrix.settings.test $(PY) manage.py makemigrations --check --dry-run

test: venv redis lint check
	$(PY) -m pytest -q

bench: venv redis
	$(PY) -m bench

fuzz: venv
	FUZZ_EXAMPLES=6000 $(PY) -m pytest -q tests/quality/test_api_fuzz.py

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
