# Physio triage assistant — every command a person or CI needs. `make` alone lists them.
SHELL := /bin/bash
.DEFAULT_GOAL := help
.PHONY: help run test chat eval setup train migrate clean user retention bench run-scaled

help: ## list the commands
	@echo "Usage: make <target>"
	@echo
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-11s %s\n", $$1, $$2}'
	@echo
	@echo "Settings: copy .env.example to .env (optional; defaults work locally)."

run: ## set up, train if the data changed, migrate, start Rasa, actions, web app (+ Telegram when configured)
	@bash scripts/run.sh

test: ## set up, train if changed, validate data, run unit / NLU / story / end-to-end tests
	@bash scripts/test.sh

chat: ## talk to the assistant in this terminal (rasa shell + action server)
	@bash scripts/chat.sh

eval: setup train ## evaluate the trained model (scripts/evaluate.py)
	@source scripts/env.sh && cd "$$ROOT" && "$$VENV_RASA/bin/python" scripts/evaluate.py

setup: ## create/update .venv-rasa and .venv-app from the lock files, build the spaCy pipeline
	@bash scripts/setup.sh

train: setup ## train models/clinic.tar.gz if config, domain, data or components changed (FORCE=1 to force)
	@bash scripts/train_if_changed.sh

migrate: setup ## upgrade the clinic database (DATABASE_URL) to the latest schema
	@source scripts/env.sh && cd "$$ROOT" && "$$VENV_APP/bin/python" -m bot.db.migrate

clean: ## remove trained models, results/ and reports/ (keeps environments, spaCy pipeline and var/)
	rm -f models/*.tar.gz models/*.tar.gz.inputs
	rm -rf results reports

user: setup ## create a reception account or reset its password: make user NAME=alice (asks for it)
	@test -n "$(NAME)" || { echo "usage: make user NAME=<username>"; exit 2; }
	@source scripts/env.sh && cd "$$ROOT" && "$$VENV_APP/bin/python" -m bot.db.migrate >/dev/null && "$$VENV_APP/bin/python" -m bot.web.reception.users "$(NAME)"

retention: setup ## delete triages, handoffs and conversations older than RETENTION_DAYS (DRY_RUN=1 to count only)
	@source scripts/env.sh && cd "$$ROOT" && "$$VENV_APP/bin/python" -m bot.db.migrate >/dev/null && "$$VENV_APP/bin/python" -m bot.db.retention $(if $(DRY_RUN),--dry-run)

bench: setup train ## benchmark against Rasa's starter assistant: reports/bench.md + plots (~14-25 min)
	@source scripts/env.sh && cd "$$ROOT" && "$$VENV_APP/bin/python" scripts/bench.py $(BENCH_ARGS)

run-scaled: ## 2 Rasa + 2 action servers behind nginx on PostgreSQL and Redis (scripts/run_scaled.sh)
	@bash scripts/run_scaled.sh
