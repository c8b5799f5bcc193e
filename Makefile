# Two commands do everything on a fresh machine:
#   make run   - install, train on the bundled sample, promote, start the app, print its URL
#   make test  - install, run the whole test suite
SHELL := /bin/bash
UV_VERSION := 0.13.9
PYTHON_VERSION := 3.11
UV := $(shell command -v uv 2>/dev/null || echo $(HOME)/.local/bin/uv)
RUN := $(UV) run --frozen --python $(PYTHON_VERSION)

.PHONY: run test env browser lint train mlflow-ui dashboard dashboard-stop clean

env:  ## the locked virtualenv (.venv); fast and unchanged when already in place
	@command -v $(UV) >/dev/null 2>&1 || python3 -m pip install --user --quiet uv==$(UV_VERSION)
	@$(UV) sync --frozen --python $(PYTHON_VERSION) --quiet

browser:  ## Debian Chromium for the browser tests (Playwright drives it; no browser download)
	@command -v chromium >/dev/null 2>&1 || { \
		echo "Installing Debian chromium for browser tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

train: env
	$(RUN) python run_pipeline.py train --config configs/train_sample.yaml

run: train
	$(RUN) python run_pipeline.py deploy --config configs/deploy.yaml

test: env browser
	$(RUN) pytest

lint: env
	$(RUN) ruff check .

mlflow-ui: env  ## the MLflow UI on 127.0.0.1:5000 (Ctrl-C stops it)
	$(RUN) python -m mlops.mlflow_ui

dashboard: env  ## the ZenML dashboard on 127.0.0.1:8237, in the background; the store stays as it is
	$(RUN) python -m mlops.dashboard start

dashboard-stop: env
	$(RUN) python -m mlops.dashboard stop

clean:  ## forget all local runs, models and services of this clone
	rm -rf .signbridge
