# rolecat: `make help` lists the targets.  Two commands set everything up on a fresh machine
# with python3 (3.11+), make and git:  make compile  and  make test.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
CATALOG ?= catalog
OUT    ?= build/terraform
ACCOUNT ?=
STAMP  := $(VENV)/.installed

.DEFAULT_GOAL := help
.PHONY: help install compile validate test lint format type golden corpus iam-cases docs validators templates constraints bench plan apply check clean

help: ## Show this help
	@awk -v catalog='$(CATALOG)' -v out='$(OUT)' 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / \
	  {gsub(/[$$][(]CATALOG[)]/, catalog, $$2); gsub(/[$$][(]OUT[)]/, out, $$2); printf "  %-10s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

# pip, with one line of its output dropped: a machine whose pip configuration names package
# folders that do not exist (extra-index-url) gets that warning once per package and index.
# Everything else pip says is shown, and its exit status kept.
define pip
	@echo "$(BIN)/python -m pip $(1)"
	@$(BIN)/python -m pip $(1) 2>$(VENV)/pip.log; status=$$?; \
	  grep -v "^WARNING: Location '.*' is ignored: it is neither a file nor a directory" $(VENV)/pip.log >&2; \
	  rm -f $(VENV)/pip.log; exit $$status
endef

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(call pip,install --quiet --upgrade pip)
	$(call pip,install --quiet -e '.[dev]')
	@# Bytecode, as a wheel install has: an editable install under PYTHONDONTWRITEBYTECODE never writes it.
	$(BIN)/python -m compileall -q src/rolecat
	@# And the code of its dataclasses' methods (rolecat.classcode), which a run writes only with bytecode.
	$(BIN)/python -c "from rolecat import classcode; classcode.compile_all()"
	@touch $(STAMP)

install: $(STAMP) ## Create .venv and install rolecat with its dev tools

compile: $(STAMP) ## Compile $(CATALOG)/ into $(OUT)/ (one Terraform root module per account)
	$(BIN)/rolecat compile $(CATALOG) -o $(OUT)

validate: $(STAMP) ## Validate $(CATALOG)/ and print every finding
	$(BIN)/rolecat validate $(CATALOG)

test: $(STAMP) ## Run the whole test suite
	$(BIN)/python -m pytest

lint: $(STAMP) ## ruff lint and format check, mypy --strict on src/
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/ruff format --check src tests bench scripts
	$(BIN)/mypy

format: $(STAMP) ## Apply ruff fixes and formatting
	$(BIN)/ruff check --fix src tests bench scripts
	$(BIN)/ruff format src tests bench scripts

type: $(STAMP) ## mypy --strict on src/
	$(BIN)/mypy

golden: $(STAMP) ## Regenerate the golden Terraform of every golden catalog (review the diff!)
	$(BIN)/python -m pytest tests/test_golden.py --update-golden -q

corpus: $(STAMP) ## Regenerate the exact diagnostics of the bad-input corpus (review the diff!)
	$(BIN)/python -m pytest tests/hostile/test_corpus.py -k test_validate --update-golden -q

iam-cases: $(STAMP) ## Regenerate the exact findings of the IAM check cases (review the diff!)
	$(BIN)/python -m pytest tests/iam/test_cases.py --update-golden -q

docs: $(STAMP) ## Regenerate docs/checks.md from the rule registry (review the diff!)
	$(BIN)/python scripts/gen-checks-doc.py

validators: $(STAMP) ## Regenerate the schema validators (src/rolecat/load/validators) after a schema change
	$(BIN)/python scripts/gen-validators.py

templates: $(STAMP) ## Regenerate the templates' compiled code (src/rolecat/targets/terraform/compiled) after a template change
	$(BIN)/python scripts/gen-templates.py

constraints: $(STAMP) ## Pin CI installs to this environment's run-time dependency versions (constraints.txt; see docs/ci.md)
	$(BIN)/python scripts/gen-constraints.py

bench: $(STAMP) ## Benchmarks: compile vs. parsing, start-up, IAM checks vs. parliament, scopedown and usage throughput, access review, access request vs. validate
	@$(BIN)/python -c "import parliament" 2>/dev/null || $(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	$(BIN)/python bench/compile_bench.py
	$(BIN)/python bench/render_bench.py
	$(BIN)/python bench/checks_bench.py
	$(BIN)/python bench/scopedown_bench.py
	$(BIN)/python bench/usage_bench.py
	$(BIN)/python bench/access_bench.py
	$(BIN)/python bench/request_bench.py

plan: $(STAMP) ## Compile, then terraform init + plan per account (identity first); ACCOUNT=prod for one
	$(BIN)/rolecat plan $(CATALOG) -o $(OUT) $(if $(ACCOUNT),--account $(ACCOUNT))

apply: $(STAMP) ## Apply the plans saved by make plan, identity account first; stops at the first failure
	$(BIN)/rolecat apply $(CATALOG) -o $(OUT) $(if $(ACCOUNT),--account $(ACCOUNT))

check: lint test ## Everything CI runs

clean: ## Remove build output and caches (keeps .venv)
	rm -rf build .pytest_cache .mypy_cache .ruff_cache .hypothesis
